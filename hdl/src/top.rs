//! `top`: control processor, DMAs, memory port, buffers, NFU sequencer and
//! datapath wired together, with one memory port and the status outputs.
//! The blocks are in [`crate::core`]; the testbench systems that add the DRAM
//! model are in [`crate::tb::system`].

use crate::core::buffers::Buffers;
use crate::core::cp::Cp;
use crate::core::dma::Dma;
use crate::core::fetch::Fetch;
use crate::core::nfu::Nfu;
use crate::core::nfu_seq::NfuSeq;
use crate::core::port::Port;
use crate::counters::Counters;
use crate::widths::*;
use arch::AccelConfig;
use rust_hdl::prelude::*;

/// The accelerator. Widths are type parameters (see [`TinyTop`], [`DiannaoTop`]);
/// [`Top::new`] asserts they match the [`AccelConfig`].
#[derive(LogicBlock)]
pub struct Top<
    const IA: usize,
    const Q: usize,
    const D: usize,
    const AI: usize,
    const AS: usize,
    const AO: usize,
    const NBIN_W: usize,
    const SB_W: usize,
    const NBOUT_W: usize,
    const BW: usize,
    const ASM_I: usize,
    const ASM_S: usize,
    const ASM_O: usize,
    const PW: usize,
    const FA: usize,
> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Run: low = clear (load DRAM, set `prog_base` / `prog_len`); the first cycle high is cycle 0.
    pub run: Signal<In, bool>,
    /// DRAM byte address of instruction 0 (held while `run` is high).
    pub prog_base: Signal<In, DramAddr>,
    /// Program length, instructions.
    pub prog_len: Signal<In, Pc>,
    /// Stochastic-rounding seed of the run: while `run` is low, lane n's
    /// LFSR is loaded with `Lfsr::lane_seed(seed, n)`.
    pub seed: Signal<In, Seed>,
    /// Memory port: beat command valid.
    pub mem_cmd_valid: Signal<Out, bool>,
    /// Beat is a write.
    pub mem_cmd_write: Signal<Out, bool>,
    /// Beat byte address.
    pub mem_cmd_addr: Signal<Out, DramAddr>,
    /// Beat tag (returned with the response).
    pub mem_cmd_tag: Signal<Out, Tag>,
    /// 16-bit words of the beat that belong to the row (a write beat writes only these).
    pub mem_cmd_words: Signal<Out, Beats>,
    /// Write data (cycle after the write command).
    pub mem_wdata: Signal<Out, Bits<BW>>,
    /// Response valid.
    pub mem_resp_valid: Signal<In, bool>,
    /// Response tag.
    pub mem_resp_tag: Signal<In, Tag>,
    /// Response data.
    pub mem_resp_data: Signal<In, Bits<BW>>,
    /// Running and not halted.
    pub busy: Signal<Out, bool>,
    /// Halted.
    pub done: Signal<Out, bool>,
    /// Error class: 0 none, 1 decode, 2 range, 3 no_end, 4 fetch.
    pub err_class: Signal<Out, ErrClass>,
    /// Failing instruction index.
    pub err_index: Signal<Out, Pc>,
    /// Cycle counter (event counter `cycles`); after halt, the halt cycle T (the run's length).
    pub cycles: Signal<Out, Bits<CYCW>>,
    /// Event counter shown on `ctr_value`: an `arch::events::Event` index.
    pub ctr_sel: Signal<In, Bits<EVSELW>>,
    /// Event counter `ctr_sel` (combinational); the counters count cycles 0 ... T-1 and hold after the halt.
    pub ctr_value: Signal<Out, Bits<CTRW>>,
    /// Trace: `cp.pc`.
    pub t_pc: Signal<Out, Pc>,
    /// Trace: `cp.dispatch`.
    pub t_dispatch: Signal<Out, bool>,
    /// Trace: `nfu.busy`.
    pub t_nfu_busy: Signal<Out, bool>,
    /// Trace: `nfu.seq`.
    pub t_nfu_seq: Signal<Out, Pc>,
    /// Trace: `port.grant`.
    pub t_grant: Signal<Out, Bits<OWNERW>>,
    /// Trace: `dma_nbin.row`.
    pub t_row_nbin: Signal<Out, Bits<CNT_BITS>>,
    /// Trace: `dma_sb.row`.
    pub t_row_sb: Signal<Out, Bits<CNT_BITS>>,
    /// Trace: `dma_nbout.row`.
    pub t_row_nbout: Signal<Out, Bits<CNT_BITS>>,
    /// Control processor.
    pub cp: Cp<IA>,
    /// Instruction fetch unit.
    pub fetch: Fetch<IA, BW, FA>,
    /// NBin DMA.
    pub dma_nbin: Dma<NBIN_W, ASM_I, BW, Q, AI>,
    /// SB DMA.
    pub dma_sb: Dma<SB_W, ASM_S, BW, Q, AS>,
    /// NBout DMA.
    pub dma_nbout: Dma<NBOUT_W, ASM_O, BW, Q, AO>,
    /// Memory port.
    pub port: Port,
    /// NFU sequencer.
    pub nfu_seq: NfuSeq<Q, D, AI, AS, AO>,
    /// NFU datapath.
    pub nfu: Nfu<NBIN_W, SB_W, PW, NBOUT_W>,
    /// Bias register: the first Tn words of the SB row read in an op's bias cycle.
    bias_reg: DFF<Bits<NBIN_W>>,
    /// NBout row of the step presented to the datapath (issue-cycle row, registered).
    drow: DFF<Row>,
    /// NBin, SB and NBout.
    pub buffers: Buffers<AI, AS, AO, NBIN_W, SB_W, NBOUT_W>,
    /// Event counters (docs/microarchitecture.md, "Counter definitions").
    pub counters: Counters,
    fin: DFF<bool>,
    inflight: DFF<Bits<BEATW>>,
    clr: Signal<Local, bool>,
    halt: Signal<Local, bool>,
    nbo_we: Signal<Local, bool>,
    nbo_wa: Signal<Local, Bits<AO>>,
    nbo_wd: Signal<Local, Bits<NBOUT_W>>,
    inc: Signal<Local, Bits<EVENT_INC_BITS>>,
    i_macs: Signal<Local, Bits<INCW>>,
    i_nfu2: Signal<Local, Bits<INCW>>,
    i_sb_reads: Signal<Local, Bits<INCW>>,
    i_nbout_reads: Signal<Local, Bits<INCW>>,
    i_nbout_writes: Signal<Local, Bits<INCW>>,
    i_rd_bytes: Signal<Local, Bits<INCW>>,
    i_wr_bytes: Signal<Local, Bits<INCW>>,
    i_stall_port: Signal<Local, Bits<INCW>>,
    i_stall_wait: Signal<Local, Bits<INCW>>,
    k_one: Constant<Bits<INCW>>,
    k_tn: Constant<Bits<INCW>>,
    k_tn2: Constant<Bits<INCW>>,
    k_instr_bytes: Constant<Bits<INCW>>,
    k_owner_nbin: Constant<Bits<OWNERW>>,
    k_owner_sb: Constant<Bits<OWNERW>>,
    k_owner_nbout: Constant<Bits<OWNERW>>,
    k_owner_fetch: Constant<Bits<OWNERW>>,
}

impl<
        const IA: usize,
        const Q: usize,
        const D: usize,
        const AI: usize,
        const AS: usize,
        const AO: usize,
        const NBIN_W: usize,
        const SB_W: usize,
        const NBOUT_W: usize,
        const BW: usize,
        const ASM_I: usize,
        const ASM_S: usize,
        const ASM_O: usize,
        const PW: usize,
        const FA: usize,
    > Top<IA, Q, D, AI, AS, AO, NBIN_W, SB_W, NBOUT_W, BW, ASM_I, ASM_S, ASM_O, PW, FA>
{
    /// Build for `cfg` (the program is fetched from DRAM at `prog_base`).
    /// Panics if the type parameters do not match `cfg` (a programming error).
    pub fn new(cfg: &AccelConfig) -> Self {
        let tn = cfg.tn as usize;
        assert_eq!(NBIN_W, tn * 16, "NBIN_W");
        assert_eq!(SB_W, tn * tn * 16, "SB_W");
        assert_eq!(NBOUT_W, tn * 32, "NBOUT_W");
        assert_eq!(
            1usize << AI,
            cfg.nbin_rows().next_power_of_two() as usize,
            "AI"
        );
        assert_eq!(
            1usize << AS,
            cfg.sb_rows().next_power_of_two() as usize,
            "AS"
        );
        assert_eq!(
            1usize << AO,
            cfg.nbout_rows().next_power_of_two() as usize,
            "AO"
        );
        assert_eq!(BW as u32, 8 * cfg.dram.bytes_per_cycle, "BW");
        let bpc = cfg.dram.bytes_per_cycle;
        let frac = cfg.frac_bits;
        Self {
            clock: Default::default(),
            run: Default::default(),
            prog_base: Default::default(),
            prog_len: Default::default(),
            seed: Default::default(),
            mem_cmd_valid: Default::default(),
            mem_cmd_write: Default::default(),
            mem_cmd_addr: Default::default(),
            mem_cmd_tag: Default::default(),
            mem_cmd_words: Default::default(),
            mem_wdata: Default::default(),
            mem_resp_valid: Default::default(),
            mem_resp_tag: Default::default(),
            mem_resp_data: Default::default(),
            busy: Default::default(),
            done: Default::default(),
            err_class: Default::default(),
            err_index: Default::default(),
            cycles: Default::default(),
            ctr_sel: Default::default(),
            ctr_value: Default::default(),
            t_pc: Default::default(),
            t_dispatch: Default::default(),
            t_nfu_busy: Default::default(),
            t_nfu_seq: Default::default(),
            t_grant: Default::default(),
            t_row_nbin: Default::default(),
            t_row_sb: Default::default(),
            t_row_nbout: Default::default(),
            cp: Cp::new(cfg),
            fetch: Fetch::new(cfg),
            dma_nbin: Dma::new(cfg.nbin_row_bytes(), cfg.nbin_row_bytes(), bpc, frac),
            dma_sb: Dma::new(cfg.sb_row_bytes(), cfg.sb_row_bytes(), bpc, frac),
            dma_nbout: Dma::new(cfg.nbout_row_bytes(), cfg.tn * cfg.data_bytes(), bpc, frac),
            port: Port::new(bpc),
            nfu_seq: NfuSeq::new(cfg),
            nfu: Nfu::new(cfg).expect("NFU widths match the configuration (checked above)"),
            bias_reg: Default::default(),
            drow: Default::default(),
            buffers: Default::default(),
            counters: Default::default(),
            fin: Default::default(),
            inflight: Default::default(),
            clr: Default::default(),
            halt: Default::default(),
            nbo_we: Default::default(),
            nbo_wa: Default::default(),
            nbo_wd: Default::default(),
            inc: Default::default(),
            i_macs: Default::default(),
            i_nfu2: Default::default(),
            i_sb_reads: Default::default(),
            i_nbout_reads: Default::default(),
            i_nbout_writes: Default::default(),
            i_rd_bytes: Default::default(),
            i_wr_bytes: Default::default(),
            i_stall_port: Default::default(),
            i_stall_wait: Default::default(),
            k_one: Constant::new(1u64.into()),
            k_tn: Constant::new((tn as u64).into()),
            k_tn2: Constant::new(((tn * tn) as u64).into()),
            k_instr_bytes: Constant::new((arch::isa::fields::INSTR_BYTES as u64).into()),
            k_owner_nbin: Constant::new(OWNER_NBIN.into()),
            k_owner_sb: Constant::new(OWNER_SB.into()),
            k_owner_nbout: Constant::new(OWNER_NBOUT.into()),
            k_owner_fetch: Constant::new(OWNER_FETCH.into()),
        }
    }
}

/// An instruction word as a rust-hdl value.
pub fn word_bits(w: &arch::isa::fields::Word) -> Bits<IB> {
    let mut b = Bits::<IB>::default();
    for (i, x) in w.iter().enumerate() {
        b.set_bits::<64>(64 * i, (*x).into());
    }
    b
}

impl<
        const IA: usize,
        const Q: usize,
        const D: usize,
        const AI: usize,
        const AS: usize,
        const AO: usize,
        const NBIN_W: usize,
        const SB_W: usize,
        const NBOUT_W: usize,
        const BW: usize,
        const ASM_I: usize,
        const ASM_S: usize,
        const ASM_O: usize,
        const PW: usize,
        const FA: usize,
    > Logic for Top<IA, Q, D, AI, AS, AO, NBIN_W, SB_W, NBOUT_W, BW, ASM_I, ASM_S, ASM_O, PW, FA>
{
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, fin, inflight, bias_reg, drow);
        self.clr.next = !self.run.val();
        // ---- control processor
        clock!(
            self, clock, cp, fetch, dma_nbin, dma_sb, dma_nbout, port, nfu_seq, nfu, buffers,
            counters
        );
        self.cp.clr.next = self.clr.val();
        self.cp.prog_len.next = self.prog_len.val();
        self.cp.prog_base.next = self.prog_base.val();
        self.cp.imem_we.next = self.fetch.imem_we.val();
        self.cp.imem_waddr.next = self.fetch.imem_waddr.val();
        self.cp.imem_wdata.next = self.fetch.imem_wdata.val();
        self.cp.arrived.next = self.fetch.arrived.val();
        self.cp.fetch_idle.next = self.fetch.idle.val();
        // ---- instruction fetch
        self.fetch.clr.next = self.clr.val();
        self.fetch.prog_base.next = self.prog_base.val();
        self.fetch.prog_len.next = self.prog_len.val();
        self.fetch.pc.next = self.cp.pc.val();
        self.fetch.stopped.next = self.cp.stopped.val();
        self.fetch.grant.next = self.port.grant_fetch.val();
        self.fetch.resp_mine.next = self.mem_resp_valid.val()
            && (self.mem_resp_tag.val().get_value_owner() == self.k_owner_fetch.val());
        self.fetch.resp_tag.next = self.mem_resp_tag.val();
        self.fetch.resp_data.next = self.mem_resp_data.val();
        self.port.req_fetch.next = self.fetch.req.val();
        self.port.addr_fetch.next = self.fetch.req_addr.val();
        self.port.beats_fetch.next = self.fetch.req_beats.val();
        self.port.words_fetch.next = self.fetch.req_words.val();
        self.port.tag_fetch.next = self.fetch.req_tag.val();
        self.cp.full_nbin.next = self.dma_nbin.full.val();
        self.cp.full_sb.next = self.dma_sb.full.val();
        self.cp.full_nbout.next = self.dma_nbout.full.val();
        self.cp.full_nfu.next = self.nfu_seq.full.val();
        self.dma_nbin.push.next = self.cp.push_nbin.val();
        self.dma_nbin.din.next = self.cp.ent_nbin.val();
        self.dma_sb.push.next = self.cp.push_sb.val();
        self.dma_sb.din.next = self.cp.ent_sb.val();
        self.dma_nbout.push.next = self.cp.push_nbout.val();
        self.dma_nbout.din.next = self.cp.ent_nbout.val();
        self.nfu_seq.push.next = self.cp.push_nfu.val();
        self.nfu_seq.din.next = self.cp.ent_nfu.val();
        // ---- DMAs and port
        self.dma_nbin.clr.next = self.clr.val();
        self.dma_sb.clr.next = self.clr.val();
        self.dma_nbout.clr.next = self.clr.val();
        self.dma_nbin.nfu_done.next = self.nfu_seq.done.val();
        self.dma_sb.nfu_done.next = self.nfu_seq.done.val();
        self.dma_nbout.nfu_done.next = self.nfu_seq.done.val();
        self.port.clr.next = self.clr.val();
        self.port.req_nbin.next = self.dma_nbin.req.val();
        self.port.req_sb.next = self.dma_sb.req.val();
        self.port.req_nbout.next = self.dma_nbout.req.val();
        self.port.addr_nbin.next = self.dma_nbin.req_addr.val();
        self.port.addr_sb.next = self.dma_sb.req_addr.val();
        self.port.addr_nbout.next = self.dma_nbout.req_addr.val();
        self.port.beats_nbin.next = self.dma_nbin.req_beats.val();
        self.port.beats_sb.next = self.dma_sb.req_beats.val();
        self.port.beats_nbout.next = self.dma_nbout.req_beats.val();
        self.port.tag_nbin.next = self.dma_nbin.req_tag.val();
        self.port.words_nbin.next = self.dma_nbin.req_words.val();
        self.port.words_sb.next = self.dma_sb.req_words.val();
        self.port.words_nbout.next = self.dma_nbout.req_words.val();
        self.port.tag_sb.next = self.dma_sb.req_tag.val();
        self.port.tag_nbout.next = self.dma_nbout.req_tag.val();
        self.dma_nbin.grant.next = self.port.grant_nbin.val();
        self.dma_sb.grant.next = self.port.grant_sb.val();
        self.dma_nbout.grant.next = self.port.grant_nbout.val();
        self.mem_cmd_valid.next = self.port.cmd_valid.val();
        self.mem_cmd_write.next = self.port.cmd_write.val();
        self.mem_cmd_addr.next = self.port.cmd_addr.val();
        self.mem_cmd_tag.next = self.port.cmd_tag.val();
        self.mem_cmd_words.next = self.port.cmd_words.val();
        self.mem_wdata.next = self.dma_nbout.wdata.val();
        self.dma_nbin.resp_mine.next = self.mem_resp_valid.val()
            && (self.mem_resp_tag.val().get_value_owner() == self.k_owner_nbin.val());
        self.dma_sb.resp_mine.next = self.mem_resp_valid.val()
            && (self.mem_resp_tag.val().get_value_owner() == self.k_owner_sb.val());
        self.dma_nbout.resp_mine.next = self.mem_resp_valid.val()
            && (self.mem_resp_tag.val().get_value_owner() == self.k_owner_nbout.val());
        self.dma_nbin.resp_tag.next = self.mem_resp_tag.val();
        self.dma_sb.resp_tag.next = self.mem_resp_tag.val();
        self.dma_nbout.resp_tag.next = self.mem_resp_tag.val();
        self.dma_nbin.resp_data.next = self.mem_resp_data.val();
        self.dma_sb.resp_data.next = self.mem_resp_data.val();
        self.dma_nbout.resp_data.next = self.mem_resp_data.val();
        self.dma_nbin.rd_data.next = 0.into();
        self.dma_sb.rd_data.next = 0.into();
        // ---- buffers (read-first RAMs, registered read)
        self.buffers.nbin_we.next = self.dma_nbin.wr_en.val();
        self.buffers.nbin_waddr.next = self.dma_nbin.wr_addr.val();
        self.buffers.nbin_wdata.next = self.dma_nbin.wr_data.val();
        self.buffers.nbin_raddr.next = self.nfu_seq.nbin_raddr.val();
        self.buffers.sb_we.next = self.dma_sb.wr_en.val();
        self.buffers.sb_waddr.next = self.dma_sb.wr_addr.val();
        self.buffers.sb_wdata.next = self.dma_sb.wr_data.val();
        self.buffers.sb_raddr.next = self.nfu_seq.sb_raddr.val();
        // NBout: two copies written together; NFU and load DMA never write in the same cycle
        self.nbo_we.next = self.dma_nbout.wr_en.val();
        self.nbo_wa.next = self.dma_nbout.wr_addr.val();
        self.nbo_wd.next = self.dma_nbout.wr_data.val();
        if self.nfu_seq.wr_en.val() {
            self.nbo_we.next = true;
            self.nbo_wa.next = self.nfu_seq.wr_addr.val();
            self.nbo_wd.next = self.nfu.wdata.val();
        }
        self.buffers.nbout_we.next = self.nbo_we.val();
        self.buffers.nbout_waddr.next = self.nbo_wa.val();
        self.buffers.nbout_wdata.next = self.nbo_wd.val();
        self.buffers.nbout_raddr_a.next = self.nfu_seq.nbout_raddr.val();
        self.buffers.nbout_raddr_b.next = self.dma_nbout.rd_addr.val();
        self.dma_nbout.rd_data.next = self.buffers.nbout_rdata_b.val();
        // ---- NFU
        self.nfu_seq.clr.next = self.clr.val();
        self.nfu_seq.nbin_done.next = self.dma_nbin.done.val();
        self.nfu_seq.sb_done.next = self.dma_sb.done.val();
        self.nfu_seq.nbl_done.next = self.dma_nbout.done_load.val();
        self.nfu_seq.nbs_done.next = self.dma_nbout.done_store.val();
        self.nfu.rst.next = self.clr.val();
        self.nfu.seed.next = self.seed.val();
        self.nfu.valid.next = self.nfu_seq.d_valid.val();
        self.nfu.first.next = self.nfu_seq.d_first.val();
        self.nfu.last.next = self.nfu_seq.d_last.val();
        self.nfu.odd.next = self.nfu_seq.d_odd.val();
        self.nfu.op.next = self.nfu_seq.d_op.val();
        self.nfu.acc_in.next = self.nfu_seq.d_in.val();
        self.nfu.activate.next = self.nfu_seq.d_out.val();
        self.nfu.act.next = self.nfu_seq.d_act.val();
        self.nfu.round.next = self.nfu_seq.d_round.val();
        self.nfu.transpose.next = self.nfu_seq.d_tr.val();
        self.nfu.scale.next = self.nfu_seq.d_scale.val();
        self.drow.d.next = bit_cast::<ROWW, AO>(self.nfu_seq.nbout_raddr.val());
        self.nfu.row.next = self.drow.q.val();
        self.nfu.nbin.next = self.buffers.nbin_rdata.val();
        self.nfu.sb.next = self.buffers.sb_rdata.val();
        self.nfu.nbout.next = self.buffers.nbout_rdata_a.val();
        // the bias cycle's SB read data arrives one cycle later (d_bias); its first Tn words are the bias.
        // With ops overlapping (nfu_seq, overlap rule) an op's bias cycle s comes after the previous
        // op's last issue (s-1 at the latest, presented in s), and the register changes at the end of
        // s+1: every step of the previous op has already taken its bias (nfu's b1 delay carries it).
        if self.nfu_seq.d_bias.val() {
            self.bias_reg.d.next = self.buffers.sb_rdata.val().get_bits::<NBIN_W>(0);
        }
        self.nfu.bias.next = self.bias_reg.q.val();
        // ---- status and halt
        self.inflight.d.next = self.inflight.q.val();
        if self.port.cmd_valid.val() && !self.mem_resp_valid.val() {
            self.inflight.d.next = self.inflight.q.val() + 1;
        }
        if !self.port.cmd_valid.val() && self.mem_resp_valid.val() {
            self.inflight.d.next = self.inflight.q.val() - 1;
        }
        self.halt.next = self.cp.stopped.val()
            && !self.dma_nbin.pending.val()
            && !self.dma_sb.pending.val()
            && !self.dma_nbout.pending.val()
            && !self.nfu_seq.pending.val()
            && !self.dma_nbin.busy.val()
            && !self.dma_sb.busy.val()
            && !self.dma_nbout.busy.val()
            && !self.nfu_seq.active.val()
            && !self.port.busy.val()
            && (self.inflight.q.val() == 0);
        if self.halt.val() {
            self.fin.d.next = true;
        }
        if self.clr.val() {
            self.fin.d.next = false;
            self.inflight.d.next = 0.into();
        }
        // ---- event counters: this cycle's increments (docs/microarchitecture.md, "Counter definitions")
        self.i_macs.next = 0.into();
        if self.nfu_seq.ev_mac.val() {
            self.i_macs.next = self.k_tn2.val();
        }
        if self.nfu_seq.ev_mul_odd.val() {
            self.i_macs.next = self.k_tn.val();
        }
        self.i_nfu2.next = 0.into();
        if self.nfu_seq.ev_issue.val() {
            self.i_nfu2.next = self.k_tn.val();
        }
        if self.nfu_seq.ev_mac.val() {
            self.i_nfu2.next = self.k_tn2.val();
        }
        self.i_sb_reads.next = 0.into();
        if self.nfu_seq.ev_mac.val() || self.nfu_seq.ev_bias.val() {
            self.i_sb_reads.next = self.k_one.val();
        }
        self.i_nbout_reads.next = 0.into();
        if self.nfu_seq.ev_nbout_read.val() {
            self.i_nbout_reads.next = self.k_one.val();
        }
        if self.port.grant_nbout.val() && self.dma_nbout.req_write.val() {
            self.i_nbout_reads.next = self.i_nbout_reads.val() + self.k_one.val();
        }
        self.i_nbout_writes.next = 0.into();
        if self.nfu_seq.wr_en.val() {
            self.i_nbout_writes.next = self.k_one.val();
        }
        if self.dma_nbout.wr_en.val() {
            self.i_nbout_writes.next = self.i_nbout_writes.val() + self.k_one.val();
        }
        // DRAM bytes of the row granted this cycle (at most one grant per cycle)
        self.i_rd_bytes.next = 0.into();
        self.i_wr_bytes.next = 0.into();
        if self.port.grant_nbin.val() {
            self.i_rd_bytes.next = self.dma_nbin.req_bytes.val().get_bits::<INCW>(0);
        }
        if self.port.grant_sb.val() {
            self.i_rd_bytes.next = self.dma_sb.req_bytes.val().get_bits::<INCW>(0);
        }
        if self.port.grant_nbout.val() && !self.dma_nbout.req_write.val() {
            self.i_rd_bytes.next = self.dma_nbout.req_bytes.val().get_bits::<INCW>(0);
        }
        if self.port.grant_nbout.val() && self.dma_nbout.req_write.val() {
            self.i_wr_bytes.next = self.dma_nbout.req_bytes.val().get_bits::<INCW>(0);
        }
        if self.port.grant_fetch.val() {
            self.i_rd_bytes.next = self.k_instr_bytes.val();
        }
        self.i_stall_port.next = 0.into();
        if self.dma_nbin.req.val() && !self.port.grant_nbin.val() {
            self.i_stall_port.next = self.k_one.val();
        }
        if self.dma_sb.req.val() && !self.port.grant_sb.val() {
            self.i_stall_port.next = self.i_stall_port.val() + self.k_one.val();
        }
        if self.dma_nbout.req.val() && !self.port.grant_nbout.val() {
            self.i_stall_port.next = self.i_stall_port.val() + self.k_one.val();
        }
        self.i_stall_wait.next = 0.into();
        if self.dma_nbin.stall_wait.val() {
            self.i_stall_wait.next = self.k_one.val();
        }
        if self.dma_sb.stall_wait.val() {
            self.i_stall_wait.next = self.i_stall_wait.val() + self.k_one.val();
        }
        if self.dma_nbout.stall_wait.val() {
            self.i_stall_wait.next = self.i_stall_wait.val() + self.k_one.val();
        }
        // packed in Event::ALL order (layout widths::event_inc)
        self.inc.next = 0.into();
        self.inc.next.set_value_cycles(self.k_one.val());
        if self.cp.dispatch.val() {
            self.inc.next.set_value_instructions(self.k_one.val());
        }
        if self.cp.stall_full.val() {
            self.inc
                .next
                .set_value_cp_stall_queue_full(self.k_one.val());
        }
        if self.nfu_seq.busy.val() {
            self.inc.next.set_value_nfu_busy(self.k_one.val());
        }
        if self.nfu_seq.stall_load.val() {
            self.inc.next.set_value_nfu_stall_load(self.k_one.val());
        }
        if self.nfu_seq.stall_store.val() {
            self.inc.next.set_value_nfu_stall_store(self.k_one.val());
        }
        if self.nfu_seq.stall_drain.val() {
            self.inc.next.set_value_nfu_stall_drain(self.k_one.val());
        }
        self.inc.next.set_value_macs(self.i_macs.val());
        self.inc.next.set_value_nfu2_ops(self.i_nfu2.val());
        if self.nfu_seq.ev_act_out.val() {
            self.inc.next.set_value_nfu3_ops(self.k_tn.val());
        }
        self.inc
            .next
            .set_value_saturations(bit_cast::<INCW, SATW>(self.nfu.sat_count.val()));
        if self.nfu_seq.ev_issue.val() {
            self.inc.next.set_value_nbin_reads(self.k_one.val());
        }
        if self.dma_nbin.wr_en.val() {
            self.inc.next.set_value_nbin_writes(self.k_one.val());
        }
        self.inc.next.set_value_sb_reads(self.i_sb_reads.val());
        if self.dma_sb.wr_en.val() {
            self.inc.next.set_value_sb_writes(self.k_one.val());
        }
        self.inc
            .next
            .set_value_nbout_reads(self.i_nbout_reads.val());
        self.inc
            .next
            .set_value_nbout_writes(self.i_nbout_writes.val());
        self.inc
            .next
            .set_value_dram_read_bytes(self.i_rd_bytes.val());
        self.inc
            .next
            .set_value_dram_write_bytes(self.i_wr_bytes.val());
        if self.port.cmd_valid.val() {
            self.inc.next.set_value_port_busy(self.k_one.val());
        }
        self.inc
            .next
            .set_value_dma_stall_port(self.i_stall_port.val());
        self.inc
            .next
            .set_value_dma_stall_wait(self.i_stall_wait.val());
        if self.cp.stall_fetch.val() {
            self.inc.next.set_value_cp_stall_fetch(self.k_one.val());
        }
        if self.port.grant_fetch.val() {
            self.inc.next.set_value_instr_fetches(self.k_one.val());
        }
        self.counters.clr.next = self.clr.val();
        // cycles 0 ... T-1: running, not halted before, not the halt cycle
        self.counters.en.next = !self.clr.val() && !self.fin.q.val() && !self.halt.val();
        self.counters.inc.next = self.inc.val();
        self.counters.sel.next = self.ctr_sel.val();
        self.ctr_value.next = self.counters.value.val();
        self.busy.next = self.run.val() && !self.fin.q.val();
        self.done.next = self.fin.q.val();
        self.err_class.next = self.cp.err_class.val();
        self.err_index.next = self.cp.err_index.val();
        self.cycles.next = self.counters.cycles.val();
        self.t_pc.next = self.cp.pc.val();
        self.t_dispatch.next = self.cp.dispatch.val();
        self.t_nfu_busy.next = self.nfu_seq.busy.val();
        self.t_nfu_seq.next = self.nfu_seq.seq.val();
        self.t_grant.next = self.port.grant.val();
        self.t_row_nbin.next = self.dma_nbin.row.val();
        self.t_row_sb.next = self.dma_sb.row.val();
        self.t_row_nbout.next = self.dma_nbout.row.val();
    }
}

/// The tiny preset's top (Tn = 4). Widths checked by [`Top::new`].
pub type TinyTop = Top<8, 2, 4, 5, 5, 4, 64, 256, 128, 64, 64, 256, 128, 512, 640>;
/// The diannao preset's top (Tn = 16).
pub type DiannaoTop = Top<10, 8, 9, 6, 6, 5, 256, 4096, 512, 512, 512, 4096, 512, 8192, 1024>;
/// The zcu104 board preset's top (Tn = 32, 512-row buffers, 128-bit port).
pub type Zcu104Top = Top<9, 4, 10, 9, 9, 9, 512, 16384, 1024, 128, 512, 16384, 1024, 32768, 640>;
/// The kv260 board preset's top (Tn = 16, 512-row buffers, 128-bit port).
pub type Kv260Top = Top<10, 4, 9, 9, 9, 9, 256, 4096, 512, 128, 256, 4096, 512, 8192, 640>;

/// The RTL tops that exist: one per structure, because the widths are const
/// generics ([`TinyTop`], [`DiannaoTop`], [`Zcu104Top`], [`Kv260Top`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RtlKind {
    /// Tn = 4 (`AccelConfig::tiny`'s structure).
    Tiny,
    /// Tn = 16, 64 B port (`AccelConfig::diannao`'s structure).
    Diannao,
    /// Tn = 32, 16 B port (`AccelConfig::zcu104`'s structure).
    Zcu104,
    /// Tn = 16, 16 B port (`AccelConfig::kv260`'s structure).
    Kv260,
}

/// Stack of the thread [`top_verilog`] emits on: rust-hdl's emitter recurses
/// deeply on the wide NFUs (the `diannao` and `zcu104` tops overflow the
/// 2 MB default stack of spawned and test threads).
pub const EMIT_STACK_BYTES: usize = 512 << 20;

/// Run `f` on a thread with an [`EMIT_STACK_BYTES`] stack (for emitting or
/// building the wide tops from any thread).
pub fn on_big_stack<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("rtl_emit".into())
            .stack_size(EMIT_STACK_BYTES)
            .spawn_scoped(s, f)
            .expect("spawning the Verilog emission thread")
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

/// Verilog of the bare top for `cfg` (root module `top`): the one dispatch
/// from a configuration to its top type ([`rtl_kind`]).
pub fn top_verilog(cfg: &AccelConfig) -> Result<String, RtlError> {
    fn emit<T: Block>(mut t: T) -> String {
        t.connect_all();
        generate_verilog(&t)
    }
    let kind = rtl_kind(cfg)?;
    Ok(on_big_stack(|| match kind {
        RtlKind::Tiny => emit(TinyTop::new(cfg)),
        RtlKind::Diannao => emit(DiannaoTop::new(cfg)),
        RtlKind::Zcu104 => emit(Zcu104Top::new(cfg)),
        RtlKind::Kv260 => emit(Kv260Top::new(cfg)),
    }))
}

impl RtlKind {
    /// Every top, in the order errors list them.
    pub const ALL: [RtlKind; 4] = [
        RtlKind::Tiny,
        RtlKind::Diannao,
        RtlKind::Zcu104,
        RtlKind::Kv260,
    ];

    /// The preset whose structure this top has.
    pub fn preset(self) -> AccelConfig {
        match self {
            RtlKind::Tiny => AccelConfig::tiny(),
            RtlKind::Diannao => AccelConfig::diannao(),
            RtlKind::Zcu104 => AccelConfig::zcu104(),
            RtlKind::Kv260 => AccelConfig::kv260(),
        }
    }

    /// The preset's name.
    pub fn name(self) -> &'static str {
        match self {
            RtlKind::Tiny => "tiny",
            RtlKind::Diannao => "diannao",
            RtlKind::Zcu104 => "zcu104",
            RtlKind::Kv260 => "kv260",
        }
    }
}

/// Why a configuration cannot be built as RTL (the field is named).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RtlError {
    /// No top has this NFU width.
    #[error("configuration `{name}`: field `tn` is {tn}; RTL tops exist for tn = 4 (the `tiny` structure), 16 (`diannao`, `kv260`) and 32 (`zcu104`)")]
    NoTop {
        /// Configuration name.
        name: String,
        /// Its Tn.
        tn: u32,
    },
    /// A structural field differs from the top of that Tn.
    #[error("configuration `{name}`: field `{field}` is {value}, but the RTL top with tn = {tn} (the `{structure}` structure) is built with {want}; the structure (tn, buffer bytes, data and accumulator bits, pipeline depths, imem and queue depths, dram.bytes_per_cycle) is compiled into the RTL, the other fields may differ")]
    Structure {
        /// Configuration name.
        name: String,
        /// The differing field.
        field: &'static str,
        /// Its value.
        value: String,
        /// The value the RTL has.
        want: String,
        /// Tn of that top.
        tn: u32,
        /// The preset whose structure it is.
        structure: &'static str,
    },
    /// The RTL's DRAM addresses are 32 bits.
    #[error("configuration `{name}`: field `dram.size_bytes` is {size}; the RTL has 32-bit DRAM addresses (at most 4294967296 bytes)")]
    DramSize {
        /// Configuration name.
        name: String,
        /// Its DRAM size, bytes.
        size: u64,
    },
}

/// Which RTL top builds `cfg`: its structure (widths, buffer sizes,
/// pipeline depths, imem and queue depths, port width) must be a top's;
/// every other field (name, clock, `frac_bits`, `lfsr_seed`, activation
/// tables, DRAM latency, DRAM size up to 4 GiB) is a constructor argument
/// and may differ. The one check used by every emitter and RTL backend.
pub fn rtl_kind(cfg: &AccelConfig) -> Result<RtlKind, RtlError> {
    if cfg.dram.size_bytes > 1 << 32 {
        return Err(RtlError::DramSize {
            name: cfg.name.clone(),
            size: cfg.dram.size_bytes,
        });
    }
    let mut best: Option<(RtlKind, usize, (&'static str, String, String))> = None;
    for kind in RtlKind::ALL {
        let p = kind.preset();
        if p.tn != cfg.tn {
            continue;
        }
        let diffs = structure_diffs(cfg, &p);
        let Some(first) = diffs.first().cloned() else {
            return Ok(kind);
        };
        if best.as_ref().map_or(true, |(_, n, _)| diffs.len() < *n) {
            best = Some((kind, diffs.len(), first));
        }
    }
    match best {
        None => Err(RtlError::NoTop {
            name: cfg.name.clone(),
            tn: cfg.tn,
        }),
        Some((kind, _, (field, value, want))) => Err(RtlError::Structure {
            name: cfg.name.clone(),
            field,
            value,
            want,
            tn: cfg.tn,
            structure: kind.name(),
        }),
    }
}

/// The structural fields of `cfg` that differ from top `p`'s: (field, value, the top's).
fn structure_diffs(cfg: &AccelConfig, p: &AccelConfig) -> Vec<(&'static str, String, String)> {
    let fields: [(&'static str, String, String); 9] = [
        (
            "nbin_bytes",
            cfg.nbin_bytes.to_string(),
            p.nbin_bytes.to_string(),
        ),
        ("sb_bytes", cfg.sb_bytes.to_string(), p.sb_bytes.to_string()),
        (
            "nbout_bytes",
            cfg.nbout_bytes.to_string(),
            p.nbout_bytes.to_string(),
        ),
        (
            "data_bits",
            cfg.data_bits.to_string(),
            p.data_bits.to_string(),
        ),
        ("acc_bits", cfg.acc_bits.to_string(), p.acc_bits.to_string()),
        (
            "pipeline",
            format!("{:?}", cfg.pipeline),
            format!("{:?}", p.pipeline),
        ),
        (
            "imem_depth",
            cfg.imem_depth.to_string(),
            p.imem_depth.to_string(),
        ),
        (
            "queue_depth",
            cfg.queue_depth.to_string(),
            p.queue_depth.to_string(),
        ),
        (
            "dram.bytes_per_cycle",
            cfg.dram.bytes_per_cycle.to_string(),
            p.dram.bytes_per_cycle.to_string(),
        ),
    ];
    fields.into_iter().filter(|(_, v, w)| v != w).collect()
}
