//! `diannao disasm`: a binary program as assembly text.

use anyhow::Result;
use std::path::PathBuf;

/// Arguments of `diannao disasm`.
#[derive(Debug, clap::Args)]
pub struct DisasmArgs {
    /// Binary program file.
    input: PathBuf,
    /// Write the text to this file (atomically) instead of standard output.
    #[arg(short, long, value_name = "OUT.s")]
    output: Option<PathBuf>,
}

/// Run `diannao disasm`.
pub fn run(a: DisasmArgs) -> Result<()> {
    let bytes = super::read(&a.input)?;
    let text = runtime::assembly::disassemble(&bytes, &a.input.display().to_string())?;
    super::emit(&text, a.output.as_deref())
}
