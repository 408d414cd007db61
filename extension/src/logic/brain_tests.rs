use super::*;
use serde_json::json;

const T0: f64 = 1_764_331_200_000.0;
const TAB: u32 = 1;
const POPUP: u32 = 2;
const TOKEN: &str = "secret-token-0c1d";

fn to_host(actions: &[Action]) -> Vec<Value> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::ToHost(v) => Some(v.clone()),
            _ => None,
        })
        .collect()
}

fn kinds(msgs: &[Value]) -> Vec<String> {
    msgs.iter()
        .map(|m| m["type"].as_str().unwrap_or("?").to_owned())
        .collect()
}

fn posts(actions: &[Action], port: u32) -> Vec<Value> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Post { port: p, msg } if *p == port => Some(msg.clone()),
            _ => None,
        })
        .collect()
}

fn stores(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Store { key, .. } => Some(key.clone()),
            _ => None,
        })
        .collect()
}

fn recs_body() -> Value {
    json!({"meta": {"status": 200}, "data": {"results": [
        {"type": "user", "user": {"_id": "aaa1", "name": "Anna", "birth_date": "1998-01-01T00:00:00Z"}},
        {"type": "user", "user": {"_id": "bbb2", "name": "Bea", "birth_date": "1995-01-01T00:00:00Z"}}
    ]}})
}

/// A brain that is connected to the host, with one tab.
fn ready_brain() -> Brain {
    let mut b = Brain::new("chrome", 42);
    let a = b.start(vec![], T0);
    assert!(a.contains(&Action::OpenHost));
    let a = b.host_opened(T0);
    let hello = &to_host(&a)[0];
    answer_hello(&mut b, hello);
    b.port_connected(TAB, PortKind::Tab, T0);
    b
}

fn answer_hello(b: &mut Brain, hello: &Value) -> Vec<Action> {
    let id = hello["id"].as_u64().expect("id");
    b.host_message(
        &json!({"v": 1, "id": 900, "re": id, "type": "hello",
                "data": {"protocol": 1, "host_version": "0.0.0", "model_version": null}}),
        T0,
    )
}

fn ack(b: &mut Brain, key: &str) -> Vec<Action> {
    b.host_message(
        &json!({"v": 1, "id": 901, "re": 1, "type": "ack", "data": {"key": key}}),
        T0,
    )
}

fn last_card_info(actions: &[Action]) -> Value {
    posts(actions, TAB)
        .into_iter()
        .rfind(|m| m["kind"] == "card_info")
        .expect("card_info")
}

#[test]
fn the_first_message_is_hello_with_our_protocol() {
    let mut b = Brain::new("firefox", 1);
    let a = b.start(vec![], T0);
    assert_eq!(a.iter().filter(|x| **x == Action::OpenHost).count(), 1);
    let a = b.host_opened(T0);
    let msgs = to_host(&a);
    assert_eq!(kinds(&msgs), ["hello"]);
    assert_eq!(msgs[0]["v"], 1);
    assert_eq!(msgs[0]["data"]["protocol"], swipy_shared::PROTOCOL_VERSION);
    assert!(msgs[0]["data"]["client"]
        .as_str()
        .is_some_and(|c| c.ends_with("firefox")));
    // Nothing else is sent before the host answers hello.
    let a = b.port_connected(TAB, PortKind::Tab, T0);
    let a2 = b.port_message(
        TAB,
        &json!({"kind": "recs", "body": recs_body(), "at_ms": T0}),
        T0,
    );
    assert!(to_host(&a).is_empty() && to_host(&a2).is_empty());
    let a = answer_hello(&mut b, &msgs[0]);
    assert_eq!(
        kinds(&to_host(&a))[0],
        "recs",
        "the waiting recs go out once ready"
    );
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
        assert_eq!(stores(&a).len(), 1, "kept durably");
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
    assert_eq!(stores(&first).len(), 1);
    assert!(stores(&second).is_empty());
    assert!(to_host(&second).is_empty());
}

#[test]
fn the_token_goes_to_the_host_only_and_never_into_storage() {
    let mut b = Brain::new("chrome", 3);
    b.start(vec![], T0);
    b.host_opened(T0);
    b.port_connected(TAB, PortKind::Tab, T0);
    let a = b.port_message(TAB, &json!({"kind": "token", "token": TOKEN}), T0);
    assert!(to_host(&a).is_empty(), "not before hello");
    // Re-read: the hello id is the first id of this brain.
    let a = answer_hello(&mut b, &json!({"id": 1}));
    let sent = to_host(&a);
    assert_eq!(kinds(&sent), ["token"]);
    assert_eq!(sent[0]["data"]["token"], TOKEN);
    // Seen again: not re-sent; a new token is.
    assert!(
        to_host(&b.port_message(TAB, &json!({"kind": "token", "token": TOKEN}), T0)).is_empty()
    );
    let a = b.port_message(TAB, &json!({"kind": "token", "token": "new-token"}), T0);
    assert_eq!(kinds(&to_host(&a)), ["token"]);
    // After a reconnect the host (which keeps it in memory only) gets it again.
    b.host_lost("Native host has exited.", T0);
    b.tick(T0 + 2_000.0);
    let hello = to_host(&b.host_opened(T0 + 2_000.0)).remove(0);
    assert_eq!(kinds(&to_host(&answer_hello(&mut b, &hello))), ["token"]);
    let state = b.debug_state().to_string();
    assert!(!state.contains(TOKEN) && !state.contains("new-token"));
    for a in [&a] {
        for x in a.iter() {
            if let Action::Store { value, .. } = x {
                assert!(!value.to_string().contains("new-token"));
            }
        }
    }
}

#[test]
fn a_label_on_an_unknown_card_is_refused_in_words() {
    let mut b = ready_brain();
    let a = b.port_message(
        TAB,
        &json!({"kind": "label", "verdict": "nope", "card": {"name": "Zoe", "age": 30}}),
        T0,
    );
    assert!(stores(&a).is_empty());
    let refused = posts(&a, TAB)
        .into_iter()
        .find(|m| m["kind"] == "label_refused")
        .expect("refused");
    assert!(refused["message"]
        .as_str()
        .is_some_and(|m| m.contains("Zoe")));
}

#[test]
fn the_overlay_follows_the_card_stack() {
    let mut b = ready_brain();
    b.port_message(
        TAB,
        &json!({"kind": "recs", "body": recs_body(), "at_ms": T0}),
        T0,
    );
    let a = b.port_message(
        TAB,
        &json!({"kind": "card", "card": {"name": "Anna", "age": 27}}),
        T0,
    );
    let info = last_card_info(&a);
    assert_eq!(info["profile_id"], "aaa1");
    assert_eq!(info["badge"]["state"], "scoring");
    // The page likes Anna; the next card is Bea.
    b.port_message(
        TAB,
        &json!({"kind": "swipe", "profile_id": "aaa1", "verdict": "like", "at_ms": T0 + 1.0}),
        T0,
    );
    let a = b.port_message(
        TAB,
        &json!({"kind": "card", "card": {"name": "Bea", "age": 30}}),
        T0,
    );
    assert_eq!(last_card_info(&a)["profile_id"], "bbb2");
    // Nothing changed: nothing is posted ...
    let a = b.host_lost("Native host has exited.", T0);
    let a2 = b.tick(T0 + 100.0);
    assert_eq!(posts(&a, TAB).len(), 1, "host state changed");
    assert!(posts(&a2, TAB).is_empty(), "nothing changed");
    // ... but a card report (the page rebuilt the card) is always answered.
    let a = b.port_message(
        TAB,
        &json!({"kind": "card", "card": {"name": "Bea", "age": 30}}),
        T0,
    );
    assert_eq!(last_card_info(&a)["profile_id"], "bbb2");
}

#[test]
fn scores_fill_the_badge() {
    let mut b = ready_brain();
    b.port_message(
        TAB,
        &json!({"kind": "recs", "body": recs_body(), "at_ms": T0}),
        T0,
    );
    let a = b.port_message(
        TAB,
        &json!({"kind": "card", "card": {"name": "Anna", "age": 27}}),
        T0,
    );
    let asked = to_host(&a)
        .into_iter()
        .find(|m| m["type"] == "scores")
        .expect("asked for a score");
    assert_eq!(asked["data"]["ids"], json!(["aaa1"]));
    let a = b.host_message(
        &json!({"v": 1, "id": 9, "re": asked["id"], "type": "scores", "data": {"scores": [
            {"id": "aaa1", "p_like": 0.734, "parts": {"photo": 0.8, "face": null, "text": 0.6, "meta": null},
             "model_version": 3, "state": "ready"}]}}),
        T0,
    );
    let badge = &last_card_info(&a)["badge"];
    assert_eq!(badge["state"], "score");
    assert_eq!(badge["text"], "73%");
    assert_eq!(badge["p_like"], 0.734);
    assert!(badge["title"]
        .as_str()
        .is_some_and(|t| t.contains("photo 80%") && t.contains("model v3")));
    // Before the first model the badge says so.
    let a = b.host_message(
        &json!({"v": 1, "id": 10, "type": "scores", "data": {"scores": [
            {"id": "aaa1", "p_like": null, "parts": {}, "model_version": null, "state": "no_model"}]}}),
        T0,
    );
    assert_eq!(last_card_info(&a)["badge"]["state"], "learning");
}

#[test]
fn a_permanent_refusal_drops_the_entry_but_a_storage_error_keeps_it() {
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
    assert_eq!(b.outbox_keys().len(), 1, "kept for the next connection");
    let a = b.port_message(
        TAB,
        &json!({"kind": "swipe", "profile_id": "bbb2", "verdict": "like", "at_ms": T0}),
        T0,
    );
    let m = to_host(&a).remove(0);
    let a = b.host_message(
        &json!({"v": 1, "id": 9, "re": m["id"], "type": "error", "data": {"code": 11, "message": "bad id"}}),
        T0,
    );
    assert!(a.iter().any(|x| matches!(x, Action::Unstore { .. })));
    assert_eq!(b.outbox_keys().len(), 1);
    assert!(b.debug_state()["last_error"]
        .as_str()
        .is_some_and(|e| e.contains("bad id")));
}

#[test]
fn a_host_of_another_protocol_is_dropped_with_a_reason() {
    let mut b = Brain::new("chrome", 5);
    b.start(vec![], T0);
    let hello = to_host(&b.host_opened(T0)).remove(0);
    let a = b.host_message(
        &json!({"v": 2, "id": 1, "re": hello["id"], "type": "hello", "data": {"protocol": 2, "host_version": "9", "model_version": null}}),
        T0,
    );
    assert!(a.contains(&Action::CloseHost));
    assert_eq!(b.debug_state()["connection"], "disconnected");
    assert!(b.debug_state()["host_error"]
        .as_str()
        .is_some_and(|e| e.contains("protocol 2")));
}

#[test]
fn a_host_that_never_answers_hello_is_dropped_and_retried() {
    let mut b = Brain::new("chrome", 5);
    b.start(vec![], T0);
    let a = b.host_opened(T0);
    assert!(a
        .iter()
        .any(|x| matches!(x, Action::TickIn(ms) if *ms == 10_000.0)));
    assert!(b.tick(T0 + 9_000.0).iter().all(|x| *x != Action::CloseHost));
    let a = b.tick(T0 + 10_000.0);
    assert!(a.contains(&Action::CloseHost));
    assert_eq!(b.debug_state()["connection"], "disconnected");
}

#[test]
fn forged_tab_messages_change_nothing() {
    let mut b = ready_brain();
    let a = b.port_message(
        TAB,
        &json!({"kind": "swipe", "profile_id": "x/../y", "verdict": "like", "at_ms": T0}),
        T0,
    );
    assert!(stores(&a).is_empty() && to_host(&a).is_empty());
    assert!(a.iter().any(|x| matches!(x, Action::Log(_))));
    // A port that never connected is ignored.
    assert!(b
        .port_message(77, &json!({"kind": "token", "token": "t"}), T0)
        .is_empty());
}

#[test]
fn the_popup_gets_status_and_fresh_stats() {
    let mut b = ready_brain();
    let a = b.port_connected(POPUP, PortKind::Popup, T0);
    let ask = to_host(&a)
        .into_iter()
        .find(|m| m["type"] == "stats")
        .expect("stats asked");
    let first = posts(&a, POPUP);
    assert_eq!(first[0]["kind"], "status");
    assert_eq!(first[0]["view"]["connection"], "connected");
    let a = b.host_message(
        &json!({"v": 1, "id": 9, "re": ask["id"], "type": "stats", "data": {
            "profiles": 10, "profiles_today": 3, "photos": 40, "labels": 4, "labels_today": 2,
            "likes": 1, "nopes": 3, "superlikes": 0, "matches": 0, "model_version": null, "metrics": null}}),
        T0,
    );
    let view = &posts(&a, POPUP)[0]["view"];
    assert_eq!(view["labels_today"], 2);
    assert_eq!(view["balance_text"], "25 % like · 75 % nope (1 / 3)");
    // A closed popup gets nothing more.
    b.port_closed(POPUP);
    let a = b.host_lost("Native host has exited.", T0);
    assert!(posts(&a, POPUP).is_empty());
}

#[test]
fn an_entry_that_keeps_killing_the_host_is_set_aside_and_the_rest_gets_through() {
    let mut b = ready_brain();
    let mut now = T0;
    let a = b.port_message(
        TAB,
        &json!({"kind": "recs", "body": recs_body(), "at_ms": now}),
        now,
    );
    assert_eq!(kinds(&to_host(&a)), ["recs"]);
    b.port_message(
        TAB,
        &json!({"kind": "swipe", "profile_id": "aaa1", "verdict": "like", "at_ms": now}),
        now,
    );
    let recs_key = b.outbox_keys()[0].clone();
    // The host dies on the recs page every time it gets it.
    for round in 1..=MAX_CRASHES_PER_ENTRY {
        let a = b.host_lost("Native host has exited.", now);
        let dropped = a.contains(&Action::Unstore {
            key: format!("outbox:{recs_key}"),
        });
        assert_eq!(dropped, round == MAX_CRASHES_PER_ENTRY, "round {round}");
        if dropped {
            let err = b.debug_state()["last_error"]
                .as_str()
                .unwrap_or("")
                .to_owned();
            assert!(err.contains("skipped"), "{err}");
        }
        now += 120_000.0;
        assert!(b.tick(now).contains(&Action::OpenHost));
        let hello = to_host(&b.host_opened(now)).remove(0);
        let sent = kinds(&to_host(&answer_hello(&mut b, &hello)));
        if round < MAX_CRASHES_PER_ENTRY {
            assert_eq!(sent, ["recs", "swipe_seen"]);
        } else {
            assert_eq!(sent, ["swipe_seen"], "the label behind it still arrives");
        }
    }
}

#[test]
fn a_host_without_a_model_makes_the_badge_say_learning_not_an_error() {
    let mut b = ready_brain();
    b.port_message(
        TAB,
        &json!({"kind": "recs", "body": recs_body(), "at_ms": T0}),
        T0,
    );
    let a = b.port_message(
        TAB,
        &json!({"kind": "card", "card": {"name": "Anna", "age": 27}}),
        T0,
    );
    let asked = to_host(&a)
        .into_iter()
        .find(|m| m["type"] == "scores")
        .expect("asked");
    let a = b.host_message(
        &json!({"v": 1, "id": 9, "re": asked["id"], "type": "error",
                "data": {"code": 13, "message": "no model yet"}}),
        T0,
    );
    assert_eq!(last_card_info(&a)["badge"]["state"], "learning");
    assert_eq!(b.debug_state()["last_error"], Value::Null);
    // Other errors are still shown.
    let a = b.port_message(
        TAB,
        &json!({"kind": "card", "card": {"name": "Bea", "age": 30}}),
        T0,
    );
    let asked = to_host(&a)
        .into_iter()
        .find(|m| m["type"] == "scores")
        .expect("asked");
    b.host_message(
        &json!({"v": 1, "id": 10, "re": asked["id"], "type": "error",
                "data": {"code": 10, "message": "disk I/O error"}}),
        T0,
    );
    assert!(b.debug_state()["last_error"]
        .as_str()
        .is_some_and(|e| e.contains("disk I/O")));
}
