//! `diannao bench`: the simulator's own speed. For every layer: wall time of
//! the simulator run on one core (the simulator is single-threaded; the
//! median of `--repeat` runs, each on a fresh machine and DRAM image),
//! simulated cycles per second and simulated MACs per second of wall time,
//! beside the host's native f32 throughput on the same layer's arithmetic
//! ([`baseline`]: im2col + SGEMM, single thread and all cores), all
//! from the same process; and the whole forward pass's wall time.
//!
//! With `--backends` ([`backend_speed`]): one layer vector on several
//! execution backends (simulator fast and stepped, Verilator on 1 and all
//! threads, rust-hdl), their simulated cycles per second side by side.

pub mod axi_ideal;
pub mod backend_speed;
pub mod workloads;

use arch::AccelConfig;
use baseline::{self, Timing};
use firmware::LayerSpec;
use runtime::run::{self, RunError, Workload};
use serde::Serialize;
use std::time::Instant;

/// Target wall time of AlexNet's forward pass at batch 1, seconds.
pub const TARGET_FORWARD_S: f64 = 2.0;
/// Target simulator speed, simulated cycles per wall second.
pub const TARGET_CYCLES_PER_S: f64 = 4.0e6;
/// Target: simulated MACs per wall second on the model's convolutions, as a
/// fraction of the host's one-thread f32 SGEMM MACs per second on the same
/// layers (docs/performance.md).
pub const TARGET_CONV_MAC_RATIO: f64 = 1.0 / 3.0;
/// Target: the simulator's forward-pass wall time as a multiple of the
/// host's one-thread f32 forward time, at most.
pub const TARGET_FORWARD_RATIO: f64 = 2.0;

/// A speed target and the figure measured against it, both from one run.
#[derive(Clone, Debug, Serialize)]
pub struct TargetCheck {
    /// What is measured.
    pub what: String,
    /// The measured figure (a ratio).
    pub value: f64,
    /// The target.
    pub target: f64,
    /// `value >= target` (`at_least`) or `value <= target`.
    pub at_least: bool,
    /// Whether the target is met.
    pub met: bool,
}

impl TargetCheck {
    fn new(what: &str, value: f64, target: f64, at_least: bool) -> Self {
        let met = if at_least {
            value >= target
        } else {
            value <= target
        };
        TargetCheck {
            what: what.into(),
            value,
            target,
            at_least,
            met,
        }
    }
}

/// The ratio targets of `layers` (host f32 one-thread figures needed):
/// convolution MAC rate against SGEMM, forward time against the host's.
pub fn targets(layers: &[LayerBench]) -> Vec<TargetCheck> {
    let mut out = Vec::new();
    let conv: Vec<&LayerBench> = layers.iter().filter(|l| l.kind == "conv").collect();
    let host_conv: Option<f64> = conv.iter().map(|l| l.host_1t.map(|t| t.median_s)).sum();
    if let (false, Some(h)) = (conv.is_empty(), host_conv) {
        let sim: f64 = conv.iter().map(|l| l.sim.median_s).sum();
        out.push(TargetCheck::new(
            "simulated conv MAC/s / host f32 SGEMM MAC/s (1 thread)",
            // (macs / sim) / (macs / host): the same MACs on both sides
            h / sim,
            TARGET_CONV_MAC_RATIO,
            true,
        ));
    }
    let host: Option<f64> = layers.iter().map(|l| l.host_1t.map(|t| t.median_s)).sum();
    if let (false, Some(h)) = (layers.is_empty(), host) {
        let sim: f64 = layers.iter().map(|l| l.sim.median_s).sum();
        out.push(TargetCheck::new(
            "simulator forward wall time / host f32 forward time (1 thread)",
            sim / h,
            TARGET_FORWARD_RATIO,
            false,
        ));
    }
    out
}

/// Options of `diannao bench`.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Preset name or config file (.toml/.json) of the accelerator.
    pub preset: String,
    /// Built-in model or model file (default alexnet unless --layer is given).
    pub model: Option<String>,
    /// One layer instead of a model.
    pub layer: Option<String>,
    /// Timed repetitions per measurement (the median is reported).
    pub repeat: usize,
    /// Images per run.
    pub batch: u32,
    /// Seed of the random data.
    pub seed: u64,
    /// Skip the host f32 baseline.
    pub no_host: bool,
    /// Print JSON instead of a table.
    pub json: bool,
    /// Benchmark these execution backends on one layer instead
    /// ([`backend_speed::BENCH_BACKENDS`]); empty: the simulator benchmark.
    pub backends: Vec<String>,
    /// Print a line to stderr as each backend starts (backends mode).
    pub progress: bool,
    /// Instead: the AXI path against an ideal port, every layer of the model
    /// ([`axi_ideal::bench_axi`]); `Some(true)` also runs Verilator.
    pub axi: Option<bool>,
}

/// The 1-minute load average (Linux `/proc/loadavg`).
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
}

/// Measurements of one layer.
#[derive(Clone, Debug, Serialize)]
pub struct LayerBench {
    /// Layer name.
    pub name: String,
    /// conv, pool or class.
    #[serde(rename = "type")]
    pub kind: String,
    /// Simulated cycles.
    pub cycles: u64,
    /// Useful MACs (pooling: window operations).
    pub macs: u64,
    /// Compile time (tiler + code generation + encoding the program into
    /// its DRAM words, once), seconds.
    pub compile_s: f64,
    /// Random data, packing into DRAM and reading the outputs back, seconds.
    pub data_s: f64,
    /// Simulator run wall time (median), seconds.
    pub sim: Timing,
    /// Simulator run CPU time of its thread (median), seconds, where measurable.
    pub sim_cpu_s: Option<f64>,
    /// Simulated cycles per wall second (median run).
    pub cycles_per_s: f64,
    /// Simulated MACs per wall second (median run).
    pub sim_macs_per_s: f64,
    /// Host f32, one thread: wall time.
    pub host_1t: Option<Timing>,
    /// Host f32, all cores: wall time.
    pub host_all: Option<Timing>,
    /// Host f32 MACs per second, one thread.
    pub host_1t_macs_per_s: Option<f64>,
    /// Host f32 MACs per second, all cores.
    pub host_all_macs_per_s: Option<f64>,
}

/// A whole benchmark.
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    /// Preset.
    pub preset: String,
    /// Model name.
    pub model: String,
    /// Images.
    pub batch: u32,
    /// Repetitions.
    pub repeat: usize,
    /// Host cores (`available_parallelism`).
    pub host_threads: usize,
    /// Per layer.
    pub layers: Vec<LayerBench>,
    /// Sum of simulated cycles.
    pub total_cycles: u64,
    /// Sum of the simulator run medians, seconds.
    pub total_sim_s: f64,
    /// Compile + data + simulator, summed over the layers, seconds.
    pub total_end_to_end_s: f64,
    /// total_cycles / total_sim_s.
    pub cycles_per_s: f64,
    /// Sum of the simulator runs' thread CPU times (medians), seconds.
    pub total_sim_cpu_s: Option<f64>,
    /// Load average (1 minute) when the benchmark ended: above the core
    /// count, wall times are inflated by other processes.
    pub load_average: Option<f64>,
    /// Host f32 forward pass, one thread / all cores, seconds (sum of medians).
    pub host_1t_s: Option<f64>,
    /// Host f32 forward pass, all cores, seconds.
    pub host_all_s: Option<f64>,
    /// The ratio targets ([`targets`]; empty with `--no-host`).
    pub targets: Vec<TargetCheck>,
}

/// CPU time consumed by the calling thread, seconds (Linux
/// `CLOCK_THREAD_CPUTIME_ID`): unlike wall time, not inflated when other
/// processes compete for the cores. `None` elsewhere.
pub fn thread_cpu_s() -> Option<f64> {
    #[cfg(target_os = "linux")]
    {
        #[repr(C)]
        struct Timespec {
            sec: i64,
            nsec: i64,
        }
        extern "C" {
            fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
        }
        const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
        let mut t = Timespec { sec: 0, nsec: 0 };
        // SAFETY: `t` is a valid, writable timespec (64-bit Linux layout).
        let r = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut t) };
        if r == 0 && cfg!(target_pointer_width = "64") {
            return Some(t.sec as f64 + t.nsec as f64 * 1e-9);
        }
    }
    None
}

fn f32s(v: &[i16], frac: u32) -> Vec<f32> {
    let s = 1.0 / (1u64 << frac) as f32;
    v.iter().map(|&x| x as f32 * s).collect()
}

/// Time the host f32 version of `layer` in a pool of `threads` threads (0 = all).
fn host_time(
    layer: &LayerSpec,
    batch: u32,
    data: &run::LayerData,
    frac: u32,
    threads: usize,
    repeat: usize,
) -> Result<Timing, RunError> {
    let x = f32s(&data.input, frac);
    let w = f32s(&data.weights, frac);
    let b = f32s(&data.bias, frac);
    let batch = batch as usize;
    let out_len = layer.output_len() as usize * batch;
    baseline::with_threads(threads, || {
        let mut y = vec![0f32; out_len];
        baseline::time(1, repeat, || {
            baseline::layer_forward_into(layer, batch, &x, &w, &b, &mut y);
            std::hint::black_box(&y);
        })
    })
    .map_err(|e| RunError::Threads(e.to_string()))
}

fn bench_layer(
    cfg: &AccelConfig,
    work: &Workload,
    i: usize,
    args: &BenchOptions,
) -> Result<LayerBench, RunError> {
    let (name, spec) = &work.layers[i];
    let ename = work.err_name(i);
    let t0 = Instant::now();
    let compiled = run::compile(cfg, spec, args.batch, &ename)?;
    let serr = |source| RunError::Sim {
        layer: ename.clone(),
        error: source,
    };
    // encoded once, as a program is loaded once and run many times (the
    // training engine does the same); each run writes the words into DRAM
    let encoded = compiled
        .pieces
        .iter()
        .map(|p| sim::Encoded::new(cfg, p.instructions()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(serr)?;
    let compile_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let data = run::random_data(cfg, spec, args.batch, args.seed, i as u64);
    let drams = (0..compiled.pieces.len())
        .map(|p| run::load_dram(cfg, &compiled, p, &data, &ename))
        .collect::<Result<Vec<_>, _>>()?;
    let mut data_s = t1.elapsed().as_secs_f64();
    let mut times = Vec::new();
    let mut cpu = Vec::new();
    let mut cycles = 0;
    for rep in 0..args.repeat.max(1) {
        let mut ds = drams.clone();
        let c0 = thread_cpu_s();
        let t = Instant::now();
        let mut c = 0;
        for (e, d) in encoded.iter().zip(ds.iter_mut()) {
            c += run::execute_encoded(cfg, e, d).map_err(serr)?.cycles;
        }
        times.push(t.elapsed().as_secs_f64());
        if let (Some(a), Some(b)) = (c0, thread_cpu_s()) {
            cpu.push(b - a);
        }
        cycles = c;
        if rep == 0 {
            let t2 = Instant::now();
            let mut out = vec![0i16; (spec.output_len() * args.batch as u64) as usize];
            for (p, d) in ds.iter().enumerate() {
                run::read_output(&compiled, p, d, &ename, &mut out)?;
            }
            std::hint::black_box(out);
            data_s += t2.elapsed().as_secs_f64();
        }
    }
    drop(drams);
    let sim = Timing::of(times);
    let sim_cpu_s = (!cpu.is_empty()).then(|| Timing::of(cpu).median_s);
    let macs = compiled.useful_macs;
    let (host_1t, host_all) = if args.no_host {
        (None, None)
    } else {
        let r = args.repeat.max(1);
        (
            Some(host_time(spec, args.batch, &data, cfg.frac_bits, 1, r)?),
            Some(host_time(spec, args.batch, &data, cfg.frac_bits, 0, r)?),
        )
    };
    let per_s = |t: &Timing| macs as f64 / t.median_s;
    Ok(LayerBench {
        name: name.clone(),
        kind: spec.kind_name().into(),
        cycles,
        macs,
        compile_s,
        data_s,
        cycles_per_s: cycles as f64 / sim.median_s,
        sim_macs_per_s: macs as f64 / sim.median_s,
        sim,
        sim_cpu_s,
        host_1t_macs_per_s: host_1t.as_ref().map(per_s),
        host_all_macs_per_s: host_all.as_ref().map(per_s),
        host_1t,
        host_all,
    })
}

/// Run the benchmark `args` describes.
pub fn bench(args: &BenchOptions) -> Result<BenchReport, RunError> {
    let cfg =
        runtime::configs::resolve(&args.preset).map_err(|e| RunError::Config(e.to_string()))?;
    run::check_batch(args.batch)?;
    let model = match (&args.model, &args.layer) {
        (None, None) => Some("alexnet"),
        (m, _) => m.as_deref(),
    };
    let work = Workload::resolve(model, args.layer.as_deref())?;
    let pb = runtime::simulate::progress(work.layers.len(), work.is_model && !args.json);
    let mut layers = Vec::new();
    for i in 0..work.layers.len() {
        pb.set_message(work.layers[i].0.clone());
        layers.push(bench_layer(&cfg, &work, i, args)?);
        pb.inc(1);
    }
    pb.finish_and_clear();
    let total_cycles = layers.iter().map(|l| l.cycles).sum();
    let total_sim_s: f64 = layers.iter().map(|l| l.sim.median_s).sum();
    let host = |f: fn(&LayerBench) -> Option<Timing>| {
        layers
            .iter()
            .map(|l| f(l).map(|t| t.median_s))
            .sum::<Option<f64>>()
    };
    Ok(BenchReport {
        preset: cfg.name.clone(),
        model: work.name.clone(),
        batch: args.batch,
        repeat: args.repeat.max(1),
        host_threads: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        total_cycles,
        total_sim_s,
        total_end_to_end_s: layers
            .iter()
            .map(|l| l.compile_s + l.data_s + l.sim.median_s)
            .sum(),
        cycles_per_s: total_cycles as f64 / total_sim_s,
        total_sim_cpu_s: layers.iter().map(|l| l.sim_cpu_s).sum::<Option<f64>>(),
        load_average: load_average(),
        host_1t_s: host(|l| l.host_1t),
        host_all_s: host(|l| l.host_all),
        targets: targets(&layers),
        layers,
    })
}

fn g(x: Option<f64>, scale: f64) -> String {
    x.map(|v| format!("{:.2}", v / scale))
        .unwrap_or_else(|| "-".into())
}

/// The report as a table.
pub fn table(r: &BenchReport) -> String {
    let mut s = format!(
        "bench {} on preset {}, batch {}, median of {} runs; simulator on one core, host f32 on 1 and {} threads\n",
        r.model, r.preset, r.batch, r.repeat, r.host_threads
    );
    s += &format!(
        "{:<8} {:<5} {:>11} {:>13} {:>10} {:>10} {:>9} {:>10} {:>12} {:>12} {:>10}\n",
        "layer",
        "type",
        "cycles",
        "MACs",
        "sim ms",
        "sim CPU ms",
        "Mcyc/s",
        "sim GMAC/s",
        "host1 GMAC/s",
        "hostN GMAC/s",
        "compile ms"
    );
    for l in &r.layers {
        s += &format!(
            "{:<8} {:<5} {:>11} {:>13} {:>10.2} {:>10} {:>9.2} {:>10.3} {:>12} {:>12} {:>10.2}\n",
            l.name,
            l.kind,
            l.cycles,
            l.macs,
            l.sim.median_s * 1e3,
            g(l.sim_cpu_s, 1e-3),
            l.cycles_per_s / 1e6,
            l.sim_macs_per_s / 1e9,
            g(l.host_1t_macs_per_s, 1e9),
            g(l.host_all_macs_per_s, 1e9),
            l.compile_s * 1e3
        );
    }
    let ok = |b: bool| if b { "met" } else { "NOT met" };
    s += &format!(
        "total: {} cycles; simulator wall {:.3} s (target < {:.0} s: {}), {:.2} M cycles/s (target >= {:.0} M: {}); end to end (compile + data + simulate) {:.3} s\n",
        r.total_cycles,
        r.total_sim_s,
        TARGET_FORWARD_S,
        ok(r.total_sim_s < TARGET_FORWARD_S),
        r.cycles_per_s / 1e6,
        TARGET_CYCLES_PER_S / 1e6,
        ok(r.cycles_per_s >= TARGET_CYCLES_PER_S),
        r.total_end_to_end_s,
    );
    if let Some(c) = r.total_sim_cpu_s {
        s +=
            &format!(
            "simulator thread CPU time {:.3} s ({:.2} M cycles per CPU second); load average {}\n",
            c,
            r.total_cycles as f64 / c / 1e6,
            r.load_average.map(|l| format!("{l:.2}")).unwrap_or_else(|| "?".into())
        );
    }
    if let (Some(a), Some(b)) = (r.host_1t_s, r.host_all_s) {
        s += &format!(
            "host f32 forward: {:.4} s on 1 thread, {:.4} s on {} threads\n",
            a, b, r.host_threads
        );
    }
    for t in &r.targets {
        s += &target_line(t);
    }
    s
}

/// One target as a line: figure, target, met or not.
fn target_line(t: &TargetCheck) -> String {
    format!(
        "target: {} = {:.3} (target {} {:.3}): {}\n",
        t.what,
        t.value,
        if t.at_least { ">=" } else { "<=" },
        t.target,
        if t.met { "met" } else { "NOT met" }
    )
}

fn to_json(r: &impl Serialize) -> Result<String, RunError> {
    let mut s = serde_json::to_string_pretty(r).map_err(|e| RunError::Io(e.into()))?;
    s.push('\n');
    Ok(s)
}

/// Run `bench` (or, with `args.backends`, [`backend_speed::bench_backends`]) and render it.
pub fn command(args: &BenchOptions) -> Result<String, RunError> {
    if let Some(verilator) = args.axi {
        let cfg =
            runtime::configs::resolve(&args.preset).map_err(|e| RunError::Config(e.to_string()))?;
        run::check_batch(args.batch)?;
        let only: Vec<String> = args.layer.iter().cloned().collect();
        let r = axi_ideal::bench_axi(
            &cfg,
            args.model.as_deref().unwrap_or("lenet5"),
            &only,
            args.batch,
            args.seed,
            verilator,
            args.progress,
        )?;
        return if args.json {
            to_json(&r)
        } else {
            Ok(axi_ideal::table(&r))
        };
    }
    if !args.backends.is_empty() {
        let cfg =
            runtime::configs::resolve(&args.preset).map_err(|e| RunError::Config(e.to_string()))?;
        run::check_batch(args.batch)?;
        let r = backend_speed::bench_backends(&cfg, args)?;
        return if args.json {
            to_json(&r)
        } else {
            Ok(backend_speed::table(&r))
        };
    }
    let r = bench(args)?;
    if args.json {
        to_json(&r)
    } else {
        Ok(table(&r))
    }
}
