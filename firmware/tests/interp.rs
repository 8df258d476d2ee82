//! Programs run on the private ISA interpreter (results only) must match the
//! CPU reference bit for bit; their `wait` fields must order every conflict;
//! every instruction must check and encode; the plan's predicted rows must be
//! the rows the program moves.

mod common;

use arch::fixed::Rounding;
use arch::AccelConfig;
use common::*;
use firmware::codegen::CompileOptions;
use firmware::tiler::TileSizes;
use firmware::{compile_with, reference, LayerSpec};
use proptest::prelude::*;

fn run_case(
    cfg: &AccelConfig,
    layer: &LayerSpec,
    batch: u32,
    seed: u64,
    opts: &CompileOptions,
    wide: bool,
) -> Result<(), String> {
    let c = compile_with(cfg, layer, batch, opts).map_err(|e| format!("{layer}: {e}"))?;
    for (i, ins) in c.program.iter().enumerate() {
        ins.check(cfg)
            .map_err(|e| format!("{layer}: instr {i}: {e}"))?;
        ins.encode()
            .map_err(|e| format!("{layer}: instr {i}: {e}"))?;
    }
    if c.program.last().map(|i| i.cp) != Some(arch::isa::CpOp::End) {
        return Err("program does not end with end".into());
    }
    check_races(cfg, &c.program)
        .map_err(|e| format!("{layer} on {}: {e}\nplan {}", cfg.name, c.plan))?;
    let (nb, sb, no) = counted_rows(&c.program);
    let k = &c.plan.cost;
    if (nb, sb, no) != (k.nbin_rows, k.sb_rows, k.nbout_rows) {
        return Err(format!(
            "{layer}: counted rows {:?} != predicted {:?}\n{}",
            (nb, sb, no),
            (k.nbin_rows, k.sb_rows, k.nbout_rows),
            c.plan
        ));
    }
    let ops = c
        .program
        .iter()
        .filter(|i| i.nfu.op != arch::isa::NfuOp::Nop)
        .count() as u64;
    if ops != k.ops {
        return Err(format!("{layer}: {ops} ops, predicted {}", k.ops));
    }
    let (input, w, b) = random_data(layer, batch, seed, wide);
    let mut dram = dram_image(&c, &input, &w, &b);
    let mut m = Interp::new(cfg);
    m.run(&c.program, &mut dram);
    let got = c
        .layout
        .unpack_output(|a, buf| buf.copy_from_slice(&dram[a as usize..a as usize + buf.len()]));
    let want = reference::forward(layer, batch, &input, &w, &b, cfg.frac_bits, opts.round)
        .map_err(|e| e.to_string())?;
    if got != want.output {
        let i = got
            .iter()
            .zip(&want.output)
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        return Err(format!(
            "{layer} batch {batch} on {}: output {i} differs: got {} want {}\nplan {}",
            cfg.name, got[i], want.output[i], c.plan
        ));
    }
    Ok(())
}

fn layers() -> Vec<&'static str> {
    vec![
        "conv:nx=7,ny=5,kx=3,ky=3,ni=5,no=6,act=relu",
        "conv:nx=13,ny=11,kx=5,ky=3,ni=3,no=7,sx=2,sy=3,pad=1,act=sigmoid",
        "conv:nx=9,ny=9,k=7,ni=9,no=5,pad=2,bias=0,act=tanh",
        "conv:nx=27,ny=27,k=5,ni=12,no=20,pad=2,act=relu",
        "conv:nx=31,ny=31,k=11,ni=3,no=9,s=4,act=relu",
        "conv:nx=20,ny=20,k=9,ni=32,no=17",
        "pool:nx=13,ny=11,k=3,s=2,ni=7,kind=max",
        "pool:nx=12,ny=12,k=2,ni=5,kind=avg",
        "pool:nx=9,ny=8,k=3,s=2,pad=1,ni=6,kind=max",
        "pool:nx=9,ny=9,k=3,s=1,pad=1,ni=6,kind=avg",
        "pool:nx=7,ny=7,k=7,s=1,ni=10,kind=avg",
        "pool:nx=14,ny=14,k=7,s=7,ni=5,kind=max",
        "class:ni=37,no=11,act=sigmoid",
        "class:ni=300,no=70,act=relu",
        "class:ni=9,no=130,bias=0",
    ]
}

#[test]
fn fixed_layers_match_reference_tiny_and_diannao() {
    for cfg in [AccelConfig::tiny(), AccelConfig::diannao()] {
        for (k, l) in layers().into_iter().enumerate() {
            let layer: LayerSpec = l.parse().unwrap();
            for batch in [1, 3] {
                for round in [Rounding::Truncate, Rounding::Nearest] {
                    let opts = CompileOptions { round, plan: None };
                    run_case(
                        &cfg,
                        &layer,
                        batch,
                        k as u64 * 7 + batch as u64,
                        &opts,
                        false,
                    )
                    .unwrap();
                }
            }
        }
    }
}

#[test]
fn full_range_data_saturates_and_wraps_identically() {
    for cfg in [AccelConfig::tiny(), AccelConfig::diannao()] {
        for l in [
            "conv:nx=6,ny=6,k=3,ni=40,no=5,act=relu",
            "class:ni=200,no=9",
            "pool:nx=6,ny=6,k=3,s=3,ni=5,kind=avg",
        ] {
            let layer: LayerSpec = l.parse().unwrap();
            run_case(&cfg, &layer, 2, 99, &CompileOptions::default(), true).unwrap();
        }
    }
}

#[test]
fn forced_awkward_tilings_match() {
    let cfg = AccelConfig::tiny();
    let layer: LayerSpec = "conv:nx=11,ny=10,kx=5,ky=4,ni=9,no=10,sx=2,sy=1,pad=1,act=relu"
        .parse()
        .unwrap();
    for (toy, tox, to, tky, tkx, tc, db) in [
        (1, 1, 1, 1, 1, 1, 2),
        (2, 2, 2, 1, 2, 1, 2),
        (1, 2, 2, 2, 5, 1, 1),
        (3, 1, 1, 1, 2, 2, 2),
        (1, 1, 1, 1, 3, 1, 3),
        (2, 1, 1, 1, 2, 1, 4),
    ] {
        let opts = CompileOptions {
            round: Rounding::Nearest,
            plan: Some(TileSizes {
                toy,
                tox,
                to,
                tky,
                tkx,
                tc,
                parts: db,
            }),
        };
        run_case(&cfg, &layer, 2, 5, &opts, false).unwrap();
    }
}

fn conv_strategy() -> impl Strategy<Value = String> {
    (1u32..14, 1u32..14, 1u32..6, 1u32..6, 1u32..12, 1u32..12, 1u32..4, 1u32..4, 0u32..3, any::<bool>()).prop_filter_map(
        "kernel fits",
        |(nx, ny, kx, ky, ni, no, sx, sy, pad, bias)| {
            let pad = pad.min(kx.min(ky) - 1);
            if kx > nx + 2 * pad || ky > ny + 2 * pad {
                return None;
            }
            Some(format!("conv:nx={nx},ny={ny},kx={kx},ky={ky},ni={ni},no={no},sx={sx},sy={sy},pad={pad},act=relu,bias={}", bias as u8))
        },
    )
}

fn pool_strategy() -> impl Strategy<Value = String> {
    (
        1u32..14,
        1u32..14,
        1u32..8,
        1u32..8,
        1u32..11,
        1u32..4,
        1u32..4,
        0u32..3,
        any::<bool>(),
    )
        .prop_filter_map("window fits", |(nx, ny, kx, ky, ni, sx, sy, pad, max)| {
            let pad = pad.min(kx.min(ky) - 1);
            if kx > nx + 2 * pad || ky > ny + 2 * pad {
                return None;
            }
            Some(format!(
                "pool:nx={nx},ny={ny},kx={kx},ky={ky},ni={ni},sx={sx},sy={sy},pad={pad},kind={}",
                if max { "max" } else { "avg" }
            ))
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn random_conv_matches(l in conv_strategy(), batch in 1u32..3, dn in any::<bool>(), seed in any::<u64>()) {
        let cfg = if dn { AccelConfig::diannao() } else { AccelConfig::tiny() };
        let layer: LayerSpec = l.parse().unwrap();
        if let Err(e) = run_case(&cfg, &layer, batch, seed, &CompileOptions::default(), false) { prop_assert!(false, "{}", e); }
    }

    #[test]
    fn random_pool_matches(l in pool_strategy(), batch in 1u32..3, dn in any::<bool>(), seed in any::<u64>()) {
        let cfg = if dn { AccelConfig::diannao() } else { AccelConfig::tiny() };
        let layer: LayerSpec = l.parse().unwrap();
        if let Err(e) = run_case(&cfg, &layer, batch, seed, &CompileOptions::default(), false) { prop_assert!(false, "{}", e); }
    }

    #[test]
    fn random_class_matches(ni in 1u32..200, no in 1u32..90, batch in 1u32..20, dn in any::<bool>(), seed in any::<u64>()) {
        let cfg = if dn { AccelConfig::diannao() } else { AccelConfig::tiny() };
        let layer: LayerSpec = format!("class:ni={ni},no={no},act=relu").parse().unwrap();
        if let Err(e) = run_case(&cfg, &layer, batch, seed, &CompileOptions { round: Rounding::Nearest, plan: None }, false) { prop_assert!(false, "{}", e); }
    }
}
