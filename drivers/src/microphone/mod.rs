//! Microphones: the kiosk records a few seconds of the candidate reading digits.
//!
//! [`cpal::CpalMicrophone`] records from a real microphone; [`sim`] plays WAV files.

pub mod cpal;
pub mod sim;

use std::fmt;
use std::io::Cursor;
use std::time::{Duration, Instant};

use crate::error::{Device, DeviceError};

/// The rate the kiosk records at: 16 kHz mono, 16-bit.
pub const SAMPLE_RATE: u32 = 16_000;

/// Mono 16-bit PCM audio. `Debug` shows only its length and duration, never samples.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct AudioClip {
    pub sample_rate: u32,
    pub samples: Vec<i16>,
}

impl fmt::Debug for AudioClip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AudioClip({} samples at {} Hz, {} ms)",
            self.samples.len(),
            self.sample_rate,
            self.duration().as_millis()
        )
    }
}

impl AudioClip {
    /// Playing time; zero for a clip with no sample rate.
    pub fn duration(&self) -> Duration {
        if self.sample_rate == 0 {
            return Duration::ZERO;
        }
        let millis = self.samples.len() as u64 * 1000 / u64::from(self.sample_rate);
        Duration::from_millis(millis)
    }

    /// A mono 16-bit PCM WAV file of the clip.
    pub fn to_wav_bytes(&self) -> Result<Vec<u8>, DeviceError> {
        if self.sample_rate == 0 {
            return Err(DeviceError::Unsupported {
                device: Device::Microphone,
                detail: "writing a clip with a sample rate of 0 Hz".to_owned(),
            });
        }
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: self.sample_rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let wav_error = |error: hound::Error| {
            DeviceError::corrupt(Device::Microphone, format!("writing WAV: {error}"))
        };
        let mut cursor = Cursor::new(Vec::with_capacity(44 + self.samples.len() * 2));
        let mut writer = hound::WavWriter::new(&mut cursor, spec).map_err(wav_error)?;
        for sample in &self.samples {
            writer.write_sample(*sample).map_err(wav_error)?;
        }
        writer.finalize().map_err(wav_error)?;
        Ok(cursor.into_inner())
    }

    /// Reads a PCM WAV file (8–32-bit integer or 32-bit float, any channel count), mixing the
    /// channels down to mono and converting to 16-bit; the sample rate is kept.
    pub fn from_wav_bytes(bytes: &[u8]) -> Result<AudioClip, DeviceError> {
        let corrupt = |error: hound::Error| {
            DeviceError::corrupt(
                Device::Microphone,
                format!("not a readable WAV file: {error}"),
            )
        };
        let mut reader = hound::WavReader::new(Cursor::new(bytes)).map_err(corrupt)?;
        let spec = reader.spec();
        if spec.channels == 0 || spec.sample_rate == 0 {
            return Err(DeviceError::corrupt(
                Device::Microphone,
                format!(
                    "a WAV file with {} channels at {} Hz",
                    spec.channels, spec.sample_rate
                ),
            ));
        }
        let interleaved: Vec<i32> = match (spec.sample_format, spec.bits_per_sample) {
            (hound::SampleFormat::Int, bits @ 1..=32) => reader
                .samples::<i32>()
                .map(|sample| sample.map(|value| scale_int(value, bits)))
                .collect::<Result<_, _>>()
                .map_err(corrupt)?,
            (hound::SampleFormat::Float, 32) => reader
                .samples::<f32>()
                .map(|sample| {
                    sample.map(|value| (f64::from(value).clamp(-1.0, 1.0) * 32767.0).round() as i32)
                })
                .collect::<Result<_, _>>()
                .map_err(corrupt)?,
            (format, bits) => {
                return Err(DeviceError::Unsupported {
                    device: Device::Microphone,
                    detail: format!(
                        "WAV files with {bits}-bit {format:?} samples (use 16-bit PCM)"
                    ),
                })
            }
        };
        let channels = usize::from(spec.channels);
        let samples = interleaved
            .chunks_exact(channels)
            .map(|frame| {
                let sum: i64 = frame.iter().map(|value| i64::from(*value)).sum();
                clamp_i16(sum / channels as i64)
            })
            .collect();
        Ok(AudioClip {
            sample_rate: spec.sample_rate,
            samples,
        })
    }

    /// The clip at `target_rate`, by linear interpolation between neighbouring samples (no
    /// anti-alias filter: good enough for speech test clips, not for measurement).
    pub fn resampled(&self, target_rate: u32) -> AudioClip {
        if self.sample_rate == 0 || target_rate == 0 || self.samples.is_empty() {
            return AudioClip {
                sample_rate: target_rate,
                samples: Vec::new(),
            };
        }
        if self.sample_rate == target_rate {
            return self.clone();
        }
        let from = u64::from(self.sample_rate);
        let to = u64::from(target_rate);
        let input_len = self.samples.len() as u64;
        let output_len = (input_len * to + from / 2) / from;
        let last = self.samples.len() - 1;
        let samples = (0..output_len)
            .map(|index| {
                let position = index as f64 * from as f64 / to as f64;
                let left = (position.floor() as usize).min(last);
                let right = (left + 1).min(last);
                let fraction = position - left as f64;
                let a = f64::from(self.samples[left]);
                let b = f64::from(self.samples[right]);
                clamp_i16((a + (b - a) * fraction).round() as i64)
            })
            .collect();
        AudioClip {
            sample_rate: target_rate,
            samples,
        }
    }
}

/// Scales a `bits`-bit integer sample to the 16-bit range.
fn scale_int(value: i32, bits: u16) -> i32 {
    match bits {
        16 => value,
        17..=32 => value >> (bits - 16),
        _ => value << (16 - bits),
    }
}

fn clamp_i16(value: i64) -> i16 {
    value.clamp(i64::from(i16::MIN), i64::from(i16::MAX)) as i16
}

/// A recording and when its first sample was captured.
#[derive(Clone, Debug, PartialEq)]
pub struct TimedRecording {
    pub clip: AudioClip,
    /// When the first sample was captured, on the process's monotonic clock (what the camera's
    /// `Frame::captured_at` is on too).
    pub first_sample_at: Instant,
}

/// A microphone that records a given number of samples at [`SAMPLE_RATE`], mono.
pub trait Microphone: Send {
    /// Records `samples` samples (16 kHz mono); fails with `Timeout` when that takes longer than
    /// `timeout`.
    fn record(&mut self, samples: usize, timeout: Duration) -> Result<AudioClip, DeviceError>;

    /// Records like [`Microphone::record`] and says when the first sample was captured, so the
    /// audio can be lined up with camera frames. Backends measure it; this default takes the
    /// moment the call started (right for a device that starts capturing at once).
    fn record_timed(
        &mut self,
        samples: usize,
        timeout: Duration,
    ) -> Result<TimedRecording, DeviceError> {
        let first_sample_at = Instant::now();
        let clip = self.record(samples, timeout)?;
        Ok(TimedRecording {
            clip,
            first_sample_at,
        })
    }
}

#[cfg(test)]
mod tests;
