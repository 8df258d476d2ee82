//! The tool flow around the RTL: Verilog emission ([`emit`]), the EDA tool
//! runner ([`eda`]: Verilator, Icarus, Yosys), Yosys resource estimates
//! ([`synth`]), the critical-path estimate of the synthesized netlist
//! ([`timing`]), FPGA part capacities ([`parts`]) and board tops ([`board`]).

pub mod board;
pub mod eda;
pub mod emit;
pub mod parts;
pub mod synth;
pub mod timing;
