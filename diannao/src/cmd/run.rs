//! `diannao run`: a whole model with its own weights on a `.npy` input.

use anyhow::Result;
use report::inference::InferOptions;
use runtime::graph::Backend;
use runtime::run::DEFAULT_ENERGY_TABLE;
use std::path::PathBuf;

/// Where the graph runs.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum BackendArg {
    /// Fixed point on the cycle-accurate simulator.
    Sim,
    /// f32 on the host CPU.
    Cpu,
    /// Fixed point on the host (the CPU reference the simulator equals bit for bit).
    Reference,
}

/// Options of `diannao run`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Preset name or config file (.toml/.json) of the accelerator.
    #[arg(long, default_value = "diannao", value_name = "NAME|FILE")]
    pub preset: String,
    /// ONNX model file (.onnx) with its weights.
    #[arg(long, value_name = "FILE")]
    pub model: String,
    /// Input tensor (.npy, float32, [N, C, H, W] or [N, F]); N is the batch.
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// Write the output tensor here (.npy, float32).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// sim: fixed point on the cycle-accurate simulator; cpu: f32 on the host;
    /// reference: fixed point on the host (what sim must equal bit for bit).
    #[arg(long, value_enum, default_value = "sim")]
    pub backend: BackendArg,
    /// Energy table: horowitz45 (default), dnnsim, or a table file (.toml).
    #[arg(long, default_value = DEFAULT_ENERGY_TABLE, value_name = "NAME|FILE")]
    pub energy: String,
    /// Class labels (.npy, int64 or float32, one per image): print the accuracy of the argmax.
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// Fraction bits of the data format instead of the preset's (e.g. 10 for a net trained with `train --frac 10`).
    #[arg(long, value_name = "F")]
    pub frac: Option<u32>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Run `diannao run`.
pub fn run(a: RunArgs) -> Result<()> {
    let o = InferOptions {
        preset: a.preset,
        model: a.model,
        input: a.input,
        out: a.out,
        backend: match a.backend {
            BackendArg::Sim => Backend::Sim,
            BackendArg::Cpu => Backend::Cpu,
            BackendArg::Reference => Backend::Reference,
        },
        energy: a.energy,
        json: a.json,
        quiet: a.quiet,
        labels: a.labels,
        frac: a.frac,
    };
    super::emit(&report::inference::command(&o)?, None)
}
