//! The inference owner of a served port: one thread holding the encoders and the active
//! head, fed by a channel, so the serve loop never waits for inference. Training runs on
//! its own thread with its own store connection; progress and results go out as frames
//! through the port's [`Outbox`].
//!
//! A panic never bricks either thread: the inference thread catches it per job (logs it,
//! answers the request with error `internal`, and takes the next job with freshly loaded
//! models); the training thread catches it, logs it, answers `internal`, and "a training is
//! already running" is cleared however the training ends ([`TrainingFlag`]).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;

use swipy_shared::protocol::{ErrorBody, HostSetting, Response, ScoreState};

use super::{Engine, LearnError};
use crate::outbox::Outbox;
use crate::store::faults::{panic_message, panic_point};
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
    /// Answers requests itself when the thread is gone, so none waits forever.
    outbox: Outbox,
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
            .spawn({
                let outbox = outbox.clone();
                move || run(dir, device, outbox, rx, t)
            });
        if let Err(e) = spawned {
            log::error!("cannot start the inference thread: {e}");
        }
        Self {
            tx,
            training,
            outbox,
        }
    }

    /// Queues scoring; the answer (or an error) is sent with `re`.
    pub fn score(&self, re: Option<u32>, ids: Vec<String>) {
        self.send(Job::Score { re, ids });
    }

    /// Queues training; refused at once while a training runs.
    pub fn train(&self, re: Option<u32>) -> Result<(), LearnError> {
        if self.training.load(Ordering::SeqCst) {
            return Err(LearnError::Busy("a training is already running".into()));
        }
        self.send(Job::Train { re });
        Ok(())
    }

    /// Loads the models in the background when a trained model exists.
    pub fn warm(&self) {
        self.send(Job::Warm);
    }

    /// Tells the worker the `device` setting changed.
    pub fn device_changed(&self) {
        self.send(Job::Device);
    }

    /// Tells the worker a label was stored (automatic retraining).
    pub fn labelled(&self) {
        self.send(Job::Labelled);
    }

    /// Queues a job; when the thread is gone (it could not start), logs it and answers the
    /// job's request with error `internal` instead of dropping it silently.
    fn send(&self, job: Job) {
        if let Err(std::sync::mpsc::SendError(job)) = self.tx.send(job) {
            let kind = job.kind();
            log::error!("the inference thread is not running: `{kind}` not handled");
            if let Some(re) = job.re() {
                let e = LearnError::Other(format!(
                    "the host's inference thread is not running; `{kind}` was not handled"
                ));
                let _ = self.outbox.send(Some(re), error(&e));
            }
        }
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

/// Holds "a training is running" and clears it when dropped: at the end of the training,
/// after an error, and while a panicking training thread unwinds.
struct TrainingFlag(Arc<AtomicBool>);

impl Drop for TrainingFlag {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

impl Job {
    /// The request this job answers, if any.
    fn re(&self) -> Option<u32> {
        match self {
            Job::Score { re, .. } | Job::Train { re } => *re,
            Job::Labelled | Job::Warm | Job::Device => None,
        }
    }
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
            // Answer every request instead of leaving it waiting forever.
            let e = LearnError::Store(e);
            while let Ok(job) = rx.recv() {
                if let Some(re) = job.re() {
                    let _ = outbox.send(Some(re), error(&e));
                }
            }
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
        let re = job.re();
        let kind = job.kind();
        let handled = catch_unwind(AssertUnwindSafe(|| {
            handle(
                job,
                &dir,
                &mut store,
                &mut engine,
                &mut dev,
                &pick,
                &outbox,
                &training,
                &mut last_auto,
            )
        }));
        if let Err(p) = handled {
            let why = panic_message(&*p);
            log::error!(
                "the inference thread panicked while handling `{kind}`: {why}; it goes on with freshly loaded models"
            );
            engine = Engine::new(&dir, dev);
            if re.is_some() {
                let e =
                    LearnError::Other(format!("the host failed while handling `{kind}`: {why}"));
                let _ = outbox.send(re, error(&e));
            }
        }
    }
}

impl Job {
    fn kind(&self) -> &'static str {
        match self {
            Job::Score { .. } => "scores",
            Job::Train { .. } => "train",
            Job::Labelled => "retraining check",
            Job::Warm => "model warm-up",
            Job::Device => "device change",
        }
    }
}

/// Handles one job of the inference thread.
#[allow(clippy::too_many_arguments)]
fn handle(
    job: Job,
    dir: &Path,
    store: &mut Store,
    engine: &mut Engine,
    dev: &mut swipy_models::Device,
    pick: &dyn Fn(&Store) -> swipy_models::Device,
    outbox: &Outbox,
    training: &Arc<AtomicBool>,
    last_auto: &mut Option<(Option<u32>, u32)>,
) {
    match job {
        Job::Score { re, ids } => {
            panic_point("score");
            let started = std::time::Instant::now();
            match engine.scores(store, &ids) {
                Ok(scores) => {
                    let ready = scores
                        .iter()
                        .filter(|s| s.state == ScoreState::Ready)
                        .count();
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
            if let Err(e) = engine.warm(store) {
                log::warn!("models not preloaded: {e}");
            }
        }
        Job::Device => {
            let now = pick(store);
            if now != *dev {
                log::info!("device setting changed: {dev:?} → {now:?} (models reload on next use)");
                // A running training keeps its own handle on the old encoders.
                *dev = now;
                *engine = Engine::new(dir, now);
            }
        }
        Job::Train { re } => {
            if let Err(e) = start_training(dir, engine, outbox, training, re) {
                let _ = outbox.send(re, error(&e));
            }
        }
        Job::Labelled => {
            if training.load(Ordering::SeqCst) {
                return;
            }
            let every = store
                .settings()
                .ok()
                .and_then(|s| {
                    s.get(HostSetting::RetrainEvery.name())
                        .and_then(serde_json::Value::as_u64)
                })
                .map(|n| n as u32)
                .unwrap_or(DEFAULT_RETRAIN_EVERY);
            if every == 0 {
                return;
            }
            let Ok(new) = store.labels_since_model() else {
                return;
            };
            let version = store.active_model_version().ok().flatten();
            let due = new >= every
                && match *last_auto {
                    Some((v, tried_at)) if v == version => new >= tried_at + every,
                    _ => true,
                };
            let enough = super::labelled(store)
                .map(|d| super::check_labels(&d).is_ok())
                .unwrap_or(false);
            if due && enough {
                *last_auto = Some((version, new));
                log::info!("{new} new label(s) since the last model: retraining");
                if let Err(e) = start_training(dir, engine, outbox, training, None) {
                    log::warn!("automatic retraining not started: {e}");
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
    // From here on the flag clears itself however the training ends.
    let flag = TrainingFlag(Arc::clone(training));
    let (mut store, enc) = prepare()?;
    let out = outbox.clone();
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
            let result = catch_unwind(AssertUnwindSafe(|| {
                panic_point("train");
                super::train(&enc, &mut store, &mut progress)
            }))
            .unwrap_or_else(|p| {
                let why = panic_message(&*p);
                log::error!("the training thread panicked: {why}; no model was stored");
                Err(LearnError::Other(format!("the training failed: {why}")))
            });
            // Cleared before the answer goes out, so a `train` sent on receipt is accepted.
            drop(flag);
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
        // The closure (and so the flag) was dropped: "training" is clear again.
        return Err(LearnError::Other(format!("cannot start training: {e}")));
    }
    Ok(())
}
