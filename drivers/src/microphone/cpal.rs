//! [`CpalMicrophone`]: a real microphone through cpal (ALSA on Linux, WASAPI on Windows,
//! CoreAudio on macOS).
//!
//! Each [`Microphone::record`] opens the device afresh (so a microphone plugged back in works
//! again without a restart), asks for exactly 16-bit 16 kHz mono when the device offers it and
//! otherwise for the closest format it has (converted here: channels mixed down, samples scaled to
//! 16-bit, rate changed by [`AudioClip::resampled`]), and stops once it has the samples asked for.
//! Wall time is only a timeout: a device that delivers faster than real time (the ALSA `file`
//! plugin the tests use) finishes early, one that stalls fails with `Timeout`.
//!
//! No device, a named device that is not there, or a device unplugged mid-recording is
//! `Disconnected` ("no microphone"); a device held by another program is `Busy`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ::cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use ::cpal::{FromSample, Sample, SampleFormat, SizedSample, StreamConfig};

use super::{AudioClip, Microphone, TimedRecording, SAMPLE_RATE};
use crate::error::{Device, DeviceError};

const DEVICE: Device = Device::Microphone;
/// The longest recording in one call: two minutes.
pub const MAX_RECORD_SAMPLES: usize = 120 * SAMPLE_RATE as usize;

/// One input device as `zk mic list` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MicrophoneInfo {
    /// cpal's stable id (`alsa:default`, `alsa:hw:CARD=…`): what `drivers.microphone.device` takes.
    pub id: String,
    /// The human-readable name (also accepted in the configuration).
    pub name: String,
    pub is_default: bool,
    /// Whether it offers 16-bit 16 kHz mono itself (no conversion needed).
    pub native_16k_mono: bool,
}

/// Every input device of the default host. An empty list means "no microphone".
pub fn list_microphones() -> Result<Vec<MicrophoneInfo>, DeviceError> {
    let host = ::cpal::default_host();
    let default_id = host
        .default_input_device()
        .and_then(|device| device.id().ok())
        .map(|id| id.to_string());
    let devices = host.input_devices().map_err(map_error)?;
    Ok(devices
        .filter_map(|device| {
            let id = device.id().ok()?.to_string();
            let name = device
                .description()
                .map(|description| description.name().to_owned())
                .unwrap_or_else(|_| id.clone());
            let native_16k_mono = device
                .supported_input_configs()
                .map(|mut ranges| ranges.any(|range| is_exact(&range)))
                .unwrap_or(false);
            Some(MicrophoneInfo {
                is_default: default_id.as_deref() == Some(id.as_str()),
                id,
                name,
                native_16k_mono,
            })
        })
        .collect())
}

/// A microphone opened through cpal: the default input device, or one by id or name.
#[derive(Clone, Debug, Default)]
pub struct CpalMicrophone {
    device: Option<String>,
}

impl CpalMicrophone {
    /// The microphone `device` (a cpal id such as `alsa:default`, or a device name), or the
    /// system's default input device. Fails with `Disconnected` when there is none, so a kiosk
    /// without a microphone says so at start-up.
    pub fn open(device: Option<&str>) -> Result<CpalMicrophone, DeviceError> {
        let microphone = CpalMicrophone {
            device: device.map(str::to_owned),
        };
        let found = microphone.find()?;
        found.supported_input_configs().map_err(map_error)?;
        Ok(microphone)
    }

    fn find(&self) -> Result<::cpal::Device, DeviceError> {
        let host = ::cpal::default_host();
        let found = match self.device.as_deref() {
            None => host.default_input_device(),
            Some(wanted) => host.input_devices().map_err(map_error)?.find(|device| {
                device.id().is_ok_and(|id| id.to_string() == wanted)
                    || device
                        .description()
                        .is_ok_and(|description| description.name() == wanted)
            }),
        };
        found.ok_or_else(|| {
            tracing::warn!(device = ?self.device, "no such microphone; `zk mic list` shows those present");
            DeviceError::Disconnected { device: DEVICE }
        })
    }
}

impl Microphone for CpalMicrophone {
    fn record(&mut self, samples: usize, timeout: Duration) -> Result<AudioClip, DeviceError> {
        self.record_timed(samples, timeout)
            .map(|recording| recording.clip)
    }

    /// The first sample's time is the first callback's arrival minus the latency cpal reports
    /// for it (callback time minus capture time), or minus the first buffer's length when cpal
    /// reports none.
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
        if samples == 0 {
            return Ok(TimedRecording {
                clip: AudioClip {
                    sample_rate: SAMPLE_RATE,
                    samples: Vec::new(),
                },
                first_sample_at: called,
            });
        }
        let deadline = Instant::now() + timeout;
        let device = self.find()?;
        let format = choose_format(&device)?;
        let needed = device_frames_for(samples, format.sample_rate);
        let (captured, first_sample_at) = match format.sample_format {
            SampleFormat::I16 => capture::<i16>(&device, &format, needed, deadline, timeout)?,
            SampleFormat::F32 => capture::<f32>(&device, &format, needed, deadline, timeout)?,
            SampleFormat::I32 => capture::<i32>(&device, &format, needed, deadline, timeout)?,
            SampleFormat::U16 => capture::<u16>(&device, &format, needed, deadline, timeout)?,
            other => {
                return Err(DeviceError::Unsupported {
                    device: DEVICE,
                    detail: format!("the sample format {other:?}"),
                })
            }
        };
        Ok(TimedRecording {
            clip: to_kiosk_clip(captured, format.sample_rate, samples),
            first_sample_at: first_sample_at.unwrap_or(called),
        })
    }
}

/// What the device is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Format {
    channels: u16,
    sample_rate: u32,
    sample_format: SampleFormat,
}

fn is_exact(range: &::cpal::SupportedStreamConfigRange) -> bool {
    range.channels() == 1
        && range.sample_format() == SampleFormat::I16
        && range.min_sample_rate() <= SAMPLE_RATE
        && SAMPLE_RATE <= range.max_sample_rate()
}

/// 16-bit 16 kHz mono when offered; otherwise the cheapest conversion: a rate range holding
/// 16 kHz, few channels, a format we read (i16 > f32 > i32 > u16), the nearest rate.
fn choose_format(device: &::cpal::Device) -> Result<Format, DeviceError> {
    let ranges: Vec<_> = device
        .supported_input_configs()
        .map_err(map_error)?
        .collect();
    let exact = Format {
        channels: 1,
        sample_rate: SAMPLE_RATE,
        sample_format: SampleFormat::I16,
    };
    if ranges.iter().any(is_exact) {
        return Ok(exact);
    }
    let format_rank = |format: SampleFormat| match format {
        SampleFormat::I16 => Some(0),
        SampleFormat::F32 => Some(1),
        SampleFormat::I32 => Some(2),
        SampleFormat::U16 => Some(3),
        _ => None,
    };
    ranges
        .iter()
        .filter_map(|range| {
            let rank = format_rank(range.sample_format())?;
            let rate = SAMPLE_RATE.clamp(range.min_sample_rate(), range.max_sample_rate());
            let format = Format {
                channels: range.channels(),
                sample_rate: rate,
                sample_format: range.sample_format(),
            };
            (range.channels() > 0 && rate > 0)
                .then_some(((rate.abs_diff(SAMPLE_RATE), range.channels(), rank), format))
        })
        .min_by_key(|(key, _)| *key)
        .map(|(_, format)| {
            tracing::info!(
                ?format,
                "the microphone has no 16 kHz mono 16-bit mode; converting"
            );
            format
        })
        .ok_or_else(|| DeviceError::Unsupported {
            device: DEVICE,
            detail: "any input format the kiosk can read (16/32-bit integer or 32-bit float)"
                .into(),
        })
}

/// Device frames that give `samples` at 16 kHz, plus one for interpolation.
fn device_frames_for(samples: usize, rate: u32) -> usize {
    if rate == SAMPLE_RATE {
        return samples;
    }
    (samples as u64 * u64::from(rate)).div_ceil(u64::from(SAMPLE_RATE)) as usize + 1
}

enum Message {
    /// The first callback: when its first frame was captured.
    Started(Instant),
    Samples(Vec<i16>),
    Failed(::cpal::Error),
}

/// The longest capture latency believed; more means the stream's clock is not usable.
const MAX_LATENCY: Duration = Duration::from_secs(1);

/// When the first frame of a callback's buffer was captured: its arrival minus cpal's latency
/// (callback minus capture instant), or minus the buffer's length when cpal reports none.
fn first_frame_instant(arrived: Instant, latency: Duration, frames: usize, rate: u32) -> Instant {
    let buffered = Duration::from_secs_f64(frames as f64 / f64::from(rate.max(1)));
    let back = if latency.is_zero() || latency > MAX_LATENCY {
        buffered
    } else {
        latency
    };
    arrived
        .checked_sub(back.min(MAX_LATENCY))
        .unwrap_or(arrived)
}

/// Records `needed` mono frames at the device's rate, mixed down and scaled to i16, and when the
/// first one was captured.
fn capture<T>(
    device: &::cpal::Device,
    format: &Format,
    needed: usize,
    deadline: Instant,
    timeout: Duration,
) -> Result<(Vec<i16>, Option<Instant>), DeviceError>
where
    T: SizedSample + Send + 'static,
    i16: FromSample<T>,
{
    let (sender, receiver) = mpsc::channel::<Message>();
    let error_sender = sender.clone();
    let channels = usize::from(format.channels.max(1));
    // Frames handed over so far: the callback stops sending once it has delivered enough, so an
    // unpaced device cannot fill memory while the stream is being torn down.
    let delivered = Arc::new(AtomicUsize::new(0));
    let delivered_in_callback = Arc::clone(&delivered);
    let rate = format.sample_rate;
    let config = StreamConfig {
        channels: format.channels,
        sample_rate: format.sample_rate,
        buffer_size: ::cpal::BufferSize::Default,
    };
    let stream = device
        .build_input_stream::<T, _, _>(
            config,
            move |data: &[T], info: &::cpal::InputCallbackInfo| {
                let already = delivered_in_callback.load(Ordering::Relaxed);
                if already >= needed {
                    return;
                }
                if already == 0 {
                    let stamp = info.timestamp();
                    let latency = stamp.callback.duration_since(stamp.capture);
                    let first =
                        first_frame_instant(Instant::now(), latency, data.len() / channels, rate);
                    let _ = sender.send(Message::Started(first));
                }
                let frames: Vec<i16> = data
                    .chunks_exact(channels)
                    .take(needed - already)
                    .map(|frame| mix_down(frame))
                    .collect();
                delivered_in_callback.fetch_add(frames.len(), Ordering::Relaxed);
                // The receiver is gone once recording ended; nothing to do then.
                let _ = sender.send(Message::Samples(frames));
            },
            move |error| {
                let _ = error_sender.send(Message::Failed(error));
            },
            Some(timeout),
        )
        .map_err(map_error)?;
    stream.play().map_err(map_error)?;
    let mut out = Vec::with_capacity(needed);
    let mut first_at = None;
    while out.len() < needed {
        let remaining = deadline.saturating_duration_since(Instant::now());
        match receiver.recv_timeout(remaining) {
            Ok(Message::Started(at)) => first_at = first_at.or(Some(at)),
            Ok(Message::Samples(chunk)) => out.extend(chunk),
            Ok(Message::Failed(error)) if error.kind() == ::cpal::ErrorKind::Xrun => {
                tracing::warn!("the microphone dropped samples (overrun)");
            }
            Ok(Message::Failed(error)) if error.kind() == ::cpal::ErrorKind::DeviceChanged => {}
            Ok(Message::Failed(error)) => return Err(map_error(error)),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(DeviceError::timeout(DEVICE, timeout))
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(DeviceError::Disconnected { device: DEVICE })
            }
        }
    }
    drop(stream);
    out.truncate(needed);
    Ok((out, first_at))
}

/// The mean of one interleaved frame's channels, as i16.
fn mix_down<T>(frame: &[T]) -> i16
where
    T: Sample,
    i16: FromSample<T>,
{
    if let [only] = frame {
        return i16::from_sample(*only);
    }
    let sum: i32 = frame
        .iter()
        .map(|sample| i32::from(i16::from_sample(*sample)))
        .sum();
    (sum / frame.len().max(1) as i32) as i16
}

/// The captured mono frames at `rate` as exactly `samples` samples at 16 kHz.
fn to_kiosk_clip(captured: Vec<i16>, rate: u32, samples: usize) -> AudioClip {
    let mut clip = AudioClip {
        sample_rate: rate,
        samples: captured,
    }
    .resampled(SAMPLE_RATE);
    clip.samples.resize(samples, 0);
    clip
}

/// cpal's error kinds in the drivers' vocabulary.
fn map_error(error: ::cpal::Error) -> DeviceError {
    use ::cpal::ErrorKind;
    tracing::debug!(%error, "cpal");
    match error.kind() {
        ErrorKind::DeviceNotAvailable
        | ErrorKind::HostUnavailable
        | ErrorKind::StreamInvalidated => DeviceError::Disconnected { device: DEVICE },
        ErrorKind::DeviceBusy => DeviceError::Busy { device: DEVICE },
        ErrorKind::PermissionDenied => DeviceError::PermissionDenied {
            device: DEVICE,
            detail: error.to_string(),
        },
        ErrorKind::UnsupportedConfig
        | ErrorKind::UnsupportedOperation
        | ErrorKind::InvalidInput => DeviceError::Unsupported {
            device: DEVICE,
            detail: error.to_string(),
        },
        _ => DeviceError::corrupt(DEVICE, error.to_string()),
    }
}

#[cfg(test)]
mod tests;
