use super::*;
use serde_json::json;
use swipy_shared::ScoreState;

#[test]
fn popup_settings_merge_converts_whole_numbers_and_refuses_bad_input() {
    let base = Settings::default();
    let patch = json!({"likes_per_12h": 40.0, "delay_min_ms": 1500.0, "dry_run": true});
    let s = merge_settings(&base, patch.as_object().expect("obj")).expect("merged");
    assert_eq!(s.likes_per_12h, 40);
    assert_eq!(s.delay_min_ms, 1500.0);
    assert!(s.dry_run);
    assert!(!s.enabled, "the switch is never set through settings");
    let bad = [
        json!({"likes_per_12h": 2.5}),
        json!({"likes_per_12h": -1}),
        json!({"threshold": "0.5"}),
        json!({"dry_run": 1}),
        json!({"speed": 3}),
        json!({"threshold": 2}),
    ];
    for p in bad {
        assert!(
            merge_settings(&base, p.as_object().expect("obj")).is_err(),
            "{p}"
        );
    }
    let keep = json!({"threshold": null});
    assert_eq!(
        merge_settings(&base, keep.as_object().expect("obj"))
            .expect("ok")
            .threshold,
        base.threshold
    );
    let on = json!({"enabled": true});
    assert!(
        !merge_settings(&base, on.as_object().expect("obj"))
            .expect("ok")
            .enabled
    );
}

fn decision(id: &str, verdict: Verdict, score: f64, dry: bool) -> Decision {
    Decision {
        profile_id: id.into(),
        name: Some("Anna".into()),
        verdict,
        score,
        reason: if verdict == Verdict::Like {
            DecisionReason::AboveThreshold
        } else {
            DecisionReason::BelowThreshold
        },
        reason_text: "r".into(),
        dry_run: dry,
        at_ms: 1.0,
    }
}

#[test]
fn the_card_shows_the_latest_decision_for_its_own_profile_only() {
    let mut d = AutoDriver::new(1);
    assert!(d.decision_view("a").is_none());
    d.shown(&decision("a", Verdict::Like, 0.734, false));
    d.shown(&decision("b", Verdict::Nope, 0.2, true));
    let a = d.decision_view("a").expect("a");
    assert_eq!(a.verdict, Verdict::Like);
    assert_eq!(a.text, "auto: like (73% ≥ 60%)");
    let b = d.decision_view("b").expect("b");
    assert_eq!(b.text, "dry run: pass (20% < 60%)");
    assert!(d.decision_view("c").is_none());
    d.recorded(&decision("a", Verdict::Like, 0.734, false), true);
    let dbg = d.debug(1.0);
    assert_eq!(dbg["decisions"][0]["confirmed"], true);
    assert_eq!(dbg["decisions"][0]["matched"], true);
    assert_eq!(dbg["decisions"][1]["confirmed"], false);
}

#[test]
fn the_top_card_is_fed_only_when_it_or_its_score_changes() {
    let mut d = AutoDriver::new(1);
    let card = |s: CardScore| Card {
        profile_id: "a".into(),
        name: None,
        score: s,
    };
    assert!(d.card_changed(Some(card(CardScore::Pending))).is_some());
    assert!(d.card_changed(Some(card(CardScore::Pending))).is_none());
    assert!(d.card_changed(Some(card(CardScore::Known(0.5)))).is_some());
    assert!(d.card_changed(None).is_some());
    assert!(d.card_changed(None).is_none());
    d.reset_card();
    assert!(d.card_changed(None).is_some());
}

#[test]
fn a_score_not_yet_answered_is_pending_not_a_guess() {
    assert_eq!(card_score(None), CardScore::Pending);
    let s = Score {
        id: "a".into(),
        p_like: Some(0.4),
        parts: Default::default(),
        model_version: Some(1),
        state: ScoreState::Ready,
    };
    assert_eq!(card_score(Some(&s)), CardScore::Known(0.4));
}
