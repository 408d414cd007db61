//! Tinder data types and tolerant parsers for the web app's API payloads:
//! `/v2/recs/core`, `/like/{id}`, `/pass/{id}`, `/like/{id}/super`, `/v2/profile`,
//! `/v2/matches`. Parsing never panics; missing fields become `None`/empty; unknown
//! fields stay in `raw`.
//!
//! (Parsers: see the functions below. Fixtures: `shared/tests/fixtures/`.)

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One face box from `crop_info.faces[].algo`, as fractions 0..1 of the photo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaceBox {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

/// One photo of a profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Photo {
    /// Tinder's photo id (may be missing).
    pub id: Option<String>,
    /// The original `url`.
    pub url: String,
    /// The URL to fetch: the 640×800 `processedFiles` entry when present, else `url`.
    pub best_url: String,
    /// Face boxes from `crop_info.faces`.
    pub faces: Vec<FaceBox>,
}

/// A profile from recs (a `user` result), with the fields Swipy uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// `user._id`.
    pub id: String,
    pub name: String,
    /// Age in whole years at capture time; `None` when unknown or hidden.
    pub age: Option<u32>,
    /// `birth_date` as given (ISO 8601), if any.
    pub birth_date: Option<String>,
    /// Bio; empty string when missing.
    pub bio: String,
    /// Distance in km (`distance_mi` × 1.609344); `None` when hidden or missing.
    pub distance_km: Option<f64>,
    pub hide_age: bool,
    pub hide_distance: bool,
    /// Tinder's gender code, if present.
    pub gender: Option<i64>,
    pub photos: Vec<Photo>,
    /// Job titles / companies, as text.
    pub jobs: Vec<String>,
    pub schools: Vec<String>,
    pub city: Option<String>,
    /// `experiment_info.user_interests.selected_interests[].name`.
    pub interests: Vec<String>,
    /// `selected_descriptors`: "Name: choice, choice".
    pub descriptors: Vec<String>,
    /// `teasers[].string` / `teaser.string`.
    pub teasers: Vec<String>,
    /// `s_number` (used by the like/pass calls), if present.
    pub s_number: Option<f64>,
    /// The whole result object as received (unknown fields kept).
    pub raw: Value,
}
