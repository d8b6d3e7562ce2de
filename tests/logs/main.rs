//! Logs carry no personal data: the whole demo (three candidates, the protocol simulator and the
//! real serial driver, staff decisions) and a run of device faults, at TRACE level into one
//! buffer, which must not contain any ID number, name, address or birth date of the demo cards.
//! Its own test binary, because it installs the process-wide log subscriber (the simulator logs
//! from its own thread).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use zk_app::AppConfig;
use zk_store::Store;
use zk_tests::{assets, temp_dir};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every personal value on the demo cards (assets/sim/cards.json) and in the demo roster.
fn personal_values() -> Vec<String> {
    let cards: serde_json::Value =
        serde_json::from_slice(&std::fs::read(assets().join("sim/cards.json")).unwrap()).unwrap();
    let mut values = Vec::new();
    for event in cards.as_array().unwrap() {
        let card = &event["card"];
        for field in ["name", "number", "address", "birth_date"] {
            if let Some(value) = card[field].as_str() {
                values.push(value.to_owned());
            }
        }
    }
    assert!(values.len() >= 12, "the demo cards changed: {values:?}");
    values
}

#[test]
fn the_demo_logs_no_personal_data() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let dir = temp_dir();
    let store = Store::open(dir.path()).unwrap();
    let mut printed = Vec::new();
    zk_app::demo::run(
        &AppConfig::default(),
        store,
        &assets(),
        &mut |line: &str| printed.push(line.to_owned()),
    )
    .unwrap();

    // Faults log warnings: a reader that sends corrupt and truncated frames, then the card.
    faulty_reader_run();
    // Security work logs too: wrong sign-ins and a lock-out, a purge, a key rotation.
    let keys = security_run(dir.path());

    let logs = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("corrupt reader frame"),
        "the fault run logged nothing:\n{logs}"
    );
    assert!(
        logs.lines().count() > 10,
        "the log capture saw almost nothing:\n{logs}"
    );
    assert!(
        logs.contains("ID card reader answered"),
        "the reader logged nothing"
    );
    for value in personal_values() {
        assert!(
            !logs.contains(&value),
            "the logs contain a personal value ({} chars) from the demo cards",
            value.chars().count()
        );
    }
    // Birth dates also appear inside ID numbers; a redacted number keeps only 3 + 4 characters.
    assert!(!logs.contains("19900307"));
    assert!(
        logs.contains("staff sign-in refused") && logs.contains("artefact key rotated"),
        "the security run logged nothing:\n{logs}"
    );
    // Neither the old nor the new artefact key, nor a staff secret.
    for key in keys {
        assert!(!logs.contains(&key[..32]), "an artefact key is in the logs");
    }
    assert!(
        !logs.contains("246813") && !logs.contains("wrong-pin"),
        "a PIN is in the logs"
    );
}

/// Wrong sign-ins up to a lock-out, a purge of everything (far in the future), a key rotation.
/// Returns the hex of the keys used (before and after the rotation).
fn security_run(dir: &std::path::Path) -> Vec<String> {
    let key_hex = || {
        std::fs::read_to_string(dir.join(zk_store::KEY_FILE))
            .unwrap()
            .lines()
            .nth(1)
            .unwrap()
            .to_owned()
    };
    let before = key_hex();
    let mut store = Store::open(dir).unwrap();
    let policy = zk_domain::StaffPolicy::default();
    let later = zk_domain::Timestamp::from_millis(4_000_000_000_000);
    for _ in 0..policy.max_failed_sign_ins {
        assert!(store
            .sign_in("demo-staff", "wrong-pin", &policy, later)
            .is_err());
    }
    let facts = store.retention_facts().unwrap();
    let items = zk_domain::retention::plan(&zk_domain::RetentionPolicy::default(), &facts, later);
    assert!(!items.is_empty());
    store.purge(&items, "retention", later).unwrap();
    store.rotate_key("admin", later).unwrap();
    drop(store);
    vec![before, key_hex()]
}

fn faulty_reader_run() {
    use std::time::{Duration, Instant};
    use zk_drivers::id_card::pty_sim::PtySimulator;
    use zk_drivers::id_card::sam_sim::{SamSimulator, Timing};
    use zk_drivers::id_card::serial::SerialIdCardReader;
    use zk_drivers::IdCardReader;

    let dir = temp_dir();
    let cards: serde_json::Value =
        serde_json::from_slice(&std::fs::read(assets().join("sim/cards.json")).unwrap()).unwrap();
    let mut first = cards[0].clone();
    let photo = assets().join("demo").join(
        first["card"]["photo"]
            .as_str()
            .unwrap()
            .trim_start_matches("../demo/"),
    );
    first["card"]["photo"] = serde_json::Value::String(photo.to_string_lossy().into_owned());
    let script = serde_json::json!([
        {"fault": "corrupt"}, {"fault": "truncated"}, {"fault": "removed"}, first, first
    ]);
    let path = dir.path().join("cards.json");
    std::fs::write(&path, script.to_string()).unwrap();
    let sam = SamSimulator::from_file(&path, 115_200, Timing::INSTANT).unwrap();
    let simulator = PtySimulator::start(sam, None).unwrap();
    let mut reader = SerialIdCardReader::open(&simulator.path().to_string_lossy()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(
            Instant::now() < deadline,
            "the faulty reader never produced the card"
        );
        if let Ok(Some(card)) = reader.read(Duration::from_secs(1)) {
            tracing::info!(card = ?card, "card read (Debug must redact)");
            break;
        }
    }
}
