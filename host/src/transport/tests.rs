use super::*;
use std::io::{Cursor, Read};
use swipy_shared::protocol::{decode_request, ErrorCode, Request};

fn frames(bodies: &[&[u8]]) -> Vec<u8> {
    bodies.iter().flat_map(|b| encode_frame(b)).collect()
}

/// Hands out at most `step` bytes per `read` call, like a pipe delivering a frame in pieces.
struct Trickle<R> {
    inner: R,
    step: usize,
    reads: usize,
}

impl<R: Read> Read for Trickle<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.reads += 1;
        let n = buf.len().min(self.step);
        self.inner.read(&mut buf[..n])
    }
}

#[test]
fn round_trip_through_writer_and_reader() {
    let msg = serde_json::json!({"v": 1, "id": 3, "type": "stats", "data": {}, "text": "ünïcødé"});
    let mut w = FrameWriter::new(Vec::new());
    w.send(&msg).expect("send");
    let bytes = w.into_inner();
    assert_eq!(&bytes[..4], &((bytes.len() - 4) as u32).to_ne_bytes());
    let mut r = FrameReader::new(Cursor::new(bytes), MAX_FRAME_FROM_BROWSER);
    let body = r.read_frame().expect("read").expect("one frame");
    let back: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(back, msg);
    assert!(
        r.read_frame().expect("eof").is_none(),
        "clean EOF after the only frame"
    );
}

#[test]
fn empty_stream_is_clean_eof() {
    let mut r = FrameReader::new(Cursor::new(Vec::<u8>::new()), 100);
    assert!(r.read_frame().expect("eof").is_none());
}

#[test]
fn truncated_length_prefix() {
    let mut r = FrameReader::new(Cursor::new(vec![5u8, 0]), 100);
    match r.read_frame() {
        Err(FrameError::TruncatedLength { got: 2 }) => {}
        other => panic!("expected TruncatedLength, got {other:?}"),
    }
}

#[test]
fn truncated_body() {
    let mut bytes = 10u32.to_ne_bytes().to_vec();
    bytes.extend_from_slice(b"{\"v\":");
    let mut r = FrameReader::new(Cursor::new(bytes), 100);
    match r.read_frame() {
        Err(FrameError::TruncatedBody { got: 5, len: 10 }) => {}
        other => panic!("expected TruncatedBody, got {other:?}"),
    }
}

#[test]
fn oversized_frame_is_refused_and_skipped_then_stream_continues() {
    // A 3 GiB frame announced to a reader capped at 64 bytes: refused without allocating
    // 3 GiB; its body is drained and the following frame is read normally.
    let huge: u32 = 3 * 1024 * 1024 * 1024;
    let stream = Cursor::new(huge.to_ne_bytes().to_vec())
        .chain(std::io::repeat(b'x').take(u64::from(huge)))
        .chain(Cursor::new(encode_frame(b"{\"ok\":1}")));
    let mut r = FrameReader::new(stream, 64);
    match r.read_frame() {
        Err(FrameError::TooLarge { len, max: 64 }) => assert_eq!(len, huge as usize),
        other => panic!("expected TooLarge, got {other:?}"),
    }
    let next = r.read_frame().expect("next").expect("frame");
    assert_eq!(next, b"{\"ok\":1}");
}

#[test]
fn oversized_frame_cut_short_reports_truncation() {
    let mut bytes = 1000u32.to_ne_bytes().to_vec();
    bytes.extend_from_slice(&[b'x'; 10]);
    let mut r = FrameReader::new(Cursor::new(bytes), 64);
    match r.read_frame() {
        Err(FrameError::TruncatedBody { got: 10, len: 1000 }) => {}
        other => panic!("expected TruncatedBody, got {other:?}"),
    }
}

#[test]
fn invalid_utf8_body_is_a_typed_decode_error() {
    let bytes = frames(&[&[0xff, 0xfe, b'{', b'}']]);
    let mut r = FrameReader::new(Cursor::new(bytes), 100);
    let body = r.read_frame().expect("read").expect("frame");
    let err = decode_request(&body).expect_err("not utf-8");
    assert_eq!(err.error.code, ErrorCode::InvalidUtf8.code());
}

#[test]
fn json_of_the_wrong_shape_is_a_typed_decode_error() {
    let bytes = frames(&[
        b"[1,2,3]",
        b"{\"v\":1,\"id\":4,\"type\":\"label\",\"data\":{\"x\":1}}",
    ]);
    let mut r = FrameReader::new(Cursor::new(bytes), 100);
    let a = decode_request(&r.read_frame().expect("a").expect("a")).expect_err("array");
    assert_eq!(a.error.code, ErrorCode::BadEnvelope.code());
    let b = decode_request(&r.read_frame().expect("b").expect("b")).expect_err("bad data");
    assert_eq!(b.error.code, ErrorCode::BadData.code());
    assert_eq!(b.id, Some(4));
}

#[test]
fn two_frames_in_one_read() {
    let bytes = frames(&[
        b"{\"v\":1,\"id\":1,\"type\":\"hello\",\"data\":{\"protocol\":1}}",
        b"{\"v\":1,\"id\":2,\"type\":\"stats\",\"data\":{}}",
    ]);
    // A single `read` call may return both frames; the reader must not lose the second.
    let mut src = Trickle {
        inner: Cursor::new(bytes),
        step: usize::MAX,
        reads: 0,
    };
    let mut r = FrameReader::new(&mut src, 1000);
    let a = decode_request(&r.read_frame().expect("a").expect("a")).expect("hello");
    let b = decode_request(&r.read_frame().expect("b").expect("b")).expect("stats");
    assert!(matches!(a.body, Request::Hello { protocol: 1, .. }));
    assert!(matches!(b.body, Request::Stats {}));
    assert!(r.read_frame().expect("eof").is_none());
}

#[test]
fn one_frame_across_many_reads() {
    let body = br#"{"v":1,"id":9,"type":"scores","data":{"ids":["a","b","c"]}}"#;
    let bytes = frames(&[body]);
    let mut src = Trickle {
        inner: Cursor::new(bytes.clone()),
        step: 1,
        reads: 0,
    };
    let got = FrameReader::new(&mut src, 1000)
        .read_frame()
        .expect("read")
        .expect("frame");
    assert_eq!(got, body);
    assert!(
        src.reads >= bytes.len(),
        "the frame really arrived one byte per read"
    );
}

#[test]
fn writer_refuses_frames_over_the_browser_limit_without_writing() {
    let big = "x".repeat(MAX_FRAME_TO_BROWSER + 1);
    let mut w = FrameWriter::new(Vec::new());
    match w.send(&big) {
        Err(FrameError::ResponseTooLarge { max, .. }) => assert_eq!(max, MAX_FRAME_TO_BROWSER),
        other => panic!("expected ResponseTooLarge, got {other:?}"),
    }
    assert!(
        w.get_ref().is_empty(),
        "nothing may be written for a refused frame"
    );
    // Exactly at the limit is allowed.
    let body = vec![b' '; MAX_FRAME_TO_BROWSER];
    w.send_bytes(&body).expect("at the limit");
    assert_eq!(w.get_ref().len(), MAX_FRAME_TO_BROWSER + 4);
}

#[test]
fn writer_flushes_each_frame() {
    struct CountFlush(Vec<u8>, usize);
    impl std::io::Write for CountFlush {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.1 += 1;
            Ok(())
        }
    }
    let mut w = FrameWriter::new(CountFlush(Vec::new(), 0));
    w.send(&1).expect("one");
    w.send(&2).expect("two");
    assert_eq!(w.get_ref().1, 2);
}
