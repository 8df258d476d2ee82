//! `diannao bench`: the simulator's own speed.

use anyhow::Result;
use report::bench::BenchOptions;

/// Options of `diannao bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Preset name or config file (.toml/.json) of the accelerator.
    #[arg(long, value_name = "NAME|FILE", default_value = "diannao")]
    pub preset: String,
    /// Built-in model or model file (default alexnet unless --layer is given).
    #[arg(long, value_name = "NAME|FILE")]
    pub model: Option<String>,
    /// One layer instead of a model. With --backends: a layer spec, or the
    /// name of a layer of --model (default alexnet); default conv3 of alexnet.
    #[arg(long, value_name = "SPEC|NAME")]
    pub layer: Option<String>,
    /// Instead of the simulator benchmark: run one layer vector on each of
    /// these backends (sim, sim-stepped, verilator, verilator-mt = Verilator
    /// with one thread per core, rtl = rust-hdl, tiny preset only), once
    /// each, demanding identical results, and print their simulated cycles
    /// per second (Verilator's build and start-up timed apart).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub backends: Vec<String>,
    /// Instead: the board's AXI path against an ideal memory port of the
    /// same width and the DDR latency alone, every layer of --model
    /// (default lenet5; --layer NAME keeps one), simulator cycles; add
    /// --verilator to run each layer through the AXI-wrapped RTL under
    /// Verilator with the board's DDR model (docs/boards.md).
    #[arg(long, conflicts_with = "backends")]
    pub axi: bool,
    /// With --axi: also run the AXI-wrapped RTL under Verilator.
    #[arg(long, requires = "axi")]
    pub verilator: bool,
    /// Timed repetitions per measurement (the median is reported; with
    /// --backends each backend runs once).
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
            backends: self.backends.clone(),
            progress: true,
            axi: self.axi.then_some(self.verilator),
        }
    }
}

/// Run `diannao bench`.
pub fn run(a: BenchArgs) -> Result<()> {
    super::emit(&report::bench::command(&a.options())?, None)
}
