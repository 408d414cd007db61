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
    // Deaths with a label in flight beside it do not count toward dropping: only the deaths
    // after quarantine sent it alone do.
    let (mut b, recs_key) = brain_with_recs_in_flight();
    b.port_message(
        TAB,
        &json!({"kind": "swipe", "profile_id": "aaa1", "verdict": "like", "at_ms": T0}),
        T0,
    );
    let mut now = T0;
    let mut dropped_at = Vec::new();
    for death in 1..=8 {
        let a = b.host_lost("Native host has exited.", now);
        for x in &a {
            if let Action::Unstore { key } = x {
                dropped_at.push((death, key.clone()));
            }
        }
        now += 700_000.0;
        let sent = kinds(&reconnect(&mut b, now));
        if death >= outbox::QUARANTINE_AFTER {
            assert!(
                sent.len() <= 1,
                "death {death}: quarantined entries go alone: {sent:?}"
            );
        }
    }
    let shared = outbox::QUARANTINE_AFTER;
    assert_eq!(
        dropped_at,
        [(
            shared + outbox::DROP_RECS_AFTER,
            format!("outbox:{recs_key}")
        )],
        "only the recs page, after {} deaths alone",
        outbox::DROP_RECS_AFTER
    );
    assert_eq!(b.outbox_keys().len(), 1, "the label is kept");
}

#[test]
fn labels_in_flight_at_every_host_death_are_quarantined_never_deleted_and_all_arrive() {
    let mut b = ready_brain();
    b.port_connected(POPUP, PortKind::Popup, T0);
    let mut now = T0;
    let ids = ["aaa1", "bbb2", "ccc3"];
    for id in ids {
        b.port_message(
            TAB,
            &json!({"kind": "swipe", "profile_id": id, "verdict": "like", "at_ms": now}),
            now,
        );
    }
    // The host dies on every label frame for its first 4 starts.
    let mut stored_counts = Vec::new();
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
                    stored_counts.push(value["crashes"].as_u64().unwrap_or(0));
                }
            }
        }
        assert_eq!(b.outbox_keys().len(), 3);
        now += 70_000.0;
        let sent = reconnect(&mut b, now);
        let labels = kinds(&sent).iter().filter(|k| *k == "swipe_seen").count();
        if start < outbox::QUARANTINE_AFTER {
            assert_eq!(labels, 3, "start {start}: replayed together");
        } else {
            assert!(
                labels <= 1,
                "start {start}: quarantined ones go alone ({labels})"
            );
        }
        in_flight = sent;
    }
    assert!(
        stored_counts.contains(&3),
        "the death counts are stored: {stored_counts:?}"
    );
    // The popup says so, with the count.
    let a = b.port_message(POPUP, &json!({"kind": "status"}), now);
    let view = popup_view(&a);
    assert_eq!(view["quarantined"], 3);
    assert_eq!(
        view["quarantine_text"],
        "3 labels wait: the Swipy app stopped while saving them"
    );
    // Export: every waiting label, with its request.
    let a = b.port_message(POPUP, &json!({"kind": "export_waiting"}), now);
    let file = posts(&a, POPUP)
        .into_iter()
        .find(|m| m["kind"] == "waiting_export")
        .expect("export");
    let exported: Vec<&str> = file["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["request"]["data"]["profile_id"].as_str())
        .collect();
    assert_eq!(exported, ids);
    // The host works now. Retry sends them one at a time, each after the last ack.
    let a = b.port_message(POPUP, &json!({"kind": "retry_waiting"}), now);
    let mut got = Vec::new();
    let mut sent = in_flight;
    sent.extend(to_host(&a));
    sent.retain(|m| m["type"] == "swipe_seen");
    while let Some(m) = sent.pop() {
        assert!(sent.is_empty(), "one quarantined entry at a time");
        got.push(m["data"]["profile_id"].as_str().unwrap_or("").to_owned());
        let a = ack(&mut b, m["data"]["key"].as_str().unwrap_or(""));
        sent = to_host(&a);
        sent.retain(|m| m["type"] == "swipe_seen");
    }
    got.sort();
    assert_eq!(got, ids);
    assert!(b.outbox_keys().is_empty());
    let a = b.port_message(POPUP, &json!({"kind": "status"}), now);
    let view = popup_view(&a);
    assert_eq!(view["quarantined"], 0);
    assert!(view["quarantine_text"].is_null());
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
