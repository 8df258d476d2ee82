//! `diannao bench`: the simulator's own speed.

use anyhow::Result;
use report::bench::BenchOptions;

/// Options of `diannao bench`.
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("workload").args(["model", "layer"])))]
pub struct BenchArgs {
    /// Preset name or config file (.toml/.json) of the accelerator.
    #[arg(long, value_name = "NAME|FILE", default_value = "diannao")]
    pub preset: String,
    /// Built-in model or model file (default alexnet unless --layer is given).
    #[arg(long, value_name = "NAME|FILE")]
    pub model: Option<String>,
    /// One layer instead of a model.
    #[arg(long, value_name = "SPEC")]
    pub layer: Option<String>,
    /// Timed repetitions per measurement (the median is reported).
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub repeat: usize,
    /// Images per run.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub batch: u32,
    /// Seed of the random data.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// Skip the host f32 baseline.
    #[arg(long)]
    pub no_host: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

impl BenchArgs {
    /// The library options these arguments stand for.
    pub fn options(&self) -> BenchOptions {
        BenchOptions {
            preset: self.preset.clone(),
            model: self.model.clone(),
            layer: self.layer.clone(),
            repeat: self.repeat.clone(),
            batch: self.batch.clone(),
            seed: self.seed.clone(),
            no_host: self.no_host.clone(),
            json: self.json.clone(),
        }
    }
}

/// Run `diannao bench`.
pub fn run(a: BenchArgs) -> Result<()> {
    super::emit(&report::bench::command(&a.options())?, None)
}
