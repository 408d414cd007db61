//! Tests of the outbox's delivery: storage, acks, replay, retries, quarantine.

use crate::logic::brain::test_support::*;

/// Outbox entries stored (not the auto-swipe counts).
fn outbox_stores(actions: &[Action]) -> Vec<String> {
    stores(actions)
        .into_iter()
        .filter(|k| k != auto::STATE_KEY)
        .collect()
}

fn ack(b: &mut Brain, key: &str) -> Vec<Action> {
    b.host_message(
        &json!({"v": 1, "id": 901, "re": 1, "type": "ack", "data": {"key": key}}),
        T0,
    )
}

/// The delay of the timer the brain asked for.
fn retry_timer(actions: &[Action]) -> f64 {
    actions
        .iter()
        .find_map(|x| match x {
            Action::TickIn(ms) => Some(*ms),
            _ => None,
        })
        .expect("a retry timer")
}

/// A ready brain with one recs page sent; returns its key.
fn brain_with_recs_in_flight() -> (Brain, String) {
    let mut b = ready_brain();
    let a = b.port_message(
        TAB,
        &json!({"kind": "recs", "body": recs_body(), "at_ms": T0}),
        T0,
    );
    assert_eq!(kinds(&to_host(&a)), ["recs"]);
    let key = b.outbox_keys()[0].clone();
    (b, key)
}

#[test]
fn a_label_is_stored_before_it_is_sent_and_removed_on_ack() {
    let mut b = ready_brain();
    b.port_message(
        TAB,
        &json!({"kind": "recs", "body": recs_body(), "at_ms": T0}),
        T0,
    );
    b.port_message(
        TAB,
        &json!({"kind": "card", "card": {"name": "Anna", "age": 27}}),
        T0,
    );
    let a = b.port_message(
        TAB,
        &json!({"kind": "label", "verdict": "like", "card": {"name": "Anna", "age": 27}}),
        T0 + 5.0,
    );
    let store_at = a
        .iter()
        .position(|x| matches!(x, Action::Store { .. }))
        .expect("stored");
    let send_at = a
        .iter()
        .position(|x| matches!(x, Action::ToHost(v) if v["type"] == "label"))
        .expect("sent");
    assert!(store_at < send_at, "stored before sent: {a:?}");
    let sent = to_host(&a)
        .into_iter()
        .find(|m| m["type"] == "label")
        .expect("label");
    assert_eq!(sent["data"]["profile_id"], "aaa1");
    assert_eq!(sent["data"]["source"], "overlay");
    let key = sent["data"]["key"].as_str().expect("key").to_owned();
    assert_eq!(stores(&a), [format!("outbox:{key}")]);
    assert_eq!(last_card_info(&a)["label"]["state"], "pending");

    let a = ack(&mut b, &key);
    assert!(a.contains(&Action::Unstore {
        key: format!("outbox:{key}")
    }));
    let info = last_card_info(&a);
    assert_eq!(info["label"]["state"], "saved");
    assert_eq!(info["label"]["verdict"], "like");
    assert!(!b.outbox_keys().contains(&key));
}

#[test]
fn labels_made_while_the_host_is_away_are_replayed_in_order_after_reconnect() {
    let mut b = ready_brain();
    let a = b.port_message(
        TAB,
        &json!({"kind": "recs", "body": recs_body(), "at_ms": T0}),
        T0,
    );
    let recs_key = b.outbox_keys()[0].clone();
    let sent = to_host(&a).remove(0);
    assert_eq!(sent["type"], "recs");
    b.host_message(
        &json!({"v": 1, "id": 5, "re": sent["id"], "type": "ingested", "data": {"profiles": 2, "new_profiles": 2, "skipped": 0, "ids": ["aaa1", "bbb2"], "rate_limited": false}}),
        T0,
    );
    let a = b.host_lost("Native host has exited.", T0 + 10.0);
    assert!(a
        .iter()
        .any(|x| matches!(x, Action::TickIn(ms) if (1000.0..=1200.0).contains(ms))));
    // The user keeps swiping while the host is down.
    let swipes = [("aaa1", "like", T0 + 100.0), ("bbb2", "nope", T0 + 200.0)];
    for (id, v, at) in swipes {
        let a = b.port_message(
            TAB,
            &json!({"kind": "swipe", "profile_id": id, "verdict": v, "at_ms": at, "status": 200}),
            at,
        );
        assert_eq!(outbox_stores(&a).len(), 1, "kept durably");
        assert!(to_host(&a).is_empty(), "nothing goes to a missing host");
    }
    // Not yet: the retry is 1 s after the loss.
    assert!(!b.tick(T0 + 500.0).contains(&Action::OpenHost));
    assert!(b.tick(T0 + 1_300.0).contains(&Action::OpenHost));
    let hello = to_host(&b.host_opened(T0 + 1_300.0)).remove(0);
    let a = answer_hello(&mut b, &hello);
    let sent = to_host(&a);
    let seen: Vec<(String, String)> = sent
        .iter()
        .filter(|m| m["type"] == "swipe_seen")
        .map(|m| {
            (
                m["data"]["profile_id"].as_str().unwrap_or("").to_owned(),
                m["data"]["source"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("aaa1".into(), "swipe".into()),
            ("bbb2".into(), "swipe".into())
        ]
    );
    assert!(
        !b.outbox_keys().contains(&recs_key),
        "ingested recs are not replayed"
    );
}

#[test]
fn a_restarted_worker_replays_what_storage_kept() {
    let mut b = ready_brain();
    b.host_lost("Native host has exited.", T0);
    let a = b.port_message(
        TAB,
        &json!({"kind": "swipe", "profile_id": "aaa1", "verdict": "superlike", "at_ms": T0}),
        T0,
    );
    let stored: Vec<Value> = a
        .iter()
        .filter_map(|x| match x {
            Action::Store { value, .. } => Some(value.clone()),
            _ => None,
        })
        .collect();
    // The worker dies; a new one starts from storage (plus one broken entry).
    let mut b2 = Brain::new("chrome", 7);
    let mut from_storage = stored.clone();
    from_storage.push(json!({"nonsense": true}));
    let a = b2.start(from_storage, T0 + 60_000.0);
    assert!(a
        .iter()
        .any(|x| matches!(x, Action::Log(l) if l.contains("broken outbox entry"))));
    let hello = to_host(&b2.host_opened(T0 + 60_000.0)).remove(0);
    let a = answer_hello(&mut b2, &hello);
    let sent = to_host(&a);
    assert_eq!(kinds(&sent), ["swipe_seen"]);
    assert_eq!(sent[0]["data"]["verdict"], "superlike");
    assert_eq!(
        sent[0]["data"]["key"], stored[0]["key"],
        "same idempotency key after restart"
    );
}

#[test]
fn the_same_page_call_reported_twice_is_stored_once() {
    let mut b = ready_brain();
    let m = json!({"kind": "swipe", "profile_id": "aaa1", "verdict": "like", "at_ms": T0});
    let first = b.port_message(TAB, &m, T0);
    let second = b.port_message(TAB, &m, T0 + 1.0);
    assert_eq!(outbox_stores(&first).len(), 1);
    assert!(
        stores(&second).is_empty(),
        "neither stored nor counted twice"
    );
    assert!(to_host(&second).is_empty());
}

#[test]
fn a_transient_host_error_is_retried_with_backoff_without_a_reconnect() {
    let mut b = ready_brain();
    let a = b.port_message(
        TAB,
        &json!({"kind": "swipe", "profile_id": "aaa1", "verdict": "like", "at_ms": T0}),
        T0,
    );
    let m = to_host(&a).remove(0);
    let a = b.host_message(
        &json!({"v": 1, "id": 9, "re": m["id"], "type": "error", "data": {"code": 10, "message": "disk full"}}),
        T0,
    );
    assert!(!a.iter().any(|x| matches!(x, Action::Unstore { .. })));
    assert!(
        !a.contains(&Action::CloseHost),
        "no reconnect for a transient error"
    );
    assert!(to_host(&a).is_empty(), "not resent at once");
    let delay = retry_timer(&a);
    assert!(
        (1_000.0..=1_200.0).contains(&delay),
        "first backoff {delay}"
    );
    assert!(
        to_host(&b.tick(T0 + 500.0)).is_empty(),
        "not before the backoff"
    );
    let again = to_host(&b.tick(T0 + delay));
    assert_eq!(
        kinds(&again),
        ["swipe_seen"],
        "resent on the same connection"
    );
    assert_eq!(again[0]["data"]["profile_id"], "aaa1");
    // Busy again: the second delay is longer.
    let a = b.host_message(
        &json!({"v": 1, "id": 10, "re": again[0]["id"], "type": "error", "data": {"code": 14, "message": "busy"}}),
        T0 + delay,
    );
    let delay2 = retry_timer(&a);
    assert!(delay2 >= 2_000.0, "second backoff {delay2}");
    let again = to_host(&b.tick(T0 + delay + delay2));
    let key = b.outbox_keys()[0].clone();
    ack(&mut b, &key);
    assert!(b.outbox_keys().is_empty());
    assert_eq!(kinds(&again), ["swipe_seen"]);
}

#[test]
fn a_label_the_host_refuses_or_does_not_understand_waits_and_the_popup_says_why() {
    let mut b = ready_brain();
    b.port_connected(POPUP, PortKind::Popup, T0);
    let mut sent = Vec::new();
    for id in ["aaa1", "bbb2"] {
        let a = b.port_message(
            TAB,
            &json!({"kind": "swipe", "profile_id": id, "verdict": "like", "at_ms": T0}),
            T0,
        );
        sent.push(to_host(&a).remove(0));
    }
    // An older host does not know the type; another refuses the data.
    b.host_message(
        &json!({"v": 1, "id": 9, "re": sent[0]["id"], "type": "error", "data": {"code": 7, "message": "unknown message type `swipe_seen`"}}),
        T0,
    );
    let a = b.host_message(
        &json!({"v": 1, "id": 9, "re": sent[1]["id"], "type": "error", "data": {"code": 11, "message": "bad id"}}),
        T0,
    );
    assert!(!a.iter().any(|x| matches!(x, Action::Unstore { .. })));
    assert_eq!(b.outbox_keys().len(), 2, "no label is deleted");
    let view = popup_view(&a);
    let held = view["held_text"].as_str().unwrap_or("");
    assert!(held.starts_with("2 labels wait"), "{held}");
    assert!(
        held.contains("does not understand") && held.contains("update"),
        "{held}"
    );
    assert_eq!(view["waiting"], 2);
    // Not resent on this connection (no loop), resent to the next host.
    assert!(to_host(&b.tick(T0 + 600_000.0)).is_empty());
    b.host_lost("Native host has exited.", T0 + 600_000.0);
    b.tick(T0 + 700_000.0);
    let hello = to_host(&b.host_opened(T0 + 700_000.0)).remove(0);
    let a = answer_hello(&mut b, &hello);
    let sent = kinds(&to_host(&a));
    assert_eq!(
        sent.iter().filter(|k| *k == "swipe_seen").count(),
        2,
        "{sent:?}"
    );
    // A recs page the host refuses may be dropped: the page fetches recs again.
    let a = b.port_message(
        TAB,
        &json!({"kind": "recs", "body": recs_body(), "at_ms": T0}),
        T0,
    );
    let m = to_host(&a).remove(0);
    let a = b.host_message(
        &json!({"v": 1, "id": 9, "re": m["id"], "type": "error", "data": {"code": 8, "message": "bad data"}}),
        T0,
    );
    assert!(a
        .iter()
        .any(|x| matches!(x, Action::Unstore { key } if key.starts_with("outbox:r-"))));
    assert_eq!(b.outbox_keys().len(), 2);
}

#[test]
fn a_recs_page_is_dropped_only_when_it_was_the_sole_request_at_each_host_death() {
    let (mut b, recs_key) = brain_with_recs_in_flight();
    let mut now = T0;
    // The host dies on the recs page every time it gets it, alone in flight.
    for round in 1..=outbox::DROP_RECS_AFTER {
        let a = b.host_lost("Native host has exited.", now);
        let dropped = a.contains(&Action::Unstore {
            key: format!("outbox:{recs_key}"),
        });
        assert_eq!(dropped, round == outbox::DROP_RECS_AFTER, "round {round}");
        now += 700_000.0;
        let sent = reconnect(&mut b, now);
        if round < outbox::DROP_RECS_AFTER {
            assert_eq!(kinds(&sent), ["recs"], "round {round}");
        } else {
            assert!(sent.is_empty(), "{sent:?}");
        }
    }
    // Deaths with a label in flight beside it never count toward dropping: the page is
    // quarantined (it was the one the host was handling), the label behind it not blamed.
    let (mut b, recs_key) = brain_with_recs_in_flight();
    b.port_message(
        TAB,
        &json!({"kind": "swipe", "profile_id": "aaa1", "verdict": "like", "at_ms": T0}),
        T0,
    );
    let mut now = T0;
    for death in 1..=8 {
        let a = b.host_lost("Native host has exited.", now);
        assert!(
            !a.iter().any(|x| matches!(x, Action::Unstore { .. })),
            "death {death}: nothing dropped"
        );
        now += 700_000.0;
        let sent = kinds(&reconnect(&mut b, now));
        assert_eq!(sent, ["recs", "swipe_seen"], "death {death}");
    }
    assert_eq!(b.outbox_keys().len(), 2, "both kept");
    let export = b.waiting_export();
    let label = &export["entries"][0];
    assert_eq!(
        label["host_stopped_times"], 0,
        "the label was not blamed: {label}"
    );
    assert!(b.outbox_keys().contains(&recs_key));
}

#[test]
fn only_the_label_the_host_died_on_counts_and_is_quarantined_never_deleted_and_all_arrive() {
    let mut b = ready_brain();
    let mut now = T0;
    let ids = ["aaa1", "bbb2", "ccc3"];
    for id in ids {
        b.port_message(
            TAB,
            &json!({"kind": "swipe", "profile_id": id, "verdict": "like", "at_ms": now}),
            now,
        );
    }
    // The host dies on every label frame for its first 4 starts: each time on the first
    // one it reads (it answers in order); the two behind it wait.
    let mut stored = Vec::new();
    let mut in_flight = Vec::new();
    for start in 1..=4 {
        let a = b.host_lost("Native host has exited.", now);
        assert!(
            !a.iter().any(|x| matches!(x, Action::Unstore { .. })),
            "start {start}: no label is deleted"
        );
        for x in &a {
            if let Action::Store { key, value } = x {
                if key.starts_with("outbox:s-") {
                    let id = value["request"]["data"]["profile_id"]
                        .as_str()
                        .unwrap_or("");
                    stored.push((id.to_owned(), value["crashes"].as_u64().unwrap_or(0)));
                }
            }
        }
        assert_eq!(b.outbox_keys().len(), 3);
        now += 70_000.0;
        let sent = reconnect(&mut b, now);
        let labels: Vec<&str> = sent
            .iter()
            .filter(|m| m["type"] == "swipe_seen")
            .filter_map(|m| m["data"]["profile_id"].as_str())
            .collect();
        assert_eq!(labels, ids, "start {start}: replayed in order");
        in_flight = sent;
    }
    let want: Vec<(String, u64)> = (1..=4).map(|n| ("aaa1".to_owned(), n)).collect();
    assert_eq!(
        stored, want,
        "only the label the host was handling counts, stored each time"
    );
    // The popup says which one waits, and why.
    b.port_connected(POPUP, PortKind::Popup, now);
    let a = b.port_message(POPUP, &json!({"kind": "status"}), now);
    let view = popup_view(&a);
    assert_eq!(view["quarantined"], 1);
    assert_eq!(
        view["quarantine_text"],
        "1 label waits: the Swipy app stopped while saving them"
    );
    // Export: every waiting label, with its request and how often the host stopped on it.
    let a = b.port_message(POPUP, &json!({"kind": "export_waiting"}), now);
    let file = posts(&a, POPUP)
        .into_iter()
        .find(|m| m["kind"] == "waiting_export")
        .expect("export");
    let exported: Vec<(&str, u64)> = file["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["request"]["data"]["profile_id"].as_str().unwrap_or(""),
                e["host_stopped_times"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    assert_eq!(exported, [("aaa1", 4), ("bbb2", 0), ("ccc3", 0)]);
    // The host works now: each answer in turn empties the outbox and the popup's line.
    for m in in_flight.iter().filter(|m| m["type"] == "swipe_seen") {
        ack(&mut b, m["data"]["key"].as_str().unwrap_or(""));
    }
    assert!(b.outbox_keys().is_empty());
    let a = b.port_message(POPUP, &json!({"kind": "status"}), now);
    let view = popup_view(&a);
    assert_eq!(view["quarantined"], 0);
    assert!(view["quarantine_text"].is_null());
}

#[test]
fn a_long_backlog_through_many_host_deaths_blames_no_label_the_host_never_reached() {
    // The fault run's shape: hundreds of labels replayed after each start, the host killed
    // while it works through them. Only the one it was handling at each death counts.
    let mut b = ready_brain();
    let mut now = T0;
    b.host_lost("Native host has exited.", now);
    for i in 0..300 {
        b.port_message(
            TAB,
            &json!({"kind": "swipe", "profile_id": format!("p{i:04}"), "verdict": "like", "at_ms": now}),
            now,
        );
    }
    for death in 0..40 {
        now += 70_000.0;
        let sent = reconnect(&mut b, now);
        assert_eq!(sent.len(), 300 - death * 3, "death {death}: all replayed");
        // The host answers the first few it reads, in order, then is killed.
        for m in sent.iter().take(3) {
            b.host_message(
                &json!({"v": 1, "id": 901, "re": m["id"], "type": "ack", "data": {"key": m["data"]["key"]}}),
                now,
            );
        }
        b.host_lost("Native host has exited.", now);
    }
    let export = b.waiting_export();
    let entries = export["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 300 - 40 * 3, "every unanswered label waits");
    let blamed: Vec<u64> = entries
        .iter()
        .map(|e| e["host_stopped_times"].as_u64().unwrap_or(0))
        .filter(|&n| n > 0)
        .collect();
    assert!(
        blamed.len() <= 1,
        "at most the head of the line is blamed: {blamed:?}"
    );
    assert!(
        entries.iter().all(|e| e["quarantined"] == false),
        "no label is quarantined for deaths it waited behind"
    );
}

#[test]
fn a_quarantined_label_is_retried_by_itself_after_its_backoff() {
    let mut b = ready_brain();
    let mut now = T0;
    b.port_message(
        TAB,
        &json!({"kind": "swipe", "profile_id": "aaa1", "verdict": "like", "at_ms": now}),
        now,
    );
    for _ in 0..outbox::QUARANTINE_AFTER {
        b.host_lost("Native host has exited.", now);
        now += 70_000.0;
        reconnect(&mut b, now);
    }
    // Quarantined at the last death: not in the replay, but after its delay.
    let a = b.host_lost("Native host has exited.", now);
    assert!(!a.iter().any(|x| matches!(x, Action::Unstore { .. })));
    let t = now + 1_500.0;
    let sent = reconnect(&mut b, t);
    assert!(sent.iter().all(|m| m["type"] != "swipe_seen"), "{sent:?}");
    let wait = outbox::quarantine_delay_ms(outbox::QUARANTINE_AFTER + 1);
    let early = kinds(&to_host(&b.tick(now + wait - 10.0)));
    assert!(early.iter().all(|k| k != "swipe_seen"), "{early:?}");
    assert_eq!(kinds(&to_host(&b.tick(now + wait))), ["swipe_seen"]);
}

#[test]
fn quarantined_labels_kept_in_storage_wait_in_the_popup_and_retry_sends_them_one_at_a_time() {
    // Three labels the host stopped on three times each, as a restarted worker reads them.
    let mut b = ready_brain();
    b.host_lost("Native host has exited.", T0);
    let ids = ["aaa1", "bbb2", "ccc3"];
    let mut stored = Vec::new();
    for id in ids {
        let a = b.port_message(
            TAB,
            &json!({"kind": "swipe", "profile_id": id, "verdict": "like", "at_ms": T0}),
            T0,
        );
        for x in a {
            if let Action::Store { key, mut value } = x {
                if key.starts_with("outbox:s-") {
                    value["crashes"] = json!(outbox::QUARANTINE_AFTER);
                    stored.push(value);
                }
            }
        }
    }
    assert_eq!(stored.len(), 3);
    let now = T0 + 60_000.0;
    let mut b = Brain::new("chrome", 7);
    b.start(stored, now);
    let hello = to_host(&b.host_opened(now)).remove(0);
    let sent = to_host(&answer_hello(&mut b, &hello));
    assert!(
        sent.iter().filter(|m| m["type"] == "swipe_seen").count() <= 1,
        "quarantined ones go one at a time: {sent:?}"
    );
    b.port_connected(POPUP, PortKind::Popup, now);
    let view = popup_view(&b.port_message(POPUP, &json!({"kind": "status"}), now));
    assert_eq!(view["quarantined"], 3);
    assert_eq!(
        view["quarantine_text"],
        "3 labels wait: the Swipy app stopped while saving them"
    );
    // Retry: one at a time, each after the last one's answer.
    let a = b.port_message(POPUP, &json!({"kind": "retry_waiting"}), now);
    let mut next: Vec<Value> = sent;
    next.extend(to_host(&a));
    next.retain(|m| m["type"] == "swipe_seen");
    let mut got = Vec::new();
    while let Some(m) = next.pop() {
        assert!(next.is_empty(), "one quarantined entry at a time");
        got.push(m["data"]["profile_id"].as_str().unwrap_or("").to_owned());
        let a = b.host_message(
            &json!({"v": 1, "id": 901, "re": m["id"], "type": "ack", "data": {"key": m["data"]["key"]}}),
            now,
        );
        next = to_host(&a);
        next.retain(|m| m["type"] == "swipe_seen");
    }
    got.sort();
    assert_eq!(got, ids);
    assert!(b.outbox_keys().is_empty());
    let view = popup_view(&b.port_message(POPUP, &json!({"kind": "status"}), now));
    assert_eq!(view["quarantined"], 0);
    assert!(view["quarantine_text"].is_null());
}
