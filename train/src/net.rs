//! The trainable networks: shapes and initial weights, shared by every engine.
//!
//! Layers are convolutions (stride 1, no padding, bias, ReLU), max pooling
//! (window = stride, no padding) and fully connected layers (bias; ReLU on
//! all but the last). Tensors are in logical order: activations
//! `[batch][c][y][x]`, convolution weights `[no][ni][ky][kx]`, classifier
//! weights `[no][ni]` (the order of `firmware::Layout::pack_params`).

use arch::activation::Activation;
use firmware::{ClassSpec, ConvSpec, LayerSpec, PoolKind, PoolSpec};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// One layer of a trainable network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TLayer {
    /// Convolution, stride 1, no padding, with bias and ReLU.
    Conv {
        /// Input maps.
        ni: usize,
        /// Output maps.
        no: usize,
        /// Square kernel size.
        k: usize,
    },
    /// Max pooling with a square window equal to its stride.
    MaxPool {
        /// Window and stride.
        k: usize,
    },
    /// Fully connected with bias; `relu` on hidden layers.
    Fc {
        /// Inputs.
        ni: usize,
        /// Outputs.
        no: usize,
        /// Apply ReLU.
        relu: bool,
    },
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
                TLayer::Conv {
                    ni: 1,
                    no: 16,
                    k: 5,
                },
                TLayer::MaxPool { k: 2 },
                TLayer::Conv {
                    ni: 16,
                    no: 32,
                    k: 5,
                },
                TLayer::MaxPool { k: 2 },
                TLayer::Fc {
                    ni: 512,
                    no: 128,
                    relu: true,
                },
                TLayer::Fc {
                    ni: 128,
                    no: 10,
                    relu: false,
                },
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
                TLayer::Conv { ni: 1, no: 6, k: 5 },
                TLayer::MaxPool { k: 2 },
                TLayer::Conv {
                    ni: 6,
                    no: 16,
                    k: 5,
                },
                TLayer::MaxPool { k: 2 },
                TLayer::Fc {
                    ni: 256,
                    no: 120,
                    relu: true,
                },
                TLayer::Fc {
                    ni: 120,
                    no: 10,
                    relu: false,
                },
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
                TLayer::Conv { ni: 1, no: 4, k: 3 },
                TLayer::MaxPool { k: 2 },
                TLayer::Fc {
                    ni: 36,
                    no: 10,
                    relu: false,
                },
            ],
        }
    }

    /// A network by name.
    pub fn by_name(name: &str) -> Option<Self> {
        match name {
            "lenet5" => Some(Self::lenet5()),
            "lenet5-classic" => Some(Self::lenet5_classic()),
            "micro" => Some(Self::micro()),
            _ => None,
        }
    }

    /// Names accepted by [`Net::by_name`].
    pub const NAMES: [&'static str; 3] = ["lenet5", "lenet5-classic", "micro"];

    /// Shapes of the input of every layer and of the output: `layers.len() + 1` entries.
    pub fn shapes(&self) -> Vec<Shape> {
        let mut s = vec![self.input];
        for l in &self.layers {
            let (c, h, w) = *s.last().expect("non-empty");
            s.push(match *l {
                TLayer::Conv { no, k, .. } => (no, h + 1 - k, w + 1 - k),
                TLayer::MaxPool { k } => (c, h / k, w / k),
                TLayer::Fc { no, .. } => (no, 1, 1),
            });
        }
        s
    }

    /// Classes (outputs of the last layer).
    pub fn classes(&self) -> usize {
        let (c, h, w) = *self.shapes().last().expect("non-empty");
        c * h * w
    }

    /// Check that consecutive shapes agree; the first problem, naming the layer.
    pub fn validate(&self) -> Result<(), String> {
        let shapes = self.shapes();
        for (i, l) in self.layers.iter().enumerate() {
            let (c, h, w) = shapes[i];
            match *l {
                TLayer::Conv { ni, no, k } => {
                    if ni != c || no == 0 || k == 0 || k > h || k > w {
                        return Err(format!("layer {i} (conv): input is {c}x{h}x{w}"));
                    }
                }
                TLayer::MaxPool { k } => {
                    if k == 0 || h % k != 0 || w % k != 0 {
                        return Err(format!("layer {i} (maxpool {k}): input is {c}x{h}x{w}"));
                    }
                }
                TLayer::Fc { ni, no, .. } => {
                    if ni != c * h * w || no == 0 {
                        return Err(format!("layer {i} (fc): input has {} values", c * h * w));
                    }
                }
            }
        }
        Ok(())
    }

    /// The inference layer that runs layer `i` forward (ReLU and biases as
    /// described at the top of this module).
    pub fn layer_spec(&self, i: usize) -> LayerSpec {
        let (c, h, w) = self.shapes()[i];
        let u = |x: usize| x as u32;
        match self.layers[i] {
            TLayer::Conv { ni, no, k } => LayerSpec::Conv(ConvSpec {
                nx: u(w),
                ny: u(h),
                kx: u(k),
                ky: u(k),
                ni: u(ni),
                no: u(no),
                sx: 1,
                sy: 1,
                pad: 0,
                act: Activation::Relu,
                bias: true,
            }),
            TLayer::MaxPool { k } => LayerSpec::Pool(PoolSpec {
                nx: u(w),
                ny: u(h),
                kx: u(k),
                ky: u(k),
                ni: u(c),
                sx: u(k),
                sy: u(k),
                pad: 0,
                kind: PoolKind::Max,
            }),
            TLayer::Fc { ni, no, relu } => LayerSpec::Classifier(ClassSpec {
                ni: u(ni),
                no: u(no),
                act: if relu {
                    Activation::Relu
                } else {
                    Activation::Identity
                },
                bias: true,
            }),
        }
    }

    /// Parameter tensors `(weights, bias)` lengths of layer `i` (None for pooling).
    pub fn param_lens(&self, i: usize) -> Option<(usize, usize)> {
        match self.layers[i] {
            TLayer::Conv { ni, no, k } => Some((no * ni * k * k, no)),
            TLayer::Fc { ni, no, .. } => Some((no * ni, no)),
            TLayer::MaxPool { .. } => None,
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
                        TLayer::Conv { ni, k, .. } => ni * k * k,
                        TLayer::Fc { ni, .. } => ni,
                        TLayer::MaxPool { .. } => 1,
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

    #[test]
    fn init_is_deterministic() {
        let n = Net::lenet5();
        assert_eq!(n.init(7), n.init(7));
        assert_ne!(n.init(7)[0].0, n.init(8)[0].0);
    }
}
