//! # sim: the cycle-accurate simulator of the DianNao-style accelerator
//!
//! Implements docs/microarchitecture.md exactly: same cycle count, same
//! memory contents and same error status as the RTL in `hdl/`. The blocks
//! live in [`core`] with the same names and files as `hdl/src/core/`: `cp`,
//! `queue`, `dma` (`dma_nbin`/`dma_sb`/`dma_nbout`), `port`, `nfu_seq`,
//! `nfu` (`nfu1`/`nfu2`/`nfu3`) and `buffers` (`nbin`/`sb`/`nbout`); each
//! block holds its own state and cycle behaviour.
//!
//! [`Machine::run_words`] is event driven (`scheduler`): time jumps from
//! event to event (dispatch, DMA start, port grant, row write, NFU start and
//! completion), NFU timing is closed-form, and the NFU's arithmetic is
//! evaluated lazily in issue order just before any buffer write or NBout
//! read that could observe it, so that DMA writes overlapping a running op
//! give exactly what a cycle-by-cycle machine computes.
//! [`Machine::run_words_stepped`] is the plain cycle-by-cycle reference; the
//! test suite holds the two equal.
//!
//! The NFU's instruction semantics exist once ([`core::nfu`]); [`functional`]
//! is the untimed model built on them, used by firmware's interpreter and as
//! the RTL NFU tests' oracle.
//!
//! Energy: [`energy`] multiplies the event counters by per-event energy
//! tables stored as TOML data (`sim/energy/*.toml`).

#![warn(missing_docs)]

pub mod core;
pub mod functional;
pub(crate) mod scheduler;

pub mod dram;
pub mod energy;
pub mod error;
pub mod machine;
pub mod simd;
pub mod vcd;

/// The on-chip buffers (moved to [`core::buffers`]; this path stays).
pub use crate::core::buffers;
/// The NFU datapath (moved to [`core::nfu`]; this path stays).
pub use crate::core::nfu;
/// The memory port (moved to [`core::port`]; this path stays).
pub use crate::core::port;

pub use dram::Dram;
pub use energy::{energy, EnergyReport, EnergyTable};
pub use error::{HaltClass, SimError};
pub use machine::{Encoded, Machine, RunStats};
