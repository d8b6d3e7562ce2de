//! Serial blocks: the admission-number serials this desk may issue, per district and sitting.

use rusqlite::{params, Connection, OptionalExtension};
use zk_domain::{SerialBlock, Sitting, Timestamp};

use crate::error::StoreError;
use crate::{audit, Store};

/// Blocks ordered by district, sitting and first serial; optionally of one district and sitting.
pub(crate) fn load_blocks(
    conn: &Connection,
    only: Option<(&str, Sitting)>,
) -> Result<Vec<SerialBlock>, StoreError> {
    let (district, sitting) = match only {
        Some((district, sitting)) => (Some(district.to_owned()), Some(sitting.code())),
        None => (None, None),
    };
    let mut statement = conn
        .prepare_cached(
            "SELECT block_id, district, sitting, first, last, next FROM serial_blocks \
             WHERE (?1 IS NULL OR district = ?1) AND (?2 IS NULL OR sitting = ?2) \
             ORDER BY district, sitting, first",
        )
        .map_err(StoreError::db("reading serial blocks"))?;
    let mut rows = statement
        .query(params![district, sitting])
        .map_err(StoreError::db("reading serial blocks"))?;
    let mut blocks = Vec::new();
    while let Some(row) = rows
        .next()
        .map_err(StoreError::db("reading serial blocks"))?
    {
        let block_id: String = row
            .get(0)
            .map_err(StoreError::db("reading serial blocks"))?;
        let sitting: String = row
            .get(2)
            .map_err(StoreError::db("reading serial blocks"))?;
        let sitting = Sitting::parse(&sitting).map_err(|_| {
            StoreError::corrupt(format!("serial block {block_id} has an unreadable sitting"))
        })?;
        blocks.push(SerialBlock {
            district: row
                .get(1)
                .map_err(StoreError::db("reading serial blocks"))?,
            sitting,
            first: row
                .get(3)
                .map_err(StoreError::db("reading serial blocks"))?,
            last: row
                .get(4)
                .map_err(StoreError::db("reading serial blocks"))?,
            next: row
                .get(5)
                .map_err(StoreError::db("reading serial blocks"))?,
            block_id,
        });
    }
    Ok(blocks)
}

impl Store {
    /// Records a block allocated to this desk. Refuses a duplicate block id and any overlap with a
    /// recorded block of the same district and sitting (used up or not).
    pub fn add_serial_block(
        &mut self,
        block: &SerialBlock,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.with_full_sync(|store| store.add_serial_block_now(block, actor, now))
    }

    fn add_serial_block_now(
        &mut self,
        block: &SerialBlock,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction()
            .map_err(StoreError::db("starting to record a serial block"))?;
        insert_block(&tx, block, actor, now)?;
        tx.commit()
            .map_err(StoreError::db("committing a serial block"))?;
        tracing::info!(block_id = %block.block_id, district = %block.district, "serial block recorded");
        Ok(())
    }

    /// Every recorded block, ordered by district, sitting and first serial.
    pub fn serial_blocks(&self) -> Result<Vec<SerialBlock>, StoreError> {
        load_blocks(&self.conn, None)
    }
}

/// Checks and records `block` inside the caller's transaction (audited as `actor`): refuses a
/// duplicate block id and any overlap with a recorded block of the same district and sitting.
pub(crate) fn insert_block(
    tx: &Connection,
    block: &SerialBlock,
    actor: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    let checked = SerialBlock::new(
        &block.block_id,
        &block.district,
        block.sitting,
        block.first,
        block.last,
    )
    .map_err(|error| StoreError::InvalidBlock {
        message: error.to_string(),
    })?;
    if checked.block_id != block.block_id {
        return Err(StoreError::InvalidBlock {
            message: "the block id has spaces around it".into(),
        });
    }
    if block.next < block.first || block.next > block.last + 1 {
        return Err(StoreError::InvalidBlock {
            message: format!(
                "next serial {} is outside {}..={}",
                block.next,
                block.first,
                block.last + 1
            ),
        });
    }
    let exists: Option<i64> = tx
        .query_row(
            "SELECT 1 FROM serial_blocks WHERE block_id = ?1",
            [&block.block_id],
            |row| row.get(0),
        )
        .optional()
        .map_err(StoreError::db("checking serial blocks"))?;
    if exists.is_some() {
        return Err(StoreError::DuplicateBlock {
            block_id: block.block_id.clone(),
        });
    }
    let same_range = load_blocks(tx, Some((&block.district, block.sitting)))?;
    if let Some(existing) = same_range.iter().find(|existing| existing.overlaps(block)) {
        return Err(StoreError::OverlappingBlock {
            block_id: block.block_id.clone(),
            existing: existing.block_id.clone(),
            district: block.district.clone(),
            sitting: block.sitting.code(),
        });
    }
    tx.execute(
            "INSERT INTO serial_blocks (block_id, district, sitting, first, last, next, added_at, added_by) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                block.block_id,
                block.district,
                block.sitting.code(),
                block.first,
                block.last,
                block.next,
                now.as_millis(),
                actor
            ],
        )
        .map_err(StoreError::db("recording a serial block"))?;
    audit::append(
        tx,
        actor,
        "serials.add_block",
        &format!(
            "block_id={} district={} sitting={} first={} last={} next={}",
            block.block_id,
            block.district,
            block.sitting.code(),
            block.first,
            block.last,
            block.next
        ),
        now,
    )?;
    Ok(())
}
