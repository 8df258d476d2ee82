//! Simulator speed: simulated cycles per second and simulated MACs per
//! second for a synthetic MAC-heavy program on the `diannao` preset.
//!
//! Run: `cargo run --release -p sim --example bench_sim [iterations]`
#![allow(clippy::field_reassign_with_default)]

use arch::events::Event;
use arch::isa::{AccIn, DmaOp, DmaSlot, Instruction, NfuOp, NfuSlot};
use arch::AccelConfig;
use sim::{Dram, Machine};
use std::time::Instant;

/// One instruction per iteration j: load SB half (j % 2) for op j (waiting
/// for op j - 2, the last reader of that half) and run op j: 16 outputs x
/// 32 reduction steps = 512 issues of 16 x 16 MACs, then store the outputs.
fn program(iters: usize, cfg: &AccelConfig) -> Vec<Instruction> {
    let tn = cfg.tn;
    let sb_row = cfg.sb_row_bytes();
    let mut p = Vec::new();
    let mut first = Instruction::default();
    first.nbin = DmaSlot::contiguous(DmaOp::Load, 0, 0, cfg.nbin_rows());
    p.push(first);
    for j in 0..iters {
        let half = (j % 2) as u32 * 32;
        let mut i = Instruction::default();
        i.sb = DmaSlot {
            wait: 2,
            ..DmaSlot::contiguous(
                DmaOp::Load,
                half,
                0x10_0000 + (j as u32 % 8) * 32 * sb_row,
                32,
            )
        };
        i.nfu = NfuSlot {
            op: NfuOp::Mac,
            acc_in: AccIn::Zero,
            activate: true,
            npy: 1,
            npx: 16,
            spx: 1,
            nky: 1,
            ni: 32,
            sb: half,
            nbout: (j % 2) as u32 * 16,
            ..NfuSlot::NOP
        };
        i.nbout = DmaSlot::contiguous(
            DmaOp::StoreNarrow,
            (j % 2) as u32 * 16,
            0x80_0000 + (j as u32) * 16 * tn * 2,
            16,
        );
        p.push(i);
    }
    p.push(Instruction::end());
    p
}

fn main() {
    let iters: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let cfg = AccelConfig::diannao();
    let mut dram = Dram::new(cfg.dram.size_bytes);
    let init: Vec<i16> = (0..(1 << 20))
        .map(|k: i32| ((k * 7919) % 511 - 255) as i16)
        .collect();
    dram.write_i16s(0, &init).unwrap();
    let prog = program(iters, &cfg);
    let mut m = Machine::new(cfg.clone()).expect("preset is valid");
    let t0 = Instant::now();
    let s = m.run(&prog, &mut dram).expect("benchmark program runs");
    let secs = t0.elapsed().as_secs_f64();
    let macs = s.counters.get(Event::Macs);
    println!(
        "preset {}: {} instructions, {} fetched",
        cfg.name,
        prog.len(),
        s.counters.get(arch::events::Event::InstrFetches)
    );
    println!(
        "simulated {} cycles, {} MACs ({:.1}% of peak) in {:.3} s",
        s.cycles,
        macs,
        100.0 * macs as f64 / (s.cycles as f64 * cfg.peak_macs_per_cycle() as f64),
        secs
    );
    println!(
        "speed: {:.2} M cycles/s, {:.3} GMAC/s",
        s.cycles as f64 / secs / 1e6,
        macs as f64 / secs / 1e9
    );
}
