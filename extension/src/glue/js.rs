//! Small helpers over js-sys for the `chrome.*` extension APIs (not part of web-sys).

use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = connectNative, catch)]
    pub fn connect_native(name: &str) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = connect, catch)]
    pub fn runtime_connect(info: &JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = ["chrome", "storage", "local"], js_name = get, catch)]
    pub fn storage_get(keys: &JsValue) -> Result<js_sys::Promise, JsValue>;

    #[wasm_bindgen(js_namespace = ["chrome", "storage", "local"], js_name = set, catch)]
    pub fn storage_set(items: &JsValue) -> Result<js_sys::Promise, JsValue>;

    #[wasm_bindgen(js_namespace = ["chrome", "storage", "local"], js_name = remove, catch)]
    pub fn storage_remove(keys: &JsValue) -> Result<js_sys::Promise, JsValue>;

    #[wasm_bindgen(js_namespace = console, js_name = warn)]
    pub fn warn(s: &str);
}

/// Rust value → plain JS object, through JSON text (maps become objects; the one JSON
/// implementation already in the module keeps the WebAssembly small).
pub fn to_js<T: Serialize>(v: &T) -> JsValue {
    serde_json::to_string(v)
        .ok()
        .and_then(|text| js_sys::JSON::parse(&text).ok())
        .unwrap_or(JsValue::NULL)
}

/// JS value → JSON value (`undefined` is `null`; what JSON cannot hold is an error).
pub fn from_js(v: JsValue) -> Result<serde_json::Value, String> {
    if v.is_undefined() {
        return Ok(serde_json::Value::Null);
    }
    let text = js_sys::JSON::stringify(&v)
        .map_err(|e| error_text(&e))?
        .as_string()
        .ok_or("the value has no JSON form")?;
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

pub fn get(obj: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(obj, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// `obj[name](args...)`.
pub fn call(obj: &JsValue, name: &str, args: &[&JsValue]) -> Result<JsValue, JsValue> {
    let f: js_sys::Function = get(obj, name).dyn_into()?;
    let arr = js_sys::Array::new();
    for a in args {
        arr.push(a);
    }
    f.apply(obj, &arr)
}

/// `obj[event].addListener(f)`.
pub fn add_listener(obj: &JsValue, event: &str, f: &JsValue) -> Result<(), JsValue> {
    call(&get(obj, event), "addListener", &[f]).map(|_| ())
}

/// The message of an Error-like value (or its string form).
pub fn error_text(e: &JsValue) -> String {
    let m = get(e, "message");
    if let Some(s) = m.as_string() {
        return s;
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// `setTimeout(f, ms)` on whatever global this is (worker or window).
pub fn set_timeout(f: &JsValue, ms: f64) -> Option<f64> {
    let g = js_sys::global();
    call(&g, "setTimeout", &[f, &JsValue::from_f64(ms)])
        .ok()
        .and_then(|v| v.as_f64())
}

pub fn clear_timeout(handle: f64) {
    let g = js_sys::global();
    let _ = call(&g, "clearTimeout", &[&JsValue::from_f64(handle)]);
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}
