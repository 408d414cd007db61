//! The popup page: connects to the worker and renders [`PopupView`].

use wasm_bindgen::prelude::*;
use web_sys::Document;

use super::js;
use crate::logic::popup::PopupView;

fn set_text(doc: &Document, id: &str, text: &str) {
    if let Some(el) = doc.get_element_by_id(id) {
        el.set_text_content(Some(text));
    }
}

fn num(n: Option<u32>) -> String {
    n.map(|n| n.to_string()).unwrap_or_else(|| "–".into())
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
    if let Some(el) = doc.get_element_by_id("error") {
        el.set_text_content(v.last_error.as_deref());
        if v.last_error.is_some() {
            let _ = el.remove_attribute("hidden");
        } else {
            let _ = el.set_attribute("hidden", "");
        }
    }
    if let Some(el) = doc.get_element_by_id("auto-swipe") {
        if v.auto_swipe_available {
            let _ = el.remove_attribute("disabled");
        } else {
            let _ = el.set_attribute("disabled", "");
        }
    }
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
        if js::get(&msg, "kind").as_string().as_deref() != Some("status") {
            return;
        }
        match serde_wasm_bindgen::from_value::<PopupView>(js::get(&msg, "view")) {
            Ok(v) => render(&doc2, &v),
            Err(e) => js::warn(&format!("swipy popup: bad status: {e}")),
        }
    });
    let on_disc = Closure::<dyn FnMut(JsValue)>::new(move |_p: JsValue| {
        // The worker restarted: connect again shortly.
        let again = Closure::once_into_js(connect);
        js::set_timeout(&again, 500.0);
    });
    let _ = js::add_listener(&port, "onMessage", on_msg.as_ref());
    let _ = js::add_listener(&port, "onDisconnect", on_disc.as_ref());
    on_msg.forget();
    on_disc.forget();
    let req = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&req, &"kind".into(), &"status".into());
    let _ = js::call(&port, "postMessage", &[&req]);
}

/// Entry point of `popup.html`.
#[wasm_bindgen]
pub fn popup_start() {
    connect();
}
