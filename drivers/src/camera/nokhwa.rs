//! [`NokhwaCamera`]: a real camera through nokhwa 0.10 (V4L2 on Linux, Media Foundation on
//! Windows, AVFoundation on macOS), on a [`ThreadedCamera`] worker.
//!
//! The device is chosen by `drivers.camera.device` (an index such as `0`, a V4L2 path such as
//! `/dev/video0`, or a name as `zk camera list` prints it; unset: the first camera). Of the
//! formats it offers, MJPEG or YUYV at 640×480 or more is asked for ([`choose_format`]): the
//! smallest such size, at the configured frame rate or faster, MJPEG first. Frames are decoded
//! by this crate ([`super::decode`]), not by nokhwa.
//!
//! No camera, or the named one missing or unplugged, is `Disconnected` ("the camera is not
//! connected"); a camera held by another program is `Busy`; see [`map_error`]. After a
//! disconnect the next frame opens the device again.
//!
//! What runs here without a camera (CI, this project's VM: no `/dev/video*`): the device list
//! (empty), the "no camera" errors, format choice, error mapping and the decoders. Opening,
//! streaming, unplugging and the frame timestamps need a real camera.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ::nokhwa::utils::{
    ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType,
    Resolution,
};
use ::nokhwa::NokhwaError;

use super::decode::PixelFormat;
use super::stream::{RawFrame, RawStream, StreamFormat, ThreadedCamera};
use crate::error::{Device, DeviceError};

const DEVICE: Device = Device::Camera;

/// The smallest frame the kiosk accepts: faces at the desk are 150–250 px wide in it.
pub const MIN_WIDTH: u32 = 640;
pub const MIN_HEIGHT: u32 = 480;
/// How long one frame may take, including reopening a camera plugged back in.
pub const FRAME_TIMEOUT: Duration = Duration::from_secs(5);

/// A real camera; see the module docs.
pub type NokhwaCamera = ThreadedCamera;

/// What to open.
#[derive(Clone, Debug, PartialEq)]
pub struct NokhwaSettings {
    /// Index, V4L2 path or name; `None`: the first camera.
    pub device: Option<String>,
    /// Frames per second wanted (the camera may deliver more; never fewer when it can).
    pub frame_rate: u32,
    pub min_width: u32,
    pub min_height: u32,
}

impl Default for NokhwaSettings {
    fn default() -> Self {
        NokhwaSettings {
            device: None,
            frame_rate: 15,
            min_width: MIN_WIDTH,
            min_height: MIN_HEIGHT,
        }
    }
}

/// One camera as `zk camera list` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CameraInfo {
    /// What `drivers.camera.device` takes (the index, `0` for `/dev/video0`).
    pub index: String,
    pub name: String,
    pub description: String,
}

/// Every camera the platform's backend reports. Empty means "no camera".
pub fn list_cameras() -> Result<Vec<CameraInfo>, DeviceError> {
    #[cfg(target_os = "macos")]
    ::nokhwa::nokhwa_initialize(|_| {});
    let cameras = ::nokhwa::query(ApiBackend::Auto).map_err(|error| map_error(&error))?;
    Ok(cameras
        .into_iter()
        .map(|camera| CameraInfo {
            index: camera.index().as_string(),
            name: camera.human_name(),
            description: camera.description().to_owned(),
        })
        .collect())
}

/// Opens the camera `settings` name on a worker thread; fails with `Disconnected` when there is
/// none.
pub fn open(settings: &NokhwaSettings) -> Result<NokhwaCamera, DeviceError> {
    let cameras = list_cameras()?;
    let index = resolve_device(settings.device.as_deref(), &cameras)?;
    let settings = settings.clone();
    ThreadedCamera::spawn(
        Box::new(move || open_stream(index, &settings)),
        FRAME_TIMEOUT,
    )
}

/// Which camera to open: `wanted` as an index (`2`), a V4L2 path (`/dev/video2`) or a listed
/// name or index; unset, the first listed camera. An index or path is tried even when the list
/// does not show it (some backends list nothing until a device is opened).
pub fn resolve_device(wanted: Option<&str>, cameras: &[CameraInfo]) -> Result<u32, DeviceError> {
    let parse = |text: &str| -> Option<u32> {
        text.strip_prefix("/dev/video")
            .unwrap_or(text)
            .parse::<u32>()
            .ok()
    };
    let listed_index = |camera: &CameraInfo| parse(&camera.index);
    let found = match wanted.map(str::trim) {
        None | Some("") => cameras.iter().find_map(listed_index),
        Some(wanted) => cameras
            .iter()
            .find(|camera| camera.name == wanted || camera.index == wanted)
            .and_then(listed_index)
            .or_else(|| parse(wanted)),
    };
    found.ok_or_else(|| {
        tracing::warn!(
            wanted = ?wanted,
            listed = cameras.len(),
            "no such camera; `zk camera list` shows those present"
        );
        DeviceError::Disconnected { device: DEVICE }
    })
}

/// The format to ask for among those `offered`: MJPEG or YUYV of at least the minimum size, the
/// smallest such size, at the wanted frame rate or faster (the slowest of those), MJPEG before
/// YUYV; when no such size comes fast enough, the fastest.
pub fn choose_format(
    offered: &[StreamFormat],
    settings: &NokhwaSettings,
) -> Result<StreamFormat, DeviceError> {
    let big_enough = |format: &&StreamFormat| {
        format.width >= settings.min_width && format.height >= settings.min_height
    };
    offered
        .iter()
        .filter(big_enough)
        .filter(|format| format.frame_rate > 0)
        .min_by_key(|format| {
            let too_slow = format.frame_rate < settings.frame_rate;
            (
                too_slow,
                u64::from(format.width) * u64::from(format.height),
                if too_slow {
                    u32::MAX - format.frame_rate
                } else {
                    format.frame_rate
                },
                format.pixel_format,
            )
        })
        .copied()
        .ok_or_else(|| DeviceError::Unsupported {
            device: DEVICE,
            detail: format!(
                "MJPEG or YUYV at {}×{} or more (it offers {})",
                settings.min_width,
                settings.min_height,
                if offered.is_empty() {
                    "no MJPEG or YUYV format".to_owned()
                } else {
                    offered
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        })
}

/// nokhwa's errors in the drivers' vocabulary. nokhwa carries the OS error only as text, so the
/// kind is read from it: "No such file or directory" / "No such device" (ENOENT, ENODEV: no
/// camera, or unplugged) → `Disconnected`; "busy" (EBUSY: another program streams from it) →
/// `Busy`; "Permission denied" / "access is denied" → `PermissionDenied`; a timed-out read →
/// `Timeout`; unsupported operations → `Unsupported`; other read and decode failures →
/// `CorruptData`; other open failures → `Disconnected`.
pub fn map_error(error: &NokhwaError) -> DeviceError {
    tracing::debug!(%error, "nokhwa");
    let text = error.to_string();
    let lower = text.to_lowercase();
    let has = |needle: &str| lower.contains(needle);
    if has("no such file") || has("no such device") || has("not found") || has("enodev") {
        return DeviceError::Disconnected { device: DEVICE };
    }
    if has("busy") {
        return DeviceError::Busy { device: DEVICE };
    }
    if has("permission denied") || has("access is denied") || has("not authorized") {
        return DeviceError::PermissionDenied {
            device: DEVICE,
            detail: text,
        };
    }
    if has("timed out") || has("timeout") {
        return DeviceError::timeout(DEVICE, FRAME_TIMEOUT);
    }
    match error {
        NokhwaError::UnsupportedOperationError(_) | NokhwaError::NotImplementedError(_) => {
            DeviceError::Unsupported {
                device: DEVICE,
                detail: text,
            }
        }
        NokhwaError::OpenDeviceError(..)
        | NokhwaError::InitializeError { .. }
        | NokhwaError::UnitializedError => DeviceError::Disconnected { device: DEVICE },
        _ => DeviceError::corrupt(DEVICE, text),
    }
}

fn pixel_format(format: FrameFormat) -> Option<PixelFormat> {
    match format {
        FrameFormat::MJPEG => Some(PixelFormat::Mjpeg),
        FrameFormat::YUYV => Some(PixelFormat::Yuyv),
        _ => None,
    }
}

fn frame_format(format: PixelFormat) -> FrameFormat {
    match format {
        PixelFormat::Mjpeg => FrameFormat::MJPEG,
        PixelFormat::Yuyv => FrameFormat::YUYV,
    }
}

/// Opens camera `index`, negotiates the format and starts streaming (on the worker thread).
fn open_stream(index: u32, settings: &NokhwaSettings) -> Result<Box<dyn RawStream>, DeviceError> {
    let map = |error: NokhwaError| map_error(&error);
    let wanted = [FrameFormat::MJPEG, FrameFormat::YUYV];
    let request = RequestedFormat::with_formats(RequestedFormatType::None, &wanted);
    let mut camera = ::nokhwa::Camera::new(CameraIndex::Index(index), request).map_err(map)?;
    let offered: Vec<StreamFormat> = camera
        .compatible_camera_formats()
        .map_err(map)?
        .into_iter()
        .filter_map(|format| {
            Some(StreamFormat {
                pixel_format: pixel_format(format.format())?,
                width: format.width(),
                height: format.height(),
                frame_rate: format.frame_rate(),
            })
        })
        .collect();
    let chosen = choose_format(&offered, settings)?;
    let exact = CameraFormat::new(
        Resolution::new(chosen.width, chosen.height),
        frame_format(chosen.pixel_format),
        chosen.frame_rate,
    );
    camera
        .set_camera_requset(RequestedFormat::with_formats(
            RequestedFormatType::Exact(exact),
            &wanted,
        ))
        .map_err(map)?;
    camera.open_stream().map_err(map)?;
    Ok(Box::new(NokhwaStream {
        camera,
        format: chosen,
    }))
}

struct NokhwaStream {
    camera: ::nokhwa::Camera,
    format: StreamFormat,
}

impl RawStream for NokhwaStream {
    fn format(&self) -> StreamFormat {
        self.format
    }

    fn grab(&mut self) -> Result<RawFrame, DeviceError> {
        let buffer = self.camera.frame().map_err(|error| map_error(&error))?;
        // V4L2 stamps buffers at capture; nokhwa hands that over as wall-clock time.
        let age = buffer.capture_timestamp().and_then(|captured| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .ok()?
                .checked_sub(captured)
        });
        Ok(RawFrame {
            bytes: buffer.buffer().to_vec(),
            age,
        })
    }
}

impl Drop for NokhwaStream {
    fn drop(&mut self) {
        if let Err(error) = self.camera.stop_stream() {
            tracing::debug!(%error, "stopping the camera stream");
        }
    }
}

#[cfg(test)]
mod tests;
