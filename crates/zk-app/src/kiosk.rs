//! [`Kiosk`]: runs one candidate session at a time through the confirmation state machine,
//! executing its effects against the devices, the matcher and the store.

use std::collections::{HashMap, VecDeque};
use std::sync::mpsc::Sender;
use std::time::Duration;

use rand::RngCore;
use zk_domain::confirmation::{Mode, Phase};
use zk_domain::staff::check_override;
use zk_domain::{
    ArtefactId, ArtefactKind, CardDevice, CardPhoto, CardSource, Challenge, Confirmation, Decision,
    Effect, FlowConfig, Input, MatchPolicy, ReasonCode, Sitting, Step, Timestamp, Verdict, View,
};
use zk_domain::{RetentionPolicy, Role, StaffAction, StaffPolicy, StaffSession};
use zk_drivers::{Camera, DeviceError, DeviceErrorKind, IdCardReader, Microphone, SignaturePad};
use zk_store::{NewOperator, Operator, RotationReport, SessionId, Store, StoreError};

use crate::card_ocr::{CardHint, CardOcr, CardSide, Look, OcrRead};
use crate::clip::{self, RecordSettings};
use crate::clock::Clock;
use crate::config::AppConfig;
use crate::consent::{ConsentText, PledgeDocuments};
use crate::error::AppError;
use crate::matcher::{FaceMatcher, GuideConfig};
use crate::preview::{PhaseClock, PreviewConfig, PreviewPhase, PreviewStep, PreviewTap, TapCamera};
use crate::retention::{self, PurgeReport};
use crate::staff::{StaffCommand, StaffToken};

/// The kiosk's devices, each behind its driver trait.
pub struct Devices {
    pub reader: Box<dyn IdCardReader>,
    pub camera: Box<dyn Camera>,
    pub microphone: Box<dyn Microphone>,
    pub signature_pad: Box<dyn SignaturePad>,
    /// With the `touch` signature pad: where the UI sends the candidate's pointer events.
    pub touch_signature: Option<zk_drivers::signature::touch::TouchHandle>,
    /// A camera for the card (a document camera), when the desk has one; otherwise the candidate
    /// holds the card up to `camera`.
    pub card_camera: Option<Box<dyn Camera>>,
}

impl Devices {
    /// Opens every device as the `[drivers]` config says; relative paths resolve in `assets`.
    pub fn open(
        config: &zk_drivers::DriversConfig,
        assets: &std::path::Path,
    ) -> Result<Devices, AppError> {
        let (signature_pad, touch_signature) = config.open_signature_pad_with_handle(assets)?;
        Ok(Devices {
            reader: config.open_id_card_reader(assets)?,
            camera: config.open_camera(assets)?,
            microphone: config.open_microphone(assets)?,
            signature_pad,
            touch_signature,
            card_camera: None,
        })
    }
}

/// What the kiosk reports to the shell (or the CLI) as it goes. Carries no personal data.
#[derive(Clone, Debug, PartialEq)]
pub enum KioskEvent {
    StepChanged(View),
    OutcomeRecorded {
        step: Step,
        decision: Decision,
        operator: Option<String>,
    },
    StaffRequested {
        step: Step,
        reason: Option<ReasonCode>,
    },
    /// A device is now waiting for the candidate (place the card, sign): the UI shows the
    /// matching screen. Sent before the blocking call.
    AwaitingDevice {
        device: &'static str,
    },
    DeviceProblem {
        device: &'static str,
        kind: DeviceErrorKind,
        message: String,
    },
    SerialsLow {
        remaining: u32,
    },
    SessionEnded {
        confirmed: bool,
        admission_number: Option<String>,
        reason: Option<ReasonCode>,
    },
    StaffSignedIn {
        operator: String,
        role: Role,
    },
    /// Signed out by request (`why` = `requested`) or after the idle timeout (`timeout`).
    StaffSignedOut {
        operator: String,
        why: &'static str,
    },
    /// The retention job erased this many artefacts.
    RetentionPurged {
        purged: u64,
    },
    /// A live preview frame (about 15 a second while the camera step runs); never stored.
    CameraFrame(crate::preview::PreviewFrame),
    /// The camera looked at the card: what the candidate should do now (sent when it changes;
    /// `Read` when the side was read).
    CardCapture {
        side: CardSide,
        hint: CardHint,
    },
    /// The session stored an image the candidate or staff may be shown (ID photo, live frame,
    /// registration photo, rendered signature): its id, never its bytes.
    ImageStored {
        kind: ArtefactKind,
        id: ArtefactId,
    },
}

struct ActiveSession {
    id: SessionId,
    machine: Confirmation,
    /// The decoded card photo while the session lasts; dropped at the end.
    id_photo: Option<Vec<u8>>,
    /// Every artefact this session stored, in order (the UI may show only these).
    artefacts: Vec<(ArtefactKind, ArtefactId)>,
    /// The card as the camera read it (fields and straightened sides) for staff to confirm;
    /// in memory only, dropped at the end.
    ocr: Option<OcrRead>,
}

/// The newest image of each kind the current session stored (the result and review screens).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionImages {
    pub id_photo: Option<ArtefactId>,
    pub live_frame: Option<ArtefactId>,
    pub registration_photo: Option<ArtefactId>,
}

/// What a reviewer sees for the step waiting for staff: the step, why, and the automatic
/// attempts' decisions and scores, oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct ReviewCase {
    pub step: Step,
    pub reason: Option<ReasonCode>,
    pub attempts: Vec<zk_domain::StepOutcome>,
    pub images: SessionImages,
    /// The card and the registration side by side, once the card was read.
    pub identity: Option<ReviewIdentity>,
    /// The card's fields as the camera read them, each with its mark, and the straightened
    /// sides: what staff confirm against the card in hand.
    pub ocr: Option<OcrRead>,
}

/// What the card says and what the candidate registered, for a reviewer deciding a mismatch.
#[derive(Clone, PartialEq)]
pub struct ReviewIdentity {
    pub card: PersonFacts,
    pub registration: Option<PersonFacts>,
    /// The card number with its middle hidden (the reviewer has the card in hand).
    pub id_number_masked: String,
    pub registration_id: Option<String>,
}

/// Name, sex and birth date as one document gives them.
#[derive(Clone, PartialEq)]
pub struct PersonFacts {
    pub name: String,
    pub sex: zk_domain::Sex,
    pub birth_date: zk_domain::Date,
}

impl std::fmt::Debug for ReviewIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Personal data: never in logs.
        f.debug_struct("ReviewIdentity")
            .field("registration", &self.registration.is_some())
            .finish_non_exhaustive()
    }
}

/// Keeps the first 4 and last 4 characters: 4201**********1234.
pub fn mask_id_number(number: &str) -> String {
    let chars: Vec<char> = number.trim().chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let hidden = chars.len() - 8;
    chars[..4]
        .iter()
        .chain(std::iter::repeat_n(&'*', hidden))
        .chain(chars[chars.len() - 4..].iter())
        .collect()
}

impl ReviewIdentity {
    fn of(
        card: &zk_domain::IdCard,
        registration: Option<&zk_domain::Registration>,
    ) -> ReviewIdentity {
        ReviewIdentity {
            card: PersonFacts {
                name: card.name.expose().to_owned(),
                sex: card.sex,
                birth_date: card.birth_date,
            },
            registration: registration.map(|registration| PersonFacts {
                name: registration.name.expose().to_owned(),
                sex: registration.sex,
                birth_date: registration.birth_date,
            }),
            id_number_masked: mask_id_number(&card.number),
            registration_id: registration.map(|registration| registration.registration_id.clone()),
        }
    }
}

/// The desk's state for the staff console.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeskStatus {
    pub sync: zk_store::SyncStatus,
    /// Admission serials left in this sitting's blocks.
    pub serials_remaining: u64,
}

/// How looking for one side of the card ended.
enum SideOutcome {
    Found(Look),
    TimedOut,
    Device(DeviceError),
}

/// Frames per second kept from the camera while recording the liveness clip.
const CLIP_FPS: f32 = 10.0;

pub struct Kiosk {
    store: Store,
    devices: Devices,
    matcher: Box<dyn FaceMatcher>,
    clock: Box<dyn Clock>,
    rng: Box<dyn RngCore + Send>,
    flow: FlowConfig,
    policy: MatchPolicy,
    sitting: Sitting,
    /// The site's offset from UTC (where "today" starts).
    utc_offset_minutes: i32,
    low_water: u32,
    consent: ConsentText,
    pledge: PledgeDocuments,
    staff_policy: StaffPolicy,
    /// Signed-in staff by token id.
    staff: HashMap<u64, StaffSession>,
    retention: RetentionPolicy,
    purge_every: Duration,
    last_purge: Option<Timestamp>,
    events: Option<Sender<KioskEvent>>,
    session: Option<ActiveSession>,
    preview_config: PreviewConfig,
    guide: GuideConfig,
    /// The live preview's worker, once someone subscribed to events.
    preview: Option<PreviewTap>,
    /// Reading the card with the camera; `None` when `[ocr] enabled = false`.
    card_ocr: Option<CardOcr>,
}

/// Who the retention job is in the audit log.
const RETENTION_ACTOR: &str = "retention";

impl Kiosk {
    pub fn new(
        config: &AppConfig,
        store: Store,
        devices: Devices,
        matcher: Box<dyn FaceMatcher>,
        clock: Box<dyn Clock>,
        rng: Box<dyn RngCore + Send>,
    ) -> Result<Kiosk, AppError> {
        let assets = crate::assets::locate(config.assets_dir.as_deref())?;
        let mut kiosk = Kiosk {
            store,
            devices,
            matcher,
            clock,
            rng,
            flow: config.flow_config()?,
            policy: config.match_policy()?,
            sitting: config.sitting()?,
            utc_offset_minutes: config.site.utc_offset_minutes,
            low_water: config.flow.serial_low_water,
            consent: ConsentText::load(&assets, &config.flow.consent_version)?,
            pledge: PledgeDocuments::load(&assets, &config.flow.pledge_version)?,
            staff_policy: config.security.staff_policy()?,
            staff: HashMap::new(),
            retention: config.retention.policy()?,
            purge_every: config.retention.every()?,
            last_purge: None,
            events: None,
            session: None,
            preview_config: {
                config.preview.validate()?;
                config.preview.clone()
            },
            guide: config.matcher.guide.clone(),
            preview: None,
            card_ocr: CardOcr::new(&config.ocr)?,
        };
        if let Some(ocr) = &kiosk.card_ocr {
            if !ocr.models_present() {
                // The chip reader still works; the camera is not offered.
                tracing::warn!(
                    dir = %ocr.models_dir().display(),
                    "no OCR models: the camera cannot read cards (run scripts/fetch-models.sh)"
                );
                if kiosk.flow.card_device == CardDevice::Camera {
                    return Err(AppError::Config(format!(
                        "ocr.camera_first: the OCR models are not in {}; run scripts/fetch-models.sh",
                        ocr.models_dir().display()
                    )));
                }
            }
        }
        // Retention runs at start, then from the timer (`maintenance`).
        kiosk.maintenance()?;
        Ok(kiosk)
    }

    /// Sends every [`KioskEvent`] to `sender` from now on.
    pub fn subscribe(&mut self, sender: Sender<KioskEvent>) {
        // The preview only runs for someone listening; without it the kiosk still works.
        self.preview =
            match PreviewTap::spawn(&self.preview_config, self.guide.clone(), sender.clone()) {
                Ok(tap) => tap,
                Err(error) => {
                    tracing::warn!(%error, "no live camera preview");
                    None
                }
            };
        self.events = Some(sender);
    }

    /// With the `touch` signature pad: the handle the UI sends pointer events through.
    pub fn touch_signature(&self) -> Option<zk_drivers::signature::touch::TouchHandle> {
        self.devices.touch_signature.clone()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The store for an admin task (`action` must need the admin role: roster import, serial
    /// blocks, export …); audited by the store's own methods.
    pub fn staff_store(
        &mut self,
        token: &StaffToken,
        action: StaffAction,
    ) -> Result<&mut Store, AppError> {
        if action.required_role() < Role::Admin {
            return Err(AppError::StaffOnly(action.code()));
        }
        self.authorize(token, action)?;
        Ok(&mut self.store)
    }

    /// Checks that `token` may do `action` now, for work done outside the kiosk (the shell's
    /// sync worker): refused as any staff action is (not signed in, expired, role too low).
    pub fn authorize_staff(
        &mut self,
        token: &StaffToken,
        action: StaffAction,
    ) -> Result<(), AppError> {
        self.authorize(token, action).map(|_| ())
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The current session's view, if a session was started.
    pub fn view(&self) -> Option<View> {
        let now = self.clock.now();
        self.session
            .as_ref()
            .map(|session| session.machine.view(now))
    }

    pub fn consent_version(&self) -> &str {
        &self.consent.version
    }

    /// The consent text to show (both languages) and its version.
    pub fn consent_text(&self) -> &ConsentText {
        &self.consent
    }

    /// The instructions, pledge and declaration form to show at the pledge step.
    pub fn pledge_documents(&self) -> &PledgeDocuments {
        &self.pledge
    }

    /// Opens a new candidate session at the consent step.
    pub fn start_session(&mut self) -> Result<View, AppError> {
        if let Some(session) = &self.session {
            if matches!(session.machine.phase(), Phase::InProgress { .. }) {
                return Err(AppError::SessionOpen);
            }
        }
        let now = self.clock.now();
        let id = self.store.begin_session(now)?;
        let (machine, effects) = Confirmation::start(self.flow.clone(), now);
        self.session = Some(ActiveSession {
            id,
            machine,
            id_photo: None,
            artefacts: Vec::new(),
            ocr: None,
        });
        for effect in effects {
            self.execute(effect)?;
        }
        self.current_view()
    }

    pub fn give_consent(&mut self) -> Result<View, AppError> {
        let version = self.consent.version.clone();
        self.handle(Input::ConsentGiven { version })
    }

    /// The candidate declines face and voice processing: the flow goes on, staff check the
    /// documents by hand at the face steps.
    pub fn decline_consent(&mut self) -> Result<View, AppError> {
        self.handle(Input::ConsentDeclined)
    }

    /// The candidate-facing entry point: feeds one input and runs every effect it causes (device
    /// reads, matching, commit) until the session waits for the candidate or staff again. Returns
    /// the view after that. Staff inputs are refused here ([`AppError::StaffOnly`]): they go
    /// through [`Kiosk::staff`] with a [`StaffToken`]. A `Tick` also runs [`Kiosk::maintenance`].
    pub fn handle(&mut self, input: Input) -> Result<View, AppError> {
        match &input {
            Input::StaffTakeover { .. } => return Err(AppError::StaffOnly("StaffTakeover")),
            Input::StaffDecision { .. } => return Err(AppError::StaffOnly("StaffDecision")),
            Input::Cancel { .. } => return Err(AppError::StaffOnly("Cancel")),
            Input::ConsentGiven { version } if *version != self.consent.version => {
                return Err(AppError::Rejected {
                    input: "ConsentGiven",
                    why: "the consent text shown is not the current version; show the current text",
                })
            }
            Input::Tick => self.maintenance()?,
            Input::ReadCardWith(CardDevice::Camera) if !self.camera_reads_cards() => {
                return Err(AppError::Rejected {
                    input: "ReadCardWith",
                    why: "this desk cannot read cards with the camera (ocr is off or its models are missing)",
                })
            }
            _ => {}
        }
        self.run(input)
    }

    /// Runs the machine on `input` (candidate or staff, already authorised).
    fn run(&mut self, input: Input) -> Result<View, AppError> {
        let consent = match &input {
            Input::ConsentGiven { .. } => Some(true),
            Input::ConsentDeclined => Some(false),
            _ => None,
        };
        let mut queue = VecDeque::from([input]);
        let mut first = true;
        while let Some(input) = queue.pop_front() {
            let now = self.clock.now();
            let session = self.session.as_mut().ok_or(AppError::NoSession)?;
            let session_id = session.id;
            let effects = session.machine.handle(input, now);
            if first {
                if let Some(Effect::Rejected { input, why }) = effects
                    .iter()
                    .find(|effect| matches!(effect, Effect::Rejected { .. }))
                {
                    return Err(AppError::Rejected { input, why });
                }
                if let Some(accepted) = consent {
                    self.store.record_consent(
                        session_id,
                        accepted,
                        &self.consent.version,
                        &self.consent.sha256,
                        now,
                    )?;
                }
            }
            for effect in effects {
                if let Effect::Rejected { input, why } = effect {
                    tracing::warn!(input, why, "the state machine rejected a device result");
                    continue;
                }
                if let Some(next) = self.execute(effect)? {
                    queue.push_back(next);
                }
            }
            first = false;
        }
        self.current_view()
    }

    /// Whether the camera can read cards here (`[ocr]` on and its models present).
    pub fn camera_reads_cards(&self) -> bool {
        self.card_ocr.as_ref().is_some_and(CardOcr::models_present)
    }

    fn current_view(&self) -> Result<View, AppError> {
        self.view().ok_or(AppError::NoSession)
    }

    fn emit(&self, event: KioskEvent) {
        if let Some(sender) = &self.events {
            // A closed receiver only means nobody listens any more.
            let _ = sender.send(event);
        }
    }

    fn session_id(&self) -> Result<SessionId, AppError> {
        self.session
            .as_ref()
            .map(|session| session.id)
            .ok_or(AppError::NoSession)
    }

    fn put_artefact(&mut self, kind: ArtefactKind, bytes: &[u8]) -> Result<ArtefactId, AppError> {
        let session = self.session_id()?;
        let now = self.clock.now();
        let id = self.store.put_artefact(session, kind, bytes, now)?;
        if let Some(active) = self.session.as_mut() {
            active.artefacts.push((kind, id.clone()));
        }
        if matches!(
            kind,
            ArtefactKind::IdPhoto
                | ArtefactKind::LiveFrame
                | ArtefactKind::RegistrationPhoto
                | ArtefactKind::SignatureImage
        ) {
            self.emit(KioskEvent::ImageStored {
                kind,
                id: id.clone(),
            });
        }
        Ok(id)
    }

    /// The newest ID photo, live frame and registration photo of the current session.
    pub fn session_images(&self) -> SessionImages {
        let mut images = SessionImages::default();
        if let Some(session) = &self.session {
            for (kind, id) in &session.artefacts {
                let slot = match kind {
                    ArtefactKind::IdPhoto => &mut images.id_photo,
                    ArtefactKind::LiveFrame => &mut images.live_frame,
                    ArtefactKind::RegistrationPhoto => &mut images.registration_photo,
                    _ => continue,
                };
                *slot = Some(id.clone());
            }
        }
        images
    }

    /// The bytes of an image the current session stored (ID photo, live frame, registration
    /// photo, rendered signature). Anything else — another session's artefact, a clip, the
    /// signature strokes — is [`AppError::NotShown`], so the screen can never page through the
    /// store.
    pub fn session_image(&self, id: &ArtefactId) -> Result<(ArtefactKind, Vec<u8>), AppError> {
        let kind = self
            .session
            .as_ref()
            .and_then(|session| {
                session
                    .artefacts
                    .iter()
                    .find(|(_, stored)| stored == id)
                    .map(|(kind, _)| *kind)
            })
            .filter(|kind| {
                matches!(
                    kind,
                    ArtefactKind::IdPhoto
                        | ArtefactKind::LiveFrame
                        | ArtefactKind::RegistrationPhoto
                        | ArtefactKind::SignatureImage
                )
            })
            .ok_or(AppError::NotShown)?;
        let artefact = self.store.get_artefact(id)?;
        Ok((kind, artefact.bytes))
    }

    /// The step waiting for staff with its evidence, for a signed-in reviewer or operator
    /// (`None` when nothing waits).
    pub fn review(&mut self, token: &StaffToken) -> Result<Option<ReviewCase>, AppError> {
        self.authorize(token, StaffAction::Decide)?;
        let Some(session) = &self.session else {
            return Ok(None);
        };
        let Phase::InProgress {
            step,
            mode: Mode::Staff { reason },
        } = session.machine.phase()
        else {
            return Ok(None);
        };
        let attempts = session
            .machine
            .outcomes()
            .iter()
            .filter(|outcome| outcome.step == *step)
            .cloned()
            .collect();
        let identity = session
            .machine
            .card()
            .map(|card| ReviewIdentity::of(card, session.machine.registration()));
        Ok(Some(ReviewCase {
            step: *step,
            reason: *reason,
            attempts,
            images: self.session_images(),
            identity,
            ocr: session.ocr.clone(),
        }))
    }

    /// Sync backlog and serials left, for a signed-in staff member.
    pub fn desk_status(&mut self, token: &StaffToken) -> Result<DeskStatus, AppError> {
        self.authorize(token, StaffAction::TakeOver)?;
        let sitting = self.sitting;
        let serials_remaining = self
            .store
            .serial_blocks()?
            .iter()
            .filter(|block| block.sitting == sitting)
            .map(|block| u64::from(block.remaining()))
            .sum();
        Ok(DeskStatus {
            sync: self.store.sync_status()?,
            serials_remaining,
        })
    }

    /// Today's sessions at this desk (from the site's local midnight), newest first: the staff
    /// console's list.
    pub fn today_sessions(
        &mut self,
        token: &StaffToken,
    ) -> Result<Vec<zk_store::SessionSummary>, AppError> {
        self.authorize(token, StaffAction::TakeOver)?;
        let since = local_midnight(self.clock.now(), self.utc_offset_minutes);
        Ok(self.store.sessions_since(since, 500)?)
    }

    fn device_failed(
        &self,
        device: &'static str,
        error: &DeviceError,
        reason: ReasonCode,
    ) -> Input {
        tracing::warn!(device, kind = ?error.kind(), "device error: {error}");
        self.emit(KioskEvent::DeviceProblem {
            device,
            kind: error.kind(),
            message: error.to_string(),
        });
        Input::DeviceFailed { reason }
    }

    /// Executes one effect; returns the input it produced, if any.
    fn execute(&mut self, effect: Effect) -> Result<Option<Input>, AppError> {
        match effect {
            Effect::Notify(view) => {
                self.emit(KioskEvent::StepChanged(view));
                Ok(None)
            }
            Effect::ReadCard => self.read_card().map(Some),
            Effect::ReadCardByCamera => self.read_card_by_camera().map(Some),
            Effect::DrawChallenge { len } => {
                let now = self.clock.now();
                Ok(Some(Input::ChallengeDrawn(Challenge::generate(
                    &mut self.rng,
                    len,
                    now,
                ))))
            }
            Effect::RecordLiveness { challenge, secs } => {
                self.record_liveness(&challenge, secs).map(Some)
            }
            Effect::CapturePhoto { compare_face } => self.capture_photo(compare_face).map(Some),
            Effect::ShowPledge => Ok(None),
            Effect::CaptureSignature => self.capture_signature().map(Some),
            Effect::RecordOutcome(outcome) => {
                let session = self.session_id()?;
                // The store audits every decision (staff ones with the operator id).
                self.store.record_outcome(session, &outcome)?;
                self.emit(KioskEvent::OutcomeRecorded {
                    step: outcome.step,
                    decision: outcome.decision,
                    operator: outcome.operator.clone(),
                });
                Ok(None)
            }
            Effect::RequestStaff { step, reason } => {
                self.emit(KioskEvent::StaffRequested { step, reason });
                Ok(None)
            }
            Effect::Commit(draft) => {
                let session = self.session_id()?;
                let now = self.clock.now();
                match self
                    .store
                    .confirm(session, &draft, self.sitting, self.low_water, now)
                {
                    Ok(receipt) => {
                        if receipt.running_low {
                            self.emit(KioskEvent::SerialsLow {
                                remaining: receipt.remaining_serials,
                            });
                        }
                        Ok(Some(Input::Committed {
                            admission_number: receipt.admission_number,
                        }))
                    }
                    Err(error) => {
                        tracing::warn!("commit failed: {error}");
                        let reason = match error {
                            StoreError::NoSerial { .. } | StoreError::SerialsExhausted { .. } => {
                                ReasonCode::NoSerial
                            }
                            StoreError::AlreadyConfirmed => ReasonCode::AlreadyConfirmed,
                            _ => ReasonCode::CommitFailed,
                        };
                        Ok(Some(Input::CommitFailed { reason }))
                    }
                }
            }
            Effect::EndSession { confirmed, reason } => {
                let session = self.session_id()?;
                let now = self.clock.now();
                let outcome = if confirmed {
                    "confirmed"
                } else {
                    reason.map_or("ended", ReasonCode::code)
                };
                self.store.end_session(session, outcome, now)?;
                let admission_number =
                    self.session
                        .as_ref()
                        .and_then(|session| match session.machine.phase() {
                            Phase::Confirmed { admission_number } => {
                                Some(admission_number.to_string())
                            }
                            _ => None,
                        });
                if let Some(session) = self.session.as_mut() {
                    session.id_photo = None;
                    session.ocr = None;
                }
                self.emit(KioskEvent::SessionEnded {
                    confirmed,
                    admission_number,
                    reason,
                });
                Ok(None)
            }
            Effect::Rejected { input, why } => {
                tracing::warn!(input, why, "rejected input");
                Ok(None)
            }
        }
    }

    /// Sends the session's view before a step blocks on a device (the card, the clip, the photo,
    /// the signature), so the screen shows that step — and the digits — while the device works;
    /// the machine's own `Notify` only comes after the device answered.
    fn announce_step(&self) {
        if self.events.is_some() {
            if let Some(view) = self.view() {
                self.emit(KioskEvent::StepChanged(view));
            }
        }
    }

    // ---- staff ----

    /// Signs a staff member in (Argon2id check, lock-out after repeated failures, audited) and
    /// returns the token every staff command needs.
    pub fn sign_in(&mut self, operator: &str, secret: &str) -> Result<StaffToken, AppError> {
        let now = self.clock.now();
        let account = self
            .store
            .sign_in(operator, secret, &self.staff_policy, now)?;
        let id = loop {
            let id = self.rng.next_u64();
            if !self.staff.contains_key(&id) {
                break id;
            }
        };
        self.staff
            .insert(id, StaffSession::new(account.id.clone(), account.role, now));
        self.emit(KioskEvent::StaffSignedIn {
            operator: account.id.clone(),
            role: account.role,
        });
        Ok(StaffToken {
            id,
            operator: account.id,
            role: account.role,
        })
    }

    /// Ends a staff session (audited). Signing out twice is not an error.
    pub fn sign_out(&mut self, token: &StaffToken) -> Result<(), AppError> {
        if let Some(session) = self.staff.remove(&token.id) {
            let now = self.clock.now();
            self.store
                .record_sign_out(&session.operator, "requested", now)?;
            self.emit(KioskEvent::StaffSignedOut {
                operator: session.operator,
                why: "requested",
            });
        }
        Ok(())
    }

    /// Checks `token` is a live staff session of this kiosk allowed to do `action`; returns the
    /// session (with its activity time moved to now).
    fn authorize(
        &mut self,
        token: &StaffToken,
        action: StaffAction,
    ) -> Result<StaffSession, AppError> {
        let now = self.clock.now();
        let session = self
            .staff
            .get_mut(&token.id)
            .filter(|session| session.operator == token.operator)
            .ok_or(zk_domain::StaffRefusal::NotSignedIn)?;
        match session.authorize(action, now, &self.staff_policy) {
            Ok(()) => Ok(session.clone()),
            Err(zk_domain::StaffRefusal::SessionExpired) => {
                self.expire_staff(now)?;
                Err(zk_domain::StaffRefusal::SessionExpired.into())
            }
            Err(refusal) => {
                tracing::warn!(operator = %token.operator, action = action.code(), "staff action refused: {refusal}");
                Err(refusal.into())
            }
        }
    }

    /// Ends every staff session idle past the timeout (audited).
    fn expire_staff(&mut self, now: Timestamp) -> Result<(), AppError> {
        let expired: Vec<u64> = self
            .staff
            .iter()
            .filter(|(_, session)| !session.is_live(now, &self.staff_policy))
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            if let Some(session) = self.staff.remove(&id) {
                self.store
                    .record_sign_out(&session.operator, "timeout", now)?;
                self.emit(KioskEvent::StaffSignedOut {
                    operator: session.operator,
                    why: "timeout",
                });
            }
        }
        Ok(())
    }

    /// A staff command on the candidate session in progress, as the signed-in `token`.
    pub fn staff(&mut self, token: &StaffToken, command: StaffCommand) -> Result<View, AppError> {
        let operator = token.operator.clone();
        let input = match command {
            StaffCommand::TakeOver => {
                self.authorize(token, StaffAction::TakeOver)?;
                self.audit_staff_action(&operator, "staff.takeover")?;
                Input::StaffTakeover { operator }
            }
            StaffCommand::Retry => {
                self.authorize(token, StaffAction::Retry)?;
                self.audit_staff_action(&operator, "staff.retry")?;
                Input::Retry
            }
            StaffCommand::Cancel => {
                self.authorize(token, StaffAction::CancelSession)?;
                Input::Cancel { operator }
            }
            StaffCommand::Reject { reason, note } => {
                self.authorize(token, StaffAction::Decide)?;
                Input::StaffDecision {
                    operator,
                    approve: false,
                    reason,
                    note,
                }
            }
            StaffCommand::Approve {
                reason,
                note,
                second,
            } => {
                let decider = self.authorize(token, StaffAction::Decide)?;
                let session = self.session.as_ref().ok_or(AppError::NoSession)?;
                let (overriding, session_id) = (session.machine.pending_override(), session.id);
                let step = session.machine.step().map_or("-", Step::code);
                if overriding {
                    let second = match &second {
                        Some(second) => Some(self.authorize(second, StaffAction::Decide)?),
                        None => None,
                    };
                    check_override(&decider, second.as_ref(), &self.staff_policy)?;
                    let detail = format!(
                        "session={} step={step} second={}",
                        session_id.0,
                        second
                            .as_ref()
                            .map_or("-", |second| second.operator.as_str())
                    );
                    let now = self.clock.now();
                    self.store
                        .append_audit(&operator, "staff.override", &detail, now)?;
                }
                Input::StaffDecision {
                    operator,
                    approve: true,
                    reason,
                    note,
                }
            }
        };
        self.run(input)
    }

    /// Audits a staff action on the session in progress that leaves no decision of its own.
    fn audit_staff_action(&mut self, operator: &str, action: &str) -> Result<(), AppError> {
        let session = self.session.as_ref().ok_or(AppError::NoSession)?;
        let step = session.machine.step().map_or("-", Step::code);
        let detail = format!("session={} step={step}", session.id.0);
        let now = self.clock.now();
        Ok(self.store.append_audit(operator, action, &detail, now)?)
    }

    /// Adds a staff account (admin).
    pub fn add_operator(
        &mut self,
        token: &StaffToken,
        new: &NewOperator,
        secret: &str,
    ) -> Result<Operator, AppError> {
        self.authorize(token, StaffAction::ManageOperators)?;
        let now = self.clock.now();
        Ok(self
            .store
            .add_operator(new, secret, &self.staff_policy, &token.operator, now)?)
    }

    /// Unlocks a locked staff account (admin).
    pub fn unlock_operator(&mut self, token: &StaffToken, operator: &str) -> Result<(), AppError> {
        self.authorize(token, StaffAction::ManageOperators)?;
        let now = self.clock.now();
        Ok(self.store.unlock_operator(operator, &token.operator, now)?)
    }

    /// Runs the retention purge now (admin); `dry_run` only plans.
    pub fn purge(&mut self, token: &StaffToken, dry_run: bool) -> Result<PurgeReport, AppError> {
        self.authorize(token, StaffAction::Purge)?;
        let now = self.clock.now();
        let report = retention::run(
            &mut self.store,
            &self.retention,
            now,
            &token.operator,
            dry_run,
        )?;
        if let Some(outcome) = &report.outcome {
            self.emit(KioskEvent::RetentionPurged {
                purged: outcome.purged,
            });
        }
        Ok(report)
    }

    /// Re-encrypts everything under a new artefact key (admin).
    pub fn rotate_key(&mut self, token: &StaffToken) -> Result<RotationReport, AppError> {
        self.authorize(token, StaffAction::RotateKey)?;
        let now = self.clock.now();
        Ok(self.store.rotate_key(&token.operator, now)?)
    }

    /// The timer's work, also run at start: expires idle staff sessions and runs the retention
    /// purge when it is due (at start, then every `retention.purge_every_hours`).
    pub fn maintenance(&mut self) -> Result<(), AppError> {
        let now = self.clock.now();
        self.expire_staff(now)?;
        if zk_domain::retention::purge_due(self.last_purge, now, self.purge_every) {
            let report = retention::run(
                &mut self.store,
                &self.retention,
                now,
                RETENTION_ACTOR,
                false,
            )?;
            self.last_purge = Some(now);
            if let Some(outcome) = report.outcome.filter(|outcome| outcome.purged > 0) {
                self.emit(KioskEvent::RetentionPurged {
                    purged: outcome.purged,
                });
            }
        }
        Ok(())
    }

    fn read_card(&mut self) -> Result<Input, AppError> {
        self.announce_step();
        let timeout = self.flow.step_timeout;
        self.emit(KioskEvent::AwaitingDevice {
            device: "id_card_reader",
        });
        let card = match self.devices.reader.read(timeout) {
            Ok(Some(card)) => card,
            Ok(None) => {
                return Ok(Input::DeviceFailed {
                    reason: ReasonCode::Timeout,
                })
            }
            Err(error) => {
                let reason = match error.kind() {
                    DeviceErrorKind::Timeout
                    | DeviceErrorKind::NoMedia
                    | DeviceErrorKind::CorruptData => ReasonCode::CardUnreadable,
                    DeviceErrorKind::MediaRemoved => ReasonCode::CardRemoved,
                    _ => ReasonCode::ReaderFault,
                };
                return Ok(self.device_failed("id_card_reader", &error, reason));
            }
        };
        let photo = match &card.photo {
            CardPhoto::Decoded(bytes) => Some(self.put_artefact(ArtefactKind::IdPhoto, bytes)?),
            _ => None,
        };
        if let Some(session) = self.session.as_mut() {
            session.id_photo = card.photo.decoded_bytes().map(<[u8]>::to_vec);
        }
        let registration = self.store.registration_by_id_number(card.number.trim())?;
        Ok(Input::CardRead {
            card: Box::new(card),
            registration: registration.map(Box::new),
            source: CardSource::Chip,
            photo,
        })
    }

    /// Reads the card with the camera: the portrait side, then the emblem side, each looked for
    /// until `[ocr] side_timeout_secs`; the hints go out as [`KioskEvent::CardCapture`].
    fn read_card_by_camera(&mut self) -> Result<Input, AppError> {
        self.announce_step();
        let unreadable = Input::DeviceFailed {
            reason: ReasonCode::CardCameraUnreadable,
        };
        let loaded = match self.card_ocr.as_mut() {
            Some(ocr) => ocr.load(),
            None => Err(AppError::Config("[ocr] enabled = false".into())),
        };
        if let Err(error) = loaded {
            tracing::warn!("the camera cannot read cards: {error}");
            self.emit(KioskEvent::DeviceProblem {
                device: "card_camera",
                kind: DeviceErrorKind::Disconnected,
                message: error.to_string(),
            });
            return Ok(Input::DeviceFailed {
                reason: ReasonCode::ReaderFault,
            });
        }
        let front = match self.look_for_side(CardSide::Front)? {
            SideOutcome::Found(look) => look,
            SideOutcome::TimedOut => return Ok(unreadable),
            SideOutcome::Device(error) => {
                return Ok(self.device_failed("camera", &error, ReasonCode::CaptureFailed))
            }
        };
        let back = match self.look_for_side(CardSide::Back)? {
            SideOutcome::Found(look) => look,
            SideOutcome::TimedOut => return Ok(unreadable),
            SideOutcome::Device(error) => {
                return Ok(self.device_failed("camera", &error, ReasonCode::CaptureFailed))
            }
        };
        match self.card_read_from(front, back)? {
            Some(input) => Ok(input),
            None => Ok(unreadable),
        }
    }

    /// Looks at camera frames for one side until it is read or the time is up.
    fn look_for_side(&mut self, side: CardSide) -> Result<SideOutcome, AppError> {
        self.emit(KioskEvent::AwaitingDevice {
            device: match side {
                CardSide::Front => "card_camera",
                CardSide::Back => "card_camera_back",
            },
        });
        let events = self.events.clone();
        let emit = |event: KioskEvent| {
            if let Some(sender) = &events {
                let _ = sender.send(event);
            }
        };
        let Some(ocr) = self.card_ocr.as_mut() else {
            return Ok(SideOutcome::TimedOut);
        };
        let timeout = Duration::from_secs_f64(ocr.config.side_timeout_secs);
        let looks_per_second = ocr.config.looks_per_second;
        let frame_rate = match &self.devices.card_camera {
            Some(card_camera) => card_camera.frame_rate(),
            None => self.devices.camera.frame_rate(),
        }
        .max(1.0);
        // Frames between looks (the camera keeps delivering while a look runs), and how many
        // looks fit the time: a simulator that does not sleep gets the same number of looks.
        let every = (frame_rate / looks_per_second).round().max(1.0) as u32;
        let looks = (timeout.as_secs_f64() * f64::from(looks_per_second)).ceil() as u64;
        let deadline = std::time::Instant::now() + timeout;
        let phase = match side {
            CardSide::Front => PreviewPhase::CardFront,
            CardSide::Back => PreviewPhase::CardBack,
        };
        let clock = PhaseClock::new(PreviewStep::Card, phase, timeout, self.preview_config.fps);
        let source: &mut dyn Camera = match self.devices.card_camera.as_mut() {
            Some(card_camera) => card_camera.as_mut(),
            None => self.devices.camera.as_mut(),
        };
        let mut camera = TapCamera::new(source, self.preview.as_ref(), clock);
        let mut last_hint = None;
        for _ in 0..looks {
            let mut frame = None;
            for _ in 0..every {
                match zk_drivers::Camera::frame(&mut camera) {
                    Ok(next) => frame = Some(next),
                    Err(error) => return Ok(SideOutcome::Device(error)),
                }
            }
            let Some(frame) = frame else {
                continue;
            };
            match ocr.look(&frame.image, side)? {
                Look::Hint(hint) => {
                    if last_hint != Some(hint) {
                        emit(KioskEvent::CardCapture { side, hint });
                        last_hint = Some(hint);
                    }
                }
                look => {
                    emit(KioskEvent::CardCapture {
                        side,
                        hint: CardHint::Read,
                    });
                    return Ok(SideOutcome::Found(look));
                }
            }
            if std::time::Instant::now() > deadline {
                break;
            }
        }
        Ok(SideOutcome::TimedOut)
    }

    /// The card read from both sides: the portrait stored as the ID photo, the read kept for
    /// the reviewer, the roster looked up. `None` when a field the card cannot do without was
    /// not read (logged by field name only).
    fn card_read_from(&mut self, front: Look, back: Look) -> Result<Option<Input>, AppError> {
        let (
            Look::Front {
                checked: front,
                card: front_card,
                portrait,
            },
            Look::Back {
                checked: back,
                card: back_card,
            },
        ) = (front, back)
        else {
            return Err(AppError::Image(
                "the card's sides were read in the wrong order".into(),
            ));
        };
        let portrait_jpeg = crate::card_ocr::jpeg(&portrait, 92)?;
        let card = match crate::card_ocr::id_card_of(&front, &back, portrait_jpeg.clone()) {
            Ok(card) => card,
            Err(missing) => {
                tracing::warn!(?missing, "the card read by the camera lacks fields");
                return Ok(None);
            }
        };
        let read = OcrRead {
            front,
            back,
            front_jpeg: crate::card_ocr::jpeg(&front_card, 88)?,
            back_jpeg: crate::card_ocr::jpeg(&back_card, 88)?,
            portrait_jpeg: portrait_jpeg.clone(),
        };
        let photo = self.put_artefact(ArtefactKind::IdPhoto, &portrait_jpeg)?;
        if let Some(session) = self.session.as_mut() {
            session.id_photo = Some(portrait_jpeg);
            session.ocr = Some(read);
        }
        let registration = self.store.registration_by_id_number(card.number.trim())?;
        Ok(Some(Input::CardRead {
            card: Box::new(card),
            registration: registration.map(Box::new),
            source: CardSource::Ocr,
            photo: Some(photo),
        }))
    }

    /// Staff read the card from two images (a photo or scan of each side, as a file): at the
    /// card step, in place of the reader and the camera. Each side must be found and read;
    /// otherwise the error says what was wrong with which image and the session is unchanged.
    pub fn read_card_from_images(
        &mut self,
        token: &StaffToken,
        front: &[u8],
        back: &[u8],
    ) -> Result<View, AppError> {
        self.authorize(token, StaffAction::TakeOver)?;
        let session = self.session.as_ref().ok_or(AppError::NoSession)?;
        if session.machine.step() != Some(Step::IdCard) {
            return Err(AppError::Rejected {
                input: "CardRead",
                why: "the card is read only at the card step",
            });
        }
        if !self.camera_reads_cards() {
            return Err(AppError::Rejected {
                input: "CardRead",
                why: "this desk cannot read card images (ocr is off or its models are missing)",
            });
        }
        let mut looks = Vec::with_capacity(2);
        for (side, bytes) in [(CardSide::Front, front), (CardSide::Back, back)] {
            let image = zk_vision::decode_image(bytes)
                .map_err(|error| AppError::Image(format!("the {} image: {error}", side.code())))?;
            let look = match self.card_ocr.as_mut() {
                Some(ocr) => ocr.look(&image, side)?,
                None => Look::Hint(CardHint::NoCard),
            };
            if let Look::Hint(hint) = look {
                return Err(AppError::CardImage {
                    side: side.code(),
                    problem: hint.code(),
                    message: hint.message(side),
                });
            }
            looks.push(look);
        }
        let mut looks = looks.into_iter();
        let (Some(front), Some(back)) = (looks.next(), looks.next()) else {
            return Err(AppError::Image("two card images are needed".into()));
        };
        let operator = token.operator.clone();
        self.audit_staff_action(&operator, "staff.card_images")?;
        match self.card_read_from(front, back)? {
            Some(input) => self.run(input),
            None => Err(AppError::CardImage {
                side: "front",
                problem: "unreadable",
                message: "the name, sex, birth date, number or validity could not be read from the images",
            }),
        }
    }

    /// Records the clip (camera and microphone at once, on one clock), stores it encrypted
    /// (MJPEG frames + WAV, [`crate::clip`]) and has the matcher judge it.
    fn record_liveness(&mut self, challenge: &Challenge, secs: u32) -> Result<Input, AppError> {
        self.announce_step();
        let fps = self.preview_config.fps;
        let duration = Duration::from_secs(u64::from(secs));
        // The lead-in: the digits show (and the screen speaks them) with the live preview;
        // the clip starts after it, so the kiosk's own voice is never recorded.
        // Only for someone watching, with a camera in real time: without a subscriber (the
        // scripted demo, the CLI) or with a full-speed simulator (tests) the clip records at once.
        let lead_in = if self.preview.is_some() && self.devices.camera.paced() {
            self.preview_config.lead_in(challenge.digits().len())
        } else {
            Duration::ZERO
        };
        if !lead_in.is_zero() {
            let clock = PhaseClock::new(PreviewStep::Liveness, PreviewPhase::LeadIn, lead_in, fps);
            let mut camera =
                TapCamera::new(self.devices.camera.as_mut(), self.preview.as_ref(), clock);
            if let Err(error) = camera.run_for(lead_in) {
                return Ok(self.device_failed("camera", &error, ReasonCode::CaptureFailed));
            }
        }
        let settings = RecordSettings::new(duration, CLIP_FPS);
        let clock = PhaseClock::new(
            PreviewStep::Liveness,
            PreviewPhase::Recording,
            duration,
            fps,
        );
        let mut camera = TapCamera::new(self.devices.camera.as_mut(), self.preview.as_ref(), clock);
        let recorded = match clip::record(&mut camera, self.devices.microphone.as_mut(), &settings)
        {
            Ok(recorded) => recorded,
            Err(failure) => {
                return Ok(self.device_failed(
                    failure.device,
                    &failure.error,
                    ReasonCode::CaptureFailed,
                ))
            }
        };
        let artefact = recorded.to_artefact()?;
        let clip_id = self.put_artefact(ArtefactKind::LivenessClip, &artefact)?;
        let id_photo = self
            .session
            .as_ref()
            .and_then(|session| session.id_photo.clone());
        let verdict = self.matcher.check_liveness(
            &recorded.liveness(challenge),
            id_photo.as_deref(),
            &self.policy,
        )?;
        Ok(Input::LivenessChecked {
            verdict,
            clip: Some(clip_id),
        })
    }

    fn capture_photo(&mut self, compare_face: bool) -> Result<Input, AppError> {
        self.announce_step();
        // The framing countdown: the live preview, then the photo is the last frame (without a
        // subscriber, at once).
        let countdown = if self.preview.is_some() && self.devices.camera.paced() {
            self.preview_config.photo_countdown()
        } else {
            Duration::ZERO
        };
        let clock = PhaseClock::new(
            PreviewStep::Photo,
            PreviewPhase::Framing,
            countdown,
            self.preview_config.fps,
        );
        let mut camera = TapCamera::new(self.devices.camera.as_mut(), self.preview.as_ref(), clock);
        let frame = match camera.run_for(countdown) {
            Ok(frame) => frame,
            Err(error) => {
                return Ok(self.device_failed("camera", &error, ReasonCode::CaptureFailed))
            }
        };
        let id_photo = self
            .session
            .as_ref()
            .and_then(|session| session.id_photo.clone());
        let check =
            self.matcher
                .check_photo(&frame, id_photo.as_deref(), compare_face, &self.policy)?;
        let photo = self.put_artefact(ArtefactKind::RegistrationPhoto, &check.jpeg)?;
        Ok(Input::PhotoChecked {
            verdict: check.verdict,
            photo: Some(photo),
        })
    }

    fn capture_signature(&mut self) -> Result<Input, AppError> {
        self.announce_step();
        self.devices.signature_pad.arm();
        self.emit(KioskEvent::AwaitingDevice {
            device: "signature_pad",
        });
        let strokes = match self.devices.signature_pad.capture(self.flow.step_timeout) {
            Ok(strokes) => strokes,
            Err(error) => {
                return Ok(self.device_failed("signature_pad", &error, ReasonCode::CaptureFailed))
            }
        };
        let model = "signature-checks-v1";
        if let Err(reason) = strokes.check() {
            let verdict = Verdict::fail(reason, model);
            return Ok(Input::SignatureCaptured {
                verdict,
                image: None,
                strokes: None,
            });
        }
        let png = zk_signature::render_png(&strokes, &zk_signature::RenderOptions::default())
            .map_err(|error| AppError::Image(error.to_string()))?;
        let pad = self.devices.signature_pad.info();
        let record = zk_signature::SignatureRecord::new(
            zk_signature::PadInfo {
                kind: pad.kind.to_owned(),
                model: pad.model,
                x_max: pad.x_max,
                y_max: pad.y_max,
                pressure_max: pad.pressure_max,
                points_per_mm: pad.points_per_mm,
            },
            strokes.clone(),
            &png,
        );
        let json = record
            .to_json()
            .map_err(|error| AppError::Image(error.to_string()))?;
        let image = self.put_artefact(ArtefactKind::SignatureImage, &png)?;
        let strokes_id = self.put_artefact(ArtefactKind::SignatureStrokes, &json)?;
        let verdict = Verdict::pass(model).with_score(zk_domain::Score::new(
            "ink_length",
            f64::from(strokes.ink_length()),
            300.0,
        ));
        Ok(Input::SignatureCaptured {
            verdict,
            image: Some(image),
            strokes: Some(strokes_id),
        })
    }
}

#[cfg(test)]
mod mask_tests {
    use super::mask_id_number;

    #[test]
    fn id_numbers_are_masked_in_the_middle() {
        assert_eq!(mask_id_number("42010619980314341X"), "4201**********341X");
        assert_eq!(mask_id_number(" 810000199001011234 "), "8100**********1234");
        assert_eq!(mask_id_number("ABC123456789012"), "ABC1*******9012");
        assert_eq!(mask_id_number("12345678"), "********");
        assert_eq!(mask_id_number(""), "");
    }
}

/// The start of the local day holding `now`, for a site `offset_minutes` east of UTC.
pub fn local_midnight(now: Timestamp, offset_minutes: i32) -> Timestamp {
    const DAY_MS: i64 = 24 * 60 * 60 * 1000;
    let offset = i64::from(offset_minutes) * 60 * 1000;
    let local = now.as_millis() + offset;
    Timestamp::from_millis(local - local.rem_euclid(DAY_MS) - offset)
}

#[cfg(test)]
mod day_tests {
    use super::*;

    #[test]
    fn the_day_starts_at_the_sites_local_midnight() {
        // 2025-12-06 01:30 in Beijing is 2025-12-05 17:30 UTC; that day began at 16:00 UTC.
        let now = Timestamp::from_millis(1_764_955_800_000);
        assert_eq!(
            local_midnight(now, 480),
            Timestamp::from_millis(1_764_950_400_000)
        );
        // At UTC itself, the same instant is on the 5th, which began at 00:00 UTC.
        assert_eq!(
            local_midnight(now, 0),
            Timestamp::from_millis(1_764_892_800_000)
        );
        // West of UTC too; midnight itself starts its own day.
        let midnight = local_midnight(now, -300);
        assert_eq!(local_midnight(midnight, -300), midnight);
        assert!(midnight <= now && now.since(midnight) < Duration::from_secs(86_400));
    }
}
