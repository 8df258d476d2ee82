//! `nfu1`: the Tn x Tn multipliers (products exact in 32 bits). For `mac`
//! the kernels here also sum each lane's Tn products (NFU-2's adder tree):
//! the sums wrap modulo 2^32, so the order of additions does not matter and
//! the fast kernel may fuse and vectorise them.

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
    match k {
        Kernel::Fast => mac_fast(acc, w, x, transpose),
        Kernel::Plain => mac_plain(acc, w, x, transpose),
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

/// Vectorisable version of [`mac_plain`] (same result: wrapping sums are
/// order-free).
#[inline]
pub fn mac_fast(acc: &mut [i32], w: &[i16], x: &[i16], transpose: bool) {
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
