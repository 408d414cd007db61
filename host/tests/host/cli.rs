//! The command line: import, stats, export, install, doctor, exit codes.

use serde_json::Value;

use crate::common::{age_today, exe, swipy, EXT_ID};

#[test]
fn import_recs_then_stats_and_export_show_every_profile() {
    let home = tempfile::tempdir().expect("home");
    let file = home.path().join("recs.json");
    std::fs::write(&file, crate::common::fixture_text()).expect("write");
    let (code, out, err) = swipy(
        home.path(),
        &["import-recs", file.to_str().expect("utf8"), "--no-photos"],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("imported 4 profiles (4 new), 2 skipped"),
        "{out}"
    );
    // Importing again adds nothing.
    let (code, out, _) = swipy(
        home.path(),
        &["import-recs", file.to_str().expect("utf8"), "--no-photos"],
        &[],
    );
    assert_eq!(code, 0);
    assert!(out.contains("imported 4 profiles (0 new)"), "{out}");

    let (code, out, err) = swipy(home.path(), &["stats", "--json"], &[]);
    assert_eq!(code, 0, "{err}");
    let stats: swipy_shared::protocol::Stats =
        serde_json::from_str(out.trim()).expect("stats json");
    assert_eq!((stats.profiles, stats.labels, stats.photos), (4, 0, 0));
    let (code, out, _) = swipy(home.path(), &["stats"], &[]);
    assert_eq!(code, 0);
    assert!(
        out.contains("profiles captured: 4 today / 4 in total"),
        "{out}"
    );
    assert!(out.contains("0 downloaded of 6 known"), "{out}");

    // Two labels on one profile: one profile labelled (what the popup and dashboard show).
    for verdict in ["like", "nope"] {
        let (code, _, err) = swipy(
            home.path(),
            &["label", "5f1a2b3c4d5e6f7a8b9c0d03", verdict],
            &[],
        );
        assert_eq!(code, 0, "{err}");
    }
    let (code, out, _) = swipy(home.path(), &["stats"], &[]);
    assert_eq!(code, 0);
    assert!(
        out.contains("profiles labelled: 1 today / 1 in total (like 0, nope 1, superlike 0)"),
        "{out}"
    );

    let (code, out, err) = swipy(home.path(), &["export", "--format", "jsonl"], &[]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("jsonl line"))
        .collect();
    assert_eq!(rows.len(), 4);
    let by_id = |id: &str| {
        rows.iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("{id} missing"))
    };
    let anna = by_id("5f1a2b3c4d5e6f7a8b9c0d01");
    assert_eq!(anna["name"], "Anna");
    assert_eq!(anna["age"], age_today(1996, 3, 15));
    assert_eq!(anna["distance_km"], 8.0);
    assert_eq!(
        anna["bio"],
        "Coffee, mountains and bad puns. Ask me about my dog 🐕"
    );
    assert_eq!(anna["photos"], 2);
    assert_eq!(anna["label"], Value::Null);
    let bea = by_id("5f1a2b3c4d5e6f7a8b9c0d02");
    assert_eq!(
        (
            bea["name"].as_str(),
            &bea["age"],
            &bea["distance_km"],
            bea["bio"].as_str(),
            &bea["photos"]
        ),
        (
            Some("Béa"),
            &Value::Null,
            &Value::from(20.1),
            Some(""),
            &Value::from(1)
        )
    );
    let chloe = by_id("5f1a2b3c4d5e6f7a8b9c0d03");
    assert_eq!(chloe["age"], age_today(1999, 12, 31));
    assert_eq!(chloe["distance_km"], Value::Null, "hidden distance");
    assert_eq!(chloe["photos"], 3);
    assert_eq!(chloe["label"], "nope");
    let dora = by_id("5f1a2b3c4d5e6f7a8b9c0d04");
    assert_eq!(dora["age"], Value::Null, "hidden age");
    assert_eq!(dora["distance_km"], 12.9);
    assert_eq!(dora["photos"], 0);

    let (code, out, _) = swipy(home.path(), &["export", "--format", "csv"], &[]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("id,name,age,distance_km,bio,photos,photos_fetched,label\n"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "5f1a2b3c4d5e6f7a8b9c0d01,Anna,{},8.000,",
            age_today(1996, 3, 15)
        )),
        "{out}"
    );
    assert!(
        out.contains("\"Hidden distance, \"\"quoted\"\" bio,\nwith a comma and a newline\""),
        "{out}"
    );
}

#[test]
fn import_recs_from_stdin() {
    use std::io::Write;
    let home = tempfile::tempdir().expect("home");
    let mut child = std::process::Command::new(exe())
        .args([
            "--data-dir",
            home.path().to_str().expect("utf8"),
            "import-recs",
            "-",
            "--no-photos",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(crate::common::fixture_text().as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 4 profiles"));
}

#[test]
fn import_har_reads_plain_and_base64_bodies() {
    use base64::Engine as _;
    let home = tempfile::tempdir().expect("home");
    let text = crate::common::fixture_text();
    let har = serde_json::json!({"log": {"version": "1.2", "entries": [
        {"startedDateTime": "2026-11-28T12:00:00.000Z", "request": {"method": "GET", "url": "https://api.gotinder.com/v2/recs/core?locale=en"},
         "response": {"status": 200, "content": {"mimeType": "application/json", "encoding": "base64", "text": base64::engine::general_purpose::STANDARD.encode(text.as_bytes())}}},
        {"startedDateTime": "2026-11-28T12:00:01.000Z", "request": {"method": "GET", "url": "https://api.gotinder.com/v2/profile"},
         "response": {"status": 200, "content": {"text": "{}"}}}
    ]}});
    let file = home.path().join("session.har");
    std::fs::write(&file, serde_json::to_vec(&har).expect("json")).expect("write");
    let (code, out, err) = swipy(
        home.path(),
        &["import-har", file.to_str().expect("utf8"), "--no-photos"],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("1 recs responses"), "{out}");
    assert!(out.contains("4 profiles (4 new)"), "{out}");
}

#[test]
fn documented_exit_codes_for_bad_input() {
    let home = tempfile::tempdir().expect("home");
    let h = home.path();
    let missing = h.join("missing.json");
    let (code, _, err) = swipy(h, &["import-recs", missing.to_str().expect("utf8")], &[]);
    assert_eq!(code, 3, "unreadable file: {err}");
    assert!(err.contains("cannot read"), "{err}");
    let bad = h.join("bad.json");
    std::fs::write(&bad, "{ not json").expect("w");
    let (code, _, err) = swipy(h, &["import-recs", bad.to_str().expect("utf8")], &[]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("not JSON"), "{err}");
    let other = h.join("other.json");
    std::fs::write(&other, r#"{"data": {"user": {}}}"#).expect("w");
    let (code, _, err) = swipy(h, &["import-recs", other.to_str().expect("utf8")], &[]);
    assert_eq!(code, 3, "{err}");
    let (code, _, err) = swipy(h, &["import-har", other.to_str().expect("utf8")], &[]);
    assert_eq!(code, 3, "{err}");
    let (code, _, err) = swipy(
        h,
        &["import-seed", h.join("nothing").to_str().expect("utf8")],
        &[],
    );
    assert_eq!(code, 3, "{err}");
    let (code, _, err) = swipy(h, &["label", "5f00000000000000000000aa", "like"], &[]);
    assert_eq!(code, 4, "unknown profile: {err}");
    let (code, _, _) = swipy(h, &["label", "../../etc", "like"], &[]);
    assert_eq!(code, 2);
    let (code, _, _) = swipy(h, &["label", "abc", "maybe"], &[]);
    assert_eq!(code, 2, "clap usage error");
    let (code, _, _) = swipy(h, &["frobnicate"], &[]);
    assert_eq!(code, 2);
    let (code, _, err) = swipy(h, &["train"], &[]);
    assert_eq!(code, 7, "no labels: {err}");
    assert!(err.contains("not enough labels"), "{err}");
    let (code, _, err) = swipy(h, &["score", "--json"], &[]);
    assert_eq!(code, 6, "no model: {err}");
    assert!(err.contains("no trained model"), "{err}");
    // Model files: listed against the built-in manifests, checked by sha256.
    let models = h.join("models-empty");
    std::fs::create_dir_all(models.join("e5-small")).expect("mkdir");
    let env = [("SWIPY_MODELS_DIR", models.to_str().expect("utf8"))];
    let (code, out, err) = swipy(h, &["models", "list"], &env);
    assert_eq!(code, 5, "{out}{err}");
    assert!(out.contains("e5-small") && out.contains("missing"), "{out}");
    assert!(
        out.contains("sface") && out.contains("yunet") && out.contains("open-nsfw"),
        "{out}"
    );
    std::fs::write(models.join("e5-small/model.onnx"), b"not the model").expect("w");
    let (code, out, err) = swipy(h, &["models", "verify"], &env);
    assert_eq!(code, 5, "{out}{err}");
    assert!(err.contains("e5-small/model.onnx has sha256"), "{err}");
    let (code, out, _) = swipy(h, &["--help"], &[]);
    assert_eq!(code, 0);
    assert!(
        out.contains("Exit codes:") && out.contains("7  not enough labels"),
        "{out}"
    );
}

#[test]
fn install_user_data_dir_writes_the_exact_manifest() {
    let home = tempfile::tempdir().expect("home");
    let profile = home.path().join("chromium-profile");
    let args = [
        "install",
        "--browser",
        "chromium",
        "--extension-id",
        EXT_ID,
        "--user-data-dir",
        profile.to_str().expect("utf8"),
    ];
    let (code, out, err) = swipy(home.path(), &args, &[]);
    assert_eq!(code, 0, "{err}");
    let path = profile.join("NativeMessagingHosts/com.swipy.host.json");
    assert!(out.contains(&path.display().to_string()), "{out}");
    // The browser-started host will not read this --data-dir: the install says so…
    assert!(out.contains("note: a browser-started swipy uses"), "{out}");
    // …and says nothing when $SWIPY_HOME names the same dir.
    let same = home.path().to_str().expect("utf8");
    let (code, out, err) = swipy(home.path(), &args, &[("SWIPY_HOME", same)]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("note:"), "{out}");
    let m: Value = serde_json::from_slice(&std::fs::read(&path).expect("manifest")).expect("json");
    let exe = exe().canonicalize().expect("canonical");
    assert_eq!(m["path"], exe.to_str().expect("utf8"));
    assert!(std::path::Path::new(m["path"].as_str().expect("str")).is_absolute());
    assert_eq!(m["name"], "com.swipy.host");
    assert_eq!(m["type"], "stdio");
    assert_eq!(
        m["allowed_origins"],
        serde_json::json!([
            format!(
                "chrome-extension://{}/",
                swipy_host::install::dev_extension_id()
            ),
            format!("chrome-extension://{EXT_ID}/")
        ])
    );
    let (code, _, _) = swipy(
        home.path(),
        &[
            "uninstall",
            "--user-data-dir",
            profile.to_str().expect("utf8"),
        ],
        &[],
    );
    assert_eq!(code, 0);
    assert!(!path.exists());
    let (code, _, err) = swipy(
        home.path(),
        &["install", "--browser", "chromium", "--extension-id", "nope"],
        &[],
    );
    assert_eq!(code, 2, "{err}");
}

#[test]
fn install_for_firefox_and_chromium_in_home_then_doctor() {
    let home = tempfile::tempdir().expect("home");
    let fake_home = home.path().join("home");
    std::fs::create_dir_all(&fake_home).expect("mkdir");
    let env = [
        ("HOME", fake_home.to_str().expect("utf8")),
        ("XDG_CONFIG_HOME", ""),
        ("ORT_DYLIB_PATH", ""),
        ("SWIPY_MODELS_DIR", ""),
    ];
    let (code, out, err) = swipy(
        home.path(),
        &[
            "install",
            "--browser",
            "firefox",
            "--browser",
            "chromium",
            "--extension-id",
            EXT_ID,
        ],
        &env,
    );
    assert_eq!(code, 0, "{err}");
    if cfg!(target_os = "linux") {
        let ff = fake_home.join(".mozilla/native-messaging-hosts/com.swipy.host.json");
        assert!(out.contains(&ff.display().to_string()), "{out}");
        let m: Value =
            serde_json::from_slice(&std::fs::read(&ff).expect("firefox manifest")).expect("json");
        assert_eq!(
            m["allowed_extensions"],
            serde_json::json!(["swipy@swipy.app"])
        );
        assert!(m.get("allowed_origins").is_none());
        assert_eq!(
            m["path"],
            exe()
                .canonicalize()
                .expect("canonical")
                .to_str()
                .expect("utf8")
        );
        let cr = fake_home.join(".config/chromium/NativeMessagingHosts/com.swipy.host.json");
        let m: Value =
            serde_json::from_slice(&std::fs::read(&cr).expect("chromium manifest")).expect("json");
        assert_eq!(
            m["allowed_origins"],
            serde_json::json!([
                format!(
                    "chrome-extension://{}/",
                    swipy_host::install::dev_extension_id()
                ),
                format!("chrome-extension://{EXT_ID}/")
            ])
        );
    }
    let (code, out, _) = swipy(home.path(), &["doctor"], &env);
    assert!(out.contains("firefox    installed"), "{out}");
    assert!(out.contains("chromium   installed"), "{out}");
    assert!(out.contains("chrome     not installed"), "{out}");
    // Whether ONNX Runtime/models are found depends on the machine; when they are missing
    // doctor says so and exits 5.
    if out.contains("onnx rt:   missing") || out.contains("models:    missing") {
        assert_eq!(code, 5, "{out}");
        assert!(out.contains("problem:"), "{out}");
    } else {
        assert_eq!(code, 0, "everything is in place: {out}");
        assert!(out.contains("all good"), "{out}");
    }
    let (code, out, _) = swipy(home.path(), &["uninstall", "--browser", "all"], &env);
    assert_eq!(code, 0);
    assert!(out.contains("removed"), "{out}");
    let (_, out, _) = swipy(home.path(), &["doctor"], &env);
    assert!(out.contains("no browser has the host installed"), "{out}");
}

#[test]
fn import_seed_brings_the_prototypes_data_in_as_import_labels() {
    use std::collections::BTreeMap;
    #[derive(serde::Serialize)]
    struct Bio {
        name: &'static str,
        bio: &'static str,
        age: i64,
    }
    let home = tempfile::tempdir().expect("home");
    let seed = home.path().join("seed");
    std::fs::create_dir_all(seed.join("images")).expect("mkdir");
    for f in [
        "5e00000000000000000000a1_Lena_0.jpeg",
        "5e00000000000000000000a1_Lena_1.jpeg",
        "5e00000000000000000000b2_Mia_0.jpeg",
    ] {
        std::fs::write(
            seed.join("images").join(f),
            crate::common::jpeg_for(f, 32, 40),
        )
        .expect("img");
    }
    let bios: BTreeMap<String, Bio> = BTreeMap::from([
        (
            "5e00000000000000000000a1".to_owned(),
            Bio {
                name: "Lena",
                bio: "Ich liebe Berge",
                age: 28,
            },
        ),
        (
            "5e00000000000000000000b2".to_owned(),
            Bio {
                name: "Mia",
                bio: "",
                age: 33,
            },
        ),
    ]);
    let labels: BTreeMap<String, i64> = BTreeMap::from([
        ("5e00000000000000000000a1".to_owned(), 1),
        ("5e00000000000000000000b2".to_owned(), 0),
    ]);
    std::fs::write(
        seed.join("bios.pkl"),
        serde_pickle::to_vec(&bios, Default::default()).expect("pkl"),
    )
    .expect("w");
    std::fs::write(
        seed.join("labels.pkl"),
        serde_pickle::to_vec(&labels, Default::default()).expect("pkl"),
    )
    .expect("w");
    let (code, out, err) = swipy(
        home.path(),
        &["import-seed", seed.to_str().expect("utf8")],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("imported 2 profiles, 3 photos, 2 new labels"),
        "{out}"
    );
    let (_, out, _) = swipy(home.path(), &["export"], &[]);
    let rows: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("line"))
        .collect();
    let lena = rows.iter().find(|r| r["name"] == "Lena").expect("Lena");
    assert_eq!(
        (
            lena["age"].as_u64(),
            lena["bio"].as_str(),
            lena["photos"].as_u64(),
            lena["photos_fetched"].as_u64()
        ),
        (Some(28), Some("Ich liebe Berge"), Some(2), Some(2))
    );
    assert_eq!(
        (lena["label"].as_str(), lena["label_source"].as_str()),
        (Some("like"), Some("import"))
    );
    let mia = rows.iter().find(|r| r["name"] == "Mia").expect("Mia");
    assert_eq!(mia["label"], "nope");
    let (_, out, _) = swipy(home.path(), &["stats", "--json"], &[]);
    let st: swipy_shared::protocol::Stats = serde_json::from_str(out.trim()).expect("stats");
    assert_eq!((st.labels, st.likes, st.nopes, st.photos), (2, 1, 1, 3));
    // A CLI label overrides the imported one (latest wins), history is kept.
    let (code, out, _) = swipy(
        home.path(),
        &["label", "5e00000000000000000000b2", "like"],
        &[],
    );
    assert_eq!(code, 0);
    assert!(out.contains("like"), "{out}");
    let (_, out, _) = swipy(home.path(), &["stats", "--json"], &[]);
    let st: swipy_shared::protocol::Stats = serde_json::from_str(out.trim()).expect("stats");
    assert_eq!((st.labels, st.likes, st.nopes), (2, 2, 0));
}

#[test]
fn csv_export_neutralises_formula_cells_and_reads_back_with_a_csv_reader() {
    let home = tempfile::tempdir().expect("home");
    let hostile = [
        (
            "5e0000000000000000000001",
            "=HYPERLINK(\"http://evil.example\",\"x\")",
            "+1 call me",
        ),
        (
            "5e0000000000000000000002",
            "@SUM(A1:A9)",
            "-2+3, \"quoted\"\nsecond line",
        ),
        // (Names and bios are trimmed on capture: leading tab/CR are covered by the unit
        // test `cli::tests::csv_cells_that_a_spreadsheet_would_run_get_a_leading_quote`.)
        ("5e0000000000000000000003", "-Dash", "@mention me"),
        ("5e0000000000000000000004", "Ann", "a=b is fine"),
    ];
    let results: Vec<Value> = hostile
        .iter()
        .map(|(id, name, bio)| {
            serde_json::json!({"type": "user", "user": {"_id": id, "name": name, "bio": bio,
                "photos": []}})
        })
        .collect();
    let page = serde_json::json!({"meta": {"status": 200}, "data": {"results": results}});
    let file = home.path().join("recs.json");
    std::fs::write(&file, page.to_string()).expect("write");
    let (code, out, err) = swipy(
        home.path(),
        &["import-recs", file.to_str().expect("utf8"), "--no-photos"],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("imported 4 profiles"), "{out}");
    let (code, _, err) = swipy(home.path(), &["label", hostile[0].0, "like"], &[]);
    assert_eq!(code, 0, "{err}");

    let csv_path = home.path().join("export.csv");
    let (code, _, err) = swipy(
        home.path(),
        &[
            "export",
            "--format",
            "csv",
            "--output",
            csv_path.to_str().expect("utf8"),
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let mut reader = csv::Reader::from_path(&csv_path).expect("a CSV file");
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header, swipy_host::cli::CSV_HEADER);
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .expect("every row parses");
    assert_eq!(rows.len(), hostile.len());
    for (id, name, bio) in hostile {
        let row = rows
            .iter()
            .find(|r| &r[0] == id)
            .unwrap_or_else(|| panic!("{id} exported"));
        let expect = |s: &str| {
            if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                format!("'{s}")
            } else {
                s.to_owned()
            }
        };
        assert_eq!(&row[1], expect(name), "name of {id}");
        assert_eq!(&row[4], expect(bio), "bio of {id}");
        for cell in row.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "cell {cell:?} of {id} would run in a spreadsheet"
            );
        }
    }
    // Untouched text stays untouched, and the label column is there.
    let ann = rows.iter().find(|r| &r[1] == "Ann").expect("Ann");
    assert_eq!(&ann[4], "a=b is fine");
    let first = rows
        .iter()
        .find(|r| &r[0] == hostile[0].0)
        .expect("labelled");
    assert_eq!(&first[7], "like");
}
