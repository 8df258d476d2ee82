//! Host SIMD kernels for the NFU's `mac` (an implementation detail of the
//! simulator, not a block of the accelerator: it lives outside `core/`).
//!
//! NFU-1's products are exact in 32 bits and NFU-2 sums them modulo 2^32,
//! so any order of wrapping 32-bit additions gives the contract's result.
//! AVX2's `vpmaddwd` computes `a0*b0 + a1*b1` per 32-bit lane: each product
//! is exact, and the pair sum wraps modulo 2^32 (its one overflow,
//! `2 * (-32768)^2 = 2^31`, gives `i32::MIN`, which is what `wrapping_add`
//! gives); `vpaddd`/`vphaddd` wrap too. So the AVX2 kernel is bit-exact
//! (the proptests in `core::nfu::nfu1` check it against the contract's
//! formula, extreme values included).
//!
//! Which path the fast kernel takes is decided once per process
//! ([`mac_path`]): AVX2 if the CPU has it, else the portable scalar kernel.
//! The environment variable `DIANNAO_SIM_MAC=scalar` forces the scalar
//! path (to compare the two in one build).

use std::sync::atomic::{AtomicU8, Ordering};

/// The implementation behind the fast `mac` kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MacPath {
    /// `std::arch` AVX2 (`vpmaddwd`) kernels, for Tn in {8, 16, 32, 64},
    /// both layouts; other Tn fall back to the scalar kernel.
    Avx2,
    /// Portable (auto-vectorised) scalar kernel.
    Scalar,
}

/// 0: not yet decided; 1: scalar; 2: AVX2.
static PATH: AtomicU8 = AtomicU8::new(0);

/// The fast kernel's path in this process (detected on first use, then cached).
#[inline]
pub fn mac_path() -> MacPath {
    match PATH.load(Ordering::Relaxed) {
        1 => MacPath::Scalar,
        2 => MacPath::Avx2,
        _ => {
            let p = detect();
            PATH.store(if p == MacPath::Avx2 { 2 } else { 1 }, Ordering::Relaxed);
            p
        }
    }
}

/// True if the CPU supports the AVX2 kernel (regardless of `DIANNAO_SIM_MAC`).
pub fn avx2_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

fn detect() -> MacPath {
    if std::env::var_os("DIANNAO_SIM_MAC").is_some_and(|v| v == "scalar") {
        return MacPath::Scalar;
    }
    if avx2_available() {
        MacPath::Avx2
    } else {
        MacPath::Scalar
    }
}

/// AVX2 `mac` of `m = x.len() / Tn` consecutive issues (`Tn = acc.len()`):
/// `acc[n] += sum_j sum_i w[j*Tn*Tn + n*Tn + i] * x[j*Tn + i]`, modulo 2^32.
/// Returns false (and changes nothing) if the CPU lacks AVX2 or Tn is not
/// 8, 16, 32 or 64.
///
/// # Panics
/// If `x.len()` is not a multiple of Tn or `w.len() != m*Tn*Tn`.
pub fn mac_rows_avx2(acc: &mut [i32], w: &[i16], x: &[i16]) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        let Some((t, m)) = avx2_shape(acc, w, x) else {
            return false;
        };
        // SAFETY: AVX2 is available and the slices have the lengths the
        // kernels index (both checked by `avx2_shape`).
        unsafe {
            match t {
                8 => x86::rows8(acc, w, x, m),
                16 => x86::rows16::<1>(acc, w, x, m),
                32 => x86::rows16::<2>(acc, w, x, m),
                _ => x86::rows16::<4>(acc, w, x, m),
            }
        }
        true
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (acc, w, x);
        false
    }
}

/// AVX2 transposed `mac` of `m = x.len() / Tn` consecutive issues:
/// `acc[n] += sum_j sum_i w[j*Tn*Tn + i*Tn + n] * x[j*Tn + i]`, modulo 2^32.
/// Returns false (and changes nothing) if the CPU lacks AVX2 or Tn is not
/// 8, 16, 32 or 64.
///
/// # Panics
/// If `x.len()` is not a multiple of Tn or `w.len() != m*Tn*Tn`.
pub fn mac_cols_avx2(acc: &mut [i32], w: &[i16], x: &[i16]) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        let Some((t, m)) = avx2_shape(acc, w, x) else {
            return false;
        };
        // SAFETY: AVX2 is available and the slices have the lengths the
        // kernels index (both checked by `avx2_shape`).
        unsafe {
            match t {
                8 => x86::cols8(acc, w, x, m),
                16 => x86::cols16::<1>(acc, w, x, m),
                32 => x86::cols16::<2>(acc, w, x, m),
                _ => x86::cols16::<4>(acc, w, x, m),
            }
        }
        true
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (acc, w, x);
        false
    }
}

/// `(Tn, issues)` if the AVX2 kernels take this call (the CPU has AVX2,
/// Tn is 8, 16, 32 or 64), else `None`.
///
/// # Panics
/// If `x.len()` is not a multiple of Tn or `w.len() != issues*Tn*Tn`.
#[cfg(target_arch = "x86_64")]
fn avx2_shape(acc: &[i32], w: &[i16], x: &[i16]) -> Option<(usize, usize)> {
    let t = acc.len();
    if !matches!(t, 8 | 16 | 32 | 64) || !avx2_available() {
        return None;
    }
    assert_eq!(x.len() % t, 0, "x holds whole NBin rows");
    let m = x.len() / t;
    assert_eq!(w.len(), m * t * t, "w holds one SB row per NBin row");
    Some((t, m))
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    #[inline(always)]
    unsafe fn load(p: *const i16) -> __m256i {
        _mm256_loadu_si256(p as *const __m256i)
    }

    /// The eight 32-bit lane sums of `v[0..8]`, in order (wrapping).
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn reduce8(v: &[__m256i; 8]) -> __m256i {
        let h01 = _mm256_hadd_epi32(v[0], v[1]);
        let h23 = _mm256_hadd_epi32(v[2], v[3]);
        let h45 = _mm256_hadd_epi32(v[4], v[5]);
        let h67 = _mm256_hadd_epi32(v[6], v[7]);
        // [v0 v1 v2 v3 (low halves) | v0 v1 v2 v3 (high halves)]
        let h0123 = _mm256_hadd_epi32(h01, h23);
        let h4567 = _mm256_hadd_epi32(h45, h67);
        let lo = _mm256_permute2x128_si256::<0x20>(h0123, h4567);
        let hi = _mm256_permute2x128_si256::<0x31>(h0123, h4567);
        _mm256_add_epi32(lo, hi)
    }

    /// Tn = 16*C: each SB row line (Tn words) is C vectors.
    ///
    /// # Safety
    /// AVX2; `acc.len() == 16*C`, `x.len() == m*16*C`, `w.len() == m*(16*C)^2`.
    #[target_feature(enable = "avx2")]
    pub unsafe fn rows16<const C: usize>(acc: &mut [i32], w: &[i16], x: &[i16], m: usize) {
        let t = 16 * C;
        let ap = acc.as_mut_ptr();
        for j in 0..m {
            let xp = x.as_ptr().add(j * t);
            let mut xv = [_mm256_setzero_si256(); C];
            for (c, v) in xv.iter_mut().enumerate() {
                *v = load(xp.add(16 * c));
            }
            let wj = w.as_ptr().add(j * t * t);
            for g in 0..t / 8 {
                let mut s = [_mm256_setzero_si256(); 8];
                for (r, sr) in s.iter_mut().enumerate() {
                    let wr = wj.add((g * 8 + r) * t);
                    let mut v = _mm256_madd_epi16(load(wr), xv[0]);
                    for (c, xc) in xv.iter().enumerate().skip(1) {
                        v = _mm256_add_epi32(v, _mm256_madd_epi16(load(wr.add(16 * c)), *xc));
                    }
                    *sr = v;
                }
                let a = ap.add(g * 8) as *mut __m256i;
                _mm256_storeu_si256(a, _mm256_add_epi32(_mm256_loadu_si256(a), reduce8(&s)));
            }
        }
    }

    /// The words `(x[i], x[i+1])` as one 32-bit lane, in every lane (the
    /// pair `vpmaddwd` multiplies with the interleaved SB lines `i`, `i+1`).
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn pair(x: *const i16) -> i32 {
        (x.read() as u16 as u32 | (x.add(1).read() as u16 as u32) << 16) as i32
    }

    /// Transposed, Tn = 16*C: lines `i` and `i+1` (one per input) are
    /// interleaved word by word, so that `vpmaddwd` with the pair
    /// `(x[i], x[i+1])` gives `w[i][n]*x[i] + w[i+1][n]*x[i+1]` per lane n.
    /// `vpunpck{l,h}wd` work within 128-bit halves: the low accumulator of
    /// chunk c holds n = 16c + [0..4 | 8..12], the high one [4..8 | 12..16].
    ///
    /// # Safety
    /// AVX2; `acc.len() == 16*C`, `x.len() == m*16*C`, `w.len() == m*(16*C)^2`.
    #[target_feature(enable = "avx2")]
    pub unsafe fn cols16<const C: usize>(acc: &mut [i32], w: &[i16], x: &[i16], m: usize) {
        let t = 16 * C;
        let mut lo = [_mm256_setzero_si256(); C];
        let mut hi = [_mm256_setzero_si256(); C];
        for j in 0..m {
            let xp = x.as_ptr().add(j * t);
            let wj = w.as_ptr().add(j * t * t);
            for i in (0..t).step_by(2) {
                let p = _mm256_set1_epi32(pair(xp.add(i)));
                let (w0, w1) = (wj.add(i * t), wj.add((i + 1) * t));
                for c in 0..C {
                    let (a, b) = (load(w0.add(16 * c)), load(w1.add(16 * c)));
                    lo[c] =
                        _mm256_add_epi32(lo[c], _mm256_madd_epi16(_mm256_unpacklo_epi16(a, b), p));
                    hi[c] =
                        _mm256_add_epi32(hi[c], _mm256_madd_epi16(_mm256_unpackhi_epi16(a, b), p));
                }
            }
        }
        let ap = acc.as_mut_ptr();
        for c in 0..C {
            let a0 = ap.add(16 * c) as *mut __m256i;
            let a1 = ap.add(16 * c + 8) as *mut __m256i;
            let s0 = _mm256_permute2x128_si256::<0x20>(lo[c], hi[c]);
            let s1 = _mm256_permute2x128_si256::<0x31>(lo[c], hi[c]);
            _mm256_storeu_si256(a0, _mm256_add_epi32(_mm256_loadu_si256(a0), s0));
            _mm256_storeu_si256(a1, _mm256_add_epi32(_mm256_loadu_si256(a1), s1));
        }
    }

    /// Transposed, Tn = 8: as [`cols16`] on 128-bit vectors (lines of 8 words).
    ///
    /// # Safety
    /// AVX2; `acc.len() == 8`, `x.len() == m*8`, `w.len() == m*64`.
    #[target_feature(enable = "avx2")]
    pub unsafe fn cols8(acc: &mut [i32], w: &[i16], x: &[i16], m: usize) {
        let (mut lo, mut hi) = (_mm_setzero_si128(), _mm_setzero_si128());
        for j in 0..m {
            let xp = x.as_ptr().add(j * 8);
            let wj = w.as_ptr().add(j * 64);
            for i in (0..8).step_by(2) {
                let p = _mm_set1_epi32(pair(xp.add(i)));
                let a = _mm_loadu_si128(wj.add(i * 8) as *const __m128i);
                let b = _mm_loadu_si128(wj.add((i + 1) * 8) as *const __m128i);
                lo = _mm_add_epi32(lo, _mm_madd_epi16(_mm_unpacklo_epi16(a, b), p));
                hi = _mm_add_epi32(hi, _mm_madd_epi16(_mm_unpackhi_epi16(a, b), p));
            }
        }
        let ap = acc.as_mut_ptr() as *mut __m128i;
        _mm_storeu_si128(ap, _mm_add_epi32(_mm_loadu_si128(ap), lo));
        _mm_storeu_si128(ap.add(1), _mm_add_epi32(_mm_loadu_si128(ap.add(1)), hi));
    }

    /// Tn = 8: two SB row lines per vector, the NBin row in both halves.
    ///
    /// # Safety
    /// AVX2; `acc.len() == 8`, `x.len() == m*8`, `w.len() == m*64`.
    #[target_feature(enable = "avx2")]
    pub unsafe fn rows8(acc: &mut [i32], w: &[i16], x: &[i16], m: usize) {
        let ap = acc.as_mut_ptr() as *mut __m256i;
        let mut a = _mm256_loadu_si256(ap);
        // hadd(hadd(u0,u1), hadd(u2,u3)) holds rows [0 2 4 6 | 1 3 5 7]
        let order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        for j in 0..m {
            let xv = _mm256_broadcastsi128_si256(_mm_loadu_si128(
                x.as_ptr().add(j * 8) as *const __m128i
            ));
            let wj = w.as_ptr().add(j * 64);
            let u0 = _mm256_madd_epi16(load(wj), xv);
            let u1 = _mm256_madd_epi16(load(wj.add(16)), xv);
            let u2 = _mm256_madd_epi16(load(wj.add(32)), xv);
            let u3 = _mm256_madd_epi16(load(wj.add(48)), xv);
            let h = _mm256_hadd_epi32(_mm256_hadd_epi32(u0, u1), _mm256_hadd_epi32(u2, u3));
            a = _mm256_add_epi32(a, _mm256_permutevar8x32_epi32(h, order));
        }
        _mm256_storeu_si256(ap, a);
    }
}
