//! Image decoding and the encoders' preprocessing (letterbox, resize + crop, affine warp).

use image::{imageops::FilterType, RgbImage};

use crate::error::{Error, Result};

/// Largest accepted width or height (decompression-bomb guard).
pub const MAX_DIMENSION: u32 = 8192;
/// Largest accepted decoded size in bytes.
pub const MAX_ALLOC: u64 = 256 * 1024 * 1024;

/// Decodes JPEG, PNG or WebP bytes into RGB, refusing oversized images.
pub fn decode(bytes: &[u8]) -> Result<RgbImage> {
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

/// YuNet input: letterboxed to `size`×`size` (top-left, black border), BGR, 0–255, CHW.
/// Returns the tensor data and the scale (model pixels per photo pixel).
pub fn letterbox_bgr_chw(img: &RgbImage, size: u32) -> (Vec<f32>, f32) {
    let (w, h) = img.dimensions();
    let scale = size as f32 / w.max(h) as f32;
    let nw = ((w as f32 * scale).round() as u32).clamp(1, size);
    let nh = ((h as f32 * scale).round() as u32).clamp(1, size);
    let resized = image::imageops::resize(img, nw, nh, FilterType::Triangle);
    let plane = (size * size) as usize;
    let mut out = vec![0f32; 3 * plane];
    for (x, y, p) in resized.enumerate_pixels() {
        let i = (y * size + x) as usize;
        out[i] = f32::from(p[2]);
        out[plane + i] = f32::from(p[1]);
        out[2 * plane + i] = f32::from(p[0]);
    }
    (out, scale)
}

/// open-nsfw input for one photo: resize to 256×256, centre crop 224, BGR minus
/// `[104, 117, 123]`, HWC (append to `out`).
pub fn nsfw_hwc(img: &RgbImage, out: &mut Vec<f32>) {
    let resized = image::imageops::resize(img, 256, 256, FilterType::Triangle);
    for y in 16..240 {
        for x in 16..240 {
            let p = resized.get_pixel(x, y);
            out.push(f32::from(p[2]) - 104.0);
            out.push(f32::from(p[1]) - 117.0);
            out.push(f32::from(p[0]) - 123.0);
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
