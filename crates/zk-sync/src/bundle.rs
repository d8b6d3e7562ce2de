//! Offline bundles: the batches a desk would push, with their blobs, as one file for a USB stick,
//! signed by the desk and readable only by the hub; and the hub's signed receipt that tells the
//! desk which records it now holds.
//!
//! File layout:
//!
//! ```text
//! "ZKBNDL01"  u32 BE header length  header JSON (BundleHeader)
//! ciphertext: ChaCha20-Poly1305 STREAM (aead::stream, BE32) in 64 KiB plaintext chunks; every
//!             chunk's associated data is the SHA-256 of the header bytes; the last chunk is sealed
//!             as last, so a cut file is refused
//! ```
//!
//! The data key is random per bundle and sealed to the hub's X25519 key (libsodium sealed box,
//! `crypto_box`). The plaintext is a sequence of entries `tag u8, length u64 BE, body`: `B` (a
//! blob: 32-byte SHA-256, then the bytes), `R` (a batch: the `BatchRequest` JSON exactly as it
//! would be posted), and last `E` (the end: the SHA-256 of every byte before it and the desk's
//! Ed25519 signature over the header's and the plaintext's hashes). A blob comes before the
//! batch that needs it. A reader returns entries as it decrypts them but reports the bundle good
//! only at `E`, so an importer first reads the whole file once to check it, then applies it.
//!
//! Pure apart from the reader and writer it is given and the hub key file.

use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;

use chacha20poly1305::aead::stream::{DecryptorBE32, EncryptorBE32};
use chacha20poly1305::aead::{KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::sign::{new_nonce, verify_bytes, DeskKey};
use crate::wire::{sha256_hex, Ack, BatchRequest, MAX_BLOB_BYTES, VERSION};

pub const MAGIC: &[u8; 8] = b"ZKBNDL01";
/// Plaintext bytes per encrypted chunk.
pub const CHUNK_BYTES: usize = 64 * 1024;
const TAG_BYTES: usize = 16;
/// The STREAM nonce prefix (12-byte ChaCha20-Poly1305 nonce less the 5-byte counter and flag).
const NONCE_PREFIX_BYTES: usize = 7;
/// The largest header and batch entry accepted.
const MAX_HEADER_BYTES: u32 = 64 * 1024;
const MAX_BATCH_BYTES: u64 = 256 * 1024 * 1024;
const BUNDLE_DOMAIN: &str = "zk-bundle-v1";
const RECEIPT_DOMAIN: &str = "zk-receipt-v1";
/// The text form of a hub's public keys: `zkhub1:<Ed25519 hex>:<X25519 hex>`.
const HUB_KEY_PREFIX: &str = "zkhub1";

/// Why a bundle, key or receipt cannot be used. Each names what to do.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("this is not a zikao-kiosk bundle (or not of version 1)")]
    NotABundle,
    #[error("the bundle is for another hub (its key is not this hub's); export it again with this hub's key (`zk hub pubkey`)")]
    WrongHub,
    #[error("the bundle is damaged ({0}); copy it again from the desk or export it again")]
    Damaged(String),
    #[error("the bundle ends early (cut while copying?); copy it again from the desk")]
    Truncated,
    #[error("the bundle's signature does not match the desk {desk}: it was altered or not made by that desk")]
    BadSignature { desk: String },
    #[error("hub key: {0}")]
    Key(String),
    #[error("the receipt is not signed by this hub (or was altered); ask the hub admin for the receipt of this desk's bundle")]
    BadReceipt,
    #[error("the receipt is for another desk ({0}); apply it on that desk")]
    OtherDesk(String),
    #[error("reading or writing the bundle: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot encrypt the bundle: {0}")]
    Crypto(String),
}

/// The hub's secret keys: Ed25519 (signs receipts) and X25519 (opens bundles). `Debug` shows the
/// public half only.
pub struct HubKey {
    sign: SigningKey,
    seal: crypto_box::SecretKey,
}

impl fmt::Debug for HubKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubKey")
            .field("public", &self.public().to_text())
            .finish_non_exhaustive()
    }
}

/// The hub's public keys, as desks know them.
#[derive(Clone, PartialEq, Eq)]
pub struct HubPublicKey {
    pub sign: VerifyingKey,
    pub seal: crypto_box::PublicKey,
}

impl fmt::Debug for HubPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

fn random<const N: usize>() -> Result<Zeroizing<[u8; N]>, BundleError> {
    let mut bytes = Zeroizing::new([0u8; N]);
    getrandom::getrandom(bytes.as_mut())
        .map_err(|error| BundleError::Crypto(format!("no random bytes: {error}")))?;
    Ok(bytes)
}

fn hex32(text: &str, what: &str) -> Result<[u8; 32], BundleError> {
    hex::decode(text.trim())
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| BundleError::Key(format!("{what} is not 32 bytes of hex")))
}

impl HubKey {
    pub fn generate() -> Result<HubKey, BundleError> {
        let sign = random::<32>()?;
        let seal = random::<32>()?;
        Ok(HubKey {
            sign: SigningKey::from_bytes(&sign),
            seal: crypto_box::SecretKey::from_bytes(*seal),
        })
    }

    /// Writes the key to a new file (mode 0600; never over an existing file).
    pub fn save_new(&self, path: &Path) -> Result<(), BundleError> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(|error| {
            BundleError::Key(format!("cannot create {}: {error}", path.display()))
        })?;
        let text = Zeroizing::new(format!(
            "{}\n{}\n",
            hex::encode(self.sign.to_bytes()),
            hex::encode(self.seal.to_bytes())
        ));
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|error| BundleError::Key(format!("cannot write {}: {error}", path.display())))
    }

    pub fn load(path: &Path) -> Result<HubKey, BundleError> {
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|error| {
            BundleError::Key(format!(
                "cannot read {}: {error} (make one with `zk hub keygen`)",
                path.display()
            ))
        })?);
        let mut lines = text.lines().map(str::trim).filter(|line| !line.is_empty());
        let (Some(sign), Some(seal), None) = (lines.next(), lines.next(), lines.next()) else {
            return Err(BundleError::Key(format!(
                "{} is not a hub key file (two lines of hex)",
                path.display()
            )));
        };
        let sign = Zeroizing::new(hex32(sign, "the signing key")?);
        let seal = Zeroizing::new(hex32(seal, "the bundle key")?);
        Ok(HubKey {
            sign: SigningKey::from_bytes(&sign),
            seal: crypto_box::SecretKey::from_bytes(*seal),
        })
    }

    pub fn public(&self) -> HubPublicKey {
        HubPublicKey {
            sign: self.sign.verifying_key(),
            seal: self.seal.public_key(),
        }
    }

    /// Signs a receipt (sets its `signature`).
    pub fn sign_receipt(&self, receipt: &mut Receipt) -> Result<(), BundleError> {
        receipt.hub = hex::encode(self.sign.verifying_key().to_bytes());
        receipt.signature = String::new();
        let message = receipt.signed_bytes()?;
        receipt.signature = hex::encode(self.sign.sign(&message).to_bytes());
        Ok(())
    }
}

impl HubPublicKey {
    /// `zkhub1:<Ed25519 hex>:<X25519 hex>`.
    pub fn to_text(&self) -> String {
        format!(
            "{HUB_KEY_PREFIX}:{}:{}",
            hex::encode(self.sign.to_bytes()),
            hex::encode(self.seal.as_bytes())
        )
    }

    pub fn parse(text: &str) -> Result<HubPublicKey, BundleError> {
        let mut parts = text.trim().split(':');
        let (Some(HUB_KEY_PREFIX), Some(sign), Some(seal), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(BundleError::Key(
                "a hub public key looks like zkhub1:<64 hex>:<64 hex> (`zk hub pubkey` prints it)"
                    .into(),
            ));
        };
        let sign = VerifyingKey::from_bytes(&hex32(sign, "the hub's signing key")?)
            .map_err(|_| BundleError::Key("the hub's signing key is not a valid key".into()))?;
        let seal = crypto_box::PublicKey::from_bytes(hex32(seal, "the hub's bundle key")?);
        Ok(HubPublicKey { sign, seal })
    }
}

/// The clear-text header of a bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleHeader {
    pub version: u32,
    pub bundle_id: String,
    /// The desk's Ed25519 public key, hex.
    pub desk: String,
    /// The hub's X25519 key the data key is sealed to, hex.
    pub hub_seal_key: String,
    pub created_at_ms: i64,
    pub batches: u64,
    pub records: u64,
    pub blobs: u64,
    /// The data key, sealed to `hub_seal_key`, hex.
    pub sealed_key: String,
    /// The STREAM nonce prefix, hex.
    pub nonce: String,
    pub chunk_bytes: u64,
}

/// What a bundle will hold (known before it is written).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BundleCounts {
    pub batches: u64,
    pub records: u64,
    pub blobs: u64,
}

/// One entry of a bundle.
#[derive(Clone, PartialEq, Eq)]
pub enum BundleEntry {
    Blob { sha256: String, bytes: Vec<u8> },
    Batch(BatchRequest),
}

impl fmt::Debug for BundleEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleEntry::Blob { sha256, bytes } => {
                write!(f, "Blob({sha256}, {} bytes)", bytes.len())
            }
            BundleEntry::Batch(batch) => write!(
                f,
                "Batch({}, {} records)",
                batch.batch_key,
                batch.records.len()
            ),
        }
    }
}

const ENTRY_BLOB: u8 = b'B';
const ENTRY_BATCH: u8 = b'R';
const ENTRY_END: u8 = b'E';

#[derive(Serialize, Deserialize)]
struct EndEntry {
    plaintext_sha256: String,
    signature: String,
}

fn signed_message(header_sha256: &str, plaintext_sha256: &str) -> Vec<u8> {
    format!("{header_sha256}\n{plaintext_sha256}").into_bytes()
}

/// Writes a bundle: [`BundleWriter::new`], the entries, [`BundleWriter::finish`].
pub struct BundleWriter<'k, W: Write> {
    out: W,
    desk: &'k DeskKey,
    encryptor: Option<EncryptorBE32<ChaCha20Poly1305>>,
    aad: [u8; 32],
    header_sha256: String,
    pending: Vec<u8>,
    plaintext: Sha256,
    expected: BundleCounts,
    written: BundleCounts,
    pub header: BundleHeader,
}

impl<'k, W: Write> BundleWriter<'k, W> {
    /// Writes the header for a bundle of exactly `counts`.
    pub fn new(
        mut out: W,
        desk: &'k DeskKey,
        hub: &HubPublicKey,
        counts: BundleCounts,
        now_ms: i64,
    ) -> Result<BundleWriter<'k, W>, BundleError> {
        let data_key = random::<32>()?;
        let nonce = random::<NONCE_PREFIX_BYTES>()?;
        let mut rng = crypto_box::aead::OsRng;
        let sealed = hub
            .seal
            .seal(&mut rng, data_key.as_ref())
            .map_err(|error| BundleError::Crypto(error.to_string()))?;
        let header = BundleHeader {
            version: VERSION,
            bundle_id: new_nonce().map_err(|error| BundleError::Crypto(error.to_string()))?,
            desk: desk.public_hex(),
            hub_seal_key: hex::encode(hub.seal.as_bytes()),
            created_at_ms: now_ms,
            batches: counts.batches,
            records: counts.records,
            blobs: counts.blobs,
            sealed_key: hex::encode(sealed),
            nonce: hex::encode(nonce.as_ref()),
            chunk_bytes: CHUNK_BYTES as u64,
        };
        let header_bytes =
            serde_json::to_vec(&header).map_err(|error| BundleError::Crypto(error.to_string()))?;
        let length = u32::try_from(header_bytes.len())
            .map_err(|_| BundleError::Crypto("header too long".into()))?;
        out.write_all(MAGIC)?;
        out.write_all(&length.to_be_bytes())?;
        out.write_all(&header_bytes)?;
        let aad: [u8; 32] = Sha256::digest(&header_bytes).into();
        let cipher = ChaCha20Poly1305::new(data_key.as_ref().into());
        let encryptor = EncryptorBE32::from_aead(cipher, nonce.as_ref().into());
        Ok(BundleWriter {
            out,
            desk,
            encryptor: Some(encryptor),
            aad,
            header_sha256: hex::encode(aad),
            pending: Vec::with_capacity(2 * CHUNK_BYTES),
            plaintext: Sha256::new(),
            expected: counts,
            written: BundleCounts::default(),
            header,
        })
    }

    fn entry(&mut self, tag: u8, parts: &[&[u8]], hashed: bool) -> Result<(), BundleError> {
        let length: u64 = parts.iter().map(|part| part.len() as u64).sum();
        let mut head = [0u8; 9];
        head[0] = tag;
        head[1..].copy_from_slice(&length.to_be_bytes());
        if hashed {
            self.plaintext.update(head);
            for part in parts {
                self.plaintext.update(part);
            }
        }
        self.pending.extend_from_slice(&head);
        for part in parts {
            self.pending.extend_from_slice(part);
            self.flush_full_chunks()?;
        }
        self.flush_full_chunks()
    }

    /// Encrypts full chunks while more bytes follow them (the last chunk is sealed in `finish`).
    fn flush_full_chunks(&mut self) -> Result<(), BundleError> {
        let mut start = 0;
        while self.pending.len() - start > CHUNK_BYTES {
            let encryptor = self
                .encryptor
                .as_mut()
                .ok_or_else(|| BundleError::Crypto("the bundle is already finished".into()))?;
            let chunk = encryptor
                .encrypt_next(Payload {
                    msg: &self.pending[start..start + CHUNK_BYTES],
                    aad: &self.aad,
                })
                .map_err(|error| BundleError::Crypto(error.to_string()))?;
            self.out.write_all(&chunk)?;
            start += CHUNK_BYTES;
        }
        self.pending.drain(..start);
        Ok(())
    }

    pub fn write_blob(&mut self, sha256: &str, bytes: &[u8]) -> Result<(), BundleError> {
        let raw: [u8; 32] = hex32(sha256, "a blob's SHA-256")
            .map_err(|_| BundleError::Crypto(format!("{sha256:?} is not a SHA-256")))?;
        if sha256_hex(bytes) != sha256 {
            return Err(BundleError::Crypto(format!(
                "blob {sha256} does not match its bytes"
            )));
        }
        self.entry(ENTRY_BLOB, &[&raw, bytes], true)?;
        self.written.blobs += 1;
        Ok(())
    }

    pub fn write_batch(&mut self, batch: &BatchRequest) -> Result<(), BundleError> {
        let json =
            serde_json::to_vec(batch).map_err(|error| BundleError::Crypto(error.to_string()))?;
        self.entry(ENTRY_BATCH, &[&json], true)?;
        self.written.batches += 1;
        self.written.records += batch.records.len() as u64;
        Ok(())
    }

    /// Signs, seals the last chunk and returns the writer (flushed).
    pub fn finish(mut self) -> Result<(W, BundleHeader), BundleError> {
        if self.written != self.expected {
            return Err(BundleError::Crypto(format!(
                "the bundle was announced with {:?} but holds {:?}",
                self.expected, self.written
            )));
        }
        let plaintext_sha256 = hex::encode(self.plaintext.clone().finalize());
        let end = EndEntry {
            signature: self.desk.sign_bytes(
                BUNDLE_DOMAIN,
                &signed_message(&self.header_sha256, &plaintext_sha256),
            ),
            plaintext_sha256,
        };
        let json =
            serde_json::to_vec(&end).map_err(|error| BundleError::Crypto(error.to_string()))?;
        self.entry(ENTRY_END, &[&json], false)?;
        let encryptor = self
            .encryptor
            .take()
            .ok_or_else(|| BundleError::Crypto("the bundle is already finished".into()))?;
        let last = encryptor
            .encrypt_last(Payload {
                msg: &self.pending,
                aad: &self.aad,
            })
            .map_err(|error| BundleError::Crypto(error.to_string()))?;
        self.out.write_all(&last)?;
        self.out.flush()?;
        Ok((self.out, self.header))
    }
}

/// Reads a bundle. Entries come as they are decrypted; [`BundleReader::next_entry`] returns
/// `None` only after the end entry's hash and signature check out, so a caller must read to the
/// end before trusting any entry.
pub struct BundleReader<R: Read> {
    input: BufReader<R>,
    decryptor: Option<DecryptorBE32<ChaCha20Poly1305>>,
    aad: [u8; 32],
    header_sha256: String,
    plain: Vec<u8>,
    position: usize,
    plaintext: Sha256,
    seen: BundleCounts,
    finished: bool,
    pub header: BundleHeader,
}

impl<R: Read> BundleReader<R> {
    /// Reads the header and opens the data key with the hub's key.
    pub fn open(input: R, hub: &HubKey) -> Result<BundleReader<R>, BundleError> {
        let mut input = BufReader::with_capacity(CHUNK_BYTES + TAG_BYTES, input);
        let mut magic = [0u8; 8];
        read_exact_or(&mut input, &mut magic, BundleError::NotABundle)?;
        if &magic != MAGIC {
            return Err(BundleError::NotABundle);
        }
        let mut length = [0u8; 4];
        read_exact_or(&mut input, &mut length, BundleError::Truncated)?;
        let length = u32::from_be_bytes(length);
        if length > MAX_HEADER_BYTES {
            return Err(BundleError::Damaged("the header is too long".into()));
        }
        let mut header_bytes = vec![0u8; length as usize];
        read_exact_or(&mut input, &mut header_bytes, BundleError::Truncated)?;
        let header: BundleHeader = serde_json::from_slice(&header_bytes)
            .map_err(|error| BundleError::Damaged(format!("unreadable header: {error}")))?;
        if header.version != VERSION {
            return Err(BundleError::NotABundle);
        }
        if header.chunk_bytes != CHUNK_BYTES as u64 {
            return Err(BundleError::Damaged("unexpected chunk size".into()));
        }
        let public = hub.public();
        if header.hub_seal_key != hex::encode(public.seal.as_bytes()) {
            return Err(BundleError::WrongHub);
        }
        let sealed = hex::decode(&header.sealed_key)
            .map_err(|_| BundleError::Damaged("the sealed key is not hex".into()))?;
        let data_key = Zeroizing::new(
            hub.seal
                .unseal(&sealed)
                .map_err(|_| BundleError::Damaged("the sealed key does not open".into()))?,
        );
        let nonce = hex::decode(&header.nonce)
            .ok()
            .filter(|nonce| nonce.len() == NONCE_PREFIX_BYTES)
            .ok_or_else(|| BundleError::Damaged("bad nonce".into()))?;
        if data_key.len() != 32 {
            return Err(BundleError::Damaged("the data key is not 32 bytes".into()));
        }
        let cipher = ChaCha20Poly1305::new(data_key.as_slice().into());
        let decryptor = DecryptorBE32::from_aead(cipher, nonce.as_slice().into());
        let aad: [u8; 32] = Sha256::digest(&header_bytes).into();
        Ok(BundleReader {
            input,
            decryptor: Some(decryptor),
            aad,
            header_sha256: hex::encode(aad),
            plain: Vec::new(),
            position: 0,
            plaintext: Sha256::new(),
            seen: BundleCounts::default(),
            finished: false,
            header,
        })
    }

    /// Decrypts the next chunk into the plaintext buffer. False when the stream has ended.
    fn fill(&mut self) -> Result<bool, BundleError> {
        let Some(mut decryptor) = self.decryptor.take() else {
            return Ok(false);
        };
        let mut chunk = vec![0u8; CHUNK_BYTES + TAG_BYTES];
        let mut filled = 0;
        while filled < chunk.len() {
            let read = self.input.read(&mut chunk[filled..])?;
            if read == 0 {
                break;
            }
            filled += read;
        }
        chunk.truncate(filled);
        if filled < TAG_BYTES {
            return Err(BundleError::Truncated);
        }
        let at_end = filled < CHUNK_BYTES + TAG_BYTES || self.input.fill_buf()?.is_empty();
        let payload = Payload {
            msg: &chunk,
            aad: &self.aad,
        };
        let plain = if at_end {
            decryptor.decrypt_last(payload).map_err(|_| {
                if filled == CHUNK_BYTES + TAG_BYTES {
                    BundleError::Truncated
                } else {
                    BundleError::Damaged("a chunk fails its authentication tag".into())
                }
            })?
        } else {
            let plain = decryptor
                .decrypt_next(payload)
                .map_err(|_| BundleError::Damaged("a chunk fails its authentication tag".into()))?;
            self.decryptor = Some(decryptor);
            plain
        };
        self.plain.drain(..self.position);
        self.position = 0;
        self.plain.extend_from_slice(&plain);
        Ok(true)
    }

    /// Makes `count` plaintext bytes available at `position`.
    fn need(&mut self, count: usize) -> Result<(), BundleError> {
        while self.plain.len() - self.position < count {
            if !self.fill()? {
                return Err(BundleError::Truncated);
            }
        }
        Ok(())
    }

    /// The next entry; `None` at the verified end.
    pub fn next_entry(&mut self) -> Result<Option<BundleEntry>, BundleError> {
        if self.finished {
            return Ok(None);
        }
        self.need(9)?;
        let head: [u8; 9] = self.plain[self.position..self.position + 9]
            .try_into()
            .map_err(|_| BundleError::Truncated)?;
        let tag = head[0];
        let mut length_bytes = [0u8; 8];
        length_bytes.copy_from_slice(&head[1..]);
        let length = u64::from_be_bytes(length_bytes);
        let limit = match tag {
            ENTRY_BLOB => MAX_BLOB_BYTES as u64 + 32,
            ENTRY_BATCH => MAX_BATCH_BYTES,
            ENTRY_END => 4096,
            _ => return Err(BundleError::Damaged(format!("unknown entry tag {tag}"))),
        };
        if length > limit {
            return Err(BundleError::Damaged(format!(
                "an entry of {length} bytes is too long"
            )));
        }
        let length = length as usize;
        self.need(9 + length)?;
        let body = self.plain[self.position + 9..self.position + 9 + length].to_vec();
        self.position += 9 + length;
        if tag == ENTRY_END {
            return self.end(&body).map(|()| None);
        }
        self.plaintext.update(head);
        self.plaintext.update(&body);
        match tag {
            ENTRY_BLOB => {
                if body.len() < 32 {
                    return Err(BundleError::Damaged("a blob entry is too short".into()));
                }
                let sha256 = hex::encode(&body[..32]);
                let bytes = body[32..].to_vec();
                if sha256_hex(&bytes) != sha256 {
                    return Err(BundleError::Damaged(format!(
                        "blob {sha256} does not match its bytes"
                    )));
                }
                self.seen.blobs += 1;
                Ok(Some(BundleEntry::Blob { sha256, bytes }))
            }
            _ => {
                let batch: BatchRequest = serde_json::from_slice(&body).map_err(|error| {
                    BundleError::Damaged(format!("a batch is unreadable: {error}"))
                })?;
                self.seen.batches += 1;
                self.seen.records += batch.records.len() as u64;
                Ok(Some(BundleEntry::Batch(batch)))
            }
        }
    }

    fn end(&mut self, body: &[u8]) -> Result<(), BundleError> {
        let end: EndEntry = serde_json::from_slice(body).map_err(|error| {
            BundleError::Damaged(format!("the end entry is unreadable: {error}"))
        })?;
        let plaintext_sha256 = hex::encode(self.plaintext.clone().finalize());
        if end.plaintext_sha256 != plaintext_sha256 {
            return Err(BundleError::Damaged(
                "the content hash does not match".into(),
            ));
        }
        verify_bytes(
            &self.header.desk,
            BUNDLE_DOMAIN,
            &signed_message(&self.header_sha256, &plaintext_sha256),
            &end.signature,
        )
        .map_err(|_| BundleError::BadSignature {
            desk: self.header.desk.clone(),
        })?;
        // Nothing may follow the end: not in this chunk, and no further chunk.
        if self.position != self.plain.len() || self.decryptor.is_some() {
            return Err(BundleError::Damaged("data after the end entry".into()));
        }
        if !self.input.fill_buf()?.is_empty() {
            return Err(BundleError::Damaged("data after the last chunk".into()));
        }
        let announced = BundleCounts {
            batches: self.header.batches,
            records: self.header.records,
            blobs: self.header.blobs,
        };
        if self.seen != announced {
            return Err(BundleError::Damaged(format!(
                "the header announces {announced:?} but the bundle holds {:?}",
                self.seen
            )));
        }
        self.finished = true;
        Ok(())
    }

    /// Reads every entry, discarding them: checks the whole bundle. Returns what it holds.
    pub fn verify_all(&mut self) -> Result<BundleCounts, BundleError> {
        while self.next_entry()?.is_some() {}
        Ok(self.seen)
    }
}

fn read_exact_or<R: Read>(
    input: &mut R,
    buffer: &mut [u8],
    short: BundleError,
) -> Result<(), BundleError> {
    match input.read_exact(buffer) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => Err(short),
        Err(error) => Err(BundleError::Io(error)),
    }
}

/// The hub's answer to an imported bundle: which records it holds. Signed by the hub.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub version: u32,
    pub bundle_id: String,
    /// The desk that made the bundle (Ed25519 public key, hex).
    pub desk: String,
    /// The hub's Ed25519 public key, hex.
    pub hub: String,
    pub imported_at_ms: i64,
    /// One per record, in bundle order.
    pub acks: Vec<Ack>,
    pub signature: String,
}

impl Receipt {
    fn signed_bytes(&self) -> Result<Vec<u8>, BundleError> {
        let mut unsigned = self.clone();
        unsigned.signature = String::new();
        let json = serde_json::to_vec(&unsigned)
            .map_err(|error| BundleError::Crypto(error.to_string()))?;
        let mut message = Vec::with_capacity(RECEIPT_DOMAIN.len() + 1 + json.len());
        message.extend_from_slice(RECEIPT_DOMAIN.as_bytes());
        message.push(0);
        message.extend_from_slice(&json);
        Ok(message)
    }

    /// Checks the hub's signature and that the receipt is for `desk` (hex public key).
    pub fn verify(&self, hub: &HubPublicKey, desk: &str) -> Result<(), BundleError> {
        if self.version != VERSION || self.hub != hex::encode(hub.sign.to_bytes()) {
            return Err(BundleError::BadReceipt);
        }
        let signature: [u8; 64] = hex::decode(&self.signature)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or(BundleError::BadReceipt)?;
        hub.sign
            .verify_strict(&self.signed_bytes()?, &Signature::from_bytes(&signature))
            .map_err(|_| BundleError::BadReceipt)?;
        if !self.desk.eq_ignore_ascii_case(desk) {
            return Err(BundleError::OtherDesk(self.desk.clone()));
        }
        if let Some(bad) = self
            .acks
            .iter()
            .find(|ack| ack.confirmation_id.is_empty() || ack.seq <= 0)
        {
            return Err(BundleError::Damaged(format!(
                "receipt ack {bad:?} is malformed"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
