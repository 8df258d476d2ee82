//! `port`: the one external memory port, its arbiter (three DMAs and the
//! fetch unit) and the width
//! conversion between 32-bit NBout entries and 16-bit DRAM words. A row
//! granted in cycle g holds the port for `beats` cycles (`free` = g + beats)
//! and completes, in grant order, at the end of cycle `g + L + beats - 1`.

use arch::events::{Counters, Event};
use arch::isa::{Buffer, DmaOp};
use std::collections::VecDeque;

/// Arbitration order of the DMAs, highest priority first: NBout, then NBin,
/// then SB; the fetch unit comes after all of them.
pub const PRIORITY: [Buffer; 3] = [Buffer::Nbout, Buffer::Nbin, Buffer::Sb];

/// A requester of the memory port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// The DMA of a buffer.
    Dma(Buffer),
    /// The instruction fetch unit.
    Fetch,
}

/// The `port.grant` VCD code: 0 none, 1 nbin, 2 sb, 3 nbout, 4 fetch.
pub fn grant_code(o: Option<Owner>) -> u64 {
    match o {
        None => 0,
        Some(Owner::Dma(Buffer::Nbin)) => 1,
        Some(Owner::Dma(Buffer::Sb)) => 2,
        Some(Owner::Dma(Buffer::Nbout)) => 3,
        Some(Owner::Fetch) => 4,
    }
}

/// `loadw`: a 16-bit DRAM word widened to an NBout entry, `w << frac`.
#[inline]
pub fn widen(w: i16, frac: u32) -> i32 {
    (w as i32) << frac
}

/// `storen`: the low 16 bits of an NBout entry.
#[inline]
pub fn narrow(e: i32) -> i16 {
    e as i16
}

/// What a granted row does at the end of its write cycle.
#[derive(Clone, Debug)]
pub(crate) enum Transfer {
    /// DRAM to buffer row `row`.
    Load {
        /// The DMA op (`load` or, for NBout, `loadw`).
        op: DmaOp,
        /// Buffer row.
        row: usize,
        /// DRAM byte address.
        addr: u64,
    },
    /// NBout row (read in the grant cycle) to DRAM.
    Store {
        /// DRAM byte address.
        addr: u64,
        /// `storen`: write the low 16 bits of each entry.
        narrow: bool,
        /// The NBout entries read at grant (read port B).
        data: Vec<i32>,
    },
    /// DRAM to `imem`: one instruction.
    Fetch {
        /// Instruction index.
        index: usize,
        /// DRAM byte address.
        addr: u64,
    },
}

/// A granted row: the transfer and its port occupancy.
pub(crate) struct Granted {
    /// What the memory does with the row.
    pub transfer: Transfer,
    /// Port cycles of the row.
    pub beats: u64,
    /// Last row of the slot.
    pub last: bool,
}

/// A granted row in flight through the memory.
#[derive(Clone, Debug)]
pub(crate) struct InFlight {
    /// Cycle at whose end the row is written (buffer or DRAM).
    pub cycle: u64,
    /// The requester (a DMA or the fetch unit).
    pub unit: Owner,
    /// The transfer.
    pub transfer: Transfer,
    /// Last row of its slot (the slot completes with this write).
    pub last: bool,
}

/// The memory port.
#[derive(Clone, Debug, Default)]
pub(crate) struct Port {
    /// First cycle in which the port can grant again.
    pub free: u64,
    /// Granted rows not yet written, in grant (= write) order.
    pub in_flight: VecDeque<InFlight>,
    /// Write cycles of the rows in flight whose write changes what a unit
    /// decides (a slot's last row, every fetched instruction), in order;
    /// the other rows only change data (the fast scheduler's events).
    marks: VecDeque<u64>,
    /// Row buffers of written stores, reused by the next store grants.
    pub spare_rows: Vec<Vec<i32>>,
}

impl Port {
    /// The requester granted in cycle `t`: the requesting DMA of highest
    /// [`PRIORITY`], else the fetch unit if `fetch` requests, if the port is
    /// free; else none.
    #[inline]
    pub fn arbitrate(
        &self,
        t: u64,
        requests: impl Fn(Buffer) -> bool,
        fetch: bool,
    ) -> Option<Owner> {
        if t < self.free {
            return None;
        }
        PRIORITY
            .into_iter()
            .find(|b| requests(*b))
            .map(Owner::Dma)
            .or(fetch.then_some(Owner::Fetch))
    }

    /// Accept row `row` granted to `unit` in cycle `g`, with memory latency
    /// `latency` cycles: the port is busy for the row's beats, and the row
    /// is written at the end of cycle `g + latency + beats - 1`.
    #[inline]
    pub fn accept(&mut self, g: u64, latency: u64, unit: Owner, row: Granted, cnt: &mut Counters) {
        let Granted {
            transfer,
            beats,
            last,
        } = row;
        self.free = g + beats;
        cnt.add(Event::PortBusy, beats);
        let cycle = g + latency + beats - 1;
        debug_assert!(self
            .in_flight
            .back()
            .map(|p| p.cycle < cycle)
            .unwrap_or(true));
        if last || unit == Owner::Fetch {
            self.marks.push_back(cycle);
        }
        self.in_flight.push_back(InFlight {
            cycle,
            unit,
            transfer,
            last,
        });
    }

    /// The oldest row in flight.
    #[inline]
    pub fn front(&self) -> Option<&InFlight> {
        self.in_flight.front()
    }

    /// Write cycle of the oldest row in flight whose write can change a
    /// unit's decision: the last row of a slot (the slot completes) or a
    /// fetched instruction. The rows before it change buffer or DRAM data
    /// only.
    #[inline]
    pub fn next_control_write(&self) -> Option<u64> {
        self.marks.front().copied()
    }

    /// Remove and return the oldest row in flight if it is written at the
    /// end of a cycle `<= x`.
    #[inline]
    pub fn pop_written_by(&mut self, x: u64) -> Option<InFlight> {
        if self.in_flight.front().is_some_and(|w| w.cycle <= x) {
            let w = self.in_flight.pop_front();
            if let Some(w) = &w {
                if w.last || w.unit == Owner::Fetch {
                    let m = self.marks.pop_front();
                    debug_assert_eq!(m, Some(w.cycle));
                }
            }
            w
        } else {
            None
        }
    }
}
