//! `diannao sweep`: accelerator configurations (NFU width Tn x SB size) over
//! a model: cycles, time, utilisation, DRAM traffic and energy per config.
//!
//! Each config is the base preset with `tn` and `sb_bytes` replaced; NBin and
//! NBout keep the base preset's number of rows (their bytes scale with Tn),
//! so only the SB capacity varies independently. Every config is validated
//! and every layer compiled for it before any simulation starts.

use crate::compare::{
    accel_totals, check_compiles, compile_layer, simulate, AccelRun, CompareError,
};
use arch::AccelConfig;
use firmware::{LayerSpec, Model};
use serde::Serialize;

/// One configuration of a sweep.
pub fn config(base: &AccelConfig, tn: u32, sb_kb: u32) -> AccelConfig {
    let mut c = base.resized(
        tn,
        sb_kb.saturating_mul(1024),
        base.nbin_rows(),
        base.nbout_rows(),
    );
    c.name = format!("tn{tn}-sb{sb_kb}k");
    c.notes = format!(
        "sweep of {}: Tn = {tn}, SB {sb_kb} KiB, NBin {} rows, NBout {} rows",
        base.name,
        base.nbin_rows(),
        base.nbout_rows()
    );
    c
}

/// A point of the sweep is not a valid configuration.
#[derive(Debug, thiserror::Error)]
#[error("invalid sweep config --tn {tn} --sb-kb {sb_kb}: {reason}")]
pub struct InvalidSweepConfig {
    /// The NFU width asked for.
    pub tn: u64,
    /// The SB size asked for, KiB.
    pub sb_kb: u64,
    /// Why the configuration is invalid.
    pub reason: String,
}

/// Every config of the sweep, validated; the error names the first invalid one.
pub fn configs(
    base: &AccelConfig,
    tns: &[u64],
    sb_kbs: &[u64],
) -> Result<Vec<AccelConfig>, InvalidSweepConfig> {
    let mut v = Vec::new();
    for &tn in tns {
        for &kb in sb_kbs {
            let (t, k) = (
                u32::try_from(tn).unwrap_or(u32::MAX),
                u32::try_from(kb).unwrap_or(u32::MAX),
            );
            let c = config(base, t, k);
            c.validate().map_err(|e| InvalidSweepConfig {
                tn,
                sb_kb: kb,
                reason: e.to_string(),
            })?;
            v.push(c);
        }
    }
    Ok(v)
}

/// Why a sweep cannot run.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A point is not a valid configuration.
    #[error(transparent)]
    Invalid(#[from] InvalidSweepConfig),
    /// A configuration cannot compile or run the model.
    #[error("config {config}: {source}")]
    Point {
        /// The configuration's name.
        config: String,
        /// Why.
        source: CompareError,
    },
}

/// Every configuration of `cfgs` over `model` at `batch`, in order: every
/// layer is compiled for every configuration before any simulation (the
/// error names the first that does not compile), then the points run on
/// rayon's pool (their layers too, [`run_point`]); `done` sees each point
/// as it finishes.
pub fn sweep(
    cfgs: &[AccelConfig],
    model: &Model,
    batch: u32,
    table: &sim::EnergyTable,
    done: &(dyn Fn(&SweepPoint) + Sync),
) -> Result<Vec<SweepPoint>, SweepError> {
    use rayon::prelude::*;
    let named = |c: &AccelConfig| {
        let config = c.name.clone();
        move |source| SweepError::Point { config, source }
    };
    // a point that cannot compile fails the sweep before any simulation
    // (each layer is compiled again where it runs: GoogLeNet at batch 64
    // compiles in about 2 s of a 2-minute point, and its programs are never
    // all in memory at once)
    for c in cfgs {
        check_compiles(c, model, batch).map_err(named(c))?;
    }
    cfgs.par_iter()
        .map(|c| {
            let p = run_point(c, model, batch, table).map_err(named(c))?;
            done(&p);
            Ok(p)
        })
        .collect()
}

/// One config's result.
#[derive(Clone, Debug, Serialize)]
pub struct SweepPoint {
    /// Config name.
    pub config: String,
    /// NFU width.
    pub tn: u32,
    /// SB size, KiB.
    pub sb_kb: u32,
    /// Totals over the model (CPU fields are zero).
    pub cycles: u64,
    /// Seconds at the clock.
    pub seconds: f64,
    /// Useful conv/class MACs / (Tn*Tn*cycles).
    pub utilisation: f64,
    /// DRAM bytes read + written.
    pub dram_bytes: u64,
    /// Energy, pJ.
    pub energy_pj: f64,
    /// DRAM share of the energy, pJ.
    pub dram_energy_pj: f64,
    /// GOP/s (DianNao's count).
    pub gops: f64,
    /// Per layer.
    pub layers: Vec<(String, AccelRun)>,
}

/// Run one config over the model.
pub fn run_point(
    cfg: &AccelConfig,
    model: &Model,
    batch: u32,
    table: &sim::EnergyTable,
) -> Result<SweepPoint, CompareError> {
    if batch == 0 {
        return Err(CompareError::ZeroBatch);
    }
    // the layers on every core of the current rayon pool, as many at once as
    // the memory budget allows (the same bits whatever the thread count)
    let budget =
        runtime::budget::Budget::from_env().map_err(|e| CompareError::Budget(e.to_string()))?;
    let threads = runtime::budget::concurrent_layers(
        cfg,
        model.layers.iter().map(|l| &l.spec),
        batch,
        &budget,
        rayon::current_num_threads(),
    );
    // each layer compiled where it runs and freed with its run: at most
    // `threads` programs in memory at once
    let results = runtime::budget::map_layers(model.layers.len(), threads, |i| {
        let l = &model.layers[i];
        let compiled = compile_layer(cfg, &l.name, &l.spec, batch)?;
        simulate(cfg, &l.name, &l.spec, compiled, table)
    })
    .map_err(|e| CompareError::Budget(e.to_string()))?;
    // the first failing layer in model order
    let runs: Vec<AccelRun> = results.into_iter().collect::<Result<_, _>>()?;
    let pairs: Vec<(&LayerSpec, &AccelRun)> = model
        .layers
        .iter()
        .map(|l| &l.spec)
        .zip(runs.iter())
        .collect();
    let t = accel_totals(cfg, &pairs);
    Ok(SweepPoint {
        config: cfg.name.clone(),
        tn: cfg.tn,
        sb_kb: cfg.sb_bytes / 1024,
        cycles: t.accel_cycles,
        seconds: t.accel_seconds,
        utilisation: t.accel_utilisation,
        dram_bytes: t.dram_bytes,
        energy_pj: t.accel_energy_pj,
        dram_energy_pj: runs.iter().map(|r| r.figures.energy.dram_pj).sum(),
        gops: t.accel_gops,
        layers: model
            .layers
            .iter()
            .map(|l| l.name.clone())
            .zip(runs)
            .collect(),
    })
}

/// CSV columns.
pub const CSV_HEADER: &[&str] = &[
    "config",
    "tn",
    "sb_kb",
    "cycles",
    "seconds",
    "utilisation",
    "dram_bytes",
    "energy_pj",
    "dram_energy_pj",
    "gops",
];

/// CSV rows (full precision).
pub fn csv_rows(points: &[SweepPoint]) -> Vec<Vec<String>> {
    points
        .iter()
        .map(|p| {
            vec![
                p.config.clone(),
                p.tn.to_string(),
                p.sb_kb.to_string(),
                p.cycles.to_string(),
                p.seconds.to_string(),
                p.utilisation.to_string(),
                p.dram_bytes.to_string(),
                p.energy_pj.to_string(),
                p.dram_energy_pj.to_string(),
                p.gops.to_string(),
            ]
        })
        .collect()
}

/// Markdown report of a sweep.
pub fn markdown(
    model: &str,
    base: &AccelConfig,
    batch: u32,
    table: &sim::EnergyTable,
    points: &[SweepPoint],
) -> String {
    use crate::sig;
    let mut s = format!(
        "# Sweep of {model} (batch {batch}) over Tn x SB size\n\nBase preset `{}` ({} MHz, memory port {} B/cycle, latency {} cycles); NBin {} rows and NBout {} rows at every Tn. Energy table `{}` ({}). Utilisation = conv/class useful MACs / (Tn*Tn*cycles).\n\n",
        base.name, base.clock_mhz, base.dram.bytes_per_cycle, base.dram.latency_cycles, base.nbin_rows(), base.nbout_rows(), table.name, table.source
    );
    let rows: Vec<Vec<String>> = points
        .iter()
        .map(|p| {
            vec![
                p.config.clone(),
                p.tn.to_string(),
                p.sb_kb.to_string(),
                p.cycles.to_string(),
                sig(p.seconds * 1e3),
                sig(p.utilisation),
                sig(p.dram_bytes as f64 / 1e6),
                sig(p.energy_pj * 1e-9),
                sig(p.dram_energy_pj / p.energy_pj),
                sig(p.gops),
            ]
        })
        .collect();
    s.push_str(&crate::markdown_table(
        &[
            "config",
            "Tn",
            "SB KiB",
            "cycles",
            "time ms",
            "utilisation",
            "DRAM MB",
            "energy mJ",
            "DRAM share",
            "GOP/s",
        ],
        &rows,
    ));
    s
}

/// Write a sweep's outputs into `o` (sweep.csv, sweep.json, report.md and
/// log-scale SVG plots of utilisation, time, DRAM traffic and energy) and
/// commit the directory; returns its final path.
pub fn write(
    o: crate::OutDir,
    model: &str,
    batch: u32,
    md: &str,
    points: &[SweepPoint],
) -> Result<std::path::PathBuf, crate::ReportError> {
    let labels: Vec<String> = points.iter().map(|p| p.config.clone()).collect();
    let chart = |title: &str, y: &str, v: Vec<f64>| {
        crate::log_bar_chart(
            &format!("{} batch {}: {title}", model, batch),
            y,
            &labels,
            &v,
        )
    };
    o.write(
        "sweep.csv",
        crate::csv(CSV_HEADER, &csv_rows(&points)).as_bytes(),
    )?;
    o.write(
        "sweep.json",
        (serde_json::to_string_pretty(&points)? + "\n").as_bytes(),
    )?;
    o.write("report.md", md.as_bytes())?;
    o.write(
        "utilisation.svg",
        chart(
            "utilisation",
            "utilisation (log)",
            points.iter().map(|p| p.utilisation).collect(),
        )?
        .as_bytes(),
    )?;
    o.write(
        "time.svg",
        chart(
            "time (ms)",
            "ms (log)",
            points.iter().map(|p| p.seconds * 1e3).collect(),
        )?
        .as_bytes(),
    )?;
    o.write(
        "dram.svg",
        chart(
            "DRAM traffic (MB)",
            "MB (log)",
            points.iter().map(|p| p.dram_bytes as f64 / 1e6).collect(),
        )?
        .as_bytes(),
    )?;
    o.write(
        "energy.svg",
        chart(
            "energy (mJ)",
            "mJ (log)",
            points.iter().map(|p| p.energy_pj * 1e-9).collect(),
        )?
        .as_bytes(),
    )?;
    o.commit()
}
