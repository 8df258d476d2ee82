//! NFU-1: Tn x Tn signed 16 x 16 -> 32 multipliers, D1 register stages.
//!
//! Multiplier `k = n * Tn + i` (lane n, input i) multiplies NBin word i by SB
//! word `n * Tn + i` (or `i * Tn + n` when `tr` = 1). Its product sits at
//! bits `[k * 32, k * 32 + 32)` of `prod`, D1 cycles after `nbin`/`sb`/`tr`
//! were presented.
//!
//! `mul` (element-wise multiply): when `hsel` = 1 the diagonal multiplier of
//! lane n (`i = n`) takes word n of `hold` (the NBin word held by the even step
//! of the pair) instead of the SB word, so its product is `NBin[n] * hold[n]`.
//!
//! The products are joined side by side: [`Nfu1`]'s Verilog is written as
//! plain part-select assignments (`prod[k*32 +: 32] = mults$k$p`), built
//! directly as rust-hdl AST because `#[hdl_gen]` has no working multi-bit
//! slice assignment. (An OR of Tn*Tn shifted Tn*Tn*32-bit buses, the earlier
//! form, made Yosys's coarse passes run for tens of minutes at Tn = 16.)

use super::Delay;
use crate::widths::*;
use rust_hdl::prelude::ast::{VerilogExpression as E, VerilogStatement as S};
use rust_hdl::prelude::*;

/// One multiplier: selects its second operand (SB word, transposed SB word
/// or held word), multiplies, and delays the 32-bit product by D1 cycles.
#[derive(LogicBlock)]
pub struct Mul {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// NBin word i.
    pub a: Signal<In, Bits<DW>>,
    /// SB word `n * Tn + i`.
    pub b: Signal<In, Bits<DW>>,
    /// SB word `i * Tn + n` (transposed read).
    pub bt: Signal<In, Bits<DW>>,
    /// Held word n (`mul`; used by the diagonal multiplier only).
    pub h: Signal<In, Bits<DW>>,
    /// Transposed SB read.
    pub tr: Signal<In, Bit>,
    /// `mul` step: a diagonal multiplier takes `h` as its second operand.
    pub hs: Signal<In, Bit>,
    /// Product, D1 cycles later.
    pub p: Signal<Out, Bits<AW>>,
    k_diag: Constant<Bit>,
    bsel: Signal<Local, Bits<DW>>,
    sa: Signal<Local, Signed<DW>>,
    sb: Signal<Local, Signed<DW>>,
    m: Signal<Local, Signed<AW>>,
    pipe: Delay<Bits<AW>>,
}

impl Mul {
    /// Multiplier for lane `n`, input `i` with `d1` stages (diagonal if `n == i`).
    pub fn new(n: usize, i: usize, d1: usize) -> Self {
        Self {
            clock: Default::default(),
            a: Default::default(),
            b: Default::default(),
            bt: Default::default(),
            h: Default::default(),
            tr: Default::default(),
            hs: Default::default(),
            p: Default::default(),
            k_diag: Constant::new(n == i),
            bsel: Default::default(),
            sa: Default::default(),
            sb: Default::default(),
            m: Default::default(),
            pipe: Delay::new(d1),
        }
    }
}

impl Logic for Mul {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, pipe);
        if self.hs.val() && self.k_diag.val() {
            self.bsel.next = self.h.val();
        } else if self.tr.val() {
            self.bsel.next = self.bt.val();
        } else {
            self.bsel.next = self.b.val();
        }
        self.sa.next = signed_cast(self.a.val());
        self.sb.next = signed_cast(self.bsel.val());
        self.m.next = self.sa.val() * self.sb.val();
        self.pipe.d.next = unsigned_cast(self.m.val());
        self.p.next = self.pipe.q.val();
    }
}

/// NFU-1 (see the module doc). `NW = Tn*16`, `SW = Tn*Tn*16`, `PW = Tn*Tn*32`.
#[derive(LogicBlock)]
pub struct Nfu1<const NW: usize, const SW: usize, const PW: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// NBin row, sampled in the cycle it is presented.
    pub nbin: Signal<In, Bits<NW>>,
    /// SB row, same cycle.
    pub sb: Signal<In, Bits<SW>>,
    /// Transposed SB read, same cycle.
    pub tr: Signal<In, Bit>,
    /// Held NBin row (`mul`), same cycle.
    pub hold: Signal<In, Bits<NW>>,
    /// `mul` step: diagonal multipliers use `hold` instead of SB.
    pub hsel: Signal<In, Bit>,
    /// All Tn*Tn products, D1 cycles later.
    pub prod: Signal<Out, Bits<PW>>,
    mults: Vec<Mul>,
}

impl<const NW: usize, const SW: usize, const PW: usize> Nfu1<NW, SW, PW> {
    const TN: usize = NW / DW;

    /// NFU-1 of width `tn` with `d1` stages. Panics if the widths disagree with `tn`.
    pub fn new(tn: usize, d1: usize) -> Self {
        assert_eq!(
            (NW, SW, PW),
            (tn * DW, tn * tn * DW, tn * tn * AW),
            "Nfu1 widths do not match Tn = {tn}"
        );
        let mults = (0..tn * tn).map(|k| Mul::new(k / tn, k % tn, d1)).collect();
        Self {
            clock: Default::default(),
            nbin: Default::default(),
            sb: Default::default(),
            tr: Default::default(),
            hold: Default::default(),
            hsel: Default::default(),
            prod: Default::default(),
            mults,
        }
    }

    /// Word offsets (bits) of multiplier k's operands: (a, b, bt, h).
    fn offsets(k: usize) -> (usize, usize, usize, usize) {
        let tn = Self::TN;
        let (n, i) = (k / tn, k % tn);
        (i * DW, (n * tn + i) * DW, (i * tn + n) * DW, n * DW)
    }
}

fn sig(name: String) -> E {
    E::Signal(name)
}
fn slice(bus: &str, width: usize, offset: usize) -> E {
    E::Slice(
        Box::new(sig(bus.into())),
        width,
        Box::new(E::Literal((offset as u32).into())),
    )
}

impl<const NW: usize, const SW: usize, const PW: usize> Logic for Nfu1<NW, SW, PW> {
    fn update(&mut self) {
        let mut prod = Bits::<PW>::default();
        for k in 0..self.mults.len() {
            let (oa, ob, obt, oh) = Self::offsets(k);
            let m = &mut self.mults[k];
            m.clock.next = self.clock.val();
            m.a.next = self.nbin.val().get_bits::<DW>(oa);
            m.b.next = self.sb.val().get_bits::<DW>(ob);
            m.bt.next = self.sb.val().get_bits::<DW>(obt);
            m.h.next = self.hold.val().get_bits::<DW>(oh);
            m.tr.next = self.tr.val();
            m.hs.next = self.hsel.val();
            prod = prod | (bit_cast::<PW, AW>(m.p.val()) << ((k * AW) as u64));
        }
        self.prod.next = prod;
    }

    fn connect(&mut self) {
        self.prod.connect();
        for m in self.mults.iter_mut() {
            m.clock.connect();
            m.a.connect();
            m.b.connect();
            m.bt.connect();
            m.h.connect();
            m.tr.connect();
            m.hs.connect();
        }
    }

    fn hdl(&self) -> Verilog {
        let mut body = Vec::new();
        for k in 0..self.mults.len() {
            let (oa, ob, obt, oh) = Self::offsets(k);
            let port = |p: &str| sig(format!("mults${k}${p}"));
            body.push(S::Assignment(port("clock"), sig("clock".into())));
            body.push(S::Assignment(port("a"), slice("nbin", DW, oa)));
            body.push(S::Assignment(port("b"), slice("sb", DW, ob)));
            body.push(S::Assignment(port("bt"), slice("sb", DW, obt)));
            body.push(S::Assignment(port("h"), slice("hold", DW, oh)));
            body.push(S::Assignment(port("tr"), sig("tr".into())));
            body.push(S::Assignment(port("hs"), sig("hsel".into())));
            body.push(S::SliceAssignment {
                base: sig("prod".into()),
                width: AW,
                offset: E::Literal(((k * AW) as u32).into()),
                replacement: port("p"),
            });
        }
        Verilog::Combinatorial(body)
    }
}
