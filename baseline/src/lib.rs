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
//!
//! Layers are firmware's: every kernel takes a [`firmware::ConvSpec`],
//! [`firmware::PoolSpec`] or [`firmware::ClassSpec`], and output sizes are
//! [`firmware::LayerSpec::output_shape`]'s (no second formula here).
//! Pooling backward ([`pool_backward`]) is the one max-pool backward of the
//! tree: a window's gradient goes to every input equal to its maximum, as
//! on the accelerator.

pub mod cpu_energy;

use firmware::{ClassSpec, ConvSpec, LayerSpec, PoolKind, PoolSpec};
use rayon::prelude::*;
use std::time::Instant;

/// Window geometry of a convolution or pooling layer as plain `usize`
/// values, for the inner loops. A private view of firmware's spec with no
/// arithmetic of its own: every field is copied from the [`ConvSpec`] or
/// [`PoolSpec`], and the output size comes from [`LayerSpec::output_shape`].
#[derive(Clone, Copy, Debug)]
struct Win {
    nx: usize,
    ny: usize,
    kx: usize,
    ky: usize,
    /// Input maps.
    ni: usize,
    sx: usize,
    sy: usize,
    pad: usize,
    /// Output width and height (firmware's `output_shape`).
    ox: usize,
    oy: usize,
}

impl Win {
    fn of(spec: &LayerSpec) -> Win {
        let (c, ny, nx) = spec.input_shape();
        let (_, oy, ox) = spec.output_shape();
        let (kx, ky, sx, sy, pad) = match spec {
            LayerSpec::Conv(c) => (c.kx, c.ky, c.sx, c.sy, c.pad),
            LayerSpec::Pool(p) => (p.kx, p.ky, p.sx, p.sy, p.pad),
            LayerSpec::Classifier(_) | LayerSpec::Eltwise(_) => (1, 1, 1, 1, 0),
        };
        let u = |v: u32| v as usize;
        Win {
            nx: u(nx),
            ny: u(ny),
            kx: u(kx),
            ky: u(ky),
            ni: u(c),
            sx: u(sx),
            sy: u(sy),
            pad: u(pad),
            ox: u(ox),
            oy: u(oy),
        }
    }

    /// Input row seen by output row `yo` at window offset `ky`, or `None`
    /// in the padding.
    #[inline]
    fn row(&self, yo: usize, ky: usize) -> Option<usize> {
        (yo * self.sy + ky)
            .checked_sub(self.pad)
            .filter(|&iy| iy < self.ny)
    }

    /// Input column seen by output column `xo` at window offset `kx`, or
    /// `None` in the padding.
    #[inline]
    fn col(&self, xo: usize, kx: usize) -> Option<usize> {
        (xo * self.sx + kx)
            .checked_sub(self.pad)
            .filter(|&ix| ix < self.nx)
    }

    /// The part of window `(yo, xo)` inside the image (padding cut off):
    /// input rows `iy` and, on each, the `w` inputs from column `x0`.
    #[inline]
    fn window(&self, yo: usize, xo: usize) -> (std::ops::Range<usize>, usize, usize) {
        // window offsets [o*s, o*s + k) in padded coordinates, clipped to
        // the image [pad, pad + n), then shifted to input coordinates
        let clip = |o: usize, s: usize, k: usize, n: usize| {
            let start = o * s;
            let lo = start.max(self.pad) - self.pad;
            let hi = (start + k).min(n + self.pad).saturating_sub(self.pad);
            (lo, hi.max(lo))
        };
        let (y0, y1) = clip(yo, self.sy, self.ky, self.ny);
        let (x0, x1) = clip(xo, self.sx, self.kx, self.nx);
        (y0..y1, x0, x1 - x0)
    }
}

impl From<&ConvSpec> for Win {
    fn from(c: &ConvSpec) -> Win {
        Win::of(&LayerSpec::Conv(*c))
    }
}

impl From<&PoolSpec> for Win {
    fn from(p: &PoolSpec) -> Win {
        Win::of(&LayerSpec::Pool(*p))
    }
}

/// Scratch buffers for im2col matrices, kept between calls (as a runtime's
/// memory arena keeps them): a fresh multi-megabyte buffer per call costs
/// its page faults and zero-fill on every layer (AlexNet's conv1: 4.4 MB
/// per image). A pool rather than a thread-local, because rayon may run
/// another image's work on a thread that is waiting inside a GEMM.
static SCRATCH: std::sync::Mutex<Vec<Vec<f32>>> = std::sync::Mutex::new(Vec::new());

/// Buffers larger than this many values are freed after use instead of
/// kept (64 MiB: VGG-16's first im2col matrices are 115 MB per image).
const SCRATCH_KEEP: usize = 16 << 20;

/// A scratch buffer from [`SCRATCH`], given back when dropped.
struct Scratch(Vec<f32>);

impl Scratch {
    fn take() -> Scratch {
        let v = SCRATCH
            .lock()
            .map(|mut pool| pool.pop().unwrap_or_default())
            .unwrap_or_default();
        Scratch(v)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if self.0.capacity() <= SCRATCH_KEEP {
            if let Ok(mut pool) = SCRATCH.lock() {
                pool.push(std::mem::take(&mut self.0));
            }
        }
    }
}

/// Dimensions `(rows, columns)` of a convolution's im2col matrix for one
/// image: rows `ni * ky * kx` (one per weight of an output map), columns
/// `oy * ox` (one per output pixel, from [`LayerSpec::output_shape`]).
pub fn im2col_dims(s: &ConvSpec) -> (usize, usize) {
    let w = Win::from(s);
    (w.ni * w.ky * w.kx, w.oy * w.ox)
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

/// im2col of one image `x` `[ni][ny][nx]` into `col` `[k][n]`
/// ([`im2col_dims`]); padding reads as zero.
pub fn im2col(s: &ConvSpec, x: &[f32], col: &mut [f32]) {
    let g = Win::from(s);
    let (ox, oy) = (g.ox, g.oy);
    col.par_chunks_mut(oy * ox)
        .enumerate()
        .for_each(|(r, row)| {
            let i = r / (g.ky * g.kx);
            let ky = (r / g.kx) % g.ky;
            let kx = r % g.kx;
            let xi = &x[i * g.ny * g.nx..][..g.ny * g.nx];
            for y in 0..oy {
                let out = &mut row[y * ox..][..ox];
                let Some(iy) = g.row(y, ky) else {
                    out.iter_mut().for_each(|v| *v = 0.0);
                    continue;
                };
                let xr = &xi[iy * g.nx..][..g.nx];
                match (g.pad, g.sx) {
                    // no padding: every window lies inside the image
                    (0, 1) => out.copy_from_slice(&xr[kx..kx + ox]),
                    (0, sx) => out
                        .iter_mut()
                        .enumerate()
                        .for_each(|(xo, v)| *v = xr[xo * sx + kx]),
                    _ => out
                        .iter_mut()
                        .enumerate()
                        .for_each(|(xo, v)| *v = g.col(xo, kx).map_or(0.0, |ix| xr[ix])),
                }
            }
        });
}

/// col2im: accumulate `col` `[k][n]` ([`im2col_dims`]) back into the image
/// gradient `dx` `[ni][ny][nx]` (overwritten); padding positions are dropped.
pub fn col2im(s: &ConvSpec, col: &[f32], dx: &mut [f32]) {
    let g = Win::from(s);
    let (ox, oy) = (g.ox, g.oy);
    let n = ox * oy;
    let plane = g.ny * g.nx;
    dx.par_chunks_mut(plane).enumerate().for_each(|(i, d)| {
        d.iter_mut().for_each(|v| *v = 0.0);
        for ky in 0..g.ky {
            for kx in 0..g.kx {
                let row = &col[((i * g.ky + ky) * g.kx + kx) * n..][..n];
                for y in 0..oy {
                    let Some(iy) = g.row(y, ky) else {
                        continue;
                    };
                    let dr = &mut d[iy * g.nx..][..g.nx];
                    let src = &row[y * ox..][..ox];
                    match (g.pad, g.sx) {
                        // no padding: every window lies inside the image
                        (0, 1) => dr[kx..kx + ox]
                            .iter_mut()
                            .zip(src)
                            .for_each(|(d, v)| *d += v),
                        _ => {
                            for (xo, v) in src.iter().enumerate() {
                                if let Some(ix) = g.col(xo, kx) {
                                    dr[ix] += v;
                                }
                            }
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

/// Y[m x n] = A[m x k] * B[k x n] (row-major), split across threads along
/// the longer of m and n: each thread packs its part of one operand and
/// the whole of the other, so splitting the longer side duplicates the
/// smaller packing (a convolution's weights A are often larger than its
/// im2col matrix B: AlexNet's conv3 is 384 x 2304 by 2304 x 169).
pub fn gemm_par(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], y: &mut [f32]) {
    if m > n {
        let bl = blocks(m);
        let yp = y.as_mut_ptr() as usize;
        bl.par_iter().for_each(|&(r0, r1)| {
            // SAFETY: blocks are disjoint row ranges of y.
            let yslice = unsafe {
                std::slice::from_raw_parts_mut((yp as *mut f32).add(r0 * n), (r1 - r0) * n)
            };
            sgemm(
                r1 - r0,
                k,
                n,
                &a[r0 * k..],
                k,
                false,
                b,
                n,
                false,
                yslice,
                n,
                0.0,
            );
        });
        return;
    }
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

/// Convolution forward of one image: `y` `[no][oy*ox]` = W `[no][k]` x
/// im2col(`x`) plus `bias` (one value per output map; an empty `bias` adds
/// nothing). No activation. `x` is `[ni][ny][nx]`, `w` `[no][ni][ky][kx]`;
/// `col` is scratch, resized to [`im2col_dims`].
pub fn conv_forward(
    s: &ConvSpec,
    x: &[f32],
    w: &[f32],
    bias: &[f32],
    col: &mut Vec<f32>,
    y: &mut [f32],
) {
    let (k, n) = im2col_dims(s);
    col.resize(k * n, 0.0);
    im2col(s, x, col);
    gemm_par(s.no as usize, k, n, w, col, y);
    y.par_chunks_mut(n)
        .zip(bias.par_iter())
        .for_each(|(r, b)| r.iter_mut().for_each(|v| *v += b));
}

/// Forward of one layer over `batch` images in f32, activation included
/// (exactly: [`arch::activation::Activation::eval_f64`], not NFU-3's
/// piecewise-linear table): input `[batch][operand][maps][h][w]`, weights
/// `[no][ni/groups][ky][kx]` (classifier `[no][ni]`), bias `[no]` (may be
/// empty). A grouped convolution runs each group as its own convolution.
/// Returns `[batch][no][oy][ox]`.
pub fn layer_forward(
    spec: &LayerSpec,
    batch: usize,
    x: &[f32],
    w: &[f32],
    bias: &[f32],
) -> Vec<f32> {
    let mut y = vec![0.0f32; spec.output_len() as usize * batch];
    layer_forward_into(spec, batch, x, w, bias, &mut y);
    y
}

/// [`layer_forward`] into `y` (`[batch][no][oy][ox]`, overwritten): the
/// CPU baseline's forward of a layer, timed by `diannao bench` and
/// `diannao compare`. Images run in parallel, and so does each image's
/// GEMM.
pub fn layer_forward_into(
    spec: &LayerSpec,
    batch: usize,
    x: &[f32],
    w: &[f32],
    bias: &[f32],
    y: &mut [f32],
) {
    let out_len = spec.output_len() as usize;
    let in_len = spec.input_len() as usize;
    assert_eq!(
        y.len(),
        out_len * batch,
        "layer_forward_into: output length"
    );
    let act = match spec {
        LayerSpec::Conv(c) => {
            let g = c.groups.max(1) as usize;
            let sub = ConvSpec {
                ni: c.ni / c.groups.max(1),
                no: c.no / c.groups.max(1),
                groups: 1,
                ..*c
            };
            let (sin, sout) = (
                LayerSpec::Conv(sub).input_len() as usize,
                LayerSpec::Conv(sub).output_len() as usize,
            );
            let sw = LayerSpec::Conv(sub).weight_len() as usize;
            let zero = vec![0.0f32; sub.no as usize];
            // the images in parallel, and each image's GEMM split across
            // the threads too (rayon nests them without oversubscribing)
            y.par_chunks_mut(out_len)
                .zip(x.par_chunks(in_len))
                .for_each(|(yi, xi)| {
                    let mut col = Scratch::take();
                    let col = &mut col.0;
                    for k in 0..g {
                        let xb = &xi[k * sin..][..sin];
                        let yb = &mut yi[k * sout..][..sout];
                        let bb = if bias.is_empty() {
                            &zero[..]
                        } else {
                            &bias[k * sub.no as usize..][..sub.no as usize]
                        };
                        conv_forward(&sub, xb, &w[k * sw..][..sw], bb, col, yb);
                    }
                });
            c.act
        }
        LayerSpec::Classifier(c) => {
            fc_forward(c, batch, x, w, bias, y);
            c.act
        }
        LayerSpec::Pool(p) => {
            pool_forward(p, x, y);
            arch::activation::Activation::Identity
        }
        LayerSpec::Eltwise(e) => {
            let ops = e.inputs as usize;
            for b in 0..batch {
                for i in 0..out_len {
                    y[b * out_len + i] = (0..ops).map(|k| x[(b * ops + k) * out_len + i]).sum();
                }
            }
            e.act
        }
    };
    match act {
        arch::activation::Activation::Identity => {}
        // the same values as eval_f64's, without the round trip through f64
        arch::activation::Activation::Relu => y
            .par_chunks_mut(1 << 14)
            .for_each(|c| c.iter_mut().for_each(|v| *v = v.max(0.0))),
        _ => y.par_chunks_mut(1 << 14).for_each(|c| {
            c.iter_mut()
                .for_each(|v| *v = act.eval_f64(*v as f64) as f32)
        }),
    }
}

/// Convolution backward of one image: input gradient `dx` `[ni][ny][nx]`
/// (overwritten; skipped when `dx` is None: a first layer's input needs
/// none), and `dw` `[no][ni][ky][kx]` += dY x col^T. `dy` is the gradient of
/// the pre-activation output `[no][oy*ox]`; `col` and `dcol` are scratch.
#[allow(clippy::too_many_arguments)]
pub fn conv_backward(
    s: &ConvSpec,
    x: &[f32],
    w: &[f32],
    dy: &[f32],
    col: &mut Vec<f32>,
    dcol: &mut Vec<f32>,
    dx: Option<&mut [f32]>,
    dw: &mut [f32],
) {
    let (k, n) = im2col_dims(s);
    let no = s.no as usize;
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
fn conv_input_grad(s: &ConvSpec, w: &[f32], dy: &[f32], dcol: &mut Vec<f32>, dx: &mut [f32]) {
    let (k, n) = im2col_dims(s);
    let no = s.no as usize;
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

/// Up to this many images a classifier runs as dot products of each
/// weight row with every image ([`fc_forward_dots`]) instead of a GEMM:
/// `matrixmultiply` packs the whole weight matrix for every call, which at
/// batch 1 costs more than the multiply-adds (AlexNet's fc6: 151 MB packed
/// for 37.7 M MACs). The crossover was measured (2026-12-03, `diannao bench
/// --model alexnet --batch B --json`, one thread): fc6 at batch 8, dots
/// 23.2 ms against the GEMM's 28.2 ms; at batch 16, the GEMM 29.2 ms against
/// dots 40.8 ms.
pub const GEMV_MAX_BATCH: usize = 8;

/// `y[b][o] = x[b] . w[o]` for every image and output. Weight rows go to
/// the threads in blocks of [`ROWS`]; each block is read from memory once and
/// multiplied with every image while it is in cache, and each image's
/// values are loaded once per block ([`dots`]), not once per row.
fn fc_forward_dots(b: usize, ni: usize, no: usize, x: &[f32], w: &[f32], y: &mut [f32]) {
    let mut yt = vec![0.0f32; no * b];
    yt.par_chunks_mut(ROWS * b)
        .zip(w.par_chunks(ROWS * ni))
        .with_min_len(4)
        .for_each(|(out, rows)| {
            let r = rows.len() / ni;
            for (i, xb) in x.chunks(ni).enumerate() {
                let d = dots(rows, ni, xb);
                for (k, v) in d[..r].iter().enumerate() {
                    out[k * b + i] = *v;
                }
            }
        });
    for (o, col) in yt.chunks(b).enumerate() {
        for (i, v) in col.iter().enumerate() {
            y[i * no + o] = *v;
        }
    }
}

/// Weight rows per block of [`fc_forward_dots`].
pub const ROWS: usize = 4;

/// The dot products of `x` (`n` values) with each of the (up to [`ROWS`])
/// rows of `rows` (`[r][n]`, r <= ROWS); entries past r are 0. AVX2 with
/// FMA where the CPU has them, else [`dot`] per row.
pub fn dots(rows: &[f32], n: usize, x: &[f32]) -> [f32; ROWS] {
    assert!(
        x.len() == n && rows.len() % n.max(1) == 0 && rows.len() <= ROWS * n,
        "dots: lengths"
    );
    #[cfg(target_arch = "x86_64")]
    {
        if rows.len() == ROWS * n
            && std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("fma")
        {
            // SAFETY: the features were just detected; the lengths were checked.
            return unsafe { dots_avx2(rows, n, x) };
        }
    }
    let mut d = [0.0; ROWS];
    for (v, row) in d.iter_mut().zip(rows.chunks(n.max(1))) {
        *v = dot(row, x);
    }
    d
}

/// [`dots`] of exactly [`ROWS`] rows: two 8-lane FMA accumulators per row,
/// one load of `x` for all rows.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dots_avx2(rows: &[f32], n: usize, x: &[f32]) -> [f32; ROWS] {
    use std::arch::x86_64::*;
    let px = x.as_ptr();
    let pr: [*const f32; ROWS] = std::array::from_fn(|k| rows.as_ptr().add(k * n));
    let mut acc = [[_mm256_setzero_ps(); 2]; ROWS];
    let mut i = 0;
    while i + 16 <= n {
        let x0 = _mm256_loadu_ps(px.add(i));
        let x1 = _mm256_loadu_ps(px.add(i + 8));
        for k in 0..ROWS {
            acc[k][0] = _mm256_fmadd_ps(_mm256_loadu_ps(pr[k].add(i)), x0, acc[k][0]);
            acc[k][1] = _mm256_fmadd_ps(_mm256_loadu_ps(pr[k].add(i + 8)), x1, acc[k][1]);
        }
        i += 16;
    }
    let mut out = [0.0f32; ROWS];
    for k in 0..ROWS {
        let s = _mm256_add_ps(acc[k][0], acc[k][1]);
        let mut lanes = [0.0f32; 8];
        _mm256_storeu_ps(lanes.as_mut_ptr(), s);
        let mut t: f32 = lanes.iter().sum();
        for j in i..n {
            t += *pr[k].add(j) * *px.add(j);
        }
        out[k] = t;
    }
    out
}

/// The dot product of two equal-length slices: AVX2 with FMA where the CPU
/// has them (detected at run time), else [`dot_portable`].
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "dot: lengths");
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the features were just detected; the lengths are equal.
            return unsafe { dot_avx2(a, b) };
        }
    }
    dot_portable(a, b)
}

/// [`dot`] without SIMD intrinsics, in 16 independent partial sums (so that
/// the compiler keeps several vector registers busy).
pub fn dot_portable(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 16];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(p, q)| p * q)
        .sum();
    for (p, q) in ca.zip(cb) {
        for i in 0..16 {
            acc[i] += p[i] * q[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// [`dot`] in four 8-lane FMA accumulators.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
    use std::arch::x86_64::*;
    let n = a.len();
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut acc = [_mm256_setzero_ps(); 4];
    let mut i = 0;
    while i + 32 <= n {
        for (j, s) in acc.iter_mut().enumerate() {
            let x = _mm256_loadu_ps(pa.add(i + 8 * j));
            let y = _mm256_loadu_ps(pb.add(i + 8 * j));
            *s = _mm256_fmadd_ps(x, y, *s);
        }
        i += 32;
    }
    let s = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
    let mut lanes = [0.0f32; 8];
    _mm256_storeu_ps(lanes.as_mut_ptr(), s);
    let mut total: f32 = lanes.iter().sum();
    while i < n {
        total += *pa.add(i) * *pb.add(i);
        i += 1;
    }
    total
}

/// Classifier forward of `batch` inputs: Y `[batch][no]` = X `[batch][ni]` x
/// W^T, W `[no][ni]`, plus `bias` (`no` values; an empty `bias` adds
/// nothing). No activation.
pub fn fc_forward(s: &ClassSpec, batch: usize, x: &[f32], w: &[f32], bias: &[f32], y: &mut [f32]) {
    let (b, ni, no) = (batch, s.ni as usize, s.no as usize);
    if b <= GEMV_MAX_BATCH {
        fc_forward_dots(b, ni, no, x, w, y);
    } else {
        let bl = blocks(no);
        let yp = y.as_mut_ptr() as usize;
        bl.par_iter().for_each(|&(c0, c1)| {
            let wdt = c1 - c0;
            // SAFETY: disjoint column blocks.
            let out = unsafe {
                std::slice::from_raw_parts_mut((yp as *mut f32).add(c0), (b - 1) * no + wdt)
            };
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
    }
    y.par_chunks_mut(no)
        .for_each(|r| r.iter_mut().zip(bias).for_each(|(v, bb)| *v += bb));
}

/// Classifier backward of `batch` inputs: dX `[batch][ni]` = dY x W
/// (overwritten), dW `[no][ni]` += dY^T x X. `dy` is the gradient of the
/// pre-activation output `[batch][no]`.
#[allow(clippy::too_many_arguments)]
pub fn fc_backward(
    s: &ClassSpec,
    batch: usize,
    x: &[f32],
    w: &[f32],
    dy: &[f32],
    dx: &mut [f32],
    dw: &mut [f32],
) {
    let (b, ni, no) = (batch, s.ni as usize, s.no as usize);
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

/// Maximum of window `(yo, xo)` of plane `xp` over the inputs it covers,
/// in scan order (padding never wins, as on the accelerator); a NaN input
/// makes the maximum NaN, so divergence shows.
#[inline]
fn window_max(g: &Win, xp: &[f32], yo: usize, xo: usize) -> f32 {
    let (rows, x0, w) = g.window(yo, xo);
    if rows.is_empty() || w == 0 {
        // not for a validated layer: its padding is smaller than its window
        return f32::NEG_INFINITY;
    }
    let mut m = xp[rows.start * g.nx + x0];
    for iy in rows {
        for &v in &xp[iy * g.nx + x0..][..w] {
            if v > m || v.is_nan() {
                m = v;
            }
        }
    }
    m
}

/// Check that `x` holds whole input images of `s` and `y` the matching
/// outputs; returns the plane sizes `(input, output)` in values.
fn pool_planes(g: &Win, x: usize, y: usize) -> (usize, usize) {
    let (ip, op) = (g.ny * g.nx, g.oy * g.ox);
    assert!(
        x % (g.ni * ip) == 0 && x / ip * op == y,
        "pooling: {x} input values and {y} output values do not match {}x{}x{} -> {}x{}x{} images",
        g.ni,
        g.ny,
        g.nx,
        g.ni,
        g.oy,
        g.ox
    );
    (ip, op)
}

/// Pooling forward of one or more images `x` `[images][ni][ny][nx]` into
/// `y` `[images][ni][oy][ox]` (each map pooled separately, in parallel).
/// [`PoolKind::Max`]: maximum of the inputs the window covers (padding never
/// wins; NaN propagates). [`PoolKind::Avg`]: sum over the window with zero
/// padding included, divided by `kx * ky`.
pub fn pool_forward(s: &PoolSpec, x: &[f32], y: &mut [f32]) {
    let g = Win::from(s);
    let (ip, op) = pool_planes(&g, x.len(), y.len());
    y.par_chunks_mut(op)
        .zip(x.par_chunks(ip))
        .for_each(|(out, xp)| {
            for (yo, orow) in out.chunks_mut(g.ox).enumerate() {
                pool_row(&g, s.kind, xp, yo, orow);
            }
        });
}

/// The larger of `m` and `v` as [`window_max`] takes it: `v` if it is
/// larger or NaN (so the first of equal values stays, and NaN propagates).
#[inline(always)]
fn max_step(m: f32, v: f32) -> f32 {
    if v > m || v.is_nan() {
        v
    } else {
        m
    }
}

/// Output row `yo` of one pooled plane `xp` into `orow` (`ox` values).
/// Windows clipped by the padding go through [`window_max`] / the clipped
/// sum one by one; the interior columns, whose windows lie wholly inside
/// the image, are computed input row by input row and window column by
/// window column across the whole output row, so the inner loop is one
/// pass over contiguous outputs. Each output still visits its inputs in
/// scan order (row by row, left to right), so the results are the same
/// bits as the window-by-window loop.
fn pool_row(g: &Win, kind: PoolKind, xp: &[f32], yo: usize, orow: &mut [f32]) {
    let area = (g.kx * g.ky) as f32;
    let clipped = |xo: usize| -> f32 {
        match kind {
            PoolKind::Max => window_max(g, xp, yo, xo),
            PoolKind::Avg => {
                let (rows, x0, w) = g.window(yo, xo);
                let mut acc = 0.0;
                for iy in rows {
                    for &v in &xp[iy * g.nx + x0..][..w] {
                        acc += v;
                    }
                }
                acc / area
            }
        }
    };
    // interior columns: xo * sx >= pad and xo * sx - pad + kx <= nx
    let xa = g.pad.div_ceil(g.sx).min(g.ox);
    let xb = if g.nx + g.pad >= g.kx {
        ((g.nx + g.pad - g.kx) / g.sx + 1).min(g.ox).max(xa)
    } else {
        xa
    };
    let (rows, _, _) = g.window(yo, xa.min(g.ox.saturating_sub(1)));
    if rows.is_empty() || xa == xb {
        for (xo, v) in orow.iter_mut().enumerate() {
            *v = clipped(xo);
        }
        return;
    }
    for (xo, v) in orow.iter_mut().enumerate().take(xa) {
        *v = clipped(xo);
    }
    for (xo, v) in orow.iter_mut().enumerate().skip(xb) {
        *v = clipped(xo);
    }
    let (sx, base) = (g.sx, xa * g.sx - g.pad);
    let inner = &mut orow[xa..xb];
    let n = inner.len();
    for (r, iy) in rows.enumerate() {
        let line = &xp[iy * g.nx + base..(iy + 1) * g.nx];
        for tx in 0..g.kx {
            // inputs x[iy][base + k * sx + tx], k < n
            let src = &line[tx..];
            assert!((n - 1) * sx < src.len(), "pooling window inside the row");
            match (kind, r == 0 && tx == 0) {
                (PoolKind::Max, true) => {
                    for (k, v) in inner.iter_mut().enumerate() {
                        *v = src[k * sx];
                    }
                }
                // 0 + v, as the window-by-window sum starts (-0.0 becomes 0.0)
                (PoolKind::Avg, true) => {
                    for (k, v) in inner.iter_mut().enumerate() {
                        *v = 0.0 + src[k * sx];
                    }
                }
                (PoolKind::Max, false) => {
                    for (k, v) in inner.iter_mut().enumerate() {
                        *v = max_step(*v, src[k * sx]);
                    }
                }
                (PoolKind::Avg, false) => {
                    for (k, v) in inner.iter_mut().enumerate() {
                        *v += src[k * sx];
                    }
                }
            }
        }
    }
    if kind == PoolKind::Avg {
        inner.iter_mut().for_each(|v| *v /= area);
    }
}

/// Pooling backward of one or more images: the input gradient `dx`
/// `[images][ni][ny][nx]` (overwritten) from the forward input `x` (same
/// shape), its [`pool_forward`] output `y` and the output gradient `dy`
/// (both `[images][ni][oy][ox]`; `y` is read by max pooling only). Every stride,
/// window and padding; where windows overlap, an input sums the gradients of
/// every window it receives from.
///
/// [`PoolKind::Max`]: a window's gradient goes to EVERY input equal to the
/// window's maximum (`y`, [`pool_forward`]'s value), not only to the first: the
/// accelerator's routing mask is `drelu(x - upsampled max)`, 1 on every tie,
/// so the f32 and fixed-point training engines agree. A NaN maximum routes
/// nowhere. [`PoolKind::Avg`]: each input of the window receives the
/// window's gradient divided by `kx * ky` (padding's share is dropped).
pub fn pool_backward(s: &PoolSpec, x: &[f32], y: &[f32], dy: &[f32], dx: &mut [f32]) {
    let g = Win::from(s);
    let (ip, op) = pool_planes(&g, x.len(), dy.len());
    assert!(
        dx.len() == x.len() && y.len() == dy.len(),
        "pooling backward: dx and x, or y and dy, differ in length"
    );
    let area = (g.kx * g.ky) as f32;
    dx.par_chunks_mut(ip)
        .zip(x.par_chunks(ip))
        .zip(y.par_chunks(op).zip(dy.par_chunks(op)))
        .for_each(|((d, xp), (yp, dyp))| {
            d.iter_mut().for_each(|v| *v = 0.0);
            for yo in 0..g.oy {
                for xo in 0..g.ox {
                    let gr = dyp[yo * g.ox + xo];
                    let (rows, x0, w) = g.window(yo, xo);
                    match s.kind {
                        PoolKind::Max => {
                            let m = yp[yo * g.ox + xo];
                            for iy in rows {
                                let r = iy * g.nx + x0;
                                for (d, &v) in d[r..r + w].iter_mut().zip(&xp[r..r + w]) {
                                    if v == m {
                                        *d += gr;
                                    }
                                }
                            }
                        }
                        PoolKind::Avg => {
                            let share = gr / area;
                            for iy in rows {
                                let r = iy * g.nx + x0;
                                d[r..r + w].iter_mut().for_each(|d| *d += share);
                            }
                        }
                    }
                }
            }
        });
}

/// SGD with momentum (the seed paper's eq. 1-2) and L2 weight decay `wd`:
/// v = mu*v - alpha*(dw + wd*w); w += v.
pub fn sgd_momentum(w: &mut [f32], v: &mut [f32], dw: &[f32], mu: f32, alpha: f32, wd: f32) {
    w.par_chunks_mut(4096)
        .zip(v.par_chunks_mut(4096))
        .zip(dw.par_chunks(4096))
        .for_each(|((w, v), d)| {
            for ((w, v), d) in w.iter_mut().zip(v.iter_mut()).zip(d) {
                *v = mu * *v - alpha * (d + wd * *w);
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
    let t: Vec<f64> = (0..reps.max(1))
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    Timing::of(t)
}

impl Timing {
    /// Median, fastest and slowest of `samples` (seconds; at least one).
    pub fn of(mut samples: Vec<f64>) -> Timing {
        samples.sort_by(|a, b| a.total_cmp(b));
        Timing {
            median_s: samples[samples.len() / 2],
            min_s: samples[0],
            max_s: samples[samples.len() - 1],
            reps: samples.len(),
        }
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

    /// A layer in firmware's CLI syntax (`conv:nx=..`), validated.
    fn layer(text: &str) -> LayerSpec {
        let l: LayerSpec = text.parse().unwrap();
        l.validate().unwrap();
        l
    }

    fn pool(text: &str) -> PoolSpec {
        match layer(text) {
            LayerSpec::Pool(p) => p,
            l => panic!("{l:?}"),
        }
    }

    fn naive_conv(s: &ConvSpec, x: &[f32], w: &[f32], b: &[f32]) -> Vec<f32> {
        let (no, oy, ox) = LayerSpec::Conv(*s).output_shape();
        let (no, oy, ox) = (no as usize, oy as isize, ox as isize);
        let (ni, ny, nx) = (s.ni as usize, s.ny as isize, s.nx as isize);
        let (kx, ky, sx, sy, pad) = (
            s.kx as isize,
            s.ky as isize,
            s.sx as isize,
            s.sy as isize,
            s.pad as isize,
        );
        let mut y = vec![0.0; no * (ox * oy) as usize];
        for o in 0..no {
            for yo in 0..oy {
                for xo in 0..ox {
                    let mut acc = b[o];
                    for i in 0..ni {
                        for dy in 0..ky {
                            for dx in 0..kx {
                                let iy = yo * sy + dy - pad;
                                let ix = xo * sx + dx - pad;
                                if iy >= 0 && ix >= 0 && iy < ny && ix < nx {
                                    let wi = ((o * ni + i) * ky as usize + dy as usize)
                                        * kx as usize
                                        + dx as usize;
                                    let xi =
                                        (i * ny as usize + iy as usize) * nx as usize + ix as usize;
                                    acc += w[wi] * x[xi];
                                }
                            }
                        }
                    }
                    y[(o * oy as usize + yo as usize) * ox as usize + xo as usize] = acc;
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

    /// A batch through [`layer_forward`] (images in parallel) is each
    /// image through it alone, bit for bit, for a grouped convolution and
    /// for a classifier on both of its paths.
    #[test]
    fn a_batch_is_its_images_one_by_one() {
        for (text, batch) in [
            (
                "conv:nx=9,ny=7,kx=3,ky=3,ni=4,no=6,groups=2,pad=1,act=relu",
                5,
            ),
            ("class:ni=40,no=9,act=tanh", 3),
            ("class:ni=40,no=9,act=tanh", GEMV_MAX_BATCH + 2),
        ] {
            let spec = layer(text);
            let (il, ol) = (spec.input_len() as usize, spec.output_len() as usize);
            let x = rnd(batch * il, 11);
            let w = rnd(spec.weight_len() as usize, 12);
            let b = rnd(spec.output_shape().0 as usize, 13);
            let all = layer_forward(&spec, batch, &x, &w, &b);
            for i in 0..batch {
                let one = layer_forward(&spec, 1, &x[i * il..][..il], &w, &b);
                if matches!(spec, LayerSpec::Conv(_)) {
                    assert_eq!(one, all[i * ol..][..ol], "{text} image {i}");
                } else {
                    // the GEMM path may round differently from the dot products
                    for (p, q) in one.iter().zip(&all[i * ol..][..ol]) {
                        assert!((p - q).abs() < 1e-5, "{text} image {i}: {p} vs {q}");
                    }
                }
            }
        }
    }

    #[test]
    fn conv_forward_backward_match_naive() {
        // padded and strided; unpadded stride 1 and strided (im2col's fast paths)
        for geom in [
            "nx=9,ny=7,kx=3,ky=2,sx=2,sy=1,pad=1",
            "nx=9,ny=7,kx=3,ky=2,sx=1,sy=1,pad=0",
            "nx=9,ny=7,kx=3,ky=2,sx=2,sy=3,pad=0",
        ] {
            conv_matches_naive(layer(&format!("conv:{geom},ni=3,no=5")));
        }
    }

    fn conv_matches_naive(spec: LayerSpec) {
        let LayerSpec::Conv(s) = spec else {
            unreachable!()
        };
        let (k, n) = im2col_dims(&s);
        assert_eq!(k as u64 * n as u64 * s.no as u64, spec.macs());
        assert_eq!((s.no as usize * n) as u64, spec.output_len());
        let x = rnd(spec.input_len() as usize, 1);
        let w = rnd(spec.weight_len() as usize, 2);
        let b = rnd(s.no as usize, 3);
        let mut y = vec![0.0; spec.output_len() as usize];
        let mut col = Vec::new();
        with_threads(2, || conv_forward(&s, &x, &w, &b, &mut col, &mut y)).unwrap();
        let r = naive_conv(&s, &x, &w, &b);
        for (a, b) in y.iter().zip(&r) {
            assert!((a - b).abs() < 1e-4, "{a} {b}");
        }
        // gradient check of dx and dw against finite differences of sum(y * dy)
        let dy = rnd(y.len(), 4);
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
        for idx in 0..x.len() {
            let mut xp = x.clone();
            xp[idx] += 0.01;
            let g = (loss(&xp, &w) - loss(&x, &w)) / 0.01;
            assert!(
                (g - dx[idx] as f64).abs() < 1e-2,
                "{s:?} dx[{idx}] {g} {}",
                dx[idx]
            );
        }
        for idx in [0, 11, w.len() - 1] {
            let mut wp = w.clone();
            wp[idx] += 0.01;
            let g = (loss(&x, &wp) - loss(&x, &w)) / 0.01;
            assert!(
                (g - dw[idx] as f64).abs() < 1e-2,
                "{s:?} dw[{idx}] {g} {}",
                dw[idx]
            );
        }
    }

    /// Both dot-product paths against the plain sum, on lengths around the
    /// vector widths.
    #[test]
    fn dot_paths_agree() {
        for n in [0, 1, 7, 16, 31, 32, 33, 100, 1000] {
            let (a, b) = (rnd(n, 21), rnd(n, 22));
            let r: f64 = a.iter().zip(&b).map(|(p, q)| *p as f64 * *q as f64).sum();
            for (what, got) in [("dot", dot(&a, &b)), ("portable", dot_portable(&a, &b))] {
                assert!(
                    (got as f64 - r).abs() < 1e-4 * (1.0 + r.abs()),
                    "{what} n={n}: {got} vs {r}"
                );
            }
        }
    }

    /// The blocked dot products against the plain sums, for every row count
    /// up to ROWS and lengths around the vector widths.
    #[test]
    fn blocked_dots_agree() {
        for n in [0, 1, 7, 15, 16, 17, 33, 100, 1000] {
            for r in 0..=ROWS {
                let (rows, x) = (rnd(r * n, 23), rnd(n, 24));
                let got = dots(&rows, n, &x);
                for k in 0..ROWS {
                    let want: f64 = if k < r {
                        rows[k * n..][..n]
                            .iter()
                            .zip(&x)
                            .map(|(p, q)| *p as f64 * *q as f64)
                            .sum()
                    } else {
                        0.0
                    };
                    assert!(
                        (got[k] as f64 - want).abs() < 1e-4 * (1.0 + want.abs()),
                        "n={n} rows={r} row {k}: {} vs {want}",
                        got[k]
                    );
                }
            }
        }
    }

    #[test]
    fn fc_forward_backward() {
        // batch 3: the dot-product path; GEMV_MAX_BATCH + 3: the GEMM
        for b in [3, GEMV_MAX_BATCH + 3] {
            fc_forward_backward_at(b);
        }
    }

    fn fc_forward_backward_at(b: usize) {
        let (ni, no) = (70, 33);
        let LayerSpec::Classifier(s) = layer("class:ni=70,no=33") else {
            unreachable!()
        };
        let x = rnd(b * ni, 5);
        let w = rnd(no * ni, 6);
        let bias = rnd(no, 7);
        let mut y = vec![0.0; b * no];
        fc_forward(&s, b, &x, &w, &bias, &mut y);
        for bb in 0..b {
            for o in 0..no {
                let r: f32 = bias[o] + (0..ni).map(|i| x[bb * ni + i] * w[o * ni + i]).sum::<f32>();
                assert!((y[bb * no + o] - r).abs() < 1e-3);
            }
        }
        let dy = rnd(b * no, 8);
        let mut dx = vec![0.0; b * ni];
        let mut dw = vec![0.0; no * ni];
        fc_backward(&s, b, &x, &w, &dy, &mut dx, &mut dw);
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

    /// The row-wise pooling gives the same bits as pooling window by window
    /// (`window_max`, the clipped sum), on strides, overlaps, padding,
    /// windows wider than the image's interior, NaN and signed zeros.
    #[test]
    fn pooling_rows_equal_windows_bit_for_bit() {
        for text in [
            "pool:nx=13,ny=11,k=3,s=2,ni=3",
            "pool:nx=12,ny=12,k=2,s=2,ni=2,kind=avg",
            "pool:nx=9,ny=7,k=3,s=1,pad=1,ni=2",
            "pool:nx=9,ny=7,k=3,s=1,pad=1,ni=2,kind=avg",
            "pool:nx=10,ny=10,k=3,s=2,pad=1,ni=1",
            "pool:nx=7,ny=7,k=7,s=1,ni=2,kind=avg",
            "pool:nx=4,ny=5,k=3,s=3,pad=2,ni=1",
            "pool:nx=3,ny=3,k=3,s=1,pad=2,ni=1,kind=avg",
        ] {
            let spec = pool(text);
            let g = Win::from(&spec);
            let mut x = rnd(LayerSpec::Pool(spec).input_len() as usize * 2, 31);
            for (i, v) in x.iter_mut().enumerate() {
                match i % 17 {
                    3 => *v = f32::NAN,
                    5 => *v = -0.0,
                    6 => *v = 0.0,
                    _ => {}
                }
            }
            let got = pooled(&spec, &x);
            let area = (g.kx * g.ky) as f32;
            let (ip, op) = (g.nx * g.ny, g.ox * g.oy);
            for (pc, xp) in x.chunks(ip).enumerate() {
                for yo in 0..g.oy {
                    for xo in 0..g.ox {
                        let want = match spec.kind {
                            PoolKind::Max => window_max(&g, xp, yo, xo),
                            PoolKind::Avg => {
                                let (rows, x0, w) = g.window(yo, xo);
                                let mut acc = 0.0f32;
                                for iy in rows {
                                    for &v in &xp[iy * g.nx + x0..][..w] {
                                        acc += v;
                                    }
                                }
                                acc / area
                            }
                        };
                        let v = got[pc * op + yo * g.ox + xo];
                        assert_eq!(
                            v.to_bits(),
                            want.to_bits(),
                            "{text} plane {pc} ({yo},{xo}): {v} vs {want}"
                        );
                    }
                }
            }
        }
    }

    fn pooled(s: &PoolSpec, x: &[f32]) -> Vec<f32> {
        let images = x.len() / LayerSpec::Pool(*s).input_len() as usize;
        let mut y = vec![0.0; images * LayerSpec::Pool(*s).output_len() as usize];
        pool_forward(s, x, &mut y);
        y
    }

    fn pool_grad(s: &PoolSpec, x: &[f32], dy: &[f32]) -> Vec<f32> {
        let y = pooled(s, x);
        let mut dx = vec![f32::NAN; x.len()];
        pool_backward(s, x, &y, dy, &mut dx);
        dx
    }

    #[test]
    fn max_pool_routes_to_every_tie() {
        // Two 2x2 maps; map 0 has a three-way tie: all three get the gradient
        // (the accelerator's mask drelu(x - up(max)) is 1 on every tie).
        let s = pool("pool:nx=2,ny=2,kx=2,ky=2,ni=2,sx=2,sy=2,pad=0,kind=max");
        let x = [0.5, 0.5, 0.1, 0.5, 0.2, 0.9, 0.3, 0.4];
        assert_eq!(pooled(&s, &x), vec![0.5, 0.9]);
        let dx = pool_grad(&s, &x, &[2.0, -1.0]);
        assert_eq!(dx, vec![2.0, 2.0, 0.0, 2.0, 0.0, -1.0, 0.0, 0.0]);
        // Two images of one map each: the same planes, the same answer.
        let s1 = pool("pool:nx=2,ny=2,kx=2,ky=2,ni=1,sx=2,sy=2,pad=0,kind=max");
        assert_eq!(pool_grad(&s1, &x, &[2.0, -1.0]), dx);
    }

    #[test]
    fn max_pool_overlapping_windows_sum_every_tie() {
        // 3x3 input, 2x2 windows, stride 1: 2x2 outputs whose windows overlap.
        let s = pool("pool:nx=3,ny=3,kx=2,ky=2,ni=1,sx=1,sy=1,pad=0,kind=max");
        #[rustfmt::skip]
        let x = [
            1.0, 3.0, 3.0,
            2.0, 0.0, 1.0,
            3.0, 2.0, 0.5,
        ];
        // windows: {1,3,2,0} -> 3, {3,3,0,1} -> 3 (tie), {2,0,3,2} -> 3, {0,1,2,0.5} -> 2
        assert_eq!(pooled(&s, &x), vec![3.0, 3.0, 3.0, 2.0]);
        let dx = pool_grad(&s, &x, &[1.0, 10.0, 100.0, 1000.0]);
        #[rustfmt::skip]
        let want = vec![
            0.0, 11.0, 10.0,
            0.0, 0.0, 0.0,
            100.0, 1000.0, 0.0,
        ];
        assert_eq!(dx, want);
    }

    #[test]
    fn max_pool_padding_never_wins() {
        // All inputs negative, zero border: the maximum is an input, not the border.
        let s = pool("pool:nx=2,ny=2,kx=2,ky=2,ni=1,sx=1,sy=1,pad=1,kind=max");
        let x = [-1.0, -2.0, -3.0, -4.0];
        assert_eq!(
            pooled(&s, &x),
            vec![-1.0, -1.0, -2.0, -1.0, -1.0, -2.0, -3.0, -3.0, -4.0]
        );
        let dx = pool_grad(&s, &x, &[1.0; 9]);
        assert_eq!(dx, vec![4.0, 2.0, 2.0, 1.0]);
        // NaN propagates forward and routes nowhere backward.
        let s = pool("pool:nx=2,ny=2,kx=2,ky=2,ni=1,sx=2,sy=2,pad=0,kind=max");
        let y = pooled(&s, &[0.0, f32::NAN, 1.0, 2.0]);
        assert!(y[0].is_nan());
        assert_eq!(
            pool_grad(&s, &[0.0, f32::NAN, 1.0, 2.0], &[1.0]),
            vec![0.0; 4]
        );
    }

    #[test]
    fn avg_pool_by_hand() {
        // 3x3 input, 2x2 windows, stride 2, pad 1: 2x2 outputs, padding counts as zero.
        let s = pool("pool:nx=3,ny=3,kx=2,ky=2,ni=1,sx=2,sy=2,pad=1,kind=avg");
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
        assert_eq!(pooled(&s, &x), vec![0.25, 1.25, 2.75, 7.0]);
        let dx = pool_grad(&s, &x, &[4.0, 8.0, 12.0, 16.0]);
        assert_eq!(dx, vec![1.0, 2.0, 2.0, 3.0, 4.0, 4.0, 3.0, 4.0, 4.0]);
    }

    /// Pooling backward is the gradient of sum(dy . pool_forward(x)) for
    /// every geometry (stride below, equal to and above the window, padding)
    /// and both kinds (distinct inputs: no ties, so max is differentiable).
    #[test]
    fn pool_backward_is_the_gradient_of_pool_forward() {
        let geoms = [
            "nx=7,ny=6,kx=3,ky=2,sx=2,sy=1,pad=0",
            "nx=7,ny=6,kx=3,ky=3,sx=2,sy=2,pad=1",
            "nx=8,ny=8,kx=2,ky=2,sx=2,sy=2,pad=0",
            "nx=9,ny=5,kx=2,ky=3,sx=3,sy=2,pad=1",
            "nx=5,ny=5,kx=3,ky=3,sx=1,sy=1,pad=2",
        ];
        for (gi, geom) in geoms.iter().enumerate() {
            for kind in ["max", "avg"] {
                let s = pool(&format!("pool:{geom},ni=2,kind={kind}"));
                // Two images of distinct values 0.01 apart (a permutation of
                // a grid): no ties.
                let len = 2 * 2 * (s.nx * s.ny) as usize;
                let x: Vec<f32> = (0..len)
                    .map(|i| ((i * 7919) % len) as f32 * 0.01 - 1.0)
                    .collect();
                let y = pooled(&s, &x);
                let dy = rnd(y.len(), 20 + gi as u32);
                let dx = pool_grad(&s, &x, &dy);
                let loss = |x: &[f32]| -> f64 {
                    pooled(&s, x)
                        .iter()
                        .zip(&dy)
                        .map(|(a, b)| *a as f64 * *b as f64)
                        .sum()
                };
                for idx in 0..x.len() {
                    let (mut xp, mut xm) = (x.clone(), x.clone());
                    xp[idx] += 1e-3;
                    xm[idx] -= 1e-3;
                    let g = (loss(&xp) - loss(&xm)) / 2e-3;
                    assert!(
                        (g - dx[idx] as f64).abs() < 1e-2,
                        "{s:?} dx[{idx}]: numeric {g}, analytic {}",
                        dx[idx]
                    );
                }
            }
        }
    }

    #[test]
    fn momentum_update() {
        let mut w = vec![1.0f32; 5];
        let mut v = vec![0.5f32; 5];
        sgd_momentum(&mut w, &mut v, &[1.0; 5], 0.9, 0.1, 0.0);
        assert!((v[0] - 0.35).abs() < 1e-6 && (w[0] - 1.35).abs() < 1e-6);
    }
}
