//! Start in any order: the card shown, its score arriving, auto-swipe switched on and the
//! worker restarting, in every order, through the whole brain (tab messages in, host
//! answers, timers). Whatever the order, the score that is there is used: exactly one press,
//! for the top card, with the key its score asks for, and no "no score" stop.

use serde_json::{json, Value};

use super::brain::{Action, Brain, PortKind};

const T0: f64 = 1_764_331_200_000.0;
const TAB: u32 = 1;
const POPUP: u32 = 2;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    CardShown,
    ScoreArrives,
    SwitchedOn,
    WorkerRestarted,
}

fn recs_body() -> Value {
    json!({"meta": {"status": 200}, "data": {"results": [
        {"type": "user", "user": {"_id": "aaa1", "name": "Lena", "birth_date": "1998-01-01T00:00:00Z"}},
        {"type": "user", "user": {"_id": "bbb2", "name": "Bea", "birth_date": "1995-01-01T00:00:00Z"}}
    ]}})
}

/// The browser, the page and the host around one brain.
struct Sim {
    b: Brain,
    now: f64,
    /// The page shows Lena's card.
    card_shown: bool,
    /// The host can score Lena (photos fetched).
    host_ready: bool,
    /// What content.js would replay after a worker restart.
    history: Vec<Value>,
    auto_due: Option<f64>,
    tick_due: Option<f64>,
    presses: Vec<Value>,
    next_host_id: u64,
}

impl Sim {
    fn new() -> Self {
        let mut s = Sim {
            b: Brain::new("chrome", 7),
            now: T0,
            card_shown: false,
            host_ready: false,
            history: Vec::new(),
            auto_due: None,
            tick_due: None,
            presses: Vec::new(),
            next_host_id: 1000,
        };
        s.boot();
        // The page loads and fetches recs (the hook reports them).
        let recs = json!({"kind": "recs", "body": recs_body(), "at_ms": T0});
        s.history.push(recs.clone());
        s.tab(&recs);
        s
    }

    /// A worker start: storage read, host connected, the tab's port (re)connected.
    fn boot(&mut self) {
        let a = self.b.start(Vec::new(), self.now);
        self.run(a);
        let a = self.b.host_opened(self.now);
        self.run(a);
        let a = self.b.port_connected(TAB, PortKind::Tab, self.now);
        self.run(a);
        let a = self.b.port_connected(POPUP, PortKind::Popup, self.now);
        self.run(a);
    }

    fn tab(&mut self, msg: &Value) {
        let a = self.b.port_message(TAB, msg, self.now);
        self.run(a);
    }

    fn host_reply(&mut self, re: u64, kind: &str, data: Value) -> Vec<Action> {
        self.next_host_id += 1;
        let msg = json!({"v": 1, "id": self.next_host_id, "re": re, "type": kind, "data": data});
        self.b.host_message(&msg, self.now)
    }

    fn lena_score(&self) -> Value {
        if self.host_ready {
            json!({"id": "aaa1", "p_like": 0.78, "model_version": 3, "state": "ready",
                   "parts": {"photo": 0.7, "face": null, "text": 0.4, "meta": 0.5}})
        } else {
            json!({"id": "aaa1", "p_like": null, "model_version": 3, "state": "pending",
                   "parts": {"photo": null, "face": null, "text": null, "meta": null}})
        }
    }

    /// Carries out the brain's actions, answering as the host would.
    fn run(&mut self, actions: Vec<Action>) {
        let mut queue: std::collections::VecDeque<Action> = actions.into();
        while let Some(a) = queue.pop_front() {
            match a {
                Action::ToHost(m) => {
                    let re = m["id"].as_u64().unwrap_or(0);
                    let more = match m["type"].as_str().unwrap_or("") {
                        "hello" => self.host_reply(
                            re,
                            "hello",
                            json!({"protocol": 1, "host_version": "0.0.0", "model_version": 3}),
                        ),
                        "scores" => {
                            let ids: Vec<String> = m["data"]["ids"]
                                .as_array()
                                .map(|v| {
                                    v.iter()
                                        .filter_map(|x| x.as_str().map(str::to_owned))
                                        .collect()
                                })
                                .unwrap_or_default();
                            let scores: Vec<Value> = ids
                                .iter()
                                .map(|id| {
                                    if id == "aaa1" {
                                        self.lena_score()
                                    } else {
                                        json!({"id": id, "p_like": null, "model_version": 3,
                                               "state": "pending", "parts": {}})
                                    }
                                })
                                .collect();
                            self.host_reply(re, "scores", json!({ "scores": scores }))
                        }
                        "recs" => self.host_reply(
                            re,
                            "ingested",
                            json!({"profiles": 2, "new_profiles": 0, "skipped": 0,
                                   "ids": ["aaa1", "bbb2"]}),
                        ),
                        "stats" => Vec::new(),
                        _ => {
                            let key = m["data"]["key"].clone();
                            self.host_reply(re, "ack", json!({ "key": key }))
                        }
                    };
                    queue.extend(more);
                }
                Action::Post { port: TAB, msg } if msg["kind"] == "press" => {
                    self.presses.push(msg);
                }
                Action::AutoTickIn(ms) => self.auto_due = Some(self.now + ms),
                Action::TickIn(ms) => self.tick_due = Some(self.now + ms),
                _ => {}
            }
        }
    }

    /// Lets `ms` pass, firing the timers the brain asked for.
    fn wait(&mut self, ms: f64) {
        let end = self.now + ms;
        while self.now < end {
            self.now += 50.0;
            if self.auto_due.is_some_and(|t| t <= self.now) {
                self.auto_due = None;
                let a = self.b.auto_tick(self.now);
                self.run(a);
            }
            if self.tick_due.is_some_and(|t| t <= self.now) {
                self.tick_due = None;
                let a = self.b.tick(self.now);
                self.run(a);
            }
        }
    }

    fn state(&mut self) -> Value {
        let mut out = Vec::new();
        let v = self
            .b
            .autoswipe_request(&json!({"kind": "autoswipe_state"}), self.now, &mut out);
        self.run(out);
        v
    }

    fn switch_on(&mut self) {
        let mut out = Vec::new();
        self.b.autoswipe_request(
            &json!({"kind": "autoswipe_preset", "preset": "fast_test"}),
            self.now,
            &mut out,
        );
        // The user's way: the popup's switch.
        let a = self.b.port_message(
            POPUP,
            &json!({"kind": "autoswipe_enable", "on": true}),
            self.now,
        );
        out.extend(a);
        self.run(out);
    }

    fn step(&mut self, s: Step) {
        match s {
            Step::CardShown => {
                self.card_shown = true;
                self.tab(&json!({"kind": "card", "card": {"name": "Lena", "age": 27}}));
            }
            Step::ScoreArrives => {
                self.host_ready = true;
                // The host pushes the score when the photos are ready.
                let score = self.lena_score();
                let a = self.b.host_message(
                    &json!({"v": 1, "id": 5000, "type": "scores", "data": {"scores": [score]}}),
                    self.now,
                );
                self.run(a);
            }
            Step::SwitchedOn => self.switch_on(),
            Step::WorkerRestarted => {
                let auto = self.state();
                self.b = Brain::new("chrome", 11);
                let settings = auto["settings"].clone();
                let a = self.b.load_autoswipe(Some(&settings), None);
                self.run(a);
                self.boot();
                // content.js reconnects: replays recs, its card and visibility.
                for m in self.history.clone() {
                    self.tab(&m);
                }
                if self.card_shown {
                    self.tab(&json!({"kind": "card", "card": {"name": "Lena", "age": 27}}));
                }
                self.tab(&json!({"kind": "visibility", "visible": true}));
                if self.host_ready {
                    // The new host process has the score stored; asking gets it.
                    let a = self.b.tick(self.now);
                    self.run(a);
                }
            }
        }
        self.wait(300.0);
    }
}

fn permutations(items: &[Step]) -> Vec<Vec<Step>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for i in 0..items.len() {
        let mut rest = items.to_vec();
        let first = rest.remove(i);
        for mut p in permutations(&rest) {
            p.insert(0, first);
            out.push(p);
        }
    }
    out
}

#[test]
fn every_order_of_card_score_switch_and_restart_swipes_lena_once_by_her_score() {
    let all = permutations(&[
        Step::CardShown,
        Step::ScoreArrives,
        Step::SwitchedOn,
        Step::WorkerRestarted,
    ]);
    assert_eq!(all.len(), 24);
    for order in all {
        let mut sim = Sim::new();
        let mut on_before_restart = false;
        for s in &order {
            if *s == Step::WorkerRestarted {
                on_before_restart = order.iter().position(|x| *x == Step::SwitchedOn)
                    < order.iter().position(|x| *x == Step::WorkerRestarted);
            }
            sim.step(*s);
        }
        let st = sim.state();
        if on_before_restart && sim.presses.is_empty() {
            // A restarted worker never resumes by itself: the user switches on again.
            assert_eq!(st["enabled"], false, "{order:?}: {st}");
            sim.switch_on();
        }
        // The fast preset waits 10 s for a score at most; the score is there.
        sim.wait(3_000.0);
        let st = sim.state();
        assert_eq!(
            st["last_stop"],
            Value::Null,
            "{order:?}: stopped ({})",
            st["status"]
        );
        assert_eq!(sim.presses.len(), 1, "{order:?}: {:?} {}", sim.presses, st);
        assert_eq!(sim.presses[0]["profile_id"], "aaa1", "{order:?}");
        assert_eq!(
            sim.presses[0]["key"], "ArrowRight",
            "{order:?}: 78% is a like"
        );
    }
}

#[test]
fn a_score_that_comes_late_is_used_before_the_wait_runs_out() {
    // Switched on with the card shown, the host still busy with the photos: the worker
    // asks again while it waits, and the score that arrives is used.
    let mut sim = Sim::new();
    sim.step(Step::CardShown);
    sim.step(Step::SwitchedOn);
    sim.wait(6_000.0);
    assert!(sim.presses.is_empty(), "no score yet: nothing is pressed");
    sim.host_ready = true; // no push: only a new request finds it
    sim.wait(3_000.0);
    let st = sim.state();
    assert_eq!(st["last_stop"], Value::Null, "{}", st["status"]);
    assert_eq!(sim.presses.len(), 1, "{st}");
    assert_eq!(sim.presses[0]["key"], "ArrowRight");
}
