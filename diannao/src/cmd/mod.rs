//! One module per subcommand: its clap arguments and a `run` that calls the
//! library and prints. Shared here: writing output and parsing lists.

pub mod analyze;
pub mod asm;
pub mod bench;
pub mod board;
pub mod compare;
pub mod config;
pub mod disasm;
pub mod export;
pub mod hdl;
pub mod isa_doc;
pub mod presets;
pub mod run;
pub mod simulate;
pub mod sweep;
pub mod train;
pub mod verify;

use anyhow::{bail, Context, Result};
use std::io::Write;
use std::path::Path;

/// The help of every `--model` option: the built-in names come from
/// `firmware::model::BUILTIN`.
pub fn model_help() -> String {
    format!(
        "Built-in model ({}) or model file (.toml, or .csv: a SCALE-Sim topology)",
        firmware::model::BUILTIN.join(", ")
    )
}

/// Collapse whitespace (newlines included) so that an error is one line.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Write `text` to `output` atomically, or to stdout (a closed pipe is not an error).
pub fn emit(text: &str, output: Option<&Path>) -> Result<()> {
    match output {
        Some(p) => Ok(runtime::atomic::write(p, text.as_bytes())?),
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.context("cannot write to standard output"),
            }
        }
    }
}

/// The bytes of `path`, or an error naming it.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Parse a comma-separated list of positive integers (`what` names the option).
pub fn parse_list(what: &str, s: &str) -> Result<Vec<u64>> {
    let v: Vec<u64> = s
        .split(',')
        .map(|t| {
            let t = t.trim();
            match t.parse::<u64>() {
                Ok(0) => bail!("{what}: values must be at least 1, got 0"),
                Ok(v) => Ok(v),
                Err(_) => bail!("{what}: `{t}` is not a positive integer"),
            }
        })
        .collect::<Result<_>>()?;
    if v.is_empty() {
        bail!("{what}: empty list");
    }
    Ok(v)
}
