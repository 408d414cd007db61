//! The counts that the popup, the dashboard and `swipy stats` show, defined once.
//!
//! Every count is of profiles, never of label events: `labels` is the number of profiles
//! with a label (the latest one counts), `labels_today` the number of distinct profiles
//! labelled since the start of the UTC day (a profile relabelled three times today is one).
//! So "profiles labelled today" can never exceed "profiles labelled in total".

use swipy_shared::protocol::Stats;

use crate::store::{Store, StoreError};

/// [`Store::stats`] with `labels_today` counted in profiles.
pub fn stats(store: &Store, now_ms: f64) -> Result<Stats, StoreError> {
    let mut s = store.stats(now_ms)?;
    let today = (now_ms / 86_400_000.0).floor() * 86_400_000.0;
    s.labels_today = store.conn().query_row(
        "SELECT count(DISTINCT profile_id) FROM labels WHERE stored_at >= ?1",
        [today],
        |r| r.get(0),
    )?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{now_ms, NewLabel};
    use swipy_shared::protocol::{LabelSource, Verdict};

    fn label<'a>(id: &'a str, verdict: Verdict, key: &'a str) -> NewLabel<'a> {
        NewLabel {
            profile_id: id,
            verdict,
            source: LabelSource::Overlay,
            at_ms: now_ms(),
            key,
        }
    }

    #[test]
    fn profiles_labelled_today_count_profiles_not_label_events() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(dir.path()).expect("open");
        for (id, verdict, key) in [
            ("aaa1", Verdict::Like, "k1"),
            ("aaa1", Verdict::Nope, "k2"),
            ("aaa1", Verdict::Like, "k3"),
            ("bbb2", Verdict::Nope, "k4"),
        ] {
            assert!(store.add_label(&label(id, verdict, key)).expect("label"));
        }
        let s = stats(&store, now_ms()).expect("stats");
        assert_eq!(s.labels, 2, "two profiles carry a label");
        assert_eq!(s.labels_today, 2, "two profiles were labelled today");
        assert_eq!((s.likes, s.nopes), (1, 1));
        // Tomorrow nothing was labelled "today"; the total stays.
        let tomorrow = stats(&store, now_ms() + 86_400_000.0).expect("stats");
        assert_eq!((tomorrow.labels, tomorrow.labels_today), (2, 0));
    }
}
