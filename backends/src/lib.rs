//! # backends: one vector, every backend, identical results
//!
//! A [`Vector`] is a program plus a DRAM image, named NVDLA-style by unit,
//! shape, operation and type (`conv_8x8x4_relu_i16`). Every [`Backend`] runs
//! the same vector; [`compare`] demands the same final DRAM [`Image`] (the
//! whole memory, not only the output region), the same cycle count, the
//! same halt status and the same value of every event counter, and names the
//! first difference.

use arch::events::{Counters, Event};
use arch::isa::fields::Word;
use arch::AccelConfig;
use std::collections::BTreeMap;
use thiserror::Error;

/// A whole DRAM image, sparse: byte-addressed memory in pages of
/// [`Image::PAGE_BYTES`] bytes keyed by page index (byte address /
/// `PAGE_BYTES`). Bytes of pages not held are zero, and an all-zero page is
/// never held, so two images with the same contents have the same pages
/// (`==` compares contents).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Image {
    pages: BTreeMap<u64, Box<[u8]>>,
}

impl Image {
    /// Bytes per page.
    pub const PAGE_BYTES: u64 = 4096;

    /// An all-zero image.
    pub fn new() -> Self {
        Self::default()
    }

    /// The image of (byte address, bytes) chunks, later chunks overwriting
    /// earlier ones (the form of [`Vector::image`]).
    pub fn from_chunks<'a>(chunks: impl IntoIterator<Item = &'a (u64, Vec<u8>)>) -> Self {
        let mut m = Self::new();
        for (a, b) in chunks {
            m.write(*a, b);
        }
        m
    }

    /// Write `data` from byte address `addr` (addresses must not overflow `u64`).
    pub fn write(&mut self, addr: u64, data: &[u8]) {
        let p = Self::PAGE_BYTES;
        let mut done = 0usize;
        while done < data.len() {
            let a = addr + done as u64;
            let (page, off) = (a / p, (a % p) as usize);
            let n = (p as usize - off).min(data.len() - done);
            let piece = &data[done..done + n];
            done += n;
            let zero = piece.iter().all(|b| *b == 0);
            match self.pages.get_mut(&page) {
                Some(pg) => {
                    pg[off..off + n].copy_from_slice(piece);
                    if zero && pg.iter().all(|b| *b == 0) {
                        self.pages.remove(&page);
                    }
                }
                None if zero => {}
                None => {
                    let mut pg = vec![0u8; p as usize].into_boxed_slice();
                    pg[off..off + n].copy_from_slice(piece);
                    self.pages.insert(page, pg);
                }
            }
        }
    }

    /// The byte at address `addr`.
    pub fn byte(&self, addr: u64) -> u8 {
        self.pages
            .get(&(addr / Self::PAGE_BYTES))
            .map_or(0, |pg| pg[(addr % Self::PAGE_BYTES) as usize])
    }

    /// `len` bytes from byte address `addr`.
    pub fn read(&self, addr: u64, len: u64) -> Vec<u8> {
        (addr..addr + len).map(|a| self.byte(a)).collect()
    }

    /// The pages held, ascending: (byte address of the page, its
    /// [`Image::PAGE_BYTES`] bytes); every other byte is zero.
    pub fn pages(&self) -> impl Iterator<Item = (u64, &[u8])> {
        self.pages
            .iter()
            .map(|(k, pg)| (k * Self::PAGE_BYTES, &pg[..]))
    }

    /// Number of non-zero bytes.
    pub fn nonzero_bytes(&self) -> u64 {
        self.pages
            .values()
            .map(|pg| pg.iter().filter(|b| **b != 0).count() as u64)
            .sum()
    }

    /// The lowest byte address at which the two images differ, if any.
    pub fn first_difference(&self, other: &Image) -> Option<u64> {
        let zero = [0u8; Self::PAGE_BYTES as usize];
        let keys: std::collections::BTreeSet<u64> = self
            .pages
            .keys()
            .chain(other.pages.keys())
            .copied()
            .collect();
        keys.into_iter().find_map(|k| {
            let x = self.pages.get(&k).map_or(&zero[..], |pg| &pg[..]);
            let y = other.pages.get(&k).map_or(&zero[..], |pg| &pg[..]);
            let i = x.iter().zip(y).position(|(p, q)| p != q)?;
            Some(k * Self::PAGE_BYTES + i as u64)
        })
    }
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pages: Vec<String> = self.pages().map(|(a, _)| format!("{a:#x}")).collect();
        f.debug_struct("Image")
            .field("pages", &pages)
            .field("nonzero_bytes", &self.nonzero_bytes())
            .finish()
    }
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Halted after `end` with no error.
    Done,
    /// Halted on an error of `class` (`decode`, `range`, `no_end`, `fetch`) at instruction `index`.
    Error {
        /// Error class name as in docs/microarchitecture.md.
        class: String,
        /// Index of the failing instruction.
        index: usize,
    },
}

/// What a backend reports after running a vector.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Cycles from start to halt.
    pub cycles: u64,
    /// How it ended.
    pub status: Status,
    /// Final contents of the whole DRAM (all of the backend's memory; byte
    /// addresses are the core's DRAM addresses).
    pub dram: Image,
    /// Every event counter of the run (`arch::events::Event::ALL`), if the
    /// backend reads them (every backend of this crate does).
    pub counters: Option<Counters>,
}

/// A test vector: one program and one DRAM image on one configuration.
#[derive(Clone, Debug)]
pub struct Vector {
    /// NVDLA-style name: unit_shape_operation_type.
    pub name: String,
    /// Machine configuration.
    pub cfg: AccelConfig,
    /// Raw instruction words (may contain invalid encodings on purpose).
    /// Every backend writes them into DRAM at [`Vector::program_base`] and
    /// the machine fetches them from there.
    pub program: Vec<Word>,
    /// DRAM byte address of the program; `None`: the default placement
    /// (`arch::isa::program::default_base`, after the image and every byte
    /// the program's DMA slots touch). Set it to test fetch errors (a
    /// program running past the end of DRAM, an unmapped or odd base).
    pub prog_base: Option<u64>,
    /// The run's stochastic-rounding seed (the top's `seed` input, the
    /// board's `lfsr_seed` register, `sim::Machine::set_seed`): every run
    /// starts lane n's LFSR at `Lfsr::lane_seed(seed, n)`. Usually the
    /// preset's `cfg.lfsr_seed`.
    pub seed: u32,
    /// Initial DRAM contents as (address, bytes) chunks; the rest is zero.
    pub image: Vec<(u64, Vec<u8>)>,
    /// The region the program's result is stored to: (first byte, length in
    /// bytes). Not what [`compare`] compares (that is the whole DRAM); tests
    /// and reports read the result from it, and the RTL backends' memory
    /// models cover it.
    pub window: (u64, u64),
}

impl Vector {
    /// DRAM byte address of instruction 0.
    pub fn program_base(&self) -> u64 {
        self.prog_base.unwrap_or_else(|| {
            let end = self
                .image
                .iter()
                .map(|(a, b)| a + b.len() as u64)
                .max()
                .unwrap_or(0);
            arch::isa::program::default_base(&self.cfg, &self.program, end)
        })
    }

    /// The initial DRAM: the image plus the program's bytes at
    /// [`Vector::program_base`] (the part of them inside DRAM).
    pub fn dram_image(&self) -> Vec<(u64, Vec<u8>)> {
        let mut out = self.image.clone();
        let base = self.program_base();
        let size = self.cfg.dram.size_bytes;
        if base < size {
            let mut bytes = arch::isa::program::image(&self.program);
            bytes.truncate((size - base).min(bytes.len() as u64) as usize);
            if !bytes.is_empty() {
                out.push((base, bytes));
            }
        }
        out
    }
}

/// A way to execute a vector.
pub trait Backend {
    /// Short name used in reports (`sim`, `rtl`, `verilator`, `icarus`).
    fn name(&self) -> &'static str;
    /// Run the vector from reset to halt.
    fn run(&self, v: &Vector) -> Result<Outcome, BackendError>;
    /// True if the backend implements the contract's memory timing, so its
    /// cycle count must equal the simulator's (false for the AXI board top,
    /// whose memory latencies are the AXI slave's).
    fn cycle_exact(&self) -> bool {
        true
    }
}

/// A backend could not run the vector at all (as opposed to running it and halting on an error).
#[derive(Debug, Error)]
pub enum BackendError {
    /// The backend failed.
    #[error("{backend}: {message}")]
    Failed {
        /// Backend name.
        backend: &'static str,
        /// What went wrong.
        message: String,
    },
}

/// The first difference between two outcomes of the same vector.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// Different cycle counts.
    #[error("{vector}: cycles differ: {a_name} {a} vs {b_name} {b}")]
    Cycles {
        /// Vector name.
        vector: String,
        /// First backend.
        a_name: &'static str,
        /// Its cycles.
        a: u64,
        /// Second backend.
        b_name: &'static str,
        /// Its cycles.
        b: u64,
    },
    /// Different halt status.
    #[error("{vector}: status differs: {a_name} {a} vs {b_name} {b}")]
    Status {
        /// Vector name.
        vector: String,
        /// First backend.
        a_name: &'static str,
        /// Its status.
        a: String,
        /// Second backend.
        b_name: &'static str,
        /// Its status.
        b: String,
    },
    /// Different values of an event counter.
    #[error("{vector}: counter `{event}` differs: {a_name} {a} vs {b_name} {b}")]
    Counter {
        /// Vector name.
        vector: String,
        /// The counter's name (`arch::events::Event::name`).
        event: &'static str,
        /// First backend.
        a_name: &'static str,
        /// Its value.
        a: u64,
        /// Second backend.
        b_name: &'static str,
        /// Its value.
        b: u64,
    },
    /// Different DRAM contents.
    #[error("{vector}: DRAM differs first at {addr:#x}: {a_name} {a:#04x} vs {b_name} {b:#04x}")]
    Dram {
        /// Vector name.
        vector: String,
        /// Byte address.
        addr: u64,
        /// First backend.
        a_name: &'static str,
        /// Its byte.
        a: u8,
        /// Second backend.
        b_name: &'static str,
        /// Its byte.
        b: u8,
    },
}

/// Demand the same status and DRAM image, and the same value of every
/// counter that does not depend on the memory timing
/// (`Event::timing_independent`), not the cycle count (for a backend that
/// is not [`Backend::cycle_exact`]); name the first difference.
pub fn compare_memory(
    v: &Vector,
    a_name: &'static str,
    a: &Outcome,
    b_name: &'static str,
    b: &Outcome,
) -> Result<(), Mismatch> {
    compare_with(v, a_name, a, b_name, b, false)
}

/// Demand identical outcomes (status, then the whole DRAM image, then
/// cycles, then every event counter in `Event::ALL` order, when both
/// outcomes hold counters); name the first difference (for DRAM, the lowest
/// differing byte).
pub fn compare(
    v: &Vector,
    a_name: &'static str,
    a: &Outcome,
    b_name: &'static str,
    b: &Outcome,
) -> Result<(), Mismatch> {
    compare_with(v, a_name, a, b_name, b, true)
}

/// [`compare`] (`exact`) or [`compare_memory`].
fn compare_with(
    v: &Vector,
    a_name: &'static str,
    a: &Outcome,
    b_name: &'static str,
    b: &Outcome,
    exact: bool,
) -> Result<(), Mismatch> {
    if a.status != b.status {
        return Err(Mismatch::Status {
            vector: v.name.clone(),
            a_name,
            a: format!("{:?}", a.status),
            b_name,
            b: format!("{:?}", b.status),
        });
    }
    if let Some(addr) = a.dram.first_difference(&b.dram) {
        return Err(Mismatch::Dram {
            vector: v.name.clone(),
            addr,
            a_name,
            a: a.dram.byte(addr),
            b_name,
            b: b.dram.byte(addr),
        });
    }
    if exact && a.cycles != b.cycles {
        return Err(Mismatch::Cycles {
            vector: v.name.clone(),
            a_name,
            a: a.cycles,
            b_name,
            b: b.cycles,
        });
    }
    if let (Some(ca), Some(cb)) = (&a.counters, &b.counters) {
        let fits_imem = v.program.len() <= v.cfg.imem_depth as usize;
        for e in Event::ALL {
            if !exact && !e.timing_independent(fits_imem) {
                continue;
            }
            if ca.get(*e) != cb.get(*e) {
                return Err(Mismatch::Counter {
                    vector: v.name.clone(),
                    event: e.name(),
                    a_name,
                    a: ca.get(*e),
                    b_name,
                    b: cb.get(*e),
                });
            }
        }
    }
    Ok(())
}

pub mod axi_backend;
pub mod axi_harness;
pub mod icarus_backend;
pub mod rtl;
pub mod rtl_backend;
pub mod sim_backend;
pub mod trace;
pub mod vectors;
pub mod verify;
pub mod verilator_backend;
pub use icarus_backend::IcarusBackend;
pub use rtl_backend::RtlBackend;
pub use sim_backend::SimBackend;
pub use verify::{
    backend, verify_backends, verify_vector, BackendRun, Report, VerifyError, BACKENDS,
};
pub use verilator_backend::VerilatorBackend;

#[cfg(test)]
mod tests {
    use super::*;

    const P: u64 = Image::PAGE_BYTES;

    fn vector() -> Vector {
        Vector {
            name: "v".into(),
            cfg: AccelConfig::tiny(),
            program: vec![],
            prog_base: None,
            seed: AccelConfig::tiny().lfsr_seed,
            image: vec![],
            window: (0x100, 0x40),
        }
    }

    fn outcome(dram: Image) -> Outcome {
        Outcome {
            cycles: 10,
            status: Status::Done,
            dram,
            counters: None,
        }
    }

    fn dram_mismatch(a: &Outcome, b: &Outcome) -> Option<(u64, u8, u8)> {
        match compare(&vector(), "a", a, "b", b) {
            Err(Mismatch::Dram { addr, a, b, .. }) => Some((addr, a, b)),
            Ok(()) => None,
            Err(m) => panic!("not a DRAM mismatch: {m}"),
        }
    }

    #[test]
    fn compare_names_the_first_stray_write_outside_the_output_window() {
        let mut a = Image::from_chunks(&[(0x100, vec![7; 0x40])]);
        let mut b = a.clone();
        // equal output windows; stray writes far away, the lower one in a later-listed chunk of b
        b.write(7 * P + 5, &[0x99]);
        b.write(3 * P + 0x123, &[0, 0x5a]);
        a.write(9 * P, &[1]);
        let (a, b) = (outcome(a), outcome(b));
        assert_eq!(a.dram.read(0x100, 0x40), b.dram.read(0x100, 0x40));
        assert_eq!(dram_mismatch(&a, &b), Some((3 * P + 0x124, 0, 0x5a)));
        assert_eq!(dram_mismatch(&b, &a), Some((3 * P + 0x124, 0x5a, 0)));
        let e = compare(&vector(), "a", &a, "b", &b).unwrap_err();
        assert_eq!(
            e.to_string(),
            "v: DRAM differs first at 0x3124: a 0x00 vs b 0x5a"
        );
        // the order of checks: status before DRAM, DRAM before cycles
        let mut c = b.clone();
        c.cycles = 11;
        assert!(matches!(
            compare(&vector(), "a", &a, "c", &c),
            Err(Mismatch::Dram { .. })
        ));
        c.status = Status::Error {
            class: "range".into(),
            index: 0,
        };
        assert!(matches!(
            compare(&vector(), "a", &a, "c", &c),
            Err(Mismatch::Status { .. })
        ));
        let mut d = a.clone();
        d.cycles = 11;
        assert!(matches!(
            compare(&vector(), "a", &a, "d", &d),
            Err(Mismatch::Cycles { a: 10, b: 11, .. })
        ));
    }

    #[test]
    fn counters_are_compared_after_cycles_and_only_timing_independent_ones_without_exact_timing() {
        let v = vector();
        let mut a = outcome(Image::new());
        a.counters = Some(Counters::new());
        let mut b = a.clone();
        b.counters.as_mut().unwrap().add(Event::Macs, 16);
        match compare(&v, "a", &a, "b", &b) {
            Err(Mismatch::Counter {
                event: "macs",
                a: 0,
                b: 16,
                ..
            }) => {}
            r => panic!("{r:?}"),
        }
        assert_eq!(
            compare(&v, "a", &a, "b", &b).unwrap_err().to_string(),
            "v: counter `macs` differs: a 0 vs b 16"
        );
        assert!(compare_memory(&v, "a", &a, "b", &b).is_err());
        // a stall counter and the cycles differ: only an exact comparison fails
        let mut c = a.clone();
        c.cycles = 12;
        c.counters.as_mut().unwrap().add(Event::DmaStallPort, 3);
        c.counters.as_mut().unwrap().add(Event::Cycles, 12);
        assert!(matches!(
            compare(&v, "a", &a, "c", &c),
            Err(Mismatch::Cycles { .. })
        ));
        c.cycles = a.cycles;
        assert!(matches!(
            compare(&v, "a", &a, "c", &c),
            Err(Mismatch::Counter {
                event: "cycles",
                ..
            })
        ));
        assert_eq!(compare_memory(&v, "a", &a, "c", &c), Ok(()));
        // an outcome without counters is compared on the rest only
        let mut d = b.clone();
        d.counters = None;
        assert_eq!(compare(&v, "a", &a, "d", &d), Ok(()));
    }

    #[test]
    fn zero_pages_held_or_not_compare_equal_and_a_lone_page_differs_where_it_is_nonzero() {
        // a page written with zeros, a page zeroed after a write, a chunk straddling pages
        let mut a = Image::from_chunks(&[(2 * P, vec![0; 2 * P as usize])]);
        a.write(5 * P + 17, &[1, 2, 3]);
        a.write(5 * P + 17, &[0, 0, 0]);
        assert_eq!(a.pages().count(), 0);
        assert_eq!(a, Image::new());
        assert_eq!(a.first_difference(&Image::new()), None);
        assert_eq!(
            dram_mismatch(&outcome(a.clone()), &outcome(Image::new())),
            None
        );
        // a page only one side holds: the difference is at its first non-zero byte
        let mut b = Image::new();
        b.write(P - 2, &[0, 0, 0, 0, 0, 0x44, 0x45]);
        assert_eq!(b.pages().count(), 1, "the page of zeros is not held");
        assert_eq!(b.nonzero_bytes(), 2);
        assert_eq!(a.first_difference(&b), Some(P + 3));
        assert_eq!(b.first_difference(&a), Some(P + 3));
        assert_eq!(
            dram_mismatch(&outcome(a), &outcome(b.clone())),
            Some((P + 3, 0, 0x44))
        );
        // both hold the page, they differ after the first equal bytes
        let mut c = b.clone();
        c.write(P + 4, &[0x46]);
        assert_eq!(b.first_difference(&c), Some(P + 4));
        assert_eq!(c.read(P + 2, 4), vec![0, 0x44, 0x46, 0]);
    }
}
