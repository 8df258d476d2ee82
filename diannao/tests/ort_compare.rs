//! `scripts/ort_compare.py`, the CPU baseline beside onnxruntime
//! (docs/results.md): it runs on LeNet-5, every conv, pool and classifier
//! layer gets both runtimes' times, and onnxruntime's output of each
//! one-node model has the layer's size (the script checks that and exits
//! non-zero otherwise).

use std::path::Path;
use std::process::Command;

#[test]
fn ort_compare_times_every_layer_on_both_runtimes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let o = Command::new("python3")
        .arg(root.join("scripts/ort_compare.py"))
        .args(["--model", "lenet5", "--batch", "2", "--repeat", "1", "--json"])
        .arg("--diannao")
        .arg(env!("CARGO_BIN_EXE_diannao"))
        .output()
        .expect("python3 is required (Debian package python3), with numpy, onnx and onnxruntime (scripts/test.sh installs them)");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "ort_compare.py failed: {stderr}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    assert_eq!(v["batch"], 2);
    let layers = v["layers"].as_array().unwrap();
    let names: Vec<&str> = layers
        .iter()
        .map(|l| l["layer"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["conv1", "pool1", "conv2", "pool2", "ip1", "ip2"]);
    for l in layers {
        for k in ["ours_1t_s", "ort_1t_s", "ours_all_s", "ort_all_s"] {
            let t = l[k].as_f64().unwrap();
            assert!(t > 0.0 && t < 10.0, "{}: {k} = {t}", l["layer"]);
        }
    }
    assert_eq!(
        layers
            .iter()
            .map(|l| l["macs"].as_u64().unwrap())
            .sum::<u64>(),
        2 * 2_307_720,
        "LeNet-5's MACs (pooling windows included) at batch 2"
    );
}
