//! The stored signature: `{"version":1,"device":{…},"strokes":[[[x,y,p,t],…],…],"png_sha256":"…"}`
//! (research §12.2). Points are compact arrays in the 1000 × 400 box; `t` is ms from the first
//! point. The PNG's hash ties the stored image artefact to these strokes.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zk_domain::{SignaturePoint, SignatureStrokes};

use crate::SignatureError;

pub const RECORD_VERSION: u32 = 1;
/// More points than any real signature (a 10 s signature at 200 Hz is 2 000).
const MAX_POINTS: usize = 100_000;

/// What captured the signature.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PadInfo {
    /// `touch`, `isdv4`, `sim`, …
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_max: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y_max: Option<u32>,
    /// `None`: the device reports no pressure (stored pressure is then 0.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pressure_max: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_per_mm: Option<u32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SignatureRecord {
    pub device: PadInfo,
    pub strokes: SignatureStrokes,
    /// Lower-case hex SHA-256 of the rendered PNG.
    pub png_sha256: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    version: u32,
    device: PadInfo,
    strokes: Vec<Vec<(f32, f32, f32, u32)>>,
    png_sha256: String,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl SignatureRecord {
    /// A record for `strokes` and the PNG rendered from them.
    pub fn new(device: PadInfo, strokes: SignatureStrokes, png: &[u8]) -> SignatureRecord {
        SignatureRecord {
            device,
            strokes,
            png_sha256: sha256_hex(png),
        }
    }

    /// True when `png` is the image this record was made with.
    pub fn matches_image(&self, png: &[u8]) -> bool {
        sha256_hex(png) == self.png_sha256
    }

    pub fn to_json(&self) -> Result<Vec<u8>, SignatureError> {
        let wire = Wire {
            version: RECORD_VERSION,
            device: self.device.clone(),
            strokes: self
                .strokes
                .strokes
                .iter()
                .map(|stroke| {
                    stroke
                        .iter()
                        .map(|p| (p.x, p.y, p.pressure, p.t_ms))
                        .collect()
                })
                .collect(),
            png_sha256: self.png_sha256.clone(),
        };
        serde_json::to_vec(&wire).map_err(|error| SignatureError::Encode(error.to_string()))
    }

    /// Reads a record back, refusing what no capture could have produced.
    pub fn from_json(bytes: &[u8]) -> Result<SignatureRecord, SignatureError> {
        let wire: Wire = serde_json::from_slice(bytes)
            .map_err(|error| SignatureError::Malformed(error.to_string()))?;
        if wire.version != RECORD_VERSION {
            return Err(SignatureError::Malformed(format!(
                "record version {} (this build reads {RECORD_VERSION})",
                wire.version
            )));
        }
        let is_hex = wire.png_sha256.len() == 64
            && wire
                .png_sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !is_hex {
            return Err(SignatureError::Malformed(
                "png_sha256 is not a SHA-256".into(),
            ));
        }
        let total: usize = wire.strokes.iter().map(Vec::len).sum();
        if total > MAX_POINTS {
            return Err(SignatureError::Malformed(format!("{total} points")));
        }
        let mut strokes = Vec::with_capacity(wire.strokes.len());
        for stroke in wire.strokes {
            let mut points = Vec::with_capacity(stroke.len());
            for (x, y, pressure, t_ms) in stroke {
                let in_box = (0.0..=1000.0).contains(&x) && (0.0..=400.0).contains(&y);
                if !in_box || !(0.0..=1.0).contains(&pressure) {
                    return Err(SignatureError::Malformed(
                        "a point lies outside the 1000 × 400 box or its pressure outside 0–1"
                            .into(),
                    ));
                }
                points.push(SignaturePoint {
                    x,
                    y,
                    pressure,
                    t_ms,
                });
            }
            strokes.push(points);
        }
        Ok(SignatureRecord {
            device: wire.device,
            strokes: SignatureStrokes { strokes },
            png_sha256: wire.png_sha256,
        })
    }
}

#[cfg(test)]
mod tests;
