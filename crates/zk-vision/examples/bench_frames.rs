//! The Rust side of `scripts/bench-face-vs-python.sh`: times zk-vision on a fixed set of image
//! files that the Python `face_recognition` bench (scripts/bench/face_recognition_bench.py) reads
//! too, and prints the same JSON keys.
//!
//! ```sh
//! # make the image set: 640×480 PNG camera frames and 102×126 quality-60 JPEG "ID photos"
//! cargo run --release -p zk-vision --example bench_frames -- --prepare FACES_DIR OUT_DIR
//! # time detect + align + embed per frame, the ID template and the clip decision
//! OPENBLAS_NUM_THREADS=1 taskset -c 0 \
//!     cargo run --release -p zk-vision --example bench_frames -- [--repeats N] OUT_DIR
//! ```
//!
//! The set (`manifest.tsv` lists it): for each of up to `CLIP_PEOPLE` people of the dev face set
//! with at least three photos, an ID photo made from their first photo and a six-frame clip made
//! from the next two (each at three sizes and positions, one mirrored, on a grey 640×480 frame,
//! like `tests/faces/support.rs`). Every clip frame is also one of the per-frame samples.
//!
//! Timings are medians in milliseconds over all (image, repeat) samples, of the wall clock
//! (`KEY_ms`) and of the process's CPU time (`KEY_cpu_ms`, all threads; less disturbed by other
//! work on the machine). Pixels are decoded before timing, except for the ID photo, whose JPEG
//! decoding is part of the template. The JSON also holds each image's face box and 128-d
//! embedding (to check that both sides agree) and, for reference, dlib's own HOG detector timed
//! on the same frames through Debian's libdlib.

use std::collections::BTreeMap;
use std::error::Error;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use dlib_face_recognition::{FaceDetectorTrait, ImageMatrix};
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, Rgb, RgbImage};
use zk_domain::MatchPolicy;
use zk_vision::{
    decode_image, FaceBox, FaceDetector, FaceVerifier, ModelPaths, VerifierConfig,
    DEFAULT_PASS_AT_MOST, DEFAULT_REVIEW_AT_MOST,
};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// How many people get an ID photo and a clip.
const CLIP_PEOPLE: usize = 6;
/// Face width, offset of the face centre from the frame centre, mirrored: three poses per photo.
const POSES: [(f32, (f32, f32), bool); 3] = [
    (190.0, (0.0, -20.0), false),
    (170.0, (-30.0, -10.0), true),
    (210.0, (25.0, -30.0), false),
];

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag, faces, out] if flag == "--prepare" => prepare(Path::new(faces), Path::new(out)),
        [flag, repeats, dir] if flag == "--repeats" => run(Path::new(dir), repeats.parse()?),
        [dir] if !dir.starts_with("--") => run(Path::new(dir), 3),
        _ => Err(
            "usage: bench_frames --prepare FACES_DIR OUT_DIR | bench_frames [--repeats N] DIR"
                .into(),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// The image set

fn prepare(faces_dir: &Path, out: &Path) -> Result<()> {
    let pairs = std::fs::read_to_string(faces_dir.join("pairs.csv"))
        .map_err(|error| format!("{}: {error}", faces_dir.join("pairs.csv").display()))?;
    // Every image named in pairs.csv, grouped by person, in name order.
    let mut people: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in pairs.lines().skip(1).filter(|line| !line.trim().is_empty()) {
        for name in line.trim().split(',').take(2) {
            let person = name.split('/').next().unwrap_or_default().to_owned();
            let names = people.entry(person).or_default();
            if !names.iter().any(|known| known == name) {
                names.push(name.to_owned());
            }
        }
    }
    let eligible: Vec<(&String, Vec<&String>)> = people
        .iter()
        .map(|(person, names)| {
            let mut names: Vec<&String> = names.iter().collect();
            names.sort();
            (person, names)
        })
        .filter(|(_, names)| names.len() >= 3)
        .collect();
    if eligible.is_empty() {
        return Err(format!("no person with three photos in {}", faces_dir.display()).into());
    }
    // Spread the chosen people over the (alphabetical) list.
    let step = (eligible.len() / CLIP_PEOPLE).max(1);
    let chosen: Vec<_> = eligible.iter().step_by(step).take(CLIP_PEOPLE).collect();

    let detector = FaceDetector::new(Default::default())?;
    std::fs::create_dir_all(out.join("frames"))?;
    std::fs::create_dir_all(out.join("id"))?;
    let mut manifest = String::from("# kind\tname\tfiles\n");
    for (person, names) in chosen {
        let load = |name: &str| -> Result<(RgbImage, FaceBox)> {
            let image = decode_image(&std::fs::read(faces_dir.join(name))?)?;
            let face = *detector
                .detect(&image)?
                .first()
                .ok_or_else(|| format!("no face in {name}"))?;
            Ok((image, face))
        };
        let (id_source, id_face) = load(names[0])?;
        let id_name = format!("id/{person}.jpg");
        std::fs::write(out.join(&id_name), chip_photo(&id_source, id_face)?)?;
        writeln!(manifest, "id\t{id_name}\t{}", names[0])?;
        let mut clip = Vec::new();
        for (source_index, name) in names[1..3].iter().enumerate() {
            let (image, face) = load(name)?;
            for (pose_index, (width, offset, mirror)) in POSES.iter().enumerate() {
                let frame_name = format!("frames/{person}_{}_{pose_index}.png", source_index + 1);
                camera_frame(&image, face, *width, *offset, *mirror).save(out.join(&frame_name))?;
                writeln!(manifest, "frame\t{frame_name}\t{name}")?;
                clip.push(frame_name);
            }
        }
        writeln!(manifest, "clip\t{person}\t{id_name},{}", clip.join(","))?;
    }
    std::fs::write(out.join("manifest.tsv"), manifest)?;
    eprintln!("bench_frames: image set written to {}", out.display());
    Ok(())
}

/// A chip-like ID photo: a head-and-shoulders crop around the face (face about 55 % of the
/// width), scaled to 102×126 and saved as a quality-60 JPEG.
fn chip_photo(image: &RgbImage, face: FaceBox) -> Result<Vec<u8>> {
    let (width, height) = (image.width() as f32, image.height() as f32);
    let mut crop_width = (face.width / 0.55).min(width);
    let mut crop_height = crop_width * 126.0 / 102.0;
    if crop_height > height {
        crop_height = height;
        crop_width = crop_height * 102.0 / 126.0;
    }
    let (centre_x, centre_y) = face.centre();
    let x = (centre_x - crop_width / 2.0).clamp(0.0, width - crop_width);
    let y = (centre_y - crop_height * 0.45).clamp(0.0, height - crop_height);
    let chip = DynamicImage::ImageRgb8(image.clone())
        .crop_imm(x as u32, y as u32, crop_width as u32, crop_height as u32)
        .resize_exact(102, 126, FilterType::Lanczos3)
        .into_rgb8();
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, 60).encode_image(&chip)?;
    Ok(bytes)
}

/// A 640×480 frame showing the face `face_width` px wide, its centre moved by `offset` from the
/// frame's centre, mirrored or not, on mid-grey.
fn camera_frame(
    image: &RgbImage,
    face: FaceBox,
    face_width: f32,
    offset: (f32, f32),
    mirror: bool,
) -> RgbImage {
    let scale = face_width / face.width;
    let scaled_width = ((image.width() as f32 * scale).round() as u32).max(1);
    let scaled_height = ((image.height() as f32 * scale).round() as u32).max(1);
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
    let left = (320.0 + offset.0 - centre_x * scale).round() as i64;
    let top = (240.0 + offset.1 - centre_y * scale).round() as i64;
    image::imageops::overlay(&mut frame, &scaled.into_rgb8(), left, top);
    frame
}

// ---------------------------------------------------------------------------------------------
// Timing

struct Manifest {
    frames: Vec<String>,
    ids: Vec<String>,
    /// Name, ID photo, frames.
    clips: Vec<(String, String, Vec<String>)>,
}

fn read_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join("manifest.tsv");
    let text =
        std::fs::read_to_string(&path).map_err(|error| format!("{}: {error}", path.display()))?;
    let mut manifest = Manifest {
        frames: Vec::new(),
        ids: Vec::new(),
        clips: Vec::new(),
    };
    for line in text.lines().filter(|line| !line.starts_with('#')) {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            ["frame", name, _] => manifest.frames.push((*name).to_owned()),
            ["id", name, _] => manifest.ids.push((*name).to_owned()),
            ["clip", name, files] => {
                let mut files = files.split(',').map(str::to_owned);
                let id = files.next().ok_or("clip without files")?;
                manifest
                    .clips
                    .push(((*name).to_owned(), id, files.collect()));
            }
            _ => return Err(format!("bad manifest line {line:?}").into()),
        }
    }
    Ok(manifest)
}

/// CPU time of this process (all its threads) in nanoseconds: `CLOCK_PROCESS_CPUTIME_ID`, the
/// clock Python's `time.process_time()` reads.
fn cpu_ns() -> Option<u64> {
    let time = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    let seconds = u64::try_from(time.tv_sec).ok()?;
    let nanos = u64::try_from(time.tv_nsec).ok()?;
    Some(seconds * 1_000_000_000 + nanos)
}

/// The start of a timed stage: wall clock and CPU time.
#[derive(Clone, Copy)]
struct Stamp {
    wall: Instant,
    cpu: Option<u64>,
}

fn stamp() -> Stamp {
    Stamp {
        cpu: cpu_ns(),
        wall: Instant::now(),
    }
}

/// Milliseconds since `start`: wall clock and CPU time.
#[derive(Clone, Copy)]
struct Elapsed {
    wall: f64,
    cpu: Option<f64>,
}

impl Elapsed {
    fn since(start: Stamp) -> Elapsed {
        let wall = start.wall.elapsed().as_secs_f64() * 1000.0;
        let cpu = match (start.cpu, cpu_ns()) {
            (Some(before), Some(after)) => Some(after.saturating_sub(before) as f64 / 1e6),
            _ => None,
        };
        Elapsed { wall, cpu }
    }

    fn plus(self, other: Elapsed) -> Elapsed {
        Elapsed {
            wall: self.wall + other.wall,
            cpu: self.cpu.zip(other.cpu).map(|(a, b)| a + b),
        }
    }
}

/// Timings of one stage over all samples.
#[derive(Default)]
struct Samples {
    wall: Vec<f64>,
    cpu: Vec<f64>,
}

impl Samples {
    fn push(&mut self, elapsed: Elapsed) {
        self.wall.push(elapsed.wall);
        self.cpu.extend(elapsed.cpu);
    }

    /// `"KEY_ms": wall median, "KEY_cpu_ms": CPU median`.
    fn json(&self, key: &str) -> String {
        format!(
            "\"{key}_ms\": {}, \"{key}_cpu_ms\": {}",
            json_number(median(&self.wall)),
            json_number(median(&self.cpu))
        )
    }
}

fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

fn json_number(value: Option<f64>) -> String {
    match value {
        Some(value) if value.is_finite() => format!("{value:.3}"),
        _ => "null".into(),
    }
}

fn json_vector(values: &[f32]) -> String {
    let items: Vec<String> = values.iter().map(|value| format!("{value:.6}")).collect();
    format!("[{}]", items.join(","))
}

fn json_box(face: &FaceBox) -> String {
    format!(
        "[{:.1},{:.1},{:.1},{:.1}]",
        face.x, face.y, face.width, face.height
    )
}

fn run(dir: &Path, repeats: usize) -> Result<()> {
    let repeats = repeats.max(1);
    let manifest = read_manifest(dir)?;
    let load_frame = |name: &String| -> Result<(String, RgbImage)> {
        let path: PathBuf = dir.join(name);
        let bytes = std::fs::read(&path).map_err(|error| format!("{}: {error}", path.display()))?;
        Ok((name.clone(), decode_image(&bytes)?))
    };
    let frames: BTreeMap<String, RgbImage> = manifest
        .frames
        .iter()
        .map(load_frame)
        .collect::<Result<_>>()?;
    let ids: BTreeMap<String, Vec<u8>> = manifest
        .ids
        .iter()
        .map(|name| Ok((name.clone(), std::fs::read(dir.join(name))?)))
        .collect::<Result<_>>()?;

    let verifier = FaceVerifier::open(VerifierConfig::default(), &ModelPaths::from_env()?)?;
    let min_face = verifier.config().frame_min_face_px;
    let policy = MatchPolicy {
        pass_at_most: DEFAULT_PASS_AT_MOST,
        review_at_most: DEFAULT_REVIEW_AT_MOST,
        min_frames: 3,
        model_version: verifier.model_version().to_owned(),
    };
    // Warm-up: page in the models and let the worker thread start.
    if let Some(frame) = frames.values().next() {
        let faces = verifier.detector().detect_at_least(frame, min_face)?;
        verifier
            .embedder()
            .embed(frame, &faces[..faces.len().min(1)])?;
    }

    // Per frame: detect, landmarks (align), align + embed; total = the three in sequence.
    let (mut detect, mut align) = (Samples::default(), Samples::default());
    let (mut embed, mut total) = (Samples::default(), Samples::default());
    let mut embeddings = BTreeMap::new();
    let mut found = 0;
    for round in 0..repeats {
        for (name, frame) in &frames {
            let start = stamp();
            let faces = verifier.detector().detect_at_least(frame, min_face)?;
            let detect_time = Elapsed::since(start);
            detect.push(detect_time);
            let Some(face) = faces.first() else { continue };
            let faces = [*face];
            let start = stamp();
            verifier.embedder().landmarks(frame, &faces)?;
            let align_time = Elapsed::since(start);
            let start = stamp();
            let embedded = verifier.embedder().embed(frame, &faces)?;
            let embed_time = Elapsed::since(start);
            align.push(align_time);
            embed.push(embed_time);
            total.push(detect_time.plus(align_time).plus(embed_time));
            if round == 0 {
                found += 1;
                if let Some(embedding) = embedded.first() {
                    embeddings.insert(
                        name.clone(),
                        json_embedding(&embedding.face, embedding.template.values()),
                    );
                }
            }
        }
    }

    // Reference, not part of zk-vision: dlib's HOG detector (what Python's face_locations calls
    // with upsample 0) from Debian's libdlib, called through dlib-face-recognition, on the same
    // frames. Tells the detector apart from how the Python wheel of dlib was compiled.
    let hog = dlib_face_recognition::FaceDetector::new();
    let matrices = frames
        .values()
        .map(|frame| {
            image024::RgbImage::from_raw(frame.width(), frame.height(), frame.as_raw().clone())
                .map(|buffer| ImageMatrix::from_image(&buffer))
                .ok_or("frame buffer of the wrong size")
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let mut hog_time = Samples::default();
    let mut hog_found = 0;
    for round in 0..repeats {
        for matrix in &matrices {
            let start = stamp();
            let faces = hog.face_locations(matrix);
            hog_time.push(Elapsed::since(start));
            if round == 0 && !faces.is_empty() {
                hog_found += 1;
            }
        }
    }

    // ID photo: the template as the kiosk computes it (decode, detect, embed photo + mirror);
    // the plain embedding (no mirror) for comparing with Python.
    let mut id_time = Samples::default();
    let mut templates = BTreeMap::new();
    for (name, bytes) in &ids {
        for _ in 0..repeats {
            let start = stamp();
            let template = verifier.id_template(bytes)?;
            id_time.push(Elapsed::since(start));
            templates.insert(name.clone(), template);
        }
        let plain =
            verifier.single_face(&decode_image(bytes)?, verifier.config().id_min_face_px)?;
        embeddings.insert(
            name.clone(),
            json_embedding(&plain.face, plain.template.values()),
        );
    }

    // Clip decision: six frames scanned, those with one face ≥ 96 px embedded, the best five
    // compared; and the same with the ID photo's template computed first.
    let (mut clip_time, mut id_and_clip_time) = (Samples::default(), Samples::default());
    let mut clip_results = Vec::new();
    for (clip_name, id_name, frame_names) in &manifest.clips {
        let template = templates
            .get(id_name)
            .ok_or_else(|| format!("clip {clip_name}: no template for {id_name}"))?;
        let bytes = ids.get(id_name).ok_or("unknown ID photo")?;
        let clip: Vec<&RgbImage> = frame_names
            .iter()
            .map(|name| {
                frames
                    .get(name)
                    .ok_or_else(|| format!("unknown frame {name}"))
            })
            .collect::<std::result::Result<_, _>>()?;
        let mut report = None;
        for _ in 0..repeats {
            let start = stamp();
            report = Some(verifier.verify_clip(template, &clip, &policy)?);
            clip_time.push(Elapsed::since(start));
            let start = stamp();
            let template = verifier.id_template(bytes)?;
            verifier.verify_clip(&template, &clip, &policy)?;
            id_and_clip_time.push(Elapsed::since(start));
        }
        if let Some(report) = report {
            let compared: Vec<String> = report
                .compared_frames
                .iter()
                .filter_map(|index| frame_names.get(*index))
                .map(|name| format!("\"{name}\""))
                .collect();
            clip_results.push(format!(
                "{{\"clip\": \"{clip_name}\", \"compared\": {}, \"median_distance\": {}, \
                 \"decision\": \"{}\", \"frames\": [{}]}}",
                report.distances.len(),
                json_number(median(&report.distances)),
                report.verdict.decision.code(),
                compared.join(", ")
            ));
        }
    }

    let embedding_items: Vec<String> = embeddings
        .iter()
        .map(|(name, value)| format!("    \"{name}\": {value}"))
        .collect();
    let lines = [
        "\"impl\": \"rust\"".to_owned(),
        format!(
            "\"versions\": {{\"zk-vision\": \"{}\", \"model_version\": \"{}\"}}",
            env!("CARGO_PKG_VERSION"),
            verifier.model_version()
        ),
        format!("\"repeats\": {repeats}"),
        format!("\"frames\": {}", frames.len()),
        format!(
            "\"frame\": {{\"found\": {found}, {}, {}, {}, {}}}",
            detect.json("detect"),
            align.json("align"),
            embed.json("align_embed"),
            total.json("total")
        ),
        format!(
            "\"reference_dlib_hog\": {{\"found\": {hog_found}, {}}}",
            hog_time.json("detect")
        ),
        format!("\"id_photos\": {}", ids.len()),
        id_time.json("id_template"),
        format!("\"clips\": {}", manifest.clips.len()),
        clip_time.json("clip_decision"),
        id_and_clip_time.json("id_and_clip"),
        format!(
            "\"clip_results\": [\n    {}\n  ]",
            clip_results.join(",\n    ")
        ),
        format!("\"embeddings\": {{\n{}\n  }}", embedding_items.join(",\n")),
    ];
    println!("{{\n  {}\n}}", lines.join(",\n  "));
    Ok(())
}

fn json_embedding(face: &FaceBox, values: &[f32]) -> String {
    format!(
        "{{\"box\": {}, \"vector\": {}}}",
        json_box(face),
        json_vector(values)
    )
}
