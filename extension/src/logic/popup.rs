//! The popup's view model: everything it shows, already in words.

use serde::{Deserialize, Serialize};
use swipy_shared::{ErrorBody, ErrorCode, Stats};

use super::auto::AutoDriver;
use super::autoswipe::Settings;
use super::conn::{Conn, ConnState};

/// What the popup renders. Sent by the worker as `{kind: "status", view}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PopupView {
    /// `connected`, `connecting` or `disconnected`.
    pub connection: String,
    /// One line for the user, e.g. "Connected to Swipy 0.0.0".
    pub connection_text: String,
    pub profiles_today: Option<u32>,
    pub profiles_total: Option<u32>,
    pub labels_today: Option<u32>,
    pub labels_total: Option<u32>,
    pub likes: Option<u32>,
    pub nopes: Option<u32>,
    /// e.g. "62 % like · 38 % nope", or "no labels yet".
    pub balance_text: String,
    /// Labels and swipes waiting for the host.
    pub waiting: u32,
    /// The last problem, in plain words.
    pub last_error: Option<String>,
    /// Auto-swipe is not available before a model is trained.
    pub auto_swipe_available: bool,
    pub auto_swipe_note: String,
    /// Labels and swipes in quarantine (the host stopped while saving them).
    #[serde(default)]
    pub quarantined: u32,
    /// e.g. "3 labels wait: the Swipy app stopped while saving them" (with a Retry button).
    #[serde(default)]
    pub quarantine_text: Option<String>,
    /// Labels the host refused or did not understand, and why, e.g. "2 labels wait for a
    /// newer Swipy app: the Swipy app does not understand them; update it".
    #[serde(default)]
    pub held_text: Option<String>,
    /// A failed save to the browser's storage, in words.
    #[serde(default)]
    pub storage_error: Option<String>,
    /// Auto-swipe switch and settings (filled by [`add_autoswipe`]).
    #[serde(default)]
    pub autoswipe: Option<AutoView>,
}

/// The auto-swipe part of the popup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoView {
    pub enabled: bool,
    pub dry_run: bool,
    /// `off`, `running`, `stopped`.
    pub state: String,
    /// One status line.
    pub status: String,
    /// The last stop in plain words and its kind (`match`, `out_of_likes`, ...).
    pub stop_reason: Option<String>,
    pub stop_kind: Option<String>,
    pub settings: Settings,
    pub likes_12h: u32,
    pub swipes_24h: u32,
}

/// Fill in the auto-swipe part: the switch is available once a model exists (or while it
/// is on, so it can always be switched off).
pub fn add_autoswipe(view: &mut PopupView, model_known: bool, auto: &AutoDriver, now_ms: f64) {
    let m = &auto.machine;
    let enabled = m.settings().enabled;
    view.auto_swipe_available = model_known || enabled;
    view.auto_swipe_note = if view.auto_swipe_available {
        format!(
            "{} of {} likes used in the last 12 h · {} of {} swipes in 24 h (yours and Swipy's)",
            m.likes_in_window(now_ms),
            m.settings().likes_per_12h,
            m.swipes_in_window(now_ms),
            m.settings().swipes_per_24h
        )
    } else {
        "Available once a model is trained.".into()
    };
    let stop = m
        .last_stop()
        .filter(|r| !matches!(r, super::autoswipe::StopReason::SwitchedOff));
    view.autoswipe = Some(AutoView {
        enabled,
        dry_run: m.settings().dry_run,
        state: auto.state_name().into(),
        status: m.status_text(now_ms),
        stop_reason: stop.map(|_| m.status_text(now_ms)).filter(|_| !enabled),
        stop_kind: if enabled || stop.is_none() {
            None
        } else {
            auto.stop_kind()
        },
        settings: m.settings().clone(),
        likes_12h: u32::try_from(m.likes_in_window(now_ms)).unwrap_or(u32::MAX),
        swipes_24h: u32::try_from(m.swipes_in_window(now_ms)).unwrap_or(u32::MAX),
    });
}

/// Build the view from the brain's state.
pub fn view(
    conn: &Conn,
    stats: Option<&Stats>,
    waiting: usize,
    last_error: Option<&str>,
) -> PopupView {
    let (connection, connection_text) = match &conn.state {
        ConnState::Ready { host_version, .. } => (
            "connected",
            format!("Connected to the Swipy app {host_version}"),
        ),
        ConnState::Handshaking { .. } => ("connecting", "Connecting to the Swipy app…".into()),
        ConnState::Disconnected { .. } => {
            let why = conn
                .last_error
                .as_deref()
                .map(host_error_words)
                .unwrap_or_else(|| "Not connected to the Swipy app yet.".into());
            ("disconnected", why)
        }
    };
    let (likes, nopes) = match stats {
        Some(s) => (Some(s.likes + s.superlikes), Some(s.nopes)),
        None => (None, None),
    };
    let balance_text = match (likes, nopes) {
        (Some(l), Some(n)) if l + n > 0 => {
            let pl = (f64::from(l) * 100.0 / f64::from(l + n)).round();
            format!("{pl:.0} % like · {:.0} % nope ({l} / {n})", 100.0 - pl)
        }
        (Some(_), Some(_)) => "no labels yet".into(),
        _ => "unknown until the Swipy app answers".into(),
    };
    let model = stats.and_then(|s| s.model_version);
    PopupView {
        connection: connection.into(),
        connection_text,
        profiles_today: stats.map(|s| s.profiles_today),
        profiles_total: stats.map(|s| s.profiles),
        labels_today: stats.map(|s| s.labels_today),
        labels_total: stats.map(|s| s.labels),
        likes,
        nopes,
        balance_text,
        waiting: u32::try_from(waiting).unwrap_or(u32::MAX),
        last_error: last_error.map(str::to_owned),
        auto_swipe_available: model.is_some(),
        auto_swipe_note: match model {
            Some(v) => format!("Model v{v} is trained."),
            None => "Available once a model is trained.".into(),
        },
        autoswipe: None,
        quarantined: 0,
        quarantine_text: None,
        held_text: None,
        storage_error: None,
    }
}

fn labels(n: usize) -> String {
    if n == 1 {
        "1 label waits".into()
    } else {
        format!("{n} labels wait")
    }
}

/// Fill in what waits and why: quarantined labels, labels the host refused or did not
/// understand (`held`: one reason per label), and a failed save to the browser's storage.
pub fn add_waiting<'a>(
    view: &mut PopupView,
    quarantined: usize,
    held: impl Iterator<Item = &'a str>,
    storage_error: Option<&str>,
) {
    view.quarantined = u32::try_from(quarantined).unwrap_or(u32::MAX);
    view.quarantine_text = (quarantined > 0).then(|| {
        format!(
            "{}: the Swipy app stopped while saving them",
            labels(quarantined)
        )
    });
    let mut why: Vec<&str> = Vec::new();
    let mut n = 0;
    for h in held {
        n += 1;
        if !why.contains(&h) {
            why.push(h);
        }
    }
    view.held_text = (n > 0).then(|| format!("{}: {}", labels(n), why.join("; ")));
    view.storage_error = storage_error.map(str::to_owned);
}

/// A browser's native-messaging error (or a host error message) in plain words.
pub fn host_error_words(raw: &str) -> String {
    let l = raw.to_lowercase();
    if l.contains("not found") {
        "The Swipy app is not installed for this browser. Run `swipy install`, then reload the extension.".into()
    } else if l.contains("forbidden") {
        "The Swipy app does not allow this extension. Run `swipy install` again for this browser."
            .into()
    } else if l.contains("exited") || l.contains("disconnected") {
        "The Swipy app stopped. Reconnecting…".into()
    } else if l.contains("did not answer") {
        "The Swipy app did not answer. Reconnecting…".into()
    } else {
        format!("Lost the Swipy app: {raw}")
    }
}

/// A host error response in plain words.
pub fn error_body_words(e: &ErrorBody) -> String {
    let what = match ErrorCode::from_code(e.code) {
        Some(ErrorCode::VersionMismatch) => {
            "The Swipy app and the extension are different versions; update both."
        }
        Some(ErrorCode::Storage) => "The Swipy app could not save (disk full or not writable).",
        Some(ErrorCode::ModelMissing) => "A model file is missing; run `cargo xtask models`.",
        Some(ErrorCode::NotEnoughLabels) => "Not enough labels to train yet.",
        Some(ErrorCode::TokenMissing) => {
            "The Tinder session is missing or expired; reload tinder.com."
        }
        Some(ErrorCode::Busy) => "The Swipy app is busy; try again shortly.",
        _ => "The Swipy app refused a message.",
    };
    format!("{what} ({})", e.message)
}

#[cfg(test)]
#[path = "popup_tests.rs"]
mod tests;
