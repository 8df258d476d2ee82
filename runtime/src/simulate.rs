//! `diannao simulate`: compile each layer, run it on the cycle-accurate
//! simulator with seeded random data ([`crate::run`]) and report per layer
//! and in total: cycles, utilisation, DRAM traffic, energy (per unit, from a
//! named table), time at the preset clock and saturations, as a table, JSON
//! or CSV.

use crate::run::{self, LayerFigures, RunError, Workload};
use arch::AccelConfig;
use serde::Serialize;
use sim::{EnergyReport, EnergyTable};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Options of `diannao simulate`.
#[derive(Debug, Clone)]
pub struct SimulateOptions {
    /// Preset name or config file (.toml/.json) of the accelerator.
    pub preset: String,
    /// Built-in model (lenet5, alexnet, nin, googlenet, diannao_bench) or model file (.toml).
    pub model: Option<String>,
    /// One layer, e.g. `conv:nx=32,ny=32,k=3,ni=16,no=32,pad=1,act=relu`,
    /// `pool:nx=16,ny=16,k=2,ni=32,kind=max`, `class:ni=512,no=10`.
    pub layer: Option<String>,
    /// Images per run (every layer processes the whole batch).
    pub batch: u32,
    /// Print JSON instead of a table.
    pub json: bool,
    /// Print CSV (one row per layer, then a `total` row) instead of a table.
    pub csv: bool,
    /// Energy table: horowitz45 (default; Horowitz ISSCC 2014, 45 nm), dnnsim,
    /// or a table file (.toml, the format of sim/energy/). The output names the table used.
    pub energy: String,
    /// Also print each layer's tiling plan (tile sizes, loop order, predicted DRAM traffic).
    pub plan: bool,
    /// No progress bar (it is also off when standard error is not a terminal).
    pub quiet: bool,
    /// Write a VCD trace of the run (one layer only; simulated cycle by cycle).
    pub vcd: Option<PathBuf>,
    /// Longest run (cycles) that --vcd will trace.
    pub vcd_max_cycles: u64,
    /// Seed of the random data (see `runtime::run` for the distribution).
    pub seed: u64,
}

/// One layer of a report.
#[derive(Clone, Debug, Serialize)]
pub struct LayerRow {
    /// Layer name.
    pub name: String,
    /// conv, pool or class.
    #[serde(rename = "type")]
    pub kind: String,
    /// The layer in `--layer` syntax.
    pub spec: String,
    /// Input shape of one image [maps, height, width].
    pub input: [u32; 3],
    /// Output shape of one image [maps, height, width].
    pub output: [u32; 3],
    /// The figures.
    #[serde(flatten)]
    pub figures: LayerFigures,
    /// Every event counter of the run, by name.
    pub counters: BTreeMap<String, u64>,
    /// The tiler's choice for this layer: tile sizes, loop order, predicted DRAM traffic.
    pub plan: String,
    /// `(predicted - simulated) / simulated` cycles, the prediction being
    /// `figures.predicted_cycles` (`None` when there is none: element-wise
    /// layers, whose estimate only ranks the compiler's choices).
    pub prediction_error: Option<f64>,
    /// The layer's roofline bound ([`run::roofline`]).
    pub roofline: run::Roofline,
    /// The tiler's DRAM traffic against the least a search of every tiling
    /// finds (`None` for element-wise layers).
    pub traffic_search: Option<firmware::TrafficSearch>,
}

/// Totals over the layers (layers run one after another).
#[derive(Clone, Debug, Serialize)]
pub struct Totals {
    /// Sum of cycles.
    pub cycles: u64,
    /// Sum of useful MACs.
    pub useful_macs: u64,
    /// [`run::total_utilisation`]: conv and classifier MACs / (Tn * Tn * total cycles).
    pub utilisation: f64,
    /// Sum of DRAM bytes read.
    pub dram_read_bytes: u64,
    /// Sum of DRAM bytes written.
    pub dram_write_bytes: u64,
    /// Energy of all layers, per unit, pJ.
    pub energy: EnergyReport,
    /// Sum of times, seconds.
    pub seconds: f64,
    /// Sum of saturations.
    pub saturations: u64,
}

/// A whole `simulate` report.
#[derive(Clone, Debug, Serialize)]
pub struct SimReport {
    /// Preset name.
    pub preset: String,
    /// Tn.
    pub tn: u32,
    /// Clock, MHz.
    pub clock_mhz: f64,
    /// Model name (`layer` for `--layer`).
    pub model: String,
    /// Images.
    pub batch: u32,
    /// Data seed.
    pub seed: u64,
    /// Energy table used.
    pub energy_table: String,
    /// Where its figures come from.
    pub energy_source: String,
    /// Per layer.
    pub layers: Vec<LayerRow>,
    /// Totals.
    pub total: Totals,
}

/// A progress bar on stderr for models, hidden when `quiet` or stderr is not a terminal.
pub fn progress(n: usize, show: bool) -> indicatif::ProgressBar {
    if !show || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::with_draw_target(
        Some(n as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} layers {elapsed} {msg}")
    {
        pb.set_style(style);
    }
    pb
}

/// A VCD file being written: a temporary file next to the destination,
/// renamed over it only when the traced run succeeded.
pub(crate) struct VcdFile {
    tmp: tempfile::NamedTempFile,
    path: PathBuf,
}

impl VcdFile {
    pub(crate) fn create(path: &Path) -> Result<Self, RunError> {
        let fail = |reason: String| RunError::Vcd {
            path: path.display().to_string(),
            reason,
        };
        if path.as_os_str().is_empty() {
            return Err(fail("empty path".into()));
        }
        if path.is_dir() {
            return Err(fail("is a directory".into()));
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            return Err(fail(format!("directory {} does not exist", dir.display())));
        }
        let tmp = tempfile::Builder::new()
            .prefix(".diannao-vcd.")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| {
                fail(
                    e.to_string()
                        .split(" at path ")
                        .next()
                        .unwrap_or_default()
                        .to_string(),
                )
            })?;
        Ok(VcdFile {
            tmp,
            path: path.to_path_buf(),
        })
    }

    pub(crate) fn writer(&self) -> Result<Box<dyn Write + Send>, RunError> {
        let f = self.tmp.reopen().map_err(|e| RunError::Vcd {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        })?;
        Ok(Box::new(std::io::BufWriter::new(f)))
    }

    pub(crate) fn persist(self) -> Result<(), RunError> {
        let path = self.path.display().to_string();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // the temporary file is private (0600); a trace is an ordinary output file
            let _ =
                std::fs::set_permissions(self.tmp.path(), std::fs::Permissions::from_mode(0o644));
        }
        self.tmp.persist(&self.path).map_err(|e| RunError::Vcd {
            path,
            reason: e.error.to_string(),
        })?;
        Ok(())
    }
}

fn row(
    cfg: &AccelConfig,
    name: &str,
    spec: &firmware::LayerSpec,
    figures: LayerFigures,
    stats: &sim::RunStats,
    compiled: &firmware::CompiledNode,
) -> Result<LayerRow, RunError> {
    let s3 = |(a, b, c): (u32, u32, u32)| [a, b, c];
    let (p, c) = (figures.predicted_cycles, figures.cycles);
    let prediction_error = (p > 0 && c > 0).then(|| (p as f64 - c as f64) / c as f64);
    let traffic_search = compiled
        .traffic_search(cfg)
        .map_err(|error| RunError::Compile {
            layer: name.to_string(),
            error,
        })?;
    let roofline = run::roofline(
        cfg,
        spec,
        figures.useful_macs,
        stats.counters.get(arch::events::Event::PortBusy),
        c,
    );
    Ok(LayerRow {
        name: name.into(),
        kind: spec.kind_name().into(),
        spec: spec.to_string(),
        input: s3(spec.input_shape()),
        output: s3(spec.output_shape()),
        figures,
        counters: stats
            .counters
            .iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        plan: compiled.plan_text(),
        prediction_error,
        roofline,
        traffic_search,
    })
}

/// Run the simulation `args` describes and build the report.
pub fn simulate(args: &SimulateOptions) -> Result<SimReport, RunError> {
    let cfg = crate::configs::resolve(&args.preset).map_err(|e| RunError::Config(e.to_string()))?;
    let table = run::energy_table(&args.energy)?;
    run::check_batch(args.batch)?;
    let work = Workload::resolve(args.model.as_deref(), args.layer.as_deref())?;
    work.check_budget(&cfg, args.batch)?;
    if args.vcd.is_some() && work.is_model {
        return Err(RunError::VcdModel);
    }
    let vcd = args.vcd.as_deref().map(VcdFile::create).transpose()?;
    let pb = progress(work.layers.len(), work.is_model && !args.quiet);
    let mut rows = Vec::new();
    let mut counters = Vec::new();
    if vcd.is_none() {
        // independent layers on every core of the current rayon pool, as
        // many at once as the memory budget allows; every layer's run is
        // the same whatever the thread count (a test compares the bits)
        let budget = crate::budget::Budget::from_env()?;
        let threads = crate::budget::concurrent_layers(
            &cfg,
            work.layers.iter().map(|(_, l)| l),
            args.batch,
            &budget,
            rayon::current_num_threads(),
        );
        let one = |i: usize| -> Result<(LayerRow, arch::events::Counters), RunError> {
            let (name, spec) = &work.layers[i];
            pb.set_message(name.clone());
            let ename = work.err_name(i);
            let compiled = run::compile(&cfg, spec, args.batch, &ename)?;
            let data = run::random_data(&cfg, spec, args.batch, args.seed, i as u64);
            let r = run::run_compiled(&cfg, spec, &compiled, &data, &table, None, &ename)?;
            pb.inc(1);
            Ok((
                row(&cfg, name, spec, r.figures, &r.stats, &compiled)?,
                r.stats.counters,
            ))
        };
        let results = crate::budget::map_layers(work.layers.len(), threads, one)?;
        pb.finish_and_clear();
        // the first failing layer in model order
        for r in results {
            let (row, c) = r?;
            rows.push(row);
            counters.push(c);
        }
        return Ok(report(&cfg, &table, &work, args, rows, &counters));
    }
    for (i, (name, spec)) in work.layers.iter().enumerate() {
        pb.set_message(name.clone());
        let ename = work.err_name(i);
        let compiled = run::compile(&cfg, spec, args.batch, &ename)?;
        let data = run::random_data(&cfg, spec, args.batch, args.seed, i as u64);
        let mut r = run::run_compiled(&cfg, spec, &compiled, &data, &table, None, &ename)?;
        if let Some(v) = &vcd {
            if r.stats.cycles > args.vcd_max_cycles {
                return Err(RunError::VcdTooLong {
                    cycles: r.stats.cycles,
                    limit: args.vcd_max_cycles,
                });
            }
            r = run::run_compiled(
                &cfg,
                spec,
                &compiled,
                &data,
                &table,
                Some(v.writer()?),
                &ename,
            )?;
        }
        counters.push(r.stats.counters.clone());
        rows.push(row(&cfg, name, spec, r.figures, &r.stats, &compiled)?);
        pb.inc(1);
    }
    pb.finish_and_clear();
    if let Some(v) = vcd {
        v.persist()?;
    }
    Ok(report(&cfg, &table, &work, args, rows, &counters))
}

fn report(
    cfg: &AccelConfig,
    table: &EnergyTable,
    work: &Workload,
    args: &SimulateOptions,
    layers: Vec<LayerRow>,
    counters: &[arch::events::Counters],
) -> SimReport {
    let all = run::sum_counters(counters);
    let f = |g: fn(&LayerFigures) -> u64| layers.iter().map(|l| g(&l.figures)).sum::<u64>();
    let cycles = f(|x| x.cycles);
    let useful_macs = f(|x| x.useful_macs);
    let total = Totals {
        cycles,
        useful_macs,
        utilisation: run::total_utilisation(
            cfg,
            work.layers
                .iter()
                .zip(&layers)
                .map(|((_, spec), l)| (spec, l.figures.useful_macs, l.figures.cycles)),
        ),
        dram_read_bytes: f(|x| x.dram_read_bytes),
        dram_write_bytes: f(|x| x.dram_write_bytes),
        energy: sim::energy(table, &all, cfg),
        seconds: cycles as f64 * cfg.seconds_per_cycle(),
        saturations: f(|x| x.saturations),
    };
    SimReport {
        preset: cfg.name.clone(),
        tn: cfg.tn,
        clock_mhz: cfg.clock_mhz,
        model: work.name.clone(),
        batch: args.batch,
        seed: args.seed,
        energy_table: table.name.clone(),
        energy_source: table.source.clone(),
        layers,
        total,
    }
}
