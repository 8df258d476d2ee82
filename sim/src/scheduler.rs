//! The event scheduler: decides in which cycles the blocks of
//! [`crate::core`] are evaluated. Stepped mode evaluates every cycle
//! literally; fast mode evaluates the control decisions only in cycles
//! where something can change (time jumps to the next event: DMA or fetch
//! request, row write, an instruction becoming readable, NFU completion) and evaluates NFU issues and buffer writes
//! lazily, in cycle order, just before anything observes them.

use crate::core::cp::Status;
use crate::core::nfu::Kernel;
use crate::core::Core;
use crate::error::SimError;
use crate::vcd::VcdTrace;
use arch::events::{Counters, Event};

/// How time advances.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Jump to the next event; batch NFU evaluation.
    Fast,
    /// Every cycle, literally (reference; required for VCD traces).
    Stepped,
}

/// How a run ended.
pub(crate) struct Outcome {
    /// Cycles T from start to halt.
    pub cycles: u64,
    /// Event counters of the run (`cycles` included).
    pub counters: Counters,
    /// The error halt, if any.
    pub error: Option<SimError>,
}

/// One run of the machine.
pub(crate) struct Scheduler<'a> {
    core: Core<'a>,
    mode: Mode,
    vcd: Option<VcdTrace>,
}

impl<'a> Scheduler<'a> {
    /// A run of `core` (blocks in their reset state, see [`Core::new`]).
    pub fn new(core: Core<'a>, mode: Mode, vcd: Option<VcdTrace>) -> Self {
        let mode = if vcd.is_some() { Mode::Stepped } else { mode };
        Scheduler { core, mode, vcd }
    }

    /// Run to the halt cycle.
    pub fn run(mut self) -> Result<Outcome, SimError> {
        let mut t = 0u64;
        let cycles = loop {
            if self.mode == Mode::Fast && t > 0 {
                self.catch_up(t - 1)?;
                if self
                    .core
                    .nfu_seq
                    .running
                    .as_ref()
                    .is_some_and(|r| r.complete < t)
                {
                    self.core.nfu_seq.complete()?;
                }
            }
            if self.core.halted(t) {
                break t;
            }
            let (changed, stalls) = self.core.control(t);
            let next = match self.mode {
                Mode::Stepped => {
                    self.stepped_data(t)?;
                    self.trace(t)?;
                    t + 1
                }
                Mode::Fast if changed => t + 1,
                Mode::Fast => self.next_event(t)?,
            };
            stalls.add_to(&mut self.core.cnt, next - t);
            t = next;
        };
        if let Some(v) = self.vcd.take() {
            v.finish(cycles)?;
        }
        let mut counters = self.core.cnt;
        counters.add(Event::Cycles, cycles);
        let error = match &self.core.cp.status {
            Status::Error {
                class,
                index,
                message,
                ..
            } => Some(SimError::Halted {
                class: *class,
                index: *index,
                cycle: cycles,
                message: message.clone(),
            }),
            _ => None,
        };
        Ok(Outcome {
            cycles,
            counters,
            error,
        })
    }

    /// VCD: record the signals of cycle `t`, then clear the one-cycle events.
    fn trace(&mut self, t: u64) -> Result<(), SimError> {
        if let Some(v) = &mut self.vcd {
            v.cycle(t, &self.core.sample(t))?;
            self.core.signals.cp_dispatch = 0;
            self.core.signals.port_grant = 0;
        }
        Ok(())
    }

    /// Fast mode: the next cycle in which anything can change, given that
    /// nothing changed in cycle `t`.
    fn next_event(&self, t: u64) -> Result<u64, SimError> {
        let c = &self.core;
        let mut nx = u64::MAX;
        if c.dmas.any_request() || c.fetch.requests(c.cp.pc, c.cp.running()) {
            nx = nx.min(c.port.free.max(t + 1));
        }
        // the held instruction becomes readable two cycles after it landed
        if c.cp.running() && c.cp.start.is_some() {
            if let Some(w) = c.fetch.landed(c.cp.pc) {
                nx = nx.min((w + 2).max(t + 1));
            }
        }
        if let Some(w) = c.port.next_write() {
            nx = nx.min(w + 1);
        }
        if let Some(r) = &c.nfu_seq.running {
            nx = nx.min(r.complete + 1);
        }
        if nx == u64::MAX {
            return Err(SimError::Internal(format!(
                "no event after cycle {t} but the machine has not halted (deadlock)"
            )));
        }
        Ok(nx)
    }

    /// Fast mode: bring data to the state at the start of cycle `x + 1`
    /// (every read in cycles `<= x` evaluated, every write at the end of
    /// cycles `<= x` performed), in cycle order.
    fn catch_up(&mut self, x: u64) -> Result<(), SimError> {
        while self.core.write_due_row(x, true)? {}
        self.core.evaluate_nfu(x, Kernel::Fast);
        self.core.write_nfu_outputs(x);
        Ok(())
    }

    /// Stepped mode: the NFU reads of cycle `t`, then every write at the end of `t`.
    fn stepped_data(&mut self, t: u64) -> Result<(), SimError> {
        self.core.evaluate_nfu(t, Kernel::Plain);
        self.core.write_due_row(t, false)?;
        self.core.write_nfu_outputs(t);
        if self
            .core
            .nfu_seq
            .running
            .as_ref()
            .is_some_and(|r| r.complete == t)
        {
            self.core.nfu_seq.complete()?;
        }
        Ok(())
    }
}
