//! `diannao asm`: assemble a program file.

use anyhow::Result;
use runtime::{assembly, atomic, configs};
use std::path::PathBuf;

/// Arguments of `diannao asm`.
#[derive(Debug, clap::Args)]
pub struct AsmArgs {
    /// Assembly source file.
    input: PathBuf,
    /// Binary program file to write (written atomically).
    #[arg(short, long, value_name = "OUT.bin")]
    output: PathBuf,
    /// Preset name or config file the program is checked against (buffer rows, DRAM range, instruction memory).
    #[arg(long, value_name = "NAME|FILE", default_value = "diannao")]
    preset: String,
}

/// Run `diannao asm`.
pub fn run(a: AsmArgs) -> Result<()> {
    let cfg = configs::resolve(&a.preset)?;
    let bytes = super::read(&a.input)?;
    let name = a.input.display().to_string();
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{name}: not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    let bin = assembly::assemble_to_bytes(&text, &name, &cfg)?;
    atomic::write(&a.output, &bin)?;
    Ok(())
}
