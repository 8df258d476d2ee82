//! # sim: the cycle-accurate simulator of the DianNao-style accelerator
//!
//! Implements docs/microarchitecture.md exactly: same cycle count, same
//! memory contents and same error status as the RTL in `hdl/`. Block names
//! follow `hdl/`: `cp` ([`cp`]), `nbin`/`sb`/`nbout` ([`buffers`]),
//! `dma_nbin`/`dma_sb`/`dma_nbout` ([`dma`]), `port` ([`port`]), `nfu`
//! ([`nfu`]).
//!
//! [`Machine::run_words`] is event driven: time jumps from event to event
//! (dispatch, DMA start, port grant, row write, NFU start and completion),
//! NFU timing is closed-form, and the NFU's arithmetic is evaluated lazily
//! in issue order just before any buffer write or NBout read that could
//! observe it, so that DMA writes overlapping a running op give exactly
//! what a cycle-by-cycle machine computes. [`Machine::run_words_stepped`] is
//! the plain cycle-by-cycle reference; the test suite holds the two equal.
//!
//! Energy: [`energy`] multiplies the event counters by per-event energy
//! tables stored as TOML data (`sim/energy/*.toml`).

pub(crate) mod cp;
pub(crate) mod dma;
pub(crate) mod engine;

pub mod buffers;
pub mod dram;
pub mod energy;
pub mod error;
pub mod machine;
pub mod nfu;
pub mod port;
pub mod vcd;

pub use dram::Dram;
pub use energy::{energy, EnergyReport, EnergyTable};
pub use error::{HaltClass, SimError};
pub use machine::{Machine, RunStats};
