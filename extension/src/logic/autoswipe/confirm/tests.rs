//! Tests of the page's answers: confirmations, mismatches, failures, matches, out of likes.

use crate::logic::autoswipe::test_support::*;

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
