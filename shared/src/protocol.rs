//! Wire protocol between the extension and the `swipy` host.
//!
//! Every message is one JSON object, framed by native messaging (4-byte native-endian
//! length + UTF-8 JSON):
//!
//! ```json
//! {"v":1,"id":7,"type":"label","data":{"profile_id":"5f..","label":"like","source":"overlay","at_ms":1764331200000,"key":"k-1"}}
//! ```
//!
//! Responses and events use the same envelope; a response carries `re` = the id of the
//! request it answers, an unsolicited event has no `re`. The first message on every port is
//! `hello`. See `docs/PROTOCOL.md` for the full contract.
//!
//! Rules: no u64 on the wire (JS numbers are f64; times are milliseconds as f64),
//! error codes are append-only and never renumbered.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Protocol version spoken by this build. Bumped on any incompatible change.
pub const PROTOCOL_VERSION: u32 = 1;

/// Chrome refuses host→browser messages larger than 1 MiB.
pub const MAX_FRAME_TO_BROWSER: usize = 1024 * 1024;

/// The host refuses browser→host frames larger than this (Chrome itself caps at 64 MiB).
/// A `recs` page is ~100 KB; 16 MiB leaves room for HAR-sized bodies.
pub const MAX_FRAME_FROM_BROWSER: usize = 16 * 1024 * 1024;

/// Most ids accepted in one `scores` request.
pub const MAX_IDS_PER_REQUEST: usize = 1000;

/// Most results one `recs` page may carry (Tinder sends a few dozen). A larger page is
/// refused with `bad_data` before anything is stored: the `ingested` answer lists every id
/// and must fit [`MAX_FRAME_TO_BROWSER`] (10,000 ids of at most 64 characters do).
pub const MAX_RECS_RESULTS: usize = 10_000;

/// Largest `recs` body accepted, in bytes of JSON (a real page is 50–300 KB). The host
/// refuses a `recs` frame longer than this plus [`RECS_ENVELOPE_SLACK`] before the recs
/// parser runs; the extension checks the body text before it parses or queues it.
pub const MAX_RECS_BYTES: usize = 4 * 1024 * 1024;

/// Room for the envelope around a `recs` body (`v`, `id`, `type`, `captured_at_ms`).
pub const RECS_ENVELOPE_SLACK: usize = 4 * 1024;

/// Deepest nesting (objects and arrays) accepted in a `recs` body (a real page is about
/// 10 deep). A frame nested deeper than this plus 2 (the envelope and `data`) is refused
/// by the host with `bad_json` before it is parsed at all.
pub const MAX_RECS_DEPTH: usize = 32;

/// Deepest nesting of any browser → host frame ([`MAX_RECS_DEPTH`] + envelope + `data`).
pub const MAX_FRAME_DEPTH: usize = MAX_RECS_DEPTH + 2;

/// Whether the objects and arrays of a JSON text nest deeper than `limit`, found without
/// parsing (brackets inside strings are skipped; stops at the first level past `limit`).
/// Meant for refusing over-deep input before a parser sees it.
pub fn json_depth_exceeds(text: &[u8], limit: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in text {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// The name the host is registered under with browsers.
pub const HOST_NAME: &str = "com.swipy.host";

/// A message on the wire: envelope plus a typed body (`type` + `data`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    /// Protocol version of the sender.
    pub v: u32,
    /// Sender-chosen id, unique per port.
    pub id: u32,
    /// For responses: the `id` of the request answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub re: Option<u32>,
    /// `type` + `data`.
    #[serde(flatten)]
    pub body: T,
}

impl<T> Envelope<T> {
    pub fn new(id: u32, body: T) -> Self {
        Self {
            v: PROTOCOL_VERSION,
            id,
            re: None,
            body,
        }
    }
    pub fn reply(id: u32, re: u32, body: T) -> Self {
        Self {
            v: PROTOCOL_VERSION,
            id,
            re: Some(re),
            body,
        }
    }
}

/// A label (or swipe) decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Like,
    Nope,
    Superlike,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Like => "like",
            Verdict::Nope => "nope",
            Verdict::Superlike => "superlike",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "like" => Some(Verdict::Like),
            "nope" | "pass" => Some(Verdict::Nope),
            "superlike" | "super" => Some(Verdict::Superlike),
            _ => None,
        }
    }
    /// Whether this verdict counts as a positive training example.
    pub fn is_positive(self) -> bool {
        !matches!(self, Verdict::Nope)
    }
}

/// Where a label came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelSource {
    /// The page's own like/pass call while the user browsed.
    Swipe,
    /// Swipy's like/nope buttons on the card.
    Overlay,
    /// Swipy's auto-swipe.
    Auto,
    /// `import-seed` and other importers.
    Import,
    /// `swipy label`.
    Cli,
    /// Relabelled in the extension's dashboard.
    Dashboard,
}

impl LabelSource {
    pub fn as_str(self) -> &'static str {
        match self {
            LabelSource::Swipe => "swipe",
            LabelSource::Overlay => "overlay",
            LabelSource::Auto => "auto",
            LabelSource::Import => "import",
            LabelSource::Cli => "cli",
            LabelSource::Dashboard => "dashboard",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "swipe" => Some(LabelSource::Swipe),
            "overlay" => Some(LabelSource::Overlay),
            "auto" => Some(LabelSource::Auto),
            "import" => Some(LabelSource::Import),
            "cli" => Some(LabelSource::Cli),
            "dashboard" => Some(LabelSource::Dashboard),
            _ => None,
        }
    }
}

/// Extension → host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Request {
    /// First message on every port.
    Hello {
        /// The sender's `PROTOCOL_VERSION`.
        protocol: u32,
        /// Free text, e.g. "swipy-extension 0.0.0 chrome".
        #[serde(default)]
        client: Option<String>,
    },
    /// A raw `/v2/recs/core` response body as the page received it.
    Recs {
        body: Value,
        /// Capture time, ms since the Unix epoch.
        captured_at_ms: f64,
    },
    /// A raw `/v2/matches` response body as the page received it (either list:
    /// `message=0`, new matches, or `message=1`, conversations). The host records which
    /// profiles became matches; it never asks Tinder itself.
    Matches {
        body: Value,
        /// Capture time, ms since the Unix epoch.
        captured_at_ms: f64,
    },
    /// The page's own like/pass/superlike call (ground truth from normal browsing or
    /// auto-swipe verification). Becomes a label with `source`, default `swipe`.
    SwipeSeen {
        profile_id: String,
        verdict: Verdict,
        at_ms: f64,
        /// Client-generated idempotency key; a replay with the same key is a no-op.
        key: String,
        /// `swipe` (user) or `auto` (Swipy's auto-swipe).
        #[serde(default = "default_swipe_source")]
        source: LabelSource,
        /// The page's like response, when seen (`match`, `likes_remaining`, ...).
        #[serde(default)]
        response: Option<Value>,
    },
    /// A label from the overlay buttons (or any other client source).
    Label {
        profile_id: String,
        verdict: Verdict,
        source: LabelSource,
        at_ms: f64,
        /// Client-generated idempotency key; a replay with the same key is a no-op.
        key: String,
    },
    /// Ask for scores of these profiles.
    Scores { ids: Vec<String> },
    /// Train now (progress and result arrive as events).
    Train {},
    /// Counts for the popup/dashboard.
    Stats {},
    /// Read settings.
    SettingsGet {},
    /// Change settings (merged into the stored ones).
    SettingsSet { values: Map<String, Value> },
    /// Outcome of an auto-swipe decision.
    SwipeResult {
        profile_id: String,
        verdict: Verdict,
        matched: bool,
        at_ms: f64,
        key: String,
        #[serde(default)]
        score: Option<f64>,
        #[serde(default)]
        reason: Option<String>,
    },
    /// A page of stored profiles for the dashboard, newest first.
    Profiles {
        /// At most `MAX_PROFILES_PER_PAGE`; larger values are clamped.
        #[serde(default = "default_profiles_limit")]
        limit: u32,
        #[serde(default)]
        offset: u32,
        /// `all` (default), `labelled`, `unlabelled`, `liked`, `noped`, `matched`, `auto`.
        #[serde(default)]
        filter: Option<String>,
    },
    /// Per-day counts, score histogram and match rates for the dashboard.
    History {},
}

/// Most profiles in one `profiles` answer (thumbnails keep each answer < 1 MiB).
pub const MAX_PROFILES_PER_PAGE: u32 = 50;

fn default_profiles_limit() -> u32 {
    20
}

fn default_swipe_source() -> LabelSource {
    LabelSource::Swipe
}

impl Request {
    /// The wire `type` of this request.
    pub fn kind(&self) -> &'static str {
        match self {
            Request::Hello { .. } => "hello",
            Request::Recs { .. } => "recs",
            Request::Matches { .. } => "matches",
            Request::SwipeSeen { .. } => "swipe_seen",
            Request::Label { .. } => "label",
            Request::Scores { .. } => "scores",
            Request::Train {} => "train",
            Request::Stats {} => "stats",
            Request::SettingsGet {} => "settings_get",
            Request::SettingsSet { .. } => "settings_set",
            Request::SwipeResult { .. } => "swipe_result",
            Request::Profiles { .. } => "profiles",
            Request::History {} => "history",
        }
    }
}

/// All request `type`s, for telling "unknown type" apart from "bad data".
pub const REQUEST_TYPES: &[&str] = &[
    "hello",
    "recs",
    "matches",
    "swipe_seen",
    "label",
    "scores",
    "train",
    "stats",
    "settings_get",
    "settings_set",
    "swipe_result",
    "profiles",
    "history",
];

/// Per-part scores; `None` where the part had no input (no face found, empty bio, ...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Parts {
    pub photo: Option<f64>,
    pub face: Option<f64>,
    pub text: Option<f64>,
    pub meta: Option<f64>,
}

/// Score of one profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub id: String,
    /// Calibrated P(like) of the current model; `None` when it cannot be scored yet.
    pub p_like: Option<f64>,
    pub parts: Parts,
    /// Model version that produced it; `None` before the first model.
    pub model_version: Option<u32>,
    pub state: ScoreState,
}

/// Whether a [`Score`] carries a P(like), and why not; serialised in snake case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreState {
    /// `p_like` is the current model's.
    Ready,
    /// No model is trained yet.
    NoModel,
    /// The profile's photos or embeddings are not ready yet.
    Pending,
    /// The profile is not in the store (also any state a newer host may add).
    #[serde(other)]
    Unknown,
}

impl ScoreState {
    /// The wire name (`ready`, `no_model`, `pending`, `unknown`).
    pub fn as_str(self) -> &'static str {
        match self {
            ScoreState::Ready => "ready",
            ScoreState::NoModel => "no_model",
            ScoreState::Pending => "pending",
            ScoreState::Unknown => "unknown",
        }
    }
}

/// Cross-validated metrics of a trained head.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub roc_auc: f64,
    pub accuracy: f64,
    pub log_loss: f64,
    pub n_like: u32,
    pub n_nope: u32,
    pub folds: u32,
    /// L2 regularisation strength chosen for the part P(like) weighs most.
    pub l2: f64,
    /// Out-of-fold ROC curve points `[fpr, tpr]` for the dashboard.
    #[serde(default)]
    pub roc: Vec<[f64; 2]>,
}

/// Counts for the popup and dashboard.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub profiles: u32,
    pub profiles_today: u32,
    pub photos: u32,
    pub labels: u32,
    pub labels_today: u32,
    pub likes: u32,
    pub nopes: u32,
    pub superlikes: u32,
    pub matches: u32,
    pub model_version: Option<u32>,
    pub metrics: Option<Metrics>,
}

/// Host → extension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Response {
    Hello {
        protocol: u32,
        host_version: String,
        model_version: Option<u32>,
    },
    /// Sent after the request's effects are committed to the store, never before.
    Ack {
        /// The idempotency key acknowledged, when the request had one.
        #[serde(default)]
        key: Option<String>,
    },
    /// Answer to `recs`: what was stored.
    Ingested {
        /// `user` results parsed.
        profiles: u32,
        /// Of those, new to the store.
        new_profiles: u32,
        /// Results skipped (not `user`, rate-limit pseudo users, unparseable).
        skipped: u32,
        /// Ids in the order the page received them (the card stack order).
        ids: Vec<String>,
        /// True when the response contained a rate-limit pseudo user.
        rate_limited: bool,
    },
    Scores {
        scores: Vec<Score>,
    },
    /// Event: training progress. `stage` e.g. "embed", "cv", "fit", "export".
    TrainProgress {
        stage: String,
        done: u32,
        total: u32,
    },
    /// Event or response: a new model is active.
    Trained {
        model_version: u32,
        metrics: Metrics,
    },
    Stats(Stats),
    Settings {
        values: Map<String, Value>,
    },
    Error(ErrorBody),
    /// Answer to `profiles`.
    Profiles {
        /// Profiles matching the filter (all pages).
        total: u32,
        items: Vec<ProfileItem>,
    },
    /// Answer to `history`.
    History(History),
}

/// One row of the dashboard's profile list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProfileItem {
    pub id: String,
    pub name: String,
    pub age: Option<u32>,
    pub distance_km: Option<f64>,
    pub bio: String,
    pub photo_count: u32,
    /// Latest label, if any.
    pub label: Option<Verdict>,
    pub label_source: Option<LabelSource>,
    /// Last stored score and the model version that produced it.
    pub p_like: Option<f64>,
    pub model_version: Option<u32>,
    /// Reason of the last auto-swipe decision (`swipe_result.reason`).
    pub decision_reason: Option<String>,
    pub matched: bool,
    /// Small JPEG of the first stored photo as a `data:image/jpeg;base64,...` URL.
    pub thumb: Option<String>,
}

/// Counts of one day (UTC).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DayCounts {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    /// Profiles first seen that day.
    pub seen: u32,
    /// Likes (incl. superlikes) and nopes by the user (sources other than `auto`).
    pub likes_user: u32,
    pub nopes_user: u32,
    /// Likes and nopes by Swipy's auto-swipe.
    pub likes_auto: u32,
    pub nopes_auto: u32,
    pub matches: u32,
}

/// Histogram of stored scores, `bins` equal-width bins over [0, 1].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScoreHistogram {
    pub bins: u32,
    /// Profiles whose latest label is like/superlike, per bin.
    pub liked: Vec<u32>,
    /// Profiles whose latest label is nope, per bin.
    pub passed: Vec<u32>,
}

/// Match rate of likes, by who liked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MatchRates {
    pub auto_likes: u32,
    pub auto_matches: u32,
    /// `auto_matches / auto_likes`, `None` without likes.
    pub auto_rate: Option<f64>,
    pub user_likes: u32,
    pub user_matches: u32,
    pub user_rate: Option<f64>,
}

/// Answer to `history`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// Oldest first, days without activity left out.
    pub days: Vec<DayCounts>,
    pub histogram: ScoreHistogram,
    pub match_rates: MatchRates,
}

/// Typed error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: u16,
    pub message: String,
}

/// Error codes. APPEND-ONLY: never renumber or reuse a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum ErrorCode {
    /// Frame could not be read (truncated length or body).
    BadFrame = 1,
    /// Frame larger than `MAX_FRAME_FROM_BROWSER`.
    FrameTooLarge = 2,
    /// Frame body is not UTF-8.
    InvalidUtf8 = 3,
    /// Frame body is not JSON.
    BadJson = 4,
    /// JSON is not an envelope (`v`, `id`, `type` missing or of the wrong type).
    BadEnvelope = 5,
    /// `v` or `hello.protocol` differs from `PROTOCOL_VERSION`.
    VersionMismatch = 6,
    /// `type` is not a known request.
    UnknownType = 7,
    /// `data` has the wrong shape for its `type`.
    BadData = 8,
    /// A request other than `hello` came first.
    HelloRequired = 9,
    /// The store failed (disk full, I/O error...).
    Storage = 10,
    /// A profile id is not a plausible Tinder id.
    InvalidId = 11,
    /// Not enough labels to train (or only one class).
    NotEnoughLabels = 12,
    /// A required model or the ONNX Runtime library is missing.
    ModelMissing = 13,
    /// Training already running, or similar.
    Busy = 14,
    /// The answer would exceed `MAX_FRAME_TO_BROWSER`.
    ResponseTooLarge = 15,
    /// A URL was refused (not https, not on the allow-list).
    UrlRefused = 16,
    /// Retired: the host no longer holds a token (it never calls Tinder). Kept so the number
    /// is never reused.
    TokenMissing = 17,
    /// A setting name or value is invalid.
    BadSetting = 18,
    /// Anything else; the message says what.
    Internal = 19,
    /// The host was started for an extension it was not installed for.
    CallerRefused = 20,
}

impl ErrorCode {
    pub fn code(self) -> u16 {
        self as u16
    }
    pub fn from_code(code: u16) -> Option<Self> {
        use ErrorCode::*;
        Some(match code {
            1 => BadFrame,
            2 => FrameTooLarge,
            3 => InvalidUtf8,
            4 => BadJson,
            5 => BadEnvelope,
            6 => VersionMismatch,
            7 => UnknownType,
            8 => BadData,
            9 => HelloRequired,
            10 => Storage,
            11 => InvalidId,
            12 => NotEnoughLabels,
            13 => ModelMissing,
            14 => Busy,
            15 => ResponseTooLarge,
            16 => UrlRefused,
            17 => TokenMissing,
            18 => BadSetting,
            19 => Internal,
            20 => CallerRefused,
            _ => return None,
        })
    }
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code: code.code(),
            message: message.into(),
        }
    }
}

/// Why a frame body could not become a `Request`.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeError {
    /// The request id, when it could be read (so the error can carry `re`).
    pub id: Option<u32>,
    pub error: ErrorBody,
}

/// Decode one frame body into a request envelope, with a typed error for every failure.
/// Checks: UTF-8, JSON, envelope shape, protocol version, known type, data shape.
pub fn decode_request(bytes: &[u8]) -> Result<Envelope<Request>, DecodeError> {
    let text = std::str::from_utf8(bytes).map_err(|e| DecodeError {
        id: None,
        error: ErrorBody::new(ErrorCode::InvalidUtf8, format!("frame is not UTF-8: {e}")),
    })?;
    let value: Value = serde_json::from_str(text).map_err(|e| DecodeError {
        id: None,
        error: ErrorBody::new(ErrorCode::BadJson, format!("frame is not JSON: {e}")),
    })?;
    let Value::Object(obj) = value else {
        return Err(DecodeError {
            id: None,
            error: ErrorBody::new(ErrorCode::BadEnvelope, "message must be a JSON object"),
        });
    };
    let id = obj
        .get("id")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok());
    let fail = |code, msg: String| DecodeError {
        id,
        error: ErrorBody::new(code, msg),
    };
    let Some(id_ok) = id else {
        return Err(fail(
            ErrorCode::BadEnvelope,
            "`id` must be an integer 0..=4294967295".into(),
        ));
    };
    let Some(v) = obj.get("v").and_then(Value::as_u64) else {
        return Err(fail(
            ErrorCode::BadEnvelope,
            "`v` (protocol version) is missing".into(),
        ));
    };
    if v != u64::from(PROTOCOL_VERSION) {
        return Err(fail(
            ErrorCode::VersionMismatch,
            format!("protocol version {v} is not supported; this host speaks {PROTOCOL_VERSION}"),
        ));
    }
    let Some(kind) = obj.get("type").and_then(Value::as_str) else {
        return Err(fail(
            ErrorCode::BadEnvelope,
            "`type` must be a string".into(),
        ));
    };
    if !REQUEST_TYPES.contains(&kind) {
        let shown: String = kind.chars().take(64).collect();
        return Err(fail(
            ErrorCode::UnknownType,
            format!("unknown message type `{shown}`"),
        ));
    }
    let mut body = Map::new();
    body.insert("type".into(), Value::String(kind.to_owned()));
    body.insert(
        "data".into(),
        obj.get("data")
            .cloned()
            .unwrap_or(Value::Object(Map::new())),
    );
    let request: Request = serde_json::from_value(Value::Object(body))
        .map_err(|e| fail(ErrorCode::BadData, format!("bad `data` for `{kind}`: {e}")))?;
    if let Request::Hello { protocol, .. } = &request {
        if *protocol != PROTOCOL_VERSION {
            return Err(fail(
                ErrorCode::VersionMismatch,
                format!(
                    "extension speaks protocol {protocol}, this host speaks {PROTOCOL_VERSION}; update both to the same release"
                ),
            ));
        }
    }
    let re = obj
        .get("re")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok());
    Ok(Envelope {
        v: PROTOCOL_VERSION,
        id: id_ok,
        re,
        body: request,
    })
}

/// Decode a host → extension message (used by the extension and by tests).
pub fn decode_response(bytes: &[u8]) -> Result<Envelope<Response>, String> {
    serde_json::from_slice(bytes).map_err(|e| e.to_string())
}

mod settings;
pub use settings::HostSetting;

#[cfg(test)]
mod tests;
