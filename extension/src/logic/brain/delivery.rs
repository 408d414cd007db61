//! Delivery of the durable outbox: entries stored before they are sent, acks, transient
//! errors retried with backoff, entries held or quarantined, and what each host death costs.

use serde_json::{json, Value};
use swipy_shared::{Envelope, ErrorCode, Request, MAX_FRAME_FROM_BROWSER};

use super::{value, Action, Brain, LabelRec, Pending};
use crate::logic::conn;
use crate::logic::outbox::{self, Added, Entry};

impl Brain {
    pub(super) fn enqueue(
        &mut self,
        key: String,
        req: Request,
        now_ms: f64,
        out: &mut Vec<Action>,
    ) {
        let (added, entry) = self.outbox.add(key.clone(), req, now_ms);
        let evicted = match added {
            Added::New { evicted } => evicted,
            Added::Duplicate => return,
            Added::Full => {
                let (recs, labels) = self.outbox.bytes_waiting();
                out.push(Action::Log(format!(
                    "outbox full ({recs} bytes of recs, {labels} bytes of labels); not recorded: {key}"
                )));
                if !key.starts_with("r-") {
                    self.last_error = Some(format!(
                        "Too many labels wait for the Swipy app ({} MiB); new ones are not recorded until it saves them. Start the Swipy app, or export the waiting labels.",
                        outbox::MAX_LABELS_WAITING_BYTES / (1024 * 1024)
                    ));
                }
                return;
            }
        };
        for k in evicted {
            out.push(Action::Log(format!(
                "too many recs pages waiting; dropped {k}"
            )));
            out.push(Action::Unstore {
                key: outbox::storage_key(&k),
            });
        }
        if let Some(e) = entry {
            self.remember_label(&e.request, &e.key);
            out.push(Action::Store {
                key: outbox::storage_key(&e.key),
                value: value(&e),
            });
        }
        if self.conn.is_ready() {
            self.send_entry(&key, out);
        }
    }

    pub(super) fn remember_label(&mut self, req: &Request, key: &str) {
        match req {
            Request::Label {
                profile_id,
                verdict,
                source,
                ..
            }
            | Request::SwipeSeen {
                profile_id,
                verdict,
                source,
                ..
            } => {
                self.labels.insert(
                    profile_id.clone(),
                    LabelRec {
                        verdict: *verdict,
                        source: *source,
                        key: key.to_owned(),
                    },
                );
            }
            _ => {}
        }
    }

    fn send_entry(&mut self, key: &str, out: &mut Vec<Action>) {
        if self.sent_this_conn.contains(key) {
            return;
        }
        let Some(entry) = self.outbox.get(key) else {
            return;
        };
        let req = entry.request.clone();
        let id = self.take_id();
        let msg = value(&Envelope::new(id, req));
        self.sent_this_conn.insert(key.to_owned());
        if msg.to_string().len() > MAX_FRAME_FROM_BROWSER {
            // The host would refuse it without an id to answer: never send it.
            if key.starts_with("r-") {
                self.drop_entry(key, "recs page larger than the Swipy app takes", out);
            } else {
                self.held
                    .insert(key.to_owned(), "they are too large to send".into());
            }
            return;
        }
        self.pending.insert(id, Pending::Outbox(key.to_owned()));
        out.push(Action::ToHost(msg));
    }

    pub(super) fn acked(&mut self, key: &str, now_ms: f64, out: &mut Vec<Action>) {
        self.tries.remove(key);
        self.held.remove(key);
        let was_quarantined = self.outbox.get(key).is_some_and(Entry::is_quarantined);
        if self.outbox.remove(key).is_some() {
            if was_quarantined {
                // The next quarantined entry may go now.
                self.pump(now_ms, out);
            }
            out.push(Action::Unstore {
                key: outbox::storage_key(key),
            });
            if !key.starts_with("r-") && !self.popups.is_empty() {
                self.ask_stats(out);
            }
        }
    }

    /// Send what may go now, in creation order: every entry not yet sent on this
    /// connection whose delay is over; quarantined entries one at a time.
    pub(super) fn pump(&mut self, now_ms: f64, out: &mut Vec<Action>) {
        if !self.conn.is_ready() {
            return;
        }
        let mut quarantine_busy = self.pending.values().any(|p| {
            matches!(p, Pending::Outbox(k) if self.outbox.get(k).is_some_and(Entry::is_quarantined))
        });
        let due: Vec<(String, bool)> = self
            .outbox
            .pending()
            .filter(|e| !self.sent_this_conn.contains(&e.key))
            .filter(|e| self.outbox.is_due(&e.key, now_ms))
            .map(|e| (e.key.clone(), e.is_quarantined()))
            .collect();
        for (key, quarantined) in due {
            if quarantined {
                if quarantine_busy {
                    continue;
                }
                quarantine_busy = true;
            }
            self.send_entry(&key, out);
        }
        self.schedule(now_ms, out);
    }

    /// The host answered an outbox entry with an error. Transient errors are retried with
    /// backoff on the same connection; an entry the host refuses or does not understand
    /// waits (stored, shown in the popup) for the next connection — a recs page the host
    /// refuses is dropped, a label never.
    pub(super) fn outbox_error(
        &mut self,
        key: &str,
        code: Option<ErrorCode>,
        now_ms: f64,
        out: &mut Vec<Action>,
    ) {
        let is_recs = self.outbox.get(key).is_some_and(Entry::is_recs);
        match code {
            Some(
                ErrorCode::Storage
                | ErrorCode::Busy
                | ErrorCode::Internal
                | ErrorCode::HelloRequired
                | ErrorCode::ResponseTooLarge,
            ) => {
                let n = self.tries.entry(key.to_owned()).or_insert(0);
                *n = n.saturating_add(1);
                let n = *n;
                let delay = conn::backoff_ms(n, self.jitter());
                self.outbox.delay(key, now_ms + delay);
                self.sent_this_conn.remove(key);
                out.push(Action::Log(format!(
                    "{key}: transient host error; retrying in {:.1} s",
                    delay / 1000.0
                )));
                self.schedule(now_ms, out);
            }
            Some(ErrorCode::BadData | ErrorCode::InvalidId | ErrorCode::FrameTooLarge)
                if is_recs =>
            {
                self.drop_entry(key, "the Swipy app refused the recs page", out);
            }
            Some(ErrorCode::UnknownType | ErrorCode::VersionMismatch) | None => {
                self.held.insert(
                    key.to_owned(),
                    "the Swipy app does not understand them; update it".into(),
                );
            }
            _ => {
                self.held.insert(
                    key.to_owned(),
                    "the Swipy app refused them; an update may take them".into(),
                );
            }
        }
    }

    fn drop_entry(&mut self, key: &str, why: &str, out: &mut Vec<Action>) {
        self.outbox.remove(key);
        self.held.remove(key);
        self.tries.remove(key);
        self.labels.retain(|_, l| l.key != key);
        out.push(Action::Log(format!("{why}: dropped {key}")));
        out.push(Action::Unstore {
            key: outbox::storage_key(key),
        });
    }

    /// The host died. It answers requests in the order they came, so the one it was
    /// handling is the oldest it had not answered: only that one — if it is an outbox
    /// entry — counts the death (the others waited behind it). One that counts
    /// [`outbox::QUARANTINE_AFTER`] deaths is quarantined (kept, shown, retried alone and
    /// later). The host dies for reasons that have nothing to do with an entry (photo
    /// fetch, model warm-up, training, a kill), so no label is ever dropped for it; only a
    /// recs page that was the sole request in flight at each death is.
    pub(super) fn count_death(&mut self, now_ms: f64, out: &mut Vec<Action>) {
        let Some(Pending::Outbox(key)) = self.pending.keys().min().map(|id| &self.pending[id])
        else {
            return;
        };
        let key = key.clone();
        let sole = self.pending.len() == 1;
        out.push(Action::Log(format!(
            "the host stopped while handling {key} ({} request(s) in flight)",
            self.pending.len()
        )));
        let died = self.outbox.host_died(&key, sole, now_ms);
        for e in &died.store {
            out.push(Action::Store {
                key: outbox::storage_key(&e.key),
                value: value(e),
            });
        }
        for k in &died.quarantined {
            out.push(Action::Log(format!(
                "the host stopped {} times while handling {k}; it waits in quarantine and is retried alone",
                outbox::QUARANTINE_AFTER
            )));
        }
        for k in died.dropped {
            out.push(Action::Log(format!(
                "the host stopped {} times with only the recs page {k} in flight; dropped it (the page fetches recs again)",
                outbox::DROP_RECS_AFTER
            )));
            out.push(Action::Unstore {
                key: outbox::storage_key(&k),
            });
        }
    }

    /// The labels and swipes waiting, as the popup's "Export waiting labels" file.
    pub(super) fn waiting_export(&self) -> Value {
        let entries: Vec<Value> = self
            .outbox
            .pending()
            .filter(|e| !e.is_recs())
            .map(|e| {
                json!({
                    "key": e.key,
                    "created_ms": e.created_ms,
                    "request": e.request,
                    "host_stopped_times": e.crashes,
                    "quarantined": e.is_quarantined(),
                    "waits_because": self.held.get(&e.key),
                })
            })
            .collect();
        json!({"kind": "waiting_export", "format": "swipy-waiting-labels-1", "entries": entries})
    }
}

#[cfg(test)]
mod tests;
