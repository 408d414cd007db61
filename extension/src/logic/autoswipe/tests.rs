use super::*;
use serde_json::json;

/// 2025-11-28 12:00:00 UTC.
const T0: f64 = 1_764_331_200_000.0;
const MIN: f64 = 60_000.0;
/// How long the simulated page takes from a key press to its own like/pass call.
const LATENCY: f64 = 250.0;

fn card(id: &str, name: &str, p: f64) -> Card {
    Card {
        profile_id: id.into(),
        name: Some(name.into()),
        score: CardScore::Known(p),
    }
}

thread_local! {
    static NEXT_CARD: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Cards with these scores; ids `p0`, `p1`, ... continue across decks within a test.
fn deck(scores: &[f64]) -> Vec<Card> {
    scores
        .iter()
        .map(|p| {
            let i = NEXT_CARD.with(|n| n.replace(n.get() + 1));
            card(&format!("p{i}"), &format!("N{i}"), *p)
        })
        .collect()
}

fn fast() -> Settings {
    Settings::fast_test()
}

fn machine(s: Settings) -> AutoSwipe {
    AutoSwipe::new(s, 42)
}

/// The fast preset without delays: a card is pressed as soon as it is shown.
fn quick() -> AutoSwipe {
    machine(Settings {
        delay_min_ms: 0.0,
        delay_max_ms: 0.0,
        ..fast()
    })
}

/// [`quick`], switched off until the test switches it on.
fn quick_off() -> AutoSwipe {
    let mut a = quick();
    a.handle(Event::SetEnabled(false), T0 - MIN);
    a
}

fn stops(cmds: &[Command]) -> Vec<String> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Stop { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

fn presses(cmds: &[Command]) -> Vec<(String, Verdict, &'static str)> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Press {
                profile_id,
                verdict,
                key,
                ..
            } => Some((profile_id.clone(), *verdict, *key)),
            _ => None,
        })
        .collect()
}

/// The retry clicks among `cmds`: (profile, verdict).
fn clicks(cmds: &[Command]) -> Vec<(String, Verdict)> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Press {
                profile_id,
                verdict,
                click: true,
                ..
            } => Some((profile_id.clone(), *verdict)),
            _ => None,
        })
        .collect()
}

fn wake(cmds: &[Command]) -> Option<f64> {
    cmds.iter().rev().find_map(|c| match c {
        Command::WaitUntil(t) => Some(*t),
        _ => None,
    })
}

fn swiped(id: &str, verdict: Verdict, response: Option<LikeOutcome>) -> Event {
    Event::PageSwiped {
        profile_id: id.into(),
        verdict,
        status: Some(200),
        response,
    }
}

/// What a simulated run saw: every command with the time it was issued.
#[derive(Default)]
struct Run {
    log: Vec<(f64, Command)>,
}

impl Run {
    fn presses(&self) -> Vec<(f64, String, Verdict)> {
        self.log
            .iter()
            .filter_map(|(t, c)| match c {
                Command::Press {
                    profile_id,
                    verdict,
                    ..
                } => Some((*t, profile_id.clone(), *verdict)),
                _ => None,
            })
            .collect()
    }
    fn records(&self) -> Vec<(Decision, bool, f64)> {
        self.log
            .iter()
            .filter_map(|(_, c)| match c {
                Command::Record {
                    decision,
                    matched,
                    at_ms,
                } => Some((decision.clone(), *matched, *at_ms)),
                _ => None,
            })
            .collect()
    }
    fn stops(&self) -> Vec<(StopReason, String)> {
        self.log
            .iter()
            .filter_map(|(_, c)| match c {
                Command::Stop { reason, message } => Some((reason.clone(), message.clone())),
                _ => None,
            })
            .collect()
    }
}

/// A page that swipes its top card when a key is pressed, answers likes with
/// `likes_remaining`, shows the next card, and fires timers when asked. Runs until stopped,
/// `max_presses` presses, or nothing is left to wait for.
fn drive(a: &mut AutoSwipe, now: &mut f64, cards: Vec<Card>, max_presses: usize) -> Run {
    drive_from(a, now, cards, max_presses, None)
}

/// [`drive`], with `first` handled right after the first card is shown.
fn drive_from(
    a: &mut AutoSwipe,
    now: &mut f64,
    cards: Vec<Card>,
    max_presses: usize,
    first: Option<Event>,
) -> Run {
    let mut deck: VecDeque<Card> = cards.into();
    let mut run = Run::default();
    let mut likes_left = 100u32;
    let mut queue = a.handle(Event::TopCard(deck.front().cloned()), *now);
    if let Some(ev) = first {
        queue.extend(a.handle(ev, *now));
    }
    for _ in 0..100_000 {
        let mut timer = None;
        let mut pressed = None;
        for c in queue.drain(..) {
            match &c {
                Command::WaitUntil(t) => timer = Some(*t),
                Command::Press { verdict, .. } => pressed = Some(*verdict),
                _ => {}
            }
            run.log.push((*now, c));
        }
        if let Some(verdict) = pressed {
            *now += LATENCY;
            let top = deck.pop_front().expect("a card was pressed");
            let response = (verdict == Verdict::Like).then(|| {
                likes_left -= 1;
                LikeOutcome {
                    likes_remaining: Some(i64::from(likes_left)),
                    ..Default::default()
                }
            });
            queue = a.handle(swiped(&top.profile_id, verdict, response), *now);
            queue.extend(a.handle(Event::TopCard(deck.front().cloned()), *now));
            continue;
        }
        if !a.settings().enabled || run.presses().len() >= max_presses {
            break;
        }
        match timer {
            Some(t) => {
                *now = now.max(t);
                queue = a.handle(Event::Tick, *now);
            }
            None => break,
        }
    }
    run
}

/// Show the first card, switch on at `now` and run over `cards`.
fn enable_and_drive(a: &mut AutoSwipe, now: &mut f64, cards: Vec<Card>, max: usize) -> Run {
    drive_from(a, now, cards, max, Some(Event::SetEnabled(true)))
}

// ----- settings ------------------------------------------------------------------------------

#[test]
fn defaults_are_off_and_conservative() {
    let s = Settings::default();
    assert!(!s.enabled);
    assert!(!s.dry_run);
    assert!(s.likes_per_12h <= 60, "well below Tinder's ~100 free likes");
    assert!(s.min_pass_share >= 0.2);
    assert!(s.delay_min_ms >= 2_000.0);
    assert!(s.break_every > 0);
    s.validate().expect("defaults are valid");
    Settings::fast_test()
        .validate()
        .expect("fast test preset is valid");
    let parsed: Settings = serde_json::from_value(json!({})).expect("empty object");
    assert_eq!(parsed, s);
    let parsed: Settings =
        serde_json::from_value(json!({"threshold": 0.8, "dry_run": true})).expect("partial");
    assert_eq!(parsed.threshold, 0.8);
    assert!(parsed.dry_run);
    assert_eq!(parsed.likes_per_12h, s.likes_per_12h);
}

#[test]
fn bad_settings_are_refused_with_clear_errors() {
    let bad = Settings {
        threshold: 1.5,
        ..Settings::default()
    };
    let err = bad.validate().expect_err("threshold above 1");
    assert!(matches!(
        err,
        SettingsError::OutOfRange {
            field: "threshold",
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        "`threshold` is 1.5; it must be between 0 and 1"
    );

    let bad = Settings {
        delay_min_ms: 9_000.0,
        delay_max_ms: 1_000.0,
        ..Settings::default()
    };
    assert_eq!(
        bad.validate().expect_err("min above max").to_string(),
        "`delay_min_ms` must not be larger than `delay_max_ms`"
    );
    let bad = Settings {
        break_min_ms: f64::NAN,
        ..Settings::default()
    };
    assert_eq!(
        bad.validate().expect_err("nan"),
        SettingsError::NotANumber {
            field: "break_min_ms"
        }
    );
    let bad = Settings {
        swipes_per_24h: 0,
        ..Settings::default()
    };
    assert!(bad.validate().is_err());

    let mut a = machine(Settings::default());
    let bad = Settings {
        enabled: true,
        pass_window: 0,
        ..Settings::default()
    };
    assert!(a.set_settings(bad, T0).is_err());
    assert_eq!(
        a.settings(),
        &Settings::default(),
        "refused settings change nothing"
    );
}

// ----- decisions -----------------------------------------------------------------------------

#[test]
fn off_by_default_does_nothing() {
    let mut a = machine(Settings::default());
    let mut out = a.handle(Event::TopCard(Some(card("a", "Anna", 0.99))), T0);
    out.extend(a.handle(Event::Tick, T0 + 60.0 * MIN));
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(a.status_text(T0), "Auto-swipe is off");
}

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
fn presses_the_page_keys() {
    let mut a = machine(Settings {
        delay_min_ms: 0.0,
        delay_max_ms: 0.0,
        ..fast()
    });
    let out = a.handle(Event::TopCard(Some(card("a", "Anna", 0.9))), T0);
    assert_eq!(
        presses(&out),
        vec![("a".to_owned(), Verdict::Like, "ArrowRight")]
    );
    let mut out = a.handle(swiped("a", Verdict::Like, None), T0 + LATENCY);
    out.extend(a.handle(Event::TopCard(Some(card("b", "Bea", 0.1))), T0 + LATENCY));
    assert_eq!(
        presses(&out),
        vec![("b".to_owned(), Verdict::Nope, "ArrowLeft")]
    );
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

// ----- caps ----------------------------------------------------------------------------------

#[test]
fn likes_cap_stops_and_frees_up_after_twelve_hours() {
    let s = Settings {
        likes_per_12h: 3,
        ..fast()
    };
    let mut a = machine(s);
    let mut now = T0;
    let run = drive(&mut a, &mut now, deck(&[0.9; 10]), 100);
    assert_eq!(run.presses().len(), 3, "exactly the cap");
    let first_like = run.records()[0].2;
    let last_like = run.records()[2].2;
    let stops = run.stops();
    assert_eq!(stops.len(), 1);
    assert!(matches!(stops[0].0, StopReason::LikesCap { cap: 3, .. }));
    assert_eq!(
        stops[0].1,
        format!(
            "Stopped: 3 likes in the last 12 hours, yours and Swipy's (your cap) — the next like is possible at {} tomorrow",
            clock(first_like + LIKES_WINDOW_MS, 0)
        )
    );
    assert!(!a.settings().enabled);
    assert_eq!(a.likes_in_window(now), 3);

    // Switched on again within the window: passes still happen, the next like stops it again.
    now += 60.0 * MIN;
    let run = enable_and_drive(&mut a, &mut now, deck(&[0.1, 0.9]), 100);
    assert_eq!(run.presses().len(), 1);
    assert_eq!(run.presses()[0].2, Verdict::Nope);
    assert!(matches!(run.stops()[0].0, StopReason::LikesCap { .. }));

    // After the window the likes come back.
    assert_eq!(a.likes_in_window(first_like + LIKES_WINDOW_MS + 1.0), 2);
    now = last_like + LIKES_WINDOW_MS + 1.0;
    assert_eq!(a.likes_in_window(now), 0);
    let run = enable_and_drive(&mut a, &mut now, deck(&[0.9; 5]), 100);
    let likes = run
        .presses()
        .iter()
        .filter(|p| p.2 == Verdict::Like)
        .count();
    assert_eq!(likes, 3, "a full cap of likes again");
    assert!(matches!(
        run.stops()[0].0,
        StopReason::LikesCap { cap: 3, .. }
    ));
}

#[test]
fn daily_total_stops_all_swipes() {
    let s = Settings {
        swipes_per_24h: 4,
        ..fast()
    };
    let mut a = machine(s);
    let mut now = T0;
    let run = drive(&mut a, &mut now, deck(&[0.9, 0.1, 0.2, 0.8, 0.1, 0.1]), 100);
    assert_eq!(run.presses().len(), 4);
    let first = run.records()[0].2;
    let (reason, message) = &run.stops()[0];
    assert_eq!(
        reason,
        &StopReason::DailyCap {
            cap: 4,
            free_at_ms: first + SWIPES_WINDOW_MS
        }
    );
    assert_eq!(
        message,
        &format!(
            "Stopped: 4 swipes in the last 24 hours (your daily total) — more at {} tomorrow",
            clock(first + SWIPES_WINDOW_MS, 0)
        )
    );
    assert_eq!(a.swipes_in_window(now), 4);
}

#[test]
fn times_on_another_day_say_so() {
    // T0 is 12:00 UTC.
    assert_eq!(when(T0 + 30.0 * MIN, T0, 0), "12:30");
    assert_eq!(when(T0 + 13.0 * 60.0 * MIN, T0, 0), "01:00 tomorrow");
    assert_eq!(when(T0 + 49.0 * 60.0 * MIN, T0, 0), "13:00 in 2 days");
    // Local time decides the day: at UTC+13 noon UTC is already 01:00 the next day.
    assert_eq!(when(T0 + 11.0 * 60.0 * MIN, T0, 13 * 60), "12:00");
    assert_eq!(when(T0 + 11.0 * 60.0 * MIN, T0, -60), "22:00");
    assert_eq!(when(T0 + 12.0 * 60.0 * MIN, T0, -60), "23:00");
    assert_eq!(when(T0 + 13.0 * 60.0 * MIN, T0, -60), "00:00 tomorrow");
}

#[test]
fn the_users_own_swipes_count_toward_the_caps() {
    let s = Settings {
        likes_per_12h: 3,
        ..fast()
    };
    let mut a = machine(s);
    let mut now = T0;
    // By hand in the tab Swipy drives: two likes and a pass go through, one like fails.
    for (id, v, status) in [
        ("u1", Verdict::Like, 200),
        ("u2", Verdict::Nope, 200),
        ("u3", Verdict::Like, 500),
        ("u4", Verdict::Like, 200),
    ] {
        let ev = Event::PageSwiped {
            profile_id: id.into(),
            verdict: v,
            status: Some(status),
            response: None,
        };
        assert!(stops(&a.handle(ev, now)).is_empty() || status != 200);
        now += MIN;
    }
    assert_eq!(a.likes_in_window(now), 2);
    assert_eq!(a.swipes_in_window(now), 3);
    // One like gets through before the cap, counting the user's two.
    let run = drive(&mut a, &mut now, deck(&[0.9; 5]), 100);
    assert_eq!(run.presses().len(), 1);
    assert!(matches!(
        run.stops()[0].0,
        StopReason::LikesCap { cap: 3, .. }
    ));
    // A like made in another tab counts too, and survives a restart.
    a.swiped_elsewhere("t1", Verdict::Like, Some(200), None, now);
    a.swiped_elsewhere("t1", Verdict::Like, Some(200), None, now);
    a.swiped_elsewhere("t2", Verdict::Like, Some(429), None, now);
    assert_eq!(
        a.likes_in_window(now),
        4,
        "counted once, a refused like not at all"
    );
    let b = AutoSwipe::from_json(fast(), 7, &a.to_json()).expect("restore");
    assert_eq!(b.likes_in_window(now), 4);
    assert_eq!(b.swipes_in_window(now), 5);
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

// ----- delays and breaks ---------------------------------------------------------------------

#[test]
fn delays_stay_in_bounds_and_breaks_happen() {
    let s = Settings {
        delay_min_ms: 1_000.0,
        delay_max_ms: 5_000.0,
        break_every: 4,
        break_min_ms: 20_000.0,
        break_max_ms: 30_000.0,
        ..fast()
    };
    let mut a = machine(s);
    let mut now = T0;
    let run = enable_and_drive(&mut a, &mut now, deck(&[0.2; 21]), 100);
    let pressed = run.presses();
    let records = run.records();
    assert_eq!(pressed.len(), 21);
    let first_gap = pressed[0].0 - T0;
    assert!(
        (1_000.0..=5_000.0).contains(&first_gap),
        "first press after {first_gap} ms"
    );
    let mut gaps = Vec::new();
    for i in 1..pressed.len() {
        let gap = pressed[i].0 - records[i - 1].2;
        if i % 4 == 0 {
            assert!(
                (20_000.0..=30_000.0).contains(&gap),
                "break before swipe {i}: {gap} ms"
            );
        } else {
            assert!(
                (1_000.0..=5_000.0).contains(&gap),
                "delay before swipe {i}: {gap} ms"
            );
            gaps.push(gap);
        }
    }
    let distinct: std::collections::BTreeSet<u64> = gaps.iter().map(|g| *g as u64).collect();
    assert!(
        distinct.len() > gaps.len() / 2,
        "delays look random: {gaps:?}"
    );
}

#[test]
fn break_shows_in_status() {
    let s = Settings {
        break_every: 1,
        break_min_ms: 100_000.0,
        break_max_ms: 100_000.0,
        ..fast()
    };
    let mut a = machine(s);
    let mut now = T0;
    drive(&mut a, &mut now, deck(&[0.2, 0.2]), 1);
    let out = a.handle(Event::TopCard(Some(card("x", "Xia", 0.2))), now);
    assert_eq!(
        wake(&out),
        Some(now + 100_000.0),
        "the break runs from the last confirmation"
    );
    assert_eq!(a.status_text(now), "Taking a break — next swipe in 100 s");
}

#[test]
fn same_seed_same_run_other_seed_other_run() {
    let times = |seed: u64| {
        let mut a = AutoSwipe::new(
            Settings {
                delay_min_ms: 500.0,
                delay_max_ms: 9_000.0,
                ..fast()
            },
            seed,
        );
        let mut now = T0;
        enable_and_drive(&mut a, &mut now, deck(&[0.3, 0.7, 0.9, 0.1, 0.6, 0.2]), 100)
            .presses()
            .into_iter()
            .map(|p| p.0)
            .collect::<Vec<_>>()
    };
    assert_eq!(times(7).len(), 6);
    assert_eq!(times(7), times(7));
    assert_ne!(times(7), times(8));
}

// ----- safety --------------------------------------------------------------------------------

#[test]
fn one_swipe_outstanding_at_a_time() {
    let mut a = machine(Settings {
        delay_min_ms: 0.0,
        delay_max_ms: 0.0,
        ..fast()
    });
    let out = a.handle(Event::TopCard(Some(card("a", "Anna", 0.9))), T0);
    assert_eq!(presses(&out).len(), 1);
    // The page already shows the next card, but has not confirmed the first swipe.
    let mut out = a.handle(Event::TopCard(Some(card("b", "Bea", 0.9))), T0 + 100.0);
    out.extend(a.handle(Event::Tick, T0 + 200.0));
    assert!(presses(&out).is_empty(), "{out:?}");
    assert!(a
        .status_text(T0 + 200.0)
        .starts_with("Waiting for the page to confirm the like of Anna"));
    let out = a.handle(swiped("a", Verdict::Like, None), T0 + 300.0);
    assert_eq!(
        presses(&out),
        vec![("b".to_owned(), Verdict::Like, "ArrowRight")]
    );
}

#[test]
fn a_profile_is_never_pressed_twice() {
    let mut a = machine(Settings {
        delay_min_ms: 0.0,
        delay_max_ms: 0.0,
        ..fast()
    });
    a.handle(Event::TopCard(Some(card("a", "Anna", 0.9))), T0);
    a.handle(swiped("a", Verdict::Like, None), T0 + 100.0);
    // The page still reports the swiped card on top (stale DOM).
    let mut out = a.handle(Event::TopCard(Some(card("a", "Anna", 0.9))), T0 + 200.0);
    out.extend(a.handle(Event::Tick, T0 + 10.0 * MIN));
    assert!(presses(&out).is_empty(), "{out:?}");
}

#[test]
fn a_card_the_user_swiped_by_hand_is_not_pressed() {
    let mut a = machine(fast());
    let out = a.handle(Event::TopCard(Some(card("a", "Anna", 0.9))), T0);
    let press_at = wake(&out).expect("a press is planned");
    // The user passes Anna before Swipy's delay ran out; the page still shows her card.
    let out = a.handle(swiped("a", Verdict::Nope, None), T0 + 10.0);
    assert!(stops(&out).is_empty(), "not Swipy's swipe: no mismatch");
    let out = a.handle(Event::Tick, press_at);
    assert!(presses(&out).is_empty(), "{out:?}");
    let out = a.handle(Event::TopCard(Some(card("b", "Bea", 0.1))), press_at + 1.0);
    assert_eq!(
        presses(&out),
        vec![("b".to_owned(), Verdict::Nope, "ArrowLeft")]
    );
}

#[test]
fn mismatches_stop_without_recording() {
    let cases = [
        (
            "z",
            Verdict::Like,
            "Stopped: the page liked a different profile than Swipy chose",
        ),
        (
            "a",
            Verdict::Nope,
            "Stopped: the page passed Anna but Swipy chose like",
        ),
        (
            "a",
            Verdict::Superlike,
            "Stopped: the page super liked Anna but Swipy chose like",
        ),
    ];
    for (id, verdict, message) in cases {
        let mut a = machine(Settings {
            delay_min_ms: 0.0,
            delay_max_ms: 0.0,
            ..fast()
        });
        a.handle(Event::TopCard(Some(card("a", "Anna", 0.9))), T0);
        let out = a.handle(swiped(id, verdict, None), T0 + LATENCY);
        assert_eq!(stops(&out), vec![message.to_owned()]);
        assert!(
            !out.iter().any(|c| matches!(c, Command::Record { .. })),
            "{out:?}"
        );
        assert!(!a.settings().enabled);
        let mut later = a.handle(Event::TopCard(Some(card("b", "Bea", 0.9))), T0 + MIN);
        later.extend(a.handle(Event::Tick, T0 + 2.0 * MIN));
        assert!(presses(&later).is_empty());
    }
}

#[test]
fn no_confirmation_in_time_stops_after_one_retry_click() {
    let mut a = quick();
    let out = a.handle(Event::TopCard(Some(card("a", "Anna", 0.9))), T0);
    assert_eq!(
        presses(&out),
        [("a".to_owned(), Verdict::Like, "ArrowRight")]
    );
    assert!(clicks(&out).is_empty(), "a key press first");
    assert_eq!(wake(&out), Some(T0 + 700.0), "a timer for the retry");
    let early = a.handle(Event::Tick, T0 + 699.0);
    assert!(presses(&early).is_empty(), "{early:?}");
    // Nothing from the page, Anna still on top: click her like button, once.
    let out = a.handle(Event::Tick, T0 + 700.0);
    assert_eq!(clicks(&out), [("a".to_owned(), Verdict::Like)]);
    assert_eq!(
        wake(&out),
        Some(T0 + 5_000.0),
        "a timer for the confirmation deadline"
    );
    let early = a.handle(Event::Tick, T0 + 4_999.0);
    assert!(
        stops(&early).is_empty() && presses(&early).is_empty(),
        "{early:?}"
    );
    let out = a.handle(Event::Tick, T0 + 5_000.0);
    assert_eq!(
        stops(&out),
        vec!["Stopped: the page did not confirm the like of Anna within 5 s (Swipy pressed the key, then clicked the card's button)".to_owned()]
    );
    let late = a.handle(swiped("a", Verdict::Like, None), T0 + 6_000.0);
    assert!(
        late.is_empty(),
        "a late call is not recorded as Swipy's: {late:?}"
    );
}

#[test]
fn no_retry_click_when_the_card_left_the_top() {
    let mut a = quick();
    a.handle(Event::TopCard(Some(card("a", "Anna", 0.9))), T0);
    // The page took the key (the card left); its call is slow.
    a.handle(Event::TopCard(Some(card("b", "Bea", 0.9))), T0 + 300.0);
    let out = a.handle(Event::Tick, T0 + 700.0);
    assert!(
        presses(&out).is_empty(),
        "never a click on the next card: {out:?}"
    );
    let out = a.handle(swiped("a", Verdict::Like, None), T0 + 1_500.0);
    assert!(out.iter().any(|c| matches!(c, Command::Record { .. })));
    // Without a button to click, the stop says so.
    let mut a = quick();
    a.handle(Event::TopCard(Some(card("a", "Anna", 0.9))), T0);
    a.handle(Event::Tick, T0 + 700.0);
    a.handle(Event::ClickUnavailable, T0 + 700.0);
    let out = a.handle(Event::Tick, T0 + 5_000.0);
    assert_eq!(
        stops(&out),
        ["Stopped: the page did not confirm the like of Anna within 5 s (Swipy pressed the key; it found no button to click)"]
    );
}

#[test]
fn the_fastest_preset_keeps_swiping_on_a_page_that_ignores_input_after_each_swipe() {
    // The page ignores every press for 300 ms after a swipe (its card animates); the
    // retry click lands. 30 swipes, no stop.
    let mut a = machine(fast());
    let mut now = T0;
    let cards = deck(&[0.9, 0.1, 0.8, 0.2, 0.7, 0.3].repeat(5));
    let mut deck: VecDeque<Card> = cards.into();
    let mut queue = a.handle(Event::TopCard(deck.front().cloned()), now);
    queue.extend(a.handle(Event::SetEnabled(true), now));
    let mut locked_until = now;
    let mut swipes = 0;
    let mut retries = 0;
    for _ in 0..10_000 {
        let mut timer = None;
        let mut pressed = None;
        for c in queue.drain(..) {
            match c {
                Command::WaitUntil(t) => timer = Some(t),
                Command::Press { verdict, click, .. } => pressed = Some((verdict, click)),
                Command::Stop { message, .. } => panic!("stopped after {swipes} swipes: {message}"),
                _ => {}
            }
        }
        if let Some((verdict, click)) = pressed {
            retries += usize::from(click);
            if now >= locked_until {
                let top = deck.pop_front().expect("a card");
                now += 150.0;
                queue = a.handle(Event::TopCard(deck.front().cloned()), now);
                now += LATENCY;
                locked_until = now + 300.0;
                let ev = Event::page_swiped(
                    &top.profile_id,
                    verdict,
                    Some(200),
                    Some(&json!({"match": false, "likes_remaining": 100})),
                );
                queue.extend(a.handle(ev, now));
                swipes += 1;
                if deck.is_empty() {
                    break;
                }
                continue;
            }
        }
        match timer {
            Some(t) => {
                now = now.max(t);
                queue = a.handle(Event::Tick, now);
            }
            None => break,
        }
    }
    assert_eq!(swipes, 30, "every card swiped");
    assert!(retries > 0, "the page's input lock made retries necessary");
    assert!(a.settings().enabled);
}

#[test]
fn failed_page_calls_stop_and_a_request_without_a_status_is_never_a_confirmation() {
    for (status, message) in [
        (
            Some(500),
            "Stopped: Tinder refused the like of Anna (HTTP 500)",
        ),
        (
            Some(401),
            "Stopped: the Tinder session was lost — reload tinder.com",
        ),
        // A network error: status 0, or none at all.
        (
            Some(0),
            "Stopped: the page's like request for Anna failed (no answer from Tinder)",
        ),
        (
            None,
            "Stopped: the page's like request for Anna failed (no answer from Tinder)",
        ),
    ] {
        let mut a = quick();
        a.handle(Event::TopCard(Some(card("a", "Anna", 0.9))), T0);
        let ev = Event::PageSwiped {
            profile_id: "a".into(),
            verdict: Verdict::Like,
            status,
            response: None,
        };
        let out = a.handle(ev, T0 + LATENCY);
        assert_eq!(stops(&out), vec![message.to_owned()], "{status:?}");
        assert!(!out.iter().any(|c| matches!(c, Command::Record { .. })));
        assert_eq!(
            a.likes_in_window(T0 + LATENCY),
            0,
            "a failed like does not count"
        );
        // The user's own failed swipe is not counted either.
        a.swiped_elsewhere("b", Verdict::Like, status, None, T0 + MIN);
        assert_eq!(a.likes_in_window(T0 + MIN), 0);
    }
}

#[test]
fn stop_reasons_serialise_the_same_both_ways() {
    let reasons = [
        StopReason::SwitchedOff,
        StopReason::Match {
            name: Some("Anna".into()),
        },
        StopReason::OutOfLikes { until_ms: Some(T0) },
        StopReason::RateLimited { until_ms: None },
        StopReason::UnknownDialog {
            dialog: DialogKind::Upsell,
        },
        StopReason::Captcha,
        StopReason::PageError {
            verdict: Verdict::Like,
            name: None,
            status: 0,
        },
        StopReason::NotConfirmed {
            verdict: Verdict::Nope,
            name: None,
            after_ms: 5_000.0,
            clicked: true,
        },
    ];
    let kinds = [
        "switched_off",
        "match",
        "out_of_likes",
        "rate_limited",
        "unknown_dialog",
        "captcha",
        "page_error",
        "not_confirmed",
    ];
    for (r, kind) in reasons.iter().zip(kinds) {
        let v = serde_json::to_value(r).expect("serialises");
        assert_eq!(v["kind"], kind);
        assert_eq!(
            &serde_json::from_value::<StopReason>(v).expect("reads back"),
            r
        );
    }
    let v = serde_json::to_value(StopReason::UnknownDialog {
        dialog: DialogKind::OutOfLikes,
    })
    .expect("serialises");
    assert_eq!(
        v,
        json!({"kind": "unknown_dialog", "dialog": "out_of_likes"})
    );
}

#[test]
fn page_events_stop_at_once_with_the_right_reason() {
    let cases = [
        (Event::Dialogs(vec![DialogKind::Unknown]), "Stopped: the page shows a dialog Swipy does not know — close it, then switch auto-swipe on again"),
        (Event::Dialogs(vec![DialogKind::Upsell]), "Stopped: the page shows an upgrade offer — close it, then switch auto-swipe on again"),
        // Words alone never make a match or out of likes: only the page's answers do.
        (Event::Dialogs(vec![DialogKind::OutOfLikes]), "Stopped: the page shows an out-of-likes dialog — close it, then switch auto-swipe on again"),
        (Event::Dialogs(vec![DialogKind::Match]), "Stopped: the page shows a match dialog — close it, then switch auto-swipe on again"),
        (Event::Dialogs(vec![DialogKind::Upsell, DialogKind::Verification]), "Stopped: Tinder asks for a verification — complete it yourself, then switch auto-swipe on again"),
        (Event::RecsRateLimited { until_ms: Some(T0 + 125.0 * MIN) }, "Stopped: Tinder is rate-limiting until 14:05"),
        (Event::RecsRateLimited { until_ms: None }, "Stopped: Tinder is rate-limiting — try again later"),
        (Event::Allowance { likes_remaining: Some(0), until_ms: None }, "Stopped: out of likes"),
        (Event::TokenLost, "Stopped: the Tinder session was lost — reload tinder.com"),
        (Event::HostLost, "Stopped: lost the connection to the Swipy app"),
        (Event::TabVisible(false), "Stopped: the Tinder tab was hidden — auto-swipe only runs while the tab is visible"),
        (Event::SetEnabled(false), "Stopped: you switched auto-swipe off"),
    ];
    for (event, message) in cases {
        let mut a = machine(fast());
        let out = a.handle(Event::TopCard(Some(card("a", "Anna", 0.9))), T0);
        let press_at = wake(&out).expect("planned");
        let out = a.handle(event.clone(), T0 + 1.0);
        assert_eq!(stops(&out), vec![message.to_owned()], "{event:?}");
        assert!(!a.settings().enabled);
        assert_eq!(a.status_text(T0 + 2.0), message);
        let later = a.handle(Event::Tick, press_at + 1.0);
        assert!(
            presses(&later).is_empty(),
            "{event:?}: pressed after stopping"
        );
    }
}

#[test]
fn no_press_goes_while_a_dialog_is_visible_and_it_cannot_start_with_one() {
    let mut a = machine(Settings {
        delay_min_ms: 0.0,
        delay_max_ms: 0.0,
        ..fast()
    });
    a.handle(Event::Dialogs(vec![DialogKind::Upsell]), T0);
    a.handle(Event::TopCard(Some(card("a", "Anna", 0.9))), T0);
    let out = a.handle(Event::SetEnabled(true), T0 + 1.0);
    assert!(presses(&out).is_empty(), "{out:?}");
    assert_eq!(
        stops(&out),
        ["Stopped: the page shows an upgrade offer — close it, then switch auto-swipe on again"]
    );
    // Closed: it starts.
    a.handle(Event::Dialogs(Vec::new()), T0 + 2.0);
    let out = a.handle(Event::SetEnabled(true), T0 + 3.0);
    assert_eq!(presses(&out).len(), 1, "{out:?}");
}

#[test]
fn recs_rate_limit_is_shown_while_off_and_refuses_a_start_until_recs_come_again() {
    let mut a = quick_off();
    a.handle(
        Event::RecsRateLimited {
            until_ms: Some(T0 + 125.0 * MIN),
        },
        T0,
    );
    assert_eq!(a.status_text(T0), "Tinder is rate-limiting until 14:05");
    a.handle(Event::TopCard(Some(card("a", "Anna", 0.9))), T0);
    let out = a.handle(Event::SetEnabled(true), T0 + MIN);
    assert_eq!(
        stops(&out),
        ["Stopped: Tinder is rate-limiting until 14:05"]
    );
    assert!(presses(&out).is_empty());
    // An ordinary recs answer: the limit is over.
    a.handle(Event::RecsOk, T0 + 2.0 * MIN);
    let out = a.handle(Event::SetEnabled(true), T0 + 3.0 * MIN);
    assert_eq!(presses(&out).len(), 1, "{out:?}");
    // A limit whose time passed is over too.
    let mut b = machine(Settings {
        enabled: false,
        ..fast()
    });
    b.handle(
        Event::RecsRateLimited {
            until_ms: Some(T0 + MIN),
        },
        T0,
    );
    assert_eq!(b.status_text(T0 + 2.0 * MIN), "Auto-swipe is off");
}

#[test]
fn cannot_start_while_something_is_wrong() {
    for (before, message) in [
        (
            Event::TabVisible(false),
            "Stopped: the Tinder tab was hidden — auto-swipe only runs while the tab is visible",
        ),
        (
            Event::HostLost,
            "Stopped: lost the connection to the Swipy app",
        ),
        (
            Event::TokenLost,
            "Stopped: the Tinder session was lost — reload tinder.com",
        ),
    ] {
        let mut a = machine(Settings::default());
        assert!(
            a.handle(before.clone(), T0).is_empty(),
            "off: nothing to stop"
        );
        let out = a.handle(Event::SetEnabled(true), T0 + 1.0);
        assert_eq!(stops(&out), vec![message.to_owned()]);
    }
    // Once the problem is gone, it starts.
    let mut a = machine(Settings {
        delay_min_ms: 0.0,
        delay_max_ms: 0.0,
        ..fast()
    });
    a.handle(Event::SetEnabled(false), T0);
    a.handle(Event::HostLost, T0);
    a.handle(Event::HostConnected, T0 + 1.0);
    a.handle(Event::TopCard(Some(card("a", "Anna", 0.9))), T0 + 2.0);
    let out = a.handle(Event::SetEnabled(true), T0 + 3.0);
    assert_eq!(presses(&out).len(), 1, "{out:?}");
}

#[test]
fn a_match_looking_dialog_after_a_like_without_match_is_an_unknown_dialog() {
    let mut a = machine(Settings {
        delay_min_ms: 500.0,
        delay_max_ms: 500.0,
        ..fast()
    });
    a.handle(Event::TopCard(Some(card("a", "Anna", 0.9))), T0);
    a.handle(Event::Tick, T0 + 500.0);
    let out = a.handle(
        swiped("a", Verdict::Like, Some(LikeOutcome::default())),
        T0 + 500.0 + LATENCY,
    );
    assert!(matches!(&out[0], Command::Record { matched: false, .. }));
    let out = a.handle(Event::Dialogs(vec![DialogKind::Match]), T0 + 1_000.0);
    assert_eq!(
        out.iter()
            .filter(|c| !matches!(c, Command::WaitUntil(_)))
            .cloned()
            .collect::<Vec<_>>(),
        vec![Command::Stop {
            reason: StopReason::UnknownDialog {
                dialog: DialogKind::Match
            },
            message:
                "Stopped: the page shows a match dialog — close it, then switch auto-swipe on again"
                    .into(),
        }]
    );
}

#[test]
fn match_in_the_like_response_is_recorded_and_stops() {
    let mut a = machine(Settings {
        delay_min_ms: 0.0,
        delay_max_ms: 0.0,
        ..fast()
    });
    a.handle(Event::TopCard(Some(card("a", "Anna", 0.9))), T0);
    let resp =
        parse_like_response(&json!({"status": 200, "match": {"_id": "m1"}, "likes_remaining": 42}));
    let out = a.handle(swiped("a", Verdict::Like, Some(resp)), T0 + LATENCY);
    assert!(
        matches!(&out[0], Command::Record { matched: true, .. }),
        "{out:?}"
    );
    assert_eq!(
        stops(&out),
        vec!["Stopped: It's a match with Anna — see the match dialog".to_owned()]
    );
    // The dialog that follows does not record the match a second time.
    let out = a.handle(Event::Dialogs(vec![DialogKind::Match]), T0 + 1_000.0);
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn a_dialog_while_the_swipe_is_outstanding_waits_for_the_pages_answer() {
    let quick = Settings {
        delay_min_ms: 0.0,
        delay_max_ms: 0.0,
        ..fast()
    };
    let limited =
        json!({"match": false, "likes_remaining": 0, "rate_limited_until": T0 + 65.0 * MIN});
    let cases = [
        (
            DialogKind::Match,
            Some(json!({"match": {"_id": "m1"}, "likes_remaining": 100})),
            true,
            "Stopped: It's a match with Anna — see the match dialog",
        ),
        (
            DialogKind::OutOfLikes,
            Some(limited),
            false,
            "Stopped: out of likes until 13:05",
        ),
        (
            DialogKind::Match,
            Some(json!({"match": false, "likes_remaining": 100})),
            false,
            "Stopped: the page shows a match dialog — close it, then switch auto-swipe on again",
        ),
    ];
    for (kind, answer, matched, message) in cases {
        let mut a = machine(quick.clone());
        let out = a.handle(Event::TopCard(Some(card("a", "Anna", 0.9))), T0);
        assert_eq!(presses(&out).len(), 1);
        // The page shows its dialog before the hook reports the like's answer.
        let out = a.handle(Event::Dialogs(vec![kind]), T0 + 100.0);
        assert!(
            stops(&out).is_empty(),
            "{kind:?}: the answer decides: {out:?}"
        );
        let out = a.handle(Event::Tick, T0 + 1_000.0);
        assert!(
            clicks(&out).is_empty(),
            "no retry click into a dialog: {out:?}"
        );
        let ev = Event::page_swiped("a", Verdict::Like, Some(200), answer.as_ref());
        let out = a.handle(ev, T0 + 1_200.0);
        assert!(
            out.iter()
                .any(|c| matches!(c, Command::Record { matched: m, .. } if *m == matched)),
            "{kind:?}: {out:?}"
        );
        assert_eq!(stops(&out), [message], "{kind:?}");
    }
    // No answer at all: the dialog stops it at the deadline.
    let mut a = machine(quick);
    a.handle(Event::TopCard(Some(card("a", "Anna", 0.9))), T0);
    a.handle(Event::Dialogs(vec![DialogKind::Unknown]), T0 + 100.0);
    let out = a.handle(Event::Tick, T0 + 5_000.0);
    assert_eq!(
        stops(&out),
        ["Stopped: the page shows a dialog Swipy does not know — close it, then switch auto-swipe on again"]
    );
}

#[test]
fn out_of_likes_from_the_profile_answer_stops_and_refuses_likes() {
    let mut a = quick_off();
    // Tinder says 100 until the last like: that is no limit.
    a.handle(
        Event::Allowance {
            likes_remaining: Some(100),
            until_ms: None,
        },
        T0,
    );
    a.handle(Event::TopCard(Some(card("a", "Anna", 0.9))), T0);
    let out = a.handle(Event::SetEnabled(true), T0 + 1.0);
    assert_eq!(presses(&out).len(), 1, "{out:?}");
    a.handle(swiped("a", Verdict::Like, None), T0 + LATENCY);
    let out = a.handle(
        Event::Allowance {
            likes_remaining: Some(0),
            until_ms: None,
        },
        T0 + 1_000.0,
    );
    assert_eq!(stops(&out), ["Stopped: out of likes"]);
    a.handle(Event::TopCard(Some(card("b", "Bea", 0.9))), T0 + 2_000.0);
    let out = a.handle(Event::SetEnabled(true), T0 + 3_000.0);
    assert_eq!(stops(&out), ["Stopped: out of likes"]);
    assert!(presses(&out).is_empty());
}

#[test]
fn out_of_likes_from_the_response_stops_until_the_limit_ends() {
    let mut a = machine(Settings {
        delay_min_ms: 0.0,
        delay_max_ms: 0.0,
        ..fast()
    });
    a.set_utc_offset_min(60);
    a.handle(Event::TopCard(Some(card("a", "Anna", 0.9))), T0);
    // 2025-11-28 13:05 UTC = 14:05 local.
    let until = T0 + 65.0 * MIN;
    let body =
        json!({"status": 200, "match": false, "likes_remaining": 0, "rate_limited_until": until});
    let out = a.handle(
        swiped("a", Verdict::Like, Some(parse_like_response(&body))),
        T0 + LATENCY,
    );
    assert!(matches!(&out[0], Command::Record { .. }));
    assert_eq!(
        stops(&out),
        vec!["Stopped: out of likes until 14:05".to_owned()]
    );
    assert_eq!(
        a.likes_in_window(T0 + LATENCY),
        0,
        "a refused like does not count"
    );
    // Switching on before then stops at once; after, it runs.
    let out = a.handle(Event::SetEnabled(true), T0 + 30.0 * MIN);
    assert_eq!(
        stops(&out),
        vec!["Stopped: out of likes until 14:05".to_owned()]
    );
    a.handle(Event::TopCard(Some(card("b", "Bea", 0.9))), until);
    let out = a.handle(Event::SetEnabled(true), until + 1.0);
    assert_eq!(presses(&out).len(), 1, "{out:?}");
}

#[test]
fn zero_likes_remaining_stops_after_recording() {
    let mut a = machine(Settings {
        delay_min_ms: 0.0,
        delay_max_ms: 0.0,
        ..fast()
    });
    a.handle(Event::TopCard(Some(card("a", "Anna", 0.9))), T0);
    let resp = LikeOutcome {
        likes_remaining: Some(0),
        ..Default::default()
    };
    let out = a.handle(swiped("a", Verdict::Like, Some(resp)), T0 + LATENCY);
    assert!(matches!(&out[0], Command::Record { .. }));
    assert_eq!(stops(&out), vec!["Stopped: out of likes".to_owned()]);
    assert_eq!(a.likes_in_window(T0 + LATENCY), 1, "that like went through");
}

#[test]
fn unknown_scores_are_never_guessed() {
    let mut a = machine(Settings {
        delay_min_ms: 0.0,
        delay_max_ms: 0.0,
        ..fast()
    });
    let pending = Card {
        score: CardScore::Pending,
        ..card("a", "Anna", 0.0)
    };
    let out = a.handle(Event::TopCard(Some(pending.clone())), T0);
    assert!(presses(&out).is_empty());
    // It wakes every 2 s while it waits (the worker asks the host again), at most 10 s.
    assert_eq!(wake(&out), Some(T0 + 2_000.0));
    let out = a.handle(Event::Tick, T0 + 9_000.0);
    assert_eq!(wake(&out), Some(T0 + 10_000.0));
    assert_eq!(a.status_text(T0), "Waiting for the score of Anna");
    assert!(presses(&a.handle(Event::Tick, T0 + 5_000.0)).is_empty());
    // The score arrives in time: the card is swiped.
    let out = a.handle(Event::TopCard(Some(card("a", "Anna", 0.2))), T0 + 6_000.0);
    assert_eq!(
        presses(&out),
        vec![("a".to_owned(), Verdict::Nope, "ArrowLeft")]
    );

    // It never arrives: stop and say so.
    let mut a = machine(fast());
    a.handle(Event::TopCard(Some(pending)), T0);
    let out = a.handle(Event::Tick, T0 + 10_000.0);
    assert_eq!(
        stops(&out),
        vec!["Stopped: no score for Anna after 10 s — swipe it yourself, then switch auto-swipe on again".to_owned()]
    );
    let mut a = machine(fast());
    let no_model = Card {
        score: CardScore::NoModel,
        ..card("a", "Anna", 0.0)
    };
    a.handle(Event::TopCard(Some(no_model)), T0);
    let out = a.handle(Event::Tick, T0 + 10_000.0);
    assert_eq!(
        stops(&out),
        vec!["Stopped: there is no trained model yet — label profiles and train first".to_owned()]
    );
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

#[test]
fn switching_to_dry_run_cancels_a_planned_press() {
    let mut a = machine(fast());
    let out = a.handle(Event::TopCard(Some(card("a", "Anna", 0.9))), T0);
    let press_at = wake(&out).expect("planned");
    a.set_settings(
        Settings {
            dry_run: true,
            ..fast()
        },
        T0 + 1.0,
    )
    .expect("valid");
    let out = a.handle(Event::Tick, press_at);
    assert!(presses(&out).is_empty(), "{out:?}");
    assert!(a.settings().enabled && a.settings().dry_run);
}

#[test]
fn switching_off_still_records_the_outstanding_swipe() {
    let mut a = machine(Settings {
        delay_min_ms: 0.0,
        delay_max_ms: 0.0,
        ..fast()
    });
    a.handle(Event::TopCard(Some(card("a", "Anna", 0.9))), T0);
    let out = a
        .set_settings(
            Settings {
                enabled: false,
                ..fast()
            },
            T0 + 10.0,
        )
        .expect("valid");
    assert_eq!(
        stops(&out),
        vec!["Stopped: you switched auto-swipe off".to_owned()]
    );
    let out = a.handle(swiped("a", Verdict::Like, None), T0 + LATENCY);
    assert!(matches!(&out[0], Command::Record { .. }), "{out:?}");
    assert_eq!(a.likes_in_window(T0 + LATENCY), 1);
    assert!(presses(&a.handle(Event::TopCard(Some(card("b", "Bea", 0.9))), T0 + MIN)).is_empty());
}

// ----- persistence ---------------------------------------------------------------------------

#[test]
fn caps_survive_a_restart() {
    let s = Settings {
        likes_per_12h: 3,
        ..fast()
    };
    let mut a = machine(s.clone());
    let mut now = T0;
    drive(&mut a, &mut now, deck(&[0.9, 0.9]), 100);
    assert_eq!(a.likes_in_window(now), 2);
    let saved = serde_json::to_string(&a.to_json()).expect("serialize");

    let v: Value = serde_json::from_str(&saved).expect("parse");
    let mut b = AutoSwipe::from_json(s, 1, &v).expect("restore");
    assert_eq!(b.likes_in_window(now), 2);
    let run = drive(&mut b, &mut now, deck(&[0.9, 0.9, 0.9]), 100);
    assert_eq!(
        run.presses().len(),
        1,
        "one like left under the cap after the restart"
    );
    assert!(matches!(
        run.stops()[0].0,
        StopReason::LikesCap { cap: 3, .. }
    ));
}

#[test]
fn broken_state_is_refused_and_empty_state_is_fine() {
    let err = AutoSwipe::from_json(fast(), 1, &json!({"likes_ms": "yesterday"})).expect_err("bad");
    assert!(err
        .to_string()
        .starts_with("stored auto-swipe state is unreadable"));
    let a = AutoSwipe::from_json(fast(), 1, &json!({})).expect("empty");
    assert_eq!(a.likes_in_window(T0), 0);
}

// ----- helpers -------------------------------------------------------------------------------

#[test]
fn like_responses_and_scores_are_read() {
    // The page's answer is read with the one Tinder parser (`likes_remaining` as a string,
    // wrapped in `data`).
    let body = json!({"meta": {"status": 200}, "data": {"match": false, "likes_remaining": "0"}});
    let Event::PageSwiped {
        response: Some(r),
        status,
        ..
    } = Event::page_swiped("a", Verdict::Like, Some(200), Some(&body))
    else {
        panic!("a page swipe with an answer");
    };
    assert_eq!(status, Some(200));
    assert_eq!(r.likes_remaining, Some(0));
    assert!(!r.matched);
    assert_eq!(
        Event::page_swiped("a", Verdict::Nope, None, Some(&json!(null))),
        Event::PageSwiped {
            profile_id: "a".into(),
            verdict: Verdict::Nope,
            status: None,
            response: None
        }
    );

    let score = |state: &str, p: Option<f64>| Score {
        id: "a".into(),
        p_like: p,
        parts: Default::default(),
        model_version: Some(1),
        state: state.into(),
    };
    assert_eq!(
        CardScore::from_score(&score("ready", Some(0.7))),
        CardScore::Known(0.7)
    );
    assert_eq!(
        CardScore::from_score(&score("ready", None)),
        CardScore::Pending
    );
    assert_eq!(
        CardScore::from_score(&score("pending", Some(0.7))),
        CardScore::Pending
    );
    assert_eq!(
        CardScore::from_score(&score("no_model", None)),
        CardScore::NoModel
    );
    assert_eq!(
        CardScore::from_score(&score("ready", Some(f64::NAN))),
        CardScore::Pending
    );
}

#[test]
fn clock_is_local_and_rounds_up() {
    assert_eq!(clock(T0, 0), "12:00");
    assert_eq!(clock(T0 + 1.0, 0), "12:01");
    assert_eq!(clock(T0, 120), "14:00");
    assert_eq!(clock(T0, -13 * 60), "23:00");
}
