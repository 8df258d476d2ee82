//! The defaults of `diannao train`: one definition for the command line and
//! for `diannao bench --workloads`, which times an epoch of the default run.

/// Default fraction bits of the training data format (sim/rtl).
pub const DEFAULT_FRAC: u32 = 10;
/// Fraction bits of the `residual` net's training format: its identity
/// convolutions before the adds reach |z| of about 400 in f32, far beyond
/// the +-32 of [`DEFAULT_FRAC`], and at 10 bits the run diverges in its
/// third epoch (docs/training.md, "Residual adds").
pub const RESIDUAL_FRAC: u32 = 8;

/// The training format of the built-in net `net` when `--frac` is not
/// given: [`RESIDUAL_FRAC`] for `residual`, [`DEFAULT_FRAC`] otherwise.
pub fn frac_for(net: &str) -> u32 {
    match net {
        "residual" => RESIDUAL_FRAC,
        _ => DEFAULT_FRAC,
    }
}
/// Default log2 of the loss-gradient scale S (sim/rtl).
pub const DEFAULT_GRAD_SCALE_LOG2: u32 = 6;
/// Default learning-rate decay factor (docs/training.md).
pub const DEFAULT_LR_DECAY: f32 = 0.5;
/// Default learning-rate decay period, epochs.
pub const DEFAULT_LR_STEP: usize = 2;
/// Default learning rate.
pub const DEFAULT_LR: f32 = 0.03;
/// Default number of epochs.
pub const DEFAULT_EPOCHS: usize = 8;
/// Default momentum.
pub const DEFAULT_MOMENTUM: f32 = 0.9;
/// Default training batch, images.
pub const DEFAULT_BATCH: usize = 32;
/// Default network (`Net::by_name`).
pub const DEFAULT_NET: &str = "lenet5";
/// Default accelerator preset.
pub const DEFAULT_PRESET: &str = "diannao";
/// Default saturation guard: the fraction of a step's values that may
/// saturate (more, for [`DEFAULT_SAT_PATIENCE`] steps in a row, stops the run).
pub const DEFAULT_SAT_THRESHOLD: f64 = 0.05;
/// Default saturation guard: consecutive steps over the threshold that stop the run.
pub const DEFAULT_SAT_PATIENCE: usize = 5;

/// The settings of `diannao train` without options, for `epochs` epochs:
/// the default rate, momentum and batch, the step schedule, seed 1, the
/// divergence guard of [`crate::TrainConfig::new`], no output folder.
pub fn train_config(epochs: usize) -> crate::TrainConfig {
    let mut c = crate::TrainConfig::new();
    c.epochs = epochs;
    c.batch = DEFAULT_BATCH;
    c.eval_batch = DEFAULT_BATCH;
    c.hyper.lr = DEFAULT_LR;
    c.hyper.momentum = DEFAULT_MOMENTUM;
    c.schedule = crate::LrSchedule::Step {
        factor: DEFAULT_LR_DECAY,
        every: DEFAULT_LR_STEP,
    };
    c
}
