//! The on-chip buffers: NBin, SB and NBout. Each is a read-first RAM with one
//! registered read port and one write port (rust-hdl's `RAM`). NBout is held
//! twice, written together: copy A is read by the NFU (previous partial sums),
//! copy B by the NBout DMA's stores, so both read in the same cycle. The NFU
//! and the NBout load DMA never write in the same cycle (the sequencer's start
//! condition), so one write port per copy suffices; [`crate::top`] selects
//! the writer.

use rust_hdl::prelude::*;

/// NBin (`2^AI` rows of `NBIN_W` bits), SB (`2^AS` x `SB_W`) and NBout
/// (`2^AO` x `NBOUT_W`, two copies). Read data appears one cycle after its
/// address (registered read), as the contract's issue timing assumes.
#[derive(LogicBlock, Default)]
pub struct Buffers<
    const AI: usize,
    const AS: usize,
    const AO: usize,
    const NBIN_W: usize,
    const SB_W: usize,
    const NBOUT_W: usize,
> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// NBin write enable (NBin DMA).
    pub nbin_we: Signal<In, bool>,
    /// NBin write row.
    pub nbin_waddr: Signal<In, Bits<AI>>,
    /// NBin write data.
    pub nbin_wdata: Signal<In, Bits<NBIN_W>>,
    /// NBin read row (NFU sequencer).
    pub nbin_raddr: Signal<In, Bits<AI>>,
    /// NBin read data (one cycle after `nbin_raddr`).
    pub nbin_rdata: Signal<Out, Bits<NBIN_W>>,
    /// SB write enable (SB DMA).
    pub sb_we: Signal<In, bool>,
    /// SB write row.
    pub sb_waddr: Signal<In, Bits<AS>>,
    /// SB write data.
    pub sb_wdata: Signal<In, Bits<SB_W>>,
    /// SB read row (NFU sequencer).
    pub sb_raddr: Signal<In, Bits<AS>>,
    /// SB read data (one cycle after `sb_raddr`).
    pub sb_rdata: Signal<Out, Bits<SB_W>>,
    /// NBout write enable (both copies).
    pub nbout_we: Signal<In, bool>,
    /// NBout write row.
    pub nbout_waddr: Signal<In, Bits<AO>>,
    /// NBout write data.
    pub nbout_wdata: Signal<In, Bits<NBOUT_W>>,
    /// NBout copy A read row (NFU sequencer).
    pub nbout_raddr_a: Signal<In, Bits<AO>>,
    /// NBout copy A read data.
    pub nbout_rdata_a: Signal<Out, Bits<NBOUT_W>>,
    /// NBout copy B read row (NBout DMA stores).
    pub nbout_raddr_b: Signal<In, Bits<AO>>,
    /// NBout copy B read data.
    pub nbout_rdata_b: Signal<Out, Bits<NBOUT_W>>,
    nbin: RAM<Bits<NBIN_W>, AI>,
    sb: RAM<Bits<SB_W>, AS>,
    nbout_a: RAM<Bits<NBOUT_W>, AO>,
    nbout_b: RAM<Bits<NBOUT_W>, AO>,
}

impl<
        const AI: usize,
        const AS: usize,
        const AO: usize,
        const NBIN_W: usize,
        const SB_W: usize,
        const NBOUT_W: usize,
    > Logic for Buffers<AI, AS, AO, NBIN_W, SB_W, NBOUT_W>
{
    #[hdl_gen]
    fn update(&mut self) {
        // RAM clocks are `read_clock` / `write_clock`, not `clock`, so `clock!` does not apply.
        self.nbin.read_clock.next = self.clock.val();
        self.nbin.write_clock.next = self.clock.val();
        self.nbin.write_enable.next = self.nbin_we.val();
        self.nbin.write_address.next = self.nbin_waddr.val();
        self.nbin.write_data.next = self.nbin_wdata.val();
        self.nbin.read_address.next = self.nbin_raddr.val();
        self.nbin_rdata.next = self.nbin.read_data.val();
        self.sb.read_clock.next = self.clock.val();
        self.sb.write_clock.next = self.clock.val();
        self.sb.write_enable.next = self.sb_we.val();
        self.sb.write_address.next = self.sb_waddr.val();
        self.sb.write_data.next = self.sb_wdata.val();
        self.sb.read_address.next = self.sb_raddr.val();
        self.sb_rdata.next = self.sb.read_data.val();
        self.nbout_a.read_clock.next = self.clock.val();
        self.nbout_a.write_clock.next = self.clock.val();
        self.nbout_a.write_enable.next = self.nbout_we.val();
        self.nbout_a.write_address.next = self.nbout_waddr.val();
        self.nbout_a.write_data.next = self.nbout_wdata.val();
        self.nbout_a.read_address.next = self.nbout_raddr_a.val();
        self.nbout_rdata_a.next = self.nbout_a.read_data.val();
        self.nbout_b.read_clock.next = self.clock.val();
        self.nbout_b.write_clock.next = self.clock.val();
        self.nbout_b.write_enable.next = self.nbout_we.val();
        self.nbout_b.write_address.next = self.nbout_waddr.val();
        self.nbout_b.write_data.next = self.nbout_wdata.val();
        self.nbout_b.read_address.next = self.nbout_raddr_b.val();
        self.nbout_rdata_b.next = self.nbout_b.read_data.val();
    }
}
