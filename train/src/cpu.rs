//! The f32 reference engine: the training algorithm of
//! `notes/training-design.md` on the host CPU.
//!
//! Forward: convolution (any stride and padding) + bias + activation, max
//! and average pooling, fully connected + bias + activation; the
//! activations are identity, ReLU, sigmoid and tanh, the exact functions
//! (the accelerator interpolates sigmoid and tanh: `arch::activation`).
//! Backward: the activation's derivative from its output (ReLU `[y > 0]`,
//! sigmoid `y (1 - y)`, tanh `1 - y^2`); max-pool gradient routed to EVERY
//! input equal to its window's maximum (as the accelerator's
//! `drelu(x - max)` masks do), average-pool gradient shared equally
//! ([`baseline::pool_backward`], the one pooling backward); a residual
//! add's gradient reaches both operands, the skip operand's summed into the
//! earlier tensor's gradient;
//! weight gradients reduced over the batch in a fixed order, so a
//! run is bit-reproducible whatever the thread count. Update: SGD with
//! momentum `V <- mu*V - lr*dW; W <- W + V` on weights and biases.
//!
//! Every layer's geometry is its firmware spec ([`Net::layer_specs`]).
//! Convolutions are im2col ([`baseline::im2col`]) plus a single-threaded
//! SGEMM (`matrixmultiply`) per image, images in parallel (rayon); pooling is
//! [`baseline::pool_forward`] / [`baseline::pool_backward`].

use super::engine::{AccelTotals, Engine, EngineError, EngineState, Hyper, StepInfo, Tensor};
use super::net::{Net, Shape};
use arch::activation::Activation;
use baseline::{col2im, im2col, im2col_dims, sgd_momentum};
use firmware::LayerSpec;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// `c = beta*c + op(a) * op(b)`, row-major: `op(a)` is `m x k` (`a` stored
/// `k x m` when `a_t`), `op(b)` is `k x n` (`b` stored `n x k` when `b_t`).
#[allow(clippy::too_many_arguments)]
fn mm(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    a_t: bool,
    b: &[f32],
    b_t: bool,
    c: &mut [f32],
    beta: f32,
) {
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n);
    let lda = if a_t { m } else { k };
    let ldb = if b_t { k } else { n };
    baseline::sgemm(m, k, n, a, lda, a_t, b, ldb, b_t, c, n, beta);
}

/// The layer activation `act` at `z` (ReLU keeps NaN, so that divergence
/// shows in the loss).
#[inline]
fn activate(act: Activation, z: f32) -> f32 {
    match act {
        Activation::Relu => {
            if z < 0.0 {
                0.0
            } else {
                z
            }
        }
        Activation::Sigmoid => 1.0 / (1.0 + (-z).exp()),
        Activation::Tanh => z.tanh(),
        _ => z,
    }
}

/// The derivative of `act` at the point whose output is `y` (the nets'
/// activations are identity, ReLU, sigmoid or tanh: [`super::net`]).
#[inline]
fn derivative_at_output(act: Activation, y: f32) -> f32 {
    match act {
        Activation::Relu => {
            if y > 0.0 {
                1.0
            } else {
                0.0
            }
        }
        Activation::Sigmoid => y * (1.0 - y),
        Activation::Tanh => 1.0 - y * y,
        _ => 1.0,
    }
}

/// `dY` through the activation `act` of outputs `y`.
fn act_back(act: Activation, dy: Vec<f32>, y: &[f32]) -> Vec<f32> {
    if act == Activation::Identity {
        return dy;
    }
    dy.iter()
        .zip(y)
        .map(|(&d, &v)| {
            let g = derivative_at_output(act, v);
            if g == 0.0 {
                0.0
            } else {
                d * g
            }
        })
        .collect()
}

/// `acc += g`, starting from `g` when there is nothing yet.
fn add_into(acc: &mut Option<Vec<f32>>, g: &[f32]) {
    match acc {
        Some(a) => a.iter_mut().zip(g).for_each(|(a, b)| *a += b),
        None => *acc = Some(g.to_vec()),
    }
}

/// What the last forward pass kept for the backward pass.
#[derive(Clone, Debug)]
struct Cache {
    batch: usize,
    /// `acts[i]` = input of layer i (`acts[L]` = logits), `[batch][c][y][x]`.
    acts: Vec<Vec<f32>>,
    /// im2col matrices of convolution layers, `[batch][k][n]` (empty otherwise).
    cols: Vec<Vec<f32>>,
}

/// Per-layer gradients `(dW, db)` (empty for pooling).
pub type Grads = Vec<(Vec<f32>, Vec<f32>)>;

/// The f32 CPU engine.
#[derive(Clone, Debug)]
pub struct CpuEngine {
    net: Net,
    /// Firmware's spec of every layer ([`Net::layer_specs`]).
    specs: Vec<LayerSpec>,
    /// Input shape of every layer and the output shape ([`Net::shapes`]).
    shapes: Vec<Shape>,
    /// Weights and biases per layer.
    params: Vec<(Vec<f32>, Vec<f32>)>,
    /// Velocities per layer.
    vel: Vec<(Vec<f32>, Vec<f32>)>,
    cache: Option<Cache>,
}

impl CpuEngine {
    /// An engine for `net` with He-initialised weights drawn with `seed`
    /// ([`Net::init`]) and zero velocities.
    pub fn new(net: Net, seed: u64) -> Result<Self, EngineError> {
        let params = net.init(seed);
        Self::with_params(net, params)
    }

    /// An engine with the given parameters `(weights, bias)` per layer.
    pub fn with_params(net: Net, params: Vec<(Vec<f32>, Vec<f32>)>) -> Result<Self, EngineError> {
        net.validate().map_err(EngineError::State)?;
        for (i, p) in params.iter().enumerate() {
            let (wl, bl) = net.param_lens(i).unwrap_or((0, 0));
            for (what, got, expected) in [("weights", p.0.len(), wl), ("bias", p.1.len(), bl)] {
                if got != expected {
                    return Err(EngineError::Length {
                        what: format!("layer {i} {what}"),
                        expected,
                        got,
                    });
                }
            }
        }
        if params.len() != net.layers.len() {
            return Err(EngineError::Length {
                what: "layers".into(),
                expected: net.layers.len(),
                got: params.len(),
            });
        }
        let vel = params
            .iter()
            .map(|(w, b)| (vec![0.0; w.len()], vec![0.0; b.len()]))
            .collect();
        Ok(CpuEngine {
            specs: net.layer_specs(),
            shapes: net.shapes(),
            net,
            params,
            vel,
            cache: None,
        })
    }

    /// Current parameters `(weights, bias)` per layer.
    pub fn params(&self) -> &[(Vec<f32>, Vec<f32>)] {
        &self.params
    }

    /// Fingerprint: engine kind and the network's exact layer list.
    fn fingerprint(&self) -> String {
        format!(
            "cpu-f32 {} {:?} {:?}",
            self.net.name, self.net.input, self.net.layers
        )
    }

    /// Gradients of the batch loss given `dlogits`, after [`Engine::forward`].
    pub fn gradients(&self, dlogits: &[f32]) -> Result<Grads, EngineError> {
        let c = self.cache.as_ref().ok_or_else(|| EngineError::Run {
            step: "backward".into(),
            backend: "cpu".into(),
            message: "backward without a forward pass".into(),
        })?;
        let bsz = c.batch;
        let nl = self.net.layers.len();
        let classes = self.net.classes();
        if dlogits.len() != bsz * classes {
            return Err(EngineError::Length {
                what: "dlogits".into(),
                expected: bsz * classes,
                got: dlogits.len(),
            });
        }
        let mut grads: Grads = vec![(Vec::new(), Vec::new()); nl];
        // gradients of residual adds' skip operands, per tensor
        let mut pending: Vec<Option<Vec<f32>>> = vec![None; nl + 1];
        let mut dy = dlogits.to_vec();
        for i in (0..nl).rev() {
            let x = &c.acts[i];
            let y = &c.acts[i + 1];
            let need_dx = i > 0;
            let (ci, hi, wi) = self.shapes[i];
            let in_len = ci * hi * wi;
            match self.specs[i] {
                LayerSpec::Classifier(s) => {
                    let (ni, no) = (s.ni as usize, s.no as usize);
                    let dz = act_back(s.act, dy, y);
                    let mut gw = vec![0.0; no * ni];
                    mm(no, bsz, ni, &dz, true, x, false, &mut gw, 0.0);
                    let mut gb = vec![0.0; no];
                    for row in dz.chunks(no) {
                        gb.iter_mut().zip(row).for_each(|(g, d)| *g += d);
                    }
                    let mut dx = Vec::new();
                    if need_dx {
                        dx = vec![0.0; bsz * ni];
                        mm(
                            bsz,
                            no,
                            ni,
                            &dz,
                            false,
                            &self.params[i].0,
                            false,
                            &mut dx,
                            0.0,
                        );
                    }
                    grads[i] = (gw, gb);
                    dy = dx;
                }
                LayerSpec::Pool(p) => {
                    let mut dx = vec![0.0; x.len()];
                    baseline::pool_backward(&p, x, y, &dy, &mut dx);
                    dy = dx;
                }
                LayerSpec::Eltwise(e) => {
                    // act(X + S): dZ reaches X, and S (an earlier tensor)
                    // once the backward pass gets there
                    let dz = act_back(e.act, dy, y);
                    let src = self.net.skip_source(i).expect("an add");
                    if src > 0 {
                        add_into(&mut pending[src], &dz);
                    }
                    dy = dz;
                }
                LayerSpec::Conv(s) => {
                    let no = s.no as usize;
                    let (kk, n) = im2col_dims(&s);
                    // group g: outputs [g*cout, (g+1)*cout), im2col rows
                    // [g*kg, (g+1)*kg), weights [no][kg]
                    let gs = s.groups as usize;
                    let (cout, kg) = (no / gs, kk / gs);
                    let dz = act_back(s.act, dy, y);
                    let w = &self.params[i].0;
                    let mut dx = if need_dx {
                        vec![0.0; bsz * in_len]
                    } else {
                        Vec::new()
                    };
                    let per_image: Vec<Vec<f32>> = dz
                        .par_chunks(no * n)
                        .zip(c.cols[i].par_chunks(kk * n))
                        .map(|(dzb, colb)| {
                            let mut g = vec![0.0; no * kg];
                            for q in 0..gs {
                                mm(
                                    cout,
                                    n,
                                    kg,
                                    &dzb[q * cout * n..],
                                    false,
                                    &colb[q * kg * n..],
                                    true,
                                    &mut g[q * cout * kg..],
                                    0.0,
                                );
                            }
                            g
                        })
                        .collect();
                    if need_dx {
                        dx.par_chunks_mut(in_len)
                            .zip(dz.par_chunks(no * n))
                            .for_each(|(dxb, dzb)| {
                                let mut dcol = vec![0.0; kk * n];
                                for q in 0..gs {
                                    mm(
                                        kg,
                                        cout,
                                        n,
                                        &w[q * cout * kg..],
                                        true,
                                        &dzb[q * cout * n..],
                                        false,
                                        &mut dcol[q * kg * n..],
                                        0.0,
                                    );
                                }
                                col2im(&s, &dcol, dxb);
                            });
                    }
                    // Fixed-order reduction over the batch.
                    let mut gw = vec![0.0; no * kg];
                    for g in &per_image {
                        gw.iter_mut().zip(g).for_each(|(a, b)| *a += b);
                    }
                    let mut gb = vec![0.0; no];
                    for img in dz.chunks(no * n) {
                        for (o, g) in gb.iter_mut().enumerate() {
                            *g += img[o * n..(o + 1) * n].iter().sum::<f32>();
                        }
                    }
                    grads[i] = (gw, gb);
                    dy = dx;
                }
            }
            // tensor i also feeds residual adds: their gradients join here
            if let Some(g) = pending[i].take() {
                dy.iter_mut().zip(&g).for_each(|(d, s)| *d += s);
            }
        }
        Ok(grads)
    }
}

impl Engine for CpuEngine {
    fn name(&self) -> &'static str {
        "cpu"
    }

    fn net(&self) -> &Net {
        &self.net
    }

    #[allow(clippy::needless_range_loop)]
    fn forward(&mut self, images: &[f32], batch: usize) -> Result<Vec<f32>, EngineError> {
        let (c0, h0, w0) = self.net.input;
        let per = c0 * h0 * w0;
        if batch == 0 || images.len() != batch * per {
            return Err(EngineError::Length {
                what: format!("images (batch {batch})"),
                expected: batch.max(1) * per,
                got: images.len(),
            });
        }
        let nl = self.net.layers.len();
        let mut acts = Vec::with_capacity(nl + 1);
        let mut cols = vec![Vec::new(); nl];
        acts.push(images.to_vec());
        for i in 0..nl {
            let x = acts.last().expect("input pushed");
            let (ci, hi, wi) = self.shapes[i];
            let (co, ho, wo) = self.shapes[i + 1];
            let out_len = co * ho * wo;
            let mut y = vec![0.0f32; batch * out_len];
            match self.specs[i] {
                LayerSpec::Conv(s) => {
                    let no = s.no as usize;
                    let act = s.act;
                    let (kk, n) = im2col_dims(&s);
                    let gs = s.groups as usize;
                    let (cout, kg) = (no / gs, kk / gs);
                    let (w, bias) = &self.params[i];
                    let mut col = vec![0.0f32; batch * kk * n];
                    col.par_chunks_mut(kk * n)
                        .zip(y.par_chunks_mut(out_len))
                        .zip(x.par_chunks(ci * hi * wi))
                        .for_each(|((colb, yb), xb)| {
                            im2col(&s, xb, colb);
                            for q in 0..gs {
                                mm(
                                    cout,
                                    kg,
                                    n,
                                    &w[q * cout * kg..],
                                    false,
                                    &colb[q * kg * n..],
                                    false,
                                    &mut yb[q * cout * n..],
                                    0.0,
                                );
                            }
                            for (o, row) in yb.chunks_mut(n).enumerate() {
                                row.iter_mut()
                                    .for_each(|v| *v = activate(act, *v + bias[o]));
                            }
                        });
                    cols[i] = col;
                }
                LayerSpec::Pool(p) => baseline::pool_forward(&p, x, &mut y),
                LayerSpec::Eltwise(e) => {
                    let skip = &acts[self.net.skip_source(i).expect("an add")];
                    for ((v, a), b) in y.iter_mut().zip(x).zip(skip) {
                        *v = activate(e.act, a + b);
                    }
                }
                LayerSpec::Classifier(s) => {
                    let (ni, no) = (s.ni as usize, s.no as usize);
                    let (w, bias) = &self.params[i];
                    mm(batch, ni, no, x, false, w, true, &mut y, 0.0);
                    for row in y.chunks_mut(no) {
                        for (v, b) in row.iter_mut().zip(bias) {
                            *v = activate(s.act, *v + b);
                        }
                    }
                }
            }
            acts.push(y);
        }
        let logits = acts[nl].clone();
        self.cache = Some(Cache { batch, acts, cols });
        Ok(logits)
    }

    fn backward_update(&mut self, dlogits: &[f32], hp: &Hyper) -> Result<StepInfo, EngineError> {
        let grads = self.gradients(dlogits)?;
        for ((p, v), g) in self.params.iter_mut().zip(&mut self.vel).zip(&grads) {
            let (mu, lr, wd) = (hp.momentum, hp.lr, hp.weight_decay);
            sgd_momentum(&mut p.0, &mut v.0, &g.0, mu, lr, wd);
            sgd_momentum(&mut p.1, &mut v.1, &g.1, mu, lr, wd);
        }
        self.cache = None;
        Ok(StepInfo::default())
    }

    fn state(&self) -> EngineState {
        let mut tensors = BTreeMap::new();
        for (i, ((w, b), (vw, vb))) in self.params.iter().zip(&self.vel).enumerate() {
            if w.is_empty() && b.is_empty() {
                continue;
            }
            tensors.insert(format!("layer{i}.weights"), Tensor::F32(w.clone()));
            tensors.insert(format!("layer{i}.bias"), Tensor::F32(b.clone()));
            tensors.insert(format!("layer{i}.v_weights"), Tensor::F32(vw.clone()));
            tensors.insert(format!("layer{i}.v_bias"), Tensor::F32(vb.clone()));
        }
        EngineState {
            engine: self.name().into(),
            fingerprint: self.fingerprint(),
            tensors,
            totals: None,
        }
    }

    fn restore(&mut self, s: &EngineState) -> Result<(), EngineError> {
        if s.engine != self.name() {
            return Err(EngineError::State(format!(
                "state is for engine {}, this is {}",
                s.engine,
                self.name()
            )));
        }
        let fp = self.fingerprint();
        if s.fingerprint != fp {
            return Err(EngineError::State(format!(
                "state is for `{}`, this engine is `{fp}`",
                s.fingerprint
            )));
        }
        let mut params = self.params.clone();
        let mut vel = self.vel.clone();
        for i in 0..params.len() {
            if params[i].0.is_empty() && params[i].1.is_empty() {
                continue;
            }
            let (pw, pb) = &mut params[i];
            let (vw, vb) = &mut vel[i];
            let slots: [(&str, &mut Vec<f32>); 4] = [
                ("weights", pw),
                ("bias", pb),
                ("v_weights", vw),
                ("v_bias", vb),
            ];
            for (name, dst) in slots {
                let key = format!("layer{i}.{name}");
                match s.tensors.get(&key) {
                    Some(Tensor::F32(v)) if v.len() == dst.len() => dst.clone_from(v),
                    Some(Tensor::F32(v)) => {
                        return Err(EngineError::Length {
                            what: key,
                            expected: dst.len(),
                            got: v.len(),
                        })
                    }
                    Some(_) => return Err(EngineError::State(format!("{key} is not f32"))),
                    None => return Err(EngineError::State(format!("{key} missing"))),
                }
            }
        }
        self.params = params;
        self.vel = vel;
        self.cache = None;
        Ok(())
    }

    fn accel(&self) -> Option<AccelTotals> {
        None
    }

    fn params_f32(&self) -> Vec<Option<(Vec<f32>, Vec<f32>)>> {
        self.params
            .iter()
            .map(|(w, b)| (!w.is_empty()).then(|| (w.clone(), b.clone())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::TLayer;
    use firmware::PoolKind;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// conv 3x3 1->2 (6x6 -> 4x4), pool 2 (2x2), fc 8->5 relu, fc 5->3.
    fn tiny() -> Net {
        Net {
            name: "tiny".into(),
            input: (1, 6, 6),
            layers: vec![
                TLayer::conv(1, 2, 3, 0),
                TLayer::max_pool(2),
                TLayer::fc(8, 5, Activation::Relu),
                TLayer::fc(5, 3, Activation::Identity),
            ],
        }
    }

    /// Loss L = sum(g . logits) computed in f64 from f32 logits.
    fn loss(e: &mut CpuEngine, x: &[f32], b: usize, g: &[f32]) -> f64 {
        let l = e.forward(x, b).unwrap();
        l.iter().zip(g).map(|(&a, &c)| a as f64 * c as f64).sum()
    }

    /// conv 3x3 pad 1 1->2 (6x6), pool 2 (3x3), conv 3x3 pad 1 2->2 (3x3),
    /// fc 18->3: the padded convolutions' weight and input gradients.
    fn tiny_padded() -> Net {
        Net {
            name: "tiny-padded".into(),
            input: (1, 6, 6),
            layers: vec![
                TLayer::conv(1, 2, 3, 1),
                TLayer::max_pool(2),
                TLayer::conv(2, 2, 3, 1),
                TLayer::fc(18, 3, Activation::Identity),
            ],
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        check_finite_differences(tiny(), 80, 1e-2);
    }

    #[test]
    fn padded_convolution_gradients_match_finite_differences() {
        check_finite_differences(tiny_padded(), 90, 1e-2);
    }

    /// conv 3x3 pad 1 stride 2 1->2 tanh (7x7 -> 4x4), overlapping max
    /// pool 3/1 (2x2), fc 8->4 sigmoid, fc 4->3: strided convolution, tanh,
    /// overlapping max pooling and sigmoid.
    fn tiny_strided() -> Net {
        Net {
            name: "tiny-strided".into(),
            input: (1, 7, 7),
            layers: vec![
                TLayer::conv_act(1, 2, 3, 1, 2, Activation::Tanh),
                TLayer::Pool {
                    kind: PoolKind::Max,
                    k: 3,
                    stride: 1,
                },
                TLayer::fc(8, 4, Activation::Sigmoid),
                TLayer::fc(4, 3, Activation::Identity),
            ],
        }
    }

    /// conv 3x3 1->2 (6x6 -> 4x4), overlapping average pool 2/1 (3x3),
    /// conv 3x3 pad 1 stride 2 2->3 sigmoid (2x2), global average pool, fc
    /// 3->3: average pooling, a strided convolution's input gradient with a
    /// remainder row, and global average pooling.
    fn tiny_avg() -> Net {
        Net {
            name: "tiny-avg".into(),
            input: (1, 6, 6),
            layers: vec![
                TLayer::conv(1, 2, 3, 0),
                TLayer::Pool {
                    kind: PoolKind::Avg,
                    k: 2,
                    stride: 1,
                },
                TLayer::conv_act(2, 3, 3, 1, 2, Activation::Sigmoid),
                TLayer::GlobalAvgPool,
                TLayer::fc(3, 3, Activation::Identity),
            ],
        }
    }

    #[test]
    fn strided_tanh_sigmoid_and_overlapping_max_pool_gradients_match_finite_differences() {
        // eps 1e-3: the overlapping windows' maxima are close enough that
        // 1e-2 moves some of them to another input (a kink, not a bug).
        check_finite_differences(tiny_strided(), 60, 1e-3);
    }

    #[test]
    fn average_pool_and_global_average_pool_gradients_match_finite_differences() {
        check_finite_differences(tiny_avg(), 70, 1e-2);
    }

    /// conv 3x3 pad 1 1->4 (6x6), grouped conv 3x3 pad 1 4->4 in 2 groups
    /// (tanh), depthwise conv 3x3 pad 1 stride 2 (4 groups, sigmoid, 3x3), fc 36->3:
    /// grouped and depthwise weight gradients, and their input gradients
    /// through the first layer's.
    fn tiny_grouped() -> Net {
        Net {
            name: "tiny-grouped".into(),
            input: (1, 6, 6),
            layers: vec![
                TLayer::conv(1, 4, 3, 1),
                TLayer::conv_act(4, 4, 3, 1, 1, Activation::Tanh).grouped(2),
                TLayer::conv_act(4, 4, 3, 1, 2, Activation::Sigmoid).grouped(4),
                TLayer::fc(36, 3, Activation::Identity),
            ],
        }
    }

    #[test]
    fn grouped_and_depthwise_convolution_gradients_match_finite_differences() {
        let net = tiny_grouped();
        assert_eq!(net.param_lens(1), Some((4 * 2 * 9, 4)));
        assert_eq!(net.param_lens(2), Some((4 * 9, 4)));
        check_finite_differences(net, 200, 1e-2);
    }

    /// Residual adds: an add of the net's input (tanh), a ResNet basic
    /// block (conv ReLU, conv tanh, conv identity, add ReLU) and a second
    /// add (sigmoid) of the same block input, so that one tensor's gradient
    /// sums three readers; then max pool 2 and fc 18->3.
    fn tiny_residual() -> Net {
        Net {
            name: "tiny-residual".into(),
            input: (1, 6, 6),
            layers: vec![
                TLayer::conv_act(1, 1, 3, 1, 1, Activation::Identity),
                TLayer::add(1, Activation::Tanh),
                TLayer::conv(1, 2, 3, 1),
                TLayer::conv_act(2, 2, 3, 1, 1, Activation::Tanh),
                TLayer::conv_act(2, 2, 3, 1, 1, Activation::Identity),
                TLayer::add(2, Activation::Relu),
                TLayer::add(3, Activation::Sigmoid),
                TLayer::max_pool(2),
                TLayer::fc(18, 3, Activation::Identity),
            ],
        }
    }

    #[test]
    fn residual_add_gradients_match_finite_differences() {
        let net = tiny_residual();
        net.validate().unwrap();
        assert_eq!((net.skip_source(1), net.skip_readers(0)), (Some(0), 1));
        assert_eq!(net.skip_readers(3), 2);
        // eps 2e-3: with 1e-2 the curvature of tanh and sigmoid on the
        // summed paths moves layer 0 weight 0 by 2.4% (a smaller eps agrees)
        check_finite_differences(net, 150, 2e-3);
    }

    /// The add's forward is `act(X + S)` with S the input of the layer
    /// `skip` back: a 1x1 identity convolution of weight 2 and bias 0.5
    /// then `relu(Y + X)` gives `max(3x + 0.5, 0)`.
    #[test]
    fn residual_add_forward_sums_the_skip_tensor() {
        let net = Net {
            name: "add".into(),
            input: (1, 1, 3),
            layers: vec![
                TLayer::conv_act(1, 1, 1, 0, 1, Activation::Identity),
                TLayer::add(1, Activation::Relu),
            ],
        };
        let mut e =
            CpuEngine::with_params(net, vec![(vec![2.0], vec![0.5]), (Vec::new(), Vec::new())])
                .unwrap();
        let y = e.forward(&[1.0, -1.0, 0.0], 1).unwrap();
        assert_eq!(y, vec![3.5, 0.0, 0.5]);
    }

    fn check_finite_differences(net: Net, at_least: usize, eps: f32) {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let b = 3;
        let (c, h, w) = net.input;
        let classes = net.classes();
        let x: Vec<f32> = (0..b * c * h * w)
            .map(|_| rng.gen_range(0.0..1.0))
            .collect();
        let g: Vec<f32> = (0..b * classes).map(|_| rng.gen_range(-1.0..1.0)).collect();
        let mut params = net.init(11);
        // Non-zero biases so ReLU kinks are away from the operating point.
        for (_, bias) in params.iter_mut() {
            bias.iter_mut().for_each(|v| *v = rng.gen_range(0.05..0.3));
        }
        let mut e = CpuEngine::with_params(net.clone(), params.clone()).unwrap();
        e.forward(&x, b).unwrap();
        let grads = e.gradients(&g).unwrap();
        let mut checked = 0;
        for li in 0..net.layers.len() {
            for which in 0..2 {
                let len = if which == 0 {
                    params[li].0.len()
                } else {
                    params[li].1.len()
                };
                for j in 0..len {
                    let mut plus = params.clone();
                    let mut minus = params.clone();
                    if which == 0 {
                        plus[li].0[j] += eps;
                        minus[li].0[j] -= eps;
                    } else {
                        plus[li].1[j] += eps;
                        minus[li].1[j] -= eps;
                    }
                    let lp = loss(
                        &mut CpuEngine::with_params(net.clone(), plus).unwrap(),
                        &x,
                        b,
                        &g,
                    );
                    let lm = loss(
                        &mut CpuEngine::with_params(net.clone(), minus).unwrap(),
                        &x,
                        b,
                        &g,
                    );
                    let num = (lp - lm) / (2.0 * eps as f64);
                    let ana = if which == 0 {
                        grads[li].0[j]
                    } else {
                        grads[li].1[j]
                    } as f64;
                    assert!(
                        (num - ana).abs() <= 2e-3 + 2e-2 * ana.abs(),
                        "layer {li} {} [{j}]: numeric {num}, analytic {ana}",
                        if which == 0 { "weights" } else { "bias" }
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > at_least, "{checked} values checked");
        // A gradient that is not all zero in every layer.
        for (li, (gw, _)) in grads.iter().enumerate() {
            if !gw.is_empty() {
                assert!(gw.iter().any(|&v| v != 0.0), "layer {li} gradient is zero");
            }
        }
    }

    /// The engine's max-pool gradient is [`baseline::pool_backward`]'s: every
    /// input equal to its window's maximum receives the window's gradient
    /// (the accelerator's rule), checked through the weight gradient of a
    /// 1x1 convolution below the pool (first-maximum routing would give
    /// dW = 5.7, db = 10).
    #[test]
    fn max_pool_routes_to_every_tie() {
        let net = Net {
            name: "ties".into(),
            input: (1, 4, 4),
            layers: vec![
                TLayer::conv(1, 1, 1, 0),
                TLayer::max_pool(2),
                TLayer::fc(4, 1, Activation::Identity),
            ],
        };
        let params = vec![
            (vec![1.0], vec![0.0]),
            (Vec::new(), Vec::new()),
            (vec![1.0, 2.0, 3.0, 4.0], vec![0.0]),
        ];
        let mut e = CpuEngine::with_params(net, params).unwrap();
        #[rustfmt::skip]
        let x = [
            0.5, 0.5, 0.1, 0.2,
            0.5, 0.3, 0.9, 0.4,
            0.2, 0.2, 0.7, 0.6,
            0.2, 0.1, 0.6, 0.7,
        ];
        // windows: 0.5 three times, 0.9 once, 0.2 three times, 0.7 twice
        let logits = e.forward(&x, 1).unwrap();
        assert!((logits[0] - 5.7).abs() < 1e-5, "logit {}", logits[0]);
        let g = e.gradients(&[1.0]).unwrap();
        // dW = sum over routed inputs of (window gradient x input):
        // 3*0.5*1 + 0.9*2 + 3*0.2*3 + 2*0.7*4; db = 3*1 + 2 + 3*3 + 2*4.
        assert!((g[0].0[0] - 10.7).abs() < 1e-5, "dW {}", g[0].0[0]);
        assert_eq!(g[0].1, vec![22.0]);
    }

    #[test]
    fn sgd_momentum_step_and_state_roundtrip() {
        let net = tiny();
        let mut e = CpuEngine::new(net.clone(), 1).unwrap();
        let before = e.params().to_vec();
        let x = vec![0.5; 2 * 36];
        e.forward(&x, 2).unwrap();
        let g = e.gradients(&[0.1, -0.2, 0.1, 0.0, 0.3, -0.3]).unwrap();
        e.backward_update(
            &[0.1, -0.2, 0.1, 0.0, 0.3, -0.3],
            &Hyper {
                lr: 0.5,
                momentum: 0.9,
                weight_decay: 0.01,
            },
        )
        .unwrap();
        // First step from zero velocity: W' = W - lr*(dW + wd*W).
        for li in 0..net.layers.len() {
            for (j, w) in e.params()[li].0.iter().enumerate() {
                let w0 = before[li].0[j];
                assert_eq!(*w, w0 + (0.9 * 0.0 - 0.5 * (g[li].0[j] + 0.01 * w0)));
            }
        }
        let s = e.state();
        let mut f = CpuEngine::new(net.clone(), 2).unwrap();
        f.restore(&s).unwrap();
        assert_eq!(f.state(), s);
        let mut other = CpuEngine::new(Net::micro(), 2).unwrap();
        assert!(matches!(other.restore(&s), Err(EngineError::State(_))));
        assert!(matches!(
            e.forward(&x[1..], 2),
            Err(EngineError::Length { .. })
        ));
    }
}
