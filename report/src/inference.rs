//! `diannao run`: inference of a whole model with its own weights on a
//! `.npy` input, per layer (cycles, time, energy, saturations) and in total,
//! with the output written as `.npy`.

use runtime::graph::{self, Backend, GraphRun};
use runtime::run::{self, RunError};
use serde::Serialize;
use std::path::PathBuf;

/// Options of [`command`].
#[derive(Clone, Debug)]
pub struct InferOptions {
    /// Preset name or configuration file.
    pub preset: String,
    /// ONNX file.
    pub model: String,
    /// Input `.npy` (float32, `[N, C, H, W]` or `[N, F]`).
    pub input: PathBuf,
    /// Output `.npy` to write.
    pub out: Option<PathBuf>,
    /// Where the graph runs.
    pub backend: Backend,
    /// Energy table name or file.
    pub energy: String,
    /// JSON instead of a table.
    pub json: bool,
    /// No progress bar.
    pub quiet: bool,
    /// Class labels (`.npy`, one per image): report the accuracy of the argmax.
    pub labels: Option<PathBuf>,
    /// Fraction bits of the data format instead of the preset's.
    pub frac: Option<u32>,
}

/// What `diannao run` reports.
#[derive(Clone, Debug, Serialize)]
pub struct InferReport {
    /// Preset.
    pub preset: String,
    /// Tn.
    pub tn: u32,
    /// Clock, MHz.
    pub clock_mhz: f64,
    /// Fraction bits of the data format.
    pub frac_bits: u32,
    /// Model name.
    pub model: String,
    /// Energy table.
    pub energy_table: String,
    /// The run (per-layer figures and the output).
    pub run: GraphRun,
    /// Energy of the whole run, pJ (Sim).
    pub energy_pj: f64,
    /// Time at the preset's clock, seconds (Sim).
    pub seconds: f64,
    /// Largest worst-case |sim - f32| over the output values ([`graph::error_bound`]);
    /// `None` on the CPU backend or when a value saturated.
    pub error_bound: Option<f64>,
    /// Output shape written: `[N, maps]` for a vector output, else `[N, C, H, W]`.
    pub output_shape: Vec<usize>,
    /// Index of the largest output of each image (a classifier's prediction).
    pub argmax: Vec<usize>,
    /// Fraction of images whose argmax equals its label (with `labels`).
    pub accuracy: Option<f64>,
    /// Nodes of the file the output does not depend on (not run).
    pub ignored: Vec<String>,
}

/// Run inference and render it.
pub fn command(o: &InferOptions) -> Result<String, RunError> {
    let mut cfg =
        runtime::configs::resolve(&o.preset).map_err(|e| RunError::Config(e.to_string()))?;
    if let Some(f) = o.frac {
        cfg.frac_bits = f;
        cfg.validate()
            .map_err(|e| RunError::Config(format!("--frac {f}: {e}")))?;
    }
    let table = run::energy_table(&o.energy)?;
    let net = runtime::models::load_network(&o.model)?;
    let x = runtime::npy::read(&o.input)?;
    let batch = runtime::npy::batch_of(&x, &o.input, net.model.input)?;
    let labels = o
        .labels
        .as_ref()
        .map(|p| {
            let l = runtime::npy::read_labels(p)?;
            if l.len() != batch as usize {
                return Err(RunError::Npy(runtime::npy::NpyError::Shape {
                    path: p.display().to_string(),
                    got: vec![l.len()],
                    want: format!("[{batch}] (one label per input image)"),
                }));
            }
            Ok(l)
        })
        .transpose()?;
    let pb = runtime::simulate::progress(net.model.layers.len(), !o.quiet);
    let r = graph::run_graph(
        &cfg,
        &net,
        &x.data,
        batch,
        o.backend,
        &table,
        |_, _, name| {
            pb.set_message(name.to_string());
            pb.inc(1);
        },
    )?;
    pb.finish_and_clear();
    let [c, h, w] = r.output_shape;
    let output_shape = if h == 1 && w == 1 {
        vec![batch as usize, c as usize]
    } else {
        vec![batch as usize, c as usize, h as usize, w as usize]
    };
    let error_bound = if o.backend == Backend::Sim
        && r.saturations() == 0
        && r.input_saturations == 0
        && r.param_saturations == 0
    {
        let b = graph::error_bound(&cfg, &net, &x.data, batch)?;
        Some(b.iter().copied().fold(0.0, f64::max))
    } else {
        None
    };
    let per = (c * h * w) as usize;
    let argmax = r
        .output
        .chunks(per.max(1))
        .map(|v| {
            v.iter()
                .enumerate()
                .fold(
                    (0, f32::NEG_INFINITY),
                    |b, (i, &x)| if x > b.1 { (i, x) } else { b },
                )
                .0
        })
        .collect::<Vec<usize>>();
    let accuracy = labels.map(|l| {
        let hit = l.iter().zip(&argmax).filter(|(a, b)| a == b).count();
        hit as f64 / l.len().max(1) as f64
    });
    let energy_pj = r
        .layers
        .iter()
        .filter_map(|l| l.figures.as_ref())
        .map(|f| f.energy.total_pj)
        .sum();
    let seconds = r.cycles() as f64 * cfg.seconds_per_cycle();
    if let Some(p) = &o.out {
        runtime::npy::write(p, &output_shape, &r.output)?;
    }
    let rep = InferReport {
        preset: cfg.name.clone(),
        tn: cfg.tn,
        clock_mhz: cfg.clock_mhz,
        frac_bits: cfg.frac_bits,
        model: net.model.name.clone(),
        energy_table: table.name.clone(),
        run: r,
        energy_pj,
        seconds,
        error_bound,
        output_shape,
        argmax,
        accuracy,
        ignored: net.ignored.clone(),
    };
    if o.json {
        let mut s = serde_json::to_string_pretty(&rep).map_err(|e| RunError::Io(e.into()))?;
        s.push('\n');
        Ok(s)
    } else {
        Ok(text(&rep, o))
    }
}

fn text(r: &InferReport, o: &InferOptions) -> String {
    let sim = r.run.backend == Backend::Sim;
    let mut s = String::new();
    if !r.ignored.is_empty() {
        s += &format!(
            "not run: {} node(s) the output does not depend on: {}\n",
            r.ignored.len(),
            r.ignored.join(", ")
        );
    }
    s += &format!(
        "{} ({}) on {}, batch {}: {}\n",
        r.model,
        o.model,
        if sim {
            format!(
                "the simulator, preset {} (Tn={}, {} MHz, {} fraction bits), energy table {}",
                r.preset, r.tn, r.clock_mhz, r.frac_bits, r.energy_table
            )
        } else if r.run.backend == Backend::Cpu {
            "the CPU in f32".to_string()
        } else {
            format!(
                "the fixed-point CPU reference ({} fraction bits)",
                r.frac_bits
            )
        },
        r.run.batch,
        match r.run.backend {
            Backend::Sim => "fixed point, every layer on its real input",
            Backend::Cpu => "exact activations",
            Backend::Reference => "bit for bit what the simulator computes",
        }
    );
    let mut rows = vec![if sim {
        vec![
            "layer",
            "type",
            "output",
            "input",
            "programs",
            "cycles",
            "time us",
            "energy uJ",
            "saturations",
        ]
    } else {
        vec!["layer", "type", "output", "host ms"]
    }
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>()];
    for l in &r.run.layers {
        let shape = format!("{}x{}x{}", l.output[0], l.output[1], l.output[2]);
        rows.push(match &l.figures {
            Some(f) => vec![
                l.name.clone(),
                l.kind.clone(),
                shape,
                l.feed.map_or("", |f| f.name()).to_string(),
                l.programs.to_string(),
                f.cycles.to_string(),
                format!("{:.2}", f.seconds * 1e6),
                format!("{:.3}", f.energy.total_pj / 1e6),
                f.saturations.to_string(),
            ],
            None => vec![
                l.name.clone(),
                l.kind.clone(),
                shape,
                format!("{:.3}", l.wall_s * 1e3),
            ],
        });
    }
    if sim {
        rows.push(vec![
            "total".into(),
            String::new(),
            String::new(),
            String::new(),
            r.run
                .layers
                .iter()
                .map(|l| l.programs)
                .sum::<usize>()
                .to_string(),
            r.run.cycles().to_string(),
            format!("{:.2}", r.seconds * 1e6),
            format!("{:.3}", r.energy_pj / 1e6),
            r.run.saturations().to_string(),
        ]);
    } else {
        rows.push(vec![
            "total".into(),
            String::new(),
            String::new(),
            format!(
                "{:.3}",
                r.run.layers.iter().map(|l| l.wall_s).sum::<f64>() * 1e3
            ),
        ]);
    }
    s += &crate::simulate::columns(&rows);
    if sim {
        let placed = r
            .run
            .layers
            .iter()
            .filter(|l| l.feed == Some(runtime::dram_plan::Feed::InPlace))
            .count();
        s += &format!(
            "input: `in place` = the producers' programs stored it into this layer's input in DRAM ({placed} of {} layers; concatenations included), `host` = laid out by the host (the graph's input, or a layout producers cannot store into)\n",
            r.run.layers.len()
        );
        s += &format!(
            "rounding to the format: {} input and {} parameter values saturated\n",
            r.run.input_saturations, r.run.param_saturations
        );
        s += &match r.error_bound {
            Some(b) => format!("worst-case difference from f32 of any output value: {b:.4} (runtime::graph::error_bound)\n"),
            None => "no error bound: values saturated\n".into(),
        };
    }
    if let Some(a) = r.accuracy {
        s += &format!(
            "accuracy {:.2}% ({} of {} images: argmax = label)\n",
            a * 100.0,
            (a * r.argmax.len() as f64).round() as usize,
            r.argmax.len()
        );
    }
    let mut am: Vec<String> = r.argmax.iter().take(32).map(|a| a.to_string()).collect();
    if r.argmax.len() > 32 {
        am.push(format!("... ({} more)", r.argmax.len() - 32));
    }
    s += &format!(
        "output {:?}{}; argmax per image: {}\n",
        r.output_shape,
        o.out
            .as_ref()
            .map(|p| format!(" written to {}", p.display()))
            .unwrap_or_default(),
        am.join(" ")
    );
    s
}
