//! The AXI-wrapped RTL (Verilator, randomised AXI timing, protocol checks)
//! ends with the same whole DRAM image and halt status as the plain memory port
//! (Verilator on the bare top) on equivalence-suite vectors.

use arch::AccelConfig;
use backends::axi_backend::AxiBackend;
use backends::axi_harness::Timing;
use backends::{vectors, Backend, Status, Vector, VerilatorBackend};

fn layer(cfg: &AccelConfig, spec: &str, batch: u32, seed: u64) -> Vector {
    let spec = spec.parse().unwrap_or_else(|e| panic!("{spec}: {e}"));
    vectors::layer_vector(cfg, &spec, batch, seed).unwrap_or_else(|e| panic!("{e}"))
}

/// Run on the plain port and through AXI; demand equal DRAM and status; return (plain, axi) cycles.
fn same(v: &Vector, axi: &AxiBackend) -> (u64, u64, Status) {
    let p = VerilatorBackend::default()
        .run(v)
        .unwrap_or_else(|e| panic!("{}: {e}", v.name));
    let r = axi
        .run_full(v)
        .unwrap_or_else(|e| panic!("{}: {e}", v.name));
    assert_eq!(r.stats.violations, 0, "{}: {:?}", v.name, r.stats.messages);
    assert!(!r.bus_error, "{}: bus error", v.name);
    assert_eq!(r.outcome.status, p.status, "{}: status", v.name);
    if let Some(a) = p.dram.first_difference(&r.outcome.dram) {
        panic!(
            "{}: DRAM differs first at {a:#x}: plain {:#04x} vs axi {:#04x}",
            v.name,
            p.dram.byte(a),
            r.outcome.dram.byte(a)
        );
    }
    eprintln!(
        "{}: plain port {} cycles; AXI core {} cycles, {} bus cycles, {} AR / {} AW bursts, longest {}",
        v.name, p.cycles, r.outcome.cycles, r.bus_cycles, r.stats.ar_bursts, r.stats.aw_bursts, r.stats.max_len
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
            timing: Timing {
                seed: 7 + k as u64,
                ..Timing::default()
            },
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
        let axi = AxiBackend {
            timing: Timing {
                seed,
                ready_pct: 35,
                max_latency: 30,
                valid_pct: 40,
            },
            dram_base: 0x1000_0FFA,
            ..AxiBackend::default()
        };
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
    let (_, _, st) = same(&v, &AxiBackend::default());
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
    s.mem_error_region(dram_base + v.program_base(), 16).unwrap();
    for (a, bytes) in v.dram_image() {
        s.mem_write(dram_base + a, &bytes).unwrap();
    }
    let o = |n: &str| arch::regmap::offset(n).unwrap();
    s.reg_write(o("prog_base"), v.program_base() as u32).unwrap();
    s.reg_write(o("dram_base"), axi.dram_base).unwrap();
    s.reg_write(o("prog_len"), v.program.len() as u32).unwrap();
    s.reg_write(o("ctrl"), 1).unwrap();
    assert!(s.wait_irq(1_000_000).unwrap().is_some(), "no halt");
    let st = s.reg_read(o("status")).unwrap();
    assert_eq!(arch::regmap::STATUS_BUS_ERROR.get(st), 1, "status {st:#x}");
    assert_eq!(s.stats().unwrap().violations, 0);
}
