//! AXI4-Lite slave holding the register map of `arch::regmap`. One write
//! and one read outstanding; `AWREADY`/`WREADY` rise together when both
//! `AWVALID` and `WVALID` are high and no write response is pending; `BVALID`
//! and `RVALID` are held until their ready. Responses are always OKAY
//! (unmapped offsets read 0 and ignore writes). Byte strobes are honoured.
//! The 64-bit values (`bus_cycles`, the event counters of the core's bank,
//! read through `ctr_sel` / `ctr_value`) follow `arch::regmap`'s read
//! sequence: a low-word read latches the high word that the next high-word
//! read returns.

use crate::widths::{ErrClass, Pc, Seed, CTRW, ERRW, EVSELW, PCW};
use arch::regmap::{self, ID_MAGIC};
use arch::AccelConfig;
use rust_hdl::prelude::*;

/// Width of the slave's byte address, bits.
pub const LITE_ADDR_BITS: usize = 16;

fn k(v: u32) -> Constant<Bits<LITE_ADDR_BITS>> {
    Constant::new((v as u64).into())
}

/// The register slave.
#[derive(LogicBlock)]
pub struct AxiLiteSlave {
    /// Clock (the AXI clock).
    pub clock: Signal<In, Clock>,
    /// Synchronous reset (active high).
    pub reset: Signal<In, bool>,
    /// AW address.
    pub awaddr: Signal<In, Bits<LITE_ADDR_BITS>>,
    /// AW valid.
    pub awvalid: Signal<In, bool>,
    /// AW ready.
    pub awready: Signal<Out, bool>,
    /// W data.
    pub wdata: Signal<In, Bits<32>>,
    /// W strobes.
    pub wstrb: Signal<In, Bits<4>>,
    /// W valid.
    pub wvalid: Signal<In, bool>,
    /// W ready.
    pub wready: Signal<Out, bool>,
    /// B response (always OKAY).
    pub bresp: Signal<Out, Bits<2>>,
    /// B valid.
    pub bvalid: Signal<Out, bool>,
    /// B ready.
    pub bready: Signal<In, bool>,
    /// AR address.
    pub araddr: Signal<In, Bits<LITE_ADDR_BITS>>,
    /// AR valid.
    pub arvalid: Signal<In, bool>,
    /// AR ready.
    pub arready: Signal<Out, bool>,
    /// R data.
    pub rdata: Signal<Out, Bits<32>>,
    /// R response (always OKAY).
    pub rresp: Signal<Out, Bits<2>>,
    /// R valid.
    pub rvalid: Signal<Out, bool>,
    /// R ready.
    pub rready: Signal<In, bool>,
    /// `ctrl.start` written with 1 (one-cycle pulse).
    pub start: Signal<Out, bool>,
    /// `prog_base` register.
    pub prog_base: Signal<Out, Bits<32>>,
    /// `prog_len` register.
    pub prog_len: Signal<Out, Bits<32>>,
    /// `dram_base` register.
    pub dram_base: Signal<Out, Bits<32>>,
    /// `lfsr_seed` register.
    pub lfsr_seed: Signal<Out, Seed>,
    /// `status.busy`.
    pub st_busy: Signal<In, bool>,
    /// `status.done`.
    pub st_done: Signal<In, bool>,
    /// `status.bus_error`.
    pub st_bus_error: Signal<In, bool>,
    /// `error.class`.
    pub err_class: Signal<In, ErrClass>,
    /// `error.index`.
    pub err_index: Signal<In, Pc>,
    /// `bus_cycles` (64 bits).
    pub bus_cycles: Signal<In, Bits<CTRW>>,
    /// `held_cycles`.
    pub held_cycles: Signal<In, Bits<32>>,
    /// Event counter to show on `ctr_value` (from the read address; an `arch::events::Event` index).
    pub ctr_sel: Signal<Out, Bits<EVSELW>>,
    /// Event counter `ctr_sel` (the core's counter bank, combinational).
    pub ctr_value: Signal<In, Bits<CTRW>>,
    r_prog_base: DFF<Bits<32>>,
    r_prog_len: DFF<Bits<32>>,
    r_dram_base: DFF<Bits<32>>,
    /// `lfsr_seed` XOR the preset's seed (so that its all-zero reset value
    /// reads as the preset's seed).
    r_seed: DFF<Seed>,
    bv: DFF<bool>,
    rv: DFF<bool>,
    rd: DFF<Bits<32>>,
    hi: DFF<Bits<32>>,
    ar: Signal<Local, Bits<LITE_ADDR_BITS>>,
    in_ctr: Signal<Local, bool>,
    ctr_idx: Signal<Local, Bits<LITE_ADDR_BITS>>,
    hi_word: Signal<Local, bool>,
    wr: Signal<Local, bool>,
    wmask: Signal<Local, Bits<32>>,
    mux: Signal<Local, Bits<32>>,
    addr_mask: Constant<Bits<LITE_ADDR_BITS>>,
    a_ctrl: Constant<Bits<LITE_ADDR_BITS>>,
    a_status: Constant<Bits<LITE_ADDR_BITS>>,
    a_error: Constant<Bits<LITE_ADDR_BITS>>,
    a_error_index: Constant<Bits<LITE_ADDR_BITS>>,
    k_lsb_done: Constant<Bits<8>>,
    k_lsb_bus_error: Constant<Bits<8>>,
    k_lsb_class: Constant<Bits<8>>,
    a_prog_base: Constant<Bits<LITE_ADDR_BITS>>,
    a_prog_len: Constant<Bits<LITE_ADDR_BITS>>,
    a_dram_base: Constant<Bits<LITE_ADDR_BITS>>,
    a_seed: Constant<Bits<LITE_ADDR_BITS>>,
    v_seed: Constant<Seed>,
    a_hash: Constant<Bits<LITE_ADDR_BITS>>,
    a_id: Constant<Bits<LITE_ADDR_BITS>>,
    a_bus_cycles: Constant<Bits<LITE_ADDR_BITS>>,
    a_bus_cycles_hi: Constant<Bits<LITE_ADDR_BITS>>,
    a_held_cycles: Constant<Bits<LITE_ADDR_BITS>>,
    a_ctr_base: Constant<Bits<LITE_ADDR_BITS>>,
    a_ctr_end: Constant<Bits<LITE_ADDR_BITS>>,
    k_hi_word: Constant<Bits<LITE_ADDR_BITS>>,
    k_ctr_shift: Constant<Bits<8>>,
    v_hash: Constant<Bits<32>>,
    v_id: Constant<Bits<32>>,
    k_b0: Constant<Bits<32>>,
    k_b1: Constant<Bits<32>>,
    k_b2: Constant<Bits<32>>,
    k_b3: Constant<Bits<32>>,
}

impl AxiLiteSlave {
    /// The slave for hardware built for `cfg` (its `preset_hash`).
    pub fn new(cfg: &AccelConfig) -> Result<Self, regmap::RegMapError> {
        let o = regmap::offset;
        assert!(
            regmap::COUNTER_BYTES.is_power_of_two()
                && regmap::HI_WORD.is_power_of_two()
                && regmap::HI_WORD < regmap::COUNTER_BYTES
                && regmap::COUNTER_BASE % regmap::COUNTER_BYTES == 0
                && regmap::window_bytes() <= 1 << LITE_ADDR_BITS,
            "the register map's counter layout is decoded by address bits"
        );
        Ok(Self {
            clock: Default::default(),
            reset: Default::default(),
            awaddr: Default::default(),
            awvalid: Default::default(),
            awready: Default::default(),
            wdata: Default::default(),
            wstrb: Default::default(),
            wvalid: Default::default(),
            wready: Default::default(),
            bresp: Default::default(),
            bvalid: Default::default(),
            bready: Default::default(),
            araddr: Default::default(),
            arvalid: Default::default(),
            arready: Default::default(),
            rdata: Default::default(),
            rresp: Default::default(),
            rvalid: Default::default(),
            rready: Default::default(),
            start: Default::default(),
            prog_base: Default::default(),
            prog_len: Default::default(),
            dram_base: Default::default(),
            lfsr_seed: Default::default(),
            st_busy: Default::default(),
            st_done: Default::default(),
            st_bus_error: Default::default(),
            err_class: Default::default(),
            err_index: Default::default(),
            bus_cycles: Default::default(),
            held_cycles: Default::default(),
            ctr_sel: Default::default(),
            ctr_value: Default::default(),
            r_prog_base: Default::default(),
            r_prog_len: Default::default(),
            r_dram_base: Default::default(),
            r_seed: Default::default(),
            bv: Default::default(),
            rv: Default::default(),
            rd: Default::default(),
            hi: Default::default(),
            ar: Default::default(),
            in_ctr: Default::default(),
            ctr_idx: Default::default(),
            hi_word: Default::default(),
            wr: Default::default(),
            wmask: Default::default(),
            mux: Default::default(),
            addr_mask: k(regmap::window_bytes() - 4),
            a_ctrl: k(o("ctrl")?),
            a_status: k(o("status")?),
            a_error: k(o("error")?),
            a_error_index: k(o("error_index")?),
            k_lsb_done: Constant::new((regmap::STATUS_DONE.lsb as u64).into()),
            k_lsb_bus_error: Constant::new((regmap::STATUS_BUS_ERROR.lsb as u64).into()),
            k_lsb_class: Constant::new((regmap::ERROR_CLASS.lsb as u64).into()),
            a_prog_base: k(o("prog_base")?),
            a_prog_len: k(o("prog_len")?),
            a_dram_base: k(o("dram_base")?),
            a_seed: k(o("lfsr_seed")?),
            v_seed: Constant::new((cfg.lfsr_seed as u64).into()),
            a_hash: k(o("preset_hash")?),
            a_id: k(o("id")?),
            a_bus_cycles: k(o("bus_cycles")?),
            a_bus_cycles_hi: k(o("bus_cycles_hi")?),
            a_held_cycles: k(o("held_cycles")?),
            a_ctr_base: k(regmap::COUNTER_BASE),
            a_ctr_end: k(regmap::counters_end()),
            k_hi_word: k(regmap::HI_WORD),
            k_ctr_shift: Constant::new((regmap::COUNTER_BYTES.trailing_zeros() as u64).into()),
            v_hash: Constant::new((regmap::preset_hash(cfg) as u64).into()),
            v_id: Constant::new((ID_MAGIC as u64).into()),
            k_b0: Constant::new(0xFFu64.into()),
            k_b1: Constant::new(0xFF00u64.into()),
            k_b2: Constant::new(0xFF_0000u64.into()),
            k_b3: Constant::new(0xFF00_0000u64.into()),
        })
    }
}

impl Logic for AxiLiteSlave {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            r_prog_base,
            r_prog_len,
            r_dram_base,
            r_seed,
            bv,
            rv,
            rd,
            hi
        );
        // ---- writes
        self.wr.next = self.awvalid.val() && self.wvalid.val() && !self.bv.q.val();
        self.awready.next = self.wr.val();
        self.wready.next = self.wr.val();
        self.wmask.next = 0.into();
        if self.wstrb.val().get_bit(0) {
            self.wmask.next = self.wmask.val() | self.k_b0.val();
        }
        if self.wstrb.val().get_bit(1) {
            self.wmask.next = self.wmask.val() | self.k_b1.val();
        }
        if self.wstrb.val().get_bit(2) {
            self.wmask.next = self.wmask.val() | self.k_b2.val();
        }
        if self.wstrb.val().get_bit(3) {
            self.wmask.next = self.wmask.val() | self.k_b3.val();
        }
        self.start.next = false;
        if self.wr.val() {
            self.bv.d.next = true;
            if (self.awaddr.val() & self.addr_mask.val()) == self.a_ctrl.val() {
                self.start.next = self.wdata.val().get_bit(0) && self.wstrb.val().get_bit(0);
            }
            if (self.awaddr.val() & self.addr_mask.val()) == self.a_prog_base.val() {
                self.r_prog_base.d.next = (self.r_prog_base.q.val() & !self.wmask.val())
                    | (self.wdata.val() & self.wmask.val());
            }
            if (self.awaddr.val() & self.addr_mask.val()) == self.a_prog_len.val() {
                self.r_prog_len.d.next = (self.r_prog_len.q.val() & !self.wmask.val())
                    | (self.wdata.val() & self.wmask.val());
            }
            if (self.awaddr.val() & self.addr_mask.val()) == self.a_dram_base.val() {
                self.r_dram_base.d.next = (self.r_dram_base.q.val() & !self.wmask.val())
                    | (self.wdata.val() & self.wmask.val());
            }
            if (self.awaddr.val() & self.addr_mask.val()) == self.a_seed.val() {
                self.r_seed.d.next = (((self.r_seed.q.val() ^ self.v_seed.val())
                    & !self.wmask.val())
                    | (self.wdata.val() & self.wmask.val()))
                    ^ self.v_seed.val();
            }
        }
        if self.bv.q.val() && self.bready.val() {
            self.bv.d.next = false;
        }
        self.bvalid.next = self.bv.q.val();
        self.bresp.next = 0.into();
        // ---- reads
        self.mux.next = 0.into();
        self.ar.next = self.araddr.val() & self.addr_mask.val();
        self.in_ctr.next =
            (self.ar.val() >= self.a_ctr_base.val()) && (self.ar.val() < self.a_ctr_end.val());
        self.hi_word.next = (self.ar.val() & self.k_hi_word.val()).any();
        // (a part-select of an expression is not Verilog: shift into a signal first)
        self.ctr_idx.next = (self.ar.val() - self.a_ctr_base.val()) >> self.k_ctr_shift.val();
        self.ctr_sel.next = self.ctr_idx.val().get_bits::<EVSELW>(0);
        if self.ar.val() == self.a_status.val() {
            self.mux.next = bit_cast::<32, 1>(self.st_busy.val().into())
                | (bit_cast::<32, 1>(self.st_done.val().into()) << self.k_lsb_done.val())
                | (bit_cast::<32, 1>(self.st_bus_error.val().into()) << self.k_lsb_bus_error.val());
        }
        if self.ar.val() == self.a_error.val() {
            self.mux.next = bit_cast::<32, ERRW>(self.err_class.val()) << self.k_lsb_class.val();
        }
        if self.ar.val() == self.a_error_index.val() {
            self.mux.next = bit_cast::<32, PCW>(self.err_index.val());
        }
        if self.ar.val() == self.a_prog_base.val() {
            self.mux.next = self.r_prog_base.q.val();
        }
        if self.ar.val() == self.a_prog_len.val() {
            self.mux.next = self.r_prog_len.q.val();
        }
        if self.ar.val() == self.a_dram_base.val() {
            self.mux.next = self.r_dram_base.q.val();
        }
        if self.ar.val() == self.a_seed.val() {
            self.mux.next = self.r_seed.q.val() ^ self.v_seed.val();
        }
        if self.ar.val() == self.a_hash.val() {
            self.mux.next = self.v_hash.val();
        }
        if self.ar.val() == self.a_id.val() {
            self.mux.next = self.v_id.val();
        }
        if self.ar.val() == self.a_bus_cycles.val() {
            self.mux.next = self.bus_cycles.val().get_bits::<32>(0);
        }
        if self.ar.val() == self.a_held_cycles.val() {
            self.mux.next = self.held_cycles.val();
        }
        if self.ar.val() == self.a_bus_cycles_hi.val() {
            self.mux.next = self.hi.q.val();
        }
        if self.in_ctr.val() {
            self.mux.next = self.ctr_value.val().get_bits::<32>(0);
            if self.hi_word.val() {
                self.mux.next = self.hi.q.val();
            }
        }
        self.arready.next = !self.rv.q.val();
        if self.arvalid.val() && !self.rv.q.val() {
            self.rv.d.next = true;
            self.rd.d.next = self.mux.val();
            // a low-word read latches the high word for the next high-word read
            if self.ar.val() == self.a_bus_cycles.val() {
                self.hi.d.next = self.bus_cycles.val().get_bits::<32>(32);
            }
            if self.in_ctr.val() && !self.hi_word.val() {
                self.hi.d.next = self.ctr_value.val().get_bits::<32>(32);
            }
        }
        if self.rv.q.val() && self.rready.val() {
            self.rv.d.next = false;
        }
        self.rvalid.next = self.rv.q.val();
        self.rdata.next = self.rd.q.val();
        self.rresp.next = 0.into();
        self.prog_base.next = self.r_prog_base.q.val();
        self.prog_len.next = self.r_prog_len.q.val();
        self.dram_base.next = self.r_dram_base.q.val();
        self.lfsr_seed.next = self.r_seed.q.val() ^ self.v_seed.val();
        if self.reset.val() {
            self.bv.d.next = false;
            self.rv.d.next = false;
            self.r_prog_base.d.next = 0.into();
            self.r_prog_len.d.next = 0.into();
            self.r_dram_base.d.next = 0.into();
            self.r_seed.d.next = 0.into();
        }
    }
}
