//! Test-only fault injection (off by default).
//!
//! `SWIPY_TEST_PANIC=point[,point…]` makes the host panic once per process at each named
//! point, so tests can prove that a panic is logged, clears what it must clear, and (on a
//! background thread) leaves the host serving. Points:
//!
//! - `train`: the training thread, before the model is fitted;
//! - `score`: the inference thread, while it handles a scoring job;
//! - `fetch`: a photo download's decode-and-store step;
//! - `label`: the serve thread, right after a label or page swipe was committed and before
//!   it is acknowledged (the process dies: a crash loop when set for several starts).
//!
//! Unset (the default) nothing happens; when set, the host warns in its log at the first
//! point it passes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Environment variable naming the panic points (tests only).
pub const ENV_TEST_PANIC: &str = "SWIPY_TEST_PANIC";

/// Every point [`panic_point`] knows.
pub const POINTS: &[&str] = &["train", "score", "fetch", "label"];

static FIRED: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
static WARNED: AtomicBool = AtomicBool::new(false);

/// Whether `point` is named in `spec` (comma-separated, spaces ignored).
pub fn names(spec: &str, point: &str) -> bool {
    spec.split(',').any(|p| p.trim() == point)
}

/// Panics the first time the process passes `point` while [`ENV_TEST_PANIC`] names it.
pub fn panic_point(point: &'static str) {
    let Ok(spec) = std::env::var(ENV_TEST_PANIC) else {
        return;
    };
    if !WARNED.swap(true, Ordering::SeqCst) {
        log::warn!("{ENV_TEST_PANIC} is set ({spec}): injected panics; test use only");
    }
    if !names(&spec, point) {
        return;
    }
    let first = match FIRED.lock() {
        Ok(mut fired) if !fired.contains(&point) => {
            fired.push(point);
            true
        }
        _ => false,
    };
    if first {
        panic!("injected panic at `{point}` ({ENV_TEST_PANIC})");
    }
}

/// The message of a caught panic (`&str` and `String` payloads; else a placeholder).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}
