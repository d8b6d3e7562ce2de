//! Retention in the store: the facts the pure planner (`zk_domain::retention`) needs, and the
//! secure purge of what it chose: each blob is overwritten with zeros, then cleared (SQLite's
//! `secure_delete` zeroes the freed pages), the purge is audited in the same transaction, and the
//! WAL is checkpointed and truncated and the file vacuumed, so no copy of the ciphertext stays in
//! the database, its WAL or free pages. The artefact row (id, kind, hash, size, times) stays as
//! evidence of what existed.

use std::collections::BTreeMap;

use rusqlite::params;
use zk_domain::{ArtefactFacts, ArtefactId, ArtefactKind, PurgeItem, Timestamp};

use crate::error::StoreError;
use crate::{audit, Store};

/// What a purge did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PurgeOutcome {
    /// Artefacts whose bytes were erased.
    pub purged: u64,
    /// Per `kind:reason`, how many.
    pub by_kind_and_reason: BTreeMap<String, u64>,
    /// Bytes of plaintext erased (sum of sizes).
    pub bytes: u64,
    /// Whether the WAL checkpoint and VACUUM completed (false when another connection held the
    /// database open: the erased pages are then overwritten at the next checkpoint).
    pub compacted: bool,
}

impl Store {
    /// Every artefact that still has its bytes, with what retention needs to know about it.
    pub fn retention_facts(&self) -> Result<Vec<ArtefactFacts>, StoreError> {
        let mut statement = self
            .conn
            .prepare(
                "SELECT a.id, a.kind, a.created_at, s.ended_at, \
                        EXISTS (SELECT 1 FROM confirmations c WHERE c.session_id = a.session_id), \
                        (SELECT o.acked_at FROM confirmations c JOIN outbox o ON o.confirmation_id = c.id \
                         WHERE c.session_id = a.session_id) \
                 FROM artefacts a JOIN sessions s ON s.id = a.session_id \
                 WHERE a.purged_at IS NULL ORDER BY a.created_at, a.id",
            )
            .map_err(StoreError::db("reading artefacts for retention"))?;
        let rows = statement
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, Option<i64>>(3)?,
                    row.get::<_, bool>(4)?,
                    row.get::<_, Option<i64>>(5)?,
                ))
            })
            .map_err(StoreError::db("reading artefacts for retention"))?;
        let mut facts = Vec::new();
        for row in rows {
            let (id, kind, created_at, ended_at, confirmed, acked_at) =
                row.map_err(StoreError::db("reading artefacts for retention"))?;
            let kind = ArtefactKind::from_code(&kind)
                .ok_or_else(|| StoreError::ArtefactCorrupt { id: id.clone() })?;
            facts.push(ArtefactFacts {
                id: ArtefactId(id),
                kind,
                created_at: Timestamp::from_millis(created_at),
                session_ended_at: ended_at.map(Timestamp::from_millis),
                confirmed,
                uploaded_at: acked_at.map(Timestamp::from_millis),
            });
        }
        Ok(facts)
    }

    /// Securely erases the listed artefacts' bytes in one audited transaction, then compacts the
    /// database. Items already purged are skipped. An empty plan is still audited (the run
    /// happened) but nothing is compacted.
    pub fn purge(
        &mut self,
        items: &[PurgeItem],
        actor: &str,
        now: Timestamp,
    ) -> Result<PurgeOutcome, StoreError> {
        let mut outcome = self.with_full_sync(|store| store.purge_items_now(items, actor, now))?;
        if outcome.purged > 0 {
            outcome.compacted = self.compact()?;
        }
        tracing::info!(
            purged = outcome.purged,
            compacted = outcome.compacted,
            "retention purge done"
        );
        Ok(outcome)
    }

    fn purge_items_now(
        &mut self,
        items: &[PurgeItem],
        actor: &str,
        now: Timestamp,
    ) -> Result<PurgeOutcome, StoreError> {
        let tx = self
            .conn
            .transaction()
            .map_err(StoreError::db("starting a purge"))?;
        let mut outcome = PurgeOutcome::default();
        {
            let mut overwrite = tx
                .prepare(
                    "UPDATE artefacts SET ciphertext = zeroblob(length(ciphertext)), nonce = zeroblob(24) \
                     WHERE id = ?1 AND purged_at IS NULL",
                )
                .map_err(StoreError::db("purging artefacts"))?;
            let mut clear = tx
                .prepare(
                    "UPDATE artefacts SET ciphertext = NULL, nonce = NULL, purged_at = ?2 \
                     WHERE id = ?1 AND purged_at IS NULL RETURNING size",
                )
                .map_err(StoreError::db("purging artefacts"))?;
            for item in items {
                if overwrite
                    .execute([&item.id.0])
                    .map_err(StoreError::db("purging artefacts"))?
                    == 0
                {
                    continue;
                }
                let size: i64 = clear
                    .query_row(params![item.id.0, now.as_millis()], |row| row.get(0))
                    .map_err(StoreError::db("purging artefacts"))?;
                outcome.purged += 1;
                outcome.bytes += u64::try_from(size).unwrap_or(0);
                *outcome
                    .by_kind_and_reason
                    .entry(format!("{}:{}", item.kind.code(), item.reason.code()))
                    .or_default() += 1;
            }
        }
        let summary: Vec<String> = outcome
            .by_kind_and_reason
            .iter()
            .map(|(key, count)| format!("{key}={count}"))
            .collect();
        audit::append(
            &tx,
            actor,
            "artefacts.purge",
            &format!(
                "purged={} bytes={} {}",
                outcome.purged,
                outcome.bytes,
                if summary.is_empty() {
                    "none".to_owned()
                } else {
                    summary.join(",")
                }
            ),
            now,
        )?;
        tx.commit().map_err(StoreError::db("committing a purge"))?;
        Ok(outcome)
    }

    /// Checkpoints and truncates the WAL, vacuums, and truncates again, so erased pages leave the
    /// files. Returns false when another connection kept the checkpoint from completing.
    pub(crate) fn compact(&mut self) -> Result<bool, StoreError> {
        if self.db_path.is_none() {
            return Ok(true);
        }
        let checkpoint = |conn: &rusqlite::Connection| -> Result<bool, StoreError> {
            let busy: i64 = conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))
                .map_err(StoreError::db("checkpointing the database"))?;
            Ok(busy == 0)
        };
        let first = checkpoint(&self.conn)?;
        // VACUUM rewrites the file without free pages; it cannot run while another connection
        // reads. Then the erased pages are zeroed (secure_delete) but the file is not shrunk.
        let vacuumed = match self.conn.execute_batch("VACUUM") {
            Ok(()) => true,
            Err(error) => {
                tracing::warn!("VACUUM after a purge did not run: {error}");
                false
            }
        };
        let second = checkpoint(&self.conn)? && vacuumed;
        if !(first && second) {
            tracing::warn!("another connection kept the purge checkpoint from completing; erased pages leave the WAL at the next checkpoint");
        }
        Ok(first && second)
    }
}
