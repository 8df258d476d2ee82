//! The plain fixed-point CPU reference: the same arithmetic as the NFU
//! (`arch::fixed`, `arch::activation::Table`), as straightforward loops over
//! the logical tensors, independent of the tiler and of the DRAM layout.
//!
//! Per output: start from the bias shifted left by `frac` (or 0), add every
//! product modulo 2^32, round away `frac` bits and saturate to 16 bits, then
//! apply the NFU-3 table. Max pooling ignores the padding border (the
//! hardware sees the most negative word there); average pooling sums the
//! window with zeros for the border and scales by `round(2^15 / (kx*ky))`.
//!
//! Stochastic rounding depends on the order in which the hardware's per-lane
//! LFSRs are stepped, i.e. on the tiling; it has no CPU reference and is
//! checked only on the simulator against itself ([`forward`] rejects it).

use crate::layer::{ClassSpec, ConvSpec, EltwiseSpec, LayerSpec, PoolKind, PoolSpec};
use crate::FwError;
use arch::activation::{Activation, Table};
use arch::fixed::{self, Rounding};

/// Outputs `[batch][no][oy][ox]` (classifier `[batch][no]`) and the number
/// of output values that saturated in the conversion or the activation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefOutput {
    /// Output values.
    pub output: Vec<i16>,
    /// Values that saturated (each counted once).
    pub saturations: u64,
}

/// A tensor of `got` values where `expected` are needed is an error naming it.
pub(crate) fn check_len(what: &'static str, got: usize, expected: u64) -> Result<(), FwError> {
    if got as u64 != expected {
        return Err(FwError::TensorLength {
            what,
            expected: expected as usize,
            got,
        });
    }
    Ok(())
}

/// Run one layer on `batch` images: input `[batch][ni][ny][nx]`
/// (element-wise: `[batch][operand][c][h][w]`), weights
/// `[no][ni/groups][ky][kx]`, bias `[no]` (empty if the layer has none), data
/// words with `frac` fraction bits.
pub fn forward(
    layer: &LayerSpec,
    batch: u32,
    input: &[i16],
    weights: &[i16],
    bias: &[i16],
    frac: u32,
    round: Rounding,
) -> Result<RefOutput, FwError> {
    layer.validate()?;
    if round == Rounding::Stochastic {
        return Err(FwError::Unsupported(
            "stochastic rounding has no CPU reference (it depends on the LFSR stepping order)"
                .into(),
        ));
    }
    check_len("input", input.len(), layer.input_len() * batch as u64)?;
    check_len("weights", weights.len(), layer.weight_len())?;
    check_len("bias", bias.len(), layer.bias_len())?;
    Ok(match layer {
        LayerSpec::Conv(c) => conv(c, batch, input, weights, bias, frac, round),
        LayerSpec::Pool(p) => pool(p, batch, input, round),
        LayerSpec::Classifier(c) => classifier(c, batch, input, weights, bias, frac, round),
        LayerSpec::Eltwise(e) => eltwise(e, batch, input, frac),
    })
}

/// `act(A + B)` (or `act(A)`): the sum is exact, then saturated to 16 bits,
/// as the element-wise program's `Lincomb` with 1.0 coefficients computes it.
fn eltwise(e: &EltwiseSpec, batch: u32, input: &[i16], frac: u32) -> RefOutput {
    let n = e.c as usize * e.h as usize * e.w as usize;
    let ops = e.inputs as usize;
    let table = Table::new(e.act, frac);
    let mut out = Vec::with_capacity(n * batch as usize);
    let mut sat = 0;
    for b in 0..batch as usize {
        for i in 0..n {
            let acc: i64 = (0..ops).map(|k| input[(b * ops + k) * n + i] as i64).sum();
            let (x, s1) = fixed::saturate(acc);
            let (y, s2) = table.apply(x, frac);
            sat += (s1 || s2) as u64;
            out.push(y);
        }
    }
    RefOutput {
        output: out,
        saturations: sat,
    }
}

/// The accumulator's start for output `o`: its bias shifted left by `frac`, or 0.
fn start(has_bias: bool, bias: &[i16], o: usize, frac: u32) -> i32 {
    if has_bias {
        (bias[o] as i32) << frac
    } else {
        0
    }
}

fn finish(acc: i32, frac: u32, round: Rounding, table: &Table, sat: &mut u64) -> i16 {
    let (x, s1) = fixed::convert(acc, frac, round, 0);
    let (y, s2) = table.apply(x, frac);
    *sat += (s1 || s2) as u64;
    y
}

fn conv(
    c: &ConvSpec,
    batch: u32,
    input: &[i16],
    w: &[i16],
    bias: &[i16],
    frac: u32,
    round: Rounding,
) -> RefOutput {
    let (no, oy, ox) = LayerSpec::Conv(*c).output_shape();
    let table = Table::new(c.act, frac);
    let (nx, ny, ni) = (c.nx as i64, c.ny as i64, c.ni as usize);
    let cin = ni / c.groups as usize;
    let cout = no as usize / c.groups as usize;
    let mut out = Vec::with_capacity((batch * no * oy * ox) as usize);
    let mut sat = 0;
    for b in 0..batch as usize {
        for o in 0..no as usize {
            let g = o / cout;
            for y in 0..oy as i64 {
                for x in 0..ox as i64 {
                    let mut acc = start(c.bias, bias, o, frac);
                    for gi in 0..cin {
                        let i = g * cin + gi;
                        for ky in 0..c.ky as i64 {
                            let iy = y * c.sy as i64 + ky - c.pad as i64;
                            if iy < 0 || iy >= ny {
                                continue;
                            }
                            for kx in 0..c.kx as i64 {
                                let ix = x * c.sx as i64 + kx - c.pad as i64;
                                if ix < 0 || ix >= nx {
                                    continue;
                                }
                                let a = input[((b * ni + i) * ny as usize + iy as usize)
                                    * nx as usize
                                    + ix as usize];
                                let k = w[((o * cin + gi) * c.ky as usize + ky as usize)
                                    * c.kx as usize
                                    + kx as usize];
                                acc = fixed::acc_add(acc, fixed::mul(a, k));
                            }
                        }
                    }
                    out.push(finish(acc, frac, round, &table, &mut sat));
                }
            }
        }
    }
    RefOutput {
        output: out,
        saturations: sat,
    }
}

fn pool(p: &PoolSpec, batch: u32, input: &[i16], round: Rounding) -> RefOutput {
    let (_, oy, ox) = LayerSpec::Pool(*p).output_shape();
    let (nx, ny, ni) = (p.nx as i64, p.ny as i64, p.ni as usize);
    let scale = fixed::avg_scale(p.kx * p.ky);
    let table = Table::new(Activation::Identity, 8);
    let mut out = Vec::new();
    let mut sat = 0;
    for b in 0..batch as usize {
        for i in 0..ni {
            for y in 0..oy as i64 {
                for x in 0..ox as i64 {
                    let mut acc: i32 = match p.kind {
                        PoolKind::Max => i32::MIN,
                        PoolKind::Avg => 0,
                    };
                    for ky in 0..p.ky as i64 {
                        let iy = y * p.sy as i64 + ky - p.pad as i64;
                        for kx in 0..p.kx as i64 {
                            let ix = x * p.sx as i64 + kx - p.pad as i64;
                            if iy < 0 || iy >= ny || ix < 0 || ix >= nx {
                                continue;
                            }
                            let v = input[((b * ni + i) * ny as usize + iy as usize) * nx as usize
                                + ix as usize] as i32;
                            acc = match p.kind {
                                PoolKind::Max => acc.max(v),
                                PoolKind::Avg => fixed::acc_add(acc, v),
                            };
                        }
                    }
                    let (xv, s1) = match p.kind {
                        PoolKind::Max => fixed::saturate(acc as i64),
                        PoolKind::Avg => fixed::convert_avg(acc, scale, round, 0),
                    };
                    // identity is exact for any frac
                    let (yv, s2) = table.apply(xv, 8);
                    sat += (s1 || s2) as u64;
                    out.push(yv);
                }
            }
        }
    }
    RefOutput {
        output: out,
        saturations: sat,
    }
}

fn classifier(
    c: &ClassSpec,
    batch: u32,
    input: &[i16],
    w: &[i16],
    bias: &[i16],
    frac: u32,
    round: Rounding,
) -> RefOutput {
    let table = Table::new(c.act, frac);
    let (ni, no) = (c.ni as usize, c.no as usize);
    let mut out = Vec::with_capacity(batch as usize * no);
    let mut sat = 0;
    for b in 0..batch as usize {
        for o in 0..no {
            let acc = fixed::acc_add(
                start(c.bias, bias, o, frac),
                fixed::dot(&input[b * ni..(b + 1) * ni], &w[o * ni..(o + 1) * ni]),
            );
            out.push(finish(acc, frac, round, &table, &mut sat));
        }
    }
    RefOutput {
        output: out,
        saturations: sat,
    }
}
