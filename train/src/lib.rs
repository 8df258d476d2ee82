//! # train: training a network end to end through the accelerator
//!
//! Training a network end to end: the loop, the loss, metrics and checkpoints.
//!
//! [`train`] runs epochs of seeded shuffled mini-batches (ChaCha8 seeded with
//! the run's seed, stream = epoch + 1, so a resumed run shuffles exactly as an
//! uninterrupted one), forward on the [`Engine`], softmax cross-entropy on the
//! host in f32, back-propagation and the SGD-with-momentum update on the
//! engine, then evaluation on the held-out set. With an output folder it
//! writes `metrics.csv`, `metrics.json` and `checkpoint.json` atomically
//! after every epoch; a divergence (non-finite loss, a storm of saturations,
//! a training loss back at chance after the net had learnt: [`collapsed`])
//! stops the run with an error naming the epoch and step and leaves the last
//! checkpoint as it was.
//!
//! Modules: [`engine`] (the engine interface), [`net`] (networks), [`data`]
//! (MNIST IDX files), [`cpu`] (f32 engine), [`accel`] (accelerator engine),
//! [`checkpoint`] (checkpoint files), [`schedule`] (the programs of one
//! training step), [`cost`] (their cost on the simulator).

pub mod accel;
pub mod checkpoint;
pub mod cost;
pub mod cpu;
pub mod data;
pub mod defaults;
pub mod engine;
pub mod export;
pub mod net;
pub mod schedule;

use checkpoint::{Checkpoint, CheckpointError, RngPosition};
use data::Dataset;
use engine::{AccelTotals, Engine, EngineError, Hyper};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use runtime::atomic;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;
use thiserror::Error;

/// How the learning rate changes from epoch to epoch (the rate is constant
/// within an epoch).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum LrSchedule {
    /// The initial rate throughout.
    #[default]
    Constant,
    /// Step decay: the rate is multiplied by `factor` every `every` epochs.
    Step {
        /// Multiplier (0 < factor <= 1).
        factor: f32,
        /// Period, epochs (>= 1).
        every: usize,
    },
    /// Cosine annealing without restarts (Loshchilov and Hutter, SGDR):
    /// epoch e of E runs at `lr * (1 + cos(pi * e / E)) / 2`.
    Cosine,
}

impl LrSchedule {
    /// Names accepted by [`LrSchedule::parse`].
    pub const NAMES: [&'static str; 3] = ["constant", "step", "cosine"];

    /// Rate multiplier of 0-based `epoch` of a run of `epochs` epochs.
    pub fn factor(&self, epoch: usize, epochs: usize) -> f32 {
        match *self {
            LrSchedule::Constant => 1.0,
            LrSchedule::Step { factor, every } if every > 0 => factor.powi((epoch / every) as i32),
            LrSchedule::Step { .. } => 1.0,
            LrSchedule::Cosine => {
                let t = epoch as f64 / epochs.max(1) as f64;
                (0.5 * (1.0 + (std::f64::consts::PI * t).cos())) as f32
            }
        }
    }
}

impl std::fmt::Display for LrSchedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LrSchedule::Constant => write!(f, "constant"),
            LrSchedule::Step { factor, every } => write!(f, "step x{factor} every {every} epochs"),
            LrSchedule::Cosine => write!(f, "cosine"),
        }
    }
}

/// Everything that defines a training run (besides the engine and the data).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Total epochs (a resumed run continues up to this count).
    pub epochs: usize,
    /// Mini-batch size; the last partial batch of an epoch is dropped.
    pub batch: usize,
    /// Batch size of the held-out evaluation (the last batch may be smaller).
    pub eval_batch: usize,
    /// Initial learning rate and momentum.
    pub hyper: Hyper,
    /// Learning-rate schedule over the epochs.
    pub schedule: LrSchedule,
    /// Seed of the shuffling (and, by the engine's constructor, of the weights).
    pub seed: u64,
    /// A step whose saturated fraction (saturations / values) exceeds this is a
    /// saturation step.
    pub sat_threshold: f64,
    /// This many consecutive saturation steps stop the run.
    pub sat_patience: usize,
    /// Output folder for metrics and checkpoints.
    pub out: Option<PathBuf>,
    /// Continue from `out/checkpoint.json`.
    pub resume: bool,
}

impl TrainConfig {
    /// Defaults: 3 epochs, batch 32, lr 0.05, momentum 0.9, no weight decay,
    /// constant rate, seed 1,
    /// saturation threshold 5% for 5 steps, no output.
    pub fn new() -> Self {
        TrainConfig {
            epochs: 3,
            batch: 32,
            eval_batch: 32,
            hyper: Hyper {
                lr: 0.05,
                momentum: 0.9,
                weight_decay: 0.0,
            },
            schedule: LrSchedule::Constant,
            seed: 1,
            sat_threshold: defaults::DEFAULT_SAT_THRESHOLD,
            sat_patience: defaults::DEFAULT_SAT_PATIENCE,
            out: None,
            resume: false,
        }
    }

    /// Learning rate of 0-based `epoch`.
    pub fn lr_at(&self, epoch: usize) -> f32 {
        self.hyper.lr * self.schedule.factor(epoch, self.epochs)
    }
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self::new()
    }
}

/// Metrics of one epoch (`metrics.csv` row; accelerator figures are running totals).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// Epoch number, 1-based.
    pub epoch: usize,
    /// Learning rate used (the f32 rate's shortest decimal form, as f64).
    pub lr: f64,
    /// Mean training loss (cross-entropy, nats) over the epoch's steps.
    pub train_loss: f64,
    /// Training accuracy over the epoch's batches, fraction.
    pub train_acc: f64,
    /// Held-out accuracy after the epoch, fraction.
    pub test_acc: f64,
    /// Wall time of the epoch (training and evaluation), seconds.
    pub wall_s: f64,
    /// Simulated accelerator cycles so far (0 for the CPU engine).
    pub accel_cycles: u64,
    /// Simulated accelerator time so far, seconds.
    pub accel_s: f64,
    /// Modelled accelerator energy so far, joules.
    pub accel_energy_j: f64,
    /// Saturated values in this epoch (training and evaluation programs).
    pub saturations: u64,
    /// Training steps in this epoch.
    pub steps: usize,
}

/// The result of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainSummary {
    /// Network name.
    pub net: String,
    /// Engine name.
    pub engine: String,
    /// Training examples.
    pub train_examples: usize,
    /// Held-out examples.
    pub test_examples: usize,
    /// Every epoch so far (including those before a resume).
    pub epochs: Vec<EpochMetrics>,
    /// Held-out accuracy after the last epoch, fraction.
    pub final_test_acc: f64,
    /// Wall time of all epochs, seconds (including those before a resume).
    pub wall_s: f64,
    /// Accelerator totals (None for the CPU engine).
    pub accel: Option<AccelTotals>,
    /// Epochs that were already done when this run resumed (None: not resumed).
    pub resumed_after: Option<usize>,
}

/// Why a run stopped.
#[derive(Debug, Error)]
pub enum TrainError {
    /// The engine failed.
    #[error("epoch {epoch}, step {step}: {error}")]
    Engine {
        /// Epoch, 1-based.
        epoch: usize,
        /// Step within the epoch, 1-based (0: evaluation).
        step: usize,
        /// Engine error (in the message, so not a `source`: no repetition).
        error: EngineError,
    },
    /// The loss is NaN or infinite.
    #[error("diverged at epoch {epoch}, step {step}: loss is {loss} (last good checkpoint kept)")]
    NonFinite {
        /// Epoch, 1-based.
        epoch: usize,
        /// Step, 1-based.
        step: usize,
        /// The loss.
        loss: f32,
    },
    /// The training loss went back to chance after the net had learnt
    /// ([`collapsed`]).
    #[error("diverged at epoch {epoch}: training loss {loss:.4} is back at chance (ln {classes} = {chance:.4}) after {best:.4} in an earlier epoch (last good checkpoint kept; with a fixed-point backend, more --frac range or a lower --lr may help)", chance = (*classes as f64).ln())]
    Collapsed {
        /// Epoch, 1-based.
        epoch: usize,
        /// This epoch's mean training loss.
        loss: f64,
        /// The lowest mean training loss of an earlier epoch.
        best: f64,
        /// Classes of the net.
        classes: usize,
    },
    /// Too many saturations for too long.
    #[error("diverged at epoch {epoch}, step {step}: {fraction:.1}% of values saturated for {steps} consecutive steps (threshold {threshold:.1}%; last good checkpoint kept)", fraction = fraction * 100.0, threshold = threshold * 100.0)]
    Saturation {
        /// Epoch, 1-based.
        epoch: usize,
        /// Step, 1-based.
        step: usize,
        /// Saturated fraction of the last step.
        fraction: f64,
        /// Consecutive steps over the threshold.
        steps: usize,
        /// The threshold.
        threshold: f64,
    },
    /// Bad configuration or data shape.
    #[error("{0}")]
    Config(String),
    /// A checkpoint problem.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// An output file could not be written.
    #[error(transparent)]
    Write(#[from] atomic::AtomicWriteError),
}

/// Callbacks for progress display.
pub trait Observer {
    /// An epoch (1-based) of `steps` training steps begins.
    fn epoch_start(&mut self, _epoch: usize, _steps: usize) {}
    /// A step finished; running mean loss and accuracy of the epoch so far.
    fn step(&mut self, _step: usize, _loss: f64, _acc: f64) {}
    /// An epoch finished.
    fn epoch_end(&mut self, _m: &EpochMetrics) {}
}

/// An observer that shows nothing.
pub struct Silent;
impl Observer for Silent {}

/// Softmax cross-entropy of `logits` `[batch][classes]` against `labels`,
/// numerically stable (max subtracted) in f32. Returns the batch-mean loss,
/// the number of correct argmax predictions, and `dlogits = (softmax - onehot) / batch`.
pub fn softmax_xent(logits: &[f32], labels: &[u8], classes: usize) -> (f32, usize, Vec<f32>) {
    let b = labels.len();
    let mut d = vec![0.0f32; logits.len()];
    let mut loss = 0.0f32;
    let mut correct = 0;
    for (i, (row, &y)) in logits.chunks(classes).zip(labels).enumerate() {
        let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let sum: f32 = row.iter().map(|&z| (z - m).exp()).sum();
        loss += sum.ln() - (row[y as usize] - m);
        if argmax(row) == y as usize {
            correct += 1;
        }
        for (j, &z) in row.iter().enumerate() {
            let p = (z - m).exp() / sum;
            let t = if j == y as usize { 1.0 } else { 0.0 };
            d[i * classes + j] = (p - t) / b as f32;
        }
        if row.iter().any(|z| !z.is_finite()) {
            loss = f32::NAN;
        }
    }
    (loss / b as f32, correct, d)
}

/// Index of the largest value (the first of ties).
pub fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = i;
        }
    }
    best
}

/// Held-out accuracy (fraction) of `engine` on `set`, forward passes of `eval_batch`.
pub fn evaluate(
    engine: &mut dyn Engine,
    set: &Dataset,
    eval_batch: usize,
) -> Result<f64, EngineError> {
    let classes = engine.net().classes();
    let per = set.pixels();
    let n = set.len();
    let logits = engine.forward_batches(&set.images[..n * per], n, eval_batch)?;
    let correct = logits
        .chunks(classes)
        .zip(&set.labels[..n])
        .filter(|(row, &y)| argmax(row) == y as usize)
        .count();
    Ok(correct as f64 / n.max(1) as f64)
}

/// The order of the training examples in 0-based `epoch`.
pub fn epoch_order(seed: u64, epoch: usize, n: usize) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(epoch as u64 + 1);
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rng);
    order
}

/// Output file names inside `--out`.
pub const METRICS_CSV: &str = "metrics.csv";
/// JSON metrics file name.
pub const METRICS_JSON: &str = "metrics.json";
/// Checkpoint file name.
pub const CHECKPOINT: &str = "checkpoint.json";

fn metrics_csv(ms: &[EpochMetrics]) -> String {
    let mut s = String::from(
        "epoch,lr,train_loss,train_acc,test_acc,wall_s,accel_cycles,accel_s,accel_energy_j,saturations,steps\n",
    );
    for m in ms {
        s += &format!(
            "{},{},{:.6},{:.6},{:.6},{:.3},{},{:.6},{:.6e},{},{}\n",
            m.epoch,
            m.lr,
            m.train_loss,
            m.train_acc,
            m.test_acc,
            m.wall_s,
            m.accel_cycles,
            m.accel_s,
            m.accel_energy_j,
            m.saturations,
            m.steps
        );
    }
    s
}

fn check_data(engine: &dyn Engine, set: &Dataset, what: &str) -> Result<(), TrainError> {
    let (c, h, w) = engine.net().input;
    if c != 1 || set.rows != h || set.cols != w {
        return Err(TrainError::Config(format!(
            "{what} images are {}x{}, net {} takes {c}x{h}x{w}",
            set.rows,
            set.cols,
            engine.net().name
        )));
    }
    if set.is_empty() {
        return Err(TrainError::Config(format!("{what} set is empty")));
    }
    Ok(())
}

/// Train `engine` on `train_set`, evaluating on `test_set` after every epoch.
pub fn train(
    cfg: &TrainConfig,
    engine: &mut dyn Engine,
    train_set: &Dataset,
    test_set: &Dataset,
    obs: &mut dyn Observer,
) -> Result<TrainSummary, TrainError> {
    check_data(engine, train_set, "training")?;
    check_data(engine, test_set, "held-out")?;
    if cfg.batch == 0 || cfg.eval_batch == 0 {
        return Err(TrainError::Config("batch sizes must be at least 1".into()));
    }
    let steps = train_set.len() / cfg.batch;
    if steps == 0 {
        return Err(TrainError::Config(format!(
            "{} training examples make no batch of {}",
            train_set.len(),
            cfg.batch
        )));
    }
    let data_fp = checkpoint::DataFingerprint {
        train: train_set.fingerprint(),
        test: test_set.fingerprint(),
        train_examples: train_set.len(),
        test_examples: test_set.len(),
    };
    let out = cfg.out.as_deref();
    let ckpt_path = out.map(|d| d.join(CHECKPOINT));
    let mut history: Vec<EpochMetrics> = Vec::new();
    let mut start = 0;
    let mut total_steps = 0u64;
    let mut resumed_after = None;
    if cfg.resume {
        let path = ckpt_path
            .as_deref()
            .ok_or_else(|| TrainError::Config("--resume needs --out DIR".into()))?;
        let ck = Checkpoint::load(path)?;
        ck.check(path, cfg, engine, &data_fp)?;
        engine
            .restore(&ck.state)
            .map_err(|e| CheckpointError::Mismatch {
                path: path.to_path_buf(),
                what: e.to_string(),
            })?;
        start = ck.epoch;
        total_steps = ck.steps;
        history = ck.metrics;
        resumed_after = Some(start);
    }
    if let Some(d) = out {
        std::fs::create_dir_all(d).map_err(|e| atomic::AtomicWriteError {
            path: d.to_path_buf(),
            reason: e.to_string(),
        })?;
    }
    let classes = engine.net().classes();
    let per = train_set.pixels();
    let mut images = vec![0.0f32; cfg.batch * per];
    let mut labels = vec![0u8; cfg.batch];
    for epoch in start..cfg.epochs {
        let e1 = epoch + 1;
        let t0 = Instant::now();
        let lr = cfg.lr_at(epoch);
        let hp = Hyper { lr, ..cfg.hyper };
        let order = epoch_order(cfg.seed, epoch, train_set.len());
        obs.epoch_start(e1, steps);
        let (mut loss_sum, mut correct, mut seen) = (0.0f64, 0usize, 0usize);
        let mut sat_run = 0usize;
        let mut epoch_sat = 0u64;
        let sat_before = engine.accel().map(|a| a.saturations);
        for s in 0..steps {
            let step = s + 1;
            for (j, &idx) in order[s * cfg.batch..(s + 1) * cfg.batch].iter().enumerate() {
                images[j * per..(j + 1) * per].copy_from_slice(train_set.image(idx));
                labels[j] = train_set.labels[idx];
            }
            let eng = |error| TrainError::Engine {
                epoch: e1,
                step,
                error,
            };
            let logits = engine.forward(&images, cfg.batch).map_err(eng)?;
            let (loss, ok, dlogits) = softmax_xent(&logits, &labels, classes);
            if !loss.is_finite() {
                return Err(TrainError::NonFinite {
                    epoch: e1,
                    step,
                    loss,
                });
            }
            let info = engine.backward_update(&dlogits, &hp).map_err(eng)?;
            epoch_sat += info.saturations;
            if info.values > 0 {
                let fraction = info.saturations as f64 / info.values as f64;
                if fraction > cfg.sat_threshold {
                    sat_run += 1;
                    if sat_run >= cfg.sat_patience.max(1) {
                        return Err(TrainError::Saturation {
                            epoch: e1,
                            step,
                            fraction,
                            steps: sat_run,
                            threshold: cfg.sat_threshold,
                        });
                    }
                } else {
                    sat_run = 0;
                }
            }
            loss_sum += loss as f64;
            correct += ok;
            seen += cfg.batch;
            total_steps += 1;
            obs.step(step, loss_sum / step as f64, correct as f64 / seen as f64);
        }
        let test_acc =
            evaluate(engine, test_set, cfg.eval_batch).map_err(|error| TrainError::Engine {
                epoch: e1,
                step: 0,
                error,
            })?;
        let acc = engine.accel().unwrap_or_default();
        // With an accelerator, count every program of the epoch (evaluation too).
        if let Some(b) = sat_before {
            epoch_sat = acc.saturations.saturating_sub(b);
        }
        let m = EpochMetrics {
            epoch: e1,
            lr: lr.to_string().parse().unwrap_or(lr as f64),
            train_loss: loss_sum / steps as f64,
            train_acc: correct as f64 / seen as f64,
            test_acc,
            wall_s: t0.elapsed().as_secs_f64(),
            accel_cycles: acc.cycles,
            accel_s: acc.seconds,
            accel_energy_j: acc.energy_j,
            saturations: epoch_sat,
            steps,
        };
        let earlier: Vec<f64> = history.iter().map(|h| h.train_loss).collect();
        history.push(m.clone());
        if collapsed(&earlier, m.train_loss, classes) {
            // the metrics keep the collapsed epoch; the checkpoint stays the last good one
            if let Some(d) = out {
                atomic::write(&d.join(METRICS_CSV), metrics_csv(&history).as_bytes())?;
            }
            return Err(TrainError::Collapsed {
                epoch: e1,
                loss: m.train_loss,
                best: earlier.iter().cloned().fold(f64::INFINITY, f64::min),
                classes,
            });
        }
        if let (Some(d), Some(cp)) = (out, ckpt_path.as_deref()) {
            atomic::write(&d.join(METRICS_CSV), metrics_csv(&history).as_bytes())?;
            let json = serde_json::to_string_pretty(&history).expect("metrics serialise");
            atomic::write(&d.join(METRICS_JSON), json.as_bytes())?;
            let ck = Checkpoint::new(
                cfg,
                engine,
                e1,
                total_steps,
                RngPosition {
                    seed: cfg.seed,
                    next_epoch: e1,
                },
                data_fp.clone(),
                history.clone(),
            );
            ck.save(cp)?;
        }
        obs.epoch_end(&m);
    }
    Ok(TrainSummary {
        net: engine.net().name.clone(),
        engine: engine.name().into(),
        train_examples: train_set.len(),
        test_examples: test_set.len(),
        final_test_acc: history.last().map(|m| m.test_acc).unwrap_or(0.0),
        wall_s: history.iter().map(|m| m.wall_s).sum(),
        epochs: history,
        accel: engine.accel(),
        resumed_after,
    })
}

/// Whether an epoch's mean training loss `loss` says the run has
/// collapsed: back near chance (at least 0.8 ln `classes`; ln `classes`
/// is the loss of a uniform guess) after an earlier epoch reached at most half of that.
/// `earlier` are the earlier epochs' mean losses.
pub fn collapsed(earlier: &[f64], loss: f64, classes: usize) -> bool {
    let chance = (classes.max(2) as f64).ln();
    loss >= 0.8 * chance && earlier.iter().any(|&l| l <= 0.5 * chance)
}

/// Path of the checkpoint inside an output folder.
pub fn checkpoint_path(out: &Path) -> PathBuf {
    out.join(CHECKPOINT)
}

#[cfg(test)]
mod tests {
    /// The residual net's 10-bit run (docs/training.md) collapsed in its
    /// third epoch; ordinary runs, and runs that never learnt, do not.
    #[test]
    fn a_loss_back_at_chance_after_learning_is_a_collapse() {
        assert!(super::collapsed(&[1.3872, 0.4771], 1.9587, 10));
        assert!(!super::collapsed(&[1.3314, 0.4089, 0.2573], 0.1852, 10));
        assert!(
            !super::collapsed(&[], 2.3026, 10),
            "a first epoch at chance"
        );
        assert!(!super::collapsed(&[2.30, 2.29], 2.31, 10), "never learnt");
        assert!(
            !super::collapsed(&[1.2, 1.3], 1.9, 10),
            "never below half of chance"
        );
    }

    use super::*;

    #[test]
    fn softmax_is_stable_and_correct() {
        let (loss, ok, d) = softmax_xent(&[1000.0, 0.0, 1000.0, 0.0], &[0, 1], 2);
        assert!(loss.is_finite());
        assert_eq!(ok, 1);
        assert!((loss - 500.0).abs() < 1e-3, "{loss}");
        assert!((d[0] - 0.0).abs() < 1e-6 && (d[2] - 0.5).abs() < 1e-6);
        let (l2, _, d2) = softmax_xent(&[0.0, 0.0], &[1], 2);
        assert!((l2 - std::f32::consts::LN_2).abs() < 1e-6);
        assert_eq!(d2, vec![0.5, -0.5]);
        let (l3, _, _) = softmax_xent(&[f32::NAN, 0.0], &[1], 2);
        assert!(l3.is_nan());
    }

    #[test]
    fn epoch_order_is_a_seeded_permutation() {
        let a = epoch_order(3, 0, 100);
        assert_eq!(a, epoch_order(3, 0, 100));
        assert_ne!(a, epoch_order(3, 1, 100));
        assert_ne!(a, epoch_order(4, 0, 100));
        let mut s = a.clone();
        s.sort();
        assert_eq!(s, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn lr_step_decay() {
        let mut c = TrainConfig::new();
        c.hyper.lr = 0.1;
        c.schedule = LrSchedule::Step {
            factor: 0.5,
            every: 2,
        };
        assert_eq!(c.lr_at(0), 0.1);
        assert_eq!(c.lr_at(1), 0.1);
        assert_eq!(c.lr_at(2), 0.05);
        assert_eq!(c.lr_at(5), 0.025);
    }

    #[test]
    fn lr_cosine_anneals_from_the_initial_rate_towards_zero() {
        let mut c = TrainConfig::new();
        c.hyper.lr = 0.1;
        c.epochs = 4;
        c.schedule = LrSchedule::Cosine;
        let lrs: Vec<f32> = (0..4).map(|e| c.lr_at(e)).collect();
        assert_eq!(lrs[0], 0.1);
        // (1 + cos(pi/4)) / 2, (1 + cos(pi/2)) / 2, (1 + cos(3pi/4)) / 2
        for (got, want) in lrs[1..].iter().zip([0.085355339, 0.05, 0.014644661]) {
            assert!((got - want).abs() < 1e-7, "{lrs:?}");
        }
        assert!(lrs.windows(2).all(|w| w[1] < w[0]));
        c.schedule = LrSchedule::Constant;
        assert_eq!(c.lr_at(3), 0.1);
    }
}
