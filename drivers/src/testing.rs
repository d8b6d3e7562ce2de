//! Test helpers: the shipped assets (a missing one fails the test, naming it) and temp files.

use std::path::{Path, PathBuf};

use image::{Rgb, RgbImage};

/// The repository's `assets/` folder.
pub fn assets_dir() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("assets");
    assert!(
        path.join("sim").is_dir(),
        "fixture missing: {} has no sim/ folder",
        path.display()
    );
    path
}

/// A shipped file under `assets/`, which must exist.
pub fn shipped(relative: &str) -> PathBuf {
    let path = assets_dir().join(relative);
    assert!(
        path.is_file(),
        "fixture missing: {} (shipped with the repository)",
        path.display()
    );
    path
}

pub fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("create a temp dir")
}

pub fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write a test file");
    path
}

/// A 4 × 3 PNG of one colour.
pub fn png(dir: &Path, name: &str, colour: [u8; 3]) -> PathBuf {
    let path = dir.join(name);
    RgbImage::from_pixel(4, 3, Rgb(colour))
        .save(&path)
        .expect("write a test PNG");
    path
}

/// A resident card as a SAM reader returns it (undecoded WLT photo), for the protocol tests.
pub fn reader_card() -> zk_domain::IdCard {
    use zk_domain::{CardPhoto, CardType, Date, Ethnicity, PersonName, Sex, Validity};
    zk_domain::IdCard {
        card_type: CardType::Resident,
        name: PersonName::new("李明"),
        name_en: None,
        sex: Sex::Male,
        ethnicity: Some(Ethnicity::from_code(1)),
        birth_date: Date::from_ymd_opt(1990, 3, 7).unwrap(),
        address: Some("湖北省武汉市洪山区珞喻路1号".into()),
        extra_addresses: Vec::new(),
        number: "110101199003070011".into(),
        authority: "武汉市公安局洪山分局".into(),
        valid_from: Date::from_ymd_opt(2015, 1, 1).unwrap(),
        valid_to: Validity::Until(Date::from_ymd_opt(2035, 1, 1).unwrap()),
        permit_number: None,
        issue_count: None,
        nationality: None,
        photo: CardPhoto::Undecoded(vec![0x57; crate::id_card::frame::PHOTO_LEN]),
    }
}

/// A response frame with SW1 = SW2 = 0.
pub fn answer(status: crate::id_card::frame::Status, data: &[u8]) -> Vec<u8> {
    crate::id_card::frame::Response {
        sw1: 0,
        sw2: 0,
        status,
        data: data.to_vec(),
    }
    .encode()
}
