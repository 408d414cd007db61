//! Tests of the badge on the card overlay.

use crate::logic::brain::test_support::*;

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
