//! Contract tests (mooneye-gb style): per slot and opcode, the result and
//! the exact cycle count, derived by hand from docs/microarchitecture.md in
//! each test's comments. One file per slot/op: [`cp`], [`dma_nbin`],
//! [`dma_sb`], [`dma_nbout`], [`nfu_mac`], [`nfu_max`], [`nfu_avg`],
//! [`nfu_mul`]; names read `<op>_<case>_takes_<N>_cycles`.
//!
//! All on the `tiny` preset: Tn = 4, L = 6, BPC = 8, D = 1 + 1 + 1 + 1 = 4,
//! Q = 2, frac = 8, NBin 32 rows, SB 32 rows, NBout 16 rows. Beats: NBin row
//! 8 B -> 1; SB row 32 B -> 4; NBout load/store 16 B -> 2; loadw/storen
//! 8 B -> 1; an instruction 80 B -> 10. Cycle counts are written as
//! `fill(n) + N`: N cycles after the start S = fill(n) of an n-instruction
//! program. Every run is also checked against stepped mode (`common::run`).
#![allow(clippy::needless_range_loop)]

#[path = "../common/mod.rs"]
mod common;

mod cp;
mod dma_nbin;
mod dma_nbout;
mod dma_sb;
mod nfu_avg;
mod nfu_mac;
mod nfu_max;
mod nfu_mul;
mod nfu_overlap;

// shared by the per-op files (`use super::*`)
#[allow(unused_imports)]
use arch::activation::{Activation, Table};
#[allow(unused_imports)]
use arch::events::Event;
#[allow(unused_imports)]
use arch::fixed::{avg_scale, convert, convert_avg, mul, Lfsr, Rounding};
use arch::isa::{AccIn, DmaOp, NfuOp};
use common::*;
#[allow(unused_imports)]
use sim::{Dram, HaltClass, Machine, SimError};

/// Memory latency L of `tiny`, cycles.
pub const L: u64 = 6;
/// NFU latency D = 1 + D1 + D2 + D3 of `tiny`, cycles.
pub const D: u64 = 4;
/// Bytes of one instruction in DRAM.
pub const INSTR_BYTES: u64 = arch::isa::fields::INSTR_BYTES as u64;
/// Port beats of one instruction fetch on `tiny` (80 bytes at 8 bytes per beat).
pub const FETCH_BEATS: u64 = INSTR_BYTES.div_ceil(8);

/// The start cycle S of an `n`-instruction program (n <= imem_depth) with
/// the port otherwise idle: `L + n * beats` (docs/microarchitecture.md,
/// "Instruction fetch"). The hand-derived counts in these tests are cycles
/// after S: the control processor reads `imem[0]` in S, as a preloaded
/// instruction memory did in cycle 0.
pub fn fill(n: u64) -> u64 {
    if n == 0 {
        0
    } else {
        L + n * FETCH_BEATS
    }
}

/// A reset `tiny` machine and an empty DRAM.
pub fn setup() -> (Machine, Dram) {
    let cfg = tiny();
    let d = Dram::new(cfg.dram.size_bytes);
    (Machine::new(cfg).unwrap(), d)
}

/// Load NBin rows 0.. and SB rows 0.. from DRAM in a separate run.
pub fn preload(m: &mut Machine, d: &mut Dram, nbin: &[i16], sb: &[i16]) {
    let tn = m.config().tn as usize;
    d.write_i16s(0x10000, nbin).unwrap();
    d.write_i16s(0x20000, sb).unwrap();
    let mut i = end();
    i.nbin = dma(DmaOp::Load, 0, 0x10000, (nbin.len() / tn) as u32);
    if !sb.is_empty() {
        i.sb = dma(DmaOp::Load, 0, 0x20000, (sb.len() / (tn * tn)) as u32);
    }
    run(m, &[i], d).unwrap();
}

/// `n` pseudo-random words in `-range..=range`.
pub fn pseudo(n: usize, seed: u32, range: i32) -> Vec<i16> {
    let mut l = Lfsr(seed | 1);
    (0..n)
        .map(|_| ((l.step() as i32).rem_euclid(2 * range + 1) - range) as i16)
        .collect()
}

/// Independent reference of one mac output lane before conversion.
pub fn mac_ref(
    nbin: &[i16],
    sb: &[i16],
    rows: &[(usize, usize)],
    init: i32,
    n: usize,
    tr: bool,
) -> i32 {
    let tn = 4;
    let mut acc = init;
    for &(nr, sr) in rows {
        for i in 0..tn {
            let w = if tr {
                sb[sr * 16 + i * tn + n]
            } else {
                sb[sr * 16 + n * tn + i]
            };
            acc = acc.wrapping_add(mul(w, nbin[nr * tn + i]));
        }
    }
    acc
}

/// Pooling with `op` (max or avg): 2 outputs (npx = 2, spx = 2), window
/// nky = 2 (sky = 4) x ni = 2: N = 8 issues in 2..9; T = 2 + 8 + D = 14.
/// Checked for `out=partial` and `out=act`.
pub fn pooling_takes_14_cycles(op: NfuOp) {
    let (mut m, mut d) = setup();
    let nb = pseudo(8 * 4, 41, 30000);
    preload(&mut m, &mut d, &nb, &[]);
    let rows = |px: usize| [2 * px, 2 * px + 1, 2 * px + 4, 2 * px + 5];
    for act_out in [false, true] {
        let mut i = end();
        i.nfu = nfu(op, AccIn::Zero, 2);
        i.nfu.npx = 2;
        i.nfu.spx = 2;
        i.nfu.nky = 2;
        i.nfu.sky = 4;
        i.nfu.nbout = 8;
        i.nfu.activate = act_out;
        i.nfu.round = Rounding::Nearest;
        i.nfu.scale = avg_scale(4) as u32;
        let s = run(&mut m, &[i], &mut d).unwrap();
        assert_eq!(s.cycles, fill(1) + 14);
        assert_eq!(get(&s, Event::Macs), 0);
        assert_eq!(get(&s, Event::Nfu2Ops), 8 * 4);
        for px in 0..2 {
            for n in 0..4 {
                let vals: Vec<i32> = rows(px).iter().map(|r| nb[r * 4 + n] as i32).collect();
                let acc = match op {
                    NfuOp::Max => *vals.iter().max().unwrap(),
                    _ => vals.iter().sum(),
                };
                let want = match (op, act_out) {
                    (_, false) => acc,
                    (NfuOp::Max, true) => acc,
                    (_, true) => convert_avg(acc, avg_scale(4), Rounding::Nearest, 0).0 as i32,
                };
                assert_eq!(
                    m.buffers().nbout_row(8 + px)[n],
                    want,
                    "{op:?} act={act_out} px={px} n={n}"
                );
            }
        }
    }
}
