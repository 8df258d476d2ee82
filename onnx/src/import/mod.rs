//! ONNX graph to firmware model: checks the opsets and the graph input
//! ([`input`]), orders the nodes ([`crate::graph`]), and turns each node
//! into a layer, a change of the layer before it (fused activation, folded
//! bias or batch norm), a view (flatten, concatenation, identity) or the
//! final softmax:
//!
//! * [`operands`]: operand lookup, errors, layer bookkeeping;
//! * [`window`]: Conv and the pools;
//! * [`dense`]: Gemm and MatMul, constant Adds and BatchNormalization
//!   folded into the layer before;
//! * [`eltwise`]: Add of two tensors, activations;
//! * [`view`]: Concat, Flatten, Reshape, Dropout, Identity, Softmax, Constant.

mod dense;
mod eltwise;
mod input;
mod operands;
mod view;
mod window;

use crate::error::{NodeRef, OnnxError};
use crate::graph;
use crate::proto::{ModelProto, NodeProto, TensorProto};
use crate::tensor::Attrs;
use crate::Imported;
use firmware::model::{ModelLayer, INPUT};
use firmware::{Model, Params};
use prost::Message;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// Opsets of the default domain that are read.
const OPSETS: std::ops::RangeInclusive<i64> = 11..=18;

/// A run-time tensor: the concatenation of the outputs of `srcs` (layer
/// names or [`INPUT`]) along the maps.
#[derive(Clone, Debug)]
struct Act {
    srcs: Vec<String>,
    /// `(maps, height, width)` of one image (maps summed over `srcs`).
    shape: (u32, u32, u32),
    /// Whether the tensor is 2-D `[N, c*h*w]` (flattened, or a classifier output).
    flat: bool,
    /// The last Concat node that made this tensor, if any.
    concat: Option<NodeRef>,
}

/// What a tensor name stands for.
#[derive(Clone, Debug)]
enum Val<'a> {
    Act(Act),
    Const(Cow<'a, TensorProto>),
    /// A second graph input without initializer.
    Extra,
}

/// The translation state.
struct Importer<'a> {
    file: &'a str,
    opset: i64,
    batch: Option<u32>,
    vals: HashMap<String, Val<'a>>,
    consumers: HashMap<String, usize>,
    output: String,
    layers: Vec<ModelLayer>,
    params: Params,
    /// Consumers of each layer's output, through flattens, concatenations
    /// and identities (1 = the node being translated is the only one).
    uses: HashMap<String, usize>,
    names: HashSet<String>,
    softmax: bool,
}

fn u32_of(v: i64) -> Option<u32> {
    u32::try_from(v).ok()
}

/// The attributes an operator may have, `None` for an unsupported operator.
fn known_attrs(op: &str) -> Option<&'static [&'static str]> {
    Some(match op {
        "Conv" => &[
            "auto_pad",
            "dilations",
            "group",
            "kernel_shape",
            "pads",
            "strides",
        ],
        "MaxPool" => &[
            "auto_pad",
            "ceil_mode",
            "dilations",
            "kernel_shape",
            "pads",
            "storage_order",
            "strides",
        ],
        "AveragePool" => &[
            "auto_pad",
            "ceil_mode",
            "count_include_pad",
            "dilations",
            "kernel_shape",
            "pads",
            "strides",
        ],
        "Gemm" => &["alpha", "beta", "transA", "transB"],
        "BatchNormalization" => &["epsilon", "momentum", "training_mode"],
        "Concat" | "Flatten" | "Softmax" => &["axis"],
        "Reshape" => &["allowzero"],
        "Dropout" => &["seed", "ratio"],
        "Constant" => &[
            "value",
            "value_float",
            "value_floats",
            "value_int",
            "value_ints",
        ],
        "GlobalAveragePool" | "GlobalMaxPool" | "MatMul" | "Add" | "Relu" | "Sigmoid" | "Tanh"
        | "Identity" => &[],
        _ => return None,
    })
}

/// Decode, check and translate a model.
pub(crate) fn import(bytes: &[u8], file: &str) -> Result<Imported, OnnxError> {
    let corrupt = |reason: String| OnnxError::Corrupt {
        file: file.into(),
        reason,
    };
    let m = ModelProto::decode(bytes).map_err(|e| corrupt(e.to_string()))?;
    let g = m
        .graph
        .as_ref()
        .ok_or_else(|| corrupt("the file has no graph".into()))?;
    let gerr = |reason: String| OnnxError::Graph {
        file: file.into(),
        reason,
    };
    let mut opset = None;
    for o in &m.opset_import {
        if (o.domain.is_empty() || o.domain == "ai.onnx") && OPSETS.contains(&o.version) {
            opset = Some(o.version);
        } else {
            return Err(OnnxError::Opset {
                file: file.into(),
                domain: o.domain.clone(),
                version: o.version,
            });
        }
    }
    let opset =
        opset.ok_or_else(|| gerr("the model imports no opset of the default domain".into()))?;

    let inits: HashMap<&str, &TensorProto> =
        g.initializer.iter().map(|t| (t.name.as_str(), t)).collect();
    let inputs: Vec<_> = g
        .input
        .iter()
        .filter(|i| !inits.contains_key(i.name.as_str()))
        .collect();
    let input = *inputs
        .first()
        .ok_or_else(|| gerr("the graph has no input that is not an initializer".into()))?;
    if g.output.len() != 1 {
        return Err(gerr(format!(
            "the graph has {} outputs; one is supported",
            g.output.len()
        )));
    }
    let output = g.output[0].name.clone();
    let input::InputShape { shape, flat, batch } = input::input_shape(file, input)?;
    let order = graph::order(g, &output).map_err(gerr)?;
    let ignored: Vec<String> = (0..g.node.len())
        .filter(|i| !order.nodes.contains(i))
        .map(|i| {
            let n = &g.node[i];
            let name = if n.name.is_empty() {
                n.output.first().cloned().unwrap_or_default()
            } else {
                n.name.clone()
            };
            format!("{name} ({} at index {i})", n.op_type)
        })
        .collect();
    let unused: Vec<&str> = inputs[1..]
        .iter()
        .map(|i| i.name.as_str())
        .filter(|n| !order.consumers.contains_key(*n))
        .collect();
    if !unused.is_empty() {
        return Err(gerr(format!(
            "the graph has {} inputs that are not initializers (`{}` and unused `{}`); one is supported",
            inputs.len(),
            input.name,
            unused.join("`, `")
        )));
    }

    let mut vals: HashMap<String, Val> = HashMap::new();
    for (name, t) in &inits {
        vals.insert(name.to_string(), Val::Const(Cow::Borrowed(*t)));
    }
    for extra in &inputs[1..] {
        vals.insert(extra.name.clone(), Val::Extra);
    }
    vals.insert(
        input.name.clone(),
        Val::Act(Act {
            srcs: vec![INPUT.to_string()],
            shape,
            flat,
            concat: None,
        }),
    );
    let mut im = Importer {
        file,
        opset,
        batch,
        vals,
        consumers: order.consumers,
        output: output.clone(),
        layers: Vec::new(),
        params: Params::new(),
        uses: HashMap::new(),
        names: HashSet::from([INPUT.to_string()]),
        softmax: false,
    };
    for &i in &order.nodes {
        im.node(i, &g.node[i])?;
    }
    let last = match im.vals.get(&output) {
        Some(Val::Act(a)) => a.clone(),
        Some(_) => {
            return Err(gerr(format!(
                "the graph output `{output}` is not computed from the input"
            )))
        }
        None => {
            return Err(gerr(format!(
                "no node computes the graph output `{output}`"
            )))
        }
    };
    if let Some(c) = &last.concat {
        return Err(OnnxError::Unsupported {
            file: file.into(),
            node: c.clone(),
            reason: format!(
                "a Concat cannot be the graph output `{output}` (the model ends in one layer)"
            ),
        });
    }
    let src = &last.srcs[0];
    if src == INPUT {
        return Err(gerr(format!(
            "the graph output `{output}` is the input: the model has no layers"
        )));
    }
    if im.layers.last().map(|l| &l.name) != Some(src) {
        return Err(gerr(format!(
            "the graph output `{output}` is not the last layer's output"
        )));
    }
    let name = if g.name.is_empty() {
        std::path::Path::new(file)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "onnx".into())
    } else {
        g.name.clone()
    };
    Ok(Imported {
        model: Model {
            name,
            input: shape,
            layers: im.layers,
        },
        params: im.params,
        softmax: im.softmax,
        input_name: input.name.clone(),
        output_name: output,
        batch,
        ignored,
    })
}

impl<'a> Importer<'a> {
    /// Translate node `i`.
    fn node(&mut self, i: usize, n: &'a NodeProto) -> Result<(), OnnxError> {
        let r = self.nref(i, n);
        if !(n.domain.is_empty() || n.domain == "ai.onnx") {
            return Err(self.unsup(&r, format!("operator domain `{}`", n.domain)));
        }
        let Some(known) = known_attrs(&n.op_type) else {
            return Err(OnnxError::UnsupportedOp {
                file: self.file.into(),
                node: r,
            });
        };
        Attrs(n).only(known).map_err(|m| self.unsup(&r, m))?;
        let out = self.out0(&r, n)?;
        self.extra_outputs_unused(&r, n)?;
        match n.op_type.as_str() {
            "Conv" => self.conv(&r, n, out),
            "MaxPool" | "AveragePool" => self.pool(&r, n, out),
            "GlobalAveragePool" | "GlobalMaxPool" => self.global_pool(&r, n, out),
            "Gemm" => self.gemm(&r, n, out),
            "MatMul" => self.dense(&r, n, out, false, false),
            "Add" => self.add(&r, n, out),
            "Relu" | "Sigmoid" | "Tanh" => self.activation(&r, n, out),
            "BatchNormalization" => self.batch_norm(&r, n, out),
            "Concat" => self.concat(&r, n, out),
            "Flatten" => self.flatten(&r, n, out),
            "Reshape" => self.reshape(&r, n, out),
            "Dropout" => self.dropout(&r, n, out),
            "Identity" => self.identity(&r, n, out),
            "Softmax" => self.softmax(&r, n, out),
            "Constant" => {
                let t = self.constant(&r, n, out)?;
                self.vals.insert(out.to_string(), Val::Const(t));
                Ok(())
            }
            _ => unreachable!("known_attrs lists the operators"),
        }
    }
}
