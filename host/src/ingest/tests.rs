use super::*;
use serde_json::json;

fn fixture() -> Value {
    serde_json::from_str(include_str!("../../tests/fixtures/recs_core.json")).expect("fixture")
}

#[test]
fn iso8601_timestamps() {
    assert_eq!(parse_iso8601_ms("1970-01-01T00:00:00Z"), Some(0.0));
    assert_eq!(
        parse_iso8601_ms("2026-11-28T12:00:00.123Z"),
        Some(1_795_867_200_123.0)
    );
    assert_eq!(
        parse_iso8601_ms("2026-11-28T13:00:00+01:00"),
        Some(1_795_867_200_000.0)
    );
    assert_eq!(
        parse_iso8601_ms("2026-11-28T11:30:00-00:30"),
        Some(1_795_867_200_000.0)
    );
    assert_eq!(parse_iso8601_ms("yesterday"), None);
    assert_eq!(parse_iso8601_ms("2026-13-01T00:00:00Z"), None);
}

#[test]
fn fixture_is_parsed_with_its_edge_cases() {
    let now = parse_iso8601_ms("2026-11-28T12:00:00Z").expect("now");
    let p = parse_recs(&fixture(), now);
    let ids: Vec<&str> = p.profiles.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "5f1a2b3c4d5e6f7a8b9c0d01",
            "5f1a2b3c4d5e6f7a8b9c0d02",
            "5f1a2b3c4d5e6f7a8b9c0d03",
            "5f1a2b3c4d5e6f7a8b9c0d04"
        ]
    );
    assert_eq!(p.skipped, 2, "the ad and the rate-limit pseudo user");
    assert!(p.rate_limited);
    let anna = &p.profiles[0];
    assert_eq!((anna.name.as_str(), anna.age), ("Anna", Some(30)));
    assert_eq!(anna.distance_km, Some(8.0), "5 mi, rounded to 0.1 km");
    assert_eq!(
        anna.photos[0].best_url,
        "https://images-ssl.gotinder.com/5f1a2b3c4d5e6f7a8b9c0d01/640x800_p-anna-1.jpg"
    );
    let bea = &p.profiles[1];
    assert_eq!((bea.age, bea.bio.as_str()), (None, ""));
    assert_eq!(
        bea.photos[0].best_url, bea.photos[0].url,
        "no processedFiles: the original URL"
    );
    assert_eq!(p.profiles[2].distance_km, None, "hidden distance");
    assert_eq!(p.profiles[3].age, None, "hidden age");
}

#[test]
fn garbage_bodies_parse_to_nothing_without_panicking() {
    for body in [
        json!(null),
        json!([]),
        json!({"data": {"results": "x"}}),
        json!({"data": {"results": [1, null, {"type": "user"}]}}),
    ] {
        let p = parse_recs(&body, 0.0);
        assert!(p.profiles.is_empty(), "{body}");
    }
    assert!(!looks_like_recs(&json!({"hello": 1})));
    assert!(looks_like_recs(&fixture()));
}

#[test]
fn har_recs_entries_plain_and_base64() {
    let body = fixture();
    let text = serde_json::to_string(&body).expect("text");
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let har = json!({"log": {"entries": [
        {"startedDateTime": "2026-11-28T12:00:00.000Z",
         "request": {"url": "https://api.gotinder.com/v2/recs/core?locale=en"},
         "response": {"content": {"mimeType": "application/json", "text": text}}},
        {"request": {"url": "https://api.gotinder.com/v2/profile"},
         "response": {"content": {"text": "{}"}}},
        {"startedDateTime": "2026-11-28T12:05:00.000Z",
         "request": {"url": "https://api.gotinder.com/v2/recs/core"},
         "response": {"content": {"encoding": "base64", "text": b64}}},
        {"request": {"url": "https://api.gotinder.com/v2/recs/core"},
         "response": {"content": {"size": 0}}}
    ]}});
    let (found, unreadable) = recs_from_har(&har).expect("har");
    assert_eq!(found.len(), 2);
    assert_eq!(unreadable, 1);
    assert_eq!(found[0].body, body);
    assert_eq!(found[1].body, body);
    assert_eq!(
        found[1].started_ms,
        parse_iso8601_ms("2026-11-28T12:05:00Z")
    );
    assert!(recs_from_har(&json!({"not": "har"})).is_err());
}

#[test]
fn seed_image_names() {
    assert_eq!(
        parse_seed_image_name("abc123_Anna_0.jpeg"),
        Some(("abc123".into(), "Anna".into(), 0))
    );
    assert_eq!(
        parse_seed_image_name("abc_Mary_Ann_12.jpg"),
        Some(("abc".into(), "Mary_Ann".into(), 12))
    );
    assert_eq!(parse_seed_image_name("notes.txt"), None);
    assert_eq!(parse_seed_image_name("abc_Anna.jpeg"), None);
}

fn tiny_jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(8, 6, image::Rgb([200, 100, 50]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("encode");
    out.into_inner()
}

#[test]
fn seed_import_stores_profiles_photos_and_labels_once() {
    use std::collections::BTreeMap;
    let seed = tempfile::tempdir().expect("seed");
    let data = tempfile::tempdir().expect("data");
    std::fs::create_dir(seed.path().join("images")).expect("images");
    for (f, bytes) in [
        ("id1_Anna_0.jpeg", tiny_jpeg()),
        ("id1_Anna_1.jpeg", tiny_jpeg()),
        ("id2_Bea_0.jpeg", tiny_jpeg()),
        ("junk.txt", b"x".to_vec()),
    ] {
        std::fs::write(seed.path().join("images").join(f), bytes).expect("write");
    }
    #[derive(serde::Serialize)]
    struct Bio {
        name: &'static str,
        bio: &'static str,
        age: i64,
    }
    let bios: BTreeMap<String, Bio> = BTreeMap::from([
        (
            "id1".to_owned(),
            Bio {
                name: "Anna",
                bio: "Loves climbing",
                age: 27,
            },
        ),
        (
            "id2".to_owned(),
            Bio {
                name: "Bea",
                bio: "",
                age: 31,
            },
        ),
    ]);
    let labels: BTreeMap<String, i64> = BTreeMap::from([("id1".into(), 1), ("id2".into(), 0)]);
    std::fs::write(
        seed.path().join("bios.pkl"),
        serde_pickle::to_vec(&bios, Default::default()).expect("pkl"),
    )
    .expect("w");
    std::fs::write(
        seed.path().join("labels.pkl"),
        serde_pickle::to_vec(&labels, Default::default()).expect("pkl"),
    )
    .expect("w");

    let mut store = Store::open(data.path()).expect("store");
    let o = import_seed(&mut store, seed.path(), 1000.0).expect("import");
    assert_eq!((o.profiles, o.photos, o.labels), (2, 3, 2));
    assert_eq!(o.skipped_files, vec!["junk.txt".to_owned()]);
    let rows = store.export_rows().expect("rows");
    assert_eq!(rows[0].name, "Anna");
    assert_eq!(
        (
            rows[0].age,
            rows[0].bio.as_str(),
            rows[0].photos,
            rows[0].photos_fetched
        ),
        (Some(27), "Loves climbing", 2, 2)
    );
    assert_eq!(rows[0].label.as_deref(), Some("like"));
    assert_eq!(rows[0].label_source.as_deref(), Some("import"));
    assert_eq!(rows[1].label.as_deref(), Some("nope"));
    let files = store.photo_files("id1").expect("files");
    assert_eq!(files.len(), 2);
    assert!(data.path().join(&files[0].1).is_file());
    // Importing again adds nothing.
    let again = import_seed(&mut store, seed.path(), 2000.0).expect("again");
    assert_eq!((again.labels, again.photos), (0, 0));
    assert_eq!(store.label_history_len("id1").expect("n"), 1);
}

#[test]
fn seed_dir_without_anything_is_bad_input() {
    let seed = tempfile::tempdir().expect("seed");
    let data = tempfile::tempdir().expect("data");
    let mut store = Store::open(data.path()).expect("store");
    assert!(matches!(
        import_seed(&mut store, seed.path(), 0.0),
        Err(IngestError::BadInput(_))
    ));
}

#[test]
fn a_seed_refused_for_any_file_stores_nothing() {
    use std::collections::BTreeMap;
    fn pkl<T: serde::Serialize>(v: &T) -> Vec<u8> {
        serde_pickle::to_vec(v, Default::default()).expect("pkl")
    }
    let write = |dir: &Path, name: &str, bytes: Vec<u8>| {
        std::fs::write(dir.join(name), bytes).expect("write");
    };
    let bios: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::from([(
        "id1".to_owned(),
        BTreeMap::from([("name".to_owned(), "Anna".to_owned())]),
    )]);
    // Each case: (labels.pkl, what the message names).
    let cases: Vec<(Vec<u8>, &str)> = vec![
        // A bad value after good ones: refused before the good ones are stored.
        (
            pkl(&BTreeMap::from([
                ("id1".to_owned(), 1_i64),
                ("id2".to_owned(), 7),
            ])),
            "label of id2 is 7",
        ),
        // A list where a dict belongs.
        (pkl(&vec![("id1".to_owned(), 1_i64)]), "expected a dict"),
        // Keys that are not profile ids.
        (
            pkl(&BTreeMap::from([("../x".to_owned(), 1_i64)])),
            "not a profile id",
        ),
        (
            pkl(&BTreeMap::from([(("a", 1_i64), 1_i64)])),
            "not a profile id",
        ),
    ];
    for (labels, want) in cases {
        let seed = tempfile::tempdir().expect("seed");
        let data = tempfile::tempdir().expect("data");
        std::fs::create_dir(seed.path().join("images")).expect("images");
        write(&seed.path().join("images"), "id1_Anna_0.jpeg", tiny_jpeg());
        write(seed.path(), "bios.pkl", pkl(&bios));
        write(seed.path(), "labels.pkl", labels);
        let mut store = Store::open(data.path()).expect("store");
        match import_seed(&mut store, seed.path(), 1000.0) {
            Err(IngestError::BadInput(m)) => assert!(m.contains(want), "{m} (want {want})"),
            other => panic!("{want}: {other:?}"),
        }
        let s = store.stats(0.0).expect("stats");
        assert_eq!((s.profiles, s.photos, s.labels), (0, 0, 0), "{want}");
    }
    // A bios.pkl entry that is neither a dict, a string nor None.
    let seed = tempfile::tempdir().expect("seed");
    let data = tempfile::tempdir().expect("data");
    write(
        seed.path(),
        "bios.pkl",
        pkl(&BTreeMap::from([("id1".to_owned(), vec![1_i64, 2])])),
    );
    let mut store = Store::open(data.path()).expect("store");
    match import_seed(&mut store, seed.path(), 1000.0) {
        Err(IngestError::BadInput(m)) => {
            assert!(m.contains("expected a dict {name, bio, age}"), "{m}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn seed_labels_as_floats_and_bios_as_none_or_plain_text_are_read() {
    use std::collections::BTreeMap;
    let seed = tempfile::tempdir().expect("seed");
    let data = tempfile::tempdir().expect("data");
    let bios: BTreeMap<String, Option<String>> = BTreeMap::from([
        ("id1".to_owned(), None),
        ("id2".to_owned(), Some("Loves dogs".to_owned())),
    ]);
    let labels: BTreeMap<String, f64> = BTreeMap::from([("id1".into(), 1.0), ("id2".into(), 0.0)]);
    for (name, bytes) in [
        ("bios.pkl", serde_pickle::to_vec(&bios, Default::default())),
        (
            "labels.pkl",
            serde_pickle::to_vec(&labels, Default::default()),
        ),
    ] {
        std::fs::write(seed.path().join(name), bytes.expect("pkl")).expect("write");
    }
    let mut store = Store::open(data.path()).expect("store");
    let o = import_seed(&mut store, seed.path(), 1000.0).expect("import");
    assert_eq!((o.profiles, o.labels), (2, 2));
    let rows = store.export_rows().expect("rows");
    assert_eq!(
        (rows[0].label.as_deref(), rows[0].bio.as_str()),
        (Some("like"), "")
    );
    assert_eq!(
        (rows[1].label.as_deref(), rows[1].bio.as_str()),
        (Some("nope"), "Loves dogs")
    );
    // 0.5 is no label.
    let half: BTreeMap<String, f64> = BTreeMap::from([("id3".into(), 0.5)]);
    std::fs::write(
        seed.path().join("labels.pkl"),
        serde_pickle::to_vec(&half, Default::default()).expect("pkl"),
    )
    .expect("write");
    assert!(matches!(
        import_seed(&mut store, seed.path(), 2000.0),
        Err(IngestError::BadInput(m)) if m.contains("label of id3 is 0.5")
    ));
}

/// A `recs` frame around `body` (JSON text).
fn recs_frame(id: u32, body: &str) -> Vec<u8> {
    format!(r#"{{"v":1,"id":{id},"type":"recs","data":{{"captured_at_ms":1,"body":{body}}}}}"#)
        .into_bytes()
}

/// JSON text nested `n` deep: `{"a":{"a":…1…}}`, with brackets inside strings as decoys.
fn nested(n: usize) -> String {
    let mut s = String::new();
    for _ in 0..n - 1 {
        s.push_str(r#"{"[{":"#);
    }
    s.push_str(r#"{"x":"]]}}\"[["}"#);
    for _ in 0..n - 1 {
        s.push('}');
    }
    s
}

#[test]
fn recs_frames_over_the_depth_cap_are_refused_before_parsing() {
    use swipy_shared::protocol::{json_depth_exceeds, MAX_FRAME_DEPTH, MAX_RECS_DEPTH};
    // Brackets inside strings (and escaped quotes) do not count.
    assert!(!json_depth_exceeds(br#"{"a":"[[[[[[\"{{{{"}"#, 1));
    assert!(json_depth_exceeds(br#"{"a":[{}]}"#, 2));
    assert!(!json_depth_exceeds(br#"{"a":[{}]}"#, 3));
    assert_eq!(MAX_FRAME_DEPTH, MAX_RECS_DEPTH + 2);
    // A body exactly at the cap decodes; one level more is bad_json, with no parse at all.
    let ok = recs_frame(5, &nested(MAX_RECS_DEPTH));
    assert!(decode_frame(&ok).is_ok());
    let deep = recs_frame(6, &nested(MAX_RECS_DEPTH + 1));
    let e = decode_frame(&deep).expect_err("too deep");
    assert_eq!(e.error.code, ErrorCode::BadJson.code());
    assert!(
        e.error.message.contains("deeper than"),
        "{}",
        e.error.message
    );
    // A million levels: refused by the scan, no recursion, no stack overflow.
    let mut huge = br#"{"v":1,"id":7,"type":"recs","data":{"body":"#.to_vec();
    huge.extend(std::iter::repeat_n(b'[', 1_000_000));
    assert_eq!(
        decode_frame(&huge).expect_err("deep").error.code,
        ErrorCode::BadJson.code()
    );
}

#[test]
fn recs_frames_over_the_size_cap_are_refused_before_the_recs_parser() {
    use swipy_shared::protocol::{MAX_RECS_BYTES, RECS_ENVELOPE_SLACK};
    let page = |bio_len: usize| {
        json!({"meta": {"status": 200}, "data": {"results": [
            {"type": "user", "user": {"_id": "5f1a2b3c4d5e6f7a8b9c0d01", "name": "A",
                "bio": "b".repeat(bio_len)}}]}})
        .to_string()
    };
    let small = recs_frame(8, &page(1000));
    assert!(decode_frame(&small).is_ok());
    let at_cap = recs_frame(9, &page(MAX_RECS_BYTES - 300));
    assert!(at_cap.len() <= MAX_RECS_BYTES + RECS_ENVELOPE_SLACK);
    assert!(
        decode_frame(&at_cap).is_ok(),
        "a body at the cap is accepted"
    );
    let over = recs_frame(10, &page(MAX_RECS_BYTES + RECS_ENVELOPE_SLACK));
    let e = decode_frame(&over).expect_err("too large");
    assert_eq!(e.id, Some(10), "the answer carries `re`");
    assert_eq!(e.error.code, ErrorCode::BadData.code());
    assert!(e.error.message.contains("nothing was stored"));
    // Other requests are not held to the recs cap (the frame cap applies to them).
    let settings = format!(
        r#"{{"v":1,"id":11,"type":"settings_set","data":{{"values":{{"note":"{}"}}}}}}"#,
        "n".repeat(MAX_RECS_BYTES + RECS_ENVELOPE_SLACK)
    );
    assert!(decode_frame(settings.as_bytes()).is_ok());
}
