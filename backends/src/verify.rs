//! `diannao verify --backends sim,rtl,verilator,icarus,verilator-axi`: one
//! layer vector on several backends, demanding the identical whole DRAM
//! image and status, and the identical cycle count from every backend that
//! implements the contract's memory timing.

use crate::axi_backend::AxiBackend;
use crate::{
    compare, compare_memory, vectors, Backend, BackendError, IcarusBackend, Mismatch, Outcome,
    RtlBackend, SimBackend, Vector, VerilatorBackend,
};
use arch::AccelConfig;
use firmware::LayerSpec;
use std::time::Instant;
use thiserror::Error;

/// Backend names [`backend`] accepts.
pub const BACKENDS: [&str; 6] = [
    "sim",
    "sim-stepped",
    "rtl",
    "verilator",
    "icarus",
    "verilator-axi",
];

/// The backend called `name` (see [`BACKENDS`]).
pub fn backend(name: &str) -> Result<Box<dyn Backend>, VerifyError> {
    Ok(match name {
        "sim" => Box::new(SimBackend { stepped: false }),
        "sim-stepped" => Box::new(SimBackend { stepped: true }),
        "rtl" => Box::new(RtlBackend::default()),
        "verilator" => Box::new(VerilatorBackend::default()),
        "icarus" => Box::new(IcarusBackend::default()),
        "verilator-axi" => Box::new(AxiBackend::default()),
        _ => return Err(VerifyError::UnknownBackend(name.to_string())),
    })
}

/// One backend's run of the vector.
#[derive(Clone, Debug)]
pub struct BackendRun {
    /// Backend name.
    pub backend: &'static str,
    /// What it produced.
    pub outcome: Outcome,
    /// Its cycle count was compared (see [`Backend::cycle_exact`]).
    pub cycles_compared: bool,
    /// Wall-clock time of the run, seconds (informational).
    pub seconds: f64,
}

/// Every backend agreed on this vector.
#[derive(Clone, Debug)]
pub struct Report {
    /// Vector name (NVDLA style).
    pub vector: String,
    /// Instructions of the vector's program.
    pub instructions: usize,
    /// Non-zero bytes of the first run's final DRAM image (the whole image
    /// is compared; this says it is not trivially empty).
    pub nonzero_bytes: u64,
    /// The runs, in the order asked for; the first is the reference.
    pub runs: Vec<BackendRun>,
}

/// Why verification failed.
#[derive(Debug, Error)]
pub enum VerifyError {
    /// No such backend.
    #[error("unknown backend `{0}` (known: {known})", known = BACKENDS.join(", "))]
    UnknownBackend(String),
    /// Fewer than one backend asked for.
    #[error("no backend given")]
    NoBackend,
    /// The layer could not be turned into a vector.
    #[error("cannot build the vector: {0}")]
    Vector(String),
    /// A backend could not run the vector.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// Two backends disagreed (the runs so far are in `report`).
    #[error("{mismatch}")]
    Mismatch {
        /// The first difference.
        mismatch: Mismatch,
        /// Runs made, the disagreeing one last.
        report: Report,
    },
}

/// Run vector `v` on `backends` (names, see [`BACKENDS`]) and compare each with the first.
pub fn verify_vector(v: &Vector, backends: &[&str]) -> Result<Report, VerifyError> {
    let bs: Vec<Box<dyn Backend>> = backends
        .iter()
        .map(|n| backend(n))
        .collect::<Result<_, _>>()?;
    if bs.is_empty() {
        return Err(VerifyError::NoBackend);
    }
    let mut report = Report {
        vector: v.name.clone(),
        instructions: v.program.len(),
        nonzero_bytes: 0,
        runs: Vec::new(),
    };
    for b in &bs {
        let t0 = Instant::now();
        let outcome = b.run(v)?;
        let exact = b.cycle_exact() && bs[0].cycle_exact();
        let run = BackendRun {
            backend: b.name(),
            outcome,
            cycles_compared: exact,
            seconds: t0.elapsed().as_secs_f64(),
        };
        let cmp = report.runs.first().map(|r: &BackendRun| {
            if exact {
                compare(v, r.backend, &r.outcome, run.backend, &run.outcome)
            } else {
                compare_memory(v, r.backend, &r.outcome, run.backend, &run.outcome)
            }
        });
        if report.runs.is_empty() {
            report.nonzero_bytes = run.outcome.dram.nonzero_bytes();
        }
        report.runs.push(run);
        if let Some(Err(mismatch)) = cmp {
            return Err(VerifyError::Mismatch { mismatch, report });
        }
    }
    Ok(report)
}

/// Compile layer `spec` for `cfg` with `batch` images and seeded random data
/// (`vectors::layer_vector`) and verify it on `backends`.
pub fn verify_backends(
    cfg: &AccelConfig,
    spec: &LayerSpec,
    batch: u32,
    seed: u64,
    backends: &[&str],
) -> Result<Report, VerifyError> {
    let v = vectors::layer_vector(cfg, spec, batch, seed).map_err(VerifyError::Vector)?;
    verify_vector(&v, backends)
}
