//! # runtime: compile, run and measure work on the accelerator
//!
//! The library behind `diannao simulate`, `verify` and every report:
//!
//! * [`run`]: compile a layer, load its DRAM image, run it on the simulator
//!   and measure it, with ONE definition of the per-layer figures
//!   ([`run::LayerFigures`]) and of utilisation ([`run::utilisation`]);
//! * [`simulate`]: a model or layer through [`run`], per layer and in total;
//! * [`graph`]: inference of a whole model graph with its own weights, on
//!   the simulator in fixed point or on the CPU in f32, and the error bound
//!   between the two;
//! * [`npy`]: `.npy` tensors in and out;
//! * [`models`]: load a model by name or file in any format (TOML, SCALE-Sim CSV, ONNX);
//! * [`verify`]: the simulator against the fixed-point reference, and
//!   against the other backends;
//! * [`device`]: the [`device::Device`] trait and its drivers (the board's
//!   AXI register map through mmap, and a simulated AXI device);
//! * [`configs`]: resolve `--preset NAME|FILE`, with file/line/field errors;
//! * [`presets`]: the preset table with derived figures;
//! * [`assembly`]: assemble and disassemble program files;
//! * [`atomic`]: output files written atomically (temporary file, rename).
//!
//! Library code returns typed errors ([`thiserror`]); no clap here.

pub mod assembly;
pub mod atomic;
pub mod board;
pub mod budget;
pub mod configs;
pub mod device;
pub mod dram_plan;
pub mod graph;
pub mod models;
pub mod npy;
pub mod presets;
pub mod run;
pub mod simulate;
pub mod verify;
