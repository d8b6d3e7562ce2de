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
mod keyslot;
mod migrate;
mod operator;
mod outbox;
mod retention;
mod roster;
mod roster_file;
mod roster_pull;
mod rotate;
mod seal;
mod serial_request;
mod serials;
mod session;
mod sync_state;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension};
use zk_domain::Timestamp;

pub use artefact::{Artefact, MAX_ARTEFACT_BYTES};
pub use audit::{AuditRow, AuditVerification};
pub use confirm::{ConfirmationReceipt, ConfirmationSummary};
pub use error::{RowError, StoreError, MAX_LISTED_ROW_ERRORS};
pub use keyslot::{KeyBackend, KEYRING_AVAILABLE};
pub use migrate::SCHEMA_VERSION;
pub use operator::{NewOperator, Operator};
pub use outbox::OutboxRow;
pub use retention::PurgeOutcome;
pub use roster::{ImportReport, RosterCounts};
pub use roster_file::{parse_roster, read_roster_file, ImportLimits, RosterFormat};
pub use roster_pull::{RosterPullOutcome, RosterPullState};
pub use rotate::RotationReport;
pub use serial_request::SerialRequest;
pub use session::{ConsentRecord, SessionId, SessionSummary};
pub use sync_state::{SyncBatch, SyncStatus};

use key::ArtefactKey;
use keyslot::{CreateError, KeySlot};

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
    key_slot: Option<KeySlot>,
    import_limits: ImportLimits,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("database", &self.db_path)
            .field("key_store", &self.key_slot)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) `dir/desk.sqlite` with the artefact key at `dir/artefact.key`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Store::open_with_backend(dir, KeyBackend::File)
    }

    /// Like [`Store::open`], with the key in `backend` (the OS keyring where this build has one;
    /// otherwise the file, with a log line saying so).
    pub fn open_with_backend(dir: &Path, backend: KeyBackend) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(StoreError::io(dir))?;
        let key_path = dir.join(KEY_FILE);
        Store::open_slot(
            &dir.join(DATABASE_FILE),
            KeySlot::choose(backend, &key_path),
        )
    }

    /// Opens (creating if needed) the database at `db_path` with the key file at `key_path`.
    ///
    /// A key file is created (mode 0600, never over an existing file) only for a store that has
    /// no key yet. A store with a key refuses a missing ([`StoreError::KeyMissing`]), damaged
    /// ([`StoreError::KeyCorrupt`]) or different ([`StoreError::WrongKey`]) key file.
    pub fn open_with_key(db_path: &Path, key_path: &Path) -> Result<Store, StoreError> {
        Store::open_slot(db_path, KeySlot::File(key_path.to_path_buf()))
    }

    fn open_slot(db_path: &Path, slot: KeySlot) -> Result<Store, StoreError> {
        if let Some(parent) = db_path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::metadata(parent).map_err(StoreError::io(parent))?;
        }
        let mut conn =
            Connection::open(db_path).map_err(StoreError::db("opening the database file"))?;
        configure(&conn, true)?;
        migrate::migrate(&mut conn, &db_path.display().to_string())?;
        let key = resolve_key(&mut conn, Some(&slot))?;
        let sealed = seal_plain_rows(&mut conn, &key)?;
        let mut store = Store {
            conn,
            key,
            db_path: Some(db_path.to_path_buf()),
            key_slot: Some(slot),
            import_limits: ImportLimits::default(),
        };
        if sealed {
            // The plaintext rows leave the WAL and the free pages too.
            store.compact()?;
        }
        Ok(store)
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
            key_slot: None,
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

/// Fails with [`StoreError::KeyChanged`] when another program rotated the key since this store
/// was opened (its key in memory is stale). Called inside the write transactions that seal data,
/// so a stale key never writes: a rotation that commits in between makes the write's transaction
/// fail instead.
pub(crate) fn require_current_key(conn: &Connection, key: &ArtefactKey) -> Result<(), StoreError> {
    match stored_key_check(conn)? {
        Some(check) if check == key.check_value() => Ok(()),
        _ => Err(StoreError::KeyChanged),
    }
}

fn stored_key_check(conn: &Connection) -> Result<Option<String>, StoreError> {
    conn.query_row(
        "SELECT value FROM meta WHERE key = ?1",
        [KEY_CHECK],
        |row| row.get(0),
    )
    .optional()
    .map_err(StoreError::db("reading the key check value"))
}

/// Finishes or rolls back a key rotation a crash interrupted: when the database already uses the
/// pending key, it replaces the old one; otherwise the pending key is erased.
fn recover_rotation(conn: &Connection, slot: &KeySlot) -> Result<(), StoreError> {
    let pending = slot.pending();
    let pending_key = match pending.read() {
        Ok(Some(key)) => key,
        Ok(None) => return Ok(()),
        // A half-written pending key: the rotation never reached the database.
        Err(StoreError::KeyCorrupt { .. }) => return pending.erase(),
        Err(error) => return Err(error),
    };
    if stored_key_check(conn)?.as_deref() == Some(pending_key.check_value().as_str()) {
        tracing::warn!(
            key_store = slot.kind(),
            "finishing an interrupted key rotation: the database already uses the new key"
        );
        slot.promote(&pending)
    } else {
        tracing::warn!(
            key_store = slot.kind(),
            "rolling back an interrupted key rotation: the database still uses the old key"
        );
        pending.erase()
    }
}

/// Loads, checks or (for a store without a key) creates the artefact key.
fn resolve_key(conn: &mut Connection, slot: Option<&KeySlot>) -> Result<ArtefactKey, StoreError> {
    if let Some(slot) = slot {
        recover_rotation(conn, slot)?;
    }
    let stored_check = stored_key_check(conn)?;
    let (key, action) = match slot {
        None => (ArtefactKey::generate()?, "key.created"),
        Some(slot) => match slot.read()? {
            Some(key) => {
                match &stored_check {
                    Some(check) if *check == key.check_value() => return Ok(key),
                    Some(_) => {
                        return Err(StoreError::WrongKey {
                            path: slot.error_path(),
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
                        path: slot.error_path(),
                    });
                }
                let key = ArtefactKey::generate()?;
                match slot.create(&key) {
                    Ok(()) => (key, "key.created"),
                    // Someone made one in the meantime: use theirs.
                    Err(CreateError::AlreadyExists) => {
                        let key = slot.read()?.ok_or_else(|| StoreError::KeyMissing {
                            path: slot.error_path(),
                        })?;
                        (key, "key.adopted")
                    }
                    Err(CreateError::Failed(error)) => return Err(error),
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
    let location = slot.map_or("memory", KeySlot::kind);
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
    tracing::info!(action, key_store = location, "artefact key ready");
    Ok(key)
}

/// Seals personal data written before sealing existed (schema 0001 stores): roster rows, outbox
/// payloads, confirmation outcomes and declarations, staff notes. One transaction; nothing to do
/// (the usual case) writes nothing. Returns whether it sealed anything.
fn seal_plain_rows(conn: &mut Connection, key: &ArtefactKey) -> Result<bool, StoreError> {
    let pending: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM roster WHERE sealed IS NULL) \
             OR EXISTS (SELECT 1 FROM outbox WHERE payload NOT LIKE '{\"sealed\":\"zk1:%') \
             OR EXISTS (SELECT 1 FROM confirmations WHERE outcomes NOT LIKE '{\"sealed\":\"zk1:%' OR declaration NOT LIKE '{\"sealed\":\"zk1:%') \
             OR EXISTS (SELECT 1 FROM attempts WHERE note IS NOT NULL AND note NOT LIKE 'zk1:%')",
            [],
            |row| row.get(0),
        )
        .map_err(StoreError::db("looking for unsealed rows"))?;
    if !pending {
        return Ok(false);
    }
    set_synchronous(conn, "FULL")?;
    let tx = conn
        .transaction()
        .map_err(StoreError::db("sealing personal data"))?;
    let roster_rows = roster::seal_plain_rows(&tx, key)?;
    let other_rows = rotate::reseal_columns(&tx, key, key, true)?;
    audit::append(
        &tx,
        "store",
        "store.sealed",
        &format!("roster_rows={roster_rows} other_rows={other_rows}"),
        now_wall_clock(),
    )?;
    tx.commit()
        .map_err(StoreError::db("sealing personal data"))?;
    set_synchronous(conn, "NORMAL")?;
    tracing::info!(roster_rows, other_rows, "personal data sealed");
    Ok(true)
}

#[cfg(test)]
mod tests;
