//! # arch: the one definition of the DianNao-style accelerator
//!
//! Everything that the hardware (`hdl/`), the simulator (`sim/`), the code
//! generators (`firmware/`) and the runtime (`runtime/`) must agree on lives here
//! and only here:
//!
//! * [`config`]: the parameter set ([`AccelConfig`]) with derived figures and
//!   validation, and the named presets (`diannao`, `tiny`, `zcu104`, `kv260`);
//! * [`fixed`]: the fixed-point arithmetic (multiply, accumulate, rounding,
//!   saturation, the stochastic-rounding LFSR, output conversion);
//! * [`activation`]: NFU-3's 16-segment piecewise-linear tables;
//! * [`isa`]: the instruction set: slots, field table, binary encoding,
//!   assembly text form, program files;
//! * [`events`]: the names of every event counter;
//! * [`regmap`]: the AXI4-Lite register map of the wrapped accelerator (shared
//!   by the RTL's register slave, the host driver and the docs).
//!
//! This crate depends on no other crate of the project.

pub mod activation;
pub mod config;
pub mod events;
pub mod fixed;
pub mod isa;
pub mod regmap;

pub use config::{AccelConfig, ConfigError, DramTiming, PipelineDepths};
pub use isa::{Instruction, Program};
