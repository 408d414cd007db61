//! The dashboard page's port: its host requests are checked and relayed, the answers
//! come back to it.

use serde_json::{json, Value};
use swipy_shared::{Envelope, HostSetting, LabelSource, Request};

use super::{value, Action, Brain, Pending};

/// Requests a dashboard may relay to the host.
const DASHBOARD_TYPES: &[&str] = &[
    "stats",
    "history",
    "profiles",
    "train",
    "settings_get",
    "settings_set",
    "label",
    "scores",
];

impl Brain {
    pub(super) fn dashboard_conn(&self) -> Value {
        json!({
            "kind": "conn",
            "connected": self.conn.is_ready(),
            "model_version": self.conn.model_version(),
        })
    }

    /// `{kind: "host", req, type, data}`: relay one request to the host; the answer comes
    /// back as `{kind: "host_reply", req, msg}` (or `{..., error}`).
    pub(super) fn dashboard_message(
        &mut self,
        port: u32,
        msg: &Value,
        now_ms: f64,
        out: &mut Vec<Action>,
    ) {
        if msg.get("kind").and_then(Value::as_str) != Some("host") {
            return;
        }
        let req = msg.get("req").and_then(Value::as_f64).unwrap_or(0.0);
        let fail = |why: String| Action::Post {
            port,
            msg: json!({"kind": "host_reply", "req": req, "error": why}),
        };
        let kind = msg.get("type").and_then(Value::as_str).unwrap_or("");
        if !DASHBOARD_TYPES.contains(&kind) {
            out.push(fail(format!("the dashboard may not send `{kind}`")));
            return;
        }
        if !self.conn.is_ready() {
            out.push(fail("not connected to the Swipy app".into()));
            return;
        }
        let body = json!({"type": kind, "data": msg.get("data").cloned().unwrap_or(json!({}))});
        let request: Request = match serde_json::from_value(body) {
            Ok(r) => r,
            Err(e) => {
                out.push(fail(format!("bad `{kind}` request: {e}")));
                return;
            }
        };
        if let Request::Label { source, .. } = &request {
            if *source != LabelSource::Dashboard {
                out.push(fail("dashboard labels must have source `dashboard`".into()));
                return;
            }
        }
        if let Request::SettingsSet { values } = &request {
            // The dashboard's "Like threshold" is the auto-swipe threshold (the popup's too).
            if let Some(t) = values
                .get(HostSetting::Threshold.name())
                .and_then(Value::as_f64)
            {
                let mut patch = serde_json::Map::new();
                patch.insert("threshold".into(), json!(t));
                let base = self.auto.machine.settings().clone();
                if let Err(why) = self.patch_auto_settings(&base, &patch, now_ms, out) {
                    out.push(fail(format!("threshold: {why}")));
                    return;
                }
            }
        }
        let id = self.take_id();
        self.pending.insert(id, Pending::Dashboard { port, req });
        out.push(Action::ToHost(value(&Envelope::new(id, request))));
    }
}

#[cfg(test)]
mod tests;
