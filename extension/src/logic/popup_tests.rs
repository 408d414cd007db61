use super::*;

fn stats(likes: u32, nopes: u32) -> Stats {
    Stats {
        profiles: 120,
        profiles_today: 30,
        labels: likes + nopes,
        labels_today: 4,
        likes,
        nopes,
        ..Stats::default()
    }
}

#[test]
fn connected_view_shows_counts_and_balance() {
    let mut c = Conn::new();
    c.opened(1, 0.0);
    c.hello_answered(1, "0.3.1".into(), None);
    let v = view(&c, Some(&stats(31, 69)), 2, None);
    assert_eq!(v.connection, "connected");
    assert!(v.connection_text.contains("0.3.1"));
    assert_eq!((v.profiles_today, v.profiles_total), (Some(30), Some(120)));
    assert_eq!((v.labels_today, v.labels_total), (Some(4), Some(100)));
    assert_eq!(v.balance_text, "31 % like · 69 % nope (31 / 69)");
    assert_eq!(v.waiting, 2);
    assert!(!v.auto_swipe_available);
    assert_eq!(v.auto_swipe_note, "Available once a model is trained.");
}

#[test]
fn no_labels_and_no_stats_are_said_plainly() {
    let v = view(&Conn::new(), Some(&stats(0, 0)), 0, None);
    assert_eq!(v.balance_text, "no labels yet");
    let v = view(&Conn::new(), None, 0, None);
    assert_eq!(v.profiles_total, None);
    assert_eq!(v.balance_text, "unknown until the Swipy app answers");
}

#[test]
fn a_missing_host_is_explained_in_plain_words() {
    let mut c = Conn::new();
    c.lost("Specified native messaging host not found.", 0.0, 0.0);
    let v = view(&c, None, 0, None);
    assert_eq!(v.connection, "disconnected");
    assert!(
        v.connection_text.contains("not installed"),
        "{}",
        v.connection_text
    );
    assert!(v.connection_text.contains("swipy install"));
    assert!(
        host_error_words("Access to the specified native messaging host is forbidden.")
            .contains("does not allow")
    );
    assert!(host_error_words("Native host has exited.").contains("stopped"));
}

#[test]
fn host_errors_name_the_cause() {
    let e = ErrorBody::new(ErrorCode::Storage, "disk full");
    let w = error_body_words(&e);
    assert!(
        w.contains("could not save") && w.contains("disk full"),
        "{w}"
    );
}

#[test]
fn the_auto_swipe_note_counts_the_users_own_swipes_too() {
    use crate::logic::auto::AutoDriver;
    use swipy_shared::protocol::Verdict;
    let t0 = 1_764_331_200_000.0;
    let mut auto = AutoDriver::new(1);
    auto.machine
        .swiped_elsewhere("aaa1", Verdict::Like, Some(200), None, t0);
    auto.machine
        .swiped_elsewhere("bbb2", Verdict::Nope, Some(200), None, t0);
    let mut v = view(&Conn::new(), Some(&stats(1, 1)), 0, None);
    add_autoswipe(&mut v, true, &auto, t0 + 1000.0);
    assert!(v.auto_swipe_available);
    assert_eq!(
        v.auto_swipe_note,
        "1 of 50 likes used in the last 12 h · 2 of 300 swipes in 24 h (yours and Swipy's)"
    );
}
