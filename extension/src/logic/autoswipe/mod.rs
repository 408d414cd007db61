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
//!
//! Files: here the events, commands and state; `settings.rs` (settings and checks),
//! `machine.rs` (event handling, status, what blocks a press), `decide.rs` (like or pass),
//! `pacing.rs` (delays, breaks, caps, presses), `confirm.rs` (the page's answers, swipe
//! counts), `stop.rs` (stop reasons in words).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use swipy_shared::tinder::{parse_like_response, LikeOutcome};
use swipy_shared::{Score, ScoreState, Verdict};

pub use super::dialogs::DialogKind;

mod confirm;
mod decide;
mod machine;
mod pacing;
mod settings;
mod stop;

pub use decide::{Decision, DecisionReason};
pub use settings::{Settings, SettingsError};
pub use stop::{clock, when, StopReason};

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

const HOUR_MS: f64 = 3_600_000.0;
/// Window of the likes cap.
pub const LIKES_WINDOW_MS: f64 = 12.0 * HOUR_MS;
/// Window of the total swipes cap.
pub const SWIPES_WINDOW_MS: f64 = 24.0 * HOUR_MS;
/// Longest pass-floor history kept.
const MAX_RECENT: usize = 500;

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
        match (s.state, s.p_like) {
            (ScoreState::Ready, Some(p)) if p.is_finite() => CardScore::Known(p),
            (ScoreState::NoModel, _) => CardScore::NoModel,
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
