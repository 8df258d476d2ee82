//! Verilog-level test harness: run a block's emitted Verilog under Icarus
//! Verilog with a generated testbench, lint it with Verilator, or synthesize
//! it with Yosys. Every tool runs through [`crate::flow::eda`], so a missing
//! tool is an error naming it and its Debian package.

use crate::flow::eda::{self, EdaError, Scratch, Tool};
use std::fmt::Write as _;

/// Errors of the harness.
#[derive(Debug, thiserror::Error)]
pub enum VerilogTestError {
    /// A tool is missing or failed (names the tool and its Debian package).
    #[error(transparent)]
    Eda(#[from] EdaError),
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
    simulate_icarus_after(verilog, inputs, outputs, vectors, 0)
}

/// As [`simulate_icarus`], but the outputs of the first `warmup` cycles may
/// be unknown (`x`, e.g. a RAM's read register before its first read); they
/// are returned as printed. Every later `x` or `z` is an error.
pub fn simulate_icarus_after(
    verilog: &str,
    inputs: &[Port],
    outputs: &[Port],
    vectors: &[Vec<String>],
    warmup: usize,
) -> Result<Vec<Vec<String>>, VerilogTestError> {
    let dir = Scratch::new()?;
    dir.write("top.v", verilog)?;
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
    dir.write("tb.v", &tb)?;
    eda::run(
        Tool::Iverilog,
        &["-g2012", "-o", "sim.vvp", "tb.v", "top.v"],
        Some(dir.path()),
    )?;
    let text = eda::run(Tool::Vvp, &["-n", "sim.vvp"], Some(dir.path()))?.text();
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
        let unknown = f.iter().any(|s| s.contains(['x', 'z', 'X', 'Z']));
        if f.len() != outputs.len() || (unknown && res.len() >= warmup) {
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
    let dir = Scratch::new()?;
    dir.write("top.v", verilog)?;
    Ok(eda::lint(dir.path(), "top", waivers, &["top.v"])?.text())
}

/// Run Yosys `script` (which reads `top.v`) on `verilog`; returns its log.
pub fn yosys(verilog: &str, script: &str) -> Result<String, VerilogTestError> {
    Ok(eda::yosys_script(verilog, script)?.text())
}
