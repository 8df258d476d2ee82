//! Verilog emission of `top` per preset and Yosys resource reports.

use crate::top::{DiannaoTop, TinyTop};
use arch::AccelConfig;
use rust_hdl::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use thiserror::Error;

/// Errors of emission and synthesis.
#[derive(Debug, Error)]
pub enum HdlError {
    /// No RTL instantiation exists for this configuration.
    #[error("no RTL instantiation for configuration `{0}` (supported: tiny, diannao)")]
    Unsupported(String),
    /// File system error.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// An external tool failed or is missing.
    #[error("{tool}: {msg}")]
    Tool {
        /// Tool name.
        tool: &'static str,
        /// Message.
        msg: String,
    },
}

/// Verilog of `top` for `cfg` (with an empty program).
pub fn top_verilog(cfg: &AccelConfig) -> Result<String, HdlError> {
    if *cfg == AccelConfig::tiny() {
        let mut t = TinyTop::new(cfg, &[]);
        t.connect_all();
        Ok(generate_verilog(&t))
    } else if *cfg == AccelConfig::diannao() {
        let mut t = DiannaoTop::new(cfg, &[]);
        t.connect_all();
        Ok(generate_verilog(&t))
    } else {
        Err(HdlError::Unsupported(cfg.name.clone()))
    }
}

/// Write `top.v` for `cfg` into `dir`; returns the files written.
pub fn emit_verilog(cfg: &AccelConfig, dir: &Path) -> Result<Vec<PathBuf>, HdlError> {
    let v = top_verilog(cfg)?;
    std::fs::create_dir_all(dir).map_err(|e| HdlError::Io { path: dir.display().to_string(), source: e })?;
    let p = dir.join("top.v");
    std::fs::write(&p, v).map_err(|e| HdlError::Io { path: p.display().to_string(), source: e })?;
    Ok(vec![p])
}

/// Resource counts from Yosys `synth_xilinx -family xcup` (estimates).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct YosysReport {
    /// LUTs (all LUT1..LUT6).
    pub lut: u64,
    /// Flip-flops (FD*).
    pub ff: u64,
    /// DSP48E2.
    pub dsp48e2: u64,
    /// RAMB18E2.
    pub ramb18e2: u64,
    /// RAMB36E2.
    pub ramb36e2: u64,
    /// URAM288.
    pub uram288: u64,
}

/// Parse the cell counts of a Yosys `stat` output (the last design summary).
pub fn parse_yosys_stat(text: &str) -> YosysReport {
    let mut r = YosysReport::default();
    // use the last "Number of cells" block (the top after flattening)
    let start = text.rfind("Number of cells").unwrap_or(0);
    for line in text[start..].lines() {
        let mut it = line.split_whitespace();
        let (Some(name), Some(n)) = (it.next(), it.next()) else { continue };
        let Ok(n) = n.parse::<u64>() else { continue };
        match name {
            x if x.starts_with("LUT") => r.lut += n,
            x if x.starts_with("FD") => r.ff += n,
            "DSP48E2" => r.dsp48e2 += n,
            "RAMB18E2" => r.ramb18e2 += n,
            "RAMB36E2" => r.ramb36e2 += n,
            "URAM288" => r.uram288 += n,
            _ => {}
        }
    }
    r
}

/// Run `yosys -p "synth_xilinx -family xcup -top top"` on the emitted Verilog
/// of `cfg` in `dir` and parse the resource counts.
pub fn yosys_report(cfg: &AccelConfig, dir: &Path) -> Result<YosysReport, HdlError> {
    let files = emit_verilog(cfg, dir)?;
    let out = Command::new("yosys")
        .arg("-q")
        .arg("-p")
        .arg(format!("read_verilog {}; synth_xilinx -family xcup -top top; tee -o {}/stat.txt stat", files[0].display(), dir.display()))
        .output()
        .map_err(|e| HdlError::Tool { tool: "yosys", msg: format!("cannot run yosys: {e}") })?;
    if !out.status.success() {
        return Err(HdlError::Tool { tool: "yosys", msg: String::from_utf8_lossy(&out.stderr).chars().take(2000).collect() });
    }
    let p = dir.join("stat.txt");
    let text = std::fs::read_to_string(&p).map_err(|e| HdlError::Io { path: p.display().to_string(), source: e })?;
    Ok(parse_yosys_stat(&text))
}
