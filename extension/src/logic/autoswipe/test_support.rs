//! Helpers shared by the auto-swipe tests: cards, machines with the fast settings, and a
//! simulated page that confirms each press.

pub(super) use serde_json::json;

pub(super) use super::*;

/// 2025-11-28 12:00:00 UTC.
pub(super) const T0: f64 = 1_764_331_200_000.0;

pub(super) const MIN: f64 = 60_000.0;

/// How long the simulated page takes from a key press to its own like/pass call.
pub(super) const LATENCY: f64 = 250.0;

pub(super) fn card(id: &str, name: &str, p: f64) -> Card {
    Card {
        profile_id: id.into(),
        name: Some(name.into()),
        score: CardScore::Known(p),
    }
}

thread_local! {
    static NEXT_CARD: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Cards with these scores; ids `p0`, `p1`, ... continue across decks within a test.
pub(super) fn deck(scores: &[f64]) -> Vec<Card> {
    scores
        .iter()
        .map(|p| {
            let i = NEXT_CARD.with(|n| n.replace(n.get() + 1));
            card(&format!("p{i}"), &format!("N{i}"), *p)
        })
        .collect()
}

pub(super) fn fast() -> Settings {
    Settings::fast_test()
}

pub(super) fn machine(s: Settings) -> AutoSwipe {
    AutoSwipe::new(s, 42)
}

/// The fast preset without delays: a card is pressed as soon as it is shown.
pub(super) fn quick() -> AutoSwipe {
    machine(Settings {
        delay_min_ms: 0.0,
        delay_max_ms: 0.0,
        ..fast()
    })
}

/// [`quick`], switched off until the test switches it on.
pub(super) fn quick_off() -> AutoSwipe {
    let mut a = quick();
    a.handle(Event::SetEnabled(false), T0 - MIN);
    a
}

pub(super) fn stops(cmds: &[Command]) -> Vec<String> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Stop { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

pub(super) fn presses(cmds: &[Command]) -> Vec<(String, Verdict, &'static str)> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Press {
                profile_id,
                verdict,
                key,
                ..
            } => Some((profile_id.clone(), *verdict, *key)),
            _ => None,
        })
        .collect()
}

/// The retry clicks among `cmds`: (profile, verdict).
pub(super) fn clicks(cmds: &[Command]) -> Vec<(String, Verdict)> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Press {
                profile_id,
                verdict,
                click: true,
                ..
            } => Some((profile_id.clone(), *verdict)),
            _ => None,
        })
        .collect()
}

pub(super) fn wake(cmds: &[Command]) -> Option<f64> {
    cmds.iter().rev().find_map(|c| match c {
        Command::WaitUntil(t) => Some(*t),
        _ => None,
    })
}

pub(super) fn swiped(id: &str, verdict: Verdict, response: Option<LikeOutcome>) -> Event {
    Event::PageSwiped {
        profile_id: id.into(),
        verdict,
        status: Some(200),
        response,
    }
}

/// What a simulated run saw: every command with the time it was issued.
#[derive(Default)]
pub(super) struct Run {
    pub(super) log: Vec<(f64, Command)>,
}

impl Run {
    pub(super) fn presses(&self) -> Vec<(f64, String, Verdict)> {
        self.log
            .iter()
            .filter_map(|(t, c)| match c {
                Command::Press {
                    profile_id,
                    verdict,
                    ..
                } => Some((*t, profile_id.clone(), *verdict)),
                _ => None,
            })
            .collect()
    }
    pub(super) fn records(&self) -> Vec<(Decision, bool, f64)> {
        self.log
            .iter()
            .filter_map(|(_, c)| match c {
                Command::Record {
                    decision,
                    matched,
                    at_ms,
                } => Some((decision.clone(), *matched, *at_ms)),
                _ => None,
            })
            .collect()
    }
    pub(super) fn stops(&self) -> Vec<(StopReason, String)> {
        self.log
            .iter()
            .filter_map(|(_, c)| match c {
                Command::Stop { reason, message } => Some((reason.clone(), message.clone())),
                _ => None,
            })
            .collect()
    }
}

/// A page that swipes its top card when a key is pressed, answers likes with
/// `likes_remaining`, shows the next card, and fires timers when asked. Runs until stopped,
/// `max_presses` presses, or nothing is left to wait for.
pub(super) fn drive(a: &mut AutoSwipe, now: &mut f64, cards: Vec<Card>, max_presses: usize) -> Run {
    drive_from(a, now, cards, max_presses, None)
}

/// [`drive`], with `first` handled right after the first card is shown.
pub(super) fn drive_from(
    a: &mut AutoSwipe,
    now: &mut f64,
    cards: Vec<Card>,
    max_presses: usize,
    first: Option<Event>,
) -> Run {
    let mut deck: VecDeque<Card> = cards.into();
    let mut run = Run::default();
    let mut likes_left = 100u32;
    let mut queue = a.handle(Event::TopCard(deck.front().cloned()), *now);
    if let Some(ev) = first {
        queue.extend(a.handle(ev, *now));
    }
    for _ in 0..100_000 {
        let mut timer = None;
        let mut pressed = None;
        for c in queue.drain(..) {
            match &c {
                Command::WaitUntil(t) => timer = Some(*t),
                Command::Press { verdict, .. } => pressed = Some(*verdict),
                _ => {}
            }
            run.log.push((*now, c));
        }
        if let Some(verdict) = pressed {
            *now += LATENCY;
            let top = deck.pop_front().expect("a card was pressed");
            let response = (verdict == Verdict::Like).then(|| {
                likes_left -= 1;
                LikeOutcome {
                    likes_remaining: Some(i64::from(likes_left)),
                    ..Default::default()
                }
            });
            queue = a.handle(swiped(&top.profile_id, verdict, response), *now);
            queue.extend(a.handle(Event::TopCard(deck.front().cloned()), *now));
            continue;
        }
        if !a.settings().enabled || run.presses().len() >= max_presses {
            break;
        }
        match timer {
            Some(t) => {
                *now = now.max(t);
                queue = a.handle(Event::Tick, *now);
            }
            None => break,
        }
    }
    run
}

/// Show the first card, switch on at `now` and run over `cards`.
pub(super) fn enable_and_drive(
    a: &mut AutoSwipe,
    now: &mut f64,
    cards: Vec<Card>,
    max: usize,
) -> Run {
    drive_from(a, now, cards, max, Some(Event::SetEnabled(true)))
}
