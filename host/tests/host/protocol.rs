//! The host spoken to as a browser would: frames over stdin/stdout.

use serde_json::json;
use swipy_shared::protocol::{decode_response, ErrorCode, Response, MAX_FRAME_FROM_BROWSER};

use crate::common::{fixture, walk, Host, EXT_ID};

fn code_of(r: &Response) -> u16 {
    match r {
        Response::Error(e) => e.code,
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn hello_recs_label_ack_and_the_label_survives_a_restart() {
    let home = tempfile::tempdir().expect("home");
    let mut host = Host::chromium(home.path(), &[]);
    host.hello();
    match host.call(
        "recs",
        json!({"body": fixture(), "captured_at_ms": 1_795_867_200_000.0_f64}),
    ) {
        Response::Ingested {
            profiles,
            new_profiles,
            skipped,
            ids,
            rate_limited,
        } => {
            assert_eq!(
                (profiles, new_profiles, skipped, rate_limited),
                (4, 4, 2, true)
            );
            assert_eq!(
                ids,
                [
                    "5f1a2b3c4d5e6f7a8b9c0d01",
                    "5f1a2b3c4d5e6f7a8b9c0d02",
                    "5f1a2b3c4d5e6f7a8b9c0d03",
                    "5f1a2b3c4d5e6f7a8b9c0d04"
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    let label = json!({"profile_id": "5f1a2b3c4d5e6f7a8b9c0d02", "verdict": "like", "source": "overlay", "at_ms": 1_795_867_300_000.0_f64, "key": "outbox-1"});
    assert_eq!(
        host.call("label", label.clone()),
        Response::Ack {
            key: Some("outbox-1".into())
        }
    );
    let (code, stderr, _) = host.close();
    assert_eq!(code, 0, "{stderr}");

    // A new host process (the worker reconnected) sees the label; the outbox replays it.
    let mut host = Host::chromium(home.path(), &[]);
    host.hello();
    assert_eq!(
        host.call("label", label),
        Response::Ack {
            key: Some("outbox-1".into())
        }
    );
    match host.call("stats", json!({})) {
        Response::Stats(s) => {
            assert_eq!((s.profiles, s.labels, s.likes, s.nopes), (4, 1, 1, 0));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(host.close().0, 0);
    let store = swipy_host::store::Store::open(home.path()).expect("store");
    assert_eq!(
        store
            .label_history_len("5f1a2b3c4d5e6f7a8b9c0d02")
            .expect("n"),
        1,
        "the replay added nothing"
    );
}

#[test]
fn malformed_input_gets_typed_errors_and_the_host_keeps_serving() {
    let home = tempfile::tempdir().expect("home");
    let mut host = Host::chromium(home.path(), &[]);
    // Before hello.
    assert_eq!(
        code_of(&host.call("stats", json!({}))),
        ErrorCode::HelloRequired.code()
    );
    host.hello();

    let expect = |host: &mut Host, body: &[u8], code: ErrorCode, re: Option<u32>| {
        host.send_body(body);
        let r = host.recv();
        assert_eq!(
            code_of(&r.body),
            code.code(),
            "for {}",
            String::from_utf8_lossy(&body[..body.len().min(80)])
        );
        assert_eq!(r.re, re);
    };
    expect(&mut host, b"{\"v\":1,\"id\":", ErrorCode::BadJson, None);
    expect(&mut host, &[0xff, 0xfe, 0xfd], ErrorCode::InvalidUtf8, None);
    expect(&mut host, b"", ErrorCode::BadJson, None);
    expect(
        &mut host,
        br#"{"v":1,"id":50,"type":"self_destruct","data":{}}"#,
        ErrorCode::UnknownType,
        Some(50),
    );
    expect(
        &mut host,
        br#"{"v":9,"id":51,"type":"stats","data":{}}"#,
        ErrorCode::VersionMismatch,
        Some(51),
    );
    expect(
        &mut host,
        br#"{"v":1,"id":52,"type":"hello","data":{"protocol":0}}"#,
        ErrorCode::VersionMismatch,
        Some(52),
    );
    expect(
        &mut host,
        br#"{"v":1,"id":53,"type":"label","data":{"profile_id":5}}"#,
        ErrorCode::BadData,
        Some(53),
    );
    expect(
        &mut host,
        br#"{"id":54,"type":"stats"}"#,
        ErrorCode::BadEnvelope,
        Some(54),
    );

    // A frame over the cap: refused, skipped, and the host reads the next frame.
    let len = (MAX_FRAME_FROM_BROWSER + 10) as u32;
    let mut big = len.to_ne_bytes().to_vec();
    big.resize(4 + len as usize, b' ');
    host.write_raw(&big);
    let r = host.recv();
    assert_eq!(code_of(&r.body), ErrorCode::FrameTooLarge.code());

    match host.call("stats", json!({})) {
        Response::Stats(_) => {}
        other => panic!("the host must still answer: {other:?}"),
    }
    // A frame cut off by the end of the stream: a bad_frame error, then a clean exit.
    host.write_raw(&100u32.to_ne_bytes());
    host.write_raw(b"{\"v\":1");
    let (code, stderr, rest) = host.close();
    assert_eq!(code, 0, "{stderr}");
    let last = rest.last().map(|f| decode_response(f).expect("frame"));
    assert_eq!(
        last.map(|r| code_of(&r.body)),
        Some(ErrorCode::BadFrame.code())
    );
}

#[test]
fn eof_right_away_is_a_clean_exit_with_no_output() {
    let home = tempfile::tempdir().expect("home");
    let host = Host::chromium(home.path(), &[]);
    let (code, stderr, rest) = host.close();
    assert_eq!(code, 0, "{stderr}");
    assert!(rest.is_empty());
    assert!(
        home.path().join("logs/swipy.log").is_file(),
        "a log file is written"
    );
}

#[test]
fn firefox_and_windows_style_launches_serve_too() {
    let home = tempfile::tempdir().expect("home");
    let manifest = home.path().join("com.swipy.host.json");
    let mut ff = Host::spawn(
        &[manifest.to_str().expect("utf8"), "swipy@swipy.app"],
        home.path(),
        &[],
    );
    ff.hello();
    assert_eq!(ff.close().0, 0);
    let origin = format!("chrome-extension://{EXT_ID}/");
    let mut win = Host::spawn(&[&origin, "--parent-window=0"], home.path(), &[]);
    win.hello();
    assert_eq!(win.close().0, 0);
    let mut serve = Host::spawn(&["serve"], home.path(), &[]);
    serve.hello();
    assert_eq!(serve.close().0, 0);
    let log = std::fs::read_to_string(home.path().join("logs/swipy.log")).expect("log");
    assert!(
        log.contains("swipy@swipy.app"),
        "the caller is recorded:\n{log}"
    );
    assert!(log.contains(&origin), "the caller is recorded:\n{log}");
}

#[test]
fn a_token_is_refused_and_never_reaches_disk_or_stderr() {
    // The host holds no token: an older extension's `token` request is refused as an
    // unknown type, and its value is in no answer, no log line and no file.
    let home = tempfile::tempdir().expect("home");
    let secret = "tok-5e5e5e5e-SWIPY-SECRET-7a7a7a7a";
    let mut host = Host::chromium(home.path(), &[("SWIPY_LOG", "trace")]);
    host.hello();
    for (id, body) in [
        (
            89,
            format!(r#"{{"v":1,"id":89,"type":"token","data":{{"token":"{secret}"}}}}"#),
        ),
        (
            90,
            format!(r#"{{"v":1,"id":90,"type":"token","data":"{secret}"}}"#),
        ),
        (
            91,
            format!(r#"{{"v":1,"id":91,"type":"token","data":{{"token":"{secret}","x":}}}}"#),
        ),
    ] {
        host.send_body(body.as_bytes());
        let r = host.recv();
        assert!(
            matches!(&r.body, Response::Error(_)),
            "{body} answered {:?}",
            r.body
        );
        if id != 91 {
            // (91 is not JSON: its id cannot be read.)
            assert_eq!(r.re, Some(id));
        }
        let text = serde_json::to_string(&r.body).expect("json");
        assert!(!text.contains(secret), "the token was echoed: {text}");
    }
    host.call("recs", json!({"body": fixture(), "captured_at_ms": 1.0}));
    host.call("label", json!({"profile_id": "5f1a2b3c4d5e6f7a8b9c0d01", "verdict": "nope", "source": "overlay", "at_ms": 2.0, "key": "k"}));
    let (code, stderr, _) = host.close();
    assert_eq!(code, 0);
    assert!(!stderr.is_empty(), "the host did log (trace level)");
    assert!(!stderr.contains(secret), "token in stderr:\n{stderr}");
    let files = walk(home.path());
    assert!(files.iter().any(|f| f.ends_with("swipy.db")), "{files:?}");
    for f in files {
        let bytes = std::fs::read(&f).expect("read");
        let hay = String::from_utf8_lossy(&bytes);
        assert!(!hay.contains(secret), "token found in {}", f.display());
    }
}
