//! The hub's store: one schema for PostgreSQL and SQLite through sqlx's Any driver.

use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use zk_sync::wire::{
    sha256_hex, Ack, AckStatus, AuditHead, BatchRequest, BatchResponse, PayloadHead, Record,
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
    ]
}

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

    /// Enrols a desk's Ed25519 public key (hex). Returns false when it was already enrolled.
    pub async fn enrol_desk(
        &self,
        pubkey: &str,
        name: &str,
        now_ms: i64,
    ) -> Result<bool, HubError> {
        zk_sync::sign::parse_public_key(pubkey)?;
        let result = sqlx::query(
            "INSERT INTO desks (pubkey, name, enrolled_at) VALUES ($1, $2, $3) ON CONFLICT (pubkey) DO NOTHING",
        )
        .bind(pubkey.trim().to_ascii_lowercase())
        .bind(name)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .map_err(HubError::storage("enrolling the desk"))?;
        Ok(result.rows_affected() == 1)
    }

    pub async fn desk_enrolled(&self, pubkey: &str) -> Result<bool, HubError> {
        let row = sqlx::query("SELECT COUNT(*) FROM desks WHERE pubkey = $1")
            .bind(pubkey)
            .fetch_one(&self.pool)
            .await
            .map_err(HubError::storage("looking up the desk"))?;
        Ok(count(&row)? > 0)
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
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(HubError::storage("starting the batch"))?;
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA synchronous = FULL")
                .execute(&mut *conn)
                .await
                .map_err(HubError::storage("starting the batch"))?;
        }
        let result = self.apply_batch_on(&mut conn, desk, request, now_ms).await;
        if self.backend == Backend::Sqlite {
            if let Err(error) = sqlx::query("PRAGMA synchronous = NORMAL")
                .execute(&mut *conn)
                .await
            {
                // Staying at FULL is safe, only slower.
                tracing::warn!("cannot return to synchronous = NORMAL: {error}");
            }
        }
        result
    }

    async fn apply_batch_on(
        &self,
        conn: &mut sqlx::pool::PoolConnection<sqlx::Any>,
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
