//! `diannao hdl`: emit the accelerator's Verilog, list the FPGA parts, and
//! estimate resources with Yosys against a part (see docs/hdl.md).

use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use hdl::emit::{self, Design};
use hdl::parts::{self, Part};
use hdl::synth::{self, Resources, SynthOptions, Usage};
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
        /// Preset name or config file (RTL exists for tiny and diannao).
        #[arg(long, value_name = "NAME|FILE", default_value = "diannao")]
        preset: String,
        /// Output directory: must not exist, be empty, or hold an earlier emission (replaced).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Emit a Vivado project for a board instead (zcu104, kv260): AXI-wrapped Verilog, board wrapper, XDC, build.tcl (docs/boards.md).
        #[arg(long, value_name = "BOARD")]
        board: Option<String>,
    },
    /// Estimate FPGA resources with Yosys `synth_xilinx -family xcup` and compare with a part (minutes for diannao).
    Report {
        /// Preset name or config file.
        #[arg(long, value_name = "NAME|FILE", default_value = "diannao")]
        preset: String,
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
fn board_named(name: &str) -> Result<&'static hdl::board::Board> {
    hdl::board::board(name).map_err(|_| {
        let known: Vec<&str> = hdl::board::BOARDS.iter().map(|b| b.name).collect();
        anyhow::anyhow!("unknown board `{name}` (known: {})", known.join(", "))
    })
}

/// Run `diannao hdl ...`; returns the text to print on standard output.
pub fn command(a: &HdlArgs) -> Result<String> {
    match &a.cmd {
        HdlCmd::Emit { preset, out, board } => {
            let cfg = crate::configs::resolve(preset)?;
            let files = match board {
                Some(b) => hdl::board::emit_board(&cfg, board_named(b)?, out)?,
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
            let cfg = crate::configs::resolve(preset)?;
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
            let what = match board {
                // the board project's top.v: the accelerator with its AXI wrappers (module `top`)
                Some(b) => {
                    hdl::board::emit_board(&cfg, b, &vdir)?;
                    format!("preset `{}`, board {} (AXI-wrapped top)", cfg.name, b.name)
                }
                None => {
                    emit::emit_block(&cfg, block, &vdir)?;
                    let b = if block == Design::Top { "top" } else { "nfu" };
                    format!("preset `{}`, block {b}", cfg.name)
                }
            };
            let mut opts = SynthOptions::new(emit::TOP_MODULE);
            opts.flatten = !no_flatten;
            let version = synth::yosys_version()?;
            let res = synth::run_yosys(&vdir.join(emit::VERILOG_FILE), &work.join("yosys"), &opts)?;
            Ok(if *json {
                report_json(&what, part, &res, &opts, &version)
            } else {
                report_text(&what, part, &res, &opts, &version)
            })
        }
    }
}

fn script_line(opts: &SynthOptions) -> String {
    opts.script("top.v")
        .lines()
        .nth(1)
        .unwrap_or("")
        .to_string()
}

/// The report as a table with a verdict and the estimate caveat.
pub fn report_text(
    what: &str,
    part: &Part,
    r: &Resources,
    opts: &SynthOptions,
    version: &str,
) -> String {
    let u = synth::utilisation(r, part);
    let mut s = format!(
        "Resource estimate: {what} on {} ({}, {})\nTool: {version}; `{}`\n\n{:<26} {:>10} {:>10} {:>8}\n",
        part.device, part.board, part.part_number, script_line(opts), "resource", "used", "available", "util"
    );
    for x in &u {
        s += &format!(
            "{:<26} {:>10} {:>10} {:>7.1}%\n",
            x.resource,
            x.used,
            x.available,
            x.percent()
        );
    }
    s += &format!(
        "\nLUT = {} logic + {} memory/SRL; RAMB18E2 {} + RAMB36E2 {}; carry cells (CARRY4/8) {}\n",
        r.lut_logic, r.lut_mem, r.ramb18e2, r.ramb36e2, r.carry
    );
    let over: Vec<&Usage> = u.iter().filter(|x| !x.fits()).collect();
    if over.is_empty() {
        s += &format!("Verdict: fits on {} (estimate)\n", part.device);
    } else {
        let names: Vec<&str> = over.iter().map(|x| x.resource).collect();
        s += &format!(
            "Verdict: does NOT fit on {}: {} over capacity\n",
            part.device,
            names.join(", ")
        );
    }
    s += &format!(
        "Note: {}\nCapacities: {}.\n",
        synth::ESTIMATE_NOTE,
        part.source
    );
    s
}

/// The report as JSON.
pub fn report_json(
    what: &str,
    part: &Part,
    r: &Resources,
    opts: &SynthOptions,
    version: &str,
) -> String {
    let u = synth::utilisation(r, part);
    let rows: Vec<serde_json::Value> = u
        .iter()
        .map(|x| serde_json::json!({"resource": x.resource, "used": x.used, "available": x.available,
            "percent": if x.percent().is_finite() { serde_json::json!(x.percent()) } else { serde_json::Value::Null }, "fits": x.fits()}))
        .collect();
    let cells: serde_json::Map<String, serde_json::Value> = r
        .cells
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::json!(v)))
        .collect();
    let v = serde_json::json!({
        "design": what,
        "part": {"device": part.device, "board": part.board, "part_number": part.part_number, "source": part.source},
        "tool": version,
        "script": script_line(opts),
        "utilisation": rows,
        "lut_logic": r.lut_logic, "lut_memory": r.lut_mem, "ff": r.ff, "carry": r.carry, "dsp48e2": r.dsp48e2,
        "ramb18e2": r.ramb18e2, "ramb36e2": r.ramb36e2, "uram288": r.uram288,
        "cells": cells,
        "fits": synth::fits(&u),
        "note": synth::ESTIMATE_NOTE,
    });
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

fn parts_table() -> String {
    let mut s = format!(
        "{:<9} {:<22} {:<22} {:>10} {:>10} {:>8} {:>9} {:>8}\n",
        "device", "board", "part number", "LUT", "FF", "DSP48E2", "RAMB36E2", "URAM288"
    );
    for p in parts::PARTS {
        s += &format!(
            "{:<9} {:<22} {:<22} {:>10} {:>10} {:>8} {:>9} {:>8}\n",
            p.device, p.board, p.part_number, p.luts, p.ffs, p.dsp48e2, p.ramb36e2, p.uram288
        );
    }
    s
}

fn parts_json() -> String {
    let v: Vec<serde_json::Value> = parts::PARTS
        .iter()
        .map(|p| serde_json::json!({"device": p.device, "board": p.board, "part_number": p.part_number, "aliases": p.aliases,
            "luts": p.luts, "ffs": p.ffs, "dsp48e2": p.dsp48e2, "ramb36e2": p.ramb36e2, "ramb18e2": p.ramb18e2(), "uram288": p.uram288, "source": p.source}))
        .collect();
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}
