//! End-to-end scoring benchmark of the Rust pipeline, the counterpart of
//! `models/bench_reference.py run` (see models/README.md, "Benchmark"); `cargo xtask bench`
//! runs both on the same set and compares.
//!
//! `bench --models DIR --set DIR [--json OUT] [--threads N] [--page N] [--device cpu|cuda|auto]`
//!
//! A recs page at a time (`--page`, default 10: what one `/v2/recs/core` answer holds), as
//! the host scores a page once its photos are in: the page's bios embedded on one thread
//! while its photos are decoded in parallel, open-nsfw `pool` batched, YuNet + SFace on
//! worker threads; then per profile the 1540-float feature vector of the contract and the
//! set's head. Each page's top card goes alone first, like the host's badge on the card the
//! user sees: `page_top_card_seconds` is the median time from a page's photos being there
//! to its top card's score; `cold_start_to_first_score_seconds` is process start → the
//! first score.
//! Also times training the crate's logistic head on 1,000 profiles' cached features.
#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{json, Value};
use swipy_models::{
    init_runtime, train, Device, EncoderOptions, Encoders, PhotoRef, ProfileFeatures, TrainConfig,
};

const PHOTO_DIM: usize = 1024;
const FACE_DIM: usize = 128;
const TEXT_DIM: usize = 384;
const FEATURES: usize = PHOTO_DIM + FACE_DIM + TEXT_DIM + 4;

struct Args {
    models: PathBuf,
    set: PathBuf,
    json: Option<PathBuf>,
    threads: usize,
    device: Device,
    /// Profiles scored together (a Tinder recs page holds 10).
    page: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut models = None;
    let mut set = None;
    let mut json = None;
    let mut threads = 0usize;
    let mut device = Device::Cpu;
    let mut page = 10usize;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--models" => models = Some(PathBuf::from(val()?)),
            "--set" => set = Some(PathBuf::from(val()?)),
            "--json" => json = Some(PathBuf::from(val()?)),
            "--threads" => threads = val()?.parse().map_err(|e| format!("--threads: {e}"))?,
            "--page" => page = val()?.parse().map_err(|e| format!("--page: {e}"))?,
            "--device" => {
                let v = val()?;
                device = Device::parse(&v).ok_or_else(|| format!("unknown device `{v}`"))?
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Args {
        models: models.ok_or("--models DIR is required")?,
        set: set.ok_or("--set DIR is required")?,
        json,
        threads,
        device,
        page,
    })
}

fn read_json(p: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
}

fn l2(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= n);
}

/// Peak resident memory of this process (VmHWM), in MiB.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    if let Err(e) = run() {
        eprintln!("bench: error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let started = Instant::now();
    let args = parse_args()?;
    let spec = read_json(&args.set.join("profiles.json"))?;
    let head = read_json(&args.set.join("head.json"))?;
    let w: Vec<f64> = head["w"]
        .as_array()
        .ok_or("head.json: no `w`")?
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    let b = head["b"].as_f64().ok_or("head.json: no `b`")?;
    if w.len() != FEATURES {
        return Err(format!(
            "head.json: {} weights, expected {FEATURES}",
            w.len()
        ));
    }
    let profiles = spec["profiles"]
        .as_array()
        .ok_or("profiles.json: no profiles")?;

    let t_load = Instant::now();
    init_runtime(None).map_err(|e| e.to_string())?;
    let mut opts = EncoderOptions {
        device: args.device,
        ..Default::default()
    };
    if args.threads > 0 {
        opts.threads = args.threads;
    }
    let enc = Encoders::load_with(&args.models, opts).map_err(|e| e.to_string())?;
    if !(enc.has_text() && enc.has_faces() && enc.has_photo()) {
        return Err(format!("models missing: {:?}", enc.info().missing));
    }
    let load_s = t_load.elapsed().as_secs_f64();

    // Scored a recs page at a time, the way the host does it: the page's bios embedded on
    // one thread while its photos are decoded and embedded (batched) on the others.
    let mut scores = Vec::new();
    let mut first: Option<f64> = None;
    let mut n_photos = 0usize;
    let t0 = Instant::now();
    let mut top_latency = Vec::new();
    // Each page as the host does it: its top card alone first, then the rest.
    let parts: Vec<(bool, &[Value])> = profiles
        .chunks(args.page.max(1))
        .flat_map(|page| {
            let (top, rest) = page.split_at(1);
            [(true, top), (false, rest)]
        })
        .filter(|(_, part)| !part.is_empty())
        .collect();
    let mut page_start = Instant::now();
    for (is_top, page) in parts {
        if is_top {
            page_start = Instant::now();
        }
        let mut bios = Vec::with_capacity(page.len());
        let mut bytes: Vec<Vec<u8>> = Vec::new();
        let mut owner: Vec<usize> = Vec::new();
        for (k, p) in page.iter().enumerate() {
            bios.push(p["bio"].as_str().unwrap_or_default().to_string());
            for f in p["photos"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>())
                .unwrap_or_default()
            {
                bytes.push(std::fs::read(f).map_err(|e| format!("{f}: {e}"))?);
                owner.push(k);
            }
        }
        n_photos += bytes.len();
        let refs: Vec<PhotoRef<'_>> = bytes
            .iter()
            .map(|b| PhotoRef {
                bytes: b,
                hints: &[],
            })
            .collect();
        let (texts, photos) = std::thread::scope(|s| {
            let texts = s.spawn(|| enc.embed_texts(&bios));
            let photos = enc.embed_photos(&refs);
            (texts.join(), photos)
        });
        let texts = texts
            .map_err(|_| "text encoder thread panicked".to_string())?
            .map_err(|e| e.to_string())?;
        let mut photo = vec![vec![0f32; PHOTO_DIM]; page.len()];
        let mut n = vec![0f32; page.len()];
        let mut face = vec![vec![0f32; FACE_DIM]; page.len()];
        let mut best_area = vec![-1f32; page.len()];
        for (r, &k) in photos.into_iter().zip(&owner) {
            let e = r.map_err(|e| e.to_string())?;
            if let Some(v) = &e.photo {
                photo[k].iter_mut().zip(v).for_each(|(a, b)| *a += b);
                n[k] += 1.0;
            }
            for f in &e.faces {
                let area = f.bbox[2] * f.bbox[3];
                if area > best_area[k] {
                    best_area[k] = area;
                    face[k] = f.embedding.clone();
                }
            }
        }
        for (k, p) in page.iter().enumerate() {
            if n[k] > 0.0 {
                let nk = n[k];
                photo[k].iter_mut().for_each(|x| *x /= nk);
            }
            if best_area[k] < 0.0 {
                face[k] = vec![0f32; FACE_DIM];
            } else {
                l2(&mut face[k]);
            }
            let text = texts.get(k).ok_or("no text embedding")?;
            let meta: Vec<f64> = p["meta"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_f64).collect())
                .unwrap_or_default();
            let m = |i: usize| meta.get(i).copied().unwrap_or(0.0);
            let feats: Vec<f64> = photo[k]
                .iter()
                .chain(&face[k])
                .chain(text)
                .map(|&x| f64::from(x))
                .chain([m(0) / 100.0, m(1) / 100.0, m(2) / 500.0, m(3) / 10.0])
                .collect();
            let z: f64 = feats.iter().zip(&w).map(|(x, w)| x * w).sum::<f64>() + b;
            let id = p["id"].as_str().unwrap_or_default();
            scores.push(json!({"id": id, "p_like": 1.0 / (1.0 + (-z).exp())}));
        }
        if is_top {
            top_latency.push(page_start.elapsed().as_secs_f64());
        }
        if first.is_none() {
            first = Some(started.elapsed().as_secs_f64());
        }
    }
    let elapsed = t0.elapsed().as_secs_f64();
    top_latency.sort_by(f64::total_cmp);
    let median_top = top_latency.get(top_latency.len() / 2).copied();

    // training on 1,000 profiles' cached features (synthetic, deterministic)
    let mut state = 7u64;
    let mut rnd = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as f64 / (1u64 << 31) as f64) as f32 - 0.5
    };
    let mut data = Vec::with_capacity(1000);
    for i in 0..1000 {
        let mut unit = |d: usize| {
            let mut v: Vec<f32> = (0..d).map(|_| rnd()).collect();
            l2(&mut v);
            v
        };
        let photo = unit(PHOTO_DIM);
        let face = unit(FACE_DIM);
        let text = unit(TEXT_DIM);
        let like = text[..8].iter().sum::<f32>() > 0.0;
        let meta = ProfileFeatures::meta_vector(
            Some(20.0 + (i % 15) as f64),
            Some((i % 60) as f64),
            100,
            3,
            true,
            true,
            true,
            2,
        );
        data.push((
            ProfileFeatures {
                photo_mean: Some(photo.clone()),
                photo_max: Some(photo),
                face: Some(face),
                text: Some(text),
                meta,
            },
            like,
        ));
    }
    let t_train = Instant::now();
    train(&data, &TrainConfig::default(), &mut |_, _, _| {}).map_err(|e| e.to_string())?;
    let train_s = t_train.elapsed().as_secs_f64();

    let result = json!({
        "impl": "rust",
        "device": format!("{:?}", args.device).to_lowercase(),
        "profiles": profiles.len(),
        "photos": n_photos,
        "seconds": elapsed,
        "profiles_per_second": profiles.len() as f64 / elapsed,
        "model_load_seconds": load_s,
        "cold_start_to_first_score_seconds": first.unwrap_or(0.0),
        "page_top_card_seconds": median_top,
        "peak_rss_mb": peak_rss_mb(),
        "train_1000_seconds": train_s,
        "threads": if args.threads > 0 { json!(args.threads) } else { json!("default") },
        "page": args.page,
        "scores": scores,
    });
    if let Some(out) = &args.json {
        let text = serde_json::to_string_pretty(&result).map_err(|e| e.to_string())?;
        std::fs::write(out, text + "\n").map_err(|e| format!("{}: {e}", out.display()))?;
    }
    let mut summary = result;
    if let Some(o) = summary.as_object_mut() {
        o.remove("scores");
    }
    println!("{summary}");
    Ok(())
}
