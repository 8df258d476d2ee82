//! Firmware model to ONNX: one node per layer (plus a separate activation
//! node, Flatten before a classifier that reads a 4-D tensor, Concat for
//! several producers), the weights as initializers, opset 13.

use crate::error::OnnxError;
use crate::proto::{
    DimValue, Dimension, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TensorTypeProto, TypeProto, TypeValue, ValueInfoProto,
};
use crate::tensor::{attr_int, attr_ints, float_tensor};
use arch::activation::Activation;
use firmware::model::INPUT;
use firmware::{LayerSpec, Model, Params, PoolKind};
use prost::Message;
use std::collections::{HashMap, HashSet};

/// The opset written.
pub const OPSET: i64 = 13;
/// The IR version that goes with [`OPSET`].
const IR_VERSION: i64 = 7;

/// A written tensor: its name, rank (4 or 2) and per-image shape.
#[derive(Clone)]
struct T {
    name: String,
    rank: u8,
    shape: (u32, u32, u32),
}

impl T {
    fn len(&self) -> u64 {
        self.shape.0 as u64 * self.shape.1 as u64 * self.shape.2 as u64
    }
}

struct Writer<'m> {
    model: &'m Model,
    nodes: Vec<NodeProto>,
    inits: Vec<TensorProto>,
    tensor_names: HashSet<String>,
    node_names: HashSet<String>,
    /// Layer name (or [`INPUT`]) -> its output tensor.
    outputs: HashMap<String, T>,
    /// 4-D tensor name -> its Flatten.
    flat: HashMap<String, T>,
}

fn fresh(set: &mut HashSet<String>, base: &str) -> String {
    let mut name = base.to_string();
    let mut k = 2;
    while set.contains(&name) {
        name = format!("{base}_{k}");
        k += 1;
    }
    set.insert(name.clone());
    name
}

fn act_op(a: Activation) -> Option<&'static str> {
    match a {
        Activation::Relu => Some("Relu"),
        Activation::Sigmoid => Some("Sigmoid"),
        Activation::Tanh => Some("Tanh"),
        _ => None,
    }
}

fn value_info(name: &str, t: &T) -> ValueInfoProto {
    let (c, h, w) = t.shape;
    let mut dims = vec![Dimension {
        value: Some(DimValue::DimParam("N".into())),
        ..Default::default()
    }];
    let sizes: Vec<i64> = if t.rank == 4 {
        vec![c as i64, h as i64, w as i64]
    } else {
        vec![t.len() as i64]
    };
    dims.extend(sizes.into_iter().map(|v| Dimension {
        value: Some(DimValue::DimValue(v)),
        ..Default::default()
    }));
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(TypeValue::TensorType(TensorTypeProto {
                elem_type: crate::proto::DataType::Float as i32,
                shape: Some(TensorShapeProto { dim: dims }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

impl<'m> Writer<'m> {
    fn err(&self, reason: impl Into<String>) -> OnnxError {
        OnnxError::Export {
            model: self.model.name.clone(),
            reason: reason.into(),
        }
    }

    fn node(&mut self, op: &str, name: &str, inputs: Vec<String>, output: &str) -> &mut NodeProto {
        let name = fresh(&mut self.node_names, name);
        self.nodes.push(NodeProto {
            input: inputs,
            output: vec![output.to_string()],
            name,
            op_type: op.into(),
            ..Default::default()
        });
        self.nodes.last_mut().expect("just pushed")
    }

    fn tensor(&mut self, base: &str) -> String {
        fresh(&mut self.tensor_names, base)
    }

    fn flatten(&mut self, t: &T, layer: &str) -> T {
        if t.rank == 2 {
            return t.clone();
        }
        if let Some(f) = self.flat.get(&t.name) {
            return f.clone();
        }
        let out = self.tensor(&format!("{}/flatten", t.name));
        self.node(
            "Flatten",
            &format!("{layer}/flatten"),
            vec![t.name.clone()],
            &out,
        )
        .attribute
        .push(attr_int("axis", 1));
        let f = T {
            name: out,
            rank: 2,
            shape: t.shape,
        };
        self.flat.insert(t.name.clone(), f.clone());
        f
    }

    /// Concatenate along axis 1 (every part of one rank).
    fn concat(&mut self, parts: Vec<T>, layer: &str) -> T {
        if parts.len() == 1 {
            return parts.into_iter().next().expect("one part");
        }
        let out = self.tensor(&format!("{layer}/concat"));
        let c: u32 = parts.iter().map(|p| p.shape.0).sum();
        let (_, h, w) = parts[0].shape;
        let rank = parts[0].rank;
        let names = parts.into_iter().map(|p| p.name).collect();
        self.node("Concat", &format!("{layer}/concat"), names, &out)
            .attribute
            .push(attr_int("axis", 1));
        T {
            name: out,
            rank,
            shape: (c, h, w),
        }
    }

    fn sources(&self, layer: &str, inputs: &[String]) -> Result<Vec<T>, OnnxError> {
        if inputs.is_empty() {
            return Err(self.err(format!(
                "layer `{layer}` has no producer (a detached layer)"
            )));
        }
        inputs
            .iter()
            .map(|s| {
                self.outputs.get(s).cloned().ok_or_else(|| {
                    self.err(format!(
                        "layer `{layer}` reads `{s}`, which is no earlier layer"
                    ))
                })
            })
            .collect()
    }

    /// The sources as one 4-D tensor.
    fn four_d(&mut self, layer: &str, parts: Vec<T>) -> Result<T, OnnxError> {
        if let Some(p) = parts.iter().find(|p| p.rank != 4) {
            return Err(self.err(format!(
                "layer `{layer}` reads the 2-D output of `{}` where ONNX needs a 4-D tensor",
                p.name
            )));
        }
        Ok(self.concat(parts, layer))
    }

    /// The sources as one 2-D tensor.
    fn two_d(&mut self, layer: &str, parts: Vec<T>) -> T {
        if parts.iter().all(|p| p.rank == 4) {
            let t = self.concat(parts, layer);
            return self.flatten(&t, layer);
        }
        let parts = parts.into_iter().map(|p| self.flatten(&p, layer)).collect();
        self.concat(parts, layer)
    }

    fn init(&mut self, base: &str, dims: &[i64], values: &[f32]) -> String {
        let name = self.tensor(base);
        self.inits.push(float_tensor(&name, dims, values));
        name
    }

    fn layer(&mut self, i: usize, softmax: bool, params: &Params) -> Result<(), OnnxError> {
        let l = &self.model.layers[i];
        let last = i + 1 == self.model.layers.len();
        let name = l.name.clone();
        let parts = self.sources(&name, &l.inputs)?;
        let out = if last && !softmax {
            "output".to_string()
        } else {
            self.tensor(&name)
        };
        let act = l.spec.act();
        if act != Activation::Identity && act_op(act).is_none() {
            return Err(self.err(format!(
                "layer `{name}`: activation {} has no ONNX operator",
                act.mnemonic()
            )));
        }
        // the main node writes `pre`, an activation node `out`
        let separate_act = act != Activation::Identity
            && !matches!(l.spec, LayerSpec::Eltwise(e) if e.inputs == 1);
        let pre = if separate_act {
            self.tensor(&format!("{name}/pre"))
        } else {
            out.clone()
        };
        let weights = |w: &Self| -> Result<(Vec<f32>, Vec<f32>), OnnxError> {
            let p = params
                .get(&name)
                .ok_or_else(|| w.err(format!("layer `{name}` has no parameters")))?;
            let (wl, bl) = (l.spec.weight_len(), l.spec.bias_len());
            if p.weights.len() as u64 != wl || p.bias.len() as u64 != bl {
                return Err(w.err(format!(
                    "layer `{name}` has {} weights and {} biases, its shape needs {wl} and {bl}",
                    p.weights.len(),
                    p.bias.len()
                )));
            }
            Ok((p.weights.clone(), p.bias.clone()))
        };
        let spec = l.spec;
        let rank = match spec {
            LayerSpec::Conv(c) => {
                let x = self.four_d(&name, parts)?;
                let (w, b) = weights(self)?;
                let wd = [
                    c.no as i64,
                    (c.ni / c.groups) as i64,
                    c.ky as i64,
                    c.kx as i64,
                ];
                let mut ins = vec![x.name, self.init(&format!("{name}.weight"), &wd, &w)];
                if c.bias {
                    ins.push(self.init(&format!("{name}.bias"), &[c.no as i64], &b));
                }
                let p = c.pad as i64;
                let n = self.node("Conv", &name, ins, &pre);
                n.attribute.extend([
                    attr_ints("kernel_shape", &[c.ky as i64, c.kx as i64]),
                    attr_ints("strides", &[c.sy as i64, c.sx as i64]),
                    attr_ints("pads", &[p, p, p, p]),
                    attr_int("group", c.groups as i64),
                ]);
                4
            }
            LayerSpec::Pool(p) => {
                let x = self.four_d(&name, parts)?;
                let global = p.kind == PoolKind::Avg
                    && (p.kx, p.ky, p.sx, p.sy, p.pad) == (p.nx, p.ny, 1, 1, 0);
                if global {
                    self.node("GlobalAveragePool", &name, vec![x.name], &pre);
                } else {
                    let op = match p.kind {
                        PoolKind::Max => "MaxPool",
                        PoolKind::Avg => "AveragePool",
                    };
                    let pad = p.pad as i64;
                    let n = self.node(op, &name, vec![x.name], &pre);
                    n.attribute.extend([
                        attr_ints("kernel_shape", &[p.ky as i64, p.kx as i64]),
                        attr_ints("strides", &[p.sy as i64, p.sx as i64]),
                        attr_ints("pads", &[pad, pad, pad, pad]),
                    ]);
                    if p.kind == PoolKind::Avg && pad > 0 {
                        n.attribute.push(attr_int("count_include_pad", 1));
                    }
                }
                4
            }
            LayerSpec::Classifier(c) => {
                let x = self.two_d(&name, parts);
                if x.len() != c.ni as u64 {
                    return Err(self.err(format!(
                        "layer `{name}` has ni = {} but its input has {} values",
                        c.ni,
                        x.len()
                    )));
                }
                let (w, b) = weights(self)?;
                let mut ins = vec![
                    x.name,
                    self.init(&format!("{name}.weight"), &[c.no as i64, c.ni as i64], &w),
                ];
                if c.bias {
                    ins.push(self.init(&format!("{name}.bias"), &[c.no as i64], &b));
                }
                self.node("Gemm", &name, ins, &pre)
                    .attribute
                    .push(attr_int("transB", 1));
                2
            }
            LayerSpec::Eltwise(e) if e.inputs == 2 => {
                if parts.len() != 2 {
                    return Err(self.err(format!(
                        "add layer `{name}` has {} producers, two expected",
                        parts.len()
                    )));
                }
                let (x, y) = if parts[0].rank == parts[1].rank {
                    (parts[0].clone(), parts[1].clone())
                } else {
                    (
                        self.flatten(&parts[0], &name),
                        self.flatten(&parts[1], &name),
                    )
                };
                let rank = x.rank;
                self.node("Add", &name, vec![x.name, y.name], &pre);
                rank
            }
            LayerSpec::Eltwise(_) => {
                let op = act_op(act).ok_or_else(|| {
                    self.err(format!(
                        "activation layer `{name}` is the identity (ONNX import would remove it)"
                    ))
                })?;
                let x = if parts.iter().all(|p| p.rank == 4) {
                    self.four_d(&name, parts)?
                } else {
                    self.two_d(&name, parts)
                };
                let rank = x.rank;
                self.node(op, &name, vec![x.name], &out);
                rank
            }
        };
        if separate_act {
            let op = act_op(act).expect("checked above");
            self.node(op, &format!("{name}/{}", act.mnemonic()), vec![pre], &out);
        }
        let t = T {
            name: out,
            rank,
            shape: spec.output_shape(),
        };
        self.outputs.insert(name, t);
        Ok(())
    }
}

/// Serialize a model with its parameters (see [`crate::write`]).
pub(crate) fn write(model: &Model, params: &Params, softmax: bool) -> Result<Vec<u8>, OnnxError> {
    let mut w = Writer {
        model,
        nodes: Vec::new(),
        inits: Vec::new(),
        tensor_names: HashSet::from(["input".to_string(), "output".to_string()]),
        node_names: model.layers.iter().map(|l| l.name.clone()).collect(),
        outputs: HashMap::new(),
        flat: HashMap::new(),
    };
    if model.layers.is_empty() {
        return Err(w.err("the model has no layers"));
    }
    let input = T {
        name: "input".into(),
        rank: 4,
        shape: model.input,
    };
    w.outputs.insert(INPUT.to_string(), input.clone());
    for i in 0..model.layers.len() {
        // a layer's own node takes its name; free it for that node only
        let name = &model.layers[i].name;
        w.node_names.remove(name);
        w.layer(i, softmax, params)?;
    }
    let last_name = &model.layers[model.layers.len() - 1].name;
    let mut last = w.outputs[last_name].clone();
    if softmax {
        let x = w.flatten(&last, last_name);
        w.node(
            "Softmax",
            &format!("{last_name}/softmax"),
            vec![x.name],
            "output",
        )
        .attribute
        .push(attr_int("axis", 1));
        last = T {
            name: "output".into(),
            rank: 2,
            shape: x.shape,
        };
    }
    let graph = GraphProto {
        node: w.nodes,
        name: model.name.clone(),
        initializer: w.inits,
        input: vec![value_info("input", &input)],
        output: vec![value_info("output", &last)],
        ..Default::default()
    };
    let m = ModelProto {
        ir_version: IR_VERSION,
        producer_name: "diannao onnx-import".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        graph: Some(graph),
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: OPSET,
        }],
        ..Default::default()
    };
    Ok(m.encode_to_vec())
}
