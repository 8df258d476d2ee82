//! `diannao simulate`: compile each layer, run it on the cycle-accurate
//! simulator with seeded random data ([`crate::run`]) and report per layer
//! and in total: cycles, utilisation, DRAM traffic, energy (per unit, from a
//! named table), time at the preset clock and saturations, as a table, JSON
//! or CSV.

use crate::run::{self, LayerFigures, RunError, Workload, DEFAULT_ENERGY_TABLE, VCD_MAX_CYCLES};
use arch::AccelConfig;
use serde::Serialize;
use sim::{EnergyReport, EnergyTable};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Options of `diannao simulate`.
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("workload").required(true).args(["model", "layer"])))]
pub struct SimulateArgs {
    /// Preset name or config file (.toml/.json) of the accelerator.
    #[arg(long, value_name = "NAME|FILE")]
    pub preset: String,
    /// Built-in model (lenet5, alexnet, nin, googlenet, diannao_bench) or model file (.toml).
    #[arg(long, value_name = "NAME|FILE")]
    pub model: Option<String>,
    /// One layer, e.g. `conv:nx=32,ny=32,k=3,ni=16,no=32,pad=1,act=relu`,
    /// `pool:nx=16,ny=16,k=2,ni=32,kind=max`, `class:ni=512,no=10`.
    #[arg(long, value_name = "SPEC")]
    pub layer: Option<String>,
    /// Images per run (every layer processes the whole batch).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub batch: u32,
    /// Print JSON instead of a table.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV (one row per layer, then a `total` row) instead of a table.
    #[arg(long)]
    pub csv: bool,
    /// Energy table: horowitz45 (default; Horowitz ISSCC 2014, 45 nm), dnnsim,
    /// or a table file (.toml, the format of sim/energy/). The output names the table used.
    #[arg(long, default_value = DEFAULT_ENERGY_TABLE, value_name = "NAME|FILE")]
    pub energy: String,
    /// Also print each layer's tiling plan (tile sizes, loop order, predicted DRAM traffic).
    #[arg(long)]
    pub plan: bool,
    /// No progress bar (it is also off when standard error is not a terminal).
    #[arg(long)]
    pub quiet: bool,
    /// Write a VCD trace of the run (one layer only; simulated cycle by cycle).
    #[arg(long, value_name = "FILE")]
    pub vcd: Option<PathBuf>,
    /// Longest run (cycles) that --vcd will trace.
    #[arg(long, default_value_t = VCD_MAX_CYCLES, value_name = "CYCLES")]
    pub vcd_max_cycles: u64,
    /// Seed of the random data (see `host::run` for the distribution).
    #[arg(long, default_value_t = 1, value_name = "S")]
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
}

/// Totals over the layers (layers run one after another).
#[derive(Clone, Debug, Serialize)]
pub struct Totals {
    /// Sum of cycles.
    pub cycles: u64,
    /// Sum of useful MACs.
    pub useful_macs: u64,
    /// Total useful MACs / (Tn * Tn * total cycles).
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

    pub(crate) fn writer(&self) -> Result<Box<dyn Write>, RunError> {
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
    name: &str,
    spec: &firmware::LayerSpec,
    figures: LayerFigures,
    stats: &sim::RunStats,
    plan: String,
) -> LayerRow {
    let s3 = |(a, b, c): (u32, u32, u32)| [a, b, c];
    LayerRow {
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
        plan,
    }
}

/// Run the simulation `args` describes and build the report.
pub fn simulate(args: &SimulateArgs) -> Result<SimReport, RunError> {
    let cfg = crate::configs::resolve(&args.preset).map_err(|e| RunError::Config(e.to_string()))?;
    let table = run::energy_table(&args.energy)?;
    run::check_batch(args.batch)?;
    let work = Workload::resolve(args.model.as_deref(), args.layer.as_deref())?;
    if args.vcd.is_some() && work.is_model {
        return Err(RunError::VcdModel);
    }
    let vcd = args.vcd.as_deref().map(VcdFile::create).transpose()?;
    let pb = progress(work.layers.len(), work.is_model && !args.quiet);
    let mut rows = Vec::new();
    let mut counters = Vec::new();
    for (i, (name, spec)) in work.layers.iter().enumerate() {
        pb.set_message(name.clone());
        let ename = work.err_name(i);
        let compiled = run::compile(&cfg, spec, args.batch, &ename)?;
        let data = run::random_data(&cfg, spec, args.batch, args.seed, i as u64);
        let mut r = run::run_compiled(&cfg, &compiled, &data, &table, None, &ename)?;
        if let Some(v) = &vcd {
            if r.stats.cycles > args.vcd_max_cycles {
                return Err(RunError::VcdTooLong {
                    cycles: r.stats.cycles,
                    limit: args.vcd_max_cycles,
                });
            }
            r = run::run_compiled(&cfg, &compiled, &data, &table, Some(v.writer()?), &ename)?;
        }
        counters.push(r.stats.counters.clone());
        rows.push(row(
            name,
            spec,
            r.figures,
            &r.stats,
            compiled.plan.to_string(),
        ));
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
    args: &SimulateArgs,
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
        utilisation: run::utilisation(cfg, useful_macs, cycles),
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

/// The report as pretty JSON (with a final newline).
pub fn json(r: &SimReport) -> Result<String, RunError> {
    let mut s = serde_json::to_string_pretty(r).map_err(|e| RunError::Io(e.into()))?;
    s.push('\n');
    Ok(s)
}

fn shape(s: &[u32; 3]) -> String {
    format!("{}x{}x{}", s[0], s[1], s[2])
}

const CSV_HEADER: &str = "layer,type,input,output,cycles,useful_macs,utilisation,dram_read_bytes,dram_write_bytes,\
energy_nfu_pj,energy_nbin_pj,energy_sb_pj,energy_nbout_pj,energy_dram_pj,energy_total_pj,time_s,saturations,energy_table";

fn csv_energy(e: &EnergyReport) -> String {
    e.per_unit()
        .iter()
        .map(|(_, v)| format!("{v:.1}"))
        .chain([format!("{:.1}", e.total_pj)])
        .collect::<Vec<_>>()
        .join(",")
}

/// The report as CSV: a header, one row per layer, then a `total` row.
pub fn csv(r: &SimReport) -> String {
    let mut s = String::from(CSV_HEADER);
    s.push('\n');
    for l in &r.layers {
        let f = &l.figures;
        s += &format!(
            "{},{},{},{},{},{},{:.6},{},{},{},{:.9e},{},{}\n",
            l.name,
            l.kind,
            shape(&l.input),
            shape(&l.output),
            f.cycles,
            f.useful_macs,
            f.utilisation,
            f.dram_read_bytes,
            f.dram_write_bytes,
            csv_energy(&f.energy),
            f.seconds,
            f.saturations,
            r.energy_table
        );
    }
    let t = &r.total;
    s += &format!(
        "total,,,,{},{},{:.6},{},{},{},{:.9e},{},{}\n",
        t.cycles,
        t.useful_macs,
        t.utilisation,
        t.dram_read_bytes,
        t.dram_write_bytes,
        csv_energy(&t.energy),
        t.seconds,
        t.saturations,
        r.energy_table
    );
    s
}

/// Right-align columns (the first two left-aligned).
fn columns(rows: &[Vec<String>]) -> String {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let w: Vec<usize> = (0..n)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(c, s)| {
                if c < 2 {
                    format!("{s:<w$}", w = w[c])
                } else {
                    format!("{s:>w$}", w = w[c])
                }
            })
            .collect();
        out += cells.join("  ").trim_end();
        out.push('\n');
    }
    out
}

fn mb(bytes: u64) -> String {
    format!("{:.3}", bytes as f64 / 1e6)
}

/// The report as a human-readable table.
pub fn table(r: &SimReport) -> String {
    let mut rows = vec![vec![
        "layer".to_string(),
        "type".into(),
        "input -> output".into(),
        "cycles".into(),
        "util %".into(),
        "DRAM rd MB".into(),
        "DRAM wr MB".into(),
        "energy uJ".into(),
        "NFU/buf/DRAM %".into(),
        "time us".into(),
        "saturations".into(),
    ]];
    let split = |e: &EnergyReport| {
        let p = |x: f64| {
            if e.total_pj > 0.0 {
                100.0 * x / e.total_pj
            } else {
                0.0
            }
        };
        format!(
            "{:.0}/{:.0}/{:.0}",
            p(e.nfu_pj),
            p(e.nbin_pj + e.sb_pj + e.nbout_pj),
            p(e.dram_pj)
        )
    };
    for l in &r.layers {
        let f = &l.figures;
        rows.push(vec![
            l.name.clone(),
            l.kind.clone(),
            format!("{} -> {}", shape(&l.input), shape(&l.output)),
            f.cycles.to_string(),
            format!("{:.1}", 100.0 * f.utilisation),
            mb(f.dram_read_bytes),
            mb(f.dram_write_bytes),
            format!("{:.2}", f.energy.total_pj / 1e6),
            split(&f.energy),
            format!("{:.2}", f.seconds * 1e6),
            f.saturations.to_string(),
        ]);
    }
    let t = &r.total;
    rows.push(vec![
        "total".into(),
        String::new(),
        String::new(),
        t.cycles.to_string(),
        format!("{:.1}", 100.0 * t.utilisation),
        mb(t.dram_read_bytes),
        mb(t.dram_write_bytes),
        format!("{:.2}", t.energy.total_pj / 1e6),
        split(&t.energy),
        format!("{:.2}", t.seconds * 1e6),
        t.saturations.to_string(),
    ]);
    let mut s = format!(
        "{} on preset {} (Tn={}, {} MHz), batch {}, seed {}, energy table {}\n",
        r.model, r.preset, r.tn, r.clock_mhz, r.batch, r.seed, r.energy_table
    );
    s += &columns(&rows);
    let e = &t.energy;
    s += &format!(
        "energy by unit (uJ): nfu {:.2}, nbin {:.2}, sb {:.2}, nbout {:.2}, dram {:.2}; util = useful MACs / (Tn*Tn*cycles)\nenergy table {}: {}\n",
        e.nfu_pj / 1e6,
        e.nbin_pj / 1e6,
        e.sb_pj / 1e6,
        e.nbout_pj / 1e6,
        e.dram_pj / 1e6,
        r.energy_table,
        r.energy_source
    );
    s
}

/// Each layer's tiling plan, one block per layer.
fn plans(r: &SimReport) -> String {
    r.layers
        .iter()
        .map(|l| format!("plan of {}: {}\n", l.name, l.plan))
        .collect()
}

/// Run `simulate` and render it as `args` asks.
pub fn command(args: &SimulateArgs) -> Result<String, RunError> {
    let r = simulate(args)?;
    if args.json {
        json(&r)
    } else if args.csv {
        Ok(csv(&r))
    } else if args.plan {
        Ok(table(&r) + &plans(&r))
    } else {
        Ok(table(&r))
    }
}
