//! Face alignment (dlib 5-point landmarks) and the 128-d dlib ResNet embedding.
//!
//! dlib's objects may move between threads but not be shared (`Send`, not `Sync`), so
//! [`DlibEmbedder`] keeps them on one worker thread it owns and talks to it over a channel: the
//! handle itself is `Send + Sync` and can sit behind an `Arc` in any number of threads. Requests
//! are served one at a time, in order.

use std::fmt;
use std::sync::mpsc;
use std::thread::JoinHandle;

use dlib_face_recognition::{
    FaceEncoderNetwork, FaceEncoderTrait, ImageMatrix, LandmarkPredictor, LandmarkPredictorTrait,
    Rectangle,
};
use image::RgbImage;

use crate::detection::FaceBox;
use crate::error::VisionError;
use crate::models::ModelPaths;

/// Length of a face template.
pub const TEMPLATE_LEN: usize = 128;

/// Name and version of the landmark + embedding models, part of every verdict's model version.
pub const EMBEDDER_VERSION: &str = "dlib-5pt-refined+resnet-v1";

/// A face's 128-d embedding. Biometric data: `Debug` shows only its length.
#[derive(Clone, PartialEq)]
pub struct FaceTemplate(Vec<f32>);

impl FaceTemplate {
    /// A template from stored values; exactly [`TEMPLATE_LEN`] finite numbers.
    pub fn from_values(values: &[f32]) -> Result<FaceTemplate, VisionError> {
        if values.len() != TEMPLATE_LEN || !values.iter().all(|value| value.is_finite()) {
            return Err(VisionError::InvalidInput(format!(
                "a face template is {TEMPLATE_LEN} finite numbers, got {} values",
                values.len()
            )));
        }
        Ok(FaceTemplate(values.to_vec()))
    }

    /// The element-wise mean of several templates of one face (dlib's way of combining
    /// jittered or mirrored views).
    pub fn mean(templates: &[FaceTemplate]) -> Result<FaceTemplate, VisionError> {
        if templates.is_empty() {
            return Err(VisionError::InvalidInput(
                "the mean of no face templates".into(),
            ));
        }
        let count = templates.len() as f32;
        let values: Vec<f32> = (0..TEMPLATE_LEN)
            .map(|index| {
                templates
                    .iter()
                    .map(|template| template.0[index])
                    .sum::<f32>()
                    / count
            })
            .collect();
        FaceTemplate::from_values(&values)
    }

    pub fn values(&self) -> &[f32] {
        &self.0
    }

    /// Euclidean distance (dlib's metric): about 0.3–0.5 for the same person, above 0.6 for
    /// different people.
    pub fn distance(&self, other: &FaceTemplate) -> f64 {
        self.0
            .iter()
            .zip(&other.0)
            .map(|(a, b)| {
                let difference = f64::from(*a) - f64::from(*b);
                difference * difference
            })
            .sum::<f64>()
            .sqrt()
    }
}

impl fmt::Debug for FaceTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FaceTemplate({} floats)", self.0.len())
    }
}

/// dlib's five landmarks in image coordinates: two corners of one eye, two of the other, and the
/// base of the nose.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Landmarks {
    pub points: [(f32, f32); 5],
}

impl Landmarks {
    fn eye_centres(&self) -> ((f32, f32), (f32, f32)) {
        let [a0, a1, b0, b1, _] = self.points;
        (
            ((a0.0 + a1.0) / 2.0, (a0.1 + a1.1) / 2.0),
            ((b0.0 + b1.0) / 2.0, (b0.1 + b1.1) / 2.0),
        )
    }

    /// Distance between the eye centres in pixels: the face's size as the aligner sees it.
    pub fn eye_distance(&self) -> f32 {
        let (a, b) = self.eye_centres();
        (a.0 - b.0).hypot(a.1 - b.1)
    }

    /// How far the nose sits from the middle of the eyes along the eye line, as a fraction of the
    /// eye distance: 0 for a frontal face, about 0.3 at 45° of head turn.
    pub fn yaw_ratio(&self) -> f32 {
        let (a, b) = self.eye_centres();
        let nose = self.points[4];
        let distance = self.eye_distance();
        if distance <= f32::EPSILON {
            return 1.0;
        }
        let middle = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
        let axis = ((b.0 - a.0) / distance, (b.1 - a.1) / distance);
        let along = (nose.0 - middle.0) * axis.0 + (nose.1 - middle.1) * axis.1;
        (along / distance).abs()
    }

    /// 1 for a frontal face, falling to 0 at half an eye distance of nose offset (a profile).
    pub fn frontalness(&self) -> f32 {
        (1.0 - 2.0 * self.yaw_ratio()).clamp(0.0, 1.0)
    }

    fn shifted(&self, dx: f32, dy: f32) -> Landmarks {
        Landmarks {
            points: self.points.map(|(x, y)| (x + dx, y + dy)),
        }
    }

    /// The face box the landmark model was trained with (dlib's HOG detector's), placed from
    /// these landmarks: centred 0.49 eye distances below the middle of the eyes, 2.4 eye
    /// distances wide (fitted on the dev set's HOG boxes). rustface's boxes are about 10 %
    /// larger and sit higher; predicting again from this box makes the landmarks, and so the
    /// embedding, independent of the detector's box. `None` for degenerate landmarks.
    pub fn training_box(&self) -> Option<FaceBox> {
        let (a, b) = self.eye_centres();
        let distance = self.eye_distance();
        if !(distance.is_finite() && distance > 1.0) {
            return None;
        }
        let middle = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
        // Perpendicular to the eye line, on the nose's side.
        let mut down = (-(b.1 - a.1) / distance, (b.0 - a.0) / distance);
        let nose = self.points[4];
        if (nose.0 - middle.0) * down.0 + (nose.1 - middle.1) * down.1 < 0.0 {
            down = (-down.0, -down.1);
        }
        let centre = (
            middle.0 + TRAINING_BOX_CENTRE_BELOW_EYES * distance * down.0,
            middle.1 + TRAINING_BOX_CENTRE_BELOW_EYES * distance * down.1,
        );
        let size = TRAINING_BOX_EYE_DISTANCES * distance;
        Some(FaceBox {
            x: centre.0 - size / 2.0,
            y: centre.1 - size / 2.0,
            width: size,
            height: size,
            score: 0.0,
        })
    }
}

/// Width of dlib's HOG face box in eye distances (dev-set fit: 2.40, sd 0.21).
const TRAINING_BOX_EYE_DISTANCES: f32 = 2.4;
/// How far below the middle of the eyes the HOG box's centre sits, in eye distances (0.49, sd 0.10).
const TRAINING_BOX_CENTRE_BELOW_EYES: f32 = 0.49;

/// One aligned and embedded face.
#[derive(Clone, Debug, PartialEq)]
pub struct FaceEmbedding {
    pub face: FaceBox,
    pub landmarks: Landmarks,
    pub template: FaceTemplate,
}

/// Alignment and embedding of detected faces. Implementations are shareable between threads.
pub trait FaceEmbedder: Send + Sync {
    /// Model name and version, stored with every verdict.
    fn model_version(&self) -> &str;

    /// The five landmarks of each face (cheap: well under 1 ms a face).
    fn landmarks(&self, image: &RgbImage, faces: &[FaceBox])
        -> Result<Vec<Landmarks>, VisionError>;

    /// Aligns each face on its landmarks and embeds it; one result per face, in order.
    fn embed(&self, image: &RgbImage, faces: &[FaceBox])
        -> Result<Vec<FaceEmbedding>, VisionError>;

    /// Starts [`FaceEmbedder::embed`] and returns at once if the embedder works on another
    /// thread, so the caller can detect the next frame meanwhile; `wait` gives the result. The
    /// default runs it right away.
    fn start_embed(&self, image: &RgbImage, faces: &[FaceBox]) -> PendingEmbeddings {
        PendingEmbeddings::ready(self.embed(image, faces))
    }
}

/// An embedding request that may still be running on the worker.
pub struct PendingEmbeddings(Pending);

enum Pending {
    Ready(Result<Vec<FaceEmbedding>, VisionError>),
    Running {
        answer: mpsc::Receiver<Result<Vec<(Landmarks, FaceTemplate)>, VisionError>>,
        faces: Vec<FaceBox>,
        offset: (f32, f32),
    },
}

impl fmt::Debug for PendingEmbeddings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Pending::Ready(_) => "PendingEmbeddings(ready)",
            Pending::Running { .. } => "PendingEmbeddings(running)",
        })
    }
}

impl PendingEmbeddings {
    /// An already finished request.
    pub fn ready(result: Result<Vec<FaceEmbedding>, VisionError>) -> PendingEmbeddings {
        PendingEmbeddings(Pending::Ready(result))
    }

    /// Blocks until the embeddings are there.
    pub fn wait(self) -> Result<Vec<FaceEmbedding>, VisionError> {
        let (answer, faces, offset) = match self.0 {
            Pending::Ready(result) => return result,
            Pending::Running {
                answer,
                faces,
                offset,
            } => (answer, faces, offset),
        };
        let results = answer
            .recv()
            .map_err(|_| VisionError::WorkerStopped("it no longer answers".into()))??;
        if results.len() != faces.len() {
            return Err(VisionError::Internal(format!(
                "dlib returned {} embeddings for {} faces",
                results.len(),
                faces.len()
            )));
        }
        Ok(faces
            .iter()
            .zip(results)
            .map(|(face, (landmarks, template))| FaceEmbedding {
                face: *face,
                landmarks: landmarks.shifted(offset.0, offset.1),
                template,
            })
            .collect())
    }
}

/// What the worker is asked to do with one image.
enum Job {
    Landmarks {
        image: image024::RgbImage,
        rectangles: Vec<Rectangle>,
        reply: mpsc::SyncSender<Result<Vec<Landmarks>, VisionError>>,
    },
    Embed {
        image: image024::RgbImage,
        rectangles: Vec<Rectangle>,
        reply: mpsc::SyncSender<Result<Vec<(Landmarks, FaceTemplate)>, VisionError>>,
    },
}

/// [`FaceEmbedder`] over dlib's 5-point shape predictor and ResNet network (through the
/// `dlib-face-recognition` crate, Debian's libdlib and OpenBLAS). One worker thread owns the
/// models; this handle is `Send + Sync`. Set `OPENBLAS_NUM_THREADS=1` in the kiosk's environment
/// to keep the second core free for the UI and camera (OpenBLAS reads it at start-up).
pub struct DlibEmbedder {
    jobs: Option<mpsc::Sender<Job>>,
    worker: Option<JoinHandle<()>>,
}

impl fmt::Debug for DlibEmbedder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DlibEmbedder")
            .field("running", &self.jobs.is_some())
            .finish()
    }
}

impl DlibEmbedder {
    /// Verifies the model files (size and sha256), then loads them on a new worker thread
    /// (about 0.3 s in all). Fails with the missing file's name and the script to run.
    pub fn open(paths: &ModelPaths) -> Result<DlibEmbedder, VisionError> {
        paths.verify()?;
        let (jobs, job_queue) = mpsc::channel::<Job>();
        let (ready, ready_result) = mpsc::sync_channel::<Result<(), VisionError>>(1);
        let paths = paths.clone();
        let worker = std::thread::Builder::new()
            .name("zk-vision-dlib".into())
            .spawn(move || run_worker(&paths, &job_queue, &ready))
            .map_err(|error| {
                VisionError::WorkerStopped(format!("cannot start its thread: {error}"))
            })?;
        match ready_result.recv() {
            Ok(Ok(())) => Ok(DlibEmbedder {
                jobs: Some(jobs),
                worker: Some(worker),
            }),
            Ok(Err(error)) => {
                let _ = worker.join();
                Err(error)
            }
            Err(_) => {
                let _ = worker.join();
                Err(VisionError::WorkerStopped(
                    "it stopped while loading the models".into(),
                ))
            }
        }
    }

    /// The models from `$ZK_MODELS_DIR` or `~/.cache/zikao-kiosk/models`.
    pub fn from_env() -> Result<DlibEmbedder, VisionError> {
        DlibEmbedder::open(&ModelPaths::from_env()?)
    }

    /// Queues a job for the worker; the receiver gets its answer.
    fn submit<T>(
        &self,
        make_job: impl FnOnce(mpsc::SyncSender<Result<T, VisionError>>) -> Job,
    ) -> Result<mpsc::Receiver<Result<T, VisionError>>, VisionError> {
        let stopped = || VisionError::WorkerStopped("it no longer answers".into());
        let jobs = self.jobs.as_ref().ok_or_else(stopped)?;
        let (reply, answer) = mpsc::sync_channel(1);
        jobs.send(make_job(reply)).map_err(|_| stopped())?;
        Ok(answer)
    }
}

impl Drop for DlibEmbedder {
    fn drop(&mut self) {
        // Closing the channel ends the worker's loop; wait for it so the models are freed.
        self.jobs = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

impl FaceEmbedder for DlibEmbedder {
    fn model_version(&self) -> &str {
        EMBEDDER_VERSION
    }

    fn landmarks(
        &self,
        image: &RgbImage,
        faces: &[FaceBox],
    ) -> Result<Vec<Landmarks>, VisionError> {
        if faces.is_empty() {
            return Ok(Vec::new());
        }
        let crop = Crop::around(image, faces)?;
        let rectangles = crop.rectangles(faces);
        let landmarks = self
            .submit(|reply| Job::Landmarks {
                image: crop.image,
                rectangles,
                reply,
            })?
            .recv()
            .map_err(|_| VisionError::WorkerStopped("it no longer answers".into()))??;
        Ok(landmarks
            .iter()
            .map(|points| points.shifted(crop.x as f32, crop.y as f32))
            .collect())
    }

    fn embed(
        &self,
        image: &RgbImage,
        faces: &[FaceBox],
    ) -> Result<Vec<FaceEmbedding>, VisionError> {
        self.start_embed(image, faces).wait()
    }

    fn start_embed(&self, image: &RgbImage, faces: &[FaceBox]) -> PendingEmbeddings {
        if faces.is_empty() {
            return PendingEmbeddings::ready(Ok(Vec::new()));
        }
        let started = Crop::around(image, faces).and_then(|crop| {
            let rectangles = crop.rectangles(faces);
            let offset = (crop.x as f32, crop.y as f32);
            self.submit(|reply| Job::Embed {
                image: crop.image,
                rectangles,
                reply,
            })
            .map(|answer| (answer, offset))
        });
        match started {
            Ok((answer, offset)) => PendingEmbeddings(Pending::Running {
                answer,
                faces: faces.to_vec(),
                offset,
            }),
            Err(error) => PendingEmbeddings::ready(Err(error)),
        }
    }
}

/// The part of the image around the faces, copied into the pixel type dlib's binding takes
/// (`image` 0.24). Big photos are cut down to what alignment needs; frames are copied whole.
struct Crop {
    image: image024::RgbImage,
    x: u32,
    y: u32,
}

impl Crop {
    fn around(image: &RgbImage, faces: &[FaceBox]) -> Result<Crop, VisionError> {
        let (width, height) = image.dimensions();
        if width == 0 || height == 0 {
            return Err(VisionError::InvalidInput("the image is empty".into()));
        }
        let finite = |face: &FaceBox| {
            [face.x, face.y, face.width, face.height]
                .iter()
                .all(|value| value.is_finite())
        };
        if !faces.iter().all(finite) {
            return Err(VisionError::InvalidInput("a face box is not finite".into()));
        }
        // The aligned chip covers the face plus a quarter of its size on each side (dlib's
        // padding 0.25); 0.6 face widths of margin on every side also allow for a tilted head.
        let mut left = f32::MAX;
        let mut top = f32::MAX;
        let mut right = f32::MIN;
        let mut bottom = f32::MIN;
        for face in faces {
            let wide = face.scaled(2.2);
            left = left.min(wide.x);
            top = top.min(wide.y);
            right = right.max(wide.x + wide.width);
            bottom = bottom.max(wide.y + wide.height);
        }
        let x = left.floor().clamp(0.0, (width - 1) as f32) as u32;
        let y = top.floor().clamp(0.0, (height - 1) as f32) as u32;
        let end_x = (right.ceil().clamp(0.0, width as f32) as u32).max(x + 1);
        let end_y = (bottom.ceil().clamp(0.0, height as f32) as u32).max(y + 1);
        // Row by row with slice copies (memcpy), fast in any build.
        let (crop_width, crop_height) = (end_x - x, end_y - y);
        let raw = image.as_raw();
        let row_bytes = width as usize * 3;
        let mut pixels = Vec::with_capacity(crop_width as usize * crop_height as usize * 3);
        for row in y..end_y {
            let start = row as usize * row_bytes + x as usize * 3;
            pixels.extend_from_slice(&raw[start..start + crop_width as usize * 3]);
        }
        let image = image024::RgbImage::from_raw(crop_width, crop_height, pixels)
            .ok_or_else(|| VisionError::Internal("pixel buffer size mismatch".into()))?;
        Ok(Crop { image, x, y })
    }

    /// The face boxes as dlib rectangles in the crop's coordinates.
    fn rectangles(&self, faces: &[FaceBox]) -> Vec<Rectangle> {
        faces
            .iter()
            .map(|face| to_rectangle(&face.shifted(-(self.x as f32), -(self.y as f32))))
            .collect()
    }
}

fn run_worker(
    paths: &ModelPaths,
    jobs: &mpsc::Receiver<Job>,
    ready: &mpsc::SyncSender<Result<(), VisionError>>,
) {
    let loaded = LandmarkPredictor::open(&paths.landmarks)
        .map_err(|detail| VisionError::ModelInvalid {
            path: paths.landmarks.clone(),
            detail,
        })
        .and_then(|predictor| {
            FaceEncoderNetwork::open(&paths.resnet)
                .map(|network| (predictor, network))
                .map_err(|detail| VisionError::ModelInvalid {
                    path: paths.resnet.clone(),
                    detail,
                })
        });
    let (predictor, network) = match loaded {
        Ok(models) => {
            let _ = ready.send(Ok(()));
            models
        }
        Err(error) => {
            let _ = ready.send(Err(error));
            return;
        }
    };
    while let Ok(job) = jobs.recv() {
        // A bug on one image must not end the worker: the panic becomes that request's error.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run_job(&predictor, &network, job)
        }));
        if outcome.is_err() {
            // The reply sender was dropped during unwinding, so the caller sees WorkerStopped
            // for this request only; the worker keeps serving.
            continue;
        }
    }
}

/// Landmarks of the face in `rectangle`, predicted twice: from the detector's box, then from the
/// box the landmark model was trained with, placed from the first prediction
/// ([`Landmarks::training_box`]).
fn predict_shape(
    predictor: &LandmarkPredictor,
    matrix: &ImageMatrix,
    rectangle: &Rectangle,
) -> Result<(dlib_face_recognition::FaceLandmarks, Landmarks), VisionError> {
    let first = predictor.face_landmarks(matrix, rectangle);
    let Some(refined) = to_landmarks(&first)?.training_box() else {
        let landmarks = to_landmarks(&first)?;
        return Ok((first, landmarks));
    };
    let second = predictor.face_landmarks(matrix, &to_rectangle(&refined));
    let landmarks = to_landmarks(&second)?;
    Ok((second, landmarks))
}

fn to_rectangle(face: &FaceBox) -> Rectangle {
    Rectangle {
        left: face.x.round() as _,
        top: face.y.round() as _,
        right: (face.x + face.width).round() as _,
        bottom: (face.y + face.height).round() as _,
    }
}

fn run_job(predictor: &LandmarkPredictor, network: &FaceEncoderNetwork, job: Job) {
    match job {
        Job::Landmarks {
            image,
            rectangles,
            reply,
        } => {
            let matrix = ImageMatrix::from_image(&image);
            let result = rectangles
                .iter()
                .map(|rectangle| {
                    predict_shape(predictor, &matrix, rectangle).map(|(_, landmarks)| landmarks)
                })
                .collect();
            let _ = reply.send(result);
        }
        Job::Embed {
            image,
            rectangles,
            reply,
        } => {
            let matrix = ImageMatrix::from_image(&image);
            let predicted = rectangles
                .iter()
                .map(|rectangle| predict_shape(predictor, &matrix, rectangle))
                .collect::<Result<Vec<_>, _>>();
            let result = predicted
                .map(|predicted| predicted.into_iter().unzip::<_, _, Vec<_>, Vec<_>>())
                .and_then(|(shapes, landmarks)| {
                    // No jitter: the embedding of the exact aligned chip, as face_recognition does.
                    let encodings = network.get_face_encodings(&matrix, &shapes, 0);
                    landmarks
                        .into_iter()
                        .zip(encodings.iter())
                        .map(|(points, encoding)| {
                            let values: Vec<f32> = encoding
                                .as_ref()
                                .iter()
                                .map(|value| *value as f32)
                                .collect();
                            FaceTemplate::from_values(&values)
                                .map(|template| (points, template))
                                .map_err(|_| {
                                    VisionError::Internal(format!(
                                        "dlib returned a {}-value embedding",
                                        values.len()
                                    ))
                                })
                        })
                        .collect()
                });
            let _ = reply.send(result);
        }
    }
}

fn to_landmarks(shape: &dlib_face_recognition::FaceLandmarks) -> Result<Landmarks, VisionError> {
    let parts: &[dlib_face_recognition::Point] = shape;
    if parts.len() != 5 {
        return Err(VisionError::Internal(format!(
            "the landmark model gave {} points instead of 5",
            parts.len()
        )));
    }
    let mut points = [(0.0f32, 0.0f32); 5];
    for (slot, part) in points.iter_mut().zip(parts) {
        *slot = (part.x() as f32, part.y() as f32);
    }
    Ok(Landmarks { points })
}

#[cfg(test)]
mod tests;
