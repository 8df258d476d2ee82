//! `diannao presets`: the presets with their derived figures.

use anyhow::Result;
use runtime::{configs, presets};

/// Arguments of `diannao presets`.
#[derive(Debug, clap::Args)]
pub struct PresetsArgs {
    /// Print JSON (an array of configurations, each with a `derived` object) instead of a table.
    #[arg(long)]
    json: bool,
    /// Show these presets or config files (.toml/.json) instead of all built-in presets; repeatable.
    #[arg(long = "preset", value_name = "NAME|FILE")]
    presets: Vec<String>,
}

/// Run `diannao presets`.
pub fn run(a: PresetsArgs) -> Result<()> {
    let cfgs = if a.presets.is_empty() {
        arch::AccelConfig::presets()
    } else {
        a.presets
            .iter()
            .map(|n| configs::resolve(n))
            .collect::<Result<Vec<_>, _>>()?
    };
    let text = if a.json {
        presets::json(&cfgs)?
    } else {
        presets::table(&cfgs)
    };
    super::emit(&text, None)
}
