//! Networks as TOML model files.
//!
//! ```toml
//! name = "lenet5"
//! input = [1, 28, 28]          # [channels, height, width] of one image
//!
//! [[layer]]
//! name = "conv1"               # unique
//! type = "conv"                # conv | pool | class | add | act | gap
//! k = 5                        # kernel (or kx = .., ky = ..)
//! no = 20                      # output maps (conv, class)
//! s = 1                        # stride (or sx, sy); conv default 1, pool default = kernel
//! pad = 0                      # border on every side (default 0)
//! act = "relu"                 # identity|relu|sigmoid|tanh|drelu|dsigmoid|dtanh (default identity)
//! bias = true                  # conv, class (default true)
//!
//! [[layer]]
//! name = "pool1"
//! type = "pool"
//! k = 2
//! kind = "max"                 # max | avg
//! ```
//!
//! # Graphs
//!
//! A layer reads the previous layer's output (the model input for the
//! first layer), unless it says `from = "name"` (an earlier layer's output,
//! or `"input"`, the model input) or `from = ["a", "b", ...]`: the
//! **concatenation** of those outputs along the maps, in that order (they
//! must agree in height and width). More types:
//!
//! ```toml
//! [[layer]]
//! name = "res1"
//! type = "add"                 # act(A + B): a residual add
//! from = ["conv2b", "pool1"]   # exactly two inputs of one shape
//! act = "relu"
//!
//! [[layer]]
//! name = "gap"
//! type = "gap"                 # global average pooling (an avg pool over the whole map)
//!
//! [[layer]]
//! name = "relu3"
//! type = "act"                 # an activation alone
//! act = "relu"
//! ```
//!
//! A convolution takes `groups = G` (ONNX `group`; `groups = ni = no` is
//! depthwise). A layer may instead say `input = [c, h, w]`: a detached
//! layer of that input shape with no producer (it can be simulated, not
//! run on data). A classifier takes `ni = c*h*w` of its input (or an
//! explicit `ni`). Parse and validation errors name the file, the line and
//! the field.
//!
//! [`Model::load`] also reads SCALE-Sim topology files (`*.csv`, see
//! [`crate::scalesim`]): every row a detached convolution.

use crate::layer::{parse_act, parse_kind, ClassSpec, ConvSpec, LayerError, LayerSpec, PoolSpec};
use serde::Deserialize;
use std::path::Path;
use thiserror::Error;
use toml::Spanned;

/// Built-in model names.
pub const BUILTIN: &[&str] = &[
    "lenet5",
    "alexnet",
    "nin",
    "googlenet",
    "diannao_bench",
    "resnet18",
    "mobilenet_v1",
    "vgg16",
];

/// The text of a built-in model file.
pub fn builtin(name: &str) -> Option<&'static str> {
    Some(match name {
        "lenet5" => include_str!("../models/lenet5.toml"),
        "alexnet" => include_str!("../models/alexnet.toml"),
        "nin" => include_str!("../models/nin.toml"),
        "googlenet" => include_str!("../models/googlenet.toml"),
        "diannao_bench" => include_str!("../models/diannao_bench.toml"),
        "resnet18" => include_str!("../models/resnet18.toml"),
        "mobilenet_v1" => include_str!("../models/mobilenet_v1.toml"),
        "vgg16" => include_str!("../models/vgg16.toml"),
        _ => return None,
    })
}

/// Why a model cannot be loaded.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ModelError {
    /// Not a built-in name and not a readable file.
    #[error("{path}: {reason} (built-in models: {known})", known = BUILTIN.join(", "))]
    Io {
        /// Path or name.
        path: String,
        /// OS error.
        reason: String,
    },
    /// Syntax or validation error at a place in the file.
    #[error("{file}:{line}: {field}{msg}", field = field.as_ref().map(|f| format!("field `{f}`: ")).unwrap_or_default())]
    At {
        /// File name.
        file: String,
        /// 1-based line.
        line: usize,
        /// Field, when known.
        field: Option<String>,
        /// What is wrong.
        msg: String,
    },
}

/// Real (f32) parameters of one layer, e.g. imported from ONNX: weights
/// `[no][ni/groups][ky][kx]` (classifier `[no][ni]`, `ni` in the order of
/// the flattened `[c][h][w]` input), bias `[no]` (empty when the layer has
/// no bias).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LayerParams {
    /// Weights.
    pub weights: Vec<f32>,
    /// Biases.
    pub bias: Vec<f32>,
}

/// Parameters of a model's layers by layer name (layers without parameters
/// are absent).
pub type Params = std::collections::BTreeMap<String, LayerParams>;

/// The name of the model's input tensor in `from` lists.
pub const INPUT: &str = "input";

/// One named layer of a model, with its input shape and producers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelLayer {
    /// Layer name.
    pub name: String,
    /// The layer.
    pub spec: LayerSpec,
    /// Producers: earlier layer names or [`INPUT`]. Several inputs of a
    /// convolution, pooling or classifier are concatenated along the maps;
    /// an add takes two. Empty for a detached layer (`input = [c, h, w]`).
    pub inputs: Vec<String>,
}

/// A network: a name, the input shape, and layers in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Model {
    /// Model name.
    pub name: String,
    /// Input `(channels, height, width)` of one image.
    pub input: (u32, u32, u32),
    /// Layers in execution order.
    pub layers: Vec<ModelLayer>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    name: String,
    input: [u32; 3],
    #[serde(default)]
    layer: Vec<Spanned<RawLayer>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum From {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLayer {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    input: Option<[u32; 3]>,
    from: Option<From>,
    groups: Option<u32>,
    k: Option<u32>,
    kx: Option<u32>,
    ky: Option<u32>,
    s: Option<u32>,
    sx: Option<u32>,
    sy: Option<u32>,
    pad: Option<u32>,
    ni: Option<u32>,
    no: Option<u32>,
    act: Option<String>,
    bias: Option<bool>,
    #[serde(rename = "kind")]
    pool: Option<String>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Line of `key = ` inside the byte range, else the range's first line.
fn field_line(text: &str, span: std::ops::Range<usize>, keys: &[&str]) -> usize {
    let start = span.start.min(text.len());
    let body = &text[start..span.end.min(text.len())];
    let mut off = start;
    for l in body.split_inclusive('\n') {
        let t = l.trim_start();
        if keys.iter().any(|k| {
            t.strip_prefix(k)
                .map(|r| r.trim_start().starts_with('='))
                .unwrap_or(false)
        }) {
            return line_of(text, off);
        }
        off += l.len();
    }
    line_of(text, start)
}

/// Keys that may set a field named in a [`LayerError`].
fn keys_for(field: &str) -> Vec<&str> {
    match field {
        "kx" => vec!["kx", "k"],
        "ky" => vec!["ky", "k"],
        "sx" => vec!["sx", "s"],
        "sy" => vec!["sy", "s"],
        "nx" | "ny" => vec!["input", "from"],
        "ni" => vec!["ni", "input", "from"],
        f => vec![f],
    }
}

fn layer_error_field(e: &LayerError) -> Option<String> {
    match e {
        LayerError::Zero { field }
        | LayerError::KernelTooLarge { field, .. }
        | LayerError::TooLarge { field, .. } => Some(field.to_string()),
        LayerError::PadTooLarge { .. } => Some("pad".into()),
        LayerError::Groups { .. } => Some("groups".into()),
        LayerError::Missing(f) => Some(f.to_string()),
        LayerError::BadValue { field, .. } => Some(field.clone()),
        LayerError::UnknownField { key, .. } => Some(key.clone()),
        LayerError::Syntax(_) => None,
    }
}

impl Model {
    /// Load a built-in model by name, or a model file by path: a SCALE-Sim
    /// topology ([`crate::scalesim::parse`]) when the path ends in `.csv`
    /// (any case), else a TOML model file.
    pub fn load(path_or_name: &str) -> Result<Self, ModelError> {
        if let Some(text) = builtin(path_or_name) {
            return Self::parse(text, &format!("{path_or_name}.toml (built-in)"));
        }
        let path = Path::new(path_or_name);
        let text = std::fs::read_to_string(path).map_err(|e| ModelError::Io {
            path: path_or_name.to_string(),
            reason: e.to_string(),
        })?;
        let csv = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if csv {
            crate::scalesim::parse(&text, path_or_name)
        } else {
            Self::parse(&text, path_or_name)
        }
    }

    /// Parse model text; `file` names the source in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self, ModelError> {
        let raw: RawModel = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
            let msg = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
            ModelError::At {
                file: file.into(),
                line,
                field: None,
                msg,
            }
        })?;
        let mut shapes: Vec<(String, (u32, u32, u32))> = Vec::new();
        let input = (raw.input[0], raw.input[1], raw.input[2]);
        let mut prev = input;
        let mut prev_name = INPUT.to_string();
        let mut layers = Vec::new();
        for sl in &raw.layer {
            let span = sl.span();
            let l = sl.get_ref();
            let err = |field: &str, msg: String| ModelError::At {
                file: file.into(),
                line: field_line(text, span.clone(), &keys_for(field)),
                field: Some(field.to_string()),
                msg,
            };
            if shapes.iter().any(|(n, _)| *n == l.name) || l.name == INPUT {
                return Err(err(
                    "name",
                    if l.name == INPUT {
                        format!("`{INPUT}` names the model input")
                    } else {
                        format!("layer `{}` defined twice", l.name)
                    },
                ));
            }
            let from: Vec<String> = match &l.from {
                None => Vec::new(),
                Some(From::One(f)) => vec![f.clone()],
                Some(From::Many(v)) => v.clone(),
            };
            if matches!(&l.from, Some(From::Many(v)) if v.is_empty()) {
                return Err(err("from", "lists no inputs".into()));
            }
            let shape_of = |f: &str| -> Result<(u32, u32, u32), ModelError> {
                if f == INPUT {
                    return Ok(input);
                }
                match shapes.iter().find(|(n, _)| n == f) {
                    Some((_, s)) => Ok(*s),
                    None => Err(err("from", format!("no earlier layer named `{f}`"))),
                }
            };
            let (inputs, (c, h, w)) = match (&l.input, from.is_empty()) {
                (Some(_), false) => {
                    return Err(err("from", "give `input` or `from`, not both".into()))
                }
                (Some(i), true) => (Vec::new(), (i[0], i[1], i[2])),
                (None, true) => (vec![prev_name.clone()], prev),
                (None, false) => {
                    let mut sh = Vec::new();
                    for f in &from {
                        sh.push(shape_of(f)?);
                    }
                    let joined = if l.kind == "add" {
                        if sh.len() != 2 || sh[0] != sh[1] {
                            return Err(err(
                                "from",
                                format!(
                                    "an add takes two inputs of one shape, got {}",
                                    sh.iter()
                                        .map(|s| format!("{}x{}x{}", s.0, s.1, s.2))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            ));
                        }
                        sh[0]
                    } else {
                        let (h0, w0) = (sh[0].1, sh[0].2);
                        if let Some((k, s)) =
                            sh.iter().enumerate().find(|(_, s)| (s.1, s.2) != (h0, w0))
                        {
                            return Err(err(
                                "from",
                                format!(
                                    "cannot concatenate `{}` ({}x{}) with `{}` ({}x{}): heights and widths differ",
                                    from[0], h0, w0, from[k], s.1, s.2
                                ),
                            ));
                        }
                        let c: u64 = sh.iter().map(|s| s.0 as u64).sum();
                        (c.min(u32::MAX as u64) as u32, h0, w0)
                    };
                    (from.clone(), joined)
                }
            };
            if l.kind == "add" && inputs.len() != 2 && l.input.is_none() {
                return Err(err(
                    "from",
                    "an add takes two inputs: `from = [\"a\", \"b\"]`".into(),
                ));
            }
            if l.groups.is_some() && l.kind != "conv" {
                return Err(err("groups", "only convolutions have groups".into()));
            }
            let act = l
                .act
                .as_deref()
                .map(|a| parse_act("act", a))
                .transpose()
                .map_err(|e| err("act", e.to_string()))?;
            let act = act.unwrap_or(arch::activation::Activation::Identity);
            let need_k = |v: Option<u32>, both: Option<u32>, f: &'static str| {
                v.or(both).ok_or_else(|| err(f, "is required".into()))
            };
            let spec = match l.kind.as_str() {
                "conv" => {
                    let kx = need_k(l.kx, l.k, "kx")?;
                    let ky = need_k(l.ky, l.k, "ky")?;
                    let no = l.no.ok_or_else(|| err("no", "is required".into()))?;
                    if l.pool.is_some() {
                        return Err(err("kind", "only pooling layers have a kind".into()));
                    }
                    LayerSpec::Conv(ConvSpec {
                        nx: w,
                        ny: h,
                        kx,
                        ky,
                        ni: l.ni.unwrap_or(c),
                        no,
                        sx: l.sx.or(l.s).unwrap_or(1),
                        sy: l.sy.or(l.s).unwrap_or(1),
                        pad: l.pad.unwrap_or(0),
                        act,
                        bias: l.bias.unwrap_or(true),
                        groups: l.groups.unwrap_or(1),
                    })
                }
                "add" | "act" => {
                    for (f, set) in [
                        ("k", l.k.is_some() || l.kx.is_some() || l.ky.is_some()),
                        ("s", l.s.is_some() || l.sx.is_some() || l.sy.is_some()),
                        ("pad", l.pad.is_some()),
                        ("no", l.no.is_some()),
                        ("bias", l.bias.is_some()),
                        ("kind", l.pool.is_some()),
                    ] {
                        if set {
                            return Err(err(f, format!("{} layers have no such field", l.kind)));
                        }
                    }
                    LayerSpec::Eltwise(crate::layer::EltwiseSpec {
                        c,
                        h,
                        w,
                        inputs: if l.kind == "add" { 2 } else { 1 },
                        act,
                    })
                }
                "gap" => {
                    for (f, set) in [
                        ("k", l.k.is_some() || l.kx.is_some() || l.ky.is_some()),
                        ("s", l.s.is_some() || l.sx.is_some() || l.sy.is_some()),
                        ("pad", l.pad.is_some()),
                        ("no", l.no.is_some()),
                        ("kind", l.pool.is_some()),
                    ] {
                        if set {
                            return Err(err(f, "gap layers have no such field".into()));
                        }
                    }
                    LayerSpec::Pool(PoolSpec::global(c, h, w, crate::layer::PoolKind::Avg))
                }
                "pool" => {
                    let kx = need_k(l.kx, l.k, "kx")?;
                    let ky = need_k(l.ky, l.k, "ky")?;
                    // max pooling unless `kind` says otherwise, as in `--layer pool:...`
                    let kind = parse_kind("kind", l.pool.as_deref().unwrap_or("max"))
                        .map_err(|e| err("kind", e.to_string()))?;
                    if l.no.is_some() || l.bias.is_some() {
                        return Err(err(
                            if l.no.is_some() { "no" } else { "bias" },
                            "pooling layers have no such field".into(),
                        ));
                    }
                    LayerSpec::Pool(PoolSpec {
                        nx: w,
                        ny: h,
                        kx,
                        ky,
                        ni: l.ni.unwrap_or(c),
                        sx: l.sx.or(l.s).unwrap_or(kx),
                        sy: l.sy.or(l.s).unwrap_or(ky),
                        pad: l.pad.unwrap_or(0),
                        kind,
                    })
                }
                "class" | "classifier" | "fc" => {
                    for (f, set) in [
                        ("k", l.k.is_some() || l.kx.is_some() || l.ky.is_some()),
                        ("s", l.s.is_some() || l.sx.is_some() || l.sy.is_some()),
                        ("pad", l.pad.is_some()),
                    ] {
                        if set {
                            return Err(err(f, "classifier layers have no such field".into()));
                        }
                    }
                    let no = l.no.ok_or_else(|| err("no", "is required".into()))?;
                    let ni = l.ni.unwrap_or_else(|| {
                        (c as u64 * h as u64 * w as u64).min(u32::MAX as u64) as u32
                    });
                    LayerSpec::Classifier(ClassSpec {
                        ni,
                        no,
                        act,
                        bias: l.bias.unwrap_or(true),
                    })
                }
                other => {
                    return Err(err(
                        "type",
                        format!("unknown layer type `{other}` (conv, pool, class, add, act, gap)"),
                    ))
                }
            };
            spec.validate().map_err(|e| {
                let f = layer_error_field(&e).unwrap_or_else(|| "type".into());
                err(&f, format!("layer `{}`: {e}", l.name))
            })?;
            prev = spec.output_shape();
            prev_name = l.name.clone();
            shapes.push((l.name.clone(), prev));
            layers.push(ModelLayer {
                name: l.name.clone(),
                spec,
                inputs,
            });
        }
        if layers.is_empty() {
            return Err(ModelError::At {
                file: file.into(),
                line: 1,
                field: Some("layer".into()),
                msg: "the model has no layers".into(),
            });
        }
        Ok(Model {
            name: raw.name,
            input: (raw.input[0], raw.input[1], raw.input[2]),
            layers,
        })
    }

    /// Useful MACs per image over all layers.
    pub fn macs(&self) -> u64 {
        self.layers.iter().map(|l| l.spec.macs()).sum()
    }

    /// The layer named `name`.
    pub fn layer(&self, name: &str) -> Option<&ModelLayer> {
        self.layers.iter().find(|l| l.name == name)
    }

    /// Whether every layer has producers (the model can run on data, not
    /// only be simulated layer by layer).
    pub fn is_graph(&self) -> bool {
        self.layers.iter().all(|l| !l.inputs.is_empty())
    }

    /// Parameter bytes over all layers (16-bit words).
    pub fn param_bytes(&self) -> u64 {
        self.layers.iter().map(|l| l.spec.param_bytes()).sum()
    }

    /// Parameters (weights and biases) over all layers.
    pub fn params(&self) -> u64 {
        self.layers
            .iter()
            .map(|l| l.spec.weight_len() + l.spec.bias_len())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_parse() {
        for n in BUILTIN {
            let m = Model::load(n).unwrap_or_else(|e| panic!("{e}"));
            assert!(!m.layers.is_empty(), "{n}");
        }
    }

    #[test]
    fn known_sizes() {
        let m = Model::load("lenet5").unwrap();
        assert_eq!(m.layers.last().unwrap().spec.output_shape(), (10, 1, 1));
        let a = Model::load("alexnet").unwrap();
        let fc6 = a.layers.iter().find(|l| l.name == "fc6").unwrap();
        assert_eq!(fc6.spec.input_shape(), (9216, 1, 1));
        // AlexNet is about 724 M MACs per image
        assert!(
            (700_000_000..750_000_000).contains(&a.macs()),
            "{}",
            a.macs()
        );
        let g = Model::load("googlenet").unwrap();
        let last = g.layers.last().unwrap();
        assert_eq!(last.spec.input_shape(), (1024, 1, 1));
        // GoogLeNet is about 1.5 G MACs per image
        assert!(
            (1_400_000_000..1_700_000_000).contains(&g.macs()),
            "{}",
            g.macs()
        );
    }

    /// Useful MACs of the convolutions and classifiers only (the papers'
    /// multiply-adds; [`Model::macs`] also counts pooling windows and adds).
    fn conv_fc_macs(m: &Model) -> u64 {
        m.layers
            .iter()
            .filter(|l| matches!(l.spec, LayerSpec::Conv(_) | LayerSpec::Classifier(_)))
            .map(|l| l.spec.macs())
            .sum()
    }

    fn within(what: &str, got: u64, paper: f64, tolerance: f64) {
        let r = got as f64 / paper;
        eprintln!("{what}: {got} = {r:.4} x the paper's {paper}");
        assert!(
            (1.0 - tolerance..=1.0 + tolerance).contains(&r),
            "{what}: {got} is {r:.4} x the paper's {paper}"
        );
    }

    #[test]
    fn resnet18_matches_the_paper() {
        let m = Model::load("resnet18").unwrap();
        assert!(m.is_graph());
        assert_eq!(m.layers.last().unwrap().spec.output_shape(), (1000, 1, 1));
        assert_eq!(m.layer("gap").unwrap().spec.input_shape(), (512, 7, 7));
        assert_eq!(m.layer("pool1").unwrap().spec.output_shape(), (64, 56, 56));
        let res = m
            .layers
            .iter()
            .filter(|l| l.spec.kind_name() == "add")
            .count();
        assert_eq!(res, 8, "two basic blocks in each of four stages");
        let convs = m
            .layers
            .iter()
            .filter(|l| l.spec.kind_name() == "conv")
            .count();
        assert_eq!(
            convs,
            1 + 16 + 3,
            "conv1, 16 block convolutions, 3 projections"
        );
        assert_eq!(
            m.layer("conv3_1s").unwrap().inputs,
            ["res2_2"],
            "the projection reads the block input"
        );
        assert_eq!(m.layer("res3_1").unwrap().inputs, ["conv3_1b", "conv3_1s"]);
        // He et al. 2016, Table 1: 1.8 x 10^9 FLOPs (multiply-adds); the
        // usual parameter count (torchvision, BN folded away) is 11.7 M
        within("ResNet-18 MACs", conv_fc_macs(&m), 1.8e9, 0.03);
        within("ResNet-18 parameters", m.params(), 11.7e6, 0.03);
    }

    #[test]
    fn vgg16_matches_the_paper() {
        let m = Model::load("vgg16").unwrap();
        assert!(m.is_graph(), "every layer reads its producer");
        let kinds: Vec<&str> = m.layers.iter().map(|l| l.spec.kind_name()).collect();
        assert_eq!(kinds.iter().filter(|k| **k == "conv").count(), 13);
        assert_eq!(kinds.iter().filter(|k| **k == "pool").count(), 5);
        assert_eq!(
            m.layer("conv5_3").unwrap().spec.output_shape(),
            (512, 14, 14)
        );
        assert_eq!(m.layer("fc6").unwrap().spec.input_shape(), (25088, 1, 1));
        assert_eq!(m.layers.last().unwrap().spec.output_shape(), (1000, 1, 1));
        // Simonyan and Zisserman 2015, Table 2: 138 M parameters; 15.5 G
        // multiply-adds is the usual count (not in the paper)
        within("VGG-16 parameters", m.params(), 138e6, 0.01);
        within("VGG-16 MACs", conv_fc_macs(&m), 15.5e9, 0.01);
    }

    #[test]
    fn mobilenet_v1_matches_the_paper() {
        let m = Model::load("mobilenet_v1").unwrap();
        assert!(m.is_graph());
        assert_eq!(m.layers.last().unwrap().spec.output_shape(), (1000, 1, 1));
        assert_eq!(m.layer("gap").unwrap().spec.input_shape(), (1024, 7, 7));
        let dw: Vec<ConvSpec> = m
            .layers
            .iter()
            .filter_map(|l| match l.spec {
                LayerSpec::Conv(c) if c.groups > 1 => Some(c),
                _ => None,
            })
            .collect();
        assert_eq!(dw.len(), 13);
        assert!(dw.iter().all(|c| c.groups == c.ni && c.ni == c.no));
        let strided: Vec<u32> = dw.iter().map(|c| c.sx).collect();
        assert_eq!(strided, [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]);
        // Howard et al. 2017 (Tables 2 and 8): 569 M multiply-adds, 4.2 M parameters
        within("MobileNet v1 MACs", conv_fc_macs(&m), 569e6, 0.03);
        within("MobileNet v1 parameters", m.params(), 4.2e6, 0.03);
    }

    #[test]
    fn from_and_input_set_the_shape() {
        let t = "name = \"x\"\ninput = [3, 16, 16]\n[[layer]]\nname = \"a\"\ntype = \"conv\"\nk = 3\nno = 8\n[[layer]]\nname = \"b\"\ntype = \"pool\"\nk = 2\nkind = \"max\"\n[[layer]]\nname = \"c\"\ntype = \"conv\"\nfrom = \"a\"\nk = 1\nno = 4\n[[layer]]\nname = \"d\"\ntype = \"class\"\ninput = [2, 3, 5]\nno = 7\n";
        let m = Model::parse(t, "m.toml").unwrap();
        assert_eq!(m.layers[1].spec.output_shape(), (8, 7, 7));
        assert_eq!(m.layers[2].spec.input_shape(), (8, 14, 14));
        assert_eq!(m.layers[3].spec.input_shape(), (30, 1, 1));
        let bad = t.replace("from = \"a\"", "from = \"zz\"");
        let e = Model::parse(&bad, "m.toml").unwrap_err().to_string();
        assert!(e.starts_with("m.toml:16: field `from`"), "{e}");
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let t = "name = \"x\"\ninput = [1, 8, 8]\n\n[[layer]]\nname = \"c\"\ntype = \"conv\"\nk = 9\nno = 2\n";
        let e = Model::parse(t, "m.toml").unwrap_err().to_string();
        assert!(e.starts_with("m.toml:7: field `kx`"), "{e}");
        let t = "name = \"x\"\ninput = [1, 8, 8]\n[[layer]]\nname = \"c\"\ntype = \"conv\"\nk = 3\nnoo = 2\n";
        let e = Model::parse(t, "m.toml").unwrap_err().to_string();
        assert!(e.starts_with("m.toml:") && e.contains("noo"), "{e}");
        let t = "name = \"x\"\ninput = [1, 8, 8]\n[[layer]]\nname = \"c\"\ntype = \"conv\"\nk = \"three\"\nno = 2\n";
        let e = Model::parse(t, "m.toml").unwrap_err().to_string();
        assert!(e.starts_with("m.toml:6:"), "{e}");
        let t = "name = \"x\"\ninput = [1, 8, 8]\n[[layer]]\nname = \"c\"\ntype = \"pool\"\nk = 2\nkind = \"median\"\n";
        let e = Model::parse(t, "m.toml").unwrap_err().to_string();
        assert!(e.starts_with("m.toml:7: field `kind`"), "{e}");
    }
}
