//! The scripted demo: three candidates through the whole flow with the simulators.
//!
//! - A passes every step and gets an admission number;
//! - B's card name differs from the roster (王芳 vs 王芳芳): the card step goes to staff review and
//!   staff reject it;
//! - C fails liveness three times (scripted low lip-sync score), the step routes to staff, a
//!   reviewer (overriding a failed match needs that role) approves after comparing the face by
//!   eye, with the desk operator as second person, and C is confirmed.
//!
//! Staff act through signed-in accounts (`demo-staff`, operator; `demo-reviewer`, reviewer;
//! `demo-admin`, the site admin who exports bundles), made in the store on first run with the
//! demo PINs below — demo only.
//!
//! Face matching is real (`VisionFaceMatcher`: rustface + dlib, the models from
//! `scripts/fetch-models.sh`): the card photo from the reader against the camera frames, and the
//! registration photo's spec checks. The camera is SIMULATED: each candidate's demo photo placed
//! in front of the desk's blue screen (`zk_vision::synthetic`), as still frames. The speech half
//! of liveness is SIMULATED (`ScriptedLiveness`, `assets/sim/matcher.json`: speech seconds and
//! lip-sync scores). The ID card reader is the protocol simulator on a pseudo-terminal driven by
//! the real serial driver. Everything else — validation, roster match, state machine,
//! encryption, commit — is the real code.

use std::path::Path;
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};

use rand::SeedableRng;
use zk_domain::{Decision, Input, ReasonCode, Role, SerialBlock};
use zk_drivers::camera::sim::SimCamera;
use zk_drivers::id_card::photo::ImagePhotoDecoder;
use zk_drivers::id_card::sam_sim::Timing;
use zk_drivers::id_card::SimulatedSerialReader;
use zk_drivers::microphone::sim::SimMicrophone;
use zk_drivers::signature::sim::SimSignaturePad;
use zk_drivers::{Camera, DeviceError, Frame};
use zk_store::{NewOperator, Store};

use crate::clock::SystemClock;
use crate::config::AppConfig;
use crate::error::AppError;
use crate::kiosk::{Devices, Kiosk, KioskEvent};
use crate::matcher::{ScriptedLiveness, VisionFaceMatcher};
use crate::staff::{StaffCommand, StaffToken};
use zk_vision::{synthetic, FaceVerifier, ModelPaths, VerifierConfig};

/// The demo roster's candidates that the demo walks through, in `assets/sim/cards.json` order.
const DEMO_REGISTRATIONS: [&str; 3] = ["271420100001", "271420100002", "271420200003"];
const STAFF: &str = "demo-staff";
const REVIEWER: &str = "demo-reviewer";
const ADMIN: &str = "demo-admin";
/// Demo-only secrets of the demo accounts (a real desk's accounts are made with `zk operator add`).
const STAFF_PIN: &str = "246813";
const REVIEWER_PIN: &str = "135792";
const ADMIN_PIN: &str = "864200";

/// How each demo candidate ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CandidateResult {
    pub label: &'static str,
    pub admission_number: Option<String>,
    pub ended: Option<ReasonCode>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DemoReport {
    pub candidates: Vec<CandidateResult>,
}

impl DemoReport {
    pub fn summary(&self) -> String {
        let mut lines = vec!["demo summary:".to_owned()];
        for candidate in &self.candidates {
            let outcome = match (&candidate.admission_number, candidate.ended) {
                (Some(number), _) => format!("confirmed, admission number {number}"),
                (None, Some(reason)) => {
                    format!("not confirmed ({reason}: {})", reason.message_en())
                }
                (None, None) => "unfinished".to_owned(),
            };
            lines.push(format!("  candidate {}: {outcome}", candidate.label));
        }
        lines.join("\n")
    }
}

/// A camera whose source the demo switches per candidate (each has their own live photos).
#[derive(Clone)]
struct SwitchableCamera(Arc<Mutex<Box<dyn Camera>>>);

impl SwitchableCamera {
    fn switch_to(&self, camera: Box<dyn Camera>) {
        let mut guard = match self.0.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = camera;
    }
}

impl Camera for SwitchableCamera {
    fn frame(&mut self) -> Result<Frame, DeviceError> {
        let mut guard = match self.0.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        guard.frame()
    }

    fn frame_rate(&self) -> f32 {
        match self.0.lock() {
            Ok(guard) => guard.frame_rate(),
            Err(poisoned) => poisoned.into_inner().frame_rate(),
        }
    }

    fn paced(&self) -> bool {
        match self.0.lock() {
            Ok(guard) => guard.paced(),
            Err(poisoned) => poisoned.into_inner().paced(),
        }
    }
}

/// The simulated camera for one candidate: their demo photo in front of the blue screen, framed
/// as the photo guide asks, as still 640×480 frames at 30 a second (a webcam's rate) — in real time for the
/// interactive desk (the preview, the lead-in and the photo countdown last as long as on a real
/// kiosk), at full speed for the scripted demo.
fn live_camera(
    verifier: &FaceVerifier,
    assets: &Path,
    photo: &str,
    realtime: bool,
) -> Result<Box<dyn Camera>, AppError> {
    let path = assets.join("demo").join(photo);
    let bytes = std::fs::read(&path).map_err(|error| {
        AppError::AssetsMissing(format!("cannot read {}: {error}", path.display()))
    })?;
    let source = zk_vision::decode_image(&bytes)?;
    let frame = synthetic::portrait(
        verifier,
        &source,
        (640, 480),
        synthetic::FRAME,
        synthetic::ID_BLUE,
    )?;
    Ok(Box::new(
        SimCamera::from_images(vec![frame], 30.0)?.realtime(realtime),
    ))
}

/// Prepares `store` for the demo: the demo roster, a serial block per demo district and the demo
/// staff accounts (each only when missing). Refuses a store that already confirmed a demo
/// candidate when `fresh` (the scripted demo needs them unconfirmed).
fn seed_store(
    config: &AppConfig,
    store: &mut Store,
    assets: &Path,
    now: zk_domain::Timestamp,
    fresh: bool,
    out: &mut dyn FnMut(&str),
) -> Result<(), AppError> {
    let roster = assets.join("demo").join("roster.csv");
    if fresh || store.registrations(None, 1, 0)?.is_empty() {
        let report = store.import_roster_file(&roster, now)?;
        out(&format!(
            "roster: imported {} demo registrations from {}",
            report.rows,
            roster.display()
        ));
    }
    for registration_id in DEMO_REGISTRATIONS {
        let confirmed = store
            .registrations(
                Some(zk_domain::RegistrationStatus::Confirmed),
                usize::MAX,
                0,
            )?
            .iter()
            .any(|row| row.registration_id == registration_id);
        if confirmed && fresh {
            return Err(AppError::Config(format!(
                "this store already holds the demo's confirmation of {registration_id}; pass a fresh --store DIR"
            )));
        }
    }
    let sitting = config.sitting()?;
    for district in ["4201", "4202"] {
        let has_block = store
            .serial_blocks()?
            .iter()
            .any(|b| b.district == district && b.sitting == sitting);
        if !has_block {
            let block_id = format!("demo-{district}-{}", sitting.code());
            let block = SerialBlock::new(&block_id, district, sitting, 1, 500)
                .map_err(|error| AppError::Config(error.to_string()))?;
            store.add_serial_block(&block, "demo", now)?;
            out(&format!("serials: demo block {block_id} (district {district}, serials 00001–00500) recorded"));
        }
    }

    let staff_policy = config.security.staff_policy()?;
    for (id, role, pin) in [
        (STAFF, Role::Operator, STAFF_PIN),
        (REVIEWER, Role::Reviewer, REVIEWER_PIN),
        (ADMIN, Role::Admin, ADMIN_PIN),
    ] {
        if store.operator(id)?.is_none() {
            let new = NewOperator {
                id: id.to_owned(),
                display_name: format!("demo {role}"),
                role,
            };
            store.add_operator(&new, pin, &staff_policy, "demo", now)?;
            out(&format!("staff: demo account {id} ({role}) created"));
        }
    }

    Ok(())
}

/// The face verifier the demo matches with, from `matcher.models_dir` or the default folder.
fn demo_verifier(config: &AppConfig) -> Result<Arc<FaceVerifier>, AppError> {
    let paths = match &config.matcher.models_dir {
        Some(dir) => ModelPaths::in_dir(dir),
        None => ModelPaths::from_env()?,
    };
    Ok(Arc::new(FaceVerifier::open(
        VerifierConfig::default(),
        &paths,
    )?))
}

/// Runs the demo on `store` (in memory or a desk folder); `out` receives one line per event.
pub fn run(
    config: &AppConfig,
    mut store: Store,
    assets: &Path,
    out: &mut dyn FnMut(&str),
) -> Result<DemoReport, AppError> {
    let clock = SystemClock;
    let now = crate::Clock::now(&clock);
    seed_store(config, &mut store, assets, now, true, out)?;
    let sim = assets.join("sim");
    let verifier = demo_verifier(config)?;
    let camera = SwitchableCamera(Arc::new(Mutex::new(live_camera(
        &verifier,
        assets,
        "candidate-a-live.jpg",
        false,
    )?)));
    let reader = DemoReader::start(&sim.join("cards.json"), config.drivers.id_card.sim_baud)?;
    out(&format!(
        "reader: the protocol simulator on {} with the real serial driver (GA/T 467 frames over a pseudo-terminal)",
        reader.simulator().slave_path().display()
    ));
    let devices = Devices {
        reader: Box::new(reader),
        camera: Box::new(camera.clone()),
        microphone: Box::new(SimMicrophone::from_file(&sim.join("digits.wav"))?),
        signature_pad: Box::new(SimSignaturePad::from_file(&sim.join("signature.json"))?),
        touch_signature: None,
        card_camera: None,
    };
    let matcher = VisionFaceMatcher::new(
        verifier.clone(),
        Box::new(ScriptedLiveness::from_file(&sim.join("matcher.json"))?),
    );
    out(&format!(
        "matcher: real face matching ({}); camera SIMULATED (each demo photo before the blue screen); speech and lip sync SIMULATED (assets/sim/matcher.json)",
        verifier.model_version()
    ));
    // The kiosk finds the consent texts in the same assets folder as the demo's files. Nobody
    // watches a screen here: no live preview, so no lead-in or photo countdown either (the
    // simulators run at full speed, and a camera read ahead of the microphone would leave the
    // clip without frames).
    let mut config = config.clone();
    config.assets_dir = Some(assets.to_path_buf());
    config.preview.fps = 0.0;
    let mut kiosk = Kiosk::new(
        &config,
        store,
        devices,
        Box::new(matcher),
        Box::new(clock),
        Box::new(rand::rngs::StdRng::from_os_rng()),
    )?;
    let (sender, events) = channel();
    kiosk.subscribe(sender);
    let consent = kiosk.consent_version().to_owned();
    let declaration = vec![
        ("health.fever_14d".to_owned(), false),
        ("health.contact_14d".to_owned(), false),
    ];

    let mut candidates = Vec::new();

    let begin = |kiosk: &mut Kiosk, out: &mut dyn FnMut(&str), title: &str, live_photo: &str| {
        out("");
        out(title);
        camera.switch_to(live_camera(&verifier, assets, live_photo, false)?);
        kiosk.start_session()?;
        let consent = Input::ConsentGiven {
            version: consent.clone(),
        };
        act(kiosk, &events, out, "candidate gives consent", consent)
    };

    begin(
        &mut kiosk,
        out,
        "── candidate A: every step passes",
        "candidate-a-live.jpg",
    )?;
    let pledge = Input::PledgeAccepted {
        declaration: declaration.clone(),
    };
    act(
        &mut kiosk,
        &events,
        out,
        "candidate accepts the pledge",
        pledge,
    )?;
    act(
        &mut kiosk,
        &events,
        out,
        "candidate accepts the signature shown back",
        Input::SignatureAccepted,
    )?;
    candidates.push(result("A", &kiosk));

    let title = "── candidate B: the name on the card differs from the registration";
    begin(&mut kiosk, out, title, "candidate-b-live.jpg")?;
    let staff = kiosk.sign_in(STAFF, STAFF_PIN)?;
    out(&format!("  > staff sign in as {STAFF} (operator)"));
    let reject = StaffCommand::Reject {
        reason: Some(ReasonCode::NameDiffers),
        note: "name on the ID card differs from the online registration; sent to the registration office to correct it".into(),
    };
    act_staff(
        &mut kiosk,
        &events,
        out,
        &staff,
        "staff reject the card step",
        reject,
    )?;
    candidates.push(result("B", &kiosk));

    let title = "── candidate C: liveness fails three times, staff compare and approve";
    begin(&mut kiosk, out, title, "candidate-c-live.png")?;
    act(&mut kiosk, &events, out, "candidate retries", Input::Retry)?;
    act(&mut kiosk, &events, out, "candidate retries", Input::Retry)?;
    let reviewer = kiosk.sign_in(REVIEWER, REVIEWER_PIN)?;
    out(&format!(
        "  > {REVIEWER} signs in (reviewer: overriding a failed match needs that role)"
    ));
    let approve = StaffCommand::Approve {
        reason: Some(ReasonCode::LipSyncLow),
        note: "compared the candidate's face with the card photo in person; candidate reads slowly"
            .into(),
        second: Some(staff.clone()),
    };
    act_staff(
        &mut kiosk,
        &events,
        out,
        &reviewer,
        "reviewer approves the liveness step (second person: the desk operator)",
        approve,
    )?;
    kiosk.sign_out(&reviewer)?;
    let pledge = Input::PledgeAccepted { declaration };
    act(
        &mut kiosk,
        &events,
        out,
        "candidate accepts the pledge",
        pledge,
    )?;
    act(
        &mut kiosk,
        &events,
        out,
        "candidate clears the signature and signs again",
        Input::Retry,
    )?;
    act(
        &mut kiosk,
        &events,
        out,
        "candidate accepts the signature shown back",
        Input::SignatureAccepted,
    )?;
    candidates.push(result("C", &kiosk));
    kiosk.sign_out(&staff)?;

    Ok(DemoReport { candidates })
}

fn result(label: &'static str, kiosk: &Kiosk) -> CandidateResult {
    use zk_domain::confirmation::Phase;
    match kiosk.view().map(|view| view.phase) {
        Some(Phase::Confirmed { admission_number }) => CandidateResult {
            label,
            admission_number: Some(admission_number.to_string()),
            ended: None,
        },
        Some(Phase::Ended { reason }) => CandidateResult {
            label,
            admission_number: None,
            ended: Some(reason),
        },
        _ => CandidateResult {
            label,
            admission_number: None,
            ended: None,
        },
    }
}

/// Feeds one input and prints what happened.
fn act(
    kiosk: &mut Kiosk,
    events: &Receiver<KioskEvent>,
    out: &mut dyn FnMut(&str),
    label: &str,
    input: Input,
) -> Result<(), AppError> {
    out(&format!("  > {label}"));
    let result = kiosk.handle(input);
    print_events(events, out);
    result.map(|_| ())
}

/// A staff command by `token`, printed like [`act`].
fn act_staff(
    kiosk: &mut Kiosk,
    events: &Receiver<KioskEvent>,
    out: &mut dyn FnMut(&str),
    token: &StaffToken,
    label: &str,
    command: StaffCommand,
) -> Result<(), AppError> {
    out(&format!("  > {label}"));
    let result = kiosk.staff(token, command);
    print_events(events, out);
    result.map(|_| ())
}

/// One line per event, a repeated line once (a step is announced before its device works and
/// again after).
fn print_events(events: &Receiver<KioskEvent>, out: &mut dyn FnMut(&str)) {
    let mut last: Option<String> = None;
    for event in events.try_iter() {
        if let Some(line) = describe(&event) {
            if last.as_deref() != Some(line.as_str()) {
                out(&line);
            }
            last = Some(line);
        }
    }
}

fn describe(event: &KioskEvent) -> Option<String> {
    match event {
        KioskEvent::StepChanged(view) => view
            .challenge
            .as_ref()
            .map(|c| format!("    digits shown and spoken: {}", c.as_text())),
        KioskEvent::OutcomeRecorded {
            step,
            decision,
            operator,
        } => {
            let who = operator
                .as_ref()
                .map(|op| format!(" (staff {op})"))
                .unwrap_or_default();
            Some(match decision {
                Decision::Pass => format!("    {:<10} pass{who}", step.code()),
                Decision::Fail(reason) => format!(
                    "    {:<10} FAIL {reason}{who}: {}",
                    step.code(),
                    reason.message_en()
                ),
                Decision::Review(reason) => format!(
                    "    {:<10} REVIEW {reason}: {}",
                    step.code(),
                    reason.message_en()
                ),
            })
        }
        KioskEvent::AwaitingDevice { .. } | KioskEvent::CameraFrame(_) => None,
        KioskEvent::CardCapture { side, hint } => Some(format!(
            "    card by camera, {} side: {}",
            side.code(),
            hint.message(*side)
        )),
        KioskEvent::StaffRequested { step, reason } => Some(format!(
            "    ! staff requested at {} ({})",
            step.code(),
            reason.map_or("takeover", ReasonCode::code)
        )),
        KioskEvent::DeviceProblem {
            device, message, ..
        } => Some(format!("    ! {device}: {message}")),
        KioskEvent::SerialsLow { remaining } => {
            Some(format!("    ! only {remaining} admission serials left"))
        }
        KioskEvent::SessionEnded {
            confirmed: true,
            admission_number,
            ..
        } => Some(format!(
            "    ✔ confirmed — admission number (准考证号) {}",
            admission_number.as_deref().unwrap_or("?")
        )),
        KioskEvent::SessionEnded { reason, .. } => Some(format!(
            "    ✘ session ended: {}",
            reason.map_or("ended", ReasonCode::code)
        )),
        KioskEvent::StaffSignedIn { .. } => None,
        KioskEvent::StaffSignedOut { operator, why } => {
            Some(format!("    staff {operator} signed out ({why})"))
        }
        KioskEvent::RetentionPurged { purged } => {
            Some(format!("    retention: {purged} expired artefacts erased"))
        }
        KioskEvent::ImageStored { .. } => None,
    }
}

/// The demo candidates' live photos, by ID number (`assets/sim/cards.json` order).
const DEMO_LIVE_PHOTOS: [(&str, &str); 3] = [
    ("110101199003070011", "candidate-a-live.jpg"),
    ("420111199506150246", "candidate-b-live.jpg"),
    ("42010219980920046X", "candidate-c-live.png"),
];

/// The interactive demo's reader: the protocol simulator on a pseudo-terminal behind the real
/// serial driver, started again after its last card (so the demo cards come round again), and
/// pointing the simulated camera at the live photo of the card just read.
struct DemoReader {
    cards: std::path::PathBuf,
    baud: u32,
    reader: SimulatedSerialReader,
    read: usize,
    camera: SwitchableCamera,
    verifier: Arc<FaceVerifier>,
    assets: std::path::PathBuf,
}

impl DemoReader {
    fn start(cards: &Path, baud: u32) -> Result<SimulatedSerialReader, DeviceError> {
        SimulatedSerialReader::start(
            cards,
            baud,
            Timing::REALISTIC,
            Some(Box::new(ImagePhotoDecoder)),
        )
    }
}

impl zk_drivers::IdCardReader for DemoReader {
    fn read(
        &mut self,
        timeout: std::time::Duration,
    ) -> Result<Option<zk_domain::IdCard>, DeviceError> {
        if self.read == DEMO_LIVE_PHOTOS.len() {
            self.reader = DemoReader::start(&self.cards, self.baud)?;
            self.read = 0;
        }
        let card = self.reader.read(timeout)?;
        if let Some(card) = &card {
            self.read += 1;
            let photo = DEMO_LIVE_PHOTOS
                .iter()
                .find(|(number, _)| *number == card.number.trim())
                .map(|(_, photo)| *photo);
            if let Some(photo) = photo {
                match live_camera(&self.verifier, &self.assets, photo, true) {
                    Ok(camera) => self.camera.switch_to(camera),
                    Err(error) => tracing::warn!("demo camera: {error}"),
                }
            }
        }
        Ok(card)
    }
}

/// The interactive demo's card held up to the camera (when the candidate or staff choose the
/// camera at the card step): a 样本 specimen of demo candidate A's card, drawn from the demo
/// card's data and photo (never a real card image), the portrait side for 3 s, then the emblem
/// side for 3 s, round and round, at 15 frames a second in real time. Drawn on first use. When a
/// new read starts, the face camera is pointed at A's live photo (it is A at the desk).
struct DemoCardCamera {
    assets: std::path::PathBuf,
    face: SwitchableCamera,
    verifier: Arc<FaceVerifier>,
    sides: Option<[image::RgbImage; 2]>,
    started: Option<std::time::Instant>,
    last_frame: Option<std::time::Instant>,
}

impl DemoCardCamera {
    const FRAME_RATE: f32 = 15.0;
    const SIDE_SECS: u64 = 3;

    fn draw(&self) -> Result<[image::RgbImage; 2], DeviceError> {
        let unavailable = |detail: String| DeviceError::Unsupported {
            device: zk_drivers::Device::Camera,
            detail: format!("the demo card camera ({detail})"),
        };
        let mut reader =
            zk_drivers::SimIdCardReader::from_file(&self.assets.join("sim/cards.json"))?;
        let card = zk_drivers::IdCardReader::read(&mut reader, std::time::Duration::from_secs(1))?
            .ok_or_else(|| unavailable("no demo card".into()))?;
        let photo = card
            .photo
            .decoded_bytes()
            .ok_or_else(|| unavailable("the demo card has no photo".into()))
            .and_then(|bytes| {
                zk_vision::decode_image(bytes).map_err(|error| unavailable(error.to_string()))
            })?;
        crate::card_ocr::specimen_frames(&card, &photo)
            .map_err(|error| unavailable(error.to_string()))
    }
}

impl Camera for DemoCardCamera {
    fn frame(&mut self) -> Result<Frame, DeviceError> {
        let now = std::time::Instant::now();
        if self
            .last_frame
            .is_none_or(|last| now.duration_since(last) > std::time::Duration::from_secs(10))
        {
            match live_camera(&self.verifier, &self.assets, DEMO_LIVE_PHOTOS[0].1, true) {
                Ok(camera) => self.face.switch_to(camera),
                Err(error) => tracing::warn!("demo camera: {error}"),
            }
        }
        let sides = match self.sides.take() {
            Some(sides) => sides,
            None => self.draw()?,
        };
        let started = *self.started.get_or_insert(now);
        // Paced like a camera: the next frame is due a frame interval after the last.
        if let Some(last) = self.last_frame {
            let interval = std::time::Duration::from_secs_f32(1.0 / Self::FRAME_RATE);
            if let Some(wait) = (last + interval).checked_duration_since(now) {
                std::thread::sleep(wait);
            }
        }
        let at = std::time::Instant::now();
        self.last_frame = Some(at);
        let elapsed = at.duration_since(started);
        let side = usize::from((elapsed.as_secs() / Self::SIDE_SECS) % 2 == 1);
        let image = sides[side].clone();
        self.sides = Some(sides);
        Ok(Frame::now(image, elapsed.as_millis() as u64))
    }

    fn frame_rate(&self) -> f32 {
        Self::FRAME_RATE
    }

    fn paced(&self) -> bool {
        true
    }
}

/// The interactive demo desk (the kiosk app's default): simulated devices and the demo data.
pub struct DemoDesk {
    pub kiosk: Kiosk,
    /// Where the UI sends the candidate's signature strokes (the touch screen is the pad).
    pub touch: zk_drivers::signature::touch::TouchHandle,
}

/// Opens the kiosk the app runs by default: `store` seeded with the demo roster, serial blocks
/// and staff accounts (`demo-staff` / 246813, `demo-reviewer` / 135792, `demo-admin` / 864200 —
/// demo only) when they
/// are missing; the ID card reader is the protocol simulator behind the real serial driver
/// (cycling through the three demo cards); the camera shows each demo candidate's photo before
/// the blue screen; the microphone plays `assets/sim/digits.wav`; the signature pad is the touch
/// screen. Face matching is real; the speech half of liveness is scripted
/// (`assets/sim/matcher-kiosk.json`).
pub fn open_desk(
    config: &AppConfig,
    mut store: Store,
    assets: &Path,
    out: &mut dyn FnMut(&str),
) -> Result<DemoDesk, AppError> {
    let clock = SystemClock;
    let now = crate::Clock::now(&clock);
    seed_store(config, &mut store, assets, now, false, out)?;
    let sim = assets.join("sim");
    let verifier = demo_verifier(config)?;
    let camera = SwitchableCamera(Arc::new(Mutex::new(live_camera(
        &verifier,
        assets,
        DEMO_LIVE_PHOTOS[0].1,
        true,
    )?)));
    let cards = sim.join("cards.json");
    let baud = config.drivers.id_card.sim_baud;
    let reader = DemoReader {
        reader: DemoReader::start(&cards, baud)?,
        cards,
        baud,
        read: 0,
        camera: camera.clone(),
        verifier: verifier.clone(),
        assets: assets.to_path_buf(),
    };
    let (pad, touch) = zk_drivers::signature::touch::TouchSignaturePad::new();
    let devices = Devices {
        reader: Box::new(reader),
        camera: Box::new(camera.clone()),
        microphone: Box::new(SimMicrophone::from_file(&sim.join("digits.wav"))?.realtime(true)),
        signature_pad: Box::new(pad),
        touch_signature: Some(touch.clone()),
        card_camera: Some(Box::new(DemoCardCamera {
            assets: assets.to_path_buf(),
            face: camera,
            verifier: verifier.clone(),
            sides: None,
            started: None,
            last_frame: None,
        })),
    };
    let matcher = VisionFaceMatcher::new(
        verifier,
        Box::new(ScriptedLiveness::from_file(
            &sim.join("matcher-kiosk.json"),
        )?),
    );
    let mut config = config.clone();
    config.assets_dir = Some(assets.to_path_buf());
    let kiosk = Kiosk::new(
        &config,
        store,
        devices,
        Box::new(matcher),
        Box::new(clock),
        Box::new(rand::rngs::StdRng::from_os_rng()),
    )?;
    Ok(DemoDesk { kiosk, touch })
}
