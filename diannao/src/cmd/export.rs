//! `diannao export`: a model in another tool's format (SCALE-Sim topologies).

use anyhow::Result;
use firmware::Model;
use std::path::PathBuf;

/// Formats `diannao export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// SCALE-Sim topology CSV: one row per convolution and classifier
    /// (`firmware::scalesim`).
    Scalesim,
}

/// Arguments of `diannao export`.
#[derive(Debug, Clone, clap::Args)]
pub struct ExportArgs {
    #[arg(long, value_name = "NAME|FILE", help = super::model_help())]
    pub model: String,
    /// Output format.
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Write to this file (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Run `diannao export`: the file, then the layers left out on standard error.
pub fn run(a: ExportArgs) -> Result<()> {
    let model = Model::load(&a.model)?;
    let topology = match a.format {
        ExportFormat::Scalesim => firmware::scalesim::write(&model)?,
    };
    super::emit(&topology.csv, a.out.as_deref())?;
    if !topology.skipped.is_empty() {
        eprintln!(
            "skipped (no SCALE-Sim equivalent): {}",
            topology.skipped.join(", ")
        );
    }
    Ok(())
}
