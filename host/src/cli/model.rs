//! The model from the command line: `swipy train`, `score`, `bench-score` and `models`
//! (list, verify, prepare).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::args::ModelsAction;
use super::{Failure, EXIT_NOT_AVAILABLE, EXIT_SETUP_INCOMPLETE, EXIT_USAGE};
use crate::learn;
use crate::store::Store;
use crate::validate;

pub(super) fn cmd_train(
    dir: &Path,
    device: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let mut store = Store::open(dir)?;
    learn::check_labels(&learn::labelled(&store)?)?;
    let dev = learn::device(&store, device)?;
    let enc = learn::load_encoders(dir, dev)?;
    let mut progress =
        |stage: &str, done: u32, total: u32| log::info!("train: {stage} {done}/{total}");
    let (v, m) = learn::train(&enc, &mut store, &mut progress)?;
    writeln!(
        out,
        "model v{v} trained ({}-fold cross-validation)",
        m.folds
    )?;
    writeln!(out, "ROC-AUC:   {:.3}", m.roc_auc)?;
    writeln!(out, "accuracy:  {:.3}", m.accuracy)?;
    writeln!(out, "log-loss:  {:.3}", m.log_loss)?;
    writeln!(out, "labels:    {} like, {} nope", m.n_like, m.n_nope)?;
    writeln!(out, "L2:        {}", m.l2)?;
    Ok(())
}

pub(super) fn cmd_score(
    dir: &Path,
    ids: Vec<String>,
    json: bool,
    device: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let mut store = Store::open(dir)?;
    for id in &ids {
        validate::check_id(id).map_err(|e| Failure::new(EXIT_USAGE, e.message))?;
    }
    let ids = if ids.is_empty() {
        let unlabelled = store.profile_ids(true)?;
        if unlabelled.is_empty() {
            store.profile_ids(false)?
        } else {
            unlabelled
        }
    } else {
        ids
    };
    if store.active_model_version()?.is_none() {
        return Err(Failure::new(
            EXIT_NOT_AVAILABLE,
            "no trained model yet: label some profiles and run `swipy train`",
        ));
    }
    let dev = learn::device(&store, device)?;
    let mut engine = learn::Engine::new(dir, dev);
    let mut scores = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(64) {
        scores.extend(engine.scores(&mut store, chunk)?);
    }
    for s in scores {
        if json {
            let line = serde_json::json!({
                "id": s.id,
                "p_like": s.p_like,
                "parts": s.parts,
                "model_version": s.model_version,
                "state": s.state,
            });
            writeln!(out, "{line}")?;
        } else {
            let p = s
                .p_like
                .map(|p| format!("{p:.3}"))
                .unwrap_or_else(|| "-".into());
            writeln!(out, "{}\t{p}\t{}", s.id, s.state.as_str())?;
        }
    }
    Ok(())
}

pub(super) fn cmd_bench_score(
    dir: &Path,
    device: Option<&str>,
    json: PathBuf,
    page: usize,
    head_out: Option<PathBuf>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let args = learn::bench::BenchArgs {
        json,
        page,
        head_out,
    };
    let summary = learn::bench::run(dir, device, &args)?;
    writeln!(out, "{summary}")?;
    Ok(())
}

pub(super) fn cmd_models(
    dir: &Path,
    action: ModelsAction,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    match action {
        ModelsAction::List | ModelsAction::Verify => {
            let verify = action == ModelsAction::Verify;
            match learn::manifests::report(dir, verify) {
                Ok(text) => {
                    write!(out, "{text}")?;
                    Ok(())
                }
                Err((text, problems)) => {
                    write!(out, "{text}")?;
                    Err(Failure::new(EXIT_SETUP_INCOMPLETE, problems))
                }
            }
        }
        ModelsAction::Prepare => {
            let text = learn::manifests::prepare(dir)?;
            writeln!(out, "{text}")?;
            Ok(())
        }
    }
}
