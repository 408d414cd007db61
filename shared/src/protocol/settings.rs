//! The names of the settings the host reads, with their types and ranges.

use serde_json::Value;

/// A host setting the host itself reads (`settings_get`/`settings_set` keep other names too,
/// for the extension's own use). The wire name is [`HostSetting::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HostSetting {
    /// Where the encoders run: `cpu`, `cuda` (or `gpu`), `auto`.
    Device,
    /// The prototype's text weight (0..=10).
    TextWeight,
    /// The prototype's image weight (0..=10).
    ImageWeight,
    /// Auto-swipe's like threshold (0..=1), shared with the dashboard.
    Threshold,
    /// Retrain after this many new labels (0: never).
    RetrainEvery,
    /// Count a like that became a match more when training.
    TrainOnMatches,
}

impl HostSetting {
    pub const ALL: [HostSetting; 6] = [
        HostSetting::Device,
        HostSetting::TextWeight,
        HostSetting::ImageWeight,
        HostSetting::Threshold,
        HostSetting::RetrainEvery,
        HostSetting::TrainOnMatches,
    ];

    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            HostSetting::Device => "device",
            HostSetting::TextWeight => "text_weight",
            HostSetting::ImageWeight => "image_weight",
            HostSetting::Threshold => "threshold",
            HostSetting::RetrainEvery => "retrain_every",
            HostSetting::TrainOnMatches => "train_on_matches",
        }
    }

    /// The setting of a wire name, if the host reads it.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// What a value of this setting must be, in words.
    pub fn want(self) -> &'static str {
        match self {
            HostSetting::Device => "one of \"cpu\", \"cuda\" (or \"gpu\"), \"auto\"",
            HostSetting::TextWeight | HostSetting::ImageWeight => "a number from 0 to 10",
            HostSetting::Threshold => "a number from 0 to 1",
            HostSetting::RetrainEvery => "a whole number from 0 to 1000000",
            HostSetting::TrainOnMatches => "true or false",
        }
    }

    /// Whether `v` has this setting's type and range (`null` clears any setting). For
    /// `device` only that it is a string: the host knows the device names.
    pub fn accepts(self, v: &Value) -> bool {
        let num_in = |lo: f64, hi: f64| v.as_f64().is_some_and(|x| (lo..=hi).contains(&x));
        v.is_null()
            || match self {
                HostSetting::Device => v.is_string(),
                HostSetting::TextWeight | HostSetting::ImageWeight => num_in(0.0, 10.0),
                HostSetting::Threshold => num_in(0.0, 1.0),
                HostSetting::RetrainEvery => v.as_u64().is_some_and(|n| n <= 1_000_000),
                HostSetting::TrainOnMatches => v.is_boolean(),
            }
    }
}
