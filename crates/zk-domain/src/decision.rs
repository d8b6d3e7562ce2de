//! Three-way decisions with the scores and thresholds behind them, and the face-match policy.

use crate::reason::ReasonCode;

/// Pass, fail with a reason (retry allowed), or send to staff review with a reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Pass,
    Fail(ReasonCode),
    Review(ReasonCode),
}

impl Decision {
    pub fn code(self) -> &'static str {
        match self {
            Decision::Pass => "pass",
            Decision::Fail(_) => "fail",
            Decision::Review(_) => "review",
        }
    }

    pub fn reason(self) -> Option<ReasonCode> {
        match self {
            Decision::Pass => None,
            Decision::Fail(reason) | Decision::Review(reason) => Some(reason),
        }
    }
}

/// One measured signal with the threshold it was judged against.
#[derive(Clone, Debug, PartialEq)]
pub struct Score {
    pub name: String,
    pub value: f64,
    pub threshold: f64,
}

impl Score {
    pub fn new(name: &str, value: f64, threshold: f64) -> Score {
        Score {
            name: name.to_owned(),
            value,
            threshold,
        }
    }

    /// Whether a smaller value is the better one: distances, p-values, counts of frames outside
    /// the guide and speech before the digits appeared.
    pub fn lower_is_better(&self) -> bool {
        ["distance", "_p", "outside", "early"]
            .iter()
            .any(|marker| self.name.contains(marker))
    }

    /// The value is on the good side of its threshold (reviewers see this as a green bar).
    pub fn passes(&self) -> bool {
        if self.lower_is_better() {
            self.value <= self.threshold
        } else {
            self.value >= self.threshold
        }
    }
}

/// A decision with everything needed to audit it later.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub decision: Decision,
    pub scores: Vec<Score>,
    /// Which model/algorithm produced the scores (`sim-scripted-v1` for the simulator).
    pub model_version: String,
}

impl Verdict {
    pub fn pass(model_version: &str) -> Verdict {
        Verdict {
            decision: Decision::Pass,
            scores: Vec::new(),
            model_version: model_version.to_owned(),
        }
    }

    pub fn fail(reason: ReasonCode, model_version: &str) -> Verdict {
        Verdict {
            decision: Decision::Fail(reason),
            scores: Vec::new(),
            model_version: model_version.to_owned(),
        }
    }

    pub fn with_score(mut self, score: Score) -> Verdict {
        self.scores.push(score);
        self
    }
}

/// Face verification policy over several frames: a distance (lower = more alike) at or below
/// `pass_at_most` passes, at or below `review_at_most` goes to staff review, above fails.
#[derive(Clone, Debug, PartialEq)]
pub struct MatchPolicy {
    pub pass_at_most: f64,
    pub review_at_most: f64,
    /// Fewest frames with a usable face to decide on.
    pub min_frames: usize,
    pub model_version: String,
}

impl MatchPolicy {
    /// Decides on the median distance of the frames, so one lucky or unlucky frame cannot decide.
    pub fn decide(&self, distances: &[f64]) -> Verdict {
        let mut usable: Vec<f64> = distances
            .iter()
            .copied()
            .filter(|d| d.is_finite())
            .collect();
        if usable.len() < self.min_frames.max(1) {
            return Verdict::fail(ReasonCode::NoFace, &self.model_version).with_score(Score::new(
                "usable_frames",
                usable.len() as f64,
                self.min_frames as f64,
            ));
        }
        usable.sort_by(f64::total_cmp);
        let middle = usable.len() / 2;
        let median = if usable.len().is_multiple_of(2) {
            (usable[middle - 1] + usable[middle]) / 2.0
        } else {
            usable[middle]
        };
        let decision = if median <= self.pass_at_most {
            Decision::Pass
        } else if median <= self.review_at_most {
            Decision::Review(ReasonCode::FaceUncertain)
        } else {
            Decision::Fail(ReasonCode::FaceMismatch)
        };
        Verdict {
            decision,
            scores: vec![
                Score::new("face_distance_median", median, self.pass_at_most),
                Score::new("face_distance_review", median, self.review_at_most),
                Score::new("usable_frames", usable.len() as f64, self.min_frames as f64),
            ],
            model_version: self.model_version.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_score_passes_on_its_good_side() {
        assert!(Score::new("face_distance_median", 0.3, 0.45).passes());
        assert!(!Score::new("face_distance_median", 0.5, 0.45).passes());
        assert!(Score::new("lip_sync", 0.6, 0.35).passes());
        assert!(!Score::new("lip_sync", 0.1, 0.35).passes());
        assert!(Score::new("lip_sync_p", 0.01, 0.05).passes());
        assert!(!Score::new("frames_outside_guide", 4.0, 1.0).passes());
    }

    fn policy() -> MatchPolicy {
        MatchPolicy {
            pass_at_most: 0.4,
            review_at_most: 0.5,
            min_frames: 3,
            model_version: "test".into(),
        }
    }

    #[test]
    fn three_way_on_median() {
        assert_eq!(policy().decide(&[0.3, 0.9, 0.35]).decision, Decision::Pass);
        assert_eq!(
            policy().decide(&[0.45, 0.1, 0.46, 0.9]).decision,
            Decision::Review(ReasonCode::FaceUncertain)
        );
        assert_eq!(
            policy().decide(&[0.6, 0.1, 0.7]).decision,
            Decision::Fail(ReasonCode::FaceMismatch)
        );
        // One lucky frame does not pass a mismatch.
        assert_eq!(
            policy().decide(&[0.1, 0.8, 0.9]).decision,
            Decision::Fail(ReasonCode::FaceMismatch)
        );
        assert_eq!(
            policy().decide(&[0.1, f64::NAN]).decision,
            Decision::Fail(ReasonCode::NoFace)
        );
        let verdict = policy().decide(&[0.4, 0.4, 0.4]);
        assert_eq!(verdict.decision, Decision::Pass);
        assert_eq!(
            verdict.scores[0],
            Score::new("face_distance_median", 0.4, 0.4)
        );
        assert_eq!(verdict.model_version, "test");
    }
}
