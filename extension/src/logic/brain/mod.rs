//! The worker's brain: one state machine fed with browser events, answering with
//! [`Action`]s for the glue to carry out in order. No I/O here, so every routing decision is
//! tested natively.
//!
//! Ports: each tab's `content.js` and each open popup hold a `chrome.runtime` port, known
//! here by a number the glue assigns. The host is the one native port.
//!
//! One concern a file: `tab.rs` (tab messages), `host.rs` (the host connection and its
//! answers), `delivery.rs` (the outbox's sending), `view.rs` (overlay and popup views),
//! `auto_drive.rs` (auto-swipe's tab and commands), `dashboard.rs` (the dashboard relay).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{json, Value};
use swipy_shared::{LabelSource, Request, Score, Stats};

use super::auto::AutoDriver;
use super::autoswipe::Event;
use super::cards::CardQueue;
use super::conn::{Conn, ConnState};
use super::dialogs::{ButtonFacts, DialogSummary};
use super::outbox::{Entry, Outbox};
use super::page::{CardFacts, TabMsg};
use super::popup::PopupView;

mod auto_drive;
mod dashboard;
mod delivery;
mod host;
mod tab;
mod view;

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

/// Re-ask for a score that was not ready after this long.
const SCORE_RETRY_MS: f64 = 5_000.0;

/// What the glue must do, in this order. `Store` must complete before the next action runs
/// (an entry is durable before it is sent).
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// `chrome.storage.local.set({[key]: value})`.
    Store { key: String, value: Value },
    /// `chrome.storage.local.remove(key)`.
    Unstore { key: String },
    /// Open the native port (`connectNative`), then call [`Brain::host_opened`], or
    /// [`Brain::host_lost`] when that throws.
    OpenHost,
    /// Close the native port (the glue must not report it as lost).
    CloseHost,
    /// Post a message on the native port.
    ToHost(Value),
    /// Post a message on a tab or popup port.
    Post { port: u32, msg: Value },
    /// Call [`Brain::tick`] after this many ms (replaces any earlier timer).
    TickIn(f64),
    /// Call [`Brain::auto_tick`] after this many ms (replaces any earlier auto-swipe timer).
    AutoTickIn(f64),
    /// A diagnostic for the worker console (never contains the token).
    Log(String),
}

/// Kinds of `chrome.runtime` ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortKind {
    /// A tinder.com tab's content script (port name `tab`).
    Tab,
    /// The popup (port name `popup`).
    Popup,
    /// The dashboard page (port name `dashboard`): its host requests are relayed.
    Dashboard,
}

impl PortKind {
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "tab" => Some(PortKind::Tab),
            "popup" => Some(PortKind::Popup),
            "dashboard" => Some(PortKind::Dashboard),
            _ => None,
        }
    }
}

#[derive(Debug)]
struct TabState {
    queue: CardQueue,
    card: Option<CardFacts>,
    last_sent: Option<Value>,
    /// `document.visibilityState` is not `hidden`.
    visible: bool,
    /// The dialogs the page shows now.
    dialogs: Vec<DialogSummary>,
    /// The buttons next to the card stack (for the retry click).
    gamepad: Vec<ButtonFacts>,
}

impl Default for TabState {
    fn default() -> Self {
        Self {
            queue: CardQueue::default(),
            card: None,
            last_sent: None,
            visible: true,
            dialogs: Vec::new(),
            gamepad: Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
struct LabelRec {
    verdict: swipy_shared::Verdict,
    source: LabelSource,
    key: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Pending {
    Outbox(String),
    Scores(Vec<String>),
    Stats,
    /// A dashboard request: answer goes to `port` with the dashboard's own `req` id.
    Dashboard {
        port: u32,
        req: f64,
    },
    Other,
}

/// The brain. Create one per worker start.
#[derive(Debug)]
pub struct Brain {
    client: String,
    conn: Conn,
    outbox: Outbox,
    tabs: BTreeMap<u32, TabState>,
    popups: BTreeMap<u32, Option<PopupView>>,
    /// Whether the page showed a login token (the value itself is never kept or sent).
    token_known: bool,
    /// Captured `/v2/matches` answers not yet handed to the host (newest last).
    matches_waiting: Vec<(Value, f64)>,
    next_id: u32,
    pending: HashMap<u32, Pending>,
    sent_this_conn: HashSet<String>,
    labels: HashMap<String, LabelRec>,
    scores: HashMap<String, Score>,
    score_asked: HashMap<String, f64>,
    /// Transient host errors per outbox key since its last ack (for the backoff).
    tries: HashMap<String, u32>,
    /// Outbox entries the host refused or did not understand on this connection, with why
    /// (kept, shown in the popup, sent again on the next connection).
    held: HashMap<String, String>,
    /// The last failed `storage.set`, in words (shown in the popup until one succeeds).
    storage_error: Option<String>,
    stats: Option<Stats>,
    stats_inflight: bool,
    stats_dirty: bool,
    last_error: Option<String>,
    rng: u64,
    started: bool,
    auto: AutoDriver,
    dashboards: BTreeMap<u32, ()>,
}

fn value<T: serde::Serialize>(v: &T) -> Value {
    // Serializing our own plain types cannot fail; fall back to null rather than panic.
    serde_json::to_value(v).unwrap_or(Value::Null)
}

impl Brain {
    /// `browser`: "chrome" or "firefox" (sent in `hello`). `seed`: any number, for jitter.
    pub fn new(browser: &str, seed: u64) -> Self {
        Self {
            client: format!("swipy-extension {} {browser}", env!("CARGO_PKG_VERSION")),
            conn: Conn::new(),
            outbox: Outbox::new(),
            tabs: BTreeMap::new(),
            popups: BTreeMap::new(),
            token_known: false,
            matches_waiting: Vec::new(),
            next_id: 1,
            pending: HashMap::new(),
            sent_this_conn: HashSet::new(),
            labels: HashMap::new(),
            scores: HashMap::new(),
            score_asked: HashMap::new(),
            tries: HashMap::new(),
            held: HashMap::new(),
            storage_error: None,
            stats: None,
            stats_inflight: false,
            stats_dirty: false,
            last_error: None,
            rng: seed | 1,
            started: false,
            auto: AutoDriver::new(seed.rotate_left(17) ^ 0x5DEE_CE66),
            dashboards: BTreeMap::new(),
        }
    }

    fn jitter(&mut self) -> f64 {
        // xorshift64
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng >> 11) as f64 / (1u64 << 53) as f64
    }

    fn take_id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        id
    }

    // ----- events -------------------------------------------------------------------------

    /// The worker started: `stored` are the outbox entries read back from storage. Connects
    /// to the host.
    pub fn start(&mut self, stored: Vec<Value>, now_ms: f64) -> Vec<Action> {
        let mut out = Vec::new();
        let mut entries = Vec::new();
        for v in stored {
            match serde_json::from_value::<Entry>(v) {
                Ok(e) => entries.push(e),
                Err(e) => out.push(Action::Log(format!("skipping a broken outbox entry: {e}"))),
            }
        }
        self.outbox.load(entries);
        let loaded: Vec<(Request, String)> = self
            .outbox
            .pending()
            .map(|e| (e.request.clone(), e.key.clone()))
            .collect();
        for (req, key) in loaded {
            self.remember_label(&req, &key);
        }
        self.started = true;
        self.maybe_connect(now_ms, true, &mut out);
        self.refresh(now_ms, &mut out);
        out
    }

    /// The worker was woken (browser start, alarm): reconnect now if the host is gone.
    pub fn wake(&mut self, now_ms: f64) -> Vec<Action> {
        let mut out = Vec::new();
        self.maybe_connect(now_ms, true, &mut out);
        out
    }

    pub fn port_connected(&mut self, port: u32, kind: PortKind, now_ms: f64) -> Vec<Action> {
        let mut out = Vec::new();
        match kind {
            PortKind::Tab => {
                self.tabs.insert(port, TabState::default());
            }
            PortKind::Popup => {
                self.popups.insert(port, None);
                self.ask_stats(&mut out);
            }
            PortKind::Dashboard => {
                self.dashboards.insert(port, ());
                out.push(Action::Post {
                    port,
                    msg: self.dashboard_conn(),
                });
            }
        }
        self.maybe_connect(now_ms, true, &mut out);
        self.refresh(now_ms, &mut out);
        out
    }

    pub fn port_closed(&mut self, port: u32, now_ms: f64) -> Vec<Action> {
        let mut out = Vec::new();
        self.tabs.remove(&port);
        self.popups.remove(&port);
        self.dashboards.remove(&port);
        if self.auto.tab == Some(port) {
            // The tab auto-swipe drove is gone: like a hidden tab, it stops.
            self.auto.tab = None;
            self.auto.reset_card();
            let cmds = self.auto.machine.handle(Event::TabVisible(false), now_ms);
            self.apply_auto(cmds, now_ms, &mut out);
            let cmds = self.auto.machine.handle(Event::TabVisible(true), now_ms);
            self.apply_auto(cmds, now_ms, &mut out);
            self.refresh(now_ms, &mut out);
        }
        out
    }

    /// A message from a tab or popup port.
    pub fn port_message(&mut self, port: u32, msg: &Value, now_ms: f64) -> Vec<Action> {
        let mut out = Vec::new();
        if self.dashboards.contains_key(&port) {
            self.dashboard_message(port, msg, now_ms, &mut out);
            self.refresh(now_ms, &mut out);
            return out;
        }
        if let Some(last) = self.popups.get_mut(&port) {
            match msg.get("kind").and_then(Value::as_str) {
                Some("status") => {
                    *last = None;
                    if !self.stats_inflight {
                        self.ask_stats(&mut out);
                    }
                }
                Some("retry_waiting") => {
                    // "Retry" in the popup: quarantined and delayed entries go now (the
                    // quarantined ones still one at a time), and a lost host is tried now.
                    self.outbox.retry_now();
                    if self.conn.is_disconnected() {
                        self.conn.state = ConnState::Disconnected { retry_at_ms: None };
                        self.maybe_connect(now_ms, true, &mut out);
                    }
                    self.pump(now_ms, &mut out);
                    if let Some(last) = self.popups.get_mut(&port) {
                        *last = None;
                    }
                }
                Some("export_waiting") => out.push(Action::Post {
                    port,
                    msg: self.waiting_export(),
                }),
                Some("autoswipe_enable" | "autoswipe_set" | "autoswipe_preset") => {
                    let answer = self.autoswipe_request(msg, now_ms, &mut out);
                    if answer.get("ok") == Some(&Value::Bool(false)) {
                        out.push(Action::Post {
                            port,
                            msg: json!({"kind": "autoswipe_error", "message": answer["error"]}),
                        });
                    }
                    if let Some(last) = self.popups.get_mut(&port) {
                        *last = None;
                    }
                }
                _ => {}
            }
            self.refresh(now_ms, &mut out);
            return out;
        }
        if !self.tabs.contains_key(&port) {
            return out;
        }
        match TabMsg::parse(msg) {
            Ok(m) => self.tab_message(port, m, now_ms, &mut out),
            Err(e) => out.push(Action::Log(format!("ignored a message from a tab: {e}"))),
        }
        self.refresh(now_ms, &mut out);
        out
    }

    /// A `chrome.storage.local` write failed: the user is told (the popup shows it until a
    /// write succeeds); the entry still goes to the host from memory.
    pub fn storage_failed(&mut self, key: &str, error: &str, now_ms: f64) -> Vec<Action> {
        let mut out = vec![Action::Log(format!("storage failed for {key}: {error}"))];
        self.storage_error = Some(format!(
            "The browser refused to save Swipy's data ({error}). Labels made now are lost if the browser closes before the Swipy app saves them."
        ));
        self.refresh(now_ms, &mut out);
        out
    }

    /// A `chrome.storage.local` write succeeded after a failure.
    pub fn storage_ok(&mut self, now_ms: f64) -> Vec<Action> {
        let mut out = Vec::new();
        if self.storage_error.take().is_some() {
            self.refresh(now_ms, &mut out);
        }
        out
    }

    // ----- inspection ---------------------------------------------------------------------

    /// A snapshot for tests and the worker console. Never contains the token.
    pub fn debug_state(&self, now_ms: f64) -> Value {
        let tabs: Vec<Value> = self
            .tabs
            .iter()
            .map(|(port, t)| {
                json!({
                    "port": port,
                    "card": t.card,
                    "profile_id": t.card.as_ref().and_then(|c| t.queue.resolve(c)).map(|p| p.id.clone()),
                    "queued": t.queue.len(),
                    "upcoming": t.queue.upcoming(),
                })
            })
            .collect();
        json!({
            "connection": match &self.conn.state {
                ConnState::Ready { .. } => "connected",
                ConnState::Handshaking { .. } => "connecting",
                ConnState::Disconnected { .. } => "disconnected",
            },
            "attempts": self.conn.attempts,
            "last_error": self.last_error,
            "host_error": self.conn.last_error,
            "token_known": self.token_known,
            "outbox": self.outbox.pending().map(|e| e.key.clone()).collect::<Vec<_>>(),
            "tabs": tabs,
            "popups": self.popups.len(),
            "scores": self.scores.len(),
            "stats": self.stats,
            "autoswipe": self.auto.debug(now_ms),
            "dashboards": self.dashboards.len(),
        })
    }

    /// Outbox keys in replay order.
    pub fn outbox_keys(&self) -> Vec<String> {
        self.outbox.pending().map(|e| e.key.clone()).collect()
    }
}
