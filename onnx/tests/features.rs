//! Small graphs built here: how each supported form imports.

mod common;

use arch::activation::Activation;
use common::*;
use firmware::{LayerSpec, PoolKind};
use onnx_import::proto::*;
use onnx_import::Imported;
use prost::Message;

fn import(nodes: Vec<NodeProto>, inits: Vec<TensorProto>, x: &[i64], opset: i64) -> Imported {
    onnx_import::parse(&model_bytes(nodes, inits, x, opset), "t.onnx")
        .unwrap_or_else(|e| panic!("{e}"))
}

fn summary(im: &Imported) -> Vec<(String, &'static str, Vec<String>, Activation)> {
    im.model
        .layers
        .iter()
        .map(|l| {
            (
                l.name.clone(),
                l.spec.kind_name(),
                l.inputs.clone(),
                l.spec.act(),
            )
        })
        .collect()
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn conv_w(name: &str, no: i64, ni: i64, k: i64) -> TensorProto {
    finit(name, &[no, ni, k, k], &[])
}

#[test]
fn nested_concats_flatten_into_one_input_list() {
    let n = vec![
        node("Conv", "a", &["x", "w"], &["ta"], vec![]),
        node("Conv", "b", &["x", "w"], &["tb"], vec![]),
        node("Concat", "ab", &["ta", "tb"], &["tab"], vec![ai("axis", 1)]),
        node(
            "Concat",
            "abx",
            &["tab", "x"],
            &["tabx"],
            vec![ai("axis", -3)],
        ),
        node("Conv", "c", &["tabx", "wc"], &["y"], vec![]),
    ];
    let im = import(
        n,
        vec![conv_w("w", 3, 2, 1), conv_w("wc", 2, 8, 1)],
        &[2, 4, 4],
        13,
    );
    let l = im.model.layer("c").unwrap();
    assert_eq!(l.inputs, s(&["a", "b", "input"]));
    assert_eq!(l.spec.input_shape(), (8, 4, 4));
}

#[test]
fn activations_fuse_only_into_a_sole_consumer() {
    let n = vec![
        node("Conv", "a", &["x", "w"], &["ta"], vec![]),
        // `ta` has two consumers: the Relu cannot be fused
        node("Relu", "r", &["ta"], &["tr"], vec![]),
        node(
            "MaxPool",
            "p",
            &["tr"],
            &["tp"],
            vec![ais("kernel_shape", &[1, 1])],
        ),
        // after a pool: an activation layer
        node("Sigmoid", "sg", &["tp"], &["ts"], vec![]),
        node("Add", "add", &["ts", "ta"], &["tadd"], vec![]),
        // after an add: fused
        node("Tanh", "th", &["tadd"], &["y"], vec![]),
    ];
    let im = import(n, vec![conv_w("w", 2, 2, 1)], &[2, 4, 4], 13);
    use Activation::*;
    assert_eq!(
        summary(&im),
        vec![
            ("a".into(), "conv", s(&["input"]), Identity),
            ("r".into(), "act", s(&["a"]), Relu),
            ("p".into(), "pool", s(&["r"]), Identity),
            ("sg".into(), "act", s(&["p"]), Sigmoid),
            ("add".into(), "add", s(&["sg", "a"]), Tanh),
        ]
    );
}

#[test]
fn activation_fuses_through_a_flatten_and_an_identity() {
    let n = vec![
        node("Conv", "a", &["x", "w"], &["ta"], vec![]),
        node("Flatten", "f", &["ta"], &["tf"], vec![]),
        node("Identity", "i", &["tf"], &["ti"], vec![]),
        node("Relu", "r", &["ti"], &["tr"], vec![]),
        node("Gemm", "g", &["tr", "wg"], &["y"], vec![ai("transB", 1)]),
    ];
    let im = import(
        n,
        vec![conv_w("w", 2, 2, 3), finit("wg", &[3, 8], &[])],
        &[2, 4, 4],
        13,
    );
    use Activation::*;
    assert_eq!(
        summary(&im),
        vec![
            ("a".into(), "conv", s(&["input"]), Relu),
            ("g".into(), "class", s(&["a"]), Identity),
        ]
    );
    assert!(matches!(im.model.layers[1].spec, LayerSpec::Classifier(c) if c.ni == 8 && !c.bias));
    assert!(im.params["g"].bias.is_empty());
}

#[test]
fn constant_adds_fold_into_the_bias() {
    let n = vec![
        node("Conv", "a", &["x", "w"], &["ta"], vec![]),
        node("Add", "b1", &["ta", "k1"], &["tb"], vec![]),
        node("Add", "b2", &["k2", "tb"], &["y"], vec![]),
    ];
    let inits = vec![
        conv_w("w", 3, 2, 1),
        finit("k1", &[1, 3, 1, 1], &[1.0, 2.0, 3.0]),
        finit("k2", &[], &[0.5]),
    ];
    let im = import(n, inits, &[2, 4, 4], 13);
    assert_eq!(im.model.layers.len(), 1);
    assert!(matches!(im.model.layers[0].spec, LayerSpec::Conv(c) if c.bias));
    assert_eq!(im.params["a"].bias, [1.5, 2.5, 3.5]);
}

#[test]
fn batch_norm_folds_into_a_gemm() {
    let n = vec![
        node("Flatten", "f", &["x"], &["tf"], vec![]),
        node("Gemm", "g", &["tf", "wg"], &["tg"], vec![ai("transB", 1)]),
        node(
            "BatchNormalization",
            "bn",
            &["tg", "sc", "b", "m", "v"],
            &["y"],
            vec![af("epsilon", 0.0)],
        ),
    ];
    let inits = vec![
        finit("wg", &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
        finit("sc", &[2], &[2.0, 1.0]),
        finit("b", &[2], &[0.5, 0.0]),
        finit("m", &[2], &[1.0, -1.0]),
        finit("v", &[2], &[4.0, 1.0]),
    ];
    let im = import(n, inits, &[3], 13);
    let p = &im.params["g"];
    // k = g / sqrt(var): 1 and 1
    assert_eq!(p.weights, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    // b' = (0 - mean) k + beta
    assert_eq!(p.bias, [-0.5, 1.0]);
    assert_eq!(im.model.input, (3, 1, 1));
}

#[test]
fn auto_pad_and_global_pools() {
    let n = vec![
        node(
            "Conv",
            "same",
            &["x", "w"],
            &["t1"],
            vec![astr("auto_pad", "SAME_UPPER")],
        ),
        node(
            "Conv",
            "valid",
            &["t1", "w2"],
            &["t2"],
            vec![astr("auto_pad", "VALID")],
        ),
        node(
            "MaxPool",
            "p",
            &["t2"],
            &["t3"],
            vec![
                ais("kernel_shape", &[2, 2]),
                ais("strides", &[2, 2]),
                ai("ceil_mode", 1),
            ],
        ),
        node("GlobalMaxPool", "gmp", &["t3"], &["y"], vec![]),
    ];
    let im = import(
        n,
        vec![conv_w("w", 2, 2, 3), conv_w("w2", 2, 2, 3)],
        &[2, 10, 10],
        13,
    );
    let shapes: Vec<_> = im
        .model
        .layers
        .iter()
        .map(|l| l.spec.output_shape())
        .collect();
    assert_eq!(shapes, [(2, 10, 10), (2, 8, 8), (2, 4, 4), (2, 1, 1)]);
    match im.model.layers[0].spec {
        LayerSpec::Conv(c) => assert_eq!(c.pad, 1),
        _ => panic!(),
    }
    match im.model.layers[3].spec {
        LayerSpec::Pool(p) => assert_eq!((p.kind, p.kx, p.ky), (PoolKind::Max, 4, 4)),
        _ => panic!(),
    }
}

#[test]
fn reshapes_that_flatten() {
    for (shape, batch) in [
        (vec![-1, 32], None),
        (vec![0, -1], None),
        (vec![0, 32], None),
        (vec![2, 32], Some(2)),
        (vec![2, -1], Some(2)),
    ] {
        let n = vec![
            node("Reshape", "r", &["x", "s"], &["t"], vec![]),
            node("MatMul", "m", &["t", "w"], &["y"], vec![]),
        ];
        let mut mp = ModelProto::decode(
            model_bytes(
                n,
                vec![iinit("s", &shape), finit("w", &[32, 3], &[])],
                &[2, 4, 4],
                13,
            )
            .as_slice(),
        )
        .unwrap();
        if let Some(b) = batch {
            let g = mp.graph.as_mut().unwrap();
            if let Some(TypeValue::TensorType(t)) =
                g.input[0].r#type.as_mut().unwrap().value.as_mut()
            {
                t.shape.as_mut().unwrap().dim[0].value = Some(DimValue::DimValue(b));
            }
        }
        let im = onnx_import::parse(&mp.encode_to_vec(), "t.onnx")
            .unwrap_or_else(|e| panic!("{shape:?}: {e}"));
        assert_eq!(im.batch, batch.map(|b| b as u32));
        assert!(
            matches!(im.model.layers[0].spec, LayerSpec::Classifier(c) if c.ni == 32 && c.no == 3 && !c.bias)
        );
    }
    // [2, 32] with a symbolic batch fixes N = 2: not a flatten
    let n = vec![
        node("Reshape", "r", &["x", "s"], &["t"], vec![]),
        node("MatMul", "m", &["t", "w"], &["y"], vec![]),
    ];
    let b = model_bytes(
        n,
        vec![iinit("s", &[2, 32]), finit("w", &[32, 3], &[])],
        &[2, 4, 4],
        13,
    );
    assert!(onnx_import::parse(&b, "t.onnx").is_err());
}

#[test]
fn flatten_of_a_concat_feeds_a_classifier_with_several_inputs() {
    let n = vec![
        node("Conv", "a", &["x", "w"], &["ta"], vec![]),
        node("Concat", "cat", &["ta", "x"], &["tc"], vec![ai("axis", 1)]),
        node("Flatten", "f", &["tc"], &["tf"], vec![]),
        node("Gemm", "g", &["tf", "wg", "bg"], &["y"], vec![]),
    ];
    let inits = vec![
        conv_w("w", 3, 2, 1),
        finit("wg", &[80, 4], &[]),
        finit("bg", &[1, 4], &[]),
    ];
    let im = import(n, inits, &[2, 4, 4], 13);
    let g = im.model.layer("g").unwrap();
    assert_eq!(g.inputs, s(&["a", "input"]));
    assert!(matches!(g.spec, LayerSpec::Classifier(c) if c.ni == 80 && c.bias));
}

#[test]
fn nodes_out_of_order_dead_nodes_and_names() {
    let n = vec![
        node("Relu", "", &["t2"], &["y"], vec![]),
        node("Conv", "input", &["t1", "w"], &["t2"], vec![]),
        node("LRN", "dead", &["t1"], &["unused"], vec![]),
        node("Conv", "c", &["x", "w"], &["t1"], vec![]),
        node(
            "Constant",
            "k",
            &[],
            &["w"],
            vec![AttributeProto {
                name: "value".into(),
                t: Some(conv_w("w", 2, 2, 1)),
                r#type: AttributeType::Tensor as i32,
                ..Default::default()
            }],
        ),
    ];
    let im = import(n, vec![], &[2, 4, 4], 13);
    use Activation::*;
    assert_eq!(
        summary(&im),
        vec![
            ("c".into(), "conv", s(&["input"]), Identity),
            ("input_2".into(), "conv", s(&["c"]), Relu),
        ]
    );
    // the dead LRN is not imported, and it is said
    assert_eq!(im.ignored, vec!["dead (LRN at index 2)".to_string()]);
    // duplicate names are made unique; an unnamed layer takes its output's name
    let n = vec![
        node("Conv", "c", &["x", "w"], &["t1"], vec![]),
        node(
            "MaxPool",
            "c",
            &["t1"],
            &["t2"],
            vec![ais("kernel_shape", &[1, 1])],
        ),
        node("Conv", "", &["t2", "w"], &["y"], vec![]),
    ];
    let im = import(n, vec![conv_w("w", 2, 2, 1)], &[2, 4, 4], 13);
    let names: Vec<_> = im.model.layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["c", "c_2", "y"]);
}

#[test]
fn softmax_axes_by_opset() {
    // opset 11: axis defaults to 1 (flattening), fine on [N, C]
    let n = vec![
        node("Gemm", "g", &["x", "w"], &["t"], vec![]),
        node("Softmax", "sm", &["t"], &["y"], vec![]),
    ];
    let im = import(n.clone(), vec![finit("w", &[6, 4], &[])], &[6], 11);
    assert!(im.softmax);
    // opset 13 on [N, C, 1, 1] over axis 1
    let n = vec![
        node("Conv", "c", &["x", "w"], &["t"], vec![]),
        node("Softmax", "sm", &["t"], &["y"], vec![ai("axis", 1)]),
    ];
    let im = import(n, vec![conv_w("w", 3, 2, 1)], &[2, 1, 1], 13);
    assert!(im.softmax);
    // opset 13, default axis -1 on [N, C, H, W] is per row: not supported
    let n = vec![
        node("Conv", "c", &["x", "w"], &["t"], vec![]),
        node("Softmax", "sm", &["t"], &["y"], vec![]),
    ];
    let b = model_bytes(n, vec![conv_w("w", 3, 2, 1)], &[2, 4, 4], 13);
    let e = onnx_import::parse(&b, "t.onnx").unwrap_err().to_string();
    assert!(
        e.contains("node `sm` (Softmax at index 1)") && e.contains("axis -1"),
        "{e}"
    );
}

#[test]
fn dropout_variants() {
    // opset 13: ratio and training_mode inputs, training off
    let mut off = TensorProto {
        name: "tm".into(),
        data_type: DataType::Bool as i32,
        raw_data: vec![0],
        ..Default::default()
    };
    let n = |outs: &[&str]| {
        vec![
            node("Conv", "c", &["x", "w"], &["t"], vec![]),
            node("Dropout", "d", &["t", "ratio", "tm"], outs, vec![]),
        ]
    };
    let inits = |tm: &TensorProto| {
        vec![
            conv_w("w", 3, 2, 1),
            finit("ratio", &[], &[0.5]),
            tm.clone(),
        ]
    };
    let im = import(n(&["y"]), inits(&off), &[2, 4, 4], 13);
    assert_eq!(im.model.layers.len(), 1);
    off.raw_data = vec![1];
    let e = onnx_import::parse(
        &model_bytes(n(&["y"]), inits(&off), &[2, 4, 4], 13),
        "t.onnx",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("node `d` (Dropout at index 1)") && e.contains("training_mode"),
        "{e}"
    );
    // a used mask
    off.raw_data = vec![0];
    let mut nodes = n(&["t2", "mask"]);
    nodes.push(node("Add", "a", &["t2", "mask"], &["y"], vec![]));
    let e = onnx_import::parse(&model_bytes(nodes, inits(&off), &[2, 4, 4], 13), "t.onnx")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("node `d` (Dropout at index 1)") && e.contains("`mask`"),
        "{e}"
    );
}
