//! The dashboard page: talks to the host through the worker (port `dashboard`), renders the
//! charts and lists that `logic::dash` builds, and sends relabels, training, settings and
//! export requests.

use std::cell::RefCell;
use std::collections::HashMap;

use serde_json::{json, Map, Value};
use swipy_shared::{Envelope, HostSetting, ProfileItem, Response};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlInputElement, HtmlSelectElement};

use super::js;
use crate::logic::dash::{self, Frame};

const PAGE: u32 = 20;
const EXPORT_PAGE: u32 = 50;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tag {
    Stats,
    History,
    Profiles,
    Train,
    SettingsGet,
    SettingsSet,
    Label,
    Export,
}

struct Dash {
    doc: Document,
    port: Option<JsValue>,
    next_req: u32,
    pending: HashMap<u32, Tag>,
    offset: u32,
    total: u32,
    exported: Vec<ProfileItem>,
    exporting: bool,
}

thread_local! {
    static DASH: RefCell<Option<Dash>> = const { RefCell::new(None) };
}

fn with<R>(f: impl FnOnce(&mut Dash) -> R) -> Option<R> {
    DASH.with(|d| d.borrow_mut().as_mut().map(f))
}

fn el(doc: &Document, id: &str) -> Option<Element> {
    doc.get_element_by_id(id)
}

fn set_text(doc: &Document, id: &str, text: &str) {
    if let Some(e) = el(doc, id) {
        e.set_text_content(Some(text));
    }
}

fn set_html(doc: &Document, id: &str, html: &str) {
    if let Some(e) = el(doc, id) {
        e.set_inner_html(html);
    }
}

fn set_attr(doc: &Document, id: &str, name: &str, value: &str) {
    if let Some(e) = el(doc, id) {
        let _ = e.set_attribute(name, value);
    }
}

fn error(doc: &Document, text: Option<&str>) {
    if let Some(e) = el(doc, "dash-error") {
        e.set_text_content(text);
        if text.is_some() {
            let _ = e.remove_attribute("hidden");
        } else {
            let _ = e.set_attribute("hidden", "");
        }
    }
}

/// Send one host request through the worker.
fn request(kind: &str, data: Value, tag: Tag) {
    with(|d| {
        let Some(port) = d.port.clone() else {
            error(&d.doc, Some("Not connected to Swipy's worker."));
            return;
        };
        d.next_req = d.next_req.wrapping_add(1).max(1);
        let req = d.next_req;
        d.pending.insert(req, tag);
        let msg = json!({"kind": "host", "req": req, "type": kind, "data": data});
        let _ = js::call(&port, "postMessage", &[&js::to_js(&msg)]);
    });
}

fn filter_value(doc: &Document) -> String {
    el(doc, "profiles-filter")
        .and_then(|e| e.dyn_into::<HtmlSelectElement>().ok())
        .map(|s| s.value())
        .unwrap_or_else(|| "all".into())
}

fn load_profiles() {
    let Some((offset, filter)) = with(|d| (d.offset, filter_value(&d.doc))) else {
        return;
    };
    request(
        "profiles",
        json!({"limit": PAGE, "offset": offset, "filter": filter}),
        Tag::Profiles,
    );
}

fn load_all() {
    request("stats", json!({}), Tag::Stats);
    request("history", json!({}), Tag::History);
    request("settings_get", json!({}), Tag::SettingsGet);
    load_profiles();
}

fn train_state(doc: &Document, state: &str, value: f64, max: f64, text: &str) {
    if let Some(e) = el(doc, "train-progress") {
        let _ = e.set_attribute("data-state", state);
        let _ = e.set_attribute("value", &value.to_string());
        let _ = e.set_attribute("max", &max.to_string());
    }
    set_text(doc, "train-progress-text", text);
    if let Some(b) = el(doc, "train-now") {
        if state == "running" {
            let _ = b.set_attribute("disabled", "");
        } else {
            let _ = b.remove_attribute("disabled");
        }
    }
}

fn on_response(doc: &Document, tag: Option<Tag>, env: Envelope<Response>) {
    match env.body {
        Response::Error(e) => {
            let words = format!("{} (code {})", e.message, e.code);
            match tag {
                Some(Tag::Train) => {
                    train_state(doc, "error", 0.0, 1.0, "");
                    set_text(doc, "train-result", &format!("Training failed: {words}"));
                }
                Some(Tag::SettingsSet) => set_text(doc, "settings-status", &words),
                Some(Tag::Export) => {
                    let _ = with(|d| d.exporting = false);
                    set_text(doc, "export-status", &words);
                }
                _ => error(doc, Some(&words)),
            }
        }
        Response::Stats(s) => {
            set_attr(
                doc,
                "metrics",
                "data-model-version",
                &s.model_version.map(|v| v.to_string()).unwrap_or_default(),
            );
            set_html(
                doc,
                "metrics",
                &dash::metrics_html(s.metrics.as_ref(), s.model_version),
            );
            set_text(
                doc,
                "label-balance",
                &dash::balance_text(s.likes + s.superlikes, s.nopes),
            );
            for (id, text) in dash::count_cells(&s) {
                set_text(doc, id, &text);
            }
            let roc = s
                .metrics
                .as_ref()
                .map(|m| m.roc.clone())
                .unwrap_or_default();
            if s.metrics.is_some() {
                set_html(doc, "roc-curve", &dash::roc_svg(&roc, &Frame::default()));
            } else {
                set_html(doc, "roc-curve", "<p>No model yet.</p>");
            }
        }
        Response::History(h) => {
            let wide = Frame {
                width: 420.0,
                ..Frame::default()
            };
            set_html(doc, "counts-chart", &dash::counts_svg(&h.days, &wide, 30));
            set_html(
                doc,
                "score-histogram",
                &dash::histogram_svg(&h.histogram, &Frame::default()),
            );
            let r = &h.match_rates;
            if let Some(root) = el(doc, "match-rates") {
                for (which, text) in [
                    (
                        "auto",
                        dash::rate_text(r.auto_matches, r.auto_likes, r.auto_rate),
                    ),
                    (
                        "user",
                        dash::rate_text(r.user_matches, r.user_likes, r.user_rate),
                    ),
                ] {
                    if let Ok(Some(e)) = root.query_selector(&format!("[data-rate=\"{which}\"]")) {
                        e.set_text_content(Some(&text));
                    }
                }
            }
        }
        Response::Profiles { total, items } => {
            if tag == Some(Tag::Export) {
                export_page(doc, total, items);
                return;
            }
            let html: String = items.iter().map(dash::profile_row).collect();
            set_html(doc, "profiles-list", &html);
            let offset = with(|d| {
                d.total = total;
                d.offset
            })
            .unwrap_or(0);
            let last = (offset + items.len() as u32).min(total);
            set_text(
                doc,
                "profiles-page",
                &if total == 0 {
                    "no profiles".to_owned()
                } else {
                    format!("{}–{last} of {total}", offset + 1)
                },
            );
        }
        Response::Settings { values } => {
            if tag == Some(Tag::SettingsSet) {
                set_text(doc, "settings-status", "saved ✓");
            }
            fill_settings(doc, &values);
        }
        Response::TrainProgress { stage, done, total } => {
            let (v, m, text) = dash::progress(&stage, done, total);
            let _ = el(doc, "train-progress").map(|e| e.set_attribute("data-stage", &stage));
            train_state(doc, "running", v, m, &text);
        }
        Response::Trained {
            model_version,
            metrics,
        } => {
            train_state(doc, "done", 1.0, 1.0, "");
            set_text(
                doc,
                "train-result",
                &format!(
                    "Model v{model_version} trained: ROC AUC {:.3} over {} folds ({} likes, {} nopes)",
                    metrics.roc_auc, metrics.folds, metrics.n_like, metrics.n_nope
                ),
            );
            request("stats", json!({}), Tag::Stats);
            request("history", json!({}), Tag::History);
            load_profiles();
        }
        Response::Ack { .. } => match tag {
            Some(Tag::Label) => {
                request("stats", json!({}), Tag::Stats);
                request("history", json!({}), Tag::History);
                load_profiles();
            }
            Some(Tag::Train) => train_state(doc, "running", 0.0, 1.0, "started…"),
            _ => {}
        },
        _ => {}
    }
}

/// The host settings the form shows as number fields (`name` = the setting's wire name).
const NUMBER_SETTINGS: [HostSetting; 3] = [
    HostSetting::Threshold,
    HostSetting::TextWeight,
    HostSetting::ImageWeight,
];

fn fill_settings(doc: &Document, values: &Map<String, Value>) {
    let Ok(Some(form)) = doc.query_selector("#settings") else {
        return;
    };
    for setting in NUMBER_SETTINGS {
        let name = setting.name();
        if let (Ok(Some(e)), Some(v)) = (
            form.query_selector(&format!("[name=\"{name}\"]")),
            values.get(name).and_then(Value::as_f64),
        ) {
            if let Ok(i) = e.dyn_into::<HtmlInputElement>() {
                // The threshold is shown to 3 decimals, as the popup shows it.
                let shown = if setting == HostSetting::Threshold {
                    ((v * 1000.0).round() / 1000.0).to_string()
                } else {
                    v.to_string()
                };
                i.set_value(&shown);
                // Save sends the threshold only when edited here: the popup may change it
                // meanwhile, and a stale copy must not undo that.
                let _ = i.set_attribute("data-filled", &shown);
            }
        }
    }
    if let (Ok(Some(e)), Some(v)) = (
        form.query_selector("[name=\"device\"]"),
        values
            .get(HostSetting::Device.name())
            .and_then(Value::as_str),
    ) {
        if let Ok(s) = e.dyn_into::<HtmlSelectElement>() {
            s.set_value(v);
        }
    }
    if let Ok(Some(e)) = form.query_selector("[name=\"train_on_matches\"]") {
        if let Ok(i) = e.dyn_into::<HtmlInputElement>() {
            let on = values
                .get(HostSetting::TrainOnMatches.name())
                .and_then(Value::as_bool);
            i.set_checked(on.unwrap_or(false));
        }
    }
}

fn save_settings(doc: &Document) {
    let Ok(Some(form)) = doc.query_selector("#settings") else {
        return;
    };
    let mut values = Map::new();
    for setting in NUMBER_SETTINGS {
        let name = setting.name();
        let Ok(Some(e)) = form.query_selector(&format!("[name=\"{name}\"]")) else {
            continue;
        };
        let Ok(i) = e.dyn_into::<HtmlInputElement>() else {
            continue;
        };
        let raw = i.value();
        if raw.trim().is_empty() {
            continue;
        }
        if setting == HostSetting::Threshold
            && i.get_attribute("data-filled").as_deref() == Some(raw.trim())
        {
            continue;
        }
        match raw.trim().parse::<f64>() {
            Ok(x) if x.is_finite() => {
                values.insert(name.into(), json!(x));
            }
            _ => {
                set_text(
                    doc,
                    "settings-status",
                    &format!("`{raw}` is not a number ({name})"),
                );
                return;
            }
        }
    }
    if let Ok(Some(e)) = form.query_selector("[name=\"device\"]") {
        if let Ok(s) = e.dyn_into::<HtmlSelectElement>() {
            values.insert(HostSetting::Device.name().into(), json!(s.value()));
        }
    }
    if let Ok(Some(e)) = form.query_selector("[name=\"train_on_matches\"]") {
        if let Ok(i) = e.dyn_into::<HtmlInputElement>() {
            values.insert(
                HostSetting::TrainOnMatches.name().into(),
                json!(i.checked()),
            );
        }
    }
    set_text(doc, "settings-status", "saving…");
    request(
        "settings_set",
        json!({ "values": values }),
        Tag::SettingsSet,
    );
}

fn export_page(doc: &Document, total: u32, items: Vec<ProfileItem>) {
    let more = !items.is_empty();
    let next = with(|d| {
        d.exported.extend(items);
        d.exported.len() as u32
    })
    .unwrap_or(0);
    if more && next < total {
        set_text(doc, "export-status", &format!("{next} of {total}…"));
        request(
            "profiles",
            json!({"limit": EXPORT_PAGE, "offset": next, "filter": "all"}),
            Tag::Export,
        );
        return;
    }
    let Some(items) = with(|d| {
        d.exporting = false;
        std::mem::take(&mut d.exported)
    }) else {
        return;
    };
    let text = dash::export_jsonl(&items);
    match download(doc, "swipy-profiles.jsonl", &text) {
        Ok(()) => set_text(
            doc,
            "export-status",
            &format!("{} profiles exported", items.len()),
        ),
        Err(e) => set_text(
            doc,
            "export-status",
            &format!("export failed: {}", js::error_text(&e)),
        ),
    }
}

/// Offer `text` as a file download (also the popup's "Export waiting labels").
pub(super) fn download(doc: &Document, name: &str, text: &str) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("application/x-ndjson");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let a: web_sys::HtmlAnchorElement = doc.create_element("a")?.dyn_into()?;
    a.set_href(&url);
    a.set_download(name);
    a.set_attribute("hidden", "")?;
    if let Some(body) = doc.body() {
        body.append_child(&a)?;
    }
    a.click();
    a.remove();
    let revoke = Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    js::set_timeout(&revoke, 30_000.0);
    Ok(())
}

fn on_worker_message(msg: JsValue) {
    let Some(doc) = with(|d| d.doc.clone()) else {
        return;
    };
    let kind = js::get(&msg, "kind").as_string().unwrap_or_default();
    match kind.as_str() {
        "conn" => {
            let connected = js::get(&msg, "connected").as_bool().unwrap_or(false);
            set_attr(
                &doc,
                "dash-conn",
                "data-state",
                if connected {
                    "connected"
                } else {
                    "disconnected"
                },
            );
            set_text(
                &doc,
                "dash-conn-text",
                if connected {
                    "Connected to the Swipy app"
                } else {
                    "Not connected to the Swipy app (see the popup)"
                },
            );
            if connected {
                error(&doc, None);
                load_all();
            }
        }
        "host_reply" => {
            let req = js::get(&msg, "req").as_f64().unwrap_or(0.0) as u32;
            let tag = with(|d| d.pending.remove(&req)).flatten();
            if let Some(e) = js::get(&msg, "error").as_string() {
                if tag == Some(Tag::Train) {
                    train_state(&doc, "error", 0.0, 1.0, "");
                    set_text(&doc, "train-result", &format!("Training failed: {e}"));
                } else {
                    error(&doc, Some(&e));
                }
                if tag == Some(Tag::Export) {
                    let _ = with(|d| d.exporting = false);
                }
                return;
            }
            match js::from_js(js::get(&msg, "msg")).and_then(|v| {
                serde_json::from_value::<Envelope<Response>>(v).map_err(|e| e.to_string())
            }) {
                Ok(env) => on_response(&doc, tag, env),
                Err(e) => js::warn(&format!("swipy dashboard: unreadable answer: {e}")),
            }
        }
        "host_event" => {
            if let Ok(env) = js::from_js(js::get(&msg, "msg")).and_then(|v| {
                serde_json::from_value::<Envelope<Response>>(v).map_err(|e| e.to_string())
            }) {
                on_response(&doc, None, env);
            }
        }
        _ => {}
    }
}

fn connect() {
    let info = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&info, &"name".into(), &"dashboard".into());
    let port = match js::runtime_connect(&info) {
        Ok(p) => p,
        Err(e) => {
            let _ = with(|d| {
                error(
                    &d.doc,
                    Some(&format!(
                        "Cannot reach Swipy's worker: {}",
                        js::error_text(&e)
                    )),
                )
            });
            return;
        }
    };
    let on_msg = Closure::<dyn FnMut(JsValue)>::new(on_worker_message);
    let on_disc = Closure::<dyn FnMut(JsValue)>::new(move |_p: JsValue| {
        let _ = with(|d| {
            d.port = None;
            d.pending.clear();
            set_attr(&d.doc, "dash-conn", "data-state", "disconnected");
        });
        let again = Closure::once_into_js(connect);
        js::set_timeout(&again, 500.0);
    });
    let _ = js::add_listener(&port, "onMessage", on_msg.as_ref());
    let _ = js::add_listener(&port, "onDisconnect", on_disc.as_ref());
    on_msg.forget();
    on_disc.forget();
    let _ = with(|d| d.port = Some(port));
}

fn on(doc: &Document, id: &str, event: &str, f: impl FnMut(web_sys::Event) + 'static) {
    if let Some(e) = el(doc, id) {
        let cb = Closure::<dyn FnMut(web_sys::Event)>::new(f);
        let _ = e.add_event_listener_with_callback(event, cb.as_ref().unchecked_ref());
        cb.forget();
    }
}

fn wire(doc: &Document) {
    on(doc, "train-now", "click", |_| {
        let _ = with(|d| {
            train_state(&d.doc, "running", 0.0, 1.0, "starting…");
            set_text(&d.doc, "train-result", "");
        });
        request("train", json!({}), Tag::Train);
    });
    on(doc, "profiles-prev", "click", |_| {
        let _ = with(|d| d.offset = d.offset.saturating_sub(PAGE));
        load_profiles();
    });
    on(doc, "profiles-next", "click", |_| {
        let _ = with(|d| {
            if d.offset + PAGE < d.total {
                d.offset += PAGE;
            }
        });
        load_profiles();
    });
    on(doc, "profiles-filter", "change", |_| {
        let _ = with(|d| d.offset = 0);
        load_profiles();
    });
    on(doc, "export", "click", |_| {
        let start = with(|d| {
            if d.exporting {
                return false;
            }
            d.exporting = true;
            d.exported.clear();
            set_text(&d.doc, "export-status", "exporting…");
            true
        })
        .unwrap_or(false);
        if start {
            request(
                "profiles",
                json!({"limit": EXPORT_PAGE, "offset": 0, "filter": "all"}),
                Tag::Export,
            );
        }
    });
    let d2 = doc.clone();
    on(doc, "settings-save", "click", move |_| save_settings(&d2));
    on(doc, "profiles-list", "click", |ev| {
        let Some(target) = ev.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
            return;
        };
        let Ok(Some(button)) = target.closest("[data-relabel]") else {
            return;
        };
        let Ok(Some(row)) = button.closest("[data-profile-id]") else {
            return;
        };
        let (Some(verdict), Some(id)) = (
            button.get_attribute("data-relabel"),
            row.get_attribute("data-profile-id"),
        ) else {
            return;
        };
        let now = js::now_ms();
        let key = format!("d-{id}-{verdict}-{}", now as i64);
        let _ = row.set_attribute("data-label", &verdict);
        request(
            "label",
            json!({"profile_id": id, "verdict": verdict, "source": "dashboard", "at_ms": now, "key": key}),
            Tag::Label,
        );
    });
}

/// Entry point of `dashboard.html`.
#[wasm_bindgen]
pub fn dashboard_start() {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    DASH.with(|d| {
        *d.borrow_mut() = Some(Dash {
            doc: doc.clone(),
            port: None,
            next_req: 0,
            pending: HashMap::new(),
            offset: 0,
            total: 0,
            exported: Vec::new(),
            exporting: false,
        })
    });
    wire(&doc);
    connect();
}
