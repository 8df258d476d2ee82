//! Equivalence of the simulator and the RTL (rust-hdl simulation and
//! Verilator on the emitted Verilog): identical whole final DRAM image, cycle
//! count, halt status and every event counter (`arch::events::Event::ALL`,
//! read from the top's counter bank at the halt) on every vector
//! (docs/microarchitecture.md is the contract).
//! rust-hdl simulates a few thousand cycles per second, so its vectors are small.

use arch::isa::fields::{self, F};
use arch::isa::{CpOp, DmaOp, DmaSlot, Instruction};
use arch::AccelConfig;
use backends::axi_backend::AxiBackend;
use backends::{
    compare, vectors, Backend, IcarusBackend, Image, Outcome, RtlBackend, SimBackend, Status,
    Vector, VerilatorBackend,
};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use std::cell::Cell;

/// Run `v` on sim and on every backend in `rtl`; panic naming the first difference.
fn agree(v: &Vector, rtl: &[&dyn Backend]) -> Outcome {
    let s = SimBackend::default()
        .run(v)
        .unwrap_or_else(|e| panic!("{}: {e}", v.name));
    assert!(s.counters.is_some(), "{}: sim gave no counters", v.name);
    for b in rtl {
        let o = b.run(v).unwrap_or_else(|e| panic!("{}: {e}", v.name));
        // compare() checks every event counter when both sides read them: demand that they do
        assert!(
            o.counters.is_some(),
            "{}: {} gave no counters",
            v.name,
            b.name()
        );
        if let Err(m) = compare(v, "sim", &s, b.name(), &o) {
            panic!(
                "{m} (cycles: sim {} vs {} {}; status: sim {:?} vs {:?})",
                s.cycles,
                b.name(),
                o.cycles,
                s.status,
                o.status
            );
        }
    }
    s
}

/// The bytes of `v`'s output region (`Vector::window`) in `o`'s final image.
fn output(v: &Vector, o: &Outcome) -> Vec<u8> {
    o.dram.read(v.window.0, v.window.1)
}

/// Non-zero bytes the run stored: bytes of the final image that differ from
/// `v`'s initial image and are not zero.
fn stored_nonzero(v: &Vector, o: &Outcome) -> u64 {
    let init = Image::from_chunks(&v.image);
    o.dram
        .pages()
        .flat_map(|(a, p)| p.iter().enumerate().map(move |(i, b)| (a + i as u64, *b)))
        .filter(|&(a, b)| b != 0 && b != init.byte(a))
        .count() as u64
}

fn layer(cfg: &AccelConfig, spec: &str, batch: u32, seed: u64) -> Vector {
    let spec = spec.parse().unwrap_or_else(|e| panic!("{spec}: {e}"));
    vectors::layer_vector(cfg, &spec, batch, seed).unwrap_or_else(|e| panic!("{e}"))
}

/// rust-hdl, Verilator and Icarus (memories at X).
const ALL: [&dyn Backend; 3] = [
    &RtlBackend {
        max_cycles: 100_000,
    },
    &VerilatorBackend {
        max_cycles: 10_000_000,
        threads: 1,
    },
    &IcarusBackend {
        max_cycles: 10_000_000,
    },
];

const BOTH: [&dyn Backend; 2] = [
    &RtlBackend {
        max_cycles: 100_000,
    },
    &VerilatorBackend {
        max_cycles: 10_000_000,
        threads: 1,
    },
];

#[test]
fn conv_with_every_activation() {
    for (k, act) in arch::activation::Activation::ALL.iter().enumerate() {
        let v = layer(
            &AccelConfig::tiny(),
            &format!("conv:nx=3,ny=3,k=2,ni=4,no=4,act={}", act.mnemonic()),
            1,
            k as u64,
        );
        let o = agree(&v, &BOTH);
        assert!(
            o.status == Status::Done && output(&v, &o).iter().any(|b| *b != 0),
            "{}: empty result",
            v.name
        );
    }
}

#[test]
fn pool_classifier_batch_and_bias() {
    for (k, (spec, batch)) in vectors::TINY_LAYERS.iter().enumerate() {
        let v = layer(&AccelConfig::tiny(), spec, *batch, 10 + k as u64);
        let o = agree(&v, &BOTH);
        assert!(
            o.status == Status::Done && output(&v, &o).iter().any(|b| *b != 0),
            "{}: empty result",
            v.name
        );
    }
}

#[test]
fn tiled_layer_larger_than_every_buffer() {
    let cfg = AccelConfig::tiny();
    // input 10x10x8 = 200 NBin rows (> 32), weights 9*2*2 = 36 SB rows (> 32), output 8x8x8 = 128 NBout rows (> 16)
    let v = layer(&cfg, "conv:nx=10,ny=10,k=3,ni=8,no=8,act=relu", 1, 3);
    let o = agree(&v, &[&VerilatorBackend::default()]);
    assert!(o.cycles > 1000, "{}: {} cycles", v.name, o.cycles);
    // and a smaller tiled one (NBout and SB tiled) on the rust-hdl simulation too
    let v = layer(&cfg, "conv:nx=5,ny=5,k=3,ni=8,no=8,pad=1", 1, 4);
    agree(&v, &BOTH);
}

/// A small valid vector whose program the error tests corrupt.
fn base() -> Vector {
    layer(
        &AccelConfig::tiny(),
        "conv:nx=3,ny=3,k=2,ni=4,no=4,act=relu",
        1,
        21,
    )
}

#[test]
fn decode_error_halts_at_the_same_instruction_and_cycle() {
    let mut v = base();
    let f = F::NFU_OP;
    let k = v
        .program
        .iter()
        .position(|w| {
            Instruction::decode(w)
                .map(|i| i.nfu.op != arch::isa::NfuOp::Nop)
                .unwrap_or(false)
        })
        .unwrap();
    fields::put(&mut v.program[k], fields::lsb(f), fields::width(f), 7);
    let o = agree(&v, &BOTH);
    assert_eq!(
        o.status,
        Status::Error {
            class: "decode".into(),
            index: k
        }
    );
}

#[test]
fn range_error_halts_at_the_same_instruction_and_cycle() {
    let mut v = base();
    let cfg = v.cfg.clone();
    let bad = Instruction {
        nbin: DmaSlot::contiguous(DmaOp::Load, cfg.nbin_rows() - 1, 0, 2),
        ..Default::default()
    };
    v.program.insert(1, bad.encode().unwrap());
    let o = agree(&v, &BOTH);
    assert_eq!(
        o.status,
        Status::Error {
            class: "range".into(),
            index: 1
        }
    );
}

/// Bad programs halt with the same error class, index and cycle on every
/// backend: instructions running past the end of DRAM, an unmapped base, an
/// odd base (`fetch`), and a program without `end` (`no_end`).
#[test]
fn fetch_errors_halt_at_the_same_instruction_and_cycle() {
    let mut v = base();
    // a 1 MiB DRAM, so the testbench's DRAM model covers all of it
    v.cfg.dram.size_bytes = 1 << 20;
    v.cfg.name = "tiny-1m".into();
    let size = v.cfg.dram.size_bytes;
    let ib = arch::isa::fields::INSTR_BYTES as u64;
    assert!(v.program.len() >= 2);
    // only instruction 0 fits: instruction 1 lies past the end of DRAM
    v.prog_base = Some(size - ib);
    let o = agree(&v, &ALL);
    assert_eq!(
        o.status,
        Status::Error {
            class: "fetch".into(),
            index: 1
        }
    );
    for base in [size, size + 0x2000, 0x4001] {
        v.prog_base = Some(base);
        let o = agree(&v, &ALL);
        assert_eq!(
            (o.status, o.cycles),
            (
                Status::Error {
                    class: "fetch".into(),
                    index: 0
                },
                2
            ),
            "base {base:#x}"
        );
    }
    // without `end`
    v.prog_base = None;
    let last = v.program.len() - 1;
    let mut i = Instruction::decode(&v.program[last]).unwrap();
    i.cp = CpOp::Nop;
    v.program[last] = i.encode().unwrap();
    let o = agree(&v, &ALL);
    assert_eq!(
        o.status,
        Status::Error {
            class: "no_end".into(),
            index: last + 1
        }
    );
}

/// The same fetch errors through the board top (the AXI backend builds the
/// preset itself, so on `tiny`'s 256 MiB DRAM): the same class and index as
/// the simulator.
#[test]
fn fetch_errors_through_axi() {
    let mut v = base();
    let size = v.cfg.dram.size_bytes;
    let ib = arch::isa::fields::INSTR_BYTES as u64;
    for (base, index) in [(size - ib, 1), (size, 0), (0x4001, 0)] {
        v.prog_base = Some(base);
        let s = SimBackend::default().run(&v).unwrap();
        let a = AxiBackend::default().run(&v).unwrap();
        assert_eq!(
            s.status,
            Status::Error {
                class: "fetch".into(),
                index
            },
            "base {base:#x}"
        );
        backends::compare_memory(&v, "sim", &s, "verilator-axi", &a)
            .unwrap_or_else(|m| panic!("base {base:#x}: {m}"));
    }
}

#[test]
fn missing_end_and_lone_end() {
    let mut v = base();
    let last = v.program.len() - 1;
    let mut i = Instruction::decode(&v.program[last]).unwrap();
    assert_eq!(i.cp, CpOp::End);
    i.cp = CpOp::Nop;
    v.program[last] = i.encode().unwrap();
    let o = agree(&v, &BOTH);
    assert_eq!(
        o.status,
        Status::Error {
            class: "no_end".into(),
            index: last + 1
        }
    );
    // a lone end runs T = S + 2 with S = L + beats(INSTR_BYTES) (its fetch);
    // an empty program halts with no_end at 0 in T = 2
    v.program = vec![Instruction::end().encode().unwrap()];
    let cfg = &v.cfg;
    let s =
        cfg.dram.latency_cycles as u64 + cfg.beats(arch::isa::fields::INSTR_BYTES as u32) as u64;
    assert_eq!(agree(&v, &BOTH).cycles, s + 2);
    v.program.clear();
    let o = agree(&v, &BOTH);
    assert_eq!(
        (o.cycles, o.status),
        (
            2,
            Status::Error {
                class: "no_end".into(),
                index: 0
            }
        )
    );
}

#[test]
fn diannao_conv_on_verilator() {
    let v = layer(
        &AccelConfig::diannao(),
        "conv:nx=4,ny=4,k=3,ni=32,no=32,pad=1,act=relu",
        1,
        5,
    );
    let o = agree(&v, &[&VerilatorBackend::default()]);
    assert!(
        output(&v, &o).iter().any(|b| *b != 0),
        "{}: empty result",
        v.name
    );
}

#[test]
fn random_programs_on_rust_hdl() {
    for seed in 0..2 {
        let v = vectors::random_program_vector(&AccelConfig::tiny(), 6, 1000 + seed);
        let o = agree(&v, &BOTH);
        assert!(
            stored_nonzero(&v, &o) > 0,
            "{}: stored no non-zero byte; the comparison is trivial",
            v.name
        );
    }
}

/// Random valid programs on sim and Verilator (proptest; the failing seeds
/// of `equivalence.proptest-regressions` next to this file run first). At
/// least half of the cases must store non-zero data, or what is compared is
/// mostly the initial image.
#[test]
fn random_valid_programs_sim_vs_verilator() {
    let name = "random_valid_programs_sim_vs_verilator";
    let config = ProptestConfig {
        cases: 12,
        source_file: Some(file!()),
        test_name: Some(name),
        ..ProptestConfig::default()
    };
    let (cases, storing, bytes) = (Cell::new(0u64), Cell::new(0u64), Cell::new(0u64));
    let result = TestRunner::new(config).run(&(1usize..12, any::<u64>()), |(len, seed)| {
        let v = vectors::random_program_vector(&AccelConfig::tiny(), len, seed);
        let s = SimBackend::default().run(&v).unwrap();
        let o = VerilatorBackend::default().run(&v).unwrap();
        if let Err(m) = compare(&v, "sim", &s, "verilator", &o) {
            return Err(TestCaseError::fail(format!(
                "{m} (cycles: sim {} vs verilator {}; status {:?} vs {:?})",
                s.cycles, o.cycles, s.status, o.status
            )));
        }
        let n = stored_nonzero(&v, &s);
        cases.set(cases.get() + 1);
        storing.set(storing.get() + (n > 0) as u64);
        bytes.set(bytes.get() + n);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
    assert!(
        cases.get() > 0 && storing.get() > cases.get() / 2,
        "{name}: only {} of {} cases stored non-zero data ({} bytes): the comparison is trivial",
        storing.get(),
        cases.get(),
        bytes.get()
    );
}

#[test]
fn verify_backends_reports_agreement_and_rejects_unknown_names() {
    let spec = "class:ni=6,no=4,act=relu".parse().unwrap();
    let r = backends::verify_backends(
        &AccelConfig::tiny(),
        &spec,
        1,
        2,
        &["sim", "rtl", "verilator"],
    )
    .unwrap();
    assert_eq!(r.runs.len(), 3);
    assert!(r
        .runs
        .iter()
        .all(|x| x.outcome.cycles == r.runs[0].outcome.cycles));
    let e =
        backends::verify_backends(&AccelConfig::tiny(), &spec, 1, 2, &["sim", "gpu"]).unwrap_err();
    assert!(e.to_string().contains("gpu"), "{e}");
}

#[test]
fn vcd_traces_agree_cycle_by_cycle() {
    // sim's VCD (contract signal names) vs the RTL's signals sampled in rust-hdl
    for v in [
        vectors::random_program_vector(&AccelConfig::tiny(), 8, 77),
        base(),
    ] {
        let s = backends::trace::sim_trace(&v).unwrap();
        let (o, r) = RtlBackend::default().run_traced(&v).unwrap();
        assert_eq!(
            r.len() as u64,
            o.cycles,
            "{}: one trace row per cycle",
            v.name
        );
        assert!(
            s.iter().any(|x| x[4] != 0) && s.iter().any(|x| x[2] != 0),
            "{}: trace shows no activity",
            v.name
        );
        if let Some((t, sig, a, b)) =
            backends::trace::first_difference(&s, &r, &[0, 1, 2, 3, 4, 5, 6, 7])
        {
            panic!(
                "{}: first trace difference in cycle {t}: {sig} sim {a} vs rtl {b}",
                v.name
            );
        }
    }
}

/// `nfu.mul` vectors (element-wise multiply, docs/microarchitecture.md "mul
/// step") on sim, sim-stepped, rust-hdl and Verilator: identical DRAM, cycles
/// and status; the first is also checked against `arch::fixed` directly.
#[test]
fn ew_mul_vectors_on_every_backend() {
    let cfg = AccelConfig::tiny();
    let cases = vectors::EwMul::cases();
    let names: Vec<String> = cases.iter().map(|c| c.name(cfg.tn)).collect();
    assert_eq!(names[0], "ew_mul_16x4_act_i16");
    assert_eq!(names[2], "ew_mul_16x4_act_bias_stoch_i16");
    let all: [&dyn Backend; 3] = [&SimBackend { stepped: true }, BOTH[0], BOTH[1]];
    for (k, c) in cases.iter().enumerate() {
        let v = vectors::ew_mul_vector(&cfg, c, 40 + k as u64).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v.name, names[k]);
        let o = agree(&v, &all);
        let out = output(&v, &o);
        assert!(
            o.status == Status::Done && out.iter().filter(|b| **b != 0).count() > out.len() / 4,
            "{}: empty result",
            v.name
        );
        if k == 0 {
            // out[j][n] = convert(A[j][n] * B[j][n]) with A = rows 0..16, B = rows 16..32
            let x: Vec<i16> = v.image[0]
                .1
                .chunks(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]]))
                .collect();
            let half = x.len() / 2;
            let want: Vec<u8> = (0..half)
                .flat_map(|e| {
                    let acc = arch::fixed::mul(x[e], x[half + e]);
                    let (y, _) = arch::fixed::convert(
                        acc,
                        cfg.frac_bits,
                        arch::fixed::Rounding::Truncate,
                        0,
                    );
                    y.to_le_bytes()
                })
                .collect();
            assert_eq!(out, want, "{}: not the element-wise product", v.name);
        }
    }
}

/// The run's seed input (docs/microarchitecture.md, NFU-3: every run starts
/// lane n's LFSR at `Lfsr::lane_seed(seed, n)`): a stochastic vector with
/// other seeds, one of which makes lane 1's `seed ^ lane_offset` zero, gives
/// other rounding bits, and the same ones on the simulator, rust-hdl,
/// Verilator, Icarus and the AXI wrapper (the `lfsr_seed` register).
#[test]
fn the_run_seed_sets_the_stochastic_rounding_on_every_backend() {
    use arch::fixed::Lfsr;
    let cfg = AccelConfig::tiny();
    let c = vectors::EwMul::cases()[2];
    assert_eq!(c.round, arch::fixed::Rounding::Stochastic);
    let v0 = vectors::ew_mul_vector(&cfg, &c, 42).unwrap_or_else(|e| panic!("{e}"));
    let sim = |v: &Vector| SimBackend::default().run(v).unwrap();
    let out0 = output(&v0, &sim(&v0));
    let axi = AxiBackend::default();
    for seed in [0xC0FF_EE11, Lfsr::lane_offset(1)] {
        let mut v = v0.clone();
        v.seed = seed;
        v.name = format!("{}_seed{seed:08x}", v0.name);
        let o = agree(&v, &ALL);
        assert_ne!(
            output(&v, &o),
            out0,
            "{}: the seed changed no rounding",
            v.name
        );
        let a = axi.run(&v).unwrap_or_else(|e| panic!("{}: {e}", v.name));
        backends::compare_memory(&v, "sim", &o, "verilator-axi", &a)
            .unwrap_or_else(|m| panic!("{m}"));
        assert_eq!(a.cycles, o.cycles, "{}: AXI cycles", v.name);
    }
    // the preset's seed is what every backend uses when the vector says so
    agree(&v0, &[ALL[1], &axi]);
}

/// Vector names follow NVDLA's unit_shape_operation_type scheme. (Moved
/// from the former `sim_modes.rs`, whose fast-vs-stepped cases are now
/// `sim/tests/fast_vs_stepped.rs`; this one tests `backends::vectors`.)
#[test]
fn names_follow_the_unit_shape_operation_type_scheme() {
    let spec = "conv:nx=8,ny=8,kx=3,ky=3,ni=4,no=8,pad=1,act=relu"
        .parse()
        .unwrap();
    assert_eq!(
        vectors::layer_name(&spec, 1),
        "conv_8x8x4_k3x3s1x1p1_o8_relu_i16"
    );
}
