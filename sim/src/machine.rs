//! [`Machine`]: one accelerator whose state (buffers, LFSRs, cumulative
//! counters) persists across runs.

use crate::buffers::Buffers;
use crate::core::Core;
use crate::dram::Dram;
use crate::error::SimError;
use crate::nfu::NfuState;
use crate::scheduler::{Mode, Scheduler};
use crate::vcd::VcdTrace;
use arch::events::{Counters, Event};
use arch::isa::fields::{Word, INSTR_BYTES};
use arch::isa::{CpOp, Instruction};
use arch::AccelConfig;
use std::io::Write;

/// Result of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Cycles from start to halt (summed over segments, plus segment loads).
    pub cycles: u64,
    /// Event counters of this run (`cycles` included).
    pub counters: Counters,
    /// imem loads executed.
    pub segments: usize,
}

/// One accelerator (see docs/microarchitecture.md). The buffers, the
/// stochastic-rounding LFSRs and the cumulative counters persist across runs;
/// nothing is reset between runs.
pub struct Machine {
    cfg: AccelConfig,
    bufs: Buffers,
    nfu: NfuState,
    total: Counters,
    vcd: Option<Box<dyn Write>>,
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

    /// Current LFSR state of every lane.
    pub fn lfsr_states(&self) -> Vec<u32> {
        self.nfu.lfsr.iter().map(|l| l.0).collect()
    }

    /// Set every lane's LFSR state (restoring a checkpoint); `states` must
    /// hold one non-zero word per lane.
    pub fn set_lfsr_states(&mut self, states: &[u32]) -> Result<(), SimError> {
        if states.len() != self.nfu.lfsr.len() || states.contains(&0) {
            return Err(SimError::LfsrState {
                lanes: self.nfu.lfsr.len(),
                got: states.len(),
            });
        }
        for (l, s) in self.nfu.lfsr.iter_mut().zip(states) {
            l.0 = *s;
        }
        Ok(())
    }

    /// Counters summed over every run of this machine.
    pub fn total_counters(&self) -> &Counters {
        &self.total
    }

    /// Statistics of the last imem load, including one that ended in an error halt.
    pub fn last_stats(&self) -> Option<&RunStats> {
        self.last.as_ref()
    }

    /// Trace the next run (`run_words`, `run_words_stepped`, or all segments
    /// of `run`) to `w` as VCD; a traced run is simulated in stepped mode.
    pub fn set_vcd(&mut self, w: Option<Box<dyn Write>>) {
        self.vcd = w;
    }

    /// One imem load of raw words (which may be invalid encodings: the
    /// machine then halts with a [`SimError::Halted`] per the contract),
    /// simulated event by event. `program.len()` must not exceed `imem_depth`.
    pub fn run_words(&mut self, program: &[Word], dram: &mut Dram) -> Result<RunStats, SimError> {
        self.run_mode(program, dram, Mode::Fast)
    }

    /// Like [`Machine::run_words`], but evaluating every cycle literally (the
    /// slow reference the fast mode is tested against).
    pub fn run_words_stepped(
        &mut self,
        program: &[Word],
        dram: &mut Dram,
    ) -> Result<RunStats, SimError> {
        self.run_mode(program, dram, Mode::Stepped)
    }

    fn run_mode(
        &mut self,
        program: &[Word],
        dram: &mut Dram,
        mode: Mode,
    ) -> Result<RunStats, SimError> {
        if program.len() > self.cfg.imem_depth as usize {
            return Err(SimError::ProgramTooLong {
                len: program.len(),
                depth: self.cfg.imem_depth,
            });
        }
        let vcd = match self.vcd.take() {
            Some(w) => Some(VcdTrace::new(w)?),
            None => None,
        };
        let core = Core::new(&self.cfg, &mut self.bufs, &mut self.nfu, dram, program);
        let out = Scheduler::new(core, mode, vcd).run()?;
        self.total.merge(&out.counters);
        let stats = RunStats {
            cycles: out.cycles,
            counters: out.counters,
            segments: 1,
        };
        self.last = Some(stats.clone());
        match out.error {
            Some(e) => Err(e),
            None => Ok(stats),
        }
    }

    /// Run a program of any length. It is split into imem loads (segments)
    /// of at most `imem_depth` instructions: a segment ends after each `end`
    /// and when full; a segment that does not end with `end` gets one
    /// appended (so a full segment holds `imem_depth - 1` program
    /// instructions and the `end`). Segments run back to back on this
    /// machine (each drains before the next starts). Loading each segment
    /// after the first costs `L + ceil(words * INSTR_BYTES / BPC)` cycles
    /// (`L` = `dram.latency_cycles`, `BPC` = `dram.bytes_per_cycle`, `words`
    /// = the segment's instruction count), added to `cycles`, `port_busy`
    /// (the `ceil` term) and `dram_read_bytes`.
    pub fn run(&mut self, program: &[Instruction], dram: &mut Dram) -> Result<RunStats, SimError> {
        self.run_segments(program, dram, Mode::Fast)
    }

    /// [`Machine::run`] in stepped mode.
    pub fn run_stepped(
        &mut self,
        program: &[Instruction],
        dram: &mut Dram,
    ) -> Result<RunStats, SimError> {
        self.run_segments(program, dram, Mode::Stepped)
    }

    fn run_segments(
        &mut self,
        program: &[Instruction],
        dram: &mut Dram,
        mode: Mode,
    ) -> Result<RunStats, SimError> {
        let words: Vec<Word> = program
            .iter()
            .enumerate()
            .map(|(index, i)| i.encode().map_err(|err| SimError::Encode { index, err }))
            .collect::<Result<_, _>>()?;
        let end = Instruction::end()
            .encode()
            .map_err(|err| SimError::Encode {
                index: program.len(),
                err,
            })?;
        let segs = split_segments(program, &words, end, self.cfg.imem_depth as usize);
        let mut stats = RunStats {
            cycles: 0,
            counters: Counters::new(),
            segments: 0,
        };
        let vcd = self.vcd.take();
        let shared_vcd = vcd.map(|w| std::rc::Rc::new(std::cell::RefCell::new(w)));
        for (k, seg) in segs.iter().enumerate() {
            if k > 0 {
                let bytes = (seg.len() * INSTR_BYTES) as u64;
                let beats = bytes.div_ceil(self.cfg.dram.bytes_per_cycle as u64);
                let load = self.cfg.dram.latency_cycles as u64 + beats;
                let mut c = Counters::new();
                c.add(Event::Cycles, load);
                c.add(Event::PortBusy, beats);
                c.add(Event::DramReadBytes, bytes);
                stats.cycles += load;
                stats.counters.merge(&c);
                self.total.merge(&c);
            }
            if let Some(v) = &shared_vcd {
                self.vcd = Some(Box::new(SharedWriter(v.clone())));
            }
            let r = self.run_mode(seg, dram, mode);
            let seg_stats = self.last.clone().unwrap_or_default();
            stats.cycles += seg_stats.cycles;
            stats.counters.merge(&seg_stats.counters);
            stats.segments += 1;
            r?;
        }
        self.last = Some(stats.clone());
        Ok(stats)
    }
}

/// Split a program into imem loads (see [`Machine::run`]).
fn split_segments(
    program: &[Instruction],
    words: &[Word],
    end: Word,
    depth: usize,
) -> Vec<Vec<Word>> {
    let mut segs = Vec::new();
    let mut cur: Vec<Word> = Vec::new();
    for (ins, w) in program.iter().zip(words) {
        cur.push(*w);
        if ins.cp == CpOp::End {
            segs.push(std::mem::take(&mut cur));
        } else if cur.len() + 1 == depth {
            cur.push(end);
            segs.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        cur.push(end);
        segs.push(cur);
    }
    segs
}

/// One VCD sink shared by the segments of a run (each segment writes its own
/// header and timestamps from 0).
struct SharedWriter(std::rc::Rc<std::cell::RefCell<Box<dyn Write>>>);

impl Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.borrow_mut().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_split_at_end_and_capacity() {
        let nop = Instruction::default();
        let e = Instruction::end();
        let w = |p: &[Instruction]| p.iter().map(|i| i.encode().unwrap()).collect::<Vec<_>>();
        let endw = e.encode().unwrap();
        let p = vec![nop; 5];
        let s = split_segments(&p, &w(&p), endw, 3);
        assert_eq!(s.iter().map(|x| x.len()).collect::<Vec<_>>(), vec![3, 3, 2]);
        let p = vec![nop, e, nop, e];
        let s = split_segments(&p, &w(&p), endw, 8);
        assert_eq!(s.iter().map(|x| x.len()).collect::<Vec<_>>(), vec![2, 2]);
    }
}
