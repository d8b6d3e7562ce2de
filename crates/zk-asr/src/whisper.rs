//! Whisper base through CTranslate2 (ct2rs), decoding digits only.
//!
//! Unconstrained, Whisper base hallucinates English or repeats tokens on short Mandarin digit
//! readings; with every non-digit token suppressed and beam 5 it read 17 of 20 synthetic
//! readings within one edit and never came within one edit of a wrong challenge (research note
//! `liveness-asr.md` §2). The model has no initial-prompt support through ct2rs.

use std::collections::BTreeSet;
use std::path::Path;

use ct2rs::{ComputeType, Config, Whisper, WhisperOptions};
use tokenizers::Tokenizer;

use crate::model::{self, MODEL_VERSION};
use crate::{AsrError, DigitRecognizer};

/// The ids below this are text tokens; from it on come end-of-text and the special tokens.
const TEXT_VOCAB: u32 = 50_257;
/// The numerals a reading of digits can contain (幺 and 两 are how 1 and 2 are often said).
const NUMERALS: &[&str] = &[
    "零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "幺", "两",
];

/// The token ids to suppress so that only digits can be written: every text token except the
/// numerals' tokens, all-ASCII-digit tokens, space, comma and end-of-text. With the pinned
/// tokenizer 442 text ids stay allowed, plus end-of-text (50257).
pub fn digit_suppress_tokens(tokenizer: &Tokenizer) -> Result<Vec<i32>, String> {
    let mut allowed: BTreeSet<u32> = BTreeSet::new();
    for numeral in NUMERALS {
        let encoding = tokenizer
            .encode(*numeral, false)
            .map_err(|error| format!("cannot encode {numeral}: {error}"))?;
        if encoding.get_ids().is_empty() {
            return Err(format!("the tokenizer has no tokens for {numeral}"));
        }
        allowed.extend(encoding.get_ids());
    }
    for (token, id) in tokenizer.get_vocab(false) {
        // Byte-level BPE: "Ġ" is a leading space.
        let text = token.trim_start_matches('Ġ');
        if id < TEXT_VOCAB && !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit()) {
            allowed.insert(id);
        }
    }
    for special in ["Ġ", ",", "<|endoftext|>"] {
        let id = tokenizer
            .token_to_id(special)
            .ok_or_else(|| format!("the tokenizer has no {special:?} token"))?;
        allowed.insert(id);
    }
    Ok((0..TEXT_VOCAB)
        .filter(|id| !allowed.contains(id))
        .filter_map(|id| i32::try_from(id).ok())
        .collect())
}

/// The Whisper digit recogniser.
pub struct WhisperDigits {
    whisper: Whisper,
    options: WhisperOptions,
}

impl std::fmt::Debug for WhisperDigits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhisperDigits")
            .field("beam_size", &self.options.beam_size)
            .field("suppressed", &self.options.suppress_tokens.len())
            .finish_non_exhaustive()
    }
}

impl WhisperDigits {
    /// Checks the model directory against its hashes, then loads it (int8, `threads` CPU
    /// threads; 0: all). About 1 s.
    pub fn open(dir: &Path, threads: usize) -> Result<WhisperDigits, AsrError> {
        model::verify(dir)?;
        let tokenizer = Tokenizer::from_file(dir.join("tokenizer.json"))
            .map_err(|error| AsrError::model(dir, format!("tokenizer.json: {error}")))?;
        let suppress_tokens =
            digit_suppress_tokens(&tokenizer).map_err(|why| AsrError::model(dir, why))?;
        let config = Config {
            compute_type: ComputeType::INT8,
            num_threads_per_replica: threads,
            ..Config::default()
        };
        let whisper = Whisper::new(dir, config).map_err(|error| {
            AsrError::model(dir, format!("CTranslate2 cannot load it: {error}"))
        })?;
        let options = WhisperOptions {
            beam_size: 5,
            max_length: 40,
            suppress_blank: false,
            suppress_tokens,
            ..WhisperOptions::default()
        };
        Ok(WhisperDigits { whisper, options })
    }
}

impl DigitRecognizer for WhisperDigits {
    fn model_version(&self) -> &str {
        MODEL_VERSION
    }

    fn recognize(&mut self, samples: &[i16]) -> Result<Vec<String>, AsrError> {
        if samples.is_empty() {
            return Ok(Vec::new());
        }
        let pcm: Vec<f32> = samples
            .iter()
            .map(|sample| f32::from(*sample) / 32_768.0)
            .collect();
        let chunks = self
            .whisper
            .generate(&pcm, Some("zh"), false, &self.options)
            .map_err(|error| AsrError::Decode(error.to_string()))?;
        // One text per 30 s chunk; a reading is one chunk, a longer clip is read in order.
        let text: String = chunks.concat();
        Ok(if text.trim().is_empty() {
            Vec::new()
        } else {
            vec![text]
        })
    }
}
