//! `diannao`: the command-line program of the DianNao-style accelerator.
//!
//! Every error is printed as one line, `error: ...`, on stderr, with exit
//! code 1. Output files are written atomically (`host::atomic`).

use anyhow::{Context, Result};
use clap::{CommandFactory, Parser, Subcommand};
use host::configs::{self, Format};
use host::{assembly, atomic, presets};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Tools for a DianNao-style neural-network accelerator: presets, the
/// assembler and disassembler of its instruction set, and the ISA reference.
#[derive(Debug, Parser)]
#[command(name = "diannao", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Compare the accelerator (simulated) with the CPU baseline per layer: time, energy, utilisation, DRAM traffic.
    Compare(host::compare::CompareArgs),
    /// Memory of a model (parameters, inter-layer data) at several batch sizes, as the seed paper's Tables 2-3.
    Analyze(host::analyze::AnalyzeArgs),
    /// Sweep accelerator configurations (Tn, SB size) over a model: utilisation, DRAM traffic, energy, time.
    Sweep(host::sweep::SweepArgs),
    /// Run a model or layer on the cycle-accurate simulator with random data: cycles, utilisation, DRAM traffic, energy (table named in the output; default horowitz45), time, saturations.
    Simulate(host::simulate::SimulateArgs),
    /// Check the simulator against the fixed-point CPU reference bit for bit, layer by layer (exit 1 on any mismatch).
    Verify(host::verify::VerifyArgs),
    /// Measure the simulator's speed (simulated cycles and MACs per wall second, one core) beside the host's f32 throughput.
    Bench(host::bench::BenchArgs),
    /// FPGA flow: emit the Verilog (`hdl emit`), list parts (`hdl parts`), estimate resources with Yosys against a part (`hdl report`).
    Hdl(host::hdl_cmd::HdlArgs),
    /// Train a network on MNIST digits (forward, backward and update on the chosen backend; loss on the host): per-epoch accuracy, metrics and checkpoints.
    Train(host::train::cli::TrainArgs),
    /// List the accelerator presets with their derived figures (rows, on-chip bytes, peak MACs and GOP/s).
    Presets {
        /// Print JSON (an array of configurations, each with a `derived` object) instead of a table.
        #[arg(long)]
        json: bool,
        /// Show these presets or config files (.toml/.json) instead of all built-in presets; repeatable.
        #[arg(long = "preset", value_name = "NAME|FILE")]
        presets: Vec<String>,
    },
    /// Assemble a program (assembly text, see docs/isa.md) into a binary program file.
    Asm {
        /// Assembly source file.
        input: PathBuf,
        /// Binary program file to write (written atomically).
        #[arg(short, long, value_name = "OUT.bin")]
        output: PathBuf,
        /// Preset name or config file the program is checked against (buffer rows, DRAM range, instruction memory).
        #[arg(long, value_name = "NAME|FILE", default_value = "diannao")]
        preset: String,
    },
    /// Disassemble a binary program file into assembly text.
    Disasm {
        /// Binary program file.
        input: PathBuf,
        /// Write the text to this file (atomically) instead of standard output.
        #[arg(short, long, value_name = "OUT.s")]
        output: Option<PathBuf>,
    },
    /// Print the instruction-set reference (the content of docs/isa.md) as Markdown.
    IsaDoc {
        /// Write to this file (atomically) instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Print a configuration as a file you can edit and pass back with `--preset FILE`.
    Config {
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
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => return clap_error(e),
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&format!("{e:#}")));
            ExitCode::from(1)
        }
    }
}

/// Help and version go to stdout with success; every usage error is one line.
fn clap_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        _ => {
            let text = e.to_string();
            // The message is the text before clap's blank line / usage / tip.
            let msg: Vec<&str> = text
                .lines()
                .map(str::trim)
                .take_while(|l| !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("tip:"))
                .collect();
            let msg = msg.join(" ");
            let msg = msg
                .strip_prefix("error:")
                .unwrap_or(&msg)
                .trim()
                .to_string();
            let msg = if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
                || msg.is_empty()
            {
                let subs: Vec<String> = Cli::command()
                    .get_subcommands()
                    .map(|c| c.get_name().to_string())
                    .collect();
                format!("no subcommand given (one of: {})", subs.join(", "))
            } else {
                msg
            };
            eprintln!("error: {} (see `diannao --help`)", one_line(&msg));
            ExitCode::from(1)
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Write `text` to `output` atomically, or to stdout (a closed pipe is not an error).
fn emit(text: &str, output: Option<&Path>) -> Result<()> {
    match output {
        Some(p) => Ok(atomic::write(p, text.as_bytes())?),
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.context("cannot write to standard output"),
            }
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn run(cli: Cli) -> Result<()> {
    match cli.cmd {
        Cmd::Compare(a) => host::compare::main(a),
        Cmd::Analyze(a) => host::analyze::main(a),
        Cmd::Sweep(a) => host::sweep::main(a),
        Cmd::Simulate(a) => emit(&host::simulate::command(&a)?, None),
        Cmd::Verify(a) => Ok(host::verify::command(&a, &mut std::io::stdout().lock())?),
        Cmd::Bench(a) => emit(&host::bench::command(&a)?, None),
        Cmd::Hdl(a) => emit(&host::hdl_cmd::command(&a)?, None),
        Cmd::Train(a) => host::train::cli::main(a),
        Cmd::Presets {
            json,
            presets: names,
        } => {
            let cfgs = if names.is_empty() {
                arch::AccelConfig::presets()
            } else {
                names
                    .iter()
                    .map(|n| configs::resolve(n))
                    .collect::<Result<Vec<_>, _>>()?
            };
            let text = if json {
                presets::json(&cfgs)?
            } else {
                presets::table(&cfgs)
            };
            emit(&text, None)
        }
        Cmd::Asm {
            input,
            output,
            preset,
        } => {
            let cfg = configs::resolve(&preset)?;
            let bytes = read(&input)?;
            let name = input.display().to_string();
            let text = String::from_utf8(bytes).map_err(|e| {
                anyhow::anyhow!(
                    "{name}: not UTF-8 text (byte {})",
                    e.utf8_error().valid_up_to()
                )
            })?;
            let bin = assembly::assemble_to_bytes(&text, &name, &cfg)?;
            atomic::write(&output, &bin)?;
            Ok(())
        }
        Cmd::Disasm { input, output } => {
            let bytes = read(&input)?;
            let text = assembly::disassemble(&bytes, &input.display().to_string())?;
            emit(&text, output.as_deref())
        }
        Cmd::IsaDoc { output } => emit(&arch::isa::doc::markdown(), output.as_deref()),
        Cmd::Config {
            preset,
            json,
            toml: _,
            output,
        } => {
            let cfg = configs::resolve(&preset)?;
            let text = configs::render(&cfg, if json { Format::Json } else { Format::Toml })?;
            emit(&text, output.as_deref())
        }
    }
}
