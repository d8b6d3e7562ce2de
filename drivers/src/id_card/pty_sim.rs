//! [`PtySimulator`]: the [`SamSimulator`] behind a pseudo-terminal, so a program opens its slave
//! end (`/dev/pts/N`, or a stable symlink) as it would open `/dev/ttyUSB0`.
//!
//! A thread owns the master end. It reads request frames, checks the rate the host set on the
//! line (a pty has no wire, but the termios it shares with the slave tell the rate; a host at the
//! wrong rate gets noise), lets the simulator answer and writes the answer with its delays.
//! Pulling the cable closes the pty and removes the link; plugging it back opens a new pty and
//! points the link at it, as a USB-serial adapter comes back under the same name.

use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use serialport::{SerialPort, TTYPort};

use super::frame::FrameDecoder;
use super::sam_sim::{Action, SamEvent, SamSimulator};
use crate::error::{Device, DeviceError};
use crate::pty::{self, remove_link};

const DEVICE: Device = Device::IdCardReader;
const MASTER_POLL: Duration = Duration::from_millis(20);

struct Shared {
    sim: Mutex<SamSimulator>,
    path: Mutex<PathBuf>,
    plugged: AtomicBool,
    stop: AtomicBool,
}

/// A running simulated reader. Dropping it stops the thread and removes the link.
pub struct PtySimulator {
    shared: Arc<Shared>,
    link: Option<PathBuf>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for PtySimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PtySimulator")
            .field("path", &self.path())
            .finish_non_exhaustive()
    }
}

impl PtySimulator {
    /// Opens a pty and starts answering on it. With `link`, a symlink there always points at the
    /// current slave (it survives unplug/replug); an existing file there is replaced only if it
    /// is a symlink.
    pub fn start(sim: SamSimulator, link: Option<PathBuf>) -> Result<PtySimulator, DeviceError> {
        let (master, slave_path) = open_pty()?;
        if let Some(link) = &link {
            point_link(link, &slave_path)?;
        }
        let shared = Arc::new(Shared {
            sim: Mutex::new(sim),
            path: Mutex::new(slave_path),
            plugged: AtomicBool::new(true),
            stop: AtomicBool::new(false),
        });
        let thread_shared = Arc::clone(&shared);
        let thread_link = link.clone();
        let thread = std::thread::Builder::new()
            .name("zk-reader-sim".into())
            .spawn(move || run(master, &thread_shared, thread_link.as_deref()))
            .map_err(|error| sim_error(format!("cannot start the simulator thread: {error}")))?;
        Ok(PtySimulator {
            shared,
            link,
            thread: Some(thread),
        })
    }

    /// The path to open: the link if there is one, else the current slave.
    pub fn path(&self) -> PathBuf {
        match &self.link {
            Some(link) => link.clone(),
            None => lock(&self.shared.path).clone(),
        }
    }

    /// The current `/dev/pts/N`.
    pub fn slave_path(&self) -> PathBuf {
        lock(&self.shared.path).clone()
    }

    pub fn is_plugged(&self) -> bool {
        self.shared.plugged.load(Ordering::SeqCst)
    }

    /// Queues a script event (a placement, a fault) after those waiting.
    pub fn push(&self, event: SamEvent) {
        lock(&self.shared.sim).push(event);
    }

    /// Script events not yet taken.
    pub fn remaining(&self) -> usize {
        lock(&self.shared.sim).remaining()
    }
}

impl Drop for PtySimulator {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("the reader simulator thread panicked");
            }
        }
        if let Some(link) = &self.link {
            remove_link(link);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn sim_error(detail: String) -> DeviceError {
    pty::sim_error(DEVICE, detail)
}

fn open_pty() -> Result<(TTYPort, PathBuf), DeviceError> {
    pty::open_pty(DEVICE, MASTER_POLL)
}

fn point_link(link: &Path, target: &Path) -> Result<(), DeviceError> {
    pty::point_link(DEVICE, link, target)
}

fn run(master: TTYPort, shared: &Shared, link: Option<&Path>) {
    let cable = pty::Cable {
        device: DEVICE,
        poll: MASTER_POLL,
        stop: &shared.stop,
        plugged: &shared.plugged,
        path: &shared.path,
        link,
    };
    pty::serve_with_replug(master, &cable, |port| serve(port, shared));
}

/// Answers requests until stopped (`None`) or the script pulls the cable (`Some(replug)`).
fn serve(master: &mut TTYPort, shared: &Shared) -> Option<Option<Duration>> {
    let mut decoder = FrameDecoder::new();
    let mut buffer = [0u8; 512];
    while !shared.stop.load(Ordering::SeqCst) {
        match master.read(&mut buffer) {
            Ok(count) => decoder.push(&buffer[..count]),
            Err(error)
                if matches!(
                    error.kind(),
                    ErrorKind::TimedOut | ErrorKind::WouldBlock | ErrorKind::Interrupted
                ) =>
            {
                continue
            }
            // No host has the slave open (EIO): wait for one.
            Err(_) => {
                std::thread::sleep(MASTER_POLL);
                continue;
            }
        }
        while let Some(request) = decoder.next_request() {
            let host_rate = master.baud_rate().ok();
            let action = {
                let mut sim = lock(&shared.sim);
                if host_rate.is_some_and(|rate| rate != sim.baud()) {
                    sim.wrong_rate_noise(7)
                } else {
                    sim.handle(request)
                }
            };
            match action {
                Action::Unplug(replug) => return Some(replug),
                Action::Send { delay, chunks, gap } => {
                    if !pty::sleep_unless_stopped(&shared.stop, delay) {
                        return None;
                    }
                    for (index, chunk) in chunks.iter().enumerate() {
                        if index > 0 && !pty::sleep_unless_stopped(&shared.stop, gap) {
                            return None;
                        }
                        if let Err(error) = master.write_all(chunk).and_then(|()| master.flush()) {
                            tracing::debug!("reader simulator: host went away: {error}");
                        }
                    }
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests;
