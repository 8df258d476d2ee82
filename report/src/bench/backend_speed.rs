//! `diannao bench --backends sim,sim-stepped,verilator,verilator-mt,rtl`:
//! the speed of each execution backend on ONE layer vector
//! (`backends::vectors::layer_vector`, default AlexNet conv3), all in the
//! same process, each run once; every backend must give the outcome of the
//! first (`backends::compare`: status, whole DRAM, cycles), a difference is
//! an error.
//!
//! Simulated cycles per second are cycles over the backend's steady state:
//! * `sim`, `sim-stepped`: the machine's run (not loading the DRAM image
//!   into `sim::Dram` nor reading it back);
//! * `verilator`, `verilator-mt` (a model of `available_parallelism`
//!   threads, its own cached build): the model is built once per
//!   configuration and cached (build time and whether it was cached are
//!   reported); the built executable is run once with `+maxc=0` (start-up,
//!   `$readmemh` of the DRAM image, no program cycle, the final DRAM dump:
//!   [`VerilatorBackend::startup_probe`]) and once fully; steady state =
//!   full process time - probe process time;
//! * `rtl` (rust-hdl's simulator): the whole run; it runs the tiny
//!   structure only, on another configuration the row says why not.

use super::BenchOptions;
use arch::AccelConfig;
use backends::{vectors, Backend, Outcome, RtlBackend, SimBackend, Vector, VerilatorBackend};
use firmware::LayerSpec;
use runtime::run::RunError;
use serde::Serialize;
use std::time::Instant;

/// Backend names `diannao bench --backends` accepts.
pub const BENCH_BACKENDS: [&str; 5] = ["sim", "sim-stepped", "verilator", "verilator-mt", "rtl"];

/// Model and layer benchmarked when neither `--model` nor `--layer` is given.
pub const DEFAULT_LAYER: (&str, &str) = ("alexnet", "conv3");

/// The Verilator parts of a run.
#[derive(Clone, Debug, Serialize)]
pub struct VerilatorTimes {
    /// Threads of the model (`verilator --threads`).
    pub threads: usize,
    /// The model was already built (this process or the on-disk cache).
    pub build_cached: bool,
    /// Getting the model: the Verilator + C++ build when not cached, seconds.
    pub build_s: f64,
    /// Process wall time of the `+maxc=0` run: start-up, loading the DRAM
    /// image, the final dump, seconds.
    pub startup_s: f64,
    /// Process wall time of the full run, seconds.
    pub full_s: f64,
}

/// One backend's row.
#[derive(Clone, Debug, Serialize)]
pub struct BackendSpeed {
    /// Backend name as given to `--backends`.
    pub backend: String,
    /// Why the backend cannot run this vector (the other figures are then absent).
    pub cannot_run: Option<String>,
    /// Simulated cycles.
    pub cycles: Option<u64>,
    /// Wall time of the backend's run, seconds (Verilator: the full run,
    /// writing the image file and parsing the dump included, the build and
    /// the start-up probe not).
    pub wall_s: Option<f64>,
    /// The steady state the speed is computed from, seconds (see the module documentation).
    pub steady_s: Option<f64>,
    /// cycles / steady_s (absent if the steady state is not above 0:
    /// a run too short to measure beside its start-up).
    pub cycles_per_s: Option<f64>,
    /// The `sim` row's cycles per second over this row's (absent without a `sim` row).
    pub sim_ratio: Option<f64>,
    /// Verilator's build, start-up and full-run times.
    pub verilator: Option<VerilatorTimes>,
}

/// A backend speed benchmark.
#[derive(Clone, Debug, Serialize)]
pub struct BackendsReport {
    /// Preset.
    pub preset: String,
    /// `model/layer`, or `layer` for a layer spec.
    pub layer: String,
    /// The layer in `--layer` syntax.
    pub spec: String,
    /// Vector name.
    pub vector: String,
    /// Instructions of its program.
    pub instructions: usize,
    /// Images.
    pub batch: u32,
    /// Seed of the random data.
    pub seed: u64,
    /// Host cores (`available_parallelism`).
    pub host_threads: usize,
    /// The reference every other run was compared with (the first that ran).
    pub reference: Option<String>,
    /// The rows, in the order asked for.
    pub runs: Vec<BackendSpeed>,
    /// Load average (1 minute) when the benchmark ended.
    pub load_average: Option<f64>,
}

/// The layer `--model` / `--layer` name in backends mode: a layer spec
/// (`conv:...`), a layer name of the model (default alexnet), or by default
/// [`DEFAULT_LAYER`]. Returns (label, spec).
pub fn resolve_layer(
    model: Option<&str>,
    layer: Option<&str>,
) -> Result<(String, LayerSpec), RunError> {
    match (model, layer) {
        (Some(_), Some(l)) if l.contains(':') => Err(RunError::Backends(
            "--backends: give a layer spec with --layer alone, or a model and one of its layer names".into(),
        )),
        (None, Some(l)) if l.contains(':') => Ok(("layer".into(), l.parse()?)),
        (m, l) => {
            let (m, l) = match (m, l) {
                (None, None) => (DEFAULT_LAYER.0, Some(DEFAULT_LAYER.1)),
                (m, l) => (m.unwrap_or(DEFAULT_LAYER.0), l),
            };
            let model = runtime::models::load_model(m)?;
            let names = || {
                model
                    .layers
                    .iter()
                    .map(|x| x.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let Some(l) = l else {
                return Err(RunError::Backends(format!(
                    "--backends runs one layer: name one of {}'s with --layer ({})",
                    model.name,
                    names()
                )));
            };
            let found = model.layers.iter().find(|x| x.name == l).ok_or_else(|| {
                RunError::Backends(format!(
                    "model {} has no layer `{l}` (its layers: {})",
                    model.name,
                    names()
                ))
            })?;
            Ok((format!("{}/{}", model.name, l), found.spec))
        }
    }
}

/// `&'static` name of a backend in [`BENCH_BACKENDS`].
fn known(name: &str) -> Result<&'static str, RunError> {
    BENCH_BACKENDS
        .iter()
        .copied()
        .find(|b| *b == name)
        .ok_or_else(|| {
            RunError::Backends(format!(
                "unknown backend `{name}` for bench (known: {})",
                BENCH_BACKENDS.join(", ")
            ))
        })
}

/// The two outcomes agree (status, whole DRAM, cycles); a difference is an error.
pub fn check_agreement(
    v: &Vector,
    reference: (&'static str, &Outcome),
    run: (&'static str, &Outcome),
) -> Result<(), RunError> {
    backends::compare(v, reference.0, reference.1, run.0, run.1)
        .map_err(|m| RunError::Backends(format!("backends disagree: {m}")))
}

fn progress(on: bool, msg: &str) {
    if on {
        eprintln!("bench: {msg}");
    }
}

/// Run one backend: its row and outcome; no outcome if it cannot run this
/// vector (the reason in the row).
fn run_one(
    name: &'static str,
    v: &Vector,
    expect: Option<u64>,
    show: bool,
) -> Result<(BackendSpeed, Option<Outcome>), RunError> {
    let berr = |e: backends::BackendError| RunError::Backends(e.to_string());
    let mut row = BackendSpeed {
        backend: name.into(),
        cannot_run: None,
        cycles: None,
        wall_s: None,
        steady_s: None,
        cycles_per_s: None,
        sim_ratio: None,
        verilator: None,
    };
    let hint = expect.map_or(String::new(), |c| format!(" ({c} cycles)"));
    let (outcome, wall, steady) = match name {
        "sim" | "sim-stepped" => {
            progress(show, &format!("{name}: running {}{hint}", v.name));
            let b = SimBackend {
                stepped: name == "sim-stepped",
            };
            let t = Instant::now();
            let (o, steady) = b.run_timed(v).map_err(berr)?;
            (o, t.elapsed().as_secs_f64(), steady)
        }
        "rtl" => {
            if let Err(why) = RtlBackend::can_run(&v.cfg) {
                progress(show, &format!("rtl: cannot run: {why}"));
                row.cannot_run = Some(why);
                return Ok((row, None));
            }
            progress(
                show,
                &format!(
                    "rtl: running {}{hint} in rust-hdl's simulator (slow)",
                    v.name
                ),
            );
            let t = Instant::now();
            let o = RtlBackend::default().run(v).map_err(berr)?;
            let wall = t.elapsed().as_secs_f64();
            (o, wall, wall)
        }
        _ => {
            let b = if name == "verilator-mt" {
                VerilatorBackend::all_threads()
            } else {
                VerilatorBackend::default()
            };
            progress(
                show,
                &format!(
                    "{name}: getting the model ({} thread{}; built once per configuration, then cached)",
                    b.threads,
                    if b.threads == 1 { "" } else { "s" }
                ),
            );
            let build = b.build(v).map_err(berr)?;
            progress(
                show,
                &format!(
                    "{name}: model {} in {:.1} s; start-up probe (+maxc=0)",
                    if build.cached { "cached" } else { "built" },
                    build.seconds
                ),
            );
            let startup_s = b.startup_probe(&build, v).map_err(berr)?;
            progress(
                show,
                &format!(
                    "{name}: start-up {startup_s:.2} s; running {}{hint}",
                    v.name
                ),
            );
            let t = Instant::now();
            let (o, full_s) = b.run_built(&build, v).map_err(berr)?;
            let wall = t.elapsed().as_secs_f64();
            row.verilator = Some(VerilatorTimes {
                threads: build.threads,
                build_cached: build.cached,
                build_s: build.seconds,
                startup_s,
                full_s,
            });
            (o, wall, full_s - startup_s)
        }
    };
    row.cycles = Some(outcome.cycles);
    row.wall_s = Some(wall);
    row.steady_s = Some(steady);
    row.cycles_per_s = (steady > 0.0).then(|| outcome.cycles as f64 / steady);
    progress(
        show,
        &format!("{name}: {} cycles in {wall:.2} s", outcome.cycles),
    );
    Ok((row, Some(outcome)))
}

/// Benchmark the backends `args.backends` names on one vector of the layer
/// [`resolve_layer`] picks, on `cfg`.
pub fn bench_backends(cfg: &AccelConfig, args: &BenchOptions) -> Result<BackendsReport, RunError> {
    let names: Vec<&'static str> = args
        .backends
        .iter()
        .map(|b| known(b))
        .collect::<Result<_, _>>()?;
    if names.is_empty() {
        return Err(RunError::Backends("--backends: no backend given".into()));
    }
    let (label, spec) = resolve_layer(args.model.as_deref(), args.layer.as_deref())?;
    let v = vectors::layer_vector(cfg, &spec, args.batch, args.seed)
        .map_err(|e| RunError::Backends(format!("cannot build the vector of {label}: {e}")))?;
    progress(
        args.progress,
        &format!(
            "{label} on {}: vector {}, {} instructions; backends {}",
            cfg.name,
            v.name,
            v.program.len(),
            names.join(", ")
        ),
    );
    let mut runs = Vec::new();
    let mut reference: Option<(&'static str, Outcome)> = None;
    for &name in &names {
        let expect = reference.as_ref().map(|r| r.1.cycles);
        let (row, outcome) = run_one(name, &v, expect, args.progress)?;
        if let Some(o) = outcome {
            match &reference {
                Some((rn, ro)) => check_agreement(&v, (rn, ro), (name, &o))?,
                None => reference = Some((name, o)),
            }
        }
        runs.push(row);
    }
    let sim = runs
        .iter()
        .find(|r| r.backend == "sim")
        .and_then(|r| r.cycles_per_s);
    for r in &mut runs {
        r.sim_ratio = match (sim, r.cycles_per_s) {
            (Some(s), Some(c)) => Some(s / c),
            _ => None,
        };
    }
    Ok(BackendsReport {
        preset: cfg.name.clone(),
        layer: label,
        spec: spec.to_string(),
        vector: v.name.clone(),
        instructions: v.program.len(),
        batch: args.batch,
        seed: args.seed,
        host_threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        reference: reference.map(|r| r.0.to_string()),
        runs,
        load_average: super::load_average(),
    })
}

/// A count of cycles per second with an SI prefix (`5.70 M`).
fn per_s(x: f64) -> String {
    if x >= 1e6 {
        format!("{:.2} M", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.1} k", x / 1e3)
    } else {
        format!("{x:.0}")
    }
}

/// The report as a table.
pub fn table(r: &BackendsReport) -> String {
    let mut s = format!(
        "bench backends: {} ({}) on preset {}, batch {}, seed {}: vector {}, {} instructions; host {} cores\n",
        r.layer, r.spec, r.preset, r.batch, r.seed, r.vector, r.instructions, r.host_threads
    );
    s += &format!(
        "{:<13} {:>11} {:>10} {:>11} {:>10} {:>12} {:>9}  {}\n",
        "backend", "cycles", "wall s", "start-up s", "steady s", "cycles/s", "sim / x", "notes"
    );
    let f = |x: Option<f64>, d: usize| x.map_or("-".to_string(), |v| format!("{v:.d$}"));
    for b in &r.runs {
        if let Some(why) = &b.cannot_run {
            s += &format!("{:<13} cannot run: {why}\n", b.backend);
            continue;
        }
        let mut notes: Vec<String> = Vec::new();
        if let Some(t) = &b.verilator {
            notes.push(format!(
                "{} thread{}; model {} ({:.1} s); full run {:.3} s",
                t.threads,
                if t.threads == 1 { "" } else { "s" },
                if t.build_cached { "cached" } else { "built" },
                t.build_s,
                t.full_s
            ));
        }
        if b.cycles_per_s.is_none() {
            notes.push("steady state not above 0: too short to measure".into());
        }
        let line = format!(
            "{:<13} {:>11} {:>10} {:>11} {:>10} {:>12} {:>9}  {}",
            b.backend,
            b.cycles.map_or("-".into(), |c| c.to_string()),
            f(b.wall_s, 3),
            f(b.verilator.as_ref().map(|t| t.startup_s), 3),
            f(b.steady_s, 3),
            b.cycles_per_s.map_or("-".into(), per_s),
            f(b.sim_ratio, 1),
            notes.join("; ")
        );
        s += line.trim_end();
        s.push('\n');
    }
    match &r.reference {
        Some(rf) => {
            s += &format!(
                "every backend that ran agrees with {rf} (status, whole DRAM, cycles); cycles/s = cycles / steady s"
            );
        }
        None => s += "no backend ran",
    }
    s += &format!(
        "; load average {}\n",
        r.load_average.map_or("?".into(), |l| format!("{l:.2}"))
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use backends::{Image, Status};

    #[test]
    fn the_default_layer_is_alexnet_conv3_and_names_are_looked_up() {
        let (label, spec) = resolve_layer(None, None).unwrap();
        assert_eq!(label, "alexnet/conv3");
        let m = firmware::Model::load("alexnet").unwrap();
        assert_eq!(
            spec,
            m.layers.iter().find(|l| l.name == "conv3").unwrap().spec
        );
        let (label, _) = resolve_layer(Some("lenet5"), Some("conv1")).unwrap();
        assert_eq!(label, "lenet5/conv1");
        let (label, spec) = resolve_layer(None, Some("pool:nx=4,ny=4,k=2,ni=4,kind=max")).unwrap();
        assert_eq!((label.as_str(), spec.kind_name()), ("layer", "pool"));
        let e = resolve_layer(None, Some("conv9")).unwrap_err().to_string();
        assert!(e.contains("no layer `conv9`") && e.contains("conv3"), "{e}");
        let e = resolve_layer(Some("alexnet"), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--layer") && e.contains("fc8"), "{e}");
        assert!(resolve_layer(Some("alexnet"), Some("conv:nx=4,ny=4,k=3,ni=4,no=4")).is_err());
    }

    #[test]
    fn a_cycle_difference_is_an_error_naming_both_backends() {
        let v = Vector {
            name: "v".into(),
            cfg: AccelConfig::tiny(),
            program: vec![],
            prog_base: None,
            seed: AccelConfig::tiny().lfsr_seed,
            image: vec![],
            window: (0, 0),
        };
        let o = |cycles| Outcome {
            cycles,
            status: Status::Done,
            dram: Image::new(),
            counters: None,
        };
        assert!(check_agreement(&v, ("sim", &o(10)), ("verilator", &o(10))).is_ok());
        let e = check_agreement(&v, ("sim", &o(10)), ("verilator", &o(11)))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("cycles differ") && e.contains("sim 10 vs verilator 11"),
            "{e}"
        );
    }
}
