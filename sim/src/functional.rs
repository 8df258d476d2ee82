//! The NFU's instruction semantics, untimed: given an NFU op (or one
//! datapath step), the buffer contents and the hold/LFSR state, compute the
//! outputs bit-exactly. Built from the same functions the timed simulator
//! runs ([`crate::core::nfu::Nfu`]'s `exec_*` and `output`,
//! [`crate::core::nfu_seq::IssueCursor`]), so there is one definition of
//! each instruction:
//!
//! * [`execute`] / [`execute_into`]: a whole `nfu.*` op in program order
//!   (firmware's ISA interpreter uses it);
//! * [`NfuModel`]: the datapath cycle by cycle, one [`NfuStep`] bundle per
//!   clock, outputs after the NFU-1..3 pipeline latency (the oracle of the
//!   RTL's NFU block tests).

use crate::buffers::Buffers;
use crate::core::nfu::{Kernel, MulStep, Nfu, NfuState, OutputMode};
use crate::core::nfu_seq::{bias_row, IssueCursor};
use arch::activation::Activation;
use arch::fixed::{Acc, Data, Rounding};
use arch::isa::{AccIn, NfuOp, NfuSlot};
use arch::AccelConfig;
use std::collections::VecDeque;

/// One NBout write of the NFU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NfuWrite {
    /// NBout row.
    pub row: u32,
    /// Entries, Tn.
    pub data: Vec<Acc>,
    /// Lanes that saturated (in conversion or activation).
    pub sat: u32,
}

/// Execute NFU op `slot` on `bufs` as they are (untimed): returns its
/// outputs in issue order, stepping `st`'s LFSRs as the op does. NBout is
/// not written; each output has its own row, and an output reads (for
/// `in=nbout`) only its own row, so writing them after the op gives the
/// op's result. `slot` must pass `Instruction::check`.
pub fn execute(slot: &NfuSlot, bufs: &Buffers, st: &mut NfuState) -> Vec<NfuWrite> {
    let mut nfu = Nfu::new(st.tn);
    let mut out = Vec::with_capacity(slot.outputs() as usize);
    if slot.op == NfuOp::Nop {
        return out;
    }
    if slot.acc_in == AccIn::Bias {
        nfu.load_bias(bufs.sb_row(bias_row(slot)));
    }
    let mode = OutputMode::of(slot);
    let steps = slot.steps_per_output();
    let mut cursor = IssueCursor::default();
    for _ in 0..slot.issues() {
        let r = cursor.rows(slot, steps);
        cursor.step(slot, steps);
        if r.first {
            let nbout: &[i32] = if slot.acc_in == AccIn::Nbout {
                bufs.nbout_row(r.nbout)
            } else {
                &[]
            };
            nfu.init(slot.op, slot.acc_in, nbout, st.frac);
        }
        let nbin = bufs.nbin_row(r.nbin);
        nfu.exec(
            slot.op,
            r.step,
            nbin,
            || bufs.sb_row(r.sb),
            slot.transpose,
            Kernel::Fast,
        );
        if r.last {
            let (data, sat) = nfu.output(&mode, st);
            out.push(NfuWrite {
                row: r.nbout as u32,
                data,
                sat,
            });
        }
    }
    out
}

/// [`execute`], then write the outputs into NBout; returns the number of
/// saturated lanes.
pub fn execute_into(slot: &NfuSlot, bufs: &mut Buffers, st: &mut NfuState) -> u64 {
    let writes = execute(slot, bufs, st);
    let mut sat = 0;
    for w in writes {
        bufs.nbout_row_mut(w.row as usize).copy_from_slice(&w.data);
        sat += w.sat as u64;
    }
    sat
}

/// One input bundle of the NFU datapath (one clock). Rows are lane-ordered.
#[derive(Clone, Debug, PartialEq)]
pub struct NfuStep {
    /// Step present.
    pub valid: bool,
    /// Opcode (mac, max, avg, mul; nop is treated as mac).
    pub op: NfuOp,
    /// First step of an output (initialises the accumulators).
    pub first: bool,
    /// Last step of an output (the output leaves after the pipeline).
    pub last: bool,
    /// `mul`: this is an odd step `k = ky*ni + i` of its output (multiply
    /// with the hold register and accumulate); an even step loads `hold`.
    pub mul_odd_step: bool,
    /// Init selector.
    pub acc_in: AccIn,
    /// `out=act`.
    pub activate: bool,
    /// Activation.
    pub act: Activation,
    /// Rounding.
    pub round: Rounding,
    /// Transposed SB read.
    pub transpose: bool,
    /// Avg scale, Q1.15.
    pub scale: u16,
    /// NBout row of the output.
    pub row: u32,
    /// NBin row, Tn words.
    pub nbin: Vec<Data>,
    /// SB row, Tn*Tn words (`[n*Tn + i]`).
    pub sb: Vec<Data>,
    /// NBout entries, Tn (read for `in=nbout`).
    pub nbout: Vec<Acc>,
    /// Bias row, Tn words (read for `in=bias`).
    pub bias: Vec<Data>,
}

impl NfuStep {
    /// An idle cycle for `tn` lanes.
    pub fn idle(tn: usize) -> Self {
        NfuStep {
            valid: false,
            op: NfuOp::Mac,
            first: false,
            last: false,
            mul_odd_step: false,
            acc_in: AccIn::Zero,
            activate: false,
            act: Activation::Identity,
            round: Rounding::Truncate,
            transpose: false,
            scale: 0,
            row: 0,
            nbin: vec![0; tn],
            sb: vec![0; tn * tn],
            nbout: vec![0; tn],
            bias: vec![0; tn],
        }
    }
}

/// The NFU datapath clock by clock: call [`NfuModel::cycle`] once per clock
/// with the bundle presented in that cycle; it returns the output shown in
/// that cycle (before the edge). An output whose last step is presented in
/// cycle c is shown in cycle c + D1 + D2 + D3. The accumulators, hold
/// register and LFSRs persist from step to step.
pub struct NfuModel {
    frac: u32,
    nfu: Nfu,
    state: NfuState,
    pipe: VecDeque<Option<NfuWrite>>,
}

impl NfuModel {
    /// Model of the NFU of `cfg` (LFSRs at their reset seeds).
    pub fn new(cfg: &AccelConfig) -> Self {
        let lat = (cfg.pipeline.nfu1 + cfg.pipeline.nfu2 + cfg.pipeline.nfu3) as usize;
        NfuModel {
            frac: cfg.frac_bits,
            nfu: Nfu::new(cfg.tn as usize),
            state: NfuState::new(cfg),
            pipe: (0..lat).map(|_| None).collect(),
        }
    }

    /// Output shown in this cycle, then sample `s` at the edge.
    pub fn cycle(&mut self, s: &NfuStep) -> Option<NfuWrite> {
        let out = self.pipe.pop_front().flatten();
        let w = if s.valid { self.step(s) } else { None };
        self.pipe.push_back(w);
        out
    }

    /// Apply one step untimed; returns the output if `s.last`.
    pub fn step(&mut self, s: &NfuStep) -> Option<NfuWrite> {
        let op = if s.op == NfuOp::Nop { NfuOp::Mac } else { s.op };
        if s.first {
            if s.acc_in == AccIn::Bias {
                self.nfu.load_bias(&s.bias);
            }
            self.nfu.init(op, s.acc_in, &s.nbout, self.frac);
        }
        let half = if s.mul_odd_step {
            MulStep::MultiplyHeld
        } else {
            MulStep::LoadHold
        };
        match op {
            NfuOp::Mul => self.nfu.exec_mul(&s.nbin, half),
            _ => self
                .nfu
                .exec(op, 0, &s.nbin, || &s.sb, s.transpose, Kernel::Plain),
        }
        if !s.last {
            return None;
        }
        let mode = OutputMode {
            op,
            activate: s.activate,
            act: s.act,
            round: s.round,
            scale: s.scale,
        };
        let (data, sat) = self.nfu.output(&mode, &mut self.state);
        Some(NfuWrite {
            row: s.row,
            data,
            sat,
        })
    }

    /// Current LFSR state of every lane.
    pub fn lfsr_states(&self) -> Vec<u32> {
        self.state.lfsr.iter().map(|l| l.0).collect()
    }
}
