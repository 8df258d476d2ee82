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
