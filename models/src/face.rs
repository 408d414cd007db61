//! Faces: YuNet decoding (anchors at strides 8/16/32, score threshold, NMS), alignment of
//! the 5 landmarks to the 112×112 ArcFace/SFace template (least-squares similarity), and
//! the face record returned to callers.

use serde::{Deserialize, Serialize};

/// YuNet input side.
pub const DETECT_SIZE: u32 = 640;
/// SFace input side.
pub const ALIGN_SIZE: u32 = 112;
/// Minimum detection score kept.
pub const SCORE_THRESHOLD: f32 = 0.6;
/// NMS IoU threshold.
pub const NMS_IOU: f32 = 0.3;
/// Most faces kept (detected and embedded) per photo.
pub const MAX_FACES: usize = 4;
/// Faces smaller than this fraction of the photo's largest face are background people
/// and are not embedded.
pub const MIN_FACE_AREA_RATIO: f32 = 0.2;
/// YuNet strides.
pub const STRIDES: [u32; 3] = [8, 16, 32];

/// The standard 5-point template (right eye, left eye, nose, right/left mouth corner) in
/// the 112×112 aligned crop.
pub const TEMPLATE: [[f64; 2]; 5] = [
    [38.2946, 51.6963],
    [73.5318, 51.5014],
    [56.0252, 71.7366],
    [41.5493, 92.3655],
    [70.7299, 92.2041],
];

/// A face box hint from the source (Tinder's `crop_info.faces`), as fractions (0–1) of
/// the photo's width and height.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FaceHint {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

/// A detected face in photo pixel coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// `[x, y, w, h]`.
    pub bbox: [f32; 4],
    pub score: f32,
    /// 5 landmarks `[x, y]` (see [`TEMPLATE`] for the order).
    pub landmarks: [[f32; 2]; 5],
}

/// A face found in a photo and its embedding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Face {
    /// L2-normalised SFace embedding (128-d for the real model).
    pub embedding: Vec<f32>,
    /// Detection score (0–1).
    pub score: f32,
    /// `[x, y, w, h]` in photo pixels.
    pub bbox: [f32; 4],
}

/// One stride's raw YuNet outputs (`cls`, `obj`: n values; `bbox`: 4n; `kps`: 10n).
pub struct StrideOutputs<'a> {
    pub stride: u32,
    pub cls: &'a [f32],
    pub obj: &'a [f32],
    pub bbox: &'a [f32],
    pub kps: &'a [f32],
}

/// Decodes YuNet outputs of a `size`×`size` input into detections in input pixels
/// (threshold + NMS applied), best first.
pub fn decode_yunet(strides: &[StrideOutputs<'_>], size: u32, threshold: f32) -> Vec<Detection> {
    decode_yunet_on(strides, (size, size), threshold)
}

/// [`decode_yunet`] for an input of `(width, height)` (multiples of 32).
pub fn decode_yunet_on(
    strides: &[StrideOutputs<'_>],
    (width, height): (u32, u32),
    threshold: f32,
) -> Vec<Detection> {
    let mut dets = Vec::new();
    for s in strides {
        let cols = (width / s.stride) as usize;
        let n = cols * (height / s.stride) as usize;
        if s.cls.len() < n || s.obj.len() < n || s.bbox.len() < 4 * n || s.kps.len() < 10 * n {
            continue;
        }
        let st = s.stride as f32;
        for i in 0..n {
            let score = (s.cls[i].clamp(0.0, 1.0) * s.obj[i].clamp(0.0, 1.0)).sqrt();
            if score.is_nan() || score < threshold {
                continue;
            }
            let (row, col) = ((i / cols) as f32, (i % cols) as f32);
            let b = &s.bbox[i * 4..i * 4 + 4];
            let cx = (col + b[0]) * st;
            let cy = (row + b[1]) * st;
            let w = b[2].min(10.0).exp() * st;
            let h = b[3].min(10.0).exp() * st;
            let k = &s.kps[i * 10..i * 10 + 10];
            let mut landmarks = [[0f32; 2]; 5];
            for (j, lm) in landmarks.iter_mut().enumerate() {
                *lm = [(k[2 * j] + col) * st, (k[2 * j + 1] + row) * st];
            }
            dets.push(Detection {
                bbox: [cx - w / 2.0, cy - h / 2.0, w, h],
                score,
                landmarks,
            });
        }
    }
    nms(dets, NMS_IOU)
}

/// Intersection over union of two `[x, y, w, h]` boxes.
pub fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let x1 = a[0].max(b[0]);
    let y1 = a[1].max(b[1]);
    let x2 = (a[0] + a[2]).min(b[0] + b[2]);
    let y2 = (a[1] + a[3]).min(b[1] + b[3]);
    let inter = (x2 - x1).max(0.0) * (y2 - y1).max(0.0);
    let union = a[2] * a[3] + b[2] * b[3] - inter;
    if union <= 0.0 {
        0.0
    } else {
        inter / union
    }
}

/// Greedy non-maximum suppression, highest score first.
pub fn nms(mut dets: Vec<Detection>, iou_threshold: f32) -> Vec<Detection> {
    dets.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut keep: Vec<Detection> = Vec::new();
    for d in dets {
        if keep.iter().all(|k| iou(&k.bbox, &d.bbox) <= iou_threshold) {
            keep.push(d);
        }
    }
    keep
}

/// Least-squares similarity transform (rotation, uniform scale, translation; Umeyama
/// without reflection) mapping `src` onto `dst`, as a 2×3 row-major matrix.
pub fn similarity_transform(src: &[[f64; 2]], dst: &[[f64; 2]]) -> [f64; 6] {
    let n = src.len().min(dst.len()).max(1) as f64;
    let (mut msx, mut msy, mut mdx, mut mdy) = (0.0, 0.0, 0.0, 0.0);
    for (s, d) in src.iter().zip(dst) {
        msx += s[0];
        msy += s[1];
        mdx += d[0];
        mdy += d[1];
    }
    msx /= n;
    msy /= n;
    mdx /= n;
    mdy /= n;
    let (mut num_a, mut num_b, mut den) = (0.0, 0.0, 0.0);
    for (s, d) in src.iter().zip(dst) {
        let (sx, sy) = (s[0] - msx, s[1] - msy);
        let (dx, dy) = (d[0] - mdx, d[1] - mdy);
        num_a += sx * dx + sy * dy;
        num_b += sx * dy - sy * dx;
        den += sx * sx + sy * sy;
    }
    if den <= 1e-12 {
        return [1.0, 0.0, mdx - msx, 0.0, 1.0, mdy - msy];
    }
    let a = num_a / den;
    let b = num_b / den;
    let tx = mdx - (a * msx - b * msy);
    let ty = mdy - (b * msx + a * msy);
    [a, -b, tx, b, a, ty]
}

/// The transform aligning a detection's landmarks to [`TEMPLATE`].
pub fn alignment_for(det: &Detection) -> [f64; 6] {
    let src: Vec<[f64; 2]> = det
        .landmarks
        .iter()
        .map(|p| [f64::from(p[0]), f64::from(p[1])])
        .collect();
    similarity_transform(&src, &TEMPLATE)
}

/// Scales a detection from model pixels back to photo pixels (divide by `scale`),
/// optionally offset by `(ox, oy)` photo pixels.
pub fn rescale(mut d: Detection, scale: f32, ox: f32, oy: f32) -> Detection {
    let s = if scale > 0.0 { scale } else { 1.0 };
    d.bbox = [
        d.bbox[0] / s + ox,
        d.bbox[1] / s + oy,
        d.bbox[2] / s,
        d.bbox[3] / s,
    ];
    for lm in &mut d.landmarks {
        *lm = [lm[0] / s + ox, lm[1] / s + oy];
    }
    d
}

#[cfg(test)]
mod tests;
