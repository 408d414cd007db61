//! The worker's brain: one state machine fed with browser events, answering with
//! [`Action`]s for the glue to carry out in order. No I/O here, so every routing decision is
//! tested natively.
//!
//! Ports: each tab's `content.js` and each open popup hold a `chrome.runtime` port, known
//! here by a number the glue assigns. The host is the one native port.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{json, Value};
use swipy_shared::{
    Envelope, ErrorBody, ErrorCode, LabelSource, Request, Response, Score, Stats,
    MAX_FRAME_FROM_BROWSER, MAX_IDS_PER_REQUEST, PROTOCOL_VERSION,
};

use super::auto::{self, AutoDriver};
use super::autoswipe::{self as aswipe, Card, Command, Event};
use super::cards::CardQueue;
use super::conn::{Conn, ConnState};
use super::dialogs::{self, ButtonFacts, DialogSummary};
use super::outbox::{self, Added, Entry, Outbox};
use super::page::{BadgeView, CardFacts, ClickTarget, LabelView, TabMsg, ToTab};
use super::popup::{self, PopupView};
use swipy_shared::Verdict;

/// Re-ask for a score that was not ready after this long.
const SCORE_RETRY_MS: f64 = 5_000.0;
/// The same for the card auto-swipe waits on (the host answers, it never pushes, a score).
const AUTO_SCORE_RETRY_MS: f64 = 1_500.0;

/// Captured matches answers kept while the host is away (both lists, twice over).
const MAX_MATCHES_WAITING: usize = 4;

/// Scores asked ahead for the cards after the top one.
const PREFETCH_SCORES: usize = 3;

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

/// Requests a dashboard may relay to the host.
const DASHBOARD_TYPES: &[&str] = &[
    "stats",
    "history",
    "profiles",
    "train",
    "settings_get",
    "settings_set",
    "label",
    "scores",
];

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

    fn tab_message(&mut self, port: u32, m: TabMsg, now_ms: f64, out: &mut Vec<Action>) {
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
                        "threshold".into(),
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
                            state: "no_model".into(),
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

    // ----- internals ----------------------------------------------------------------------

    /// The host died: every outbox entry in flight counts it; those in flight at
    /// [`outbox::QUARANTINE_AFTER`] deaths are quarantined (kept, shown, retried alone and
    /// later). The host dies for reasons that have nothing to do with an entry (photo
    /// fetch, model warm-up, training), so no label is ever dropped for it; only a recs page
    /// that was the sole request in flight at each death is.
    fn count_death(&mut self, now_ms: f64, out: &mut Vec<Action>) {
        let in_flight: Vec<String> = self
            .pending
            .values()
            .filter_map(|p| match p {
                Pending::Outbox(k) => Some(k.clone()),
                _ => None,
            })
            .collect();
        let sole = self.pending.len() == 1;
        let died = self.outbox.host_died(&in_flight, sole, now_ms);
        for e in &died.store {
            out.push(Action::Store {
                key: outbox::storage_key(&e.key),
                value: value(e),
            });
        }
        for k in &died.quarantined {
            out.push(Action::Log(format!(
                "the host stopped {} times while {k} was in flight; it waits in quarantine and is retried alone",
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

    /// The host answered an outbox entry with an error. Transient errors are retried with
    /// backoff on the same connection; an entry the host refuses or does not understand
    /// waits (stored, shown in the popup) for the next connection — a recs page the host
    /// refuses is dropped, a label never.
    fn outbox_error(
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
                let delay = super::conn::backoff_ms(n, self.jitter());
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

    /// Send what may go now, in creation order: every entry not yet sent on this
    /// connection whose delay is over; quarantined entries one at a time.
    fn pump(&mut self, now_ms: f64, out: &mut Vec<Action>) {
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

    /// The labels and swipes waiting, as the popup's "Export waiting labels" file.
    fn waiting_export(&self) -> Value {
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

    fn maybe_connect(&mut self, now_ms: f64, eager: bool, out: &mut Vec<Action>) {
        if self.started && self.conn.should_connect(now_ms, eager) {
            // Mark the attempt so a burst of events opens one port only.
            self.conn.state = ConnState::Handshaking {
                hello_id: 0,
                since_ms: now_ms,
            };
            out.push(Action::OpenHost);
        }
    }

    fn schedule(&self, now_ms: f64, out: &mut Vec<Action>) {
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
    fn send_matches(&mut self, out: &mut Vec<Action>) {
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

    fn enqueue(&mut self, key: String, req: Request, now_ms: f64, out: &mut Vec<Action>) {
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

    fn remember_label(&mut self, req: &Request, key: &str) {
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

    fn acked(&mut self, key: &str, now_ms: f64, out: &mut Vec<Action>) {
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

    fn ask_stats(&mut self, out: &mut Vec<Action>) {
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

    fn ask_scores(&mut self, ids: Vec<String>, now_ms: f64, out: &mut Vec<Action>) {
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
            Some(s) if s.state == "no_model" => BadgeView {
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

    /// Post what changed to tabs and popups; ask for scores the top cards need.
    fn refresh(&mut self, now_ms: f64, out: &mut Vec<Action>) {
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

    // ----- auto-swipe ---------------------------------------------------------------------

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

    fn model_known(&self) -> bool {
        self.conn.model_version().is_some()
            || self
                .stats
                .as_ref()
                .is_some_and(|s| s.model_version.is_some())
    }

    /// The driving tab's top card as auto-swipe sees it.
    fn auto_card(&self) -> Option<Card> {
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
    fn drive_tab(&mut self, port: u32, now_ms: f64, out: &mut Vec<Action>) {
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

    fn feed_top_card(&mut self, now_ms: f64, out: &mut Vec<Action>) {
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
    fn apply_auto(&mut self, cmds: Vec<Command>, now_ms: f64, out: &mut Vec<Action>) {
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
    fn patch_auto_settings(
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

    // ----- dashboard ----------------------------------------------------------------------

    fn dashboard_conn(&self) -> Value {
        json!({
            "kind": "conn",
            "connected": self.conn.is_ready(),
            "model_version": self.conn.model_version(),
        })
    }

    /// `{kind: "host", req, type, data}`: relay one request to the host; the answer comes
    /// back as `{kind: "host_reply", req, msg}` (or `{..., error}`).
    fn dashboard_message(&mut self, port: u32, msg: &Value, now_ms: f64, out: &mut Vec<Action>) {
        if msg.get("kind").and_then(Value::as_str) != Some("host") {
            return;
        }
        let req = msg.get("req").and_then(Value::as_f64).unwrap_or(0.0);
        let fail = |why: String| Action::Post {
            port,
            msg: json!({"kind": "host_reply", "req": req, "error": why}),
        };
        let kind = msg.get("type").and_then(Value::as_str).unwrap_or("");
        if !DASHBOARD_TYPES.contains(&kind) {
            out.push(fail(format!("the dashboard may not send `{kind}`")));
            return;
        }
        if !self.conn.is_ready() {
            out.push(fail("not connected to the Swipy app".into()));
            return;
        }
        let body = json!({"type": kind, "data": msg.get("data").cloned().unwrap_or(json!({}))});
        let request: Request = match serde_json::from_value(body) {
            Ok(r) => r,
            Err(e) => {
                out.push(fail(format!("bad `{kind}` request: {e}")));
                return;
            }
        };
        if let Request::Label { source, .. } = &request {
            if *source != LabelSource::Dashboard {
                out.push(fail("dashboard labels must have source `dashboard`".into()));
                return;
            }
        }
        if let Request::SettingsSet { values } = &request {
            // The dashboard's "Like threshold" is the auto-swipe threshold (the popup's too).
            if let Some(t) = values.get("threshold").and_then(Value::as_f64) {
                let mut patch = serde_json::Map::new();
                patch.insert("threshold".into(), json!(t));
                let base = self.auto.machine.settings().clone();
                if let Err(why) = self.patch_auto_settings(&base, &patch, now_ms, out) {
                    out.push(fail(format!("threshold: {why}")));
                    return;
                }
            }
        }
        let id = self.take_id();
        self.pending.insert(id, Pending::Dashboard { port, req });
        out.push(Action::ToHost(value(&Envelope::new(id, request))));
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

#[cfg(test)]
#[path = "brain_tests.rs"]
mod tests;
