//! Tests of auto-swipe driven through the brain.

use crate::logic::brain::test_support::*;

/// Run the auto-swipe timer until something is posted to the tab (at most `max_ms` later).
fn tick_until_post(b: &mut Brain, from: f64, max_ms: f64) -> (f64, Vec<Value>) {
    let mut t = from;
    while t <= from + max_ms {
        let a = b.auto_tick(t);
        let p: Vec<Value> = posts(&a, TAB)
            .into_iter()
            .filter(|m| m["kind"] == "press")
            .collect();
        if !p.is_empty() {
            return (t, p);
        }
        t += 50.0;
    }
    (t, Vec::new())
}

#[test]
fn auto_swipe_presses_for_the_top_card_and_records_the_confirmed_swipe_as_auto() {
    let mut b = brain_with_cards();
    b.host_message(&score_event("aaa1", 0.8, 3), T0);
    let r = b.autoswipe_request(
        &json!({"kind": "autoswipe_preset", "preset": "fast_test"}),
        T0,
        &mut Vec::new(),
    );
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["enabled"], false, "a preset never switches auto-swipe on");
    let mut out = Vec::new();
    let r = b.autoswipe_request(
        &json!({"kind": "autoswipe_enable", "on": true}),
        T0,
        &mut out,
    );
    assert_eq!(r["enabled"], true);
    assert!(stores(&out).contains(&"autoswipe:settings".to_owned()));
    // No key is pressed before the human-like delay (fast test: 100–300 ms).
    assert!(posts(&out, TAB).iter().all(|m| m["kind"] != "press"));
    let (t, presses) = tick_until_post(&mut b, T0, 1_000.0);
    assert!(t - T0 >= 100.0, "pressed after {} ms", t - T0);
    assert_eq!(presses.len(), 1);
    assert_eq!(presses[0]["profile_id"], "aaa1");
    assert_eq!(presses[0]["key"], "ArrowRight", "0.8 ≥ 0.5 is a like");
    // The card shows the decision with its score and reason.
    let a = b.port_message(
        TAB,
        &json!({"kind": "card", "card": {"name": "Anna", "age": 28}}),
        t + 1.0,
    );
    let info = last_card_info(&a);
    assert_eq!(info["decision"]["verdict"], "like");
    assert_eq!(info["decision"]["score"], 0.8);
    assert_eq!(info["decision"]["reason"], "above_threshold");
    assert_eq!(info["auto"]["state"], "running");
    // The page's own like call confirms it: swipe_seen with source auto + swipe_result.
    let a = b.port_message(
        TAB,
        &json!({"kind": "swipe", "profile_id": "aaa1", "verdict": "like", "at_ms": t + 50.0,
                "status": 200, "response": {"match": false, "likes_remaining": 80}}),
        t + 60.0,
    );
    let sent = to_host(&a);
    let seen = sent
        .iter()
        .find(|m| m["type"] == "swipe_seen")
        .expect("swipe_seen");
    assert_eq!(seen["data"]["source"], "auto");
    let result = sent
        .iter()
        .find(|m| m["type"] == "swipe_result")
        .expect("swipe_result");
    assert_eq!(result["data"]["profile_id"], "aaa1");
    assert_eq!(result["data"]["verdict"], "like");
    assert_eq!(result["data"]["matched"], false);
    assert_eq!(result["data"]["score"], 0.8);
    assert!(result["data"]["reason"]
        .as_str()
        .is_some_and(|r| r.contains("threshold")));
    let keys = stores(&a);
    assert!(keys.contains(&"autoswipe:state".to_owned()));
    assert!(keys.iter().any(|k| k.starts_with("outbox:a-aaa1-like-")));
    let state = b.autoswipe_request(
        &json!({"kind": "autoswipe_state"}),
        t + 70.0,
        &mut Vec::new(),
    );
    assert_eq!(state["likes_12h"], 1);
    assert_eq!(state["decisions"][0]["confirmed"], true);
}

#[test]
fn a_swipe_the_user_makes_while_auto_swipe_is_off_stays_a_user_swipe() {
    let mut b = brain_with_cards();
    b.host_message(&score_event("aaa1", 0.8, 3), T0);
    let a = b.port_message(
        TAB,
        &json!({"kind": "swipe", "profile_id": "aaa1", "verdict": "nope", "at_ms": T0 + 5.0,
                "status": 200, "response": null}),
        T0 + 6.0,
    );
    let sent = to_host(&a);
    assert_eq!(kinds(&sent), ["swipe_seen"]);
    assert_eq!(sent[0]["data"]["source"], "swipe");
}

#[test]
fn dry_run_shows_the_decision_on_the_card_and_never_presses() {
    let mut b = brain_with_cards();
    b.host_message(&score_event("aaa1", 0.3, 3), T0);
    b.autoswipe_request(
        &json!({"kind": "autoswipe_preset", "preset": "fast_test", "dry_run": true}),
        T0,
        &mut Vec::new(),
    );
    let mut out = Vec::new();
    b.autoswipe_request(
        &json!({"kind": "autoswipe_enable", "on": true}),
        T0,
        &mut out,
    );
    let info = last_card_info(&out);
    assert_eq!(info["decision"]["verdict"], "nope");
    assert_eq!(info["decision"]["dry_run"], true);
    assert_eq!(info["decision"]["reason"], "below_threshold");
    assert!(info["decision"]["text"]
        .as_str()
        .is_some_and(|t| t.starts_with("dry run: pass (30% < 50%)")));
    let (_, presses) = tick_until_post(&mut b, T0, 2_000.0);
    assert!(presses.is_empty(), "dry run pressed {presses:?}");
}

#[test]
fn every_stop_reason_from_the_page_switches_auto_swipe_off_and_is_saved() {
    let cases = [
        // Dialogs come as structural summaries; the worker classifies them.
        (
            json!({"kind": "dialogs", "dialogs": [{"role": "dialog", "text": "add tinder to your home screen", "buttons": 2}]}),
            "unknown_dialog",
        ),
        (
            json!({"kind": "dialogs", "dialogs": [{"role": "portal", "text": "get tinder gold", "buttons": 1}]}),
            "unknown_dialog",
        ),
        (
            json!({"kind": "dialogs", "dialogs": [{"role": "frame", "titles": ["verification challenge"]}]}),
            "captcha",
        ),
        (
            json!({"kind": "profile", "body": {"data": {"likes": {"likes_remaining": "0"}}}, "at_ms": T0}),
            "out_of_likes",
        ),
        (
            json!({"kind": "recs", "body": null, "status": 429, "at_ms": T0}),
            "rate_limited",
        ),
        (
            json!({"kind": "recs", "body": {"error": {"message": "RATE_LIMITED"}}, "at_ms": T0}),
            "rate_limited",
        ),
        (
            json!({"kind": "visibility", "visible": false}),
            "tab_hidden",
        ),
        (json!({"kind": "auth_lost"}), "token_lost"),
    ];
    for (msg, kind) in cases {
        let mut b = brain_with_cards();
        b.port_connected(POPUP, PortKind::Popup, T0);
        b.host_message(&score_event("aaa1", 0.8, 3), T0);
        b.autoswipe_request(
            &json!({"kind": "autoswipe_preset", "preset": "fast_test"}),
            T0,
            &mut Vec::new(),
        );
        b.autoswipe_request(
            &json!({"kind": "autoswipe_enable", "on": true}),
            T0,
            &mut Vec::new(),
        );
        let a = b.port_message(TAB, &msg, T0 + 10.0);
        let saved = a.iter().find_map(|x| match x {
            Action::Store { key, value } if key == "autoswipe:settings" => Some(value.clone()),
            _ => None,
        });
        assert_eq!(saved.expect("settings saved")["enabled"], false, "{msg}");
        let view = popup_auto(&mut b, T0 + 20.0);
        assert_eq!(view["state"], "stopped", "{msg}");
        assert_eq!(view["stop_kind"], kind, "{msg}");
        assert!(view["stop_reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("Stopped: ")));
        // The card says it too.
        let a = b.port_message(
            TAB,
            &json!({"kind": "card", "card": {"name": "Anna", "age": 28}}),
            T0 + 30.0,
        );
        assert_eq!(last_card_info(&a)["auto"]["state"], "stopped", "{msg}");
        // And no key is pressed afterwards.
        let (_, presses) = tick_until_post(&mut b, T0 + 40.0, 1_000.0);
        assert!(presses.is_empty(), "{msg}: {presses:?}");
    }
}

#[test]
fn losing_the_host_stops_auto_swipe() {
    let mut b = brain_with_cards();
    b.host_message(&score_event("aaa1", 0.8, 3), T0);
    b.autoswipe_request(
        &json!({"kind": "autoswipe_preset", "preset": "fast_test"}),
        T0,
        &mut Vec::new(),
    );
    b.autoswipe_request(
        &json!({"kind": "autoswipe_enable", "on": true}),
        T0,
        &mut Vec::new(),
    );
    let a = b.host_lost("Native host has exited.", T0 + 10.0);
    assert!(a.iter().any(|x| matches!(x, Action::Store { key, value }
        if key == "autoswipe:settings" && value["enabled"] == false)));
    let s = b.autoswipe_request(
        &json!({"kind": "autoswipe_state"}),
        T0 + 20.0,
        &mut Vec::new(),
    );
    assert_eq!(s["last_stop"]["kind"], "host_lost");
}

#[test]
fn a_match_in_the_like_response_stops_auto_swipe_and_records_the_match() {
    let mut b = brain_with_cards();
    b.host_message(&score_event("aaa1", 0.9, 3), T0);
    b.autoswipe_request(
        &json!({"kind": "autoswipe_preset", "preset": "fast_test"}),
        T0,
        &mut Vec::new(),
    );
    b.autoswipe_request(
        &json!({"kind": "autoswipe_enable", "on": true}),
        T0,
        &mut Vec::new(),
    );
    let (t, presses) = tick_until_post(&mut b, T0, 1_000.0);
    assert_eq!(presses.len(), 1);
    let a = b.port_message(
        TAB,
        &json!({"kind": "swipe", "profile_id": "aaa1", "verdict": "like", "at_ms": t + 5.0,
                "status": 200, "response": {"match": {"_id": "m1"}, "likes_remaining": 70}}),
        t + 10.0,
    );
    let result = to_host(&a)
        .into_iter()
        .find(|m| m["type"] == "swipe_result")
        .expect("swipe_result");
    assert_eq!(result["data"]["matched"], true);
    let s = b.autoswipe_request(
        &json!({"kind": "autoswipe_state"}),
        t + 20.0,
        &mut Vec::new(),
    );
    assert_eq!(s["enabled"], false);
    assert_eq!(s["last_stop"]["kind"], "match");
    assert!(s["last_stop"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("Anna")));
}

#[test]
fn a_refused_or_unknown_auto_swipe_request_says_why() {
    let mut b = brain_with_cards();
    let r = b.autoswipe_request(
        &json!({"kind": "autoswipe_set", "settings": {"threshold": 1.5}}),
        T0,
        &mut Vec::new(),
    );
    assert_eq!(r["ok"], false);
    assert!(r["error"].as_str().is_some_and(|e| e.contains("threshold")));
    let r = b.autoswipe_request(
        &json!({"kind": "autoswipe_preset", "preset": "reckless"}),
        T0,
        &mut Vec::new(),
    );
    assert_eq!(r["ok"], false);
    let r = b.autoswipe_request(&json!({"kind": "autoswipe_enable"}), T0, &mut Vec::new());
    assert_eq!(r["ok"], false);
    // The popup gets the refusal in words.
    b.port_connected(POPUP, PortKind::Popup, T0);
    let a = b.port_message(
        POPUP,
        &json!({"kind": "autoswipe_set", "settings": {"delay_min_ms": 9000, "delay_max_ms": 1000}}),
        T0,
    );
    let err = posts(&a, POPUP)
        .into_iter()
        .find(|m| m["kind"] == "autoswipe_error")
        .expect("error posted");
    assert!(err["message"]
        .as_str()
        .is_some_and(|m| m.contains("delay_min_ms")));
}

#[test]
fn the_popup_switch_is_available_only_with_a_model() {
    let mut b = ready_brain(); // hello said model_version null
    b.port_connected(POPUP, PortKind::Popup, T0);
    let a = b.port_message(POPUP, &json!({"kind": "status"}), T0);
    let view = posts(&a, POPUP).last().expect("status")["view"].clone();
    assert_eq!(view["auto_swipe_available"], false);
    let mut b = brain_with_cards();
    b.port_connected(POPUP, PortKind::Popup, T0);
    let a = b.port_message(POPUP, &json!({"kind": "status"}), T0);
    let view = posts(&a, POPUP).last().expect("status")["view"].clone();
    assert_eq!(view["auto_swipe_available"], true);
    assert_eq!(view["autoswipe"]["state"], "off");
    assert_eq!(view["autoswipe"]["settings"]["threshold"], 0.6);
}

#[test]
fn stored_auto_swipe_settings_come_back_switched_off() {
    let mut b = Brain::new("chrome", 3);
    let mut s = serde_json::to_value(crate::logic::autoswipe::Settings::fast_test()).expect("json");
    s["threshold"] = json!(0.7);
    assert_eq!(s["enabled"], true);
    let logs = b.load_autoswipe(
        Some(&s),
        Some(&json!({"likes_ms": [T0 - 1000.0], "swipes_ms": [T0 - 1000.0]})),
    );
    assert!(logs.is_empty(), "{logs:?}");
    let st = b.autoswipe_request(&json!({"kind": "autoswipe_state"}), T0, &mut Vec::new());
    assert_eq!(st["enabled"], false);
    assert_eq!(st["settings"]["threshold"], 0.7);
    assert_eq!(st["likes_12h"], 1);
    let logs = b.load_autoswipe(Some(&json!({"threshold": "high"})), Some(&json!([1, 2])));
    assert_eq!(logs.len(), 2, "{logs:?}");
}
