//! `diannao bench --axi`: the board's AXI path against an ideal memory port.
//!
//! For every layer of a model, on one configuration (a board preset:
//! `zcu104`, `kv260`), three cycle counts of the same layer vector
//! (`backends::vectors::layer_vector`):
//! * **ideal**: the simulator with a memory port of the same width whose
//!   latency is the DDR path's alone, `dram.latency_cycles -
//!   AXI_MASTER_CYCLES` (no AXI master in the way);
//! * **core**: the simulator at the configuration's latency, which is what
//!   the AXI master presents to the core (the core's cycles through AXI
//!   equal it for every bus timing: `backends/tests/axi_equivalence.rs`);
//! * **axi** (with `--verilator`): the AXI-wrapped RTL under Verilator with
//!   the board's DDR model (`backends::axi_harness::Timing::board`), AXI
//!   clock cycles from `start` to `done` (`bus_cycles`), and the cycles the
//!   core was held. Its core cycles must equal the simulator's, else the
//!   benchmark fails.
//!
//! The ratio is axi (or, without `--verilator`, core) over ideal; the issue's
//! target is at most [`TARGET_RATIO`].

use arch::config::AXI_MASTER_CYCLES;
use arch::AccelConfig;
use backends::axi_backend::AxiBackend;
use backends::{vectors, Backend, SimBackend};
use runtime::run::RunError;
use serde::Serialize;
use std::time::Instant;

/// Largest accepted ratio of AXI cycles to ideal-port cycles.
pub const TARGET_RATIO: f64 = 1.25;

/// One layer's row.
#[derive(Clone, Debug, Serialize)]
pub struct AxiIdealRow {
    /// Layer name.
    pub layer: String,
    /// Instructions of its program.
    pub instructions: usize,
    /// Cycles with an ideal port of the DDR latency, simulator.
    pub ideal_cycles: u64,
    /// Cycles at the configuration's latency (the core's cycles through AXI), simulator.
    pub core_cycles: u64,
    /// AXI clock cycles from start to done under the board DDR model, Verilator.
    pub axi_cycles: Option<u64>,
    /// Cycles of those the core was held.
    pub held_cycles: Option<u64>,
    /// Verilator wall time of the AXI run (model build included when not cached), seconds.
    pub verilator_s: Option<f64>,
    /// axi_cycles (else core_cycles) / ideal_cycles.
    pub ratio: f64,
}

/// The benchmark.
#[derive(Clone, Debug, Serialize)]
pub struct AxiIdealReport {
    /// Configuration.
    pub preset: String,
    /// Model.
    pub model: String,
    /// Images.
    pub batch: u32,
    /// Seed of the random data.
    pub seed: u64,
    /// The configuration's latency, cycles.
    pub latency_cycles: u32,
    /// The ideal port's latency (DDR alone), cycles.
    pub ideal_latency_cycles: u32,
    /// Port width, bytes per cycle.
    pub bytes_per_cycle: u32,
    /// Rows, in layer order.
    pub layers: Vec<AxiIdealRow>,
    /// Largest ratio.
    pub worst_ratio: f64,
    /// [`TARGET_RATIO`].
    pub target_ratio: f64,
}

fn err(m: impl std::fmt::Display) -> RunError {
    RunError::Backends(m.to_string())
}

/// Run the benchmark on `cfg` for every layer of `model` (or only those
/// named in `only`), with Verilator when `verilator`.
pub fn bench_axi(
    cfg: &AccelConfig,
    model: &str,
    only: &[String],
    batch: u32,
    seed: u64,
    verilator: bool,
    progress: bool,
) -> Result<AxiIdealReport, RunError> {
    let m = runtime::models::load_model(model)?;
    let l = cfg.dram.latency_cycles;
    if l <= AXI_MASTER_CYCLES {
        return Err(err(format!(
            "configuration `{}`: dram.latency_cycles {l} leaves no DDR latency beside the AXI master's {AXI_MASTER_CYCLES} cycles",
            cfg.name
        )));
    }
    let mut ideal_cfg = cfg.clone();
    ideal_cfg.dram.latency_cycles = l - AXI_MASTER_CYCLES;
    for n in only {
        if !m.layers.iter().any(|x| &x.name == n) {
            return Err(err(format!("model {} has no layer `{n}`", m.name)));
        }
    }
    let mut rows = Vec::new();
    for layer in &m.layers {
        if !only.is_empty() && !only.contains(&layer.name) {
            continue;
        }
        let v = vectors::layer_vector(cfg, &layer.spec, batch, seed)
            .map_err(|e| err(format!("{}/{}: {e}", m.name, layer.name)))?;
        let mut vi = v.clone();
        vi.cfg = ideal_cfg.clone();
        let sim = SimBackend::default();
        let ideal = sim.run(&vi).map_err(err)?;
        let core = sim.run(&v).map_err(err)?;
        let (mut axi_cycles, mut held_cycles, mut verilator_s) = (None, None, None);
        if verilator {
            if progress {
                eprintln!(
                    "bench: {}/{} on verilator-axi ({} cycles, board DDR model)",
                    m.name, layer.name, core.cycles
                );
            }
            let t = Instant::now();
            let r = AxiBackend::default().run_full(&v).map_err(err)?;
            if r.stats.violations != 0 || r.bus_error {
                return Err(err(format!(
                    "{}/{}: AXI protocol violations {} or bus error {}",
                    m.name, layer.name, r.stats.violations, r.bus_error
                )));
            }
            backends::compare(&v, "sim", &core, "verilator-axi", &r.outcome)
                .map_err(|e| err(format!("backends disagree: {e}")))?;
            axi_cycles = Some(r.bus_cycles);
            held_cycles = Some(r.held_cycles);
            verilator_s = Some(t.elapsed().as_secs_f64());
        }
        let ratio = axi_cycles.unwrap_or(core.cycles) as f64 / ideal.cycles.max(1) as f64;
        if progress {
            eprintln!(
                "bench: {}/{}: ideal {} core {} axi {:?} ratio {ratio:.4}",
                m.name, layer.name, ideal.cycles, core.cycles, axi_cycles
            );
        }
        rows.push(AxiIdealRow {
            layer: layer.name.clone(),
            instructions: v.program.len(),
            ideal_cycles: ideal.cycles,
            core_cycles: core.cycles,
            axi_cycles,
            held_cycles,
            verilator_s,
            ratio,
        });
    }
    let worst_ratio = rows.iter().map(|r| r.ratio).fold(0.0, f64::max);
    Ok(AxiIdealReport {
        preset: cfg.name.clone(),
        model: m.name.clone(),
        batch,
        seed,
        latency_cycles: l,
        ideal_latency_cycles: l - AXI_MASTER_CYCLES,
        bytes_per_cycle: cfg.dram.bytes_per_cycle,
        layers: rows,
        worst_ratio,
        target_ratio: TARGET_RATIO,
    })
}

/// The report as a Markdown table.
pub fn table(r: &AxiIdealReport) -> String {
    let mut s = format!(
        "AXI path vs ideal port: {} on {} (batch {}, seed {}); port {} B/cycle; ideal latency {} cycles, the core's {} (+{} of the AXI master)\n\n",
        r.model, r.preset, r.batch, r.seed, r.bytes_per_cycle, r.ideal_latency_cycles, r.latency_cycles,
        r.latency_cycles - r.ideal_latency_cycles
    );
    s.push_str("| layer | instructions | ideal port | core (sim) | AXI, Verilator | held | ratio |\n|---|---|---|---|---|---|---|\n");
    for x in &r.layers {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {:.4} |\n",
            x.layer,
            x.instructions,
            x.ideal_cycles,
            x.core_cycles,
            x.axi_cycles.map_or("-".into(), |c| c.to_string()),
            x.held_cycles.map_or("-".into(), |c| c.to_string()),
            x.ratio
        ));
    }
    s.push_str(&format!(
        "\nworst ratio {:.4} (target <= {}): {}\n",
        r.worst_ratio,
        r.target_ratio,
        if r.worst_ratio <= r.target_ratio {
            "met"
        } else {
            "MISSED"
        }
    ));
    s
}
