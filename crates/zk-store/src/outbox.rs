//! The outbox: confirmations waiting for the hub, paged by a monotonic sequence.

use std::fmt;

use rusqlite::params;
use zk_domain::Timestamp;

use crate::error::StoreError;
use crate::roster::clamp;
use crate::{audit, seal, Store};

/// One queued confirmation. `payload` is JSON and holds the ID number (the hub needs it), so
/// `Debug` shows only its length.
#[derive(Clone, PartialEq, Eq)]
pub struct OutboxRow {
    /// Monotonic, never reused: sync pages with `after_seq`.
    pub seq: i64,
    /// The idempotency key upstream.
    pub confirmation_id: String,
    pub payload: String,
    pub created_at: Timestamp,
    pub acked_at: Option<Timestamp>,
}

impl fmt::Debug for OutboxRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboxRow")
            .field("seq", &self.seq)
            .field("confirmation_id", &self.confirmation_id)
            .field("payload", &format_args!("{} bytes", self.payload.len()))
            .field("created_at", &self.created_at)
            .field("acked_at", &self.acked_at)
            .finish()
    }
}

impl Store {
    /// Rows not yet acknowledged with `seq > after_seq`, in order, at most `limit`.
    pub fn outbox_pending(
        &self,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT seq, confirmation_id, payload, created_at FROM outbox \
                 WHERE seq > ?1 AND acked_at IS NULL ORDER BY seq LIMIT ?2",
            )
            .map_err(StoreError::db("reading the outbox"))?;
        let rows = statement
            .query_map(params![after_seq, clamp(limit)], |row| {
                Ok(OutboxRow {
                    seq: row.get(0)?,
                    confirmation_id: row.get(1)?,
                    payload: row.get(2)?,
                    created_at: Timestamp::from_millis(row.get(3)?),
                    acked_at: None,
                })
            })
            .map_err(StoreError::db("reading the outbox"))?;
        let mut rows = rows
            .collect::<Result<Vec<_>, _>>()
            .map_err(StoreError::db("reading the outbox"))?;
        for row in &mut rows {
            row.payload = seal::open_json(&self.key, "outbox", &row.confirmation_id, &row.payload)?;
        }
        Ok(rows)
    }

    /// `(pending, acked)`.
    pub fn outbox_counts(&self) -> Result<(u64, u64), StoreError> {
        let (pending, acked): (i64, i64) = self
            .conn
            .query_row(
                "SELECT COUNT(*) - COUNT(acked_at), COUNT(acked_at) FROM outbox",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .map_err(StoreError::db("counting the outbox"))?;
        Ok((
            u64::try_from(pending).unwrap_or(0),
            u64::try_from(acked).unwrap_or(0),
        ))
    }

    /// Marks rows acknowledged by the hub (only from the hub's answer). Already acked or unknown
    /// sequence numbers are ignored; returns how many rows changed.
    pub fn outbox_ack(&mut self, seqs: &[i64], now: Timestamp) -> Result<u64, StoreError> {
        self.with_full_sync(|store| store.outbox_ack_now(seqs, now))
    }

    fn outbox_ack_now(&mut self, seqs: &[i64], now: Timestamp) -> Result<u64, StoreError> {
        let tx = self
            .conn
            .transaction()
            .map_err(StoreError::db("starting to acknowledge outbox rows"))?;
        let mut changed = 0u64;
        {
            let mut statement = tx
                .prepare_cached(
                    "UPDATE outbox SET acked_at = ?2 WHERE seq = ?1 AND acked_at IS NULL",
                )
                .map_err(StoreError::db("acknowledging outbox rows"))?;
            for seq in seqs {
                changed += statement
                    .execute(params![seq, now.as_millis()])
                    .map_err(StoreError::db("acknowledging outbox rows"))?
                    as u64;
            }
        }
        if changed > 0 {
            let first = seqs.iter().min().copied().unwrap_or_default();
            let last = seqs.iter().max().copied().unwrap_or_default();
            audit::append(
                &tx,
                "sync",
                "outbox.ack",
                &format!("acked={changed} seq_from={first} seq_to={last}"),
                now,
            )?;
        }
        tx.commit()
            .map_err(StoreError::db("committing outbox acknowledgements"))?;
        Ok(changed)
    }
}
