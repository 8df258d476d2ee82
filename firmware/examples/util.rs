//! Per-layer utilisation on the cycle-accurate simulator.
//!
//! `cargo run -p firmware --release --example util -- [preset] [model|layer-spec]... [--batch N]`
//!
//! Compiles each layer, runs it on `sim::Machine` with zero data (timing is
//! data-independent), and prints cycles, utilisation = useful MACs /
//! (Tn*Tn*cycles), DRAM bytes, the predicted cycles, and the stall counters
//! that explain lost cycles. Defaults: preset `diannao`, models `alexnet`
//! and `diannao_bench`, batch 1.

use arch::events::Event;
use arch::AccelConfig;
use firmware::{compile, LayerSpec, Model};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut batch = 1u32;
    if let Some(p) = args.iter().position(|a| a == "--batch") {
        batch = args
            .get(p + 1)
            .and_then(|b| b.parse().ok())
            .expect("--batch N");
        args.drain(p..p + 2);
    }
    let mut cfg = AccelConfig::diannao();
    if let Some(a) = args.first() {
        if let Ok(c) = AccelConfig::resolve(a) {
            cfg = c;
            args.remove(0);
        }
    }
    if args.is_empty() {
        args = vec!["alexnet".into(), "diannao_bench".into()];
    }
    let mut layers: Vec<(String, LayerSpec)> = Vec::new();
    for a in &args {
        if let Ok(m) = Model::load(a) {
            layers.extend(
                m.layers
                    .iter()
                    .map(|l| (format!("{}/{}", m.name, l.name), l.spec)),
            );
        } else {
            let l: LayerSpec = a
                .parse()
                .unwrap_or_else(|e| panic!("{a}: not a model or layer: {e}"));
            layers.push((a.clone(), l));
        }
    }
    let tn2 = (cfg.tn * cfg.tn) as f64;
    println!("preset {} batch {batch}", cfg.name);
    println!(
        "{:<22} {:>11} {:>11} {:>6} {:>12} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}  plan",
        "layer",
        "cycles",
        "predicted",
        "util%",
        "dram_bytes",
        "nfu_busy",
        "st_load",
        "st_store",
        "st_drain",
        "dma_port",
        "cp_full",
        "port_busy",
        "opsxD"
    );
    let (mut tot_c, mut tot_m) = (0u64, 0u64);
    for (name, l) in &layers {
        let c = match compile(&cfg, l, batch) {
            Ok(c) => c,
            Err(e) => {
                println!("{name:<22} compile error: {e}");
                continue;
            }
        };
        let mut dram = sim::Dram::new(cfg.dram.size_bytes);
        let mut m = sim::Machine::new(cfg.clone()).expect("config");
        let s = m.run(&c.program, &mut dram).expect("run");
        let k = |e: Event| s.counters.get(e);
        let util = c.useful_macs as f64 / (tn2 * s.cycles as f64) * 100.0;
        let p = &c.plan;
        let pk = match c.plan.pack {
            Some(p) => format!(" pack{}x{}", p.band, p.q),
            None => String::new(),
        };
        println!(
            "{:<22} {:>11} {:>11} {:>6.1} {:>12} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}  {}x{}x{} r{}x{}x{} p{}/{}{}",
            name,
            s.cycles,
            p.cost.cycles,
            util,
            k(Event::DramReadBytes) + k(Event::DramWriteBytes),
            k(Event::NfuBusy),
            k(Event::NfuStallLoad),
            k(Event::NfuStallStore),
            k(Event::NfuStallDrain),
            k(Event::DmaStallPort),
            k(Event::CpStallQueueFull),
            k(Event::PortBusy),
            p.cost.ops * cfg.nfu_latency() as u64,
            p.sizes.toy,
            p.sizes.tox,
            p.sizes.to,
            p.sizes.tky,
            p.sizes.tkx,
            p.sizes.tc,
            p.sizes.parts,
            p.out_parts,
            pk
        );
        if l.kind_name() != "pool" {
            tot_c += s.cycles;
            tot_m += c.useful_macs;
        }
    }
    println!("opsxD = NFU ops x pipeline depth D: cycles the drain rule (next op waits for the previous op's last output) costs at least");
    println!(
        "conv+class total: {} cycles, utilisation {:.1}%",
        tot_c,
        tot_m as f64 / (tn2 * tot_c as f64) * 100.0
    );
}
