use super::*;
use serde_json::json;
use swipy_shared::{LabelSource, Verdict};

fn label(id: &str, key: &str) -> Request {
    Request::Label {
        profile_id: id.into(),
        verdict: Verdict::Like,
        source: LabelSource::Overlay,
        at_ms: 1.0,
        key: key.into(),
    }
}

fn recs(n: u32) -> Request {
    Request::Recs {
        body: json!({"n": n}),
        captured_at_ms: f64::from(n),
    }
}

#[test]
fn entries_wait_in_order_until_acknowledged() {
    let mut o = Outbox::new();
    for k in ["k1", "k2", "k3"] {
        let (added, entry) = o.add(k.into(), label("p", k), 5.0);
        assert_eq!(added, Added::New { evicted: vec![] });
        assert_eq!(entry.map(|e| e.key), Some(k.to_owned()));
    }
    let keys: Vec<&str> = o.pending().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["k1", "k2", "k3"]);
    assert!(o.remove("k2").is_some());
    assert!(o.remove("k2").is_none(), "a second ack is harmless");
    let keys: Vec<&str> = o.pending().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["k1", "k3"]);
}

#[test]
fn a_duplicate_key_is_a_no_op() {
    let mut o = Outbox::new();
    o.add("k".into(), label("p", "k"), 1.0);
    let (added, entry) = o.add("k".into(), label("q", "k"), 2.0);
    assert_eq!(added, Added::Duplicate);
    assert!(entry.is_none());
    assert_eq!(o.len(), 1);
    assert!(
        matches!(&o.get("k").expect("k").request, Request::Label { profile_id, .. } if profile_id == "p")
    );
}

#[test]
fn entries_survive_a_round_trip_through_storage_and_keep_their_order() {
    let mut o = Outbox::new();
    for k in ["a", "b", "c"] {
        o.add(k.into(), label("p", k), 1.0);
    }
    // Storage hands entries back in any order (keys sorted, here reversed).
    let mut stored: Vec<serde_json::Value> = o
        .pending()
        .map(|e| serde_json::to_value(e).expect("json"))
        .collect();
    stored.reverse();
    let mut back = Outbox::new();
    back.load(
        stored
            .into_iter()
            .map(|v| serde_json::from_value(v).expect("entry")),
    );
    let keys: Vec<&str> = back.pending().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["a", "b", "c"]);
    // New entries go after the restored ones.
    back.add("d".into(), label("p", "d"), 2.0);
    assert_eq!(back.pending().last().map(|e| e.key.as_str()), Some("d"));
}

#[test]
fn too_many_recs_pages_drop_the_oldest_recs_but_never_a_label() {
    let mut o = Outbox::new();
    o.add("label".into(), label("p", "label"), 0.0);
    for n in 0..MAX_PENDING_RECS as u32 {
        o.add(format!("r{n}"), recs(n), 0.0);
    }
    let (added, _) = o.add("r-new".into(), recs(999), 0.0);
    assert_eq!(
        added,
        Added::New {
            evicted: vec!["r0".into()]
        }
    );
    assert!(o.contains("label"));
    assert!(o.contains("r-new"));
    assert_eq!(o.len(), MAX_PENDING_RECS + 1);
    assert_eq!(o.labels_waiting(), 1);
}

#[test]
fn keys_are_stable_for_the_same_event_and_differ_otherwise() {
    assert_eq!(swipe_key("p1", "like", 10.0), swipe_key("p1", "like", 10.0));
    assert_ne!(swipe_key("p1", "like", 10.0), swipe_key("p1", "nope", 10.0));
    assert_ne!(swipe_key("p1", "like", 10.0), label_key("p1", "like", 10.0));
    let body = json!({"data": {"results": [1]}});
    assert_eq!(recs_key(5.0, &body), recs_key(5.0, &body));
    assert_ne!(
        recs_key(5.0, &body),
        recs_key(5.0, &json!({"data": {"results": [2]}}))
    );
    assert_eq!(storage_key("k"), "outbox:k");
}
