//! # arch: the one definition of the DianNao-style accelerator
//!
//! Everything that the hardware (`hdl/`), the simulator (`sim/`), the code
//! generators (`firmware/`) and the runtime (`host/`) must agree on lives here
//! and only here:
//!
//! * [`config`]: the parameter set ([`AccelConfig`]) with derived figures and
//!   validation, and the named presets (`diannao`, `tiny`, `zcu104`);
//! * [`fixed`]: the fixed-point arithmetic (multiply, accumulate, rounding,
//!   saturation, the stochastic-rounding LFSR, output conversion);
//! * [`activation`]: NFU-3's 16-segment piecewise-linear tables;
//! * [`isa`]: the instruction set: slots, field table, binary encoding,
//!   assembly text form, program files;
//! * [`events`]: the names of every event counter.
//!
//! This crate depends on no other crate of the project.

pub mod activation;
pub mod config;
pub mod events;
pub mod fixed;
pub mod isa;

pub use config::{AccelConfig, ConfigError, DramTiming, PipelineDepths};
pub use isa::{Instruction, Program};
