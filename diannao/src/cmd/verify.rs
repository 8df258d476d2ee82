//! `diannao verify`: the simulator against the fixed-point reference (and
//! other backends), layer by layer.

use anyhow::Result;
use runtime::verify::VerifyOptions;

/// Options of `diannao verify`.
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("workload").required(true).args(["model", "layer"])))]
pub struct VerifyArgs {
    /// Preset name or config file (.toml/.json) of the accelerator.
    #[arg(long, value_name = "NAME|FILE")]
    pub preset: String,
    #[arg(long, value_name = "NAME|FILE", help = super::model_help())]
    pub model: Option<String>,
    /// One layer, e.g. `conv:nx=32,ny=32,k=3,ni=16,no=32,pad=1,act=relu`.
    #[arg(long, value_name = "SPEC")]
    pub layer: Option<String>,
    /// Seed of the random data (see `runtime::run` for the distribution).
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// Images per run.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub batch: u32,
    /// Also replay every layer on these execution backends and demand the same
    /// DRAM, cycle count and status: sim, sim-stepped, rtl (rust-hdl simulation
    /// of the top; tiny preset, small layers), verilator (the emitted Verilog),
    /// icarus (the emitted Verilog under Icarus, buffers starting at X).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub backends: Vec<String>,
    /// Write the simulator's VCD trace of the layer (one layer only; signal
    /// names as the RTL's, see docs/microarchitecture.md).
    #[arg(long, value_name = "FILE")]
    pub vcd: Option<std::path::PathBuf>,
}

impl VerifyArgs {
    /// The library options these arguments stand for.
    pub fn options(&self) -> VerifyOptions {
        VerifyOptions {
            preset: self.preset.clone(),
            model: self.model.clone(),
            layer: self.layer.clone(),
            seed: self.seed.clone(),
            batch: self.batch.clone(),
            backends: self.backends.clone(),
            vcd: self.vcd.clone(),
        }
    }
}

/// Run `diannao verify`.
pub fn run(a: VerifyArgs) -> Result<()> {
    Ok(runtime::verify::command(
        &a.options(),
        &mut std::io::stdout().lock(),
    )?)
}
