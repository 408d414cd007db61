use super::*;
use crate::tiny::synthetic_profiles;

fn no_progress() -> impl FnMut(&str, u32, u32) {
    |_: &str, _: u32, _: u32| {}
}

#[test]
fn auc_of_perfect_random_and_inverted_rankings() {
    let y = [0.0, 0.0, 1.0, 1.0];
    assert_eq!(roc_auc(&[0.1, 0.2, 0.8, 0.9], &y), 1.0);
    assert_eq!(roc_auc(&[0.9, 0.8, 0.2, 0.1], &y), 0.0);
    assert_eq!(roc_auc(&[0.5, 0.5, 0.5, 0.5], &y), 0.5);
    let pts = roc_points(&[0.1, 0.2, 0.8, 0.9], &y);
    assert_eq!(pts.first(), Some(&[0.0, 0.0]));
    assert_eq!(pts.last(), Some(&[1.0, 1.0]));
}

#[test]
fn planted_preference_gives_high_cv_auc_and_is_deterministic() {
    let data = synthetic_profiles(300, 64, 16, 32, 7);
    let cfg = TrainConfig {
        threads: 2,
        ..Default::default()
    };
    let m1 = train(&data, &cfg, &mut no_progress()).expect("train");
    assert!(
        m1.metrics.roc_auc > 0.85,
        "CV ROC-AUC {} should be well above chance",
        m1.metrics.roc_auc
    );
    assert!(
        m1.metrics.accuracy > 0.7,
        "accuracy {}",
        m1.metrics.accuracy
    );
    assert_eq!(m1.metrics.n_like + m1.metrics.n_nope, 300);
    assert!(
        m1.metrics.log_loss < 0.6,
        "log-loss {}",
        m1.metrics.log_loss
    );
    let m2 = train(&data, &cfg, &mut no_progress()).expect("train again");
    assert_eq!(m1.metrics, m2.metrics, "same seed, same metrics");
    assert_eq!(m1.onnx, m2.onnx, "same seed, same model bytes");
    // The text part carries the planted preference; meta carries none.
    let text = m1
        .parts
        .iter()
        .find(|p| p.part == "text")
        .expect("text part");
    let meta = m1
        .parts
        .iter()
        .find(|p| p.part == "meta")
        .expect("meta part");
    assert!(
        text.trained && text.roc_auc > 0.85,
        "text part AUC {}",
        text.roc_auc
    );
    assert!(
        meta.roc_auc < 0.7,
        "meta part AUC {} (no signal planted)",
        meta.roc_auc
    );
}

#[test]
fn different_seed_changes_folds_not_quality() {
    let data = synthetic_profiles(200, 32, 16, 32, 3);
    let a = train(
        &data,
        &TrainConfig {
            seed: 1,
            threads: 1,
            ..Default::default()
        },
        &mut no_progress(),
    )
    .expect("train");
    let b = train(
        &data,
        &TrainConfig {
            seed: 2,
            threads: 1,
            ..Default::default()
        },
        &mut no_progress(),
    )
    .expect("train");
    assert!(a.metrics.roc_auc > 0.8 && b.metrics.roc_auc > 0.8);
}

#[test]
fn too_few_labels_or_one_class_is_a_typed_error() {
    let data = synthetic_profiles(8, 8, 8, 8, 1);
    let err = train(&data, &TrainConfig::default(), &mut no_progress()).expect_err("too few");
    assert!(matches!(err, Error::NotEnoughLabels { .. }), "{err}");
    assert!(err.to_string().contains("need at least 10"), "{err}");
    assert_eq!(
        err.code(),
        swipy_shared::protocol::ErrorCode::NotEnoughLabels
    );
    let one_class: Vec<_> = synthetic_profiles(50, 8, 8, 8, 1)
        .into_iter()
        .map(|(f, _)| (f, true))
        .collect();
    let err =
        train(&one_class, &TrainConfig::default(), &mut no_progress()).expect_err("one class");
    assert!(
        matches!(
            err,
            Error::NotEnoughLabels {
                likes: 50,
                nopes: 0,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn dual_and_primal_fits_agree() {
    // More features than rows: the dual path; compare with the primal iterates.
    let n = 40;
    let d = 60;
    let mut rng = Rng::new(5);
    let z: Vec<f32> = (0..n * d).map(|_| rng.normal() as f32).collect();
    let y: Vec<f64> = (0..n)
        .map(|i| {
            if z[i * d] + z[i * d + 1] > 0.0 {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    let c = vec![1.0; n];
    let train_rows: Vec<usize> = (0..30).collect();
    let held: Vec<usize> = (30..n).collect();
    let primal = Design::Primal {
        z: &z,
        d,
        cols: 0..d,
    };
    let k = gram(&z, n, d, &(0..d), 2);
    let dual = Design::Dual { k: &k, n };
    let fp = fit(&primal, &train_rows, &y, &c, 0.05, 100, None);
    let fd = fit(&dual, &train_rows, &y, &c, 0.05, 100, None);
    let pp = predict_rows(&primal, &fp, &train_rows, &held);
    let pd = predict_rows(&dual, &fd, &train_rows, &held);
    for (a, b) in pp.iter().zip(&pd) {
        assert!(
            (a - b).abs() < 1e-3 * (1.0 + a.abs()),
            "primal {a} vs dual {b}"
        );
    }
    let wd = weights_of(&dual, &z, d, &(0..d), &fd, &train_rows);
    for (a, b) in fp.theta.iter().zip(&wd) {
        assert!((f64::from(*a) - b).abs() < 1e-3, "weights {a} vs {b}");
    }
}

#[test]
fn in_rust_prediction_matches_oof_direction_and_handles_missing_parts() {
    let data = synthetic_profiles(120, 16, 8, 16, 11);
    let m = train(
        &data,
        &TrainConfig {
            threads: 1,
            ..Default::default()
        },
        &mut no_progress(),
    )
    .expect("train");
    // A profile with no text, no face and no photo still gets a probability.
    let mut bare = data[0].0.clone();
    bare.text = None;
    bare.face = None;
    bare.photo_mean = None;
    bare.photo_max = None;
    let p = m.predict(&bare).expect("predict");
    assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
    // Training-set likes score higher on average than nopes.
    let (mut sl, mut nl, mut sn, mut nn) = (0.0, 0, 0.0, 0);
    for (f, like) in &data {
        let p = m.predict(f).expect("predict")[0];
        if *like {
            sl += p;
            nl += 1;
        } else {
            sn += p;
            nn += 1;
        }
    }
    assert!(sl / f64::from(nl) > sn / f64::from(nn) + 0.2);
    // Wrong feature sizes are an error, not a panic.
    let mut bad = data[0].0.clone();
    bad.text = Some(vec![0.0; 3]);
    assert!(matches!(m.predict(&bad), Err(Error::InvalidInput(_))));
}

#[test]
fn training_1000_profiles_of_real_sizes_is_fast() {
    // Real embedding sizes: photo 1024 (mean + max), face 128, text 384 — more features
    // than rows, so the dual path runs. The < 2 s target holds for optimised builds
    // (`cargo test --release`, and the benchmark); unoptimised builds only check quality
    // on fewer rows.
    let n = if cfg!(debug_assertions) { 250 } else { 1000 };
    let data = synthetic_profiles(n, 1024, 128, 384, 9);
    let t = std::time::Instant::now();
    let m = train(&data, &TrainConfig::default(), &mut no_progress()).expect("train");
    let secs = t.elapsed().as_secs_f64();
    assert!(m.metrics.roc_auc > 0.8, "auc {}", m.metrics.roc_auc);
    eprintln!("training {n} profiles: {secs:.2} s");
    if !cfg!(debug_assertions) {
        assert!(secs < 2.0, "training 1000 profiles took {secs:.2} s");
    }
}

#[test]
fn progress_reports_every_stage_and_completes() {
    let data = synthetic_profiles(60, 8, 8, 8, 2);
    let mut seen: Vec<(String, u32, u32)> = Vec::new();
    train(
        &data,
        &TrainConfig {
            threads: 1,
            ..Default::default()
        },
        &mut |s: &str, d: u32, t: u32| seen.push((s.to_string(), d, t)),
    )
    .expect("train");
    let last = |stage: &str| {
        seen.iter()
            .rev()
            .find(|(s, _, _)| s == stage)
            .cloned()
            .expect(stage)
    };
    for stage in ["prepare", "cv", "export"] {
        let (_, d, t) = last(stage);
        assert!(t > 0 && d == t, "{stage} ends at {d}/{t}");
    }
    let cv: Vec<u32> = seen
        .iter()
        .filter(|(s, _, _)| s == "cv")
        .map(|(_, d, _)| *d)
        .collect();
    assert!(
        cv.windows(2).all(|w| w[0] <= w[1]),
        "cv progress goes forward: {cv:?}"
    );
}
