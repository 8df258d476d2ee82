//! `emit_verilog` for the tiny preset: the files, atomic replacement, refusal
//! of foreign directories, Verilator -Wall lint clean with the written
//! waivers, an audit that every waived WIDTH warning is a rust-hdl idiom, and
//! a Yosys check that the UNOPTFLAT waiver hides no combinational loop.

use arch::AccelConfig;
use hdl::flow::eda::{self, Tool};
use hdl::flow::emit::{emit_verilog, HdlError, EMITTED_FILES, WAIVERS, WAIVER_FILE};
use std::path::Path;

fn verilator(dir: &Path, vlt: &str) -> String {
    eda::lint_unchecked(dir, "top", &["-Wno-fatal"], &[vlt, "-f", "filelist.f"])
        .unwrap_or_else(|e| panic!("{e}"))
        .stderr
}

#[test]
fn tiny_emission_is_complete_atomic_and_lints_clean() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("a/tiny");
    let files = emit_verilog(&AccelConfig::tiny(), &dir).unwrap();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, EMITTED_FILES);
    let mut listed: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    listed.sort();
    let mut want: Vec<String> = EMITTED_FILES.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(listed, want);
    let v = std::fs::read_to_string(&files[0]).unwrap();
    assert!(v.contains("module top("));
    assert_eq!(
        std::fs::read_to_string(dir.join("filelist.f")).unwrap(),
        "top.v\n"
    );
    let vlt = std::fs::read_to_string(dir.join(WAIVER_FILE)).unwrap();
    for w in WAIVERS {
        assert!(vlt.contains(&format!("lint_off -rule {} -file \"{}\"", w.rule, w.file)));
        assert!(
            vlt.contains(&format!("// {}: ", w.rule)),
            "reason comment for {}",
            w.rule
        );
    }
    // lint clean with the waivers
    let out = verilator(&dir, WAIVER_FILE);
    assert!(
        !out.contains("%Warning") && !out.contains("%Error"),
        "{out}"
    );
    // re-emission replaces the directory; no temporary directory is left behind
    std::fs::write(dir.join("README.md"), "old").unwrap();
    emit_verilog(&AccelConfig::tiny(), &dir).unwrap();
    assert_ne!(
        std::fs::read_to_string(dir.join("README.md")).unwrap(),
        "old"
    );
    let siblings: Vec<_> = std::fs::read_dir(dir.parent().unwrap()).unwrap().collect();
    assert_eq!(siblings.len(), 1, "temporary directories left behind");
}

/// Lint without the WIDTH waiver: every WIDTH warning must come from one of
/// rust-hdl's idioms on its source line (a 32-bit integer literal `32'h…`, a
/// bit_cast/get_bits mask `& N'h…`, or a constant-index bit extraction);
/// anything else is a real width problem and fails here.
#[test]
fn every_waived_width_warning_is_a_rust_hdl_idiom() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("tiny");
    emit_verilog(&AccelConfig::tiny(), &dir).unwrap();
    let vlt = std::fs::read_to_string(dir.join(WAIVER_FILE)).unwrap();
    let no_width: String = vlt
        .lines()
        .filter(|l| !l.starts_with("lint_off -rule WIDTH"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(dir.join("nowidth.vlt"), no_width).unwrap();
    let out = verilator(&dir, "nowidth.vlt");
    let src: Vec<String> = std::fs::read_to_string(dir.join("top.v"))
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let mut n = 0;
    let mut real = Vec::new();
    for l in out.lines().filter(|l| l.starts_with("%Warning-")) {
        assert!(
            l.starts_with("%Warning-WIDTH"),
            "a warning other than WIDTH: {l}"
        );
        n += 1;
        let line_no: usize = l
            .split(':')
            .nth(2)
            .and_then(|x| x.parse().ok())
            .unwrap_or_else(|| panic!("{l}"));
        let text = &src[line_no - 1];
        let idiom =
            l.contains("Bit extraction of") || text.contains("32'h") || text.contains(") & ");
        if !idiom {
            real.push(format!("{l}\n    {}", text.trim()));
        }
    }
    assert!(
        n > 0,
        "expected rust-hdl WIDTH warnings (else drop the waiver): {out}"
    );
    assert!(
        real.is_empty(),
        "{} WIDTH warnings are not rust-hdl idioms:\n{}",
        real.len(),
        real.join("\n")
    );
}

/// The UNOPTFLAT waiver: Yosys finds no combinational loop or multiple driver.
#[test]
fn tiny_has_no_combinational_loop() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("tiny");
    emit_verilog(&AccelConfig::tiny(), &dir).unwrap();
    let out = eda::run_unchecked(
        Tool::Yosys,
        &[
            "-q",
            "-p",
            "read_verilog top.v; hierarchy -top top; proc; flatten; check -assert",
        ],
        Some(&dir),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.success(), "{}", out.text());
}

#[test]
fn bad_output_directories_are_one_line_errors() {
    let base = tempfile::tempdir().unwrap();
    // a directory with foreign content is not replaced
    let foreign = base.path().join("mine");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "keep").unwrap();
    let e = emit_verilog(&AccelConfig::tiny(), &foreign).unwrap_err();
    assert!(matches!(e, HdlError::NotOurs(_)), "{e}");
    assert!(!e.to_string().contains('\n'));
    assert_eq!(
        std::fs::read_to_string(foreign.join("notes.txt")).unwrap(),
        "keep"
    );
    // a regular file as --out
    let file = base.path().join("f");
    std::fs::write(&file, "x").unwrap();
    assert!(emit_verilog(&AccelConfig::tiny(), &file).is_err());
    // a path below a regular file cannot be created
    let e = emit_verilog(&AccelConfig::tiny(), &file.join("sub")).unwrap_err();
    assert!(!e.to_string().contains('\n'), "{e}");
    // an unsupported configuration writes nothing
    let mut c = AccelConfig::tiny();
    c.name = "custom".into();
    c.tn = 8;
    let target = base.path().join("never");
    assert!(matches!(emit_verilog(&c, &target), Err(HdlError::Rtl(_))));
    assert!(!target.exists());
}

/// Any configuration with an RTL top's structure builds (the training
/// format Q5.10, another clock, seed or DRAM size); a structural field that
/// no top has is refused by name.
#[test]
fn edited_presets_build_and_structural_changes_are_refused_by_field() {
    let mut q = AccelConfig::diannao();
    q.name = "diannao-q5.10".into();
    q.frac_bits = 10;
    q.clock_mhz = 200.0;
    q.lfsr_seed ^= 0x55;
    q.dram.size_bytes = 1 << 30;
    let v = hdl::flow::emit::top_verilog(&q).unwrap();
    assert!(v.contains("module top"));
    assert!(hdl::axi::wrapper::axi_verilog(&q).is_ok());
    let mut bad = AccelConfig::diannao();
    bad.name = "deep-imem".into();
    bad.imem_depth = 2048;
    let e = hdl::flow::emit::top_verilog(&bad).unwrap_err().to_string();
    assert!(
        e.contains("field `imem_depth` is 2048") && e.contains("1024"),
        "{e}"
    );
    let mut bad = AccelConfig::tiny();
    bad.tn = 8;
    let e = hdl::flow::emit::top_verilog(&bad).unwrap_err().to_string();
    assert!(e.contains("field `tn` is 8"), "{e}");
    let mut bad = AccelConfig::tiny();
    bad.dram.bytes_per_cycle = 16;
    let e = hdl::top::rtl_kind(&bad).unwrap_err().to_string();
    assert!(e.contains("field `dram.bytes_per_cycle` is 16"), "{e}");
}
