//! The RTL in rust-hdl's own simulator (`hdl::tb::system::TinySystem`: the top plus
//! the DRAM model) as a [`Backend`]. Tiny structure only: rust-hdl simulates
//! about a few thousand cycles per second, so keep its vectors small.

use crate::rtl::{dram_words, rtl_kind, status, words_image, RtlKind};
use crate::{Backend, BackendError, Outcome, Vector};
use hdl::tb::system::TinySystem;
use rust_hdl::core::simulate::simulate;
use rust_hdl::prelude::*;

/// log2 of the DRAM model's 16-bit words (covers 4 GiB; the model is sparse).
const AW: usize = 31;

/// The traced signals of one cycle, in `sim`'s VCD order (`sim::vcd::SIGNALS`):
/// cp.pc, cp.dispatch, nfu.busy, nfu.seq, port.grant, dma_nbin.row, dma_sb.row, dma_nbout.row.
/// Registered state (pc, rows) is the value at the end of the cycle, as the
/// simulator records it; dispatch, busy, seq and grant are the cycle's own.
pub type TraceRow = [u64; 8];

/// rust-hdl simulation of the RTL.
#[derive(Clone, Copy, Debug)]
pub struct RtlBackend {
    /// Give up after this many cycles (cycles).
    pub max_cycles: u64,
}

impl Default for RtlBackend {
    fn default() -> Self {
        RtlBackend {
            max_cycles: 1_000_000,
        }
    }
}

impl RtlBackend {
    /// Whether rust-hdl's simulation can run vectors of `cfg`, or why not
    /// (the tiny structure only; the Tn = 16 top is too slow).
    pub fn can_run(cfg: &arch::AccelConfig) -> Result<(), String> {
        match rtl_kind(cfg)? {
            RtlKind::Tiny => Ok(()),
            k => Err(format!(
                "rust-hdl simulation of the Tn = {} top (`{}` structure) is too slow; use the verilator backend",
                cfg.tn,
                k.name()
            )),
        }
    }

    /// Run `v`, also returning one [`TraceRow`] per cycle 0..T.
    pub fn run_traced(&self, v: &Vector) -> Result<(Outcome, Vec<TraceRow>), BackendError> {
        let mut rows = Vec::new();
        let o = self.run_with(v, |r| rows.push(r))?;
        Ok((o, rows))
    }

    fn run_with(
        &self,
        v: &Vector,
        mut each: impl FnMut(TraceRow),
    ) -> Result<Outcome, BackendError> {
        let fail = |m: String| BackendError::Failed {
            backend: "rtl",
            message: m,
        };
        Self::can_run(&v.cfg).map_err(fail)?;
        let mut sys = TinySystem::<AW>::build(&v.cfg, dram_words(v));
        sys.connect_all();
        let tick = |sys: &mut TinySystem<AW>, level: bool| -> Result<(), BackendError> {
            sys.clock.next = Clock { clk: level };
            if simulate(sys, 10_000) {
                Ok(())
            } else {
                Err(fail("the rust-hdl simulation did not settle".into()))
            }
        };
        sys.run.next = false;
        sys.prog_base.next = v.program_base().into();
        sys.prog_len.next = (v.program.len() as u64).into();
        sys.seed.next = (v.seed as u64).into();
        for _ in 0..2 {
            tick(&mut sys, false)?;
            tick(&mut sys, true)?;
        }
        sys.run.next = true;
        let mut t = 0u64;
        loop {
            tick(&mut sys, false)?;
            let top = &sys.top;
            let mut row: TraceRow = [
                0,
                top.t_dispatch.val() as u64,
                top.t_nfu_busy.val() as u64,
                top.t_nfu_seq.val().to_u64(),
                top.t_grant.val().to_u64(),
                0,
                0,
                0,
            ];
            tick(&mut sys, true)?;
            let top = &sys.top;
            row[0] = top.t_pc.val().to_u64();
            row[5] = top.t_row_nbin.val().to_u64();
            row[6] = top.t_row_sb.val().to_u64();
            row[7] = top.t_row_nbout.val().to_u64();
            if sys.done.val() {
                break;
            }
            each(row);
            t += 1;
            if t > self.max_cycles {
                return Err(fail(format!("no halt within {} cycles", self.max_cycles)));
            }
        }
        let st =
            status(sys.err_class.val().to_u64(), sys.err_index.val().to_u64()).map_err(fail)?;
        let dram = words_image(sys.dram.words());
        Ok(Outcome {
            cycles: sys.cycles.val().to_u64(),
            status: st,
            dram,
            counters: Some(arch::events::Counters(sys.top.counters.values())),
        })
    }
}

impl Backend for RtlBackend {
    fn name(&self) -> &'static str {
        "rtl"
    }

    fn run(&self, v: &Vector) -> Result<Outcome, BackendError> {
        self.run_with(v, |_| {})
    }
}
