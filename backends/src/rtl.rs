//! What the RTL backends share: which RTL instantiation fits a
//! configuration, the DRAM image as 16-bit words, the DRAM span a vector can
//! touch, the final image of a word-addressed memory model, and the status
//! register decoding.

use crate::{Image, Status, Vector};
use arch::isa::{Buffer, DmaOp, DmaSlot, Instruction};
use arch::AccelConfig;
use std::collections::BTreeMap;

/// The RTL instantiations that exist (`hdl::top::TinyTop`, `hdl::top::DiannaoTop`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RtlKind {
    /// Tn = 4 (`AccelConfig::tiny` structure).
    Tiny,
    /// Tn = 16 (`AccelConfig::diannao` structure).
    Diannao,
}

/// Whether `cfg` has the structure (widths, buffer sizes, pipeline depths,
/// imem and queue depths, port width) compiled into one of the RTL tops.
/// Run-time parameters may differ: name, clock, `frac_bits`, `lfsr_seed`,
/// DRAM latency (>= 2) and DRAM size (<= 4 GiB).
pub fn rtl_kind(cfg: &AccelConfig) -> Result<RtlKind, String> {
    let same = |p: &AccelConfig| {
        cfg.tn == p.tn
            && cfg.nbin_bytes == p.nbin_bytes
            && cfg.sb_bytes == p.sb_bytes
            && cfg.nbout_bytes == p.nbout_bytes
            && cfg.data_bits == p.data_bits
            && cfg.acc_bits == p.acc_bits
            && cfg.pipeline == p.pipeline
            && cfg.imem_depth == p.imem_depth
            && cfg.queue_depth == p.queue_depth
            && cfg.dram.bytes_per_cycle == p.dram.bytes_per_cycle
    };
    if cfg.dram.latency_cycles < 2 {
        return Err(format!(
            "the RTL DRAM model needs a latency of at least 2 cycles (configuration `{}` has {})",
            cfg.name, cfg.dram.latency_cycles
        ));
    }
    if cfg.dram.size_bytes > 1 << 32 {
        return Err(format!(
            "the RTL has 32-bit DRAM addresses (configuration `{}` has {} bytes)",
            cfg.name, cfg.dram.size_bytes
        ));
    }
    if same(&AccelConfig::tiny()) {
        Ok(RtlKind::Tiny)
    } else if same(&AccelConfig::diannao()) {
        Ok(RtlKind::Diannao)
    } else {
        Err(format!("no RTL instantiation has the structure of configuration `{}` (RTL exists for the tiny and diannao structures)", cfg.name))
    }
}

/// The vector's initial DRAM image as 16-bit little-endian words (word address -> value).
pub fn dram_words(v: &Vector) -> BTreeMap<u64, u16> {
    let mut m: BTreeMap<u64, u16> = BTreeMap::new();
    for (addr, bytes) in &v.image {
        for (k, b) in bytes.iter().enumerate() {
            let a = addr + k as u64;
            let w = m.entry(a >> 1).or_insert(0);
            let sh = 8 * (a & 1);
            *w = (*w & !(0xff << sh)) | ((*b as u16) << sh);
        }
    }
    m
}

/// The image of a memory model's 16-bit little-endian words (word address, value).
pub fn words_image(words: impl IntoIterator<Item = (u64, u16)>) -> Image {
    let mut m = Image::new();
    for (wa, w) in words {
        m.write(wa << 1, &w.to_le_bytes());
    }
    m
}

/// Bytes of one DRAM row of `slot` on buffer `b`.
fn row_bytes(cfg: &AccelConfig, b: Buffer, op: DmaOp) -> u64 {
    match (b, op) {
        (Buffer::Nbin, _) => cfg.nbin_row_bytes() as u64,
        (Buffer::Sb, _) => cfg.sb_row_bytes() as u64,
        (Buffer::Nbout, DmaOp::LoadWiden | DmaOp::StoreNarrow) => {
            (cfg.tn * cfg.data_bytes()) as u64
        }
        (Buffer::Nbout, _) => cfg.nbout_row_bytes() as u64,
    }
}

/// One past the last DRAM byte `slot` touches.
fn slot_end(cfg: &AccelConfig, b: Buffer, s: &DmaSlot) -> u64 {
    if s.op == DmaOp::Nop {
        return 0;
    }
    s.dram as u64
        + s.n2.saturating_sub(1) as u64 * s.s2 as u64
        + s.n1.saturating_sub(1) as u64 * s.s1 as u64
        + s.n0 as u64 * row_bytes(cfg, b, s.op)
}

/// One past the last DRAM byte the vector can touch: its image, its window
/// and every DMA slot of every instruction that decodes.
pub fn dram_extent(v: &Vector) -> u64 {
    let mut end = v.window.0 + v.window.1;
    for (a, b) in &v.image {
        end = end.max(a + b.len() as u64);
    }
    for w in &v.program {
        if let Ok(i) = Instruction::decode(w) {
            for b in Buffer::ALL {
                end = end.max(slot_end(&v.cfg, b, i.dma(b)));
            }
        }
    }
    end
}

/// Decode the RTL status register (`err_class`: 0 none, 1 decode, 2 range, 3 no_end).
pub fn status(err_class: u64, err_index: u64) -> Result<Status, String> {
    let class = match err_class {
        0 => return Ok(Status::Done),
        1 => "decode",
        2 => "range",
        3 => "no_end",
        c => return Err(format!("unknown error class code {c}")),
    };
    Ok(Status::Error {
        class: class.into(),
        index: err_index as usize,
    })
}
