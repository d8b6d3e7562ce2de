//! Silero VAD v6 through tract-onnx.
//!
//! tract cannot load the stock Silero files (their `If` nodes); `scripts/fetch-models.sh` folds
//! `silero_vad_op18_ifless.onnx` from the `silero-vad==6.2.3` wheel once (the sample rate made a
//! constant 16000, input shapes fixed, simplified with onnxsim) into [`SILERO_VAD_FILE`], whose
//! sha256 is pinned here. Streaming follows Silero's Python wrapper: 512-sample windows at 16 kHz
//! with the previous window's last 64 samples prepended (input `[1, 576]`) and the recurrent
//! state `[2, 1, 128]` carried from one window to the next, starting at zero.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tract_onnx::prelude::*;

use crate::error::LivenessError;

/// The folded model's file name in the models directory.
pub const SILERO_VAD_FILE: &str = "silero_vad_16k_folded.onnx";
/// sha256 of the folded model (reproducible: onnx 1.23.2 + onnxsim 0.8.1 on the 6.2.3 wheel).
pub const SILERO_VAD_SHA256: &str =
    "6dcffbade0d5f1d4fc2e56719d476a5469588d2c3ce2154c1231d3664404de4a";
/// Samples per window at 16 kHz (32 ms); one probability each.
pub const VAD_WINDOW: usize = 512;
/// Samples of the previous window prepended to each input.
const CONTEXT: usize = 64;
const STATE_LEN: usize = 2 * 128;
/// The only rate the folded model takes.
pub const VAD_SAMPLE_RATE: u32 = 16_000;

/// The loaded model; `judge`-time use is read-only, so one instance serves every clip.
pub struct SileroVad {
    plan: Arc<TypedRunnableModel>,
}

impl std::fmt::Debug for SileroVad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SileroVad")
    }
}

impl SileroVad {
    /// Loads [`SILERO_VAD_FILE`] from `models_dir`, refusing a file whose sha256 is not
    /// [`SILERO_VAD_SHA256`].
    pub fn open(models_dir: &Path) -> Result<SileroVad, LivenessError> {
        let path = models_dir.join(SILERO_VAD_FILE);
        let bytes = std::fs::read(&path).map_err(|error| LivenessError::Model {
            path: path.clone(),
            detail: error.to_string(),
        })?;
        let digest = hex(&Sha256::digest(&bytes));
        if digest != SILERO_VAD_SHA256 {
            return Err(LivenessError::Model {
                path,
                detail: format!("sha256 {digest}, expected {SILERO_VAD_SHA256}"),
            });
        }
        SileroVad::from_bytes(&bytes).map_err(|error| LivenessError::Model {
            path: PathBuf::from(&path),
            detail: error.to_string(),
        })
    }

    /// Builds the model from the folded ONNX bytes (no checksum: [`SileroVad::open`] checks).
    pub fn from_bytes(bytes: &[u8]) -> Result<SileroVad, LivenessError> {
        let failed = |error: TractError| LivenessError::Inference(format!("{error:#}"));
        let mut model = tract_onnx::onnx()
            .model_for_read(&mut std::io::Cursor::new(bytes))
            .map_err(failed)?;
        let names: Vec<String> = model
            .input_outlets()
            .map_err(failed)?
            .iter()
            .map(|outlet| model.node(outlet.node).name.clone())
            .collect();
        if names != ["input", "state"] {
            return Err(LivenessError::Inference(format!(
                "the model's inputs are {names:?}, not [\"input\", \"state\"]: is it the folded Silero v6 file?"
            )));
        }
        model = model
            .with_input_fact(0, f32::fact([1, VAD_WINDOW + CONTEXT]).into())
            .map_err(failed)?
            .with_input_fact(1, f32::fact([2, 1, 128]).into())
            .map_err(failed)?;
        let plan = model
            .into_optimized()
            .map_err(failed)?
            .into_runnable()
            .map_err(failed)?;
        Ok(SileroVad { plan })
    }

    /// The speech probability of each whole 512-sample window of 16 kHz audio (a trailing
    /// partial window is ignored).
    pub fn probabilities(&self, samples: &[i16]) -> Result<Vec<f32>, LivenessError> {
        let failed = |error: TractError| LivenessError::Inference(format!("{error:#}"));
        let mut state = vec![0.0f32; STATE_LEN];
        let mut context = [0.0f32; CONTEXT];
        let mut out = Vec::with_capacity(samples.len() / VAD_WINDOW);
        let mut runner = self.plan.spawn().map_err(failed)?;
        for window in samples.chunks_exact(VAD_WINDOW) {
            let mut input = Vec::with_capacity(VAD_WINDOW + CONTEXT);
            input.extend_from_slice(&context);
            input.extend(window.iter().map(|sample| f32::from(*sample) / 32768.0));
            if let Some(tail) = input.get(input.len() - CONTEXT..) {
                context.copy_from_slice(tail);
            }
            let input = Tensor::from_shape(&[1, VAD_WINDOW + CONTEXT], &input).map_err(failed)?;
            let state_in = Tensor::from_shape(&[2, 1, 128], &state).map_err(failed)?;
            let outputs = runner
                .run(tvec!(input.into_tvalue(), state_in.into_tvalue()))
                .map_err(failed)?;
            let mut probability = None;
            for output in &outputs {
                let view = output.to_plain_array_view::<f32>().map_err(failed)?;
                let values: Vec<f32> = view.iter().copied().collect();
                match values.len() {
                    1 => probability = values.first().copied(),
                    STATE_LEN => state.copy_from_slice(&values),
                    other => {
                        return Err(LivenessError::Inference(format!(
                            "an output of {other} values (expected 1 and {STATE_LEN})"
                        )))
                    }
                }
            }
            out.push(probability.ok_or_else(|| {
                LivenessError::Inference("the model gave no probability output".into())
            })?);
        }
        Ok(out)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests;
