//! Bundles round-trip; any changed, cut, misaddressed or re-signed bundle is refused before a
//! single entry is trusted; receipts verify only for their hub and desk.

use super::*;
use crate::wire::{AckStatus, AuditHead, Record};

fn desk() -> DeskKey {
    DeskKey::from_seed_hex(&"11".repeat(32)).unwrap()
}

fn batch(key: &str, records: usize) -> BatchRequest {
    BatchRequest {
        version: VERSION,
        batch_key: key.into(),
        records: (0..records)
            .map(|index| Record {
                seq: index as i64 + 1,
                confirmation_id: format!("c-{key}-{index}"),
                payload: format!("{{\"n\":{index}}}"),
                payload_sha256: sha256_hex(format!("{{\"n\":{index}}}").as_bytes()),
                blobs: Vec::new(),
            })
            .collect(),
        audit_head: AuditHead {
            seq: 3,
            hash: "ab".repeat(32),
        },
    }
}

/// Incompressible bytes of `size`.
fn bytes(label: u8, size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 32);
    let mut block: [u8; 32] = Sha256::digest([label]).into();
    while out.len() < size {
        out.extend_from_slice(&block);
        block = Sha256::digest(block).into();
    }
    out.truncate(size);
    out
}

/// A bundle of two blobs (one spanning several chunks) and two batches.
fn sample(hub: &HubKey) -> (Vec<u8>, Vec<BundleEntry>) {
    let blobs = [bytes(1, 3 * CHUNK_BYTES + 123), bytes(2, 40)];
    let entries = vec![
        BundleEntry::Blob {
            sha256: sha256_hex(&blobs[0]),
            bytes: blobs[0].clone(),
        },
        BundleEntry::Batch(batch("aaaaaaaaaaaaaaaa", 3)),
        BundleEntry::Blob {
            sha256: sha256_hex(&blobs[1]),
            bytes: blobs[1].clone(),
        },
        BundleEntry::Batch(batch("bbbbbbbbbbbbbbbb", 2)),
    ];
    let desk = desk();
    let mut writer = BundleWriter::new(
        Vec::new(),
        &desk,
        &hub.public(),
        BundleCounts {
            batches: 2,
            records: 5,
            blobs: 2,
        },
        1_700_000_000_000,
    )
    .unwrap();
    for entry in &entries {
        match entry {
            BundleEntry::Blob { sha256, bytes } => writer.write_blob(sha256, bytes).unwrap(),
            BundleEntry::Batch(batch) => writer.write_batch(batch).unwrap(),
        }
    }
    let (file, header) = writer.finish().unwrap();
    assert_eq!(header.desk, desk.public_hex());
    (file, entries)
}

fn read_all(file: &[u8], hub: &HubKey) -> Result<Vec<BundleEntry>, BundleError> {
    let mut reader = BundleReader::open(file, hub)?;
    let mut entries = Vec::new();
    while let Some(entry) = reader.next_entry()? {
        entries.push(entry);
    }
    Ok(entries)
}

#[test]
fn a_bundle_round_trips_and_hides_its_content() {
    let hub = HubKey::generate().unwrap();
    let (file, entries) = sample(&hub);
    assert_eq!(read_all(&file, &hub).unwrap(), entries);
    let mut reader = BundleReader::open(file.as_slice(), &hub).unwrap();
    assert_eq!(
        reader.verify_all().unwrap(),
        BundleCounts {
            batches: 2,
            records: 5,
            blobs: 2
        }
    );
    // Neither a confirmation id nor a run of a blob's bytes appears in the file.
    let text = String::from_utf8_lossy(&file);
    assert!(!text.contains("c-aaaaaaaaaaaaaaaa-0"));
    let blob = bytes(2, 40);
    assert!(!file.windows(16).any(|window| window == &blob[..16]));
}

#[test]
fn an_empty_bundle_is_valid() {
    let hub = HubKey::generate().unwrap();
    let desk = desk();
    let writer =
        BundleWriter::new(Vec::new(), &desk, &hub.public(), BundleCounts::default(), 1).unwrap();
    let (file, _) = writer.finish().unwrap();
    assert!(read_all(&file, &hub).unwrap().is_empty());
}

#[test]
fn every_flipped_byte_is_refused() {
    let hub = HubKey::generate().unwrap();
    let (file, _) = sample(&hub);
    // Every byte of the magic, length and header, then every 499th byte of the ciphertext, and
    // the very last byte (the final tag).
    let header_end = 12 + u32::from_be_bytes(file[8..12].try_into().unwrap()) as usize;
    let positions = (0..header_end)
        .chain((header_end..file.len()).step_by(499))
        .chain([file.len() - 1]);
    let mut checked = 0;
    for position in positions {
        let mut bad = file.clone();
        bad[position] ^= 0x01;
        let result = read_all(&bad, &hub);
        assert!(result.is_err(), "a flip at byte {position} was not noticed");
        checked += 1;
    }
    assert!(checked > 500, "{checked}");
}

#[test]
fn a_cut_or_extended_bundle_is_refused() {
    let hub = HubKey::generate().unwrap();
    let (file, _) = sample(&hub);
    // Cut exactly at a chunk boundary (the cut-off chunks authenticate fine on their own), in a
    // chunk, and in the header.
    let header_end = 12 + u32::from_be_bytes(file[8..12].try_into().unwrap()) as usize;
    for cut in [
        header_end + CHUNK_BYTES + TAG_BYTES,
        header_end + 2 * (CHUNK_BYTES + TAG_BYTES),
        file.len() - 1,
        header_end + 5,
        20,
    ] {
        let result = read_all(&file[..cut], &hub);
        assert!(result.is_err(), "cut at {cut} of {} accepted", file.len());
    }
    let mut longer = file.clone();
    longer.extend_from_slice(&[0u8; 40]);
    assert!(read_all(&longer, &hub).is_err());
    assert!(matches!(
        read_all(b"PK\x03\x04 not a bundle", &hub),
        Err(BundleError::NotABundle)
    ));
}

#[test]
fn a_bundle_for_another_hub_is_refused_as_such() {
    let hub = HubKey::generate().unwrap();
    let other = HubKey::generate().unwrap();
    let (file, _) = sample(&hub);
    assert!(matches!(
        BundleReader::open(file.as_slice(), &other),
        Err(BundleError::WrongHub)
    ));
}

#[test]
fn a_bundle_claiming_another_desk_fails_its_signature() {
    let hub = HubKey::generate().unwrap();
    let (file, _) = sample(&hub);
    // Rewrite the header's desk to another key: the header hash is the chunks' associated data,
    // so the content no longer decrypts; and a forger who re-encrypts cannot sign for that desk.
    let header_end = 12 + u32::from_be_bytes(file[8..12].try_into().unwrap()) as usize;
    let mut header: BundleHeader = serde_json::from_slice(&file[12..header_end]).unwrap();
    let impostor = DeskKey::from_seed_hex(&"22".repeat(32)).unwrap();
    header.desk = impostor.public_hex();
    let header_bytes = serde_json::to_vec(&header).unwrap();
    let mut forged = Vec::new();
    forged.extend_from_slice(MAGIC);
    forged.extend_from_slice(&(header_bytes.len() as u32).to_be_bytes());
    forged.extend_from_slice(&header_bytes);
    forged.extend_from_slice(&file[header_end..]);
    assert!(read_all(&forged, &hub).is_err());

    // A bundle whose header names the real desk but which the impostor signed: everything
    // decrypts, and the end entry's signature is refused.
    let real = desk();
    let mut writer = BundleWriter::new(
        Vec::new(),
        &real,
        &hub.public(),
        BundleCounts {
            batches: 1,
            records: 1,
            blobs: 0,
        },
        1,
    )
    .unwrap();
    writer.desk = &impostor;
    writer.write_batch(&batch("dddddddddddddddd", 1)).unwrap();
    let (file, _) = writer.finish().unwrap();
    match read_all(&file, &hub) {
        Err(BundleError::BadSignature { desk }) => assert_eq!(desk, real.public_hex()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_announced_counts_must_match() {
    let hub = HubKey::generate().unwrap();
    let desk = desk();
    let mut writer = BundleWriter::new(
        Vec::new(),
        &desk,
        &hub.public(),
        BundleCounts {
            batches: 2,
            records: 3,
            blobs: 0,
        },
        1,
    )
    .unwrap();
    writer.write_batch(&batch("cccccccccccccccc", 3)).unwrap();
    assert!(writer.finish().is_err());
}

#[test]
fn hub_keys_save_load_and_print() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.key");
    let key = HubKey::generate().unwrap();
    key.save_new(&path).unwrap();
    assert!(key.save_new(&path).is_err(), "never over an existing key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let loaded = HubKey::load(&path).unwrap();
    assert_eq!(loaded.public(), key.public());
    let text = key.public().to_text();
    assert!(text.starts_with("zkhub1:"), "{text}");
    assert_eq!(HubPublicKey::parse(&text).unwrap(), key.public());
    assert!(!format!("{loaded:?}").contains(&hex::encode(loaded.sign.to_bytes())));
    for bad in ["zkhub1:00", "zkhub2:aa:bb", &text.replace("zkhub1:", "")] {
        assert!(HubPublicKey::parse(bad).is_err(), "{bad}");
    }
    std::fs::write(dir.path().join("bad.key"), "not a key\n").unwrap();
    assert!(HubKey::load(&dir.path().join("bad.key")).is_err());
}

#[test]
fn receipts_verify_only_for_their_hub_and_desk() {
    let hub = HubKey::generate().unwrap();
    let desk = desk();
    let mut receipt = Receipt {
        version: VERSION,
        bundle_id: "b".repeat(32),
        desk: desk.public_hex(),
        hub: String::new(),
        imported_at_ms: 5,
        acks: vec![Ack {
            seq: 1,
            confirmation_id: "c-1".into(),
            status: AckStatus::Stored,
            reason: None,
        }],
        signature: String::new(),
    };
    hub.sign_receipt(&mut receipt).unwrap();
    receipt.verify(&hub.public(), &desk.public_hex()).unwrap();
    // Through JSON, as it travels.
    let travelled: Receipt =
        serde_json::from_str(&serde_json::to_string_pretty(&receipt).unwrap()).unwrap();
    travelled.verify(&hub.public(), &desk.public_hex()).unwrap();

    let mut altered = receipt.clone();
    altered.acks[0].seq = 2;
    assert!(matches!(
        altered.verify(&hub.public(), &desk.public_hex()),
        Err(BundleError::BadReceipt)
    ));
    let other_hub = HubKey::generate().unwrap();
    assert!(matches!(
        receipt.verify(&other_hub.public(), &desk.public_hex()),
        Err(BundleError::BadReceipt)
    ));
    let other_desk = DeskKey::from_seed_hex(&"33".repeat(32)).unwrap();
    assert!(matches!(
        receipt.verify(&hub.public(), &other_desk.public_hex()),
        Err(BundleError::OtherDesk(_))
    ));
}
