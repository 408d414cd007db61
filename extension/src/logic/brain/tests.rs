//! Tests of the brain's ports and popup requests.

use super::test_support::*;

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
