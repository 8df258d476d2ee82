//! Contract tests (mooneye-gb style): each instruction kind, its result and
//! its exact cycle count, derived by hand from docs/microarchitecture.md in
//! the comments. All on the `tiny` preset: Tn = 4, L = 6, BPC = 8,
//! D = 1 + 1 + 1 + 1 = 4, Q = 2, NBin 32 rows, SB 32 rows, NBout 16 rows.
//! Beats: NBin row 8 B -> 1; SB row 32 B -> 4; NBout load/store 16 B -> 2;
//! loadw/storen 8 B -> 1. Every run is also checked against stepped mode.
#![allow(clippy::needless_range_loop)]

mod common;
use arch::activation::{Activation, Table};
use arch::events::Event;
use arch::fixed::{avg_scale, convert, convert_avg, mul, Lfsr, Rounding};
use arch::isa::{AccIn, DmaOp, NfuOp};
use common::*;
use sim::{Dram, HaltClass, Machine, SimError};

const L: u64 = 6;
const D: u64 = 4;

fn setup() -> (Machine, Dram) {
    let cfg = tiny();
    let d = Dram::new(cfg.dram.size_bytes);
    (Machine::new(cfg).unwrap(), d)
}

#[test]
fn lone_end() {
    // cycle 0 reads imem[0]; cycle 1 dispatches end; cycle 2 is the first
    // cycle with the CP stopped and everything empty: T = 2.
    let (mut m, mut d) = setup();
    let s = run(&mut m, &[end()], &mut d).unwrap();
    assert_eq!(s.cycles, 2);
    assert_eq!(get(&s, Event::Cycles), 2);
    assert_eq!(get(&s, Event::Instructions), 1);
}

#[test]
fn nbin_load_1_and_n_rows() {
    // One instruction (end + load of n rows). Dispatch in 1, visible and
    // started in 2, rows granted in 2, 3, ..., 2 + (n-1) (1 beat each); the
    // last row is written at the end of 2 + (n-1) + L + 1 - 1; T = that + 1
    // = 2 + n + L.
    for n in [1u32, 5, 32] {
        let (mut m, mut d) = setup();
        let words: Vec<i16> = (0..4 * n as i16).map(|x| x * 3 - 7).collect();
        d.write_i16s(0x40, &words).unwrap();
        let mut i = end();
        i.nbin = dma(DmaOp::Load, 0, 0x40, n);
        let s = run(&mut m, &[i], &mut d).unwrap();
        assert_eq!(s.cycles, 2 + n as u64 + L, "n = {n}");
        assert_eq!(get(&s, Event::NbinWrites), n as u64);
        assert_eq!(get(&s, Event::PortBusy), n as u64);
        assert_eq!(get(&s, Event::DramReadBytes), 8 * n as u64);
        assert_eq!(&m.buffers().nbin[..4 * n as usize], &words[..]);
    }
}

#[test]
fn sb_load_strided() {
    // 3 SB rows of 4 beats with n0 = 1, n1 = 3, s1 = 0x100: grants in 2, 6,
    // 10; last written at end of 10 + L + 4 - 1 = 19; T = 20.
    let (mut m, mut d) = setup();
    for k in 0..3 {
        d.write_i16s(0x1000 + 0x100 * k, &[(k as i16 + 1) * 100; 16])
            .unwrap();
    }
    let mut i = end();
    i.sb = arch::isa::DmaSlot {
        op: DmaOp::Load,
        wait: 0,
        row: 5,
        dram: 0x1000,
        n0: 1,
        n1: 3,
        s1: 0x100,
        n2: 1,
        s2: 0,
    };
    let s = run(&mut m, &[i], &mut d).unwrap();
    assert_eq!(s.cycles, 20);
    assert_eq!(get(&s, Event::SbWrites), 3);
    assert_eq!(get(&s, Event::PortBusy), 12);
    for k in 0..3 {
        assert!(m
            .buffers()
            .sb_row(5 + k)
            .iter()
            .all(|&x| x == (k as i16 + 1) * 100));
    }
}

#[test]
fn port_arbitration_nbout_nbin_sb() {
    // One instruction: NBin 2 rows (1 beat), SB 1 row (4), NBout load 1 row (2).
    // All three start in cycle 2 and request. 2: NBout granted (port_free 4,
    // written end of 9); NBin, SB stall (2, 3). 4: NBin row 0; 5: NBin row 1;
    // SB stalls 4, 5. 6: SB granted, written at end of 6 + 6 + 4 - 1 = 15.
    // T = 16; dma_stall_port = 2 + 2 + 1 + 1 = 6; port_busy = 2 + 1 + 1 + 4.
    let (mut m, mut d) = setup();
    d.write_i32s(0x300, &[1, -2, 3, -4]).unwrap();
    let mut i = end();
    i.nbin = dma(DmaOp::Load, 0, 0, 2);
    i.sb = dma(DmaOp::Load, 0, 0x100, 1);
    i.nbout = dma(DmaOp::Load, 7, 0x300, 1);
    let s = run(&mut m, &[i], &mut d).unwrap();
    assert_eq!(s.cycles, 16);
    assert_eq!(get(&s, Event::DmaStallPort), 6);
    assert_eq!(get(&s, Event::PortBusy), 8);
    assert_eq!(m.buffers().nbout_row(7), &[1, -2, 3, -4]);
}

#[test]
fn nbout_loadw_store_storen() {
    // Run A: loadw 1 row (1 beat): grant 2, written end of 8, T = 9.
    let (mut m, mut d) = setup();
    d.write_i16s(0x100, &[1, -1, 300, -32768]).unwrap();
    let mut i = end();
    i.nbout = dma(DmaOp::LoadWiden, 3, 0x100, 1);
    let s = run(&mut m, &[i], &mut d).unwrap();
    assert_eq!(s.cycles, 9);
    let widened: Vec<i32> = [1i32, -1, 300, -32768].iter().map(|x| x << 8).collect();
    assert_eq!(m.buffers().nbout_row(3), &widened[..]);
    // Run B: i0 store (2 beats): start 2, grant 2 (port_free 4), written end
    // of 9. i1 storen: dispatched 2, visible and started 3, port stall 3,
    // grant 4, written end of 4 + 6 + 1 - 1 = 10. T = 11.
    let mut i0 = ins();
    i0.nbout = dma(DmaOp::Store, 3, 0x200, 1);
    let mut i1 = end();
    i1.nbout = dma(DmaOp::StoreNarrow, 3, 0x300, 1);
    let s = run(&mut m, &[i0, i1], &mut d).unwrap();
    assert_eq!(s.cycles, 11);
    assert_eq!(get(&s, Event::DmaStallPort), 1);
    assert_eq!(get(&s, Event::DramWriteBytes), 16 + 8);
    assert_eq!(d.read_i32s(0x200, 4).unwrap(), widened);
    let low: Vec<i16> = widened.iter().map(|x| *x as i16).collect();
    assert_eq!(d.read_i16s(0x300, 4).unwrap(), low);
}

#[test]
fn store_reads_nbout_in_its_grant_cycle() {
    // loadw (i0) is written at the end of 8; the store (i1) is granted in 3
    // (it waits only for NFU ops), so it reads the old row (zero).
    let (mut m, mut d) = setup();
    d.write_i16s(0x100, &[5, 6, 7, 8]).unwrap();
    let mut i0 = ins();
    i0.nbout = dma(DmaOp::LoadWiden, 0, 0x100, 1);
    let mut i1 = end();
    i1.nbout = dma(DmaOp::StoreNarrow, 0, 0x200, 1);
    d.write_i16s(0x200, &[9, 9, 9, 9]).unwrap();
    let s = run(&mut m, &[i0, i1], &mut d).unwrap();
    // i0 grant 2 (1 beat); i1 starts 3, grant 3, written end of 9; T = 10.
    assert_eq!(s.cycles, 10);
    assert_eq!(d.read_i16s(0x200, 4).unwrap(), vec![0, 0, 0, 0]);
}

/// Load NBin rows 0.. and SB rows 0.. from DRAM in a separate run.
fn preload(m: &mut Machine, d: &mut Dram, nbin: &[i16], sb: &[i16]) {
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

fn pseudo(n: usize, seed: u32, range: i32) -> Vec<i16> {
    let mut l = Lfsr(seed | 1);
    (0..n)
        .map(|_| ((l.step() as i32).rem_euclid(2 * range + 1) - range) as i16)
        .collect()
}

/// Independent reference of one mac output lane before conversion.
fn mac_ref(
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

#[test]
fn mac_partial_each_acc_in_and_transpose() {
    // Op alone: dispatch 1, start s = 2, N = 3 issues in 2..4 (bias: bias row
    // read in 2, issues 3..5). Output written at end of last + D; T = that + 1
    // = 2 + bias + N + D.
    for acc_in in AccIn::ALL {
        for tr in [false, true] {
            let (mut m, mut d) = setup();
            let nb = pseudo(4 * 4, 11, 3000);
            let sb = pseudo(4 * 16, 13, 3000);
            preload(&mut m, &mut d, &nb, &sb);
            // NBout row 2 := known partial sums
            d.write_i32s(0x500, &[100, -200, 300, 1 << 30]).unwrap();
            let mut i = end();
            i.nbout = dma(DmaOp::Load, 2, 0x500, 1);
            run(&mut m, &[i], &mut d).unwrap();
            let mut i = end();
            i.nfu = nfu(NfuOp::Mac, acc_in, 3);
            i.nfu.nbin = 1;
            i.nfu.sb = 0;
            i.nfu.nbout = 2;
            i.nfu.transpose = tr;
            let s = run(&mut m, &[i], &mut d).unwrap();
            let bias = (acc_in == AccIn::Bias) as u64;
            assert_eq!(s.cycles, 2 + bias + 3 + D, "{acc_in:?}");
            assert_eq!(get(&s, Event::NfuBusy), 3 + bias);
            assert_eq!(get(&s, Event::Macs), 3 * 16);
            let rows = [(1, 0), (2, 1), (3, 2)];
            let want: Vec<i32> = (0..4)
                .map(|n| {
                    let init = match acc_in {
                        AccIn::Zero => 0,
                        AccIn::Nbout => [100, -200, 300, 1 << 30][n],
                        AccIn::Bias => (sb[3 * 16 + n] as i32) << 8,
                    };
                    mac_ref(&nb, &sb, &rows, init, n, tr)
                })
                .collect();
            assert_eq!(m.buffers().nbout_row(2), &want[..], "{acc_in:?} tr={tr}");
        }
    }
}

#[test]
fn mac_act_each_activation_and_rounding() {
    for act in Activation::ALL {
        for round in Rounding::ALL {
            let (mut m, mut d) = setup();
            let nb = pseudo(2 * 4, 21, 900);
            let sb = pseudo(2 * 16, 23, 900);
            preload(&mut m, &mut d, &nb, &sb);
            let seeds0 = m.lfsr_states();
            let mut i = end();
            i.nfu = nfu(NfuOp::Mac, AccIn::Zero, 2);
            i.nfu.activate = true;
            i.nfu.act = act;
            i.nfu.round = round;
            i.nfu.nbout = 5;
            let s = run(&mut m, &[i], &mut d).unwrap();
            assert_eq!(s.cycles, 2 + 2 + D);
            assert_eq!(get(&s, Event::Nfu3Ops), 4);
            let table = Table::new(act, 8);
            let mut sats = 0;
            for n in 0..4 {
                let acc = mac_ref(&nb, &sb, &[(0, 0), (1, 1)], 0, n, false);
                let rnd = if round == Rounding::Stochastic {
                    let mut l = Lfsr(seeds0[n]);
                    l.step()
                } else {
                    0
                };
                let (x, s1) = convert(acc, 8, round, rnd);
                let (y, s2) = table.apply(x, 8);
                sats += (s1 || s2) as u64;
                assert_eq!(
                    m.buffers().nbout_row(5)[n],
                    y as i32,
                    "{act:?} {round:?} lane {n}"
                );
            }
            assert_eq!(get(&s, Event::Saturations), sats);
        }
    }
}

#[test]
fn stochastic_rounding_steps_each_lane_once_per_output() {
    // 3 outputs (npx = 3) with round = stoch: every lane's LFSR steps 3 times;
    // a trunc op and a partial stoch op do not step it.
    let (mut m, mut d) = setup();
    let nb = pseudo(4 * 4, 31, 2000);
    let sb = pseudo(16, 37, 2000);
    preload(&mut m, &mut d, &nb, &sb);
    let cfg = tiny();
    let seeds: Vec<u32> = (0..4).map(|n| Lfsr::lane_seed(cfg.lfsr_seed, n)).collect();
    assert_eq!(m.lfsr_states(), seeds);
    let mut i = end();
    i.nfu = nfu(NfuOp::Mac, AccIn::Zero, 1);
    i.nfu.npx = 3;
    i.nfu.spx = 1;
    i.nfu.activate = true;
    i.nfu.round = Rounding::Stochastic;
    let s = run(&mut m, &[i], &mut d).unwrap();
    // N = 3: issues 2..4, last output written end of 8: T = 9.
    assert_eq!(s.cycles, 9);
    let mut lf: Vec<Lfsr> = seeds.iter().map(|s| Lfsr(*s)).collect();
    for px in 0..3 {
        for n in 0..4 {
            let r = lf[n].step();
            let acc = mac_ref(&nb, &sb, &[(px, 0)], 0, n, false);
            let (x, _) = convert(acc, 8, Rounding::Stochastic, r);
            assert_eq!(m.buffers().nbout_row(px)[n], x as i32);
        }
    }
    assert_eq!(m.lfsr_states(), lf.iter().map(|l| l.0).collect::<Vec<_>>());
    let mut i = end();
    i.nfu = nfu(NfuOp::Mac, AccIn::Zero, 1);
    i.nfu.round = Rounding::Stochastic; // partial: no conversion, no step
    run(&mut m, &[i], &mut d).unwrap();
    assert_eq!(m.lfsr_states(), lf.iter().map(|l| l.0).collect::<Vec<_>>());
}

#[test]
fn max_and_avg_pooling() {
    // 2 outputs (npx = 2, spx = 2), window nky = 2 (sky = 4) x ni = 2:
    // N = 8 issues in 2..9; T = 2 + 8 + D = 14.
    let (mut m, mut d) = setup();
    let nb = pseudo(8 * 4, 41, 30000);
    preload(&mut m, &mut d, &nb, &[]);
    let rows = |px: usize| [2 * px, 2 * px + 1, 2 * px + 4, 2 * px + 5];
    for op in [NfuOp::Max, NfuOp::Avg] {
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
            assert_eq!(s.cycles, 14);
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
}

#[test]
fn max_bias_is_not_shifted() {
    let (mut m, mut d) = setup();
    let nb = vec![-5i16; 4];
    let mut sb = vec![0i16; 32];
    sb[16..20].copy_from_slice(&[-7, -3, 1, 2]);
    preload(&mut m, &mut d, &nb, &sb);
    let mut i = end();
    i.nfu = nfu(NfuOp::Max, AccIn::Bias, 1);
    i.nfu.sb = 0; // bias row = sb + nky*ni = 1
    let s = run(&mut m, &[i], &mut d).unwrap();
    assert_eq!(s.cycles, 2 + 1 + 1 + D);
    assert_eq!(m.buffers().nbout_row(0), &[-5, -3, 1, 2]);
}

#[test]
fn loads_then_mac_then_store_with_waits() {
    // i0: NBin 2 rows, SB 2 rows. i1: end, mac (ni = 2) and store of its output.
    // Grants: NBin 2, 3 (done end of 9); SB 4 (port_free 8), 8 (written end
    // of 8 + 6 + 4 - 1 = 17). SB port stalls: 2, 3, 5, 6, 7.
    // NFU op visible in 3, load-stalled 3..17 (15 cycles), starts 18, issues
    // 18, 19, written end of 23, nfu_done = 1 from 24.
    // Store (wait 0: after its own NFU op) wait-stalled 3..23 (21 cycles),
    // starts and is granted in 24, written end of 24 + 6 + 2 - 1 = 31. T = 32.
    let (mut m, mut d) = setup();
    let nb = pseudo(8, 51, 1000);
    let sb = pseudo(32, 53, 1000);
    d.write_i16s(0, &nb).unwrap();
    d.write_i16s(0x1000, &sb).unwrap();
    let mut i0 = ins();
    i0.nbin = dma(DmaOp::Load, 0, 0, 2);
    i0.sb = dma(DmaOp::Load, 0, 0x1000, 2);
    let mut i1 = end();
    i1.nfu = nfu(NfuOp::Mac, AccIn::Zero, 2);
    i1.nbout = dma(DmaOp::Store, 0, 0x2000, 1);
    let s = run(&mut m, &[i0, i1], &mut d).unwrap();
    assert_eq!(s.cycles, 32);
    assert_eq!(get(&s, Event::NfuStallLoad), 15);
    assert_eq!(get(&s, Event::DmaStallWait), 21);
    assert_eq!(get(&s, Event::DmaStallPort), 5);
    assert_eq!(get(&s, Event::PortBusy), 12);
    assert_eq!(get(&s, Event::NfuBusy), 2);
    let want: Vec<i32> = (0..4)
        .map(|n| mac_ref(&nb, &sb, &[(0, 0), (1, 1)], 0, n, false))
        .collect();
    assert_eq!(d.read_i32s(0x2000, 4).unwrap(), want);
}

#[test]
fn load_with_wait_1_waits_for_previous_nfu_op() {
    // i0: mac N = 4 (issues 2..5, complete end of 9, nfu_done from 10).
    // i1: end + NBin load wait = 1: visible 3, wait-stalled 3..9 (7 cycles),
    // starts and granted 10, written end of 16; T = 17.
    // With wait = 0 the load starts in 3, written end of 9; T = 10.
    for (w, t, stall) in [(1u32, 17u64, 7u64), (0, 10, 0)] {
        let (mut m, mut d) = setup();
        let mut i0 = ins();
        i0.nfu = nfu(NfuOp::Mac, AccIn::Zero, 4);
        let mut i1 = end();
        i1.nbin = with_wait(dma(DmaOp::Load, 8, 0, 1), w);
        let s = run(&mut m, &[i0, i1], &mut d).unwrap();
        assert_eq!(s.cycles, t, "wait {w}");
        assert_eq!(get(&s, Event::DmaStallWait), stall);
    }
}

#[test]
fn load_overwriting_rows_of_a_running_op_is_exact() {
    // i0: mac reading NBin row 0 twelve times (nky = 12, sky = 0), issues
    // 2..13. i1: NBin load of row 0 (wait 0): granted 3, written end of 9;
    // issues 2..9 read the old row, 10..13 the new one.
    let (mut m, mut d) = setup();
    let old = pseudo(4, 61, 500);
    let sb = pseudo(12 * 16, 63, 500);
    preload(&mut m, &mut d, &old, &sb);
    let new = pseudo(4, 67, 500);
    d.write_i16s(0x7000, &new).unwrap();
    let mut i0 = ins();
    i0.nfu = nfu(NfuOp::Mac, AccIn::Zero, 1);
    i0.nfu.nky = 12;
    let mut i1 = end();
    i1.nbin = dma(DmaOp::Load, 0, 0x7000, 1);
    let s = run(&mut m, &[i0, i1], &mut d).unwrap();
    assert_eq!(s.cycles, 2 + 12 + D);
    let mut nbv = old.clone();
    nbv.extend_from_slice(&new);
    let rows: Vec<(usize, usize)> = (0..12).map(|k| (if k < 8 { 0 } else { 1 }, k)).collect();
    let want: Vec<i32> = (0..4)
        .map(|n| mac_ref(&nbv, &sb, &rows, 0, n, false))
        .collect();
    assert_eq!(m.buffers().nbout_row(0), &want[..]);
}

#[test]
fn queue_full_dispatch_stalls() {
    // i0..i4 each load one SB row (4 beats); i4 is also end. Q = 2.
    // 1: i0 dispatched. 2: i1 dispatched; i0 starts, granted (port_free 6).
    // 3: i2 dispatched; i1 starts, port-stalled 3, 4, 5. 4: i3 dispatched.
    // 5, 6, 7: queue holds i2, i3 -> cp_stall (i2 starts in 7). 6: i1 granted.
    // 8: i4 dispatched. Grants 10, 14, 18 with port stalls 7-9, 11-13, 15-17.
    // Last row written at end of 18 + 6 + 4 - 1 = 27: T = 28.
    let (mut m, mut d) = setup();
    let mut p: Vec<_> = (0..5)
        .map(|k| {
            let mut i = ins();
            i.sb = dma(DmaOp::Load, k, 0x100 * k, 1);
            i
        })
        .collect();
    p[4].cp = arch::isa::CpOp::End;
    let s = run(&mut m, &p, &mut d).unwrap();
    assert_eq!(s.cycles, 28);
    assert_eq!(get(&s, Event::CpStallQueueFull), 3);
    assert_eq!(get(&s, Event::DmaStallPort), 12);
    assert_eq!(get(&s, Event::Instructions), 5);
}

#[test]
fn nfu_wait_on_store_and_drain_stalls() {
    // i0: mac N = 1 -> NBout row 0 (issue 2, written end of 6).
    // i1: storen row 0 (wait 0 -> after i0's op): wait-stalled 3..6, starts 7,
    //     granted 7, written end of 7 + 6 + 1 - 1 = 13, store done from 14.
    // i2: end + mac wait = 1 (after i1's store): dispatched 3, visible 4;
    //     drain-stalled 4..6, store-stalled 7..13, starts 14, writes end of
    //     18; T = 19.
    let (mut m, mut d) = setup();
    let mut i0 = ins();
    i0.nfu = nfu(NfuOp::Mac, AccIn::Zero, 1);
    let mut i1 = ins();
    i1.nbout = dma(DmaOp::StoreNarrow, 0, 0x100, 1);
    let mut i2 = end();
    i2.nfu = nfu(NfuOp::Mac, AccIn::Zero, 1);
    i2.nfu.wait = 1;
    let s = run(&mut m, &[i0, i1, i2], &mut d).unwrap();
    assert_eq!(s.cycles, 19);
    assert_eq!(get(&s, Event::NfuStallDrain), 3);
    assert_eq!(get(&s, Event::NfuStallStore), 7);
    assert_eq!(get(&s, Event::DmaStallWait), 4);
}

#[test]
fn decode_error_halts_after_draining() {
    // i0 loads 1 NBin row (granted 2, written end of 8). i1 is corrupt
    // (reserved bits set): held in 2 -> decode error, index 1. T = 9.
    let (mut m, mut d) = setup();
    let mut i0 = ins();
    i0.nbin = dma(DmaOp::Load, 0, 0, 1);
    let mut bad = end().encode().unwrap();
    *bad.last_mut().unwrap() |= 1 << 63;
    let words = vec![i0.encode().unwrap(), bad, end().encode().unwrap()];
    match run_words(&mut m, &words, &mut d) {
        Err(SimError::Halted {
            class: HaltClass::Decode,
            index: 1,
            cycle: 9,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(m.last_stats().unwrap().cycles, 9);
    assert_eq!(m.last_stats().unwrap().counters.get(Event::Instructions), 1);
}

#[test]
fn range_error_and_no_end() {
    // NBin rows 31..32 of a 32-row NBin: range error at index 0 in cycle 1,
    // nothing dispatched: T = 2.
    let (mut m, mut d) = setup();
    let mut i = end();
    i.nbin = dma(DmaOp::Load, 31, 0, 2);
    match run(&mut m, &[i], &mut d) {
        Err(SimError::Halted {
            class: HaltClass::Range,
            index: 0,
            cycle: 2,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    // One nop instruction: dispatched in 1; pc = 1 = length in 2: no_end,
    // index 1; T = 3.
    match run(&mut m, &[ins()], &mut d) {
        Err(SimError::Halted {
            class: HaltClass::NoEnd,
            index: 1,
            cycle: 3,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    // Empty imem: no_end at index 0 in cycle 1; T = 2.
    match run_words(&mut m, &[], &mut d) {
        Err(SimError::Halted {
            class: HaltClass::NoEnd,
            index: 0,
            cycle: 2,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn run_splits_into_segments_and_charges_loads() {
    // imem_depth 256 on tiny: 600 nop instructions -> segments of 255 + end,
    // 255 + end, 90 + end. Each segment of k instructions takes k + 1 cycles
    // (dispatch 1..k, halt k + 1). Loads of segments 2 and 3 cost
    // L + ceil(k * INSTR_BYTES / 8) cycles.
    let (mut m, mut d) = setup();
    let p = vec![ins(); 600];
    let s = m.run(&p, &mut d).unwrap();
    assert_eq!(s.segments, 3);
    let ib = arch::isa::fields::INSTR_BYTES as u64;
    let want = 257 + 257 + 92 + (L + (256 * ib).div_ceil(8)) + (L + (91 * ib).div_ceil(8));
    assert_eq!(s.cycles, want);
    assert_eq!(s.counters.get(Event::Cycles), want);
    assert_eq!(m.total_counters().get(Event::Instructions), 603);
}

#[test]
fn vcd_trace_has_the_contract_signals() {
    let (mut m, mut d) = setup();
    let buf = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
    struct W(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for W {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    m.set_vcd(Some(Box::new(W(buf.clone()))));
    let mut i = end();
    i.nbin = dma(DmaOp::Load, 0, 0, 2);
    i.nfu = nfu(NfuOp::Mac, AccIn::Zero, 1);
    let s = m.run(&[i], &mut d).unwrap();
    let text = String::from_utf8(buf.lock().unwrap().clone()).unwrap();
    for (block, name) in [
        ("cp", "pc"),
        ("cp", "dispatch"),
        ("nfu", "busy"),
        ("nfu", "seq"),
        ("port", "grant"),
        ("dma_nbin", "row"),
        ("dma_sb", "row"),
        ("dma_nbout", "row"),
    ] {
        assert!(
            text.contains(&format!("$scope module {block} $end")),
            "{block}"
        );
        assert!(text.contains(&format!(" {name} $end")), "{name}");
    }
    assert!(text.contains("$scope module top $end"));
    assert!(text.trim_end().ends_with(&format!("#{}", s.cycles)));
}
