//! Block tests of the control processor (`hdl::core::cp::Cp`, tiny preset):
//! alone, emitted and checked by Verilator and Yosys; a clocked table of
//! fetch, a queue-full stall, dispatch with the queue entry's fields, END and
//! halt; and the decoder's verdict on many encodings (valid, and invalid in
//! every way `Instruction::decode` and `Instruction::check` reject) compared
//! with arch's, in rust-hdl and on the emitted Verilog under Icarus.

mod common;
use arch::isa::fields::{self, Word, F, FIELDS, INSTR_BITS, NUM_FIELDS, USED_BITS};
use arch::isa::{CpOp, DmaOp, DmaSlot, Instruction};
use arch::AccelConfig;
use common::*;
use hdl::core::cp::Cp;
use hdl::tb::verilog_test::Port;
use hdl::top::word_bits;
use hdl::widths::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_hdl::core::simulate::simulate;
use rust_hdl::prelude::*;

/// log2 of the tiny preset's imem depth.
const IA: usize = 8;

/// A control processor with `words` at the start of imem and the rest of
/// imem zero (so the Verilog reads no uninitialised word).
fn cp(words: &[Word]) -> Cp<IA> {
    let mut w: Vec<Instr> = words.iter().map(word_bits).collect();
    w.resize(1 << IA, Instr::default());
    Cp::preloaded(&AccelConfig::tiny(), &w)
}

#[test]
fn cp_synthesizes() {
    synthesizes(&mut cp(&[]));
}

fn io_ports() -> (Vec<Port>, Vec<Port>) {
    let ins = [
        ("clr", 1),
        ("prog_len", PCW),
        ("imem_we", 1),
        ("imem_waddr", IA),
        ("imem_wdata", IB),
        ("full_nbin", 1),
        ("full_sb", 1),
        ("full_nbout", 1),
        ("full_nfu", 1),
        ("prog_base", DAW),
        ("arrived", PCW),
        ("fetch_idle", 1),
    ];
    let outs = [
        ("push_nbin", 1),
        ("push_nfu", 1),
        ("ent_nbin", DMA_ENTRY_BITS),
        ("stopped", 1),
        ("err_class", ERRW),
        ("err_index", PCW),
        ("pc", PCW),
        ("dispatch", 1),
        ("stall_full", 1),
    ];
    let p = |v: &[(&str, usize)]| v.iter().map(|(n, w)| Port::new(n, *w)).collect::<Vec<_>>();
    (p(&ins), p(&outs))
}

fn apply(c: &mut Cp<IA>, r: &[String]) {
    c.clr.next = r[0] == "1";
    c.prog_len.next = from_hex(&r[1]);
    c.imem_we.next = r[2] == "1";
    c.imem_waddr.next = from_hex(&r[3]);
    c.imem_wdata.next = from_hex(&r[4]);
    c.full_nbin.next = r[5] == "1";
    c.full_sb.next = r[6] == "1";
    c.full_nbout.next = r[7] == "1";
    c.full_nfu.next = r[8] == "1";
    c.prog_base.next = from_hex(&r[9]);
    c.arrived.next = from_hex(&r[10]);
    c.fetch_idle.next = r[11] == "1";
}

fn read(c: &Cp<IA>) -> Vec<String> {
    vec![
        hb(c.push_nbin.val()),
        hb(c.push_nfu.val()),
        hex(c.ent_nbin.val()),
        hb(c.stopped.val()),
        hex(c.err_class.val()),
        hex(c.err_index.val()),
        hex(c.pc.val()),
        hb(c.dispatch.val()),
        hb(c.stall_full.val()),
    ]
}

#[test]
fn cp_behaves_stall_dispatch_end() {
    let load = Instruction {
        nbin: DmaSlot {
            wait: 0,
            ..DmaSlot::contiguous(DmaOp::Load, 2, 0x40, 3)
        },
        ..Default::default()
    };
    let prog = [load.encode().unwrap(), Instruction::end().encode().unwrap()];
    // the NBin queue entry the dispatch must carry (layout hdl::widths::dma_entry)
    let mut e = Bits::<DMA_ENTRY_BITS>::default();
    e.set_value_op(dma_op_code(DmaOp::Load).into());
    e.set_value_row(2.into());
    e.set_value_dram(0x40.into());
    e.set_value_n0(3.into());
    e.set_value_n1(1.into());
    e.set_value_n2(1.into());
    let ent = hex(e);
    let (ins, outs) = io_ports();
    let z = "0";
    // the fetch unit is idle and every instruction has arrived (the CP alone)
    const F: &str = "100";
    #[rustfmt::skip]
    let t = [
        //   clr len  we  wa  wd  full nbin sb nbout nfu | push_nbin push_nfu ent stopped class index pc dispatch stall
        cyc(&["1", "2", z, z, z, "0", "0", "0", "0", z, F, "1"], &["-", "-", "-", "-", "-", "-", "-", "-", "-"]),
        // cycle 0: instruction 0 is being fetched
        cyc(&["0", "2", z, z, z, "1", "0", "0", "0", z, F, "1"], &["0", "0", "-", "0", "0", "0", "0", "0", "0"]),
        // instruction 0 is held; its NBin queue is full: stall
        cyc(&["0", "2", z, z, z, "1", "0", "0", "0", z, F, "1"], &["0", "0", "-", "0", "0", "0", "0", "0", "1"]),
        // a full queue of another unit does not stall it
        cyc(&["0", "2", z, z, z, "0", "1", "1", "1", z, F, "1"], &["1", "0", &ent, "0", "0", "0", "0", "1", "0"]),
        // END dispatches
        cyc(&["0", "2", z, z, z, "0", "0", "0", "0", z, F, "1"], &["0", "0", "-", "0", "0", "0", "1", "1", "0"]),
        // stopped, no error
        cyc(&["0", "2", z, z, z, "0", "0", "0", "0", z, F, "1"], &["0", "0", "-", "1", "0", "0", "2", "0", "0"]),
        cyc(&["0", "2", z, z, z, "0", "0", "0", "0", z, F, "1"], &["0", "0", "-", "1", "0", "0", "2", "0", "0"]),
    ];
    let mut c = cp(&prog);
    // the first cycle's outputs depend on imem's read register before its first read (unknown in Verilog)
    behaves_after(
        &mut c,
        &ins,
        &outs,
        &t,
        1,
        |c, v| c.clock.next = Clock { clk: v },
        apply,
        read,
    );
}

// ---------------------------------------------------------------- decode and range checks

/// arch's verdict on a word run as a one-instruction program: (err_class,
/// err_index, stopped) after it: decode error (1, 0), range error (2, 0),
/// END (0, 0, stopped), anything else dispatches and runs off the end (3, 1).
fn arch_verdict(w: &Word, cfg: &AccelConfig) -> (u64, u64) {
    match Instruction::decode(w) {
        Err(_) => (ERR_DECODE, 0),
        Ok(i) => match i.check(cfg) {
            Err(_) => (ERR_RANGE, 0),
            Ok(()) if i.cp == CpOp::End => (ERR_NONE, 0),
            Ok(()) => (ERR_NO_END, 1),
        },
    }
}

fn put(w: &mut Word, f: F, v: u64) {
    let i = f as usize;
    let lsb = fields::lsb_at(i);
    let width = FIELDS[i].width;
    let m = if width >= 64 {
        u64::MAX
    } else {
        (1 << width) - 1
    };
    // clear, then set
    for b in 0..width {
        let pos = lsb + b;
        w[(pos / 64) as usize] &= !(1u64 << (pos % 64));
    }
    fields::put(w, lsb, width, v & m);
}

/// Random encodings around the edges of every check: active slots with
/// counts 0 / 1 / small, rows and DRAM ends around the buffers' and DRAM's
/// sizes, odd addresses and strides, codes past each enum, non-zero fields in
/// nop slots, reserved bits, and single fields at their maximum.
fn encodings(n: usize, seed: u64) -> Vec<Word> {
    let cfg = AccelConfig::tiny();
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    let dram = cfg.dram.size_bytes;
    let mut out = Vec::new();
    let dma = arch::isa::DMA_FIELDS;
    while out.len() < n {
        let mut w: Word = [0; fields::INSTR_WORDS];
        if r.gen_bool(0.3) {
            put(&mut w, F::CP_OP, 1);
        } else if r.gen_bool(0.05) {
            put(&mut w, F::CP_OP, r.gen_range(0..4));
        }
        for (bi, fs) in dma.iter().enumerate() {
            if !r.gen_bool(0.5) {
                if r.gen_bool(0.1) {
                    let f = fs[r.gen_range(1..9)];
                    put(&mut w, f, 1 << r.gen_range(0..FIELDS[f as usize].width));
                }
                continue;
            }
            let legal = if bi == 2 { 4 } else { 1 };
            let op = if r.gen_bool(0.9) {
                r.gen_range(1..=legal)
            } else {
                r.gen_range(0..8)
            };
            let rows = [cfg.nbin_rows(), cfg.sb_rows(), cfg.nbout_rows()][bi] as u64;
            let count = |r: &mut ChaCha8Rng| {
                if r.gen_bool(0.05) {
                    0
                } else {
                    r.gen_range(1..4)
                }
            };
            let vals = [
                op,
                r.gen_range(0..8),
                r.gen_range(0..rows + 2),
                if r.gen_bool(0.2) {
                    dram - r.gen_range(0..4) * 16
                } else {
                    2 * r.gen_range(0..1024) + u64::from(r.gen_bool(0.05))
                },
                count(&mut r),
                count(&mut r),
                2 * r.gen_range(0..64) + u64::from(r.gen_bool(0.05)),
                count(&mut r),
                2 * r.gen_range(0..64) + u64::from(r.gen_bool(0.05)),
            ];
            for (f, v) in fs.iter().zip(vals) {
                put(&mut w, *f, v);
            }
        }
        if r.gen_bool(0.6) {
            let op = if r.gen_bool(0.9) {
                r.gen_range(1..5)
            } else {
                r.gen_range(0..8)
            };
            let count = |r: &mut ChaCha8Rng| {
                if r.gen_bool(0.04) {
                    0
                } else {
                    r.gen_range(1..4)
                }
            };
            let code = |r: &mut ChaCha8Rng, n: u64, max: u64| {
                if r.gen_bool(0.93) {
                    r.gen_range(0..n)
                } else {
                    r.gen_range(0..=max)
                }
            };
            put(&mut w, F::NFU_OP, op);
            put(&mut w, F::NFU_IN, code(&mut r, 3, 3));
            put(&mut w, F::NFU_OUT, r.gen_range(0..2));
            put(
                &mut w,
                F::NFU_ACT,
                code(&mut r, arch::activation::Activation::ALL.len() as u64, 15),
            );
            put(&mut w, F::NFU_ROUND, code(&mut r, 3, 3));
            put(&mut w, F::NFU_WAIT, r.gen_range(0..8));
            put(&mut w, F::NFU_TR, r.gen_range(0..2));
            put(&mut w, F::NFU_NBIN, r.gen_range(0..24));
            put(&mut w, F::NFU_SB, r.gen_range(0..30));
            put(&mut w, F::NFU_NBOUT, r.gen_range(0..14));
            for f in [F::NFU_NPY, F::NFU_NPX, F::NFU_NKY, F::NFU_NI] {
                put(&mut w, f, count(&mut r));
            }
            for f in [F::NFU_SPY, F::NFU_SPX, F::NFU_SKY] {
                put(&mut w, f, r.gen_range(0..4));
            }
            put(&mut w, F::NFU_SCALE, r.gen_range(0..1 << 16));
        } else if r.gen_bool(0.1) {
            let f = r.gen_range(F::NFU_IN as usize..NUM_FIELDS);
            put(&mut w, FIELDS_F[f - F::NFU_IN as usize], 1);
        }
        if r.gen_bool(0.05) {
            let b = r.gen_range(USED_BITS..INSTR_BITS);
            w[(b / 64) as usize] |= 1 << (b % 64);
        }
        if r.gen_bool(0.05) {
            let i = r.gen_range(0..NUM_FIELDS);
            let width = FIELDS[i].width;
            fields::put(
                &mut w,
                fields::lsb_at(i),
                width,
                if width >= 64 {
                    u64::MAX
                } else {
                    (1 << width) - 1
                },
            );
        }
        out.push(w);
    }
    out
}

/// The NFU fields after `op`, in table order (for single non-zero fields in a nop slot).
const FIELDS_F: [F; 17] = [
    F::NFU_IN,
    F::NFU_OUT,
    F::NFU_ACT,
    F::NFU_ROUND,
    F::NFU_WAIT,
    F::NFU_TR,
    F::NFU_NBIN,
    F::NFU_SB,
    F::NFU_NBOUT,
    F::NFU_NPY,
    F::NFU_SPY,
    F::NFU_NPX,
    F::NFU_SPX,
    F::NFU_NKY,
    F::NFU_SKY,
    F::NFU_NI,
    F::NFU_SCALE,
];

/// Cycles per encoding: write it into imem word 0 under clear, one more
/// cleared cycle (the RAM reads first), fetch, decode/dispatch, then the
/// verdict is visible two cycles later.
fn rows_for(w: &Word) -> Vec<Vec<String>> {
    let wd = hex(word_bits(w));
    let row = |clr: &str, we: &str, wd: &str| -> Vec<String> {
        [clr, "1", we, "0", wd, "0", "0", "0", "0", "0", "100", "1"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    vec![
        row("1", "1", &wd),
        row("1", "0", "0"),
        row("0", "0", "0"),
        row("0", "0", "0"),
        row("0", "0", "0"),
        row("0", "0", "0"),
    ]
}
const ROWS: usize = 6;

#[test]
fn cp_decode_and_range_checks_match_instruction_validate() {
    let cfg = AccelConfig::tiny();
    let words = encodings(1500, 11);
    let want: Vec<(u64, u64)> = words.iter().map(|w| arch_verdict(w, &cfg)).collect();
    // every verdict must occur often enough for the comparison to mean something
    for class in [ERR_NONE, ERR_DECODE, ERR_RANGE, ERR_NO_END] {
        let n = want.iter().filter(|v| v.0 == class).count();
        assert!(n >= 20, "only {n} encodings of class {class}");
        eprintln!("class {class}: {n} encodings");
    }
    let (ins, outs) = io_ports();
    let mut c = cp(&[]);
    let v = verilog(&mut c);
    let clock = |c: &mut Cp<IA>, x: bool| {
        c.clock.next = Clock { clk: x };
        assert!(simulate(c, 10_000), "did not settle");
    };
    // rust-hdl
    for (k, w) in words.iter().enumerate() {
        let rows = rows_for(w);
        for r in &rows[..ROWS - 1] {
            apply(&mut c, r);
            clock(&mut c, false);
            clock(&mut c, true);
        }
        apply(&mut c, &rows[ROWS - 1]);
        clock(&mut c, false);
        let got = (c.err_class.val().to_u64(), c.err_index.val().to_u64());
        assert_eq!(
            got,
            want[k],
            "rust-hdl, encoding {k}: {:x?} ({:?})",
            w,
            Instruction::decode(w).map(|i| i.check(&cfg))
        );
        if want[k].0 == ERR_NONE {
            assert!(c.stopped.val(), "encoding {k}: END did not stop");
        }
        clock(&mut c, true);
    }
    // Icarus: the same cycles, one run; the verdict is read in each encoding's last cycle
    let vecs: Vec<Vec<String>> = words.iter().flat_map(rows_for).collect();
    let got = hdl::tb::verilog_test::simulate_icarus_after(&v, &ins, &outs, &vecs, 1)
        .unwrap_or_else(|e| panic!("{e}"));
    for (k, want) in want.iter().enumerate() {
        let g = &got[k * ROWS + ROWS - 1];
        let class = u64::from_str_radix(&g[4], 16).unwrap();
        let index = u64::from_str_radix(&g[5], 16).unwrap();
        assert_eq!(
            (class, index),
            *want,
            "icarus, encoding {k}: {:x?}",
            words[k]
        );
    }
}
