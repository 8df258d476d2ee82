//! Inference of a whole model graph with the model's own weights.
//!
//! * [`Backend::Sim`]: fixed point on the cycle-accurate simulator. The
//!   input and the parameters are rounded to the configuration's format
//!   (`frac_bits` fraction bits, saturating). The whole graph shares one
//!   DRAM ([`crate::dram_plan`]): each layer's programs run on a fresh
//!   machine over that DRAM, and a layer's input is the output its
//!   producers stored there, in place (producers store straight into the
//!   consumer's padded input, a channel concatenation by each producer
//!   storing at its place of the joined tensor) or, where the layouts do
//!   not allow that, read back and laid out by the host ([`Feed`]). Nothing
//!   is random.
//! * [`Backend::Cpu`]: the same graph in f32 ([`baseline::layer_forward`],
//!   exact activations).
//! * [`Backend::Reference`]: the same fixed-point graph on firmware's plain
//!   CPU reference (`firmware::reference`), which the simulator must equal
//!   bit for bit.
//!
//! A final Softmax (ONNX import) runs on the host in f64 in both backends.
//!
//! [`error_bound`] is the worst-case difference between the two backends'
//! outputs that the fixed-point format allows, per output value, derived
//! layer by layer (see its documentation); a run with saturations has no
//! such bound.

use crate::dram_plan::{self, Feed};
use crate::run::{self, LayerData, LayerFigures, RunError};
use arch::activation::{Activation, Table};
use arch::fixed;
use arch::AccelConfig;
use firmware::model::ModelLayer;
use firmware::model::INPUT;
use firmware::{LayerParams, LayerSpec, Model, Params};
use serde::Serialize;
use sim::EnergyTable;
use sim::RunStats;
use std::collections::HashMap;
use std::time::Instant;

/// Where the graph runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// Fixed point on the cycle-accurate simulator.
    Sim,
    /// f32 on the host CPU.
    Cpu,
    /// Fixed point on the host: firmware's plain CPU reference of the
    /// NFU's arithmetic (bit for bit what [`Backend::Sim`] must compute).
    Reference,
}

/// A model with its parameters, ready to run.
#[derive(Clone, Debug)]
pub struct Network {
    /// The graph.
    pub model: Model,
    /// Real parameters of every layer that has weights.
    pub params: Params,
    /// Whether a Softmax follows the last layer (run on the host).
    pub softmax: bool,
    /// Nodes of the source file that the output does not depend on, not run.
    pub ignored: Vec<String>,
}

/// One layer of a graph run.
#[derive(Clone, Debug, Serialize)]
pub struct LayerResult {
    /// Layer name.
    pub name: String,
    /// Layer type (`conv`, `pool`, `class`, `add`, `act`).
    pub kind: String,
    /// Output shape `[maps, height, width]` of one image.
    pub output: [u32; 3],
    /// Simulator figures (cycles, time, energy, saturations); `None` on the CPU backend.
    pub figures: Option<LayerFigures>,
    /// Programs the layer ran as (0 on the CPU backend).
    pub programs: usize,
    /// How the layer's input reached it on the simulator (`None` on the
    /// CPU and reference backends).
    pub feed: Option<Feed>,
    /// Host wall time of the layer, seconds (simulation or f32 compute).
    pub wall_s: f64,
}

/// The result of [`run_graph`].
#[derive(Clone, Debug, Serialize)]
pub struct GraphRun {
    /// Backend.
    pub backend: Backend,
    /// Images.
    pub batch: u32,
    /// Output of every image `[batch][maps][h][w]` (softmax applied if the network has one).
    pub output: Vec<f32>,
    /// Output shape of one image.
    pub output_shape: [u32; 3],
    /// Per layer, in execution order.
    pub layers: Vec<LayerResult>,
    /// Input values that saturated when rounded to the fixed-point format (Sim).
    pub input_saturations: u64,
    /// Parameter values that saturated when rounded (Sim).
    pub param_saturations: u64,
}

impl GraphRun {
    /// Total cycles (Sim; 0 on the CPU).
    pub fn cycles(&self) -> u64 {
        self.layers
            .iter()
            .filter_map(|l| l.figures.as_ref())
            .map(|f| f.cycles)
            .sum()
    }

    /// Output values that saturated on the accelerator (Sim; 0 on the CPU).
    pub fn saturations(&self) -> u64 {
        self.layers
            .iter()
            .filter_map(|l| l.figures.as_ref())
            .map(|f| f.saturations)
            .sum()
    }
}

fn graph_err(layer: &str, reason: impl Into<String>) -> RunError {
    RunError::Graph {
        layer: layer.into(),
        reason: reason.into(),
    }
}

/// Check that `net` can run on data: every layer has producers and every
/// layer with weights has parameters of the right sizes.
pub fn check(net: &Network) -> Result<(), RunError> {
    for l in &net.model.layers {
        if l.inputs.is_empty() {
            return Err(graph_err(
                &l.name,
                "has no producer (`input = [c, h, w]`): the model can be simulated layer by layer, not run on data",
            ));
        }
        let (nw, nb) = (l.spec.weight_len(), l.spec.bias_len());
        if nw == 0 && nb == 0 {
            continue;
        }
        let p = net
            .params
            .get(&l.name)
            .ok_or_else(|| graph_err(&l.name, "has no parameters (weights)"))?;
        if p.weights.len() as u64 != nw || p.bias.len() as u64 != nb {
            return Err(graph_err(
                &l.name,
                format!(
                    "parameters have {} weights and {} biases, the layer needs {nw} and {nb}",
                    p.weights.len(),
                    p.bias.len()
                ),
            ));
        }
    }
    Ok(())
}

/// The input of layer `i` gathered from its producers' outputs: one
/// producer as is; several concatenated along the maps; an add's two
/// operands as `[batch][operand][c][h][w]`.
fn gather<T: Copy>(
    net: &Network,
    i: usize,
    batch: usize,
    tensors: &HashMap<String, Vec<T>>,
) -> Result<Vec<T>, RunError> {
    let l = &net.model.layers[i];
    let per = |name: &str| -> u64 {
        if name == INPUT {
            let (c, h, w) = net.model.input;
            c as u64 * h as u64 * w as u64
        } else {
            net.model
                .layer(name)
                .map(|p| p.spec.output_len())
                .unwrap_or(0)
        }
    };
    let mut parts = Vec::new();
    for name in &l.inputs {
        let t = tensors
            .get(name)
            .ok_or_else(|| graph_err(&l.name, format!("input `{name}` is not computed yet")))?;
        parts.push((t, per(name) as usize));
    }
    let want = l.spec.input_len() as usize;
    let have: usize = parts.iter().map(|p| p.1).sum();
    if have != want {
        return Err(graph_err(
            &l.name,
            format!(
                "its inputs hold {have} values per image, the layer reads {want} ({})",
                l.spec
            ),
        ));
    }
    if parts.len() == 1 {
        return Ok(parts[0].0.clone());
    }
    // per image, the parts one after another (maps concatenated; an add's operands)
    let mut v = Vec::with_capacity(want * batch);
    for b in 0..batch {
        for (t, n) in &parts {
            v.extend_from_slice(&t[b * n..(b + 1) * n]);
        }
    }
    Ok(v)
}

/// For each tensor, the index of the last layer that reads it.
fn last_uses(model: &Model) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for (i, l) in model.layers.iter().enumerate() {
        for n in &l.inputs {
            m.insert(n.clone(), i);
        }
    }
    m
}

/// Run `layer(i, l, params, x)` on every layer in order, `x` being its
/// input gathered from its producers; tensors are dropped after their last
/// reader. Returns the last layer's output. The one walk of the graph that
/// every backend and [`error_bound`] use.
fn walk<T: Copy>(
    net: &Network,
    batch: u32,
    input: Vec<T>,
    mut layer: impl FnMut(usize, &ModelLayer, &LayerParams, Vec<T>) -> Result<Vec<T>, RunError>,
) -> Result<Vec<T>, RunError> {
    let last = last_uses(&net.model);
    let none = LayerParams::default();
    let mut t: HashMap<String, Vec<T>> = HashMap::new();
    t.insert(INPUT.into(), input);
    for (i, l) in net.model.layers.iter().enumerate() {
        let x = gather(net, i, batch as usize, &t)?;
        let p = net.params.get(&l.name).unwrap_or(&none);
        let y = layer(i, l, p, x)?;
        t.retain(|k, _| last.get(k).is_some_and(|&u| u > i));
        t.insert(l.name.clone(), y);
    }
    let out = &net.model.layers[net.model.layers.len() - 1].name;
    Ok(t.remove(out).unwrap_or_default())
}

fn quantize(v: &[f32], frac: u32, saturated: &mut u64) -> Vec<i16> {
    let max = fixed::to_f64(i16::MAX, frac);
    let min = fixed::to_f64(i16::MIN, frac);
    v.iter()
        .map(|&x| {
            let x = x as f64;
            if x > max + 0.5 * fixed::to_f64(1, frac) || x < min - 0.5 * fixed::to_f64(1, frac) {
                *saturated += 1;
            }
            fixed::from_f64(x, frac)
        })
        .collect()
}

fn softmax(v: &mut [f32], per: usize) {
    for row in v.chunks_mut(per.max(1)) {
        let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
        let e: Vec<f64> = row.iter().map(|&x| (x as f64 - m).exp()).collect();
        let s: f64 = e.iter().sum();
        for (x, e) in row.iter_mut().zip(e) {
            *x = (e / s) as f32;
        }
    }
}

/// How [`run_graph_with`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GraphOptions {
    /// Where the graph runs.
    pub backend: Backend,
    /// Simulator: let producers store into their consumers' inputs in
    /// place where the layouts allow ([`crate::dram_plan`]); `false` makes
    /// the host lay out every input (the same bits and cycles: tested).
    pub in_place: bool,
}

/// Run `net` on `input` (`[batch][c][h][w]` real values, the model's input
/// shape) on `backend`. `on_layer(i, n, name)` is called before layer `i`
/// of `n` (progress).
pub fn run_graph(
    cfg: &AccelConfig,
    net: &Network,
    input: &[f32],
    batch: u32,
    backend: Backend,
    table: &EnergyTable,
    on_layer: impl FnMut(usize, usize, &str),
) -> Result<GraphRun, RunError> {
    let opts = GraphOptions {
        backend,
        in_place: true,
    };
    run_graph_with(cfg, net, input, batch, opts, table, on_layer)
}

/// [`run_graph`] with options.
pub fn run_graph_with(
    cfg: &AccelConfig,
    net: &Network,
    input: &[f32],
    batch: u32,
    opts: GraphOptions,
    table: &EnergyTable,
    mut on_layer: impl FnMut(usize, usize, &str),
) -> Result<GraphRun, RunError> {
    let backend = opts.backend;
    run::check_batch(batch)?;
    check(net)?;
    crate::budget::Budget::from_env()?.check(
        || format!("the graph `{}` at batch {batch}", net.model.name),
        crate::budget::graph_bytes(cfg, &net.model, batch),
    )?;
    let (c, h, w) = net.model.input;
    let per_image = c as usize * h as usize * w as usize;
    if input.len() != per_image * batch as usize {
        return Err(graph_err(
            INPUT,
            format!("{} values for {batch} images of {c}x{h}x{w}", input.len()),
        ));
    }
    let n = net.model.layers.len();
    let mut layers = Vec::with_capacity(n);
    let (mut in_sat, mut par_sat) = (0, 0);
    let b = batch as usize;
    let frac = cfg.frac_bits;
    let out_values: Vec<f32> = match backend {
        Backend::Cpu => walk(net, batch, input.to_vec(), |i, l, p, x| {
            on_layer(i, n, &l.name);
            let t0 = Instant::now();
            let y = baseline::layer_forward(&l.spec, b, &x, &p.weights, &p.bias);
            layers.push(result(l, None, 0, None, t0));
            Ok(y)
        })?,
        Backend::Reference => {
            let q = quantize(input, frac, &mut in_sat);
            walk(net, batch, q, |i, l, p, x| {
                on_layer(i, n, &l.name);
                let t0 = Instant::now();
                let data = LayerData {
                    input: x,
                    weights: quantize(&p.weights, frac, &mut par_sat),
                    bias: quantize(&p.bias, frac, &mut par_sat),
                };
                let r = run::reference(cfg, &l.spec, batch, &data, &l.name)?;
                layers.push(result(l, None, 0, None, t0));
                Ok(r.output)
            })?
            .iter()
            .map(|&v| fixed::to_f64(v, frac) as f32)
            .collect()
        }
        Backend::Sim => {
            let q = quantize(input, frac, &mut in_sat);
            let plan = dram_plan::plan(cfg, &net.model, batch, opts.in_place)?;
            run_sim(
                cfg,
                net,
                &plan,
                batch,
                q,
                table,
                &mut par_sat,
                &mut layers,
                &mut on_layer,
            )?
            .iter()
            .map(|&v| fixed::to_f64(v, frac) as f32)
            .collect()
        }
    };
    let out_shape = net.model.layers[n - 1].spec.output_shape();
    let mut output = out_values;
    if net.softmax {
        softmax(
            &mut output,
            (out_shape.0 * out_shape.1 * out_shape.2) as usize,
        );
    }
    Ok(GraphRun {
        backend,
        batch,
        output,
        output_shape: [out_shape.0, out_shape.1, out_shape.2],
        layers,
        input_saturations: in_sat,
        param_saturations: par_sat,
    })
}

/// The simulator backend: every layer over one DRAM ([`dram_plan`]);
/// returns the last layer's output.
#[allow(clippy::too_many_arguments)]
fn run_sim(
    cfg: &AccelConfig,
    net: &Network,
    plan: &dram_plan::DramPlan,
    batch: u32,
    input: Vec<i16>,
    table: &EnergyTable,
    par_sat: &mut u64,
    layers: &mut Vec<LayerResult>,
    on_layer: &mut impl FnMut(usize, usize, &str),
) -> Result<Vec<i16>, RunError> {
    let n = net.model.layers.len();
    let frac = cfg.frac_bits;
    let mut dram = sim::Dram::new(cfg.dram.size_bytes);
    let none = LayerParams::default();
    let index: HashMap<&str, usize> = net
        .model
        .layers
        .iter()
        .enumerate()
        .map(|(i, l)| (l.name.as_str(), i))
        .collect();
    let serr = |layer: &str, source| RunError::Sim {
        layer: layer.into(),
        error: source,
    };
    // a layer's output read back from wherever its programs stored it
    let read_back = |i: usize, dram: &sim::Dram| -> Result<Vec<i16>, RunError> {
        let node = &plan.nodes[i];
        let name = &net.model.layers[i].name;
        let mut out = vec![0i16; (node.spec.output_len() * batch as u64) as usize];
        for k in 0..node.pieces.len() {
            run::read_output(node, k, dram, name, &mut out)?;
        }
        Ok(out)
    };
    let last = last_uses(&net.model);
    let mut graph_input = Some(input);
    // the borders of inputs written in place, once before the run
    for (i, node) in plan.nodes.iter().enumerate() {
        if plan.feeds[i] == Feed::InPlace {
            for piece in &node.pieces {
                for (a, bytes) in piece.pack_border() {
                    dram.write(a, &bytes)
                        .map_err(|e| serr(&net.model.layers[i].name, e))?;
                }
            }
        }
    }
    for (i, l) in net.model.layers.iter().enumerate() {
        on_layer(i, n, &l.name);
        let t0 = Instant::now();
        let node = &plan.nodes[i];
        let p = net.params.get(&l.name).unwrap_or(&none);
        let w = quantize(&p.weights, frac, par_sat);
        let b = quantize(&p.bias, frac, par_sat);
        let cerr = |error| RunError::Compile {
            layer: l.name.clone(),
            error,
        };
        for piece in &node.pieces {
            for (a, bytes) in piece.pack_params(&l.spec, &w, &b).map_err(cerr)? {
                dram.write(a, &bytes).map_err(|e| serr(&l.name, e))?;
            }
        }
        if plan.feeds[i] == Feed::Host {
            let mut t: HashMap<String, Vec<i16>> = HashMap::new();
            for name in &l.inputs {
                if t.contains_key(name) {
                    continue;
                }
                let v = if name == INPUT {
                    graph_input.clone().unwrap_or_default()
                } else {
                    let &p = index.get(name.as_str()).ok_or_else(|| {
                        graph_err(&l.name, format!("input `{name}` is not a layer"))
                    })?;
                    read_back(p, &dram)?
                };
                t.insert(name.clone(), v);
            }
            let x = gather(net, i, batch as usize, &t)?;
            for piece in &node.pieces {
                for (a, bytes) in piece.pack_input(&l.spec, batch, &x).map_err(cerr)? {
                    dram.write(a, &bytes).map_err(|e| serr(&l.name, e))?;
                }
            }
        }
        let mut stats = RunStats::default();
        for piece in &node.pieces {
            let st = run::execute(cfg, piece.instructions(), &mut dram, None)
                .map_err(|e| serr(&l.name, e))?;
            stats.add(&st);
        }
        let figures = LayerFigures::new(cfg, &l.spec, node, &stats, table);
        layers.push(result(
            l,
            Some(figures),
            node.pieces.len(),
            Some(plan.feeds[i]),
            t0,
        ));
        if last.get(INPUT).is_some_and(|&u| u <= i) {
            graph_input = None;
        }
    }
    read_back(n - 1, &dram)
}

fn result(
    l: &firmware::model::ModelLayer,
    figures: Option<LayerFigures>,
    programs: usize,
    feed: Option<Feed>,
    t0: Instant,
) -> LayerResult {
    let (c, h, w) = l.spec.output_shape();
    LayerResult {
        name: l.name.clone(),
        kind: l.spec.kind_name().into(),
        output: [c, h, w],
        figures,
        programs,
        feed,
        wall_s: t0.elapsed().as_secs_f64(),
    }
}

/// Largest difference, over every data word, between NFU-3's
/// piecewise-linear table and the exact function (real units).
pub fn table_error(act: Activation, frac: u32) -> f64 {
    if act == Activation::Identity {
        return 0.0;
    }
    let t = Table::new(act, frac);
    (i16::MIN..=i16::MAX)
        .map(|x| {
            let (y, _) = t.apply(x, frac);
            let exact = act.eval_f64(fixed::to_f64(x, frac));
            (fixed::to_f64(y, frac) - exact).abs()
        })
        .fold(0.0, f64::max)
}

/// Lipschitz constant of an activation (identity, ReLU, tanh 1; sigmoid 1/4).
fn lipschitz(act: Activation) -> f64 {
    match act {
        Activation::Sigmoid => 0.25,
        _ => 1.0,
    }
}

/// The worst-case difference `|sim - f32|` of every output value of a
/// run without saturations, with `q = 2^-frac_bits`: an error bound per
/// value, propagated layer by layer from the f32 activations `x` and the
/// rounded parameters `w_q` (interval-style, every rounding error taken at
/// its worst and of one sign):
///
/// * input rounding: `q/2` per value;
/// * convolution / classifier, input bound `e`: per output o,
///   `L (sum_i |w_q[o,i]| e[i] + q/2 sum_i |x[i]| + q/2 + q) + T`: the
///   propagated input error, the weight rounding (`|w_q - w| <= q/2`), the
///   bias rounding, the truncating output conversion (`< q`), then the
///   activation's Lipschitz constant `L` (1; sigmoid 1/4) and `T`, the
///   largest error of its NFU-3 piecewise-linear table ([`table_error`]);
/// * max pooling: the largest `e` in the window; average pooling: the
///   window's average of `e`, plus `k 2^-16 max|x|` (the scale
///   `round(2^15/k)` is within `2^-16` of `1/k` for a `k`-value window) and `q`;
/// * add `L (e_a + e_b) + T`; activation `L e + T`;
/// * a final softmax halves the bound (its Jacobian's rows sum to at most
///   1/2 in absolute value).
///
/// Returns one bound per output value (`[batch][maps][h][w]`).
pub fn error_bound(
    cfg: &AccelConfig,
    net: &Network,
    input: &[f32],
    batch: u32,
) -> Result<Vec<f64>, RunError> {
    check(net)?;
    let frac = cfg.frac_bits;
    let q = fixed::to_f64(1, frac) as f32;
    let b = batch as usize;
    let round = |v: &[f32]| -> Vec<f32> {
        v.iter()
            .map(|&w| fixed::to_f64(fixed::from_f64(w as f64, frac), frac) as f32)
            .collect()
    };
    let abs = |v: &[f32]| -> Vec<f32> { v.iter().map(|x| x.abs()).collect() };
    // the walk carries (f32 activation, error bound) per value
    let start = input.iter().map(|&v| (v, q / 2.0)).collect();
    let out = walk(net, batch, start, |_, l, p, pairs| {
        let (xi, ei): (Vec<f32>, Vec<f32>) = pairs.into_iter().unzip();
        let act = l.spec.act();
        let (lc, tab) = (lipschitz(act) as f32, table_error(act, frac) as f32);
        let y = baseline::layer_forward(&l.spec, b, &xi, &p.weights, &p.bias);
        // the same layer without its activation (bounds go through the linear map)
        let mut lin = l.spec;
        match &mut lin {
            LayerSpec::Conv(c) => c.act = Activation::Identity,
            LayerSpec::Classifier(c) => c.act = Activation::Identity,
            LayerSpec::Eltwise(el) => el.act = Activation::Identity,
            LayerSpec::Pool(_) => {}
        }
        let eo: Vec<f32> = match &l.spec {
            LayerSpec::Conv(_) | LayerSpec::Classifier(_) => {
                let wq = abs(&round(&p.weights));
                let prop = baseline::layer_forward(&lin, b, &ei, &wq, &[]);
                let ones = vec![q / 2.0; p.weights.len()];
                let wr = baseline::layer_forward(&lin, b, &abs(&xi), &ones, &[]);
                let fixed_terms = if p.bias.is_empty() { q } else { q / 2.0 + q };
                prop.iter()
                    .zip(&wr)
                    .map(|(a, c)| lc * (a + c + fixed_terms) + tab)
                    .collect()
            }
            LayerSpec::Pool(pl) => {
                let pe = baseline::layer_forward(&lin, b, &ei, &[], &[]);
                match pl.kind {
                    firmware::PoolKind::Max => pe,
                    firmware::PoolKind::Avg => {
                        let m = xi.iter().map(|v| v.abs()).fold(0.0, f32::max)
                            + ei.iter().copied().fold(0.0, f32::max);
                        // round(2^S / k) is within 2^-(S+1) of 1/k
                        let scale_err = 2f32.powi(-(fixed::AVG_SCALE_SHIFT as i32 + 1));
                        let extra = (pl.kx * pl.ky) as f32 * m * scale_err + q;
                        pe.iter().map(|v| v + extra).collect()
                    }
                }
            }
            LayerSpec::Eltwise(_) => baseline::layer_forward(&lin, b, &ei, &[], &[])
                .iter()
                .map(|v| lc * v + tab)
                .collect(),
        };
        Ok(y.into_iter().zip(eo).collect())
    })?;
    let out: Vec<f32> = out.into_iter().map(|(_, e)| e).collect();
    if net.softmax {
        // |dp_i| <= sum_j |J_ij| |dz_j| <= max_j |dz_j| / 2, per image
        let (c, h, w) = net.model.layers[net.model.layers.len() - 1]
            .spec
            .output_shape();
        let per = (c * h * w).max(1) as usize;
        return Ok(out
            .chunks(per)
            .flat_map(|img| {
                // and probabilities never differ by more than 1
                let m = (img.iter().copied().fold(0.0, f32::max) as f64 * 0.5).min(1.0);
                vec![m; img.len()]
            })
            .collect());
    }
    Ok(out.iter().map(|&v| v as f64).collect())
}
