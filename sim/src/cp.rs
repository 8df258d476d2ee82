//! `cp`: the control processor's instruction memory, decode, dispatch
//! bookkeeping and error status.

use crate::error::HaltClass;
use arch::isa::fields::Word;
use arch::isa::{Buffer, CpOp, DmaOp, Instruction, NfuOp};
use arch::AccelConfig;

/// Cumulative dispatch counts through one instruction (`nfu_disp(i)`, ...).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Disp {
    pub nfu: u64,
    pub nbin: u64,
    pub sb: u64,
    pub nbout_load: u64,
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
    words: Vec<Word>,
    /// Instruction held (next to dispatch).
    pub pc: usize,
    pub status: Status,
    /// `disp[i]`: counts through instruction i.
    pub disp: Vec<Disp>,
    held: Option<(usize, Held)>,
}

impl Cp {
    /// A control processor with `words` in imem.
    pub fn new(words: &[Word]) -> Self {
        Cp {
            words: words.to_vec(),
            pc: 0,
            status: Status::Running,
            disp: Vec::with_capacity(words.len()),
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
    pub fn running(&self) -> bool {
        self.status == Status::Running
    }

    /// True if the CP stopped (end or error) in a cycle before `t`.
    pub fn stopped_before(&self, t: u64) -> bool {
        match self.status {
            Status::Running => false,
            Status::Ended { at } | Status::Error { at, .. } => at < t,
        }
    }

    /// Decode and check the held instruction (cached while it waits).
    pub fn hold(&mut self, cfg: &AccelConfig) -> Result<Instruction, (HaltClass, String)> {
        if let Some((pc, r)) = &self.held {
            if *pc == self.pc {
                return r.clone();
            }
        }
        let r = match self.words.get(self.pc) {
            None => Err((
                HaltClass::NoEnd,
                format!(
                    "instruction {} is past the end of the {}-instruction program",
                    self.pc,
                    self.words.len()
                ),
            )),
            Some(w) => match Instruction::decode(w) {
                Err(e) => Err((HaltClass::Decode, e.to_string())),
                Ok(ins) => match ins.check(cfg) {
                    Err(e) => Err((HaltClass::Range, e.to_string())),
                    Ok(()) => Ok(ins),
                },
            },
        };
        self.held = Some((self.pc, r.clone()));
        r
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
            self.status = Status::Ended { at: t };
        }
    }
}
