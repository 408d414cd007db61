//! The model manifests (`models/manifests/*.toml`), built into the binary so an installed
//! host knows what to expect, and `swipy models list|verify|prepare`.
//!
//! Only the few fields needed here are read (id, kind, offline, description and the
//! `[[files]]` name + sha256), by a small line reader: the manifests are flat TOML.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::LearnError;

/// The manifests' text, by file name.
pub const MANIFESTS: &[(&str, &str)] = &[
    (
        "e5-small.toml",
        include_str!("../../../models/manifests/e5-small.toml"),
    ),
    (
        "yunet.toml",
        include_str!("../../../models/manifests/yunet.toml"),
    ),
    (
        "sface.toml",
        include_str!("../../../models/manifests/sface.toml"),
    ),
    (
        "open-nsfw.toml",
        include_str!("../../../models/manifests/open-nsfw.toml"),
    ),
    (
        "e5-small-hf.toml",
        include_str!("../../../models/manifests/e5-small-hf.toml"),
    ),
    (
        "clip-vit-b32-hf.toml",
        include_str!("../../../models/manifests/clip-vit-b32-hf.toml"),
    ),
];

/// One file a model needs.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFile {
    pub name: String,
    pub sha256: String,
}

/// The parts of a manifest used here.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Manifest {
    pub id: String,
    pub kind: String,
    pub offline: bool,
    pub description: String,
    pub files: Vec<ModelFile>,
}

fn unquote(v: &str) -> String {
    v.trim().trim_matches('"').to_owned()
}

/// Reads the top-level keys and the `[[files]]` tables of a flat manifest.
pub fn parse(text: &str) -> Manifest {
    let mut m = Manifest::default();
    let mut section = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if line.starts_with('[') {
            section = line.trim_matches(|c| c == '[' || c == ']').to_owned();
            if section == "files" {
                m.files.push(ModelFile {
                    name: String::new(),
                    sha256: String::new(),
                });
            }
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim());
        match (section.as_str(), k) {
            ("", "id") => m.id = unquote(v),
            ("", "kind") => m.kind = unquote(v),
            ("", "offline") => m.offline = v == "true",
            ("", "description") => m.description = unquote(v),
            ("files", "name") => {
                if let Some(f) = m.files.last_mut() {
                    f.name = unquote(v);
                }
            }
            ("files", "sha256") => {
                if let Some(f) = m.files.last_mut() {
                    f.sha256 = unquote(v);
                }
            }
            _ => {}
        }
    }
    m
}

/// The offline encoder models this build knows (runtime manifests left out).
pub fn offline_models() -> Vec<Manifest> {
    MANIFESTS
        .iter()
        .map(|(_, t)| parse(t))
        .filter(|m| m.offline && !m.files.is_empty())
        .collect()
}

/// sha256 (hex) of a file, streamed.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(crate::store::hex(&h.finalize()))
}

/// State of one model file.
#[derive(Debug, Clone, PartialEq)]
pub enum FileState {
    Missing,
    Present,
    Verified,
    Mismatch(String),
}

/// Checks every offline model's files in `dir` (hashing only when `verify`).
pub fn check(dir: &Path, verify: bool) -> Vec<(Manifest, Vec<(ModelFile, FileState)>)> {
    offline_models()
        .into_iter()
        .map(|m| {
            let files = m
                .files
                .iter()
                .map(|f| {
                    let p = dir.join(&m.id).join(&f.name);
                    let state = if !p.is_file() {
                        FileState::Missing
                    } else if !verify {
                        FileState::Present
                    } else {
                        match sha256_file(&p) {
                            Ok(h) if h == f.sha256 => FileState::Verified,
                            Ok(h) => FileState::Mismatch(h),
                            Err(e) => FileState::Mismatch(format!("unreadable: {e}")),
                        }
                    };
                    (f.clone(), state)
                })
                .collect();
            (m, files)
        })
        .collect()
}

/// `swipy models list` / `verify`: a plain-text report; `Err` lists the problems.
pub fn report(data_dir: &Path, verify: bool) -> Result<String, (String, String)> {
    let dir = super::find_models_dir(data_dir);
    let mut s = String::new();
    let mut problems = Vec::new();
    let shown = dir
        .as_ref()
        .map(|d| d.display().to_string())
        .unwrap_or_else(|| "none found".into());
    s.push_str(&format!("models dir: {shown}\n"));
    let dir = dir.unwrap_or_else(|| data_dir.join("models"));
    for (m, files) in check(&dir, verify) {
        let state = if files.iter().all(|(_, st)| *st == FileState::Verified) {
            "verified"
        } else if files.iter().any(|(_, st)| *st == FileState::Missing) {
            "missing"
        } else if files
            .iter()
            .any(|(_, st)| matches!(st, FileState::Mismatch(_)))
        {
            "CHECKSUM MISMATCH"
        } else {
            "present"
        };
        s.push_str(&format!("{:<10} {:<15} {state}\n", m.id, m.kind));
        for (f, st) in files {
            match st {
                FileState::Missing => problems.push(format!("{}/{} is missing", m.id, f.name)),
                FileState::Mismatch(h) => problems.push(format!(
                    "{}/{} has sha256 {h}, expected {}",
                    m.id, f.name, f.sha256
                )),
                _ => {}
            }
        }
    }
    let online: Vec<String> = MANIFESTS
        .iter()
        .map(|(_, t)| parse(t))
        .filter(|m| !m.offline)
        .map(|m| m.id)
        .collect();
    if !online.is_empty() {
        s.push_str(&format!(
            "online-only manifests (never downloaded at run time): {}\n",
            online.join(", ")
        ));
    }
    if problems.is_empty() {
        Ok(s)
    } else {
        Err((s, problems.join("; ")))
    }
}

/// Where `models/prepare.py` is: `$SWIPY_REPO/models`, or the source tree this binary
/// was built in (`<exe dir>/../../models`).
pub fn prepare_script() -> Option<PathBuf> {
    let mut c = Vec::new();
    if let Some(r) = std::env::var_os("SWIPY_REPO") {
        c.push(PathBuf::from(r).join("models/prepare.py"));
    }
    if let Ok(exe) = crate::paths::current_exe() {
        if let Some(d) = exe.parent().and_then(Path::parent).and_then(Path::parent) {
            c.push(d.join("models/prepare.py"));
        }
    }
    c.into_iter().find(|p| p.is_file())
}

/// `swipy models prepare`: runs the conversion script into the models dir (and the ONNX
/// Runtime library into `<models dir>/../ort`). Its output goes to stderr.
pub fn prepare(data_dir: &Path) -> Result<String, LearnError> {
    let Some(script) = prepare_script() else {
        return Err(LearnError::NotAvailable(
            "the model conversion scripts are not available to this installed binary; run `cargo xtask models` in the Swipy source tree (or set SWIPY_REPO to it)".into(),
        ));
    };
    let out = super::find_models_dir(data_dir).unwrap_or_else(|| data_dir.join("models"));
    let ort = out
        .parent()
        .map(|p| p.join("ort"))
        .unwrap_or_else(|| data_dir.join("ort"));
    let status = std::process::Command::new("python3")
        .arg(&script)
        .arg("--out")
        .arg(&out)
        .arg("--ort")
        .arg(&ort)
        .stdout(std::process::Stdio::from(std::io::stderr()))
        .status()
        .map_err(|e| LearnError::NotAvailable(format!("cannot run python3: {e}")))?;
    if !status.success() {
        return Err(LearnError::Other(format!(
            "{} failed ({status})",
            script.display()
        )));
    }
    Ok(format!("models prepared in {}", out.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_manifests_name_every_offline_encoder_with_checksums() {
        let ids: Vec<String> = offline_models().into_iter().map(|m| m.id).collect();
        assert_eq!(ids, ["e5-small", "yunet", "sface", "open-nsfw"]);
        for m in offline_models() {
            for f in &m.files {
                assert_eq!(f.sha256.len(), 64, "{} {}", m.id, f.name);
                assert!(f.sha256.bytes().all(|b| b.is_ascii_hexdigit()));
            }
        }
        let e5 = parse(MANIFESTS[0].1);
        let names: Vec<&str> = e5.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["model.onnx", "tokenizer.json"]);
        assert_eq!(e5.kind, "text");
    }

    #[test]
    fn check_reports_missing_present_and_mismatched_files() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::create_dir_all(dir.path().join("yunet")).expect("mkdir");
        std::fs::write(dir.path().join("yunet/model.onnx"), b"x").expect("w");
        let listed = check(dir.path(), false);
        let state = |id: &str, l: &[(Manifest, Vec<(ModelFile, FileState)>)]| {
            l.iter().find(|(m, _)| m.id == id).expect("id").1[0]
                .1
                .clone()
        };
        assert_eq!(state("yunet", &listed), FileState::Present);
        assert_eq!(state("sface", &listed), FileState::Missing);
        let verified = check(dir.path(), true);
        assert!(matches!(state("yunet", &verified), FileState::Mismatch(_)));
    }
}
