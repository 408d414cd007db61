//! Tests of pacing and limits: presses, caps, delays and breaks, one swipe at a time and
//! the retry click.

use crate::logic::autoswipe::test_support::*;

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
