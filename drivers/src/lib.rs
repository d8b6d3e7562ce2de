//! Device drivers of the zikao-kiosk.
//!
//! Each device sits behind a small trait that describes what the kiosk needs from it:
//! [`IdCardReader`], [`Camera`], [`Microphone`], [`SignaturePad`]. Every failure is a
//! [`DeviceError`], whose [`DeviceError::kind`] tells the caller what it can do.
//!
//! Each device has a simulator backend (`Sim*`) that replays files from `assets/sim/` and can
//! inject faults. It is a first-class backend: the demo mode and the tests run on it. Backends are
//! chosen at run time from [`DriversConfig`], never by `#[cfg]`.

pub mod camera;
pub mod error;
pub mod id_card;
pub mod microphone;
mod port;
#[cfg(unix)]
mod pty;
pub mod signature;
pub mod sim;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use camera::decode::{decode_frame, PixelFormat};
#[cfg(any(target_os = "linux", target_os = "windows", target_os = "macos"))]
pub use camera::nokhwa::{list_cameras, CameraInfo, NokhwaCamera, NokhwaSettings};
pub use camera::sim::SimCamera;
pub use camera::stream::{StreamFormat, ThreadedCamera};
pub use camera::{Camera, Frame};
pub use error::{Device, DeviceError, DeviceErrorKind};
pub use id_card::photo::{PhotoDecoderKind, VendorDecoderConfig};
pub use id_card::sim::{SimCardEvent, SimIdCardReader};
pub use id_card::IdCardReader;
pub use microphone::cpal::{list_microphones, CpalMicrophone, MicrophoneInfo};
pub use microphone::sim::SimMicrophone;
pub use microphone::{AudioClip, Microphone, TimedRecording, SAMPLE_RATE};
pub use signature::sim::SimSignaturePad;
pub use signature::SignaturePad;
pub use sim::{FaultQueue, SimFault};

/// Which implementation drives a device: the simulator, or a real backend (`serial`: ID card
/// reader and signature pad; `touch`: signature pad; `cpal`: microphone; `nokhwa`: camera).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    #[default]
    Sim,
    Serial,
    /// The signature pad only: the kiosk's touch screen, fed by the UI.
    Touch,
    /// The microphone only: a real input device through cpal (ALSA, WASAPI, CoreAudio).
    Cpal,
    /// The camera only: a real camera through nokhwa (V4L2, Media Foundation, AVFoundation).
    Nokhwa,
}

fn no_real_backend(device: Device) -> DeviceError {
    DeviceError::Unsupported {
        device,
        detail: format!("this backend for the {device:?} (serial: ID card reader and signature pad; touch: signature pad; cpal: microphone; nokhwa: camera); use \"sim\""),
    }
}

/// The `[drivers]` configuration: a backend per device and the simulators' files.
///
/// Relative paths are resolved against the assets folder passed to the `open_*` functions.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DriversConfig {
    pub id_card: IdCardConfig,
    pub camera: CameraConfig,
    pub microphone: MicrophoneConfig,
    pub signature_pad: SignaturePadConfig,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdCardConfig {
    pub backend: Backend,
    /// The simulator's card script.
    pub sim_script: PathBuf,
    /// The simulated SAM's baud rate (the serial driver probes for it).
    pub sim_baud: u32,
    /// The reader's serial port for the `serial` backend (`/dev/ttyUSB0`, `COM3`), or `auto`
    /// to scan the serial ports for one that answers.
    pub port: Option<String>,
    /// How chip photos are decoded: `none`, `image` (readers that deliver BMP/JPEG, and the
    /// simulator) or `vendor` (the library in `vendor_decoder`).
    pub photo_decoder: PhotoDecoderKind,
    pub vendor_decoder: VendorDecoderConfig,
}

impl Default for IdCardConfig {
    fn default() -> Self {
        IdCardConfig {
            backend: Backend::Sim,
            sim_script: PathBuf::from("sim/cards.json"),
            sim_baud: 115_200,
            port: None,
            photo_decoder: PhotoDecoderKind::Image,
            vendor_decoder: VendorDecoderConfig::default(),
        }
    }
}

impl IdCardConfig {
    fn photo_decoder(&self) -> Result<Option<Box<dyn id_card::photo::PhotoDecoder>>, DeviceError> {
        id_card::photo::open_decoder(self.photo_decoder, &self.vendor_decoder).map_err(|error| {
            DeviceError::Unsupported {
                device: Device::IdCardReader,
                detail: format!("photo decoder: {error}"),
            }
        })
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CameraConfig {
    pub backend: Backend,
    /// Images the simulator replays, looped.
    pub sim_frames: Vec<PathBuf>,
    /// A camera script (images and faults); replaces `sim_frames` when set.
    pub sim_script: Option<PathBuf>,
    /// Frames per second: the simulator's rate; for `nokhwa` the slowest rate asked for.
    pub frame_rate: f32,
    /// Deliver simulated frames at the frame rate instead of as fast as asked.
    pub realtime: bool,
    /// The `nokhwa` backend: the camera, by index (`0`), V4L2 path (`/dev/video0`) or name as
    /// `zk camera list` prints them; unset: the first camera.
    pub device: Option<String>,
}

impl Default for CameraConfig {
    fn default() -> Self {
        CameraConfig {
            backend: Backend::Sim,
            sim_frames: vec![PathBuf::from("demo/candidate-a-live.jpg")],
            sim_script: None,
            frame_rate: 15.0,
            realtime: false,
            device: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MicrophoneConfig {
    pub backend: Backend,
    /// The WAV file the simulator plays.
    pub sim_wav: PathBuf,
    /// A microphone script (WAV files and faults); replaces `sim_wav` when set.
    pub sim_script: Option<PathBuf>,
    /// The `cpal` backend: the input device, by cpal id (`alsa:default`) or name as
    /// `zk mic list` prints them; unset: the system's default input device.
    pub device: Option<String>,
    /// Let the simulator take as long as the recording (a real microphone does) instead of
    /// returning at once.
    pub realtime: bool,
}

impl Default for MicrophoneConfig {
    fn default() -> Self {
        MicrophoneConfig {
            backend: Backend::Sim,
            sim_wav: PathBuf::from("sim/digits.wav"),
            sim_script: None,
            device: None,
            realtime: false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignaturePadConfig {
    pub backend: Backend,
    /// The simulator's stroke file or script.
    pub sim_script: PathBuf,
    /// The `serial` backend: an ISDV4 pen tablet's port and rate (38400 or 19200).
    pub port: Option<String>,
    pub baud: u32,
    /// The serial pad's capture ends once the pen has been up this long after some ink.
    pub idle_end_ms: u64,
}

impl Default for SignaturePadConfig {
    fn default() -> Self {
        SignaturePadConfig {
            backend: Backend::Sim,
            sim_script: PathBuf::from("sim/signature.json"),
            port: None,
            baud: 38_400,
            idle_end_ms: 2_500,
        }
    }
}

impl CameraConfig {
    /// What the `nokhwa` backend opens.
    #[cfg(any(target_os = "linux", target_os = "windows", target_os = "macos"))]
    pub fn nokhwa_settings(&self) -> NokhwaSettings {
        NokhwaSettings {
            device: self.device.clone(),
            frame_rate: if self.frame_rate.is_finite() && self.frame_rate >= 1.0 {
                self.frame_rate.round() as u32
            } else {
                NokhwaSettings::default().frame_rate
            },
            ..NokhwaSettings::default()
        }
    }
}

impl DriversConfig {
    /// Opens the configured ID card reader.
    pub fn open_id_card_reader(
        &self,
        assets_dir: &Path,
    ) -> Result<Box<dyn IdCardReader>, DeviceError> {
        let config = &self.id_card;
        match config.backend {
            #[cfg(unix)]
            Backend::Sim => Ok(Box::new(id_card::SimulatedSerialReader::start(
                &assets_dir.join(&config.sim_script),
                config.sim_baud,
                id_card::sam_sim::Timing::REALISTIC,
                config.photo_decoder()?,
            )?)),
            #[cfg(not(unix))]
            Backend::Sim => Ok(Box::new(SimIdCardReader::from_file(
                &assets_dir.join(&config.sim_script),
            )?)),
            Backend::Serial => {
                let reader = match config.port.as_deref() {
                    Some("auto") => id_card::serial::SerialIdCardReader::open_auto()?,
                    Some(port) => id_card::serial::SerialIdCardReader::open(port)?,
                    None => {
                        return Err(DeviceError::Unsupported {
                            device: Device::IdCardReader,
                            detail: "the serial backend without a port; set drivers.id_card.port (a path, or \"auto\")".into(),
                        })
                    }
                };
                Ok(Box::new(reader.with_photo_decoder(config.photo_decoder()?)))
            }
            Backend::Touch | Backend::Cpal | Backend::Nokhwa => {
                Err(no_real_backend(Device::IdCardReader))
            }
        }
    }

    /// Opens the configured camera.
    pub fn open_camera(&self, assets_dir: &Path) -> Result<Box<dyn Camera>, DeviceError> {
        let config = &self.camera;
        match config.backend {
            Backend::Sim => {
                let camera = match &config.sim_script {
                    Some(script) => {
                        SimCamera::from_script(&assets_dir.join(script), config.frame_rate)?
                    }
                    None => {
                        let paths = config
                            .sim_frames
                            .iter()
                            .map(|path| assets_dir.join(path))
                            .collect();
                        SimCamera::from_files(paths, config.frame_rate)?
                    }
                };
                Ok(Box::new(camera.realtime(config.realtime)))
            }
            #[cfg(any(target_os = "linux", target_os = "windows", target_os = "macos"))]
            Backend::Nokhwa => Ok(Box::new(camera::nokhwa::open(&config.nokhwa_settings())?)),
            #[cfg(not(any(target_os = "linux", target_os = "windows", target_os = "macos")))]
            Backend::Nokhwa => Err(DeviceError::Unsupported {
                device: Device::Camera,
                detail: "the nokhwa backend on this operating system".into(),
            }),
            Backend::Serial | Backend::Touch | Backend::Cpal => {
                Err(no_real_backend(Device::Camera))
            }
        }
    }

    /// Opens the configured microphone.
    pub fn open_microphone(&self, assets_dir: &Path) -> Result<Box<dyn Microphone>, DeviceError> {
        let config = &self.microphone;
        match config.backend {
            Backend::Sim => Ok(Box::new(
                match &config.sim_script {
                    Some(script) => SimMicrophone::from_script(&assets_dir.join(script))?,
                    None => SimMicrophone::from_file(&assets_dir.join(&config.sim_wav))?,
                }
                .realtime(config.realtime),
            )),
            Backend::Cpal => Ok(Box::new(CpalMicrophone::open(config.device.as_deref())?)),
            Backend::Serial | Backend::Touch | Backend::Nokhwa => {
                Err(no_real_backend(Device::Microphone))
            }
        }
    }

    /// Opens the configured signature pad.
    pub fn open_signature_pad(
        &self,
        assets_dir: &Path,
    ) -> Result<Box<dyn SignaturePad>, DeviceError> {
        match self.open_signature_pad_with_handle(assets_dir)? {
            (_, Some(_)) => Err(DeviceError::Unsupported {
                device: Device::SignaturePad,
                detail: "the touch pad is fed by the UI; open it with its handle".into(),
            }),
            (pad, None) => Ok(pad),
        }
    }

    /// Opens the configured signature pad; for `touch`, also the handle the UI sends pointer
    /// events through.
    pub fn open_signature_pad_with_handle(
        &self,
        assets_dir: &Path,
    ) -> Result<(Box<dyn SignaturePad>, Option<signature::touch::TouchHandle>), DeviceError> {
        if self.signature_pad.backend == Backend::Touch {
            let (pad, handle) = signature::touch::TouchSignaturePad::new();
            return Ok((Box::new(pad), Some(handle)));
        }
        let pad: Box<dyn SignaturePad> = match self.signature_pad.backend {
            Backend::Sim => Box::new(SimSignaturePad::from_file(
                &assets_dir.join(&self.signature_pad.sim_script),
            )?),
            Backend::Serial => {
                let config = &self.signature_pad;
                let Some(port) = config.port.as_deref() else {
                    return Err(DeviceError::Unsupported {
                        device: Device::SignaturePad,
                        detail: "the serial backend without a port; set drivers.signature_pad.port"
                            .into(),
                    });
                };
                let pad = signature::serial::SerialPenTablet::open(port, config.baud)?.with_config(
                    signature::serial::PenTabletConfig {
                        idle_end: std::time::Duration::from_millis(config.idle_end_ms),
                        ..signature::serial::PenTabletConfig::default()
                    },
                );
                Box::new(pad)
            }
            Backend::Touch | Backend::Cpal | Backend::Nokhwa => {
                return Err(no_real_backend(Device::SignaturePad))
            }
        };
        Ok((pad, None))
    }
}

#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;
