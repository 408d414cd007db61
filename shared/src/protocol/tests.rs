use super::*;
use serde_json::json;

fn enc(v: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&v).expect("json")
}

#[test]
fn hello_round_trip_matches_documented_shape() {
    let env = decode_request(br#"{"v":1,"id":1,"type":"hello","data":{"protocol":1}}"#)
        .expect("hello decodes");
    assert_eq!(env.id, 1);
    assert_eq!(
        env.body,
        Request::Hello {
            protocol: 1,
            client: None
        }
    );
    let reply = Envelope::reply(
        1,
        1,
        Response::Hello {
            protocol: 1,
            host_version: "0.0.0".into(),
            model_version: None,
        },
    );
    let v = serde_json::to_value(&reply).expect("json");
    assert_eq!(v["re"], 1);
    assert_eq!(v["type"], "hello");
    assert_eq!(v["data"]["protocol"], 1);
    let back = decode_response(&serde_json::to_vec(&reply).expect("json")).expect("decode");
    assert_eq!(back, reply);
}

#[test]
fn every_failure_has_its_own_code() {
    let cases: Vec<(Vec<u8>, ErrorCode)> = vec![
        (vec![0xff, 0xfe], ErrorCode::InvalidUtf8),
        (b"{not json".to_vec(), ErrorCode::BadJson),
        (b"[1,2]".to_vec(), ErrorCode::BadEnvelope),
        (
            enc(json!({"v":1,"type":"stats","data":{}})),
            ErrorCode::BadEnvelope,
        ),
        (
            enc(json!({"id":3,"type":"stats","data":{}})),
            ErrorCode::BadEnvelope,
        ),
        (
            enc(json!({"v":2,"id":3,"type":"stats","data":{}})),
            ErrorCode::VersionMismatch,
        ),
        (
            enc(json!({"v":1,"id":3,"type":"hello","data":{"protocol":9}})),
            ErrorCode::VersionMismatch,
        ),
        (
            enc(json!({"v":1,"id":3,"type":"launch_rockets","data":{}})),
            ErrorCode::UnknownType,
        ),
        (
            enc(json!({"v":1,"id":3,"type":"label","data":{"profile_id":5}})),
            ErrorCode::BadData,
        ),
        (
            enc(json!({"v":1,"id":3,"type":"scores","data":{"ids":"abc"}})),
            ErrorCode::BadData,
        ),
    ];
    for (bytes, code) in cases {
        let err = decode_request(&bytes).expect_err("must fail");
        assert_eq!(
            err.error.code,
            code.code(),
            "{:?}: {}",
            code,
            err.error.message
        );
    }
}

#[test]
fn error_keeps_request_id_when_readable() {
    let err = decode_request(&enc(json!({"v":1,"id":42,"type":"nope_type"}))).expect_err("fail");
    assert_eq!(err.id, Some(42));
}

#[test]
fn label_and_swipe_seen_decode() {
    let env = decode_request(&enc(json!({"v":1,"id":5,"type":"label","data":{
        "profile_id":"abc","verdict":"like","source":"overlay","at_ms":1.0,"key":"k1"}})))
    .expect("label");
    assert!(matches!(
        env.body,
        Request::Label {
            verdict: Verdict::Like,
            source: LabelSource::Overlay,
            ..
        }
    ));
    let env = decode_request(&enc(json!({"v":1,"id":6,"type":"swipe_seen","data":{
        "profile_id":"abc","verdict":"nope","at_ms":1.0,"key":"k2"}})))
    .expect("swipe_seen");
    assert!(matches!(
        env.body,
        Request::SwipeSeen {
            source: LabelSource::Swipe,
            ..
        }
    ));
}

#[test]
fn data_may_be_omitted_for_empty_requests() {
    let env = decode_request(br#"{"v":1,"id":9,"type":"stats"}"#).expect("stats");
    assert_eq!(env.body, Request::Stats {});
}

#[test]
fn error_codes_are_stable() {
    // Append-only: these numbers are part of the wire contract.
    assert_eq!(ErrorCode::BadFrame.code(), 1);
    assert_eq!(ErrorCode::UnknownType.code(), 7);
    assert_eq!(ErrorCode::Internal.code(), 19);
    assert_eq!(ErrorCode::CallerRefused.code(), 20);
    for c in 1..=20u16 {
        assert_eq!(ErrorCode::from_code(c).map(ErrorCode::code), Some(c));
    }
    assert_eq!(ErrorCode::from_code(0), None);
}

#[test]
fn responses_serialize_tagged() {
    let v = serde_json::to_value(Envelope::reply(
        2,
        7,
        Response::Error(ErrorBody::new(ErrorCode::BadData, "x")),
    ))
    .expect("json");
    assert_eq!(
        v,
        json!({"v":1,"id":2,"re":7,"type":"error","data":{"code":8,"message":"x"}})
    );
    let v =
        serde_json::to_value(Envelope::new(3, Response::Stats(Stats::default()))).expect("json");
    assert_eq!(v["type"], "stats");
    assert_eq!(v["data"]["likes"], 0);
}

#[test]
fn dashboard_requests_decode_with_defaults() {
    let env = decode_request(
        br#"{"v":1,"id":4,"type":"profiles","data":{"limit":10,"offset":20,"filter":"liked"}}"#,
    )
    .expect("profiles");
    assert_eq!(
        env.body,
        Request::Profiles {
            limit: 10,
            offset: 20,
            filter: Some("liked".into())
        }
    );
    let env = decode_request(br#"{"v":1,"id":5,"type":"profiles"}"#).expect("profiles");
    assert_eq!(
        env.body,
        Request::Profiles {
            limit: 20,
            offset: 0,
            filter: None
        }
    );
    let env = decode_request(br#"{"v":1,"id":6,"type":"history","data":{}}"#).expect("history");
    assert_eq!(env.body, Request::History {});
    assert_eq!(env.body.kind(), "history");
}

#[test]
fn dashboard_label_source_round_trips() {
    let env = decode_request(&enc(json!({"v":1,"id":5,"type":"label","data":{
        "profile_id":"abc","verdict":"nope","source":"dashboard","at_ms":1.0,"key":"k9"}})))
    .expect("label");
    assert!(matches!(
        env.body,
        Request::Label {
            source: LabelSource::Dashboard,
            ..
        }
    ));
    assert_eq!(
        LabelSource::parse("dashboard"),
        Some(LabelSource::Dashboard)
    );
    assert_eq!(LabelSource::Dashboard.as_str(), "dashboard");
}

#[test]
fn dashboard_responses_have_documented_shape() {
    let item = ProfileItem {
        id: "p1".into(),
        name: "Anna".into(),
        age: Some(29),
        distance_km: Some(3.0),
        bio: "Wandern".into(),
        photo_count: 2,
        label: Some(Verdict::Like),
        label_source: Some(LabelSource::Dashboard),
        p_like: Some(0.8),
        model_version: Some(3),
        decision_reason: None,
        matched: true,
        thumb: Some("data:image/jpeg;base64,AAAA".into()),
    };
    let v = serde_json::to_value(Envelope::reply(
        8,
        4,
        Response::Profiles {
            total: 1,
            items: vec![item],
        },
    ))
    .expect("json");
    assert_eq!(v["type"], "profiles");
    assert_eq!(v["data"]["total"], 1);
    assert_eq!(v["data"]["items"][0]["label"], "like");
    assert_eq!(v["data"]["items"][0]["label_source"], "dashboard");
    assert_eq!(
        v["data"]["items"][0]["thumb"],
        "data:image/jpeg;base64,AAAA"
    );
    let h = History {
        days: vec![DayCounts {
            day: "2026-11-28".into(),
            seen: 5,
            likes_user: 1,
            ..Default::default()
        }],
        histogram: ScoreHistogram {
            bins: 2,
            liked: vec![0, 1],
            passed: vec![1, 0],
        },
        match_rates: MatchRates {
            user_likes: 1,
            user_matches: 1,
            user_rate: Some(1.0),
            ..Default::default()
        },
    };
    let reply = Envelope::reply(9, 5, Response::History(h));
    let v = serde_json::to_value(&reply).expect("json");
    assert_eq!(v["type"], "history");
    assert_eq!(v["data"]["days"][0]["day"], "2026-11-28");
    assert_eq!(v["data"]["histogram"]["liked"], json!([0, 1]));
    assert_eq!(v["data"]["match_rates"]["auto_rate"], Value::Null);
    let back = decode_response(&serde_json::to_vec(&reply).expect("json")).expect("decode");
    assert_eq!(back, reply);
}

#[test]
fn score_states_keep_their_wire_names_and_an_unknown_one_reads_as_unknown() {
    for s in [
        ScoreState::Ready,
        ScoreState::NoModel,
        ScoreState::Pending,
        ScoreState::Unknown,
    ] {
        let wire = serde_json::to_value(s).expect("serialises");
        assert_eq!(wire, json!(s.as_str()));
        assert_eq!(
            serde_json::from_value::<ScoreState>(wire).expect("reads"),
            s
        );
    }
    // A state a newer host adds is not an error: the profile is simply not scored here.
    let score: Score = serde_json::from_value(json!({
        "id": "a", "p_like": null, "parts": {}, "model_version": 3, "state": "queued"
    }))
    .expect("a score with a newer state");
    assert_eq!(score.state, ScoreState::Unknown);
}

#[test]
fn host_settings_parse_their_wire_names_and_check_type_and_range() {
    for s in HostSetting::ALL {
        assert_eq!(HostSetting::parse(s.name()), Some(s));
        assert!(s.accepts(&Value::Null), "null clears {}", s.name());
        assert!(!s.want().is_empty());
    }
    assert_eq!(HostSetting::parse("Threshold"), None);
    assert_eq!(HostSetting::parse("retrain"), None);
    let t = HostSetting::Threshold;
    assert!(t.accepts(&json!(0.0)) && t.accepts(&json!(1)) && t.accepts(&json!(0.55)));
    assert!(!t.accepts(&json!(1.01)) && !t.accepts(&json!("0.5")) && !t.accepts(&json!(-0.1)));
    let r = HostSetting::RetrainEvery;
    assert!(r.accepts(&json!(0)) && r.accepts(&json!(1_000_000)));
    assert!(!r.accepts(&json!(1.5)) && !r.accepts(&json!(-1)) && !r.accepts(&json!(1_000_001)));
    assert!(HostSetting::TrainOnMatches.accepts(&json!(true)));
    assert!(!HostSetting::TrainOnMatches.accepts(&json!(1)));
    assert!(HostSetting::TextWeight.accepts(&json!(10)));
    assert!(!HostSetting::ImageWeight.accepts(&json!(10.5)));
    assert!(HostSetting::Device.accepts(&json!("cpu")));
    assert!(!HostSetting::Device.accepts(&json!(1)));
}
