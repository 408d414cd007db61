use serde_json::Value;

use super::*;
use crate::store::ExportRow;

fn row(id: &str, bio: &str, age: Option<u32>, km: Option<f64>) -> ExportRow {
    ExportRow {
        id: id.into(),
        name: "Zoë".into(),
        age,
        distance_km: km,
        bio: bio.into(),
        photos: 2,
        photos_fetched: 1,
        label: Some("like".into()),
        label_source: Some("cli".into()),
        first_seen_ms: 1.0,
        last_seen_ms: 2.0,
    }
}

#[test]
fn csv_quotes_what_needs_quoting() {
    let csv = export_csv(&[
        row("a1", "plain", Some(30), Some(8.04672)),
        row("b2", "say \"hi\",\nthen", None, None),
    ])
    .expect("csv");
    let lines: Vec<&str> = csv.split('\n').collect();
    assert_eq!(
        lines[0],
        "id,name,age,distance_km,bio,photos,photos_fetched,label"
    );
    assert_eq!(lines[1], "a1,Zoë,30,8.047,plain,2,1,like");
    assert_eq!(lines[2], "b2,Zoë,,,\"say \"\"hi\"\",");
    assert_eq!(lines[3], "then\",2,1,like");
}

#[test]
fn csv_cells_that_a_spreadsheet_would_run_get_a_leading_quote() {
    for (cell, safe) in [
        ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
    ] {
        assert_eq!(csv_safe(cell), safe, "{cell:?}");
    }
}

#[test]
fn jsonl_has_nulls_for_unknowns() {
    let text = export_jsonl(&[row("a1", "", None, None)]);
    let v: Value = serde_json::from_str(text.trim_end()).expect("json");
    assert_eq!(v["age"], Value::Null);
    assert_eq!(v["distance_km"], Value::Null);
    assert_eq!(v["photos"], 2);
    assert_eq!(v["label"], "like");
    assert_eq!(text.lines().count(), 1);
}

#[test]
fn cli_parses_every_command() {
    for args in [
        &["swipy", "serve"][..],
        &["swipy", "--data-dir", "/tmp/x", "stats", "--json"],
        &[
            "swipy",
            "install",
            "--browser",
            "chromium",
            "--browser",
            "firefox",
            "--extension-id",
            "abcdefghijklmnopabcdefghijklmnop",
        ],
        &[
            "swipy",
            "install",
            "--browser",
            "all",
            "--user-data-dir",
            "/tmp/p",
        ],
        &["swipy", "uninstall"],
        &["swipy", "doctor"],
        &["swipy", "import-recs", "-"],
        &["swipy", "import-har", "x.har", "--no-photos"],
        &["swipy", "import-seed", "seed"],
        &["swipy", "label", "abc", "nope"],
        &["swipy", "export", "--format", "csv"],
        &["swipy", "train"],
        &["swipy", "score", "a", "b", "--json"],
        &["swipy", "models", "verify"],
    ] {
        assert!(Cli::try_parse_from(args).is_ok(), "{args:?}");
    }
    assert!(Cli::try_parse_from(["swipy", "label", "abc", "maybe"]).is_err());
    assert!(Cli::try_parse_from(["swipy", "export", "--format", "xml"]).is_err());
}
