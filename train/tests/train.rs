//! Training on the f32 CPU engine: data-file errors, a short run on real
//! digits, bit-identical resume, checkpoint refusal and divergence.

use std::io::Write;
use std::path::{Path, PathBuf};
use train::checkpoint::CheckpointError;
use train::cpu::CpuEngine;
use train::data::{self, DataError, Dataset};
use train::engine::{Engine, Tensor};
use train::net::Net;
use train::{train, Silent, TrainConfig, TrainError};

fn bundled() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/mnist")
}

fn subset(n_train: usize, n_test: usize) -> (Dataset, Dataset) {
    let m = data::load(&bundled()).expect("bundled MNIST loads");
    assert_eq!((m.train.len(), m.test.len()), (8000, 2000));
    let (mut tr, mut te) = (m.train, m.test);
    tr.truncate(n_train);
    te.truncate(n_test);
    (tr, te)
}

// ---------- IDX files ----------

fn images_file(n: u32, rows: u32, cols: u32, pixels: usize) -> Vec<u8> {
    let mut b = Vec::new();
    for v in [data::IMAGES_MAGIC, n, rows, cols] {
        b.extend_from_slice(&v.to_be_bytes());
    }
    b.extend((0..pixels).map(|i| (i % 251) as u8));
    b
}

fn labels_file(labels: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&data::LABELS_MAGIC.to_be_bytes());
    b.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    b.extend_from_slice(labels);
    b
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A data folder with valid train/test files (3 and 2 digits); `tweak` edits it.
fn folder(tweak: impl FnOnce(&Path)) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::write(
        p.join("train-images-idx3-ubyte.gz"),
        gz(&images_file(3, 28, 28, 3 * 784)),
    )
    .unwrap();
    std::fs::write(
        p.join("train-labels-idx1-ubyte.gz"),
        gz(&labels_file(&[1, 2, 3])),
    )
    .unwrap();
    // Raw (not gzipped) test files, with the original MNIST names.
    std::fs::write(
        p.join("t10k-images-idx3-ubyte"),
        images_file(2, 28, 28, 2 * 784),
    )
    .unwrap();
    std::fs::write(p.join("t10k-labels-idx1-ubyte"), labels_file(&[9, 0])).unwrap();
    tweak(p);
    d
}

#[test]
fn idx_reads_gz_and_raw() {
    let d = folder(|_| {});
    let m = data::load(d.path()).unwrap();
    assert_eq!(m.train.labels, vec![1, 2, 3]);
    assert_eq!(m.test.labels, vec![9, 0]);
    assert_eq!(m.train.image(1)[0], (784 % 251) as f32 / 255.0);
    assert!(m.train.images.iter().all(|&p| (0.0..=1.0).contains(&p)));
}

#[test]
fn idx_errors_name_file_and_field() {
    type Tweak = Box<dyn Fn(&Path)>;
    let cases: Vec<(&str, Tweak, &str)> = vec![
        (
            "missing",
            Box::new(|p: &Path| {
                std::fs::remove_file(p.join("train-labels-idx1-ubyte.gz")).unwrap()
            }),
            "train-labels-idx1-ubyte: missing data file",
        ),
        (
            "bad magic",
            Box::new(|p: &Path| {
                let mut b = labels_file(&[1, 2, 3]);
                b[3] = 0x03;
                std::fs::write(p.join("train-labels-idx1-ubyte.gz"), gz(&b)).unwrap()
            }),
            "train-labels-idx1-ubyte.gz: bad magic number 0x00000803 (expected 0x00000801, labels)",
        ),
        (
            "truncated pixels",
            Box::new(|p: &Path| {
                std::fs::write(
                    p.join("t10k-images-idx3-ubyte"),
                    images_file(2, 28, 28, 784 + 10),
                )
                .unwrap()
            }),
            "t10k-images-idx3-ubyte: truncated pixels: needs 1568 bytes, has 794",
        ),
        (
            "truncated header",
            Box::new(|p: &Path| {
                std::fs::write(
                    p.join("train-images-idx3-ubyte.gz"),
                    gz(&images_file(3, 28, 28, 0)[..10]),
                )
                .unwrap()
            }),
            "train-images-idx3-ubyte.gz: truncated header: needs 16 bytes, has 10",
        ),
        (
            "corrupt gzip",
            Box::new(|p: &Path| {
                let mut b = gz(&images_file(3, 28, 28, 3 * 784));
                let n = b.len();
                b.truncate(n / 2);
                std::fs::write(p.join("train-images-idx3-ubyte.gz"), b).unwrap()
            }),
            "train-images-idx3-ubyte.gz: cannot read: not a valid gzip file",
        ),
        (
            "count mismatch",
            Box::new(|p: &Path| {
                std::fs::write(p.join("t10k-labels-idx1-ubyte"), labels_file(&[9, 0, 1])).unwrap()
            }),
            "t10k-images-idx3-ubyte has 2 images but",
        ),
        (
            "label out of range",
            Box::new(|p: &Path| {
                std::fs::write(
                    p.join("train-labels-idx1-ubyte.gz"),
                    gz(&labels_file(&[1, 12, 3])),
                )
                .unwrap()
            }),
            "train-labels-idx1-ubyte.gz: label 1 is 12, expected 0..=9",
        ),
        (
            "wrong image size",
            Box::new(|p: &Path| {
                std::fs::write(
                    p.join("train-images-idx3-ubyte.gz"),
                    gz(&images_file(3, 32, 32, 3 * 1024)),
                )
                .unwrap()
            }),
            "train-images-idx3-ubyte.gz: images are 32x32 pixels, expected 28x28",
        ),
        (
            "trailing bytes",
            Box::new(|p: &Path| {
                std::fs::write(
                    p.join("t10k-labels-idx1-ubyte"),
                    [labels_file(&[9, 0]), vec![7]].concat(),
                )
                .unwrap()
            }),
            "t10k-labels-idx1-ubyte: 1 unexpected bytes after the last label",
        ),
    ];
    for (name, tweak, want) in cases {
        let d = folder(|p| tweak(p));
        let e = data::load(d.path()).expect_err(name);
        let msg = e.to_string();
        assert!(msg.contains(want), "{name}: `{msg}` lacks `{want}`");
    }
    // The typed error carries the field.
    let d = folder(|p| {
        std::fs::write(p.join("t10k-labels-idx1-ubyte"), labels_file(&[9, 10])).unwrap()
    });
    assert!(matches!(
        data::load(d.path()),
        Err(DataError::LabelRange {
            index: 1,
            label: 10,
            ..
        })
    ));
}

// ---------- training ----------

fn cfg(epochs: usize, out: Option<&Path>) -> TrainConfig {
    let mut c = TrainConfig::new();
    c.epochs = epochs;
    c.batch = 32;
    c.eval_batch = 64;
    c.seed = 7;
    c.out = out.map(Path::to_path_buf);
    c
}

#[test]
fn cpu_learns_digits() {
    let (tr, te) = subset(512, 256);
    let mut e = CpuEngine::new(Net::lenet5(), 7).unwrap();
    let s = train(&cfg(2, None), &mut e, &tr, &te, &mut Silent).unwrap();
    assert_eq!(s.epochs.len(), 2);
    let (a, b) = (&s.epochs[0], &s.epochs[1]);
    assert!(
        b.train_loss < a.train_loss,
        "loss {} -> {}",
        a.train_loss,
        b.train_loss
    );
    assert!(a.train_loss < 2.3, "first epoch loss {}", a.train_loss);
    assert!(
        s.final_test_acc >= 0.6,
        "held-out accuracy {}",
        s.final_test_acc
    );
    assert_eq!(a.steps, 16);
    assert!(s.accel.is_none());
}

fn f32_tensors(e: &dyn Engine) -> Vec<(String, Vec<u32>)> {
    e.state()
        .tensors
        .into_iter()
        .map(|(k, t)| match t {
            Tensor::F32(v) => (k, v.iter().map(|x| x.to_bits()).collect()),
            other => panic!("{k}: {other:?}"),
        })
        .collect()
}

#[test]
fn resume_is_bit_identical_and_checkpoints_are_checked() {
    let (tr, te) = subset(192, 64);
    let dir = tempfile::tempdir().unwrap();
    // Uninterrupted: 2 epochs.
    let mut a = CpuEngine::new(Net::lenet5(), 7).unwrap();
    let sa = train(&cfg(2, None), &mut a, &tr, &te, &mut Silent).unwrap();
    // 1 epoch, then resume from the checkpoint in a fresh engine for the 2nd.
    let mut b = CpuEngine::new(Net::lenet5(), 7).unwrap();
    train(&cfg(1, Some(dir.path())), &mut b, &tr, &te, &mut Silent).unwrap();
    for f in ["metrics.csv", "metrics.json", "checkpoint.json"] {
        assert!(dir.path().join(f).is_file(), "{f}");
    }
    let mut c = CpuEngine::new(Net::lenet5(), 99).unwrap();
    let mut rc = cfg(2, Some(dir.path()));
    rc.resume = true;
    let sc = train(&rc, &mut c, &tr, &te, &mut Silent).unwrap();
    assert_eq!(sc.resumed_after, Some(1));
    assert_eq!(f32_tensors(&a), f32_tensors(&c));
    assert_eq!(sa.epochs.len(), sc.epochs.len());
    for (x, y) in sa.epochs.iter().zip(&sc.epochs) {
        assert_eq!(
            (x.train_loss, x.train_acc, x.test_acc),
            (y.train_loss, y.train_acc, y.test_acc)
        );
    }
    let csv = std::fs::read_to_string(dir.path().join("metrics.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.starts_with("epoch,lr,train_loss,train_acc,test_acc,wall_s,accel_cycles"));

    // Refusals: another net, other data, other settings.
    let mut m = CpuEngine::new(Net::micro(), 7).unwrap();
    let (tr8, te8) = (tr.downsample_8x8(), te.downsample_8x8());
    let e = train(&rc, &mut m, &tr8, &te8, &mut Silent).unwrap_err();
    assert!(
        e.to_string()
            .contains("it is for net lenet5, this run trains micro"),
        "{e}"
    );
    let mut d = CpuEngine::new(Net::lenet5(), 7).unwrap();
    let (tr2, _) = subset(160, 64);
    let e = train(&rc, &mut d, &tr2, &te, &mut Silent).unwrap_err();
    assert!(
        matches!(e, TrainError::Checkpoint(CheckpointError::Mismatch { .. })),
        "{e}"
    );
    assert!(e.to_string().contains("data differs"), "{e}");
    let mut rc2 = rc.clone();
    rc2.hyper.lr = 0.01;
    let e = train(&rc2, &mut d, &tr, &te, &mut Silent).unwrap_err();
    assert!(e.to_string().contains("lr/momentum"), "{e}");
    // A damaged checkpoint.
    let p = dir.path().join("checkpoint.json");
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, &text[..text.len() / 2]).unwrap();
    let e = train(&rc, &mut d, &tr, &te, &mut Silent).unwrap_err();
    assert!(e.to_string().contains("not a valid checkpoint"), "{e}");
}

#[test]
fn divergence_stops_naming_the_step_and_keeps_the_checkpoint() {
    let (tr, te) = subset(128, 32);
    let dir = tempfile::tempdir().unwrap();
    let mut e = CpuEngine::new(Net::lenet5(), 7).unwrap();
    train(&cfg(1, Some(dir.path())), &mut e, &tr, &te, &mut Silent).unwrap();
    let ck = std::fs::read(dir.path().join("checkpoint.json")).unwrap();
    // An absurd learning rate blows the weights up within a few steps.
    let mut c = cfg(2, Some(dir.path()));
    c.resume = true;
    c.hyper.lr = 1e30;
    let mut e2 = CpuEngine::new(Net::lenet5(), 7).unwrap();
    // Settings differ from the checkpoint's: resume is refused ...
    assert!(train(&c, &mut e2, &tr, &te, &mut Silent).is_err());
    // ... so diverge a fresh run writing to the same folder instead.
    c.resume = false;
    c.epochs = 3;
    let err = train(&c, &mut e2, &tr, &te, &mut Silent).unwrap_err();
    match &err {
        TrainError::NonFinite { epoch, step, .. } => assert!(*epoch == 1 && *step >= 2, "{err}"),
        other => panic!("expected divergence, got {other}"),
    }
    assert!(
        err.to_string().contains("diverged at epoch 1, step"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(dir.path().join("checkpoint.json")).unwrap(),
        ck
    );
}

/// The CPU engine, reporting that 10% of every step's values saturated.
struct Saturating(CpuEngine);

impl Engine for Saturating {
    fn name(&self) -> &'static str {
        "cpu"
    }
    fn net(&self) -> &Net {
        self.0.net()
    }
    fn forward(&mut self, x: &[f32], b: usize) -> Result<Vec<f32>, train::engine::EngineError> {
        self.0.forward(x, b)
    }
    fn backward_update(
        &mut self,
        d: &[f32],
        hp: &train::engine::Hyper,
    ) -> Result<train::engine::StepInfo, train::engine::EngineError> {
        self.0.backward_update(d, hp)?;
        Ok(train::engine::StepInfo {
            saturations: 10,
            values: 100,
        })
    }
    fn state(&self) -> train::engine::EngineState {
        self.0.state()
    }
    fn restore(
        &mut self,
        s: &train::engine::EngineState,
    ) -> Result<(), train::engine::EngineError> {
        self.0.restore(s)
    }
    fn accel(&self) -> Option<train::engine::AccelTotals> {
        None
    }
    fn params_f32(&self) -> Vec<Option<(Vec<f32>, Vec<f32>)>> {
        self.0.params_f32()
    }
}

#[test]
fn saturation_storm_stops_the_run() {
    let (tr, te) = subset(256, 32);
    let mut e = Saturating(CpuEngine::new(Net::lenet5(), 7).unwrap());
    let mut c = cfg(1, None);
    c.sat_threshold = 0.05;
    c.sat_patience = 3;
    let err = train(&c, &mut e, &tr, &te, &mut Silent).unwrap_err();
    assert!(
        matches!(
            err,
            TrainError::Saturation {
                epoch: 1,
                step: 3,
                steps: 3,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("10.0% of values saturated for 3 consecutive steps"),
        "{err}"
    );
    // Under the threshold: no stop.
    c.sat_threshold = 0.2;
    let mut e = Saturating(CpuEngine::new(Net::lenet5(), 7).unwrap());
    train(&c, &mut e, &tr, &te, &mut Silent).unwrap();
}
