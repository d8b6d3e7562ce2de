use super::*;
use crate::id_card::sam_sim::Timing;
use crate::testing::{temp_dir, write};

#[test]
fn link_follows_the_pty_and_never_replaces_a_real_file() {
    let dir = temp_dir();
    let link = dir.path().join("ttyZK0");
    let sim = PtySimulator::start(
        SamSimulator::new(Vec::new(), 115_200, Timing::INSTANT),
        Some(link.clone()),
    )
    .unwrap();
    assert_eq!(sim.path(), link);
    assert_eq!(std::fs::read_link(&link).unwrap(), sim.slave_path());
    assert!(sim.is_plugged());
    drop(sim);
    assert!(
        std::fs::symlink_metadata(&link).is_err(),
        "the link is removed on stop"
    );

    let file = write(dir.path(), "precious", "data");
    let error = PtySimulator::start(
        SamSimulator::new(Vec::new(), 115_200, Timing::INSTANT),
        Some(file.clone()),
    )
    .unwrap_err();
    assert!(error.to_string().contains("not a symlink"), "{error}");
    assert_eq!(std::fs::read_to_string(file).unwrap(), "data");
}
