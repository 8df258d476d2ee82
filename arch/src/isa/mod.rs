//! The instruction set.
//!
//! One instruction is a fixed-width word ([`fields::INSTR_BITS`] bits) with a
//! slot for each unit: the control processor, the NBin, SB and NBout DMAs and
//! the NFU (after DaDianNao's Table IV). The control processor dispatches the
//! slots to per-unit queues; the units run them in order, synchronised by the
//! `wait` fields (docs/microarchitecture.md). The field table in [`fields`] is
//! the only place bit positions and widths are written down.

pub mod asm;
pub mod doc;
pub mod fields;
pub mod program;

use crate::activation::Activation;
use crate::config::AccelConfig;
use crate::fixed::Rounding;
use fields::{F, FIELDS, NUM_FIELDS};
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use program::Program;

/// Control-processor operation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CpOp {
    /// Nothing.
    #[default]
    Nop,
    /// Stop fetching; the machine halts when every unit is idle.
    End,
}

impl CpOp {
    /// Encoding order.
    pub const ALL: [CpOp; 2] = [CpOp::Nop, CpOp::End];
    /// Assembly mnemonic.
    pub fn mnemonic(self) -> &'static str {
        match self {
            CpOp::Nop => "nop",
            CpOp::End => "end",
        }
    }
}

/// A DMA operation (which ones are legal depends on the buffer).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DmaOp {
    /// Nothing.
    #[default]
    Nop,
    /// DRAM -> buffer, whole rows (NBout: 32-bit accumulator entries).
    Load,
    /// NBout only: DRAM data words -> accumulator entries shifted left by `frac` (bias preload).
    LoadWiden,
    /// NBout only: accumulator entries -> DRAM, 32 bits each (partial-sum spill).
    Store,
    /// NBout only: low 16 bits of each entry -> DRAM (layer outputs).
    StoreNarrow,
}

impl DmaOp {
    /// Encoding order.
    pub const ALL: [DmaOp; 5] = [
        DmaOp::Nop,
        DmaOp::Load,
        DmaOp::LoadWiden,
        DmaOp::Store,
        DmaOp::StoreNarrow,
    ];
    /// Assembly mnemonic.
    pub fn mnemonic(self) -> &'static str {
        match self {
            DmaOp::Nop => "nop",
            DmaOp::Load => "load",
            DmaOp::LoadWiden => "loadw",
            DmaOp::Store => "store",
            DmaOp::StoreNarrow => "storen",
        }
    }
    /// True for operations that write DRAM.
    pub fn is_store(self) -> bool {
        matches!(self, DmaOp::Store | DmaOp::StoreNarrow)
    }
}

/// Which buffer a DMA slot serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Buffer {
    /// Input neurons.
    Nbin,
    /// Synapses.
    Sb,
    /// Output neurons / partial sums.
    Nbout,
}

impl Buffer {
    /// All buffers, in slot order.
    pub const ALL: [Buffer; 3] = [Buffer::Nbin, Buffer::Sb, Buffer::Nbout];
    /// Lower-case name (the assembly slot name and the HDL block name).
    pub fn name(self) -> &'static str {
        match self {
            Buffer::Nbin => "nbin",
            Buffer::Sb => "sb",
            Buffer::Nbout => "nbout",
        }
    }
    /// Whether `op` is legal on this buffer's DMA.
    pub fn allows(self, op: DmaOp) -> bool {
        match self {
            Buffer::Nbout => true,
            _ => matches!(op, DmaOp::Nop | DmaOp::Load),
        }
    }
    /// Rows of this buffer in `cfg`.
    pub fn rows(self, cfg: &AccelConfig) -> u32 {
        match self {
            Buffer::Nbin => cfg.nbin_rows(),
            Buffer::Sb => cfg.sb_rows(),
            Buffer::Nbout => cfg.nbout_rows(),
        }
    }
    /// DRAM bytes moved per buffer row by `op`.
    pub fn dram_row_bytes(self, op: DmaOp, cfg: &AccelConfig) -> u32 {
        match (self, op) {
            (Buffer::Nbin, _) => cfg.nbin_row_bytes(),
            (Buffer::Sb, _) => cfg.sb_row_bytes(),
            (Buffer::Nbout, DmaOp::LoadWiden | DmaOp::StoreNarrow) => cfg.tn * cfg.data_bytes(),
            (Buffer::Nbout, _) => cfg.nbout_row_bytes(),
        }
    }
}

/// One DMA slot: a 3-level transfer of `n0 * n1 * n2` buffer rows.
///
/// Row `k = (k2 * n1 + k1) * n0 + k0` of the transfer is buffer row
/// `row + k` and DRAM bytes at `dram + k2 * s2 + k1 * s1 + k0 * row_bytes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DmaSlot {
    /// Operation.
    pub op: DmaOp,
    /// Dependency distance on the NFU (0: none).
    pub wait: u32,
    /// First buffer row.
    pub row: u32,
    /// DRAM byte address of the first row.
    pub dram: u32,
    /// Rows per contiguous run.
    pub n0: u32,
    /// Middle-loop count.
    pub n1: u32,
    /// Middle-loop DRAM stride, bytes.
    pub s1: u32,
    /// Outer-loop count.
    pub n2: u32,
    /// Outer-loop DRAM stride, bytes.
    pub s2: u32,
}

impl DmaSlot {
    /// A slot that does nothing (counts 0: the encoding of nop).
    pub const NOP: DmaSlot = DmaSlot {
        op: DmaOp::Nop,
        wait: 0,
        row: 0,
        dram: 0,
        n0: 0,
        n1: 0,
        s1: 0,
        n2: 0,
        s2: 0,
    };
    /// A contiguous transfer of `rows` rows.
    pub fn contiguous(op: DmaOp, row: u32, dram: u32, rows: u32) -> Self {
        DmaSlot {
            op,
            wait: 0,
            row,
            dram,
            n0: rows,
            n1: 1,
            s1: 0,
            n2: 1,
            s2: 0,
        }
    }
    /// Rows moved.
    pub fn rows(&self) -> u64 {
        if self.op == DmaOp::Nop {
            0
        } else {
            self.n0 as u64 * self.n1 as u64 * self.n2 as u64
        }
    }
    /// DRAM byte address of transfer row `k`.
    pub fn dram_addr(&self, k: u64, row_bytes: u32) -> u64 {
        let n0 = self.n0.max(1) as u64;
        let n1 = self.n1.max(1) as u64;
        let k0 = k % n0;
        let k1 = (k / n0) % n1;
        let k2 = k / (n0 * n1);
        self.dram as u64 + k2 * self.s2 as u64 + k1 * self.s1 as u64 + k0 * row_bytes as u64
    }
}

/// NFU operation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NfuOp {
    /// Nothing.
    #[default]
    Nop,
    /// Multiply-accumulate: out[n] += sum_i SB[r][n][i] * NBin[i] (convolution, classifier).
    Mac,
    /// Per-lane maximum over the window (max pooling).
    Max,
    /// Per-lane sum over the window, scaled on output (average pooling; with
    /// `scale` = 2^15 an element-wise sum of NBin rows).
    Avg,
    /// Element-wise multiply: reduction steps come in pairs; the even step of a
    /// pair holds `NBin[n]`, the odd step does `acc[n] += hold[n] * NBin[n]`
    /// (training: activation derivatives, max-pool gradient routing).
    Mul,
}

impl NfuOp {
    /// Encoding order.
    pub const ALL: [NfuOp; 5] = [NfuOp::Nop, NfuOp::Mac, NfuOp::Max, NfuOp::Avg, NfuOp::Mul];
    /// Assembly mnemonic.
    pub fn mnemonic(self) -> &'static str {
        match self {
            NfuOp::Nop => "nop",
            NfuOp::Mac => "mac",
            NfuOp::Max => "max",
            NfuOp::Avg => "avg",
            NfuOp::Mul => "mul",
        }
    }
}

/// Where NFU-2 takes each output's initial accumulator value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AccIn {
    /// Zero (mac, avg) or the most negative accumulator (max).
    #[default]
    Zero,
    /// The output's NBout entry (continue a partial sum).
    Nbout,
    /// Word `n` of SB row `sb + nky * ni`, shifted left by `frac` for mac (bias).
    Bias,
}

impl AccIn {
    /// Encoding order.
    pub const ALL: [AccIn; 3] = [AccIn::Zero, AccIn::Nbout, AccIn::Bias];
    /// Assembly mnemonic.
    pub fn mnemonic(self) -> &'static str {
        match self {
            AccIn::Zero => "zero",
            AccIn::Nbout => "nbout",
            AccIn::Bias => "bias",
        }
    }
}

/// The NFU slot: a 4-level loop issuing one (NBin row, SB row) pair per cycle.
///
/// For output `(py, px)` (written to NBout row `nbout + py * npx + px`), the
/// reduction step `(ky, i)` reads NBin row
/// `nbin + py * spy + px * spx + ky * sky + i` and SB row `sb + ky * ni + i`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NfuSlot {
    /// Operation.
    pub op: NfuOp,
    /// Initial accumulator value of each output.
    pub acc_in: AccIn,
    /// Convert and activate (else write the raw accumulator).
    pub activate: bool,
    /// NFU-3 function (used when `activate`).
    pub act: Activation,
    /// Output rounding (used when `activate`).
    pub round: Rounding,
    /// Dependency distance on the NBout DMA (0: none).
    pub wait: u32,
    /// Read SB rows transposed.
    pub transpose: bool,
    /// NBin base row.
    pub nbin: u32,
    /// SB base row.
    pub sb: u32,
    /// NBout row of output (0, 0).
    pub nbout: u32,
    /// Outer output count.
    pub npy: u32,
    /// NBin stride of the outer output loop, rows.
    pub spy: u32,
    /// Inner output count.
    pub npx: u32,
    /// NBin stride of the inner output loop, rows.
    pub spx: u32,
    /// Outer reduction count.
    pub nky: u32,
    /// NBin stride of the outer reduction loop, rows.
    pub sky: u32,
    /// Inner (contiguous) reduction count.
    pub ni: u32,
    /// Average-pool scale, Q1.15.
    pub scale: u32,
}

impl NfuSlot {
    /// A slot that does nothing.
    pub const NOP: NfuSlot = NfuSlot {
        op: NfuOp::Nop,
        acc_in: AccIn::Zero,
        activate: false,
        act: Activation::Identity,
        round: Rounding::Truncate,
        wait: 0,
        transpose: false,
        nbin: 0,
        sb: 0,
        nbout: 0,
        npy: 0,
        spy: 0,
        npx: 0,
        spx: 0,
        nky: 0,
        sky: 0,
        ni: 0,
        scale: 0,
    };
    /// Outputs written (NBout rows).
    pub fn outputs(&self) -> u64 {
        if self.op == NfuOp::Nop {
            0
        } else {
            self.npy as u64 * self.npx as u64
        }
    }
    /// Reduction steps per output.
    pub fn steps_per_output(&self) -> u64 {
        if self.op == NfuOp::Nop {
            0
        } else {
            self.nky as u64 * self.ni as u64
        }
    }
    /// Issue cycles (row pairs) of the whole op.
    pub fn issues(&self) -> u64 {
        self.outputs() * self.steps_per_output()
    }
    /// Highest NBin row read.
    pub fn max_nbin_row(&self) -> u64 {
        self.nbin as u64
            + (self.npy.max(1) as u64 - 1) * self.spy as u64
            + (self.npx.max(1) as u64 - 1) * self.spx as u64
            + (self.nky.max(1) as u64 - 1) * self.sky as u64
            + self.ni.max(1) as u64
            - 1
    }
}

/// One instruction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Instruction {
    /// Control-processor slot.
    pub cp: CpOp,
    /// NBin DMA slot.
    pub nbin: DmaSlot,
    /// SB DMA slot.
    pub sb: DmaSlot,
    /// NBout DMA slot.
    pub nbout: DmaSlot,
    /// NFU slot.
    pub nfu: NfuSlot,
}

impl Default for DmaSlot {
    fn default() -> Self {
        DmaSlot::NOP
    }
}
impl Default for NfuSlot {
    fn default() -> Self {
        NfuSlot::NOP
    }
}

/// Why a word is not a valid instruction.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// A field holds a code with no meaning.
    #[error("field `{field}` holds invalid code {value}")]
    BadCode {
        /// Field as `slot.name`.
        field: String,
        /// The code.
        value: u64,
    },
    /// A DMA operation that its buffer does not support (e.g. a store from NBin).
    #[error("`{buffer}.{op}` is not supported by the {buffer} DMA")]
    BadDmaOp {
        /// Buffer name.
        buffer: &'static str,
        /// Operation mnemonic.
        op: &'static str,
    },
    /// A loop count of zero in an active slot.
    #[error("field `{field}` is zero in an active slot (counts start at 1)")]
    ZeroCount {
        /// Field as `slot.name`.
        field: String,
    },
    /// A field of an inactive (nop) slot, or a reserved bit, is not zero.
    #[error("field `{field}` must be zero ({why})")]
    NonZero {
        /// Field as `slot.name` or `reserved`.
        field: String,
        /// Why it must be zero.
        why: &'static str,
    },
    /// A value does not fit its field (encoding only).
    #[error("field `{field}` value {value} does not fit in {width} bits")]
    TooWide {
        /// Field as `slot.name`.
        field: String,
        /// The value.
        value: u64,
        /// The field's width.
        width: u32,
    },
}

/// Why an instruction cannot run on a given configuration.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum RangeError {
    /// A slot touches buffer rows beyond the buffer.
    #[error("{slot}: rows up to {last} exceed the {rows}-row {buffer}")]
    BufferRow {
        /// Slot name.
        slot: &'static str,
        /// Buffer name.
        buffer: &'static str,
        /// Last row touched.
        last: u64,
        /// Rows in the buffer.
        rows: u32,
    },
    /// A DMA slot touches DRAM beyond its size, or misaligned.
    #[error("{slot}: DRAM bytes up to {last:#x} exceed the {size:#x}-byte DRAM")]
    DramRange {
        /// Slot name.
        slot: &'static str,
        /// Last byte touched.
        last: u64,
        /// DRAM size.
        size: u64,
    },
    /// DRAM address or stride not a multiple of the data word.
    #[error("{slot}: DRAM address or stride {value:#x} is not {align}-byte aligned")]
    Misaligned {
        /// Slot name.
        slot: &'static str,
        /// The value.
        value: u64,
        /// Required alignment.
        align: u32,
    },
}

fn fname(f: F) -> String {
    let d = &FIELDS[f as usize];
    format!("{}.{}", d.slot.name(), d.name)
}

fn code<T: Copy>(all: &[T], f: F, v: u64) -> Result<T, DecodeError> {
    all.get(v as usize)
        .copied()
        .ok_or_else(|| DecodeError::BadCode {
            field: fname(f),
            value: v,
        })
}

fn index_of<T: PartialEq>(all: &[T], x: &T) -> u64 {
    all.iter()
        .position(|a| a == x)
        .expect("enum value listed in ALL") as u64
}

/// The fields of each DMA slot, in slot order (nbin, sb, nbout), each as
/// op, wait, row, dram, n0, n1, s1, n2, s2.
pub const DMA_FIELDS: [[F; 9]; 3] = [
    [
        F::NBIN_OP,
        F::NBIN_WAIT,
        F::NBIN_ROW,
        F::NBIN_DRAM,
        F::NBIN_N0,
        F::NBIN_N1,
        F::NBIN_S1,
        F::NBIN_N2,
        F::NBIN_S2,
    ],
    [
        F::SB_OP,
        F::SB_WAIT,
        F::SB_ROW,
        F::SB_DRAM,
        F::SB_N0,
        F::SB_N1,
        F::SB_S1,
        F::SB_N2,
        F::SB_S2,
    ],
    [
        F::NBOUT_OP,
        F::NBOUT_WAIT,
        F::NBOUT_ROW,
        F::NBOUT_DRAM,
        F::NBOUT_N0,
        F::NBOUT_N1,
        F::NBOUT_S1,
        F::NBOUT_N2,
        F::NBOUT_S2,
    ],
];

/// The fields of `b`'s DMA slot: op, wait, row, dram, n0, n1, s1, n2, s2.
pub fn dma_fields(b: Buffer) -> [F; 9] {
    DMA_FIELDS[b as usize]
}

impl Instruction {
    /// The END instruction.
    pub fn end() -> Self {
        Instruction {
            cp: CpOp::End,
            ..Default::default()
        }
    }

    /// The DMA slot of `b`.
    pub fn dma(&self, b: Buffer) -> &DmaSlot {
        match b {
            Buffer::Nbin => &self.nbin,
            Buffer::Sb => &self.sb,
            Buffer::Nbout => &self.nbout,
        }
    }

    /// Mutable DMA slot of `b`.
    pub fn dma_mut(&mut self, b: Buffer) -> &mut DmaSlot {
        match b {
            Buffer::Nbin => &mut self.nbin,
            Buffer::Sb => &mut self.sb,
            Buffer::Nbout => &mut self.nbout,
        }
    }

    /// Field values in [`FIELDS`] order.
    pub fn field_values(&self) -> [u64; NUM_FIELDS] {
        let mut v = [0u64; NUM_FIELDS];
        v[F::CP_OP as usize] = index_of(&CpOp::ALL, &self.cp);
        for (bi, b) in Buffer::ALL.iter().enumerate() {
            let s = self.dma(*b);
            let fs = DMA_FIELDS[bi];
            let vals = [
                index_of(&DmaOp::ALL, &s.op),
                s.wait as u64,
                s.row as u64,
                s.dram as u64,
                s.n0 as u64,
                s.n1 as u64,
                s.s1 as u64,
                s.n2 as u64,
                s.s2 as u64,
            ];
            for (f, x) in fs.iter().zip(vals) {
                v[*f as usize] = x;
            }
        }
        let n = &self.nfu;
        v[F::NFU_OP as usize] = index_of(&NfuOp::ALL, &n.op);
        v[F::NFU_IN as usize] = index_of(&AccIn::ALL, &n.acc_in);
        v[F::NFU_OUT as usize] = n.activate as u64;
        v[F::NFU_ACT as usize] = index_of(&Activation::ALL, &n.act);
        v[F::NFU_ROUND as usize] = index_of(&Rounding::ALL, &n.round);
        v[F::NFU_WAIT as usize] = n.wait as u64;
        v[F::NFU_TR as usize] = n.transpose as u64;
        v[F::NFU_NBIN as usize] = n.nbin as u64;
        v[F::NFU_SB as usize] = n.sb as u64;
        v[F::NFU_NBOUT as usize] = n.nbout as u64;
        v[F::NFU_NPY as usize] = n.npy as u64;
        v[F::NFU_SPY as usize] = n.spy as u64;
        v[F::NFU_NPX as usize] = n.npx as u64;
        v[F::NFU_SPX as usize] = n.spx as u64;
        v[F::NFU_NKY as usize] = n.nky as u64;
        v[F::NFU_SKY as usize] = n.sky as u64;
        v[F::NFU_NI as usize] = n.ni as u64;
        v[F::NFU_SCALE as usize] = n.scale as u64;
        v
    }

    /// Build from field values, checking every code and count.
    pub fn from_field_values(v: &[u64; NUM_FIELDS]) -> Result<Self, DecodeError> {
        let g = |f: F| v[f as usize];
        let mut ins = Instruction {
            cp: code(&CpOp::ALL, F::CP_OP, g(F::CP_OP))?,
            ..Default::default()
        };
        for (bi, b) in Buffer::ALL.iter().enumerate() {
            let fs = DMA_FIELDS[bi];
            let op = code(&DmaOp::ALL, fs[0], g(fs[0]))?;
            if !b.allows(op) {
                return Err(DecodeError::BadDmaOp {
                    buffer: b.name(),
                    op: op.mnemonic(),
                });
            }
            if op == DmaOp::Nop {
                for f in &fs[1..] {
                    if g(*f) != 0 {
                        return Err(DecodeError::NonZero {
                            field: fname(*f),
                            why: "the slot is nop",
                        });
                    }
                }
                continue;
            }
            for f in [fs[4], fs[5], fs[7]] {
                if g(f) == 0 {
                    return Err(DecodeError::ZeroCount { field: fname(f) });
                }
            }
            *ins.dma_mut(*b) = DmaSlot {
                op,
                wait: g(fs[1]) as u32,
                row: g(fs[2]) as u32,
                dram: g(fs[3]) as u32,
                n0: g(fs[4]) as u32,
                n1: g(fs[5]) as u32,
                s1: g(fs[6]) as u32,
                n2: g(fs[7]) as u32,
                s2: g(fs[8]) as u32,
            };
        }
        let op = code(&NfuOp::ALL, F::NFU_OP, g(F::NFU_OP))?;
        let nfu_fields = (F::NFU_IN as usize)..=(F::NFU_SCALE as usize);
        if op == NfuOp::Nop {
            for i in nfu_fields {
                if v[i] != 0 {
                    return Err(DecodeError::NonZero {
                        field: format!("nfu.{}", FIELDS[i].name),
                        why: "the slot is nop",
                    });
                }
            }
        } else {
            for f in [F::NFU_NPY, F::NFU_NPX, F::NFU_NKY, F::NFU_NI] {
                if g(f) == 0 {
                    return Err(DecodeError::ZeroCount { field: fname(f) });
                }
            }
            ins.nfu = NfuSlot {
                op,
                acc_in: code(&AccIn::ALL, F::NFU_IN, g(F::NFU_IN))?,
                activate: g(F::NFU_OUT) != 0,
                act: code(&Activation::ALL, F::NFU_ACT, g(F::NFU_ACT))?,
                round: code(&Rounding::ALL, F::NFU_ROUND, g(F::NFU_ROUND))?,
                wait: g(F::NFU_WAIT) as u32,
                transpose: g(F::NFU_TR) != 0,
                nbin: g(F::NFU_NBIN) as u32,
                sb: g(F::NFU_SB) as u32,
                nbout: g(F::NFU_NBOUT) as u32,
                npy: g(F::NFU_NPY) as u32,
                spy: g(F::NFU_SPY) as u32,
                npx: g(F::NFU_NPX) as u32,
                spx: g(F::NFU_SPX) as u32,
                nky: g(F::NFU_NKY) as u32,
                sky: g(F::NFU_SKY) as u32,
                ni: g(F::NFU_NI) as u32,
                scale: g(F::NFU_SCALE) as u32,
            };
        }
        Ok(ins)
    }

    /// Check that every field is in range and the instruction is canonical.
    pub fn validate(&self) -> Result<(), DecodeError> {
        let v = self.field_values();
        for (i, d) in FIELDS.iter().enumerate() {
            if d.width < 64 && v[i] >> d.width != 0 {
                return Err(DecodeError::TooWide {
                    field: format!("{}.{}", d.slot.name(), d.name),
                    value: v[i],
                    width: d.width,
                });
            }
        }
        let back = Self::from_field_values(&v)?;
        if back != *self {
            return Err(DecodeError::NonZero {
                field: "(nop slot)".into(),
                why: "a nop slot must have all fields zero",
            });
        }
        Ok(())
    }

    /// Encode to the binary word. Fails if a value does not fit its field or
    /// the instruction is not canonical (a nop slot with non-zero fields).
    pub fn encode(&self) -> Result<fields::Word, DecodeError> {
        self.validate()?;
        let v = self.field_values();
        let mut w = [0u64; fields::INSTR_WORDS];
        for (i, d) in FIELDS.iter().enumerate() {
            fields::put(&mut w, fields::LSBS[i], d.width, v[i]);
        }
        Ok(w)
    }

    /// Decode a binary word: typed error for every invalid encoding.
    pub fn decode(w: &fields::Word) -> Result<Self, DecodeError> {
        let mut v = [0u64; NUM_FIELDS];
        for (i, d) in FIELDS.iter().enumerate() {
            v[i] = fields::get(w, fields::LSBS[i], d.width);
        }
        let used = fields::USED_BITS;
        if fields::get(w, used, fields::INSTR_BITS - used) != 0 {
            return Err(DecodeError::NonZero {
                field: "reserved".into(),
                why: "bits above the last field are reserved",
            });
        }
        Self::from_field_values(&v)
    }

    /// One past the last DRAM byte that slot `b` touches, bytes (0 for a nop
    /// slot): `dram + (n2-1)*s2 + (n1-1)*s1 + n0*row_bytes`.
    pub fn dram_end(&self, b: Buffer, cfg: &AccelConfig) -> u64 {
        let s = self.dma(b);
        if s.op == DmaOp::Nop {
            return 0;
        }
        let rb = b.dram_row_bytes(s.op, cfg);
        s.dram as u64
            + (s.n2 as u64).saturating_sub(1) * s.s2 as u64
            + (s.n1 as u64).saturating_sub(1) * s.s1 as u64
            + s.n0 as u64 * rb as u64
    }

    /// Check buffer rows and DRAM addresses against a configuration (what
    /// the control processor checks at dispatch; an error halts the machine).
    pub fn check(&self, cfg: &AccelConfig) -> Result<(), RangeError> {
        for b in Buffer::ALL {
            let s = self.dma(b);
            if s.op == DmaOp::Nop {
                continue;
            }
            let last = s.row as u64 + s.rows() - 1;
            if last >= b.rows(cfg) as u64 {
                return Err(RangeError::BufferRow {
                    slot: b.name(),
                    buffer: b.name(),
                    last,
                    rows: b.rows(cfg),
                });
            }
            let align = cfg.data_bytes();
            for x in [s.dram as u64, s.s1 as u64, s.s2 as u64] {
                if x % align as u64 != 0 {
                    return Err(RangeError::Misaligned {
                        slot: b.name(),
                        value: x,
                        align,
                    });
                }
            }
            let end = self.dram_end(b, cfg);
            if end > cfg.dram.size_bytes {
                return Err(RangeError::DramRange {
                    slot: b.name(),
                    last: end - 1,
                    size: cfg.dram.size_bytes,
                });
            }
        }
        let n = &self.nfu;
        if n.op != NfuOp::Nop {
            let last = n.max_nbin_row();
            if last >= cfg.nbin_rows() as u64 {
                return Err(RangeError::BufferRow {
                    slot: "nfu",
                    buffer: "nbin",
                    last,
                    rows: cfg.nbin_rows(),
                });
            }
            let sb_rows_used = match (n.op, n.acc_in) {
                (_, AccIn::Bias) => n.steps_per_output() + 1,
                (NfuOp::Mac, _) => n.steps_per_output(),
                _ => 0,
            };
            if sb_rows_used > 0 {
                let last = n.sb as u64 + sb_rows_used - 1;
                if last >= cfg.sb_rows() as u64 {
                    return Err(RangeError::BufferRow {
                        slot: "nfu",
                        buffer: "sb",
                        last,
                        rows: cfg.sb_rows(),
                    });
                }
            }
            let last = n.nbout as u64 + n.outputs() - 1;
            if last >= cfg.nbout_rows() as u64 {
                return Err(RangeError::BufferRow {
                    slot: "nfu",
                    buffer: "nbout",
                    last,
                    rows: cfg.nbout_rows(),
                });
            }
        }
        Ok(())
    }
}
