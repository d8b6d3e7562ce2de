//! Ed25519 desk keys and request signatures.
//!
//! The signed string is `zk-sync-v1\n{METHOD}\n{path}\n{hex SHA-256 of the body}\n{timestamp ms}\n{nonce}`,
//! where `path` includes the query when there is one (`/v1/sites/S/roster?after=0&limit=500`).
//! The hub checks the signature against the enrolled public key, the timestamp against
//! [`REPLAY_WINDOW_MS`] either side of its own clock, and that the nonce is new within the window.

use std::fmt;
use std::io::Write;
use std::path::Path;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use zeroize::Zeroizing;

use crate::wire::sha256_hex;
use crate::SyncError;

/// How far a request's timestamp may be from the hub's clock, either way (15 min: a desk clock
/// ten minutes off still syncs).
pub const REPLAY_WINDOW_MS: i64 = 15 * 60 * 1000;

/// The desk's Ed25519 signing key file, kept beside its store (the `zk` command and the
/// kiosk's sync worker use the same one).
pub const DESK_KEY_FILE: &str = "desk-sign.key";

/// The desk's signing key. `Debug` shows the public key only.
pub struct DeskKey {
    key: SigningKey,
}

impl fmt::Debug for DeskKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeskKey")
            .field("public", &self.public_hex())
            .finish_non_exhaustive()
    }
}

/// The four signature headers of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedHeaders {
    /// The desk's public key, hex.
    pub desk: String,
    pub timestamp_ms: i64,
    pub nonce: String,
    /// Hex Ed25519 signature.
    pub signature: String,
}

/// Why a signed request was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the request is not signed (missing {0} header)")]
    Missing(&'static str),
    #[error("the {0} header is malformed")]
    Malformed(&'static str),
    #[error("the request's timestamp is {skew_ms} ms from the hub's clock (window ±{window_ms} ms): check the desk's clock")]
    OutsideWindow { skew_ms: i64, window_ms: i64 },
    #[error("the signature does not match the request")]
    BadSignature,
}

/// The bytes that are signed.
pub fn signing_string(
    method: &str,
    path: &str,
    body_sha256: &str,
    timestamp_ms: i64,
    nonce: &str,
) -> Vec<u8> {
    format!(
        "zk-sync-v1\n{}\n{path}\n{body_sha256}\n{timestamp_ms}\n{nonce}",
        method.to_ascii_uppercase()
    )
    .into_bytes()
}

/// 16 random bytes, hex.
pub fn new_nonce() -> Result<String, SyncError> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|error| SyncError::Random(error.to_string()))?;
    Ok(hex::encode(bytes))
}

impl DeskKey {
    pub fn generate() -> Result<DeskKey, SyncError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::getrandom(seed.as_mut())
            .map_err(|error| SyncError::Random(error.to_string()))?;
        Ok(DeskKey {
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// From a 32-byte seed in hex.
    pub fn from_seed_hex(text: &str) -> Result<DeskKey, String> {
        let bytes = Zeroizing::new(hex::decode(text.trim()).map_err(|_| "not hex".to_owned())?);
        let seed: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| "not 32 bytes".to_owned())?;
        let seed = Zeroizing::new(seed);
        Ok(DeskKey {
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// Loads the key at `path`, creating it (mode 0600, never over an existing file) when absent.
    pub fn load_or_create(path: &Path) -> Result<DeskKey, SyncError> {
        let bad = |why: String| SyncError::DeskKey {
            path: path.to_path_buf(),
            why,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let text = Zeroizing::new(text);
                DeskKey::from_seed_hex(&text).map_err(bad)
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let key = DeskKey::generate()?;
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    options.mode(0o600);
                }
                match options.open(path) {
                    Ok(mut file) => {
                        let seed = Zeroizing::new(hex::encode(key.key.to_bytes()));
                        file.write_all(seed.as_bytes())
                            .and_then(|()| file.write_all(b"\n"))
                            .and_then(|()| file.sync_all())
                            .map_err(|error| bad(error.to_string()))?;
                        Ok(key)
                    }
                    // Someone made one in the meantime: use theirs.
                    Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                        let text = Zeroizing::new(
                            std::fs::read_to_string(path)
                                .map_err(|error| bad(error.to_string()))?,
                        );
                        DeskKey::from_seed_hex(&text).map_err(bad)
                    }
                    Err(error) => Err(bad(error.to_string())),
                }
            }
            Err(error) => Err(bad(error.to_string())),
        }
    }

    /// The public key, hex (what `zk hub enrol-desk --pubkey` takes).
    pub fn public_hex(&self) -> String {
        hex::encode(self.key.verifying_key().to_bytes())
    }

    /// Signs one request.
    pub fn sign_request(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        timestamp_ms: i64,
        nonce: &str,
    ) -> SignedHeaders {
        let message = signing_string(method, path, &sha256_hex(body), timestamp_ms, nonce);
        let signature = self.key.sign(&message);
        SignedHeaders {
            desk: self.public_hex(),
            timestamp_ms,
            nonce: nonce.to_owned(),
            signature: hex::encode(signature.to_bytes()),
        }
    }

    /// Signs arbitrary bytes under a domain label (bundles, receipts).
    pub fn sign_bytes(&self, domain: &str, bytes: &[u8]) -> String {
        let mut message = Vec::with_capacity(domain.len() + 1 + bytes.len());
        message.extend_from_slice(domain.as_bytes());
        message.push(0);
        message.extend_from_slice(bytes);
        hex::encode(self.key.sign(&message).to_bytes())
    }
}

/// Parses a hex Ed25519 public key.
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, AuthError> {
    let bytes: [u8; 32] = hex::decode(text.trim())
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(AuthError::Malformed("desk public key"))?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| AuthError::Malformed("desk public key"))
}

/// Checks a request's signature and timestamp (pure: `now_ms` is the hub's clock). The nonce's
/// freshness is the caller's to check.
pub fn verify_request(
    headers: &SignedHeaders,
    method: &str,
    path: &str,
    body: &[u8],
    now_ms: i64,
) -> Result<(), AuthError> {
    let skew_ms = headers.timestamp_ms.saturating_sub(now_ms);
    if skew_ms.abs() > REPLAY_WINDOW_MS {
        return Err(AuthError::OutsideWindow {
            skew_ms,
            window_ms: REPLAY_WINDOW_MS,
        });
    }
    if headers.nonce.len() < 16 || headers.nonce.len() > 128 {
        return Err(AuthError::Malformed("nonce"));
    }
    let public = parse_public_key(&headers.desk)?;
    let signature: [u8; 64] = hex::decode(&headers.signature)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(AuthError::Malformed("signature"))?;
    let message = signing_string(
        method,
        path,
        &sha256_hex(body),
        headers.timestamp_ms,
        &headers.nonce,
    );
    public
        .verify_strict(&message, &Signature::from_bytes(&signature))
        .map_err(|_| AuthError::BadSignature)
}

/// Checks a [`DeskKey::sign_bytes`] signature.
pub fn verify_bytes(
    public_hex: &str,
    domain: &str,
    bytes: &[u8],
    signature_hex: &str,
) -> Result<(), AuthError> {
    let public = parse_public_key(public_hex)?;
    let signature: [u8; 64] = hex::decode(signature_hex)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(AuthError::Malformed("signature"))?;
    let mut message = Vec::with_capacity(domain.len() + 1 + bytes.len());
    message.extend_from_slice(domain.as_bytes());
    message.push(0);
    message.extend_from_slice(bytes);
    public
        .verify_strict(&message, &Signature::from_bytes(&signature))
        .map_err(|_| AuthError::BadSignature)
}
