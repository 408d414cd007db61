//! Reads the user's matches from Tinder (`GET https://api.gotinder.com/v2/matches`) with
//! the token the page gave (memory only), so the store knows which liked profiles became
//! matches.
//!
//! Rules: only while a port is connected (the poller stops with the serve loop), at most
//! once per `matches_every_s` seconds (setting, default [`DEFAULT_EVERY_S`], at least
//! [`MIN_EVERY_S`]), only `https://api.gotinder.com` (https only, no redirects followed so
//! the token header goes nowhere else, the fetcher's test-only redirection), at most
//! [`MAX_PAGES`] pages of 60. A 401 means the token expired: it is forgotten and the
//! extension gets an `error` event with code `token_missing`. The token is never logged.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use swipy_shared::protocol::{ErrorBody, ErrorCode, Response};

use crate::fetch::{build_api_client, FetchConfig};
use crate::serve::Outbox;
use crate::store::{now_ms, Store};

/// Default seconds between two reads of the matches list.
pub const DEFAULT_EVERY_S: u64 = 300;
/// Fewest seconds between two reads, whatever the setting says.
pub const MIN_EVERY_S: u64 = 2;
/// Most pages read per round.
pub const MAX_PAGES: u32 = 5;
/// The matches endpoint.
pub const MATCHES_URL: &str = "https://api.gotinder.com/v2/matches";
/// Largest matches answer read (a page of 60 matches is far smaller).
const MAX_ANSWER: usize = 16 * 1024 * 1024;

/// The token shared between the session and the poller (memory only).
pub type TokenCell = Arc<Mutex<Option<String>>>;

/// Handle of the poller thread; dropping it stops the thread.
pub struct MatchesPoller {
    stop: Arc<AtomicBool>,
    wake: Arc<(Mutex<bool>, std::sync::Condvar)>,
}

impl Drop for MatchesPoller {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake.1.notify_all();
    }
}

impl MatchesPoller {
    /// Starts polling (first read right away).
    pub fn start(data_dir: &Path, token: TokenCell, outbox: Outbox) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let wake = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
        let (s, w) = (Arc::clone(&stop), Arc::clone(&wake));
        let dir = data_dir.to_path_buf();
        let spawned = std::thread::Builder::new()
            .name("swipy-matches".into())
            .spawn(move || run(dir, token, outbox, s, w));
        if let Err(e) = spawned {
            log::error!("cannot start the matches reader: {e}");
        }
        Self { stop, wake }
    }

    /// A new token arrived: read again soon (still rate-limited).
    pub fn poke(&self) {
        if let Ok(mut p) = self.wake.0.lock() {
            *p = true;
            self.wake.1.notify_all();
        }
    }
}

enum Round {
    Done(u32),
    Unauthorized,
}

fn run(
    dir: PathBuf,
    token: TokenCell,
    outbox: Outbox,
    stop: Arc<AtomicBool>,
    wake: Arc<(Mutex<bool>, std::sync::Condvar)>,
) {
    let Ok(mut store) = Store::open(&dir) else {
        log::warn!("matches reader: the store cannot be opened");
        return;
    };
    let cfg = match FetchConfig::from_env() {
        Ok(c) => c,
        Err(e) => {
            log::warn!("matches reader off: {e}");
            return;
        }
    };
    let client = match build_api_client(&cfg) {
        Ok(c) => c,
        Err(e) => {
            log::warn!("matches reader off: {e}");
            return;
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            log::warn!("matches reader off: {e}");
            return;
        }
    };
    let mut last: Option<Instant> = None;
    while !stop.load(Ordering::SeqCst) {
        let every = store
            .settings()
            .ok()
            .and_then(|s| s.get("matches_every_s").and_then(serde_json::Value::as_u64))
            .unwrap_or(DEFAULT_EVERY_S)
            .max(MIN_EVERY_S);
        let due = last.is_none_or(|t| t.elapsed() >= Duration::from_secs(every));
        let current = token.lock().ok().and_then(|t| t.clone());
        if due {
            if let Some(tok) = current {
                last = Some(Instant::now());
                match rt.block_on(read_round(&client, &cfg, &tok, &mut store)) {
                    Ok(Round::Done(n)) => log::info!("matches read: {n} new"),
                    Ok(Round::Unauthorized) => {
                        if let Ok(mut t) = token.lock() {
                            // Forget it only if it is still the token that failed.
                            if t.as_deref() == Some(tok.as_str()) {
                                *t = None;
                            }
                        }
                        log::warn!("Tinder answered 401 to the matches read: token forgotten");
                        let _ = outbox.send(
                            None,
                            Response::Error(ErrorBody::new(
                                ErrorCode::TokenMissing,
                                "Tinder no longer accepts the login token (it expired). Reload tinder.com so Swipy gets a fresh one.",
                            )),
                        );
                    }
                    Err(e) => log::info!("matches not read: {e}"),
                }
            }
        }
        // Sleep until the next round is due, a poke, or the stop.
        let wait = last
            .map(|t| Duration::from_secs(every).saturating_sub(t.elapsed()))
            .unwrap_or(Duration::from_secs(every))
            .max(Duration::from_millis(200));
        if let Ok(guard) = wake.0.lock() {
            if let Ok((mut g, _)) = wake
                .1
                .wait_timeout_while(guard, wait, |p| !*p && !stop.load(Ordering::SeqCst))
            {
                *g = false;
            }
        }
    }
}

async fn read_round(
    client: &reqwest::Client,
    cfg: &FetchConfig,
    token: &str,
    store: &mut Store,
) -> Result<Round, String> {
    let mut page_token: Option<String> = None;
    let mut new = 0;
    for _ in 0..MAX_PAGES {
        let mut url = reqwest::Url::parse(MATCHES_URL).map_err(|e| e.to_string())?;
        url.query_pairs_mut().append_pair("count", "60");
        if let Some(p) = &page_token {
            url.query_pairs_mut().append_pair("page_token", p);
        }
        if cfg.resolve.iter().any(|(h, _)| h == "api.gotinder.com") {
            let _ = url.set_port(None);
        }
        let mut resp = client
            .get(url)
            .header("X-Auth-Token", token)
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    "timed out".to_owned()
                } else {
                    "request failed".to_owned()
                }
            })?;
        let status = resp.status().as_u16();
        if status == 401 {
            return Ok(Round::Unauthorized);
        }
        if !resp.status().is_success() {
            return Err(format!("HTTP status {status}"));
        }
        // Read at most MAX_ANSWER bytes, whatever the server announces or sends.
        if resp.content_length().is_some_and(|n| n > MAX_ANSWER as u64) {
            return Err("the answer is too large".into());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|_| "the answer was cut off".to_owned())?
        {
            if bytes.len() + chunk.len() > MAX_ANSWER {
                return Err("the answer is too large".into());
            }
            bytes.extend_from_slice(&chunk);
        }
        let body: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|_| "the answer is not JSON".to_owned())?;
        let page = swipy_shared::tinder::parse_matches(&body);
        let ids: Vec<String> = page.matches.iter().map(|m| m.person_id.clone()).collect();
        new += store
            .record_matches(&ids, now_ms())
            .map_err(|e| e.to_string())?;
        match page.next_page_token {
            Some(t) if !page.matches.is_empty() => page_token = Some(t),
            _ => break,
        }
    }
    Ok(Round::Done(new))
}
