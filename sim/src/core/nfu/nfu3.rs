//! `nfu3`: conversion of a finished accumulator to a 16-bit word (mac, mul:
//! round away `frac` bits; avg: `acc * scale` rounded by 15 bits; max: no
//! rounding, i.e. a shift of 0 bits), saturation, then the piecewise-linear
//! activation (`arch::activation::Table`). Stochastic rounding steps each
//! lane's LFSR once per output, before use.

use arch::activation::{Activation, Table};
use arch::fixed::{convert, convert_avg, Lfsr, Rounding};
use arch::isa::NfuOp;

/// Index of activation `act` in `Activation::ALL`, the order of the NFU-3
/// tables ([`arch::activation::rom`]). Every activation is listed there (the
/// test `every_activation_has_a_table` checks it), so a miss is a bug.
#[inline]
pub fn table_index(act: Activation) -> usize {
    Activation::ALL
        .iter()
        .position(|a| *a == act)
        .expect("every activation is listed in Activation::ALL")
}

/// Conversion of one accumulator to a data word; returns (word, saturated).
/// `random` is the lane's stochastic bits (0 unless `round=stoch`).
#[inline(always)]
pub fn to_word(
    op: NfuOp,
    acc: i32,
    frac: u32,
    round: Rounding,
    scale: u16,
    random: u32,
) -> (i16, bool) {
    match op {
        NfuOp::Avg => convert_avg(acc, scale, round, random),
        // no rounding: round_shift by 0 bits is the identity, so this is
        // exactly `saturate(acc as i64)`
        NfuOp::Max => convert(acc, 0, round, random),
        NfuOp::Mac | NfuOp::Mul | NfuOp::Nop => convert(acc, frac, round, random),
    }
}

/// True if every segment of `t` has slope `2^frac` and intercept 0: then
/// `apply(x) = saturate(((x << frac) >> frac) + 0) = (x, false)` for every
/// data word x (the product fits in 32 bits for `frac <= 15`), so the
/// table can be skipped (the identity's table, the activation of most
/// element-wise programs and of layers without one).
pub fn is_identity(t: &Table, frac: u32) -> bool {
    frac <= 15
        && t.entries
            .iter()
            .all(|&(a, b)| a as i32 == 1 << frac && b == 0)
}

/// The NBout entries of an `out=act` output from accumulators `acc`, with
/// table `table` (`None`: a table [`is_identity`] says is the identity)
/// and the lanes' LFSRs; appends the entries (sign-extended words) to
/// `out` and returns the number of lanes that saturated in either step.
#[inline]
#[allow(clippy::too_many_arguments)]
pub fn activate(
    acc: &[i32],
    op: NfuOp,
    round: Rounding,
    scale: u16,
    frac: u32,
    table: Option<&Table>,
    lfsr: &mut [Lfsr],
    out: &mut Vec<i32>,
) -> u32 {
    let stoch = round == Rounding::Stochastic;
    let mut sats = 0u32;
    match table {
        Some(table) => out.extend(acc.iter().zip(lfsr.iter_mut()).map(|(&a, l)| {
            let rnd = if stoch { l.step() } else { 0 };
            let (x, s1) = to_word(op, a, frac, round, scale, rnd);
            let (y, s2) = table.apply(x, frac);
            sats += (s1 || s2) as u32;
            y as i32
        })),
        None => out.extend(acc.iter().zip(lfsr.iter_mut()).map(|(&a, l)| {
            let rnd = if stoch { l.step() } else { 0 };
            let (x, s1) = to_word(op, a, frac, round, scale, rnd);
            sats += s1 as u32;
            x as i32
        })),
    }
    sats
}

#[cfg(test)]
mod tests {
    use super::*;
    use arch::fixed::saturate;

    /// [`is_identity`] holds for the identity's table at every fraction
    /// width the configurations allow, and where it holds the table
    /// returns every data word unchanged and unsaturated; it does not hold
    /// for the other activations.
    #[test]
    fn identity_tables_are_skipped_exactly() {
        for frac in 0..=15 {
            for (i, t) in arch::activation::rom(frac).iter().enumerate() {
                let act = Activation::ALL[i];
                let id = is_identity(t, frac);
                if act == Activation::Identity && frac <= 14 {
                    assert!(id, "identity at frac {frac}");
                }
                if act == Activation::Relu || act == Activation::Sigmoid {
                    assert!(!id, "{act:?} at frac {frac}");
                }
                if id {
                    for x in i16::MIN..=i16::MAX {
                        assert_eq!(t.apply(x, frac), (x, false), "{act:?} frac {frac} x {x}");
                    }
                }
            }
        }
    }

    /// `Activation::ALL` lists every variant (the match below is exhaustive:
    /// a new variant fails to compile here until it is listed), so
    /// [`table_index`]'s `expect` cannot fire and the old `unwrap_or(0)` never
    /// took its fallback: both spellings computed the same index.
    #[test]
    fn every_activation_has_a_table() {
        let rom = arch::activation::rom(8);
        assert_eq!(rom.len(), Activation::ALL.len());
        for a in Activation::ALL {
            assert_eq!(Activation::ALL[table_index(a)], a);
        }
        let variants = |a: Activation| match a {
            Activation::Identity
            | Activation::Relu
            | Activation::Sigmoid
            | Activation::Tanh
            | Activation::ReluDeriv
            | Activation::SigmoidDeriv
            | Activation::TanhDeriv => a,
        };
        assert_eq!(Activation::ALL.len(), 7);
        assert!(Activation::ALL.iter().all(|a| variants(*a) == *a));
    }

    /// The two spellings of the max conversion found in the old copies
    /// (`saturate(a as i64)` in sim, `convert(a, 0, ..)` in hdl's model) agree
    /// for every rounding mode and random word.
    #[test]
    fn max_conversion_is_saturation() {
        let mut l = Lfsr(0x1234_5678);
        let mut vals: Vec<i32> = vec![i32::MIN, i32::MAX, -32769, -32768, -1, 0, 1, 32767, 32768];
        vals.extend((0..5000).map(|_| l.step() as i32));
        vals.extend((0..5000).map(|_| (l.step() as i32) >> 14));
        for v in vals {
            for round in Rounding::ALL {
                for r in [0u32, 1, 0xffff_ffff, l.step()] {
                    assert_eq!(to_word(NfuOp::Max, v, 8, round, 0, r), saturate(v as i64));
                }
            }
        }
    }
}
