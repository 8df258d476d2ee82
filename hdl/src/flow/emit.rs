//! Verilog emission of `top` per preset, as a directory an FPGA engineer can
//! use directly: `top.v` (every module, rust-hdl's hierarchy in one file),
//! `filelist.f`, `lint_waivers.vlt` (Verilator waivers, each with its reason)
//! and `README.md`. The directory is written atomically: into a temporary
//! sibling directory first, then renamed into place.

use arch::AccelConfig;
use rust_hdl::prelude::*;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Name of the top module in the emitted Verilog (rust-hdl's name for the root).
pub const TOP_MODULE: &str = "top";
/// The Verilog file (all modules).
pub const VERILOG_FILE: &str = "top.v";
/// The file list (one source per line, relative to the directory).
pub const FILELIST_FILE: &str = "filelist.f";
/// The Verilator waiver file.
pub const WAIVER_FILE: &str = "lint_waivers.vlt";
/// The README of the emitted directory.
pub const README_FILE: &str = "README.md";

/// Errors of emission and synthesis.
#[derive(Debug, Error)]
pub enum HdlError {
    /// No RTL instantiation exists for this configuration (the field is named).
    #[error("{0}")]
    Unsupported(String),
    /// The configuration's structure is no RTL top's (the field is named).
    #[error(transparent)]
    Rtl(#[from] crate::top::RtlError),
    /// File system error (the OS error is the `source`, printed after the path by `{:#}`).
    #[error("{path}")]
    Io {
        /// Path.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The output directory exists and is not an earlier emission (it is not replaced).
    #[error("{0}: exists and is neither empty nor an earlier `hdl emit` output (it must contain {FILELIST_FILE} and {WAIVER_FILE} only besides emitted files); choose another --out")]
    NotOurs(String),
    /// The preset's clock cannot be a board project's fabric clock (the PS supplies `pl_clk0`).
    #[error("preset `{preset}`: clock_mhz = {mhz} MHz cannot be the board's fabric clock: the Zynq UltraScale+ PS supplies pl_clk0, accepted here in {min}..={max} MHz; set clock_mhz in the preset")]
    Clock {
        /// Preset name.
        preset: String,
        /// Its `clock_mhz`.
        mhz: f64,
        /// Lowest accepted clock, MHz.
        min: f64,
        /// Highest accepted clock, MHz.
        max: f64,
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

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> HdlError + '_ {
    move |source| HdlError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Verilog of `top` for `cfg` (with an empty program).
pub fn top_verilog(cfg: &AccelConfig) -> Result<String, HdlError> {
    Ok(crate::top::top_verilog(cfg)?)
}

/// Which part of the design to emit or synthesize.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Design {
    /// The whole accelerator (`top`).
    Top,
    /// The NFU datapath alone (`crate::core::nfu::Nfu` of the preset), module `top`.
    Nfu,
}

/// Verilog of `block` for `cfg`; the root module is named [`TOP_MODULE`].
pub fn block_verilog(cfg: &AccelConfig, block: Design) -> Result<String, HdlError> {
    match block {
        Design::Top => top_verilog(cfg),
        Design::Nfu => {
            let bad = |e: crate::core::nfu::NfuError| {
                HdlError::Unsupported(format!("{} ({e})", cfg.name))
            };
            if cfg.tn == 4 {
                let mut n = crate::core::nfu::NfuTiny::new(cfg).map_err(bad)?;
                n.connect_all();
                Ok(generate_verilog(&n))
            } else if cfg.tn == 16 {
                let mut n = crate::core::nfu::NfuDiannao::new(cfg).map_err(bad)?;
                n.connect_all();
                Ok(crate::top::on_big_stack(|| generate_verilog(&n)))
            } else if cfg.tn == 32 {
                let mut n = crate::core::nfu::NfuZcu104::new(cfg).map_err(bad)?;
                n.connect_all();
                Ok(crate::top::on_big_stack(|| generate_verilog(&n)))
            } else {
                Err(crate::top::rtl_kind(cfg)
                    .err()
                    .map(HdlError::from)
                    .unwrap_or_else(|| {
                        HdlError::Unsupported(format!(
                            "configuration `{}`: no NFU block for tn = {}",
                            cfg.name, cfg.tn
                        ))
                    }))
            }
        }
    }
}

/// One Verilator lint waiver of the emitted code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiver {
    /// Verilator warning code (`-Wall` rule).
    pub rule: &'static str,
    /// File glob the waiver applies to.
    pub file: &'static str,
    /// Why the warning does not point at a problem in this design.
    pub reason: &'static str,
}

/// The waivers written to [`WAIVER_FILE`] (also listed in docs/hdl.md).
pub const WAIVERS: &[Waiver] = &[
    Waiver {
        rule: "UNOPTFLAT",
        file: "*top.v",
        reason: "rust-hdl emits each module's combinational logic as one always @(*) block, so Verilator \
                 sees a signal that feeds a submodule and depends on that submodule's output as one \
                 circular variable. It is a simulation-speed note, not a loop: `yosys proc; flatten; \
                 check -assert` finds no combinational loop (tested).",
    },
    Waiver {
        rule: "DECLFILENAME",
        file: "*top.v",
        reason: "all modules are in one file named after the top module; the submodules are \
                 instance-specific (rust-hdl emits one module per instance, named top$path).",
    },
    Waiver {
        rule: "UNUSEDSIGNAL",
        file: "*top.v",
        reason: "rust-hdl declares every field of a block, including status outputs and parts of \
                 instruction fields a block does not read (e.g. unused upper bits of a decoded \
                 field, queue counts); synthesis removes them.",
    },
    Waiver {
        rule: "UNUSEDPARAM",
        file: "*top.v",
        reason: "rust-hdl emits a localparam for every constant of a block (e.g. the NFU-3 table \
                 entries), whether or not that instance uses it.",
    },
    Waiver {
        rule: "WIDTH",
        file: "*top.v",
        reason: "rust-hdl emits Rust integer literals as 32-bit constants (`x + 32'h1`, `q = 32'h0`) \
                 and bit_cast/get_bits as masks of the source width (`(x) & 16'hffff`); Verilog's \
                 context sizing then truncates to the destination, which is exactly rust-hdl's \
                 wrapping arithmetic. Every WIDTH warning is checked to be one of these idioms \
                 (hdl/tests/emit_tiny.rs); any other WIDTH warning fails the test.",
    },
];

/// Text of [`WAIVER_FILE`]: a Verilator configuration file with one
/// `lint_off` per waiver, each preceded by its reason as a comment.
pub fn waiver_file() -> String {
    let mut s = String::from("`verilator_config\n// Lint waivers for the emitted accelerator (see docs/hdl.md); every waiver has its reason above it.\n");
    for w in WAIVERS {
        let _ = writeln!(
            s,
            "\n// {}: {}",
            w.rule,
            w.reason.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        let _ = writeln!(s, "lint_off -rule {} -file \"{}\"", w.rule, w.file);
    }
    s
}

/// The module names of `verilog`, in order of appearance.
pub fn module_names(verilog: &str) -> Vec<String> {
    verilog
        .lines()
        .filter_map(|l| l.strip_prefix("module "))
        .map(|r| {
            r.split(|c: char| c == '(' || c == ';' || c.is_whitespace())
                .next()
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

fn readme(cfg: &AccelConfig, modules: usize) -> String {
    format!(
        "# DianNao-style accelerator, preset `{name}` (generated Verilog)\n\n\
         Generated by `diannao hdl emit --preset {name}` from the rust-hdl sources in `hdl/`; do not edit.\n\
         Tn = {tn} ({macs} multipliers), NFU pipeline {d1}+{d2}+{d3} stages, memory port {bw} bits.\n\n\
         * `{VERILOG_FILE}`: all {modules} modules; top module `{TOP_MODULE}`.\n\
         * `{FILELIST_FILE}`: the sources, for `-f`.\n\
         * `{WAIVER_FILE}`: Verilator waivers, one per rule, each with its reason.\n\n\
         Lint: `verilator --lint-only -Wall --top-module {TOP_MODULE} {WAIVER_FILE} -f {FILELIST_FILE}`\n\n\
         Resource estimate: `diannao hdl report --preset {name} --part xczu7ev`\n\
         (Yosys `synth_xilinx -family xcup -top {TOP_MODULE}`).\n\n\
         The top has no AXI interface; board tops are a separate step. See docs/hdl.md.\n",
        name = cfg.name,
        tn = cfg.tn,
        macs = cfg.tn * cfg.tn,
        d1 = cfg.pipeline.nfu1,
        d2 = cfg.pipeline.nfu2,
        d3 = cfg.pipeline.nfu3,
        bw = 8 * cfg.dram.bytes_per_cycle,
    )
}

/// Names of the files an emission writes, in the order [`emit_verilog`] returns them.
pub const EMITTED_FILES: [&str; 4] = [VERILOG_FILE, FILELIST_FILE, WAIVER_FILE, README_FILE];

/// Write the Verilog directory for `cfg` into `dir` atomically; returns the
/// files written (`top.v` first). `dir` must not exist, be empty, or hold an
/// earlier emission (which is replaced); its parent is created if needed.
pub fn emit_verilog(cfg: &AccelConfig, dir: &Path) -> Result<Vec<PathBuf>, HdlError> {
    emit_block(cfg, Design::Top, dir)
}

/// As [`emit_verilog`], for `block` (the NFU alone is emitted with its root module also named `top`).
pub fn emit_block(cfg: &AccelConfig, block: Design, dir: &Path) -> Result<Vec<PathBuf>, HdlError> {
    let v = block_verilog(cfg, block)?;
    let modules = module_names(&v).len();
    let contents = [
        v,
        format!("{VERILOG_FILE}\n"),
        waiver_file(),
        readme(cfg, modules),
    ];
    write_dir_atomic(dir, &EMITTED_FILES, &contents)?;
    Ok(EMITTED_FILES.iter().map(|f| dir.join(f)).collect())
}

fn check_replaceable(dir: &Path) -> Result<bool, HdlError> {
    match std::fs::read_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => {
            if dir.exists() && !dir.is_dir() {
                return Err(HdlError::NotOurs(dir.display().to_string()));
            }
            Err(io(dir)(e))
        }
        Ok(rd) => {
            let names: Vec<String> = rd
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            let ours = names.iter().all(|n| EMITTED_FILES.contains(&n.as_str()))
                && (names.is_empty()
                    || (names.iter().any(|n| n == FILELIST_FILE)
                        && names.iter().any(|n| n == WAIVER_FILE)));
            if ours {
                Ok(true)
            } else {
                Err(HdlError::NotOurs(dir.display().to_string()))
            }
        }
    }
}

/// Write `names[i]` with `contents[i]` into a fresh temporary sibling of `dir`,
/// then rename it to `dir` (replacing an earlier emission).
fn write_dir_atomic(dir: &Path, names: &[&str], contents: &[String]) -> Result<(), HdlError> {
    let exists = check_replaceable(dir)?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(io(&parent))?;
    let base = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tag = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    );
    let tmp = parent.join(format!(".{base}.tmp-{tag}"));
    std::fs::create_dir(&tmp).map_err(io(&tmp))?;
    let cleanup = |e: HdlError| {
        let _ = std::fs::remove_dir_all(&tmp);
        e
    };
    for (n, c) in names.iter().zip(contents) {
        let p = tmp.join(n);
        std::fs::write(&p, c).map_err(io(&p)).map_err(cleanup)?;
    }
    if exists {
        let old = parent.join(format!(".{base}.old-{tag}"));
        std::fs::rename(dir, &old)
            .map_err(io(dir))
            .map_err(cleanup)?;
        if let Err(e) = std::fs::rename(&tmp, dir) {
            let _ = std::fs::rename(&old, dir);
            return Err(cleanup(io(dir)(e)));
        }
        let _ = std::fs::remove_dir_all(&old);
    } else {
        std::fs::rename(&tmp, dir)
            .map_err(io(dir))
            .map_err(cleanup)?;
    }
    Ok(())
}
