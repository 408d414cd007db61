use super::*;
use serde_json::json;

#[test]
fn iso_dates_parse_to_epoch_ms() {
    assert_eq!(parse_iso8601_ms("1970-01-01T00:00:00Z"), Some(0.0));
    assert_eq!(parse_iso8601_ms("1970-01-02"), Some(86_400_000.0));
    assert_eq!(
        parse_iso8601_ms("2026-11-28T12:00:00.000Z"),
        Some(1_795_867_200_000.0)
    );
    assert_eq!(
        parse_iso8601_ms("2026-11-28T14:00:00+02:00"),
        Some(1_795_867_200_000.0)
    );
    assert_eq!(
        parse_iso8601_ms("2026-11-28T07:30:00-0430"),
        Some(1_795_867_200_000.0)
    );
    assert_eq!(
        parse_iso8601_ms("2000-02-29T00:00:00.5Z"),
        Some(951_782_400_500.0)
    );
    for bad in [
        "",
        "2001-02-29",
        "2026-13-01",
        "2026-00-10",
        "26-11-28",
        "2026-11-28T25:00Z",
        "2026-11-28X",
        "2026-11-28T12:00:00+5",
        "２０２６-11-28",
    ] {
        assert_eq!(parse_iso8601_ms(bad), None, "{bad}");
    }
}

#[test]
fn civil_dates_round_trip() {
    for days in [-800_000_i64, -1, 0, 1, 59, 60, 11_016, 20_420, 2_000_000] {
        let d = civil_from_ms(days as f64 * 86_400_000.0 + 1.0).expect("date");
        assert_eq!(days_from_civil(d.year, d.month, d.day), days, "{d:?}");
    }
    assert_eq!(civil_from_ms(f64::NAN), None);
    assert_eq!(civil_from_ms(f64::INFINITY), None);
}

#[test]
fn age_counts_from_the_birthday_on() {
    let now = parse_iso8601_ms("2026-11-28T12:00:00Z").expect("now");
    assert_eq!(age_years("1996-11-28T00:00:00.000Z", now), Some(30));
    assert_eq!(age_years("1996-11-29T00:00:00.000Z", now), Some(29));
    assert_eq!(age_years("2026-11-28", now), Some(0));
    assert_eq!(age_years("2027-01-01", now), None);
    assert_eq!(age_years("1800-01-01", now), None);
    let feb28 = parse_iso8601_ms("2027-02-28T00:00:00Z").expect("t");
    let mar1 = parse_iso8601_ms("2027-03-01T00:00:00Z").expect("t");
    assert_eq!(age_years("2000-02-29", feb28), Some(26));
    assert_eq!(age_years("2000-02-29", mar1), Some(27));
    assert_eq!(age_years("garbage", now), None);
}

#[test]
fn profile_ids() {
    assert!(is_plausible_profile_id("5f3a9c2e8b1d4e0012a3b4c5"));
    assert!(is_plausible_profile_id("a_b-C9"));
    for bad in [
        "",
        "../etc",
        "a/b",
        "a\\b",
        "a\0b",
        "..",
        ".",
        "a b",
        "é",
        &"a".repeat(65),
    ] {
        assert!(!is_plausible_profile_id(bad), "{bad:?}");
    }
    assert!(is_plausible_profile_id(&"a".repeat(64)));
}

#[test]
fn swipe_urls() {
    let id = "5f3a9c2e8b1d4e0012a3b4c5";
    let like = Some((Verdict::Like, id.to_owned()));
    assert_eq!(swipe_from_url("POST", &format!("/like/{id}")), like);
    assert_eq!(
        swipe_from_url(
            "post",
            &format!("https://api.gotinder.com/like/{id}?locale=en")
        ),
        like
    );
    assert_eq!(
        swipe_from_url("POST", &format!("https://API.gotinder.com:443/like/{id}/")),
        like
    );
    assert_eq!(
        swipe_from_url("POST", &format!("//api.gotinder.com/like/{id}#x")),
        like
    );
    assert_eq!(
        swipe_from_url("POST", &format!("/like/{id}/super?locale=de")),
        Some((Verdict::Superlike, id.to_owned()))
    );
    assert_eq!(
        swipe_from_url("GET", &format!("/pass/{id}?s_number=123")),
        Some((Verdict::Nope, id.to_owned()))
    );
    for (m, u) in [
        ("OPTIONS", format!("/like/{id}")),
        ("DELETE", format!("/pass/{id}")),
        ("POST", format!("https://evil.example/like/{id}")),
        ("POST", format!("http://api.gotinder.com/like/{id}")),
        (
            "POST",
            format!("https://api.gotinder.com.evil.example/like/{id}"),
        ),
        ("POST", format!("/v2/like/{id}")),
        ("POST", format!("/like/{id}/super/x")),
        ("POST", format!("/pass/{id}/super")),
        ("POST", format!("/like/{id}/boost")),
        ("POST", "/like/".to_owned()),
        ("POST", "/like/../etc".to_owned()),
        ("POST", "/like/a%2Fb".to_owned()),
        ("POST", "/like".to_owned()),
        ("POST", "like/abc".to_owned()),
        ("POST", format!("/like//{id}")),
        ("POST", "/v2/recs/core".to_owned()),
        ("POST", "".to_owned()),
        ("POST", "https://".to_owned()),
    ] {
        assert_eq!(swipe_from_url(m, &u), None, "{m} {u}");
    }
}

#[test]
fn face_boxes_are_clipped_and_bad_ones_dropped() {
    let f = |x: f64, y: f64, w: f64, h: f64| {
        parse_face(
            &json!({"algo": {"x_offset_pct": x, "y_offset_pct": y, "width_pct": w, "height_pct": h}}),
        )
    };
    assert_eq!(
        f(0.25, 0.5, 0.5, 0.25),
        Some(FaceBox {
            x: 0.25,
            y: 0.5,
            w: 0.5,
            h: 0.25
        })
    );
    assert_eq!(
        f(0.75, 0.0, 0.5, 0.5),
        Some(FaceBox {
            x: 0.75,
            y: 0.0,
            w: 0.25,
            h: 0.5
        })
    );
    assert_eq!(f(0.2, 0.2, 0.0, 0.3), None);
    assert_eq!(f(0.2, 0.2, -0.1, 0.3), None);
    assert_eq!(f(1.5, 0.2, 0.1, 0.3), None);
    assert_eq!(parse_face(&json!({"algo": {"x_offset_pct": "a"}})), None);
}

#[test]
fn lenient_readers() {
    assert_eq!(number(Some(&json!("12.5"))), Some(12.5));
    assert_eq!(number(Some(&json!("nan"))), None);
    assert_eq!(integer(Some(&json!(3.0))), Some(3));
    assert_eq!(integer(Some(&json!(3.5))), None);
    assert_eq!(integer(Some(&json!("7"))), Some(7));
    assert_eq!(boolean(Some(&json!("true"))), Some(true));
    assert_eq!(boolean(Some(&json!(0))), Some(false));
    assert_eq!(boolean(Some(&json!(2))), None);
    assert_eq!(
        time_ms(Some(&json!(1_764_345_600))),
        Some(1_764_345_600_000.0)
    );
    assert_eq!(
        time_ms(Some(&json!(1_764_345_600_000_i64))),
        Some(1_764_345_600_000.0)
    );
    assert_eq!(time_ms(Some(&json!("1970-01-01T00:00:01Z"))), Some(1000.0));
    assert_eq!(time_ms(Some(&json!(-5))), None);
    assert_eq!(distance_km(5.0), Some(8.0));
    assert_eq!(distance_km(1.0), Some(1.6));
    assert_eq!(distance_km(-1.0), None);
}

#[test]
fn hide_flags_on_the_result_count_too() {
    let body = json!({"data": {"results": [
        {"type": "user", "hide_distance": true, "hide_age": "true", "distance_mi": 3,
         "user": {"_id": "abc", "name": "A", "birth_date": "1990-01-01"}},
        {"type": "user", "distance_mi": 3, "user": {"_id": "def", "name": "B", "birth_date": "1990-01-01", "hide_age": false}}
    ]}});
    let page = parse_recs(&body, 1_795_867_200_000.0);
    assert_eq!(page.profiles[0].distance_km, None);
    assert_eq!(page.profiles[0].age, None);
    assert!(page.profiles[0].hide_age && page.profiles[0].hide_distance);
    assert_eq!(page.profiles[1].distance_km, Some(4.8));
    assert_eq!(page.profiles[1].age, Some(36));
}
