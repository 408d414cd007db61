//! The bad-input catalogue: hostile or broken inputs to the running host, spoken to as a
//! browser would (frames over stdio). Each input gets a typed error (exact code) or a clean
//! skip (checked in the store), the host answers a `stats` round trip after each one, and
//! its peak memory (VmHWM) stays under [`MAX_HWM_KB`].
//!
//! Also here: the photo fetcher against hostile CDN answers, what a page can and cannot
//! make the host do (fetch, write), the token never leaving for the CDN, and who may start
//! the host.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use swipy_shared::protocol::{ErrorCode, Response, MAX_FRAME_FROM_BROWSER, MAX_IDS_PER_REQUEST};

use crate::common::{jpeg_for, walk, Host, EXT_ID};

/// Bound on the host's peak resident memory over the whole catalogue (kB). The largest
/// legitimate input is a frame of 16 MiB (the cap); everything else is small. Measured:
/// about 57 MB. A host that buffered the 4 GiB frame, kept the 100k-deep nesting or
/// decoded a 50,000×50,000 image would be far past it.
pub const MAX_HWM_KB: u64 = 160 * 1024;

// ---------------------------------------------------------------------------------------
// Helpers shared with the fault tests.

/// The pid of the `swipy` process serving `home` (found by its `SWIPY_HOME`).
pub fn pid_serving(home: &Path) -> Option<u32> {
    let want = format!("SWIPY_HOME={}", home.display());
    let exe = crate::common::exe();
    for e in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(env) = std::fs::read(e.path().join("environ")) else {
            continue;
        };
        let is_swipy = std::fs::read_link(e.path().join("exe"))
            .map(|p| p == exe || p.file_name() == exe.file_name())
            .unwrap_or(false);
        if is_swipy && env.split(|b| *b == 0).any(|v| v == want.as_bytes()) {
            return Some(pid);
        }
    }
    None
}

/// `VmHWM` (peak resident set) of a process, in kB.
pub fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn code_of(r: &Response) -> u16 {
    match r {
        Response::Error(e) => e.code,
        other => panic!("expected an error, got {other:?}"),
    }
}

fn stats(host: &mut Host) -> swipy_shared::protocol::Stats {
    match host.call("stats", json!({})) {
        Response::Stats(s) => s,
        other => panic!("the host must still answer `stats`: {other:?}"),
    }
}

/// Sends a raw body; asserts the exact error code (and `re` when given), that the message
/// is short and printable, and that a `stats` round trip still works.
fn expect_error(host: &mut Host, what: &str, body: &[u8], code: ErrorCode, re: Option<u32>) {
    host.send_body(body);
    let r = host.recv();
    match &r.body {
        Response::Error(e) => {
            assert_eq!(e.code, code.code(), "{what}: {}", e.message);
            assert!(
                e.message.len() <= 1024,
                "{what}: the error message echoes the input ({} bytes)",
                e.message.len()
            );
        }
        other => panic!("{what}: expected error {code:?}, got {other:?}"),
    }
    if let Some(re) = re {
        assert_eq!(r.re, Some(re), "{what}: answers the request");
    }
    stats(host);
}

fn frame(id: u32, kind: &str, data: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"v": 1, "id": id, "type": kind, "data": data})).expect("json")
}

fn label(id: &str, key: &str) -> Value {
    json!({"profile_id": id, "verdict": "like", "source": "overlay", "at_ms": 1_795_867_300_000.0_f64, "key": key})
}

/// A recs result for a user with these photo URLs.
fn user(id: &str, name: &str, photos: &[&str]) -> Value {
    json!({"type": "user", "user": {
        "_id": id, "name": name, "bio": "", "birth_date": "1995-01-01T00:00:00.000Z",
        "photos": photos.iter().enumerate().map(|(i, u)| json!({"id": format!("{id}-p{i}"), "url": u})).collect::<Vec<_>>()
    }})
}

fn recs(results: Vec<Value>) -> Value {
    json!({"meta": {"status": 200}, "data": {"results": results}})
}

fn label_rows(home: &Path) -> i64 {
    let store = swipy_host::store::Store::open(home).expect("store");
    store
        .conn()
        .query_row("SELECT count(*) FROM labels", [], |r| r.get(0))
        .expect("count")
}

/// Every file under the data dir is the database, a log or a photo.
fn assert_only_own_files(home: &Path) {
    for f in walk(home) {
        let rel = f.strip_prefix(home).expect("under home");
        let s = rel.to_string_lossy();
        let ok = s.starts_with("swipy.db")
            || s.starts_with("logs/")
            || (s.starts_with("photos/") && !s.contains(".."));
        assert!(ok, "unexpected file in the data dir: {s}");
    }
}

// ---------------------------------------------------------------------------------------
// The catalogue.

#[test]
fn catalogue_of_hostile_frames_gets_typed_errors_and_bounded_memory() {
    let home = tempfile::tempdir().expect("home");
    let mut host = Host::chromium(home.path(), &[]);
    use ErrorCode::*;

    // 1. Anything before hello.
    assert_eq!(
        code_of(&host.call("stats", json!({}))),
        HelloRequired.code()
    );
    assert_eq!(
        code_of(&host.call("label", label("5f1a2b3c4d5e6f7a8b9c0d01", "early"))),
        HelloRequired.code()
    );
    host.hello();

    // Frame and JSON level.
    let mut n = 0u32;
    let mut case = |host: &mut Host, what: &str, body: &[u8], code: ErrorCode, re: Option<u32>| {
        n += 1;
        expect_error(host, &format!("case {n} ({what})"), body, code, re);
    };
    case(&mut host, "empty frame", b"", BadJson, None);
    case(
        &mut host,
        "invalid UTF-8",
        &[0xff, 0xfe, 0x7b, 0x7d],
        InvalidUtf8,
        None,
    );
    case(
        &mut host,
        "lone surrogate bytes",
        b"{\"v\":1,\"id\":1,\"type\":\"\xed\xa0\x80\"}",
        InvalidUtf8,
        None,
    );
    case(
        &mut host,
        "truncated JSON",
        br#"{"v":1,"id":2,"type":"sta"#,
        BadJson,
        None,
    );
    case(
        &mut host,
        "trailing garbage",
        br#"{"v":1,"id":3,"type":"stats","data":{}}xyz"#,
        BadJson,
        None,
    );
    case(
        &mut host,
        "byte order mark",
        b"\xef\xbb\xbf{\"v\":1,\"id\":4,\"type\":\"stats\"}",
        BadJson,
        None,
    );
    case(&mut host, "JSON array", b"[1,2,3]", BadEnvelope, None);
    case(&mut host, "JSON string", b"\"stats\"", BadEnvelope, None);
    case(&mut host, "JSON null", b"null", BadEnvelope, None);
    case(
        &mut host,
        "missing id",
        br#"{"v":1,"type":"stats","data":{}}"#,
        BadEnvelope,
        None,
    );
    case(
        &mut host,
        "negative id",
        br#"{"v":1,"id":-1,"type":"stats","data":{}}"#,
        BadEnvelope,
        None,
    );
    case(
        &mut host,
        "fractional id",
        br#"{"v":1,"id":1.5,"type":"stats","data":{}}"#,
        BadEnvelope,
        None,
    );
    case(
        &mut host,
        "id beyond u32",
        br#"{"v":1,"id":4294967296,"type":"stats","data":{}}"#,
        BadEnvelope,
        None,
    );
    case(
        &mut host,
        "id as a string",
        br#"{"v":1,"id":"7","type":"stats","data":{}}"#,
        BadEnvelope,
        None,
    );
    case(
        &mut host,
        "missing v",
        br#"{"id":10,"type":"stats","data":{}}"#,
        BadEnvelope,
        Some(10),
    );
    case(
        &mut host,
        "v as a string",
        br#"{"v":"1","id":11,"type":"stats","data":{}}"#,
        BadEnvelope,
        Some(11),
    );
    case(
        &mut host,
        "wrong protocol version",
        br#"{"v":2,"id":12,"type":"stats","data":{}}"#,
        VersionMismatch,
        Some(12),
    );
    case(
        &mut host,
        "hello of another version",
        &frame(13, "hello", json!({"protocol": 99})),
        VersionMismatch,
        Some(13),
    );
    case(
        &mut host,
        "missing type",
        br#"{"v":1,"id":14,"data":{}}"#,
        BadEnvelope,
        Some(14),
    );
    case(
        &mut host,
        "type as a number",
        br#"{"v":1,"id":15,"type":7,"data":{}}"#,
        BadEnvelope,
        Some(15),
    );
    case(
        &mut host,
        "unknown type",
        &frame(16, "delete_everything", json!({})),
        UnknownType,
        Some(16),
    );
    let long_type = "x".repeat(1_000_000);
    case(
        &mut host,
        "1 MB type name",
        &frame(17, &long_type, json!({})),
        UnknownType,
        Some(17),
    );
    // Deeply nested JSON: serde_json's recursion limit answers, no stack overflow.
    let mut deep = br#"{"v":1,"id":18,"type":"recs","data":{"body":"#.to_vec();
    deep.extend(std::iter::repeat_n(b'[', 100_000));
    case(&mut host, "100k nested arrays", &deep, BadJson, None);
    let mut deep_obj = br#"{"v":1,"id":19,"type":"recs","data":{"body":"#.to_vec();
    for _ in 0..50_000 {
        deep_obj.extend_from_slice(br#"{"a":"#);
    }
    case(&mut host, "50k nested objects", &deep_obj, BadJson, None);

    // Request shapes: wrong types and missing fields.
    let id = "5f1a2b3c4d5e6f7a8b9c0d01";
    case(
        &mut host,
        "data is a string",
        &frame(20, "stats", json!("all")),
        BadData,
        Some(20),
    );
    case(
        &mut host,
        "label without key",
        &frame(
            21,
            "label",
            json!({"profile_id": id, "verdict": "like", "source": "overlay", "at_ms": 1.0}),
        ),
        BadData,
        Some(21),
    );
    case(
        &mut host,
        "label id as a number",
        &frame(
            22,
            "label",
            json!({"profile_id": 5, "verdict": "like", "source": "overlay", "at_ms": 1.0, "key": "k"}),
        ),
        BadData,
        Some(22),
    );
    case(
        &mut host,
        "unknown verdict",
        &frame(
            23,
            "label",
            json!({"profile_id": id, "verdict": "maybe", "source": "overlay", "at_ms": 1.0, "key": "k"}),
        ),
        BadData,
        Some(23),
    );
    case(
        &mut host,
        "unknown source",
        &frame(
            24,
            "label",
            json!({"profile_id": id, "verdict": "like", "source": "page", "at_ms": 1.0, "key": "k"}),
        ),
        BadData,
        Some(24),
    );
    case(
        &mut host,
        "time as a string",
        &frame(
            25,
            "label",
            json!({"profile_id": id, "verdict": "like", "source": "overlay", "at_ms": "now", "key": "k"}),
        ),
        BadData,
        Some(25),
    );
    case(
        &mut host,
        "recs without body",
        &frame(26, "recs", json!({"captured_at_ms": 1.0})),
        BadData,
        Some(26),
    );
    case(
        &mut host,
        "scores ids not a list",
        &frame(27, "scores", json!({"ids": id})),
        BadData,
        Some(27),
    );
    case(
        &mut host,
        "1 MB idempotency key",
        &frame(28, "label", label(id, &"k".repeat(1_000_000))),
        BadData,
        Some(28),
    );
    case(
        &mut host,
        "empty idempotency key",
        &frame(29, "label", label(id, "")),
        BadData,
        Some(29),
    );
    case(
        &mut host,
        "a token (the host holds none)",
        &frame(30, "token", json!({"token": "abc"})),
        UnknownType,
        Some(30),
    );
    case(
        &mut host,
        "matches without a body",
        &frame(31, "matches", json!({"captured_at_ms": 1.0})),
        BadData,
        Some(31),
    );
    case(
        &mut host,
        "matches without a capture time",
        &frame(32, "matches", json!({"body": {"data": {"matches": []}}})),
        BadData,
        Some(32),
    );

    // Ids that are not Tinder ids, path characters in ids.
    for (i, bad) in [
        "../../../../tmp/x",
        "..",
        "a/b",
        "a\\b",
        "abc\0def",
        "",
        "ñandú",
        "5f1a 2b3c",
        &"a".repeat(65),
        "%2e%2e%2f",
    ]
    .iter()
    .enumerate()
    {
        let rid = 40 + i as u32;
        case(
            &mut host,
            &format!("profile id {bad:.20?}"),
            &frame(rid, "label", label(bad, &format!("bad-id-{i}"))),
            InvalidId,
            Some(rid),
        );
    }
    case(
        &mut host,
        "swipe_seen with a path id",
        &frame(
            60,
            "swipe_seen",
            json!({"profile_id": "../x", "verdict": "like", "at_ms": 1.0, "key": "s"}),
        ),
        InvalidId,
        Some(60),
    );
    case(
        &mut host,
        "swipe_result with a NUL id",
        &frame(
            61,
            "swipe_result",
            json!({"profile_id": "a\u{0}", "verdict": "like", "matched": false, "at_ms": 1.0, "key": "r"}),
        ),
        InvalidId,
        Some(61),
    );
    case(
        &mut host,
        "scores with a path id",
        &frame(62, "scores", json!({"ids": [id, "../../x"]})),
        InvalidId,
        Some(62),
    );
    let many: Vec<String> = (0..=MAX_IDS_PER_REQUEST)
        .map(|i| format!("5f1a2b3c4d5e6f7a8b{i:06}"))
        .collect();
    case(
        &mut host,
        "scores with too many ids",
        &frame(63, "scores", json!({"ids": many})),
        BadData,
        Some(63),
    );

    // Settings: names with path characters, NUL, huge values.
    case(
        &mut host,
        "setting name with ../",
        &frame(
            64,
            "settings_set",
            json!({"values": {"../../etc/passwd": 1}}),
        ),
        BadSetting,
        Some(64),
    );
    case(
        &mut host,
        "setting name with NUL",
        &frame(65, "settings_set", json!({"values": {"a\u{0}b": 1}})),
        BadSetting,
        Some(65),
    );
    case(
        &mut host,
        "setting name of 65 bytes",
        &frame(66, "settings_set", json!({"values": {"a".repeat(65): 1}})),
        BadSetting,
        Some(66),
    );
    case(
        &mut host,
        "100 KB setting value",
        &frame(
            67,
            "settings_set",
            json!({"values": {"note": "v".repeat(100_000)}}),
        ),
        BadSetting,
        Some(67),
    );

    // Settings the host reads, with values of the wrong kind.
    for (n, (name, value)) in [
        ("device", json!("banana")),
        ("device", json!(1)),
        ("text_weight", json!(-1)),
        ("image_weight", json!("2")),
        ("threshold", json!(1.5)),
        ("retrain_every", json!(-3)),
        ("retrain_every", json!(2.5)),
        ("train_on_matches", json!("yes")),
    ]
    .into_iter()
    .enumerate()
    {
        let id = 68 + n as u32;
        case(
            &mut host,
            &format!("setting {name} = {value}"),
            &frame(id, "settings_set", json!({"values": {name: value}})),
            BadSetting,
            Some(id),
        );
    }

    // None of the refused requests stored anything.
    assert_eq!(label_rows(home.path()), 0, "a refused label was stored");
    let s = stats(&mut host);
    assert_eq!((s.profiles, s.labels), (0, 0));
    match host.call("settings_get", json!({})) {
        Response::Settings { values } => assert!(values.is_empty(), "{values:?}"),
        other => panic!("{other:?}"),
    }
    // The same settings with good values are taken.
    let good = json!({"device": "auto", "text_weight": 1.5, "threshold": 0.7,
        "retrain_every": 0, "train_on_matches": true});
    match host.call("settings_set", json!({ "values": good })) {
        Response::Settings { values } => assert_eq!(Value::Object(values), good),
        other => panic!("{other:?}"),
    }
    match host.call("settings_set", json!({"values": {"device": null}})) {
        Response::Settings { values } => assert!(!values.contains_key("device"), "{values:?}"),
        other => panic!("{other:?}"),
    }

    // Clean skips: recs pages the parser cannot use are counted, not stored.
    match host.call(
        "recs",
        json!({"body": {"data": {"results": "not a list"}}, "captured_at_ms": 1.0}),
    ) {
        Response::Ingested { profiles: 0, .. } => {}
        other => panic!("garbage recs: {other:?}"),
    }
    let hostile = recs(vec![
        user("../../../../tmp/evil", "Path", &[]),
        user("abc\u{0}def", "Nul", &[]),
        user("", "Empty", &[]),
        json!({"type": "user", "user": {"_id": ["5f1a2b3c4d5e6f7a8b9c0d09"], "name": 5}}),
        json!({"type": "user"}),
        json!(null),
        // A real id with a name and bio full of path characters: stored as text only.
        user("5f1a2b3c4d5e6f7a8b9c0d0a", "../../../etc/passwd\u{0}", &[]),
    ]);
    match host.call("recs", json!({"body": hostile, "captured_at_ms": 1.0})) {
        Response::Ingested {
            profiles,
            skipped,
            ids,
            ..
        } => {
            assert_eq!(
                ids,
                ["5f1a2b3c4d5e6f7a8b9c0d0a"],
                "only the plausible id is stored"
            );
            assert_eq!(profiles, 1);
            assert_eq!(skipped, 6);
        }
        other => panic!("hostile recs: {other:?}"),
    }
    // A huge bio (2 MB) is stored or cut, never fatal.
    let mut big = user("5f1a2b3c4d5e6f7a8b9c0d0b", "Big", &[]);
    big["user"]["bio"] = json!("b".repeat(2_000_000));
    match host.call(
        "recs",
        json!({"body": recs(vec![big]), "captured_at_ms": 1.0}),
    ) {
        Response::Ingested { profiles: 1, .. } => {}
        other => panic!("huge bio: {other:?}"),
    }
    // Recs with thousands of results: all stored, the answer fits the browser's limit.
    let thousands: Vec<Value> = (0..5000)
        .map(|i| user(&format!("5e{i:022}"), "Many", &[]))
        .collect();
    match host.call(
        "recs",
        json!({"body": recs(thousands), "captured_at_ms": 1.0}),
    ) {
        Response::Ingested {
            profiles: 5000,
            new_profiles: 5000,
            ids,
            ..
        } => assert_eq!(ids.len(), 5000),
        other => panic!("5000 results: {other:?}"),
    }
    assert_eq!(stats(&mut host).profiles, 5002);
    // More results than any real page (and than the answer's id list could carry): refused
    // before anything is stored.
    let too_many: Vec<Value> = (0..=swipy_shared::protocol::MAX_RECS_RESULTS)
        .map(|i| json!({"type": "user", "user": {"_id": format!("5f{i:022}")}}))
        .collect();
    match host.call(
        "recs",
        json!({"body": recs(too_many), "captured_at_ms": 1.0}),
    ) {
        Response::Error(e) => assert_eq!(e.code, ErrorCode::BadData.code(), "{e:?}"),
        other => panic!("10,001 results: {other:?}"),
    }
    assert_eq!(
        stats(&mut host).profiles,
        5002,
        "nothing of the refused page was stored"
    );
    // A recs frame over MAX_RECS_BYTES + RECS_ENVELOPE_SLACK and one nested past
    // MAX_RECS_DEPTH: refused before the recs parser runs, nothing stored, the host keeps
    // serving.
    let mut fat = user("5f1a2b3c4d5e6f7a8b9c0d0c", "Fat", &[]);
    fat["user"]["bio"] = json!("f".repeat(
        swipy_shared::protocol::MAX_RECS_BYTES + swipy_shared::protocol::RECS_ENVELOPE_SLACK
    ));
    match host.call(
        "recs",
        json!({"body": recs(vec![fat]), "captured_at_ms": 1.0}),
    ) {
        Response::Error(e) => {
            assert_eq!(e.code, ErrorCode::BadData.code(), "{e:?}");
            assert!(e.message.len() <= 1024);
        }
        other => panic!("a recs body over the byte cap: {other:?}"),
    }
    let mut deep_user = user("5f1a2b3c4d5e6f7a8b9c0d0d", "Deep", &[]);
    let mut nest = json!("bottom");
    for _ in 0..swipy_shared::protocol::MAX_RECS_DEPTH {
        nest = json!([nest]);
    }
    deep_user["user"]["spotify"] = nest;
    let id = host.send(
        "recs",
        json!({"body": recs(vec![deep_user]), "captured_at_ms": 1.0}),
    );
    let r = host.recv();
    assert_eq!(code_of(&r.body), ErrorCode::BadJson.code(), "{r:?}");
    assert_eq!(r.re, None, "refused before the id was read (request {id})");
    assert_eq!(
        stats(&mut host).profiles,
        5002,
        "nothing of the refused pages was stored"
    );

    // Frame level: a frame exactly at the cap is read; one byte more is refused and skipped.
    let mut at_cap = frame(70, "stats", json!({}));
    at_cap.resize(MAX_FRAME_FROM_BROWSER, b' ');
    host.send_body(&at_cap);
    let r = host.recv();
    assert!(
        matches!(r.body, Response::Stats(_)),
        "a frame at the cap: {r:?}"
    );
    let over = (MAX_FRAME_FROM_BROWSER + 1) as u32;
    let mut big = over.to_ne_bytes().to_vec();
    big.resize(4 + over as usize, b'[');
    host.write_raw(&big);
    assert_eq!(code_of(&host.recv().body), FrameTooLarge.code());
    stats(&mut host);
    // A frame written one byte at a time is still one frame.
    for b in swipy_host::transport::encode_frame(&frame(71, "stats", json!({}))) {
        host.write_raw(&[b]);
    }
    assert!(matches!(host.recv().body, Response::Stats(_)));
    // Many frames in one write: every one answered, in order.
    let mut burst = Vec::new();
    for i in 0..2000u32 {
        burst.extend(swipy_host::transport::encode_frame(&frame(
            1000 + i,
            "stats",
            json!({}),
        )));
    }
    host.write_raw(&burst);
    for i in 0..2000u32 {
        let r = host.recv();
        assert_eq!(r.re, Some(1000 + i));
    }

    // Memory stayed bounded over everything above.
    let pid = pid_serving(home.path()).expect("the host's pid");
    let hwm = vm_hwm_kb(pid).expect("VmHWM");
    eprintln!("catalogue: host VmHWM {hwm} kB (bound {MAX_HWM_KB} kB), {n} error cases");
    assert!(
        hwm < MAX_HWM_KB,
        "peak memory {hwm} kB over {MAX_HWM_KB} kB"
    );
    assert!(n >= 40, "at least 40 error cases ({n})");

    let (code, stderr, _) = host.close();
    assert_eq!(code, 0, "{stderr}");
    assert_only_own_files(home.path());
}

#[test]
fn a_4_gib_length_prefix_is_skipped_without_allocating_and_ends_cleanly() {
    let home = tempfile::tempdir().expect("home");
    let mut host = Host::chromium(home.path(), &[]);
    host.hello();
    // Announce 4 GiB, send 32 MiB of it, then close: the host reads and discards, never
    // holds the body, answers bad_frame and exits 0.
    host.write_raw(&u32::MAX.to_ne_bytes());
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..32 {
        host.write_raw(&chunk);
    }
    let pid = pid_serving(home.path()).expect("pid");
    let hwm = vm_hwm_kb(pid).expect("VmHWM");
    let (code, stderr, rest) = host.close();
    assert_eq!(code, 0, "{stderr}");
    let last = rest
        .last()
        .map(|f| swipy_shared::protocol::decode_response(f).expect("frame"));
    assert_eq!(
        last.map(|r| code_of(&r.body)),
        Some(ErrorCode::BadFrame.code())
    );
    assert!(
        hwm < 64 * 1024,
        "the skipped body was buffered: VmHWM {hwm} kB"
    );
}

#[test]
fn a_length_prefix_cut_short_is_a_bad_frame_and_a_clean_exit() {
    let home = tempfile::tempdir().expect("home");
    let mut host = Host::chromium(home.path(), &[]);
    host.hello();
    host.write_raw(&[7, 0]);
    let (code, stderr, rest) = host.close();
    assert_eq!(code, 0, "{stderr}");
    let last = rest
        .last()
        .map(|f| swipy_shared::protocol::decode_response(f).expect("frame"));
    assert_eq!(
        last.map(|r| code_of(&r.body)),
        Some(ErrorCode::BadFrame.code())
    );
}

// ---------------------------------------------------------------------------------------
// A loopback HTTPS CDN that records request heads and can drip bodies slowly.

pub struct CdnReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Write the body in 4 KiB pieces with this pause between them.
    pub drip: Option<Duration>,
}

impl CdnReply {
    pub fn ok(body: Vec<u8>) -> Self {
        Self {
            status: 200,
            headers: vec![("Content-Type".into(), "image/jpeg".into())],
            body,
            drip: None,
        }
    }
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            drip: None,
        }
    }
    pub fn redirect(to: &str) -> Self {
        Self {
            status: 302,
            headers: vec![("Location".into(), to.into())],
            body: Vec::new(),
            drip: None,
        }
    }
}

pub type CdnRoute = Arc<dyn Fn(&str) -> CdnReply + Send + Sync>;

/// Request heads: (path, header name in lower case → value), in arrival order.
pub type Heads = Arc<Mutex<Vec<(String, HashMap<String, String>)>>>;

pub struct RecCdn {
    pub port: u16,
    pub ca_file: tempfile::NamedTempFile,
    /// Every request head received (lower-cased header names), in arrival order.
    pub heads: Heads,
    _rt: tokio::runtime::Runtime,
}

impl RecCdn {
    pub fn start(route: CdnRoute) -> RecCdn {
        let (acceptor, ca_file, _) = crate::common::test_tls("Swipy catalogue CA");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("rt");
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let heads: Heads = Arc::default();
        let heads2 = Arc::clone(&heads);
        rt.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let route = Arc::clone(&route);
                let heads = Arc::clone(&heads2);
                tokio::spawn(async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut head = Vec::new();
                    let mut buf = [0u8; 2048];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16384 {
                        match tls.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let text = String::from_utf8_lossy(&head).into_owned();
                    let mut lines = text.split("\r\n");
                    let path = lines
                        .next()
                        .and_then(|l| l.split_whitespace().nth(1))
                        .unwrap_or("/")
                        .to_owned();
                    let fields: HashMap<String, String> = lines
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                        .collect();
                    heads.lock().expect("heads").push((path.clone(), fields));
                    let reply = route(&path);
                    let mut resp = format!(
                        "HTTP/1.1 {} X\r\nConnection: close\r\nContent-Length: {}\r\n",
                        reply.status,
                        reply.body.len()
                    );
                    for (k, v) in &reply.headers {
                        resp.push_str(&format!("{k}: {v}\r\n"));
                    }
                    resp.push_str("\r\n");
                    if tls.write_all(resp.as_bytes()).await.is_err() {
                        return;
                    }
                    match reply.drip {
                        None => {
                            let _ = tls.write_all(&reply.body).await;
                        }
                        Some(pause) => {
                            for piece in reply.body.chunks(4096) {
                                if tls.write_all(piece).await.is_err() || tls.flush().await.is_err()
                                {
                                    return;
                                }
                                tokio::time::sleep(pause).await;
                            }
                        }
                    }
                    let _ = tls.shutdown().await;
                });
            }
        });
        RecCdn {
            port,
            ca_file,
            heads,
            _rt: rt,
        }
    }

    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            (
                "SWIPY_TEST_RESOLVE".into(),
                format!(
                    "images-ssl.gotinder.com=127.0.0.1:{p},images.gotinder.com=127.0.0.1:{p},api.gotinder.com=127.0.0.1:{p}",
                    p = self.port
                ),
            ),
            ("SWIPY_TEST_CA".into(), self.ca_file.path().display().to_string()),
        ]
    }

    pub fn paths(&self) -> Vec<String> {
        self.heads
            .lock()
            .expect("heads")
            .iter()
            .map(|(p, _)| p.clone())
            .collect()
    }
}

/// A 1×1 PNG whose header claims 50,000×50,000 (a decompression bomb's header).
pub fn bomb_png() -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut c = 0xffff_ffffu32;
        for &b in data {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    let mut out = std::io::Cursor::new(Vec::new());
    image::GrayImage::new(1, 1)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    let mut b = out.into_inner();
    b[16..20].copy_from_slice(&50_000u32.to_be_bytes());
    b[20..24].copy_from_slice(&50_000u32.to_be_bytes());
    let crc = crc32(&b[12..29]);
    b[29..33].copy_from_slice(&crc.to_be_bytes());
    b
}

fn env_refs(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

const CDN: &str = "https://images-ssl.gotinder.com";

#[test]
fn hostile_photo_urls_and_cdn_answers_are_skipped_cleanly() {
    let good = jpeg_for("/ok.jpg", 64, 80);
    let truncated = good[..good.len() / 2].to_vec();
    let good2 = good.clone();
    let cdn = RecCdn::start(Arc::new(move |path: &str| match path {
        "/ok.jpg" => CdnReply::ok(good2.clone()),
        "/redirect-out.jpg" => CdnReply::redirect("https://evil.example.com/x.jpg"),
        "/redirect-http.jpg" => CdnReply::redirect("http://images-ssl.gotinder.com/ok.jpg"),
        // Another gotinder.com name: allowed by no exact entry, so never followed.
        "/redirect-sub.jpg" => CdnReply::redirect("https://static-assets.gotinder.com/ok.jpg"),
        "/redirect-ip.jpg" => CdnReply::redirect("https://127.0.0.1/ok.jpg"),
        "/huge.jpg" => CdnReply::ok(vec![0xff; 9 * 1024 * 1024]),
        "/bomb.png" => CdnReply::ok(bomb_png()),
        "/truncated.jpg" => CdnReply::ok(truncated.clone()),
        "/html.jpg" => CdnReply::ok(b"<html><body>not an image</body></html>".to_vec()),
        "/empty.jpg" => CdnReply::ok(Vec::new()),
        p if p.starts_with("/many/") => CdnReply::ok(jpeg_for(p, 32, 40)),
        _ => CdnReply::status(404),
    }));
    let home = tempfile::tempdir().expect("home");
    let env = cdn.env();
    let mut host = Host::chromium(home.path(), &env_refs(&env));
    host.hello();
    // (profile id, URL, what must happen)
    let cases: &[(&str, String, Option<&str>)] = &[
        ("5a0000000000000000000001", format!("{CDN}/ok.jpg"), None),
        (
            "5a0000000000000000000002",
            "https://evil.example.com/x.jpg".into(),
            Some("allow-list"),
        ),
        (
            "5a0000000000000000000003",
            "http://images-ssl.gotinder.com/ok.jpg".into(),
            Some("not https"),
        ),
        (
            "5a0000000000000000000004",
            format!("{CDN}/redirect-out.jpg"),
            Some("redirect"),
        ),
        (
            "5a0000000000000000000005",
            format!("{CDN}/redirect-http.jpg"),
            Some("redirect"),
        ),
        (
            "5a0000000000000000000006",
            format!("{CDN}/huge.jpg"),
            Some("larger than"),
        ),
        (
            "5a0000000000000000000007",
            format!("{CDN}/bomb.png"),
            Some("dimension limit"),
        ),
        (
            "5a0000000000000000000008",
            format!("{CDN}/truncated.jpg"),
            Some("not a JPEG"),
        ),
        (
            "5a0000000000000000000009",
            format!("{CDN}/html.jpg"),
            Some("not a JPEG"),
        ),
        (
            "5a000000000000000000000a",
            format!("{CDN}/empty.jpg"),
            Some("not a JPEG"),
        ),
        (
            "5a000000000000000000000b",
            "file:///etc/passwd".into(),
            Some("not https"),
        ),
        (
            "5a000000000000000000000c",
            "https://user:pw@images-ssl.gotinder.com/ok.jpg".into(),
            Some("credentials"),
        ),
        (
            "5a000000000000000000000d",
            "https://images-ssl.gotinder.com.evil.example/ok.jpg".into(),
            Some("allow-list"),
        ),
        (
            "5a000000000000000000000e",
            "https://127.0.0.1/ok.jpg".into(),
            Some("IP literal"),
        ),
        (
            "5a0000000000000000000010",
            "https://[::1]/ok.jpg".into(),
            Some("IP literal"),
        ),
        (
            // A decimal IPv4 address: the URL parser reads it as 127.0.0.1.
            "5a0000000000000000000011",
            "https://2130706433/ok.jpg".into(),
            Some("IP literal"),
        ),
        (
            // Subdomains of gotinder.com are not a pattern the allow-list matches.
            "5a0000000000000000000012",
            "https://cdn9.gotinder.com/ok.jpg".into(),
            Some("allow-list"),
        ),
        (
            "5a0000000000000000000013",
            "https://static-assets.gotinder.com/ok.jpg".into(),
            Some("allow-list"),
        ),
        (
            "5a0000000000000000000014",
            format!("{CDN}/redirect-sub.jpg"),
            Some("redirect"),
        ),
        (
            "5a0000000000000000000015",
            format!("{CDN}/redirect-ip.jpg"),
            Some("redirect"),
        ),
        (
            "5a000000000000000000000f",
            "data:image/jpeg;base64,/9j/4AAQ".into(),
            Some("not https"),
        ),
    ];
    let mut results: Vec<Value> = cases
        .iter()
        .map(|(id, url, _)| user(id, "Cdn", &[url]))
        .collect();
    // A profile with 12 photos: only Tinder's maximum of 9 is fetched.
    const MANY: &str = "5a00000000000000000000ff";
    let many: Vec<String> = (0..12).map(|i| format!("{CDN}/many/{i}.jpg")).collect();
    let many_refs: Vec<&str> = many.iter().map(String::as_str).collect();
    results.push(user(MANY, "Many", &many_refs));
    match host.call(
        "recs",
        json!({"body": recs(results), "captured_at_ms": 1.0}),
    ) {
        Response::Ingested { profiles, .. } => assert_eq!(profiles as usize, cases.len() + 1),
        other => panic!("{other:?}"),
    }
    stats(&mut host);
    let (code, stderr, _) = host.close();
    assert_eq!(code, 0, "{stderr}");

    let store = swipy_host::store::Store::open(home.path()).expect("store");
    let mut failures = Vec::new();
    for (id, url, want) in cases {
        let Some((sha, _, _, err)) = store.photo_row(id, 0).expect("row") else {
            // The recs parser dropped the URL: a clean skip, unless it was the good one.
            assert!(want.is_some(), "{url}: the photo row is missing");
            continue;
        };
        match want {
            None => assert!(sha.is_some() && err.is_none(), "{url}: {sha:?} {err:?}"),
            Some(w) => {
                if sha.is_some() || !err.as_deref().unwrap_or_default().contains(w) {
                    failures.push(format!(
                        "{url}: stored {:?}, error {:?}, expected an error with `{w}`",
                        sha, err
                    ));
                }
            }
        }
    }
    // The host never contacted anything but the allow-listed CDN, and the http URL, the
    // off-list hosts and the redirect targets were never requested.
    let paths = cdn.paths();
    assert_eq!(
        paths.iter().filter(|p| *p == "/ok.jpg").count(),
        1,
        "{paths:?}"
    );
    assert!(
        failures.is_empty(),
        "photos that should have been refused:\n{}",
        failures.join("\n")
    );
    // At most 9 photos per profile: rows 0..9 stored, photos 10–12 never requested.
    assert_eq!(
        store.photo_files(MANY).expect("files").len(),
        swipy_host::store::MAX_PHOTOS_PER_PROFILE
    );
    assert!(store.photo_row(MANY, 9).expect("row").is_none());
    let many_hits: Vec<&String> = paths.iter().filter(|p| p.starts_with("/many/")).collect();
    assert_eq!(many_hits.len(), 9, "{many_hits:?}");
    assert!(!paths
        .iter()
        .any(|p| p == "/many/9.jpg" || p == "/many/11.jpg"));
    // Only the photos that passed every check are on disk.
    let files: Vec<PathBuf> = walk(&home.path().join("photos"));
    assert_eq!(files.len(), 1 + 9, "{files:?}");

    assert_only_own_files(home.path());
}

#[test]
fn the_host_never_calls_the_tinder_api_and_sends_no_credential() {
    // One loopback TLS server plays the image CDN and api.gotinder.com (redirecting any API
    // call to the CDN). The host gets what the page captured — an old extension's token,
    // a recs page, both matches lists — and must ask the API nothing and send no credential
    // anywhere: the only requests are the photos, once each.
    let cdn = RecCdn::start(Arc::new(|path: &str| {
        if path.starts_with("/v2/") {
            CdnReply::redirect("https://images-ssl.gotinder.com/after-redirect.jpg")
        } else {
            CdnReply::ok(jpeg_for(path, 32, 40))
        }
    }));
    let home = tempfile::tempdir().expect("home");
    let env = cdn.env();
    let mut host = Host::chromium(home.path(), &env_refs(&env));
    host.hello();
    let secret = "tok-CATALOGUE-5ec7e7-do-not-send";
    assert!(matches!(
        host.call("token", json!({"token": secret})),
        Response::Error(e) if e.code == ErrorCode::UnknownType.code()
    ));
    let page = recs(vec![
        user(
            "5b0000000000000000000001",
            "T",
            &[&format!("{CDN}/t/1.jpg"), &format!("{CDN}/t/2.jpg")],
        ),
        user(
            "5b0000000000000000000002",
            "U",
            &["https://images.gotinder.com/u/1.jpg"],
        ),
    ]);
    host.call("recs", json!({"body": page, "captured_at_ms": 1.0}));
    for list in ["new", "messages"] {
        let answer = json!({"meta": {"status": 200}, "data": {"matches": [{"_id": list,
            "person": {"_id": "5b0000000000000000000001", "name": "T"}}]}});
        assert_eq!(
            host.call("matches", json!({"body": answer, "captured_at_ms": 2.0})),
            Response::Ack { key: None }
        );
    }
    // Wait for the photos, then give any API call time to happen too.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < deadline && cdn.paths().len() < 3 {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(1500));
    let (code, stderr, _) = host.close();
    assert_eq!(code, 0, "{stderr}");
    let heads = cdn.heads.lock().expect("heads").clone();
    for p in ["/t/1.jpg", "/t/2.jpg", "/u/1.jpg"] {
        assert_eq!(
            heads.iter().filter(|(path, _)| path == p).count(),
            1,
            "{p} requested once: {heads:?}"
        );
    }
    for (path, fields) in &heads {
        let host_name = fields.get("host").map(String::as_str).unwrap_or_default();
        assert!(
            host_name != "api.gotinder.com" && !path.starts_with("/v2/"),
            "the host called Tinder's API: {host_name}{path}"
        );
        assert!(
            !fields.contains_key("x-auth-token")
                && !fields.values().any(|v| v.contains(secret))
                && !path.contains(secret),
            "a request carried the token: {host_name}{path}"
        );
        assert!(
            !fields.contains_key("authorization"),
            "{path} carried Authorization"
        );
        assert!(!fields.contains_key("cookie"), "{path} carried a cookie");
    }
    assert!(!stderr.contains(secret));
}

#[test]
fn page_data_cannot_make_the_host_fetch_elsewhere_or_write_outside_its_data_dir() {
    // Everything a page can put into a recs body: URLs on other hosts (the page's own
    // origin, loopback services, metadata endpoints), path characters in ids and photo ids.
    let cdn = RecCdn::start(Arc::new(|path: &str| CdnReply::ok(jpeg_for(path, 32, 40))));
    let home = tempfile::tempdir().expect("home");
    let env = cdn.env();
    let mut host = Host::chromium(home.path(), &env_refs(&env));
    host.hello();
    let mut r = user(
        "5c0000000000000000000001",
        "../../evil",
        &[
            "https://tinder.com/admin",
            "https://169.254.169.254/latest/meta-data/",
            "https://localhost:8443/x.jpg",
            "https://api.gotinder.com/v2/profile",
            "https://images-ssl.gotinder.com/../../../x.jpg",
        ],
    );
    r["user"]["photos"][0]["id"] = json!("../../../../tmp/swipy-escape");
    host.call(
        "recs",
        json!({"body": recs(vec![r]), "captured_at_ms": 1.0}),
    );
    host.call("label", label("5c0000000000000000000001", "../../../k"));
    stats(&mut host);
    let (code, stderr, _) = host.close();
    assert_eq!(code, 0, "{stderr}");
    // Only Tinder's image hosts over https are ever fetched — not the API (the test
    // redirection sends api.gotinder.com to the same loopback server, so a request to it
    // would show up here).
    let paths = cdn.paths();
    assert!(paths.iter().all(|p| p == "/x.jpg"), "{paths:?}");
    assert!(!Path::new("/tmp/swipy-escape").exists());
    assert_only_own_files(home.path());
    // Stored photo files are named by their content hash, whatever the page called them.
    for f in walk(&home.path().join("photos")) {
        let name = f.file_stem().expect("stem").to_string_lossy().into_owned();
        assert_eq!(name.len(), 64, "{}", f.display());
        assert!(name.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}

#[test]
fn the_host_refuses_a_caller_that_is_not_the_installed_extension() {
    // The installed manifest allows exactly one origin; a host started for another
    // extension must not serve it (the browser enforces `allowed_origins` too, but the host
    // checks the origin it was started with).
    let home = tempfile::tempdir().expect("home");
    let profile = tempfile::tempdir().expect("browser profile");
    let (code, _, err) = crate::common::swipy(
        home.path(),
        &[
            "install",
            "--browser",
            "chromium",
            "--user-data-dir",
            profile.path().to_str().expect("utf8"),
            "--extension-id",
            EXT_ID,
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let other = "chrome-extension://zyxwvutsrqponmlkzyxwvutsrqponmlk/";
    assert_refused(&[other], home.path());
    // The installed extension itself is served from the same data dir.
    let mut host = Host::chromium(home.path(), &[]);
    host.hello();
    let (code, stderr, _) = host.close();
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn the_host_refuses_a_firefox_add_on_that_is_not_swipys() {
    let home = tempfile::tempdir().expect("home");
    let manifest = home.path().join("com.swipy.host.json");
    let manifest = manifest.to_str().expect("utf8");
    assert_refused(&[manifest, "someone-else@example.com"], home.path());
    let mut host = Host::spawn(&[manifest, "swipy@swipy.app"], home.path(), &[]);
    host.hello();
    let (code, stderr, _) = host.close();
    assert_eq!(code, 0, "{stderr}");
}

/// A host started with `args` answers a hello and a label with `caller_refused` (20), stores
/// nothing and exits with code 3.
fn assert_refused(args: &[&str], home: &Path) {
    let mut host = Host::spawn(args, home, &[]);
    let hello = host.send(
        "hello",
        json!({"protocol": 1, "client": "another extension"}),
    );
    let r = host.recv();
    assert_eq!(r.re, Some(hello));
    let Response::Error(e) = r.body else {
        panic!("{args:?} was answered {:?}", r.body)
    };
    assert_eq!(e.code, ErrorCode::CallerRefused.code(), "{e:?}");
    host.send("label", label("5c0000000000000000000001", "refused-1"));
    let r = host.recv();
    assert!(
        matches!(&r.body, Response::Error(e) if e.code == ErrorCode::CallerRefused.code()),
        "{r:?}"
    );
    let (code, stderr, _) = host.close();
    assert_eq!(code, 3, "exit code of a refused caller; stderr:\n{stderr}");
    let store = swipy_host::store::Store::open(home).expect("store");
    assert_eq!(
        store.stats(0.0).expect("stats").labels,
        0,
        "a refused caller stored a label"
    );
}
