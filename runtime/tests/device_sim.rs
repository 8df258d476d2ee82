//! The driver layer against the simulated board (Verilator model of the
//! AXI-wrapped RTL, randomised AXI timing): same output region and halt status
//! as the cycle-accurate simulator, every event counter read over AXI-Lite
//! equal to the simulator's; mismatched hardware is refused.

use arch::events::{Counters, Event, NUM_EVENTS};
use arch::AccelConfig;
use backends::axi_backend::AxiBackend;
use backends::axi_harness::Timing;
use backends::{vectors, Backend, SimBackend, Status, Vector};
use runtime::device::{AxiDevice, Device, DeviceError, Halt, SimBus};

const BASE: u64 = 0x2000_0000;
const BYTES: u64 = 1 << 24;

#[test]
fn a_layer_runs_through_the_register_map_like_the_simulator() {
    let cfg = AccelConfig::tiny();
    let spec = "conv:nx=4,ny=4,k=2,ni=4,no=4,act=relu".parse().unwrap();
    let v = vectors::layer_vector(&cfg, &spec, 1, 5).unwrap();
    let want = SimBackend::default().run(&v).unwrap();
    let bus = SimBus::new(
        &cfg,
        Timing {
            seed: 3,
            ..Timing::default()
        },
        BASE,
        BYTES,
    )
    .unwrap();
    let mut d = AxiDevice::new(bus, &cfg).unwrap();
    assert!(
        matches!(d.start(), Err(DeviceError::State(_))),
        "start before load"
    );
    d.load(&v.program, &v.image).unwrap();
    d.start().unwrap();
    let st = d.wait(100_000).unwrap();
    assert_eq!(st.halt, Halt::Done);
    assert_eq!(want.status, Status::Done);
    assert!(st.cycles > 0 && st.bus_cycles >= st.cycles, "{st:?}");
    let got = d.read_dram(v.window.0, v.window.1).unwrap();
    assert_eq!(got, want.dram.read(v.window.0, v.window.1), "output region");
    assert!(got.iter().any(|b| *b != 0));
    let c = d.counters().unwrap();
    let get = |e: Event| c.iter().find(|(x, _)| *x == e).map(|(_, n)| *n);
    assert_eq!(get(Event::Cycles), Some(st.cycles));
    assert_eq!(
        get(Event::Instructions),
        Some(v.program.len() as u64),
        "every instruction dispatched"
    );
    assert!(get(Event::NfuBusy).unwrap() > 0);
    assert_eq!(d.bus().sim().stats().unwrap().violations, 0);
    // a second run on the same device: an error halt (program without `end`)
    let mut p = v.program.clone();
    p.pop();
    d.load(&p, &v.image).unwrap();
    d.start().unwrap();
    match d.wait(100_000).unwrap().halt {
        Halt::Error { class, index } => assert_eq!((class.as_str(), index), ("no_end", p.len())),
        h => panic!("{h:?}"),
    }
}

#[test]
fn hardware_for_another_preset_is_refused() {
    let bus = SimBus::new(&AccelConfig::tiny(), Timing::default(), BASE, BYTES).unwrap();
    match AxiDevice::new(bus, &AccelConfig::diannao()) {
        Err(DeviceError::PresetMismatch { .. }) => {}
        Err(e) => panic!("wrong error {e}"),
        Ok(_) => panic!("accepted a tiny build as diannao"),
    }
}

#[test]
fn oversized_programs_and_images_are_refused() {
    let cfg = AccelConfig::tiny();
    let bus = SimBus::new(&cfg, Timing::default(), BASE, BYTES).unwrap();
    let mut d = AxiDevice::new(bus, &cfg).unwrap();
    // longer than the buffer holds after the image (any length that fits runs)
    let n = BYTES as usize / arch::isa::fields::INSTR_BYTES + 1;
    let long = vec![arch::isa::fields::Word::default(); n];
    assert!(matches!(
        d.load(&long, &[]),
        Err(DeviceError::ProgramTooLong { .. })
    ));
    assert!(matches!(
        d.load(&[], &[(BYTES, vec![1])]),
        Err(DeviceError::OutOfBuffer { .. })
    ));
}

/// A program longer than the 256-entry instruction memory runs in one
/// `start` through the driver: the core fetches it from the buffer.
#[test]
fn a_program_longer_than_the_instruction_memory_runs_through_the_driver() {
    let cfg = AccelConfig::tiny();
    let spec = "conv:nx=6,ny=6,k=3,ni=8,no=8,pad=1,act=relu"
        .parse()
        .unwrap();
    let v = vectors::layer_vector(&cfg, &spec, 8, 9).unwrap();
    assert!(
        v.program.len() > cfg.imem_depth as usize,
        "{} instructions",
        v.program.len()
    );
    let want = SimBackend::default().run(&v).unwrap();
    let bus = SimBus::new(&cfg, Timing::default(), BASE, BYTES).unwrap();
    let mut d = AxiDevice::new(bus, &cfg).unwrap();
    d.load(&v.program, &v.image).unwrap();
    d.start().unwrap();
    let st = d.wait(1_000_000).unwrap();
    assert_eq!(st.halt, Halt::Done);
    let got = d.read_dram(v.window.0, v.window.1).unwrap();
    assert_eq!(got, want.dram.read(v.window.0, v.window.1), "output region");
    assert!(got.iter().any(|b| *b != 0));
    let c = d.counters().unwrap();
    let get = |e: Event| c.iter().find(|(x, _)| *x == e).map(|(_, n)| *n);
    assert_eq!(get(Event::Instructions), Some(v.program.len() as u64));
}

/// Every event counter of `Event::ALL`, read through the driver (64-bit,
/// low word then high word), equals the simulator's count for the same
/// program, on a convolution, both pools, a batched classifier, a saturating
/// element-wise multiply with stochastic rounding and a random program of
/// every opcode, each under random AXI timing. The AXI master answers every
/// beat exactly `L` core cycles after its command, so every counter, the
/// timing-dependent ones (`cycles`, the stalls) included, must be exact; the
/// bounds below are what they must satisfy whatever the timing.
#[test]
fn every_counter_reads_the_simulators_count_through_the_driver() {
    let cfg = AccelConfig::tiny();
    let exact = AxiBackend::default().cycle_exact();
    assert!(
        exact,
        "the AXI master answers at L: the device is cycle-exact"
    );
    let layer = |spec: &str, batch: u32, seed: u64| {
        vectors::layer_vector(&cfg, &spec.parse().unwrap(), batch, seed).unwrap()
    };
    let stoch = vectors::EwMul::cases()
        .into_iter()
        .find(|m| m.round == arch::fixed::Rounding::Stochastic)
        .expect("a stochastic-rounding case");
    let vs: Vec<Vector> = vec![
        layer("conv:nx=4,ny=4,k=2,ni=4,no=4,act=relu", 1, 5),
        layer("pool:nx=4,ny=4,k=2,ni=4,kind=max", 1, 6),
        layer("pool:nx=5,ny=5,k=3,s=2,ni=5,kind=avg", 1, 7),
        layer("class:ni=9,no=5,act=tanh", 2, 8),
        vectors::ew_mul_vector(&cfg, &stoch, 9).unwrap(),
        vectors::race_free_program_vector(&cfg, 20, 10),
    ];
    let mut seen = Counters::new();
    let mut exact_checks = 0;
    for (k, v) in vs.iter().enumerate() {
        let want = SimBackend::default().run(v).unwrap();
        let wc = want.counters.clone().expect("the simulator's counters");
        let bus = SimBus::new(
            &cfg,
            Timing {
                seed: 40 + k as u64,
                ..Timing::default()
            },
            BASE,
            BYTES,
        )
        .unwrap();
        let mut d = AxiDevice::new(bus, &cfg).unwrap();
        d.load(&v.program, &v.image).unwrap();
        d.start().unwrap();
        let st = d.wait(1_000_000).unwrap();
        assert_eq!(st.halt, Halt::Done, "{}", v.name);
        assert_eq!(want.status, Status::Done, "{}", v.name);
        let got = d.counters().unwrap();
        assert_eq!(got.len(), NUM_EVENTS, "{}: every counter is read", v.name);
        let fits = v.program.len() <= cfg.imem_depth as usize;
        let n = |e: Event| got[e as usize].1;
        let cycles = n(Event::Cycles);
        eprintln!(
            "{}: sim {} cycles, AXI core {} cycles, {} bus cycles",
            v.name, want.cycles, cycles, st.bus_cycles
        );
        for (i, (e, value)) in got.iter().enumerate() {
            assert_eq!(*e, Event::ALL[i], "counters in Event::ALL order");
            let sim = wc.get(*e);
            eprintln!("  {:20} sim {sim:8}  device {value:8}", e.name());
            if exact || e.timing_independent(fits) {
                assert_eq!(*value, sim, "{}: counter `{}`", v.name, e.name());
                exact_checks += 1;
            }
            seen.add(*e, *value);
        }
        // the timing-dependent ones, whatever the timing
        assert_eq!(
            cycles, st.cycles,
            "{}: `cycles` is the core's cycles",
            v.name
        );
        assert!(st.bus_cycles >= cycles, "{}: {st:?}", v.name);
        for e in [
            Event::CpStallQueueFull,
            Event::CpStallFetch,
            Event::NfuBusy,
            Event::PortBusy,
        ] {
            assert!(
                n(e) <= cycles,
                "{}: `{}` {} > cycles {cycles}",
                v.name,
                e.name(),
                n(e)
            );
        }
        let nfu_stalls = n(Event::NfuStallLoad) + n(Event::NfuStallStore) + n(Event::NfuStallDrain);
        assert!(nfu_stalls <= cycles, "{}: NFU stalls {nfu_stalls}", v.name);
        for e in [Event::DmaStallPort, Event::DmaStallWait] {
            assert!(n(e) <= 3 * cycles, "{}: `{}` {}", v.name, e.name(), n(e));
        }
    }
    // the programs exercise every program-determined counter
    for e in Event::ALL {
        if e.timing_independent(true) {
            assert!(seen.get(*e) > 0, "no program counted `{}`", e.name());
        }
    }
    assert_eq!(
        exact_checks,
        vs.len() * NUM_EVENTS,
        "{exact_checks} exact comparisons"
    );
}
