//! Messages between the content script (`content.js`, one port per tab) and the worker.
//!
//! Everything a tab sends is treated as untrusted (the hook's channel is private, but the
//! content script runs beside a page that is not ours), so each message is parsed into a
//! typed shape and validated here before the brain acts on it.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use swipy_shared::{Parts, Verdict};

use super::dialogs::{self, ButtonFacts, DialogSummary};

/// The facts `content.js` reads from the top card of the page's card stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardFacts {
    /// Text of `[itemprop="name"]`.
    pub name: String,
    /// Number in `[itemprop="age"]`; `None` when the page hides it.
    #[serde(default)]
    pub age: Option<u32>,
}

/// A validated message from a tab.
#[derive(Debug, Clone, PartialEq)]
pub enum TabMsg {
    /// The page's `X-Auth-Token` request header (a credential: memory only).
    Token(String),
    /// A `/v2/recs/core` answer as the page received it: `status` when the hook reports it
    /// (a 429 may come without a JSON body: `body` is then `null`).
    Recs {
        body: Value,
        at_ms: f64,
        status: Option<u16>,
    },
    /// The page's own `/v2/profile` answer (its `data.likes` tells the likes left).
    Profile { body: Value, at_ms: f64 },
    /// A `/v2/matches` response body (either list) as the page received it.
    Matches { body: Value, at_ms: f64 },
    /// The page's own like/pass/superlike call (after its response, or its failure).
    Swipe {
        profile_id: String,
        verdict: Verdict,
        at_ms: f64,
        status: Option<u16>,
        response: Option<Value>,
    },
    /// The top card changed (`None`: no card visible).
    Card(Option<CardFacts>),
    /// A Swipy overlay button was pressed on the card showing these facts.
    Label { verdict: Verdict, card: CardFacts },
    /// The dialogs visible on the page now (all of them; empty when none), as structural
    /// summaries; [`dialogs::classify`] tells what they are.
    Dialogs(Vec<DialogSummary>),
    /// The buttons next to the card stack (the gamepad), for the retry click.
    Gamepad(Vec<ButtonFacts>),
    /// `document.visibilityState` changed (`true`: visible).
    Visibility(bool),
    /// A call to the Tinder API answered 401: the page's token is no longer valid.
    AuthLost,
}

/// Why a tab message was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Longest token accepted (real ones are UUIDs or a few hundred characters at most).
const MAX_TOKEN_LEN: usize = 4096;
/// Longest profile id accepted (Tinder ids are 24 hex characters).
const MAX_ID_LEN: usize = 64;
/// Longest name accepted from the DOM.
const MAX_NAME_LEN: usize = 200;

/// Whether `id` looks like a profile id: 1–64 of `[A-Za-z0-9_-]`.
pub fn plausible_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn plausible_time(ms: f64) -> bool {
    // 2001-09-09 .. 2286-11-20: anything else is a forged or broken clock.
    ms.is_finite() && (1.0e12..1.0e13).contains(&ms)
}

fn str_field<'a>(obj: &'a serde_json::Map<String, Value>, name: &str) -> Result<&'a str, Refused> {
    obj.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| Refused(format!("`{name}` must be a string")))
}

fn time_field(obj: &serde_json::Map<String, Value>, name: &str) -> Result<f64, Refused> {
    let ms = obj
        .get(name)
        .and_then(Value::as_f64)
        .ok_or_else(|| Refused(format!("`{name}` must be a number")))?;
    if plausible_time(ms) {
        Ok(ms)
    } else {
        Err(Refused(format!("`{name}` is not a plausible time")))
    }
}

fn verdict_field(obj: &serde_json::Map<String, Value>) -> Result<Verdict, Refused> {
    let v = str_field(obj, "verdict")?;
    Verdict::parse(v).ok_or_else(|| Refused(format!("unknown verdict `{}`", clip(v, 20))))
}

fn card_facts(v: &Value) -> Result<CardFacts, Refused> {
    let obj = v
        .as_object()
        .ok_or_else(|| Refused("`card` must be an object".into()))?;
    let name = str_field(obj, "name")?.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(Refused("card name is empty or too long".into()));
    }
    let age = match obj.get("age") {
        None | Some(Value::Null) => None,
        Some(a) => {
            let n = a
                .as_u64()
                .ok_or_else(|| Refused("card age must be a whole number".into()))?;
            Some(
                u32::try_from(n)
                    .ok()
                    .filter(|n| (14..=130).contains(n))
                    .ok_or_else(|| Refused("card age is out of range".into()))?,
            )
        }
    };
    Ok(CardFacts {
        name: name.to_owned(),
        age,
    })
}

fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

impl TabMsg {
    /// Parse and validate one message from `content.js`.
    pub fn parse(v: &Value) -> Result<Self, Refused> {
        let obj = v
            .as_object()
            .ok_or_else(|| Refused("message must be an object".into()))?;
        let kind = str_field(obj, "kind")?;
        match kind {
            "token" => {
                let t = str_field(obj, "token")?;
                let ok = !t.is_empty()
                    && t.len() <= MAX_TOKEN_LEN
                    && t.bytes().all(|b| b.is_ascii_graphic());
                if ok {
                    Ok(TabMsg::Token(t.to_owned()))
                } else {
                    Err(Refused(
                        "token is empty, too long or has invalid characters".into(),
                    ))
                }
            }
            "recs" => {
                let body = obj.get("body").cloned().unwrap_or(Value::Null);
                let status = obj
                    .get("status")
                    .and_then(Value::as_u64)
                    .and_then(|s| u16::try_from(s).ok());
                let failed = status.is_some_and(|s| !(200..300).contains(&s));
                if !(body.is_object() || failed && body.is_null()) {
                    return Err(Refused("recs `body` must be a JSON object".into()));
                }
                Ok(TabMsg::Recs {
                    body,
                    at_ms: time_field(obj, "at_ms")?,
                    status,
                })
            }
            "profile" => {
                let body = obj.get("body").cloned().unwrap_or(Value::Null);
                if !body.is_object() {
                    return Err(Refused("profile `body` must be a JSON object".into()));
                }
                Ok(TabMsg::Profile {
                    body,
                    at_ms: time_field(obj, "at_ms")?,
                })
            }
            "matches" => {
                let body = obj.get("body").cloned().unwrap_or(Value::Null);
                if !body.is_object() {
                    return Err(Refused("matches `body` must be a JSON object".into()));
                }
                Ok(TabMsg::Matches {
                    body,
                    at_ms: time_field(obj, "at_ms")?,
                })
            }
            "swipe" => {
                let id = str_field(obj, "profile_id")?;
                if !plausible_id(id) {
                    return Err(Refused(format!("`{}` is not a profile id", clip(id, 80))));
                }
                // A request that failed (network error) has no status: 0, never a success.
                let status = obj
                    .get("status")
                    .and_then(Value::as_u64)
                    .and_then(|s| u16::try_from(s).ok())
                    .filter(|_| obj.get("failed") != Some(&Value::Bool(true)))
                    .or(Some(0));
                let response = obj.get("response").filter(|r| r.is_object()).cloned();
                Ok(TabMsg::Swipe {
                    profile_id: id.to_owned(),
                    verdict: verdict_field(obj)?,
                    at_ms: time_field(obj, "at_ms")?,
                    status,
                    response,
                })
            }
            "card" => match obj.get("card") {
                None | Some(Value::Null) => Ok(TabMsg::Card(None)),
                Some(c) => Ok(TabMsg::Card(Some(card_facts(c)?))),
            },
            "label" => {
                let card = card_facts(obj.get("card").unwrap_or(&Value::Null))?;
                Ok(TabMsg::Label {
                    verdict: verdict_field(obj)?,
                    card,
                })
            }
            "dialogs" => {
                let list = obj.get("dialogs");
                if !list.is_some_and(Value::is_array) {
                    return Err(Refused("`dialogs` must be a list".into()));
                }
                Ok(TabMsg::Dialogs(dialogs::parse_dialogs(list)))
            }
            "gamepad" => Ok(TabMsg::Gamepad(dialogs::parse_buttons(obj.get("buttons")))),
            "visibility" => obj
                .get("visible")
                .and_then(Value::as_bool)
                .map(TabMsg::Visibility)
                .ok_or_else(|| Refused("`visible` must be true or false".into())),
            "auth_lost" => Ok(TabMsg::AuthLost),
            other => Err(Refused(format!(
                "unknown message kind `{}`",
                clip(other, 40)
            ))),
        }
    }
}

/// What the overlay shows for the label of the card's profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelView {
    pub verdict: Verdict,
    /// `pending` (waiting for the host's ack) or `saved` (acknowledged: in the store).
    pub state: &'static str,
    /// `overlay` or `swipe`.
    pub source: &'static str,
}

/// What the score badge shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BadgeView {
    /// `score`, `learning`, `scoring`, `unknown`, `offline`.
    pub state: &'static str,
    /// Short text, e.g. `73%`.
    pub text: String,
    /// Hover text (parts and model version).
    pub title: String,
    /// P(like) when known.
    pub p_like: Option<f64>,
    /// Per-part scores, when scored.
    pub parts: Option<Parts>,
    /// Model version of the score, when scored.
    pub model_version: Option<u32>,
}

/// An auto-swipe decision shown on the card.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionView {
    /// `like` or `nope`.
    pub verdict: Verdict,
    pub score: f64,
    /// `above_threshold`, `below_threshold`, `pass_floor`.
    pub reason: &'static str,
    /// e.g. `dry run: like (73% ≥ 60%)`.
    pub text: String,
    pub dry_run: bool,
}

/// Auto-swipe state shown on the card.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AutoCardView {
    /// `off`, `running`, `stopped`.
    pub state: &'static str,
    /// The stop reason in plain words (when stopped), else the status line.
    pub message: String,
}

/// The gamepad button to click: its place in the last `gamepad` report and what it looked
/// like then (the content script clicks only when both still agree).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClickTarget {
    pub index: u32,
    pub text: String,
    pub class: String,
}

/// Worker → tab. Built and serialized at once, never stored in bulk: the size difference
/// between variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ToTab {
    /// Everything the overlay needs for the current top card.
    CardInfo {
        name: String,
        age: Option<u32>,
        /// The profile the card was matched to; `None` when it could not be matched yet
        /// (the overlay buttons are disabled then).
        profile_id: Option<String>,
        label: Option<LabelView>,
        badge: BadgeView,
        host_connected: bool,
        /// Auto-swipe's decision for this profile, when one was made.
        decision: Option<DecisionView>,
        auto: AutoCardView,
    },
    /// Auto-swipe: press `key` on the page if the top card is still `profile_id`; with
    /// `click`, click that button of the gamepad report instead (the one retry).
    Press {
        profile_id: String,
        key: &'static str,
        click: Option<ClickTarget>,
    },
    /// A label could not be recorded (plain words for the user).
    LabelRefused { message: String },
}

#[cfg(test)]
#[path = "page_tests.rs"]
mod tests;
