//! The committed good models (written by onnx/tests/data/make_models.py
//! with the `onnx` package): the layers they import as, and an f32 forward
//! pass of the imported model against onnxruntime's output.

mod common;

use arch::activation::Activation::{self, *};
use common::{data, forward, read_npy};
use firmware::{ClassSpec, ConvSpec, EltwiseSpec, LayerSpec, PoolKind, PoolSpec};
use onnx_import::proto::ModelProto;
use onnx_import::Imported;
use prost::Message;

fn load(name: &str) -> Imported {
    onnx_import::load(&data(name)).unwrap_or_else(|e| panic!("{e}"))
}

/// An initializer of a committed model, as floats.
fn init(file: &str, name: &str) -> (Vec<i64>, Vec<f32>) {
    let m = ModelProto::decode(std::fs::read(data(file)).unwrap().as_slice()).unwrap();
    let t = m
        .graph
        .unwrap()
        .initializer
        .into_iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("{file}: no initializer {name}"));
    let v = if t.raw_data.is_empty() {
        t.float_data.clone()
    } else {
        t.raw_data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    };
    (t.dims, v)
}

#[allow(clippy::too_many_arguments)]
fn conv(
    n: u32,
    k: u32,
    ni: u32,
    no: u32,
    s: u32,
    pad: u32,
    act: Activation,
    groups: u32,
) -> LayerSpec {
    LayerSpec::Conv(ConvSpec {
        nx: n,
        ny: n,
        kx: k,
        ky: k,
        ni,
        no,
        sx: s,
        sy: s,
        pad,
        act,
        bias: true,
        groups,
    })
}

fn pool(n: u32, k: u32, ni: u32, s: u32, pad: u32, kind: PoolKind) -> LayerSpec {
    LayerSpec::Pool(PoolSpec {
        nx: n,
        ny: n,
        kx: k,
        ky: k,
        ni,
        sx: s,
        sy: s,
        pad,
        kind,
    })
}

fn class(ni: u32, no: u32, act: Activation) -> LayerSpec {
    LayerSpec::Classifier(ClassSpec {
        ni,
        no,
        act,
        bias: true,
    })
}

fn check_layers(im: &Imported, want: &[(&str, LayerSpec, &[&str])]) {
    let got: Vec<(&str, LayerSpec, Vec<&str>)> = im
        .model
        .layers
        .iter()
        .map(|l| {
            (
                l.name.as_str(),
                l.spec,
                l.inputs.iter().map(|s| s.as_str()).collect(),
            )
        })
        .collect();
    let want: Vec<(&str, LayerSpec, Vec<&str>)> =
        want.iter().map(|(n, s, i)| (*n, *s, i.to_vec())).collect();
    assert_eq!(got, want);
    for l in &im.model.layers {
        let p = im.params.get(&l.name);
        match l.spec {
            LayerSpec::Conv(_) | LayerSpec::Classifier(_) => {
                let p = p.unwrap_or_else(|| panic!("no params for {}", l.name));
                assert_eq!(p.weights.len() as u64, l.spec.weight_len(), "{}", l.name);
                assert_eq!(p.bias.len() as u64, l.spec.bias_len(), "{}", l.name);
            }
            _ => assert!(p.is_none(), "{} has params", l.name),
        }
    }
}

/// Every image of NAME.input.npy through the imported model against
/// NAME.expected.npy.
fn matches_onnxruntime(name: &str, im: &Imported) {
    let (xs, x) = read_npy(&format!("{name}.input.npy"));
    let (ys, y) = read_npy(&format!("{name}.expected.npy"));
    assert_eq!(xs[0], ys[0]);
    let (c, h, w) = im.model.input;
    let per_x = (c * h * w) as usize;
    assert_eq!(xs.iter().skip(1).product::<usize>(), per_x);
    let per_y = y.len() / ys[0];
    for b in 0..xs[0] {
        let got = forward(
            &im.model,
            &im.params,
            &x[b * per_x..(b + 1) * per_x],
            im.softmax,
        );
        let want = &y[b * per_y..(b + 1) * per_y];
        assert_eq!(got.len(), want.len());
        for (i, (g, e)) in got.iter().zip(want).enumerate() {
            assert!(
                (g - e).abs() <= 1e-4 + 1e-4 * e.abs(),
                "{name}: image {b} output {i}: {g} vs onnxruntime {e}"
            );
        }
    }
}

#[test]
fn mlp_imports_as_two_classifiers_and_a_softmax() {
    let im = load("mlp.onnx");
    check_layers(
        &im,
        &[
            ("fc1", class(64, 32, Relu), &["input"]),
            ("fc2", class(32, 10, Identity), &["fc1"]),
        ],
    );
    assert!(im.softmax);
    assert_eq!(im.model.input, (1, 8, 8));
    assert_eq!(im.model.name, "mlp");
    assert_eq!(
        (im.input_name.as_str(), im.output_name.as_str()),
        ("x", "probs")
    );
    assert_eq!(im.batch, None);
    // fc1 has transB = 1: the ONNX [no][ni] layout as is
    let (_, w1) = init("mlp.onnx", "fc1_w");
    assert_eq!(im.params["fc1"].weights, w1);
    // fc2 has transB = 0: [ni][no] is transposed
    let (d, w2) = init("mlp.onnx", "fc2_w");
    assert_eq!(d, [32, 10]);
    let p = &im.params["fc2"].weights;
    for i in 0..32 {
        for o in 0..10 {
            assert_eq!(p[o * 32 + i], w2[i * 10 + o]);
        }
    }
    assert_eq!(im.params["fc2"].bias, init("mlp.onnx", "fc2_b").1);
    matches_onnxruntime("mlp", &im);
}

#[test]
fn cnn_folds_batch_norm_bias_and_fuses_activations() {
    let im = load("cnn.onnx");
    check_layers(
        &im,
        &[
            ("conv1", conv(16, 3, 3, 8, 1, 1, Relu, 1), &["input"]),
            ("pool1", pool(16, 2, 8, 2, 0, PoolKind::Max), &["conv1"]),
            ("conv2", conv(8, 3, 8, 16, 2, 1, Sigmoid, 1), &["pool1"]),
            ("pool2", pool(4, 2, 16, 2, 1, PoolKind::Avg), &["conv2"]),
            ("fc", class(144, 10, Tanh), &["pool2"]),
        ],
    );
    assert!(!im.softmax);
    assert_eq!(im.model.input, (3, 16, 16));
    assert_eq!(im.output_name, "y");
    // w' = w g / sqrt(var + eps), b' = (b - mean) g / sqrt(var + eps) + beta
    let (_, w) = init("cnn.onnx", "conv1_w");
    let (_, b) = init("cnn.onnx", "conv1_b");
    let (_, g) = init("cnn.onnx", "bn1_scale");
    let (_, beta) = init("cnn.onnx", "bn1_bias");
    let (_, mean) = init("cnn.onnx", "bn1_mean");
    let (_, var) = init("cnn.onnx", "bn1_var");
    let p = &im.params["conv1"];
    let per = 3 * 3 * 3;
    for o in 0..8 {
        let k = g[o] / (var[o] + 1e-3).sqrt();
        assert!(k != 1.0);
        for j in 0..per {
            let want = w[o * per + j] * k;
            assert!((p.weights[o * per + j] - want).abs() <= 1e-6, "w[{o}][{j}]");
        }
        let want = (b[o] - mean[o]) * k + beta[o];
        assert!((p.bias[o] - want).abs() <= 1e-6, "b[{o}]");
    }
    // MatMul weight [144][10] transposed, the Add folded as the bias
    let (_, wf) = init("cnn.onnx", "fc_w");
    assert_eq!(im.params["fc"].weights[144 + 5], wf[5 * 10 + 1]);
    assert_eq!(im.params["fc"].bias, init("cnn.onnx", "fc_b").1);
    matches_onnxruntime("cnn", &im);
}

#[test]
fn resblock_has_add_depthwise_concat_and_gap() {
    let im = load("resblock.onnx");
    let add = LayerSpec::Eltwise(EltwiseSpec {
        c: 8,
        h: 8,
        w: 8,
        inputs: 2,
        act: Relu,
    });
    let mut b1 = conv(8, 1, 8, 8, 1, 0, Identity, 1);
    if let LayerSpec::Conv(c) = &mut b1 {
        c.bias = true;
    }
    check_layers(
        &im,
        &[
            ("stem", conv(8, 3, 4, 8, 1, 1, Relu, 1), &["input"]),
            ("a1", conv(8, 3, 8, 8, 1, 1, Relu, 1), &["stem"]),
            ("b1", b1, &["stem"]),
            ("res_add", add, &["a1", "b1"]),
            ("dw", conv(8, 3, 8, 8, 1, 1, Relu, 8), &["res_add"]),
            ("c1", conv(8, 1, 8, 4, 1, 0, Identity, 1), &["dw"]),
            ("c2", conv(8, 3, 8, 6, 1, 1, Identity, 1), &["dw"]),
            ("gap", pool(8, 8, 10, 1, 0, PoolKind::Avg), &["c1", "c2"]),
            ("fc", class(10, 5, Identity), &["gap"]),
        ],
    );
    assert_eq!(im.batch, Some(1));
    assert!(!im.softmax);
    assert_eq!(im.params["dw"].weights.len(), 8 * 9);
    matches_onnxruntime("resblock", &im);
}
