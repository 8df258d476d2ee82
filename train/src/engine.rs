//! The interface between the training loop and the machine that does the
//! arithmetic: the f32 CPU reference ([`super::cpu`]) or the accelerator
//! through the cycle-accurate simulator or the RTL ([`super::accel`]).

use super::net::Net;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

/// Hyper-parameters of one SGD-with-momentum step with L2 weight decay
/// (PyTorch's `SGD(momentum, weight_decay)` without dampening or Nesterov):
/// `V <- momentum * V - lr * (dW + weight_decay * W); W <- W + V`, on
/// weights and biases alike.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hyper {
    /// Learning rate alpha.
    pub lr: f32,
    /// Momentum mu.
    pub momentum: f32,
    /// L2 weight decay lambda (0: none).
    #[serde(default)]
    pub weight_decay: f32,
}

/// What one training step reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StepInfo {
    /// Output values that saturated on the accelerator in this step (0 for f32).
    pub saturations: u64,
    /// Output values produced by the accelerator in this step (0 for f32).
    pub values: u64,
}

/// Accelerator figures accumulated over every program an engine has run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccelTotals {
    /// Simulated clock cycles.
    pub cycles: u64,
    /// Simulated time at the preset clock, seconds.
    pub seconds: f64,
    /// Modelled energy, joules.
    pub energy_j: f64,
    /// Saturated output values.
    pub saturations: u64,
    /// Programs run.
    pub programs: u64,
    /// Multiply-accumulates performed (`macs` counter).
    pub macs: u64,
}

/// One tensor of an engine's exact state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Tensor {
    /// f32 values (CPU engine).
    F32(Vec<f32>),
    /// Fixed-point data words (accelerator engine).
    I16(Vec<i16>),
    /// 32-bit state words (LFSR states, counters).
    U32(Vec<u32>),
}

/// An engine's exact state: enough to continue bit-identically.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EngineState {
    /// Engine kind (`cpu`, `sim`, `rtl`).
    pub engine: String,
    /// Fingerprint of everything that must match to resume (network, preset, format).
    pub fingerprint: String,
    /// Named tensors (weights, velocities, LFSR states...).
    pub tensors: BTreeMap<String, Tensor>,
    /// Accelerator totals so far (resumed runs keep counting).
    pub totals: Option<AccelTotals>,
}

/// Why an engine failed; names the step.
#[derive(Debug, Error)]
pub enum EngineError {
    /// A program failed to compile.
    #[error("{step}: code generation failed: {message}")]
    Compile {
        /// Which step (layer and pass).
        step: String,
        /// Why.
        message: String,
    },
    /// The simulator or the RTL failed.
    #[error("{step}: {backend} failed: {message}")]
    Run {
        /// Which step.
        step: String,
        /// Backend name.
        backend: String,
        /// Why.
        message: String,
    },
    /// A checkpoint does not belong to this engine.
    #[error("checkpoint mismatch: {0}")]
    State(String),
    /// Wrong tensor length passed by the caller.
    #[error("{what}: expected {expected} values, got {got}")]
    Length {
        /// Which tensor.
        what: String,
        /// Expected length.
        expected: usize,
        /// Given length.
        got: usize,
    },
}

/// A machine that runs the network's arithmetic.
pub trait Engine {
    /// Short name: `cpu`, `sim` or `rtl`.
    fn name(&self) -> &'static str;
    /// The network it runs.
    fn net(&self) -> &Net;
    /// Logits `[batch][classes]` for `images` `[batch][c*h*w]` (pixels in [0, 1]).
    /// Keeps what [`Engine::backward_update`] needs.
    fn forward(&mut self, images: &[f32], batch: usize) -> Result<Vec<f32>, EngineError>;
    /// After [`Engine::forward`] on the same batch: back-propagate `dlogits`
    /// (`[batch][classes]`, the gradient of the batch-mean loss) and apply one
    /// SGD-with-momentum step.
    fn backward_update(&mut self, dlogits: &[f32], hp: &Hyper) -> Result<StepInfo, EngineError>;
    /// Logits `[n][classes]` of the `n` images `images` in forward passes
    /// of at most `eval_batch` images each, in order (the held-out
    /// evaluation). An engine may run the passes at once when that gives
    /// the same bits and totals; by default they run in turn.
    fn forward_batches(
        &mut self,
        images: &[f32],
        n: usize,
        eval_batch: usize,
    ) -> Result<Vec<f32>, EngineError> {
        forward_in_turn(self, images, n, eval_batch)
    }
    /// The exact state, for checkpoints.
    fn state(&self) -> EngineState;
    /// Restore a state produced by [`Engine::state`] of the same kind and fingerprint.
    fn restore(&mut self, s: &EngineState) -> Result<(), EngineError>;
    /// Accelerator totals (None for the CPU engine).
    fn accel(&self) -> Option<AccelTotals>;
    /// The real-valued weights and biases of every layer of the net (`None`
    /// for a layer without parameters), in firmware's layouts; a
    /// fixed-point engine's words divided by `2^frac_bits`, exactly.
    fn params_f32(&self) -> Vec<Option<(Vec<f32>, Vec<f32>)>>;
}

/// [`Engine::forward_batches`] one pass after another: `n` images in
/// passes of at most `eval_batch`, logits in order.
pub fn forward_in_turn<E: Engine + ?Sized>(
    engine: &mut E,
    images: &[f32],
    n: usize,
    eval_batch: usize,
) -> Result<Vec<f32>, EngineError> {
    let per = images.len() / n.max(1);
    let mut out = Vec::with_capacity(n * engine.net().classes());
    let mut i = 0;
    while i < n {
        let b = eval_batch.max(1).min(n - i);
        out.extend(engine.forward(&images[i * per..(i + b) * per], b)?);
        i += b;
    }
    Ok(out)
}
