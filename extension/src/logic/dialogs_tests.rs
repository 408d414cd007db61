use serde_json::json;

use super::*;

fn dialog(role: DialogRole, text: &str) -> DialogSummary {
    DialogSummary {
        role,
        text: text.to_owned(),
        buttons: 1,
        titles: Vec::new(),
        frames: 0,
        inputs: 0,
        images: 0,
    }
}

#[test]
fn the_real_apps_dialogs_are_told_apart_by_shape_and_words() {
    // The match popup: its button has title="Back to Tinder", whatever the language.
    let mut m = dialog(
        DialogRole::Portal,
        "du und lena habt euch gegenseitig geliked.",
    );
    m.titles = vec!["back to tinder".into()];
    assert_eq!(classify(&m), Some(DialogKind::Match));
    // A photo and a message box, no known words.
    let mut m = dialog(DialogRole::Dialog, "lena");
    m.inputs = 1;
    m.images = 1;
    assert_eq!(classify(&m), Some(DialogKind::Match));
    assert_eq!(
        classify(&dialog(
            DialogRole::Dialog,
            "it's a match! you and lena have liked each other."
        )),
        Some(DialogKind::Match)
    );
    assert_eq!(
        classify(&dialog(
            DialogRole::Modal,
            "you're out of likes! get unlimited likes with tinder plus®"
        )),
        Some(DialogKind::OutOfLikes)
    );
    assert_eq!(
        classify(&dialog(
            DialogRole::Portal,
            "get more with gold: see who likes you"
        )),
        Some(DialogKind::Upsell)
    );
    assert_eq!(
        classify(&dialog(
            DialogRole::Alertdialog,
            "add tinder to your home screen"
        )),
        Some(DialogKind::Unknown)
    );
    let mut challenge = dialog(DialogRole::Dialog, "");
    challenge.frames = 1;
    assert_eq!(classify(&challenge), Some(DialogKind::Verification));
}

#[test]
fn a_frame_outside_dialogs_is_a_challenge_only_when_it_says_so() {
    let mut f = dialog(DialogRole::Frame, "");
    f.titles = vec!["verification challenge".into(), "about:blank".into()];
    assert_eq!(classify(&f), Some(DialogKind::Verification));
    f.titles = vec!["https://client-api.arkoselabs.com/fc/gc/".into()];
    assert_eq!(classify(&f), Some(DialogKind::Verification));
    f.titles = vec!["google sign-in".into()];
    assert_eq!(classify(&f), None, "an ordinary frame is no dialog");
    assert_eq!(kinds(&[f]), Vec::<DialogKind>::new());
}

#[test]
fn reports_are_read_defensively() {
    let long = "X".repeat(5000);
    let v = json!([
        {"role": "dialog", "text": long, "buttons": 2, "titles": ["Back To Tinder"], "frames": 0},
        {"role": "window", "text": "unknown role"},
        "not an object",
        {"role": "portal"},
    ]);
    let d = parse_dialogs(Some(&v));
    assert_eq!(d.len(), 2);
    assert_eq!(d[0].text.chars().count(), MAX_TEXT);
    assert!(d[0].text.chars().all(|c| c == 'x'), "lowercased");
    assert_eq!(d[0].titles, ["back to tinder"]);
    assert_eq!(d[1].role, DialogRole::Portal);
    assert_eq!(d[1].text, "");
    let many: Vec<_> = (0..50).map(|_| json!({"role": "dialog"})).collect();
    assert_eq!(parse_dialogs(Some(&json!(many))).len(), MAX_DIALOGS);
    assert!(parse_dialogs(Some(&json!("nope"))).is_empty());
    assert!(parse_dialogs(None).is_empty());
}

#[test]
fn dialog_kinds_serialise_as_snake_case_both_ways() {
    for k in [
        DialogKind::Match,
        DialogKind::OutOfLikes,
        DialogKind::Verification,
        DialogKind::Upsell,
        DialogKind::Unknown,
    ] {
        let v = serde_json::to_value(k).expect("serialises");
        assert_eq!(v, json!(k.as_str()));
        assert_eq!(
            serde_json::from_value::<DialogKind>(v).expect("reads back"),
            k
        );
    }
}

fn b(text: &str, class: &str, index: u32, of: u32) -> ButtonFacts {
    ButtonFacts {
        text: text.into(),
        class: class.into(),
        group: 1,
        index,
        of,
    }
}

/// The real gamepad (2026): no aria-label, hidden span text, `sparks-*` classes.
fn real_gamepad() -> Vec<ButtonFacts> {
    vec![
        b("REWIND", "button sparks-rewind-default", 0, 5),
        b("NOPE", "button sparks-nope-default", 1, 5),
        b("SUPER LIKE", "button sparks-super-like-default", 2, 5),
        b("LIKE", "button sparks-like-default", 3, 5),
        b("BOOST", "button sparks-boost-default", 4, 5),
    ]
}

#[test]
fn the_like_and_nope_buttons_are_found_by_their_hidden_text() {
    let pad = real_gamepad();
    assert_eq!(pick_button(&pad, Verdict::Like), Some(3));
    assert_eq!(pick_button(&pad, Verdict::Nope), Some(1));
    assert_eq!(pick_button(&pad, Verdict::Superlike), Some(2));
}

#[test]
fn localized_buttons_are_found_by_class_names_never_the_super_like() {
    // German texts, classes as the mock names them; the super like's class also says "like".
    let pad = vec![
        b("Zurück", "gamepad__button gamepad__button--rewind", 0, 5),
        b("Nein", "gamepad__button gamepad__button--nope", 1, 5),
        b(
            "Super Like",
            "gamepad__button gamepad__button--superlike",
            2,
            5,
        ),
        b("Gefällt mir", "gamepad__button gamepad__button--like", 3, 5),
        b("Boost", "gamepad__button gamepad__button--boost", 4, 5),
    ];
    assert_eq!(pick_button(&pad, Verdict::Like), Some(3));
    assert_eq!(pick_button(&pad, Verdict::Nope), Some(1));
}

#[test]
fn without_texts_or_classes_the_place_in_the_gamepad_decides() {
    let mut pad: Vec<ButtonFacts> = (0..5).map(|i| b("", "Bdrs(50%) P(0)", i, 5)).collect();
    // Other buttons on the page (photo arrows) are in other groups.
    pad.insert(0, b("", "", 0, 2));
    pad.insert(1, b("", "", 1, 2));
    assert_eq!(pick_button(&pad, Verdict::Nope), Some(3));
    assert_eq!(pick_button(&pad, Verdict::Like), Some(5));
}

#[test]
fn no_button_is_guessed_when_the_page_is_ambiguous_or_has_no_gamepad() {
    assert_eq!(pick_button(&[], Verdict::Like), None);
    // Two groups of five: position alone cannot tell.
    let mut two: Vec<ButtonFacts> = (0..5).map(|i| b("", "", i, 5)).collect();
    two.extend((0..5).map(|i| ButtonFacts {
        group: 2,
        ..b("", "", i, 5)
    }));
    assert_eq!(pick_button(&two, Verdict::Like), None);
    // "Dislike" is a nope, never a like.
    let pad = vec![b("", "btn-dislike", 0, 2), b("", "btn-other", 1, 2)];
    assert_eq!(pick_button(&pad, Verdict::Like), None);
    assert_eq!(pick_button(&pad, Verdict::Nope), Some(0));
}

#[test]
fn button_reports_are_clipped() {
    let v = json!([{"text": "  LIKE  ", "class": "c".repeat(1000), "group": 3, "index": 3, "of": 5}, {"text": 7}]);
    let got = parse_buttons(Some(&v));
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].text, "LIKE");
    assert_eq!(got[0].class.len(), 200);
    assert_eq!((got[0].group, got[0].index, got[0].of), (3, 3, 5));
    assert_eq!(got[1].text, "");
}
