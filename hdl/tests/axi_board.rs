//! Board emission: lint-clean Verilog (Verilator), every XDC port exists in
//! the board wrapper and in the block design, the TCL wires the PS ports.

use arch::AccelConfig;
use hdl::flow::board::{self, module_ports, xdc_ports, BOARDS, WRAPPER_MODULE};
use hdl::flow::eda;

fn lint(dir: &std::path::Path) {
    let out = eda::lint_unchecked(
        dir,
        WRAPPER_MODULE,
        &[],
        &["lint_waivers.vlt", "-f", "filelist.f"],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let text = out.stderr.clone();
    assert!(
        out.success() && !text.contains("%Warning"),
        "lint of {}:\n{text}",
        dir.display()
    );
}

fn check(cfg: &AccelConfig) {
    for b in BOARDS {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join(b.name);
        let files = board::emit_board(cfg, b, &out).unwrap();
        assert!(files.iter().all(|f| f.exists()), "{files:?}");
        lint(&out);
        let xdc = std::fs::read_to_string(out.join(format!("{}.xdc", b.name))).unwrap();
        let wrapper = std::fs::read_to_string(out.join("dn_axi.v")).unwrap();
        let tcl = std::fs::read_to_string(out.join("build.tcl")).unwrap();
        let ports = module_ports(&wrapper, WRAPPER_MODULE);
        assert!(
            ports.contains(&"m_axi_wdata".to_string()) && ports.contains(&"aresetn".to_string()),
            "{ports:?}"
        );
        for p in xdc_ports(&xdc) {
            assert!(
                ports.contains(&p),
                "{}: XDC port {p} is not a port of {WRAPPER_MODULE}",
                b.name
            );
            assert!(
                tcl.contains(&format!("create_bd_port -dir O {p}")),
                "{}: XDC port {p} is not a block-design port",
                b.name
            );
        }
        assert_eq!(xdc_ports(&xdc).len(), 2 * b.pins.len(), "{xdc}");
        for s in [
            "M_AXI_HPM0_FPD",
            "S_AXI_HP0_FPD",
            "pl_clk0",
            "pl_resetn0",
            "write_bitstream",
            b.part,
        ] {
            assert!(tcl.contains(s), "{}: TCL lacks {s}", b.name);
        }
        // timing is checked on the routed design before any bitstream is written
        let check = tcl.find("STATS.WNS").expect("WNS check");
        assert!(tcl.contains("STATS.TNS") && tcl.contains("timing not met"));
        assert!(
            check < tcl.find("write_bitstream").unwrap(),
            "the check comes first"
        );
        // a second emission replaces the first
        board::emit_board(cfg, b, &out).unwrap();
    }
}

#[test]
fn tiny_board_projects_lint_and_constrain_existing_ports() {
    check(&AccelConfig::tiny());
}

#[test]
fn xdc_port_parser_finds_ports() {
    assert_eq!(
        xdc_ports("set_property PACKAGE_PIN A12 [get_ports {fan_en_b}]\n# [get_ports x]\n"),
        vec!["fan_en_b"]
    );
    assert!(board::board("ZCU104").is_ok() && board::board("arty").is_err());
}

/// The Vivado script asks the PS for the preset's `clock_mhz` on pl_clk0, reads back what
/// the PS produces and stops if it is more than 1 % off, and checks the clock period on
/// dn_axi/aclk before implementation.
#[test]
fn build_tcl_clock_is_the_presets_clock_mhz() {
    let mut fast = AccelConfig::tiny();
    fast.clock_mhz = 150.0;
    let mut odd = AccelConfig::tiny();
    odd.clock_mhz = 187.5;
    for (cfg, mhz) in [(AccelConfig::tiny(), "100"), (fast, "150"), (odd, "187.5")] {
        for b in BOARDS {
            let tcl = board::tcl(&cfg, b).unwrap();
            assert_eq!(board::pl_clock_mhz(&cfg).unwrap(), cfg.clock_mhz);
            assert!(
                tcl.contains(&format!(
                    "CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ {{{mhz}}}"
                )),
                "{}: {tcl}",
                b.name
            );
            assert_eq!(
                tcl.matches("PL0_REF_CTRL__FREQMHZ {").count(),
                1,
                "one requested PL clock"
            );
            // read back and the 1 % check, after the PS is configured and before synthesis
            let read = tcl
                .find("get_property CONFIG.PSU__CRL_APB__PL0_REF_CTRL__ACT_FREQMHZ $ps")
                .expect("ACT_FREQMHZ read back");
            let check = tcl
                .find(&format!("abs($pl_mhz - {mhz}) > 0.01 * {mhz}"))
                .expect("1 % check");
            assert!(tcl.find("PL0_REF_CTRL__FREQMHZ {").unwrap() < read && read < check);
            assert!(check < tcl.find("launch_runs synth_1").unwrap());
            // the clock reaching the accelerator has the PS's period, checked before impl_1
            let period = tcl.find("set period [get_property PERIOD $clks]").unwrap();
            assert!(period < tcl.find("launch_runs impl_1").unwrap());
            assert!(tcl.contains("abs($period * $pl_mhz - 1000.0) > 0.01 * 1000.0"));
            // the WNS/TNS check stays before write_bitstream and names the clock
            assert!(tcl.contains(&format!(
                "timing not met at pl_clk0 = $pl_mhz MHz (preset clock_mhz {mhz})"
            )));
            assert!(tcl.find("STATS.WNS").unwrap() < tcl.find("write_bitstream").unwrap());
            assert!(tcl
                .lines()
                .next()
                .unwrap()
                .contains(&format!("clock_mhz = {mhz} MHz")));
        }
    }
}

/// A clock the PS cannot supply (or the fabric will not reach) is refused, naming clock_mhz,
/// before anything is written.
#[test]
fn board_projects_refuse_clocks_outside_the_pl_clock_range() {
    let mut slow = AccelConfig::tiny();
    slow.clock_mhz = 5.0;
    for (cfg, mhz) in [(AccelConfig::diannao(), "980"), (slow, "5")] {
        for b in BOARDS {
            let e = board::tcl(&cfg, b).unwrap_err();
            assert!(matches!(e, hdl::flow::emit::HdlError::Clock { .. }), "{e}");
            let m = e.to_string();
            assert!(
                m.contains(&format!("preset `{}`: clock_mhz = {mhz} MHz", cfg.name))
                    && m.contains("pl_clk0")
                    && m.contains("10..=333 MHz")
                    && !m.contains('\n'),
                "{m}"
            );
            let tmp = tempfile::tempdir().unwrap();
            let out = tmp.path().join("proj");
            let e = board::emit_board(&cfg, b, &out).unwrap_err();
            assert!(e.to_string().contains("clock_mhz"), "{e}");
            assert!(!out.exists(), "nothing written");
        }
    }
}
