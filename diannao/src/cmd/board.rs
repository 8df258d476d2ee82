//! `diannao board`: run a model or layer on an accelerator through the
//! driver: a real board (`--regs`, `--buf`, ...) or the simulated board
//! (`--sim`).

use anyhow::Result;
use runtime::board::{BoardOptions, Target};

/// Options of `diannao board`.
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("workload").required(true).args(["model", "layer"])))]
#[command(group(clap::ArgGroup::new("device").required(true).args(["sim", "regs"])))]
pub struct BoardArgs {
    /// Preset name or config file (.toml/.json) the hardware was built for (its hash is checked).
    #[arg(long, value_name = "NAME|FILE")]
    pub preset: String,
    #[arg(long, value_name = "NAME|FILE", help = super::model_help())]
    pub model: Option<String>,
    /// One layer, e.g. `conv:nx=32,ny=32,k=3,ni=16,no=32,pad=1,act=relu`.
    #[arg(long, value_name = "SPEC")]
    pub layer: Option<String>,
    /// Images per run.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub batch: u32,
    /// Seed of the random data.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// Drive the simulated board (the Verilator model of the AXI-wrapped RTL, random AXI timing).
    #[arg(long)]
    pub sim: bool,
    /// Seed of the simulated board's random AXI timing.
    #[arg(long, default_value_t = 1, value_name = "S", requires = "sim")]
    pub timing_seed: u64,
    /// Real board: the register window, `/dev/uioN` (with --reg-phys 0) or `/dev/mem`.
    #[arg(long, value_name = "PATH", requires_all = ["buf", "buf_phys", "buf_bytes"])]
    pub regs: Option<String>,
    /// Physical address of the register window when --regs is /dev/mem (Vivado's address of dn/s_axi).
    #[arg(long, default_value_t = 0, value_name = "ADDR", value_parser = parse_u64)]
    pub reg_phys: u64,
    /// Real board: `/dev/mem` or a u-dma-buf device holding the DRAM buffer.
    #[arg(long, value_name = "PATH")]
    pub buf: Option<String>,
    /// Offset of the buffer in --buf's mapping, bytes.
    #[arg(long, default_value_t = 0, value_name = "BYTES", value_parser = parse_u64)]
    pub buf_offset: u64,
    /// Physical (AXI) address of the buffer.
    #[arg(long, value_name = "ADDR", value_parser = parse_u64)]
    pub buf_phys: Option<u64>,
    /// Buffer size, bytes.
    #[arg(long, value_name = "BYTES", value_parser = parse_u64)]
    pub buf_bytes: Option<u64>,
    /// Give up a run after this many status polls.
    #[arg(long, default_value_t = 1_000_000, value_name = "N")]
    pub timeout_polls: u64,
    /// The fabric clock the board runs at (the PS's pl_clk0), MHz; default: the preset's `clock_mhz`, which the board project asks the PS for.
    #[arg(long, value_name = "MHZ")]
    pub clock_mhz: Option<f64>,
}

/// A number in decimal or `0x` hexadecimal.
fn parse_u64(s: &str) -> Result<u64, String> {
    let r = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16),
        None => s.parse(),
    };
    r.map_err(|e| format!("`{s}` is not a number: {e}"))
}

impl BoardArgs {
    /// The library options these arguments stand for.
    pub fn options(&self) -> BoardOptions {
        let target = match &self.regs {
            None => Target::Sim {
                timing_seed: self.timing_seed,
            },
            Some(regs) => Target::Mmio {
                regs: regs.clone(),
                reg_phys: self.reg_phys,
                buf: self.buf.clone().unwrap_or_default(),
                buf_offset: self.buf_offset,
                buf_phys: self.buf_phys.unwrap_or_default(),
                buf_bytes: self.buf_bytes.unwrap_or_default(),
            },
        };
        BoardOptions {
            preset: self.preset.clone(),
            model: self.model.clone(),
            layer: self.layer.clone(),
            batch: self.batch,
            seed: self.seed,
            target,
            max_polls: self.timeout_polls,
            clock_mhz: self.clock_mhz,
        }
    }
}

/// Run `diannao board`.
pub fn run(a: BoardArgs) -> Result<()> {
    runtime::board::command(&a.options(), &mut std::io::stdout().lock())?;
    Ok(())
}
