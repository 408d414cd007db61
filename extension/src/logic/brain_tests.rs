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

/// Outbox entries stored (not the auto-swipe counts).
fn outbox_stores(actions: &[Action]) -> Vec<String> {
    stores(actions)
        .into_iter()
        .filter(|k| k != auto::STATE_KEY)
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

/// The last status view posted to the popup.
fn popup_view(actions: &[Action]) -> Value {
    posts(actions, POPUP)
        .into_iter()
        .rfind(|m| m["kind"] == "status")
        .expect("status")["view"]
        .clone()
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
fn the_token_never_leaves_the_tab_and_matches_answers_reach_the_host() {
    let mut b = Brain::new("chrome", 3);
    b.start(vec![], T0);
    b.host_opened(T0);
    b.port_connected(TAB, PortKind::Tab, T0);
    let new_matches = json!({"meta": {"status": 200}, "data": {"matches": [
        {"_id": "m1", "person": {"_id": "5f1a2b3c4d5e6f7a8b9c0d01", "name": "Ana"}}]}});
    let talks = json!({"meta": {"status": 200}, "data": {"matches": []}});
    let mut all = Vec::new();
    all.extend(b.port_message(TAB, &json!({"kind": "token", "token": TOKEN}), T0));
    let a = b.port_message(
        TAB,
        &json!({"kind": "matches", "body": new_matches, "at_ms": T0 + 1.0}),
        T0,
    );
    assert!(to_host(&a).is_empty(), "not before hello");
    all.extend(a);
    // Re-read: the hello id is the first id of this brain.
    let a = answer_hello(&mut b, &json!({"id": 1}));
    let sent = to_host(&a);
    assert_eq!(kinds(&sent), ["matches"], "{sent:?}");
    assert_eq!(sent[0]["data"]["body"], new_matches);
    assert_eq!(sent[0]["data"]["captured_at_ms"], T0 + 1.0);
    all.extend(a);
    // The second list (conversations) goes at once while the host is there.
    let a = b.port_message(
        TAB,
        &json!({"kind": "matches", "body": talks, "at_ms": T0 + 2.0}),
        T0,
    );
    assert_eq!(kinds(&to_host(&a)), ["matches"]);
    all.extend(a);
    // A new token is still only a "logged in" fact: nothing goes to the host.
    let a = b.port_message(TAB, &json!({"kind": "token", "token": "new-token"}), T0);
    assert!(to_host(&a).is_empty());
    all.extend(a);
    // After a reconnect the host gets no token either.
    b.host_lost("Native host has exited.", T0);
    b.tick(T0 + 2_000.0);
    let hello = to_host(&b.host_opened(T0 + 2_000.0)).remove(0);
    let a = answer_hello(&mut b, &hello);
    assert!(kinds(&to_host(&a)).iter().all(|k| k != "token"));
    all.extend(a);
    // A matches message that is no answer is refused.
    let a = b.port_message(
        TAB,
        &json!({"kind": "matches", "body": "x", "at_ms": T0}),
        T0,
    );
    assert!(to_host(&a).is_empty());
    let state = b.debug_state(T0);
    assert_eq!(state["token_known"], true);
    let state = state.to_string();
    assert!(!state.contains(TOKEN) && !state.contains("new-token"));
    for x in &all {
        let text = match x {
            Action::Store { value, .. } | Action::ToHost(value) => value.to_string(),
            Action::Post { msg, .. } => msg.to_string(),
            Action::Log(l) => l.clone(),
            _ => String::new(),
        };
        assert!(
            !text.contains(TOKEN) && !text.contains("new-token"),
            "the token left the brain: {x:?}"
        );
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
    // The top card first, then the next card of the stack (its badge is ready when it comes
    // up).
    assert_eq!(asked["data"]["ids"], json!(["aaa1", "bbb2"]));
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
fn an_error_without_a_request_id_resolves_the_one_entry_in_flight_and_is_never_resent_in_a_loop() {
    let mut b = ready_brain();
    b.port_connected(POPUP, PortKind::Popup, T0);
    let a = b.port_message(
        TAB,
        &json!({"kind": "swipe", "profile_id": "aaa1", "verdict": "nope", "at_ms": T0}),
        T0,
    );
    assert_eq!(kinds(&to_host(&a)), ["swipe_seen"]);
    // Answer the popup's stats so only the swipe is in flight.
    let a = b.host_message(
        &json!({"v": 1, "id": 8, "type": "error", "data": {"code": 4, "message": "frame is not JSON"}}),
        T0,
    );
    assert!(!a.iter().any(|x| matches!(x, Action::Unstore { .. })));
    let a = b.host_message(
        &json!({"v": 1, "id": 9, "type": "error", "data": {"code": 2, "message": "frame too large"}}),
        T0,
    );
    assert!(!a.iter().any(|x| matches!(x, Action::Unstore { .. })));
    for t in [1_000.0, 60_000.0, 600_000.0] {
        assert!(
            kinds(&to_host(&b.tick(T0 + t)))
                .iter()
                .all(|k| k != "swipe_seen"),
            "never resent on this connection"
        );
    }
    assert_eq!(b.outbox_keys().len(), 1, "the label waits");
}

#[test]
fn a_failed_save_to_browser_storage_is_shown_in_the_popup() {
    let mut b = ready_brain();
    b.port_connected(POPUP, PortKind::Popup, T0);
    let a = b.storage_failed("outbox:s-aaa1-like-1", "QUOTA_BYTES quota exceeded", T0);
    let view = popup_view(&a);
    let e = view["storage_error"].as_str().unwrap_or("");
    assert!(
        e.contains("QUOTA_BYTES quota exceeded") && e.contains("refused to save"),
        "{e}"
    );
    let a = b.storage_ok(T0);
    assert!(posts(&a, POPUP).last().expect("status")["view"]["storage_error"].is_null());
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
    assert_eq!(b.debug_state(T0)["connection"], "disconnected");
    assert!(b.debug_state(T0)["host_error"]
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
    assert_eq!(b.debug_state(T0)["connection"], "disconnected");
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
    b.port_closed(POPUP, T0);
    let a = b.host_lost("Native host has exited.", T0);
    assert!(posts(&a, POPUP).is_empty());
}

/// Reconnects after a death; returns what the brain sent once ready.
fn reconnect(b: &mut Brain, now: f64) -> Vec<Value> {
    assert!(
        b.tick(now).contains(&Action::OpenHost),
        "reconnects at {now}"
    );
    let hello = to_host(&b.host_opened(now)).remove(0);
    to_host(&b.host_message(
        &json!({"v": 1, "id": 900, "re": hello["id"], "type": "hello",
                "data": {"protocol": 1, "host_version": "0.0.0", "model_version": null}}),
        now,
    ))
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
    assert_eq!(b.debug_state(T0)["last_error"], Value::Null);
    // Bea was asked together with Anna: her badge says learning too, without a new request.
    let a = b.port_message(
        TAB,
        &json!({"kind": "card", "card": {"name": "Bea", "age": 30}}),
        T0,
    );
    assert_eq!(last_card_info(&a)["badge"]["state"], "learning");
    assert!(to_host(&a).iter().all(|m| m["type"] != "scores"));
    // Other errors are still shown.
    let mut b = ready_brain();
    b.port_message(
        TAB,
        &json!({"kind": "recs", "body": recs_body(), "at_ms": T0}),
        T0,
    );
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
    assert!(b.debug_state(T0)["last_error"]
        .as_str()
        .is_some_and(|e| e.contains("disk I/O")));
}

// ----- scores pushed by the host, badges, auto-swipe, dashboard relay ------------------------

fn score_event(id: &str, p: f64, version: u32) -> Value {
    json!({"v": 1, "id": 950, "type": "scores", "data": {"scores": [{
        "id": id, "p_like": p, "model_version": version, "state": "ready",
        "parts": {"photo": 0.7, "face": null, "text": 0.4, "meta": 0.5}}]}})
}

/// Connected, one tab showing Anna (aaa1, then Bea bbb2), a model v3 exists.
fn brain_with_cards() -> Brain {
    let mut b = Brain::new("chrome", 7);
    b.start(vec![], T0);
    let a = b.host_opened(T0);
    let id = to_host(&a)[0]["id"].as_u64().expect("id");
    b.host_message(
        &json!({"v": 1, "id": 900, "re": id, "type": "hello",
                "data": {"protocol": 1, "host_version": "0.0.0", "model_version": 3}}),
        T0,
    );
    b.port_connected(TAB, PortKind::Tab, T0);
    b.port_message(
        TAB,
        &json!({"kind": "recs", "body": recs_body(), "at_ms": T0}),
        T0,
    );
    b.port_message(
        TAB,
        &json!({"kind": "card", "card": {"name": "Anna", "age": 28}}),
        T0,
    );
    b
}

/// Run the auto-swipe timer until something is posted to the tab (at most `max_ms` later).
fn tick_until_post(b: &mut Brain, from: f64, max_ms: f64) -> (f64, Vec<Value>) {
    let mut t = from;
    while t <= from + max_ms {
        let a = b.auto_tick(t);
        let p: Vec<Value> = posts(&a, TAB)
            .into_iter()
            .filter(|m| m["kind"] == "press")
            .collect();
        if !p.is_empty() {
            return (t, p);
        }
        t += 50.0;
    }
    (t, Vec::new())
}

fn popup_auto(b: &mut Brain, at: f64) -> Value {
    let a = b.port_message(POPUP, &json!({"kind": "status"}), at);
    posts(&a, POPUP)
        .into_iter()
        .rfind(|m| m["kind"] == "status")
        .map(|m| m["view"]["autoswipe"].clone())
        .expect("popup status")
}

#[test]
fn a_pushed_scores_event_fills_the_badge_with_parts_and_model_version() {
    let mut b = brain_with_cards();
    let a = b.host_message(&score_event("aaa1", 0.734, 3), T0 + 10.0);
    let info = last_card_info(&a);
    assert_eq!(info["profile_id"], "aaa1");
    assert_eq!(info["badge"]["state"], "score");
    assert_eq!(info["badge"]["text"], "73%");
    assert_eq!(info["badge"]["p_like"], 0.734);
    assert_eq!(info["badge"]["model_version"], 3);
    assert_eq!(info["badge"]["parts"]["photo"], 0.7);
    assert_eq!(info["badge"]["parts"]["face"], Value::Null);
    let title = info["badge"]["title"].as_str().expect("title");
    assert!(title.contains("photo 70%") && title.contains("face –") && title.contains("model v3"));
    // A score for another profile does not touch this card's badge.
    let a = b.host_message(&score_event("bbb2", 0.1, 3), T0 + 20.0);
    assert!(posts(&a, TAB).is_empty(), "{:?}", posts(&a, TAB));
}

#[test]
fn auto_swipe_presses_for_the_top_card_and_records_the_confirmed_swipe_as_auto() {
    let mut b = brain_with_cards();
    b.host_message(&score_event("aaa1", 0.8, 3), T0);
    let r = b.autoswipe_request(
        &json!({"kind": "autoswipe_preset", "preset": "fast_test"}),
        T0,
        &mut Vec::new(),
    );
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["enabled"], false, "a preset never switches auto-swipe on");
    let mut out = Vec::new();
    let r = b.autoswipe_request(
        &json!({"kind": "autoswipe_enable", "on": true}),
        T0,
        &mut out,
    );
    assert_eq!(r["enabled"], true);
    assert!(stores(&out).contains(&"autoswipe:settings".to_owned()));
    // No key is pressed before the human-like delay (fast test: 100–300 ms).
    assert!(posts(&out, TAB).iter().all(|m| m["kind"] != "press"));
    let (t, presses) = tick_until_post(&mut b, T0, 1_000.0);
    assert!(t - T0 >= 100.0, "pressed after {} ms", t - T0);
    assert_eq!(presses.len(), 1);
    assert_eq!(presses[0]["profile_id"], "aaa1");
    assert_eq!(presses[0]["key"], "ArrowRight", "0.8 ≥ 0.5 is a like");
    // The card shows the decision with its score and reason.
    let a = b.port_message(
        TAB,
        &json!({"kind": "card", "card": {"name": "Anna", "age": 28}}),
        t + 1.0,
    );
    let info = last_card_info(&a);
    assert_eq!(info["decision"]["verdict"], "like");
    assert_eq!(info["decision"]["score"], 0.8);
    assert_eq!(info["decision"]["reason"], "above_threshold");
    assert_eq!(info["auto"]["state"], "running");
    // The page's own like call confirms it: swipe_seen with source auto + swipe_result.
    let a = b.port_message(
        TAB,
        &json!({"kind": "swipe", "profile_id": "aaa1", "verdict": "like", "at_ms": t + 50.0,
                "status": 200, "response": {"match": false, "likes_remaining": 80}}),
        t + 60.0,
    );
    let sent = to_host(&a);
    let seen = sent
        .iter()
        .find(|m| m["type"] == "swipe_seen")
        .expect("swipe_seen");
    assert_eq!(seen["data"]["source"], "auto");
    let result = sent
        .iter()
        .find(|m| m["type"] == "swipe_result")
        .expect("swipe_result");
    assert_eq!(result["data"]["profile_id"], "aaa1");
    assert_eq!(result["data"]["verdict"], "like");
    assert_eq!(result["data"]["matched"], false);
    assert_eq!(result["data"]["score"], 0.8);
    assert!(result["data"]["reason"]
        .as_str()
        .is_some_and(|r| r.contains("threshold")));
    let keys = stores(&a);
    assert!(keys.contains(&"autoswipe:state".to_owned()));
    assert!(keys.iter().any(|k| k.starts_with("outbox:a-aaa1-like-")));
    let state = b.autoswipe_request(
        &json!({"kind": "autoswipe_state"}),
        t + 70.0,
        &mut Vec::new(),
    );
    assert_eq!(state["likes_12h"], 1);
    assert_eq!(state["decisions"][0]["confirmed"], true);
}

#[test]
fn a_swipe_the_user_makes_while_auto_swipe_is_off_stays_a_user_swipe() {
    let mut b = brain_with_cards();
    b.host_message(&score_event("aaa1", 0.8, 3), T0);
    let a = b.port_message(
        TAB,
        &json!({"kind": "swipe", "profile_id": "aaa1", "verdict": "nope", "at_ms": T0 + 5.0,
                "status": 200, "response": null}),
        T0 + 6.0,
    );
    let sent = to_host(&a);
    assert_eq!(kinds(&sent), ["swipe_seen"]);
    assert_eq!(sent[0]["data"]["source"], "swipe");
}

#[test]
fn dry_run_shows_the_decision_on_the_card_and_never_presses() {
    let mut b = brain_with_cards();
    b.host_message(&score_event("aaa1", 0.3, 3), T0);
    b.autoswipe_request(
        &json!({"kind": "autoswipe_preset", "preset": "fast_test", "dry_run": true}),
        T0,
        &mut Vec::new(),
    );
    let mut out = Vec::new();
    b.autoswipe_request(
        &json!({"kind": "autoswipe_enable", "on": true}),
        T0,
        &mut out,
    );
    let info = last_card_info(&out);
    assert_eq!(info["decision"]["verdict"], "nope");
    assert_eq!(info["decision"]["dry_run"], true);
    assert_eq!(info["decision"]["reason"], "below_threshold");
    assert!(info["decision"]["text"]
        .as_str()
        .is_some_and(|t| t.starts_with("dry run: pass (30% < 50%)")));
    let (_, presses) = tick_until_post(&mut b, T0, 2_000.0);
    assert!(presses.is_empty(), "dry run pressed {presses:?}");
}

#[test]
fn every_stop_reason_from_the_page_switches_auto_swipe_off_and_is_saved() {
    let cases = [
        // Dialogs come as structural summaries; the worker classifies them.
        (
            json!({"kind": "dialogs", "dialogs": [{"role": "dialog", "text": "add tinder to your home screen", "buttons": 2}]}),
            "unknown_dialog",
        ),
        (
            json!({"kind": "dialogs", "dialogs": [{"role": "portal", "text": "get tinder gold", "buttons": 1}]}),
            "unknown_dialog",
        ),
        (
            json!({"kind": "dialogs", "dialogs": [{"role": "frame", "titles": ["verification challenge"]}]}),
            "captcha",
        ),
        (
            json!({"kind": "profile", "body": {"data": {"likes": {"likes_remaining": "0"}}}, "at_ms": T0}),
            "out_of_likes",
        ),
        (
            json!({"kind": "recs", "body": null, "status": 429, "at_ms": T0}),
            "rate_limited",
        ),
        (
            json!({"kind": "recs", "body": {"error": {"message": "RATE_LIMITED"}}, "at_ms": T0}),
            "rate_limited",
        ),
        (
            json!({"kind": "visibility", "visible": false}),
            "tab_hidden",
        ),
        (json!({"kind": "auth_lost"}), "token_lost"),
    ];
    for (msg, kind) in cases {
        let mut b = brain_with_cards();
        b.port_connected(POPUP, PortKind::Popup, T0);
        b.host_message(&score_event("aaa1", 0.8, 3), T0);
        b.autoswipe_request(
            &json!({"kind": "autoswipe_preset", "preset": "fast_test"}),
            T0,
            &mut Vec::new(),
        );
        b.autoswipe_request(
            &json!({"kind": "autoswipe_enable", "on": true}),
            T0,
            &mut Vec::new(),
        );
        let a = b.port_message(TAB, &msg, T0 + 10.0);
        let saved = a.iter().find_map(|x| match x {
            Action::Store { key, value } if key == "autoswipe:settings" => Some(value.clone()),
            _ => None,
        });
        assert_eq!(saved.expect("settings saved")["enabled"], false, "{msg}");
        let view = popup_auto(&mut b, T0 + 20.0);
        assert_eq!(view["state"], "stopped", "{msg}");
        assert_eq!(view["stop_kind"], kind, "{msg}");
        assert!(view["stop_reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("Stopped: ")));
        // The card says it too.
        let a = b.port_message(
            TAB,
            &json!({"kind": "card", "card": {"name": "Anna", "age": 28}}),
            T0 + 30.0,
        );
        assert_eq!(last_card_info(&a)["auto"]["state"], "stopped", "{msg}");
        // And no key is pressed afterwards.
        let (_, presses) = tick_until_post(&mut b, T0 + 40.0, 1_000.0);
        assert!(presses.is_empty(), "{msg}: {presses:?}");
    }
}

#[test]
fn losing_the_host_stops_auto_swipe() {
    let mut b = brain_with_cards();
    b.host_message(&score_event("aaa1", 0.8, 3), T0);
    b.autoswipe_request(
        &json!({"kind": "autoswipe_preset", "preset": "fast_test"}),
        T0,
        &mut Vec::new(),
    );
    b.autoswipe_request(
        &json!({"kind": "autoswipe_enable", "on": true}),
        T0,
        &mut Vec::new(),
    );
    let a = b.host_lost("Native host has exited.", T0 + 10.0);
    assert!(a.iter().any(|x| matches!(x, Action::Store { key, value }
        if key == "autoswipe:settings" && value["enabled"] == false)));
    let s = b.autoswipe_request(
        &json!({"kind": "autoswipe_state"}),
        T0 + 20.0,
        &mut Vec::new(),
    );
    assert_eq!(s["last_stop"]["kind"], "host_lost");
}

#[test]
fn a_match_in_the_like_response_stops_auto_swipe_and_records_the_match() {
    let mut b = brain_with_cards();
    b.host_message(&score_event("aaa1", 0.9, 3), T0);
    b.autoswipe_request(
        &json!({"kind": "autoswipe_preset", "preset": "fast_test"}),
        T0,
        &mut Vec::new(),
    );
    b.autoswipe_request(
        &json!({"kind": "autoswipe_enable", "on": true}),
        T0,
        &mut Vec::new(),
    );
    let (t, presses) = tick_until_post(&mut b, T0, 1_000.0);
    assert_eq!(presses.len(), 1);
    let a = b.port_message(
        TAB,
        &json!({"kind": "swipe", "profile_id": "aaa1", "verdict": "like", "at_ms": t + 5.0,
                "status": 200, "response": {"match": {"_id": "m1"}, "likes_remaining": 70}}),
        t + 10.0,
    );
    let result = to_host(&a)
        .into_iter()
        .find(|m| m["type"] == "swipe_result")
        .expect("swipe_result");
    assert_eq!(result["data"]["matched"], true);
    let s = b.autoswipe_request(
        &json!({"kind": "autoswipe_state"}),
        t + 20.0,
        &mut Vec::new(),
    );
    assert_eq!(s["enabled"], false);
    assert_eq!(s["last_stop"]["kind"], "match");
    assert!(s["last_stop"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("Anna")));
}

#[test]
fn a_refused_or_unknown_auto_swipe_request_says_why() {
    let mut b = brain_with_cards();
    let r = b.autoswipe_request(
        &json!({"kind": "autoswipe_set", "settings": {"threshold": 1.5}}),
        T0,
        &mut Vec::new(),
    );
    assert_eq!(r["ok"], false);
    assert!(r["error"].as_str().is_some_and(|e| e.contains("threshold")));
    let r = b.autoswipe_request(
        &json!({"kind": "autoswipe_preset", "preset": "reckless"}),
        T0,
        &mut Vec::new(),
    );
    assert_eq!(r["ok"], false);
    let r = b.autoswipe_request(&json!({"kind": "autoswipe_enable"}), T0, &mut Vec::new());
    assert_eq!(r["ok"], false);
    // The popup gets the refusal in words.
    b.port_connected(POPUP, PortKind::Popup, T0);
    let a = b.port_message(
        POPUP,
        &json!({"kind": "autoswipe_set", "settings": {"delay_min_ms": 9000, "delay_max_ms": 1000}}),
        T0,
    );
    let err = posts(&a, POPUP)
        .into_iter()
        .find(|m| m["kind"] == "autoswipe_error")
        .expect("error posted");
    assert!(err["message"]
        .as_str()
        .is_some_and(|m| m.contains("delay_min_ms")));
}

#[test]
fn the_popup_switch_is_available_only_with_a_model() {
    let mut b = ready_brain(); // hello said model_version null
    b.port_connected(POPUP, PortKind::Popup, T0);
    let a = b.port_message(POPUP, &json!({"kind": "status"}), T0);
    let view = posts(&a, POPUP).last().expect("status")["view"].clone();
    assert_eq!(view["auto_swipe_available"], false);
    let mut b = brain_with_cards();
    b.port_connected(POPUP, PortKind::Popup, T0);
    let a = b.port_message(POPUP, &json!({"kind": "status"}), T0);
    let view = posts(&a, POPUP).last().expect("status")["view"].clone();
    assert_eq!(view["auto_swipe_available"], true);
    assert_eq!(view["autoswipe"]["state"], "off");
    assert_eq!(view["autoswipe"]["settings"]["threshold"], 0.6);
}

#[test]
fn stored_auto_swipe_settings_come_back_switched_off() {
    let mut b = Brain::new("chrome", 3);
    let mut s = serde_json::to_value(crate::logic::autoswipe::Settings::fast_test()).expect("json");
    s["threshold"] = json!(0.7);
    assert_eq!(s["enabled"], true);
    let logs = b.load_autoswipe(
        Some(&s),
        Some(&json!({"likes_ms": [T0 - 1000.0], "swipes_ms": [T0 - 1000.0]})),
    );
    assert!(logs.is_empty(), "{logs:?}");
    let st = b.autoswipe_request(&json!({"kind": "autoswipe_state"}), T0, &mut Vec::new());
    assert_eq!(st["enabled"], false);
    assert_eq!(st["settings"]["threshold"], 0.7);
    assert_eq!(st["likes_12h"], 1);
    let logs = b.load_autoswipe(Some(&json!({"threshold": "high"})), Some(&json!([1, 2])));
    assert_eq!(logs.len(), 2, "{logs:?}");
}

const DASH: u32 = 3;

#[test]
fn the_dashboard_relays_allowed_requests_and_gets_the_answers_and_training_events() {
    let mut b = brain_with_cards();
    let a = b.port_connected(DASH, PortKind::Dashboard, T0);
    assert_eq!(posts(&a, DASH)[0]["kind"], "conn");
    assert_eq!(posts(&a, DASH)[0]["connected"], true);
    let a = b.port_message(
        DASH,
        &json!({"kind": "host", "req": 7, "type": "profiles", "data": {"limit": 5, "offset": 10}}),
        T0,
    );
    let sent = to_host(&a);
    assert_eq!(kinds(&sent), ["profiles"]);
    assert_eq!(sent[0]["data"]["limit"], 5);
    let id = sent[0]["id"].as_u64().expect("id");
    let answer =
        json!({"v": 1, "id": 960, "re": id, "type": "profiles", "data": {"total": 0, "items": []}});
    let a = b.host_message(&answer, T0);
    let reply = &posts(&a, DASH)[0];
    assert_eq!(reply["kind"], "host_reply");
    assert_eq!(reply["req"], 7.0);
    assert_eq!(reply["msg"]["data"]["total"], 0);
    // Training progress goes to every dashboard.
    let a = b.host_message(
        &json!({"v": 1, "id": 961, "type": "train_progress", "data": {"stage": "cv", "done": 2, "total": 5}}),
        T0,
    );
    assert_eq!(posts(&a, DASH)[0]["kind"], "host_event");
    assert_eq!(posts(&a, DASH)[0]["msg"]["data"]["stage"], "cv");
    // A dashboard relabel goes out with source dashboard; others are refused.
    let a = b.port_message(
        DASH,
        &json!({"kind": "host", "req": 8, "type": "label", "data": {"profile_id": "aaa1",
                "verdict": "nope", "source": "dashboard", "at_ms": T0, "key": "d-aaa1-1"}}),
        T0,
    );
    assert_eq!(kinds(&to_host(&a)), ["label"]);
    for (ty, data) in [
        (
            "label",
            json!({"profile_id": "aaa1", "verdict": "nope", "source": "overlay", "at_ms": T0, "key": "x"}),
        ),
        ("token", json!({"token": "t"})),
        ("recs", json!({"body": {}, "captured_at_ms": T0})),
    ] {
        let a = b.port_message(
            DASH,
            &json!({"kind": "host", "req": 9, "type": ty, "data": data}),
            T0,
        );
        assert!(to_host(&a).is_empty(), "{ty} was relayed");
        assert!(posts(&a, DASH)[0]["error"].is_string(), "{ty}");
    }
    // A host error answers the dashboard, not the popup's error line.
    let a = b.port_message(
        DASH,
        &json!({"kind": "host", "req": 10, "type": "train", "data": {}}),
        T0,
    );
    let id = to_host(&a)[0]["id"].as_u64().expect("id");
    let a = b.host_message(
        &json!({"v": 1, "id": 962, "re": id, "type": "error", "data": {"code": 12, "message": "need 10 labels"}}),
        T0,
    );
    assert_eq!(posts(&a, DASH)[0]["msg"]["data"]["code"], 12);
    assert_eq!(b.debug_state(T0)["last_error"], Value::Null);
}

#[test]
fn the_dashboard_threshold_and_the_popup_threshold_are_one_value() {
    let mut b = ready_brain();
    b.port_connected(POPUP, PortKind::Popup, T0);
    b.port_connected(DASH, PortKind::Dashboard, T0);
    // The popup sets 0.8; the host still has an older 0.6: the dashboard is shown 0.8.
    b.port_message(
        POPUP,
        &json!({"kind": "autoswipe_set", "settings": {"threshold": 0.8}}),
        T0,
    );
    let a = b.port_message(
        DASH,
        &json!({"kind": "host", "req": 1, "type": "settings_get", "data": {}}),
        T0,
    );
    let id = to_host(&a)[0]["id"].as_u64().expect("id");
    let a = b.host_message(
        &json!({"v": 1, "id": 50, "re": id, "type": "settings",
                "data": {"values": {"threshold": 0.6, "text_weight": 1.0}}}),
        T0,
    );
    let shown = &posts(&a, DASH)[0]["msg"]["data"]["values"];
    assert_eq!(shown["threshold"], 0.8, "{shown}");
    assert_eq!(shown["text_weight"], 1.0);
    assert!(to_host(&a).is_empty(), "answers send nothing back: {a:?}");
    assert_eq!(popup_auto(&mut b, T0)["settings"]["threshold"], 0.8);
    // The dashboard saves 0.7: auto-swipe likes from 0.7 at once, the host gets the save.
    let a = b.port_message(
        DASH,
        &json!({"kind": "host", "req": 2, "type": "settings_set", "data": {"values": {"threshold": 0.7}}}),
        T0,
    );
    assert_eq!(kinds(&to_host(&a)), ["settings_set"]);
    assert!(stores(&a).contains(&auto::SETTINGS_KEY.to_owned()), "saved");
    assert_eq!(popup_auto(&mut b, T0)["settings"]["threshold"], 0.7);
    // A threshold out of range is refused before it reaches auto-swipe or the host.
    let a = b.port_message(
        DASH,
        &json!({"kind": "host", "req": 3, "type": "settings_set", "data": {"values": {"threshold": 1.5}}}),
        T0,
    );
    assert!(to_host(&a).is_empty());
    assert!(posts(&a, DASH)[0]["error"].is_string(), "{a:?}");
    assert_eq!(popup_auto(&mut b, T0)["settings"]["threshold"], 0.7);
    // Saving other settings leaves the threshold alone.
    b.port_message(
        DASH,
        &json!({"kind": "host", "req": 4, "type": "settings_set", "data": {"values": {"text_weight": 2.0}}}),
        T0,
    );
    assert_eq!(popup_auto(&mut b, T0)["settings"]["threshold"], 0.7);
}

#[test]
fn labels_wait_for_a_host_that_speaks_our_protocol_and_the_popup_says_so() {
    let mut b = Brain::new("chrome", 5);
    b.start(vec![], T0);
    b.port_connected(TAB, PortKind::Tab, T0);
    b.port_connected(POPUP, PortKind::Popup, T0);
    b.port_message(
        TAB,
        &json!({"kind": "swipe", "profile_id": "aaa1", "verdict": "like", "at_ms": T0}),
        T0,
    );
    let mut now = T0;
    for _ in 0..5 {
        let hello = to_host(&b.host_opened(now)).remove(0);
        let a = b.host_message(
            &json!({"v": 2, "id": 1, "re": hello["id"], "type": "hello", "data": {"protocol": 2, "host_version": "9", "model_version": null}}),
            now,
        );
        assert!(!a.iter().any(|x| matches!(x, Action::Unstore { .. })));
        assert!(to_host(&a).iter().all(|m| m["type"] != "swipe_seen"));
        let view = popup_view(&a);
        assert_eq!(view["waiting"], 1);
        let text = view["connection_text"].as_str().unwrap_or("");
        assert!(
            text.contains("protocol 2") && text.contains("update"),
            "{text}"
        );
        now += 120_000.0;
        b.tick(now);
    }
    assert_eq!(b.outbox_keys().len(), 1, "the label waits, never deleted");
}
