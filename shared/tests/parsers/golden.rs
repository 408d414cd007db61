//! Exact values parsed out of the fixtures.

use swipy_shared::protocol::Verdict;
use swipy_shared::tinder::*;

use super::{fixture, NOW_MS};

/// What a user checks on one card: the golden row for one profile.
struct Want {
    id: &'static str,
    name: &'static str,
    age: Option<u32>,
    distance_km: Option<f64>,
    photos: usize,
    bio_starts: &'static str,
}

const fn want(
    id: &'static str,
    name: &'static str,
    age: Option<u32>,
    distance_km: Option<f64>,
    photos: usize,
    bio_starts: &'static str,
) -> Want {
    Want {
        id,
        name,
        age,
        distance_km,
        photos,
        bio_starts,
    }
}

fn id(n: u32) -> String {
    format!("65a{n:02}c9e8b1d4e0012a3b4{n:02}")
}

fn assert_face(f: &FaceBox, x: f64, y: f64, w: f64, h: f64) {
    assert_eq!(f, &FaceBox { x, y, w, h });
}

fn profile<'a>(page: &'a RecsPage, name: &str) -> &'a Profile {
    page.profiles
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no profile named {name}"))
}

#[test]
fn recs_page_with_english_and_german_profiles() {
    let page = parse_recs(&fixture("recs_en_de.json"), NOW_MS);
    let wants = [
        want(
            "65a01c9e8b1d4e0012a3b401",
            "Anna",
            Some(29),
            Some(4.8),
            3,
            "Kaffee, Berge und gute Bücher.",
        ),
        // Birthday on the capture day counts.
        want(
            "65a02c9e8b1d4e0012a3b402",
            "Emily",
            Some(27),
            Some(19.3),
            2,
            "Nurse by day, amateur baker",
        ),
        // Birthday the day after capture does not; empty bio; hidden distance.
        want("65a03c9e8b1d4e0012a3b403", "Lena", Some(30), None, 1, ""),
        // No birth_date at all; 0 miles away.
        want(
            "65a04c9e8b1d4e0012a3b404",
            "Sophie",
            None,
            Some(0.0),
            4,
            "Tierärztin mit Herz für Hunde",
        ),
        // hide_age with a birth_date; bio key missing.
        want("65a05c9e8b1d4e0012a3b405", "Mia", None, Some(12.9), 2, ""),
        // No photos key.
        want(
            "65a06c9e8b1d4e0012a3b406",
            "Chloe",
            Some(28),
            Some(40.2),
            0,
            "Climber, coffee snob",
        ),
        // Four photo entries, one without any URL.
        want(
            "65a07c9e8b1d4e0012a3b407",
            "Hannah",
            Some(30),
            Some(6.4),
            3,
            "Fotografin 📷",
        ),
        want(
            "65a08c9e8b1d4e0012a3b408",
            "Julia",
            Some(32),
            Some(3.2),
            1,
            "Grundschullehrerin aus München.\nIch liebe",
        ),
        // Whitespace-only bio.
        want(
            "65a09c9e8b1d4e0012a3b409",
            "Olivia",
            Some(24),
            Some(9.7),
            5,
            "",
        ),
        // Name with spaces, bio of the wrong type, distance and s_number as strings.
        want(
            "65a10c9e8b1d4e0012a3b410",
            "Lea",
            Some(25),
            Some(11.3),
            1,
            "",
        ),
        // Born on 29 February.
        want(
            "65a11c9e8b1d4e0012a3b411",
            "Grace",
            Some(26),
            Some(14.5),
            2,
            "Book club dropout 📚✨",
        ),
        want(
            "65a12c9e8b1d4e0012a3b412",
            "Marie",
            Some(32),
            Some(1.6),
            1,
            "Halb Französin, halb Schwäbin.",
        ),
        want(
            "65a13c9e8b1d4e0012a3b413",
            "Zoe",
            Some(35),
            Some(160.9),
            3,
            "Software engineer who actually",
        ),
    ];
    assert_eq!(page.profiles.len(), wants.len());
    assert_eq!(page.skipped, 0);
    assert!(!page.rate_limited);
    assert_eq!(page.likes_remaining, None);
    assert_eq!(page.rate_limited_until_ms, None);
    for (p, w) in page.profiles.iter().zip(&wants) {
        assert_eq!(p.id, w.id);
        assert_eq!(p.name, w.name, "{}", w.id);
        assert_eq!(p.age, w.age, "{}", w.name);
        assert_eq!(p.distance_km, w.distance_km, "{}", w.name);
        assert_eq!(p.photos.len(), w.photos, "{}", w.name);
        assert!(p.bio.starts_with(w.bio_starts), "{}: {:?}", w.name, p.bio);
        if w.bio_starts.is_empty() {
            assert_eq!(p.bio, "", "{}", w.name);
        }
        assert_eq!(
            p.raw.pointer("/user/_id").and_then(|v| v.as_str()),
            Some(w.id),
            "raw keeps the result"
        );
    }
    let bios_in_german = page
        .profiles
        .iter()
        .filter(|p| p.bio.contains('ü') || p.bio.contains('ä'))
        .count();
    assert!(bios_in_german >= 4, "fixture covers German bios");
}

#[test]
fn recs_profile_details() {
    let page = parse_recs(&fixture("recs_en_de.json"), NOW_MS);
    let anna = profile(&page, "Anna");
    assert_eq!(anna.birth_date.as_deref(), Some("1997-05-14T08:21:33.412Z"));
    assert_eq!(anna.gender, Some(1));
    assert!(!anna.hide_age && !anna.hide_distance);
    assert_eq!(anna.jobs, ["Ärztin, Charité"]);
    assert_eq!(anna.schools, ["Humboldt-Universität zu Berlin"]);
    assert_eq!(anna.city.as_deref(), Some("Berlin"));
    assert_eq!(anna.interests, ["Wandern", "Kaffee", "Lesen"]);
    assert_eq!(anna.descriptors, ["Sternzeichen: Stier"]);
    // `teaser` repeats the first of `teasers`: kept once.
    assert_eq!(
        anna.teasers,
        ["Ärztin bei Charité", "Humboldt-Universität zu Berlin"]
    );
    assert_eq!(anna.s_number, Some(7_032_617_841_259_614.0));
    let p0 = &anna.photos[0];
    assert_eq!(
        p0.id.as_deref(),
        Some("65a01c9e-0000-4a1b-9c2d-4e0012a3b401")
    );
    assert!(p0.url.starts_with(
        "https://images-ssl.gotinder.com/u/a3b4010/65a01c9e8b1d4e0012a3b401-photo0.jpg?Policy="
    ));
    assert!(p0.best_url.starts_with(
        "https://images-ssl.gotinder.com/u/a3b4010/65a01c9e8b1d4e0012a3b401-photo0_640x800.webp?"
    ));
    assert_eq!(p0.faces.len(), 1);
    assert_face(&p0.faces[0], 0.39, 0.18, 0.21, 0.21);
    assert!(anna.photos[1].faces.is_empty());

    let emily = profile(&page, "Emily");
    assert_eq!(emily.photos[0].faces.len(), 2);
    assert_face(&emily.photos[0].faces[0], 0.1, 0.2, 0.3, 0.25);
    assert_face(&emily.photos[0].faces[1], 0.55, 0.22, 0.28, 0.24);
    assert_eq!(emily.jobs, ["Nurse, St Thomas' Hospital"]);
    assert_eq!(emily.descriptors, Vec::<String>::new());

    let lena = profile(&page, "Lena");
    assert!(lena.hide_distance);
    assert_eq!(
        lena.raw.get("distance_mi").and_then(|v| v.as_f64()),
        Some(5.0),
        "hidden, yet kept in raw"
    );

    let mia = profile(&page, "Mia");
    assert!(mia.hide_age);
    assert_eq!(mia.birth_date.as_deref(), Some("1990-02-01T10:00:00.000Z"));

    // best_url: largest processedFiles without 640×800, else url; url falls back to best.
    let hannah = profile(&page, "Hannah");
    let [h0, h1, h2] = &hannah.photos[..] else {
        panic!("Hannah has {} photos", hannah.photos.len())
    };
    assert!(
        h0.best_url.contains("-photo0_1080x1350.webp?"),
        "{}",
        h0.best_url
    );
    assert!(h0.url.contains("-photo0.jpg?"));
    assert!(h1.best_url.contains("-photo1.jpg?") && h1.best_url == h1.url);
    assert!(h2.best_url.contains("-photo2_640x800.webp?") && h2.url == h2.best_url);

    let julia = profile(&page, "Julia");
    assert_eq!(julia.jobs, ["Lehrerin", "Stadt München"]);
    assert_eq!(julia.schools, ["LMU München", "Gymnasium Tegernsee"]);
    assert_eq!(
        julia.descriptors,
        [
            "Sternzeichen: Steinbock",
            "Kommunikationsstil: Lange Nachrichten, Telefonieren",
            "Größe: 170 cm"
        ]
    );
    assert_eq!(julia.interests, ["Brettspiele", "Bergsteigen", "Skifahren"]);

    let lea = profile(&page, "Lea");
    assert_eq!(lea.s_number, Some(1_124_998_877_665_544.0));

    let grace = profile(&page, "Grace");
    assert_eq!(grace.teasers, ["King's College London", "Die Nachtfalter"]);
    assert_eq!(grace.interests.len(), 5);

    // A face box reaching past the photo is clipped; malformed boxes are dropped.
    let marie = profile(&page, "Marie");
    assert_eq!(marie.photos[0].faces.len(), 1);
    assert_face(&marie.photos[0].faces[0], 0.8, 0.6, 1.0 - 0.8, 1.0 - 0.6);

    let zoe = profile(&page, "Zoe");
    assert_eq!(zoe.gender, None);
    assert_eq!(zoe.city, None);
    assert_eq!(
        zoe.raw
            .pointer("/some_future_field/nested/2")
            .and_then(|v| v.as_i64()),
        Some(3)
    );
}

#[test]
fn profile_text_joins_bio_and_facts() {
    let page = parse_recs(&fixture("recs_en_de.json"), NOW_MS);
    assert_eq!(
        profile_text(profile(&page, "Anna")),
        "Kaffee, Berge und gute Bücher. Suche jemanden für spontane Wochenendtrips ☕️🏔\n\
         Ärztin, Charité\nHumboldt-Universität zu Berlin\nWandern, Kaffee, Lesen\nSternzeichen: Stier"
    );
    assert_eq!(
        profile_text(profile(&page, "Julia")),
        "Grundschullehrerin aus München.\nIch liebe Berge, Brezn und Brettspiele.\n\
         Lehrerin; Stadt München\nLMU München; Gymnasium Tegernsee\nBrettspiele, Bergsteigen, Skifahren\n\
         Sternzeichen: Steinbock; Kommunikationsstil: Lange Nachrichten, Telefonieren; Größe: 170 cm"
    );
    // Empty bio: the other parts only, no leading blank line.
    assert_eq!(profile_text(profile(&page, "Lena")), "");
    assert_eq!(profile_text(profile(&page, "Olivia")), "");
    assert_eq!(profile_text(profile(&page, "Mia")), "");
    let mut p = profile(&page, "Lena").clone();
    p.interests = vec!["Jazz".into()];
    assert_eq!(profile_text(&p), "Jazz");
}

#[test]
fn profiles_survive_a_serde_round_trip() {
    let page = parse_recs(&fixture("recs_en_de.json"), NOW_MS);
    let text = serde_json::to_string(&page).expect("serialize");
    let back: RecsPage = serde_json::from_str(&text).expect("deserialize");
    for (a, b) in back.profiles.iter().zip(&page.profiles) {
        let mut a = a.clone();
        a.raw = b.raw.clone();
        assert_eq!(&a, b);
        assert_eq!(a.raw, b.raw);
    }
    assert_eq!(back, page);
}

#[test]
fn recs_page_with_other_result_types() {
    let page = parse_recs(&fixture("recs_mixed.json"), NOW_MS);
    let got: Vec<(&str, &str, Option<u32>, Option<f64>)> = page
        .profiles
        .iter()
        .map(|p| (p.id.as_str(), p.name.as_str(), p.age, p.distance_km))
        .collect();
    assert_eq!(
        got,
        [
            (id(14).as_str(), "Nina", Some(34), Some(17.7)),
            // No `type` but a user object: read as a user.
            (id(15).as_str(), "Tess", Some(37), Some(48.3)),
            (id(16).as_str(), "Kim", Some(30), Some(20.9)),
        ]
    );
    // ad, teaser card, path-like id, no id, a number, a repeated id, no user, numeric id, null.
    assert_eq!(page.skipped, 9);
    assert!(!page.rate_limited);
    assert_eq!(
        profile(&page, "Nina").bio,
        "Architektin. Altbau-Liebhaberin.",
        "first occurrence wins"
    );
    assert!(profile(&page, "Tess").photos.is_empty());
}

#[test]
fn rate_limited_recs_page() {
    let page = parse_recs(&fixture("recs_rate_limited.json"), NOW_MS);
    assert!(page.rate_limited);
    assert!(page.profiles.is_empty());
    assert_eq!(page.skipped, 1);
    assert_eq!(page.likes_remaining, Some(0));
    assert_eq!(page.rate_limited_until_ms, Some(1_795_881_600_000.0));
}

#[test]
fn rate_limit_in_the_past_is_not_a_rate_limit() {
    let mut body = fixture("recs_rate_limited.json");
    body["data"]["results"] = serde_json::json!([]);
    let later = 1_795_881_600_001.0;
    let page = parse_recs(&body, later);
    assert!(!page.rate_limited);
    assert_eq!(page.rate_limited_until_ms, Some(1_795_881_600_000.0));
    assert!(parse_recs(&body, NOW_MS).rate_limited);
}

#[test]
fn recs_timeout_page_is_empty() {
    let page = parse_recs(&fixture("recs_timeout.json"), NOW_MS);
    assert_eq!(page, RecsPage::default());
}

#[test]
fn like_responses() {
    let no = parse_like_response(&fixture("like_no_match.json"));
    assert!(!no.matched);
    assert_eq!(no.match_id, None);
    assert_eq!(no.likes_remaining, Some(99));
    assert_eq!(no.rate_limited_until_ms, None);
    assert_eq!(no.status, Some(200));
    assert!(!no.out_of_likes(NOW_MS));

    let yes = parse_like_response(&fixture("like_match.json"));
    assert!(yes.matched);
    assert_eq!(yes.match_id, Some(format!("{}{}", id(1), id(21))));
    assert_eq!(yes.likes_remaining, Some(97));
    assert!(!yes.out_of_likes(NOW_MS));

    let out = parse_like_response(&fixture("like_out_of_likes.json"));
    assert!(!out.matched);
    assert_eq!(out.likes_remaining, Some(0));
    assert_eq!(out.rate_limited_until_ms, Some(1_795_910_400_000.0));
    assert!(out.out_of_likes(NOW_MS));

    let sup = parse_like_response(&fixture("superlike.json"));
    assert!(!sup.matched);
    assert!(!sup.limit_exceeded);
    assert_eq!(sup.super_likes_remaining, Some(0));
    assert_eq!(sup.super_likes_resets_at_ms, Some(1_795_943_642_000.0));
    assert_eq!(sup.likes_remaining, None);

    // `match: true` without an object, and the shape wrapped in `data`.
    let t = parse_like_response(&serde_json::json!({"match": true}));
    assert!(t.matched && t.match_id.is_none());
    let wrapped = parse_like_response(&serde_json::json!({
        "meta": {"status": 200},
        "data": {"match": {"_id": "abc"}, "likes_remaining": 5}
    }));
    assert_eq!(
        (
            wrapped.matched,
            wrapped.match_id.as_deref(),
            wrapped.likes_remaining
        ),
        (true, Some("abc"), Some(5))
    );
    assert_eq!(wrapped.status, Some(200));
}

#[test]
fn pass_responses() {
    assert_eq!(
        parse_pass_response(&fixture("pass.json")),
        PassOutcome {
            status: Some(200),
            ok: true
        }
    );
    assert_eq!(
        parse_pass_response(&serde_json::json!({})),
        PassOutcome {
            status: None,
            ok: true
        }
    );
    assert_eq!(
        parse_pass_response(&serde_json::json!({"status": 429})),
        PassOutcome {
            status: Some(429),
            ok: false
        }
    );
}

#[test]
fn own_profile() {
    let me = parse_profile(&fixture("profile.json"));
    assert_eq!(me.id.as_deref(), Some(id(21).as_str()));
    assert_eq!(me.name, "Max");
    assert_eq!(me.bio, "Here for the dogs.");
    assert_eq!(me.birth_date.as_deref(), Some("1994-05-05T00:00:00.000Z"));
    assert_eq!(me.gender, Some(0));
    assert_eq!(me.photos.len(), 2);
    assert_face(&me.photos[0].faces[0], 0.3, 0.2, 0.3, 0.3);
    assert_eq!(me.likes_remaining, Some(100));
    assert_eq!(me.rate_limited_until_ms, None);
    assert_eq!(me.super_likes_remaining, Some(1));
    assert_eq!(me.super_likes_resets_at_ms, None);
}

#[test]
fn matches_page() {
    let page = parse_matches(&fixture("matches.json"));
    let me = id(21);
    assert_eq!(
        page.matches,
        [
            MatchInfo {
                match_id: format!("{me}{}", id(1)),
                person_id: id(1),
                name: "Anna".into(),
                created_ms: Some(1_795_867_198_123.0)
            },
            MatchInfo {
                match_id: format!("{me}{}", id(8)),
                person_id: id(8),
                name: "Julia".into(),
                created_ms: Some(1_795_201_500_000.0)
            },
            MatchInfo {
                match_id: format!("{me}{}", id(15)),
                person_id: id(15),
                name: "Tess".into(),
                created_ms: Some(1_793_430_000_000.0)
            },
        ]
    );
    assert_eq!(page.skipped, 1);
    assert_eq!(
        page.next_page_token.as_deref(),
        Some("MjAyNi0xMC0zMVQwNzowMDowMC4wMDBa")
    );
}

#[test]
fn swipe_calls_as_the_page_makes_them() {
    let anna = id(1);
    let cases = [
        (
            "POST",
            format!("https://api.gotinder.com/like/{anna}?locale=en"),
            Some(Verdict::Like),
        ),
        (
            "POST",
            format!("https://api.gotinder.com/pass/{anna}?locale=en&s_number=7032617841259614"),
            Some(Verdict::Nope),
        ),
        (
            "GET",
            format!("https://api.gotinder.com/pass/{anna}?s_number=7032617841259614"),
            Some(Verdict::Nope),
        ),
        (
            "POST",
            format!("https://api.gotinder.com/like/{anna}/super?locale=en"),
            Some(Verdict::Superlike),
        ),
        ("POST", format!("/like/{anna}/"), Some(Verdict::Like)),
        (
            "POST",
            format!("/like/{anna}/super/"),
            Some(Verdict::Superlike),
        ),
        (
            "GET",
            format!("https://api.gotinder.com/user/{anna}?locale=en"),
            None,
        ),
        (
            "GET",
            "https://api.gotinder.com/v2/recs/core?locale=en".to_owned(),
            None,
        ),
        (
            "POST",
            format!("https://api.gotinder.com/like/{anna}/super/boost"),
            None,
        ),
        (
            "POST",
            format!("https://images-ssl.gotinder.com/like/{anna}"),
            None,
        ),
        ("PUT", format!("https://api.gotinder.com/like/{anna}"), None),
        (
            "POST",
            "https://api.gotinder.com/like/..%2F..%2Fetc".to_owned(),
            None,
        ),
        (
            "POST",
            "https://api.gotinder.com/like/a\0b".to_owned(),
            None,
        ),
    ];
    for (method, url, verdict) in cases {
        assert_eq!(
            swipe_from_url(method, &url),
            verdict.map(|v| (v, anna.clone())),
            "{method} {url}"
        );
    }
}
