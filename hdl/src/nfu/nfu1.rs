//! NFU-1: Tn x Tn signed 16 x 16 -> 32 multipliers, D1 register stages.
//!
//! Multiplier `k = n * Tn + i` (lane n, input i) multiplies NBin word i by SB
//! word `n * Tn + i` (or `i * Tn + n` when `tr` = 1). Its product sits at
//! bits `[k * 32, k * 32 + 32)` of `prod`, D1 cycles after `nbin`/`sb`/`tr`
//! were presented.

use super::delay::Delay;
use super::width::*;
use rust_hdl::prelude::*;

/// One multiplier: selects its operands from the row buses, multiplies, and
/// delays the product by D1 cycles.
#[derive(LogicBlock)]
pub struct Mul<const NW: usize, const SW: usize, const PW: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// NBin row (Tn data words).
    pub nbin: Signal<In, Bits<NW>>,
    /// SB row (Tn x Tn data words).
    pub sb: Signal<In, Bits<SW>>,
    /// Transposed SB read.
    pub tr: Signal<In, Bit>,
    /// Product, D1 cycles later, shifted to its place in the product bus.
    pub p: Signal<Out, Bits<PW>>,
    k_pos: Constant<Bits<KW>>,
    k_a: Constant<Bits<KW>>,
    k_b: Constant<Bits<KW>>,
    k_bt: Constant<Bits<KW>>,
    a: Signal<Local, Signed<DW>>,
    b: Signal<Local, Signed<DW>>,
    m: Signal<Local, Signed<AW>>,
    pipe: Delay<Bits<AW>>,
}

impl<const NW: usize, const SW: usize, const PW: usize> Mul<NW, SW, PW> {
    /// Multiplier for lane `n`, input `i` of a `tn`-wide NFU with `d1` stages.
    pub fn new(tn: usize, n: usize, i: usize, d1: usize) -> Self {
        Self {
            clock: Default::default(),
            nbin: Default::default(),
            sb: Default::default(),
            tr: Default::default(),
            p: Default::default(),
            k_pos: Constant::new((((n * tn + i) * AW) as u64).into()),
            k_a: Constant::new(((i * DW) as u64).into()),
            k_b: Constant::new((((n * tn + i) * DW) as u64).into()),
            k_bt: Constant::new((((i * tn + n) * DW) as u64).into()),
            a: Default::default(),
            b: Default::default(),
            m: Default::default(),
            pipe: Delay::new(d1),
        }
    }
}

impl<const NW: usize, const SW: usize, const PW: usize> Logic for Mul<NW, SW, PW> {
    #[hdl_gen]
    fn update(&mut self) {
        self.pipe.clock.next = self.clock.val();
        self.a.next = signed_cast(self.nbin.val().get_bits::<DW>(self.k_a.val().index()));
        if self.tr.val() {
            self.b.next = signed_cast(self.sb.val().get_bits::<DW>(self.k_bt.val().index()));
        } else {
            self.b.next = signed_cast(self.sb.val().get_bits::<DW>(self.k_b.val().index()));
        }
        self.m.next = self.a.val() * self.b.val();
        self.pipe.d.next = unsigned_cast(self.m.val());
        self.p.next = bit_cast::<PW, AW>(self.pipe.q.val()) << self.k_pos.val();
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
    /// All Tn*Tn products, D1 cycles later.
    pub prod: Signal<Out, Bits<PW>>,
    mults: Vec<Mul<NW, SW, PW>>,
}

impl<const NW: usize, const SW: usize, const PW: usize> Nfu1<NW, SW, PW> {
    /// NFU-1 of width `tn` with `d1` stages. Panics if the widths disagree with `tn`.
    pub fn new(tn: usize, d1: usize) -> Self {
        assert_eq!(
            (NW, SW, PW),
            (tn * DW, tn * tn * DW, tn * tn * AW),
            "Nfu1 widths do not match Tn = {tn}"
        );
        let mults = (0..tn * tn)
            .map(|k| Mul::new(tn, k / tn, k % tn, d1))
            .collect();
        Self {
            clock: Default::default(),
            nbin: Default::default(),
            sb: Default::default(),
            tr: Default::default(),
            prod: Default::default(),
            mults,
        }
    }
}

impl<const NW: usize, const SW: usize, const PW: usize> Logic for Nfu1<NW, SW, PW> {
    #[hdl_gen]
    fn update(&mut self) {
        self.prod.next = 0.into();
        for k in 0..self.mults.len() {
            self.mults[k].clock.next = self.clock.val();
            self.mults[k].nbin.next = self.nbin.val();
            self.mults[k].sb.next = self.sb.val();
            self.mults[k].tr.next = self.tr.val();
            self.prod.next = self.prod.val() | self.mults[k].p.val();
        }
    }
}
