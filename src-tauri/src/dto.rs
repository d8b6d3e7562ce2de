//! What the UI sees: camelCase JSON types (`docs/ipc.md`), built from zk-app and zk-domain types.
//! Only this crate knows JSON; the shapes are pinned against `ui/fixtures/*.json` by the tests.

use serde::{Deserialize, Serialize};
use zk_app::{DeskStatus, ReviewCase, SessionImages};
use zk_domain::confirmation::{Mode, Phase};
use zk_domain::{ReasonCode, Step, View};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReasonDto {
    pub code: String,
    pub zh: String,
    pub en: String,
}

impl From<ReasonCode> for ReasonDto {
    fn from(reason: ReasonCode) -> ReasonDto {
        ReasonDto {
            code: reason.code().to_owned(),
            zh: reason.message_zh().to_owned(),
            en: reason.message_en().to_owned(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChallengeDto {
    pub digits: String,
    pub seconds: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImagesDto {
    pub id_photo: Option<String>,
    pub registration_photo: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ViewDto {
    pub phase: String,
    pub step: Option<String>,
    pub awaiting_staff: bool,
    pub staff_reason: Option<ReasonDto>,
    pub attempt: u32,
    pub max_attempts: u32,
    pub last_reason: Option<ReasonDto>,
    pub challenge: Option<ChallengeDto>,
    pub consent_declined: bool,
    pub idle_warning_secs: Option<u64>,
    pub signature_preview: Option<String>,
    pub admission_number: Option<String>,
    pub ended_reason: Option<ReasonDto>,
    pub images: ImagesDto,
    /// The device the card step reads with: `reader` | `camera`.
    pub card_device: String,
}

/// The UI's name of a step (`docs/ipc.md`).
pub fn step_name(step: Step) -> &'static str {
    match step {
        Step::Consent => "consent",
        Step::IdCard => "idCard",
        Step::Liveness => "liveness",
        Step::Photo => "photo",
        Step::Pledge => "pledge",
        Step::Signature => "signature",
        Step::Commit => "commit",
    }
}

impl ViewDto {
    /// `record_secs`: how long the clip records (the digits screen's countdown).
    pub fn new(view: &View, images: &SessionImages, record_secs: u32) -> ViewDto {
        let (phase, step, staff, admission_number, ended_reason) = match &view.phase {
            Phase::InProgress { step, mode } => {
                let staff = match mode {
                    Mode::Auto => None,
                    Mode::Staff { reason } => Some(*reason),
                };
                ("inProgress", Some(*step), staff, None, None)
            }
            Phase::Confirmed { admission_number } => (
                "confirmed",
                None,
                None,
                Some(admission_number.to_string()),
                None,
            ),
            Phase::Ended { reason } => ("ended", None, None, None, Some(*reason)),
        };
        ViewDto {
            phase: phase.to_owned(),
            step: step.map(|step| step_name(step).to_owned()),
            awaiting_staff: staff.is_some(),
            staff_reason: staff.flatten().map(ReasonDto::from),
            attempt: view.attempt,
            max_attempts: view.max_attempts,
            last_reason: view.last_reason.map(ReasonDto::from),
            challenge: view.challenge.as_ref().map(|challenge| ChallengeDto {
                digits: challenge.as_text(),
                seconds: record_secs,
            }),
            consent_declined: view.consent_declined,
            idle_warning_secs: view.idle_warning_secs,
            signature_preview: view.signature_preview.as_ref().map(|id| id.0.clone()),
            admission_number,
            ended_reason: ended_reason.map(ReasonDto::from),
            images: ImagesDto {
                id_photo: images.id_photo.as_ref().map(|id| id.0.clone()),
                registration_photo: images.registration_photo.as_ref().map(|id| id.0.clone()),
            },
            card_device: view.card_device.code().to_owned(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TextDto {
    pub version: String,
    pub zh: String,
    pub en: String,
}

impl From<&zk_app::ConsentText> for TextDto {
    fn from(text: &zk_app::ConsentText) -> TextDto {
        TextDto {
            version: text.version.clone(),
            zh: text.zh_cn.clone(),
            en: text.en.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeclarationItemDto {
    pub key: String,
    pub zh: String,
    pub en: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DocumentsDto {
    pub consent: TextDto,
    pub pledge: TextDto,
    pub declaration: Vec<DeclarationItemDto>,
}

impl DocumentsDto {
    pub fn new(consent: &zk_app::ConsentText, pledge: &zk_app::PledgeDocuments) -> DocumentsDto {
        DocumentsDto {
            consent: consent.into(),
            pledge: (&pledge.pledge).into(),
            declaration: pledge
                .declaration
                .iter()
                .map(|item| DeclarationItemDto {
                    key: item.key.clone(),
                    zh: item.zh.clone(),
                    en: item.en.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SiteDto {
    pub code: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInfoDto {
    pub version: String,
    /// `sim` or `real`.
    pub devices: String,
    pub site: SiteDto,
    pub idle_warning_secs: u64,
    pub default_locale: String,
    /// Whether the camera can read cards here (`[ocr]` on and its models present): the card
    /// step offers "use the camera" only then.
    pub camera_reads_cards: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaffDto {
    pub token: String,
    pub operator: String,
    pub role: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeclarationAnswerDto {
    pub key: String,
    pub value: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StrokePointDto {
    pub x: f32,
    pub y: f32,
    pub pressure: Option<f32>,
    pub t: f64,
}

/// A staff command as the UI sends it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum StaffCommandDto {
    TakeOver,
    Retry,
    Cancel,
    #[serde(rename_all = "camelCase")]
    Approve {
        reason: Option<String>,
        note: String,
        second_token: Option<String>,
    },
    Reject {
        reason: Option<String>,
        note: String,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceStateDto {
    pub device: String,
    pub state: String,
    pub message: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncDto {
    pub confirmations: u64,
    pub unacked: u64,
    pub last_push_at: Option<i64>,
    /// The hub, the job running and the last run's result.
    pub worker: crate::sync::SyncWorkerStatus,
}

/// One row of the console's list of today's sessions (`today_list`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TodaySessionDto {
    pub session: i64,
    /// Milliseconds since the Unix epoch.
    pub started_at: i64,
    pub ended_at: Option<i64>,
    /// `confirmed`, a reason code (why it ended), or null while it runs.
    pub outcome: Option<String>,
    pub registration_id: Option<String>,
    pub admission_number: Option<String>,
    pub synced: bool,
}

impl From<&zk_store::SessionSummary> for TodaySessionDto {
    fn from(row: &zk_store::SessionSummary) -> TodaySessionDto {
        TodaySessionDto {
            session: row.session,
            started_at: row.started_at,
            ended_at: row.ended_at,
            outcome: row.outcome.clone(),
            registration_id: row.registration_id.clone(),
            admission_number: row.admission_number.clone(),
            synced: row.synced,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SerialsDto {
    pub remaining: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TodayDto {
    pub confirmed: u64,
    pub ended: u64,
    pub in_review: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeskStatusDto {
    pub devices: Vec<DeviceStateDto>,
    pub sync: SyncDto,
    pub serials: SerialsDto,
    pub today: TodayDto,
}

impl DeskStatusDto {
    pub fn new(
        status: &DeskStatus,
        devices: Vec<DeviceStateDto>,
        today: TodayDto,
        worker: crate::sync::SyncWorkerStatus,
    ) -> Self {
        DeskStatusDto {
            devices,
            sync: SyncDto {
                confirmations: status.sync.confirmations,
                unacked: status.sync.unacked,
                last_push_at: status.sync.last_acked_at,
                worker,
            },
            serials: SerialsDto {
                remaining: status.serials_remaining,
            },
            today,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoreDto {
    pub name: String,
    pub value: f64,
    pub threshold: f64,
    pub passed: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewImagesDto {
    pub id_photo: Option<String>,
    pub live_frame: Option<String>,
    pub registration_photo: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReviewDto {
    pub step: String,
    pub reason: Option<ReasonDto>,
    pub attempt: u32,
    pub scores: Vec<ScoreDto>,
    pub reasons: Vec<ReasonDto>,
    pub images: ReviewImagesDto,
    /// The card and the registration side by side (null before the card was read).
    pub identity: Option<IdentityDto>,
    /// The card as the camera read it: every field with its mark, and the straightened sides
    /// (null when the chip was read).
    pub ocr: Option<OcrReviewDto>,
}

/// `Review.ocr`: what staff confirm against the card in hand.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OcrReviewDto {
    /// In card order: name, sex, ethnicity, birth_date, address, id_number (front), authority,
    /// validity (back).
    pub fields: Vec<OcrFieldDto>,
    /// `data:image/jpeg;base64,…` of each straightened side.
    pub front_image: String,
    pub back_image: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OcrFieldDto {
    pub field: String,
    /// `front` | `back`.
    pub side: String,
    /// As read (never corrected).
    pub text: String,
    /// 0..1.
    pub confidence: f32,
    /// `unreadable` | `bad_format` | `bad_number` | `differs_from_number` | `low_confidence` |
    /// `implausible`, or null when the field read cleanly.
    pub problem: Option<String>,
}

impl OcrFieldDto {
    fn new<F>(field: &zk_ocr::CheckedField<F>, code: &str, side: &str) -> OcrFieldDto {
        OcrFieldDto {
            field: code.to_owned(),
            side: side.to_owned(),
            text: field.text.clone(),
            confidence: field.confidence,
            problem: field
                .problem
                .as_ref()
                .map(|problem| problem.code().to_owned()),
        }
    }
}

impl From<&zk_app::OcrRead> for OcrReviewDto {
    fn from(read: &zk_app::OcrRead) -> OcrReviewDto {
        use base64::Engine as _;
        let image = |jpeg: &[u8]| {
            format!(
                "data:image/jpeg;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(jpeg)
            )
        };
        let front = read
            .front
            .fields
            .iter()
            .map(|field| OcrFieldDto::new(field, field.field.code(), "front"));
        let back = read
            .back
            .fields
            .iter()
            .map(|field| OcrFieldDto::new(field, field.field.code(), "back"));
        OcrReviewDto {
            fields: front.chain(back).collect(),
            front_image: image(&read.front_jpeg),
            back_image: image(&read.back_jpeg),
        }
    }
}

/// `Review.identity`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityDto {
    pub card: PersonDto,
    pub registration: Option<PersonDto>,
    /// Middle hidden: `4201**********1234`.
    pub id_number: String,
    pub registration_id: Option<String>,
}

/// Name, sex (`male` | `female` | `unknown` | `unspecified`) and birth date (`YYYY-MM-DD`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonDto {
    pub name: String,
    pub sex: String,
    pub birth_date: String,
}

impl From<&zk_app::PersonFacts> for PersonDto {
    fn from(facts: &zk_app::PersonFacts) -> PersonDto {
        PersonDto {
            name: facts.name.clone(),
            sex: match facts.sex {
                zk_domain::Sex::Male => "male",
                zk_domain::Sex::Female => "female",
                zk_domain::Sex::Unknown => "unknown",
                zk_domain::Sex::Unspecified => "unspecified",
            }
            .to_owned(),
            birth_date: facts.birth_date.format("%Y-%m-%d").to_string(),
        }
    }
}

impl From<&ReviewCase> for ReviewDto {
    fn from(case: &ReviewCase) -> ReviewDto {
        let last = case.attempts.last();
        let scores = last
            .map(|outcome| {
                outcome
                    .scores
                    .iter()
                    .map(|score| ScoreDto {
                        name: score.name.clone(),
                        value: score.value,
                        threshold: score.threshold,
                        passed: score.passes(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut reasons: Vec<ReasonDto> = Vec::new();
        for outcome in &case.attempts {
            let reason = match outcome.decision {
                zk_domain::Decision::Pass => None,
                zk_domain::Decision::Fail(reason) | zk_domain::Decision::Review(reason) => {
                    Some(reason)
                }
            };
            if let Some(reason) = reason {
                let dto = ReasonDto::from(reason);
                if !reasons.contains(&dto) {
                    reasons.push(dto);
                }
            }
        }
        ReviewDto {
            identity: case.identity.as_ref().map(|identity| IdentityDto {
                card: PersonDto::from(&identity.card),
                registration: identity.registration.as_ref().map(PersonDto::from),
                id_number: identity.id_number_masked.clone(),
                registration_id: identity.registration_id.clone(),
            }),
            step: step_name(case.step).to_owned(),
            reason: case.reason.map(ReasonDto::from),
            attempt: last.map_or(0, |outcome| outcome.attempt),
            scores,
            reasons,
            images: ReviewImagesDto {
                id_photo: case.images.id_photo.as_ref().map(|id| id.0.clone()),
                live_frame: case.images.live_frame.as_ref().map(|id| id.0.clone()),
                registration_photo: case
                    .images
                    .registration_photo
                    .as_ref()
                    .map(|id| id.0.clone()),
            },
            ocr: case.ocr.as_ref().map(OcrReviewDto::from),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageDto {
    pub mime: String,
    pub data_url: String,
}

/// `kiosk://device-status`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceStatusEvent {
    pub device: String,
    pub state: String,
    pub kind: Option<String>,
    pub message: Option<String>,
}

/// `kiosk://camera-frame`: one live preview frame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CameraFrameEvent {
    /// `liveness` | `photo` | `card`.
    pub step: String,
    /// `framing` | `leadIn` | `recording` | `cardFront` | `cardBack`.
    pub phase: String,
    pub remaining_ms: u64,
    pub seq: u64,
    pub width: u32,
    pub height: u32,
    /// Base64 JPEG.
    pub jpeg: String,
    pub faces: usize,
    pub face: Option<BoxDto>,
    pub in_guide: Option<bool>,
    /// `good` | `noFace` | `severalFaces` | `outside` | `closer` | `further`.
    pub hint: String,
    /// The guide box the rules judge by (`[matcher.guide]`), fractions of the frame; at the
    /// card step the card-shaped frame to hold the card in.
    pub guide: BoxDto,
}

/// `kiosk://card-capture`: the camera looked at the card (sent when the hint changes).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardCaptureEvent {
    /// `front` (the photo side) | `back` (the emblem side).
    pub side: String,
    /// `no_card` | `card.too_small` | `card.blurred` | `card.glare` | `turn_over` | `read`.
    pub hint: String,
    /// What to do, in English (the UI shows its own text by `hint`).
    pub message: String,
}

impl CardCaptureEvent {
    pub fn new(side: zk_app::CardSide, hint: zk_app::CardHint) -> CardCaptureEvent {
        CardCaptureEvent {
            side: side.code().to_owned(),
            hint: hint.code().to_owned(),
            message: hint.message(side).to_owned(),
        }
    }
}

/// A box as fractions of the frame.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BoxDto {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl CameraFrameEvent {
    pub fn new(frame: &zk_app::PreviewFrame) -> CameraFrameEvent {
        use base64::Engine as _;
        CameraFrameEvent {
            step: match frame.step {
                zk_app::PreviewStep::Liveness => "liveness",
                zk_app::PreviewStep::Photo => "photo",
                zk_app::PreviewStep::Card => "card",
            }
            .to_owned(),
            phase: match frame.phase {
                zk_app::PreviewPhase::Framing => "framing",
                zk_app::PreviewPhase::LeadIn => "leadIn",
                zk_app::PreviewPhase::Recording => "recording",
                zk_app::PreviewPhase::CardFront => "cardFront",
                zk_app::PreviewPhase::CardBack => "cardBack",
            }
            .to_owned(),
            remaining_ms: frame.remaining_ms,
            seq: frame.seq,
            width: frame.width,
            height: frame.height,
            jpeg: base64::engine::general_purpose::STANDARD.encode(&frame.jpeg),
            faces: frame.faces,
            face: frame.face.map(|face| BoxDto {
                x: face.x,
                y: face.y,
                width: face.width,
                height: face.height,
            }),
            in_guide: frame.in_guide,
            hint: match frame.hint {
                zk_app::GuideHint::Good => "good",
                zk_app::GuideHint::NoFace => "noFace",
                zk_app::GuideHint::SeveralFaces => "severalFaces",
                zk_app::GuideHint::Outside => "outside",
                zk_app::GuideHint::Closer => "closer",
                zk_app::GuideHint::Further => "further",
            }
            .to_owned(),
            guide: BoxDto {
                x: frame.guide.x,
                y: frame.guide.y,
                width: frame.guide.width,
                height: frame.guide.height,
            },
        }
    }
}

/// `kiosk://staff-alert`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaffAlertEvent {
    pub step: String,
    pub reason: Option<ReasonDto>,
}

/// `kiosk://session-ended`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionEndedEvent {
    pub confirmed: bool,
    pub admission_number: Option<String>,
    pub reason: Option<ReasonDto>,
}
