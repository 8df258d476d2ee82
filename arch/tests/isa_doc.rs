//! `docs/isa.md` must be exactly what `arch::isa::doc::markdown()` generates.
//!
//! Regenerate with `cargo run -p diannao -- isa-doc > docs/isa.md`, or run this
//! test with `UPDATE_DOCS=1` to rewrite the file.

use arch::isa::asm::parse_program;
use arch::isa::doc::{examples, markdown, BAD_EXAMPLE, REGENERATE, UPDATE_ENV};
use arch::isa::fields::FIELDS;
use arch::isa::{DmaOp, NfuOp};
use std::path::PathBuf;

fn doc_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("docs")
        .join("isa.md")
}

#[test]
fn isa_md_matches_the_generator() {
    let want = markdown();
    let path = doc_path();
    if std::env::var(UPDATE_ENV).map(|v| v == "1").unwrap_or(false) {
        std::fs::write(&path, &want)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    if have != want {
        let line = have
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .map(|i| i + 1)
            .unwrap_or_else(|| have.lines().count().min(want.lines().count()) + 1);
        panic!(
            "docs/isa.md is out of date (first difference at line {line}).\n\
             Regenerate it from the workspace root with\n    {REGENERATE}\n\
             or\n    {UPDATE_ENV}=1 cargo test -p arch --test isa_doc"
        );
    }
}

#[test]
fn every_example_assembles() {
    let md = markdown();
    assert!(
        !md.contains(BAD_EXAMPLE),
        "an example in the generated page does not assemble"
    );
    for (title, text) in examples() {
        let p = parse_program(text).unwrap_or_else(|e| panic!("{title}: {e}"));
        assert!(!p.is_empty(), "{title}");
        for i in &p {
            i.encode().unwrap_or_else(|e| panic!("{title}: {i}: {e}"));
            i.check(&arch::AccelConfig::tiny())
                .unwrap_or_else(|e| panic!("{title}: {i}: {e} (tiny)"));
            i.check(&arch::AccelConfig::diannao())
                .unwrap_or_else(|e| panic!("{title}: {i}: {e} (diannao)"));
        }
        assert_eq!(
            p.last().map(|i| i.cp),
            Some(arch::isa::CpOp::End),
            "{title}: example must end with `end`"
        );
    }
}

#[test]
fn every_field_and_operation_is_documented() {
    let md = markdown();
    for d in FIELDS {
        let row = format!("| `{}` | `{}` |", d.slot.name(), d.name);
        assert!(
            md.contains(&row),
            "field {}.{} missing from the field table",
            d.slot.name(),
            d.name
        );
    }
    for op in DmaOp::ALL {
        assert!(
            md.contains(&format!(".{}`", op.mnemonic())),
            "DMA op {} not documented",
            op.mnemonic()
        );
    }
    for op in NfuOp::ALL {
        assert!(
            md.contains(&format!("#### `nfu.{}`", op.mnemonic())),
            "NFU op {} not documented",
            op.mnemonic()
        );
    }
    for section in [
        "- Format:",
        "- Action:",
        "- Notes:",
        "## Binary program file",
        "## Assembly syntax",
        "## DMA address pattern",
        "## NFU loop semantics",
    ] {
        assert!(md.contains(section), "section {section} missing");
    }
}
