//! Export then import: the same model and parameters come back.

mod common;

use firmware::{LayerParams, LayerSpec, Model, Params};
use onnx_import::OnnxError;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const LENET: &str = r#"
name = "lenet"
input = [1, 28, 28]

[[layer]]
name = "conv1"
type = "conv"
k = 5
no = 6
act = "relu"

[[layer]]
name = "pool1"
type = "pool"
k = 2
kind = "max"

[[layer]]
name = "conv2"
type = "conv"
k = 5
no = 16
act = "relu"
bias = false

[[layer]]
name = "pool2"
type = "pool"
k = 2
kind = "avg"

[[layer]]
name = "fc1"
type = "class"
no = 120
act = "relu"

[[layer]]
name = "fc2"
type = "class"
no = 84
act = "sigmoid"

[[layer]]
name = "fc3"
type = "class"
no = 10
bias = false
"#;

/// Residual add, depthwise conv, padded average pool, an activation layer
/// that cannot be fused (its producer has two consumers), concatenations
/// (with the input, of two 4-D tensors, of a 2-D and a 4-D tensor), a global
/// average pool and a whole-map max pool.
const GRAPH: &str = r#"
name = "graph"
input = [4, 8, 8]

[[layer]]
name = "stem"
type = "conv"
k = 3
pad = 1
no = 8
act = "relu"

[[layer]]
name = "a"
type = "conv"
k = 3
pad = 1
no = 8
act = "relu"

[[layer]]
name = "b"
type = "conv"
from = "stem"
k = 1
no = 8

[[layer]]
name = "res"
type = "add"
from = ["a", "b"]
act = "relu"

[[layer]]
name = "b_act"
type = "act"
from = "b"
act = "tanh"

[[layer]]
name = "dw"
type = "conv"
from = "res"
k = 3
pad = 1
no = 8
groups = 8
act = "tanh"

[[layer]]
name = "p"
type = "pool"
from = "res"
k = 3
s = 1
pad = 1
kind = "avg"

[[layer]]
name = "mix"
type = "conv"
from = ["dw", "p", "b_act", "input"]
k = 1
no = 6
groups = 2

[[layer]]
name = "gap"
type = "gap"

[[layer]]
name = "mp"
type = "pool"
from = "mix"
k = 8
kind = "max"

[[layer]]
name = "fc"
type = "class"
from = ["gap", "mp"]
no = 5
act = "relu"

[[layer]]
name = "out"
type = "class"
from = ["fc", "gap"]
no = 3
"#;

fn random_params(m: &Model, seed: u64) -> Params {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut p = Params::new();
    for l in &m.layers {
        if matches!(l.spec, LayerSpec::Conv(_) | LayerSpec::Classifier(_)) {
            let mut v = |n: u64| (0..n).map(|_| rng.gen_range(-0.5f32..0.5)).collect();
            p.insert(
                l.name.clone(),
                LayerParams {
                    weights: v(l.spec.weight_len()),
                    bias: v(l.spec.bias_len()),
                },
            );
        }
    }
    p
}

fn round_trip(text: &str, softmax: bool) {
    let m = Model::parse(text, "m.toml").unwrap();
    let p = random_params(&m, 7);
    let bytes = onnx_import::write(&m, &p, softmax).unwrap();
    let im = onnx_import::parse(&bytes, "out.onnx").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(im.model, m);
    assert_eq!(im.params, p);
    assert_eq!(im.softmax, softmax);
    assert_eq!(im.input_name, "input");
    assert_eq!(im.output_name, "output");
    assert_eq!(im.batch, None);
}

#[test]
fn lenet_round_trips() {
    round_trip(LENET, false);
    round_trip(LENET, true);
}

#[test]
fn graph_with_residual_depthwise_and_concat_round_trips() {
    round_trip(GRAPH, false);
    round_trip(GRAPH, true);
}

#[test]
fn a_fusable_activation_layer_comes_back_fused() {
    let t = "name = \"f\"\ninput = [2, 4, 4]\n[[layer]]\nname = \"c\"\ntype = \"conv\"\nk = 3\nno = 2\n[[layer]]\nname = \"r\"\ntype = \"act\"\nact = \"relu\"\n";
    let m = Model::parse(t, "f.toml").unwrap();
    let p = random_params(&m, 1);
    let im = onnx_import::parse(&onnx_import::write(&m, &p, false).unwrap(), "f.onnx").unwrap();
    assert_eq!(im.model.layers.len(), 1);
    assert_eq!(
        im.model.layers[0].spec.act(),
        arch::activation::Activation::Relu
    );
    assert_eq!(im.params, p);
}

#[test]
fn save_writes_the_file_whole_and_load_reads_it() {
    let m = Model::parse(LENET, "m.toml").unwrap();
    let p = random_params(&m, 3);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lenet.onnx");
    onnx_import::save(&path, &m, &p, true).unwrap();
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["lenet.onnx"]);
    let im = onnx_import::load(&path).unwrap();
    assert_eq!(
        (im.model, im.params, im.softmax),
        (m.clone(), p.clone(), true)
    );
    // into a missing directory: an error naming the path, nothing written
    let bad = dir.path().join("no/such/dir/m.onnx");
    let e = onnx_import::save(&bad, &m, &p, false).unwrap_err();
    assert!(e.to_string().starts_with(&bad.display().to_string()), "{e}");
}

#[test]
fn exported_models_match_their_own_forward_pass_after_import() {
    // the f32 forward of the re-imported model equals that of the original
    let m = Model::parse(GRAPH, "m.toml").unwrap();
    let p = random_params(&m, 11);
    let im = onnx_import::parse(&onnx_import::write(&m, &p, true).unwrap(), "g.onnx").unwrap();
    let x: Vec<f32> = (0..4 * 8 * 8)
        .map(|i| ((i * 37) % 17) as f32 / 17.0 - 0.5)
        .collect();
    let a = common::forward(&m, &p, &x, true);
    let b = common::forward(&im.model, &im.params, &x, im.softmax);
    assert_eq!(a, b);
    assert!((a.iter().sum::<f32>() - 1.0).abs() < 1e-5);
}

fn export_err(text: &str, p: Option<Params>) -> String {
    let m = Model::parse(text, "m.toml").unwrap();
    let p = p.unwrap_or_else(|| random_params(&m, 5));
    let e = onnx_import::write(&m, &p, false).unwrap_err();
    assert!(matches!(e, OnnxError::Export { .. }), "{e:?}");
    let s = e.to_string();
    assert!(
        s.starts_with(&format!("{}: cannot export: ", m.name)),
        "{s}"
    );
    s
}

#[test]
fn models_that_cannot_be_exported() {
    let detached = "name = \"d\"\ninput = [1, 4, 4]\n[[layer]]\nname = \"c\"\ntype = \"class\"\ninput = [3, 2, 2]\nno = 2\n";
    assert!(export_err(detached, None).contains("detached"));
    let deriv = "name = \"d\"\ninput = [1, 4, 4]\n[[layer]]\nname = \"c\"\ntype = \"conv\"\nk = 3\nno = 2\nact = \"drelu\"\n";
    assert!(export_err(deriv, None).contains("drelu"));
    let conv = "name = \"d\"\ninput = [1, 4, 4]\n[[layer]]\nname = \"c\"\ntype = \"conv\"\nk = 3\nno = 2\n";
    assert!(export_err(conv, Some(Params::new())).contains("no parameters"));
    let mut p = Params::new();
    p.insert(
        "c".into(),
        LayerParams {
            weights: vec![0.0; 5],
            bias: vec![0.0; 2],
        },
    );
    assert!(export_err(conv, Some(p)).contains("needs 18"));
}
