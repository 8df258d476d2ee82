//! `fuzz-seeds DIR`: write every target's seeds to `DIR/<target>/` (the
//! starting corpus of scripts/fuzz.sh).

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: fuzz-seeds DIR");
        std::process::exit(2);
    };
    for (name, _) in fuzz_targets::TARGETS {
        let d = std::path::Path::new(&dir).join(name);
        if let Err(e) = std::fs::create_dir_all(&d) {
            eprintln!("fuzz-seeds: {}: {e}", d.display());
            std::process::exit(1);
        }
        for (f, bytes) in fuzz_targets::seeds::seeds(name) {
            if let Err(e) = std::fs::write(d.join(&f), bytes) {
                eprintln!("fuzz-seeds: {}: {e}", d.join(&f).display());
                std::process::exit(1);
            }
        }
    }
}
