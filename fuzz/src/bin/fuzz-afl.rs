//! `fuzz-afl TARGET`: one fuzz target under cargo-afl (persistent mode),
//! with the 1 GiB allocation guard. Built by scripts/fuzz.sh:
//! `cargo afl build --release -p fuzz-targets --features afl --bin fuzz-afl`.

#[global_allocator]
static ALLOC: fuzz_targets::GuardAlloc = fuzz_targets::GuardAlloc;

fn main() {
    let name = std::env::args().nth(1).unwrap_or_default();
    let Some(t) = fuzz_targets::target(&name) else {
        let names: Vec<&str> = fuzz_targets::TARGETS.iter().map(|(n, _)| *n).collect();
        eprintln!("usage: fuzz-afl TARGET ({})", names.join(", "));
        std::process::exit(2);
    };
    afl::fuzz!(|data: &[u8]| t(data));
}
