//! `dma_nbin`, `dma_sb`, `dma_nbout`: one DMA per buffer. Each has a queue of
//! Q slots and one current slot; it starts its queue head when the slot's
//! wait condition holds, requests the port for each row of the current slot,
//! turns a granted row into a memory transfer (a store reads its NBout row
//! in the grant cycle) and performs the row's buffer or DRAM write at the end
//! of its write cycle, counting the slot done with its last row.

use super::buffers::Buffers;
use super::cp::Cp;
use super::port::{narrow, widen, Granted, InFlight, Transfer};
use super::queue::Queue;
use crate::dram::Dram;
use crate::error::SimError;
use arch::events::{Counters, Event};
use arch::isa::{Buffer, DmaOp, DmaSlot};
use arch::AccelConfig;

/// The slot a DMA is transferring.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Current {
    /// The slot.
    pub slot: DmaSlot,
    /// Next transfer row index k (0-based; also the `dma_*.row` VCD value).
    pub next: u64,
    /// Rows in the slot (`n0 * n1 * n2`).
    pub rows: u64,
    /// DRAM bytes per row.
    pub row_bytes: u32,
    /// Port cycles (beats) per row.
    pub beats: u32,
    /// Position of row `next` in the slot's loops: (k0, k1, k2), stepped
    /// without divisions (equal to [`DmaSlot::dram_addr`]'s, which is
    /// checked in debug builds).
    pos: (u64, u64, u64),
}

impl Current {
    /// DRAM byte address of row `next`.
    #[inline]
    fn addr(&self) -> u64 {
        let (k0, k1, k2) = self.pos;
        let s = &self.slot;
        s.dram as u64 + k2 * s.s2 as u64 + k1 * s.s1 as u64 + k0 * self.row_bytes as u64
    }

    /// Step `pos` to the next row.
    #[inline]
    fn step(&mut self) {
        let (n0, n1) = (self.slot.n0.max(1) as u64, self.slot.n1.max(1) as u64);
        let (k0, k1, k2) = &mut self.pos;
        *k0 += 1;
        if *k0 == n0 {
            *k0 = 0;
            *k1 += 1;
            if *k1 == n1 {
                *k1 = 0;
                *k2 += 1;
            }
        }
    }
}

/// What a DMA did at the start of a cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Start {
    /// It has a current slot, or no visible head: nothing to start.
    Idle,
    /// Its head is visible but the wait condition does not hold (`dma_stall_wait`).
    Waiting,
    /// The head became current.
    Started,
}

/// One DMA unit.
pub(crate) struct Dma {
    /// The buffer it serves.
    pub buf: Buffer,
    /// Its queue of dispatched slots.
    pub queue: Queue<DmaSlot>,
    /// The slot being transferred.
    pub cur: Option<Current>,
    /// Load slots completed (seen from the cycle after the last row's write).
    pub loads_done: u64,
    /// Store slots completed (NBout only).
    pub stores_done: u64,
}

impl Dma {
    /// An idle DMA of `buf` with a queue of `depth` slots.
    pub fn new(buf: Buffer, depth: usize) -> Self {
        Dma {
            buf,
            queue: Queue::new(depth),
            cur: None,
            loads_done: 0,
            stores_done: 0,
        }
    }

    /// True if the DMA has nothing queued and nothing current.
    #[inline]
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty() && self.cur.is_none()
    }

    /// True if the DMA requests the port (its current slot has a row left).
    #[inline]
    pub fn requests(&self) -> bool {
        self.cur.is_some()
    }

    /// The `dma_*.row` VCD value: the current slot's next row index, 0 when idle.
    pub fn row_signal(&self) -> u64 {
        self.cur.map(|c| c.next).unwrap_or(0)
    }

    /// Whether the wait condition of queued slot `slot` of instruction `seq`
    /// holds given `nfu_done` completed NFU ops.
    #[inline]
    fn ready(&self, seq: usize, slot: &DmaSlot, nfu_done: u64, cp: &Cp) -> bool {
        let k = match (self.buf, slot.op) {
            // An NBout load waits for every earlier NFU op: its wait is treated as 1.
            (Buffer::Nbout, DmaOp::Load | DmaOp::LoadWiden) => 1,
            (_, op) if !op.is_store() && slot.wait == 0 => return true,
            _ => slot.wait,
        };
        nfu_done >= cp.disp_at(seq as i64 - k as i64).nfu
    }

    /// Cycle `t`: start the queue head if there is no current slot, the head
    /// is visible and its wait holds.
    #[inline]
    pub fn try_start(&mut self, t: u64, cfg: &AccelConfig, nfu_done: u64, cp: &Cp) -> Start {
        if self.cur.is_some() {
            return Start::Idle;
        }
        let Some(h) = self.queue.head_visible(t) else {
            return Start::Idle;
        };
        if !self.ready(h.seq, &h.slot, nfu_done, cp) {
            return Start::Waiting;
        }
        self.queue.pop();
        let row_bytes = self.buf.dram_row_bytes(h.slot.op, cfg);
        self.cur = Some(Current {
            slot: h.slot,
            next: 0,
            rows: h.slot.rows(),
            row_bytes,
            beats: cfg.beats(row_bytes),
            pos: (0, 0, 0),
        });
        Start::Started
    }

    /// The port granted this DMA's next row: address it, and for a store
    /// read the NBout row now (read port B, grant cycle) into a buffer
    /// from `spare` (or a new one).
    #[inline]
    pub fn grant(
        &mut self,
        bufs: &Buffers,
        cnt: &mut Counters,
        spare: &mut Vec<Vec<i32>>,
    ) -> Granted {
        let tn = bufs.tn;
        let c = self.cur.as_mut().expect("granted DMA has a current slot");
        let k = c.next;
        let row = (c.slot.row as u64 + k) as usize;
        let addr = c.addr();
        debug_assert_eq!(addr, c.slot.dram_addr(k, c.row_bytes));
        let beats = c.beats as u64;
        let last = k + 1 == c.rows;
        let transfer = if c.slot.op.is_store() {
            cnt.add(Event::NboutReads, 1);
            let mut data = spare.pop().unwrap_or_default();
            data.clear();
            data.extend_from_slice(&bufs.nbout[row * tn..(row + 1) * tn]);
            Transfer::Store {
                addr,
                narrow: c.slot.op == DmaOp::StoreNarrow,
                data,
            }
        } else {
            Transfer::Load {
                op: c.slot.op,
                row,
                addr,
            }
        };
        c.next += 1;
        c.step();
        if last {
            self.cur = None;
        }
        Granted {
            transfer,
            beats,
            last,
        }
    }

    /// End of the write cycle of row `w`: write the buffer row (load) or the
    /// DRAM bytes (store); the slot completes with its last row. Returns a
    /// store's row buffer, for reuse.
    pub fn write_row(
        &mut self,
        w: InFlight,
        frac: u32,
        bufs: &mut Buffers,
        dram: &mut Dram,
        cnt: &mut Counters,
    ) -> Result<Option<Vec<i32>>, SimError> {
        debug_assert_eq!(w.unit, super::port::Owner::Dma(self.buf));
        let mut spare = None;
        let tn = bufs.tn;
        let store = matches!(w.transfer, Transfer::Store { .. });
        match w.transfer {
            Transfer::Load { op, row, addr } => match (self.buf, op) {
                (Buffer::Nbin, _) => {
                    // isa: nbin.load
                    dram.read_i16s_into(addr, bufs.nbin_row_mut(row))?;
                    cnt.add(Event::NbinWrites, 1);
                    cnt.add(Event::DramReadBytes, 2 * tn as u64);
                }
                (Buffer::Sb, _) => {
                    // isa: sb.load
                    dram.read_i16s_into(addr, bufs.sb_row_mut(row))?;
                    cnt.add(Event::SbWrites, 1);
                    cnt.add(Event::DramReadBytes, 2 * (tn * tn) as u64);
                }
                (Buffer::Nbout, DmaOp::LoadWiden) => {
                    // isa: nbout.loadw
                    let dst = bufs.nbout_row_mut(row);
                    dram.read_i16s_with(addr, tn, |i, x| dst[i] = widen(x, frac))?;
                    cnt.add(Event::NboutWrites, 1);
                    cnt.add(Event::DramReadBytes, 2 * tn as u64);
                }
                (Buffer::Nbout, _) => {
                    // isa: nbout.load
                    dram.read_i32s_into(addr, bufs.nbout_row_mut(row))?;
                    cnt.add(Event::NboutWrites, 1);
                    cnt.add(Event::DramReadBytes, 4 * tn as u64);
                }
            },
            Transfer::Fetch { .. } => {
                return Err(SimError::Internal("a DMA given a fetch row".into()));
            }
            Transfer::Store {
                addr,
                narrow: n,
                data,
            } => {
                if n {
                    // isa: nbout.storen
                    dram.write_i16s_with(addr, tn, |i| narrow(data[i]))?;
                    cnt.add(Event::DramWriteBytes, 2 * tn as u64);
                } else {
                    // isa: nbout.store
                    dram.write_i32s(addr, &data)?;
                    cnt.add(Event::DramWriteBytes, 4 * tn as u64);
                }
                spare = Some(data);
            }
        }
        if w.last {
            if store {
                self.stores_done += 1;
            } else {
                self.loads_done += 1;
            }
        }
        Ok(spare)
    }
}

/// The three DMAs, by name.
pub(crate) struct Dmas {
    /// `dma_nbin`.
    pub nbin: Dma,
    /// `dma_sb`.
    pub sb: Dma,
    /// `dma_nbout`.
    pub nbout: Dma,
}

impl Dmas {
    /// Three idle DMAs with queues of `depth` slots.
    pub fn new(depth: usize) -> Self {
        Dmas {
            nbin: Dma::new(Buffer::Nbin, depth),
            sb: Dma::new(Buffer::Sb, depth),
            nbout: Dma::new(Buffer::Nbout, depth),
        }
    }

    /// The DMA of buffer `b`.
    #[inline]
    pub fn get(&self, b: Buffer) -> &Dma {
        match b {
            Buffer::Nbin => &self.nbin,
            Buffer::Sb => &self.sb,
            Buffer::Nbout => &self.nbout,
        }
    }

    /// The DMA of buffer `b`, mutably.
    #[inline]
    pub fn get_mut(&mut self, b: Buffer) -> &mut Dma {
        match b {
            Buffer::Nbin => &mut self.nbin,
            Buffer::Sb => &mut self.sb,
            Buffer::Nbout => &mut self.nbout,
        }
    }

    /// True if every DMA is idle.
    #[inline]
    pub fn all_idle(&self) -> bool {
        self.nbin.is_idle() && self.sb.is_idle() && self.nbout.is_idle()
    }

    /// True if some DMA requests the port.
    #[inline]
    pub fn any_request(&self) -> bool {
        self.nbin.requests() || self.sb.requests() || self.nbout.requests()
    }
}
