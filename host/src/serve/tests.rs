use super::*;
use serde_json::json;
use std::sync::{Arc, Mutex};
use swipy_shared::protocol::{
    decode_response, Parts, Score, ScoreState, Verdict, MAX_FRAME_TO_BROWSER,
};

fn session() -> (tempfile::TempDir, Session) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    (
        dir,
        Session::new(store, None, Some("chrome-extension://test/".into())),
    )
}

fn send(s: &mut Session, msg: Value) -> Vec<Envelope<Response>> {
    let body = serde_json::to_vec(&msg).expect("json");
    s.handle_frame(&body)
        .iter()
        .map(|f| decode_response(f).expect("response"))
        .collect()
}

fn one(s: &mut Session, msg: Value) -> Envelope<Response> {
    let mut v = send(s, msg);
    assert_eq!(v.len(), 1, "exactly one answer: {v:?}");
    v.remove(0)
}

fn error_code(r: &Envelope<Response>) -> u16 {
    match &r.body {
        Response::Error(e) => e.code,
        other => panic!("expected an error, got {other:?}"),
    }
}

fn hello(s: &mut Session) {
    let r = one(
        s,
        json!({"v": 1, "id": 1, "type": "hello", "data": {"protocol": 1, "client": "test"}}),
    );
    assert!(
        matches!(r.body, Response::Hello { protocol: 1, .. }),
        "{r:?}"
    );
    assert_eq!(r.re, Some(1));
}

#[test]
fn hello_first_then_everything_else() {
    let (_d, mut s) = session();
    let r = one(
        &mut s,
        json!({"v": 1, "id": 5, "type": "stats", "data": {}}),
    );
    assert_eq!(error_code(&r), ErrorCode::HelloRequired.code());
    assert_eq!(r.re, Some(5));
    hello(&mut s);
    let r = one(
        &mut s,
        json!({"v": 1, "id": 6, "type": "stats", "data": {}}),
    );
    assert!(matches!(r.body, Response::Stats(_)), "{r:?}");
}

#[test]
fn malformed_requests_get_typed_errors_and_the_session_continues() {
    let (_d, mut s) = session();
    hello(&mut s);
    let cases: Vec<(Vec<u8>, ErrorCode, Option<u32>)> = vec![
        (b"{not json".to_vec(), ErrorCode::BadJson, None),
        (vec![0xc3, 0x28], ErrorCode::InvalidUtf8, None),
        (b"[]".to_vec(), ErrorCode::BadEnvelope, None),
        (br#"{"v":2,"id":7,"type":"stats","data":{}}"#.to_vec(), ErrorCode::VersionMismatch, Some(7)),
        (br#"{"v":1,"id":8,"type":"hello","data":{"protocol":2}}"#.to_vec(), ErrorCode::VersionMismatch, Some(8)),
        (br#"{"v":1,"id":9,"type":"teleport","data":{}}"#.to_vec(), ErrorCode::UnknownType, Some(9)),
        (br#"{"v":1,"id":10,"type":"label","data":{"verdict":"like"}}"#.to_vec(), ErrorCode::BadData, Some(10)),
        (
            br#"{"v":1,"id":11,"type":"label","data":{"profile_id":"../etc","verdict":"like","source":"overlay","at_ms":1,"key":"k"}}"#.to_vec(),
            ErrorCode::InvalidId,
            Some(11),
        ),
        (
            br#"{"v":1,"id":12,"type":"settings_set","data":{"values":{"Bad Name":1}}}"#.to_vec(),
            ErrorCode::BadSetting,
            Some(12),
        ),
    ];
    for (body, code, re) in cases {
        let frames = s.handle_frame(&body);
        assert_eq!(frames.len(), 1);
        let r = decode_response(&frames[0]).expect("decode");
        assert_eq!(
            error_code(&r),
            code.code(),
            "for {}",
            String::from_utf8_lossy(&body)
        );
        assert_eq!(r.re, re);
    }
    let r = one(
        &mut s,
        json!({"v": 1, "id": 13, "type": "stats", "data": {}}),
    );
    assert!(matches!(r.body, Response::Stats(_)));
}

#[test]
fn recs_are_ingested_and_answered_in_card_order() {
    let (_d, mut s) = session();
    hello(&mut s);
    let body: Value =
        serde_json::from_str(include_str!("../../tests/fixtures/recs_core.json")).expect("fixture");
    let msg = json!({"v": 1, "id": 2, "type": "recs", "data": {"body": body, "captured_at_ms": 1_795_867_200_000.0_f64}});
    let r = one(&mut s, msg.clone());
    match r.body {
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
            assert_eq!(ids[0], "5f1a2b3c4d5e6f7a8b9c0d01");
            assert_eq!(ids.len(), 4);
        }
        other => panic!("{other:?}"),
    }
    let r = one(&mut s, msg);
    assert!(
        matches!(
            r.body,
            Response::Ingested {
                new_profiles: 0,
                profiles: 4,
                ..
            }
        ),
        "{r:?}"
    );
    assert_eq!(s.store().stats(0.0).expect("stats").profiles, 4);
}

#[test]
fn labels_are_acked_after_commit_and_replays_are_no_ops() {
    let (_d, mut s) = session();
    hello(&mut s);
    let label = json!({"v": 1, "id": 3, "type": "label", "data": {"profile_id": "abc123", "verdict": "like", "source": "overlay", "at_ms": 10.0, "key": "k-1"}});
    let r = one(&mut s, label.clone());
    assert_eq!(
        r.body,
        Response::Ack {
            key: Some("k-1".into())
        }
    );
    assert_eq!(
        s.store().latest_label("abc123").expect("l"),
        Some((Verdict::Like, LabelSource::Overlay))
    );
    let r = one(&mut s, label);
    assert_eq!(
        r.body,
        Response::Ack {
            key: Some("k-1".into())
        }
    );
    assert_eq!(s.store().label_history_len("abc123").expect("n"), 1);

    let seen = json!({"v": 1, "id": 4, "type": "swipe_seen", "data": {"profile_id": "abc123", "verdict": "nope", "at_ms": 20.0, "key": "k-2"}});
    assert_eq!(
        one(&mut s, seen).body,
        Response::Ack {
            key: Some("k-2".into())
        }
    );
    assert_eq!(
        s.store().latest_label("abc123").expect("l"),
        Some((Verdict::Nope, LabelSource::Swipe))
    );

    let matched = json!({"v": 1, "id": 5, "type": "swipe_seen", "data": {"profile_id": "def456", "verdict": "like", "at_ms": 30.0, "key": "k-3", "source": "auto", "response": {"match": {"_id": "m1"}, "likes_remaining": 42}}});
    assert_eq!(
        one(&mut s, matched).body,
        Response::Ack {
            key: Some("k-3".into())
        }
    );
    let result = json!({"v": 1, "id": 6, "type": "swipe_result", "data": {"profile_id": "def456", "verdict": "like", "matched": true, "at_ms": 31.0, "key": "k-4", "score": 0.8}});
    assert_eq!(
        one(&mut s, result).body,
        Response::Ack {
            key: Some("k-4".into())
        }
    );
    let st = s.store().stats(0.0).expect("stats");
    assert_eq!((st.labels, st.likes, st.nopes, st.matches), (2, 1, 1, 1));
    assert_eq!(
        s.store().latest_label("def456").expect("l"),
        Some((Verdict::Like, LabelSource::Auto))
    );
}

#[test]
fn a_token_request_is_refused_never_echoed_and_never_stored() {
    // The host holds no Tinder token: an older extension's `token` request is an unknown
    // type, and neither the answer nor any file of the data dir carries the value.
    let (dir, mut s) = session();
    hello(&mut s);
    let secret = "TOKEN-SECRET-0f9e8d7c";
    for bad in [
        format!(r#"{{"v":1,"id":2,"type":"token","data":{{"token":"{secret}"}}}}"#),
        format!(r#"{{"v":1,"id":3,"type":"token","data":"{secret}"}}"#),
        format!(r#"{{"v":1,"id":3,"type":"token","data":{{"token":["{secret}"]}}}}"#),
    ] {
        let frames = s.handle_frame(bad.as_bytes());
        assert_eq!(frames.len(), 1, "{bad}");
        let answer: Value = serde_json::from_slice(&frames[0]).expect("json");
        assert_eq!(answer["type"], "error", "{bad} → {answer}");
        assert_eq!(
            answer["data"]["code"],
            ErrorCode::UnknownType.code(),
            "{bad} → {answer}"
        );
        assert!(
            !answer.to_string().contains(secret),
            "{bad} echoed the token: {answer}"
        );
    }
    for entry in walk(dir.path()) {
        let bytes = std::fs::read(&entry).expect("read");
        assert!(
            !String::from_utf8_lossy(&bytes).contains(secret),
            "token found in {}",
            entry.display()
        );
    }
}

#[test]
fn captured_matches_answers_of_both_lists_record_matches() {
    let (_dir, mut s) = session();
    hello(&mut s);
    let list = |ids: &[&str]| {
        let matches: Vec<Value> = ids
            .iter()
            .map(|id| json!({"_id": format!("{id}{id}"), "person": {"_id": id, "name": "A"}}))
            .collect();
        json!({"meta": {"status": 200}, "data": {"matches": matches}})
    };
    let a = "5f1a2b3c4d5e6f7a8b9c0d01";
    let b = "5f1a2b3c4d5e6f7a8b9c0d02";
    // message=0 (new matches) then message=1 (conversations), which lists `a` again.
    for (id, body) in [(2, list(&[a])), (3, list(&[a, b]))] {
        let r = one(
            &mut s,
            json!({"v": 1, "id": id, "type": "matches", "data": {"body": body, "captured_at_ms": 1.7e12}}),
        );
        assert_eq!(r.body, Response::Ack { key: None });
    }
    let ids = s.store().matched_ids().expect("matched");
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(ids.contains(a) && ids.contains(b), "{ids:?}");
    // A body that is no matches answer records nothing and still answers.
    let r = one(
        &mut s,
        json!({"v": 1, "id": 4, "type": "matches", "data": {"body": {"error": "x"}, "captured_at_ms": 1.7e12}}),
    );
    assert_eq!(r.body, Response::Ack { key: None });
    assert_eq!(s.store().stats(0.0).expect("stats").matches, 2);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn settings_round_trip() {
    let (_d, mut s) = session();
    hello(&mut s);
    let r = one(
        &mut s,
        json!({"v": 1, "id": 2, "type": "settings_set", "data": {"values": {"threshold": 0.6, "auto.dry_run": true}}}),
    );
    let Response::Settings { values } = r.body else {
        panic!("{r:?}")
    };
    assert_eq!(values.get("threshold"), Some(&json!(0.6)));
    let r = one(
        &mut s,
        json!({"v": 1, "id": 3, "type": "settings_get", "data": {}}),
    );
    assert_eq!(r.body, Response::Settings { values });
}

#[test]
fn scores_and_train_say_no_model_yet() {
    let (_d, mut s) = session();
    hello(&mut s);
    let r = one(
        &mut s,
        json!({"v": 1, "id": 2, "type": "scores", "data": {"ids": ["abc"]}}),
    );
    let Response::Scores { scores } = r.body else {
        panic!("{r:?}")
    };
    assert_eq!(scores[0].state, ScoreState::Unknown, "not in the store");
    assert_eq!(scores[0].p_like, None);
    let r = one(
        &mut s,
        json!({"v": 1, "id": 3, "type": "train", "data": {}}),
    );
    assert_eq!(error_code(&r), ErrorCode::NotEnoughLabels.code());
    let ids: Vec<String> = (0..=MAX_IDS_PER_REQUEST)
        .map(|i| format!("id{i}"))
        .collect();
    let r = one(
        &mut s,
        json!({"v": 1, "id": 4, "type": "scores", "data": {"ids": ids}}),
    );
    assert_eq!(error_code(&r), ErrorCode::BadData.code());
}

#[test]
fn oversized_scores_are_split_and_other_oversized_answers_refused() {
    let (_d, s) = session();
    let scores: Vec<Score> = (0..9000)
        .map(|i| Score {
            id: format!("{i:0>24}"),
            p_like: Some(0.123_456_789),
            parts: Parts {
                photo: Some(0.1),
                face: Some(0.2),
                text: Some(0.3),
                meta: Some(0.4),
            },
            model_version: Some(3),
            state: ScoreState::Ready,
        })
        .collect();
    let whole = serde_json::to_vec(&scores).expect("json").len();
    assert!(
        whole > MAX_FRAME_TO_BROWSER,
        "the test needs an oversized answer ({whole})"
    );
    let frames = s.encode(
        Some(9),
        Response::Scores {
            scores: scores.clone(),
        },
    );
    assert!(frames.len() >= 2);
    let mut back = Vec::new();
    for f in &frames {
        assert!(f.len() <= MAX_FRAME_TO_BROWSER);
        let r = decode_response(f).expect("decode");
        assert_eq!(r.re, Some(9));
        let Response::Scores { scores } = r.body else {
            panic!("not scores")
        };
        back.extend(scores);
    }
    assert_eq!(back, scores, "every score arrives once, in order");

    let mut values = Map::new();
    values.insert(
        "big".into(),
        Value::String("x".repeat(MAX_FRAME_TO_BROWSER)),
    );
    let frames = s.encode(Some(10), Response::Settings { values });
    assert_eq!(frames.len(), 1);
    let r = decode_response(&frames[0]).expect("decode");
    assert_eq!(error_code(&r), ErrorCode::ResponseTooLarge.code());
}

/// An output buffer the test can read after the loop has consumed the writer.
#[derive(Clone, Default)]
struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for SharedBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SharedBuf {
    fn bytes(&self) -> Vec<u8> {
        self.0.lock().expect("lock").clone()
    }
}

#[test]
fn serve_loop_over_byte_streams() {
    use crate::transport::encode_frame;
    let (_d, mut s) = session();
    let mut input = Vec::new();
    input.extend(encode_frame(
        br#"{"v":1,"id":1,"type":"hello","data":{"protocol":1}}"#,
    ));
    // An oversized frame (over the 16 MiB cap) followed by a normal one.
    let big = (MAX_FRAME_FROM_BROWSER + 1) as u32;
    input.extend(big.to_ne_bytes());
    input.extend(std::iter::repeat_n(b' ', big as usize));
    input.extend(encode_frame(br#"{"v":1,"id":2,"type":"stats","data":{}}"#));
    let output = SharedBuf::default();
    let end = serve_loop(std::io::Cursor::new(input), output.clone(), &mut s).expect("loop");
    assert_eq!(end, ServeEnd::Eof);
    let mut r = crate::transport::FrameReader::new(
        std::io::Cursor::new(output.bytes()),
        MAX_FRAME_TO_BROWSER,
    );
    let a = decode_response(&r.read_frame().expect("a").expect("a")).expect("a");
    let b = decode_response(&r.read_frame().expect("b").expect("b")).expect("b");
    let c = decode_response(&r.read_frame().expect("c").expect("c")).expect("c");
    assert!(matches!(a.body, Response::Hello { .. }));
    assert_eq!(error_code(&b), ErrorCode::FrameTooLarge.code());
    assert!(matches!(c.body, Response::Stats(_)));
    assert_eq!(c.re, Some(2));
    assert!(r.read_frame().expect("eof").is_none());

    // Input cut inside a frame: a bad_frame error, then the loop ends.
    let mut cut = encode_frame(br#"{"v":1,"id":1,"type":"hello","data":{"protocol":1}}"#);
    cut.truncate(cut.len() - 3);
    let output = SharedBuf::default();
    let end = serve_loop(std::io::Cursor::new(cut), output.clone(), &mut s).expect("loop");
    assert_eq!(end, ServeEnd::Truncated);
    let mut r = crate::transport::FrameReader::new(
        std::io::Cursor::new(output.bytes()),
        MAX_FRAME_TO_BROWSER,
    );
    let e = decode_response(&r.read_frame().expect("e").expect("e")).expect("e");
    assert_eq!(error_code(&e), ErrorCode::BadFrame.code());
}

#[test]
fn background_events_share_the_writer_and_ids() {
    use crate::transport::encode_frame;
    let (_d, mut s) = session();
    assert!(s.events().is_none(), "no outbox before the loop runs");
    let output = SharedBuf::default();
    let input = encode_frame(br#"{"v":1,"id":1,"type":"hello","data":{"protocol":1}}"#);
    serve_loop(std::io::Cursor::new(input), output.clone(), &mut s).expect("loop");
    let events = s.events().expect("outbox after the loop");
    events
        .send(
            None,
            Response::TrainProgress {
                stage: "fit".into(),
                done: 1,
                total: 2,
            },
        )
        .expect("event");
    let mut r = crate::transport::FrameReader::new(
        std::io::Cursor::new(output.bytes()),
        MAX_FRAME_TO_BROWSER,
    );
    let hello = decode_response(&r.read_frame().expect("a").expect("a")).expect("a");
    let event = decode_response(&r.read_frame().expect("b").expect("b")).expect("b");
    assert_eq!(event.re, None);
    assert!(matches!(
        event.body,
        Response::TrainProgress {
            done: 1,
            total: 2,
            ..
        }
    ));
    assert_ne!(
        hello.id, event.id,
        "message ids are unique across both paths"
    );
}
