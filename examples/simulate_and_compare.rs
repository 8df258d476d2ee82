//! Simulate and compare from Rust, without the command line.
//!
//! ```sh
//! cargo run --release -p report --example simulate_and_compare
//! ```
//!
//! Runs LeNet-5 on the cycle-accurate simulator at the `diannao` preset
//! (per layer: cycles, utilisation, energy), then compares it with the f32
//! CPU baseline (time, speedup, energy ratio), as `diannao simulate` and
//! `diannao compare` do.

use baseline::cpu_energy::CpuEnergy;
use report::compare::{compare, CompareOptions};
use runtime::run::DEFAULT_ENERGY_TABLE;
use runtime::simulate::{simulate, SimulateOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sim = simulate(&SimulateOptions {
        preset: "diannao".into(),
        model: Some("lenet5".into()),
        layer: None,
        batch: 1,
        json: false,
        csv: false,
        energy: DEFAULT_ENERGY_TABLE.into(),
        plan: false,
        quiet: true,
        vcd: None,
        vcd_max_cycles: runtime::run::VCD_MAX_CYCLES,
        seed: 1,
    })?;
    println!("{} on preset {} (Tn = {}):", sim.model, sim.preset, sim.tn);
    for l in &sim.layers {
        println!(
            "  {:<8} {:>9} cycles  utilisation {:.3}  {:.3} uJ",
            l.name,
            l.figures.cycles,
            l.figures.utilisation,
            l.figures.energy.total_pj * 1e-6
        );
    }
    println!(
        "  total    {:>9} cycles, {:.3} us at {} MHz",
        sim.total.cycles,
        sim.total.seconds * 1e6,
        sim.clock_mhz
    );

    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let r = compare(
        &CompareOptions {
            cfg: arch::AccelConfig::preset("diannao")?,
            model: firmware::Model::load("lenet5")?,
            batch: 1,
            train: false,
            threads,
            reps: 3,
            cpu_energy: CpuEnergy::detect(None, threads)?,
            energy_table: DEFAULT_ENERGY_TABLE.into(),
        },
        &mut |_| {},
    )?;
    println!(
        "against the CPU ({threads} threads): speedup {:.1}x, energy ratio {:.1}x",
        r.total.speedup, r.total.energy_ratio
    );
    Ok(())
}
