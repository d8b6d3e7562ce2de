//! [`SimSignaturePad`]: replays signatures from stroke files.
//!
//! A stroke file is a JSON array of strokes, each an array of points
//! `{"x": 120.5, "y": 210.0, "p": 0.6, "t": 0}`: `x`/`y` in the 1000 × 400 signature box, `p` the
//! pressure 0–1 (optional, 0.5 when absent), `t` milliseconds since the first point (never going
//! back). Such a file is one signature, returned by every capture; `[]` is an empty signature.
//!
//! A script file is a JSON array of events instead, looped:
//! `{"strokes": [[{…}, …], …]}` (one signature) and `{"fault": "timeout"}` (see [`SimFault`]).
//! One-shot faults can also be injected at run time through [`SimSignaturePad::faults`].

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use zk_domain::{SignaturePoint, SignatureStrokes};

use super::SignaturePad;
use crate::error::{Device, DeviceError};
use crate::sim::{self, FaultQueue, SimFault};

const DEVICE: Device = Device::SignaturePad;

#[derive(Clone, Debug)]
enum Slot {
    Signature(SignatureStrokes),
    Fault(SimFault),
}

/// The simulated signature pad.
#[derive(Debug)]
pub struct SimSignaturePad {
    slots: Vec<Slot>,
    position: usize,
    faults: FaultQueue,
}

impl SimSignaturePad {
    /// Loads a stroke file or a script file (formats in the module docs).
    pub fn from_file(path: &Path) -> Result<SimSignaturePad, DeviceError> {
        let text = sim::read_text(DEVICE, "signature file", path)?;
        SimSignaturePad::parse(&text, path)
    }

    /// Parses stroke-file or script text.
    pub fn from_json(text: &str) -> Result<SimSignaturePad, DeviceError> {
        SimSignaturePad::parse(text, Path::new("<inline signature script>"))
    }

    /// Returns `strokes` on every capture.
    pub fn from_strokes(strokes: SignatureStrokes) -> SimSignaturePad {
        SimSignaturePad::new(vec![Slot::Signature(strokes)])
    }

    fn new(slots: Vec<Slot>) -> SimSignaturePad {
        SimSignaturePad {
            slots,
            position: 0,
            faults: FaultQueue::default(),
        }
    }

    fn parse(text: &str, path: &Path) -> Result<SimSignaturePad, DeviceError> {
        if is_event_script(text) {
            let events: Vec<RawEvent> = sim::parse_json(DEVICE, path, text)?;
            let slots = events
                .into_iter()
                .map(|event| match event {
                    RawEvent::Strokes(strokes) => Slot::Signature(strokes.0),
                    RawEvent::Fault(fault) => Slot::Fault(fault),
                })
                .collect();
            Ok(SimSignaturePad::new(slots))
        } else {
            let strokes: RawStrokes = sim::parse_json(DEVICE, path, text)?;
            Ok(SimSignaturePad::from_strokes(strokes.0))
        }
    }

    /// A handle to queue one-shot faults; it stays usable after the pad is boxed.
    pub fn faults(&self) -> FaultQueue {
        self.faults.clone()
    }
}

impl SignaturePad for SimSignaturePad {
    fn info(&self) -> super::PadInfo {
        super::PadInfo {
            kind: "sim",
            model: Some("stroke-file replay".into()),
            x_max: None,
            y_max: None,
            pressure_max: None,
            points_per_mm: None,
        }
    }

    fn capture(&mut self, timeout: Duration) -> Result<SignatureStrokes, DeviceError> {
        if let Some(fault) = self.faults.pop() {
            return Err(fault.to_error(DEVICE, timeout));
        }
        let len = self.slots.len();
        let slot = self
            .position
            .checked_rem(len)
            .and_then(|index| self.slots.get(index))
            .cloned();
        self.position = (self.position + 1).checked_rem(len).unwrap_or(0);
        match slot {
            Some(Slot::Signature(strokes)) => Ok(strokes),
            Some(Slot::Fault(fault)) => Err(fault.to_error(DEVICE, timeout)),
            // An event script with no events: nobody signs.
            None => Err(DeviceError::timeout(DEVICE, timeout)),
        }
    }
}

/// An event script is an array whose first element is an object; a stroke file's elements are
/// arrays. Anything else is parsed as a stroke file, whose parser reports the problem.
fn is_event_script(text: &str) -> bool {
    let mut rest = text.trim_start();
    if let Some(after) = rest.strip_prefix('[') {
        rest = after.trim_start();
        return rest.starts_with('{');
    }
    false
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
enum RawEvent {
    #[serde(rename = "strokes")]
    Strokes(RawStrokes),
    #[serde(rename = "fault")]
    Fault(SimFault),
}

/// A whole signature. Deserialised by hand so that the check across strokes fails while the
/// parser still knows the position (serde_json adds line and column only to errors raised inside
/// a sequence or map).
struct RawStrokes(SignatureStrokes);

impl<'de> Deserialize<'de> for RawStrokes {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(StrokesVisitor)
    }
}

struct StrokesVisitor;

impl<'de> serde::de::Visitor<'de> for StrokesVisitor {
    type Value = RawStrokes;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of strokes, each a list of points {\"x\", \"y\", \"p\", \"t\"}")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<RawStrokes, A::Error> {
        let mut strokes: Vec<Vec<SignaturePoint>> = Vec::new();
        while let Some(RawStroke(points)) = seq.next_element::<RawStroke>()? {
            let ended = strokes.iter().flatten().last().map(|point| point.t_ms);
            if let (Some(ended), Some(first)) = (ended, points.first()) {
                if first.t_ms < ended {
                    return Err(serde::de::Error::custom(format!(
                        "stroke {} starts at \"t\" {} ms, before the previous stroke ended ({ended} ms)",
                        strokes.len() + 1,
                        first.t_ms
                    )));
                }
            }
            strokes.push(points);
        }
        Ok(RawStrokes(SignatureStrokes { strokes }))
    }
}

#[derive(Deserialize)]
#[serde(try_from = "Vec<RawPoint>")]
struct RawStroke(Vec<SignaturePoint>);

impl TryFrom<Vec<RawPoint>> for RawStroke {
    type Error = String;

    fn try_from(points: Vec<RawPoint>) -> Result<Self, Self::Error> {
        for (index, pair) in points.windows(2).enumerate() {
            if let [before, after] = pair {
                if after.0.t_ms < before.0.t_ms {
                    return Err(format!(
                        "point {} of a stroke: time \"t\" goes back from {} ms to {} ms",
                        index + 2,
                        before.0.t_ms,
                        after.0.t_ms
                    ));
                }
            }
        }
        Ok(RawStroke(points.into_iter().map(|point| point.0).collect()))
    }
}

#[derive(Deserialize)]
#[serde(try_from = "PointFields")]
struct RawPoint(SignaturePoint);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PointFields {
    x: f32,
    y: f32,
    #[serde(default = "default_pressure")]
    p: f32,
    t: u32,
}

fn default_pressure() -> f32 {
    0.5
}

impl TryFrom<PointFields> for RawPoint {
    type Error = String;

    fn try_from(point: PointFields) -> Result<Self, Self::Error> {
        if !(point.x.is_finite() && point.y.is_finite()) {
            return Err("point: \"x\" and \"y\" must be finite numbers".to_owned());
        }
        if !(0.0..=1.0).contains(&point.p) {
            return Err(format!(
                "point: pressure \"p\" is {}, outside 0 to 1",
                point.p
            ));
        }
        Ok(RawPoint(SignaturePoint {
            x: point.x,
            y: point.y,
            pressure: point.p,
            t_ms: point.t,
        }))
    }
}

#[cfg(test)]
mod tests;
