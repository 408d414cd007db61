use super::*;

#[test]
fn backoff_doubles_from_one_second_up_to_a_minute() {
    let got: Vec<f64> = (1..=9).map(|n| backoff_ms(n, 0.0)).collect();
    assert_eq!(got, [1e3, 2e3, 4e3, 8e3, 16e3, 32e3, 60e3, 60e3, 60e3]);
    assert_eq!(backoff_ms(u32::MAX, 0.0), 60e3);
    let j = backoff_ms(3, 1.0);
    assert!((4_000.0..=4_800.0).contains(&j), "{j}");
    assert_eq!(backoff_ms(3, 7.0), backoff_ms(3, 1.0), "jitter is clamped");
}

#[test]
fn a_fresh_worker_connects_at_once() {
    let c = Conn::new();
    assert!(c.should_connect(0.0, false));
    assert!(c.is_disconnected());
}

#[test]
fn hello_answer_makes_it_ready_and_resets_attempts() {
    let mut c = Conn::new();
    c.lost("Native host has exited.", 0.0, 0.0);
    c.lost("Native host has exited.", 1_000.0, 0.0);
    assert_eq!(c.attempts, 2);
    c.opened(7, 5_000.0);
    assert!(
        !c.hello_answered(6, "1".into(), None),
        "an answer to another request"
    );
    assert!(!c.is_ready());
    assert!(c.hello_answered(7, "0.1.0".into(), Some(3)));
    assert!(c.is_ready());
    assert_eq!(c.attempts, 0);
    assert_eq!(c.last_error, None);
    c.set_model_version(4);
    assert_eq!(
        c.state,
        ConnState::Ready {
            host_version: "0.1.0".into(),
            model_version: Some(4)
        }
    );
}

#[test]
fn a_lost_port_retries_after_the_backoff() {
    let mut c = Conn::new();
    c.opened(1, 0.0);
    let d = c.lost("Specified native messaging host not found.", 10_000.0, 0.0);
    assert_eq!(d, 1_000.0);
    assert!(!c.should_connect(10_500.0, false));
    assert!(c.should_connect(11_000.0, false));
    assert_eq!(c.next_deadline(), Some(11_000.0));
    assert_eq!(
        c.last_error.as_deref(),
        Some("Specified native messaging host not found.")
    );
}

#[test]
fn waking_up_retries_early_only_when_the_retry_is_far_away() {
    let mut c = Conn::new();
    for _ in 0..7 {
        c.lost("x", 0.0, 0.0);
    }
    // Next retry in 60 s: a wake-up (tab opened, browser started) tries now.
    assert!(c.should_connect(1_000.0, true));
    assert!(!c.should_connect(1_000.0, false));
    let mut c = Conn::new();
    c.lost("x", 0.0, 0.0);
    assert!(
        !c.should_connect(100.0, true),
        "a retry 1 s away is not hurried"
    );
}

#[test]
fn a_silent_host_times_out() {
    let mut c = Conn::new();
    c.opened(1, 1_000.0);
    assert!(!c.handshake_expired(1_000.0 + HANDSHAKE_TIMEOUT_MS - 1.0));
    assert!(c.handshake_expired(1_000.0 + HANDSHAKE_TIMEOUT_MS));
    assert!(
        !c.should_connect(1e9, true),
        "no second port while one is open"
    );
}
