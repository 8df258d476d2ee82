//! The AXI-wrapped RTL (Verilator, randomised AXI timing, protocol checks)
//! ends with the same whole DRAM image, halt status, core cycle count and
//! value of every event counter (read over AXI-Lite as 64-bit values) as
//! the plain memory port (Verilator on the bare top) and the simulator on
//! equivalence-suite vectors, at the tiny preset and at the `diannao` preset
//! (a convolution, one whose program is longer than imem so the fetch unit
//! refills it through AXI, a batched classifier): the master answers every
//! beat exactly `L` core cycles after its command, holding the core when the
//! bus is late. Under the board presets' DDR model the core is never held.

use arch::isa::Instruction;
use arch::AccelConfig;
use backends::axi_backend::AxiBackend;
use backends::axi_harness::Timing;
use backends::{compare, vectors, Backend, SimBackend, Status, Vector, VerilatorBackend};
use std::time::Instant;

/// A DRAM base that is not bus-aligned: every row (instruction fetches included) is realigned.
const MISALIGNED_BASE: u32 = 0x1000_0FC2;

fn layer(cfg: &AccelConfig, spec: &str, batch: u32, seed: u64) -> Vector {
    let spec = spec.parse().unwrap_or_else(|e| panic!("{spec}: {e}"));
    vectors::layer_vector(cfg, &spec, batch, seed).unwrap_or_else(|e| panic!("{e}"))
}

/// Run on the plain port and through AXI; demand equal DRAM, status and core cycles; return (plain, axi) cycles.
fn same(v: &Vector, axi: &AxiBackend) -> (u64, u64, Status) {
    let p = VerilatorBackend::default()
        .run(v)
        .unwrap_or_else(|e| panic!("{}: {e}", v.name));
    let r = axi
        .run_full(v)
        .unwrap_or_else(|e| panic!("{}: {e}", v.name));
    assert_eq!(r.stats.violations, 0, "{}: {:?}", v.name, r.stats.messages);
    assert!(!r.bus_error, "{}: bus error", v.name);
    if let Err(m) = compare(v, "verilator", &p, "verilator-axi", &r.outcome) {
        panic!("{m}");
    }
    eprintln!(
        "{}: plain port {} cycles; AXI core {} cycles, {} bus cycles ({} held), {} AR / {} AW bursts, longest {}",
        v.name, p.cycles, r.outcome.cycles, r.bus_cycles, r.held_cycles, r.stats.ar_bursts, r.stats.aw_bursts, r.stats.max_len
    );
    (p.cycles, r.outcome.cycles, p.status)
}

#[test]
fn layers_match_the_plain_port_under_random_axi_timing() {
    let cfg = AccelConfig::tiny();
    for (k, (spec, batch)) in [
        ("conv:nx=3,ny=3,k=2,ni=4,no=4,act=relu", 1),
        ("pool:nx=5,ny=5,k=3,s=2,ni=5,kind=avg", 1),
        ("class:ni=9,no=5,act=relu", 2),
    ]
    .iter()
    .enumerate()
    {
        let v = layer(&cfg, spec, *batch, 10 + k as u64);
        let axi = AxiBackend {
            timing: Some(Timing {
                seed: 7 + k as u64,
                ..Timing::default()
            }),
            dram_base: MISALIGNED_BASE,
            ..AxiBackend::default()
        };
        let (_, _, st) = same(&v, &axi);
        assert_eq!(st, Status::Done);
        let o = axi.run(&v).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            o.dram.read(v.window.0, v.window.1).iter().any(|b| *b != 0),
            "{}: empty result",
            v.name
        );
    }
}

/// Random programs free of memory-timing races: with random waits a load
/// may overwrite NBin rows before or after an NFU op has read them, or a
/// store read an NBout row before or after an earlier load lands, depending
/// on the memory timing (both results are right, and they differ).
#[test]
fn random_programs_with_misaligned_rows_match() {
    let cfg = AccelConfig::tiny();
    let mut writes = 0;
    for seed in 0..4u64 {
        let v = vectors::race_free_program_vector(&cfg, 30, 100 + seed);
        // DRAM base 6 bytes below a 4 KB page: rows straddle pages and bus words
        let axi = harsh(seed);
        same(&v, &axi);
        let r = axi.run_full(&v).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            r.outcome
                .dram
                .read(v.window.0, v.window.1)
                .iter()
                .any(|b| *b != 0),
            "{}: stored nothing but zeros",
            v.name
        );
        writes += r.stats.aw_bursts;
    }
    assert!(writes > 0, "no vector wrote DRAM");
}

#[test]
fn error_halt_matches() {
    let mut v = layer(
        &AccelConfig::tiny(),
        "conv:nx=3,ny=3,k=2,ni=4,no=4,act=relu",
        1,
        21,
    );
    // the program without its final `end`: halts with no_end after draining
    v.program.pop();
    let (_, _, st) = same(&v, &harsh(5));
    assert!(
        matches!(st, Status::Error { ref class, .. } if class == "no_end"),
        "{st:?}"
    );
}

#[test]
fn slave_errors_set_the_sticky_bus_error_bit() {
    let v = layer(
        &AccelConfig::tiny(),
        "conv:nx=3,ny=3,k=2,ni=4,no=4,act=relu",
        1,
        21,
    );
    let axi = AxiBackend::default();
    let mut s = backends::axi_harness::AxiSim::start(&v.cfg, Timing::default()).unwrap();
    let dram_base = axi.dram_base as u64;
    // the first instruction fetch answers SLVERR
    s.mem_error_region(dram_base + v.program_base(), 16)
        .unwrap();
    for (a, bytes) in v.dram_image() {
        s.mem_write(dram_base + a, &bytes).unwrap();
    }
    let o = |n: &str| arch::regmap::offset(n).unwrap();
    s.reg_write(o("prog_base"), v.program_base() as u32)
        .unwrap();
    s.reg_write(o("dram_base"), axi.dram_base).unwrap();
    s.reg_write(o("prog_len"), v.program.len() as u32).unwrap();
    s.reg_write(o("ctrl"), 1).unwrap();
    assert!(s.wait_irq(1_000_000).unwrap().is_some(), "no halt");
    let st = s.reg_read(o("status")).unwrap();
    assert_eq!(arch::regmap::STATUS_BUS_ERROR.get(st), 1, "status {st:#x}");
    assert_eq!(s.stats().unwrap().violations, 0);
}

/// The harsher AXI timing of the random-program test (READY 35 %, latencies
/// 0-30, RVALID/BVALID 40 %), with the DRAM base 6 bytes below a 4 KB page.
fn harsh(seed: u64) -> AxiBackend {
    AxiBackend {
        timing: Some(Timing {
            seed,
            ready_pct: 35,
            min_latency: 0,
            max_latency: 30,
            valid_pct: 40,
        }),
        dram_base: 0x1000_0FFA,
        ..AxiBackend::default()
    }
}

/// A `diannao`-preset vector: the simulator and Verilator on the bare top
/// agree exactly (cycles included); then through AXI with the default random
/// timing and with [`harsh`] timing, each with the same status and whole
/// DRAM image as the plain port, no protocol violation and no bus error.
/// Returns the simulator's outcome.
fn diannao_case(v: &Vector, seed: u64) -> backends::Outcome {
    let t0 = Instant::now();
    let sim = SimBackend::default()
        .run(v)
        .unwrap_or_else(|e| panic!("{}: {e}", v.name));
    assert_eq!(sim.status, Status::Done, "{}", v.name);
    assert!(
        sim.dram
            .read(v.window.0, v.window.1)
            .iter()
            .any(|b| *b != 0),
        "{}: empty result",
        v.name
    );
    let plain = VerilatorBackend::default()
        .run(v)
        .unwrap_or_else(|e| panic!("{}: {e}", v.name));
    if let Err(m) = compare(v, "sim", &sim, "verilator", &plain) {
        panic!("{m}");
    }
    eprintln!(
        "{}: {} instructions (imem {}), sim and plain port {} cycles ({:.1} s)",
        v.name,
        v.program.len(),
        v.cfg.imem_depth,
        sim.cycles,
        t0.elapsed().as_secs_f64()
    );
    for (what, axi) in [
        (
            "default timing",
            AxiBackend {
                timing: Some(Timing {
                    seed,
                    ..Timing::default()
                }),
                dram_base: MISALIGNED_BASE,
                ..AxiBackend::default()
            },
        ),
        ("READY 35 %, latency 0-30", harsh(seed)),
    ] {
        let t = Instant::now();
        let r = axi
            .run_full(v)
            .unwrap_or_else(|e| panic!("{} ({what}): {e}", v.name));
        assert_eq!(r.stats.violations, 0, "{}: {:?}", v.name, r.stats.messages);
        assert!(!r.bus_error, "{} ({what}): bus error", v.name);
        if let Err(m) = compare(v, "sim", &sim, "verilator-axi", &r.outcome) {
            panic!("{what}: {m}");
        }
        eprintln!(
            "{} ({what}): plain port {} cycles; AXI core {} cycles, {} bus cycles ({} held), {} AR / {} AW bursts, longest {} ({:.1} s)",
            v.name,
            sim.cycles,
            r.outcome.cycles,
            r.bus_cycles,
            r.held_cycles,
            r.stats.ar_bursts,
            r.stats.aw_bursts,
            r.stats.max_len,
            t.elapsed().as_secs_f64()
        );
    }
    sim
}

#[test]
fn diannao_conv_matches_the_plain_port() {
    let t = Instant::now();
    let v = layer(
        &AccelConfig::diannao(),
        "conv:nx=4,ny=4,k=3,ni=32,no=32,pad=1,act=relu",
        1,
        31,
    );
    diannao_case(&v, 31);
    eprintln!("{}: {:.1} s", v.name, t.elapsed().as_secs_f64());
}

/// The convolution above with `PAD` nops after each instruction but the
/// final `end`: longer than imem, so the fetch unit refills imem entries
/// through AXI while the convolution's DMAs are in flight. Nops change no
/// state: the layer output equals the unpadded program's.
#[test]
fn diannao_conv_longer_than_imem_refills_through_axi() {
    let t = Instant::now();
    let cfg = AccelConfig::diannao();
    let plain = layer(&cfg, "conv:nx=4,ny=4,k=3,ni=32,no=32,pad=1,act=relu", 1, 32);
    let nop = Instruction::default().encode().unwrap();
    let mut v = plain.clone();
    let (end, body) = plain.program.split_last().unwrap();
    // nops after every instruction, enough for the program to exceed imem
    let pad = (cfg.imem_depth as usize).div_ceil(body.len());
    v.program = body
        .iter()
        .flat_map(|w| std::iter::once(*w).chain(std::iter::repeat(nop).take(pad)))
        .chain(std::iter::once(*end))
        .collect();
    v.name = format!("{}_nop{pad}", plain.name);
    assert!(
        v.program.len() > cfg.imem_depth as usize,
        "{} instructions",
        v.program.len()
    );
    let padded = diannao_case(&v, 32);
    let unpadded = SimBackend::default().run(&plain).unwrap();
    assert_eq!(
        padded.dram.read(v.window.0, v.window.1),
        unpadded.dram.read(plain.window.0, plain.window.1),
        "the nops changed the result"
    );
    eprintln!("{}: {:.1} s", v.name, t.elapsed().as_secs_f64());
}

#[test]
fn diannao_classifier_matches_the_plain_port() {
    let t = Instant::now();
    let v = layer(
        &AccelConfig::diannao(),
        "class:ni=256,no=64,act=relu",
        2,
        33,
    );
    diannao_case(&v, 33);
    eprintln!("{}: {:.1} s", v.name, t.elapsed().as_secs_f64());
}

/// Under the board DDR model ([`Timing::board`]: first `RVALID` exactly
/// `L - AXI_MASTER_CYCLES` cycles after `AR`, every channel streaming) the
/// core is never held: the run on the bus takes the simulator's cycles plus
/// the fixed start and drain overhead. One cycle less of latency budget
/// holds it: `AXI_MASTER_CYCLES` is tight.
fn board_model_case(v: &Vector) {
    let sim = SimBackend::default()
        .run(v)
        .unwrap_or_else(|e| panic!("{}: {e}", v.name));
    let board = AxiBackend::default();
    let r = board
        .run_full(v)
        .unwrap_or_else(|e| panic!("{}: {e}", v.name));
    assert_eq!(r.stats.violations, 0, "{}: {:?}", v.name, r.stats.messages);
    if let Err(m) = compare(v, "sim", &sim, "verilator-axi", &r.outcome) {
        panic!("{m}");
    }
    assert_eq!(
        r.held_cycles, 0,
        "{}: the board model held the core",
        v.name
    );
    let overhead = r.bus_cycles - r.outcome.cycles;
    eprintln!(
        "{}: sim {} cycles = AXI core cycles; bus {} cycles (start and drain {overhead}), 0 held",
        v.name, sim.cycles, r.bus_cycles
    );
    assert!(
        overhead <= 8 + v.cfg.dram.latency_cycles as u64,
        "{}: overhead {overhead}",
        v.name
    );
    let mut slow = Timing::board(&v.cfg);
    slow.min_latency += 1;
    slow.max_latency += 1;
    let r = AxiBackend {
        timing: Some(slow),
        ..AxiBackend::default()
    }
    .run_full(v)
    .unwrap_or_else(|e| panic!("{}: {e}", v.name));
    if let Err(m) = compare(
        v,
        "sim",
        &sim,
        "verilator-axi (one cycle slower)",
        &r.outcome,
    ) {
        panic!("{m}");
    }
    assert!(
        r.held_cycles > 0,
        "{}: one cycle more DDR latency held nothing",
        v.name
    );
}

#[test]
fn tiny_board_model_never_holds_the_core() {
    let cfg = AccelConfig::tiny();
    for (k, (spec, batch)) in [
        ("conv:nx=3,ny=3,k=2,ni=4,no=4,act=relu", 1),
        ("class:ni=9,no=5,act=relu", 2),
    ]
    .iter()
    .enumerate()
    {
        board_model_case(&layer(&cfg, spec, *batch, 40 + k as u64));
    }
}

#[test]
fn kv260_board_model_never_holds_the_core() {
    let t = Instant::now();
    let cfg = AccelConfig::kv260();
    board_model_case(&layer(
        &cfg,
        "conv:nx=4,ny=4,k=3,ni=32,no=32,pad=1,act=relu",
        1,
        50,
    ));
    board_model_case(&layer(&cfg, "class:ni=256,no=64,act=relu", 2, 51));
    eprintln!("kv260: {:.1} s", t.elapsed().as_secs_f64());
}

/// Long tier (`bash scripts/long.sh zcu104_board`): the largest Verilator
/// build (Tn = 32); the default suite checks zcu104 through AXI with equal
/// cycles in diannao/tests/simulate.rs.
#[test]
#[ignore = "long tier: scripts/long.sh"]
fn zcu104_board_model_never_holds_the_core() {
    let t = Instant::now();
    let cfg = AccelConfig::zcu104();
    board_model_case(&layer(
        &cfg,
        "conv:nx=4,ny=4,k=3,ni=64,no=64,pad=1,act=relu",
        1,
        60,
    ));
    eprintln!("zcu104: {:.1} s", t.elapsed().as_secs_f64());
}
