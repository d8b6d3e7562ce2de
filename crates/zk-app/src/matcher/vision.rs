//! The real face matcher: zk-vision's detector and embedder (rustface + dlib) for the face half
//! of liveness, identity against the ID card photo and the registration photo; a
//! [`LivenessJudge`] for the speech half.

use std::path::Path;
use std::sync::Arc;

use image::RgbImage;
use zk_domain::{Decision, MatchPolicy, ReasonCode, Score, Verdict};
use zk_drivers::Frame;
use zk_vision::{
    fix_photo, FaceTemplate, FaceVerifier, ModelPaths, PhotoSpec, SizeFit, VerifierConfig,
};

use crate::error::AppError;
use crate::matcher::liveness::{LivenessJudge, LivenessReport};
use crate::matcher::{crop_to_spec, FaceMatcher, LivenessClip, PhotoCheck};

/// Fewest of the scanned frames that must show exactly one usable face ("one face throughout").
/// With 6 scanned frames one frame may miss (a blink of motion blur); any frame with a second
/// face fails outright.
pub const ONE_FACE_MIN_FRACTION: f64 = 0.8;

pub struct VisionFaceMatcher {
    verifier: Arc<FaceVerifier>,
    liveness: Box<dyn LivenessJudge>,
    photo_spec: PhotoSpec,
    version: String,
    /// The ID photo's template, computed once per photo (the first liveness attempt) and reused
    /// for retries and the registration photo. `Err` holds why the photo gave no template.
    id: Option<(Vec<u8>, Result<FaceTemplate, String>)>,
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
        VisionFaceMatcher {
            verifier,
            liveness,
            photo_spec: PhotoSpec::default(),
            version,
            id: None,
        }
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
        let template = match id_photo {
            Some(photo) => self.id_template(photo)?,
            None => None,
        };
        let (identity, counts) = match &template {
            Some(template) => {
                let report = self.verifier.verify_clip(template, &images, policy)?;
                (Some(report.verdict), report.counts)
            }
            None => (None, self.verifier.scan_faces(&images)?),
        };
        let mut scores = vec![Score::new(
            "one_face_fraction",
            counts.one_face_fraction(),
            ONE_FACE_MIN_FRACTION,
        )];
        let face_failure = if counts.several_faces > 0 {
            Some(ReasonCode::MultipleFaces)
        } else if counts.one_face_fraction() < ONE_FACE_MIN_FRACTION {
            Some(counts.main_problem())
        } else {
            None
        };
        let speech = self.liveness.judge(clip)?;
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
        let identity_decision = match identity {
            Some(verdict) => {
                scores.extend(verdict.scores);
                verdict.decision
            }
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
