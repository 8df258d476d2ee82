//! NFU-3: the 16-segment piecewise-linear activation tables.
//!
//! Each table has a segment width w (1.0, or 0.5 for tanh and its derivative,
//! which bend within +-4). Segment `s` covers the real inputs
//! `[(s - 8) w, (s - 7) w)`; segments 0 and 15 also cover everything beyond.
//! The segment index is `clamp((x >> seg_shift) + 8, 0, 15)` with
//! `seg_shift = frac + log2(w)` ([`Activation::seg_shift`]). In segment `s`,
//! `y = saturate(((a_s * x) >> frac) + b_s)`, where `a_s` and `b_s` are data
//! words and the shift truncates. Tables are computed here once, from the
//! real functions, and emitted by the HDL as a ROM.

use crate::fixed::{from_f64, saturate, Data};
use serde::{Deserialize, Serialize};

/// Number of segments of every table.
pub const SEGMENTS: usize = 16;
/// Offset that maps the integer part of the input to a segment index.
pub const SEGMENT_BIAS: i32 = 8;

/// The functions NFU-3 can apply (encoding order = [`Activation::ALL`] order).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Activation {
    /// y = x (exact).
    #[default]
    Identity,
    /// y = max(0, x) (exact).
    Relu,
    /// y = 1 / (1 + e^-x), interpolated between integer points.
    Sigmoid,
    /// y = tanh(x), interpolated between integer points.
    Tanh,
    /// y = 1 if x >= 0 else 0: ReLU's derivative as a function of its input.
    ReluDeriv,
    /// y = sigmoid(x) (1 - sigmoid(x)).
    SigmoidDeriv,
    /// y = 1 - tanh(x)^2.
    TanhDeriv,
}

impl Activation {
    /// All functions, in encoding order.
    pub const ALL: [Activation; 7] = [
        Activation::Identity,
        Activation::Relu,
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::ReluDeriv,
        Activation::SigmoidDeriv,
        Activation::TanhDeriv,
    ];

    /// Assembly / model-file name.
    pub fn mnemonic(self) -> &'static str {
        match self {
            Activation::Identity => "identity",
            Activation::Relu => "relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::ReluDeriv => "drelu",
            Activation::SigmoidDeriv => "dsigmoid",
            Activation::TanhDeriv => "dtanh",
        }
    }

    /// Parse a mnemonic.
    pub fn from_mnemonic(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.mnemonic() == s)
    }

    /// The real function (for tables and f32 references).
    pub fn eval_f64(self, x: f64) -> f64 {
        let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
        match self {
            Activation::Identity => x,
            Activation::Relu => x.max(0.0),
            Activation::Sigmoid => sig(x),
            Activation::Tanh => x.tanh(),
            Activation::ReluDeriv => {
                if x >= 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::SigmoidDeriv => sig(x) * (1.0 - sig(x)),
            Activation::TanhDeriv => 1.0 - x.tanh().powi(2),
        }
    }

    /// log2 of the segment width (0: width 1; -1: width 0.5).
    pub fn log2_width(self) -> i32 {
        match self {
            Activation::Tanh | Activation::TanhDeriv => -1,
            _ => 0,
        }
    }

    /// Bits dropped from a data word with `frac` fraction bits to get its segment.
    pub fn seg_shift(self, frac: u32) -> u32 {
        (frac as i32 + self.log2_width()).max(0) as u32
    }

    /// Real (slope, intercept) of segment `s`.
    fn segment_f64(self, s: usize) -> (f64, f64) {
        let w = 2f64.powi(self.log2_width());
        let lo = (s as f64 - SEGMENT_BIAS as f64) * w;
        let hi = lo + w;
        match self {
            Activation::Identity => (1.0, 0.0),
            Activation::Relu => {
                if s < SEGMENT_BIAS as usize {
                    (0.0, 0.0)
                } else {
                    (1.0, 0.0)
                }
            }
            Activation::ReluDeriv => (0.0, if s < SEGMENT_BIAS as usize { 0.0 } else { 1.0 }),
            _ => {
                if s == 0 {
                    (0.0, self.eval_f64(hi))
                } else if s == SEGMENTS - 1 {
                    (0.0, self.eval_f64(lo))
                } else {
                    let (ylo, yhi) = (self.eval_f64(lo), self.eval_f64(hi));
                    let a = (yhi - ylo) / w;
                    (a, ylo - a * lo)
                }
            }
        }
    }

    /// The quantized (a, b) table for `frac` fraction bits.
    pub fn table(self, frac: u32) -> [(Data, Data); SEGMENTS] {
        let mut t = [(0, 0); SEGMENTS];
        for (s, e) in t.iter_mut().enumerate() {
            let (a, b) = self.segment_f64(s);
            *e = (from_f64(a, frac), from_f64(b, frac));
        }
        t
    }
}

/// One quantized NFU-3 table: segment shift and 16 (a, b) pairs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Table {
    /// Bits dropped from the input to get the segment index.
    pub seg_shift: u32,
    /// (slope, intercept) per segment, data words.
    pub entries: [(Data, Data); SEGMENTS],
}

impl Table {
    /// The table of `f` for `frac` fraction bits.
    pub fn new(f: Activation, frac: u32) -> Self {
        Table {
            seg_shift: f.seg_shift(frac),
            entries: f.table(frac),
        }
    }
    /// Segment index of data word `x`.
    #[inline(always)]
    pub fn segment(&self, x: Data) -> usize {
        ((x as i32 >> self.seg_shift) + SEGMENT_BIAS).clamp(0, SEGMENTS as i32 - 1) as usize
    }
    /// Apply the table: returns (y, saturated).
    #[inline(always)]
    pub fn apply(&self, x: Data, frac: u32) -> (Data, bool) {
        let (a, b) = self.entries[self.segment(x)];
        saturate(((a as i32 * x as i32) >> frac) as i64 + b as i64)
    }
}

/// All tables for `frac`, indexed by encoding order (the NFU-3 ROM contents).
pub fn rom(frac: u32) -> Vec<Table> {
    Activation::ALL
        .iter()
        .map(|a| Table::new(*a, frac))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_and_relu_are_exact() {
        let id = Table::new(Activation::Identity, 8);
        let re = Table::new(Activation::Relu, 8);
        for x in i16::MIN..=i16::MAX {
            assert_eq!(id.apply(x, 8), (x, false));
            assert_eq!(re.apply(x, 8).0, x.max(0));
        }
    }

    #[test]
    fn sigmoid_and_tanh_are_close() {
        for (f, tol) in [
            (Activation::Sigmoid, 0.02),
            (Activation::Tanh, 0.03),
            (Activation::SigmoidDeriv, 0.03),
            (Activation::TanhDeriv, 0.07),
        ] {
            let t = Table::new(f, 8);
            for x in (-3000i16..3000).step_by(7) {
                let y = t.apply(x, 8).0 as f64 / 256.0;
                let r = f.eval_f64(x as f64 / 256.0);
                assert!((y - r).abs() < tol, "{f:?} x={x} y={y} r={r}");
            }
        }
    }
}
