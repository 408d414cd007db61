//! Tests of the dashboard relay.

use crate::logic::brain::test_support::*;

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
