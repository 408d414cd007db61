//! The worker's side of auto-swipe: feeds [`AutoSwipe`] from browser events and keeps what
//! the popup, the card and the tests show (decisions, status, last stop). The brain turns
//! the machine's [`Command`]s into actions; this module holds the state around it.

use std::collections::VecDeque;

use serde::Serialize;
use serde_json::{json, Map, Value};
use swipy_shared::{Score, Verdict};

use super::autoswipe::{AutoSwipe, Card, CardScore, Decision, DecisionReason, Settings};
use super::page::{AutoCardView, DecisionView};

/// `chrome.storage.local` key of the auto-swipe settings.
pub const SETTINGS_KEY: &str = "autoswipe:settings";
/// `chrome.storage.local` key of the likes/swipes log ([`AutoSwipe::to_json`]).
pub const STATE_KEY: &str = "autoswipe:state";
/// Decisions kept for display and tests.
const MAX_DECISIONS: usize = 200;

/// One decision as logged for the popup, the card and the tests.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoggedDecision {
    pub profile_id: String,
    pub verdict: Verdict,
    pub score: f64,
    pub reason: &'static str,
    pub reason_text: String,
    pub dry_run: bool,
    pub at_ms: f64,
    /// The page's own call confirmed it.
    pub confirmed: bool,
    pub matched: bool,
}

pub fn reason_name(r: DecisionReason) -> &'static str {
    match r {
        DecisionReason::AboveThreshold => "above_threshold",
        DecisionReason::BelowThreshold => "below_threshold",
        DecisionReason::PassFloor => "pass_floor",
    }
}

/// The auto-swipe machine plus what is around it in the worker.
#[derive(Debug)]
pub struct AutoDriver {
    pub machine: AutoSwipe,
    /// The tab port auto-swipe drives: the tab that last reported a card while auto-swipe
    /// was off (or had no tab), preferring a visible tab; never switched while it runs (see
    /// `brain/tab.rs`).
    pub tab: Option<u32>,
    /// The last top card fed to the machine.
    fed: Option<Option<Card>>,
    decisions: VecDeque<LoggedDecision>,
}

impl AutoDriver {
    pub fn new(seed: u64) -> Self {
        Self {
            machine: AutoSwipe::new(Settings::default(), seed),
            tab: None,
            fed: None,
            decisions: VecDeque::new(),
        }
    }

    /// Restore stored settings and state. Auto-swipe never resumes by itself after a worker
    /// restart: `enabled` is cleared. Returns a warning for anything unreadable.
    pub fn load(
        &mut self,
        settings: Option<&Value>,
        state: Option<&Value>,
        seed: u64,
    ) -> Vec<String> {
        let mut warnings = Vec::new();
        let mut s = match settings {
            Some(v) => match serde_json::from_value::<Settings>(v.clone()) {
                Ok(s) if s.validate().is_ok() => s,
                Ok(_) | Err(_) => {
                    warnings.push("stored auto-swipe settings were invalid; using defaults".into());
                    Settings::default()
                }
            },
            None => Settings::default(),
        };
        s.enabled = false;
        self.machine = match state {
            Some(v) => match AutoSwipe::from_json(s.clone(), seed, v) {
                Ok(m) => m,
                Err(e) => {
                    warnings.push(e.to_string());
                    AutoSwipe::new(s, seed)
                }
            },
            None => AutoSwipe::new(s, seed),
        };
        warnings
    }

    /// The top card to feed, if it differs from the last one fed.
    pub fn card_changed(&mut self, card: Option<Card>) -> Option<Option<Card>> {
        if self.fed.as_ref() == Some(&card) {
            return None;
        }
        self.fed = Some(card.clone());
        Some(card)
    }

    /// Forget the fed card (the driving tab changed).
    pub fn reset_card(&mut self) {
        self.fed = None;
    }

    pub fn shown(&mut self, d: &Decision) {
        // A re-shown decision for the same profile replaces the earlier one.
        if let Some(last) = self.decisions.back() {
            if last.profile_id == d.profile_id && !last.confirmed {
                self.decisions.pop_back();
            }
        }
        self.decisions.push_back(LoggedDecision {
            profile_id: d.profile_id.clone(),
            verdict: d.verdict,
            score: d.score,
            reason: reason_name(d.reason),
            reason_text: d.reason_text.clone(),
            dry_run: d.dry_run,
            at_ms: d.at_ms,
            confirmed: false,
            matched: false,
        });
        while self.decisions.len() > MAX_DECISIONS {
            self.decisions.pop_front();
        }
    }

    pub fn recorded(&mut self, d: &Decision, matched: bool) {
        match self
            .decisions
            .iter_mut()
            .rev()
            .find(|x| x.profile_id == d.profile_id)
        {
            Some(x) => {
                x.confirmed = true;
                x.matched = matched;
            }
            None => {
                self.shown(d);
                if let Some(x) = self.decisions.back_mut() {
                    x.confirmed = true;
                    x.matched = matched;
                }
            }
        }
    }

    /// The decision shown on the card of `profile_id`.
    pub fn decision_view(&self, profile_id: &str) -> Option<DecisionView> {
        let d = self
            .decisions
            .iter()
            .rev()
            .find(|x| x.profile_id == profile_id)?;
        let threshold = self.machine.settings().threshold;
        let cmp = if d.score >= threshold { "≥" } else { "<" };
        let what = match d.verdict {
            Verdict::Nope => "pass",
            Verdict::Like => "like",
            Verdict::Superlike => "super like",
        };
        let mut text = format!(
            "{}{what} ({:.0}% {cmp} {:.0}%)",
            if d.dry_run { "dry run: " } else { "auto: " },
            d.score * 100.0,
            threshold * 100.0
        );
        if d.reason == "pass_floor" {
            text.push_str(" · pass floor");
        }
        Some(DecisionView {
            verdict: d.verdict,
            score: d.score,
            reason: d.reason,
            text,
            dry_run: d.dry_run,
        })
    }

    /// `off`, `running` or `stopped` (off after a stop other than the user's switch).
    pub fn state_name(&self) -> &'static str {
        if self.machine.settings().enabled {
            "running"
        } else {
            match self.machine.last_stop() {
                Some(super::autoswipe::StopReason::SwitchedOff) | None => "off",
                Some(_) => "stopped",
            }
        }
    }

    pub fn card_view(&self, now_ms: f64) -> AutoCardView {
        AutoCardView {
            state: self.state_name(),
            message: if self.machine.settings().enabled || self.machine.last_stop().is_some() {
                self.machine.status_text(now_ms)
            } else {
                String::new()
            },
        }
    }

    /// The kind of the last stop (`match`, `out_of_likes`, ...).
    pub fn stop_kind(&self) -> Option<String> {
        let r = self.machine.last_stop()?;
        serde_json::to_value(r)
            .ok()?
            .get("kind")?
            .as_str()
            .map(str::to_owned)
    }

    /// Everything tests and the console want to know.
    pub fn debug(&self, now_ms: f64) -> Value {
        json!({
            "settings": self.machine.settings(),
            "enabled": self.machine.settings().enabled,
            "state": self.state_name(),
            "status": self.machine.status_text(now_ms),
            "last_stop": self.machine.last_stop().map(|r| json!({
                "kind": self.stop_kind(),
                "message": r.message(now_ms, 0),
            })),
            "likes_12h": self.machine.likes_in_window(now_ms),
            "swipes_24h": self.machine.swipes_in_window(now_ms),
            "tab": self.tab,
            "decisions": self.decisions.iter().collect::<Vec<_>>(),
        })
    }
}

/// The machine's view of a score the brain holds (`None`: not asked or not answered yet).
pub fn card_score(s: Option<&Score>) -> CardScore {
    s.map(CardScore::from_score).unwrap_or(CardScore::Pending)
}

/// Merge `patch` (popup fields, only known ones) into `base`. Values are numbers or bools;
/// the popup converts its seconds to ms before sending (`glue/popup.rs` `FIELDS`).
pub fn merge_settings(base: &Settings, patch: &Map<String, Value>) -> Result<Settings, String> {
    let mut v = serde_json::to_value(base).map_err(|e| e.to_string())?;
    let Some(obj) = v.as_object_mut() else {
        return Err("settings are not an object".into());
    };
    for (k, val) in patch {
        if k == "enabled" || val.is_null() {
            continue; // switched only by the toggle; null leaves a value as it is
        }
        if !obj.contains_key(k) {
            return Err(format!("unknown auto-swipe setting `{k}`"));
        }
        let ok = match obj.get(k) {
            Some(Value::Bool(_)) => val.is_boolean(),
            _ => val.as_f64().is_some_and(f64::is_finite),
        };
        if !ok {
            return Err(format!("`{k}` has the wrong type"));
        }
        let is_count = obj.get(k).is_some_and(Value::is_u64);
        let val = match val.as_f64() {
            Some(x) if is_count => {
                if x < 0.0 || x.fract() != 0.0 || x > f64::from(u32::MAX) {
                    return Err(format!("`{k}` must be a whole number"));
                }
                json!(x as u64)
            }
            _ => val.clone(),
        };
        obj.insert(k.clone(), val);
    }
    let s: Settings = serde_json::from_value(v).map_err(|e| format!("bad setting: {e}"))?;
    s.validate().map_err(|e| e.to_string())?;
    Ok(s)
}

#[cfg(test)]
#[path = "auto_tests.rs"]
mod tests;
