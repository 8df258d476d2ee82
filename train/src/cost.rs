//! The accelerator's cost of one training step (forward, backward, SGD
//! update) of any model `compare` accepts, per layer.
//!
//! The programs are those of [`crate::schedule`], the one schedule of a
//! training step, which the training engine ([`crate::accel`]) runs too.
//!
//! [`run_program`] compiles one program and runs it on a fresh cycle-accurate
//! simulator with random operands (the contract's timing and event counts do
//! not depend on data values).

use crate::schedule::{Phase, ProgramSpec, TrainProgram};
use arch::AccelConfig;
use firmware::{compile_ew, compile_with, CompileOptions};
use rand::{Rng, SeedableRng};
use serde::Serialize;
use thiserror::Error;

/// Why a training step's cost cannot be computed.
#[derive(Debug, Error)]
pub enum TrainCostError {
    /// The layer's training step cannot be expressed with the accelerator's programs.
    #[error(transparent)]
    Schedule(#[from] crate::schedule::ScheduleError),
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
    let st =
        runtime::run::execute(cfg, &program, &mut dram, None).map_err(|e| serr(e.to_string()))?;
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
