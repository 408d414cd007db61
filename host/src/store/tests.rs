use sha2::{Digest, Sha256};
use swipy_shared::protocol::{LabelSource, Metrics, ScoreState};
use swipy_shared::tinder::{Photo, Profile};

use super::*;

fn profile(id: &str, name: &str, photos: usize) -> Profile {
    Profile {
        id: id.into(),
        name: name.into(),
        age: Some(29),
        birth_date: None,
        bio: format!("bio of {name}"),
        distance_km: Some(4.2),
        hide_age: false,
        hide_distance: false,
        gender: Some(1),
        photos: (0..photos)
            .map(|i| Photo {
                id: Some(format!("{id}-p{i}")),
                url: format!("https://images-ssl.gotinder.com/{id}/{i}.jpg"),
                best_url: format!("https://images-ssl.gotinder.com/{id}/640x800_{i}.jpg"),
                faces: Vec::new(),
            })
            .collect(),
        jobs: vec!["Nurse".into()],
        schools: Vec::new(),
        city: Some("Graz".into()),
        interests: vec!["Hiking".into()],
        descriptors: Vec::new(),
        teasers: Vec::new(),
        s_number: Some(42.0),
        raw: serde_json::json!({"user": {"_id": id, "unknown_field": [1, 2]}}),
    }
}

fn label<'a>(id: &'a str, v: Verdict, at: f64, key: &'a str) -> NewLabel<'a> {
    NewLabel {
        profile_id: id,
        verdict: v,
        source: LabelSource::Overlay,
        at_ms: at,
        key,
    }
}

#[test]
fn open_creates_a_migrated_wal_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = Store::open(dir.path()).expect("open");
    assert_eq!(s.journal_mode().expect("mode"), "wal");
    assert_eq!(
        s.schema_version().expect("v"),
        migrations::MIGRATIONS.len() as i64
    );
    assert!(dir.path().join(DB_FILE).is_file());
    drop(s);
    // Reopening an up-to-date database runs nothing and keeps the version.
    let s = Store::open(dir.path()).expect("reopen");
    assert_eq!(
        s.schema_version().expect("v"),
        migrations::MIGRATIONS.len() as i64
    );
}

#[test]
fn a_database_from_a_newer_build_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(Store::open(dir.path()).expect("open"));
    let conn = Connection::open(dir.path().join(DB_FILE)).expect("raw");
    conn.pragma_update(None, "user_version", 999).expect("bump");
    drop(conn);
    let err = Store::open(dir.path()).err().expect("must refuse");
    assert!(err.to_string().contains("newer"), "{err}");
}

#[test]
fn ingesting_the_same_profiles_twice_duplicates_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = Store::open(dir.path()).expect("open");
    let ps = vec![profile("aaa1", "Anna", 3), profile("bbb2", "Bea", 1)];
    let first = s.ingest(&ps, 1, false, 1000.0, "test").expect("ingest");
    assert_eq!((first.profiles, first.new_profiles), (2, 2));
    assert_eq!(first.to_fetch.len(), 4);
    assert_eq!(
        first.to_fetch[0].url,
        "https://images-ssl.gotinder.com/aaa1/640x800_0.jpg"
    );
    let second = s.ingest(&ps, 1, false, 2000.0, "test").expect("again");
    assert_eq!((second.profiles, second.new_profiles), (2, 0));
    let count = |sql: &str| -> u32 { s.conn().query_row(sql, [], |r| r.get(0)).expect("count") };
    assert_eq!(count("SELECT count(*) FROM profiles"), 2);
    assert_eq!(count("SELECT count(*) FROM photos"), 4);
    let (first_seen, last_seen, times): (f64, f64, u32) = s
        .conn()
        .query_row(
            "SELECT first_seen, last_seen, times_seen FROM profiles WHERE id='aaa1'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("row");
    assert_eq!((first_seen, last_seen, times), (1000.0, 2000.0, 2));
    let raw: String = s
        .conn()
        .query_row("SELECT raw FROM profiles WHERE id='aaa1'", [], |r| r.get(0))
        .expect("raw");
    assert!(
        raw.contains("unknown_field"),
        "raw JSON keeps unknown fields: {raw}"
    );
}

#[test]
fn fetched_photos_are_not_fetched_again_and_fewer_photos_shrink_the_list() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = Store::open(dir.path()).expect("open");
    let p = profile("aaa1", "Anna", 2);
    s.ingest(std::slice::from_ref(&p), 0, false, 1.0, "t")
        .expect("ingest");
    let photo = StoredPhoto {
        sha256: "ab".repeat(32),
        path: "photos/ab/x.jpg".into(),
        width: 640,
        height: 800,
        bytes: 10,
    };
    s.record_photo("aaa1", 0, &photo).expect("record");
    let again = s
        .ingest(std::slice::from_ref(&p), 0, false, 2.0, "t")
        .expect("again");
    assert_eq!(again.to_fetch.len(), 1, "only the photo not yet downloaded");
    assert_eq!(again.to_fetch[0].idx, 1);
    // A profile without a stored photo or a label follows its latest capture: a different
    // photo at index 0 (new photo id) is fetched, fewer photos shrink the list.
    let q = profile("bbb2", "Bea", 2);
    s.ingest(std::slice::from_ref(&q), 0, false, 1.0, "t")
        .expect("ingest");
    let mut changed = q.clone();
    changed.photos[0].id = Some("replaced".into());
    changed.photos[0].best_url = "https://images-ssl.gotinder.com/bbb2/new.jpg".into();
    let again = s
        .ingest(std::slice::from_ref(&changed), 0, false, 2.5, "t")
        .expect("changed");
    assert_eq!(
        again
            .to_fetch
            .iter()
            .map(|j| (j.idx, j.url.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (0, "https://images-ssl.gotinder.com/bbb2/new.jpg"),
            (1, "https://images-ssl.gotinder.com/bbb2/640x800_1.jpg")
        ]
    );
    let fewer = profile("bbb2", "Bea", 1);
    s.ingest(&[fewer], 0, false, 3.0, "t").expect("fewer");
    let rows = s.export_rows().expect("rows");
    let bea = rows.iter().find(|r| r.id == "bbb2").expect("bbb2");
    assert_eq!(bea.photos, 1);
}

/// A forged or replayed capture of `id`: other name, bio, raw JSON and photos.
fn forged(id: &str) -> Profile {
    let mut f = profile(id, "Mallory", 4);
    f.bio = "=HYPERLINK(\"http://evil.example\")".into();
    f.raw = serde_json::json!({"user": {"_id": id, "forged": true}});
    for ph in &mut f.photos {
        ph.id = Some(format!("{}-evil", ph.id.clone().unwrap_or_default()));
        ph.best_url = format!("{}?evil", ph.best_url);
    }
    f
}

/// (name, bio, raw, photo rows as (idx, photo_id, best_url, sha256)).
#[allow(clippy::type_complexity)]
fn profile_state(
    s: &Store,
    id: &str,
) -> (
    String,
    String,
    String,
    Vec<(u32, Option<String>, String, Option<String>)>,
) {
    let (name, bio, raw) = s
        .conn()
        .query_row(
            "SELECT name, bio, raw FROM profiles WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("profile");
    let mut stmt = s
        .conn()
        .prepare(
            "SELECT idx, photo_id, best_url, sha256 FROM photos WHERE profile_id = ?1 ORDER BY idx",
        )
        .expect("prepare");
    let photos = stmt
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("query")
        .collect::<Result<Vec<_>, _>>()
        .expect("rows");
    (name, bio, raw, photos)
}

#[test]
fn a_later_capture_never_overwrites_a_labelled_profile_or_one_with_stored_photos() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = Store::open(dir.path()).expect("open");
    let labelled = profile("lab1", "Lena", 2);
    let photographed = profile("pho2", "Pia", 2);
    s.ingest(
        &[labelled.clone(), photographed.clone()],
        0,
        false,
        1.0,
        "extension",
    )
    .expect("first capture");
    s.add_label(&label("lab1", Verdict::Like, 5.0, "k1"))
        .expect("label");
    let photo = StoredPhoto {
        sha256: "cd".repeat(32),
        path: "photos/cd/y.jpg".into(),
        width: 640,
        height: 800,
        bytes: 10,
    };
    s.record_photo("pho2", 0, &photo).expect("photo");
    let before_lab = profile_state(&s, "lab1");
    let before_pho = profile_state(&s, "pho2");

    // A forged page, then the same forged page replayed, then another forgery.
    for at in [10.0, 11.0, 12.0] {
        let out = s
            .ingest(&[forged("lab1"), forged("pho2")], 0, false, at, "extension")
            .expect("forged capture");
        assert_eq!((out.profiles, out.new_profiles, out.kept), (2, 0, 2));
        // Nothing from the forged page is queued for download.
        assert!(
            out.to_fetch.iter().all(|j| !j.url.contains("evil")),
            "{:?}",
            out.to_fetch
        );
    }
    let mut other = forged("lab1");
    other.name = "Eve".into();
    other.raw = serde_json::json!({"user": {"_id": "lab1", "forged": "again"}});
    s.ingest(&[other], 0, false, 13.0, "import-har")
        .expect("another forgery");

    // The first capture stays the truth: fields, raw JSON, photo URLs and stored files.
    assert_eq!(profile_state(&s, "lab1"), before_lab);
    assert_eq!(profile_state(&s, "pho2"), before_pho);
    assert_eq!(before_lab.0, "Lena");
    assert_eq!(before_pho.3.len(), 2);
    assert_eq!(before_pho.3[0].3.as_deref(), Some("cd".repeat(32).as_str()));
    assert_eq!(
        s.photo_files("pho2").expect("files"),
        vec![(0, "photos/cd/y.jpg".to_owned())]
    );
    let row: (f64, u32) = s
        .conn()
        .query_row(
            "SELECT last_seen, times_seen FROM profiles WHERE id = 'lab1'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("seen");
    assert_eq!(row, (13.0, 5), "sightings are still counted");

    // The history keeps every distinct capture (the replay once), flagged as not applied.
    let lab = s.captures("lab1").expect("captures");
    assert_eq!(lab.len(), 3, "{lab:?}");
    assert!(
        lab[0].2 && lab[0].3.contains("unknown_field"),
        "first capture applied"
    );
    assert!(!lab[1].2 && lab[1].3.contains("forged"));
    assert_eq!((lab[2].1.as_str(), lab[2].2), ("import-har", false));
    assert!(lab[2].3.contains("forged"));
    assert_eq!(s.captures("pho2").expect("captures").len(), 2);

    // The label still points at what the user saw.
    assert_eq!(
        s.latest_label("lab1").expect("label"),
        Some((Verdict::Like, LabelSource::Overlay))
    );
}

#[test]
fn a_label_that_arrives_before_its_profile_keeps_the_first_capture() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = Store::open(dir.path()).expect("open");
    // Labels for profiles not seen yet are stored; the first capture then fills the profile.
    s.add_label(&label("early1", Verdict::Nope, 1.0, "k"))
        .expect("label");
    s.ingest(&[profile("early1", "Ida", 1)], 0, false, 2.0, "extension")
        .expect("first");
    s.ingest(&[forged("early1")], 0, false, 3.0, "extension")
        .expect("forged");
    assert_eq!(profile_state(&s, "early1").0, "Ida");
}

#[test]
fn captures_per_profile_are_bounded_and_the_first_stays() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = Store::open(dir.path()).expect("open");
    for i in 0..(MAX_CAPTURES_PER_PROFILE + 10) {
        let mut p = profile("many1", "Mia", 1);
        p.raw = serde_json::json!({"capture": i});
        s.ingest(&[p], 0, false, f64::from(i), "t").expect("ingest");
    }
    let caps = s.captures("many1").expect("captures");
    assert_eq!(caps.len() as u32, MAX_CAPTURES_PER_PROFILE);
    assert_eq!(caps[0].3, r#"{"capture":0}"#);
    assert_eq!(
        caps.last().map(|c| c.3.as_str()),
        Some(format!(r#"{{"capture":{}}}"#, MAX_CAPTURES_PER_PROFILE + 9).as_str())
    );
}

#[test]
fn at_most_nine_photos_per_profile_are_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = Store::open(dir.path()).expect("open");
    let out = s
        .ingest(&[profile("lots1", "Lou", 30)], 0, false, 1.0, "t")
        .expect("ingest");
    assert_eq!(MAX_PHOTOS_PER_PROFILE, 9);
    assert_eq!(out.to_fetch.len(), MAX_PHOTOS_PER_PROFILE);
    assert_eq!(
        out.to_fetch.iter().map(|j| j.idx).max(),
        Some(MAX_PHOTOS_PER_PROFILE as u32 - 1)
    );
    assert_eq!(s.photos_known().expect("known"), 9);
}

#[test]
fn every_connection_commits_with_synchronous_full() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = Store::open(dir.path()).expect("open");
    // 2 = FULL: in WAL mode each commit syncs the log, so an acknowledged label survives a
    // power loss (NORMAL = 1 may lose the last commits).
    assert_eq!(SYNCHRONOUS, "FULL");
    assert_eq!(s.synchronous().expect("pragma"), 2);
    s.add_label(&label("dur1", Verdict::Like, 1.0, "k"))
        .expect("label");
    assert_eq!(s.synchronous().expect("pragma after a label"), 2);
    // A second connection (the fetcher's, the inference thread's) gets the same.
    let other = Store::open(dir.path()).expect("second connection");
    assert_eq!(other.synchronous().expect("pragma"), 2);
}

#[test]
fn labels_keep_history_latest_wins_and_keys_are_idempotent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = Store::open(dir.path()).expect("open");
    assert!(s
        .add_label(&label("aaa1", Verdict::Like, 100.0, "k1"))
        .expect("1"));
    assert!(s
        .add_label(&label("aaa1", Verdict::Nope, 200.0, "k2"))
        .expect("2"));
    // Replays of k1 (even with other content) change nothing.
    assert!(!s
        .add_label(&label("aaa1", Verdict::Superlike, 300.0, "k1"))
        .expect("replay"));
    assert_eq!(s.label_history_len("aaa1").expect("n"), 2);
    assert_eq!(
        s.latest_label("aaa1").expect("l"),
        Some((Verdict::Nope, LabelSource::Overlay))
    );
    // An older label arriving late does not override the newer one.
    assert!(s
        .add_label(&label("aaa1", Verdict::Like, 150.0, "k3"))
        .expect("late"));
    assert_eq!(
        s.latest_label("aaa1").expect("l").map(|l| l.0),
        Some(Verdict::Nope)
    );
    assert_eq!(s.latest_label("zzz9").expect("none"), None);
}

#[test]
fn labels_survive_reopening() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let mut s = Store::open(dir.path()).expect("open");
        s.add_label(&label("aaa1", Verdict::Like, 1.0, "k1"))
            .expect("add");
    }
    let s = Store::open(dir.path()).expect("reopen");
    assert_eq!(
        s.latest_label("aaa1").expect("l").map(|l| l.0),
        Some(Verdict::Like)
    );
}

#[test]
fn swipes_log_label_and_match_in_one_go_and_replays_are_no_ops() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = Store::open(dir.path()).expect("open");
    let resp = serde_json::json!({"match": true, "likes_remaining": 99});
    let swipe = NewSwipe {
        kind: "seen",
        profile_id: "aaa1",
        verdict: Verdict::Like,
        source: LabelSource::Swipe,
        at_ms: 5.0,
        key: "sw-1",
        matched: Some(true),
        score: None,
        reason: None,
        response: Some(&resp),
    };
    assert!(s.record_swipe(&swipe, true).expect("first"));
    assert!(!s.record_swipe(&swipe, true).expect("replay"));
    assert_eq!(s.label_history_len("aaa1").expect("n"), 1);
    assert_eq!(
        s.latest_label("aaa1").expect("l"),
        Some((Verdict::Like, LabelSource::Swipe))
    );
    let st = s.stats(10.0).expect("stats");
    assert_eq!((st.matches, st.likes, st.labels), (1, 1, 1));
    // An auto-swipe result is logged without becoming a label.
    let result = NewSwipe {
        kind: "result",
        key: "sw-2",
        profile_id: "bbb2",
        matched: Some(false),
        response: None,
        ..swipe
    };
    assert!(s.record_swipe(&result, false).expect("result"));
    assert_eq!(s.label_history_len("bbb2").expect("n"), 0);
    let n: u32 = s
        .conn()
        .query_row("SELECT count(*) FROM swipes", [], |r| r.get(0))
        .expect("n");
    assert_eq!(n, 2);
}

#[test]
fn settings_merge_and_null_removes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = Store::open(dir.path()).expect("open");
    let mut m = Map::new();
    m.insert("threshold".into(), serde_json::json!(0.7));
    m.insert("auto.enabled".into(), serde_json::json!(false));
    let after = s.merge_settings(&m).expect("set");
    assert_eq!(after.get("threshold"), Some(&serde_json::json!(0.7)));
    let mut m2 = Map::new();
    m2.insert("threshold".into(), Value::Null);
    m2.insert("likes_cap".into(), serde_json::json!({"per_12h": 80}));
    let after = s.merge_settings(&m2).expect("set2");
    assert!(after.get("threshold").is_none());
    assert_eq!(after.get("auto.enabled"), Some(&serde_json::json!(false)));
    assert_eq!(s.settings().expect("get"), after);
}

#[test]
fn opening_the_store_removes_temp_photo_files_left_by_a_dead_process() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (sha, rel) = Store::write_photo_file(dir.path(), b"a photo", "jpg").expect("write");
    let sub = dir.path().join("photos").join(&sha[..2]);
    let stale = sub.join(".part-stale1");
    let fresh = sub.join(".part-fresh1");
    std::fs::write(&stale, b"half a pho").expect("stale");
    std::fs::write(&fresh, b"being writ").expect("fresh");
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .expect("open stale")
        .set_modified(an_hour_ago)
        .expect("age it");
    drop(Store::open(dir.path()).expect("open"));
    assert!(
        !stale.exists(),
        "a temp file from an hour ago is left behind"
    );
    assert!(
        fresh.exists(),
        "a temp file another process may be writing was removed"
    );
    assert_eq!(
        std::fs::read(dir.path().join(&rel)).expect("photo"),
        b"a photo",
        "a finished photo was touched"
    );
}

#[test]
fn photo_files_are_content_addressed_and_complete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = b"not really a jpeg but bytes".to_vec();
    let (sha, rel) = Store::write_photo_file(dir.path(), &bytes, "jpg").expect("write");
    assert_eq!(sha.len(), 64);
    assert_eq!(rel, format!("photos/{}/{}.jpg", &sha[..2], sha));
    assert_eq!(std::fs::read(dir.path().join(&rel)).expect("read"), bytes);
    // Writing the same bytes again reuses the file; no temp files are left behind.
    let (sha2, rel2) = Store::write_photo_file(dir.path(), &bytes, "jpg").expect("again");
    assert_eq!((sha2, rel2), (sha.clone(), rel));
    let names: Vec<String> = std::fs::read_dir(dir.path().join("photos").join(&sha[..2]))
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec![format!("{sha}.jpg")]);
    // Known sha256 of the bytes above, computed independently.
    assert_eq!(
        hex(&Sha256::digest(b"abc")),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn stats_and_export_reflect_the_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = Store::open(dir.path()).expect("open");
    let day = 86_400_000.0;
    let now = 20_000.0 * day + 3_600_000.0;
    s.ingest(
        &[profile("old1", "Olga", 1)],
        0,
        false,
        now - 2.0 * day,
        "t",
    )
    .expect("old");
    let mut hidden = profile("new2", "Nina", 2);
    hidden.age = None;
    hidden.distance_km = None;
    s.ingest(&[hidden], 0, false, now - 1000.0, "t")
        .expect("new");
    s.add_label(&label("old1", Verdict::Superlike, now, "k"))
        .expect("label");
    let st = s.stats(now).expect("stats");
    assert_eq!((st.profiles, st.profiles_today, st.photos), (2, 1, 0));
    assert_eq!((st.labels, st.superlikes, st.likes, st.nopes), (1, 1, 0, 0));
    assert_eq!(st.model_version, None);
    let rows = s.export_rows().expect("rows");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].id, "old1");
    assert_eq!(rows[0].label.as_deref(), Some("superlike"));
    assert_eq!(rows[1].age, None);
    assert_eq!(rows[1].distance_km, None);
    assert_eq!(rows[1].photos, 2);
    assert_eq!(rows[1].label, None);
}

#[test]
fn embeddings_and_models_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = Store::open(dir.path()).expect("open");
    s.put_embedding("sha-1", "sface", &[0.5, -1.25, 3.0])
        .expect("put");
    assert_eq!(
        s.get_embedding("sha-1", "sface").expect("get"),
        Some(vec![0.5, -1.25, 3.0])
    );
    assert_eq!(s.get_embedding("sha-1", "e5").expect("other model"), None);
    let m = Metrics {
        roc_auc: 0.71,
        n_like: 3,
        n_nope: 4,
        folds: 5,
        ..Metrics::default()
    };
    let v1 = s.add_model(&m, b"onnx-1", now_ms()).expect("m1");
    let v2 = s.add_model(&m, b"onnx-2", now_ms()).expect("m2");
    assert!(v2 > v1);
    let active = s.active_model().expect("active").expect("some");
    assert_eq!(
        (active.version, active.onnx.as_slice()),
        (v2, &b"onnx-2"[..])
    );
    assert_eq!(s.stats(0.0).expect("stats").model_version, Some(v2));
}

#[test]
fn two_processes_opening_a_fresh_store_at_once_both_succeed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_path_buf();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let p = path.clone();
            std::thread::spawn(move || Store::open(&p).map(|_| ()).map_err(|e| e.to_string()))
        })
        .collect();
    for t in threads {
        t.join().expect("join").expect("open");
    }
    let s = Store::open(&path).expect("open");
    assert_eq!(
        s.schema_version().expect("v"),
        migrations::MIGRATIONS.len() as i64
    );
}

#[test]
fn day_strings_are_utc_calendar_days() {
    assert_eq!(learning::day_string(0.0), "1970-01-01");
    assert_eq!(learning::day_string(951_782_400_000.0), "2000-02-29");
    assert_eq!(learning::day_string(1_795_867_200_000.0), "2026-11-28");
    assert_eq!(learning::day_string(1_795_910_399_999.0), "2026-11-28");
    assert_eq!(learning::day_string(1_795_910_400_000.0), "2026-11-29");
}

#[test]
fn history_profiles_page_and_scores_for_the_dashboard() {
    use swipy_shared::protocol::{Parts, Score};
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = Store::open(dir.path()).expect("open");
    let day1 = 1_795_867_200_000.0;
    s.ingest(
        &[
            profile("aaa1", "Anna", 1),
            profile("bbb2", "Bea", 0),
            profile("ddd4", "Dora", 0),
        ],
        0,
        false,
        day1,
        "test",
    )
    .expect("ingest");
    s.ingest(
        &[profile("ccc3", "Cleo", 0)],
        0,
        false,
        day1 + 86_400_000.0,
        "test",
    )
    .expect("ingest");
    let label = |s: &mut Store, id: &str, v: Verdict, src: LabelSource, key: &str| {
        s.add_label(&NewLabel {
            profile_id: id,
            verdict: v,
            source: src,
            at_ms: day1 + 1000.0,
            key,
        })
        .expect("label");
    };
    label(&mut s, "aaa1", Verdict::Like, LabelSource::Overlay, "k1");
    label(&mut s, "bbb2", Verdict::Like, LabelSource::Auto, "k2");
    label(&mut s, "ccc3", Verdict::Nope, LabelSource::Swipe, "k3");
    s.record_matches(&["bbb2".to_owned()], day1 + 5000.0)
        .expect("matches");
    // An auto like Tinder refused (out of likes) is a label, but not a like that could match.
    let refused = serde_json::json!({"status": 200, "match": false, "likes_remaining": 0,
        "rate_limited_until": day1 + 43_200_000.0});
    s.record_swipe(
        &NewSwipe {
            kind: "auto",
            profile_id: "ddd4",
            verdict: Verdict::Like,
            source: LabelSource::Auto,
            at_ms: day1 + 86_400_000.0 + 2000.0,
            key: "k4",
            matched: None,
            score: Some(0.9),
            reason: Some("0.90 ≥ 0.70"),
            response: Some(&refused),
        },
        true,
    )
    .expect("refused like");
    let score = |id: &str, p: f64| Score {
        id: id.into(),
        p_like: Some(p),
        parts: Parts::default(),
        model_version: Some(1),
        state: ScoreState::Ready,
    };
    s.save_scores(&[score("aaa1", 0.95), score("ccc3", 0.05)])
        .expect("scores");
    assert_eq!(
        s.last_score("aaa1").expect("s").expect("some").p_like,
        Some(0.95)
    );

    let h = s.history().expect("history");
    let days: Vec<(&str, u32)> = h.days.iter().map(|d| (d.day.as_str(), d.seen)).collect();
    assert_eq!(days, vec![("2026-11-28", 3), ("2026-11-29", 1)]);
    let d0 = &h.days[0];
    assert_eq!(
        (d0.likes_user, d0.nopes_user, d0.likes_auto, d0.matches),
        (1, 1, 1, 1)
    );
    assert_eq!(
        h.histogram.liked[9], 1,
        "p 0.95 of a liked profile in the top bin"
    );
    assert_eq!(h.histogram.passed[0], 1);
    assert_eq!(
        (h.match_rates.auto_likes, h.match_rates.auto_matches),
        (1, 1),
        "the refused like of ddd4 is not counted"
    );
    assert_eq!(h.match_rates.auto_rate, Some(1.0));
    assert_eq!(h.match_rates.user_rate, Some(0.0));

    let (total, rows) = s.profiles_page(2, 0, "all").expect("page");
    assert_eq!((total, rows.len()), (4, 2));
    assert_eq!(rows[0].0.id, "ccc3", "newest first");
    let (total, rows) = s.profiles_page(10, 0, "matched").expect("page");
    assert_eq!((total, rows[0].0.id.as_str()), (1, "bbb2"));
    assert!(rows[0].0.matched);
    let (total, _) = s.profiles_page(10, 0, "liked").expect("page");
    assert_eq!(total, 3);
    let (_, rows) = s.profiles_page(10, 0, "auto").expect("page");
    assert_eq!(rows[0].0.label_source, Some(LabelSource::Auto));
}

#[test]
fn labels_stored_while_a_model_trains_count_as_new() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = Store::open(dir.path()).expect("open");
    s.ingest(
        &[profile("aaa1", "Anna", 1), profile("bbb2", "Berta", 1)],
        0,
        false,
        1.0,
        "t",
    )
    .expect("ingest");
    s.add_label(&label("aaa1", Verdict::Like, 1.0, "k1"))
        .expect("l1");
    assert_eq!(
        s.labels_since_model().expect("new"),
        1,
        "no model yet: all labels are new"
    );
    // A training reads its labels, then a label arrives, then the model is committed.
    let as_of = now_ms();
    std::thread::sleep(std::time::Duration::from_millis(5));
    s.add_label(&label("bbb2", Verdict::Nope, 2.0, "k2"))
        .expect("l2");
    s.add_model(&Metrics::default(), b"onnx", as_of)
        .expect("model");
    assert_eq!(
        s.labels_since_model().expect("new"),
        1,
        "the label stored during the training was not in it"
    );
}
