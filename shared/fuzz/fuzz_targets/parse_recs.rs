//! Any JSON into `parse_recs`: never a panic, and what comes out keeps the promises the
//! host relies on (plausible unique ids, sane ages/distances, usable photo URLs, face
//! boxes inside the photo).
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use swipy_shared::tinder::{is_plausible_profile_id, parse_recs, profile_text};

/// 2026-11-28T12:00:00Z.
const NOW_MS: f64 = 1_795_867_200_000.0;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let page = parse_recs(&body, NOW_MS);
    let results = body
        .pointer("/data/results")
        .or_else(|| body.get("results"))
        .and_then(Value::as_array);
    assert!(page.profiles.len() + page.skipped as usize <= results.map_or(0, Vec::len));
    let mut seen = std::collections::HashSet::new();
    for p in &page.profiles {
        assert!(is_plausible_profile_id(&p.id));
        assert!(seen.insert(p.id.as_str()));
        assert!(p.age.is_none_or(|a| a <= 130));
        assert!(p.distance_km.is_none_or(|d| d.is_finite() && d >= 0.0));
        for ph in &p.photos {
            assert!(!ph.url.is_empty() && !ph.best_url.is_empty());
            for f in &ph.faces {
                assert!(f.x >= 0.0 && f.w > 0.0 && f.x + f.w <= 1.0 + 1e-12);
                assert!(f.y >= 0.0 && f.h > 0.0 && f.y + f.h <= 1.0 + 1e-12);
            }
        }
        let _ = profile_text(p);
    }
    let _ = serde_json::to_vec(&page).expect("a parsed page serializes");
});
