//! The emitted Verilog of the top under Icarus Verilog, as a [`Backend`]:
//! the Verilator backend's testbench and top (`tb.v`, `top.v`, see
//! [`crate::verilator_backend`]) compiled with `iverilog -g2012` once per
//! configuration (cached like the Verilator build), run with `vvp` on the
//! same plusargs, and the same `out.txt` parsed by the same parser. The one
//! difference in the testbench is a parameter: the X monitor (see below).
//!
//! What differs from Verilator is four-state simulation. What starts at X:
//! every memory of the design, i.e. the rust-hdl `RAM`s of NBin, SB, both
//! NBout copies and the instruction memory. rust-hdl emits an `initial`
//! block for a `RAM` only when it is built with contents, and the top is
//! emitted with an empty program and default (empty) buffers, so the
//! emitted Verilog itself declares them without initial values; no
//! post-processing is needed ([`memory_inits`] counts any, and the tests
//! demand none). Verilator, by contrast, reads those X as zero. What does
//! not start at X: every rust-hdl `DFF` (rust-hdl emits `initial q = 0`
//! for each, whether or not the design also clears it through `clr`), and
//! the testbench's DRAM model, which starts at zero as the contract says
//! (the vector's image is loaded over it).
//!
//! An X read from a buffer row no instruction wrote propagates through the
//! NFU's arithmetic into NBout and, through a store, into the DRAM window (or
//! into the control and the cycle count). But an `if` on an X condition
//! takes its `else` branch, so a comparison turns X into a definite value:
//! NFU-2's `max` keeps the other operand, and NFU-3's saturation and
//! activation would store an X output as, e.g., 0x7fff. The testbench
//! therefore also watches the NFU (the X monitor of
//! `verilator_backend.rs`): the first cycle in which NFU-2 accumulates a
//! value with X/Z bits (lane 0's step value and base) or NFU-3 receives one
//! (every lane). Any X/Z bit of the window, the cycle count, the status,
//! `done` or the watched NFU values is a failure naming it
//! (`verilator_backend::parse_out`). Not watched: X that meets a
//! comparison only in NFU-2's lanes 1 to Tn-1 (rows are loaded whole, so an
//! unloaded row is X in lane 0 too).
//!
//! A program whose result depends on uninitialised buffer contents is a
//! bug, and this backend exposes it: a read of a row never loaded, or a
//! store of an NBout row behind its in-flight load (the hazard
//! docs/microarchitecture.md leaves to programs).

use crate::verilator_backend::{build_cached, checked_daw, run_exe, run_tool, tb_params};
use crate::{Backend, BackendError, Outcome, Vector};
use hdl::flow::eda::{self, Tool};

const NAME: &str = "icarus";

/// Icarus Verilog simulation of the emitted top, memories starting at X.
#[derive(Clone, Copy, Debug)]
pub struct IcarusBackend {
    /// Give up after this many cycles (cycles).
    pub max_cycles: u64,
}

impl Default for IcarusBackend {
    fn default() -> Self {
        IcarusBackend {
            max_cycles: 50_000_000,
        }
    }
}

/// Assignments to a memory (`mem[...] = ...`) inside `initial` blocks of
/// `verilog` (rust-hdl's `RAM` initialisation): 0 when every memory starts at X.
pub fn memory_inits(verilog: &str) -> usize {
    let mut n = 0;
    let mut in_initial = false;
    for l in verilog.lines().map(str::trim) {
        if l.starts_with("initial begin") {
            in_initial = true;
        } else if in_initial && l.starts_with("end") {
            in_initial = false;
        } else if in_initial && l.starts_with("mem[") && l.contains('=') {
            n += 1;
        }
    }
    n
}

impl Backend for IcarusBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn run(&self, v: &Vector) -> Result<Outcome, BackendError> {
        let daw = checked_daw(v, NAME)?;
        let p = tb_params(&v.cfg, daw, true);
        let vvp = build_cached(NAME, &v.cfg, p, "tb.vvp", |dir| {
            run_tool(
                NAME,
                Tool::Iverilog,
                &eda::iverilog_args("tb.vvp", "tb", &["tb.v", "top.v"]),
                dir,
            )
            .map(|_| ())
        })?;
        run_exe(
            |args, dir| eda::run_vvp(&vvp, args, Some(dir)),
            v,
            self.max_cycles,
            NAME,
        )
    }
}
