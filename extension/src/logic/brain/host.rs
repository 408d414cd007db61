//! The native host: opening and losing the connection, the hello handshake, timers, the
//! host's answers and errors, and the stats and score requests.

use serde_json::{json, Value};
use swipy_shared::{
    Envelope, ErrorBody, ErrorCode, HostSetting, Request, Response, Score, ScoreState,
    MAX_IDS_PER_REQUEST, PROTOCOL_VERSION,
};

use super::{value, Action, Brain, Pending, SCORE_RETRY_MS};
use crate::logic::autoswipe::Event;
use crate::logic::conn::ConnState;
use crate::logic::popup;

impl Brain {
    /// The native port is open: say hello.
    pub fn host_opened(&mut self, now_ms: f64) -> Vec<Action> {
        let id = self.take_id();
        self.conn.opened(id, now_ms);
        self.pending.clear();
        self.sent_this_conn.clear();
        // A new host may understand what the last one refused.
        self.held.clear();
        let hello = Envelope::new(
            id,
            Request::Hello {
                protocol: PROTOCOL_VERSION,
                client: Some(self.client.clone()),
            },
        );
        let mut out = vec![Action::ToHost(value(&hello))];
        self.schedule(now_ms, &mut out);
        self.refresh(now_ms, &mut out);
        out
    }

    /// The native port closed (or `connectNative` threw), with the browser's reason.
    pub fn host_lost(&mut self, reason: &str, now_ms: f64) -> Vec<Action> {
        let jitter = self.jitter();
        let delay = self.conn.lost(reason, now_ms, jitter);
        let mut out = vec![Action::Log(format!(
            "host connection lost ({reason}); retrying in {:.1} s",
            delay / 1000.0
        ))];
        self.count_death(now_ms, &mut out);
        let cmds = self.auto.machine.handle(Event::HostLost, now_ms);
        self.apply_auto(cmds, now_ms, &mut out);
        for (port, req) in self.pending.values().filter_map(|p| match p {
            Pending::Dashboard { port, req } => Some((*port, *req)),
            _ => None,
        }) {
            out.push(Action::Post {
                port,
                msg: json!({"kind": "host_reply", "req": req, "error": "lost the connection to the Swipy app"}),
            });
        }
        self.pending.clear();
        self.sent_this_conn.clear();
        self.stats_inflight = false;
        self.schedule(now_ms, &mut out);
        self.refresh(now_ms, &mut out);
        out
    }

    /// Timer: retry the connection, or give up on a silent handshake.
    pub fn tick(&mut self, now_ms: f64) -> Vec<Action> {
        let mut out = Vec::new();
        if self.conn.handshake_expired(now_ms) {
            out.push(Action::CloseHost);
            out.extend(self.host_lost("the Swipy app did not answer hello", now_ms));
            return out;
        }
        self.maybe_connect(now_ms, false, &mut out);
        self.pump(now_ms, &mut out);
        self.schedule(now_ms, &mut out);
        out
    }

    /// A message from the host.
    pub fn host_message(&mut self, msg: &Value, now_ms: f64) -> Vec<Action> {
        let mut out = Vec::new();
        let env: Envelope<Response> = match serde_json::from_value(msg.clone()) {
            Ok(e) => e,
            Err(e) => {
                out.push(Action::Log(format!(
                    "the host sent a message this extension does not understand: {e}"
                )));
                return out;
            }
        };
        let mut pending = env.re.and_then(|re| self.pending.remove(&re));
        if let Some(Pending::Dashboard { port, req }) = pending {
            let mut msg = msg.clone();
            if matches!(env.body, Response::Settings { .. }) {
                // The dashboard's "Like threshold" shows the auto-swipe threshold, which lives
                // here (the popup may have changed it since the host last heard of it).
                if let Some(values) = msg
                    .pointer_mut("/data/values")
                    .and_then(Value::as_object_mut)
                {
                    values.insert(
                        HostSetting::Threshold.name().into(),
                        json!(self.auto.machine.settings().threshold),
                    );
                }
            }
            out.push(Action::Post {
                port,
                msg: json!({"kind": "host_reply", "req": req, "msg": msg}),
            });
            pending = None;
            if matches!(env.body, Response::Error(_)) {
                return out;
            }
        }
        if matches!(
            env.body,
            Response::TrainProgress { .. } | Response::Trained { .. }
        ) {
            for port in self.dashboards.keys() {
                out.push(Action::Post {
                    port: *port,
                    msg: json!({"kind": "host_event", "msg": msg}),
                });
            }
        }
        match env.body {
            Response::Hello {
                protocol,
                host_version,
                model_version,
            } => {
                let re = env.re.unwrap_or(0);
                if protocol != PROTOCOL_VERSION {
                    let why = format!(
                        "The Swipy app speaks protocol {protocol}, this extension {PROTOCOL_VERSION}; update both."
                    );
                    self.last_error = Some(why.clone());
                    out.push(Action::CloseHost);
                    out.extend(self.host_lost(&why, now_ms));
                    return out;
                }
                if self.conn.hello_answered(re, host_version, model_version) {
                    self.on_ready(now_ms, &mut out);
                }
            }
            Response::Ack { key } => {
                let key = key.or(match pending {
                    Some(Pending::Outbox(k)) => Some(k),
                    _ => None,
                });
                if let Some(k) = key {
                    self.acked(&k, now_ms, &mut out);
                }
            }
            Response::Ingested { ids, .. } => {
                if let Some(Pending::Outbox(k)) = pending {
                    self.acked(&k, now_ms, &mut out);
                }
                let want: Vec<String> = ids
                    .into_iter()
                    .filter(|id| {
                        !self.scores.contains_key(id)
                            && !self
                                .score_asked
                                .get(id)
                                .is_some_and(|t| now_ms - t < SCORE_RETRY_MS)
                    })
                    .collect();
                self.ask_scores(want, now_ms, &mut out);
            }
            Response::Scores { scores } => {
                for s in scores {
                    self.scores.insert(s.id.clone(), s);
                }
            }
            Response::Stats(s) => {
                self.stats = Some(s);
                self.stats_inflight = false;
                if std::mem::take(&mut self.stats_dirty) {
                    self.ask_stats(&mut out);
                }
            }
            Response::Trained { model_version, .. } => {
                self.conn.set_model_version(model_version);
                self.scores.clear();
                self.score_asked.clear();
                self.ask_stats(&mut out);
            }
            Response::TrainProgress { .. }
            | Response::Settings { .. }
            | Response::Profiles { .. }
            | Response::History(_) => {}
            Response::Error(e) => self.host_error(e, pending, now_ms, &mut out),
        }
        self.refresh(now_ms, &mut out);
        out
    }

    fn host_error(
        &mut self,
        e: ErrorBody,
        mut pending: Option<Pending>,
        now_ms: f64,
        out: &mut Vec<Action>,
    ) {
        let code = ErrorCode::from_code(e.code);
        if pending.is_none() {
            pending = self.unaddressed_error(code);
        }
        if let Some(Pending::Scores(ids)) = &pending {
            if matches!(
                code,
                Some(ErrorCode::ModelMissing | ErrorCode::NotEnoughLabels)
            ) {
                // Not a problem: there is no model yet. The badge says "learning…".
                for id in ids {
                    self.scores.insert(
                        id.clone(),
                        Score {
                            id: id.clone(),
                            p_like: None,
                            parts: Default::default(),
                            model_version: None,
                            state: ScoreState::NoModel,
                        },
                    );
                }
                return;
            }
        }
        let words = popup::error_body_words(&e);
        out.push(Action::Log(format!("host error {}: {}", e.code, e.message)));
        self.last_error = Some(words);
        match pending {
            Some(Pending::Outbox(key)) => self.outbox_error(&key, code, now_ms, out),
            Some(Pending::Stats) => self.stats_inflight = false,
            _ => {}
        }
    }

    /// An error without a request id (`frame_too_large`, `bad_json`, ...): it answers the
    /// one outbox entry in flight when there is exactly one; otherwise nobody can tell, and
    /// the entries in flight are not resent on this connection anyway.
    fn unaddressed_error(&mut self, code: Option<ErrorCode>) -> Option<Pending> {
        if !matches!(
            code,
            Some(
                ErrorCode::BadFrame
                    | ErrorCode::FrameTooLarge
                    | ErrorCode::InvalidUtf8
                    | ErrorCode::BadJson
                    | ErrorCode::BadEnvelope
            )
        ) {
            return None;
        }
        let mut outbox_ids = self
            .pending
            .iter()
            .filter(|(_, p)| matches!(p, Pending::Outbox(_)))
            .map(|(id, _)| *id);
        match (outbox_ids.next(), outbox_ids.next()) {
            (Some(id), None) => self.pending.remove(&id),
            _ => None,
        }
    }

    pub(super) fn maybe_connect(&mut self, now_ms: f64, eager: bool, out: &mut Vec<Action>) {
        if self.started && self.conn.should_connect(now_ms, eager) {
            // Mark the attempt so a burst of events opens one port only.
            self.conn.state = ConnState::Handshaking {
                hello_id: 0,
                since_ms: now_ms,
            };
            out.push(Action::OpenHost);
        }
    }

    pub(super) fn schedule(&self, now_ms: f64, out: &mut Vec<Action>) {
        let retry = if self.conn.is_ready() {
            // Delayed outbox entries (quarantine, transient errors) still to come.
            self.outbox
                .pending()
                .filter(|e| !self.sent_this_conn.contains(&e.key))
                .filter_map(|e| self.outbox.retry_time(&e.key))
                .filter(|t| *t > now_ms)
                .reduce(f64::min)
        } else {
            None
        };
        let next = match (self.conn.next_deadline(), retry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(at) = next {
            out.push(Action::TickIn((at - now_ms).max(0.0)));
        }
    }

    fn on_ready(&mut self, now_ms: f64, out: &mut Vec<Action>) {
        self.last_error = None;
        let cmds = self.auto.machine.handle(Event::HostConnected, now_ms);
        self.apply_auto(cmds, now_ms, out);
        let conn = self.dashboard_conn();
        for port in self.dashboards.keys() {
            out.push(Action::Post {
                port: *port,
                msg: conn.clone(),
            });
        }
        self.send_matches(out);
        self.pump(now_ms, out);
        if !self.popups.is_empty() {
            self.ask_stats(out);
        }
        self.score_asked.clear();
    }

    /// Hands the captured matches answers to the host (the page re-reads its matches on
    /// every load, so these are not kept in storage).
    pub(super) fn send_matches(&mut self, out: &mut Vec<Action>) {
        for (body, at_ms) in std::mem::take(&mut self.matches_waiting) {
            let id = self.take_id();
            self.pending.insert(id, Pending::Other);
            let req = Request::Matches {
                body,
                captured_at_ms: at_ms,
            };
            out.push(Action::ToHost(value(&Envelope::new(id, req))));
        }
    }

    pub(super) fn ask_stats(&mut self, out: &mut Vec<Action>) {
        if !self.conn.is_ready() {
            return;
        }
        if self.stats_inflight {
            self.stats_dirty = true;
            return;
        }
        let id = self.take_id();
        self.pending.insert(id, Pending::Stats);
        self.stats_inflight = true;
        out.push(Action::ToHost(value(&Envelope::new(id, Request::Stats {}))));
    }

    pub(super) fn ask_scores(&mut self, ids: Vec<String>, now_ms: f64, out: &mut Vec<Action>) {
        if !self.conn.is_ready() || ids.is_empty() {
            return;
        }
        for chunk in ids.chunks(MAX_IDS_PER_REQUEST) {
            for id in chunk {
                self.score_asked.insert(id.clone(), now_ms);
            }
            let id = self.take_id();
            self.pending.insert(id, Pending::Scores(chunk.to_vec()));
            out.push(Action::ToHost(value(&Envelope::new(
                id,
                Request::Scores {
                    ids: chunk.to_vec(),
                },
            ))));
        }
    }
}

#[cfg(test)]
mod tests;
