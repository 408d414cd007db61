//! Why auto-swipe stopped ([`StopReason`]) and the reason in plain words, with the local
//! clock times the messages show.

use serde::{Deserialize, Serialize};
use swipy_shared::Verdict;

use super::DialogKind;

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

pub(super) fn who(name: &Option<String>) -> &str {
    name.as_deref().unwrap_or("this profile")
}

fn verb(v: Verdict) -> &'static str {
    match v {
        Verdict::Like => "liked",
        Verdict::Nope => "passed",
        Verdict::Superlike => "super liked",
    }
}

pub(super) fn noun(v: Verdict) -> &'static str {
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

pub(super) fn secs(ms: f64) -> String {
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

pub(super) fn cap_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests;
