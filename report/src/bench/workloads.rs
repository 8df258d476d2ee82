//! `diannao bench --workloads`: the two whole workloads of the speed
//! targets, timed in this process beside their targets
//! (docs/performance.md):
//!
//! - one training epoch of the default `diannao train` run (the default
//!   net, preset and hyper-parameters of [`train::defaults`]) through the
//!   cycle-accurate simulator on `digits` training digits, with its
//!   held-out evaluation: the target is 15 s for 8,000 digits on 2 cores;
//! - a GoogLeNet sweep point at batch 64 (`diannao sweep --model googlenet
//!   --batch 64 --tn 16 --sb-kb 32`, the `diannao` preset's own point): the
//!   targets are 30 s and a peak resident set under 500 MB.
//!
//! The sweep runs first. The peak resident set is the process's (`VmHWM`),
//! reset before the sweep (`/proc/self/clear_refs`), so it is the sweep's
//! own peak; `None` where Linux's `/proc` is not there.

use super::TargetCheck;
use crate::sweep::{self, SweepError};
use serde::Serialize;
use std::time::Instant;
use thiserror::Error;
use train::data::{DataError, Source};
use train::net::Net;

/// Target wall time of the default training epoch on 8,000 digits, 2 cores, s.
pub const TARGET_EPOCH_S: f64 = 15.0;
/// Training digits of the epoch target.
pub const TARGET_EPOCH_DIGITS: usize = 8000;
/// Target wall time of the GoogLeNet sweep at batch 64, s.
pub const TARGET_SWEEP_S: f64 = 30.0;
/// Model of the sweep targets.
pub const TARGET_SWEEP_MODEL: &str = "googlenet";
/// Preset of the sweep targets (the point is its own Tn and SB).
pub const TARGET_SWEEP_PRESET: &str = "diannao";
/// Batch of the sweep targets.
pub const TARGET_SWEEP_BATCH: u32 = 64;
/// Target peak resident set of the GoogLeNet sweep at batch 64, bytes (500 MB).
pub const TARGET_SWEEP_RSS_BYTES: u64 = 500_000_000;

/// What to run.
#[derive(Clone, Debug)]
pub struct WorkloadOptions {
    /// Training digits of the epoch (the targets are for [`TARGET_EPOCH_DIGITS`]).
    pub digits: usize,
    /// Held-out digits evaluated after the epoch (`None`: the data set's 2,000).
    pub test_digits: Option<usize>,
    /// Model of the sweep point (the targets are for GoogLeNet).
    pub sweep_model: String,
    /// Batch of the sweep point (the targets are for [`TARGET_SWEEP_BATCH`]).
    pub sweep_batch: u32,
    /// Skip the sweep (the epoch only).
    pub no_sweep: bool,
}

impl Default for WorkloadOptions {
    fn default() -> Self {
        WorkloadOptions {
            digits: TARGET_EPOCH_DIGITS,
            test_digits: None,
            sweep_model: TARGET_SWEEP_MODEL.into(),
            sweep_batch: TARGET_SWEEP_BATCH,
            no_sweep: false,
        }
    }
}

/// Why a workload cannot run.
#[derive(Debug, Error)]
pub enum WorkloadError {
    /// The training digits cannot be read.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Training stopped with an error.
    #[error("training epoch: {0}")]
    Train(#[from] train::TrainError),
    /// The sweep point cannot run.
    #[error("sweep: {0}")]
    Sweep(#[from] SweepError),
    /// A preset, model or energy table cannot be loaded.
    #[error("{0}")]
    Setup(String),
}

/// The timed training epoch.
#[derive(Clone, Debug, Serialize)]
pub struct EpochBench {
    /// Network.
    pub net: String,
    /// Training digits (whole batches of the default batch).
    pub digits: usize,
    /// Held-out digits evaluated.
    pub test_digits: usize,
    /// Wall time of the epoch and its evaluation, s.
    pub wall_s: f64,
    /// Simulated accelerator cycles of the epoch's programs.
    pub accel_cycles: u64,
    /// Held-out accuracy after the epoch (a check that it trained).
    pub test_acc: f64,
}

/// The timed sweep point.
#[derive(Clone, Debug, Serialize)]
pub struct SweepBench {
    /// Model.
    pub model: String,
    /// Configuration.
    pub config: String,
    /// Images per run.
    pub batch: u32,
    /// Wall time, s.
    pub wall_s: f64,
    /// Simulated cycles.
    pub cycles: u64,
    /// Peak resident set during the sweep, bytes (Linux only).
    pub peak_rss_bytes: Option<u64>,
}

/// The workloads' figures and their targets, from one run.
#[derive(Clone, Debug, Serialize)]
pub struct WorkloadReport {
    /// Threads of rayon's pool (the cores used).
    pub threads: usize,
    /// The epoch.
    pub epoch: EpochBench,
    /// The sweep point, unless skipped.
    pub sweep: Option<SweepBench>,
    /// The targets whose workload ran at the target's size.
    pub targets: Vec<TargetCheck>,
}

/// Reset the process's peak resident set (Linux `clear_refs` 5); false if
/// not possible.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The process's peak resident set since the last reset, bytes (`VmHWM`).
fn peak_rss() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: u64 = s
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// One epoch of the default training run on `o.digits` digits.
pub fn epoch(o: &WorkloadOptions) -> Result<EpochBench, WorkloadError> {
    use train::defaults as d;
    let setup = |e: &dyn std::fmt::Display| WorkloadError::Setup(e.to_string());
    let net = Net::by_name(d::DEFAULT_NET)
        .ok_or_else(|| WorkloadError::Setup(format!("no net {}", d::DEFAULT_NET)))?;
    let mut data = Source::Mnist.load(None)?;
    data.train.truncate(o.digits);
    if let Some(n) = o.test_digits {
        data.test.truncate(n);
    }
    let mut cfg = runtime::configs::resolve(d::DEFAULT_PRESET).map_err(|e| setup(&e))?;
    cfg.frac_bits = d::DEFAULT_FRAC;
    let energy =
        sim::EnergyTable::named(runtime::run::DEFAULT_ENERGY_TABLE).map_err(|e| setup(&e))?;
    let tc = d::train_config(1);
    let mut engine = train::accel::AccelEngine::new(
        net,
        train::accel::AccelOptions {
            cfg,
            backend: train::accel::AccelBackend::Sim,
            grad_scale_log2: d::DEFAULT_GRAD_SCALE_LOG2,
            seed: tc.seed,
            energy,
        },
    )
    .map_err(|e| setup(&e))?;
    let t0 = Instant::now();
    let s = train::train(
        &tc,
        &mut engine,
        &data.train,
        &data.test,
        &mut train::Silent,
    )?;
    let wall_s = t0.elapsed().as_secs_f64();
    let e = s.epochs.last().ok_or_else(|| setup(&"no epoch ran"))?;
    Ok(EpochBench {
        net: s.net.clone(),
        digits: data.train.len(),
        test_digits: data.test.len(),
        wall_s,
        accel_cycles: e.accel_cycles,
        test_acc: e.test_acc,
    })
}

/// The sweep point: `o.sweep_model` at `o.sweep_batch` on the `diannao`
/// preset's own Tn and SB.
pub fn sweep_point(o: &WorkloadOptions) -> Result<SweepBench, WorkloadError> {
    let setup = |e: &dyn std::fmt::Display| WorkloadError::Setup(e.to_string());
    let base = runtime::configs::resolve(TARGET_SWEEP_PRESET).map_err(|e| setup(&e))?;
    let model = runtime::models::load_model(&o.sweep_model).map_err(|e| setup(&e))?;
    let table =
        sim::EnergyTable::named(runtime::run::DEFAULT_ENERGY_TABLE).map_err(|e| setup(&e))?;
    let cfgs = sweep::configs(&base, &[base.tn as u64], &[(base.sb_bytes / 1024) as u64])
        .map_err(SweepError::from)?;
    let measured = reset_peak_rss();
    let t0 = Instant::now();
    let points = sweep::sweep(&cfgs, &model, o.sweep_batch, &table, &|_| {})?;
    let wall_s = t0.elapsed().as_secs_f64();
    let p = &points[0];
    Ok(SweepBench {
        model: model.name.clone(),
        config: p.config.clone(),
        batch: o.sweep_batch,
        wall_s,
        cycles: p.cycles,
        peak_rss_bytes: if measured { peak_rss() } else { None },
    })
}

/// The targets of the figures that ran at their target's size.
pub fn targets(epoch: &EpochBench, sweep: Option<&SweepBench>) -> Vec<TargetCheck> {
    let mut v = Vec::new();
    if epoch.digits == TARGET_EPOCH_DIGITS {
        v.push(TargetCheck::new(
            "default training epoch on 8,000 digits through the simulator, s",
            epoch.wall_s,
            TARGET_EPOCH_S,
            false,
        ));
    }
    if let Some(s) =
        sweep.filter(|s| s.model == TARGET_SWEEP_MODEL && s.batch == TARGET_SWEEP_BATCH)
    {
        v.push(TargetCheck::new(
            "GoogLeNet sweep point at batch 64, s",
            s.wall_s,
            TARGET_SWEEP_S,
            false,
        ));
        if let Some(b) = s.peak_rss_bytes {
            v.push(TargetCheck::new(
                "GoogLeNet sweep point at batch 64, peak resident set, MB",
                b as f64 / 1e6,
                TARGET_SWEEP_RSS_BYTES as f64 / 1e6,
                false,
            ));
        }
    }
    v
}

/// Run the workloads `o` names.
pub fn bench_workloads(o: &WorkloadOptions) -> Result<WorkloadReport, WorkloadError> {
    // the sweep first, so that its peak resident set is its own and not
    // also the heap the training epoch leaves to the allocator
    let sweep = if o.no_sweep {
        None
    } else {
        Some(sweep_point(o)?)
    };
    let epoch = epoch(o)?;
    Ok(WorkloadReport {
        threads: rayon::current_num_threads(),
        targets: targets(&epoch, sweep.as_ref()),
        epoch,
        sweep,
    })
}

/// The report as text.
pub fn table(r: &WorkloadReport) -> String {
    let e = &r.epoch;
    let mut s = format!(
        "workloads on {} threads\nepoch: net {}, {} training digits + {} held-out, {:.2} s wall, {} simulated cycles, held-out accuracy {:.2}%\n",
        r.threads,
        e.net,
        e.digits,
        e.test_digits,
        e.wall_s,
        e.accel_cycles,
        100.0 * e.test_acc
    );
    if let Some(p) = &r.sweep {
        s += &format!(
            "sweep: {} on {} at batch {}, {:.2} s wall, {} simulated cycles, peak resident set {}\n",
            p.model,
            p.config,
            p.batch,
            p.wall_s,
            p.cycles,
            p.peak_rss_bytes
                .map(|b| format!("{:.1} MB", b as f64 / 1e6))
                .unwrap_or_else(|| "not measured".into())
        );
    }
    for t in &r.targets {
        s += &super::target_line(t);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_judged_only_at_their_sizes() {
        let e = EpochBench {
            net: "lenet5".into(),
            digits: TARGET_EPOCH_DIGITS,
            test_digits: 2000,
            wall_s: 16.0,
            accel_cycles: 1,
            test_acc: 0.9,
        };
        let mut p = SweepBench {
            model: TARGET_SWEEP_MODEL.into(),
            config: "tn16-sb32k".into(),
            batch: TARGET_SWEEP_BATCH,
            wall_s: 29.0,
            cycles: 1,
            peak_rss_bytes: Some(600_000_000),
        };
        let t = targets(&e, Some(&p));
        let got: Vec<(f64, f64, bool)> = t.iter().map(|t| (t.value, t.target, t.met)).collect();
        assert_eq!(
            got,
            [
                (16.0, 15.0, false),
                (29.0, 30.0, true),
                (600.0, 500.0, false)
            ]
        );
        assert!(t.iter().all(|t| !t.at_least));
        p.batch = 4;
        let small = EpochBench { digits: 64, ..e };
        assert!(targets(&small, Some(&p)).is_empty());
    }
}
