//! Element-wise programs over flat operand arrays (training on the
//! accelerator: masks, gradient routing, SGD updates).
//!
//! Operands `A`, `B` and the output are `len` 16-bit words stored as
//! consecutive rows of Tn words (the last row zero padded). Per element e:
//!
//! * [`EwOp::Lincomb`]: `out = act(round((a*A[e] + b*B[e] + (c << frac)) >> frac))`,
//!   an NFU `mac` over two NBin rows with the diagonal SB rows `a*I`, `b*I`
//!   and a bias row holding `c` in every lane (`in=bias`, shifted by `frac`);
//! * [`EwOp::Mul`]: `out = act(round((A[e]*B[e]) >> frac))`, an NFU `mul`
//!   (even step holds A, odd step multiplies by B);
//! * [`EwOp::AddConst`]: `out = act(A[e] + c)`, an NFU `avg` with scale
//!   2^15 (exactly 1.0) and a bias row holding `c` (`in=bias`, not shifted).
//!
//! Accumulation wraps modulo 2^32 and conversion saturates exactly as the
//! hardware does (docs/microarchitecture.md, "Arithmetic").
//!
//! The program streams tiles of `T` rows through NBin/NBout split into
//! `parts` parts used in turn (chosen by [`predict_cycles`]: 4 on `diannao`,
//! 2 on `tiny`, as measured on the simulator); one instruction
//! per tile holds the tile's NBin load, its NFU op and its `storen`. The
//! `wait` fields come from the same per-row dependency bookkeeping as
//! [`crate::codegen`].

use crate::codegen::Emitter;
use crate::layout::{align, to_bytes, Region};
use crate::FwError;
use arch::activation::Activation;
use arch::fixed::{Rounding, AVG_SCALE_SHIFT};
use arch::isa::fields::{max as field_max, F, WAIT_BITS};
use arch::isa::{AccIn, Buffer, DmaOp, DmaSlot, Instruction, NfuOp, NfuSlot};
use arch::AccelConfig;

/// The element-wise operation. Constants are data words in the
/// configuration's fixed-point format (value * 2^frac_bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EwOp {
    /// `a*A + b*B + c` (fixed-point products, rounded once at the end).
    Lincomb {
        /// Coefficient of A.
        a: i16,
        /// Coefficient of B.
        b: i16,
        /// Constant term.
        c: i16,
    },
    /// `A * B` (fixed-point product).
    Mul,
    /// `A + c` (no rounding: exact before saturation).
    AddConst {
        /// Constant term.
        c: i16,
    },
}

impl EwOp {
    /// Whether the op reads a second operand B.
    pub fn binary(&self) -> bool {
        !matches!(self, EwOp::AddConst { .. })
    }
}

/// An element-wise program description.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EwSpec {
    /// Operation.
    pub op: EwOp,
    /// Words per operand (and of the output).
    pub len: u64,
    /// NFU-3 function applied to the converted result.
    pub act: Activation,
    /// Rounding of the conversion (Lincomb, Mul; AddConst is exact).
    pub round: Rounding,
}

/// DRAM layout of an element-wise program, and packing of its operands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EwLayout {
    /// Operand A: `rows` rows of Tn words.
    pub a: Region,
    /// Operand B (0 bytes for [`EwOp::AddConst`]).
    pub b: Region,
    /// SB rows of constants (0 bytes if unused, i.e. for [`EwOp::Mul`]).
    pub consts: Region,
    /// Output: `rows` rows of Tn words.
    pub out: Region,
    /// Words per operand.
    pub len: u64,
    /// Words per row (Tn).
    pub tn: u32,
    /// The constant SB rows' words (row-major `[row][n][i]`).
    const_words: Vec<i16>,
}

/// A compiled element-wise program.
#[derive(Clone, Debug)]
pub struct CompiledEw {
    /// Instructions, the last one `end` (may exceed imem: the machine fetches it from DRAM).
    pub program: Vec<Instruction>,
    /// Where operands, constants and the output live.
    pub layout: EwLayout,
    /// Rows per tile (T).
    pub tile_rows: u32,
    /// Buffer parts used in turn.
    pub parts: u32,
}

/// Most buffer parts tried (a load's `wait` distance must fit its field).
pub const MAX_PARTS: u32 = (1 << WAIT_BITS) - 1;

impl EwLayout {
    /// Rows of Tn words per operand.
    pub fn rows(&self) -> u64 {
        self.len.div_ceil(self.tn as u64)
    }

    /// Bytes of DRAM used (end of the last region).
    pub fn total_bytes(&self) -> u64 {
        self.out.end()
    }

    fn pack(
        &self,
        r: Region,
        v: &[i16],
        what: &'static str,
    ) -> Result<Vec<(u64, Vec<u8>)>, FwError> {
        if v.len() as u64 != self.len {
            return Err(FwError::TensorLength {
                what,
                expected: self.len as usize,
                got: v.len(),
            });
        }
        let mut words = v.to_vec();
        words.resize((r.bytes / 2) as usize, 0);
        Ok(vec![(r.addr, to_bytes(&words))])
    }

    /// Operand A (`len` words) as one `(address, bytes)` chunk, zero padded to whole rows.
    pub fn pack_a(&self, a: &[i16]) -> Result<Vec<(u64, Vec<u8>)>, FwError> {
        self.pack(self.a, a, "operand A")
    }

    /// Operand B (`len` words) as one chunk; for [`EwOp::AddConst`] B must be
    /// empty and no chunk is returned.
    pub fn pack_b(&self, b: &[i16]) -> Result<Vec<(u64, Vec<u8>)>, FwError> {
        if self.b.bytes == 0 {
            if !b.is_empty() {
                return Err(FwError::TensorLength {
                    what: "operand B (the op has none)",
                    expected: 0,
                    got: b.len(),
                });
            }
            return Ok(Vec::new());
        }
        self.pack(self.b, b, "operand B")
    }

    /// The constant SB rows as one chunk (none if unused).
    pub fn pack_consts(&self) -> Vec<(u64, Vec<u8>)> {
        if self.consts.bytes == 0 {
            Vec::new()
        } else {
            vec![(self.consts.addr, to_bytes(&self.const_words))]
        }
    }

    /// Read the output region through `read(address, buffer)`; returns `len` words.
    pub fn unpack_out(&self, mut read: impl FnMut(u64, &mut [u8])) -> Vec<i16> {
        let mut bytes = vec![0u8; self.out.bytes as usize];
        if !bytes.is_empty() {
            read(self.out.addr, &mut bytes);
        }
        bytes
            .chunks_exact(2)
            .take(self.len as usize)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect()
    }
}

/// Compile `spec` with the number of buffer parts that [`predict_cycles`]
/// finds fastest.
pub fn compile_ew(cfg: &AccelConfig, spec: &EwSpec) -> Result<CompiledEw, FwError> {
    compile_ew_at(cfg, spec, 0)
}

/// [`compile_ew`] with the regions placed from DRAM address `base` (a
/// multiple of [`crate::layout::ALIGN`]).
pub fn compile_ew_at(cfg: &AccelConfig, spec: &EwSpec, base: u64) -> Result<CompiledEw, FwError> {
    compile_ew_placed(cfg, spec, best_parts(cfg, spec), base)
}

/// The number of buffer parts [`compile_ew`] uses: the fastest by
/// [`predict_cycles`].
fn best_parts(cfg: &AccelConfig, spec: &EwSpec) -> u32 {
    (1..=MAX_PARTS)
        .filter_map(|p| predict_cycles(cfg, spec, p).map(|c| (c, p)))
        .min()
        .map(|(_, p)| p)
        .unwrap_or(1)
}

/// Instructions of [`compile_ew`]'s program, without emitting it: one per
/// tile of rows, and the `end` (0 if no tiling fits; compiling says why).
pub fn program_len(cfg: &AccelConfig, spec: &EwSpec) -> u64 {
    let binary = spec.op.binary();
    match tile_rows(cfg, binary, best_parts(cfg, spec)) {
        Some(t) => spec.len.div_ceil(cfg.tn as u64).div_ceil(t as u64) + 1,
        None => 0,
    }
}

/// Rows per tile with `parts` parts, if any fit.
fn tile_rows(cfg: &AccelConfig, binary: bool, parts: u32) -> Option<u32> {
    let k = if binary { 2 } else { 1 };
    let t = (cfg.nbin_rows() / (parts * k))
        .min(cfg.nbout_rows() / parts)
        .min(field_max(F::NFU_NPX) as u32)
        .min(field_max(F::NBIN_N0) as u32);
    ((1..=MAX_PARTS).contains(&parts) && t > 0).then_some(t)
}

/// A rough cycle estimate of [`compile_ew_parts`]`(cfg, spec, parts)` (None
/// if the parts do not fit), used only to choose `parts`. Per tile of T rows:
/// NFU time `n = bias + nky*T + D`, port time `m` (loads and store), and a
/// round trip `L + m + n` overlapped over `min(parts, Q)` tiles in flight;
/// plus the imem reload cost of one instruction (`INSTR_BYTES / BPC`).
/// Calibrated against the simulator on `tiny` and `diannao` (ranking, not
/// exact cycles; tests/elementwise.rs prints both).
pub fn predict_cycles(cfg: &AccelConfig, spec: &EwSpec, parts: u32) -> Option<u64> {
    let binary = spec.op.binary();
    let t = tile_rows(cfg, binary, parts)? as u64;
    let rows = spec.len.div_ceil(cfg.tn as u64);
    let tiles = rows.div_ceil(t).max(1);
    let (nky, bias) = match spec.op {
        EwOp::Lincomb { .. } => (2, 1),
        EwOp::Mul => (2, 0),
        EwOp::AddConst { .. } => (1, 1),
    };
    let n = bias + nky * t + cfg.nfu_latency() as u64;
    let row_beats = cfg.beats(cfg.nbin_row_bytes()) as u64;
    let out_beats = cfg.beats(cfg.tn * cfg.data_bytes()) as u64;
    let m = (if binary { 2 } else { 1 }) * t * row_beats + t * out_beats;
    let overlap = parts.min(cfg.queue_depth).max(1) as u64;
    let round_trip = (cfg.dram.latency_cycles as u64 + m + n).div_ceil(overlap);
    let imem = (arch::isa::fields::INSTR_BYTES as u64).div_ceil(cfg.dram.bytes_per_cycle as u64);
    Some(tiles * (round_trip.max(n).max(m) + imem))
}

/// Compile `spec` with NBin and NBout split into `parts` parts used in turn
/// (1: no overlap, 2: double buffering, ...; at most 2^WAIT_BITS - 1).
pub fn compile_ew_parts(
    cfg: &AccelConfig,
    spec: &EwSpec,
    parts: u32,
) -> Result<CompiledEw, FwError> {
    compile_ew_placed(cfg, spec, parts, 0)
}

fn compile_ew_placed(
    cfg: &AccelConfig,
    spec: &EwSpec,
    parts: u32,
    base: u64,
) -> Result<CompiledEw, FwError> {
    cfg.validate().map_err(|e| FwError::Config(e.to_string()))?;
    if parts == 0 || parts > MAX_PARTS {
        return Err(FwError::NoTiling(format!(
            "parts must be 1..={MAX_PARTS}, got {parts}"
        )));
    }
    let tn = cfg.tn as usize;
    let rb = cfg.nbin_row_bytes() as u64;
    let sbrb = cfg.sb_row_bytes() as u64;
    let rows = spec.len.div_ceil(tn as u64);
    let binary = spec.op.binary();
    let k = if binary { 2 } else { 1 };
    // rows per tile: a part holds k operand tiles in NBin and one output tile in NBout
    let Some(t) = tile_rows(cfg, binary, parts) else {
        return Err(FwError::NoTiling(format!(
            "{parts} parts of {k} operand rows do not fit NBin ({} rows) / NBout ({} rows)",
            cfg.nbin_rows(),
            cfg.nbout_rows()
        )));
    };
    // constants: SB image and the SB row it is loaded to
    let (const_words, sb_row, nfu_op, acc_in, nky, scale) = match spec.op {
        EwOp::Lincomb { a, b, c } => {
            let mut w = vec![0i16; 3 * tn * tn];
            for n in 0..tn {
                w[n * tn + n] = a;
                w[tn * tn + n * tn + n] = b;
                w[2 * tn * tn + n] = c;
            }
            (w, 0, NfuOp::Mac, AccIn::Bias, 2, 0)
        }
        EwOp::Mul => (Vec::new(), 0, NfuOp::Mul, AccIn::Zero, 2, 0),
        EwOp::AddConst { c } => {
            let mut w = vec![0i16; tn * tn];
            w[..tn].fill(c);
            // the bias row of an op with nky*ni = 1 and sb = 0 is SB row 1
            (w, 1, NfuOp::Avg, AccIn::Bias, 1, 1u32 << AVG_SCALE_SHIFT)
        }
    };
    let opb = rows * rb;
    let a = Region {
        addr: align(base),
        bytes: opb,
    };
    let b = Region {
        addr: align(a.end()),
        bytes: if binary { opb } else { 0 },
    };
    let consts = Region {
        addr: align(b.end()),
        bytes: const_words.len() as u64 * 2,
    };
    let out = Region {
        addr: align(consts.end()),
        bytes: opb,
    };
    let layout = EwLayout {
        a,
        b,
        consts,
        out,
        len: spec.len,
        tn: cfg.tn,
        const_words,
    };
    if layout.total_bytes() > cfg.dram.size_bytes || layout.total_bytes() > u32::MAX as u64 + 1 {
        return Err(FwError::DramTooSmall {
            needed: layout.total_bytes(),
            size: cfg.dram.size_bytes.min(u32::MAX as u64 + 1),
        });
    }
    if (consts.bytes / sbrb) as u32 + sb_row > cfg.sb_rows() {
        return Err(FwError::NoTiling("constant rows do not fit SB".into()));
    }

    let mut e = Emitter::with_capacity(cfg, rows.div_ceil(t as u64) as usize + 1);
    let nbin_part = t * k;
    let mut r0 = 0u64;
    let mut part = 0u32;
    while r0 < rows {
        let tr = (rows - r0).min(t as u64) as u32;
        let i = e.begin();
        if i == 0 && consts.bytes > 0 {
            e.load(
                Buffer::Sb,
                DmaSlot::contiguous(
                    DmaOp::Load,
                    sb_row,
                    consts.addr as u32,
                    (consts.bytes / sbrb) as u32,
                ),
            );
        }
        let nb = part * nbin_part;
        let ob = part * t;
        e.load(
            Buffer::Nbin,
            DmaSlot {
                op: DmaOp::Load,
                wait: 0,
                row: nb,
                dram: (a.addr + r0 * rb) as u32,
                n0: tr,
                n1: k,
                s1: if binary { (b.addr - a.addr) as u32 } else { 0 },
                n2: 1,
                s2: 0,
            },
        );
        e.nfu(NfuSlot {
            op: nfu_op,
            acc_in,
            activate: true,
            act: spec.act,
            round: spec.round,
            wait: 0,
            transpose: false,
            nbin: nb,
            sb: 0,
            nbout: ob,
            npy: 1,
            spy: 0,
            npx: tr,
            spx: if tr > 1 { 1 } else { 0 },
            nky,
            sky: if nky > 1 { tr } else { 0 },
            ni: 1,
            scale,
        });
        e.store(DmaSlot::contiguous(
            DmaOp::StoreNarrow,
            ob,
            (out.addr + r0 * rb) as u32,
            tr,
        ));
        r0 += tr as u64;
        part = (part + 1) % parts;
    }
    let mut program = std::mem::take(&mut e.prog);
    program.push(Instruction::end());
    crate::codegen::check_program(cfg, &program)?;
    Ok(CompiledEw {
        program,
        layout,
        tile_rows: t,
        parts,
    })
}
