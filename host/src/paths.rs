//! Where Swipy keeps things: the data dir and the lookup paths for ONNX Runtime and the
//! prepared models (the order is listed in `docs/ARCHITECTURE.md` and below).

use std::path::{Path, PathBuf};

/// Environment variable overriding the data dir.
pub const ENV_HOME: &str = "SWIPY_HOME";

/// `--data-dir`, else `$SWIPY_HOME`, else the platform data dir
/// (Linux `$XDG_DATA_HOME/swipy` or `~/.local/share/swipy`, macOS
/// `~/Library/Application Support/swipy`, Windows `%APPDATA%\swipy`).
pub fn data_dir(explicit: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(p) = explicit {
        return Ok(absolute(p));
    }
    if let Some(p) = std::env::var_os(ENV_HOME).filter(|s| !s.is_empty()) {
        return Ok(absolute(Path::new(&p)));
    }
    platform_data_dir()
        .map(|d| d.join("swipy"))
        .ok_or_else(|| "cannot find a data directory: set SWIPY_HOME or pass --data-dir".to_owned())
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|c| c.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    }
}

fn env_dir(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
}

#[cfg(target_os = "windows")]
fn platform_data_dir() -> Option<PathBuf> {
    env_dir("APPDATA")
}

#[cfg(target_os = "macos")]
fn platform_data_dir() -> Option<PathBuf> {
    env_dir("HOME").map(|h| h.join("Library/Application Support"))
}

#[cfg(not(any(target_os = "windows", target_os = "macos")))]
fn platform_data_dir() -> Option<PathBuf> {
    env_dir("XDG_DATA_HOME").or_else(|| env_dir("HOME").map(|h| h.join(".local/share")))
}

/// The running executable, absolute and with links resolved.
pub fn current_exe() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))?;
    Ok(plain_path(exe.canonicalize().unwrap_or(exe)))
}

/// On Windows, `canonicalize` returns `\\?\C:\...` paths, which browsers do not accept
/// in a host manifest; drop that prefix for ordinary drive paths.
fn plain_path(p: PathBuf) -> PathBuf {
    if cfg!(windows) {
        let s = p.to_string_lossy();
        if let Some(rest) = s.strip_prefix(r"\\?\") {
            if !rest.starts_with("UNC\\") {
                return PathBuf::from(rest);
            }
        }
    }
    p
}

/// The folder of the running executable (where an unpacked release archive keeps the
/// ONNX Runtime library and the models, next to `swipy`).
fn exe_dir() -> Option<PathBuf> {
    current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
}

/// Candidate locations of the ONNX Runtime library, in lookup order: `$ORT_DYLIB_PATH`,
/// next to the executable (release archives), `<exe dir>/../ort` (development builds),
/// `<data dir>/ort`.
pub fn ort_candidates(data_dir: &Path) -> Vec<PathBuf> {
    ort_candidates_from(env_dir("ORT_DYLIB_PATH"), exe_dir().as_deref(), data_dir)
}

fn ort_candidates_from(
    env: Option<PathBuf>,
    exe_dir: Option<&Path>,
    data_dir: &Path,
) -> Vec<PathBuf> {
    let mut v = Vec::new();
    v.extend(env);
    if let Some(dir) = exe_dir {
        v.push(dir.join(ort_file_name()));
        v.push(dir.join("../ort").join(ort_file_name()));
    }
    v.push(data_dir.join("ort").join(ort_file_name()));
    v
}

/// Candidate locations of the prepared models dir, in lookup order: `$SWIPY_MODELS_DIR`,
/// `<exe dir>/models` (release archives), `<exe dir>/../models` (development builds),
/// `<data dir>/models`.
pub fn models_candidates(data_dir: &Path) -> Vec<PathBuf> {
    models_candidates_from(env_dir("SWIPY_MODELS_DIR"), exe_dir().as_deref(), data_dir)
}

fn models_candidates_from(
    env: Option<PathBuf>,
    exe_dir: Option<&Path>,
    data_dir: &Path,
) -> Vec<PathBuf> {
    let mut v = Vec::new();
    v.extend(env);
    if let Some(dir) = exe_dir {
        v.push(dir.join("models"));
        v.push(dir.join("../models"));
    }
    v.push(data_dir.join("models"));
    v
}

/// The ONNX Runtime library's file name on this OS (release archives ship it under this
/// name next to `swipy`).
pub fn ort_file_name() -> &'static str {
    if cfg!(windows) {
        "onnxruntime.dll"
    } else if cfg!(target_os = "macos") {
        "libonnxruntime.dylib"
    } else {
        "libonnxruntime.so"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unpacked_archive_is_looked_up_next_to_the_executable_first() {
        let exe = Path::new("/opt/swipy-host");
        let data = Path::new("/home/u/.local/share/swipy");
        let ort = ort_candidates_from(None, Some(exe), data);
        assert_eq!(ort[0], exe.join(ort_file_name()));
        assert_eq!(ort.last(), Some(&data.join("ort").join(ort_file_name())));
        let models = models_candidates_from(None, Some(exe), data);
        assert_eq!(models[0], exe.join("models"));
        assert_eq!(models[1], exe.join("../models"));
        assert_eq!(models.last(), Some(&data.join("models")));
        // The environment wins over everything.
        let env = PathBuf::from("/x/libort.so");
        assert_eq!(
            ort_candidates_from(Some(env.clone()), Some(exe), data)[0],
            env
        );
    }
}
