//! Verilog-level test harness: run a block's emitted Verilog under Icarus
//! Verilog with a generated testbench, lint it with Verilator, or synthesize
//! it with Yosys. Every function names the missing tool in its error.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

/// Errors of the harness.
#[derive(Debug, thiserror::Error)]
pub enum VerilogTestError {
    /// A tool could not be started.
    #[error("cannot run `{tool}` ({why}); install it (Debian package `{package}`)")]
    Missing {
        /// Executable.
        tool: &'static str,
        /// Package that provides it.
        package: &'static str,
        /// OS error.
        why: String,
    },
    /// A tool ran and failed.
    #[error("`{tool}` failed:\n{output}")]
    Failed {
        /// Executable.
        tool: &'static str,
        /// Its stdout and stderr.
        output: String,
    },
    /// File I/O in the temp directory.
    #[error("temp dir: {0}")]
    Io(#[from] std::io::Error),
    /// The simulation printed something unexpected.
    #[error("bad simulation output line {line}: {text}")]
    Output {
        /// Line number.
        line: usize,
        /// Text.
        text: String,
    },
}

/// A port of the top module (rust-hdl names the top module `top`).
#[derive(Clone, Debug)]
pub struct Port {
    /// Port name.
    pub name: String,
    /// Width in bits.
    pub width: usize,
}

impl Port {
    /// A port.
    pub fn new(name: &str, width: usize) -> Self {
        Port {
            name: name.into(),
            width,
        }
    }
}

/// A scratch directory removed on drop (std only, so the library needs no extra dependency).
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> std::io::Result<Self> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let p = std::env::temp_dir().join(format!(
            "hdl-vt-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&p)?;
        Ok(TempDir(p))
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(
    tool: &'static str,
    package: &'static str,
    args: &[&str],
    dir: &Path,
) -> Result<String, VerilogTestError> {
    let out = Command::new(tool)
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| VerilogTestError::Missing {
            tool,
            package,
            why: e.to_string(),
        })?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        return Err(VerilogTestError::Failed { tool, output: text });
    }
    Ok(text)
}

/// Simulate `verilog` (module `top` with a `clock` input) under Icarus.
/// `vectors[c][j]` is the hex value of `inputs[j]` applied in cycle c. In each
/// cycle the inputs are applied, the outputs are printed (the values shown in
/// that cycle, before the rising edge), then the clock rises. Returns, per
/// cycle, the outputs' values as lower-case hex without leading zeros.
pub fn simulate_icarus(
    verilog: &str,
    inputs: &[Port],
    outputs: &[Port],
    vectors: &[Vec<String>],
) -> Result<Vec<Vec<String>>, VerilogTestError> {
    let dir = TempDir::new()?;
    std::fs::write(dir.path().join("top.v"), verilog)?;
    let mut tb = String::from("`timescale 1ns/1ps\nmodule tb;\nreg clock = 0;\n");
    for p in inputs {
        let _ = writeln!(tb, "reg [{}:0] {} = 0;", p.width - 1, p.name);
    }
    for p in outputs {
        let _ = writeln!(tb, "wire [{}:0] {};", p.width - 1, p.name);
    }
    let conns: Vec<String> = std::iter::once("clock".to_string())
        .chain(inputs.iter().chain(outputs).map(|p| p.name.clone()))
        .map(|n| format!(".{n}({n})"))
        .collect();
    let _ = writeln!(tb, "top dut({});\ninitial begin", conns.join(", "));
    let fmt = vec!["%h"; outputs.len()].join(" ");
    let outs: Vec<&str> = outputs.iter().map(|p| p.name.as_str()).collect();
    for v in vectors {
        for (p, x) in inputs.iter().zip(v) {
            let _ = writeln!(tb, "  {} = {}'h{};", p.name, p.width, x);
        }
        let _ = writeln!(
            tb,
            "  #1; $display(\"{fmt}\", {}); clock = 1; #1; clock = 0;",
            outs.join(", ")
        );
    }
    tb.push_str("  $finish;\nend\nendmodule\n");
    std::fs::write(dir.path().join("tb.v"), tb)?;
    run(
        "iverilog",
        "iverilog",
        &["-g2012", "-o", "sim.vvp", "tb.v", "top.v"],
        dir.path(),
    )?;
    let text = run("vvp", "iverilog", &["-n", "sim.vvp"], dir.path())?;
    let mut res = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with("VCD") || line.contains("$finish") || line.trim().is_empty() {
            continue;
        }
        let f: Vec<String> = line
            .split_whitespace()
            .map(|s| {
                let t = s.trim_start_matches('0');
                if t.is_empty() {
                    "0".to_string()
                } else {
                    t.to_string()
                }
            })
            .collect();
        if f.len() != outputs.len() || f.iter().any(|s| s.contains(['x', 'z', 'X', 'Z'])) {
            return Err(VerilogTestError::Output {
                line: i + 1,
                text: line.to_string(),
            });
        }
        res.push(f);
    }
    Ok(res)
}

/// `verilator --lint-only -Wall` on `verilog` (top module `top`) with the
/// given `-Wno-...` waivers; returns the tool output (empty when clean).
pub fn lint_verilator(verilog: &str, waivers: &[&str]) -> Result<String, VerilogTestError> {
    let dir = TempDir::new()?;
    std::fs::write(dir.path().join("top.v"), verilog)?;
    let mut args = vec!["--lint-only", "-Wall", "--top-module", "top"];
    args.extend_from_slice(waivers);
    args.push("top.v");
    run("verilator", "verilator", &args, dir.path())
}

/// Run Yosys `script` (which reads `top.v`) on `verilog`; returns its log.
pub fn yosys(verilog: &str, script: &str) -> Result<String, VerilogTestError> {
    let dir = TempDir::new()?;
    std::fs::write(dir.path().join("top.v"), verilog)?;
    std::fs::write(dir.path().join("run.ys"), script)?;
    run("yosys", "yosys", &["-q", "-s", "run.ys"], dir.path())
}
