//! What the RTL backends share: which RTL instantiation fits a
//! configuration, the DRAM image as 16-bit words, the DRAM span a vector can
//! touch, the final image of a word-addressed memory model, and the status
//! register decoding.

use crate::{Image, Status, Vector};
use arch::isa::{Buffer, Instruction};
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
    for (addr, bytes) in &v.dram_image() {
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

/// One past the last DRAM byte the vector can touch: its image (program
/// included), its window, every DMA slot of every instruction that decodes,
/// and the program's bytes even where they run past the end of DRAM
/// (clipped to the DRAM).
pub fn dram_extent(v: &Vector) -> u64 {
    let mut end = v.window.0 + v.window.1;
    for (a, b) in &v.dram_image() {
        end = end.max(a + b.len() as u64);
    }
    let prog_end = v.program_base() + (v.program.len() * arch::isa::fields::INSTR_BYTES) as u64;
    end = end.max(prog_end.min(v.cfg.dram.size_bytes));
    for w in &v.program {
        if let Ok(i) = Instruction::decode(w) {
            for b in Buffer::ALL {
                end = end.max(i.dram_end(b, &v.cfg));
            }
        }
    }
    end
}

/// Decode the RTL status (`err_class`: `hdl::widths::ERR_*`; names as the simulator's `HaltClass`).
pub fn status(err_class: u64, err_index: u64) -> Result<Status, String> {
    use hdl::widths::{ERR_DECODE, ERR_FETCH, ERR_NONE, ERR_NO_END, ERR_RANGE};
    use sim::HaltClass;
    let class = match err_class {
        ERR_NONE => return Ok(Status::Done),
        ERR_DECODE => HaltClass::Decode,
        ERR_RANGE => HaltClass::Range,
        ERR_NO_END => HaltClass::NoEnd,
        ERR_FETCH => HaltClass::Fetch,
        c => return Err(format!("unknown error class code {c}")),
    };
    let class = class.name();
    Ok(Status::Error {
        class: class.into(),
        index: err_index as usize,
    })
}
