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
    /// Instead: time the whole workloads of the speed targets beside them
    /// (docs/performance.md): one epoch of the default `diannao train` run
    /// through the simulator, and a GoogLeNet sweep point at batch 64 with
    /// its peak resident set. Takes minutes.
    #[arg(long, conflicts_with_all = ["backends", "axi"])]
    pub workloads: bool,
    /// With --workloads: training digits of the epoch (the target is for 8,000).
    #[arg(long, requires = "workloads", default_value_t = report::bench::workloads::TARGET_EPOCH_DIGITS, value_name = "N")]
    pub digits: usize,
    /// With --workloads: held-out digits evaluated after the epoch (default: all 2,000).
    #[arg(long, requires = "workloads", value_name = "N")]
    pub test_digits: Option<usize>,
    /// With --workloads: model of the sweep point (the targets are for googlenet).
    #[arg(
        long,
        requires = "workloads",
        default_value = report::bench::workloads::TARGET_SWEEP_MODEL,
        value_name = "NAME|FILE"
    )]
    pub sweep_model: String,
    /// With --workloads: batch of the sweep point (the targets are for 64).
    #[arg(long, requires = "workloads", default_value_t = report::bench::workloads::TARGET_SWEEP_BATCH, value_name = "N")]
    pub sweep_batch: u32,
    /// With --workloads: the epoch only.
    #[arg(long, requires = "workloads")]
    pub no_sweep: bool,
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
    if a.workloads {
        anyhow::ensure!(a.digits > 0, "--digits must be at least 1");
        anyhow::ensure!(a.sweep_batch > 0, "--sweep-batch must be at least 1");
        let r = report::bench::workloads::bench_workloads(
            &report::bench::workloads::WorkloadOptions {
                digits: a.digits,
                test_digits: a.test_digits,
                sweep_model: a.sweep_model.clone(),
                sweep_batch: a.sweep_batch,
                no_sweep: a.no_sweep,
            },
        )?;
        let text = if a.json {
            let mut s = serde_json::to_string_pretty(&r)?;
            s.push('\n');
            s
        } else {
            report::bench::workloads::table(&r)
        };
        return super::emit(&text, None);
    }
    super::emit(&report::bench::command(&a.options())?, None)
}
