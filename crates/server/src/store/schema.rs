//! Versioned schema migrations, tracked in SQLite's `user_version`.
//!
//! Each entry runs once, in order, inside its own transaction. Never edit a released
//! migration: append a new one.

use rusqlite::Connection;

/// The migrations, in order; the schema version after migration `i` is `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    r"
    CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value BLOB NOT NULL
    );
    CREATE TABLE accounts (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL UNIQUE,
        credits    INTEGER NOT NULL DEFAULT 0 CHECK (credits >= 0),
        suspended  INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE api_keys (
        id         INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id),
        key_hash   BLOB NOT NULL UNIQUE,
        revoked    INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE apps (
        id                 INTEGER PRIMARY KEY,
        public_id          TEXT NOT NULL UNIQUE,
        account_id         INTEGER NOT NULL REFERENCES accounts(id),
        name               TEXT NOT NULL,
        secret             TEXT NOT NULL,
        active             INTEGER NOT NULL DEFAULT 1,
        hwid_slots         INTEGER NOT NULL CHECK (hwid_slots BETWEEN 1 AND 16),
        variables          TEXT NOT NULL DEFAULT '{}',
        allowlist_required INTEGER NOT NULL DEFAULT 0,
        created_at         INTEGER NOT NULL
    );
    CREATE INDEX apps_account ON apps(account_id, id);
    CREATE TABLE access_rules (
        id         INTEGER PRIMARY KEY,
        app_id     INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        kind       TEXT NOT NULL CHECK (kind IN ('hwid', 'ip')),
        value      TEXT NOT NULL,
        list       TEXT NOT NULL CHECK (list IN ('allow', 'deny')),
        created_at INTEGER NOT NULL,
        UNIQUE (app_id, kind, value, list)
    );
    CREATE TABLE licenses (
        id          INTEGER PRIMARY KEY,
        license_key TEXT NOT NULL UNIQUE,
        app_id      INTEGER NOT NULL REFERENCES apps(id),
        expires_at  INTEGER,
        revoked     INTEGER NOT NULL DEFAULT 0,
        variables   TEXT NOT NULL DEFAULT '{}',
        note        TEXT,
        heartbeats  INTEGER NOT NULL DEFAULT 0,
        created_at  INTEGER NOT NULL
    );
    CREATE INDEX licenses_app ON licenses(app_id, id);
    CREATE TABLE license_hwids (
        license_id INTEGER NOT NULL REFERENCES licenses(id) ON DELETE CASCADE,
        hwid       TEXT NOT NULL,
        bound_at   INTEGER NOT NULL,
        PRIMARY KEY (license_id, hwid)
    ) WITHOUT ROWID;
    CREATE TABLE webhooks (
        id         INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id),
        url        TEXT NOT NULL,
        events     TEXT NOT NULL DEFAULT '[]',
        created_at INTEGER NOT NULL
    );
    CREATE INDEX webhooks_account ON webhooks(account_id, id);
    ",
];

/// The schema version this build migrates to.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// Errors of migration.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    /// The database was written by a newer build.
    #[error("database schema version {found} is newer than this build's {supported}")]
    TooNew {
        /// Version in the file.
        found: usize,
        /// Newest version this build knows.
        supported: usize,
    },
    /// SQLite failed.
    #[error("migration failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// Brings the schema up to [`SCHEMA_VERSION`].
pub fn migrate(conn: &mut Connection) -> Result<(), MigrationError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let current = usize::try_from(current).unwrap_or(0);
    if current > SCHEMA_VERSION {
        return Err(MigrationError::TooNew {
            found: current,
            supported: SCHEMA_VERSION,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Re-check under the write lock: another process may have migrated meanwhile.
        let now: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        if usize::try_from(now).unwrap_or(0) > index {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(
            None,
            "user_version",
            i64::try_from(index + 1).unwrap_or(i64::MAX),
        )?;
        tx.commit()?;
    }
    Ok(())
}
