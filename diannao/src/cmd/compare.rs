//! `diannao compare`: the accelerator against the CPU baseline, per layer.

use anyhow::{bail, Result};

/// Arguments of `diannao compare`.
#[derive(Debug, Clone, clap::Args)]
pub struct CompareArgs {
    /// Preset name or config file of the accelerator.
    #[arg(long, value_name = "NAME|FILE", default_value = "diannao")]
    pub preset: String,
    #[arg(long, value_name = "NAME|FILE", help = super::model_help())]
    pub model: String,
    /// Images per run.
    #[arg(long, default_value_t = 1)]
    pub batch: u32,
    /// Compare one training step: forward + backward + SGD-momentum update on both sides.
    #[arg(long)]
    pub train: bool,
    /// CPU threads (default: all available cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// CPU power in watts for energy = time x power (default: RAPL if present, else 3.75 W per thread; see the report).
    #[arg(long, value_name = "W")]
    pub cpu_watts: Option<f64>,
    /// Timed CPU runs per layer (after one warm-up run).
    #[arg(long, default_value_t = 5)]
    pub reps: usize,
    /// Accelerator energy table (sim/energy/*.toml), as in `simulate --energy`.
    #[arg(
        long = "energy",
        alias = "energy-table",
        value_name = "TABLE",
        default_value = "horowitz45"
    )]
    pub energy_table: String,
    /// Output directory (written completely or not at all).
    #[arg(long, value_name = "DIR")]
    pub out: std::path::PathBuf,
}

/// Threads to use: `Some(0)` is an error, `None` all available cores.
pub fn resolve_threads(t: Option<usize>) -> Result<usize> {
    match t {
        Some(0) => bail!("--threads must be at least 1"),
        Some(t) => Ok(t),
        None => Ok(std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)),
    }
}

/// `diannao compare`: check every input, then run and write the report.
pub fn run(a: CompareArgs) -> Result<()> {
    if a.batch == 0 {
        bail!("--batch must be at least 1");
    }
    if a.reps == 0 {
        bail!("--reps must be at least 1");
    }
    let cfg = runtime::configs::resolve(&a.preset)?;
    let model = runtime::models::load_model(&a.model)?;
    sim::EnergyTable::named(&a.energy_table)?;
    if a.train {
        // every layer's training step must be expressible before any work
        train::schedule::model_programs(&cfg, &model, a.batch)?;
    }
    let threads = resolve_threads(a.threads)?;
    let cpu_energy = baseline::cpu_energy::CpuEnergy::detect(a.cpu_watts, threads)?;
    let out = report::OutDir::prepare(&a.out)?;
    let opts = report::compare::CompareOptions {
        cfg,
        model,
        batch: a.batch,
        train: a.train,
        threads,
        reps: a.reps,
        cpu_energy,
        energy_table: a.energy_table,
    };
    let r = report::compare::compare(&opts, &mut |m: &str| eprintln!("{m}"))?;
    let dest = report::compare::write(&r, out)?;
    println!(
        "{}: speedup {}x, energy ratio {}x ({}x with DRAM on neither side); wrote {}",
        r.model,
        report::sig(r.total.speedup),
        report::sig(r.total.energy_ratio),
        report::sig(r.total.energy_ratio_on_chip),
        dest.display()
    );
    Ok(())
}
