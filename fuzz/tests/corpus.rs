//! Every fuzz target over its seeds, the kept regression inputs
//! (`fuzz/regressions/<target>/`, crashes the fuzzers found, fixed) and a
//! bounded number of seeded mutations of them: no panic, no input slower
//! than a second, no allocation over 1 GiB (the guard allocator aborts).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: fuzz_targets::GuardAlloc = fuzz_targets::GuardAlloc;

/// Mutations per seed.
const MUTANTS: usize = 400;
/// The slowest an input may be.
const SLOW: Duration = Duration::from_secs(1);

fn mutate(rng: &mut ChaCha8Rng, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..rng.gen_range(1..=4) {
        let n = v.len();
        match rng.gen_range(0..7) {
            0 if n > 0 => {
                let i = rng.gen_range(0..n);
                v[i] ^= 1 << rng.gen_range(0..8);
            }
            1 if n > 0 => {
                let i = rng.gen_range(0..n);
                v[i] = [0x00, 0xff, 0x7f, 0x80, b'9', b'-', b'"', b'[', b'\n'][rng.gen_range(0..9)];
            }
            2 => v.truncate(rng.gen_range(0..=n)),
            3 if n > 0 => {
                let a = rng.gen_range(0..n);
                let b = rng.gen_range(a..=n.min(a + 64));
                v.drain(a..b);
            }
            4 if n > 0 => {
                let a = rng.gen_range(0..n);
                let b = rng.gen_range(a..=n.min(a + 64));
                let chunk = v[a..b].to_vec();
                let at = rng.gen_range(0..=v.len());
                v.splice(at..at, chunk);
            }
            5 => {
                let at = rng.gen_range(0..=n);
                let bytes: Vec<u8> = (0..rng.gen_range(1..9)).map(|_| rng.gen()).collect();
                v.splice(at..at, bytes);
            }
            _ if n >= 4 => {
                // a large little- or big-endian number over 4 bytes
                let i = rng.gen_range(0..n - 3);
                let x: u32 = [u32::MAX, 1 << 31, 1 << 24, 0x7fff_ffff, 65535][rng.gen_range(0..5)];
                let b = if rng.gen() {
                    x.to_le_bytes()
                } else {
                    x.to_be_bytes()
                };
                v[i..i + 4].copy_from_slice(&b);
            }
            _ => {}
        }
    }
    v
}

fn run_one(name: &str, t: fuzz_targets::Target, what: &str, input: &[u8]) -> Result<(), String> {
    let t0 = Instant::now();
    let r = catch_unwind(AssertUnwindSafe(|| t(input)));
    let dt = t0.elapsed();
    let head: Vec<String> = input.iter().take(48).map(|b| format!("{b:02x}")).collect();
    if let Err(p) = r {
        let msg = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        return Err(format!(
            "{name}: {what} ({} bytes, {}...) panicked: {msg}",
            input.len(),
            head.join("")
        ));
    }
    if dt > SLOW {
        return Err(format!(
            "{name}: {what} ({} bytes, {}...) took {dt:?}",
            input.len(),
            head.join("")
        ));
    }
    Ok(())
}

#[test]
fn every_target_survives_its_corpus_and_mutations() {
    // the targets' own assertion messages are the report; keep panics quiet
    std::panic::set_hook(Box::new(|_| {}));
    let mut failures = Vec::new();
    let mut runs = 0usize;
    for (name, t) in fuzz_targets::TARGETS {
        let mut corpus = fuzz_targets::seeds::seeds(name);
        assert!(!corpus.is_empty(), "{name} has no seeds");
        let reg = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("regressions")
            .join(name);
        if let Ok(rd) = std::fs::read_dir(&reg) {
            for e in rd.flatten() {
                let b = std::fs::read(e.path()).unwrap();
                corpus.push((format!("regression {}", e.file_name().to_string_lossy()), b));
            }
        }
        let mut rng = ChaCha8Rng::seed_from_u64(0x5eed ^ name.len() as u64);
        for (what, seed) in &corpus {
            runs += 1;
            if let Err(e) = run_one(name, *t, what, seed) {
                failures.push(e);
            }
            for k in 0..MUTANTS {
                let m = mutate(&mut rng, seed);
                runs += 1;
                if let Err(e) = run_one(name, *t, &format!("mutant {k} of {what}"), &m) {
                    failures.push(e);
                    break;
                }
            }
        }
    }
    let _ = std::panic::take_hook();
    eprintln!("{runs} inputs over {} targets", fuzz_targets::TARGETS.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The guard itself: an allocation over the limit aborts the process.
#[test]
fn the_allocation_guard_aborts_over_one_gib() {
    if std::env::var_os("FUZZ_GUARD_CHILD").is_some() {
        let v: Vec<u8> = Vec::with_capacity(fuzz_targets::MAX_ALLOC + 1);
        std::hint::black_box(&v);
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([
            "--exact",
            "the_allocation_guard_aborts_over_one_gib",
            "--test-threads=1",
        ])
        .env("FUZZ_GUARD_CHILD", "1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("fuzz: allocation of 1073741825 bytes"),
        "{err}"
    );
}
