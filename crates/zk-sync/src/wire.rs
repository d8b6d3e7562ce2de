//! The `/v1` wire format, shared by the desk and the hub. JSON; artefacts are separate
//! content-addressed blobs (`PUT /v1/blobs/{sha256}`), referenced from records by hash.
//!
//! Requests are signed (see [`crate::sign`]): headers [`DESK_HEADER`], [`TIMESTAMP_HEADER`],
//! [`NONCE_HEADER`], [`SIGNATURE_HEADER`]. `POST /v1/batches` also carries
//! [`IDEMPOTENCY_KEY_HEADER`] (the IETF `Idempotency-Key` header): the same key with the same
//! body gets the stored answer, with another body 422, while the first is still running 409.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The version of this format; a record or batch of another version is refused.
pub const VERSION: u32 = 1;
pub const BATCHES_PATH: &str = "/v1/batches";
pub const MISSING_BLOBS_PATH: &str = "/v1/blobs/missing";
pub const BLOBS_PREFIX: &str = "/v1/blobs/";
/// `POST`: several blobs in one body (a blob pack, see [`encode_blob_pack`]), stored in one
/// transaction.
pub const BLOB_PACK_PATH: &str = "/v1/blobs";
/// The largest blob pack a hub accepts; a desk packs up to [`BLOB_PACK_TARGET_BYTES`].
pub const MAX_BLOB_PACK_BYTES: usize = 16 * 1024 * 1024;
pub const BLOB_PACK_TARGET_BYTES: usize = 4 * 1024 * 1024;
pub const PING_PATH: &str = "/v1/ping";
/// `POST`: an offline bundle (its own signature authenticates it); the answer is the receipt.
pub const BUNDLES_PATH: &str = "/v1/bundles";

pub const DESK_HEADER: &str = "x-zk-desk";
pub const TIMESTAMP_HEADER: &str = "x-zk-timestamp";
pub const NONCE_HEADER: &str = "x-zk-nonce";
pub const SIGNATURE_HEADER: &str = "x-zk-signature";
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";

/// The largest batch a hub accepts (records).
pub const MAX_BATCH_RECORDS: usize = 1000;
/// The largest blob a hub accepts.
pub const MAX_BLOB_BYTES: usize = 64 * 1024 * 1024;
/// The largest bundle a hub accepts by upload (`zk hub import` reads files of any size).
pub const MAX_BUNDLE_BYTES: usize = 4 * 1024 * 1024 * 1024;

/// `/v1/blobs/{sha256}`.
pub fn blob_path(sha256: &str) -> String {
    format!("{BLOBS_PREFIX}{sha256}")
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// 64 lower-case hex digits.
pub fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The desk's audit chain head at the time the batch was planned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
}

/// An artefact of a record, uploaded separately as a blob.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobRef {
    pub kind: String,
    pub sha256: String,
    pub size: u64,
}

/// One confirmation. `payload` is the desk's outbox payload (JSON text, version 1) exactly as
/// committed; `payload_sha256` is its hash. `Debug` hides the payload (it holds the ID number).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub seq: i64,
    pub confirmation_id: String,
    pub payload: String,
    pub payload_sha256: String,
    pub blobs: Vec<BlobRef>,
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record")
            .field("seq", &self.seq)
            .field("confirmation_id", &self.confirmation_id)
            .field("payload", &format_args!("{} bytes", self.payload.len()))
            .field("payload_sha256", &self.payload_sha256)
            .field("blobs", &self.blobs)
            .finish()
    }
}

/// `POST /v1/batches`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchRequest {
    pub version: u32,
    /// Equals the `Idempotency-Key` header.
    pub batch_key: String,
    pub records: Vec<Record>,
    pub audit_head: AuditHead,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AckStatus {
    /// New at the hub.
    Stored,
    /// The hub already had this record, identical.
    Duplicate,
    /// Stored and flagged for an admin (`zk hub conflicts`): kept, never dropped.
    Conflict,
    /// Not stored (e.g. a blob is missing): the desk keeps the row and sends it again.
    Rejected,
}

impl AckStatus {
    /// Whether the hub holds the record (the desk may mark it acknowledged).
    pub fn is_held(self) -> bool {
        !matches!(self, AckStatus::Rejected)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    pub seq: i64,
    pub confirmation_id: String,
    pub status: AckStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The answer to a batch: one ack per record, in the request's order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchResponse {
    pub batch_key: String,
    pub acks: Vec<Ack>,
}

/// `POST /v1/blobs/missing`: which of these hashes the hub lacks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingBlobsRequest {
    pub sha256: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingBlobsResponse {
    pub missing: Vec<String>,
}

/// Every error answer's body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    pub retryable: bool,
}

/// An artefact as listed in the outbox payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayloadArtefact {
    pub kind: String,
    pub id: String,
    pub sha256: String,
    pub size: u64,
}

/// The fields of an outbox payload (version 1) that sync and the hub read. `Debug` hides the ID
/// number.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct PayloadHead {
    pub version: u32,
    pub confirmation_id: String,
    pub registration_id: String,
    pub id_number: String,
    pub admission_number: String,
    #[serde(default)]
    pub artefacts: Vec<PayloadArtefact>,
}

impl fmt::Debug for PayloadHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PayloadHead")
            .field("version", &self.version)
            .field("confirmation_id", &self.confirmation_id)
            .field("registration_id", &self.registration_id)
            .field("admission_number", &self.admission_number)
            .field("artefacts", &self.artefacts)
            .finish_non_exhaustive()
    }
}

impl PayloadHead {
    /// Parses and checks a payload: version 1, artefact hashes well formed.
    pub fn parse(payload: &str) -> Result<PayloadHead, String> {
        let head: PayloadHead = serde_json::from_str(payload)
            .map_err(|error| format!("payload is not v1 JSON: {error}"))?;
        if head.version != VERSION {
            return Err(format!("payload version {} is not {VERSION}", head.version));
        }
        if let Some(bad) = head.artefacts.iter().find(|a| !is_sha256_hex(&a.sha256)) {
            return Err(format!("artefact {} has no valid SHA-256", bad.id));
        }
        Ok(head)
    }
}

/// A blob pack: for each blob its 32-byte SHA-256, its length (u32, big-endian), its bytes.
pub fn encode_blob_pack<'a>(
    blobs: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for (sha256, bytes) in blobs {
        let raw = hex::decode(sha256)
            .ok()
            .filter(|raw| raw.len() == 32)
            .ok_or_else(|| format!("{sha256:?} is not a SHA-256"))?;
        let length = u32::try_from(bytes.len())
            .map_err(|_| format!("blob {sha256} is too large for a pack"))?;
        out.extend_from_slice(&raw);
        out.extend_from_slice(&length.to_be_bytes());
        out.extend_from_slice(bytes);
    }
    Ok(out)
}

/// Splits a blob pack into (hex SHA-256, bytes), checking every blob's hash and size.
pub fn decode_blob_pack(mut body: &[u8]) -> Result<Vec<(String, &[u8])>, String> {
    let mut blobs = Vec::new();
    while !body.is_empty() {
        if body.len() < 36 {
            return Err("the pack ends inside a blob header".into());
        }
        let sha256 = hex::encode(&body[..32]);
        let mut length = [0u8; 4];
        length.copy_from_slice(&body[32..36]);
        let length = u32::from_be_bytes(length) as usize;
        if length > MAX_BLOB_BYTES {
            return Err(format!(
                "blob {sha256} is larger than {MAX_BLOB_BYTES} bytes"
            ));
        }
        let rest = &body[36..];
        if rest.len() < length {
            return Err(format!("the pack ends inside blob {sha256}"));
        }
        let (bytes, tail) = rest.split_at(length);
        if sha256_hex(bytes) != sha256 {
            return Err(format!("blob {sha256} does not have that SHA-256"));
        }
        blobs.push((sha256, bytes));
        body = tail;
    }
    Ok(blobs)
}
