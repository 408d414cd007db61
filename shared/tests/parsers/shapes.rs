//! The shapes the real web app's answers come in (see the public captures listed in the
//! project's Tinder facts): every variant the extension must read the same way.

use serde_json::{json, Value};
use swipy_shared::tinder::*;

use super::NOW_MS;

/// 2026-11-28T14:05:00Z, as ms, s and ISO 8601.
const LIMIT_MS: f64 = 1_795_874_700_000.0;

fn like(body: Value) -> LikeOutcome {
    parse_like_response(&body)
}

#[test]
fn rate_limited_until_reads_the_same_in_ms_seconds_and_iso() {
    for until in [
        json!(1_795_874_700_000_i64),
        json!(1_795_874_700_i64),
        json!("1795874700000"),
        json!("2026-11-28T14:05:00.000Z"),
        json!("2026-11-28T14:05:00Z"),
    ] {
        let out = like(
            json!({"status": 200, "match": false, "likes_remaining": 0, "rate_limited_until": until}),
        );
        assert_eq!(
            out.rate_limited_until_ms,
            Some(LIMIT_MS),
            "rate_limited_until {until}"
        );
        assert!(
            out.out_of_likes(NOW_MS),
            "{until} is an out-of-likes answer"
        );
    }
}

#[test]
fn like_answers_wrapped_in_data_read_like_bare_ones() {
    let bare = like(
        json!({"status": 200, "match": false, "likes_remaining": 0, "rate_limited_until": LIMIT_MS}),
    );
    let wrapped = like(
        json!({"meta": {"status": 200}, "data": {"match": false, "likes_remaining": 0, "rate_limited_until": LIMIT_MS}}),
    );
    assert_eq!(wrapped.likes_remaining, Some(0));
    assert_eq!(wrapped.rate_limited_until_ms, Some(LIMIT_MS));
    assert_eq!(wrapped.status, Some(200));
    assert_eq!(bare.likes_remaining, wrapped.likes_remaining);
    assert!(wrapped.out_of_likes(NOW_MS));
    let matched = like(
        json!({"meta": {"status": 200}, "data": {"match": {"_id": "m1", "person": {"_id": "p1"}}, "likes_remaining": 100}}),
    );
    assert!(matched.matched);
    assert_eq!(matched.match_id.as_deref(), Some("m1"));
}

#[test]
fn likes_remaining_as_a_string() {
    assert_eq!(
        like(json!({"match": false, "likes_remaining": "100"})).likes_remaining,
        Some(100)
    );
    let out = like(json!({"match": false, "likes_remaining": "0"}));
    assert_eq!(out.likes_remaining, Some(0));
    assert!(out.out_of_likes(NOW_MS));
    // Tinder keeps saying 100 until the last like: 100 is not out of likes.
    assert!(!like(json!({"match": false, "likes_remaining": 100})).out_of_likes(NOW_MS));
}

#[test]
fn match_is_false_or_an_object() {
    assert!(!like(json!({"match": false, "likes_remaining": 100})).matched);
    let out = like(
        json!({"match": {"_id": "5f1a2b", "id": "5f1a2b", "person": {"_id": "65a"}}, "likes_remaining": 100}),
    );
    assert!(out.matched);
    assert_eq!(out.match_id.as_deref(), Some("5f1a2b"));
    // No `match` at all (a pass answer) is no match.
    assert!(!like(json!({"status": 200})).matched);
}

fn user(id: &str, name: &str) -> Value {
    json!({"type": "user", "user": {"_id": id, "name": name, "birth_date": "1997-03-01T00:00:00.000Z", "photos": []}, "s_number": 2_811_452_770_975_367_i64})
}

#[test]
fn rate_limited_placeholders_never_become_profiles() {
    let body = json!({"meta": {"status": 200}, "data": {"results": [
        user("65a01c9e8b1d4e0012a3b401", "Anna"),
        user("tinder_rate_limited_id_1795874700000", "Tinder Team"),
        {"type": "user", "user": {"id": "tinder_rate_limited_id_2", "name": "Tinder Team"}},
    ]}});
    let page = parse_recs(&body, NOW_MS);
    let names: Vec<&str> = page.profiles.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Anna"]);
    assert!(page.rate_limited);
    assert_eq!(page.skipped, 2);
    // A 16-digit s_number survives.
    assert_eq!(page.profiles[0].s_number, Some(2_811_452_770_975_367.0));
}

#[test]
fn recs_answering_rate_limited_error_is_a_rate_limit() {
    for body in [
        json!({"error": {"message": "RATE_LIMITED"}}),
        json!({"meta": {"status": 429}, "error": {"message": "RATE_LIMITED"}}),
        json!({"error": "RATE_LIMITED"}),
    ] {
        let page = parse_recs(&body, NOW_MS);
        assert!(page.rate_limited, "{body}");
        assert_eq!(page.error.as_deref(), Some("RATE_LIMITED"));
        assert!(page.profiles.is_empty());
    }
    let other = parse_recs(&json!({"error": {"message": "INTERNAL"}}), NOW_MS);
    assert!(!other.rate_limited);
    assert_eq!(other.error.as_deref(), Some("INTERNAL"));
    let fine = parse_recs(
        &json!({"data": {"results": [user("65a01c9e8b1d4e0012a3b401", "Anna")]}}),
        NOW_MS,
    );
    assert!(!fine.rate_limited);
    assert_eq!(fine.error, None);
}

#[test]
fn profile_likes_remaining_as_number_or_string() {
    let p = parse_profile(
        &json!({"meta": {"status": 200}, "data": {"likes": {"likes_remaining": "0", "rate_limited_until": "2026-11-28T14:05:00Z"}, "user": {"_id": "me1", "name": "Me"}}}),
    );
    assert_eq!(p.likes_remaining, Some(0));
    assert_eq!(p.rate_limited_until_ms, Some(LIMIT_MS));
    let p = parse_profile(&json!({"data": {"likes": {"likes_remaining": 100}}}));
    assert_eq!(p.likes_remaining, Some(100));
}

#[test]
fn both_matches_lists_read_the_same() {
    for message in [0, 1] {
        let body = json!({"meta": {"status": 200}, "data": {"matches": [
            {"_id": "m1", "created_date": "2026-11-27T10:00:00.000Z", "message_count": message, "person": {"_id": "65a01c9e8b1d4e0012a3b401", "name": "Anna"}},
        ], "next_page_token": null}});
        let page = parse_matches(&body);
        assert_eq!(page.matches.len(), 1);
        assert_eq!(page.matches[0].person_id, "65a01c9e8b1d4e0012a3b401");
        assert_eq!(page.next_page_token, None);
    }
}
