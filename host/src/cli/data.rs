//! Data in and out: imports (recs, HAR, seed folder, with their photo downloads), labels
//! from the command line, `swipy stats` and `swipy export` (JSON Lines, CSV).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;
use swipy_shared::protocol::{LabelSource, Verdict};

use super::args::{CliVerdict, ExportFormat};
use super::{Failure, EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_NOT_FOUND, EXIT_USAGE};
use crate::fetch::{FetchConfig, Fetcher};
use crate::ingest;
use crate::store::{now_ms, ExportRow, NewLabel, Store};
use crate::validate;

/// How long CLI imports wait for photo downloads.
const IMPORT_FETCH_WAIT: std::time::Duration = std::time::Duration::from_secs(300);

fn start_fetcher(dir: &Path, no_photos: bool) -> Result<Option<Fetcher>, Failure> {
    if no_photos {
        return Ok(None);
    }
    let cfg = FetchConfig::from_env().map_err(|e| Failure::new(EXIT_FAILURE, e.to_string()))?;
    Fetcher::new(dir, cfg)
        .map(Some)
        .map_err(|e| Failure::new(EXIT_FAILURE, e.to_string()))
}

fn finish_fetch(
    fetcher: Option<Fetcher>,
    queued: usize,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    if let Some(f) = fetcher {
        if queued > 0 {
            let done = f.wait_idle(IMPORT_FETCH_WAIT);
            let t = f.tally();
            write!(out, "photos: {} of {queued} downloaded", t.stored)?;
            if t.failed > 0 {
                write!(
                    out,
                    ", {} failed (last: {})",
                    t.failed,
                    t.last_error.unwrap_or_default()
                )?;
            }
            if !done {
                write!(
                    out,
                    ", {} abandoned after {} s",
                    f.pending(),
                    IMPORT_FETCH_WAIT.as_secs()
                )?;
            }
            writeln!(out)?;
        }
    }
    Ok(())
}

pub(super) fn cmd_import_recs(
    dir: &Path,
    file: &str,
    no_photos: bool,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let bytes = if file == "-" {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut b)
            .map_err(|e| Failure::new(EXIT_BAD_INPUT, format!("cannot read stdin: {e}")))?;
        b
    } else {
        std::fs::read(file)
            .map_err(|e| Failure::new(EXIT_BAD_INPUT, format!("cannot read {file}: {e}")))?
    };
    let body: Value = serde_json::from_slice(&bytes)
        .map_err(|e| Failure::new(EXIT_BAD_INPUT, format!("{file} is not JSON: {e}")))?;
    if !ingest::looks_like_recs(&body) {
        return Err(Failure::new(
            EXIT_BAD_INPUT,
            format!("{file} is not a /v2/recs/core response (no data.results)"),
        ));
    }
    let mut store = Store::open(dir)?;
    let fetcher = start_fetcher(dir, no_photos)?;
    let (parsed, o) = ingest::ingest_recs(&mut store, &body, now_ms(), "import-recs")?;
    writeln!(
        out,
        "imported {} profiles ({} new), {} skipped{}",
        o.profiles,
        o.new_profiles,
        parsed.skipped,
        if parsed.rate_limited {
            ", rate limited"
        } else {
            ""
        }
    )?;
    let queued = o.to_fetch.len();
    if let Some(f) = &fetcher {
        f.enqueue(o.to_fetch);
    }
    finish_fetch(fetcher, queued, out)
}

pub(super) fn cmd_import_har(
    dir: &Path,
    file: &Path,
    no_photos: bool,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let bytes = std::fs::read(file).map_err(|e| {
        Failure::new(
            EXIT_BAD_INPUT,
            format!("cannot read {}: {e}", file.display()),
        )
    })?;
    let har: Value = serde_json::from_slice(&bytes).map_err(|e| {
        Failure::new(
            EXIT_BAD_INPUT,
            format!("{} is not JSON: {e}", file.display()),
        )
    })?;
    let (found, unreadable) = ingest::recs_from_har(&har)?;
    let mut store = Store::open(dir)?;
    let fetcher = start_fetcher(dir, no_photos)?;
    let (mut profiles, mut new_profiles, mut queued) = (0, 0, 0);
    for r in &found {
        let at = r.started_ms.unwrap_or_else(now_ms);
        let (_, o) = ingest::ingest_recs(&mut store, &r.body, at, "import-har")?;
        profiles += o.profiles;
        new_profiles += o.new_profiles;
        queued += o.to_fetch.len();
        if let Some(f) = &fetcher {
            f.enqueue(o.to_fetch);
        }
    }
    writeln!(
        out,
        "{} recs responses in {}: {profiles} profiles ({new_profiles} new){}",
        found.len(),
        file.display(),
        if unreadable > 0 {
            format!(", {unreadable} recs entries without a readable body")
        } else {
            String::new()
        }
    )?;
    finish_fetch(fetcher, queued, out)
}

pub(super) fn cmd_import_seed(
    dir: &Path,
    seed: PathBuf,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let mut store = Store::open(dir)?;
    let o = ingest::import_seed(&mut store, &seed, now_ms())?;
    writeln!(
        out,
        "imported {} profiles, {} photos, {} new labels from {}",
        o.profiles,
        o.photos,
        o.labels,
        seed.display()
    )?;
    for f in &o.skipped_files {
        writeln!(out, "skipped {f}")?;
    }
    Ok(())
}

pub(super) fn cmd_label(
    dir: &Path,
    id: String,
    verdict: CliVerdict,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    validate::check_id(&id).map_err(|e| Failure::new(EXIT_USAGE, e.message))?;
    let mut store = Store::open(dir)?;
    if !store.profile_exists(&id)? {
        return Err(Failure::new(
            EXIT_NOT_FOUND,
            format!("no profile {id} in the store"),
        ));
    }
    let at = now_ms();
    let key = format!("cli:{id}:{at}:{}", fastrand::u32(..));
    let verdict = Verdict::from(verdict);
    store.add_label(&NewLabel {
        profile_id: &id,
        verdict,
        source: LabelSource::Cli,
        at_ms: at,
        key: &key,
    })?;
    writeln!(out, "{id}: {}", verdict.as_str())?;
    Ok(())
}

pub(super) fn cmd_stats(dir: &Path, json: bool, out: &mut dyn Write) -> Result<(), Failure> {
    let store = Store::open(dir)?;
    let s = crate::counts::stats(&store, now_ms())?;
    if json {
        writeln!(
            out,
            "{}",
            serde_json::to_string(&s).map_err(|e| Failure::new(EXIT_FAILURE, e.to_string()))?
        )?;
    } else {
        let known = store.photos_known()?;
        writeln!(
            out,
            "profiles captured: {} today / {} in total",
            s.profiles_today, s.profiles
        )?;
        writeln!(out, "photos:    {} downloaded of {known} known", s.photos)?;
        writeln!(
            out,
            "profiles labelled: {} today / {} in total (like {}, nope {}, superlike {})",
            s.labels_today, s.labels, s.likes, s.nopes, s.superlikes
        )?;
        writeln!(out, "matches:   {}", s.matches)?;
        match (s.model_version, &s.metrics) {
            (Some(v), Some(m)) => writeln!(out, "model:     v{v} (ROC AUC {:.3})", m.roc_auc)?,
            _ => writeln!(out, "model:     none yet")?,
        }
        writeln!(out, "data dir:  {}", dir.display())?;
    }
    Ok(())
}

pub(super) fn cmd_export(
    dir: &Path,
    format: ExportFormat,
    output: Option<PathBuf>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let store = Store::open(dir)?;
    let rows = store.export_rows()?;
    let text = match format {
        ExportFormat::Jsonl => export_jsonl(&rows),
        ExportFormat::Csv => export_csv(&rows)?,
    };
    match output {
        Some(p) => std::fs::write(&p, text).map_err(|e| {
            Failure::new(EXIT_FAILURE, format!("cannot write {}: {e}", p.display()))
        })?,
        None => out.write_all(text.as_bytes())?,
    }
    Ok(())
}

/// JSON Lines: one object per profile.
pub fn export_jsonl(rows: &[ExportRow]) -> String {
    let mut s = String::new();
    for r in rows {
        if let Ok(line) = serde_json::to_string(r) {
            s.push_str(&line);
            s.push('\n');
        }
    }
    s
}

/// The columns of `swipy export --format csv`.
pub const CSV_HEADER: [&str; 8] = [
    "id",
    "name",
    "age",
    "distance_km",
    "bio",
    "photos",
    "photos_fetched",
    "label",
];

/// CSV through the `csv` crate (RFC 4180 quoting), columns [`CSV_HEADER`]. Every cell is
/// passed through [`csv_safe`], so a spreadsheet opening the file never runs a formula a
/// profile's name or bio smuggled in.
pub fn export_csv(rows: &[ExportRow]) -> std::io::Result<String> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(CSV_HEADER)?;
    for r in rows {
        let fields = [
            r.id.clone(),
            r.name.clone(),
            r.age.map(|a| a.to_string()).unwrap_or_default(),
            r.distance_km.map(|d| format!("{d:.3}")).unwrap_or_default(),
            r.bio.clone(),
            r.photos.to_string(),
            r.photos_fetched.to_string(),
            r.label.clone().unwrap_or_default(),
        ];
        w.write_record(fields.iter().map(|f| csv_safe(f).into_owned()))?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    String::from_utf8(bytes).map_err(std::io::Error::other)
}

/// The OWASP CSV-injection rule: a cell starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return gets a leading single quote, so spreadsheets read it as text.
pub fn csv_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}
