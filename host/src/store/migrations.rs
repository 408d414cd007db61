//! Schema migrations, all in one place. `PRAGMA user_version` holds the number of
//! migrations applied; each entry runs once, in order, inside one transaction.
//! APPEND-ONLY: never edit a migration that has shipped; add a new one.

use rusqlite::Connection;

/// Migration `i` moves the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    r#"
    CREATE TABLE profiles (
        id            TEXT PRIMARY KEY,
        name          TEXT NOT NULL,
        age           INTEGER,
        birth_date    TEXT,
        bio           TEXT NOT NULL DEFAULT '',
        distance_km   REAL,
        hide_age      INTEGER NOT NULL DEFAULT 0,
        hide_distance INTEGER NOT NULL DEFAULT 0,
        gender        INTEGER,
        city          TEXT,
        jobs          TEXT NOT NULL DEFAULT '[]',
        schools       TEXT NOT NULL DEFAULT '[]',
        interests     TEXT NOT NULL DEFAULT '[]',
        descriptors   TEXT NOT NULL DEFAULT '[]',
        teasers       TEXT NOT NULL DEFAULT '[]',
        s_number      REAL,
        raw           TEXT NOT NULL,
        first_seen    REAL NOT NULL,
        last_seen     REAL NOT NULL,
        times_seen    INTEGER NOT NULL DEFAULT 1
    );
    CREATE TABLE photos (
        profile_id  TEXT NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
        idx         INTEGER NOT NULL,
        photo_id    TEXT,
        url         TEXT NOT NULL,
        best_url    TEXT NOT NULL,
        faces       TEXT NOT NULL DEFAULT '[]',
        sha256      TEXT,
        path        TEXT,
        width       INTEGER,
        height      INTEGER,
        bytes       INTEGER,
        fetched_at  REAL,
        fetch_error TEXT,
        PRIMARY KEY (profile_id, idx)
    );
    CREATE INDEX photos_sha ON photos(sha256);
    CREATE TABLE labels (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        profile_id TEXT NOT NULL,
        verdict    TEXT NOT NULL CHECK (verdict IN ('like', 'nope', 'superlike')),
        source     TEXT NOT NULL,
        at_ms      REAL NOT NULL,
        key        TEXT NOT NULL UNIQUE,
        stored_at  REAL NOT NULL
    );
    CREATE INDEX labels_profile ON labels(profile_id, at_ms);
    CREATE TABLE swipes (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        kind       TEXT NOT NULL,
        profile_id TEXT NOT NULL,
        verdict    TEXT NOT NULL,
        source     TEXT NOT NULL,
        at_ms      REAL NOT NULL,
        key        TEXT NOT NULL,
        matched    INTEGER,
        score      REAL,
        reason     TEXT,
        response   TEXT,
        stored_at  REAL NOT NULL,
        UNIQUE (kind, key)
    );
    CREATE TABLE matches (
        profile_id TEXT PRIMARY KEY,
        at_ms      REAL NOT NULL
    );
    CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE embeddings (
        key     TEXT NOT NULL,
        model   TEXT NOT NULL,
        dim     INTEGER NOT NULL,
        vec     BLOB NOT NULL,
        created REAL NOT NULL,
        PRIMARY KEY (key, model)
    );
    CREATE TABLE models (
        version INTEGER PRIMARY KEY AUTOINCREMENT,
        created REAL NOT NULL,
        metrics TEXT NOT NULL,
        onnx    BLOB NOT NULL,
        active  INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE recs_log (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        captured_at_ms REAL NOT NULL,
        profiles       INTEGER NOT NULL,
        skipped        INTEGER NOT NULL,
        rate_limited   INTEGER NOT NULL,
        source         TEXT NOT NULL
    );
    "#,
    // 2: the last score of each profile (dashboard, auto-swipe log).
    r#"
    CREATE TABLE scores (
        profile_id    TEXT PRIMARY KEY,
        p_like        REAL,
        parts         TEXT NOT NULL,
        model_version INTEGER,
        at_ms         REAL NOT NULL
    );
    "#,
    // 3: every capture of a profile (raw JSON), so a later capture never erases the one a
    // label was made on; `applied` = it became the profile's fields.
    r#"
    CREATE TABLE captures (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        profile_id     TEXT NOT NULL,
        captured_at_ms REAL NOT NULL,
        source         TEXT NOT NULL,
        applied        INTEGER NOT NULL,
        raw            TEXT NOT NULL
    );
    CREATE INDEX captures_profile ON captures(profile_id, id);
    "#,
];

/// Brings the schema up to date. Refuses a database written by a newer build. Each step
/// reads the version inside an IMMEDIATE transaction, so two hosts starting at once (two
/// browsers) cannot apply the same migration twice.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let target = MIGRATIONS.len() as i64;
    loop {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if current > target {
            return Err(rusqlite::Error::InvalidParameterName(format!(
                "the database has schema version {current}, newer than this build's {target}; update swipy"
            )));
        }
        let Some(sql) = MIGRATIONS.get(current as usize) else {
            return Ok(());
        };
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", current + 1)?;
        tx.commit()?;
    }
}
