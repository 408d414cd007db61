//! The background worker: owns the [`Brain`], the ports and the native connection.
//!
//! A trap while the brain handles one event (a panic aborts in WebAssembly) must not brick
//! the worker: the brain is taken out of its slot for each call and put back after, so a
//! call that never returned leaves the slot empty and a flag set. The next event sees that,
//! drops every port (tabs and popups reconnect by themselves and replay what the brain
//! needs), and builds a fresh brain from storage, where every waiting label is.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};

use serde_json::Value;
use swipy_shared::HOST_NAME;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::js;
use crate::logic::auto::{SETTINGS_KEY, STATE_KEY};
use crate::logic::brain::{Action, Brain, PortKind};
use crate::logic::intake;
use crate::logic::outbox::STORAGE_PREFIX;

struct Worker {
    brain: Brain,
    timer: Option<f64>,
    auto_timer: Option<f64>,
    queue: VecDeque<Action>,
    draining: bool,
}

thread_local! {
    static WORKER: Cell<Option<Worker>> = const { Cell::new(None) };
    /// A call into the brain is running (still set after a trap).
    static BUSY: Cell<bool> = const { Cell::new(false) };
    /// A fresh brain is being built after a trap.
    static RECOVERING: Cell<bool> = const { Cell::new(false) };
    static BROWSER: RefCell<String> = const { RefCell::new(String::new()) };
    /// Tab and popup ports by number (outside the brain's slot, so a trap cannot lose them).
    static PORTS: RefCell<HashMap<u32, JsValue>> = RefCell::new(HashMap::new());
    static HOST: RefCell<Option<JsValue>> = const { RefCell::new(None) };
    /// Bumped whenever the host port is replaced, so events of an old port are ignored.
    static HOST_GEN: Cell<u32> = const { Cell::new(0) };
}

fn with<R>(f: impl FnOnce(&mut Worker) -> R) -> Option<R> {
    if BUSY.with(Cell::get) {
        // The last call never returned: it trapped, and its state is gone.
        BUSY.with(|b| b.set(false));
        recover();
        return None;
    }
    let mut w = WORKER.with(Cell::take)?;
    BUSY.with(|b| b.set(true));
    let r = f(&mut w);
    BUSY.with(|b| b.set(false));
    WORKER.with(|slot| slot.set(Some(w)));
    Some(r)
}

/// After a trap: drop every port and build a fresh brain from storage.
fn recover() {
    if RECOVERING.with(|r| r.replace(true)) {
        return;
    }
    js::warn("swipy: a worker event failed midway; starting again from storage");
    let ports = PORTS.with(|p| std::mem::take(&mut *p.borrow_mut()));
    for port in ports.values() {
        let _ = js::call(port, "disconnect", &[]);
    }
    HOST_GEN.with(|g| g.set(g.get().wrapping_add(1)));
    if let Some(port) = HOST.with(|h| h.borrow_mut().take()) {
        let _ = js::call(&port, "disconnect", &[]);
    }
    let browser = BROWSER.with(|b| b.borrow().clone());
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(e) = worker_start(browser).await {
            js::warn(&format!(
                "swipy: the worker could not start again: {}",
                js::error_text(&e)
            ));
        }
        RECOVERING.with(|r| r.set(false));
    });
}

/// Called by `background.js` when a call into the worker threw: recover at once.
#[wasm_bindgen]
pub fn worker_recover() {
    if BUSY.with(Cell::get) {
        BUSY.with(|b| b.set(false));
        recover();
    }
}

/// For the fault tests (`swipy.trap()` in the worker console): a trap inside the brain.
#[wasm_bindgen]
pub fn worker_test_trap() {
    let _ = with::<()>(|_| panic!("test trap requested from the worker console"));
}

/// Start the brain: read the outbox back from storage, then connect to the host.
#[wasm_bindgen]
pub async fn worker_start(browser: String) -> Result<(), JsValue> {
    BROWSER.with(|b| *b.borrow_mut() = browser.clone());
    let all = JsFuture::from(js::storage_get(&JsValue::NULL)?).await?;
    let mut stored = Vec::new();
    for key in js_sys::Object::keys(&all.clone().into()).iter() {
        let Some(k) = key.as_string() else { continue };
        if k.starts_with(STORAGE_PREFIX) {
            match js::from_js(js::get(&all, &k)) {
                Ok(v) => stored.push(v),
                Err(e) => js::warn(&format!("swipy: unreadable outbox entry {k}: {e}")),
            }
        }
    }
    let seed = (js_sys::Math::random() * 9.0e15) as u64;
    let mut brain = Brain::new(&browser, seed);
    let settings = js::from_js(js::get(&all, SETTINGS_KEY))
        .ok()
        .filter(|v| !v.is_null());
    let state = js::from_js(js::get(&all, STATE_KEY))
        .ok()
        .filter(|v| !v.is_null());
    let mut actions = brain.load_autoswipe(settings.as_ref(), state.as_ref());
    let offset = -js_sys::Date::new_0().get_timezone_offset();
    brain.set_utc_offset_min(offset as i32);
    actions.extend(brain.start(stored, js::now_ms()));
    WORKER.with(|w| {
        w.set(Some(Worker {
            brain,
            timer: None,
            auto_timer: None,
            queue: VecDeque::new(),
            draining: false,
        }))
    });
    run(actions);
    Ok(())
}

/// An event from `background.js`: `connect` (payload: the port, whose name `background.js`
/// checked against the sender), `message` (payload: the message as JSON text, checked
/// against the caps before it is parsed), `disconnect`, `startup`.
#[wasm_bindgen]
pub fn worker_event(kind: &str, port: u32, payload: JsValue) {
    let now = js::now_ms();
    let actions = with(|w| match kind {
        "connect" => {
            let name = js::get(&payload, "name").as_string().unwrap_or_default();
            match PortKind::from_name(&name) {
                Some(k) => {
                    PORTS.with(|p| p.borrow_mut().insert(port, payload.clone()));
                    w.brain.port_connected(port, k, now)
                }
                None => {
                    let _ = js::call(&payload, "disconnect", &[]);
                    Vec::new()
                }
            }
        }
        "message" => {
            let parsed = match payload.as_string() {
                Some(text) => intake::parse_port_text(&text),
                None => js::from_js(payload.clone()),
            };
            match parsed {
                Ok(v) => w.brain.port_message(port, &v, now),
                Err(e) => vec![Action::Log(format!("refused a port message: {e}"))],
            }
        }
        "disconnect" => {
            PORTS.with(|p| p.borrow_mut().remove(&port));
            w.brain.port_closed(port, now)
        }
        "startup" => w.brain.wake(now),
        _ => Vec::new(),
    });
    match actions {
        Some(a) => run(a),
        None if kind == "connect" => {
            // No brain right now (starting again after a trap): the port retries.
            let _ = js::call(&payload, "disconnect", &[]);
        }
        None => {}
    }
}

/// The brain's state for tests and the console (never the token).
#[wasm_bindgen]
pub fn worker_debug() -> JsValue {
    with(|w| js::to_js(&w.brain.debug_state(js::now_ms()))).unwrap_or(JsValue::NULL)
}

/// One-shot requests from extension pages and tests (`chrome.runtime.sendMessage`):
/// `autoswipe_state`, `autoswipe_enable {on}`, `autoswipe_set {settings}`,
/// `autoswipe_preset {preset}`. Returns the answer.
#[wasm_bindgen]
pub fn worker_request(msg: JsValue) -> JsValue {
    let v = match js::from_js(msg) {
        Ok(v) => v,
        Err(e) => return js::to_js(&serde_json::json!({"ok": false, "error": e})),
    };
    let r = with(|w| {
        let mut out = Vec::new();
        let answer = w.brain.autoswipe_request(&v, js::now_ms(), &mut out);
        (answer, out)
    });
    match r {
        Some((answer, out)) => {
            run(out);
            js::to_js(&answer)
        }
        None => js::to_js(&serde_json::json!({"ok": false, "error": "the worker is starting"})),
    }
}

fn run(actions: Vec<Action>) {
    let start = with(|w| {
        w.queue.extend(actions);
        if w.draining {
            false
        } else {
            w.draining = true;
            true
        }
    })
    .unwrap_or(false);
    if start {
        wasm_bindgen_futures::spawn_local(drain());
    }
}

/// Carry out queued actions one at a time, in order (a `Store` finishes before the `ToHost`
/// after it starts).
async fn drain() {
    loop {
        let next = with(|w| {
            let a = w.queue.pop_front();
            if a.is_none() {
                w.draining = false;
            }
            a
        })
        .flatten();
        let Some(action) = next else { return };
        match action {
            Action::Store { key, value } => {
                // Saves queued back to back go in one call (a host death or a worker start
                // queues many); what comes after them still waits for all of them.
                let mut items = vec![(key, value)];
                while let Some(Some(Action::Store { key, value })) =
                    with(|w| match w.queue.front() {
                        Some(Action::Store { .. }) => w.queue.pop_front(),
                        _ => None,
                    })
                {
                    items.push((key, value));
                }
                let obj = js_sys::Object::new();
                for (key, value) in &items {
                    let _ = js_sys::Reflect::set(&obj, &JsValue::from_str(key), &js::to_js(value));
                }
                let what = batch_name(items.iter().map(|(k, _)| k.as_str()), items.len());
                let r = await_storage(js::storage_set(&obj), &what).await;
                let now = js::now_ms();
                // A failed save is the user's to know, not a log line only.
                let actions = match r {
                    Ok(()) => with(|w| w.brain.storage_ok(now)),
                    Err(e) => with(|w| w.brain.storage_failed(&what, &e, now)),
                };
                if let Some(a) = actions {
                    run(a);
                }
            }
            Action::Unstore { key } => {
                let mut keys = vec![key];
                while let Some(Some(Action::Unstore { key })) = with(|w| match w.queue.front() {
                    Some(Action::Unstore { .. }) => w.queue.pop_front(),
                    _ => None,
                }) {
                    keys.push(key);
                }
                let list = js_sys::Array::new();
                for k in &keys {
                    list.push(&JsValue::from_str(k));
                }
                let what = batch_name(keys.iter().map(String::as_str), keys.len());
                let _ = await_storage(js::storage_remove(&list), &what).await;
            }
            Action::OpenHost => open_host(),
            Action::CloseHost => {
                HOST_GEN.with(|g| g.set(g.get().wrapping_add(1)));
                if let Some(port) = HOST.with(|h| h.borrow_mut().take()) {
                    let _ = js::call(&port, "disconnect", &[]);
                }
            }
            Action::ToHost(v) => {
                if let Some(port) = HOST.with(|h| h.borrow().clone()) {
                    if let Err(e) = js::call(&port, "postMessage", &[&js::to_js(&v)]) {
                        js::warn(&format!(
                            "swipy: cannot post to the host: {}",
                            js::error_text(&e)
                        ));
                    }
                }
            }
            Action::Post { port, msg } => {
                if let Some(p) = PORTS.with(|p| p.borrow().get(&port).cloned()) {
                    // A tab that just closed: nothing to do.
                    let _ = js::call(&p, "postMessage", &[&js::to_js(&msg)]);
                }
            }
            Action::TickIn(ms) => schedule_tick(ms),
            Action::AutoTickIn(ms) => schedule_auto_tick(ms),
            Action::Log(s) => js::warn(&format!("swipy: {s}")),
        }
    }
}

/// How a batch of storage keys is named in messages: the first key, and how many more.
fn batch_name<'a>(mut keys: impl Iterator<Item = &'a str>, n: usize) -> String {
    let first = keys.next().unwrap_or_default();
    if n > 1 {
        format!("{first} and {} more", n - 1)
    } else {
        first.to_owned()
    }
}

async fn await_storage(p: Result<js_sys::Promise, JsValue>, key: &str) -> Result<(), String> {
    let r = match p {
        Ok(p) => JsFuture::from(p).await.map(|_| ()),
        Err(e) => Err(e),
    };
    r.map_err(|e| {
        let text = js::error_text(&e);
        js::warn(&format!("swipy: storage failed for {key}: {text}"));
        text
    })
}

fn schedule_tick(ms: f64) {
    if let Some(Some(old)) = with(|w| w.timer.take()) {
        js::clear_timeout(old);
    }
    let f = Closure::once_into_js(move || {
        let _ = with(|w| w.timer = None);
        if let Some(a) = with(|w| w.brain.tick(js::now_ms())) {
            run(a);
        }
    });
    let handle = js::set_timeout(&f, ms.clamp(0.0, 3_600_000.0));
    let _ = with(|w| w.timer = handle);
}

/// Auto-swipe's own timer (`setTimeout`: `chrome.alarms` has a 30 s granularity; the open
/// native port keeps the worker alive).
fn schedule_auto_tick(ms: f64) {
    if let Some(Some(old)) = with(|w| w.auto_timer.take()) {
        js::clear_timeout(old);
    }
    let f = Closure::once_into_js(move || {
        let _ = with(|w| w.auto_timer = None);
        if let Some(a) = with(|w| w.brain.auto_tick(js::now_ms())) {
            run(a);
        }
    });
    let handle = js::set_timeout(&f, ms.clamp(0.0, 3_600_000.0));
    let _ = with(|w| w.auto_timer = handle);
}

fn open_host() {
    let now = js::now_ms();
    let port = match js::connect_native(HOST_NAME) {
        Ok(p) => p,
        Err(e) => {
            let reason = js::error_text(&e);
            if let Some(a) = with(|w| w.brain.host_lost(&reason, now)) {
                run(a);
            }
            return;
        }
    };
    let gen = HOST_GEN.with(|g| {
        g.set(g.get().wrapping_add(1));
        g.get()
    });
    HOST.with(|h| *h.borrow_mut() = Some(port.clone()));
    let on_msg = Closure::<dyn FnMut(JsValue)>::new(move |msg: JsValue| {
        let value: Result<Value, String> = js::from_js_walked(&msg);
        if HOST_GEN.with(Cell::get) != gen {
            return;
        }
        let actions = with(|w| match value {
            Ok(v) => w.brain.host_message(&v, js::now_ms()),
            Err(e) => vec![Action::Log(format!("unreadable host message: {e}"))],
        });
        if let Some(a) = actions {
            run(a);
        }
    });
    let on_disc = Closure::<dyn FnMut(JsValue)>::new(move |p: JsValue| {
        // Firefox: `port.error`; Chromium: `chrome.runtime.lastError`.
        let mut reason = js::get(&js::get(&p, "error"), "message").as_string();
        if reason.is_none() {
            let last = js::get(
                &js::get(&js::get(&js_sys::global(), "chrome"), "runtime"),
                "lastError",
            );
            reason = js::get(&last, "message").as_string();
        }
        let reason = reason.unwrap_or_else(|| "Native host has exited.".into());
        if HOST_GEN.with(Cell::get) != gen {
            return;
        }
        HOST.with(|h| *h.borrow_mut() = None);
        let actions = with(|w| w.brain.host_lost(&reason, js::now_ms()));
        if let Some(a) = actions {
            run(a);
        }
    });
    let ok = js::add_listener(&port, "onMessage", on_msg.as_ref())
        .and_then(|_| js::add_listener(&port, "onDisconnect", on_disc.as_ref()));
    on_msg.forget();
    on_disc.forget();
    let actions = match ok {
        Ok(()) => with(|w| w.brain.host_opened(now)),
        Err(e) => with(|w| w.brain.host_lost(&js::error_text(&e), now)),
    };
    if let Some(a) = actions {
        run(a);
    }
}
