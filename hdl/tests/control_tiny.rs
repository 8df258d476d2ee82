//! Control-side behaviour of the tiny top (Tn = 4, L = 6, 8 B/cycle, D = 4,
//! Q = 2): exact halt cycles derived from docs/microarchitecture.md, checked
//! in rust-hdl's simulator and on the emitted Verilog under Icarus. The
//! program sits in the DRAM model at [`PROG_BASE`] and is fetched by the
//! machine; the counts in the comments are cycles after the start S =
//! [`fill`]`(n)` (docs/microarchitecture.md, "Instruction fetch").

use arch::isa::fields::Word;
use arch::isa::{AccIn, CpOp, DmaOp, DmaSlot, Instruction, NfuOp, NfuSlot};
use arch::AccelConfig;
use hdl::flow::eda::{self, Tool};
use hdl::tb::system::TinySystem;
use rust_hdl::core::simulate::simulate;
use rust_hdl::prelude::*;
use std::collections::BTreeMap;

const AW: usize = 12;
/// DRAM byte address of the program (inside the 2^AW-word DRAM model).
const PROG_BASE: u64 = 0x1000;

/// Start cycle S of an n-instruction program: L + n * ceil(INSTR_BYTES / BPC).
fn fill(n: u64) -> u64 {
    let cfg = AccelConfig::tiny();
    cfg.dram.latency_cycles as u64 + n * cfg.beats(arch::isa::fields::INSTR_BYTES as u32) as u64
}

/// The DRAM model's initial words: `init` plus the program at [`PROG_BASE`].
fn with_program(prog: &[Word], init: &BTreeMap<u64, u16>) -> BTreeMap<u64, u16> {
    let mut m = init.clone();
    for (k, pair) in arch::isa::program::image(prog).chunks(2).enumerate() {
        m.insert(
            (PROG_BASE >> 1) + k as u64,
            u16::from_le_bytes([pair[0], pair[1]]),
        );
    }
    m
}

struct Outcome {
    cycles: u64,
    err_class: u64,
    err_index: u64,
    dram: Vec<u16>,
}

fn words(prog: &[Instruction]) -> Vec<Word> {
    prog.iter()
        .map(|i| i.encode().expect("encodable"))
        .collect()
}

fn clock(sys: &mut TinySystem<AW>, v: bool) {
    sys.clock.next = Clock { clk: v };
    assert!(simulate(sys, 10_000), "did not settle");
}

/// Run in rust-hdl; read back `n` words of DRAM from byte address `at`.
fn run_rust(prog: &[Word], len: u64, init: &BTreeMap<u64, u16>, at: u64, n: usize) -> Outcome {
    let cfg = AccelConfig::tiny();
    let mut sys = TinySystem::<AW>::build(&cfg, with_program(prog, init));
    sys.connect_all();
    sys.run.next = false;
    sys.prog_base.next = PROG_BASE.into();
    sys.prog_len.next = len.into();
    sys.seed.next = (cfg.lfsr_seed as u64).into();
    for _ in 0..2 {
        clock(&mut sys, false);
        clock(&mut sys, true);
    }
    sys.run.next = true;
    let mut n_cyc = 0;
    while !sys.done.val() {
        clock(&mut sys, false);
        clock(&mut sys, true);
        n_cyc += 1;
        assert!(n_cyc < 4000, "no halt");
    }
    let dram = (0..n).map(|k| sys.dram.word(at + 2 * k as u64)).collect();
    Outcome {
        cycles: sys.cycles.val().to_u64(),
        err_class: sys.err_class.val().to_u64(),
        err_index: sys.err_index.val().to_u64(),
        dram,
    }
}

/// Run the emitted Verilog under Icarus.
fn run_icarus(prog: &[Word], len: u64, init: &BTreeMap<u64, u16>, at: u64, n: usize) -> Outcome {
    let cfg = AccelConfig::tiny();
    let mut sys = TinySystem::<AW>::build(&cfg, with_program(prog, init));
    sys.connect_all();
    let v = generate_verilog(&sys);
    let dir = tempfile::tempdir().unwrap();
    let tb = format!(
        "module tb;\nreg clock = 0; reg run = 0; reg [{pcm1}:0] prog_len = {len}; reg [{dam1}:0] prog_base = {PROG_BASE}; reg [{seedm1}:0] seed = {seed};\n\
         wire done; wire [{errm1}:0] err_class; wire [{pcm1}:0] err_index; wire [{cycm1}:0] cycles;\n\
         top dut(.clock(clock), .run(run), .prog_base(prog_base), .prog_len(prog_len), .seed(seed), .done(done), .err_class(err_class), .err_index(err_index), .cycles(cycles));\n\
         always #5 clock = ~clock;\ninteger k;\n\
         initial begin\n  repeat (2) @(posedge clock);\n  #1 run = 1;\n\
           repeat (8000) begin @(posedge clock); #1 if (done) begin\n\
             $display(\"RESULT %0d %0d %0d\", cycles, err_class, err_index);\n\
             for (k = 0; k < {n}; k = k + 1) $display(\"W %0d\", dut.dram.mem[({at} >> 1) + k]);\n\
             $finish; end end\n  $display(\"TIMEOUT\"); $finish;\nend\nendmodule\n",
        pcm1 = hdl::widths::PCW - 1,
        dam1 = hdl::widths::DAW - 1,
        errm1 = hdl::widths::ERRW - 1,
        cycm1 = hdl::widths::CYCW - 1,
        seed = cfg.lfsr_seed,
        seedm1 = hdl::widths::SEEDW - 1,
    );
    std::fs::write(dir.path().join("sys.v"), v).unwrap();
    std::fs::write(dir.path().join("tb.v"), tb).unwrap();
    eda::run(
        Tool::Iverilog,
        &["-g2012", "-o", "sim", "tb.v", "sys.v"],
        Some(dir.path()),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = eda::run_unchecked(Tool::Vvp, &["sim"], Some(dir.path()))
        .unwrap_or_else(|e| panic!("{e}"))
        .stdout;
    let mut o = Outcome {
        cycles: u64::MAX,
        err_class: 0,
        err_index: 0,
        dram: vec![],
    };
    for l in out.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        match f.first() {
            Some(&"RESULT") => {
                o.cycles = f[1].parse().unwrap();
                o.err_class = f[2].parse().unwrap();
                o.err_index = f[3].parse().unwrap();
            }
            Some(&"W") => o.dram.push(f[1].parse().unwrap()),
            _ => {}
        }
    }
    assert!(o.cycles != u64::MAX, "no result from Icarus:\n{out}");
    o
}

fn check(
    prog: &[Word],
    len: u64,
    init: &BTreeMap<u64, u16>,
    at: u64,
    n: usize,
    cycles: u64,
    err: (u64, u64),
    dram: &[u16],
) {
    for (who, o) in [
        ("rust-hdl", run_rust(prog, len, init, at, n)),
        ("icarus", run_icarus(prog, len, init, at, n)),
    ] {
        println!(
            "{who}: {} cycles, err {} at {}",
            o.cycles, o.err_class, o.err_index
        );
        assert_eq!(o.cycles, cycles, "{who}: halt cycle");
        assert_eq!((o.err_class, o.err_index), err, "{who}: error status");
        assert_eq!(o.dram, dram, "{who}: DRAM");
    }
}

fn nbin(row: u32, dram: u32, rows: u32) -> Instruction {
    Instruction {
        nbin: DmaSlot::contiguous(DmaOp::Load, row, dram, rows),
        ..Default::default()
    }
}

#[test]
fn dma_of_three_rows() {
    // dispatch 1, start 2, grants 2,3,4 (1 beat each), last row written end of 4+6 -> T = 11
    let p = words(&[nbin(0, 0, 3), Instruction::end()]);
    check(&p, 2, &BTreeMap::new(), 0, 0, fill(2) + 11, (0, 0), &[]);
}

#[test]
fn arbitration_nbin_before_sb() {
    // nbin grants 2,3; SB (4 beats) granted 4, written end of 4+6+4-1 = 13 -> T = 14
    let mut i = nbin(0, 0, 2);
    i.sb = DmaSlot::contiguous(DmaOp::Load, 0, 0x100, 1);
    let p = words(&[i, Instruction::end()]);
    check(&p, 2, &BTreeMap::new(), 0, 0, fill(2) + 14, (0, 0), &[]);
}

#[test]
fn queue_full_stall() {
    // Q = 2: i3 stalls in cycles 4..6, dispatches in 7; i3 granted 14..17 -> T = 24
    let p = words(&[
        nbin(0, 0, 4),
        nbin(4, 64, 4),
        nbin(8, 128, 4),
        nbin(12, 192, 4),
        Instruction::end(),
    ]);
    check(&p, 5, &BTreeMap::new(), 0, 0, fill(5) + 24, (0, 0), &[]);
}

#[test]
fn loadw_then_storen_roundtrip() {
    // loadw granted 2, written end of 8; storen dispatched 8, granted 9, DRAM written end of 15 -> T = 16
    let mut prog = vec![Instruction {
        nbout: DmaSlot::contiguous(DmaOp::LoadWiden, 0, 0, 1),
        ..Default::default()
    }];
    prog.extend(std::iter::repeat(Instruction::default()).take(6));
    prog.push(Instruction {
        nbout: DmaSlot::contiguous(DmaOp::StoreNarrow, 0, 0x100, 1),
        ..Default::default()
    });
    prog.push(Instruction::end());
    let init: BTreeMap<u64, u16> = [0x0101u16, 0xFF80, 0x7FFF, 0x8000]
        .iter()
        .enumerate()
        .map(|(k, v)| (k as u64, *v))
        .collect();
    let p = words(&prog);
    check(
        &p,
        p.len() as u64,
        &init,
        0x100,
        4,
        fill(p.len() as u64) + 16,
        (0, 0),
        &[0x0100, 0x8000, 0xFF00, 0x0000],
    );
}

#[test]
fn store_waits_for_nfu() {
    // nbin written end of 8; NFU starts 9, output written end of 9+4; store starts 14, DRAM end of 20 -> T = 21
    let mac = NfuSlot {
        op: NfuOp::Mac,
        npy: 1,
        npx: 1,
        nky: 1,
        ni: 1,
        ..NfuSlot::NOP
    };
    let prog = [
        nbin(0, 0, 1),
        Instruction {
            nfu: mac,
            ..Default::default()
        },
        Instruction {
            nbout: DmaSlot::contiguous(DmaOp::StoreNarrow, 0, 0x200, 1),
            ..Default::default()
        },
        Instruction::end(),
    ];
    let p = words(&prog);
    check(&p, 4, &BTreeMap::new(), 0x200, 0, fill(4) + 21, (0, 0), &[]);
}

#[test]
fn decode_error_halts() {
    // reserved bit set: error detected in cycle 1, halt at 2
    let mut w = Instruction::default().encode().unwrap();
    *w.last_mut().unwrap() |= 1u64 << 63;
    check(
        &[w, Instruction::end().encode().unwrap()],
        2,
        &BTreeMap::new(),
        0,
        0,
        fill(2) + 2,
        (1, 0),
        &[],
    );
}

#[test]
fn range_error_and_no_end() {
    // nbin rows beyond the 32-row buffer: range error at instruction 1 (detected cycle 2) -> T = 3
    let p = words(&[Instruction::default(), nbin(30, 0, 4), Instruction::end()]);
    check(&p, 3, &BTreeMap::new(), 0, 0, fill(3) + 3, (2, 1), &[]);
    // one nop and no end: pc = 1 = length in cycle 2 -> T = 3
    let p = words(&[Instruction {
        cp: CpOp::Nop,
        ..Default::default()
    }]);
    check(&p, 1, &BTreeMap::new(), 0, 0, fill(1) + 3, (3, 1), &[]);
}

#[test]
fn nfu_ops_overlap_bias_and_in_nbout_chain() {
    // Three NFU ops back to back under the overlap rule (docs/microarchitecture.md,
    // "Dependency bookkeeping"), D = 4, with their data: the bias register
    // and the datapath control of overlapping ops, and an in=nbout op held by
    // rule (b) until the rows it reads are written.
    // i0: NBin row 0 (zeros, 1 beat) and SB rows 0..2 (32 B = 4 beats each):
    //     dispatch 1, both DMAs start 2; NBin granted 2 (written end of 8),
    //     SB granted 3, 7, 11 (port busy 4 beats), written end of g + 6 + 4 - 1
    //     = 12, 16, 20: sb_done visible from 21.
    // i1 A: mac, in=bias (SB row 0 + 1*1 = 1), 2 outputs into rows 0, 1.
    //     Dispatch 2; starts 21 (bias cycle), issues 22, 23; row 0 written
    //     end of 26, row 1 end of 27; completes end of 27.
    // i2 B: mac, in=bias (SB row 1 + 1 = 2), 1 output into row 2. Dispatch 3;
    //     head from 22 (A left at the end of 21); (a) fails in 22, 23 (A
    //     issuing); starts 24 (bias cycle; before the overlap rule: 28),
    //     issue 25, row 2 written end of 29; completes end of 29.
    // i3 C: mac, in=nbout, 3 outputs into rows 0..2 (reads the rows A and B
    //     write; NBin is zero, so it adds 0). NFU queue full (A, B) from
    //     cycle 4; dispatch 22 (A left at the end of 21), head from 25 (B left
    //     at the end of 24). 25: (a) fails (B's issue 25). 26..29: (b) fails,
    //     rows in [0, 4) pending (row 0 write 26, row 1 27, row 2 29).
    //     Starts 30, issues 30, 31, 32, written end of 34, 35, 36; completes
    //     end of 36.
    // i4: store rows 0..2 (16 B = 2 beats each), wait 0: after nfu_done >= 3,
    //     visible from 37. Dispatch 23; starts 37, granted 37, 39, 41; the
    //     last row reaches DRAM at the end of 41 + 6 + 2 - 1 = 48 -> T = 49.
    //     (Before the overlap rule: B from 28, C from 34, T = 53.)
    // i5: end, dispatch 24.
    // Results: entry = bias word sign-extended << frac (8) (+ 0 products):
    //     rows 0 and 1 A's bias, row 2 B's; a C started before the writes
    //     would read the old zero rows.
    let cfg = AccelConfig::tiny();
    let frac = cfg.frac_bits;
    let bias_a: [i16; 4] = [1, 2, 3, -1];
    let bias_b: [i16; 4] = [-5, 6, 7, 0x7f];
    let mac = |acc_in: AccIn, sb: u32, nbout: u32, npx: u32| NfuSlot {
        op: NfuOp::Mac,
        acc_in,
        sb,
        nbout,
        npy: 1,
        npx,
        nky: 1,
        ni: 1,
        ..NfuSlot::NOP
    };
    let mut i0 = nbin(0, 0, 1);
    i0.sb = DmaSlot::contiguous(DmaOp::Load, 0, 0x100, 3);
    let prog = [
        i0,
        Instruction {
            nfu: mac(AccIn::Bias, 0, 0, 2),
            ..Default::default()
        },
        Instruction {
            nfu: mac(AccIn::Bias, 1, 2, 1),
            ..Default::default()
        },
        Instruction {
            nfu: mac(AccIn::Nbout, 0, 0, 3),
            ..Default::default()
        },
        Instruction {
            nbout: DmaSlot::contiguous(DmaOp::Store, 0, 0x200, 3),
            ..Default::default()
        },
        Instruction::end(),
    ];
    // SB rows of Tn*Tn = 16 words at byte 0x100: row 0 zero, row 1 A's bias, row 2 B's
    let mut init = BTreeMap::new();
    for (row, b) in [(1u64, bias_a), (2, bias_b)] {
        for (n, w) in b.iter().enumerate() {
            init.insert((0x100 >> 1) + row * 16 + n as u64, *w as u16);
        }
    }
    let mut want = vec![];
    for b in [bias_a, bias_a, bias_b] {
        for w in b {
            let e = ((w as i32) << frac) as u32;
            want.extend([e as u16, (e >> 16) as u16]);
        }
    }
    let p = words(&prog);
    check(&p, 6, &init, 0x200, 24, fill(6) + 49, (0, 0), &want);
}
