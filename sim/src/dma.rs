//! `dma_nbin`, `dma_sb`, `dma_nbout`: per-buffer DMA queues, current slots
//! and start conditions.

use crate::cp::Cp;
use arch::isa::{Buffer, DmaOp, DmaSlot};
use arch::AccelConfig;
use std::collections::VecDeque;

/// A queued DMA slot.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DmaEntry {
    /// Sequence number (instruction index).
    pub seq: usize,
    pub slot: DmaSlot,
    /// Cycle at whose end it was enqueued.
    pub enq: u64,
}

/// The slot a DMA is transferring.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Current {
    pub slot: DmaSlot,
    /// Next transfer row index k.
    pub next: u64,
    /// Rows in the slot.
    pub rows: u64,
    /// DRAM bytes per row.
    pub row_bytes: u32,
    /// Port cycles per row.
    pub beats: u32,
}

/// One DMA unit.
pub(crate) struct DmaUnit {
    pub buf: Buffer,
    pub queue: VecDeque<DmaEntry>,
    pub cur: Option<Current>,
}

impl DmaUnit {
    /// An idle DMA of `buf`.
    pub fn new(buf: Buffer) -> Self {
        DmaUnit {
            buf,
            queue: VecDeque::new(),
            cur: None,
        }
    }

    /// The current slot made from queue entry `e`.
    pub fn current(&self, e: &DmaEntry, cfg: &AccelConfig) -> Current {
        let row_bytes = self.buf.dram_row_bytes(e.slot.op, cfg);
        Current {
            slot: e.slot,
            next: 0,
            rows: e.slot.rows(),
            row_bytes,
            beats: cfg.beats(row_bytes),
        }
    }

    /// Whether the wait condition of entry `e` holds given `nfu_done`.
    pub fn ready(&self, e: &DmaEntry, nfu_done: u64, cp: &Cp) -> bool {
        let k = match (self.buf, e.slot.op) {
            // An NBout load waits for every earlier NFU op: its wait is treated as 1.
            (Buffer::Nbout, DmaOp::Load | DmaOp::LoadWiden) => 1,
            (_, op) if !op.is_store() && e.slot.wait == 0 => return true,
            _ => e.slot.wait,
        };
        nfu_done >= cp.disp_at(e.seq as i64 - k as i64).nfu
    }
}
