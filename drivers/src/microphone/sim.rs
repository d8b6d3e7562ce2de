//! [`SimMicrophone`]: plays WAV files as recordings.
//!
//! Each [`Microphone::record`] call plays the next clip from its start and returns exactly the
//! samples asked for: a longer clip is cut, a shorter one is padded with silence (the only sign of
//! padding is the zeros in the returned data). Files in another format are converted when loaded:
//! channels mixed down to mono, 8–32-bit integer or float samples scaled to 16-bit, and the rate
//! changed to 16 kHz by linear interpolation ([`AudioClip::resampled`]). A request longer than
//! its timeout fails with `Timeout`, as a real device would.
//!
//! Time: the clip is what was said from the moment of the call. By default the simulator returns
//! at once; with [`SimMicrophone::realtime`] it returns when a real device would, once the last
//! sample has been "captured". With [`SimMicrophone::start_delay`] it starts capturing late, like
//! a device slow to open: the beginning of the clip is missed and
//! [`TimedRecording::first_sample_at`] says when capture began.
//!
//! A script file is a JSON array of `{"wav": "path"}` (relative to the script's folder) and
//! `{"fault": "busy"}` events (see [`SimFault`]), looped. One-shot faults can also be injected at
//! run time through [`SimMicrophone::faults`].

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::{AudioClip, Microphone, TimedRecording, SAMPLE_RATE};
use crate::error::{Device, DeviceError};
use crate::sim::{self, FaultQueue, SimFault};

const DEVICE: Device = Device::Microphone;
/// The longest recording the simulator makes in one call: two minutes.
pub const MAX_RECORD_SAMPLES: usize = 120 * SAMPLE_RATE as usize;

#[derive(Clone)]
enum Slot {
    Clip(Arc<AudioClip>),
    Fault(SimFault),
}

/// The simulated microphone.
pub struct SimMicrophone {
    slots: Vec<Slot>,
    position: usize,
    faults: FaultQueue,
    realtime: bool,
    start_delay: Duration,
}

impl std::fmt::Debug for SimMicrophone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimMicrophone")
            .field("slots", &self.slots.len())
            .finish_non_exhaustive()
    }
}

impl SimMicrophone {
    /// Plays one WAV file on every call.
    pub fn from_file(path: &Path) -> Result<SimMicrophone, DeviceError> {
        Ok(SimMicrophone::new(vec![Slot::Clip(load_wav(path)?)]))
    }

    /// Plays a script of WAV files and faults (format in the module docs).
    pub fn from_script(path: &Path) -> Result<SimMicrophone, DeviceError> {
        let text = sim::read_text(DEVICE, "microphone script", path)?;
        let events: Vec<RawEvent> = sim::parse_json(DEVICE, path, &text)?;
        let base_dir = sim::script_dir(path);
        let slots: Vec<Slot> = events
            .into_iter()
            .map(|event| match event {
                RawEvent::Wav(relative) => load_wav(&base_dir.join(relative)).map(Slot::Clip),
                RawEvent::Fault(fault) => Ok(Slot::Fault(fault)),
            })
            .collect::<Result<_, _>>()?;
        if slots.is_empty() {
            return Err(DeviceError::SimScript {
                device: DEVICE,
                path: path.to_path_buf(),
                line: 1,
                column: 1,
                detail: "the script has no events; list at least one {\"wav\": …}".to_owned(),
            });
        }
        Ok(SimMicrophone::new(slots))
    }

    /// Plays `clip` (converted to 16 kHz) on every call.
    pub fn from_clip(clip: &AudioClip) -> SimMicrophone {
        SimMicrophone::new(vec![Slot::Clip(Arc::new(clip.resampled(SAMPLE_RATE)))])
    }

    fn new(slots: Vec<Slot>) -> SimMicrophone {
        SimMicrophone {
            slots,
            position: 0,
            faults: FaultQueue::default(),
            realtime: false,
            start_delay: Duration::ZERO,
        }
    }

    /// Take as long as the recording, as a real microphone does (off by default: tests and the
    /// demo run at full speed with the same samples and times).
    pub fn realtime(mut self, realtime: bool) -> SimMicrophone {
        self.realtime = realtime;
        self
    }

    /// Start capturing `delay` after the call, as a device that is slow to open does: the
    /// first `delay` of the clip is missed and the recording's first sample is that much later.
    pub fn start_delay(mut self, delay: Duration) -> SimMicrophone {
        self.start_delay = delay;
        self
    }

    /// A handle to queue one-shot faults; it stays usable after the microphone is boxed.
    pub fn faults(&self) -> FaultQueue {
        self.faults.clone()
    }
}

impl Microphone for SimMicrophone {
    fn record(&mut self, samples: usize, timeout: Duration) -> Result<AudioClip, DeviceError> {
        self.record_timed(samples, timeout)
            .map(|recording| recording.clip)
    }

    fn record_timed(
        &mut self,
        samples: usize,
        timeout: Duration,
    ) -> Result<TimedRecording, DeviceError> {
        let called = Instant::now();
        if samples > MAX_RECORD_SAMPLES {
            return Err(DeviceError::Unsupported {
                device: DEVICE,
                detail: format!(
                    "recording {samples} samples in one go (at most {MAX_RECORD_SAMPLES})"
                ),
            });
        }
        if let Some(fault) = self.faults.pop() {
            return Err(fault.to_error(DEVICE, timeout));
        }
        let length = Duration::from_millis(samples as u64 * 1000 / u64::from(SAMPLE_RATE));
        if self.start_delay + length > timeout {
            return Err(DeviceError::timeout(DEVICE, timeout));
        }
        let len = self.slots.len();
        let slot = self
            .position
            .checked_rem(len)
            .and_then(|index| self.slots.get(index))
            .cloned();
        self.position = (self.position + 1).checked_rem(len).unwrap_or(0);
        let clip = match slot {
            Some(Slot::Clip(clip)) => clip,
            Some(Slot::Fault(fault)) => return Err(fault.to_error(DEVICE, timeout)),
            None => return Err(DeviceError::Disconnected { device: DEVICE }),
        };
        // The clip is what was said from the call on; a late start misses its beginning.
        let missed = (self.start_delay.as_secs_f64() * f64::from(SAMPLE_RATE)).round() as usize;
        let mut recorded: Vec<i16> = clip
            .samples
            .iter()
            .copied()
            .skip(missed)
            .take(samples)
            .collect();
        recorded.resize(samples, 0);
        let first_sample_at = called + self.start_delay;
        if self.realtime {
            let done = first_sample_at + length;
            if let Some(wait) = done.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        Ok(TimedRecording {
            clip: AudioClip {
                sample_rate: SAMPLE_RATE,
                samples: recorded,
            },
            first_sample_at,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
enum RawEvent {
    #[serde(rename = "wav")]
    Wav(String),
    #[serde(rename = "fault")]
    Fault(SimFault),
}

/// Loads a WAV file, converted to 16 kHz mono 16-bit.
fn load_wav(path: &Path) -> Result<Arc<AudioClip>, DeviceError> {
    let bytes = sim::read_bytes(DEVICE, "WAV file", path)?;
    let clip = AudioClip::from_wav_bytes(&bytes).map_err(|error| DeviceError::SimFile {
        device: DEVICE,
        what: "WAV file",
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, wav_problem(&error)),
    })?;
    Ok(Arc::new(clip.resampled(SAMPLE_RATE)))
}

fn wav_problem(error: &DeviceError) -> String {
    match error {
        DeviceError::CorruptData { detail, .. } | DeviceError::Unsupported { detail, .. } => {
            detail.clone()
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests;
