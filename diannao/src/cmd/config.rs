//! `diannao config`: a configuration as an editable file.

use anyhow::Result;
use runtime::configs::{self, Format};
use std::path::PathBuf;

/// Arguments of `diannao config`.
#[derive(Debug, clap::Args)]
pub struct ConfigArgs {
    /// Preset name or config file to start from.
    #[arg(long, value_name = "NAME|FILE", default_value = "diannao")]
    preset: String,
    /// JSON output.
    #[arg(long, conflicts_with = "toml")]
    json: bool,
    /// TOML output (the default).
    #[arg(long)]
    toml: bool,
    /// Write to this file (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Run `diannao config`.
pub fn run(a: ConfigArgs) -> Result<()> {
    let cfg = configs::resolve(&a.preset)?;
    let text = configs::render(&cfg, if a.json { Format::Json } else { Format::Toml })?;
    super::emit(&text, a.output.as_deref())
}
