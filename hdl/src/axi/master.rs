//! AXI4 master for the core's memory port.
//!
//! The core issues one beat command per cycle with no stall input; the master
//! queues the beats (command FIFO, write-data FIFO) and holds the core (its
//! gated clock, [`super::gate::ClockGate`], enable `ce`) when the beats it has
//! accepted and not yet answered reach [`CREDITS`], so no FIFO overflows
//! whatever the AXI slave does.
//!
//! Rows are served one at a time, in the order the core granted them, so DRAM
//! reads and writes take effect in grant order as the contract requires (a
//! write row is answered to the core only after all its `B` responses). A row
//! at byte address `A` (2-byte aligned) becomes INCR bursts of full-width
//! transfers starting at `A` rounded down to the bus width, split so that no
//! burst crosses a 4 KB boundary; read beats are realigned to `A`, write beats
//! are shifted to `A` with byte strobes covering exactly the row's bytes.
//! `AxVALID`/`WVALID` stay high, with their payload unchanged, until ready;
//! `RREADY` drops only while a response has no room, `BREADY` is always high.
//!
//! The core fetches its own program through the same port (rows of the
//! fetch unit, owner `OWNER_FETCH`, `INSTR_BYTES` bytes each), so the master
//! has no loader: after `start` it clears the core for a few cycles, then
//! runs it to `done`.

use crate::widths::{
    AxiCmdFields, TagFields, AXI_CMD_BITS, OWNERW, OWNER_FETCH, OWNER_NBIN, OWNER_NBOUT,
};
use arch::isa::fields::INSTR_BYTES;
use arch::AccelConfig;
use rust_hdl::prelude::*;

/// Bits of a command-FIFO entry (layout [`crate::widths::axi_cmd`]: write, words, addr, tag).
pub const CMD_BITS: usize = AXI_CMD_BITS;
const _: () = assert!(CMD_BITS == 81);
/// log2 of the FIFO depths.
pub const FIFO_LOG2: usize = 5;
/// Beats the core may have outstanding (accepted, not yet answered) before it is held.
pub const CREDITS: u32 = (1 << FIFO_LOG2) - 4;
const _: () = assert!(CREDITS < (1 << FIFO_LOG2));

type CmdFifo = SynchronousFIFO<Bits<CMD_BITS>, FIFO_LOG2, { FIFO_LOG2 + 1 }, 1>;

/// Errors building the master.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MasterError {
    /// The bus width does not match the configuration, or is not a power of two of at least 8 bytes.
    #[error("bus width {bw} bits does not fit configuration `{name}` (bytes_per_cycle {bpc}, power of two >= 8 required)")]
    Width {
        /// Type-level width, bits.
        bw: usize,
        /// Configuration name.
        name: String,
        /// Bytes per cycle of the configuration.
        bpc: u32,
    },
    /// A row needs more transfers than one AXI4 burst carries, or more beats than the FIFOs hold.
    #[error("a row of {bytes} bytes needs {beats} beats; at most {max} fit the FIFOs and one 256-transfer burst")]
    RowTooLong {
        /// Row bytes.
        bytes: u32,
        /// Beats.
        beats: u32,
        /// Limit.
        max: u32,
    },
}

/// The AXI4 master. `BW` bus width in bits (= 8 × bytes_per_cycle), `SW` = BW/8,
/// `RW` = BW + 32 (response FIFO entry).
#[derive(LogicBlock)]
pub struct AxiMaster<const BW: usize, const SW: usize, const RW: usize> {
    /// Clock (the AXI clock).
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, bool>,
    /// AW address.
    pub awaddr: Signal<Out, Bits<32>>,
    /// AW burst length − 1.
    pub awlen: Signal<Out, Bits<8>>,
    /// AW size (log2 bytes per transfer).
    pub awsize: Signal<Out, Bits<3>>,
    /// AW burst type (1 = INCR).
    pub awburst: Signal<Out, Bits<2>>,
    /// AW valid.
    pub awvalid: Signal<Out, bool>,
    /// AW ready.
    pub awready: Signal<In, bool>,
    /// W data.
    pub wdata: Signal<Out, Bits<BW>>,
    /// W strobes.
    pub wstrb: Signal<Out, Bits<SW>>,
    /// W last.
    pub wlast: Signal<Out, bool>,
    /// W valid.
    pub wvalid: Signal<Out, bool>,
    /// W ready.
    pub wready: Signal<In, bool>,
    /// B response.
    pub bresp: Signal<In, Bits<2>>,
    /// B valid.
    pub bvalid: Signal<In, bool>,
    /// B ready.
    pub bready: Signal<Out, bool>,
    /// AR address.
    pub araddr: Signal<Out, Bits<32>>,
    /// AR burst length − 1.
    pub arlen: Signal<Out, Bits<8>>,
    /// AR size.
    pub arsize: Signal<Out, Bits<3>>,
    /// AR burst type.
    pub arburst: Signal<Out, Bits<2>>,
    /// AR valid.
    pub arvalid: Signal<Out, bool>,
    /// AR ready.
    pub arready: Signal<In, bool>,
    /// R data.
    pub rdata: Signal<In, Bits<BW>>,
    /// R response.
    pub rresp: Signal<In, Bits<2>>,
    /// R last.
    pub rlast: Signal<In, bool>,
    /// R valid.
    pub rvalid: Signal<In, bool>,
    /// R ready.
    pub rready: Signal<Out, bool>,
    /// Start pulse (`ctrl.start`).
    pub start: Signal<In, bool>,
    /// Added to every core address.
    pub dram_base: Signal<In, Bits<32>>,
    /// From `start` to halt.
    pub busy: Signal<Out, bool>,
    /// Halted (until the next start).
    pub done: Signal<Out, bool>,
    /// Sticky bus error (until the next start).
    pub bus_error: Signal<Out, bool>,
    /// Core clock enable for the next edge (from registers only).
    pub ce: Signal<Out, bool>,
    /// Core `run`.
    pub c_run: Signal<Out, bool>,
    /// Core `done`.
    pub c_done: Signal<In, bool>,
    /// Core beat command valid.
    pub c_cmd_valid: Signal<In, bool>,
    /// Core beat is a write.
    pub c_cmd_write: Signal<In, bool>,
    /// Core beat address.
    pub c_cmd_addr: Signal<In, Bits<32>>,
    /// Core beat tag.
    pub c_cmd_tag: Signal<In, Bits<32>>,
    /// Core beat words.
    pub c_cmd_words: Signal<In, Bits<16>>,
    /// Core write data (core cycle after its command).
    pub c_wdata: Signal<In, Bits<BW>>,
    /// Response to the core.
    pub c_resp_valid: Signal<Out, bool>,
    /// Response tag.
    pub c_resp_tag: Signal<Out, Bits<32>>,
    /// Response data.
    pub c_resp_data: Signal<Out, Bits<BW>>,
    cmdq: CmdFifo,
    wdq: SynchronousFIFO<Bits<BW>, FIFO_LOG2, { FIFO_LOG2 + 1 }, 1>,
    respq: SynchronousFIFO<Bits<RW>, FIFO_LOG2, { FIFO_LOG2 + 1 }, 1>,
    mode: DFF<Bits<3>>,
    eng: DFF<Bits<2>>,
    clr_n: DFF<Bits<2>>,
    run_q: DFF<bool>,
    done_q: DFF<bool>,
    berr: DFF<bool>,
    credit: DFF<Bits<8>>,
    wpend: DFF<bool>,
    off: DFF<Bits<16>>,
    a_addr: DFF<Bits<32>>,
    a_left: DFF<Bits<16>>,
    a_valid: DFF<bool>,
    a_write: DFF<bool>,
    a_cur: DFF<Bits<32>>,
    a_len: DFF<Bits<8>>,
    a_bursts: DFF<Bits<16>>,
    r_left: DFF<Bits<16>>,
    r_first: DFF<bool>,
    prev: DFF<Bits<BW>>,
    e_left: DFF<Bits<16>>,
    w_left: DFF<Bits<16>>,
    w_addr: DFF<Bits<32>>,
    w_first: DFF<bool>,
    w_rem: DFF<Bits<16>>,
    w_nb: DFF<Bits<16>>,
    w_prev: DFF<Bits<BW>>,
    b_got: DFF<Bits<16>>,
    // combinational
    head: Signal<Local, Bits<CMD_BITS>>,
    h_tag: Signal<Local, Bits<32>>,
    h_addr: Signal<Local, Bits<32>>,
    h_bytes: Signal<Local, Bits<16>>,
    h_beats: Signal<Local, Bits<16>>,
    s_addr: Signal<Local, Bits<32>>,
    s_bytes: Signal<Local, Bits<16>>,
    s_beats: Signal<Local, Bits<16>>,
    s_go: Signal<Local, bool>,
    s_write: Signal<Local, bool>,
    s_off: Signal<Local, Bits<16>>,
    page_left: Signal<Local, Bits<16>>,
    blen: Signal<Local, Bits<16>>,
    need_emit: Signal<Local, bool>,
    r_hs: Signal<Local, bool>,
    beat: Signal<Local, Bits<BW>>,
    w_d: Signal<Local, Bits<BW>>,
    w_skip: Signal<Local, Bits<16>>,
    w_end: Signal<Local, Bits<16>>,
    w_hs: Signal<Local, bool>,
    core_step: Signal<Local, bool>,
    resp_pop: Signal<Local, bool>,
    k_bpc: Constant<Bits<16>>,
    k_bpc32: Constant<Bits<32>>,
    k_lb: Constant<Bits<16>>,
    k_size: Constant<Bits<3>>,
    k_lowmask: Constant<Bits<32>>,
    k_ones: Constant<Bits<SW>>,
    k_credits: Constant<Bits<8>>,
    k_ib_bytes: Constant<Bits<32>>,
    k_ib_beats: Constant<Bits<16>>,
    k_by_nbin: Constant<Bits<16>>,
    k_by_sb: Constant<Bits<16>>,
    k_by_wide: Constant<Bits<16>>,
    k_by_narrow: Constant<Bits<16>>,
    k_nb_nbin: Constant<Bits<16>>,
    k_nb_sb: Constant<Bits<16>>,
    k_nb_wide: Constant<Bits<16>>,
    k_nb_narrow: Constant<Bits<16>>,
    k_page: Constant<Bits<32>>,
    k_owner_nbin: Constant<Bits<OWNERW>>,
    k_owner_nbout: Constant<Bits<OWNERW>>,
    k_owner_fetch: Constant<Bits<OWNERW>>,
}

fn c16(v: u32) -> Constant<Bits<16>> {
    Constant::new((v as u64).into())
}

impl<const BW: usize, const SW: usize, const RW: usize> AxiMaster<BW, SW, RW> {
    /// The master for `cfg` (checks the type-level widths against it).
    pub fn new(cfg: &AccelConfig) -> Result<Self, MasterError> {
        let bpc = cfg.dram.bytes_per_cycle;
        if BW != 8 * bpc as usize
            || !bpc.is_power_of_two()
            || bpc < 8
            || SW * 8 != BW
            || RW != BW + 32
        {
            return Err(MasterError::Width {
                bw: BW,
                name: cfg.name.clone(),
                bpc,
            });
        }
        let ib_beats = cfg.beats(INSTR_BYTES as u32);
        let tn = cfg.tn;
        let by_nbin = cfg.nbin_row_bytes();
        let by_sb = cfg.sb_row_bytes();
        let by_wide = cfg.nbout_row_bytes();
        let by_narrow = tn * cfg.data_bytes();
        let max = (CREDITS - 1).min(255);
        for bytes in [by_nbin, by_sb, by_wide, by_narrow, INSTR_BYTES as u32] {
            let beats = cfg.beats(bytes);
            if beats > max {
                return Err(MasterError::RowTooLong { bytes, beats, max });
            }
        }
        Ok(Self {
            clock: Default::default(),
            reset: Default::default(),
            awaddr: Default::default(),
            awlen: Default::default(),
            awsize: Default::default(),
            awburst: Default::default(),
            awvalid: Default::default(),
            awready: Default::default(),
            wdata: Default::default(),
            wstrb: Default::default(),
            wlast: Default::default(),
            wvalid: Default::default(),
            wready: Default::default(),
            bresp: Default::default(),
            bvalid: Default::default(),
            bready: Default::default(),
            araddr: Default::default(),
            arlen: Default::default(),
            arsize: Default::default(),
            arburst: Default::default(),
            arvalid: Default::default(),
            arready: Default::default(),
            rdata: Default::default(),
            rresp: Default::default(),
            rlast: Default::default(),
            rvalid: Default::default(),
            rready: Default::default(),
            start: Default::default(),
            dram_base: Default::default(),
            busy: Default::default(),
            done: Default::default(),
            bus_error: Default::default(),
            ce: Default::default(),
            c_run: Default::default(),
            c_done: Default::default(),
            c_cmd_valid: Default::default(),
            c_cmd_write: Default::default(),
            c_cmd_addr: Default::default(),
            c_cmd_tag: Default::default(),
            c_cmd_words: Default::default(),
            c_wdata: Default::default(),
            c_resp_valid: Default::default(),
            c_resp_tag: Default::default(),
            c_resp_data: Default::default(),
            cmdq: Default::default(),
            wdq: Default::default(),
            respq: Default::default(),
            mode: Default::default(),
            eng: Default::default(),
            clr_n: Default::default(),
            run_q: Default::default(),
            done_q: Default::default(),
            berr: Default::default(),
            credit: Default::default(),
            wpend: Default::default(),
            off: Default::default(),
            a_addr: Default::default(),
            a_left: Default::default(),
            a_valid: Default::default(),
            a_write: Default::default(),
            a_cur: Default::default(),
            a_len: Default::default(),
            a_bursts: Default::default(),
            r_left: Default::default(),
            r_first: Default::default(),
            prev: Default::default(),
            e_left: Default::default(),
            w_left: Default::default(),
            w_addr: Default::default(),
            w_first: Default::default(),
            w_rem: Default::default(),
            w_nb: Default::default(),
            w_prev: Default::default(),
            b_got: Default::default(),
            head: Default::default(),
            h_tag: Default::default(),
            h_addr: Default::default(),
            h_bytes: Default::default(),
            h_beats: Default::default(),
            s_addr: Default::default(),
            s_bytes: Default::default(),
            s_beats: Default::default(),
            s_go: Default::default(),
            s_write: Default::default(),
            s_off: Default::default(),
            page_left: Default::default(),
            blen: Default::default(),
            need_emit: Default::default(),
            r_hs: Default::default(),
            beat: Default::default(),
            w_d: Default::default(),
            w_skip: Default::default(),
            w_end: Default::default(),
            w_hs: Default::default(),
            core_step: Default::default(),
            resp_pop: Default::default(),
            k_bpc: c16(bpc),
            k_bpc32: Constant::new((bpc as u64).into()),
            k_lb: c16(bpc.trailing_zeros()),
            k_size: Constant::new((bpc.trailing_zeros() as u64).into()),
            k_lowmask: Constant::new(((bpc - 1) as u64).into()),
            k_ones: Constant::new(Bits::<SW>::mask()),
            k_credits: Constant::new((CREDITS as u64).into()),
            k_ib_bytes: Constant::new((INSTR_BYTES as u64).into()),
            k_ib_beats: c16(ib_beats),
            k_by_nbin: c16(by_nbin),
            k_by_sb: c16(by_sb),
            k_by_wide: c16(by_wide),
            k_by_narrow: c16(by_narrow),
            k_nb_nbin: c16(cfg.beats(by_nbin)),
            k_nb_sb: c16(cfg.beats(by_sb)),
            k_nb_wide: c16(cfg.beats(by_wide)),
            k_nb_narrow: c16(cfg.beats(by_narrow)),
            k_page: Constant::new(4096u64.into()),
            k_owner_nbin: Constant::new(OWNER_NBIN.into()),
            k_owner_nbout: Constant::new(OWNER_NBOUT.into()),
            k_owner_fetch: Constant::new(OWNER_FETCH.into()),
        })
    }
}

// mode: 0 idle, 1 clear (core run low), 3 run
// eng: 0 idle, 1 read row, 2 write row, 3 answer write row
impl<const BW: usize, const SW: usize, const RW: usize> Logic for AxiMaster<BW, SW, RW> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, mode, eng, clr_n, run_q, done_q, berr, credit, wpend, off, a_addr, a_left,
            a_valid, a_write, a_cur, a_len, a_bursts, r_left, r_first, prev, e_left, w_left,
            w_addr, w_first, w_rem, w_nb, w_prev, b_got
        );
        clock!(self, clock, cmdq, wdq, respq);
        // ---- core side: clock enable, command and data capture, responses
        // a held core can always take a response (net credit change <= 0)
        self.ce.next = (self.mode.q.val() != 3)
            || (self.credit.q.val() < self.k_credits.val())
            || !self.respq.empty.val();
        self.core_step.next = self.ce.val();
        self.c_run.next = self.run_q.q.val();
        self.c_resp_valid.next = !self.respq.empty.val();
        self.c_resp_tag.next = self.respq.data_out.val().get_bits::<32>(0);
        self.c_resp_data.next = self.respq.data_out.val().get_bits::<BW>(32);
        self.resp_pop.next = self.core_step.val() && !self.respq.empty.val();
        self.respq.read.next = self.resp_pop.val();
        self.cmdq.data_in.next = 0.into();
        self.cmdq
            .data_in
            .next
            .set_value_write(self.c_cmd_write.val().into());
        self.cmdq
            .data_in
            .next
            .set_value_words(self.c_cmd_words.val());
        self.cmdq.data_in.next.set_value_addr(self.c_cmd_addr.val());
        self.cmdq.data_in.next.set_value_tag(self.c_cmd_tag.val());
        self.cmdq.write.next = false;
        self.wdq.data_in.next = self.c_wdata.val();
        // write data is the core's output in the cycle after its command's step, held or not
        self.wdq.write.next = self.wpend.q.val();
        self.wpend.d.next = false;
        self.credit.d.next = self.credit.q.val();
        if self.core_step.val() && (self.mode.q.val() == 3) {
            self.wpend.d.next = self.c_cmd_valid.val() && self.c_cmd_write.val();
            if self.c_cmd_valid.val() {
                self.cmdq.write.next = true;
            }
            if self.c_cmd_valid.val() && !self.resp_pop.val() {
                self.credit.d.next = self.credit.q.val() + 1;
            }
            if !self.c_cmd_valid.val() && self.resp_pop.val() {
                self.credit.d.next = self.credit.q.val() - 1;
            }
        }
        // ---- run control
        if self.start.val() && (self.mode.q.val() == 0) {
            self.mode.d.next = 1.into();
            self.clr_n.d.next = 3.into();
            self.run_q.d.next = false;
            self.done_q.d.next = false;
            self.berr.d.next = false;
            self.credit.d.next = 0.into();
            self.wpend.d.next = false;
        }
        if self.mode.q.val() == 1 {
            self.clr_n.d.next = self.clr_n.q.val() - 1;
            if self.clr_n.q.val() == 0 {
                self.mode.d.next = 3.into();
                self.run_q.d.next = true;
            }
        }
        if (self.mode.q.val() == 3) && self.c_done.val() {
            self.mode.d.next = 0.into();
            self.done_q.d.next = true;
        }
        self.busy.next = self.mode.q.val() != 0;
        self.done.next = self.done_q.q.val();
        self.bus_error.next = self.berr.q.val();
        // ---- row start
        self.head.next = self.cmdq.data_out.val();
        self.h_tag.next = self.head.val().get_value_tag();
        self.h_addr.next = self.head.val().get_value_addr() + self.dram_base.val();
        self.h_bytes.next = self.k_by_sb.val();
        self.h_beats.next = self.k_nb_sb.val();
        if self.h_tag.val().get_value_owner() == self.k_owner_nbin.val() {
            self.h_bytes.next = self.k_by_nbin.val();
            self.h_beats.next = self.k_nb_nbin.val();
        }
        if self.h_tag.val().get_value_owner() == self.k_owner_fetch.val() {
            self.h_bytes.next = bit_cast::<16, 32>(self.k_ib_bytes.val());
            self.h_beats.next = self.k_ib_beats.val();
        }
        if self.h_tag.val().get_value_owner() == self.k_owner_nbout.val() {
            self.h_bytes.next = self.k_by_wide.val();
            self.h_beats.next = self.k_nb_wide.val();
            if self.h_tag.val().get_value_narrow().any() {
                self.h_bytes.next = self.k_by_narrow.val();
                self.h_beats.next = self.k_nb_narrow.val();
            }
        }
        self.s_go.next = false;
        self.s_write.next = false;
        self.s_addr.next = self.h_addr.val();
        self.s_bytes.next = self.h_bytes.val();
        self.s_beats.next = self.h_beats.val();
        if (self.eng.q.val() == 0) && (self.mode.q.val() == 3) && !self.cmdq.empty.val() {
            self.s_go.next = true;
            self.s_write.next = self.head.val().get_value_write().any();
        }
        self.s_off.next = bit_cast::<16, 32>(self.s_addr.val() & self.k_lowmask.val());
        if self.s_go.val() {
            self.off.d.next = self.s_off.val();
            self.a_addr.d.next = self.s_addr.val() & !self.k_lowmask.val();
            self.w_addr.d.next = self.s_addr.val() & !self.k_lowmask.val();
            self.a_write.d.next = self.s_write.val();
            self.a_bursts.d.next = 0.into();
            self.b_got.d.next = 0.into();
            self.r_first.d.next = true;
            self.w_first.d.next = true;
            self.prev.d.next = 0.into();
            self.w_prev.d.next = 0.into();
            self.e_left.d.next = self.s_beats.val();
            self.w_nb.d.next = self.s_beats.val();
            self.w_rem.d.next = self.s_bytes.val();
            if self.s_write.val() {
                self.eng.d.next = 2.into();
                self.a_left.d.next = (self.s_off.val() + self.s_bytes.val() + self.k_bpc.val() - 1)
                    >> self.k_lb.val();
                self.w_left.d.next = (self.s_off.val() + self.s_bytes.val() + self.k_bpc.val() - 1)
                    >> self.k_lb.val();
            } else {
                self.eng.d.next = 1.into();
                self.a_left.d.next = self.s_beats.val();
                self.r_left.d.next = self.s_beats.val();
                if self.s_off.val() != 0 {
                    self.a_left.d.next = self.s_beats.val() + 1;
                    self.r_left.d.next = self.s_beats.val() + 1;
                }
            }
        }
        // ---- address channel (AR or AW): bursts of at most the rest of the 4 KB page
        self.page_left.next = bit_cast::<16, 32>(
            (self.k_page.val() - (self.a_addr.q.val() & 0xFFF)) >> self.k_lb.val(),
        );
        self.blen.next = self.a_left.q.val();
        if self.page_left.val() < self.a_left.q.val() {
            self.blen.next = self.page_left.val();
        }
        if self.a_valid.q.val()
            && ((self.a_write.q.val() && self.awready.val())
                || (!self.a_write.q.val() && self.arready.val()))
        {
            self.a_valid.d.next = false;
        }
        if (self.eng.q.val() == 1) || (self.eng.q.val() == 2) {
            if (!self.a_valid.q.val()) && (self.a_left.q.val() != 0) {
                self.a_valid.d.next = true;
                self.a_cur.d.next = self.a_addr.q.val();
                self.a_len.d.next = bit_cast::<8, 16>(self.blen.val() - 1);
                self.a_addr.d.next =
                    self.a_addr.q.val() + (bit_cast::<32, 16>(self.blen.val()) << self.k_lb.val());
                self.a_left.d.next = self.a_left.q.val() - self.blen.val();
                self.a_bursts.d.next = self.a_bursts.q.val() + 1;
            }
        }
        self.araddr.next = self.a_cur.q.val();
        self.awaddr.next = self.a_cur.q.val();
        self.arlen.next = self.a_len.q.val();
        self.awlen.next = self.a_len.q.val();
        self.arsize.next = self.k_size.val();
        self.awsize.next = self.k_size.val();
        self.arburst.next = 1.into();
        self.awburst.next = 1.into();
        self.arvalid.next = self.a_valid.q.val() && !self.a_write.q.val();
        self.awvalid.next = self.a_valid.q.val() && self.a_write.q.val();
        // ---- read data: realign to the row address, answer the core
        self.need_emit.next = !(self.r_first.q.val() && (self.off.q.val() != 0));
        self.rready.next = (self.eng.q.val() == 1)
            && (self.r_left.q.val() != 0)
            && (!self.need_emit.val() || (!self.cmdq.empty.val() && !self.respq.full.val()));
        self.r_hs.next = self.rready.val() && self.rvalid.val();
        self.beat.next = self.rdata.val();
        if self.off.q.val() != 0 {
            self.beat.next = (self.prev.q.val() >> (self.off.q.val() << 3))
                | (self.rdata.val() << ((self.k_bpc.val() - self.off.q.val()) << 3));
        }
        self.cmdq.read.next = false;
        self.respq.write.next = false;
        self.respq.data_in.next = bit_cast::<RW, 32>(self.h_tag.val());
        if self.r_hs.val() {
            self.r_left.d.next = self.r_left.q.val() - 1;
            self.r_first.d.next = false;
            self.prev.d.next = self.rdata.val();
            if self.rresp.val() != 0 {
                self.berr.d.next = true;
            }
            if self.need_emit.val() {
                self.e_left.d.next = self.e_left.q.val() - 1;
                self.respq.write.next = true;
                self.respq.data_in.next = bit_cast::<RW, 32>(self.h_tag.val())
                    | (bit_cast::<RW, BW>(self.beat.val()) << 32);
                self.cmdq.read.next = true;
            }
        }
        if (self.eng.q.val() == 1)
            && (self.r_left.q.val() == 0)
            && (self.a_left.q.val() == 0)
            && !self.a_valid.q.val()
        {
            self.eng.d.next = 0.into();
        }
        // ---- write data: shift to the row address, strobe exactly the row's bytes
        self.w_d.next = 0.into();
        if self.w_nb.q.val() != 0 {
            self.w_d.next = self.wdq.data_out.val();
        }
        self.wdata.next = self.w_d.val();
        if self.off.q.val() != 0 {
            self.wdata.next = (self.w_d.val() << (self.off.q.val() << 3))
                | (self.w_prev.q.val() >> ((self.k_bpc.val() - self.off.q.val()) << 3));
        }
        self.w_skip.next = 0.into();
        if self.w_first.q.val() {
            self.w_skip.next = self.off.q.val();
        }
        self.w_end.next = self.w_skip.val() + self.w_rem.q.val();
        self.wstrb.next = self.k_ones.val() << self.w_skip.val();
        if self.w_end.val() < self.k_bpc.val() {
            self.wstrb.next =
                (self.k_ones.val() << self.w_skip.val()) & !(self.k_ones.val() << self.w_end.val());
        }
        self.wlast.next = (self.w_left.q.val() == 1)
            || (((self.w_addr.q.val() + self.k_bpc32.val()) & 0xFFF) == 0);
        self.wvalid.next = (self.eng.q.val() == 2)
            && (self.w_left.q.val() != 0)
            && ((self.w_nb.q.val() == 0) || !self.wdq.empty.val());
        self.w_hs.next = self.wvalid.val() && self.wready.val();
        self.wdq.read.next = false;
        if self.w_hs.val() {
            self.w_left.d.next = self.w_left.q.val() - 1;
            self.w_addr.d.next = self.w_addr.q.val() + self.k_bpc32.val();
            self.w_first.d.next = false;
            self.w_rem.d.next = 0.into();
            if self.w_end.val() > self.k_bpc.val() {
                self.w_rem.d.next = self.w_end.val() - self.k_bpc.val();
            }
            if self.w_nb.q.val() != 0 {
                self.w_prev.d.next = self.w_d.val();
                self.wdq.read.next = true;
                self.w_nb.d.next = self.w_nb.q.val() - 1;
            }
        }
        self.bready.next = true;
        if self.bvalid.val() {
            self.b_got.d.next = self.b_got.q.val() + 1;
            if self.bresp.val() != 0 {
                self.berr.d.next = true;
            }
        }
        if (self.eng.q.val() == 2)
            && (self.a_left.q.val() == 0)
            && !self.a_valid.q.val()
            && (self.w_left.q.val() == 0)
            && (self.b_got.q.val() == self.a_bursts.q.val())
        {
            self.eng.d.next = 3.into();
        }
        // ---- answer a written row: one response per beat, in order
        if (self.eng.q.val() == 3) && !self.cmdq.empty.val() && !self.respq.full.val() {
            self.respq.write.next = true;
            self.cmdq.read.next = true;
            self.e_left.d.next = self.e_left.q.val() - 1;
            if self.e_left.q.val() == 1 {
                self.eng.d.next = 0.into();
            }
        }
        if self.reset.val() {
            self.mode.d.next = 0.into();
            self.eng.d.next = 0.into();
            self.run_q.d.next = false;
            self.done_q.d.next = false;
            self.berr.d.next = false;
            self.a_valid.d.next = false;
            self.credit.d.next = 0.into();
            self.wpend.d.next = false;
        }
    }
}
