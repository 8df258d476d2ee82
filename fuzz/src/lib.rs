//! Fuzz targets: every parser of the toolkit, fed arbitrary bytes.
//!
//! Each target takes one input and must return (an `Ok` or a typed error)
//! without panicking, without hanging and without allocating more than
//! [`MAX_ALLOC`] bytes at once ([`GuardAlloc`] aborts the process if it
//! does). Where a parser has a writer, an accepted input must also survive
//! the round trip (decode -> encode -> decode, parse -> print -> parse).
//!
//! * `cargo test -p fuzz-targets` runs every target over its seeds
//!   ([`seeds`]), the kept regression inputs (`fuzz/regressions/<target>/`)
//!   and a bounded number of seeded mutations of them.
//! * `scripts/fuzz.sh [TARGET] [SECONDS]` runs coverage-guided fuzzing with
//!   cargo-afl (`src/bin/fuzz-afl.rs`, seeds from `fuzz-seeds`); results in
//!   docs/reliability.md.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::path::Path;

/// The largest single allocation a parser may make on any input, bytes (1 GiB).
pub const MAX_ALLOC: usize = 1 << 30;

/// The system allocator, aborting on any single allocation over
/// [`MAX_ALLOC`] (a crash to the fuzzer, a failure to the corpus test).
pub struct GuardAlloc;

unsafe impl GlobalAlloc for GuardAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > MAX_ALLOC {
            too_big(layout.size());
        }
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() > MAX_ALLOC {
            too_big(layout.size());
        }
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > MAX_ALLOC {
            too_big(new_size);
        }
        System.realloc(ptr, layout, new_size)
    }
}

fn too_big(n: usize) -> ! {
    // no allocation here: write straight to stderr
    let _ = writeln!(
        std::io::stderr(),
        "fuzz: allocation of {n} bytes (limit {MAX_ALLOC})"
    );
    std::process::abort()
}

/// A fuzz target: one input, no panic.
pub type Target = fn(&[u8]);

/// Every target, by name.
pub const TARGETS: &[(&str, Target)] = &[
    ("decode", decode),
    ("program", program),
    ("asm", asm),
    ("config_toml", config_toml),
    ("config_json", config_json),
    ("model_toml", model_toml),
    ("scalesim_csv", scalesim_csv),
    ("onnx", onnx),
    ("npy", npy),
    ("npy_labels", npy_labels),
    ("idx", idx),
    ("idx_gz", idx_gz),
    ("checkpoint", checkpoint),
];

/// The target called `name`.
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// Instruction words: every whole word of the input decodes to an
/// instruction or an error; a decoded one encodes and decodes to itself.
pub fn decode(data: &[u8]) {
    use arch::isa::fields::{Word, INSTR_BYTES, INSTR_WORDS};
    use arch::isa::Instruction;
    for chunk in data.chunks_exact(INSTR_BYTES) {
        let mut w: Word = [0; INSTR_WORDS];
        for (k, x) in w.iter_mut().enumerate() {
            let mut b = [0u8; 8];
            b.copy_from_slice(&chunk[8 * k..8 * k + 8]);
            *x = u64::from_le_bytes(b);
        }
        if let Ok(i) = Instruction::decode(&w) {
            let again = i.encode().map(|e| Instruction::decode(&e));
            assert!(
                matches!(again, Ok(Ok(j)) if j == i),
                "decode/encode round trip of {w:x?}: {i:?} -> {again:?}"
            );
        }
    }
}

/// A program file (`arch::isa::program`): parsed programs write back to themselves.
pub fn program(data: &[u8]) {
    if let Ok(p) = arch::isa::program::from_bytes(data) {
        let again = arch::isa::program::to_bytes(&p).map(|b| arch::isa::program::from_bytes(&b));
        assert!(
            matches!(&again, Ok(Ok(q)) if *q == p),
            "program round trip of {} instructions: {again:?}",
            p.len()
        );
    }
}

/// Assembly text: an assembled program prints to text that assembles to it again.
pub fn asm(data: &[u8]) {
    let Some(t) = text(data) else { return };
    if let Ok(p) = arch::isa::asm::parse_program(t) {
        let printed = arch::isa::asm::print_program(&p);
        let again = arch::isa::asm::parse_program(&printed);
        assert!(
            matches!(&again, Ok(q) if *q == p),
            "asm round trip: {p:?} printed as {printed:?} -> {again:?}"
        );
    }
}

/// An accelerator configuration in TOML.
pub fn config_toml(data: &[u8]) {
    if let Some(t) = text(data) {
        let _ = runtime::configs::parse(t, "fuzz.toml", runtime::configs::Format::Toml);
    }
}

/// An accelerator configuration in JSON.
pub fn config_json(data: &[u8]) {
    if let Some(t) = text(data) {
        let _ = runtime::configs::parse(t, "fuzz.json", runtime::configs::Format::Json);
    }
}

/// A TOML model (layers and graphs).
pub fn model_toml(data: &[u8]) {
    if let Some(t) = text(data) {
        let _ = firmware::Model::parse(t, "fuzz.toml");
    }
}

/// A SCALE-Sim topology CSV.
pub fn scalesim_csv(data: &[u8]) {
    if let Some(t) = text(data) {
        let _ = firmware::scalesim::parse(t, "fuzz.csv");
    }
}

/// An ONNX model (protobuf).
pub fn onnx(data: &[u8]) {
    let _ = onnx_import::parse(data, "fuzz.onnx");
}

/// A float32 `.npy` tensor.
pub fn npy(data: &[u8]) {
    let _ = runtime::npy::parse(data, "fuzz.npy");
}

/// A labels `.npy` array.
pub fn npy_labels(data: &[u8]) {
    let _ = runtime::npy::parse_labels(data, "fuzz.npy");
}

/// An IDX image or label file, raw (the first byte picks which).
pub fn idx(data: &[u8]) {
    idx_file(data, "fuzz-idx")
}

/// An IDX image or label file, gzipped (the first byte picks which).
pub fn idx_gz(data: &[u8]) {
    idx_file(data, "fuzz-idx.gz")
}

fn idx_file(data: &[u8], name: &str) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let p = Path::new(name);
    if which & 1 == 0 {
        let _ = train::data::parse_images(rest.to_vec(), p);
    } else {
        let _ = train::data::parse_labels(rest.to_vec(), p);
    }
}

/// A training checkpoint (JSON).
pub fn checkpoint(data: &[u8]) {
    if let Some(t) = text(data) {
        let _ = train::checkpoint::Checkpoint::parse(t, Path::new("fuzz.json"));
    }
}

pub mod seeds;
