//! AXI interfaces around the accelerator core (docs/boards.md): the register
//! map (`arch::regmap`, defined once for HDL, docs and host), the AXI4-Lite
//! register slave ([`lite`]), the AXI4 memory master with the program loader
//! ([`master`]), the core's clock gate ([`gate`]) and the wrapped top
//! ([`wrapper`]).

pub mod gate;
pub mod lite;
pub mod master;

pub mod wrapper;
