//! [`Kiosk`]: runs one candidate session at a time through the confirmation state machine,
//! executing its effects against the devices, the matcher and the store.

use std::collections::VecDeque;
use std::sync::mpsc::Sender;
use std::time::Duration;

use rand::RngCore;
use zk_domain::confirmation::Phase;
use zk_domain::{
    ArtefactId, ArtefactKind, CardPhoto, CardSource, Challenge, Confirmation, Decision, Effect,
    FlowConfig, Input, MatchPolicy, ReasonCode, Sitting, Step, Timestamp, Verdict, View,
};
use zk_drivers::{Camera, DeviceError, DeviceErrorKind, IdCardReader, Microphone, SignaturePad};
use zk_store::{SessionId, Store, StoreError};

use crate::clock::Clock;
use crate::config::AppConfig;
use crate::error::AppError;
use crate::matcher::{FaceMatcher, LivenessClip};

/// The kiosk's devices, each behind its driver trait.
pub struct Devices {
    pub reader: Box<dyn IdCardReader>,
    pub camera: Box<dyn Camera>,
    pub microphone: Box<dyn Microphone>,
    pub signature_pad: Box<dyn SignaturePad>,
    /// With the `touch` signature pad: where the UI sends the candidate's pointer events.
    pub touch_signature: Option<zk_drivers::signature::touch::TouchHandle>,
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
}

struct ActiveSession {
    id: SessionId,
    machine: Confirmation,
    /// The decoded card photo while the session lasts; dropped at the end.
    id_photo: Option<Vec<u8>>,
}

/// Frames per second taken from the camera while recording the liveness clip.
const CLIP_FPS: f32 = 10.0;
const SAMPLE_RATE: usize = 16_000;

pub struct Kiosk {
    store: Store,
    devices: Devices,
    matcher: Box<dyn FaceMatcher>,
    clock: Box<dyn Clock>,
    rng: Box<dyn RngCore + Send>,
    flow: FlowConfig,
    policy: MatchPolicy,
    sitting: Sitting,
    low_water: u32,
    consent_version: String,
    events: Option<Sender<KioskEvent>>,
    session: Option<ActiveSession>,
}

impl Kiosk {
    pub fn new(
        config: &AppConfig,
        store: Store,
        devices: Devices,
        matcher: Box<dyn FaceMatcher>,
        clock: Box<dyn Clock>,
        rng: Box<dyn RngCore + Send>,
    ) -> Result<Kiosk, AppError> {
        Ok(Kiosk {
            store,
            devices,
            matcher,
            clock,
            rng,
            flow: config.flow_config()?,
            policy: config.match_policy()?,
            sitting: config.sitting()?,
            low_water: config.flow.serial_low_water,
            consent_version: config.flow.consent_version.clone(),
            events: None,
            session: None,
        })
    }

    /// Sends every [`KioskEvent`] to `sender` from now on.
    pub fn subscribe(&mut self, sender: Sender<KioskEvent>) {
        self.events = Some(sender);
    }

    /// With the `touch` signature pad: the handle the UI sends pointer events through.
    pub fn touch_signature(&self) -> Option<zk_drivers::signature::touch::TouchHandle> {
        self.devices.touch_signature.clone()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
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
        &self.consent_version
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
        });
        for effect in effects {
            self.execute(effect)?;
        }
        self.current_view()
    }

    pub fn give_consent(&mut self) -> Result<View, AppError> {
        let version = self.consent_version.clone();
        self.handle(Input::ConsentGiven { version })
    }

    /// Feeds one input and runs every effect it causes (device reads, matching, commit) until the
    /// session waits for the candidate or staff again. Returns the view after that.
    pub fn handle(&mut self, input: Input) -> Result<View, AppError> {
        let mut queue = VecDeque::from([input]);
        let mut first = true;
        while let Some(input) = queue.pop_front() {
            let now = self.clock.now();
            let session = self.session.as_mut().ok_or(AppError::NoSession)?;
            let effects = session.machine.handle(input, now);
            for effect in effects {
                if let Effect::Rejected { input, why } = effect {
                    if first {
                        return Err(AppError::Rejected { input, why });
                    }
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
        Ok(self.store.put_artefact(session, kind, bytes, now)?)
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
                self.store.record_outcome(session, &outcome)?;
                if let Some(operator) = &outcome.operator {
                    // Staff decisions and overrides go to the hash-chained audit log (no personal data).
                    let detail = format!(
                        "session={} step={} decision={} reason={}",
                        session.0,
                        outcome.step.code(),
                        outcome.decision.code(),
                        outcome.decision.reason().map_or("-", ReasonCode::code)
                    );
                    self.store
                        .append_audit(operator, "staff_decision", &detail, outcome.at)?;
                }
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

    fn read_card(&mut self) -> Result<Input, AppError> {
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

    fn record_liveness(&mut self, challenge: &Challenge, secs: u32) -> Result<Input, AppError> {
        let frame_count = (secs as f32 * CLIP_FPS.min(self.devices.camera.frame_rate()))
            .round()
            .max(1.0) as usize;
        let mut frames = Vec::with_capacity(frame_count);
        for _ in 0..frame_count {
            match self.devices.camera.frame() {
                Ok(frame) => frames.push(frame),
                Err(error) => {
                    return Ok(self.device_failed("camera", &error, ReasonCode::CaptureFailed))
                }
            }
        }
        let samples = SAMPLE_RATE * secs as usize;
        let audio = match self
            .devices
            .microphone
            .record(samples, Duration::from_secs(u64::from(secs) + 3))
        {
            Ok(audio) => audio,
            Err(error) => {
                return Ok(self.device_failed("microphone", &error, ReasonCode::CaptureFailed))
            }
        };
        let wav = audio.to_wav_bytes().map_err(AppError::Device)?;
        let clip_id = self.put_artefact(ArtefactKind::LivenessClip, &wav)?;
        let id_photo = self
            .session
            .as_ref()
            .and_then(|session| session.id_photo.clone());
        let clip = LivenessClip {
            frames: &frames,
            audio: &audio,
            challenge,
        };
        let verdict = self
            .matcher
            .check_liveness(&clip, id_photo.as_deref(), &self.policy)?;
        Ok(Input::LivenessChecked {
            verdict,
            clip: Some(clip_id),
        })
    }

    fn capture_photo(&mut self, compare_face: bool) -> Result<Input, AppError> {
        let frame = match self.devices.camera.frame() {
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
