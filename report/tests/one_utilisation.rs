//! `simulate` and `compare` report the same utilisation for the same layer
//! (they once disagreed on pooling): both go through
//! `runtime::run::utilisation`, and this test would catch a second copy.
//! `simulate` and the sweep give the same bits on 1 and N threads.

use arch::AccelConfig;
use firmware::LayerSpec;
use runtime::simulate::{simulate, SimulateOptions};

fn simulated(preset: &str, layer: &str) -> (f64, u64) {
    let r = simulate(&SimulateOptions {
        preset: preset.into(),
        model: None,
        layer: Some(layer.into()),
        batch: 2,
        json: false,
        csv: false,
        energy: runtime::run::DEFAULT_ENERGY_TABLE.into(),
        plan: false,
        quiet: true,
        vcd: None,
        vcd_max_cycles: runtime::run::VCD_MAX_CYCLES,
        seed: 1,
    })
    .unwrap();
    (r.layers[0].figures.utilisation, r.layers[0].figures.cycles)
}

#[test]
fn simulate_and_compare_agree_on_every_layer_kind() {
    let table = sim::EnergyTable::named(runtime::run::DEFAULT_ENERGY_TABLE).unwrap();
    for preset in ["tiny", "diannao"] {
        let cfg = AccelConfig::preset(preset).unwrap();
        for layer in [
            "conv:nx=12,ny=12,k=3,ni=8,no=8,act=relu",
            "pool:nx=12,ny=12,k=2,ni=8,kind=max",
            "pool:nx=13,ny=13,k=3,s=2,ni=8,kind=avg",
            "class:ni=64,no=32",
        ] {
            let spec: LayerSpec = layer.parse().unwrap();
            let compiled = firmware::compile_node(&cfg, &spec, 2).unwrap();
            let c = report::compare::simulate(&cfg, "l", &spec, compiled.clone(), &table).unwrap();
            let (u, cycles) = simulated(preset, layer);
            assert_eq!(c.figures.cycles, cycles, "{preset} {layer}");
            // the consumed layer's program figures are its own
            let len: usize = compiled.pieces.iter().map(|p| p.instructions().len()).sum();
            assert_eq!(c.figures.instructions, len, "{preset} {layer}");
            let predicted: u64 = compiled.pieces.iter().map(|p| p.predicted_cycles()).sum();
            assert_eq!(c.figures.predicted_cycles, predicted, "{preset} {layer}");
            assert!(u > 0.0 && u <= 1.0, "{preset} {layer}: {u}");
            assert_eq!(
                c.figures.utilisation, u,
                "{preset} {layer}: compare vs simulate"
            );
            let want = runtime::run::utilisation(&cfg, &spec, compiled.useful_macs, cycles);
            assert_eq!(u, want, "{preset} {layer}");
        }
    }
}

/// A whole model's `simulate` report and a sweep point are the same bits on
/// one thread and on several (layers run in parallel; each layer's run is
/// independent of the others).
#[test]
fn simulate_and_sweep_are_bit_identical_on_1_and_n_threads() {
    let opts = |model: &str| SimulateOptions {
        preset: "tiny".into(),
        model: Some(model.into()),
        layer: None,
        batch: 2,
        json: false,
        csv: false,
        energy: runtime::run::DEFAULT_ENERGY_TABLE.into(),
        plan: true,
        quiet: true,
        vcd: None,
        vcd_max_cycles: runtime::run::VCD_MAX_CYCLES,
        seed: 3,
    };
    let pool = |n: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    };
    let (one, four) = (pool(1), pool(4));
    for model in ["lenet5"] {
        let a = one.install(|| simulate(&opts(model))).unwrap();
        let b = four.install(|| simulate(&opts(model))).unwrap();
        assert!(a.layers.len() > 4, "{model}: {} layers", a.layers.len());
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap(),
            "{model}: simulate on 1 and 4 threads"
        );
    }
    let cfg = AccelConfig::preset("tiny").unwrap();
    let table = sim::EnergyTable::named(runtime::run::DEFAULT_ENERGY_TABLE).unwrap();
    let model = runtime::models::load_model("lenet5").unwrap();
    let a = one
        .install(|| report::sweep::run_point(&cfg, &model, 2, &table))
        .unwrap();
    let b = four
        .install(|| report::sweep::run_point(&cfg, &model, 2, &table))
        .unwrap();
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap(),
        "sweep point on 1 and 4 threads"
    );
}
