//! # report: reports and analyses of the accelerator
//!
//! * [`compare`]: accelerator vs CPU per layer (time, speedup, energy,
//!   utilisation, DRAM traffic), inference or a whole training step;
//! * [`sweep`]: design-space sweeps over Tn and buffer sizes;
//! * [`analyze`]: parameter memory and inter-layer data (the seed paper's
//!   Tables 2 and 3);
//! * [`inference`]: `diannao run`, a whole model with its own weights on a `.npy` input;
//! * [`bench`]: the simulator's own speed beside the host's f32 throughput;
//! * [`simulate`] and [`hdl`]: the text, CSV and JSON renderings of a
//!   simulation and of a synthesis report;
//! * [`output`]: an output directory written completely or not at all, CSV
//!   and Markdown tables, log-scale SVG bar charts.
//!
//! No clap here: the `diannao` binary parses arguments and calls these.

pub mod analyze;
pub mod bench;
pub mod compare;
pub mod hdl;
pub mod inference;
pub mod output;
pub mod search;
pub mod simulate;
pub mod sweep;

pub use output::{csv, csv_field, log_bar_chart, markdown_table, sig, OutDir, ReportError};
