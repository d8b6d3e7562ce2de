//! Handwritten signatures as strokes of timed points, with the checks that reject empty or trivial ones.

use std::fmt;

use crate::reason::ReasonCode;

/// One sampled point, in a device-independent space where the signature box is 1000 × 400 units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SignaturePoint {
    pub x: f32,
    pub y: f32,
    /// 0.0–1.0; 0.5 when the device reports none.
    pub pressure: f32,
    /// Milliseconds since the first point.
    pub t_ms: u32,
}

/// A signature: strokes of points. `Debug` shows only counts.
#[derive(Clone, PartialEq, Default)]
pub struct SignatureStrokes {
    pub strokes: Vec<Vec<SignaturePoint>>,
}

/// Minimum ink length (units of the 1000 × 400 box), extent and writing time of a signature.
pub const MIN_INK_LENGTH: f32 = 300.0;
pub const MIN_EXTENT: f32 = 60.0;
/// Everything within this many units is a dot, not writing.
pub const MAX_DOT_EXTENT: f32 = 8.0;
pub const MIN_DURATION_MS: u32 = 300;

impl SignatureStrokes {
    pub fn point_count(&self) -> usize {
        self.strokes.iter().map(Vec::len).sum()
    }

    pub fn ink_length(&self) -> f32 {
        self.strokes
            .iter()
            .flat_map(|stroke| stroke.windows(2))
            .map(|pair| ((pair[1].x - pair[0].x).powi(2) + (pair[1].y - pair[0].y).powi(2)).sqrt())
            .sum()
    }

    /// Each check has its own reason, tried in this order: empty; a dot (everything within
    /// [`MAX_DOT_EXTENT`]); too small (bounding box under [`MIN_EXTENT`]); too little ink
    /// ([`MIN_INK_LENGTH`]); written too quickly ([`MIN_DURATION_MS`]); one straight line.
    pub fn check(&self) -> Result<(), ReasonCode> {
        let points: Vec<&SignaturePoint> = self.strokes.iter().flatten().collect();
        if points.len() < 2 {
            return Err(ReasonCode::SignatureEmpty);
        }
        let (min_x, max_x) = extent(points.iter().map(|p| p.x));
        let (min_y, max_y) = extent(points.iter().map(|p| p.y));
        let size = (max_x - min_x).max(max_y - min_y);
        if size < MAX_DOT_EXTENT {
            return Err(ReasonCode::SignatureTrivial);
        }
        if size < MIN_EXTENT {
            return Err(ReasonCode::SignatureTooSmall);
        }
        if self.ink_length() < MIN_INK_LENGTH {
            return Err(ReasonCode::SignatureTooShort);
        }
        let duration = points.iter().map(|p| p.t_ms).max().unwrap_or(0)
            - points.iter().map(|p| p.t_ms).min().unwrap_or(0);
        if duration < MIN_DURATION_MS {
            return Err(ReasonCode::SignatureTooQuick);
        }
        if self.strokes.len() == 1 && is_straight_line(&points) {
            return Err(ReasonCode::SignatureTrivial);
        }
        Ok(())
    }
}

fn extent(values: impl Iterator<Item = f32>) -> (f32, f32) {
    values.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    })
}

/// True when every point lies within 3 % of the chord length of the line from first to last point.
fn is_straight_line(points: &[&SignaturePoint]) -> bool {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return true;
    };
    let dx = last.x - first.x;
    let dy = last.y - first.y;
    let chord = (dx * dx + dy * dy).sqrt();
    if chord < f32::EPSILON {
        return false;
    }
    points
        .iter()
        .all(|p| ((p.x - first.x) * dy - (p.y - first.y) * dx).abs() / chord <= 0.03 * chord)
}

impl fmt::Debug for SignatureStrokes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SignatureStrokes({} strokes, {} points)",
            self.strokes.len(),
            self.point_count()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stroke(points: &[(f32, f32)], step_ms: u32) -> Vec<SignaturePoint> {
        points
            .iter()
            .enumerate()
            .map(|(i, (x, y))| SignaturePoint {
                x: *x,
                y: *y,
                pressure: 0.5,
                t_ms: i as u32 * step_ms,
            })
            .collect()
    }

    fn zigzag() -> Vec<(f32, f32)> {
        (0..20)
            .map(|i| {
                (
                    100.0 + i as f32 * 30.0,
                    if i % 2 == 0 { 100.0 } else { 200.0 },
                )
            })
            .collect()
    }

    #[test]
    fn each_check() {
        let ok = SignatureStrokes {
            strokes: vec![stroke(&zigzag(), 40)],
        };
        assert_eq!(ok.check(), Ok(()));
        assert_eq!(
            SignatureStrokes::default().check(),
            Err(ReasonCode::SignatureEmpty)
        );
        let dot = SignatureStrokes {
            strokes: vec![stroke(&[(10.0, 10.0), (11.0, 10.5)], 100)],
        };
        assert_eq!(dot.check(), Err(ReasonCode::SignatureTrivial));
        let line = SignatureStrokes {
            strokes: vec![stroke(
                &[(0.0, 0.0), (300.0, 3.0), (600.0, 6.0), (900.0, 9.0)],
                200,
            )],
        };
        assert_eq!(line.check(), Err(ReasonCode::SignatureTrivial));
        let fast = SignatureStrokes {
            strokes: vec![stroke(&zigzag(), 5)],
        };
        assert_eq!(fast.check(), Err(ReasonCode::SignatureTooQuick));
        let small = SignatureStrokes {
            strokes: vec![stroke(&[(10.0, 10.0), (40.0, 30.0), (20.0, 50.0)], 200)],
        };
        assert_eq!(small.check(), Err(ReasonCode::SignatureTooSmall));
        let tiny_ink = SignatureStrokes {
            strokes: vec![stroke(&[(0.0, 0.0), (70.0, 40.0), (0.0, 80.0)], 300)],
        };
        assert_eq!(tiny_ink.check(), Err(ReasonCode::SignatureTooShort));
        assert_eq!(format!("{ok:?}"), "SignatureStrokes(1 strokes, 20 points)");
    }
}
