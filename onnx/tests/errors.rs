//! Bad models: the committed ones (one error each) and small graphs built
//! here. Every error is one line starting with the file name and, where a
//! node is at fault, naming the node, its op type and its index.

mod common;

use common::*;
use onnx_import::proto::*;
use onnx_import::OnnxError;
use prost::Message;

fn load_err(name: &str) -> (String, String, OnnxError) {
    let path = data(name);
    let file = path.display().to_string();
    let e = onnx_import::load(&path).expect_err(name);
    let msg = e.to_string();
    assert!(!msg.contains('\n'), "{msg}");
    assert!(msg.starts_with(&format!("{file}: ")), "{msg}");
    (file, msg, e)
}

fn parse_err(bytes: &[u8]) -> (String, OnnxError) {
    let e = onnx_import::parse(bytes, "t.onnx").expect_err("an error");
    let msg = e.to_string();
    assert!(!msg.contains('\n'), "{msg}");
    assert!(msg.starts_with("t.onnx: "), "{msg}");
    (msg, e)
}

#[test]
fn truncated_file() {
    let (file, msg, e) = load_err("truncated.onnx");
    assert!(matches!(e, OnnxError::Corrupt { .. }), "{e:?}");
    assert!(
        msg.starts_with(&format!("{file}: not a valid ONNX model: ")),
        "{msg}"
    );
    assert!(file.ends_with("truncated.onnx"));
    // garbage and an empty file
    let (msg, _) = parse_err(b"\xff\xff\xff\xff not protobuf");
    assert!(msg.starts_with("t.onnx: not a valid ONNX model: "), "{msg}");
    let (msg, _) = parse_err(b"");
    assert!(
        msg.contains("not a valid ONNX model: the file has no graph"),
        "{msg}"
    );
}

#[test]
fn unsupported_operator() {
    let (_, msg, e) = load_err("unsupported_op.onnx");
    assert!(matches!(e, OnnxError::UnsupportedOp { .. }), "{e:?}");
    assert!(msg.contains("node `lrn1` (LRN at index 1)"), "{msg}");
    assert!(msg.contains("unsupported operator `LRN`"), "{msg}");
}

#[test]
fn dynamic_spatial_shape() {
    let (_, msg, e) = load_err("dynamic_spatial.onnx");
    assert!(
        matches!(&e, OnnxError::DynamicShape { input, dim: 2, axis: "H", .. } if input == "x"),
        "{e:?}"
    );
    assert!(msg.contains("dynamic spatial shape"), "{msg}");
    assert!(msg.contains("input `x`") && msg.contains("(H)"), "{msg}");
    assert!(msg.contains("symbolic (`H`)"), "{msg}");
}

#[test]
fn missing_initializer() {
    let (_, msg, e) = load_err("missing_initializer.onnx");
    assert!(
        matches!(&e, OnnxError::MissingInitializer { tensor, .. } if tensor == "conv1_w"),
        "{e:?}"
    );
    assert!(msg.contains("node `conv1` (Conv at index 0)"), "{msg}");
    assert!(msg.contains("missing initializer: `conv1_w`"), "{msg}");
    // a dangling weight name
    let b = model_bytes(
        vec![node("Conv", "c", &["x", "nowhere"], &["y"], vec![])],
        vec![],
        &[1, 8, 8],
        13,
    );
    let (msg, e) = parse_err(&b);
    assert!(matches!(e, OnnxError::MissingInitializer { .. }), "{msg}");
    assert!(
        msg.contains("node `c` (Conv at index 0)") && msg.contains("`nowhere`"),
        "{msg}"
    );
}

#[test]
fn mismatched_shapes() {
    let (_, msg, e) = load_err("mismatched_shapes.onnx");
    assert!(matches!(e, OnnxError::Mismatch { .. }), "{e:?}");
    assert!(msg.contains("node `fc` (Gemm at index 1)"), "{msg}");
    assert!(
        msg.contains("[60, 10]") && msg.contains("64 values"),
        "{msg}"
    );
}

#[test]
fn huge_dimensions() {
    let (_, msg, e) = load_err("huge.onnx");
    assert!(
        matches!(&e, OnnxError::Layer { layer, .. } if layer == "conv1"),
        "{e:?}"
    );
    assert!(msg.contains("node `conv1` (Conv at index 0)"), "{msg}");
    assert!(msg.contains("field `nx`"), "{msg}");
    assert!(msg.contains("32-bit addresses"), "{msg}");
}

#[test]
fn a_missing_file_is_an_io_error() {
    let e = onnx_import::load(std::path::Path::new("/nonexistent/m.onnx")).unwrap_err();
    assert!(matches!(e, OnnxError::Io { .. }));
    assert!(e.to_string().starts_with("/nonexistent/m.onnx: "), "{e}");
}

fn conv_w(name: &str, no: i64, ni: i64, k: i64) -> TensorProto {
    finit(name, &[no, ni, k, k], &[])
}

#[test]
fn opsets_outside_11_to_18() {
    let nodes = || vec![node("Relu", "r", &["x"], &["y"], vec![])];
    for v in [10, 19] {
        let (msg, e) = parse_err(&model_bytes(nodes(), vec![], &[1, 4, 4], v));
        assert!(
            matches!(e, OnnxError::Opset { version, .. } if version == v),
            "{msg}"
        );
        assert!(msg.contains(&format!("version {v}")), "{msg}");
    }
    let mut m =
        ModelProto::decode(model_bytes(nodes(), vec![], &[1, 4, 4], 13).as_slice()).unwrap();
    m.opset_import.push(OperatorSetIdProto {
        domain: "ai.onnx.ml".into(),
        version: 3,
    });
    let (msg, _) = parse_err(&m.encode_to_vec());
    assert!(msg.contains("opset `ai.onnx.ml` version 3"), "{msg}");
    // "ai.onnx" is the default domain too
    m.opset_import.pop();
    m.opset_import[0].domain = "ai.onnx".into();
    onnx_import::parse(&m.encode_to_vec(), "t.onnx").unwrap();
}

/// The message of a model whose node `bad` (at `index`, of type `op`) is at fault.
fn node_err(
    nodes: Vec<NodeProto>,
    inits: Vec<TensorProto>,
    x: &[i64],
    who: (&str, &str, usize),
) -> String {
    let (msg, _) = parse_err(&model_bytes(nodes, inits, x, 13));
    let want = format!("node `{}` ({} at index {})", who.0, who.1, who.2);
    assert!(msg.contains(&want), "{msg} (expected {want})");
    msg
}

#[test]
fn conv_attributes_outside_the_hardware() {
    let w = || vec![conv_w("w", 4, 2, 3)];
    let c = |attrs| vec![node("Conv", "c", &["x", "w"], &["y"], attrs)];
    let m = node_err(
        c(vec![ais("pads", &[1, 0, 1, 0])]),
        w(),
        &[2, 8, 8],
        ("c", "Conv", 0),
    );
    assert!(m.contains("pads [1, 0, 1, 0]"), "{m}");
    let m = node_err(
        c(vec![ais("dilations", &[2, 2])]),
        w(),
        &[2, 8, 8],
        ("c", "Conv", 0),
    );
    assert!(m.contains("dilations"), "{m}");
    // SAME_UPPER on an even input with stride 2 pads one side only
    let m = node_err(
        c(vec![
            astr("auto_pad", "SAME_UPPER"),
            ais("strides", &[2, 2]),
        ]),
        w(),
        &[2, 8, 8],
        ("c", "Conv", 0),
    );
    assert!(m.contains("SAME_UPPER") && m.contains("symmetric"), "{m}");
    let m = node_err(c(vec![ai("group", 3)]), w(), &[2, 8, 8], ("c", "Conv", 0));
    assert!(m.contains("mismatched shapes"), "{m}");
    let m = node_err(
        c(vec![ais("kernel_shape", &[5, 5])]),
        w(),
        &[2, 8, 8],
        ("c", "Conv", 0),
    );
    assert!(m.contains("kernel_shape"), "{m}");
    let m = node_err(c(vec![ai("foo", 1)]), w(), &[2, 8, 8], ("c", "Conv", 0));
    assert!(m.contains("attribute `foo`"), "{m}");
    // a DOUBLE weight
    let mut wd = conv_w("w", 4, 2, 3);
    wd.data_type = DataType::Double as i32;
    let (msg, e) = parse_err(&model_bytes(c(vec![]), vec![wd], &[2, 8, 8], 13));
    assert!(matches!(e, OnnxError::DataType { .. }), "{msg}");
    assert!(
        msg.contains("node `c` (Conv at index 0)") && msg.contains("DOUBLE"),
        "{msg}"
    );
    // a kernel larger than the padded input: LayerSpec::validate names the field
    let m = node_err(c(vec![]), w(), &[2, 2, 8], ("c", "Conv", 0));
    assert!(m.contains("invalid layer `c`: field `ky`"), "{m}");
}

#[test]
fn pool_attributes_outside_the_hardware() {
    let p = |op: &str, attrs| vec![node(op, "p", &["x"], &["y"], attrs)];
    let m = node_err(
        p(
            "AveragePool",
            vec![ais("kernel_shape", &[3, 3]), ais("pads", &[1, 1, 1, 1])],
        ),
        vec![],
        &[2, 8, 8],
        ("p", "AveragePool", 0),
    );
    assert!(m.contains("count_include_pad"), "{m}");
    let m = node_err(
        p(
            "MaxPool",
            vec![
                ais("kernel_shape", &[2, 2]),
                ais("strides", &[2, 2]),
                ai("ceil_mode", 1),
            ],
        ),
        vec![],
        &[2, 9, 9],
        ("p", "MaxPool", 0),
    );
    assert!(m.contains("ceil_mode"), "{m}");
    let m = node_err(
        p("MaxPool", vec![]),
        vec![],
        &[2, 8, 8],
        ("p", "MaxPool", 0),
    );
    assert!(m.contains("kernel_shape"), "{m}");
}

#[test]
fn gemm_forms_outside_the_hardware() {
    let g = |attrs| {
        vec![
            node("Flatten", "f", &["x"], &["xf"], vec![]),
            node("Gemm", "g", &["xf", "w"], &["y"], attrs),
        ]
    };
    let w = || vec![finit("w", &[16, 3], &[])];
    for (attrs, what) in [
        (vec![af("alpha", 2.0)], "alpha"),
        (vec![ai("transA", 1)], "transA"),
    ] {
        let m = node_err(g(attrs), w(), &[1, 4, 4], ("g", "Gemm", 1));
        assert!(m.contains(what), "{m}");
    }
    // a 4-D input straight into Gemm
    let m = node_err(
        vec![node("Gemm", "g", &["x", "w"], &["y"], vec![])],
        w(),
        &[1, 4, 4],
        ("g", "Gemm", 0),
    );
    assert!(m.contains("2-D"), "{m}");
}

#[test]
fn concat_into_add_or_as_output() {
    let convs = || {
        vec![
            node("Conv", "a", &["x", "wa"], &["ta"], vec![]),
            node("Conv", "b", &["x", "wb"], &["tb"], vec![]),
            node("Concat", "cat", &["ta", "tb"], &["tc"], vec![ai("axis", 1)]),
        ]
    };
    let w = || {
        vec![
            conv_w("wa", 2, 2, 1),
            conv_w("wb", 2, 2, 1),
            conv_w("wc", 4, 2, 1),
        ]
    };
    let mut n = convs();
    n.push(node("Conv", "c", &["x", "wc"], &["td"], vec![]));
    n.push(node("Add", "add", &["tc", "td"], &["y"], vec![]));
    let m = node_err(n, w(), &[2, 4, 4], ("cat", "Concat", 2));
    assert!(m.contains("Add node `add` (Add at index 4)"), "{m}");
    let mut n = convs();
    n[2].output = vec!["y".into()];
    let m = node_err(n, w(), &[2, 4, 4], ("cat", "Concat", 2));
    assert!(m.contains("graph output"), "{m}");
    let mut n = convs();
    n[2].attribute = vec![ai("axis", 2)];
    n[2].output = vec!["y".into()];
    let m = node_err(n, w(), &[2, 4, 4], ("cat", "Concat", 2));
    assert!(m.contains("axis 2"), "{m}");
}

#[test]
fn adds_reshapes_and_softmaxes_outside_the_subset() {
    // two shapes
    let n = vec![
        node("Conv", "a", &["x", "wa"], &["ta"], vec![]),
        node("Add", "add", &["ta", "x"], &["y"], vec![]),
    ];
    let m = node_err(
        n,
        vec![conv_w("wa", 2, 2, 3)],
        &[2, 4, 4],
        ("add", "Add", 1),
    );
    assert!(
        m.contains("mismatched shapes") && m.contains("[N, 2, 2, 2]"),
        "{m}"
    );
    // a constant onto a pool: no bias to fold into
    let n = vec![
        node(
            "MaxPool",
            "p",
            &["x"],
            &["tp"],
            vec![ais("kernel_shape", &[2, 2])],
        ),
        node("Add", "add", &["tp", "k"], &["y"], vec![]),
    ];
    let m = node_err(
        n,
        vec![finit("k", &[1, 2, 1, 1], &[])],
        &[2, 4, 4],
        ("add", "Add", 1),
    );
    assert!(m.contains("bias"), "{m}");
    // a [no] constant onto a conv output broadcasts along W, not per channel
    let n = vec![
        node("Conv", "a", &["x", "wa"], &["ta"], vec![]),
        node("Add", "add", &["ta", "k"], &["y"], vec![]),
    ];
    let m = node_err(
        n,
        vec![conv_w("wa", 3, 2, 1), finit("k", &[3], &[])],
        &[2, 4, 4],
        ("add", "Add", 1),
    );
    assert!(m.contains("per channel"), "{m}");
    // a Reshape that is no flatten
    let n = vec![
        node("Reshape", "r", &["x", "s"], &["t"], vec![]),
        node("Relu", "relu", &["t"], &["y"], vec![]),
    ];
    let m = node_err(
        n,
        vec![iinit("s", &[-1, 4, 8])],
        &[2, 4, 4],
        ("r", "Reshape", 0),
    );
    assert!(m.contains("[-1, 4, 8]"), "{m}");
    // an INT32 shape
    let mut s = iinit("s", &[-1, 32]);
    s.data_type = DataType::Int32 as i32;
    s.int64_data.clear();
    s.int32_data = vec![-1, 32];
    let n = vec![
        node("Reshape", "r", &["x", "s"], &["t"], vec![]),
        node("Relu", "relu", &["t"], &["y"], vec![]),
    ];
    let m = node_err(n, vec![s], &[2, 4, 4], ("r", "Reshape", 0));
    assert!(m.contains("INT32") && m.contains("INT64"), "{m}");
    // a Softmax that is not the last node
    let n = vec![
        node("Conv", "a", &["x", "wa"], &["ta"], vec![]),
        node("Softmax", "sm", &["ta"], &["ts"], vec![ai("axis", 1)]),
        node("Relu", "relu", &["ts"], &["y"], vec![]),
    ];
    let m = node_err(
        n,
        vec![conv_w("wa", 2, 2, 1)],
        &[2, 1, 1],
        ("sm", "Softmax", 1),
    );
    assert!(m.contains("final node"), "{m}");
    // BatchNormalization after a pool
    let n = vec![
        node(
            "MaxPool",
            "p",
            &["x"],
            &["tp"],
            vec![ais("kernel_shape", &[2, 2])],
        ),
        node(
            "BatchNormalization",
            "bn",
            &["tp", "g", "b", "m", "v"],
            &["y"],
            vec![],
        ),
    ];
    let inits = ["g", "b", "m", "v"]
        .iter()
        .map(|n| finit(n, &[2], &[1.0, 1.0]))
        .collect();
    let m = node_err(n, inits, &[2, 4, 4], ("bn", "BatchNormalization", 1));
    assert!(m.contains("BatchNormalization must directly follow"), "{m}");
}

#[test]
fn unnamed_nodes_are_named_by_their_first_output() {
    let n = vec![
        node("Relu", "", &["x"], &["t"], vec![]),
        node("Erf", "", &["t"], &["y"], vec![]),
    ];
    let m = node_err(n, vec![], &[2, 4, 4], ("y", "Erf", 1));
    assert!(m.contains("unsupported operator `Erf`"), "{m}");
}

#[test]
fn graph_inputs_and_outputs() {
    // rank 3
    let b = model_bytes(
        vec![node("Relu", "r", &["x"], &["y"], vec![])],
        vec![],
        &[4, 4],
        13,
    );
    let (m, e) = parse_err(&b);
    assert!(
        matches!(e, OnnxError::Graph { .. }) && m.contains("rank 3"),
        "{m}"
    );
    // a missing width
    let mut mp = ModelProto::decode(
        model_bytes(
            vec![node("Relu", "r", &["x"], &["y"], vec![])],
            vec![],
            &[1, 4, 4],
            13,
        )
        .as_slice(),
    )
    .unwrap();
    let g = mp.graph.as_mut().unwrap();
    if let Some(TypeValue::TensorType(t)) = g.input[0].r#type.as_mut().unwrap().value.as_mut() {
        t.shape.as_mut().unwrap().dim[3].value = None;
    }
    let (m, e) = parse_err(&mp.encode_to_vec());
    assert!(
        matches!(
            e,
            OnnxError::DynamicShape {
                dim: 3,
                axis: "W",
                ..
            }
        ),
        "{m}"
    );
    assert!(m.contains("is missing"), "{m}");
    // two outputs
    let g = mp.graph.as_mut().unwrap();
    if let Some(TypeValue::TensorType(t)) = g.input[0].r#type.as_mut().unwrap().value.as_mut() {
        t.shape.as_mut().unwrap().dim[3].value = Some(DimValue::DimValue(4));
    }
    g.output.push(vinfo("z", &[]));
    let (m, _) = parse_err(&mp.encode_to_vec());
    assert!(m.contains("2 outputs"), "{m}");
    // a second, unused input
    let g = mp.graph.as_mut().unwrap();
    g.output.pop();
    g.input.push(vinfo("other", &[None, Some(3)]));
    let (m, _) = parse_err(&mp.encode_to_vec());
    assert!(
        m.contains("`other`") && m.contains("one is supported"),
        "{m}"
    );
    // an input of type DOUBLE
    let g = mp.graph.as_mut().unwrap();
    g.input.pop();
    if let Some(TypeValue::TensorType(t)) = g.input[0].r#type.as_mut().unwrap().value.as_mut() {
        t.elem_type = DataType::Double as i32;
    }
    let (m, e) = parse_err(&mp.encode_to_vec());
    assert!(matches!(e, OnnxError::DataType { node: None, .. }), "{m}");
    // the output is the input
    let b = model_bytes(
        vec![node("Identity", "i", &["x"], &["y"], vec![])],
        vec![],
        &[1, 4, 4],
        13,
    );
    let (m, _) = parse_err(&b);
    assert!(m.contains("no layers"), "{m}");
    // a cycle
    let b = model_bytes(
        vec![
            node("Add", "a", &["x", "t2"], &["t1"], vec![]),
            node("Relu", "b", &["t1"], &["t2"], vec![]),
            node("Relu", "c", &["t2"], &["y"], vec![]),
        ],
        vec![],
        &[1, 4, 4],
        13,
    );
    let (m, _) = parse_err(&b);
    assert!(m.contains("cycle"), "{m}");
}
