//! `diannao verify`: run every layer on the simulator and on the plain
//! fixed-point CPU reference (`firmware::reference`) with the same seeded
//! random data ([`crate::run`]) and compare the outputs bit for bit.

use crate::run::{self, Mismatch, RunError, Workload, DEFAULT_ENERGY_TABLE};
use std::io::Write;

/// Options of `diannao verify`.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Preset name or config file (.toml/.json) of the accelerator.
    pub preset: String,
    /// Built-in model (lenet5, alexnet, nin, googlenet, diannao_bench) or model file (.toml).
    pub model: Option<String>,
    /// One layer, e.g. `conv:nx=32,ny=32,k=3,ni=16,no=32,pad=1,act=relu`.
    pub layer: Option<String>,
    /// Seed of the random data (see `runtime::run` for the distribution).
    pub seed: u64,
    /// Images per run.
    pub batch: u32,
    /// Also replay every layer on these execution backends and demand the same
    /// DRAM, cycle count and status: sim, sim-stepped, rtl (rust-hdl simulation
    /// of the top; tiny preset, small layers), verilator (the emitted Verilog),
    /// icarus (the emitted Verilog under Icarus, buffers starting at X).
    pub backends: Vec<String>,
    /// Write the simulator's VCD trace of the layer (one layer only; signal
    /// names as the RTL's, see docs/microarchitecture.md).
    pub vcd: Option<std::path::PathBuf>,
}

/// Result of one layer.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerVerdict {
    /// Layer name.
    pub name: String,
    /// Simulated cycles.
    pub cycles: u64,
    /// Outputs compared.
    pub values: usize,
    /// Saturations counted by the simulator / by the reference.
    pub saturations: (u64, u64),
    /// The first difference, if any.
    pub mismatch: Option<Mismatch>,
}

/// Verify one layer (index `i` of `work`).
pub fn verify_layer(
    cfg: &arch::AccelConfig,
    work: &Workload,
    i: usize,
    batch: u32,
    seed: u64,
) -> Result<LayerVerdict, RunError> {
    let (name, spec) = &work.layers[i];
    let ename = work.err_name(i);
    let table = run::energy_table(DEFAULT_ENERGY_TABLE)?;
    let compiled = run::compile(cfg, spec, batch, &ename)?;
    let data = run::random_data(cfg, spec, batch, seed, i as u64);
    let want = run::reference(cfg, spec, batch, &data, &ename)?;
    let got = run::run_compiled(cfg, spec, &compiled, &data, &table, None, &ename)?;
    Ok(LayerVerdict {
        name: name.clone(),
        cycles: got.stats.cycles,
        values: want.output.len(),
        saturations: (got.figures.saturations, want.saturations),
        mismatch: run::first_mismatch(spec, &want.output, &got.output),
    })
}

/// Verify every layer `args` names, printing one line per layer to `out`
/// as it goes; fails with [`RunError::Mismatch`] if any layer differs.
pub fn command(args: &VerifyOptions, out: &mut dyn Write) -> Result<(), RunError> {
    let cfg = crate::configs::resolve(&args.preset).map_err(|e| RunError::Config(e.to_string()))?;
    run::check_batch(args.batch)?;
    let work = Workload::resolve(args.model.as_deref(), args.layer.as_deref())?;
    work.check_budget(&cfg, args.batch)?;
    for b in &args.backends {
        if !backends::verify::BACKENDS.contains(&b.as_str()) {
            return Err(RunError::Backends(format!(
                "unknown backend `{b}` (known: {})",
                backends::verify::BACKENDS.join(", ")
            )));
        }
    }
    if args.vcd.is_some() && work.is_model {
        return Err(RunError::VcdModel);
    }
    let vcd = args
        .vcd
        .as_deref()
        .map(crate::simulate::VcdFile::create)
        .transpose()?;
    writeln!(
        out,
        "verify {} on preset {}, batch {}, seed {}: simulator vs fixed-point reference, bit for bit",
        work.name, cfg.name, args.batch, args.seed
    )?;
    let width = work.layers.iter().map(|(n, _)| n.len()).max().unwrap_or(5);
    let mut failed = 0;
    let mut first: Option<String> = None;
    for i in 0..work.layers.len() {
        let v = verify_layer(&cfg, &work, i, args.batch, args.seed)?;
        let kind = work.layers[i].1.kind_name();
        match &v.mismatch {
            None => writeln!(
                out,
                "{:<width$}  {kind:<5}  OK        {} values, {} cycles, {} saturations",
                v.name, v.values, v.cycles, v.saturations.0
            )?,
            Some(m) => {
                failed += 1;
                first.get_or_insert_with(|| format!("layer {}: {m}", v.name));
                writeln!(
                    out,
                    "{:<width$}  {kind:<5}  MISMATCH  first difference at {m}",
                    v.name
                )?;
            }
        }
        if !args.backends.is_empty() && v.mismatch.is_none() {
            let names: Vec<&str> = args.backends.iter().map(|s| s.as_str()).collect();
            let spec = &work.layers[i].1;
            match backends::verify_backends(&cfg, spec, args.batch, args.seed, &names) {
                Ok(r) => {
                    let runs: Vec<String> = r
                        .runs
                        .iter()
                        .map(|b| {
                            format!(
                                "{} {} cycles{} in {:.3} s = {:.0} cycles/s",
                                b.backend,
                                b.outcome.cycles,
                                if b.cycles_compared {
                                    ""
                                } else {
                                    " (not compared: AXI timing)"
                                },
                                b.seconds,
                                b.outcome.cycles as f64 / b.seconds.max(1e-9)
                            )
                        })
                        .collect();
                    writeln!(
                        out,
                        "{:<width$}  {kind:<5}  IDENTICAL {} ({} instructions, imem {}; {}; whole DRAM compared, {} non-zero bytes)",
                        v.name,
                        r.vector,
                        r.instructions,
                        cfg.imem_depth,
                        runs.join(", "),
                        r.nonzero_bytes
                    )?;
                }
                Err(e) => {
                    // a disagreement is a verdict; a backend that could not run is not
                    let verdict = match e {
                        backends::verify::VerifyError::Mismatch { .. } => "BACKENDS DIFFER",
                        _ => "COULD NOT RUN",
                    };
                    failed += 1;
                    first.get_or_insert_with(|| {
                        format!(
                            "layer {}: backends: {} ({e})",
                            v.name,
                            verdict.to_lowercase()
                        )
                    });
                    writeln!(out, "{:<width$}  {kind:<5}  {verdict}: {e}", v.name)?;
                }
            }
        }
        out.flush()?;
    }
    if let Some(v) = vcd {
        if first.is_none() {
            let (_, spec) = &work.layers[0];
            let ename = work.err_name(0);
            let table = run::energy_table(DEFAULT_ENERGY_TABLE)?;
            let compiled = run::compile(&cfg, spec, args.batch, &ename)?;
            let data = run::random_data(&cfg, spec, args.batch, args.seed, 0);
            let r = run::run_compiled(&cfg, spec, &compiled, &data, &table, None, &ename)?;
            if r.stats.cycles > run::VCD_MAX_CYCLES {
                return Err(RunError::VcdTooLong {
                    cycles: r.stats.cycles,
                    limit: run::VCD_MAX_CYCLES,
                });
            }
            run::run_compiled(
                &cfg,
                spec,
                &compiled,
                &data,
                &table,
                Some(v.writer()?),
                &ename,
            )?;
            v.persist()?;
        }
    }
    match first {
        None => {
            writeln!(out, "all {} layers OK", work.layers.len())?;
            Ok(())
        }
        Some(first) => Err(RunError::Mismatch {
            failed,
            total: work.layers.len(),
            first,
        }),
    }
}
