use super::*;
use serde_json::json;

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

#[test]
fn an_ordinary_recs_message_passes() {
    let msg = json!({"kind": "recs", "at_ms": 1.0, "body": {"data": {"results": [
        {"type": "user", "user": {"_id": "a1", "name": "Ann", "photos": [{"url": "u"}]}}]}}});
    let v = parse_port_text(&msg.to_string()).expect("accepted");
    assert_eq!(v, msg);
}

#[test]
fn a_message_over_the_size_cap_is_refused_before_parsing() {
    // Not even JSON: refused for its size, so the parser never ran.
    let text = "x".repeat(MAX_MESSAGE_BYTES + 1);
    let e = parse_port_text(&text).expect_err("refused");
    assert!(e.contains("bytes"), "{e}");
}

#[test]
fn a_message_nested_past_the_depth_cap_is_refused_and_one_at_the_cap_is_not() {
    let deep = format!(
        "{{\"kind\":\"recs\",\"at_ms\":1,\"body\":{}}}",
        nested(MAX_RECS_DEPTH + 1)
    );
    let e = parse_port_text(&deep).expect_err("refused");
    assert!(e.contains("deeper"), "{e}");
    // A page nested 100,000 deep (a stack overflow for a recursive parser) is refused too.
    assert!(parse_port_text(&nested(100_000)).is_err());
    let ok = format!(
        "{{\"kind\":\"recs\",\"at_ms\":1,\"body\":{}}}",
        nested(MAX_RECS_DEPTH)
    );
    assert!(parse_port_text(&ok).is_ok());
}

#[test]
fn a_recs_page_with_more_results_than_the_host_takes_is_refused() {
    let results: Vec<Value> = (0..=MAX_RECS_RESULTS).map(|_| json!(0)).collect();
    let msg = json!({"kind": "recs", "at_ms": 1.0, "body": {"data": {"results": results}}});
    let e = parse_port_text(&msg.to_string()).expect_err("refused");
    assert!(e.contains("results"), "{e}");
}
