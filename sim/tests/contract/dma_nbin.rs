//! `dma_nbin`: NBin loads, their `wait`, and a load landing under a running op.

use super::*;

#[test]
fn load_n_rows_takes_2_plus_n_plus_l_cycles() {
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
        assert_eq!(s.cycles, fill(1) + 2 + n as u64 + L, "n = {n}");
        assert_eq!(get(&s, Event::NbinWrites), n as u64);
        assert_eq!(get(&s, Event::PortBusy), n as u64 + FETCH_BEATS);
        assert_eq!(get(&s, Event::DramReadBytes), 8 * n as u64 + INSTR_BYTES);
        assert_eq!(&m.buffers().nbin[..4 * n as usize], &words[..]);
    }
}

#[test]
fn load_wait_1_waits_for_previous_nfu_op_takes_17_cycles() {
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
        assert_eq!(s.cycles, fill(2) + t, "wait {w}");
        assert_eq!(get(&s, Event::DmaStallWait), stall);
    }
}

#[test]
fn load_overwriting_rows_of_a_running_op_takes_18_cycles() {
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
    assert_eq!(s.cycles, fill(2) + 2 + 12 + D);
    let mut nbv = old.clone();
    nbv.extend_from_slice(&new);
    let rows: Vec<(usize, usize)> = (0..12).map(|k| (if k < 8 { 0 } else { 1 }, k)).collect();
    let want: Vec<i32> = (0..4)
        .map(|n| mac_ref(&nbv, &sb, &rows, 0, n, false))
        .collect();
    assert_eq!(m.buffers().nbout_row(0), &want[..]);
}
