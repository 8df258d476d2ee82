//! # hdl: rust-hdl description of the DianNao-style accelerator
//!
//! * [`widths`]: every width, offset and encoding the RTL uses, derived from
//!   `arch` (including the queue-entry and tag field tables);
//! * [`core`]: the accelerator's blocks, one file each (control processor,
//!   DMAs, memory port with its row converters, queue, NFU sequencer,
//!   buffers, NFU-1/2/3), the same tree as the simulator's `sim/src/core/`;
//! * [`top`]: the blocks wired into the accelerator ([`top::TinyTop`],
//!   [`top::DiannaoTop`]), with the event counter bank [`counters`];
//! * [`axi`]: the AXI4-Lite register slave, AXI4 memory master, clock gate and
//!   the wrapped top (the register map itself is [`arch::regmap`]);
//! * [`flow`]: Verilog emission, the EDA tool runner ([`flow::eda`]), Yosys
//!   resource estimates, part capacities and board tops;
//! * [`tb`]: testbench-only hardware and harnesses (DRAM model, the
//!   top-plus-DRAM systems, the Verilog test harness, the NFU cycle model).
//!
//! `hdl::flow::emit`, `hdl::flow::synth`, `hdl::flow::parts` and `hdl::flow::board` re-export the
//! [`flow`] modules under their earlier paths.

pub mod axi;
pub mod core;
pub mod counters;
pub mod flow;
pub mod tb;
pub mod top;
pub mod widths;
