//! Tests of the auto-swipe settings and their checks.

use crate::logic::autoswipe::test_support::*;

#[test]
fn defaults_are_off_and_conservative() {
    let s = Settings::default();
    assert!(!s.enabled);
    assert!(!s.dry_run);
    assert!(s.likes_per_12h <= 60, "well below Tinder's ~100 free likes");
    assert!(s.min_pass_share >= 0.2);
    assert!(s.delay_min_ms >= 2_000.0);
    assert!(s.break_every > 0);
    s.validate().expect("defaults are valid");
    Settings::fast_test()
        .validate()
        .expect("fast test preset is valid");
    let parsed: Settings = serde_json::from_value(json!({})).expect("empty object");
    assert_eq!(parsed, s);
    let parsed: Settings =
        serde_json::from_value(json!({"threshold": 0.8, "dry_run": true})).expect("partial");
    assert_eq!(parsed.threshold, 0.8);
    assert!(parsed.dry_run);
    assert_eq!(parsed.likes_per_12h, s.likes_per_12h);
}

#[test]
fn bad_settings_are_refused_with_clear_errors() {
    let bad = Settings {
        threshold: 1.5,
        ..Settings::default()
    };
    let err = bad.validate().expect_err("threshold above 1");
    assert!(matches!(
        err,
        SettingsError::OutOfRange {
            field: "threshold",
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        "`threshold` is 1.5; it must be between 0 and 1"
    );

    let bad = Settings {
        delay_min_ms: 9_000.0,
        delay_max_ms: 1_000.0,
        ..Settings::default()
    };
    assert_eq!(
        bad.validate().expect_err("min above max").to_string(),
        "`delay_min_ms` must not be larger than `delay_max_ms`"
    );
    let bad = Settings {
        break_min_ms: f64::NAN,
        ..Settings::default()
    };
    assert_eq!(
        bad.validate().expect_err("nan"),
        SettingsError::NotANumber {
            field: "break_min_ms"
        }
    );
    let bad = Settings {
        swipes_per_24h: 0,
        ..Settings::default()
    };
    assert!(bad.validate().is_err());

    let mut a = machine(Settings::default());
    let bad = Settings {
        enabled: true,
        pass_window: 0,
        ..Settings::default()
    };
    assert!(a.set_settings(bad, T0).is_err());
    assert_eq!(
        a.settings(),
        &Settings::default(),
        "refused settings change nothing"
    );
}
