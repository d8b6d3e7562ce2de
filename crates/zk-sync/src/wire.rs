//! The `/v1` wire format, shared by the desk and the hub. JSON; artefacts are separate
//! content-addressed blobs (`PUT /v1/blobs/{sha256}`), referenced from records by hash.
//!
//! Requests are signed (see [`crate::sign`]): headers [`DESK_HEADER`], [`TIMESTAMP_HEADER`],
//! [`NONCE_HEADER`], [`SIGNATURE_HEADER`]. `POST /v1/batches` also carries
//! [`IDEMPOTENCY_KEY_HEADER`] (the IETF `Idempotency-Key` header): the same key with the same
//! body gets the stored answer, with another body 422, while the first is still running 409.
//! `POST /v1/serial-blocks` carries one too: the same key gets the same block again.
//!
//! Down: `GET /v1/sites/{site}/roster?after=CURSOR&limit=N` pages through a site's roster in the
//! order of the hub's revision numbers ([`RosterPage`]); `POST /v1/serial-blocks`
//! ([`SerialBlockRequest`] → [`SerialBlockResponse`]) allocates admission-number serials.

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
pub const SERIAL_BLOCKS_PATH: &str = "/v1/serial-blocks";
pub const SITES_PREFIX: &str = "/v1/sites/";

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

/// The largest roster page a hub sends (rows).
pub const MAX_ROSTER_PAGE: u32 = 1000;
/// The page size a desk asks for unless told otherwise.
pub const DEFAULT_ROSTER_PAGE: u32 = 500;
/// The highest admission-number serial (5 digits).
pub const MAX_SERIAL: u32 = 99_999;

/// `/v1/sites/{site}/roster` (the path only; the query carries `after` and `limit`).
pub fn roster_path(site: &str) -> String {
    format!("{SITES_PREFIX}{site}/roster")
}

/// `/v1/sites/{site}/roster?after=…&limit=…`: what the desk requests and signs.
pub fn roster_query(site: &str, after: i64, limit: u32) -> String {
    format!("{}?after={after}&limit={limit}", roster_path(site))
}

/// A site id: 1–64 characters of ASCII letters, digits, `-`, `_` and `.` (it is a path segment).
pub fn is_valid_site(site: &str) -> bool {
    (1..=64).contains(&site.len())
        && site
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && site != "."
        && site != ".."
}

/// An Idempotency-Key: 16 to 128 visible ASCII characters.
pub fn is_valid_idempotency_key(key: &str) -> bool {
    (16..=128).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
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

/// `GET /v1/ping`: who the hub thinks this desk is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PingResponse {
    /// The desk's public key, hex.
    pub desk: String,
    pub version: u32,
    /// The site the desk is enrolled at (`zk hub enrol-desk --site`), if any.
    #[serde(default)]
    pub site: Option<String>,
}

/// One registration as the hub holds it, in the desk roster's codes: `id_type`
/// (`resident`|`hmt_permit`|`foreign_permanent`), `sex` (GB/T 2261.1: `0`,`1`,`2`,`9`), `ethnicity`
/// (two-digit code), `birth_date` (`YYYY-MM-DD`), `level` (`zhuanke`|`benke`), `status`
/// (`registered`|`confirmed`|`cancelled`). `Debug` hides the personal fields.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterEntry {
    pub registration_id: String,
    pub id_type: String,
    pub id_number: String,
    pub name: String,
    pub sex: String,
    #[serde(default)]
    pub ethnicity: Option<u8>,
    pub birth_date: String,
    #[serde(default)]
    pub phone: Option<String>,
    pub district_code: String,
    pub major_code: String,
    pub major_name: String,
    pub level: String,
    pub status: String,
}

impl fmt::Debug for RosterEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RosterEntry")
            .field("registration_id", &self.registration_id)
            .field("id_type", &self.id_type)
            .field("district_code", &self.district_code)
            .field("major_code", &self.major_code)
            .field("level", &self.level)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl RosterEntry {
    /// The entry's canonical JSON and its SHA-256 (the hub's change detection).
    pub fn canonical(&self) -> Result<(String, String), String> {
        let json = serde_json::to_string(self)
            .map_err(|error| format!("cannot encode a roster entry: {error}"))?;
        let sha256 = sha256_hex(json.as_bytes());
        Ok((json, sha256))
    }
}

/// A roster row with the hub's revision number: a revision is given to a row each time it is
/// imported with new content, and revisions only grow, so "everything after my cursor" includes
/// every row changed since.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterRow {
    pub revision: i64,
    pub registration: RosterEntry,
}

/// One page of `GET /v1/sites/{site}/roster`: rows with `revision > after`, ascending. `next`
/// is the cursor for the following request (the last row's revision, or `after` for an empty
/// page); `more` says whether rows after `next` exist already.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterPage {
    pub site: String,
    pub rows: Vec<RosterRow>,
    pub next: i64,
    pub more: bool,
}

/// `POST /v1/serial-blocks` (with an `Idempotency-Key`): `size` serials for one exam district
/// (4 digits) and sitting (3 digits).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SerialBlockRequest {
    pub district: String,
    pub sitting: String,
    pub size: u32,
}

impl SerialBlockRequest {
    /// Checks the shape: district 4 digits, sitting 2-digit year + 1 or 2, size 1–99 999.
    pub fn check(&self) -> Result<(), String> {
        let digits =
            |text: &str, len: usize| text.len() == len && text.bytes().all(|b| b.is_ascii_digit());
        if !digits(&self.district, 4) {
            return Err(format!(
                "district {:?} is not 4 digits (city 2 + county 2)",
                self.district
            ));
        }
        if !digits(&self.sitting, 3) || !self.sitting.ends_with(['1', '2']) {
            return Err(format!(
                "sitting {:?} is not a two-digit year followed by 1 (April) or 2 (October)",
                self.sitting
            ));
        }
        if self.size == 0 || self.size > MAX_SERIAL {
            return Err(format!(
                "size {} is not between 1 and {MAX_SERIAL}",
                self.size
            ));
        }
        Ok(())
    }
}

/// The allocated block: serials `first..=last` of `district` and `sitting`, for this desk only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SerialBlockResponse {
    pub block_id: String,
    pub district: String,
    pub sitting: String,
    pub first: u32,
    pub last: u32,
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
