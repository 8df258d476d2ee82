//! A whole graph (convolution, depthwise convolution, residual add,
//! concatenation, pooling, global average pooling, classifier) with seeded
//! real-valued weights, run in fixed point on the simulator and in f32 on
//! the CPU: the two agree within the derived error bound, nothing
//! saturates, and the fixed-point run is deterministic.

use firmware::{LayerParams, Model, Params};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use runtime::dram_plan::Feed;
use runtime::graph::{error_bound, run_graph, run_graph_with, Backend, GraphOptions, Network};

const GRAPH: &str = r#"
name = "tiny_graph"
input = [3, 12, 12]

[[layer]]
name = "stem"
type = "conv"
k = 3
pad = 1
no = 8
act = "relu"

[[layer]]
name = "dw"
type = "conv"
k = 3
pad = 1
no = 8
groups = 8
act = "relu"

[[layer]]
name = "pw"
type = "conv"
k = 1
no = 8

[[layer]]
name = "res"
type = "add"
from = ["pw", "stem"]
act = "relu"

[[layer]]
name = "b1"
type = "conv"
from = "res"
k = 1
no = 4
act = "tanh"

[[layer]]
name = "b2"
type = "pool"
from = "res"
k = 3
s = 1
pad = 1
kind = "max"

[[layer]]
name = "b2c"
type = "conv"
k = 1
no = 4
act = "sigmoid"

[[layer]]
name = "join"
type = "pool"
from = ["b1", "b2c"]
k = 2
kind = "avg"

[[layer]]
name = "gap"
type = "gap"

[[layer]]
name = "fc"
type = "class"
no = 5
"#;

fn network() -> Network {
    seeded(Model::parse(GRAPH, "graph.toml").unwrap(), 7)
}

#[test]
fn graph_on_the_simulator_agrees_with_f32_within_the_bound() {
    let net = network();
    assert!(net.model.is_graph());
    let cfg = arch::AccelConfig::tiny();
    let table = sim::EnergyTable::named("horowitz45").unwrap();
    let batch = 2;
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let x: Vec<f32> = (0..batch * 3 * 12 * 12)
        .map(|_| rng.gen_range(-1.0..1.0))
        .collect();
    let sim = run_graph(
        &cfg,
        &net,
        &x,
        batch as u32,
        Backend::Sim,
        &table,
        |_, _, _| {},
    )
    .unwrap();
    let cpu = run_graph(
        &cfg,
        &net,
        &x,
        batch as u32,
        Backend::Cpu,
        &table,
        |_, _, _| {},
    )
    .unwrap();
    assert_eq!(sim.output.len(), batch * 5);
    assert_eq!(sim.output_shape, [5, 1, 1]);
    assert_eq!(sim.saturations(), 0);
    assert_eq!(sim.layers.len(), net.model.layers.len());
    // the depthwise layer ran as ceil(8 / Tn) programs, each layer has cycles
    let dw = sim.layers.iter().find(|l| l.name == "dw").unwrap();
    assert_eq!(dw.programs as u32, 8u32.div_ceil(cfg.tn));
    assert!(sim
        .layers
        .iter()
        .all(|l| l.figures.as_ref().unwrap().cycles > 0));
    let reference = run_graph(
        &cfg,
        &net,
        &x,
        batch as u32,
        Backend::Reference,
        &table,
        |_, _, _| {},
    )
    .unwrap();
    assert_eq!(
        sim.output, reference.output,
        "simulator vs fixed-point reference"
    );
    let bound = error_bound(&cfg, &net, &x, batch as u32).unwrap();
    assert_eq!(bound.len(), sim.output.len());
    let mut worst = 0.0f64;
    for (i, ((a, b), e)) in sim.output.iter().zip(&cpu.output).zip(&bound).enumerate() {
        let d = (a - b).abs() as f64;
        assert!(d <= *e, "output {i}: |{a} - {b}| = {d} > bound {e}");
        worst = worst.max(d);
    }
    let bmax = bound.iter().copied().fold(0.0, f64::max);
    eprintln!("worst |sim - f32| = {worst}, largest bound = {bmax}");
    // a worst-case bound (every rounding error of one sign) on a small graph
    // stays below the outputs' scale; the outputs are not trivial
    assert!(bmax < 2.0, "bound {bmax}");
    assert!(cpu.output.iter().any(|v| v.abs() > 0.05));
    let again = run_graph(
        &cfg,
        &net,
        &x,
        batch as u32,
        Backend::Sim,
        &table,
        |_, _, _| {},
    )
    .unwrap();
    assert_eq!(again.output, sim.output);
}

#[test]
fn producers_store_in_place_and_concatenate_in_dram_with_the_host_copys_bits_and_cycles() {
    let net = network();
    let cfg = arch::AccelConfig::tiny();
    let table = sim::EnergyTable::named("horowitz45").unwrap();
    let batch = 2u32;
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let x: Vec<f32> = (0..batch * 3 * 12 * 12)
        .map(|_| rng.gen_range(-1.0..1.0))
        .collect();
    let run = |in_place| {
        let opts = GraphOptions {
            backend: Backend::Sim,
            in_place,
        };
        run_graph_with(&cfg, &net, &x, batch, opts, &table, |_, _, _| {}).unwrap()
    };
    let placed = run(true);
    let copied = run(false);
    // Tn = 4: the graph's input, a multi-program (depthwise) consumer and
    // the element-wise add's operands and outputs go through the host; the
    // rest, the concatenation `join` of b1 and b2c included, is stored in place
    let feeds: Vec<(&str, Feed)> = placed
        .layers
        .iter()
        .map(|l| (l.name.as_str(), l.feed.unwrap()))
        .collect();
    use Feed::{Host, InPlace};
    assert_eq!(
        feeds,
        [
            ("stem", Host),
            ("dw", Host),
            ("pw", InPlace),
            ("res", Host),
            ("b1", Host),
            ("b2", Host),
            ("b2c", InPlace),
            ("join", InPlace),
            ("gap", InPlace),
            ("fc", InPlace),
        ]
    );
    assert!(copied.layers.iter().all(|l| l.feed == Some(Host)));
    assert_eq!(placed.output, copied.output);
    for (a, b) in placed.layers.iter().zip(&copied.layers) {
        let (fa, fb) = (a.figures.as_ref().unwrap(), b.figures.as_ref().unwrap());
        assert_eq!(fa.cycles, fb.cycles, "{}", a.name);
        assert_eq!(fa.saturations, fb.saturations, "{}", a.name);
    }
    // the plan: every producer of `join` stores into it, at chunks 0 and 1
    let plan = runtime::dram_plan::plan(&cfg, &net.model, batch, true).unwrap();
    let idx = |n: &str| net.model.layers.iter().position(|l| l.name == n).unwrap();
    assert_eq!(plan.stores_into[idx("b1")], Some(idx("join")));
    assert_eq!(plan.stores_into[idx("b2c")], Some(idx("join")));
    let join = &plan.nodes[idx("join")].pieces[0];
    let b2c = &plan.nodes[idx("b2c")].pieces[0];
    let (firmware::PieceProgram::Layer(j), firmware::PieceProgram::Layer(p)) =
        (&join.program, &b2c.program)
    else {
        panic!("layer programs");
    };
    assert_eq!(p.layout.out, j.layout.input_view(1).unwrap());
    assert_eq!(p.layout.output.bytes, 0);
    // regions of different layers never overlap
    let mut spans: Vec<(u64, u64)> = plan
        .nodes
        .iter()
        .flat_map(|n| &n.pieces)
        .flat_map(|p| match &p.program {
            firmware::PieceProgram::Layer(c) => {
                vec![c.layout.input, c.layout.weights, c.layout.output]
            }
            firmware::PieceProgram::Eltwise(c) => {
                vec![c.layout.a, c.layout.b, c.layout.consts, c.layout.out]
            }
        })
        .filter(|r| r.bytes > 0)
        .map(|r| (r.addr, r.end()))
        .collect();
    spans.sort();
    assert!(spans.windows(2).all(|w| w[0].1 <= w[1].0), "{spans:?}");
}

#[test]
fn graph_errors_name_the_layer() {
    let mut net = network();
    net.params.remove("fc");
    let cfg = arch::AccelConfig::tiny();
    let table = sim::EnergyTable::named("horowitz45").unwrap();
    let x = vec![0.0; 3 * 12 * 12];
    let e = run_graph(&cfg, &net, &x, 1, Backend::Sim, &table, |_, _, _| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("`fc`") && e.contains("no parameters"), "{e}");
    let net = network();
    let e = run_graph(&cfg, &net, &x[1..], 1, Backend::Cpu, &table, |_, _, _| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("input"), "{e}");
}

const INCEPTION: &str = r#"
name = "mini_inception"
input = [16, 14, 14]

[[layer]]
name = "stem"
type = "conv"
k = 1
no = 32
act = "relu"

[[layer]]
name = "b1"
type = "conv"
from = "stem"
k = 1
no = 16
act = "relu"

[[layer]]
name = "b2"
type = "conv"
from = "stem"
k = 3
pad = 1
no = 32
act = "relu"

[[layer]]
name = "b3p"
type = "pool"
from = "stem"
k = 3
s = 1
pad = 1
kind = "max"

[[layer]]
name = "b3"
type = "conv"
k = 1
no = 16
act = "relu"

[[layer]]
name = "cat_pool"
type = "pool"
from = ["b1", "b2", "b3"]
k = 3
s = 2
pad = 1
kind = "max"

[[layer]]
name = "head"
type = "conv"
k = 1
no = 16
"#;

fn seeded(model: Model, seed: u64) -> Network {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut params = Params::new();
    for l in &model.layers {
        let nw = l.spec.weight_len() as usize;
        if nw == 0 {
            continue;
        }
        let a = (3.0 / (nw / l.spec.output_shape().0 as usize) as f64).sqrt() as f32;
        params.insert(
            l.name.clone(),
            LayerParams {
                weights: (0..nw).map(|_| rng.gen_range(-a..a)).collect(),
                bias: (0..l.spec.bias_len())
                    .map(|_| rng.gen_range(-0.2..0.2))
                    .collect(),
            },
        );
    }
    Network {
        model,
        params,
        softmax: false,
        ignored: Vec::new(),
    }
}

/// At DianNao's Tn = 16, an inception-style block whose three branches
/// (16, 32 and 16 maps) are concatenated by storing into their places of
/// the max pool's padded input: in place, bit for bit the fixed-point
/// reference, the same bits and cycles as host copies.
#[test]
fn inception_branches_concatenate_in_place_at_tn_16() {
    let net = seeded(Model::parse(INCEPTION, "inception.toml").unwrap(), 11);
    let cfg = arch::AccelConfig::diannao();
    assert_eq!(cfg.tn, 16);
    let table = sim::EnergyTable::named("horowitz45").unwrap();
    let batch = 2u32;
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let x: Vec<f32> = (0..batch * 16 * 14 * 14)
        .map(|_| rng.gen_range(-1.0..1.0))
        .collect();
    let go = |backend, in_place| {
        let opts = GraphOptions { backend, in_place };
        run_graph_with(&cfg, &net, &x, batch, opts, &table, |_, _, _| {}).unwrap()
    };
    let placed = go(Backend::Sim, true);
    let feed = |n: &str| placed.layers.iter().find(|l| l.name == n).unwrap().feed;
    assert_eq!(feed("cat_pool"), Some(Feed::InPlace));
    assert_eq!(feed("head"), Some(Feed::InPlace));
    assert_eq!(feed("b3"), Some(Feed::InPlace));
    // `stem` stores into one of its three consumers (the last, b3p); the
    // others read it back through its view
    assert_eq!(feed("b3p"), Some(Feed::InPlace));
    assert_eq!(feed("b1"), Some(Feed::Host));
    assert_eq!(feed("b2"), Some(Feed::Host));
    assert_eq!(placed.saturations(), 0);
    let reference = go(Backend::Reference, true);
    assert_eq!(placed.output, reference.output, "simulator vs reference");
    let copied = go(Backend::Sim, false);
    assert_eq!(placed.output, copied.output);
    assert_eq!(placed.cycles(), copied.cycles());
    assert!(placed.output.iter().any(|v| v.abs() > 0.05));
}

/// What docs/onnx.md states: on the built-in graphs at `diannao`, batch 1,
/// how many layers' inputs their producers store in place, and the size of
/// the graph's one DRAM image.
#[test]
fn built_in_graphs_store_in_place_where_docs_say() {
    let cfg = arch::AccelConfig::diannao();
    for (name, placed, layers, mb) in [("resnet18", 11, 31, 38), ("mobilenet_v1", 15, 29, 26)] {
        let model = runtime::models::load_model(name).unwrap();
        let plan = runtime::dram_plan::plan(&cfg, &model, 1, true).unwrap();
        let n = plan.feeds.iter().filter(|f| **f == Feed::InPlace).count();
        assert_eq!((n, plan.feeds.len()), (placed, layers), "{name}");
        assert_eq!(plan.dram_bytes >> 20, mb, "{name}");
    }
}
