//! The inference owner of a served port: one thread holding the encoders and the active
//! head, fed by a channel, so the serve loop never waits for inference. Training runs on
//! its own thread with its own store connection; progress and results go out as frames
//! through the port's [`Outbox`].

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;

use swipy_shared::protocol::{ErrorBody, Response};

use super::{Engine, LearnError};
use crate::serve::Outbox;
use crate::store::Store;

/// Default of the `retrain_every` setting: retrain after this many new labels.
pub const DEFAULT_RETRAIN_EVERY: u32 = 20;

enum Job {
    /// Score these ids; `re` = the request answered, `None` = unsolicited event.
    Score {
        re: Option<u32>,
        ids: Vec<String>,
    },
    Train {
        re: Option<u32>,
    },
    /// A label was stored: maybe retrain in the background.
    Labelled,
    /// Load the encoders and the head now when a model exists (the first recs page then
    /// scores without the cold start).
    Warm,
    /// The `device` setting changed: use it from the next encoder load on.
    Device,
}

/// Handle of the worker thread (dropping it ends the thread once its queue is empty).
pub struct Worker {
    tx: Sender<Job>,
    training: Arc<AtomicBool>,
}

impl Worker {
    /// Starts the worker for the store in `data_dir`; nothing is loaded until needed.
    pub fn start(data_dir: &Path, device: Option<String>, outbox: Outbox) -> Self {
        let (tx, rx) = channel();
        let training = Arc::new(AtomicBool::new(false));
        let t = Arc::clone(&training);
        let dir = data_dir.to_path_buf();
        let spawned = std::thread::Builder::new()
            .name("swipy-infer".into())
            .spawn(move || run(dir, device, outbox, rx, t));
        if let Err(e) = spawned {
            log::error!("cannot start the inference thread: {e}");
        }
        Self { tx, training }
    }

    /// Queues scoring; the answer (or an error) is sent with `re`.
    pub fn score(&self, re: Option<u32>, ids: Vec<String>) {
        let _ = self.tx.send(Job::Score { re, ids });
    }

    /// Queues training; refused at once while a training runs.
    pub fn train(&self, re: Option<u32>) -> Result<(), LearnError> {
        if self.training.load(Ordering::SeqCst) {
            return Err(LearnError::Busy("a training is already running".into()));
        }
        let _ = self.tx.send(Job::Train { re });
        Ok(())
    }

    /// Loads the models in the background when a trained model exists.
    pub fn warm(&self) {
        let _ = self.tx.send(Job::Warm);
    }

    /// Tells the worker the `device` setting changed.
    pub fn device_changed(&self) {
        let _ = self.tx.send(Job::Device);
    }

    /// Tells the worker a label was stored (automatic retraining).
    pub fn labelled(&self) {
        let _ = self.tx.send(Job::Labelled);
    }

    /// A function other threads (the photo fetcher) call to queue unsolicited scoring.
    pub fn score_sender(&self) -> impl Fn(Vec<String>) + Send + Sync + 'static {
        let tx = std::sync::Mutex::new(self.tx.clone());
        move |ids| {
            if let Ok(tx) = tx.lock() {
                let _ = tx.send(Job::Score { re: None, ids });
            }
        }
    }
}

fn error(e: &LearnError) -> Response {
    Response::Error(ErrorBody::new(e.code(), e.to_string()))
}

fn run(
    dir: PathBuf,
    device: Option<String>,
    outbox: Outbox,
    rx: Receiver<Job>,
    training: Arc<AtomicBool>,
) {
    let mut store = match Store::open(&dir) {
        Ok(s) => s,
        Err(e) => {
            log::error!("inference thread: cannot open the store: {e}");
            return;
        }
    };
    let pick = |store: &Store| match super::device(store, device.as_deref()) {
        Ok(d) => d,
        Err(e) => {
            log::warn!("{e}; using the CPU");
            swipy_models::Device::Cpu
        }
    };
    let mut dev = pick(&store);
    let mut engine = Engine::new(&dir, dev);
    // Active model version and new-label count when automatic retraining was last tried:
    // a try that made no new model waits for `every` more labels before the next one.
    let mut last_auto: Option<(Option<u32>, u32)> = None;
    while let Ok(job) = rx.recv() {
        match job {
            Job::Score { re, ids } => {
                let started = std::time::Instant::now();
                match engine.scores(&mut store, &ids) {
                    Ok(scores) => {
                        let ready = scores.iter().filter(|s| s.state == "ready").count();
                        log::info!(
                            "scored {ready} of {} profile(s) in {} ms",
                            ids.len(),
                            started.elapsed().as_millis()
                        );
                        // Unsolicited scores only when something could be scored.
                        if re.is_some() || ready > 0 {
                            let _ = outbox.send(re, Response::Scores { scores });
                        }
                    }
                    Err(e) => {
                        log::warn!("scoring failed: {e}");
                        if re.is_some() {
                            let _ = outbox.send(re, error(&e));
                        }
                    }
                }
            }
            Job::Warm => {
                if let Err(e) = engine.warm(&store) {
                    log::warn!("models not preloaded: {e}");
                }
            }
            Job::Device => {
                let now = pick(&store);
                if now != dev {
                    log::info!(
                        "device setting changed: {dev:?} → {now:?} (models reload on next use)"
                    );
                    // A running training keeps its own handle on the old encoders.
                    dev = now;
                    engine = Engine::new(&dir, dev);
                }
            }
            Job::Train { re } => {
                if let Err(e) = start_training(&dir, &mut engine, &outbox, &training, re) {
                    let _ = outbox.send(re, error(&e));
                }
            }
            Job::Labelled => {
                if training.load(Ordering::SeqCst) {
                    continue;
                }
                let every = store
                    .settings()
                    .ok()
                    .and_then(|s| s.get("retrain_every").and_then(serde_json::Value::as_u64))
                    .map(|n| n as u32)
                    .unwrap_or(DEFAULT_RETRAIN_EVERY);
                if every == 0 {
                    continue;
                }
                let Ok(new) = store.labels_since_model() else {
                    continue;
                };
                let version = store.active_model_version().ok().flatten();
                let due = new >= every
                    && match last_auto {
                        Some((v, tried_at)) if v == version => new >= tried_at + every,
                        _ => true,
                    };
                let enough = super::labelled(&store)
                    .map(|d| super::check_labels(&d).is_ok())
                    .unwrap_or(false);
                if due && enough {
                    last_auto = Some((version, new));
                    log::info!("{new} new label(s) since the last model: retraining");
                    if let Err(e) = start_training(&dir, &mut engine, &outbox, &training, None) {
                        log::warn!("automatic retraining not started: {e}");
                    }
                }
            }
        }
    }
}

fn start_training(
    dir: &Path,
    engine: &mut Engine,
    outbox: &Outbox,
    training: &Arc<AtomicBool>,
    re: Option<u32>,
) -> Result<(), LearnError> {
    if training.swap(true, Ordering::SeqCst) {
        return Err(LearnError::Busy("a training is already running".into()));
    }
    let mut prepare = || -> Result<_, LearnError> {
        let store = Store::open(dir)?;
        super::check_labels(&super::labelled(&store)?)?;
        let enc = engine.encoders()?;
        Ok((store, enc))
    };
    let (mut store, enc) = match prepare() {
        Ok(x) => x,
        Err(e) => {
            training.store(false, Ordering::SeqCst);
            return Err(e);
        }
    };
    let out = outbox.clone();
    let flag = Arc::clone(training);
    let spawned = std::thread::Builder::new()
        .name("swipy-train".into())
        .spawn(move || {
            let mut progress = |stage: &str, done: u32, total: u32| {
                let _ = out.send(
                    None,
                    Response::TrainProgress {
                        stage: stage.to_owned(),
                        done,
                        total,
                    },
                );
            };
            let result = super::train(&enc, &mut store, &mut progress);
            flag.store(false, Ordering::SeqCst);
            match result {
                Ok((model_version, metrics)) => {
                    let _ = out.send(
                        re,
                        Response::Trained {
                            model_version,
                            metrics,
                        },
                    );
                }
                Err(e) => {
                    log::warn!("training failed: {e}");
                    let _ = out.send(re, error(&e));
                }
            }
        });
    if let Err(e) = spawned {
        training.store(false, Ordering::SeqCst);
        return Err(LearnError::Other(format!("cannot start training: {e}")));
    }
    Ok(())
}
