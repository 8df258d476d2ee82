//! Fixed-point arithmetic: the one definition used by the simulator, the RTL
//! tests, the firmware's reference and the host.
//!
//! Format (see docs/microarchitecture.md, "Arithmetic"):
//! * data words are 16-bit two's complement with `frac` fraction bits
//!   (Q7.8 in every preset);
//! * NFU-1 products are exact 32-bit (16 x 16 -> 32, Q15.16 for Q7.8 data);
//! * NFU-2 sums Tn products exactly and accumulates into a 32-bit
//!   accumulator **modulo 2^32** (wrapping). Wrapping addition is associative,
//!   so any tiling of a reduction gives the same bits as the untiled sum;
//! * output conversion (accumulator -> data word) rounds with the
//!   instruction's [`Rounding`] and saturates to 16 bits; every saturation is
//!   counted by the caller (event `saturations`).

use serde::{Deserialize, Serialize};

/// A data word (16-bit fixed point).
pub type Data = i16;
/// An accumulator / NBout entry (32-bit, wrapping).
pub type Acc = i32;

/// How a value is rounded when fraction bits are dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Rounding {
    /// Drop the low bits (round toward minus infinity).
    #[default]
    Truncate,
    /// Add half an LSB, then drop (round half up).
    Nearest,
    /// Add the low bits of the lane's LFSR, then drop (Gupta et al. 2015).
    Stochastic,
}

impl Rounding {
    /// All modes, in encoding order.
    pub const ALL: [Rounding; 3] = [Rounding::Truncate, Rounding::Nearest, Rounding::Stochastic];
    /// Assembly mnemonic.
    pub fn mnemonic(self) -> &'static str {
        match self {
            Rounding::Truncate => "trunc",
            Rounding::Nearest => "nearest",
            Rounding::Stochastic => "stoch",
        }
    }
}

/// NFU-1: exact 16 x 16 -> 32 product.
#[inline(always)]
pub fn mul(a: Data, b: Data) -> Acc {
    a as i32 * b as i32
}

/// NFU-2: accumulate modulo 2^32.
#[inline(always)]
pub fn acc_add(acc: Acc, x: Acc) -> Acc {
    acc.wrapping_add(x)
}

/// A dot product of equal-length slices, accumulated modulo 2^32 (the order
/// does not matter: wrapping addition is associative).
#[inline]
pub fn dot(a: &[Data], b: &[Data]) -> Acc {
    a.iter()
        .zip(b)
        .fold(0i32, |s, (&x, &y)| s.wrapping_add(mul(x, y)))
}

/// Saturate a wide value to a data word; returns the word and whether it saturated.
#[inline(always)]
pub fn saturate(v: i64) -> (Data, bool) {
    if v > i16::MAX as i64 {
        (i16::MAX, true)
    } else if v < i16::MIN as i64 {
        (i16::MIN, true)
    } else {
        (v as i16, false)
    }
}

/// Drop `shift` low bits of `v` with the given rounding. `random` supplies the
/// stochastic bits (only its low `shift` bits are used).
#[inline(always)]
pub fn round_shift(v: i64, shift: u32, mode: Rounding, random: u32) -> i64 {
    if shift == 0 {
        return v;
    }
    let mask = (1i64 << shift) - 1;
    let add = match mode {
        Rounding::Truncate => 0,
        Rounding::Nearest => 1i64 << (shift - 1),
        Rounding::Stochastic => (random as i64) & mask,
    };
    (v + add) >> shift
}

/// Convert an accumulator to a data word: round away `shift` bits, saturate.
/// Returns (word, saturated).
#[inline(always)]
pub fn convert(acc: Acc, shift: u32, mode: Rounding, random: u32) -> (Data, bool) {
    saturate(round_shift(acc as i64, shift, mode, random))
}

/// Average-pool conversion: `(sum * scale)` rounded by 15 bits, saturated.
/// `scale` is round(2^15 / window), see [`avg_scale`].
#[inline(always)]
pub fn convert_avg(sum: Acc, scale: u16, mode: Rounding, random: u32) -> (Data, bool) {
    saturate(round_shift(
        sum as i64 * scale as i64,
        AVG_SCALE_SHIFT,
        mode,
        random,
    ))
}

/// Fraction bits of the average-pool scale factor.
pub const AVG_SCALE_SHIFT: u32 = 15;

/// The average-pool scale for a window of `n` elements: round(2^15 / n).
pub fn avg_scale(n: u32) -> u16 {
    let n = n.max(1) as u64;
    (((1u64 << AVG_SCALE_SHIFT) + n / 2) / n).min(u16::MAX as u64) as u16
}

/// Quantize a real number to a data word with `frac` fraction bits (nearest, saturating).
pub fn from_f64(x: f64, frac: u32) -> Data {
    let v = (x * (1u64 << frac) as f64).round();
    if v.is_nan() {
        0
    } else {
        v.clamp(i16::MIN as f64, i16::MAX as f64) as i16
    }
}

/// The real value of a data word with `frac` fraction bits.
pub fn to_f64(x: Data, frac: u32) -> f64 {
    x as f64 / (1u64 << frac) as f64
}

/// Feedback mask of the stochastic-rounding LFSR: the 32-bit Galois LFSR with
/// polynomial x^32 + x^22 + x^2 + x + 1 (maximal length), shifted right.
pub const LFSR_TAPS: u32 = 0x8020_0003;

/// The per-lane stochastic-rounding LFSR ("LFSR32-G22", Galois form).
///
/// Lane `l` starts from [`Lfsr::lane_seed`]`(seed, l)` at reset and steps once
/// every time that lane converts a value with [`Rounding::Stochastic`]; the
/// new state's low bits are the random bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lfsr(pub u32);

impl Lfsr {
    /// The state a lane starts from when `seed ^ lane_offset(lane)` is zero
    /// (the all-zero state never leaves zero).
    pub const ZERO_SEED_STATE: u32 = 1;

    /// The word lane `lane`'s start state differs from the seed by:
    /// `(lane + 1) * 0x9E3779B9` modulo 2^32 (the hardware holds it as a
    /// constant per lane).
    pub fn lane_offset(lane: u32) -> u32 {
        lane.wrapping_add(1).wrapping_mul(0x9E37_79B9)
    }

    /// Seed of lane `lane` derived from the run's seed (never zero):
    /// `seed ^ lane_offset(lane)`, or [`Lfsr::ZERO_SEED_STATE`] if that is 0.
    pub fn lane_seed(seed: u32, lane: u32) -> u32 {
        let s = seed ^ Self::lane_offset(lane);
        if s == 0 {
            Self::ZERO_SEED_STATE
        } else {
            s
        }
    }
    /// Advance one step and return the new state.
    #[inline(always)]
    pub fn step(&mut self) -> u32 {
        let lsb = self.0 & 1;
        self.0 >>= 1;
        if lsb != 0 {
            self.0 ^= LFSR_TAPS;
        }
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rounding_modes() {
        assert_eq!(round_shift(0x17f, 8, Rounding::Truncate, 0), 1);
        assert_eq!(round_shift(0x17f, 8, Rounding::Nearest, 0), 1);
        assert_eq!(round_shift(0x180, 8, Rounding::Nearest, 0), 2);
        assert_eq!(round_shift(-0x180, 8, Rounding::Nearest, 0), -1);
        assert_eq!(round_shift(-1, 8, Rounding::Truncate, 0), -1);
        assert_eq!(round_shift(0x101, 8, Rounding::Stochastic, 0xff), 2);
        assert_eq!(round_shift(0x101, 8, Rounding::Stochastic, 0xfe), 1);
    }

    #[test]
    fn saturation_is_reported() {
        assert_eq!(
            convert(i32::MAX, 8, Rounding::Truncate, 0),
            (i16::MAX, true)
        );
        assert_eq!(
            convert(i32::MIN, 8, Rounding::Truncate, 0),
            (i16::MIN, true)
        );
        assert_eq!(convert(256 * 3, 8, Rounding::Truncate, 0), (3, false));
    }

    #[test]
    fn lfsr_is_maximal_over_a_long_stretch_and_never_zero() {
        let mut l = Lfsr(1);
        let first = l.step();
        for _ in 0..1_000_000 {
            let s = l.step();
            assert_ne!(s, 0);
            assert_ne!(s, first);
        }
    }

    #[test]
    fn avg_scale_values() {
        assert_eq!(avg_scale(1), 32768);
        assert_eq!(avg_scale(4), 8192);
        assert_eq!(avg_scale(9), 3641);
        // averaging a constant gives it back for small windows
        for n in 1..=16u32 {
            let v: i16 = 300;
            let (y, _) = convert_avg(v as i32 * n as i32, avg_scale(n), Rounding::Nearest, 0);
            assert!((y - v).abs() <= 1, "n={n} y={y}");
        }
    }

    proptest! {
        #[test]
        fn stochastic_rounding_is_unbiased_bounds(v in -1_000_000i64..1_000_000, r in any::<u32>()) {
            let lo = v >> 8;
            let x = round_shift(v, 8, Rounding::Stochastic, r);
            prop_assert!(x == lo || x == lo + 1);
        }

        #[test]
        fn wrapping_accumulation_is_order_free(xs in proptest::collection::vec(any::<(i16, i16)>(), 0..64)) {
            let fwd = xs.iter().fold(0i32, |s, &(a, b)| acc_add(s, mul(a, b)));
            let rev = xs.iter().rev().fold(0i32, |s, &(a, b)| acc_add(s, mul(a, b)));
            prop_assert_eq!(fwd, rev);
        }
    }
}
