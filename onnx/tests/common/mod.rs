//! Shared test helpers: the data directory, a `.npy` reader, an f32
//! forward pass of an imported model, and builders of small ONNX graphs.

#![allow(dead_code)]

use arch::activation::Activation;
use firmware::{LayerSpec, Model, Params, PoolKind};
use onnx_import::proto::*;
use prost::Message;
use std::collections::HashMap;
use std::path::PathBuf;

/// A committed test file (the test fails when it is missing).
pub fn data(name: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
        .join(name);
    assert!(
        p.is_file(),
        "{} is missing: run python3 onnx/tests/data/make_models.py",
        p.display()
    );
    p
}

/// A little-endian float32 C-order `.npy` file: shape and values.
pub fn read_npy(name: &str) -> (Vec<usize>, Vec<f32>) {
    let b = std::fs::read(data(name)).unwrap();
    assert_eq!(&b[..6], b"\x93NUMPY", "{name}: not a .npy file");
    let (hlen, start) = if b[6] == 1 {
        (u16::from_le_bytes([b[8], b[9]]) as usize, 10)
    } else {
        (u32::from_le_bytes([b[8], b[9], b[10], b[11]]) as usize, 12)
    };
    let header = std::str::from_utf8(&b[start..start + hlen]).unwrap();
    assert!(header.contains("'<f4'"), "{name}: {header}");
    assert!(
        header.contains("'fortran_order': False"),
        "{name}: {header}"
    );
    let s = &header[header.find("'shape': (").unwrap() + 10..];
    let shape: Vec<usize> = s[..s.find(')').unwrap()]
        .split(',')
        .filter(|t| !t.trim().is_empty())
        .map(|t| t.trim().parse().unwrap())
        .collect();
    let v: Vec<f32> = b[start + hlen..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    assert_eq!(v.len(), shape.iter().product::<usize>(), "{name}");
    (shape, v)
}

fn act(a: Activation, x: f32) -> f32 {
    a.eval_f64(x as f64) as f32
}

/// The f32 output of one image through the model (softmax when `softmax`).
pub fn forward(m: &Model, p: &Params, x: &[f32], softmax: bool) -> Vec<f32> {
    let mut outs: HashMap<String, Vec<f32>> = HashMap::new();
    outs.insert(firmware::model::INPUT.into(), x.to_vec());
    let mut last = Vec::new();
    for l in &m.layers {
        let ins: Vec<&Vec<f32>> = l.inputs.iter().map(|s| &outs[s]).collect();
        let cat: Vec<f32> = ins.iter().flat_map(|v| v.iter().copied()).collect();
        let (_, oy, ox) = l.spec.output_shape();
        let (oy, ox) = (oy as usize, ox as usize);
        let y: Vec<f32> = match l.spec {
            LayerSpec::Conv(c) => {
                let lp = &p[&l.name];
                let (nx, ny) = (c.nx as i64, c.ny as i64);
                let nig = (c.ni / c.groups) as usize;
                let nog = (c.no / c.groups) as usize;
                let (kx, ky) = (c.kx as usize, c.ky as usize);
                let mut y = vec![0f32; c.no as usize * oy * ox];
                for o in 0..c.no as usize {
                    let g = o / nog;
                    for yy in 0..oy {
                        for xx in 0..ox {
                            let mut s = if c.bias { lp.bias[o] } else { 0.0 };
                            for ci in 0..nig {
                                let i = g * nig + ci;
                                for dy in 0..ky {
                                    for dx in 0..kx {
                                        let iy = (yy * c.sy as usize + dy) as i64 - c.pad as i64;
                                        let ix = (xx * c.sx as usize + dx) as i64 - c.pad as i64;
                                        if iy < 0 || ix < 0 || iy >= ny || ix >= nx {
                                            continue;
                                        }
                                        let w = lp.weights[((o * nig + ci) * ky + dy) * kx + dx];
                                        s += w * cat[(i * ny as usize + iy as usize) * nx as usize
                                            + ix as usize];
                                    }
                                }
                            }
                            y[(o * oy + yy) * ox + xx] = act(c.act, s);
                        }
                    }
                }
                y
            }
            LayerSpec::Pool(q) => {
                let (nx, ny) = (q.nx as i64, q.ny as i64);
                let mut y = vec![0f32; q.ni as usize * oy * ox];
                for c in 0..q.ni as usize {
                    for yy in 0..oy {
                        for xx in 0..ox {
                            let mut mx = f32::NEG_INFINITY;
                            let mut sum = 0f32;
                            for dy in 0..q.ky as usize {
                                for dx in 0..q.kx as usize {
                                    let iy = (yy * q.sy as usize + dy) as i64 - q.pad as i64;
                                    let ix = (xx * q.sx as usize + dx) as i64 - q.pad as i64;
                                    if iy < 0 || ix < 0 || iy >= ny || ix >= nx {
                                        continue;
                                    }
                                    let v = cat[(c * ny as usize + iy as usize) * nx as usize
                                        + ix as usize];
                                    mx = mx.max(v);
                                    sum += v;
                                }
                            }
                            y[(c * oy + yy) * ox + xx] = match q.kind {
                                PoolKind::Max => mx,
                                PoolKind::Avg => sum / (q.kx * q.ky) as f32,
                            };
                        }
                    }
                }
                y
            }
            LayerSpec::Classifier(c) => {
                let lp = &p[&l.name];
                assert_eq!(cat.len(), c.ni as usize, "{}", l.name);
                (0..c.no as usize)
                    .map(|o| {
                        let row = &lp.weights[o * c.ni as usize..(o + 1) * c.ni as usize];
                        let s: f32 = row.iter().zip(&cat).map(|(w, x)| w * x).sum();
                        act(c.act, s + if c.bias { lp.bias[o] } else { 0.0 })
                    })
                    .collect()
            }
            LayerSpec::Eltwise(e) if e.inputs == 2 => ins[0]
                .iter()
                .zip(ins[1].iter())
                .map(|(a, b)| act(e.act, a + b))
                .collect(),
            LayerSpec::Eltwise(e) => cat.iter().map(|&v| act(e.act, v)).collect(),
        };
        assert_eq!(y.len() as u64, l.spec.output_len(), "{}", l.name);
        last = y.clone();
        outs.insert(l.name.clone(), y);
    }
    if softmax {
        let mx = last.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let e: Vec<f32> = last.iter().map(|v| (v - mx).exp()).collect();
        let s: f32 = e.iter().sum();
        last = e.iter().map(|v| v / s).collect();
    }
    last
}

/// An attribute: INT.
pub fn ai(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        i: v,
        r#type: AttributeType::Int as i32,
        ..Default::default()
    }
}

/// An attribute: INTS.
pub fn ais(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        ints: v.to_vec(),
        r#type: AttributeType::Ints as i32,
        ..Default::default()
    }
}

/// An attribute: FLOAT.
pub fn af(name: &str, v: f32) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        f: v,
        r#type: AttributeType::Float as i32,
        ..Default::default()
    }
}

/// An attribute: STRING.
pub fn astr(name: &str, v: &str) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        s: v.as_bytes().to_vec(),
        r#type: AttributeType::String as i32,
        ..Default::default()
    }
}

/// A node.
pub fn node(
    op: &str,
    name: &str,
    ins: &[&str],
    outs: &[&str],
    attrs: Vec<AttributeProto>,
) -> NodeProto {
    NodeProto {
        input: ins.iter().map(|s| s.to_string()).collect(),
        output: outs.iter().map(|s| s.to_string()).collect(),
        name: name.into(),
        op_type: op.into(),
        attribute: attrs,
        ..Default::default()
    }
}

/// A FLOAT initializer (values 0.01 * (i % 7) when `values` is empty).
pub fn finit(name: &str, dims: &[i64], values: &[f32]) -> TensorProto {
    let n: i64 = dims.iter().product();
    let v: Vec<f32> = if values.is_empty() {
        (0..n).map(|i| 0.01 * (i % 7) as f32).collect()
    } else {
        values.to_vec()
    };
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: DataType::Float as i32,
        float_data: v,
        ..Default::default()
    }
}

/// An INT64 initializer.
pub fn iinit(name: &str, values: &[i64]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: vec![values.len() as i64],
        data_type: DataType::Int64 as i32,
        int64_data: values.to_vec(),
        ..Default::default()
    }
}

/// A FLOAT value of these dims (`None` = symbolic `N`).
pub fn vinfo(name: &str, dims: &[Option<i64>]) -> ValueInfoProto {
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(TypeValue::TensorType(TensorTypeProto {
                elem_type: DataType::Float as i32,
                shape: Some(TensorShapeProto {
                    dim: dims
                        .iter()
                        .map(|d| Dimension {
                            value: Some(match d {
                                Some(v) => DimValue::DimValue(*v),
                                None => DimValue::DimParam("N".into()),
                            }),
                            ..Default::default()
                        })
                        .collect(),
                }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A model of one input `x` (dims after the symbolic batch) and output `y`.
pub fn model_bytes(
    nodes: Vec<NodeProto>,
    inits: Vec<TensorProto>,
    x_dims: &[i64],
    opset: i64,
) -> Vec<u8> {
    let mut d = vec![None];
    d.extend(x_dims.iter().map(|&v| Some(v)));
    ModelProto {
        ir_version: 7,
        graph: Some(GraphProto {
            node: nodes,
            name: "g".into(),
            initializer: inits,
            input: vec![vinfo("x", &d)],
            output: vec![vinfo("y", &[])],
            ..Default::default()
        }),
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: opset,
        }],
        ..Default::default()
    }
    .encode_to_vec()
}
