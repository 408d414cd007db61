//! How the program was started: a browser launching the native messaging host, or a
//! person at the command line. Part of the entry layer with [`crate::cli`].
//!
//! Browsers start `swipy` with the caller's origin as the first argument:
//! Chromium-family browsers pass `chrome-extension://<id>/` (on Windows followed by
//! `--parent-window=<n>`), Firefox passes `<path of the host manifest> <add-on id>`.
//! A caller this data dir does not serve is answered by [`refuse`] and never reaches the
//! dispatcher or the store.

use std::sync::atomic::AtomicU32;
use std::sync::Arc;

use serde_json::Value;
use swipy_shared::protocol::{ErrorBody, ErrorCode, Response, MAX_FRAME_FROM_BROWSER};

use crate::outbox::Outbox;
use crate::serve::EXIT_CALLER_REFUSED;
use crate::transport::{FrameError, FrameReader, FrameWriter};

/// How the browser started us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrowserLaunch {
    /// `chrome-extension://ID/` (Chromium family).
    Chromium { origin: String },
    /// `<manifest path> <add-on id>` (Firefox).
    Firefox { manifest: String, addon_id: String },
}

impl BrowserLaunch {
    /// Recognizes a browser launch from the arguments after the program name.
    pub fn detect(args: &[String]) -> Option<Self> {
        let first = args.first()?;
        if first.starts_with("chrome-extension://") {
            return Some(BrowserLaunch::Chromium {
                origin: first.clone(),
            });
        }
        let second = args.get(1)?;
        let is_manifest = std::path::Path::new(first)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        if is_manifest && !second.starts_with('-') && !second.is_empty() {
            return Some(BrowserLaunch::Firefox {
                manifest: first.clone(),
                addon_id: second.clone(),
            });
        }
        None
    }

    /// The caller, as recorded in the log.
    pub fn caller(&self) -> String {
        match self {
            BrowserLaunch::Chromium { origin } => origin.clone(),
            BrowserLaunch::Firefox { addon_id, .. } => format!("firefox add-on {addon_id}"),
        }
    }
}

/// Answers every request of a refused caller on stdio with error `caller_refused` until
/// EOF; returns [`EXIT_CALLER_REFUSED`]. Nothing is stored.
pub fn refuse(origin: &str, hint: &str) -> i32 {
    let mut reader = FrameReader::new(std::io::stdin().lock(), MAX_FRAME_FROM_BROWSER);
    let writer = Outbox::new(
        Box::new(FrameWriter::new(std::io::stdout())),
        Arc::new(AtomicU32::new(1)),
    );
    let shown: String = origin.chars().take(80).collect();
    let message =
        format!("this Swipy host was installed for another extension, not {shown}; {hint}");
    loop {
        let re = match reader.read_frame() {
            Ok(Some(body)) => serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v.get("id").and_then(Value::as_u64))
                .and_then(|n| u32::try_from(n).ok()),
            Ok(None) => break,
            Err(FrameError::TooLarge { .. }) => None,
            Err(_) => break,
        };
        let refused = Response::Error(ErrorBody::new(ErrorCode::CallerRefused, message.clone()));
        if writer.send(re, refused).is_err() {
            break;
        }
    }
    EXIT_CALLER_REFUSED
}

#[cfg(test)]
mod tests;
