//! AXI4 master for the core's memory port: the contract's port, exactly.
//!
//! The core sees the memory of docs/microarchitecture.md ("DMAs and the
//! memory port"): every beat command it issues in its cycle `c` is answered
//! in its cycle `c + L` (`L` = `dram.latency_cycles`), read data or write
//! acknowledgement. The master keeps that promise whatever the AXI slave
//! does by stamping each accepted beat with its due core cycle
//! ([`crate::widths::axi_due`]) and, when a due read beat's data has not yet
//! arrived, holding the core (its gated clock, [`super::gate::ClockGate`],
//! enable `ce`) until it has. So the core's cycles, events and DRAM effects
//! equal the simulator's for every bus timing; a slow bus only adds held
//! AXI cycles (`held`). When the slave returns the first read data
//! `L - arch::config::AXI_MASTER_CYCLES` cycles after `ARVALID` is accepted
//! and streams one transfer per cycle (the board presets' DDR model), the
//! core is never held.
//!
//! Behind the stamps the port is pipelined (docs/boards.md, "AXI
//! behaviour"): rows are issued in the core's grant order, each as INCR
//! bursts of full-width transfers of at most [`MAX_BURST`] transfers (the
//! Zynq UltraScale+ HP ports' limit, UG1085) that never cross a 4 KB
//! boundary; many reads and writes are outstanding at once. A read whose
//! bytes overlap a write still waiting for its `B` response, or a write
//! overlapping a read still in flight, waits (AXI orders neither across the
//! two channels), which keeps "DRAM reads and writes take effect in grant
//! order". Writes are acknowledged to the core on time, before their `B`;
//! `done` waits for every `B`. A row at byte address `A` (2-byte aligned)
//! starts at `A` rounded down to the bus width: read transfers are
//! realigned to `A`, write transfers shifted with strobes covering exactly
//! the row's bytes. `AxVALID`/`WVALID` stay high, with their payload
//! unchanged, until ready; `RREADY` drops only while the read buffer is
//! nearly full; `BREADY` is always high.
//!
//! The core fetches its own program through the same port (rows of the
//! fetch unit, owner `OWNER_FETCH`, `INSTR_BYTES` bytes each).

use crate::widths::{
    AxiCmdFields, AxiDueFields, AxiRrowFields, AxiWrowFields, TagFields, AXI_CMD_BITS,
    AXI_DUE_BITS, AXI_RROW_BITS, AXI_WROW_BITS, AXW, DUEW, OWNERW, OWNER_FETCH, OWNER_NBIN,
    OWNER_NBOUT, OWNER_SB,
};
use arch::isa::fields::INSTR_BYTES;
use arch::AccelConfig;
use rust_hdl::prelude::*;

/// log2 of the FIFO depths (commands, due stamps, write data, read data, rows).
pub const FIFO_LOG2: usize = 8;
/// Entries of each FIFO.
pub const FIFO_DEPTH: u32 = 1 << FIFO_LOG2;
/// A FIFO counts as nearly full (the core is held, or `RREADY` drops) with
/// this many entries or fewer free.
pub const FIFO_SLACK: u32 = 8;
/// Largest `dram.latency_cycles` the master supports: the beats the core
/// has outstanding (at most `L + 1`) must stay below the nearly-full mark of
/// the read-data FIFO, so read data never waits for room.
pub const MAX_LATENCY: u32 = FIFO_DEPTH - FIFO_SLACK - 2;
/// Smallest `dram.latency_cycles`: a stamp must be visible at the FIFO's
/// output by its due cycle.
pub const MIN_LATENCY: u32 = 3;
/// Longest burst, transfers (Zynq UltraScale+ HP ports, UG1085: "AXI4
/// access in the PL is limited to a burst length of 16").
pub const MAX_BURST: u32 = 16;

type Fifo<const W: usize> = SynchronousFIFO<Bits<W>, FIFO_LOG2, { FIFO_LOG2 + 1 }, FIFO_SLACK>;

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
    /// The latency is outside what the master's FIFOs support.
    #[error("configuration `{name}`: field `dram.latency_cycles` is {latency}; the AXI master supports {min}..={max} cycles")]
    Latency {
        /// Configuration name.
        name: String,
        /// Its latency, cycles.
        latency: u32,
        /// Smallest supported, cycles.
        min: u32,
        /// Largest supported, cycles.
        max: u32,
    },
}

/// The AXI4 master. `BW` bus width in bits (= 8 × bytes_per_cycle), `SW` = BW/8.
#[derive(LogicBlock)]
pub struct AxiMaster<const BW: usize, const SW: usize> {
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
    /// From `start` to done.
    pub busy: Signal<Out, bool>,
    /// Done: the core halted and every write has its `B` (until the next start).
    pub done: Signal<Out, bool>,
    /// Sticky bus error (until the next start).
    pub bus_error: Signal<Out, bool>,
    /// Core clock enable for the next edge (from registers only).
    pub ce: Signal<Out, bool>,
    /// The core runs (cycle 0 onwards) and has not halted.
    pub running: Signal<Out, bool>,
    /// The core is held this cycle (running, clock enable low).
    pub held: Signal<Out, bool>,
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
    cmdq: Fifo<AXI_CMD_BITS>,
    dueq: Fifo<AXI_DUE_BITS>,
    wdq: Fifo<BW>,
    rdq: Fifo<BW>,
    rrowq: Fifo<AXI_RROW_BITS>,
    wrowq: Fifo<AXI_WROW_BITS>,
    mode: DFF<Bits<2>>,
    clr_n: DFF<Bits<2>>,
    run_q: DFF<bool>,
    done_q: DFF<bool>,
    berr: DFF<bool>,
    wpend: DFF<bool>,
    kc: DFF<Bits<DUEW>>,
    skip: DFF<Bits<AXW>>,
    a_addr: DFF<Bits<32>>,
    a_left: DFF<Bits<AXW>>,
    a_valid: DFF<bool>,
    a_write: DFF<bool>,
    a_cur: DFF<Bits<32>>,
    a_len: DFF<Bits<8>>,
    a_wcur: DFF<bool>,
    rd_rows: DFF<Bits<AXW>>,
    rc1: DFF<Bits<AXW>>,
    rlo1: DFF<Bits<32>>,
    rhi1: DFF<Bits<32>>,
    rc2: DFF<Bits<AXW>>,
    rlo2: DFF<Bits<32>>,
    rhi2: DFF<Bits<32>>,
    rc3: DFF<Bits<AXW>>,
    rlo3: DFF<Bits<32>>,
    rhi3: DFF<Bits<32>>,
    rc4: DFF<Bits<AXW>>,
    rlo4: DFF<Bits<32>>,
    rhi4: DFF<Bits<32>>,
    w_out: DFF<Bits<AXW>>,
    w_lo: DFF<Bits<32>>,
    w_hi: DFF<Bits<32>>,
    r_cnt: DFF<Bits<AXW>>,
    prev: DFF<Bits<BW>>,
    w_cnt: DFF<Bits<AXW>>,
    w_bcnt: DFF<Bits<AXW>>,
    w_rem: DFF<Bits<AXW>>,
    w_addr: DFF<Bits<12>>,
    w_prev: DFF<Bits<BW>>,
    // combinational
    running_c: Signal<Local, bool>,
    d_head: Signal<Local, Bits<AXI_DUE_BITS>>,
    due_now: Signal<Local, bool>,
    hold: Signal<Local, bool>,
    core_step: Signal<Local, bool>,
    head: Signal<Local, Bits<AXI_CMD_BITS>>,
    h_tag: Signal<Local, Bits<32>>,
    h_addr: Signal<Local, Bits<32>>,
    h_end: Signal<Local, Bits<32>>,
    h_bytes: Signal<Local, Bits<AXW>>,
    h_beats: Signal<Local, Bits<AXW>>,
    h_off: Signal<Local, Bits<AXW>>,
    h_xw: Signal<Local, Bits<AXW>>,
    h_xr: Signal<Local, Bits<AXW>>,
    h_write: Signal<Local, bool>,
    h_owner: Signal<Local, Bits<OWNERW>>,
    r_owner: Signal<Local, Bits<OWNERW>>,
    hazard: Signal<Local, bool>,
    start_row: Signal<Local, bool>,
    a_bus_free: Signal<Local, bool>,
    src_gen: Signal<Local, bool>,
    src_addr: Signal<Local, Bits<32>>,
    src_left: Signal<Local, Bits<AXW>>,
    src_write: Signal<Local, bool>,
    a_hs: Signal<Local, bool>,
    page_left: Signal<Local, Bits<AXW>>,
    blen1: Signal<Local, Bits<AXW>>,
    blen: Signal<Local, Bits<AXW>>,
    h_al: Signal<Local, Bits<32>>,
    w_next_addr: Signal<Local, Bits<12>>,
    aw_issue: Signal<Local, bool>,
    rrow: Signal<Local, Bits<AXI_RROW_BITS>>,
    need_emit: Signal<Local, bool>,
    r_hs: Signal<Local, bool>,
    beat: Signal<Local, Bits<BW>>,
    r_row_end: Signal<Local, bool>,
    wrow: Signal<Local, Bits<AXI_WROW_BITS>>,
    w_has_data: Signal<Local, bool>,
    w_d: Signal<Local, Bits<BW>>,
    w_off: Signal<Local, Bits<AXW>>,
    w_cur_rem: Signal<Local, Bits<AXW>>,
    w_cur_addr: Signal<Local, Bits<12>>,
    w_skip: Signal<Local, Bits<AXW>>,
    w_hs: Signal<Local, bool>,
    b_hs: Signal<Local, bool>,
    drained: Signal<Local, bool>,
    k_bpc: Constant<Bits<AXW>>,
    k_bpc12: Constant<Bits<12>>,
    k_lb: Constant<Bits<AXW>>,
    k_size: Constant<Bits<3>>,
    k_lowmask: Constant<Bits<32>>,
    k_ones: Constant<Bits<SW>>,
    k_lat: Constant<Bits<DUEW>>,
    k_burst: Constant<Bits<AXW>>,
    k_ib_bytes: Constant<Bits<AXW>>,
    k_ib_beats: Constant<Bits<AXW>>,
    k_by_nbin: Constant<Bits<AXW>>,
    k_by_sb: Constant<Bits<AXW>>,
    k_by_wide: Constant<Bits<AXW>>,
    k_by_narrow: Constant<Bits<AXW>>,
    k_nb_nbin: Constant<Bits<AXW>>,
    k_nb_sb: Constant<Bits<AXW>>,
    k_nb_wide: Constant<Bits<AXW>>,
    k_nb_narrow: Constant<Bits<AXW>>,
    k_page: Constant<Bits<32>>,
    k_owner_nbin: Constant<Bits<OWNERW>>,
    k_owner_nbout: Constant<Bits<OWNERW>>,
    k_owner_fetch: Constant<Bits<OWNERW>>,
    k_owner_sb: Constant<Bits<OWNERW>>,
}

fn cw(v: u32) -> Constant<Bits<AXW>> {
    Constant::new((v as u64).into())
}

impl<const BW: usize, const SW: usize> AxiMaster<BW, SW> {
    /// The master for `cfg` (checks the type-level widths and the latency against it).
    pub fn new(cfg: &AccelConfig) -> Result<Self, MasterError> {
        let bpc = cfg.dram.bytes_per_cycle;
        if BW != 8 * bpc as usize || !bpc.is_power_of_two() || bpc < 8 || SW * 8 != BW {
            return Err(MasterError::Width {
                bw: BW,
                name: cfg.name.clone(),
                bpc,
            });
        }
        let lat = cfg.dram.latency_cycles;
        if !(MIN_LATENCY..=MAX_LATENCY).contains(&lat) {
            return Err(MasterError::Latency {
                name: cfg.name.clone(),
                latency: lat,
                min: MIN_LATENCY,
                max: MAX_LATENCY,
            });
        }
        let by_nbin = cfg.nbin_row_bytes();
        let by_sb = cfg.sb_row_bytes();
        let by_wide = cfg.nbout_row_bytes();
        let by_narrow = cfg.tn * cfg.data_bytes();
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
            running: Default::default(),
            held: Default::default(),
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
            dueq: Default::default(),
            wdq: Default::default(),
            rdq: Default::default(),
            rrowq: Default::default(),
            wrowq: Default::default(),
            mode: Default::default(),
            clr_n: Default::default(),
            run_q: Default::default(),
            done_q: Default::default(),
            berr: Default::default(),
            wpend: Default::default(),
            kc: Default::default(),
            skip: Default::default(),
            a_addr: Default::default(),
            a_left: Default::default(),
            a_valid: Default::default(),
            a_write: Default::default(),
            a_cur: Default::default(),
            a_len: Default::default(),
            a_wcur: Default::default(),
            src_gen: Default::default(),
            src_addr: Default::default(),
            src_left: Default::default(),
            src_write: Default::default(),
            a_hs: Default::default(),
            rd_rows: Default::default(),
            rc1: Default::default(),
            rlo1: Default::default(),
            rhi1: Default::default(),
            rc2: Default::default(),
            rlo2: Default::default(),
            rhi2: Default::default(),
            rc3: Default::default(),
            rlo3: Default::default(),
            rhi3: Default::default(),
            rc4: Default::default(),
            rlo4: Default::default(),
            rhi4: Default::default(),
            w_out: Default::default(),
            w_lo: Default::default(),
            w_hi: Default::default(),
            r_cnt: Default::default(),
            prev: Default::default(),
            w_cnt: Default::default(),
            w_bcnt: Default::default(),
            w_rem: Default::default(),
            w_addr: Default::default(),
            w_prev: Default::default(),
            running_c: Default::default(),
            d_head: Default::default(),
            due_now: Default::default(),
            hold: Default::default(),
            core_step: Default::default(),
            head: Default::default(),
            h_tag: Default::default(),
            h_addr: Default::default(),
            h_end: Default::default(),
            h_bytes: Default::default(),
            h_beats: Default::default(),
            h_off: Default::default(),
            h_xw: Default::default(),
            h_xr: Default::default(),
            h_write: Default::default(),
            h_owner: Default::default(),
            r_owner: Default::default(),
            hazard: Default::default(),
            start_row: Default::default(),
            a_bus_free: Default::default(),
            page_left: Default::default(),
            blen1: Default::default(),
            blen: Default::default(),
            h_al: Default::default(),
            w_next_addr: Default::default(),
            aw_issue: Default::default(),
            rrow: Default::default(),
            need_emit: Default::default(),
            r_hs: Default::default(),
            beat: Default::default(),
            r_row_end: Default::default(),
            wrow: Default::default(),
            w_has_data: Default::default(),
            w_d: Default::default(),
            w_off: Default::default(),
            w_cur_rem: Default::default(),
            w_cur_addr: Default::default(),
            w_skip: Default::default(),
            w_hs: Default::default(),
            b_hs: Default::default(),
            drained: Default::default(),
            k_bpc: cw(bpc),
            k_bpc12: Constant::new((bpc as u64).into()),
            k_lb: cw(bpc.trailing_zeros()),
            k_size: Constant::new((bpc.trailing_zeros() as u64).into()),
            k_lowmask: Constant::new(((bpc - 1) as u64).into()),
            k_ones: Constant::new(Bits::<SW>::mask()),
            k_lat: Constant::new((lat as u64).into()),
            k_burst: cw(MAX_BURST),
            k_ib_bytes: cw(INSTR_BYTES as u32),
            k_ib_beats: cw(cfg.beats(INSTR_BYTES as u32)),
            k_by_nbin: cw(by_nbin),
            k_by_sb: cw(by_sb),
            k_by_wide: cw(by_wide),
            k_by_narrow: cw(by_narrow),
            k_nb_nbin: cw(cfg.beats(by_nbin)),
            k_nb_sb: cw(cfg.beats(by_sb)),
            k_nb_wide: cw(cfg.beats(by_wide)),
            k_nb_narrow: cw(cfg.beats(by_narrow)),
            k_page: Constant::new(4096u64.into()),
            k_owner_nbin: Constant::new(OWNER_NBIN.into()),
            k_owner_nbout: Constant::new(OWNER_NBOUT.into()),
            k_owner_fetch: Constant::new(OWNER_FETCH.into()),
            k_owner_sb: Constant::new(OWNER_SB.into()),
        })
    }
}

// mode: 0 idle, 1 clear (core run low), 3 run (until done)
impl<const BW: usize, const SW: usize> Logic for AxiMaster<BW, SW> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, mode, clr_n, run_q, done_q, berr, wpend, kc, skip, a_addr, a_left,
            a_valid, a_write, a_cur, a_len, a_wcur, rd_rows, rc1, rlo1, rhi1, rc2, rlo2, rhi2, rc3,
            rlo3, rhi3, rc4, rlo4, rhi4, w_out, w_lo, w_hi, r_cnt, prev, w_cnt, w_bcnt, w_rem,
            w_addr, w_prev
        );
        clock!(self, clock, cmdq, dueq, wdq, rdq, rrowq, wrowq);
        // ---- core side: due stamps, responses, clock enable
        self.running_c.next = (self.mode.q.val() == 3) && !self.c_done.val();
        self.d_head.next = self.dueq.data_out.val();
        self.due_now.next = self.running_c.val()
            && !self.dueq.empty.val()
            && (self.d_head.val().get_value_due() == self.kc.q.val());
        self.hold.next = self.running_c.val()
            && ((self.due_now.val()
                && !self.d_head.val().get_value_write().any()
                && self.rdq.empty.val())
                || self.cmdq.almost_full.val()
                || self.dueq.almost_full.val()
                || self.wdq.almost_full.val());
        self.ce.next = !self.hold.val();
        self.core_step.next = !self.hold.val();
        self.running.next = self.running_c.val();
        self.held.next = self.hold.val();
        self.c_run.next = self.run_q.q.val();
        // the response bus is zero unless a response is due (no FIFO garbage on it)
        self.c_resp_valid.next = self.due_now.val();
        self.c_resp_tag.next = 0.into();
        self.c_resp_data.next = 0.into();
        if self.due_now.val() {
            self.c_resp_tag.next = self.d_head.val().get_value_tag();
            if !self.d_head.val().get_value_write().any() && !self.rdq.empty.val() {
                self.c_resp_data.next = self.rdq.data_out.val();
            }
        }
        self.dueq.read.next = false;
        self.rdq.read.next = false;
        self.cmdq.write.next = false;
        self.dueq.write.next = false;
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
        self.dueq.data_in.next = 0.into();
        self.dueq.data_in.next.set_value_tag(self.c_cmd_tag.val());
        self.dueq
            .data_in
            .next
            .set_value_write(self.c_cmd_write.val().into());
        self.dueq
            .data_in
            .next
            .set_value_due(self.kc.q.val() + self.k_lat.val());
        // write data is the core's output in the cycle after its command's step, held or not
        self.wdq.data_in.next = self.c_wdata.val();
        self.wdq.write.next = self.wpend.q.val();
        self.wpend.d.next = false;
        if self.core_step.val() && self.running_c.val() {
            self.kc.d.next = self.kc.q.val() + 1;
            self.wpend.d.next = self.c_cmd_valid.val() && self.c_cmd_write.val();
            if self.c_cmd_valid.val() {
                self.cmdq.write.next = true;
                self.dueq.write.next = true;
            }
            if self.due_now.val() {
                self.dueq.read.next = true;
                if !self.d_head.val().get_value_write().any() {
                    self.rdq.read.next = true;
                }
            }
        }
        // after a halt (an error may leave beats unanswered) stamps and data are dropped
        if (self.mode.q.val() == 3) && self.c_done.val() {
            if !self.dueq.empty.val() {
                self.dueq.read.next = true;
            }
            if !self.rdq.empty.val() {
                self.rdq.read.next = true;
            }
        }
        // ---- run control
        if self.start.val() && (self.mode.q.val() == 0) {
            self.mode.d.next = 1.into();
            self.clr_n.d.next = 3.into();
            self.run_q.d.next = false;
            self.done_q.d.next = false;
            self.berr.d.next = false;
            self.wpend.d.next = false;
        }
        if self.mode.q.val() == 1 {
            self.clr_n.d.next = self.clr_n.q.val() - 1;
            self.kc.d.next = 0.into();
            if self.clr_n.q.val() == 0 {
                self.mode.d.next = 3.into();
                self.run_q.d.next = true;
            }
        }
        self.busy.next = self.mode.q.val() != 0;
        self.done.next = self.done_q.q.val();
        self.bus_error.next = self.berr.q.val();
        // ---- row issue, in grant order: the first beat of a row starts it, the others are dropped
        self.head.next = self.cmdq.data_out.val();
        self.h_tag.next = self.head.val().get_value_tag();
        self.h_write.next = self.head.val().get_value_write().any();
        self.h_addr.next = self.head.val().get_value_addr() + self.dram_base.val();
        self.h_bytes.next = self.k_by_sb.val();
        self.h_beats.next = self.k_nb_sb.val();
        if self.h_tag.val().get_value_owner() == self.k_owner_nbin.val() {
            self.h_bytes.next = self.k_by_nbin.val();
            self.h_beats.next = self.k_nb_nbin.val();
        }
        if self.h_tag.val().get_value_owner() == self.k_owner_fetch.val() {
            self.h_bytes.next = self.k_ib_bytes.val();
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
        self.h_end.next = self.h_addr.val() + bit_cast::<32, AXW>(self.h_bytes.val());
        self.h_al.next = self.h_addr.val() & !self.k_lowmask.val();
        self.h_off.next = bit_cast::<AXW, 32>(self.h_addr.val() & self.k_lowmask.val());
        self.h_xw.next =
            (self.h_off.val() + self.h_bytes.val() + self.k_bpc.val() - 1) >> self.k_lb.val();
        self.h_xr.next = self.h_beats.val();
        if self.h_off.val() != 0 {
            self.h_xr.next = self.h_beats.val() + 1;
        }
        self.h_owner.next = self.h_tag.val().get_value_owner();
        self.hazard.next = false;
        if self.h_write.val() {
            if ((self.rc1.q.val() != 0)
                && (self.h_addr.val() < self.rhi1.q.val())
                && (self.rlo1.q.val() < self.h_end.val()))
                || ((self.rc2.q.val() != 0)
                    && (self.h_addr.val() < self.rhi2.q.val())
                    && (self.rlo2.q.val() < self.h_end.val()))
                || ((self.rc3.q.val() != 0)
                    && (self.h_addr.val() < self.rhi3.q.val())
                    && (self.rlo3.q.val() < self.h_end.val()))
                || ((self.rc4.q.val() != 0)
                    && (self.h_addr.val() < self.rhi4.q.val())
                    && (self.rlo4.q.val() < self.h_end.val()))
            {
                self.hazard.next = true;
            }
        } else if (self.w_out.q.val() != 0)
            && (self.h_addr.val() < self.w_hi.q.val())
            && (self.w_lo.q.val() < self.h_end.val())
        {
            self.hazard.next = true;
        }
        self.a_bus_free.next = (self.a_left.q.val() == 0) && !self.a_valid.q.val();
        self.start_row.next = (self.mode.q.val() == 3)
            && !self.cmdq.empty.val()
            && (self.skip.q.val() == 0)
            && (self.a_left.q.val() == 0)
            && !self.hazard.val()
            && !self.rrowq.almost_full.val()
            && !self.wrowq.almost_full.val();
        self.cmdq.read.next = false;
        self.rrowq.write.next = false;
        self.wrowq.write.next = false;
        self.rrowq.data_in.next = 0.into();
        self.rrowq.data_in.next.set_value_off(self.h_off.val());
        self.rrowq.data_in.next.set_value_beats(self.h_beats.val());
        self.rrowq.data_in.next.set_value_xfers(self.h_xr.val());
        self.rrowq.data_in.next.set_value_owner(self.h_owner.val());
        self.wrowq.data_in.next = 0.into();
        self.wrowq.data_in.next.set_value_off(self.h_off.val());
        self.wrowq.data_in.next.set_value_bytes(self.h_bytes.val());
        self.wrowq.data_in.next.set_value_beats(self.h_beats.val());
        self.wrowq.data_in.next.set_value_xfers(self.h_xw.val());
        self.wrowq
            .data_in
            .next
            .set_value_page(self.h_al.val().get_bits::<12>(0));
        if (self.skip.q.val() != 0) && !self.cmdq.empty.val() {
            self.cmdq.read.next = true;
            self.skip.d.next = self.skip.q.val() - 1;
        }
        self.rd_rows.d.next = self.rd_rows.q.val();
        self.rc1.d.next = self.rc1.q.val();
        self.rc2.d.next = self.rc2.q.val();
        self.rc3.d.next = self.rc3.q.val();
        self.rc4.d.next = self.rc4.q.val();
        if self.start_row.val() {
            self.cmdq.read.next = true;
            self.skip.d.next = self.h_beats.val() - 1;
            if self.h_write.val() {
                self.wrowq.write.next = true;
                if self.w_out.q.val() == 0 {
                    self.w_lo.d.next = self.h_addr.val();
                    self.w_hi.d.next = self.h_end.val();
                } else {
                    if self.h_addr.val() < self.w_lo.q.val() {
                        self.w_lo.d.next = self.h_addr.val();
                    }
                    if self.h_end.val() > self.w_hi.q.val() {
                        self.w_hi.d.next = self.h_end.val();
                    }
                }
            } else {
                self.rrowq.write.next = true;
                self.rd_rows.d.next = self.rd_rows.q.val() + 1;
                if self.h_owner.val() == self.k_owner_nbin.val() {
                    self.rc1.d.next = self.rc1.q.val() + 1;
                    if self.rc1.q.val() == 0 {
                        self.rlo1.d.next = self.h_addr.val();
                        self.rhi1.d.next = self.h_end.val();
                    } else {
                        if self.h_addr.val() < self.rlo1.q.val() {
                            self.rlo1.d.next = self.h_addr.val();
                        }
                        if self.h_end.val() > self.rhi1.q.val() {
                            self.rhi1.d.next = self.h_end.val();
                        }
                    }
                }
                if self.h_owner.val() == self.k_owner_sb.val() {
                    self.rc2.d.next = self.rc2.q.val() + 1;
                    if self.rc2.q.val() == 0 {
                        self.rlo2.d.next = self.h_addr.val();
                        self.rhi2.d.next = self.h_end.val();
                    } else {
                        if self.h_addr.val() < self.rlo2.q.val() {
                            self.rlo2.d.next = self.h_addr.val();
                        }
                        if self.h_end.val() > self.rhi2.q.val() {
                            self.rhi2.d.next = self.h_end.val();
                        }
                    }
                }
                if self.h_owner.val() == self.k_owner_nbout.val() {
                    self.rc3.d.next = self.rc3.q.val() + 1;
                    if self.rc3.q.val() == 0 {
                        self.rlo3.d.next = self.h_addr.val();
                        self.rhi3.d.next = self.h_end.val();
                    } else {
                        if self.h_addr.val() < self.rlo3.q.val() {
                            self.rlo3.d.next = self.h_addr.val();
                        }
                        if self.h_end.val() > self.rhi3.q.val() {
                            self.rhi3.d.next = self.h_end.val();
                        }
                    }
                }
                if self.h_owner.val() == self.k_owner_fetch.val() {
                    self.rc4.d.next = self.rc4.q.val() + 1;
                    if self.rc4.q.val() == 0 {
                        self.rlo4.d.next = self.h_addr.val();
                        self.rhi4.d.next = self.h_end.val();
                    } else {
                        if self.h_addr.val() < self.rlo4.q.val() {
                            self.rlo4.d.next = self.h_addr.val();
                        }
                        if self.h_end.val() > self.rhi4.q.val() {
                            self.rhi4.d.next = self.h_end.val();
                        }
                    }
                }
            }
        }
        // ---- address channel (AR or AW): bursts of at most MAX_BURST and the rest of the
        // 4 KB page; a new row's first burst loads in its start cycle, so a row a cycle
        // streams when each row is one burst
        self.src_gen.next = self.a_left.q.val() != 0;
        self.src_addr.next = self.h_al.val();
        self.src_left.next = self.h_xr.val();
        if self.h_write.val() {
            self.src_left.next = self.h_xw.val();
        }
        self.src_write.next = self.h_write.val();
        if self.src_gen.val() {
            self.src_addr.next = self.a_addr.q.val();
            self.src_left.next = self.a_left.q.val();
            self.src_write.next = self.a_write.q.val();
        }
        self.page_left.next = bit_cast::<AXW, 32>(
            (self.k_page.val() - (self.src_addr.val() & 0xFFF)) >> self.k_lb.val(),
        );
        self.blen1.next = self.src_left.val();
        if self.page_left.val() < self.src_left.val() {
            self.blen1.next = self.page_left.val();
        }
        self.blen.next = self.blen1.val();
        if self.k_burst.val() < self.blen1.val() {
            self.blen.next = self.k_burst.val();
        }
        self.a_hs.next = self.a_valid.q.val()
            && ((self.a_wcur.q.val() && self.awready.val())
                || (!self.a_wcur.q.val() && self.arready.val()));
        if self.a_hs.val() {
            self.a_valid.d.next = false;
        }
        self.aw_issue.next = false;
        if (!self.a_valid.q.val() || self.a_hs.val())
            && (self.src_gen.val() || self.start_row.val())
        {
            self.a_valid.d.next = true;
            self.a_cur.d.next = self.src_addr.val();
            self.a_len.d.next = bit_cast::<8, AXW>(self.blen.val() - 1);
            self.a_wcur.d.next = self.src_write.val();
            self.a_addr.d.next =
                self.src_addr.val() + (bit_cast::<32, AXW>(self.blen.val()) << self.k_lb.val());
            self.a_left.d.next = self.src_left.val() - self.blen.val();
            self.a_write.d.next = self.src_write.val();
            self.aw_issue.next = self.src_write.val();
        } else if self.start_row.val() {
            self.a_addr.d.next = self.src_addr.val();
            self.a_left.d.next = self.src_left.val();
            self.a_write.d.next = self.src_write.val();
        }
        self.araddr.next = self.a_cur.q.val();
        self.awaddr.next = self.a_cur.q.val();
        self.arlen.next = self.a_len.q.val();
        self.awlen.next = self.a_len.q.val();
        self.arsize.next = self.k_size.val();
        self.awsize.next = self.k_size.val();
        self.arburst.next = 1.into();
        self.awburst.next = 1.into();
        self.arvalid.next = self.a_valid.q.val() && !self.a_wcur.q.val();
        self.awvalid.next = self.a_valid.q.val() && self.a_wcur.q.val();
        // ---- read data: realign to the row address into the read-data FIFO
        self.rrow.next = self.rrowq.data_out.val();
        self.r_owner.next = self.rrow.val().get_value_owner();
        self.need_emit.next =
            !((self.r_cnt.q.val() == 0) && (self.rrow.val().get_value_off() != 0));
        self.rready.next = !self.rrowq.empty.val() && !self.rdq.almost_full.val();
        self.r_hs.next = self.rready.val() && self.rvalid.val();
        self.beat.next = self.rdata.val();
        if self.rrow.val().get_value_off() != 0 {
            self.beat.next = (self.prev.q.val() >> (self.rrow.val().get_value_off() << 3))
                | (self.rdata.val() << ((self.k_bpc.val() - self.rrow.val().get_value_off()) << 3));
        }
        self.rdq.write.next = false;
        self.rdq.data_in.next = self.beat.val();
        self.rrowq.read.next = false;
        self.r_row_end.next =
            self.r_hs.val() && ((self.r_cnt.q.val() + 1) == self.rrow.val().get_value_xfers());
        if self.r_hs.val() {
            self.prev.d.next = self.rdata.val();
            self.r_cnt.d.next = self.r_cnt.q.val() + 1;
            if self.rresp.val() != 0 {
                self.berr.d.next = true;
            }
            if self.need_emit.val() {
                self.rdq.write.next = true;
            }
        }
        if self.r_row_end.val() {
            self.rrowq.read.next = true;
            self.r_cnt.d.next = 0.into();
            if self.start_row.val() && !self.h_write.val() {
                self.rd_rows.d.next = self.rd_rows.q.val();
            } else {
                self.rd_rows.d.next = self.rd_rows.q.val() - 1;
            }
            if self.r_owner.val() == self.k_owner_nbin.val() {
                if self.start_row.val()
                    && !self.h_write.val()
                    && (self.h_owner.val() == self.k_owner_nbin.val())
                {
                    self.rc1.d.next = self.rc1.q.val();
                } else {
                    self.rc1.d.next = self.rc1.q.val() - 1;
                }
            }
            if self.r_owner.val() == self.k_owner_sb.val() {
                if self.start_row.val()
                    && !self.h_write.val()
                    && (self.h_owner.val() == self.k_owner_sb.val())
                {
                    self.rc2.d.next = self.rc2.q.val();
                } else {
                    self.rc2.d.next = self.rc2.q.val() - 1;
                }
            }
            if self.r_owner.val() == self.k_owner_nbout.val() {
                if self.start_row.val()
                    && !self.h_write.val()
                    && (self.h_owner.val() == self.k_owner_nbout.val())
                {
                    self.rc3.d.next = self.rc3.q.val();
                } else {
                    self.rc3.d.next = self.rc3.q.val() - 1;
                }
            }
            if self.r_owner.val() == self.k_owner_fetch.val() {
                if self.start_row.val()
                    && !self.h_write.val()
                    && (self.h_owner.val() == self.k_owner_fetch.val())
                {
                    self.rc4.d.next = self.rc4.q.val();
                } else {
                    self.rc4.d.next = self.rc4.q.val() - 1;
                }
            }
        }
        // ---- write data: shift to the row address, strobe exactly the row's bytes
        self.wrow.next = self.wrowq.data_out.val();
        self.w_off.next = self.wrow.val().get_value_off();
        self.w_has_data.next = self.w_cnt.q.val() < self.wrow.val().get_value_beats();
        self.w_d.next = 0.into();
        if self.w_has_data.val() {
            self.w_d.next = self.wdq.data_out.val();
        }
        self.w_cur_rem.next = self.w_rem.q.val();
        self.w_cur_addr.next = self.w_addr.q.val();
        self.w_skip.next = 0.into();
        if self.w_cnt.q.val() == 0 {
            self.w_cur_rem.next = self.w_off.val() + self.wrow.val().get_value_bytes();
            self.w_cur_addr.next = self.wrow.val().get_value_page();
            self.w_skip.next = self.w_off.val();
        }
        self.wdata.next = self.w_d.val();
        if self.w_off.val() != 0 {
            self.wdata.next = (self.w_d.val() << (self.w_off.val() << 3))
                | (self.w_prev.q.val() >> ((self.k_bpc.val() - self.w_off.val()) << 3));
        }
        self.wstrb.next = self.k_ones.val() << self.w_skip.val();
        if self.w_cur_rem.val() < self.k_bpc.val() {
            self.wstrb.next = (self.k_ones.val() << self.w_skip.val())
                & !(self.k_ones.val() << self.w_cur_rem.val());
        }
        self.w_next_addr.next = self.w_cur_addr.val() + self.k_bpc12.val();
        self.wlast.next = ((self.w_cnt.q.val() + 1) == self.wrow.val().get_value_xfers())
            || (self.w_next_addr.val() == 0)
            || ((self.w_bcnt.q.val() + 1) == self.k_burst.val());
        self.wvalid.next =
            !self.wrowq.empty.val() && (!self.w_has_data.val() || !self.wdq.empty.val());
        self.w_hs.next = self.wvalid.val() && self.wready.val();
        self.wdq.read.next = false;
        self.wrowq.read.next = false;
        if self.w_hs.val() {
            self.w_rem.d.next = self.w_cur_rem.val() - self.k_bpc.val();
            self.w_addr.d.next = self.w_next_addr.val();
            self.w_cnt.d.next = self.w_cnt.q.val() + 1;
            self.w_bcnt.d.next = self.w_bcnt.q.val() + 1;
            if self.wlast.val() {
                self.w_bcnt.d.next = 0.into();
            }
            if self.w_has_data.val() {
                self.w_prev.d.next = self.w_d.val();
                self.wdq.read.next = true;
            }
            if (self.w_cnt.q.val() + 1) == self.wrow.val().get_value_xfers() {
                self.wrowq.read.next = true;
                self.w_cnt.d.next = 0.into();
                self.w_prev.d.next = 0.into();
            }
        }
        // ---- write responses: writes outstanding = AW bursts issued − B received
        self.bready.next = true;
        self.b_hs.next = self.bvalid.val();
        if self.b_hs.val() && (self.bresp.val() != 0) {
            self.berr.d.next = true;
        }
        self.w_out.d.next = self.w_out.q.val();
        if self.aw_issue.val() && !self.b_hs.val() {
            self.w_out.d.next = self.w_out.q.val() + 1;
        }
        if !self.aw_issue.val() && self.b_hs.val() {
            self.w_out.d.next = self.w_out.q.val() - 1;
        }
        // ---- done: the core halted, every row issued, written and answered
        self.drained.next = self.cmdq.empty.val()
            && (self.skip.q.val() == 0)
            && self.a_bus_free.val()
            && self.wrowq.empty.val()
            && self.rrowq.empty.val()
            && (self.w_out.q.val() == 0)
            && self.dueq.empty.val()
            && self.rdq.empty.val()
            && self.wdq.empty.val();
        if (self.mode.q.val() == 3) && self.c_done.val() && self.drained.val() {
            self.mode.d.next = 0.into();
            self.done_q.d.next = true;
        }
        if self.reset.val() {
            self.mode.d.next = 0.into();
            self.run_q.d.next = false;
            self.done_q.d.next = false;
            self.berr.d.next = false;
            self.a_valid.d.next = false;
            self.a_left.d.next = 0.into();
            self.skip.d.next = 0.into();
            self.wpend.d.next = false;
            self.rd_rows.d.next = 0.into();
            self.rc1.d.next = 0.into();
            self.rc2.d.next = 0.into();
            self.rc3.d.next = 0.into();
            self.rc4.d.next = 0.into();
            self.w_out.d.next = 0.into();
            self.r_cnt.d.next = 0.into();
            self.w_cnt.d.next = 0.into();
            self.w_bcnt.d.next = 0.into();
        }
    }
}
