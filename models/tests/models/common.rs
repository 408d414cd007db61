use std::path::{Path, PathBuf};

pub fn ci() -> bool {
    std::env::var("CI")
        .map(|v| v == "true" || v == "1")
        .unwrap_or(false)
}

/// Fails under CI, else prints a skip message; returns false when the test should stop.
pub fn require(what: &str, why: impl std::fmt::Display) -> bool {
    if ci() {
        panic!("{what} is required under CI=true: {why}");
    }
    eprintln!("SKIPPED: {what} unavailable: {why}");
    false
}

/// Loads ONNX Runtime; false (skip) when it is missing outside CI.
pub fn runtime() -> bool {
    match swipy_models::init_runtime(None) {
        Ok(_) => true,
        Err(e) => require("ONNX Runtime library", e),
    }
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The committed tiny models.
pub fn tiny_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tiny")
}

/// The prepared real models, or `None` (skip) outside CI.
pub fn real_models() -> Option<PathBuf> {
    let dir = std::env::var_os("SWIPY_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/models"));
    let needed = [
        "e5-small/model.onnx",
        "e5-small/tokenizer.json",
        "yunet/model.onnx",
        "sface/model.onnx",
        "open-nsfw/model.onnx",
    ];
    match needed.iter().find(|f| !dir.join(f).is_file()) {
        None => Some(dir),
        Some(f) => {
            require(
                "prepared models (cargo xtask models)",
                format!("{} missing", dir.join(f).display()),
            );
            None
        }
    }
}

/// The openpeople fixture photos.
pub fn fixtures() -> Option<PathBuf> {
    let dir = workspace_root().join("target/fixtures/openpeople");
    if dir.join("P001").is_dir() {
        Some(dir)
    } else {
        require(
            "openpeople fixtures (cargo xtask models)",
            format!("{} missing", dir.display()),
        );
        None
    }
}

/// A PNG of a black `w`×`h` photo with a white square at (`x`, `y`) of side `s`.
pub fn png_with_square(w: u32, h: u32, x: u32, y: u32, s: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |px, py| {
        if px >= x && px < x + s && py >= y && py < y + s {
            image::Rgb([255, 255, 255])
        } else {
            image::Rgb([0, 0, 0])
        }
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("encode png");
    out
}

pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}
