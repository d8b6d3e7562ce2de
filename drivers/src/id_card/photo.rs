//! The chip photo: 1024 bytes of WLT, which only the reader vendor's licensed decoder turns into
//! a picture (research §9: no open decoder exists, and reverse-engineering one is off limits).
//!
//! [`PhotoDecoder`] turns the bytes a reader delivers into an encoded image:
//! - [`ImagePhotoDecoder`]: readers (and the protocol simulator) that deliver an already decoded
//!   BMP/JPEG/PNG, or the raw 102 × 126 BGR buffer some SDKs hand back;
//! - [`VendorLibDecoder`]: the vendor's shared library (`libwlt2bmp.so`, `DLL_File.dll`, …), loaded
//!   at run time with `libloading` from a configured path.
//!
//! Without a decoder, or when decoding fails, the card keeps its photo as
//! [`CardPhoto::Undecoded`]: the data still flows, the UI says the photo is unavailable and staff
//! compare the face by eye. Nothing here ever invents a picture.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::{ImageFormat, RgbImage};
use serde::{Deserialize, Serialize};
use zk_domain::{CardPhoto, IdCard};

/// The decoded chip photo's size (research §9).
pub const PHOTO_WIDTH: u32 = 102;
pub const PHOTO_HEIGHT: u32 = 126;
/// A raw BGR buffer: 102 × 126 × 3.
pub const RAW_BGR_LEN: usize = 38_556;
/// A BMP file of the photo: 54-byte header + 126 rows padded to 308 bytes.
pub const BMP_LEN: usize = 38_862;

#[derive(Debug, thiserror::Error)]
pub enum PhotoDecodeError {
    #[error("the photo bytes are not an image this decoder reads ({0})")]
    NotRecognised(String),
    #[error("the vendor decoder library {path} cannot be loaded: {detail}")]
    Library { path: PathBuf, detail: String },
    #[error("the vendor decoder returned {code} (success is {success})")]
    VendorFailed { code: i32, success: i32 },
    #[error("the decoded photo is not a valid image: {0}")]
    BadOutput(String),
}

/// Turns the photo bytes a reader delivered into an encoded image (PNG, JPEG or BMP bytes).
pub trait PhotoDecoder: Send {
    /// A short name for the log and `zk card read` (never the photo itself).
    fn name(&self) -> &str;
    fn decode(&self, raw: &[u8]) -> Result<Vec<u8>, PhotoDecodeError>;
}

/// Applies `decoder` to a card's undecoded photo. A failure keeps the raw bytes (the step then
/// says the photo is unavailable) and is logged without the photo.
pub fn decode_card_photo(card: &mut IdCard, decoder: Option<&dyn PhotoDecoder>) {
    let Some(decoder) = decoder else { return };
    let CardPhoto::Undecoded(raw) = &card.photo else {
        return;
    };
    match decoder.decode(raw) {
        Ok(image) => card.photo = CardPhoto::Decoded(image),
        Err(error) => tracing::warn!(
            decoder = decoder.name(),
            bytes = raw.len(),
            "card photo not decoded; staff will compare the face by eye: {error}"
        ),
    }
}

/// For readers that deliver a decoded picture: BMP, JPEG or PNG bytes pass through once they
/// parse; a raw 102 × 126 BGR buffer (38 556 bytes) is wrapped as PNG. A WLT block is refused.
#[derive(Clone, Copy, Debug, Default)]
pub struct ImagePhotoDecoder;

impl PhotoDecoder for ImagePhotoDecoder {
    fn name(&self) -> &str {
        "decoded-image"
    }

    fn decode(&self, raw: &[u8]) -> Result<Vec<u8>, PhotoDecodeError> {
        if raw.len() == RAW_BGR_LEN {
            return bgr_to_png(raw);
        }
        match image::guess_format(raw) {
            Ok(ImageFormat::Jpeg) => {
                // A fixed-size photo block pads the JPEG after its end marker; a JPEG without
                // one was cut short (decoders would fill the missing part with grey).
                let end = raw
                    .windows(2)
                    .rposition(|pair| pair == [0xFF, 0xD9])
                    .ok_or_else(|| {
                        PhotoDecodeError::BadOutput("a JPEG cut short (no end marker)".into())
                    })?;
                let jpeg = &raw[..end + 2];
                image::load_from_memory_with_format(jpeg, ImageFormat::Jpeg)
                    .map_err(|error| PhotoDecodeError::BadOutput(error.to_string()))?;
                Ok(jpeg.to_vec())
            }
            Ok(format @ (ImageFormat::Bmp | ImageFormat::Png)) => {
                image::load_from_memory_with_format(raw, format)
                    .map_err(|error| PhotoDecodeError::BadOutput(error.to_string()))?;
                Ok(raw.to_vec())
            }
            _ if raw.starts_with(b"WL") => Err(PhotoDecodeError::NotRecognised(
                "a WLT block: it needs the reader vendor's decoder".into(),
            )),
            _ => Err(PhotoDecodeError::NotRecognised(format!(
                "{} bytes, not BMP/JPEG/PNG",
                raw.len()
            ))),
        }
    }
}

/// Wraps a raw BGR buffer of the photo size (top row first) as PNG.
fn bgr_to_png(raw: &[u8]) -> Result<Vec<u8>, PhotoDecodeError> {
    let rgb: Vec<u8> = raw
        .chunks_exact(3)
        .flat_map(|bgr| [bgr[2], bgr[1], bgr[0]])
        .collect();
    let image = RgbImage::from_raw(PHOTO_WIDTH, PHOTO_HEIGHT, rgb)
        .ok_or_else(|| PhotoDecodeError::BadOutput("raw buffer size".into()))?;
    let mut png = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .map_err(|error| PhotoDecodeError::BadOutput(error.to_string()))?;
    Ok(png)
}

/// What the vendor function writes into its output buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VendorOutput {
    /// A 38 862-byte BMP file.
    #[default]
    Bmp,
    /// 38 556 bytes of raw BGR, top row first.
    Bgr,
}

/// `[drivers.id_card.vendor_decoder]`: where the vendor library is and how to call it.
///
/// The library must export `int <symbol>(const unsigned char *wlt, unsigned char *out, int flag)`,
/// the shape shared by `libwlt2bmp.so` `unpack`, `DLL_File.dll` `unpack` and their clones (research
/// §9). Vendors differ in the flag and the success code, so both are configurable.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct VendorDecoderConfig {
    pub library: PathBuf,
    pub symbol: String,
    pub output: VendorOutput,
    /// The third argument (often "1 = BMP / save", "0 = raw").
    pub flag: i32,
    /// The return value that means success.
    pub success: i32,
}

impl Default for VendorDecoderConfig {
    fn default() -> Self {
        VendorDecoderConfig {
            library: PathBuf::from("/opt/idreader/libwlt2bmp.so"),
            symbol: "unpack".into(),
            output: VendorOutput::Bmp,
            flag: 1,
            success: 1,
        }
    }
}

type UnpackFn =
    unsafe extern "C" fn(*const u8, *mut u8, std::os::raw::c_int) -> std::os::raw::c_int;

/// The vendor's WLT decoder, loaded from a shared library at run time.
pub struct VendorLibDecoder {
    config: VendorDecoderConfig,
    // Keeps the library mapped as long as `unpack` may be called.
    _library: libloading::Library,
    unpack: UnpackFn,
}

impl std::fmt::Debug for VendorLibDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VendorLibDecoder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl VendorLibDecoder {
    /// Loads the library and looks up the symbol; a missing file or symbol is an error that
    /// names both, so the site admin can fix the config.
    #[allow(unsafe_code)]
    pub fn load(config: VendorDecoderConfig) -> Result<VendorLibDecoder, PhotoDecodeError> {
        let library_error = |detail: String| PhotoDecodeError::Library {
            path: config.library.clone(),
            detail,
        };
        if !config.library.is_file() {
            return Err(library_error("no such file".into()));
        }
        // SAFETY: loading runs the library's initialisers. The path comes from the site admin's
        // configuration and names the reader vendor's decoder, which is trusted like a driver.
        let library = unsafe { libloading::Library::new(&config.library) }
            .map_err(|error| library_error(error.to_string()))?;
        // SAFETY: the configured symbol is documented (see `VendorDecoderConfig`) to have the
        // `UnpackFn` signature; the pointer is copied out while `library` stays loaded in `Self`.
        let unpack: UnpackFn = unsafe {
            *library
                .get::<UnpackFn>(config.symbol.as_bytes())
                .map_err(|error| library_error(format!("symbol {:?}: {error}", config.symbol)))?
        };
        Ok(VendorLibDecoder {
            config,
            _library: library,
            unpack,
        })
    }

    pub fn library_path(&self) -> &Path {
        &self.config.library
    }
}

impl PhotoDecoder for VendorLibDecoder {
    fn name(&self) -> &str {
        "vendor-library"
    }

    #[allow(unsafe_code)]
    fn decode(&self, raw: &[u8]) -> Result<Vec<u8>, PhotoDecodeError> {
        if raw.len() != super::frame::PHOTO_LEN {
            return Err(PhotoDecodeError::NotRecognised(format!(
                "{} bytes, a WLT block has {}",
                raw.len(),
                super::frame::PHOTO_LEN
            )));
        }
        let mut input = raw.to_vec();
        // Room for either output shape, with slack for decoders that write a little more.
        let mut output = vec![0u8; BMP_LEN + 1024];
        // SAFETY: `input` holds the 1024 bytes the function reads and `output` more than the
        // 38 862 bytes it writes (research §9); both live across the call.
        let code =
            unsafe { (self.unpack)(input.as_mut_ptr(), output.as_mut_ptr(), self.config.flag) };
        if code != self.config.success {
            return Err(PhotoDecodeError::VendorFailed {
                code,
                success: self.config.success,
            });
        }
        match self.config.output {
            VendorOutput::Bgr => bgr_to_png(&output[..RAW_BGR_LEN]),
            VendorOutput::Bmp => {
                let bmp = &output[..BMP_LEN];
                image::load_from_memory_with_format(bmp, ImageFormat::Bmp)
                    .map_err(|error| PhotoDecodeError::BadOutput(error.to_string()))?;
                Ok(bmp.to_vec())
            }
        }
    }
}

/// Which decoder the reader uses (`drivers.id_card.photo_decoder`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PhotoDecoderKind {
    /// Keep the photo undecoded: staff compare by eye.
    None,
    /// The reader delivers BMP/JPEG/PNG (and the protocol simulator does).
    #[default]
    Image,
    /// The vendor library in `vendor_decoder`.
    Vendor,
}

/// Builds the configured decoder (`None` for [`PhotoDecoderKind::None`]).
pub fn open_decoder(
    kind: PhotoDecoderKind,
    vendor: &VendorDecoderConfig,
) -> Result<Option<Box<dyn PhotoDecoder>>, PhotoDecodeError> {
    Ok(match kind {
        PhotoDecoderKind::None => None,
        PhotoDecoderKind::Image => Some(Box::new(ImagePhotoDecoder)),
        PhotoDecoderKind::Vendor => Some(Box::new(VendorLibDecoder::load(vendor.clone())?)),
    })
}

#[cfg(test)]
mod tests;
