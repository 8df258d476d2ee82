//! `sim::functional` (the untimed NFU model) computes what the timed machine
//! computes: random NFU ops of every opcode on random buffer contents give
//! the same NBout rows, saturation count and LFSR states both ways.

mod common;
use arch::activation::Activation;
use arch::events::Event;
use arch::fixed::Rounding;
use arch::isa::{AccIn, DmaOp, NfuOp};
use common::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::{Dram, Machine};

#[test]
fn functional_model_equals_the_timed_nfu() {
    let cfg = tiny();
    let mut changed = 0;
    for seed in 0..400u64 {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let mut m = Machine::new(cfg.clone()).unwrap();
        let mut d = Dram::new(cfg.dram.size_bytes);
        let bytes: Vec<u8> = (0..0x4000).map(|_| r.gen()).collect();
        d.write(0, &bytes).unwrap();
        // fill every buffer from DRAM
        let mut i = end();
        i.nbin = dma(DmaOp::Load, 0, 0, cfg.nbin_rows());
        i.sb = dma(DmaOp::Load, 0, 0x400, cfg.sb_rows());
        i.nbout = dma(DmaOp::Load, 0, 0x2000, cfg.nbout_rows());
        run(&mut m, &[i], &mut d).unwrap();
        let op = [NfuOp::Mac, NfuOp::Max, NfuOp::Avg, NfuOp::Mul][r.gen_range(0..4)];
        let mut s = nfu(op, AccIn::ALL[r.gen_range(0..3)], r.gen_range(1..=3));
        s.activate = r.gen();
        s.act = Activation::ALL[r.gen_range(0..Activation::ALL.len())];
        s.round = Rounding::ALL[r.gen_range(0..3)];
        s.transpose = r.gen();
        s.npy = r.gen_range(1..=2);
        s.spy = r.gen_range(0..=4);
        s.npx = r.gen_range(1..=3);
        s.spx = r.gen_range(0..=2);
        s.nky = r.gen_range(1..=2);
        s.sky = r.gen_range(0..=3);
        s.scale = r.gen_range(0..65536);
        s.nbin = r.gen_range(0..=(cfg.nbin_rows() as u64 - s.max_nbin_row() - 1)) as u32;
        s.sb = r.gen_range(0..=(cfg.sb_rows() as u64 - s.steps_per_output() - 1)) as u32;
        s.nbout = r.gen_range(0..=(cfg.nbout_rows() as u64 - s.outputs())) as u32;
        let mut bufs = m.buffers().clone();
        let before = bufs.nbout.clone();
        // every run starts its LFSRs from the machine's seed, whatever the
        // runs before it left in them
        m.set_seed(r.gen());
        let mut st = sim::nfu::NfuState::new(&cfg);
        st.reseed(m.seed());
        let sat = sim::functional::execute_into(&s, &mut bufs, &mut st);
        let mut i = end();
        i.nfu = s;
        let stats = run(&mut m, &[i], &mut d).unwrap();
        assert_eq!(m.buffers(), &bufs, "seed {seed}: {s:?}");
        assert_eq!(stats.counters.get(Event::Saturations), sat, "seed {seed}");
        let lfsr: Vec<u32> = st.lfsr.iter().map(|l| l.0).collect();
        assert_eq!(m.lfsr_states(), lfsr, "seed {seed}");
        changed += (bufs.nbout != before) as u32;
    }
    assert!(
        changed > 350,
        "the ops left NBout unchanged in {} of 400 cases",
        400 - changed
    );
}
