//! One run of the machine: the cycle logic of every block, evaluated either
//! in every cycle (stepped reference mode) or only in cycles where something
//! can change (fast mode: time jumps to the next event, NFU issues and buffer
//! writes are evaluated lazily, in cycle order, just before anything observes
//! them).

use crate::buffers::Buffers;
use crate::cp::{Cp, Status};
use crate::dma::{DmaEntry, DmaUnit};
use crate::dram::Dram;
use crate::error::SimError;
use crate::nfu::{Kernel, NfuState, PendingOut, RunningOp};
use crate::port::{grant_code, unit_index, PRIORITY};
use crate::vcd::{Signals, VcdTrace};
use arch::events::{Counters, Event};
use arch::isa::fields::Word;
use arch::isa::{Buffer, DmaOp, NfuOp, NfuSlot};
use arch::AccelConfig;
use std::collections::VecDeque;

/// How time advances.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Jump to the next event; batch NFU evaluation.
    Fast,
    /// Every cycle, literally (reference; required for VCD traces).
    Stepped,
}

/// A queued NFU op.
#[derive(Clone, Copy, Debug)]
struct NfuEntry {
    seq: usize,
    slot: NfuSlot,
    enq: u64,
}

/// What a granted row does at the end of its write cycle.
#[derive(Clone, Debug)]
enum WriteKind {
    Load {
        op: DmaOp,
        row: usize,
        addr: u64,
    },
    Store {
        addr: u64,
        narrow: bool,
        data: Vec<i32>,
    },
}

/// A granted row in flight.
#[derive(Clone, Debug)]
struct PendingWrite {
    cycle: u64,
    unit: usize,
    kind: WriteKind,
    last: bool,
}

/// Done counters (completions seen from the next cycle).
#[derive(Clone, Copy, Debug, Default)]
struct Done {
    nbin: u64,
    sb: u64,
    nbout_load: u64,
    nbout_store: u64,
}

/// Stall events of one cycle.
#[derive(Clone, Copy, Debug, Default)]
struct Stalls {
    cp: bool,
    dma_wait: [bool; 3],
    dma_port: [bool; 3],
    nfu: Option<Event>,
}

/// How a run ended.
pub(crate) struct Outcome {
    pub cycles: u64,
    pub counters: Counters,
    pub error: Option<SimError>,
}

pub(crate) struct Engine<'a> {
    cfg: &'a AccelConfig,
    bufs: &'a mut Buffers,
    nfu_st: &'a mut NfuState,
    dram: &'a mut Dram,
    mode: Mode,
    cnt: Counters,
    cp: Cp,
    dma: [DmaUnit; 3],
    nfu_q: VecDeque<NfuEntry>,
    running: Option<RunningOp>,
    nfu_done: u64,
    done: Done,
    port_free: u64,
    pending: VecDeque<PendingWrite>,
    outs: VecDeque<PendingOut>,
    vcd: Option<VcdTrace>,
    sig: Signals,
}

impl<'a> Engine<'a> {
    pub fn new(
        cfg: &'a AccelConfig,
        bufs: &'a mut Buffers,
        nfu_st: &'a mut NfuState,
        dram: &'a mut Dram,
        words: &[Word],
        mode: Mode,
        vcd: Option<VcdTrace>,
    ) -> Self {
        let mode = if vcd.is_some() { Mode::Stepped } else { mode };
        Engine {
            cfg,
            bufs,
            nfu_st,
            dram,
            mode,
            cnt: Counters::new(),
            cp: Cp::new(words),
            dma: [
                DmaUnit::new(Buffer::Nbin),
                DmaUnit::new(Buffer::Sb),
                DmaUnit::new(Buffer::Nbout),
            ],
            nfu_q: VecDeque::new(),
            running: None,
            nfu_done: 0,
            done: Done::default(),
            port_free: 0,
            pending: VecDeque::new(),
            outs: VecDeque::new(),
            vcd,
            sig: [0; 8],
        }
    }

    /// Run to the halt cycle.
    pub fn run(mut self) -> Result<Outcome, SimError> {
        self.trace(0)?;
        let mut t = 1u64;
        let cycles = loop {
            if self.mode == Mode::Fast {
                self.catch_up(t - 1)?;
                if self.running.as_ref().is_some_and(|r| r.complete < t) {
                    self.nfu_complete()?;
                }
            }
            if self.halted(t) {
                break t;
            }
            let (changed, stalls) = self.control(t)?;
            let next = match self.mode {
                Mode::Stepped => {
                    self.stepped_data(t)?;
                    self.trace(t)?;
                    t + 1
                }
                Mode::Fast if changed => t + 1,
                Mode::Fast => self.next_event(t)?,
            };
            self.add_stalls(&stalls, next - t);
            t = next;
        };
        if let Some(v) = self.vcd.take() {
            v.finish(cycles)?;
        }
        self.cnt.add(Event::Cycles, cycles);
        let error = match &self.cp.status {
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
            counters: self.cnt,
            error,
        })
    }

    fn trace(&mut self, t: u64) -> Result<(), SimError> {
        if let Some(v) = &mut self.vcd {
            self.sig[0] = self.cp.pc as u64;
            self.sig[2] = self.running.as_ref().is_some_and(|r| r.busy_in(t)) as u64;
            self.sig[3] = self.running.as_ref().map(|r| r.seq as u64).unwrap_or(0);
            for u in 0..3 {
                self.sig[5 + u] = self.dma[u].cur.map(|c| c.next).unwrap_or(0);
            }
            v.cycle(t, &self.sig)?;
            self.sig[1] = 0;
            self.sig[4] = 0;
        }
        Ok(())
    }

    fn halted(&self, t: u64) -> bool {
        self.cp.stopped_before(t)
            && self
                .dma
                .iter()
                .all(|d| d.queue.is_empty() && d.cur.is_none())
            && self.nfu_q.is_empty()
            && self.running.is_none()
            && self.pending.is_empty()
            && self.outs.is_empty()
    }

    fn add_stalls(&mut self, s: &Stalls, n: u64) {
        if s.cp {
            self.cnt.add(Event::CpStallQueueFull, n);
        }
        for u in 0..3 {
            if s.dma_wait[u] {
                self.cnt.add(Event::DmaStallWait, n);
            }
            if s.dma_port[u] {
                self.cnt.add(Event::DmaStallPort, n);
            }
        }
        if let Some(e) = s.nfu {
            self.cnt.add(e, n);
        }
    }

    /// Fast mode: the next cycle in which anything can change, given that
    /// nothing changed in cycle `t`.
    fn next_event(&self, t: u64) -> Result<u64, SimError> {
        let mut nx = u64::MAX;
        if self.dma.iter().any(|d| d.cur.is_some()) {
            nx = nx.min(self.port_free.max(t + 1));
        }
        if let Some(w) = self.pending.front() {
            nx = nx.min(w.cycle + 1);
        }
        if let Some(r) = &self.running {
            nx = nx.min(r.complete + 1);
        }
        if nx == u64::MAX {
            return Err(SimError::Internal(format!(
                "no event after cycle {t} but the machine has not halted (deadlock)"
            )));
        }
        Ok(nx)
    }

    /// The control decisions of cycle `t`, from the state at its start.
    fn control(&mut self, t: u64) -> Result<(bool, Stalls), SimError> {
        let mut changed = false;
        let mut st = Stalls::default();
        let q = self.cfg.queue_depth as usize;
        // cp
        if self.cp.running() {
            match self.cp.hold(self.cfg) {
                Err((class, msg)) => {
                    self.cp.fail(t, class, msg);
                    changed = true;
                }
                Ok(ins) => {
                    let active = [
                        ins.nbin.op != DmaOp::Nop,
                        ins.sb.op != DmaOp::Nop,
                        ins.nbout.op != DmaOp::Nop,
                    ];
                    let nfu = ins.nfu.op != NfuOp::Nop;
                    let full = (0..3).any(|u| active[u] && self.dma[u].queue.len() >= q)
                        || (nfu && self.nfu_q.len() >= q);
                    if full {
                        st.cp = true;
                    } else {
                        let seq = self.cp.pc;
                        for (u, a) in active.iter().enumerate() {
                            if *a {
                                let slot = *ins.dma(self.dma[u].buf);
                                self.dma[u].queue.push_back(DmaEntry { seq, slot, enq: t });
                            }
                        }
                        if nfu {
                            self.nfu_q.push_back(NfuEntry {
                                seq,
                                slot: ins.nfu,
                                enq: t,
                            });
                        }
                        self.cp.dispatched(t, &ins);
                        self.cnt.add(Event::Instructions, 1);
                        self.sig[1] = 1;
                        changed = true;
                    }
                }
            }
        }
        // DMA starts
        for u in 0..3 {
            if self.dma[u].cur.is_some() {
                continue;
            }
            if let Some(h) = self.dma[u].queue.front().copied() {
                if h.enq < t {
                    if self.dma[u].ready(&h, self.nfu_done, &self.cp) {
                        self.dma[u].queue.pop_front();
                        self.dma[u].cur = Some(self.dma[u].current(&h, self.cfg));
                        changed = true;
                    } else {
                        st.dma_wait[u] = true;
                    }
                }
            }
        }
        // port
        let mut granted = None;
        if t >= self.port_free {
            granted = PRIORITY
                .iter()
                .map(|b| unit_index(*b))
                .find(|u| self.dma[*u].cur.is_some());
            if let Some(u) = granted {
                self.grant(u, t);
                changed = true;
            }
        }
        for u in 0..3 {
            if Some(u) != granted && self.dma[u].cur.is_some() {
                st.dma_port[u] = true;
            }
        }
        // nfu
        if let Some(h) = self.nfu_q.front().copied() {
            if h.enq < t {
                let d = self.cp.disp_at(h.seq as i64);
                let loads = self.done.nbin >= d.nbin
                    && self.done.sb >= d.sb
                    && self.done.nbout_load >= d.nbout_load;
                let store = h.slot.wait == 0
                    || self.done.nbout_store
                        >= self
                            .cp
                            .disp_at(h.seq as i64 - h.slot.wait as i64)
                            .nbout_store;
                if self.running.is_some() {
                    st.nfu = Some(Event::NfuStallDrain);
                } else if !loads {
                    st.nfu = Some(Event::NfuStallLoad);
                } else if !store {
                    st.nfu = Some(Event::NfuStallStore);
                } else {
                    self.nfu_q.pop_front();
                    self.running = Some(RunningOp::new(h.seq, h.slot, t, self.cfg));
                    changed = true;
                }
            }
        }
        Ok((changed, st))
    }

    /// Grant the port to DMA `u` in cycle `g`.
    fn grant(&mut self, u: usize, g: u64) {
        let tn = self.bufs.tn;
        let d = &mut self.dma[u];
        let c = d.cur.as_mut().expect("granted DMA has a current slot");
        let k = c.next;
        let row = (c.slot.row as u64 + k) as usize;
        let addr = c.slot.dram_addr(k, c.row_bytes);
        let beats = c.beats as u64;
        let last = k + 1 == c.rows;
        let kind = if c.slot.op.is_store() {
            let data = self.bufs.nbout[row * tn..(row + 1) * tn].to_vec();
            self.cnt.add(Event::NboutReads, 1);
            WriteKind::Store {
                addr,
                narrow: c.slot.op == DmaOp::StoreNarrow,
                data,
            }
        } else {
            WriteKind::Load {
                op: c.slot.op,
                row,
                addr,
            }
        };
        c.next += 1;
        if last {
            d.cur = None;
        }
        self.port_free = g + beats;
        self.cnt.add(Event::PortBusy, beats);
        let cycle = g + self.cfg.dram.latency_cycles as u64 + beats - 1;
        debug_assert!(self.pending.back().map(|p| p.cycle < cycle).unwrap_or(true));
        self.pending.push_back(PendingWrite {
            cycle,
            unit: u,
            kind,
            last,
        });
        self.sig[4] = grant_code(Some(self.dma[u].buf));
    }

    /// Perform a row write (end of its write cycle).
    fn apply(&mut self, w: PendingWrite) -> Result<(), SimError> {
        let tn = self.bufs.tn;
        let is_store = matches!(w.kind, WriteKind::Store { .. });
        match w.kind {
            WriteKind::Load { op, row, addr } => match (w.unit, op) {
                (0, _) => {
                    let v = self.dram.read_i16s(addr, tn)?;
                    self.bufs.nbin_row_mut(row).copy_from_slice(&v);
                    self.cnt.add(Event::NbinWrites, 1);
                    self.cnt.add(Event::DramReadBytes, 2 * tn as u64);
                }
                (1, _) => {
                    let v = self.dram.read_i16s(addr, tn * tn)?;
                    self.bufs.sb_row_mut(row).copy_from_slice(&v);
                    self.cnt.add(Event::SbWrites, 1);
                    self.cnt.add(Event::DramReadBytes, 2 * (tn * tn) as u64);
                }
                (_, DmaOp::LoadWiden) => {
                    let v = self.dram.read_i16s(addr, tn)?;
                    let frac = self.cfg.frac_bits;
                    for (e, x) in self.bufs.nbout_row_mut(row).iter_mut().zip(v) {
                        *e = (x as i32) << frac;
                    }
                    self.cnt.add(Event::NboutWrites, 1);
                    self.cnt.add(Event::DramReadBytes, 2 * tn as u64);
                }
                _ => {
                    let v = self.dram.read_i32s(addr, tn)?;
                    self.bufs.nbout_row_mut(row).copy_from_slice(&v);
                    self.cnt.add(Event::NboutWrites, 1);
                    self.cnt.add(Event::DramReadBytes, 4 * tn as u64);
                }
            },
            WriteKind::Store { addr, narrow, data } => {
                if narrow {
                    let v: Vec<i16> = data.iter().map(|x| *x as i16).collect();
                    self.dram.write_i16s(addr, &v)?;
                    self.cnt.add(Event::DramWriteBytes, 2 * tn as u64);
                } else {
                    self.dram.write_i32s(addr, &data)?;
                    self.cnt.add(Event::DramWriteBytes, 4 * tn as u64);
                }
            }
        }
        if w.last {
            match w.unit {
                0 => self.done.nbin += 1,
                1 => self.done.sb += 1,
                _ if is_store => self.done.nbout_store += 1,
                _ => self.done.nbout_load += 1,
            }
        }
        Ok(())
    }

    /// Apply NFU outputs written at the end of cycles `<= x`.
    fn flush_outs(&mut self, x: u64) {
        while self.outs.front().is_some_and(|o| o.cycle <= x) {
            let o = self.outs.pop_front().expect("front exists");
            self.bufs.nbout_row_mut(o.row).copy_from_slice(&o.data);
            self.cnt.add(Event::NboutWrites, 1);
        }
    }

    fn advance_nfu(&mut self, x: u64, k: Kernel) {
        if let Some(r) = &mut self.running {
            r.advance(x, self.bufs, self.nfu_st, &mut self.cnt, &mut self.outs, k);
        }
    }

    /// Fast mode: bring data to the state at the start of cycle `x + 1`
    /// (every read in cycles `<= x` evaluated, every write at the end of
    /// cycles `<= x` performed), in cycle order.
    fn catch_up(&mut self, x: u64) -> Result<(), SimError> {
        while self.pending.front().is_some_and(|w| w.cycle <= x) {
            let w = self.pending.pop_front().expect("front exists");
            // reads in cycles <= w.cycle see the buffer before this write
            self.advance_nfu(w.cycle, Kernel::Fast);
            // an NFU output written in the same cycle as a load row lands
            // after it (the NFU wins the NBout write port), as in stepped mode
            self.flush_outs(w.cycle - 1);
            self.apply(w)?;
        }
        self.advance_nfu(x, Kernel::Fast);
        self.flush_outs(x);
        Ok(())
    }

    fn nfu_complete(&mut self) -> Result<(), SimError> {
        let r = self.running.take().expect("running op");
        if !r.all_issued() {
            return Err(SimError::Internal(format!(
                "NFU op {} completed with issues left",
                r.seq
            )));
        }
        self.nfu_done += 1;
        Ok(())
    }

    /// Stepped mode: the NFU reads of cycle `t`, then every write at the end of `t`.
    fn stepped_data(&mut self, t: u64) -> Result<(), SimError> {
        self.advance_nfu(t, Kernel::Plain);
        if self.pending.front().is_some_and(|w| w.cycle == t) {
            let w = self.pending.pop_front().expect("front exists");
            self.apply(w)?;
        }
        self.flush_outs(t);
        if self.running.as_ref().is_some_and(|r| r.complete == t) {
            self.nfu_complete()?;
        }
        Ok(())
    }
}
