//! The simulator's typed errors (one-line messages).

use arch::isa::DecodeError;
use arch::ConfigError;
use thiserror::Error;

/// Class of an error halt (the status register's code, see
/// docs/microarchitecture.md, "Errors").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HaltClass {
    /// The word does not decode (`Instruction::decode` fails).
    Decode,
    /// The instruction does not fit the configuration (`Instruction::check` fails).
    Range,
    /// `pc` reached the program length without an `end`.
    NoEnd,
    /// The instruction cannot be fetched: outside DRAM, or `prog_base` odd.
    Fetch,
}

impl HaltClass {
    /// The class name used in messages and reports (`decode`, `range`, `no_end`, `fetch`).
    pub fn name(self) -> &'static str {
        match self {
            HaltClass::Decode => "decode",
            HaltClass::Range => "range",
            HaltClass::NoEnd => "no_end",
            HaltClass::Fetch => "fetch",
        }
    }
}

impl std::fmt::Display for HaltClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything that can go wrong in a simulation.
#[derive(Debug, Error)]
pub enum SimError {
    /// The machine stopped on an error status; it drained and halted in cycle `cycle`.
    #[error("{class} error at instruction {index}, machine halted at cycle {cycle}: {message}")]
    Halted {
        /// Error class.
        class: HaltClass,
        /// Index of the failing instruction.
        index: usize,
        /// Halt cycle T (the run's length in cycles).
        cycle: u64,
        /// What was wrong with the instruction.
        message: String,
    },
    /// The configuration is invalid.
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    /// A DRAM access outside the DRAM.
    #[error("DRAM access of {len} bytes at {addr:#x} exceeds the {size:#x}-byte DRAM")]
    Dram {
        /// First byte address.
        addr: u64,
        /// Length in bytes.
        len: u64,
        /// DRAM size in bytes.
        size: u64,
    },
    /// The program does not fit in DRAM at its base.
    #[error("program of {len} instructions at DRAM byte {base:#x} does not fit in the {size:#x}-byte DRAM")]
    ProgramDoesNotFit {
        /// Instructions.
        len: usize,
        /// DRAM byte address of instruction 0.
        base: u64,
        /// DRAM size in bytes.
        size: u64,
    },
    /// An instruction that cannot be encoded.
    #[error("instruction {index} cannot be encoded: {err}")]
    Encode {
        /// Instruction index.
        index: usize,
        /// Why.
        err: DecodeError,
    },
    /// No energy table by that name.
    #[error("unknown energy table `{name}` (known: {known})")]
    UnknownEnergyTable {
        /// Name asked for.
        name: String,
        /// Names available.
        known: String,
    },
    /// An energy table file that does not parse.
    #[error("energy table `{name}`: {reason}")]
    EnergyTable {
        /// Table name.
        name: String,
        /// Parser message.
        reason: String,
    },
    /// Writing the VCD trace failed.
    #[error("VCD trace: {0}")]
    Vcd(String),
    /// A simulator bug (a state the contract says cannot happen).
    #[error("internal simulator error: {0}")]
    Internal(String),
}
