use super::*;
use swipy_shared::protocol::{decode_response, Score};

/// A sink that keeps the frames it was given.
struct Frames(Arc<Mutex<Vec<Vec<u8>>>>);

impl FrameSink for Frames {
    fn send_frame(&mut self, frame: &[u8]) -> std::io::Result<()> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .push(frame.to_vec());
        Ok(())
    }
}

#[test]
fn numbers_messages_and_splits_long_scores() {
    let kept = Arc::new(Mutex::new(Vec::new()));
    let outbox = Outbox::new(
        Box::new(Frames(Arc::clone(&kept))),
        Arc::new(AtomicU32::new(7)),
    );
    outbox
        .send(Some(3), Response::Ack { key: None })
        .expect("ack");
    let score: Score = serde_json::from_value(serde_json::json!({
        "id": "a".repeat(64), "p_like": 0.5, "parts": {}, "model_version": 1, "state": "ready"
    }))
    .expect("score");
    let scores = vec![score; 20_000];
    outbox
        .send(Some(4), Response::Scores { scores })
        .expect("scores");
    let frames = kept.lock().expect("frames").clone();
    assert!(frames.len() > 2, "the scores answer is split");
    let first = decode_response(&frames[0]).expect("first");
    assert_eq!((first.id, first.re), (7, Some(3)));
    let mut ids = Vec::new();
    for f in &frames[1..] {
        assert!(f.len() <= MAX_FRAME_TO_BROWSER);
        let env = decode_response(f).expect("frame");
        assert_eq!(env.re, Some(4));
        assert!(matches!(env.body, Response::Scores { .. }));
        ids.push(env.id);
    }
    let mut sorted = ids.clone();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "each frame has its own id");
}
