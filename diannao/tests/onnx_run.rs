//! `diannao run` on ONNX files written by another tool (the Python `onnx`
//! package: onnx/tests/data/make_models.py), compared with an independent
//! runtime, onnxruntime (scripts/ort_run.py, installed by scripts/test.sh):
//!
//! * `--backend cpu` (f32) within 1e-4 relative: `|y - ort| <= 1e-4 * max|ort|`
//!   over the whole output tensor (a normwise relative error);
//! * `--backend sim` (fixed point on the cycle-accurate simulator) within
//!   the worst-case bound the run reports (`runtime::graph::error_bound`,
//!   derived from the format: every rounding of input, weights and outputs
//!   at its worst, plus NFU-3's table error), with no saturation, and bit
//!   for bit equal to `--backend reference` (the fixed-point CPU reference);
//! * bad inputs: one line naming the file (and node), exit 1, no output file.

mod common;

use common::{fails_output, ok};
use std::path::{Path, PathBuf};
use std::process::Command;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../onnx/tests/data")
        .join(name)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// onnxruntime's output for `model` on `input` (fails naming the tool if it is missing).
fn ort(model: &Path, input: &Path, out: &Path) -> Vec<f32> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/ort_run.py");
    let o = Command::new("python3")
        .arg(&script)
        .arg(model)
        .arg(input)
        .arg(out)
        .output()
        .expect("python3 is required (Debian package python3) to run onnxruntime");
    assert!(
        o.status.success(),
        "onnxruntime (scripts/ort_run.py) failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    runtime::npy::read(out).unwrap().data
}

fn run_json(model: &Path, input: &Path, out: &Path, backend: &str) -> serde_json::Value {
    let text = ok(&[
        "run",
        "--preset",
        "diannao",
        "--model",
        s(model),
        "--input",
        s(input),
        "--out",
        s(out),
        "--backend",
        backend,
        "--json",
        "--quiet",
    ]);
    serde_json::from_str(&text).unwrap()
}

#[test]
fn onnx_models_written_by_the_onnx_package_match_onnxruntime() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["mlp", "cnn", "resblock"] {
        let model = data(&format!("{name}.onnx"));
        let input = data(&format!("{name}.input.npy"));
        let want = ort(&model, &input, &dir.path().join(format!("{name}.ort.npy")));
        let max = want.iter().map(|v| v.abs()).fold(0.0f32, f32::max);
        assert!(max > 0.0, "{name}: onnxruntime output is all zero");

        let cpu_out = dir.path().join(format!("{name}.cpu.npy"));
        run_json(&model, &input, &cpu_out, "cpu");
        let cpu = runtime::npy::read(&cpu_out).unwrap();
        assert_eq!(cpu.data.len(), want.len(), "{name}: output size");
        for (i, (a, b)) in cpu.data.iter().zip(&want).enumerate() {
            assert!(
                (a - b).abs() <= 1e-4 * max,
                "{name} f32 output {i}: {a} vs onnxruntime {b}"
            );
        }

        let sim_out = dir.path().join(format!("{name}.sim.npy"));
        let j = run_json(&model, &input, &sim_out, "sim");
        let sim = runtime::npy::read(&sim_out).unwrap();
        assert_eq!(sim.shape, cpu.shape, "{name}: shapes");
        let bound = j["error_bound"]
            .as_f64()
            .unwrap_or_else(|| panic!("{name}: no error bound (saturations?): {j}"));
        assert!(j["run"]["layers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| { l["figures"]["cycles"].as_u64().unwrap() > 0 }));
        let mut worst = 0.0f64;
        for (i, (a, b)) in sim.data.iter().zip(&want).enumerate() {
            let d = (a - b).abs() as f64;
            assert!(
                d <= bound,
                "{name} fixed-point output {i}: {a} vs onnxruntime {b} (bound {bound})"
            );
            worst = worst.max(d);
        }
        eprintln!("{name}: fixed point vs onnxruntime: worst {worst:.5}, bound {bound:.5}");

        let ref_out = dir.path().join(format!("{name}.ref.npy"));
        run_json(&model, &input, &ref_out, "reference");
        assert_eq!(
            runtime::npy::read(&ref_out).unwrap().data,
            sim.data,
            "{name}: simulator vs fixed-point reference"
        );
    }
}

#[test]
fn bad_onnx_files_and_inputs_get_one_line_and_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("y.npy");
    let input = data("cnn.input.npy");
    for (file, want) in [
        (
            "truncated.onnx",
            vec!["truncated.onnx", "not a valid ONNX model"],
        ),
        (
            "unsupported_op.onnx",
            vec!["unsupported_op.onnx", "LRN", "index"],
        ),
        (
            "dynamic_spatial.onnx",
            vec!["dynamic_spatial.onnx", "dynamic spatial shape"],
        ),
        (
            "missing_initializer.onnx",
            vec!["missing_initializer.onnx", "missing initializer"],
        ),
        (
            "mismatched_shapes.onnx",
            vec!["mismatched_shapes.onnx", "mismatched shapes"],
        ),
        ("huge.onnx", vec!["huge.onnx", "32-bit"]),
    ] {
        let m = data(file);
        fails_output(
            &[
                "run",
                "--model",
                s(&m),
                "--input",
                s(&input),
                "--out",
                s(&out),
            ],
            &want.iter().map(|w| &**w).collect::<Vec<_>>(),
        );
        assert!(!out.exists(), "{file}: an output was written");
    }
    // an input of the wrong shape, of the wrong dtype, not a .npy file
    let model = data("cnn.onnx");
    let mlp_in = data("mlp.input.npy");
    fails_output(
        &[
            "run",
            "--model",
            s(&model),
            "--input",
            s(&mlp_in),
            "--out",
            s(&out),
        ],
        &["mlp.input.npy", "shape", "[N, 3, 16, 16]"],
    );
    let ints = dir.path().join("ints.npy");
    // a [1, 3, 16, 16] int64 array written by hand (npy format 1.0)
    let header = "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 3, 16, 16), }";
    let mut h = header.to_string();
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(' ');
    }
    h.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((h.len() as u16).to_le_bytes());
    bytes.extend(h.as_bytes());
    bytes.extend(vec![0u8; 8 * 3 * 16 * 16]);
    std::fs::write(&ints, bytes).unwrap();
    fails_output(
        &[
            "run",
            "--model",
            s(&model),
            "--input",
            s(&ints),
            "--out",
            s(&out),
        ],
        &["ints.npy", "float32"],
    );
    let junk = dir.path().join("junk.npy");
    std::fs::write(&junk, b"hello").unwrap();
    fails_output(
        &[
            "run",
            "--model",
            s(&model),
            "--input",
            s(&junk),
            "--out",
            s(&out),
        ],
        &["junk.npy", "not a valid .npy"],
    );
    assert!(!out.exists());
    // a model without weights
    fails_output(
        &["run", "--model", "lenet5", "--input", s(&input)],
        &["lenet5", "no weights", "ONNX"],
    );
}

#[test]
fn onnx_models_work_wherever_a_model_is_accepted() {
    let m = data("resblock.onnx");
    let out = ok(&["simulate", "--preset", "tiny", "--model", s(&m), "--quiet"]);
    assert!(out.contains("total"), "{out}");
    let out = ok(&["verify", "--preset", "tiny", "--model", s(&m)]);
    assert!(out.contains("OK"), "{out}");
    let out = ok(&["analyze", "--model", s(&m)]);
    assert!(!out.is_empty());
}
