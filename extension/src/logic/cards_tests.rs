use super::*;
use serde_json::json;

// 2025-11-28T12:00:00Z
const NOW: f64 = 1_764_331_200_000.0;

fn recs(users: &[(&str, &str, Option<&str>)]) -> Value {
    let results: Vec<Value> = users
        .iter()
        .map(|(id, name, birth)| {
            json!({"type": "user", "user": {"_id": id, "name": name, "birth_date": birth}})
        })
        .collect();
    json!({"meta": {"status": 200}, "data": {"results": results}})
}

fn card(name: &str, age: Option<u32>) -> CardFacts {
    CardFacts {
        name: name.into(),
        age,
    }
}

#[test]
fn age_is_whole_years_at_capture_time() {
    let body = recs(&[
        ("a1", "Anna", Some("1998-11-28T00:00:00.000Z")),
        ("b2", "Bea", Some("1998-11-29T00:00:00.000Z")),
        ("c3", "Cleo", Some("2000-02-29")),
        ("d4", "Dora", Some("garbage")),
        ("e5", "Eva", None),
    ]);
    let ages: Vec<Option<u32>> = parse_recs(&body, NOW).into_iter().map(|p| p.age).collect();
    assert_eq!(ages, [Some(27), Some(26), Some(25), None, None]);
}

#[test]
fn rate_limit_placeholders_never_become_cards() {
    let body = json!({"data": {"results": [
        {"type": "user", "user": {"_id": "tinder_rate_limited_id_1764331200000", "name": "Tinder Team"}},
        {"type": "user", "user": {"_id": "a1", "name": "Anna"}},
    ]}});
    let mut q = CardQueue::new();
    let added = q.ingest(&body, NOW);
    assert_eq!(
        added.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["a1"]
    );
    // A card named like the placeholder is never matched to it.
    assert_eq!(q.resolve(&card("Tinder Team", None)), None);
    assert_eq!(q.upcoming(), ["a1"]);
}

#[test]
fn parses_user_results_in_order_and_skips_the_rest() {
    let body = json!({"data": {"results": [
        {"type": "user", "user": {"_id": "a1", "name": "Anna", "birth_date": "1998-01-01T00:00:00Z"}},
        {"type": "ad", "user": {"_id": "ad1", "name": "Ad"}},
        {"type": "user", "user": {"_id": "b2", "name": "Bea", "birth_date": "1990-01-01T00:00:00Z", "hide_age": true}},
        {"type": "user", "user": {"_id": "c3"}},
        {"type": "user", "user": {"_id": "d4", "name": "Dee"}},
        {"type": "user", "user": {"_id": "bad id", "name": "X"}}
    ]}});
    let got = parse_recs(&body, NOW);
    let ids: Vec<&str> = got.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["a1", "b2", "d4"]);
    assert_eq!(got[0].age, Some(27));
    assert_eq!(got[1].age, None, "hidden age must not be used");
    assert_eq!(got[2].age, None);
    assert!(parse_recs(&json!({"data": {}}), NOW).is_empty());
    assert!(parse_recs(&json!({"meta": {"status": 429}}), NOW).is_empty());
}

#[test]
fn the_top_card_is_the_first_unswiped_profile_confirmed_by_name_and_age() {
    let mut q = CardQueue::new();
    q.ingest(
        &recs(&[
            ("a1", "Anna", Some("1998-01-01")),
            ("b2", "Bea", Some("1995-01-01")),
            ("c3", "Cleo", None),
        ]),
        NOW,
    );
    assert_eq!(
        q.resolve(&card("Anna", Some(27))).map(|p| p.id.as_str()),
        Some("a1")
    );
    // Age off by one (approximate birth dates) still matches; off by more does not.
    assert_eq!(
        q.resolve(&card("Anna", Some(28))).map(|p| p.id.as_str()),
        Some("a1")
    );
    assert_eq!(q.resolve(&card("Anna", Some(31))), None);
    q.mark_swiped("a1");
    assert_eq!(
        q.resolve(&card("Anna", Some(27))),
        None,
        "a swiped profile is never the top card"
    );
    assert_eq!(
        q.resolve(&card("bea", Some(30))).map(|p| p.id.as_str()),
        Some("b2")
    );
    // The page skipped Bea (e.g. swiped before the swipe call was seen): the name decides.
    assert_eq!(
        q.resolve(&card("Cleo", None)).map(|p| p.id.as_str()),
        Some("c3")
    );
    assert_eq!(q.upcoming(), ["b2", "c3"]);
}

#[test]
fn two_profiles_with_the_same_name_map_in_order() {
    let mut q = CardQueue::new();
    q.ingest(
        &recs(&[
            ("x1", "Mia", Some("1999-01-01")),
            ("x2", "Mia", Some("1999-05-01")),
        ]),
        NOW,
    );
    assert_eq!(
        q.resolve(&card("Mia", Some(26))).map(|p| p.id.as_str()),
        Some("x1")
    );
    q.mark_swiped("x1");
    assert_eq!(
        q.resolve(&card("Mia", Some(26))).map(|p| p.id.as_str()),
        Some("x2")
    );
}

#[test]
fn the_same_recs_twice_do_not_duplicate_the_queue() {
    let mut q = CardQueue::new();
    let body = recs(&[("a1", "Anna", None), ("b2", "Bea", None)]);
    assert_eq!(q.ingest(&body, NOW).len(), 2);
    assert_eq!(q.ingest(&body, NOW).len(), 0);
    assert_eq!(q.len(), 2);
}

#[test]
fn the_queue_stays_bounded_and_drops_swiped_profiles_first() {
    let mut q = CardQueue::new();
    for i in 0..700 {
        let id = format!("p{i}");
        q.ingest(&recs(&[(id.as_str(), "N", None)]), NOW);
        if i < 650 {
            q.mark_swiped(&id);
        }
    }
    assert!(q.len() <= 600);
    // Every unswiped profile survived.
    assert_eq!(q.upcoming().len(), 50);
    assert_eq!(q.upcoming()[0], "p650");
}
