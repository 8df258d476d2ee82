//! Instruction fetch unit `fetch` (docs/microarchitecture.md, "Instruction
//! fetch"): streams the program from DRAM through the memory port into the
//! control processor's `imem`, a circular prefetch buffer of `2^IA`
//! entries. Instruction i is one port row of `INSTR_BYTES` bytes at
//! `prog_base + i * INSTR_BYTES` and lands in entry `i mod 2^IA`.
//! Responses come back in grant order, so the unit writes them in order
//! (`arrived`) without a tag.

use crate::widths::*;
use arch::isa::fields::INSTR_BYTES;
use arch::AccelConfig;
use rust_hdl::prelude::*;

/// Width of the fetch unit's DRAM end address (`prog_base + (next + 1) * INSTR_BYTES`).
pub const FEW: usize = 40;

const _: () = assert!(
    (1u64 << FEW) > (1u64 << DAW) + (1u64 << PCW) * INSTR_BYTES as u64,
    "FEW holds prog_base + prog_len * INSTR_BYTES"
);

/// The fetch unit. `IA` = log2(imem depth), `BW` = port beat bits, `FA` =
/// assembly register bits (`beats * BW`, `beats = ceil(INSTR_BYTES / BPC)`).
#[derive(LogicBlock)]
pub struct Fetch<const IA: usize, const BW: usize, const FA: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous clear (also latches `prog_base`).
    pub clr: Signal<In, bool>,
    /// DRAM byte address of instruction 0.
    pub prog_base: Signal<In, DramAddr>,
    /// Program length, instructions.
    pub prog_len: Signal<In, Pc>,
    /// The instruction the control processor holds (registered).
    pub pc: Signal<In, Pc>,
    /// The control processor has stopped (registered: `end` dispatched or an error).
    pub stopped: Signal<In, bool>,
    /// The port grants this unit's request.
    pub grant: Signal<In, bool>,
    /// A response for this unit this cycle.
    pub resp_mine: Signal<In, bool>,
    /// Response tag (its `last_beat` flag ends an instruction).
    pub resp_tag: Signal<In, Tag>,
    /// Response data.
    pub resp_data: Signal<In, Bits<BW>>,
    /// Port request.
    pub req: Signal<Out, bool>,
    /// DRAM byte address of the requested instruction.
    pub req_addr: Signal<Out, DramAddr>,
    /// Beats of one instruction.
    pub req_beats: Signal<Out, Beats>,
    /// 16-bit words of the last beat.
    pub req_words: Signal<Out, Beats>,
    /// Tag of the request (the port sets the owner).
    pub req_tag: Signal<Out, Tag>,
    /// imem write enable.
    pub imem_we: Signal<Out, bool>,
    /// imem write address (`arrived mod 2^IA`).
    pub imem_waddr: Signal<Out, Bits<IA>>,
    /// imem write data.
    pub imem_wdata: Signal<Out, Instr>,
    /// Instructions written into imem (registered).
    pub arrived: Signal<Out, Pc>,
    /// Not requesting and every granted row written (the control processor's start condition).
    pub idle: Signal<Out, bool>,
    next: DFF<Pc>,
    arr: DFF<Pc>,
    naddr: DFF<DramAddr>,
    nend: DFF<Bits<FEW>>,
    asm: DFF<Bits<FA>>,
    shifted: Signal<Local, Bits<FA>>,
    fetchable: Signal<Local, bool>,
    want: Signal<Local, bool>,
    k_ib: Constant<DramAddr>,
    k_ib_end: Constant<Bits<FEW>>,
    k_size: Constant<Bits<FEW>>,
    k_depth: Constant<Pc>,
    k_beats: Constant<Beats>,
    k_words: Constant<Beats>,
    k_bw: Constant<Bits<16>>,
    k_top: Constant<Bits<16>>,
}

impl<const IA: usize, const BW: usize, const FA: usize> Fetch<IA, BW, FA> {
    /// The fetch unit of `cfg`. Panics if the widths do not match it (a programming error).
    pub fn new(cfg: &AccelConfig) -> Self {
        let bpc = cfg.dram.bytes_per_cycle;
        let beats = cfg.beats(INSTR_BYTES as u32);
        assert_eq!(BW as u32, 8 * bpc, "BW");
        assert_eq!(FA as u32, beats * 8 * bpc, "FA = beats * BW");
        assert_eq!(1u64 << IA, cfg.imem_depth as u64, "IA");
        let last_words = (INSTR_BYTES as u32 - (beats - 1) * bpc) / 2;
        Self {
            clock: Default::default(),
            clr: Default::default(),
            prog_base: Default::default(),
            prog_len: Default::default(),
            pc: Default::default(),
            stopped: Default::default(),
            grant: Default::default(),
            resp_mine: Default::default(),
            resp_tag: Default::default(),
            resp_data: Default::default(),
            req: Default::default(),
            req_addr: Default::default(),
            req_beats: Default::default(),
            req_words: Default::default(),
            req_tag: Default::default(),
            imem_we: Default::default(),
            imem_waddr: Default::default(),
            imem_wdata: Default::default(),
            arrived: Default::default(),
            idle: Default::default(),
            next: Default::default(),
            arr: Default::default(),
            naddr: Default::default(),
            nend: Default::default(),
            asm: Default::default(),
            shifted: Default::default(),
            fetchable: Default::default(),
            want: Default::default(),
            k_ib: Constant::new((INSTR_BYTES as u64).into()),
            k_ib_end: Constant::new((INSTR_BYTES as u64).into()),
            k_size: Constant::new(cfg.dram.size_bytes.into()),
            k_depth: Constant::new((cfg.imem_depth as u64).into()),
            k_beats: Constant::new((beats as u64).into()),
            k_words: Constant::new((last_words as u64).into()),
            k_bw: Constant::new((BW as u64).into()),
            k_top: Constant::new(((FA - BW) as u64).into()),
        }
    }
}

impl<const IA: usize, const BW: usize, const FA: usize> Logic for Fetch<IA, BW, FA> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, next, arr, naddr, nend, asm);
        // instruction `next` is fetchable: prog_base even and its last byte inside DRAM
        self.fetchable.next =
            !self.prog_base.val().get_bit(0) && (self.nend.q.val() <= self.k_size.val());
        // (a) next < prog_len, (b) its imem entry is free, (c) fetchable, (d) not stopped
        self.want.next = (self.next.q.val() < self.prog_len.val())
            && ((self.next.q.val() - self.pc.val()) < self.k_depth.val())
            && self.fetchable.val()
            && !self.stopped.val();
        self.req.next = self.want.val() && !self.clr.val();
        self.req_addr.next = self.naddr.q.val();
        self.req_beats.next = self.k_beats.val();
        self.req_words.next = self.k_words.val();
        self.req_tag.next = 0.into();
        if self.grant.val() {
            self.next.d.next = self.next.q.val() + 1;
            self.naddr.d.next = self.naddr.q.val() + self.k_ib.val();
            self.nend.d.next = self.nend.q.val() + self.k_ib_end.val();
        }
        // responses: shift each beat in at the top; the instruction is complete on its last beat
        self.shifted.next = (self.asm.q.val() >> self.k_bw.val())
            | (bit_cast::<FA, BW>(self.resp_data.val()) << self.k_top.val());
        self.imem_we.next = false;
        self.imem_waddr.next = self.arr.q.val().get_bits::<IA>(0);
        self.imem_wdata.next = self.shifted.val().get_bits::<IB>(0);
        if self.resp_mine.val() {
            self.asm.d.next = self.shifted.val();
            if self.resp_tag.val().get_value_last_beat().any() {
                self.imem_we.next = true;
                self.arr.d.next = self.arr.q.val() + 1;
            }
        }
        self.arrived.next = self.arr.q.val();
        self.idle.next = !self.want.val() && (self.arr.q.val() == self.next.q.val());
        if self.clr.val() {
            self.next.d.next = 0.into();
            self.arr.d.next = 0.into();
            self.naddr.d.next = self.prog_base.val();
            self.nend.d.next = bit_cast::<FEW, DAW>(self.prog_base.val()) + self.k_ib_end.val();
        }
    }
}
