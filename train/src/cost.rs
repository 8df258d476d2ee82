//! The accelerator's cost of one training step (forward, backward, SGD
//! update) of any model `compare` accepts, per layer.
//!
//! [`layer_programs`] lists the programs one step runs for a layer, the same
//! kinds of program as the training engine (`crate::accel`):
//!
//! * forward: the layer's own program;
//! * activation backward (layer with an activation): an `AddConst` program
//!   with the derivative table as its NFU-3 function (the mask), then a `Mul`
//!   element-wise program (`dZ = dY * mask`), over the output size;
//! * convolution: weight + bias gradient = one classifier program with
//!   `ni = B*OH*OW`, `no = maps`, batch `ni*kx*ky + 1` (the ones row gives the
//!   bias); input gradient (not for the model's first layer) = a convolution
//!   over dZ dilated by the stride (`(O-1)*s + 1`), padding `k-1-pad`, flipped
//!   kernels, stride 1, identity, no bias;
//! * classifier: weight + bias gradient = classifier program (`ni = B`,
//!   `no = outputs`, batch `inputs + 1`); input gradient = classifier over W^T;
//! * max pooling with window == stride: mask (`Lincomb(1,-1)` + drelu) and
//!   routing (`Mul`) over the input size; overlapping windows or average
//!   pooling: per window offset a mask/`Mul` pair over the pooled size and one
//!   `Lincomb` accumulation over the input size (what a program for it would
//!   run; not yet run for correctness by the training engine);
//! * update (layers with parameters): two `Lincomb` programs (velocity,
//!   weights) over weights + bias.
//!
//! [`run_program`] compiles one program and runs it on a fresh cycle-accurate
//! simulator with random operands (the contract's timing and event counts do
//! not depend on data values).

use arch::activation::Activation;
use arch::fixed::{from_f64, Rounding};
use arch::AccelConfig;
use firmware::{
    compile_ew, compile_with, CompileOptions, EwOp, EwSpec, LayerSpec, Model, PoolKind,
};
use rand::{Rng, SeedableRng};
use serde::Serialize;
use thiserror::Error;

/// Why a training step's cost cannot be computed.
#[derive(Debug, Error)]
pub enum TrainCostError {
    /// The layer's backward pass cannot be expressed with the accelerator's programs.
    #[error("layer `{layer}`: training step cannot be expressed on the accelerator: {reason}")]
    Inexpressible {
        /// Layer name.
        layer: String,
        /// Why.
        reason: String,
    },
    /// A program of the layer cannot be compiled.
    #[error("layer `{layer}` ({what}): cannot be compiled for preset `{preset}`: {reason}")]
    Compile {
        /// Layer name.
        layer: String,
        /// Which program.
        what: String,
        /// Preset name.
        preset: String,
        /// Why.
        reason: String,
    },
    /// The simulator stopped with an error.
    #[error("layer `{layer}` ({what}): simulation failed: {reason}")]
    Sim {
        /// Layer name.
        layer: String,
        /// Which program.
        what: String,
        /// Why.
        reason: String,
    },
}

/// Which part of the training step a program belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Forward pass.
    Forward,
    /// Gradients (activation, weights, input).
    Backward,
    /// SGD-momentum update.
    Update,
}

/// A program description: a layer program or an element-wise program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgramSpec {
    /// A convolution / pooling / classifier program (firmware::compile_with).
    Layer {
        /// The layer.
        spec: LayerSpec,
        /// Images.
        batch: u32,
        /// Output rounding.
        round: Rounding,
    },
    /// An element-wise program (firmware::compile_ew).
    Ew(EwSpec),
}

/// One program of a layer's training step.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainProgram {
    /// Layer name.
    pub layer: String,
    /// Phase.
    pub phase: Phase,
    /// What it computes (e.g. "weight gradient").
    pub what: String,
    /// The program.
    pub program: ProgramSpec,
}

fn one(cfg: &AccelConfig) -> i16 {
    from_f64(1.0, cfg.frac_bits)
}

fn ew(op: EwOp, len: u64, act: Activation, round: Rounding) -> ProgramSpec {
    ProgramSpec::Ew(EwSpec {
        op,
        len,
        act,
        round,
    })
}

/// The derivative table of an activation (None: identity, nothing to do).
fn derivative(act: Activation) -> Option<(Activation, i16)> {
    match act {
        Activation::Identity => None,
        // mask = drelu(Y - 1 LSB) = [Y > 0] from the ReLU's output
        Activation::Relu => Some((Activation::ReluDeriv, -1)),
        // from the stored pre-activation Z
        Activation::Sigmoid => Some((Activation::SigmoidDeriv, 0)),
        Activation::Tanh => Some((Activation::TanhDeriv, 0)),
        // a derivative table used as a layer activation: no table for its derivative
        _ => Some((Activation::Identity, 0)),
    }
}

/// The programs of one training step of layer `name` (`first`: the model's
/// first layer, whose input gradient is not computed) for `batch` images.
/// Fails (naming the layer) if a backward program's shape cannot be
/// expressed; compiling is left to [`run_program`].
pub fn layer_programs(
    cfg: &AccelConfig,
    name: &str,
    spec: &LayerSpec,
    batch: u32,
    first: bool,
) -> Result<Vec<TrainProgram>, TrainCostError> {
    let b = batch as u64;
    let mut out = Vec::new();
    let mut push = |phase: Phase, what: &str, program: ProgramSpec| {
        out.push(TrainProgram {
            layer: name.to_string(),
            phase,
            what: what.to_string(),
            program,
        })
    };
    let near = Rounding::Nearest;
    let stoch = Rounding::Stochastic;
    let unit = one(cfg);
    push(
        Phase::Forward,
        "forward",
        ProgramSpec::Layer {
            spec: *spec,
            batch,
            round: near,
        },
    );
    let act_back = |push: &mut dyn FnMut(Phase, &str, ProgramSpec), act: Activation| {
        if let Some((table, c)) = derivative(act) {
            let len = spec.output_len() * b;
            push(
                Phase::Backward,
                "activation mask",
                ew(EwOp::AddConst { c }, len, table, near),
            );
            push(
                Phase::Backward,
                "activation gradient",
                ew(EwOp::Mul, len, Activation::Identity, near),
            );
        }
    };
    let bad = |reason: String| TrainCostError::Inexpressible {
        layer: name.to_string(),
        reason,
    };
    match *spec {
        LayerSpec::Conv(c) => {
            act_back(&mut push, c.act);
            let (_, oh, ow) = spec.output_shape();
            let p = b * oh as u64 * ow as u64;
            let k = c.ni as u64 * c.kx as u64 * c.ky as u64 + c.bias as u64;
            let (p32, k32) = match (u32::try_from(p), u32::try_from(k)) {
                (Ok(p), Ok(k)) => (p, k),
                _ => {
                    return Err(bad(format!(
                        "weight gradient reduction {p} x {k} too large"
                    )))
                }
            };
            push(
                Phase::Backward,
                "weight gradient",
                ProgramSpec::Layer {
                    spec: firmware::backward::weight_grad(p32, c.no),
                    batch: k32,
                    round: stoch,
                },
            );
            if !first {
                let dspec = firmware::backward::conv_input_grad(&c, oh, ow).map_err(bad)?;
                push(
                    Phase::Backward,
                    "input gradient",
                    ProgramSpec::Layer {
                        spec: dspec,
                        batch,
                        round: stoch,
                    },
                );
            }
        }
        LayerSpec::Classifier(c) => {
            act_back(&mut push, c.act);
            push(
                Phase::Backward,
                "weight gradient",
                ProgramSpec::Layer {
                    spec: firmware::backward::weight_grad(batch, c.no),
                    batch: c.ni + c.bias as u32,
                    round: stoch,
                },
            );
            if !first {
                push(
                    Phase::Backward,
                    "input gradient",
                    ProgramSpec::Layer {
                        spec: firmware::backward::classifier_input_grad(c.ni, c.no),
                        batch,
                        round: stoch,
                    },
                );
            }
        }
        LayerSpec::Pool(pl) => {
            if !first {
                let in_len = spec.input_len() * b;
                let pooled = spec.output_len() * b;
                let lincomb = |a: i16, bb: i16| EwOp::Lincomb { a, b: bb, c: 0 };
                if pl.kind == PoolKind::Max && pl.kx == pl.sx && pl.ky == pl.sy {
                    push(
                        Phase::Backward,
                        "max mask",
                        ew(lincomb(unit, -unit), in_len, Activation::ReluDeriv, near),
                    );
                    push(
                        Phase::Backward,
                        "routing",
                        ew(EwOp::Mul, in_len, Activation::Identity, near),
                    );
                } else {
                    for _ in 0..(pl.kx * pl.ky) {
                        push(
                            Phase::Backward,
                            "window-offset mask",
                            ew(lincomb(unit, -unit), pooled, Activation::ReluDeriv, near),
                        );
                        push(
                            Phase::Backward,
                            "window-offset routing",
                            ew(EwOp::Mul, pooled, Activation::Identity, near),
                        );
                        push(
                            Phase::Backward,
                            "window-offset accumulation",
                            ew(lincomb(unit, unit), in_len, Activation::Identity, near),
                        );
                    }
                }
            }
        }
    }
    let params = spec.weight_len() + spec.bias_len();
    if params > 0 {
        let f = cfg.frac_bits;
        push(
            Phase::Update,
            "velocity",
            ew(
                EwOp::Lincomb {
                    a: from_f64(0.9, f),
                    b: -from_f64(0.01, f).max(1),
                    c: 0,
                },
                params,
                Activation::Identity,
                stoch,
            ),
        );
        push(
            Phase::Update,
            "weights",
            ew(
                EwOp::Lincomb {
                    a: unit,
                    b: 1,
                    c: 0,
                },
                params,
                Activation::Identity,
                stoch,
            ),
        );
    }
    Ok(out)
}

/// [`layer_programs`] for every layer of `model` (checks every layer before
/// anything is compiled or run).
pub fn model_programs(
    cfg: &AccelConfig,
    model: &Model,
    batch: u32,
) -> Result<Vec<Vec<TrainProgram>>, TrainCostError> {
    model
        .layers
        .iter()
        .enumerate()
        .map(|(i, l)| layer_programs(cfg, &l.name, &l.spec, batch, i == 0))
        .collect()
}

/// The simulator's figures for one program.
#[derive(Clone, Debug, PartialEq)]
pub struct ProgramRun {
    /// Simulated cycles.
    pub cycles: u64,
    /// Useful MACs (layer programs; pooling: window operations; element-wise: 0).
    pub useful_macs: u64,
    /// Event counters of the run.
    pub counters: arch::events::Counters,
    /// Instructions in the program.
    pub instructions: usize,
}

fn rand_words(n: u64, rng: &mut rand_chacha::ChaCha8Rng, cfg: &AccelConfig) -> Vec<i16> {
    let m = 1i32 << cfg.frac_bits.min(14);
    (0..n).map(|_| rng.gen_range(-m..m) as i16).collect()
}

/// Compile `p` and run it on a fresh simulator whose DRAM holds random
/// operands drawn from `seed` (layer programs: random words over the whole
/// input and weight regions, padding included; element-wise programs: random
/// A and B packed by the layout, and the program's constants).
pub fn run_program(
    cfg: &AccelConfig,
    p: &TrainProgram,
    seed: u64,
) -> Result<ProgramRun, TrainCostError> {
    let cerr = |e: firmware::FwError| TrainCostError::Compile {
        layer: p.layer.clone(),
        what: p.what.clone(),
        preset: cfg.name.clone(),
        reason: e.to_string(),
    };
    let serr = |e: String| TrainCostError::Sim {
        layer: p.layer.clone(),
        what: p.what.clone(),
        reason: e,
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut dram = sim::Dram::new(cfg.dram.size_bytes);
    let put = |dram: &mut sim::Dram, writes: Vec<(u64, Vec<u8>)>| {
        for (a, bytes) in writes {
            dram.write(a, &bytes).map_err(|e| serr(e.to_string()))?;
        }
        Ok::<_, TrainCostError>(())
    };
    let (program, useful) = match p.program {
        ProgramSpec::Layer { spec, batch, round } => {
            let c = compile_with(cfg, &spec, batch, &CompileOptions { round, plan: None })
                .map_err(cerr)?;
            // random words straight into the input and weight regions (padding
            // included), in chunks: no full-size copies of large operands
            for r in [c.layout.input, c.layout.weights] {
                let mut addr = r.addr;
                while addr < r.end() {
                    let words = ((r.end() - addr) / 2).min(1 << 20);
                    let bytes: Vec<u8> = rand_words(words, &mut rng, cfg)
                        .iter()
                        .flat_map(|w| w.to_le_bytes())
                        .collect();
                    put(&mut dram, vec![(addr, bytes)])?;
                    addr += 2 * words.max(1);
                }
            }
            (c.program, c.useful_macs)
        }
        ProgramSpec::Ew(spec) => {
            let c = compile_ew(cfg, &spec).map_err(cerr)?;
            put(
                &mut dram,
                c.layout
                    .pack_a(&rand_words(spec.len, &mut rng, cfg))
                    .map_err(cerr)?,
            )?;
            if spec.op.binary() {
                put(
                    &mut dram,
                    c.layout
                        .pack_b(&rand_words(spec.len, &mut rng, cfg))
                        .map_err(cerr)?,
                )?;
            }
            put(&mut dram, c.layout.pack_consts())?;
            (c.program, 0)
        }
    };
    let mut m = sim::Machine::new(cfg.clone()).map_err(|e| serr(e.to_string()))?;
    let st = m
        .run(&program, &mut dram)
        .map_err(|e| serr(e.to_string()))?;
    Ok(ProgramRun {
        cycles: st.cycles,
        useful_macs: useful,
        counters: st.counters,
        instructions: program.len(),
    })
}

/// Per-phase figures of one layer's training step.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TrainBreakdown {
    /// Forward cycles.
    pub forward_cycles: u64,
    /// Backward cycles (activation, weight and input gradients).
    pub backward_cycles: u64,
    /// Update cycles.
    pub update_cycles: u64,
    /// Forward energy, pJ.
    pub forward_pj: f64,
    /// Backward energy, pJ.
    pub backward_pj: f64,
    /// Update energy, pJ.
    pub update_pj: f64,
    /// Programs run in one step.
    pub programs: usize,
    /// Distinct programs simulated (identical programs are simulated once
    /// and counted once per occurrence).
    pub simulated: usize,
}

/// One layer's training step: the summed figures of its programs.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerTrainCost {
    /// Summed cycles.
    pub cycles: u64,
    /// Summed useful MACs of layer programs (pooling forward: window operations).
    pub useful_macs: u64,
    /// Summed event counters.
    pub counters: arch::events::Counters,
    /// Summed energy per unit, pJ (sum of the programs' reports).
    pub energy: sim::EnergyReport,
    /// Summed instruction counts.
    pub instructions: usize,
    /// Per phase.
    pub breakdown: TrainBreakdown,
}

fn add_energy(a: &mut sim::EnergyReport, b: &sim::EnergyReport) {
    a.nfu_pj += b.nfu_pj;
    a.nbin_pj += b.nbin_pj;
    a.sb_pj += b.sb_pj;
    a.nbout_pj += b.nbout_pj;
    a.dram_pj += b.dram_pj;
    a.total_pj += b.total_pj;
}

/// Run every program of one layer (see [`run_program`]; seeds derived from
/// `seed` and the program's index) and sum the figures. `progress` gets one
/// line per simulated program.
pub fn layer_cost(
    cfg: &AccelConfig,
    programs: &[TrainProgram],
    table: &sim::EnergyTable,
    seed: u64,
    progress: &mut dyn FnMut(&str),
) -> Result<LayerTrainCost, TrainCostError> {
    let mut cache: Vec<(ProgramSpec, ProgramRun, sim::EnergyReport)> = Vec::new();
    let mut total = LayerTrainCost {
        cycles: 0,
        useful_macs: 0,
        counters: arch::events::Counters::new(),
        energy: sim::energy(table, &arch::events::Counters::new(), cfg),
        instructions: 0,
        breakdown: TrainBreakdown::default(),
    };
    for (i, p) in programs.iter().enumerate() {
        let idx = match cache.iter().position(|(s, _, _)| *s == p.program) {
            Some(j) => j,
            None => {
                let r = run_program(
                    cfg,
                    p,
                    seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15),
                )?;
                let e = sim::energy(table, &r.counters, cfg);
                progress(&format!(
                    "accelerator {} {}: {} cycles",
                    p.layer, p.what, r.cycles
                ));
                cache.push((p.program, r, e));
                cache.len() - 1
            }
        };
        let (_, r, e) = &cache[idx];
        total.cycles += r.cycles;
        total.useful_macs += r.useful_macs;
        total.counters.merge(&r.counters);
        add_energy(&mut total.energy, e);
        total.instructions += r.instructions;
        let bd = &mut total.breakdown;
        match p.phase {
            Phase::Forward => {
                bd.forward_cycles += r.cycles;
                bd.forward_pj += e.total_pj;
            }
            Phase::Backward => {
                bd.backward_cycles += r.cycles;
                bd.backward_pj += e.total_pj;
            }
            Phase::Update => {
                bd.update_cycles += r.cycles;
                bd.update_pj += e.total_pj;
            }
        }
        bd.programs += 1;
    }
    total.breakdown.simulated = cache.len();
    Ok(total)
}
