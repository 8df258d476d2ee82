//! NFU-2: Tn adder trees, accumulators with init select, max/sum lane modes,
//! and the `mul` mode (an odd step adds the lane's diagonal NFU-1 product
//! `NBin[n] * hold[n]`; an even step adds nothing; `in=bias` is shifted by
//! `frac` as for mac).
//!
//! Each lane sums its Tn products; the sum is kept modulo 2^32, which is
//! exactly what the accumulator keeps (the accumulation wraps modulo 2^32 and
//! wrapping addition is associative), so the low 32 bits of the exact
//! 32 + log2 Tn bit tree sum are all that is needed. The accumulator is a
//! register updated in the first NFU-2 cycle; D2 - 1 more register stages
//! follow.

use super::{Ctl, Delay};
use crate::widths::*;
use arch::isa::{AccIn, NfuOp};
use rust_hdl::prelude::*;

/// One lane: adder tree, init select, accumulator register.
#[derive(LogicBlock)]
pub struct Nfu2Lane<const LPW: usize, const RW: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// This lane's Tn products (32 bits each).
    pub prods: Signal<In, Bits<LPW>>,
    /// NBin word of this lane (max / avg step value).
    pub x: Signal<In, Bits<DW>>,
    /// NBout entry of this lane (init `nbout`).
    pub nb: Signal<In, Bits<AW>>,
    /// Bias word of this lane (init `bias`).
    pub bias: Signal<In, Bits<DW>>,
    /// Step present.
    pub valid: Signal<In, Bit>,
    /// First step of an output: start from the init value.
    pub first: Signal<In, Bit>,
    /// `mul`: odd step (accumulate this lane's diagonal product `hold * NBin`).
    pub odd: Signal<In, Bit>,
    /// Opcode.
    pub op: Signal<In, Bits<OPW>>,
    /// Init selector.
    pub acc_in: Signal<In, Bits<INW>>,
    /// Accumulator (register output), placed at this lane's position in a row.
    pub acc: Signal<Out, Bits<RW>>,
    k_pos: Constant<Bits<KW>>,
    k_diag: Constant<Bits<KW>>,
    k_aw: Constant<Bits<KW>>,
    k_frac: Constant<Bits<KW>>,
    k_mac: Constant<Bits<OPW>>,
    k_max: Constant<Bits<OPW>>,
    k_mul: Constant<Bits<OPW>>,
    k_in_nbout: Constant<Bits<INW>>,
    k_in_bias: Constant<Bits<INW>>,
    k_min: Constant<Bits<AW>>,
    k_s16: Constant<Bits<DW>>,
    k_s16w: Constant<Bits<AW>>,
    sum: Signal<Local, Bits<AW>>,
    xs: Signal<Local, Bits<AW>>,
    bs: Signal<Local, Bits<AW>>,
    bsh: Signal<Local, Bits<AW>>,
    step: Signal<Local, Bits<AW>>,
    init: Signal<Local, Bits<AW>>,
    base: Signal<Local, Bits<AW>>,
    nxt: Signal<Local, Bits<AW>>,
    areg: DFF<Bits<AW>>,
}

impl<const LPW: usize, const RW: usize> Nfu2Lane<LPW, RW> {
    /// Lane `n` with `frac` fraction bits.
    pub fn new(n: usize, frac: u32) -> Self {
        let sign16 = 1u64 << (DW - 1);
        Self {
            clock: Default::default(),
            prods: Default::default(),
            x: Default::default(),
            nb: Default::default(),
            bias: Default::default(),
            valid: Default::default(),
            first: Default::default(),
            odd: Default::default(),
            op: Default::default(),
            acc_in: Default::default(),
            acc: Default::default(),
            k_pos: Constant::new(((n * AW) as u64).into()),
            k_diag: Constant::new(((n * AW) as u64).into()),
            k_aw: Constant::new((AW as u64).into()),
            k_frac: Constant::new((frac as u64).into()),
            k_mac: Constant::new(op_code(NfuOp::Mac).into()),
            k_max: Constant::new(op_code(NfuOp::Max).into()),
            k_mul: Constant::new(op_code(NfuOp::Mul).into()),
            k_in_nbout: Constant::new(acc_in_code(AccIn::Nbout).into()),
            k_in_bias: Constant::new(acc_in_code(AccIn::Bias).into()),
            k_min: Constant::new((1u64 << (AW - 1)).into()),
            k_s16: Constant::new(sign16.into()),
            k_s16w: Constant::new(sign16.into()),
            sum: Default::default(),
            xs: Default::default(),
            bs: Default::default(),
            bsh: Default::default(),
            step: Default::default(),
            init: Default::default(),
            base: Default::default(),
            nxt: Default::default(),
            areg: Default::default(),
        }
    }
}

impl<const LPW: usize, const RW: usize> Logic for Nfu2Lane<LPW, RW> {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, areg);
        self.sum.next = 0.into();
        for i in 0..(LPW / AW) {
            self.sum.next =
                self.sum.val() + self.prods.val().get_bits::<AW>(i * self.k_aw.val().index());
        }
        self.xs.next = bit_cast::<AW, DW>(self.x.val() ^ self.k_s16.val()) - self.k_s16w.val();
        self.bs.next = bit_cast::<AW, DW>(self.bias.val() ^ self.k_s16.val()) - self.k_s16w.val();
        if self.op.val() == self.k_mac.val() {
            // isa: nfu.mac (adder tree over the lane products)
            self.bsh.next = self.bs.val() << self.k_frac.val();
            self.step.next = self.sum.val();
        } else if self.op.val() == self.k_mul.val() {
            // isa: nfu.mul: only the diagonal product (NBin[n] * hold[n]) of an odd step
            self.bsh.next = self.bs.val() << self.k_frac.val();
            if self.odd.val() {
                self.step.next = self.prods.val().get_bits::<AW>(self.k_diag.val().index());
            } else {
                self.step.next = 0.into();
            }
        } else {
            // isa: nfu.max, nfu.avg (one NBin word per lane)
            self.bsh.next = self.bs.val();
            self.step.next = self.xs.val();
        }
        if self.acc_in.val() == self.k_in_nbout.val() {
            self.init.next = self.nb.val();
        } else if self.acc_in.val() == self.k_in_bias.val() {
            self.init.next = self.bsh.val();
        } else if self.op.val() == self.k_max.val() {
            self.init.next = self.k_min.val();
        } else {
            self.init.next = 0.into();
        }
        if self.first.val() {
            self.base.next = self.init.val();
        } else {
            self.base.next = self.areg.q.val();
        }
        if self.op.val() == self.k_max.val() {
            if (self.base.val() ^ self.k_min.val()) < (self.step.val() ^ self.k_min.val()) {
                self.nxt.next = self.step.val();
            } else {
                self.nxt.next = self.base.val();
            }
        } else {
            self.nxt.next = self.base.val() + self.step.val();
        }
        if self.valid.val() {
            self.areg.d.next = self.nxt.val();
        } else {
            self.areg.d.next = self.areg.q.val();
        }
        self.acc.next = bit_cast::<RW, AW>(self.areg.q.val()) << self.k_pos.val();
    }
}

/// NFU-2 for Tn lanes. `NW = Tn*16`, `PW = Tn*Tn*32`, `LPW = Tn*32`, `RW = Tn*32`.
///
/// Inputs are sampled in cycle t; `acc` and `octl` show the result in cycle
/// t + D2. `octl.valid` = `ctl.valid && ctl.last` (an output is complete).
#[derive(LogicBlock)]
pub struct Nfu2<const NW: usize, const PW: usize, const LPW: usize, const RW: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Step control.
    pub ctl: Signal<In, Ctl>,
    /// Products from NFU-1.
    pub prod: Signal<In, Bits<PW>>,
    /// NBin row (max / avg operands).
    pub nbin: Signal<In, Bits<NW>>,
    /// NBout entries (init `nbout`).
    pub nbout: Signal<In, Bits<RW>>,
    /// Bias row (init `bias`).
    pub bias: Signal<In, Bits<NW>>,
    /// Accumulators, D2 cycles later.
    pub acc: Signal<Out, Bits<RW>>,
    /// Output control, D2 cycles later.
    pub octl: Signal<Out, Ctl>,
    k_dw: Constant<Bits<KW>>,
    k_aw: Constant<Bits<KW>>,
    k_lpw: Constant<Bits<KW>>,
    lanes: Vec<Nfu2Lane<LPW, RW>>,
    row: Signal<Local, Bits<RW>>,
    cnext: Signal<Local, Ctl>,
    creg: DFF<Ctl>,
    dacc: Delay<Bits<RW>>,
    dctl: Delay<Ctl>,
}

impl<const NW: usize, const PW: usize, const LPW: usize, const RW: usize> Nfu2<NW, PW, LPW, RW> {
    /// NFU-2 of width `tn`, depth `d2` >= 1, `frac` fraction bits. Panics on mismatched widths.
    pub fn new(tn: usize, d2: usize, frac: u32) -> Self {
        assert_eq!(
            (NW, PW, LPW, RW),
            (tn * DW, tn * tn * AW, tn * AW, tn * AW),
            "Nfu2 widths do not match Tn = {tn}"
        );
        assert!(d2 >= 1, "D2 must be at least 1");
        Self {
            clock: Default::default(),
            ctl: Default::default(),
            prod: Default::default(),
            nbin: Default::default(),
            nbout: Default::default(),
            bias: Default::default(),
            acc: Default::default(),
            octl: Default::default(),
            k_dw: Constant::new((DW as u64).into()),
            k_aw: Constant::new((AW as u64).into()),
            k_lpw: Constant::new((LPW as u64).into()),
            lanes: (0..tn).map(|n| Nfu2Lane::new(n, frac)).collect(),
            row: Default::default(),
            cnext: Default::default(),
            creg: Default::default(),
            dacc: Delay::new(d2 - 1),
            dctl: Delay::new(d2 - 1),
        }
    }
}

impl<const NW: usize, const PW: usize, const LPW: usize, const RW: usize> Logic
    for Nfu2<NW, PW, LPW, RW>
{
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, creg, dacc, dctl);
        self.row.next = 0.into();
        for n in 0..self.lanes.len() {
            self.lanes[n].clock.next = self.clock.val();
            self.lanes[n].prods.next = self
                .prod
                .val()
                .get_bits::<LPW>(n * self.k_lpw.val().index());
            self.lanes[n].x.next = self.nbin.val().get_bits::<DW>(n * self.k_dw.val().index());
            self.lanes[n].nb.next = self.nbout.val().get_bits::<AW>(n * self.k_aw.val().index());
            self.lanes[n].bias.next = self.bias.val().get_bits::<DW>(n * self.k_dw.val().index());
            self.lanes[n].valid.next = self.ctl.val().valid;
            self.lanes[n].first.next = self.ctl.val().first;
            self.lanes[n].odd.next = self.ctl.val().odd;
            self.lanes[n].op.next = self.ctl.val().op;
            self.lanes[n].acc_in.next = self.ctl.val().acc_in;
            self.row.next = self.row.val() | self.lanes[n].acc.val();
        }
        self.cnext.next = self.ctl.val();
        self.cnext.next.valid = self.ctl.val().valid && self.ctl.val().last;
        self.creg.d.next = self.cnext.val();
        self.dctl.d.next = self.creg.q.val();
        self.dacc.d.next = self.row.val();
        self.acc.next = self.dacc.q.val();
        self.octl.next = self.dctl.q.val();
    }
}
