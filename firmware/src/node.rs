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

use crate::codegen::{compile_placed, CompileOptions, CompiledLayer};
use crate::elementwise::{compile_ew_at, CompiledEw, EwOp, EwSpec};
use crate::layer::{ConvSpec, LayerSpec};
use crate::layout::{align, Placement};
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
    /// One past the last DRAM byte of every piece's regions.
    pub fn dram_end(&self) -> u64 {
        self.pieces.iter().map(Piece::dram_bytes).max().unwrap_or(0)
    }

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

/// The DRAM traffic of a layer's programs beside the least a search of
/// every tiling finds ([`crate::codegen::least_traffic_plan`], per program
/// of a grouped convolution, summed). Bytes are the plans' data rows (the
/// tiler's count is exactly what its program moves; instruction fetches
/// are not included), cycles the plans' predictions.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct TrafficSearch {
    /// DRAM bytes the compiled programs move.
    pub plan_bytes: u64,
    /// Their predicted cycles.
    pub plan_predicted_cycles: u64,
    /// The fewest DRAM bytes of any plan the search finds.
    pub least_bytes: u64,
    /// Predicted cycles of those least-traffic plans.
    pub least_predicted_cycles: u64,
    /// The fewest DRAM bytes of any plan predicted to be no slower than
    /// the compiled one ([`crate::tiler::least_traffic_within`]; the
    /// compiled plan's own bytes where the search has no such plan).
    pub least_bytes_as_fast: u64,
    /// `plan_bytes / least_bytes` (at least 1).
    pub ratio: f64,
}

impl CompiledNode {
    /// The compiled programs' DRAM traffic against the least a search
    /// finds; `None` for an element-wise layer (its programs have no tiling
    /// choice of this kind).
    pub fn traffic_search(&self, cfg: &AccelConfig) -> Result<Option<TrafficSearch>, FwError> {
        let mut t = TrafficSearch {
            plan_bytes: 0,
            plan_predicted_cycles: 0,
            least_bytes: 0,
            least_predicted_cycles: 0,
            least_bytes_as_fast: 0,
            ratio: 1.0,
        };
        for piece in &self.pieces {
            let PieceProgram::Layer(c) = &piece.program else {
                return Ok(None);
            };
            let geoms = crate::codegen::geometries(cfg, &piece.spec, self.batch);
            let (least, within) =
                crate::tiler::least_traffic_within(cfg, &geoms, c.plan.cost.cycles);
            let (_, least) = least?;
            let as_fast = within.map_or(c.plan.cost.dram_bytes, |(_, p)| {
                p.cost.dram_bytes.min(c.plan.cost.dram_bytes)
            });
            t.least_bytes_as_fast += as_fast;
            t.plan_bytes += c.plan.cost.dram_bytes;
            t.plan_predicted_cycles += c.plan.cost.cycles;
            t.least_bytes += least.cost.dram_bytes;
            t.least_predicted_cycles += least.cost.cycles;
        }
        if self.pieces.is_empty() || t.least_bytes == 0 {
            return Ok(None);
        }
        t.ratio = t.plan_bytes as f64 / t.least_bytes as f64;
        Ok(Some(t))
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

    /// The program, taken out of the piece (for a caller that loads it and
    /// needs nothing else of the piece: a long program is then held once).
    pub fn into_instructions(self) -> Vec<Instruction> {
        match self.program {
            PieceProgram::Layer(c) => c.program,
            PieceProgram::Eltwise(c) => c.program,
        }
    }

    /// Cycles the tiler predicted (0 for element-wise programs).
    pub fn predicted_cycles(&self) -> u64 {
        match &self.program {
            PieceProgram::Layer(c) => c.plan.cost.cycles,
            PieceProgram::Eltwise(_) => 0,
        }
    }

    /// One past the last DRAM byte of the piece's regions (the bytes its
    /// image uses when placed at address 0).
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
        let mut v = self.pack_input(node, batch, input)?;
        v.extend(self.pack_params(node, weights, bias)?);
        Ok(v)
    }

    /// The input part of [`Piece::pack`] (padding border included).
    pub fn pack_input(
        &self,
        node: &LayerSpec,
        batch: u32,
        input: &[i16],
    ) -> Result<Vec<(u64, Vec<u8>)>, FwError> {
        check_len("input", input.len(), node.input_len() * batch as u64)?;
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
                Ok(v)
            }
            PieceProgram::Layer(c) => match (node, &self.spec) {
                (LayerSpec::Conv(full), LayerSpec::Conv(sub)) if full.groups > 1 => {
                    let (ni, ny, nx) = node.input_shape();
                    let hw = ny as usize * nx as usize;
                    let mut sin = Vec::with_capacity(sub.ni as usize * hw * batch as usize);
                    for b in 0..batch as usize {
                        let s = (b * ni as usize + self.in_maps.start as usize) * hw;
                        sin.extend_from_slice(&input[s..s + sub.ni as usize * hw]);
                    }
                    c.layout.pack_input(&sin)
                }
                _ => c.layout.pack_input(input),
            },
        }
    }

    /// The parameter part of [`Piece::pack`] (weights, biases, an
    /// element-wise program's constants).
    pub fn pack_params(
        &self,
        node: &LayerSpec,
        weights: &[i16],
        bias: &[i16],
    ) -> Result<Vec<(u64, Vec<u8>)>, FwError> {
        check_len("weights", weights.len(), node.weight_len())?;
        check_len("bias", bias.len(), node.bias_len())?;
        match &self.program {
            PieceProgram::Eltwise(c) => Ok(c.layout.pack_consts()),
            PieceProgram::Layer(c) => match (node, &self.spec) {
                (LayerSpec::Conv(full), LayerSpec::Conv(sub)) if full.groups > 1 => {
                    let (w, bs) = block_weights(full, sub, self, weights, bias);
                    c.layout.pack_params(&w, &bs)
                }
                _ => c.layout.pack_params(weights, bias),
            },
        }
    }

    /// The view through which a producer stores maps `chunk0*Tn..` of
    /// this piece's input in place; `None` if this input cannot be written
    /// in place (element-wise programs, lane-packed inputs).
    pub fn input_view(&self, chunk0: u32) -> Option<crate::layout::OutView> {
        match &self.program {
            PieceProgram::Layer(c) => c.layout.input_view(chunk0),
            PieceProgram::Eltwise(_) => None,
        }
    }

    /// The padding border of this piece's input, to write when its
    /// producers fill the inside in place (see [`Layout::pack_border`](crate::Layout::pack_border)).
    pub fn pack_border(&self) -> Vec<(u64, Vec<u8>)> {
        match &self.program {
            PieceProgram::Layer(c) => c.layout.pack_border(),
            PieceProgram::Eltwise(_) => Vec::new(),
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

/// Input and output maps of each piece `layer` compiles into (see the
/// module documentation), in execution order.
pub fn piece_maps(cfg: &AccelConfig, layer: &LayerSpec) -> Vec<(Range<u32>, Range<u32>)> {
    let (ni, _, _) = layer.input_shape();
    let (no, _, _) = layer.output_shape();
    match layer {
        LayerSpec::Conv(c) if c.groups > 1 => {
            let cin = c.ni / c.groups;
            let cout = c.no / c.groups;
            let per = groups_per_block(c, cfg.tn);
            let mut v = Vec::new();
            let mut g = 0;
            while g < c.groups {
                let n = per.min(c.groups - g);
                v.push((g * cin..(g + n) * cin, g * cout..(g + n) * cout));
                g += n;
            }
            v
        }
        _ => vec![(0..ni, 0..no)],
    }
}

/// The layer a piece computing maps `in_maps` to `out_maps` of `layer`
/// compiles: a dense convolution of those maps for a grouped one, else the
/// layer itself.
pub fn piece_spec(layer: &LayerSpec, in_maps: &Range<u32>, out_maps: &Range<u32>) -> LayerSpec {
    match layer {
        LayerSpec::Conv(c) if c.groups > 1 => LayerSpec::Conv(ConvSpec {
            ni: in_maps.len() as u32,
            no: out_maps.len() as u32,
            groups: 1,
            ..*c
        }),
        _ => *layer,
    }
}

/// The element-wise program an element-wise `layer` compiles to at `batch`.
fn ew_spec(cfg: &AccelConfig, layer: &LayerSpec, batch: u32) -> Result<EwSpec, FwError> {
    let LayerSpec::Eltwise(e) = layer else {
        return Err(FwError::Unsupported(format!("not element-wise: {layer}")));
    };
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
    Ok(EwSpec {
        op,
        len: layer.output_len() * batch as u64,
        act: e.act,
        round: Rounding::Truncate,
    })
}

/// Instructions of [`compile_node`]'s programs for `layer` at `batch`,
/// from the tilings alone (each piece's `cost.ops` plus its `end`; an
/// element-wise program's tiles plus its `end`), without emitting them: the
/// memory budget counts the programs with it. 0 for a layer that does not
/// compile (compiling it says why).
pub fn program_len(cfg: &AccelConfig, layer: &LayerSpec, batch: u32) -> u64 {
    if batch == 0 || layer.validate().is_err() {
        return 0;
    }
    if let LayerSpec::Eltwise(_) = layer {
        return ew_spec(cfg, layer, batch).map_or(0, |s| crate::elementwise::program_len(cfg, &s));
    }
    piece_maps(cfg, layer)
        .iter()
        .map(|(i, o)| {
            crate::codegen::default_plan(cfg, &piece_spec(layer, i, o), batch)
                .map_or(0, |(_, p)| p.cost.ops + 1)
        })
        .sum()
}

/// Compile `layer` for `batch` images into its pieces.
pub fn compile_node(
    cfg: &AccelConfig,
    layer: &LayerSpec,
    batch: u32,
) -> Result<CompiledNode, FwError> {
    compile_node_placed(cfg, layer, batch, &Placement::default())
}

/// [`compile_node`] with the pieces' regions placed one after another from
/// `at.base`; with `at.output`, every piece stores its maps into their
/// place of that view (each piece's first map a multiple of Tn; not for
/// element-wise layers).
pub fn compile_node_placed(
    cfg: &AccelConfig,
    layer: &LayerSpec,
    batch: u32,
    at: &Placement,
) -> Result<CompiledNode, FwError> {
    layer.validate()?;
    if batch == 0 {
        return Err(FwError::ZeroBatch);
    }
    let useful_macs = layer.macs() * batch as u64;
    let opts = CompileOptions::default();
    let pieces = match layer {
        LayerSpec::Eltwise(_) => {
            if at.output.is_some() {
                return Err(FwError::Unsupported(
                    "an element-wise program stores into its own output region only".into(),
                ));
            }
            let spec = ew_spec(cfg, layer, batch)?;
            let (in_maps, out_maps) = piece_maps(cfg, layer).remove(0);
            vec![Piece {
                spec: *layer,
                in_maps,
                out_maps,
                program: PieceProgram::Eltwise(compile_ew_at(cfg, &spec, at.base)?),
            }]
        }
        _ => {
            let mut v = Vec::new();
            let mut base = at.base;
            for (in_maps, out_maps) in piece_maps(cfg, layer) {
                let spec = piece_spec(layer, &in_maps, &out_maps);
                let output = match at.output {
                    None => None,
                    Some(view) if out_maps.start % cfg.tn == 0 => {
                        Some(view.offset_chunks(out_maps.start / cfg.tn, cfg.tn))
                    }
                    Some(_) => {
                        return Err(FwError::Unsupported(format!(
                            "a piece writing maps {out_maps:?} does not start at a chunk of {} maps: it cannot store into a view",
                            cfg.tn
                        )))
                    }
                };
                let place = Placement { base, output };
                let c = compile_placed(cfg, &spec, batch, &opts, &place)?;
                base = align(c.layout.total_bytes());
                v.push(Piece {
                    spec,
                    in_maps,
                    out_maps,
                    program: PieceProgram::Layer(Box::new(c)),
                });
            }
            v
        }
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
    fn program_len_is_the_compiled_length() {
        for preset in ["tiny", "diannao"] {
            let cfg = AccelConfig::preset(preset).unwrap();
            for layer in [
                "conv:nx=12,ny=12,k=3,pad=1,ni=8,no=8,act=relu",
                "conv:nx=13,ny=13,k=3,s=2,ni=3,no=20",
                "conv:nx=10,ny=10,k=3,pad=1,ni=16,no=16,groups=16",
                "conv:nx=10,ny=10,k=1,ni=12,no=24,groups=3",
                "pool:nx=12,ny=12,k=2,ni=8,kind=max",
                "pool:nx=13,ny=13,k=3,s=2,ni=8,kind=avg",
                "class:ni=300,no=70",
                "add:c=20,h=7,w=9",
                "add:c=64,h=30,w=30,act=relu",
                "act:c=33,h=5,w=5,act=relu",
            ] {
                let spec: LayerSpec = layer.parse().unwrap();
                for batch in [1, 3] {
                    let c = compile_node(&cfg, &spec, batch).unwrap();
                    let len: usize = c.pieces.iter().map(|p| p.instructions().len()).sum();
                    assert_eq!(
                        program_len(&cfg, &spec, batch),
                        len as u64,
                        "{preset} {layer} batch {batch}"
                    );
                }
            }
        }
    }

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

#[cfg(test)]
mod view_tests {
    use super::*;
    use crate::layout::OutView;

    /// A producer compiled with a view stores every output row at the
    /// view's address for it, with the view's strides: its outputs read back
    /// through the view are those it would store in its own region.
    #[test]
    fn a_view_moves_the_stores_and_nothing_else() {
        let cfg = AccelConfig::tiny();
        let prod: LayerSpec = "conv:nx=6,ny=5,k=3,pad=1,ni=4,no=8".parse().unwrap();
        let cons: LayerSpec = "pool:nx=6,ny=5,ni=12,k=3,s=1,pad=1".parse().unwrap();
        let c = compile_node_placed(
            &cfg,
            &cons,
            2,
            &Placement {
                base: 4096,
                output: None,
            },
        )
        .unwrap();
        let view = c.pieces[0].input_view(1).unwrap();
        let own = compile_node(&cfg, &prod, 2).unwrap();
        let at = Placement {
            base: align(c.dram_end()),
            output: Some(view),
        };
        let moved = compile_node_placed(&cfg, &prod, 2, &at).unwrap();
        let (PieceProgram::Layer(a), PieceProgram::Layer(b)) =
            (&own.pieces[0].program, &moved.pieces[0].program)
        else {
            panic!("layer programs")
        };
        assert_eq!(b.layout.out, view);
        assert_eq!(b.layout.output.bytes, 0);
        assert_eq!(a.program.len(), b.program.len());
        let rb = crate::layout::row_bytes(cfg.tn);
        let mut stores = 0;
        for (x, y) in a.program.iter().zip(&b.program) {
            assert_eq!(x.nfu, y.nfu);
            if x.nbout.op == arch::isa::DmaOp::StoreNarrow {
                // own region -> the view: same pixel, chunk and image
                let rel = x.nbout.dram as u64 - a.layout.output.addr;
                let (px, chunk) = (rel / rb / 2, rel / rb % 2);
                let (img, p) = (px / 30, px % 30);
                let want = view.addr
                    + img * view.image_bytes
                    + ((p / 6 * view.pitch as u64 + p % 6) * view.chunks as u64 + chunk) * rb;
                assert_eq!(y.nbout.dram as u64, want);
                assert_eq!(y.nbout.s1, view.chunks * rb as u32);
                stores += 1;
            }
        }
        assert!(stores > 0);
        // the border of the consumer: every padded pixel outside the inside
        let border = c.pieces[0].pack_border();
        assert_eq!(border.len(), 2 * (7 * 8 - 5 * 6));
        assert!(border.iter().all(|(_, b)| b
            .chunks(2)
            .all(|w| i16::from_le_bytes([w[0], w[1]]) == i16::MIN)));
        let _: OutView = view;
    }
}
