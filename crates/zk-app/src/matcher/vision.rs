//! The real face matcher: zk-vision's detector and embedder (rustface + dlib) for the face half
//! of liveness, identity against the ID card photo and the registration photo; a
//! [`LivenessJudge`] for the speech half.
//!
//! The face half of a clip: faces are detected on every `scan_every`-th frame (and the last) on
//! two threads, and each scanned frame is judged against the guide box ([`super::guide`]):
//! exactly one face, centred in the box, neither too small nor too large, in at least 90 % of
//! them (any frame with two faces fails). The same detections give the speech judge its face
//! boxes (interpolated between scanned frames), so faces are found once per clip. For the
//! identity, the sharpest in-box frames are embedded on the embedder's worker while the speech
//! judge runs; of those, the best (frontal, detailed, sharp) are compared with the ID photo and
//! decided on their median distance.

use std::path::Path;
use std::sync::Arc;

use image::{DynamicImage, RgbImage};
use zk_domain::{Decision, MatchPolicy, ReasonCode, Score, Verdict};
use zk_drivers::Frame;
use zk_vision::{
    fix_photo, FaceBox, FaceTemplate, FaceVerifier, ModelPaths, PhotoSpec, SizeFit, VerifierConfig,
};

use crate::error::AppError;
use crate::matcher::guide::{
    comparison_quality, face_sharpness, judge_frame, sharpest, FrameFinding, GuideConfig,
    GuideCounts,
};
use crate::matcher::liveness::{LivenessJudge, LivenessReport};
use crate::matcher::{crop_to_spec, FaceMatcher, LivenessClip, PhotoCheck};

pub struct VisionFaceMatcher {
    verifier: Arc<FaceVerifier>,
    liveness: Box<dyn LivenessJudge>,
    photo_spec: PhotoSpec,
    guide: GuideConfig,
    version: String,
    /// The ID photo's template, computed once per photo (the first liveness attempt) and reused
    /// for retries and the registration photo. `Err` holds why the photo gave no template.
    id: Option<(Vec<u8>, Result<FaceTemplate, String>)>,
    /// Detect faces on every n-th clip frame (and the last); 1: all.
    pub scan_every: usize,
    /// The sharpest in-box frames embedded for the identity (of which the verifier's
    /// `best_frames` are compared).
    pub embed_frames: usize,
}

impl std::fmt::Debug for VisionFaceMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VisionFaceMatcher")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl VisionFaceMatcher {
    pub fn new(verifier: Arc<FaceVerifier>, liveness: Box<dyn LivenessJudge>) -> VisionFaceMatcher {
        let version = format!("{}+{}", verifier.model_version(), liveness.model_version());
        let embed_frames = verifier.config().best_frames + 2;
        VisionFaceMatcher {
            verifier,
            liveness,
            photo_spec: PhotoSpec::default(),
            guide: GuideConfig::default(),
            version,
            id: None,
            scan_every: 2,
            embed_frames,
        }
    }

    /// Another guide box and face-size limits than the default (`[matcher.guide]`).
    pub fn with_guide(mut self, guide: GuideConfig) -> Result<VisionFaceMatcher, AppError> {
        guide.validate().map_err(AppError::Config)?;
        self.guide = guide;
        Ok(self)
    }

    /// Faces in the scanned frames (indices into `images`), on two threads.
    fn detect_scanned(
        &self,
        images: &[&RgbImage],
        scanned: &[usize],
    ) -> Result<Vec<Vec<FaceBox>>, AppError> {
        let (verifier, guide) = (&*self.verifier, &self.guide);
        let detector = verifier.detector();
        let detect = |index: usize| -> Result<Vec<FaceBox>, AppError> {
            let image = images[index];
            // Small enough to tell a face that is too far from no face at all.
            let min_px = verifier
                .config()
                .frame_min_face_px
                .min(0.75 * guide.min_face_px(image.width()))
                .max(zk_vision::policy::FULL_DETAIL_EYE_DISTANCE);
            match detector.detect_at_least(image, min_px) {
                Ok(faces) => Ok(faces),
                Err(error) if error.is_input_problem() => Ok(Vec::new()),
                Err(error) => Err(error.into()),
            }
        };
        let half = scanned.len().div_ceil(2);
        let (first, second) = scanned.split_at(half);
        let (a, b) = std::thread::scope(|scope| {
            let other = scope.spawn(|| {
                second
                    .iter()
                    .map(|&index| detect(index))
                    .collect::<Vec<_>>()
            });
            let mine: Vec<_> = first.iter().map(|&index| detect(index)).collect();
            (mine, other.join())
        });
        let b = b.map_err(|_| AppError::Image("the face detection thread failed".into()))?;
        a.into_iter().chain(b).collect()
    }

    /// Another registration-photo spec than the default (480×640, blue, 20–40 KB).
    pub fn with_photo_spec(mut self, spec: PhotoSpec) -> Result<VisionFaceMatcher, AppError> {
        spec.validate()?;
        self.photo_spec = spec;
        Ok(self)
    }

    /// Loads the models from `models_dir` (default: `$ZK_MODELS_DIR`, then
    /// `~/.cache/zikao-kiosk/models`), checking their sha256 sums. About 1 s.
    pub fn open(
        models_dir: Option<&Path>,
        liveness: Box<dyn LivenessJudge>,
    ) -> Result<VisionFaceMatcher, AppError> {
        let paths = match models_dir {
            Some(dir) => ModelPaths::in_dir(dir),
            None => ModelPaths::from_env()?,
        };
        let verifier = FaceVerifier::open(VerifierConfig::default(), &paths)?;
        Ok(VisionFaceMatcher::new(Arc::new(verifier), liveness))
    }

    /// The ID photo's template; `None` when the photo holds no usable face (staff compare by
    /// eye). Errors only for a broken installation.
    fn id_template(&mut self, photo: &[u8]) -> Result<Option<FaceTemplate>, AppError> {
        let cached = matches!(&self.id, Some((bytes, _)) if bytes.as_slice() == photo);
        if !cached {
            let template = match self.verifier.id_template(photo) {
                Ok(template) => Ok(template),
                Err(error) if error.is_input_problem() => {
                    tracing::warn!(%error, "the ID photo gives no face template; staff compare");
                    Err(error.to_string())
                }
                Err(error) => return Err(error.into()),
            };
            self.id = Some((photo.to_vec(), template));
        }
        Ok(self
            .id
            .as_ref()
            .and_then(|(_, template)| template.as_ref().ok().cloned()))
    }
}

impl FaceMatcher for VisionFaceMatcher {
    fn model_version(&self) -> &str {
        &self.version
    }

    fn check_liveness(
        &mut self,
        clip: &LivenessClip<'_>,
        id_photo: Option<&[u8]>,
        policy: &MatchPolicy,
    ) -> Result<Verdict, AppError> {
        let images: Vec<&RgbImage> = clip.frames.iter().map(|frame| &frame.image).collect();
        let scanned = scanned_frames(images.len(), self.scan_every);
        let detections = self.detect_scanned(&images, &scanned)?;
        let findings: Vec<FrameFinding> = scanned
            .iter()
            .zip(&detections)
            .map(|(&index, faces)| judge_frame(faces, images[index].dimensions(), &self.guide))
            .collect();
        let counts = GuideCounts::of(&findings);
        let face_failure = counts.failure(&self.guide);
        let mut scores = vec![
            Score::new(
                "one_face_fraction",
                counts.in_guide_fraction(),
                self.guide.min_in_guide_fraction,
            ),
            Score::new("frames_scanned", counts.scanned as f64, 0.0),
            Score::new("frames_outside_guide", counts.outside_guide as f64, 0.0),
            Score::new(
                "frames_face_too_small",
                counts.too_small as f64,
                self.guide.min_face,
            ),
            Score::new(
                "frames_face_too_large",
                counts.too_large as f64,
                self.guide.max_face,
            ),
        ];

        // The identity: the sharpest in-box frames go to the embedder's worker now.
        let template = match id_photo {
            Some(photo) => self.id_template(photo)?,
            None => None,
        };
        let mut pending = Vec::new();
        if template.is_some() && face_failure.is_none() {
            let candidates: Vec<(usize, FaceBox, f64)> = scanned
                .iter()
                .zip(&findings)
                .filter_map(|(&index, finding)| match finding {
                    FrameFinding::InGuide(face) => {
                        Some((index, *face, sharpness_of(images[index], face)))
                    }
                    _ => None,
                })
                .collect();
            let sharpness: Vec<f64> = candidates.iter().map(|(_, _, sharp)| *sharp).collect();
            let top = sharpness.iter().copied().fold(0.0, f64::max);
            for chosen in sharpest(&sharpness, self.embed_frames) {
                let (index, face, sharp) = candidates[chosen];
                pending.push((
                    index,
                    sharp,
                    self.verifier.embedder().start_embed(images[index], &[face]),
                ));
            }
            scores.push(Score::new("sharpest_face", top, 0.0));
        }

        // The speech half, with the faces found here, while the worker embeds.
        let boxes = interpolate_boxes(images.len(), &scanned, &findings);
        let with_faces = LivenessClip {
            face_boxes: Some(&boxes),
            ..*clip
        };
        let speech = self.liveness.judge(&with_faces)?;
        let speech_failure = match &speech {
            LivenessReport::Checked {
                scores: list,
                failure,
            } => {
                scores.extend(list.iter().cloned());
                *failure
            }
            LivenessReport::Unavailable { .. } => None,
        };

        let identity_decision = match &template {
            Some(template) if face_failure.is_none() => {
                let top = pending
                    .iter()
                    .map(|(_, sharp, _)| *sharp)
                    .fold(0.0, f64::max);
                let mut compared = Vec::new();
                for (index, sharp, started) in pending {
                    let Some(embedded) = started.wait()?.into_iter().next() else {
                        continue;
                    };
                    let quality = comparison_quality(
                        embedded.landmarks.frontalness(),
                        embedded.landmarks.eye_distance(),
                        sharp,
                        top,
                    );
                    compared.push((quality, index, template.distance(&embedded.template)));
                }
                compared.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                compared.truncate(self.verifier.config().best_frames);
                let distances: Vec<f64> =
                    compared.iter().map(|(_, _, distance)| *distance).collect();
                let verdict = zk_vision::policy::decide_identity(
                    policy,
                    &distances,
                    &counts.as_frame_counts(),
                    self.verifier.model_version(),
                );
                scores.extend(verdict.scores);
                verdict.decision
            }
            Some(_) => Decision::Fail(face_failure.unwrap_or(ReasonCode::NoFace)),
            None => Decision::Review(ReasonCode::PhotoUnavailable),
        };
        let mut decision = match (face_failure, speech_failure) {
            (Some(reason), _) | (None, Some(reason)) => Decision::Fail(reason),
            (None, None) => identity_decision,
        };
        if let (LivenessReport::Unavailable { why }, Decision::Pass) = (&speech, &decision) {
            tracing::info!(why = %why, "speech liveness not judged; the step goes to staff");
            decision = Decision::Review(ReasonCode::LivenessUnchecked);
        }
        Ok(Verdict {
            decision,
            scores,
            model_version: self.version.clone(),
        })
    }

    fn check_photo(
        &mut self,
        frame: &Frame,
        id_photo: Option<&[u8]>,
        compare_face: bool,
        policy: &MatchPolicy,
    ) -> Result<PhotoCheck, AppError> {
        let fixed = match fix_photo(&self.verifier, &frame.image, &self.photo_spec) {
            Ok(fixed) => fixed,
            Err(error) => {
                // No face, several faces, a face too small: the candidate can fix it. Anything
                // else is a broken installation.
                let reason = error.frame_reason().ok_or(AppError::Vision(error))?;
                return Ok(PhotoCheck {
                    verdict: Verdict::fail(reason, &self.version),
                    jpeg: crop_to_spec(&frame.image)?,
                });
            }
        };
        let mut scores: Vec<Score> = fixed
            .report
            .findings
            .iter()
            .map(|finding| {
                Score::new(
                    &format!("photo_{}", finding.measure),
                    finding.value,
                    finding.limit.value(),
                )
            })
            .collect();
        scores.push(Score::new(
            "jpeg_bytes",
            fixed.jpeg.len() as f64,
            self.photo_spec.max_bytes as f64,
        ));
        scores.push(Score::new("jpeg_quality", f64::from(fixed.quality), 0.0));
        if fixed.size_fit != SizeFit::Within {
            tracing::warn!(
                bytes = fixed.jpeg.len(),
                fit = ?fixed.size_fit,
                "the registration photo's JPEG is outside the byte window at every quality"
            );
        }
        let decision = if let Some(reason) = fixed.report.first_failure() {
            Decision::Fail(reason)
        } else if !compare_face {
            // Declined face processing: staff verified identity in person.
            Decision::Pass
        } else {
            match id_photo {
                None => Decision::Review(ReasonCode::PhotoUnavailable),
                Some(photo) => match self.id_template(photo)? {
                    None => Decision::Review(ReasonCode::PhotoUnavailable),
                    Some(template) => {
                        let distance = template.distance(&fixed.report.embedding.template);
                        let face = policy.decide(&vec![distance; policy.min_frames.max(1)]);
                        scores.extend(face.scores);
                        match face.decision {
                            Decision::Fail(_) => Decision::Fail(ReasonCode::PhotoFaceMismatch),
                            other => other,
                        }
                    }
                },
            }
        };
        Ok(PhotoCheck {
            verdict: Verdict {
                decision,
                scores,
                model_version: self.version.clone(),
            },
            jpeg: fixed.jpeg,
        })
    }
}

/// The frames scanned for faces: every `every`-th and the last.
pub fn scanned_frames(count: usize, every: usize) -> Vec<usize> {
    let mut scanned: Vec<usize> = (0..count).step_by(every.max(1)).collect();
    if count > 0 && scanned.last() != Some(&(count - 1)) {
        scanned.push(count - 1);
    }
    scanned
}

/// A face box for every frame: the single face of each scanned frame that has one (in the guide
/// box or not), linearly interpolated for the frames between two such frames; `None` elsewhere.
pub fn interpolate_boxes(
    count: usize,
    scanned: &[usize],
    findings: &[FrameFinding],
) -> Vec<Option<FaceBox>> {
    let mut boxes: Vec<Option<FaceBox>> = vec![None; count];
    for (&index, finding) in scanned.iter().zip(findings) {
        if let Some(slot) = boxes.get_mut(index) {
            *slot = finding.face();
        }
    }
    for pair in scanned.windows(2) {
        let (from, to) = (pair[0], pair[1]);
        if let (Some(Some(a)), Some(Some(b))) = (boxes.get(from).copied(), boxes.get(to).copied()) {
            for (step, slot) in boxes.iter_mut().take(to).skip(from + 1).enumerate() {
                let t = (step + 1) as f32 / (to - from) as f32;
                let mix = |p: f32, q: f32| p + (q - p) * t;
                *slot = Some(FaceBox {
                    x: mix(a.x, b.x),
                    y: mix(a.y, b.y),
                    width: mix(a.width, b.width),
                    height: mix(a.height, b.height),
                    score: a.score.min(b.score),
                });
            }
        }
    }
    boxes
}

/// [`face_sharpness`] on the face's part of the frame only (cheap: no full-frame conversion).
fn sharpness_of(image: &RgbImage, face: &FaceBox) -> f64 {
    let (width, height) = image.dimensions();
    let x0 = face.x.max(0.0) as u32;
    let y0 = face.y.max(0.0) as u32;
    let x1 = ((face.x + face.width).max(0.0) as u32).min(width);
    let y1 = ((face.y + face.height).max(0.0) as u32).min(height);
    if x1 <= x0 || y1 <= y0 {
        return 0.0;
    }
    let crop = image::imageops::crop_imm(image, x0, y0, x1 - x0, y1 - y0).to_image();
    let gray = DynamicImage::ImageRgb8(crop).into_luma8();
    face_sharpness(&gray, &face.shifted(-(x0 as f32), -(y0 as f32)))
}
