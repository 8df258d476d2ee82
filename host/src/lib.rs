//! # host: the runtime behind the `diannao` command-line program
//!
//! Library side of the `diannao` binary, one module per job, so that each
//! subcommand in `main.rs` is a thin wrapper:
//!
//! * [`atomic`]: write output files atomically (temporary file, then rename);
//! * [`configs`]: resolve `--preset NAME|FILE`, with file/line/field errors,
//!   and render a configuration as an editable TOML or JSON file;
//! * [`presets`]: the preset table and its JSON form, with derived figures;
//! * [`assembly`]: assemble a source file (with `FILE:LINE:COL` errors and a
//!   check against a configuration) and disassemble a binary program.
//!
//! Library code returns typed errors ([`thiserror`]); `main.rs` turns them
//! into one-line `error: ...` messages.

pub mod analyze;
pub mod assembly;
pub mod atomic;
pub mod baseline;
pub mod bench;
pub mod compare;
pub mod configs;
pub mod cpu_energy;
pub mod device;
pub mod hdl_cmd;
pub mod presets;
pub mod report;
pub mod run;
pub mod simulate;
pub mod sweep;
pub mod train;
pub mod train_cost;
pub mod verify;
