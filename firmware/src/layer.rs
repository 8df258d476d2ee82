//! Layer descriptions: convolution, pooling and classifier layers.
//!
//! Sizes follow DianNao's notation: `nx`, `ny` input width and height, `kx`,
//! `ky` kernel (window) size, `ni` input maps, `no` output maps, `sx`, `sy`
//! strides, `pad` a zero border on every side. Output sizes follow Caffe's
//! floor convention for every layer type: `ox = (nx + 2 pad - kx) / sx + 1`
//! (Caffe's pooling layers round up; here they round down).
//!
//! CLI syntax ([`LayerSpec::from_str`]):
//! `conv:nx=..,ny=..,kx=..,ky=..,ni=..,no=..[,sx=..,sy=..,s=..,pad=..,act=relu,bias=0|1]`,
//! `pool:nx=..,ny=..,kx=..,ky=..,ni=..[,sx=..,sy=..,s=..,pad=..,kind=max|avg]`
//! (`kind` defaults to `max`),
//! `class:ni=..,no=..[,act=..,bias=0|1]`, `add:c=..,h=..,w=..[,act=..]` (two
//! operands), `act:c=..,h=..,w=..,act=..` (one). A convolution takes
//! `groups=` (default 1; `groups = ni = no` is depthwise). `k=` sets both `kx` and `ky`, `s=`
//! both strides. Defaults: conv stride 1, pool stride = window, pad 0,
//! act identity, bias on.

use arch::activation::Activation;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// Pooling function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PoolKind {
    /// Maximum over the window (padding never wins: it is materialised as the most negative word).
    Max,
    /// Sum over the window (zero padding included) times round(2^15 / (kx*ky)), rounded by 15 bits.
    Avg,
}

/// A convolutional layer with shared kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConvSpec {
    /// Input width (pixels).
    pub nx: u32,
    /// Input height (pixels).
    pub ny: u32,
    /// Kernel width.
    pub kx: u32,
    /// Kernel height.
    pub ky: u32,
    /// Input maps.
    pub ni: u32,
    /// Output maps.
    pub no: u32,
    /// Horizontal stride.
    pub sx: u32,
    /// Vertical stride.
    pub sy: u32,
    /// Zero border on every side (pixels).
    pub pad: u32,
    /// Activation applied by NFU-3.
    pub act: Activation,
    /// Whether the layer adds a bias per output map.
    pub bias: bool,
    /// Groups (ONNX `group`): input and output maps split into `groups`
    /// equal parts, output part g reading only input part g. 1 = dense;
    /// `groups = ni = no` is a depthwise convolution.
    #[serde(default = "one")]
    pub groups: u32,
}

fn one() -> u32 {
    1
}

/// An element-wise layer over `inputs` tensors of one shape: with two
/// inputs `act(A + B)` (a residual add), with one `act(A)` (an activation
/// that could not be fused into its producer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EltwiseSpec {
    /// Maps.
    pub c: u32,
    /// Height (pixels; 1 for a vector).
    pub h: u32,
    /// Width (pixels; 1 for a vector).
    pub w: u32,
    /// Operand tensors: 2 (add) or 1 (activation only).
    pub inputs: u32,
    /// Activation applied by NFU-3 to the sum.
    pub act: Activation,
}

/// A pooling layer (each map pooled separately).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PoolSpec {
    /// Input width (pixels).
    pub nx: u32,
    /// Input height (pixels).
    pub ny: u32,
    /// Window width.
    pub kx: u32,
    /// Window height.
    pub ky: u32,
    /// Maps (input = output).
    pub ni: u32,
    /// Horizontal stride.
    pub sx: u32,
    /// Vertical stride.
    pub sy: u32,
    /// Border on every side (pixels).
    pub pad: u32,
    /// Max or average.
    pub kind: PoolKind,
}

impl PoolSpec {
    /// Global pooling of `c` maps of `h` x `w`: one window over the whole
    /// map (stride 1, no padding), ONNX's GlobalAveragePool / GlobalMaxPool.
    pub fn global(c: u32, h: u32, w: u32, kind: PoolKind) -> Self {
        PoolSpec {
            nx: w,
            ny: h,
            kx: w,
            ky: h,
            ni: c,
            sx: 1,
            sy: 1,
            pad: 0,
            kind,
        }
    }
}

/// The sliding window of a convolution or pooling layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Width.
    pub kx: u32,
    /// Height.
    pub ky: u32,
    /// Horizontal stride.
    pub sx: u32,
    /// Vertical stride.
    pub sy: u32,
    /// Border on every side (pixels).
    pub pad: u32,
}

/// A fully connected (classifier) layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClassSpec {
    /// Inputs.
    pub ni: u32,
    /// Outputs.
    pub no: u32,
    /// Activation applied by NFU-3.
    pub act: Activation,
    /// Whether the layer adds a bias per output.
    pub bias: bool,
}

/// One layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LayerSpec {
    /// Convolution.
    Conv(ConvSpec),
    /// Pooling.
    Pool(PoolSpec),
    /// Classifier.
    Classifier(ClassSpec),
    /// Element-wise add or activation.
    Eltwise(EltwiseSpec),
}

/// Why a layer description is invalid; names the field.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum LayerError {
    /// A size is zero.
    #[error("field `{field}` must be at least 1")]
    Zero {
        /// The field.
        field: &'static str,
    },
    /// The kernel does not fit the padded input.
    #[error("field `{field}`: kernel {kernel} is larger than the padded input {padded}")]
    KernelTooLarge {
        /// `kx` or `ky`.
        field: &'static str,
        /// Kernel size.
        kernel: u32,
        /// Input size plus twice the padding.
        padded: u64,
    },
    /// The padding is not smaller than the kernel (every window must see the input).
    #[error("field `pad`: {pad} must be smaller than the kernel ({kernel})")]
    PadTooLarge {
        /// Padding.
        pad: u32,
        /// Smaller kernel side.
        kernel: u32,
    },
    /// A tensor is too large for 32-bit DRAM addresses.
    #[error("field `{field}`: the {what} needs {bytes} bytes, more than 32-bit addresses reach")]
    TooLarge {
        /// The field that makes it too large.
        field: &'static str,
        /// Which tensor.
        what: &'static str,
        /// Bytes needed (16-bit words).
        bytes: u64,
    },
    /// CLI syntax error.
    #[error("{0}")]
    Syntax(String),
    /// A key is missing.
    #[error("field `{0}` is required")]
    Missing(&'static str),
    /// A key is not known for this layer type.
    #[error("unknown field `{key}` for a {kind} layer")]
    UnknownField {
        /// The key.
        key: String,
        /// Layer type.
        kind: &'static str,
    },
    /// The groups do not divide the maps.
    #[error("field `groups`: {groups} does not divide ni = {ni} and no = {no}")]
    Groups {
        /// Groups.
        groups: u32,
        /// Input maps.
        ni: u32,
        /// Output maps.
        no: u32,
    },
    /// A value does not parse.
    #[error("field `{field}`: cannot parse `{value}`")]
    BadValue {
        /// The key.
        field: String,
        /// The text.
        value: String,
    },
}

/// Output size along one axis (Caffe floor convention). Assumes a validated layer.
pub fn out_size(n: u32, k: u32, s: u32, pad: u32) -> u32 {
    ((n as u64 + 2 * pad as u64 - k as u64) / s as u64 + 1) as u32
}

const U32_BYTES: u64 = 1 << 32;

fn check_bytes(field: &'static str, what: &'static str, words: u64) -> Result<(), LayerError> {
    let bytes = words.saturating_mul(2);
    if bytes >= U32_BYTES {
        return Err(LayerError::TooLarge { field, what, bytes });
    }
    Ok(())
}

fn check_window(nx: u32, ny: u32, kx: u32, ky: u32, pad: u32) -> Result<(), LayerError> {
    for (field, n, k) in [("kx", nx, kx), ("ky", ny, ky)] {
        let padded = n as u64 + 2 * pad as u64;
        if k as u64 > padded {
            return Err(LayerError::KernelTooLarge {
                field,
                kernel: k,
                padded,
            });
        }
    }
    if pad > 0 && pad >= kx.min(ky) {
        return Err(LayerError::PadTooLarge {
            pad,
            kernel: kx.min(ky),
        });
    }
    Ok(())
}

impl LayerSpec {
    /// Check every field; the error names the offending one.
    pub fn validate(&self) -> Result<(), LayerError> {
        // every size, in field order: the first zero one is reported
        let sizes: Vec<(&'static str, u32)> = match self {
            LayerSpec::Conv(c) => vec![
                ("nx", c.nx),
                ("ny", c.ny),
                ("kx", c.kx),
                ("ky", c.ky),
                ("ni", c.ni),
                ("no", c.no),
                ("sx", c.sx),
                ("sy", c.sy),
            ],
            LayerSpec::Pool(p) => vec![
                ("nx", p.nx),
                ("ny", p.ny),
                ("kx", p.kx),
                ("ky", p.ky),
                ("ni", p.ni),
                ("sx", p.sx),
                ("sy", p.sy),
            ],
            LayerSpec::Classifier(c) => vec![("ni", c.ni), ("no", c.no)],
            LayerSpec::Eltwise(e) => vec![("c", e.c), ("h", e.h), ("w", e.w), ("inputs", e.inputs)],
        };
        if let Some(&(field, _)) = sizes.iter().find(|(_, v)| *v == 0) {
            return Err(LayerError::Zero { field });
        }
        if let LayerSpec::Conv(c) = self {
            if c.groups == 0 {
                return Err(LayerError::Zero { field: "groups" });
            }
            if c.ni % c.groups != 0 || c.no % c.groups != 0 {
                return Err(LayerError::Groups {
                    groups: c.groups,
                    ni: c.ni,
                    no: c.no,
                });
            }
        }
        if let LayerSpec::Eltwise(e) = self {
            if e.inputs > 2 {
                return Err(LayerError::Syntax(format!(
                    "field `inputs`: {} operands (an element-wise layer takes 1 or 2)",
                    e.inputs
                )));
            }
            check_bytes("c", "operands", self.input_len())?;
        }
        if let Some(w) = self.window() {
            let (ni, ny, nx) = self.input_shape();
            check_window(nx, ny, w.kx, w.ky, w.pad)?;
            let px = nx as u64 + 2 * w.pad as u64;
            let py = ny as u64 + 2 * w.pad as u64;
            // saturating: the fuzzer's 10^9 x 10^9 x 10^6 inputs overflowed
            check_bytes(
                "nx",
                "padded input",
                px.saturating_mul(py).saturating_mul(ni as u64),
            )?;
        }
        // these two can only fail for a convolution: a pooling layer has no
        // weights and an output no larger than its padded input, a
        // classifier an output no larger than its weights
        check_bytes("no", "weights", self.weight_len())?;
        check_bytes("no", "output", self.output_len())?;
        Ok(())
    }

    /// The sliding window of a convolution or pooling layer (`None` for a classifier).
    pub fn window(&self) -> Option<Window> {
        match self {
            LayerSpec::Conv(c) => Some(Window {
                kx: c.kx,
                ky: c.ky,
                sx: c.sx,
                sy: c.sy,
                pad: c.pad,
            }),
            LayerSpec::Pool(p) => Some(Window {
                kx: p.kx,
                ky: p.ky,
                sx: p.sx,
                sy: p.sy,
                pad: p.pad,
            }),
            LayerSpec::Classifier(_) | LayerSpec::Eltwise(_) => None,
        }
    }

    /// Short type name (`conv`, `pool`, `class`, `add`, `act`).
    pub fn kind_name(&self) -> &'static str {
        match self {
            LayerSpec::Conv(_) => "conv",
            LayerSpec::Pool(_) => "pool",
            LayerSpec::Classifier(_) => "class",
            LayerSpec::Eltwise(e) if e.inputs == 1 => "act",
            LayerSpec::Eltwise(_) => "add",
        }
    }

    /// Input shape `(maps, height, width)` of one image (classifier: `(ni, 1, 1)`;
    /// element-wise: the shape of one operand).
    pub fn input_shape(&self) -> (u32, u32, u32) {
        match self {
            LayerSpec::Conv(c) => (c.ni, c.ny, c.nx),
            LayerSpec::Pool(p) => (p.ni, p.ny, p.nx),
            LayerSpec::Classifier(c) => (c.ni, 1, 1),
            LayerSpec::Eltwise(e) => (e.c, e.h, e.w),
        }
    }

    /// The activation NFU-3 applies (identity for pooling).
    pub fn act(&self) -> Activation {
        match self {
            LayerSpec::Conv(c) => c.act,
            LayerSpec::Classifier(c) => c.act,
            LayerSpec::Eltwise(e) => e.act,
            LayerSpec::Pool(_) => Activation::Identity,
        }
    }

    /// Operand tensors of one image (2 for an add, else 1).
    pub fn operands(&self) -> u32 {
        match self {
            LayerSpec::Eltwise(e) => e.inputs,
            _ => 1,
        }
    }

    /// Output shape `(maps, height, width)` of one image (classifier: `(no, 1, 1)`).
    pub fn output_shape(&self) -> (u32, u32, u32) {
        let maps = match self {
            LayerSpec::Conv(c) => c.no,
            LayerSpec::Pool(p) => p.ni,
            LayerSpec::Classifier(c) => c.no,
            LayerSpec::Eltwise(e) => return (e.c, e.h, e.w),
        };
        match self.window() {
            Some(w) => {
                let (_, ny, nx) = self.input_shape();
                (
                    maps,
                    out_size(ny, w.ky, w.sy, w.pad),
                    out_size(nx, w.kx, w.sx, w.pad),
                )
            }
            None => (maps, 1, 1),
        }
    }

    /// Input values per image (`ni * ny * nx`; element-wise: every operand,
    /// stored `[operand][c][h][w]`).
    pub fn input_len(&self) -> u64 {
        let (c, h, w) = self.input_shape();
        c as u64 * h as u64 * w as u64 * self.operands() as u64
    }

    /// Output values per image (`no * oy * ox`).
    pub fn output_len(&self) -> u64 {
        let (c, h, w) = self.output_shape();
        c as u64 * h as u64 * w as u64
    }

    /// Weight values (`no * ni/groups * ky * kx`, ONNX's `[no][ni/groups][ky][kx]`;
    /// 0 for pooling and element-wise layers).
    pub fn weight_len(&self) -> u64 {
        match self {
            LayerSpec::Conv(c) => {
                c.no as u64 * (c.ni / c.groups.max(1)) as u64 * c.ky as u64 * c.kx as u64
            }
            LayerSpec::Pool(_) | LayerSpec::Eltwise(_) => 0,
            LayerSpec::Classifier(c) => c.no as u64 * c.ni as u64,
        }
    }

    /// Bias values (`no` if the layer has a bias, else 0).
    pub fn bias_len(&self) -> u64 {
        match self {
            LayerSpec::Conv(c) if c.bias => c.no as u64,
            LayerSpec::Classifier(c) if c.bias => c.no as u64,
            _ => 0,
        }
    }

    /// Parameter bytes (weights and biases, 16-bit words).
    pub fn param_bytes(&self) -> u64 {
        2 * (self.weight_len() + self.bias_len())
    }

    /// Activation bytes per image (input plus output, 16-bit words, unpadded).
    pub fn activation_bytes(&self) -> u64 {
        2 * (self.input_len() + self.output_len())
    }

    /// Useful multiply-accumulates per image (pooling: window operations,
    /// `oy * ox * ni * ky * kx`; element-wise: output elements).
    pub fn macs(&self) -> u64 {
        let (no, oy, ox) = self.output_shape();
        let o = oy as u64 * ox as u64;
        match self {
            LayerSpec::Conv(c) => {
                o * no as u64 * (c.ni / c.groups.max(1)) as u64 * c.ky as u64 * c.kx as u64
            }
            LayerSpec::Eltwise(_) => o * no as u64,
            LayerSpec::Pool(p) => o * p.ni as u64 * p.ky as u64 * p.kx as u64,
            LayerSpec::Classifier(c) => c.ni as u64 * c.no as u64,
        }
    }
}

fn parse_u32(field: &str, v: &str) -> Result<u32, LayerError> {
    v.trim().parse::<u32>().map_err(|_| LayerError::BadValue {
        field: field.into(),
        value: v.into(),
    })
}

fn parse_bool(field: &str, v: &str) -> Result<bool, LayerError> {
    match v.trim() {
        "1" | "true" | "yes" => Ok(true),
        "0" | "false" | "no" => Ok(false),
        _ => Err(LayerError::BadValue {
            field: field.into(),
            value: v.into(),
        }),
    }
}

/// Parse an activation name ([`Activation::mnemonic`]; `none`/`linear` mean identity).
pub fn parse_act(field: &str, v: &str) -> Result<Activation, LayerError> {
    match v.trim() {
        "none" | "linear" => Ok(Activation::Identity),
        s => Activation::from_mnemonic(s).ok_or_else(|| LayerError::BadValue {
            field: field.into(),
            value: v.into(),
        }),
    }
}

/// Parse a pooling kind (`max` or `avg`).
pub fn parse_kind(field: &str, v: &str) -> Result<PoolKind, LayerError> {
    match v.trim() {
        "max" => Ok(PoolKind::Max),
        "avg" | "ave" | "average" => Ok(PoolKind::Avg),
        _ => Err(LayerError::BadValue {
            field: field.into(),
            value: v.into(),
        }),
    }
}

struct Kv(BTreeMap<String, String>);

impl Kv {
    fn take(&mut self, k: &str) -> Option<String> {
        self.0.remove(k)
    }
    fn u32_req(&mut self, k: &'static str) -> Result<u32, LayerError> {
        let v = self.take(k).ok_or(LayerError::Missing(k))?;
        parse_u32(k, &v)
    }
    fn u32_opt(&mut self, k: &'static str) -> Result<Option<u32>, LayerError> {
        self.take(k).map(|v| parse_u32(k, &v)).transpose()
    }
    /// `kx`/`ky` with `k` as a shorthand for both.
    fn pair(
        &mut self,
        both: &'static str,
        x: &'static str,
        y: &'static str,
        default: Option<u32>,
    ) -> Result<(u32, u32), LayerError> {
        let b = self.u32_opt(both)?;
        let vx = self
            .u32_opt(x)?
            .or(b)
            .or(default)
            .ok_or(LayerError::Missing(x))?;
        let vy = self
            .u32_opt(y)?
            .or(b)
            .or(default)
            .ok_or(LayerError::Missing(y))?;
        Ok((vx, vy))
    }
    /// `act` (default identity) and `bias` (default true) of a conv or classifier.
    fn act_bias(&mut self) -> Result<(Activation, bool), LayerError> {
        let act = self
            .take("act")
            .map(|v| parse_act("act", &v))
            .transpose()?
            .unwrap_or(Activation::Identity);
        let bias = self
            .take("bias")
            .map(|v| parse_bool("bias", &v))
            .transpose()?
            .unwrap_or(true);
        Ok((act, bias))
    }

    fn finish(self, kind: &'static str) -> Result<(), LayerError> {
        match self.0.into_keys().next() {
            Some(key) => Err(LayerError::UnknownField { key, kind }),
            None => Ok(()),
        }
    }
}

impl FromStr for LayerSpec {
    type Err = LayerError;
    /// Parse the CLI syntax (see the module documentation) and validate.
    fn from_str(s: &str) -> Result<Self, LayerError> {
        let (kind, rest) = s.split_once(':').ok_or_else(|| {
            LayerError::Syntax(format!(
                "`{s}`: expected `conv:`, `pool:` or `class:` followed by key=value pairs"
            ))
        })?;
        let mut kv = Kv(BTreeMap::new());
        for part in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| LayerError::Syntax(format!("`{part}`: expected key=value")))?;
            if kv
                .0
                .insert(k.trim().to_string(), v.trim().to_string())
                .is_some()
            {
                return Err(LayerError::Syntax(format!(
                    "field `{}` given twice",
                    k.trim()
                )));
            }
        }
        let spec = match kind.trim() {
            "conv" => {
                let (nx, ny) = (kv.u32_req("nx")?, kv.u32_req("ny")?);
                let (kx, ky) = kv.pair("k", "kx", "ky", None)?;
                let (ni, no) = (kv.u32_req("ni")?, kv.u32_req("no")?);
                let (sx, sy) = kv.pair("s", "sx", "sy", Some(1))?;
                let pad = kv.u32_opt("pad")?.unwrap_or(0);
                let groups = kv.u32_opt("groups")?.unwrap_or(1);
                let (act, bias) = kv.act_bias()?;
                kv.finish("conv")?;
                LayerSpec::Conv(ConvSpec {
                    nx,
                    ny,
                    kx,
                    ky,
                    ni,
                    no,
                    sx,
                    sy,
                    pad,
                    act,
                    bias,
                    groups,
                })
            }
            "pool" => {
                let (nx, ny) = (kv.u32_req("nx")?, kv.u32_req("ny")?);
                let (kx, ky) = kv.pair("k", "kx", "ky", None)?;
                let ni = kv.u32_req("ni")?;
                let b = kv.u32_opt("s")?;
                let sx = kv.u32_opt("sx")?.or(b).unwrap_or(kx);
                let sy = kv.u32_opt("sy")?.or(b).unwrap_or(ky);
                let pad = kv.u32_opt("pad")?.unwrap_or(0);
                // max pooling unless `kind=` says otherwise
                let kind = match kv.take("kind") {
                    Some(k) => parse_kind("kind", &k)?,
                    None => PoolKind::Max,
                };
                kv.finish("pool")?;
                LayerSpec::Pool(PoolSpec {
                    nx,
                    ny,
                    kx,
                    ky,
                    ni,
                    sx,
                    sy,
                    pad,
                    kind,
                })
            }
            "class" | "classifier" | "fc" => {
                let (ni, no) = (kv.u32_req("ni")?, kv.u32_req("no")?);
                let (act, bias) = kv.act_bias()?;
                kv.finish("class")?;
                LayerSpec::Classifier(ClassSpec { ni, no, act, bias })
            }
            k @ ("add" | "act") => {
                let (c, h, w) = (kv.u32_req("c")?, kv.u32_opt("h")?, kv.u32_opt("w")?);
                let act = kv
                    .take("act")
                    .map(|v| parse_act("act", &v))
                    .transpose()?
                    .unwrap_or(Activation::Identity);
                kv.finish(if k == "add" { "add" } else { "act" })?;
                LayerSpec::Eltwise(EltwiseSpec {
                    c,
                    h: h.unwrap_or(1),
                    w: w.unwrap_or(1),
                    inputs: if k == "add" { 2 } else { 1 },
                    act,
                })
            }
            other => {
                return Err(LayerError::Syntax(format!(
                    "unknown layer type `{other}` (conv, pool, class, add, act)"
                )))
            }
        };
        spec.validate()?;
        Ok(spec)
    }
}

impl fmt::Display for LayerSpec {
    /// The CLI syntax (round-trips through [`LayerSpec::from_str`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayerSpec::Conv(c) => write!(
                f,
                "conv:nx={},ny={},kx={},ky={},ni={},no={},sx={},sy={},pad={},act={},bias={}{}",
                c.nx,
                c.ny,
                c.kx,
                c.ky,
                c.ni,
                c.no,
                c.sx,
                c.sy,
                c.pad,
                c.act.mnemonic(),
                c.bias as u8,
                if c.groups > 1 {
                    format!(",groups={}", c.groups)
                } else {
                    String::new()
                }
            ),
            LayerSpec::Pool(p) => write!(
                f,
                "pool:nx={},ny={},kx={},ky={},ni={},sx={},sy={},pad={},kind={}",
                p.nx,
                p.ny,
                p.kx,
                p.ky,
                p.ni,
                p.sx,
                p.sy,
                p.pad,
                match p.kind {
                    PoolKind::Max => "max",
                    PoolKind::Avg => "avg",
                }
            ),
            LayerSpec::Classifier(c) => write!(
                f,
                "class:ni={},no={},act={},bias={}",
                c.ni,
                c.no,
                c.act.mnemonic(),
                c.bias as u8
            ),
            LayerSpec::Eltwise(e) => write!(
                f,
                "{}:c={},h={},w={},act={}",
                self.kind_name(),
                e.c,
                e.h,
                e.w,
                e.act.mnemonic()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_padded_inputs_are_refused_not_overflowed() {
        // AFL (scalesim_csv): 10^9 x 10^9 x 10^6 overflowed u64
        let e = "conv:nx=1000000005,ny=1000000005,k=1,ni=1111110,no=1"
            .parse::<LayerSpec>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("padded input"), "{e}");
    }

    #[test]
    fn parse_and_roundtrip() {
        let l: LayerSpec = "conv:nx=500,ny=375,kx=9,ky=9,ni=32,no=48,act=relu"
            .parse()
            .unwrap();
        assert_eq!(l.output_shape(), (48, 367, 492));
        assert_eq!(l.to_string().parse::<LayerSpec>().unwrap(), l);
        let p: LayerSpec = "pool:nx=492,ny=367,k=2,ni=12,kind=max".parse().unwrap();
        assert_eq!(p.output_shape(), (12, 183, 246));
        assert_eq!(p.to_string().parse::<LayerSpec>().unwrap(), p);
        let c: LayerSpec = "class:ni=2560,no=2560,act=sigmoid".parse().unwrap();
        assert_eq!(c.macs(), 2560 * 2560);
        assert_eq!(c.to_string().parse::<LayerSpec>().unwrap(), c);
    }

    #[test]
    fn errors_name_the_field() {
        let e = "conv:nx=5,ny=5,kx=7,ky=3,ni=1,no=1"
            .parse::<LayerSpec>()
            .unwrap_err();
        assert!(
            matches!(e, LayerError::KernelTooLarge { field: "kx", .. }),
            "{e}"
        );
        let e = "conv:nx=5,ny=5,kx=3,ky=3,ni=1,no=1,sy=0"
            .parse::<LayerSpec>()
            .unwrap_err();
        assert_eq!(e, LayerError::Zero { field: "sy" });
        let e = "conv:nx=5,ny=5,kx=3,ky=3,ni=0,no=1"
            .parse::<LayerSpec>()
            .unwrap_err();
        assert_eq!(e, LayerError::Zero { field: "ni" });
        let e = "conv:nx=65536,ny=65536,kx=3,ky=3,ni=4,no=1"
            .parse::<LayerSpec>()
            .unwrap_err();
        assert!(matches!(e, LayerError::TooLarge { field: "nx", .. }), "{e}");
        // `kind` defaults to max
        let p = "pool:nx=5,ny=5,k=2,ni=1".parse::<LayerSpec>().unwrap();
        assert!(
            matches!(
                p,
                LayerSpec::Pool(PoolSpec {
                    kind: PoolKind::Max,
                    ..
                })
            ),
            "{p:?}"
        );
        let e = "pool:nx=5,ny=5,k=2,ni=1,kind=min"
            .parse::<LayerSpec>()
            .unwrap_err();
        assert!(e.to_string().contains("kind"), "{e}");
        let e = "class:ni=5,no=5,foo=1".parse::<LayerSpec>().unwrap_err();
        assert!(e.to_string().contains("foo"), "{e}");
        let e = "class:ni=x,no=5".parse::<LayerSpec>().unwrap_err();
        assert!(e.to_string().contains("`ni`"), "{e}");
    }
}
