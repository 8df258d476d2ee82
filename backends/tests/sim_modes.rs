//! Every layer vector replayed on the simulator's two modes (event-driven
//! and cycle-by-cycle) must give identical DRAM, cycles and status.

use arch::AccelConfig;
use backends::{compare, vectors, Backend, SimBackend};

const LAYERS: &[&str] = &[
    "conv:nx=8,ny=8,kx=3,ky=3,ni=4,no=8,pad=1,act=relu",
    "conv:nx=7,ny=5,kx=3,ky=2,ni=5,no=6,sx=2,sy=1,act=sigmoid",
    "pool:nx=8,ny=8,kx=2,ky=2,ni=4,kind=max",
    "pool:nx=7,ny=7,kx=3,ky=3,ni=5,sx=2,sy=2,kind=avg",
    "class:ni=37,no=11,act=tanh",
];

#[test]
fn fast_and_stepped_simulation_agree_on_layer_vectors() {
    let cfg = AccelConfig::tiny();
    for (i, l) in LAYERS.iter().enumerate() {
        let spec = l.parse().unwrap_or_else(|e| panic!("{l}: {e}"));
        for batch in [1, 2] {
            let v = vectors::layer_vector(&cfg, &spec, batch, 7 + i as u64)
                .unwrap_or_else(|e| panic!("{l}: {e}"));
            let a = SimBackend { stepped: false }.run(&v).unwrap();
            let b = SimBackend { stepped: true }.run(&v).unwrap();
            compare(&v, "sim", &a, "sim-stepped", &b).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                a.cycles > 0 && a.dram.iter().any(|x| *x != 0),
                "{}: empty result",
                v.name
            );
        }
    }
}

#[test]
fn names_follow_the_unit_shape_operation_type_scheme() {
    let spec = LAYERS[0].parse().unwrap();
    assert_eq!(
        vectors::layer_name(&spec, 1),
        "conv_8x8x4_k3x3s1x1p1_o8_relu_i16"
    );
}

#[test]
fn a_corrupted_word_halts_both_modes_identically() {
    let cfg = AccelConfig::tiny();
    let spec = LAYERS[0].parse().unwrap();
    let mut v = vectors::layer_vector(&cfg, &spec, 1, 3).unwrap();
    // put an invalid NFU opcode into instruction 3
    let f = arch::isa::fields::F::NFU_OP;
    arch::isa::fields::put(
        &mut v.program[3],
        arch::isa::fields::lsb(f),
        arch::isa::fields::width(f),
        7,
    );
    let a = SimBackend { stepped: false }.run(&v).unwrap();
    let b = SimBackend { stepped: true }.run(&v).unwrap();
    assert_eq!(
        a.status,
        backends::Status::Error {
            class: "decode".into(),
            index: 3
        }
    );
    compare(&v, "sim", &a, "sim-stepped", &b).unwrap();
}
