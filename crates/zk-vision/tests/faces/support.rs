//! Shared by the tests and the benchmark: the dev face set, the models, and pictures made from
//! the set (a chip-like ID photo, camera frames, clips). A missing fixture or model fails loudly
//! with what to do; nothing is skipped.

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, Rgb, RgbImage};
use zk_vision::{decode_image, FaceBox, FaceVerifier, ModelPaths, VerifierConfig};

/// `ZK_FACES_DIR`, else `../shared/data/faces` next to the workspace.
pub fn faces_dir() -> PathBuf {
    let dir = std::env::var_os("ZK_FACES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/faces")
        });
    assert!(
        dir.join("pairs.csv").is_file(),
        "the dev face set is missing: {} has no pairs.csv. Put the set (images + pairs.csv) \
         there or point ZK_FACES_DIR at it",
        dir.display()
    );
    dir
}

/// The verifier with the default settings, loaded once per test binary.
pub fn verifier() -> &'static FaceVerifier {
    static VERIFIER: OnceLock<FaceVerifier> = OnceLock::new();
    VERIFIER.get_or_init(|| {
        let paths = ModelPaths::from_env().unwrap_or_else(|error| panic!("{error}"));
        FaceVerifier::open(VerifierConfig::default(), &paths).unwrap_or_else(|error| {
            panic!("cannot load the face models: {error} (run scripts/fetch-models.sh)")
        })
    })
}

/// One line of pairs.csv.
#[derive(Clone, Debug)]
pub struct Pair {
    pub left: String,
    pub right: String,
    pub same_person: bool,
}

pub fn pairs() -> Vec<Pair> {
    let path = faces_dir().join("pairs.csv");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("left,right,same"),
        "unexpected pairs.csv header"
    );
    lines
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.trim().split(',').collect();
            assert_eq!(fields.len(), 3, "bad pairs.csv line {line:?}");
            Pair {
                left: fields[0].to_owned(),
                right: fields[1].to_owned(),
                same_person: match fields[2] {
                    "1" => true,
                    "0" => false,
                    other => panic!("bad same value {other:?} in pairs.csv"),
                },
            }
        })
        .collect()
}

/// Every image of the set by relative path (identity/n.ext), decoded upright.
pub fn images() -> &'static BTreeMap<String, RgbImage> {
    static IMAGES: OnceLock<BTreeMap<String, RgbImage>> = OnceLock::new();
    IMAGES.get_or_init(|| {
        let mut images = BTreeMap::new();
        for pair in pairs() {
            for name in [pair.left, pair.right] {
                if images.contains_key(&name) {
                    continue;
                }
                let image = decode_image(&read(&name))
                    .unwrap_or_else(|error| panic!("{name} does not decode: {error}"));
                images.insert(name, image);
            }
        }
        images
    })
}

pub fn read(name: &str) -> Vec<u8> {
    let path = faces_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

/// The people in the set and their images, in file order.
pub fn people() -> BTreeMap<String, Vec<String>> {
    let mut people: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for name in images().keys() {
        let person = name.split('/').next().unwrap_or_default().to_owned();
        people.entry(person).or_default().push(name.clone());
    }
    people
}

/// The largest face the detector finds in `image`, remembered per image (the set's images live
/// as long as the test binary, so their address identifies them).
pub fn main_face(image: &RgbImage) -> FaceBox {
    /// Image address and size → its main face.
    type Remembered = HashMap<(usize, u32, u32), FaceBox>;
    static FACES: OnceLock<Mutex<Remembered>> = OnceLock::new();
    let key = (
        image.as_raw().as_ptr() as usize,
        image.width(),
        image.height(),
    );
    let faces = FACES.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(face) = faces.lock().unwrap().get(&key) {
        return *face;
    }
    let found = verifier().detector().detect(image).unwrap();
    let face = *found.first().expect("no face in a set image");
    faces.lock().unwrap().insert(key, face);
    face
}

/// A chip-like ID photo: a head-and-shoulders crop around the main face (face about 55 % of the
/// width), scaled to 102×126 and saved as a quality-60 JPEG (`zk_vision::eval::chip_photo`).
pub fn chip_photo(image: &RgbImage) -> Vec<u8> {
    zk_vision::eval::chip_photo(verifier(), image).unwrap()
}

pub fn jpeg(image: &RgbImage, quality: u8) -> Vec<u8> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(Cursor::new(&mut bytes), quality)
        .encode_image(image)
        .unwrap();
    bytes
}

/// A 640×480 camera frame showing `image`'s main face `face_width` px wide, its centre moved by
/// `offset` from the frame's centre; `mirror` flips it. The rest of the frame is mid-grey.
pub fn camera_frame(
    image: &RgbImage,
    face_width: f32,
    offset: (f32, f32),
    mirror: bool,
) -> RgbImage {
    let face = main_face(image);
    let scale = face_width / face.width;
    let scaled_width = ((image.width() as f32 * scale).round() as u32).max(1);
    let scaled_height = ((image.height() as f32 * scale).round() as u32).max(1);
    // `DynamicImage` methods are compiled optimised inside `image`; the generic `imageops` ones
    // would run unoptimised in a debug test build.
    let mut scaled = DynamicImage::ImageRgb8(image.clone()).resize_exact(
        scaled_width,
        scaled_height,
        FilterType::Triangle,
    );
    let (mut centre_x, centre_y) = face.centre();
    if mirror {
        scaled = scaled.fliph();
        centre_x = image.width() as f32 - centre_x;
    }
    let mut frame = RgbImage::from_pixel(640, 480, Rgb([118, 120, 124]));
    let left = 320.0 + offset.0 - centre_x * scale;
    let top = 240.0 + offset.1 - centre_y * scale;
    paste(
        &mut frame,
        &scaled.into_rgb8(),
        left.round() as i64,
        top.round() as i64,
    );
    frame
}

/// Copies `picture` into `frame` with its top-left corner at (`left`, `top`), clipped to the
/// frame (row slices, fast in any build).
pub fn paste(frame: &mut RgbImage, picture: &RgbImage, left: i64, top: i64) {
    let (frame_width, frame_height) = (i64::from(frame.width()), i64::from(frame.height()));
    let (width, height) = (i64::from(picture.width()), i64::from(picture.height()));
    let (from_x, to_x) = (left.max(0), (left + width).min(frame_width));
    if from_x >= to_x {
        return;
    }
    let row_len = ((to_x - from_x) * 3) as usize;
    for frame_y in top.max(0)..(top + height).min(frame_height) {
        let source = (((frame_y - top) * width + (from_x - left)) * 3) as usize;
        let target = ((frame_y * frame_width + from_x) * 3) as usize;
        let row = &picture.as_raw()[source..source + row_len];
        let pixels: &mut [u8] = frame;
        pixels[target..target + row_len].copy_from_slice(row);
    }
}

/// A clip of camera frames from `sources`: each source at three sizes and positions, one of
/// them mirrored, like a candidate moving a little while reading the digits.
pub fn clip(sources: &[&RgbImage]) -> Vec<RgbImage> {
    let poses = [
        (190.0, (0.0, -20.0), false),
        (170.0, (-30.0, -10.0), true),
        (210.0, (25.0, -30.0), false),
    ];
    sources
        .iter()
        .flat_map(|source| {
            poses
                .iter()
                .map(|(width, offset, mirror)| camera_frame(source, *width, *offset, *mirror))
        })
        .collect()
}
