//! `sim/src/core/` and `hdl/src/core/` hold the same blocks under the same
//! names (NVDLA's rule: one unit, one name, in the C model and the RTL).
//! The test lists the `.rs` files of both trees (paths relative to each
//! `core/`) and fails, naming every file, when a block exists on one side only.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The `.rs` files under `root`, as `/`-separated paths relative to `root`.
fn rs_files(root: &Path) -> BTreeSet<String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeSet<String>) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
        for e in entries {
            let p = e.expect("directory entry").path();
            if p.is_dir() {
                walk(&p, root, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(root).expect("under root");
                let parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.insert(parts.join("/"));
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(root, root, &mut out);
    out
}

#[test]
fn sim_and_hdl_have_the_same_block_tree() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let sim = manifest.join("src/core");
    let hdl = manifest.join("../hdl/src/core");
    assert!(
        hdl.is_dir(),
        "{} does not exist: hdl has no core/ block tree yet",
        hdl.display()
    );
    let (s, h) = (rs_files(&sim), rs_files(&hdl));
    assert!(!s.is_empty(), "no blocks under {}", sim.display());
    let mut problems = Vec::new();
    for f in s.difference(&h) {
        problems.push(format!("sim/src/core/{f} has no hdl/src/core/{f}"));
    }
    for f in h.difference(&s) {
        problems.push(format!("hdl/src/core/{f} has no sim/src/core/{f}"));
    }
    assert!(
        problems.is_empty(),
        "blocks on one side only:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn sim_core_holds_the_contract_blocks() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let s = rs_files(&manifest.join("src/core"));
    let want = [
        "mod.rs",
        "cp.rs",
        "dma.rs",
        "fetch.rs",
        "port.rs",
        "queue.rs",
        "nfu_seq.rs",
        "buffers.rs",
        "nfu/mod.rs",
        "nfu/nfu1.rs",
        "nfu/nfu2.rs",
        "nfu/nfu3.rs",
    ];
    let want: BTreeSet<String> = want.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        s, want,
        "sim/src/core/ is not the block list of docs/microarchitecture.md"
    );
}
