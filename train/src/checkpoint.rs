//! `checkpoint.json`: everything needed to continue a run bit-identically —
//! the engine's exact state, the epochs done, the shuffling position, the
//! hyper-parameters, the network and a fingerprint of the data — and the
//! checks that refuse a checkpoint from a different run.

use super::data::Fnv;
use super::engine::{Engine, EngineState, Hyper};
use super::net::Net;
use super::{EpochMetrics, LrSchedule, TrainConfig};
use runtime::atomic;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Version of the checkpoint file layout.
pub const FORMAT: u32 = 1;

/// Where the shuffling stands: the next epoch's order is
/// `epoch_order(seed, next_epoch, n)` (ChaCha8, stream = epoch + 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RngPosition {
    /// Seed of the run.
    pub seed: u64,
    /// Next 0-based epoch.
    pub next_epoch: usize,
}

/// Identity of the training and held-out data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFingerprint {
    /// FNV-1a of the training set (after limits and resizing).
    pub train: String,
    /// FNV-1a of the held-out set.
    pub test: String,
    /// Training examples.
    pub train_examples: usize,
    /// Held-out examples.
    pub test_examples: usize,
}

/// The hyper-parameters a resumed run must share.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    /// Mini-batch size.
    pub batch: usize,
    /// Initial learning rate and momentum.
    pub hyper: Hyper,
    /// Learning-rate schedule.
    #[serde(default)]
    pub schedule: LrSchedule,
    /// Seed.
    pub seed: u64,
}

/// A checkpoint file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// [`FORMAT`].
    pub format: u32,
    /// Epochs completed.
    pub epoch: usize,
    /// Training steps completed.
    pub steps: u64,
    /// Shuffling position.
    pub rng: RngPosition,
    /// Hyper-parameters.
    pub settings: RunSettings,
    /// The network.
    pub net: Net,
    /// Engine name.
    pub engine: String,
    /// The data.
    pub data: DataFingerprint,
    /// Metrics of the epochs done.
    pub metrics: Vec<EpochMetrics>,
    /// The engine's exact state.
    pub state: EngineState,
    /// FNV-1a of the state's tensors (detects a damaged file).
    pub state_hash: String,
}

/// Why a checkpoint could not be used.
#[derive(Debug, Error)]
pub enum CheckpointError {
    /// No checkpoint to resume from.
    #[error("{}: no checkpoint to resume from", path.display())]
    Missing {
        /// Path.
        path: PathBuf,
    },
    /// Unreadable or not a checkpoint.
    #[error("{}: not a valid checkpoint: {reason}", path.display())]
    Corrupt {
        /// Path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// From a different run.
    #[error("{}: checkpoint does not match this run: {what}", path.display())]
    Mismatch {
        /// Path.
        path: PathBuf,
        /// What differs.
        what: String,
    },
    /// Could not be written.
    #[error(transparent)]
    Write(#[from] atomic::AtomicWriteError),
}

fn state_hash(s: &EngineState) -> String {
    let mut h = Fnv::new();
    h.write(
        serde_json::to_string(&s.tensors)
            .expect("tensors serialise")
            .as_bytes(),
    );
    format!("{:016x}", h.0)
}

impl Checkpoint {
    /// A checkpoint of `engine` after `epoch` epochs.
    pub fn new(
        cfg: &TrainConfig,
        engine: &dyn Engine,
        epoch: usize,
        steps: u64,
        rng: RngPosition,
        data: DataFingerprint,
        metrics: Vec<EpochMetrics>,
    ) -> Self {
        let state = engine.state();
        Checkpoint {
            format: FORMAT,
            epoch,
            steps,
            rng,
            settings: RunSettings {
                batch: cfg.batch,
                hyper: cfg.hyper,
                schedule: cfg.schedule,
                seed: cfg.seed,
            },
            net: engine.net().clone(),
            engine: engine.name().into(),
            data,
            metrics,
            state_hash: state_hash(&state),
            state,
        }
    }

    /// Write atomically to `path`.
    pub fn save(&self, path: &Path) -> Result<(), CheckpointError> {
        let text = serde_json::to_string(self).map_err(|e| CheckpointError::Corrupt {
            path: path.into(),
            reason: format!("cannot serialise: {e}"),
        })?;
        Ok(atomic::write(path, text.as_bytes())?)
    }

    /// Read `path`.
    pub fn load(path: &Path) -> Result<Self, CheckpointError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(CheckpointError::Missing { path: path.into() })
            }
            Err(e) => {
                return Err(CheckpointError::Corrupt {
                    path: path.into(),
                    reason: e.to_string(),
                })
            }
        };
        Self::parse(&text, path)
    }

    /// Parse the text of a checkpoint file (`path` names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Self, CheckpointError> {
        let ck: Checkpoint = serde_json::from_str(text).map_err(|e| CheckpointError::Corrupt {
            path: path.into(),
            reason: e.to_string(),
        })?;
        if ck.format != FORMAT {
            return Err(CheckpointError::Corrupt {
                path: path.into(),
                reason: format!("format {} (this program reads {FORMAT})", ck.format),
            });
        }
        if state_hash(&ck.state) != ck.state_hash {
            return Err(CheckpointError::Corrupt {
                path: path.into(),
                reason: "state tensors do not match their hash".into(),
            });
        }
        Ok(ck)
    }

    /// Refuse a checkpoint from a different network, engine, preset, data
    /// format, data set or schedule; the first difference is named.
    pub fn check(
        &self,
        path: &Path,
        cfg: &TrainConfig,
        engine: &dyn Engine,
        data: &DataFingerprint,
    ) -> Result<(), CheckpointError> {
        let bad = |what: String| {
            Err(CheckpointError::Mismatch {
                path: path.into(),
                what,
            })
        };
        if self.engine != engine.name() {
            return bad(format!(
                "it was made by backend {}, this run uses {}",
                self.engine,
                engine.name()
            ));
        }
        if &self.net != engine.net() {
            return bad(format!(
                "it is for net {}, this run trains {}",
                self.net.name,
                engine.net().name
            ));
        }
        let fp = engine.state().fingerprint;
        if self.state.fingerprint != fp {
            return bad(format!(
                "engine configuration differs (checkpoint: {}; this run: {fp})",
                self.state.fingerprint
            ));
        }
        if &self.data != data {
            return bad(format!(
                "data differs (checkpoint: {} training / {} held-out examples, fingerprints {}/{}; this run: {} / {}, {}/{})",
                self.data.train_examples,
                self.data.test_examples,
                self.data.train,
                self.data.test,
                data.train_examples,
                data.test_examples,
                data.train,
                data.test
            ));
        }
        let s = &self.settings;
        if s.batch != cfg.batch {
            return bad(format!("batch {} vs {}", s.batch, cfg.batch));
        }
        if s.seed != cfg.seed {
            return bad(format!("seed {} vs {}", s.seed, cfg.seed));
        }
        if s.hyper != cfg.hyper {
            return bad(format!(
                "lr/momentum/weight decay {}/{}/{} vs {}/{}/{}",
                s.hyper.lr,
                s.hyper.momentum,
                s.hyper.weight_decay,
                cfg.hyper.lr,
                cfg.hyper.momentum,
                cfg.hyper.weight_decay
            ));
        }
        if s.schedule != cfg.schedule {
            return bad(format!(
                "learning-rate schedule {} vs {}",
                s.schedule, cfg.schedule
            ));
        }
        if self.rng.seed != cfg.seed || self.rng.next_epoch != self.epoch {
            return bad("shuffling position inconsistent with the epoch".into());
        }
        Ok(())
    }
}
