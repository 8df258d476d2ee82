//! `diannao verify --backends sim,rtl,verilator,icarus`: one layer vector on several
//! backends, demanding identical DRAM window, cycles and status.

use crate::{
    compare, vectors, Backend, BackendError, IcarusBackend, Mismatch, Outcome, RtlBackend,
    SimBackend, Vector, VerilatorBackend,
};
use arch::AccelConfig;
use firmware::LayerSpec;
use std::time::Instant;
use thiserror::Error;

/// Backend names [`backend`] accepts.
pub const BACKENDS: [&str; 5] = ["sim", "sim-stepped", "rtl", "verilator", "icarus"];

/// The backend called `name` (see [`BACKENDS`]).
pub fn backend(name: &str) -> Result<Box<dyn Backend>, VerifyError> {
    Ok(match name {
        "sim" => Box::new(SimBackend { stepped: false }),
        "sim-stepped" => Box::new(SimBackend { stepped: true }),
        "rtl" => Box::new(RtlBackend::default()),
        "verilator" => Box::new(VerilatorBackend::default()),
        "icarus" => Box::new(IcarusBackend::default()),
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
    /// Wall-clock time of the run, seconds (informational).
    pub seconds: f64,
}

/// Every backend agreed on this vector.
#[derive(Clone, Debug)]
pub struct Report {
    /// Vector name (NVDLA style).
    pub vector: String,
    /// Bytes of DRAM compared.
    pub window_bytes: u64,
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
        window_bytes: v.window.1,
        runs: Vec::new(),
    };
    for b in &bs {
        let t0 = Instant::now();
        let outcome = b.run(v)?;
        let run = BackendRun {
            backend: b.name(),
            outcome,
            seconds: t0.elapsed().as_secs_f64(),
        };
        let cmp = report
            .runs
            .first()
            .map(|r: &BackendRun| compare(v, r.backend, &r.outcome, run.backend, &run.outcome));
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
