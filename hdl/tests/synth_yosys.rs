//! Yosys flow on small real blocks (fast): the `stat` parser and the DSP48E2
//! mapping of NFU-1, plus the part table. The full-top reports are the
//! documented `diannao hdl report` commands (docs/hdl.md).

use arch::AccelConfig;
use hdl::flow::parts::{lookup, PARTS};
use hdl::flow::synth::{fits, parse_stat, run_yosys, utilisation, SynthOptions};
use rust_hdl::prelude::*;

/// NFU-1 of the tiny preset (Tn x Tn = 16 multipliers), synthesized flat.
#[test]
fn tiny_nfu1_maps_its_16_multipliers_to_dsp48e2() {
    let cfg = AccelConfig::tiny();
    let tn = cfg.tn as usize;
    let mut b = hdl::core::nfu::nfu1::Nfu1::<64, 256, 512>::new(tn, cfg.pipeline.nfu1 as usize);
    b.connect_all();
    let dir = tempfile::tempdir().unwrap();
    let v = dir.path().join("top.v");
    std::fs::write(&v, generate_verilog(&b)).unwrap();
    let r = run_yosys(&v, &dir.path().join("work"), &SynthOptions::new("top"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.dsp48e2, (tn * tn) as u64, "{:?}", r.cells);
    assert!(r.ff > 0 && r.luts() > 0, "{:?}", r.cells);
    assert_eq!(r.ramb18_equiv(), 0);
    // the parsed counts are the cells Yosys listed
    let listed: u64 = r
        .cells
        .iter()
        .filter(|(c, _)| c == "DSP48E2")
        .map(|(_, n)| n)
        .sum();
    assert_eq!(listed, r.dsp48e2);
    let script = std::fs::read_to_string(dir.path().join("work/run.ys")).unwrap();
    assert!(
        script.contains("synth_xilinx -family xcup -top top -flatten -noiopad"),
        "{script}"
    );
    assert!(dir.path().join("work/yosys.log").is_file());
}

const STAT: &str = "
=== top ===

   Number of wires:              11347
   Number of cells:              22768
     BUFG                            1
     CARRY4                        463
     DSP48E2                        26
     FDCE                            5
     FDRE                         4635
     FDSE                            2
     LUT1                          127
     LUT6                         4541
     MUXF7                        3694
     RAM32M16                       44
     RAM64X1D                        3
     SRLC32E                         7
     RAMB18E2                        3
     RAMB36E2                        9
     URAM288                         2

";

#[test]
fn stat_parser_counts_primitives() {
    let r = parse_stat(&format!(
        "=== sub ===\n   Number of cells: 3\n     LUT1 3\n\n{STAT}"
    ))
    .unwrap();
    assert_eq!(r.lut_logic, 127 + 4541);
    assert_eq!(r.lut_mem, 44 * 8 + 3 * 2 + 7);
    assert_eq!(r.ff, 4635 + 5 + 2);
    assert_eq!(
        (r.dsp48e2, r.ramb18e2, r.ramb36e2, r.uram288, r.carry),
        (26, 3, 9, 2, 463)
    );
    assert_eq!(r.ramb18_equiv(), 3 + 18);
    assert!(parse_stat("no statistics here").is_err());
    // a summary whose cell list cannot be read is an error, never "fits"
    assert!(matches!(
        parse_stat("   Number of cells:              12\n\n"),
        Err(hdl::flow::synth::SynthError::NoCells)
    ));
    assert!(matches!(
        parse_stat("   Number of cells: 5\n     ??? garbled line here\n"),
        Err(hdl::flow::synth::SynthError::NoCells)
    ));
}

#[test]
fn utilisation_and_verdict() {
    let r = parse_stat(STAT).unwrap();
    let zu9 = lookup("zcu102").unwrap();
    let u = utilisation(&r, zu9);
    let uram = u.iter().find(|x| x.resource == "URAM288").unwrap();
    assert_eq!(uram.available, 0);
    assert!(!uram.fits() && !fits(&u), "ZU9EG has no URAM");
    let u7 = utilisation(&r, lookup("xczu7ev").unwrap());
    assert!(fits(&u7));
    let dsp = u7.iter().find(|x| x.resource == "DSP48E2").unwrap();
    assert!((dsp.percent() - 100.0 * 26.0 / 1728.0).abs() < 1e-9);
    let bram = u7
        .iter()
        .find(|x| x.resource.starts_with("RAMB18E2"))
        .unwrap();
    assert_eq!((bram.used, bram.available), (21, 624));
}

#[test]
fn part_lookup_by_name_board_and_part_number() {
    assert_eq!(lookup("ZCU104").unwrap().device, "XCZU7EV");
    assert_eq!(lookup("xczu7ev-ffvc1156-2-e").unwrap().dsp48e2, 1728);
    assert_eq!(lookup("kv260").unwrap().luts, 117_120);
    assert_eq!(lookup("XCK26").unwrap().uram288, 64);
    assert_eq!(lookup("u250").unwrap().ramb36e2, 2688);
    assert_eq!(lookup("xczu9eg").unwrap().ffs, 548_160);
    let e = lookup("xc7a35t").unwrap_err().to_string();
    assert!(
        e.contains("unknown part `xc7a35t`") && e.contains("zcu104") && !e.contains('\n'),
        "{e}"
    );
    for p in PARTS {
        assert_eq!(
            p.ffs,
            2 * p.luts,
            "{}: UltraScale+ CLBs have 2 FFs per LUT",
            p.device
        );
        assert!(!p.source.is_empty());
    }
}
