//! `cp`: `end`, dispatch stalls on full queues, error halts (decode, range,
//! no_end), programs longer than imem, and the VCD trace.

use super::*;

#[test]
fn end_alone_takes_2_cycles() {
    // cycle 0 reads imem[0]; cycle 1 dispatches end; cycle 2 is the first
    // cycle with the CP stopped and everything empty: T = 2.
    let (mut m, mut d) = setup();
    let s = run(&mut m, &[end()], &mut d).unwrap();
    assert_eq!(s.cycles, 2);
    assert_eq!(get(&s, Event::Cycles), 2);
    assert_eq!(get(&s, Event::Instructions), 1);
}

#[test]
fn dispatch_into_full_queues_stalls_takes_28_cycles() {
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
fn decode_error_halts_after_draining_takes_9_cycles() {
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
fn range_error_takes_2_and_no_end_takes_3_or_2_cycles() {
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
fn program_longer_than_imem_runs_in_segments_takes_606_plus_load_cycles() {
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
