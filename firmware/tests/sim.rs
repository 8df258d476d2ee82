//! Bit-exact equality of the cycle-accurate simulator running compiled
//! layers and the CPU reference, on `tiny` and `diannao`.

mod common;

use arch::fixed::Rounding;
use arch::AccelConfig;
use common::*;
use firmware::codegen::CompileOptions;
use firmware::{compile_with, reference, CompiledLayer, LayerSpec};
use proptest::prelude::*;

/// Run a compiled layer on the simulator; returns (outputs, cycles).
fn run_sim(
    cfg: &AccelConfig,
    c: &CompiledLayer,
    input: &[i16],
    w: &[i16],
    b: &[i16],
) -> Result<(Vec<i16>, u64), String> {
    let mut dram = sim::Dram::new(cfg.dram.size_bytes);
    for (a, bytes) in c
        .layout
        .pack_input(input)
        .unwrap()
        .into_iter()
        .chain(c.layout.pack_params(w, b).unwrap())
    {
        dram.write(a, &bytes).map_err(|e| e.to_string())?;
    }
    let mut m = sim::Machine::new(cfg.clone()).map_err(|e| e.to_string())?;
    let stats = m.run(&c.program, &mut dram).map_err(|e| e.to_string())?;
    let out = c
        .layout
        .unpack_output(|a, buf| dram.read(a, buf).expect("output region inside DRAM"));
    Ok((out, stats.cycles))
}

fn sim_case(
    cfg: &AccelConfig,
    layer: &LayerSpec,
    batch: u32,
    seed: u64,
    round: Rounding,
) -> Result<u64, String> {
    let c = compile_with(cfg, layer, batch, &CompileOptions { round, plan: None })
        .map_err(|e| e.to_string())?;
    let (input, w, b) = random_data(layer, batch, seed, false);
    let (got, cycles) = run_sim(cfg, &c, &input, &w, &b)?;
    let want = reference::forward(layer, batch, &input, &w, &b, cfg.frac_bits, round)
        .map_err(|e| e.to_string())?;
    if got != want.output {
        let i = got
            .iter()
            .zip(&want.output)
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        return Err(format!(
            "{layer} batch {batch} on {}: output {i}: sim {} reference {}\n{}",
            cfg.name, got[i], want.output[i], c.plan
        ));
    }
    Ok(cycles)
}

#[test]
fn every_layer_type_matches_on_tiny_and_diannao() {
    let layers = [
        "conv:nx=13,ny=11,kx=5,ky=3,ni=5,no=7,sx=2,sy=3,pad=1,act=relu",
        "conv:nx=20,ny=20,k=9,ni=32,no=17,act=sigmoid",
        "conv:nx=31,ny=31,k=11,ni=3,no=9,s=4,act=relu",
        "pool:nx=13,ny=11,k=3,s=2,ni=7,kind=max",
        "pool:nx=9,ny=9,k=3,s=1,pad=1,ni=6,kind=avg",
        "pool:nx=7,ny=7,k=7,s=1,ni=10,kind=avg",
        "class:ni=300,no=70,act=tanh",
    ];
    for cfg in [AccelConfig::tiny(), AccelConfig::diannao()] {
        for (k, l) in layers.iter().enumerate() {
            let layer: LayerSpec = l.parse().unwrap();
            for batch in [1, 2] {
                sim_case(&cfg, &layer, batch, k as u64, Rounding::Nearest).unwrap();
            }
        }
    }
}

#[test]
fn alexnet_conv2_group_on_diannao_matches() {
    // one group of AlexNet conv2: 27x27, 5x5, pad 2, 48 -> 128 (far larger than every buffer)
    let cfg = AccelConfig::diannao();
    let layer: LayerSpec = "conv:nx=27,ny=27,k=5,pad=2,ni=48,no=128,act=relu"
        .parse()
        .unwrap();
    let cycles = sim_case(&cfg, &layer, 1, 1, Rounding::Truncate).unwrap();
    assert!(cycles > 0);
}

#[test]
fn stochastic_rounding_is_deterministic_on_the_simulator() {
    // no CPU reference: the same program on two fresh machines gives the same bits
    let cfg = AccelConfig::tiny();
    let layer: LayerSpec = "conv:nx=6,ny=6,k=3,ni=5,no=6".parse().unwrap();
    let c = compile_with(
        &cfg,
        &layer,
        1,
        &CompileOptions {
            round: Rounding::Stochastic,
            plan: None,
        },
    )
    .unwrap();
    let (input, w, b) = random_data(&layer, 1, 3, false);
    let a = run_sim(&cfg, &c, &input, &w, &b).unwrap();
    let b2 = run_sim(&cfg, &c, &input, &w, &b).unwrap();
    assert_eq!(a, b2);
    let near = reference::forward(&layer, 1, &input, &w, &b, cfg.frac_bits, Rounding::Truncate)
        .unwrap()
        .output;
    // stochastic results are within one LSB of truncation (round down or up)
    for (s, t) in a.0.iter().zip(&near) {
        assert!(
            *s == *t || *s == t.saturating_add(1),
            "stochastic {s} vs truncated {t}"
        );
    }
}

fn shape() -> impl Strategy<Value = String> {
    prop_oneof![
        (1u32..12, 1u32..12, 1u32..6, 1u32..6, 1u32..11, 1u32..11, 1u32..4, 0u32..3).prop_filter_map("fits", |(nx, ny, kx, ky, ni, no, s, pad)| {
            let pad = pad.min(kx.min(ky) - 1);
            (kx <= nx + 2 * pad && ky <= ny + 2 * pad).then(|| format!("conv:nx={nx},ny={ny},kx={kx},ky={ky},ni={ni},no={no},s={s},pad={pad},act=relu"))
        }),
        (1u32..12, 1u32..12, 1u32..5, 1u32..9, 1u32..3, any::<bool>()).prop_filter_map("fits", |(nx, ny, k, ni, s, max)| {
            (k <= nx && k <= ny).then(|| format!("pool:nx={nx},ny={ny},k={k},ni={ni},s={s},kind={}", if max { "max" } else { "avg" }))
        }),
        (1u32..150, 1u32..60).prop_map(|(ni, no)| format!("class:ni={ni},no={no},act=sigmoid")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn random_layers_match_on_the_simulator(l in shape(), batch in 1u32..4, dn in any::<bool>(), seed in any::<u64>()) {
        let cfg = if dn { AccelConfig::diannao() } else { AccelConfig::tiny() };
        let layer: LayerSpec = l.parse().unwrap();
        if let Err(e) = sim_case(&cfg, &layer, batch, seed, Rounding::Nearest) { prop_assert!(false, "{}", e); }
    }
}

#[test]
fn lane_packed_layers_match_on_the_simulator() {
    // few input maps: the compiler packs kernel positions into the lanes (and may keep weights resident)
    for cfg in [AccelConfig::tiny(), AccelConfig::diannao()] {
        for (k, l) in [
            "conv:nx=31,ny=31,k=11,ni=3,no=40,s=4,act=relu",
            "conv:nx=16,ny=16,k=5,ni=1,no=20,pad=2",
            "conv:nx=15,ny=13,kx=4,ky=3,ni=2,no=5,sx=2,sy=3",
        ]
        .iter()
        .enumerate()
        {
            let layer: LayerSpec = l.parse().unwrap();
            let c = compile_with(&cfg, &layer, 1, &CompileOptions::default()).unwrap();
            assert!(
                c.plan.pack.is_some(),
                "{l} on {}: expected lane packing\n{}",
                cfg.name,
                c.plan
            );
            for batch in [1, 2] {
                sim_case(&cfg, &layer, batch, 40 + k as u64, Rounding::Nearest).unwrap();
            }
        }
    }
}
