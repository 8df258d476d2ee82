//! # backends: one vector, every backend, identical results
//!
//! A [`Vector`] is a program plus a DRAM image, named NVDLA-style by unit,
//! shape, operation and type (`conv_8x8x4_relu_i16`). Every [`Backend`] runs
//! the same vector; [`compare`] demands the same DRAM contents, the same cycle
//! count and the same halt status, and names the first difference.

use arch::isa::fields::Word;
use arch::AccelConfig;
use thiserror::Error;

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Halted after `end` with no error.
    Done,
    /// Halted on an error of `class` (`decode`, `range`, `no_end`) at instruction `index`.
    Error {
        /// Error class name as in docs/microarchitecture.md.
        class: String,
        /// Index of the failing instruction.
        index: usize,
    },
}

/// What a backend reports after running a vector.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Cycles from start to halt.
    pub cycles: u64,
    /// How it ended.
    pub status: Status,
    /// Final contents of the compared DRAM window (bytes from `Vector::window.0`).
    pub dram: Vec<u8>,
}

/// A test vector: one program and one DRAM image on one configuration.
#[derive(Clone, Debug)]
pub struct Vector {
    /// NVDLA-style name: unit_shape_operation_type.
    pub name: String,
    /// Machine configuration.
    pub cfg: AccelConfig,
    /// Raw instruction words (may contain invalid encodings on purpose).
    pub program: Vec<Word>,
    /// Initial DRAM contents as (address, bytes) chunks; the rest is zero.
    pub image: Vec<(u64, Vec<u8>)>,
    /// DRAM window compared after the run: (first byte, length in bytes).
    pub window: (u64, u64),
}

/// A way to execute a vector.
pub trait Backend {
    /// Short name used in reports (`sim`, `rtl`, `verilator`, `icarus`).
    fn name(&self) -> &'static str;
    /// Run the vector from reset to halt.
    fn run(&self, v: &Vector) -> Result<Outcome, BackendError>;
}

/// A backend could not run the vector at all (as opposed to running it and halting on an error).
#[derive(Debug, Error)]
pub enum BackendError {
    /// The backend failed.
    #[error("{backend}: {message}")]
    Failed {
        /// Backend name.
        backend: &'static str,
        /// What went wrong.
        message: String,
    },
}

/// The first difference between two outcomes of the same vector.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// Different cycle counts.
    #[error("{vector}: cycles differ: {a_name} {a} vs {b_name} {b}")]
    Cycles {
        /// Vector name.
        vector: String,
        /// First backend.
        a_name: &'static str,
        /// Its cycles.
        a: u64,
        /// Second backend.
        b_name: &'static str,
        /// Its cycles.
        b: u64,
    },
    /// Different halt status.
    #[error("{vector}: status differs: {a_name} {a} vs {b_name} {b}")]
    Status {
        /// Vector name.
        vector: String,
        /// First backend.
        a_name: &'static str,
        /// Its status.
        a: String,
        /// Second backend.
        b_name: &'static str,
        /// Its status.
        b: String,
    },
    /// Different DRAM contents.
    #[error("{vector}: DRAM differs first at {addr:#x}: {a_name} {a:#04x} vs {b_name} {b:#04x}")]
    Dram {
        /// Vector name.
        vector: String,
        /// Byte address.
        addr: u64,
        /// First backend.
        a_name: &'static str,
        /// Its byte.
        a: u8,
        /// Second backend.
        b_name: &'static str,
        /// Its byte.
        b: u8,
    },
}

/// Demand identical outcomes; name the first difference.
pub fn compare(
    v: &Vector,
    a_name: &'static str,
    a: &Outcome,
    b_name: &'static str,
    b: &Outcome,
) -> Result<(), Mismatch> {
    if a.status != b.status {
        return Err(Mismatch::Status {
            vector: v.name.clone(),
            a_name,
            a: format!("{:?}", a.status),
            b_name,
            b: format!("{:?}", b.status),
        });
    }
    if let Some(i) = a.dram.iter().zip(&b.dram).position(|(x, y)| x != y) {
        return Err(Mismatch::Dram {
            vector: v.name.clone(),
            addr: v.window.0 + i as u64,
            a_name,
            a: a.dram[i],
            b_name,
            b: b.dram[i],
        });
    }
    if a.dram.len() != b.dram.len() {
        let i = a.dram.len().min(b.dram.len());
        return Err(Mismatch::Dram {
            vector: v.name.clone(),
            addr: v.window.0 + i as u64,
            a_name,
            a: a.dram.get(i).copied().unwrap_or(0),
            b_name,
            b: b.dram.get(i).copied().unwrap_or(0),
        });
    }
    if a.cycles != b.cycles {
        return Err(Mismatch::Cycles {
            vector: v.name.clone(),
            a_name,
            a: a.cycles,
            b_name,
            b: b.cycles,
        });
    }
    Ok(())
}

pub mod axi_backend;
pub mod axi_harness;
pub mod icarus_backend;
pub mod rtl;
pub mod rtl_backend;
pub mod sim_backend;
pub mod trace;
pub mod vectors;
pub mod verify;
pub mod verilator_backend;
pub use icarus_backend::IcarusBackend;
pub use rtl_backend::RtlBackend;
pub use sim_backend::SimBackend;
pub use verify::{
    backend, verify_backends, verify_vector, BackendRun, Report, VerifyError, BACKENDS,
};
pub use verilator_backend::VerilatorBackend;
