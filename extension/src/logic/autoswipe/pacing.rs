//! Pacing and limits: human-like delays and breaks, the likes and daily caps, the planned
//! press, the confirmation deadline and the one retry click.

use swipy_shared::Verdict;

use super::decide::push_recent;
use super::{
    key_for, AutoSwipe, CardScore, Command, Outstanding, Planned, StopReason, LIKES_WINDOW_MS,
    SWIPES_WINDOW_MS,
};

/// While auto-swipe waits for a score it wakes this often (the caller asks the host again).
const SCORE_POLL_MS: f64 = 2_000.0;

pub(super) fn in_window(times: &[f64], now_ms: f64, window: f64) -> Vec<f64> {
    let mut v: Vec<f64> = times
        .iter()
        .copied()
        .filter(|t| *t > now_ms - window && *t <= now_ms)
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

impl AutoSwipe {
    /// Advance: time out a confirmation, press a planned key, decide on the top card; then
    /// ask for the next wake-up.
    pub(super) fn step(&mut self, now_ms: f64, out: &mut Vec<Command>) {
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
    pub(super) fn between(&mut self, lo: f64, hi: f64) -> f64 {
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
}

#[cfg(test)]
mod tests;
