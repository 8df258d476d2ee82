//! The NFU overlap rule (docs/microarchitecture.md, "Dependency
//! bookkeeping"): an op starts the cycle after the previous op's last
//! issue, unless it accumulates onto NBout (`in=nbout`) and a pending
//! output targets one of its rows `nbout .. nbout + D`. Each test checks
//! the cycle count, the drain stalls and the NBout contents (the later op
//! must see the earlier op's writes).

use super::*;

/// NBin 8 rows, SB 4 rows of pseudo-random data, preloaded.
fn data(m: &mut Machine, d: &mut Dram) -> (Vec<i16>, Vec<i16>) {
    let nb = pseudo(8 * 4, 71, 3000);
    let sb = pseudo(4 * 16, 73, 3000);
    preload(m, d, &nb, &sb);
    (nb, sb)
}

#[test]
fn back_to_back_ops_take_11_cycles() {
    // i0: mac zero ni=3 -> row 0: dispatch 1, starts 2, issues 2..4,
    //     written end of 4 + D = 8.
    // i1: mac zero ni=2 -> row 1: dispatch 2, visible 3, rule (a) holds
    //     from 5 (i0's last issue was 4): drain-stalled 3..4, issues 5..6,
    //     written end of 6 + D = 10; T = 11 (it was 15 when an op waited
    //     for the previous op's completion).
    let (mut m, mut d) = setup();
    let (nb, sb) = data(&mut m, &mut d);
    let mut i0 = ins();
    i0.nfu = nfu(NfuOp::Mac, AccIn::Zero, 3);
    let mut i1 = end();
    i1.nfu = nfu(NfuOp::Mac, AccIn::Zero, 2);
    i1.nfu.nbin = 3;
    i1.nfu.nbout = 1;
    let s = run(&mut m, &[i0, i1], &mut d).unwrap();
    assert_eq!(s.cycles, fill(2) + 7 + D);
    assert_eq!(get(&s, Event::NfuStallDrain), 2);
    assert_eq!(get(&s, Event::NfuBusy), 5);
    for n in 0..4 {
        let a = mac_ref(&nb, &sb, &[(0, 0), (1, 1), (2, 2)], 0, n, false);
        let b = mac_ref(&nb, &sb, &[(3, 0), (4, 1)], 0, n, false);
        assert_eq!(m.buffers().nbout_row(0)[n], a, "lane {n}");
        assert_eq!(m.buffers().nbout_row(1)[n], b, "lane {n}");
    }
}

#[test]
fn accumulating_onto_a_pending_row_waits_for_its_write_15_cycles() {
    // i0: mac zero ni=3 -> row 0, issues 2..4, written end of 8.
    // i1: mac in=nbout ni=2 onto row 0: rule (b) holds it while row 0 is
    //     pending (write cycle 8 >= s): drain-stalled 3..8, starts 9 and
    //     reads row 0 there (i0's sum), issues 9..10, written end of 14;
    //     T = 15.
    let (mut m, mut d) = setup();
    let (nb, sb) = data(&mut m, &mut d);
    let mut i0 = ins();
    i0.nfu = nfu(NfuOp::Mac, AccIn::Zero, 3);
    let mut i1 = end();
    i1.nfu = nfu(NfuOp::Mac, AccIn::Nbout, 2);
    i1.nfu.nbin = 3;
    let s = run(&mut m, &[i0, i1], &mut d).unwrap();
    assert_eq!(s.cycles, fill(2) + 15);
    assert_eq!(get(&s, Event::NfuStallDrain), 6);
    assert_eq!(get(&s, Event::NboutReads), 1);
    for n in 0..4 {
        let a = mac_ref(&nb, &sb, &[(0, 0), (1, 1), (2, 2)], 0, n, false);
        let ab = mac_ref(&nb, &sb, &[(3, 0), (4, 1)], a, n, false);
        assert_eq!(m.buffers().nbout_row(0)[n], ab, "lane {n}");
    }
}

#[test]
fn only_pending_rows_below_nbout_plus_d_hold_an_op_20_cycles() {
    // i0: mac zero, 6 outputs of 1 step (npx=6, spx=1) -> rows 0..5:
    //     issues 2..7, row j written end of 2 + j + D = 6 + j.
    // i1: mac in=nbout onto rows 0..5 (same shape), visible 3. Rule (a)
    //     holds from 8. In 8 the pending rows are 2..5 (writes 8..11); rows
    //     2 and 3 are in [0, D) = [0, 4): held. In 9: rows 3..5 pending,
    //     row 3 in the window: held. In 10: rows 4, 5 pending (writes 10,
    //     11), none below 4: starts 10. It reads row j in 10 + j, after
    //     i0's write of row j (6 + j). Drain-stalled 3..9 = 7 cycles;
    //     issues 10..15, last written end of 19; T = 20.
    let (mut m, mut d) = setup();
    let (nb, sb) = data(&mut m, &mut d);
    let mut i0 = ins();
    i0.nfu = nfu(NfuOp::Mac, AccIn::Zero, 1);
    i0.nfu.npx = 6;
    i0.nfu.spx = 1;
    let mut i1 = end();
    i1.nfu = i0.nfu;
    i1.nfu.acc_in = AccIn::Nbout;
    i1.nfu.nbin = 2;
    i1.nfu.sb = 1;
    let s = run(&mut m, &[i0, i1], &mut d).unwrap();
    assert_eq!(s.cycles, fill(2) + 20);
    assert_eq!(get(&s, Event::NfuStallDrain), 7);
    assert_eq!(get(&s, Event::NboutReads), 6);
    for j in 0..6 {
        for n in 0..4 {
            let a = mac_ref(&nb, &sb, &[(j, 0)], 0, n, false);
            let ab = mac_ref(&nb, &sb, &[(j + 2, 1)], a, n, false);
            assert_eq!(m.buffers().nbout_row(j)[n], ab, "row {j} lane {n}");
        }
    }
}

#[test]
fn a_store_after_overlapped_ops_waits_for_the_last_completion() {
    // i0, i1 as in back_to_back_ops_take_11_cycles (rows 0 and 1, written
    // end of 8 and 10; the ops complete in order). i2: storen rows 0..1
    // with wait 1 (after i1's op): nfu_done reaches 2 from cycle 11; the
    // store starts in 11, its rows (one 8-byte beat each) are granted in
    // 11 and 12 and written end of 11 + L = 17 and 12 + L = 18; T = 19.
    let (mut m, mut d) = setup();
    let (nb, sb) = data(&mut m, &mut d);
    let mut i0 = ins();
    i0.nfu = nfu(NfuOp::Mac, AccIn::Zero, 3);
    let mut i1 = ins();
    i1.nfu = nfu(NfuOp::Mac, AccIn::Zero, 2);
    i1.nfu.nbin = 3;
    i1.nfu.nbout = 1;
    let mut i2 = end();
    i2.nbout = with_wait(dma(DmaOp::StoreNarrow, 0, 0x100, 2), 1);
    let s = run(&mut m, &[i0, i1, i2], &mut d).unwrap();
    assert_eq!(s.cycles, fill(3) + 19);
    let got = d.read_i16s(0x100, 8).unwrap();
    for n in 0..4 {
        let a = mac_ref(&nb, &sb, &[(0, 0), (1, 1), (2, 2)], 0, n, false);
        let b = mac_ref(&nb, &sb, &[(3, 0), (4, 1)], 0, n, false);
        assert_eq!(got[n], a as i16, "row 0 lane {n}");
        assert_eq!(got[4 + n], b as i16, "row 1 lane {n}");
    }
}
