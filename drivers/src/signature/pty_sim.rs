//! [`PenPadSimulator`]: an ISDV4 pen tablet on a pseudo-terminal, replaying recorded signatures
//! as pen packets at the pad's sample rate, so [`super::serial::SerialPenTablet`] is tested over
//! the kernel's tty layer exactly as on `/dev/ttyS0`.
//!
//! It answers `'*'` with its maxima; each `'1'` (start) replays the next signature of its queue
//! (pen-down samples, a hover packet after each stroke, an out-of-range packet at the end); `'0'`
//! stops. Faults apply to the next signature: `Corrupt` breaks every fourth packet, `Unplug`
//! pulls the cable halfway through (plugged back after the duration, if any), `Silent` makes the
//! pad answer nothing at all.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serialport::TTYPort;
use zk_domain::SignatureStrokes;

use super::isdv4::{self, PenLimits, PenSample};
use crate::error::{Device, DeviceError};
use crate::pty;

const DEVICE: Device = Device::SignaturePad;
const MASTER_POLL: Duration = Duration::from_millis(5);

/// The limits a simulated pad reports: 250 × 100 mm at 100 points/mm, 1024 pressure levels.
pub const SIM_LIMITS: PenLimits = PenLimits {
    max_x: 25_000,
    max_y: 10_000,
    max_pressure: 1023,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PadFault {
    Corrupt,
    Unplug(Option<Duration>),
    Silent,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PadEvent {
    Signature(SignatureStrokes),
    Fault(PadFault),
}

struct Shared {
    events: Mutex<VecDeque<PadEvent>>,
    stop: AtomicBool,
    plugged: AtomicBool,
    path: Mutex<PathBuf>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running simulated pen tablet. Dropping it stops the thread and removes the link.
pub struct PenPadSimulator {
    shared: Arc<Shared>,
    link: Option<PathBuf>,
    thread: Option<JoinHandle<()>>,
}

impl PenPadSimulator {
    /// Starts the pad; `speed` > 1 replays signatures faster than they were written (tests).
    pub fn start(
        events: Vec<PadEvent>,
        speed: f32,
        link: Option<PathBuf>,
    ) -> Result<PenPadSimulator, DeviceError> {
        let (master, slave_path) = pty::open_pty(DEVICE, MASTER_POLL)?;
        if let Some(link) = &link {
            pty::point_link(DEVICE, link, &slave_path)?;
        }
        let shared = Arc::new(Shared {
            events: Mutex::new(events.into()),
            stop: AtomicBool::new(false),
            plugged: AtomicBool::new(true),
            path: Mutex::new(slave_path),
        });
        let thread_shared = Arc::clone(&shared);
        let thread_link = link.clone();
        let speed = if speed.is_finite() && speed > 0.0 {
            speed
        } else {
            1.0
        };
        let thread = std::thread::Builder::new()
            .name("zk-pen-sim".into())
            .spawn(move || run(master, &thread_shared, thread_link.as_deref(), speed))
            .map_err(|error| {
                pty::sim_error(DEVICE, format!("cannot start the pad thread: {error}"))
            })?;
        Ok(PenPadSimulator {
            shared,
            link,
            thread: Some(thread),
        })
    }

    pub fn path(&self) -> PathBuf {
        match &self.link {
            Some(link) => link.clone(),
            None => lock(&self.shared.path).clone(),
        }
    }

    pub fn push(&self, event: PadEvent) {
        lock(&self.shared.events).push_back(event);
    }

    pub fn is_plugged(&self) -> bool {
        self.shared.plugged.load(Ordering::SeqCst)
    }
}

impl Drop for PenPadSimulator {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("the pen pad simulator thread panicked");
            }
        }
        if let Some(link) = &self.link {
            pty::remove_link(link);
        }
    }
}

/// The packets of one signature with their send times.
fn schedule(strokes: &SignatureStrokes) -> Vec<(Duration, [u8; isdv4::PEN_PACKET_LEN])> {
    let to_sample = |x: f32, y: f32, pressure: f32, tip: bool| PenSample {
        x: ((x / 1000.0).clamp(0.0, 1.0) * f32::from(SIM_LIMITS.max_x)) as u16,
        y: ((y / 400.0).clamp(0.0, 1.0) * f32::from(SIM_LIMITS.max_y)) as u16,
        pressure: (pressure.clamp(0.0, 1.0) * f32::from(SIM_LIMITS.max_pressure)) as u16,
        in_range: true,
        tip,
        side: false,
        eraser: false,
    };
    let mut packets = Vec::new();
    let mut last = Duration::ZERO;
    for stroke in &strokes.strokes {
        for point in stroke {
            last = Duration::from_millis(u64::from(point.t_ms));
            packets.push((
                last,
                isdv4::encode_pen(&to_sample(point.x, point.y, point.pressure, true)),
            ));
        }
        if let Some(point) = stroke.last() {
            last += Duration::from_millis(8);
            packets.push((
                last,
                isdv4::encode_pen(&to_sample(point.x, point.y, 0.0, false)),
            ));
        }
    }
    let mut away = to_sample(0.0, 0.0, 0.0, false);
    away.in_range = false;
    packets.push((last + Duration::from_millis(8), isdv4::encode_pen(&away)));
    packets
}

struct Replay {
    packets: Vec<(Duration, [u8; isdv4::PEN_PACKET_LEN])>,
    next: usize,
    started: Instant,
    corrupt: bool,
    unplug_at: Option<(usize, Option<Duration>)>,
}

fn run(master: TTYPort, shared: &Shared, link: Option<&Path>, speed: f32) {
    let cable = pty::Cable {
        device: DEVICE,
        poll: MASTER_POLL,
        stop: &shared.stop,
        plugged: &shared.plugged,
        path: &shared.path,
        link,
    };
    pty::serve_with_replug(master, &cable, |port| serve(port, shared, speed));
}

/// Serves until stopped (`None`) or the cable is pulled (`Some(replug)`).
fn serve(master: &mut TTYPort, shared: &Shared, speed: f32) -> Option<Option<Duration>> {
    let mut replay: Option<Replay> = None;
    let mut silent = false;
    let mut armed_corrupt = false;
    let mut armed_unplug: Option<Option<Duration>> = None;
    let mut buffer = [0u8; 64];
    while !shared.stop.load(Ordering::SeqCst) {
        match master.read(&mut buffer) {
            Ok(count) => {
                for &command in &buffer[..count] {
                    match command {
                        isdv4::CMD_QUERY if !silent => {
                            let _ = master.write_all(&isdv4::encode_limits(&SIM_LIMITS));
                        }
                        isdv4::CMD_STOP => replay = None,
                        isdv4::CMD_START => {
                            silent = false;
                            replay = None;
                            let mut events = lock(&shared.events);
                            while let Some(event) = events.pop_front() {
                                match event {
                                    PadEvent::Fault(PadFault::Corrupt) => armed_corrupt = true,
                                    PadEvent::Fault(PadFault::Unplug(after)) => {
                                        armed_unplug = Some(after)
                                    }
                                    PadEvent::Fault(PadFault::Silent) => {
                                        silent = true;
                                        break;
                                    }
                                    PadEvent::Signature(strokes) => {
                                        let packets = schedule(&strokes);
                                        let unplug_at = armed_unplug
                                            .take()
                                            .map(|after| (packets.len() / 2, after));
                                        replay = Some(Replay {
                                            packets,
                                            next: 0,
                                            started: Instant::now(),
                                            corrupt: std::mem::take(&mut armed_corrupt),
                                            unplug_at,
                                        });
                                        break;
                                    }
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            Err(error)
                if matches!(
                    error.kind(),
                    ErrorKind::TimedOut | ErrorKind::WouldBlock | ErrorKind::Interrupted
                ) => {}
            // No host has the slave open: wait for one.
            Err(_) => std::thread::sleep(MASTER_POLL),
        }
        if let Some(active) = replay.as_mut() {
            let elapsed = active.started.elapsed().mul_f32(speed);
            while let Some((at, packet)) = active.packets.get(active.next) {
                if *at > elapsed {
                    break;
                }
                if let Some((index, after)) = active.unplug_at {
                    if active.next >= index {
                        return Some(after);
                    }
                }
                let mut bytes = packet.to_vec();
                if active.corrupt && active.next % 4 == 3 {
                    // A lead byte in the middle: the packet is cut and must be resynchronised.
                    bytes[4] = 0xA0;
                }
                if let Err(error) = master.write_all(&bytes) {
                    tracing::debug!("pen pad simulator: host went away: {error}");
                }
                active.next += 1;
            }
            if active.next >= active.packets.len() {
                replay = None;
            }
        }
    }
    None
}
