//! NFU sequencer: op queue, start conditions (loads done, store wait, the
//! overlap rule), the 4-level address generation (py, px, ky, i), the bias
//! cycle, issue timing and the NBout write cycle (last issue of an output + D).
//! Drives a datapath through [`NfuCtl`]-style signals (registered, one cycle
//! after the issue cycle, aligned with the buffers' read data).
//!
//! Several ops can be in flight (docs/microarchitecture.md, "Dependency
//! bookkeeping", overlap rule): an op starts at the earliest the cycle after
//! the previous op's last issue, while the previous op's outputs are still in
//! NFU-1..3. The write pipe `wpipe` carries every issued output until its
//! NBout write (`wpipe[j].q` in cycle s: the output whose last step issued in
//! cycle s-1-j, written at the end of s-1-j+D), so its valid entries are
//! exactly the outputs pending in cycle s, which rule (b) checks against the
//! head op's first D NBout rows; an entry also marks an op's last output, and
//! the op completes when that entry leaves the pipe (ops complete in order).
//! The datapath control `d_*` comes from `ent` (the most recently started
//! op), which switches at the end of a start cycle s; the previous op's last
//! step, issued in s-1 at the latest, is presented in s and still sees its
//! own op, and every later stage carries its control with the data
//! (`core::nfu::Ctl`).

use super::queue::Queue;
use crate::widths::*;
use arch::isa::{AccIn, NfuOp};
use arch::AccelConfig;
use rust_hdl::prelude::*;

/// The sequencer. `Q` = queue depth, `D` = `AccelConfig::nfu_latency()`,
/// `A*` = buffer address widths.
#[derive(LogicBlock)]
pub struct NfuSeq<const Q: usize, const D: usize, const AI: usize, const AS: usize, const AO: usize>
{
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous clear.
    pub clr: Signal<In, bool>,
    /// Append an entry (from `cp`).
    pub push: Signal<In, bool>,
    /// Entry to append.
    pub din: Signal<In, Bits<NFU_ENTRY_BITS>>,
    /// Queue full (state at the start of the cycle).
    pub full: Signal<Out, bool>,
    /// Queue not empty.
    pub pending: Signal<Out, bool>,
    q: Queue<NFU_ENTRY_BITS, Q>,
    /// Completion counters of the DMAs.
    pub nbin_done: Signal<In, Cnt>,
    /// SB loads done.
    pub sb_done: Signal<In, Cnt>,
    /// NBout loads done.
    pub nbl_done: Signal<In, Cnt>,
    /// NBout stores done.
    pub nbs_done: Signal<In, Cnt>,
    /// NBin read row.
    pub nbin_raddr: Signal<Out, Bits<AI>>,
    /// SB read row.
    pub sb_raddr: Signal<Out, Bits<AS>>,
    /// NBout read row (port A).
    pub nbout_raddr: Signal<Out, Bits<AO>>,
    /// Datapath control, one cycle after issue: a row pair arrives.
    pub d_valid: Signal<Out, bool>,
    /// First step of an output.
    pub d_first: Signal<Out, bool>,
    /// Last step of an output.
    pub d_last: Signal<Out, bool>,
    /// The SB data is the bias row.
    pub d_bias: Signal<Out, bool>,
    /// The step's index `k = ky*ni + i` within its output is odd (`mul` pairs).
    pub d_odd: Signal<Out, bool>,
    /// Op fields of the op whose step is presented (the most recently
    /// started op: they switch at the end of its start cycle, after the
    /// previous op's last step was presented).
    pub d_op: Signal<Out, Bits<OPW>>,
    /// `in`.
    pub d_in: Signal<Out, Bits<INW>>,
    /// `out` (1 = act).
    pub d_out: Signal<Out, bool>,
    /// `act`.
    pub d_act: Signal<Out, Bits<ACTW>>,
    /// `round`.
    pub d_round: Signal<Out, Bits<RNDW>>,
    /// `tr`.
    pub d_tr: Signal<Out, bool>,
    /// `scale`.
    pub d_scale: Signal<Out, Bits<SCW>>,
    /// NBout write (end of this cycle) and its row; data from the datapath.
    pub wr_en: Signal<Out, bool>,
    /// NBout write row.
    pub wr_addr: Signal<Out, Bits<AO>>,
    /// Ops completed.
    pub done: Signal<Out, Cnt>,
    /// Some op is started and not complete (ops in flight, counted from the
    /// cycle after its start cycle to its completion cycle).
    pub active: Signal<Out, bool>,
    /// `nfu.busy`: issue or bias cycle.
    pub busy: Signal<Out, bool>,
    /// `nfu.seq`: sequence number of the most recently started op, from its
    /// start cycle to the cycle before its completion cycle (as the simulator
    /// traces it), else 0; an earlier op's completion does not change it.
    pub seq: Signal<Out, Pc>,
    /// A visible head op waits for the overlap rule (`nfu_stall_drain`): the
    /// previous op is still issuing, or (`in=nbout`) a pending output targets
    /// one of its first D NBout rows.
    pub stall_drain: Signal<Out, bool>,
    /// A visible head op waits for a load (`nfu_stall_load`; the overlap rule holds).
    pub stall_load: Signal<Out, bool>,
    /// A visible head op waits for its store wait (`nfu_stall_store`; the overlap rule holds and loads are done).
    pub stall_store: Signal<Out, bool>,
    /// An issue cycle (one row pair; `nbin_reads`).
    pub ev_issue: Signal<Out, bool>,
    /// A bias cycle (its SB row read; `sb_reads`, `nfu_busy`).
    pub ev_bias: Signal<Out, bool>,
    /// A `mac` issue (`macs`, `nfu2_ops` Tn x Tn; `sb_reads`).
    pub ev_mac: Signal<Out, bool>,
    /// The issue of an odd `mul` step (`macs` Tn).
    pub ev_mul_odd: Signal<Out, bool>,
    /// The first step of an `in=nbout` output issues (an NBout port-A read).
    pub ev_nbout_read: Signal<Out, bool>,
    /// The last step of an `out=act` output issues (`nfu3_ops` Tn).
    pub ev_act_out: Signal<Out, bool>,
    /// Ops in flight: started (end of the start cycle) and not complete.
    nact: DFF<Bits<LATW>>,
    issuing: DFF<bool>,
    ent: DFF<Bits<NFU_ENTRY_BITS>>,
    i: DFF<Count>,
    ky: DFF<Count>,
    px: DFF<Count>,
    py: DFF<Count>,
    b_py: DFF<Row>,
    b_px: DFF<Row>,
    b_ky: DFF<Row>,
    sbc: DFF<Row>,
    outc: DFF<Row>,
    donec: DFF<Cnt>,
    dv: DFF<bool>,
    dfirst: DFF<bool>,
    dlast: DFF<bool>,
    dbias: DFF<bool>,
    par: DFF<bool>,
    dodd: DFF<bool>,
    wpipe: Vec<DFF<Bits<WPW>>>,
    wlast: Signal<Local, Bits<WPW>>,
    /// An op's last output is written this cycle: the op completes.
    cmpl: Signal<Local, bool>,
    /// Overlap rule (b): the head's first NBout row (`nbout`).
    h_lo: Signal<Local, Row>,
    /// A pending output targets a row in `[nbout, nbout + D)` of the head.
    hz: Signal<Local, bool>,
    /// The overlap rule fails for the head op (not (a), or not (b)).
    ovl_hold: Signal<Local, bool>,
    /// The overlap rule holds for the head op ((a) and (b)).
    ovl_ok: Signal<Local, bool>,
    d1: Signal<Local, Cnt>,
    d2: Signal<Local, Cnt>,
    d3: Signal<Local, Cnt>,
    d4: Signal<Local, Cnt>,
    start: Signal<Local, bool>,
    e: Signal<Local, Bits<NFU_ENTRY_BITS>>,
    bias_in: Signal<Local, bool>,
    issue: Signal<Local, bool>,
    e_i: Signal<Local, Count>,
    e_ky: Signal<Local, Count>,
    e_px: Signal<Local, Count>,
    e_py: Signal<Local, Count>,
    e_bpy: Signal<Local, Row>,
    e_bpx: Signal<Local, Row>,
    e_bky: Signal<Local, Row>,
    e_sbc: Signal<Local, Row>,
    e_outc: Signal<Local, Row>,
    e_par: Signal<Local, bool>,
    first: Signal<Local, bool>,
    last: Signal<Local, bool>,
    fin_issue: Signal<Local, bool>,
    loads_ok: Signal<Local, bool>,
    store_ok: Signal<Local, bool>,
    k_bias: Constant<Bits<INW>>,
    k_in_nbout: Constant<Bits<INW>>,
    k_mac: Constant<Bits<OPW>>,
    k_mul: Constant<Bits<OPW>>,
    k_dr: Constant<Row>,
    k_wvalid: Constant<Bits<WPW>>,
    k_wlast: Constant<Bits<WPW>>,
}

impl<const Q: usize, const D: usize, const AI: usize, const AS: usize, const AO: usize>
    NfuSeq<Q, D, AI, AS, AO>
{
    /// A sequencer for `cfg` (checks D against `cfg.nfu_latency()`).
    pub fn new(cfg: &AccelConfig) -> Self {
        assert_eq!(D as u32, cfg.nfu_latency(), "D must equal nfu_latency");
        assert_eq!(Q as u32, cfg.queue_depth);
        assert!(D < (1usize << ROWW), "D fits a row difference");
        Self {
            clock: Default::default(),
            clr: Default::default(),
            push: Default::default(),
            din: Default::default(),
            full: Default::default(),
            pending: Default::default(),
            q: Default::default(),
            nbin_done: Default::default(),
            sb_done: Default::default(),
            nbl_done: Default::default(),
            nbs_done: Default::default(),
            nbin_raddr: Default::default(),
            sb_raddr: Default::default(),
            nbout_raddr: Default::default(),
            d_valid: Default::default(),
            d_first: Default::default(),
            d_last: Default::default(),
            d_bias: Default::default(),
            d_odd: Default::default(),
            d_op: Default::default(),
            d_in: Default::default(),
            d_out: Default::default(),
            d_act: Default::default(),
            d_round: Default::default(),
            d_tr: Default::default(),
            d_scale: Default::default(),
            wr_en: Default::default(),
            wr_addr: Default::default(),
            done: Default::default(),
            active: Default::default(),
            busy: Default::default(),
            seq: Default::default(),
            stall_drain: Default::default(),
            stall_load: Default::default(),
            stall_store: Default::default(),
            ev_issue: Default::default(),
            ev_bias: Default::default(),
            ev_mac: Default::default(),
            ev_mul_odd: Default::default(),
            ev_nbout_read: Default::default(),
            ev_act_out: Default::default(),
            nact: Default::default(),
            issuing: Default::default(),
            ent: Default::default(),
            i: Default::default(),
            ky: Default::default(),
            px: Default::default(),
            py: Default::default(),
            b_py: Default::default(),
            b_px: Default::default(),
            b_ky: Default::default(),
            sbc: Default::default(),
            outc: Default::default(),
            donec: Default::default(),
            dv: Default::default(),
            dfirst: Default::default(),
            dlast: Default::default(),
            dbias: Default::default(),
            par: Default::default(),
            dodd: Default::default(),
            wpipe: (0..D).map(|_| DFF::default()).collect(),
            wlast: Default::default(),
            cmpl: Default::default(),
            h_lo: Default::default(),
            hz: Default::default(),
            ovl_hold: Default::default(),
            ovl_ok: Default::default(),
            d1: Default::default(),
            d2: Default::default(),
            d3: Default::default(),
            d4: Default::default(),
            start: Default::default(),
            e: Default::default(),
            bias_in: Default::default(),
            issue: Default::default(),
            e_i: Default::default(),
            e_ky: Default::default(),
            e_px: Default::default(),
            e_py: Default::default(),
            e_bpy: Default::default(),
            e_bpx: Default::default(),
            e_bky: Default::default(),
            e_sbc: Default::default(),
            e_outc: Default::default(),
            e_par: Default::default(),
            first: Default::default(),
            last: Default::default(),
            fin_issue: Default::default(),
            loads_ok: Default::default(),
            store_ok: Default::default(),
            k_bias: Constant::new(acc_in_code(AccIn::Bias).into()),
            k_in_nbout: Constant::new(acc_in_code(AccIn::Nbout).into()),
            k_mac: Constant::new(op_code(NfuOp::Mac).into()),
            k_mul: Constant::new(op_code(NfuOp::Mul).into()),
            k_dr: Constant::new((D as u64).into()),
            k_wvalid: Constant::new((1u64 << WP_VALID).into()),
            k_wlast: Constant::new((1u64 << WP_LAST).into()),
        }
    }
}

impl<const Q: usize, const D: usize, const AI: usize, const AS: usize, const AO: usize> Logic
    for NfuSeq<Q, D, AI, AS, AO>
{
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, nact, issuing, ent, i, ky, px, py, b_py, b_px, b_ky, sbc, outc, donec, dv,
            dfirst, dlast, dbias, par, dodd
        );
        for j in 0..D {
            self.wpipe[j].clock.next = self.clock.val();
        }
        self.wpipe[0].d.next = 0.into();
        for j in 1..D {
            self.wpipe[j].d.next = self.wpipe[j - 1].q.val();
        }
        clock!(self, clock, q);
        self.q.clr.next = self.clr.val();
        self.q.push.next = self.push.val();
        self.q.din.next = self.din.val();
        self.full.next = self.q.full.val();
        self.pending.next = self.q.nonempty.val();
        // modular compares (CNT_BITS = 16): done >= required <=> bit 15 of the difference clear
        self.d1.next = self.nbin_done.val() - self.q.head.val().get_value_req_nbin();
        self.d2.next = self.sb_done.val() - self.q.head.val().get_value_req_sb();
        self.d3.next = self.nbl_done.val() - self.q.head.val().get_value_req_nbl();
        self.d4.next = self.nbs_done.val() - self.q.head.val().get_value_req_st();
        // the write pipe's last stage: the output written at the end of this cycle
        for j in (D - 1)..D {
            self.wlast.next = self.wpipe[j].q.val();
        }
        // an op completes at the end of the cycle its last output is written
        self.cmpl.next = (self.wlast.val() & self.k_wlast.val()).any();
        // ---- overlap rule (b): pending outputs are the valid wpipe[0..D] entries;
        // hazard if one targets a row r in [nbout, nbout + D) of the head, tested
        // as r >= nbout && r - nbout < D: once r >= nbout the ROWW-bit difference
        // is exact, so nothing wraps (nbout + D itself is never formed)
        self.h_lo.next = self.q.head.val().get_value_nbout();
        self.hz.next = false;
        for j in 0..D {
            if (self.wpipe[j].q.val() & self.k_wvalid.val()).any()
                && (self.wpipe[j].q.val().get_bits::<ROWW>(0) >= self.h_lo.val())
                && ((self.wpipe[j].q.val().get_bits::<ROWW>(0) - self.h_lo.val()) < self.k_dr.val())
            {
                self.hz.next = true;
            }
        }
        // overlap rule: it fails if (a) the previous op still issues (its last
        // row pair not issued before this cycle), or (b) the head has in=nbout
        // and a pending output targets one of its first D rows
        self.ovl_hold.next = self.issuing.q.val()
            || ((self.q.head.val().get_value_acc_in() == self.k_in_nbout.val()) && self.hz.val());
        self.ovl_ok.next = !self.ovl_hold.val();
        // ---- start: overlap rule, loads done, store wait
        self.loads_ok.next =
            !self.d1.val().get_bit(15) && !self.d2.val().get_bit(15) && !self.d3.val().get_bit(15);
        self.store_ok.next =
            !self.q.head.val().get_value_need_st().any() || !self.d4.val().get_bit(15);
        self.start.next = self.ovl_ok.val()
            && self.q.nonempty.val()
            && self.loads_ok.val()
            && self.store_ok.val();
        // stall events: the first reason the visible head does not start (overlap, load, store)
        self.stall_drain.next = !self.ovl_ok.val() && self.q.nonempty.val();
        self.stall_load.next = self.ovl_ok.val() && self.q.nonempty.val() && !self.loads_ok.val();
        self.stall_store.next = self.ovl_ok.val()
            && self.q.nonempty.val()
            && self.loads_ok.val()
            && !self.store_ok.val();
        self.q.pop.next = self.start.val();
        self.e.next = self.ent.q.val();
        if self.start.val() {
            self.e.next = self.q.head.val();
        }
        self.bias_in.next = self.e.val().get_value_acc_in() == self.k_bias.val();
        // issue this cycle: an op still issuing, or an op starting without a bias cycle
        self.issue.next = self.issuing.q.val() || (self.start.val() && !self.bias_in.val());
        self.e_i.next = self.i.q.val();
        self.e_ky.next = self.ky.q.val();
        self.e_px.next = self.px.q.val();
        self.e_py.next = self.py.q.val();
        self.e_bpy.next = self.b_py.q.val();
        self.e_bpx.next = self.b_px.q.val();
        self.e_bky.next = self.b_ky.q.val();
        self.e_sbc.next = self.sbc.q.val();
        self.e_outc.next = self.outc.q.val();
        // parity of the step index k = ky*ni + i within the output
        self.e_par.next = self.par.q.val() && !self.start.val();
        if self.start.val() {
            self.e_i.next = 0.into();
            self.e_ky.next = 0.into();
            self.e_px.next = 0.into();
            self.e_py.next = 0.into();
            self.e_bpy.next = self.e.val().get_value_nbin();
            self.e_bpx.next = self.e.val().get_value_nbin();
            self.e_bky.next = self.e.val().get_value_nbin();
            self.e_sbc.next = self.e.val().get_value_sb();
            self.e_outc.next = self.e.val().get_value_nbout();
        }
        self.first.next = (self.e_i.val() == 0) && (self.e_ky.val() == 0);
        self.last.next = (self.e_i.val() + 1 == self.e.val().get_value_ni())
            && (self.e_ky.val() + 1 == self.e.val().get_value_nky());
        self.fin_issue.next = self.last.val()
            && (self.e_px.val() + 1 == self.e.val().get_value_npx())
            && (self.e_py.val() + 1 == self.e.val().get_value_npy());
        // ---- buffer reads
        self.nbin_raddr.next = bit_cast::<AI, ROWW>(self.e_bky.val() + self.e_i.val());
        self.sb_raddr.next = bit_cast::<AS, ROWW>(self.e_sbc.val());
        self.nbout_raddr.next = bit_cast::<AO, ROWW>(self.e_outc.val());
        if self.start.val() && self.bias_in.val() {
            // bias cycle: SB row sb + nky * ni
            self.sb_raddr.next = bit_cast::<AS, PRODW>(
                bit_cast::<PRODW, ROWW>(self.e.val().get_value_sb())
                    + bit_cast::<MULW, CNTW>(self.e.val().get_value_nky())
                        * bit_cast::<MULW, CNTW>(self.e.val().get_value_ni()),
            );
        }
        // ---- state
        if self.start.val() {
            self.ent.d.next = self.q.head.val();
            self.issuing.d.next = true;
            self.i.d.next = 0.into();
            self.ky.d.next = 0.into();
            self.px.d.next = 0.into();
            self.py.d.next = 0.into();
            self.b_py.d.next = self.e_bpy.val();
            self.b_px.d.next = self.e_bpx.val();
            self.b_ky.d.next = self.e_bky.val();
            self.sbc.d.next = self.e_sbc.val();
            self.outc.d.next = self.e_outc.val();
            self.par.d.next = false;
        }
        if self.issue.val() {
            self.sbc.d.next = self.e_sbc.val() + 1;
            self.par.d.next = !self.e_par.val() && !self.last.val();
            if self.e_i.val() + 1 != self.e.val().get_value_ni() {
                self.i.d.next = self.e_i.val() + 1;
            } else {
                self.i.d.next = 0.into();
                if self.e_ky.val() + 1 != self.e.val().get_value_nky() {
                    self.ky.d.next = self.e_ky.val() + 1;
                    self.b_ky.d.next = self.e_bky.val() + self.e.val().get_value_sky();
                } else {
                    self.ky.d.next = 0.into();
                    self.sbc.d.next = self.e.val().get_value_sb();
                    self.outc.d.next = self.e_outc.val() + 1;
                    if self.e_px.val() + 1 != self.e.val().get_value_npx() {
                        self.px.d.next = self.e_px.val() + 1;
                        self.b_px.d.next = self.e_bpx.val() + self.e.val().get_value_spx();
                        self.b_ky.d.next = self.e_bpx.val() + self.e.val().get_value_spx();
                    } else {
                        self.px.d.next = 0.into();
                        self.py.d.next = self.e_py.val() + 1;
                        self.b_py.d.next = self.e_bpy.val() + self.e.val().get_value_spy();
                        self.b_px.d.next = self.e_bpy.val() + self.e.val().get_value_spy();
                        self.b_ky.d.next = self.e_bpy.val() + self.e.val().get_value_spy();
                    }
                }
            }
            if self.last.val() {
                // an output: written at the end of this cycle + D
                self.wpipe[0].d.next =
                    bit_cast::<WPW, ROWW>(self.e_outc.val()) | self.k_wvalid.val();
                if self.fin_issue.val() {
                    // the op's last output: the op completes when it is written
                    self.wpipe[0].d.next = bit_cast::<WPW, ROWW>(self.e_outc.val())
                        | self.k_wvalid.val()
                        | self.k_wlast.val();
                }
            }
            if self.fin_issue.val() {
                self.issuing.d.next = false;
            }
        }
        // completion: end of the cycle the op's last output is written (last issue + D)
        if self.cmpl.val() {
            self.donec.d.next = self.donec.q.val() + 1;
        }
        // ops in flight: +1 at the end of a start cycle, -1 at the end of a completion cycle
        if self.start.val() && !self.cmpl.val() {
            self.nact.d.next = self.nact.q.val() + 1;
        }
        if !self.start.val() && self.cmpl.val() {
            self.nact.d.next = self.nact.q.val() - 1;
        }
        self.wr_en.next = (self.wlast.val() & self.k_wvalid.val()).any();
        self.wr_addr.next = bit_cast::<AO, ROWW>(self.wlast.val().get_bits::<ROWW>(0));
        // ---- datapath control (aligned with the read data)
        self.dv.d.next = self.issue.val();
        self.dfirst.d.next = self.first.val();
        self.dlast.d.next = self.last.val();
        self.dbias.d.next = self.start.val() && self.bias_in.val();
        self.dodd.d.next = self.e_par.val();
        self.d_valid.next = self.dv.q.val();
        self.d_first.next = self.dfirst.q.val();
        self.d_last.next = self.dlast.q.val();
        self.d_bias.next = self.dbias.q.val();
        self.d_odd.next = self.dodd.q.val();
        self.d_op.next = self.ent.q.val().get_value_op();
        self.d_in.next = self.ent.q.val().get_value_acc_in();
        self.d_out.next = self.ent.q.val().get_value_out().any();
        self.d_act.next = self.ent.q.val().get_value_act();
        self.d_round.next = self.ent.q.val().get_value_round();
        self.d_tr.next = self.ent.q.val().get_value_tr().any();
        self.d_scale.next = self.ent.q.val().get_value_scale();
        self.busy.next = self.issue.val() || (self.start.val() && self.bias_in.val());
        // events of the issue (or bias) cycle
        self.ev_issue.next = self.issue.val();
        self.ev_bias.next = self.start.val() && self.bias_in.val();
        self.ev_mac.next = self.issue.val() && (self.e.val().get_value_op() == self.k_mac.val());
        self.ev_mul_odd.next = self.issue.val()
            && (self.e.val().get_value_op() == self.k_mul.val())
            && self.e_par.val();
        self.ev_nbout_read.next = self.issue.val()
            && self.first.val()
            && (self.e.val().get_value_acc_in() == self.k_in_nbout.val());
        self.ev_act_out.next =
            self.issue.val() && self.last.val() && self.e.val().get_value_out().any();
        // nfu.seq: the most recently started op (ent; the head in its start
        // cycle) until the cycle before its completion cycle. Ops complete in
        // order, so it is in flight while any op is, and completes this cycle
        // when it is the only op in flight and an op completes.
        self.seq.next = 0.into();
        if self.start.val()
            || ((self.nact.q.val() != 0) && !(self.cmpl.val() && (self.nact.q.val() == 1)))
        {
            self.seq.next = self.e.val().get_value_seq();
        }
        self.active.next = self.nact.q.val() != 0;
        if self.clr.val() {
            self.nact.d.next = 0.into();
            self.issuing.d.next = false;
            self.donec.d.next = 0.into();
            self.dv.d.next = false;
            self.par.d.next = false;
            for j in 0..D {
                self.wpipe[j].d.next = 0.into();
            }
        }
        self.done.next = self.donec.q.val();
    }
}
