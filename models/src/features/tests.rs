use super::*;

fn face(v: &[f32], score: f32) -> Face {
    Face {
        embedding: l2_normalize(v.to_vec()),
        score,
        bbox: [0.0, 0.0, 10.0, 10.0],
    }
}

#[test]
fn dominant_face_is_the_one_that_recurs_across_photos() {
    let a = [1.0, 0.0, 0.0];
    let a2 = [0.95, 0.1, 0.0];
    let b = [0.0, 1.0, 0.0];
    let c = [0.0, 0.0, 1.0];
    // Photo 1: group photo with b (bigger score) and a; photos 2 and 3: a alone; photo 4: c.
    let photos = vec![
        vec![face(&b, 0.99), face(&a, 0.8)],
        vec![face(&a2, 0.9)],
        vec![face(&a, 0.7)],
        vec![face(&c, 0.95)],
    ];
    let d = dominant_face(&photos).expect("a face");
    assert!(cosine(&d, &a) > 0.95, "{d:?}");
    assert!(dominant_face(&[vec![], vec![]]).is_none());
    // One photo: its best face.
    let d = dominant_face(&[vec![face(&c, 0.9), face(&b, 0.6)]]).expect("face");
    assert!(cosine(&d, &c) > 0.99);
}

#[test]
fn faces_pack_and_unpack() {
    let faces = vec![face(&[1.0, 2.0, 3.0], 0.9), face(&[0.0, 1.0, 0.0], 0.7)];
    assert_eq!(unpack_faces(&pack_faces(&faces)), Some(faces));
    assert_eq!(unpack_faces(&pack_faces(&[])), Some(vec![]));
    assert_eq!(unpack_faces(&[2.0, 0.5]), None);
    // Damaged cache rows: a giant, negative, fractional or NaN count, a giant dimension.
    for bad in [
        vec![1e30],
        vec![-1.0],
        vec![0.5],
        vec![f32::NAN],
        vec![1.0, 0.9, 0.0, 0.0, 1.0, 1.0, 1e30],
        vec![1.0, 0.9, 0.0, 0.0, 1.0, 1.0, f32::INFINITY, 0.0],
    ] {
        assert_eq!(unpack_faces(&bad), None, "{bad:?}");
    }
}

#[test]
fn pooling_and_meta() {
    let (mean, max) = pool(&[vec![1.0, -1.0], vec![3.0, -3.0]]).expect("pool");
    assert_eq!(mean, vec![2.0, -2.0]);
    assert_eq!(max, vec![3.0, -1.0]);
    assert!(pool(&[]).is_none());
    let m = ProfileFeatures::meta_vector(None, Some(f64::NAN), 0, 0, false, false, false, 0);
    assert_eq!(m.len(), META_DIM);
    assert!(m.iter().all(|v| v.is_finite()));
    assert_eq!((m[0], m[1], m[3]), (0.0, 0.0, 0.0));
    let m = ProfileFeatures::meta_vector(Some(29.0), Some(3.0), 100, 4, true, true, true, 2);
    assert_eq!(
        (
            m[0],
            m[1],
            m[5],
            m[META_HAS_PHOTO],
            m[META_HAS_FACE],
            m[META_HAS_TEXT]
        ),
        (29.0, 1.0, 4.0, 1.0, 1.0, 1.0)
    );
    assert_ne!(text_key("hallo"), text_key("hallo "));
}

#[test]
fn tinder_profiles_become_model_inputs() {
    let p = swipy_shared::tinder::Profile {
        id: "abc".into(),
        bio: "  Hiking & coffee ".into(),
        age: Some(29),
        hide_distance: true,
        distance_km: Some(5.0),
        jobs: vec!["Nurse".into()],
        interests: vec!["Travel".into(), " ".into(), "Yoga".into()],
        photos: vec![swipy_shared::tinder::Photo {
            id: None,
            url: "u".into(),
            best_url: "u".into(),
            faces: vec![swipy_shared::tinder::FaceBox {
                x: 0.1,
                y: 0.2,
                w: 0.3,
                h: 0.4,
            }],
        }],
        ..Default::default()
    };
    let input = ProfileInput::from_tinder(
        &p,
        vec![(0, "sha".to_string(), PhotoSource::Bytes(vec![1]))],
    );
    assert_eq!(input.text, "Hiking & coffee\nNurse\nTravel, Yoga");
    assert_eq!(
        (input.age, input.distance_km, input.bio_len, input.interests),
        (Some(29.0), None, 15, 3)
    );
    assert_eq!(
        input.photos[0].face_hints,
        vec![FaceHint {
            x: 0.1,
            y: 0.2,
            w: 0.3,
            h: 0.4
        }]
    );
    let empty = swipy_shared::tinder::Profile::default();
    assert_eq!(profile_text(&empty), "");
}
