//! Tests of the host connection and its answers.

use crate::logic::brain::test_support::*;

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
