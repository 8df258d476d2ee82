//! NFU-3: output conversion (round, saturate), piecewise-linear activation
//! (a ROM built from `arch::activation::rom(frac)`), saturation counting,
//! stochastic-rounding LFSRs; D3 register stages.
//!
//! The conversion and the activation are combinational from the NFU-2 output
//! of cycle t; the results appear D3 cycles later. All signed arithmetic is
//! done on two's-complement `Bits` (sign extension as `(x ^ s) - s`, range
//! checks as `x + 2^k < 2^(k+1)` unsigned) so that the emitted Verilog never
//! relies on signed compares or signed extension (see RUST-HDL.md).

use super::{Ctl, Delay};
use crate::widths::*;
use arch::activation::{rom, Activation, SEGMENTS};
use arch::fixed::{Data, Lfsr, Rounding, AVG_SCALE_SHIFT, LFSR_TAPS};
use arch::isa::NfuOp;
use rust_hdl::prelude::*;
use std::collections::BTreeMap;

fn k<const N: usize>(v: u64) -> Constant<Bits<N>> {
    Constant::new(v.into())
}

/// One lane of NFU-3 (combinational, plus its LFSR register).
#[derive(LogicBlock)]
pub struct Nfu3Lane<const RW: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset: load the LFSR with `Lfsr::lane_seed(seed, n)`.
    pub rst: Signal<In, Bit>,
    /// The run's stochastic-rounding seed (sampled with `rst`).
    pub seed: Signal<In, Seed>,
    /// Accumulator of this lane.
    pub acc: Signal<In, Bits<AW>>,
    /// An output is present.
    pub valid: Signal<In, Bit>,
    /// `out=act`.
    pub activate: Signal<In, Bit>,
    /// Opcode.
    pub op: Signal<In, Bits<OPW>>,
    /// Activation selector.
    pub act: Signal<In, Bits<ACTW>>,
    /// Rounding selector.
    pub round: Signal<In, Bits<RNDW>>,
    /// Average-pool scale.
    pub scale: Signal<In, Bits<SCW>>,
    /// Entry written to NBout, placed at this lane's position in a row.
    pub y: Signal<Out, Bits<RW>>,
    /// This lane saturated (conversion or activation) in a valid `out=act` output.
    pub sat: Signal<Out, Bit>,
    k_pos: Constant<Bits<KW>>,
    k_dw: Constant<Bits<KW>>,
    k_aw: Constant<Bits<KW>>,
    k_dtop: Constant<Bits<KW>>,
    k_xtop: Constant<Bits<KW>>,
    k_frac: Constant<Bits<KW>>,
    k_segw: Constant<Bits<KW>>,
    k_seed: Constant<Bits<AW>>,
    k_lane: Constant<Bits<AW>>,
    k_zero_aw: Constant<Bits<AW>>,
    k_zero_start: Constant<Bits<AW>>,
    k_taps: Constant<Bits<AW>>,
    k_avg: Constant<Bits<OPW>>,
    k_max: Constant<Bits<OPW>>,
    k_near: Constant<Bits<RNDW>>,
    k_stoch: Constant<Bits<RNDW>>,
    k_s16: Constant<Bits<DW>>,
    k_s16w: Constant<Bits<AW>>,
    k_min32: Constant<Bits<AW>>,
    k_2p31x: Constant<Bits<XW>>,
    k_2p15x: Constant<Bits<XW>>,
    k_2p16x: Constant<Bits<XW>>,
    k_zoff: Constant<Bits<XW>>,
    k_wmin: Constant<Bits<DW>>,
    k_wmax: Constant<Bits<DW>>,
    k_nseg: Constant<Bits<DW>>,
    k_segmax: Constant<Bits<SEGW>>,
    // per-op rounding constants: shift, half, mask, range offset, range limit
    k_sh_mac: Constant<Bits<KW>>,
    k_half_mac: Constant<Bits<XW>>,
    k_mask_mac: Constant<Bits<AW>>,
    k_off_mac: Constant<Bits<XW>>,
    k_lim_mac: Constant<Bits<XW>>,
    k_sh_avg: Constant<Bits<KW>>,
    k_half_avg: Constant<Bits<XW>>,
    k_mask_avg: Constant<Bits<AW>>,
    k_off_avg: Constant<Bits<XW>>,
    k_lim_avg: Constant<Bits<XW>>,
    lf: DFF<Bits<AW>>,
    start: Signal<Local, Bits<AW>>,
    state: Signal<Local, Bits<AW>>,
    stepped: Signal<Local, Bits<AW>>,
    lo: Signal<Local, Bits<DW>>,
    hi: Signal<Local, Bits<DW>>,
    p0: Signal<Local, Bits<AW>>,
    p1: Signal<Local, Bits<AW>>,
    v: Signal<Local, Bits<XW>>,
    sh: Signal<Local, Bits<KW>>,
    half: Signal<Local, Bits<XW>>,
    mask: Signal<Local, Bits<AW>>,
    off: Signal<Local, Bits<XW>>,
    lim: Signal<Local, Bits<XW>>,
    add: Signal<Local, Bits<XW>>,
    t: Signal<Local, Bits<XW>>,
    w: Signal<Local, Bits<DW>>,
    sat1: Signal<Local, Bit>,
    u: Signal<Local, Bits<DW>>,
    q: Signal<Local, Bits<DW>>,
    seg: Signal<Local, Bits<SEGW>>,
    shrom: ROM<Bits<KW>, ACTW>,
    lorom: ROM<Bits<DW>, ACTW>,
    abrom: ROM<Bits<KW>, ROMW>,
    a: Signal<Local, Signed<DW>>,
    xs: Signal<Local, Signed<DW>>,
    m: Signal<Local, Signed<AW>>,
    z: Signal<Local, Bits<XW>>,
    yy: Signal<Local, Bits<XW>>,
    y16: Signal<Local, Bits<DW>>,
    sat2: Signal<Local, Bit>,
    yo: Signal<Local, Bits<AW>>,
}

/// Why an NFU-3 table set cannot be built for a configuration.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum Nfu3Error {
    /// A table's segment shift leaves fewer than `SEGMENTS / 2` segments per sign.
    #[error("activation {0:?}: segment shift {1} too large for 16-bit inputs")]
    SegShift(Activation, u32),
}

impl<const RW: usize> Nfu3Lane<RW> {
    /// Lane `n` with `frac` fraction bits; `seed` (the preset's
    /// `lfsr_seed`) is the LFSR's power-on seed, until the first `rst`.
    pub fn new(n: usize, frac: u32, seed: u32) -> Result<Self, Nfu3Error> {
        let half = |sh: u32| if sh == 0 { 0 } else { 1u64 << (sh - 1) };
        let mask = |sh: u32| (1u64 << sh) - 1;
        let top = (DW - 1) as u32; // a data word fits iff v + 2^(sh+top) < 2^(sh+top+1)
        let tables = rom(frac);
        let mut shm = BTreeMap::new();
        let mut lom = BTreeMap::new();
        let mut abm = BTreeMap::new();
        for (ai, t) in tables.iter().enumerate() {
            if t.seg_shift > top || (1u64 << (top - t.seg_shift)) < (SEGMENTS / 2) as u64 {
                return Err(Nfu3Error::SegShift(Activation::ALL[ai], t.seg_shift));
            }
            let key = Bits::<ACTW>::from(ai as u64);
            shm.insert(key, Bits::<KW>::from(t.seg_shift as u64));
            lom.insert(
                key,
                Bits::<DW>::from((1u64 << (top - t.seg_shift)) - (SEGMENTS / 2) as u64),
            );
            for (s, (a, b)) in t.entries.iter().enumerate() {
                let addr = ((ai << SEGW) | s) as u64;
                let word = (*a as u16 as u64) | ((*b as u16 as u64) << DW);
                abm.insert(Bits::<ROMW>::from(addr), Bits::<KW>::from(word));
            }
        }
        let (shm_, sha) = (frac, AVG_SCALE_SHIFT);
        Ok(Self {
            clock: Default::default(),
            rst: Default::default(),
            seed: Default::default(),
            acc: Default::default(),
            valid: Default::default(),
            activate: Default::default(),
            op: Default::default(),
            act: Default::default(),
            round: Default::default(),
            scale: Default::default(),
            y: Default::default(),
            sat: Default::default(),
            k_pos: k((n * AW) as u64),
            k_dw: k(DW as u64),
            k_aw: k(AW as u64),
            k_dtop: k((DW - 1) as u64),
            k_xtop: k((XW - 1) as u64),
            k_frac: k(frac as u64),
            k_segw: k(SEGW as u64),
            k_seed: k(Lfsr::lane_seed(seed, n as u32) as u64),
            k_lane: k(Lfsr::lane_offset(n as u32) as u64),
            k_zero_aw: k(0),
            k_zero_start: k((Lfsr::ZERO_SEED_STATE ^ Lfsr::lane_seed(seed, n as u32)) as u64),
            k_taps: k(LFSR_TAPS as u64),
            k_avg: k(op_code(NfuOp::Avg)),
            k_max: k(op_code(NfuOp::Max)),
            k_near: k(round_code(Rounding::Nearest)),
            k_stoch: k(round_code(Rounding::Stochastic)),
            k_s16: k(1 << (DW - 1)),
            k_s16w: k(1 << (DW - 1)),
            k_min32: k(1 << (AW - 1)),
            k_2p31x: k(1 << (AW - 1)),
            k_2p15x: k(1 << (DW - 1)),
            k_2p16x: k(1 << DW),
            k_zoff: k((1u64 << (AW - 1)) >> frac),
            k_wmin: k(Data::MIN as u16 as u64),
            k_wmax: k(Data::MAX as u16 as u64),
            k_nseg: k(SEGMENTS as u64),
            k_segmax: k((SEGMENTS - 1) as u64),
            k_sh_mac: k(shm_ as u64),
            k_half_mac: k(half(shm_)),
            k_mask_mac: k(mask(shm_)),
            k_off_mac: k(1 << (shm_ + top)),
            k_lim_mac: k(1 << (shm_ + top + 1)),
            k_sh_avg: k(sha as u64),
            k_half_avg: k(half(sha)),
            k_mask_avg: k(mask(sha)),
            k_off_avg: k(1 << (sha + top)),
            k_lim_avg: k(1 << (sha + top + 1)),
            lf: Default::default(),
            start: Default::default(),
            state: Default::default(),
            stepped: Default::default(),
            lo: Default::default(),
            hi: Default::default(),
            p0: Default::default(),
            p1: Default::default(),
            v: Default::default(),
            sh: Default::default(),
            half: Default::default(),
            mask: Default::default(),
            off: Default::default(),
            lim: Default::default(),
            add: Default::default(),
            t: Default::default(),
            w: Default::default(),
            sat1: Default::default(),
            u: Default::default(),
            q: Default::default(),
            seg: Default::default(),
            shrom: ROM::new(shm),
            lorom: ROM::new(lom),
            abrom: ROM::new(abm),
            a: Default::default(),
            xs: Default::default(),
            m: Default::default(),
            z: Default::default(),
            yy: Default::default(),
            y16: Default::default(),
            sat2: Default::default(),
            yo: Default::default(),
        })
    }
}

impl<const RW: usize> Logic for Nfu3Lane<RW> {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, lf);
        // LFSR: the register holds state ^ k_seed (the power-on seed), so its
        // all-zero power-on value is that seed; `rst` loads
        // lane_seed(seed, n) = seed ^ lane_offset(n), or ZERO_SEED_STATE if 0.
        self.state.next = self.lf.q.val() ^ self.k_seed.val();
        if self.state.val().get_bit(0) {
            self.stepped.next = (self.state.val() >> 1) ^ self.k_taps.val();
        } else {
            self.stepped.next = self.state.val() >> 1;
        }
        self.start.next = self.seed.val() ^ self.k_lane.val();
        if self.rst.val() {
            if self.start.val() == self.k_zero_aw.val() {
                self.lf.d.next = self.k_zero_start.val();
            } else {
                self.lf.d.next = self.start.val() ^ self.k_seed.val();
            }
        } else if self.valid.val()
            && self.activate.val()
            && (self.round.val() == self.k_stoch.val())
        {
            self.lf.d.next = self.stepped.val() ^ self.k_seed.val();
        } else {
            self.lf.d.next = self.lf.q.val();
        }
        // Conversion to a data word.
        self.lo.next = self.acc.val().get_bits::<DW>(0);
        self.hi.next = self.acc.val().get_bits::<DW>(self.k_dw.val().index());
        self.p0.next = self.lo.val() * self.scale.val();
        self.p1.next = self.hi.val() * self.scale.val();
        if self.op.val() == self.k_avg.val() {
            if self.hi.val().get_bit(self.k_dtop.val().index()) {
                self.v.next = (bit_cast::<XW, AW>(self.p1.val()) << self.k_dw.val())
                    + bit_cast::<XW, AW>(self.p0.val())
                    - (bit_cast::<XW, SCW>(self.scale.val()) << self.k_aw.val());
            } else {
                self.v.next = (bit_cast::<XW, AW>(self.p1.val()) << self.k_dw.val())
                    + bit_cast::<XW, AW>(self.p0.val());
            }
            self.sh.next = self.k_sh_avg.val();
            self.half.next = self.k_half_avg.val();
            self.mask.next = self.k_mask_avg.val();
            self.off.next = self.k_off_avg.val();
            self.lim.next = self.k_lim_avg.val();
        } else if self.op.val() == self.k_max.val() {
            self.v.next =
                bit_cast::<XW, AW>(self.acc.val() ^ self.k_min32.val()) - self.k_2p31x.val();
            self.sh.next = 0.into();
            self.half.next = 0.into();
            self.mask.next = 0.into();
            self.off.next = self.k_2p15x.val();
            self.lim.next = self.k_2p16x.val();
        } else {
            self.v.next =
                bit_cast::<XW, AW>(self.acc.val() ^ self.k_min32.val()) - self.k_2p31x.val();
            self.sh.next = self.k_sh_mac.val();
            self.half.next = self.k_half_mac.val();
            self.mask.next = self.k_mask_mac.val();
            self.off.next = self.k_off_mac.val();
            self.lim.next = self.k_lim_mac.val();
        }
        if self.round.val() == self.k_near.val() {
            self.add.next = self.half.val();
        } else if self.round.val() == self.k_stoch.val() {
            self.add.next = bit_cast::<XW, AW>(self.stepped.val() & self.mask.val());
        } else {
            self.add.next = 0.into();
        }
        self.t.next = self.v.val() + self.add.val();
        if (self.t.val() + self.off.val()) < self.lim.val() {
            self.w.next = self.t.val().get_bits::<DW>(self.sh.val().index());
            self.sat1.next = false;
        } else if self.t.val().get_bit(self.k_xtop.val().index()) {
            self.w.next = self.k_wmin.val();
            self.sat1.next = true;
        } else {
            self.w.next = self.k_wmax.val();
            self.sat1.next = true;
        }
        // Piecewise-linear activation.
        self.shrom.address.next = self.act.val();
        self.lorom.address.next = self.act.val();
        self.u.next = self.w.val() ^ self.k_s16.val();
        self.q.next = self.u.val() >> self.shrom.data.val();
        if self.q.val() < self.lorom.data.val() {
            self.seg.next = 0.into();
        } else if self.q.val() >= (self.lorom.data.val() + self.k_nseg.val()) {
            self.seg.next = self.k_segmax.val();
        } else {
            self.seg.next = bit_cast::<SEGW, DW>(self.q.val() - self.lorom.data.val());
        }
        self.abrom.address.next = (bit_cast::<ROMW, ACTW>(self.act.val()) << self.k_segw.val())
            | bit_cast::<ROMW, SEGW>(self.seg.val());
        self.a.next = signed_cast(self.abrom.data.val().get_bits::<DW>(0));
        self.xs.next = signed_cast(self.w.val());
        self.m.next = self.a.val() * self.xs.val();
        self.z.next = (bit_cast::<XW, AW>(unsigned_cast(self.m.val()) ^ self.k_min32.val())
            >> self.k_frac.val())
            - self.k_zoff.val();
        self.yy.next = self.z.val()
            + bit_cast::<XW, DW>(
                self.abrom
                    .data
                    .val()
                    .get_bits::<DW>(self.k_dw.val().index())
                    ^ self.k_s16.val(),
            )
            - self.k_2p15x.val();
        if (self.yy.val() + self.k_2p15x.val()) < self.k_2p16x.val() {
            self.y16.next = self.yy.val().get_bits::<DW>(0);
            self.sat2.next = false;
        } else if self.yy.val().get_bit(self.k_xtop.val().index()) {
            self.y16.next = self.k_wmin.val();
            self.sat2.next = true;
        } else {
            self.y16.next = self.k_wmax.val();
            self.sat2.next = true;
        }
        if self.activate.val() {
            self.yo.next =
                bit_cast::<AW, DW>(self.y16.val() ^ self.k_s16.val()) - self.k_s16w.val();
        } else {
            self.yo.next = self.acc.val();
        }
        self.y.next = bit_cast::<RW, AW>(self.yo.val()) << self.k_pos.val();
        self.sat.next =
            self.valid.val() && self.activate.val() && (self.sat1.val() || self.sat2.val());
    }
}

/// NFU-3 for Tn lanes (`RW = Tn*32`): inputs sampled in cycle t, results in
/// cycle t + D3.
#[derive(LogicBlock)]
pub struct Nfu3<const RW: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset: loads lane n's LFSR with `Lfsr::lane_seed(seed, n)`.
    pub rst: Signal<In, Bit>,
    /// The run's stochastic-rounding seed (sampled with `rst`).
    pub seed: Signal<In, Seed>,
    /// Output control from NFU-2 (`valid` = an output is present).
    pub ctl: Signal<In, Ctl>,
    /// Accumulators from NFU-2.
    pub acc: Signal<In, Bits<RW>>,
    /// Control, D3 cycles later.
    pub octl: Signal<Out, Ctl>,
    /// NBout entries to write, D3 cycles later.
    pub data: Signal<Out, Bits<RW>>,
    /// Lanes that saturated, D3 cycles later (counted one cycle after the
    /// conversion, from registered flags).
    pub sat: Signal<Out, Bits<SATW>>,
    k_aw: Constant<Bits<KW>>,
    k_one: Constant<Bits<SATW>>,
    lanes: Vec<Nfu3Lane<RW>>,
    row: Signal<Local, Bits<RW>>,
    cnt: Signal<Local, Bits<SATW>>,
    /// Each lane's saturation flag, one cycle later: the count is taken from
    /// registers, off the conversion's critical path.
    dflags: Vec<Delay<Bit>>,
    dctl: Delay<Ctl>,
    ddata: Delay<Bits<RW>>,
    dsat: Delay<Bits<SATW>>,
}

impl<const RW: usize> Nfu3<RW> {
    /// NFU-3 of width `tn`, depth `d3` >= 1.
    pub fn new(tn: usize, d3: usize, frac: u32, seed: u32) -> Result<Self, Nfu3Error> {
        assert_eq!(RW, tn * AW, "Nfu3 width does not match Tn = {tn}");
        assert!(d3 >= 1, "D3 must be at least 1");
        Ok(Self {
            clock: Default::default(),
            rst: Default::default(),
            seed: Default::default(),
            ctl: Default::default(),
            acc: Default::default(),
            octl: Default::default(),
            data: Default::default(),
            sat: Default::default(),
            k_aw: k(AW as u64),
            k_one: k(1),
            lanes: (0..tn)
                .map(|n| Nfu3Lane::new(n, frac, seed))
                .collect::<Result<_, _>>()?,
            row: Default::default(),
            cnt: Default::default(),
            dflags: (0..tn).map(|_| Delay::new(1)).collect(),
            dctl: Delay::new(d3),
            ddata: Delay::new(d3),
            dsat: Delay::new(d3 - 1),
        })
    }
}

impl<const RW: usize> Logic for Nfu3<RW> {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, dctl, ddata, dsat);
        self.row.next = 0.into();
        self.cnt.next = 0.into();
        for n in 0..self.lanes.len() {
            self.lanes[n].clock.next = self.clock.val();
            self.lanes[n].rst.next = self.rst.val();
            self.lanes[n].seed.next = self.seed.val();
            self.lanes[n].acc.next = self.acc.val().get_bits::<AW>(n * self.k_aw.val().index());
            self.lanes[n].valid.next = self.ctl.val().valid;
            self.lanes[n].activate.next = self.ctl.val().activate;
            self.lanes[n].op.next = self.ctl.val().op;
            self.lanes[n].act.next = self.ctl.val().act;
            self.lanes[n].round.next = self.ctl.val().round;
            self.lanes[n].scale.next = self.ctl.val().scale;
            self.row.next = self.row.val() | self.lanes[n].y.val();
            self.dflags[n].clock.next = self.clock.val();
            self.dflags[n].d.next = self.lanes[n].sat.val();
            if self.dflags[n].q.val() {
                self.cnt.next = self.cnt.val() + self.k_one.val();
            }
        }
        self.dctl.d.next = self.ctl.val();
        self.ddata.d.next = self.row.val();
        self.dsat.d.next = self.cnt.val();
        self.octl.next = self.dctl.q.val();
        self.data.next = self.ddata.q.val();
        self.sat.next = self.dsat.q.val();
    }
}
