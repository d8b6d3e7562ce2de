//! The spoken-digits challenge of the liveness step.

use std::fmt;
use std::time::Duration;

use rand_core::RngCore;

use crate::time::Timestamp;

/// How long drawn digits stay valid.
pub const CHALLENGE_TTL: Duration = Duration::from_secs(5 * 60);

/// 4–6 digits with no run of three equal digits, drawn from a caller-supplied RNG.
#[derive(Clone, PartialEq, Eq)]
pub struct Challenge {
    digits: Vec<u8>,
    issued_at: Timestamp,
}

impl Challenge {
    /// Draws `len` digits (clamped to 4..=6) without a run of three equal digits.
    pub fn generate<R: RngCore + ?Sized>(rng: &mut R, len: usize, now: Timestamp) -> Challenge {
        let len = len.clamp(4, 6);
        let mut digits: Vec<u8> = Vec::with_capacity(len);
        while digits.len() < len {
            // Rejection sampling keeps the distribution uniform over 0..=9.
            let candidate = loop {
                let value = rng.next_u32() & 0xF;
                if value < 10 {
                    break value as u8;
                }
            };
            let run_of_three = digits.len() >= 2
                && digits[digits.len() - 1] == candidate
                && digits[digits.len() - 2] == candidate;
            if !run_of_three {
                digits.push(candidate);
            }
        }
        Challenge {
            digits,
            issued_at: now,
        }
    }

    /// Rebuilds a challenge from stored digits; `None` if they break the rules.
    pub fn from_digits(digits: &[u8], issued_at: Timestamp) -> Option<Challenge> {
        let valid_len = (4..=6).contains(&digits.len());
        let valid_digits = digits.iter().all(|d| *d < 10);
        let no_run = digits.windows(3).all(|w| !(w[0] == w[1] && w[1] == w[2]));
        (valid_len && valid_digits && no_run).then(|| Challenge {
            digits: digits.to_vec(),
            issued_at,
        })
    }

    pub fn digits(&self) -> &[u8] {
        &self.digits
    }

    pub fn as_text(&self) -> String {
        self.digits.iter().map(|d| char::from(b'0' + d)).collect()
    }

    pub fn issued_at(&self) -> Timestamp {
        self.issued_at
    }

    pub fn is_expired(&self, now: Timestamp) -> bool {
        now.since(self.issued_at) > CHALLENGE_TTL
    }
}

impl fmt::Debug for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Challenge({}, {:?})", self.as_text(), self.issued_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    proptest! {
        #[test]
        fn rules_hold_for_any_seed(seed in any::<u64>(), len in 0usize..10) {
            let mut rng = StdRng::seed_from_u64(seed);
            let challenge = Challenge::generate(&mut rng, len, Timestamp::from_millis(0));
            prop_assert_eq!(challenge.digits().len(), len.clamp(4, 6));
            prop_assert!(challenge.digits().windows(3).all(|w| !(w[0] == w[1] && w[1] == w[2])));
            prop_assert!(Challenge::from_digits(challenge.digits(), challenge.issued_at()).is_some());
        }
    }

    /// An RNG that returns a fixed sequence, to force runs.
    struct Scripted(Vec<u32>, usize);
    impl rand_core::RngCore for Scripted {
        fn next_u32(&mut self) -> u32 {
            let value = self.0[self.1 % self.0.len()];
            self.1 += 1;
            value
        }
        fn next_u64(&mut self) -> u64 {
            u64::from(self.next_u32())
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            for byte in dest {
                *byte = self.next_u32() as u8;
            }
        }
    }

    #[test]
    fn runs_of_three_are_redrawn_and_out_of_range_rejected() {
        let mut rng = Scripted(vec![7, 7, 7, 15, 7, 3, 3, 3, 3, 1], 0);
        let challenge = Challenge::generate(&mut rng, 6, Timestamp::from_millis(0));
        assert_eq!(challenge.as_text(), "773317");
    }

    #[test]
    fn expiry_and_reconstruction() {
        let issued = Timestamp::from_millis(1_000);
        let challenge = Challenge::from_digits(&[1, 2, 3, 4], issued).unwrap();
        assert!(!challenge.is_expired(issued.plus(CHALLENGE_TTL)));
        assert!(challenge.is_expired(issued.plus(CHALLENGE_TTL + Duration::from_millis(1))));
        assert!(Challenge::from_digits(&[1, 1, 1, 2], issued).is_none());
        assert!(Challenge::from_digits(&[1, 2, 3], issued).is_none());
        assert!(Challenge::from_digits(&[1, 2, 3, 10], issued).is_none());
    }
}
