//! Tests of the tab messages.

use crate::logic::brain::test_support::*;

const TOKEN: &str = "secret-token-0c1d";

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
