//! Artefacts (photos, clips, signatures): XChaCha20-Poly1305 with a random 24-byte nonce per blob
//! and the artefact id and kind as associated data, so a blob cannot be moved to another row or
//! relabelled. The SHA-256 of the plaintext is kept for integrity checks and for the hub.

use std::fmt;

use rusqlite::{params, OptionalExtension};
use sha2::{Digest, Sha256};
use zk_domain::{ArtefactId, ArtefactKind, Timestamp};

use crate::error::StoreError;
use crate::key::random_id;
use crate::session::{require_open, SessionId};
use crate::{audit, Store};

/// The largest artefact accepted (a few seconds of video and audio fit easily).
pub const MAX_ARTEFACT_BYTES: usize = 256 * 1024 * 1024;

/// A decrypted artefact. `Debug` shows the size, never the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Artefact {
    pub id: ArtefactId,
    pub session: SessionId,
    pub kind: ArtefactKind,
    pub bytes: Vec<u8>,
    /// Hex SHA-256 of `bytes`.
    pub sha256: String,
    pub created_at: Timestamp,
}

impl fmt::Debug for Artefact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Artefact")
            .field("id", &self.id)
            .field("session", &self.session)
            .field("kind", &self.kind)
            .field("bytes", &format_args!("{} bytes", self.bytes.len()))
            .field("sha256", &self.sha256)
            .finish_non_exhaustive()
    }
}

pub(crate) fn associated_data(id: &str, kind: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(16 + id.len() + kind.len());
    aad.extend_from_slice(b"zk-artefact-v1\0");
    aad.extend_from_slice(id.as_bytes());
    aad.push(0);
    aad.extend_from_slice(kind.as_bytes());
    aad
}

impl Store {
    /// Encrypts and stores an artefact of an open session; returns its new random id.
    pub fn put_artefact(
        &mut self,
        session: SessionId,
        kind: ArtefactKind,
        plaintext: &[u8],
        now: Timestamp,
    ) -> Result<ArtefactId, StoreError> {
        if plaintext.len() > MAX_ARTEFACT_BYTES {
            return Err(StoreError::ArtefactTooLarge {
                size: plaintext.len(),
                limit: MAX_ARTEFACT_BYTES,
            });
        }
        let tx = self
            .conn
            .transaction()
            .map_err(StoreError::db("storing an artefact"))?;
        crate::require_current_key(&tx, &self.key)?;
        require_open(&tx, session)?;
        let id = random_id()?;
        let sha256 = hex::encode(Sha256::digest(plaintext));
        let (nonce, ciphertext) = self
            .key
            .seal(plaintext, &associated_data(&id, kind.code()))?;
        tx.prepare_cached(
                "INSERT INTO artefacts (id, session_id, kind, ciphertext, nonce, sha256, size, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    id,
                    session.0,
                    kind.code(),
                    ciphertext,
                    nonce.as_slice(),
                    sha256,
                    plaintext.len() as i64,
                    now.as_millis()
                ])
            })
            .map_err(StoreError::db("storing an artefact"))?;
        tx.commit().map_err(StoreError::db("storing an artefact"))?;
        Ok(ArtefactId(id))
    }

    /// Decrypts an artefact and checks its hash. Altered ciphertext, nonce, kind or hash gives
    /// [`StoreError::ArtefactCorrupt`].
    pub fn get_artefact(&self, id: &ArtefactId) -> Result<Artefact, StoreError> {
        type ArtefactRow = (
            i64,
            String,
            Option<Vec<u8>>,
            Option<Vec<u8>>,
            String,
            i64,
            i64,
        );
        let row: Option<ArtefactRow> = self
            .conn
            .prepare_cached(
                "SELECT session_id, kind, ciphertext, nonce, sha256, size, created_at FROM artefacts WHERE id = ?1",
            )
            .and_then(|mut statement| {
                statement
                    .query_row([&id.0], |row| {
                        Ok((
                            row.get(0)?,
                            row.get(1)?,
                            row.get(2)?,
                            row.get(3)?,
                            row.get(4)?,
                            row.get(5)?,
                            row.get(6)?,
                        ))
                    })
                    .optional()
            })
            .map_err(StoreError::db("reading an artefact"))?;
        let (session, kind_code, ciphertext, nonce, sha256, size, created_at) =
            row.ok_or_else(|| StoreError::UnknownArtefact { id: id.0.clone() })?;
        let corrupt = || StoreError::ArtefactCorrupt { id: id.0.clone() };
        let (Some(ciphertext), Some(nonce)) = (ciphertext, nonce) else {
            return Err(StoreError::ArtefactPurged { id: id.0.clone() });
        };
        let kind = ArtefactKind::from_code(&kind_code).ok_or_else(corrupt)?;
        let Some(bytes) = self
            .key
            .open(&nonce, &ciphertext, &associated_data(&id.0, &kind_code))
        else {
            crate::require_current_key(&self.conn, &self.key)?;
            return Err(corrupt());
        };
        if hex::encode(Sha256::digest(&bytes)) != sha256 || bytes.len() as i64 != size {
            return Err(corrupt());
        }
        Ok(Artefact {
            id: id.clone(),
            session: SessionId(session),
            kind,
            bytes,
            sha256,
            created_at: Timestamp::from_millis(created_at),
        })
    }

    /// Retention: erases the ciphertext of artefacts of `kinds` created before `created_before`
    /// whose session either has no confirmation or whose confirmation the hub has acknowledged.
    /// The rows (with hash and size) stay as evidence; the purge is audited. Returns how many.
    pub fn purge_artefacts(
        &mut self,
        kinds: &[ArtefactKind],
        created_before: Timestamp,
        actor: &str,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let purged =
            self.with_full_sync(|store| store.purge_now(kinds, created_before, actor, now))?;
        if purged > 0 {
            self.compact()?;
        }
        Ok(purged)
    }

    fn purge_now(
        &mut self,
        kinds: &[ArtefactKind],
        created_before: Timestamp,
        actor: &str,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let tx = self
            .conn
            .transaction()
            .map_err(StoreError::db("starting a purge"))?;
        let mut purged = 0u64;
        for kind in kinds {
            purged += tx
                .execute(
                    "UPDATE artefacts SET ciphertext = NULL, nonce = NULL, purged_at = ?3 \
                     WHERE kind = ?1 AND created_at < ?2 AND purged_at IS NULL \
                     AND NOT EXISTS (SELECT 1 FROM confirmations c JOIN outbox o ON o.confirmation_id = c.id \
                                     WHERE c.session_id = artefacts.session_id AND o.acked_at IS NULL) \
                     AND (SELECT ended_at FROM sessions s WHERE s.id = artefacts.session_id) IS NOT NULL",
                    params![kind.code(), created_before.as_millis(), now.as_millis()],
                )
                .map_err(StoreError::db("purging artefacts"))? as u64;
        }
        let kind_codes: Vec<&str> = kinds.iter().map(|kind| kind.code()).collect();
        audit::append(
            &tx,
            actor,
            "artefacts.purge",
            &format!(
                "kinds={} created_before={} purged={purged}",
                kind_codes.join(","),
                created_before.as_millis()
            ),
            now,
        )?;
        tx.commit().map_err(StoreError::db("committing a purge"))?;
        Ok(purged)
    }
}
