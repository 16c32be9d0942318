//! Versioned schema migrations, tracked in SQLite's `user_version`.
//!
//! Each entry runs once, in order, inside its own transaction. Never edit a released
//! migration: append a new one.

use rusqlite::{Connection, params};

use crate::ipnet::IpNet;

/// One migration: SQL, then (optionally) a data step that SQL cannot express.
struct Migration {
    sql: &'static str,
    data: Option<fn(&Connection) -> rusqlite::Result<()>>,
}

/// The migrations, in order; the schema version after migration `i` is `i + 1`.
const MIGRATIONS: &[Migration] = &[
    // 1: the initial schema.
    Migration {
        data: None,
        sql: r"
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
    },
    // 2: IP rules match networks too (`203.0.113.0/24`): each IP rule gets the keys of
    // its first and last address (see `crate::ipnet`), filled in for existing rules.
    Migration {
        sql: r"
        ALTER TABLE access_rules ADD COLUMN ip_first BLOB;
        ALTER TABLE access_rules ADD COLUMN ip_last BLOB;
        CREATE INDEX access_rules_ip ON access_rules(app_id, ip_first) WHERE kind = 'ip';
        ",
        data: Some(fill_ip_ranges),
    },
    // 3: per-app signing (protocol v2). Apps sign with `hmac` (the default, every existing
    // app) or `ed25519`; an ed25519 app has one active key and may keep retired ones and
    // staged ones (the next key, made ahead so that builds can trust it before it signs).
    // Private keys are stored sealed under the server secret (`crate::signing_keys`).
    Migration {
        data: None,
        sql: r"
        ALTER TABLE apps ADD COLUMN signing TEXT NOT NULL DEFAULT 'hmac'
            CHECK (signing IN ('hmac', 'ed25519'));
        CREATE TABLE app_signing_keys (
            id         INTEGER PRIMARY KEY,
            app_id     INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
            key_id     TEXT NOT NULL,
            public_key BLOB NOT NULL CHECK (length(public_key) = 32),
            sealed     BLOB NOT NULL,
            active     INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            -- When it first signed; NULL for a staged key (made ahead of a rotation).
            activated_at INTEGER,
            UNIQUE (app_id, key_id)
        );
        CREATE UNIQUE INDEX app_signing_keys_active ON app_signing_keys(app_id) WHERE active = 1;
        -- The label a validate's payload carries as `licenseLabel` (protocol v2).
        ALTER TABLE licenses ADD COLUMN label TEXT;
        ",
    },
    // 4: the validate nonces of each app, remembered for the replay window
    // (`auth::REPLAY_WINDOW_SECS`), so that a repeat is `replay_detected`, across restarts.
    Migration {
        sql: r"
        CREATE TABLE seen_nonces (
            app_id  INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
            nonce   TEXT NOT NULL,
            seen_at INTEGER NOT NULL,
            PRIMARY KEY (app_id, nonce)
        ) WITHOUT ROWID;
        CREATE INDEX seen_nonces_age ON seen_nonces(seen_at);
        ",
        data: None,
    },
    // 5: an app's own daily credit cap (`dailyCreditCap`; NULL: no cap, every existing app),
    // and per app and UTC day (unix seconds / 86400) the credits its validates and
    // heartbeat milestones were charged, counted in the charge's transaction.
    Migration {
        sql: r"
        ALTER TABLE apps ADD COLUMN daily_credit_cap INTEGER
            CHECK (daily_credit_cap IS NULL OR daily_credit_cap >= 1);
        CREATE TABLE app_daily_credits (
            app_id  INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
            day     INTEGER NOT NULL,
            credits INTEGER NOT NULL CHECK (credits >= 0),
            PRIMARY KEY (app_id, day)
        );
        ",
        data: None,
    },
];

/// Migration 2's data step: the address range of every IP rule stored before it.
fn fill_ip_ranges(c: &Connection) -> rusqlite::Result<()> {
    let rules: Vec<(i64, String)> = c
        .prepare("SELECT id, value FROM access_rules WHERE kind = 'ip'")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut update =
        c.prepare("UPDATE access_rules SET ip_first = ?2, ip_last = ?3 WHERE id = ?1")?;
    for (id, value) in rules {
        // Schema 1 stored canonical addresses only; anything else matches nothing, as before.
        if let Ok(net) = IpNet::parse(&value) {
            update.execute(params![id, net.first(), net.last()])?;
        }
    }
    Ok(())
}

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
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Re-check under the write lock: another process may have migrated meanwhile.
        let now: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        if usize::try_from(now).unwrap_or(0) > index {
            continue;
        }
        tx.execute_batch(migration.sql)?;
        if let Some(data) = migration.data {
            data(&tx)?;
        }
        tx.pragma_update(
            None,
            "user_version",
            i64::try_from(index + 1).unwrap_or(i64::MAX),
        )?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database of schema 1 keeps its IP rules: migration 2 gives them address ranges.
    #[test]
    fn ip_rules_of_schema_1_get_their_ranges() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0].sql).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute_batch(
            "INSERT INTO accounts (id, name, created_at) VALUES (1, 'a', 0);
             INSERT INTO apps (id, public_id, account_id, name, secret, hwid_slots, created_at)
                 VALUES (1, 'app_1', 1, 'app', 's', 1, 0);
             INSERT INTO access_rules (app_id, kind, value, list, created_at) VALUES
                 (1, 'ip', '203.0.113.7', 'deny', 0),
                 (1, 'ip', 'garbage', 'deny', 0),
                 (1, 'hwid', 'h', 'deny', 0);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(usize::try_from(version).unwrap(), SCHEMA_VERSION);
        type Range = (String, Option<Vec<u8>>, Option<Vec<u8>>);
        let ranges: Vec<Range> = conn
            .prepare("SELECT value, ip_first, ip_last FROM access_rules ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let host = IpNet::parse("203.0.113.7").unwrap();
        assert_eq!(
            ranges,
            vec![
                (
                    "203.0.113.7".to_owned(),
                    Some(host.first().to_vec()),
                    Some(host.last().to_vec())
                ),
                ("garbage".to_owned(), None, None),
                ("h".to_owned(), None, None),
            ]
        );
    }
}
