//! Programs and their binary file format.
//!
//! File layout (little-endian): magic `DNNP`, u16 format version, u16 bytes
//! per instruction, u32 instruction count, then the instruction words.

use super::fields::{Word, INSTR_BYTES, INSTR_WORDS};
use super::{DecodeError, Instruction};
use thiserror::Error;

/// File magic.
pub const MAGIC: &[u8; 4] = b"DNNP";
/// Format version.
pub const VERSION: u16 = 1;
/// Header bytes.
pub const HEADER_BYTES: usize = 12;

/// A sequence of instructions (the last one normally `end`).
pub type Program = Vec<Instruction>;

/// Why a binary program cannot be read or written.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ProgramError {
    /// Not a program file.
    #[error("not a DianNao program (bad magic {0:02x?}, expected \"DNNP\")")]
    BadMagic(Vec<u8>),
    /// Shorter than its header says.
    #[error("truncated: {expected} bytes expected, {found} found")]
    Truncated {
        /// Bytes the header promises.
        expected: usize,
        /// Bytes present.
        found: usize,
    },
    /// Longer than its header says.
    #[error("{0} trailing bytes after the last instruction")]
    Trailing(usize),
    /// Another format version or instruction width.
    #[error("unsupported format: version {version}, {bytes} bytes per instruction (this build reads version {VERSION}, {INSTR_BYTES} bytes)")]
    Format {
        /// Version found.
        version: u16,
        /// Instruction bytes found.
        bytes: u16,
    },
    /// One instruction does not decode.
    #[error("instruction {index} (byte offset {offset}): {err}")]
    Decode {
        /// Instruction index.
        index: usize,
        /// Byte offset in the file.
        offset: usize,
        /// The decode error.
        err: DecodeError,
    },
}

/// Serialise a program.
pub fn to_bytes(prog: &[Instruction]) -> Result<Vec<u8>, ProgramError> {
    let mut out = Vec::with_capacity(HEADER_BYTES + prog.len() * INSTR_BYTES);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(INSTR_BYTES as u16).to_le_bytes());
    out.extend_from_slice(&(prog.len() as u32).to_le_bytes());
    for (index, ins) in prog.iter().enumerate() {
        let w = ins.encode().map_err(|err| ProgramError::Decode {
            index,
            offset: HEADER_BYTES + index * INSTR_BYTES,
            err,
        })?;
        for x in w {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
    Ok(out)
}

/// Parse a program file.
pub fn from_bytes(b: &[u8]) -> Result<Program, ProgramError> {
    if b.len() < HEADER_BYTES {
        if b.len() >= 4 && &b[..4] != MAGIC {
            return Err(ProgramError::BadMagic(b[..4].to_vec()));
        }
        return Err(ProgramError::Truncated {
            expected: HEADER_BYTES,
            found: b.len(),
        });
    }
    if &b[..4] != MAGIC {
        return Err(ProgramError::BadMagic(b[..4].to_vec()));
    }
    let version = u16::from_le_bytes([b[4], b[5]]);
    let bytes = u16::from_le_bytes([b[6], b[7]]);
    if version != VERSION || bytes as usize != INSTR_BYTES {
        return Err(ProgramError::Format { version, bytes });
    }
    let n = u32::from_le_bytes([b[8], b[9], b[10], b[11]]) as usize;
    let expected = HEADER_BYTES + n * INSTR_BYTES;
    if b.len() < expected {
        return Err(ProgramError::Truncated {
            expected,
            found: b.len(),
        });
    }
    if b.len() > expected {
        return Err(ProgramError::Trailing(b.len() - expected));
    }
    let mut prog = Vec::with_capacity(n);
    for index in 0..n {
        let offset = HEADER_BYTES + index * INSTR_BYTES;
        let w = word_from_bytes(&b[offset..offset + INSTR_BYTES]);
        prog.push(Instruction::decode(&w).map_err(|err| ProgramError::Decode {
            index,
            offset,
            err,
        })?);
    }
    Ok(prog)
}

/// Alignment of the default program base in DRAM, bytes.
pub const PROG_ALIGN: u64 = 4096;

/// The DRAM bytes of one instruction word as the machine fetches them
/// (`INSTR_WORDS` little-endian 64-bit words, `w0` first).
pub fn word_bytes(w: &Word) -> [u8; INSTR_BYTES] {
    let mut b = [0u8; INSTR_BYTES];
    for (k, limb) in w.iter().enumerate() {
        b[8 * k..8 * k + 8].copy_from_slice(&limb.to_le_bytes());
    }
    b
}

/// The instruction word whose bytes are `b` (the first `INSTR_BYTES` bytes;
/// the inverse of [`word_bytes`]). Panics if `b` is shorter.
pub fn word_from_bytes(b: &[u8]) -> Word {
    let mut w: Word = [0; INSTR_WORDS];
    for (k, x) in w.iter_mut().enumerate() {
        *x = u64::from_le_bytes(b[8 * k..8 * k + 8].try_into().expect("8 bytes"));
    }
    w
}

/// The DRAM image of a program: its words' bytes, back to back.
pub fn image(words: &[Word]) -> Vec<u8> {
    words.iter().flat_map(word_bytes).collect()
}

/// Where a program goes in DRAM by default (the machine fetches instruction
/// i from `base + i * INSTR_BYTES`): the first [`PROG_ALIGN`]-aligned byte
/// address at or after `data_end` (one past the last byte of the initial
/// DRAM data) and after every DRAM byte the program's own DMA slots touch
/// (words that do not decode are skipped). Every backend runs a vector's
/// program from the same base, so they compare the same DRAM.
pub fn default_base(cfg: &crate::AccelConfig, words: &[Word], data_end: u64) -> u64 {
    default_base_of(
        cfg,
        words.iter().filter_map(|w| Instruction::decode(w).ok()),
        data_end,
    )
}

/// [`default_base`] of a program given as instructions (every one counts;
/// no decoding).
pub fn default_base_of(
    cfg: &crate::AccelConfig,
    program: impl IntoIterator<Item = Instruction>,
    data_end: u64,
) -> u64 {
    base_after(data_end, dma_extent(cfg, program))
}

/// One past the last DRAM byte any DMA slot of `program` touches, bytes (0
/// for a program without DMA): the part of [`default_base`] that depends on
/// the program alone, so a caller that runs one program many times computes
/// it once.
pub fn dma_extent(cfg: &crate::AccelConfig, program: impl IntoIterator<Item = Instruction>) -> u64 {
    program
        .into_iter()
        .flat_map(|i| super::Buffer::ALL.map(|b| i.dram_end(b, cfg)))
        .max()
        .unwrap_or(0)
}

/// The default program base for a DRAM whose data end at `data_end` and a
/// program whose DMA slots end at `dma_extent` (both bytes): the first
/// [`PROG_ALIGN`]-aligned address at or after both.
pub fn base_after(data_end: u64, dma_extent: u64) -> u64 {
    data_end.max(dma_extent).div_ceil(PROG_ALIGN) * PROG_ALIGN
}
