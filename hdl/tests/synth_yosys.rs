//! Yosys flow: the `stat` parser on real Yosys output (fixtures captured
//! from `diannao hdl report --preset tiny --board kv260` and from a queue
//! block, under tests/fixtures), the block groups adding up to the total,
//! every unreadable statistic an error, the timing estimate on a real
//! netlist, a real run on NFU-1 (DSP48E2 mapping, groups, timing), and the
//! part table. The full-top runs are `diannao/tests/hdl_report.rs` and the
//! documented `diannao hdl report` commands (docs/boards.md, docs/hdl.md).

use arch::AccelConfig;
use hdl::flow::parts::{lookup, PARTS};
use hdl::flow::synth::{
    fits, group_resources, parse_stat, parse_stat_modules, run_report, utilisation, Group, Layout,
    Resources, SynthError, SynthOptions,
};
use hdl::flow::timing::{self, ULTRASCALE_PLUS_2};
use rust_hdl::prelude::*;

const STAT_TINY_KV260: &str = include_str!("fixtures/stat_tiny_kv260.txt");
const STAT_QUEUE: &str = include_str!("fixtures/stat_queue.txt");
const NETLIST_QUEUE: &str = include_str!("fixtures/netlist_queue.json");

/// NFU-1 of the tiny preset (Tn x Tn = 16 multipliers), synthesized flat and reported as one block.
#[test]
fn tiny_nfu1_maps_its_16_multipliers_to_dsp48e2() {
    let cfg = AccelConfig::tiny();
    let tn = cfg.tn as usize;
    let mut b = hdl::core::nfu::nfu1::Nfu1::<64, 256, 512>::new(tn, cfg.pipeline.nfu1 as usize);
    b.connect_all();
    let dir = tempfile::tempdir().unwrap();
    let v = dir.path().join("top.v");
    std::fs::write(&v, generate_verilog(&b)).unwrap();
    let opts = SynthOptions::report("top", Layout::Nfu);
    let rep = run_report(&v, &dir.path().join("work"), &opts, Layout::Nfu)
        .unwrap_or_else(|e| panic!("{e}"));
    let r = &rep.total;
    assert_eq!(r.dsp48e2, (tn * tn) as u64, "{:?}", r.cells);
    assert!(r.ff > 0 && r.luts() > 0, "{:?}", r.cells);
    assert_eq!(r.ramb18_equiv(), 0);
    // one group, the whole design
    assert_eq!(rep.groups.len(), 1);
    assert_eq!((rep.groups[0].0, &rep.groups[0].1), (Group::Nfu, r));
    // the parsed counts are the cells Yosys listed
    let listed: u64 = r
        .cells
        .iter()
        .filter(|(c, _)| c == "DSP48E2")
        .map(|(_, n)| n)
        .sum();
    assert_eq!(listed, r.dsp48e2);
    // the timing estimate ran on the real netlist
    let t = &rep.timing;
    assert!(t.critical_ns > 1.0 && t.critical_ns < 50.0, "{t:?}");
    assert!(
        t.levels() > 0 && !t.start.is_empty() && !t.end.is_empty(),
        "{t:?}"
    );
    let script = std::fs::read_to_string(dir.path().join("work/run.ys")).unwrap();
    assert!(
        script.contains("synth_xilinx -family xcup -top top -flatten -noiopad")
            && script.contains("write_json netlist.json")
            && !script.contains("keep_hierarchy 1"),
        "{script}"
    );
    assert!(dir.path().join("work/yosys.log").is_file());
}

/// The per-group counts of real Yosys output add up to its `design hierarchy` totals.
#[test]
fn tiny_kv260_fixture_groups_add_up_to_the_total() {
    let stat = parse_stat_modules(STAT_TINY_KV260).unwrap();
    let names: Vec<&str> = stat.modules.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["top", "top$core", "top$core$buffers", "top$core$nfu"]
    );
    assert!(stat.instances.iter().all(|(_, k)| *k == 1));
    let blocks = Layout::Wrapped.blocks("top");
    let groups = group_resources(&stat, &blocks).unwrap();
    let order: Vec<Group> = groups.iter().map(|(g, _)| *g).collect();
    assert_eq!(order, Group::ALL);
    let mut sum = Resources::default();
    for (_, r) in &groups {
        sum.add(r, 1);
    }
    assert_eq!(sum, stat.total);
    let t = &stat.total;
    type Column = fn(&Resources) -> u64;
    let columns: [(Column, u64); 5] = [
        (|r: &Resources| r.luts(), t.luts()),
        (|r: &Resources| r.ff, t.ff),
        (|r: &Resources| r.dsp48e2, t.dsp48e2),
        (|r: &Resources| r.ramb18_equiv(), t.ramb18_equiv()),
        (|r: &Resources| r.uram288, t.uram288),
    ];
    for (f, total) in columns {
        assert_eq!(groups.iter().map(|(_, r)| f(r)).sum::<u64>(), total);
    }
    // the figures of docs/boards.md
    assert_eq!(
        (
            t.lut_logic,
            t.lut_mem,
            t.ff,
            t.dsp48e2,
            t.ramb36e2,
            t.uram288
        ),
        (11_183, 508, 6_914, 57, 9, 0)
    );
    let get = |g: Group| &groups.iter().find(|(x, _)| *x == g).unwrap().1;
    assert_eq!(get(Group::Nfu).dsp48e2, 28);
    assert_eq!(get(Group::Control).ramb36e2, 9, "the instruction memory");
    assert_eq!(
        get(Group::Buffers).lut_mem,
        44 * 8,
        "NBin/SB/NBout in RAM32M16"
    );
    assert_eq!(parse_stat(STAT_TINY_KV260).unwrap(), stat.total);
    // the block table maps every module by its instance path
    assert_eq!(
        Layout::Wrapped.kept_modules("top"),
        ["top$core", "top$core$nfu", "top$core$buffers"]
    );
    assert_eq!(
        hdl::flow::synth::group_of("top$core$nfu_seq$q", &blocks),
        Some(Group::Control),
        "nfu_seq is not nfu"
    );
    assert_eq!(
        hdl::flow::synth::group_of("top$core$nfu$nfu1", &blocks),
        Some(Group::Nfu)
    );
    assert_eq!(
        hdl::flow::synth::group_of("top$master$cmdq", &blocks),
        Some(Group::Axi)
    );
    assert_eq!(hdl::flow::synth::group_of("dn_axi", &blocks), None);
    // timing endpoints are grouped by the instance path in their names
    use hdl::flow::synth::endpoint_module;
    assert_eq!(
        endpoint_module("core.nfu.<internal>", "top"),
        "top$core$nfu"
    );
    assert_eq!(
        endpoint_module("core.cp.pcr.q[3]", "top"),
        "top$core$cp$pcr"
    );
    assert_eq!(endpoint_module("m_axi_awaddr[3]", "top"), "top");
    assert_eq!(endpoint_module("<internal>", "top"), "top");
}

fn err(text: &str) -> SynthError {
    match parse_stat_modules(text) {
        Ok(s) => panic!("parsed {s:?}"),
        Err(e) => {
            let m = e.to_string();
            assert!(!m.contains('\n') && !m.is_empty(), "not one line: {m}");
            e
        }
    }
}

/// Any statistic that cannot be read, or does not add up, is an error: never "fits".
#[test]
fn unreadable_statistics_are_errors() {
    assert!(matches!(err("no statistics here"), SynthError::NoStat));
    assert!(matches!(err(""), SynthError::NoStat));
    // a section without its cell count
    let e = err("=== top ===\n\n   Number of wires: 3\n\n").to_string();
    assert!(e.contains("`top` has no `Number of cells`"), "{e}");
    // a cell line that cannot be read
    let garbled = STAT_QUEUE.replace("     LUT3                           17", "     LUT3 ?? 17");
    let e = err(&garbled).to_string();
    assert!(e.contains("cannot read the cell line `LUT3 ?? 17`"), "{e}");
    // cell lines that do not add up to the declared count (a truncated list)
    let cut = STAT_QUEUE.replace("     MUXF9                           8\n", "");
    let e = err(&cut).to_string();
    assert!(e.contains("says 183, its cell lines add up to 175"), "{e}");
    // modules that do not add up to the design totals
    let i = STAT_TINY_KV260.find("=== design hierarchy ===").unwrap();
    let (head, tail) = STAT_TINY_KV260.split_at(i);
    let tail = tail.replacen(
        "DSP48E2                        57",
        "DSP48E2                        58",
        1,
    );
    let tail = tail.replacen("22310", "22311", 1);
    let e = err(&format!("{head}{tail}")).to_string();
    assert!(
        e.contains("do not add up") && e.contains("DSP48E2: modules 57, total 58"),
        "{e}"
    );
    // several modules without the hierarchy totals
    let e = err(head).to_string();
    assert!(e.contains("4 modules but no `design hierarchy`"), "{e}");
    // two unrelated tops
    let two = format!(
        "{STAT_QUEUE}\n{}",
        STAT_QUEUE.replace("=== top ===", "=== other ===")
    );
    assert!(err(&two)
        .to_string()
        .contains("expected one top module, found 2"));
    // a summary of nothing
    assert!(matches!(
        err("=== top ===\n   Number of cells:              0\n\n"),
        SynthError::NoCells
    ));
    // the block table must match the design
    let stat = parse_stat_modules(STAT_TINY_KV260).unwrap();
    let e = group_resources(&stat, &Layout::Core.blocks("top")).unwrap_err();
    assert!(
        matches!(&e, SynthError::MissingBlock(m) if m == "top$nfu"),
        "{e}"
    );
    let renamed = STAT_QUEUE.replace("=== top ===", "=== dn_axi ===");
    let stat = parse_stat_modules(&renamed).unwrap();
    let blocks = vec![("dn_axi".to_string(), Group::Axi, "")];
    assert!(group_resources(&stat, &blocks).is_ok());
    let e = group_resources(&stat, &Layout::Nfu.blocks("top")).unwrap_err();
    assert!(matches!(e, SynthError::MissingBlock(_)), "{e}");
}

/// The critical-path estimate of a real Yosys netlist (the queue block): from its count
/// register through a carry, two LUTs and the F7/F8/F9 muxes of the head select.
#[test]
fn queue_fixture_netlist_timing() {
    let m = ULTRASCALE_PLUS_2;
    let t = timing::analyze_json(NETLIST_QUEUE.as_bytes(), "top", &m).unwrap();
    assert_eq!(
        t.level_counts(),
        [
            ("CARRY4".to_string(), 1),
            ("LUT3".to_string(), 2),
            ("MUXF7".to_string(), 1),
            ("MUXF8".to_string(), 1),
            ("MUXF9".to_string(), 1),
        ]
    );
    // FF, carry entered from a FF (general net), two LUT levels, the dedicated mux chain, into an FF
    let want = m.ff_clk_to_q_ns
        + (m.net_ns + m.carry_entry_ns)
        + 2.0 * (m.net_ns + m.lut_ns)
        + 3.0 * m.muxf_ns
        + m.net_ns
        + m.ff_setup_ns
        + m.clock_uncertainty_ns;
    assert!(
        (t.critical_ns - want).abs() < 1e-9,
        "{} vs {want}",
        t.critical_ns
    );
    assert!(t.start.starts_with("count[0] (FDRE)"), "{}", t.start);
    assert!(
        t.end.starts_with("slots$0.d[") && t.end.ends_with("(FDRE)"),
        "{}",
        t.end
    );
    // every endpoint is listed, the worst first and equal to the critical path
    assert_eq!(t.endpoints[0].ns, t.critical_ns);
    assert!(
        t.endpoints[0].from.ends_with("(FDRE)") && t.endpoints[0].net.ends_with("(FDRE)"),
        "{:?}",
        t.endpoints[0]
    );
    assert!(t.endpoints.len() >= 24, "{}", t.endpoints.len());
    assert!(t.endpoints.windows(2).all(|w| w[0].ns >= w[1].ns));
    let per = hdl::flow::synth::group_timing(&t, &Layout::Nfu.blocks("top"), "top");
    assert_eq!(per, vec![(Group::Nfu, t.endpoints[0].clone())]);
    let c = timing::check_clock(&t, 100.0);
    assert_eq!(c.verdict, timing::ClockVerdict::Plausible);
    assert!(c.sentence(&t).contains("clock_mhz = 100 MHz"));
    // its statistics: one module, one group
    let stat = parse_stat_modules(STAT_QUEUE).unwrap();
    let g = group_resources(&stat, &Layout::Nfu.blocks("top")).unwrap();
    assert_eq!(g, vec![(Group::Nfu, stat.total.clone())]);
    assert_eq!((stat.total.lut_logic, stat.total.ff), (86, 24));
}

const STAT: &str = "
=== top ===

   Number of wires:              11347
   Number of cells:              13562
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
    let r = parse_stat(STAT).unwrap();
    assert_eq!(r.lut_logic, 127 + 4541);
    assert_eq!(r.lut_mem, 44 * 8 + 3 * 2 + 7);
    assert_eq!(r.ff, 4635 + 5 + 2);
    assert_eq!(
        (r.dsp48e2, r.ramb18e2, r.ramb36e2, r.uram288, r.carry),
        (26, 3, 9, 2, 463)
    );
    assert_eq!(r.ramb18_equiv(), 3 + 18);
    assert!((r.ramb36_equiv() - 10.5).abs() < 1e-12);
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
