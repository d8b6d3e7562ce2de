//! The hub's store: one schema for PostgreSQL and SQLite through sqlx's Any driver.

use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use zk_sync::wire::{
    sha256_hex, Ack, AckStatus, AuditHead, BatchRequest, BatchResponse, PayloadHead, Record,
    RosterEntry, RosterPage, RosterRow, SerialBlockRequest, SerialBlockResponse, MAX_SERIAL,
};

use crate::error::HubError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// How long a batch may stay "running" before another request with its key may take it over
/// (a hub killed mid-batch leaves its claim behind).
const CLAIM_LEASE_MS: i64 = 60_000;

/// The hub's database. Cheap to clone (a pool).
#[derive(Clone, Debug)]
pub struct HubDb {
    pool: AnyPool,
    backend: Backend,
}

/// `zk hub stats --json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HubStats {
    pub confirmations: i64,
    pub desks: i64,
    pub batches: i64,
    pub blobs: i64,
    pub blob_bytes: i64,
    pub conflicts: i64,
    /// Roster rows held, all sites together.
    pub roster_rows: i64,
    /// Serial blocks allocated to desks.
    pub serial_blocks: i64,
}

/// What `enrol_desk` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Enrolment {
    /// The desk is new.
    Enrolled,
    /// The desk was enrolled; its site was set or changed.
    SiteChanged,
    /// The desk was enrolled already, at this site (or none was given).
    AlreadyEnrolled,
}

/// What `import_roster` did. `rows` = `inserted + updated + unchanged`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RosterImport {
    pub site: String,
    pub rows: u64,
    /// Registrations new at this site.
    pub inserted: u64,
    /// Registrations whose content changed: they get a new revision and reach desks again.
    pub updated: u64,
    /// Registrations imported again without a change: their revision stays.
    pub unchanged: u64,
    /// The highest revision at the hub after the import.
    pub revision: i64,
}

/// One allocated serial block (`zk hub serials`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SerialAllocation {
    pub block_id: String,
    pub district: String,
    pub sitting: String,
    pub first: i64,
    pub last: i64,
    /// The desk's public key.
    pub desk: String,
    /// The desk's name at enrolment.
    pub desk_name: String,
    pub allocated_at: i64,
}

/// One flagged conflict (`zk hub conflicts`). Both records are kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConflictRow {
    pub id: i64,
    /// `candidate_confirmed_twice` | `admission_number_twice` | `payload_mismatch`
    pub kind: String,
    pub confirmation_id: String,
    pub other_confirmation_id: String,
    /// The public key of the desk that sent the later record.
    pub desk: String,
    pub detail: String,
    pub detected_at: i64,
}

/// The outcome of claiming an Idempotency-Key.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Claim {
    /// This request processes the batch.
    Owned,
    /// Done before: the stored answer (JSON).
    Stored(String),
    InProgress,
    /// The key was used with another body.
    Reused,
}

fn schema(backend: Backend) -> Vec<String> {
    let (serial, blob) = match backend {
        Backend::Sqlite => ("INTEGER PRIMARY KEY AUTOINCREMENT", "BLOB"),
        Backend::Postgres => ("BIGSERIAL PRIMARY KEY", "BYTEA"),
    };
    vec![
        "CREATE TABLE IF NOT EXISTS desks (pubkey TEXT PRIMARY KEY, name TEXT NOT NULL, \
         enrolled_at BIGINT NOT NULL, audit_seq BIGINT, audit_hash TEXT, last_seen_at BIGINT)"
            .into(),
        "CREATE TABLE IF NOT EXISTS idempotency (desk TEXT NOT NULL, batch_key TEXT NOT NULL, \
         fingerprint TEXT NOT NULL, state TEXT NOT NULL, response TEXT, started_at BIGINT NOT NULL, \
         finished_at BIGINT, PRIMARY KEY (desk, batch_key))"
            .into(),
        "CREATE TABLE IF NOT EXISTS confirmations (confirmation_id TEXT PRIMARY KEY, desk TEXT NOT NULL, \
         seq BIGINT NOT NULL, registration_id TEXT NOT NULL, candidate TEXT NOT NULL, \
         admission_number TEXT NOT NULL, payload TEXT NOT NULL, payload_sha256 TEXT NOT NULL, \
         batch_key TEXT NOT NULL, received_at BIGINT NOT NULL)"
            .into(),
        "CREATE INDEX IF NOT EXISTS confirmations_registration ON confirmations (registration_id)".into(),
        "CREATE INDEX IF NOT EXISTS confirmations_candidate ON confirmations (candidate)".into(),
        "CREATE INDEX IF NOT EXISTS confirmations_admission ON confirmations (admission_number)".into(),
        format!(
            "CREATE TABLE IF NOT EXISTS conflicts (id {serial}, kind TEXT NOT NULL, \
             confirmation_id TEXT NOT NULL, other_confirmation_id TEXT NOT NULL, desk TEXT NOT NULL, \
             detail TEXT NOT NULL, payload TEXT, payload_sha256 TEXT NOT NULL, detected_at BIGINT NOT NULL)"
        ),
        "CREATE UNIQUE INDEX IF NOT EXISTS conflicts_once ON conflicts \
         (kind, confirmation_id, other_confirmation_id, payload_sha256)"
            .into(),
        format!(
            "CREATE TABLE IF NOT EXISTS blobs (sha256 TEXT PRIMARY KEY, size BIGINT NOT NULL, \
             bytes {blob} NOT NULL, received_at BIGINT NOT NULL)"
        ),
        // Monotonic counters; `roster_revision` numbers roster rows (see `import_roster`).
        "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)".into(),
        "INSERT INTO counters (name, value) VALUES ('roster_revision', 0) ON CONFLICT (name) DO NOTHING"
            .into(),
        // Each site's roster: the entry's JSON (wire form) and the revision it last changed at.
        "CREATE TABLE IF NOT EXISTS roster_rows (site TEXT NOT NULL, registration_id TEXT NOT NULL, \
         revision BIGINT NOT NULL, id_number TEXT NOT NULL, entry TEXT NOT NULL, entry_sha256 TEXT NOT NULL, \
         updated_at BIGINT NOT NULL, PRIMARY KEY (site, registration_id))"
            .into(),
        "CREATE UNIQUE INDEX IF NOT EXISTS roster_rows_revision ON roster_rows (revision)".into(),
        "CREATE INDEX IF NOT EXISTS roster_rows_site_revision ON roster_rows (site, revision)".into(),
        "CREATE INDEX IF NOT EXISTS roster_rows_site_id_number ON roster_rows (site, id_number)".into(),
        // Per district and sitting: the next serial not yet allocated to any desk.
        "CREATE TABLE IF NOT EXISTS serial_ranges (district TEXT NOT NULL, sitting TEXT NOT NULL, \
         next_serial BIGINT NOT NULL, PRIMARY KEY (district, sitting))"
            .into(),
        "CREATE TABLE IF NOT EXISTS serial_allocations (block_id TEXT PRIMARY KEY, district TEXT NOT NULL, \
         sitting TEXT NOT NULL, first_serial BIGINT NOT NULL, last_serial BIGINT NOT NULL, size BIGINT NOT NULL, \
         desk TEXT NOT NULL, request_key TEXT NOT NULL, allocated_at BIGINT NOT NULL, UNIQUE (desk, request_key))"
            .into(),
    ]
}

/// The next serial after the last one (`MAX_SERIAL + 1`): a range is used up when it is reached.
const SERIAL_END: i64 = MAX_SERIAL as i64 + 1;

/// PostgreSQL only: photos do not compress; skip TOAST's compression attempt.
const POSTGRES_TUNING: &str = "ALTER TABLE blobs ALTER COLUMN bytes SET STORAGE EXTERNAL";

/// The candidate's identity for conflict checks: a hash of the ID number (not the number).
fn candidate_key(id_number: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"zk-candidate-v1\0");
    hasher.update(id_number.trim().to_ascii_uppercase().as_bytes());
    hex::encode(hasher.finalize())
}

fn count(row: &AnyRow) -> Result<i64, HubError> {
    row.try_get::<i64, _>(0)
        .map_err(HubError::storage("reading a count"))
}

impl HubDb {
    /// Connects to `sqlite://PATH` (created if missing) or `postgres://…` and brings the schema
    /// up to date.
    pub async fn connect(url: &str) -> Result<HubDb, HubError> {
        sqlx::any::install_default_drivers();
        let config = |why: String| HubError::Config {
            url: redact_url(url),
            why,
        };
        let (backend, url) = if url.starts_with("sqlite:") {
            let url = if url.contains('?') || url.contains(":memory:") {
                url.to_owned()
            } else {
                format!("{url}?mode=rwc")
            };
            (Backend::Sqlite, url)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_owned())
        } else {
            return Err(config(
                "use sqlite://PATH (embedded) or postgres://USER@HOST:PORT/DB".into(),
            ));
        };
        let options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
        // SQLite: one writer at a time anyway; one connection avoids SQLITE_BUSY upgrades.
        let options = match backend {
            Backend::Sqlite => options
                .max_connections(1)
                .idle_timeout(None)
                .max_lifetime(None),
            Backend::Postgres => options.max_connections(8),
        };
        let pool = options
            .connect(&url)
            .await
            .map_err(|error| config(error.to_string()))?;
        let db = HubDb { pool, backend };
        if backend == Backend::Sqlite {
            // NORMAL in WAL: blobs and claims survive a crash of the hub; a batch commit switches
            // to FULL (below), which also makes every earlier commit durable, so what the hub
            // acknowledged survives a power cut too.
            for pragma in ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL"] {
                sqlx::query(pragma)
                    .execute(&db.pool)
                    .await
                    .map_err(HubError::storage("configuring SQLite"))?;
            }
        }
        for statement in schema(backend) {
            sqlx::query(sqlx::AssertSqlSafe(statement))
                .execute(&db.pool)
                .await
                .map_err(HubError::storage("creating the schema"))?;
        }
        db.add_column_if_missing("desks", "site", "TEXT").await?;
        if backend == Backend::Postgres {
            sqlx::query(POSTGRES_TUNING)
                .execute(&db.pool)
                .await
                .map_err(HubError::storage("creating the schema"))?;
        }
        Ok(db)
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// Adds `column` to `table` in a database made before it existed (forward-only, like the
    /// desk's migrations: never dropped).
    async fn add_column_if_missing(
        &self,
        table: &str,
        column: &str,
        kind: &str,
    ) -> Result<(), HubError> {
        let probe = match self.backend {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM pragma_table_info($1) WHERE name = $2".to_owned()
            }
            Backend::Postgres => "SELECT COUNT(*) FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2"
                .to_owned(),
        };
        let row = sqlx::query(sqlx::AssertSqlSafe(probe))
            .bind(table)
            .bind(column)
            .fetch_one(&self.pool)
            .await
            .map_err(HubError::storage("updating the schema"))?;
        if count(&row)? == 0 {
            // Only our own constant names are spliced in.
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "ALTER TABLE {table} ADD COLUMN {column} {kind}"
            )))
            .execute(&self.pool)
            .await
            .map_err(HubError::storage("updating the schema"))?;
        }
        Ok(())
    }

    /// Enrols a desk's Ed25519 public key (hex), at `site` when given (the site whose roster it
    /// may read). Enrolling an enrolled desk again with another site moves it there.
    pub async fn enrol_desk(
        &self,
        pubkey: &str,
        name: &str,
        site: Option<&str>,
        now_ms: i64,
    ) -> Result<Enrolment, HubError> {
        zk_sync::sign::parse_public_key(pubkey)?;
        if let Some(site) = site {
            check_site(site)?;
        }
        let pubkey = pubkey.trim().to_ascii_lowercase();
        let result = sqlx::query(
            "INSERT INTO desks (pubkey, name, enrolled_at, site) VALUES ($1, $2, $3, $4) ON CONFLICT (pubkey) DO NOTHING",
        )
        .bind(&pubkey)
        .bind(name)
        .bind(now_ms)
        .bind(site.map(str::to_owned))
        .execute(&self.pool)
        .await
        .map_err(HubError::storage("enrolling the desk"))?;
        if result.rows_affected() == 1 {
            return Ok(Enrolment::Enrolled);
        }
        let Some(site) = site else {
            return Ok(Enrolment::AlreadyEnrolled);
        };
        let moved = sqlx::query(
            "UPDATE desks SET site = $2 WHERE pubkey = $1 AND (site IS NULL OR site <> $2)",
        )
        .bind(&pubkey)
        .bind(site)
        .execute(&self.pool)
        .await
        .map_err(HubError::storage("enrolling the desk"))?;
        Ok(if moved.rows_affected() == 1 {
            Enrolment::SiteChanged
        } else {
            Enrolment::AlreadyEnrolled
        })
    }

    pub async fn desk_enrolled(&self, pubkey: &str) -> Result<bool, HubError> {
        let row = sqlx::query("SELECT COUNT(*) FROM desks WHERE pubkey = $1")
            .bind(pubkey)
            .fetch_one(&self.pool)
            .await
            .map_err(HubError::storage("looking up the desk"))?;
        Ok(count(&row)? > 0)
    }

    /// The site an enrolled desk belongs to (`None`: enrolled without one, or not enrolled).
    pub async fn desk_site(&self, pubkey: &str) -> Result<Option<String>, HubError> {
        let row = sqlx::query("SELECT site FROM desks WHERE pubkey = $1")
            .bind(pubkey)
            .fetch_optional(&self.pool)
            .await
            .map_err(HubError::storage("looking up the desk"))?;
        match row {
            Some(row) => row
                .try_get::<Option<String>, _>(0)
                .map_err(HubError::storage("looking up the desk")),
            None => Ok(None),
        }
    }

    /// A connection whose commits reach the disk before they return (SQLite: `synchronous =
    /// FULL`, which also flushes every earlier commit); give it back with [`HubDb::relax`].
    async fn durable(&self, context: &'static str) -> Result<PoolConnection, HubError> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(HubError::storage(context))?;
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA synchronous = FULL")
                .execute(&mut *conn)
                .await
                .map_err(HubError::storage(context))?;
        }
        Ok(conn)
    }

    async fn relax(&self, mut conn: PoolConnection) {
        if self.backend == Backend::Sqlite {
            if let Err(error) = sqlx::query("PRAGMA synchronous = NORMAL")
                .execute(&mut *conn)
                .await
            {
                // Staying at FULL is safe, only slower.
                tracing::warn!("cannot return to synchronous = NORMAL: {error}");
            }
        }
    }

    /// Imports `entries` into `site`'s roster in one transaction (all or nothing): new and changed
    /// registrations get fresh revisions (in the order given), unchanged ones keep theirs. Rows are
    /// upserted by registration id; none is removed (a withdrawn candidate comes as `cancelled`).
    /// Refused when two registrations of the site would share an ID number afterwards.
    pub async fn import_roster(
        &self,
        site: &str,
        entries: &[RosterEntry],
        now_ms: i64,
    ) -> Result<RosterImport, HubError> {
        check_site(site)?;
        let mut conn = self.durable("importing the roster").await?;
        let result = self
            .import_roster_on(&mut conn, site, entries, now_ms)
            .await;
        self.relax(conn).await;
        result
    }

    async fn import_roster_on(
        &self,
        conn: &mut PoolConnection,
        site: &str,
        entries: &[RosterEntry],
        now_ms: i64,
    ) -> Result<RosterImport, HubError> {
        use sqlx::Connection;
        let context = "importing the roster";
        let mut seen = std::collections::HashSet::new();
        let mut canonical = Vec::with_capacity(entries.len());
        for entry in entries {
            if !seen.insert(entry.registration_id.as_str()) {
                return Err(HubError::RosterInvalid(format!(
                    "registration {} appears twice; each registration must appear once",
                    entry.registration_id
                )));
            }
            let (json, sha256) = entry.canonical().map_err(HubError::RosterInvalid)?;
            canonical.push((entry, json, sha256));
        }
        let mut tx = conn.begin().await.map_err(HubError::storage(context))?;
        let held: std::collections::HashMap<String, String> =
            sqlx::query("SELECT registration_id, entry_sha256 FROM roster_rows WHERE site = $1")
                .bind(site)
                .fetch_all(&mut *tx)
                .await
                .map_err(HubError::storage(context))?
                .iter()
                .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
                .collect::<Result<_, sqlx::Error>>()
                .map_err(HubError::storage(context))?;
        let mut report = RosterImport {
            site: site.to_owned(),
            rows: entries.len() as u64,
            ..RosterImport::default()
        };
        let changed: Vec<&(&RosterEntry, String, String)> = canonical
            .iter()
            .filter(
                |(entry, _, sha256)| match held.get(&entry.registration_id) {
                    Some(held_sha256) if held_sha256 == sha256 => false,
                    Some(_) => {
                        report.updated += 1;
                        true
                    }
                    None => {
                        report.inserted += 1;
                        true
                    }
                },
            )
            .collect();
        report.unchanged = report.rows - report.inserted - report.updated;
        // Reserving the revisions locks the counter row until this transaction ends, so imports
        // commit in revision order: a desk that has seen revision r never misses a lower one
        // committed later.
        let reserved = i64::try_from(changed.len()).unwrap_or(i64::MAX);
        let row = sqlx::query(
            "UPDATE counters SET value = value + $1 WHERE name = 'roster_revision' RETURNING value",
        )
        .bind(reserved)
        .fetch_one(&mut *tx)
        .await
        .map_err(HubError::storage(context))?;
        let last: i64 = row.try_get(0).map_err(HubError::storage(context))?;
        let mut revision = last - reserved;
        for (entry, json, sha256) in changed {
            revision += 1;
            sqlx::query(
                "INSERT INTO roster_rows (site, registration_id, revision, id_number, entry, entry_sha256, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (site, registration_id) DO UPDATE SET \
                 revision = excluded.revision, id_number = excluded.id_number, entry = excluded.entry, \
                 entry_sha256 = excluded.entry_sha256, updated_at = excluded.updated_at",
            )
            .bind(site)
            .bind(&entry.registration_id)
            .bind(revision)
            .bind(entry.id_number.trim().to_ascii_uppercase())
            .bind(json)
            .bind(sha256)
            .bind(now_ms)
            .execute(&mut *tx)
            .await
            .map_err(HubError::storage(context))?;
        }
        let shared = sqlx::query(
            "SELECT id_number FROM roster_rows WHERE site = $1 GROUP BY id_number HAVING COUNT(*) > 1 LIMIT 1",
        )
        .bind(site)
        .fetch_optional(&mut *tx)
        .await
        .map_err(HubError::storage(context))?;
        if let Some(shared) = shared {
            let id_number: String = shared.try_get(0).map_err(HubError::storage(context))?;
            let owners: Vec<String> = sqlx::query(
                "SELECT registration_id FROM roster_rows WHERE site = $1 AND id_number = $2 ORDER BY registration_id",
            )
            .bind(site)
            .bind(&id_number)
            .fetch_all(&mut *tx)
            .await
            .map_err(HubError::storage(context))?
            .iter()
            .map(|row| row.try_get::<String, _>(0))
            .collect::<Result<_, _>>()
            .map_err(HubError::storage(context))?;
            return Err(HubError::RosterInvalid(format!(
                "registrations {} at site {site} would have the same ID number; one person has one registration, so correct the file",
                owners.join(" and ")
            )));
        }
        tx.commit().await.map_err(HubError::storage(context))?;
        report.revision = last;
        Ok(report)
    }

    /// Rows of `site` with a revision after `after`, ascending, at most `limit`.
    pub async fn roster_page(
        &self,
        site: &str,
        after: i64,
        limit: u32,
    ) -> Result<RosterPage, HubError> {
        let context = "reading the roster";
        let rows = sqlx::query(
            "SELECT revision, entry FROM roster_rows WHERE site = $1 AND revision > $2 ORDER BY revision LIMIT $3",
        )
        .bind(site)
        .bind(after)
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await
        .map_err(HubError::storage(context))?;
        let more = rows.len() > limit as usize;
        let mut page = Vec::with_capacity(rows.len().min(limit as usize));
        for row in rows.iter().take(limit as usize) {
            let revision: i64 = row.try_get(0).map_err(HubError::storage(context))?;
            let entry: String = row.try_get(1).map_err(HubError::storage(context))?;
            let registration: RosterEntry =
                serde_json::from_str(&entry).map_err(|error| HubError::Storage {
                    context,
                    message: format!("roster row {revision} is damaged: {error}"),
                })?;
            page.push(RosterRow {
                revision,
                registration,
            });
        }
        Ok(RosterPage {
            site: site.to_owned(),
            next: page.last().map_or(after, |row| row.revision),
            rows: page,
            more,
        })
    }

    /// Allocates `request.size` serials of its district and sitting to `desk`, under the desk's
    /// Idempotency-Key: the same key with the same request gets the same block again (never a
    /// second one), with another request [`HubError::KeyReused`]. Blocks never overlap; when
    /// fewer serials are left than asked for, [`HubError::SerialsExhausted`].
    pub async fn allocate_serials(
        &self,
        desk: &str,
        key: &str,
        request: &SerialBlockRequest,
        now_ms: i64,
    ) -> Result<SerialBlockResponse, HubError> {
        request.check().map_err(HubError::BadRequest)?;
        if let Some(stored) = self.stored_allocation(desk, key, request).await? {
            return Ok(stored);
        }
        let mut conn = self.durable("allocating serials").await?;
        let result = self
            .allocate_serials_on(&mut conn, desk, key, request, now_ms)
            .await;
        self.relax(conn).await;
        match result? {
            Some(block) => Ok(block),
            // Another request with this key committed first.
            None => self
                .stored_allocation(desk, key, request)
                .await?
                .ok_or(HubError::InProgress),
        }
    }

    /// The block stored under (`desk`, `key`), if any; another request under it is refused.
    async fn stored_allocation(
        &self,
        desk: &str,
        key: &str,
        request: &SerialBlockRequest,
    ) -> Result<Option<SerialBlockResponse>, HubError> {
        let context = "reading a serial allocation";
        let row = sqlx::query(
            "SELECT block_id, district, sitting, first_serial, last_serial, size FROM serial_allocations \
             WHERE desk = $1 AND request_key = $2",
        )
        .bind(desk)
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(HubError::storage(context))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let read = |index: usize| row.try_get::<String, _>(index);
        let number = |index: usize| row.try_get::<i64, _>(index);
        let (block_id, district, sitting) = (
            read(0).map_err(HubError::storage(context))?,
            read(1).map_err(HubError::storage(context))?,
            read(2).map_err(HubError::storage(context))?,
        );
        let (first, last, size) = (
            number(3).map_err(HubError::storage(context))?,
            number(4).map_err(HubError::storage(context))?,
            number(5).map_err(HubError::storage(context))?,
        );
        if district != request.district
            || sitting != request.sitting
            || size != i64::from(request.size)
        {
            return Err(HubError::KeyReused);
        }
        let serial = |value: i64| {
            u32::try_from(value).map_err(|_| HubError::Storage {
                context,
                message: format!("serial block {block_id} is damaged"),
            })
        };
        Ok(Some(SerialBlockResponse {
            first: serial(first)?,
            last: serial(last)?,
            block_id,
            district,
            sitting,
        }))
    }

    async fn allocate_serials_on(
        &self,
        conn: &mut PoolConnection,
        desk: &str,
        key: &str,
        request: &SerialBlockRequest,
        now_ms: i64,
    ) -> Result<Option<SerialBlockResponse>, HubError> {
        use sqlx::Connection;
        let context = "allocating serials";
        let size = i64::from(request.size);
        let mut tx = conn.begin().await.map_err(HubError::storage(context))?;
        sqlx::query(
            "INSERT INTO serial_ranges (district, sitting, next_serial) VALUES ($1, $2, 1) \
             ON CONFLICT (district, sitting) DO NOTHING",
        )
        .bind(&request.district)
        .bind(&request.sitting)
        .execute(&mut *tx)
        .await
        .map_err(HubError::storage(context))?;
        // The row stays locked until this transaction ends: allocations of one range are serial.
        let taken = sqlx::query(
            "UPDATE serial_ranges SET next_serial = next_serial + $3 \
             WHERE district = $1 AND sitting = $2 AND next_serial + $3 <= $4 RETURNING next_serial",
        )
        .bind(&request.district)
        .bind(&request.sitting)
        .bind(size)
        .bind(SERIAL_END)
        .fetch_optional(&mut *tx)
        .await
        .map_err(HubError::storage(context))?;
        let Some(taken) = taken else {
            let row = sqlx::query(
                "SELECT next_serial FROM serial_ranges WHERE district = $1 AND sitting = $2",
            )
            .bind(&request.district)
            .bind(&request.sitting)
            .fetch_one(&mut *tx)
            .await
            .map_err(HubError::storage(context))?;
            let next: i64 = row.try_get(0).map_err(HubError::storage(context))?;
            return Err(HubError::SerialsExhausted {
                district: request.district.clone(),
                sitting: request.sitting.clone(),
                left: u32::try_from(SERIAL_END - next).unwrap_or(0),
                asked: request.size,
            });
        };
        let end: i64 = taken.try_get(0).map_err(HubError::storage(context))?;
        let (first, last) = (end - size, end - 1);
        let block = SerialBlockResponse {
            block_id: format!("{}-{}-{first:05}", request.district, request.sitting),
            district: request.district.clone(),
            sitting: request.sitting.clone(),
            first: u32::try_from(first).map_err(|_| HubError::Storage {
                context,
                message: "the serial range is damaged".into(),
            })?,
            last: u32::try_from(last).map_err(|_| HubError::Storage {
                context,
                message: "the serial range is damaged".into(),
            })?,
        };
        let inserted = sqlx::query(
            "INSERT INTO serial_allocations (block_id, district, sitting, first_serial, last_serial, size, desk, \
             request_key, allocated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (desk, request_key) DO NOTHING",
        )
        .bind(&block.block_id)
        .bind(&block.district)
        .bind(&block.sitting)
        .bind(first)
        .bind(last)
        .bind(size)
        .bind(desk)
        .bind(key)
        .bind(now_ms)
        .execute(&mut *tx)
        .await
        .map_err(HubError::storage(context))?;
        if inserted.rows_affected() == 0 {
            // Dropping the transaction rolls the range back.
            return Ok(None);
        }
        tx.commit().await.map_err(HubError::storage(context))?;
        Ok(Some(block))
    }

    /// Every allocated block, by district, sitting and first serial.
    pub async fn serial_allocations(&self) -> Result<Vec<SerialAllocation>, HubError> {
        let rows = sqlx::query(
            "SELECT a.block_id, a.district, a.sitting, a.first_serial, a.last_serial, a.desk, \
             COALESCE(d.name, ''), a.allocated_at FROM serial_allocations a LEFT JOIN desks d ON d.pubkey = a.desk \
             ORDER BY a.district, a.sitting, a.first_serial",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(HubError::storage("listing serial allocations"))?;
        rows.iter()
            .map(|row| {
                Ok(SerialAllocation {
                    block_id: row.try_get(0)?,
                    district: row.try_get(1)?,
                    sitting: row.try_get(2)?,
                    first: row.try_get(3)?,
                    last: row.try_get(4)?,
                    desk: row.try_get(5)?,
                    desk_name: row.try_get(6)?,
                    allocated_at: row.try_get(7)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(HubError::storage("listing serial allocations"))
    }

    pub async fn has_blob(&self, sha256: &str) -> Result<bool, HubError> {
        let row = sqlx::query("SELECT COUNT(*) FROM blobs WHERE sha256 = $1")
            .bind(sha256)
            .fetch_one(&self.pool)
            .await
            .map_err(HubError::storage("looking up a blob"))?;
        Ok(count(&row)? > 0)
    }

    /// Which of `hashes` the hub lacks, in their order (one query per 500 hashes).
    pub async fn missing_blobs(&self, hashes: &[String]) -> Result<Vec<String>, HubError> {
        let mut held = std::collections::HashSet::new();
        for chunk in hashes.chunks(500) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
            // Only numbered placeholders are spliced in; the hashes are bound.
            let sql = format!(
                "SELECT sha256 FROM blobs WHERE sha256 IN ({})",
                placeholders.join(", ")
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for sha256 in chunk {
                query = query.bind(sha256.as_str());
            }
            let rows = query
                .fetch_all(&self.pool)
                .await
                .map_err(HubError::storage("looking up blobs"))?;
            for row in &rows {
                let sha256: String = row
                    .try_get(0)
                    .map_err(HubError::storage("looking up blobs"))?;
                held.insert(sha256);
            }
        }
        Ok(hashes
            .iter()
            .filter(|sha256| !held.contains(*sha256))
            .cloned()
            .collect())
    }

    /// Stores a blob (the caller checked its hash). Returns false when it was already there.
    pub async fn put_blob(
        &self,
        sha256: &str,
        bytes: &[u8],
        now_ms: i64,
    ) -> Result<bool, HubError> {
        let result = sqlx::query(
            "INSERT INTO blobs (sha256, size, bytes, received_at) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(sha256)
        .bind(i64::try_from(bytes.len()).unwrap_or(i64::MAX))
        .bind(bytes.to_vec())
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .map_err(HubError::storage("storing a blob"))?;
        Ok(result.rows_affected() == 1)
    }

    /// Stores several blobs (hashes checked by the caller) in one transaction. Returns how many
    /// were new.
    pub async fn put_blobs(&self, blobs: &[(String, &[u8])], now_ms: i64) -> Result<u64, HubError> {
        use sqlx::Connection;
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(HubError::storage("storing blobs"))?;
        let mut tx = conn
            .begin()
            .await
            .map_err(HubError::storage("storing blobs"))?;
        let mut stored = 0u64;
        for (sha256, bytes) in blobs {
            let result = sqlx::query(
                "INSERT INTO blobs (sha256, size, bytes, received_at) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING",
            )
            .bind(sha256.as_str())
            .bind(i64::try_from(bytes.len()).unwrap_or(i64::MAX))
            .bind(bytes.to_vec())
            .bind(now_ms)
            .execute(&mut *tx)
            .await
            .map_err(HubError::storage("storing blobs"))?;
            stored += result.rows_affected();
        }
        tx.commit()
            .await
            .map_err(HubError::storage("committing blobs"))?;
        Ok(stored)
    }

    /// A blob's bytes.
    pub async fn blob(&self, sha256: &str) -> Result<Option<Vec<u8>>, HubError> {
        let row = sqlx::query("SELECT bytes FROM blobs WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(&self.pool)
            .await
            .map_err(HubError::storage("reading a blob"))?;
        row.map(|row| {
            row.try_get::<Vec<u8>, _>(0)
                .map_err(HubError::storage("reading a blob"))
        })
        .transpose()
    }

    /// Claims `key` for this desk: the first request with it processes the batch.
    pub(crate) async fn claim(
        &self,
        desk: &str,
        key: &str,
        fingerprint: &str,
        now_ms: i64,
    ) -> Result<Claim, HubError> {
        let inserted = sqlx::query(
            "INSERT INTO idempotency (desk, batch_key, fingerprint, state, started_at) VALUES ($1, $2, $3, 'running', $4) \
             ON CONFLICT (desk, batch_key) DO NOTHING",
        )
        .bind(desk)
        .bind(key)
        .bind(fingerprint)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .map_err(HubError::storage("claiming the idempotency key"))?;
        if inserted.rows_affected() == 1 {
            return Ok(Claim::Owned);
        }
        let row = sqlx::query(
            "SELECT fingerprint, state, response, started_at FROM idempotency WHERE desk = $1 AND batch_key = $2",
        )
        .bind(desk)
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(HubError::storage("reading the idempotency key"))?;
        let Some(row) = row else {
            // Released in the meantime (its run failed): the client retries.
            return Ok(Claim::InProgress);
        };
        let read = HubError::storage("reading the idempotency key");
        let stored_fingerprint: String = row.try_get(0).map_err(read)?;
        let state: String = row
            .try_get(1)
            .map_err(HubError::storage("reading the idempotency key"))?;
        let response: Option<String> = row
            .try_get(2)
            .map_err(HubError::storage("reading the idempotency key"))?;
        let started_at: i64 = row
            .try_get(3)
            .map_err(HubError::storage("reading the idempotency key"))?;
        if stored_fingerprint != fingerprint {
            return Ok(Claim::Reused);
        }
        match (state.as_str(), response) {
            ("done", Some(response)) => Ok(Claim::Stored(response)),
            _ if now_ms.saturating_sub(started_at) > CLAIM_LEASE_MS => {
                // A stale claim (the hub died mid-batch): take it over.
                let taken = sqlx::query(
                    "UPDATE idempotency SET started_at = $3 WHERE desk = $1 AND batch_key = $2 \
                     AND state = 'running' AND started_at = $4",
                )
                .bind(desk)
                .bind(key)
                .bind(now_ms)
                .bind(started_at)
                .execute(&self.pool)
                .await
                .map_err(HubError::storage("taking over a stale claim"))?;
                Ok(if taken.rows_affected() == 1 {
                    Claim::Owned
                } else {
                    Claim::InProgress
                })
            }
            _ => Ok(Claim::InProgress),
        }
    }

    /// At the start of a hub serving a SQLite file (one hub process per file), claims still
    /// "running" belong to a hub that died mid-batch (its transaction was rolled back): drop
    /// them, so the desk's resend is applied at once instead of waiting out the lease.
    /// PostgreSQL hubs may run side by side; there the lease decides. Returns how many.
    pub async fn release_orphaned_claims(&self) -> Result<u64, HubError> {
        if self.backend != Backend::Sqlite {
            return Ok(0);
        }
        let result = sqlx::query("DELETE FROM idempotency WHERE state = 'running'")
            .execute(&self.pool)
            .await
            .map_err(HubError::storage("releasing orphaned claims"))?;
        Ok(result.rows_affected())
    }

    /// Claims an Idempotency-Key exactly as a request does before processing its batch (tools and
    /// tests that need a key "in progress"). True when this call claimed it.
    pub async fn claim_key(
        &self,
        desk: &str,
        key: &str,
        fingerprint: &str,
        now_ms: i64,
    ) -> Result<bool, HubError> {
        Ok(self.claim(desk, key, fingerprint, now_ms).await? == Claim::Owned)
    }

    /// Drops a claim whose processing failed, so a retry can run it.
    pub(crate) async fn release(&self, desk: &str, key: &str) {
        let result = sqlx::query(
            "DELETE FROM idempotency WHERE desk = $1 AND batch_key = $2 AND state = 'running'",
        )
        .bind(desk)
        .bind(key)
        .execute(&self.pool)
        .await;
        if let Err(error) = result {
            tracing::warn!("cannot release an idempotency claim (it expires by itself): {error}");
        }
    }

    /// Applies a batch in one transaction and stores its answer under the key.
    pub(crate) async fn apply_batch(
        &self,
        desk: &str,
        request: &BatchRequest,
        now_ms: i64,
    ) -> Result<BatchResponse, HubError> {
        let mut conn = self.durable("starting the batch").await?;
        let result = self.apply_batch_on(&mut conn, desk, request, now_ms).await;
        self.relax(conn).await;
        result
    }

    async fn apply_batch_on(
        &self,
        conn: &mut PoolConnection,
        desk: &str,
        request: &BatchRequest,
        now_ms: i64,
    ) -> Result<BatchResponse, HubError> {
        use sqlx::Connection;
        let mut tx = conn
            .begin()
            .await
            .map_err(HubError::storage("starting the batch"))?;
        let mut acks = Vec::with_capacity(request.records.len());
        for record in &request.records {
            let ack = apply_record(&mut tx, desk, &request.batch_key, record, now_ms).await?;
            acks.push(ack);
        }
        record_audit_head(&mut tx, desk, &request.audit_head, now_ms).await?;
        let response = BatchResponse {
            batch_key: request.batch_key.clone(),
            acks,
        };
        let response_json = serde_json::to_string(&response)
            .map_err(|error| HubError::BadRequest(error.to_string()))?;
        sqlx::query(
            "UPDATE idempotency SET state = 'done', response = $3, finished_at = $4 WHERE desk = $1 AND batch_key = $2",
        )
        .bind(desk)
        .bind(&request.batch_key)
        .bind(response_json)
        .bind(now_ms)
        .execute(&mut *tx)
        .await
        .map_err(HubError::storage("storing the batch answer"))?;
        tx.commit()
            .await
            .map_err(HubError::storage("committing the batch"))?;
        Ok(response)
    }

    pub async fn stats(&self) -> Result<HubStats, HubError> {
        let mut stats = HubStats::default();
        for (query, slot) in [
            (
                "SELECT COUNT(*) FROM confirmations",
                &mut stats.confirmations,
            ),
            ("SELECT COUNT(*) FROM desks", &mut stats.desks),
            (
                "SELECT COUNT(*) FROM idempotency WHERE state = 'done'",
                &mut stats.batches,
            ),
            ("SELECT COUNT(*) FROM blobs", &mut stats.blobs),
            (
                "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM blobs",
                &mut stats.blob_bytes,
            ),
            ("SELECT COUNT(*) FROM conflicts", &mut stats.conflicts),
            ("SELECT COUNT(*) FROM roster_rows", &mut stats.roster_rows),
            (
                "SELECT COUNT(*) FROM serial_allocations",
                &mut stats.serial_blocks,
            ),
        ] {
            let row = sqlx::query(query)
                .fetch_one(&self.pool)
                .await
                .map_err(HubError::storage("reading the statistics"))?;
            *slot = count(&row)?;
        }
        Ok(stats)
    }

    pub async fn conflicts(&self) -> Result<Vec<ConflictRow>, HubError> {
        let rows = sqlx::query(
            "SELECT id, kind, confirmation_id, other_confirmation_id, desk, detail, detected_at FROM conflicts ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(HubError::storage("listing conflicts"))?;
        rows.iter()
            .map(|row| {
                Ok(ConflictRow {
                    id: row.try_get(0)?,
                    kind: row.try_get(1)?,
                    confirmation_id: row.try_get(2)?,
                    other_confirmation_id: row.try_get(3)?,
                    desk: row.try_get(4)?,
                    detail: row.try_get(5)?,
                    detected_at: row.try_get(6)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(HubError::storage("listing conflicts"))
    }

    /// The payload SHA-256 of every stored confirmation, by id (tests and audits).
    pub async fn confirmation_hashes(&self) -> Result<Vec<(String, String)>, HubError> {
        let rows = sqlx::query(
            "SELECT confirmation_id, payload_sha256 FROM confirmations ORDER BY confirmation_id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(HubError::storage("listing confirmations"))?;
        rows.iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(HubError::storage("listing confirmations"))
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;
type PoolConnection = sqlx::pool::PoolConnection<sqlx::Any>;

/// Refuses a site id that is not a plain path segment.
pub(crate) fn check_site(site: &str) -> Result<(), HubError> {
    if zk_sync::wire::is_valid_site(site) {
        Ok(())
    } else {
        Err(HubError::BadRequest(format!(
            "site {site:?}: use 1 to 64 letters, digits, '-', '_' or '.'"
        )))
    }
}

fn rejected(record: &Record, reason: String) -> Ack {
    Ack {
        seq: record.seq,
        confirmation_id: record.confirmation_id.clone(),
        status: AckStatus::Rejected,
        reason: Some(reason),
    }
}

#[allow(clippy::too_many_arguments)]
async fn flag(
    tx: &mut Tx<'_>,
    kind: &str,
    confirmation_id: &str,
    other: &str,
    desk: &str,
    detail: &str,
    payload: Option<&str>,
    payload_sha256: &str,
    now_ms: i64,
) -> Result<(), HubError> {
    sqlx::query(
        "INSERT INTO conflicts (kind, confirmation_id, other_confirmation_id, desk, detail, payload, payload_sha256, detected_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (kind, confirmation_id, other_confirmation_id, payload_sha256) DO NOTHING",
    )
    .bind(kind)
    .bind(confirmation_id)
    .bind(other)
    .bind(desk)
    .bind(detail)
    .bind(payload.map(str::to_owned))
    .bind(payload_sha256)
    .bind(now_ms)
    .execute(&mut **tx)
    .await
    .map_err(HubError::storage("flagging a conflict"))?;
    Ok(())
}

async fn apply_record(
    tx: &mut Tx<'_>,
    desk: &str,
    batch_key: &str,
    record: &Record,
    now_ms: i64,
) -> Result<Ack, HubError> {
    if sha256_hex(record.payload.as_bytes()) != record.payload_sha256 {
        return Ok(rejected(
            record,
            "payload_sha256 does not match the payload".into(),
        ));
    }
    let head = match PayloadHead::parse(&record.payload) {
        Ok(head) => head,
        Err(why) => return Ok(rejected(record, why)),
    };
    if head.confirmation_id != record.confirmation_id {
        return Ok(rejected(
            record,
            "the payload names another confirmation".into(),
        ));
    }
    let mut listed: Vec<&str> = record
        .blobs
        .iter()
        .map(|blob| blob.sha256.as_str())
        .collect();
    let mut in_payload: Vec<&str> = head.artefacts.iter().map(|a| a.sha256.as_str()).collect();
    listed.sort_unstable();
    in_payload.sort_unstable();
    if listed != in_payload {
        return Ok(rejected(
            record,
            "the blob list differs from the payload's artefacts".into(),
        ));
    }
    for sha256 in &listed {
        let row = sqlx::query("SELECT COUNT(*) FROM blobs WHERE sha256 = $1")
            .bind(*sha256)
            .fetch_one(&mut **tx)
            .await
            .map_err(HubError::storage("checking blobs"))?;
        if count(&row)? == 0 {
            return Ok(rejected(
                record,
                format!("blob {sha256} has not been uploaded"),
            ));
        }
    }
    let ack = |status| Ack {
        seq: record.seq,
        confirmation_id: record.confirmation_id.clone(),
        status,
        reason: None,
    };
    let candidate = candidate_key(&head.id_number);
    let inserted = sqlx::query(
        "INSERT INTO confirmations (confirmation_id, desk, seq, registration_id, candidate, admission_number, payload, \
         payload_sha256, batch_key, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (confirmation_id) DO NOTHING",
    )
    .bind(&record.confirmation_id)
    .bind(desk)
    .bind(record.seq)
    .bind(&head.registration_id)
    .bind(&candidate)
    .bind(&head.admission_number)
    .bind(&record.payload)
    .bind(&record.payload_sha256)
    .bind(batch_key)
    .bind(now_ms)
    .execute(&mut **tx)
    .await
    .map_err(HubError::storage("storing a confirmation"))?;
    if inserted.rows_affected() == 0 {
        let row =
            sqlx::query("SELECT payload_sha256 FROM confirmations WHERE confirmation_id = $1")
                .bind(&record.confirmation_id)
                .fetch_one(&mut **tx)
                .await
                .map_err(HubError::storage("reading a confirmation"))?;
        let stored: String = row
            .try_get(0)
            .map_err(HubError::storage("reading a confirmation"))?;
        if stored == record.payload_sha256 {
            return Ok(ack(AckStatus::Duplicate));
        }
        // Same confirmation, other content: keep the new version beside the stored one.
        flag(
            tx,
            "payload_mismatch",
            &record.confirmation_id,
            &record.confirmation_id,
            desk,
            &format!(
                "stored payload {stored}, received {}",
                record.payload_sha256
            ),
            Some(&record.payload),
            &record.payload_sha256,
            now_ms,
        )
        .await?;
        return Ok(ack(AckStatus::Conflict));
    }
    let mut conflict = false;
    let others = sqlx::query(
        "SELECT confirmation_id, registration_id = $2 FROM confirmations \
         WHERE (registration_id = $2 OR candidate = $3) AND confirmation_id <> $1",
    )
    .bind(&record.confirmation_id)
    .bind(&head.registration_id)
    .bind(&candidate)
    .fetch_all(&mut **tx)
    .await
    .map_err(HubError::storage("checking for the same candidate"))?;
    for other in &others {
        let other_id: String = other
            .try_get(0)
            .map_err(HubError::storage("checking for the same candidate"))?;
        flag(
            tx,
            "candidate_confirmed_twice",
            &record.confirmation_id,
            &other_id,
            desk,
            &format!("registration {}", head.registration_id),
            None,
            &record.payload_sha256,
            now_ms,
        )
        .await?;
        conflict = true;
    }
    let numbers = sqlx::query(
        "SELECT confirmation_id FROM confirmations WHERE admission_number = $2 AND confirmation_id <> $1",
    )
    .bind(&record.confirmation_id)
    .bind(&head.admission_number)
    .fetch_all(&mut **tx)
    .await
    .map_err(HubError::storage("checking the admission number"))?;
    for other in &numbers {
        let other_id: String = other
            .try_get(0)
            .map_err(HubError::storage("checking the admission number"))?;
        flag(
            tx,
            "admission_number_twice",
            &record.confirmation_id,
            &other_id,
            desk,
            &format!("admission number {}", head.admission_number),
            None,
            &record.payload_sha256,
            now_ms,
        )
        .await?;
        conflict = true;
    }
    Ok(ack(if conflict {
        AckStatus::Conflict
    } else {
        AckStatus::Stored
    }))
}

async fn record_audit_head(
    tx: &mut Tx<'_>,
    desk: &str,
    head: &AuditHead,
    now_ms: i64,
) -> Result<(), HubError> {
    sqlx::query(
        "UPDATE desks SET audit_seq = $2, audit_hash = $3, last_seen_at = $4 \
         WHERE pubkey = $1 AND (audit_seq IS NULL OR audit_seq <= $2)",
    )
    .bind(desk)
    .bind(head.seq)
    .bind(&head.hash)
    .bind(now_ms)
    .execute(&mut **tx)
    .await
    .map_err(HubError::storage("recording the desk's audit head"))?;
    Ok(())
}

/// The URL without its password, for messages.
pub(crate) fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &credentials[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
