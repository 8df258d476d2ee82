//! Element-wise programs (firmware::elementwise) on the cycle-accurate
//! simulator against a scalar fixed-point reference, on `tiny` and
//! `diannao`; the training masks; and the `Layout::unpack_params` round trip.

mod common;

use arch::activation::{Activation, Table};
use arch::fixed::{self, Rounding, AVG_SCALE_SHIFT};
use arch::AccelConfig;
use common::{check_races, Interp};
use firmware::elementwise::{compile_ew_parts, predict_cycles};
use firmware::{compile, compile_ew, CompiledEw, EwOp, EwSpec, LayerSpec};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Scalar reference of one element (what docs/microarchitecture.md says the NFU computes).
fn reference(cfg: &AccelConfig, spec: &EwSpec, a: i16, b: i16) -> i16 {
    let frac = cfg.frac_bits;
    let (x, _) = match spec.op {
        EwOp::Lincomb { a: ca, b: cb, c } => {
            let acc = ((c as i32) << frac)
                .wrapping_add(fixed::mul(ca, a))
                .wrapping_add(fixed::mul(cb, b));
            fixed::convert(acc, frac, spec.round, 0)
        }
        EwOp::Mul => fixed::convert(fixed::mul(a, b), frac, spec.round, 0),
        EwOp::AddConst { c } => fixed::convert_avg(
            (c as i32).wrapping_add(a as i32),
            1 << AVG_SCALE_SHIFT,
            spec.round,
            0,
        ),
    };
    Table::new(spec.act, frac).apply(x, frac).0
}

/// Run on the simulator; returns (output, cycles).
fn run_sim(cfg: &AccelConfig, c: &CompiledEw, a: &[i16], b: &[i16]) -> (Vec<i16>, u64) {
    let mut dram = sim::Dram::new(cfg.dram.size_bytes);
    let l = &c.layout;
    for (addr, bytes) in l
        .pack_a(a)
        .unwrap()
        .into_iter()
        .chain(l.pack_b(b).unwrap())
        .chain(l.pack_consts())
    {
        dram.write(addr, &bytes).unwrap();
    }
    let mut m = sim::Machine::new(cfg.clone()).unwrap();
    let stats = m.run(&c.program, &mut dram).unwrap();
    let out = l.unpack_out(|addr, buf| dram.read(addr, buf).unwrap());
    (out, stats.cycles)
}

/// Run on the results-only interpreter (tests/common).
fn run_interp(cfg: &AccelConfig, c: &CompiledEw, a: &[i16], b: &[i16]) -> Vec<i16> {
    let l = &c.layout;
    let mut dram = vec![0x5Au8; l.total_bytes() as usize];
    for (addr, bytes) in l
        .pack_a(a)
        .unwrap()
        .into_iter()
        .chain(l.pack_b(b).unwrap())
        .chain(l.pack_consts())
    {
        dram[addr as usize..addr as usize + bytes.len()].copy_from_slice(&bytes);
    }
    Interp::new(cfg).run(&c.program, &mut dram);
    l.unpack_out(|addr, buf| buf.copy_from_slice(&dram[addr as usize..addr as usize + buf.len()]))
}

fn random_words(n: u64, range: i32, rng: &mut ChaCha8Rng) -> Vec<i16> {
    (0..n)
        .map(|_| rng.gen_range(-range..range).clamp(-32768, 32767) as i16)
        .collect()
}

fn operands(spec: &EwSpec, seed: u64, range: i32) -> (Vec<i16>, Vec<i16>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let a = random_words(spec.len, range, &mut rng);
    let b = if spec.op.binary() {
        random_words(spec.len, range, &mut rng)
    } else {
        Vec::new()
    };
    (a, b)
}

/// Compile, check the program, run on the simulator and compare with the reference.
fn case(cfg: &AccelConfig, spec: &EwSpec, seed: u64, range: i32) -> Result<u64, String> {
    let c = compile_ew(cfg, spec).map_err(|e| e.to_string())?;
    check_races(cfg, &c.program).map_err(|e| format!("{spec:?} on {}: {e}", cfg.name))?;
    let (a, b) = operands(spec, seed, range);
    let (got, cycles) = run_sim(cfg, &c, &a, &b);
    if got.len() as u64 != spec.len {
        return Err(format!("{} outputs, expected {}", got.len(), spec.len));
    }
    for e in 0..got.len() {
        let bb = b.get(e).copied().unwrap_or(0);
        let want = reference(cfg, spec, a[e], bb);
        if got[e] != want {
            return Err(format!(
                "{spec:?} on {}: element {e} (A {} B {bb}): sim {} reference {want}",
                cfg.name, a[e], got[e]
            ));
        }
    }
    Ok(cycles)
}

fn ops(frac: u32, rng: &mut ChaCha8Rng) -> Vec<EwOp> {
    let one = 1i16 << frac;
    vec![
        EwOp::Lincomb {
            a: one,
            b: -one,
            c: 0,
        },
        EwOp::Lincomb {
            a: rng.gen_range(-3 * one..3 * one),
            b: rng.gen_range(-3 * one..3 * one),
            c: rng.gen_range(-4 * one..4 * one),
        },
        EwOp::Mul,
        EwOp::AddConst { c: -1 },
        EwOp::AddConst {
            c: rng.gen_range(-4 * one..4 * one),
        },
    ]
}

/// Every op, lengths 1, Tn-1 and several tiles, trunc/nearest, identity/drelu, both presets.
#[test]
fn every_op_matches_the_reference_on_tiny_and_diannao() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for cfg in [AccelConfig::tiny(), AccelConfig::diannao()] {
        let tn = cfg.tn as u64;
        let multi = {
            let c = compile_ew(
                &cfg,
                &EwSpec {
                    op: EwOp::Mul,
                    len: 1,
                    act: Activation::Identity,
                    round: Rounding::Truncate,
                },
            )
            .unwrap();
            // 5 full rounds of every part, plus a ragged last tile and row
            (5 * c.parts * c.tile_rows) as u64 * tn + 3 * tn + 1
        };
        for op in ops(cfg.frac_bits, &mut rng) {
            for len in [1, tn - 1, multi] {
                for round in [Rounding::Truncate, Rounding::Nearest] {
                    for act in [Activation::Identity, Activation::ReluDeriv] {
                        let spec = EwSpec {
                            op,
                            len,
                            act,
                            round,
                        };
                        // moderate values and full-range values (saturation, wrapping)
                        for range in [3 << cfg.frac_bits, 1 << 15] {
                            case(&cfg, &spec, rng.gen(), range).unwrap();
                        }
                    }
                }
            }
        }
    }
}

/// Programs longer than imem (fetched from DRAM by the machine), on both presets.
#[test]
fn long_programs_match_on_tiny_and_diannao() {
    for (cfg, len) in [
        (AccelConfig::tiny(), 12_345u64),
        (AccelConfig::diannao(), 300_000),
    ] {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for op in ops(cfg.frac_bits, &mut rng).into_iter().skip(1).step_by(2) {
            let spec = EwSpec {
                op,
                len,
                act: Activation::Identity,
                round: Rounding::Nearest,
            };
            let c = compile_ew(&cfg, &spec).unwrap();
            assert!(
                c.program.len() > cfg.imem_depth as usize,
                "{op:?} on {}",
                cfg.name
            );
            case(&cfg, &spec, 5, 1 << 15).unwrap();
        }
    }
}

/// Other part counts are correct too (single buffering, deeper rings).
#[test]
fn every_part_count_matches() {
    let cfg = AccelConfig::tiny();
    for parts in 1..=4 {
        for op in [
            EwOp::Mul,
            EwOp::Lincomb {
                a: 300,
                b: -200,
                c: 77,
            },
            EwOp::AddConst { c: 5 },
        ] {
            let spec = EwSpec {
                op,
                len: 1000,
                act: Activation::Identity,
                round: Rounding::Nearest,
            };
            let c = compile_ew_parts(&cfg, &spec, parts).unwrap();
            check_races(&cfg, &c.program).unwrap();
            let (a, b) = operands(&spec, parts as u64, 1 << 15);
            let (got, _) = run_sim(&cfg, &c, &a, &b);
            let want: Vec<i16> = (0..a.len())
                .map(|e| reference(&cfg, &spec, a[e], b.get(e).copied().unwrap_or(0)))
                .collect();
            assert_eq!(got, want, "{op:?} parts {parts}");
        }
    }
}

/// The masks of the training design (docs: notes/training-design.md).
#[test]
fn masks_work_as_the_training_design_uses_them() {
    for cfg in [AccelConfig::tiny(), AccelConfig::diannao()] {
        let one = 1i16 << cfg.frac_bits;
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let len = 3000u64;
        // relu mask: drelu(Y - 1 LSB) = [Y > 0]
        let y: Vec<i16> = (0..len)
            .map(|_| match rng.gen_range(0..4) {
                0 => 0,
                1 => rng.gen_range(-2..=2),
                _ => rng.gen(),
            })
            .collect();
        let spec = EwSpec {
            op: EwOp::AddConst { c: -1 },
            len,
            act: Activation::ReluDeriv,
            round: Rounding::Truncate,
        };
        let (got, _) = run_sim(&cfg, &compile_ew(&cfg, &spec).unwrap(), &y, &[]);
        for (x, m) in y.iter().zip(&got) {
            assert_eq!(*m, if *x > 0 { one } else { 0 }, "relu mask of {x}");
        }
        // max-pool mask: drelu(X - up(P)) = [X == P] when X <= P
        let p: Vec<i16> = (0..len).map(|_| rng.gen()).collect();
        let x: Vec<i16> = p
            .iter()
            .map(|&p| {
                if rng.gen_bool(0.3) {
                    p
                } else {
                    rng.gen_range(i16::MIN as i32..=p as i32) as i16
                }
            })
            .collect();
        let spec = EwSpec {
            op: EwOp::Lincomb {
                a: one,
                b: -one,
                c: 0,
            },
            len,
            act: Activation::ReluDeriv,
            round: Rounding::Truncate,
        };
        let (got, _) = run_sim(&cfg, &compile_ew(&cfg, &spec).unwrap(), &x, &p);
        for e in 0..len as usize {
            assert_eq!(
                got[e],
                if x[e] == p[e] { one } else { 0 },
                "X {} P {}",
                x[e],
                p[e]
            );
        }
        // gradient routing: mul by a 0/1 mask passes or zeroes the gradient exactly
        let g: Vec<i16> = (0..len).map(|_| rng.gen()).collect();
        let spec = EwSpec {
            op: EwOp::Mul,
            len,
            act: Activation::Identity,
            round: Rounding::Stochastic,
        };
        let (routed, _) = run_sim(&cfg, &compile_ew(&cfg, &spec).unwrap(), &g, &got);
        for e in 0..len as usize {
            assert_eq!(routed[e], if got[e] == one { g[e] } else { 0 });
        }
    }
}

/// Stochastic rounding: every result is the truncated one or one LSB above,
/// and the mean error against the exact value is near zero.
#[test]
fn stochastic_rounding_is_unbiased() {
    for cfg in [AccelConfig::tiny(), AccelConfig::diannao()] {
        let frac = cfg.frac_bits;
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        for op in [
            EwOp::Mul,
            EwOp::Lincomb {
                a: 77,
                b: -301,
                c: 5,
            },
        ] {
            let spec = EwSpec {
                op,
                len: 20_000,
                act: Activation::Identity,
                round: Rounding::Stochastic,
            };
            let c = compile_ew(&cfg, &spec).unwrap();
            let a = random_words(spec.len, 1000, &mut rng);
            let b = random_words(spec.len, 1000, &mut rng);
            let (got, _) = run_sim(&cfg, &c, &a, &b);
            let trunc = EwSpec {
                round: Rounding::Truncate,
                ..spec
            };
            let mut err = 0f64;
            let mut ups = 0;
            for e in 0..a.len() {
                let t = reference(&cfg, &trunc, a[e], b[e]);
                assert!(
                    got[e] == t || got[e] == t + 1,
                    "{op:?}: {} vs trunc {t}",
                    got[e]
                );
                ups += (got[e] != t) as u32;
                let exact = match op {
                    EwOp::Mul => a[e] as f64 * b[e] as f64,
                    EwOp::Lincomb { a: x, b: y, c: z } => {
                        x as f64 * a[e] as f64
                            + y as f64 * b[e] as f64
                            + z as f64 * (1 << frac) as f64
                    }
                    _ => unreachable!(),
                } / (1 << frac) as f64;
                err += got[e] as f64 - exact;
            }
            let mean = err / a.len() as f64;
            assert!(
                mean.abs() < 0.02,
                "{op:?} on {}: mean error {mean} LSB",
                cfg.name
            );
            assert!(ups > 1000, "{op:?}: only {ups} rounded up");
        }
    }
}

/// The simulator agrees with the results-only interpreter (which knows `mul`) too.
#[test]
fn simulator_agrees_with_the_interpreter() {
    let cfg = AccelConfig::diannao();
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    for op in ops(cfg.frac_bits, &mut rng) {
        let spec = EwSpec {
            op,
            len: 5000,
            act: Activation::Relu,
            round: Rounding::Nearest,
        };
        let c = compile_ew(&cfg, &spec).unwrap();
        let (a, b) = operands(&spec, 4, 1 << 15);
        assert_eq!(
            run_sim(&cfg, &c, &a, &b).0,
            run_interp(&cfg, &c, &a, &b),
            "{op:?}"
        );
    }
}

#[test]
fn bad_operand_lengths_are_typed_errors() {
    let cfg = AccelConfig::tiny();
    let spec = EwSpec {
        op: EwOp::AddConst { c: 1 },
        len: 10,
        act: Activation::Identity,
        round: Rounding::Truncate,
    };
    let c = compile_ew(&cfg, &spec).unwrap();
    assert!(c.layout.pack_a(&[0; 9]).is_err());
    assert!(c.layout.pack_b(&[0; 10]).is_err());
    assert!(c.layout.pack_b(&[]).unwrap().is_empty());
    // an empty operand compiles to a lone `end`
    let empty = EwSpec { len: 0, ..spec };
    let c0 = compile_ew(&cfg, &empty).unwrap();
    assert_eq!(c0.program.len(), 1);
    assert!(run_sim(&cfg, &c0, &[], &[]).0.is_empty());
    assert!(compile_ew_parts(&cfg, &spec, 0).is_err());
    assert!(compile_ew_parts(&cfg, &spec, 100).is_err());
    let huge = EwSpec {
        len: cfg.dram.size_bytes,
        ..spec
    };
    assert!(compile_ew(&cfg, &huge).is_err());
}

/// Cycles per element on `diannao` for len = 100,000 (printed; run with --nocapture).
#[test]
fn cycles_per_element_on_diannao() {
    let cfg = if std::env::var("EW_TINY").is_ok_and(|v| !v.is_empty()) {
        AccelConfig::tiny()
    } else {
        AccelConfig::diannao()
    };
    let len = 100_000u64;
    for op in [
        EwOp::Lincomb {
            a: 256,
            b: 256,
            c: 0,
        },
        EwOp::Mul,
        EwOp::AddConst { c: -1 },
    ] {
        for parts in 1..=7 {
            let spec = EwSpec {
                op,
                len,
                act: Activation::Identity,
                round: Rounding::Stochastic,
            };
            let c = compile_ew_parts(&cfg, &spec, parts).unwrap();
            let (a, b) = operands(&spec, 1, 1000);
            let (_, cycles) = run_sim(&cfg, &c, &a, &b);
            assert!(cycles > 0);
            println!(
                "{} {op:?} parts {parts} (T = {} rows): {cycles} cycles (predicted {}), {:.3} cycles/element",
                cfg.name,
                c.tile_rows,
                predict_cycles(&cfg, &spec, parts).unwrap(),
                cycles as f64 / len as f64
            );
        }
        let spec = EwSpec {
            op,
            len,
            act: Activation::Identity,
            round: Rounding::Stochastic,
        };
        let c = compile_ew(&cfg, &spec).unwrap();
        let (a, b) = operands(&spec, 1, 1000);
        let (_, cycles) = run_sim(&cfg, &c, &a, &b);
        println!(
            "{} {op:?} default (parts {}): {cycles} cycles, {:.3} cycles/element",
            cfg.name,
            c.parts,
            cycles as f64 / len as f64
        );
    }
}

// ---- Layout::unpack_params round trip ----

fn params_roundtrip(cfg: &AccelConfig, l: &str, seed: u64) -> Result<(), String> {
    let layer: LayerSpec = l.parse().map_err(|e| format!("{l}: {e}"))?;
    let c = compile(cfg, &layer, 1).map_err(|e| format!("{l}: {e}"))?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let w: Vec<i16> = (0..layer.weight_len()).map(|_| rng.gen()).collect();
    let b: Vec<i16> = (0..layer.bias_len()).map(|_| rng.gen()).collect();
    let mut dram = vec![0xEEu8; c.layout.total_bytes() as usize];
    for (a, bytes) in c.layout.pack_params(&w, &b).unwrap() {
        dram[a as usize..a as usize + bytes.len()].copy_from_slice(&bytes);
    }
    let (w2, b2) = c
        .layout
        .unpack_params(|a, buf| buf.copy_from_slice(&dram[a as usize..a as usize + buf.len()]));
    if w2 != w || b2 != b {
        return Err(format!("{l} on {}: round trip differs", cfg.name));
    }
    Ok(())
}

#[test]
fn unpack_params_inverts_lane_packed_layouts() {
    for cfg in [AccelConfig::tiny(), AccelConfig::diannao()] {
        for (k, l) in [
            "conv:nx=31,ny=31,k=11,ni=3,no=40,s=4,act=relu",
            "conv:nx=16,ny=16,k=5,ni=1,no=20,pad=2",
            "conv:nx=15,ny=13,kx=4,ky=3,ni=2,no=5,sx=2,sy=3",
            "conv:nx=20,ny=20,k=9,ni=32,no=17,act=sigmoid",
            "class:ni=300,no=70,act=tanh",
            "conv:nx=9,ny=9,k=7,ni=9,no=5,pad=2,bias=0,act=tanh",
        ]
        .iter()
        .enumerate()
        {
            params_roundtrip(&cfg, l, k as u64).unwrap();
        }
        let packed = compile(
            &cfg,
            &"conv:nx=16,ny=16,k=5,ni=1,no=20,pad=2".parse().unwrap(),
            1,
        )
        .unwrap();
        assert!(packed.plan.pack.is_some());
    }
}

fn layer_shape() -> impl Strategy<Value = String> {
    prop_oneof![
        (1u32..12, 1u32..12, 1u32..6, 1u32..6, 1u32..11, 1u32..30, 1u32..4, 0u32..3, any::<bool>()).prop_filter_map("fits", |(nx, ny, kx, ky, ni, no, s, pad, bias)| {
            let pad = pad.min(kx.min(ky) - 1);
            (kx <= nx + 2 * pad && ky <= ny + 2 * pad).then(|| format!("conv:nx={nx},ny={ny},kx={kx},ky={ky},ni={ni},no={no},s={s},pad={pad},bias={}", bias as u8))
        }),
        (1u32..150, 1u32..60, any::<bool>()).prop_map(|(ni, no, bias)| format!("class:ni={ni},no={no},bias={}", bias as u8)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn unpack_params_inverts_pack_params(l in layer_shape(), dn in any::<bool>(), seed in any::<u64>()) {
        let cfg = if dn { AccelConfig::diannao() } else { AccelConfig::tiny() };
        if let Err(e) = params_roundtrip(&cfg, &l, seed) { prop_assert!(false, "{}", e); }
    }
}
