use super::*;
use crate::testing::assets_dir;

#[test]
fn defaults_point_at_the_shipped_simulator_files() {
    let config = DriversConfig::default();
    assert_eq!(config.id_card.backend, Backend::Sim);
    assert_eq!(config.id_card.sim_script, PathBuf::from("sim/cards.json"));
    assert_eq!(config.camera.frame_rate, 15.0);
    assert!(!config.camera.realtime);
    let parsed: DriversConfig =
        serde_json::from_str("{}").expect("an empty config is the defaults");
    assert_eq!(parsed, config);
    let round_trip: DriversConfig =
        serde_json::from_str(&serde_json::to_string(&config).expect("serialise"))
            .expect("deserialise");
    assert_eq!(round_trip, config);
}

#[test]
fn partial_config_keeps_other_defaults_and_typos_fail() {
    let config: DriversConfig =
        serde_json::from_str(r#"{"camera": {"frame_rate": 30, "realtime": true}}"#)
            .expect("parses");
    assert_eq!(config.camera.frame_rate, 30.0);
    assert!(config.camera.realtime);
    assert_eq!(config.camera.sim_frames, CameraConfig::default().sim_frames);
    assert_eq!(config.microphone, MicrophoneConfig::default());

    let typo = serde_json::from_str::<DriversConfig>(r#"{"camera": {"framerate": 30}}"#)
        .expect_err("typo");
    assert!(
        typo.to_string().contains("unknown field `framerate`"),
        "{typo}"
    );
    let backend = serde_json::from_str::<DriversConfig>(r#"{"id_card": {"backend": "usb"}}"#)
        .expect_err("no such backend");
    assert!(
        backend
            .to_string()
            .contains("unknown variant `usb`, expected one of `sim`, `serial`, `touch`"),
        "{backend}"
    );
}

#[test]
fn the_default_config_opens_every_shipped_simulator() {
    let assets = assets_dir();
    let config = DriversConfig::default();
    let mut reader = config.open_id_card_reader(&assets).expect("reader");
    let card = reader
        .read(std::time::Duration::from_secs(1))
        .expect("no error")
        .expect("the first demo card");
    assert_eq!(card.name.expose(), "李明");
    let mut camera = config.open_camera(&assets).expect("camera");
    assert_eq!(camera.frame_rate(), 15.0);
    assert_eq!(camera.frame().expect("a frame").image.width(), 1200);
    let mut microphone = config.open_microphone(&assets).expect("microphone");
    assert_eq!(
        microphone
            .record(16_000, std::time::Duration::from_secs(2))
            .expect("audio")
            .samples
            .len(),
        16_000
    );
    let mut pad = config.open_signature_pad(&assets).expect("signature pad");
    assert_eq!(
        pad.capture(std::time::Duration::from_secs(1))
            .expect("strokes")
            .check(),
        Ok(())
    );
}

#[test]
fn a_config_pointing_at_a_missing_file_fails_naming_it() {
    let assets = assets_dir();
    let mut config = DriversConfig::default();
    config.signature_pad.sim_script = PathBuf::from("sim/no-such-signature.json");
    let error = config
        .open_signature_pad(&assets)
        .err()
        .expect("missing file");
    assert!(
        error.to_string().contains("no-such-signature.json"),
        "{error}"
    );
    config.camera.sim_script = Some(PathBuf::from("sim/no-such-camera.json"));
    let error = config.open_camera(&assets).err().expect("missing file");
    assert!(error.to_string().contains("no-such-camera.json"), "{error}");
}

#[test]
fn serial_backend_needs_a_port_and_exists_only_for_the_reader() {
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets");
    let mut config = DriversConfig::default();
    config.id_card.backend = Backend::Serial;
    let kind = |result: Result<Box<dyn IdCardReader>, DeviceError>| match result {
        Err(error) => error.kind(),
        Ok(_) => panic!("expected an error"),
    };
    assert_eq!(
        kind(config.open_id_card_reader(&assets)),
        DeviceErrorKind::Unsupported
    );
    config.id_card.port = Some("/dev/zikao-no-such-port".into());
    assert_eq!(
        kind(config.open_id_card_reader(&assets)),
        DeviceErrorKind::Disconnected
    );
    config.camera.backend = Backend::Serial;
    assert!(matches!(
        config.open_camera(&assets),
        Err(DeviceError::Unsupported { .. })
    ));
}

#[test]
fn backends_a_device_does_not_have_are_clear_errors() {
    let assets = assets_dir();
    let mut config = DriversConfig::default();
    config.camera.backend = Backend::Touch;
    let error = config.open_camera(&assets).err().expect("no touch camera");
    assert_eq!(error.kind(), DeviceErrorKind::Unsupported);
    config.signature_pad.backend = Backend::Touch;
    assert!(
        config.open_signature_pad(&assets).is_err(),
        "a touch pad needs its handle"
    );
    let (_, handle) = config
        .open_signature_pad_with_handle(&assets)
        .expect("touch pad");
    assert!(handle.is_some());
}
