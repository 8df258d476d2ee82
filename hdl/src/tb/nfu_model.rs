//! The NFU arithmetic in plain Rust (`arch::fixed`, `arch::activation`) with
//! the datapath's latency: the golden model the RTL tests compare against.

use arch::activation::{rom, Activation, Table};
use arch::fixed::{self, Acc, Data, Lfsr, Rounding};
use arch::isa::{AccIn, NfuOp};
use arch::AccelConfig;
use std::collections::VecDeque;

/// One input bundle (see [`super`] for meanings). Rows are lane-ordered vectors.
#[derive(Clone, Debug, PartialEq)]
pub struct NfuStep {
    /// Step present.
    pub valid: bool,
    /// Opcode (mac, max, avg, mul).
    pub op: NfuOp,
    /// First step of an output.
    pub first: bool,
    /// Last step of an output.
    pub last: bool,
    /// `mul`: odd step `k = ky*ni + i` of the output (even steps load `hold`).
    pub odd: bool,
    /// Init selector.
    pub acc_in: AccIn,
    /// out=act.
    pub activate: bool,
    /// Activation.
    pub act: Activation,
    /// Rounding.
    pub round: Rounding,
    /// Transposed SB read.
    pub transpose: bool,
    /// Avg scale, Q1.15.
    pub scale: u16,
    /// NBout row.
    pub row: u32,
    /// NBin row, Tn words.
    pub nbin: Vec<Data>,
    /// SB row, Tn*Tn words (`[n*Tn + i]`).
    pub sb: Vec<Data>,
    /// NBout entries, Tn.
    pub nbout: Vec<Acc>,
    /// Bias row, Tn words.
    pub bias: Vec<Data>,
}

impl NfuStep {
    /// An idle cycle for width `tn`.
    pub fn idle(tn: usize) -> Self {
        NfuStep {
            valid: false,
            op: NfuOp::Mac,
            first: false,
            last: false,
            odd: false,
            acc_in: AccIn::Zero,
            activate: false,
            act: Activation::Identity,
            round: Rounding::Truncate,
            transpose: false,
            scale: 0,
            row: 0,
            nbin: vec![0; tn],
            sb: vec![0; tn * tn],
            nbout: vec![0; tn],
            bias: vec![0; tn],
        }
    }
}

/// One NBout write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NfuWrite {
    /// Row.
    pub row: u32,
    /// Entries, Tn.
    pub data: Vec<Acc>,
    /// Lanes that saturated.
    pub sat: u32,
}

/// Cycle model of [`crate::core::nfu::Nfu`]: call [`NfuModel::cycle`] once per clock with
/// the bundle presented in that cycle; it returns the output bundle shown in
/// that cycle (before the edge).
pub struct NfuModel {
    tn: usize,
    frac: u32,
    tables: Vec<Table>,
    acc: Vec<Acc>,
    /// `mul`: the NBin row held by the last even step.
    hold: Vec<Data>,
    lfsr: Vec<Lfsr>,
    pipe: VecDeque<Option<NfuWrite>>,
}

impl NfuModel {
    /// Model of the NFU of `cfg`.
    pub fn new(cfg: &AccelConfig) -> Self {
        let tn = cfg.tn as usize;
        let lat = (cfg.pipeline.nfu1 + cfg.pipeline.nfu2 + cfg.pipeline.nfu3) as usize;
        NfuModel {
            tn,
            frac: cfg.frac_bits,
            tables: rom(cfg.frac_bits),
            acc: vec![0; tn],
            hold: vec![0; tn],
            lfsr: (0..tn as u32)
                .map(|n| Lfsr(Lfsr::lane_seed(cfg.lfsr_seed, n)))
                .collect(),
            pipe: (0..lat).map(|_| None).collect(),
        }
    }

    /// Output shown in this cycle, then sample `s` at the edge.
    pub fn cycle(&mut self, s: &NfuStep) -> Option<NfuWrite> {
        let out = self.pipe.pop_front().flatten();
        let w = if s.valid { self.step(s) } else { None };
        self.pipe.push_back(w);
        out
    }

    fn step(&mut self, s: &NfuStep) -> Option<NfuWrite> {
        let tn = self.tn;
        for n in 0..tn {
            let init = match s.acc_in {
                AccIn::Nbout => s.nbout[n],
                AccIn::Bias if matches!(s.op, NfuOp::Mac | NfuOp::Mul) => {
                    (s.bias[n] as Acc).wrapping_shl(self.frac)
                }
                AccIn::Bias => s.bias[n] as Acc,
                AccIn::Zero if s.op == NfuOp::Max => Acc::MIN,
                AccIn::Zero => 0,
            };
            let base = if s.first { init } else { self.acc[n] };
            self.acc[n] = match s.op {
                NfuOp::Max => base.max(s.nbin[n] as Acc),
                NfuOp::Avg => fixed::acc_add(base, s.nbin[n] as Acc),
                NfuOp::Mul if s.odd => fixed::acc_add(base, fixed::mul(self.hold[n], s.nbin[n])),
                NfuOp::Mul => {
                    self.hold[n] = s.nbin[n];
                    base
                }
                NfuOp::Mac | NfuOp::Nop => {
                    let w: Vec<Data> = (0..tn)
                        .map(|i| {
                            if s.transpose {
                                s.sb[i * tn + n]
                            } else {
                                s.sb[n * tn + i]
                            }
                        })
                        .collect();
                    fixed::acc_add(base, fixed::dot(&w, &s.nbin))
                }
            };
        }
        if !s.last {
            return None;
        }
        let mut sat = 0;
        let data = (0..tn)
            .map(|n| {
                let acc = self.acc[n];
                if !s.activate {
                    return acc;
                }
                let r = if s.round == Rounding::Stochastic {
                    self.lfsr[n].step()
                } else {
                    0
                };
                let (x, s1) = match s.op {
                    NfuOp::Avg => fixed::convert_avg(acc, s.scale, s.round, r),
                    NfuOp::Max => fixed::convert(acc, 0, s.round, r),
                    _ => fixed::convert(acc, self.frac, s.round, r),
                };
                let t = &self.tables[Activation::ALL
                    .iter()
                    .position(|a| *a == s.act)
                    .expect("listed")];
                let (y, s2) = t.apply(x, self.frac);
                sat += u32::from(s1 || s2);
                y as Acc
            })
            .collect();
        Some(NfuWrite {
            row: s.row,
            data,
            sat,
        })
    }
}
