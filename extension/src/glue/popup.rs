//! The popup page: connects to the worker and renders [`PopupView`]; the auto-swipe switch
//! and settings are sent back to the worker, which validates and stores them.

use std::cell::RefCell;

use serde_json::{json, Map, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, HtmlInputElement};

use super::js;
use crate::logic::autoswipe::Settings;
use crate::logic::popup::{AutoView, PopupView};

thread_local! {
    static PORT: RefCell<Option<JsValue>> = const { RefCell::new(None) };
    /// The settings the inputs were last filled with: they are filled again only when the
    /// stored settings change (a preset, another popup, an apply), not while the user edits.
    static FILLED: RefCell<Option<Settings>> = const { RefCell::new(None) };
}

fn set_text(doc: &Document, id: &str, text: &str) {
    if let Some(el) = doc.get_element_by_id(id) {
        el.set_text_content(Some(text));
    }
}

fn show(doc: &Document, id: &str, text: Option<&str>) {
    if let Some(el) = doc.get_element_by_id(id) {
        el.set_text_content(text);
        if text.is_some() {
            let _ = el.remove_attribute("hidden");
        } else {
            let _ = el.set_attribute("hidden", "");
        }
    }
}

fn input(doc: &Document, id: &str) -> Option<HtmlInputElement> {
    doc.get_element_by_id(id)?
        .dyn_into::<HtmlInputElement>()
        .ok()
}

fn num(n: Option<u32>) -> String {
    n.map(|n| n.to_string()).unwrap_or_else(|| "–".into())
}

/// Popup input id, settings field, and the factor from the shown unit to the stored one.
const FIELDS: &[(&str, &str, f64)] = &[
    ("autoswipe-threshold", "threshold", 1.0),
    ("autoswipe-likes-cap", "likes_per_12h", 1.0),
    ("autoswipe-daily-cap", "swipes_per_24h", 1.0),
    ("autoswipe-pass-floor", "min_pass_share", 1.0),
    ("autoswipe-delay-min", "delay_min_ms", 1000.0),
    ("autoswipe-delay-max", "delay_max_ms", 1000.0),
    ("autoswipe-break-every", "break_every", 1.0),
    ("autoswipe-break-min", "break_min_ms", 1000.0),
    ("autoswipe-break-max", "break_max_ms", 1000.0),
];

fn fill_settings(doc: &Document, a: &AutoView) {
    let Ok(Value::Object(s)) = serde_json::to_value(&a.settings) else {
        return;
    };
    for (id, field, factor) in FIELDS {
        if let (Some(el), Some(v)) = (input(doc, id), s.get(*field).and_then(Value::as_f64)) {
            let shown = v / factor;
            el.set_value(&format!("{}", (shown * 1000.0).round() / 1000.0));
        }
    }
}

fn render_auto(doc: &Document, v: &PopupView) {
    let Some(a) = &v.autoswipe else { return };
    if let Some(el) = input(doc, "autoswipe-toggle") {
        el.set_checked(a.enabled);
        el.set_disabled(!v.auto_swipe_available);
    }
    if let Some(el) = input(doc, "autoswipe-dry-run") {
        el.set_checked(a.dry_run);
    }
    if let Some(el) = doc.get_element_by_id("autoswipe-status") {
        let _ = el.set_attribute("data-state", &a.state);
        el.set_text_content(Some(if a.enabled {
            &a.status
        } else if a.stop_reason.is_some() {
            "Auto-swipe stopped"
        } else {
            "Auto-swipe is off"
        }));
    }
    show(doc, "autoswipe-stop-reason", a.stop_reason.as_deref());
    if let Some(el) = doc.get_element_by_id("autoswipe-stop-reason") {
        match &a.stop_kind {
            Some(k) => {
                let _ = el.set_attribute("data-reason", k);
            }
            None => {
                let _ = el.remove_attribute("data-reason");
            }
        }
    }
    if FILLED.with(|f| f.borrow().as_ref() != Some(&a.settings)) {
        fill_settings(doc, a);
        FILLED.with(|f| *f.borrow_mut() = Some(a.settings.clone()));
    }
}

fn render(doc: &Document, v: &PopupView) {
    if let Some(el) = doc.get_element_by_id("conn") {
        let _ = el.set_attribute("data-state", &v.connection);
    }
    set_text(doc, "conn-text", &v.connection_text);
    set_text(doc, "profiles-today", &num(v.profiles_today));
    set_text(doc, "profiles-total", &num(v.profiles_total));
    set_text(doc, "labels-today", &num(v.labels_today));
    set_text(doc, "labels-total", &num(v.labels_total));
    set_text(doc, "balance", &v.balance_text);
    set_text(doc, "waiting", &v.waiting.to_string());
    set_text(doc, "auto-note", &v.auto_swipe_note);
    show(doc, "error", v.last_error.as_deref());
    show(doc, "quarantine-text", v.quarantine_text.as_deref());
    if let Some(el) = doc.get_element_by_id("quarantine") {
        if v.quarantine_text.is_some() {
            let _ = el.remove_attribute("hidden");
        } else {
            let _ = el.set_attribute("hidden", "");
        }
    }
    show(doc, "held", v.held_text.as_deref());
    show(doc, "storage-error", v.storage_error.as_deref());
    render_auto(doc, v);
}

fn post(msg: &Value) {
    PORT.with(|p| {
        if let Some(port) = p.borrow().as_ref() {
            let _ = js::call(port, "postMessage", &[&js::to_js(msg)]);
        }
    });
}

fn on(doc: &Document, id: &str, event: &str, f: impl FnMut() + 'static) {
    if let Some(el) = doc.get_element_by_id(id) {
        let cb = Closure::<dyn FnMut()>::new(f);
        let _ = el.add_event_listener_with_callback(event, cb.as_ref().unchecked_ref());
        cb.forget();
    }
}

fn wire_controls(doc: &Document) {
    let d = doc.clone();
    on(doc, "autoswipe-toggle", "change", move || {
        let on = input(&d, "autoswipe-toggle").is_some_and(|e| e.checked());
        post(&json!({"kind": "autoswipe_enable", "on": on}));
    });
    let d = doc.clone();
    on(doc, "autoswipe-dry-run", "change", move || {
        let dry = input(&d, "autoswipe-dry-run").is_some_and(|e| e.checked());
        post(&json!({"kind": "autoswipe_set", "settings": {"dry_run": dry}}));
    });
    let d = doc.clone();
    on(doc, "autoswipe-save", "click", move || {
        let mut patch = Map::new();
        for (id, field, factor) in FIELDS {
            let Some(el) = input(&d, id) else { continue };
            let raw = el.value();
            match raw.trim().parse::<f64>() {
                Ok(x) if x.is_finite() => {
                    patch.insert((*field).into(), json!(x * factor));
                }
                _ => {
                    show(
                        &d,
                        "autoswipe-settings-error",
                        Some(&format!("`{raw}` is not a number ({field})")),
                    );
                    return;
                }
            }
        }
        show(&d, "autoswipe-settings-error", None);
        FILLED.with(|f| *f.borrow_mut() = None);
        post(&json!({"kind": "autoswipe_set", "settings": patch}));
    });
    on(doc, "retry-waiting", "click", || {
        post(&json!({"kind": "retry_waiting"}));
    });
    on(doc, "export-waiting", "click", || {
        post(&json!({"kind": "export_waiting"}));
    });
    on(doc, "open-dashboard", "click", || {
        let url = js::call(
            &js::get(&js::get(&js_sys::global(), "chrome"), "runtime"),
            "getURL",
            &[&"dashboard.html".into()],
        )
        .unwrap_or_else(|_| "dashboard.html".into());
        let tabs = js::get(&js::get(&js_sys::global(), "chrome"), "tabs");
        let info = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&info, &"url".into(), &url);
        if js::call(&tabs, "create", &[&info]).is_err() {
            if let Some(w) = web_sys::window() {
                let _ = w.open_with_url(&url.as_string().unwrap_or_default());
            }
        }
    });
}

/// Offer the worker's export as a JSON file download.
fn download_json(doc: &Document, value: &JsValue, name: &str) -> Result<(), JsValue> {
    let text = js_sys::JSON::stringify_with_replacer_and_space(value, &JsValue::NULL, &2.into())?;
    super::dashboard::download(doc, name, &text.as_string().unwrap_or_default())
}

fn connect() {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let info = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&info, &"name".into(), &"popup".into());
    let port = match js::runtime_connect(&info) {
        Ok(p) => p,
        Err(e) => {
            set_text(
                &doc,
                "conn-text",
                &format!("Cannot reach Swipy's worker: {}", js::error_text(&e)),
            );
            return;
        }
    };
    let doc2 = doc.clone();
    let on_msg = Closure::<dyn FnMut(JsValue)>::new(move |msg: JsValue| {
        match js::get(&msg, "kind").as_string().as_deref() {
            Some("status") => {
                match js::from_js(js::get(&msg, "view"))
                    .and_then(|v| serde_json::from_value::<PopupView>(v).map_err(|e| e.to_string()))
                {
                    Ok(v) => render(&doc2, &v),
                    Err(e) => js::warn(&format!("swipy popup: bad status: {e}")),
                }
            }
            Some("waiting_export") => {
                if let Err(e) = download_json(&doc2, &msg, "swipy-waiting-labels.json") {
                    js::warn(&format!(
                        "swipy popup: export failed: {}",
                        js::error_text(&e)
                    ));
                }
            }
            Some("autoswipe_error") => {
                let m = js::get(&msg, "message").as_string().unwrap_or_default();
                show(&doc2, "autoswipe-settings-error", Some(&m));
                FILLED.with(|f| *f.borrow_mut() = None);
            }
            _ => {}
        }
    });
    let on_disc = Closure::<dyn FnMut(JsValue)>::new(move |_p: JsValue| {
        PORT.with(|p| *p.borrow_mut() = None);
        // The worker restarted: connect again shortly.
        let again = Closure::once_into_js(connect);
        js::set_timeout(&again, 500.0);
    });
    let _ = js::add_listener(&port, "onMessage", on_msg.as_ref());
    let _ = js::add_listener(&port, "onDisconnect", on_disc.as_ref());
    on_msg.forget();
    on_disc.forget();
    PORT.with(|p| *p.borrow_mut() = Some(port));
    post(&json!({"kind": "status"}));
}

/// Entry point of `popup.html`.
#[wasm_bindgen]
pub fn popup_start() {
    if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
        wire_controls(&doc);
    }
    connect();
}
