//! `fetch`: the instruction fetch unit. It streams the program from DRAM
//! through the memory port into `imem`, a circular prefetch buffer of
//! `imem_depth` entries (docs/microarchitecture.md, "Instruction fetch").

use super::port::{Granted, InFlight, Transfer};
use crate::dram::Dram;
use crate::error::SimError;
use arch::events::{Counters, Event};
use arch::isa::fields::{Word, INSTR_BYTES};
use arch::AccelConfig;

/// One `imem` entry: the instruction index it holds, its word, and the
/// cycle at whose end it was written.
#[derive(Clone, Copy, Debug)]
struct Entry {
    index: usize,
    word: Word,
    landed: u64,
}

/// The fetch unit and the instruction memory it fills.
pub(crate) struct Fetch {
    /// DRAM byte address of instruction 0 (`prog_base`).
    base: u64,
    /// Program length, instructions (`prog_len`).
    len: usize,
    /// Instructions that are fetchable (`prog_base` even and the
    /// instruction inside DRAM): indices `0..fetchable`.
    fetchable: usize,
    /// Port beats of one instruction row.
    beats: u64,
    /// Next instruction to fetch.
    pub next: usize,
    /// Instructions written into `imem` so far.
    pub arrived: usize,
    imem: Vec<Option<Entry>>,
}

impl Fetch {
    /// The fetch unit of a run of the `len`-instruction program at DRAM
    /// byte address `base`.
    pub fn new(cfg: &AccelConfig, base: u64, len: usize) -> Self {
        Fetch {
            base,
            len,
            fetchable: fetchable_count(cfg, base, len),
            beats: cfg.beats(INSTR_BYTES as u32) as u64,
            next: 0,
            arrived: 0,
            imem: vec![None; cfg.imem_depth as usize],
        }
    }

    /// Program length, instructions.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if instruction `i` can be fetched (inside DRAM, `prog_base` even).
    #[inline]
    pub fn is_fetchable(&self, i: usize) -> bool {
        i < self.fetchable
    }

    /// Why instruction `i` cannot be fetched (a one-line message).
    pub fn unfetchable(&self, i: usize, cfg: &AccelConfig) -> String {
        let addr = self.base + (i * INSTR_BYTES) as u64;
        if self.base % 2 != 0 {
            format!(
                "prog_base {:#x} is odd (instructions are fetched in 16-bit words)",
                self.base
            )
        } else {
            format!(
                "instruction {i} at DRAM bytes {addr:#x}..{:#x} lies outside the {:#x}-byte DRAM",
                addr + INSTR_BYTES as u64,
                cfg.dram.size_bytes
            )
        }
    }

    /// Whether the unit requests the port in a cycle at whose start the
    /// control processor holds `pc` and, if `running`, had not stopped.
    #[inline]
    pub fn requests(&self, pc: usize, running: bool) -> bool {
        running
            && self.next < self.len
            && self.next < pc + self.imem.len()
            && self.next < self.fetchable
    }

    /// Every granted row has been written.
    #[inline]
    pub fn drained(&self) -> bool {
        self.arrived == self.next
    }

    /// The port granted the next instruction row.
    #[inline]
    pub fn grant(&mut self, cnt: &mut Counters) -> Granted {
        let index = self.next;
        self.next += 1;
        cnt.add(Event::InstrFetches, 1);
        Granted {
            transfer: Transfer::Fetch {
                index,
                addr: self.base + (index * INSTR_BYTES) as u64,
            },
            beats: self.beats,
            last: true,
        }
    }

    /// End of the write cycle of fetch row `w`: read the instruction from
    /// DRAM into its `imem` entry.
    pub fn write_row(
        &mut self,
        w: InFlight,
        dram: &Dram,
        cnt: &mut Counters,
    ) -> Result<(), SimError> {
        let Transfer::Fetch { index, addr } = w.transfer else {
            return Err(SimError::Internal("fetch unit given a DMA row".into()));
        };
        let mut bytes = [0u8; INSTR_BYTES];
        dram.read(addr, &mut bytes)?;
        let word = arch::isa::program::word_from_bytes(&bytes);
        let d = self.imem.len();
        self.imem[index % d] = Some(Entry {
            index,
            word,
            landed: w.cycle,
        });
        self.arrived += 1;
        cnt.add(Event::DramReadBytes, INSTR_BYTES as u64);
        Ok(())
    }

    /// Instruction `i` if it is in `imem` and readable in cycle `t` (written
    /// at the end of a cycle `<= t - 2`).
    #[inline]
    pub fn word(&self, i: usize, t: u64) -> Option<&Word> {
        self.entry(i).filter(|e| e.landed + 2 <= t).map(|e| &e.word)
    }

    /// The cycle at whose end instruction `i` was written into `imem`, if it was.
    #[inline]
    pub fn landed(&self, i: usize) -> Option<u64> {
        self.entry(i).map(|e| e.landed)
    }

    fn entry(&self, i: usize) -> Option<&Entry> {
        self.imem[i % self.imem.len()]
            .as_ref()
            .filter(|e| e.index == i)
    }
}

/// How many of the first `len` instructions of a program at DRAM byte
/// address `base` are fetchable: instruction i is if `base` is even and
/// `base + (i + 1) * INSTR_BYTES <= dram.size_bytes`.
pub fn fetchable_count(cfg: &AccelConfig, base: u64, len: usize) -> usize {
    let size = cfg.dram.size_bytes;
    if base % 2 != 0 || base >= size {
        return 0;
    }
    (((size - base) / INSTR_BYTES as u64) as usize).min(len)
}
