//! The long tier: every built-in model on every preset, simulator against
//! the fixed-point reference bit for bit, and the full training runs. Each
//! test is `#[ignore]`: run them with `bash scripts/long.sh` (or
//! `cargo test --release -p diannao --test long -- --ignored`). Results and
//! wall times are recorded in docs/verification.md and docs/training.md.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_diannao");

/// `diannao verify --preset P --model M --seed 1 [extra]` must pass on every layer.
fn verify_with(preset: &str, model: &str, extra: &[&str]) {
    let o = Command::new(BIN)
        .args([
            "verify", "--preset", preset, "--model", model, "--seed", "1",
        ])
        .args(extra)
        .output()
        .expect("run diannao");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "verify {model} on {preset} failed:\n{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("layers OK"), "{out}");
}

/// `diannao verify --preset P --model M --seed 1` must pass on every layer.
fn verify(preset: &str, model: &str) {
    verify_with(preset, model, &[]);
}

/// Every AlexNet layer at `diannao` on the emitted Verilog under Verilator:
/// the same whole DRAM image and cycle count as the simulator (programs of
/// up to ~10,000 instructions, fetched from DRAM).
#[test]
#[ignore = "long tier: bash scripts/long.sh"]
fn verify_alexnet_diannao_on_verilator() {
    verify_with("diannao", "alexnet", &["--backends", "sim,verilator"]);
}

/// `diannao bench --axi --verilator` on a board preset and model: every
/// layer through the AXI-wrapped RTL with the board DDR model, core cycles
/// equal to the simulator's (the bench fails otherwise), no held cycle, and
/// at most 1.25 times the cycles of an ideal port of the DDR latency.
fn axi_against_ideal(preset: &str, model: &str) {
    let o = Command::new(BIN)
        .args([
            "bench",
            "--axi",
            "--verilator",
            "--preset",
            preset,
            "--model",
            model,
            "--json",
        ])
        .output()
        .expect("run diannao");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "bench --axi {model} on {preset} failed:\n{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let layers = v["layers"].as_array().expect("layers");
    assert!(!layers.is_empty());
    for l in layers {
        assert_eq!(l["held_cycles"].as_u64(), Some(0), "{l}");
        assert!(l["ratio"].as_f64().unwrap() <= 1.25, "{l}");
    }
}

#[test]
#[ignore = "long tier: bash scripts/long.sh"]
fn axi_alexnet_zcu104_within_1_25x_of_an_ideal_port() {
    axi_against_ideal("zcu104", "alexnet");
}

#[test]
#[ignore = "long tier: bash scripts/long.sh"]
fn axi_alexnet_kv260_within_1_25x_of_an_ideal_port() {
    axi_against_ideal("kv260", "alexnet");
}

/// One `#[ignore]`d test per (model, preset), named `verify_<model>_<preset>`.
macro_rules! verify_cases {
    ($($name:ident: $model:literal on $preset:literal,)*) => {$(
        #[test]
        #[ignore = "long tier: bash scripts/long.sh"]
        fn $name() {
            verify($preset, $model);
        }
    )*};
}

verify_cases! {
    verify_lenet5_diannao: "lenet5" on "diannao",
    verify_lenet5_tiny: "lenet5" on "tiny",
    verify_lenet5_zcu104: "lenet5" on "zcu104",
    verify_lenet5_kv260: "lenet5" on "kv260",
    verify_alexnet_diannao: "alexnet" on "diannao",
    verify_alexnet_tiny: "alexnet" on "tiny",
    verify_alexnet_zcu104: "alexnet" on "zcu104",
    verify_alexnet_kv260: "alexnet" on "kv260",
    verify_nin_diannao: "nin" on "diannao",
    verify_nin_tiny: "nin" on "tiny",
    verify_nin_zcu104: "nin" on "zcu104",
    verify_nin_kv260: "nin" on "kv260",
    verify_googlenet_diannao: "googlenet" on "diannao",
    verify_googlenet_tiny: "googlenet" on "tiny",
    verify_googlenet_zcu104: "googlenet" on "zcu104",
    verify_googlenet_kv260: "googlenet" on "kv260",
    verify_diannao_bench_diannao: "diannao_bench" on "diannao",
    verify_diannao_bench_tiny: "diannao_bench" on "tiny",
    verify_diannao_bench_zcu104: "diannao_bench" on "zcu104",
    verify_diannao_bench_kv260: "diannao_bench" on "kv260",
    verify_resnet18_diannao: "resnet18" on "diannao",
    verify_resnet18_tiny: "resnet18" on "tiny",
    verify_mobilenet_v1_diannao: "mobilenet_v1" on "diannao",
    verify_mobilenet_v1_tiny: "mobilenet_v1" on "tiny",
    verify_vgg16_diannao: "vgg16" on "diannao",
}

/// The full default training run (8 epochs, 8,000 / 2,000 digits) on
/// `backend`; held-out accuracy at least `min_acc`. Outputs in
/// `out/train-long/<backend>` (kept: docs/training.md quotes them).
fn train_full(backend: &str, min_acc: f64) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = root.join("out/train-long").join(backend);
    let o = Command::new(BIN)
        .args(["train", "--backend", backend, "--quiet", "--json", "--out"])
        .arg(&out)
        .output()
        .expect("run diannao");
    assert!(
        o.status.success(),
        "train --backend {backend} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON summary");
    let acc = v["final_test_acc"]
        .as_f64()
        .expect("accuracy in the summary");
    assert!(acc >= min_acc, "held-out accuracy {acc} < {min_acc}");
}

#[test]
#[ignore = "long tier: bash scripts/long.sh"]
fn train_mnist_sim() {
    train_full("sim", 0.97);
}

#[test]
#[ignore = "long tier: bash scripts/long.sh"]
fn train_mnist_cpu() {
    train_full("cpu", 0.97);
}
