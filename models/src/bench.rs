//! Helpers of the scoring benchmark (`swipy bench-score`, `cargo xtask bench`): a
//! deterministic synthetic training set of cached features, the process's peak memory and
//! the stage times as JSON.

use serde_json::{json, Value};

use crate::features::ProfileFeatures;
use crate::linalg::Rng;
use crate::stats;

/// Sizes of the prepared encoders' embeddings.
pub const PHOTO_DIM: usize = 1024;
pub const FACE_DIM: usize = 128;
pub const TEXT_DIM: usize = 384;

fn unit(rng: &mut Rng, d: usize) -> Vec<f32> {
    let mut v: Vec<f32> = (0..d).map(|_| rng.normal() as f32).collect();
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= n);
    v
}

/// `n` profiles' cached features with every part present (photo, face, text, meta) and a
/// taste hidden in the first text dimensions plus label noise, deterministic for `seed`:
/// what training on 1,000 labelled profiles costs.
pub fn training_set(n: usize, seed: u64) -> Vec<(ProfileFeatures, bool)> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|i| {
            let photo = unit(&mut rng, PHOTO_DIM);
            let photo_max = unit(&mut rng, PHOTO_DIM);
            let face = unit(&mut rng, FACE_DIM);
            let text = unit(&mut rng, TEXT_DIM);
            let signal: f32 = text[..8].iter().sum::<f32>() + face[..4].iter().sum::<f32>();
            let like = signal + 0.05 * rng.normal() as f32 > 0.0;
            let meta = ProfileFeatures::meta_vector(
                Some(20.0 + (i % 15) as f64),
                Some((i % 60) as f64),
                100,
                6,
                true,
                true,
                true,
                2,
            );
            (
                ProfileFeatures {
                    photo_mean: Some(photo),
                    photo_max: Some(photo_max),
                    face: Some(face),
                    text: Some(text),
                    meta,
                },
                like,
            )
        })
        .collect()
}

/// Peak resident memory of this process (Linux `VmHWM`), in MiB.
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Current resident memory of this process (Linux `VmRSS`), in MiB.
pub fn rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// The stage times so far as `{"decode": seconds, …}` (summed over threads).
pub fn stages_json() -> Value {
    let mut m = serde_json::Map::new();
    for s in stats::snapshot() {
        m.insert(
            s.stage.name().into(),
            json!((s.seconds * 1000.0).round() / 1000.0),
        );
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_synthetic_training_set_is_deterministic_and_has_both_classes() {
        let a = training_set(200, 7);
        let b = training_set(200, 7);
        assert_eq!(a, b);
        let likes = a.iter().filter(|(_, l)| *l).count();
        assert!((60..140).contains(&likes), "{likes} likes of 200");
        assert_eq!(a[0].0.photo_mean.as_ref().map(Vec::len), Some(PHOTO_DIM));
    }
}
