use super::*;

#[test]
fn similarity_transform_recovers_a_known_transform() {
    // dst = s·R(θ)·src + t with s = 1.7, θ = 0.3, t = (5, -2).
    let (s, th, tx, ty) = (1.7f64, 0.3f64, 5.0, -2.0);
    let (a, b) = (s * th.cos(), s * th.sin());
    let src = [
        [10.0, 20.0],
        [40.0, 22.0],
        [25.0, 35.0],
        [14.0, 50.0],
        [38.0, 49.0],
    ];
    let dst: Vec<[f64; 2]> = src
        .iter()
        .map(|p| [a * p[0] - b * p[1] + tx, b * p[0] + a * p[1] + ty])
        .collect();
    let m = similarity_transform(&src, &dst);
    let want = [a, -b, tx, b, a, ty];
    for (got, want) in m.iter().zip(want) {
        assert!((got - want).abs() < 1e-9, "{m:?}");
    }
}

#[test]
fn aligning_the_template_to_itself_is_identity() {
    let m = similarity_transform(&TEMPLATE, &TEMPLATE);
    for (got, want) in m.iter().zip([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]) {
        assert!((got - want).abs() < 1e-9, "{m:?}");
    }
}

#[test]
fn yunet_decoding_places_boxes_and_landmarks_on_the_anchor_grid() {
    let size = 64u32; // strides 8/16/32 → 8×8, 4×4, 2×2 anchors
    type Raw = (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>);
    let mut outs: Vec<Raw> = Vec::new();
    for s in STRIDES {
        let n = ((size / s) * (size / s)) as usize;
        outs.push((
            vec![0.0; n],
            vec![0.0; n],
            vec![0.0; 4 * n],
            vec![0.0; 10 * n],
        ));
    }
    // One confident face at stride 8, row 2, col 3, offset (0.5, 0.5), size e^1·8.
    let i = 2 * 8 + 3;
    outs[0].0[i] = 0.9;
    outs[0].1[i] = 0.9;
    outs[0].2[i * 4..i * 4 + 4].copy_from_slice(&[0.5, 0.5, 1.0, 1.0]);
    outs[0].3[i * 10] = -0.5;
    // A weak one (score √(0.5·0.5) = 0.5) is dropped by the threshold.
    outs[1].0[0] = 0.5;
    outs[1].1[0] = 0.5;
    let strides: Vec<StrideOutputs<'_>> = STRIDES
        .iter()
        .zip(&outs)
        .map(|(&s, o)| StrideOutputs {
            stride: s,
            cls: &o.0,
            obj: &o.1,
            bbox: &o.2,
            kps: &o.3,
        })
        .collect();
    let dets = decode_yunet(&strides, size, SCORE_THRESHOLD);
    assert_eq!(dets.len(), 1, "{dets:?}");
    let d = &dets[0];
    assert!((d.score - 0.9).abs() < 1e-6);
    let w = 1f32.exp() * 8.0;
    let (cx, cy) = (3.5 * 8.0, 2.5 * 8.0);
    assert!(
        (d.bbox[0] - (cx - w / 2.0)).abs() < 1e-4 && (d.bbox[1] - (cy - w / 2.0)).abs() < 1e-4,
        "{:?}",
        d.bbox
    );
    assert!((d.bbox[2] - w).abs() < 1e-4);
    assert_eq!(d.landmarks[0], [(3.0 - 0.5) * 8.0, 2.0 * 8.0]);
}

#[test]
fn nms_keeps_the_best_of_overlapping_boxes() {
    let det = |x: f32, score: f32| Detection {
        bbox: [x, 0.0, 10.0, 10.0],
        score,
        landmarks: [[0.0; 2]; 5],
    };
    let kept = nms(vec![det(0.0, 0.7), det(1.0, 0.9), det(50.0, 0.8)], 0.3);
    let scores: Vec<f32> = kept.iter().map(|d| d.score).collect();
    assert_eq!(scores, vec![0.9, 0.8]);
    assert!((iou(&[0.0, 0.0, 10.0, 10.0], &[5.0, 0.0, 10.0, 10.0]) - 50.0 / 150.0).abs() < 1e-6);
}

#[test]
fn rescale_maps_model_pixels_back_to_the_photo() {
    let d = Detection {
        bbox: [64.0, 32.0, 16.0, 16.0],
        score: 1.0,
        landmarks: [[64.0, 32.0]; 5],
    };
    let r = rescale(d, 0.5, 10.0, 0.0);
    assert_eq!(r.bbox, [138.0, 64.0, 32.0, 32.0]);
    assert_eq!(r.landmarks[0], [138.0, 64.0]);
}
