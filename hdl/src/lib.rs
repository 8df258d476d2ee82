//! hdl
pub mod axi;
pub mod board;
pub mod control;
pub mod emit;
pub mod nfu;
pub mod parts;
pub mod synth;
pub mod top;
pub mod verilog_test;
