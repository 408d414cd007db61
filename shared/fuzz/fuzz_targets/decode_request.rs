//! One browser→host frame body into `decode_request`: any bytes give a request or a typed
//! error, never a panic; an error keeps a readable request id only when there was one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use swipy_shared::protocol::{decode_request, ErrorCode, PROTOCOL_VERSION};

fuzz_target!(|data: &[u8]| {
    match decode_request(data) {
        Ok(env) => {
            assert_eq!(env.v, PROTOCOL_VERSION);
            // What was accepted serializes again.
            let _ = serde_json::to_vec(&env).expect("a decoded request serializes");
        }
        Err(e) => {
            assert!(
                ErrorCode::from_code(e.error.code).is_some(),
                "unknown error code {}",
                e.error.code
            );
            assert!(!e.error.message.is_empty());
        }
    }
});
