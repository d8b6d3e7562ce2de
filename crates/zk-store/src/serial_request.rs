//! Serial blocks asked of the hub: the request (its Idempotency-Key and what it asks for) is
//! written durably before it is sent, and closed in the transaction that records the block, so a
//! lost answer is asked again under the same key and the desk records each block once.

use rusqlite::{params, OptionalExtension};
use zk_domain::{SerialBlock, Sitting, Timestamp};

use crate::error::StoreError;
use crate::serials::insert_block;
use crate::{audit, Store};

/// A serial-block request to the hub.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SerialRequest {
    /// The Idempotency-Key.
    pub key: String,
    pub district: String,
    pub sitting: Sitting,
    pub size: u32,
}

impl Store {
    /// The request sent and not answered yet, if any.
    pub fn open_serial_request(&self) -> Result<Option<SerialRequest>, StoreError> {
        let found: Option<(String, String, String, u32)> = self
            .conn
            .query_row(
                "SELECT request_key, district, sitting, size FROM serial_requests WHERE state = 'open'",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .optional()
            .map_err(StoreError::db("reading the open serial request"))?;
        found
            .map(|(key, district, sitting, size)| {
                let sitting = Sitting::parse(&sitting).map_err(|_| {
                    StoreError::corrupt(format!("serial request {key} has an unreadable sitting"))
                })?;
                Ok(SerialRequest {
                    key,
                    district,
                    sitting,
                    size,
                })
            })
            .transpose()
    }

    /// Records a request (durably) before it is sent. Refused while another is open.
    pub fn begin_serial_request(
        &mut self,
        request: &SerialRequest,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.with_full_sync(|store| {
            store
                .conn
                .execute(
                    "INSERT INTO serial_requests (request_key, district, sitting, size, state, created_at) \
                     VALUES (?1, ?2, ?3, ?4, 'open', ?5)",
                    params![
                        request.key,
                        request.district,
                        request.sitting.code(),
                        request.size,
                        now.as_millis()
                    ],
                )
                .map_err(StoreError::db(
                    "recording the serial request (is another request still open?)",
                ))?;
            Ok(())
        })
    }

    /// Records the hub's block for the open request `key` (as [`Store::add_serial_block`] does,
    /// audited as `actor`) and closes the request, in one durable transaction. The block must be
    /// what was asked for. Returns false, changing nothing, when the request is already closed
    /// with this block.
    pub fn complete_serial_request(
        &mut self,
        key: &str,
        block: &SerialBlock,
        actor: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        self.with_full_sync(|store| {
            let tx = store
                .conn
                .transaction()
                .map_err(StoreError::db("starting to record the hub's serial block"))?;
            let request: Option<(String, String, String, u32, Option<String>)> = tx
                .query_row(
                    "SELECT state, district, sitting, size, block_id FROM serial_requests WHERE request_key = ?1",
                    [key],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?)),
                )
                .optional()
                .map_err(StoreError::db("reading the serial request"))?;
            let Some((state, district, sitting, size, recorded)) = request else {
                return Err(StoreError::corrupt(format!(
                    "serial request {key} was never recorded"
                )));
            };
            if state == "allocated" && recorded.as_deref() == Some(block.block_id.as_str()) {
                return Ok(false);
            }
            if state != "open" {
                return Err(StoreError::corrupt(format!(
                    "serial request {key} is already closed ({state})"
                )));
            }
            let asked = block.district == district
                && block.sitting.code() == sitting
                && block.last.checked_sub(block.first).map(|span| span + 1) == Some(size);
            if !asked {
                return Err(StoreError::InvalidBlock {
                    message: format!(
                        "the hub's block {} ({} {} serials {}–{}) is not the {size} serials of district {district} sitting {sitting} that were asked for",
                        block.block_id,
                        block.district,
                        block.sitting.code(),
                        block.first,
                        block.last
                    ),
                });
            }
            insert_block(&tx, block, actor, now)?;
            tx.execute(
                "UPDATE serial_requests SET state = 'allocated', block_id = ?2, closed_at = ?3 WHERE request_key = ?1",
                params![key, block.block_id, now.as_millis()],
            )
            .map_err(StoreError::db("closing the serial request"))?;
            tx.commit()
                .map_err(StoreError::db("committing the hub's serial block"))?;
            tracing::info!(block_id = %block.block_id, "serial block from the hub recorded");
            Ok(true)
        })
    }

    /// Closes the open request `key` that the hub refused for good (nothing was allocated under
    /// it), audited with the reason's code, so the next request starts afresh.
    pub fn refuse_serial_request(
        &mut self,
        key: &str,
        code: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.with_full_sync(|store| {
            let tx = store
                .conn
                .transaction()
                .map_err(StoreError::db("closing the serial request"))?;
            let closed = tx
                .execute(
                    "UPDATE serial_requests SET state = 'refused', closed_at = ?2 WHERE request_key = ?1 AND state = 'open'",
                    params![key, now.as_millis()],
                )
                .map_err(StoreError::db("closing the serial request"))?;
            if closed == 1 {
                audit::append(
                    &tx,
                    "sync",
                    "serials.request_refused",
                    &format!("request={key} code={code}"),
                    now,
                )?;
            }
            tx.commit()
                .map_err(StoreError::db("closing the serial request"))?;
            Ok(())
        })
    }
}
