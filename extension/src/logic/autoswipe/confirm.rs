//! What the page reports back: its like/pass calls confirm (or contradict) the outstanding
//! swipe, and every swipe that went through, Swipy's or the user's, counts toward the caps.

use serde_json::Value;
use swipy_shared::tinder::{parse_like_response, LikeOutcome};
use swipy_shared::Verdict;

use super::decide::push_recent;
use super::{AutoSwipe, Command, StopReason, LIKES_WINDOW_MS, SWIPES_WINDOW_MS};

/// Profiles recently swiped (by Swipy or the page), never pressed on again.
const RECENT_IDS: usize = 100;

impl AutoSwipe {
    pub(super) fn page_swiped(
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

    pub(super) fn remember_swiped(&mut self, profile_id: &str) {
        if !self.swiped.iter().any(|id| id == profile_id) {
            self.swiped.push_back(profile_id.to_owned());
        }
        while self.swiped.len() > RECENT_IDS {
            self.swiped.pop_front();
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
}

#[cfg(test)]
mod tests;
