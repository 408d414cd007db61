//! Matches: the host reads `/v2/matches` with the page's token (memory only) while the
//! port is connected; a 401 makes it forget the token and tell the extension.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use swipy_shared::protocol::{ErrorCode, Response};

use crate::common::{walk, Cdn, Host, Reply};

const SECRET: &str = "tok-5ecret-matches-0123456789";

fn matches_page(ids: &[&str], next: Option<&str>) -> Vec<u8> {
    let matches: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| json!({"_id": format!("m{i}{id}"), "person": {"_id": id, "name": "X"}, "created_date": "2026-11-28T10:00:00.000Z"}))
        .collect();
    serde_json::to_vec(
        &json!({"meta": {"status": 200}, "data": {"matches": matches, "next_page_token": next}}),
    )
    .expect("json")
}

/// A browser-started host whose Tinder API and CDN are `cdn`, past its hello.
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
fn matches_are_read_with_the_token_and_recorded() {
    let cdn = Cdn::start(Arc::new(|path: &str, _| {
        if path == "/v2/matches?count=60" {
            Reply::new(200, matches_page(&["5f1a2b3c4d5e6f7a8b9c0d01"], Some("p2")))
        } else if path == "/v2/matches?count=60&page_token=p2" {
            Reply::new(200, matches_page(&["5f1a2b3c4d5e6f7a8b9c0d03"], None))
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
    for (i, id) in ["5f1a2b3c4d5e6f7a8b9c0d01", "5f1a2b3c4d5e6f7a8b9c0d02"]
        .iter()
        .enumerate()
    {
        host.call(
            "swipe_seen",
            json!({"profile_id": id, "verdict": "like", "at_ms": 1.0e12, "key": format!("k{i}")}),
        );
    }
    assert!(matches!(
        host.call("token", json!({"token": SECRET})),
        Response::Ack { .. }
    ));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let Response::Stats(s) = host.call("stats", json!({})) else {
            panic!("stats")
        };
        if s.matches == 2 {
            break;
        }
        assert!(Instant::now() < deadline, "matches not recorded: {s:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
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
    let heads = cdn.heads();
    let api: Vec<&String> = heads.iter().filter(|h| h.contains("/v2/matches")).collect();
    assert_eq!(api.len(), 2, "two pages, read once: {heads:?}");
    for h in &api {
        assert!(
            h.to_ascii_lowercase()
                .contains(&format!("x-auth-token: {}", SECRET.to_ascii_lowercase())),
            "{h}"
        );
    }
    let (code, stderr, _) = host.close();
    assert_eq!(code, 0);
    assert!(!stderr.contains(SECRET), "token in stderr:\n{stderr}");
    for f in walk(home.path()) {
        let bytes = std::fs::read(&f).unwrap_or_default();
        let hay = String::from_utf8_lossy(&bytes);
        assert!(!hay.contains(SECRET), "token found in {}", f.display());
    }
}

#[test]
fn an_expired_token_is_forgotten_and_reported() {
    let cdn = Cdn::start(Arc::new(|_: &str, _| Reply::new(401, b"{}".to_vec())));
    let home = tempfile::tempdir().expect("home");
    let mut host = host_with_api(&cdn, home.path());
    assert!(matches!(
        host.call("token", json!({"token": SECRET})),
        Response::Ack { .. }
    ));
    let ev = host.recv();
    assert_eq!(ev.re, None, "an event: {ev:?}");
    match ev.body {
        Response::Error(e) => {
            assert_eq!(e.code, ErrorCode::TokenMissing.code());
            assert!(
                e.message.contains("expired") && !e.message.contains(SECRET),
                "{}",
                e.message
            );
        }
        other => panic!("{other:?}"),
    }
    let (code, stderr, _) = host.close();
    assert_eq!(code, 0);
    assert!(!stderr.contains(SECRET), "token in stderr:\n{stderr}");
}

#[test]
fn an_oversized_matches_answer_is_refused_and_the_host_keeps_serving() {
    let huge = {
        let mut b = matches_page(&["5f1a2b3c4d5e6f7a8b9c0d01"], None);
        b.resize(17 * 1024 * 1024, b' ');
        b
    };
    let cdn = Cdn::start(Arc::new(move |_: &str, _| Reply::new(200, huge.clone())));
    let home = tempfile::tempdir().expect("home");
    let mut host = host_with_api(&cdn, home.path());
    host.call(
        "recs",
        json!({"body": crate::common::fixture(), "captured_at_ms": 1_795_867_200_000.0_f64}),
    );
    assert!(matches!(
        host.call("token", json!({"token": SECRET})),
        Response::Ack { .. }
    ));
    let deadline = Instant::now() + Duration::from_secs(20);
    while !host
        .stderr_text()
        .contains("matches not read: the answer is too large")
    {
        assert!(
            Instant::now() < deadline,
            "no refusal logged:\n{}",
            host.stderr_text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let Response::Stats(s) = host.call("stats", json!({})) else {
        panic!("stats")
    };
    assert_eq!(s.matches, 0, "nothing of the refused answer was recorded");
    let (code, stderr, _) = host.close();
    assert_eq!(code, 0, "{stderr}");
}
