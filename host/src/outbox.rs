//! The outbox: how answers and events reach the browser from any thread.
//!
//! The serve loop and background work (the inference worker's `scores`,
//! `train_progress`, `trained`) share one [`Outbox`]; one mutex keeps frames whole and
//! one counter numbers host → browser messages. The outbox encodes responses
//! ([`encode_response`]: the envelope, and the browser's 1 MiB cap) and hands the encoded
//! frames to a [`FrameSink`]; the transport's frame writer is the sink in serve mode.
//! It knows nothing of the dispatcher or of stdio, so services may hold one (see the
//! layers in `docs/ARCHITECTURE.md`).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use swipy_shared::protocol::{
    Envelope, ErrorBody, ErrorCode, Response, MAX_FRAME_TO_BROWSER, PROTOCOL_VERSION,
};

/// Where encoded frames go (one whole frame per call).
pub trait FrameSink: Send {
    /// Writes one encoded frame body (the sink adds its framing).
    fn send_frame(&mut self, frame: &[u8]) -> std::io::Result<()>;
}

/// Serializes a response as one frame, or several `scores` frames when one would exceed
/// [`MAX_FRAME_TO_BROWSER`]; any other oversized answer becomes `response_too_large`.
pub fn encode_response(ids: &AtomicU32, re: Option<u32>, body: Response) -> Vec<Vec<u8>> {
    let id = ids.fetch_add(1, Ordering::Relaxed);
    let env = Envelope {
        v: PROTOCOL_VERSION,
        id,
        re,
        body,
    };
    match serde_json::to_vec(&env) {
        Ok(bytes) if bytes.len() <= MAX_FRAME_TO_BROWSER => vec![bytes],
        Ok(bytes) => match env.body {
            Response::Scores { mut scores } if scores.len() > 1 => {
                let tail = scores.split_off(scores.len() / 2);
                let mut out = encode_response(ids, re, Response::Scores { scores });
                out.extend(encode_response(ids, re, Response::Scores { scores: tail }));
                out
            }
            _ => {
                log::warn!(
                    "a response of {} bytes exceeded the browser's limit",
                    bytes.len()
                );
                encode_response(
                    ids,
                    re,
                    Response::Error(ErrorBody::new(
                        ErrorCode::ResponseTooLarge,
                        format!(
                            "the answer would be {} bytes; the browser accepts at most {MAX_FRAME_TO_BROWSER}",
                            bytes.len()
                        ),
                    )),
                )
            }
        },
        Err(e) => encode_response(
            ids,
            re,
            Response::Error(ErrorBody::new(
                ErrorCode::Internal,
                format!("cannot serialize the answer: {e}"),
            )),
        ),
    }
}

/// Sends frames to the browser from any thread; the serve loop and background work
/// share it (one mutex keeps frames whole).
#[derive(Clone)]
pub struct Outbox {
    sink: Arc<Mutex<Box<dyn FrameSink>>>,
    ids: Arc<AtomicU32>,
}

impl Outbox {
    /// An outbox writing to `sink`, numbering messages from `ids`.
    pub fn new(sink: Box<dyn FrameSink>, ids: Arc<AtomicU32>) -> Self {
        Self {
            sink: Arc::new(Mutex::new(sink)),
            ids,
        }
    }

    /// Writes one already encoded frame.
    pub fn send_frame(&self, frame: &[u8]) -> std::io::Result<()> {
        let mut w = self
            .sink
            .lock()
            .map_err(|_| std::io::Error::other("writer lock poisoned"))?;
        w.send_frame(frame)
    }

    /// Sends a response (`re` = the request answered) or an event (`re` = `None`).
    pub fn send(&self, re: Option<u32>, body: Response) -> std::io::Result<()> {
        for f in encode_response(&self.ids, re, body) {
            self.send_frame(&f)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
