//! docs/where.md, the index of where each instruction and each hardware
//! block is defined, executed, generated and tested, cannot drift from the
//! tree: every instruction arch defines has a row, every core block of
//! `sim/src/core` and `hdl/src/core` has a row, and every path the page
//! names exists.

use arch::isa::{Buffer, CpOp, DmaOp, NfuOp};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn page() -> String {
    let p = root().join("docs/where.md");
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

/// The first cell of every table row, without its backticks.
fn row_keys(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|---"))
        .filter_map(|l| l.split('|').nth(1))
        .map(|c| c.trim().trim_matches('`').to_string())
        .collect()
}

/// Every instruction mnemonic of the ISA (one per slot operation).
fn mnemonics() -> Vec<String> {
    let mut v: Vec<String> = CpOp::ALL
        .iter()
        .filter(|o| **o != CpOp::Nop)
        .map(|o| o.mnemonic().to_string())
        .collect();
    for b in Buffer::ALL {
        for op in DmaOp::ALL {
            if op != DmaOp::Nop && b.allows(op) {
                v.push(format!("{}.{}", b.name(), op.mnemonic()));
            }
        }
    }
    for op in NfuOp::ALL {
        if op != NfuOp::Nop {
            v.push(format!("nfu.{}", op.mnemonic()));
        }
    }
    v
}

#[test]
fn every_instruction_has_a_row() {
    let keys = row_keys(&page());
    let missing: Vec<String> = mnemonics()
        .into_iter()
        .filter(|m| !keys.contains(m))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/where.md has no row for these instructions: {missing:?}"
    );
}

/// The block names of a `core/` tree: file stems, `nfu/mod.rs` as `nfu`.
fn blocks(dir: &Path) -> Vec<String> {
    let mut v = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let stem = p.file_stem().unwrap().to_string_lossy().to_string();
                if stem == "mod" {
                    if d != dir {
                        v.push(d.file_name().unwrap().to_string_lossy().to_string());
                    }
                } else {
                    v.push(stem);
                }
            }
        }
    }
    v.sort();
    v
}

#[test]
fn every_core_block_has_a_row() {
    let keys = row_keys(&page());
    for side in ["sim/src/core", "hdl/src/core"] {
        let missing: Vec<String> = blocks(&root().join(side))
            .into_iter()
            .filter(|b| !keys.contains(b))
            .collect();
        assert!(
            missing.is_empty(),
            "docs/where.md has no row for these blocks of {side}: {missing:?}"
        );
    }
}

#[test]
fn every_path_named_exists() {
    let text = page();
    let mut bad = Vec::new();
    for (i, piece) in text.split('`').enumerate() {
        // odd pieces are inside backticks
        if i % 2 == 0 {
            continue;
        }
        let path = piece.split("::").next().unwrap_or(piece);
        let path = path.split(':').next().unwrap_or(path);
        let looks_like_path = path.contains('/')
            && !path.contains(' ')
            && (path.ends_with(".rs") || path.ends_with(".md") || path.ends_with('/'));
        if looks_like_path && !root().join(path).exists() {
            bad.push(path.to_string());
        }
    }
    assert!(
        bad.is_empty(),
        "docs/where.md names paths that do not exist: {bad:?}"
    );
}

/// The `op` fields' descriptions (and so docs/isa.md) list every operation
/// of their enum, in encoding order: a new opcode cannot be left out.
#[test]
fn op_field_docs_list_every_operation() {
    use arch::isa::fields::{F, FIELDS};
    let list = |names: Vec<&str>| names.join(", ");
    let cases = [
        (
            F::CP_OP,
            list(CpOp::ALL.iter().map(|o| o.mnemonic()).collect()),
        ),
        (
            F::NFU_OP,
            list(NfuOp::ALL.iter().map(|o| o.mnemonic()).collect()),
        ),
    ];
    let mut cases = cases.to_vec();
    for (b, f) in Buffer::ALL.iter().zip([F::NBIN_OP, F::SB_OP, F::NBOUT_OP]) {
        let ops = DmaOp::ALL
            .iter()
            .filter(|o| b.allows(**o))
            .map(|o| o.mnemonic());
        cases.push((f, list(ops.collect())));
    }
    for (f, want) in cases {
        let doc = FIELDS[f as usize].doc;
        assert!(
            doc.ends_with(&format!(": {want}")),
            "field {} says `{doc}`, expected it to end with `: {want}`",
            FIELDS[f as usize].name
        );
    }
}

/// Each instruction row's hardware and simulator cells name at least one
/// file with an `isa: <mnemonic>` anchor for it, so the row points at the
/// code that handles the instruction.
#[test]
fn instruction_rows_point_at_their_anchors() {
    let text = page();
    for m in mnemonics() {
        let key = format!("| `{m}` |");
        let row = text
            .lines()
            .find(|l| l.starts_with(&key))
            .unwrap_or_else(|| panic!("no row for {m}"));
        let cells: Vec<&str> = row.split('|').collect();
        for (col, what) in [(2, "hardware (hdl)"), (3, "simulator (sim)")] {
            let files: Vec<&str> = cells[col]
                .split('`')
                .skip(1)
                .step_by(2)
                .filter(|p| p.ends_with(".rs"))
                .collect();
            let anchored = files.iter().any(|f| {
                std::fs::read_to_string(root().join(f))
                    .map(|s| {
                        s.lines()
                            .any(|l| l.contains("isa:") && l.contains(m.as_str()))
                    })
                    .unwrap_or(false)
            });
            assert!(
                anchored,
                "row `{m}`, column {what}: none of {files:?} has an `isa: {m}` anchor"
            );
        }
    }
}
