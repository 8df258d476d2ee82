//! Real layers at the `diannao` preset on the emitted Verilog under
//! Verilator, against the simulator: the same whole final DRAM image, cycle
//! count and status (issue #12's equivalence on real work). Programs are far
//! longer than the 1024-entry instruction memory: the machine fetches them
//! from DRAM. The default suite runs every LeNet-5 layer (batch 16),
//! AlexNet's conv1 (the lane-packed 11x11 stride-4 path), pool1 (max), a
//! conv3-sized layer, fc8 and an average pool; every AlexNet layer runs in
//! the long tier (`diannao/tests/long.rs`, `verify_alexnet_diannao`).

use arch::AccelConfig;
use backends::{compare, vectors, Backend, SimBackend, Vector, VerilatorBackend};
use firmware::model::Model;
use std::time::Instant;

/// Run `v` on the simulator and Verilator; demand identical outcomes and a
/// non-zero output region; return the program length.
fn agree(v: &Vector) -> usize {
    let t0 = Instant::now();
    let s = SimBackend::default()
        .run(v)
        .unwrap_or_else(|e| panic!("{}: {e}", v.name));
    let t1 = Instant::now();
    let o = VerilatorBackend::default()
        .run(v)
        .unwrap_or_else(|e| panic!("{}: {e}", v.name));
    if let Err(m) = compare(v, "sim", &s, "verilator", &o) {
        panic!("{m}");
    }
    assert_eq!(s.status, backends::Status::Done, "{}", v.name);
    let out = s.dram.read(v.window.0, v.window.1);
    assert!(
        out.iter().any(|b| *b != 0),
        "{}: output region all zero",
        v.name
    );
    eprintln!(
        "{}: {} instructions, {} cycles; sim {:.2} s, verilator {:.1} s",
        v.name,
        v.program.len(),
        s.cycles,
        (t1 - t0).as_secs_f64(),
        t1.elapsed().as_secs_f64()
    );
    v.program.len()
}

/// Layer `name` of built-in model `model`, as a vector at `diannao`.
fn model_layer(model: &str, name: &str, batch: u32) -> Vector {
    let m = Model::load(model).unwrap();
    let l = m
        .layers
        .iter()
        .find(|l| l.name == name)
        .unwrap_or_else(|| panic!("{model} has no layer {name}"));
    vectors::layer_vector(&AccelConfig::diannao(), &l.spec, batch, 7).unwrap()
}

fn spec_layer(spec: &str, batch: u32) -> Vector {
    let spec = spec.parse().unwrap_or_else(|e| panic!("{spec}: {e}"));
    vectors::layer_vector(&AccelConfig::diannao(), &spec, batch, 7).unwrap()
}

#[test]
fn every_lenet5_layer_batch_16() {
    let imem = AccelConfig::diannao().imem_depth as usize;
    let m = Model::load("lenet5").unwrap();
    let mut longer = 0;
    for l in &m.layers {
        let v = vectors::layer_vector(&AccelConfig::diannao(), &l.spec, 16, 7).unwrap();
        longer += (agree(&v) > imem) as usize;
    }
    assert!(
        longer >= 3,
        "only {longer} LeNet-5 programs exceed the imem"
    );
}

#[test]
fn alexnet_conv1_lane_packed_11x11_stride_4() {
    let v = model_layer("alexnet", "conv1", 1);
    assert!(agree(&v) > AccelConfig::diannao().imem_depth as usize);
}

#[test]
fn alexnet_pool1_max_and_an_average_pool() {
    agree(&model_layer("alexnet", "pool1", 1));
    agree(&spec_layer("pool:nx=27,ny=27,k=3,s=2,ni=64,kind=avg", 1));
}

#[test]
fn a_conv3_sized_layer() {
    // AlexNet conv3's shape (13x13x256, 3x3, pad 1) with 96 of its 384 outputs
    let v = spec_layer("conv:nx=13,ny=13,k=3,ni=256,no=96,pad=1,act=relu", 1);
    assert!(agree(&v) > AccelConfig::diannao().imem_depth as usize);
}

#[test]
fn alexnet_fc8() {
    agree(&model_layer("alexnet", "fc8", 1));
}
