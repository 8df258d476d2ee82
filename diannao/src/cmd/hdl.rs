//! `diannao hdl`: emit the accelerator's Verilog, list the FPGA parts, and
//! estimate resources with Yosys against a part (see docs/hdl.md).

use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use hdl::flow::emit::{self, Design};
use hdl::flow::parts;
use hdl::flow::synth::{self, Layout, SynthOptions};
use report::hdl::{parts_json, parts_table, report_json, report_text};
use std::path::PathBuf;

/// Arguments of `diannao hdl`.
#[derive(Debug, Args)]
pub struct HdlArgs {
    #[command(subcommand)]
    cmd: HdlCmd,
}

/// What to synthesize.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BlockArg {
    /// The whole accelerator.
    Top,
    /// The NFU datapath alone.
    Nfu,
}

#[derive(Debug, Subcommand)]
enum HdlCmd {
    /// Write the Verilog of a preset into a directory (top.v, filelist.f, lint_waivers.vlt, README.md), atomically.
    Emit {
        /// Preset name or config file (default: the board's preset with --board, else diannao); any configuration with the structure of a top (tiny, diannao, zcu104, kv260) builds, a structural field that differs is refused by name.
        #[arg(long, value_name = "NAME|FILE")]
        preset: Option<String>,
        /// Output directory: must not exist, be empty, or hold an earlier emission (replaced).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Emit a Vivado project for a board instead (zcu104, kv260): AXI-wrapped Verilog, board wrapper, XDC, build.tcl (docs/boards.md).
        #[arg(long, value_name = "BOARD")]
        board: Option<String>,
    },
    /// Estimate FPGA resources per block (NFU, buffers, control, AXI) with Yosys `synth_xilinx -family xcup` against a part, and the critical path against the preset's clock_mhz (minutes for diannao).
    Report {
        /// Preset name or config file (default: the board's preset with --board, else diannao).
        #[arg(long, value_name = "NAME|FILE")]
        preset: Option<String>,
        /// Part, board or part number (see `diannao hdl parts`).
        #[arg(long, default_value = "xczu7ev")]
        part: String,
        /// Synthesize the whole top or the NFU datapath alone.
        #[arg(long, value_enum, default_value = "top")]
        block: BlockArg,
        /// Synthesize a board project's AXI-wrapped accelerator (zcu104, kv260) and compare with the board's part instead of --part.
        #[arg(long, value_name = "BOARD", conflicts_with_all = ["part", "block"])]
        board: Option<String>,
        /// Keep Yosys's hierarchy (no `-flatten`; slower, see docs/hdl.md).
        #[arg(long)]
        no_flatten: bool,
        /// Keep the Verilog, Yosys script, log and stat output in this directory (default: a removed temporary directory).
        #[arg(long, value_name = "DIR")]
        work: Option<PathBuf>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List the known FPGA parts with their capacities.
    Parts {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The board called `name`, or an error listing the known boards.
fn board_named(name: &str) -> Result<&'static hdl::flow::board::Board> {
    hdl::flow::board::board(name).map_err(|_| {
        let known: Vec<&str> = hdl::flow::board::BOARDS.iter().map(|b| b.name).collect();
        anyhow::anyhow!("unknown board `{name}` (known: {})", known.join(", "))
    })
}

/// Run `diannao hdl ...`.
pub fn run(a: HdlArgs) -> Result<()> {
    super::emit(&text(&a)?, None)
}

/// The preset a command uses: the one given, else the board's own preset
/// (a board project builds the machine its preset describes), else `diannao`.
fn default_preset<'a>(preset: &'a Option<String>, board: Option<&'a str>) -> &'a str {
    preset.as_deref().or(board).unwrap_or("diannao")
}

/// The text `diannao hdl ...` prints on standard output.
fn text(a: &HdlArgs) -> Result<String> {
    match &a.cmd {
        HdlCmd::Emit { preset, out, board } => {
            let board = board.as_deref().map(board_named).transpose()?;
            let cfg = runtime::configs::resolve(default_preset(preset, board.map(|b| b.name)))?;
            let files = match board {
                Some(b) => hdl::flow::board::emit_board(&cfg, b, out)?,
                None => emit::emit_verilog(&cfg, out)?,
            };
            Ok(files.iter().map(|f| format!("{}\n", f.display())).collect())
        }
        HdlCmd::Parts { json } => Ok(if *json { parts_json() } else { parts_table() }),
        HdlCmd::Report {
            preset,
            part,
            block,
            board,
            no_flatten,
            work,
            json,
        } => {
            let board = board.as_deref().map(board_named).transpose()?;
            let part = parts::lookup(board.map_or(part.as_str(), |b| b.device))?;
            let cfg = runtime::configs::resolve(default_preset(preset, board.map(|b| b.name)))?;
            let block = match block {
                BlockArg::Top => Design::Top,
                BlockArg::Nfu => Design::Nfu,
            };
            let tmp;
            let work = match work {
                Some(w) => w.clone(),
                None => {
                    tmp = tempfile::tempdir().context("cannot create a temporary directory")?;
                    tmp.path().to_path_buf()
                }
            };
            let vdir = work.join("verilog");
            let (what, layout) = match board {
                // the board project's top.v: the accelerator with its AXI wrappers (module `top`);
                // only the Verilog is needed, so a clock the board project would refuse is reported on
                Some(b) => {
                    let v = hdl::axi::wrapper::axi_verilog(&cfg)?;
                    std::fs::create_dir_all(&vdir)
                        .with_context(|| format!("cannot create {}", vdir.display()))?;
                    let f = vdir.join(emit::VERILOG_FILE);
                    std::fs::write(&f, v)
                        .with_context(|| format!("cannot write {}", f.display()))?;
                    (
                        format!("preset `{}`, board {} (AXI-wrapped top)", cfg.name, b.name),
                        Layout::Wrapped,
                    )
                }
                None => {
                    emit::emit_block(&cfg, block, &vdir)?;
                    let (b, l) = if block == Design::Top {
                        ("top", Layout::Core)
                    } else {
                        ("nfu", Layout::Nfu)
                    };
                    (format!("preset `{}`, block {b}", cfg.name), l)
                }
            };
            let mut opts = SynthOptions::report(emit::TOP_MODULE, layout);
            opts.flatten = !no_flatten;
            let version = synth::yosys_version()?;
            let rep = synth::run_report(
                &vdir.join(emit::VERILOG_FILE),
                &work.join("yosys"),
                &opts,
                layout,
            )?;
            Ok(if *json {
                report_json(&what, part, &rep, &opts, &version, cfg.clock_mhz)
            } else {
                report_text(&what, part, &rep, &opts, &version, cfg.clock_mhz)
            })
        }
    }
}
