//! zk-ocr: the ID card's OCR fallback, for when the chip cannot be read. A photographed card is
//! rectified to the standard aspect ([`rectify`]), its fields are read by PP-OCRv4 through
//! tract-onnx ([`engine`], [`reader`]) by the card's fixed layout ([`layout`]), and parsed and
//! cross-checked without ever being "corrected" ([`fields`]). An OCR read always goes to staff
//! for confirmation. [`specimen`] draws synthetic 样本 cards for tests and the demo.
#![forbid(unsafe_code)]

pub mod back;
pub mod engine;
pub mod eval;
pub mod fields;
pub mod layout;
pub mod reader;
pub mod rectify;
pub mod specimen;

use std::path::PathBuf;

pub use back::{check_back, read_back, BackField, CheckedBack, RawBack};
pub use engine::{OcrEngine, Recognized, TextBox};
pub use fields::{check, CheckedCard, CheckedField, FieldProblem, RawCard, RawField};
pub use layout::Field;
pub use reader::{read_card, LineReader};
pub use rectify::{rectify, CaptureProblem, CaptureRules, Rectified};

#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    /// A model file is missing, damaged or not loadable.
    #[error("OCR model {path}: {detail}")]
    Model { path: PathBuf, detail: String },
    #[error("the OCR models failed on this image: {0}")]
    Inference(String),
    #[error("the card image cannot be used: {0}")]
    Image(String),
    #[error("font {path}: {detail}")]
    Font { path: PathBuf, detail: String },
}
