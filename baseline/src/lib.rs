//! # baseline: the f32 CPU baseline
//!
//! The CPU baseline: the same layers in f32 on the host CPU, fast and honest.
//!
//! Convolution is im2col plus a BLAS-class SGEMM (`matrixmultiply`, the
//! kernel behind ndarray's `dot`), classifiers are one SGEMM, pooling is a
//! direct loop. Work is split over a rayon pool of a chosen size (each thread
//! runs a single-threaded SGEMM on its block of columns), so the thread count
//! is the user's to set. Forward, backward (input and weight gradients) and
//! the SGD-with-momentum update are all here.

pub mod cpu_energy;

use rayon::prelude::*;
use std::time::Instant;

/// Shape of a convolution (one image).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvShape {
    /// Input width, height (before padding).
    pub nx: usize,
    /// Input height.
    pub ny: usize,
    /// Kernel width.
    pub kx: usize,
    /// Kernel height.
    pub ky: usize,
    /// Input maps.
    pub ni: usize,
    /// Output maps.
    pub no: usize,
    /// Stride x.
    pub sx: usize,
    /// Stride y.
    pub sy: usize,
    /// Zero padding on every side.
    pub pad: usize,
}

impl ConvShape {
    /// Output width.
    pub fn ox(&self) -> usize {
        (self.nx + 2 * self.pad - self.kx) / self.sx + 1
    }
    /// Output height.
    pub fn oy(&self) -> usize {
        (self.ny + 2 * self.pad - self.ky) / self.sy + 1
    }
    /// Rows of the im2col matrix (ni*ky*kx).
    pub fn k(&self) -> usize {
        self.ni * self.ky * self.kx
    }
    /// Columns of the im2col matrix (oy*ox).
    pub fn n(&self) -> usize {
        self.oy() * self.ox()
    }
    /// Multiply-accumulates of one forward pass of one image.
    pub fn macs(&self) -> u64 {
        (self.no * self.k() * self.n()) as u64
    }
}

/// C[m x n] (+)= A[m x k] * B[k x n], row-major with explicit row strides.
/// Single-threaded (the caller parallelises).
#[allow(clippy::too_many_arguments)]
pub fn sgemm(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    lda: usize,
    a_t: bool,
    b: &[f32],
    ldb: usize,
    b_t: bool,
    c: &mut [f32],
    ldc: usize,
    beta: f32,
) {
    if m == 0 || n == 0 {
        return;
    }
    let (rsa, csa) = if a_t {
        (1, lda as isize)
    } else {
        (lda as isize, 1)
    };
    let (rsb, csb) = if b_t {
        (1, ldb as isize)
    } else {
        (ldb as isize, 1)
    };
    // SAFETY: the slices cover every element addressed by the strides (checked by callers' shapes).
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            rsa,
            csa,
            b.as_ptr(),
            rsb,
            csb,
            beta,
            c.as_mut_ptr(),
            ldc as isize,
            1,
        );
    }
}

/// im2col of one image `x` [ni][ny][nx] into `col` [k][n].
pub fn im2col(s: &ConvShape, x: &[f32], col: &mut [f32]) {
    let (ox, oy, n) = (s.ox(), s.oy(), s.n());
    col.par_chunks_mut(n).enumerate().for_each(|(r, row)| {
        let i = r / (s.ky * s.kx);
        let ky = (r / s.kx) % s.ky;
        let kx = r % s.kx;
        for y in 0..oy {
            let iy = (y * s.sy + ky) as isize - s.pad as isize;
            for xo in 0..ox {
                let ix = (xo * s.sx + kx) as isize - s.pad as isize;
                row[y * ox + xo] =
                    if iy >= 0 && ix >= 0 && (iy as usize) < s.ny && (ix as usize) < s.nx {
                        x[(i * s.ny + iy as usize) * s.nx + ix as usize]
                    } else {
                        0.0
                    };
            }
        }
    });
}

/// col2im: accumulate `col` [k][n] back into image gradient `dx` [ni][ny][nx].
pub fn col2im(s: &ConvShape, col: &[f32], dx: &mut [f32]) {
    let (ox, oy, n) = (s.ox(), s.oy(), s.n());
    let plane = s.ny * s.nx;
    dx.par_chunks_mut(plane).enumerate().for_each(|(i, d)| {
        d.iter_mut().for_each(|v| *v = 0.0);
        for ky in 0..s.ky {
            for kx in 0..s.kx {
                let row = &col[((i * s.ky + ky) * s.kx + kx) * n..][..n];
                for y in 0..oy {
                    let iy = (y * s.sy + ky) as isize - s.pad as isize;
                    if iy < 0 || iy as usize >= s.ny {
                        continue;
                    }
                    for xo in 0..ox {
                        let ix = (xo * s.sx + kx) as isize - s.pad as isize;
                        if ix >= 0 && (ix as usize) < s.nx {
                            d[iy as usize * s.nx + ix as usize] += row[y * ox + xo];
                        }
                    }
                }
            }
        }
    });
}

/// Column blocks for splitting an n-wide GEMM over the pool's threads.
fn blocks(n: usize) -> Vec<(usize, usize)> {
    let t = rayon::current_num_threads().max(1);
    let per = n.div_ceil(t).max(64).min(n.max(1));
    (0..n)
        .step_by(per.max(1))
        .map(|s| (s, (s + per).min(n)))
        .collect()
}

/// Y[m x n] = A[m x k] * B[k x n] (row-major), columns split across threads.
pub fn gemm_par(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], y: &mut [f32]) {
    // Each thread writes a disjoint column block of every row; use raw pointers via chunks of rows.
    let bl = blocks(n);
    let yp = y.as_mut_ptr() as usize;
    bl.par_iter().for_each(|&(c0, c1)| {
        let w = c1 - c0;
        // SAFETY: blocks are disjoint column ranges of y.
        let yslice =
            unsafe { std::slice::from_raw_parts_mut((yp as *mut f32).add(c0), (m - 1) * n + w) };
        sgemm(m, k, w, a, k, false, &b[c0..], n, false, yslice, n, 0.0);
    });
}

/// Convolution forward of one image: y [no][n] = W [no][k] * im2col(x).
pub fn conv_forward(
    s: &ConvShape,
    x: &[f32],
    w: &[f32],
    bias: &[f32],
    col: &mut Vec<f32>,
    y: &mut [f32],
) {
    col.resize(s.k() * s.n(), 0.0);
    im2col(s, x, col);
    gemm_par(s.no, s.k(), s.n(), w, col, y);
    let n = s.n();
    y.par_chunks_mut(n)
        .zip(bias.par_iter())
        .for_each(|(r, b)| r.iter_mut().for_each(|v| *v += b));
}

/// Convolution backward of one image: input gradient dx (skipped when
/// `dx` is None: a first layer's input needs none), and dw += dY * col^T.
#[allow(clippy::too_many_arguments)]
pub fn conv_backward(
    s: &ConvShape,
    x: &[f32],
    w: &[f32],
    dy: &[f32],
    col: &mut Vec<f32>,
    dcol: &mut Vec<f32>,
    dx: Option<&mut [f32]>,
    dw: &mut [f32],
) {
    let (k, n, no) = (s.k(), s.n(), s.no);
    col.resize(k * n, 0.0);
    im2col(s, x, col);
    if let Some(dx) = dx {
        conv_input_grad(s, w, dy, dcol, dx);
    }
    // dW [no x k] += dY [no x n] * col^T [n x k], rows of dW split across threads
    let rows_per = no.div_ceil(rayon::current_num_threads().max(1)).max(1);
    dw.par_chunks_mut(rows_per * k)
        .enumerate()
        .for_each(|(bi, dwb)| {
            let r0 = bi * rows_per;
            let m = dwb.len() / k;
            sgemm(m, n, k, &dy[r0 * n..], n, false, col, n, true, dwb, k, 1.0);
        });
}

/// dx = col2im(W^T dY) of one image.
fn conv_input_grad(s: &ConvShape, w: &[f32], dy: &[f32], dcol: &mut Vec<f32>, dx: &mut [f32]) {
    let (k, n, no) = (s.k(), s.n(), s.no);
    dcol.resize(k * n, 0.0);
    // dcol [k x n] = W^T [k x no] * dY [no x n]
    let bl = blocks(n);
    let dp = dcol.as_mut_ptr() as usize;
    bl.par_iter().for_each(|&(c0, c1)| {
        let wdt = c1 - c0;
        // SAFETY: disjoint column blocks.
        let out =
            unsafe { std::slice::from_raw_parts_mut((dp as *mut f32).add(c0), (k - 1) * n + wdt) };
        sgemm(k, no, wdt, w, k, true, &dy[c0..], n, false, out, n, 0.0);
    });
    col2im(s, dcol, dx);
}

/// Classifier forward: Y [b x no] = X [b x ni] * W^T, W [no x ni].
pub fn fc_forward(
    b: usize,
    ni: usize,
    no: usize,
    x: &[f32],
    w: &[f32],
    bias: &[f32],
    y: &mut [f32],
) {
    let bl = blocks(no);
    let yp = y.as_mut_ptr() as usize;
    bl.par_iter().for_each(|&(c0, c1)| {
        let wdt = c1 - c0;
        // SAFETY: disjoint column blocks.
        let out =
            unsafe { std::slice::from_raw_parts_mut((yp as *mut f32).add(c0), (b - 1) * no + wdt) };
        sgemm(
            b,
            ni,
            wdt,
            x,
            ni,
            false,
            &w[c0 * ni..],
            ni,
            true,
            out,
            no,
            0.0,
        );
    });
    y.par_chunks_mut(no)
        .for_each(|r| r.iter_mut().zip(bias).for_each(|(v, bb)| *v += bb));
}

/// Classifier backward: dX [b x ni] = dY * W, dW [no x ni] += dY^T * X.
#[allow(clippy::too_many_arguments)]
pub fn fc_backward(
    b: usize,
    ni: usize,
    no: usize,
    x: &[f32],
    w: &[f32],
    dy: &[f32],
    dx: &mut [f32],
    dw: &mut [f32],
) {
    let bl = blocks(ni);
    let dp = dx.as_mut_ptr() as usize;
    bl.par_iter().for_each(|&(c0, c1)| {
        let wdt = c1 - c0;
        // SAFETY: disjoint column blocks.
        let out =
            unsafe { std::slice::from_raw_parts_mut((dp as *mut f32).add(c0), (b - 1) * ni + wdt) };
        sgemm(b, no, wdt, dy, no, false, &w[c0..], ni, false, out, ni, 0.0);
    });
    let rows_per = no.div_ceil(rayon::current_num_threads().max(1)).max(1);
    dw.par_chunks_mut(rows_per * ni)
        .enumerate()
        .for_each(|(bi, dwb)| {
            let r0 = bi * rows_per;
            let m = dwb.len() / ni;
            sgemm(m, b, ni, &dy[r0..], no, true, x, ni, false, dwb, ni, 1.0);
        });
}

/// Pooling kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolKind {
    /// Maximum over the window.
    Max,
    /// Mean over the window.
    Avg,
}

/// Pooling forward of one image [c][ny][nx] (zero padding, as the accelerator).
pub fn pool_forward(s: &ConvShape, kind: PoolKind, x: &[f32], y: &mut [f32]) {
    let (ox, oy) = (s.ox(), s.oy());
    y.par_chunks_mut(ox * oy).enumerate().for_each(|(c, out)| {
        for yo in 0..oy {
            for xo in 0..ox {
                let mut acc = if kind == PoolKind::Max {
                    f32::NEG_INFINITY
                } else {
                    0.0
                };
                for ky in 0..s.ky {
                    for kx in 0..s.kx {
                        let iy = (yo * s.sy + ky) as isize - s.pad as isize;
                        let ix = (xo * s.sx + kx) as isize - s.pad as isize;
                        let v =
                            if iy >= 0 && ix >= 0 && (iy as usize) < s.ny && (ix as usize) < s.nx {
                                x[(c * s.ny + iy as usize) * s.nx + ix as usize]
                            } else {
                                0.0
                            };
                        acc = if kind == PoolKind::Max {
                            acc.max(v)
                        } else {
                            acc + v
                        };
                    }
                }
                out[yo * ox + xo] = if kind == PoolKind::Max {
                    acc
                } else {
                    acc / (s.kx * s.ky) as f32
                };
            }
        }
    });
}

/// SGD with momentum (the seed paper's eq. 1-2): v = mu*v - alpha*dw; w += v.
pub fn sgd_momentum(w: &mut [f32], v: &mut [f32], dw: &[f32], mu: f32, alpha: f32) {
    w.par_chunks_mut(4096)
        .zip(v.par_chunks_mut(4096))
        .zip(dw.par_chunks(4096))
        .for_each(|((w, v), d)| {
            for ((w, v), d) in w.iter_mut().zip(v.iter_mut()).zip(d) {
                *v = mu * *v - alpha * d;
                *w += *v;
            }
        });
}

/// Wall-time statistics of repeated runs, in seconds.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Timing {
    /// Median of the timed repetitions.
    pub median_s: f64,
    /// Fastest repetition.
    pub min_s: f64,
    /// Slowest repetition.
    pub max_s: f64,
    /// Timed repetitions.
    pub reps: usize,
}

/// Time `f` after `warmup` untimed calls, over `reps` timed calls.
pub fn time<F: FnMut()>(warmup: usize, reps: usize, mut f: F) -> Timing {
    for _ in 0..warmup {
        f();
    }
    let mut t: Vec<f64> = (0..reps.max(1))
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(|a, b| a.total_cmp(b));
    Timing {
        median_s: t[t.len() / 2],
        min_s: t[0],
        max_s: t[t.len() - 1],
        reps: t.len(),
    }
}

/// Run `f` inside a rayon pool of `threads` threads (0: all cores).
pub fn with_threads<R: Send, F: FnOnce() -> R + Send>(
    threads: usize,
    f: F,
) -> Result<R, rayon::ThreadPoolBuildError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    Ok(pool.install(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_conv(s: &ConvShape, x: &[f32], w: &[f32], b: &[f32]) -> Vec<f32> {
        let (ox, oy) = (s.ox(), s.oy());
        let mut y = vec![0.0; s.no * ox * oy];
        for o in 0..s.no {
            for yo in 0..oy {
                for xo in 0..ox {
                    let mut acc = b[o];
                    for i in 0..s.ni {
                        for ky in 0..s.ky {
                            for kx in 0..s.kx {
                                let iy = (yo * s.sy + ky) as isize - s.pad as isize;
                                let ix = (xo * s.sx + kx) as isize - s.pad as isize;
                                if iy >= 0
                                    && ix >= 0
                                    && (iy as usize) < s.ny
                                    && (ix as usize) < s.nx
                                {
                                    acc += w[((o * s.ni + i) * s.ky + ky) * s.kx + kx]
                                        * x[(i * s.ny + iy as usize) * s.nx + ix as usize];
                                }
                            }
                        }
                    }
                    y[(o * oy + yo) * ox + xo] = acc;
                }
            }
        }
        y
    }

    fn rnd(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2654435761).max(1);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s % 2001) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn conv_forward_backward_match_naive() {
        let s = ConvShape {
            nx: 9,
            ny: 7,
            kx: 3,
            ky: 2,
            ni: 3,
            no: 5,
            sx: 2,
            sy: 1,
            pad: 1,
        };
        let x = rnd(s.ni * s.ny * s.nx, 1);
        let w = rnd(s.no * s.k(), 2);
        let b = rnd(s.no, 3);
        let mut y = vec![0.0; s.no * s.n()];
        let mut col = Vec::new();
        with_threads(2, || conv_forward(&s, &x, &w, &b, &mut col, &mut y)).unwrap();
        let r = naive_conv(&s, &x, &w, &b);
        for (a, b) in y.iter().zip(&r) {
            assert!((a - b).abs() < 1e-4, "{a} {b}");
        }
        // gradient check of dx and dw against finite differences of sum(y * dy)
        let dy = rnd(s.no * s.n(), 4);
        let mut dx = vec![0.0; x.len()];
        let mut dw = vec![0.0; w.len()];
        let (mut c1, mut c2) = (Vec::new(), Vec::new());
        conv_backward(&s, &x, &w, &dy, &mut c1, &mut c2, Some(&mut dx), &mut dw);
        let loss = |x: &[f32], w: &[f32]| {
            naive_conv(&s, x, w, &b)
                .iter()
                .zip(&dy)
                .map(|(a, b)| (*a as f64) * (*b as f64))
                .sum::<f64>()
        };
        for idx in [0, 7, x.len() - 1] {
            let mut xp = x.clone();
            xp[idx] += 0.01;
            let g = (loss(&xp, &w) - loss(&x, &w)) / 0.01;
            assert!(
                (g - dx[idx] as f64).abs() < 1e-2,
                "dx[{idx}] {g} {}",
                dx[idx]
            );
        }
        for idx in [0, 11, w.len() - 1] {
            let mut wp = w.clone();
            wp[idx] += 0.01;
            let g = (loss(&x, &wp) - loss(&x, &w)) / 0.01;
            assert!(
                (g - dw[idx] as f64).abs() < 1e-2,
                "dw[{idx}] {g} {}",
                dw[idx]
            );
        }
    }

    #[test]
    fn fc_forward_backward() {
        let (b, ni, no) = (3, 70, 33);
        let x = rnd(b * ni, 5);
        let w = rnd(no * ni, 6);
        let bias = rnd(no, 7);
        let mut y = vec![0.0; b * no];
        fc_forward(b, ni, no, &x, &w, &bias, &mut y);
        for bb in 0..b {
            for o in 0..no {
                let r: f32 = bias[o] + (0..ni).map(|i| x[bb * ni + i] * w[o * ni + i]).sum::<f32>();
                assert!((y[bb * no + o] - r).abs() < 1e-3);
            }
        }
        let dy = rnd(b * no, 8);
        let mut dx = vec![0.0; b * ni];
        let mut dw = vec![0.0; no * ni];
        fc_backward(b, ni, no, &x, &w, &dy, &mut dx, &mut dw);
        for bb in 0..b {
            for i in 0..ni {
                let r: f32 = (0..no).map(|o| dy[bb * no + o] * w[o * ni + i]).sum();
                assert!((dx[bb * ni + i] - r).abs() < 1e-3);
            }
        }
        for o in 0..no {
            for i in 0..ni {
                let r: f32 = (0..b).map(|bb| dy[bb * no + o] * x[bb * ni + i]).sum();
                assert!((dw[o * ni + i] - r).abs() < 1e-3);
            }
        }
    }

    #[test]
    fn momentum_update() {
        let mut w = vec![1.0f32; 5];
        let mut v = vec![0.5f32; 5];
        sgd_momentum(&mut w, &mut v, &[1.0; 5], 0.9, 0.1);
        assert!((v[0] - 0.35).abs() < 1e-6 && (w[0] - 1.35).abs() < 1e-6);
    }
}
