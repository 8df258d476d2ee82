//! The emitted Verilog under Icarus Verilog (`IcarusBackend`), memories
//! starting at X: the tiny equivalence vectors give the simulator's DRAM
//! window, cycle count and status, and a result that depends on a buffer row
//! no instruction loaded is reported as X, not read as a number.

use arch::activation::Activation;
use arch::fixed::Rounding;
use arch::isa::{AccIn, CpOp, DmaOp, DmaSlot, Instruction, NfuOp, NfuSlot};
use arch::AccelConfig;
use backends::icarus_backend::memory_inits;
use backends::verify::{verify_vector, VerifyError};
use backends::verilator_backend::top_verilog;
use backends::{compare, vectors, Backend, IcarusBackend, Outcome, SimBackend, Status, Vector};

const ICARUS: IcarusBackend = IcarusBackend {
    max_cycles: 1_000_000,
};

/// Run `v` on sim and Icarus; panic naming the first difference.
fn agree(v: &Vector) -> Outcome {
    let s = SimBackend::default()
        .run(v)
        .unwrap_or_else(|e| panic!("{}: {e}", v.name));
    let o = ICARUS.run(v).unwrap_or_else(|e| panic!("{}: {e}", v.name));
    if let Err(m) = compare(v, "sim", &s, "icarus", &o) {
        panic!(
            "{m} (cycles: sim {} vs icarus {}; status: sim {:?} vs {:?})",
            s.cycles, o.cycles, s.status, o.status
        );
    }
    s
}

fn layer(spec: &str, batch: u32, seed: u64) -> Vector {
    let spec = spec.parse().unwrap_or_else(|e| panic!("{spec}: {e}"));
    vectors::layer_vector(&AccelConfig::tiny(), &spec, batch, seed)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn done_with_data(v: &Vector, o: &Outcome) {
    assert!(
        o.status == Status::Done && o.dram.nonzero_bytes() > 0,
        "{}: empty result",
        v.name
    );
}

#[test]
fn emitted_memories_have_no_initial_values() {
    let cfg = AccelConfig::tiny();
    let v = top_verilog(&cfg).unwrap();
    // NBin, SB, two NBout copies, imem
    let mems = v.lines().filter(|l| l.contains(" mem[")).count();
    assert!(mems >= 5, "{mems} memory declarations");
    assert_eq!(memory_inits(&v), 0, "the emitted top initialises a memory");
    // the check sees rust-hdl's initialisation of a RAM built with contents
    let word = hdl::top::word_bits(&Instruction::end().encode().unwrap());
    let mut t = hdl::core::cp::Cp::<8>::preloaded(&cfg, &[word, word]);
    rust_hdl::prelude::Block::connect_all(&mut t);
    assert_eq!(memory_inits(&rust_hdl::prelude::generate_verilog(&t)), 2);
}

/// The layer vectors of `equivalence.rs` on tiny (every layer kind, batch 2,
/// no bias, padding, the tiled layer larger than every buffer, every activation).
#[test]
fn layer_vectors_on_icarus() {
    let padded = [("conv:nx=5,ny=5,k=3,ni=8,no=8,pad=1", 1)];
    for (k, (spec, batch)) in vectors::TINY_LAYERS.iter().chain(&padded).enumerate() {
        let v = layer(spec, *batch, 10 + k as u64);
        done_with_data(&v, &agree(&v));
    }
    let v = layer("conv:nx=10,ny=10,k=3,ni=8,no=8,act=relu", 1, 3);
    let o = agree(&v);
    assert!(o.cycles > 1000, "{}: {} cycles", v.name, o.cycles);
    for (k, act) in Activation::ALL.iter().enumerate() {
        let v = layer(
            &format!("conv:nx=3,ny=3,k=2,ni=4,no=4,act={}", act.mnemonic()),
            1,
            k as u64,
        );
        done_with_data(&v, &agree(&v));
    }
}

/// The `diannao` layer of `equivalence.rs` (Tn = 16; about 130 cycles/s under Icarus).
#[test]
fn diannao_conv_on_icarus() {
    let spec = "conv:nx=4,ny=4,k=3,ni=32,no=32,pad=1,act=relu"
        .parse()
        .unwrap();
    let v = vectors::layer_vector(&AccelConfig::diannao(), &spec, 1, 5).unwrap();
    done_with_data(&v, &agree(&v));
}

/// The `nfu.mul` vectors of `equivalence.rs`.
#[test]
fn ew_mul_vectors_on_icarus() {
    let cfg = AccelConfig::tiny();
    for (k, c) in vectors::EwMul::cases().iter().enumerate() {
        let v = vectors::ew_mul_vector(&cfg, c, 40 + k as u64).unwrap_or_else(|e| panic!("{e}"));
        done_with_data(&v, &agree(&v));
    }
}

/// The error halts of `equivalence.rs`: decode, range, no `end`, a lone `end`, an empty program.
#[test]
fn error_halts_on_icarus() {
    let base = layer("conv:nx=3,ny=3,k=2,ni=4,no=4,act=relu", 1, 21);
    let err = |class: &str, index: usize| Status::Error {
        class: class.into(),
        index,
    };
    let mut v = base.clone();
    let k = v
        .program
        .iter()
        .position(|w| Instruction::decode(w).is_ok_and(|i| i.nfu.op != NfuOp::Nop))
        .unwrap();
    let f = arch::isa::fields::F::NFU_OP;
    arch::isa::fields::put(
        &mut v.program[k],
        arch::isa::fields::lsb(f),
        arch::isa::fields::width(f),
        7,
    );
    assert_eq!(agree(&v).status, err("decode", k));
    let mut v = base.clone();
    let bad = Instruction {
        nbin: DmaSlot::contiguous(DmaOp::Load, v.cfg.nbin_rows() - 1, 0, 2),
        ..Default::default()
    };
    v.program.insert(1, bad.encode().unwrap());
    assert_eq!(agree(&v).status, err("range", 1));
    let mut v = base.clone();
    let last = v.program.len() - 1;
    let mut i = Instruction::decode(&v.program[last]).unwrap();
    i.cp = CpOp::Nop;
    v.program[last] = i.encode().unwrap();
    assert_eq!(agree(&v).status, err("no_end", last + 1));
    // a lone end runs T = S + 2, S = L + beats(INSTR_BYTES) (its fetch)
    v.program = vec![Instruction::end().encode().unwrap()];
    let c = &v.cfg;
    let fill = c.dram.latency_cycles as u64 + c.beats(arch::isa::fields::INSTR_BYTES as u32) as u64;
    assert_eq!(agree(&v).cycles, fill + 2);
    v.program.clear();
    let o = agree(&v);
    assert_eq!((o.cycles, o.status), (2, err("no_end", 0)));
}

/// An instruction loading every row of NBin, SB and NBout from DRAM address 0.
fn load_every_row(cfg: &AccelConfig) -> Instruction {
    let all = |rows| DmaSlot::contiguous(DmaOp::Load, 0, 0, rows);
    Instruction {
        nbin: all(cfg.nbin_rows()),
        sb: all(cfg.sb_rows()),
        nbout: all(cfg.nbout_rows()),
        ..Default::default()
    }
}

/// `random_program_vector` draws NFU operands from anywhere in the buffers,
/// loaded or not: under Icarus such a program's result is X. Preceded by a
/// load of every buffer row (the NFU op of an instruction waits for the loads
/// dispatched up to it), such programs agree with the simulator, except where
/// they still store an entry nothing has written by the time the store
/// reads it: seed 1006 (X here, zero in the simulator; the generator's
/// random `wait`s allow the load/store race docs/microarchitecture.md leaves
/// to programs).
#[test]
fn random_programs_read_unloaded_rows_and_agree_once_the_buffers_are_loaded() {
    let cfg = AccelConfig::tiny();
    let pre = load_every_row(&cfg);
    assert!(pre.check(&cfg).is_ok());
    assert!(
        (cfg.sb_rows() * cfg.sb_row_bytes()) as u64 <= vectors::RANDOM_IMAGE_BYTES,
        "the image covers the loads"
    );
    // as generated (NBin and SB loaded, NBout not): the stores of NBout rows
    // never written are X
    for seed in 1000..1004 {
        let v = vectors::random_program_vector(&cfg, 6, seed);
        let e = ICARUS.run(&v).unwrap_err().to_string();
        assert!(
            e.contains("X/Z bits") && e.contains("DRAM byte"),
            "seed {seed}: {e}"
        );
    }
    for seed in [1000, 1001, 1002, 1003, 1004, 1005, 1007] {
        let mut v = vectors::random_program_vector(&cfg, 6, seed);
        v.program.insert(0, pre.encode().unwrap());
        agree(&v);
    }
    let mut v = vectors::random_program_vector(&cfg, 6, 1006);
    v.program.insert(0, pre.encode().unwrap());
    let e = ICARUS.run(&v).unwrap_err().to_string();
    assert!(e.contains("DRAM bytes 0x978, "), "{e}");
}

/// NBin rows 0 and 1 are loaded; instruction 1 combines NBin row `row` with
/// row `row + 1` element-wise (`op` = `nfu.mul` or `nfu.max`, one output) and
/// stores the result (`out=act`, 16-bit, or `out=partial`, 32-bit).
fn two_rows(op: NfuOp, row: u32, activate: bool) -> Vector {
    let cfg = AccelConfig::tiny();
    let out = 0x40u32;
    let x: Vec<u8> = (1..=2 * cfg.tn as i16)
        .flat_map(|k| (k * 300).to_le_bytes())
        .collect();
    let load = Instruction {
        nbin: DmaSlot::contiguous(DmaOp::Load, 0, 0, 2),
        ..Default::default()
    };
    let mul = Instruction {
        nfu: NfuSlot {
            op,
            acc_in: AccIn::Zero,
            activate,
            act: Activation::Identity,
            round: Rounding::Truncate,
            nbin: row,
            npy: 1,
            npx: 1,
            nky: 2,
            sky: 1,
            ni: 1,
            ..NfuSlot::NOP
        },
        nbout: DmaSlot::contiguous(
            if activate {
                DmaOp::StoreNarrow
            } else {
                DmaOp::Store
            },
            0,
            out,
            1,
        ),
        ..Default::default()
    };
    let program = [load, mul, Instruction::end()]
        .iter()
        .map(|i| {
            i.check(&cfg).unwrap();
            i.encode().unwrap()
        })
        .collect();
    let bytes = if activate {
        cfg.nbin_row_bytes()
    } else {
        cfg.nbout_row_bytes()
    };
    Vector {
        name: format!("ew_{}_rows{row}_{}_{activate}", op.mnemonic(), row + 1),
        window: (out as u64, bytes as u64),
        seed: cfg.lfsr_seed,
        cfg,
        program,
        prog_base: None,
        image: vec![(0, x)],
    }
}

/// X-propagation: a product (or max) of a loaded NBin row and a row never
/// loaded is X under Icarus, while the simulator, whose buffers start at
/// zero, reads a number; the same of two loaded rows agrees. Stored as a
/// 32-bit partial sum the X reaches DRAM (the failure names the bytes);
/// stored activated, NFU-3's saturation would make it 0x7fff, and `max`
/// would keep the other row (an `if` on X takes its `else`), so the
/// testbench's watch on the NFU reports it.
#[test]
fn a_result_from_an_unloaded_nbin_row_is_reported_as_x() {
    for (op, activate) in [(NfuOp::Mul, false), (NfuOp::Mul, true), (NfuOp::Max, true)] {
        let good = two_rows(op, 0, activate);
        let o = agree(&good);
        done_with_data(&good, &o);
        let bad = two_rows(op, 1, activate);
        let s = SimBackend::default().run(&bad).unwrap();
        assert_eq!(s.status, Status::Done);
        let e = ICARUS.run(&bad).unwrap_err().to_string();
        assert!(
            e.starts_with("icarus: X/Z bits in the result")
                && e.contains("the NFU computed with X/Z bits from cycle"),
            "{e}"
        );
        let n = bad.window.1;
        assert_eq!(
            e.contains(&format!("DRAM bytes {:#x}, ", bad.window.0))
                && e.contains(&format!("({n} bytes with X/Z bits")),
            !activate,
            "{e}"
        );
        // the same failure through `verify --backends`: a backend error, not a mismatch
        match verify_vector(&bad, &["sim", "icarus"]) {
            Err(VerifyError::Backend(b)) => assert!(b.to_string().contains("X/Z"), "{b}"),
            r => panic!("{r:?}"),
        }
    }
}

/// Without `iverilog`/`vvp` on `PATH` the backend fails naming the tool and
/// its package (`verify` prints COULD NOT RUN), never skips. Runs this test
/// binary again with an empty `PATH`.
#[test]
fn a_missing_icarus_is_a_failure_naming_the_tool() {
    const CHILD: &str = "ICARUS_TEST_EMPTY_PATH";
    if std::env::var_os(CHILD).is_some() {
        let v = two_rows(NfuOp::Mul, 0, true);
        match verify_vector(&v, &["sim", "icarus"]) {
            Err(VerifyError::Backend(e)) => {
                let e = e.to_string();
                assert!(
                    (e.contains("cannot run `iverilog`") || e.contains("cannot run `vvp`"))
                        && e.contains("Debian package `iverilog`"),
                    "{e}"
                );
            }
            r => panic!("{r:?}"),
        }
        return;
    }
    let empty = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "a_missing_icarus_is_a_failure_naming_the_tool",
            "--exact",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .env("PATH", empty.path())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && text.contains("1 passed"), "{text}");
}

#[test]
fn icarus_is_a_verify_backend() {
    assert!(backends::BACKENDS.contains(&"icarus"));
    assert_eq!(backends::backend("icarus").unwrap().name(), "icarus");
}
