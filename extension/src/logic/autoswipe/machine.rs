//! The machine's face: creating and restoring it, its status line, settings changes, the
//! events it handles and the checks that stop it (dialogs, tab, host, token, limits).

use std::collections::VecDeque;

use serde_json::Value;

use super::pacing::in_window;
use super::stop::{cap_first, noun, secs, who};
use super::{
    AutoSwipe, Command, DialogKind, Event, Memory, Settings, SettingsError, StateError, StopReason,
    LIKES_WINDOW_MS, SWIPES_WINDOW_MS,
};

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

    /// The recs rate limit in force at `now_ms`: `Some(until)` (`until` unknown: `None`).
    fn recs_limited_until(&self, now_ms: f64) -> Option<Option<f64>> {
        match self.recs_limit {
            Some(Some(t)) if t <= now_ms => None,
            other => other,
        }
    }

    /// Why no press may go now (`None`: it may). Checked before every decision and press.
    pub(super) fn press_blocked(&self, now_ms: f64) -> Option<StopReason> {
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

    pub(super) fn stop(&mut self, reason: StopReason, out: &mut Vec<Command>) {
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
}

#[cfg(test)]
mod tests;
