//! Schema migrations: numbered `.sql` files embedded at build time, applied in order on open and
//! tracked in `PRAGMA user_version`. Forward-only; each runs in its own transaction.

use rusqlite::Connection;

use crate::error::StoreError;

/// `(version, sql)`; version `n` is `migrations/000n_*.sql`. Append only, never edit a shipped one.
pub(crate) const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_initial.sql")),
    (2, include_str!("../migrations/0002_security.sql")),
    (3, include_str!("../migrations/0003_sync.sql")),
    (4, include_str!("../migrations/0004_hub_pull.sql")),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub(crate) fn user_version(conn: &Connection) -> Result<i64, StoreError> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(StoreError::db("reading the schema version"))
}

/// Brings the schema to [`SCHEMA_VERSION`]; returns how many migrations ran.
pub(crate) fn migrate(conn: &mut Connection, path_for_messages: &str) -> Result<usize, StoreError> {
    let found = user_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::StoreTooNew {
            path: path_for_messages.to_owned(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    let mut applied = 0;
    for (version, sql) in MIGRATIONS.iter().filter(|(version, _)| *version > found) {
        let tx = conn
            .transaction()
            .map_err(StoreError::db("starting a migration"))?;
        tx.execute_batch(sql)
            .map_err(StoreError::db("applying a schema migration"))?;
        tx.pragma_update(None, "user_version", version)
            .map_err(StoreError::db("recording the schema version"))?;
        tx.commit()
            .map_err(StoreError::db("committing a schema migration"))?;
        tracing::info!(version, "store schema migrated");
        applied += 1;
    }
    Ok(applied)
}
