//! Any byte stream into the host's native messaging frame reader (the bytes a browser, or
//! anything else on the other end of stdin, could write). Checks: never a panic, never a
//! body over the cap, an oversized frame is skipped without losing the stream position
//! (the next frame is read at the right offset), truncation ends the stream, and the
//! reader consumes exactly the bytes the frames announce.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use swipy_host::transport::{encode_frame, FrameError, FrameReader};

/// A small cap so the fuzzer reaches the skip path with small inputs.
const MAX: usize = 512;

fuzz_target!(|data: &[u8]| {
    let mut cursor = Cursor::new(data);
    let mut reader = FrameReader::new(&mut cursor, MAX);
    // The reference: walk the same bytes by hand.
    let mut pos = 0usize;
    loop {
        let result = reader.read_frame();
        let rest = &data[pos..];
        match result {
            Ok(None) => {
                assert!(rest.is_empty(), "clean end only at the end of the input");
                break;
            }
            Ok(Some(body)) => {
                assert!(rest.len() >= 4);
                let len = u32::from_ne_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
                assert!(len <= MAX, "a body over the cap was returned");
                assert_eq!(body.as_slice(), &rest[4..4 + len]);
                // Encoding the body again gives back the same bytes.
                assert_eq!(encode_frame(&body).as_slice(), &rest[..4 + len]);
                pos += 4 + len;
            }
            Err(FrameError::TooLarge { len, max }) => {
                assert_eq!(max, MAX);
                assert!(len > MAX);
                assert!(rest.len() >= 4 + len, "a skipped frame was complete");
                pos += 4 + len;
            }
            Err(FrameError::TruncatedLength { got }) => {
                assert!(got > 0 && got < 4 && rest.len() == got);
                break;
            }
            Err(FrameError::TruncatedBody { got, len }) => {
                assert!(got < len && rest.len() == 4 + got);
                break;
            }
            Err(e) => panic!("unexpected error from an in-memory stream: {e}"),
        }
    }
});
