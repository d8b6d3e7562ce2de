//! Thresholds from labelled pairs: the distance at a target false-accept rate, accept rates at a
//! threshold, and the equal error rate. A pair is accepted when its distance is at most the
//! threshold (the rule of [`zk_domain::MatchPolicy`]).

use crate::error::VisionError;

/// The distance of one compared pair and whether it really is one person.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LabelledDistance {
    pub distance: f64,
    pub same_person: bool,
}

/// Accept rates at one threshold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rates {
    pub threshold: f64,
    /// True-accept rate: genuine pairs at or below the threshold.
    pub tar: f64,
    /// False-accept rate: impostor pairs at or below the threshold.
    pub far: f64,
    pub genuine: usize,
    pub impostors: usize,
    pub true_accepts: usize,
    pub false_accepts: usize,
}

/// Where the false-accept and false-reject rates meet.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EqualErrorRate {
    pub rate: f64,
    pub threshold: f64,
}

fn split(scores: &[LabelledDistance]) -> Result<(Vec<f64>, Vec<f64>), VisionError> {
    if scores.iter().any(|score| !score.distance.is_finite()) {
        return Err(VisionError::InvalidInput(
            "calibration: every distance must be a finite number".into(),
        ));
    }
    let mut genuine: Vec<f64> = scores
        .iter()
        .filter(|score| score.same_person)
        .map(|score| score.distance)
        .collect();
    let mut impostors: Vec<f64> = scores
        .iter()
        .filter(|score| !score.same_person)
        .map(|score| score.distance)
        .collect();
    if genuine.is_empty() || impostors.is_empty() {
        return Err(VisionError::InvalidInput(format!(
            "calibration needs genuine and impostor pairs, got {} and {}",
            genuine.len(),
            impostors.len()
        )));
    }
    genuine.sort_by(f64::total_cmp);
    impostors.sort_by(f64::total_cmp);
    Ok((genuine, impostors))
}

/// Accept rates when every pair with a distance at most `threshold` is accepted.
pub fn rates_at(scores: &[LabelledDistance], threshold: f64) -> Result<Rates, VisionError> {
    let (genuine, impostors) = split(scores)?;
    let true_accepts = genuine.iter().filter(|d| **d <= threshold).count();
    let false_accepts = impostors.iter().filter(|d| **d <= threshold).count();
    Ok(Rates {
        threshold,
        tar: true_accepts as f64 / genuine.len() as f64,
        far: false_accepts as f64 / impostors.len() as f64,
        genuine: genuine.len(),
        impostors: impostors.len(),
        true_accepts,
        false_accepts,
    })
}

/// The most permissive threshold whose false-accept rate on `scores` is at most `target_far`
/// (a fraction: 0.01 for 1 %), with its rates.
///
/// With `n` impostor pairs, `floor(target_far × n)` of them may be accepted; the threshold is put
/// halfway between the first impostor that must be rejected and the nearest smaller distance
/// (genuine or impostor), so it sits in the gap instead of on a sample. With fewer than
/// `1 / target_far` impostor pairs this means "no impostor accepted": the set is too small to
/// show a rate that low, and the result says nothing better than that.
pub fn calibrate(scores: &[LabelledDistance], target_far: f64) -> Result<Rates, VisionError> {
    if !(0.0..1.0).contains(&target_far) {
        return Err(VisionError::InvalidInput(format!(
            "calibration: the target false-accept rate must be in [0, 1), got {target_far}"
        )));
    }
    let (_, impostors) = split(scores)?;
    let allowed = (target_far * impostors.len() as f64 + 1e-9).floor() as usize;
    let first_rejected = impostors[allowed.min(impostors.len() - 1)];
    let below = scores
        .iter()
        .map(|score| score.distance)
        .filter(|distance| *distance < first_rejected)
        .reduce(f64::max)
        .unwrap_or(0.0);
    let threshold = if allowed >= impostors.len() {
        impostors[impostors.len() - 1]
    } else {
        (below + first_rejected) / 2.0
    };
    rates_at(scores, threshold)
}

/// The equal error rate: over the thresholds at each distance and between neighbours, the one
/// where the false-accept and false-reject rates are closest; their mean is the rate.
pub fn equal_error_rate(scores: &[LabelledDistance]) -> Result<EqualErrorRate, VisionError> {
    let (genuine, impostors) = split(scores)?;
    let mut distances: Vec<f64> = genuine.iter().chain(&impostors).copied().collect();
    distances.sort_by(f64::total_cmp);
    distances.dedup();
    let mut candidates = vec![distances[0] - 1.0];
    for pair in distances.windows(2) {
        candidates.push(pair[0]);
        candidates.push((pair[0] + pair[1]) / 2.0);
    }
    candidates.push(distances[distances.len() - 1]);
    let mut best: Option<(f64, EqualErrorRate)> = None;
    for threshold in candidates {
        let far =
            impostors.iter().filter(|d| **d <= threshold).count() as f64 / impostors.len() as f64;
        let frr = genuine.iter().filter(|d| **d > threshold).count() as f64 / genuine.len() as f64;
        let gap = (far - frr).abs();
        let candidate = EqualErrorRate {
            rate: (far + frr) / 2.0,
            threshold,
        };
        let better = match &best {
            None => true,
            Some((best_gap, best_rate)) => {
                gap < *best_gap || (gap == *best_gap && candidate.rate < best_rate.rate)
            }
        };
        if better {
            best = Some((gap, candidate));
        }
    }
    best.map(|(_, rate)| rate)
        .ok_or_else(|| VisionError::InvalidInput("calibration: no distances".into()))
}

#[cfg(test)]
mod tests;
