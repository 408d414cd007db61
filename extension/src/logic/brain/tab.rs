//! Messages from a tinder.com tab: captured pages (recs, matches, profile), swipes the
//! page made, card and overlay reports, dialogs and visibility; each turned into outbox
//! entries and auto-swipe events.

use swipy_shared::{LabelSource, Request};

use super::{value, Action, Brain};
use crate::logic::auto;
use crate::logic::autoswipe::{self as aswipe, Command, Event};
use crate::logic::dialogs;
use crate::logic::outbox;
use crate::logic::page::{TabMsg, ToTab};

/// Captured matches answers kept while the host is away (both lists, twice over).
const MAX_MATCHES_WAITING: usize = 4;

impl Brain {
    pub(super) fn tab_message(&mut self, port: u32, m: TabMsg, now_ms: f64, out: &mut Vec<Action>) {
        match m {
            TabMsg::Token(_) => {
                // Only "logged in" matters here: the token never leaves the page's tab.
                self.token_known = true;
                let cmds = self.auto.machine.handle(Event::TokenSeen, now_ms);
                self.apply_auto(cmds, now_ms, out);
            }
            TabMsg::Matches { body, at_ms } => {
                self.matches_waiting.push((body, at_ms));
                let extra = self
                    .matches_waiting
                    .len()
                    .saturating_sub(MAX_MATCHES_WAITING);
                self.matches_waiting.drain(..extra);
                if self.conn.is_ready() {
                    self.send_matches(out);
                }
            }
            TabMsg::Recs {
                body,
                at_ms,
                status,
            } => {
                // Tinder rate-limits the account: 429, `RATE_LIMITED`, or a placeholder.
                let page = swipy_shared::tinder::parse_recs(&body, at_ms);
                let failed = status.is_some_and(|s| !(200..300).contains(&s));
                let event = if status == Some(429) || page.rate_limited {
                    Event::RecsRateLimited {
                        until_ms: page.rate_limited_until_ms,
                    }
                } else if failed {
                    return;
                } else {
                    Event::RecsOk
                };
                let cmds = self.auto.machine.handle(event, now_ms);
                self.apply_auto(cmds, now_ms, out);
                if failed || !body.is_object() {
                    return;
                }
                if let Some(tab) = self.tabs.get_mut(&port) {
                    tab.queue.ingest(&body, at_ms);
                }
                let key = outbox::recs_key(at_ms, &body);
                self.enqueue(
                    key,
                    Request::Recs {
                        body,
                        captured_at_ms: at_ms,
                    },
                    now_ms,
                    out,
                );
            }
            TabMsg::Swipe {
                profile_id,
                verdict,
                at_ms,
                status,
                response,
            } => {
                if let Some(tab) = self.tabs.get_mut(&port) {
                    tab.queue.mark_swiped(&profile_id);
                }
                // Auto-swipe learns first whether this was its own swipe: then the label's
                // source is `auto`.
                let counts_before = self.auto.machine.to_json();
                let cmds = if self.auto.tab == Some(port) {
                    self.auto.machine.handle(
                        aswipe::Event::page_swiped(&profile_id, verdict, status, response.as_ref()),
                        now_ms,
                    )
                } else {
                    let resp = response.as_ref();
                    self.auto
                        .machine
                        .swiped_elsewhere(&profile_id, verdict, status, resp, now_ms);
                    Vec::new()
                };
                let ours = cmds.iter().any(|c| {
                    matches!(c, Command::Record { decision, .. } if decision.profile_id == profile_id)
                });
                if let Some(s) = status.filter(|s| !(200..300).contains(s)) {
                    out.push(Action::Log(format!(
                        "the page's {} call answered HTTP {s}; recorded as the user's choice",
                        verdict.as_str()
                    )));
                }
                let key = outbox::swipe_key(&profile_id, verdict.as_str(), at_ms);
                let req = Request::SwipeSeen {
                    profile_id,
                    verdict,
                    at_ms,
                    key: key.clone(),
                    source: if ours {
                        LabelSource::Auto
                    } else {
                        LabelSource::Swipe
                    },
                    response,
                };
                self.enqueue(key, req, now_ms, out);
                // Page swipes count toward the caps, the user's own too: persist the counts.
                let counts = self.auto.machine.to_json();
                if !cmds.is_empty() || counts != counts_before {
                    out.push(Action::Store {
                        key: auto::STATE_KEY.into(),
                        value: counts,
                    });
                }
                self.apply_auto(cmds, now_ms, out);
            }
            TabMsg::Profile { body, .. } => {
                let own = swipy_shared::tinder::parse_profile(&body);
                let event = Event::Allowance {
                    likes_remaining: own.likes_remaining,
                    until_ms: own.rate_limited_until_ms,
                };
                let cmds = self.auto.machine.handle(event, now_ms);
                self.apply_auto(cmds, now_ms, out);
            }
            TabMsg::Card(card) => {
                let visible = self.tabs.get(&port).is_some_and(|t| t.visible);
                let driving_visible = self
                    .auto
                    .tab
                    .and_then(|p| self.tabs.get(&p))
                    .is_some_and(|t| t.visible && t.card.is_some());
                let free = !self.auto.machine.settings().enabled || self.auto.tab.is_none();
                if self.auto.tab != Some(port) && free && (visible || !driving_visible) {
                    // The visible tab the user works in drives auto-swipe (never switched
                    // while on, but taken when auto-swipe was switched on before any card
                    // was shown; a hidden tab never takes over from a visible one).
                    self.drive_tab(port, now_ms, out);
                }
                if let Some(tab) = self.tabs.get_mut(&port) {
                    tab.card = card;
                    // A card report always gets an answer: the page may have rebuilt the
                    // card element, and with it the overlay.
                    tab.last_sent = None;
                }
            }
            TabMsg::Label { verdict, card } => {
                let resolved = self
                    .tabs
                    .get(&port)
                    .and_then(|t| t.queue.resolve(&card))
                    .map(|p| p.id.clone());
                let Some(profile_id) = resolved else {
                    let msg = ToTab::LabelRefused {
                        message: format!(
                            "Swipy has not seen {}'s profile load yet, so this card cannot be labelled. Reload the page.",
                            card.name
                        ),
                    };
                    out.push(Action::Post {
                        port,
                        msg: value(&msg),
                    });
                    return;
                };
                let key = outbox::label_key(&profile_id, verdict.as_str(), now_ms);
                let req = Request::Label {
                    profile_id,
                    verdict,
                    source: LabelSource::Overlay,
                    at_ms: now_ms,
                    key: key.clone(),
                };
                self.enqueue(key, req, now_ms, out);
            }
            TabMsg::Dialogs(list) => {
                let kinds = dialogs::kinds(&list);
                if let Some(tab) = self.tabs.get_mut(&port) {
                    tab.dialogs = list;
                }
                if self.auto.tab == Some(port) {
                    let cmds = self.auto.machine.handle(Event::Dialogs(kinds), now_ms);
                    self.apply_auto(cmds, now_ms, out);
                }
            }
            TabMsg::Gamepad(buttons) => {
                if let Some(tab) = self.tabs.get_mut(&port) {
                    tab.gamepad = buttons;
                }
            }
            TabMsg::Visibility(visible) => {
                if let Some(tab) = self.tabs.get_mut(&port) {
                    tab.visible = visible;
                }
                if self.auto.tab == Some(port) {
                    let cmds = self.auto.machine.handle(Event::TabVisible(visible), now_ms);
                    self.apply_auto(cmds, now_ms, out);
                }
            }
            TabMsg::AuthLost => {
                let cmds = self.auto.machine.handle(Event::TokenLost, now_ms);
                self.apply_auto(cmds, now_ms, out);
            }
        }
    }
}

#[cfg(test)]
mod tests;
