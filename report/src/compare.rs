//! `diannao compare`: the accelerator (cycle simulator) against the CPU
//! baseline, layer by layer.
//!
//! * Accelerator: each layer compiled by [`firmware::compile_node`] for the batch
//!   and run on a fresh [`sim::Machine`] with a zero-filled [`sim::Dram`]
//!   (the contract's timing and every event counter are independent of data
//!   values); time = cycles / clock; energy = [`sim::energy`] with a named
//!   table. Utilisation: useful MACs / (Tn x Tn x cycles) for convolution and
//!   classifier layers, window operations / (Tn x cycles) for pooling (its
//!   datapath is Tn lanes wide).
//! * CPU: the f32 baseline ([`baseline`]) on random data, the whole
//!   batch per run, activation included; `--train` adds backward (input and
//!   weight gradients, activation derivative; pooling:
//!   [`baseline::pool_backward`], the f32 training engine's) and the
//!   SGD-momentum update.
//! * `--train`, accelerator: every program of one training step of each
//!   layer ([`train::cost`]: forward, activation / weight / input
//!   gradients, update) run on the simulator with random operands; the
//!   layer's figures are the sums over its programs.
//! * Energy ratio = CPU joules / accelerator joules; speedup = CPU median
//!   time / accelerator time.

use arch::activation::Activation;
use arch::AccelConfig;
use baseline::cpu_energy::CpuEnergy;
use baseline::{self, Timing};
use firmware::{LayerSpec, Model};
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use runtime::run::LayerFigures;
use serde::Serialize;
use thiserror::Error;

/// Why a comparison cannot be made.
#[derive(Debug, Error)]
pub enum CompareError {
    /// Batch zero.
    #[error("--batch must be at least 1")]
    ZeroBatch,
    /// A layer cannot be compiled for the preset.
    #[error("layer `{layer}` cannot be compiled for preset `{preset}`: {reason}")]
    Compile {
        /// Layer name.
        layer: String,
        /// Preset name.
        preset: String,
        /// Why.
        reason: String,
    },
    /// The simulator stopped with an error.
    #[error("layer `{layer}`: simulation failed: {reason}")]
    Sim {
        /// Layer name.
        layer: String,
        /// Why.
        reason: String,
    },
    /// The energy table is unknown.
    #[error("{0}")]
    Energy(String),
    /// The accelerator's training step cannot be costed.
    #[error(transparent)]
    Train(#[from] train::cost::TrainCostError),
    /// A layer's training step cannot be expressed with the accelerator's programs.
    #[error(transparent)]
    Schedule(#[from] train::schedule::ScheduleError),
    /// The memory budget is not readable, or the pool that keeps the
    /// simulation within it cannot be built.
    #[error("{0}")]
    Budget(String),
    /// The CPU thread pool could not be built.
    #[error("cannot start {threads} CPU threads: {reason}")]
    Threads {
        /// Requested threads.
        threads: usize,
        /// Why.
        reason: String,
    },
}

/// The accelerator's figures for one layer (whole batch): runtime's
/// [`LayerFigures`] and DianNao's operation count.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AccelRun {
    /// Cycles, time, utilisation, DRAM traffic, energy, ... (one definition:
    /// `runtime::run::LayerFigures`).
    #[serde(flatten)]
    pub figures: LayerFigures,
    /// Operations as DianNao counts them: per useful MAC, (Tn*Tn + Tn*(Tn-1)) / (Tn*Tn) (multiplication plus adder-tree addition); pooling: one per window operation.
    pub ops: f64,
}

/// Compile `spec` for `batch` on `cfg` (error names the layer).
pub fn compile_layer(
    cfg: &AccelConfig,
    name: &str,
    spec: &LayerSpec,
    batch: u32,
) -> Result<firmware::CompiledNode, CompareError> {
    firmware::compile_node(cfg, spec, batch).map_err(|e| CompareError::Compile {
        layer: name.into(),
        preset: cfg.name.clone(),
        reason: e.to_string(),
    })
}

/// Run a compiled layer on a fresh machine (zeroed DRAM: timing and event
/// counts do not depend on data values) and collect its figures. The layer
/// is consumed: each piece's program is freed once it is in DRAM
/// ([`runtime::run::execute_owned`]).
pub fn simulate(
    cfg: &AccelConfig,
    name: &str,
    spec: &LayerSpec,
    compiled: firmware::CompiledNode,
    table: &sim::EnergyTable,
) -> Result<AccelRun, CompareError> {
    let instructions = compiled.pieces.iter().map(|p| p.instructions().len()).sum();
    let predicted_cycles = compiled.pieces.iter().map(|p| p.predicted_cycles()).sum();
    let useful_macs = compiled.useful_macs;
    let mut st = sim::RunStats::default();
    for p in compiled.pieces {
        let mut dram = sim::Dram::new(cfg.dram.size_bytes);
        let one =
            runtime::run::execute_owned(cfg, p.into_instructions(), &mut dram).map_err(|e| {
                CompareError::Sim {
                    layer: name.into(),
                    reason: e.to_string(),
                }
            })?;
        st.add(&one);
    }
    let work = runtime::run::Work {
        cycles: st.cycles,
        useful_macs,
        counters: &st.counters,
        instructions,
        predicted_cycles,
    };
    let energy = sim::energy(table, &st.counters, cfg);
    Ok(accel_run(
        cfg,
        spec,
        LayerFigures::of(cfg, spec, &work, energy),
    ))
}

/// `figures` with DianNao's operation count for `spec`.
fn accel_run(cfg: &AccelConfig, spec: &LayerSpec, figures: LayerFigures) -> AccelRun {
    let useful = figures.useful_macs as f64;
    let ops = if matches!(spec, LayerSpec::Pool(_)) {
        useful
    } else {
        useful * cfg.peak_ops_per_cycle() as f64 / cfg.peak_macs_per_cycle() as f64
    };
    AccelRun { figures, ops }
}

/// The CPU's figures for one layer (whole batch).
#[derive(Clone, Debug, Serialize)]
pub struct CpuRun {
    /// Wall time of one run (forward, or forward + backward + update), s.
    pub timing: Timing,
    /// Energy of one run, J.
    pub joules: f64,
}

fn rnd(n: usize, rng: &mut rand_chacha::ChaCha8Rng) -> Vec<f32> {
    (0..n).map(|_| rng.gen_range(-1.0f32..1.0)).collect()
}

/// dy *= act'(y) given the activation's output y (Identity: nothing).
fn activate_back(act: Activation, y: &[f32], dy: &mut [f32]) {
    let d: fn(f32) -> f32 = match act {
        Activation::Identity => return,
        Activation::Relu => |y| if y > 0.0 { 1.0 } else { 0.0 },
        Activation::Sigmoid => |y| y * (1.0 - y),
        Activation::Tanh => |y| 1.0 - y * y,
        _ => |_| 1.0,
    };
    dy.par_chunks_mut(4096)
        .zip(y.par_chunks(4096))
        .for_each(|(g, y)| g.iter_mut().zip(y).for_each(|(g, y)| *g *= d(*y)));
}

/// Time one layer on the CPU for the whole batch, in the current rayon pool.
/// One untimed warm-up run, then `reps` timed runs.
pub fn cpu_layer(
    spec: &LayerSpec,
    batch: usize,
    train: bool,
    input_grad: bool,
    reps: usize,
    energy: &CpuEnergy,
) -> CpuRun {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x5eed);
    let (in_len, out_len) = (spec.input_len() as usize, spec.output_len() as usize);
    let x = rnd(in_len * batch, &mut rng);
    let mut y = vec![0f32; out_len * batch];
    let mut dy = rnd(out_len * batch, &mut rng);
    let mut dx = vec![0f32; in_len * batch];
    let wlen = spec.weight_len() as usize;
    let mut w = rnd(wlen, &mut rng);
    let bias = rnd(spec.bias_len() as usize, &mut rng);
    let mut dw = vec![0f32; wlen];
    let mut vel = vec![0f32; wlen];
    let (mut col, mut dcol) = (Vec::new(), Vec::new());
    let mut run = || match spec {
        LayerSpec::Conv(c) => {
            let zero = vec![0f32; c.no as usize];
            let b = if c.bias { &bias[..] } else { &zero[..] };
            // a grouped convolution is one convolution per group
            let g = c.groups.max(1) as usize;
            let sub = firmware::ConvSpec {
                ni: c.ni / c.groups.max(1),
                no: c.no / c.groups.max(1),
                groups: 1,
                ..*c
            };
            let sl = LayerSpec::Conv(sub);
            let (sin, sout, sw) = (
                sl.input_len() as usize,
                sl.output_len() as usize,
                sl.weight_len() as usize,
            );
            baseline::layer_forward_into(spec, batch, &x, &w, b, &mut y);
            if train {
                dw.iter_mut().for_each(|v| *v = 0.0);
                for i in 0..batch {
                    activate_back(
                        c.act,
                        &y[i * out_len..][..out_len],
                        &mut dy[i * out_len..][..out_len],
                    );
                    for k in 0..g {
                        baseline::conv_backward(
                            &sub,
                            &x[i * in_len + k * sin..][..sin],
                            &w[k * sw..][..sw],
                            &dy[i * out_len + k * sout..][..sout],
                            &mut col,
                            &mut dcol,
                            input_grad.then(|| &mut dx[i * in_len + k * sin..][..sin]),
                            &mut dw[k * sw..][..sw],
                        );
                    }
                }
                baseline::sgd_momentum(&mut w, &mut vel, &dw, 0.9, 0.01, 0.0);
            }
        }
        LayerSpec::Eltwise(e) => {
            let ops = e.inputs as usize;
            baseline::layer_forward_into(spec, batch, &x, &[], &[], &mut y);
            if train {
                activate_back(e.act, &y, &mut dy);
                // the gradient of a sum reaches every operand unchanged
                for i in 0..batch {
                    for k in 0..ops {
                        dx[(i * ops + k) * out_len..][..out_len]
                            .copy_from_slice(&dy[i * out_len..][..out_len]);
                    }
                }
            }
        }
        LayerSpec::Classifier(c) => {
            let zero = vec![0f32; c.no as usize];
            let b = if c.bias { &bias[..] } else { &zero[..] };
            baseline::layer_forward_into(spec, batch, &x, &w, b, &mut y);
            if train {
                dw.iter_mut().for_each(|v| *v = 0.0);
                activate_back(c.act, &y, &mut dy);
                baseline::fc_backward(c, batch, &x, &w, &dy, &mut dx, &mut dw);
                baseline::sgd_momentum(&mut w, &mut vel, &dw, 0.9, 0.01, 0.0);
            }
        }
        LayerSpec::Pool(p) => {
            baseline::layer_forward_into(spec, batch, &x, &[], &[], &mut y);
            if train {
                for i in 0..batch {
                    baseline::pool_backward(
                        p,
                        &x[i * in_len..][..in_len],
                        &y[i * out_len..][..out_len],
                        &dy[i * out_len..][..out_len],
                        &mut dx[i * in_len..][..in_len],
                    );
                }
            }
        }
    };
    run();
    let before = energy.read();
    let timing = baseline::time(0, reps, &mut run);
    let after = energy.read();
    let rapl = match (&before, &after) {
        (Some(a), Some(b)) => Some((a, b, timing.reps)),
        _ => None,
    };
    CpuRun {
        joules: energy.joules(timing.median_s, rapl),
        timing,
    }
}

/// Options of [`compare`].
#[derive(Clone, Debug)]
pub struct CompareOptions {
    /// Accelerator configuration.
    pub cfg: AccelConfig,
    /// The network.
    pub model: Model,
    /// Images per run.
    pub batch: u32,
    /// Add backward and update on the CPU side.
    pub train: bool,
    /// CPU threads.
    pub threads: usize,
    /// Timed CPU repetitions per layer.
    pub reps: usize,
    /// CPU energy method.
    pub cpu_energy: CpuEnergy,
    /// Accelerator energy table name (sim/energy/*.toml).
    pub energy_table: String,
}

/// One layer of a comparison.
#[derive(Clone, Debug, Serialize)]
pub struct LayerResult {
    /// Layer name.
    pub name: String,
    /// conv, pool or class.
    pub kind: String,
    /// Accelerator: forward pass, or with `--train` the whole training step.
    pub accel: AccelRun,
    /// With `--train`: the accelerator's cycles and energy per phase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub train: Option<train::cost::TrainBreakdown>,
    /// CPU.
    pub cpu: CpuRun,
    /// CPU median time / accelerator time.
    pub speedup: f64,
    /// CPU joules / accelerator joules (the accelerator's DRAM energy
    /// included, the CPU's not: see `energy_ratio_on_chip`).
    pub energy_ratio: f64,
    /// CPU joules / the accelerator's joules without its DRAM energy: DRAM
    /// counted on neither side (the CPU figure, RAPL package or stated
    /// power, has none). The accelerator side is still its dynamic energy
    /// only: no leakage or clock power.
    pub energy_ratio_on_chip: f64,
}

/// Totals over the layers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Totals {
    /// Sum of cycles.
    pub accel_cycles: u64,
    /// Sum of accelerator seconds.
    pub accel_seconds: f64,
    /// Sum of accelerator energies, pJ.
    pub accel_energy_pj: f64,
    /// Of which DRAM traffic, pJ.
    pub accel_dram_pj: f64,
    /// Useful MACs of convolution and classifier layers / (Tn x Tn x all cycles).
    pub accel_utilisation: f64,
    /// DRAM bytes read + written.
    pub dram_bytes: u64,
    /// Accelerator ops (DianNao's count) / seconds / 1e9.
    pub accel_gops: f64,
    /// Accelerator energy / time, W.
    pub accel_watts: f64,
    /// Sums of the CPU per-layer median / min / max times, s.
    pub cpu_median_s: f64,
    /// Sum of minima.
    pub cpu_min_s: f64,
    /// Sum of maxima.
    pub cpu_max_s: f64,
    /// Sum of CPU energies, J.
    pub cpu_joules: f64,
    /// cpu_median_s / accel_seconds.
    pub speedup: f64,
    /// cpu_joules / accelerator joules.
    pub energy_ratio: f64,
    /// cpu_joules / accelerator joules without DRAM (DRAM on neither side).
    pub energy_ratio_on_chip: f64,
}

/// A whole comparison (serialised as results.json).
#[derive(Clone, Debug, Serialize)]
pub struct CompareReport {
    /// Model name.
    pub model: String,
    /// Preset name.
    pub preset: String,
    /// Preset clock, MHz.
    pub clock_mhz: f64,
    /// NFU width.
    pub tn: u32,
    /// Images per run.
    pub batch: u32,
    /// CPU side includes backward + update.
    pub train: bool,
    /// CPU threads.
    pub threads: usize,
    /// Timed CPU repetitions per layer.
    pub reps: usize,
    /// CPU energy method.
    pub cpu_energy: CpuEnergy,
    /// One-line description of the CPU energy method.
    pub cpu_energy_method: String,
    /// Accelerator energy table name.
    pub energy_table: String,
    /// Its source.
    pub energy_table_source: String,
    /// Statements the reader needs (forward-only accelerator etc.).
    pub notes: Vec<String>,
    /// Per layer.
    pub layers: Vec<LayerResult>,
    /// Totals.
    pub total: Totals,
}

/// Compile every layer and drop the programs: fails before any simulation
/// or timing if a layer cannot be compiled (the first in model order), and
/// holds at most one program per thread, so that a model's programs, which
/// at batch 64 outweigh its data, are never all in memory at once. Callers
/// compile each layer again when they simulate it.
pub fn check_compiles(cfg: &AccelConfig, model: &Model, batch: u32) -> Result<(), CompareError> {
    use rayon::prelude::*;
    if batch == 0 {
        return Err(CompareError::ZeroBatch);
    }
    let checked: Vec<Result<(), CompareError>> = model
        .layers
        .par_iter()
        .map(|l| compile_layer(cfg, &l.name, &l.spec, batch).map(drop))
        .collect();
    checked.into_iter().collect()
}

/// Totals of per-layer accelerator runs (CPU fields zero).
pub fn accel_totals(cfg: &AccelConfig, runs: &[(&LayerSpec, &AccelRun)]) -> Totals {
    let cycles: u64 = runs.iter().map(|(_, a)| a.figures.cycles).sum();
    let secs: f64 = runs.iter().map(|(_, a)| a.figures.seconds).sum();
    let pj: f64 = runs.iter().map(|(_, a)| a.figures.energy.total_pj).sum();
    let dram_pj: f64 = runs.iter().map(|(_, a)| a.figures.energy.dram_pj).sum();
    let ops: f64 = runs.iter().map(|(_, a)| a.ops).sum();
    Totals {
        accel_cycles: cycles,
        accel_seconds: secs,
        accel_energy_pj: pj,
        accel_dram_pj: dram_pj,
        accel_utilisation: runtime::run::total_utilisation(
            cfg,
            runs.iter()
                .map(|(s, a)| (*s, a.figures.useful_macs, a.figures.cycles)),
        ),
        dram_bytes: runs
            .iter()
            .map(|(_, a)| a.figures.dram_read_bytes + a.figures.dram_write_bytes)
            .sum(),
        accel_gops: if secs > 0.0 { ops / secs / 1e9 } else { 0.0 },
        accel_watts: if secs > 0.0 { pj * 1e-12 / secs } else { 0.0 },
        cpu_median_s: 0.0,
        cpu_min_s: 0.0,
        cpu_max_s: 0.0,
        cpu_joules: 0.0,
        speedup: 0.0,
        energy_ratio: 0.0,
        energy_ratio_on_chip: 0.0,
    }
}

/// One layer's training step on the accelerator: the summed figures of its
/// programs ([`train::cost::layer_cost`]) as an [`AccelRun`], and the
/// per-phase breakdown.
pub fn train_layer(
    cfg: &AccelConfig,
    spec: &LayerSpec,
    programs: &[train::schedule::TrainProgram],
    table: &sim::EnergyTable,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<(AccelRun, train::cost::TrainBreakdown), CompareError> {
    let t = train::cost::layer_cost(cfg, programs, table, 0x7a1e, &mut |m| progress(m))?;
    let work = runtime::run::Work {
        cycles: t.cycles,
        useful_macs: t.useful_macs,
        counters: &t.counters,
        instructions: t.instructions,
        predicted_cycles: 0,
    };
    let run = accel_run(
        cfg,
        spec,
        LayerFigures::of(cfg, spec, &work, t.energy.clone()),
    );
    Ok((run, t.breakdown))
}

/// Run the comparison. `progress` receives one line per finished step.
pub fn compare(
    opts: &CompareOptions,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<CompareReport, CompareError> {
    let table = sim::EnergyTable::named(&opts.energy_table)
        .map_err(|e| CompareError::Energy(e.to_string()))?;
    let cfg = &opts.cfg;
    let mut accel = Vec::new();
    let mut breakdowns = Vec::new();
    if opts.train {
        if opts.batch == 0 {
            return Err(CompareError::ZeroBatch);
        }
        let programs = train::schedule::model_programs(cfg, &opts.model, opts.batch)?;
        for (l, ps) in opts.model.layers.iter().zip(&programs) {
            let (a, bd) = train_layer(cfg, &l.spec, ps, &table, progress)?;
            progress(&format!(
                "accelerator {} training step: {} cycles",
                l.name, a.figures.cycles
            ));
            accel.push(a);
            breakdowns.push(Some(bd));
        }
    } else {
        check_compiles(cfg, &opts.model, opts.batch)?;
        for l in &opts.model.layers {
            let c = compile_layer(cfg, &l.name, &l.spec, opts.batch)?;
            let a = simulate(cfg, &l.name, &l.spec, c, &table)?;
            progress(&format!(
                "accelerator {}: {} cycles",
                l.name, a.figures.cycles
            ));
            accel.push(a);
            breakdowns.push(None);
        }
    }
    let threads = opts.threads.max(1);
    let cpu: Vec<CpuRun> = baseline::with_threads(threads, || {
        opts.model
            .layers
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let r = cpu_layer(
                    &l.spec,
                    opts.batch as usize,
                    opts.train,
                    i > 0,
                    opts.reps,
                    &opts.cpu_energy,
                );
                progress(&format!(
                    "cpu {}: median {:.6} s",
                    l.name, r.timing.median_s
                ));
                r
            })
            .collect()
    })
    .map_err(|e| CompareError::Threads {
        threads,
        reason: e.to_string(),
    })?;
    let layers: Vec<LayerResult> = opts
        .model
        .layers
        .iter()
        .zip(accel)
        .zip(cpu)
        .zip(breakdowns)
        .map(|(((l, a), c), train)| LayerResult {
            train,
            name: l.name.clone(),
            kind: l.spec.kind_name().to_string(),
            speedup: c.timing.median_s / a.figures.seconds,
            energy_ratio: c.joules / (a.figures.energy.total_pj * 1e-12),
            energy_ratio_on_chip: c.joules
                / ((a.figures.energy.total_pj - a.figures.energy.dram_pj) * 1e-12),
            accel: a,
            cpu: c,
        })
        .collect();
    let pairs: Vec<(&LayerSpec, &AccelRun)> = opts
        .model
        .layers
        .iter()
        .map(|l| &l.spec)
        .zip(layers.iter().map(|r| &r.accel))
        .collect();
    let mut total = accel_totals(cfg, &pairs);
    total.cpu_median_s = layers.iter().map(|r| r.cpu.timing.median_s).sum();
    total.cpu_min_s = layers.iter().map(|r| r.cpu.timing.min_s).sum();
    total.cpu_max_s = layers.iter().map(|r| r.cpu.timing.max_s).sum();
    total.cpu_joules = layers.iter().map(|r| r.cpu.joules).sum();
    total.speedup = total.cpu_median_s / total.accel_seconds;
    total.energy_ratio = total.cpu_joules / (total.accel_energy_pj * 1e-12);
    total.energy_ratio_on_chip =
        total.cpu_joules / ((total.accel_energy_pj - total.accel_dram_pj) * 1e-12);
    let mut notes = vec![
        if opts.train {
            "Accelerator: every program compiled separately and simulated cycle-accurately on a fresh machine; time = cycles / preset clock.".to_string()
        } else {
            "Accelerator: each layer compiled separately and simulated cycle-accurately on a fresh machine with zero-filled DRAM (timing and event counts do not depend on data values); time = cycles / preset clock.".to_string()
        },
        "Utilisation: useful MACs / (Tn*Tn*cycles) for conv and class layers; window operations / (Tn*cycles) for pooling. The total counts conv and class MACs over all cycles.".to_string(),
        "GOP/s counts operations as DianNao does: per useful MAC, (Tn*Tn + Tn*(Tn-1))/(Tn*Tn) operations (multiplication plus adder-tree addition); pooling one per window element.".to_string(),
        format!("CPU: f32 baseline (im2col + SGEMM, matrixmultiply) on random data, whole batch per run, activation included, {threads} thread(s), 1 warm-up run then {} timed runs; totals are sums of per-layer figures.", opts.reps),
    ];
    if opts.train {
        notes.push("--train: the CPU columns cover forward + backward (input and weight gradients, activation derivative) + SGD-momentum update.".into());
        notes.push("--train: the accelerator columns cover one whole training step per layer: forward program; activation backward (AddConst mask with the derivative table + Mul, over the output size); weight + bias gradient as one classifier program (conv: ni = B*OH*OW, batch = ni*kx*ky + 1; classifier: ni = B, batch = inputs + 1; the ones row gives the bias); input gradient (not for the first layer) as a classifier over W^T or a stride-1 convolution over dZ dilated by the stride with pad k-1-p and flipped kernels; SGD-momentum update as two Lincomb programs over weights + bias. Cycles, DRAM bytes and energy are the sums over these programs, each compiled separately and simulated on a fresh machine with random operands (timing and event counts do not depend on data values); identical programs in a layer are simulated once and counted per occurrence. Host-side data movement between programs (transposes, im2col, kernel flips, upsampling, dilation) and the loss are not counted.".into());
        notes.push("--train pooling: max pooling with window = stride costs the training engine's two element-wise programs (mask, routing) over the input size. Overlapping windows (window != stride) and average pooling are costed as one mask/Mul pair per window offset over the pooled size plus one Lincomb accumulation over the input size per offset: what a program for them would run; the training engine does not implement it, so it has not been run for correctness.".into());
        notes.push("--train utilisation and GOP/s count the MACs of the forward, weight-gradient and input-gradient programs (pooling: window operations) over all cycles of the step; element-wise programs add cycles but no counted operations.".into());
    }
    Ok(CompareReport {
        model: opts.model.name.clone(),
        preset: cfg.name.clone(),
        clock_mhz: cfg.clock_mhz,
        tn: cfg.tn,
        batch: opts.batch,
        train: opts.train,
        threads,
        reps: opts.reps,
        cpu_energy_method: opts.cpu_energy.describe(),
        cpu_energy: opts.cpu_energy.clone(),
        energy_table: table.name.clone(),
        energy_table_source: table.source.clone(),
        notes,
        layers,
        total,
    })
}

/// Columns of results.csv, in order.
pub const CSV_HEADER: &[&str] = &[
    "layer",
    "kind",
    "cpu_median_s",
    "cpu_min_s",
    "cpu_max_s",
    "accel_cycles",
    "accel_s",
    "speedup",
    "cpu_j",
    "accel_j",
    "energy_ratio",
    "utilisation",
    "dram_read_bytes",
    "dram_write_bytes",
    "accel_gops",
    "useful_macs",
    "accel_dram_j",
    "energy_ratio_on_chip",
];

fn csv_row(
    name: &str,
    kind: &str,
    r: [f64; 3],
    cyc: u64,
    acc_s: f64,
    sp: f64,
    cj: f64,
    aj: f64,
    er: f64,
    ut: f64,
    rd: u64,
    wr: u64,
    gops: f64,
    macs: u64,
    dram_j: f64,
    er_chip: f64,
) -> Vec<String> {
    vec![
        name.into(),
        kind.into(),
        r[0].to_string(),
        r[1].to_string(),
        r[2].to_string(),
        cyc.to_string(),
        acc_s.to_string(),
        sp.to_string(),
        cj.to_string(),
        aj.to_string(),
        er.to_string(),
        ut.to_string(),
        rd.to_string(),
        wr.to_string(),
        gops.to_string(),
        macs.to_string(),
        dram_j.to_string(),
        er_chip.to_string(),
    ]
}

/// The CSV rows: one per layer, then `total` (full precision: Rust's shortest round-trip form).
pub fn csv_rows(r: &CompareReport) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = r
        .layers
        .iter()
        .map(|l| {
            let t = &l.cpu.timing;
            let a = &l.accel;
            csv_row(
                &l.name,
                &l.kind,
                [t.median_s, t.min_s, t.max_s],
                a.figures.cycles,
                a.figures.seconds,
                l.speedup,
                l.cpu.joules,
                a.figures.energy.total_pj * 1e-12,
                l.energy_ratio,
                a.figures.utilisation,
                a.figures.dram_read_bytes,
                a.figures.dram_write_bytes,
                a.ops / a.figures.seconds / 1e9,
                a.figures.useful_macs,
                a.figures.energy.dram_pj * 1e-12,
                l.energy_ratio_on_chip,
            )
        })
        .collect();
    let t = &r.total;
    let (rd, wr): (u64, u64) = (
        r.layers
            .iter()
            .map(|l| l.accel.figures.dram_read_bytes)
            .sum(),
        r.layers
            .iter()
            .map(|l| l.accel.figures.dram_write_bytes)
            .sum(),
    );
    let macs: u64 = r.layers.iter().map(|l| l.accel.figures.useful_macs).sum();
    rows.push(csv_row(
        "total",
        "",
        [t.cpu_median_s, t.cpu_min_s, t.cpu_max_s],
        t.accel_cycles,
        t.accel_seconds,
        t.speedup,
        t.cpu_joules,
        t.accel_energy_pj * 1e-12,
        t.energy_ratio,
        t.accel_utilisation,
        rd,
        wr,
        t.accel_gops,
        macs,
        t.accel_dram_pj * 1e-12,
        t.energy_ratio_on_chip,
    ));
    rows
}

/// Markdown columns: (CSV column, heading).
const MD_COLUMNS: &[(&str, &str)] = &[
    ("layer", "layer"),
    ("kind", "kind"),
    ("cpu_median_s", "CPU median s"),
    ("cpu_min_s", "CPU min s"),
    ("cpu_max_s", "CPU max s"),
    ("accel_s", "accel s"),
    ("speedup", "speedup"),
    ("cpu_j", "CPU J"),
    ("accel_j", "accel J"),
    ("energy_ratio", "energy ratio"),
    ("utilisation", "utilisation"),
    ("dram_read_bytes", "DRAM read B"),
    ("dram_write_bytes", "DRAM write B"),
    ("accel_gops", "accel GOP/s"),
];

/// report.md: settings, methods and the per-layer table (numbers are the CSV's, rounded to 4 significant digits).
pub fn markdown(r: &CompareReport) -> String {
    let rows = csv_rows(r);
    let idx: Vec<usize> = MD_COLUMNS
        .iter()
        .map(|(c, _)| CSV_HEADER.iter().position(|h| h == c).expect("column"))
        .collect();
    let md_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            idx.iter()
                .map(|&i| match (row[i].parse::<u64>(), row[i].parse::<f64>()) {
                    (Err(_), Ok(v)) if i >= 2 => crate::sig(v),
                    _ => row[i].clone(),
                })
                .collect()
        })
        .collect();
    let heads: Vec<&str> = MD_COLUMNS.iter().map(|(_, h)| *h).collect();
    let mut s = format!("# {} on preset `{}` vs CPU\n\n", r.model, r.preset);
    s.push_str(&format!(
        "- batch {}, {}; CPU threads {}, {} timed runs per layer\n- accelerator: preset `{}`, Tn = {}, {} MHz; energy table `{}` ({})\n- CPU energy: {}\n",
        r.batch,
        if r.train { "training step (--train): forward + backward + update on both CPU and accelerator" } else { "forward pass" },
        r.threads,
        r.reps,
        r.preset,
        r.tn,
        r.clock_mhz,
        r.energy_table,
        r.energy_table_source,
        r.cpu_energy_method
    ));
    s.push_str(&format!(
        "- totals: speedup {}x, energy ratio {}x (the accelerator's DRAM energy counted, the CPU's not; with DRAM on neither side: {}x), accelerator {} GOP/s at {} W, utilisation {}\n\n",
        crate::sig(r.total.speedup),
        crate::sig(r.total.energy_ratio),
        crate::sig(r.total.energy_ratio_on_chip),
        crate::sig(r.total.accel_gops),
        crate::sig(r.total.accel_watts),
        crate::sig(r.total.accel_utilisation)
    ));
    s.push_str(&crate::markdown_table(&heads, &md_rows));
    if r.train {
        s.push_str("\nAccelerator training step by phase (cycles; energy in J):\n\n");
        let sig = crate::sig;
        let mut rows: Vec<Vec<String>> = Vec::new();
        for l in &r.layers {
            if let Some(b) = &l.train {
                rows.push(vec![
                    l.name.clone(),
                    b.forward_cycles.to_string(),
                    b.backward_cycles.to_string(),
                    b.update_cycles.to_string(),
                    sig(b.forward_pj * 1e-12),
                    sig(b.backward_pj * 1e-12),
                    sig(b.update_pj * 1e-12),
                    b.programs.to_string(),
                ]);
            }
        }
        s.push_str(&crate::markdown_table(
            &[
                "layer",
                "forward cycles",
                "backward cycles",
                "update cycles",
                "forward J",
                "backward J",
                "update J",
                "programs",
            ],
            &rows,
        ));
    }
    s.push_str("\nNotes:\n\n");
    for n in &r.notes {
        s.push_str(&format!("- {n}\n"));
    }
    s.push_str(
        "\nFiles: results.csv and results.json (full precision), speedup.svg, energy_ratio.svg.\n",
    );
    s
}

/// Write report.md, results.csv, results.json, speedup.svg and energy_ratio.svg into `out` and commit it.
pub fn write(
    r: &CompareReport,
    out: crate::OutDir,
) -> Result<std::path::PathBuf, crate::ReportError> {
    let labels: Vec<String> = r.layers.iter().map(|l| l.name.clone()).collect();
    let sp: Vec<f64> = r.layers.iter().map(|l| l.speedup).collect();
    let er: Vec<f64> = r.layers.iter().map(|l| l.energy_ratio).collect();
    let what = if r.train { "training step" } else { "forward" };
    let svg1 = crate::log_bar_chart(
        &format!(
            "{} batch {} on {}: speedup over CPU ({what})",
            r.model, r.batch, r.preset
        ),
        "speedup (x, log)",
        &labels,
        &sp,
    )?;
    let svg2 = crate::log_bar_chart(
        &format!(
            "{} batch {} on {}: CPU / accelerator energy ({what})",
            r.model, r.batch, r.preset
        ),
        "energy ratio (x, log)",
        &labels,
        &er,
    )?;
    out.write(
        "results.csv",
        crate::csv(CSV_HEADER, &csv_rows(r)).as_bytes(),
    )?;
    out.write(
        "results.json",
        (serde_json::to_string_pretty(r)? + "\n").as_bytes(),
    )?;
    out.write("report.md", markdown(r).as_bytes())?;
    out.write("speedup.svg", svg1.as_bytes())?;
    out.write("energy_ratio.svg", svg2.as_bytes())?;
    out.commit()
}
