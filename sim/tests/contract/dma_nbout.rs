//! `dma_nbout`: `loadw`, `store`, `storen`, and stores waiting for NFU ops.

use super::*;

#[test]
fn loadw_takes_9_then_store_storen_take_11_cycles() {
    // Run A: loadw 1 row (1 beat): grant 2, written end of 8, T = 9.
    let (mut m, mut d) = setup();
    d.write_i16s(0x100, &[1, -1, 300, -32768]).unwrap();
    let mut i = end();
    i.nbout = dma(DmaOp::LoadWiden, 3, 0x100, 1);
    let s = run(&mut m, &[i], &mut d).unwrap();
    assert_eq!(s.cycles, fill(1) + 9);
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
    assert_eq!(s.cycles, fill(2) + 11);
    assert_eq!(get(&s, Event::DmaStallPort), 1);
    assert_eq!(get(&s, Event::DramWriteBytes), 16 + 8);
    assert_eq!(d.read_i32s(0x200, 4).unwrap(), widened);
    let low: Vec<i16> = widened.iter().map(|x| *x as i16).collect();
    assert_eq!(d.read_i16s(0x300, 4).unwrap(), low);
}

#[test]
fn store_reads_nbout_in_its_grant_cycle_takes_10_cycles() {
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
    assert_eq!(s.cycles, fill(2) + 10);
    assert_eq!(d.read_i16s(0x200, 4).unwrap(), vec![0, 0, 0, 0]);
}

#[test]
fn store_after_its_mac_takes_32_cycles() {
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
    assert_eq!(s.cycles, fill(2) + 32);
    assert_eq!(get(&s, Event::NfuStallLoad), 15);
    assert_eq!(get(&s, Event::DmaStallWait), 21);
    assert_eq!(get(&s, Event::DmaStallPort), 5);
    assert_eq!(get(&s, Event::PortBusy), 12 + 2 * FETCH_BEATS);
    assert_eq!(get(&s, Event::NfuBusy), 2);
    let want: Vec<i32> = (0..4)
        .map(|n| mac_ref(&nb, &sb, &[(0, 0), (1, 1)], 0, n, false))
        .collect();
    assert_eq!(d.read_i32s(0x2000, 4).unwrap(), want);
}
