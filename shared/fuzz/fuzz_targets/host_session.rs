//! A byte stream (after a valid `hello`) into the host's whole serve loop: frame reader,
//! request decoder, dispatcher and store. Checks: never a panic, every answer is one
//! valid frame under the browser's limit that decodes as a response envelope, and every
//! error carries a known code.
#![no_main]

use std::io::{Cursor, Write};
use std::sync::{Arc, Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;
use swipy_host::serve::{serve_loop, Session};
use swipy_host::store::Store;
use swipy_host::transport::{encode_frame, FrameReader, MAX_FRAME_TO_BROWSER};
use swipy_shared::protocol::{decode_response, ErrorCode, Response};

/// One data dir for the whole run (opening a store per input would dominate the time).
fn data_dir() -> &'static std::path::Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("temp dir"))
        .path()
}

#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("sink").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let store = Store::open(data_dir()).expect("store");
    let mut session = Session::new(store, None, Some("fuzz".into()));
    let mut input = encode_frame(br#"{"v":1,"id":0,"type":"hello","data":{"protocol":1}}"#);
    input.extend_from_slice(data);
    let sink = Sink::default();
    let _ = serve_loop(Cursor::new(input), sink.clone(), &mut session).expect("in-memory I/O");
    let out = sink.0.lock().expect("sink").clone();
    let mut reader = FrameReader::new(Cursor::new(out), usize::MAX);
    let mut n = 0;
    while let Some(frame) = reader.read_frame().expect("the host writes whole frames") {
        assert!(frame.len() <= MAX_FRAME_TO_BROWSER);
        let env = decode_response(&frame).expect("every answer is a response envelope");
        if let Response::Error(e) = &env.body {
            assert!(
                ErrorCode::from_code(e.code).is_some(),
                "unknown code {}",
                e.code
            );
        }
        if n == 0 {
            assert!(matches!(env.body, Response::Hello { .. }), "{env:?}");
        }
        n += 1;
    }
    assert!(n >= 1);
});
