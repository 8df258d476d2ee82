//! Real network layers (far larger than every buffer) compile for `tiny` and
//! `diannao`: every instruction checks and encodes, the `wait` fields order
//! every conflict, and the plan's predicted traffic is what the program moves.

mod common;

use arch::AccelConfig;
use common::*;
use firmware::{compile, Model};

fn check_model(cfg: &AccelConfig, model: &str, batch: u32, skip: &[&str]) {
    let m = Model::load(model).unwrap();
    for l in &m.layers {
        if skip.contains(&l.name.as_str()) {
            continue;
        }
        let c = compile(cfg, &l.spec, batch)
            .unwrap_or_else(|e| panic!("{model}/{} on {}: {e}", l.name, cfg.name));
        for (i, ins) in c.program.iter().enumerate() {
            ins.check(cfg)
                .unwrap_or_else(|e| panic!("{model}/{}: instr {i}: {e}", l.name));
            ins.encode()
                .unwrap_or_else(|e| panic!("{model}/{}: instr {i}: {e}", l.name));
        }
        check_races(cfg, &c.program)
            .unwrap_or_else(|e| panic!("{model}/{} on {}: {e}", l.name, cfg.name));
        let (nb, sb, no) = counted_rows(&c.program);
        let k = &c.plan.cost;
        assert_eq!(
            (nb, sb, no),
            (k.nbin_rows, k.sb_rows, k.nbout_rows),
            "{model}/{}: {}",
            l.name,
            c.plan
        );
        assert_eq!(c.useful_macs, l.spec.macs() * batch as u64);
    }
}

#[test]
fn alexnet_and_lenet_on_tiny_and_diannao() {
    for cfg in [AccelConfig::tiny(), AccelConfig::diannao()] {
        check_model(&cfg, "lenet5", 2, &[]);
        check_model(&cfg, "alexnet", 1, &[]);
    }
    // fc6's weights (75 MB) exceed a 16 MB DRAM
    let mut small = AccelConfig::tiny();
    small.dram.size_bytes = 1 << 24;
    let e = compile(&small, &"class:ni=9216,no=4096".parse().unwrap(), 1).unwrap_err();
    assert!(matches!(e, firmware::FwError::DramTooSmall { .. }), "{e}");
}

#[test]
fn nin_googlenet_bench_on_diannao() {
    let cfg = AccelConfig::diannao();
    check_model(&cfg, "nin", 1, &[]);
    check_model(&cfg, "googlenet", 1, &[]);
    check_model(&cfg, "diannao_bench", 1, &[]);
}

#[test]
fn classifier_reuses_synapses_across_the_batch() {
    let cfg = AccelConfig::diannao();
    let l: firmware::LayerSpec = "class:ni=256,no=256".parse().unwrap();
    let one = compile(&cfg, &l, 1).unwrap().plan.cost.sb_rows;
    let many = compile(&cfg, &l, 8).unwrap().plan.cost.sb_rows;
    assert_eq!(
        one, many,
        "8 images must load each synapse row once, like 1 image"
    );
}

#[test]
fn plan_reports_tiles_and_traffic() {
    let cfg = AccelConfig::diannao();
    let l: firmware::LayerSpec = "conv:nx=27,ny=27,k=5,pad=2,ni=48,no=128".parse().unwrap();
    let c = compile(&cfg, &l, 1).unwrap();
    let s = c.plan.to_string();
    assert!(
        s.contains("tiles:") && s.contains("predicted DRAM traffic"),
        "{s}"
    );
    // the input alone is 27*27*3 rows of 32 bytes; traffic is at least input + weights + output
    assert!(c.plan.cost.dram_bytes >= c.layout.input.bytes + c.layout.weights.bytes);
}
