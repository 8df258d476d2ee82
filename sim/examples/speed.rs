//! Simulator speed: every layer of a built-in model (default `alexnet`) on a
//! preset (default `diannao`), compiled by firmware and run in fast mode on
//! a zeroed DRAM; prints simulated cycles, wall-clock seconds and simulated
//! cycles per second. Usage:
//! `cargo run --release -p sim --example speed -- [model] [preset] [repeats]`.

use arch::AccelConfig;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let model = args.get(1).map(String::as_str).unwrap_or("alexnet");
    let preset = args.get(2).map(String::as_str).unwrap_or("diannao");
    let repeats: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(3);
    let cfg = AccelConfig::presets()
        .into_iter()
        .find(|c| c.name == preset)
        .unwrap_or_else(|| panic!("no preset {preset}"));
    let m = firmware::model::Model::load(model).expect("built-in model");
    let layers: Vec<_> = m
        .layers
        .iter()
        .map(|l| {
            (
                l.name.clone(),
                firmware::compile(&cfg, &l.spec, 1).expect("compiles"),
            )
        })
        .collect();
    let mut best = f64::MAX;
    let mut cycles = 0u64;
    for _ in 0..repeats {
        let t0 = Instant::now();
        cycles = 0;
        for (name, c) in &layers {
            let mut mach = sim::Machine::new(cfg.clone()).expect("valid preset");
            let mut dram = sim::Dram::new(cfg.dram.size_bytes);
            let s = mach
                .run(&c.program, &mut dram)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            cycles += s.cycles;
        }
        best = best.min(t0.elapsed().as_secs_f64());
    }
    println!(
        "{model} on {preset}: {cycles} cycles, best of {repeats}: {best:.3} s, {:.1} Mcycles/s",
        cycles as f64 / best / 1e6
    );
}
