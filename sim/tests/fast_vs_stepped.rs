//! The simulator's two modes, fast (event-driven, `Machine::run_words`) and
//! stepped (cycle by cycle, `Machine::run_words_stepped`), must agree on
//! everything: result and error status, cycles, counters, DRAM, buffers and
//! LFSRs (`common::run_words` compares them all).
//!
//! * Random valid programs on `tiny` with small counts, random waits, random
//!   in-range addresses (overlapping rows, so DMA writes land under running
//!   NFU ops), random data, and occasionally a corrupt word; also under
//!   random memory timing, queue depth and pipeline depths; also with
//!   `nfu.mul`. Each property test also asserts that what it compares is
//!   not trivially zero (NFU work done, NBout written, DRAM stored).
//! * Every compiled layer vector of the old `backends/tests/sim_modes.rs`
//!   (conv, pool max/avg, classifier, batch 1 and 2) and a corrupted word.

mod common;
use arch::activation::Activation;
use arch::events::Event;
use arch::fixed::Rounding;
use arch::isa::fields::Word;
use arch::isa::{AccIn, Buffer, CpOp, DmaOp, DmaSlot, Instruction, NfuOp, NfuSlot};
use arch::AccelConfig;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::{Dram, Machine};
use std::cell::Cell;

/// DRAM bytes random DMA slots address.
const DRAM_SPAN: u32 = 4096;

/// A random valid DMA slot of buffer `b`.
fn rand_dma(r: &mut ChaCha8Rng, b: Buffer, cfg: &AccelConfig) -> DmaSlot {
    let op = match b {
        Buffer::Nbout => [
            DmaOp::Load,
            DmaOp::LoadWiden,
            DmaOp::Store,
            DmaOp::StoreNarrow,
        ][r.gen_range(0..4)],
        _ => DmaOp::Load,
    };
    let rows = b.rows(cfg);
    let (n0, n1, n2) = (r.gen_range(1..=3), r.gen_range(1..=2), r.gen_range(1..=2));
    let row = r.gen_range(0..=rows - n0 * n1 * n2);
    DmaSlot {
        op,
        wait: r.gen_range(0..=3),
        row,
        dram: r.gen_range(0..DRAM_SPAN / 2) * 2,
        n0,
        n1,
        s1: r.gen_range(0..64) * 2,
        n2,
        s2: r.gen_range(0..256) * 2,
    }
}

/// A random valid NFU slot with an opcode from `ops`.
fn rand_nfu(r: &mut ChaCha8Rng, cfg: &AccelConfig, ops: &[NfuOp]) -> NfuSlot {
    let op = ops[r.gen_range(0..ops.len())];
    let mut s = NfuSlot {
        op,
        acc_in: AccIn::ALL[r.gen_range(0..3)],
        activate: r.gen(),
        act: Activation::ALL[r.gen_range(0..Activation::ALL.len())],
        round: Rounding::ALL[r.gen_range(0..3)],
        wait: r.gen_range(0..=3),
        transpose: r.gen(),
        nbin: 0,
        sb: 0,
        nbout: 0,
        npy: r.gen_range(1..=2),
        spy: r.gen_range(0..=4),
        npx: r.gen_range(1..=3),
        spx: r.gen_range(0..=2),
        nky: r.gen_range(1..=2),
        sky: r.gen_range(0..=3),
        ni: r.gen_range(1..=3),
        scale: r.gen_range(0..65536),
    };
    let span = s.max_nbin_row() + 1;
    s.nbin = r.gen_range(0..=(cfg.nbin_rows() as u64 - span)) as u32;
    let sb_used = s.steps_per_output() + 1;
    s.sb = r.gen_range(0..=(cfg.sb_rows() as u64 - sb_used)) as u32;
    s.nbout = r.gen_range(0..=(cfg.nbout_rows() as u64 - s.outputs())) as u32;
    s
}

/// A random program of 1..=14 instructions (NFU opcodes from `ops`),
/// occasionally with a corrupt word or without its `end`.
fn rand_program(
    r: &mut ChaCha8Rng,
    cfg: &AccelConfig,
    ops: &[NfuOp],
) -> Vec<arch::isa::fields::Word> {
    let n = r.gen_range(1..=14);
    let mut words = Vec::new();
    for k in 0..n {
        let mut i = Instruction::default();
        for b in Buffer::ALL {
            if r.gen_bool(0.45) {
                *i.dma_mut(b) = rand_dma(r, b, cfg);
            }
        }
        if r.gen_bool(0.6) {
            i.nfu = rand_nfu(r, cfg, ops);
        }
        if k + 1 == n {
            i.cp = CpOp::End;
        }
        assert!(
            i.check(cfg).is_ok(),
            "generator made an out-of-range instruction"
        );
        let mut w = i.encode().expect("encodes");
        if r.gen_bool(0.02) {
            w[0] ^= 0b11; // cp op 3: invalid code
        }
        words.push(w);
    }
    if r.gen_bool(0.05) {
        words.pop(); // no end
    }
    words
}

/// A DRAM image of random bytes over the addresses programs use.
fn rand_dram(r: &mut ChaCha8Rng, cfg: &AccelConfig) -> Dram {
    let mut d = Dram::new(cfg.dram.size_bytes);
    let bytes: Vec<u8> = (0..DRAM_SPAN + 4096).map(|_| r.gen()).collect();
    d.write(0, &bytes).unwrap();
    d
}

/// What one compared run exercised.
#[derive(Clone, Copy, Debug, Default)]
struct Work {
    /// Cases run.
    cases: u64,
    /// Cases whose NFU issued at least one row pair.
    nfu: u64,
    /// Cases that wrote an NBout row (NFU output or load).
    nbout_written: u64,
    /// Cases that stored bytes into DRAM.
    stored: u64,
    /// Cases whose NBout ended with a non-zero entry.
    nbout_nonzero: u64,
}

impl Work {
    /// Record the run just made on `m` (its last stats).
    fn record(&mut self, m: &Machine) {
        let c = &m.last_stats().expect("a run was made").counters;
        self.cases += 1;
        self.nfu += (c.get(Event::NfuBusy) > 0) as u64;
        self.nbout_written += (c.get(Event::NboutWrites) > 0) as u64;
        self.stored += (c.get(Event::DramWriteBytes) > 0) as u64;
        self.nbout_nonzero += m.buffers().nbout.iter().any(|x| *x != 0) as u64;
    }

    /// Fail unless more than half of the cases did each kind of work (the
    /// generators reach 70-95%: corrupt words and early errors make the rest).
    fn assert_not_trivial(&self, what: &str) {
        let q = self.cases / 2;
        assert!(
            self.cases > 0
                && self.nfu > q
                && self.nbout_written > q
                && self.stored > q
                && self.nbout_nonzero > q,
            "{what}: the compared runs are trivially empty: {self:?}"
        );
    }
}

/// Run `cases` random cases of `case` (a seed to the work done) with
/// proptest (this file's regression seeds first), then assert the work.
fn property(name: &'static str, cases: u32, case: impl Fn(u64) -> Work) {
    let config = Config {
        cases,
        source_file: Some(file!()),
        test_name: Some(name),
        ..Config::default()
    };
    let total = Cell::new(Work::default());
    let result = TestRunner::new(config).run(&any::<u64>(), |seed| {
        let w = case(seed);
        let mut t = total.get();
        t.cases += w.cases;
        t.nfu += w.nfu;
        t.nbout_written += w.nbout_written;
        t.stored += w.stored;
        t.nbout_nonzero += w.nbout_nonzero;
        total.set(t);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
    total.get().assert_not_trivial(name);
}

#[test]
fn fast_equals_stepped_on_random_programs() {
    property("fast_equals_stepped_on_random_programs", 1000, |seed| {
        let cfg = AccelConfig::tiny();
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let mut m = Machine::new(cfg.clone()).unwrap();
        let mut d = rand_dram(&mut r, &cfg);
        let mut w = Work::default();
        // two runs back to back: buffers and LFSRs carry over
        for _ in 0..2 {
            let words = rand_program(&mut r, &cfg, &[NfuOp::Mac, NfuOp::Max, NfuOp::Avg]);
            let _ = common::run_words(&mut m, &words, &mut d);
            w.record(&m);
        }
        w
    });
}

#[test]
fn fast_equals_stepped_with_other_timing() {
    property("fast_equals_stepped_with_other_timing", 256, |seed| {
        let mut cfg = AccelConfig::tiny();
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        cfg.dram.latency_cycles = r.gen_range(1..=12);
        cfg.dram.bytes_per_cycle = [1, 2, 4, 8, 16, 64][r.gen_range(0..6)];
        cfg.queue_depth = r.gen_range(1..=4);
        cfg.pipeline.nfu1 = r.gen_range(1..=3);
        cfg.pipeline.nfu3 = r.gen_range(1..=3);
        let mut m = Machine::new(cfg.clone()).unwrap();
        let mut d = rand_dram(&mut r, &cfg);
        let words = rand_program(&mut r, &cfg, &[NfuOp::Mac, NfuOp::Max, NfuOp::Avg]);
        let _ = common::run_words(&mut m, &words, &mut d);
        let mut w = Work::default();
        w.record(&m);
        w
    });
}

#[test]
fn fast_equals_stepped_with_mul() {
    property("fast_equals_stepped_with_mul", 500, |seed| {
        let cfg = AccelConfig::tiny();
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let mut m = Machine::new(cfg.clone()).unwrap();
        let mut d = rand_dram(&mut r, &cfg);
        let words = rand_program(
            &mut r,
            &cfg,
            &[NfuOp::Mac, NfuOp::Max, NfuOp::Avg, NfuOp::Mul],
        );
        let _ = common::run_words(&mut m, &words, &mut d);
        let mut w = Work::default();
        w.record(&m);
        w
    });
}

/// The layer vectors of the former `backends/tests/sim_modes.rs`.
const LAYERS: &[&str] = &[
    "conv:nx=8,ny=8,kx=3,ky=3,ni=4,no=8,pad=1,act=relu",
    "conv:nx=7,ny=5,kx=3,ky=2,ni=5,no=6,sx=2,sy=1,act=sigmoid",
    "pool:nx=8,ny=8,kx=2,ky=2,ni=4,kind=max",
    "pool:nx=7,ny=7,kx=3,ky=3,ni=5,sx=2,sy=2,kind=avg",
    "class:ni=37,no=11,act=tanh",
];

/// Layer `spec` compiled for `batch` images with random tensors from
/// `seed` (as `backends::vectors::layer_vector` makes them: input and bias
/// in -255..=255, weights in -64..=64): the program's words, the DRAM
/// image, and the output region (address, bytes).
fn layer_vector(
    cfg: &AccelConfig,
    spec: &str,
    batch: u32,
    seed: u64,
) -> (Vec<Word>, Dram, (u64, u64)) {
    let spec: firmware::LayerSpec = spec.parse().unwrap_or_else(|e| panic!("{spec}: {e}"));
    let c = firmware::compile(cfg, &spec, batch).unwrap_or_else(|e| panic!("{e}"));
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut words =
        |n: u64, amp: i16| -> Vec<i16> { (0..n).map(|_| rng.gen_range(-amp..=amp)).collect() };
    let input = words(spec.input_len() * batch as u64, 255);
    let weights = words(spec.weight_len(), 64);
    let bias = words(spec.bias_len(), 255);
    let mut dram = Dram::new(cfg.dram.size_bytes);
    for (addr, bytes) in c
        .layout
        .pack_input(&input)
        .unwrap()
        .into_iter()
        .chain(c.layout.pack_params(&weights, &bias).unwrap())
    {
        dram.write(addr, &bytes).unwrap();
    }
    let program = c.program.iter().map(|i| i.encode().unwrap()).collect();
    (program, dram, (c.layout.output.addr, c.layout.output.bytes))
}

#[test]
fn fast_and_stepped_simulation_agree_on_layer_vectors() {
    let cfg = AccelConfig::tiny();
    for (i, l) in LAYERS.iter().enumerate() {
        for batch in [1, 2] {
            let (program, mut dram, (addr, bytes)) = layer_vector(&cfg, l, batch, 7 + i as u64);
            let mut m = Machine::new(cfg.clone()).unwrap();
            let s = common::run_words(&mut m, &program, &mut dram)
                .unwrap_or_else(|e| panic!("{l} batch {batch}: {e}"));
            let mut out = vec![0u8; bytes as usize];
            dram.read(addr, &mut out).unwrap();
            assert!(
                s.cycles > 0 && out.iter().any(|x| *x != 0),
                "{l} batch {batch}: empty result"
            );
        }
    }
}

#[test]
fn a_corrupted_word_halts_both_modes_identically() {
    let cfg = AccelConfig::tiny();
    let (mut program, mut dram, _) = layer_vector(&cfg, LAYERS[0], 1, 3);
    // put an invalid NFU opcode into instruction 3
    let f = arch::isa::fields::F::NFU_OP;
    arch::isa::fields::put(
        &mut program[3],
        arch::isa::fields::lsb(f),
        arch::isa::fields::width(f),
        7,
    );
    let mut m = Machine::new(cfg).unwrap();
    match common::run_words(&mut m, &program, &mut dram) {
        Err(sim::SimError::Halted {
            class: sim::HaltClass::Decode,
            index: 3,
            ..
        }) => {}
        other => panic!("expected a decode halt at instruction 3, got {other:?}"),
    }
}
