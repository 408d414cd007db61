//! Photo fetcher: downloads profile photos right after a recs page is stored (Tinder's
//! photo URLs are signed and expire within hours).
//!
//! Safety rules: https only; host allow-list of exact names ([`ALLOWED_HOSTS`]: no pattern
//! such as `*.gotinder.com`, so neither Tinder's API hosts nor any other subdomain); IP
//! literals refused whatever they point at; redirects only to allow-listed https hosts (at
//! most 3); at most [`MAX_PHOTOS_PER_PROFILE`] photos per profile; a size cap
//! enforced while streaming ([`FetchConfig::max_bytes`]); the image header is read and the
//! dimensions checked ([`FetchConfig::max_side`], [`FetchConfig::max_pixels`]) before anything is
//! decoded or stored (decompression bombs); only JPEG, PNG and WebP are kept; timeouts;
//! bounded concurrency; retries with jittered exponential backoff on timeouts, connection
//! errors, 429 and 5xx — never on 403 (an expired signature stays expired).
//!
//! ## Test-only redirection (off by default)
//!
//! `SWIPY_TEST_RESOLVE="images-ssl.gotinder.com=127.0.0.1:8443,api.gotinder.com=127.0.0.1:8443"`
//! sends those host names to the given loopback address: the URL keeps its host name (TLS
//! still checks it), the port is replaced by the given one. Non-loopback targets are
//! refused. `SWIPY_TEST_CA=/path/ca.pem` adds one trusted root certificate. Either variable
//! being set is logged as a warning at start.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use reqwest::Url;

pub use crate::store::MAX_PHOTOS_PER_PROFILE;
use crate::store::{PhotoJob, Store, StoredPhoto};

/// The exact host names photos may come from, nothing else (compared case-insensitively,
/// without a trailing dot). `images-ssl.gotinder.com` serves the signed profile photos and
/// their `processedFiles`; `images.gotinder.com` is its older plain name;
/// `preview.gotinder.com` serves teaser photos. Tinder's API hosts (`api.gotinder.com`,
/// `api-*.gotinder.com`) serve account data, never photos, and are not on it.
pub const ALLOWED_HOSTS: &[&str] = &[
    "images-ssl.gotinder.com",
    "images.gotinder.com",
    "preview.gotinder.com",
];

/// Environment variable naming host → loopback overrides (tests only).
pub const ENV_TEST_RESOLVE: &str = "SWIPY_TEST_RESOLVE";
/// Environment variable naming an extra trusted root CA (PEM, tests only).
pub const ENV_TEST_CA: &str = "SWIPY_TEST_CA";

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("URL refused: {0}")]
    UrlRefused(String),
    #[error("HTTP status {0}")]
    Status(u16),
    #[error("photo is larger than {max} bytes")]
    TooLarge { max: u64 },
    #[error("not a JPEG, PNG or WebP image")]
    NotAnImage,
    #[error("image of {width}×{height} exceeds the dimension limit")]
    TooManyPixels { width: u32, height: u32 },
    #[error("network error: {0}")]
    Network(String),
    #[error("timed out")]
    Timeout,
    #[error("bad test configuration: {0}")]
    Config(String),
    #[error("storing the photo failed: {0}")]
    Store(String),
}

impl FetchError {
    fn retryable(&self) -> bool {
        match self {
            FetchError::Status(s) => *s == 429 || *s >= 500,
            FetchError::Network(_) | FetchError::Timeout => true,
            _ => false,
        }
    }
}

/// Limits and knobs of the fetcher.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    pub max_bytes: u64,
    pub max_side: u32,
    pub max_pixels: u64,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub concurrency: usize,
    /// Attempts per photo (1 = no retry).
    pub attempts: u32,
    pub backoff_base: Duration,
    /// Test-only host → loopback overrides.
    pub resolve: Vec<(String, SocketAddr)>,
    /// Test-only extra root CA, PEM.
    pub extra_ca_pem: Option<Vec<u8>>,
}

impl Default for FetchConfig {
    fn default() -> Self {
        Self {
            max_bytes: 8 * 1024 * 1024,
            max_side: 8000,
            max_pixels: 40_000_000,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            concurrency: 4,
            attempts: 3,
            backoff_base: Duration::from_millis(400),
            resolve: Vec::new(),
            extra_ca_pem: None,
        }
    }
}

impl FetchConfig {
    /// Defaults plus the test-only overrides from the environment (see module docs).
    pub fn from_env() -> Result<Self, FetchError> {
        let mut cfg = Self::default();
        if let Ok(spec) = std::env::var(ENV_TEST_RESOLVE) {
            if !spec.trim().is_empty() {
                cfg.resolve = parse_resolve(&spec)?;
                log::warn!(
                    "{ENV_TEST_RESOLVE} is set: photo host names are redirected to loopback ({} rule(s)); test use only",
                    cfg.resolve.len()
                );
            }
        }
        if let Some(path) = std::env::var_os(ENV_TEST_CA) {
            let pem = std::fs::read(&path).map_err(|e| {
                FetchError::Config(format!(
                    "{ENV_TEST_CA}: cannot read {}: {e}",
                    PathBuf::from(&path).display()
                ))
            })?;
            log::warn!("{ENV_TEST_CA} is set: trusting an extra root CA for photo downloads; test use only");
            cfg.extra_ca_pem = Some(pem);
        }
        Ok(cfg)
    }
}

/// Parses `host=ip:port,host=ip:port`; only loopback addresses are accepted.
pub fn parse_resolve(spec: &str) -> Result<Vec<(String, SocketAddr)>, FetchError> {
    let mut out = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (host, addr) = part.split_once('=').ok_or_else(|| {
            FetchError::Config(format!("{ENV_TEST_RESOLVE}: `{part}` is not host=ip:port"))
        })?;
        let addr: SocketAddr = addr.trim().parse().map_err(|_| {
            FetchError::Config(format!("{ENV_TEST_RESOLVE}: `{addr}` is not ip:port"))
        })?;
        if !addr.ip().is_loopback() {
            return Err(FetchError::Config(format!(
                "{ENV_TEST_RESOLVE}: only loopback targets are allowed, got {addr}"
            )));
        }
        out.push((host.trim().to_ascii_lowercase(), addr));
    }
    Ok(out)
}

/// Whether a host name is on the photo allow-list: one of [`ALLOWED_HOSTS`] exactly.
pub fn host_allowed(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let host = host.strip_suffix('.').unwrap_or(&host);
    ALLOWED_HOSTS.contains(&host)
}

/// Checks a photo URL: https, a host name (never an IP literal) on the allow-list, no
/// credentials.
pub fn check_url(url: &str) -> Result<Url, FetchError> {
    let u = Url::parse(url).map_err(|e| FetchError::UrlRefused(format!("not a URL ({e})")))?;
    if u.scheme() != "https" {
        return Err(FetchError::UrlRefused(format!(
            "scheme `{}` is not https",
            u.scheme()
        )));
    }
    let host = u.host_str().unwrap_or_default();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<std::net::IpAddr>().is_ok() {
        return Err(FetchError::UrlRefused(format!(
            "IP literal `{host}` refused: photos come from Tinder's image hosts by name"
        )));
    }
    if !host_allowed(host) {
        return Err(FetchError::UrlRefused(format!(
            "host `{host}` is not on the photo allow-list"
        )));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(FetchError::UrlRefused(
            "URLs with credentials are refused".into(),
        ));
    }
    Ok(u)
}

/// Format and dimensions of an image, read from its header only.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImageInfo {
    pub width: u32,
    pub height: u32,
    pub ext: &'static str,
}

/// Reads an image header with the default limits ([`FetchConfig::default`]).
pub fn check_image(bytes: &[u8]) -> Result<ImageInfo, FetchError> {
    let c = FetchConfig::default();
    check_image_with(bytes, c.max_side, c.max_pixels)
}

/// Identifies JPEG/PNG/WebP, reads the dimensions from the header and refuses images
/// beyond the limits before decoding any pixels; then decodes once to refuse cut-off or
/// damaged files.
pub fn check_image_with(
    bytes: &[u8],
    max_side: u32,
    max_pixels: u64,
) -> Result<ImageInfo, FetchError> {
    use image::ImageFormat;
    let format = image::guess_format(bytes).map_err(|_| FetchError::NotAnImage)?;
    let ext = match format {
        ImageFormat::Jpeg => "jpg",
        ImageFormat::Png => "png",
        ImageFormat::WebP => "webp",
        _ => return Err(FetchError::NotAnImage),
    };
    let (width, height) = image::ImageReader::with_format(std::io::Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|_| FetchError::NotAnImage)?;
    if width == 0 || height == 0 {
        return Err(FetchError::NotAnImage);
    }
    if width > max_side || height > max_side || u64::from(width) * u64::from(height) > max_pixels {
        return Err(FetchError::TooManyPixels { width, height });
    }
    // The header alone passes for a cut-off file: decode it once (dimensions already
    // bounded above) so only whole images are stored.
    image::load_from_memory_with_format(bytes, format).map_err(|_| FetchError::NotAnImage)?;
    if format == ImageFormat::Jpeg {
        // The JPEG decoder pads a cut-off scan with grey: require the end-of-image marker
        // near the end (0xFF never occurs unescaped inside entropy-coded data).
        let tail = &bytes[bytes.len().saturating_sub(64)..];
        if !tail.windows(2).any(|w| w == [0xFF, 0xD9]) {
            return Err(FetchError::NotAnImage);
        }
    }
    Ok(ImageInfo { width, height, ext })
}

/// Builds the HTTP client: https only, allow-listed redirects, timeouts, test overrides.
pub fn build_client(cfg: &FetchConfig) -> Result<reqwest::Client, FetchError> {
    build_client_with(cfg, true)
}

/// The client for Tinder's API (requests that carry the token): like [`build_client`]
/// but it never follows a redirect, so the token header cannot travel anywhere else.
pub fn build_api_client(cfg: &FetchConfig) -> Result<reqwest::Client, FetchError> {
    build_client_with(cfg, false)
}

fn build_client_with(cfg: &FetchConfig, redirects: bool) -> Result<reqwest::Client, FetchError> {
    let policy = if !redirects {
        reqwest::redirect::Policy::none()
    } else {
        reqwest::redirect::Policy::custom(|attempt| {
            if attempt.previous().len() >= 3 {
                attempt.error("too many redirects")
            } else if check_url(attempt.url().as_str()).is_ok() {
                attempt.follow()
            } else {
                attempt.error("redirect to a URL outside the photo allow-list")
            }
        })
    };
    let mut b = reqwest::Client::builder()
        .https_only(true)
        .redirect(policy)
        .connect_timeout(cfg.connect_timeout)
        .timeout(cfg.timeout)
        .user_agent(concat!("swipy/", env!("CARGO_PKG_VERSION")))
        .no_proxy();
    for (host, addr) in &cfg.resolve {
        b = b.resolve(host, *addr);
    }
    if let Some(pem) = &cfg.extra_ca_pem {
        let cert = reqwest::Certificate::from_pem(pem).map_err(|e| {
            FetchError::Config(format!("{ENV_TEST_CA}: not a PEM certificate: {e}"))
        })?;
        b = b.add_root_certificate(cert);
    }
    b.build()
        .map_err(|e| FetchError::Config(format!("cannot build the HTTP client: {e}")))
}

fn classify(e: &reqwest::Error) -> FetchError {
    if e.is_timeout() {
        FetchError::Timeout
    } else if e.is_redirect() {
        FetchError::UrlRefused("redirect refused".into())
    } else if let Some(s) = e.status() {
        FetchError::Status(s.as_u16())
    } else {
        // Error chains can carry URLs with signatures; keep the message short.
        FetchError::Network(
            if e.is_connect() {
                "connection failed"
            } else {
                "request failed"
            }
            .to_owned()
                + &std::error::Error::source(e)
                    .map(|s| format!(": {s}"))
                    .unwrap_or_default(),
        )
    }
}

/// Downloads one URL once, enforcing the size cap while streaming.
pub async fn download_once(
    client: &reqwest::Client,
    cfg: &FetchConfig,
    url: &str,
) -> Result<Vec<u8>, FetchError> {
    let mut u = check_url(url)?;
    if let Some(host) = u.host_str() {
        if cfg.resolve.iter().any(|(h, _)| h == host) {
            // Test redirection replaces the port, even an explicit one.
            let _ = u.set_port(None);
        }
    }
    let mut resp = client.get(u).send().await.map_err(|e| classify(&e))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(FetchError::Status(status.as_u16()));
    }
    if resp.content_length().is_some_and(|n| n > cfg.max_bytes) {
        return Err(FetchError::TooLarge { max: cfg.max_bytes });
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| classify(&e))? {
        if (body.len() + chunk.len()) as u64 > cfg.max_bytes {
            return Err(FetchError::TooLarge { max: cfg.max_bytes });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Downloads with retries (jittered exponential backoff) on transient failures.
pub async fn download(
    client: &reqwest::Client,
    cfg: &FetchConfig,
    url: &str,
) -> Result<Vec<u8>, FetchError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match download_once(client, cfg, url).await {
            Ok(b) => return Ok(b),
            Err(e) if e.retryable() && attempt < cfg.attempts => {
                let base = cfg.backoff_base.as_millis() as u64 * (1u64 << (attempt - 1).min(6));
                let jitter = fastrand::u64(0..=base / 2 + 1);
                log::debug!("photo download attempt {attempt} failed ({e}); retrying");
                tokio::time::sleep(Duration::from_millis(base + jitter)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Counts jobs in flight so callers can wait for them.
#[derive(Default)]
struct Pending {
    count: Mutex<usize>,
    idle: Condvar,
    outcome: Mutex<FetchTally>,
}

/// Marks one job finished when dropped (also while a panicking task unwinds).
struct Finished(Arc<Pending>);

impl Drop for Finished {
    fn drop(&mut self) {
        if let Ok(mut n) = self.0.count.lock() {
            *n = n.saturating_sub(1);
            self.0.idle.notify_all();
        }
    }
}

/// Finished downloads so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FetchTally {
    pub stored: usize,
    pub failed: usize,
    /// The most recent failure, for a one-line summary.
    pub last_error: Option<String>,
}

/// Background photo fetcher with its own store connection and runtime.
pub struct Fetcher {
    rt: tokio::runtime::Runtime,
    client: reqwest::Client,
    cfg: Arc<FetchConfig>,
    store: Arc<Mutex<Store>>,
    sem: Arc<tokio::sync::Semaphore>,
    pending: Arc<Pending>,
}

impl Fetcher {
    /// A fetcher writing into the store at `data_dir` (its own connection).
    pub fn new(data_dir: &std::path::Path, cfg: FetchConfig) -> Result<Self, FetchError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("swipy-fetch")
            .build()
            .map_err(|e| FetchError::Config(format!("cannot start the fetch runtime: {e}")))?;
        let client = build_client(&cfg)?;
        let store = Store::open(data_dir).map_err(|e| FetchError::Store(e.to_string()))?;
        Ok(Self {
            rt,
            client,
            sem: Arc::new(tokio::sync::Semaphore::new(cfg.concurrency.max(1))),
            cfg: Arc::new(cfg),
            store: Arc::new(Mutex::new(store)),
            pending: Arc::new(Pending::default()),
        })
    }

    /// Starts downloading these photos in the background.
    pub fn enqueue(&self, jobs: Vec<PhotoJob>) {
        self.enqueue_then(jobs, None);
    }

    /// Like [`Fetcher::enqueue`]; `done` runs once every job of this batch has finished
    /// (stored or failed) — e.g. to score the page's profiles.
    pub fn enqueue_then(&self, jobs: Vec<PhotoJob>, done: Option<Box<dyn FnOnce() + Send>>) {
        if jobs.is_empty() {
            if let Some(d) = done {
                d();
            }
            return;
        }
        let (jobs, beyond): (Vec<_>, Vec<_>) = jobs
            .into_iter()
            .partition(|j| (j.idx as usize) < MAX_PHOTOS_PER_PROFILE);
        if !beyond.is_empty() {
            log::info!(
                "{} photo(s) beyond {MAX_PHOTOS_PER_PROFILE} per profile not fetched",
                beyond.len()
            );
        }
        let mut handles = Vec::with_capacity(jobs.len());
        if let Ok(mut n) = self.pending.count.lock() {
            *n += jobs.len();
        }
        for job in jobs {
            let client = self.client.clone();
            let cfg = Arc::clone(&self.cfg);
            let store = Arc::clone(&self.store);
            let sem = Arc::clone(&self.sem);
            let pending = Arc::clone(&self.pending);
            handles.push(self.rt.spawn(async move {
                // Counts the job as finished however the task ends (a panic included).
                let _finished = Finished(Arc::clone(&pending));
                let result = match sem.acquire_owned().await {
                    Ok(_permit) => fetch_job(&client, &cfg, &store, &job).await,
                    Err(_) => Err(FetchError::Config("fetcher shut down".into())),
                };
                if let Ok(mut t) = pending.outcome.lock() {
                    match &result {
                        Ok(()) => t.stored += 1,
                        Err(e) => {
                            t.failed += 1;
                            t.last_error = Some(e.to_string());
                        }
                    }
                }
                if let Err(e) = &result {
                    log::info!("photo {}#{} not stored: {e}", job.profile_id, job.idx);
                    if let Ok(mut s) = store.lock() {
                        let _ = s.record_photo_error(&job.profile_id, job.idx, &e.to_string());
                    }
                }
            }));
        }
        if let Some(d) = done {
            self.rt.spawn(async move {
                for h in handles {
                    if let Err(e) = h.await {
                        log::error!("a photo download task ended abnormally: {e}");
                    }
                }
                d();
            });
        }
    }

    /// Downloads finished so far (stored or failed).
    pub fn tally(&self) -> FetchTally {
        self.pending
            .outcome
            .lock()
            .map(|t| t.clone())
            .unwrap_or_default()
    }

    /// Jobs not finished yet.
    pub fn pending(&self) -> usize {
        self.pending.count.lock().map(|n| *n).unwrap_or(0)
    }

    /// Waits until every queued job has finished or `timeout` passes; returns whether idle.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let Ok(guard) = self.pending.count.lock() else {
            return false;
        };
        match self
            .pending
            .idle
            .wait_timeout_while(guard, timeout, |n| *n > 0)
        {
            Ok((n, _)) => *n == 0,
            Err(_) => false,
        }
    }
}

async fn fetch_job(
    client: &reqwest::Client,
    cfg: &FetchConfig,
    store: &Arc<Mutex<Store>>,
    job: &PhotoJob,
) -> Result<(), FetchError> {
    let bytes = download(client, cfg, &job.url).await?;
    let (max_side, max_pixels) = (cfg.max_side, cfg.max_pixels);
    let store = Arc::clone(store);
    let job = job.clone();
    // Decoding (the whole-image check) and writing are blocking work: off the runtime's
    // threads, so downloads keep flowing.
    tokio::task::spawn_blocking(move || -> Result<(), FetchError> {
        crate::store::faults::panic_point("fetch");
        let info = check_image_with(&bytes, max_side, max_pixels)?;
        let mut s = store
            .lock()
            .map_err(|_| FetchError::Store("store lock poisoned".into()))?;
        let (sha, rel) = Store::write_photo_file(s.data_dir(), &bytes, info.ext)
            .map_err(|e| FetchError::Store(e.to_string()))?;
        s.record_photo(
            &job.profile_id,
            job.idx,
            &StoredPhoto {
                sha256: sha,
                path: rel,
                width: info.width,
                height: info.height,
                bytes: bytes.len() as u64,
            },
        )
        .map_err(|e| FetchError::Store(e.to_string()))
    })
    .await
    .map_err(|e| {
        let why = match e.try_into_panic() {
            Ok(p) => format!("panicked: {}", crate::store::faults::panic_message(&*p)),
            Err(e) => e.to_string(),
        };
        log::error!("a photo's decode-and-store step failed: {why}; the fetcher goes on");
        FetchError::Store(format!("decode-and-store step {why}"))
    })?
}

#[cfg(test)]
mod tests;
