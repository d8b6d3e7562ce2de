//! zk-shell: the Tauri shell of the kiosk. Only this crate knows Tauri and JSON; every command is
//! a thin adapter over `zk_app::Kiosk` (`docs/ipc.md` is the contract with `ui/`).
#![forbid(unsafe_code)]

pub mod commands;
pub mod desk;
pub mod dto;
pub mod error;
pub mod open;
pub mod sync;

#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod tests_support;

use std::sync::mpsc::{channel, Receiver};
use std::sync::Arc;
use std::time::Duration;

use tauri::{Emitter, Runtime};
use zk_app::KioskEvent;

use crate::desk::Desk;
use crate::dto::{DeviceStatusEvent, ReasonDto, SessionEndedEvent, StaffAlertEvent, ViewDto};
use crate::sync::SyncWorker;

pub use open::{run, Options};

/// The shell's events (`docs/ipc.md`).
pub const STEP_CHANGED: &str = "kiosk://step-changed";
pub const DEVICE_STATUS: &str = "kiosk://device-status";
pub const STAFF_ALERT: &str = "kiosk://staff-alert";
pub const SESSION_ENDED: &str = "kiosk://session-ended";
pub const SYNC_PROGRESS: &str = "kiosk://sync-progress";
pub const CAMERA_FRAME: &str = "kiosk://camera-frame";
pub const CARD_CAPTURE: &str = "kiosk://card-capture";

/// The app on any runtime (the real one, or `tauri::test::mock_builder()` in tests): state,
/// commands, the event forwarder and the timer. `events` is the receiving end of the kiosk's
/// subscription; `window` opens the kiosk window at start (`None`: the caller makes its own).
pub fn run_app<R: Runtime>(
    builder: tauri::Builder<R>,
    desk: Arc<Desk>,
    events: Receiver<KioskEvent>,
    sync: Arc<SyncWorker>,
    window: Option<open::WindowSpec>,
) -> tauri::Builder<R> {
    builder
        .manage(Arc::clone(&desk))
        .manage(Arc::clone(&sync))
        .setup(move |app| {
            if let Some(spec) = window {
                open::open_window(app, &spec)?;
            }
            let handle = app.handle().clone();
            let forward_desk = Arc::clone(&desk);
            std::thread::Builder::new()
                .name("kiosk-events".into())
                .spawn(move || forward(&handle, &forward_desk, &events))?;
            let tick_desk = Arc::clone(&desk);
            let tick_handle = app.handle().clone();
            std::thread::Builder::new()
                .name("kiosk-tick".into())
                .spawn(move || tick(&tick_handle, &tick_desk))?;
            let sync_handle = app.handle().clone();
            let emit: sync::Emit = Box::new(move |progress| {
                if let Err(error) = sync_handle.emit(SYNC_PROGRESS, progress) {
                    tracing::warn!("cannot send an event to the window: {error}");
                }
            });
            std::thread::Builder::new()
                .name("kiosk-sync".into())
                .spawn(move || sync.run(&emit))?;
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::candidate::app_info,
            commands::candidate::documents,
            commands::candidate::current_view,
            commands::candidate::start_session,
            commands::candidate::give_consent,
            commands::candidate::decline_consent,
            commands::candidate::retry,
            commands::candidate::accept_pledge,
            commands::candidate::decline_pledge,
            commands::candidate::accept_signature,
            commands::candidate::activity,
            commands::media::artefact_image,
            commands::media::signature_stroke,
            commands::media::signature_clear,
            commands::media::signature_done,
            commands::staff::staff_sign_in,
            commands::staff::staff_sign_out,
            commands::staff::desk_status,
            commands::staff::review,
            commands::staff::staff_command,
            commands::staff::today_list,
            commands::staff::sync_now,
            commands::staff::sync_export,
            commands::staff::card_from_images,
            commands::candidate::read_card_with,
        ])
}

/// Turns kiosk events into the UI's events until the kiosk goes away.
fn forward<R: Runtime>(app: &tauri::AppHandle<R>, desk: &Desk, events: &Receiver<KioskEvent>) {
    for event in events {
        desk.observe(&event);
        let sent = match &event {
            KioskEvent::StepChanged(view) => {
                let images = desk.observed().images.clone();
                app.emit(
                    STEP_CHANGED,
                    ViewDto::new(view, &images, desk.record_secs()),
                )
            }
            KioskEvent::AwaitingDevice { device } => app.emit(
                DEVICE_STATUS,
                DeviceStatusEvent {
                    device: (*device).to_owned(),
                    state: "waiting".into(),
                    kind: None,
                    message: None,
                },
            ),
            KioskEvent::DeviceProblem {
                device,
                kind,
                message,
            } => app.emit(
                DEVICE_STATUS,
                DeviceStatusEvent {
                    device: (*device).to_owned(),
                    state: "problem".into(),
                    kind: Some(format!("{kind:?}")),
                    message: Some(message.clone()),
                },
            ),
            KioskEvent::StaffRequested { step, reason } => app.emit(
                STAFF_ALERT,
                StaffAlertEvent {
                    step: dto::step_name(*step).to_owned(),
                    reason: reason.map(ReasonDto::from),
                },
            ),
            KioskEvent::SessionEnded {
                confirmed,
                admission_number,
                reason,
            } => app.emit(
                SESSION_ENDED,
                SessionEndedEvent {
                    confirmed: *confirmed,
                    admission_number: admission_number.clone(),
                    reason: reason.map(ReasonDto::from),
                },
            ),
            KioskEvent::CameraFrame(frame) => {
                app.emit(CAMERA_FRAME, dto::CameraFrameEvent::new(frame))
            }
            KioskEvent::CardCapture { side, hint } => {
                app.emit(CARD_CAPTURE, dto::CardCaptureEvent::new(*side, *hint))
            }
            _ => Ok(()),
        };
        if let Err(error) = sent {
            tracing::warn!("cannot send an event to the window: {error}");
        }
    }
}

/// Once a second, while a session is open and no step is running: the idle timer (warning, then
/// the wipe) and the kiosk's maintenance.
fn tick<R: Runtime>(_app: &tauri::AppHandle<R>, desk: &Desk) {
    loop {
        std::thread::sleep(Duration::from_secs(1));
        let ticked = desk.try_with_kiosk(|kiosk| {
            if desk::in_progress(kiosk) {
                kiosk.handle(zk_domain::Input::Tick).map(|_| ())
            } else {
                kiosk.maintenance()
            }
        });
        if let Some(Err(error)) = ticked {
            tracing::warn!("the kiosk's timer failed: {error}");
        }
    }
}

/// A channel for the kiosk's events (the kiosk gets the sender, [`run_app`] the receiver).
pub fn event_channel() -> (std::sync::mpsc::Sender<KioskEvent>, Receiver<KioskEvent>) {
    channel()
}
