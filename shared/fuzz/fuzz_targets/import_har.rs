//! Any JSON as a HAR export into the host's HAR importer (`recs_from_har`), then each
//! recs body found through the recs parser, as `swipy import-har` does. Also feeds the
//! raw input to the importer's timestamp parser. Checks: never a panic; no more recs
//! found than entries; every parsed profile id is plausible.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use swipy_host::ingest::{parse_iso8601_ms, parse_recs, recs_from_har};
use swipy_shared::tinder::is_plausible_profile_id;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Some(ms) = parse_iso8601_ms(s) {
            assert!(ms.is_finite());
        }
    }
    let Ok(har) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let Ok((found, unreadable)) = recs_from_har(&har) else {
        return;
    };
    let entries = har
        .pointer("/log/entries")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    assert!(found.len() + unreadable as usize <= entries);
    for r in &found {
        assert!(r.url.contains("/v2/recs/core"));
        if let Some(ms) = r.started_ms {
            assert!(ms.is_finite());
        }
        let page = parse_recs(&r.body, r.started_ms.unwrap_or(0.0));
        for p in &page.profiles {
            assert!(is_plausible_profile_id(&p.id));
        }
    }
});
