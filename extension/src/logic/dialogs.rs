//! The page's dialogs and gamepad, read by structure.
//!
//! `content.js` reports a small structural summary of every visible dialog
//! (`[role=dialog]`, `[role=alertdialog]`, `[aria-modal=true]`, portal children of `body`
//! outside the app root, and frames outside them) and of the buttons next to the card stack.
//! Everything that decides something lives here, so native tests cover it: what kind of
//! dialog a summary is, and which button is the card's own like or nope button.
//!
//! What stops auto-swipe does not rest on a dialog's words: a match is known from the like
//! answer's `match` object, out-of-likes from the like answer or `/v2/profile`. The kind
//! only explains a stop ("the page shows a dialog (upsell)") and tells a verification
//! challenge apart (a frame), which stops at once.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use swipy_shared::Verdict;

/// Most dialogs and buttons read from one report.
pub const MAX_DIALOGS: usize = 8;
pub const MAX_BUTTONS: usize = 40;
/// Longest text kept of a dialog (characters).
pub const MAX_TEXT: usize = 200;
const MAX_TITLES: usize = 8;
const MAX_CLASS: usize = 200;
const MAX_BUTTON_TEXT: usize = 40;

/// Where a reported element was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DialogRole {
    /// `[role=dialog]`.
    Dialog,
    /// `[role=alertdialog]`.
    Alertdialog,
    /// `[aria-modal=true]` without one of the roles.
    Modal,
    /// A visible child of `body` outside the app root (a portal without markers).
    Portal,
    /// A visible `iframe` outside every dialog (a challenge frame, or something harmless).
    Frame,
}

/// One visible dialog as `content.js` summarises it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DialogSummary {
    pub role: DialogRole,
    /// Visible text, lowercased, at most [`MAX_TEXT`] characters.
    #[serde(default)]
    pub text: String,
    /// Number of buttons inside.
    #[serde(default)]
    pub buttons: u32,
    /// `title` attributes inside (a frame: its own `title` and `src`), lowercased.
    #[serde(default)]
    pub titles: Vec<String>,
    /// Frames inside.
    #[serde(default)]
    pub frames: u32,
    /// Text inputs and text areas inside.
    #[serde(default)]
    pub inputs: u32,
    /// Images (`img`, `[role=img]`) inside.
    #[serde(default)]
    pub images: u32,
}

/// Kinds of dialogs, the same words on every side (`snake_case`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DialogKind {
    /// "It's a match" (the like answer decides whether it is one).
    Match,
    /// "You're out of likes" (the like answer or `/v2/profile` decides).
    OutOfLikes,
    /// A captcha or verification challenge: stops at once.
    Verification,
    /// Gold / Platinum / Plus / Boost / upgrade offers.
    Upsell,
    Unknown,
}

impl DialogKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DialogKind::Match => "match",
            DialogKind::OutOfLikes => "out_of_likes",
            DialogKind::Verification => "verification",
            DialogKind::Upsell => "upsell",
            DialogKind::Unknown => "unknown",
        }
    }

    /// Plain words for messages.
    pub fn words(self) -> &'static str {
        match self {
            DialogKind::Match => "a match dialog",
            DialogKind::OutOfLikes => "an out-of-likes dialog",
            DialogKind::Verification => "a verification challenge",
            DialogKind::Upsell => "an upgrade offer",
            DialogKind::Unknown => "a dialog Swipy does not know",
        }
    }
}

const CHALLENGE: &[&str] = &[
    "captcha",
    "arkose",
    "funcaptcha",
    "challenge",
    "verif",
    "recaptcha",
    "hcaptcha",
];
const MATCH: &[&str] = &[
    "it's a match",
    "it’s a match",
    "its a match",
    "c'est un match",
    "es un match",
    "back to tinder",
];
const OUT_OF_LIKES: &[&str] = &[
    "out of likes",
    "likes reset",
    "no more likes",
    "keine likes mehr",
    "plus de likes",
];
const UPSELL: &[&str] = &[
    "gold",
    "platinum",
    "plus",
    "boost",
    "upgrade",
    "premium",
    "subscribe",
];

fn any_in(hay: &str, words: &[&str]) -> bool {
    words.iter().any(|w| hay.contains(w))
}

/// What a summary is; `None` for a frame that is no challenge (an ordinary embedded page).
pub fn classify(s: &DialogSummary) -> Option<DialogKind> {
    let titles = s.titles.join(" ");
    if s.role == DialogRole::Frame {
        return any_in(&titles, CHALLENGE).then_some(DialogKind::Verification);
    }
    // A challenge is a frame (Arkose, reCAPTCHA, hCaptcha...) inside the dialog.
    if s.frames > 0 || any_in(&s.text, &["captcha", "verify you", "verification"]) {
        return Some(DialogKind::Verification);
    }
    let words = format!("{} {titles}", s.text);
    if any_in(&words, MATCH) || (s.inputs > 0 && s.images > 0) {
        return Some(DialogKind::Match);
    }
    if any_in(&words, OUT_OF_LIKES) {
        return Some(DialogKind::OutOfLikes);
    }
    if any_in(&words, UPSELL) {
        return Some(DialogKind::Upsell);
    }
    Some(DialogKind::Unknown)
}

fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

fn count(v: Option<&Value>) -> u32 {
    v.and_then(Value::as_u64)
        .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX))
}

/// Reads the dialogs of a `dialogs` report (untrusted: the page can forge the shape), at
/// most [`MAX_DIALOGS`]; entries of an unknown role or shape are dropped, texts are clipped.
pub fn parse_dialogs(v: Option<&Value>) -> Vec<DialogSummary> {
    let Some(list) = v.and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|d| {
            let role: DialogRole = serde_json::from_value(d.get("role")?.clone()).ok()?;
            let text = d.get("text").and_then(Value::as_str).unwrap_or("");
            let titles = d
                .get("titles")
                .and_then(Value::as_array)
                .map(|t| {
                    t.iter()
                        .filter_map(Value::as_str)
                        .take(MAX_TITLES)
                        .map(|s| clip(&s.to_lowercase(), MAX_TEXT))
                        .collect()
                })
                .unwrap_or_default();
            Some(DialogSummary {
                role,
                text: clip(&text.to_lowercase(), MAX_TEXT),
                buttons: count(d.get("buttons")),
                titles,
                frames: count(d.get("frames")),
                inputs: count(d.get("inputs")),
                images: count(d.get("images")),
            })
        })
        .take(MAX_DIALOGS)
        .collect()
}

/// The kinds of the visible dialogs (frames that are no challenge left out).
pub fn kinds(dialogs: &[DialogSummary]) -> Vec<DialogKind> {
    dialogs.iter().filter_map(classify).collect()
}

// ----- the gamepad ---------------------------------------------------------------------------

/// One button next to the card stack, as `content.js` reads it: its text (visible and
/// hidden, e.g. `LIKE`), its class names, and its place among the buttons of the nearest
/// element holding several (the gamepad: rewind, nope, super like, like, boost).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ButtonFacts {
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub class: String,
    /// Which group (nearest common container) the button is in.
    #[serde(default)]
    pub group: u32,
    /// Position in its group, from 0.
    #[serde(default)]
    pub index: u32,
    /// Buttons in its group.
    #[serde(default)]
    pub of: u32,
}

/// Reads a `gamepad` report (at most [`MAX_BUTTONS`] buttons; strings clipped).
pub fn parse_buttons(v: Option<&Value>) -> Vec<ButtonFacts> {
    let Some(list) = v.and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .take(MAX_BUTTONS)
        .map(|b| ButtonFacts {
            text: clip(
                b.get("text").and_then(Value::as_str).unwrap_or("").trim(),
                MAX_BUTTON_TEXT,
            ),
            class: clip(
                b.get("class").and_then(Value::as_str).unwrap_or(""),
                MAX_CLASS,
            ),
            group: count(b.get("group")),
            index: count(b.get("index")),
            of: count(b.get("of")),
        })
        .collect()
}

fn text_says(b: &ButtonFacts, verdict: Verdict) -> bool {
    let t = b.text.trim().to_uppercase();
    match verdict {
        Verdict::Like => t == "LIKE",
        Verdict::Nope => t == "NOPE",
        Verdict::Superlike => t == "SUPER LIKE",
    }
}

fn class_says(b: &ButtonFacts, verdict: Verdict) -> bool {
    b.class.split_whitespace().any(|c| {
        let c = c.to_lowercase();
        let sup = c.contains("super");
        match verdict {
            Verdict::Like => {
                c.contains("like") && !sup && !c.contains("dislike") && !c.contains("unlike")
            }
            Verdict::Nope => c.contains("nope") || c.contains("dislike"),
            Verdict::Superlike => c.contains("like") && sup,
        }
    })
}

/// The one button in `buttons` that swipes `verdict`, found by structure: its text is
/// `LIKE`/`NOPE` (hidden text counts), else a class name says `like`/`nope` (never
/// `super like`), else its place in a group of five (rewind, nope, super like, like,
/// boost). `None` when no rule finds exactly one.
pub fn pick_button(buttons: &[ButtonFacts], verdict: Verdict) -> Option<usize> {
    let only = |hits: Vec<usize>| (hits.len() == 1).then(|| hits[0]);
    let by = |f: &dyn Fn(&ButtonFacts) -> bool| -> Vec<usize> {
        buttons
            .iter()
            .enumerate()
            .filter(|(_, b)| f(b))
            .map(|(i, _)| i)
            .collect()
    };
    let in_five = |hits: Vec<usize>| -> Vec<usize> {
        if hits.len() <= 1 {
            return hits;
        }
        hits.into_iter().filter(|i| buttons[*i].of == 5).collect()
    };
    if let Some(i) = only(in_five(by(&|b| text_says(b, verdict)))) {
        return Some(i);
    }
    if let Some(i) = only(in_five(by(&|b| class_says(b, verdict)))) {
        return Some(i);
    }
    let place = match verdict {
        Verdict::Nope => 1,
        Verdict::Superlike => 2,
        Verdict::Like => 3,
    };
    only(by(&|b| b.of == 5 && b.index == place))
}

#[cfg(test)]
#[path = "dialogs_tests.rs"]
mod tests;
