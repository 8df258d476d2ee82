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
fn configurations_without_a_top_are_refused_by_field() {
    let mut c = AccelConfig::diannao();
    c.tn = 8;
    let e = axi_verilog(&c).unwrap_err().to_string();
    assert!(e.contains("field `tn` is 8"), "{e}");
    let mut c = AccelConfig::kv260();
    c.sb_bytes /= 2;
    let e = axi_verilog(&c).unwrap_err().to_string();
    assert!(
        e.contains("field `sb_bytes`") && e.contains("`kv260`"),
        "{e}"
    );
    let mut c = AccelConfig::zcu104();
    c.dram.latency_cycles = 400;
    let e = axi_verilog(&c).unwrap_err().to_string();
    assert!(e.contains("field `dram.latency_cycles` is 400"), "{e}");
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
