//! `diannao`: the command-line program of the DianNao-style accelerator.
//!
//! This crate only parses arguments and prints: every subcommand is one
//! short file in [`cmd`] that turns its clap arguments into a library call
//! (crates `runtime`, `report`, `train`, `hdl`). Every error is printed as
//! one line, `error: ...`, on stderr, with exit code 1. Output files are
//! written atomically (`runtime::atomic`).

mod cmd;

use clap::{CommandFactory, Parser, Subcommand};
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
    Compare(cmd::compare::CompareArgs),
    /// Memory of a model (parameters, inter-layer data) at several batch sizes, as the seed paper's Tables 2-3.
    Analyze(cmd::analyze::AnalyzeArgs),
    /// Sweep accelerator configurations (Tn, SB size) over a model: utilisation, DRAM traffic, energy, time.
    Sweep(cmd::sweep::SweepArgs),
    /// Run a whole model (ONNX, with its own weights) on a .npy input: fixed point on the cycle-accurate simulator, layer after layer on real data, or f32 on the CPU (`--backend cpu`); cycles, time, energy and saturations per layer; the output as .npy.
    Run(cmd::run::RunArgs),
    /// Run a model or layer on the cycle-accurate simulator with random data: cycles, utilisation, DRAM traffic, energy (table named in the output; default horowitz45), time, saturations.
    Simulate(cmd::simulate::SimulateArgs),
    /// Check the simulator against the fixed-point CPU reference bit for bit, layer by layer (exit 1 on any mismatch).
    Verify(cmd::verify::VerifyArgs),
    /// Measure the simulator's speed (simulated cycles and MACs per wall second, one core) beside the host's f32 throughput.
    Bench(cmd::bench::BenchArgs),
    /// Run a model or layer on an accelerator through the driver (a real board, or `--sim`: the Verilator model of the AXI-wrapped RTL): load, check the preset hash, start, wait with a timeout, read status, counters and the output (which must equal the simulator's); cycles and time per layer.
    Board(cmd::board::BoardArgs),
    /// FPGA flow: emit the Verilog (`hdl emit`), list parts (`hdl parts`), estimate resources with Yosys against a part (`hdl report`).
    Hdl(cmd::hdl::HdlArgs),
    /// Train a network on MNIST or Fashion-MNIST (forward, backward and update on the chosen backend; loss on the host): per-epoch accuracy, metrics and checkpoints.
    Train(cmd::train::TrainArgs),
    /// List the accelerator presets with their derived figures (rows, on-chip bytes, peak MACs and GOP/s).
    Presets(cmd::presets::PresetsArgs),
    /// Assemble a program (assembly text, see docs/isa.md) into a binary program file.
    Asm(cmd::asm::AsmArgs),
    /// Disassemble a binary program file into assembly text.
    Disasm(cmd::disasm::DisasmArgs),
    /// Print the instruction-set reference (the content of docs/isa.md) as Markdown.
    IsaDoc(cmd::isa_doc::IsaDocArgs),
    /// Print a configuration as a file you can edit and pass back with `--preset FILE`.
    Config(cmd::config::ConfigArgs),
    /// Write a model in another tool's format: `--format scalesim`, a SCALE-Sim topology CSV (convolutions and classifiers; the layers left out are named on stderr).
    Export(cmd::export::ExportArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => return clap_error(e),
    };
    // an interrupt (SIGINT, SIGTERM) leaves no partial or temporary output file:
    // results are written atomically, and the temporary files of writes under
    // way are removed before exiting with 128 + SIGINT
    let _ = ctrlc::set_handler(|| {
        runtime::atomic::remove_in_flight();
        eprintln!("error: interrupted; outputs being written were discarded");
        std::process::exit(130);
    });
    let r = match cli.cmd {
        Cmd::Compare(a) => cmd::compare::run(a),
        Cmd::Analyze(a) => cmd::analyze::run(a),
        Cmd::Sweep(a) => cmd::sweep::run(a),
        Cmd::Run(a) => cmd::run::run(a),
        Cmd::Simulate(a) => cmd::simulate::run(a),
        Cmd::Verify(a) => cmd::verify::run(a),
        Cmd::Bench(a) => cmd::bench::run(a),
        Cmd::Board(a) => cmd::board::run(a),
        Cmd::Hdl(a) => cmd::hdl::run(a),
        Cmd::Train(a) => cmd::train::run(a),
        Cmd::Presets(a) => cmd::presets::run(a),
        Cmd::Asm(a) => cmd::asm::run(a),
        Cmd::Disasm(a) => cmd::disasm::run(a),
        Cmd::IsaDoc(a) => cmd::isa_doc::run(a),
        Cmd::Config(a) => cmd::config::run(a),
        Cmd::Export(a) => cmd::export::run(a),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", cmd::one_line(&format!("{e:#}")));
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
            eprintln!("error: {} (see `diannao --help`)", cmd::one_line(&msg));
            ExitCode::from(1)
        }
    }
}
