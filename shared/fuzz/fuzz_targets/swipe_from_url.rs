//! `METHOD\nURL` into `swipe_from_url`: never a panic; a recognised swipe always names a
//! plausible profile id that appears as a path segment of the URL.
#![no_main]

use libfuzzer_sys::fuzz_target;
use swipy_shared::tinder::{is_plausible_profile_id, swipe_from_url};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (method, url) = text.split_once('\n').unwrap_or(("POST", text));
    if let Some((_, id)) = swipe_from_url(method, url) {
        assert!(is_plausible_profile_id(&id));
        assert!(url.contains(&format!("/{id}")));
    }
});
