//! Control processor `cp`: instruction memory (filled by [`super::fetch`]),
//! start after the first fetch window, decode (every field at
//! the position given by `arch::isa::fields`), the decode and range checks of
//! `Instruction::decode` / `Instruction::check`, dispatch with queue-full
//! stalls, cumulative dispatch counters with `wait` history, END and errors
//! (docs/microarchitecture.md, "Instruction fetch" and "Control processor").

use super::fetch::FEW;
use crate::widths::*;
use arch::activation::Activation;
use arch::fixed::Rounding;
use arch::isa::fields::{self, F, USED_BITS};
use arch::isa::{AccIn, CpOp, DmaOp, NfuOp};
use arch::AccelConfig;
use rust_hdl::prelude::*;

macro_rules! w {
    ($f:ident) => {
        Bits<{ fields::width(F::$f) as usize }>
    };
}

fn koff(v: u64) -> Constant<Bits<OFFW>> {
    Constant::new(v.into())
}
fn kmul(v: u64) -> Constant<Bits<MULW>> {
    Constant::new(v.into())
}
fn lsb(f: F) -> Constant<Bits<OFFW>> {
    koff(fields::lsb(f) as u64)
}

macro_rules! decoder {
    ($($f:ident : $lsb:ident),* $(,)?) => {
        /// Splits the instruction word into its fields (positions from `arch::isa::fields`).
        #[derive(LogicBlock)]
        #[allow(non_snake_case, missing_docs)]
        pub struct Decoder {
            /// The instruction word.
            pub word: Signal<In, Bits<IB>>,
            /// Reserved bits above the last field are not all zero.
            pub reserved: Signal<Out, bool>,
            lsb_reserved: Constant<Bits<OFFW>>,
            $( pub $f: Signal<Out, w!($f)>, $lsb: Constant<Bits<OFFW>>, )*
        }
        impl Default for Decoder {
            fn default() -> Self {
                Self {
                    word: Default::default(),
                    reserved: Default::default(),
                    lsb_reserved: koff(USED_BITS as u64),
                    $( $f: Default::default(), $lsb: lsb(F::$f), )*
                }
            }
        }
        impl Logic for Decoder {
            #[hdl_gen]
            fn update(&mut self) {
                self.reserved.next = self.word.val().get_bits::<RES>(self.lsb_reserved.val().index()).any();
                $( self.$f.next = self.word.val().get_bits::<{ fields::width(F::$f) as usize }>(self.$lsb.val().index()); )*
            }
        }
    };
}

decoder! {
    CP_OP: l_cp_op,
    NBIN_OP: l_nbin_op, NBIN_WAIT: l_nbin_wait, NBIN_ROW: l_nbin_row, NBIN_DRAM: l_nbin_dram,
    NBIN_N0: l_nbin_n0, NBIN_N1: l_nbin_n1, NBIN_S1: l_nbin_s1, NBIN_N2: l_nbin_n2, NBIN_S2: l_nbin_s2,
    SB_OP: l_sb_op, SB_WAIT: l_sb_wait, SB_ROW: l_sb_row, SB_DRAM: l_sb_dram,
    SB_N0: l_sb_n0, SB_N1: l_sb_n1, SB_S1: l_sb_s1, SB_N2: l_sb_n2, SB_S2: l_sb_s2,
    NBOUT_OP: l_nbout_op, NBOUT_WAIT: l_nbout_wait, NBOUT_ROW: l_nbout_row, NBOUT_DRAM: l_nbout_dram,
    NBOUT_N0: l_nbout_n0, NBOUT_N1: l_nbout_n1, NBOUT_S1: l_nbout_s1, NBOUT_N2: l_nbout_n2, NBOUT_S2: l_nbout_s2,
    NFU_OP: l_nfu_op, NFU_IN: l_nfu_in, NFU_OUT: l_nfu_out, NFU_ACT: l_nfu_act, NFU_ROUND: l_nfu_round,
    NFU_WAIT: l_nfu_wait, NFU_TR: l_nfu_tr, NFU_NBIN: l_nfu_nbin, NFU_SB: l_nfu_sb, NFU_NBOUT: l_nfu_nbout,
    NFU_NPY: l_nfu_npy, NFU_SPY: l_nfu_spy, NFU_NPX: l_nfu_npx, NFU_SPX: l_nfu_spx,
    NFU_NKY: l_nfu_nky, NFU_SKY: l_nfu_sky, NFU_NI: l_nfu_ni, NFU_SCALE: l_nfu_scale,
}

/// Range check of one DMA slot (`Instruction::check`): buffer rows, 2-byte
/// alignment of address and strides, DRAM end.
#[derive(LogicBlock)]
pub struct DmaCheck {
    /// Slot is active (op != nop).
    pub active: Signal<In, bool>,
    /// Narrow row (`loadw`/`storen`).
    pub narrow: Signal<In, bool>,
    /// First buffer row.
    pub row: Signal<In, Row>,
    /// DRAM byte address.
    pub dram: Signal<In, DramAddr>,
    /// Counts and strides.
    pub n0: Signal<In, Count>,
    /// Middle count.
    pub n1: Signal<In, Count>,
    /// Middle stride, bytes.
    pub s1: Signal<In, DramStride>,
    /// Outer count.
    pub n2: Signal<In, Count>,
    /// Outer stride, bytes.
    pub s2: Signal<In, DramStride>,
    /// The slot fails the check.
    pub err: Signal<Out, bool>,
    p01: Signal<Local, Bits<PRODW>>,
    p012: Signal<Local, Bits<PRODW>>,
    big: Signal<Local, bool>,
    m1: Signal<Local, Bits<MULW>>,
    m2: Signal<Local, Bits<MULW>>,
    t1: Signal<Local, Bits<DENDW>>,
    t2: Signal<Local, Bits<DENDW>>,
    t0: Signal<Local, Bits<PRODW>>,
    dend: Signal<Local, Bits<DENDW>>,
    rows: Constant<Bits<PRODW>>,
    rows_lim: Constant<Bits<PRODW>>,
    rb: Constant<Bits<MULW>>,
    rb_narrow: Constant<Bits<MULW>>,
    size: Constant<Bits<DENDW>>,
}

impl DmaCheck {
    /// Checker for a buffer of `rows` rows with DRAM row sizes `rb` / `rb_narrow` bytes.
    pub fn new(rows: u32, rb: u32, rb_narrow: u32, size: u64) -> Self {
        Self {
            active: Default::default(),
            narrow: Default::default(),
            row: Default::default(),
            dram: Default::default(),
            n0: Default::default(),
            n1: Default::default(),
            s1: Default::default(),
            n2: Default::default(),
            s2: Default::default(),
            err: Default::default(),
            p01: Default::default(),
            p012: Default::default(),
            big: Default::default(),
            m1: Default::default(),
            m2: Default::default(),
            t1: Default::default(),
            t2: Default::default(),
            t0: Default::default(),
            dend: Default::default(),
            rows: Constant::new((rows as u64).into()),
            rows_lim: Constant::new((1u64 << ROWW).into()),
            rb: kmul(rb as u64),
            rb_narrow: kmul(rb_narrow as u64),
            size: Constant::new(size.into()),
        }
    }
}

impl Logic for DmaCheck {
    #[hdl_gen]
    fn update(&mut self) {
        self.p01.next =
            bit_cast::<MULW, CNTW>(self.n0.val()) * bit_cast::<MULW, CNTW>(self.n1.val());
        // n0 * n1 >= 2^ROWW: more rows than any buffer has (guards the 16-bit product below)
        self.big.next = self.p01.val() >= self.rows_lim.val();
        self.p012.next = self.p01.val().get_bits::<MULW>(0) * bit_cast::<MULW, CNTW>(self.n2.val());
        self.m1.next = bit_cast::<MULW, CNTW>(self.n1.val() - 1);
        self.m2.next = bit_cast::<MULW, CNTW>(self.n2.val() - 1);
        self.t1.next = bit_cast::<DENDW, PRODW>(self.m1.val() * self.s1.val().get_bits::<MULW>(0))
            + (bit_cast::<DENDW, PRODW>(self.m1.val() * self.s1.val().get_bits::<MULW>(16)) << 16);
        self.t2.next = bit_cast::<DENDW, PRODW>(self.m2.val() * self.s2.val().get_bits::<MULW>(0))
            + (bit_cast::<DENDW, PRODW>(self.m2.val() * self.s2.val().get_bits::<MULW>(16)) << 16);
        self.t0.next = bit_cast::<MULW, CNTW>(self.n0.val()) * self.rb.val();
        if self.narrow.val() {
            self.t0.next = bit_cast::<MULW, CNTW>(self.n0.val()) * self.rb_narrow.val();
        }
        self.dend.next = bit_cast::<DENDW, DAW>(self.dram.val())
            + self.t1.val()
            + self.t2.val()
            + bit_cast::<DENDW, PRODW>(self.t0.val());
        self.err.next = self.active.val()
            && (self.big.val()
                || (bit_cast::<PRODW, ROWW>(self.row.val()) + self.p012.val() > self.rows.val())
                || self.dram.val().get_bit(0)
                || self.s1.val().get_bit(0)
                || self.s2.val().get_bit(0)
                || (self.dend.val() > self.size.val()));
    }
}

/// Range check of the NFU slot (`Instruction::check`).
#[derive(LogicBlock)]
pub struct NfuCheck {
    /// Slot active.
    pub active: Signal<In, bool>,
    /// Op is mac.
    pub mac: Signal<In, bool>,
    /// in = bias.
    pub bias: Signal<In, bool>,
    /// Fields.
    pub nbin: Signal<In, Row>,
    /// SB base.
    pub sb: Signal<In, Row>,
    /// NBout base.
    pub nbout: Signal<In, Row>,
    /// Loop counts and strides.
    pub npy: Signal<In, Count>,
    /// spy.
    pub spy: Signal<In, Count>,
    /// npx.
    pub npx: Signal<In, Count>,
    /// spx.
    pub spx: Signal<In, Count>,
    /// nky.
    pub nky: Signal<In, Count>,
    /// sky.
    pub sky: Signal<In, Count>,
    /// ni.
    pub ni: Signal<In, Count>,
    /// The slot fails the check.
    pub err: Signal<Out, bool>,
    nbin_end: Signal<Local, Bits<PRODW>>,
    steps: Signal<Local, Bits<PRODW>>,
    used: Signal<Local, Bits<PRODW>>,
    outs: Signal<Local, Bits<PRODW>>,
    nbin_rows: Constant<Bits<PRODW>>,
    sb_rows: Constant<Bits<PRODW>>,
    nbout_rows: Constant<Bits<PRODW>>,
}

impl NfuCheck {
    /// Checker for `cfg`'s buffers.
    pub fn new(cfg: &AccelConfig) -> Self {
        Self {
            active: Default::default(),
            mac: Default::default(),
            bias: Default::default(),
            nbin: Default::default(),
            sb: Default::default(),
            nbout: Default::default(),
            npy: Default::default(),
            spy: Default::default(),
            npx: Default::default(),
            spx: Default::default(),
            nky: Default::default(),
            sky: Default::default(),
            ni: Default::default(),
            err: Default::default(),
            nbin_end: Default::default(),
            steps: Default::default(),
            used: Default::default(),
            outs: Default::default(),
            nbin_rows: Constant::new((cfg.nbin_rows() as u64).into()),
            sb_rows: Constant::new((cfg.sb_rows() as u64).into()),
            nbout_rows: Constant::new((cfg.nbout_rows() as u64).into()),
        }
    }
}

impl Logic for NfuCheck {
    #[hdl_gen]
    fn update(&mut self) {
        self.nbin_end.next = bit_cast::<PRODW, ROWW>(self.nbin.val())
            + bit_cast::<MULW, CNTW>(self.npy.val() - 1) * bit_cast::<MULW, CNTW>(self.spy.val())
            + bit_cast::<MULW, CNTW>(self.npx.val() - 1) * bit_cast::<MULW, CNTW>(self.spx.val())
            + bit_cast::<MULW, CNTW>(self.nky.val() - 1) * bit_cast::<MULW, CNTW>(self.sky.val())
            + bit_cast::<PRODW, CNTW>(self.ni.val());
        self.steps.next =
            bit_cast::<MULW, CNTW>(self.nky.val()) * bit_cast::<MULW, CNTW>(self.ni.val());
        self.used.next = 0.into();
        if self.mac.val() {
            self.used.next = self.steps.val();
        }
        if self.bias.val() {
            self.used.next = self.steps.val() + 1;
        }
        self.outs.next =
            bit_cast::<MULW, CNTW>(self.npy.val()) * bit_cast::<MULW, CNTW>(self.npx.val());
        self.err.next = self.active.val()
            && ((self.nbin_end.val() > self.nbin_rows.val())
                || ((self.used.val() != 0)
                    && (bit_cast::<PRODW, ROWW>(self.sb.val()) + self.used.val()
                        > self.sb_rows.val()))
                || (bit_cast::<PRODW, ROWW>(self.nbout.val()) + self.outs.val()
                    > self.nbout_rows.val()));
    }
}

/// The control processor. `IA` = log2(imem depth).
#[derive(LogicBlock)]
pub struct Cp<const IA: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous clear; the first cycle with `clr` low is cycle 0.
    pub clr: Signal<In, bool>,
    /// Program length, instructions.
    pub prog_len: Signal<In, Pc>,
    /// DRAM byte address of instruction 0 (for the `fetch` check).
    pub prog_base: Signal<In, DramAddr>,
    /// Write port of the instruction memory (driven by the fetch unit).
    pub imem_we: Signal<In, bool>,
    /// imem write address.
    pub imem_waddr: Signal<In, Bits<IA>>,
    /// imem write data.
    pub imem_wdata: Signal<In, Instr>,
    /// Instructions written into imem so far (the fetch unit's count, registered).
    pub arrived: Signal<In, Pc>,
    /// The fetch unit neither requests nor has a row in flight (start condition).
    pub fetch_idle: Signal<In, bool>,
    /// Queue full flags of the units (state at the start of the cycle).
    pub full_nbin: Signal<In, bool>,
    /// SB DMA queue full.
    pub full_sb: Signal<In, bool>,
    /// NBout DMA queue full.
    pub full_nbout: Signal<In, bool>,
    /// NFU queue full.
    pub full_nfu: Signal<In, bool>,
    /// Append to the NBin DMA queue.
    pub push_nbin: Signal<Out, bool>,
    /// Append to the SB DMA queue.
    pub push_sb: Signal<Out, bool>,
    /// Append to the NBout DMA queue.
    pub push_nbout: Signal<Out, bool>,
    /// Append to the NFU queue.
    pub push_nfu: Signal<Out, bool>,
    /// NBin DMA entry.
    pub ent_nbin: Signal<Out, Bits<DMA_ENTRY_BITS>>,
    /// SB DMA entry.
    pub ent_sb: Signal<Out, Bits<DMA_ENTRY_BITS>>,
    /// NBout DMA entry.
    pub ent_nbout: Signal<Out, Bits<DMA_ENTRY_BITS>>,
    /// NFU entry.
    pub ent_nfu: Signal<Out, Bits<NFU_ENTRY_BITS>>,
    /// END dispatched or stopped on an error (registered).
    pub stopped: Signal<Out, bool>,
    /// Error class: 0 none, 1 decode, 2 range, 3 no_end, 4 fetch.
    pub err_class: Signal<Out, ErrClass>,
    /// Index of the failing instruction.
    pub err_index: Signal<Out, Pc>,
    /// Instruction index held (`cp.pc`).
    pub pc: Signal<Out, Pc>,
    /// 1 in a dispatch cycle (`cp.dispatch`).
    pub dispatch: Signal<Out, bool>,
    /// 1 in a cycle stalled on a full queue (`cp_stall_queue_full`).
    pub stall_full: Signal<Out, bool>,
    /// 1 in a cycle waiting for the held instruction to land (`cp_stall_fetch`).
    pub stall_fetch: Signal<Out, bool>,
    /// Decoder.
    pub dec: Decoder,
    chk_nbin: DmaCheck,
    chk_sb: DmaCheck,
    chk_nbout: DmaCheck,
    chk_nfu: NfuCheck,
    imem: RAM<Instr, IA>,
    started: DFF<bool>,
    stop: DFF<bool>,
    pcr: DFF<Pc>,
    ecls: DFF<ErrClass>,
    eidx: DFF<Pc>,
    rd_ok: DFF<bool>,
    pend: DFF<Bits<FEW>>,
    c_nbin: DFF<Cnt>,
    c_sb: DFF<Cnt>,
    c_nbl: DFF<Cnt>,
    h_nfu: Vec<DFF<Cnt>>,
    h_nbs: Vec<DFF<Cnt>>,
    // decoded flags
    valid: Signal<Local, bool>,
    at_end: Signal<Local, bool>,
    fetch_err: Signal<Local, bool>,
    raddr: Signal<Local, Pc>,
    dec_err: Signal<Local, bool>,
    rng_err: Signal<Local, bool>,
    a_nbin: Signal<Local, bool>,
    a_sb: Signal<Local, bool>,
    a_nbout: Signal<Local, bool>,
    a_nfu: Signal<Local, bool>,
    nbl: Signal<Local, bool>,
    nbs: Signal<Local, bool>,
    stall: Signal<Local, bool>,
    go: Signal<Local, bool>,
    p_nfu: Signal<Local, Cnt>,
    p_nbin: Signal<Local, Cnt>,
    p_sb: Signal<Local, Cnt>,
    p_nbl: Signal<Local, Cnt>,
    p_nbs: Signal<Local, Cnt>,
    w_nfu_nbin: Signal<Local, Cnt>,
    w_nfu_sb: Signal<Local, Cnt>,
    w_nfu_nbout: Signal<Local, Cnt>,
    w_nbs: Signal<Local, Cnt>,
    need_nbout: Signal<Local, bool>,
    // constants (codes from arch)
    k_cp_codes: Constant<Code>,
    k_dma_codes: Constant<Code>,
    k_nfu_codes: Constant<Code>,
    k_in_codes: Constant<Code>,
    k_act_codes: Constant<Code>,
    k_round_codes: Constant<Code>,
    k_load: Constant<Code>,
    k_loadw: Constant<Code>,
    k_store: Constant<Code>,
    k_storen: Constant<Code>,
    k_mac: Constant<Code>,
    k_bias: Constant<Code>,
    k_end: Constant<Code>,
    k_err_decode: Constant<ErrClass>,
    k_err_range: Constant<ErrClass>,
    k_err_no_end: Constant<ErrClass>,
    k_err_fetch: Constant<ErrClass>,
    k_size: Constant<Bits<FEW>>,
    k_ib: Constant<Bits<FEW>>,
}

fn c8(v: usize) -> Constant<Code> {
    Constant::new((v as u64).into())
}

impl<const IA: usize> Cp<IA> {
    /// A control processor for `cfg` with an empty instruction memory (the
    /// fetch unit fills it).
    pub fn new(cfg: &AccelConfig) -> Self {
        Self::with_imem(cfg, RAM::default())
    }

    /// A control processor whose instruction memory starts with `words`
    /// (block tests of the CP alone; the machine starts empty).
    pub fn preloaded(cfg: &AccelConfig, words: &[Instr]) -> Self {
        Self::with_imem(cfg, RAM::from(words.iter().copied()))
    }

    fn with_imem(cfg: &AccelConfig, imem: RAM<Instr, IA>) -> Self {
        assert_eq!(
            1usize << IA,
            cfg.imem_depth as usize,
            "IA does not match imem_depth"
        );
        assert_eq!(cfg.data_bytes(), 2, "alignment check assumes 2-byte words");
        let size = cfg.dram.size_bytes;
        let tn = cfg.tn;
        let dma_pos = |op: DmaOp| DmaOp::ALL.iter().position(|x| *x == op).unwrap();
        Self {
            clock: Default::default(),
            clr: Default::default(),
            prog_len: Default::default(),
            prog_base: Default::default(),
            imem_we: Default::default(),
            imem_waddr: Default::default(),
            imem_wdata: Default::default(),
            arrived: Default::default(),
            fetch_idle: Default::default(),
            full_nbin: Default::default(),
            full_sb: Default::default(),
            full_nbout: Default::default(),
            full_nfu: Default::default(),
            push_nbin: Default::default(),
            push_sb: Default::default(),
            push_nbout: Default::default(),
            push_nfu: Default::default(),
            ent_nbin: Default::default(),
            ent_sb: Default::default(),
            ent_nbout: Default::default(),
            ent_nfu: Default::default(),
            stopped: Default::default(),
            err_class: Default::default(),
            err_index: Default::default(),
            pc: Default::default(),
            dispatch: Default::default(),
            stall_full: Default::default(),
            stall_fetch: Default::default(),
            dec: Default::default(),
            chk_nbin: DmaCheck::new(
                cfg.nbin_rows(),
                cfg.nbin_row_bytes(),
                cfg.nbin_row_bytes(),
                size,
            ),
            chk_sb: DmaCheck::new(cfg.sb_rows(), cfg.sb_row_bytes(), cfg.sb_row_bytes(), size),
            chk_nbout: DmaCheck::new(
                cfg.nbout_rows(),
                cfg.nbout_row_bytes(),
                tn * cfg.data_bytes(),
                size,
            ),
            chk_nfu: NfuCheck::new(cfg),
            imem,
            started: Default::default(),
            stop: Default::default(),
            pcr: Default::default(),
            ecls: Default::default(),
            eidx: Default::default(),
            rd_ok: Default::default(),
            pend: Default::default(),
            c_nbin: Default::default(),
            c_sb: Default::default(),
            c_nbl: Default::default(),
            h_nfu: (0..HIST).map(|_| DFF::default()).collect(),
            h_nbs: (0..HIST).map(|_| DFF::default()).collect(),
            valid: Default::default(),
            at_end: Default::default(),
            fetch_err: Default::default(),
            raddr: Default::default(),
            dec_err: Default::default(),
            rng_err: Default::default(),
            a_nbin: Default::default(),
            a_sb: Default::default(),
            a_nbout: Default::default(),
            a_nfu: Default::default(),
            nbl: Default::default(),
            nbs: Default::default(),
            stall: Default::default(),
            go: Default::default(),
            p_nfu: Default::default(),
            p_nbin: Default::default(),
            p_sb: Default::default(),
            p_nbl: Default::default(),
            p_nbs: Default::default(),
            w_nfu_nbin: Default::default(),
            w_nfu_sb: Default::default(),
            w_nfu_nbout: Default::default(),
            w_nbs: Default::default(),
            need_nbout: Default::default(),
            k_cp_codes: c8(CpOp::ALL.len()),
            k_dma_codes: c8(DmaOp::ALL.len()),
            k_nfu_codes: c8(NfuOp::ALL.len()),
            k_in_codes: c8(AccIn::ALL.len()),
            k_act_codes: c8(Activation::ALL.len()),
            k_round_codes: c8(Rounding::ALL.len()),
            k_load: c8(dma_pos(DmaOp::Load)),
            k_loadw: c8(dma_pos(DmaOp::LoadWiden)),
            k_store: c8(dma_pos(DmaOp::Store)),
            k_storen: c8(dma_pos(DmaOp::StoreNarrow)),
            k_mac: c8(NfuOp::ALL.iter().position(|x| *x == NfuOp::Mac).unwrap()),
            k_bias: c8(AccIn::ALL.iter().position(|x| *x == AccIn::Bias).unwrap()),
            k_end: c8(cp_op_code(CpOp::End) as usize),
            k_err_decode: Constant::new(ERR_DECODE.into()),
            k_err_range: Constant::new(ERR_RANGE.into()),
            k_err_no_end: Constant::new(ERR_NO_END.into()),
            k_err_fetch: Constant::new(ERR_FETCH.into()),
            k_size: Constant::new(size.into()),
            k_ib: Constant::new((arch::isa::fields::INSTR_BYTES as u64).into()),
        }
    }
}

impl<const IA: usize> Logic for Cp<IA> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, started, stop, pcr, ecls, eidx, rd_ok, pend, c_nbin, c_sb, c_nbl);
        for j in 0..HIST {
            self.h_nfu[j].clock.next = self.clock.val();
            self.h_nfu[j].d.next = self.h_nfu[j].q.val();
            self.h_nbs[j].clock.next = self.clock.val();
            self.h_nbs[j].d.next = self.h_nbs[j].q.val();
        }
        self.imem.read_clock.next = self.clock.val();
        self.imem.write_clock.next = self.clock.val();
        self.imem.write_enable.next = self.imem_we.val();
        self.imem.write_address.next = self.imem_waddr.val();
        self.imem.write_data.next = self.imem_wdata.val();
        self.dec.word.next = self.imem.read_data.val();

        // ---- decode checks (Instruction::decode)
        self.a_nbin.next = self.dec.NBIN_OP.val() != 0;
        self.a_sb.next = self.dec.SB_OP.val() != 0;
        self.a_nbout.next = self.dec.NBOUT_OP.val() != 0;
        self.a_nfu.next = self.dec.NFU_OP.val() != 0;
        self.dec_err.next = self.dec.reserved.val()
            || (bit_cast::<CODEW, CP_OPW>(self.dec.CP_OP.val()) >= self.k_cp_codes.val())
            // NBin / SB: only nop and load
            || (bit_cast::<CODEW, DMA_OPW>(self.dec.NBIN_OP.val()) > self.k_load.val())
            || (bit_cast::<CODEW, DMA_OPW>(self.dec.SB_OP.val()) > self.k_load.val())
            || (bit_cast::<CODEW, DMA_OPW>(self.dec.NBOUT_OP.val()) >= self.k_dma_codes.val())
            || (!self.a_nbin.val()
                && (self.dec.NBIN_WAIT.val().any() || self.dec.NBIN_ROW.val().any() || self.dec.NBIN_DRAM.val().any()
                    || self.dec.NBIN_N0.val().any() || self.dec.NBIN_N1.val().any() || self.dec.NBIN_S1.val().any()
                    || self.dec.NBIN_N2.val().any() || self.dec.NBIN_S2.val().any()))
            || (self.a_nbin.val() && ((self.dec.NBIN_N0.val() == 0) || (self.dec.NBIN_N1.val() == 0) || (self.dec.NBIN_N2.val() == 0)))
            || (!self.a_sb.val()
                && (self.dec.SB_WAIT.val().any() || self.dec.SB_ROW.val().any() || self.dec.SB_DRAM.val().any()
                    || self.dec.SB_N0.val().any() || self.dec.SB_N1.val().any() || self.dec.SB_S1.val().any()
                    || self.dec.SB_N2.val().any() || self.dec.SB_S2.val().any()))
            || (self.a_sb.val() && ((self.dec.SB_N0.val() == 0) || (self.dec.SB_N1.val() == 0) || (self.dec.SB_N2.val() == 0)))
            || (!self.a_nbout.val()
                && (self.dec.NBOUT_WAIT.val().any() || self.dec.NBOUT_ROW.val().any() || self.dec.NBOUT_DRAM.val().any()
                    || self.dec.NBOUT_N0.val().any() || self.dec.NBOUT_N1.val().any() || self.dec.NBOUT_S1.val().any()
                    || self.dec.NBOUT_N2.val().any() || self.dec.NBOUT_S2.val().any()))
            || (self.a_nbout.val() && ((self.dec.NBOUT_N0.val() == 0) || (self.dec.NBOUT_N1.val() == 0) || (self.dec.NBOUT_N2.val() == 0)))
            || (bit_cast::<CODEW, OPW>(self.dec.NFU_OP.val()) >= self.k_nfu_codes.val())
            || (!self.a_nfu.val()
                && (self.dec.NFU_IN.val().any() || self.dec.NFU_OUT.val().any() || self.dec.NFU_ACT.val().any()
                    || self.dec.NFU_ROUND.val().any() || self.dec.NFU_WAIT.val().any() || self.dec.NFU_TR.val().any()
                    || self.dec.NFU_NBIN.val().any() || self.dec.NFU_SB.val().any() || self.dec.NFU_NBOUT.val().any()
                    || self.dec.NFU_NPY.val().any() || self.dec.NFU_SPY.val().any() || self.dec.NFU_NPX.val().any()
                    || self.dec.NFU_SPX.val().any() || self.dec.NFU_NKY.val().any() || self.dec.NFU_SKY.val().any()
                    || self.dec.NFU_NI.val().any() || self.dec.NFU_SCALE.val().any()))
            || (self.a_nfu.val()
                && ((self.dec.NFU_NPY.val() == 0) || (self.dec.NFU_NPX.val() == 0) || (self.dec.NFU_NKY.val() == 0)
                    || (self.dec.NFU_NI.val() == 0)
                    || (bit_cast::<CODEW, INW>(self.dec.NFU_IN.val()) >= self.k_in_codes.val())
                    || (bit_cast::<CODEW, ACTW>(self.dec.NFU_ACT.val()) >= self.k_act_codes.val())
                    || (bit_cast::<CODEW, RNDW>(self.dec.NFU_ROUND.val()) >= self.k_round_codes.val())));

        // ---- range checks (Instruction::check)
        self.chk_nbin.active.next = self.a_nbin.val();
        self.chk_nbin.narrow.next = false;
        self.chk_nbin.row.next = self.dec.NBIN_ROW.val();
        self.chk_nbin.dram.next = self.dec.NBIN_DRAM.val();
        self.chk_nbin.n0.next = self.dec.NBIN_N0.val();
        self.chk_nbin.n1.next = self.dec.NBIN_N1.val();
        self.chk_nbin.s1.next = self.dec.NBIN_S1.val();
        self.chk_nbin.n2.next = self.dec.NBIN_N2.val();
        self.chk_nbin.s2.next = self.dec.NBIN_S2.val();
        self.chk_sb.active.next = self.a_sb.val();
        self.chk_sb.narrow.next = false;
        self.chk_sb.row.next = self.dec.SB_ROW.val();
        self.chk_sb.dram.next = self.dec.SB_DRAM.val();
        self.chk_sb.n0.next = self.dec.SB_N0.val();
        self.chk_sb.n1.next = self.dec.SB_N1.val();
        self.chk_sb.s1.next = self.dec.SB_S1.val();
        self.chk_sb.n2.next = self.dec.SB_N2.val();
        self.chk_sb.s2.next = self.dec.SB_S2.val();
        self.chk_nbout.active.next = self.a_nbout.val();
        self.chk_nbout.narrow.next = (bit_cast::<CODEW, DMA_OPW>(self.dec.NBOUT_OP.val())
            == self.k_loadw.val())
            || (bit_cast::<CODEW, DMA_OPW>(self.dec.NBOUT_OP.val()) == self.k_storen.val());
        self.chk_nbout.row.next = self.dec.NBOUT_ROW.val();
        self.chk_nbout.dram.next = self.dec.NBOUT_DRAM.val();
        self.chk_nbout.n0.next = self.dec.NBOUT_N0.val();
        self.chk_nbout.n1.next = self.dec.NBOUT_N1.val();
        self.chk_nbout.s1.next = self.dec.NBOUT_S1.val();
        self.chk_nbout.n2.next = self.dec.NBOUT_N2.val();
        self.chk_nbout.s2.next = self.dec.NBOUT_S2.val();
        self.chk_nfu.active.next = self.a_nfu.val();
        self.chk_nfu.mac.next = bit_cast::<CODEW, OPW>(self.dec.NFU_OP.val()) == self.k_mac.val();
        self.chk_nfu.bias.next = bit_cast::<CODEW, INW>(self.dec.NFU_IN.val()) == self.k_bias.val();
        self.chk_nfu.nbin.next = self.dec.NFU_NBIN.val();
        self.chk_nfu.sb.next = self.dec.NFU_SB.val();
        self.chk_nfu.nbout.next = self.dec.NFU_NBOUT.val();
        self.chk_nfu.npy.next = self.dec.NFU_NPY.val();
        self.chk_nfu.spy.next = self.dec.NFU_SPY.val();
        self.chk_nfu.npx.next = self.dec.NFU_NPX.val();
        self.chk_nfu.spx.next = self.dec.NFU_SPX.val();
        self.chk_nfu.nky.next = self.dec.NFU_NKY.val();
        self.chk_nfu.sky.next = self.dec.NFU_SKY.val();
        self.chk_nfu.ni.next = self.dec.NFU_NI.val();
        self.rng_err.next = self.chk_nbin.err.val()
            || self.chk_sb.err.val()
            || self.chk_nbout.err.val()
            || self.chk_nfu.err.val();

        // ---- dispatch (the held instruction: no_end, fetch, still in flight, then decode)
        self.valid.next = self.started.q.val() && !self.stop.q.val();
        self.at_end.next = self.pcr.q.val() == self.prog_len.val();
        // pend = prog_base + (pc + 1) * INSTR_BYTES: instruction pc lies outside DRAM, or prog_base is odd
        self.fetch_err.next =
            self.prog_base.val().get_bit(0) || (self.pend.q.val() > self.k_size.val());
        self.nbl.next = (bit_cast::<CODEW, DMA_OPW>(self.dec.NBOUT_OP.val()) == self.k_load.val())
            || (bit_cast::<CODEW, DMA_OPW>(self.dec.NBOUT_OP.val()) == self.k_loadw.val());
        self.nbs.next = (bit_cast::<CODEW, DMA_OPW>(self.dec.NBOUT_OP.val()) == self.k_store.val())
            || (bit_cast::<CODEW, DMA_OPW>(self.dec.NBOUT_OP.val()) == self.k_storen.val());
        self.stall.next = (self.a_nbin.val() && self.full_nbin.val())
            || (self.a_sb.val() && self.full_sb.val())
            || (self.a_nbout.val() && self.full_nbout.val())
            || (self.a_nfu.val() && self.full_nfu.val());
        self.go.next = self.valid.val()
            && !self.at_end.val()
            && !self.fetch_err.val()
            && self.rd_ok.q.val()
            && !self.dec_err.val()
            && !self.rng_err.val()
            && !self.stall.val();
        self.stall_full.next = self.valid.val()
            && !self.at_end.val()
            && !self.fetch_err.val()
            && self.rd_ok.q.val()
            && !self.dec_err.val()
            && !self.rng_err.val()
            && self.stall.val();
        self.stall_fetch.next =
            self.valid.val() && !self.at_end.val() && !self.fetch_err.val() && !self.rd_ok.q.val();

        // cumulative counts including this instruction
        self.p_nfu.next = self.h_nfu[0].q.val();
        if self.a_nfu.val() {
            self.p_nfu.next = self.h_nfu[0].q.val() + 1;
        }
        self.p_nbin.next = self.c_nbin.q.val();
        if self.a_nbin.val() {
            self.p_nbin.next = self.c_nbin.q.val() + 1;
        }
        self.p_sb.next = self.c_sb.q.val();
        if self.a_sb.val() {
            self.p_sb.next = self.c_sb.q.val() + 1;
        }
        self.p_nbl.next = self.c_nbl.q.val();
        if self.nbl.val() {
            self.p_nbl.next = self.c_nbl.q.val() + 1;
        }
        self.p_nbs.next = self.h_nbs[0].q.val();
        if self.nbs.val() {
            self.p_nbs.next = self.h_nbs[0].q.val() + 1;
        }
        // nfu_disp(i - k) for each DMA wait; nbout_store_disp(i - k) for the NFU wait
        self.w_nfu_nbin.next = self.p_nfu.val();
        self.w_nfu_sb.next = self.p_nfu.val();
        self.w_nfu_nbout.next = self.p_nfu.val();
        self.w_nbs.next = self.p_nbs.val();
        for j in 0..HIST {
            if self.dec.NBIN_WAIT.val().index() == j + 1 {
                self.w_nfu_nbin.next = self.h_nfu[j].q.val();
            }
            if self.dec.SB_WAIT.val().index() == j + 1 {
                self.w_nfu_sb.next = self.h_nfu[j].q.val();
            }
            if self.dec.NBOUT_WAIT.val().index() == j + 1 {
                self.w_nfu_nbout.next = self.h_nfu[j].q.val();
            }
            if self.dec.NFU_WAIT.val().index() == j + 1 {
                self.w_nbs.next = self.h_nbs[j].q.val();
            }
        }
        // an NBout load always waits for every earlier NFU op: its wait field is treated as 1
        if self.nbl.val() {
            self.w_nfu_nbout.next = self.h_nfu[0].q.val();
        }
        self.need_nbout.next = self.nbl.val() || self.nbs.val() || self.dec.NBOUT_WAIT.val().any();

        // queue entry (layout crate::widths::dma_entry)
        self.ent_nbin.next = 0.into();
        self.ent_nbin.next.set_value_op(self.dec.NBIN_OP.val());
        self.ent_nbin.next.set_value_row(self.dec.NBIN_ROW.val());
        self.ent_nbin.next.set_value_dram(self.dec.NBIN_DRAM.val());
        self.ent_nbin.next.set_value_n0(self.dec.NBIN_N0.val());
        self.ent_nbin.next.set_value_n1(self.dec.NBIN_N1.val());
        self.ent_nbin.next.set_value_s1(self.dec.NBIN_S1.val());
        self.ent_nbin.next.set_value_n2(self.dec.NBIN_N2.val());
        self.ent_nbin.next.set_value_s2(self.dec.NBIN_S2.val());
        self.ent_nbin
            .next
            .set_value_need(self.dec.NBIN_WAIT.val().any().into());
        self.ent_nbin.next.set_value_req(self.w_nfu_nbin.val());
        self.ent_sb.next = 0.into();
        self.ent_sb.next.set_value_op(self.dec.SB_OP.val());
        self.ent_sb.next.set_value_row(self.dec.SB_ROW.val());
        self.ent_sb.next.set_value_dram(self.dec.SB_DRAM.val());
        self.ent_sb.next.set_value_n0(self.dec.SB_N0.val());
        self.ent_sb.next.set_value_n1(self.dec.SB_N1.val());
        self.ent_sb.next.set_value_s1(self.dec.SB_S1.val());
        self.ent_sb.next.set_value_n2(self.dec.SB_N2.val());
        self.ent_sb.next.set_value_s2(self.dec.SB_S2.val());
        self.ent_sb
            .next
            .set_value_need(self.dec.SB_WAIT.val().any().into());
        self.ent_sb.next.set_value_req(self.w_nfu_sb.val());
        self.ent_nbout.next = 0.into();
        self.ent_nbout.next.set_value_op(self.dec.NBOUT_OP.val());
        self.ent_nbout.next.set_value_row(self.dec.NBOUT_ROW.val());
        self.ent_nbout
            .next
            .set_value_dram(self.dec.NBOUT_DRAM.val());
        self.ent_nbout.next.set_value_n0(self.dec.NBOUT_N0.val());
        self.ent_nbout.next.set_value_n1(self.dec.NBOUT_N1.val());
        self.ent_nbout.next.set_value_s1(self.dec.NBOUT_S1.val());
        self.ent_nbout.next.set_value_n2(self.dec.NBOUT_N2.val());
        self.ent_nbout.next.set_value_s2(self.dec.NBOUT_S2.val());
        self.ent_nbout
            .next
            .set_value_need(self.need_nbout.val().into());
        self.ent_nbout.next.set_value_req(self.w_nfu_nbout.val());
        // queue entry (layout crate::widths::nfu_entry)
        self.ent_nfu.next = 0.into();
        self.ent_nfu.next.set_value_op(self.dec.NFU_OP.val());
        self.ent_nfu.next.set_value_acc_in(self.dec.NFU_IN.val());
        self.ent_nfu.next.set_value_out(self.dec.NFU_OUT.val());
        self.ent_nfu.next.set_value_act(self.dec.NFU_ACT.val());
        self.ent_nfu.next.set_value_round(self.dec.NFU_ROUND.val());
        self.ent_nfu.next.set_value_tr(self.dec.NFU_TR.val());
        self.ent_nfu.next.set_value_nbin(self.dec.NFU_NBIN.val());
        self.ent_nfu.next.set_value_sb(self.dec.NFU_SB.val());
        self.ent_nfu.next.set_value_nbout(self.dec.NFU_NBOUT.val());
        self.ent_nfu.next.set_value_npy(self.dec.NFU_NPY.val());
        self.ent_nfu.next.set_value_spy(self.dec.NFU_SPY.val());
        self.ent_nfu.next.set_value_npx(self.dec.NFU_NPX.val());
        self.ent_nfu.next.set_value_spx(self.dec.NFU_SPX.val());
        self.ent_nfu.next.set_value_nky(self.dec.NFU_NKY.val());
        self.ent_nfu.next.set_value_sky(self.dec.NFU_SKY.val());
        self.ent_nfu.next.set_value_ni(self.dec.NFU_NI.val());
        self.ent_nfu.next.set_value_scale(self.dec.NFU_SCALE.val());
        self.ent_nfu.next.set_value_req_nbin(self.p_nbin.val());
        self.ent_nfu.next.set_value_req_sb(self.p_sb.val());
        self.ent_nfu.next.set_value_req_nbl(self.p_nbl.val());
        self.ent_nfu
            .next
            .set_value_need_st(self.dec.NFU_WAIT.val().any().into());
        self.ent_nfu.next.set_value_req_st(self.w_nbs.val());
        self.ent_nfu.next.set_value_seq(self.pcr.q.val());

        self.push_nbin.next = self.go.val() && self.a_nbin.val();
        self.push_sb.next = self.go.val() && self.a_sb.val();
        self.push_nbout.next = self.go.val() && self.a_nbout.val();
        self.push_nfu.next = self.go.val() && self.a_nfu.val();

        // ---- state update
        // start once the first fetch window has landed; the start cycle reads imem[0]
        self.started.d.next = self.started.q.val() || self.fetch_idle.val();
        self.raddr.next = 0.into();
        if self.started.q.val() {
            self.raddr.next = self.pcr.q.val();
        }
        if self.go.val() {
            self.raddr.next = self.pcr.q.val() + 1;
            self.pcr.d.next = self.pcr.q.val() + 1;
            self.pend.d.next = self.pend.q.val() + self.k_ib.val();
            self.c_nbin.d.next = self.p_nbin.val();
            self.c_sb.d.next = self.p_sb.val();
            self.c_nbl.d.next = self.p_nbl.val();
            self.h_nfu[0].d.next = self.p_nfu.val();
            self.h_nbs[0].d.next = self.p_nbs.val();
            for j in 1..HIST {
                self.h_nfu[j].d.next = self.h_nfu[j - 1].q.val();
                self.h_nbs[j].d.next = self.h_nbs[j - 1].q.val();
            }
            // isa: end (stop fetching)
            if bit_cast::<CODEW, CP_OPW>(self.dec.CP_OP.val()) == self.k_end.val() {
                self.stop.d.next = true;
            }
        }
        // the word read this cycle is valid next cycle if its instruction has landed
        self.imem.read_address.next = self.raddr.val().get_bits::<IA>(0);
        self.rd_ok.d.next = self.raddr.val() < self.arrived.val();
        if self.valid.val() && self.at_end.val() {
            self.stop.d.next = true;
            self.ecls.d.next = self.k_err_no_end.val();
            self.eidx.d.next = self.pcr.q.val();
        } else if self.valid.val() && self.fetch_err.val() {
            self.stop.d.next = true;
            self.ecls.d.next = self.k_err_fetch.val();
            self.eidx.d.next = self.pcr.q.val();
        } else if self.valid.val() && self.rd_ok.q.val() && self.dec_err.val() {
            self.stop.d.next = true;
            self.ecls.d.next = self.k_err_decode.val();
            self.eidx.d.next = self.pcr.q.val();
        } else if self.valid.val() && self.rd_ok.q.val() && self.rng_err.val() {
            self.stop.d.next = true;
            self.ecls.d.next = self.k_err_range.val();
            self.eidx.d.next = self.pcr.q.val();
        }
        if self.clr.val() {
            self.started.d.next = false;
            self.stop.d.next = false;
            self.pcr.d.next = 0.into();
            self.ecls.d.next = 0.into();
            self.eidx.d.next = 0.into();
            self.rd_ok.d.next = false;
            self.pend.d.next = bit_cast::<FEW, DAW>(self.prog_base.val()) + self.k_ib.val();
            self.c_nbin.d.next = 0.into();
            self.c_sb.d.next = 0.into();
            self.c_nbl.d.next = 0.into();
            for j in 0..HIST {
                self.h_nfu[j].d.next = 0.into();
                self.h_nbs[j].d.next = 0.into();
            }
        }
        self.stopped.next = self.stop.q.val();
        self.err_class.next = self.ecls.q.val();
        self.err_index.next = self.eidx.q.val();
        self.pc.next = self.pcr.q.val();
        self.dispatch.next = self.go.val();
    }
}
