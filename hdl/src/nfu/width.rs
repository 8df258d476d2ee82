//! Widths and encodings used by the NFU datapath, all derived from `arch`.
//!
//! rust-hdl needs widths at compile time, so the values arch defines as `u32`
//! constants are re-exported here as `usize`. Nothing is written by hand.

use arch::activation::{Activation, SEGMENTS};
use arch::fixed::{Rounding, AVG_SCALE_SHIFT};
use arch::isa::fields::{ACC_IN_BITS, ACT_BITS, NFU_OP_BITS, ROUND_BITS, ROW_BITS, SCALE_BITS};
use arch::isa::{AccIn, NfuOp};

/// Data word width in bits (`arch::config::DATA_BITS`).
pub const DW: usize = arch::config::DATA_BITS as usize;
/// Accumulator / NBout entry width in bits (`arch::config::ACC_BITS`).
pub const AW: usize = arch::config::ACC_BITS as usize;
/// Scratch width of NFU-3's conversion arithmetic, bits (holds acc * scale exactly).
pub const XW: usize = 2 * AW;
/// NFU opcode field width, bits.
pub const OPW: usize = NFU_OP_BITS as usize;
/// Accumulator-init selector width, bits.
pub const INW: usize = ACC_IN_BITS as usize;
/// Activation selector width, bits.
pub const ACTW: usize = ACT_BITS as usize;
/// Rounding selector width, bits.
pub const RNDW: usize = ROUND_BITS as usize;
/// Average-pool scale width, bits.
pub const SCW: usize = SCALE_BITS as usize;
/// NBout row address width, bits.
pub const ROWW: usize = ROW_BITS as usize;
/// Bits of a segment index (log2 of `arch::activation::SEGMENTS`).
pub const SEGW: usize = SEGMENTS.trailing_zeros() as usize;
/// NFU-3 ROM address width: activation selector then segment index.
pub const ROMW: usize = ACTW + SEGW;
/// Width of the per-cycle saturation count (counts up to `arch::config::MAX_TN` lanes).
pub const SATW: usize = (arch::config::MAX_TN.ilog2() + 1) as usize;
/// Width of the small shift-amount / offset constants used inside blocks.
pub const KW: usize = 32;

const _: () = assert!(SEGMENTS.is_power_of_two());
const _: () = assert!(AVG_SCALE_SHIFT as usize + DW < XW);
const _: () = assert!(SCW == DW, "avg scale multiply uses 16x16 multipliers");

fn pos<T: PartialEq>(all: &[T], x: T) -> u64 {
    all.iter().position(|a| *a == x).expect("listed") as u64
}
/// Encoding of an NFU opcode (its index in `NfuOp::ALL`).
pub fn op_code(op: NfuOp) -> u64 {
    pos(&NfuOp::ALL, op)
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
