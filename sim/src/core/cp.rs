//! `cp`: the control processor: start after the first fetch window, decode
//! and check, dispatch into the unit queues, dependency bookkeeping
//! (`nfu_disp(i)`, ...) and error status (docs/microarchitecture.md,
//! "Instruction fetch" and "Control processor"). The instruction memory it
//! reads is filled by [`super::fetch::Fetch`].

use super::dma::Dmas;
use super::fetch::Fetch;
use super::queue::Queue;
use crate::error::HaltClass;
use arch::events::{Counters, Event};
use arch::isa::{Buffer, CpOp, DmaOp, Instruction, NfuOp, NfuSlot};
use arch::AccelConfig;

/// Cumulative dispatch counts through one instruction (`nfu_disp(i)`, ...).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Disp {
    /// NFU ops.
    pub nfu: u64,
    /// NBin loads.
    pub nbin: u64,
    /// SB loads.
    pub sb: u64,
    /// NBout loads (`load`, `loadw`).
    pub nbout_load: u64,
    /// NBout stores (`store`, `storen`).
    pub nbout_store: u64,
}

/// Control-processor status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// Fetching and dispatching.
    Running,
    /// `end` dispatched at the end of cycle `at`.
    Ended { at: u64 },
    /// Stopped on an error detected in cycle `at`.
    Error {
        at: u64,
        class: HaltClass,
        index: usize,
        message: String,
    },
}

/// A decoded-and-checked instruction, or why it cannot dispatch.
pub(crate) type Held = Result<Instruction, (HaltClass, String)>;

/// The control processor of one run.
pub(crate) struct Cp {
    /// The cycle in which the control processor started (read `imem[0]`), once it has.
    pub start: Option<u64>,
    /// Instruction held (next to dispatch).
    pub pc: usize,
    /// Running, ended or stopped on an error.
    pub status: Status,
    /// `disp[i]`: counts through instruction i.
    pub disp: Vec<Disp>,
    held: Option<(usize, Held)>,
}

impl Cp {
    /// A control processor in its reset state, for a program of `len` instructions.
    pub fn new(len: usize) -> Self {
        Cp {
            start: None,
            pc: 0,
            status: Status::Running,
            disp: Vec::with_capacity(len.min(1 << 20)),
            held: None,
        }
    }

    /// Counts through instruction `i` (zero for `i < 0`).
    #[inline]
    pub fn disp_at(&self, i: i64) -> Disp {
        if i < 0 {
            Disp::default()
        } else {
            self.disp[i as usize]
        }
    }

    /// True while the CP may still dispatch.
    #[inline]
    pub fn running(&self) -> bool {
        self.status == Status::Running
    }

    /// True if the CP stopped (end or error) in a cycle before `t`.
    #[inline]
    pub fn stopped_before(&self, t: u64) -> bool {
        match self.status {
            Status::Running => false,
            Status::Ended { at } | Status::Error { at, .. } => at < t,
        }
    }

    /// Check the held instruction in cycle `t` (docs/microarchitecture.md,
    /// "Instruction fetch", Hold): `None` while it has not landed in
    /// `imem`; else the decoded-and-checked instruction or its error
    /// (cached while it waits).
    /// The result is borrowed from the cache: a waiting instruction is
    /// looked at every event cycle, and copying it (168 bytes) each time was
    /// the largest single cost of the control processor in a profile.
    #[inline]
    pub fn hold(&mut self, t: u64, cfg: &AccelConfig, fetch: &Fetch) -> Option<&Held> {
        if self.held.as_ref().is_some_and(|(pc, _)| *pc == self.pc) {
            return self.held.as_ref().map(|(_, r)| r);
        }
        let r = if self.pc == fetch.len() {
            Err((
                HaltClass::NoEnd,
                format!(
                    "instruction {} is past the end of the {}-instruction program",
                    self.pc,
                    fetch.len()
                ),
            ))
        } else if !fetch.is_fetchable(self.pc) {
            Err((HaltClass::Fetch, fetch.unfetchable(self.pc, cfg)))
        } else {
            let w = fetch.word(self.pc, t)?;
            match Instruction::decode(w) {
                Err(e) => Err((HaltClass::Decode, e.to_string())),
                Ok(ins) => match ins.check(cfg) {
                    Err(e) => Err((HaltClass::Range, e.to_string())),
                    Ok(()) => Ok(ins),
                },
            }
        };
        self.held = Some((self.pc, r));
        self.held.as_ref().map(|(_, r)| r)
    }

    /// Record the error status in cycle `t`.
    pub fn fail(&mut self, t: u64, class: HaltClass, message: String) {
        self.status = Status::Error {
            at: t,
            class,
            index: self.pc,
            message,
        };
    }

    /// Record the dispatch of the held instruction `ins` in cycle `t`.
    #[inline]
    pub fn dispatched(&mut self, t: u64, ins: &Instruction) {
        let mut d = self.disp.last().copied().unwrap_or_default();
        d.nfu += (ins.nfu.op != NfuOp::Nop) as u64;
        d.nbin += (ins.nbin.op != DmaOp::Nop) as u64;
        d.sb += (ins.sb.op != DmaOp::Nop) as u64;
        match ins.dma(Buffer::Nbout).op {
            DmaOp::Nop => {}
            op if op.is_store() => d.nbout_store += 1,
            _ => d.nbout_load += 1,
        }
        self.disp.push(d);
        self.pc += 1;
        if ins.cp == CpOp::End {
            // isa: end
            self.status = Status::Ended { at: t };
        }
    }
}

/// What the control processor did in one cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CpStep {
    /// Stopped (end dispatched or error): nothing to do.
    Stopped,
    /// Not started: the first fetch window is still arriving.
    Filling,
    /// Started in this cycle (reads `imem[0]`).
    Started,
    /// The held instruction has not landed in `imem` yet (`cp_stall_fetch`).
    FetchWait,
    /// The held instruction failed decode or check; the status is set.
    Failed,
    /// A queue the held instruction needs is full (`cp_stall_queue_full`).
    QueueFull,
    /// The held instruction was dispatched (`cp.dispatch` = 1).
    Dispatched,
}

impl Cp {
    /// Cycle `t`: start once the first fetch window has landed
    /// (`fetch_req`: the fetch unit requests the port in `t`); then check
    /// the held instruction and dispatch it if every queue it needs has a
    /// free entry (the fullness is the one at the start of `t`; the entries
    /// are appended at its end).
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn step(
        &mut self,
        t: u64,
        cfg: &AccelConfig,
        fetch: &Fetch,
        fetch_req: bool,
        dmas: &mut Dmas,
        nfu_queue: &mut Queue<NfuSlot>,
        cnt: &mut Counters,
    ) -> CpStep {
        if !self.running() {
            return CpStep::Stopped;
        }
        if self.start.is_none() {
            if !fetch_req && fetch.drained() {
                self.start = Some(t);
                return CpStep::Started;
            }
            return CpStep::Filling;
        }
        let ins = match self.hold(t, cfg, fetch) {
            None => return CpStep::FetchWait,
            Some(Err((class, msg))) => {
                let (class, msg) = (*class, msg.clone());
                self.fail(t, class, msg);
                return CpStep::Failed;
            }
            Some(Ok(ins)) => ins,
        };
        let nfu = ins.nfu.op != NfuOp::Nop;
        let (nbin, sb, nbout) = (
            ins.nbin.op != DmaOp::Nop,
            ins.sb.op != DmaOp::Nop,
            ins.nbout.op != DmaOp::Nop,
        );
        let full = (nbin && dmas.nbin.queue.is_full())
            || (sb && dmas.sb.queue.is_full())
            || (nbout && dmas.nbout.queue.is_full())
            || (nfu && nfu_queue.is_full());
        if full {
            return CpStep::QueueFull;
        }
        // copied once, at dispatch
        let ins = *ins;
        let seq = self.pc;
        if nbin {
            dmas.nbin.queue.push(seq, ins.nbin, t);
        }
        if sb {
            dmas.sb.queue.push(seq, ins.sb, t);
        }
        if nbout {
            dmas.nbout.queue.push(seq, ins.nbout, t);
        }
        if nfu {
            nfu_queue.push(seq, ins.nfu, t);
        }
        self.dispatched(t, &ins);
        cnt.add(Event::Instructions, 1);
        CpStep::Dispatched
    }
}
