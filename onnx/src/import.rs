//! ONNX graph to firmware model: checks the opsets and the graph input,
//! orders the nodes, and turns each node into a layer, a change of the
//! layer before it (fused activation, folded bias or batch norm), a view
//! (flatten, concatenation, identity) or the final softmax.

use crate::error::{NodeRef, OnnxError};
use crate::graph;
use crate::proto::{DimValue, ModelProto, NodeProto, TensorProto, TypeValue};
use crate::tensor::{self, Attrs, TensorIssue};
use crate::Imported;
use arch::activation::Activation;
use firmware::model::{ModelLayer, INPUT};
use firmware::{
    ClassSpec, ConvSpec, EltwiseSpec, LayerParams, LayerSpec, Model, Params, PoolKind, PoolSpec,
};
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

#[derive(Clone, Debug)]
enum Val<'a> {
    Act(Act),
    Const(Cow<'a, TensorProto>),
    /// A second graph input without initializer.
    Extra,
}

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
    let (shape, flat, batch) = input_shape(file, input)?;
    let order = graph::order(g, &output).map_err(gerr)?;
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
    })
}

/// `(shape, flat, batch)` of the graph input.
fn input_shape(
    file: &str,
    input: &crate::proto::ValueInfoProto,
) -> Result<((u32, u32, u32), bool, Option<u32>), OnnxError> {
    let gerr = |reason: String| OnnxError::Graph {
        file: file.into(),
        reason,
    };
    let tt = match input.r#type.as_ref().and_then(|t| t.value.as_ref()) {
        Some(TypeValue::TensorType(t)) => t,
        None => return Err(gerr(format!("input `{}` is not a tensor", input.name))),
    };
    if tt.elem_type != crate::proto::DataType::Float as i32 {
        return Err(OnnxError::DataType {
            file: file.into(),
            node: None,
            tensor: input.name.clone(),
            dtype: tt.elem_type,
            expected: "FLOAT",
        });
    }
    let dims = tt
        .shape
        .as_ref()
        .map(|s| s.dim.as_slice())
        .ok_or_else(|| gerr(format!("input `{}` has no shape", input.name)))?;
    let axes: &[&'static str] = match dims.len() {
        4 => &["N", "C", "H", "W"],
        2 => &["N", "F"],
        r => {
            return Err(gerr(format!(
                "input `{}` has rank {r}; [N, C, H, W] or [N, F] is supported",
                input.name
            )))
        }
    };
    let batch = match &dims[0].value {
        Some(DimValue::DimValue(v)) if *v > 0 => Some(u32_of(*v).ok_or_else(|| {
            gerr(format!(
                "input `{}`: batch {v} does not fit 32 bits",
                input.name
            ))
        })?),
        _ => None,
    };
    let mut sizes = Vec::new();
    for (d, axis) in dims.iter().zip(axes).skip(1) {
        let what = match &d.value {
            Some(DimValue::DimValue(v)) if *v > 0 => {
                sizes.push(u32_of(*v).ok_or_else(|| {
                    gerr(format!(
                        "input `{}`: dimension {axis} = {v} does not fit 32 bits",
                        input.name
                    ))
                })?);
                continue;
            }
            Some(DimValue::DimValue(v)) => format!("{v}"),
            Some(DimValue::DimParam(p)) => format!("symbolic (`{p}`)"),
            None => "missing".to_string(),
        };
        return Err(OnnxError::DynamicShape {
            file: file.into(),
            input: input.name.clone(),
            dim: sizes.len() + 1,
            axis,
            what,
        });
    }
    Ok(match sizes[..] {
        [c, h, w] => ((c, h, w), false, batch),
        [f] => ((f, 1, 1), true, batch),
        _ => unreachable!("rank checked"),
    })
}

/// Pads of a window: auto_pad, pads; one symmetric value or an error.
fn window_pad(
    a: &Attrs,
    (ny, nx): (u32, u32),
    (ky, kx): (u32, u32),
    (sy, sx): (u32, u32),
) -> Result<u32, String> {
    let auto = a.string("auto_pad")?.unwrap_or_default();
    let pads = a.ints("pads")?;
    match auto.as_str() {
        "" | "NOTSET" => {
            let p = pads.unwrap_or(vec![0; 4]);
            if p.len() != 4 {
                return Err(format!("pads {p:?}: four values expected"));
            }
            if p.iter().any(|&v| v != p[0]) {
                return Err(format!(
                    "pads {p:?} differ between sides or axes (one symmetric pad is supported)"
                ));
            }
            u32_of(p[0]).ok_or_else(|| format!("pads {p:?} out of range"))
        }
        "VALID" => match pads {
            Some(p) if p.iter().any(|&v| v != 0) => Err(format!("auto_pad VALID with pads {p:?}")),
            _ => Ok(0),
        },
        "SAME_UPPER" | "SAME_LOWER" => {
            if pads.is_some() {
                return Err(format!("auto_pad {auto} together with pads"));
            }
            let mut totals = [0u64; 2];
            for (t, (n, k, s)) in totals.iter_mut().zip([(ny, ky, sy), (nx, kx, sx)]) {
                let out = (n as u64).div_ceil(s as u64);
                *t = ((out.max(1) - 1) * s as u64 + k as u64).saturating_sub(n as u64);
            }
            if totals[0] != totals[1] || totals[0] % 2 != 0 {
                return Err(format!(
                    "auto_pad {auto} needs padding {} (height) and {} (width) in total: not one symmetric pad",
                    totals[0], totals[1]
                ));
            }
            let pad = (totals[0] / 2) as u32;
            for (n, k, s) in [(ny, ky, sy), (nx, kx, sx)] {
                let same = (n as u64).div_ceil(s as u64);
                let floor = (n as u64 + 2 * pad as u64).saturating_sub(k as u64) / s as u64 + 1;
                if same != floor {
                    return Err(format!(
                        "auto_pad {auto} gives output size {same}, the symmetric pad {pad} gives {floor}"
                    ));
                }
            }
            Ok(pad)
        }
        other => Err(format!("auto_pad `{other}`")),
    }
}

/// Two spatial ints (`strides`, `kernel_shape`) as `(y, x)`.
fn pair(a: &Attrs, name: &str, default: Option<(u32, u32)>) -> Result<(u32, u32), String> {
    match a.ints(name)? {
        None => default.ok_or_else(|| format!("attribute `{name}` is required")),
        Some(v) => match v[..] {
            [y, x] if y >= 1 && x >= 1 => match (u32_of(y), u32_of(x)) {
                (Some(y), Some(x)) => Ok((y, x)),
                _ => Err(format!("{name} {v:?} out of range")),
            },
            _ => Err(format!(
                "{name} {v:?}: two positive values expected (2-D only)"
            )),
        },
    }
}

fn dilations_one(a: &Attrs) -> Result<(), String> {
    match a.ints("dilations")? {
        Some(d) if d.iter().any(|&v| v != 1) => {
            Err(format!("dilations {d:?} (only 1 is supported)"))
        }
        _ => Ok(()),
    }
}

impl<'a> Importer<'a> {
    fn nref(&self, i: usize, n: &NodeProto) -> NodeRef {
        let name = if !n.name.is_empty() {
            n.name.clone()
        } else if let Some(o) = n.output.first().filter(|o| !o.is_empty()) {
            o.clone()
        } else {
            format!("#{i}")
        };
        NodeRef {
            name,
            op: n.op_type.clone(),
            index: i,
        }
    }

    fn unsup(&self, node: &NodeRef, reason: impl Into<String>) -> OnnxError {
        OnnxError::Unsupported {
            file: self.file.into(),
            node: node.clone(),
            reason: reason.into(),
        }
    }

    fn mismatch(&self, node: &NodeRef, reason: impl Into<String>) -> OnnxError {
        OnnxError::Mismatch {
            file: self.file.into(),
            node: node.clone(),
            reason: reason.into(),
        }
    }

    fn consumers(&self, t: &str) -> usize {
        self.consumers.get(t).copied().unwrap_or(0)
    }

    fn input_name<'n>(n: &'n NodeProto, i: usize) -> Option<&'n str> {
        n.input.get(i).map(|s| s.as_str()).filter(|s| !s.is_empty())
    }

    /// Data input `i`: a run-time tensor.
    fn act_in(&self, r: &NodeRef, n: &NodeProto, i: usize) -> Result<Act, OnnxError> {
        let name =
            Self::input_name(n, i).ok_or_else(|| self.unsup(r, format!("input {i} is missing")))?;
        match self.vals.get(name) {
            Some(Val::Act(a)) => Ok(a.clone()),
            Some(Val::Const(_)) => Err(self.unsup(
                r,
                format!("input `{name}` is a constant; a tensor computed from the graph input is expected"),
            )),
            Some(Val::Extra) => Err(OnnxError::Graph {
                file: self.file.into(),
                reason: format!(
                    "{r} reads `{name}`, a second graph input (one graph input is supported)"
                ),
            }),
            None => Err(self.unsup(
                r,
                format!("input `{name}` is neither a graph input, an initializer nor a node's output"),
            )),
        }
    }

    /// Constant input `i`, `None` when the optional input is omitted.
    fn const_in(
        &self,
        r: &NodeRef,
        n: &NodeProto,
        i: usize,
    ) -> Result<Option<&TensorProto>, OnnxError> {
        let Some(name) = Self::input_name(n, i) else {
            return Ok(None);
        };
        match self.vals.get(name) {
            Some(Val::Const(t)) => Ok(Some(t.as_ref())),
            _ => Err(OnnxError::MissingInitializer {
                file: self.file.into(),
                node: r.clone(),
                tensor: name.into(),
            }),
        }
    }

    fn required_const(
        &self,
        r: &NodeRef,
        n: &NodeProto,
        i: usize,
        what: &str,
    ) -> Result<&TensorProto, OnnxError> {
        self.const_in(r, n, i)?
            .ok_or_else(|| self.unsup(r, format!("the {what} (input {i}) is missing")))
    }

    fn issue(&self, r: &NodeRef, t: &TensorProto, e: TensorIssue) -> OnnxError {
        match e {
            TensorIssue::DataType(dtype, expected) => OnnxError::DataType {
                file: self.file.into(),
                node: Some(r.clone()),
                tensor: t.name.clone(),
                dtype,
                expected,
            },
            TensorIssue::Length(m) => self.mismatch(r, m),
            TensorIssue::External(m) => self.unsup(r, m),
        }
    }

    fn floats(&self, r: &NodeRef, t: &TensorProto) -> Result<Vec<f32>, OnnxError> {
        tensor::floats(t).map_err(|e| self.issue(r, t, e))
    }

    fn int64s(&self, r: &NodeRef, t: &TensorProto) -> Result<Vec<i64>, OnnxError> {
        tensor::int64s(t).map_err(|e| self.issue(r, t, e))
    }

    fn out0<'n>(&self, r: &NodeRef, n: &'n NodeProto) -> Result<&'n str, OnnxError> {
        n.output
            .first()
            .map(|s| s.as_str())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| self.unsup(r, "the node has no output"))
    }

    /// Outputs after the first (masks, indices, running statistics) must be unused.
    fn extra_outputs_unused(&self, r: &NodeRef, n: &NodeProto) -> Result<(), OnnxError> {
        for o in n.output.iter().skip(1).filter(|o| !o.is_empty()) {
            if self.consumers(o) > 0 {
                return Err(self.unsup(
                    r,
                    format!("output `{o}` is used (only the first output is supported)"),
                ));
            }
        }
        Ok(())
    }

    /// The node's first output is another view of `a`'s producers.
    fn view(&mut self, a: &Act, out: &str) {
        let k = self.consumers(out);
        for s in &a.srcs {
            if let Some(u) = self.uses.get_mut(s) {
                *u = (*u + k).saturating_sub(1);
            }
        }
    }

    fn bind(&mut self, out: &str, a: Act) {
        self.vals.insert(out.to_string(), Val::Act(a));
    }

    /// The one layer producing `a` when the current node is its only
    /// consumer and its activation is still identity.
    fn fusable(&self, a: &Act) -> Option<usize> {
        if a.srcs.len() != 1 || a.srcs[0] == INPUT || self.uses.get(&a.srcs[0]) != Some(&1) {
            return None;
        }
        let i = self.layers.iter().position(|l| l.name == a.srcs[0])?;
        (self.layers[i].spec.act() == Activation::Identity).then_some(i)
    }

    fn unique_name(&mut self, base: &str) -> String {
        let mut name = base.to_string();
        let mut k = 2;
        while self.names.contains(&name) {
            name = format!("{base}_{k}");
            k += 1;
        }
        self.names.insert(name.clone());
        name
    }

    /// Validate and append a layer made by node `r`; the tensor it outputs.
    fn push_layer(
        &mut self,
        r: &NodeRef,
        out: &str,
        spec: LayerSpec,
        inputs: Vec<String>,
        params: Option<LayerParams>,
    ) -> Result<(), OnnxError> {
        let name = self.unique_name(&r.name);
        spec.validate().map_err(|error| OnnxError::Layer {
            file: self.file.into(),
            node: r.clone(),
            layer: name.clone(),
            error: Box::new(error),
        })?;
        if let Some(p) = params {
            self.params.insert(name.clone(), p);
        }
        self.uses.insert(name.clone(), self.consumers(out));
        self.layers.push(ModelLayer {
            name: name.clone(),
            spec,
            inputs,
        });
        self.bind(
            out,
            Act {
                srcs: vec![name],
                shape: spec.output_shape(),
                flat: matches!(spec, LayerSpec::Classifier(_)),
                concat: None,
            },
        );
        Ok(())
    }

    fn node(&mut self, i: usize, n: &'a NodeProto) -> Result<(), OnnxError> {
        let r = self.nref(i, n);
        if !(n.domain.is_empty() || n.domain == "ai.onnx") {
            return Err(self.unsup(&r, format!("operator domain `{}`", n.domain)));
        }
        let a = Attrs(n);
        let known: &[&str] = match n.op_type.as_str() {
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
            "GlobalAveragePool" | "GlobalMaxPool" | "MatMul" | "Add" | "Relu" | "Sigmoid"
            | "Tanh" | "Identity" => &[],
            _ => {
                return Err(OnnxError::UnsupportedOp {
                    file: self.file.into(),
                    node: r,
                })
            }
        };
        a.only(known).map_err(|m| self.unsup(&r, m))?;
        let out = self.out0(&r, n)?;
        self.extra_outputs_unused(&r, n)?;
        let u = |m: String| self.unsup(&r, m);
        match n.op_type.as_str() {
            "Conv" => self.conv(&r, n, out),
            "MaxPool" | "AveragePool" => self.pool(&r, n, out),
            "GlobalAveragePool" | "GlobalMaxPool" => {
                let x = self.act_in(&r, n, 0)?;
                if x.flat {
                    return Err(self.mismatch(&r, "a 4-D input is expected, the input is 2-D"));
                }
                let (c, h, w) = x.shape;
                let kind = if n.op_type == "GlobalMaxPool" {
                    PoolKind::Max
                } else {
                    PoolKind::Avg
                };
                let spec = LayerSpec::Pool(PoolSpec {
                    nx: w,
                    ny: h,
                    kx: w,
                    ky: h,
                    ni: c,
                    sx: 1,
                    sy: 1,
                    pad: 0,
                    kind,
                });
                self.push_layer(&r, out, spec, x.srcs, None)
            }
            "Gemm" => {
                if a.float("alpha", 1.0).map_err(u)? != 1.0 {
                    return Err(self.unsup(&r, "alpha must be 1"));
                }
                let has_c = Self::input_name(n, 2).is_some();
                if has_c && a.float("beta", 1.0).map_err(u)? != 1.0 {
                    return Err(self.unsup(&r, "beta must be 1"));
                }
                if a.int("transA", 0).map_err(u)? != 0 {
                    return Err(self.unsup(&r, "transA must be 0"));
                }
                let tb = a.int("transB", 0).map_err(u)?;
                if tb != 0 && tb != 1 {
                    return Err(self.unsup(&r, format!("transB = {tb}")));
                }
                self.dense(&r, n, out, tb == 1, true)
            }
            "MatMul" => self.dense(&r, n, out, false, false),
            "Add" => self.add(&r, n, out),
            "Relu" | "Sigmoid" | "Tanh" => {
                let act = match n.op_type.as_str() {
                    "Relu" => Activation::Relu,
                    "Sigmoid" => Activation::Sigmoid,
                    _ => Activation::Tanh,
                };
                let x = self.act_in(&r, n, 0)?;
                if let Some(li) = self.fusable(&x) {
                    let fused = match &mut self.layers[li].spec {
                        LayerSpec::Conv(c) => {
                            c.act = act;
                            true
                        }
                        LayerSpec::Classifier(c) => {
                            c.act = act;
                            true
                        }
                        LayerSpec::Eltwise(e) if e.inputs == 2 => {
                            e.act = act;
                            true
                        }
                        _ => false,
                    };
                    if fused {
                        self.view(&x, out);
                        self.bind(out, x);
                        return Ok(());
                    }
                }
                let (c, h, w) = x.shape;
                let spec = LayerSpec::Eltwise(EltwiseSpec {
                    c,
                    h,
                    w,
                    inputs: 1,
                    act,
                });
                let flat = x.flat;
                self.push_layer(&r, out, spec, x.srcs, None)?;
                if let Some(Val::Act(o)) = self.vals.get_mut(out) {
                    o.flat = flat;
                }
                Ok(())
            }
            "BatchNormalization" => self.batch_norm(&r, n, out),
            "Concat" => self.concat(&r, n, out),
            "Flatten" => {
                let mut x = self.act_in(&r, n, 0)?;
                let axis = a.int("axis", 1).map_err(u)?;
                let ok = if x.flat {
                    axis == 1 || axis == -1
                } else {
                    axis == 1 || axis == -3
                };
                if !ok {
                    return Err(self.unsup(&r, format!("Flatten axis {axis} (only 1: [N, C*H*W])")));
                }
                x.flat = true;
                self.view(&x, out);
                self.bind(out, x);
                Ok(())
            }
            "Reshape" => self.reshape(&r, n, out),
            "Dropout" => {
                let x = self.act_in(&r, n, 0)?;
                if Self::input_name(n, 2).is_some() {
                    let t = self.required_const(&r, n, 2, "training_mode")?;
                    let on =
                        t.raw_data.iter().any(|&b| b != 0) || t.int32_data.iter().any(|&b| b != 0);
                    if on {
                        return Err(self.unsup(&r, "training_mode must be false"));
                    }
                }
                self.view(&x, out);
                self.bind(out, x);
                Ok(())
            }
            "Identity" => {
                let name = Self::input_name(n, 0).unwrap_or_default();
                if let Some(Val::Const(t)) = self.vals.get(name) {
                    let t = t.clone();
                    self.vals.insert(out.to_string(), Val::Const(t));
                    return Ok(());
                }
                let x = self.act_in(&r, n, 0)?;
                self.view(&x, out);
                self.bind(out, x);
                Ok(())
            }
            "Softmax" => self.softmax(&r, n, out),
            "Constant" => {
                let t = self.constant(&r, n, out)?;
                self.vals.insert(out.to_string(), Val::Const(t));
                Ok(())
            }
            _ => unreachable!("checked above"),
        }
    }

    fn conv(&mut self, r: &NodeRef, n: &NodeProto, out: &str) -> Result<(), OnnxError> {
        let a = Attrs(n);
        let u = |m: String| self.unsup(r, m);
        let x = self.act_in(r, n, 0)?;
        if x.flat {
            return Err(self.mismatch(r, "Conv needs a 4-D input, the input is 2-D"));
        }
        let wt = self.required_const(r, n, 1, "weight")?;
        let (c, h, w) = x.shape;
        let dims: Vec<u32> = wt.dims.iter().filter_map(|&d| u32_of(d)).collect();
        if dims.len() != 4 || wt.dims.len() != 4 {
            return Err(self.mismatch(
                r,
                format!(
                    "weight `{}` has dims {:?}, [M, C/group, kH, kW] expected",
                    wt.name, wt.dims
                ),
            ));
        }
        let group = a.int("group", 1).map_err(u)?;
        let groups = u32_of(group)
            .filter(|&g| g >= 1)
            .ok_or_else(|| self.unsup(r, format!("group = {group}")))?;
        if dims[1] as u64 * groups as u64 != c as u64 {
            return Err(self.mismatch(
                r,
                format!(
                    "weight `{}` has dims {:?}: C/group = {} with group {groups} does not match the input's {c} channels",
                    wt.name, wt.dims, dims[1]
                ),
            ));
        }
        let (ky, kx) = (dims[2], dims[3]);
        if let Some(k) = a.ints("kernel_shape").map_err(u)? {
            if k != [ky as i64, kx as i64] {
                return Err(self.mismatch(
                    r,
                    format!(
                        "kernel_shape {k:?} does not match weight `{}` dims {:?}",
                        wt.name, wt.dims
                    ),
                ));
            }
        }
        dilations_one(&a).map_err(u)?;
        let (sy, sx) = pair(&a, "strides", Some((1, 1))).map_err(u)?;
        let pad = window_pad(&a, (h, w), (ky, kx), (sy, sx)).map_err(u)?;
        let no = dims[0];
        let weights = self.floats(r, wt)?;
        let bias = match self.const_in(r, n, 2)? {
            None => None,
            Some(b) => {
                if b.dims != [no as i64] {
                    return Err(self.mismatch(
                        r,
                        format!("bias `{}` has dims {:?}, [{no}] expected", b.name, b.dims),
                    ));
                }
                Some(self.floats(r, b)?)
            }
        };
        let spec = LayerSpec::Conv(ConvSpec {
            nx: w,
            ny: h,
            kx,
            ky,
            ni: c,
            no,
            sx,
            sy,
            pad,
            act: Activation::Identity,
            bias: bias.is_some(),
            groups,
        });
        let p = LayerParams {
            weights,
            bias: bias.unwrap_or_default(),
        };
        self.push_layer(r, out, spec, x.srcs, Some(p))
    }

    fn pool(&mut self, r: &NodeRef, n: &NodeProto, out: &str) -> Result<(), OnnxError> {
        let a = Attrs(n);
        let u = |m: String| self.unsup(r, m);
        let x = self.act_in(r, n, 0)?;
        if x.flat {
            return Err(self.mismatch(r, "a 4-D input is expected, the input is 2-D"));
        }
        let (c, h, w) = x.shape;
        let avg = n.op_type == "AveragePool";
        let (ky, kx) = pair(&a, "kernel_shape", None).map_err(u)?;
        let (sy, sx) = pair(&a, "strides", Some((1, 1))).map_err(u)?;
        dilations_one(&a).map_err(u)?;
        let pad = window_pad(&a, (h, w), (ky, kx), (sy, sx)).map_err(u)?;
        if avg && pad > 0 && a.int("count_include_pad", 0).map_err(u)? != 1 {
            return Err(self.unsup(
                r,
                "count_include_pad must be 1 when pads > 0 (the hardware divides by kx*ky)",
            ));
        }
        let spec = LayerSpec::Pool(PoolSpec {
            nx: w,
            ny: h,
            kx,
            ky,
            ni: c,
            sx,
            sy,
            pad,
            kind: if avg { PoolKind::Avg } else { PoolKind::Max },
        });
        if a.int("ceil_mode", 0).map_err(u)? != 0 {
            for (axis, nn, k, s) in [("height", h, ky, sy), ("width", w, kx, sx)] {
                let span = (nn as u64 + 2 * pad as u64).saturating_sub(k as u64);
                let floor = span / s as u64 + 1;
                let mut ceil = span.div_ceil(s as u64) + 1;
                // the last window must start inside the input or the left pad
                if (ceil - 1) * s as u64 >= nn as u64 + pad as u64 {
                    ceil -= 1;
                }
                if ceil != floor {
                    return Err(self.unsup(
                        r,
                        format!(
                            "ceil_mode = 1 gives output {axis} {ceil}, the floor size is {floor}"
                        ),
                    ));
                }
            }
        }
        self.push_layer(r, out, spec, x.srcs, None)
    }

    /// Gemm (`gemm`: with an optional bias C) or MatMul: a classifier.
    fn dense(
        &mut self,
        r: &NodeRef,
        n: &NodeProto,
        out: &str,
        trans_b: bool,
        gemm: bool,
    ) -> Result<(), OnnxError> {
        let x = self.act_in(r, n, 0)?;
        if !x.flat {
            return Err(self.mismatch(
                r,
                format!(
                    "{} needs a 2-D input; the input is 4-D (flatten it first)",
                    r.op
                ),
            ));
        }
        let (c, h, w) = x.shape;
        let ni = c as u64 * h as u64 * w as u64;
        let b = self.required_const(r, n, 1, "weight")?;
        if b.dims.len() != 2 || b.dims.iter().any(|&d| d < 1) {
            return Err(self.mismatch(
                r,
                format!(
                    "weight `{}` has dims {:?}, a 2-D matrix expected",
                    b.name, b.dims
                ),
            ));
        }
        let (k, no) = if trans_b {
            (b.dims[1], b.dims[0])
        } else {
            (b.dims[0], b.dims[1])
        };
        if k as u64 != ni {
            return Err(self.mismatch(
                r,
                format!(
                    "weight `{}` has dims {:?} (K = {k}{}) but the input has {ni} values per image",
                    b.name,
                    b.dims,
                    if trans_b { ", transB = 1" } else { "" }
                ),
            ));
        }
        let (Some(ni), Some(no)) = (u32_of(k), u32_of(no)) else {
            return Err(self.mismatch(r, format!("weight dims {:?} out of range", b.dims)));
        };
        let m = self.floats(r, b)?;
        let weights = if trans_b {
            m
        } else {
            let (ni, no) = (ni as usize, no as usize);
            let mut t = vec![0.0; m.len()];
            for i in 0..ni {
                for o in 0..no {
                    t[o * ni + i] = m[i * no + o];
                }
            }
            t
        };
        let bias = if gemm {
            match self.const_in(r, n, 2)? {
                Some(t) => Some(self.bias_vec(r, t, no, 2)?),
                None => None,
            }
        } else {
            None
        };
        let spec = LayerSpec::Classifier(ClassSpec {
            ni,
            no,
            act: Activation::Identity,
            bias: bias.is_some(),
        });
        let p = LayerParams {
            weights,
            bias: bias.unwrap_or_default(),
        };
        self.push_layer(r, out, spec, x.srcs, Some(p))
    }

    /// A constant that broadcasts per channel onto a rank-`rank` tensor of
    /// `no` channels (axis 1), as `no` values.
    fn bias_vec(
        &self,
        r: &NodeRef,
        t: &TensorProto,
        no: u32,
        rank: usize,
    ) -> Result<Vec<f32>, OnnxError> {
        let d = &t.dims;
        let bad = || {
            self.mismatch(
                r,
                format!(
                    "`{}` of dims {d:?} does not broadcast per channel onto {}",
                    t.name,
                    if rank == 2 {
                        format!("[N, {no}]")
                    } else {
                        format!("[N, {no}, H, W]")
                    }
                ),
            )
        };
        if d.len() > rank {
            return Err(bad());
        }
        let mut full = vec![1i64; rank - d.len()];
        full.extend_from_slice(d);
        let ch = full[1];
        if full.iter().enumerate().any(|(i, &v)| i != 1 && v != 1) || (ch != 1 && ch != no as i64) {
            return Err(bad());
        }
        let v = self.floats(r, t)?;
        Ok(if ch == 1 { vec![v[0]; no as usize] } else { v })
    }

    fn add(&mut self, r: &NodeRef, n: &NodeProto, out: &str) -> Result<(), OnnxError> {
        let names: Vec<&str> = (0..2).filter_map(|i| Self::input_name(n, i)).collect();
        if names.len() != 2 || n.input.len() != 2 {
            return Err(self.unsup(r, "Add takes two inputs"));
        }
        let is_const = |s: &str| matches!(self.vals.get(s), Some(Val::Const(_)));
        match (is_const(names[0]), is_const(names[1])) {
            (false, false) => {
                let x = self.act_in(r, n, 0)?;
                let y = self.act_in(r, n, 1)?;
                for v in [&x, &y] {
                    if let Some(c) = &v.concat {
                        return Err(self.unsup(
                            c,
                            format!(
                                "its output feeds Add {r}, which takes one producer per operand"
                            ),
                        ));
                    }
                }
                if x.shape != y.shape || x.flat != y.flat {
                    let show = |a: &Act| {
                        let (c, h, w) = a.shape;
                        if a.flat {
                            format!("[N, {}]", c as u64 * h as u64 * w as u64)
                        } else {
                            format!("[N, {c}, {h}, {w}]")
                        }
                    };
                    return Err(self.mismatch(
                        r,
                        format!(
                            "Add of `{}` {} and `{}` {} (two tensors of one shape are supported)",
                            names[0],
                            show(&x),
                            names[1],
                            show(&y)
                        ),
                    ));
                }
                let (c, h, w) = x.shape;
                let spec = LayerSpec::Eltwise(EltwiseSpec {
                    c,
                    h,
                    w,
                    inputs: 2,
                    act: Activation::Identity,
                });
                let flat = x.flat;
                let inputs = vec![x.srcs[0].clone(), y.srcs[0].clone()];
                self.push_layer(r, out, spec, inputs, None)?;
                if let Some(Val::Act(o)) = self.vals.get_mut(out) {
                    o.flat = flat;
                }
                Ok(())
            }
            (true, true) => Err(self.unsup(r, "Add of two constants")),
            (c0, _) => {
                let (xi, ci) = if c0 { (1, 0) } else { (0, 1) };
                let x = self.act_in(r, n, xi)?;
                let t = self.required_const(r, n, ci, "constant")?;
                let not_fusable = || {
                    self.unsup(
                        r,
                        format!(
                            "Add of the constant `{}` is supported only as the bias of a Conv, Gemm or MatMul whose only consumer it is",
                            t.name
                        ),
                    )
                };
                let li = self.fusable(&x).ok_or_else(not_fusable)?;
                let (no, rank) = match self.layers[li].spec {
                    LayerSpec::Conv(c) if !x.flat => (c.no, 4),
                    LayerSpec::Conv(c) if x.shape.1 * x.shape.2 == 1 => (c.no, 2),
                    LayerSpec::Classifier(c) => (c.no, 2),
                    _ => return Err(not_fusable()),
                };
                let b = self.bias_vec(r, t, no, rank)?;
                let name = self.layers[li].name.clone();
                let p = self.params.entry(name).or_default();
                if p.bias.is_empty() {
                    p.bias = vec![0.0; no as usize];
                }
                for (d, s) in p.bias.iter_mut().zip(&b) {
                    *d += s;
                }
                match &mut self.layers[li].spec {
                    LayerSpec::Conv(c) => c.bias = true,
                    LayerSpec::Classifier(c) => c.bias = true,
                    _ => unreachable!("matched above"),
                }
                self.view(&x, out);
                self.bind(out, x);
                Ok(())
            }
        }
    }

    fn batch_norm(&mut self, r: &NodeRef, n: &NodeProto, out: &str) -> Result<(), OnnxError> {
        let a = Attrs(n);
        let u = |m: String| self.unsup(r, m);
        if a.int("training_mode", 0).map_err(u)? != 0 {
            return Err(self.unsup(r, "training_mode must be 0"));
        }
        let eps = a.float("epsilon", 1e-5).map_err(u)?;
        let x = self.act_in(r, n, 0)?;
        let li = self.fusable(&x).ok_or_else(|| {
            self.unsup(
                r,
                "BatchNormalization must directly follow a Conv or Gemm whose only consumer it is",
            )
        })?;
        let (no, per) = match self.layers[li].spec {
            LayerSpec::Conv(c) if !x.flat => {
                (c.no, (c.ni / c.groups) as usize * (c.kx * c.ky) as usize)
            }
            LayerSpec::Classifier(c) => (c.no, c.ni as usize),
            _ => return Err(self.unsup(
                r,
                "BatchNormalization must directly follow a Conv or Gemm whose only consumer it is",
            )),
        };
        let mut v = Vec::new();
        for (i, what) in [(1, "scale"), (2, "B"), (3, "mean"), (4, "var")] {
            let t = self.required_const(r, n, i, what)?;
            let f = self.floats(r, t)?;
            if f.len() != no as usize {
                return Err(self.mismatch(
                    r,
                    format!(
                        "{what} `{}` has {} values, the {} before it has {no} channels",
                        t.name,
                        f.len(),
                        self.layers[li].name
                    ),
                ));
            }
            v.push(f);
        }
        let name = self.layers[li].name.clone();
        let p = self.params.entry(name).or_default();
        if p.bias.is_empty() {
            p.bias = vec![0.0; no as usize];
        }
        for o in 0..no as usize {
            let k = v[0][o] / (v[3][o] + eps).sqrt();
            for w in &mut p.weights[o * per..(o + 1) * per] {
                *w *= k;
            }
            p.bias[o] = (p.bias[o] - v[2][o]) * k + v[1][o];
        }
        match &mut self.layers[li].spec {
            LayerSpec::Conv(c) => c.bias = true,
            LayerSpec::Classifier(c) => c.bias = true,
            _ => unreachable!("matched above"),
        }
        self.view(&x, out);
        self.bind(out, x);
        Ok(())
    }

    fn concat(&mut self, r: &NodeRef, n: &NodeProto, out: &str) -> Result<(), OnnxError> {
        let a = Attrs(n);
        if !n.attribute.iter().any(|x| x.name == "axis") {
            return Err(self.unsup(r, "attribute `axis` is required"));
        }
        let axis = a.int("axis", 1).map_err(|m| self.unsup(r, m))?;
        if n.input.is_empty() {
            return Err(self.unsup(r, "Concat of nothing"));
        }
        let mut parts = Vec::new();
        for i in 0..n.input.len() {
            parts.push(self.act_in(r, n, i)?);
        }
        let flat = parts[0].flat;
        if parts.iter().any(|p| p.flat != flat) {
            return Err(self.mismatch(r, "Concat of 2-D and 4-D tensors"));
        }
        let ok = if flat {
            axis == 1 || axis == -1
        } else {
            axis == 1 || axis == -3
        };
        if !ok {
            return Err(self.unsup(r, format!("Concat axis {axis} (only the channel axis 1)")));
        }
        let (_, h, w) = parts[0].shape;
        if let Some(p) = parts.iter().find(|p| (p.shape.1, p.shape.2) != (h, w)) {
            return Err(self.mismatch(
                r,
                format!(
                    "Concat of maps {h}x{w} and {}x{} (heights and widths must agree)",
                    p.shape.1, p.shape.2
                ),
            ));
        }
        let c: u64 = parts.iter().map(|p| p.shape.0 as u64).sum();
        let c = u32::try_from(c).map_err(|_| self.mismatch(r, format!("{c} channels")))?;
        for p in &parts {
            self.view(p, out);
        }
        let srcs = parts.into_iter().flat_map(|p| p.srcs).collect();
        self.bind(
            out,
            Act {
                srcs,
                shape: (c, h, w),
                flat,
                concat: Some(r.clone()),
            },
        );
        Ok(())
    }

    fn reshape(&mut self, r: &NodeRef, n: &NodeProto, out: &str) -> Result<(), OnnxError> {
        let a = Attrs(n);
        let mut x = self.act_in(r, n, 0)?;
        let t = self.required_const(r, n, 1, "shape")?;
        let s = self.int64s(r, t)?;
        let allowzero = a.int("allowzero", 0).map_err(|m| self.unsup(r, m))? != 0;
        let (c, h, w) = x.shape;
        let total = c as i64 * h as i64 * w as i64;
        let batch_ok =
            |v: i64| (v == 0 && !allowzero) || v == -1 || Some(v) == self.batch.map(i64::from);
        let ok = match s[..] {
            [-1, f] => f == total,
            [b, f] => batch_ok(b) && (f == total || f == -1),
            _ => false,
        };
        if !ok {
            return Err(self.unsup(
                r,
                format!(
                    "Reshape to {s:?}: only a flatten of [N, {c}, {h}, {w}] to [N, {total}] is supported"
                ),
            ));
        }
        x.flat = true;
        self.view(&x, out);
        self.bind(out, x);
        Ok(())
    }

    fn softmax(&mut self, r: &NodeRef, n: &NodeProto, out: &str) -> Result<(), OnnxError> {
        let a = Attrs(n);
        if out != self.output {
            return Err(self.unsup(
                r,
                "Softmax is supported only as the final node (its output must be the graph output)",
            ));
        }
        let x = self.act_in(r, n, 0)?;
        if x.srcs.len() != 1 || x.srcs[0] == INPUT {
            return Err(self.unsup(r, "Softmax must follow a layer"));
        }
        let axis = a
            .int("axis", if self.opset >= 13 { -1 } else { 1 })
            .map_err(|m| self.unsup(r, m))?;
        let whole = if x.flat {
            axis == 1 || axis == -1
        } else if self.opset >= 13 {
            x.shape.1 * x.shape.2 == 1 && (axis == 1 || axis == -3)
        } else {
            axis == 1 || axis == -3
        };
        if !whole {
            return Err(self.unsup(
                r,
                format!("Softmax axis {axis} is not over all of an image's outputs"),
            ));
        }
        self.softmax = true;
        self.view(&x, out);
        self.bind(out, x);
        Ok(())
    }

    fn constant(
        &self,
        r: &NodeRef,
        n: &'a NodeProto,
        out: &str,
    ) -> Result<Cow<'a, TensorProto>, OnnxError> {
        let a = Attrs(n);
        let u = |m: String| self.unsup(r, m);
        if n.attribute.len() != 1 {
            return Err(self.unsup(r, "a Constant has exactly one value attribute"));
        }
        if let Some(t) = a.tensor("value").map_err(u)? {
            return Ok(Cow::Borrowed(t));
        }
        if let Some(v) = a.floats("value_floats").map_err(u)? {
            return Ok(Cow::Owned(tensor::float_tensor(out, &[v.len() as i64], &v)));
        }
        if n.attribute[0].name == "value_float" {
            let v = a.float("value_float", 0.0).map_err(u)?;
            return Ok(Cow::Owned(tensor::float_tensor(out, &[], &[v])));
        }
        let ints = match a.ints("value_ints").map_err(u)? {
            Some(v) => (vec![v.len() as i64], v),
            None => (vec![], vec![a.int("value_int", 0).map_err(u)?]),
        };
        Ok(Cow::Owned(TensorProto {
            name: out.into(),
            dims: ints.0,
            data_type: crate::proto::DataType::Int64 as i32,
            int64_data: ints.1,
            ..Default::default()
        }))
    }
}
