//! One DMA (`dma_nbin`, `dma_sb`, `dma_nbout`): queue of Q slots, current slot,
//! 3-level address generation, start condition, port requests, row assembly
//! and buffer writes (loads), NBout port-B reads and beat serialisation
//! (stores), `loadw`/`storen` conversions, completion counter.

use super::port::{Narrow, Widen};
use super::queue::Queue;
use crate::widths::*;
use arch::isa::DmaOp;
use rust_hdl::prelude::*;

/// A DMA for a buffer of `2^A` rows of `W` bits; `BW` = port beat width in
/// bits; `ASM` = assembly register width (a multiple of BW, >= W); `Q` = queue depth.
#[derive(LogicBlock)]
pub struct Dma<const W: usize, const ASM: usize, const BW: usize, const Q: usize, const A: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous clear.
    pub clr: Signal<In, bool>,
    /// Append an entry (from `cp`).
    pub push: Signal<In, bool>,
    /// Entry to append.
    pub din: Signal<In, Bits<DMA_ENTRY_BITS>>,
    /// Queue full (state at the start of the cycle).
    pub full: Signal<Out, bool>,
    /// Queue not empty.
    pub pending: Signal<Out, bool>,
    q: Queue<DMA_ENTRY_BITS, Q>,
    /// NFU ops completed (for the wait condition).
    pub nfu_done: Signal<In, Cnt>,
    /// Request the port this cycle.
    pub req: Signal<Out, bool>,
    /// Byte address of the requested row.
    pub req_addr: Signal<Out, DramAddr>,
    /// Store (else load).
    pub req_write: Signal<Out, bool>,
    /// Beats of the requested row.
    pub req_beats: Signal<Out, Beats>,
    /// DRAM bytes of the requested row (events `dram_read_bytes` / `dram_write_bytes`).
    pub req_bytes: Signal<Out, DramAddr>,
    /// 16-bit words of the requested row in its last beat (the rest of that beat is not written).
    pub req_words: Signal<Out, Beats>,
    /// Tag bits for the row (write, last_row, narrow, row; the port adds owner and beat).
    pub req_tag: Signal<Out, Tag>,
    /// The request is granted this cycle.
    pub grant: Signal<In, bool>,
    /// A response for this DMA this cycle.
    pub resp_mine: Signal<In, bool>,
    /// Response tag.
    pub resp_tag: Signal<In, Tag>,
    /// Response data beat.
    pub resp_data: Signal<In, Bits<BW>>,
    /// Buffer write enable (load row).
    pub wr_en: Signal<Out, bool>,
    /// Buffer write row.
    pub wr_addr: Signal<Out, Bits<A>>,
    /// Buffer write data.
    pub wr_data: Signal<Out, Bits<W>>,
    /// Buffer read row (NBout port B, stores).
    pub rd_addr: Signal<Out, Bits<A>>,
    /// Buffer read data (one cycle after `rd_addr`).
    pub rd_data: Signal<In, Bits<W>>,
    /// Store data beat valid (one cycle after its command).
    pub wvalid: Signal<Out, bool>,
    /// Store data beat.
    pub wdata: Signal<Out, Bits<BW>>,
    /// Slots completed.
    pub done: Signal<Out, Cnt>,
    /// Load slots completed (`nbout_load_done` for the NBout DMA).
    pub done_load: Signal<Out, Cnt>,
    /// Store slots completed (`nbout_store_done`).
    pub done_store: Signal<Out, Cnt>,
    /// Has a current slot (`dma_*.row` is meaningful).
    pub busy: Signal<Out, bool>,
    /// Next transfer row index of the current slot (`dma_*.row`), 0 when idle.
    pub row: Signal<Out, Bits<XFERW>>,
    /// Waiting on its `wait` condition with a head (`dma_stall_wait`).
    pub stall_wait: Signal<Out, bool>,
    narrow: Narrow<W>,
    widen: Widen<W>,
    cur: DFF<bool>,
    op: DFF<DmaOpBits>,
    brow: DFF<Row>,
    addr: DFF<DramAddr>,
    run: DFF<DramAddr>,
    outer: DFF<DramAddr>,
    k0: DFF<Count>,
    k1: DFF<Count>,
    k2: DFF<Count>,
    n0: DFF<Count>,
    n1: DFF<Count>,
    n2: DFF<Count>,
    s1: DFF<DramStride>,
    s2: DFF<DramStride>,
    kk: DFF<Bits<XFERW>>,
    asm: DFF<Bits<ASM>>,
    st_first: DFF<bool>,
    st_narrow: DFF<bool>,
    st_left: DFF<Beats>,
    sreg: DFF<Bits<ASM>>,
    donec: DFF<Cnt>,
    donel: DFF<Cnt>,
    dones: DFF<Cnt>,
    start: Signal<Local, bool>,
    wdiff: Signal<Local, Cnt>,
    e_op: Signal<Local, DmaOpBits>,
    e_brow: Signal<Local, Row>,
    e_addr: Signal<Local, DramAddr>,
    e_run: Signal<Local, DramAddr>,
    e_outer: Signal<Local, DramAddr>,
    e_k0: Signal<Local, Count>,
    e_k1: Signal<Local, Count>,
    e_k2: Signal<Local, Count>,
    e_n0: Signal<Local, Count>,
    e_n1: Signal<Local, Count>,
    e_n2: Signal<Local, Count>,
    e_s1: Signal<Local, DramStride>,
    e_s2: Signal<Local, DramStride>,
    e_kk: Signal<Local, Bits<XFERW>>,
    narrow_op: Signal<Local, bool>,
    write_op: Signal<Local, bool>,
    last_row: Signal<Local, bool>,
    rb: Signal<Local, DramAddr>,
    shifted: Signal<Local, Bits<ASM>>,
    row_raw: Signal<Local, Bits<ASM>>,
    src: Signal<Local, Bits<ASM>>,
    k_loadw: Constant<DmaOpBits>,
    k_store: Constant<DmaOpBits>,
    k_storen: Constant<DmaOpBits>,
    k_rb: Constant<DramAddr>,
    k_rb_narrow: Constant<DramAddr>,
    k_beats: Constant<Beats>,
    k_beats_narrow: Constant<Beats>,
    k_words: Constant<Beats>,
    k_words_narrow: Constant<Beats>,
    k_bw: Constant<Bits<OFFW>>,
    k_top: Constant<Bits<OFFW>>,
    k_sh: Constant<Bits<OFFW>>,
    k_sh_narrow: Constant<Bits<OFFW>>,
}

impl<const W: usize, const ASM: usize, const BW: usize, const Q: usize, const A: usize>
    Dma<W, ASM, BW, Q, A>
{
    /// A DMA whose DRAM rows are `rb` bytes (`rb_narrow` for `loadw`/`storen`),
    /// with `bpc` port bytes per cycle and `frac` fraction bits (for `loadw`).
    pub fn new(rb: u32, rb_narrow: u32, bpc: u32, frac: u32) -> Self {
        assert_eq!(BW as u32, 8 * bpc, "BW must be 8 * bytes_per_cycle");
        assert_eq!(ASM % BW, 0);
        assert!(ASM >= W && ASM >= BW);
        assert!(
            ASM as u32 >= 8 * rb.div_ceil(bpc) * bpc,
            "ASM too small for the row"
        );
        let beats = rb.div_ceil(bpc) as u64;
        // bytes a row puts in its last beat
        let last_beat = |row_bytes: u32| (row_bytes - 1) % bpc + 1;
        let beats_n = rb_narrow.div_ceil(bpc) as u64;
        let pos = |op: DmaOp| DmaOp::ALL.iter().position(|x| *x == op).unwrap() as u64;
        // after `beats` shift-ins at the top, the row's first beat sits at bit ASM - beats*BW
        let sh = (ASM as u64) - beats * BW as u64;
        let sh_n = (ASM as u64) - beats_n * BW as u64;
        Self {
            clock: Default::default(),
            clr: Default::default(),
            push: Default::default(),
            din: Default::default(),
            full: Default::default(),
            pending: Default::default(),
            q: Default::default(),
            nfu_done: Default::default(),
            req: Default::default(),
            req_addr: Default::default(),
            req_write: Default::default(),
            req_beats: Default::default(),
            req_bytes: Default::default(),
            req_words: Default::default(),
            req_tag: Default::default(),
            grant: Default::default(),
            resp_mine: Default::default(),
            resp_tag: Default::default(),
            resp_data: Default::default(),
            wr_en: Default::default(),
            wr_addr: Default::default(),
            wr_data: Default::default(),
            rd_addr: Default::default(),
            rd_data: Default::default(),
            wvalid: Default::default(),
            wdata: Default::default(),
            done: Default::default(),
            done_load: Default::default(),
            done_store: Default::default(),
            busy: Default::default(),
            row: Default::default(),
            stall_wait: Default::default(),
            narrow: Default::default(),
            widen: Widen::new(frac as usize),
            cur: Default::default(),
            op: Default::default(),
            brow: Default::default(),
            addr: Default::default(),
            run: Default::default(),
            outer: Default::default(),
            k0: Default::default(),
            k1: Default::default(),
            k2: Default::default(),
            n0: Default::default(),
            n1: Default::default(),
            n2: Default::default(),
            s1: Default::default(),
            s2: Default::default(),
            kk: Default::default(),
            asm: Default::default(),
            st_first: Default::default(),
            st_narrow: Default::default(),
            st_left: Default::default(),
            sreg: Default::default(),
            donec: Default::default(),
            donel: Default::default(),
            dones: Default::default(),
            start: Default::default(),
            wdiff: Default::default(),
            e_op: Default::default(),
            e_brow: Default::default(),
            e_addr: Default::default(),
            e_run: Default::default(),
            e_outer: Default::default(),
            e_k0: Default::default(),
            e_k1: Default::default(),
            e_k2: Default::default(),
            e_n0: Default::default(),
            e_n1: Default::default(),
            e_n2: Default::default(),
            e_s1: Default::default(),
            e_s2: Default::default(),
            e_kk: Default::default(),
            narrow_op: Default::default(),
            write_op: Default::default(),
            last_row: Default::default(),
            rb: Default::default(),
            shifted: Default::default(),
            row_raw: Default::default(),
            src: Default::default(),
            k_loadw: Constant::new(pos(DmaOp::LoadWiden).into()),
            k_store: Constant::new(pos(DmaOp::Store).into()),
            k_storen: Constant::new(pos(DmaOp::StoreNarrow).into()),
            k_rb: Constant::new((rb as u64).into()),
            k_rb_narrow: Constant::new((rb_narrow as u64).into()),
            k_beats: Constant::new(beats.into()),
            k_beats_narrow: Constant::new(beats_n.into()),
            k_words: Constant::new(((last_beat(rb) / 2) as u64).into()),
            k_words_narrow: Constant::new(((last_beat(rb_narrow) / 2) as u64).into()),
            k_bw: Constant::new((BW as u64).into()),
            k_top: Constant::new(((ASM - BW) as u64).into()),
            k_sh: Constant::new(sh.into()),
            k_sh_narrow: Constant::new(sh_n.into()),
        }
    }
}

impl<const W: usize, const ASM: usize, const BW: usize, const Q: usize, const A: usize> Logic
    for Dma<W, ASM, BW, Q, A>
{
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, cur, op, brow, addr, run, outer, k0, k1, k2, n0, n1, n2, s1, s2, kk, asm,
            st_first, st_narrow, st_left, sreg, donec, donel, dones
        );
        clock!(self, clock, q);
        self.q.clr.next = self.clr.val();
        self.q.push.next = self.push.val();
        self.q.din.next = self.din.val();
        self.full.next = self.q.full.val();
        self.pending.next = self.q.nonempty.val();
        // modular compare (CNT_BITS = 16): nfu_done >= required  <=>  sign bit of the difference clear
        self.wdiff.next = self.nfu_done.val() - self.q.head.val().get_value_req();
        // ---- start: no current slot, a head enqueued before this cycle, wait holds
        self.start.next = !self.cur.q.val()
            && self.q.nonempty.val()
            && (!self.q.head.val().get_value_need().any() || !self.wdiff.val().get_bit(15));
        self.stall_wait.next = !self.cur.q.val() && self.q.nonempty.val() && !self.start.val();
        self.q.pop.next = self.start.val();
        // ---- effective current slot (the head in its start cycle)
        self.e_op.next = self.op.q.val();
        self.e_brow.next = self.brow.q.val();
        self.e_addr.next = self.addr.q.val();
        self.e_run.next = self.run.q.val();
        self.e_outer.next = self.outer.q.val();
        self.e_k0.next = self.k0.q.val();
        self.e_k1.next = self.k1.q.val();
        self.e_k2.next = self.k2.q.val();
        self.e_n0.next = self.n0.q.val();
        self.e_n1.next = self.n1.q.val();
        self.e_n2.next = self.n2.q.val();
        self.e_s1.next = self.s1.q.val();
        self.e_s2.next = self.s2.q.val();
        self.e_kk.next = self.kk.q.val();
        if self.start.val() {
            self.e_op.next = self.q.head.val().get_value_op();
            self.e_brow.next = self.q.head.val().get_value_row();
            self.e_addr.next = self.q.head.val().get_value_dram();
            self.e_run.next = self.q.head.val().get_value_dram();
            self.e_outer.next = self.q.head.val().get_value_dram();
            self.e_k0.next = 0.into();
            self.e_k1.next = 0.into();
            self.e_k2.next = 0.into();
            self.e_n0.next = self.q.head.val().get_value_n0();
            self.e_n1.next = self.q.head.val().get_value_n1();
            self.e_s1.next = self.q.head.val().get_value_s1();
            self.e_n2.next = self.q.head.val().get_value_n2();
            self.e_s2.next = self.q.head.val().get_value_s2();
            self.e_kk.next = 0.into();
        }
        // isa: nbout.loadw, nbout.storen (16-bit DRAM rows, converted by port::Widen / port::Narrow)
        self.narrow_op.next =
            (self.e_op.val() == self.k_loadw.val()) || (self.e_op.val() == self.k_storen.val());
        // isa: nbout.store, nbout.storen (writes to DRAM); nbin.load, sb.load, nbout.load otherwise
        self.write_op.next =
            (self.e_op.val() == self.k_store.val()) || (self.e_op.val() == self.k_storen.val());
        self.rb.next = self.k_rb.val();
        self.req_beats.next = self.k_beats.val();
        self.req_words.next = self.k_words.val();
        if self.narrow_op.val() {
            self.rb.next = self.k_rb_narrow.val();
            self.req_beats.next = self.k_beats_narrow.val();
            self.req_words.next = self.k_words_narrow.val();
        }
        self.last_row.next = (self.e_k0.val() + 1 == self.e_n0.val())
            && (self.e_k1.val() + 1 == self.e_n1.val())
            && (self.e_k2.val() + 1 == self.e_n2.val());
        self.req.next = self.start.val() || self.cur.q.val();
        self.req_bytes.next = self.rb.val();
        self.req_addr.next = self.e_addr.val();
        self.req_write.next = self.write_op.val();
        // tag (layout crate::widths::tag; the port fills in owner and last_beat)
        self.req_tag.next = 0.into();
        self.req_tag
            .next
            .set_value_write(self.write_op.val().into());
        self.req_tag
            .next
            .set_value_last_row(self.last_row.val().into());
        self.req_tag
            .next
            .set_value_narrow(self.narrow_op.val().into());
        self.req_tag.next.set_value_row(self.e_brow.val());
        self.rd_addr.next = bit_cast::<A, ROWW>(self.e_brow.val());
        self.busy.next = self.cur.q.val();
        self.row.next = 0.into();
        if self.cur.q.val() {
            self.row.next = self.kk.q.val();
        }
        // ---- state: load the head, advance on grant
        if self.start.val() {
            self.cur.d.next = true;
            self.op.d.next = self.e_op.val();
            self.brow.d.next = self.e_brow.val();
            self.addr.d.next = self.e_addr.val();
            self.run.d.next = self.e_run.val();
            self.outer.d.next = self.e_outer.val();
            self.k0.d.next = 0.into();
            self.k1.d.next = 0.into();
            self.k2.d.next = 0.into();
            self.n0.d.next = self.e_n0.val();
            self.n1.d.next = self.e_n1.val();
            self.n2.d.next = self.e_n2.val();
            self.s1.d.next = self.e_s1.val();
            self.s2.d.next = self.e_s2.val();
            self.kk.d.next = 0.into();
        }
        if self.grant.val() {
            self.brow.d.next = self.e_brow.val() + 1;
            self.kk.d.next = self.e_kk.val() + 1;
            if self.e_k0.val() + 1 != self.e_n0.val() {
                self.k0.d.next = self.e_k0.val() + 1;
                self.addr.d.next = self.e_addr.val() + self.rb.val();
            } else if self.e_k1.val() + 1 != self.e_n1.val() {
                self.k0.d.next = 0.into();
                self.k1.d.next = self.e_k1.val() + 1;
                self.run.d.next = self.e_run.val() + self.e_s1.val();
                self.addr.d.next = self.e_run.val() + self.e_s1.val();
            } else {
                self.k0.d.next = 0.into();
                self.k1.d.next = 0.into();
                self.k2.d.next = self.e_k2.val() + 1;
                self.outer.d.next = self.e_outer.val() + self.e_s2.val();
                self.run.d.next = self.e_outer.val() + self.e_s2.val();
                self.addr.d.next = self.e_outer.val() + self.e_s2.val();
            }
            if self.last_row.val() {
                self.cur.d.next = false;
            }
        }
        // ---- load responses: shift each beat in at the top; write the row on its last beat
        self.shifted.next = (self.asm.q.val() >> self.k_bw.val())
            | (bit_cast::<ASM, BW>(self.resp_data.val()) << self.k_top.val());
        self.row_raw.next = self.shifted.val() >> self.k_sh.val();
        if self.resp_tag.val().get_value_narrow().any() {
            self.row_raw.next = self.shifted.val() >> self.k_sh_narrow.val();
        }
        self.widen.din.next = bit_cast::<W, ASM>(self.row_raw.val());
        self.wr_en.next = false;
        self.wr_addr.next = bit_cast::<A, ROWW>(self.resp_tag.val().get_value_row());
        self.wr_data.next = bit_cast::<W, ASM>(self.row_raw.val());
        if self.resp_tag.val().get_value_narrow().any() {
            self.wr_data.next = self.widen.dout.val();
        }
        if self.resp_mine.val() && !self.resp_tag.val().get_value_write().any() {
            self.asm.d.next = self.shifted.val();
            if self.resp_tag.val().get_value_last_beat().any() {
                self.wr_en.next = true;
            }
        }
        if self.resp_mine.val()
            && self.resp_tag.val().get_value_last_beat().any()
            && self.resp_tag.val().get_value_last_row().any()
        {
            self.donec.d.next = self.donec.q.val() + 1;
            if self.resp_tag.val().get_value_write().any() {
                self.dones.d.next = self.dones.q.val() + 1;
            } else {
                self.donel.d.next = self.donel.q.val() + 1;
            }
        }
        // ---- stores: row read from port B at grant, beats follow their commands by one cycle
        self.narrow.din.next = self.rd_data.val();
        self.src.next = bit_cast::<ASM, W>(self.rd_data.val());
        if self.st_narrow.q.val() {
            self.src.next = bit_cast::<ASM, W>(self.narrow.dout.val());
        }
        self.wvalid.next = false;
        self.wdata.next = bit_cast::<BW, ASM>(self.sreg.q.val());
        self.st_first.d.next = false;
        if self.st_first.q.val() {
            self.wvalid.next = true;
            self.wdata.next = bit_cast::<BW, ASM>(self.src.val());
            self.sreg.d.next = self.src.val() >> self.k_bw.val();
        } else if self.st_left.q.val() != 0 {
            self.wvalid.next = true;
            self.st_left.d.next = self.st_left.q.val() - 1;
            self.sreg.d.next = self.sreg.q.val() >> self.k_bw.val();
        }
        if self.grant.val() && self.write_op.val() {
            self.st_first.d.next = true;
            self.st_narrow.d.next = self.narrow_op.val();
            self.st_left.d.next = self.req_beats.val() - 1;
        }
        if self.clr.val() {
            self.cur.d.next = false;
            self.st_first.d.next = false;
            self.st_left.d.next = 0.into();
            self.donec.d.next = 0.into();
            self.donel.d.next = 0.into();
            self.dones.d.next = 0.into();
        }
        self.done.next = self.donec.q.val();
        self.done_load.next = self.donel.q.val();
        self.done_store.next = self.dones.q.val();
    }
}
