//! The desk's store: the only crate that speaks SQL.
//!
//! One SQLite file (`desk.sqlite`, WAL, foreign keys on, secure delete) holds the roster, serial
//! blocks, sessions and every decision, encrypted artefacts, confirmations, the outbox for sync and a
//! hash-chained audit log. The artefact key lives in a separate file (`artefact.key`, mode 0600);
//! the database keeps only a check value, so a missing or wrong key is refused at open time.
//!
//! Writes that belong together are one transaction: [`Store::confirm`] writes the confirmation, the
//! issued admission number, the registration status, the outbox row and the audit row at once, and
//! a roster import is all or nothing. Nothing here logs a key, an ID number or a name.
#![forbid(unsafe_code)]

mod artefact;
mod audit;
mod confirm;
mod error;
mod key;
mod migrate;
mod outbox;
mod roster;
mod roster_file;
mod serials;
mod session;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension};
use zk_domain::Timestamp;

pub use artefact::{Artefact, MAX_ARTEFACT_BYTES};
pub use audit::AuditVerification;
pub use confirm::{ConfirmationReceipt, ConfirmationSummary};
pub use error::{RowError, StoreError, MAX_LISTED_ROW_ERRORS};
pub use migrate::SCHEMA_VERSION;
pub use outbox::OutboxRow;
pub use roster::{ImportReport, RosterCounts};
pub use roster_file::{ImportLimits, RosterFormat};
pub use session::SessionId;

use key::ArtefactKey;

/// File names inside a desk folder.
pub const DATABASE_FILE: &str = "desk.sqlite";
pub const KEY_FILE: &str = "artefact.key";

const KEY_CHECK: &str = "artefact_key_check";
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The open store. `Debug` shows the paths, never the key.
pub struct Store {
    conn: Connection,
    key: ArtefactKey,
    db_path: Option<PathBuf>,
    key_path: Option<PathBuf>,
    import_limits: ImportLimits,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("database", &self.db_path)
            .field("key_file", &self.key_path)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) `dir/desk.sqlite` with the artefact key at `dir/artefact.key`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(StoreError::io(dir))?;
        Store::open_with_key(&dir.join(DATABASE_FILE), &dir.join(KEY_FILE))
    }

    /// Opens (creating if needed) the database at `db_path` with the key file at `key_path`.
    ///
    /// A key file is created (mode 0600, never over an existing file) only for a store that has
    /// no key yet. A store with a key refuses a missing ([`StoreError::KeyMissing`]), damaged
    /// ([`StoreError::KeyCorrupt`]) or different ([`StoreError::WrongKey`]) key file.
    pub fn open_with_key(db_path: &Path, key_path: &Path) -> Result<Store, StoreError> {
        if let Some(parent) = db_path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::metadata(parent).map_err(StoreError::io(parent))?;
        }
        let mut conn =
            Connection::open(db_path).map_err(StoreError::db("opening the database file"))?;
        configure(&conn, true)?;
        migrate::migrate(&mut conn, &db_path.display().to_string())?;
        let key = resolve_key(&mut conn, Some(key_path))?;
        Ok(Store {
            conn,
            key,
            db_path: Some(db_path.to_path_buf()),
            key_path: Some(key_path.to_path_buf()),
            import_limits: ImportLimits::default(),
        })
    }

    /// A store in memory with a fresh random key (tests, demos).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let mut conn = Connection::open_in_memory()
            .map_err(StoreError::db("opening an in-memory database"))?;
        configure(&conn, false)?;
        migrate::migrate(&mut conn, ":memory:")?;
        let key = resolve_key(&mut conn, None)?;
        Ok(Store {
            conn,
            key,
            db_path: None,
            key_path: None,
            import_limits: ImportLimits::default(),
        })
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        migrate::user_version(&self.conn)
    }

    pub fn database_path(&self) -> Option<&Path> {
        self.db_path.as_deref()
    }

    /// Runs `work` (which commits its own transaction) with `synchronous = FULL`, so its commit is
    /// on disk before this returns.
    pub(crate) fn with_full_sync<T>(
        &mut self,
        work: impl FnOnce(&mut Store) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        set_synchronous(&self.conn, "FULL")?;
        let result = work(self);
        if let Err(error) = set_synchronous(&self.conn, "NORMAL") {
            // Staying at FULL is safe, only slower; the work's own result is what counts.
            tracing::warn!("cannot return to synchronous=NORMAL: {error}");
        }
        result
    }
}

fn set_synchronous(conn: &Connection, level: &str) -> Result<(), StoreError> {
    conn.pragma_update(None, "synchronous", level)
        .map_err(StoreError::db("setting the sync level"))
}

fn configure(conn: &Connection, file: bool) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(StoreError::db("setting the busy timeout"))?;
    if file {
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(StoreError::db("switching to WAL"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(mode, "the database did not switch to WAL");
        }
    }
    // NORMAL in WAL: never corrupt, and an application crash loses nothing; only a power cut can
    // lose commits made since the last sync. The commits that must survive one (confirmation,
    // roster import, serial blocks, acks, purges, audit appends) sync through `with_full_sync`,
    // which also makes every earlier commit durable (the WAL is one sequential file).
    conn.execute_batch(
        "PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON; PRAGMA synchronous = NORMAL;",
    )
    .map_err(StoreError::db("configuring the database"))?;
    let foreign_keys: i64 = conn
        .pragma_query_value(None, "foreign_keys", |row| row.get(0))
        .map_err(StoreError::db("configuring the database"))?;
    if foreign_keys != 1 {
        return Err(StoreError::corrupt("foreign keys cannot be enabled"));
    }
    Ok(())
}

fn now_wall_clock() -> Timestamp {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        });
    Timestamp::from_millis(millis)
}

/// Loads, checks or (for a store without a key) creates the artefact key.
fn resolve_key(conn: &mut Connection, key_path: Option<&Path>) -> Result<ArtefactKey, StoreError> {
    let stored_check: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [KEY_CHECK],
            |row| row.get(0),
        )
        .optional()
        .map_err(StoreError::db("reading the key check value"))?;
    let (key, action) = match key_path {
        None => (ArtefactKey::generate()?, "key.created"),
        Some(path) => match ArtefactKey::read(path)? {
            Some(key) => {
                match &stored_check {
                    Some(check) if *check == key.check_value() => return Ok(key),
                    Some(_) => {
                        return Err(StoreError::WrongKey {
                            path: path.to_path_buf(),
                        })
                    }
                    None => {}
                }
                (key, "key.adopted")
            }
            None => {
                let has_artefacts: bool = conn
                    .query_row("SELECT EXISTS (SELECT 1 FROM artefacts)", [], |row| {
                        row.get(0)
                    })
                    .map_err(StoreError::db("checking for artefacts"))?;
                if stored_check.is_some() || has_artefacts {
                    return Err(StoreError::KeyMissing {
                        path: path.to_path_buf(),
                    });
                }
                let key = ArtefactKey::generate()?;
                match key.create_file(path) {
                    Ok(()) => (key, "key.created"),
                    // Someone made one in the meantime: use theirs.
                    Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                        let key =
                            ArtefactKey::read(path)?.ok_or_else(|| StoreError::KeyMissing {
                                path: path.to_path_buf(),
                            })?;
                        (key, "key.adopted")
                    }
                    Err(error) => return Err(StoreError::io(path)(error)),
                }
            }
        },
    };
    let check = key.check_value();
    set_synchronous(conn, "FULL")?;
    let tx = conn
        .transaction()
        .map_err(StoreError::db("recording the key check value"))?;
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)",
        [KEY_CHECK, check.as_str()],
    )
    .map_err(StoreError::db("recording the key check value"))?;
    let location = if key_path.is_some() { "file" } else { "memory" };
    audit::append(
        &tx,
        "store",
        action,
        &format!(
            "where={location} fingerprint={}",
            check.get(..16).unwrap_or(&check)
        ),
        now_wall_clock(),
    )?;
    tx.commit()
        .map_err(StoreError::db("recording the key check value"))?;
    set_synchronous(conn, "NORMAL")?;
    tracing::info!(action, "artefact key ready");
    Ok(key)
}

#[cfg(test)]
mod tests;
