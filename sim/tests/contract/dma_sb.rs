//! `dma_sb`: strided SB loads and port arbitration (SB has the lowest priority).

use super::*;

#[test]
fn load_strided_takes_20_cycles() {
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
    assert_eq!(s.cycles, fill(1) + 20);
    assert_eq!(get(&s, Event::SbWrites), 3);
    assert_eq!(get(&s, Event::PortBusy), 12 + FETCH_BEATS);
    for k in 0..3 {
        assert!(m
            .buffers()
            .sb_row(5 + k)
            .iter()
            .all(|&x| x == (k as i16 + 1) * 100));
    }
}

#[test]
fn load_loses_port_to_nbout_then_nbin_takes_16_cycles() {
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
    assert_eq!(s.cycles, fill(1) + 16);
    assert_eq!(get(&s, Event::DmaStallPort), 6);
    assert_eq!(get(&s, Event::PortBusy), 8 + FETCH_BEATS);
    assert_eq!(m.buffers().nbout_row(7), &[1, -2, 3, -4]);
}
