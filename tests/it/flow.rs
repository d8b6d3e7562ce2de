//! End to end with the simulators and a real file store: the demo's three candidates, what they
//! leave in the store, encryption at rest, device faults and the idle wipe.

use zk_app::AppConfig;
use zk_domain::RegistrationStatus;
use zk_store::Store;
use zk_tests::{assets, temp_dir};

fn run_demo(dir: &std::path::Path) -> zk_app::demo::DemoReport {
    let store = Store::open(dir).unwrap();
    let mut lines = Vec::new();
    let report = zk_app::demo::run(&AppConfig::default(), store, &assets(), &mut |line: &str| lines.push(line.to_owned()))
        .unwrap_or_else(|error| panic!("demo failed: {error}\n{}", lines.join("\n")));
    assert!(lines.iter().any(|l| l.contains("digits shown and spoken")), "{}", lines.join("\n"));
    report
}

#[test]
fn demo_confirms_a_and_c_and_staff_reject_b() {
    let dir = temp_dir();
    let report = run_demo(dir.path());
    let by_label = |label: &str| report.candidates.iter().find(|c| c.label == label).unwrap().clone();
    let a = by_label("A");
    let c = by_label("C");
    let b = by_label("B");
    assert!(a.admission_number.as_deref().is_some_and(|n| n.len() == 12 && n.starts_with("4201271")), "{a:?}");
    assert!(c.admission_number.as_deref().is_some_and(|n| n.len() == 12 && n.starts_with("4202271")), "{c:?}");
    assert_eq!(b.admission_number, None);
    assert_eq!(b.ended, Some(zk_domain::ReasonCode::StaffRejected));

    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.confirmations(10, 0).unwrap().len(), 2);
    let (pending, acked) = store.outbox_counts().unwrap();
    assert_eq!((pending, acked), (2, 0));
    store.verify_audit().unwrap();
    let counts = store.roster_counts().unwrap();
    assert_eq!(counts.confirmed, 2);
    let still_registered = store.registrations(Some(RegistrationStatus::Registered), 1000, 0).unwrap();
    assert!(still_registered.iter().any(|r| r.registration_id == "271420100002"));
}

#[test]
fn artefacts_are_encrypted_at_rest() {
    let dir = temp_dir();
    run_demo(dir.path());
    let mut database = std::fs::read(dir.path().join("desk.sqlite")).unwrap();
    if let Ok(wal) = std::fs::read(dir.path().join("desk.sqlite-wal")) {
        database.extend(wal);
    }
    let contains = |needle: &[u8]| database.windows(needle.len()).any(|w| w == needle);
    assert!(!contains(b"\xFF\xD8\xFF"), "a plaintext JPEG is in the database");
    assert!(!contains(b"RIFF"), "a plaintext WAV is in the database");
    assert!(!contains(b"\x89PNG"), "a plaintext PNG is in the database");
}
