//! Auto-swipe settings: the fields, their conservative defaults, the fast test preset and
//! their validation.

use serde::{Deserialize, Serialize};

use super::{HOUR_MS, MAX_RECENT};

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

#[cfg(test)]
mod tests;
