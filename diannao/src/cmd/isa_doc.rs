//! `diannao isa-doc`: the instruction-set reference (docs/isa.md).

use anyhow::Result;
use std::path::PathBuf;

/// Arguments of `diannao isa-doc`.
#[derive(Debug, clap::Args)]
pub struct IsaDocArgs {
    /// Write to this file (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Run `diannao isa-doc`.
pub fn run(a: IsaDocArgs) -> Result<()> {
    super::emit(&arch::isa::doc::markdown(), a.output.as_deref())
}
