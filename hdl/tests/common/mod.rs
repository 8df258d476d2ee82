//! Shared by the `block_*` tests: emit a block alone and check it with
//! Verilator (`-Wall` with the emitted design's waivers) and Yosys
//! (`check -assert`), and run one table of per-cycle inputs and expected
//! outputs both in rust-hdl's simulator and on the emitted Verilog (Icarus).
//! Every tool goes through `hdl::flow::eda`: a missing tool fails the test
//! with its name and Debian package.
#![allow(dead_code)]

use hdl::flow::eda;
use hdl::tb::verilog_test::{simulate_icarus_after, Port};
use rust_hdl::core::simulate::simulate;
use rust_hdl::prelude::*;

/// Verilog of `dut` alone (root module `top`).
pub fn verilog<T: Block>(dut: &mut T) -> String {
    dut.connect_all();
    generate_verilog(dut)
}

/// `<block>_synthesizes`: Verilator lint clean (every warning but the
/// documented waivers fails) and Yosys `check -assert` clean.
pub fn synthesizes<T: Block>(dut: &mut T) {
    let v = verilog(dut);
    let out = eda::lint_text(&v, "top", &[]).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !out.text().contains("%Warning") && !out.text().contains("%Error"),
        "verilator:\n{}",
        out.text()
    );
    let y = eda::yosys_check(&v, "top").unwrap_or_else(|e| panic!("{e}"));
    assert!(!y.text().contains("ERROR"), "yosys:\n{}", y.text());
}

/// `b` as lower-case hex without leading zeros (`"0"` for zero), the format
/// of `simulate_icarus`.
pub fn hex<const N: usize>(b: Bits<N>) -> String {
    let mut s = String::new();
    let digits = N.div_ceil(4);
    for d in (0..digits).rev() {
        let mut v = 0u32;
        for k in 0..4 {
            let i = 4 * d + k;
            if i < N && b.get_bit(i) {
                v |= 1 << k;
            }
        }
        s.push(std::char::from_digit(v, 16).unwrap());
    }
    let t = s.trim_start_matches('0');
    if t.is_empty() {
        "0".into()
    } else {
        t.into()
    }
}

/// Parse hex (any length) into `Bits<N>`.
pub fn from_hex<const N: usize>(h: &str) -> Bits<N> {
    let mut b = Bits::<N>::default();
    for (d, c) in h.chars().rev().enumerate() {
        let v = c.to_digit(16).expect("hex digit");
        for k in 0..4 {
            let i = 4 * d + k;
            if v >> k & 1 == 1 {
                assert!(i < N, "{h} does not fit {N} bits");
                b = b.replace_bit(i, true);
            }
        }
    }
    b
}

/// A bool as hex.
pub fn hb(b: bool) -> String {
    if b { "1" } else { "0" }.into()
}

/// One cycle of a table: input values (hex, in `inputs` order) and expected
/// outputs (hex, in `outputs` order; `"-"` = don't care).
pub struct Cycle {
    /// Inputs.
    pub ins: Vec<String>,
    /// Expected outputs.
    pub outs: Vec<String>,
}

/// Build a [`Cycle`] from string slices.
pub fn cyc(ins: &[&str], outs: &[&str]) -> Cycle {
    Cycle {
        ins: ins.iter().map(|s| s.to_string()).collect(),
        outs: outs.iter().map(|s| s.to_string()).collect(),
    }
}

/// One clocked cycle from owned strings.
#[allow(dead_code)]
pub fn cyc_owned(ins: Vec<String>, outs: Vec<String>) -> Cycle {
    Cycle { ins, outs }
}

fn compare(which: &str, c: usize, names: &[Port], got: &[String], want: &[String]) {
    for ((p, g), w) in names.iter().zip(got).zip(want) {
        if w != "-" {
            assert_eq!(g, w, "{which}, cycle {c}: output `{}`", p.name);
        }
    }
}

/// Run `table` on `dut` in rust-hdl (`apply` sets the inputs of a cycle,
/// `read` returns the outputs as hex; `clock` sets the clock) and on its
/// emitted Verilog under Icarus; both must show the expected outputs. In each
/// cycle the inputs are applied, the outputs are read before the rising edge,
/// then the clock rises.
pub fn behaves<T: Block>(
    dut: &mut T,
    inputs: &[Port],
    outputs: &[Port],
    table: &[Cycle],
    clock: impl Fn(&mut T, bool),
    apply: impl Fn(&mut T, &[String]),
    read: impl Fn(&T) -> Vec<String>,
) {
    behaves_after(dut, inputs, outputs, table, 0, clock, apply, read)
}

/// As [`behaves`], where the Verilog's outputs in the first `warmup` cycles
/// may be unknown (a RAM's read register before its first read); expected
/// values there must be `"-"`.
#[allow(clippy::too_many_arguments)]
pub fn behaves_after<T: Block>(
    dut: &mut T,
    inputs: &[Port],
    outputs: &[Port],
    table: &[Cycle],
    warmup: usize,
    clock: impl Fn(&mut T, bool),
    apply: impl Fn(&mut T, &[String]),
    read: impl Fn(&T) -> Vec<String>,
) {
    let v = verilog(dut);
    for (c, row) in table.iter().enumerate() {
        assert_eq!(row.ins.len(), inputs.len(), "cycle {c}: inputs");
        assert_eq!(row.outs.len(), outputs.len(), "cycle {c}: outputs");
        apply(dut, &row.ins);
        clock(dut, false);
        assert!(simulate(dut, 10_000), "did not settle");
        compare("rust-hdl", c, outputs, &read(dut), &row.outs);
        clock(dut, true);
        assert!(simulate(dut, 10_000), "did not settle");
    }
    let vecs: Vec<Vec<String>> = table.iter().map(|r| r.ins.clone()).collect();
    let got =
        simulate_icarus_after(&v, inputs, outputs, &vecs, warmup).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got.len(), table.len());
    for (c, (g, row)) in got.iter().zip(table).enumerate().skip(warmup) {
        compare("icarus", c, outputs, g, &row.outs);
    }
}
