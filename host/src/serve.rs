//! Serve mode: the native messaging host the browser starts.
//!
//! # Launch
//!
//! Browsers start `swipy` with the caller's origin as the first argument:
//! Chromium-family browsers pass `chrome-extension://<id>/` (on Windows followed by
//! `--parent-window=<n>`), Firefox passes `<path of the host manifest> <add-on id>`.
//! `swipy serve` does the same by hand. See [`crate::launch::BrowserLaunch::detect`].
//!
//! # Frames
//!
//! Each message is a 4-byte native-endian length followed by that many bytes of UTF-8
//! JSON (the envelope of `swipy_shared::protocol`). Limits:
//!
//! - browser → host: at most [`MAX_FRAME_FROM_BROWSER`] (16 MiB). A longer frame is
//!   answered with error `frame_too_large` (code 2); its body is read and discarded in
//!   64 KiB pieces (never held in memory) and the host keeps serving.
//! - host → browser: at most [`swipy_shared::protocol::MAX_FRAME_TO_BROWSER`] (1 MiB, Chrome's limit). A `scores`
//!   answer that would be longer is split into several `scores` messages answering the
//!   same request (`re`); any other oversized answer becomes error `response_too_large`
//!   (code 15).
//! - stdout carries frames only; logs go to stderr and `<data dir>/logs/swipy.log`.
//!
//! # Conversation
//!
//! The first request must be `hello` with the same protocol version (else error
//! `hello_required` (9) / `version_mismatch` (6)). Every malformed frame, bad JSON,
//! unknown `type` or bad `data` gets a typed `error` (with `re` when the request id could
//! be read) and the host reads the next frame. `ack`s are sent only after the store has
//! committed; a replayed idempotency key is acknowledged again without a second write.
//! The host holds no Tinder token and never calls Tinder's API: recs, likes and matches
//! come from the page's own answers. Labels for profiles the store has
//! not seen (yet) are stored and acknowledged all the same.
//!
//! Host → browser frames all go through one [`Outbox`] (a mutex around stdout, in
//! [`crate::outbox`]), which
//! [`Session::events`] also hands to background work for unsolicited events such as
//! `train_progress`.
//!
//! After EOF the host keeps running for at most [`FETCH_GRACE`] to finish photo downloads
//! already started (signed photo URLs expire; there is no second chance).
//!
//! # Exit codes (serve mode)
//!
//! - 0: stdin reached its end (the browser closed the port), including a frame cut off by
//!   the end of the stream, or stdout was closed by the browser.
//! - 1: the store could not be opened or stdin failed with an I/O error.
//! - 3: started for a Chromium extension other than the ones `swipy install
//!   --extension-id` registered for this data dir (`<data dir>/installed_origins.json`);
//!   every request is answered with error `caller_refused` (20) and nothing is stored.
//!
//! The CLI's exit codes are listed in [`crate::cli`] and `swipy --help`.

use std::io::{Read, Write};
use std::sync::atomic::AtomicU32;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use swipy_shared::protocol::{
    Envelope, ErrorBody, ErrorCode, HostSetting, LabelSource, Request, Response,
    MAX_FRAME_FROM_BROWSER, MAX_IDS_PER_REQUEST, MAX_PROFILES_PER_PAGE, MAX_RECS_RESULTS,
    PROTOCOL_VERSION,
};

use crate::fetch::Fetcher;
use crate::ingest;
use crate::learn::{self, worker::Worker};
use crate::outbox::{encode_response, Outbox};
use crate::store::{now_ms, NewLabel, NewSwipe, Store, StoreError};
use crate::transport::{FrameError, FrameReader, FrameWriter};
use crate::validate::check_id;

/// Exit code when a Chromium caller is not an extension `swipy install` registered for
/// this data dir (see [`crate::install::origin_recorded`]), or a Firefox caller is not
/// Swipy's add-on ([`crate::install::FIREFOX_ADDON_ID`]).
pub const EXIT_CALLER_REFUSED: i32 = 3;

/// How long the host keeps downloading photos after the browser closed the port.
pub const FETCH_GRACE: Duration = Duration::from_secs(10);

/// Longest accepted idempotency key.
pub const MAX_KEY_LEN: usize = 200;
/// Longest accepted setting name.
pub const MAX_SETTING_NAME: usize = 64;
/// Largest accepted setting value (serialized).
pub const MAX_SETTING_BYTES: usize = 64 * 1024;

/// Test switch, off unless `SWIPY_TEST_CRASH_ON` is set, e.g. `label,swipe_seen:4`: the
/// host exits at once on a frame of one of those types, until it has done so 4 times
/// (counted in `<data dir>/test-crashes`) — a host that keeps dying while it handles labels
/// and is then fixed. The end-to-end fault checks use it.
fn test_crash(data_dir: &std::path::Path, kind: &str) {
    let Ok(spec) = std::env::var("SWIPY_TEST_CRASH_ON") else {
        return;
    };
    let (kinds, times) = spec.rsplit_once(':').unwrap_or((spec.as_str(), "1"));
    if !kinds.split(',').any(|k| k.trim() == kind) {
        return;
    }
    let file = data_dir.join("test-crashes");
    let done: u32 = std::fs::read_to_string(&file)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    if done >= times.trim().parse().unwrap_or(1) {
        return;
    }
    let _ = std::fs::write(&file, format!("{}\n", done + 1));
    log::warn!(
        "SWIPY_TEST_CRASH_ON: exiting on `{kind}` (time {})",
        done + 1
    );
    std::process::exit(70);
}

/// One port's state: the store, the photo fetcher, the inference worker.
pub struct Session {
    store: Store,
    fetcher: Option<Fetcher>,
    hello: bool,
    caller: Option<String>,
    /// Ids of host → browser messages (shared with the [`Outbox`]).
    ids: Arc<AtomicU32>,
    /// Where background work (training, later) sends events; set by [`serve_loop`].
    outbox: Option<Outbox>,
    /// The inference owner (started on first need once an outbox exists).
    worker: Option<Worker>,
    /// `--device` given on the command line (else the `device` setting).
    device: Option<String>,
}

impl Session {
    pub fn new(store: Store, fetcher: Option<Fetcher>, caller: Option<String>) -> Self {
        Self {
            store,
            fetcher,
            hello: false,
            caller,
            ids: Arc::new(AtomicU32::new(1)),
            outbox: None,
            worker: None,
            device: None,
        }
    }

    /// Uses this device (`cpu`, `cuda`, `auto`) instead of the `device` setting.
    pub fn set_device(&mut self, device: Option<String>) {
        self.device = device;
    }

    /// The inference worker, started on first use (only inside [`serve_loop`]).
    fn worker(&mut self) -> Option<&Worker> {
        if self.worker.is_none() {
            let outbox = self.outbox.clone()?;
            self.worker = Some(Worker::start(
                self.store.data_dir(),
                self.device.clone(),
                outbox,
            ));
        }
        self.worker.as_ref()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn fetcher(&self) -> Option<&Fetcher> {
        self.fetcher.as_ref()
    }

    /// A handle for sending events or late replies from other threads (e.g. training
    /// progress); `None` outside [`serve_loop`].
    pub fn events(&self) -> Option<Outbox> {
        self.outbox.clone()
    }

    /// Handles one frame body; returns the frames (serialized envelopes) to send back.
    pub fn handle_frame(&mut self, body: &[u8]) -> Vec<Vec<u8>> {
        let (re, responses) = match ingest::decode_frame(body) {
            Ok(env) => {
                let re = env.id;
                test_crash(self.store.data_dir(), env.body.kind());
                (Some(re), self.handle(env))
            }
            Err(e) => {
                log::info!(
                    "refused a frame: code {} ({} bytes)",
                    e.error.code,
                    body.len()
                );
                (e.id, vec![Response::Error(e.error)])
            }
        };
        let mut frames = Vec::new();
        for r in responses {
            frames.extend(self.encode(re, r));
        }
        frames
    }

    /// Serializes a response, splitting `scores` over several frames when needed.
    fn encode(&self, re: Option<u32>, body: Response) -> Vec<Vec<u8>> {
        encode_response(&self.ids, re, body)
    }

    /// Handles one decoded request; returns the responses (usually one).
    pub fn handle(&mut self, env: Envelope<Request>) -> Vec<Response> {
        let kind = env.body.kind();
        if !self.hello && !matches!(env.body, Request::Hello { .. }) {
            return vec![err(
                ErrorCode::HelloRequired,
                format!("send `hello` before `{kind}`"),
            )];
        }
        match self.dispatch(env.id, env.body) {
            Ok(r) => r,
            Err(e) => {
                log::info!("`{kind}` failed: code {}", e.code);
                vec![Response::Error(e)]
            }
        }
    }

    fn dispatch(&mut self, re: u32, req: Request) -> Result<Vec<Response>, ErrorBody> {
        Ok(match req {
            Request::Hello {
                protocol: _,
                client,
            } => {
                self.hello = true;
                log::info!(
                    "hello from {} ({})",
                    self.caller.as_deref().unwrap_or("an unnamed caller"),
                    client
                        .as_deref()
                        .map(|c| c.chars().take(80).collect::<String>())
                        .unwrap_or_default()
                );
                let model_version = self.store.active_model_version().map_err(storage)?;
                if model_version.is_some() {
                    // Load the models in the background so the first page scores fast.
                    if let Some(w) = self.worker() {
                        w.warm();
                    }
                }
                vec![Response::Hello {
                    protocol: PROTOCOL_VERSION,
                    host_version: env!("CARGO_PKG_VERSION").to_owned(),
                    model_version,
                }]
            }
            Request::Matches {
                body,
                captured_at_ms,
            } => {
                let at = capture_time(captured_at_ms);
                let r =
                    crate::matches::record_answer(&mut self.store, &body, at).map_err(storage)?;
                log::info!(
                    "matches: {} listed ({} new), {} skipped",
                    r.listed,
                    r.new,
                    r.skipped
                );
                vec![Response::Ack { key: None }]
            }
            Request::Recs {
                body,
                captured_at_ms,
            } => {
                let at = capture_time(captured_at_ms);
                let results = swipy_shared::tinder::recs_results(&body).len();
                if results > MAX_RECS_RESULTS {
                    return Err(ErrorBody::new(
                        ErrorCode::BadData,
                        format!(
                            "a recs page of {results} results; at most {MAX_RECS_RESULTS} (nothing was stored)"
                        ),
                    ));
                }
                let (parsed, out) = ingest::ingest_recs(&mut self.store, &body, at, "extension")
                    .map_err(storage)?;
                log::info!(
                    "recs: {} profiles ({} new), {} skipped, {} photos to fetch",
                    out.profiles,
                    out.new_profiles,
                    parsed.skipped,
                    out.to_fetch.len()
                );
                let resp = Response::Ingested {
                    profiles: out.profiles,
                    new_profiles: out.new_profiles,
                    skipped: parsed.skipped,
                    ids: parsed.profiles.iter().map(|p| p.id.clone()).collect(),
                    rate_limited: parsed.rate_limited,
                };
                let ids: Vec<String> = parsed.profiles.iter().map(|p| p.id.clone()).collect();
                // Score the page once its photos are in: the top card alone first (its badge
                // is what the user looks at), then the rest of the page in card order.
                let scorer = self.worker().map(|w| {
                    let send = w.score_sender();
                    let mut rest = ids.clone();
                    Box::new(move || {
                        if rest.is_empty() {
                            return;
                        }
                        let top = rest.remove(0);
                        send(vec![top]);
                        if !rest.is_empty() {
                            send(rest);
                        }
                    }) as Box<dyn FnOnce() + Send>
                });
                match &self.fetcher {
                    Some(f) => f.enqueue_then(out.to_fetch, scorer),
                    None => {
                        if let Some(s) = scorer {
                            s();
                        }
                    }
                }
                vec![resp]
            }
            Request::Label {
                profile_id,
                verdict,
                source,
                at_ms,
                key,
            } => {
                check_id(&profile_id)?;
                check_key(&key)?;
                let stored = self
                    .store
                    .add_label(&NewLabel {
                        profile_id: &profile_id,
                        verdict,
                        source,
                        at_ms,
                        key: &key,
                    })
                    .map_err(storage)?;
                log::info!(
                    "label {} ({}){}",
                    verdict.as_str(),
                    source.as_str(),
                    if stored { "" } else { " replayed" }
                );
                if stored {
                    if let Some(w) = self.worker() {
                        w.labelled();
                    }
                }
                vec![Response::Ack { key: Some(key) }]
            }
            Request::SwipeSeen {
                profile_id,
                verdict,
                at_ms,
                key,
                source,
                response,
            } => {
                check_id(&profile_id)?;
                check_key(&key)?;
                let matched = response.as_ref().map(response_matched);
                let stored = self
                    .store
                    .record_swipe(
                        &NewSwipe {
                            kind: "seen",
                            profile_id: &profile_id,
                            verdict,
                            source,
                            at_ms,
                            key: &key,
                            matched,
                            score: None,
                            reason: None,
                            response: response.as_ref(),
                        },
                        true,
                    )
                    .map_err(storage)?;
                if stored {
                    if let Some(w) = self.worker() {
                        w.labelled();
                    }
                }
                vec![Response::Ack { key: Some(key) }]
            }
            Request::SwipeResult {
                profile_id,
                verdict,
                matched,
                at_ms,
                key,
                score,
                reason,
            } => {
                check_id(&profile_id)?;
                check_key(&key)?;
                self.store
                    .record_swipe(
                        &NewSwipe {
                            kind: "result",
                            profile_id: &profile_id,
                            verdict,
                            source: LabelSource::Auto,
                            at_ms,
                            key: &key,
                            matched: Some(matched),
                            score,
                            reason: reason.as_deref(),
                            response: None,
                        },
                        false,
                    )
                    .map_err(storage)?;
                vec![Response::Ack { key: Some(key) }]
            }
            Request::Stats {} => vec![Response::Stats(
                crate::counts::stats(&self.store, now_ms()).map_err(storage)?,
            )],
            Request::SettingsGet {} => vec![Response::Settings {
                values: self.store.settings().map_err(storage)?,
            }],
            Request::SettingsSet { values } => {
                check_settings(&values)?;
                let merged = self.store.merge_settings(&values).map_err(storage)?;
                if values.contains_key(HostSetting::Device.name()) {
                    if let Some(w) = &self.worker {
                        w.device_changed();
                    }
                }
                vec![Response::Settings { values: merged }]
            }
            Request::Scores { ids } => {
                if ids.len() > MAX_IDS_PER_REQUEST {
                    return Err(ErrorBody::new(
                        ErrorCode::BadData,
                        format!(
                            "{} ids in one request; at most {MAX_IDS_PER_REQUEST}",
                            ids.len()
                        ),
                    ));
                }
                for id in &ids {
                    check_id(id)?;
                }
                if ids.is_empty() {
                    return Ok(vec![Response::Scores { scores: Vec::new() }]);
                }
                if let Some(w) = self.worker() {
                    // Answered by the worker (same `re`).
                    w.score(Some(re), ids);
                    return Ok(Vec::new());
                }
                let device =
                    learn::device(&self.store, self.device.as_deref()).map_err(learn_err)?;
                let scores = learn::Engine::new(self.store.data_dir(), device)
                    .scores(&mut self.store, &ids)
                    .map_err(learn_err)?;
                vec![Response::Scores { scores }]
            }
            Request::Train {} => {
                learn::check_labels(&learn::labelled(&self.store).map_err(learn_err)?)
                    .map_err(learn_err)?;
                if let Some(w) = self.worker() {
                    // Progress events, then `trained` answering this request.
                    w.train(Some(re)).map_err(learn_err)?;
                    return Ok(Vec::new());
                }
                let mut events = Vec::new();
                let mut progress = |stage: &str, done: u32, total: u32| {
                    events.push(Response::TrainProgress {
                        stage: stage.to_owned(),
                        done,
                        total,
                    });
                };
                let device =
                    learn::device(&self.store, self.device.as_deref()).map_err(learn_err)?;
                let enc = learn::load_encoders(self.store.data_dir(), device).map_err(learn_err)?;
                let (model_version, metrics) =
                    learn::train(&enc, &mut self.store, &mut progress).map_err(learn_err)?;
                events.push(Response::Trained {
                    model_version,
                    metrics,
                });
                events
            }
            Request::Profiles {
                limit,
                offset,
                filter,
            } => {
                let limit = limit.clamp(1, MAX_PROFILES_PER_PAGE);
                let filter = filter.unwrap_or_else(|| "all".into());
                let known = [
                    "all",
                    "labelled",
                    "unlabelled",
                    "liked",
                    "noped",
                    "matched",
                    "auto",
                ];
                if !known.contains(&filter.as_str()) {
                    let shown: String = filter.chars().take(32).collect();
                    return Err(ErrorBody::new(
                        ErrorCode::BadData,
                        format!("unknown filter `{shown}`; one of {}", known.join(", ")),
                    ));
                }
                let (total, rows) = self
                    .store
                    .profiles_page(limit, offset, &filter)
                    .map_err(storage)?;
                let items = rows
                    .into_iter()
                    .map(|(mut item, path)| {
                        item.thumb = path.as_deref().and_then(thumb_data_url);
                        item
                    })
                    .collect();
                vec![Response::Profiles { total, items }]
            }
            Request::History {} => vec![Response::History(self.store.history().map_err(storage)?)],
        })
    }

    /// Waits (bounded) for photo downloads still running.
    pub fn finish(&mut self, grace: Duration) {
        if let Some(f) = &self.fetcher {
            let n = f.pending();
            if n > 0 {
                log::info!(
                    "waiting up to {}s for {n} photo download(s)",
                    grace.as_secs()
                );
                if !f.wait_idle(grace) {
                    log::warn!("{} photo download(s) abandoned at exit", f.pending());
                }
            }
        }
    }
}

fn err(code: ErrorCode, msg: impl Into<String>) -> Response {
    Response::Error(ErrorBody::new(code, msg))
}

fn learn_err(e: learn::LearnError) -> ErrorBody {
    ErrorBody::new(e.code(), e.to_string())
}

/// Longest side of a dashboard thumbnail.
pub const THUMB_SIDE: u32 = 96;

/// A small JPEG of a stored photo as a `data:` URL (`None` when it cannot be read).
pub fn thumb_data_url(path: &std::path::Path) -> Option<String> {
    use base64::Engine as _;
    let img = image::ImageReader::open(path)
        .ok()?
        .with_guessed_format()
        .ok()?
        .decode()
        .ok()?;
    let small = img.thumbnail(THUMB_SIDE, THUMB_SIDE).to_rgb8();
    let mut buf = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, 70);
    small.write_with_encoder(enc).ok()?;
    Some(format!(
        "data:image/jpeg;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&buf)
    ))
}

fn storage(e: StoreError) -> ErrorBody {
    log::error!("store failure: {e}");
    ErrorBody::new(ErrorCode::Storage, format!("the store failed: {e}"))
}

/// A page capture's time: as sent when plausible (finite, after the epoch), else now.
fn capture_time(captured_at_ms: f64) -> f64 {
    if captured_at_ms.is_finite() && captured_at_ms > 0.0 {
        captured_at_ms
    } else {
        now_ms()
    }
}

/// Whether a like response reports a match (`match` is `true` or a match object).
fn response_matched(v: &Value) -> bool {
    swipy_shared::tinder::parse_like_response(v).matched
}

fn check_key(key: &str) -> Result<(), ErrorBody> {
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        Err(ErrorBody::new(
            ErrorCode::BadData,
            format!("`key` must be 1..={MAX_KEY_LEN} bytes"),
        ))
    } else {
        Ok(())
    }
}

fn check_settings(values: &Map<String, Value>) -> Result<(), ErrorBody> {
    for (k, v) in values {
        let name_ok = !k.is_empty()
            && k.len() <= MAX_SETTING_NAME
            && k.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
        if !name_ok {
            let shown: String = k.chars().take(64).collect();
            return Err(ErrorBody::new(
                ErrorCode::BadSetting,
                format!("setting name `{shown}` must be 1..={MAX_SETTING_NAME} of a-z 0-9 _ ."),
            ));
        }
        let size = serde_json::to_vec(v).map(|b| b.len()).unwrap_or(usize::MAX);
        if size > MAX_SETTING_BYTES {
            return Err(ErrorBody::new(
                ErrorCode::BadSetting,
                format!("setting `{k}` is {size} bytes; at most {MAX_SETTING_BYTES}"),
            ));
        }
        if let Some(want) = known_setting_refuses(k, v) {
            return Err(ErrorBody::new(
                ErrorCode::BadSetting,
                format!("setting `{k}` must be {want}"),
            ));
        }
    }
    Ok(())
}

/// What a setting the host reads must be, when `v` is not that (`null` clears any).
fn known_setting_refuses(k: &str, v: &Value) -> Option<&'static str> {
    let setting = HostSetting::parse(k)?;
    let device_known = || {
        v.is_null()
            || v.as_str()
                .is_some_and(|s| swipy_models::Device::parse(s).is_some())
    };
    let ok = setting.accepts(v) && (setting != HostSetting::Device || device_known());
    (!ok).then_some(setting.want())
}

/// How a serve loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServeEnd {
    /// stdin ended between frames.
    Eof,
    /// stdin ended inside a frame.
    Truncated,
    /// The browser stopped reading (stdout closed).
    OutputClosed,
}

/// Runs the request/response loop until the input ends. Answers are written in request
/// order; [`Session::events`] hands out the same writer for background events.
pub fn serve_loop<R: Read, W: Write + Send + 'static>(
    input: R,
    output: W,
    session: &mut Session,
) -> std::io::Result<ServeEnd> {
    let mut reader = FrameReader::new(input, MAX_FRAME_FROM_BROWSER);
    let writer = Outbox::new(Box::new(FrameWriter::new(output)), Arc::clone(&session.ids));
    session.outbox = Some(writer.clone());
    loop {
        let frames = match reader.read_frame() {
            Ok(Some(body)) => session.handle_frame(&body),
            Ok(None) => return Ok(ServeEnd::Eof),
            Err(FrameError::TooLarge { len, max }) => {
                log::warn!("refused a frame of {len} bytes (limit {max})");
                session.encode(
                    None,
                    err(
                        ErrorCode::FrameTooLarge,
                        format!("frame of {len} bytes exceeds the limit of {max} bytes"),
                    ),
                )
            }
            Err(e @ (FrameError::TruncatedLength { .. } | FrameError::TruncatedBody { .. })) => {
                log::warn!("input ended inside a frame: {e}");
                let frames = session.encode(None, err(ErrorCode::BadFrame, e.to_string()));
                for f in frames {
                    let _ = writer.send_frame(&f);
                }
                return Ok(ServeEnd::Truncated);
            }
            Err(FrameError::Io(e)) => return Err(e),
            Err(e) => return Err(std::io::Error::other(e.to_string())),
        };
        for f in frames {
            if let Err(e) = writer.send_frame(&f) {
                log::info!("the browser stopped reading: {e}");
                return Ok(ServeEnd::OutputClosed);
            }
        }
    }
}

/// Serve mode on stdin/stdout. Returns the process exit code.
pub fn run(data_dir: &std::path::Path, caller: Option<String>) -> i32 {
    run_with(data_dir, caller, None)
}

/// [`run`] with an explicit device (`--device`).
pub fn run_with(data_dir: &std::path::Path, caller: Option<String>, device: Option<String>) -> i32 {
    let store = match Store::open(data_dir) {
        Ok(s) => s,
        Err(e) => {
            log::error!("cannot open the store in {}: {e}", data_dir.display());
            return 1;
        }
    };
    let fetcher =
        match crate::fetch::FetchConfig::from_env().and_then(|c| Fetcher::new(data_dir, c)) {
            Ok(f) => Some(f),
            Err(e) => {
                log::error!("photo fetching is off: {e}");
                None
            }
        };
    log::info!(
        "serving {} (data dir {})",
        caller.as_deref().unwrap_or("stdio"),
        data_dir.display()
    );
    let mut session = Session::new(store, fetcher, caller);
    session.set_device(device);
    let stdin = std::io::stdin();
    let result = serve_loop(stdin.lock(), std::io::stdout(), &mut session);
    session.finish(FETCH_GRACE);
    match result {
        Ok(end) => {
            log::info!("port closed ({end:?}); exiting");
            0
        }
        Err(e) => {
            log::error!("reading from the browser failed: {e}");
            1
        }
    }
}

#[cfg(test)]
mod tests;
