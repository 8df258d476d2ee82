//! `queue`: the instruction queues between the control processor and the
//! units (one per DMA, one for the NFU), each of `queue_depth` (Q) entries.
//! An entry appended at the end of cycle t is visible to its unit from cycle
//! t+1; the head leaves the queue at the end of the cycle its unit starts it.

use std::collections::VecDeque;

/// One queued slot of instruction `seq`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry<S> {
    /// Sequence number (instruction index in imem).
    pub seq: usize,
    /// The instruction's slot for this unit.
    pub slot: S,
    /// Cycle at whose end the entry was appended.
    pub enq: u64,
}

/// A bounded FIFO of slots.
#[derive(Clone, Debug)]
pub(crate) struct Queue<S> {
    entries: VecDeque<Entry<S>>,
    depth: usize,
}

impl<S: Copy> Queue<S> {
    /// An empty queue of `depth` entries.
    pub fn new(depth: usize) -> Self {
        Queue {
            entries: VecDeque::with_capacity(depth),
            depth,
        }
    }

    /// True if no entry is free (dispatch to this unit stalls).
    #[inline]
    pub fn is_full(&self) -> bool {
        self.entries.len() >= self.depth
    }

    /// True if the queue holds no entry.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Append slot `slot` of instruction `seq` at the end of cycle `t`.
    #[inline]
    pub fn push(&mut self, seq: usize, slot: S, t: u64) {
        debug_assert!(!self.is_full(), "dispatch into a full queue");
        self.entries.push_back(Entry { seq, slot, enq: t });
    }

    /// The head entry if its unit can see it in cycle `t` (appended before `t`).
    #[inline]
    pub fn head_visible(&self, t: u64) -> Option<Entry<S>> {
        self.entries.front().copied().filter(|h| h.enq < t)
    }

    /// Remove the head (its unit started it).
    #[inline]
    pub fn pop(&mut self) {
        self.entries.pop_front();
    }
}
