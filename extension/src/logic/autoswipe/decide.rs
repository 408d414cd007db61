//! The like/pass policy for a scored card: the threshold and the floor on the share of
//! passes, with the reason in words.

use std::collections::VecDeque;

use serde::Serialize;
use swipy_shared::Verdict;

use super::{AutoSwipe, Card, MAX_RECENT};

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

pub(super) fn push_recent(recent: &mut VecDeque<Verdict>, v: Verdict) {
    recent.push_back(v);
    while recent.len() > MAX_RECENT {
        recent.pop_front();
    }
}

impl AutoSwipe {
    pub(super) fn decide(&self, card: &Card, p: f64, now_ms: f64) -> Decision {
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
}

#[cfg(test)]
mod tests;
