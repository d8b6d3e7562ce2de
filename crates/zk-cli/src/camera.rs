//! `zk camera list|snap`: the desk's camera from the command line, so staff can check it is
//! there and frames the candidate before candidates arrive.

use std::path::Path;

use serde_json::json;
use zk_drivers::{list_cameras, Backend, Camera, DeviceError, NokhwaSettings};

use crate::commands::{CliError, Context};

/// The most frames `zk camera snap` skips before the one it keeps.
const MAX_WARMUP: u32 = 300;

fn device_error(error: DeviceError) -> CliError {
    CliError::Failed(format!("camera: {error}"))
}

/// `zk camera list`: every camera the platform reports.
pub fn list(json: bool) -> Result<(), CliError> {
    let cameras = list_cameras().map_err(device_error)?;
    if json {
        let rows: Vec<_> = cameras
            .iter()
            .map(|camera| {
                json!({
                    "index": camera.index,
                    "name": camera.name,
                    "description": camera.description,
                })
            })
            .collect();
        println!("{}", json!({ "cameras": rows }));
        return Ok(());
    }
    if cameras.is_empty() {
        return Err(CliError::Failed(
            "no camera found; plug one in (USB) and run `zk camera list` again".into(),
        ));
    }
    for camera in &cameras {
        println!("{}  {}  {}", camera.index, camera.name, camera.description);
    }
    println!(
        "(set drivers.camera.backend = \"nokhwa\" and drivers.camera.device to an index or name)"
    );
    Ok(())
}

/// `zk camera snap`: one frame to a JPEG file, after `warmup` frames (auto-exposure settling).
/// From `--device` (a real camera), else the configured camera (`[drivers.camera]`: the
/// simulator by default, `nokhwa` for the real one).
pub fn snap(
    context: &Context,
    device: Option<&str>,
    warmup: u32,
    out: &Path,
    json: bool,
) -> Result<(), CliError> {
    if warmup > MAX_WARMUP {
        return Err(CliError::Usage(format!(
            "--warmup must be at most {MAX_WARMUP} frames"
        )));
    }
    let config = context.config()?;
    let (mut camera, source): (Box<dyn Camera>, String) = match device {
        Some(device) => {
            let settings = NokhwaSettings {
                device: Some(device.to_owned()),
                ..config.drivers.camera.nokhwa_settings()
            };
            let camera = zk_drivers::camera::nokhwa::open(&settings).map_err(device_error)?;
            let format = camera.format();
            (Box::new(camera), format!("camera {device} ({format})"))
        }
        None => {
            let assets = zk_app::assets::locate(config.assets_dir.as_deref())?;
            let camera = config.drivers.open_camera(&assets).map_err(device_error)?;
            let source = match config.drivers.camera.backend {
                Backend::Sim => "the simulated camera (drivers.camera.backend = \"sim\")".into(),
                _ => format!(
                    "camera {}",
                    config.drivers.camera.device.as_deref().unwrap_or("(first)")
                ),
            };
            (camera, source)
        }
    };
    for _ in 0..warmup {
        camera.frame().map_err(device_error)?;
    }
    let frame = camera.frame().map_err(device_error)?;
    let jpeg = zk_app::clip::encode_jpeg(&frame.image, 90)?;
    std::fs::write(out, &jpeg).map_err(|error| {
        CliError::Failed(format!(
            "cannot write {}: {error}; choose a writable --out path",
            out.display()
        ))
    })?;
    let (width, height) = frame.image.dimensions();
    if json {
        println!(
            "{}",
            json!({
                "source": source,
                "file": out.display().to_string(),
                "width": width,
                "height": height,
                "bytes": jpeg.len(),
            })
        );
    } else {
        println!(
            "saved a {width}×{height} frame from {source} to {} ({} bytes)",
            out.display(),
            jpeg.len()
        );
    }
    Ok(())
}
