//! Native messaging framing: a 4-byte native-endian length, then that many bytes of UTF-8
//! JSON.
//!
//! Written here rather than taken from the `native_messaging` crate (which this crate still
//! uses for manifest locations): that crate's reader returns an error on an oversized
//! frame and leaves its body unread in the stream, so the next read would interpret JSON
//! bytes as a length. Swipy must refuse an oversized frame *and keep serving*, so
//! [`FrameReader`] skips the body of a refused frame without allocating it.
//!
//! Limits: browser → host frames over [`MAX_FRAME_FROM_BROWSER`] are refused with
//! [`FrameError::TooLarge`] (the body is drained, the stream stays usable); host → browser
//! frames are at most [`MAX_FRAME_TO_BROWSER`] (Chrome's limit) — [`FrameWriter`] refuses
//! larger ones with [`FrameError::ResponseTooLarge`] before writing a single byte.

use std::io::{self, Read, Write};

pub use swipy_shared::protocol::{MAX_FRAME_FROM_BROWSER, MAX_FRAME_TO_BROWSER};

/// Why a frame could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The stream ended inside the 4-byte length prefix.
    #[error("stream ended inside a frame's length prefix ({got} of 4 bytes)")]
    TruncatedLength { got: usize },
    /// The stream ended inside the frame body.
    #[error("stream ended inside a frame body ({got} of {len} bytes)")]
    TruncatedBody { got: usize, len: usize },
    /// The announced length exceeds the reader's cap. The body has been skipped.
    #[error("frame of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge { len: usize, max: usize },
    /// An outgoing message exceeds [`MAX_FRAME_TO_BROWSER`]; nothing was written.
    #[error("response of {len} bytes exceeds the browser's limit of {max} bytes")]
    ResponseTooLarge { len: usize, max: usize },
    /// Serializing an outgoing message failed.
    #[error("could not serialize a message: {0}")]
    Serialize(#[from] serde_json::Error),
    #[error("I/O error on the native messaging pipe: {0}")]
    Io(#[from] io::Error),
}

/// Reads frames from any byte stream (stdin in production, byte slices in tests).
pub struct FrameReader<R> {
    inner: R,
    max: usize,
}

impl<R: Read> FrameReader<R> {
    /// A reader refusing frames larger than `max` bytes.
    pub fn new(inner: R, max: usize) -> Self {
        Self { inner, max }
    }

    /// Reads the next frame body. `Ok(None)` is a clean end of stream (between frames).
    ///
    /// On [`FrameError::TooLarge`] the body has been read and discarded, so the next call
    /// reads the next frame. Truncation errors mean the stream has ended.
    pub fn read_frame(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        let mut len_buf = [0u8; 4];
        let got = read_full(&mut self.inner, &mut len_buf)?;
        if got == 0 {
            return Ok(None);
        }
        if got < 4 {
            return Err(FrameError::TruncatedLength { got });
        }
        let len = u32::from_ne_bytes(len_buf) as usize;
        if len > self.max {
            let skipped = self.skip(len)?;
            if skipped < len {
                return Err(FrameError::TruncatedBody { got: skipped, len });
            }
            return Err(FrameError::TooLarge { len, max: self.max });
        }
        let mut body = vec![0u8; len];
        let got = read_full(&mut self.inner, &mut body)?;
        if got < len {
            return Err(FrameError::TruncatedBody { got, len });
        }
        Ok(Some(body))
    }
}

impl<R: Read> FrameReader<R> {
    /// Reads and discards up to `len` bytes through a fixed 64 KiB buffer (never the
    /// whole body); returns how many bytes were skipped.
    fn skip(&mut self, len: usize) -> io::Result<usize> {
        let mut buf = vec![0u8; 64 * 1024];
        let mut done = 0;
        while done < len {
            let want = (len - done).min(buf.len());
            let got = read_full(&mut self.inner, &mut buf[..want])?;
            done += got;
            if got < want {
                break;
            }
        }
        Ok(done)
    }
}

/// Fills `buf` as far as the stream allows; returns how many bytes were read (less than
/// `buf.len()` only at end of stream).
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Writes frames, flushing after each one.
pub struct FrameWriter<W> {
    inner: W,
}

impl<W: Write> FrameWriter<W> {
    pub fn new(inner: W) -> Self {
        Self { inner }
    }

    /// Serializes `msg` and writes it as one frame. Refuses bodies over
    /// [`MAX_FRAME_TO_BROWSER`] without writing anything.
    pub fn send<T: serde::Serialize>(&mut self, msg: &T) -> Result<(), FrameError> {
        let body = serde_json::to_vec(msg)?;
        self.send_bytes(&body)
    }

    /// Writes an already serialized body as one frame.
    pub fn send_bytes(&mut self, body: &[u8]) -> Result<(), FrameError> {
        if body.len() > MAX_FRAME_TO_BROWSER {
            return Err(FrameError::ResponseTooLarge {
                len: body.len(),
                max: MAX_FRAME_TO_BROWSER,
            });
        }
        let len = u32::try_from(body.len()).map_err(|_| FrameError::ResponseTooLarge {
            len: body.len(),
            max: MAX_FRAME_TO_BROWSER,
        })?;
        self.inner.write_all(&len.to_ne_bytes())?;
        self.inner.write_all(body)?;
        self.inner.flush()?;
        Ok(())
    }

    /// The underlying writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    pub fn into_inner(self) -> W {
        self.inner
    }
}

/// The outbox writes through a frame writer in serve mode.
impl<W: Write + Send> crate::outbox::FrameSink for FrameWriter<W> {
    fn send_frame(&mut self, frame: &[u8]) -> io::Result<()> {
        self.send_bytes(frame).map_err(|e| match e {
            FrameError::Io(e) => e,
            other => io::Error::other(other.to_string()),
        })
    }
}

/// Encodes one frame into bytes (length prefix + body); used by tests and clients.
pub fn encode_frame(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 4);
    out.extend_from_slice(&(body.len() as u32).to_ne_bytes());
    out.extend_from_slice(body);
    out
}

#[cfg(test)]
mod tests;
