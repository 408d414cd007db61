//! Any bytes as the prototype's `labels.pkl` and `bios.pkl` into the host's seed importer
//! (`import_seed`, what `swipy import-seed DIR` runs). The host library does not expose
//! its pickle reader alone, so the target goes through the public importer with a real
//! store. Checks: never a panic; a refused file changes nothing (no label, no profile); an
//! accepted one adds at most one label per id, each with source `import`.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use swipy_host::ingest::{import_seed, IngestError};
use swipy_host::store::Store;

fn dirs() -> &'static (tempfile::TempDir, tempfile::TempDir) {
    static DIRS: OnceLock<(tempfile::TempDir, tempfile::TempDir)> = OnceLock::new();
    DIRS.get_or_init(|| {
        (
            tempfile::tempdir().expect("data dir"),
            tempfile::tempdir().expect("seed dir"),
        )
    })
}

fn label_rows(store: &Store) -> i64 {
    store
        .conn()
        .query_row("SELECT count(*) FROM labels", [], |r| r.get(0))
        .expect("count")
}

fn profile_rows(store: &Store) -> i64 {
    store
        .conn()
        .query_row("SELECT count(*) FROM profiles", [], |r| r.get(0))
        .expect("count")
}

fuzz_target!(|data: &[u8]| {
    let (data_dir, seed) = dirs();
    // First byte: which files the rest goes to (labels, bios, or split between both).
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let labels = seed.path().join("labels.pkl");
    let bios = seed.path().join("bios.pkl");
    let _ = std::fs::remove_file(&labels);
    let _ = std::fs::remove_file(&bios);
    match sel % 3 {
        0 => std::fs::write(&labels, rest).expect("write"),
        1 => std::fs::write(&bios, rest).expect("write"),
        _ => {
            let cut = rest.len() / 2;
            std::fs::write(&labels, &rest[..cut]).expect("write");
            std::fs::write(&bios, &rest[cut..]).expect("write");
        }
    }
    let mut store = Store::open(data_dir.path()).expect("store");
    let before = label_rows(&store);
    let profiles_before = profile_rows(&store);
    match import_seed(&mut store, seed.path(), 1_795_867_200_000.0) {
        Ok(out) => {
            let after = label_rows(&store);
            assert_eq!(after - before, i64::from(out.labels));
            assert!(out.photos == 0, "no images in the seed dir");
        }
        Err(IngestError::BadInput(_)) | Err(IngestError::Read { .. }) => {
            // Checked before anything is stored: a refused seed changes nothing.
            assert_eq!(label_rows(&store), before, "a refused seed stored labels");
            assert_eq!(profile_rows(&store), profiles_before, "a refused seed stored profiles");
        }
        Err(IngestError::Store(e)) => {
            // Only database-level refusals are acceptable (e.g. a label id SQLite refuses);
            // the store must still work afterwards.
            let _ = e;
            let _ = label_rows(&store);
        }
    }
    let bad: i64 = store
        .conn()
        .query_row(
            "SELECT count(*) FROM labels WHERE source <> 'import'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(bad, 0);
});
