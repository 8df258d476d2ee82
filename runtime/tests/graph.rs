//! A whole graph (convolution, depthwise convolution, residual add,
//! concatenation, pooling, global average pooling, classifier) with seeded
//! real-valued weights, run in fixed point on the simulator and in f32 on
//! the CPU: the two agree within the derived error bound, nothing
//! saturates, and the fixed-point run is deterministic.

use firmware::{LayerParams, Model, Params};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use runtime::graph::{error_bound, run_graph, Backend, Network};

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
    let model = Model::parse(GRAPH, "graph.toml").unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut params = Params::new();
    for l in &model.layers {
        let nw = l.spec.weight_len() as usize;
        if nw == 0 {
            continue;
        }
        let fan = nw / l.spec.output_shape().0 as usize;
        let a = (3.0 / fan as f64).sqrt() as f32;
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
