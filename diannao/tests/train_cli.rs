//! `diannao train` end to end (CPU backend): JSON summary, output files,
//! resume, and one-line errors for bad input.

use std::path::Path;
use std::process::Command;

fn diannao(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_diannao"))
        .args(args)
        .env_remove("DIANNAO_DATA")
        .env_remove("DIANNAO_FASHION_DATA")
        .output()
        .expect("runs");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

const QUICK: &[&str] = &[
    "train",
    "--backend",
    "cpu",
    "--quiet",
    "--train-limit",
    "256",
    "--test-limit",
    "128",
    "--epochs",
    "2",
];

#[test]
fn train_cpu_json_summary_and_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let out_s = out.to_str().unwrap();
    let mut args = QUICK.to_vec();
    args.extend(["--json", "--out", out_s]);
    let (code, stdout, stderr) = diannao(&args);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty(), "quiet run printed: {stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("stdout is JSON");
    assert_eq!(v["net"], "lenet5");
    assert_eq!(v["backend"], "cpu");
    assert_eq!(v["train_examples"], 256);
    assert_eq!(v["test_examples"], 128);
    assert_eq!(v["test_acc_per_epoch"].as_array().unwrap().len(), 2);
    let acc = v["final_test_acc"].as_f64().unwrap();
    assert!(acc > 0.3, "accuracy {acc}");
    assert!(v["wall_s"].as_f64().unwrap() > 0.0);
    assert!(v["accelerator"].is_null());
    for f in ["metrics.csv", "metrics.json", "checkpoint.json"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    // Resume with one more epoch: three epochs in the metrics.
    let mut args = QUICK.to_vec();
    args.extend(["--json", "--out", out_s, "--resume"]);
    let ep = args.iter().position(|a| *a == "--epochs").unwrap();
    args[ep + 1] = "3";
    let (code, stdout, stderr) = diannao(&args);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["resumed_after"], 2);
    assert_eq!(v["test_acc_per_epoch"].as_array().unwrap().len(), 3);
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(m.as_array().unwrap().len(), 3);
    // A different net refuses the checkpoint.
    let mut args = QUICK.to_vec();
    args.extend(["--out", out_s, "--resume", "--net", "micro"]);
    let (code, _, stderr) = diannao(&args);
    assert_eq!(code, 1);
    assert!(
        stderr.contains(
            "checkpoint does not match this run: it is for net lenet5, this run trains micro"
        ),
        "{stderr}"
    );
}

#[test]
fn train_prints_per_epoch_lines() {
    let (code, stdout, stderr) = diannao(&[
        "train",
        "--backend",
        "cpu",
        "--train-limit",
        "64",
        "--test-limit",
        "32",
        "--epochs",
        "1",
        "--net",
        "micro",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("epoch 1/1: loss "), "{stdout}");
    assert!(stdout.contains("held-out accuracy"), "{stdout}");
}

fn one_line_error(args: &[&str], want: &str) {
    let (code, stdout, stderr) = diannao(args);
    assert_eq!(code, 1, "{args:?}: {stdout}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains(want), "{args:?}: `{stderr}` lacks `{want}`");
}

#[test]
fn train_bad_input_messages() {
    let empty = tempfile::tempdir().unwrap();
    let e = empty.path().to_str().unwrap();
    one_line_error(
        &["train", "--backend", "cpu", "--data", e],
        "train-images-idx3-ubyte: missing data file",
    );
    let bad = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/mnist");
    for f in [
        "train-images-idx3-ubyte.gz",
        "test-images-idx3-ubyte.gz",
        "test-labels-idx1-ubyte.gz",
    ] {
        std::fs::copy(src.join(f), bad.path().join(f)).unwrap();
    }
    std::fs::write(
        bad.path().join("train-labels-idx1-ubyte"),
        b"not an idx file",
    )
    .unwrap();
    one_line_error(
        &[
            "train",
            "--backend",
            "cpu",
            "--data",
            bad.path().to_str().unwrap(),
        ],
        "train-labels-idx1-ubyte: bad magic number",
    );
    one_line_error(
        &["train", "--backend", "cpu", "--batch", "0"],
        "--batch must be at least 1",
    );
    // `--epochs 0` used to exit 0 having done nothing
    one_line_error(
        &["train", "--backend", "cpu", "--epochs", "0"],
        "--epochs must be at least 1",
    );
    one_line_error(
        &["train", "--backend", "cpu", "--lr=-1"],
        "--lr must be a positive number",
    );
    one_line_error(
        &["train", "--backend", "cpu", "--net", "alexnet"],
        "alexnet",
    );
    one_line_error(&["train", "--backend", "gpu"], "gpu");
    one_line_error(
        &["train", "--backend", "cpu", "--weight-decay=-0.1"],
        "--weight-decay must be in [0, 1)",
    );
    one_line_error(
        &["train", "--backend", "cpu", "--schedule", "linear"],
        "linear",
    );
    one_line_error(
        &["train", "--backend", "cpu", "--dataset", "cifar10"],
        "cifar10",
    );
    one_line_error(&["train", "--backend", "cpu", "--resume"], "--out");
    let out = tempfile::tempdir().unwrap();
    one_line_error(
        &[
            "train",
            "--backend",
            "cpu",
            "--out",
            out.path().to_str().unwrap(),
            "--resume",
        ],
        "no checkpoint to resume from",
    );
    one_line_error(
        &[
            "train",
            "--backend",
            "cpu",
            "--train-limit",
            "10",
            "--batch",
            "32",
        ],
        "10 training examples make no batch of 32",
    );
}

fn export_reproduces_accuracy(net: &str) {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join(format!("{net}.onnx"));
    let t = dir.path().join("test.npy");
    let mut args = QUICK.to_vec();
    args.extend([
        "--net",
        net,
        "--json",
        "--export",
        m.to_str().unwrap(),
        "--export-test",
        t.to_str().unwrap(),
    ]);
    let (code, stdout, stderr) = diannao(&args);
    assert_eq!(code, 0, "{net}: {stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let acc = v["final_test_acc"].as_f64().unwrap();
    let labels = dir.path().join("test.labels.npy");
    assert!(labels.is_file());
    for extra in [
        &["--backend", "cpu"][..],
        &["--backend", "sim", "--frac", "10"][..],
    ] {
        let mut args = vec![
            "run",
            "--model",
            m.to_str().unwrap(),
            "--input",
            t.to_str().unwrap(),
            "--labels",
            labels.to_str().unwrap(),
            "--json",
            "--quiet",
        ];
        args.extend(extra);
        let (code, stdout, stderr) = diannao(&args);
        assert_eq!(code, 0, "{net} {extra:?}: {stderr}");
        let r: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let got = r["accuracy"].as_f64().unwrap();
        assert_eq!(r["output_shape"], serde_json::json!([128, 10]));
        // the same 128 digits: at most one prediction may flip on the fixed-point run
        let tol = if extra[1] == "cpu" { 0.0 } else { 1.0 / 128.0 };
        assert!(
            (got - acc).abs() <= tol + 1e-12,
            "{net} {extra:?}: run accuracy {got} vs training {acc}"
        );
    }
}

/// `train --export` writes a valid ONNX file; `diannao run` on it (f32 and
/// the simulator in the training format) reproduces the training's
/// held-out accuracy on the same digits (`--export-test`): on LeNet-5 and
/// on the residual net, whose adds become ONNX `Add` nodes.
#[test]
fn exported_network_reproduces_the_held_out_accuracy() {
    for net in ["lenet5", "residual"] {
        export_reproduces_accuracy(net);
    }
    // an export directory that does not exist is refused before training
    let (code, _, stderr) = diannao(&[
        "train",
        "--backend",
        "cpu",
        "--epochs",
        "1",
        "--export",
        "/nonexistent/dir/m.onnx",
    ]);
    assert_eq!(code, 1);
    assert!(stderr.contains("/nonexistent/dir"), "{stderr}");
}

/// `--dataset fashion-mnist` trains the padded 3x3 `fashion` net through the
/// cycle-accurate simulator on Fashion-MNIST (Debian's dataset-fashion-mnist,
/// which scripts/test.sh installs), with weight decay and the cosine
/// schedule; a short run learns (chance is 10%).
#[test]
fn fashion_mnist_trains_on_the_simulator() {
    let (code, stdout, stderr) = diannao(&[
        "train",
        "--backend",
        "sim",
        "--net",
        "fashion",
        "--dataset",
        "fashion-mnist",
        "--train-limit",
        "384",
        "--test-limit",
        "128",
        "--epochs",
        "2",
        "--schedule",
        "cosine",
        "--weight-decay",
        "0.0005",
        "--quiet",
        "--json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("stdout is JSON");
    assert_eq!(v["net"], "fashion");
    assert_eq!(v["dataset"], "fashion-mnist");
    assert_eq!(v["backend"], "sim");
    assert_eq!(v["train_examples"], 384);
    let acc = v["final_test_acc"].as_f64().unwrap();
    assert!(acc > 0.4, "held-out accuracy {acc}");
    let lr: Vec<f64> = v["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["lr"].as_f64().unwrap())
        .collect();
    // cosine over 2 epochs: 0.03, then 0.03 * (1 + cos(pi/2)) / 2
    assert_eq!(lr.len(), 2);
    assert!(
        (lr[0] - 0.03).abs() < 1e-6 && (lr[1] - 0.015).abs() < 1e-6,
        "{lr:?}"
    );
    assert!(v["accelerator"]["energy_j"].as_f64().unwrap() > 0.0);
}

/// A Fashion-MNIST folder that does not exist is one line naming it and
/// how to install the data set.
#[test]
fn missing_fashion_mnist_says_how_to_install_it() {
    let o = Command::new(env!("CARGO_BIN_EXE_diannao"))
        .args(["train", "--backend", "cpu", "--dataset", "fashion-mnist"])
        .env("DIANNAO_FASHION_DATA", "/nonexistent/fashion")
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("/nonexistent/fashion: data set not found")
            && stderr.contains("dataset-fashion-mnist"),
        "{stderr}"
    );
}

/// `--net residual` trains at 8 fraction bits unless `--frac` says
/// otherwise (at the default 10 its activations leave the format's range:
/// docs/training.md); the checkpoint's fingerprint records the format.
#[test]
fn residual_net_trains_at_its_own_format_unless_told() {
    let dir = tempfile::tempdir().unwrap();
    for (frac, want) in [(None, "frac=8 "), (Some("10"), "frac=10 ")] {
        let out = dir.path().join(format!("run{}", frac.unwrap_or("-")));
        let mut args = vec![
            "train",
            "--backend",
            "sim",
            "--net",
            "residual",
            "--train-limit",
            "64",
            "--test-limit",
            "32",
            "--epochs",
            "1",
            "--quiet",
            "--out",
        ];
        args.push(out.to_str().unwrap());
        if let Some(f) = frac {
            args.extend(["--frac", f]);
        }
        let (code, _, stderr) = diannao(&args);
        assert_eq!(code, 0, "{stderr}");
        let ck = std::fs::read_to_string(out.join("checkpoint.json")).unwrap();
        assert!(
            ck.contains(want),
            "{want} not in the checkpoint's fingerprint"
        );
    }
}
