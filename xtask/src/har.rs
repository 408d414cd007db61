//! `cargo xtask fixtures-from-har FILE [--out DIR] [--salt TEXT]`: turns a HAR of the
//! user's own tinder.com session into anonymised test fixtures.
//!
//! Only the Tinder API's answers are kept (`api.gotinder.com`: recs, matches, profile,
//! like/pass/superlike). Their structure stays as it was — every key, array length, number
//! and type — while what could identify a person is replaced deterministically (the same
//! value always gets the same replacement, so an id in recs and in `/like/{id}` still agree):
//! ids and hashes (same shape: 24 hex stays 24 hex, a UUID stays a UUID, a 16-digit
//! `s_number` stays 16 digits), names, bios and every other free text (same length), photo
//! and other URLs (host and file extension kept, path segments and query values replaced),
//! tokens, e-mail addresses, positions (`lat`/`lon` become 0) and birth dates (the 15th of
//! the same month). Enumerations the parsers branch on (`type`, `media_type`, ...) and ISO
//! timestamps stay. Request and response headers (tokens, cookies) are dropped.
//!
//! Writes into `DIR` (default `tests/fixtures/har/<file stem>/`): one `NN-<kind>.json` per
//! answer, `session.har` (the same answers as a HAR that `swipy import-har` reads) and
//! `manifest.json`. Replacement is keyed (`--salt`, default fixed) but not encryption:
//! review the files before committing them.

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

/// Keys whose string values are kept: enumerations the parsers branch on.
const KEEP_KEYS: &[&str] = &[
    "type",
    "liked_content_type",
    "media_type",
    "asset_type",
    "extension",
    "ad_type",
    "locale",
    "status",
    "gender_filter",
    "enhancements",
    "selection_type",
    "interested_in",
];

/// Query parameters whose values are kept (they describe the request, not a person).
const KEEP_QUERY: &[&str] = &[
    "locale",
    "count",
    "message",
    "is_tinder_u",
    "include",
    "force_fetch_resources",
];

/// Names used instead of real ones.
const NAMES: &[&str] = &[
    "Alex", "Sam", "Robin", "Kim", "Charlie", "Jamie", "Toni", "Luca", "Noa", "Mika", "Jo", "Ari",
    "Sascha", "Maxi", "Chris", "Eli",
];

/// Words for replaced free text.
const WORDS: &[&str] = &[
    "lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipiscing",
    "elit",
    "sed",
    "do",
    "eiusmod",
    "tempor",
    "incididunt",
    "ut",
    "labore",
    "et",
    "dolore",
    "magna",
    "aliqua",
];

/// Default key of the replacement (fixed, so the same HAR gives the same fixtures).
const DEFAULT_SALT: &str = "swipy-har-fixtures";

pub fn fixtures_from_har(args: &[String]) -> Result<(), String> {
    let mut file: Option<PathBuf> = None;
    let mut out: Option<PathBuf> = None;
    let mut salt = DEFAULT_SALT.to_owned();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--out" => out = Some(PathBuf::from(it.next().ok_or("--out needs a folder")?)),
            "--salt" => salt = it.next().ok_or("--salt needs a value")?.clone(),
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            s => file = Some(PathBuf::from(s)),
        }
    }
    let file = file.ok_or("usage: cargo xtask fixtures-from-har FILE [--out DIR] [--salt TEXT]")?;
    let text = std::fs::read_to_string(&file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let har: Value = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not JSON (a HAR file is): {e}", file.display()))?;
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("session")
        .to_owned();
    let out = out.unwrap_or_else(|| {
        crate::util::root()
            .join("tests")
            .join("fixtures")
            .join("har")
            .join(&stem)
    });
    let fixtures = anonymise_har(&har, &salt)?;
    write_fixtures(&out, &fixtures)?;
    eprintln!(
        "xtask: {} Tinder answer(s) from {} written to {} (review them before committing)",
        fixtures.answers.len(),
        file.display(),
        out.display()
    );
    Ok(())
}

/// One anonymised API answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// `recs`, `matches-new`, `matches-messages`, `matches`, `profile`, `like`, `pass`,
    /// `superlike` or `other`.
    pub kind: String,
    pub method: String,
    /// The anonymised request URL.
    pub url: String,
    pub status: i64,
    pub started: Option<String>,
    /// The anonymised request body (like calls carry `liked_content_id`, `s_number`).
    pub request: Option<Value>,
    pub body: Value,
}

/// What a HAR becomes.
#[derive(Debug, Clone, PartialEq)]
pub struct Fixtures {
    pub answers: Vec<Answer>,
    /// Entries to Tinder's API whose body could not be read (empty, not JSON, not text).
    pub unreadable: u32,
}

/// Anonymises every Tinder API answer of `har`.
pub fn anonymise_har(har: &Value, salt: &str) -> Result<Fixtures, String> {
    let entries = har
        .pointer("/log/entries")
        .and_then(Value::as_array)
        .ok_or("not a HAR file: `log.entries` is missing")?;
    let a = Anon { salt };
    let mut answers = Vec::new();
    let mut unreadable = 0;
    for e in entries {
        let url = e
            .pointer("/request/url")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Some(rest) = url.strip_prefix("https://api.gotinder.com/") else {
            continue;
        };
        let method = e
            .pointer("/request/method")
            .and_then(Value::as_str)
            .unwrap_or("GET")
            .to_ascii_uppercase();
        if method == "OPTIONS" {
            continue;
        }
        let Some(body) = text_json(e.pointer("/response/content")) else {
            unreadable += 1;
            continue;
        };
        let path = rest.split('?').next().unwrap_or_default();
        let query = rest.split_once('?').map(|(_, q)| q).unwrap_or_default();
        let request = e
            .pointer("/request/postData/text")
            .and_then(Value::as_str)
            .and_then(|t| serde_json::from_str::<Value>(t).ok())
            .map(|v| a.value(None, &v));
        answers.push(Answer {
            kind: kind_of(path, query),
            method,
            url: a.url(url),
            status: e
                .pointer("/response/status")
                .and_then(Value::as_i64)
                .unwrap_or(0),
            started: e
                .get("startedDateTime")
                .and_then(Value::as_str)
                .map(str::to_owned),
            request,
            body: a.value(None, &body),
        });
    }
    Ok(Fixtures {
        answers,
        unreadable,
    })
}

fn kind_of(path: &str, query: &str) -> String {
    let message = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("message="))
        .unwrap_or_default();
    let kind = if path.starts_with("v2/recs/core") {
        "recs"
    } else if path.starts_with("v2/matches") {
        match message {
            "0" => "matches-new",
            "1" => "matches-messages",
            _ => "matches",
        }
    } else if path.starts_with("v2/profile") {
        "profile"
    } else if path.starts_with("like/") && path.ends_with("/super") {
        "superlike"
    } else if path.starts_with("like/") {
        "like"
    } else if path.starts_with("pass/") {
        "pass"
    } else {
        "other"
    };
    kind.to_owned()
}

/// The JSON of a HAR `content` (plain or base64 text).
fn text_json(content: Option<&Value>) -> Option<Value> {
    let c = content?;
    let text = c.get("text").and_then(Value::as_str)?;
    let bytes = if c.get("encoding").and_then(Value::as_str) == Some("base64") {
        base64_decode(text)?
    } else {
        text.as_bytes().to_vec()
    };
    serde_json::from_slice(&bytes).ok()
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The deterministic replacements.
struct Anon<'a> {
    salt: &'a str,
}

impl Anon<'_> {
    /// A stream of pseudo-random 64-bit words for `what` (FNV-1a, then splitmix64).
    fn words(&self, what: &str) -> impl Iterator<Item = u64> {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.salt.bytes().chain([0]).chain(what.bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        std::iter::successors(Some(h), |s| Some(s.wrapping_add(0x9E37_79B9_7F4A_7C15))).map(|s| {
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        })
    }

    /// `value` with the same character classes: hex stays (lower/upper) hex, digits stay
    /// digits, letters stay letters of the same case; `-`, `_`, `.` and the like stay.
    fn same_shape(&self, value: &str) -> String {
        let hex = value.len() >= 8 && value.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
        let mut w = self.words(value);
        let mut cur = 0u64;
        let mut left = 0;
        let mut next = |n: u64| {
            if left == 0 {
                cur = w.next().unwrap_or(0);
                left = 8;
            }
            left -= 1;
            let r = (cur & 0xff) % n;
            cur >>= 8;
            r as u8
        };
        value
            .chars()
            .map(|c| {
                if hex && c.is_ascii_hexdigit() {
                    let d = next(16);
                    let ch = char::from_digit(u32::from(d), 16).unwrap_or('0');
                    if c.is_ascii_uppercase() {
                        ch.to_ascii_uppercase()
                    } else {
                        ch
                    }
                } else if c.is_ascii_digit() {
                    char::from(b'0' + next(10))
                } else if c.is_ascii_lowercase() {
                    char::from(b'a' + next(26))
                } else if c.is_ascii_uppercase() {
                    char::from(b'A' + next(26))
                } else if c.is_alphanumeric() {
                    'x'
                } else {
                    c
                }
            })
            .collect()
    }

    fn name(&self, value: &str) -> String {
        let i = self.words(value).next().unwrap_or(0) % NAMES.len() as u64;
        NAMES[i as usize].to_owned()
    }

    /// Filler words of about the same length (empty stays empty; line breaks kept).
    fn text(&self, value: &str) -> String {
        value
            .split('\n')
            .map(|line| {
                let want = line.chars().count();
                let mut out = String::new();
                let mut w = self.words(line);
                while out.chars().count() + 1 < want {
                    if !out.is_empty() {
                        out.push(' ');
                    }
                    let i = w.next().unwrap_or(0) % WORDS.len() as u64;
                    out.push_str(WORDS[i as usize]);
                }
                out.chars().take(want).collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Scheme and host kept; path segments replaced (the file extension kept); query
    /// values replaced except [`KEEP_QUERY`]; no fragment.
    fn url(&self, value: &str) -> String {
        let Some((scheme, rest)) = value.split_once("://") else {
            return self.same_shape(value);
        };
        let rest = rest.split('#').next().unwrap_or_default();
        let (hostpath, query) = match rest.split_once('?') {
            Some((h, q)) => (h, Some(q)),
            None => (rest, None),
        };
        let mut parts = hostpath.split('/');
        let host = parts.next().unwrap_or_default();
        let mut out = format!("{scheme}://{host}");
        for seg in parts {
            out.push('/');
            out.push_str(&self.segment(seg));
        }
        if let Some(q) = query {
            let pairs: Vec<String> = q
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, v)) if KEEP_QUERY.contains(&k) => format!("{k}={v}"),
                    Some((k, v)) => format!("{k}={}", self.same_shape(v)),
                    None => kv.to_owned(),
                })
                .collect();
            out.push('?');
            out.push_str(&pairs.join("&"));
        }
        out
    }

    /// A URL path segment: API words (`v2`, `recs`, `like`, ...) stay, the rest is replaced.
    fn segment(&self, seg: &str) -> String {
        const API: &[&str] = &[
            "v2", "v3", "recs", "core", "like", "pass", "super", "matches", "profile", "u",
            "updates", "meta", "user",
        ];
        if seg.is_empty() || API.contains(&seg) {
            return seg.to_owned();
        }
        match seg.rsplit_once('.') {
            Some((stem, ext))
                if !stem.is_empty() && ext.len() <= 5 && ext.chars().all(char::is_alphanumeric) =>
            {
                format!("{}.{ext}", self.same_shape(stem))
            }
            _ => self.same_shape(seg),
        }
    }

    fn string(&self, key: Option<&str>, value: &str) -> String {
        let key = key.unwrap_or_default();
        if KEEP_KEYS.contains(&key) || value.is_empty() {
            return value.to_owned();
        }
        if key == "birth_date" {
            // Keep the year and month (the age shown), not the day.
            if let Some(ym) = value
                .get(..8)
                .filter(|p| is_iso_date(value) && p.ends_with('-'))
            {
                return format!("{ym}15T00:00:00.000Z");
            }
        }
        if is_iso_date(value) {
            return value.to_owned();
        }
        if value.starts_with("https://") || value.starts_with("http://") {
            return self.url(value);
        }
        if value.contains('@') && value.contains('.') {
            return "user@example.com".to_owned();
        }
        let lower = key.to_ascii_lowercase();
        if lower == "name" || lower.ends_with("_name") || lower == "username" {
            return self.name(value);
        }
        if lower == "_id"
            || lower == "id"
            || lower.ends_with("_id")
            || lower.ends_with("id")
            || lower.contains("token")
            || lower.contains("hash")
            || lower == "filename"
            || lower == "from"
            || lower == "to"
            || lower == "participants"
            || !value.contains(' ') && value.chars().any(|c| c.is_ascii_digit())
        {
            return self.same_shape(value);
        }
        self.text(value)
    }

    fn value(&self, key: Option<&str>, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.string(key, s)),
            Value::Number(n) => {
                let k = key.unwrap_or_default();
                if k == "lat" || k == "lon" || k == "latitude" || k == "longitude" {
                    json!(0.0)
                } else if k == "s_number" || k.ends_with("_id") {
                    // Digits stay digits (a 16-digit number stays 16 digits).
                    let digits: String =
                        self.same_shape(&format!("n{n}")).chars().skip(1).collect();
                    // No leading zero (the number keeps its digit count), and below 2^53 when
                    // the original is (JavaScript reads it exactly).
                    let fixed = match digits.split_at_checked(1) {
                        Some(("0", tail)) => format!("1{tail}"),
                        Some(("9", tail)) if n.as_u64().is_some_and(|x| x < 1 << 53) => {
                            format!("8{tail}")
                        }
                        _ => digits,
                    };
                    fixed
                        .parse::<u64>()
                        .ok()
                        .filter(|_| n.is_u64())
                        .map(Value::from)
                        .unwrap_or_else(|| v.clone())
                } else {
                    v.clone()
                }
            }
            Value::Array(items) => Value::Array(items.iter().map(|x| self.value(key, x)).collect()),
            Value::Object(m) => {
                let mut out = Map::new();
                for (k, x) in m {
                    out.insert(k.clone(), self.value(Some(k), x));
                }
                Value::Object(out)
            }
            other => other.clone(),
        }
    }
}

/// `2026-11-28T10:00:00.000Z` and the like.
fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
        && (b.len() == 10 || b[10] == b'T' || b[10] == b' ')
}

fn write_fixtures(out: &Path, f: &Fixtures) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let write = |name: &str, v: &Value| {
        let text = serde_json::to_string_pretty(v).map_err(|e| e.to_string())?;
        std::fs::write(out.join(name), text + "\n")
            .map_err(|e| format!("cannot write {}: {e}", out.join(name).display()))
    };
    let mut manifest = Vec::new();
    let mut entries = Vec::new();
    for (i, a) in f.answers.iter().enumerate() {
        let file = format!("{:02}-{}.json", i + 1, a.kind);
        write(&file, &a.body)?;
        manifest.push(json!({"file": file, "kind": a.kind, "method": a.method, "url": a.url, "status": a.status}));
        let mut entry = json!({
            "startedDateTime": a.started.clone().unwrap_or_else(|| "1970-01-01T00:00:00.000Z".into()),
            "request": {"method": a.method, "url": a.url, "headers": []},
            "response": {"status": a.status, "headers": [], "content": {
                "mimeType": "application/json", "text": a.body.to_string()}},
        });
        if let Some(r) = &a.request {
            entry["request"]["postData"] =
                json!({"mimeType": "application/json", "text": r.to_string()});
        }
        entries.push(entry);
    }
    write(
        "manifest.json",
        &json!({"answers": manifest, "unreadable": f.unreadable}),
    )?;
    write(
        "session.har",
        &json!({"log": {"version": "1.2", "creator": {"name": "cargo xtask fixtures-from-har", "version": "1"},
                        "entries": entries}}),
    )
}

#[cfg(test)]
#[path = "har_tests.rs"]
mod tests;
