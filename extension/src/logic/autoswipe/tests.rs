//! Tests of the machine's inputs read from the page (like answers, scores).

use super::test_support::*;

#[test]
fn like_responses_and_scores_are_read() {
    // The page's answer is read with the one Tinder parser (`likes_remaining` as a string,
    // wrapped in `data`).
    let body = json!({"meta": {"status": 200}, "data": {"match": false, "likes_remaining": "0"}});
    let Event::PageSwiped {
        response: Some(r),
        status,
        ..
    } = Event::page_swiped("a", Verdict::Like, Some(200), Some(&body))
    else {
        panic!("a page swipe with an answer");
    };
    assert_eq!(status, Some(200));
    assert_eq!(r.likes_remaining, Some(0));
    assert!(!r.matched);
    assert_eq!(
        Event::page_swiped("a", Verdict::Nope, None, Some(&json!(null))),
        Event::PageSwiped {
            profile_id: "a".into(),
            verdict: Verdict::Nope,
            status: None,
            response: None
        }
    );

    // From the wire names, as the host sends them.
    let score = |state: &str, p: Option<f64>| Score {
        id: "a".into(),
        p_like: p,
        parts: Default::default(),
        model_version: Some(1),
        state: serde_json::from_value(serde_json::json!(state)).expect("a score state"),
    };
    assert_eq!(
        CardScore::from_score(&score("ready", Some(0.7))),
        CardScore::Known(0.7)
    );
    assert_eq!(
        CardScore::from_score(&score("ready", None)),
        CardScore::Pending
    );
    assert_eq!(
        CardScore::from_score(&score("pending", Some(0.7))),
        CardScore::Pending
    );
    assert_eq!(
        CardScore::from_score(&score("no_model", None)),
        CardScore::NoModel
    );
    assert_eq!(
        CardScore::from_score(&score("ready", Some(f64::NAN))),
        CardScore::Pending
    );
}
