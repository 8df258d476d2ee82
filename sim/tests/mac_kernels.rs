//! Micro-benchmark of the `mac` kernel paths (ignored by default; numbers
//! in docs/performance.md). Run with
//! `cargo test -p sim --release --test mac_kernels -- --ignored --nocapture`.

use sim::nfu::nfu1::{mac_fast_scalar, mac_plain};
use sim::simd::{mac_cols_avx2, mac_rows_avx2};
use std::hint::black_box;
use std::time::Instant;

/// Nanoseconds per issue of `f` on `m`-issue stretches of Tn `tn`.
fn time(tn: usize, m: usize, mut f: impl FnMut(&mut [i32], &[i16], &[i16])) -> f64 {
    let w: Vec<i16> = (0..m * tn * tn).map(|i| (i * 7919) as i16).collect();
    let x: Vec<i16> = (0..m * tn).map(|i| (i * 104729) as i16).collect();
    let mut acc = vec![0i32; tn];
    let reps = (20_000_000 / (m * tn * tn)).max(1);
    let t0 = Instant::now();
    for _ in 0..reps {
        f(black_box(&mut acc), black_box(&w), black_box(&x));
    }
    black_box(&acc);
    t0.elapsed().as_nanos() as f64 / (reps * m) as f64
}

#[test]
#[ignore]
fn mac_kernel_speed() {
    println!("ns per issue (Tn*Tn MACs); m = issues per call");
    println!("tn   m  plain   scalar  scalar^T  avx2  avx2^T");
    for tn in [8usize, 16, 32, 64] {
        for m in [1usize, 16] {
            let plain = time(tn, m, |a, w, x| {
                for (wr, xr) in w.chunks_exact(tn * tn).zip(x.chunks_exact(tn)) {
                    mac_plain(a, wr, xr, false)
                }
            });
            let scalar = time(tn, m, |a, w, x| mac_fast_scalar(a, w, x, false));
            let scalar_t = time(tn, m, |a, w, x| mac_fast_scalar(a, w, x, true));
            let avx2 = time(tn, m, |a, w, x| {
                assert!(mac_rows_avx2(a, w, x), "no AVX2 kernel here");
            });
            let avx2_t = time(tn, m, |a, w, x| {
                assert!(mac_cols_avx2(a, w, x), "no AVX2 kernel here");
            });
            println!(
                "{tn:3} {m:3} {plain:7.1} {scalar:7.1} {scalar_t:8.1} {avx2:7.1} {avx2_t:7.1}"
            );
        }
    }
}
