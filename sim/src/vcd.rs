//! VCD traces with the contract's signal names (scope `top`, one sub-scope
//! per block: `top.cp.pc`, `top.cp.dispatch`, `top.nfu.busy`, `top.nfu.seq`,
//! `top.port.grant`, `top.dma_nbin.row`, `top.dma_sb.row`, `top.dma_nbout.row`).
//! One timestamp per cycle (timescale 1 ns per cycle).

use crate::error::SimError;
use std::io::Write;
use vcd::{IdCode, TimescaleUnit, Value, Writer};

/// The traced signals: (block, name, width in bits), in [`Signals`] order.
pub const SIGNALS: [(&str, &str, u32); 8] = [
    ("cp", "pc", 32),
    ("cp", "dispatch", 1),
    ("nfu", "busy", 1),
    ("nfu", "seq", 32),
    ("port", "grant", 3),
    ("dma_nbin", "row", 32),
    ("dma_sb", "row", 32),
    ("dma_nbout", "row", 32),
];

/// Values of [`SIGNALS`] in one cycle.
pub type Signals = [u64; 8];

/// The values of [`SIGNALS`] in one cycle, by name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SignalValues {
    /// `cp.pc`: instruction index held.
    pub cp_pc: u64,
    /// `cp.dispatch`: 1 in a dispatch cycle.
    pub cp_dispatch: u64,
    /// `nfu.busy`: 1 in an issue (or bias) cycle.
    pub nfu_busy: u64,
    /// `nfu.seq`: sequence number of the running op.
    pub nfu_seq: u64,
    /// `port.grant`: 0 none, 1 nbin, 2 sb, 3 nbout, 4 fetch (grant cycles only).
    pub port_grant: u64,
    /// `dma_nbin.row`: transfer row index of the current slot.
    pub dma_nbin_row: u64,
    /// `dma_sb.row`.
    pub dma_sb_row: u64,
    /// `dma_nbout.row`.
    pub dma_nbout_row: u64,
}

impl SignalValues {
    /// The values in [`SIGNALS`] order.
    pub fn values(&self) -> Signals {
        [
            self.cp_pc,
            self.cp_dispatch,
            self.nfu_busy,
            self.nfu_seq,
            self.port_grant,
            self.dma_nbin_row,
            self.dma_sb_row,
            self.dma_nbout_row,
        ]
    }
}

/// An open trace.
pub(crate) struct VcdTrace {
    w: Writer<Box<dyn Write + Send>>,
    ids: Vec<IdCode>,
    prev: Option<Signals>,
}

fn io(e: std::io::Error) -> SimError {
    SimError::Vcd(e.to_string())
}

impl VcdTrace {
    /// Write the header.
    pub fn new(out: Box<dyn Write + Send>) -> Result<Self, SimError> {
        let mut w = Writer::new(out);
        w.timescale(1, TimescaleUnit::NS).map_err(io)?;
        w.add_module("top").map_err(io)?;
        let mut ids = Vec::new();
        let mut i = 0;
        while i < SIGNALS.len() {
            let block = SIGNALS[i].0;
            w.add_module(block).map_err(io)?;
            while i < SIGNALS.len() && SIGNALS[i].0 == block {
                ids.push(w.add_wire(SIGNALS[i].2, SIGNALS[i].1).map_err(io)?);
                i += 1;
            }
            w.upscope().map_err(io)?;
        }
        w.upscope().map_err(io)?;
        w.enddefinitions().map_err(io)?;
        Ok(VcdTrace { w, ids, prev: None })
    }

    /// Record the values of cycle `t` (only changes are written).
    pub fn cycle(&mut self, t: u64, s: &Signals) -> Result<(), SimError> {
        if self.prev.as_ref() == Some(s) {
            return Ok(());
        }
        self.w.timestamp(t).map_err(io)?;
        for (k, v) in s.iter().enumerate() {
            if self.prev.map(|p| p[k]) == Some(*v) {
                continue;
            }
            let width = SIGNALS[k].2;
            if width == 1 {
                self.w
                    .change_scalar(self.ids[k], if *v != 0 { Value::V1 } else { Value::V0 })
                    .map_err(io)?;
            } else {
                let bits = (0..width).rev().map(|b| {
                    if (v >> b) & 1 != 0 {
                        Value::V1
                    } else {
                        Value::V0
                    }
                });
                self.w.change_vector(self.ids[k], bits).map_err(io)?;
            }
        }
        self.prev = Some(*s);
        Ok(())
    }

    /// Write the final timestamp (the halt cycle) and flush.
    pub fn finish(mut self, t: u64) -> Result<(), SimError> {
        self.w.timestamp(t).map_err(io)?;
        self.w.flush().map_err(io)
    }
}
