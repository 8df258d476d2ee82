//! Every layer of a model as one or more programs ("pieces").
//!
//! * A dense convolution, a pooling layer and a classifier are one piece,
//!   [`crate::compile`]'s program.
//! * A grouped convolution is one dense convolution per **block** of
//!   consecutive groups, each over its block's input maps and writing its
//!   block's output maps, with the weights between different groups of a
//!   block zero. A block holds `max(1, Tn / (ni/groups))` groups, so its
//!   input fills about one NBin row: a depthwise convolution
//!   (`groups = ni = no`) runs Tn maps per piece with a diagonal Tn x Tn
//!   weight block, i.e. **one reduction lane per output** of NFU-2's tree
//!   (a utilisation of at most 1/Tn of NFU-1's multipliers, reported as such).
//! * An element-wise layer is one [`crate::compile_ew`] program over the
//!   whole batch: `Lincomb` with `a = b = 1.0` and `c = 0` for an add (the
//!   sum is exact before saturation), `AddConst` with `c = 0` for an
//!   activation alone.
//!
//! Pieces of a layer run one after another; their cycles, DRAM traffic and
//! energy add up.

use crate::codegen::{compile, CompiledLayer};
use crate::elementwise::{compile_ew, CompiledEw, EwOp, EwSpec};
use crate::layer::{ConvSpec, LayerSpec};
use crate::reference::check_len;
use crate::FwError;
use arch::fixed::Rounding;
use arch::isa::Instruction;
use arch::AccelConfig;
use std::ops::Range;

/// The program of one piece.
#[derive(Clone, Debug)]
pub enum PieceProgram {
    /// A convolution, pooling or classifier program.
    Layer(Box<CompiledLayer>),
    /// An element-wise program.
    Eltwise(CompiledEw),
}

/// One program of a layer and the part of the layer it computes.
#[derive(Clone, Debug)]
pub struct Piece {
    /// The layer this program computes (a dense sub-convolution of a grouped one).
    pub spec: LayerSpec,
    /// Input maps of the layer this piece reads.
    pub in_maps: Range<u32>,
    /// Output maps of the layer this piece writes.
    pub out_maps: Range<u32>,
    /// The compiled program.
    pub program: PieceProgram,
}

/// A layer compiled into pieces.
#[derive(Clone, Debug)]
pub struct CompiledNode {
    /// The layer.
    pub spec: LayerSpec,
    /// Images.
    pub batch: u32,
    /// Programs in execution order.
    pub pieces: Vec<Piece>,
    /// Useful multiply-accumulates of the batch (pooling: window operations;
    /// element-wise: output elements). Zero weights of a grouped
    /// convolution's blocks are not useful.
    pub useful_macs: u64,
}

impl CompiledNode {
    /// The tiling of the programs: the one plan, or `N programs x plan` for
    /// a grouped convolution (its blocks have one geometry; the last may be smaller).
    pub fn plan_text(&self) -> String {
        match self.pieces.as_slice() {
            [one] => one.plan_text(),
            [first, ..] => format!("{} programs x {}", self.pieces.len(), first.plan_text()),
            [] => String::new(),
        }
    }
}

impl Piece {
    /// The instructions.
    pub fn instructions(&self) -> &[Instruction] {
        match &self.program {
            PieceProgram::Layer(c) => &c.program,
            PieceProgram::Eltwise(c) => &c.program,
        }
    }

    /// Cycles the tiler predicted (0 for element-wise programs).
    pub fn predicted_cycles(&self) -> u64 {
        match &self.program {
            PieceProgram::Layer(c) => c.plan.cost.cycles,
            PieceProgram::Eltwise(_) => 0,
        }
    }

    /// Bytes of DRAM the piece's image uses.
    pub fn dram_bytes(&self) -> u64 {
        match &self.program {
            PieceProgram::Layer(c) => c.layout.total_bytes(),
            PieceProgram::Eltwise(c) => c.layout.total_bytes(),
        }
    }

    /// The tiling, in the tiler's notation (element-wise: rows per tile and parts).
    pub fn plan_text(&self) -> String {
        match &self.program {
            PieceProgram::Layer(c) => c.plan.to_string(),
            PieceProgram::Eltwise(c) => format!("ew T={} parts={}", c.tile_rows, c.parts),
        }
    }

    /// The `(address, bytes)` chunks of this piece's DRAM image, cut from
    /// the layer's logical tensors: input `[batch][operand][ni][ny][nx]`,
    /// weights `[no][ni/groups][ky][kx]`, bias `[no]`.
    pub fn pack(
        &self,
        node: &LayerSpec,
        batch: u32,
        input: &[i16],
        weights: &[i16],
        bias: &[i16],
    ) -> Result<Vec<(u64, Vec<u8>)>, FwError> {
        check_len("input", input.len(), node.input_len() * batch as u64)?;
        check_len("weights", weights.len(), node.weight_len())?;
        check_len("bias", bias.len(), node.bias_len())?;
        match &self.program {
            PieceProgram::Eltwise(c) => {
                let n = node.input_len() as usize / node.operands() as usize;
                let ops = node.operands() as usize;
                let operand = |k: usize| -> Vec<i16> {
                    (0..batch as usize)
                        .flat_map(|b| {
                            let s = (b * ops + k) * n;
                            input[s..s + n].iter().copied()
                        })
                        .collect()
                };
                let mut v = c.layout.pack_a(&operand(0))?;
                let b = if ops == 2 { operand(1) } else { Vec::new() };
                v.extend(c.layout.pack_b(&b)?);
                v.extend(c.layout.pack_consts());
                Ok(v)
            }
            PieceProgram::Layer(c) => {
                let mut v;
                match (node, &self.spec) {
                    (LayerSpec::Conv(full), LayerSpec::Conv(sub)) if full.groups > 1 => {
                        let (ni, ny, nx) = node.input_shape();
                        let hw = ny as usize * nx as usize;
                        let mut sin = Vec::with_capacity(sub.ni as usize * hw * batch as usize);
                        for b in 0..batch as usize {
                            let s = (b * ni as usize + self.in_maps.start as usize) * hw;
                            sin.extend_from_slice(&input[s..s + sub.ni as usize * hw]);
                        }
                        let (w, bs) = block_weights(full, sub, self, weights, bias);
                        v = c.layout.pack_input(&sin)?;
                        v.extend(c.layout.pack_params(&w, &bs)?);
                    }
                    _ => {
                        v = c.layout.pack_input(input)?;
                        v.extend(c.layout.pack_params(weights, bias)?);
                    }
                }
                Ok(v)
            }
        }
    }

    /// Read this piece's outputs through `read(address, buffer)` into the
    /// layer's output tensor `out` (`[batch][no][oy][ox]`).
    pub fn unpack_into(
        &self,
        node: &LayerSpec,
        batch: u32,
        read: impl FnMut(u64, &mut [u8]),
        out: &mut [i16],
    ) {
        let got = match &self.program {
            PieceProgram::Layer(c) => c.layout.unpack_output(read),
            PieceProgram::Eltwise(c) => c.layout.unpack_out(read),
        };
        let (no, oy, ox) = node.output_shape();
        let hw = oy as usize * ox as usize;
        let m = self.out_maps.len();
        if m == no as usize {
            out[..got.len()].copy_from_slice(&got);
            return;
        }
        for b in 0..batch as usize {
            let d = (b * no as usize + self.out_maps.start as usize) * hw;
            out[d..d + m * hw].copy_from_slice(&got[b * m * hw..(b + 1) * m * hw]);
        }
    }
}

/// The dense weights `[sub.no][sub.ni][ky][kx]` and bias of one block of a
/// grouped convolution: zero between different groups.
fn block_weights(
    full: &ConvSpec,
    sub: &ConvSpec,
    piece: &Piece,
    weights: &[i16],
    bias: &[i16],
) -> (Vec<i16>, Vec<i16>) {
    let cin = (full.ni / full.groups) as usize;
    let cout = (full.no / full.groups) as usize;
    let k = full.ky as usize * full.kx as usize;
    let (sni, sno) = (sub.ni as usize, sub.no as usize);
    let mut w = vec![0i16; sno * sni * k];
    for o in 0..sno {
        let og = piece.out_maps.start as usize + o;
        let g = og / cout;
        let i0 = g * cin - piece.in_maps.start as usize;
        for i in 0..cin {
            let src = (og * cin + i) * k;
            let dst = (o * sni + i0 + i) * k;
            w[dst..dst + k].copy_from_slice(&weights[src..src + k]);
        }
    }
    let b = if full.bias {
        bias[piece.out_maps.start as usize..piece.out_maps.end as usize].to_vec()
    } else {
        Vec::new()
    };
    (w, b)
}

/// Groups per block of a grouped convolution on `tn` lanes.
pub fn groups_per_block(c: &ConvSpec, tn: u32) -> u32 {
    let cin = c.ni / c.groups;
    (tn / cin).clamp(1, c.groups)
}

/// Compile `layer` for `batch` images into its pieces.
pub fn compile_node(
    cfg: &AccelConfig,
    layer: &LayerSpec,
    batch: u32,
) -> Result<CompiledNode, FwError> {
    layer.validate()?;
    if batch == 0 {
        return Err(FwError::ZeroBatch);
    }
    let useful_macs = layer.macs() * batch as u64;
    let (ni, _, _) = layer.input_shape();
    let (no, _, _) = layer.output_shape();
    let whole = |program| Piece {
        spec: *layer,
        in_maps: 0..ni,
        out_maps: 0..no,
        program,
    };
    let pieces = match layer {
        LayerSpec::Eltwise(e) => {
            // 1.0 = 1 << frac_bits must be a positive data word
            if cfg.frac_bits >= i16::BITS - 1 {
                return Err(FwError::Unsupported(format!(
                    "an element-wise add needs 1.0 as a data word: frac_bits {} > 14",
                    cfg.frac_bits
                )));
            }
            let one = 1i16 << cfg.frac_bits;
            let op = if e.inputs == 2 {
                EwOp::Lincomb {
                    a: one,
                    b: one,
                    c: 0,
                }
            } else {
                EwOp::AddConst { c: 0 }
            };
            let spec = EwSpec {
                op,
                len: layer.output_len() * batch as u64,
                act: e.act,
                round: Rounding::Truncate,
            };
            vec![whole(PieceProgram::Eltwise(compile_ew(cfg, &spec)?))]
        }
        LayerSpec::Conv(c) if c.groups > 1 => {
            let cin = c.ni / c.groups;
            let cout = c.no / c.groups;
            let per = groups_per_block(c, cfg.tn);
            let mut v = Vec::new();
            let mut g = 0;
            while g < c.groups {
                let n = per.min(c.groups - g);
                let sub = ConvSpec {
                    ni: n * cin,
                    no: n * cout,
                    groups: 1,
                    ..*c
                };
                let spec = LayerSpec::Conv(sub);
                v.push(Piece {
                    spec,
                    in_maps: g * cin..(g + n) * cin,
                    out_maps: g * cout..(g + n) * cout,
                    program: PieceProgram::Layer(Box::new(compile(cfg, &spec, batch)?)),
                });
                g += n;
            }
            v
        }
        _ => vec![whole(PieceProgram::Layer(Box::new(compile(
            cfg, layer, batch,
        )?)))],
    };
    Ok(CompiledNode {
        spec: *layer,
        batch,
        pieces,
        useful_macs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depthwise_runs_tn_maps_per_piece() {
        let cfg = AccelConfig::tiny();
        let l: LayerSpec = "conv:nx=6,ny=6,k=3,pad=1,ni=20,no=20,groups=20"
            .parse()
            .unwrap();
        let n = compile_node(&cfg, &l, 1).unwrap();
        let tn = cfg.tn;
        assert_eq!(n.pieces.len() as u32, 20u32.div_ceil(tn));
        assert_eq!(n.pieces[0].in_maps, 0..tn);
        assert_eq!(n.useful_macs, 6 * 6 * 20 * 9);
    }
}
