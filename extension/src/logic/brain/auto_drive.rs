//! Auto-swipe seen from the brain: which tab it drives, the top card it is fed, carrying
//! out its commands (presses, records, stops) and the popup's and tests' requests.

use serde_json::{json, Value};
use swipy_shared::{Request, Verdict};

use super::{value, Action, Brain};
use crate::logic::auto;
use crate::logic::autoswipe::{self as aswipe, Card, Command, Event};
use crate::logic::dialogs;
use crate::logic::page::{ClickTarget, ToTab};

impl Brain {
    /// Restore the stored auto-swipe settings and likes log (before [`Brain::start`]).
    pub fn load_autoswipe(
        &mut self,
        settings: Option<&Value>,
        state: Option<&Value>,
    ) -> Vec<Action> {
        let seed = self.rng.rotate_left(29) ^ 0xA5A5_5A5A;
        self.auto
            .load(settings, state, seed)
            .into_iter()
            .map(Action::Log)
            .collect()
    }

    /// Local time offset for messages (local = UTC + minutes).
    pub fn set_utc_offset_min(&mut self, minutes: i32) {
        self.auto.machine.set_utc_offset_min(minutes);
    }

    /// The auto-swipe timer fired.
    pub fn auto_tick(&mut self, now_ms: f64) -> Vec<Action> {
        let mut out = Vec::new();
        let cmds = self.auto.machine.handle(Event::Tick, now_ms);
        self.apply_auto(cmds, now_ms, &mut out);
        self.refresh(now_ms, &mut out);
        out
    }

    /// The driving tab's top card as auto-swipe sees it.
    pub(super) fn auto_card(&self) -> Option<Card> {
        let tab = self.tabs.get(&self.auto.tab?)?;
        let facts = tab.card.as_ref()?;
        let p = tab.queue.resolve(facts)?;
        Some(Card {
            profile_id: p.id.clone(),
            name: Some(facts.name.clone()),
            score: auto::card_score(self.scores.get(&p.id)),
        })
    }

    /// Makes `port` the tab auto-swipe drives: the machine learns that tab's card, dialogs
    /// and visibility.
    pub(super) fn drive_tab(&mut self, port: u32, now_ms: f64, out: &mut Vec<Action>) {
        self.auto.tab = Some(port);
        self.auto.reset_card();
        let (visible, kinds) = match self.tabs.get(&port) {
            Some(t) => (t.visible, dialogs::kinds(&t.dialogs)),
            None => (true, Vec::new()),
        };
        let mut cmds = self.auto.machine.handle(Event::TabVisible(visible), now_ms);
        cmds.extend(self.auto.machine.handle(Event::Dialogs(kinds), now_ms));
        self.apply_auto(cmds, now_ms, out);
    }

    pub(super) fn feed_top_card(&mut self, now_ms: f64, out: &mut Vec<Action>) {
        let card = self.auto_card();
        if let Some(card) = self.auto.card_changed(card) {
            let cmds = self.auto.machine.handle(Event::TopCard(card), now_ms);
            self.apply_auto(cmds, now_ms, out);
        }
    }

    fn save_auto_settings(&self, out: &mut Vec<Action>) {
        out.push(Action::Store {
            key: auto::SETTINGS_KEY.into(),
            value: value(self.auto.machine.settings()),
        });
    }

    /// Carry out the machine's commands.
    pub(super) fn apply_auto(&mut self, cmds: Vec<Command>, now_ms: f64, out: &mut Vec<Action>) {
        for c in cmds {
            match c {
                Command::WaitUntil(t) => out.push(Action::AutoTickIn((t - now_ms).max(0.0))),
                Command::Press {
                    profile_id,
                    verdict,
                    key,
                    click,
                } => {
                    let Some(tab) = self
                        .auto
                        .tab
                        .and_then(|p| self.tabs.get(&p).map(|t| (p, t)))
                    else {
                        out.push(Action::Log(
                            "auto-swipe wanted to swipe, but its tab is gone".into(),
                        ));
                        continue;
                    };
                    let (port, tab) = tab;
                    let click = if click {
                        let target = dialogs::pick_button(&tab.gamepad, verdict).and_then(|i| {
                            let b = tab.gamepad.get(i)?;
                            Some(ClickTarget {
                                index: u32::try_from(i).ok()?,
                                text: b.text.clone(),
                                class: b.class.clone(),
                            })
                        });
                        if target.is_none() {
                            out.push(Action::Log(format!(
                                "auto-swipe: the page did not act on the key; no {} button found to click",
                                verdict.as_str()
                            )));
                            let cmds = self.auto.machine.handle(Event::ClickUnavailable, now_ms);
                            self.apply_auto(cmds, now_ms, out);
                            continue;
                        }
                        target
                    } else {
                        None
                    };
                    out.push(Action::Post {
                        port,
                        msg: value(&ToTab::Press {
                            profile_id,
                            key,
                            click,
                        }),
                    });
                }
                Command::Show(d) => self.auto.shown(&d),
                Command::Record {
                    decision,
                    matched,
                    at_ms,
                } => {
                    self.auto.recorded(&decision, matched);
                    self.swipe_result(
                        &decision.profile_id,
                        decision.verdict,
                        matched,
                        Some(decision.score),
                        Some(decision.reason_text.clone()),
                        at_ms,
                        now_ms,
                        out,
                    );
                }
                Command::Stop { message, .. } => {
                    out.push(Action::Log(format!("auto-swipe: {message}")));
                    self.save_auto_settings(out);
                    // Close the popups' cached view so the reason shows at once.
                    for last in self.popups.values_mut() {
                        *last = None;
                    }
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn swipe_result(
        &mut self,
        profile_id: &str,
        verdict: Verdict,
        matched: bool,
        score: Option<f64>,
        reason: Option<String>,
        at_ms: f64,
        now_ms: f64,
        out: &mut Vec<Action>,
    ) {
        let key = format!(
            "a-{profile_id}-{}-{}{}",
            verdict.as_str(),
            at_ms.round() as i64,
            if matched { "-m" } else { "" }
        );
        let req = Request::SwipeResult {
            profile_id: profile_id.to_owned(),
            verdict,
            matched,
            at_ms,
            key: key.clone(),
            score,
            reason,
        };
        self.enqueue(key, req, now_ms, out);
    }

    /// Applies `patch` over `base` as the auto-swipe settings (checked by the machine) and
    /// saves them.
    pub(super) fn patch_auto_settings(
        &mut self,
        base: &aswipe::Settings,
        patch: &serde_json::Map<String, Value>,
        now_ms: f64,
        out: &mut Vec<Action>,
    ) -> Result<(), String> {
        let settings = auto::merge_settings(base, patch)?;
        let cmds = self
            .auto
            .machine
            .set_settings(settings, now_ms)
            .map_err(|e| e.to_string())?;
        self.apply_auto(cmds, now_ms, out);
        self.save_auto_settings(out);
        Ok(())
    }

    /// A test hook or popup request about auto-swipe: `autoswipe_enable {on}`,
    /// `autoswipe_set {settings}`, `autoswipe_preset {preset: "fast_test", ...}`,
    /// `autoswipe_state`. Returns the answer (`{ok, ...}`).
    pub fn autoswipe_request(&mut self, msg: &Value, now_ms: f64, out: &mut Vec<Action>) -> Value {
        let kind = msg.get("kind").and_then(Value::as_str).unwrap_or("");
        let result: Result<(), String> = match kind {
            "autoswipe_state" => Ok(()),
            "autoswipe_enable" => match msg.get("on").and_then(Value::as_bool) {
                Some(on) => {
                    // The card as it is now, with the score that may have come already.
                    if on && self.auto.tab.is_none_or(|p| !self.tabs.contains_key(&p)) {
                        let pick = self
                            .tabs
                            .iter()
                            .filter(|(_, t)| t.card.is_some())
                            .max_by_key(|(_, t)| t.visible)
                            .map(|(p, _)| *p);
                        if let Some(port) = pick {
                            self.drive_tab(port, now_ms, out);
                        }
                    }
                    self.auto.reset_card();
                    self.feed_top_card(now_ms, out);
                    let cmds = self.auto.machine.handle(Event::SetEnabled(on), now_ms);
                    self.apply_auto(cmds, now_ms, out);
                    self.save_auto_settings(out);
                    Ok(())
                }
                None => Err("`on` must be true or false".into()),
            },
            "autoswipe_set" | "autoswipe_preset" => {
                let base = if kind == "autoswipe_preset" {
                    match msg.get("preset").and_then(Value::as_str) {
                        Some("fast_test") => Ok(aswipe::Settings {
                            enabled: self.auto.machine.settings().enabled,
                            ..aswipe::Settings::fast_test()
                        }),
                        Some("default") => Ok(aswipe::Settings {
                            enabled: self.auto.machine.settings().enabled,
                            ..aswipe::Settings::default()
                        }),
                        _ => Err("unknown preset (known: fast_test, default)".to_owned()),
                    }
                } else {
                    Ok(self.auto.machine.settings().clone())
                };
                let patch_src = if kind == "autoswipe_preset" {
                    Some(msg)
                } else {
                    msg.get("settings")
                };
                let patch: serde_json::Map<String, Value> = patch_src
                    .and_then(Value::as_object)
                    .map(|o| {
                        o.iter()
                            .filter(|(k, _)| !matches!(k.as_str(), "kind" | "preset"))
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect()
                    })
                    .unwrap_or_default();
                base.and_then(|b| self.patch_auto_settings(&b, &patch, now_ms, out))
            }
            _ => Err(format!("unknown request `{kind}`")),
        };
        self.refresh(now_ms, out);
        match result {
            Ok(()) => {
                let mut v = self.auto.debug(now_ms);
                if let Some(o) = v.as_object_mut() {
                    o.insert("ok".into(), Value::Bool(true));
                }
                v
            }
            Err(e) => json!({"ok": false, "error": e}),
        }
    }
}

#[cfg(test)]
mod tests;
