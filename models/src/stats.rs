//! Time spent in each stage of the scoring path (decode, detect, face, photo, text, head),
//! summed over the threads that ran it, since the process started or the last [`reset`].
//! `swipy bench-score` reports them so the next bottleneck is visible; the counters cost
//! two atomic additions per timed call.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// A stage of the scoring path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Image bytes → RGB pixels.
    Decode,
    /// YuNet: letterbox + inference + decoding.
    Detect,
    /// SFace: alignment + inference.
    Face,
    /// open-nsfw: resize + crop + inference.
    Photo,
    /// e5: tokenisation + inference.
    Text,
    /// The trained head.
    Head,
}

/// Every stage, in report order.
pub const STAGES: [Stage; 6] = [
    Stage::Decode,
    Stage::Detect,
    Stage::Face,
    Stage::Photo,
    Stage::Text,
    Stage::Head,
];

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::Decode => "decode",
            Stage::Detect => "detect",
            Stage::Face => "face",
            Stage::Photo => "photo",
            Stage::Text => "text",
            Stage::Head => "head",
        }
    }
    fn index(self) -> usize {
        self as usize
    }
}

static NANOS: [AtomicU64; 6] = [const { AtomicU64::new(0) }; 6];
static CALLS: [AtomicU64; 6] = [const { AtomicU64::new(0) }; 6];

/// Adds the time from its creation to its drop to a stage.
#[must_use = "the time is counted when the timer is dropped"]
pub struct Timer {
    stage: Stage,
    started: Instant,
}

impl Drop for Timer {
    fn drop(&mut self) {
        let ns = u64::try_from(self.started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        NANOS[self.stage.index()].fetch_add(ns, Ordering::Relaxed);
        CALLS[self.stage.index()].fetch_add(1, Ordering::Relaxed);
    }
}

/// Starts timing `stage` (counted when the returned timer is dropped).
pub fn time(stage: Stage) -> Timer {
    Timer {
        stage,
        started: Instant::now(),
    }
}

/// One stage's total.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StageTotal {
    pub stage: Stage,
    /// Seconds, summed over threads.
    pub seconds: f64,
    /// Timed calls.
    pub calls: u64,
}

/// Totals of every stage so far.
pub fn snapshot() -> Vec<StageTotal> {
    STAGES
        .iter()
        .map(|&stage| StageTotal {
            stage,
            seconds: NANOS[stage.index()].load(Ordering::Relaxed) as f64 / 1e9,
            calls: CALLS[stage.index()].load(Ordering::Relaxed),
        })
        .collect()
}

/// Sets every counter back to zero.
pub fn reset() {
    for s in STAGES {
        NANOS[s.index()].store(0, Ordering::Relaxed);
        CALLS[s.index()].store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timed_call_is_counted_in_its_stage() {
        let before = snapshot();
        {
            let _t = time(Stage::Head);
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let after = snapshot();
        let head = |v: &[StageTotal]| v[5];
        assert_eq!(head(&after).stage.name(), "head");
        assert!(head(&after).calls > head(&before).calls);
        assert!(head(&after).seconds >= head(&before).seconds + 0.002);
    }
}
