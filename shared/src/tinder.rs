//! Tinder data types and tolerant parsers for the web app's API payloads:
//! `/v2/recs/core`, `/like/{id}`, `/pass/{id}`, `/like/{id}/super`, `/v2/profile`,
//! `/v2/matches`.
//!
//! Rules every parser here keeps:
//! - It never panics and never fails: a field of the wrong type counts as missing, a
//!   result that cannot become a profile is skipped and counted.
//! - Missing fields become `None` or empty; unknown fields stay in `raw`.
//! - Numbers may arrive as JSON numbers or as numeric strings; booleans as `true`/`false`,
//!   `"true"`/`"false"` or `0`/`1`.
//!
//! Fixtures showing the shapes read here: `shared/tests/fixtures/`.

mod time;

pub use time::{age_years, civil_from_ms, days_from_civil, parse_date, parse_iso8601_ms, Date};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::protocol::Verdict;

/// Prefix of the ids of the pseudo-users Tinder puts into recs when the account is rate
/// limited.
pub const RATE_LIMITED_ID_PREFIX: &str = "tinder_rate_limited_id_";

/// Kilometres per statute mile.
pub const KM_PER_MILE: f64 = 1.609344;

/// The API host the web app talks to.
pub const API_HOST: &str = "api.gotinder.com";

/// Longest profile id accepted by [`is_plausible_profile_id`].
pub const MAX_PROFILE_ID_LEN: usize = 64;

/// One face box from `crop_info.faces[].algo`, as fractions 0..1 of the photo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaceBox {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

/// One photo of a profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Photo {
    /// Tinder's photo id (may be missing).
    pub id: Option<String>,
    /// The original `url` (the best `processedFiles` URL when `url` is missing).
    pub url: String,
    /// The URL to fetch: the 640×800 `processedFiles` entry when present, else the
    /// largest `processedFiles` entry, else `url`.
    pub best_url: String,
    /// Face boxes from `crop_info.faces`.
    pub faces: Vec<FaceBox>,
}

/// A profile from recs (a `user` result), with the fields Swipy uses.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// `user._id`.
    pub id: String,
    /// `user.name`, trimmed; empty when missing.
    pub name: String,
    /// Age in whole years at capture time; `None` when unknown or hidden.
    pub age: Option<u32>,
    /// `birth_date` as given (ISO 8601), if any.
    pub birth_date: Option<String>,
    /// Bio, trimmed; empty string when missing.
    pub bio: String,
    /// Distance in km: `distance_mi` × 1.609344, rounded to 0.1 km (Tinder itself sends
    /// whole miles, so more digits would be noise). `None` when hidden or missing.
    pub distance_km: Option<f64>,
    pub hide_age: bool,
    pub hide_distance: bool,
    /// Tinder's gender code, if present.
    pub gender: Option<i64>,
    pub photos: Vec<Photo>,
    /// Jobs as text: "Title, Company", or whichever of the two is present.
    pub jobs: Vec<String>,
    /// `schools[].name`.
    pub schools: Vec<String>,
    /// `city.name`.
    pub city: Option<String>,
    /// `experiment_info.user_interests.selected_interests[].name`.
    pub interests: Vec<String>,
    /// `selected_descriptors`: "Name: choice, choice" (measurable ones: "Name: 170 cm").
    pub descriptors: Vec<String>,
    /// `teaser.string` / `teasers[].string`, without duplicates.
    pub teasers: Vec<String>,
    /// `s_number` (used by the like/pass calls), if present. Serialized as a JSON integer
    /// when whole, so it survives a round trip exactly (a 16-digit float literal may not).
    #[serde(serialize_with = "whole_as_integer")]
    pub s_number: Option<f64>,
    /// The whole result object as received (unknown fields kept).
    pub raw: Value,
}

/// Writes whole numbers within ±2^53 as JSON integers, everything else as floats.
fn whole_as_integer<S: serde::Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(f) if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 => {
            s.serialize_some(&(*f as i64))
        }
        other => other.serialize(s),
    }
}

/// A parsed `/v2/recs/core` page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecsPage {
    /// Usable `user` results, in page order, each id once.
    pub profiles: Vec<Profile>,
    /// Results that did not become profiles: other `type`s, rate-limit pseudo-users,
    /// missing or implausible ids, repeated ids, non-objects.
    pub skipped: u32,
    /// The page carried a rate-limit pseudo-user (`tinder_rate_limited_id_…`) or a
    /// `rate_limited_until` in the future of `now_ms`.
    pub rate_limited: bool,
    /// `likes_remaining` when the page says (`meta.rating`, `data.rating`, `data.likes`,
    /// top level).
    pub likes_remaining: Option<i64>,
    /// `rate_limited_until` in ms since the Unix epoch, when the page says.
    pub rate_limited_until_ms: Option<f64>,
    /// `error.message` (or a plain `error` string) of an error answer, e.g. `RATE_LIMITED`.
    pub error: Option<String>,
}

/// The `error` Tinder answers recs with while it rate-limits the account.
pub const RATE_LIMITED_ERROR: &str = "RATE_LIMITED";

/// The answer to the page's `/like/{id}` or `/like/{id}/super` call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LikeOutcome {
    /// `match` is `true` or a match object.
    pub matched: bool,
    /// `match._id` / `match.id` when `match` is an object.
    pub match_id: Option<String>,
    /// `likes_remaining`, when given.
    pub likes_remaining: Option<i64>,
    /// `rate_limited_until` in ms since the Unix epoch, when given.
    pub rate_limited_until_ms: Option<f64>,
    /// `super_likes.remaining`, when given.
    pub super_likes_remaining: Option<i64>,
    /// `super_likes.resets_at` in ms since the Unix epoch, when given.
    pub super_likes_resets_at_ms: Option<f64>,
    /// `limit_exceeded` (a super like over the allowance).
    pub limit_exceeded: bool,
    /// `status` (or `meta.status`), when given.
    pub status: Option<i64>,
}

impl LikeOutcome {
    /// Whether the account is out of likes at `now_ms`: `likes_remaining` is 0, or
    /// `rate_limited_until` lies in the future.
    pub fn out_of_likes(&self, now_ms: f64) -> bool {
        self.likes_remaining == Some(0) || self.rate_limited_until_ms.is_some_and(|t| t > now_ms)
    }
}

/// The answer to the page's `/pass/{id}` call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PassOutcome {
    /// `status` (or `meta.status`), when given.
    pub status: Option<i64>,
    /// No error status: `status` is missing or 2xx.
    pub ok: bool,
}

/// The own account from `/v2/profile` (`?include=user,likes,super_likes,...`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OwnProfile {
    /// `data.user._id`, when present.
    pub id: Option<String>,
    /// `data.user.name`, trimmed; empty when missing.
    pub name: String,
    pub birth_date: Option<String>,
    pub bio: String,
    pub gender: Option<i64>,
    pub photos: Vec<Photo>,
    /// `data.likes.likes_remaining`.
    pub likes_remaining: Option<i64>,
    /// `data.likes.rate_limited_until` in ms since the Unix epoch.
    pub rate_limited_until_ms: Option<f64>,
    /// `data.super_likes.remaining`.
    pub super_likes_remaining: Option<i64>,
    /// `data.super_likes.resets_at` in ms since the Unix epoch.
    pub super_likes_resets_at_ms: Option<f64>,
}

/// One match from `/v2/matches`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchInfo {
    /// `_id` (or `id`) of the match.
    pub match_id: String,
    /// `person._id`: the matched profile.
    pub person_id: String,
    /// `person.name`, trimmed; empty when missing.
    pub name: String,
    /// `created_date` in ms since the Unix epoch.
    pub created_ms: Option<f64>,
}

/// A parsed `/v2/matches` page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MatchesPage {
    pub matches: Vec<MatchInfo>,
    /// `data.next_page_token`: more pages exist.
    pub next_page_token: Option<String>,
    /// Entries that were not usable matches.
    pub skipped: u32,
}

// ---------------------------------------------------------------------------------------
// Lenient value readers.

/// A non-empty trimmed string.
fn text(v: Option<&Value>) -> Option<String> {
    let s = v?.as_str()?.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// A finite number from a JSON number or a numeric string.
fn number(v: Option<&Value>) -> Option<f64> {
    let f = match v? {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    f.is_finite().then_some(f)
}

/// A whole number (numbers with a fraction are refused).
fn integer(v: Option<&Value>) -> Option<i64> {
    if let Some(i) = v.and_then(Value::as_i64) {
        return Some(i);
    }
    let f = number(v)?;
    (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
}

fn boolean(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => {
            let f = n.as_f64()?;
            if f == 0.0 {
                Some(false)
            } else if f == 1.0 {
                Some(true)
            } else {
                None
            }
        }
        Value::String(s) => match s.trim() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn array(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn object(v: Option<&Value>) -> Option<&Map<String, Value>> {
    v?.as_object()
}

/// A point in time as ms since the Unix epoch: an ISO 8601 string or a number of ms.
/// Numbers below 1e11 (before 1973 as ms) are read as seconds, defensively: Tinder sends
/// ms for these fields.
fn time_ms(v: Option<&Value>) -> Option<f64> {
    if let Some(Value::String(s)) = v {
        if let Some(ms) = parse_iso8601_ms(s) {
            return Some(ms);
        }
    }
    let n = number(v)?;
    if n <= 0.0 {
        return None;
    }
    Some(if n < 1.0e11 { n * 1000.0 } else { n })
}

fn push_unique(list: &mut Vec<String>, s: String) {
    if !list.contains(&s) {
        list.push(s);
    }
}

// ---------------------------------------------------------------------------------------
// Ids and URLs.

/// Whether `s` can be a Tinder profile id: 1..=64 characters of `A-Z a-z 0-9 _ -`
/// (real ids are 24 hex digits). Refuses everything that could act as a path
/// (`/`, `\`, `.`, `..`), NUL, whitespace and the empty string.
pub fn is_plausible_profile_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_PROFILE_ID_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Recognises the page's own swipe calls: `/like/{id}` → like, `/pass/{id}` → nope,
/// `/like/{id}/super` → superlike, with `GET` or `POST` (any case), as a path or a URL
/// on `api.gotinder.com` (`https://` or scheme-relative `//`). Query strings, fragments
/// and one trailing slash are ignored. Anything else — other hosts, other methods, extra
/// path segments, implausible ids — is `None`.
pub fn swipe_from_url(method: &str, url: &str) -> Option<(Verdict, String)> {
    let method = method.trim();
    if !method.eq_ignore_ascii_case("POST") && !method.eq_ignore_ascii_case("GET") {
        return None;
    }
    let url = url.trim();
    let url = url.split(['?', '#']).next().unwrap_or("");
    let path =
        if let Some(rest) = strip_prefix_ci(url, "https://").or_else(|| url.strip_prefix("//")) {
            let (host, path) = match rest.find('/') {
                Some(i) => rest.split_at(i),
                None => (rest, ""),
            };
            let host = host.strip_suffix(":443").unwrap_or(host);
            if !host.eq_ignore_ascii_case(API_HOST) {
                return None;
            }
            path
        } else if url.starts_with('/') {
            url
        } else {
            return None;
        };
    let path = path.strip_suffix('/').unwrap_or(path);
    let mut parts = path.strip_prefix('/')?.split('/');
    let action = parts.next()?;
    let id = parts.next()?;
    let extra = parts.next();
    if parts.next().is_some() || !is_plausible_profile_id(id) {
        return None;
    }
    let verdict = match (action, extra) {
        ("like", None) => Verdict::Like,
        ("like", Some("super")) => Verdict::Superlike,
        ("pass", None) => Verdict::Nope,
        _ => return None,
    };
    Some((verdict, id.to_owned()))
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

// ---------------------------------------------------------------------------------------
// Photos.

fn parse_photo(p: &Value) -> Option<Photo> {
    let p = p.as_object()?;
    let url = text(p.get("url"));
    // processedFiles: prefer exactly 640×800, else the largest by area.
    let mut exact: Option<String> = None;
    let mut largest: Option<(f64, String)> = None;
    for f in array(p.get("processedFiles")) {
        let Some(f_url) = text(f.get("url")) else {
            continue;
        };
        let w = number(f.get("width")).unwrap_or(0.0);
        let h = number(f.get("height")).unwrap_or(0.0);
        if w == 640.0 && h == 800.0 && exact.is_none() {
            exact = Some(f_url.clone());
        }
        let area = w.max(0.0) * h.max(0.0);
        if largest.as_ref().is_none_or(|(a, _)| area > *a) {
            largest = Some((area, f_url));
        }
    }
    let processed = exact.or(largest.map(|(_, u)| u));
    let (url, best_url) = match (url, processed) {
        (Some(u), Some(b)) => (u, b),
        (Some(u), None) => (u.clone(), u),
        (None, Some(b)) => (b.clone(), b),
        (None, None) => return None,
    };
    let faces = array(p.get("crop_info").and_then(|c| c.get("faces")))
        .iter()
        .filter_map(parse_face)
        .collect();
    Some(Photo {
        id: text(p.get("id")),
        url,
        best_url,
        faces,
    })
}

/// `{algo: {width_pct, x_offset_pct, height_pct, y_offset_pct}}`, fractions of the photo.
/// Boxes reaching outside the photo are clipped to it; empty or malformed boxes are
/// dropped. Values inside the photo are kept exactly as given.
fn parse_face(f: &Value) -> Option<FaceBox> {
    let a = f.get("algo")?;
    let (x, w) = clip_span(number(a.get("x_offset_pct"))?, number(a.get("width_pct"))?)?;
    let (y, h) = clip_span(number(a.get("y_offset_pct"))?, number(a.get("height_pct"))?)?;
    Some(FaceBox { x, y, w, h })
}

/// Clips the span `start..start + len` to `0..1`; `None` when nothing is left.
fn clip_span(start: f64, len: f64) -> Option<(f64, f64)> {
    let (mut s, mut l) = (start, len);
    if s < 0.0 {
        l += s;
        s = 0.0;
    }
    if s + l > 1.0 {
        l = 1.0 - s;
    }
    (s < 1.0 && l > 0.0).then_some((s, l))
}

fn parse_photos(v: Option<&Value>) -> Vec<Photo> {
    array(v).iter().filter_map(parse_photo).collect()
}

// ---------------------------------------------------------------------------------------
// Recs.

fn parse_job(j: &Value) -> Option<String> {
    let title = text(j.get("title").and_then(|t| t.get("name")));
    let company = text(j.get("company").and_then(|c| c.get("name")));
    match (title, company) {
        (Some(t), Some(c)) => Some(format!("{t}, {c}")),
        (Some(t), None) => Some(t),
        (None, Some(c)) => Some(c),
        (None, None) => None,
    }
}

fn parse_descriptor(d: &Value) -> Option<String> {
    let name = text(d.get("name")).or_else(|| text(d.get("prompt")))?;
    let mut choices: Vec<String> = Vec::new();
    for c in array(d.get("choice_selections")) {
        if let Some(s) = text(c.get("name")) {
            push_unique(&mut choices, s);
        }
    }
    if choices.is_empty() {
        let m = d.get("measurable_selection");
        if let Some(value) = number(m.and_then(|m| m.get("value"))) {
            let unit = text(m.and_then(|m| m.get("unit_of_measure"))).unwrap_or_default();
            let value = if value.fract() == 0.0 {
                format!("{value:.0}")
            } else {
                format!("{value}")
            };
            choices.push(if unit.is_empty() {
                value
            } else {
                format!("{value} {unit}")
            });
        }
    }
    (!choices.is_empty()).then(|| format!("{name}: {}", choices.join(", ")))
}

/// `distance_mi` → km rounded to 0.1; negative or absurd distances are dropped.
fn distance_km(mi: f64) -> Option<f64> {
    if !(0.0..=25_000.0).contains(&mi) {
        return None;
    }
    Some((mi * KM_PER_MILE * 10.0).round() / 10.0)
}

/// Where Tinder puts the like allowance: `meta.rating`, `data.rating`, `data.likes`,
/// `rating`, `likes`, or the object itself.
fn allowance_objects(body: &Value) -> impl Iterator<Item = &Value> {
    [
        body.pointer("/meta/rating"),
        body.pointer("/data/rating"),
        body.pointer("/data/likes"),
        body.get("rating"),
        body.get("likes"),
        body.get("data"),
        Some(body),
    ]
    .into_iter()
    .flatten()
    .filter(|v| v.is_object())
}

fn likes_remaining(body: &Value) -> Option<i64> {
    allowance_objects(body).find_map(|o| integer(o.get("likes_remaining")))
}

fn rate_limited_until(body: &Value) -> Option<f64> {
    allowance_objects(body).find_map(|o| time_ms(o.get("rate_limited_until")))
}

/// Parses one recs result into a profile, or `Err(rate_limited)` when it is not one.
fn parse_result(r: &Value, now_ms: f64) -> Result<Profile, bool> {
    let Some(obj) = r.as_object() else {
        return Err(false);
    };
    let user = object(obj.get("user"));
    let id = user
        .and_then(|u| u.get("_id").or_else(|| u.get("id")))
        .and_then(Value::as_str);
    if id.is_some_and(|id| id.starts_with(RATE_LIMITED_ID_PREFIX)) {
        return Err(true);
    }
    match obj.get("type") {
        None => {}
        Some(Value::String(t)) if t == "user" => {}
        Some(_) => return Err(false),
    }
    let (Some(u), Some(id)) = (user, id) else {
        return Err(false);
    };
    if !is_plausible_profile_id(id) {
        return Err(false);
    }
    let birth_date = text(u.get("birth_date"));
    // Normally on the user; some clients put the flags on the result.
    let flag = |k: &str| {
        boolean(u.get(k))
            .or_else(|| boolean(obj.get(k)))
            .unwrap_or(false)
    };
    let hide_age = flag("hide_age");
    let hide_distance = flag("hide_distance");
    let age = if hide_age {
        None
    } else {
        birth_date.as_deref().and_then(|b| age_years(b, now_ms))
    };
    let distance_km = if hide_distance {
        None
    } else {
        number(obj.get("distance_mi")).and_then(distance_km)
    };

    let mut jobs = Vec::new();
    for j in array(u.get("jobs")) {
        if let Some(s) = parse_job(j) {
            push_unique(&mut jobs, s);
        }
    }
    let mut schools = Vec::new();
    for s in array(u.get("schools")) {
        if let Some(s) = text(s.get("name")) {
            push_unique(&mut schools, s);
        }
    }
    let interests_src = obj
        .get("experiment_info")
        .and_then(|e| e.get("user_interests"))
        .or_else(|| u.get("user_interests"))
        .and_then(|i| i.get("selected_interests"));
    let mut interests = Vec::new();
    for i in array(interests_src) {
        if let Some(s) = text(i.get("name")) {
            push_unique(&mut interests, s);
        }
    }
    let mut descriptors = Vec::new();
    for d in array(u.get("selected_descriptors")) {
        if let Some(s) = parse_descriptor(d) {
            push_unique(&mut descriptors, s);
        }
    }
    let mut teasers = Vec::new();
    let single = obj.get("teaser").into_iter();
    for t in single.chain(array(obj.get("teasers"))) {
        if let Some(s) = text(t.get("string")) {
            push_unique(&mut teasers, s);
        }
    }
    Ok(Profile {
        id: id.to_owned(),
        name: text(u.get("name")).unwrap_or_default(),
        age,
        birth_date,
        bio: text(u.get("bio")).unwrap_or_default(),
        distance_km,
        hide_age,
        hide_distance,
        gender: integer(u.get("gender")),
        photos: parse_photos(u.get("photos")),
        jobs,
        schools,
        city: text(u.get("city").and_then(|c| c.get("name"))),
        interests,
        descriptors,
        teasers,
        s_number: number(obj.get("s_number")),
        raw: r.clone(),
    })
}

/// The results of a recs response (`data.results`, or `results` at the top), empty when
/// there are none.
pub fn recs_results(body: &Value) -> &[Value] {
    array(
        body.pointer("/data/results")
            .or_else(|| body.get("results")),
    )
}

/// Parses a `/v2/recs/core` body (`{"meta":…,"data":{"results":[…]}}`; a bare
/// `{"results":[…]}` is read too). `now_ms` (ms since the Unix epoch, normally the capture
/// time) fixes the ages.
///
/// A result becomes a profile when its `type` is `user` (or absent) and `user._id` passes
/// [`is_plausible_profile_id`]; every other result is counted in `skipped`. Rate-limit
/// pseudo-users set `rate_limited` (and count as skipped). A repeated id keeps its first
/// occurrence.
pub fn parse_recs(body: &Value, now_ms: f64) -> RecsPage {
    let mut page = RecsPage {
        likes_remaining: likes_remaining(body),
        rate_limited_until_ms: rate_limited_until(body),
        error: error_message(body),
        ..RecsPage::default()
    };
    if page.rate_limited_until_ms.is_some_and(|t| t > now_ms)
        || page
            .error
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(RATE_LIMITED_ERROR))
    {
        page.rate_limited = true;
    }
    let mut seen = std::collections::HashSet::new();
    for r in recs_results(body) {
        match parse_result(r, now_ms) {
            Ok(p) if !seen.insert(p.id.clone()) => page.skipped += 1,
            Ok(p) => page.profiles.push(p),
            Err(rate_limited) => {
                page.rate_limited |= rate_limited;
                page.skipped += 1;
            }
        }
    }
    page
}

/// `error.message`, `error.code` as text, or `error` itself when it is a string (also inside
/// `data` or `meta`): `{"error":{"message":"RATE_LIMITED"}}`.
fn error_message(body: &Value) -> Option<String> {
    [
        body.get("error"),
        body.pointer("/data/error"),
        body.pointer("/meta/error"),
    ]
    .into_iter()
    .flatten()
    .find_map(|e| match e {
        Value::String(_) => text(Some(e)),
        Value::Object(o) => text(o.get("message")).or_else(|| text(o.get("code"))),
        _ => None,
    })
}

/// One text for the text encoder: bio, jobs, schools, interests and descriptors, one
/// part per line, empty parts left out (an empty bio gives just the other parts; a
/// profile with nothing gives ""). Name, age and city are not included: they are
/// separate features.
pub fn profile_text(p: &Profile) -> String {
    let parts = [
        p.bio.trim().to_owned(),
        p.jobs.join("; "),
        p.schools.join("; "),
        p.interests.join(", "),
        p.descriptors.join("; "),
    ];
    parts
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------------------------------
// Like / pass.

fn status(body: &Value) -> Option<i64> {
    integer(body.get("status")).or_else(|| integer(body.pointer("/meta/status")))
}

/// Parses the answer to `/like/{id}` or `/like/{id}/super`:
/// `{"status":200,"match":false|{…},"likes_remaining":99,"rate_limited_until":…,
/// "super_likes":{"remaining":…,"resets_at":…}}` (also when wrapped in `data`).
pub fn parse_like_response(body: &Value) -> LikeOutcome {
    let inner = match body.get("data") {
        Some(d) if d.get("match").is_some() || d.get("likes_remaining").is_some() => d,
        _ => body,
    };
    let (matched, match_id) = match inner.get("match") {
        Some(Value::Bool(b)) => (*b, None),
        Some(Value::Object(m)) => (true, text(m.get("_id")).or_else(|| text(m.get("id")))),
        _ => (false, None),
    };
    let supers = inner.get("super_likes");
    LikeOutcome {
        matched,
        match_id,
        likes_remaining: likes_remaining(body),
        rate_limited_until_ms: rate_limited_until(body),
        super_likes_remaining: integer(supers.and_then(|s| s.get("remaining"))),
        super_likes_resets_at_ms: time_ms(supers.and_then(|s| s.get("resets_at"))),
        limit_exceeded: boolean(inner.get("limit_exceeded")).unwrap_or(false),
        status: status(body),
    }
}

/// Parses the answer to `/pass/{id}` (`{"status":200}`; nothing else is needed).
pub fn parse_pass_response(body: &Value) -> PassOutcome {
    let status = status(body);
    PassOutcome {
        status,
        ok: status.is_none_or(|s| (200..300).contains(&s)),
    }
}

// ---------------------------------------------------------------------------------------
// Own profile and matches.

/// Parses `/v2/profile` (`{"data":{"user":{…},"likes":{…},"super_likes":{…}}}`).
pub fn parse_profile(body: &Value) -> OwnProfile {
    let data = body.get("data").filter(|d| d.is_object()).unwrap_or(body);
    let user = data.get("user");
    let field = |k: &str| user.and_then(|u| u.get(k));
    let supers = data.get("super_likes");
    OwnProfile {
        id: text(field("_id")).filter(|id| is_plausible_profile_id(id)),
        name: text(field("name")).unwrap_or_default(),
        birth_date: text(field("birth_date")),
        bio: text(field("bio")).unwrap_or_default(),
        gender: integer(field("gender")),
        photos: parse_photos(field("photos")),
        likes_remaining: likes_remaining(body),
        rate_limited_until_ms: rate_limited_until(body),
        super_likes_remaining: integer(supers.and_then(|s| s.get("remaining"))),
        super_likes_resets_at_ms: time_ms(supers.and_then(|s| s.get("resets_at"))),
    }
}

/// Parses `/v2/matches` (`{"data":{"matches":[{"_id","created_date","person":{"_id",
/// "name"}}],"next_page_token":"…"}}`). Entries without a match id or a plausible person
/// id are skipped and counted.
pub fn parse_matches(body: &Value) -> MatchesPage {
    let data = body.get("data").filter(|d| d.is_object()).unwrap_or(body);
    let mut page = MatchesPage {
        next_page_token: text(data.get("next_page_token")),
        ..MatchesPage::default()
    };
    for m in array(data.get("matches")) {
        let match_id = text(m.get("_id")).or_else(|| text(m.get("id")));
        let person = m.get("person");
        let person_id =
            text(person.and_then(|p| p.get("_id"))).filter(|id| is_plausible_profile_id(id));
        let (Some(match_id), Some(person_id)) = (match_id, person_id) else {
            page.skipped += 1;
            continue;
        };
        page.matches.push(MatchInfo {
            match_id,
            person_id,
            name: text(person.and_then(|p| p.get("name"))).unwrap_or_default(),
            created_ms: time_ms(m.get("created_date")),
        });
    }
    page
}

#[cfg(test)]
mod tests;
