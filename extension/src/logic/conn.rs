//! The native host connection as a state machine with exponential backoff.
//!
//! `Disconnected` → (connect) → `Handshaking` (port open, `hello` sent) → (hello answer)
//! → `Ready`. A lost port, a refused hello or a handshake timeout go back to
//! `Disconnected` with the next retry scheduled `backoff(attempts)` later.

/// First retry delay.
pub const BACKOFF_START_MS: f64 = 1_000.0;
/// Longest retry delay.
pub const BACKOFF_MAX_MS: f64 = 60_000.0;
/// A host that has not answered `hello` within this time is treated as lost.
pub const HANDSHAKE_TIMEOUT_MS: f64 = 10_000.0;

/// Delay before retry number `attempts` (1-based): 1 s, 2 s, 4 s, … capped at 60 s, with up
/// to +20 % jitter (`jitter` in 0..1) so many workers do not retry in lockstep.
pub fn backoff_ms(attempts: u32, jitter: f64) -> f64 {
    let exp = attempts.saturating_sub(1).min(16);
    let base = (BACKOFF_START_MS * f64::from(1u32 << exp)).min(BACKOFF_MAX_MS);
    base * (1.0 + 0.2 * jitter.clamp(0.0, 1.0))
}

#[derive(Debug, Clone, PartialEq)]
pub enum ConnState {
    /// No port. `retry_at_ms`: when to try again (`None`: not scheduled).
    Disconnected { retry_at_ms: Option<f64> },
    /// Port open, `hello` (request id `hello_id`) sent at `since_ms`.
    Handshaking { hello_id: u32, since_ms: f64 },
    /// The host answered `hello`.
    Ready {
        host_version: String,
        model_version: Option<u32>,
    },
}

#[derive(Debug, Clone)]
pub struct Conn {
    pub state: ConnState,
    /// Failed attempts since the last `Ready` (0 when ready).
    pub attempts: u32,
    /// Why the last connection ended, as the browser or host said it.
    pub last_error: Option<String>,
}

impl Default for Conn {
    fn default() -> Self {
        Self::new()
    }
}

impl Conn {
    pub fn new() -> Self {
        Self {
            state: ConnState::Disconnected { retry_at_ms: None },
            attempts: 0,
            last_error: None,
        }
    }

    /// The model version the host reported (hello or a later `trained`), when connected.
    pub fn model_version(&self) -> Option<u32> {
        match &self.state {
            ConnState::Ready { model_version, .. } => *model_version,
            _ => None,
        }
    }

    pub fn is_ready(&self) -> bool {
        matches!(self.state, ConnState::Ready { .. })
    }

    pub fn is_disconnected(&self) -> bool {
        matches!(self.state, ConnState::Disconnected { .. })
    }

    /// A port was opened and `hello` (id `hello_id`) sent.
    pub fn opened(&mut self, hello_id: u32, now_ms: f64) {
        self.state = ConnState::Handshaking {
            hello_id,
            since_ms: now_ms,
        };
    }

    /// The answer to `hello` arrived. Returns false when it does not answer our hello.
    pub fn hello_answered(
        &mut self,
        re: u32,
        host_version: String,
        model_version: Option<u32>,
    ) -> bool {
        match self.state {
            ConnState::Handshaking { hello_id, .. } if hello_id == re => {
                self.state = ConnState::Ready {
                    host_version,
                    model_version,
                };
                self.attempts = 0;
                self.last_error = None;
                true
            }
            _ => false,
        }
    }

    /// The port is gone (or must be dropped). Schedules the next attempt and returns its
    /// delay in ms.
    pub fn lost(&mut self, reason: &str, now_ms: f64, jitter: f64) -> f64 {
        self.attempts = self.attempts.saturating_add(1);
        let delay = backoff_ms(self.attempts, jitter);
        self.state = ConnState::Disconnected {
            retry_at_ms: Some(now_ms + delay),
        };
        self.last_error = Some(reason.to_owned());
        delay
    }

    /// Whether a connection attempt should start now: never tried, retry due, or
    /// `eager` (the worker woke up / a tab or the popup needs the host) and the scheduled
    /// retry is more than 5 s away.
    pub fn should_connect(&self, now_ms: f64, eager: bool) -> bool {
        match self.state {
            ConnState::Disconnected { retry_at_ms: None } => true,
            ConnState::Disconnected {
                retry_at_ms: Some(at),
            } => now_ms >= at || (eager && at - now_ms > 5_000.0),
            _ => false,
        }
    }

    /// Whether the handshake has run past its timeout.
    pub fn handshake_expired(&self, now_ms: f64) -> bool {
        matches!(self.state, ConnState::Handshaking { since_ms, .. } if now_ms - since_ms >= HANDSHAKE_TIMEOUT_MS)
    }

    /// When the brain wants to be woken up next (retry or handshake timeout).
    pub fn next_deadline(&self) -> Option<f64> {
        match self.state {
            ConnState::Disconnected { retry_at_ms } => retry_at_ms,
            ConnState::Handshaking { since_ms, .. } => Some(since_ms + HANDSHAKE_TIMEOUT_MS),
            ConnState::Ready { .. } => None,
        }
    }

    /// The model version the host reported in `hello`, updated by `trained` events.
    pub fn set_model_version(&mut self, v: u32) {
        if let ConnState::Ready { model_version, .. } = &mut self.state {
            *model_version = Some(v);
        }
    }
}

#[cfg(test)]
#[path = "conn_tests.rs"]
mod tests;
