//! Names of every event counter, shared by the simulator, the RTL's
//! performance counters and the energy model.

use serde::{Deserialize, Serialize};

macro_rules! events {
    ($( $(#[$doc:meta])* $v:ident = $name:literal ),* $(,)?) => {
        /// One countable event. The discriminant is the counter's index in
        /// [`Counters`] and in the RTL's counter bank.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[repr(usize)]
        pub enum Event { $( $(#[$doc])* $v ),* }
        impl Event {
            /// All events, in counter-index order.
            pub const ALL: &'static [Event] = &[ $( Event::$v ),* ];
            /// The counter's name, as printed in reports, CSV columns and VCDs.
            pub const fn name(self) -> &'static str { match self { $( Event::$v => $name ),* } }
            /// Look an event up by name.
            pub fn from_name(s: &str) -> Option<Event> { match s { $( $name => Some(Event::$v), )* _ => None } }
        }
    };
}

events! {
    /// Clock cycles from start to halt.
    Cycles = "cycles",
    /// Instructions dispatched by the control processor.
    Instructions = "instructions",
    /// Cycles the control processor could not dispatch because a unit queue was full.
    CpStallQueueFull = "cp_stall_queue_full",
    /// Cycles the NFU issued a row pair (one Tn x Tn step).
    NfuBusy = "nfu_busy",
    /// Cycles the NFU head op waited for a DMA load of its own or an earlier instruction.
    NfuStallLoad = "nfu_stall_load",
    /// Cycles the NFU head op waited for an NBout store it depends on.
    NfuStallStore = "nfu_stall_store",
    /// Cycles the NFU head op waited for the previous op to drain the pipeline.
    NfuStallDrain = "nfu_stall_drain",
    /// Multiply-accumulates performed by NFU-1/NFU-2 (Tn*Tn per MAC-mode issue).
    Macs = "macs",
    /// Adder-tree / pooling additions or comparisons performed by NFU-2.
    Nfu2Ops = "nfu2_ops",
    /// Values passed through NFU-3 (one per lane per converted output).
    Nfu3Ops = "nfu3_ops",
    /// Output values that saturated on conversion or in NFU-3.
    Saturations = "saturations",
    /// NBin row reads (Tn words each).
    NbinReads = "nbin_reads",
    /// NBin row writes by its DMA.
    NbinWrites = "nbin_writes",
    /// SB row reads (Tn x Tn words each).
    SbReads = "sb_reads",
    /// SB row writes by its DMA.
    SbWrites = "sb_writes",
    /// NBout row reads (partial sums into NFU-2, or by the store DMA).
    NboutReads = "nbout_reads",
    /// NBout row writes (NFU outputs, or by the load DMA).
    NboutWrites = "nbout_writes",
    /// Bytes read from DRAM.
    DramReadBytes = "dram_read_bytes",
    /// Bytes written to DRAM.
    DramWriteBytes = "dram_write_bytes",
    /// Cycles the memory port was transferring.
    PortBusy = "port_busy",
    /// Cycles a DMA with a ready row waited for the memory port (another DMA held it).
    DmaStallPort = "dma_stall_port",
    /// Cycles a DMA head slot waited for the NFU (its `wait` dependency).
    DmaStallWait = "dma_stall_wait",
    /// Cycles the control processor (after its start) waited for the instruction it holds to land in imem.
    CpStallFetch = "cp_stall_fetch",
    /// Instructions fetched from DRAM into imem (one port row each).
    InstrFetches = "instr_fetches",
}

/// Number of counters.
pub const NUM_EVENTS: usize = Event::ALL.len();

impl Event {
    /// Whether the counter's value over a run is fixed by the program and the
    /// DRAM contents alone, whatever the memory's latencies and throughput
    /// (docs/microarchitecture.md, "Counter definitions"). `cycles` and every
    /// stall counter depend on the timing. `instr_fetches`, `port_busy` and
    /// `dram_read_bytes` include the instruction prefetch, which runs ahead of
    /// the instruction that stops the machine by a timing-dependent amount
    /// unless the whole program fits in `imem`: pass `fits_imem` =
    /// `prog_len <= imem_depth`. Every other counter never depends on it.
    pub fn timing_independent(self, fits_imem: bool) -> bool {
        match self {
            Event::Cycles
            | Event::CpStallQueueFull
            | Event::NfuStallLoad
            | Event::NfuStallStore
            | Event::NfuStallDrain
            | Event::DmaStallPort
            | Event::DmaStallWait
            | Event::CpStallFetch => false,
            Event::InstrFetches | Event::PortBusy | Event::DramReadBytes => fits_imem,
            Event::Instructions
            | Event::NfuBusy
            | Event::Macs
            | Event::Nfu2Ops
            | Event::Nfu3Ops
            | Event::Saturations
            | Event::NbinReads
            | Event::NbinWrites
            | Event::SbReads
            | Event::SbWrites
            | Event::NboutReads
            | Event::NboutWrites
            | Event::DramWriteBytes => true,
        }
    }
}

/// A bank of event counters indexed by [`Event`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters(pub Vec<u64>);

impl Counters {
    /// All zero.
    pub fn new() -> Self {
        Counters(vec![0; NUM_EVENTS])
    }
    /// Read one counter.
    #[inline(always)]
    pub fn get(&self, e: Event) -> u64 {
        self.0.get(e as usize).copied().unwrap_or(0)
    }
    /// Add to one counter.
    #[inline(always)]
    pub fn add(&mut self, e: Event, n: u64) {
        if self.0.len() < NUM_EVENTS {
            self.0.resize(NUM_EVENTS, 0);
        }
        self.0[e as usize] += n;
    }
    /// Add every counter of `other`.
    pub fn merge(&mut self, other: &Counters) {
        for e in Event::ALL {
            self.add(*e, other.get(*e));
        }
    }
    /// (name, value) pairs in index order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        Event::ALL.iter().map(move |e| (e.name(), self.get(*e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn names_are_unique_and_roundtrip() {
        let mut seen = std::collections::HashSet::new();
        for e in Event::ALL {
            assert!(seen.insert(e.name()));
            assert_eq!(Event::from_name(e.name()), Some(*e));
            assert_eq!(Event::ALL[*e as usize], *e);
        }
    }
}
