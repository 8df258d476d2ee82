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
//! [`choose`] evaluates a small candidate set of tile sizes with a closed-form
//! cost model ([`TilePlan::predict`]: DRAM rows moved per buffer, NFU issue
//! cycles, and their maximum when loads overlap compute) and keeps the
//! cheapest. The model counts exactly the rows the generated program moves
//! (a test checks this).

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
}

/// `n` split into tiles of `t`: (size, count) classes.
pub fn splits(n: u32, t: u32) -> Vec<(u32, u64)> {
    let mut v = Vec::with_capacity(2);
    if n / t > 0 {
        v.push((t, (n / t) as u64));
    }
    if n % t != 0 {
        v.push((n % t, 1));
    }
    v
}

/// Largest ring depth considered.
pub const MAX_PARTS: u32 = 4;

/// Buffer capacities (NBin, SB, NBout rows) usable by one tile when each
/// buffer is split into `parts` parts.
pub fn capacities(cfg: &AccelConfig, parts: u32) -> (u32, u32, u32) {
    let d = parts.max(1);
    (cfg.nbin_rows() / d, cfg.sb_rows() / d, cfg.nbout_rows() / d)
}

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

    /// Reduction tiles (ky, kx, c classes with counts).
    fn reduction_classes(&self, g: &Geom) -> Vec<(u32, u32, u32, u64, bool)> {
        let t = self.sizes;
        // (tky, tkx, tc, count, contains-first-tile)
        let mut v = Vec::new();
        let cs = if g.depthwise() {
            vec![(1, 1)]
        } else {
            splits(g.c, t.tc)
        };
        for (a, na) in splits(g.ky, t.tky) {
            for (b, nb) in splits(g.kx, t.tkx) {
                for &(c, nc) in &cs {
                    v.push((a, b, c, na * nb * nc, false));
                }
            }
        }
        // the first tile is a full one in every dimension: mark it in the first class
        v[0].4 = true;
        v
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
        let rs = self.reduction_classes(g);
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
            for &(tky, tkx, tc, rn, first) in &rs {
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
                for &(tky, tkx, tc, rn, _) in &rs {
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
        // a single NBout part: each output tile's first op waits for the previous tile's stores
        let out_tiles = imgs * tiles * n_og;
        let store_wait = if self.out_parts <= 1 && out_tiles > 1 {
            (out_tiles - 1) as f64 * (lat + (t.to as u64 * t.toy as u64 * t.tox as u64) as f64)
        } else {
            0.0
        };
        c.cycles = (lat + steps * per_step + store_wait) as u64;
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

/// Candidate tile sizes for a dimension of `n`: n/k rounded up for small k,
/// powers of two and 1.
fn cands(n: u32) -> Vec<u32> {
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

/// Choose the tile sizes with the lowest predicted cycles (then traffic, then ops).
/// The cycle estimate is a model, not a simulation: it ranks candidates.
pub fn choose(cfg: &AccelConfig, g: &Geom) -> Result<TilePlan, FwError> {
    let mut best: Option<TilePlan> = None;
    let dw = g.depthwise();
    let tcs = if dw { vec![1] } else { cands(g.c) };
    let tos = if dw { vec![1] } else { cands(g.oc) };
    // reduction shapes: split ky first; split kx only with one kernel row per tile
    let mut red = Vec::new();
    for &tc in &tcs {
        for tky in cands(g.ky) {
            red.push((tky, g.kx, tc));
        }
        for tkx in cands(g.kx) {
            if tkx < g.kx {
                red.push((1, tkx, tc));
            }
        }
    }
    let k_all = g.ky as u64 * g.kx as u64 * g.c as u64 + g.bias as u64;
    for (db, dout, res) in (1..=MAX_PARTS).flat_map(|d| {
        [
            (d, d, false),
            (d, 1, false),
            (d, 2, false),
            (d, 1, true),
            (d, 2, true),
        ]
    }) {
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
                let mut txs = cands(g.ox);
                txs.push(g.ox.min(noc / to));
                for tox in txs {
                    if tox > g.ox
                        || to * tox > noc
                        || g.win(tox, tkx) as u64 * tky as u64 * tc as u64 > nbc as u64
                    {
                        continue;
                    }
                    // the tallest tile that fits, then balanced
                    let mut toy = (noc / (to * tox)).min(g.oy);
                    while toy > 1
                        && g.hin(toy, tky) as u64 * g.win(tox, tkx) as u64 * tc as u64 > nbc as u64
                    {
                        toy -= 1;
                    }
                    let nt = g.oy.div_ceil(toy);
                    toy = g.oy.div_ceil(nt);
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
                    let better = match &best {
                        None => true,
                        Some(b) => {
                            (p.cost.cycles, p.cost.dram_bytes, p.cost.ops)
                                < (b.cost.cycles, b.cost.dram_bytes, b.cost.ops)
                        }
                    };
                    if better {
                        best = Some(p);
                    }
                }
            }
        }
    }
    best.ok_or_else(|| {
        FwError::NoTiling(format!(
            "{}: no tile of one output fits the buffers",
            g.layer
        ))
    })
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
