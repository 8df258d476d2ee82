//! The trainable networks: shapes and initial weights, shared by every engine.
//!
//! Layers are convolutions (any stride, zero padding below the kernel size,
//! bias), max and average pooling (no padding; windows disjoint or
//! overlapping), global average pooling and fully connected layers (bias);
//! convolutions and fully connected layers end in identity, ReLU, sigmoid or
//! tanh. A residual add ([`TLayer::Add`]) sums the previous layer's output
//! with an earlier tensor of the same shape, then applies its activation:
//! the net stays a chain with skip connections (darknet's `[shortcut]`).
//! Tensors are in logical order: activations
//! `[batch][c][y][x]`, convolution weights `[no][ni][ky][kx]`, classifier
//! weights `[no][ni]` (the order of `firmware::Layout::pack_params`).
//!
//! [`TLayer`] is the compact, serialised description of a layer (it is
//! what checkpoints and engine fingerprints record); the geometry is
//! firmware's: [`Net::layer_specs`] turns each layer into a
//! [`firmware::LayerSpec`] on the previous layer's output, and every shape
//! and parameter length is read from those specs, never recomputed here.

use arch::activation::Activation;
/// The pooling kind of a [`TLayer::Pool`] (firmware's).
pub use firmware::PoolKind;
use firmware::{ClassSpec, ConvSpec, EltwiseSpec, LayerSpec, PoolSpec};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// One layer of a trainable network, as checkpoints record it (its
/// geometry is [`Net::layer_spec`]'s).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TLayer {
    /// Convolution with bias and an activation.
    Conv {
        /// Input maps.
        ni: usize,
        /// Output maps.
        no: usize,
        /// Square kernel size.
        k: usize,
        /// Zero padding on every side, pixels (k / 2 keeps the size; at most
        /// k - 1, so that the input gradient is a convolution).
        #[serde(default)]
        pad: usize,
        /// Stride in both directions, pixels.
        #[serde(default = "one")]
        stride: usize,
        /// Activation: identity, relu, sigmoid or tanh.
        #[serde(default = "relu")]
        act: Activation,
        /// Groups (ONNX `group`): maps split into `groups` equal parts,
        /// output part g reading input part g only; 1 = dense, `groups = ni
        /// = no` = depthwise.
        #[serde(default = "one")]
        groups: usize,
    },
    /// Pooling without padding: a square window of `k` pixels moved by
    /// `stride` (window = stride: disjoint windows; stride < window:
    /// overlapping), maximum or average.
    Pool {
        /// Maximum or average.
        kind: PoolKind,
        /// Window, pixels.
        k: usize,
        /// Stride, pixels.
        stride: usize,
    },
    /// Global average pooling: each map's mean (one window over the whole map).
    GlobalAvgPool,
    /// Fully connected with bias and an activation.
    Fc {
        /// Inputs.
        ni: usize,
        /// Outputs.
        no: usize,
        /// Activation: identity, relu, sigmoid or tanh.
        act: Activation,
    },
    /// Residual add: `act(X + S)`, X the previous layer's output and S the
    /// input of the layer `skip` places back (at layer i: the input of layer
    /// `i - skip`; [`Net::skip_source`]), of the same shape. `skip = 2`
    /// after two convolutions is ResNet's basic block. No parameters.
    Add {
        /// How many layers back the second operand is taken from (at
        /// least 1, at most the layer's index).
        skip: usize,
        /// Activation: identity, relu, sigmoid or tanh.
        act: Activation,
    },
}

fn one() -> usize {
    1
}

fn relu() -> Activation {
    Activation::Relu
}

impl TLayer {
    /// Stride-1 convolution `ni -> no` with a `k` x `k` kernel, padding
    /// `pad`, bias and ReLU.
    pub fn conv(ni: usize, no: usize, k: usize, pad: usize) -> Self {
        Self::conv_act(ni, no, k, pad, 1, Activation::Relu)
    }

    /// Dense convolution `ni -> no`, `k` x `k`, padding `pad`, stride
    /// `stride`, bias and activation `act`.
    pub fn conv_act(
        ni: usize,
        no: usize,
        k: usize,
        pad: usize,
        stride: usize,
        act: Activation,
    ) -> Self {
        TLayer::Conv {
            ni,
            no,
            k,
            pad,
            stride,
            act,
            groups: 1,
        }
    }

    /// This layer with `g` groups (a convolution; other layers are
    /// returned as they are): `g = ni = no` makes it depthwise.
    pub fn grouped(mut self, g: usize) -> Self {
        if let TLayer::Conv { groups, .. } = &mut self {
            *groups = g;
        }
        self
    }

    /// Max pooling with a `k` x `k` window and stride `k`.
    pub fn max_pool(k: usize) -> Self {
        TLayer::Pool {
            kind: PoolKind::Max,
            k,
            stride: k,
        }
    }

    /// Residual add of the input of the layer `skip` places back, then `act`.
    pub fn add(skip: usize, act: Activation) -> Self {
        TLayer::Add { skip, act }
    }

    /// Fully connected `ni -> no` with bias and activation `act`.
    pub fn fc(ni: usize, no: usize, act: Activation) -> Self {
        TLayer::Fc { ni, no, act }
    }

    /// The activations a trainable layer may have.
    pub const ACTIVATIONS: [Activation; 4] = [
        Activation::Identity,
        Activation::Relu,
        Activation::Sigmoid,
        Activation::Tanh,
    ];
}

/// A network: input shape and layers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Net {
    /// Name (`lenet5`, `micro`).
    pub name: String,
    /// Input maps, height, width.
    pub input: (usize, usize, usize),
    /// Layers in order.
    pub layers: Vec<TLayer>,
}

/// Shape `(c, h, w)` of a tensor between layers (fc: `(n, 1, 1)`).
pub type Shape = (usize, usize, usize);

impl Net {
    /// The default, LeNet-5 class: conv 5x5 1->16, pool 2, conv 5x5 16->32,
    /// pool 2, fc 512->128, fc 128->10. LeNet-5's own 6 and 16 maps reach
    /// only about 97% held-out in f32 on 8,000 digits, too close to the
    /// target; 6 maps would occupy the same 16 lanes (one Tn = 16 chunk) as
    /// 16 maps anyway (docs/training.md).
    pub fn lenet5() -> Self {
        Net {
            name: "lenet5".into(),
            input: (1, 28, 28),
            layers: vec![
                TLayer::conv(1, 16, 5, 0),
                TLayer::max_pool(2),
                TLayer::conv(16, 32, 5, 0),
                TLayer::max_pool(2),
                TLayer::fc(512, 128, Activation::Relu),
                TLayer::fc(128, 10, Activation::Identity),
            ],
        }
    }

    /// LeNet-5's own map counts: conv 5x5 1->6, pool 2, conv 5x5 6->16,
    /// pool 2, fc 256->120, fc 120->10.
    pub fn lenet5_classic() -> Self {
        Net {
            name: "lenet5-classic".into(),
            input: (1, 28, 28),
            layers: vec![
                TLayer::conv(1, 6, 5, 0),
                TLayer::max_pool(2),
                TLayer::conv(6, 16, 5, 0),
                TLayer::max_pool(2),
                TLayer::fc(256, 120, Activation::Relu),
                TLayer::fc(120, 10, Activation::Identity),
            ],
        }
    }

    /// A small network for the RTL backend: the 28x28 digit cropped to its
    /// central 8x8 block is too little, so the input is the digit reduced to
    /// 8x8 by the data loader ([`Net::input`] = (1, 8, 8)): conv 3x3 1->4,
    /// pool 2, fc 36->10.
    pub fn micro() -> Self {
        Net {
            name: "micro".into(),
            input: (1, 8, 8),
            layers: vec![
                TLayer::conv(1, 4, 3, 0),
                TLayer::max_pool(2),
                TLayer::fc(36, 10, Activation::Identity),
            ],
        }
    }

    /// For Fashion-MNIST, with padded 3x3 convolutions (VGG-style, sizes
    /// kept): conv 3x3 pad 1 1->16, pool 2, conv 3x3 pad 1 16->32, pool 2,
    /// fc 1568->128, fc 128->10 (docs/training.md).
    pub fn fashion() -> Self {
        Net {
            name: "fashion".into(),
            input: (1, 28, 28),
            layers: vec![
                TLayer::conv(1, 16, 3, 1),
                TLayer::max_pool(2),
                TLayer::conv(16, 32, 3, 1),
                TLayer::max_pool(2),
                TLayer::fc(1568, 128, Activation::Relu),
                TLayer::fc(128, 10, Activation::Identity),
            ],
        }
    }

    /// Every layer type the engines train, in one small net for 28x28
    /// images: conv 3x3 pad 1 1->8 (ReLU), conv 3x3 pad 1 stride 2 8->16
    /// (tanh, 14x14), overlapping max pool 3/2 (6x6), conv 3x3 pad 1
    /// 16->16 (sigmoid), average pool 2/2 (3x3), global average pool, fc
    /// 16->10.
    pub fn mixed() -> Self {
        Net {
            name: "mixed".into(),
            input: (1, 28, 28),
            layers: vec![
                TLayer::conv(1, 8, 3, 1),
                TLayer::conv_act(8, 16, 3, 1, 2, Activation::Tanh),
                TLayer::Pool {
                    kind: PoolKind::Max,
                    k: 3,
                    stride: 2,
                },
                TLayer::conv_act(16, 16, 3, 1, 1, Activation::Sigmoid),
                TLayer::Pool {
                    kind: PoolKind::Avg,
                    k: 2,
                    stride: 2,
                },
                TLayer::GlobalAvgPool,
                TLayer::fc(16, 10, Activation::Identity),
            ],
        }
    }

    /// Depthwise-separable convolutions (MobileNet v1's blocks) for 28x28
    /// images: conv 3x3 pad 1 1->16, depthwise 3x3 pad 1 stride 2 (14x14),
    /// conv 1x1 16->32, depthwise 3x3 pad 1 stride 2 (7x7), conv 1x1
    /// 32->64, global average pool, fc 64->10; ReLU after every convolution.
    pub fn mobile() -> Self {
        let dw = |c: usize| TLayer::conv_act(c, c, 3, 1, 2, Activation::Relu).grouped(c);
        Net {
            name: "mobile".into(),
            input: (1, 28, 28),
            layers: vec![
                TLayer::conv(1, 16, 3, 1),
                dw(16),
                TLayer::conv(16, 32, 1, 0),
                dw(32),
                TLayer::conv(32, 64, 1, 0),
                TLayer::GlobalAvgPool,
                TLayer::fc(64, 10, Activation::Identity),
            ],
        }
    }

    /// Residual blocks (ResNet's basic block: two 3x3 convolutions, the
    /// second without activation, then `relu(X + block input)`) for 28x28
    /// images: conv 3x3 pad 1 1->16, max pool 2 (14x14), block of 16 maps,
    /// conv 3x3 pad 1 stride 2 16->32 (7x7), block of 32 maps, global
    /// average pool, fc 32->10.
    pub fn residual() -> Self {
        let block = |c: usize| {
            [
                TLayer::conv(c, c, 3, 1),
                TLayer::conv_act(c, c, 3, 1, 1, Activation::Identity),
                TLayer::add(2, Activation::Relu),
            ]
        };
        let mut layers = vec![TLayer::conv(1, 16, 3, 1), TLayer::max_pool(2)];
        layers.extend(block(16));
        layers.push(TLayer::conv_act(16, 32, 3, 1, 2, Activation::Relu));
        layers.extend(block(32));
        layers.push(TLayer::GlobalAvgPool);
        layers.push(TLayer::fc(32, 10, Activation::Identity));
        Net {
            name: "residual".into(),
            input: (1, 28, 28),
            layers,
        }
    }

    /// A network by name.
    pub fn by_name(name: &str) -> Option<Self> {
        match name {
            "residual" => Some(Self::residual()),
            "fashion" => Some(Self::fashion()),
            "lenet5" => Some(Self::lenet5()),
            "lenet5-classic" => Some(Self::lenet5_classic()),
            "micro" => Some(Self::micro()),
            "mixed" => Some(Self::mixed()),
            "mobile" => Some(Self::mobile()),
            _ => None,
        }
    }

    /// Names accepted by [`Net::by_name`].
    pub const NAMES: [&'static str; 7] = [
        "lenet5",
        "lenet5-classic",
        "micro",
        "fashion",
        "mixed",
        "mobile",
        "residual",
    ];

    /// The tensor a residual add at layer `i` adds (index into
    /// [`Net::shapes`]: 0 = the net's input, j = the input of layer j), or
    /// None if layer `i` is not an add.
    pub fn skip_source(&self, i: usize) -> Option<usize> {
        match self.layers.get(i) {
            Some(TLayer::Add { skip, .. }) => Some(i - skip),
            _ => None,
        }
    }

    /// How many residual adds also read tensor `j` (the input of layer `j`):
    /// each one's gradient is summed into layer `j`'s input gradient.
    pub fn skip_readers(&self, j: usize) -> usize {
        (0..self.layers.len())
            .filter(|&i| self.skip_source(i) == Some(j))
            .count()
    }

    /// The inference layer of `l` applied to an input of shape `input`
    /// (biases as described at the top of this module); a size that
    /// does not fit firmware's 32-bit fields is an error naming it.
    fn spec_for(l: TLayer, (c, h, w): Shape) -> Result<LayerSpec, String> {
        let u = |what: &str, x: usize| {
            u32::try_from(x).map_err(|_| format!("{what} = {x} does not fit 32 bits"))
        };
        Ok(match l {
            TLayer::Conv {
                ni,
                no,
                k,
                pad,
                stride,
                act,
                groups,
            } => LayerSpec::Conv(ConvSpec {
                nx: u("width", w)?,
                ny: u("height", h)?,
                kx: u("k", k)?,
                ky: u("k", k)?,
                ni: u("ni", ni)?,
                no: u("no", no)?,
                sx: u("stride", stride)?,
                sy: u("stride", stride)?,
                pad: u("pad", pad)?,
                groups: u("groups", groups)?,
                act,
                bias: true,
            }),
            TLayer::Pool { kind, k, stride } => LayerSpec::Pool(PoolSpec {
                nx: u("width", w)?,
                ny: u("height", h)?,
                kx: u("k", k)?,
                ky: u("k", k)?,
                ni: u("maps", c)?,
                sx: u("stride", stride)?,
                sy: u("stride", stride)?,
                pad: 0,
                kind,
            }),
            TLayer::GlobalAvgPool => LayerSpec::Pool(PoolSpec::global(
                u("maps", c)?,
                u("height", h)?,
                u("width", w)?,
                PoolKind::Avg,
            )),
            TLayer::Fc { ni, no, act } => LayerSpec::Classifier(ClassSpec {
                ni: u("ni", ni)?,
                no: u("no", no)?,
                act,
                bias: true,
            }),
            TLayer::Add { act, .. } => LayerSpec::Eltwise(EltwiseSpec {
                c: u("maps", c)?,
                h: u("height", h)?,
                w: u("width", w)?,
                inputs: 2,
                act,
            }),
        })
    }

    /// Shape `(maps, height, width)` of a firmware shape.
    fn shape_of((c, h, w): (u32, u32, u32)) -> Shape {
        (c as usize, h as usize, w as usize)
    }

    /// The inference layer of every layer in order, each on the output of
    /// the one before: firmware's [`LayerSpec`] is the net's only geometry
    /// (output sizes are [`LayerSpec::output_shape`]'s). Panics on a net that
    /// [`Net::validate`] refuses (engines validate their net when built).
    pub fn layer_specs(&self) -> Vec<LayerSpec> {
        let mut input = self.input;
        self.layers
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let spec = Self::spec_for(*l, input)
                    .unwrap_or_else(|e| panic!("net `{}` layer {i}: {e}", self.name));
                input = Self::shape_of(spec.output_shape());
                spec
            })
            .collect()
    }

    /// The inference layer that runs layer `i` forward ([`Net::layer_specs`]).
    pub fn layer_spec(&self, i: usize) -> LayerSpec {
        self.layer_specs()[i]
    }

    /// Shapes `(maps, height, width)` of the input of every layer and of the
    /// output: `layers.len() + 1` entries, the net's input then each
    /// [`Net::layer_spec`]'s [`LayerSpec::output_shape`].
    pub fn shapes(&self) -> Vec<Shape> {
        std::iter::once(self.input)
            .chain(
                self.layer_specs()
                    .iter()
                    .map(|s| Self::shape_of(s.output_shape())),
            )
            .collect()
    }

    /// Classes (outputs of the last layer).
    pub fn classes(&self) -> usize {
        let (c, h, w) = *self.shapes().last().expect("non-empty");
        c * h * w
    }

    /// Check that consecutive shapes agree, that every activation is one
    /// the engines train ([`TLayer::ACTIVATIONS`]) and that every layer is
    /// one firmware accepts ([`LayerSpec::validate`]). The first problem,
    /// naming the layer.
    pub fn validate(&self) -> Result<(), String> {
        let mut input = self.input;
        let mut shapes = vec![input];
        let act_ok = |i: usize, what: &str, act: Activation| {
            if TLayer::ACTIVATIONS.contains(&act) {
                Ok(())
            } else {
                Err(format!(
                    "layer {i} ({what}): activation `{}` is not trained (identity, relu, sigmoid or tanh)",
                    act.mnemonic()
                ))
            }
        };
        for (i, l) in self.layers.iter().enumerate() {
            let (c, h, w) = input;
            let what = match *l {
                TLayer::Conv {
                    ni,
                    no,
                    k,
                    pad,
                    stride,
                    act,
                    groups,
                } => {
                    let kind = if groups > 1 && groups == ni && groups == no {
                        "dwconv".to_string()
                    } else if groups != 1 {
                        format!("conv g{groups}")
                    } else {
                        "conv".to_string()
                    };
                    let what = if stride == 1 {
                        format!("{kind} {k}x{k}")
                    } else {
                        format!("{kind} {k}x{k}/{stride}")
                    };
                    if ni != c {
                        return Err(format!("layer {i} ({what}): input is {c}x{h}x{w}"));
                    }
                    if pad >= k.max(1) {
                        return Err(format!(
                            "layer {i} ({what}): padding {pad} must be below the kernel size {k} (its input gradient is a convolution padded by k-1-pad)"
                        ));
                    }
                    act_ok(i, &what, act)?;
                    what
                }
                TLayer::Pool { kind, k, stride } => {
                    let name = match kind {
                        PoolKind::Max => "maxpool",
                        PoolKind::Avg => "avgpool",
                    };
                    format!("{name} {k}/{stride}")
                }
                TLayer::GlobalAvgPool => "global avgpool".to_string(),
                TLayer::Add { skip, act } => {
                    let what = format!("add skip {skip}");
                    if skip == 0 || skip > i {
                        return Err(format!(
                            "layer {i} ({what}): skip must be between 1 and the layer's index {i}"
                        ));
                    }
                    let (sc, sh, sw) = shapes[i - skip];
                    if shapes[i - skip] != input {
                        return Err(format!(
                            "layer {i} ({what}): input is {c}x{h}x{w}, the input of layer {} is {sc}x{sh}x{sw}",
                            i - skip
                        ));
                    }
                    act_ok(i, &what, act)?;
                    what
                }
                TLayer::Fc { ni, act, .. } => {
                    let what = "fc".to_string();
                    if ni != c * h * w {
                        return Err(format!(
                            "layer {i} ({what}): input has {} values",
                            c * h * w
                        ));
                    }
                    act_ok(i, &what, act)?;
                    what
                }
            };
            let spec = Self::spec_for(*l, input)
                .and_then(|s| s.validate().map(|_| s).map_err(|e| e.to_string()))
                .map_err(|e| format!("layer {i} ({what}): input is {c}x{h}x{w}: {e}"))?;
            input = Self::shape_of(spec.output_shape());
            shapes.push(input);
        }
        Ok(())
    }

    /// Parameter tensors `(weights, bias)` lengths of layer `i`, in values
    /// ([`LayerSpec::weight_len`], [`LayerSpec::bias_len`]; None for pooling
    /// and adds).
    pub fn param_lens(&self, i: usize) -> Option<(usize, usize)> {
        let spec = self.layer_spec(i);
        match spec {
            LayerSpec::Pool(_) | LayerSpec::Eltwise(_) => None,
            _ => Some((spec.weight_len() as usize, spec.bias_len() as usize)),
        }
    }

    /// Initial parameters, per layer (empty for pooling): He-uniform weights
    /// `U(-sqrt(6/fan_in), sqrt(6/fan_in))`, zero biases, drawn from ChaCha8 with `seed`.
    pub fn init(&self, seed: u64) -> Vec<(Vec<f32>, Vec<f32>)> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..self.layers.len())
            .map(|i| match (self.param_lens(i), self.layers[i]) {
                (Some((wl, bl)), l) => {
                    let fan_in = match l {
                        TLayer::Conv { ni, k, groups, .. } => ni / groups.max(1) * k * k,
                        TLayer::Fc { ni, .. } => ni,
                        TLayer::Pool { .. } | TLayer::GlobalAvgPool | TLayer::Add { .. } => 1,
                    };
                    let lim = (6.0 / fan_in as f64).sqrt() as f32;
                    let w = (0..wl).map(|_| rng.gen_range(-lim..lim)).collect();
                    (w, vec![0.0; bl])
                }
                _ => (Vec::new(), Vec::new()),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenet5_shapes() {
        let n = Net::lenet5();
        n.validate().unwrap();
        let s = n.shapes();
        assert_eq!(s[1], (16, 24, 24));
        assert_eq!(s[2], (16, 12, 12));
        assert_eq!(Net::lenet5_classic().shapes()[2], (6, 12, 12));
        Net::lenet5_classic().validate().unwrap();
        assert_eq!(s[4], (32, 4, 4));
        assert_eq!(n.classes(), 10);
        Net::micro().validate().unwrap();
        assert_eq!(Net::micro().shapes()[2], (4, 3, 3));
    }

    /// The net has no geometry of its own: every shape is firmware's
    /// (`LayerSpec::input_shape` / `output_shape` of `layer_spec`), and so
    /// are the parameter lengths.
    #[test]
    fn shapes_are_the_layer_specs_shapes() {
        let u = |(c, h, w): (u32, u32, u32)| (c as usize, h as usize, w as usize);
        for name in Net::NAMES {
            let n = Net::by_name(name).unwrap();
            n.validate().unwrap();
            let s = n.shapes();
            assert_eq!(s.len(), n.layers.len() + 1);
            assert_eq!(s[0], n.input);
            for i in 0..n.layers.len() {
                let spec = n.layer_spec(i);
                spec.validate().unwrap();
                if let LayerSpec::Classifier(_) = spec {
                    // a classifier reads its input flattened
                    let (c, h, w) = s[i];
                    assert_eq!(spec.input_len() as usize, c * h * w, "{name} layer {i}");
                } else {
                    assert_eq!(u(spec.input_shape()), s[i], "{name} layer {i}");
                }
                assert_eq!(u(spec.output_shape()), s[i + 1], "{name} layer {i}");
                let lens = (spec.weight_len() as usize, spec.bias_len() as usize);
                match n.layers[i] {
                    TLayer::Pool { .. } | TLayer::GlobalAvgPool | TLayer::Add { .. } => {
                        assert_eq!(n.param_lens(i), None)
                    }
                    _ => assert_eq!(n.param_lens(i), Some(lens)),
                }
            }
        }
    }

    #[test]
    fn validate_names_the_layer() {
        let mut n = Net::micro();
        n.layers[0] = TLayer::conv(1, 4, 9, 0);
        let e = n.validate().unwrap_err();
        assert!(
            e.starts_with("layer 0 (conv 9x9): input is 1x8x8: field `kx`"),
            "{e}"
        );
        let mut n = Net::micro();
        n.layers[1] = TLayer::max_pool(7);
        let e = n.validate().unwrap_err();
        assert!(
            e.starts_with("layer 1 (maxpool 7/7): input is 4x6x6: "),
            "{e}"
        );
        let mut n = Net::micro();
        n.layers[0] = TLayer::conv_act(1, 4, 3, 3, 1, Activation::Relu);
        let e = n.validate().unwrap_err();
        assert!(
            e.starts_with("layer 0 (conv 3x3): padding 3 must be below"),
            "{e}"
        );
        let mut n = Net::micro();
        n.layers[2] = TLayer::fc(36, 10, Activation::ReluDeriv);
        assert_eq!(
            n.validate().unwrap_err(),
            "layer 2 (fc): activation `drelu` is not trained (identity, relu, sigmoid or tanh)"
        );
        let mut n = Net::micro();
        n.layers[2] = TLayer::fc(35, 10, Activation::Identity);
        assert_eq!(
            n.validate().unwrap_err(),
            "layer 2 (fc): input has 36 values"
        );
    }

    #[test]
    fn residual_adds_are_checked_and_located() {
        let n = Net::residual();
        n.validate().unwrap();
        // the first block: conv at 2, conv at 3, add at 4 reading the input of layer 2
        assert_eq!(n.skip_source(4), Some(2));
        assert_eq!(n.skip_readers(2), 1);
        assert_eq!(n.skip_readers(3), 0);
        assert_eq!(n.skip_source(3), None);
        assert_eq!(n.param_lens(4), None);
        let mut bad = Net::micro();
        bad.layers.insert(1, TLayer::add(1, Activation::Relu));
        assert_eq!(
            bad.validate().unwrap_err(),
            "layer 1 (add skip 1): input is 4x6x6, the input of layer 0 is 1x8x8"
        );
        bad.layers[1] = TLayer::add(2, Activation::Relu);
        assert_eq!(
            bad.validate().unwrap_err(),
            "layer 1 (add skip 2): skip must be between 1 and the layer's index 1"
        );
        bad.layers[1] = TLayer::add(0, Activation::Relu);
        assert!(bad.validate().unwrap_err().contains("skip must be"));
        let mut n = Net::residual();
        n.layers[4] = TLayer::add(2, Activation::ReluDeriv);
        assert!(n
            .validate()
            .unwrap_err()
            .starts_with("layer 4 (add skip 2): activation `drelu`"));
    }

    #[test]
    fn init_is_deterministic() {
        let n = Net::lenet5();
        assert_eq!(n.init(7), n.init(7));
        assert_ne!(n.init(7)[0].0, n.init(8)[0].0);
    }
}
