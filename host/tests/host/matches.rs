//! Matches: the host records them from the page's own `/v2/matches` answers (both lists,
//! `message=0` and `message=1`) that the extension hands over, and never asks Tinder itself.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use swipy_shared::protocol::Response;

use crate::common::{Cdn, Host, Reply};

const LIKED_A: &str = "5f1a2b3c4d5e6f7a8b9c0d01";
const LIKED_B: &str = "5f1a2b3c4d5e6f7a8b9c0d02";
const NEVER_LIKED: &str = "5f1a2b3c4d5e6f7a8b9c0d03";

fn matches_answer(ids: &[&str], messages: bool) -> Value {
    let matches: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            json!({"_id": format!("m{i}{id}"), "person": {"_id": id, "name": "X"},
                   "created_date": "2026-11-28T10:00:00.000Z",
                   "messages": if messages { json!([{"message": "hi"}]) } else { json!([]) }})
        })
        .collect();
    json!({"meta": {"status": 200}, "data": {"matches": matches}})
}

/// A browser-started host whose Tinder API and CDN point at `cdn`, past its hello.
fn host_with_api(cdn: &Cdn, home: &std::path::Path) -> Host {
    let (resolve, ca) = (cdn.resolve_spec_with_api(), cdn.ca_path());
    let mut host = Host::chromium(
        home,
        &[("SWIPY_TEST_RESOLVE", &resolve), ("SWIPY_TEST_CA", &ca)],
    );
    host.hello();
    host
}

#[test]
fn captured_matches_answers_are_recorded_and_the_host_asks_tinder_nothing() {
    // The loopback "api.gotinder.com" would answer a matches read with a match the page
    // never showed: if the host read it, `NEVER_LIKED`'s twin below would be counted.
    let cdn = Cdn::start(Arc::new(|path: &str, _| {
        if path.starts_with("/v2/") {
            let body = matches_answer(&["5f1a2b3c4d5e6f7a8b9c0dff"], false);
            Reply::new(200, serde_json::to_vec(&body).expect("json"))
        } else {
            Reply::new(404, Vec::new())
        }
    }));
    let home = tempfile::tempdir().expect("home");
    let mut host = host_with_api(&cdn, home.path());
    host.call(
        "recs",
        json!({"body": crate::common::fixture(), "captured_at_ms": 1_795_867_200_000.0_f64}),
    );
    for (i, id) in [LIKED_A, LIKED_B].iter().enumerate() {
        host.call(
            "swipe_seen",
            json!({"profile_id": id, "verdict": "like", "at_ms": 1.0e12, "key": format!("k{i}")}),
        );
    }
    // An older extension's token is refused: the host has no use for it.
    assert!(matches!(
        host.call("token", json!({"token": "tok-5ecret-matches"})),
        Response::Error(_)
    ));
    // The page's two lists: new matches (message=0), then conversations (message=1), which
    // lists A again plus a match the user made on another device.
    for (list, messages) in [(vec![LIKED_A], false), (vec![LIKED_A, NEVER_LIKED], true)] {
        let r = host.call(
            "matches",
            json!({"body": matches_answer(&list, messages), "captured_at_ms": 1.8e12}),
        );
        assert_eq!(r, Response::Ack { key: None });
    }
    // A broken answer records nothing and the host keeps serving.
    let r = host.call(
        "matches",
        json!({"body": {"data": {"matches": [{"_id": "m9", "person": {"_id": "../../x"}}, 7]}},
               "captured_at_ms": 1.8e12}),
    );
    assert_eq!(r, Response::Ack { key: None });
    std::thread::sleep(Duration::from_millis(1500));
    let Response::Stats(s) = host.call("stats", json!({})) else {
        panic!("stats")
    };
    assert_eq!(s.matches, 2, "A and the other device's match: {s:?}");
    let Response::History(h) = host.call("history", json!({})) else {
        panic!("history")
    };
    assert_eq!(
        (h.match_rates.user_likes, h.match_rates.user_matches),
        (2, 1),
        "{h:?}"
    );
    let Response::Profiles { total, .. } = host.call("profiles", json!({"filter": "matched"}))
    else {
        panic!("profiles")
    };
    assert_eq!(total, 2);
    let (code, stderr, _) = host.close();
    assert_eq!(code, 0, "{stderr}");
    // Photos of the recs page may be fetched from the CDN; nothing may go to the API.
    let heads = cdn.heads();
    let api: Vec<&String> = heads
        .iter()
        .filter(|h| {
            let h = h.to_ascii_lowercase();
            h.contains("host: api.gotinder.com")
                || h.contains(" /v2/")
                || h.contains("x-auth-token")
        })
        .collect();
    assert!(api.is_empty(), "the host called Tinder's API: {api:?}");
}
