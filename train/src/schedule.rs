//! THE schedule of one training step: which accelerator programs a layer
//! runs in the forward pass, the backward pass and the SGD-momentum update,
//! in which order, with which rounding and constants.
//!
//! Two users, one definition: the training engine ([`crate::accel`]) runs
//! exactly these programs (it looks each one up by [`Role`] and feeds it its
//! operands), and the cost model ([`crate::cost`], behind
//! `diannao compare --train`) simulates them. A test checks that the engine
//! runs as many programs per step as this schedule lists.
//!
//! Per layer (B images):
//!
//! * forward: the layer's own program, round-to-nearest; with sigmoid or
//!   tanh, the program stops at the pre-activation Z (identity) and an
//!   `AddConst 0` program through the function's table follows (the same
//!   bits as the fused NFU-3 step), so that the backward pass has Z;
//! * activation backward (layer with an activation): an `AddConst` program
//!   with the derivative table as its NFU-3 function (the mask; ReLU:
//!   `drelu(Y - 1 LSB)` = `[Y > 0]` from the ReLU's output), then a `Mul`
//!   element-wise program (`dZ = dY * mask`), over the output size;
//! * convolution: weight + bias gradient = one classifier program with
//!   `ni = B*OH*OW`, `no = maps`, batch `ni*kx*ky + 1` (the ones row gives the
//!   bias); input gradient (not for the model's first layer) = a convolution
//!   over dZ dilated by the stride (`(O-1)*s + 1`), padding `k-1-pad`, flipped
//!   kernels, stride 1, identity, no bias (`firmware::backward`);
//! * classifier: weight + bias gradient = classifier program (`ni = B`,
//!   `no = outputs`, batch `inputs + 1`); input gradient = classifier over W^T;
//! * max pooling whose disjoint windows tile the input (not the first
//!   layer): mask (`Lincomb(1,-1)` of the input and the upsampled maximum,
//!   then drelu) and routing (`Mul` by the upsampled gradient) over the
//!   input size; overlapping windows (or pixels left over): per window
//!   offset a mask (the input pixels at that offset of every window against
//!   the maximum) and a `Mul` routing over the pooled size, and one
//!   `Lincomb(1,1)` accumulation over the input size (the host scatters each
//!   offset's routed gradient to its pixels);
//! * average pooling and global average pooling (not the first layer): one
//!   average pooling, stride 1, over the gradient dilated by the stride and
//!   framed by `k - 1` zeros (`firmware::backward::avg_pool_input_grad`);
//! * residual add `act(X + S)`: forward one `Lincomb(1,1)` program (with
//!   sigmoid or tanh, identity then the function as above); backward the
//!   activation's mask and `Mul`, and dZ is the gradient of both operands;
//! * a tensor that residual adds also read (a skip connection's source):
//!   its readers' gradients are summed, one `Lincomb(1,1)` program over
//!   the tensor per extra reader, listed with the layer whose input it is
//!   (and run after that layer's input gradient);
//! * update (layers with parameters): `Lincomb` programs over weights +
//!   bias, all with stochastic rounding: with a weight decay lambda, first
//!   `dW_s <- dW_s + (lambda S) W`; then velocity `V_s <- mu V_s - lr dW_s`,
//!   then weights `W <- W + V_s / S` ([`UpdateWords`]).
//!
//! Gradient programs (weight and input gradients) round stochastically;
//! masks and routing round to nearest (their results are exact).

use crate::net::Net;
use arch::activation::Activation;
use arch::fixed::{from_f64, Rounding};
use arch::AccelConfig;
use firmware::{EwOp, EwSpec, LayerSpec, Model, PoolKind};
use serde::Serialize;
use thiserror::Error;

/// A layer's training step cannot be expressed with the accelerator's programs.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("layer `{layer}`: training step cannot be expressed on the accelerator: {reason}")]
pub struct ScheduleError {
    /// Layer name.
    pub layer: String,
    /// Why.
    pub reason: String,
}

/// Which part of the training step a program belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Forward pass.
    Forward,
    /// Gradients (activation, weights, input).
    Backward,
    /// SGD-momentum update.
    Update,
}

/// What a program of the training step computes: the engine feeds each role
/// its operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The layer's forward program.
    Forward,
    /// Sigmoid or tanh applied to the forward program's Z (`AddConst 0`
    /// through the function's table).
    ForwardActivation,
    /// The activation derivative as a mask (`AddConst` through the derivative table).
    ActivationMask,
    /// `dZ = dY * mask` (`Mul`).
    ActivationGradient,
    /// Weight and bias gradients (one classifier program).
    WeightGradient,
    /// The input gradient (classifier over W^T, convolution with flipped
    /// kernels, or average pooling of the framed gradient).
    InputGradient,
    /// Max pooling, window == stride: `[x >= upsampled max]` (`Lincomb` + drelu).
    MaxMask,
    /// Max pooling, window == stride: the upsampled gradient times the mask (`Mul`).
    Routing,
    /// Overlapping max pooling: one window offset's mask.
    WindowOffsetMask,
    /// Overlapping max pooling: one window offset's routing.
    WindowOffsetRouting,
    /// Overlapping max pooling: one window offset's accumulation into dX.
    WindowOffsetAccumulation,
    /// A residual add's skip gradient summed into the input gradient of
    /// the layer whose input the add also read (`Lincomb(1,1)`).
    GradientSum,
    /// L2 weight decay folded into the gradient: `dW_s <- dW_s + (lambda S) W`
    /// (only with a non-zero weight decay).
    Decay,
    /// `V_s <- mu V_s - lr dW_s`.
    Velocity,
    /// `W <- W + V_s / S`.
    Weights,
}

impl Role {
    /// The phase the role belongs to.
    pub fn phase(self) -> Phase {
        match self {
            Role::Forward | Role::ForwardActivation => Phase::Forward,
            Role::Decay | Role::Velocity | Role::Weights => Phase::Update,
            _ => Phase::Backward,
        }
    }

    /// A short description, as reports print it.
    pub fn what(self) -> &'static str {
        match self {
            Role::Forward => "forward",
            Role::ForwardActivation => "forward activation",
            Role::ActivationMask => "activation mask",
            Role::ActivationGradient => "activation gradient",
            Role::WeightGradient => "weight gradient",
            Role::InputGradient => "input gradient",
            Role::MaxMask => "max mask",
            Role::Routing => "routing",
            Role::WindowOffsetMask => "window-offset mask",
            Role::WindowOffsetRouting => "window-offset routing",
            Role::WindowOffsetAccumulation => "window-offset accumulation",
            Role::GradientSum => "skip gradient sum",
            Role::Decay => "weight decay",
            Role::Velocity => "velocity",
            Role::Weights => "weights",
        }
    }
}

/// A program description: a layer program or an element-wise program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgramSpec {
    /// A convolution / pooling / classifier program (firmware::compile_with).
    Layer {
        /// The layer.
        spec: LayerSpec,
        /// Images.
        batch: u32,
        /// Output rounding.
        round: Rounding,
    },
    /// An element-wise program (firmware::compile_ew).
    Ew(EwSpec),
}

/// One program of a layer's training step.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainProgram {
    /// Layer name.
    pub layer: String,
    /// What it computes.
    pub role: Role,
    /// Phase (`role.phase()`).
    pub phase: Phase,
    /// `role.what()` (e.g. "weight gradient").
    pub what: String,
    /// The program.
    pub program: ProgramSpec,
}

/// The update's constants as data words (`frac_bits` fraction bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UpdateWords {
    /// Momentum `mu`.
    pub mu: i16,
    /// Learning rate `lr` (the velocity program multiplies dW_s by `-lr`).
    pub lr: i16,
    /// `1 / S` for the weights program (`2^(frac_bits - log2 S)`).
    pub inv_s: i16,
    /// `lambda * S`, the weight decay scaled like the gradient (0: no decay
    /// program).
    pub decay: i16,
}

impl UpdateWords {
    /// Momentum 0.9, learning rate 0.01 and S = 2^`frac_bits` (1/S = one
    /// LSB): the constants of the cost model, whose timing and event counts
    /// do not depend on them.
    pub fn nominal(cfg: &AccelConfig) -> Self {
        let f = cfg.frac_bits;
        UpdateWords {
            mu: from_f64(0.9, f),
            lr: from_f64(0.01, f).max(1),
            inv_s: 1,
            decay: 0,
        }
    }
}

fn ew(op: EwOp, len: u64, act: Activation, round: Rounding) -> ProgramSpec {
    ProgramSpec::Ew(EwSpec {
        op,
        len,
        act,
        round,
    })
}

/// The derivative table of an activation and the constant added before it
/// (None: identity, nothing to do).
fn derivative(act: Activation) -> Option<(Activation, i16)> {
    match act {
        Activation::Identity => None,
        // mask = drelu(Y - 1 LSB) = [Y > 0] from the ReLU's output
        Activation::Relu => Some((Activation::ReluDeriv, -1)),
        // from the stored pre-activation Z
        Activation::Sigmoid => Some((Activation::SigmoidDeriv, 0)),
        Activation::Tanh => Some((Activation::TanhDeriv, 0)),
        // a derivative table used as a layer activation: no table for its derivative
        _ => Some((Activation::Identity, 0)),
    }
}

/// The activation of a convolution, classifier or add that the training
/// step applies as a program of its own after the layer's forward program
/// (sigmoid, tanh: their derivatives are read from the pre-activation Z).
pub fn split_activation(spec: &LayerSpec) -> Option<Activation> {
    let act = match spec {
        LayerSpec::Conv(c) => c.act,
        LayerSpec::Classifier(c) => c.act,
        LayerSpec::Eltwise(e) => e.act,
        LayerSpec::Pool(_) => return None,
    };
    matches!(act, Activation::Sigmoid | Activation::Tanh).then_some(act)
}

/// `spec` with its activation replaced by `act` (pooling has none and is
/// returned as it is).
pub fn with_activation(spec: &LayerSpec, act: Activation) -> LayerSpec {
    match *spec {
        LayerSpec::Conv(c) => LayerSpec::Conv(firmware::ConvSpec { act, ..c }),
        LayerSpec::Classifier(c) => LayerSpec::Classifier(firmware::ClassSpec { act, ..c }),
        LayerSpec::Eltwise(e) => LayerSpec::Eltwise(firmware::EltwiseSpec { act, ..e }),
        other => other,
    }
}

/// The programs `spec` runs as: a grouped convolution's pieces (input
/// maps, output maps, the dense convolution of the piece:
/// `firmware::node::piece_maps`, `piece_spec`), else `spec` itself over
/// all its maps.
pub fn conv_pieces(
    cfg: &AccelConfig,
    spec: &LayerSpec,
) -> Vec<(std::ops::Range<u32>, std::ops::Range<u32>, LayerSpec)> {
    firmware::node::piece_maps(cfg, spec)
        .into_iter()
        .map(|(i, o)| {
            let p = firmware::node::piece_spec(spec, &i, &o);
            (i, o, p)
        })
        .collect()
}

/// Whether max pooling `p` has disjoint windows that tile its input exactly
/// (window = stride, no padding, no pixels left over): its backward pass
/// is one mask and one routing program over the input.
pub fn disjoint_tiling(p: &firmware::PoolSpec) -> bool {
    p.kx == p.sx && p.ky == p.sy && p.pad == 0 && p.nx % p.kx == 0 && p.ny % p.ky == 0
}

/// The programs of one training step of layer `name` (`first`: the model's
/// first layer, whose input gradient is not computed) for `batch` images,
/// in the order the engine runs them within the layer. `skip_sums` has the
/// size (values per image) of every further gradient summed into this
/// layer's input gradient (one per residual add that also reads a tensor of
/// its input: [`Role::GradientSum`]). Fails (naming the layer) if a
/// backward program's shape cannot be expressed; compiling is left to the
/// caller.
pub fn layer_programs(
    cfg: &AccelConfig,
    name: &str,
    spec: &LayerSpec,
    batch: u32,
    first: bool,
    skip_sums: &[u64],
    update: &UpdateWords,
) -> Result<Vec<TrainProgram>, ScheduleError> {
    let b = batch as u64;
    let mut out = Vec::new();
    let mut push = |role: Role, program: ProgramSpec| {
        out.push(TrainProgram {
            layer: name.to_string(),
            role,
            phase: role.phase(),
            what: role.what().to_string(),
            program,
        })
    };
    let near = Rounding::Nearest;
    let stoch = Rounding::Stochastic;
    let unit = from_f64(1.0, cfg.frac_bits);
    // sigmoid and tanh: the forward program stops at Z, which their
    // derivative tables read, and an element-wise program applies the
    // function (the same bits as the fused NFU-3 step: AddConst 0 is exact)
    let split = split_activation(spec);
    // a grouped convolution runs as firmware's pieces (dense convolutions
    // over blocks of groups, block-diagonal weights): one program each
    let fspec = split.map_or(*spec, |_| with_activation(spec, Activation::Identity));
    if let LayerSpec::Eltwise(e) = fspec {
        // the sum is exact: 1.0 * A + 1.0 * B before saturation
        push(
            Role::Forward,
            ew(
                EwOp::Lincomb {
                    a: unit,
                    b: unit,
                    c: 0,
                },
                spec.output_len() * b,
                e.act,
                near,
            ),
        );
    } else {
        for (_, _, piece) in conv_pieces(cfg, &fspec) {
            push(
                Role::Forward,
                ProgramSpec::Layer {
                    spec: piece,
                    batch,
                    round: near,
                },
            );
        }
    }
    if let Some(act) = split {
        push(
            Role::ForwardActivation,
            ew(EwOp::AddConst { c: 0 }, spec.output_len() * b, act, near),
        );
    }
    let act_back = |push: &mut dyn FnMut(Role, ProgramSpec), act: Activation| {
        if let Some((table, c)) = derivative(act) {
            let len = spec.output_len() * b;
            push(
                Role::ActivationMask,
                ew(EwOp::AddConst { c }, len, table, near),
            );
            push(
                Role::ActivationGradient,
                ew(EwOp::Mul, len, Activation::Identity, near),
            );
        }
    };
    let bad = |reason: String| ScheduleError {
        layer: name.to_string(),
        reason,
    };
    match *spec {
        LayerSpec::Eltwise(e) => {
            if e.inputs != 2 {
                return Err(bad(
                    "training through a lone activation layer is not implemented (fuse it into its producer)".into(),
                ));
            }
            // dZ is the gradient of both operands: no program of its own
            act_back(&mut push, e.act);
        }
        LayerSpec::Conv(c) => {
            act_back(&mut push, c.act);
            let (_, oh, ow) = spec.output_shape();
            let p = b * oh as u64 * ow as u64;
            // one weight-gradient program per group: group g's outputs
            // reduce over its own inputs' im2col rows (plus the bias row)
            let g = c.groups.max(1);
            let k = (c.ni / g) as u64 * c.kx as u64 * c.ky as u64 + c.bias as u64;
            let (p32, k32) = match (u32::try_from(p), u32::try_from(k)) {
                (Ok(p), Ok(k)) => (p, k),
                _ => {
                    return Err(bad(format!(
                        "weight gradient reduction {p} x {k} too large"
                    )))
                }
            };
            for _ in 0..g {
                push(
                    Role::WeightGradient,
                    ProgramSpec::Layer {
                        spec: firmware::backward::weight_grad(p32, c.no / g),
                        batch: k32,
                        round: stoch,
                    },
                );
            }
            if !first {
                let dspec = firmware::backward::conv_input_grad(&c).map_err(bad)?;
                for (_, _, piece) in conv_pieces(cfg, &dspec) {
                    push(
                        Role::InputGradient,
                        ProgramSpec::Layer {
                            spec: piece,
                            batch,
                            round: stoch,
                        },
                    );
                }
            }
        }
        LayerSpec::Classifier(c) => {
            act_back(&mut push, c.act);
            push(
                Role::WeightGradient,
                ProgramSpec::Layer {
                    spec: firmware::backward::weight_grad(batch, c.no),
                    batch: c.ni + c.bias as u32,
                    round: stoch,
                },
            );
            if !first {
                push(
                    Role::InputGradient,
                    ProgramSpec::Layer {
                        spec: firmware::backward::classifier_input_grad(c.ni, c.no),
                        batch,
                        round: stoch,
                    },
                );
            }
        }
        LayerSpec::Pool(pl) => {
            if !first {
                let in_len = spec.input_len() * b;
                let pooled = spec.output_len() * b;
                let lincomb = |a: i16, bb: i16| EwOp::Lincomb { a, b: bb, c: 0 };
                if pl.kind == PoolKind::Avg {
                    let dspec = firmware::backward::avg_pool_input_grad(&pl).map_err(bad)?;
                    push(
                        Role::InputGradient,
                        ProgramSpec::Layer {
                            spec: dspec,
                            batch,
                            round: stoch,
                        },
                    );
                } else if disjoint_tiling(&pl) {
                    push(
                        Role::MaxMask,
                        ew(lincomb(unit, -unit), in_len, Activation::ReluDeriv, near),
                    );
                    push(
                        Role::Routing,
                        ew(EwOp::Mul, in_len, Activation::Identity, near),
                    );
                } else {
                    for _ in 0..(pl.kx * pl.ky) {
                        push(
                            Role::WindowOffsetMask,
                            ew(lincomb(unit, -unit), pooled, Activation::ReluDeriv, near),
                        );
                        push(
                            Role::WindowOffsetRouting,
                            ew(EwOp::Mul, pooled, Activation::Identity, near),
                        );
                        push(
                            Role::WindowOffsetAccumulation,
                            ew(lincomb(unit, unit), in_len, Activation::Identity, near),
                        );
                    }
                }
            }
        }
    }
    if !first {
        for &len in skip_sums {
            push(
                Role::GradientSum,
                ew(
                    EwOp::Lincomb {
                        a: unit,
                        b: unit,
                        c: 0,
                    },
                    len * b,
                    Activation::Identity,
                    near,
                ),
            );
        }
    }
    let params = spec.weight_len() + spec.bias_len();
    if params > 0 {
        if update.decay != 0 {
            push(
                Role::Decay,
                ew(
                    EwOp::Lincomb {
                        a: unit,
                        b: update.decay,
                        c: 0,
                    },
                    params,
                    Activation::Identity,
                    stoch,
                ),
            );
        }
        push(
            Role::Velocity,
            ew(
                EwOp::Lincomb {
                    a: update.mu,
                    b: -update.lr,
                    c: 0,
                },
                params,
                Activation::Identity,
                stoch,
            ),
        );
        push(
            Role::Weights,
            ew(
                EwOp::Lincomb {
                    a: unit,
                    b: update.inv_s,
                    c: 0,
                },
                params,
                Activation::Identity,
                stoch,
            ),
        );
    }
    Ok(out)
}

/// [`layer_programs`] for every layer of `model` with the nominal update
/// constants (checks every layer before anything is compiled or run). A
/// tensor (a layer's output) read by n layers has n - 1 gradient sums,
/// listed with its first reader; the model's input has none (its gradient
/// is not computed).
pub fn model_programs(
    cfg: &AccelConfig,
    model: &Model,
    batch: u32,
) -> Result<Vec<Vec<TrainProgram>>, ScheduleError> {
    let u = UpdateWords::nominal(cfg);
    let mut readers: std::collections::HashMap<&str, Vec<usize>> = Default::default();
    for (i, l) in model.layers.iter().enumerate() {
        for n in &l.inputs {
            readers.entry(n.as_str()).or_default().push(i);
        }
    }
    let mut sums = vec![Vec::new(); model.layers.len()];
    for l in &model.layers {
        if let Some(r) = readers.get(l.name.as_str()) {
            let len = l.spec.output_len();
            sums[r[0]].extend(std::iter::repeat(len).take(r.len() - 1));
        }
    }
    model
        .layers
        .iter()
        .zip(&sums)
        .enumerate()
        .map(|(i, (l, s))| layer_programs(cfg, &l.name, &l.spec, batch, i == 0, s, &u))
        .collect()
}

/// [`layer_programs`] of layer `i` of `net` (its skip sums from
/// [`Net::skip_readers`]).
pub fn net_layer_programs(
    cfg: &AccelConfig,
    net: &Net,
    i: usize,
    batch: u32,
    update: &UpdateWords,
) -> Result<Vec<TrainProgram>, ScheduleError> {
    let spec = net.layer_spec(i);
    let sums = vec![spec.input_len(); net.skip_readers(i)];
    layer_programs(
        cfg,
        &format!("layer {i}"),
        &spec,
        batch,
        i == 0,
        &sums,
        update,
    )
}

/// The one program of `role` in `programs`, if there is exactly one.
pub fn find(programs: &[TrainProgram], role: Role) -> Option<&TrainProgram> {
    let mut it = programs.iter().filter(|p| p.role == role);
    match (it.next(), it.next()) {
        (Some(p), None) => Some(p),
        _ => None,
    }
}

/// Every program of `role` in `programs`, in schedule order.
pub fn find_all(programs: &[TrainProgram], role: Role) -> Vec<&TrainProgram> {
    programs.iter().filter(|p| p.role == role).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A residual add trains as its forward sum, its activation's mask and
    /// product, and one gradient sum per extra reader of a tensor, listed
    /// with the tensor's first reader: on ResNet-18, the 8 block inputs
    /// that the adds (or the projection shortcuts) also read.
    #[test]
    fn residual_adds_sum_the_gradients_of_every_extra_reader() {
        let cfg = AccelConfig::tiny();
        let net = crate::net::Net::residual();
        let u = UpdateWords::nominal(&cfg);
        let add = net_layer_programs(&cfg, &net, 4, 2, &u).unwrap();
        let roles: Vec<Role> = add.iter().map(|p| p.role).collect();
        assert_eq!(
            roles,
            [
                Role::Forward,
                Role::ActivationMask,
                Role::ActivationGradient
            ]
        );
        let first_reader = net_layer_programs(&cfg, &net, 2, 2, &u).unwrap();
        let sums = find_all(&first_reader, Role::GradientSum);
        assert_eq!(sums.len(), 1);
        // over the block input: 16 maps of 14x14, two images
        assert!(matches!(sums[0].program, ProgramSpec::Ew(e) if e.len == 2 * 16 * 14 * 14));
        let m = firmware::Model::load("resnet18").unwrap();
        let progs = model_programs(&cfg, &m, 1).unwrap();
        let n: usize = progs
            .iter()
            .map(|p| find_all(p, Role::GradientSum).len())
            .sum();
        assert_eq!(n, 8);
    }
}
