//! The artefact key: 32 random bytes in a text file outside the database, and the AEAD that uses it.
//!
//! File format (`artefact.key`, mode 0600):
//! ```text
//! zk-artefact-key-v1
//! <64 lowercase hex characters>
//! ```
//! The database keeps only a key check value (a domain-separated SHA-256 of the key) in `meta`, so a
//! wrong or missing key is caught at open time, before anything is written with it.

use std::fmt;
use std::io::Write;
use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::error::StoreError;

pub(crate) const KEY_FILE_HEADER: &str = "zk-artefact-key-v1";
const KEY_CHECK_DOMAIN: &[u8] = b"zk-store artefact key check v1\0";
pub(crate) const NONCE_LEN: usize = 24;

/// The 32-byte artefact key. Zeroized on drop; `Debug` never shows it; not `Clone`.
pub(crate) struct ArtefactKey([u8; 32]);

impl ArtefactKey {
    pub(crate) fn generate() -> Result<ArtefactKey, StoreError> {
        let mut bytes = [0u8; 32];
        fill_random(&mut bytes)?;
        Ok(ArtefactKey(bytes))
    }

    /// The key check value stored in `meta`: hex SHA-256 over a domain string and the key.
    pub(crate) fn check_value(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(KEY_CHECK_DOMAIN);
        hasher.update(self.0);
        hex::encode(hasher.finalize())
    }

    /// A subkey for another purpose (the roster lookup code): SHA-256 over a domain string and the
    /// key. Zeroized on drop.
    pub(crate) fn derive(&self, purpose: &[u8]) -> Zeroizing<[u8; 32]> {
        let mut hasher = Sha256::new();
        hasher.update(b"zk-store subkey v1\0");
        hasher.update(purpose);
        hasher.update([0]);
        hasher.update(self.0);
        Zeroizing::new(hasher.finalize().into())
    }

    /// Parses the key file's text. The reason for a refusal never quotes the file.
    pub(crate) fn parse_file(text: &str) -> Result<ArtefactKey, &'static str> {
        let mut lines = text.lines().map(str::trim).filter(|line| !line.is_empty());
        if lines.next() != Some(KEY_FILE_HEADER) {
            return Err("the first line is not zk-artefact-key-v1");
        }
        let hex_line = lines.next().ok_or("the key line is missing")?;
        if lines.next().is_some() {
            return Err("there is text after the key line");
        }
        if hex_line.len() != 64 {
            return Err("the key line is not 64 hex characters");
        }
        let mut bytes = [0u8; 32];
        if hex::decode_to_slice(hex_line, &mut bytes).is_err() {
            bytes.zeroize();
            return Err("the key line is not hexadecimal");
        }
        Ok(ArtefactKey(bytes))
    }

    pub(crate) fn file_text(&self) -> Zeroizing<String> {
        let mut text = Zeroizing::new(String::with_capacity(KEY_FILE_HEADER.len() + 66));
        text.push_str(KEY_FILE_HEADER);
        text.push('\n');
        text.push_str(&Zeroizing::new(hex::encode(self.0)));
        text.push('\n');
        text
    }

    /// Reads the key file; `Ok(None)` when it does not exist.
    pub(crate) fn read(path: &Path) -> Result<Option<ArtefactKey>, StoreError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => Zeroizing::new(bytes),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(StoreError::io(path)(error)),
        };
        warn_if_shared(path);
        let text = std::str::from_utf8(&bytes).map_err(|_| StoreError::KeyCorrupt {
            path: path.to_path_buf(),
            why: "it is not text",
        })?;
        ArtefactKey::parse_file(text)
            .map(Some)
            .map_err(|why| StoreError::KeyCorrupt {
                path: path.to_path_buf(),
                why,
            })
    }

    /// Writes a new key file with mode 0600. Never overwrites: an existing file is an error
    /// (`AlreadyExists`), which the caller resolves by reading that file instead.
    pub(crate) fn create_file(&self, path: &Path) -> std::io::Result<()> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path)?;
        let written = file
            .write_all(self.file_text().as_bytes())
            .and_then(|()| file.sync_all());
        if let Err(error) = written {
            // A half-written key file would be worse than none: remove it.
            drop(file);
            let _ = std::fs::remove_file(path);
            return Err(error);
        }
        Ok(())
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&self.0).into())
    }

    /// Encrypts with a fresh random nonce; returns `(nonce, ciphertext)`.
    pub(crate) fn seal(
        &self,
        plaintext: &[u8],
        aad: &[u8],
    ) -> Result<([u8; NONCE_LEN], Vec<u8>), StoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce)?;
        let ciphertext = self
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| StoreError::corrupt("the artefact could not be encrypted"))?;
        Ok((nonce, ciphertext))
    }

    /// Decrypts and authenticates; `None` when the ciphertext, nonce or AAD was altered (or the key
    /// is not the one it was sealed with).
    pub(crate) fn open(&self, nonce: &[u8], ciphertext: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
        if nonce.len() != NONCE_LEN {
            return None;
        }
        self.cipher()
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .ok()
    }
}

impl Drop for ArtefactKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for ArtefactKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ArtefactKey(redacted)")
    }
}

/// A key file others can read is not refused (the desk may run as another user after a restore),
/// but it is reported.
fn warn_if_shared(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(metadata) = std::fs::metadata(path) {
            if metadata.permissions().mode() & 0o077 != 0 {
                tracing::warn!(
                    path = %path.display(),
                    "the artefact key file is readable by other users; run chmod 600 on it"
                );
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

pub(crate) fn fill_random(buffer: &mut [u8]) -> Result<(), StoreError> {
    getrandom::getrandom(buffer).map_err(|error| StoreError::Io {
        path: "<system random source>".into(),
        source: std::io::Error::other(error.to_string()),
    })
}

/// 128 random bits as 32 lowercase hex characters in the UUID v4 layout
/// (`xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`).
pub(crate) fn random_id() -> Result<String, StoreError> {
    let mut bytes = [0u8; 16];
    fill_random(&mut bytes)?;
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_round_trip_and_refusals() {
        let key = ArtefactKey::generate().unwrap();
        let text = key.file_text();
        let parsed = ArtefactKey::parse_file(&text).unwrap();
        assert_eq!(parsed.check_value(), key.check_value());
        assert!(ArtefactKey::parse_file(&text.replace('\n', "\r\n")).is_ok());
        for bad in [
            "",
            "zk-artefact-key-v1\n",
            "zk-artefact-key-v2\n00\n",
            "zk-artefact-key-v1\nabc\n",
            &format!("zk-artefact-key-v1\n{}\n", "g".repeat(64)),
            &format!("zk-artefact-key-v1\n{}\nmore\n", "0".repeat(64)),
        ] {
            assert!(ArtefactKey::parse_file(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn debug_redacts() {
        let key = ArtefactKey::generate().unwrap();
        let debug = format!("{key:?}");
        assert_eq!(debug, "ArtefactKey(redacted)");
        assert!(!debug.contains(&hex::encode(key.0)));
    }

    #[test]
    fn seal_open() {
        let key = ArtefactKey::generate().unwrap();
        let (nonce, sealed) = key.seal(b"photo", b"aad").unwrap();
        assert_eq!(key.open(&nonce, &sealed, b"aad").unwrap(), b"photo");
        assert!(key.open(&nonce, &sealed, b"other aad").is_none());
        let other = ArtefactKey::generate().unwrap();
        assert!(other.open(&nonce, &sealed, b"aad").is_none());
        assert!(key.open(&nonce[..23], &sealed, b"aad").is_none());
    }

    #[test]
    fn ids_look_like_uuid_v4() {
        let id = random_id().unwrap();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_ne!(id, random_id().unwrap());
    }
}
