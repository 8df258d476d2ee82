//! Control side of the accelerator (docs/microarchitecture.md): control
//! processor, DMAs, memory port and arbiter, DRAM model, NFU sequencer.
//!
//! All state is cleared synchronously while `clr` is high (rust-hdl DFFs have
//! no reset); the first cycle with `clr` low is cycle 0 of the contract.

pub mod conv;
pub mod cp;
pub mod dma;
use arch::isa::fields as F;

pub mod dram;
pub mod nfu_seq;
pub mod port;
pub mod queue;

/// Encoding of a DMA queue entry (bit offsets, used only inside `control`).
/// op@0(3) row@3(12) dram@15(32) n0@47(12) n1@59(12) s1@71(32) n2@103(12)
/// s2@115(32) need@147(1) req@148(16).
pub const DMA_ENTRY_BITS: usize = (F::DMA_OP_BITS
    + F::ROW_BITS
    + F::DRAM_ADDR_BITS
    + 3 * F::COUNT_BITS
    + 2 * F::DRAM_STRIDE_BITS
    + 1) as usize
    + CNT_BITS;
const _: () = assert!(
    DMA_ENTRY_BITS == 164,
    "dma.rs slices the entry at fixed offsets"
);
/// Encoding of an NFU queue entry: op@0(3) in@3(2) out@5 act@6(4) round@10(2)
/// tr@12 nbin@13 sb@25 nbout@37 npy@49 spy@61 npx@73 spx@85 nky@97 sky@109
/// ni@121 (12 each) scale@133(16) req_nbin@149 req_sb@165 req_nbl@181 (16 each)
/// need_st@197 req_st@198(16) seq@214(16).
pub const NFU_ENTRY_BITS: usize = (F::NFU_OP_BITS
    + F::ACC_IN_BITS
    + 1
    + F::ACT_BITS
    + F::ROUND_BITS
    + 1
    + 3 * F::ROW_BITS
    + 7 * F::COUNT_BITS
    + F::SCALE_BITS
    + 1) as usize
    + 5 * CNT_BITS;
const _: () = assert!(
    NFU_ENTRY_BITS == 230,
    "nfu_seq.rs slices the entry at fixed offsets"
);
/// Width of the dependency counters (compared modulo 2^16).
pub const CNT_BITS: usize = 16;
/// Width of the memory-port tag: owner@0(2) write@2 last_beat@3 last_row@4
/// narrow@5 row@6(12).
pub const TAG_BITS: usize = 32;
