use super::*;
use serde_json::json;

const T: f64 = 1_764_331_200_000.0;

#[test]
fn accepts_the_messages_content_js_sends() {
    assert_eq!(
        TabMsg::parse(&json!({"kind": "token", "token": "3f1c-aa"})),
        Ok(TabMsg::Token("3f1c-aa".into()))
    );
    let recs = TabMsg::parse(&json!({"kind": "recs", "body": {"data": {}}, "at_ms": T}));
    assert!(matches!(recs, Ok(TabMsg::Recs { at_ms, .. }) if at_ms == T));
    let swipe = TabMsg::parse(&json!({
        "kind": "swipe", "profile_id": "5f3a9c", "verdict": "nope", "at_ms": T,
        "status": 200, "response": {"status": 200}
    }))
    .expect("swipe");
    assert_eq!(
        swipe,
        TabMsg::Swipe {
            profile_id: "5f3a9c".into(),
            verdict: Verdict::Nope,
            at_ms: T,
            status: Some(200),
            response: Some(json!({"status": 200})),
        }
    );
    assert_eq!(
        TabMsg::parse(&json!({"kind": "card", "card": {"name": " Anna ", "age": 27}})),
        Ok(TabMsg::Card(Some(CardFacts {
            name: "Anna".into(),
            age: Some(27)
        })))
    );
    assert_eq!(
        TabMsg::parse(&json!({"kind": "card", "card": null})),
        Ok(TabMsg::Card(None))
    );
    assert_eq!(
        TabMsg::parse(
            &json!({"kind": "label", "verdict": "like", "card": {"name": "Bo", "age": null}})
        ),
        Ok(TabMsg::Label {
            verdict: Verdict::Like,
            card: CardFacts {
                name: "Bo".into(),
                age: None
            }
        })
    );
}

#[test]
fn refuses_forged_or_broken_messages() {
    let bad = [
        json!("token"),
        json!({"kind": "token", "token": ""}),
        json!({"kind": "token", "token": "has space"}),
        json!({"kind": "token", "token": "x".repeat(5000)}),
        json!({"kind": "recs", "body": [1, 2], "at_ms": T}),
        json!({"kind": "recs", "body": {}, "at_ms": 12}),
        json!({"kind": "swipe", "profile_id": "../../etc", "verdict": "like", "at_ms": T}),
        json!({"kind": "swipe", "profile_id": "abc", "verdict": "maybe", "at_ms": T}),
        json!({"kind": "swipe", "profile_id": "abc", "verdict": "like"}),
        json!({"kind": "card", "card": {"name": "", "age": 20}}),
        json!({"kind": "card", "card": {"name": "A", "age": 3}}),
        json!({"kind": "card", "card": {"name": "A", "age": 25.5}}),
        json!({"kind": "label", "verdict": "like"}),
        json!({"kind": "delete_everything"}),
    ];
    for m in bad {
        assert!(TabMsg::parse(&m).is_err(), "accepted {m}");
    }
}

#[test]
fn profile_ids_are_checked() {
    assert!(plausible_id("5f3a9c0d1e2b3a4c5d6e7f80"));
    assert!(plausible_id("mock_user-1"));
    assert!(!plausible_id(""));
    assert!(!plausible_id("a/b"));
    assert!(!plausible_id(&"a".repeat(65)));
}
