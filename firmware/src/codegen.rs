//! Program generation: walk the loop nest of [`crate::tiler`] and emit one
//! instruction per NFU op, with the loads of a step in the instruction of the
//! step's first op and each output chunk's `storen` in the instruction of its
//! last op.
//!
//! Dependencies (docs/microarchitecture.md) are derived from a per-row record
//! of which instruction last read (NBin, SB) or wrote/stored (NBout) each
//! buffer row, so the `wait` fields are right by construction:
//! * a load waits for the last NFU op that reads the rows it overwrites
//!   (distance clamped to the field's maximum, which only waits longer);
//! * a store waits for the NFU op that last wrote its rows (0 = own op);
//! * an NFU op waits for the last store that reads the NBout rows it writes.
//!
//! NFU ops implicitly wait for every load dispatched before or with them.

use crate::layer::LayerSpec;
use crate::layout::{groups, reduction_tiles, Layout, Placement};
use crate::tiler::{capacities, Geom, TilePlan, TileSizes};
use crate::FwError;
use arch::fixed::Rounding;
use arch::isa::fields::{DRAM_ADDR_BITS, WAIT_BITS};
use arch::isa::{AccIn, Buffer, DmaOp, DmaSlot, Instruction, NfuSlot};
use arch::AccelConfig;

/// Options of [`compile_with`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompileOptions {
    /// Rounding of the output conversion.
    pub round: Rounding,
    /// Force tile sizes instead of choosing them (clamped to the layer,
    /// `parts` also used for NBout; must fit, checked).
    pub plan: Option<TileSizes>,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            round: Rounding::Truncate,
            plan: None,
        }
    }
}

/// A compiled layer: the program, where its data lives, and the plan.
#[derive(Clone, Debug)]
pub struct CompiledLayer {
    /// Instructions, the last one `end`.
    pub program: Vec<Instruction>,
    /// DRAM regions and tensor arrangement.
    pub layout: Layout,
    /// Useful multiply-accumulates of the whole batch (pooling: window operations).
    pub useful_macs: u64,
    /// The chosen tiling and its predicted cost.
    pub plan: TilePlan,
}

/// Compile `layer` for `batch` images with default options (truncating rounding, chosen tiles).
pub fn compile(cfg: &AccelConfig, layer: &LayerSpec, batch: u32) -> Result<CompiledLayer, FwError> {
    compile_with(cfg, layer, batch, &CompileOptions::default())
}

/// Compile `layer` for `batch` images.
pub fn compile_with(
    cfg: &AccelConfig,
    layer: &LayerSpec,
    batch: u32,
    opts: &CompileOptions,
) -> Result<CompiledLayer, FwError> {
    compile_placed(cfg, layer, batch, opts, &Placement::default())
}

/// The geometries `layer` may be compiled with at `batch`: the plain one
/// and its lane-packed variants (see `tiler::Pack`) that need fewer
/// reduction rows.
pub fn geometries(cfg: &AccelConfig, layer: &LayerSpec, batch: u32) -> Vec<Geom> {
    let plain = Geom::new(cfg, layer, batch);
    let mut v = vec![plain.clone()];
    v.extend([1, plain.ky].iter().filter_map(|&band| plain.packed(band)));
    v.dedup();
    v
}

/// The geometry and tiling [`compile_placed`] chooses for `layer` at
/// `batch` without a given plan: [`crate::tiler::choose_among`] over its
/// [`geometries`]. Its `cost.ops` is the program's length without the `end`.
pub fn default_plan(
    cfg: &AccelConfig,
    layer: &LayerSpec,
    batch: u32,
) -> Result<(Geom, TilePlan), FwError> {
    let mut geoms = geometries(cfg, layer, batch);
    let (i, p) = crate::tiler::choose_among(cfg, &geoms)?;
    Ok((geoms.swap_remove(i), p))
}

/// The plan of [`geometries`] that moves the fewest DRAM bytes whatever
/// its time ([`crate::tiler::least_traffic`]): the reference
/// [`default_plan`]'s traffic is measured against.
pub fn least_traffic_plan(
    cfg: &AccelConfig,
    layer: &LayerSpec,
    batch: u32,
) -> Result<(Geom, TilePlan), FwError> {
    let mut geoms = geometries(cfg, layer, batch);
    let (i, p) = crate::tiler::least_traffic(cfg, &geoms)?;
    Ok((geoms.swap_remove(i), p))
}

/// Compile `layer` for `batch` images with its regions placed as `at`
/// says (a base address; optionally an output view, see [`Placement`]).
pub fn compile_placed(
    cfg: &AccelConfig,
    layer: &LayerSpec,
    batch: u32,
    opts: &CompileOptions,
    at: &Placement,
) -> Result<CompiledLayer, FwError> {
    cfg.validate().map_err(|e| FwError::Config(e.to_string()))?;
    layer.validate()?;
    match layer {
        LayerSpec::Conv(c) if c.groups > 1 => {
            return Err(FwError::Unsupported(
                "a grouped convolution is several programs: firmware::compile_node".into(),
            ))
        }
        LayerSpec::Eltwise(_) => {
            return Err(FwError::Unsupported(
                "an element-wise layer is an element-wise program: firmware::compile_node".into(),
            ))
        }
        _ => {}
    }
    if batch == 0 {
        return Err(FwError::ZeroBatch);
    }
    let mut g = Geom::new(cfg, layer, batch);
    let plan = match opts.plan {
        None => {
            let (pg, best) = default_plan(cfg, layer, batch)?;
            g = pg;
            best
        }
        Some(f) => {
            let dw = g.depthwise();
            let mut p = TilePlan {
                sizes: TileSizes {
                    toy: f.toy.clamp(1, g.oy),
                    tox: f.tox.clamp(1, g.ox),
                    to: if dw { 1 } else { f.to.clamp(1, g.oc) },
                    tky: f.tky.clamp(1, g.ky),
                    tkx: f.tkx.clamp(1, g.kx),
                    tc: if dw { 1 } else { f.tc.clamp(1, g.c) },
                    parts: f.parts.clamp(1, crate::tiler::MAX_PARTS),
                },
                out_parts: f.parts.clamp(1, crate::tiler::MAX_PARTS),
                sb_resident: false,
                cost: Default::default(),
                pack: None,
            };
            if !p.fits(cfg, &g) {
                return Err(FwError::NoTiling(format!(
                    "forced plan {f:?} does not fit the buffers"
                )));
            }
            p.predict(cfg, &g);
            p
        }
    };
    let layout = Layout::place(&g, &plan, at);
    let view_end = at.output.map_or(0, |v| {
        v.addr
            + (g.images as u64 - 1) * v.image_bytes
            + ((g.oy as u64 - 1) * v.pitch as u64 + g.ox as u64)
                * v.chunks as u64
                * crate::layout::row_bytes(g.tn)
    });
    // every address must fit the DMA's 32-bit field and the configuration's DRAM
    let limit = cfg.dram.size_bytes.min(1u64 << DRAM_ADDR_BITS);
    let needed = layout.total_bytes().max(view_end);
    if needed > limit {
        return Err(FwError::DramTooSmall {
            needed,
            size: limit,
        });
    }
    let program = generate(cfg, &g, &plan, &layout, opts.round);
    check_program(cfg, &program)?;
    Ok(CompiledLayer {
        program,
        layout,
        useful_macs: layer.macs() * batch as u64,
        plan,
    })
}

/// Check every generated instruction against the configuration and the
/// encoding; a failure is a code-generator bug, reported with its index.
pub(crate) fn check_program(cfg: &AccelConfig, program: &[Instruction]) -> Result<(), FwError> {
    for (i, ins) in program.iter().enumerate() {
        ins.check(cfg).map_err(|e| FwError::Internal {
            index: i,
            reason: e.to_string(),
        })?;
        ins.validate().map_err(|e| FwError::Internal {
            index: i,
            reason: e.to_string(),
        })?;
    }
    Ok(())
}

/// Per-row dependency records and the growing program (shared with
/// [`crate::elementwise`]).
pub(crate) struct Emitter {
    pub(crate) prog: Vec<Instruction>,
    nbin_reader: Vec<Option<usize>>,
    sb_reader: Vec<Option<usize>>,
    nbout_writer: Vec<Option<usize>>,
    nbout_storer: Vec<Option<usize>>,
}

const MAX_WAIT: usize = (1 << WAIT_BITS) - 1;

fn latest(v: &[Option<usize>], lo: u64, n: u64) -> Option<usize> {
    v[lo as usize..(lo + n) as usize]
        .iter()
        .flatten()
        .copied()
        .max()
}

fn mark(v: &mut [Option<usize>], lo: u64, n: u64, i: usize) {
    for x in &mut v[lo as usize..(lo + n) as usize] {
        *x = Some(i);
    }
}

impl Emitter {
    /// An emitter with room for `len` instructions (the plan's length: a
    /// long program is then allocated once, at its size, rather than grown
    /// by doubling, which briefly holds one and a half times its bytes).
    pub(crate) fn with_capacity(cfg: &AccelConfig, len: usize) -> Self {
        Emitter {
            prog: Vec::with_capacity(len),
            nbin_reader: vec![None; cfg.nbin_rows() as usize],
            sb_reader: vec![None; cfg.sb_rows() as usize],
            nbout_writer: vec![None; cfg.nbout_rows() as usize],
            nbout_storer: vec![None; cfg.nbout_rows() as usize],
        }
    }

    /// Start a new instruction; returns its index.
    pub(crate) fn begin(&mut self) -> usize {
        self.prog.push(Instruction::default());
        self.prog.len() - 1
    }

    pub(crate) fn load(&mut self, b: Buffer, mut s: DmaSlot) {
        let i = self.prog.len() - 1;
        let readers = match b {
            Buffer::Nbin => &self.nbin_reader,
            Buffer::Sb => &self.sb_reader,
            Buffer::Nbout => unreachable!("no NBout loads are generated"),
        };
        s.wait = match latest(readers, s.row as u64, s.rows()) {
            None => 0,
            Some(r) => {
                debug_assert!(
                    r < i,
                    "a load must come after the op that last read its rows"
                );
                (i - r).min(MAX_WAIT) as u32
            }
        };
        *self.prog[i].dma_mut(b) = s;
    }

    pub(crate) fn nfu(&mut self, mut n: NfuSlot) {
        let i = self.prog.len() - 1;
        n.wait = match latest(&self.nbout_storer, n.nbout as u64, n.outputs()) {
            None => 0,
            Some(s) => (i - s).min(MAX_WAIT) as u32,
        };
        let nb_lo = n.nbin as u64;
        mark(
            &mut self.nbin_reader,
            nb_lo,
            n.max_nbin_row() - nb_lo + 1,
            i,
        );
        // SB rows read: the weights (mac only) and the bias row (every op with in=bias)
        let bias = n.acc_in == AccIn::Bias;
        if n.op == arch::isa::NfuOp::Mac {
            let rows = n.steps_per_output() + bias as u64;
            mark(&mut self.sb_reader, n.sb as u64, rows, i);
        } else if bias {
            mark(
                &mut self.sb_reader,
                n.sb as u64 + n.steps_per_output(),
                1,
                i,
            );
        }
        mark(&mut self.nbout_writer, n.nbout as u64, n.outputs(), i);
        self.prog[i].nfu = n;
    }

    pub(crate) fn store(&mut self, mut s: DmaSlot) {
        let i = self.prog.len() - 1;
        s.wait = match latest(&self.nbout_writer, s.row as u64, s.rows()) {
            None => 0,
            Some(w) => (i - w).min(MAX_WAIT) as u32,
        };
        mark(&mut self.nbout_storer, s.row as u64, s.rows(), i);
        self.prog[i].nbout = s;
    }
}

/// A buffer split into `parts` parts used in turn.
struct Ring {
    cap: u32,
    next: u32,
    parts: u32,
}

impl Ring {
    fn take(&mut self) -> u32 {
        let base = self.next * self.cap;
        self.next = (self.next + 1) % self.parts;
        base
    }
}

fn generate(
    cfg: &AccelConfig,
    g: &Geom,
    p: &TilePlan,
    l: &Layout,
    round: Rounding,
) -> Vec<Instruction> {
    let (nbc, sbc, _) = capacities(cfg, p.sizes.parts);
    let (_, _, noc) = capacities(cfg, p.out_parts);
    let mut nbin_h = Ring {
        cap: nbc,
        next: 0,
        parts: p.sizes.parts,
    };
    let mut sb_h = if p.sb_resident {
        Ring {
            cap: cfg.sb_rows(),
            next: 0,
            parts: 1,
        }
    } else {
        Ring {
            cap: sbc,
            next: 0,
            parts: p.sizes.parts,
        }
    };
    let mut out_h = Ring {
        cap: noc,
        next: 0,
        parts: p.out_parts,
    };
    let mut e = Emitter::with_capacity(cfg, p.cost.ops as usize + 1);
    let reds = reduction_tiles(g, p);
    let grps = groups(g, p);
    let rb = cfg.nbin_row_bytes();
    let orb = cfg.tn * cfg.data_bytes();
    let dw = g.depthwise();
    let mut nbin_key: Option<(u32, u32, u32, u32, usize)> = None;
    let mut nbin_base = 0;
    let mut sb_key: Option<usize> = None;
    let mut sb_base = 0;
    let walk = |n: u32, t: u32| (0..n.div_ceil(t)).map(move |k| (k * t, t.min(n - k * t)));
    // output tiles in program order: (img, oy0, toy, ox0, tox, group)
    let mut order = Vec::new();
    for img in 0..g.images {
        for (oy0, toy) in walk(g.oy, p.sizes.toy) {
            for (ox0, tox) in walk(g.ox, p.sizes.tox) {
                for gi in 0..grps.len() {
                    order.push((img, oy0, toy, ox0, tox, gi));
                }
            }
        }
    }
    if p.sb_resident {
        // weight-stationary: all of a group's SB rows stay loaded while every output tile uses them
        order.sort_by_key(|t| t.5);
    }
    // first SB row of each reduction tile inside a resident group block
    let mut red_off = vec![0u32; reds.len()];
    for (img, oy0, toy, ox0, tox, gi) in order {
        {
            {
                {
                    let (o0, to) = grps[gi];
                    let out_base = out_h.take();
                    for (ri, &(ky0, tky, kx0, tkx, c0r, tcr)) in reds.iter().enumerate() {
                        let (c0, tc) = if dw { (o0, 1) } else { (c0r, tcr) };
                        let first = ri == 0;
                        let last = ri + 1 == reds.len();
                        let hin = g.hin(toy, tky);
                        let win = g.win(tox, tkx);
                        e.begin();
                        // NBin patch [y][x][c]
                        let key = (img, oy0, ox0, c0, ri);
                        if nbin_key != Some(key) {
                            nbin_key = Some(key);
                            nbin_base = nbin_h.take();
                            let dram =
                                l.input_addr(img, oy0 * g.sy + ky0, ox0 * g.sx + kx0, c0) as u32;
                            let line = g.wp * g.c * rb;
                            let s = if tc == g.c {
                                DmaSlot {
                                    op: DmaOp::Load,
                                    wait: 0,
                                    row: nbin_base,
                                    dram,
                                    n0: win * tc,
                                    n1: hin,
                                    s1: line,
                                    n2: 1,
                                    s2: 0,
                                }
                            } else {
                                DmaSlot {
                                    op: DmaOp::Load,
                                    wait: 0,
                                    row: nbin_base,
                                    dram,
                                    n0: tc,
                                    n1: win,
                                    s1: g.c * rb,
                                    n2: hin,
                                    s2: line,
                                }
                            };
                            e.load(Buffer::Nbin, s);
                        }
                        // SB tile
                        let st = if dw {
                            None
                        } else {
                            Some(&l.sb_tiles[gi * reds.len() + ri])
                        };
                        if let Some(t) = st {
                            if p.sb_resident {
                                if sb_key != Some(gi) {
                                    sb_key = Some(gi);
                                    sb_base = sb_h.take();
                                    let ts = &l.sb_tiles[gi * reds.len()..(gi + 1) * reds.len()];
                                    let mut off = 0;
                                    for (k, tt) in ts.iter().enumerate() {
                                        red_off[k] = off;
                                        off += tt.rows();
                                    }
                                    e.load(
                                        Buffer::Sb,
                                        DmaSlot::contiguous(
                                            DmaOp::Load,
                                            sb_base,
                                            ts[0].addr as u32,
                                            off,
                                        ),
                                    );
                                }
                            } else {
                                let k = gi * reds.len() + ri;
                                if sb_key != Some(k) {
                                    sb_key = Some(k);
                                    sb_base = sb_h.take();
                                    e.load(
                                        Buffer::Sb,
                                        DmaSlot::contiguous(
                                            DmaOp::Load,
                                            sb_base,
                                            t.addr as u32,
                                            t.rows(),
                                        ),
                                    );
                                }
                            }
                        }
                        let sb_tile_base = if p.sb_resident {
                            sb_base + red_off[ri]
                        } else {
                            sb_base
                        };
                        let ni = tkx * tc;
                        for o in 0..to {
                            if o > 0 {
                                e.begin();
                            }
                            let nbout = out_base + o * toy * tox;
                            let acc_in = if !first {
                                AccIn::Nbout
                            } else if g.bias {
                                AccIn::Bias
                            } else {
                                AccIn::Zero
                            };
                            let sb = st
                                .map(|t| sb_tile_base + o * t.rows_per_chunk())
                                .unwrap_or(0);
                            e.nfu(NfuSlot {
                                op: g.op,
                                acc_in,
                                activate: last,
                                act: if last {
                                    g.act
                                } else {
                                    arch::activation::Activation::Identity
                                },
                                round: if last { round } else { Rounding::Truncate },
                                wait: 0,
                                transpose: false,
                                nbin: nbin_base,
                                sb,
                                nbout,
                                npy: toy,
                                spy: if toy > 1 { g.sy * win * tc } else { 0 },
                                npx: tox,
                                spx: if tox > 1 { g.sx * tc } else { 0 },
                                nky: tky,
                                sky: if tky > 1 { win * tc } else { 0 },
                                ni,
                                scale: if last { g.scale } else { 0 },
                            });
                            if last {
                                let dram = l.output_addr(img, oy0, ox0, o0 + o) as u32;
                                e.store(DmaSlot {
                                    op: DmaOp::StoreNarrow,
                                    wait: 0,
                                    row: nbout,
                                    dram,
                                    n0: 1,
                                    n1: tox,
                                    s1: l.out.chunks * orb,
                                    n2: toy,
                                    s2: l.out.pitch * l.out.chunks * orb,
                                });
                            }
                        }
                    }
                }
            }
        }
    }
    let mut prog = e.prog;
    prog.push(Instruction::end());
    prog
}
