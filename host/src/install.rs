//! Registering the host with browsers (`swipy install` / `uninstall` / `doctor`).
//!
//! The per-browser, per-OS manifest locations and the Windows registry pointers come from
//! the `native_messaging` crate (user scope). It does not know about a custom Chromium
//! profile: Chromium started with `--user-data-dir=DIR` (headless tests, portable
//! profiles) reads host manifests only from `DIR/NativeMessagingHosts/`, so
//! `--user-data-dir` is handled here.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use swipy_shared::protocol::HOST_NAME;

/// Firefox add-on id of the Swipy extension.
pub const FIREFOX_ADDON_ID: &str = "swipy@swipy.app";
const DESCRIPTION: &str = "Swipy native host";

/// Browsers Swipy can register with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Browser {
    Chrome,
    Chromium,
    Edge,
    Brave,
    Vivaldi,
    Firefox,
    /// Every browser above.
    All,
}

impl Browser {
    /// The concrete browsers this choice stands for.
    pub fn expand(self) -> Vec<Browser> {
        use Browser::*;
        match self {
            All => vec![Chrome, Chromium, Edge, Brave, Vivaldi, Firefox],
            b => vec![b],
        }
    }

    /// Key in the `native_messaging` browser table.
    pub fn key(self) -> &'static str {
        match self {
            Browser::Chrome => "chrome",
            Browser::Chromium => "chromium",
            Browser::Edge => "edge",
            Browser::Brave => "brave",
            Browser::Vivaldi => "vivaldi",
            Browser::Firefox => "firefox",
            Browser::All => "all",
        }
    }

    pub fn is_firefox(self) -> bool {
        self == Browser::Firefox
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("{0}")]
    BadArgs(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> InstallError {
    let what = what.into();
    move |source| InstallError::Io { what, source }
}

/// The development id of the Chromium extension: the one an unpacked build of this
/// repository gets from the `key` in its manifest (`extension/static/EXTENSION_ID`).
/// Store packages carry no `key`; the store assigns their id, given at install with
/// `--extension-id`.
pub fn dev_extension_id() -> &'static str {
    include_str!("../../extension/static/EXTENSION_ID").trim()
}

/// The Chromium origins a registered manifest allows: always the development id, and the
/// store id given at install when there is one.
pub fn chromium_origins(extension_id: Option<&str>) -> Vec<String> {
    let mut ids = vec![dev_extension_id()];
    if let Some(id) = extension_id.filter(|id| *id != dev_extension_id()) {
        ids.push(id);
    }
    ids.iter()
        .map(|id| format!("chrome-extension://{id}/"))
        .collect()
}

/// A Chromium extension id: 32 letters a–p.
pub fn valid_extension_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| (b'a'..=b'p').contains(&b))
}

/// The manifest JSON for a browser family.
pub fn manifest_json(firefox: bool, host_path: &Path, extension_id: Option<&str>) -> Value {
    let path = host_path.to_string_lossy();
    if firefox {
        json!({
            "name": HOST_NAME,
            "description": DESCRIPTION,
            "path": path,
            "type": "stdio",
            "allowed_extensions": [FIREFOX_ADDON_ID],
        })
    } else {
        json!({
            "name": HOST_NAME,
            "description": DESCRIPTION,
            "path": path,
            "type": "stdio",
            "allowed_origins": chromium_origins(extension_id),
        })
    }
}

/// What to install.
#[derive(Debug, Clone)]
pub struct InstallSpec {
    pub browsers: Vec<Browser>,
    /// A store id allowed besides the development id ([`chromium_origins`]).
    pub extension_id: Option<String>,
    pub user_data_dir: Option<PathBuf>,
    /// Absolute path of the `swipy` executable written into the manifest.
    pub host_path: PathBuf,
}

impl InstallSpec {
    fn validate(&self) -> Result<(), InstallError> {
        if !self.host_path.is_absolute() {
            return Err(InstallError::BadArgs(format!(
                "the host path {} is not absolute",
                self.host_path.display()
            )));
        }
        if let Some(id) = self
            .extension_id
            .as_deref()
            .filter(|id| !valid_extension_id(id))
        {
            return Err(InstallError::BadArgs(format!(
                "`{id}` is not a Chromium extension id (32 letters a-p, see chrome://extensions)"
            )));
        }
        if self.user_data_dir.is_some() && self.browsers.iter().any(|b| b.is_firefox()) {
            return Err(InstallError::BadArgs(
                "--user-data-dir applies to Chromium-family browsers; Firefox reads manifests from the home directory".into(),
            ));
        }
        Ok(())
    }
}

/// Manifest path inside a custom Chromium profile.
pub fn user_data_dir_manifest(dir: &Path) -> PathBuf {
    dir.join("NativeMessagingHosts")
        .join(format!("{HOST_NAME}.json"))
}

/// The user-scope manifest location of a browser on this OS.
pub fn manifest_location(b: Browser) -> Result<PathBuf, InstallError> {
    native_messaging::manifest_path(b.key(), native_messaging::Scope::User, HOST_NAME).map_err(io(
        format!("no manifest location for {} on this system", b.key()),
    ))
}

/// Writes the manifests; returns the files written.
pub fn install(spec: &InstallSpec) -> Result<Vec<PathBuf>, InstallError> {
    spec.validate()?;
    let mut written = Vec::new();
    if let Some(dir) = &spec.user_data_dir {
        let path = user_data_dir_manifest(dir);
        let body = manifest_json(false, &spec.host_path, spec.extension_id.as_deref());
        write_json(&path, &body)?;
        written.push(path);
        return Ok(written);
    }
    for b in &spec.browsers {
        let origins = chromium_origins(spec.extension_id.as_deref());
        native_messaging::install(
            HOST_NAME,
            DESCRIPTION,
            &spec.host_path,
            &origins,
            &[FIREFOX_ADDON_ID.to_owned()],
            &[b.key()],
            native_messaging::Scope::User,
        )
        .map_err(io(format!("installing for {}", b.key())))?;
        written.push(manifest_location(*b)?);
    }
    Ok(written)
}

/// Removes the manifests; returns the files that existed.
pub fn uninstall(
    browsers: &[Browser],
    user_data_dir: Option<&Path>,
) -> Result<Vec<PathBuf>, InstallError> {
    let mut removed = Vec::new();
    if let Some(dir) = user_data_dir {
        let path = user_data_dir_manifest(dir);
        if path.exists() {
            std::fs::remove_file(&path).map_err(io(format!("removing {}", path.display())))?;
            removed.push(path);
        }
        return Ok(removed);
    }
    for b in browsers {
        let existed = manifest_location(*b).ok().filter(|p| p.exists());
        native_messaging::remove(HOST_NAME, &[b.key()], native_messaging::Scope::User)
            .map_err(io(format!("uninstalling for {}", b.key())))?;
        removed.extend(existed);
    }
    Ok(removed)
}

fn write_json(path: &Path, body: &Value) -> Result<(), InstallError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
    let mut text =
        serde_json::to_string_pretty(body).map_err(|e| InstallError::BadArgs(e.to_string()))?;
    text.push('\n');
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(io(format!("writing {}", tmp.display())))?;
    std::fs::rename(&tmp, path).map_err(io(format!("writing {}", path.display())))
}

/// What `doctor` found about one manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestCheck {
    pub browser: String,
    pub path: PathBuf,
    pub present: bool,
    /// Problems found (empty = fine or absent).
    pub problems: Vec<String>,
    /// `allowed_origins` / `allowed_extensions`.
    pub allowed: Vec<String>,
}

/// Reads and checks a manifest file against the expected host path.
pub fn check_manifest(
    browser: &str,
    path: &Path,
    firefox: bool,
    host_path: &Path,
) -> ManifestCheck {
    let mut c = ManifestCheck {
        browser: browser.to_owned(),
        path: path.to_path_buf(),
        present: path.exists(),
        problems: Vec::new(),
        allowed: Vec::new(),
    };
    if !c.present {
        return c;
    }
    let v: Value = match std::fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(v) => v,
        Err(e) => {
            c.problems.push(format!("unreadable manifest: {e}"));
            return c;
        }
    };
    if v.get("name").and_then(Value::as_str) != Some(HOST_NAME) {
        c.problems.push(format!("`name` is not {HOST_NAME}"));
    }
    match v.get("path").and_then(Value::as_str) {
        Some(p) if Path::new(p) == host_path => {}
        Some(p) if !Path::new(p).exists() => {
            c.problems.push(format!("host path {p} does not exist"))
        }
        Some(p) => c.problems.push(format!("points at another swipy: {p}")),
        None => c.problems.push("`path` is missing".into()),
    }
    let key = if firefox {
        "allowed_extensions"
    } else {
        "allowed_origins"
    };
    c.allowed = v
        .get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if c.allowed.is_empty() {
        c.problems.push(format!("`{key}` is empty"));
    }
    c
}

/// File in the data dir listing the Chromium origins `swipy install` registered.
pub const ORIGINS_FILE: &str = "installed_origins.json";

/// Adds an origin to [`ORIGINS_FILE`] (kept as a set: installs add, never remove).
pub fn record_origin(data_dir: &Path, origin: &str) -> std::io::Result<()> {
    let path = data_dir.join(ORIGINS_FILE);
    let mut list: Vec<String> = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    if !list.iter().any(|o| o == origin) {
        list.push(origin.to_owned());
    }
    std::fs::create_dir_all(data_dir)?;
    let body = serde_json::to_vec_pretty(&list).map_err(std::io::Error::other)?;
    std::fs::write(path, body)
}

/// Whether a Chromium caller may be served: true when no install was recorded for this
/// data dir (nothing to compare with), or when its origin was installed.
pub fn origin_recorded(data_dir: &Path, origin: &str) -> bool {
    let Ok(bytes) = std::fs::read(data_dir.join(ORIGINS_FILE)) else {
        return true;
    };
    match serde_json::from_slice::<Vec<String>>(&bytes) {
        Ok(list) => list.is_empty() || list.iter().any(|o| o == origin),
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests;
