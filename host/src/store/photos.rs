//! Photo files: content-addressed writes under `photos/`, download results and errors,
//! and the sweep of temp files a crashed download left behind.

use std::io::Write;
use std::path::Path;

use rusqlite::{params, OptionalExtension};
use sha2::{Digest, Sha256};

use super::{hex, now_ms, Store, StoreError};

/// A photo file in the store.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPhoto {
    pub sha256: String,
    /// Relative to the data dir.
    pub path: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
}

impl Store {
    /// Photos known (URLs) in the store, downloaded or not.
    pub fn photos_known(&self) -> Result<u32, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM photos", [], |r| r.get(0))?)
    }

    /// Writes photo bytes content-addressed under `photos/` (temp file + rename, so a
    /// partial file never appears under its final name). Returns (sha256 hex, path
    /// relative to the data dir).
    pub fn write_photo_file(
        data_dir: &Path,
        bytes: &[u8],
        ext: &str,
    ) -> Result<(String, String), StoreError> {
        let sha = hex(&Sha256::digest(bytes));
        let rel = format!("photos/{}/{}.{}", &sha[..2], sha, ext);
        let path = data_dir.join(&rel);
        if !path.exists() {
            let dir = path.parent().unwrap_or(data_dir);
            std::fs::create_dir_all(dir)?;
            let mut tmp = tempfile::Builder::new().prefix(".part-").tempfile_in(dir)?;
            tmp.write_all(bytes)?;
            tmp.as_file().sync_all()?;
            tmp.persist(&path).map_err(|e| e.error)?;
        }
        Ok((sha, rel))
    }

    /// Records a downloaded photo.
    pub fn record_photo(
        &mut self,
        profile_id: &str,
        idx: u32,
        p: &StoredPhoto,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE photos SET sha256 = ?3, path = ?4, width = ?5, height = ?6, bytes = ?7,
                fetched_at = ?8, fetch_error = NULL
             WHERE profile_id = ?1 AND idx = ?2",
            params![
                profile_id,
                idx,
                p.sha256,
                p.path,
                p.width,
                p.height,
                p.bytes as i64,
                now_ms()
            ],
        )?;
        Ok(())
    }

    /// Records why a photo could not be downloaded.
    pub fn record_photo_error(
        &mut self,
        profile_id: &str,
        idx: u32,
        error: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE photos SET fetch_error = ?3 WHERE profile_id = ?1 AND idx = ?2",
            params![profile_id, idx, error],
        )?;
        Ok(())
    }

    /// Downloaded photos of a profile, in order: (idx, path relative to the data dir).
    pub fn photo_files(&self, profile_id: &str) -> Result<Vec<(u32, String)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT idx, path FROM photos WHERE profile_id = ?1 AND path IS NOT NULL ORDER BY idx",
        )?;
        let rows = stmt.query_map([profile_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Stored photo row: (sha256, width, height, fetch_error).
    #[allow(clippy::type_complexity)]
    pub fn photo_row(
        &self,
        profile_id: &str,
        idx: u32,
    ) -> Result<Option<(Option<String>, Option<u32>, Option<u32>, Option<String>)>, StoreError>
    {
        Ok(self
            .conn
            .query_row(
                "SELECT sha256, width, height, fetch_error FROM photos
                 WHERE profile_id = ?1 AND idx = ?2",
                params![profile_id, idx],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?)
    }
}

/// Photo temp files (`photos/xx/.part-*`) older than this are left over from a process that
/// died mid-write; younger ones may belong to a running download.
pub const PARTIAL_PHOTO_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Removes photo temp files older than `max_age` (best effort: a file that cannot be read
/// or removed is left for the next open). Returns how many were removed.
pub fn sweep_partial_photos(data_dir: &Path, max_age: std::time::Duration) -> usize {
    let Ok(dirs) = std::fs::read_dir(data_dir.join("photos")) else {
        return 0;
    };
    let now = std::time::SystemTime::now();
    let mut removed = 0;
    for dir in dirs.flatten() {
        let Ok(files) = std::fs::read_dir(dir.path()) else {
            continue;
        };
        for f in files.flatten() {
            if !f.file_name().to_string_lossy().starts_with(".part-") {
                continue;
            }
            let old = f
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age >= max_age);
            if old && std::fs::remove_file(f.path()).is_ok() {
                removed += 1;
            }
        }
    }
    if removed > 0 {
        log::info!("removed {removed} unfinished photo file(s) left by an earlier run");
    }
    removed
}
