//! The driver layer against the simulated board (Verilator model of the
//! AXI-wrapped RTL, randomised AXI timing): same output region and halt status
//! as the cycle-accurate simulator; mismatched hardware is refused.

use arch::events::Event;
use arch::AccelConfig;
use backends::axi_harness::Timing;
use backends::{vectors, Backend, SimBackend, Status};
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
