//! The parsers never panic: every fixture with each value replaced by values of the
//! wrong type, keys removed, bytes flipped and text truncated — plus invariants that
//! must hold for whatever comes out.

use serde_json::{json, Value};
use swipy_shared::tinder::*;

use super::{fixture, fixture_text, FIXTURES, NOW_MS};

/// A small deterministic PRNG (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn wrong_values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(0),
        json!(-1),
        json!(1.0e308),
        json!(-1.0e308),
        json!(18_446_744_073_709_551_615_u64),
        json!(""),
        json!("   "),
        json!("x/../\u{0}"),
        json!("9999-99-99T99:99:99Z"),
        json!("1e400"),
        json!([]),
        json!([null, 1, "a"]),
        json!({}),
        json!({"name": {}, "url": [], "_id": 5}),
        json!("ü".repeat(2000)),
    ]
}

/// Every JSON pointer in a document, the root included.
fn pointers(v: &Value, here: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                pointers(
                    c,
                    format!("{here}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                pointers(c, format!("{here}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(here);
}

fn results_len(body: &Value) -> usize {
    body.pointer("/data/results")
        .or_else(|| body.get("results"))
        .and_then(Value::as_array)
        .map_or(0, Vec::len)
}

/// Runs every parser over `body` and checks what a user would rely on.
fn check_all(body: &Value) {
    check_at(body, &[NOW_MS]);
}

/// [`check_all`] at several capture times, odd ones included.
fn check_at(body: &Value, times: &[f64]) {
    for &now in times {
        let page = parse_recs(body, now);
        assert!(page.profiles.len() + page.skipped as usize <= results_len(body));
        let mut seen = std::collections::HashSet::new();
        for p in &page.profiles {
            assert!(is_plausible_profile_id(&p.id), "implausible id {:?}", p.id);
            assert!(seen.insert(p.id.clone()), "duplicate id {}", p.id);
            assert!(p.age.is_none_or(|a| a <= 130));
            assert!(p.distance_km.is_none_or(|d| d.is_finite() && d >= 0.0));
            assert_eq!(p.name, p.name.trim());
            for ph in &p.photos {
                assert!(!ph.url.is_empty() && !ph.best_url.is_empty());
                for f in &ph.faces {
                    let ok = |s: f64, l: f64| s >= 0.0 && l > 0.0 && s + l <= 1.0 + 1e-12;
                    assert!(
                        ok(f.x, f.w) && ok(f.y, f.h),
                        "face outside the photo: {f:?}"
                    );
                }
            }
            let _ = profile_text(p);
        }
        if !now.is_finite() {
            assert!(
                page.profiles.iter().all(|p| p.age.is_none()),
                "no age without a capture time"
            );
        }
    }
    let like = parse_like_response(body);
    assert!(like.match_id.is_none() || like.matched);
    let _ = like.out_of_likes(NOW_MS);
    let _ = parse_pass_response(body);
    let me = parse_profile(body);
    assert!(me.id.as_deref().is_none_or(is_plausible_profile_id));
    let matches = parse_matches(body);
    assert!(matches
        .matches
        .iter()
        .all(|m| is_plausible_profile_id(&m.person_id)));
}

#[test]
fn fixtures_pass_the_invariants() {
    for name in FIXTURES {
        check_at(
            &fixture(name),
            &[NOW_MS, 0.0, -1.0e300, 1.0e300, f64::NAN, f64::INFINITY],
        );
    }
}

#[test]
fn every_value_replaced_by_wrong_types() {
    let wrong = wrong_values();
    let mut runs = 0_usize;
    // Recs pages are mutated one result at a time (each alone in its page), plus the page
    // envelope with an empty result list: the same coverage as the whole page, far cheaper.
    let mut docs = Vec::new();
    for name in FIXTURES {
        let doc = fixture(name);
        match doc.pointer("/data/results").and_then(Value::as_array) {
            Some(results) => {
                for r in results {
                    let mut one = doc.clone();
                    one["data"]["results"] = Value::Array(vec![r.clone()]);
                    docs.push(one);
                }
                let mut envelope = doc.clone();
                envelope["data"]["results"] = json!([]);
                docs.push(envelope);
            }
            None => docs.push(doc),
        }
    }
    for doc in docs {
        let mut ptrs = Vec::new();
        pointers(&doc, String::new(), &mut ptrs);
        for ptr in &ptrs {
            for w in &wrong {
                let mut d = doc.clone();
                if ptr.is_empty() {
                    d = w.clone();
                } else if let Some(slot) = d.pointer_mut(ptr) {
                    *slot = w.clone();
                }
                check_all(&d);
                runs += 1;
            }
            // Remove the key / element.
            let mut d = doc.clone();
            if let Some((parent, last)) = ptr.rsplit_once('/') {
                match d.pointer_mut(parent) {
                    Some(Value::Object(m)) => {
                        m.remove(&last.replace("~1", "/").replace("~0", "~"));
                    }
                    Some(Value::Array(a)) => {
                        if let Ok(i) = last.parse::<usize>() {
                            a.remove(i);
                        }
                    }
                    _ => {}
                }
                check_all(&d);
                runs += 1;
            }
        }
    }
    assert!(runs > 10_000, "only {runs} mutations ran");
}

#[test]
fn random_structural_mutations() {
    let wrong = wrong_values();
    let mut rng = Rng(0x5EED_CAFE_F00D_0001);
    for name in FIXTURES {
        let doc = fixture(name);
        let mut ptrs = Vec::new();
        pointers(&doc, String::new(), &mut ptrs);
        ptrs.retain(|p| !p.is_empty());
        for _ in 0..150 {
            let mut d = doc.clone();
            // Several mutations at once, including values moved from elsewhere in the doc.
            for _ in 0..1 + rng.below(6) {
                let ptr = &ptrs[rng.below(ptrs.len())];
                let donor = if rng.below(2) == 0 {
                    wrong[rng.below(wrong.len())].clone()
                } else {
                    doc.pointer(&ptrs[rng.below(ptrs.len())])
                        .cloned()
                        .unwrap_or(Value::Null)
                };
                if let Some(slot) = d.pointer_mut(ptr) {
                    *slot = donor;
                }
            }
            check_all(&d);
        }
    }
}

#[test]
fn byte_level_garbage() {
    let mut rng = Rng(0xDEAD_BEEF_0BAD_F00D);
    let mut parsed = 0_usize;
    for name in FIXTURES {
        let text = fixture_text(name);
        let bytes = text.as_bytes();
        // Truncations.
        let step = (bytes.len() / 60).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            if let Ok(v) = serde_json::from_slice::<Value>(&bytes[..cut]) {
                check_all(&v);
                parsed += 1;
            }
        }
        // Byte flips and insertions; keep those that still parse as JSON.
        let tokens: &[&[u8]] = &[
            b"null",
            b"[]",
            b"{}",
            b"\"\"",
            b"-",
            b"0",
            b"1e999",
            b"\"\\u0000\"",
            b"true",
        ];
        for _ in 0..400 {
            let mut b = bytes.to_vec();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(b.len());
                match rng.below(3) {
                    0 => b[at] = (rng.next() & 0xFF) as u8,
                    1 => {
                        let t = tokens[rng.below(tokens.len())];
                        b.splice(at..at, t.iter().copied());
                    }
                    _ => {
                        let end = (at + 1 + rng.below(40)).min(b.len());
                        b.drain(at..end);
                    }
                }
            }
            if let Ok(v) = serde_json::from_slice::<Value>(&b) {
                check_all(&v);
                parsed += 1;
            }
        }
    }
    assert!(
        parsed > 100,
        "too few mutated documents were still JSON ({parsed})"
    );
}

#[test]
fn swipe_from_url_on_garbage() {
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    let seeds = [
        "https://api.gotinder.com/like/65a01c9e8b1d4e0012a3b401?locale=en",
        "/pass/65a01c9e8b1d4e0012a3b401?s_number=1",
        "/like/65a01c9e8b1d4e0012a3b401/super",
    ];
    let alphabet: &[char] = &[
        '/', '.', '?', '#', '%', ':', '\0', 'é', ' ', 'a', '_', '-', '\\', '😀',
    ];
    for _ in 0..20_000 {
        let mut s: Vec<char> = seeds[rng.below(seeds.len())].chars().collect();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(s.len() + 1);
            match rng.below(3) {
                0 => s.insert(at, alphabet[rng.below(alphabet.len())]),
                1 if at < s.len() => {
                    s.remove(at);
                }
                _ => s.truncate(at),
            }
        }
        let url: String = s.into_iter().collect();
        for method in ["POST", "GET", "", "p\u{f6}st"] {
            if let Some((_, id)) = swipe_from_url(method, &url) {
                assert!(is_plausible_profile_id(&id), "{url:?} gave {id:?}");
                assert!(url.contains(&format!("/{id}")), "{url:?} gave {id:?}");
            }
        }
    }
}

#[test]
fn huge_pages_stay_fast_enough_and_bounded() {
    // Thousands of results: every one parsed, none lost, no quadratic blow-up beyond
    // what a page of this size needs.
    let base = fixture("recs_en_de.json");
    let template = base.pointer("/data/results/0").cloned().expect("result 0");
    let results: Vec<Value> = (0..3000)
        .map(|i| {
            let mut r = template.clone();
            r["user"]["_id"] = json!(format!("{i:024x}"));
            r
        })
        .collect();
    let page = parse_recs(&json!({"data": {"results": results}}), NOW_MS);
    assert_eq!(page.profiles.len(), 3000);
    assert_eq!(page.skipped, 0);
}
