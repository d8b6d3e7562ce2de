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

/// The dev face set (`ZK_FACES_DIR`, default `../shared/data/faces` beside the repository);
/// missing, the test fails saying so.
pub fn faces_dir() -> PathBuf {
    let dir = std::env::var_os("ZK_FACES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/faces"));
    assert!(
        dir.join("pairs.csv").is_file(),
        "fixture missing: the dev face set {} has no pairs.csv; point ZK_FACES_DIR at it",
        dir.display()
    );
    dir
}

/// The talking-face clip folder (`ZK_VIDEO_DIR`, default `video/` beside the face set).
pub fn video_dir() -> PathBuf {
    let dir = std::env::var_os("ZK_VIDEO_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| faces_dir().join("../video"));
    assert!(
        dir.join("SOURCES.md").is_file(),
        "fixture missing: {} has no SOURCES.md; point ZK_VIDEO_DIR at the shared video folder",
        dir.display()
    );
    dir
}

/// A real photo as a 640×480 RGB frame: the video folder's still of a speaker, scaled to cover
/// the frame and centre-cropped, as a webcam at the desk would frame a face.
pub fn real_frame() -> RgbImage {
    let path = video_dir().join("lin_manuel_miranda_still.png");
    let bytes = std::fs::read(&path)
        .unwrap_or_else(|error| panic!("fixture missing: {}: {error}", path.display()));
    let photo = image::load_from_memory(&bytes)
        .expect("the still decodes")
        .to_rgb8();
    let scale = (640.0 / photo.width() as f32).max(480.0 / photo.height() as f32);
    let (width, height) = (
        (photo.width() as f32 * scale).ceil() as u32,
        (photo.height() as f32 * scale).ceil() as u32,
    );
    let scaled =
        image::imageops::resize(&photo, width, height, image::imageops::FilterType::Triangle);
    image::imageops::crop_imm(&scaled, (width - 640) / 2, (height - 480) / 2, 640, 480).to_image()
}

/// `image` as a baseline JPEG of `quality`, as an MJPEG camera sends a frame.
pub fn jpeg(image: &RgbImage, quality: u8) -> Vec<u8> {
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(image)
        .expect("encode a JPEG");
    bytes
}
