//! Learning end to end: import-seed with a planted preference in English and German bios,
//! `swipy train`, `swipy score`, the `scores`/`train` messages, and automatic scoring of a
//! served recs page once its photos are in.
//!
//! These run the real prepared models (`cargo xtask models`: `target/models`,
//! `target/ort`). Without them the tests say so and skip — except under `CI=true`, where
//! a missing model fails the test.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{json, Value};
use swipy_shared::protocol::{ErrorCode, Response, ScoreState};

use crate::common::{exe, jpeg_for, swipy, Cdn, Host, Reply};

/// `target/` of this build (the binary lives in `target/debug`).
fn target_dir() -> PathBuf {
    exe()
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .to_path_buf()
}

/// Whether the real models and ONNX Runtime are prepared; fails under CI when not.
fn real_models_or_skip(test: &str) -> bool {
    let t = target_dir();
    let have =
        t.join("models/e5-small/model.onnx").is_file() && t.join("ort/libonnxruntime.so").is_file();
    if !have {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{test}: the prepared models are missing under CI (run `cargo xtask models`)");
        }
        eprintln!(
            "SKIPPED {test}: prepared models not found in {} (run `cargo xtask models`)",
            t.display()
        );
    }
    have
}

/// Small deterministic generator.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as usize
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[self.next() % v.len()]
    }
}

const LIKE_EN: &[&str] = &[
    "I love hiking in the mountains.",
    "Every weekend I climb another summit.",
    "Happiest on a long mountain trail with a backpack.",
    "Alpine huts, steep paths and views from the top.",
    "Trekking through the Alps is my favourite holiday.",
    "Looking for someone to go hiking with me.",
];
const LIKE_DE: &[&str] = &[
    "Wandern in den Bergen ist mein Leben.",
    "Am Wochenende bin ich auf Gipfeltouren.",
    "Ich liebe lange Bergwanderungen mit Rucksack.",
    "Hütten, Gipfel und Aussicht in den Alpen.",
    "Jeden Sommer wandere ich über die Alpen.",
    "Suche jemanden, der mit mir wandern geht.",
];
const NOPE_EN: &[&str] = &[
    "I love partying in clubs until sunrise.",
    "Shopping and fashion are my passion.",
    "Video games all night long.",
    "Netflix and the sofa are my idea of a perfect weekend.",
    "Cocktails, nightlife and loud music.",
    "I spend my free time at the shopping mall.",
];
const NOPE_DE: &[&str] = &[
    "Ich feiere gern bis zum Morgen im Club.",
    "Shoppen und Mode sind meine Leidenschaft.",
    "Ich zocke Videospiele die ganze Nacht.",
    "Serien und Sofa sind mein perfektes Wochenende.",
    "Cocktails, Partys und laute Musik.",
    "Meine Freizeit verbringe ich im Einkaufszentrum.",
];
const NEUTRAL: &[&str] = &[
    "I have a cat.",
    "Ich trinke gern Kaffee.",
    "Working as a nurse.",
    "Ich arbeite als Lehrerin.",
    "Dog person.",
    "Aus Hamburg.",
    "",
];

fn id(n: usize) -> String {
    format!("5e{n:022x}")
}

#[derive(serde::Serialize)]
struct Bio {
    name: String,
    bio: String,
    age: i64,
}

/// Writes a prototype-style seed dir: `n` labelled profiles (likes = mountains/hiking) and
/// the unseen ones given, unlabelled. Returns the seed dir and the number of distinct
/// labelled bios.
fn write_seed(root: &Path, n: usize, unseen: &[(String, &str)], photos: bool) -> (PathBuf, usize) {
    let seed = root.join("seed");
    std::fs::create_dir_all(seed.join("images")).expect("mkdir");
    let mut g = Lcg(7);
    let mut bios: BTreeMap<String, Bio> = BTreeMap::new();
    let mut labels: BTreeMap<String, i64> = BTreeMap::new();
    for i in 0..n {
        let like = i % 2 == 0;
        let german = (i / 2) % 2 == 0;
        let pool = match (like, german) {
            (true, false) => LIKE_EN,
            (true, true) => LIKE_DE,
            (false, false) => NOPE_EN,
            (false, true) => NOPE_DE,
        };
        let bio = format!("{} {} {}", g.pick(pool), g.pick(NEUTRAL), g.pick(pool));
        let pid = id(i);
        bios.insert(
            pid.clone(),
            Bio {
                name: format!("P{i}"),
                bio,
                age: 20 + (g.next() % 20) as i64,
            },
        );
        labels.insert(pid.clone(), i64::from(like));
        if photos {
            std::fs::write(
                seed.join("images").join(format!("{pid}_P{i}_0.jpeg")),
                jpeg_for(&pid, 48, 60),
            )
            .expect("img");
        }
    }
    for (pid, bio) in unseen {
        bios.insert(
            pid.clone(),
            Bio {
                name: "New".into(),
                bio: (*bio).to_owned(),
                age: 30,
            },
        );
    }
    std::fs::write(
        seed.join("bios.pkl"),
        serde_pickle::to_vec(&bios, Default::default()).expect("pkl"),
    )
    .expect("w");
    std::fs::write(
        seed.join("labels.pkl"),
        serde_pickle::to_vec(&labels, Default::default()).expect("pkl"),
    )
    .expect("w");
    let distinct: std::collections::BTreeSet<&str> =
        labels.keys().map(|k| bios[k].bio.trim()).collect();
    (seed, distinct.len())
}

/// [`write_seed`], then `swipy import-seed` of it (must succeed). Returns the number of
/// distinct labelled bios.
fn import_seed(h: &Path, n: usize, unseen: &[(String, &str)], photos: bool) -> usize {
    let (seed, distinct) = write_seed(h, n, unseen, photos);
    let (code, out, err) = swipy(h, &["import-seed", seed.to_str().expect("utf8")], &[]);
    assert_eq!(code, 0, "import-seed: {out}{err}");
    distinct
}

/// A data dir with `n` imported seed profiles and a model trained on them by `swipy train`.
fn home_with_a_model(n: usize, photos: bool) -> tempfile::TempDir {
    let home = tempfile::tempdir().expect("home");
    import_seed(home.path(), n, &[], photos);
    let (code, out, err) = swipy(home.path(), &["train"], &[]);
    assert_eq!(code, 0, "{out}{err}");
    home
}

fn metric(out: &str, name: &str) -> f64 {
    out.lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no `{name}` in:\n{out}"))
}

/// Pairwise ranking AUC of positives over negatives.
fn auc(pos: &[f64], neg: &[f64]) -> f64 {
    let mut wins = 0.0;
    for p in pos {
        for n in neg {
            wins += if p > n {
                1.0
            } else if p == n {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / (pos.len() * neg.len()) as f64
}

#[test]
fn train_and_score_follow_a_planted_bio_preference_in_english_and_german() {
    if !real_models_or_skip("planted preference") {
        return;
    }
    let home = tempfile::tempdir().expect("home");
    let h = home.path();
    let hiking = [
        "Suche jemanden für Bergtouren und Klettersteige.",
        "Nothing beats a sunrise on a mountain peak after a long hike.",
        "Meine Wanderschuhe sind mein wichtigstes Paar Schuhe, ab in die Berge!",
        "Weekend plan: backpack, trail, summit.",
    ];
    let other = [
        "Let's go clubbing and drink cocktails.",
        "Ich gehe gern shoppen und feiere die ganze Nacht.",
        "Gaming marathon with pizza, who is in?",
        "Am liebsten liege ich auf dem Sofa und schaue Serien.",
    ];
    let unseen: Vec<(String, &str)> = hiking
        .iter()
        .chain(other.iter())
        .enumerate()
        .map(|(i, b)| (id(10_000 + i), *b))
        .collect();
    let distinct = import_seed(h, 240, &unseen, false);

    let (code, out, err) = swipy(h, &["train"], &[]);
    assert_eq!(code, 0, "train failed:\n{out}\n{err}");
    let roc = metric(&out, "ROC-AUC:");
    assert!(
        roc > 0.8,
        "cross-validated ROC-AUC well above chance:\n{out}"
    );
    assert!(metric(&out, "accuracy:") > 0.7, "{out}");
    assert!(metric(&out, "log-loss:") < 0.6, "{out}");
    assert!(out.contains("labels:    120 like, 120 nope"), "{out}");
    let store = swipy_host::store::Store::open(h).expect("store");
    let embedded = store.embedding_count().expect("n");
    assert_eq!(
        embedded as usize, distinct,
        "one cached embedding per distinct bio"
    );
    let stats = store.stats(0.0).expect("stats");
    let m = stats.metrics.expect("stats carry the metrics");
    assert!(
        m.roc.len() >= 2,
        "ROC points for the dashboard: {:?}",
        m.roc
    );
    drop(store);

    // Training again changes nothing in the cache (nothing is computed twice) and is
    // deterministic.
    let (code, out2, err) = swipy(h, &["train"], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(metric(&out2, "ROC-AUC:"), roc, "same seed, same metrics");
    let store = swipy_host::store::Store::open(h).expect("store");
    assert_eq!(store.embedding_count().expect("n"), embedded);
    drop(store);

    // `swipy score` without ids scores the unlabelled (unseen) profiles.
    let (code, out, err) = swipy(h, &["score", "--json"], &[]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), unseen.len(), "{out}");
    let p: HashMap<String, f64> = lines
        .iter()
        .map(|v| {
            // Bios but no photos in this seed: a text part, no photo part.
            assert!(
                v["parts"]["text"]
                    .as_f64()
                    .is_some_and(|t| (0.0..=1.0).contains(&t))
                    && v["parts"]["photo"].is_null(),
                "{v}"
            );
            (
                v["id"].as_str().expect("id").to_owned(),
                v["p_like"].as_f64().expect("p_like"),
            )
        })
        .collect();
    let pos: Vec<f64> = (0..hiking.len()).map(|i| p[&id(10_000 + i)]).collect();
    let neg: Vec<f64> = (0..other.len())
        .map(|i| p[&id(10_000 + hiking.len() + i)])
        .collect();
    let a = auc(&pos, &neg);
    assert!(a >= 0.9, "unseen EN and DE profiles ranked by the planted preference: hiking {pos:?} vs other {neg:?}");
    // Both languages: the German hiking bio beats the German party bio, same in English.
    assert!(
        pos[0] > neg[1] && pos[1] > neg[0],
        "hiking {pos:?} vs other {neg:?}"
    );

    // The `scores` message gives the same numbers as `swipy score --json`.
    let ids: Vec<String> = unseen.iter().map(|(i, _)| i.clone()).collect();
    let mut host = Host::chromium(h, &[]);
    host.hello();
    let r = host.call("scores", json!({"ids": ids}));
    let Response::Scores { scores } = r else {
        panic!("{r:?}")
    };
    assert_eq!(scores.len(), ids.len());
    for s in &scores {
        assert_eq!(s.state, ScoreState::Ready, "{s:?}");
        let cli = p[&s.id];
        let got = s.p_like.expect("p_like");
        assert!(
            (got - cli).abs() < 1e-9,
            "{}: stdio {got} vs CLI {cli}",
            s.id
        );
    }
    // The last score is kept for the dashboard.
    let r = host.call("profiles", json!({"limit": 50, "filter": "unlabelled"}));
    let Response::Profiles { total, items } = r else {
        panic!("{r:?}")
    };
    assert_eq!(total as usize, unseen.len());
    assert!(
        items
            .iter()
            .all(|i| i.p_like.is_some() && i.model_version.is_some()),
        "{items:?}"
    );
    let r = host.call("history", json!({}));
    let Response::History(hist) = r else {
        panic!("{r:?}")
    };
    assert_eq!(
        hist.histogram.liked.iter().sum::<u32>(),
        0,
        "labelled profiles were not scored here"
    );
    assert!(
        hist.days.iter().map(|d| d.likes_user).sum::<u32>() >= 120,
        "{:?}",
        hist.days
    );

    // `train` over the port: progress events, then `trained` answering the request.
    let id_train = host.send("train", json!({}));
    let mut progress = 0;
    loop {
        let r = host.recv();
        match r.body {
            Response::TrainProgress { .. } => {
                assert_eq!(r.re, None, "progress is an event");
                progress += 1;
            }
            Response::Trained {
                model_version,
                metrics,
            } => {
                assert_eq!(r.re, Some(id_train));
                assert_eq!(model_version, 3);
                assert_eq!(metrics.roc_auc, roc);
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(progress >= 2, "progress events arrived");
    let (code, stderr, _) = host.close();
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn one_class_or_too_few_labels_is_a_clear_error() {
    let home = tempfile::tempdir().expect("home");
    let h = home.path();
    let seed = h.join("seed");
    std::fs::create_dir_all(&seed).expect("mkdir");
    let bios: BTreeMap<String, Bio> = (0..15)
        .map(|i| {
            (
                id(i),
                Bio {
                    name: format!("P{i}"),
                    bio: "Wandern in den Bergen".into(),
                    age: 30,
                },
            )
        })
        .collect();
    let labels: BTreeMap<String, i64> = (0..15).map(|i| (id(i), 1)).collect();
    std::fs::write(
        seed.join("bios.pkl"),
        serde_pickle::to_vec(&bios, Default::default()).expect("pkl"),
    )
    .expect("w");
    std::fs::write(
        seed.join("labels.pkl"),
        serde_pickle::to_vec(&labels, Default::default()).expect("pkl"),
    )
    .expect("w");
    let (code, _, err) = swipy(h, &["import-seed", seed.to_str().expect("utf8")], &[]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = swipy(h, &["train"], &[]);
    assert_eq!(code, 7, "exit code 7 = not enough labels: {out}{err}");
    assert!(err.contains("15 like(s) and 0 nope(s)"), "{err}");
    let mut host = Host::chromium(h, &[]);
    host.hello();
    let r = host.call("train", json!({}));
    match r {
        Response::Error(e) => {
            assert_eq!(e.code, ErrorCode::NotEnoughLabels.code());
            assert!(e.message.contains("0 nope(s)"), "{}", e.message);
        }
        other => panic!("{other:?}"),
    }
    // Without a model, scores say so per profile.
    let r = host.call("scores", json!({"ids": [id(0), id(999)]}));
    let Response::Scores { scores } = r else {
        panic!("{r:?}")
    };
    assert_eq!(scores[0].state, ScoreState::NoModel);
    assert_eq!(scores[1].state, ScoreState::Unknown);
    let (code, _, err) = swipy(h, &["score"], &[]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("no trained model"), "{err}");
    host.close();
}

#[test]
fn a_served_recs_page_is_scored_once_its_photos_are_in() {
    if !real_models_or_skip("auto-scoring") {
        return;
    }
    // A model trained with photos, so photo features are part of the head.
    let home = home_with_a_model(40, true);
    let h = home.path();

    let cdn = Cdn::start(Arc::new(|path: &str, _| {
        Reply::new(200, jpeg_for(path, 64, 80))
    }));
    let resolve = cdn.resolve_spec();
    let ca = cdn.ca_path();
    let mut host = Host::chromium(
        h,
        &[("SWIPY_TEST_RESOLVE", &resolve), ("SWIPY_TEST_CA", &ca)],
    );
    host.hello();
    let r = host.call(
        "recs",
        json!({"body": crate::common::fixture(), "captured_at_ms": 1_795_867_200_000.0_f64}),
    );
    let Response::Ingested { ids, .. } = r else {
        panic!("{r:?}")
    };
    // Two unsolicited events: the top card alone, then the rest of the page in card order.
    let mut scores = Vec::new();
    let mut batches = Vec::new();
    while scores.len() < ids.len() {
        let ev = host.recv();
        assert_eq!(ev.re, None, "an unsolicited event: {ev:?}");
        let Response::Scores { scores: got } = ev.body else {
            panic!("{ev:?}")
        };
        batches.push(got.iter().map(|s| s.id.clone()).collect::<Vec<_>>());
        scores.extend(got);
    }
    assert_eq!(
        batches,
        vec![ids[..1].to_vec(), ids[1..].to_vec()],
        "the top card first, alone; then the page in card order"
    );
    for s in &scores {
        assert_eq!(s.state, ScoreState::Ready, "{s:?}");
        assert!(s.p_like.is_some_and(|p| (0.0..=1.0).contains(&p)), "{s:?}");
        let has_photos = !s.id.ends_with("d04"); // the fixture's 4th profile has none
        assert_eq!(
            s.parts.photo.is_some(),
            has_photos,
            "photos were used: {s:?}"
        );
    }
    // The dashboard list shows the stored score and a small thumbnail.
    let r = host.call("profiles", json!({"limit": 4, "filter": "unlabelled"}));
    let Response::Profiles { items, .. } = r else {
        panic!("{r:?}")
    };
    let first = items.iter().find(|i| i.id == ids[0]).expect("listed");
    assert_eq!(first.p_like, scores[0].p_like);
    let thumb = first.thumb.as_deref().expect("thumb");
    assert!(
        thumb.starts_with("data:image/jpeg;base64,") && thumb.len() < 16_000,
        "{}",
        thumb.len()
    );
    let (code, stderr, _) = host.close();
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn labels_from_the_port_retrain_in_the_background_after_retrain_every() {
    if !real_models_or_skip("background retraining") {
        return;
    }
    let home = home_with_a_model(30, false);
    let h = home.path();
    let mut host = Host::chromium(h, &[]);
    host.hello();
    host.call("settings_set", json!({"values": {"retrain_every": 3}}));
    // Two relabels from the dashboard: not yet.
    for i in 0..2 {
        let r = host.call(
            "label",
            json!({"profile_id": id(i), "verdict": "nope", "source": "dashboard", "at_ms": 2.0e12, "key": format!("d{i}")}),
        );
        assert!(matches!(r, Response::Ack { .. }), "{r:?}");
    }
    let Response::Stats(s) = host.call("stats", json!({})) else {
        panic!("stats")
    };
    assert_eq!(
        s.model_version,
        Some(1),
        "no retraining before 3 new labels"
    );
    // The third: a new model arrives as an event; the answer to the label comes first.
    let r = host.call(
        "label",
        json!({"profile_id": id(2), "verdict": "like", "source": "dashboard", "at_ms": 2.0e12, "key": "d2"}),
    );
    assert!(matches!(r, Response::Ack { .. }), "{r:?}");
    let (version, metrics) = next_trained_event(&mut host, "retraining");
    assert_eq!(metrics.n_like + metrics.n_nope, 30);
    assert_eq!(version, 2);
    let Response::Profiles { items, .. } =
        host.call("profiles", json!({"filter": "labelled", "limit": 50}))
    else {
        panic!("profiles")
    };
    let relabelled = items.iter().find(|i| i.id == id(0)).expect("listed");
    assert_eq!(
        (relabelled.label, relabelled.label_source),
        (
            Some(swipy_shared::protocol::Verdict::Nope),
            Some(swipy_shared::protocol::LabelSource::Dashboard)
        ),
        "the dashboard's relabel is the latest label"
    );
    // The cadence holds after a retraining: 3 more labels make v3 (not 6).
    for i in 3..6 {
        let r = host.call(
            "label",
            json!({"profile_id": id(i), "verdict": "nope", "source": "dashboard", "at_ms": 2.0e12, "key": format!("e{i}")}),
        );
        assert!(matches!(r, Response::Ack { .. }), "{r:?}");
    }
    let (version, _) = next_trained_event(&mut host, "second retraining");
    assert_eq!(
        version, 3,
        "retrained again after retrain_every more labels"
    );
    host.close();
}

/// Waits for the `trained` event of a background retraining (progress events before it);
/// both are events, not answers.
fn next_trained_event(host: &mut Host, what: &str) -> (u32, swipy_shared::protocol::Metrics) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        assert!(std::time::Instant::now() < deadline, "no {what}");
        let ev = host.recv();
        assert_eq!(ev.re, None, "{what}: an event, not an answer");
        match ev.body {
            Response::TrainProgress { .. } => {}
            Response::Trained {
                model_version,
                metrics,
            } => return (model_version, metrics),
            other => panic!("{what}: {other:?}"),
        }
    }
}

#[test]
fn likes_that_matched_count_double_in_training_when_switched_on() {
    if !real_models_or_skip("train_on_matches") {
        return;
    }
    let home = home_with_a_model(40, false);
    let h = home.path();
    let liked: Vec<String> = (0..40).filter(|i| i % 2 == 0).map(id).collect();
    let p_like = |h: &Path| -> HashMap<String, f64> {
        let mut args = vec!["score", "--json"];
        args.extend(liked.iter().map(String::as_str));
        let (code, out, err) = swipy(h, &args, &[]);
        assert_eq!(code, 0, "{out}{err}");
        out.lines()
            .map(|l| serde_json::from_str::<Value>(l).expect("json line"))
            .map(|v| {
                let id = v["id"].as_str().expect("id").to_owned();
                (id, v["p_like"].as_f64().expect("p_like"))
            })
            .collect()
    };
    let before = p_like(h);
    // The three likes the model is least sure of became matches.
    let mut hard = liked.clone();
    hard.sort_by(|a, b| before[a].total_cmp(&before[b]));
    hard.truncate(3);
    let mut store = swipy_host::store::Store::open(h).expect("store");
    store
        .record_matches(&hard, 1_795_867_200_000.0)
        .expect("matches");
    // Off (the default): matches change nothing.
    let (code, out, err) = swipy(h, &["train"], &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        p_like(h),
        before,
        "matches used although the setting is off"
    );
    let mut on = serde_json::Map::new();
    on.insert("train_on_matches".into(), json!(true));
    store.merge_settings(&on).expect("setting");
    drop(store);
    let (code, out, err) = swipy(h, &["train"], &[("SWIPY_LOG", "info")]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("train_on_matches: 3 liked profile(s) that matched count 2×"),
        "{err}"
    );
    let after = p_like(h);
    let gain: f64 = hard.iter().map(|i| after[i] - before[i]).sum::<f64>() / 3.0;
    assert!(
        gain > 0.0,
        "the matched likes do not score higher when matches count double: {:?} → {:?}",
        hard.iter().map(|i| before[i]).collect::<Vec<_>>(),
        hard.iter().map(|i| after[i]).collect::<Vec<_>>()
    );
}

#[test]
fn doctor_reports_the_runtime_version_its_providers_and_the_models() {
    if !real_models_or_skip("doctor runtime line") {
        return;
    }
    let home = tempfile::tempdir().expect("home");
    let (_, out, err) = swipy(home.path(), &["doctor"], &[]);
    let line = out
        .lines()
        .find(|l| l.starts_with("onnx rt:"))
        .unwrap_or_else(|| panic!("no runtime line:\n{out}{err}"));
    let version = line
        .split(" version ")
        .nth(1)
        .and_then(|v| v.split_whitespace().next())
        .unwrap_or_else(|| panic!("no version in `{line}`"));
    assert!(
        version.split('.').count() == 3 && version.split('.').all(|p| p.parse::<u32>().is_ok()),
        "`{version}` is not a runtime version: {line}"
    );
    assert!(line.contains("CPUExecutionProvider"), "{line}");
    assert!(out.contains("e5-small") && out.contains("present"), "{out}");
}

/// The answer to request `id` (events before it are skipped), within 2 minutes.
fn answer_to(host: &mut Host, id: u32) -> Response {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        assert!(
            std::time::Instant::now() < deadline,
            "no answer to request {id}"
        );
        let r = host.recv();
        if r.re == Some(id) {
            return r.body;
        }
    }
}

/// The host's log file (what a user sends with a bug report).
fn log_file(h: &Path) -> String {
    std::fs::read_to_string(h.join("logs/swipy.log")).unwrap_or_default()
}

#[test]
fn a_training_panic_clears_training_already_running_and_the_next_train_works() {
    if !real_models_or_skip("training panic") {
        return;
    }
    let home = tempfile::tempdir().expect("home");
    let h = home.path();
    import_seed(h, 30, &[], false);
    // The first training of this process panics inside the training thread.
    let mut host = Host::chromium(h, &[("SWIPY_TEST_PANIC", "train")]);
    host.hello();
    let id = host.send("train", json!({}));
    let failed = answer_to(&mut host, id);
    match failed {
        Response::Error(e) => {
            assert_eq!(e.code, ErrorCode::Internal.code(), "{e:?}");
            assert!(e.message.contains("injected panic"), "{}", e.message);
        }
        other => panic!("a panicking training must answer an error: {other:?}"),
    }
    // Not "a training is already running": the second request trains a model.
    let id = host.send("train", json!({}));
    let trained = answer_to(&mut host, id);
    match trained {
        Response::Trained { model_version, .. } => assert_eq!(model_version, 1),
        other => panic!("the second training: {other:?}"),
    }
    let Response::Stats(s) = host.call("stats", json!({})) else {
        panic!("stats")
    };
    assert_eq!(s.model_version, Some(1));
    let (code, stderr, _) = host.close();
    assert_eq!(code, 0, "{stderr}");
    let log = log_file(h);
    assert!(
        log.contains("the training thread panicked: injected panic"),
        "the panic is in the log file:\n{log}"
    );
}

#[test]
fn a_panic_in_the_inference_thread_is_logged_and_the_host_keeps_serving() {
    let home = tempfile::tempdir().expect("home");
    let h = home.path();
    let mut host = Host::chromium(h, &[("SWIPY_TEST_PANIC", "score")]);
    host.hello();
    let ids = json!({"ids": [id(1), id(2)]});
    match host.call("scores", ids.clone()) {
        Response::Error(e) => {
            assert_eq!(e.code, ErrorCode::Internal.code(), "{e:?}");
            assert!(e.message.contains("`scores`"), "{}", e.message);
        }
        other => panic!("the panicking request gets an error answer: {other:?}"),
    }
    // The port and the inference thread both go on.
    let Response::Stats(_) = host.call("stats", json!({})) else {
        panic!("stats after the panic")
    };
    match host.call("scores", ids) {
        Response::Scores { scores } => {
            assert_eq!(scores.len(), 2);
            assert!(
                scores.iter().all(|s| s.state == ScoreState::Unknown),
                "{scores:?}"
            );
        }
        other => panic!("scores after the panic: {other:?}"),
    }
    let r = host.call(
        "label",
        json!({"profile_id": id(1), "verdict": "like", "source": "overlay", "at_ms": 1.0, "key": "after-panic"}),
    );
    assert!(matches!(r, Response::Ack { .. }), "{r:?}");
    let (code, stderr, _) = host.close();
    assert_eq!(code, 0, "{stderr}");
    assert!(
        log_file(h).contains("the inference thread panicked while handling `scores`"),
        "the panic is in the log file:\n{}",
        log_file(h)
    );
}

#[test]
fn a_panic_in_a_photo_download_is_logged_and_the_host_keeps_serving() {
    let cdn = Cdn::start(Arc::new(|p: &str, _| Reply::new(200, jpeg_for(p, 32, 40))));
    let home = tempfile::tempdir().expect("home");
    let h = home.path();
    let resolve = cdn.resolve_spec();
    let ca = cdn.ca_path();
    let mut host = Host::chromium(
        h,
        &[
            ("SWIPY_TEST_PANIC", "fetch"),
            ("SWIPY_TEST_RESOLVE", &resolve),
            ("SWIPY_TEST_CA", &ca),
        ],
    );
    host.hello();
    let photos = |p: &str| {
        (0..3)
            .map(|i| json!({"id": format!("{p}-{i}"), "url": format!("https://images-ssl.gotinder.com/{p}/{i}.jpg")}))
            .collect::<Vec<_>>()
    };
    let page = json!({"meta": {"status": 200}, "data": {"results": [
        {"type": "user", "user": {"_id": id(7), "name": "A", "photos": photos("a")}},
    ]}});
    let r = host.call("recs", json!({"body": page, "captured_at_ms": 1.0}));
    assert!(matches!(r, Response::Ingested { profiles: 1, .. }), "{r:?}");
    // The other downloads finish; the host answers meanwhile.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let Response::Stats(s) = host.call("stats", json!({})) else {
            panic!("stats")
        };
        if s.photos == 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "photos stored: {}",
            s.photos
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // The port closes: the host does not wait for a download that will never report.
    let started = std::time::Instant::now();
    let (code, stderr, _) = host.close();
    assert_eq!(code, 0, "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(8));
    let store = swipy_host::store::Store::open(h).expect("store");
    let errors: Vec<String> = (0..3)
        .filter_map(|i| store.photo_row(&id(7), i).expect("row"))
        .filter_map(|(_, _, _, e)| e)
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("panicked"), "{errors:?}");
    assert!(
        log_file(h).contains("injected panic at `fetch`"),
        "the panic is in the log file:\n{}",
        log_file(h)
    );
}

/// The browser closes the port (EOF) while the host loads its models in the background
/// (the warm-up after `hello`) or trains: the host ends with exit code 0 every time, never
/// with a signal. Loading or training threads still running are abandoned as a kill would
/// (the store and the model files are built for that), and nothing at exit tears the
/// runtime down under them (that crashed about one exit in forty).
#[test]
fn the_port_closing_while_models_load_or_a_training_runs_is_a_clean_exit() {
    use std::os::unix::process::ExitStatusExt;
    if !real_models_or_skip("exit while loading") {
        return;
    }
    let home = home_with_a_model(30, false);
    let h = home.path();
    // Close at points spread over the warm-up's load (about a second here) and beyond.
    for (i, delay_ms) in (0u64..30).map(|k| k * 40).enumerate() {
        let mut host = Host::chromium(h, &[]);
        host.hello();
        if i % 2 == 1 {
            // A training too: its thread loads its own copy of the encoders.
            host.send("train", json!({}));
        }
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let (status, stderr) = host.close_status();
        assert!(
            status.success(),
            "closed {delay_ms} ms after hello: {status:?} (signal {:?}); its log:\n{stderr}",
            status.signal(),
        );
    }
}
