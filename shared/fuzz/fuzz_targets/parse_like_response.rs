//! Any JSON into the like/pass/profile/matches parsers: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use swipy_shared::tinder::{
    is_plausible_profile_id, parse_like_response, parse_matches, parse_pass_response, parse_profile,
};

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let like = parse_like_response(&body);
    assert!(like.match_id.is_none() || like.matched);
    let _ = like.out_of_likes(1_795_867_200_000.0);
    let pass = parse_pass_response(&body);
    assert_eq!(pass.ok, pass.status.is_none_or(|s| (200..300).contains(&s)));
    let me = parse_profile(&body);
    assert!(me.id.as_deref().is_none_or(is_plausible_profile_id));
    let matches = parse_matches(&body);
    assert!(matches
        .matches
        .iter()
        .all(|m| is_plausible_profile_id(&m.person_id)));
});
