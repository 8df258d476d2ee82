//! Every width, bit offset and encoding the RTL uses, derived from `arch`.
//!
//! rust-hdl needs widths at compile time (const generics), so the values arch
//! defines as `u32` constants (`arch::isa::fields`, `arch::config`) are
//! re-exported here as `usize`, with a named `Bits` alias for each kind of
//! value. Nothing is written by hand: where the hardware picks a width of its
//! own (a dependency counter, a program counter), it is a named constant next
//! to a compile-time assertion that it holds every value arch allows.
//!
//! Queue entries and memory-port tags are packed and unpacked from field
//! tables ([`dma_entry`], [`nfu_entry`], [`tag`], [`axi_cmd`]), like the ISA's: each table
//! lists (name, width) least-significant first, the offsets are sums of the
//! widths before, and a trait per table ([`DmaEntryFields`], [`NfuEntryFields`],
//! [`TagFields`], [`AxiCmdFields`]) gives `x.get_value_<name>()` / `x.set_value_<name>(v)`.
//! rust-hdl's `#[hdl_gen]` translates those calls (its `LogicStruct`
//! convention) into Verilog part-selects whose offset is evaluated in Rust and
//! emitted as a literal, so the offsets never appear as undeclared
//! identifiers (the sixth silently-wrong construct of rust-hdl 0.46: a Rust
//! `const` used in `update` is emitted as an undeclared name).

use arch::activation::{Activation, SEGMENTS};
use arch::fixed::{Rounding, AVG_SCALE_SHIFT};
use arch::isa::fields as F;
use arch::isa::{AccIn, CpOp, DmaOp, NfuOp};
use rust_hdl::prelude::*;

// ---------------------------------------------------------------- data path

/// Data word width in bits (`arch::config::DATA_BITS`).
pub const DW: usize = arch::config::DATA_BITS as usize;
/// Accumulator / NBout entry width in bits (`arch::config::ACC_BITS`).
pub const AW: usize = arch::config::ACC_BITS as usize;
/// Scratch width of NFU-3's conversion arithmetic, bits (holds acc * scale exactly).
pub const XW: usize = 2 * AW;
/// Bits of a segment index (log2 of `arch::activation::SEGMENTS`).
pub const SEGW: usize = SEGMENTS.trailing_zeros() as usize;
/// NFU-3 ROM address width: activation selector then segment index.
pub const ROMW: usize = ACTW + SEGW;
/// Width of the per-cycle saturation count (counts up to `arch::config::MAX_TN` lanes).
pub const SATW: usize = (arch::config::MAX_TN.ilog2() + 1) as usize;
/// Width of the small shift-amount / offset constants used inside blocks.
pub const KW: usize = 32;

// ---------------------------------------------------------------- ISA fields

/// Instruction word width, bits (`arch::isa::fields::INSTR_BITS`).
pub const IB: usize = F::INSTR_BITS as usize;
/// Reserved bits above the last field of the instruction word.
pub const RES: usize = (F::INSTR_BITS - F::USED_BITS) as usize;
/// Control-processor opcode field width, bits.
pub const CP_OPW: usize = F::CP_OP_BITS as usize;
/// DMA opcode field width, bits.
pub const DMA_OPW: usize = F::DMA_OP_BITS as usize;
/// `wait` field width, bits.
pub const WAITW: usize = F::WAIT_BITS as usize;
/// Buffer row address width, bits (NBin, SB, NBout rows).
pub const ROWW: usize = F::ROW_BITS as usize;
/// Loop count / in-buffer stride width, bits.
pub const CNTW: usize = F::COUNT_BITS as usize;
/// DRAM byte address width, bits.
pub const DAW: usize = F::DRAM_ADDR_BITS as usize;
/// DRAM stride width, bits.
pub const DSW: usize = F::DRAM_STRIDE_BITS as usize;
/// NFU opcode field width, bits.
pub const OPW: usize = F::NFU_OP_BITS as usize;
/// Accumulator-init selector width, bits.
pub const INW: usize = F::ACC_IN_BITS as usize;
/// Activation selector width, bits.
pub const ACTW: usize = F::ACT_BITS as usize;
/// Rounding selector width, bits.
pub const RNDW: usize = F::ROUND_BITS as usize;
/// Average-pool scale width, bits.
pub const SCW: usize = F::SCALE_BITS as usize;
/// Entries of the control processor's `wait` history (the largest wait distance).
pub const HIST: usize = (1usize << WAITW) - 1;

// ---------------------------------------------------------------- hardware choices

/// Width of the dependency counters (dispatch and completion counts, compared
/// modulo 2^CNT_BITS: a difference's top bit is its sign).
pub const CNT_BITS: usize = 16;
/// Width of an instruction index / program length (`cp.pc`, `err_index`,
/// `prog_len`): every instruction of a program that fits in a 2^32-byte DRAM.
pub const PCW: usize = 32;
/// Width of the error class (0 none, 1 decode, 2 range, 3 no_end, 4 fetch).
pub const ERRW: usize = 3;
/// Width of a beat count of one row, and of a 16-bit-word count of one beat.
pub const BEATW: usize = 16;
/// Width of a queue's entry count.
pub const QCW: usize = 8;
/// Width of the code constants a decoded field is compared with (fields are
/// zero-extended to this width first).
pub const CODEW: usize = 8;
/// Operand width of rust-hdl's one correct multiplier (16 x 16 -> 32).
pub const MULW: usize = 16;
/// Product width of that multiplier.
pub const PRODW: usize = 2 * MULW;
/// Width of the DRAM end address computed by the range check (address + stride products).
pub const DENDW: usize = DAW + MULW;
/// Width of the bit-offset constants the instruction decoder slices with.
pub const OFFW: usize = 16;
/// Width of a DMA's transfer-row index (`dma_*.row` in the trace).
pub const XFERW: usize = 16;
/// Width of the NFU sequencer's count of ops in flight (at most D + 1: an op
/// starts at the earliest the cycle after the previous op's last issue and
/// completes D cycles after its own last issue).
pub const LATW: usize = 8;
/// Width of an event counter (`arch::regmap::COUNTER_BYTES`: 64 bits, so
/// `macs`, the DRAM bytes and `cycles` of long runs do not wrap).
pub const CTRW: usize = 8 * arch::regmap::COUNTER_BYTES as usize;
/// Width of the cycle counter (the `cycles` event counter).
pub const CYCW: usize = CTRW;
/// Width of one event's per-cycle increment (layout [`event_inc`]).
pub const INCW: usize = 16;
/// Width of a counter index (the counter bank's read select).
pub const EVSELW: usize = 5;
/// Width of the memory-port tag (the DRAM model and the AXI master carry 32 bits).
pub const TAG_BITS: usize = 32;
/// Width of the owner field of a tag (1 nbin, 2 sb, 3 nbout, 4 fetch).
pub const OWNERW: usize = 3;
/// Unused top bits of the tag.
pub const TAG_PAD: usize = TAG_BITS - (OWNERW + 4 + ROWW);
/// Width of a slot of the NFU sequencer's write pipe: NBout row (bits
/// `[0, ROWW)`), a valid bit ([`WP_VALID`]) and the op's-last-output bit
/// ([`WP_LAST`]) on top.
pub const WPW: usize = ROWW + 2;
/// Bit of a write-pipe slot: the slot holds an output.
pub const WP_VALID: usize = ROWW;
/// Bit of a write-pipe slot: the output is its op's last (the op completes when it is written).
pub const WP_LAST: usize = ROWW + 1;

/// Error class: none.
pub const ERR_NONE: u64 = 0;
/// Error class: the instruction does not decode (`Instruction::decode` fails).
pub const ERR_DECODE: u64 = 1;
/// Error class: the instruction is out of range (`Instruction::check` fails).
pub const ERR_RANGE: u64 = 2;
/// Error class: the program ends without `end`.
pub const ERR_NO_END: u64 = 3;
/// Error class: the instruction cannot be fetched (outside DRAM, or `prog_base` odd).
pub const ERR_FETCH: u64 = 4;
/// Owner code of the NBin DMA on the memory port (also `port.grant`).
pub const OWNER_NBIN: u64 = 1;
/// Owner code of the SB DMA.
pub const OWNER_SB: u64 = 2;
/// Owner code of the NBout DMA.
pub const OWNER_NBOUT: u64 = 3;
/// Owner code of the instruction fetch unit.
pub const OWNER_FETCH: u64 = 4;

/// Stochastic-rounding LFSR state and seed width, bits (`arch::fixed::Lfsr`
/// holds a `u32`).
pub const SEEDW: usize = u32::BITS as usize;
const _: () = assert!(
    SEEDW == AW,
    "NFU-3 keeps LFSR states in accumulator-wide words"
);
/// Stochastic-rounding seed of a run.
pub type Seed = Bits<SEEDW>;

/// Instruction word.
pub type Instr = Bits<IB>;
/// Buffer row address.
pub type Row = Bits<ROWW>;
/// Loop count or in-buffer stride.
pub type Count = Bits<CNTW>;
/// DRAM byte address.
pub type DramAddr = Bits<DAW>;
/// DRAM stride, bytes.
pub type DramStride = Bits<DSW>;
/// DMA opcode.
pub type DmaOpBits = Bits<DMA_OPW>;
/// Dependency counter.
pub type Cnt = Bits<CNT_BITS>;
/// Instruction index.
pub type Pc = Bits<PCW>;
/// Error class.
pub type ErrClass = Bits<ERRW>;
/// Beat / word count.
pub type Beats = Bits<BEATW>;
/// Memory-port tag.
pub type Tag = Bits<TAG_BITS>;
/// A code constant (see [`CODEW`]).
pub type Code = Bits<CODEW>;

const _: () = assert!(SEGMENTS.is_power_of_two());
const _: () = assert!(AVG_SCALE_SHIFT as usize + DW < XW);
const _: () = assert!(SCW == DW, "avg scale multiply uses 16x16 multipliers");
const _: () = assert!(
    CNTW <= MULW && ROWW <= MULW,
    "counts are multiplied by 16x16 multipliers"
);
const _: () = assert!(
    DSW == 2 * MULW,
    "strides are multiplied in two 16-bit halves"
);
const _: () = assert!(PRODW <= DAW, "products fit the 32-bit address arithmetic");
const _: () = assert!(CNT_BITS == 16, "modular compares test bit 15");
const _: () = assert!(
    (1usize << (CNT_BITS - 1)) > 2 * arch::config::MAX_QUEUE_DEPTH as usize + HIST + 2,
    "outstanding ops must stay below half the counter range"
);
const _: () = assert!(
    (1usize << PCW) > (1usize << F::COUNT_BITS),
    "PCW holds every imem index (imem_depth <= 2^COUNT_BITS)"
);
const _: () = assert!(
    (1u64 << PCW) * arch::isa::fields::INSTR_BYTES as u64 >= 1u64 << DAW,
    "PCW indexes every instruction of a program filling the DRAM address space"
);
const _: () = assert!((OWNER_FETCH as usize) < (1usize << OWNERW));
const _: () = assert!((arch::config::MAX_QUEUE_DEPTH as usize) < (1usize << QCW));
const _: () = assert!(
    DmaOp::ALL.len() < (1 << CODEW)
        && NfuOp::ALL.len() < (1 << CODEW)
        && CpOp::ALL.len() < (1 << CODEW)
        && AccIn::ALL.len() < (1 << CODEW)
        && Activation::ALL.len() < (1 << CODEW)
        && Rounding::ALL.len() < (1 << CODEW)
);
const _: () = assert!(
    CP_OPW <= CODEW
        && DMA_OPW <= CODEW
        && OPW <= CODEW
        && INW <= CODEW
        && ACTW <= CODEW
        && RNDW <= CODEW
);
const _: () = assert!(ERR_NO_END < (1 << ERRW));
const _: () = assert!(IB < (1usize << OFFW));
const _: () = assert!(
    ((3 * arch::config::MAX_STAGE_DEPTH + 2) as usize) < (1usize << LATW),
    "the NFU ops in flight (at most D + 1) fit their count"
);
const _: () = assert!(
    ((3 * arch::config::MAX_STAGE_DEPTH + 1) as usize) < (1usize << ROWW),
    "the NFU latency D fits a row difference (overlap rule, nfu_seq)"
);
const _: () = assert!(OWNER_NBOUT < (1 << OWNERW));
const _: () = assert!(
    arch::events::NUM_EVENTS <= 1 << EVSELW,
    "EVSELW indexes every event counter"
);
const _: () = assert!(
    2 * (arch::config::MAX_TN as usize) * (arch::config::MAX_TN as usize) < (1 << INCW)
        && arch::isa::fields::INSTR_BYTES < (1 << INCW),
    "INCW holds the largest per-cycle increment (an SB row's bytes, 2 * Tn^2; Tn^2 MACs)"
);

// ---------------------------------------------------------------- encodings

fn pos<T: PartialEq>(all: &[T], x: T) -> u64 {
    all.iter().position(|a| *a == x).expect("listed") as u64
}
/// Encoding of an NFU opcode (its index in `NfuOp::ALL`).
pub fn op_code(op: NfuOp) -> u64 {
    pos(&NfuOp::ALL, op)
}
/// Encoding of a DMA opcode (its index in `DmaOp::ALL`).
pub fn dma_op_code(op: DmaOp) -> u64 {
    pos(&DmaOp::ALL, op)
}
/// Encoding of a control-processor opcode (its index in `CpOp::ALL`).
pub fn cp_op_code(op: CpOp) -> u64 {
    pos(&CpOp::ALL, op)
}
/// Encoding of an accumulator-init selector (index in `AccIn::ALL`).
pub fn acc_in_code(a: AccIn) -> u64 {
    pos(&AccIn::ALL, a)
}
/// Encoding of a rounding mode (index in `Rounding::ALL`).
pub fn round_code(r: Rounding) -> u64 {
    pos(&Rounding::ALL, r)
}
/// Encoding of an activation function (index in `Activation::ALL`).
pub fn act_code(a: Activation) -> u64 {
    pos(&Activation::ALL, a)
}

// ---------------------------------------------------------------- field tables

/// Defines a packed layout: a module with the table (name, width, meaning),
/// `lsb`/`width` const fns, the total width as `$bits`, and a trait `$tr`
/// implemented for `Bits<$bits>` with rust-hdl's `get_value_<f>` /
/// `set_value_<f>` / `get_my_width_<f>` / `get_my_offset_<f>` accessors.
macro_rules! entry_layout {
    ($module:ident, $tr:ident, $bits:ident;
     $( $f:ident [$get:ident $set:ident $gw:ident $go:ident] : $w:expr; $doc:literal ),* $(,)?) => {
        /// A packed layout (see the module docs of [`crate::widths`]).
        pub mod $module {
            #[allow(unused_imports)]
            use super::*;
            /// Index of every field in [`FIELDS`].
            #[allow(non_camel_case_types, missing_docs)]
            #[derive(Clone, Copy, Debug, PartialEq, Eq)]
            #[repr(usize)]
            pub enum Field { $( $f ),* }
            /// Every field as (name, width in bits, meaning), least-significant first.
            pub const FIELDS: &[(&str, usize, &str)] = &[ $( (stringify!($f), $w, $doc) ),* ];
            /// Least-significant bit of the field at table index `idx`.
            pub const fn lsb_at(idx: usize) -> usize {
                let mut s = 0;
                let mut i = 0;
                while i < idx {
                    s += FIELDS[i].1;
                    i += 1;
                }
                s
            }
            /// Least-significant bit of field `f`.
            pub const fn lsb(f: Field) -> usize {
                lsb_at(f as usize)
            }
            /// Width of field `f` in bits.
            pub const fn width(f: Field) -> usize {
                FIELDS[f as usize].1
            }
            /// Total width in bits.
            pub const BITS: usize = lsb_at(FIELDS.len());
        }
        /// Total width of the layout, bits.
        pub const $bits: usize = $module::BITS;
        /// Named access to the fields of a packed value (offsets from the table).
        pub trait $tr {
            $(
                #[doc = concat!("Field `", stringify!($f), "`: ", $doc, ".")]
                fn $get(&self) -> Bits<{ $w }>;
                #[doc = concat!("Replace field `", stringify!($f), "`.")]
                fn $set(&mut self, v: Bits<{ $w }>);
                #[doc = concat!("Width of field `", stringify!($f), "` (used by `#[hdl_gen]`).")]
                fn $gw(&self) -> usize;
                #[doc = concat!("Offset of field `", stringify!($f), "` (used by `#[hdl_gen]`).")]
                fn $go(&self) -> usize;
            )*
        }
        impl $tr for Bits<$bits> {
            $(
                fn $get(&self) -> Bits<{ $w }> {
                    self.get_bits::<{ $w }>($module::lsb($module::Field::$f))
                }
                fn $set(&mut self, v: Bits<{ $w }>) {
                    self.set_bits::<{ $w }>($module::lsb($module::Field::$f), v)
                }
                fn $gw(&self) -> usize {
                    $w
                }
                fn $go(&self) -> usize {
                    $module::lsb($module::Field::$f)
                }
            )*
        }
    };
}

entry_layout! {
    dma_entry, DmaEntryFields, DMA_ENTRY_BITS;
    op [get_value_op set_value_op get_my_width_op get_my_offset_op] : DMA_OPW; "DMA operation (`arch::isa::DmaOp` encoding)",
    row [get_value_row set_value_row get_my_width_row get_my_offset_row] : ROWW; "first buffer row",
    dram [get_value_dram set_value_dram get_my_width_dram get_my_offset_dram] : DAW; "DRAM byte address of the first row",
    n0 [get_value_n0 set_value_n0 get_my_width_n0 get_my_offset_n0] : CNTW; "rows per contiguous run",
    n1 [get_value_n1 set_value_n1 get_my_width_n1 get_my_offset_n1] : CNTW; "middle-loop count",
    s1 [get_value_s1 set_value_s1 get_my_width_s1 get_my_offset_s1] : DSW; "middle-loop DRAM stride, bytes",
    n2 [get_value_n2 set_value_n2 get_my_width_n2 get_my_offset_n2] : CNTW; "outer-loop count",
    s2 [get_value_s2 set_value_s2 get_my_width_s2 get_my_offset_s2] : DSW; "outer-loop DRAM stride, bytes",
    need [get_value_need set_value_need get_my_width_need get_my_offset_need] : 1; "the slot waits for the NFU (`wait` != 0, or an NBout load/store)",
    req [get_value_req set_value_req get_my_width_req get_my_offset_req] : CNT_BITS; "NFU ops that must be complete before the slot starts (modulo 2^CNT_BITS)",
}

entry_layout! {
    nfu_entry, NfuEntryFields, NFU_ENTRY_BITS;
    op [get_value_op set_value_op get_my_width_op get_my_offset_op] : OPW; "NFU operation (`arch::isa::NfuOp` encoding)",
    acc_in [get_value_acc_in set_value_acc_in get_my_width_acc_in get_my_offset_acc_in] : INW; "accumulator init (`arch::isa::AccIn` encoding)",
    out [get_value_out set_value_out get_my_width_out get_my_offset_out] : 1; "1 = convert and activate, 0 = write the raw accumulator",
    act [get_value_act set_value_act get_my_width_act get_my_offset_act] : ACTW; "activation (`arch::activation::Activation` encoding)",
    round [get_value_round set_value_round get_my_width_round get_my_offset_round] : RNDW; "rounding (`arch::fixed::Rounding` encoding)",
    tr [get_value_tr set_value_tr get_my_width_tr get_my_offset_tr] : 1; "read SB rows transposed",
    nbin [get_value_nbin set_value_nbin get_my_width_nbin get_my_offset_nbin] : ROWW; "NBin base row",
    sb [get_value_sb set_value_sb get_my_width_sb get_my_offset_sb] : ROWW; "SB base row",
    nbout [get_value_nbout set_value_nbout get_my_width_nbout get_my_offset_nbout] : ROWW; "NBout row of the first output",
    npy [get_value_npy set_value_npy get_my_width_npy get_my_offset_npy] : CNTW; "outer output count",
    spy [get_value_spy set_value_spy get_my_width_spy get_my_offset_spy] : CNTW; "NBin rows between outer outputs",
    npx [get_value_npx set_value_npx get_my_width_npx get_my_offset_npx] : CNTW; "inner output count",
    spx [get_value_spx set_value_spx get_my_width_spx get_my_offset_spx] : CNTW; "NBin rows between inner outputs",
    nky [get_value_nky set_value_nky get_my_width_nky get_my_offset_nky] : CNTW; "outer reduction count",
    sky [get_value_sky set_value_sky get_my_width_sky get_my_offset_sky] : CNTW; "NBin rows between outer reduction steps",
    ni [get_value_ni set_value_ni get_my_width_ni get_my_offset_ni] : CNTW; "inner reduction count",
    scale [get_value_scale set_value_scale get_my_width_scale get_my_offset_scale] : SCW; "average-pool scale, Q1.15",
    req_nbin [get_value_req_nbin set_value_req_nbin get_my_width_req_nbin get_my_offset_req_nbin] : CNT_BITS; "NBin loads that must be done before the op starts",
    req_sb [get_value_req_sb set_value_req_sb get_my_width_req_sb get_my_offset_req_sb] : CNT_BITS; "SB loads that must be done before the op starts",
    req_nbl [get_value_req_nbl set_value_req_nbl get_my_width_req_nbl get_my_offset_req_nbl] : CNT_BITS; "NBout loads that must be done before the op starts",
    need_st [get_value_need_st set_value_need_st get_my_width_need_st get_my_offset_need_st] : 1; "the op waits for an NBout store (`wait` != 0)",
    req_st [get_value_req_st set_value_req_st get_my_width_req_st get_my_offset_req_st] : CNT_BITS; "NBout stores that must be done before the op starts (when `need_st`)",
    seq [get_value_seq set_value_seq get_my_width_seq get_my_offset_seq] : PCW; "instruction index of the op (`nfu.seq` in the trace)",
}

entry_layout! {
    tag, TagFields, TAG_LAYOUT_BITS;
    owner [get_value_owner set_value_owner get_my_width_owner get_my_offset_owner] : OWNERW; "port owner: 1 nbin, 2 sb, 3 nbout (set by the port)",
    write [get_value_write set_value_write get_my_width_write get_my_offset_write] : 1; "store beat (else load)",
    last_beat [get_value_last_beat set_value_last_beat get_my_width_last_beat get_my_offset_last_beat] : 1; "last beat of the row (set by the port)",
    last_row [get_value_last_row set_value_last_row get_my_width_last_row get_my_offset_last_row] : 1; "last row of the DMA slot",
    narrow [get_value_narrow set_value_narrow get_my_width_narrow get_my_offset_narrow] : 1; "`loadw` / `storen` row (16-bit words in DRAM)",
    row [get_value_row set_value_row get_my_width_row get_my_offset_row] : ROWW; "buffer row of the beat",
    pad [get_value_pad set_value_pad get_my_width_pad get_my_offset_pad] : TAG_PAD; "unused, zero",
}

entry_layout! {
    axi_cmd, AxiCmdFields, AXI_CMD_BITS;
    write [get_value_write set_value_write get_my_width_write get_my_offset_write] : 1; "store beat (else load)",
    words [get_value_words set_value_words get_my_width_words get_my_offset_words] : BEATW; "16-bit words of the beat that belong to the row",
    addr [get_value_addr set_value_addr get_my_width_addr get_my_offset_addr] : DAW; "beat byte address (core address space)",
    tag [get_value_tag set_value_tag get_my_width_tag get_my_offset_tag] : TAG_BITS; "the core's beat tag (layout [`tag`])",
}

/// Width of the AXI master's row counters (beats, transfers, bytes, offsets), bits.
pub const AXW: usize = 16;
/// Width of the AXI master's core-cycle stamp (due times compare modulo 2^DUEW), bits.
pub const DUEW: usize = 16;

entry_layout! {
    axi_due, AxiDueFields, AXI_DUE_BITS;
    tag [get_value_tag set_value_tag get_my_width_tag get_my_offset_tag] : TAG_BITS; "the core's beat tag (layout [`tag`])",
    write [get_value_write set_value_write get_my_width_write get_my_offset_write] : 1; "store beat (answered without data)",
    due [get_value_due set_value_due get_my_width_due get_my_offset_due] : DUEW; "core cycle, modulo 2^DUEW, in which the beat is answered",
}

entry_layout! {
    axi_rrow, AxiRrowFields, AXI_RROW_BITS;
    off [get_value_off set_value_off get_my_width_off get_my_offset_off] : AXW; "row address modulo the bus bytes",
    beats [get_value_beats set_value_beats get_my_width_beats get_my_offset_beats] : AXW; "core beats of the row",
    xfers [get_value_xfers set_value_xfers get_my_width_xfers get_my_offset_xfers] : AXW; "AXI transfers of the row",
    owner [get_value_owner set_value_owner get_my_width_owner get_my_offset_owner] : OWNERW; "port owner of the row (layout [`tag`])",
}

entry_layout! {
    axi_wrow, AxiWrowFields, AXI_WROW_BITS;
    off [get_value_off set_value_off get_my_width_off get_my_offset_off] : AXW; "row address modulo the bus bytes",
    bytes [get_value_bytes set_value_bytes get_my_width_bytes get_my_offset_bytes] : AXW; "bytes of the row",
    beats [get_value_beats set_value_beats get_my_width_beats get_my_offset_beats] : AXW; "core beats of the row",
    xfers [get_value_xfers set_value_xfers get_my_width_xfers get_my_offset_xfers] : AXW; "AXI transfers of the row",
    page [get_value_page set_value_page get_my_width_page get_my_offset_page] : 12; "first transfer's address modulo 4096",
}

entry_layout! {
    event_inc, EventIncFields, EVENT_INC_BITS;
    cycles [get_value_cycles set_value_cycles get_my_width_cycles get_my_offset_cycles] : INCW; "`cycles`",
    instructions [get_value_instructions set_value_instructions get_my_width_instructions get_my_offset_instructions] : INCW; "`instructions`",
    cp_stall_queue_full [get_value_cp_stall_queue_full set_value_cp_stall_queue_full get_my_width_cp_stall_queue_full get_my_offset_cp_stall_queue_full] : INCW; "`cp_stall_queue_full`",
    nfu_busy [get_value_nfu_busy set_value_nfu_busy get_my_width_nfu_busy get_my_offset_nfu_busy] : INCW; "`nfu_busy`",
    nfu_stall_load [get_value_nfu_stall_load set_value_nfu_stall_load get_my_width_nfu_stall_load get_my_offset_nfu_stall_load] : INCW; "`nfu_stall_load`",
    nfu_stall_store [get_value_nfu_stall_store set_value_nfu_stall_store get_my_width_nfu_stall_store get_my_offset_nfu_stall_store] : INCW; "`nfu_stall_store`",
    nfu_stall_drain [get_value_nfu_stall_drain set_value_nfu_stall_drain get_my_width_nfu_stall_drain get_my_offset_nfu_stall_drain] : INCW; "`nfu_stall_drain`",
    macs [get_value_macs set_value_macs get_my_width_macs get_my_offset_macs] : INCW; "`macs`",
    nfu2_ops [get_value_nfu2_ops set_value_nfu2_ops get_my_width_nfu2_ops get_my_offset_nfu2_ops] : INCW; "`nfu2_ops`",
    nfu3_ops [get_value_nfu3_ops set_value_nfu3_ops get_my_width_nfu3_ops get_my_offset_nfu3_ops] : INCW; "`nfu3_ops`",
    saturations [get_value_saturations set_value_saturations get_my_width_saturations get_my_offset_saturations] : INCW; "`saturations`",
    nbin_reads [get_value_nbin_reads set_value_nbin_reads get_my_width_nbin_reads get_my_offset_nbin_reads] : INCW; "`nbin_reads`",
    nbin_writes [get_value_nbin_writes set_value_nbin_writes get_my_width_nbin_writes get_my_offset_nbin_writes] : INCW; "`nbin_writes`",
    sb_reads [get_value_sb_reads set_value_sb_reads get_my_width_sb_reads get_my_offset_sb_reads] : INCW; "`sb_reads`",
    sb_writes [get_value_sb_writes set_value_sb_writes get_my_width_sb_writes get_my_offset_sb_writes] : INCW; "`sb_writes`",
    nbout_reads [get_value_nbout_reads set_value_nbout_reads get_my_width_nbout_reads get_my_offset_nbout_reads] : INCW; "`nbout_reads`",
    nbout_writes [get_value_nbout_writes set_value_nbout_writes get_my_width_nbout_writes get_my_offset_nbout_writes] : INCW; "`nbout_writes`",
    dram_read_bytes [get_value_dram_read_bytes set_value_dram_read_bytes get_my_width_dram_read_bytes get_my_offset_dram_read_bytes] : INCW; "`dram_read_bytes`",
    dram_write_bytes [get_value_dram_write_bytes set_value_dram_write_bytes get_my_width_dram_write_bytes get_my_offset_dram_write_bytes] : INCW; "`dram_write_bytes`",
    port_busy [get_value_port_busy set_value_port_busy get_my_width_port_busy get_my_offset_port_busy] : INCW; "`port_busy`",
    dma_stall_port [get_value_dma_stall_port set_value_dma_stall_port get_my_width_dma_stall_port get_my_offset_dma_stall_port] : INCW; "`dma_stall_port`",
    dma_stall_wait [get_value_dma_stall_wait set_value_dma_stall_wait get_my_width_dma_stall_wait get_my_offset_dma_stall_wait] : INCW; "`dma_stall_wait`",
    cp_stall_fetch [get_value_cp_stall_fetch set_value_cp_stall_fetch get_my_width_cp_stall_fetch get_my_offset_cp_stall_fetch] : INCW; "`cp_stall_fetch`",
    instr_fetches [get_value_instr_fetches set_value_instr_fetches get_my_width_instr_fetches get_my_offset_instr_fetches] : INCW; "`instr_fetches`",
}

/// True if `a` and `b` are the same string (usable in constant assertions).
const fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// True if field i of [`event_inc`] is named after `Event::ALL[i]`, for every i.
const fn event_inc_matches_events() -> bool {
    let ev = arch::events::Event::ALL;
    if event_inc::FIELDS.len() != ev.len() {
        return false;
    }
    let mut i = 0;
    while i < ev.len() {
        if !same_name(event_inc::FIELDS[i].0, ev[i].name()) {
            return false;
        }
        i += 1;
    }
    true
}

const _: () = assert!(
    event_inc_matches_events(),
    "event_inc lists the events of arch::events::Event::ALL, in its order"
);
const _: () = assert!(EVENT_INC_BITS == arch::events::NUM_EVENTS * INCW);
const _: () = assert!(TAG_LAYOUT_BITS == TAG_BITS, "the tag table fills the tag");
const _: () = assert!(dma_entry::width(dma_entry::Field::row) == ROWW);
const _: () = assert!(nfu_entry::width(nfu_entry::Field::seq) == PCW);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_tile_their_width() {
        for t in [dma_entry::FIELDS, nfu_entry::FIELDS, tag::FIELDS] {
            assert!(t.iter().all(|f| f.1 > 0));
        }
        assert_eq!(
            dma_entry::lsb(dma_entry::Field::req) + CNT_BITS,
            DMA_ENTRY_BITS
        );
        assert_eq!(nfu_entry::lsb(nfu_entry::Field::seq) + PCW, NFU_ENTRY_BITS);
    }

    #[test]
    fn event_inc_is_the_event_list() {
        for (i, e) in arch::events::Event::ALL.iter().enumerate() {
            assert_eq!(event_inc::FIELDS[i].0, e.name());
            assert_eq!(event_inc::lsb_at(i), i * INCW);
        }
    }

    #[test]
    fn accessors_round_trip() {
        let mut e = Bits::<DMA_ENTRY_BITS>::default();
        e.set_value_dram(0xdead_beef.into());
        e.set_value_req(0x1234.into());
        e.set_value_row(0xabc.into());
        assert_eq!(e.get_value_dram().to_u64(), 0xdead_beef);
        assert_eq!(e.get_value_req().to_u64(), 0x1234);
        assert_eq!(e.get_value_row().to_u64(), 0xabc);
        assert_eq!(e.get_value_n0().to_u64(), 0);
        assert_eq!(e.get_my_offset_req(), DMA_ENTRY_BITS - CNT_BITS);
    }
}
