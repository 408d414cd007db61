//! Image decoding and the encoders' preprocessing (letterbox, resize + crop, affine warp).

use image::RgbImage;

use crate::error::{Error, Result};

/// Largest accepted width or height (decompression-bomb guard).
pub const MAX_DIMENSION: u32 = 8192;
/// Largest accepted decoded size in bytes.
pub const MAX_ALLOC: u64 = 256 * 1024 * 1024;

/// Decodes JPEG, PNG or WebP bytes into RGB, refusing oversized images.
pub fn decode(bytes: &[u8]) -> Result<RgbImage> {
    let _t = crate::stats::time(crate::stats::Stage::Decode);
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::Image(format!("cannot read image: {e}")))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|e| Error::Image(format!("cannot decode image: {e}")))?;
    if img.width() == 0 || img.height() == 0 {
        return Err(Error::Image("image has no pixels".into()));
    }
    Ok(img.to_rgb8())
}

/// Triangle-filter ("bilinear" with antialiasing when shrinking, as Pillow's BILINEAR)
/// taps of a 1-D resize: per output index, the first input index and the weights.
fn taps(input: u32, output: u32) -> Vec<(usize, Vec<f32>)> {
    let scale = f64::from(input) / f64::from(output.max(1));
    let ss = scale.max(1.0);
    let support = ss;
    (0..output)
        .map(|i| {
            let center = (f64::from(i) + 0.5) * scale;
            let lo = (center - support + 0.5).floor().max(0.0) as usize;
            let hi = ((center + support + 0.5).floor() as usize)
                .min(input as usize)
                .max(lo + 1);
            let mut w: Vec<f64> = (lo..hi)
                .map(|j| (1.0 - ((j as f64 - center + 0.5) / ss).abs()).max(0.0))
                .collect();
            let sum: f64 = w.iter().sum();
            if sum > 0.0 {
                w.iter_mut().for_each(|v| *v /= sum);
            } else {
                w = vec![1.0; hi - lo];
                let n = w.len() as f64;
                w.iter_mut().for_each(|v| *v /= n);
            }
            (lo, w.into_iter().map(|v| v as f32).collect())
        })
        .collect()
}

/// Resizes RGB `img` to `ow`×`oh` with a separable triangle filter; returns HWC RGB f32
/// (0–255, not rounded).
pub fn resize_rgb_f32(img: &RgbImage, ow: u32, oh: u32) -> Vec<f32> {
    let (w, h) = img.dimensions();
    let (ow, oh) = (ow.max(1), oh.max(1));
    let tx = taps(w, ow);
    let ty = taps(h, oh);
    let raw = img.as_raw();
    let row_len = w as usize * 3;
    // Horizontal pass over the rows the vertical pass needs (all of them).
    let mut mid = vec![0f32; h as usize * ow as usize * 3];
    for y in 0..h as usize {
        let src = &raw[y * row_len..(y + 1) * row_len];
        let dst = &mut mid[y * ow as usize * 3..(y + 1) * ow as usize * 3];
        for (x, (lo, wts)) in tx.iter().enumerate() {
            let (mut r, mut g, mut b) = (0f32, 0f32, 0f32);
            for (k, wt) in wts.iter().enumerate() {
                let p = (lo + k) * 3;
                r += wt * f32::from(src[p]);
                g += wt * f32::from(src[p + 1]);
                b += wt * f32::from(src[p + 2]);
            }
            dst[x * 3] = r;
            dst[x * 3 + 1] = g;
            dst[x * 3 + 2] = b;
        }
    }
    let out_row = ow as usize * 3;
    let mut out = vec![0f32; oh as usize * out_row];
    for (y, (lo, wts)) in ty.iter().enumerate() {
        let dst = &mut out[y * out_row..(y + 1) * out_row];
        for (k, wt) in wts.iter().enumerate() {
            let src = &mid[(lo + k) * out_row..(lo + k + 1) * out_row];
            for (d, s) in dst.iter_mut().zip(src) {
                *d += wt * s;
            }
        }
    }
    out
}

/// YuNet input: letterboxed to `size`×`size` (top-left, black border), BGR, 0–255, CHW.
/// Returns the tensor data and the scale (model pixels per photo pixel).
pub fn letterbox_bgr_chw(img: &RgbImage, size: u32) -> (Vec<f32>, f32) {
    letterbox_bgr_chw_on(img, size, (size, size))
}

/// The canvas YuNet needs for `img` at `size`: the scaled photo's sides rounded up to
/// multiples of 32 (what the model's strides need), at most `size`. A 640×800 photo at 640
/// gets 512×640 instead of 640×640, with exactly the same pixels where the photo is: the
/// trimmed border is black (zero) either way, as the convolutions' padding is.
pub fn trimmed_canvas(img: &RgbImage, size: u32) -> (u32, u32) {
    let (w, h) = img.dimensions();
    let scale = size as f32 / w.max(h) as f32;
    let side = |v: u32| {
        let n = ((v as f32 * scale).round() as u32).clamp(1, size);
        n.div_ceil(32).saturating_mul(32).min(size)
    };
    (side(w), side(h))
}

/// [`letterbox_bgr_chw`] on a `canvas` (width, height) at least as large as the scaled
/// photo (scale = `size` / longest side).
pub fn letterbox_bgr_chw_on(img: &RgbImage, size: u32, canvas: (u32, u32)) -> (Vec<f32>, f32) {
    let (w, h) = img.dimensions();
    let (cw, ch) = canvas;
    let scale = size as f32 / w.max(h) as f32;
    let nw = ((w as f32 * scale).round() as u32).clamp(1, cw);
    let nh = ((h as f32 * scale).round() as u32).clamp(1, ch);
    let resized = resize_rgb_f32(img, nw, nh);
    let plane = (cw * ch) as usize;
    let mut out = vec![0f32; 3 * plane];
    for y in 0..nh as usize {
        let src = &resized[y * nw as usize * 3..(y + 1) * nw as usize * 3];
        let row = y * cw as usize;
        for (x, px) in src.chunks_exact(3).enumerate() {
            let i = row + x;
            out[i] = px[2];
            out[plane + i] = px[1];
            out[2 * plane + i] = px[0];
        }
    }
    (out, scale)
}

/// open-nsfw input for one photo: resize to 256×256, centre crop 224, BGR minus
/// `[104, 117, 123]`, HWC (append to `out`).
pub fn nsfw_hwc(img: &RgbImage, out: &mut Vec<f32>) {
    let start = out.len();
    out.resize(start + NSFW_LEN, 0.0);
    nsfw_hwc_into(img, &mut out[start..]);
}

/// Values of one open-nsfw input (224×224×3).
pub const NSFW_LEN: usize = 224 * 224 * 3;

/// [`nsfw_hwc`] written straight into its slot of a batch (`out` is [`NSFW_LEN`] long).
pub fn nsfw_hwc_into(img: &RgbImage, out: &mut [f32]) {
    let resized = resize_rgb_f32(img, 256, 256);
    for (y, dst) in (16..240usize).zip(out.chunks_exact_mut(224 * 3)) {
        let src = &resized[(y * 256 + 16) * 3..(y * 256 + 240) * 3];
        for (d, s) in dst.chunks_exact_mut(3).zip(src.chunks_exact(3)) {
            d[0] = s[2] - 104.0;
            d[1] = s[1] - 117.0;
            d[2] = s[0] - 123.0;
        }
    }
}

/// Warps `img` with the affine map `m` (photo → output pixel coordinates, 2×3 row-major)
/// into a `size`×`size` RGB CHW tensor (0–255), bilinear, black outside the photo.
pub fn warp_affine_rgb_chw(img: &RgbImage, m: &[f64; 6], size: u32) -> Vec<f32> {
    let plane = (size * size) as usize;
    let mut out = vec![0f32; 3 * plane];
    // Invert [a b c; d e f].
    let (a, b, c, d, e, f) = (m[0], m[1], m[2], m[3], m[4], m[5]);
    let det = a * e - b * d;
    if det.abs() < 1e-12 {
        return out;
    }
    let (ia, ib, id, ie) = (e / det, -b / det, -d / det, a / det);
    let (ic, if_) = (-(ia * c + ib * f), -(id * c + ie * f));
    let (w, h) = (img.width() as f64, img.height() as f64);
    for oy in 0..size {
        for ox in 0..size {
            let (fx, fy) = (f64::from(ox), f64::from(oy));
            let sx = ia * fx + ib * fy + ic;
            let sy = id * fx + ie * fy + if_;
            if sx < -1.0 || sy < -1.0 || sx > w || sy > h {
                continue;
            }
            let x0 = sx.floor();
            let y0 = sy.floor();
            let (tx, ty) = (sx - x0, sy - y0);
            let mut acc = [0f64; 3];
            for (dy, wy) in [(0.0, 1.0 - ty), (1.0, ty)] {
                for (dx, wx) in [(0.0, 1.0 - tx), (1.0, tx)] {
                    let (px, py) = (x0 + dx, y0 + dy);
                    if px < 0.0 || py < 0.0 || px >= w || py >= h {
                        continue;
                    }
                    let p = img.get_pixel(px as u32, py as u32);
                    let wgt = wx * wy;
                    for ch in 0..3 {
                        acc[ch] += wgt * f64::from(p[ch]);
                    }
                }
            }
            let i = (oy * size + ox) as usize;
            for ch in 0..3 {
                out[ch * plane + i] = acc[ch] as f32;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([
                (x * 255 / w) as u8,
                (y * 255 / h) as u8,
                ((x + y) % 256) as u8,
            ])
        })
    }

    #[test]
    fn resize_matches_the_image_crate_triangle_filter() {
        for (w, h, ow, oh) in [
            (640, 800, 512, 640),
            (300, 200, 256, 256),
            (50, 40, 120, 90),
        ] {
            let img = gradient(w, h);
            let ours = resize_rgb_f32(&img, ow, oh);
            let theirs =
                image::imageops::resize(&img, ow, oh, image::imageops::FilterType::Triangle);
            let mut worst = 0f32;
            for (a, b) in ours.iter().zip(theirs.as_raw()) {
                worst = worst.max((a - f32::from(*b)).abs());
            }
            // Rounding to u8 and edge handling differ slightly; content must not.
            assert!(
                worst <= 3.0,
                "{w}x{h} -> {ow}x{oh}: worst difference {worst}"
            );
        }
    }

    #[test]
    fn a_trimmed_canvas_holds_the_same_pixels_as_the_square_letterbox() {
        let img = gradient(640, 800);
        assert_eq!(trimmed_canvas(&img, 640), (512, 640));
        assert_eq!(trimmed_canvas(&gradient(700, 300), 640), (640, 288));
        let (square, s1) = letterbox_bgr_chw(&img, 640);
        let (trim, s2) = letterbox_bgr_chw_on(&img, 640, (512, 640));
        assert_eq!(s1, s2);
        for c in 0..3 {
            for y in 0..640 {
                let a = &square[c * 640 * 640 + y * 640..][..512];
                let b = &trim[c * 512 * 640 + y * 512..][..512];
                assert_eq!(a, b);
                assert!(square[c * 640 * 640 + y * 640 + 512..][..128]
                    .iter()
                    .all(|v| *v == 0.0));
            }
        }
    }

    #[test]
    fn constant_images_stay_constant_and_letterbox_pads_black() {
        let img = RgbImage::from_pixel(100, 50, image::Rgb([10, 20, 30]));
        let (t, scale) = letterbox_bgr_chw(&img, 64);
        assert!((scale - 0.64).abs() < 1e-6);
        let plane = 64 * 64;
        // Inside: BGR order; below the 64x32 content: black.
        assert!(
            (t[0] - 30.0).abs() < 1e-3
                && (t[plane] - 20.0).abs() < 1e-3
                && (t[2 * plane] - 10.0).abs() < 1e-3
        );
        assert_eq!(t[40 * 64 + 5], 0.0);
        let mut v = Vec::new();
        nsfw_hwc(&img, &mut v);
        assert_eq!(v.len(), 224 * 224 * 3);
        assert!((v[0] - (30.0 - 104.0)).abs() < 1e-3 && (v[2] - (10.0 - 123.0)).abs() < 1e-3);
    }
}
