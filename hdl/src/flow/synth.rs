//! Resource estimates with Yosys `synth_xilinx -family xcup`: run it on a
//! Verilog file, parse its `stat` output into UltraScale+ primitive counts,
//! and compare them with a part's capacity ([`crate::parts`]).
//!
//! Yosys counts are estimates, not Vivado's: Yosys maps carries to CARRY4
//! even on UltraScale+ (Vivado uses CARRY8), does not pack product registers
//! into the DSP48E2 pipeline registers (they stay as fabric FFs), and its
//! LUT mapping (ABC) differs from Vivado's.

use super::eda::{self, EdaError, Tool};
use super::parts::Part;
use std::path::Path;
use thiserror::Error;

/// Errors of a synthesis run.
#[derive(Debug, Error)]
pub enum SynthError {
    /// Yosys is missing (the error names it and its Debian package).
    #[error(transparent)]
    Missing(EdaError),
    /// Yosys ran and failed; the last lines of its log.
    #[error("yosys failed: {0}")]
    Failed(String),
    /// The log has no `stat` summary.
    #[error("no cell statistics (`Number of cells`) in the Yosys output")]
    NoStat,
    /// The `stat` summary lists no cell that could be read.
    #[error("the Yosys statistics list no cells (a design of nothing cannot be said to fit)")]
    NoCells,
    /// File I/O (the OS error is the `source`).
    #[error("{path}")]
    Io {
        /// Path.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
}

/// UltraScale+ primitive counts of a synthesized design.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Resources {
    /// Logic LUTs (LUT1..LUT6 cells).
    pub lut_logic: u64,
    /// LUTs used as memory (distributed RAM, in LUT equivalents) or shift registers (SRL16E/SRLC32E).
    pub lut_mem: u64,
    /// Flip-flops (FDRE, FDSE, FDCE, FDPE, and any other FD* cell).
    pub ff: u64,
    /// Carry chains (CARRY4 as Yosys maps them; CARRY8 if present).
    pub carry: u64,
    /// DSP48E2 slices.
    pub dsp48e2: u64,
    /// RAMB18E2 blocks.
    pub ramb18e2: u64,
    /// RAMB36E2 blocks.
    pub ramb36e2: u64,
    /// URAM288 blocks.
    pub uram288: u64,
    /// Every cell type with its count, as Yosys printed it.
    pub cells: Vec<(String, u64)>,
}

/// LUT equivalents of Xilinx distributed-RAM primitives.
fn lutram_luts(cell: &str) -> Option<u64> {
    Some(match cell {
        "RAM16X1S" | "RAM32X1S" | "RAM64X1S" => 1,
        "RAM16X1D" | "RAM32X1D" | "RAM64X1D" | "RAM128X1S" => 2,
        "RAM128X1D" | "RAM256X1S" | "RAM32M" | "RAM64M" => 4,
        "RAM256X1D" | "RAM512X1S" | "RAM32M16" | "RAM64M8" => 8,
        "SRL16E" | "SRLC16E" | "SRLC32E" => 1,
        _ => return None,
    })
}

impl Resources {
    /// All LUTs: logic plus memory/shift-register LUTs.
    pub fn luts(&self) -> u64 {
        self.lut_logic + self.lut_mem
    }

    /// Block RAM in RAMB18E2 units (a RAMB36E2 counts as two).
    pub fn ramb18_equiv(&self) -> u64 {
        self.ramb18e2 + 2 * self.ramb36e2
    }
}

/// Parse the last cell-count block of Yosys `stat` output (for a hierarchical
/// design, the design-hierarchy totals printed last).
pub fn parse_stat(text: &str) -> Result<Resources, SynthError> {
    let start = text.rfind("Number of cells").ok_or(SynthError::NoStat)?;
    let mut r = Resources::default();
    for line in text[start..].lines().skip(1) {
        let mut it = line.split_whitespace();
        let (Some(name), Some(n), None) = (it.next(), it.next(), it.next()) else {
            if line.trim().is_empty() {
                break;
            }
            continue;
        };
        let Ok(n) = n.parse::<u64>() else { break };
        r.cells.push((name.to_string(), n));
        match name {
            x if x.starts_with("LUT") && x[3..].parse::<u32>().is_ok() => r.lut_logic += n,
            x if x.starts_with("FD") => r.ff += n,
            "CARRY4" | "CARRY8" => r.carry += n,
            "DSP48E2" => r.dsp48e2 += n,
            "RAMB18E2" => r.ramb18e2 += n,
            "RAMB36E2" => r.ramb36e2 += n,
            "URAM288" => r.uram288 += n,
            x => {
                if let Some(l) = lutram_luts(x) {
                    r.lut_mem += l * n;
                }
            }
        }
    }
    if r.cells.iter().all(|(_, n)| *n == 0) {
        return Err(SynthError::NoCells);
    }
    Ok(r)
}

/// Options of a Yosys run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthOptions {
    /// Top module.
    pub top: String,
    /// Pass `-flatten` to synth_xilinx (one netlist; constants propagate across module boundaries).
    pub flatten: bool,
    /// Pass `-noiopad` (no IBUF/OBUF on the top's ports: the top is a core, not a chip).
    pub noiopad: bool,
}

impl SynthOptions {
    /// Defaults for `top`: flatten, no I/O pads.
    pub fn new(top: &str) -> Self {
        SynthOptions {
            top: top.to_string(),
            flatten: true,
            noiopad: true,
        }
    }

    /// The Yosys script for `verilog` (file name relative to the working directory).
    pub fn script(&self, verilog: &str) -> String {
        format!(
            "read_verilog {verilog}\nsynth_xilinx -family xcup -top {}{}{}\ntee -o stat.txt stat\n",
            self.top,
            if self.flatten { " -flatten" } else { "" },
            if self.noiopad { " -noiopad" } else { "" }
        )
    }
}

/// Yosys's version line (`Yosys 0.23 ...`).
pub fn yosys_version() -> Result<String, SynthError> {
    eda::version(Tool::Yosys).map_err(SynthError::Missing)
}

/// Run Yosys on `verilog` in `work` (which receives `run.ys`, `yosys.log`,
/// `stat.txt`) and parse the counts.
pub fn run_yosys(
    verilog: &Path,
    work: &Path,
    opts: &SynthOptions,
) -> Result<Resources, SynthError> {
    let io = |p: &Path| {
        let p = p.display().to_string();
        move |source| SynthError::Io { path: p, source }
    };
    std::fs::create_dir_all(work).map_err(io(work))?;
    let v = std::fs::canonicalize(verilog).map_err(io(verilog))?;
    let script = work.join("run.ys");
    std::fs::write(&script, opts.script(&v.display().to_string())).map_err(io(&script))?;
    let out = eda::run_unchecked(
        Tool::Yosys,
        &["-q", "-l", "yosys.log", "-s", "run.ys"],
        Some(work),
    )
    .map_err(SynthError::Missing)?;
    if !out.success() {
        let log = std::fs::read_to_string(work.join("yosys.log")).unwrap_or_default();
        let text = format!("{log}{}", out.stderr);
        let tail: Vec<&str> = text
            .lines()
            .rev()
            .filter(|l| !l.trim().is_empty())
            .take(3)
            .collect();
        return Err(SynthError::Failed(
            tail.into_iter().rev().collect::<Vec<_>>().join(" | "),
        ));
    }
    let stat = work.join("stat.txt");
    let text = std::fs::read_to_string(&stat).map_err(io(&stat))?;
    parse_stat(&text)
}

/// One line of a utilisation table.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    /// Resource name (`LUT`, `FF`, `DSP48E2`, `RAMB18E2-equivalent`, `URAM288`).
    pub resource: &'static str,
    /// Used (estimate).
    pub used: u64,
    /// Available on the part.
    pub available: u64,
}

impl Usage {
    /// Used / available, percent (0 when the part has none and none is used; infinite if used but none available).
    pub fn percent(&self) -> f64 {
        match (self.used, self.available) {
            (0, _) => 0.0,
            (_, 0) => f64::INFINITY,
            (u, a) => 100.0 * u as f64 / a as f64,
        }
    }
    /// Fits: used <= available.
    pub fn fits(&self) -> bool {
        self.used <= self.available
    }
}

/// The utilisation of `r` on `part`: LUT, FF, DSP48E2, block RAM (RAMB18E2
/// units, a RAMB36E2 = 2), URAM288.
pub fn utilisation(r: &Resources, part: &Part) -> Vec<Usage> {
    vec![
        Usage {
            resource: "LUT",
            used: r.luts(),
            available: part.luts,
        },
        Usage {
            resource: "FF",
            used: r.ff,
            available: part.ffs,
        },
        Usage {
            resource: "DSP48E2",
            used: r.dsp48e2,
            available: part.dsp48e2,
        },
        Usage {
            resource: "RAMB18E2 (RAMB36E2 = 2)",
            used: r.ramb18_equiv(),
            available: part.ramb18e2(),
        },
        Usage {
            resource: "URAM288",
            used: r.uram288,
            available: part.uram288,
        },
    ]
}

/// Whether every resource fits.
pub fn fits(u: &[Usage]) -> bool {
    u.iter().all(Usage::fits)
}

/// The caveat printed with every report.
pub const ESTIMATE_NOTE: &str = "Yosys counts are estimates, not Vivado results: carries are mapped to CARRY4 even on \
UltraScale+ (Vivado uses CARRY8), product pipeline registers are not packed into the DSP48E2s (they are counted as \
fabric FFs), and LUT mapping differs from Vivado's.";
