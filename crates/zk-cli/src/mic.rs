//! `zk mic list|record`: the desk's real microphone (cpal) from the command line, so staff can
//! check it is there and picks up a voice before candidates arrive.

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use zk_drivers::{
    list_microphones, AudioClip, CpalMicrophone, DeviceError, Microphone, SAMPLE_RATE,
};

use crate::commands::{CliError, Context};

/// The longest `zk mic record`.
const MAX_SECONDS: u32 = 60;

fn device_error(error: DeviceError) -> CliError {
    CliError::Failed(format!("microphone: {error}"))
}

/// `zk mic list`: every input device, the default marked.
pub fn list(json: bool) -> Result<(), CliError> {
    let devices = list_microphones().map_err(device_error)?;
    if json {
        let rows: Vec<_> = devices
            .iter()
            .map(|device| {
                json!({
                    "id": device.id,
                    "name": device.name,
                    "default": device.is_default,
                    "native_16k_mono": device.native_16k_mono,
                })
            })
            .collect();
        println!("{}", json!({ "microphones": rows }));
        return Ok(());
    }
    if devices.is_empty() {
        return Err(CliError::Failed(
            "no microphone found; plug one in (USB) and run `zk mic list` again".into(),
        ));
    }
    for device in &devices {
        println!(
            "{} {}  {}{}",
            if device.is_default { "*" } else { " " },
            device.id,
            device.name,
            if device.native_16k_mono {
                ""
            } else {
                "  (converted to 16 kHz mono)"
            }
        );
    }
    println!("(* = default; set drivers.microphone.device to an id or name to choose another)");
    Ok(())
}

/// `zk mic record`: `seconds` of 16-bit 16 kHz mono from `--device`, else the configured
/// `drivers.microphone.device`, else the default input, written to `out` as WAV.
pub fn record(
    context: &Context,
    device: Option<&str>,
    seconds: u32,
    out: &Path,
    json: bool,
) -> Result<(), CliError> {
    if seconds == 0 || seconds > MAX_SECONDS {
        return Err(CliError::Usage(format!(
            "--seconds must be 1 to {MAX_SECONDS}"
        )));
    }
    let config = context.config()?;
    let device = device
        .map(str::to_owned)
        .or_else(|| config.drivers.microphone.device.clone());
    let mut microphone = CpalMicrophone::open(device.as_deref()).map_err(device_error)?;
    let samples = SAMPLE_RATE as usize * seconds as usize;
    let clip = microphone
        .record(samples, Duration::from_secs(u64::from(seconds) + 5))
        .map_err(device_error)?;
    let wav = clip.to_wav_bytes().map_err(device_error)?;
    std::fs::write(out, wav).map_err(|error| {
        CliError::Failed(format!(
            "cannot write {}: {error}; choose a writable --out path",
            out.display()
        ))
    })?;
    let (peak, rms) = levels(&clip);
    let device_name = device.unwrap_or_else(|| "default".into());
    if json {
        println!(
            "{}",
            json!({
                "device": device_name,
                "file": out.display().to_string(),
                "samples": clip.samples.len(),
                "sample_rate": clip.sample_rate,
                "peak_dbfs": peak,
                "rms_dbfs": rms,
            })
        );
    } else {
        println!(
            "recorded {:.1} s from {device_name} to {} (16-bit mono 16 kHz); peak {peak:.1} dBFS, RMS {rms:.1} dBFS",
            clip.samples.len() as f64 / f64::from(SAMPLE_RATE),
            out.display()
        );
        if peak < -50.0 {
            println!("the recording is almost silent: check the microphone is not muted and is the one in use");
        }
    }
    Ok(())
}

/// Peak and RMS level in dBFS (−120 for digital silence).
fn levels(clip: &AudioClip) -> (f64, f64) {
    let db = |value: f64| {
        if value <= 0.0 {
            -120.0
        } else {
            (20.0 * value.log10()).max(-120.0)
        }
    };
    let peak = clip
        .samples
        .iter()
        .map(|sample| f64::from(*sample).abs() / 32768.0)
        .fold(0.0, f64::max);
    let power = clip
        .samples
        .iter()
        .map(|sample| (f64::from(*sample) / 32768.0).powi(2))
        .sum::<f64>()
        / clip.samples.len().max(1) as f64;
    (db(peak), db(power.sqrt()))
}
