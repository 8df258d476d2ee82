//! NFU datapath (tiny preset): rust-hdl simulation and the emitted Verilog
//! (Icarus) against the simulator's functional NFU model `sim::functional` (the one statement of the NFU's semantics), cycle
//! by cycle; Verilator lint; Yosys DSP48E2 mapping.

use arch::activation::Activation;
use arch::fixed::Rounding;
use arch::isa::{AccIn, NfuOp};
use arch::AccelConfig;
use hdl::core::nfu::NfuTiny;
use hdl::tb::verilog_test::{lint_verilator, simulate_icarus, yosys, Port};
use hdl::widths::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_hdl::prelude::*;
use sim::functional::{NfuModel, NfuStep, NfuWrite};

fn word(r: &mut ChaCha8Rng) -> i16 {
    match r.gen_range(0..4) {
        0 => r.gen(),
        1 => r.gen_range(-600..600),
        2 => *[i16::MIN, i16::MAX, 0, -1]
            .iter()
            .nth(r.gen_range(0..4))
            .unwrap(),
        _ => r.gen_range(-4000..4000),
    }
}

/// Random output groups (1..=3 steps each) with idle gaps.
fn vectors(tn: usize, n: usize, seed: u64) -> Vec<NfuStep> {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    let mut v = Vec::new();
    while v.len() < n {
        let op = [
            NfuOp::Mac,
            NfuOp::Mac,
            NfuOp::Max,
            NfuOp::Avg,
            NfuOp::Mul,
            NfuOp::Mul,
        ][r.gen_range(0..6)];
        let acc_in = AccIn::ALL[r.gen_range(0..3)];
        let activate = r.gen_bool(0.7);
        let act = Activation::ALL[r.gen_range(0..Activation::ALL.len())];
        let round = Rounding::ALL[r.gen_range(0..3)];
        let scale = if r.gen_bool(0.5) {
            arch::fixed::avg_scale(r.gen_range(1..10))
        } else {
            r.gen()
        };
        let steps = if op == NfuOp::Mul {
            r.gen_range(1..=5)
        } else {
            r.gen_range(1..=3)
        };
        let bias: Vec<i16> = (0..tn).map(|_| word(&mut r)).collect();
        let row = r.gen_range(0..16);
        for k in 0..steps {
            let mut s = NfuStep::idle(tn);
            s.valid = true;
            s.op = op;
            s.first = k == 0;
            s.last = k == steps - 1;
            s.mul_odd_step = k % 2 == 1;
            s.acc_in = acc_in;
            s.activate = activate;
            s.act = act;
            s.round = round;
            s.transpose = r.gen_bool(0.5);
            s.scale = scale;
            s.row = row;
            s.nbin = (0..tn).map(|_| word(&mut r)).collect();
            s.sb = (0..tn * tn).map(|_| word(&mut r)).collect();
            s.nbout = (0..tn)
                .map(|_| {
                    if r.gen_bool(0.5) {
                        r.gen()
                    } else {
                        r.gen_range(-100000..100000)
                    }
                })
                .collect();
            s.bias = bias.clone();
            v.push(s);
        }
        if r.gen_bool(0.3) {
            v.push(NfuStep::idle(tn));
        }
    }
    for _ in 0..12 {
        v.push(NfuStep::idle(tn));
    }
    v
}

fn pack16(xs: &[i16]) -> u128 {
    xs.iter()
        .enumerate()
        .fold(0u128, |a, (i, &x)| a | ((x as u16 as u128) << (DW * i)))
}
fn pack32(xs: &[i32]) -> u128 {
    xs.iter()
        .enumerate()
        .fold(0u128, |a, (i, &x)| a | ((x as u32 as u128) << (AW * i)))
}
fn big<const N: usize>(v: &[u64]) -> Bits<N> {
    // little-endian 64-bit limbs
    let mut b = Bits::<N>::default();
    for (i, &l) in v.iter().enumerate() {
        for j in 0..64 {
            if i * 64 + j < N && (l >> j) & 1 == 1 {
                b = b | (bit_cast::<N, 1>(Bits::<1>::from(true)) << ((i * 64 + j) as u64));
            }
        }
    }
    b
}
fn limbs16(xs: &[i16]) -> Vec<u64> {
    xs.chunks(4)
        .map(|c| {
            c.iter()
                .enumerate()
                .fold(0u64, |a, (i, &x)| a | ((x as u16 as u64) << (16 * i)))
        })
        .collect()
}
fn hex16(xs: &[i16]) -> String {
    xs.iter()
        .rev()
        .map(|x| format!("{:04x}", *x as u16))
        .collect()
}
fn hex32(xs: &[i32]) -> String {
    xs.iter()
        .rev()
        .map(|x| format!("{:08x}", *x as u32))
        .collect()
}
fn strip(s: String) -> String {
    let t = s.trim_start_matches('0');
    if t.is_empty() {
        "0".into()
    } else {
        t.into()
    }
}

/// Expected (we, wrow, wdata, sat_count) per cycle from the model.
fn expected(cfg: &AccelConfig, v: &[NfuStep]) -> Vec<Option<NfuWrite>> {
    let mut m = NfuModel::new(cfg);
    v.iter().map(|s| m.cycle(s)).collect()
}

fn codes(s: &NfuStep) -> [u64; 6] {
    [
        op_code(s.op),
        acc_in_code(s.acc_in),
        act_code(s.act),
        round_code(s.round),
        s.scale as u64,
        s.row as u64,
    ]
}

#[test]
fn nfu_tiny_rust_hdl_sim_matches_model() {
    let cfg = AccelConfig::tiny();
    let tn = cfg.tn as usize;
    let v = vectors(tn, 120, 1);
    let exp = expected(&cfg, &v);
    assert!(exp.iter().filter(|e| e.is_some()).count() > 30);
    let mut uut = NfuTiny::new(&cfg).unwrap();
    uut.connect_all();
    for (c, s) in v.iter().enumerate() {
        let [op, ai, act, rnd, sc, row] = codes(s);
        uut.valid.next = s.valid;
        uut.first.next = s.first;
        uut.last.next = s.last;
        uut.odd.next = s.mul_odd_step;
        uut.activate.next = s.activate;
        uut.transpose.next = s.transpose;
        uut.op.next = op.into();
        uut.acc_in.next = ai.into();
        uut.act.next = act.into();
        uut.round.next = rnd.into();
        uut.scale.next = sc.into();
        uut.row.next = row.into();
        uut.nbin.next = big(&limbs16(&s.nbin));
        uut.sb.next = big(&limbs16(&s.sb));
        uut.bias.next = big(&limbs16(&s.bias));
        uut.nbout.next = big(&[pack32(&s.nbout) as u64, (pack32(&s.nbout) >> 64) as u64]);
        uut.clock.next = Clock { clk: false };
        assert!(simulate(&mut uut, 200));
        let e = &exp[c];
        assert_eq!(uut.we.val(), e.is_some(), "cycle {c}: we");
        if let Some(w) = e {
            assert_eq!(uut.wrow.val().index() as u32, w.row, "cycle {c}: row");
            let want = big::<128>(&[pack32(&w.data) as u64, (pack32(&w.data) >> 64) as u64]);
            assert_eq!(
                uut.wdata.val(),
                want,
                "cycle {c}: data {:?} step {:?}",
                w.data,
                v[c - 3]
            );
            assert_eq!(uut.sat_count.val().index() as u32, w.sat, "cycle {c}: sat");
        }
        uut.clock.next = Clock { clk: true };
        assert!(simulate(&mut uut, 200));
    }
    let _ = pack16(&[]);
}

fn ports(tn: usize) -> (Vec<Port>, Vec<Port>) {
    let ins = vec![
        Port::new("rst", 1),
        Port::new("valid", 1),
        Port::new("op", OPW),
        Port::new("first", 1),
        Port::new("last", 1),
        Port::new("odd", 1),
        Port::new("acc_in", INW),
        Port::new("activate", 1),
        Port::new("act", ACTW),
        Port::new("round", RNDW),
        Port::new("transpose", 1),
        Port::new("scale", SCW),
        Port::new("row", ROWW),
        Port::new("nbin", tn * DW),
        Port::new("sb", tn * tn * DW),
        Port::new("nbout", tn * AW),
        Port::new("bias", tn * DW),
    ];
    let outs = vec![
        Port::new("we", 1),
        Port::new("wrow", ROWW),
        Port::new("wdata", tn * AW),
        Port::new("sat_count", SATW),
    ];
    (ins, outs)
}

fn tiny_verilog() -> String {
    let cfg = AccelConfig::tiny();
    let mut uut = NfuTiny::new(&cfg).unwrap();
    uut.connect_all();
    generate_verilog(&uut)
}

#[test]
fn nfu_tiny_verilog_icarus_matches_model() {
    let cfg = AccelConfig::tiny();
    let tn = cfg.tn as usize;
    let v = vectors(tn, 400, 2);
    let exp = expected(&cfg, &v);
    let (ins, outs) = ports(tn);
    let vecs: Vec<Vec<String>> = v
        .iter()
        .map(|s| {
            let [op, ai, act, rnd, sc, row] = codes(s);
            let b = |x: bool| u8::from(x).to_string();
            vec![
                "0".into(),
                b(s.valid),
                format!("{op:x}"),
                b(s.first),
                b(s.last),
                b(s.mul_odd_step),
                format!("{ai:x}"),
                b(s.activate),
                format!("{act:x}"),
                format!("{rnd:x}"),
                b(s.transpose),
                format!("{sc:x}"),
                format!("{row:x}"),
                hex16(&s.nbin),
                hex16(&s.sb),
                hex32(&s.nbout),
                hex16(&s.bias),
            ]
        })
        .collect();
    let got = simulate_icarus(&tiny_verilog(), &ins, &outs, &vecs).unwrap();
    assert_eq!(got.len(), v.len());
    for (c, (g, e)) in got.iter().zip(&exp).enumerate() {
        match e {
            None => assert_eq!(g[0], "0", "cycle {c}: unexpected write"),
            Some(w) => {
                let want = vec![
                    "1".to_string(),
                    format!("{:x}", w.row),
                    strip(hex32(&w.data)),
                    format!("{:x}", w.sat),
                ];
                assert_eq!(g, &want, "cycle {c}: {:?}", w);
            }
        }
    }
}

#[test]
fn nfu_tiny_verilator_lint() {
    let out = lint_verilator(&tiny_verilog(), &WAIVERS).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !out.contains("%Warning") && !out.contains("%Error"),
        "{out}"
    );
}

/// Lint waivers for rust-hdl's emitted style (see the report).
const WAIVERS: [&str; 5] = [
    "-Wno-UNOPTFLAT",
    "-Wno-DECLFILENAME",
    "-Wno-UNUSEDSIGNAL",
    "-Wno-UNUSEDPARAM",
    "-Wno-WIDTH",
];

/// One NFU-1 multiplier of the tiny NFU (lane 1, input 2) maps to one DSP48E2
/// (flat synthesis of the block takes seconds; the whole NFU's ~110 s is the
/// documented `diannao hdl report --block nfu` command, docs/hdl.md).
#[test]
fn nfu_tiny_multiplier_maps_to_one_dsp48e2() {
    let cfg = AccelConfig::tiny();
    let mut m = hdl::core::nfu::nfu1::Mul::new(1, 2, cfg.pipeline.nfu1 as usize);
    m.connect_all();
    let log = yosys(&generate_verilog(&m), "read_verilog top.v\nsynth_xilinx -family xcup -top top -flatten -noiopad\ntee -o /dev/stdout stat\n").unwrap();
    let stat = hdl::flow::synth::parse_stat(&log).unwrap();
    assert_eq!(
        stat.dsp48e2, 1,
        "expected the multiplier in one DSP48E2:\n{log}"
    );
    assert_eq!(
        stat.carry, 0,
        "no fabric adder for a lone multiplier:\n{log}"
    );
}

#[test]
fn emitted_nfu1_joins_products_side_by_side() {
    let v = tiny_verilog();
    let start = v.find("module top$nfu1").unwrap_or_else(|| {
        let names: Vec<&str> = v.lines().filter(|l| l.starts_with("module")).collect();
        panic!("no nfu1 module in {names:?}")
    });
    let end = start + v[start..].find("endmodule").unwrap();
    let m = &v[start..end];
    assert!(m.contains("prod[(32'h20)+:(32)] = mults$1$p;"), "{m}");
    assert!(!m.contains(" | "), "no OR bus in NFU-1:\n{m}");
}
