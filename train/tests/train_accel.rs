//! The accelerator training engine: it learns, and the emitted Verilog
//! (under Verilator) trains bit-identically to the simulator.

use arch::activation::Activation;
use arch::AccelConfig;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::EnergyTable;
use train::accel::{AccelBackend, AccelEngine, AccelOptions};
use train::engine::{Engine, Hyper};
use train::net::{Net, TLayer};

fn cfg(preset: &str, frac: u32) -> AccelConfig {
    let mut c = AccelConfig::preset(preset).expect("preset");
    c.frac_bits = frac;
    c
}

fn engine(net: Net, cfg: AccelConfig, backend: AccelBackend) -> AccelEngine {
    AccelEngine::new(
        net,
        AccelOptions {
            cfg,
            backend,
            grad_scale_log2: 2,
            seed: 5,
            energy: EnergyTable::named("horowitz45").expect("table"),
        },
    )
    .expect("engine")
}

/// Synthetic two-class data: class 0 bright on the left half, class 1 on the right.
fn batch(rng: &mut ChaCha8Rng, b: usize, side: usize) -> (Vec<f32>, Vec<usize>) {
    let mut x = vec![0f32; b * side * side];
    let mut y = vec![0; b];
    for i in 0..b {
        y[i] = rng.gen_range(0..2);
        for r in 0..side {
            for c in 0..side {
                let on = (c < side / 2) == (y[i] == 0);
                x[(i * side + r) * side + c] = if on {
                    rng.gen_range(0.5..1.0)
                } else {
                    rng.gen_range(0.0..0.3)
                };
            }
        }
    }
    (x, y)
}

fn dlogits(logits: &[f32], y: &[usize], classes: usize) -> (Vec<f32>, f32) {
    let b = y.len();
    let mut d = vec![0f32; logits.len()];
    let mut loss = 0.0;
    for i in 0..b {
        let row = &logits[i * classes..][..classes];
        let m = row.iter().cloned().fold(f32::MIN, f32::max);
        let e: Vec<f32> = row.iter().map(|v| (v - m).exp()).collect();
        let s: f32 = e.iter().sum();
        loss -= (e[y[i]] / s).ln();
        for c in 0..classes {
            d[i * classes + c] = (e[c] / s - (c == y[i]) as u8 as f32) / b as f32;
        }
    }
    (d, loss / b as f32)
}

/// One rule for the rounding LFSRs (docs/microarchitecture.md, NFU-3): the
/// default engine (one machine for the run) and a machine from reset for
/// every program give the same bits, because every program starts its
/// LFSRs from its own seed (`program_seed`), not from where the previous
/// program left them; and those seeds differ from program to program.
#[test]
fn one_machine_and_a_machine_per_program_train_the_same_bits() {
    let c = cfg("tiny", 10);
    let mut a = engine(Net::micro(), c.clone(), AccelBackend::Sim);
    let mut b = engine(Net::micro(), c, AccelBackend::SimReset);
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let hp = Hyper {
        lr: 0.1,
        momentum: 0.9,
        weight_decay: 0.01,
    };
    for step in 0..3 {
        let (x, y) = batch(&mut rng, 4, 8);
        let la = a.forward(&x, 4).unwrap();
        assert_eq!(
            la,
            b.forward(&x, 4).unwrap(),
            "logits differ at step {step}"
        );
        let (d, _) = dlogits(&la, &y, 10);
        a.backward_update(&d, &hp).unwrap();
        b.backward_update(&d, &hp).unwrap();
        assert_eq!(
            a.state().tensors,
            b.state().tensors,
            "state differs after step {step}"
        );
    }
    let n = a.accel().unwrap().programs;
    assert!(n > 20, "{n} programs");
    let seeds: std::collections::BTreeSet<u32> =
        (0..n).map(|k| train::accel::program_seed(7, k)).collect();
    assert_eq!(seeds.len() as u64, n, "two programs of a run share a seed");
    assert_ne!(
        train::accel::program_seed(7, 0),
        train::accel::program_seed(8, 0)
    );
}

/// Independent programs of a step (a layer's weight and input gradients)
/// run at once on the simulator backends; the bits, cycles and energy must
/// be those of any thread count. Two nets: the micro net (the classifier
/// pair) and one with a second convolution (the convolution pair).
#[test]
fn training_is_bit_identical_on_one_and_four_threads() {
    let two_convs = Net {
        name: "two-convs".into(),
        input: (1, 8, 8),
        layers: vec![
            TLayer::conv(1, 4, 3, 1),
            TLayer::conv(4, 4, 3, 0),
            TLayer::max_pool(2),
            TLayer::fc(36, 10, Activation::Identity),
        ],
    };
    let hp = Hyper {
        lr: 0.1,
        momentum: 0.9,
        weight_decay: 0.01,
    };
    for net in [Net::micro(), two_convs] {
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool");
            pool.install(|| {
                let mut e = engine(net.clone(), cfg("tiny", 10), AccelBackend::Sim);
                let mut rng = ChaCha8Rng::seed_from_u64(9);
                let mut logits = Vec::new();
                for _ in 0..3 {
                    let (x, y) = batch(&mut rng, 4, 8);
                    let l = e.forward(&x, 4).unwrap();
                    let (d, _) = dlogits(&l, &y, 10);
                    e.backward_update(&d, &hp).unwrap();
                    logits.push(l);
                }
                let totals = e.accel().unwrap();
                (e.state().tensors, logits, totals)
            })
        };
        let (one, four) = (run(1), run(4));
        assert_eq!(one.0, four.0, "{}: state", net.name);
        assert_eq!(one.1, four.1, "{}: logits", net.name);
        assert_eq!(one.2.cycles, four.2.cycles, "{}: cycles", net.name);
        assert_eq!(one.2.programs, four.2.programs, "{}: programs", net.name);
        assert_eq!(
            one.2.energy_j.to_bits(),
            four.2.energy_j.to_bits(),
            "{}: energy",
            net.name
        );
    }
}

/// The held-out evaluation's forward passes run at once on the simulator
/// backends; their logits and totals, and a training step after them (its
/// programs' seeds count the evaluation's programs), must be the bits of
/// the passes run in turn, on 1 and 4 threads.
#[test]
fn parallel_evaluation_gives_the_bits_of_passes_in_turn() {
    let hp = Hyper {
        lr: 0.1,
        momentum: 0.9,
        weight_decay: 0.0,
    };
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    // 11 images in passes of 3: 4 passes, the last of 2
    let (images, _) = batch(&mut rng, 11, 8);
    let (x, y) = batch(&mut rng, 4, 8);
    let after = |e: &mut AccelEngine, logits: Vec<f32>| {
        let totals = e.accel().unwrap();
        let l = e.forward(&x, 4).unwrap();
        let (d, _) = dlogits(&l, &y, 10);
        e.backward_update(&d, &hp).unwrap();
        (logits, totals, e.state().tensors, e.accel().unwrap())
    };
    // in turn: one forward per pass
    let mut seq = engine(Net::micro(), cfg("tiny", 10), AccelBackend::Sim);
    let mut logits = Vec::new();
    for i in (0..11).step_by(3) {
        let b = 3.min(11 - i);
        logits.extend(seq.forward(&images[i * 64..(i + b) * 64], b).unwrap());
    }
    let want = after(&mut seq, logits);
    for threads in [1, 4] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        let got = pool.install(|| {
            let mut e = engine(Net::micro(), cfg("tiny", 10), AccelBackend::Sim);
            let l = e.forward_batches(&images, 11, 3).unwrap();
            after(&mut e, l)
        });
        assert_eq!(got.0, want.0, "{threads} threads: logits");
        assert_eq!(
            got.1, want.1,
            "{threads} threads: totals after the evaluation"
        );
        assert_eq!(got.2, want.2, "{threads} threads: state after a step");
        assert_eq!(got.3, want.3, "{threads} threads: totals after a step");
    }
}

#[test]
fn micro_net_learns_on_the_simulator() {
    let mut e = engine(Net::micro(), cfg("tiny", 10), AccelBackend::Sim);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let hp = Hyper {
        lr: 0.1,
        momentum: 0.9,
        weight_decay: 0.0,
    };
    let mut first = None;
    let mut last = 0.0;
    for _ in 0..30 {
        let (x, y) = batch(&mut rng, 8, 8);
        let l = e.forward(&x, 8).unwrap();
        let (d, loss) = dlogits(&l, &y, 10);
        first.get_or_insert(loss);
        last = loss;
        e.backward_update(&d, &hp).unwrap();
    }
    let first = first.unwrap();
    assert!(last < 0.5 * first, "loss {first} -> {last}");
    let t = e.accel().unwrap();
    assert!(t.cycles > 0 && t.energy_j > 0.0 && t.programs > 0);
}

#[test]
fn verilator_trains_bit_identically_to_the_simulator() {
    let c = cfg("tiny", 10);
    let mut a = engine(Net::micro(), c.clone(), AccelBackend::Sim);
    let mut b = engine(Net::micro(), c, AccelBackend::Verilator);
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    // with weight decay: its program runs on the hardware too
    let hp = Hyper {
        lr: 0.1,
        momentum: 0.9,
        weight_decay: 0.01,
    };
    for step in 0..2 {
        let (x, y) = batch(&mut rng, 2, 8);
        let la = a.forward(&x, 2).unwrap();
        let lb = b.forward(&x, 2).unwrap();
        assert_eq!(la, lb, "logits differ at step {step}");
        let (d, _) = dlogits(&la, &y, 10);
        a.backward_update(&d, &hp).unwrap();
        b.backward_update(&d, &hp).unwrap();
        let (sa, sb) = (a.state(), b.state());
        for (k, v) in &sa.tensors {
            assert_eq!(
                Some(v),
                sb.tensors.get(k),
                "tensor {k} differs after step {step}"
            );
        }
        assert_eq!(sa.tensors.len(), sb.tensors.len());
        let (ta, tb) = (a.accel().unwrap(), b.accel().unwrap());
        assert_eq!(ta.cycles, tb.cycles, "cycles differ at step {step}");
        assert_eq!(ta.programs, tb.programs, "programs differ at step {step}");
        // energy and saturations from the hardware's event counters
        assert!(tb.energy_j > 0.0, "rtl energy {} J", tb.energy_j);
        assert_eq!(
            ta.energy_j.to_bits(),
            tb.energy_j.to_bits(),
            "energy differs at step {step}"
        );
        assert_eq!(
            ta.saturations, tb.saturations,
            "saturations differ at step {step}"
        );
    }
}

mod digits {
    use super::*;
    use std::path::Path;
    use train::data::{self, Dataset};
    use train::{train, Silent, TrainConfig};

    fn subset(n_train: usize, n_test: usize, small: bool) -> (Dataset, Dataset) {
        let m = data::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/mnist"))
            .expect("bundled MNIST loads");
        let (mut tr, mut te) = (m.train, m.test);
        tr.truncate(n_train);
        te.truncate(n_test);
        if small {
            (tr.downsample_8x8(), te.downsample_8x8())
        } else {
            (tr, te)
        }
    }

    fn cfg(epochs: usize, out: Option<&Path>) -> TrainConfig {
        let mut c = TrainConfig::new();
        c.epochs = epochs;
        c.batch = 32;
        c.eval_batch = 64;
        c.seed = 3;
        c.hyper = Hyper {
            lr: 0.03,
            momentum: 0.9,
            weight_decay: 0.0,
        };
        c.out = out.map(Path::to_path_buf);
        c
    }

    /// The default network learns real digits through the cycle-accurate simulator.
    #[test]
    fn lenet5_learns_digits_on_the_simulator() {
        let (tr, te) = subset(768, 256, false);
        let mut e = engine(Net::lenet5(), super::cfg("diannao", 10), AccelBackend::Sim);
        let s = train(&cfg(2, None), &mut e, &tr, &te, &mut Silent).unwrap();
        let (a, b) = (&s.epochs[0], &s.epochs[1]);
        assert!(
            b.train_loss < a.train_loss,
            "loss {} -> {}",
            a.train_loss,
            b.train_loss
        );
        assert!(
            s.final_test_acc >= 0.6,
            "held-out accuracy {}",
            s.final_test_acc
        );
        let t = s.accel.expect("accelerator totals");
        assert!(t.cycles > 0 && t.energy_j > 0.0 && t.macs > 0);
    }

    /// Resuming (weights, velocities, and the program count that sets the
    /// next program's rounding seed, from the checkpoint) ends with the same
    /// bits as an uninterrupted run.
    #[test]
    fn simulator_resume_is_bit_identical() {
        let (tr, te) = subset(128, 64, true);
        let mk = || engine(Net::micro(), super::cfg("tiny", 10), AccelBackend::Sim);
        let mut a = mk();
        train(&cfg(2, None), &mut a, &tr, &te, &mut Silent).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut b = mk();
        train(&cfg(1, Some(dir.path())), &mut b, &tr, &te, &mut Silent).unwrap();
        let mut c = mk();
        let mut rc = cfg(2, Some(dir.path()));
        rc.resume = true;
        let s = train(&rc, &mut c, &tr, &te, &mut Silent).unwrap();
        assert_eq!(s.resumed_after, Some(1));
        let (sa, sc) = (a.state(), c.state());
        assert_eq!(sa.tensors, sc.tensors);
        let (ta, tc) = (a.accel().unwrap(), c.accel().unwrap());
        assert_eq!((ta.cycles, ta.programs), (tc.cycles, tc.programs));
    }

    /// A checkpoint of another data format is refused by name.
    #[test]
    fn checkpoint_of_another_format_is_refused() {
        let (tr, te) = subset(64, 32, true);
        let dir = tempfile::tempdir().unwrap();
        let mut a = engine(Net::micro(), super::cfg("tiny", 10), AccelBackend::Sim);
        train(&cfg(1, Some(dir.path())), &mut a, &tr, &te, &mut Silent).unwrap();
        let mut b = engine(Net::micro(), super::cfg("tiny", 9), AccelBackend::Sim);
        let mut rc = cfg(2, Some(dir.path()));
        rc.resume = true;
        let e = train(&rc, &mut b, &tr, &te, &mut Silent)
            .unwrap_err()
            .to_string();
        assert!(e.contains("frac=10") && e.contains("frac=9"), "{e}");
    }

    /// A whole epoch of the micro net on 256 digits (8 steps of 32, then
    /// the held-out pass over 64) on the emitted Verilog under Verilator at
    /// the training format (`frac_bits` = 10): the same weights, velocities,
    /// per-epoch metrics, cycles, energy and saturations as the default
    /// simulator engine (one machine for the run; every program's LFSRs
    /// start from its own seed on both).
    #[test]
    fn verilator_epoch_is_bit_identical_to_the_simulator() {
        let (tr, te) = subset(256, 64, true);
        let c = super::cfg("tiny", 10);
        let mut a = engine(Net::micro(), c.clone(), AccelBackend::Sim);
        let mut b = engine(Net::micro(), c, AccelBackend::Verilator);
        let mut tc = cfg(1, None);
        tc.hyper.weight_decay = 1e-3;
        let sa = train(&tc, &mut a, &tr, &te, &mut Silent).unwrap();
        let sb = train(&tc, &mut b, &tr, &te, &mut Silent).unwrap();
        let (ea, eb) = (&sa.epochs[0], &sb.epochs[0]);
        assert_eq!(ea.train_loss, eb.train_loss, "training loss");
        assert_eq!(ea.train_acc, eb.train_acc, "training accuracy");
        assert_eq!(sa.final_test_acc, sb.final_test_acc, "held-out accuracy");
        let (xa, xb) = (a.state(), b.state());
        for (k, v) in &xa.tensors {
            assert_eq!(Some(v), xb.tensors.get(k), "tensor {k} differs");
        }
        assert_eq!(xa.tensors.len(), xb.tensors.len());
        let (ta, tb) = (a.accel().unwrap(), b.accel().unwrap());
        assert_eq!(ta.cycles, tb.cycles, "cycles");
        assert_eq!(ta.programs, tb.programs, "programs");
        assert_eq!(ta.saturations, tb.saturations, "saturations");
        assert_eq!(ta.macs, tb.macs, "MACs");
        assert_eq!(ta.energy_j, tb.energy_j, "energy");
        assert!(ta.programs > 8 * 10, "{} programs", ta.programs);
        assert!(ta.energy_j > 0.0, "energy {}", ta.energy_j);
    }

    /// A whole LeNet-5 training step (forward, backward and update programs,
    /// most of them longer than the 1024-entry instruction memory) on the
    /// emitted Verilog under Verilator at the diannao preset: the same
    /// logits, weights, velocities and cycles as the simulator. Long tier
    /// (`bash scripts/long.sh lenet5_training_step`): a Verilator build of
    /// the training format at `diannao` plus 97 s of simulation.
    #[test]
    #[ignore = "long tier: scripts/long.sh"]
    fn lenet5_training_step_on_verilator_is_bit_identical() {
        let (tr, _) = subset(32, 32, false);
        let c = super::cfg("diannao", 10);
        let mut a = engine(Net::lenet5(), c.clone(), AccelBackend::Sim);
        let mut b = engine(Net::lenet5(), c, AccelBackend::Verilator);
        let n = 4;
        let x: Vec<f32> = (0..n).flat_map(|i| tr.image(i).to_vec()).collect();
        let y: Vec<usize> = tr.labels[..n].iter().map(|l| *l as usize).collect();
        let la = a.forward(&x, n).unwrap();
        let lb = b.forward(&x, n).unwrap();
        assert_eq!(la, lb, "logits differ");
        let (d, _) = dlogits(&la, &y, 10);
        let hp = Hyper {
            lr: 0.05,
            momentum: 0.9,
            weight_decay: 0.0,
        };
        a.backward_update(&d, &hp).unwrap();
        b.backward_update(&d, &hp).unwrap();
        let (sa, sb) = (a.state(), b.state());
        for (k, v) in &sa.tensors {
            assert_eq!(Some(v), sb.tensors.get(k), "tensor {k} differs");
        }
        assert_eq!(sa.tensors.len(), sb.tensors.len());
        let (ta, tb) = (a.accel().unwrap(), b.accel().unwrap());
        assert_eq!(ta.cycles, tb.cycles, "cycles differ");
        assert!(ta.programs > 3, "{} programs", ta.programs);
    }
}

/// The engine runs exactly the programs of the one training-step schedule
/// (`train::schedule`) that `compare --train`'s cost model simulates: the
/// same number of programs and, timing being data-independent, the same
/// cycles for one step.
#[test]
fn engine_runs_the_schedule_that_the_cost_model_simulates() {
    schedule_matches(Net::micro());
}

/// The same on every layer type: strided convolutions, tanh and sigmoid
/// (their forward activation programs), overlapping max pools, average
/// pools and the global average pool.
#[test]
fn engine_runs_the_cost_models_schedule_on_every_layer_type() {
    schedule_matches(strided());
    schedule_matches(averaged());
    schedule_matches(grouped());
    schedule_matches(residual());
}

fn schedule_matches(net: Net) {
    let side = net.input.1;
    let cfg = cfg("tiny", 10);
    let b = 4;
    let mut e = engine(net.clone(), cfg.clone(), AccelBackend::SimReset);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let (x, y) = batch(&mut rng, b, side);
    let l = e.forward(&x, b).unwrap();
    let (d, _) = dlogits(&l, &y, 10);
    let hp = Hyper {
        lr: 0.1,
        momentum: 0.9,
        weight_decay: 0.0,
    };
    e.backward_update(&d, &hp).unwrap();
    let t = e.accel().unwrap();
    let table = EnergyTable::named("horowitz45").unwrap();
    let nominal = train::schedule::UpdateWords::nominal(&cfg);
    let (mut programs, mut cycles) = (0u64, 0u64);
    for i in 0..net.layers.len() {
        let progs = train::schedule::net_layer_programs(&cfg, &net, i, b as u32, &nominal).unwrap();
        let c = train::cost::layer_cost(&cfg, &progs, &table, 9, &mut |_| {}).unwrap();
        programs += c.breakdown.programs as u64;
        cycles += c.cycles;
    }
    assert!(
        programs > 3 * net.layers.len() as u64,
        "{}: {programs} programs",
        net.name
    );
    assert_eq!(
        t.programs, programs,
        "{}: programs run by the engine vs the schedule",
        net.name
    );
    assert_eq!(
        t.cycles, cycles,
        "{}: engine cycles vs the cost model's",
        net.name
    );
}

/// conv 3x3 pad 1 1->4 (ReLU, 8x8), conv 3x3 pad 1 stride 2 4->4 (tanh,
/// 4x4), overlapping max pool 3/1 (2x2), fc 16->8 (sigmoid), fc 8->10.
fn strided() -> Net {
    use train::net::{PoolKind, TLayer};
    Net {
        name: "strided".into(),
        input: (1, 8, 8),
        layers: vec![
            TLayer::conv(1, 4, 3, 1),
            TLayer::conv_act(4, 4, 3, 1, 2, Activation::Tanh),
            TLayer::Pool {
                kind: PoolKind::Max,
                k: 3,
                stride: 1,
            },
            TLayer::fc(16, 8, Activation::Sigmoid),
            TLayer::fc(8, 10, Activation::Identity),
        ],
    }
}

/// conv 3x3 pad 1 1->4 (ReLU, 8x8), average pool 2/2 (4x4), conv 3x3 4->4
/// (sigmoid, 2x2), global average pool (4x1x1), fc 4->10.
fn averaged() -> Net {
    use train::net::{PoolKind, TLayer};
    Net {
        name: "averaged".into(),
        input: (1, 8, 8),
        layers: vec![
            TLayer::conv(1, 4, 3, 1),
            TLayer::Pool {
                kind: PoolKind::Avg,
                k: 2,
                stride: 2,
            },
            TLayer::conv_act(4, 4, 3, 0, 1, Activation::Sigmoid),
            TLayer::GlobalAvgPool,
            TLayer::fc(4, 10, Activation::Identity),
        ],
    }
}

/// conv 3x3 pad 1 1->8 (ReLU, 8x8), grouped conv 3x3 pad 1 8->8 in 2
/// groups (tanh), depthwise conv 3x3 pad 1 stride 2 (8 groups, sigmoid,
/// 4x4), max pool 2 (2x2), fc 32->10: grouped and depthwise weight and
/// input gradients.
fn grouped() -> Net {
    use train::net::TLayer;
    Net {
        name: "grouped".into(),
        input: (1, 8, 8),
        layers: vec![
            TLayer::conv(1, 8, 3, 1),
            TLayer::conv_act(8, 8, 3, 1, 1, Activation::Tanh).grouped(2),
            TLayer::conv_act(8, 8, 3, 1, 2, Activation::Sigmoid).grouped(8),
            TLayer::max_pool(2),
            TLayer::fc(32, 10, Activation::Identity),
        ],
    }
}

/// conv 3x3 pad 1 1->4 (ReLU, 8x8), a basic block (conv 3x3 pad 1 4->4
/// ReLU, conv 3x3 pad 1 4->4 identity, `relu(X + block input)`), a second
/// add of the block input (tanh: its forward activation and derivative
/// programs), max pool 2 (4x4), fc 64->10: the block input's gradient
/// sums three readers.
fn residual() -> Net {
    use train::net::TLayer;
    Net {
        name: "residual".into(),
        input: (1, 8, 8),
        layers: vec![
            TLayer::conv(1, 4, 3, 1),
            TLayer::conv(4, 4, 3, 1),
            TLayer::conv_act(4, 4, 3, 1, 1, Activation::Identity),
            TLayer::add(2, Activation::Relu),
            TLayer::add(3, Activation::Tanh),
            TLayer::max_pool(2),
            TLayer::fc(64, 10, Activation::Identity),
        ],
    }
}

/// conv 3x3 pad 1 1->4 (8x8), pool 2, conv 3x3 pad 1 4->4 (4x4), pool 2,
/// fc 16->10: both convolutions padded, the second with an input gradient.
fn padded() -> Net {
    use train::net::TLayer;
    Net {
        name: "padded".into(),
        input: (1, 8, 8),
        layers: vec![
            TLayer::conv(1, 4, 3, 1),
            TLayer::max_pool(2),
            TLayer::conv(4, 4, 3, 1),
            TLayer::max_pool(2),
            TLayer::fc(16, 10, Activation::Identity),
        ],
    }
}

/// The fixed-point engine against the f32 engine, layer by layer, on a net
/// of padded convolutions: from the same (quantised) weights and the same
/// batch, one SGD step with weight decay changes every parameter tensor as
/// the f32 step does, within the data format's rounding (relative L2 error
/// of the change under 10% per tensor).
#[test]
fn fixed_point_step_follows_f32_layer_by_layer_on_padded_convolutions() {
    step_follows_f32(padded(), 0.05, 0.1);
}

/// The same on strided convolutions, tanh, sigmoid and overlapping max
/// pools; sigmoid and tanh are interpolated on the accelerator
/// (`arch::activation`), exact in f32, so the logits may differ more.
#[test]
fn fixed_point_step_follows_f32_layer_by_layer_on_strided_tanh_sigmoid_and_overlapping_pools() {
    step_follows_f32(strided(), 0.08, 0.1);
}

/// The same on average pools and the global average pool (whose
/// gradients the accelerator spreads by stochastic rounding).
#[test]
fn fixed_point_step_follows_f32_layer_by_layer_on_average_pools() {
    step_follows_f32(averaged(), 0.08, 0.1);
}

/// The same on grouped and depthwise convolutions (one weight-gradient
/// program per group, the input gradient a grouped convolution).
#[test]
fn fixed_point_step_follows_f32_layer_by_layer_on_grouped_and_depthwise_convolutions() {
    step_follows_f32(grouped(), 0.08, 0.1);
}

/// The same on residual adds (ReLU and tanh; one tensor's gradient the sum
/// of three readers'). The first layers' steps are further off than on the
/// other nets: measured 6.7% (layer 0 weights), 14.8% (layer 0 bias), 9.0%
/// (layer 1 bias), under 3% elsewhere; with ReLU for the second add they
/// are 3.5%, 9.9% and 5.6%, so the interpolated tanh accounts for much of
/// it, and the bias gradient of layer 0 sums three paths' gradients that
/// partly cancel. Dropping the skip gradient (a wrong backward pass) gives
/// 76% and 89% on layer 0, so the bound of 20% still catches it.
#[test]
fn fixed_point_step_follows_f32_layer_by_layer_on_residual_adds() {
    step_follows_f32(residual(), 0.08, 0.2);
}

/// From the same (quantised) weights and batch, one SGD step with weight
/// decay on the fixed-point engine and on the f32 engine: the logits differ
/// by less than `logit_tol` and every parameter tensor's change has a
/// relative L2 error under `step_tol`.
fn step_follows_f32(net: Net, logit_tol: f32, step_tol: f64) {
    use train::cpu::CpuEngine;
    use train::engine::Tensor;
    let side = net.input.1;
    let f = 10;
    let mut a = engine(net.clone(), cfg("tiny", f), AccelBackend::Sim);
    let scale = 1.0 / (1u32 << f) as f32;
    let words = |s: &train::engine::EngineState, k: &str| -> Vec<f32> {
        match s.tensors.get(k) {
            Some(Tensor::I16(v)) => v.iter().map(|w| *w as f32 * scale).collect(),
            other => panic!("tensor {k}: {other:?}"),
        }
    };
    let before = a.state();
    let params: Vec<(Vec<f32>, Vec<f32>)> = (0..net.layers.len())
        .map(|i| match net.param_lens(i) {
            Some(_) => (
                words(&before, &format!("layer{i}.w")),
                words(&before, &format!("layer{i}.b")),
            ),
            None => (Vec::new(), Vec::new()),
        })
        .collect();
    let mut c = CpuEngine::with_params(net.clone(), params.clone()).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let (x, y) = batch(&mut rng, 8, side);
    let la = a.forward(&x, 8).unwrap();
    let lc = c.forward(&x, 8).unwrap();
    let worst = la
        .iter()
        .zip(&lc)
        .map(|(p, q)| (p - q).abs())
        .fold(0.0, f32::max);
    assert!(
        worst < logit_tol,
        "{}: logits differ by up to {worst}",
        net.name
    );
    let (d, _) = dlogits(&lc, &y, 10);
    let hp = Hyper {
        lr: 0.5,
        momentum: 0.9,
        weight_decay: 0.05,
    };
    a.backward_update(&d, &hp).unwrap();
    c.backward_update(&d, &hp).unwrap();
    let after = a.state();
    let mut checked = 0;
    for (i, p) in params.iter().enumerate() {
        if net.param_lens(i).is_none() {
            continue;
        }
        for (which, p0, p1c) in [("w", &p.0, &c.params()[i].0), ("b", &p.1, &c.params()[i].1)] {
            let p1a = words(&after, &format!("layer{i}.{which}"));
            let (mut err, mut norm) = (0.0f64, 0.0f64);
            for ((w0, wa), wc) in p0.iter().zip(&p1a).zip(p1c) {
                let (da, dc) = ((wa - w0) as f64, (wc - w0) as f64);
                err += (da - dc) * (da - dc);
                norm += dc * dc;
            }
            let rel = (err / norm).sqrt();
            assert!(
                norm > 0.0,
                "{} layer {i}.{which}: the f32 step changed nothing",
                net.name
            );
            eprintln!("{} layer {i}.{which}: relative error {rel:.4}", net.name);
            assert!(
                rel < step_tol,
                "{} layer {i}.{which}: relative error of the step {rel:.3}",
                net.name
            );
            checked += 1;
        }
    }
    let tensors = (0..net.layers.len())
        .filter(|&i| net.param_lens(i).is_some())
        .count();
    assert_eq!(checked, 2 * tensors);
}
