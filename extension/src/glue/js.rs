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

/// JS value → JSON value (`undefined` is `null`; what JSON cannot hold is an error), through
/// JSON text: one call for a value of any size, but serde_json's float parser may land a
/// number one unit in the last place off; the host's messages go through [`from_js_walked`].
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

/// JS value → JSON value by walking it, each number read as the `f64` it is: what
/// `JSON.stringify` keeps (`undefined` and functions left out of objects, `null` in arrays;
/// numbers that are not finite are `null`), integers as integers. For the host's messages:
/// [`from_js`] goes through JSON text and serde_json's float parser, which is not correctly
/// rounded (it may land one unit in the last place off, e.g. `0.00046065449714660645`
/// read as `0.0004606544971466065`), and a card's score must read as the host wrote it.
/// Small values only: every key and value is a call into JS.
pub fn from_js_walked(v: &JsValue) -> Result<serde_json::Value, String> {
    walk(v, 0)
}

/// serde_json's own nesting limit for JSON text.
const WALK_DEPTH: usize = 128;

fn walk(v: &JsValue, depth: usize) -> Result<serde_json::Value, String> {
    use serde_json::Value;
    if depth > WALK_DEPTH {
        return Err("the value is nested too deep".into());
    }
    if v.is_null() || v.is_undefined() || v.is_function() {
        return Ok(Value::Null);
    }
    if let Some(b) = v.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(x) = v.as_f64() {
        return Ok(number(x));
    }
    if let Some(s) = v.as_string() {
        return Ok(Value::String(s));
    }
    if js_sys::Array::is_array(v) {
        let items: &js_sys::Array = v.unchecked_ref();
        return items
            .iter()
            .map(|item| walk(&item, depth + 1))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array);
    }
    if !v.is_object() {
        return Err("the value has no JSON form".into());
    }
    let mut map = serde_json::Map::new();
    let obj: &js_sys::Object = v.unchecked_ref();
    for key in js_sys::Object::keys(obj).iter() {
        let Some(name) = key.as_string() else {
            continue;
        };
        let item = js_sys::Reflect::get(v, &key).map_err(|e| error_text(&e))?;
        if item.is_undefined() || item.is_function() {
            continue;
        }
        map.insert(name, walk(&item, depth + 1)?);
    }
    Ok(Value::Object(map))
}

/// A JS number as JSON text would have given it: integers as integers, the rest as `f64`.
fn number(x: f64) -> serde_json::Value {
    const U64_END: f64 = 18_446_744_073_709_551_616.0;
    const I64_START: f64 = -9_223_372_036_854_775_808.0;
    if x.fract() == 0.0 {
        if (0.0..U64_END).contains(&x) {
            return serde_json::Value::from(x as u64);
        }
        if (I64_START..0.0).contains(&x) {
            return serde_json::Value::from(x as i64);
        }
    }
    serde_json::Number::from_f64(x).map_or(serde_json::Value::Null, serde_json::Value::Number)
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
