use super::*;

const ID: &str = "5f1a2b3c4d5e6f7a8b9c0d01";
const PHOTO: &str = "8d2c0f6e-1b3a-4c5d-9e7f-0a1b2c3d4e5f";
const DIR: &str = "sX9Ajq1o8nqqs5s6YS1nqK";
const FILE: &str = "a8D8jrYqZKyNLcGSp8B9XN";
const TOKEN: &str = "tok-SECRET-3f1c9a7e-55aa";

/// Everything in the HAR below that points at a person (or the user).
const PRIVATE: &[&str] = &[
    "Marlene",
    "Berta Block",
    "Tegel",
    ID,
    PHOTO,
    DIR,
    FILE,
    "eyJTdGF0ZW1lbnQiOiJ4In0",
    "AbC~dEf-123",
    "2811452770975367",
    TOKEN,
    "marlene@",
    "Kreuzberg",
    "Charit",
    "52.52",
    "13.4",
    "1997-04-23",
    "m4tch1d",
    "p4g3t0k3n",
];

fn photo_url(size: &str, ext: &str) -> String {
    format!(
        "https://images-ssl.gotinder.com/u/{DIR}/{FILE}{size}.{ext}?Policy=eyJTdGF0ZW1lbnQiOiJ4In0_&Signature=AbC~dEf-123&Key-Pair-Id=K368TLDEUPA6OI"
    )
}

fn recs() -> Value {
    json!({"meta": {"status": 200}, "data": {"results": [{
        "type": "user",
        "user": {
            "_id": ID, "name": "Marlene", "bio": "I climb at Berta Block,\nask me about Tegel",
            "birth_date": "1997-04-23T08:12:00.000Z", "gender": 1, "city": {"name": "Kreuzberg"},
            "jobs": [{"title": {"name": "Nurse"}, "company": {"name": "Charité"}}],
            "photos": [{
                "id": PHOTO, "url": photo_url("", "jpeg"), "media_type": "image", "extension": "jpg,webp",
                "crop_info": {"processed_by_bullseye": true, "user_customized": false},
                "processedFiles": [
                    {"url": photo_url("-640", "webp"), "width": 640, "height": 800},
                    {"url": photo_url("-84", "webp"), "width": 84, "height": 106}
                ]
            }]
        },
        "distance_mi": 4, "content_hash": "Zm9vYmFyYmF6cXV4", "s_number": 2_811_452_770_975_367_u64,
        "teaser": {"string": "Nurse at Charité"}
    }]}})
}

fn matches() -> Value {
    json!({"meta": {"status": 200}, "data": {"matches": [{
        "_id": "m4tch1d0000", "created_date": "2026-11-28T10:00:00.000Z", "messages": [],
        "person": {"_id": ID, "name": "Marlene"}
    }], "next_page_token": "p4g3t0k3n"}})
}

fn profile() -> Value {
    json!({"meta": {"status": 200}, "data": {
        "user": {"_id": "60aa00bb11cc22dd33ee44ff", "name": "Chris", "email": "marlene@example.org",
                 "pos": {"lat": 52.52, "lon": 13.40}},
        "likes": {"likes_remaining": 100}
    }})
}

fn b64(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn entry(method: &str, url: &str, status: i64, content: Value) -> Value {
    json!({
        "startedDateTime": "2026-12-01T20:00:00.000Z",
        "request": {"method": method, "url": url, "headers": [
            {"name": "X-Auth-Token", "value": TOKEN}, {"name": "Cookie", "value": format!("session={TOKEN}")}]},
        "response": {"status": status, "headers": [{"name": "set-cookie", "value": TOKEN}], "content": content},
    })
}

/// A session as DevTools saves it: recs, the new-matches list (base64), a like, the own
/// profile, plus things that are no Tinder answer.
fn har() -> Value {
    let mut like = entry(
        "POST",
        &format!("https://api.gotinder.com/like/{ID}?locale=de"),
        200,
        json!({"mimeType": "application/json", "text": json!({"match": false, "likes_remaining": 100}).to_string()}),
    );
    like["request"]["postData"] = json!({"mimeType": "application/json", "text": json!({
        "liked_content_id": PHOTO, "liked_content_type": "photo", "s_number": 2_811_452_770_975_367_u64}).to_string()});
    json!({"log": {"version": "1.2", "entries": [
        entry("GET", "https://tinder.com/app/recs", 200, json!({"mimeType": "text/html", "text": "<html>Marlene</html>"})),
        entry("OPTIONS", "https://api.gotinder.com/v2/recs/core?locale=de", 204, json!({})),
        entry("GET", "https://api.gotinder.com/v2/recs/core?locale=de", 200,
              json!({"mimeType": "application/json", "text": recs().to_string()})),
        entry("GET", "https://api.gotinder.com/v2/matches?locale=de&count=60&message=0&is_tinder_u=false", 200,
              json!({"mimeType": "application/json", "encoding": "base64", "text": b64(matches().to_string().as_bytes())})),
        like,
        entry("GET", "https://api.gotinder.com/v2/profile?locale=de&include=likes,user", 200,
              json!({"mimeType": "application/json", "text": profile().to_string()})),
        entry("GET", "https://api.gotinder.com/v2/updates", 200, json!({"mimeType": "application/json"})),
        entry("GET", photo_url("-640", "webp").as_str(), 200, json!({"mimeType": "image/webp", "text": "UklGRg=="})),
    ]}})
}

/// Keys, array lengths and value types, without the values.
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), shape(x))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(shape).collect()),
        Value::String(_) => json!("string"),
        Value::Number(n) if n.is_u64() => json!("u64"),
        Value::Number(_) => json!("number"),
        Value::Bool(_) => json!("bool"),
        Value::Null => Value::Null,
    }
}

fn everything(f: &Fixtures) -> String {
    f.answers
        .iter()
        .map(|a| {
            format!(
                "{} {} {} {:?}",
                a.url,
                a.body,
                a.request.clone().unwrap_or_default(),
                a.started
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_har_becomes_fixtures_without_anything_personal() {
    let f = anonymise_har(&har(), DEFAULT_SALT).expect("anonymise");
    let kinds: Vec<&str> = f.answers.iter().map(|a| a.kind.as_str()).collect();
    assert_eq!(kinds, ["recs", "matches-new", "like", "profile"]);
    assert_eq!(f.unreadable, 1, "the answer without a body");
    let all = everything(&f);
    for p in PRIVATE {
        assert!(!all.contains(p), "{p} is still in the fixtures:\n{all}");
    }

    // The structure is what it was.
    assert_eq!(shape(&f.answers[0].body), shape(&recs()));
    assert_eq!(shape(&f.answers[1].body), shape(&matches()));
    assert_eq!(shape(&f.answers[3].body), shape(&profile()));

    // One id, one replacement: in recs, the matches list and the like's URL.
    let user = &f.answers[0].body["data"]["results"][0]["user"];
    let id = user["_id"].as_str().expect("id");
    assert!(swipy_shared::tinder::is_plausible_profile_id(id) && id.len() == 24);
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
    assert_eq!(f.answers[1].body["data"]["matches"][0]["person"]["_id"], id);
    assert_eq!(
        swipy_shared::tinder::swipe_from_url("POST", &f.answers[2].url).map(|(_, p)| p),
        Some(id.to_owned()),
        "{}",
        f.answers[2].url
    );
    assert!(
        f.answers[2].url.ends_with("?locale=de"),
        "{}",
        f.answers[2].url
    );
    let like = f.answers[2].request.as_ref().expect("like body");
    let photo = &user["photos"][0];
    assert_eq!(like["liked_content_id"], photo["id"]);
    let s = &f.answers[0].body["data"]["results"][0]["s_number"];
    assert_eq!(&like["s_number"], s);
    assert_eq!(s.as_u64().map(|n| n.to_string().len()), Some(16), "{s}");
    let uuid = photo["id"].as_str().expect("photo id");
    assert_eq!(
        uuid.split('-').map(str::len).collect::<Vec<_>>(),
        [8, 4, 4, 4, 12]
    );

    // Photo URLs: the CDN, the format and the signature's parameters stay.
    let big = photo["processedFiles"][0]["url"].as_str().expect("url");
    assert!(
        big.starts_with("https://images-ssl.gotinder.com/u/"),
        "{big}"
    );
    assert!(
        big.contains(".webp?Policy=")
            && big.contains("&Signature=")
            && big.contains("&Key-Pair-Id="),
        "{big}"
    );
    assert!(photo["url"].as_str().is_some_and(|u| u.contains(".jpeg?")));

    // What the parsers branch on stays; dates too, a birthday only to the month.
    assert_eq!(f.answers[0].body["data"]["results"][0]["type"], "user");
    assert_eq!(photo["media_type"], "image");
    assert_eq!(user["birth_date"], "1997-04-15T00:00:00.000Z");
    assert_eq!(
        f.answers[1].body["data"]["matches"][0]["created_date"],
        "2026-11-28T10:00:00.000Z"
    );
    assert_eq!(
        f.answers[3].body["data"]["user"]["pos"],
        json!({"lat": 0.0, "lon": 0.0})
    );
    assert_eq!(f.answers[3].body["data"]["likes"]["likes_remaining"], 100);
    let bio = user["bio"].as_str().expect("bio");
    assert_eq!(bio.lines().count(), 2);
    assert_eq!(
        bio.chars().count(),
        "I climb at Berta Block,\nask me about Tegel"
            .chars()
            .count()
    );

    // The shared parser reads the fixture like the original.
    let page = swipy_shared::tinder::parse_recs(&f.answers[0].body, 1.8e12);
    let orig = swipy_shared::tinder::parse_recs(&recs(), 1.8e12);
    assert_eq!(page.profiles.len(), 1);
    assert_eq!(page.profiles[0].photos.len(), orig.profiles[0].photos.len());
    assert_eq!(page.profiles[0].age, orig.profiles[0].age);
    assert!(
        NAMES.contains(&page.profiles[0].name.as_str()),
        "{}",
        page.profiles[0].name
    );
    let m = swipy_shared::tinder::parse_matches(&f.answers[1].body);
    assert_eq!(m.matches.len(), 1);
}

#[test]
fn the_same_har_gives_the_same_fixtures_and_another_salt_other_ones() {
    let a = anonymise_har(&har(), DEFAULT_SALT).expect("a");
    let b = anonymise_har(&har(), DEFAULT_SALT).expect("b");
    assert_eq!(a, b);
    let c = anonymise_har(&har(), "another salt").expect("c");
    assert_ne!(
        a.answers[0].body["data"]["results"][0]["user"]["_id"],
        c.answers[0].body["data"]["results"][0]["user"]["_id"]
    );
    assert!(anonymise_har(&json!({"entries": []}), DEFAULT_SALT).is_err());
}

#[test]
fn the_command_writes_answers_a_har_and_a_manifest() {
    let dir = std::env::temp_dir().join(format!("swipy-har-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let input = dir.join("my-session.har");
    std::fs::write(&input, har().to_string()).expect("write");
    let out = dir.join("out");
    fixtures_from_har(&[
        input.display().to_string(),
        "--out".into(),
        out.display().to_string(),
    ])
    .expect("command");
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .expect("out")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "01-recs.json",
            "02-matches-new.json",
            "03-like.json",
            "04-profile.json",
            "manifest.json",
            "session.har"
        ]
    );
    let mut text = String::new();
    for n in &names {
        text.push_str(&std::fs::read_to_string(out.join(n)).expect("read"));
    }
    for p in PRIVATE {
        assert!(!text.contains(p), "{p} is in the written fixtures");
    }
    let again: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("session.har")).expect("har"))
            .expect("json");
    let reread = anonymise_har(&again, "x").expect("the written HAR is a HAR");
    assert_eq!(reread.answers.len(), 4);
    assert_eq!(reread.unreadable, 0);
    assert!(fixtures_from_har(&[dir.join("missing.har").display().to_string()]).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}
