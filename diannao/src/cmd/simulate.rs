//! `diannao simulate`: a model or layer on the cycle-accurate simulator.

use anyhow::Result;
use runtime::run::{DEFAULT_ENERGY_TABLE, VCD_MAX_CYCLES};
use runtime::simulate::SimulateOptions;
use std::path::PathBuf;

/// Options of `diannao simulate`.
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("workload").required(true).args(["model", "layer"])))]
pub struct SimulateArgs {
    /// Preset name or config file (.toml/.json) of the accelerator.
    #[arg(long, value_name = "NAME|FILE")]
    pub preset: String,
    #[arg(long, value_name = "NAME|FILE", help = super::model_help())]
    pub model: Option<String>,
    /// One layer, e.g. `conv:nx=32,ny=32,k=3,ni=16,no=32,pad=1,act=relu`,
    /// `pool:nx=16,ny=16,k=2,ni=32,kind=max`, `class:ni=512,no=10`.
    #[arg(long, value_name = "SPEC")]
    pub layer: Option<String>,
    /// Images per run (every layer processes the whole batch).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub batch: u32,
    /// Print JSON instead of a table.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV (one row per layer, then a `total` row) instead of a table.
    #[arg(long)]
    pub csv: bool,
    /// Energy table: horowitz45 (default; Horowitz ISSCC 2014, 45 nm), dnnsim,
    /// or a table file (.toml, the format of sim/energy/). The output names the table used.
    #[arg(long, default_value = DEFAULT_ENERGY_TABLE, value_name = "NAME|FILE")]
    pub energy: String,
    /// Also print each layer's tiling plan (tile sizes, loop order, predicted DRAM traffic).
    #[arg(long)]
    pub plan: bool,
    /// No progress bar (it is also off when standard error is not a terminal).
    #[arg(long)]
    pub quiet: bool,
    /// Write a VCD trace of the run (one layer only; simulated cycle by cycle).
    #[arg(long, value_name = "FILE")]
    pub vcd: Option<PathBuf>,
    /// Longest run (cycles) that --vcd will trace.
    #[arg(long, default_value_t = VCD_MAX_CYCLES, value_name = "CYCLES")]
    pub vcd_max_cycles: u64,
    /// Seed of the random data (see `runtime::run` for the distribution).
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
}

impl SimulateArgs {
    /// The library options these arguments stand for.
    pub fn options(&self) -> SimulateOptions {
        SimulateOptions {
            preset: self.preset.clone(),
            model: self.model.clone(),
            layer: self.layer.clone(),
            batch: self.batch.clone(),
            json: self.json.clone(),
            csv: self.csv.clone(),
            energy: self.energy.clone(),
            plan: self.plan.clone(),
            quiet: self.quiet.clone(),
            vcd: self.vcd.clone(),
            vcd_max_cycles: self.vcd_max_cycles.clone(),
            seed: self.seed.clone(),
        }
    }
}

/// Run `diannao simulate`.
pub fn run(a: SimulateArgs) -> Result<()> {
    super::emit(&report::simulate::command(&a.options())?, None)
}
