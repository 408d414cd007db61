//! Fault injection: the host is SIGKILLed at random points while labels stream in with
//! the extension outbox's replay rules (and crash-loops: dies at start-up, then at its
//! first label, several starts in a row), while photos download and while a model trains.
//! Nothing acknowledged is lost, nothing is stored twice, partial files never become
//! photos, and the previous model stays in use. Panics on the host's worker threads are
//! logged and the host keeps serving.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::io::Write;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use swipy_host::store::Store;
use swipy_host::transport::encode_frame;
use swipy_shared::protocol::{decode_response, Envelope, Response};

use crate::catalogue::{CdnReply, RecCdn};
use crate::common::{exe, jpeg_for, spawn_framed, swipy, walk, EXT_ID};

/// A host process started as Chromium starts it, which the test may kill at any time.
struct Proc {
    child: Child,
    stdin: Option<ChildStdin>,
    frames: Receiver<Vec<u8>>,
}

impl Proc {
    fn start(home: &Path, env: &[(String, String)]) -> Proc {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let origin = format!("chrome-extension://{EXT_ID}/");
        let (mut child, frames) = spawn_framed(&[&origin], home, &env, Stdio::null());
        Proc {
            stdin: child.stdin.take(),
            child,
            frames,
        }
    }

    /// Sends one request; false when the pipe is gone (the host was killed).
    fn send(&mut self, id: u32, kind: &str, data: &Value) -> bool {
        let body = serde_json::to_vec(&json!({"v": 1, "id": id, "type": kind, "data": data}))
            .expect("json");
        match self.stdin.as_mut() {
            Some(s) => s
                .write_all(&encode_frame(&body))
                .and_then(|_| s.flush())
                .is_ok(),
            None => false,
        }
    }

    /// The next answer; `None` on timeout or when the host is gone.
    fn recv(&self, timeout: Duration) -> Option<Envelope<Response>> {
        match self.frames.recv_timeout(timeout) {
            Ok(f) => Some(decode_response(&f).expect("a response envelope")),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => None,
        }
    }

    fn try_recv(&self) -> Option<Envelope<Response>> {
        self.frames
            .try_recv()
            .ok()
            .map(|f| decode_response(&f).expect("a response envelope"))
    }

    /// Whether the process has ended (waits up to 5 s for it to finish dying).
    fn exited(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn sigkill(&mut self) {
        kill9(self.child.id());
        let _ = self.child.wait();
    }

    /// Closes stdin and waits for the exit; a signal is reported as `-signal`.
    fn close(mut self) -> i32 {
        use std::os::unix::process::ExitStatusExt;
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                return s.code().or(s.signal().map(|n| -n)).unwrap_or(i32::MIN);
            }
            assert!(Instant::now() < deadline, "the host did not exit after EOF");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn kill9(pid: u32) {
    let status = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("kill");
    let _ = status;
}

/// The last lines of the host's log (every start appends to it).
fn log_tail(home: &Path) -> String {
    let log = std::fs::read_to_string(home.join("logs/swipy.log")).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

fn integrity_ok(home: &Path) {
    let store = Store::open(home).expect("store opens after the kills");
    let check: String = store
        .conn()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(check, "ok");
}

/// Keys of every stored label → (profile id, verdict, number of rows with that key).
fn stored_labels(home: &Path) -> HashMap<String, (String, String)> {
    let store = Store::open(home).expect("store");
    let mut stmt = store
        .conn()
        .prepare("SELECT key, profile_id, verdict FROM labels")
        .expect("prepare");
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .expect("query");
    let mut out = HashMap::new();
    for row in rows {
        let (k, id, v) = row.expect("row");
        assert!(
            out.insert(k.clone(), (id, v)).is_none(),
            "key {k} stored twice"
        );
    }
    out
}

/// How a crash-loop start of the host ends.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Crash {
    /// SIGKILLed within a millisecond of its start (store opening, migrations, hello).
    AtStart,
    /// Dies by itself right after committing its first label, before the ack
    /// (`SWIPY_TEST_PANIC=label`).
    AtLabel,
}

/// Where the crash loops begin (labels made so far) and what each start does.
const CRASH_LOOPS_AT: [usize; 3] = [150, 500, 850];
const CRASH_LOOP: [Crash; 5] = [
    Crash::AtStart,
    Crash::AtStart,
    Crash::AtLabel,
    Crash::AtLabel,
    Crash::AtLabel,
];

/// One outbox entry: a label the user made.
#[derive(Clone)]
struct Entry {
    key: String,
    data: Value,
}

#[test]
fn a_thousand_labels_survive_random_sigkills_with_outbox_replay() {
    const TOTAL: usize = 1000;
    let seed = std::env::var("SWIPY_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    eprintln!("fault seed {seed} (rerun with SWIPY_FAULT_SEED={seed})");
    let mut rng = fastrand::Rng::with_seed(seed);
    let home = tempfile::tempdir().expect("home");

    let all: Vec<Entry> = (0..TOTAL)
        .map(|i| {
            let verdict = ["like", "nope", "superlike"][i % 3];
            let key = format!("outbox-{i:04}-{seed:x}");
            Entry {
                data: json!({"profile_id": format!("5d{i:022}"), "verdict": verdict,
                    "source": if i % 2 == 0 { "overlay" } else { "dashboard" },
                    "at_ms": 1_795_867_200_000.0_f64 + i as f64, "key": key}),
                key,
            }
        })
        .collect();
    // The outbox: entries stored, not yet acknowledged, in creation order.
    let mut outbox: BTreeMap<usize, Entry> = BTreeMap::new();
    let mut produced = 0usize;
    let mut acked: HashSet<String> = HashSet::new();
    let mut kills = 0u32;
    let mut replays = 0u32;
    let mut connections = 0u32;
    // Crash loops: starts still to crash in the current loop, loops begun, and how the
    // crash-loop starts ended.
    let mut crash_plan: VecDeque<Crash> = VecDeque::new();
    let mut loops_begun = 0usize;
    let (mut start_deaths, mut label_deaths) = (0u32, 0u32);

    while acked.len() < TOTAL {
        connections += 1;
        assert!(
            connections < 400,
            "no progress after {connections} connections"
        );
        if crash_plan.is_empty()
            && loops_begun < CRASH_LOOPS_AT.len()
            && produced >= CRASH_LOOPS_AT[loops_begun]
        {
            crash_plan.extend(CRASH_LOOP);
            loops_begun += 1;
        }
        let crash = crash_plan.pop_front();
        let env: Vec<(String, String)> = match crash {
            Some(Crash::AtLabel) => vec![("SWIPY_TEST_PANIC".into(), "label".into())],
            _ => Vec::new(),
        };
        let mut host = Proc::start(home.path(), &env);
        // Kill plan for this connection: after this many frames (0 = right at start,
        // maybe while the store opens), plus a random pause so the kill lands at any point
        // of reading, committing or answering. A crash-loop start that dies at start-up is
        // killed within a millisecond; one that dies at its first label is not killed.
        let kill_after = match crash {
            Some(Crash::AtStart) => Some(0),
            Some(Crash::AtLabel) => None,
            None if kills < 25 => Some(rng.usize(0..120)),
            None => None,
        };
        let pause = match crash {
            Some(Crash::AtStart) => Duration::from_micros(rng.u64(0..1000)),
            _ => Duration::from_micros(rng.u64(0..4000)),
        };
        let mut next_id = 1u32;
        let mut sent_frames = 0usize;
        let mut alive = host.send(next_id, "hello", &json!({"protocol": 1}));
        next_id += 1;
        // Everything waiting is replayed, in order, then new labels follow.
        let mut queue: Vec<usize> = outbox.keys().copied().collect();
        replays += queue.len() as u32;
        let mut qpos = 0;
        let mut in_flight = 0usize;
        let mut killed = false;
        while alive {
            if let Some(k) = kill_after {
                if sent_frames >= k {
                    std::thread::sleep(pause);
                    host.sigkill();
                    kills += 1;
                    if crash == Some(Crash::AtStart) {
                        start_deaths += 1;
                    }
                    killed = true;
                    break;
                }
            }
            // The user labels a few more profiles now and then.
            if produced < TOTAL && rng.u8(0..4) == 0 {
                let n = rng.usize(1..8).min(TOTAL - produced);
                for (i, e) in all.iter().enumerate().skip(produced).take(n) {
                    outbox.insert(i, e.clone());
                    queue.push(i);
                }
                produced += n;
            }
            // Answers that arrived: an ack removes the entry from the outbox.
            while let Some(r) = host.try_recv() {
                handle_answer(r, &mut outbox, &mut acked, &all, &mut in_flight);
            }
            if qpos < queue.len() {
                let i = queue[qpos];
                qpos += 1;
                if !outbox.contains_key(&i) {
                    continue;
                }
                alive = host.send(next_id, "label", &all[i].data);
                next_id += 1;
                sent_frames += 1;
                in_flight += 1;
                continue;
            }
            if in_flight > 0 {
                match host.recv(Duration::from_secs(20)) {
                    Some(r) => handle_answer(r, &mut outbox, &mut acked, &all, &mut in_flight),
                    None if crash == Some(Crash::AtLabel) && host.exited() => {
                        label_deaths += 1;
                        killed = true;
                        break;
                    }
                    None => {
                        panic!("the host stopped answering with {in_flight} requests in flight")
                    }
                }
                continue;
            }
            if produced == TOTAL && outbox.is_empty() {
                break;
            }
            // The next crash loop is due: this port closes (a browser restart) and the
            // next starts crash.
            if crash.is_none()
                && loops_begun < CRASH_LOOPS_AT.len()
                && produced >= CRASH_LOOPS_AT[loops_begun]
            {
                break;
            }
            std::thread::yield_now();
        }
        if !killed && crash == Some(Crash::AtLabel) && host.exited() {
            // Died on its label while the test was sending.
            label_deaths += 1;
            killed = true;
        }
        if killed {
            // Every acknowledged label is committed: nothing acked is ever lost.
            let stored = stored_labels(home.path());
            for k in &acked {
                assert!(
                    stored.contains_key(k),
                    "acked label {k} lost after a SIGKILL"
                );
            }
        } else if alive {
            let code = host.close();
            assert_eq!(code, 0, "the host's exit at the end of its input (negative: the signal that ended it); its log ends with:\n{}", log_tail(home.path()));
        }
    }
    eprintln!(
        "1000 labels: {connections} connections, {kills} SIGKILLs, {} crash loops of {} starts ({start_deaths} deaths at start-up, {label_deaths} at a committed but unacknowledged label), {replays} entries replayed",
        loops_begun,
        CRASH_LOOP.len()
    );
    assert!(kills >= 10, "the test killed the host only {kills} times");
    assert!(replays > 0, "nothing was ever replayed");
    assert_eq!(loops_begun, CRASH_LOOPS_AT.len(), "every crash loop ran");
    assert!(
        start_deaths >= 6,
        "the host died at start-up only {start_deaths} times"
    );
    assert!(
        label_deaths >= 6,
        "the host died at a label only {label_deaths} times"
    );

    // Exactly the 1,000 labels: no loss, no duplicates, the right content.
    let stored = stored_labels(home.path());
    assert_eq!(stored.len(), TOTAL);
    for e in &all {
        let (id, verdict) = stored.get(&e.key).expect("every label is stored");
        assert_eq!(id, e.data["profile_id"].as_str().expect("id"));
        assert_eq!(verdict, e.data["verdict"].as_str().expect("verdict"));
    }
    let (code, out, err) = swipy(home.path(), &["stats", "--json"], &[]);
    assert_eq!(code, 0, "{err}");
    let st: swipy_shared::protocol::Stats = serde_json::from_str(out.trim()).expect("stats");
    assert_eq!(st.labels as usize, TOTAL);
    assert_eq!((st.likes + st.nopes + st.superlikes) as usize, TOTAL);
    integrity_ok(home.path());
}

fn handle_answer(
    r: Envelope<Response>,
    outbox: &mut BTreeMap<usize, Entry>,
    acked: &mut HashSet<String>,
    all: &[Entry],
    in_flight: &mut usize,
) {
    match r.body {
        Response::Hello { .. } => {}
        Response::Ack { key: Some(key) } => {
            *in_flight = in_flight.saturating_sub(1);
            let idx = all
                .iter()
                .position(|e| e.key == key)
                .expect("acked key is ours");
            outbox.remove(&idx);
            acked.insert(key);
        }
        other => panic!("unexpected answer to a label: {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------

fn sha_hex(bytes: &[u8]) -> String {
    swipy_host::store::hex(&Sha256::digest(bytes))
}

/// Stored photo rows: (path, sha256, bytes).
fn photo_rows(home: &Path) -> Vec<(String, String, i64)> {
    let store = Store::open(home).expect("store");
    let mut stmt = store
        .conn()
        .prepare("SELECT path, sha256, bytes FROM photos WHERE sha256 IS NOT NULL")
        .expect("prepare");
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query");
    rows.map(|r| r.expect("row")).collect()
}

/// Rows point at complete files whose content matches; files are complete and, unless
/// `allow_orphans`, referenced by a row. Returns the count of temp files left behind.
fn check_photos(home: &Path, allow_orphans: bool) -> usize {
    let rows = photo_rows(home);
    let referenced: HashSet<String> = rows.iter().map(|(p, _, _)| p.clone()).collect();
    for (path, sha, bytes) in &rows {
        let data = std::fs::read(home.join(path))
            .unwrap_or_else(|e| panic!("row points at {path}, which cannot be read: {e}"));
        assert_eq!(
            data.len() as i64,
            *bytes,
            "{path}: size differs from the row"
        );
        assert_eq!(
            &sha_hex(&data),
            sha,
            "{path}: content differs from its sha256"
        );
        assert!(
            swipy_host::fetch::check_image(&data).is_ok(),
            "{path}: not a complete image"
        );
    }
    let mut temp = 0;
    for f in walk(&home.join("photos")) {
        let rel = f
            .strip_prefix(home)
            .expect("under home")
            .to_string_lossy()
            .into_owned();
        let name = f.file_name().expect("name").to_string_lossy().into_owned();
        if name.starts_with(".part") {
            assert!(
                !referenced.contains(&rel),
                "a row points at temp file {rel}"
            );
            temp += 1;
            continue;
        }
        let data = std::fs::read(&f).expect("read");
        let stem = f.file_stem().expect("stem").to_string_lossy().into_owned();
        assert_eq!(
            sha_hex(&data),
            stem,
            "{rel} is not the complete file its name promises"
        );
        if !allow_orphans {
            assert!(
                referenced.contains(&rel),
                "{rel} is in photos/ without a row"
            );
        }
    }
    temp
}

#[test]
fn sigkill_during_photo_downloads_leaves_no_partial_photo() {
    // Photos of ~40-80 KB dripped in 4 KiB pieces: each takes a few hundred ms, so kills
    // land while bodies stream, between download and write, and during writes.
    let cdn = RecCdn::start(Arc::new(|path: &str| CdnReply {
        drip: Some(Duration::from_millis(15)),
        ..CdnReply::ok(jpeg_for(path, 320, 400))
    }));
    let env = cdn.env();
    let home = tempfile::tempdir().expect("home");
    let results: Vec<Value> = (0..8)
        .map(|p| {
            json!({"type": "user", "user": {"_id": format!("5e{p:022}"), "name": "P",
                "photos": (0..3).map(|i| json!({"id": format!("ph-{p}-{i}"),
                    "url": format!("https://images-ssl.gotinder.com/k/{p}/{i}.jpg")})).collect::<Vec<_>>()}})
        })
        .collect();
    let page = json!({"body": {"meta": {"status": 200}, "data": {"results": results}}, "captured_at_ms": 1.0});
    let mut rng = fastrand::Rng::new();
    let mut temp_left = 0;
    for round in 0..5 {
        let mut host = Proc::start(home.path(), &env);
        assert!(host.send(1, "hello", &json!({"protocol": 1})));
        host.recv(Duration::from_secs(30)).expect("hello answer");
        // The outbox replays the recs page until `ingested`; photos not stored yet are
        // fetched again.
        assert!(host.send(2, "recs", &page));
        match host.recv(Duration::from_secs(30)).map(|r| r.body) {
            Some(Response::Ingested { profiles: 8, .. }) => {}
            other => panic!("round {round}: {other:?}"),
        }
        std::thread::sleep(Duration::from_millis(rng.u64(50..1500)));
        host.sigkill();
        temp_left = check_photos(home.path(), true);
        integrity_ok(home.path());
    }
    // A last connection runs to the end: every photo arrives, complete, exactly once.
    let mut host = Proc::start(home.path(), &env);
    assert!(host.send(1, "hello", &json!({"protocol": 1})));
    host.recv(Duration::from_secs(30)).expect("hello answer");
    assert!(host.send(2, "recs", &page));
    host.recv(Duration::from_secs(30)).expect("ingested");
    assert_eq!(host.close(), 0);
    let rows = photo_rows(home.path());
    assert_eq!(rows.len(), 24, "every photo stored after the last run");
    let left = check_photos(home.path(), false);
    eprintln!("photo kills: {temp_left} temp file(s) after the last kill, {left} at the end");
    integrity_ok(home.path());
}

// ---------------------------------------------------------------------------------------

/// A seed dir (the prototype's layout) from the photo fixtures: 10 people, 6 photos each,
/// half liked. `None` when the fixtures are not there (`cargo xtask models` fetches them).
fn seed_from_fixtures(dir: &Path) -> Option<Vec<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/fixtures/openpeople");
    if !root.is_dir() {
        return None;
    }
    std::fs::create_dir_all(dir.join("images")).expect("mkdir");
    let mut people: Vec<_> = std::fs::read_dir(&root)
        .expect("fixtures")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    people.sort();
    let mut ids = Vec::new();
    let mut labels = BTreeMap::new();
    let mut bios = BTreeMap::new();
    for (n, person) in people.iter().enumerate() {
        let id = format!("5f{n:022}");
        let mut photos: Vec<_> = std::fs::read_dir(person)
            .expect("person")
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.extension().is_some_and(|e| {
                    e.eq_ignore_ascii_case("jpg") || e.eq_ignore_ascii_case("jpeg")
                })
            })
            .collect();
        photos.sort();
        for (i, p) in photos.iter().enumerate() {
            std::fs::copy(p, dir.join("images").join(format!("{id}_P{n}_{i}.jpeg"))).expect("copy");
        }
        labels.insert(id.clone(), i64::from(n % 2 == 0));
        bios.insert(
            id.clone(),
            BTreeMap::from([
                ("name".to_owned(), format!("P{n}")),
                (
                    "bio".to_owned(),
                    ["Hiking and coffee", "Books, cats, rain"][n % 2].to_owned(),
                ),
            ]),
        );
        ids.push(id);
    }
    std::fs::write(
        dir.join("labels.pkl"),
        serde_pickle::to_vec(&labels, Default::default()).expect("pickle"),
    )
    .expect("write");
    std::fs::write(
        dir.join("bios.pkl"),
        serde_pickle::to_vec(&bios, Default::default()).expect("pickle"),
    )
    .expect("write");
    Some(ids)
}

fn active_model(home: &Path) -> Option<u32> {
    let (code, out, err) = swipy(home, &["stats", "--json"], &[]);
    assert_eq!(code, 0, "{err}");
    let st: swipy_shared::protocol::Stats = serde_json::from_str(out.trim()).expect("stats");
    st.model_version
}

/// The host's line after it stored a new model (`model vN trained: ROC AUC …`); the
/// trainer's own "trained on N profiles" comes before the commit and does not count.
fn committed_line(l: &str) -> bool {
    l.contains("model v") && l.contains(" trained: ROC AUC")
}

/// The trainer's last progress line: the head is exported, and the store's commit of the
/// new model comes after it. A run killed before writing it cannot have committed.
fn export_done_line(l: &str) -> bool {
    l.contains("train: export 1/1")
}

#[test]
fn sigkill_during_training_keeps_the_previous_model() {
    let home = tempfile::tempdir().expect("home");
    let seed = home.path().join("seed");
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    let Some(ids) = seed_from_fixtures(&seed) else {
        assert!(
            !ci,
            "photo fixtures missing under CI (run `cargo xtask models`)"
        );
        eprintln!("skip: photo fixtures missing (run `cargo xtask models`)");
        return;
    };
    let (code, out, err) = swipy(
        home.path(),
        &["import-seed", seed.to_str().expect("utf8")],
        &[],
    );
    assert_eq!(code, 0, "import-seed: {out}{err}");

    // A first model, then a second one (timed: later runs reuse cached embeddings, so this
    // is how long the runs that get killed take).
    let (code, out, err) = swipy(home.path(), &["train"], &[]);
    assert_eq!(
        code, 0,
        "`swipy train` must produce a first model (exit {code}): {out}{err}"
    );
    active_model(home.path()).expect("a model after training");
    // The second run's progress lines (`train: <stage> <done>/<total>` on stderr) say
    // where a kill can land.
    let (code, out, err) = swipy(home.path(), &["train"], &[("SWIPY_LOG", "info")]);
    assert_eq!(code, 0, "second `swipy train` (exit {code}): {out}{err}");
    let progress: Vec<&str> = err.lines().filter(|l| l.contains("train: ")).collect();
    let steps = progress.len();
    assert!(
        steps >= 2,
        "`swipy train` logs its progress on stderr:\n{err}"
    );
    // The line that opens cross-validation, the longest stage: a kill sent when it is read
    // lands while the run trains (after the later lines only the export and the commit are
    // left, which a kill often misses).
    let cv_start = progress
        .iter()
        .position(|l| l.contains("train: cv 0/"))
        .map_or(1, |i| i + 1);
    let mut v1 = active_model(home.path()).expect("a model after training");

    // Train again and kill it at a random progress line, several times.
    let mut rng = fastrand::Rng::new();
    let mut killed_midway = 0;
    for attempt in 0..4 {
        let mut child = Command::new(exe())
            .arg("--data-dir")
            .arg(home.path())
            .arg("train")
            .env_remove("SWIPY_HOME")
            .env("SWIPY_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn train");
        let (tx, rx) = channel::<String>();
        let stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // The first kill at the start of cross-validation, the others at random lines.
        let kill_at = if attempt == 0 {
            cv_start
        } else {
            rng.usize(1..steps)
        };
        let mut seen = 0;
        let mut committed = false;
        let mut exported = false;
        let mut note = |l: &str| {
            committed |= committed_line(l);
            exported |= export_done_line(l);
        };
        while seen < kill_at {
            match rx.recv_timeout(Duration::from_secs(120)) {
                Ok(l) => {
                    note(&l);
                    if l.contains("train: ") {
                        seen += 1;
                    }
                }
                Err(_) => break,
            }
        }
        kill9(child.id());
        let killed = child.wait().expect("wait").code().is_none();
        // Every line written before the kill: how far did the run get?
        while let Ok(l) = rx.recv_timeout(Duration::from_millis(200)) {
            note(&l);
        }
        integrity_ok(home.path());
        let active = active_model(home.path()).expect("a model stays active");
        if killed && !exported {
            // Killed before its head was even exported: the old model must still be active.
            killed_midway += 1;
            assert_eq!(
                active, v1,
                "a training killed at progress line {kill_at} of {steps}, before its export, replaced the model"
            );
        } else if committed || !killed {
            // It said it committed (or ran to the end): its model is now the active one.
            assert!(
                active > v1,
                "a training that committed left the older model {active} active"
            );
            v1 = active;
        } else if active == v1 {
            // Killed between the export and the commit.
            killed_midway += 1;
        } else {
            // Killed between the commit and its log line: the new, complete model is active
            // (the store passed its integrity check above and it scores below).
            v1 = active;
        }
        // Whatever is active scores.
        let (code, out, err) = swipy(home.path(), &["score", &ids[0], "--json"], &[]);
        assert_eq!(
            code, 0,
            "scoring with the active model after a kill: {out}{err}"
        );
        assert!(
            out.contains(&format!("\"model_version\":{active}")),
            "{out}"
        );
    }
    assert!(killed_midway > 0, "no kill landed while training ran");
}
