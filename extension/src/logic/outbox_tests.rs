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

fn size_of(key: &str, req: Request) -> usize {
    let mut o = Outbox::new();
    o.add(key.into(), req, 0.0).1.expect("entry").bytes()
}

#[test]
fn recs_pages_over_the_byte_budget_drop_the_oldest_recs_but_never_a_label() {
    let page = size_of("r0", recs(0));
    // Room for exactly three pages.
    let mut o = Outbox::with_budgets(3 * page + page / 2, MAX_LABELS_WAITING_BYTES);
    o.add("label".into(), label("p", "label"), 0.0);
    for n in 0..3u32 {
        let (added, _) = o.add(format!("r{n}"), recs(n), 0.0);
        assert_eq!(added, Added::New { evicted: vec![] }, "page {n}");
    }
    let (added, _) = o.add("r3".into(), recs(3), 0.0);
    assert_eq!(
        added,
        Added::New {
            evicted: vec!["r0".into()]
        }
    );
    assert!(o.contains("label"));
    assert!(o.contains("r3"));
    assert_eq!(o.len(), 4);
    assert_eq!(o.labels_waiting(), 1);
    let (recs_bytes, label_bytes) = o.bytes_waiting();
    assert_eq!(recs_bytes, 3 * page);
    assert!(label_bytes > 0);
    // One page larger than the whole budget is refused, and nothing is evicted for it.
    let big = Request::Recs {
        body: json!({"pad": "x".repeat(4 * page)}),
        captured_at_ms: 1.0,
    };
    assert_eq!(o.add("r-big".into(), big, 0.0).0, Added::Full);
    assert_eq!(o.len(), 4);
}

#[test]
fn labels_over_their_byte_budget_are_refused_and_nothing_waiting_is_dropped() {
    let one = size_of("k0", label("p", "k0"));
    let mut o = Outbox::with_budgets(MAX_RECS_WAITING_BYTES, 2 * one + one / 2);
    assert!(matches!(
        o.add("k0".into(), label("p", "k0"), 0.0).0,
        Added::New { .. }
    ));
    assert!(matches!(
        o.add("k1".into(), label("p", "k1"), 0.0).0,
        Added::New { .. }
    ));
    assert_eq!(o.add("k2".into(), label("p", "k2"), 0.0).0, Added::Full);
    assert_eq!(o.labels_waiting(), 2);
    // An ack frees room.
    o.remove("k0");
    assert!(matches!(
        o.add("k2".into(), label("p", "k2"), 0.0).0,
        Added::New { .. }
    ));
}

#[test]
fn a_label_in_flight_at_host_deaths_is_quarantined_with_growing_delays_and_never_dropped() {
    let mut o = Outbox::new();
    o.add("k".into(), label("p", "k"), 0.0);
    for n in 1..=10u32 {
        // Alone in flight each time: a label is still never dropped.
        let died = o.host_died("k", true, 1_000.0);
        assert!(died.dropped.is_empty(), "death {n}");
        assert_eq!(died.store.len(), 1);
        assert_eq!(died.store[0].crashes, n);
        assert_eq!(
            died.quarantined,
            if n == QUARANTINE_AFTER {
                vec!["k".to_owned()]
            } else {
                vec![]
            }
        );
        let q = o.get("k").expect("kept").is_quarantined();
        assert_eq!(q, n >= QUARANTINE_AFTER, "death {n}");
        if q {
            assert!(!o.is_due("k", 1_000.0));
            assert!(o.is_due("k", 1_000.0 + quarantine_delay_ms(n)));
        }
    }
    assert_eq!(o.labels_quarantined(), 1);
    assert_eq!(quarantine_delay_ms(QUARANTINE_AFTER), 5_000.0);
    assert_eq!(quarantine_delay_ms(QUARANTINE_AFTER + 1), 10_000.0);
    assert_eq!(quarantine_delay_ms(40), QUARANTINE_DELAY_MAX_MS);
    o.retry_now();
    assert!(o.is_due("k", 1_000.0));
    // The counts survive storage: a restarted worker knows it is quarantined.
    let stored = serde_json::to_value(o.get("k").expect("k")).expect("json");
    let mut back = Outbox::new();
    back.load([serde_json::from_value::<Entry>(stored).expect("entry")]);
    assert!(back.get("k").expect("k").is_quarantined());
    assert_eq!(back.labels_quarantined(), 1);
}

#[test]
fn a_recs_page_is_dropped_only_after_deaths_as_the_sole_request() {
    let mut o = Outbox::new();
    o.add("r".into(), recs(1), 0.0);
    o.add("k".into(), label("p", "k"), 0.0);
    // Handled with a label in flight beside it: counted, never dropped.
    for _ in 0..5 {
        let died = o.host_died("r", false, 0.0);
        assert!(died.dropped.is_empty());
    }
    assert!(o.contains("r"));
    for n in 1..=DROP_RECS_AFTER {
        let died = o.host_died("r", true, 0.0);
        assert_eq!(
            died.dropped.is_empty(),
            n < DROP_RECS_AFTER,
            "sole death {n}"
        );
    }
    assert!(!o.contains("r"));
    assert!(o.contains("k"));
}

#[test]
fn entries_stored_before_quarantine_existed_still_load() {
    let old = json!({"key": "k", "seq": 3.0, "created_ms": 1.0,
        "request": {"type": "label", "data": {"profile_id": "p", "verdict": "like", "source": "overlay", "at_ms": 1.0, "key": "k"}}});
    let e: Entry = serde_json::from_value(old).expect("old entry");
    assert_eq!(e.crashes, 0);
    assert!(!e.is_quarantined());
    // And a fresh entry is stored without the counters.
    let v = serde_json::to_value(&e).expect("json");
    assert!(v.get("crashes").is_none());
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
