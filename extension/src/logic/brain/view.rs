//! What the tabs and popups show: the card overlay (badge, label, decision) and the popup
//! status; asks for the scores the top cards need.

use serde_json::json;
use swipy_shared::ScoreState;

use super::{value, Action, Brain, SCORE_RETRY_MS};
use crate::logic::page::{BadgeView, LabelView, ToTab};
use crate::logic::popup;

/// The same for the card auto-swipe waits on (the host answers, it never pushes, a score).
const AUTO_SCORE_RETRY_MS: f64 = 1_500.0;

/// Scores asked ahead for the cards after the top one.
const PREFETCH_SCORES: usize = 3;

impl Brain {
    /// Post what changed to tabs and popups; ask for scores the top cards need.
    pub(super) fn refresh(&mut self, now_ms: f64, out: &mut Vec<Action>) {
        // Scores for top cards that have none (or a stale not-ready one).
        let mut want = Vec::new();
        let auto_top = self
            .auto
            .machine
            .settings()
            .enabled
            .then(|| self.auto_card().map(|c| c.profile_id))
            .flatten();
        for tab in self.tabs.values() {
            let Some(card) = &tab.card else { continue };
            let Some(p) = tab.queue.resolve(card) else {
                continue;
            };
            // The top card, and the next few so their badges are ready when they come up.
            let next = tab.queue.upcoming();
            let ids = std::iter::once(p.id.clone()).chain(
                next.into_iter()
                    .skip_while(|id| *id != p.id)
                    .skip(1)
                    .take(PREFETCH_SCORES),
            );
            for id in ids {
                let ready = self.scores.get(&id).is_some_and(|s| s.p_like.is_some());
                let retry = if auto_top.as_ref() == Some(&id) {
                    AUTO_SCORE_RETRY_MS
                } else {
                    SCORE_RETRY_MS
                };
                let asked = self
                    .score_asked
                    .get(&id)
                    .is_some_and(|t| now_ms - t < retry);
                if !ready && !asked && !want.contains(&id) {
                    want.push(id);
                }
            }
        }
        self.ask_scores(want, now_ms, out);
        self.feed_top_card(now_ms, out);

        let connected = self.conn.is_ready();
        let mut posts = Vec::new();
        for (port, tab) in &self.tabs {
            let Some(card) = &tab.card else { continue };
            let profile_id = tab.queue.resolve(card).map(|p| p.id.clone());
            let label = profile_id
                .as_ref()
                .and_then(|id| self.labels.get(id))
                .map(|l| LabelView {
                    verdict: l.verdict,
                    state: if self.outbox.contains(&l.key) {
                        "pending"
                    } else {
                        "saved"
                    },
                    source: l.source.as_str(),
                });
            let info = ToTab::CardInfo {
                name: card.name.clone(),
                age: card.age,
                badge: self.badge(profile_id.as_deref()),
                decision: profile_id
                    .as_deref()
                    .and_then(|id| self.auto.decision_view(id)),
                auto: self.auto.card_view(now_ms),
                profile_id,
                label,
                host_connected: connected,
            };
            let v = value(&info);
            if tab.last_sent.as_ref() != Some(&v) {
                posts.push((*port, v));
            }
        }
        for (port, v) in posts {
            if let Some(tab) = self.tabs.get_mut(&port) {
                tab.last_sent = Some(v.clone());
            }
            out.push(Action::Post { port, msg: v });
        }

        let mut view = popup::view(
            &self.conn,
            self.stats.as_ref(),
            self.outbox.labels_waiting(),
            self.last_error.as_deref(),
        );
        popup::add_waiting(
            &mut view,
            self.outbox.labels_quarantined(),
            self.outbox
                .pending()
                .filter(|e| !e.is_recs())
                .filter_map(|e| self.held.get(&e.key).map(String::as_str)),
            self.storage_error.as_deref(),
        );
        popup::add_autoswipe(&mut view, self.model_known(), &self.auto, now_ms);
        for (port, last) in self.popups.iter_mut() {
            if last.as_ref() != Some(&view) {
                *last = Some(view.clone());
                out.push(Action::Post {
                    port: *port,
                    msg: json!({"kind": "status", "view": view}),
                });
            }
        }
    }

    fn badge(&self, profile_id: Option<&str>) -> BadgeView {
        let Some(id) = profile_id else {
            return BadgeView {
                state: "unknown",
                text: "?".into(),
                title: "Swipy has not matched this card to a captured profile yet".into(),
                p_like: None,
                parts: None,
                model_version: None,
            };
        };
        match self.scores.get(id) {
            Some(s) if s.p_like.is_some() => {
                let p = s.p_like.unwrap_or_default();
                let part = |name: &str, v: Option<f64>| match v {
                    Some(x) => format!("{name} {:.0}%", x * 100.0),
                    None => format!("{name} –"),
                };
                let title = format!(
                    "P(like) {:.0}% · {} · {} · {} · {} · model v{}",
                    p * 100.0,
                    part("photo", s.parts.photo),
                    part("face", s.parts.face),
                    part("bio", s.parts.text),
                    part("meta", s.parts.meta),
                    s.model_version
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| "?".into())
                );
                BadgeView {
                    state: "score",
                    text: format!("{:.0}%", p * 100.0),
                    title,
                    p_like: Some(p),
                    parts: Some(s.parts.clone()),
                    model_version: s.model_version,
                }
            }
            Some(s) if s.state == ScoreState::NoModel => BadgeView {
                state: "learning",
                text: "learning…".into(),
                title: "No model yet: keep labelling, then train".into(),
                p_like: None,
                parts: None,
                model_version: None,
            },
            _ if !self.conn.is_ready() => BadgeView {
                state: "offline",
                text: "offline".into(),
                title: "The Swipy app is not connected".into(),
                p_like: None,
                parts: None,
                model_version: None,
            },
            _ => BadgeView {
                state: "scoring",
                text: "scoring…".into(),
                title: "Photos and bio are being processed".into(),
                p_like: None,
                parts: None,
                model_version: None,
            },
        }
    }

    fn model_known(&self) -> bool {
        self.conn.model_version().is_some()
            || self
                .stats
                .as_ref()
                .is_some_and(|s| s.model_version.is_some())
    }
}

#[cfg(test)]
mod tests;
