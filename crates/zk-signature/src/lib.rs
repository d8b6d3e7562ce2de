//! Handwritten signatures: what is stored and what is shown.
//!
//! - [`render`]: strokes → a black-on-white PNG, antialiased, line width following pen pressure,
//!   byte-for-byte deterministic (same strokes, same options → same bytes), so the image can be
//!   hashed into the record and compared in tests.
//! - [`record`]: the stored form — strokes, the capturing device and the PNG's SHA-256 — as
//!   compact JSON, checked when read back.
//!
//! No I/O and no clock: callers pass strokes in and get bytes out.
#![forbid(unsafe_code)]

pub mod record;
pub mod render;

pub use record::{PadInfo, SignatureRecord};
pub use render::{render_png, RenderOptions};

/// Why a signature could not be rendered or read back.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature image size {width}×{height} is not usable")]
    BadSize { width: u32, height: u32 },
    #[error("the signature image could not be encoded: {0}")]
    Encode(String),
    #[error("the stored signature is malformed: {0}")]
    Malformed(String),
}
