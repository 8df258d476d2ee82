//! What the RTL backends share: which RTL instantiation fits a
//! configuration, the DRAM image as 16-bit words, the DRAM span a vector can
//! touch, the final image of a word-addressed memory model, and the status
//! register decoding.

use crate::{Image, Status, Vector};
use arch::isa::{Buffer, Instruction};
use arch::AccelConfig;
use std::collections::BTreeMap;

pub use hdl::top::RtlKind;

/// Which RTL top builds `cfg` ([`hdl::top::rtl_kind`]: the structure is
/// compiled in, the other fields may differ), for the testbenches: their
/// DRAM model also needs a latency of at least 2 cycles.
pub fn rtl_kind(cfg: &AccelConfig) -> Result<RtlKind, String> {
    if cfg.dram.latency_cycles < 2 {
        return Err(format!(
            "configuration `{}`: field `dram.latency_cycles` is {}; the testbenches' DRAM model needs at least 2",
            cfg.name, cfg.dram.latency_cycles
        ));
    }
    hdl::top::rtl_kind(cfg).map_err(|e| e.to_string())
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
