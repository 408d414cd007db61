//! Tests of the stop reasons and the clock times in their words.

use crate::logic::autoswipe::test_support::*;

#[test]
fn times_on_another_day_say_so() {
    // T0 is 12:00 UTC.
    assert_eq!(when(T0 + 30.0 * MIN, T0, 0), "12:30");
    assert_eq!(when(T0 + 13.0 * 60.0 * MIN, T0, 0), "01:00 tomorrow");
    assert_eq!(when(T0 + 49.0 * 60.0 * MIN, T0, 0), "13:00 in 2 days");
    // Local time decides the day: at UTC+13 noon UTC is already 01:00 the next day.
    assert_eq!(when(T0 + 11.0 * 60.0 * MIN, T0, 13 * 60), "12:00");
    assert_eq!(when(T0 + 11.0 * 60.0 * MIN, T0, -60), "22:00");
    assert_eq!(when(T0 + 12.0 * 60.0 * MIN, T0, -60), "23:00");
    assert_eq!(when(T0 + 13.0 * 60.0 * MIN, T0, -60), "00:00 tomorrow");
}

#[test]
fn stop_reasons_serialise_the_same_both_ways() {
    let reasons = [
        StopReason::SwitchedOff,
        StopReason::Match {
            name: Some("Anna".into()),
        },
        StopReason::OutOfLikes { until_ms: Some(T0) },
        StopReason::RateLimited { until_ms: None },
        StopReason::UnknownDialog {
            dialog: DialogKind::Upsell,
        },
        StopReason::Captcha,
        StopReason::PageError {
            verdict: Verdict::Like,
            name: None,
            status: 0,
        },
        StopReason::NotConfirmed {
            verdict: Verdict::Nope,
            name: None,
            after_ms: 5_000.0,
            clicked: true,
        },
    ];
    let kinds = [
        "switched_off",
        "match",
        "out_of_likes",
        "rate_limited",
        "unknown_dialog",
        "captcha",
        "page_error",
        "not_confirmed",
    ];
    for (r, kind) in reasons.iter().zip(kinds) {
        let v = serde_json::to_value(r).expect("serialises");
        assert_eq!(v["kind"], kind);
        assert_eq!(
            &serde_json::from_value::<StopReason>(v).expect("reads back"),
            r
        );
    }
    let v = serde_json::to_value(StopReason::UnknownDialog {
        dialog: DialogKind::OutOfLikes,
    })
    .expect("serialises");
    assert_eq!(
        v,
        json!({"kind": "unknown_dialog", "dialog": "out_of_likes"})
    );
}

#[test]
fn clock_is_local_and_rounds_up() {
    assert_eq!(clock(T0, 0), "12:00");
    assert_eq!(clock(T0 + 1.0, 0), "12:01");
    assert_eq!(clock(T0, 120), "14:00");
    assert_eq!(clock(T0, -13 * 60), "23:00");
}
