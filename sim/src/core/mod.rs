//! The accelerator's blocks, with the same names and files as `hdl/src/core/`
//! (the test `tests/block_tree.rs` holds the two trees equal):
//!
//! | file | block |
//! |---|---|
//! | [`cp`] | control processor: start, decode, dispatch, dependency bookkeeping, error status |
//! | [`fetch`] | instruction fetch: DRAM to `imem` (a prefetch buffer) through the port |
//! | [`queue`] | the instruction queues (Q entries) between the CP and each unit |
//! | [`dma`] | `dma_nbin`, `dma_sb`, `dma_nbout`: start condition, row transfer, buffer/DRAM write |
//! | [`port`] | the external memory port: arbiter (DMAs, then fetch), in-flight rows, width conversion |
//! | [`nfu_seq`] | NFU sequencer: op queue, start condition, timing, address generation |
//! | [`nfu`] | NFU datapath: `nfu1` multipliers, `nfu2` adder trees/accumulators, `nfu3` activation |
//! | [`buffers`] | `nbin`, `sb`, `nbout` |
//!
//! [`Core`] wires the blocks: [`Core::control`] evaluates every block's
//! decision of one cycle from the state at its start, in the contract's
//! order (fetch request, cp dispatch, DMA starts, port grant, NFU start). When and how
//! often those are evaluated is the scheduler's business (`crate::scheduler`).

pub mod buffers;
pub(crate) mod cp;
pub(crate) mod dma;
pub(crate) mod fetch;
pub mod nfu;
pub mod nfu_seq;
pub mod port;
pub(crate) mod queue;

use self::buffers::Buffers;
use self::cp::{Cp, CpStep};
use self::dma::{Dmas, Start as DmaStart};
use self::fetch::Fetch;
use self::nfu::{Kernel, Nfu, NfuState};
use self::nfu_seq::{NfuSeq, Start as NfuStart};
use self::port::{grant_code, Owner, Port};
use crate::dram::Dram;
use crate::error::SimError;
use crate::vcd::SignalValues;
use arch::events::{Counters, Event};
use arch::isa::Buffer;
use arch::AccelConfig;

/// Stall events of one cycle (counted once per cycle they persist).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Stalls {
    /// `cp_stall_queue_full`.
    pub cp: bool,
    /// `cp_stall_fetch`.
    pub cp_fetch: bool,
    /// `dma_stall_wait` per DMA (nbin, sb, nbout).
    pub dma_wait: [bool; 3],
    /// `dma_stall_port` per DMA (nbin, sb, nbout).
    pub dma_port: [bool; 3],
    /// The NFU stall event, if any.
    pub nfu: Option<Event>,
}

impl Stalls {
    /// Count these stalls for `n` cycles.
    #[inline]
    pub fn add_to(&self, cnt: &mut Counters, n: u64) {
        if self.cp {
            cnt.add(Event::CpStallQueueFull, n);
        }
        if self.cp_fetch {
            cnt.add(Event::CpStallFetch, n);
        }
        for u in 0..3 {
            if self.dma_wait[u] {
                cnt.add(Event::DmaStallWait, n);
            }
            if self.dma_port[u] {
                cnt.add(Event::DmaStallPort, n);
            }
        }
        if let Some(e) = self.nfu {
            cnt.add(e, n);
        }
    }
}

/// Index of buffer `b` in [`Stalls`]' per-DMA arrays.
fn slot(b: Buffer) -> usize {
    match b {
        Buffer::Nbin => 0,
        Buffer::Sb => 1,
        Buffer::Nbout => 2,
    }
}

/// Every block of one run, wired together.
pub(crate) struct Core<'a> {
    /// The configuration.
    pub cfg: &'a AccelConfig,
    /// NBin, SB, NBout (persist across runs).
    pub bufs: &'a mut Buffers,
    /// LFSRs and NFU-3 tables (persist across runs).
    pub nfu_state: &'a mut NfuState,
    /// External memory.
    pub dram: &'a mut Dram,
    /// Event counters of this run.
    pub cnt: Counters,
    /// Control processor.
    pub cp: Cp,
    /// Instruction fetch unit and `imem`.
    pub fetch: Fetch,
    /// The three DMAs.
    pub dmas: Dmas,
    /// Memory port.
    pub port: Port,
    /// NFU sequencer.
    pub nfu_seq: NfuSeq,
    /// NFU datapath registers.
    pub nfu: Nfu,
    /// VCD values set by this cycle's events (`cp.dispatch`, `port.grant`).
    pub signals: SignalValues,
}

impl<'a> Core<'a> {
    /// Blocks in their reset state, for the `len`-instruction program at
    /// DRAM byte address `base`.
    pub fn new(
        cfg: &'a AccelConfig,
        bufs: &'a mut Buffers,
        nfu_state: &'a mut NfuState,
        dram: &'a mut Dram,
        base: u64,
        len: usize,
    ) -> Self {
        let q = cfg.queue_depth as usize;
        let tn = cfg.tn as usize;
        Core {
            cfg,
            bufs,
            nfu_state,
            dram,
            cnt: Counters::new(),
            cp: Cp::new(len),
            fetch: Fetch::new(cfg, base, len),
            dmas: Dmas::new(q),
            port: Port::default(),
            nfu_seq: NfuSeq::new(q, cfg),
            nfu: Nfu::new(tn),
            signals: SignalValues::default(),
        }
    }

    /// True if the machine halts in cycle `t` (CP stopped before `t`, every
    /// queue and unit idle, nothing in flight).
    #[inline]
    pub fn halted(&self, t: u64) -> bool {
        self.cp.stopped_before(t)
            && self.dmas.all_idle()
            && self.nfu_seq.is_idle()
            && self.port.in_flight.is_empty()
    }

    /// The control decisions of cycle `t`, from the state at its start:
    /// whether any state changed, the stalls of the cycle, and `Some(b)`
    /// if the only change was the port's grant of a row of DMA `b` that is
    /// not its slot's last (the fast scheduler streams the slot's next rows:
    /// [`Core::grant_next_row`]).
    #[inline]
    pub fn control(&mut self, t: u64) -> (bool, Stalls, Option<Buffer>) {
        let mut changed = false;
        let mut grant_last = true;
        let mut st = Stalls::default();
        // fetch request, from the state at the start of the cycle
        let fetch_req = self.fetch.requests(self.cp.pc, self.cp.running());
        // cp
        match self.cp.step(
            t,
            self.cfg,
            &self.fetch,
            fetch_req,
            &mut self.dmas,
            &mut self.nfu_seq.queue,
            &mut self.cnt,
        ) {
            CpStep::Stopped | CpStep::Filling => {}
            CpStep::FetchWait => st.cp_fetch = true,
            CpStep::Started | CpStep::Failed => changed = true,
            CpStep::QueueFull => st.cp = true,
            CpStep::Dispatched => {
                self.signals.cp_dispatch = 1;
                changed = true;
            }
        }
        // DMA starts
        let nfu_done = self.nfu_seq.done;
        for b in Buffer::ALL {
            match self
                .dmas
                .get_mut(b)
                .try_start(t, self.cfg, nfu_done, &self.cp)
            {
                DmaStart::Idle => {}
                DmaStart::Waiting => st.dma_wait[slot(b)] = true,
                DmaStart::Started => changed = true,
            }
        }
        // port
        let dmas = &self.dmas;
        let granted = self
            .port
            .arbitrate(t, |b| dmas.get(b).requests(), fetch_req);
        let changed_before_grant = changed;
        if let Some(o) = granted {
            let g = match o {
                Owner::Dma(b) => {
                    self.dmas
                        .get_mut(b)
                        .grant(self.bufs, &mut self.cnt, &mut self.port.spare_rows)
                }
                Owner::Fetch => self.fetch.grant(&mut self.cnt),
            };
            grant_last = g.last;
            let latency = self.cfg.dram.latency_cycles as u64;
            self.port.accept(t, latency, o, g, &mut self.cnt);
            self.signals.port_grant = grant_code(Some(o));
            changed = true;
        }
        for b in Buffer::ALL {
            if Some(Owner::Dma(b)) != granted && self.dmas.get(b).requests() {
                st.dma_port[slot(b)] = true;
            }
        }
        // nfu
        let mut nfu_started = false;
        match self.nfu_seq.try_start(t, self.cfg, &self.cp, &self.dmas) {
            NfuStart::Idle => {}
            NfuStart::Stalled(e) => st.nfu = Some(e),
            NfuStart::Started => {
                changed = true;
                nfu_started = true;
            }
        }
        let stream = match granted {
            Some(Owner::Dma(b)) if !changed_before_grant && !nfu_started && !grant_last => Some(b),
            _ => None,
        };
        (changed, st, stream)
    }

    /// Grant DMA `b`'s next row in cycle `g`, as [`Core::control`] does when
    /// `b` is the highest-priority requester and the port is free; returns
    /// true if it was the slot's last row.
    #[inline]
    pub fn grant_next_row(&mut self, g: u64, b: Buffer) -> bool {
        let row = self
            .dmas
            .get_mut(b)
            .grant(self.bufs, &mut self.cnt, &mut self.port.spare_rows);
        let last = row.last;
        let latency = self.cfg.dram.latency_cycles as u64;
        self.port
            .accept(g, latency, Owner::Dma(b), row, &mut self.cnt);
        last
    }

    /// Evaluate the NFU's reads in cycles `<= x` with kernel `k`.
    #[inline]
    pub fn evaluate_nfu(&mut self, x: u64, k: Kernel) {
        self.nfu_seq.evaluate(
            x,
            self.bufs,
            &mut self.nfu,
            self.nfu_state,
            &mut self.cnt,
            k,
        );
    }

    /// Write into NBout the NFU outputs due at the end of cycles `<= x`.
    #[inline]
    pub fn write_nfu_outputs(&mut self, x: u64) {
        self.nfu_seq.write_outputs(x, self.bufs, &mut self.cnt);
    }

    /// Perform the oldest in-flight row write if it is due by the end of
    /// cycle `x`, after the NFU reads of cycles up to its write cycle;
    /// returns false if none is due. With `fast`, the NFU's reads and
    /// outputs up to the write cycle are evaluated first (lazy evaluation)
    /// if the write can change what they see: an NBout row, or an NBin or
    /// SB row the running op may read ([`nfu_seq::RunningOp::may_read`]);
    /// an NFU output written in the same cycle as a load row lands after it
    /// (the NFU wins the NBout write port), as in stepped mode. Fetched
    /// instructions and stores (DRAM writes) are not NFU data.
    pub fn write_due_row(&mut self, x: u64, fast: bool) -> Result<bool, SimError> {
        let Some(f) = self.port.front().filter(|f| f.cycle <= x) else {
            return Ok(false);
        };
        let c = f.cycle;
        let seen = match (&f.unit, &f.transfer) {
            // the NFU reads NBout rows and writes its outputs there
            (Owner::Dma(Buffer::Nbout), port::Transfer::Load { .. }) => true,
            (Owner::Dma(b), port::Transfer::Load { row, .. }) => self.nfu_seq.may_read(*b, *row),
            _ => false,
        };
        if fast && seen {
            // reads in cycles <= c see the buffer before this write
            self.evaluate_nfu(c, Kernel::Fast);
            self.write_nfu_outputs(c - 1);
        }
        let w = self.port.pop_written_by(c).expect("due row");
        let frac = self.cfg.frac_bits;
        match w.unit {
            Owner::Dma(b) => {
                let spare =
                    self.dmas
                        .get_mut(b)
                        .write_row(w, frac, self.bufs, self.dram, &mut self.cnt)?;
                self.port.spare_rows.extend(spare);
            }
            Owner::Fetch => self.fetch.write_row(w, self.dram, &mut self.cnt)?,
        }
        Ok(true)
    }

    /// The values of every VCD signal at the end of cycle `t`.
    pub fn sample(&self, t: u64) -> crate::vcd::Signals {
        let ops = &self.nfu_seq.running;
        SignalValues {
            cp_pc: self.cp.pc as u64,
            nfu_busy: ops.iter().any(|r| r.busy_in(t)) as u64,
            nfu_seq: ops.back().map(|r| r.seq as u64).unwrap_or(0),
            dma_nbin_row: self.dmas.nbin.row_signal(),
            dma_sb_row: self.dmas.sb.row_signal(),
            dma_nbout_row: self.dmas.nbout.row_signal(),
            ..self.signals
        }
        .values()
    }
}
