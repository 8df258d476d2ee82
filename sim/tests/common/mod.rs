//! Helpers shared by the integration tests.
#![allow(dead_code)]

use arch::isa::{AccIn, DmaOp, DmaSlot, Instruction, NfuOp, NfuSlot};
use arch::AccelConfig;
use sim::{Dram, Machine, RunStats, SimError};

pub fn tiny() -> AccelConfig {
    AccelConfig::tiny()
}

pub fn dma(op: DmaOp, row: u32, dram: u32, n: u32) -> DmaSlot {
    DmaSlot::contiguous(op, row, dram, n)
}

pub fn with_wait(mut s: DmaSlot, w: u32) -> DmaSlot {
    s.wait = w;
    s
}

/// An NFU slot with 1x1 outputs, 1x`ni` reduction, everything else default.
pub fn nfu(op: NfuOp, acc_in: AccIn, ni: u32) -> NfuSlot {
    NfuSlot {
        op,
        acc_in,
        npy: 1,
        npx: 1,
        nky: 1,
        ni,
        ..NfuSlot::NOP
    }
}

pub fn ins() -> Instruction {
    Instruction::default()
}

pub fn end() -> Instruction {
    Instruction::end()
}

/// Run `prog` both in fast mode (on `m`, `dram`) and in stepped mode on
/// copies; assert the two agree on everything; return the fast result.
pub fn run(m: &mut Machine, prog: &[Instruction], dram: &mut Dram) -> Result<RunStats, SimError> {
    let words: Vec<_> = prog
        .iter()
        .map(|i| i.encode().expect("test program encodes"))
        .collect();
    run_words(m, &words, dram)
}

pub fn run_words(
    m: &mut Machine,
    words: &[arch::isa::fields::Word],
    dram: &mut Dram,
) -> Result<RunStats, SimError> {
    let mut m2 = m.clone();
    let mut d2 = dram.clone();
    let slow = m2.run_words_stepped(words, &mut d2);
    let fast = m.run_words(words, dram);
    assert_eq!(
        format!("{slow:?}"),
        format!("{fast:?}"),
        "fast and stepped results differ"
    );
    assert_eq!(
        m2.last_stats(),
        m.last_stats(),
        "fast and stepped stats differ"
    );
    assert_eq!(
        d2.first_difference(dram),
        None,
        "fast and stepped DRAM differ"
    );
    assert_eq!(m2.buffers(), m.buffers(), "fast and stepped buffers differ");
    assert_eq!(
        m2.lfsr_states(),
        m.lfsr_states(),
        "fast and stepped LFSRs differ"
    );
    fast
}

pub fn get(s: &RunStats, e: arch::events::Event) -> u64 {
    s.counters.get(e)
}
