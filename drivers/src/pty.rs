//! Pseudo-terminal plumbing shared by the protocol simulators (ID card reader, pen tablet): a
//! simulator owns the master end; a program opens the slave (or a stable symlink to it) as it
//! would open a real serial device.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serialport::{SerialPort, TTYPort};

use crate::error::{Device, DeviceError};

pub(crate) fn sim_error(device: Device, detail: String) -> DeviceError {
    DeviceError::Unsupported { device, detail }
}

/// Opens a pty pair and keeps the master; the slave is closed here and opened by the host.
pub(crate) fn open_pty(device: Device, poll: Duration) -> Result<(TTYPort, PathBuf), DeviceError> {
    let (mut master, slave) = TTYPort::pair()
        .map_err(|error| sim_error(device, format!("cannot open a pseudo-terminal: {error}")))?;
    let path = slave
        .name()
        .map(PathBuf::from)
        .ok_or_else(|| sim_error(device, "the pseudo-terminal has no name".into()))?;
    drop(slave);
    master
        .set_timeout(poll)
        .map_err(|error| sim_error(device, format!("pseudo-terminal timeout: {error}")))?;
    Ok((master, path))
}

/// Points `link` at `target`: a new symlink renamed over the old one, so the path never dangles
/// half-made.
pub(crate) fn point_link(device: Device, link: &Path, target: &Path) -> Result<(), DeviceError> {
    if let Ok(meta) = std::fs::symlink_metadata(link) {
        if !meta.file_type().is_symlink() {
            return Err(sim_error(
                device,
                format!(
                    "{} exists and is not a symlink; choose another --link path",
                    link.display()
                ),
            ));
        }
    }
    let staging = link.with_extension("zk-sim-new");
    let _ = std::fs::remove_file(&staging);
    std::os::unix::fs::symlink(target, &staging)
        .and_then(|()| std::fs::rename(&staging, link))
        .map_err(|error| sim_error(device, format!("cannot link {}: {error}", link.display())))
}

pub(crate) fn remove_link(link: &Path) {
    if std::fs::symlink_metadata(link).is_ok_and(|meta| meta.file_type().is_symlink()) {
        if let Err(error) = std::fs::remove_file(link) {
            tracing::warn!(
                "cannot remove the simulator link {}: {error}",
                link.display()
            );
        }
    }
}

/// Sleeps up to `duration` in small steps; false if asked to stop meanwhile.
pub(crate) fn sleep_unless_stopped(stop: &AtomicBool, duration: Duration) -> bool {
    let deadline = Instant::now() + duration;
    loop {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        let now = Instant::now();
        if now >= deadline {
            return true;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(20)));
    }
}

/// The cable state a simulator shares with its owner.
pub(crate) struct Cable<'a> {
    pub device: Device,
    pub poll: Duration,
    pub stop: &'a AtomicBool,
    pub plugged: &'a AtomicBool,
    pub path: &'a std::sync::Mutex<PathBuf>,
    pub link: Option<&'a Path>,
}

/// Runs `serve` on `master` until stopped; when `serve` pulls the cable (`Some(replug)`), closes
/// the pty and removes the link, then after `replug` (if any) opens a new pty, points the link
/// at it and serves again.
pub(crate) fn serve_with_replug(
    mut master: TTYPort,
    cable: &Cable<'_>,
    mut serve: impl FnMut(&mut TTYPort) -> Option<Option<Duration>>,
) {
    loop {
        let Some(replug) = serve(&mut master) else {
            return;
        };
        // Unplugged before the host can notice: a host that sees the hang-up and asks
        // `is_plugged` must get false (the other order raced under load).
        cable.plugged.store(false, Ordering::SeqCst);
        drop(master);
        if let Some(link) = cable.link {
            remove_link(link);
        }
        tracing::info!(device = ?cable.device, "simulator: cable pulled");
        let Some(after) = replug else {
            // Stays unplugged until stopped.
            while sleep_unless_stopped(cable.stop, Duration::from_secs(1)) {}
            return;
        };
        if !sleep_unless_stopped(cable.stop, after) {
            return;
        }
        match open_pty(cable.device, cable.poll) {
            Ok((new_master, path)) => {
                if let Some(link) = cable.link {
                    if let Err(error) = point_link(cable.device, link, &path) {
                        tracing::error!("simulator: {error}");
                        return;
                    }
                }
                *cable
                    .path
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = path;
                cable.plugged.store(true, Ordering::SeqCst);
                tracing::info!(device = ?cable.device, "simulator: cable plugged back");
                master = new_master;
            }
            Err(error) => {
                tracing::error!("simulator: cannot plug back: {error}");
                return;
            }
        }
    }
}
