//! `nfu2`: per lane, the accumulator (initial value, mac accumulate), the
//! max unit, the sum unit (avg) and the `mul` hold register with its
//! multiply-accumulate. Every sum wraps modulo 2^32.

use super::nfu1::product;
use arch::fixed::acc_add;
use arch::isa::{AccIn, NfuOp};

/// The initial accumulator of an output (`in=` field): `zero` -> 0 (max:
/// -2^31); `nbout` -> the NBout entries; `bias` -> the bias register,
/// sign-extended, shifted left by `frac` for mac and mul, not for max/avg.
/// `nbout` is read only for `in=nbout`.
#[inline(always)]
pub fn init(acc: &mut [i32], op: NfuOp, acc_in: AccIn, nbout: &[i32], bias: &[i16], frac: u32) {
    match (acc_in, op) {
        (AccIn::Zero, NfuOp::Max) => acc.fill(i32::MIN),
        (AccIn::Zero, _) => acc.fill(0),
        (AccIn::Nbout, _) => acc.copy_from_slice(nbout),
        (AccIn::Bias, NfuOp::Mac | NfuOp::Mul | NfuOp::Nop) => {
            for (a, b) in acc.iter_mut().zip(bias) {
                *a = (*b as i32) << frac;
            }
        }
        (AccIn::Bias, NfuOp::Max | NfuOp::Avg) => {
            for (a, b) in acc.iter_mut().zip(bias) {
                *a = *b as i32;
            }
        }
    }
}

/// Max unit: `acc[n] = max(acc[n], x[n])`.
#[inline(always)]
pub fn max(acc: &mut [i32], x: &[i16]) {
    for (a, v) in acc.iter_mut().zip(x) {
        *a = (*a).max(*v as i32);
    }
}

/// Sum unit: `acc[n] += x[n]`.
#[inline(always)]
pub fn sum(acc: &mut [i32], x: &[i16]) {
    for (a, v) in acc.iter_mut().zip(x) {
        *a = acc_add(*a, *v as i32);
    }
}

/// Which half of an `nfu.mul` pair a step is: steps of an output are
/// numbered `k = ky*ni + i`; an even k loads the hold register, an odd k
/// multiplies it with its NBin word and accumulates. A trailing even step
/// (odd step count) only loads the hold register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MulStep {
    /// Even k: `hold[n] = x[n]`.
    LoadHold,
    /// Odd k: `acc[n] += hold[n] * x[n]`.
    MultiplyHeld,
}

impl MulStep {
    /// The half of the pair of step `k` of an output.
    #[inline(always)]
    pub fn of_step(k: u64) -> Self {
        if k & 1 == 0 {
            MulStep::LoadHold
        } else {
            MulStep::MultiplyHeld
        }
    }
}

/// One `mul` step on the accumulators and the hold register.
#[inline(always)]
pub fn mul_step(acc: &mut [i32], hold: &mut [i16], x: &[i16], half: MulStep) {
    match half {
        MulStep::LoadHold => hold.copy_from_slice(x),
        MulStep::MultiplyHeld => {
            for ((a, h), v) in acc.iter_mut().zip(hold.iter()).zip(x) {
                *a = acc_add(*a, product(*h, *v));
            }
        }
    }
}
