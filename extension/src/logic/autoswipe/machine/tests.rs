//! Tests of the machine's events and checks: what stops it, what it cannot start with,
//! restarts.

use crate::logic::autoswipe::test_support::*;

#[test]
fn off_by_default_does_nothing() {
    let mut a = machine(Settings::default());
    let mut out = a.handle(Event::TopCard(Some(card("a", "Anna", 0.99))), T0);
    out.extend(a.handle(Event::Tick, T0 + 60.0 * MIN));
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(a.status_text(T0), "Auto-swipe is off");
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
