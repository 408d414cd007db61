//! Auto-swipe: a pure state machine that decides like/pass for the top card and carries the
//! swipe out safely.
//!
//! No timers, no clock and no randomness source of its own: the caller feeds [`Event`]s with
//! the current time and carries out the returned [`Command`]s in order (set a timer for
//! [`Command::WaitUntil`], press a key on the page for [`Command::Press`], ...). Random delays
//! come from a seeded generator, so a run is reproducible from its seed.
//!
//! Safety rules, all enforced here:
//! - at most one swipe outstanding; after a key press the page's own `/like/{id}` or
//!   `/pass/{id}` call must arrive for the expected profile and verdict within
//!   [`Settings::confirm_timeout_ms`], anything else stops auto-swipe; when nothing came
//!   after [`Settings::retry_after_ms`] and the same card is still on top (the page was
//!   animating, loading, or ignores synthetic keys), the card's own button is clicked once;
//! - a request that failed or got no status is a stop, never a confirmation;
//! - a card is never swiped without a known score, and never twice;
//! - caps on likes per rolling 12 h and swipes per rolling 24 h, a floor on the share of
//!   passes, human-like delays and longer breaks;
//! - it stops at once on a match (the like answer's `match`), out of likes (the like answer
//!   or `/v2/profile`), Tinder rate-limiting recs, any visible dialog, a verification
//!   challenge, a lost token, a lost host or a hidden tab, with a reason in plain words; no
//!   press goes while a dialog is visible;
//! - dry run shows decisions and never presses a key.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use swipy_shared::tinder::{parse_like_response, LikeOutcome};
use swipy_shared::{Score, Verdict};

pub use super::dialogs::DialogKind;

const HOUR_MS: f64 = 3_600_000.0;
/// Window of the likes cap.
pub const LIKES_WINDOW_MS: f64 = 12.0 * HOUR_MS;
/// Window of the total swipes cap.
pub const SWIPES_WINDOW_MS: f64 = 24.0 * HOUR_MS;
/// While auto-swipe waits for a score it wakes this often (the caller asks the host again).
const SCORE_POLL_MS: f64 = 2_000.0;
/// Profiles recently swiped (by Swipy or the page), never pressed on again.
const RECENT_IDS: usize = 100;
/// Longest pass-floor history kept.
const MAX_RECENT: usize = 500;

// ----- settings ------------------------------------------------------------------------------

/// Auto-swipe settings (stored by the caller; every field has a conservative default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Auto-swipe is running. Off by default; cleared by every stop.
    pub enabled: bool,
    /// Show decisions on the card, never press a key.
    pub dry_run: bool,
    /// Like when P(like) ≥ threshold, pass below.
    pub threshold: f64,
    /// Most likes in any 12 hours (Tinder free accounts get about 100).
    pub likes_per_12h: u32,
    /// Most swipes (likes + passes) in any 24 hours.
    pub swipes_per_24h: u32,
    /// At least ⌊share × n⌋ of the last n ≤ `pass_window` decisions are passes; a like that
    /// would break this becomes a pass.
    pub min_pass_share: f64,
    /// Number of recent decisions the pass floor looks at.
    pub pass_window: u32,
    /// Random delay between swipes, from the last swipe's confirmation to the next press.
    pub delay_min_ms: f64,
    pub delay_max_ms: f64,
    /// After this many swipes take a break (0 = never).
    pub break_every: u32,
    pub break_min_ms: f64,
    pub break_max_ms: f64,
    /// How long the page has to make its own like/pass call after a key press.
    pub confirm_timeout_ms: f64,
    /// After this long without the page's call, with the same card still on top, the
    /// card's own like/nope button is clicked (once).
    pub retry_after_ms: f64,
    /// How long to wait for the top card's score before stopping (never guessed).
    pub score_wait_ms: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            enabled: false,
            dry_run: false,
            threshold: 0.6,
            likes_per_12h: 50,
            swipes_per_24h: 300,
            min_pass_share: 0.3,
            pass_window: 20,
            delay_min_ms: 3_000.0,
            delay_max_ms: 12_000.0,
            break_every: 20,
            break_min_ms: 60_000.0,
            break_max_ms: 300_000.0,
            confirm_timeout_ms: 10_000.0,
            retry_after_ms: 1_500.0,
            score_wait_ms: 30_000.0,
        }
    }
}

/// Why settings were refused.
#[derive(Debug, Clone, PartialEq)]
pub enum SettingsError {
    /// `field` is NaN or infinite.
    NotANumber { field: &'static str },
    /// `field` is outside `min..=max`.
    OutOfRange {
        field: &'static str,
        value: f64,
        min: f64,
        max: f64,
    },
    /// `min_field` is larger than `max_field`.
    MinAboveMax {
        min_field: &'static str,
        max_field: &'static str,
    },
}

impl std::fmt::Display for SettingsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SettingsError::NotANumber { field } => write!(f, "`{field}` must be a number"),
            SettingsError::OutOfRange {
                field,
                value,
                min,
                max,
            } => {
                write!(
                    f,
                    "`{field}` is {value}; it must be between {min} and {max}"
                )
            }
            SettingsError::MinAboveMax {
                min_field,
                max_field,
            } => {
                write!(f, "`{min_field}` must not be larger than `{max_field}`")
            }
        }
    }
}

impl std::error::Error for SettingsError {}

fn check(field: &'static str, value: f64, min: f64, max: f64) -> Result<(), SettingsError> {
    if !value.is_finite() {
        return Err(SettingsError::NotANumber { field });
    }
    if value < min || value > max {
        return Err(SettingsError::OutOfRange {
            field,
            value,
            min,
            max,
        });
    }
    Ok(())
}

impl Settings {
    /// Quick settings for end-to-end tests: enabled, short delays and breaks, no pass floor
    /// (so decisions follow the threshold exactly).
    pub fn fast_test() -> Self {
        Self {
            enabled: true,
            threshold: 0.5,
            min_pass_share: 0.0,
            swipes_per_24h: 1_000,
            delay_min_ms: 100.0,
            delay_max_ms: 300.0,
            break_every: 5,
            break_min_ms: 500.0,
            break_max_ms: 800.0,
            confirm_timeout_ms: 5_000.0,
            retry_after_ms: 700.0,
            score_wait_ms: 10_000.0,
            ..Self::default()
        }
    }

    /// Check every value; the first problem is returned.
    pub fn validate(&self) -> Result<(), SettingsError> {
        const MAX_DELAY: f64 = 10.0 * 60_000.0;
        const MAX_BREAK: f64 = 2.0 * HOUR_MS;
        check("threshold", self.threshold, 0.0, 1.0)?;
        check("likes_per_12h", self.likes_per_12h.into(), 0.0, 1_000.0)?;
        check("swipes_per_24h", self.swipes_per_24h.into(), 1.0, 5_000.0)?;
        check("min_pass_share", self.min_pass_share, 0.0, 0.95)?;
        check(
            "pass_window",
            self.pass_window.into(),
            1.0,
            MAX_RECENT as f64,
        )?;
        check("delay_min_ms", self.delay_min_ms, 0.0, MAX_DELAY)?;
        check("delay_max_ms", self.delay_max_ms, 0.0, MAX_DELAY)?;
        check("break_every", self.break_every.into(), 0.0, 10_000.0)?;
        check("break_min_ms", self.break_min_ms, 0.0, MAX_BREAK)?;
        check("break_max_ms", self.break_max_ms, 0.0, MAX_BREAK)?;
        check(
            "confirm_timeout_ms",
            self.confirm_timeout_ms,
            500.0,
            120_000.0,
        )?;
        check("retry_after_ms", self.retry_after_ms, 100.0, 60_000.0)?;
        check("score_wait_ms", self.score_wait_ms, 1_000.0, MAX_DELAY)?;
        if self.delay_min_ms > self.delay_max_ms {
            return Err(SettingsError::MinAboveMax {
                min_field: "delay_min_ms",
                max_field: "delay_max_ms",
            });
        }
        if self.break_min_ms > self.break_max_ms {
            return Err(SettingsError::MinAboveMax {
                min_field: "break_min_ms",
                max_field: "break_max_ms",
            });
        }
        Ok(())
    }
}

// ----- events --------------------------------------------------------------------------------

/// What is known about the top card's score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CardScore {
    /// Calibrated P(like).
    Known(f64),
    /// Photos/embeddings are still being processed (or the score was not asked yet).
    Pending,
    /// No model has been trained yet.
    NoModel,
}

impl CardScore {
    /// From the host's [`Score`]: `ready` with a finite `p_like` is known.
    pub fn from_score(s: &Score) -> Self {
        match (s.state.as_str(), s.p_like) {
            ("ready", Some(p)) if p.is_finite() => CardScore::Known(p),
            ("no_model", _) => CardScore::NoModel,
            _ => CardScore::Pending,
        }
    }
}

/// The page's top card.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub profile_id: String,
    /// Shown name, for messages ("It's a match with Anna").
    pub name: Option<String>,
    pub score: CardScore,
}

/// Everything the machine reacts to. Feed them from the one tab auto-swipe drives.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A timer set for [`Command::WaitUntil`] fired (extra ticks are harmless).
    Tick,
    /// The user switched auto-swipe on or off (popup).
    SetEnabled(bool),
    /// The top card (`None`: no card shown) or its score changed.
    TopCard(Option<Card>),
    /// The page's own like/pass call, after its response. `status`: HTTP status (`None`
    /// or 0: the request failed without one); `response`: the parsed answer when there was
    /// one.
    PageSwiped {
        profile_id: String,
        verdict: Verdict,
        status: Option<u16>,
        response: Option<LikeOutcome>,
    },
    /// The dialogs visible on the page now (empty: none). A verification challenge is
    /// [`DialogKind::Verification`].
    Dialogs(Vec<DialogKind>),
    /// The page's recs answer said Tinder is rate-limiting (HTTP 429, `RATE_LIMITED`, or a
    /// rate-limit placeholder), until this time when known.
    RecsRateLimited { until_ms: Option<f64> },
    /// The page's recs answer was an ordinary one: any recs rate limit is over.
    RecsOk,
    /// The page's own `/v2/profile` answer: `data.likes`.
    Allowance {
        likes_remaining: Option<i64>,
        until_ms: Option<f64>,
    },
    /// The retry click of [`Command::Press`] could not be done (no like/nope button found).
    ClickUnavailable,
    /// The Tinder token was lost or rejected.
    TokenLost,
    /// A token is available again.
    TokenSeen,
    /// The native host disconnected.
    HostLost,
    /// The native host is connected.
    HostConnected,
    /// The tab became hidden (`false`) or visible (`true`).
    TabVisible(bool),
}

impl Event {
    /// [`Event::PageSwiped`] from what the content script reports: the response body is read
    /// with the one Tinder parser when it is a JSON object.
    pub fn page_swiped(
        profile_id: &str,
        verdict: Verdict,
        status: Option<u16>,
        response: Option<&Value>,
    ) -> Self {
        Event::PageSwiped {
            profile_id: profile_id.to_owned(),
            verdict,
            status,
            response: response.filter(|v| v.is_object()).map(parse_like_response),
        }
    }
}

// ----- commands ------------------------------------------------------------------------------

/// Why a decision was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionReason {
    /// P(like) ≥ threshold.
    AboveThreshold,
    /// P(like) < threshold.
    BelowThreshold,
    /// P(like) ≥ threshold, but a like would break the pass floor.
    PassFloor,
}

/// One auto-swipe decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub profile_id: String,
    pub name: Option<String>,
    /// `Like` or `Nope`.
    pub verdict: Verdict,
    /// P(like) the decision used.
    pub score: f64,
    pub reason: DecisionReason,
    /// The reason in plain words (stored with the label).
    pub reason_text: String,
    pub dry_run: bool,
    pub at_ms: f64,
}

/// Why auto-swipe stopped. Serialised as `{"kind": "snake_case_name", ...}` and read back
/// the same way (popup, tests).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StopReason {
    SwitchedOff,
    Match {
        name: Option<String>,
    },
    OutOfLikes {
        until_ms: Option<f64>,
    },
    /// Tinder answered recs with a rate limit (429, `RATE_LIMITED`, a placeholder).
    RateLimited {
        until_ms: Option<f64>,
    },
    /// A dialog is visible that is not a known match or out-of-likes (`dialog`: what it
    /// looks like).
    UnknownDialog {
        dialog: DialogKind,
    },
    /// A verification challenge.
    Captcha,
    TokenLost,
    HostLost,
    TabHidden,
    /// The page swiped another profile or gave another verdict than Swipy pressed.
    Mismatch {
        expected: Verdict,
        name: Option<String>,
        other_profile: bool,
        seen: Verdict,
    },
    /// The page made no like/pass call after the key press (and, when `clicked`, after the
    /// retry click on the card's own button).
    NotConfirmed {
        verdict: Verdict,
        name: Option<String>,
        after_ms: f64,
        clicked: bool,
    },
    /// The page's like/pass call failed: an error status, or 0 when the request got no
    /// answer at all (a network error).
    PageError {
        verdict: Verdict,
        name: Option<String>,
        status: u16,
    },
    LikesCap {
        cap: u32,
        free_at_ms: f64,
    },
    DailyCap {
        cap: u32,
        free_at_ms: f64,
    },
    NoScore {
        name: Option<String>,
        no_model: bool,
        waited_ms: f64,
    },
}

fn who(name: &Option<String>) -> &str {
    name.as_deref().unwrap_or("this profile")
}

fn verb(v: Verdict) -> &'static str {
    match v {
        Verdict::Like => "liked",
        Verdict::Nope => "passed",
        Verdict::Superlike => "super liked",
    }
}

fn noun(v: Verdict) -> &'static str {
    match v {
        Verdict::Like => "like",
        Verdict::Nope => "pass",
        Verdict::Superlike => "super like",
    }
}

/// `HH:MM` local time, rounded up to the minute. `utc_offset_min`: local = UTC + offset.
pub fn clock(ms: f64, utc_offset_min: i32) -> String {
    let mins = ((ms / 60_000.0).ceil() as i64 + i64::from(utc_offset_min)).rem_euclid(1440);
    format!("{:02}:{:02}", mins / 60, mins % 60)
}

/// `HH:MM` local time of `ms`, followed by "tomorrow" (or "in N days") when it is not on
/// the local day of `now_ms`.
pub fn when(ms: f64, now_ms: f64, utc_offset_min: i32) -> String {
    let day = |t: f64| ((t / 60_000.0).ceil() as i64 + i64::from(utc_offset_min)).div_euclid(1440);
    let hm = clock(ms, utc_offset_min);
    match day(ms) - day(now_ms) {
        d if d <= 0 => hm,
        1 => format!("{hm} tomorrow"),
        d => format!("{hm} in {d} days"),
    }
}

fn secs(ms: f64) -> String {
    format!("{} s", (ms / 1000.0).round())
}

impl StopReason {
    /// The reason in plain words for the popup and the card, at `now_ms` (times that fall on another day say so).
    pub fn message(&self, now_ms: f64, utc_offset_min: i32) -> String {
        let at = |ms: f64| when(ms, now_ms, utc_offset_min);
        let text = match self {
            StopReason::SwitchedOff => "you switched auto-swipe off".to_owned(),
            StopReason::Match { name: Some(n) } => {
                format!("It's a match with {n} — see the match dialog")
            }
            StopReason::Match { name: None } => "It's a match — see the match dialog".to_owned(),
            StopReason::OutOfLikes { until_ms: Some(t) } => format!("out of likes until {}", at(*t)),
            StopReason::OutOfLikes { until_ms: None } => "out of likes".to_owned(),
            StopReason::RateLimited { until_ms: Some(t) } => {
                format!("Tinder is rate-limiting until {}", at(*t))
            }
            StopReason::RateLimited { until_ms: None } => {
                "Tinder is rate-limiting — try again later".to_owned()
            }
            StopReason::UnknownDialog { dialog: DialogKind::Unknown } => {
                "the page shows a dialog Swipy does not know — close it, then switch auto-swipe on again"
                    .to_owned()
            }
            StopReason::UnknownDialog { dialog } => format!(
                "the page shows {} — close it, then switch auto-swipe on again",
                dialog.words()
            ),
            StopReason::Captcha => {
                "Tinder asks for a verification — complete it yourself, then switch auto-swipe on again"
                    .to_owned()
            }
            StopReason::TokenLost => "the Tinder session was lost — reload tinder.com".to_owned(),
            StopReason::HostLost => "lost the connection to the Swipy app".to_owned(),
            StopReason::TabHidden => {
                "the Tinder tab was hidden — auto-swipe only runs while the tab is visible".to_owned()
            }
            StopReason::Mismatch { other_profile: true, seen, .. } => {
                format!("the page {} a different profile than Swipy chose", verb(*seen))
            }
            StopReason::Mismatch { expected, name, seen, .. } => format!(
                "the page {} {} but Swipy chose {}",
                verb(*seen),
                who(name),
                noun(*expected)
            ),
            StopReason::NotConfirmed { verdict, name, after_ms, clicked } => format!(
                "the page did not confirm the {} of {} within {}{}",
                noun(*verdict),
                who(name),
                secs(*after_ms),
                if *clicked {
                    " (Swipy pressed the key, then clicked the card's button)"
                } else {
                    " (Swipy pressed the key; it found no button to click)"
                }
            ),
            StopReason::PageError { verdict, name, status: 0 } => format!(
                "the page's {} request for {} failed (no answer from Tinder)",
                noun(*verdict),
                who(name)
            ),
            StopReason::PageError { verdict, name, status } => {
                format!("Tinder refused the {} of {} (HTTP {status})", noun(*verdict), who(name))
            }
            StopReason::LikesCap { cap, free_at_ms } => format!(
                "{cap} likes in the last 12 hours, yours and Swipy's (your cap) — the next like is possible at {}",
                at(*free_at_ms)
            ),
            StopReason::DailyCap { cap, free_at_ms } => format!(
                "{cap} swipes in the last 24 hours (your daily total) — more at {}",
                at(*free_at_ms)
            ),
            StopReason::NoScore { no_model: true, .. } => {
                "there is no trained model yet — label profiles and train first".to_owned()
            }
            StopReason::NoScore { name, waited_ms, .. } => format!(
                "no score for {} after {} — swipe it yourself, then switch auto-swipe on again",
                who(name),
                secs(*waited_ms)
            ),
        };
        format!("Stopped: {text}")
    }
}

/// What the caller must do, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Deliver [`Event::Tick`] at this time (replaces any earlier timer).
    WaitUntil(f64),
    /// Press `key` (`ArrowRight` = like, `ArrowLeft` = nope) on the page; the top card is
    /// `profile_id`. `click`: instead click the card's own like/nope button (the one retry
    /// after a press the page did not act on).
    Press {
        profile_id: String,
        verdict: Verdict,
        key: &'static str,
        click: bool,
    },
    /// Show this decision on the card (every decision, dry run or not).
    Show(Decision),
    /// The page confirmed this decision: record it (label source `auto`, `swipe_result`
    /// with `matched`, the score and the reason).
    Record {
        decision: Decision,
        matched: bool,
        at_ms: f64,
    },
    /// Auto-swipe switched itself off; show `message` to the user. [`AutoSwipe::settings`]
    /// now has `enabled: false` (persist it).
    Stop { reason: StopReason, message: String },
}

/// The key that swipes `verdict` on tinder.com.
pub fn key_for(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Like => "ArrowRight",
        Verdict::Nope => "ArrowLeft",
        Verdict::Superlike => "ArrowUp",
    }
}

// ----- persisted state ----------------------------------------------------------------------

/// What must survive a worker restart.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
struct Memory {
    /// Times of confirmed likes, Swipy's and the user's own (last 12 h).
    likes_ms: Vec<f64>,
    /// Times of confirmed swipes, Swipy's and the user's own (last 24 h).
    swipes_ms: Vec<f64>,
    /// Verdicts of the most recent confirmed auto swipes, oldest first.
    recent: VecDeque<Verdict>,
    /// The page said no likes before this time.
    rate_limited_until_ms: Option<f64>,
}

/// Why a stored state could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct StateError(pub String);

impl std::fmt::Display for StateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "stored auto-swipe state is unreadable: {}", self.0)
    }
}

impl std::error::Error for StateError {}

// ----- the machine ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Planned {
    decision: Decision,
    press_at: f64,
    is_break: bool,
}

#[derive(Debug, Clone)]
struct Outstanding {
    decision: Decision,
    deadline: f64,
    /// When to click the card's button if the page has not answered; `None` once done.
    retry_at: Option<f64>,
    clicked: bool,
}

/// The auto-swipe machine. One per worker; it drives one tab.
#[derive(Debug)]
pub struct AutoSwipe {
    settings: Settings,
    mem: Memory,
    rng: u64,
    utc_offset_min: i32,
    card: Option<Card>,
    planned: Option<Planned>,
    outstanding: Option<Outstanding>,
    waiting: Option<(String, f64)>,
    /// Earliest time of the next press; `None` until the first decision after switching on.
    next_press_at: Option<f64>,
    next_is_break: bool,
    since_break: u32,
    swiped: VecDeque<String>,
    shown: Option<String>,
    dry_recent: VecDeque<Verdict>,
    /// Kinds of the dialogs visible now.
    dialogs: Vec<DialogKind>,
    /// A dialog appeared while a swipe was outstanding: the page's answer decides (match,
    /// out of likes), else it stops as this kind.
    dialog_hold: Option<DialogKind>,
    /// Tinder rate-limits recs (until this time when known).
    recs_limit: Option<Option<f64>>,
    /// The page said no likes are left (`likes_remaining: 0`) without a time.
    likes_exhausted: bool,
    tab_visible: bool,
    host_ok: bool,
    token_ok: bool,
    last_stop: Option<StopReason>,
    /// Time of the event being handled.
    now_ms: f64,
}

impl AutoSwipe {
    /// A fresh machine. Invalid settings are replaced by the defaults (off).
    pub fn new(settings: Settings, seed: u64) -> Self {
        let settings = if settings.validate().is_ok() {
            settings
        } else {
            Settings::default()
        };
        Self {
            settings,
            mem: Memory::default(),
            rng: seed,
            utc_offset_min: 0,
            now_ms: 0.0,
            card: None,
            planned: None,
            outstanding: None,
            waiting: None,
            next_press_at: None,
            next_is_break: false,
            since_break: 0,
            swiped: VecDeque::new(),
            shown: None,
            dry_recent: VecDeque::new(),
            dialogs: Vec::new(),
            dialog_hold: None,
            recs_limit: None,
            likes_exhausted: false,
            tab_visible: true,
            host_ok: true,
            token_ok: true,
            last_stop: None,
        }
    }

    /// A machine with the state [`AutoSwipe::to_json`] saved.
    pub fn from_json(settings: Settings, seed: u64, v: &Value) -> Result<Self, StateError> {
        let mut mem: Memory =
            serde_json::from_value(v.clone()).map_err(|e| StateError(e.to_string()))?;
        mem.likes_ms.retain(|t| t.is_finite());
        mem.swipes_ms.retain(|t| t.is_finite());
        mem.rate_limited_until_ms = mem.rate_limited_until_ms.filter(|t| t.is_finite());
        let mut me = Self::new(settings, seed);
        me.mem = mem;
        Ok(me)
    }

    /// The state to persist (likes and swipe times, recent verdicts, the page's rate limit).
    /// Save it after every [`Event::PageSwiped`] (it changes nowhere else).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(&self.mem).unwrap_or(Value::Null)
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The last stop, for the popup.
    pub fn last_stop(&self) -> Option<&StopReason> {
        self.last_stop.as_ref()
    }

    /// Local time offset for messages: local = UTC + `minutes` (JS:
    /// `-new Date().getTimezoneOffset()`).
    pub fn set_utc_offset_min(&mut self, minutes: i32) {
        self.utc_offset_min = minutes;
    }

    /// Confirmed likes (Swipy's and the user's) in the 12 hours before `now_ms`.
    pub fn likes_in_window(&self, now_ms: f64) -> usize {
        in_window(&self.mem.likes_ms, now_ms, LIKES_WINDOW_MS).len()
    }

    /// Confirmed swipes (Swipy's and the user's) in the 24 hours before `now_ms`.
    pub fn swipes_in_window(&self, now_ms: f64) -> usize {
        in_window(&self.mem.swipes_ms, now_ms, SWIPES_WINDOW_MS).len()
    }

    /// One line for the popup about what auto-swipe is doing.
    pub fn status_text(&self, now_ms: f64) -> String {
        if !self.settings.enabled {
            let limited = self.recs_limited_until(now_ms);
            return match (&self.last_stop, limited) {
                (Some(r @ StopReason::RateLimited { .. }), _) | (Some(r), None) => {
                    r.message(now_ms, self.utc_offset_min)
                }
                (_, Some(until_ms)) => {
                    let r = StopReason::RateLimited { until_ms };
                    let m = r.message(now_ms, self.utc_offset_min);
                    m.strip_prefix("Stopped: ").map(cap_first).unwrap_or(m)
                }
                (None, None) => "Auto-swipe is off".to_owned(),
            };
        }
        if let Some(o) = &self.outstanding {
            return format!(
                "Waiting for the page to confirm the {} of {}",
                noun(o.decision.verdict),
                who(&o.decision.name)
            );
        }
        if let Some(p) = &self.planned {
            let left = secs((p.press_at - now_ms).max(0.0));
            return if p.is_break {
                format!("Taking a break — next swipe in {left}")
            } else {
                format!(
                    "Next: {} {} in {left}",
                    noun(p.decision.verdict),
                    who(&p.decision.name)
                )
            };
        }
        if self.waiting.is_some() {
            let name = self.card.as_ref().and_then(|c| c.name.clone());
            return format!("Waiting for the score of {}", who(&name));
        }
        if self.settings.dry_run {
            "Dry run: decisions are shown, nothing is swiped".to_owned()
        } else {
            "Waiting for the next card".to_owned()
        }
    }

    /// Replace the settings (validated first). Switching `enabled` acts like
    /// [`Event::SetEnabled`].
    pub fn set_settings(
        &mut self,
        settings: Settings,
        now_ms: f64,
    ) -> Result<Vec<Command>, SettingsError> {
        settings.validate()?;
        let mut out = Vec::new();
        let was = self.settings.enabled;
        let want = settings.enabled;
        if settings.dry_run != self.settings.dry_run {
            self.planned = None;
            self.shown = None;
        }
        self.settings = Settings {
            enabled: was,
            ..settings
        };
        if want != was {
            self.set_enabled(want, now_ms, &mut out);
        }
        self.step(now_ms, &mut out);
        Ok(out)
    }

    /// Handle one event at `now_ms` (ms since the epoch).
    pub fn handle(&mut self, event: Event, now_ms: f64) -> Vec<Command> {
        self.now_ms = now_ms;
        let mut out = Vec::new();
        match event {
            Event::Tick => {}
            Event::SetEnabled(on) => self.set_enabled(on, now_ms, &mut out),
            Event::TopCard(card) => {
                if self.waiting.as_ref().map(|w| &w.0) != card.as_ref().map(|c| &c.profile_id) {
                    self.waiting = None;
                }
                self.card = card;
            }
            Event::PageSwiped {
                profile_id,
                verdict,
                status,
                response,
            } => self.page_swiped(&profile_id, verdict, status, response, now_ms, &mut out),
            Event::Dialogs(kinds) => {
                self.dialogs = kinds;
                self.on_dialogs(&mut out);
            }
            Event::RecsRateLimited { until_ms } => {
                let until_ms = until_ms.filter(|t| *t > now_ms);
                self.recs_limit = Some(until_ms);
                self.stop(StopReason::RateLimited { until_ms }, &mut out);
            }
            Event::RecsOk => self.recs_limit = None,
            Event::Allowance {
                likes_remaining,
                until_ms,
            } => self.allowance(likes_remaining, until_ms, now_ms, &mut out),
            Event::ClickUnavailable => {
                if let Some(o) = self.outstanding.as_mut() {
                    o.clicked = false;
                }
            }
            Event::TokenLost => {
                self.token_ok = false;
                self.stop(StopReason::TokenLost, &mut out)
            }
            Event::TokenSeen => self.token_ok = true,
            Event::HostLost => {
                self.host_ok = false;
                self.stop(StopReason::HostLost, &mut out)
            }
            Event::HostConnected => self.host_ok = true,
            Event::TabVisible(visible) => {
                self.tab_visible = visible;
                if !visible {
                    self.stop(StopReason::TabHidden, &mut out)
                }
            }
        }
        self.step(now_ms, &mut out);
        out
    }

    // ----- internals ---------------------------------------------------------------------

    /// The recs rate limit in force at `now_ms`: `Some(until)` (`until` unknown: `None`).
    fn recs_limited_until(&self, now_ms: f64) -> Option<Option<f64>> {
        match self.recs_limit {
            Some(Some(t)) if t <= now_ms => None,
            other => other,
        }
    }

    /// Why no press may go now (`None`: it may). Checked before every decision and press.
    fn press_blocked(&self, now_ms: f64) -> Option<StopReason> {
        if let Some(k) = self.dialogs.first() {
            return Some(if self.dialogs.contains(&DialogKind::Verification) {
                StopReason::Captcha
            } else {
                StopReason::UnknownDialog { dialog: *k }
            });
        }
        if !self.tab_visible {
            return Some(StopReason::TabHidden);
        }
        if !self.host_ok {
            return Some(StopReason::HostLost);
        }
        if !self.token_ok {
            return Some(StopReason::TokenLost);
        }
        if let Some(until_ms) = self.recs_limited_until(now_ms) {
            return Some(StopReason::RateLimited { until_ms });
        }
        None
    }

    /// Dialogs changed: a challenge stops at once; a dialog while a swipe is outstanding
    /// waits for the page's answer (it tells a match or out of likes); any other stops.
    fn on_dialogs(&mut self, out: &mut Vec<Command>) {
        let Some(first) = self.dialogs.first().copied() else {
            return;
        };
        if !self.settings.enabled {
            return;
        }
        if self.dialogs.contains(&DialogKind::Verification) {
            self.stop(StopReason::Captcha, out);
        } else if self.outstanding.is_some() {
            self.dialog_hold.get_or_insert(first);
        } else {
            self.stop(StopReason::UnknownDialog { dialog: first }, out);
        }
    }

    fn allowance(
        &mut self,
        likes_remaining: Option<i64>,
        until_ms: Option<f64>,
        now_ms: f64,
        out: &mut Vec<Command>,
    ) {
        let until = until_ms.filter(|t| *t > now_ms);
        if let Some(t) = until {
            self.mem.rate_limited_until_ms = Some(t);
        }
        match likes_remaining {
            Some(0) => self.likes_exhausted = true,
            Some(_) if until.is_none() => self.likes_exhausted = false,
            _ => {}
        }
        if likes_remaining == Some(0) || until.is_some() {
            self.stop(StopReason::OutOfLikes { until_ms: until }, out);
        }
    }

    fn stop(&mut self, reason: StopReason, out: &mut Vec<Command>) {
        if !self.settings.enabled {
            return;
        }
        self.settings.enabled = false;
        self.planned = None;
        self.waiting = None;
        self.dialog_hold = None;
        let message = reason.message(self.now_ms, self.utc_offset_min);
        self.last_stop = Some(reason.clone());
        out.push(Command::Stop { reason, message });
    }

    fn set_enabled(&mut self, on: bool, now_ms: f64, out: &mut Vec<Command>) {
        if !on {
            self.stop(StopReason::SwitchedOff, out);
            return;
        }
        if self.settings.enabled {
            return;
        }
        self.settings.enabled = true;
        self.last_stop = None;
        self.planned = None;
        self.waiting = None;
        self.shown = None;
        self.since_break = 0;
        self.next_is_break = false;
        self.next_press_at = None;
        if let Some(reason) = self.press_blocked(now_ms) {
            self.stop(reason, out);
        } else if let Some(t) = self.mem.rate_limited_until_ms.filter(|t| *t > now_ms) {
            self.stop(StopReason::OutOfLikes { until_ms: Some(t) }, out);
        } else if self.likes_exhausted {
            self.stop(StopReason::OutOfLikes { until_ms: None }, out);
        }
    }

    /// splitmix64 → uniform in [0, 1).
    fn uniform(&mut self) -> f64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A human-like duration in `[lo, hi]`: bell-shaped, and log-spaced when `lo > 0` (more
    /// short waits than long ones, with a tail).
    fn between(&mut self, lo: f64, hi: f64) -> f64 {
        if hi <= lo {
            return lo;
        }
        let t = (self.uniform() + self.uniform() + self.uniform()) / 3.0;
        let d = if lo > 0.0 {
            (lo.ln() + t * (hi.ln() - lo.ln())).exp()
        } else {
            lo + t * (hi - lo)
        };
        d.clamp(lo, hi)
    }

    fn page_swiped(
        &mut self,
        profile_id: &str,
        verdict: Verdict,
        status: Option<u16>,
        response: Option<LikeOutcome>,
        now_ms: f64,
        out: &mut Vec<Command>,
    ) {
        // No status (a network error, status 0) is a failure, never a confirmation.
        let failed = match status {
            Some(s) if (200..300).contains(&s) => None,
            other => Some(other.unwrap_or(0)),
        };
        let resp = response.unwrap_or_default();
        let limited_until = resp.rate_limited_until_ms.filter(|t| *t > now_ms);
        if let Some(t) = limited_until {
            self.mem.rate_limited_until_ms = Some(t);
        }
        let confirms_ours = self
            .outstanding
            .as_ref()
            .is_some_and(|o| o.decision.profile_id == profile_id && o.decision.verdict == verdict);
        if !confirms_ours && failed.is_none() && limited_until.is_none() {
            // The user's own swipe: Tinder's limits count it, so the caps do too.
            self.count_swipe(profile_id, verdict, now_ms);
        }
        let ours = self
            .outstanding
            .as_ref()
            .is_some_and(|o| o.decision.profile_id == profile_id);
        if self.outstanding.is_none() || ours {
            // Never press on a profile the page has swiped (e.g. the user did it by hand).
            self.remember_swiped(profile_id);
        }
        if self
            .planned
            .as_ref()
            .is_some_and(|p| p.decision.profile_id == profile_id)
        {
            self.planned = None;
        }
        if let Some(o) = self.outstanding.take() {
            let d = &o.decision;
            if profile_id != d.profile_id || verdict != d.verdict {
                let reason = StopReason::Mismatch {
                    expected: d.verdict,
                    name: d.name.clone(),
                    other_profile: profile_id != d.profile_id,
                    seen: verdict,
                };
                self.stop(reason, out);
                return;
            }
            if let Some(status) = failed {
                let reason = if status == 401 {
                    StopReason::TokenLost
                } else {
                    StopReason::PageError {
                        verdict,
                        name: d.name.clone(),
                        status,
                    }
                };
                self.stop(reason, out);
                return;
            }
            let applied = limited_until.is_none();
            if applied {
                self.mem.swipes_ms.push(now_ms);
                if verdict == Verdict::Like {
                    self.mem.likes_ms.push(now_ms);
                }
                push_recent(&mut self.mem.recent, verdict);
                self.prune(now_ms);
            }
            let matched = resp.matched;
            out.push(Command::Record {
                decision: o.decision.clone(),
                matched,
                at_ms: now_ms,
            });
            // The next human-like pause starts now.
            self.since_break += 1;
            let every = self.settings.break_every;
            self.next_is_break = every > 0 && self.since_break >= every;
            let wait = if self.next_is_break {
                self.since_break = 0;
                self.between(self.settings.break_min_ms, self.settings.break_max_ms)
            } else {
                self.between(self.settings.delay_min_ms, self.settings.delay_max_ms)
            };
            self.next_press_at = Some(now_ms + wait);
            if matched {
                self.stop(
                    StopReason::Match {
                        name: o.decision.name.clone(),
                    },
                    out,
                );
            }
        }
        if failed == Some(401) {
            self.stop(StopReason::TokenLost, out);
        }
        self.note_likes_remaining(resp.likes_remaining, limited_until.is_some());
        if limited_until.is_some() || resp.likes_remaining == Some(0) {
            self.stop(
                StopReason::OutOfLikes {
                    until_ms: limited_until,
                },
                out,
            );
        }
        // A dialog shown while the swipe was outstanding, and the answer was neither a match
        // nor out of likes: an unknown dialog.
        if let Some(kind) = self.dialog_hold.take() {
            self.stop(StopReason::UnknownDialog { dialog: kind }, out);
        }
    }

    fn remember_swiped(&mut self, profile_id: &str) {
        if !self.swiped.iter().any(|id| id == profile_id) {
            self.swiped.push_back(profile_id.to_owned());
        }
        while self.swiped.len() > RECENT_IDS {
            self.swiped.pop_front();
        }
    }

    /// A swipe made in a tab this machine does not drive: it counts toward the caps when
    /// the page's call went through (persist [`AutoSwipe::to_json`] afterwards).
    pub fn swiped_elsewhere(
        &mut self,
        profile_id: &str,
        verdict: Verdict,
        status: Option<u16>,
        response: Option<&Value>,
        now_ms: f64,
    ) {
        let resp = response
            .filter(|v| v.is_object())
            .map(parse_like_response)
            .unwrap_or_default();
        if let Some(t) = resp.rate_limited_until_ms.filter(|t| *t > now_ms) {
            self.mem.rate_limited_until_ms = Some(t);
            return;
        }
        self.note_likes_remaining(resp.likes_remaining, false);
        if status.is_some_and(|s| (200..300).contains(&s)) {
            self.count_swipe(profile_id, verdict, now_ms);
        }
    }

    /// `likes_remaining: 0` without a time: no likes until the page says otherwise.
    fn note_likes_remaining(&mut self, left: Option<i64>, timed: bool) {
        match left {
            Some(0) if !timed => self.likes_exhausted = true,
            Some(n) if n > 0 => self.likes_exhausted = false,
            _ => {}
        }
    }

    /// Counts a swipe once per profile (the page may report one call twice).
    fn count_swipe(&mut self, profile_id: &str, verdict: Verdict, now_ms: f64) {
        if self.swiped.iter().any(|id| id == profile_id) {
            return;
        }
        self.remember_swiped(profile_id);
        self.mem.swipes_ms.push(now_ms);
        if verdict == Verdict::Like {
            self.mem.likes_ms.push(now_ms);
        }
        self.prune(now_ms);
    }

    fn prune(&mut self, now_ms: f64) {
        self.mem.likes_ms.retain(|t| *t > now_ms - LIKES_WINDOW_MS);
        self.mem
            .swipes_ms
            .retain(|t| *t > now_ms - SWIPES_WINDOW_MS);
    }

    /// Advance: time out a confirmation, press a planned key, decide on the top card; then
    /// ask for the next wake-up.
    fn step(&mut self, now_ms: f64, out: &mut Vec<Command>) {
        if let Some(o) = &self.outstanding {
            if now_ms >= o.deadline {
                let d = &o.decision;
                let reason = match self.dialog_hold.take() {
                    Some(dialog) => StopReason::UnknownDialog { dialog },
                    None => StopReason::NotConfirmed {
                        verdict: d.verdict,
                        name: d.name.clone(),
                        after_ms: self.settings.confirm_timeout_ms,
                        clicked: o.clicked,
                    },
                };
                self.outstanding = None;
                self.stop(reason, out);
            }
        }
        self.maybe_retry(now_ms, out);
        if self.settings.enabled && self.outstanding.is_none() {
            self.advance(now_ms, out);
        }
        let deadlines = [
            self.outstanding.as_ref().map(|o| o.deadline),
            self.outstanding.as_ref().and_then(|o| o.retry_at),
            self.planned.as_ref().map(|p| p.press_at),
            self.waiting
                .as_ref()
                .map(|w| (w.1 + self.settings.score_wait_ms).min(now_ms + SCORE_POLL_MS)),
        ];
        if let Some(t) = deadlines.into_iter().flatten().reduce(f64::min) {
            out.push(Command::WaitUntil(t));
        }
    }

    /// The one retry: the page has not answered the press, the same card is still on top
    /// and no dialog is open: click the card's own button.
    fn maybe_retry(&mut self, now_ms: f64, out: &mut Vec<Command>) {
        let on_top = |o: &Outstanding| {
            self.card
                .as_ref()
                .is_some_and(|c| c.profile_id == o.decision.profile_id)
        };
        let due = self.outstanding.as_ref().is_some_and(|o| {
            o.retry_at.is_some_and(|t| now_ms >= t) && self.dialogs.is_empty() && on_top(o)
        });
        if !due || !self.settings.enabled {
            return;
        }
        if let Some(o) = self.outstanding.as_mut() {
            o.retry_at = None;
            o.clicked = true;
            let d = &o.decision;
            out.push(Command::Press {
                profile_id: d.profile_id.clone(),
                verdict: d.verdict,
                key: key_for(d.verdict),
                click: true,
            });
        }
    }

    fn advance(&mut self, now_ms: f64, out: &mut Vec<Command>) {
        if let Some(reason) = self.press_blocked(now_ms) {
            self.stop(reason, out);
            return;
        }
        let top = self.card.as_ref().map(|c| c.profile_id.clone());
        if let Some(p) = &self.planned {
            if top.as_ref() != Some(&p.decision.profile_id) {
                // The card changed under the plan (the user swiped): decide again.
                self.planned = None;
            } else if now_ms >= p.press_at {
                self.press(now_ms, out);
                return;
            } else {
                return;
            }
        }
        let Some(card) = self.card.clone() else {
            return;
        };
        if self.swiped.contains(&card.profile_id) {
            return; // already swiped: wait for the next card
        }
        if self.settings.dry_run && self.shown.as_ref() == Some(&card.profile_id) {
            return;
        }
        let p = match card.score {
            CardScore::Known(p) => p,
            CardScore::Pending | CardScore::NoModel => {
                let since = match &self.waiting {
                    Some((id, since)) if *id == card.profile_id => *since,
                    _ => {
                        self.waiting = Some((card.profile_id.clone(), now_ms));
                        now_ms
                    }
                };
                if now_ms - since >= self.settings.score_wait_ms {
                    let reason = StopReason::NoScore {
                        name: card.name.clone(),
                        no_model: card.score == CardScore::NoModel,
                        waited_ms: now_ms - since,
                    };
                    self.stop(reason, out);
                }
                return;
            }
        };
        self.waiting = None;
        let dry = self.settings.dry_run;
        if !dry {
            let swipes = in_window(&self.mem.swipes_ms, now_ms, SWIPES_WINDOW_MS);
            let cap = self.settings.swipes_per_24h;
            if swipes.len() >= cap as usize {
                let free_at_ms = swipes[swipes.len() - cap as usize] + SWIPES_WINDOW_MS;
                self.stop(StopReason::DailyCap { cap, free_at_ms }, out);
                return;
            }
        }
        let decision = self.decide(&card, p, now_ms);
        if decision.verdict == Verdict::Like && !dry {
            let likes = in_window(&self.mem.likes_ms, now_ms, LIKES_WINDOW_MS);
            let cap = self.settings.likes_per_12h;
            if likes.len() >= cap as usize {
                let free_at_ms = likes
                    .get(likes.len() - cap as usize)
                    .map_or(now_ms, |t| t + LIKES_WINDOW_MS);
                self.stop(StopReason::LikesCap { cap, free_at_ms }, out);
                return;
            }
            if let Some(t) = self.mem.rate_limited_until_ms.filter(|t| *t > now_ms) {
                self.stop(StopReason::OutOfLikes { until_ms: Some(t) }, out);
                return;
            }
            if self.likes_exhausted {
                self.stop(StopReason::OutOfLikes { until_ms: None }, out);
                return;
            }
        }
        out.push(Command::Show(decision.clone()));
        if dry {
            self.shown = Some(card.profile_id);
            push_recent(&mut self.dry_recent, decision.verdict);
            return;
        }
        let earliest = match self.next_press_at {
            Some(t) => t,
            None => {
                // The first swipe after switching on also waits a human-like delay.
                let t =
                    now_ms + self.between(self.settings.delay_min_ms, self.settings.delay_max_ms);
                self.next_press_at = Some(t);
                t
            }
        };
        let press_at = earliest.max(now_ms);
        self.planned = Some(Planned {
            decision,
            press_at,
            is_break: self.next_is_break,
        });
        if now_ms >= press_at {
            self.press(now_ms, out);
        }
    }

    fn decide(&self, card: &Card, p: f64, now_ms: f64) -> Decision {
        let s = &self.settings;
        let (verdict, reason, reason_text) = if p < s.threshold {
            let text = format!("score {p:.2} is below the threshold {:.2}", s.threshold);
            (Verdict::Nope, DecisionReason::BelowThreshold, text)
        } else {
            let recent = if s.dry_run {
                &self.dry_recent
            } else {
                &self.mem.recent
            };
            let n = recent.len().min(s.pass_window as usize - 1);
            let passes = recent
                .iter()
                .rev()
                .take(n)
                .filter(|v| **v == Verdict::Nope)
                .count();
            let need = (s.min_pass_share * (n + 1) as f64 + 1e-9).floor() as usize;
            if passes < need {
                let text = format!(
                    "score {p:.2} reaches the threshold {:.2}, but at least {:.0}% of decisions \
                     must be passes ({passes} of the last {n} were)",
                    s.threshold,
                    s.min_pass_share * 100.0
                );
                (Verdict::Nope, DecisionReason::PassFloor, text)
            } else {
                let text = format!("score {p:.2} reaches the threshold {:.2}", s.threshold);
                (Verdict::Like, DecisionReason::AboveThreshold, text)
            }
        };
        Decision {
            profile_id: card.profile_id.clone(),
            name: card.name.clone(),
            verdict,
            score: p,
            reason,
            reason_text,
            dry_run: s.dry_run,
            at_ms: now_ms,
        }
    }

    fn press(&mut self, now_ms: f64, out: &mut Vec<Command>) {
        let Some(p) = self.planned.take() else { return };
        if self.settings.dry_run {
            return;
        }
        let d = p.decision;
        out.push(Command::Press {
            profile_id: d.profile_id.clone(),
            verdict: d.verdict,
            key: key_for(d.verdict),
            click: false,
        });
        self.remember_swiped(&d.profile_id);
        self.outstanding = Some(Outstanding {
            deadline: now_ms + self.settings.confirm_timeout_ms,
            retry_at: Some(now_ms + self.settings.retry_after_ms),
            clicked: false,
            decision: d,
        });
    }
}

fn cap_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn in_window(times: &[f64], now_ms: f64, window: f64) -> Vec<f64> {
    let mut v: Vec<f64> = times
        .iter()
        .copied()
        .filter(|t| *t > now_ms - window && *t <= now_ms)
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

fn push_recent(recent: &mut VecDeque<Verdict>, v: Verdict) {
    recent.push_back(v);
    while recent.len() > MAX_RECENT {
        recent.pop_front();
    }
}

#[cfg(test)]
mod tests;
