//! Golden tests against the prepared real models.

use swipy_models::text::cosine;
use swipy_models::*;

use super::common::*;

fn real_encoders() -> Option<Encoders> {
    if !runtime() {
        return None;
    }
    let dir = real_models()?;
    let enc = Encoders::load(&dir, Device::Cpu).expect("real encoders load");
    assert!(
        enc.has_text() && enc.has_faces() && enc.has_photo(),
        "{:?}",
        enc.info()
    );
    Some(enc)
}

#[test]
fn golden_english_and_german_translation_are_closer_than_unrelated_sentences() {
    let Some(enc) = real_encoders() else { return };
    assert_eq!(enc.info().text_dim, 384);
    let pairs = [
        (
            "I love hiking in the mountains with my dog.",
            "Ich liebe es, mit meinem Hund in den Bergen zu wandern.",
        ),
        (
            "Coffee first, then we can talk.",
            "Zuerst Kaffee, dann können wir reden.",
        ),
        (
            "Looking for someone to travel the world with.",
            "Suche jemanden, mit dem ich die Welt bereisen kann.",
        ),
    ];
    let unrelated = "The quarterly tax report must be filed before next Tuesday.";
    let mut texts: Vec<String> = Vec::new();
    for (en, de) in pairs {
        texts.push(en.into());
        texts.push(de.into());
    }
    texts.push(unrelated.into());
    let e = enc.embed_texts(&texts).expect("embed");
    let u = &e[6];
    for k in 0..3 {
        let (en, de) = (&e[2 * k], &e[2 * k + 1]);
        let same = cosine(en, de);
        assert!(
            same > cosine(en, u) && same > cosine(de, u),
            "pair {k}: translation {same}"
        );
        // Also closer than the other pairs' sentences.
        let other = &e[2 * ((k + 1) % 3) + 1];
        assert!(same > cosine(en, other), "pair {k}");
    }
    // Batch equals one by one.
    for (t, b) in texts.iter().zip(&e) {
        let one = enc.embed_texts(std::slice::from_ref(t)).expect("one");
        assert!(max_abs_diff(&one[0], b) < 1e-4, "batch vs one: {t}");
    }
    let empty = enc.embed_texts(&[String::new()]).expect("empty text");
    assert_eq!(empty[0].len(), 384);
}

fn best_face(enc: &Encoders, path: &std::path::Path) -> Vec<f32> {
    let bytes = std::fs::read(path).expect("fixture");
    let pe = enc.embed_photo(&bytes, &[]).expect("embed");
    assert!(!pe.faces.is_empty(), "no face found in {}", path.display());
    assert_eq!(pe.photo.as_ref().map(Vec::len), Some(1024));
    pe.faces[0].embedding.clone()
}

#[test]
fn golden_two_photos_of_one_person_are_closer_than_two_people() {
    let Some(enc) = real_encoders() else { return };
    let Some(fx) = fixtures() else { return };
    assert_eq!(enc.info().face_dim, 128);
    let people = ["P001", "P002", "P003", "P004"];
    let shots = ["studio_portrait.jpg", "amateur_selfie.jpg"];
    let emb: Vec<Vec<Vec<f32>>> = people
        .iter()
        .map(|p| {
            shots
                .iter()
                .map(|s| best_face(&enc, &fx.join(p).join(s)))
                .collect()
        })
        .collect();
    for (i, pi) in emb.iter().enumerate() {
        let same = cosine(&pi[0], &pi[1]);
        for (j, pj) in emb.iter().enumerate() {
            if i != j {
                let diff = cosine(&pi[0], &pj[1]);
                assert!(
                    same > diff,
                    "{}: same-person {same:.3} vs {} {diff:.3}",
                    people[i],
                    people[j]
                );
            }
        }
    }
}

#[test]
fn golden_photo_batch_equals_one_by_one() {
    let Some(enc) = real_encoders() else { return };
    let Some(fx) = fixtures() else { return };
    let files: Vec<Vec<u8>> = [
        "P001/studio_portrait.jpg",
        "P002/amateur_selfie.jpg",
        "P003/amateur_posture.jpg",
    ]
    .iter()
    .map(|f| std::fs::read(fx.join(f)).expect("fixture"))
    .collect();
    let refs: Vec<PhotoRef<'_>> = files
        .iter()
        .map(|b| PhotoRef {
            bytes: b,
            hints: &[],
        })
        .collect();
    let batch = enc.embed_photos(&refs);
    for (b, bytes) in batch.iter().zip(&files) {
        let b = b.as_ref().expect("batch item");
        let one = enc.embed_photo(bytes, &[]).expect("one");
        assert!(
            max_abs_diff(
                b.photo.as_ref().expect("photo"),
                one.photo.as_ref().expect("photo")
            ) < 1e-4
        );
        assert_eq!(b.faces.len(), one.faces.len());
        for (x, y) in b.faces.iter().zip(&one.faces) {
            assert!(max_abs_diff(&x.embedding, &y.embedding) < 1e-4);
        }
    }
}

#[test]
fn golden_dominant_face_of_a_profile_is_its_person() {
    let Some(enc) = real_encoders() else { return };
    let Some(fx) = fixtures() else { return };
    let photo = |p: &str, f: &str| {
        let path = fx.join(p).join(f);
        PhotoInput {
            sha256: format!("{p}/{f}"),
            source: PhotoSource::Path(path),
            face_hints: vec![],
        }
    };
    // A profile of P005 with one photo of someone else mixed in.
    let profile = ProfileInput {
        id: "p5".into(),
        text: "Ich liebe Berge.".into(),
        photos: vec![
            photo("P005", "studio_portrait.jpg"),
            photo("P006", "studio_portrait.jpg"),
            photo("P005", "amateur_selfie.jpg"),
            photo("P005", "amateur_posture.jpg"),
        ],
        age: Some(30.0),
        distance_km: Some(4.0),
        bio_len: 16,
        interests: 2,
    };
    let f = featurize(&enc, &MemoryCache::default(), &profile).expect("features");
    let face = f.face.expect("dominant face");
    let p5 = best_face(&enc, &fx.join("P005/character_sheet.jpg"));
    let p6 = best_face(&enc, &fx.join("P006/amateur_selfie.jpg"));
    assert!(
        cosine(&face, &p5) > cosine(&face, &p6),
        "dominant face should be P005"
    );
    assert_eq!(f.photo_mean.as_ref().map(Vec::len), Some(1024));
    assert_eq!(f.text.as_ref().map(Vec::len), Some(384));
}

#[test]
fn golden_bio_preference_is_learned_across_english_and_german() {
    let Some(enc) = real_encoders() else { return };
    // Planted taste: outdoorsy bios are liked, nightlife bios are not; bios in EN and DE.
    let liked_en = [
        "hiking in the mountains",
        "camping under the stars",
        "long walks with my dog",
        "climbing and trail running",
        "kayaking on quiet lakes",
        "gardening and fresh air",
        "cycling through forests",
        "skiing in the alps",
    ];
    let liked_de = [
        "Wandern in den Bergen",
        "Zelten unter den Sternen",
        "lange Spaziergänge mit meinem Hund",
        "Klettern und Trailrunning",
        "Kajakfahren auf stillen Seen",
        "Gärtnern und frische Luft",
        "Radfahren durch Wälder",
        "Skifahren in den Alpen",
    ];
    let nope_en = [
        "partying until sunrise",
        "clubbing every weekend",
        "cocktails in rooftop bars",
        "techno festivals",
        "casino nights",
        "shopping for designer bags",
        "late night karaoke bars",
        "vodka shots with friends",
    ];
    let nope_de = [
        "Feiern bis zum Sonnenaufgang",
        "jedes Wochenende in den Club",
        "Cocktails in Rooftop-Bars",
        "Techno-Festivals",
        "Casino-Abende",
        "Designertaschen shoppen",
        "Karaoke-Bars bis spät nachts",
        "Wodka-Shots mit Freunden",
    ];
    let bio = |act: &str, de: bool, k: usize| {
        if de {
            format!(
                "Ich liebe {act}. {}",
                [
                    "Schreib mir!",
                    "Mal sehen.",
                    "Auf ein Kennenlernen.",
                    "Bis bald."
                ][k % 4]
            )
        } else {
            format!(
                "I love {act}. {}",
                [
                    "Message me!",
                    "Let's see.",
                    "Happy to meet.",
                    "See you soon."
                ][k % 4]
            )
        }
    };
    // Train on activities 0..6 in both languages, score the unseen 6..8.
    let mut texts = Vec::new();
    let mut labels = Vec::new();
    for k in 0..6 {
        for (acts, like) in [
            (&liked_en, true),
            (&liked_de, true),
            (&nope_en, false),
            (&nope_de, false),
        ] {
            let de = acts[0].starts_with(char::is_uppercase);
            texts.push(bio(acts[k], de, k));
            labels.push(like);
        }
    }
    let emb = enc.embed_texts(&texts).expect("embed");
    let feat = |t: Vec<f32>| ProfileFeatures {
        text: Some(t),
        meta: ProfileFeatures::meta_vector(Some(30.0), None, 40, 0, false, false, true, 0),
        ..Default::default()
    };
    let data: Vec<(ProfileFeatures, bool)> = emb.into_iter().map(feat).zip(labels).collect();
    let model = train(
        &data,
        &TrainConfig {
            threads: 2,
            ..Default::default()
        },
        &mut |_: &str, _: u32, _: u32| {},
    )
    .expect("train");
    assert!(
        model.metrics.roc_auc > 0.8,
        "CV ROC-AUC {}",
        model.metrics.roc_auc
    );
    let scorer = Scorer::from_onnx(&model.onnx).expect("scorer");
    let unseen: Vec<String> = (6..8)
        .flat_map(|k| {
            [
                bio(liked_en[k], false, k),
                bio(liked_de[k], true, k),
                bio(nope_en[k], false, k),
                bio(nope_de[k], true, k),
            ]
        })
        .collect();
    let feats: Vec<ProfileFeatures> = enc
        .embed_texts(&unseen)
        .expect("embed")
        .into_iter()
        .map(feat)
        .collect();
    let scores = scorer.score(&feats, None).expect("score");
    for k in 0..2 {
        let s: Vec<f64> = scores[4 * k..4 * k + 4].iter().map(|(p, _)| *p).collect();
        for liked in &s[0..2] {
            for noped in &s[2..4] {
                assert!(
                    liked > noped,
                    "unseen liked bio {liked:.3} should outrank unseen nope bio {noped:.3}: {s:?}"
                );
            }
        }
    }
}

/// The fast pipeline (parallel decoding, batched SFace, trimmed YuNet canvases, the
/// encoders' thread pool) scores Tinder-shaped profiles exactly as the plain one (one
/// photo and one face at a time, 640×640 letterboxes): every p_like within 1e-3.
#[test]
fn golden_fast_pipeline_scores_equal_the_plain_pipeline() {
    if !runtime() {
        return;
    }
    let Some(dir) = real_models() else { return };
    let Some(fx) = fixtures() else { return };
    let load = |pipeline| {
        Encoders::load_with(
            &dir,
            EncoderOptions {
                pipeline,
                ..Default::default()
            },
        )
        .expect("encoders")
    };
    let (plain, fast) = (load(Pipeline::Plain), load(Pipeline::Fast));
    // Tinder-sized photos (640×800), JPEG and WebP, one with two people side by side.
    let tinder = |p: &str, f: &str| {
        let img = image::open(fx.join(p).join(f)).expect("fixture").to_rgb8();
        image::imageops::resize(&img, 640, 800, image::imageops::FilterType::Triangle)
    };
    let encode = |img: &image::RgbImage, fmt: image::ImageFormat| {
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(img.clone())
            .write_to(&mut std::io::Cursor::new(&mut out), fmt)
            .expect("encode");
        out
    };
    let kinds = ["studio_portrait.jpg", "amateur_selfie.jpg"];
    let bios = [
        "Ich liebe Berge.",
        "",
        "Café le matin, concerts le soir.",
        "Gym, sushi, sunsets.",
    ];
    let mut profiles = Vec::new();
    for (i, person) in [
        "P001", "P002", "P003", "P004", "P005", "P006", "P007", "P008", "P009", "P010",
    ]
    .iter()
    .enumerate()
    {
        let mut photos = Vec::new();
        for (j, kind) in kinds.iter().enumerate() {
            let mut img = tinder(person, kind);
            if i % 3 == 0 && j == 1 {
                // a second person pasted on the right half
                let other = tinder(if i == 0 { "P002" } else { "P001" }, kinds[0]);
                let strip = image::imageops::crop_imm(&other, 160, 0, 320, 800).to_image();
                image::imageops::replace(&mut img, &strip, 320, 0);
            }
            let fmt = if (i + j) % 2 == 0 {
                image::ImageFormat::Jpeg
            } else {
                image::ImageFormat::WebP
            };
            photos.push(PhotoInput {
                sha256: format!("{person}/{kind}"),
                source: PhotoSource::Bytes(encode(&img, fmt)),
                face_hints: vec![],
            });
        }
        let bio = bios[i % bios.len()];
        profiles.push(ProfileInput {
            id: (*person).into(),
            text: bio.into(),
            photos,
            age: Some(20.0 + i as f64),
            distance_km: None,
            bio_len: bio.chars().count(),
            interests: 0,
        });
    }
    let a: Vec<ProfileFeatures> = featurize_many(&plain, &NoCache, &profiles)
        .into_iter()
        .collect::<Result<_>>()
        .expect("plain features");
    let b: Vec<ProfileFeatures> = featurize_many(&fast, &NoCache, &profiles)
        .into_iter()
        .collect::<Result<_>>()
        .expect("fast features");
    let with_face = |f: &[ProfileFeatures]| f.iter().filter(|p| p.face.is_some()).count();
    assert_eq!(
        with_face(&a),
        with_face(&b),
        "the same profiles have a face"
    );
    // A head trained on the plain features scores both.
    let data: Vec<(ProfileFeatures, bool)> = a
        .iter()
        .enumerate()
        .map(|(i, f)| (f.clone(), i % 2 == 0))
        .collect();
    let model = train(&data, &TrainConfig::default(), &mut |_, _, _| {}).expect("train");
    let scorer = Scorer::from_onnx(&model.onnx).expect("scorer");
    let sa = scorer.score(&a, None).expect("plain scores");
    let sb = scorer.score(&b, None).expect("fast scores");
    for ((p, (x, _)), (y, _)) in profiles.iter().zip(&sa).zip(&sb) {
        assert!((x - y).abs() <= 1e-3, "{}: plain {x} vs fast {y}", p.id);
    }
    for (x, y) in a.iter().zip(&b) {
        let d = |u: &Option<Vec<f32>>, v: &Option<Vec<f32>>| match (u, v) {
            (Some(u), Some(v)) => max_abs_diff(u, v),
            (None, None) => 0.0,
            _ => f32::INFINITY,
        };
        assert!(d(&x.photo_mean, &y.photo_mean) < 1e-4);
        assert!(d(&x.face, &y.face) < 1e-3, "face {}", d(&x.face, &y.face));
        assert!(d(&x.text, &y.text) < 1e-4);
        assert_eq!(x.meta, y.meta);
    }
}
