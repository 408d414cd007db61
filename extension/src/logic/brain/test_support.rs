//! Helpers shared by the brain's tests: a connected brain, host answers, and what the
//! actions posted or stored.

pub(super) use serde_json::{json, Value};

pub(super) use super::{Action, Brain, PortKind};
pub(super) use crate::logic::{auto, outbox};

pub(super) const T0: f64 = 1_764_331_200_000.0;

pub(super) const TAB: u32 = 1;

pub(super) const POPUP: u32 = 2;

pub(super) fn to_host(actions: &[Action]) -> Vec<Value> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::ToHost(v) => Some(v.clone()),
            _ => None,
        })
        .collect()
}

pub(super) fn kinds(msgs: &[Value]) -> Vec<String> {
    msgs.iter()
        .map(|m| m["type"].as_str().unwrap_or("?").to_owned())
        .collect()
}

pub(super) fn posts(actions: &[Action], port: u32) -> Vec<Value> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Post { port: p, msg } if *p == port => Some(msg.clone()),
            _ => None,
        })
        .collect()
}

pub(super) fn stores(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Store { key, .. } => Some(key.clone()),
            _ => None,
        })
        .collect()
}

pub(super) fn recs_body() -> Value {
    json!({"meta": {"status": 200}, "data": {"results": [
        {"type": "user", "user": {"_id": "aaa1", "name": "Anna", "birth_date": "1998-01-01T00:00:00Z"}},
        {"type": "user", "user": {"_id": "bbb2", "name": "Bea", "birth_date": "1995-01-01T00:00:00Z"}}
    ]}})
}

/// A brain that is connected to the host, with one tab.
pub(super) fn ready_brain() -> Brain {
    let mut b = Brain::new("chrome", 42);
    let a = b.start(vec![], T0);
    assert!(a.contains(&Action::OpenHost));
    let a = b.host_opened(T0);
    let hello = &to_host(&a)[0];
    answer_hello(&mut b, hello);
    b.port_connected(TAB, PortKind::Tab, T0);
    b
}

pub(super) fn answer_hello(b: &mut Brain, hello: &Value) -> Vec<Action> {
    let id = hello["id"].as_u64().expect("id");
    b.host_message(
        &json!({"v": 1, "id": 900, "re": id, "type": "hello",
                "data": {"protocol": 1, "host_version": "0.0.0", "model_version": null}}),
        T0,
    )
}

/// The last status view posted to the popup.
pub(super) fn popup_view(actions: &[Action]) -> Value {
    posts(actions, POPUP)
        .into_iter()
        .rfind(|m| m["kind"] == "status")
        .expect("status")["view"]
        .clone()
}

pub(super) fn last_card_info(actions: &[Action]) -> Value {
    posts(actions, TAB)
        .into_iter()
        .rfind(|m| m["kind"] == "card_info")
        .expect("card_info")
}

/// Reconnects after a death; returns what the brain sent once ready.
pub(super) fn reconnect(b: &mut Brain, now: f64) -> Vec<Value> {
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

pub(super) fn score_event(id: &str, p: f64, version: u32) -> Value {
    json!({"v": 1, "id": 950, "type": "scores", "data": {"scores": [{
        "id": id, "p_like": p, "model_version": version, "state": "ready",
        "parts": {"photo": 0.7, "face": null, "text": 0.4, "meta": 0.5}}]}})
}

/// Connected, one tab showing Anna (aaa1, then Bea bbb2), a model v3 exists.
pub(super) fn brain_with_cards() -> Brain {
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

pub(super) fn popup_auto(b: &mut Brain, at: f64) -> Value {
    let a = b.port_message(POPUP, &json!({"kind": "status"}), at);
    posts(&a, POPUP)
        .into_iter()
        .rfind(|m| m["kind"] == "status")
        .map(|m| m["view"]["autoswipe"].clone())
        .expect("popup status")
}
