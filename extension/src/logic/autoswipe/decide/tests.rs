//! Tests of the like/pass decisions: threshold, pass floor, shown before the press, dry run.

use crate::logic::autoswipe::test_support::*;

#[test]
fn decisions_follow_the_threshold() {
    let scores = [0.9, 0.1, 0.5, 0.49, 0.77, 0.0, 1.0, 0.3];
    let mut a = machine(fast());
    let mut now = T0;
    let run = drive(&mut a, &mut now, deck(&scores), 100);
    let pressed = run.presses();
    assert_eq!(pressed.len(), scores.len());
    for (i, ((_, id, verdict), p)) in pressed.iter().zip(scores).enumerate() {
        assert_eq!(id, &format!("p{i}"));
        let want = if p >= 0.5 {
            Verdict::Like
        } else {
            Verdict::Nope
        };
        assert_eq!(*verdict, want, "card {i} with score {p}");
    }
    let records = run.records();
    assert_eq!(
        records.len(),
        scores.len(),
        "every confirmed swipe is recorded"
    );
    for ((d, matched, _), p) in records.iter().zip(scores) {
        assert_eq!(d.score, p);
        assert!(!matched);
        assert!(!d.dry_run);
        let reason = if p >= 0.5 {
            DecisionReason::AboveThreshold
        } else {
            DecisionReason::BelowThreshold
        };
        assert_eq!(d.reason, reason);
    }
    assert_eq!(
        records[0].0.reason_text,
        "score 0.90 reaches the threshold 0.50"
    );
    assert_eq!(
        records[1].0.reason_text,
        "score 0.10 is below the threshold 0.50"
    );
    assert!(run.stops().is_empty());
}

#[test]
fn every_decision_is_shown_before_the_press() {
    let mut a = machine(fast());
    let out = a.handle(Event::TopCard(Some(card("a", "Anna", 0.9))), T0);
    let Some(Command::Show(d)) = out.first() else {
        panic!("expected a shown decision: {out:?}")
    };
    assert_eq!((d.profile_id.as_str(), d.verdict), ("a", Verdict::Like));
    assert!(
        presses(&out).is_empty(),
        "the press waits for the human-like delay"
    );
    assert!(a.status_text(T0).starts_with("Next: like Anna in"));
}

#[test]
fn pass_floor_forces_passes_and_says_why() {
    let s = Settings {
        min_pass_share: 0.3,
        pass_window: 10,
        likes_per_12h: 100,
        ..fast()
    };
    let mut a = machine(s);
    let mut now = T0;
    let run = drive(&mut a, &mut now, deck(&[0.95; 60]), 100);
    let records = run.records();
    assert_eq!(records.len(), 60, "every card swiped");
    assert!(run.stops().is_empty(), "{:?}", run.stops());
    let verdicts: Vec<Verdict> = records.iter().map(|r| r.0.verdict).collect();
    for (i, w) in verdicts.windows(10).enumerate() {
        let passes = w.iter().filter(|v| **v == Verdict::Nope).count();
        assert!(passes >= 3, "window at {i} has only {passes} passes: {w:?}");
    }
    let forced: Vec<&Decision> = records
        .iter()
        .map(|r| &r.0)
        .filter(|d| d.verdict == Verdict::Nope)
        .collect();
    assert!(!forced.is_empty());
    for d in &forced {
        assert_eq!(d.reason, DecisionReason::PassFloor);
        assert!(
            d.reason_text
                .contains("at least 30% of decisions must be passes"),
            "{}",
            d.reason_text
        );
    }
    // No more passes than the floor needs: 3 of every 10.
    let likes = verdicts.iter().filter(|v| **v == Verdict::Like).count();
    assert!(likes >= 39, "only {likes} likes of 60");
    // A low score is a plain pass, never a floor pass.
    let mut b = machine(Settings {
        min_pass_share: 0.3,
        ..fast()
    });
    let run = drive(&mut b, &mut T0.clone(), deck(&[0.1]), 1);
    assert_eq!(run.records()[0].0.reason, DecisionReason::BelowThreshold);
}

#[test]
fn dry_run_shows_decisions_and_never_presses() {
    let mut a = machine(Settings {
        dry_run: true,
        ..fast()
    });
    let mut shown = Vec::new();
    let mut all = Vec::new();
    for (i, p) in [0.9, 0.2, 0.6].into_iter().enumerate() {
        let id = format!("p{i}");
        let t = T0 + i as f64 * MIN;
        let mut out = a.handle(Event::TopCard(Some(card(&id, "N", p))), t);
        out.extend(a.handle(Event::TopCard(Some(card(&id, "N", p))), t + 1.0));
        out.extend(a.handle(Event::Tick, t + 30_000.0));
        // The user swipes by hand.
        out.extend(a.handle(swiped(&id, Verdict::Nope, None), t + 40_000.0));
        shown.extend(out.iter().filter_map(|c| match c {
            Command::Show(d) => Some((d.profile_id.clone(), d.verdict, d.dry_run)),
            _ => None,
        }));
        all.extend(out);
    }
    assert_eq!(
        shown,
        vec![
            ("p0".to_owned(), Verdict::Like, true),
            ("p1".to_owned(), Verdict::Nope, true),
            ("p2".to_owned(), Verdict::Like, true),
        ],
        "each card's decision shown once"
    );
    assert!(presses(&all).is_empty());
    assert!(!all.iter().any(|c| matches!(c, Command::Record { .. })));
    // Only the user's three swipes by hand count toward the caps; dry run adds none.
    assert_eq!(a.swipes_in_window(T0 + 10.0 * MIN), 3);
}
