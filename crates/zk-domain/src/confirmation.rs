//! The confirmation flow as a sans-IO state machine.
//!
//! `Confirmation::handle(input, now)` returns [`Effect`]s as data; `zk-app` executes them against
//! devices, matchers and the store, and feeds the results back as [`Input`]s. Time comes in as
//! `now`, randomness as an already drawn [`Challenge`]. Every non-terminal step accepts `Retry` and
//! `StaffTakeover`; three failed automatic attempts route a step to staff; `Review` decisions go to
//! staff at once. Staff approve (with a reason and a note) to move on or reject to end the session.

use std::fmt;
use std::time::Duration;

use crate::admission::AdmissionNumber;
use crate::challenge::Challenge;
use crate::decision::{Decision, Score, Verdict};
use crate::id_card::{CardPhoto, CardProblem, IdCard};
use crate::reason::ReasonCode;
use crate::roster::{match_registration, Registration, RosterMatchError};
use crate::time::{Date, Timestamp};

/// The steps, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    Consent,
    IdCard,
    Liveness,
    Photo,
    Pledge,
    Signature,
    Commit,
}

impl Step {
    pub const ALL: [Step; 7] = [
        Step::Consent,
        Step::IdCard,
        Step::Liveness,
        Step::Photo,
        Step::Pledge,
        Step::Signature,
        Step::Commit,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Step::Consent => "consent",
            Step::IdCard => "id_card",
            Step::Liveness => "liveness",
            Step::Photo => "photo",
            Step::Pledge => "pledge",
            Step::Signature => "signature",
            Step::Commit => "commit",
        }
    }

    pub fn from_code(code: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|step| step.code() == code)
    }

    fn next(self) -> Option<Step> {
        let index = Step::ALL.iter().position(|step| *step == self)?;
        Step::ALL.get(index + 1).copied()
    }
}

/// Who is driving the current step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The kiosk runs the step; the candidate may retry.
    Auto,
    /// Waiting for a staff decision (takeover, review, too many attempts or declined consent).
    Staff { reason: Option<ReasonCode> },
}

/// Where the session stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    InProgress { step: Step, mode: Mode },
    Confirmed { admission_number: AdmissionNumber },
    Ended { reason: ReasonCode },
}

/// An encrypted artefact in the store (photo, clip, signature).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ArtefactId(pub String);

/// Kinds of artefact a session produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArtefactKind {
    IdPhoto,
    LivenessClip,
    LiveFrame,
    RegistrationPhoto,
    SignatureImage,
    SignatureStrokes,
}

impl ArtefactKind {
    pub const ALL: [ArtefactKind; 6] = [
        ArtefactKind::IdPhoto,
        ArtefactKind::LivenessClip,
        ArtefactKind::LiveFrame,
        ArtefactKind::RegistrationPhoto,
        ArtefactKind::SignatureImage,
        ArtefactKind::SignatureStrokes,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ArtefactKind::IdPhoto => "id_photo",
            ArtefactKind::LivenessClip => "liveness_clip",
            ArtefactKind::LiveFrame => "live_frame",
            ArtefactKind::RegistrationPhoto => "registration_photo",
            ArtefactKind::SignatureImage => "signature_image",
            ArtefactKind::SignatureStrokes => "signature_strokes",
        }
    }

    pub fn from_code(code: &str) -> Option<ArtefactKind> {
        ArtefactKind::ALL
            .into_iter()
            .find(|kind| kind.code() == code)
    }
}

/// Where the card data came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardSource {
    Chip,
    Ocr,
    StaffEntry,
}

impl CardSource {
    pub fn code(self) -> &'static str {
        match self {
            CardSource::Chip => "chip",
            CardSource::Ocr => "ocr",
            CardSource::StaffEntry => "staff_entry",
        }
    }
}

/// Which device reads the card at the card step: the chip reader, or the camera (the card
/// photographed and read by OCR; every such read goes to staff).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CardDevice {
    #[default]
    Reader,
    Camera,
}

impl CardDevice {
    pub fn code(self) -> &'static str {
        match self {
            CardDevice::Reader => "reader",
            CardDevice::Camera => "camera",
        }
    }
}

/// One decision at one step, automatic or by staff; every one is stored with its scores.
#[derive(Clone, Debug, PartialEq)]
pub struct StepOutcome {
    pub step: Step,
    /// 1-based automatic attempt number at this step (staff decisions carry the count so far).
    pub attempt: u32,
    pub decision: Decision,
    pub scores: Vec<Score>,
    pub model_version: String,
    /// Set when staff decided.
    pub operator: Option<String>,
    pub note: Option<String>,
    pub at: Timestamp,
}

/// Everything the store needs to commit a confirmation in one transaction.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfirmationDraft {
    pub registration_id: String,
    /// The candidate's document number (sensitive; the store encrypts or hashes as it needs).
    pub id_number: String,
    pub district_code: String,
    pub card_source: CardSource,
    /// The consent text version accepted, `None` when declined (staff-only path).
    pub consent_version: Option<String>,
    /// The decisive outcome of each step, in step order.
    pub outcomes: Vec<StepOutcome>,
    pub artefacts: Vec<(ArtefactKind, ArtefactId)>,
    /// Declaration form answers (question id, yes/no).
    pub declaration: Vec<(String, bool)>,
}

/// Policy knobs of the flow (part of the app config).
#[derive(Clone, Debug, PartialEq)]
pub struct FlowConfig {
    pub exam_date: Date,
    /// Exam districts this site confirms; empty = all.
    pub site_districts: Vec<String>,
    pub max_attempts: u32,
    /// Candidate inactivity before the session is wiped.
    pub idle_timeout: Duration,
    /// Warning shown this long before the wipe (≥ 20 s).
    pub idle_warning: Duration,
    /// How long a device step may take before it counts as a failed attempt.
    pub step_timeout: Duration,
    pub challenge_len: usize,
    pub record_secs: u32,
    /// Show a passing signature back to the candidate, who accepts it
    /// ([`Input::SignatureAccepted`]) or clears it and signs again ([`Input::Retry`]).
    pub confirm_signature: bool,
    /// The device the card step starts with ([`CardDevice::Camera`] at a desk without a chip
    /// reader); the candidate or staff may switch with [`Input::ReadCardWith`].
    pub card_device: CardDevice,
}

impl FlowConfig {
    pub fn new(exam_date: Date) -> FlowConfig {
        FlowConfig {
            exam_date,
            site_districts: Vec::new(),
            max_attempts: 3,
            idle_timeout: Duration::from_secs(120),
            idle_warning: Duration::from_secs(30),
            step_timeout: Duration::from_secs(60),
            challenge_len: 6,
            record_secs: 4,
            confirm_signature: true,
            card_device: CardDevice::Reader,
        }
    }
}

/// Inputs: device and matcher results, candidate and staff actions, and clock ticks.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    ConsentGiven {
        version: String,
    },
    ConsentDeclined,
    /// The card was read (chip, OCR or staff entry) and the roster looked up by its number.
    CardRead {
        card: Box<IdCard>,
        registration: Option<Box<Registration>>,
        source: CardSource,
        photo: Option<ArtefactId>,
    },
    /// A device failed for the current step.
    DeviceFailed {
        reason: ReasonCode,
    },
    ChallengeDrawn(Challenge),
    /// Liveness and face match of the clip, already combined by the app under `MatchPolicy`.
    LivenessChecked {
        verdict: Verdict,
        clip: Option<ArtefactId>,
    },
    PhotoChecked {
        verdict: Verdict,
        photo: Option<ArtefactId>,
    },
    PledgeAccepted {
        declaration: Vec<(String, bool)>,
    },
    PledgeDeclined,
    SignatureCaptured {
        verdict: Verdict,
        image: Option<ArtefactId>,
        strokes: Option<ArtefactId>,
    },
    /// The candidate accepts the signature shown back ([`View::signature_preview`]).
    SignatureAccepted,
    Committed {
        admission_number: AdmissionNumber,
    },
    CommitFailed {
        reason: ReasonCode,
    },
    /// Candidate or staff asks to run the current step again.
    Retry,
    /// At the card step: read the card again with this device from now on (the chip failed:
    /// the camera; or back to the reader).
    ReadCardWith(CardDevice),
    StaffTakeover {
        operator: String,
    },
    /// Staff decide the current step; a note is required.
    StaffDecision {
        operator: String,
        approve: bool,
        reason: Option<ReasonCode>,
        note: String,
    },
    /// Staff end the session.
    Cancel {
        operator: String,
    },
    /// The candidate touched the screen.
    Activity,
    /// Clock tick: checks idle and step timeouts.
    Tick,
}

impl Input {
    fn name(&self) -> &'static str {
        match self {
            Input::ConsentGiven { .. } => "ConsentGiven",
            Input::ConsentDeclined => "ConsentDeclined",
            Input::CardRead { .. } => "CardRead",
            Input::DeviceFailed { .. } => "DeviceFailed",
            Input::ChallengeDrawn(_) => "ChallengeDrawn",
            Input::LivenessChecked { .. } => "LivenessChecked",
            Input::PhotoChecked { .. } => "PhotoChecked",
            Input::PledgeAccepted { .. } => "PledgeAccepted",
            Input::PledgeDeclined => "PledgeDeclined",
            Input::SignatureCaptured { .. } => "SignatureCaptured",
            Input::SignatureAccepted => "SignatureAccepted",
            Input::Committed { .. } => "Committed",
            Input::CommitFailed { .. } => "CommitFailed",
            Input::Retry => "Retry",
            Input::ReadCardWith(_) => "ReadCardWith",
            Input::StaffTakeover { .. } => "StaffTakeover",
            Input::StaffDecision { .. } => "StaffDecision",
            Input::Cancel { .. } => "Cancel",
            Input::Activity => "Activity",
            Input::Tick => "Tick",
        }
    }

    /// Inputs that show the candidate is present.
    fn is_activity(&self) -> bool {
        !matches!(
            self,
            Input::Tick
                | Input::StaffTakeover { .. }
                | Input::StaffDecision { .. }
                | Input::Cancel { .. }
        )
    }
}

/// What the screen shows; derived from the state, never stored separately.
#[derive(Clone, Debug, PartialEq)]
pub struct View {
    pub phase: Phase,
    pub attempt: u32,
    pub max_attempts: u32,
    pub last_reason: Option<ReasonCode>,
    /// Digits to read aloud while recording.
    pub challenge: Option<Challenge>,
    pub consent_declined: bool,
    /// Seconds until the idle wipe, while the warning shows.
    pub idle_warning_secs: Option<u64>,
    /// The rendered signature waiting for the candidate to accept it or sign again.
    pub signature_preview: Option<ArtefactId>,
    /// The device the card step reads with.
    pub card_device: CardDevice,
}

/// Effects for `zk-app` to execute, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    Notify(View),
    ReadCard,
    /// Photograph the card (both sides) with the camera and read it by OCR; feed back
    /// `Input::CardRead` with [`CardSource::Ocr`], or `Input::DeviceFailed`.
    ReadCardByCamera,
    /// Draw digits with the app's RNG and feed back `Input::ChallengeDrawn`.
    DrawChallenge {
        len: usize,
    },
    /// Show and speak the digits, record `secs` of video and audio, then judge and match.
    RecordLiveness {
        challenge: Challenge,
        secs: u32,
    },
    /// Take the registration photo; `compare_face` is false when consent was declined.
    CapturePhoto {
        compare_face: bool,
    },
    ShowPledge,
    CaptureSignature,
    /// Store one decision (automatic or staff) with its scores.
    RecordOutcome(StepOutcome),
    /// Alert the desk staff.
    RequestStaff {
        step: Step,
        reason: Option<ReasonCode>,
    },
    Commit(Box<ConfirmationDraft>),
    /// The session is over (confirmed or ended): clear the candidate's data from the screen.
    EndSession {
        confirmed: bool,
        reason: Option<ReasonCode>,
    },
    /// The input did not fit the current state; nothing changed.
    Rejected {
        input: &'static str,
        why: &'static str,
    },
}

/// One candidate's confirmation session.
#[derive(Clone, Debug)]
pub struct Confirmation {
    config: FlowConfig,
    phase: Phase,
    attempts: u32,
    last_reason: Option<ReasonCode>,
    /// A device/matcher result is awaited for the current step since this time.
    awaiting_since: Option<Timestamp>,
    last_activity: Timestamp,
    idle_warned: bool,
    consent_version: Option<String>,
    consent_declined: bool,
    card: Option<IdCard>,
    card_source: CardSource,
    card_device: CardDevice,
    registration: Option<Registration>,
    challenge: Option<Challenge>,
    outcomes: Vec<StepOutcome>,
    artefacts: Vec<(ArtefactKind, ArtefactId)>,
    declaration: Vec<(String, bool)>,
    /// A passing signature shown back, until accepted: its verdict, image and strokes.
    pending_signature: Option<(Verdict, Option<ArtefactId>, Option<ArtefactId>)>,
}

const STAFF_MODEL: &str = "staff";

/// A staff decision's fields, with the reason defaulted to the one that called staff.
struct StaffVerdict {
    operator: String,
    approve: bool,
    reason: Option<ReasonCode>,
    note: String,
}

impl Confirmation {
    /// Starts a session at the consent step.
    pub fn start(config: FlowConfig, now: Timestamp) -> (Confirmation, Vec<Effect>) {
        let card_device = config.card_device;
        let confirmation = Confirmation {
            config,
            phase: Phase::InProgress {
                step: Step::Consent,
                mode: Mode::Auto,
            },
            attempts: 0,
            last_reason: None,
            awaiting_since: None,
            last_activity: now,
            idle_warned: false,
            consent_version: None,
            consent_declined: false,
            card: None,
            card_source: CardSource::Chip,
            card_device,
            registration: None,
            challenge: None,
            outcomes: Vec::new(),
            artefacts: Vec::new(),
            declaration: Vec::new(),
            pending_signature: None,
        };
        let effects = vec![Effect::Notify(confirmation.view(now))];
        (confirmation, effects)
    }

    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    pub fn step(&self) -> Option<Step> {
        match self.phase {
            Phase::InProgress { step, .. } => Some(step),
            _ => None,
        }
    }

    pub fn card(&self) -> Option<&IdCard> {
        self.card.as_ref()
    }

    pub fn registration(&self) -> Option<&Registration> {
        self.registration.as_ref()
    }

    /// Whether approving the current staff step would override a failed automatic match (card
    /// against roster, liveness or face): the last decision at this step was an automatic `Fail`.
    /// Such an approval needs a reviewer ([`crate::staff::check_override`]).
    pub fn pending_override(&self) -> bool {
        let Phase::InProgress {
            step,
            mode: Mode::Staff { .. },
        } = self.phase
        else {
            return false;
        };
        if !matches!(step, Step::IdCard | Step::Liveness | Step::Photo) {
            return false;
        }
        self.outcomes
            .iter()
            .rev()
            .find(|outcome| outcome.step == step)
            .is_some_and(|outcome| {
                outcome.operator.is_none() && matches!(outcome.decision, Decision::Fail(_))
            })
    }

    pub fn outcomes(&self) -> &[StepOutcome] {
        &self.outcomes
    }

    pub fn view(&self, now: Timestamp) -> View {
        let idle_warning_secs = self.idle_warned.then(|| {
            let deadline = self.last_activity.plus(self.config.idle_timeout);
            deadline.since(now).as_secs()
        });
        View {
            phase: self.phase.clone(),
            attempt: self.attempts,
            max_attempts: self.config.max_attempts,
            last_reason: self.last_reason,
            challenge: match self.phase {
                Phase::InProgress {
                    step: Step::Liveness,
                    mode: Mode::Auto,
                } => self.challenge.clone(),
                _ => None,
            },
            consent_declined: self.consent_declined,
            idle_warning_secs,
            signature_preview: self
                .pending_signature
                .as_ref()
                .and_then(|(_, image, _)| image.clone()),
            card_device: self.card_device,
        }
    }

    /// Feeds one input; returns the effects to execute, in order.
    pub fn handle(&mut self, input: Input, now: Timestamp) -> Vec<Effect> {
        let Phase::InProgress { step, mode } = self.phase.clone() else {
            return vec![Effect::Rejected {
                input: input.name(),
                why: "the session is over",
            }];
        };
        if input.is_activity() {
            self.last_activity = now;
            self.idle_warned = false;
        }
        let mut effects = Vec::new();
        if input == Input::Tick {
            // A tick changes nothing unless a timeout is due; it notifies only then.
            self.tick(step, mode, now, &mut effects);
            return effects;
        }
        match (input, mode) {
            (Input::Activity, _) => {}
            (Input::Retry, _) => {
                // Also "clear and sign again" for a signature shown back.
                self.pending_signature = None;
                self.phase = Phase::InProgress {
                    step,
                    mode: Mode::Auto,
                };
                self.begin_step(step, now, &mut effects);
            }
            (Input::ReadCardWith(device), _) if step == Step::IdCard => {
                self.card_device = device;
                self.pending_signature = None;
                self.phase = Phase::InProgress {
                    step,
                    mode: Mode::Auto,
                };
                self.begin_step(step, now, &mut effects);
            }
            (Input::ReadCardWith(_), _) => {
                effects.push(Effect::Rejected {
                    input: "ReadCardWith",
                    why: "the card is read only at the card step",
                });
            }
            (Input::StaffTakeover { operator: _ }, _) => {
                self.route_to_staff(step, None, &mut effects);
            }
            (Input::Cancel { operator }, _) => {
                self.outcomes.push(StepOutcome {
                    step,
                    attempt: self.attempts,
                    decision: Decision::Fail(ReasonCode::SessionCancelled),
                    scores: Vec::new(),
                    model_version: STAFF_MODEL.into(),
                    operator: Some(operator),
                    note: None,
                    at: now,
                });
                self.record_last(&mut effects);
                self.end(ReasonCode::SessionCancelled, &mut effects);
            }
            (
                Input::StaffDecision {
                    operator,
                    approve,
                    reason,
                    note,
                },
                Mode::Staff {
                    reason: staff_reason,
                },
            ) => {
                let decision = StaffVerdict {
                    operator,
                    approve,
                    reason: reason.or(staff_reason),
                    note,
                };
                self.staff_decision(step, decision, now, &mut effects);
            }
            (Input::StaffDecision { .. }, Mode::Auto) => {
                effects.push(Effect::Rejected {
                    input: "StaffDecision",
                    why: "take over the step first",
                });
            }
            (input, mode) => self.step_input(step, mode, input, now, &mut effects),
        }
        if !effects
            .iter()
            .any(|e| matches!(e, Effect::Notify(_) | Effect::Rejected { .. }))
        {
            effects.push(Effect::Notify(self.view(now)));
        }
        effects
    }

    fn step_input(
        &mut self,
        step: Step,
        mode: Mode,
        input: Input,
        now: Timestamp,
        effects: &mut Vec<Effect>,
    ) {
        match (step, input) {
            (Step::Consent, Input::ConsentGiven { version }) => {
                self.consent_version = Some(version);
                self.consent_declined = false;
                self.pass(step, Verdict::pass("candidate"), None, now, effects);
            }
            (Step::Consent, Input::ConsentDeclined) => {
                // Not a failure: the flow continues on the staff-only path for face steps.
                self.consent_version = None;
                self.consent_declined = true;
                self.pass(step, Verdict::pass("candidate"), None, now, effects);
            }
            (
                Step::IdCard,
                Input::CardRead {
                    card,
                    registration,
                    source,
                    photo,
                },
            ) => {
                let verdict = self.judge_card(&card, registration.as_deref());
                self.card = Some(*card);
                self.card_source = source;
                self.registration = registration.map(|boxed| *boxed);
                if let Some(photo) = photo {
                    self.put_artefact(ArtefactKind::IdPhoto, photo);
                }
                let verdict = if source != CardSource::Chip && verdict.decision == Decision::Pass {
                    // OCR and typed numbers always need staff confirmation of the fields.
                    Verdict {
                        decision: Decision::Review(if source == CardSource::Ocr {
                            ReasonCode::CardReadByCamera
                        } else {
                            ReasonCode::CardUnreadable
                        }),
                        ..verdict
                    }
                } else {
                    verdict
                };
                self.decide(step, mode, verdict, now, effects);
            }
            (_, Input::DeviceFailed { reason }) if self.awaiting_since.is_some() => {
                self.decide(step, mode, Verdict::fail(reason, "device"), now, effects);
            }
            (Step::Liveness, Input::ChallengeDrawn(challenge)) if self.awaiting_since.is_some() => {
                let secs = self.config.record_secs;
                self.challenge = Some(challenge.clone());
                effects.push(Effect::RecordLiveness { challenge, secs });
            }
            (Step::Liveness, Input::LivenessChecked { verdict, clip })
                if self.challenge.is_some() =>
            {
                if let Some(clip) = clip {
                    self.put_artefact(ArtefactKind::LivenessClip, clip);
                }
                let expired = self.challenge.as_ref().is_some_and(|c| c.is_expired(now));
                let verdict = if expired {
                    Verdict {
                        decision: Decision::Fail(ReasonCode::ChallengeExpired),
                        ..verdict
                    }
                } else {
                    verdict
                };
                self.challenge = None;
                self.decide(step, mode, verdict, now, effects);
            }
            (Step::Photo, Input::PhotoChecked { verdict, photo })
                if self.awaiting_since.is_some() =>
            {
                if let Some(photo) = photo {
                    self.put_artefact(ArtefactKind::RegistrationPhoto, photo);
                }
                self.decide(step, mode, verdict, now, effects);
            }
            (Step::Pledge, Input::PledgeAccepted { declaration }) => {
                self.declaration = declaration;
                self.pass(step, Verdict::pass("candidate"), None, now, effects);
            }
            (Step::Pledge, Input::PledgeDeclined) => {
                self.decide(
                    step,
                    mode,
                    Verdict {
                        decision: Decision::Review(ReasonCode::PledgeDeclined),
                        scores: Vec::new(),
                        model_version: "candidate".into(),
                    },
                    now,
                    effects,
                );
            }
            (
                Step::Signature,
                Input::SignatureCaptured {
                    verdict,
                    image,
                    strokes,
                },
            ) if self.awaiting_since.is_some() => {
                if verdict.decision == Decision::Pass && self.config.confirm_signature {
                    // Shown back; the step passes when the candidate accepts it.
                    self.awaiting_since = None;
                    self.pending_signature = Some((verdict, image, strokes));
                    effects.push(Effect::Notify(self.view(now)));
                    return;
                }
                self.accept_signature(step, mode, verdict, image, strokes, now, effects);
            }
            (Step::Signature, Input::SignatureAccepted) if self.pending_signature.is_some() => {
                if let Some((verdict, image, strokes)) = self.pending_signature.take() {
                    self.accept_signature(step, mode, verdict, image, strokes, now, effects);
                }
            }
            (Step::Commit, Input::Committed { admission_number })
                if self.awaiting_since.is_some() =>
            {
                self.awaiting_since = None;
                self.last_reason = None;
                self.phase = Phase::Confirmed { admission_number };
                effects.push(Effect::EndSession {
                    confirmed: true,
                    reason: None,
                });
                effects.push(Effect::Notify(self.view(now)));
            }
            (Step::Commit, Input::CommitFailed { reason }) if self.awaiting_since.is_some() => {
                let verdict = Verdict::fail(reason, "store");
                // A missing serial block or a racing confirmation needs staff, not another try.
                let verdict = match reason {
                    ReasonCode::NoSerial | ReasonCode::AlreadyConfirmed => Verdict {
                        decision: Decision::Review(reason),
                        ..verdict
                    },
                    _ => verdict,
                };
                self.decide(step, mode, verdict, now, effects);
            }
            (_, input) => effects.push(Effect::Rejected {
                input: input.name(),
                why: "not expected at this step",
            }),
        }
    }

    /// Card validity and roster match as a three-way decision: problems a retry with another card
    /// can fix fail; discrepancies that need a human look go to review.
    fn judge_card(&self, card: &IdCard, registration: Option<&Registration>) -> Verdict {
        let result = match_registration(
            card,
            registration,
            &self.config.site_districts,
            self.config.exam_date,
        );
        let decision = match result {
            Ok(()) if matches!(card.photo, CardPhoto::Decoded(_)) || self.consent_declined => {
                Decision::Pass
            }
            Ok(()) => Decision::Review(ReasonCode::PhotoUnavailable),
            Err(error) => match error {
                RosterMatchError::Card(problem) => match problem {
                    CardProblem::BadNumber(_) => Decision::Review(ReasonCode::CardBadNumber),
                    CardProblem::BirthDateMismatch => {
                        Decision::Review(ReasonCode::CardBirthMismatch)
                    }
                    CardProblem::SexMismatch => Decision::Review(ReasonCode::CardSexMismatch),
                    CardProblem::TypeMismatch => Decision::Review(ReasonCode::CardTypeMismatch),
                    CardProblem::Expired(_) => Decision::Fail(ReasonCode::CardExpired),
                    CardProblem::NotYetValid(_) => Decision::Fail(ReasonCode::CardNotYetValid),
                },
                RosterMatchError::NoRegistration => Decision::Fail(ReasonCode::NoRegistration),
                RosterMatchError::Cancelled => Decision::Fail(ReasonCode::RegistrationCancelled),
                RosterMatchError::AlreadyConfirmed => Decision::Fail(ReasonCode::AlreadyConfirmed),
                RosterMatchError::OtherSite { .. } => Decision::Fail(ReasonCode::OtherSite),
                RosterMatchError::DocumentTypeDiffers => {
                    Decision::Fail(ReasonCode::DocumentTypeDiffers)
                }
                RosterMatchError::NameDiffers => Decision::Review(ReasonCode::NameDiffers),
                RosterMatchError::SexDiffers => Decision::Review(ReasonCode::SexDiffers),
                RosterMatchError::BirthDiffers => Decision::Review(ReasonCode::BirthDiffers),
            },
        };
        Verdict {
            decision,
            scores: Vec::new(),
            model_version: "roster-match-v1".into(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn accept_signature(
        &mut self,
        step: Step,
        mode: Mode,
        verdict: Verdict,
        image: Option<ArtefactId>,
        strokes: Option<ArtefactId>,
        now: Timestamp,
        effects: &mut Vec<Effect>,
    ) {
        if verdict.decision == Decision::Pass {
            if let Some(image) = image {
                self.put_artefact(ArtefactKind::SignatureImage, image);
            }
            if let Some(strokes) = strokes {
                self.put_artefact(ArtefactKind::SignatureStrokes, strokes);
            }
        }
        self.decide(step, mode, verdict, now, effects);
    }

    fn decide(
        &mut self,
        step: Step,
        mode: Mode,
        verdict: Verdict,
        now: Timestamp,
        effects: &mut Vec<Effect>,
    ) {
        self.awaiting_since = None;
        match verdict.decision {
            Decision::Pass => self.pass(step, verdict, None, now, effects),
            Decision::Fail(reason) => {
                self.attempts += 1;
                self.last_reason = Some(reason);
                self.outcomes
                    .push(self.outcome(step, &verdict, None, None, now));
                self.record_last(effects);
                if self.attempts >= self.config.max_attempts {
                    self.route_to_staff(step, Some(ReasonCode::TooManyAttempts), effects);
                } else if let Mode::Staff { .. } = mode {
                    self.route_to_staff(step, Some(reason), effects);
                }
            }
            Decision::Review(reason) => {
                self.attempts += 1;
                self.last_reason = Some(reason);
                self.outcomes
                    .push(self.outcome(step, &verdict, None, None, now));
                self.record_last(effects);
                self.route_to_staff(step, Some(reason), effects);
            }
        }
    }

    fn outcome(
        &self,
        step: Step,
        verdict: &Verdict,
        operator: Option<String>,
        note: Option<String>,
        now: Timestamp,
    ) -> StepOutcome {
        StepOutcome {
            step,
            attempt: self.attempts.max(1),
            decision: verdict.decision,
            scores: verdict.scores.clone(),
            model_version: verdict.model_version.clone(),
            operator,
            note,
            at: now,
        }
    }

    fn record_last(&self, effects: &mut Vec<Effect>) {
        if let Some(outcome) = self.outcomes.last() {
            effects.push(Effect::RecordOutcome(outcome.clone()));
        }
    }

    fn pass(
        &mut self,
        step: Step,
        verdict: Verdict,
        operator: Option<(String, String)>,
        now: Timestamp,
        effects: &mut Vec<Effect>,
    ) {
        if self.attempts == 0 {
            self.attempts = 1;
        }
        let (operator, note) = match operator {
            Some((operator, note)) => (Some(operator), Some(note)),
            None => (None, None),
        };
        self.outcomes
            .push(self.outcome(step, &verdict, operator, note, now));
        self.record_last(effects);
        if let Some(next) = step.next() {
            self.phase = Phase::InProgress {
                step: next,
                mode: Mode::Auto,
            };
            self.attempts = 0;
            self.last_reason = None;
            self.begin_step(next, now, effects);
        }
    }

    fn staff_decision(
        &mut self,
        step: Step,
        decision: StaffVerdict,
        now: Timestamp,
        effects: &mut Vec<Effect>,
    ) {
        let StaffVerdict {
            operator,
            approve,
            reason,
            note,
        } = decision;
        if operator.trim().is_empty() || note.trim().is_empty() {
            effects.push(Effect::Rejected {
                input: "StaffDecision",
                why: "an operator and a note are required",
            });
            return;
        }
        if approve {
            let blocked =
                step == Step::IdCard && (self.card.is_none() || self.registration.is_none());
            if blocked {
                effects.push(Effect::Rejected {
                    input: "StaffDecision",
                    why: "no registration to confirm: read the card or enter the number first",
                });
                return;
            }
            if step == Step::Commit {
                // Approving at commit means: the cause is fixed, commit again.
                self.phase = Phase::InProgress {
                    step,
                    mode: Mode::Auto,
                };
                self.begin_step(step, now, effects);
                return;
            }
            let verdict = Verdict {
                decision: Decision::Pass,
                scores: Vec::new(),
                model_version: STAFF_MODEL.into(),
            };
            let mut verdict = verdict;
            if let Some(reason) = reason {
                verdict.scores.push(Score::new(
                    &format!("overrides:{}", reason.code()),
                    1.0,
                    1.0,
                ));
            }
            self.pass(step, verdict, Some((operator, note)), now, effects);
        } else {
            let verdict = Verdict {
                decision: Decision::Fail(reason.unwrap_or(ReasonCode::StaffRejected)),
                scores: Vec::new(),
                model_version: STAFF_MODEL.into(),
            };
            self.outcomes
                .push(self.outcome(step, &verdict, Some(operator), Some(note), now));
            self.record_last(effects);
            self.end(ReasonCode::StaffRejected, effects);
        }
    }

    fn route_to_staff(
        &mut self,
        step: Step,
        reason: Option<ReasonCode>,
        effects: &mut Vec<Effect>,
    ) {
        self.awaiting_since = None;
        self.challenge = None;
        self.phase = Phase::InProgress {
            step,
            mode: Mode::Staff { reason },
        };
        effects.push(Effect::RequestStaff { step, reason });
    }

    fn end(&mut self, reason: ReasonCode, effects: &mut Vec<Effect>) {
        self.awaiting_since = None;
        self.challenge = None;
        self.phase = Phase::Ended { reason };
        effects.push(Effect::EndSession {
            confirmed: false,
            reason: Some(reason),
        });
    }

    /// Issues the effects that start (or restart) `step` in automatic mode.
    fn begin_step(&mut self, step: Step, now: Timestamp, effects: &mut Vec<Effect>) {
        self.challenge = None;
        match step {
            Step::Consent => {}
            Step::IdCard => {
                self.awaiting_since = Some(now);
                effects.push(match self.card_device {
                    CardDevice::Reader => Effect::ReadCard,
                    CardDevice::Camera => Effect::ReadCardByCamera,
                });
            }
            Step::Liveness if self.consent_declined => {
                self.route_to_staff(step, Some(ReasonCode::ConsentDeclined), effects);
            }
            Step::Liveness => {
                self.awaiting_since = Some(now);
                effects.push(Effect::DrawChallenge {
                    len: self.config.challenge_len,
                });
            }
            Step::Photo => {
                self.awaiting_since = Some(now);
                effects.push(Effect::CapturePhoto {
                    compare_face: !self.consent_declined,
                });
            }
            Step::Pledge => effects.push(Effect::ShowPledge),
            Step::Signature => {
                self.awaiting_since = Some(now);
                effects.push(Effect::CaptureSignature);
            }
            Step::Commit => {
                self.awaiting_since = Some(now);
                effects.push(Effect::Commit(Box::new(self.draft())));
            }
        }
    }

    fn put_artefact(&mut self, kind: ArtefactKind, id: ArtefactId) {
        self.artefacts.retain(|(existing, _)| *existing != kind);
        self.artefacts.push((kind, id));
    }

    /// The draft from what the session holds; the decisive outcome per step is the last one.
    fn draft(&self) -> ConfirmationDraft {
        let mut outcomes: Vec<StepOutcome> = Vec::new();
        // The commit step's own failures are history (recorded as outcomes), not part of the record.
        for step in Step::ALL.into_iter().filter(|step| *step != Step::Commit) {
            if let Some(outcome) = self.outcomes.iter().rev().find(|o| o.step == step) {
                outcomes.push(outcome.clone());
            }
        }
        let registration = self.registration.as_ref();
        ConfirmationDraft {
            registration_id: registration
                .map(|r| r.registration_id.clone())
                .unwrap_or_default(),
            id_number: registration
                .map(|r| r.id_number.clone())
                .unwrap_or_default(),
            district_code: registration
                .map(|r| r.district_code.clone())
                .unwrap_or_default(),
            card_source: self.card_source,
            consent_version: self.consent_version.clone(),
            outcomes,
            artefacts: self.artefacts.clone(),
            declaration: self.declaration.clone(),
        }
    }

    fn tick(&mut self, step: Step, mode: Mode, now: Timestamp, effects: &mut Vec<Effect>) {
        // Staff at the desk are present: no idle wipe while they decide.
        if mode == Mode::Auto {
            let idle = now.since(self.last_activity);
            if idle >= self.config.idle_timeout {
                self.end(ReasonCode::Abandoned, effects);
                effects.push(Effect::Notify(self.view(now)));
                return;
            }
            let warn_at = self
                .config
                .idle_timeout
                .saturating_sub(self.config.idle_warning);
            if idle >= warn_at && !self.idle_warned {
                self.idle_warned = true;
                effects.push(Effect::Notify(self.view(now)));
                return;
            }
        }
        if let Some(since) = self.awaiting_since {
            if now.since(since) >= self.config.step_timeout {
                self.decide(
                    step,
                    mode,
                    Verdict::fail(ReasonCode::Timeout, "clock"),
                    now,
                    effects,
                );
                effects.push(Effect::Notify(self.view(now)));
            }
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests;
