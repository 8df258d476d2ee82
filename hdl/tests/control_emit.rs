//! Emission of the tiny top and a Verilator lint (errors only; -Wall warnings are printed).
use arch::AccelConfig;
use hdl::flow::eda;

#[test]
fn tiny_top_emits_and_lints() {
    let dir = tempfile::tempdir().unwrap();
    let files = hdl::flow::emit::emit_verilog(&AccelConfig::tiny(), dir.path()).unwrap();
    let top = files[0].to_str().unwrap();
    let out = eda::lint_unchecked(dir.path(), "top", &["-Wno-fatal"], &[top])
        .unwrap_or_else(|e| panic!("{e}"));
    let err = out.stderr;
    println!(
        "{}",
        err.lines().filter(|l| l.starts_with("%Warning-")).count()
    );
    assert!(!err.contains("%Error"), "{err}");
}

#[test]
fn unsupported_config_is_a_typed_error() {
    let mut c = AccelConfig::tiny();
    c.name = "custom".into();
    c.tn = 8;
    assert!(hdl::flow::emit::emit_verilog(&c, std::path::Path::new("/tmp")).is_err());
}

#[test]
fn diannao_top_emits() {
    let dir = tempfile::tempdir().unwrap();
    let files = hdl::flow::emit::emit_verilog(&AccelConfig::diannao(), dir.path()).unwrap();
    let v = std::fs::read_to_string(&files[0]).unwrap();
    assert!(v.contains("module top"));
}
