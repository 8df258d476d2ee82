//! Testbench-only code, apart from the accelerator's blocks in
//! [`crate::core`]: the DRAM model ([`dram`]), the systems that join a top
//! and the DRAM model ([`system`]), the Verilog-level test harness
//! ([`verilog_test`]) and the NFU's cycle model used as the RTL tests' oracle
//! ([`nfu_model`]). Nothing here is emitted into the accelerator's Verilog.

pub mod dram;
pub mod nfu_model;
pub mod system;
pub mod verilog_test;
