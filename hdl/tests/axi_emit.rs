//! The AXI-wrapped accelerator emits Verilog; the register map is consistent.

use arch::AccelConfig;
use hdl::axi::wrapper::axi_verilog;

#[test]
fn tiny_axi_verilog_has_the_axi_ports() {
    let v = axi_verilog(&AccelConfig::tiny()).expect("emit");
    for p in [
        "s_axi_awaddr",
        "m_axi_arlen",
        "m_axi_wstrb",
        "irq",
        "BUFGCE",
    ] {
        assert!(v.contains(p), "{p}");
    }
}

#[test]
fn other_configurations_are_refused() {
    assert!(axi_verilog(&AccelConfig::zcu104()).is_err());
}

#[test]
fn docs_boards_md_holds_the_register_table() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/boards.md")).unwrap();
    let table = arch::regmap::markdown();
    if !doc.contains(&table) {
        std::fs::write(std::env::temp_dir().join("regmap_table.md"), &table).unwrap();
        panic!("docs/boards.md lacks the current register table (written to the temp dir as regmap_table.md)");
    }
}
