//! Integration tests of the extension crate: the manifest source, and a whole browsing
//! session driven through the brain against a simulated host and storage — every frame the
//! brain sends must be a request the real host decoder accepts.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use base64::Engine as _;
use serde_json::{json, Value};
use sha2::Digest as _;
use swipy_extension::logic::brain::{Action, Brain, PortKind};
use swipy_shared::{decode_request, Request};

fn static_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("static")
}

fn manifest() -> Value {
    let text = std::fs::read_to_string(static_dir().join("manifest.json")).expect("manifest");
    serde_json::from_str(&text).expect("manifest is JSON")
}

#[test]
fn the_manifest_key_gives_the_published_extension_id() {
    let key = manifest()["key"].as_str().expect("key").to_owned();
    let der = base64::engine::general_purpose::STANDARD
        .decode(key)
        .expect("base64 key");
    let hash = sha2::Sha256::digest(&der);
    let id: String = hash
        .iter()
        .take(16)
        .flat_map(|b| [b >> 4, b & 0xf])
        .map(|n| char::from(b'a' + n))
        .collect();
    let published = std::fs::read_to_string(static_dir().join("EXTENSION_ID")).expect("id file");
    assert_eq!(published.trim(), id);
}

#[test]
fn the_manifest_allows_wasm_and_hooks_the_page_early() {
    let m = manifest();
    assert_eq!(m["manifest_version"], 3);
    let csp = m["content_security_policy"]["extension_pages"]
        .as_str()
        .expect("csp");
    assert!(csp.contains("'wasm-unsafe-eval'") && csp.contains("script-src 'self'"));
    let perms: Vec<&str> = m["permissions"]
        .as_array()
        .expect("perms")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(perms.contains(&"nativeMessaging") && perms.contains(&"storage"));
    let scripts = m["content_scripts"].as_array().expect("content scripts");
    let hook = scripts
        .iter()
        .find(|s| s["js"][0] == "hook.js")
        .expect("hook.js");
    assert_eq!(hook["world"], "MAIN");
    assert_eq!(hook["run_at"], "document_start");
    assert_eq!(hook["matches"][0], "https://tinder.com/*");
    let content = scripts
        .iter()
        .find(|s| s["js"][0] == "content.js")
        .expect("content.js");
    assert!(
        content.get("world").is_none(),
        "content.js runs in the isolated world"
    );
    assert_eq!(
        content["run_at"], "document_start",
        "must listen before the page fetches"
    );
    assert_eq!(m["background"]["type"], "module");
    for f in [
        "hook.js",
        "content.js",
        "background.js",
        "popup.html",
        "popup.js",
    ] {
        assert!(static_dir().join(f).is_file(), "{f} missing");
    }
    // Nothing of Swipy's styles reaches tinder.com's document: the overlay's style lives in
    // its closed shadow root.
    assert!(
        scripts.iter().all(|s| s.get("css").is_none()),
        "a content script injects a stylesheet into the page"
    );
}

/// chrome.storage.local, a host that records what it stored, and the brain's ports.
struct World {
    storage: BTreeMap<String, Value>,
    host_up: bool,
    host_open: bool,
    /// Idempotency keys the host has committed (a replay is a no-op).
    host_keys: HashSet<String>,
    host_labels: Vec<(String, String, String)>,
    /// Captured matches answers the host received.
    host_matches: Vec<Value>,
    posted: Vec<(u32, Value)>,
    now: f64,
    /// P(like) the host knows per profile (a model exists when not empty).
    scores: BTreeMap<String, f64>,
    /// When the auto-swipe timer fires next (absolute ms).
    auto_at: Option<f64>,
    swipe_results: Vec<Value>,
}

impl World {
    fn new() -> Self {
        Self {
            storage: BTreeMap::new(),
            host_up: true,
            host_open: false,
            host_keys: HashSet::new(),
            host_labels: Vec::new(),
            host_matches: Vec::new(),
            posted: Vec::new(),
            now: 1_764_331_200_000.0,
            scores: BTreeMap::new(),
            auto_at: None,
            swipe_results: Vec::new(),
        }
    }

    /// Carry out actions like the glue does, feeding the host's answers back.
    fn run(&mut self, brain: &mut Brain, actions: Vec<Action>) {
        let mut queue: std::collections::VecDeque<Action> = actions.into();
        while let Some(a) = queue.pop_front() {
            match a {
                Action::Store { key, value } => {
                    self.storage.insert(key, value);
                }
                Action::Unstore { key } => {
                    self.storage.remove(&key);
                }
                Action::OpenHost => {
                    let more = if self.host_up {
                        self.host_open = true;
                        brain.host_opened(self.now)
                    } else {
                        brain.host_lost("Specified native messaging host not found.", self.now)
                    };
                    queue.extend(more);
                }
                Action::CloseHost => self.host_open = false,
                Action::ToHost(v) => {
                    assert!(self.host_open, "sent to a closed port: {v}");
                    // The real host's decoder must accept every frame we send.
                    let bytes = serde_json::to_vec(&v).expect("json");
                    let env = decode_request(&bytes).unwrap_or_else(|e| panic!("{v}: {e:?}"));
                    if let Some(answer) = self.host_answer(env.id, env.body) {
                        queue.extend(brain.host_message(&answer, self.now));
                    }
                }
                Action::Post { port, msg } => self.posted.push((port, msg)),
                Action::AutoTickIn(ms) => self.auto_at = Some(self.now + ms),
                Action::TickIn(_) | Action::Log(_) => {}
            }
        }
    }

    fn host_answer(&mut self, id: u32, req: Request) -> Option<Value> {
        let reply = |kind: &str, data: Value| {
            Some(json!({"v": 1, "id": 10_000 + id, "re": id, "type": kind, "data": data}))
        };
        let text = serde_json::to_string(&req).unwrap_or_default();
        assert!(
            !text.contains("tok-"),
            "the page's token reached the host: {text}"
        );
        match req {
            Request::Hello { .. } => reply(
                "hello",
                json!({"protocol": 1, "host_version": "test",
                       "model_version": if self.scores.is_empty() { None } else { Some(1) }}),
            ),
            Request::Matches { body, .. } => {
                self.host_matches.push(body);
                reply("ack", json!({"key": null}))
            }
            Request::Recs { body, .. } => {
                let ids: Vec<Value> = body["data"]["results"]
                    .as_array()
                    .map(|r| r.iter().map(|u| u["user"]["_id"].clone()).collect())
                    .unwrap_or_default();
                reply(
                    "ingested",
                    json!({"profiles": ids.len(), "new_profiles": ids.len(), "skipped": 0, "ids": ids, "rate_limited": false}),
                )
            }
            Request::Label {
                profile_id,
                verdict,
                source,
                key,
                ..
            }
            | Request::SwipeSeen {
                profile_id,
                verdict,
                source,
                key,
                ..
            } => {
                if self.host_keys.insert(key.clone()) {
                    self.host_labels.push((
                        profile_id,
                        verdict.as_str().into(),
                        source.as_str().into(),
                    ));
                }
                reply("ack", json!({"key": key}))
            }
            Request::Scores { ids } => {
                let scores: Vec<Value> = ids
                    .iter()
                    .map(|i| match self.scores.get(i) {
                        Some(p) => json!({"id": i, "p_like": p, "parts": {"photo": p, "face": null, "text": null, "meta": null}, "model_version": 1, "state": "ready"}),
                        None => json!({"id": i, "p_like": null, "parts": {}, "model_version": null, "state": "no_model"}),
                    })
                    .collect();
                reply("scores", json!({"scores": scores}))
            }
            Request::SwipeResult { ref key, .. } => {
                let key = key.clone();
                self.swipe_results
                    .push(serde_json::to_value(&req).expect("json"));
                reply("ack", json!({"key": key}))
            }
            _ => None,
        }
    }

    fn crash_host(&mut self, brain: &mut Brain) {
        self.host_up = false;
        self.host_open = false;
        let a = brain.host_lost("Native host has exited.", self.now);
        self.run(brain, a);
    }

    fn tab(&mut self, brain: &mut Brain, msg: Value) {
        let a = brain.port_message(1, &msg, self.now);
        self.run(brain, a);
    }

    fn outbox(&self) -> Vec<Value> {
        self.storage
            .iter()
            .filter(|(k, _)| k.starts_with("outbox:"))
            .map(|(_, v)| v.clone())
            .collect()
    }
}

fn recs() -> Value {
    json!({"meta": {"status": 200}, "data": {"results": [
        {"type": "user", "user": {"_id": "5f0000000000000000000001", "name": "Anna", "birth_date": "1998-01-01T00:00:00Z"}},
        {"type": "user", "user": {"_id": "5f0000000000000000000002", "name": "Bea", "birth_date": "1995-01-01T00:00:00Z"}},
        {"type": "user", "user": {"_id": "5f0000000000000000000003", "name": "Cleo", "hide_age": true}}
    ]}})
}

#[test]
fn nothing_is_lost_when_the_host_crashes_and_the_worker_restarts() {
    let mut w = World::new();
    let mut brain = Brain::new("chrome", 11);
    let a = brain.start(vec![], w.now);
    w.run(&mut brain, a);
    let a = brain.port_connected(1, PortKind::Tab, w.now);
    w.run(&mut brain, a);
    w.tab(&mut brain, json!({"kind": "token", "token": "tok-abc"}));
    w.tab(
        &mut brain,
        json!({"kind": "matches", "body": {"data": {"matches": []}}, "at_ms": w.now}),
    );
    w.tab(
        &mut brain,
        json!({"kind": "recs", "body": recs(), "at_ms": w.now}),
    );
    w.tab(
        &mut brain,
        json!({"kind": "card", "card": {"name": "Anna", "age": 27}}),
    );
    // Overlay label on Anna, then the page's own like of Anna.
    w.tab(
        &mut brain,
        json!({"kind": "label", "verdict": "nope", "card": {"name": "Anna", "age": 27}}),
    );
    w.now += 1_000.0;
    w.tab(&mut brain, json!({"kind": "swipe", "profile_id": "5f0000000000000000000001", "verdict": "like", "at_ms": w.now, "status": 200}));
    assert_eq!(w.host_labels.len(), 2);
    assert!(w.outbox().is_empty(), "acknowledged entries leave storage");
    assert_eq!(w.host_matches, [json!({"data": {"matches": []}})]);

    // The host crashes; the user labels Bea and swipes her.
    w.crash_host(&mut brain);
    w.tab(
        &mut brain,
        json!({"kind": "card", "card": {"name": "Bea", "age": 30}}),
    );
    w.now += 1_000.0;
    w.tab(
        &mut brain,
        json!({"kind": "label", "verdict": "like", "card": {"name": "Bea", "age": 30}}),
    );
    w.now += 1_000.0;
    w.tab(&mut brain, json!({"kind": "swipe", "profile_id": "5f0000000000000000000002", "verdict": "nope", "at_ms": w.now}));
    assert_eq!(w.outbox().len(), 2, "both wait in storage");
    let overlay = w
        .posted
        .iter()
        .rev()
        .find(|(_, m)| m["kind"] == "card_info")
        .expect("info");
    assert_eq!(overlay.1["host_connected"], false);

    // The worker is killed too; a new one starts from storage while the host is back.
    w.host_up = true;
    let mut brain = Brain::new("chrome", 12);
    let stored = w.outbox();
    let a = brain.start(stored, w.now);
    w.run(&mut brain, a);
    assert!(w.outbox().is_empty(), "replayed and acknowledged");
    let got: Vec<(&str, &str, &str)> = w
        .host_labels
        .iter()
        .map(|(p, v, s)| (&p[p.len() - 1..], v.as_str(), s.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("1", "nope", "overlay"),
            ("1", "like", "swipe"),
            ("2", "like", "overlay"),
            ("2", "nope", "swipe")
        ]
    );
    // The token never left the page's tab (the fake host asserts it on every request).
    assert!(!w
        .storage
        .values()
        .any(|v| v.to_string().contains("tok-abc")));

    // A content script replaying its history after the restart is harmless.
    let a = brain.port_connected(1, PortKind::Tab, w.now);
    w.run(&mut brain, a);
    w.tab(&mut brain, json!({"kind": "swipe", "profile_id": "5f0000000000000000000002", "verdict": "nope", "at_ms": w.now}));
    assert_eq!(
        w.host_labels.len(),
        4,
        "a duplicate key is not a second label"
    );
}

/// The mock page of this test: a card stack that swipes when a key is pressed on it.
struct Page {
    cards: Vec<(&'static str, &'static str, Option<u32>)>,
}

impl Page {
    fn top(&self) -> Value {
        match self.cards.first() {
            Some((_, name, age)) => json!({"kind": "card", "card": {"name": name, "age": age}}),
            None => json!({"kind": "card", "card": null}),
        }
    }
}

#[test]
fn auto_swipe_drives_the_page_and_every_decision_reaches_the_host_as_auto() {
    let mut w = World::new();
    for (id, p) in [("1", 0.8), ("2", 0.2), ("3", 0.9)] {
        w.scores.insert(format!("5f000000000000000000000{id}"), p);
    }
    let mut brain = Brain::new("chrome", 5);
    let a = brain.start(vec![], w.now);
    w.run(&mut brain, a);
    let a = brain.port_connected(1, PortKind::Tab, w.now);
    w.run(&mut brain, a);
    w.tab(&mut brain, json!({"kind": "token", "token": "tok-xyz"}));
    w.tab(
        &mut brain,
        json!({"kind": "recs", "body": recs(), "at_ms": w.now}),
    );
    let mut page = Page {
        cards: vec![
            ("5f0000000000000000000001", "Anna", Some(27)),
            ("5f0000000000000000000002", "Bea", Some(30)),
            ("5f0000000000000000000003", "Cleo", None),
        ],
    };
    w.tab(&mut brain, page.top());
    // Fast test timings, at most one like per 12 h; then switch on.
    let mut out = Vec::new();
    let r = brain.autoswipe_request(
        &json!({"kind": "autoswipe_preset", "preset": "fast_test", "likes_per_12h": 1}),
        w.now,
        &mut out,
    );
    assert_eq!(r["ok"], true, "{r}");
    brain.autoswipe_request(
        &json!({"kind": "autoswipe_enable", "on": true}),
        w.now,
        &mut out,
    );
    w.run(&mut brain, out);

    let mut pressed = Vec::new();
    for _ in 0..50 {
        let Some(at) = w.auto_at.take() else { break };
        w.now = w.now.max(at);
        let before = w.posted.len();
        let a = brain.auto_tick(w.now);
        w.run(&mut brain, a);
        let presses: Vec<Value> = w.posted[before..]
            .iter()
            .filter(|(_, m)| m["kind"] == "press")
            .map(|(_, m)| m.clone())
            .collect();
        for p in presses {
            // The page swipes its top card the way the key says, then shows the next one.
            let (id, _, _) = page.cards.remove(0);
            assert_eq!(p["profile_id"], id, "pressed on the top card");
            let verdict = if p["key"] == "ArrowRight" {
                "like"
            } else {
                "nope"
            };
            pressed.push((id, verdict));
            w.now += 80.0;
            let response = if verdict == "like" {
                json!({"match": false, "likes_remaining": 99})
            } else {
                Value::Null
            };
            w.tab(
                &mut brain,
                json!({"kind": "swipe", "profile_id": id, "verdict": verdict,
                                    "at_ms": w.now, "status": 200, "response": response}),
            );
            w.tab(&mut brain, page.top());
        }
    }
    assert_eq!(
        pressed,
        [
            ("5f0000000000000000000001", "like"),
            ("5f0000000000000000000002", "nope")
        ],
        "0.8 liked, 0.2 passed, and 0.9 not liked: the cap of 1 like was reached"
    );
    let labels: Vec<(&str, &str)> = w
        .host_labels
        .iter()
        .map(|(_, v, s)| (v.as_str(), s.as_str()))
        .collect();
    assert_eq!(labels, [("like", "auto"), ("nope", "auto")]);
    assert_eq!(w.swipe_results.len(), 2);
    assert_eq!(w.swipe_results[0]["data"]["score"], 0.8);
    assert_eq!(w.swipe_results[1]["data"]["verdict"], "nope");
    let state =
        brain.autoswipe_request(&json!({"kind": "autoswipe_state"}), w.now, &mut Vec::new());
    assert_eq!(state["enabled"], false);
    assert_eq!(state["last_stop"]["kind"], "likes_cap");
    assert_eq!(
        w.storage["autoswipe:settings"]["enabled"], false,
        "saved as off"
    );
    assert_eq!(
        w.storage["autoswipe:state"]["likes_ms"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "the likes log survives a restart"
    );
    assert!(w.outbox().is_empty(), "everything was acknowledged");
}
