//! Personal data in table columns (the roster's ID number, name, birth date, phone and ethnicity;
//! outbox payloads; staff notes; declarations) is sealed with the artefact key like artefacts are:
//! XChaCha20-Poly1305, a random nonce, and a domain + row id as associated data, so a sealed value
//! cannot be moved to another row. The roster keeps a keyed lookup code (HMAC-SHA-256, truncated)
//! in place of the ID number, so a card can still be found without the number being stored.
//!
//! A stolen database file without the key file shows none of these values.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::StoreError;
use crate::key::{ArtefactKey, NONCE_LEN};

/// Prefix of a sealed text value (`zk1:` + hex of nonce ‖ ciphertext).
const TEXT_PREFIX: &str = "zk1:";
/// A sealed JSON column holds `{"sealed":"<hex>"}` (the column's `json_valid` check still holds).
const JSON_KEY: &str = "sealed";

fn associated_data(domain: &str, row: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(domain.len() + row.len() + 12);
    aad.extend_from_slice(b"zk-seal-v1\0");
    aad.extend_from_slice(domain.as_bytes());
    aad.push(0);
    aad.extend_from_slice(row.as_bytes());
    aad
}

/// `nonce ‖ ciphertext`.
pub(crate) fn seal_bytes(
    key: &ArtefactKey,
    domain: &str,
    row: &str,
    plaintext: &[u8],
) -> Result<Vec<u8>, StoreError> {
    let (nonce, ciphertext) = key.seal(plaintext, &associated_data(domain, row))?;
    let mut sealed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
    sealed.extend_from_slice(&nonce);
    sealed.extend_from_slice(&ciphertext);
    Ok(sealed)
}

pub(crate) fn open_bytes(
    key: &ArtefactKey,
    domain: &str,
    row: &str,
    sealed: &[u8],
) -> Result<Vec<u8>, StoreError> {
    let (nonce, ciphertext) = sealed
        .split_at_checked(NONCE_LEN)
        .ok_or_else(|| StoreError::corrupt(format!("a sealed {domain} value is truncated")))?;
    key.open(nonce, ciphertext, &associated_data(domain, row))
        .ok_or_else(|| {
            StoreError::corrupt(format!(
                "a sealed {domain} value failed its integrity check"
            ))
        })
}

/// A sealed text column value.
pub(crate) fn seal_text(
    key: &ArtefactKey,
    domain: &str,
    row: &str,
    text: &str,
) -> Result<String, StoreError> {
    Ok(format!(
        "{TEXT_PREFIX}{}",
        hex::encode(seal_bytes(key, domain, row, text.as_bytes())?)
    ))
}

/// Opens a sealed text value; a value without the prefix was written before sealing existed and is
/// returned as it is (until the next open seals it).
pub(crate) fn open_text(
    key: &ArtefactKey,
    domain: &str,
    row: &str,
    stored: &str,
) -> Result<String, StoreError> {
    let Some(hex_text) = stored.strip_prefix(TEXT_PREFIX) else {
        return Ok(stored.to_owned());
    };
    let sealed = hex::decode(hex_text)
        .map_err(|_| StoreError::corrupt(format!("a sealed {domain} value is not hexadecimal")))?;
    String::from_utf8(open_bytes(key, domain, row, &sealed)?)
        .map_err(|_| StoreError::corrupt(format!("a sealed {domain} value is not text")))
}

pub(crate) fn is_sealed_text(stored: &str) -> bool {
    stored.starts_with(TEXT_PREFIX)
}

/// A JSON column value sealed as `{"sealed":"zk1:…"}`.
pub(crate) fn seal_json(
    key: &ArtefactKey,
    domain: &str,
    row: &str,
    json: &str,
) -> Result<String, StoreError> {
    let sealed = seal_text(key, domain, row, json)?;
    Ok(serde_json::json!({ JSON_KEY: sealed }).to_string())
}

/// Opens a sealed JSON column; plain JSON (written before sealing existed) is returned as it is.
pub(crate) fn open_json(
    key: &ArtefactKey,
    domain: &str,
    row: &str,
    stored: &str,
) -> Result<String, StoreError> {
    match sealed_json_inner(stored) {
        Some(inner) => open_text(key, domain, row, &inner),
        None => Ok(stored.to_owned()),
    }
}

fn sealed_json_inner(stored: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(stored).ok()?;
    let object = value.as_object()?;
    if object.len() != 1 {
        return None;
    }
    let inner = object.get(JSON_KEY)?.as_str()?;
    is_sealed_text(inner).then(|| inner.to_owned())
}

pub(crate) fn is_sealed_json(stored: &str) -> bool {
    sealed_json_inner(stored).is_some()
}

/// The roster's lookup code for a normalised ID number: 18 upper-case hex characters of
/// HMAC-SHA-256 under a key derived from the artefact key (it fits the column's 18-character
/// check; 72 bits keep collisions out of reach for any roster).
pub(crate) fn lookup_code(key: &ArtefactKey, id_number: &str) -> Result<String, StoreError> {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key.derive(b"zk roster lookup v1").as_slice())
            .map_err(|_| StoreError::corrupt("the lookup key has a wrong length"))?;
    mac.update(id_number.as_bytes());
    let digest = mac.finalize().into_bytes();
    Ok(hex::encode_upper(digest.get(..9).unwrap_or(&digest)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_binds_to_the_row() {
        let key = ArtefactKey::generate().unwrap();
        let sealed = seal_text(&key, "note", "7", "某某 note").unwrap();
        assert!(!sealed.contains("note"));
        assert_eq!(open_text(&key, "note", "7", &sealed).unwrap(), "某某 note");
        assert!(open_text(&key, "note", "8", &sealed).is_err());
        assert!(open_text(&key, "payload", "7", &sealed).is_err());
        assert_eq!(open_text(&key, "note", "7", "plain").unwrap(), "plain");
        let json = seal_json(&key, "outbox", "c1", r#"{"id_number":"1"}"#).unwrap();
        assert!(is_sealed_json(&json));
        assert_eq!(
            open_json(&key, "outbox", "c1", &json).unwrap(),
            r#"{"id_number":"1"}"#
        );
        assert!(!is_sealed_json(r#"{"sealed":"plain"}"#));
        let other = ArtefactKey::generate().unwrap();
        assert!(open_json(&other, "outbox", "c1", &json).is_err());
    }

    #[test]
    fn lookup_codes_are_keyed_and_fit_the_column() {
        let key = ArtefactKey::generate().unwrap();
        let code = lookup_code(&key, "11010119900307001X").unwrap();
        assert_eq!(code.len(), 18);
        assert_eq!(code, code.to_uppercase());
        assert_eq!(code, lookup_code(&key, "11010119900307001X").unwrap());
        let other = ArtefactKey::generate().unwrap();
        assert_ne!(code, lookup_code(&other, "11010119900307001X").unwrap());
    }
}
