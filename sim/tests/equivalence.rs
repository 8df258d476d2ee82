//! Fast (event-driven) mode == stepped (cycle-by-cycle) mode on random
//! valid programs: same result, cycles, counters, DRAM, buffers and LFSRs.
//! Programs on `tiny` use small counts, random waits, random in-range
//! addresses (overlapping rows, so DMA writes land under running NFU ops),
//! random data, and occasionally a corrupt word.

mod common;
use arch::activation::Activation;
use arch::fixed::Rounding;
use arch::isa::{AccIn, Buffer, CpOp, DmaOp, DmaSlot, Instruction, NfuOp, NfuSlot};
use arch::AccelConfig;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::{Dram, Machine};

const DRAM_SPAN: u32 = 4096;

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

fn rand_nfu(r: &mut ChaCha8Rng, cfg: &AccelConfig) -> NfuSlot {
    let op = [NfuOp::Mac, NfuOp::Max, NfuOp::Avg][r.gen_range(0..3)];
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

fn rand_program(r: &mut ChaCha8Rng, cfg: &AccelConfig) -> Vec<arch::isa::fields::Word> {
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
            i.nfu = rand_nfu(r, cfg);
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

fn rand_dram(r: &mut ChaCha8Rng, cfg: &AccelConfig) -> Dram {
    let mut d = Dram::new(cfg.dram.size_bytes);
    let bytes: Vec<u8> = (0..DRAM_SPAN + 4096).map(|_| r.gen()).collect();
    d.write(0, &bytes).unwrap();
    d
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]
    #[test]
    fn fast_equals_stepped_on_random_programs(seed: u64) {
        let cfg = AccelConfig::tiny();
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let mut m = Machine::new(cfg.clone()).unwrap();
        let mut d = rand_dram(&mut r, &cfg);
        // two runs back to back: buffers and LFSRs carry over
        for _ in 0..2 {
            let words = rand_program(&mut r, &cfg);
            let _ = common::run_words(&mut m, &words, &mut d);
        }
    }

    #[test]
    fn fast_equals_stepped_with_other_timing(seed: u64) {
        let mut cfg = AccelConfig::tiny();
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        cfg.dram.latency_cycles = r.gen_range(1..=12);
        cfg.dram.bytes_per_cycle = [1, 2, 4, 8, 16, 64][r.gen_range(0..6)];
        cfg.queue_depth = r.gen_range(1..=4);
        cfg.pipeline.nfu1 = r.gen_range(1..=3);
        cfg.pipeline.nfu3 = r.gen_range(1..=3);
        let mut m = Machine::new(cfg.clone()).unwrap();
        let mut d = rand_dram(&mut r, &cfg);
        let words = rand_program(&mut r, &cfg);
        let _ = common::run_words(&mut m, &words, &mut d);
    }
}
