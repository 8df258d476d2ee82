//! The event scheduler: decides in which cycles the blocks of
//! [`crate::core`] are evaluated. Stepped mode evaluates every cycle
//! literally; fast mode evaluates the control decisions only in cycles
//! where something can change (time jumps to the next event: DMA or fetch
//! request, row write, an instruction becoming readable, an NFU op's completion or last issue) and evaluates NFU issues and buffer writes
//! lazily, in cycle order, just before anything observes them.

use crate::core::cp::Status;
use crate::core::nfu::Kernel;
use crate::core::Core;
use crate::error::SimError;
use crate::vcd::VcdTrace;
use arch::events::{Counters, Event};
use arch::isa::Buffer;

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
                while self
                    .core
                    .nfu_seq
                    .first_to_complete()
                    .is_some_and(|r| r.complete < t)
                {
                    self.core.nfu_seq.complete()?;
                }
            }
            if self.core.halted(t) {
                break t;
            }
            let (changed, stalls, stream) = self.core.control(t);
            let next = match (self.mode, stream) {
                (Mode::Stepped, _) => {
                    self.stepped_data(t)?;
                    self.trace(t)?;
                    t + 1
                }
                (Mode::Fast, Some(b)) => self.stream(t, b)?,
                (Mode::Fast, None) if changed => t + 1,
                (Mode::Fast, None) => self.next_event(t)?,
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

    /// Fast mode: the first cycle after `t` in which a unit can decide
    /// differently from cycle `t` other than by a port grant: the held
    /// instruction becomes readable, a slot completes (its last row's
    /// write) or an instruction lands, or the NFU op completes. `u64::MAX`
    /// if none is due. Writes of the other rows change only data, which is
    /// brought up to date, in cycle order, before anything reads it
    /// ([`Self::catch_up`]).
    fn horizon(&self, t: u64) -> u64 {
        let c = &self.core;
        let mut nx = u64::MAX;
        // the held instruction becomes readable two cycles after it landed
        // (an event only if that is still to come: an instruction readable
        // in `t` that did not dispatch waits on something else)
        if c.cp.running() && c.cp.start.is_some() {
            if let Some(w) = c.fetch.landed(c.cp.pc) {
                if w + 2 > t {
                    nx = nx.min(w + 2);
                }
            }
        }
        if let Some(w) = c.port.next_control_write() {
            nx = nx.min(w + 1);
        }
        // an op completes; the head op may start after the last issue or
        // once overlap rule (b) clears
        let seq = &c.nfu_seq;
        if let Some(r) = seq.first_to_complete() {
            nx = nx.min(r.complete + 1);
        }
        if let Some(r) = seq.running.back() {
            if r.issue_end() > t {
                nx = nx.min(r.issue_end());
            }
        }
        if let Some(r) = seq.retry.filter(|&r| r > t) {
            nx = nx.min(r);
        }
        nx
    }

    /// Fast mode: the only change in cycle `t` was the grant of a row of
    /// DMA `b` that is not its slot's last. Until the [`Self::horizon`]
    /// nothing else can change, so `b` stays the highest-priority requester
    /// and every cycle the port frees is another grant to it: grant those
    /// rows here (up to the slot's last), as [`Core::control`] would in
    /// each of those cycles. Counts `b`'s `dma_stall_port` in the cycles
    /// between the grants (the caller counts the stalls of cycle `t` for
    /// every cycle to the one returned) and returns the cycle after the
    /// last grant.
    fn stream(&mut self, t: u64, b: Buffer) -> Result<u64, SimError> {
        let h = self.horizon(t);
        let store = self
            .core
            .dmas
            .get(b)
            .cur
            .is_some_and(|c| c.slot.op.is_store());
        let (mut g, mut grants) = (t, 0u64);
        loop {
            let next = self.core.port.free;
            if next >= h {
                break;
            }
            if store {
                // a store reads its NBout row in the grant cycle
                self.catch_up(next - 1)?;
            }
            let last = self.core.grant_next_row(next, b);
            g = next;
            grants += 1;
            if last {
                break;
            }
        }
        self.core.cnt.add(Event::DmaStallPort, g - t - grants);
        Ok(g + 1)
    }

    /// Fast mode: the next cycle in which anything can change, given that
    /// nothing changed in cycle `t`.
    fn next_event(&self, t: u64) -> Result<u64, SimError> {
        let c = &self.core;
        let mut nx = self.horizon(t);
        if c.dmas.any_request() || c.fetch.requests(c.cp.pc, c.cp.running()) {
            nx = nx.min(c.port.free.max(t + 1));
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
            .first_to_complete()
            .is_some_and(|r| r.complete == t)
        {
            self.core.nfu_seq.complete()?;
        }
        Ok(())
    }
}
