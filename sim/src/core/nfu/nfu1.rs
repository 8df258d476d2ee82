//! `nfu1`: the Tn x Tn multipliers (products exact in 32 bits). For `mac`
//! the kernels here also sum each lane's Tn products (NFU-2's adder tree):
//! the sums wrap modulo 2^32, so the order of additions does not matter and
//! the fast kernel may fuse and vectorise them. The fast kernel takes the
//! host's AVX2 path ([`crate::simd`]) where the CPU and Tn allow, else the
//! portable scalar kernel; [`mac_plain`] is the contract's reference.

use super::Kernel;
use arch::fixed::{acc_add, mul};

/// One multiplier: `a * b`, exact in 32 bits.
#[inline(always)]
pub fn product(a: i16, b: i16) -> i32 {
    mul(a, b)
}

/// `acc[n] += sum_i w[n*Tn + i] * x[i]` (transposed: `w[i*Tn + n]`) with
/// kernel `k`; both kernels give the same result.
#[inline(always)]
pub fn mac_row(acc: &mut [i32], w: &[i16], x: &[i16], transpose: bool, k: Kernel) {
    mac_stretch(acc, w, x, transpose, k)
}

/// `m` consecutive `mac` issues at once (`Tn = acc.len()`, `m = x.len()/Tn`;
/// `w` holds their `m` SB rows, `x` their `m` NBin rows, each in order):
/// the same as [`mac_row`] on each (SB row, NBin row) pair in turn.
#[inline(always)]
pub fn mac_stretch(acc: &mut [i32], w: &[i16], x: &[i16], transpose: bool, k: Kernel) {
    let tn = acc.len();
    assert!(
        x.chunks_exact(tn).remainder().is_empty() && w.len() == x.len() * tn,
        "mac: {} SB words and {} NBin words are not whole rows of Tn = {tn}",
        w.len(),
        x.len()
    );
    match k {
        Kernel::Fast => mac_fast(acc, w, x, transpose),
        Kernel::Plain => {
            for (wr, xr) in w.chunks_exact(tn * tn).zip(x.chunks_exact(tn)) {
                mac_plain(acc, wr, xr, transpose);
            }
        }
    }
}

/// The contract's formula, literally: `acc[n] += sum_i SB[n*Tn+i] * x[i]`
/// (transposed: `SB[i*Tn+n]`), products exact, sums modulo 2^32.
#[inline]
pub fn mac_plain(acc: &mut [i32], w: &[i16], x: &[i16], transpose: bool) {
    let tn = x.len();
    for n in 0..tn {
        let mut sum = 0i32;
        for i in 0..tn {
            let wi = if transpose {
                w[i * tn + n]
            } else {
                w[n * tn + i]
            };
            sum = acc_add(sum, product(wi, x[i]));
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

/// The fast kernel on `m = x.len()/Tn` issues (see [`mac_stretch`]): AVX2
/// if [`crate::simd::mac_path`] says so and Tn has an AVX2 kernel (8, 16,
/// 32 or 64), else [`mac_fast_scalar`]. Same
/// result as [`mac_plain`] on each issue: wrapping sums are order-free.
#[inline]
pub fn mac_fast(acc: &mut [i32], w: &[i16], x: &[i16], transpose: bool) {
    if crate::simd::mac_path() == crate::simd::MacPath::Avx2 {
        let done = if transpose {
            crate::simd::mac_cols_avx2(acc, w, x)
        } else {
            crate::simd::mac_rows_avx2(acc, w, x)
        };
        if done {
            return;
        }
    }
    mac_fast_scalar(acc, w, x, transpose)
}

/// Portable vectorisable version of [`mac_plain`] on `m = x.len()/Tn`
/// issues (same result: wrapping sums are order-free).
#[inline]
pub fn mac_fast_scalar(acc: &mut [i32], w: &[i16], x: &[i16], transpose: bool) {
    let tn = acc.len();
    macro_rules! sel {
        ($($t:literal),*) => {
            match (tn, transpose) {
                $(
                    ($t, false) => for (wr, xr) in w.chunks_exact($t * $t).zip(x.chunks_exact($t)) {
                        mac_rows::<$t>(acc, wr, xr)
                    },
                    ($t, true) => for (wr, xr) in w.chunks_exact($t * $t).zip(x.chunks_exact($t)) {
                        mac_cols::<$t>(acc, wr, xr)
                    },
                )*
                _ => for (wr, xr) in w.chunks_exact(tn * tn).zip(x.chunks_exact(tn)) {
                    mac_plain(acc, wr, xr, transpose)
                },
            }
        };
    }
    sel!(1, 2, 4, 8, 16, 32, 64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::{avx2_available, mac_cols_avx2, mac_rows_avx2};
    use proptest::prelude::*;

    /// Every Tn the presets use, and a non-power of two.
    const TNS: [usize; 8] = [1, 2, 3, 4, 8, 16, 32, 64];

    /// Reference: [`mac_plain`] issue by issue.
    fn plain(acc: &mut [i32], w: &[i16], x: &[i16], tr: bool) {
        let tn = acc.len();
        for (wr, xr) in w.chunks_exact(tn * tn).zip(x.chunks_exact(tn)) {
            mac_plain(acc, wr, xr, tr);
        }
    }

    /// Every path on the same inputs, each compared with the reference.
    fn check_all(a0: &[i32], w: &[i16], x: &[i16], tr: bool) -> Result<(), TestCaseError> {
        let mut want = a0.to_vec();
        plain(&mut want, w, x, tr);
        let mut got = a0.to_vec();
        mac_fast_scalar(&mut got, w, x, tr);
        prop_assert_eq!(&got, &want, "fast scalar");
        let mut got = a0.to_vec();
        mac_fast(&mut got, w, x, tr);
        prop_assert_eq!(&got, &want, "fast (dispatching)");
        let mut got = a0.to_vec();
        mac_stretch(&mut got, w, x, tr, Kernel::Plain);
        prop_assert_eq!(&got, &want, "plain stretch");
        // issue by issue through mac_row, both kernels
        for k in [Kernel::Fast, Kernel::Plain] {
            let tn = a0.len();
            let mut got = a0.to_vec();
            for (wr, xr) in w.chunks_exact(tn * tn).zip(x.chunks_exact(tn)) {
                mac_row(&mut got, wr, xr, tr, k);
            }
            prop_assert_eq!(&got, &want, "mac_row {:?}", k);
        }
        {
            let mut got = a0.to_vec();
            let took = if tr {
                mac_cols_avx2(&mut got, w, x)
            } else {
                mac_rows_avx2(&mut got, w, x)
            };
            if took {
                prop_assert_eq!(&got, &want, "avx2");
            } else {
                prop_assert!(!avx2_available() || !matches!(a0.len(), 8 | 16 | 32 | 64));
                prop_assert_eq!(&got, a0, "avx2 refused but changed acc");
            }
        }
        Ok(())
    }

    /// A word: mostly random, often an extreme.
    fn word(r: &mut impl rand::Rng) -> i16 {
        match r.gen_range(0..4) {
            0 => i16::MIN,
            1 => i16::MAX,
            _ => r.gen(),
        }
    }

    proptest! {
        #[test]
        fn every_kernel_path_equals_plain(
            tn in prop::sample::select(TNS.to_vec()),
            m in 1usize..6,
            tr: bool,
            extremes: bool,
            seed: u64,
        ) {
            use rand::{Rng, SeedableRng};
            let mut r = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let g = |r: &mut rand_chacha::ChaCha8Rng| if extremes { word(r) } else { r.gen() };
            let w: Vec<i16> = (0..m * tn * tn).map(|_| g(&mut r)).collect();
            let x: Vec<i16> = (0..m * tn).map(|_| g(&mut r)).collect();
            let a0: Vec<i32> = (0..tn).map(|_| r.gen()).collect();
            check_all(&a0, &w, &x, tr)?;
        }
    }

    /// All words `i16::MIN` (every product 2^30, every `vpmaddwd` pair sum
    /// 2^31, which wraps), and the other corners, for every Tn and both layouts.
    #[test]
    fn extreme_words_every_path() {
        let corners = [
            (i16::MIN, i16::MIN),
            (i16::MAX, i16::MAX),
            (i16::MIN, i16::MAX),
            (i16::MAX, i16::MIN),
            (-1, i16::MIN),
        ];
        for tn in TNS {
            for tr in [false, true] {
                for (wv, xv) in corners {
                    for a in [0, i32::MIN, i32::MAX, -1] {
                        let m = 3;
                        let w = vec![wv; m * tn * tn];
                        let x = vec![xv; m * tn];
                        check_all(&vec![a; tn], &w, &x, tr).unwrap_or_else(|e| {
                            panic!("tn {tn} tr {tr} w {wv} x {xv} acc {a}: {e}")
                        });
                    }
                }
            }
        }
    }

    /// `vpmaddwd` on one pair `(-32768)*(-32768) * 2` = 2^31 wraps to
    /// `i32::MIN`, as wrapping addition does.
    #[test]
    fn madd_pair_overflow_wraps_like_acc_add() {
        let p = product(i16::MIN, i16::MIN);
        assert_eq!(p, 1 << 30);
        assert_eq!(acc_add(p, p), i32::MIN);
        let tn = 8;
        let mut acc = vec![0i32; tn];
        let w = vec![i16::MIN; tn * tn];
        let x = vec![i16::MIN; tn];
        let mut want = acc.clone();
        mac_plain(&mut want, &w, &x, false);
        // 8 products of 2^30 = 2^33 = 0 mod 2^32
        assert_eq!(want, vec![0; tn]);
        if mac_rows_avx2(&mut acc, &w, &x) {
            assert_eq!(acc, want);
        }
    }
}
