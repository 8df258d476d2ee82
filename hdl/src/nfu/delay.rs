//! A fixed delay line of `n >= 0` registers (`n = 0` is a wire), and the
//! control bundle that travels down the NFU pipeline beside the data.

use super::width::*;
use rust_hdl::prelude::*;

/// Delay line: `q` in cycle t+n equals `d` in cycle t (`n` = [`Delay::len`]).
/// Registers start at zero (Verilog `initial`, and the Rust model).
#[derive(LogicBlock)]
pub struct Delay<T: Synth> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Input, sampled at every rising edge.
    pub d: Signal<In, T>,
    /// Output.
    pub q: Signal<Out, T>,
    regs: Vec<DFF<T>>,
}

impl<T: Synth> Delay<T> {
    /// A delay of `n` cycles.
    pub fn new(n: usize) -> Self {
        Self {
            clock: Default::default(),
            d: Default::default(),
            q: Default::default(),
            regs: (0..n).map(|_| DFF::default()).collect(),
        }
    }
    /// The delay in cycles.
    pub fn len(&self) -> usize {
        self.regs.len()
    }
    /// True for a zero-cycle delay (a wire).
    pub fn is_empty(&self) -> bool {
        self.regs.is_empty()
    }
    fn wire_loops(&self) -> usize {
        usize::from(self.regs.is_empty())
    }
    fn head_loops(&self) -> usize {
        usize::from(!self.regs.is_empty())
    }
    fn last(&self) -> usize {
        self.regs.len().saturating_sub(1)
    }
}

impl<T: Synth> Logic for Delay<T> {
    #[hdl_gen]
    fn update(&mut self) {
        for _w in 0..self.wire_loops() {
            self.q.next = self.d.val();
        }
        for h in 0..self.head_loops() {
            self.regs[h].d.next = self.d.val();
        }
        for k in 0..self.regs.len() {
            self.regs[k].clock.next = self.clock.val();
        }
        for k in 1..self.regs.len() {
            self.regs[k].d.next = self.regs[k - 1].q.val();
        }
        for k in self.last()..self.regs.len() {
            self.q.next = self.regs[k].q.val();
        }
    }
}

/// Per-step control travelling with the data (field meanings: see [`super::Nfu`]).
#[derive(Clone, Copy, Debug, PartialEq, Default, LogicStruct)]
pub struct Ctl {
    /// A step (or, after NFU-2, an output) is present.
    pub valid: Bit,
    /// First reduction step of an output.
    pub first: Bit,
    /// Last reduction step of an output.
    pub last: Bit,
    /// `mul`: odd reduction step (`k = ky*ni + i` odd): accumulate `hold * NBin`.
    pub odd: Bit,
    /// NFU opcode (`arch::isa::NfuOp` encoding).
    pub op: Bits<OPW>,
    /// Accumulator init selector (`arch::isa::AccIn` encoding).
    pub acc_in: Bits<INW>,
    /// `out=act` (else `out=partial`).
    pub activate: Bit,
    /// Activation function (`arch::activation::Activation` encoding).
    pub act: Bits<ACTW>,
    /// Rounding mode (`arch::fixed::Rounding` encoding).
    pub round: Bits<RNDW>,
    /// Average-pool scale, Q1.15.
    pub scale: Bits<SCW>,
    /// NBout row of the output.
    pub row: Bits<ROWW>,
}
