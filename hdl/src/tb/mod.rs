//! Testbench-only code, apart from the accelerator's blocks in
//! [`crate::core`]: the DRAM model ([`dram`]), the systems that join a top
//! and the DRAM model ([`system`]), the Verilog-level test harness
//! ([`verilog_test`]). The RTL tests' oracle for the NFU is the simulator's
//! functional model, `sim::functional`. Nothing here is emitted into the
//! accelerator's Verilog.

pub mod dram;
pub mod system;
pub mod verilog_test;
