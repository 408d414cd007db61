//! Tests on the tiny committed models: encoders plumbing, caching, the head through ONNX
//! Runtime.

use swipy_models::head::{HEAD_COLUMNS, META_LAYOUT};
use swipy_models::text::cosine;
use swipy_models::tiny;
use swipy_models::*;

use super::common::*;

fn tiny_encoders() -> Option<Encoders> {
    if !runtime() {
        return None;
    }
    Some(Encoders::load(&tiny_dir(), Device::Cpu).expect("tiny encoders load"))
}

#[test]
fn committed_tiny_models_are_current() {
    // Regenerate with SWIPY_REGEN_TINY=1.
    let dir = tiny_dir();
    if std::env::var_os("SWIPY_REGEN_TINY").is_some() {
        tiny::write_tiny_models(&dir).expect("write tiny models");
    }
    let tmp = std::env::temp_dir().join(format!("swipy-tiny-{}", std::process::id()));
    tiny::write_tiny_models(&tmp).expect("write tiny models");
    for f in [
        "e5-small/model.onnx",
        "e5-small/tokenizer.json",
        "yunet/model.onnx",
        "sface/model.onnx",
        "open-nsfw/model.onnx",
    ] {
        let a = std::fs::read(tmp.join(f)).expect("generated");
        let b = std::fs::read(dir.join(f)).unwrap_or_else(|e| {
            panic!("models/tiny/{f}: {e} (regenerate with SWIPY_REGEN_TINY=1)")
        });
        assert!(
            a == b,
            "models/tiny/{f} differs from the generator (regenerate with SWIPY_REGEN_TINY=1)"
        );
        assert!(b.len() < 200_000, "{f} should stay small");
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn runtime_info_names_version_and_cpu_provider() {
    if !runtime() {
        return;
    }
    let info = runtime_info().expect("initialised");
    assert!(info.version.starts_with("1."), "{info:?}");
    assert!(info.providers.iter().any(|p| p == "CPUExecutionProvider"));
}

#[test]
fn missing_models_leave_parts_out_instead_of_failing() {
    if !runtime() {
        return;
    }
    let empty = std::env::temp_dir().join(format!("swipy-nomodels-{}", std::process::id()));
    std::fs::create_dir_all(&empty).expect("dir");
    let enc = Encoders::load(&empty, Device::Cpu).expect("load with nothing");
    assert!(!enc.has_text() && !enc.has_faces() && !enc.has_photo());
    assert_eq!(enc.info().missing.len(), 4, "{:?}", enc.info());
    assert!(matches!(
        enc.embed_texts(&["hi".into()]),
        Err(Error::ModelMissing { .. })
    ));
    let pe = enc
        .embed_photo(&png_with_square(50, 50, 0, 0, 10), &[])
        .expect("photo without models");
    assert!(pe.photo.is_none() && pe.faces.is_empty());
    let _ = std::fs::remove_dir_all(&empty);
}

#[cfg(not(feature = "cuda"))]
#[test]
fn cuda_required_without_cuda_support_is_a_clear_error() {
    if !runtime() {
        return;
    }
    let err = Encoders::load(&tiny_dir(), Device::Cuda).expect_err("no CUDA in this build");
    assert!(matches!(err, Error::Provider { .. }), "{err}");
    // Auto falls back to CPU.
    let enc = Encoders::load(&tiny_dir(), Device::Auto).expect("auto");
    assert_eq!(enc.info().text.as_deref(), Some("CPUExecutionProvider"));
}

#[test]
fn text_embeddings_are_unit_length_batch_invariant_and_handle_empty_text() {
    let Some(enc) = tiny_encoders() else { return };
    assert_eq!(enc.info().text_dim, tiny::TINY_TEXT_DIM);
    let texts: Vec<String> = [
        "I love hiking and dogs",
        "",
        "ich liebe wandern und hunde",
        "coffee",
        "unknownword xyz music",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let batch = enc.embed_texts(&texts).expect("batch");
    for (t, b) in texts.iter().zip(&batch) {
        let one = enc.embed_texts(std::slice::from_ref(t)).expect("one");
        assert!(max_abs_diff(&one[0], b) < 1e-5, "batch vs one for {t:?}");
        let norm: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "norm {norm} for {t:?}");
    }
    // Padding must not change an embedding: the short text's vector in a batch with a long one
    // equals its vector alone (checked above); and different texts differ.
    assert!(max_abs_diff(&batch[0], &batch[3]) > 1e-2);
    // The tiny model's translation pairs share embeddings: EN/DE closer than unrelated.
    assert!(cosine(&batch[0], &batch[2]) > cosine(&batch[0], &batch[3]));
}

#[test]
fn photos_faces_found_on_a_bright_square_and_none_on_black() {
    let Some(enc) = tiny_encoders() else { return };
    assert_eq!(enc.info().photo_dim, tiny::TINY_PHOTO_DIM);
    assert_eq!(enc.info().face_dim, tiny::TINY_FACE_DIM);
    let square = png_with_square(400, 300, 200, 100, 64);
    let pe = enc.embed_photo(&square, &[]).expect("embed");
    assert_eq!((pe.width, pe.height), (400, 300));
    assert!(
        !pe.faces.is_empty(),
        "the tiny detector fires on bright regions"
    );
    for f in &pe.faces {
        let (cx, cy) = (f.bbox[0] + f.bbox[2] / 2.0, f.bbox[1] + f.bbox[3] / 2.0);
        assert!(
            (190.0..=274.0).contains(&cx) && (90.0..=174.0).contains(&cy),
            "face centre ({cx}, {cy}) off the square"
        );
        assert_eq!(f.embedding.len(), tiny::TINY_FACE_DIM);
    }
    let black = png_with_square(200, 200, 0, 0, 0);
    let pe = enc.embed_photo(&black, &[]).expect("embed");
    assert!(pe.faces.is_empty());
    assert_eq!(pe.photo.as_ref().map(Vec::len), Some(tiny::TINY_PHOTO_DIM));
}

#[test]
fn photo_batch_equals_one_by_one_and_a_bad_photo_fails_alone() {
    let Some(enc) = tiny_encoders() else { return };
    let a = png_with_square(320, 240, 10, 10, 80);
    let b = png_with_square(240, 320, 100, 150, 40);
    let garbage = b"not an image".to_vec();
    let refs = [
        PhotoRef {
            bytes: &a,
            hints: &[],
        },
        PhotoRef {
            bytes: &garbage,
            hints: &[],
        },
        PhotoRef {
            bytes: &b,
            hints: &[],
        },
    ];
    let batch = enc.embed_photos(&refs);
    assert!(matches!(batch[1], Err(Error::Image(_))));
    for (i, bytes) in [(0, &a), (2, &b)] {
        let one = enc.embed_photo(bytes, &[]).expect("one");
        let got = batch[i].as_ref().expect("batch item");
        assert!(
            max_abs_diff(
                got.photo.as_ref().expect("photo"),
                one.photo.as_ref().expect("photo")
            ) < 1e-5
        );
        assert_eq!(got.faces.len(), one.faces.len());
    }
}

#[test]
fn featurize_uses_the_cache_and_handles_empty_bios() {
    let Some(enc) = tiny_encoders() else { return };
    let photo = png_with_square(300, 300, 100, 100, 60);
    let input = |id: &str, text: &str| ProfileInput {
        id: id.into(),
        text: text.into(),
        photos: vec![PhotoInput {
            sha256: "p1".into(),
            source: PhotoSource::Bytes(photo.clone()),
            face_hints: vec![],
        }],
        age: Some(27.0),
        distance_km: None,
        bio_len: text.len(),
        interests: 0,
    };
    let cache = MemoryCache::default();
    let f1 = featurize(&enc, &cache, &input("a", "i love coffee")).expect("features");
    assert!(f1.text.is_some() && f1.photo_mean.is_some() && f1.face.is_some());
    // Second time from the cache only: the photo bytes are no longer needed.
    let mut again = input("a", "i love coffee");
    again.photos[0].source = PhotoSource::Path("/nonexistent/photo.jpg".into());
    let f2 = featurize(&enc, &cache, &again).expect("cached features");
    assert_eq!(f1, f2);
    let empty = featurize(&enc, &cache, &input("b", "   ")).expect("empty bio");
    assert!(empty.text.is_none());
    assert_eq!(empty.meta[swipy_models::features::META_HAS_TEXT], 0.0);
    // No photos at all.
    let mut none = input("c", "");
    none.photos.clear();
    let f = featurize(&enc, &NoCache, &none).expect("no photos");
    assert!(f.photo_mean.is_none() && f.face.is_none() && f.text.is_none());
}

#[test]
fn onnx_head_equals_the_in_rust_logistic_prediction() {
    if !runtime() {
        return;
    }
    let data = tiny::synthetic_profiles(150, 24, 32, 16, 5);
    let model = train(
        &data,
        &TrainConfig {
            threads: 2,
            ..Default::default()
        },
        &mut |_: &str, _: u32, _: u32| {},
    )
    .expect("train");
    let meta = swipy_models::onnx::read_metadata(&model.onnx).expect("metadata");
    assert!(meta.iter().any(|(k, _)| k == META_LAYOUT));
    assert!(meta
        .iter()
        .any(|(k, v)| k == "swipy.columns" && v == &HEAD_COLUMNS.join(",")));
    if let Some(out) = std::env::var_os("SWIPY_HEAD_OUT") {
        // For inspection, e.g. with onnx.checker.
        std::fs::write(out, &model.onnx).expect("write head");
    }
    let scorer = Scorer::from_onnx(&model.onnx).expect("scorer");
    let feats: Vec<ProfileFeatures> = data.iter().map(|(f, _)| f.clone()).collect();
    let raw = scorer.raw(&feats).expect("raw");
    for (f, r) in feats.iter().zip(&raw) {
        let want = model.predict(f).expect("predict");
        for c in 0..5 {
            assert!(
                (r[c] - want[c]).abs() < 1e-5,
                "column {c}: onnx {} vs rust {}",
                r[c],
                want[c]
            );
        }
    }
    let scored = scorer.score(&feats, None).expect("score");
    for ((p, parts), f) in scored.iter().zip(&feats) {
        assert_eq!(parts.text.is_some(), f.text.is_some());
        assert_eq!(parts.face.is_some(), f.face.is_some());
        assert!(parts.meta.is_some() && parts.photo.is_some());
        assert!((0.0..=1.0).contains(p));
    }
    // The prototype's weights: all text → p_like is the text part where there is text.
    let w = UserWeights {
        text_weight: 1.0,
        image_weight: 0.0,
    };
    for ((p, parts), _) in scorer
        .score(&feats, Some(&w))
        .expect("weighted")
        .iter()
        .zip(&feats)
    {
        if let Some(t) = parts.text {
            assert!((p - t).abs() < 1e-12);
        }
    }
    // A wrong feature size is an error, not a crash.
    let mut bad = feats[0].clone();
    bad.photo_mean = Some(vec![0.0; 3]);
    assert!(matches!(
        scorer.score(&[bad], None),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        Scorer::from_onnx(b"garbage"),
        Err(Error::InvalidModel(_))
    ));
    // A head trained without photos scores profiles that have photos (the part is ignored).
    let no_photos: Vec<(ProfileFeatures, bool)> = data
        .iter()
        .map(|(f, l)| {
            (
                ProfileFeatures {
                    photo_mean: None,
                    photo_max: None,
                    ..f.clone()
                },
                *l,
            )
        })
        .collect();
    let model = train(
        &no_photos,
        &TrainConfig {
            threads: 2,
            ..Default::default()
        },
        &mut |_: &str, _: u32, _: u32| {},
    )
    .expect("train");
    let scorer = Scorer::from_onnx(&model.onnx).expect("scorer");
    let with_photos = scorer
        .score(&feats[..3], None)
        .expect("score profiles with photos");
    assert!(with_photos.iter().all(|(_, parts)| parts.photo.is_none()));
}

#[test]
fn fast_and_plain_pipelines_give_the_same_embeddings() {
    if !runtime() {
        return;
    }
    let load = |pipeline| {
        Encoders::load_with(
            &tiny_dir(),
            EncoderOptions {
                pipeline,
                ..Default::default()
            },
        )
        .expect("tiny encoders")
    };
    let (plain, fast) = (load(Pipeline::Plain), load(Pipeline::Fast));
    let photos = [
        png_with_square(640, 800, 100, 120, 90),
        png_with_square(640, 800, 400, 500, 60),
        png_with_square(800, 640, 30, 30, 200),
        b"broken".to_vec(),
    ];
    let refs: Vec<PhotoRef<'_>> = photos
        .iter()
        .map(|b| PhotoRef {
            bytes: b,
            hints: &[],
        })
        .collect();
    let (a, b) = (plain.embed_photos(&refs), fast.embed_photos(&refs));
    assert_eq!(a.len(), 4);
    assert!(matches!(
        (&a[3], &b[3]),
        (Err(Error::Image(_)), Err(Error::Image(_)))
    ));
    for (x, y) in a.iter().zip(&b).take(3) {
        let (x, y) = (x.as_ref().expect("plain"), y.as_ref().expect("fast"));
        assert!(max_abs_diff(x.photo.as_ref().expect("p"), y.photo.as_ref().expect("p")) < 1e-5);
        assert_eq!(x.faces.len(), y.faces.len());
        for (f, g) in x.faces.iter().zip(&y.faces) {
            assert!(max_abs_diff(&f.embedding, &g.embedding) < 1e-4);
        }
    }
}

#[test]
fn the_photo_encoder_is_released_when_idle_and_reloaded_on_use() {
    if !runtime() {
        return;
    }
    let enc = Encoders::load_with(
        &tiny_dir(),
        EncoderOptions {
            photo_idle_release: Some(std::time::Duration::from_millis(40)),
            ..Default::default()
        },
    )
    .expect("tiny encoders");
    let photo = png_with_square(320, 400, 50, 50, 80);
    let first = enc.embed_photo(&photo, &[]).expect("embed");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while enc.photo_loaded() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(!enc.photo_loaded(), "released after being idle");
    // Loaded again on use (and released again when idle long enough).
    let again = enc.embed_photo(&photo, &[]).expect("embed after release");
    assert_eq!(first.photo, again.photo);
}
