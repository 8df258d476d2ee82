//! `nfu`: `nfu1` (multipliers), `nfu2` (adder trees, accumulators, max/sum),
//! `nfu3` (conversion and activation). One running op is evaluated issue by
//! issue, in issue-cycle order, up to a given cycle: the caller guarantees
//! that the buffers hold exactly what a read in those cycles sees.

use crate::buffers::Buffers;
use arch::activation::{rom, Table};
use arch::events::{Counters, Event};
use arch::fixed::{acc_add, convert, convert_avg, mul, saturate, Lfsr, Rounding};
use arch::isa::{AccIn, NfuOp, NfuSlot};
use arch::AccelConfig;
use std::collections::VecDeque;

/// NFU state that persists across runs: the per-lane stochastic-rounding LFSRs
/// and the NFU-3 ROM.
#[derive(Clone, Debug)]
pub struct NfuState {
    /// Fraction bits of the data format.
    pub frac: u32,
    /// Tn.
    pub tn: usize,
    /// Lane LFSRs, seeded with `Lfsr::lane_seed(lfsr_seed, lane)` at reset.
    pub lfsr: Vec<Lfsr>,
    /// NFU-3 tables in `Activation::ALL` order.
    pub tables: Vec<Table>,
}

impl NfuState {
    /// Reset state for `cfg`.
    pub fn new(cfg: &AccelConfig) -> Self {
        NfuState {
            frac: cfg.frac_bits,
            tn: cfg.tn as usize,
            lfsr: (0..cfg.tn)
                .map(|n| Lfsr(Lfsr::lane_seed(cfg.lfsr_seed, n)))
                .collect(),
            tables: rom(cfg.frac_bits),
        }
    }
}

/// An NFU output waiting for its NBout write at the end of `cycle`.
#[derive(Clone, Debug)]
pub(crate) struct PendingOut {
    pub cycle: u64,
    pub row: usize,
    pub data: Vec<i32>,
}

/// Which arithmetic kernel evaluates a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kernel {
    /// Vectorisable kernel (fast mode).
    Fast,
    /// Literal transcription of the contract's formulas (stepped mode).
    Plain,
}

/// The op in the NFU pipeline.
#[derive(Clone, Debug)]
pub(crate) struct RunningOp {
    pub seq: usize,
    pub slot: NfuSlot,
    /// Start cycle s.
    pub start: u64,
    /// Cycle of the first row-pair issue.
    pub first_issue: u64,
    /// Row pairs N.
    pub n_issues: u64,
    /// Cycle at whose end the last output is written.
    pub complete: u64,
    steps: u64,
    bias_read: bool,
    bias: Vec<i16>,
    issued: u64,
    acc: Vec<i32>,
    /// `mul`: the word held by the even step of a pair.
    hold: Vec<i16>,
    latency: u64,
}

impl RunningOp {
    /// An op of instruction `seq` starting in cycle `s`.
    pub fn new(seq: usize, slot: NfuSlot, s: u64, cfg: &AccelConfig) -> Self {
        let bias = slot.acc_in == AccIn::Bias;
        let n = slot.issues();
        let first_issue = s + bias as u64;
        let latency = cfg.nfu_latency() as u64;
        RunningOp {
            seq,
            slot,
            start: s,
            first_issue,
            n_issues: n,
            complete: first_issue + n - 1 + latency,
            steps: slot.steps_per_output(),
            bias_read: !bias,
            bias: vec![0; cfg.tn as usize],
            issued: 0,
            acc: vec![0; cfg.tn as usize],
            hold: vec![0; cfg.tn as usize],
            latency,
        }
    }

    /// True if the op issues (or reads its bias row) in cycle `t`.
    pub fn busy_in(&self, t: u64) -> bool {
        t >= self.start && t < self.first_issue + self.n_issues
    }

    /// True once every issue has been evaluated.
    pub fn all_issued(&self) -> bool {
        self.bias_read && self.issued == self.n_issues
    }

    /// Evaluate the bias read and every issue in cycles `<= x`, pushing each
    /// finished output to `out` with its write cycle.
    pub fn advance(
        &mut self,
        x: u64,
        bufs: &Buffers,
        st: &mut NfuState,
        cnt: &mut Counters,
        out: &mut VecDeque<PendingOut>,
        k: Kernel,
    ) {
        if x < self.start {
            return;
        }
        let tn = st.tn;
        let s = &self.slot;
        if !self.bias_read {
            let r = (s.sb as u64 + s.nky as u64 * s.ni as u64) as usize;
            self.bias.copy_from_slice(&bufs.sb_row(r)[..tn]);
            self.bias_read = true;
            cnt.add(Event::NfuBusy, 1);
            cnt.add(Event::SbReads, 1);
        }
        if x < self.first_issue {
            return;
        }
        let last = (x - self.first_issue + 1).min(self.n_issues);
        let (ni, nky, npx) = (s.ni as u64, s.nky as u64, s.npx as u64);
        let mut issued = 0u64;
        let mut macs = 0u64;
        let mut muls = 0u64;
        let mut nbout_reads = 0u64;
        while self.issued < last {
            let j = self.issued;
            let o = j / self.steps;
            let step = j % self.steps;
            let (py, px) = (o / npx, o % npx);
            let (ky, i) = (step / ni, step % ni);
            debug_assert!(ky < nky);
            if step == 0 {
                match (s.acc_in, s.op) {
                    (AccIn::Zero, NfuOp::Max) => self.acc.fill(i32::MIN),
                    (AccIn::Zero, _) => self.acc.fill(0),
                    (AccIn::Nbout, _) => {
                        self.acc
                            .copy_from_slice(bufs.nbout_row((s.nbout as u64 + o) as usize));
                        nbout_reads += 1;
                    }
                    (AccIn::Bias, NfuOp::Mac | NfuOp::Mul) => {
                        for (a, b) in self.acc.iter_mut().zip(&self.bias) {
                            *a = (*b as i32) << st.frac;
                        }
                    }
                    (AccIn::Bias, _) => {
                        for (a, b) in self.acc.iter_mut().zip(&self.bias) {
                            *a = *b as i32;
                        }
                    }
                }
            }
            let nr = (s.nbin as u64 + py * s.spy as u64 + px * s.spx as u64 + ky * s.sky as u64 + i)
                as usize;
            let xrow = bufs.nbin_row(nr);
            match s.op {
                NfuOp::Mac => {
                    let w = bufs.sb_row((s.sb as u64 + ky * ni + i) as usize);
                    match k {
                        Kernel::Fast => mac_fast(&mut self.acc, w, xrow, s.transpose),
                        Kernel::Plain => mac_plain(&mut self.acc, w, xrow, s.transpose),
                    }
                    macs += 1;
                }
                NfuOp::Max => {
                    for (a, v) in self.acc.iter_mut().zip(xrow) {
                        *a = (*a).max(*v as i32);
                    }
                }
                NfuOp::Avg => {
                    for (a, v) in self.acc.iter_mut().zip(xrow) {
                        *a = acc_add(*a, *v as i32);
                    }
                }
                NfuOp::Mul => {
                    if step % 2 == 0 {
                        self.hold.copy_from_slice(xrow);
                    } else {
                        for ((a, h), v) in self.acc.iter_mut().zip(&self.hold).zip(xrow) {
                            *a = acc_add(*a, mul(*h, *v));
                        }
                        muls += 1;
                    }
                }
                NfuOp::Nop => {}
            }
            if step + 1 == self.steps {
                let data = finish_output(s, &self.acc, st, cnt);
                let c = self.first_issue + j;
                out.push_back(PendingOut {
                    cycle: c + self.latency,
                    row: (s.nbout as u64 + o) as usize,
                    data,
                });
            }
            self.issued += 1;
            issued += 1;
        }
        let t2 = (tn * tn) as u64;
        cnt.add(Event::NfuBusy, issued);
        cnt.add(Event::NbinReads, issued);
        cnt.add(Event::SbReads, macs);
        cnt.add(Event::Macs, macs * t2 + muls * tn as u64);
        cnt.add(Event::Nfu2Ops, macs * t2 + (issued - macs) * tn as u64);
        cnt.add(Event::NboutReads, nbout_reads);
    }
}

/// NFU-2 output and NFU-3: the NBout entries of one finished output.
fn finish_output(s: &NfuSlot, acc: &[i32], st: &mut NfuState, cnt: &mut Counters) -> Vec<i32> {
    if !s.activate {
        return acc.to_vec();
    }
    let table = st.tables[arch::activation::Activation::ALL
        .iter()
        .position(|a| *a == s.act)
        .unwrap_or(0)];
    let stoch = s.round == Rounding::Stochastic;
    let mut sats = 0u64;
    let out = acc
        .iter()
        .zip(st.lfsr.iter_mut())
        .map(|(&a, l)| {
            let rnd = if stoch { l.step() } else { 0 };
            let (x, s1) = match s.op {
                NfuOp::Mac | NfuOp::Mul => convert(a, st.frac, s.round, rnd),
                NfuOp::Avg => convert_avg(a, s.scale as u16, s.round, rnd),
                _ => saturate(a as i64),
            };
            let (y, s2) = table.apply(x, st.frac);
            sats += (s1 || s2) as u64;
            y as i32
        })
        .collect();
    cnt.add(Event::Nfu3Ops, st.tn as u64);
    cnt.add(Event::Saturations, sats);
    out
}

/// The contract's formula, literally: `acc[n] += sum_i SB[n*Tn+i] * x[i]`
/// (transposed: `SB[i*Tn+n]`), products exact, sums modulo 2^32.
fn mac_plain(acc: &mut [i32], w: &[i16], x: &[i16], transpose: bool) {
    let tn = x.len();
    for n in 0..tn {
        let mut sum = 0i32;
        for i in 0..tn {
            let wi = if transpose {
                w[i * tn + n]
            } else {
                w[n * tn + i]
            };
            sum = acc_add(sum, mul(wi, x[i]));
        }
        acc[n] = acc_add(acc[n], sum);
    }
}

#[inline(always)]
fn mac_rows<const T: usize>(acc: &mut [i32], w: &[i16], x: &[i16]) {
    let x: &[i16; T] = x.try_into().expect("row of Tn words");
    for (a, wr) in acc.iter_mut().zip(w.chunks_exact(T)) {
        let wr: &[i16; T] = wr.try_into().expect("row of Tn words");
        let mut s = 0i32;
        for i in 0..T {
            s = s.wrapping_add((wr[i] as i32).wrapping_mul(x[i] as i32));
        }
        *a = a.wrapping_add(s);
    }
}

#[inline(always)]
fn mac_cols<const T: usize>(acc: &mut [i32], w: &[i16], x: &[i16]) {
    let acc: &mut [i32; T] = acc.try_into().expect("row of Tn entries");
    for (xi, wr) in x.iter().zip(w.chunks_exact(T)) {
        let wr: &[i16; T] = wr.try_into().expect("row of Tn words");
        let xi = *xi as i32;
        for n in 0..T {
            acc[n] = acc[n].wrapping_add((wr[n] as i32).wrapping_mul(xi));
        }
    }
}

/// Vectorisable version of [`mac_plain`] (same result: wrapping sums are
/// order-free).
fn mac_fast(acc: &mut [i32], w: &[i16], x: &[i16], transpose: bool) {
    macro_rules! sel {
        ($($t:literal),*) => {
            match (x.len(), transpose) {
                $( ($t, false) => mac_rows::<$t>(acc, w, x), ($t, true) => mac_cols::<$t>(acc, w, x), )*
                _ => mac_plain(acc, w, x, transpose),
            }
        };
    }
    sel!(1, 2, 4, 8, 16, 32, 64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn fast_kernel_equals_plain(tn in prop::sample::select(vec![1usize, 2, 4, 8, 16, 32, 64, 3]), tr: bool, seed: u64) {
            use rand::{Rng, SeedableRng};
            let mut r = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let w: Vec<i16> = (0..tn * tn).map(|_| r.gen()).collect();
            let x: Vec<i16> = (0..tn).map(|_| r.gen()).collect();
            let a0: Vec<i32> = (0..tn).map(|_| r.gen()).collect();
            let (mut a, mut b) = (a0.clone(), a0);
            mac_fast(&mut a, &w, &x, tr);
            mac_plain(&mut b, &w, &x, tr);
            prop_assert_eq!(a, b);
        }
    }
}
