//! Tile-size selection.
//!
//! Every layer is lowered to one loop nest ([`Geom`]) after DianNao's Figs. 5
//! and 7 (output-stationary):
//!
//! ```text
//! for image b                                  (classifier: the batch is the x axis)
//!   for output tile (oy0 += toy, ox0 += tox)
//!     for output-chunk group (o0 += to)         NBout tile: to x toy x tox rows
//!       for reduction tile (ky0 += tky, kx0 += tkx, c0 += tc)
//!         load NBin patch [y][x][c]  (skipped if the same patch is resident)
//!         load SB tile [o][ky][kx][c] (+ bias row on the first tile; skipped if resident)
//!         for o in group: one NFU op (npy=toy, npx=tox, nky=tky, ni=tkx*tc)
//!       storen each output chunk after its last reduction step (out=act)
//! ```
//!
//! Pooling uses the same nest with one chunk per group and per patch
//! (`to = tc = 1`, the patch holds only that chunk, so a window's `kx` steps
//! are contiguous rows). Each of NBin, SB and NBout is split into `parts`
//! parts used in turn (2 = double buffering), so later tiles load while the
//! current one computes.
//!
//! [`choose_among`] evaluates a candidate set of tile sizes ([`Space::Tiler`])
//! with a closed-form cost model ([`TilePlan::predict`]: DRAM rows moved per
//! buffer, NFU issue cycles, and their maximum when loads overlap compute)
//! and keeps, among the plans predicted within [`TIME_SLACK_PERCENT`] of
//! the fastest with its buffer depths and loop order, the one that moves
//! the fewest DRAM bytes. The model counts exactly the rows the generated
//! program moves (a test checks this). [`least_traffic`] searches every
//! balanced tiling ([`Space::All`]) for the fewest bytes whatever the time:
//! the reference the tiler's traffic is reported against.

use crate::layer::{LayerSpec, PoolKind};
use crate::FwError;
use arch::activation::Activation;
use arch::fixed::avg_scale;
use arch::isa::NfuOp;
use arch::AccelConfig;
use std::fmt;

/// A layer lowered to the common loop nest (all sizes in pixels or Tn-chunks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Geom {
    /// The layer this was lowered from.
    pub layer: LayerSpec,
    /// NFU operation (mac, max, avg).
    pub op: NfuOp,
    /// NFU-3 function on the output.
    pub act: Activation,
    /// Bias row on the first reduction tile.
    pub bias: bool,
    /// Average-pool scale, Q1.15 (0 unless avg).
    pub scale: u32,
    /// Data word used for the materialised padding border.
    pub pad_value: i16,
    /// Lanes per row (Tn).
    pub tn: u32,
    /// Images run one after another (classifier: 1, the batch is the x axis).
    pub images: u32,
    /// Logical batch.
    pub batch: u32,
    /// Zero border (pixels).
    pub pad: u32,
    /// Padded input height and width (pixels).
    pub hp: u32,
    /// Padded input width.
    pub wp: u32,
    /// Input channels (logical).
    pub ni: u32,
    /// Input chunks of Tn channels.
    pub c: u32,
    /// Output height, width (pixels).
    pub oy: u32,
    /// Output width.
    pub ox: u32,
    /// Output channels (logical).
    pub no: u32,
    /// Output chunks of Tn channels.
    pub oc: u32,
    /// Kernel height, width.
    pub ky: u32,
    /// Kernel width.
    pub kx: u32,
    /// Strides.
    pub sy: u32,
    /// Horizontal stride.
    pub sx: u32,
    /// Lane packing of a convolution's input, if used (then `hp`, `wp`, `c`,
    /// `ky`, `kx`, `sy`, `sx` describe the equivalent convolution over the
    /// packed input, see [`Pack`]).
    pub pack: Option<Pack>,
}

/// Lane packing for convolutions with few input maps: each packed NBin row
/// holds `Tn` consecutive values of the flattened tuples `(b, dx, i)` (`b` <
/// `band` kernel rows, `dx` < kx, `i` < ni; `i` fastest) of one window
/// position, so one row carries several kernel positions. The host prepares
/// the packed copy ([`crate::Layout::pack_input`]); the weights are packed to
/// match. Packed row `(Y, X, q)` holds padded input pixel
/// `(Y*ys + b, X*sx + dx)` for tuple `t = q*Tn + lane`, where `ys` = 1 if
/// `band` = 1 < ky (the equivalent layer keeps the kernel rows and the
/// vertical stride) and `ys` = sy if `band` = ky (full window, a 1x1
/// convolution).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pack {
    /// Kernel rows flattened into one packed row group (1 or ky).
    pub band: u32,
    /// Packed rows per window position (`ceil(band*kx*ni / Tn)`).
    pub q: u32,
    /// Original kernel width.
    pub kx: u32,
    /// Original kernel height.
    pub ky: u32,
    /// Original horizontal stride.
    pub sx: u32,
    /// Original vertical stride.
    pub sy: u32,
    /// Original padded input height (pixels).
    pub hp: u32,
    /// Original padded input width (pixels).
    pub wp: u32,
}

impl Pack {
    /// The tuple `(b, dx, i)` carried by lane `lane` of packed row `q`, if any.
    pub fn tuple(&self, ni: u32, tn: u32, q: u32, lane: u32) -> Option<(u32, u32, u32)> {
        let t = q * tn + lane;
        if t >= self.band * self.kx * ni {
            return None;
        }
        Some((t / (self.kx * ni), (t / ni) % self.kx, t % ni))
    }
}

impl Geom {
    /// Lower a validated layer for `cfg` and `batch` images.
    pub fn new(cfg: &AccelConfig, layer: &LayerSpec, batch: u32) -> Self {
        let tn = cfg.tn;
        let ch = |n: u32| n.div_ceil(tn);
        let (op, act, bias, scale, pad_value) = match layer {
            LayerSpec::Conv(l) => (NfuOp::Mac, l.act, l.bias, 0, 0),
            LayerSpec::Pool(p) => match p.kind {
                PoolKind::Max => (NfuOp::Max, Activation::Identity, false, 0, i16::MIN),
                PoolKind::Avg => (
                    NfuOp::Avg,
                    Activation::Identity,
                    false,
                    avg_scale(p.kx * p.ky) as u32,
                    0,
                ),
            },
            LayerSpec::Classifier(l) => (NfuOp::Mac, l.act, l.bias, 0, 0),
            // not lowered here (firmware::compile refuses it): a harmless placeholder
            LayerSpec::Eltwise(e) => (NfuOp::Mac, e.act, false, 0, 0),
        };
        let (ni, ny, nx) = layer.input_shape();
        let (no, oy, ox) = layer.output_shape();
        let base = Geom {
            layer: *layer,
            op,
            act,
            bias,
            scale,
            pad_value,
            tn,
            images: batch,
            batch,
            pad: 0,
            hp: 1,
            wp: 1,
            ni,
            c: ch(ni),
            oy,
            ox,
            no,
            oc: ch(no),
            ky: 1,
            kx: 1,
            sy: 1,
            sx: 1,
            pack: None,
        };
        match layer.window() {
            Some(w) => Geom {
                pad: w.pad,
                hp: ny + 2 * w.pad,
                wp: nx + 2 * w.pad,
                ky: w.ky,
                kx: w.kx,
                sy: w.sy,
                sx: w.sx,
                ..base
            },
            // classifier: one run, the batch is the x axis
            None => Geom {
                images: 1,
                wp: batch,
                ox: batch,
                ..base
            },
        }
    }

    /// The equivalent geometry of a convolution whose input is lane-packed
    /// with `band` kernel rows per packed row (1 or ky); `None` if the layer
    /// is not a convolution, `band` is neither, or packing would not reduce
    /// the reduction rows per output.
    pub fn packed(&self, band: u32) -> Option<Geom> {
        let LayerSpec::Conv(_) = self.layer else {
            return None;
        };
        if self.pack.is_some() || (band != 1 && band != self.ky) || self.kx * self.ky == 1 {
            return None;
        }
        let q = (band * self.kx * self.ni).div_ceil(self.tn);
        // reduction rows per output: packed ky/band * q, unpacked ky * kx * c
        if (self.ky / band) * q >= self.ky * self.kx * self.c {
            return None;
        }
        let pack = Pack {
            band,
            q,
            kx: self.kx,
            ky: self.ky,
            sx: self.sx,
            sy: self.sy,
            hp: self.hp,
            wp: self.wp,
        };
        let full = band == self.ky;
        Some(Geom {
            hp: if full { self.oy } else { self.hp },
            wp: self.ox,
            c: q,
            ky: if full { 1 } else { self.ky },
            kx: 1,
            sy: if full { 1 } else { self.sy },
            sx: 1,
            pack: Some(pack),
            ..self.clone()
        })
    }

    /// Pooling: each output chunk reads only its own input chunk.
    pub fn depthwise(&self) -> bool {
        self.op != NfuOp::Mac
    }

    /// NBin rows of one padded input image.
    pub fn input_rows_per_image(&self) -> u64 {
        self.hp as u64 * self.wp as u64 * self.c as u64
    }

    /// SB rows (Tn x Tn synapse blocks) of the weights and bias rows, as
    /// [`crate::Layout`] places them whatever the tiling: every output chunk
    /// has `c * ky * kx` weight rows and one bias row if the layer has a
    /// bias. 0 for pooling, which reads no SB.
    pub fn weight_rows(&self) -> u64 {
        if self.depthwise() {
            return 0;
        }
        self.oc as u64 * (self.c as u64 * self.ky as u64 * self.kx as u64 + self.bias as u64)
    }

    /// NBout rows (output pixels x chunks) of one image.
    pub fn output_rows_per_image(&self) -> u64 {
        self.oy as u64 * self.ox as u64 * self.oc as u64
    }

    /// Input patch height for `toy` output rows and `tky` kernel rows.
    pub fn hin(&self, toy: u32, tky: u32) -> u32 {
        (toy - 1) * self.sy + tky
    }

    /// Input patch width for `tox` output columns and `tkx` kernel columns.
    pub fn win(&self, tox: u32, tkx: u32) -> u32 {
        (tox - 1) * self.sx + tkx
    }
}

/// The tile sizes of a plan (also what a caller may force:
/// [`crate::codegen::CompileOptions::plan`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TileSizes {
    /// Output rows per tile.
    pub toy: u32,
    /// Output columns per tile (classifier: images).
    pub tox: u32,
    /// Output chunks (of Tn maps) per NBout tile.
    pub to: u32,
    /// Kernel rows per reduction tile.
    pub tky: u32,
    /// Kernel columns per reduction tile.
    pub tkx: u32,
    /// Input chunks per reduction tile.
    pub tc: u32,
    /// NBin and SB each split into this many parts used in turn
    /// (1: single-buffered, 2: double-buffered, 3-4: deeper prefetch).
    pub parts: u32,
}

/// Tile sizes, loop order and the predicted cost of a compiled layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TilePlan {
    /// Tile sizes and NBin/SB ring depth.
    pub sizes: TileSizes,
    /// NBout split into this many parts used in turn (1: an output tile
    /// may use the whole NBout, and the next tile waits for its stores).
    pub out_parts: u32,
    /// Weight-stationary order: output-chunk group outermost, the group's
    /// whole SB block (every reduction tile) loaded once into the whole SB
    /// and reused by every output tile.
    pub sb_resident: bool,
    /// Predicted cost.
    pub cost: Cost,
    /// Lane packing of the input, if used (set by [`TilePlan::predict`] from the geometry).
    pub pack: Option<Pack>,
}

/// Predicted traffic and time of a plan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cost {
    /// NBin rows loaded.
    pub nbin_rows: u64,
    /// SB rows loaded.
    pub sb_rows: u64,
    /// NBout rows stored (16-bit words per lane).
    pub nbout_rows: u64,
    /// DRAM bytes moved (all DMAs).
    pub dram_bytes: u64,
    /// Memory-port cycles (rows x beats).
    pub port_cycles: u64,
    /// NFU cycles (issues, bias reads, and the waits of the overlap rule).
    pub nfu_cycles: u64,
    /// NFU ops (= instructions, without the final `end`).
    pub ops: u64,
    /// Estimated run time, cycles (a per-step pipeline model of port, NFU, latency and prefetch depth).
    pub cycles: u64,
    /// What `cycles` may leave out, cycles: the first step's loads and
    /// compute beyond one steady step (the pipeline fill), which matters
    /// when a plan has few steps. [`choose_among`] trades time for bytes
    /// only where `cycles + fill_cycles` stays within its margin.
    pub fill_cycles: u64,
}

/// `n` split into tiles of `t`: (size, count) classes, at most two (the
/// full tiles, then the shorter last one).
pub fn splits(n: u32, t: u32) -> Splits {
    let mut s = Splits {
        v: [(0, 0); 2],
        n: 0,
    };
    if n / t > 0 {
        s.v[0] = (t, (n / t) as u64);
        s.n = 1;
    }
    if n % t != 0 {
        s.v[s.n] = (n % t, 1);
        s.n += 1;
    }
    s
}

/// The classes [`splits`] returns (no allocation: the tiler predicts
/// every plan it considers).
#[derive(Clone, Copy, Debug)]
pub struct Splits {
    v: [(u32, u64); 2],
    n: usize,
}

impl std::ops::Deref for Splits {
    type Target = [(u32, u64)];
    fn deref(&self) -> &[(u32, u64)] {
        &self.v[..self.n]
    }
}

impl IntoIterator for Splits {
    type Item = (u32, u64);
    type IntoIter = std::iter::Take<std::array::IntoIter<(u32, u64), 2>>;
    fn into_iter(self) -> Self::IntoIter {
        self.v.into_iter().take(self.n)
    }
}

impl<'a> IntoIterator for &'a Splits {
    type Item = &'a (u32, u64);
    type IntoIter = std::slice::Iter<'a, (u32, u64)>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Largest ring depth considered.
pub const MAX_PARTS: u32 = 4;

/// Buffer capacities (NBin, SB, NBout rows) usable by one tile when each
/// buffer is split into `parts` parts.
pub fn capacities(cfg: &AccelConfig, parts: u32) -> (u32, u32, u32) {
    let d = parts.max(1);
    (cfg.nbin_rows() / d, cfg.sb_rows() / d, cfg.nbout_rows() / d)
}

/// A class of reduction tiles: `(tky, tkx, tc, count, contains-first-tile)`.
type ReductionClass = (u32, u32, u32, u64, bool);

impl TilePlan {
    /// Whether the largest tile fits the buffers.
    pub fn fits(&self, cfg: &AccelConfig, g: &Geom) -> bool {
        let t = &self.sizes;
        let (nb, sb, _) = capacities(cfg, t.parts);
        let (_, _, no) = capacities(cfg, self.out_parts);
        let patch = g.hin(t.toy, t.tky) as u64 * g.win(t.tox, t.tkx) as u64 * t.tc as u64;
        let sbr = if g.depthwise() {
            0
        } else if self.sb_resident {
            return patch <= nb as u64
                && t.to as u64 * (g.ky as u64 * g.kx as u64 * g.c as u64 + g.bias as u64)
                    <= cfg.sb_rows() as u64
                && t.to as u64 * t.toy as u64 * t.tox as u64 <= no as u64;
        } else {
            t.to as u64 * (t.tky as u64 * t.tkx as u64 * t.tc as u64 + g.bias as u64)
        };
        let out = t.to as u64 * t.toy as u64 * t.tox as u64;
        patch <= nb as u64 && sbr <= sb as u64 && out <= no as u64
    }

    /// Reduction tiles (ky, kx, c classes with counts): `(tky, tkx, tc,
    /// count, contains-first-tile)`, at most eight.
    fn reduction_classes(&self, g: &Geom) -> ([ReductionClass; 8], usize) {
        let t = self.sizes;
        let mut v = [(0, 0, 0, 0, false); 8];
        let mut n = 0;
        let cs = if g.depthwise() {
            splits(1, 1)
        } else {
            splits(g.c, t.tc)
        };
        for (a, na) in splits(g.ky, t.tky) {
            for (b, nb) in splits(g.kx, t.tkx) {
                for &(c, nc) in &cs {
                    v[n] = (a, b, c, na * nb * nc, false);
                    n += 1;
                }
            }
        }
        // the first tile is a full one in every dimension: mark it in the first class
        v[0].4 = true;
        (v, n)
    }

    /// Closed-form cost of this plan (rows moved are exactly those of the generated program).
    pub fn predict(&mut self, cfg: &AccelConfig, g: &Geom) {
        let t = self.sizes;
        let ys = splits(g.oy, t.toy);
        let xs = splits(g.ox, t.tox);
        let gs = if g.depthwise() {
            splits(g.oc, 1)
        } else {
            splits(g.oc, t.to)
        };
        let (rs, nrs) = self.reduction_classes(g);
        let rs = &rs[..nrs];
        let n_r: u64 = rs.iter().map(|r| r.3).sum();
        let n_og: u64 = gs.iter().map(|x| x.1).sum();
        let tiles: u64 = ys.iter().map(|y| y.1).sum::<u64>() * xs.iter().map(|x| x.1).sum::<u64>();
        let imgs = g.images as u64;
        let d = cfg.nfu_latency() as u64;
        let mut c = Cost::default();
        let og_mult = if self.sb_resident {
            if n_r == 1 && imgs * tiles == 1 {
                1
            } else {
                n_og
            }
        } else if !g.depthwise() && n_r == 1 {
            1
        } else {
            n_og
        };
        let mut sb_per_tile = 0u64;
        for &(gsz, gn) in &gs {
            for &(tky, tkx, tc, rn, first) in rs {
                let steps = tky as u64 * tkx as u64 * tc as u64;
                let bias_rows = |n: u64| if first && g.bias { n } else { 0 };
                // the first class holds exactly one first tile
                if !g.depthwise() {
                    sb_per_tile += gn * (rn * gsz as u64 * steps + bias_rows(gsz as u64));
                }
                for &(ty, yn) in &ys {
                    for &(tx, xn) in &xs {
                        let n = imgs * yn * xn * gn;
                        let outputs = ty as u64 * tx as u64;
                        let issues = outputs * steps;
                        let ops = n * rn * gsz as u64;
                        c.ops += ops;
                        // ops run back to back (overlap rule,
                        // docs/microarchitecture.md); with one chunk per
                        // group an accumulating op follows an op on the
                        // same rows and waits for those of its first D
                        // rows still pending
                        let accumulating = ops - if first { n * gsz as u64 } else { 0 };
                        let wait = if gsz == 1 {
                            overlap_wait(outputs, steps, d)
                        } else {
                            0
                        };
                        c.nfu_cycles += ops * issues
                            + accumulating * wait
                            + if first && g.bias { n * gsz as u64 } else { 0 };
                    }
                }
            }
        }
        for &(ty, yn) in &ys {
            for &(tx, xn) in &xs {
                for &(tky, tkx, tc, rn, _) in rs {
                    let patch = g.hin(ty, tky) as u64 * g.win(tx, tkx) as u64 * tc as u64;
                    c.nbin_rows += imgs * yn * xn * rn * og_mult * patch;
                }
                c.nbout_rows += imgs * yn * xn * ty as u64 * tx as u64 * g.oc as u64;
            }
        }
        c.sb_rows = if n_og * n_r == 1 || self.sb_resident {
            sb_per_tile
        } else {
            sb_per_tile * imgs * tiles
        };
        let nb = cfg.nbin_row_bytes() as u64;
        let sb = cfg.sb_row_bytes() as u64;
        let ob = (cfg.tn * cfg.data_bytes()) as u64;
        c.dram_bytes = c.nbin_rows * nb + c.sb_rows * sb + c.nbout_rows * ob;
        c.port_cycles = c.nbin_rows * cfg.beats(nb as u32) as u64
            + c.sb_rows * cfg.beats(sb as u32) as u64
            + c.nbout_rows * cfg.beats(ob as u32) as u64
            // the program itself comes through the port: one instruction
            // per op, and the `end`
            + (c.ops + 1) * cfg.beats(arch::isa::fields::INSTR_BYTES as u32) as u64;
        // Per-step pipeline estimate: a step's loads can run `ahead` steps
        // before its compute, limited by the ring depth and by how far the
        // control processor can dispatch ahead of the NFU (queue depth).
        let lat = cfg.dram.latency_cycles as f64;
        let steps = (imgs * tiles * n_og * n_r).max(1) as f64;
        let (m, cc) = (c.port_cycles as f64 / steps, c.nfu_cycles as f64 / steps);
        let ops_per_step = c.ops as f64 / steps;
        let q = cfg.queue_depth as f64;
        let ahead = ((t.parts as f64 - 1.0).min((q - 1.0) / ops_per_step)).max(0.0);
        // A buffer part's round trip: its op issues (cc), completes D
        // cycles later (a load into the part waits for that completion),
        // then the part's next rows come through the port (lat + m).
        let round_trip = cc + d as f64 + m + lat;
        let per_step = if t.parts <= 1 {
            round_trip
        } else {
            cc.max(m).max(round_trip / (1.0 + ahead))
        };
        let out_tiles = imgs * tiles * n_og;
        let out_rows = (t.to as u64 * t.toy as u64 * t.tox as u64) as f64;
        let mut body = steps * per_step;
        let store_wait = if self.out_parts <= 1 {
            // a single NBout part: each output tile's first op waits for
            // the previous tile's stores
            out_tiles.saturating_sub(1) as f64 * (lat + out_rows)
        } else {
            // An NBout part is reused `out_parts` tiles later: a chunk's
            // first op there waits until the chunk's last op of the tile
            // it held has completed (D) and its rows are stored (lat +
            // rows). Between the two lie the tile's NFU time less the
            // chunk's offset of one op per earlier chunk, so per tile:
            // (nfu - (to - 1) * op + D + lat + rows / to) / out_parts.
            let n = out_tiles.max(1) as f64;
            let to = t.to.max(1) as f64;
            let nfu = c.nfu_cycles as f64 / n;
            let op = nfu / (to * n_r.max(1) as f64);
            let reuse = nfu - (to - 1.0) * op + d as f64 + lat + out_rows / to;
            body = body.max(n * reuse / self.out_parts as f64);
            0.0
        };
        c.cycles = (lat + body + store_wait) as u64;
        c.fill_cycles = (m + cc - per_step).max(0.0) as u64;
        self.cost = c;
        self.pack = g.pack;
    }
}

/// Cycles an `in=nbout` op with `outputs` outputs of `steps` steps waits,
/// after the previous op's last issue, when that op wrote the same rows
/// with the same shape (overlap rule (b), docs/microarchitecture.md): it
/// starts once the last of the rows `0 .. min(outputs, d)` is written.
/// Output j of the previous op is written `d - (outputs - 1 - j) * steps`
/// cycles after its last issue.
pub fn overlap_wait(outputs: u64, steps: u64, d: u64) -> u64 {
    let j = outputs.min(d) - 1;
    d.saturating_sub((outputs - 1 - j) * steps)
}

/// The tile sizes that split `n` into k equal tiles (the last one possibly
/// shorter) for every k = 1..=n: `ceil(n / k)`, ascending. Any other size
/// splits `n` into as many tiles as one of these with a larger tile, so it
/// needs no less buffer and moves no fewer rows.
pub fn balanced_sizes(n: u32) -> Vec<u32> {
    let mut v: Vec<u32> = (1..=n).map(|k| n.div_ceil(k)).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Which tilings [`plans`] enumerates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Space {
    /// The tiler's candidates ([`choose_among`]): tile sizes of `n/k` for
    /// k <= 6 and powers of two up to 64 ([`candidates`]); for the output
    /// columns also every balanced width ([`balanced_sizes`]) and as many
    /// as NBout holds; the tallest output tile that fits; NBout split as
    /// deep as NBin/SB, in one part or in two. Its cycle model
    /// ([`TilePlan::predict`]) is measured against the simulator on these
    /// plans (docs/results.md); on plans outside them (say, seven input
    /// chunks beside four output chunks of a classifier at `diannao`) it
    /// can be far off, so the tiler does not rank them.
    Tiler,
    /// Every balanced tile size ([`balanced_sizes`]) of the input and
    /// output chunks, the kernel rows (or, with one kernel row per tile,
    /// the kernel columns), the output columns, and the output rows up to
    /// the tallest tile that fits; every NBin/SB and NBout depth up to
    /// [`MAX_PARTS`]; both loop orders ([`least_traffic`]'s search).
    All,
}

/// Candidate tile sizes of [`Space::Tiler`] for a dimension of `n`: `n/k`
/// rounded up for k <= 6, powers of two up to 64 and 1, ascending.
pub fn candidates(n: u32) -> Vec<u32> {
    let mut v: Vec<u32> = (1..=6).map(|k| n.div_ceil(k)).collect();
    let mut p = 1;
    while p < n && p <= 64 {
        v.push(p);
        p *= 2;
    }
    v.sort_unstable();
    v.dedup();
    v
}

/// Every plan of `space` that fits the buffers, with its predicted cost,
/// handed to `visit` (output- and weight-stationary loop orders alike).
pub fn plans(cfg: &AccelConfig, g: &Geom, space: Space, mut visit: impl FnMut(TilePlan)) {
    let dw = g.depthwise();
    let dims = match space {
        Space::Tiler => candidates,
        Space::All => balanced_sizes,
    };
    let tcs = if dw { vec![1] } else { dims(g.c) };
    let tos = if dw { vec![1] } else { dims(g.oc) };
    let oys = dims(g.oy);
    // output columns: every balanced width in both spaces
    let oxs = {
        let mut v = dims(g.ox);
        v.extend(balanced_sizes(g.ox));
        v.sort_unstable();
        v.dedup();
        v
    };
    // reduction shapes: split ky first; split kx only with one kernel row per tile
    let mut red = Vec::new();
    for &tc in &tcs {
        for tky in dims(g.ky) {
            red.push((tky, g.kx, tc));
        }
        for tkx in dims(g.kx) {
            if tkx < g.kx {
                red.push((1, tkx, tc));
            }
        }
    }
    let k_all = g.ky as u64 * g.kx as u64 * g.c as u64 + g.bias as u64;
    let depths: Vec<(u32, u32, bool)> = (1..=MAX_PARTS)
        .flat_map(|d| {
            // NBout as deep as NBin/SB first (the tiler keeps the first of equal plans)
            std::iter::once(d)
                .chain((1..=MAX_PARTS).filter(move |&o| o != d))
                .flat_map(move |o| {
                    let tiler = o == d || o <= 2;
                    [(d, o, false), (d, o, true)]
                        .into_iter()
                        .filter(move |&(_, o, res)| {
                            space == Space::All || (tiler && (!res || o <= 2))
                        })
                })
        })
        .collect();
    for (db, dout, res) in depths {
        if res && (dw || k_all > cfg.sb_rows() as u64) {
            continue;
        }
        let (nbc, sbc, _) = capacities(cfg, db);
        let (_, _, noc) = capacities(cfg, dout);
        if nbc == 0 || noc == 0 || (!dw && sbc == 0) {
            continue;
        }
        for &(tky, tkx, tc) in &red {
            if (tky as u64 * tkx as u64 * tc as u64) > nbc as u64 {
                continue;
            }
            for &to in &tos {
                let sb_need = if res {
                    to as u64 * k_all
                } else {
                    to as u64 * (tky as u64 * tkx as u64 * tc as u64 + g.bias as u64)
                };
                if !dw && sb_need > if res { cfg.sb_rows() } else { sbc } as u64 {
                    continue;
                }
                if to > noc {
                    continue;
                }
                // Space::Tiler also tries as many output columns as NBout holds
                let nbout_wide = (space == Space::Tiler).then(|| g.ox.min(noc / to));
                for tox in oxs.iter().copied().chain(nbout_wide) {
                    if tox > g.ox
                        || to * tox > noc
                        || g.win(tox, tkx) as u64 * tky as u64 * tc as u64 > nbc as u64
                    {
                        continue;
                    }
                    // the tallest tile that fits, then balanced
                    let mut tall = (noc / (to * tox)).min(g.oy);
                    while tall > 1
                        && g.hin(tall, tky) as u64 * g.win(tox, tkx) as u64 * tc as u64 > nbc as u64
                    {
                        tall -= 1;
                    }
                    let tallest = g.oy.div_ceil(g.oy.div_ceil(tall));
                    let toys = match space {
                        Space::Tiler => &[tallest][..],
                        Space::All => &oys[..oys.partition_point(|&t| t <= tallest)],
                    };
                    for &toy in toys {
                        let mut p = TilePlan {
                            sizes: TileSizes {
                                toy,
                                tox,
                                to,
                                tky,
                                tkx,
                                tc,
                                parts: db,
                            },
                            out_parts: dout,
                            sb_resident: res,
                            cost: Cost::default(),
                            pack: None,
                        };
                        if !p.fits(cfg, g) {
                            continue;
                        }
                        p.predict(cfg, g);
                        visit(p);
                    }
                }
            }
        }
    }
}

/// How much longer than the fastest plan's predicted time (a fraction of
/// it) a plan may take and still be chosen for moving fewer DRAM bytes.
/// The prediction ranks plans; it is not exact (docs/results.md measures
/// it), so plans within this margin are equally fast for the tiler.
pub const TIME_SLACK_PERCENT: u64 = 1;

/// The tiler's choice among the [`Space::Tiler`] plans of every geometry
/// in `geoms` (the index of the geometry and its plan): the fastest
/// predicted plan (then fewer bytes, then fewer ops, then the first
/// enumerated), or the plan of its geometry, NBin/SB and NBout depths and
/// loop order that moves the fewest DRAM bytes (then cycles, ops) while
/// predicted to take at most [`TIME_SLACK_PERCENT`] more cycles, with
/// and without its pipeline fill ([`Cost::fill_cycles`]). (Plans of
/// other depths or geometries within the margin are not taken for their
/// bytes: there the model's errors exceed the margin, measured in
/// docs/results.md.)
pub fn choose_among(cfg: &AccelConfig, geoms: &[Geom]) -> Result<(usize, TilePlan), FwError> {
    let mut fastest = u64::MAX;
    let mut near: Vec<(usize, TilePlan)> = Vec::new();
    let limit = |c: u64| c.saturating_add(c * TIME_SLACK_PERCENT / 100);
    for (i, g) in geoms.iter().enumerate() {
        plans(cfg, g, Space::Tiler, |p| {
            if p.cost.cycles < fastest {
                fastest = p.cost.cycles;
                let l = limit(fastest);
                near.retain(|(_, q)| q.cost.cycles <= l);
            }
            if p.cost.cycles <= limit(fastest) {
                near.push((i, p));
            }
        });
    }
    // the first of the fastest plans (min_by_key keeps the first minimum)
    let Some((fi, f)) = near
        .iter()
        .min_by_key(|(_, p)| (p.cost.cycles, p.cost.dram_bytes, p.cost.ops))
        .cloned()
    else {
        return Err(no_tiling(&geoms[0]));
    };
    // with the fill counted, the trade must stay within the margin too
    let filled = |p: &TilePlan| p.cost.cycles.saturating_add(p.cost.fill_cycles);
    let filled_limit = limit(filled(&f));
    let same_kind = |(i, p): &(usize, TilePlan)| {
        *i == fi
            && filled(p) <= filled_limit
            && p.sizes.parts == f.sizes.parts
            && p.out_parts == f.out_parts
            && p.sb_resident == f.sb_resident
    };
    Ok(near
        .into_iter()
        .filter(same_kind)
        .min_by_key(|(_, p)| (p.cost.dram_bytes, p.cost.cycles, p.cost.ops))
        .unwrap_or((fi, f)))
}

/// The plan of every geometry in `geoms` that moves the fewest DRAM bytes
/// (then the fewest predicted cycles, then ops), whatever its time: the
/// least traffic a search of [`plans`] finds, which the tiler's choice is
/// measured against.
pub fn least_traffic(cfg: &AccelConfig, geoms: &[Geom]) -> Result<(usize, TilePlan), FwError> {
    least_traffic_within(cfg, geoms, u64::MAX).0
}

/// In one search: [`least_traffic`], and the same among the plans
/// predicted to take at most `max_cycles` (`None` if there is none).
#[allow(clippy::type_complexity)]
pub fn least_traffic_within(
    cfg: &AccelConfig,
    geoms: &[Geom],
    max_cycles: u64,
) -> (
    Result<(usize, TilePlan), FwError>,
    Option<(usize, TilePlan)>,
) {
    let mut best: Option<(usize, TilePlan)> = None;
    let mut within: Option<(usize, TilePlan)> = None;
    let key = |p: &TilePlan| (p.cost.dram_bytes, p.cost.cycles, p.cost.ops);
    let better = |b: &Option<(usize, TilePlan)>, p: &TilePlan| {
        b.as_ref().map_or(true, |(_, b)| key(p) < key(b))
    };
    for (i, g) in geoms.iter().enumerate() {
        plans(cfg, g, Space::All, |p| {
            if p.cost.cycles <= max_cycles && better(&within, &p) {
                within = Some((i, p.clone()));
            }
            if better(&best, &p) {
                best = Some((i, p));
            }
        });
    }
    (best.ok_or_else(|| no_tiling(&geoms[0])), within)
}

fn no_tiling(g: &Geom) -> FwError {
    FwError::NoTiling(format!(
        "{}: no tile of one output fits the buffers",
        g.layer
    ))
}

impl fmt::Display for TilePlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (c, t) = (&self.cost, &self.sizes);
        writeln!(
            f,
            "tiles: output {}x{} px x {} chunk(s); reduction {} ky x {} kx x {} chunk(s); NBin/SB split in {} part(s), NBout in {}",
            t.toy,
            t.tox,
            t.to,
            t.tky,
            t.tkx,
            t.tc,
            t.parts,
            self.out_parts
        )?;
        if let Some(p) = &self.pack {
            writeln!(f, "input lane-packed: {} kernel row(s) x {} kernel column(s) x input maps flattened into {} row(s) per window position", p.band, p.kx, p.q)?;
        }
        writeln!(f, "loop order: image > output tile (y, x) > output-chunk group > reduction (ky, kx, c) > chunk [output-stationary]")?;
        writeln!(
            f,
            "predicted DRAM traffic: {} bytes (NBin {} rows, SB {} rows, NBout {} rows)",
            c.dram_bytes, c.nbin_rows, c.sb_rows, c.nbout_rows
        )?;
        write!(
            f,
            "predicted: {} NFU ops, {} NFU cycles, {} port cycles, ~{} cycles",
            c.ops, c.nfu_cycles, c.port_cycles, c.cycles
        )
    }
}

#[cfg(test)]
mod overlap_tests {
    use super::overlap_wait;

    #[test]
    fn overlap_wait_matches_the_contract_tests() {
        // sim/tests/contract/nfu_overlap.rs (tiny preset, D = 4): one
        // output of 3 steps waits the whole latency (starts in 9 after a
        // last issue in 4); six outputs of one step wait 2 (10 after 7)
        assert_eq!(overlap_wait(1, 3, 4), 4);
        assert_eq!(overlap_wait(6, 1, 4), 2);
        // enough outputs behind the first D rows: no wait
        assert_eq!(overlap_wait(13, 3, 9), 0);
        assert_eq!(overlap_wait(9, 1, 9), 9);
        assert_eq!(overlap_wait(10, 1, 9), 8);
    }
}

#[cfg(test)]
mod search_tests {
    use super::*;

    fn geoms(cfg: &AccelConfig, spec: &str) -> Vec<Geom> {
        crate::codegen::geometries(cfg, &spec.parse().unwrap(), 1)
    }

    #[test]
    fn balanced_sizes_are_every_tile_count_once() {
        assert_eq!(balanced_sizes(1), vec![1]);
        assert_eq!(balanced_sizes(7), vec![1, 2, 3, 4, 7]);
        assert_eq!(balanced_sizes(13), vec![1, 2, 3, 4, 5, 7, 13]);
        for n in 1..200 {
            let v = balanced_sizes(n);
            // every tile count 1..=n is reached by exactly one size
            let mut counts: Vec<u32> = v.iter().map(|&t| n.div_ceil(t)).collect();
            counts.dedup();
            assert_eq!(counts.len(), v.len(), "n = {n}");
            for k in 1..=n {
                assert!(v.contains(&n.div_ceil(k)), "n = {n}, k = {k}");
            }
        }
    }

    #[test]
    fn splits_are_full_tiles_then_the_rest() {
        assert_eq!(&*splits(13, 4), &[(4, 3), (1, 1)]);
        assert_eq!(&*splits(12, 4), &[(4, 3)]);
        assert_eq!(&*splits(3, 4), &[(3, 1)]);
        assert_eq!(
            splits(13, 4)
                .into_iter()
                .map(|(t, n)| t as u64 * n)
                .sum::<u64>(),
            13
        );
    }

    #[test]
    fn the_tilers_candidates_are_a_subset_of_the_search() {
        let cfg = AccelConfig::diannao();
        let g = &geoms(&cfg, "conv:nx=13,ny=13,k=3,ni=64,no=96,pad=1,act=relu")[0];
        let mut all = Vec::new();
        plans(&cfg, g, Space::All, |p| {
            all.push((p.sizes, p.out_parts, p.sb_resident))
        });
        let mut n = 0;
        plans(&cfg, g, Space::Tiler, |p| {
            n += 1;
            let balanced = g.oy.div_ceil(g.oy.div_ceil(p.sizes.toy)) == p.sizes.toy
                && g.ox.div_ceil(g.ox.div_ceil(p.sizes.tox)) == p.sizes.tox
                && g.c.div_ceil(g.c.div_ceil(p.sizes.tc)) == p.sizes.tc
                && g.oc.div_ceil(g.oc.div_ceil(p.sizes.to)) == p.sizes.to;
            // a tiler size that is not balanced (a power of two) has a
            // balanced equal in the search; the balanced ones are in it
            if balanced {
                assert!(
                    all.contains(&(p.sizes, p.out_parts, p.sb_resident)),
                    "{:?}",
                    p.sizes
                );
            }
        });
        assert!(
            n > 0 && all.len() > n,
            "{n} tiler plans, {} searched",
            all.len()
        );
    }

    #[test]
    fn the_choice_is_the_fewest_bytes_within_the_slack_of_the_fastest() {
        for (preset, spec) in [
            ("diannao", "conv:nx=13,ny=13,k=3,ni=64,no=96,pad=1,act=relu"),
            ("kv260", "conv:nx=28,ny=28,k=3,ni=128,no=128,pad=1,act=relu"),
            ("diannao", "class:ni=1024,no=512,act=relu"),
            ("diannao", "pool:nx=26,ny=26,k=3,s=2,ni=64,kind=max"),
        ] {
            let cfg = AccelConfig::preset(preset).unwrap();
            let gs = geoms(&cfg, spec);
            let (i, c) = choose_among(&cfg, &gs).unwrap();
            let mut all = Vec::new();
            for (j, g) in gs.iter().enumerate() {
                plans(&cfg, g, Space::Tiler, |p| all.push((j, p)));
            }
            let fastest = all.iter().map(|(_, p)| p.cost.cycles).min().unwrap();
            assert!(
                c.cost.cycles <= fastest + fastest * TIME_SLACK_PERCENT / 100,
                "{spec}: {} cycles, fastest {fastest}",
                c.cost.cycles
            );
            // the fastest plan's kind: no plan of that kind within the slack moves fewer bytes
            let f = all
                .iter()
                .filter(|(_, p)| p.cost.cycles == fastest)
                .min_by_key(|(_, p)| (p.cost.dram_bytes, p.cost.ops))
                .unwrap();
            for (j, p) in &all {
                let same = *j == f.0
                    && p.sizes.parts == f.1.sizes.parts
                    && p.out_parts == f.1.out_parts
                    && p.sb_resident == f.1.sb_resident;
                let filled = |q: &TilePlan| q.cost.cycles + q.cost.fill_cycles;
                let filled_limit = filled(&f.1) + filled(&f.1) * TIME_SLACK_PERCENT / 100;
                if same
                    && p.cost.cycles <= fastest + fastest * TIME_SLACK_PERCENT / 100
                    && filled(p) <= filled_limit
                {
                    assert!(
                        p.cost.dram_bytes >= c.cost.dram_bytes,
                        "{spec}: {:?} moves fewer bytes",
                        p.sizes
                    );
                }
            }
            assert_eq!(i, f.0, "{spec}");
            // the search finds no more bytes than the tiler's choice, and
            // none of its plans fewer than its own
            let (_, least) = least_traffic(&cfg, &gs).unwrap();
            assert!(least.cost.dram_bytes <= c.cost.dram_bytes, "{spec}");
            for g in &gs {
                plans(&cfg, g, Space::All, |p| {
                    assert!(p.cost.dram_bytes >= least.cost.dram_bytes, "{spec}");
                    assert!(p.fits(&cfg, g));
                });
            }
        }
    }
}
