//! `cp`: `end`, dispatch stalls on full queues, error halts (decode, range,
//! no_end, fetch), programs longer than imem, and the VCD trace.

use super::*;

#[test]
fn end_alone_takes_2_cycles() {
    // S = fill(1) reads imem[0]; S + 1 dispatches end; S + 2 is the first
    // cycle with the CP stopped and everything empty: T = S + 2.
    let (mut m, mut d) = setup();
    let s = run(&mut m, &[end()], &mut d).unwrap();
    assert_eq!(s.cycles, fill(1) + 2);
    assert_eq!(get(&s, Event::Cycles), fill(1) + 2);
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
    assert_eq!(s.cycles, fill(5) + 28);
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
            cycle,
            ..
        }) => assert_eq!(cycle, fill(3) + 9),
        other => panic!("{other:?}"),
    }
    assert_eq!(m.last_stats().unwrap().cycles, fill(3) + 9);
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
            cycle,
            ..
        }) => assert_eq!(cycle, fill(1) + 2),
        other => panic!("{other:?}"),
    }
    // One nop instruction: dispatched in 1; pc = 1 = length in 2: no_end,
    // index 1; T = 3.
    match run(&mut m, &[ins()], &mut d) {
        Err(SimError::Halted {
            class: HaltClass::NoEnd,
            index: 1,
            cycle,
            ..
        }) => assert_eq!(cycle, fill(1) + 3),
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
fn program_longer_than_imem_streams_through_the_prefetch_buffer_takes_6008_cycles() {
    // imem_depth 256 on tiny, an instruction is 10 beats. 600 nops + end.
    // Fill: instructions 0..255 granted in 0, 10, ..., 2550; the last lands
    // at the end of 2550 + 6 + 10 - 1 = 2565: S = 2566 = fill(256).
    // Instruction 0 dispatches in S + 1 (pc = 1 from S + 2); from then the
    // fetch requests instruction 256 + k once pc > k, so the port streams one
    // instruction every 10 cycles: instruction 256 is granted in S + 2 and
    // lands at the end of S + 2 + 15 = S + 17, instruction j >= 256 lands at
    // the end of S + 17 + 10 (j - 256) and is dispatched two cycles later
    // (the CP dispatches 0..255 in S + 1 .. S + 256, long before). The end
    // (j = 600) lands at the end of S + 17 + 3440, dispatches in S + 3459;
    // T = S + 3460 = 6026.
    let (mut m, mut d) = setup();
    let mut p = vec![ins(); 600];
    p.push(end());
    let s = m.run(&p, &mut d).unwrap();
    let start = fill(256);
    assert_eq!(start, 2566);
    assert_eq!(s.cycles, start + 3460);
    assert_eq!(get(&s, Event::Instructions), 601);
    assert_eq!(get(&s, Event::InstrFetches), 601);
    assert_eq!(get(&s, Event::PortBusy), 601 * FETCH_BEATS);
    // cycles after the start the CP waited for an instruction to land
    assert_eq!(get(&s, Event::CpStallFetch), 3460 - 1 - 601);
}

#[test]
fn fetch_errors_and_no_end_take_their_index() {
    // A program whose instructions run past the end of DRAM: the first
    // instruction outside DRAM is a `fetch` error at its index. Here the
    // 4 nops fit and instruction 4 starts 40 bytes before the end.
    let (mut m, mut d) = setup();
    let size = d.size();
    let base = size - 4 * INSTR_BYTES - 40;
    let nop = ins().encode().unwrap();
    for k in 0..4 {
        d.write(
            base + k * INSTR_BYTES,
            &arch::isa::program::word_bytes(&nop),
        )
        .unwrap();
    }
    // fill: 4 rows, S = L + 40; dispatches S+1..S+4, holds 4 in S+5: T = S + 6
    match m.run_at(base, 6, &mut d) {
        Err(SimError::Halted {
            class: HaltClass::Fetch,
            index: 4,
            cycle,
            ..
        }) => {
            assert_eq!(cycle, fill(4) + 6)
        }
        other => panic!("{other:?}"),
    }
    // A base outside DRAM (an unmapped address): nothing is fetched, S = 0,
    // fetch error at index 0 in cycle 1: T = 2. An odd base likewise.
    for base in [size, size + 0x1000, 0x101] {
        match m.run_at(base, 3, &mut d) {
            Err(SimError::Halted {
                class: HaltClass::Fetch,
                index: 0,
                cycle: 2,
                ..
            }) => {}
            other => panic!("base {base:#x}: {other:?}"),
        }
    }
    // A program without `end`: no_end at its length (3 dispatches, T = S + 5).
    match m.run_at(base, 3, &mut d) {
        Err(SimError::Halted {
            class: HaltClass::NoEnd,
            index: 3,
            cycle,
            ..
        }) => {
            assert_eq!(cycle, fill(3) + 5)
        }
        other => panic!("{other:?}"),
    }
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
