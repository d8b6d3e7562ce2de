//! The state the shell manages: the kiosk behind a lock, the staff tokens handed to the UI, the
//! touch-signature handle (used without the lock: the kiosk waits for strokes while it holds it)
//! and what the event forwarder learnt about devices and images.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use rand::RngCore;
use zk_app::{AppError, Kiosk, KioskEvent, SessionImages, StaffToken};
use zk_domain::confirmation::Phase;
use zk_domain::ArtefactKind;
use zk_drivers::signature::touch::TouchHandle;

use crate::dto::{AppInfoDto, DeviceStateDto, TodayDto, ViewDto};
use crate::error::CommandError;

/// The devices the staff console lists, in order.
pub const DEVICES: [&str; 4] = ["id_card_reader", "camera", "microphone", "signature_pad"];

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave the kiosk half-updated in a way the store
    // would accept (every write is one transaction), so carry on with the inner value.
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// What the forwarder keeps from the kiosk's events.
#[derive(Debug, Default)]
pub struct Observed {
    pub devices: BTreeMap<String, DeviceStateDto>,
    pub today: TodayCounts,
    /// The current session's images, from `ImageStored` (the forwarder cannot take the kiosk's
    /// lock: the events come while a step holds it).
    pub images: SessionImages,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TodayCounts {
    pub confirmed: u64,
    pub ended: u64,
    pub staff_requests: u64,
}

pub struct Desk {
    kiosk: Mutex<Kiosk>,
    touch: Option<TouchHandle>,
    staff: Mutex<HashMap<String, StaffToken>>,
    observed: Mutex<Observed>,
    pub info: AppInfoDto,
    record_secs: u32,
}

impl Desk {
    pub fn new(
        kiosk: Kiosk,
        touch: Option<TouchHandle>,
        info: AppInfoDto,
        record_secs: u32,
    ) -> Desk {
        let devices = DEVICES
            .iter()
            .map(|device| {
                (
                    (*device).to_owned(),
                    DeviceStateDto {
                        device: (*device).to_owned(),
                        state: "ok".into(),
                        message: None,
                    },
                )
            })
            .collect();
        Desk {
            kiosk: Mutex::new(kiosk),
            touch,
            staff: Mutex::new(HashMap::new()),
            observed: Mutex::new(Observed {
                devices,
                today: TodayCounts::default(),
                images: SessionImages::default(),
            }),
            info,
            record_secs,
        }
    }

    /// Runs `action` on the kiosk (waiting for a running step to finish).
    pub fn with_kiosk<T>(
        &self,
        action: impl FnOnce(&mut Kiosk) -> Result<T, AppError>,
    ) -> Result<T, CommandError> {
        let mut kiosk = lock(&self.kiosk);
        action(&mut kiosk).map_err(CommandError::from)
    }

    /// Runs `action` when the kiosk is free; `None` when a step is running (the timer skips).
    pub fn try_with_kiosk<T>(&self, action: impl FnOnce(&mut Kiosk) -> T) -> Option<T> {
        match self.kiosk.try_lock() {
            Ok(mut kiosk) => Some(action(&mut kiosk)),
            Err(std::sync::TryLockError::Poisoned(poisoned)) => {
                Some(action(&mut poisoned.into_inner()))
            }
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    /// The kiosk's view as the UI sees it.
    pub fn view_dto(&self, kiosk: &Kiosk, view: &zk_domain::View) -> ViewDto {
        ViewDto::new(view, &kiosk.session_images(), self.record_secs)
    }

    /// Runs a candidate action returning a view, mapped for the UI.
    pub fn view_after(
        &self,
        action: impl FnOnce(&mut Kiosk) -> Result<zk_domain::View, AppError>,
    ) -> Result<ViewDto, CommandError> {
        let mut kiosk = lock(&self.kiosk);
        let view = action(&mut kiosk).map_err(CommandError::from)?;
        Ok(self.view_dto(&kiosk, &view))
    }

    pub fn record_secs(&self) -> u32 {
        self.record_secs
    }

    pub fn touch(&self) -> Result<&TouchHandle, CommandError> {
        self.touch.as_ref().ok_or_else(|| {
            CommandError::new(
                "device",
                "this desk signs on a signature pad, not on the screen",
                false,
            )
        })
    }

    /// Keeps `token` and returns the opaque string the UI holds instead.
    pub fn remember_staff(&self, token: StaffToken) -> String {
        let mut bytes = [0u8; 24];
        rand::rng().fill_bytes(&mut bytes);
        let key: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
        lock(&self.staff).insert(key.clone(), token);
        key
    }

    pub fn staff_token(&self, key: &str) -> Result<StaffToken, CommandError> {
        lock(&self.staff)
            .get(key)
            .cloned()
            .ok_or_else(CommandError::staff_token)
    }

    pub fn forget_staff(&self, key: &str) -> Option<StaffToken> {
        lock(&self.staff).remove(key)
    }

    pub fn observed(&self) -> MutexGuard<'_, Observed> {
        lock(&self.observed)
    }

    pub fn device_states(&self) -> Vec<DeviceStateDto> {
        self.observed().devices.values().cloned().collect()
    }

    pub fn today(&self) -> TodayDto {
        let counts = self.observed().today;
        TodayDto {
            confirmed: counts.confirmed,
            ended: counts.ended,
            in_review: counts.staff_requests,
        }
    }

    /// Notes what an event says about devices and counts.
    pub fn observe(&self, event: &KioskEvent) {
        let mut observed = self.observed();
        match event {
            KioskEvent::AwaitingDevice { device } => {
                set_device(&mut observed, device, "waiting", None);
            }
            KioskEvent::DeviceProblem {
                device, message, ..
            } => {
                set_device(&mut observed, device, "problem", Some(message.clone()));
            }
            KioskEvent::ImageStored { kind, id } => {
                let slot = match kind {
                    ArtefactKind::IdPhoto => &mut observed.images.id_photo,
                    ArtefactKind::LiveFrame => &mut observed.images.live_frame,
                    ArtefactKind::RegistrationPhoto => &mut observed.images.registration_photo,
                    _ => return,
                };
                *slot = Some(id.clone());
            }
            KioskEvent::StepChanged(view) => {
                if matches!(
                    view.phase,
                    Phase::InProgress {
                        step: zk_domain::Step::Consent,
                        ..
                    }
                ) {
                    observed.images = SessionImages::default();
                }
                for state in observed.devices.values_mut() {
                    if state.state == "waiting" {
                        state.state = "ok".into();
                    }
                }
            }
            KioskEvent::StaffRequested { .. } => observed.today.staff_requests += 1,
            KioskEvent::SessionEnded { confirmed, .. } => {
                if *confirmed {
                    observed.today.confirmed += 1;
                } else {
                    observed.today.ended += 1;
                }
            }
            _ => {}
        }
    }
}

fn set_device(observed: &mut Observed, device: &str, state: &str, message: Option<String>) {
    observed.devices.insert(
        device.to_owned(),
        DeviceStateDto {
            device: device.to_owned(),
            state: state.to_owned(),
            message,
        },
    );
}

/// Whether the kiosk has a session in progress (the idle timer only ticks then).
pub fn in_progress(kiosk: &Kiosk) -> bool {
    matches!(
        kiosk.view().map(|view| view.phase),
        Some(Phase::InProgress { .. })
    )
}
