//! [`Machine`]: one accelerator whose buffers and cumulative counters
//! persist across runs; every run starts its LFSRs from the machine's seed.

use crate::buffers::Buffers;
use crate::core::Core;
use crate::dram::Dram;
use crate::error::SimError;
use crate::nfu::NfuState;
use crate::scheduler::{Mode, Scheduler};
use crate::vcd::VcdTrace;
use arch::events::Counters;
use arch::isa::fields::Word;
use arch::isa::fields::INSTR_BYTES;
use arch::isa::program::{base_after, default_base, default_base_of, dma_extent, word_bytes};
use arch::isa::Instruction;
use arch::AccelConfig;
use std::io::Write;

/// Result of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Cycles from start to halt (instruction fetch included).
    pub cycles: u64,
    /// Event counters of this run (`cycles` included).
    pub counters: Counters,
}

impl RunStats {
    /// Add a run that followed this one (programs of one layer): cycles and
    /// every counter add up.
    pub fn add(&mut self, other: &RunStats) {
        self.cycles += other.cycles;
        self.counters.merge(&other.counters);
    }
}

/// A program encoded once for many runs ([`Machine::run_encoded`]): its
/// DRAM image (the instruction words' bytes, back to back) and the extent
/// of its DMA slots, so a run neither encodes nor scans it again. Training
/// runs each compiled program thousands of times.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoded {
    bytes: Vec<u8>,
    len: usize,
    dma_end: u64,
}

impl Encoded {
    /// Encode `program` for configuration `cfg`; the first instruction that
    /// cannot be encoded is an error.
    pub fn new(cfg: &AccelConfig, program: &[Instruction]) -> Result<Self, SimError> {
        let mut bytes = Vec::with_capacity(program.len() * INSTR_BYTES);
        for (index, i) in program.iter().enumerate() {
            let w = i.encode().map_err(|err| SimError::Encode { index, err })?;
            bytes.extend_from_slice(&word_bytes(&w));
        }
        Ok(Encoded {
            bytes,
            len: program.len(),
            dma_end: dma_extent(cfg, program.iter().copied()),
        })
    }

    /// Instructions in the program.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for the empty program.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The program's DRAM image, bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// One accelerator (see docs/microarchitecture.md). The buffers and the
/// cumulative counters persist across runs; the stochastic-rounding LFSRs
/// are loaded from the seed ([`Machine::set_seed`]) at the start of every
/// run, as the hardware loads them from its `seed` input.
pub struct Machine {
    cfg: AccelConfig,
    bufs: Buffers,
    nfu: NfuState,
    seed: u32,
    total: Counters,
    vcd: Option<Box<dyn Write + Send>>,
    last: Option<RunStats>,
}

impl std::fmt::Debug for Machine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Machine")
            .field("cfg", &self.cfg.name)
            .finish_non_exhaustive()
    }
}

impl Clone for Machine {
    /// A copy of the machine's state (buffers, LFSRs, counters); the VCD sink is not copied.
    fn clone(&self) -> Self {
        Machine {
            cfg: self.cfg.clone(),
            bufs: self.bufs.clone(),
            nfu: self.nfu.clone(),
            seed: self.seed,
            total: self.total.clone(),
            vcd: None,
            last: self.last.clone(),
        }
    }
}

impl Machine {
    /// A machine in its reset state; fails if `cfg` does not validate.
    pub fn new(cfg: AccelConfig) -> Result<Self, SimError> {
        cfg.validate()?;
        Ok(Machine {
            bufs: Buffers::new(&cfg),
            nfu: NfuState::new(&cfg),
            seed: cfg.lfsr_seed,
            cfg,
            total: Counters::new(),
            vcd: None,
            last: None,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &AccelConfig {
        &self.cfg
    }

    /// Buffer contents (for tests and debugging).
    pub fn buffers(&self) -> &Buffers {
        &self.bufs
    }

    /// LFSR state of every lane: after a run, where that run left them
    /// (the next run starts again from the seed).
    pub fn lfsr_states(&self) -> Vec<u32> {
        self.nfu.lfsr.iter().map(|l| l.0).collect()
    }

    /// The seed the next runs start their LFSRs from (the hardware's `seed`
    /// input; initially the configuration's `lfsr_seed`).
    pub fn seed(&self) -> u32 {
        self.seed
    }

    /// Set the seed of the following runs: each of them starts lane n's
    /// LFSR at `Lfsr::lane_seed(seed, n)` (any value; `lane_seed` is never 0).
    pub fn set_seed(&mut self, seed: u32) {
        self.seed = seed;
    }

    /// Counters summed over every run of this machine.
    pub fn total_counters(&self) -> &Counters {
        &self.total
    }

    /// Statistics of the last run, including one that ended in an error halt.
    pub fn last_stats(&self) -> Option<&RunStats> {
        self.last.as_ref()
    }

    /// Trace the next run to `w` as VCD; a traced run is simulated in stepped mode.
    pub fn set_vcd(&mut self, w: Option<Box<dyn Write + Send>>) {
        self.vcd = w;
    }

    /// Run a program given as raw words (which may be invalid encodings:
    /// the machine then halts with a [`SimError::Halted`] per the
    /// contract). The words are written into `dram` at
    /// [`Machine::load_program`]'s base and fetched from there (and zeroed
    /// again after the run); simulated event by event.
    pub fn run_words(&mut self, program: &[Word], dram: &mut Dram) -> Result<RunStats, SimError> {
        self.run_loaded(program, dram, Mode::Fast)
    }

    /// Like [`Machine::run_words`], but evaluating every cycle literally (the
    /// slow reference the fast mode is tested against).
    pub fn run_words_stepped(
        &mut self,
        program: &[Word],
        dram: &mut Dram,
    ) -> Result<RunStats, SimError> {
        self.run_loaded(program, dram, Mode::Stepped)
    }

    /// Load `program` at its default base, run it, then zero its bytes again
    /// (they were zero before: the base lies after every byte of data and
    /// every byte the program's DMAs touch), so repeated runs on one DRAM do
    /// not pile programs up.
    fn run_loaded(
        &mut self,
        program: &[Word],
        dram: &mut Dram,
        mode: Mode,
    ) -> Result<RunStats, SimError> {
        let base = self.load_program(program, dram)?;
        let r = self.run_mode(base, program.len(), dram, mode);
        dram.zero(base, program.len() * INSTR_BYTES)?;
        r
    }

    /// Run a program of any length that fits in DRAM: it is encoded, written
    /// into `dram` at [`Machine::load_program`]'s base, and fetched from
    /// there by the machine (docs/microarchitecture.md, "Instruction fetch").
    pub fn run(&mut self, program: &[Instruction], dram: &mut Dram) -> Result<RunStats, SimError> {
        self.run_instructions(program, dram, Mode::Fast)
    }

    /// [`Machine::run`] in stepped mode.
    pub fn run_stepped(
        &mut self,
        program: &[Instruction],
        dram: &mut Dram,
    ) -> Result<RunStats, SimError> {
        self.run_instructions(program, dram, Mode::Stepped)
    }

    /// [`Machine::run_loaded`] of instructions, encoded straight into `dram`.
    fn run_instructions(
        &mut self,
        program: &[Instruction],
        dram: &mut Dram,
        mode: Mode,
    ) -> Result<RunStats, SimError> {
        let base = self.load_instructions(program, dram)?;
        let r = self.run_mode(base, program.len(), dram, mode);
        dram.zero(base, program.len() * INSTR_BYTES)?;
        r
    }

    /// [`Machine::run`] of a program encoded beforehand: the same base, the
    /// same cycles, counters and final DRAM (the program's bytes zeroed
    /// again after the run).
    pub fn run_encoded(
        &mut self,
        program: &Encoded,
        dram: &mut Dram,
    ) -> Result<RunStats, SimError> {
        let base = base_after(dram.data_end(), program.dma_end);
        fits(program.len, base, dram)?;
        dram.write(base, &program.bytes)?;
        let r = self.run_mode(base, program.len, dram, Mode::Fast);
        dram.zero(base, program.bytes.len())?;
        r
    }

    /// Run the `len`-instruction program already in `dram` at byte address
    /// `base` (`prog_base`, `prog_len`). Instructions outside DRAM, or an odd
    /// `base`, halt the machine with the error `fetch` when reached.
    pub fn run_at(&mut self, base: u64, len: usize, dram: &mut Dram) -> Result<RunStats, SimError> {
        self.run_mode(base, len, dram, Mode::Fast)
    }

    /// [`Machine::run_at`] in stepped mode.
    pub fn run_at_stepped(
        &mut self,
        base: u64,
        len: usize,
        dram: &mut Dram,
    ) -> Result<RunStats, SimError> {
        self.run_mode(base, len, dram, Mode::Stepped)
    }

    /// Write `program` into `dram` at its default base
    /// ([`arch::isa::program::default_base`]: after the DRAM's data and
    /// every byte the program's DMA slots touch) and return that base,
    /// bytes; fails if the program does not fit in DRAM.
    pub fn load_program(&self, program: &[Word], dram: &mut Dram) -> Result<u64, SimError> {
        let base = default_base(&self.cfg, program, dram.data_end());
        fits(program.len(), base, dram)?;
        write_words(dram, base, program.iter().map(|w| Ok::<_, SimError>(*w)))?;
        Ok(base)
    }

    /// [`Machine::load_program`] of a program given as instructions, encoded
    /// straight into `dram` (no copy of the program is made on the host;
    /// the base is [`arch::isa::program::default_base_of`], the same as the
    /// encoded program's). The first instruction that cannot be encoded is
    /// an error, and then `dram` is left as it was.
    pub fn load_instructions(
        &self,
        program: &[Instruction],
        dram: &mut Dram,
    ) -> Result<u64, SimError> {
        let base = default_base_of(&self.cfg, program.iter().copied(), dram.data_end());
        fits(program.len(), base, dram)?;
        let words = program
            .iter()
            .enumerate()
            .map(|(index, i)| i.encode().map_err(|err| SimError::Encode { index, err }));
        if let Err(e) = write_words(dram, base, words) {
            dram.zero(base, program.len() * INSTR_BYTES)?;
            return Err(e);
        }
        Ok(base)
    }

    fn run_mode(
        &mut self,
        base: u64,
        len: usize,
        dram: &mut Dram,
        mode: Mode,
    ) -> Result<RunStats, SimError> {
        let vcd = match self.vcd.take() {
            Some(w) => Some(VcdTrace::new(w)?),
            None => None,
        };
        self.nfu.reseed(self.seed);
        let core = Core::new(&self.cfg, &mut self.bufs, &mut self.nfu, dram, base, len);
        let out = Scheduler::new(core, mode, vcd).run()?;
        self.total.merge(&out.counters);
        let stats = RunStats {
            cycles: out.cycles,
            counters: out.counters,
        };
        self.last = Some(stats.clone());
        match out.error {
            Some(e) => Err(e),
            None => Ok(stats),
        }
    }
}

/// Fail unless a program of `len` instructions at byte `base` fits in `dram`.
fn fits(len: usize, base: u64, dram: &Dram) -> Result<(), SimError> {
    let end = (len as u64)
        .checked_mul(INSTR_BYTES as u64)
        .and_then(|b| b.checked_add(base));
    match end {
        Some(end) if end <= dram.size() => Ok(()),
        _ => Err(SimError::ProgramDoesNotFit {
            len,
            base,
            size: dram.size(),
        }),
    }
}

/// Instruction words written into `dram` from byte `base` on, a page's
/// worth at a time (no image of the whole program is built); the first
/// error stops the writing.
fn write_words<E>(
    dram: &mut Dram,
    base: u64,
    words: impl Iterator<Item = Result<Word, E>>,
) -> Result<(), E>
where
    E: From<SimError>,
{
    const CHUNK: usize = 4096 / INSTR_BYTES;
    let mut buf = Vec::with_capacity(CHUNK * INSTR_BYTES);
    let mut addr = base;
    for w in words {
        buf.extend_from_slice(&word_bytes(&w?));
        if buf.len() == CHUNK * INSTR_BYTES {
            dram.write(addr, &buf)?;
            addr += buf.len() as u64;
            buf.clear();
        }
    }
    dram.write(addr, &buf)?;
    Ok(())
}
