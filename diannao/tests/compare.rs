//! `diannao compare`, `analyze` and `sweep`: files, internal consistency
//! (CSV = JSON = report.md), agreement with the simulator's own output, hand
//! computed memory figures, and one-line errors on bad input before any work.

use arch::events::Event;
use baseline::cpu_energy::CpuEnergy;
use firmware::{ClassSpec, ConvSpec, EwOp, EwSpec, LayerSpec};
use report::compare::{self, CompareOptions, CSV_HEADER};
use report::{sig, OutDir};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_diannao"))
}

fn lenet_report(train: bool) -> compare::CompareReport {
    let opts = CompareOptions {
        cfg: arch::AccelConfig::tiny(),
        model: firmware::Model::load("lenet5").unwrap(),
        batch: 2,
        train,
        threads: 2,
        reps: 1,
        cpu_energy: CpuEnergy::StatedPower {
            watts: 10.0,
            source: "test".into(),
        },
        energy_table: "horowitz45".into(),
    };
    compare::compare(&opts, &mut |_| {}).unwrap()
}

fn csv_table(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// Rows of the first Markdown table whose header starts with `| layer`.
fn md_rows(md: &str) -> Vec<Vec<String>> {
    let lines: Vec<&str> = md
        .lines()
        .skip_while(|l| !l.starts_with("| layer"))
        .take_while(|l| l.starts_with('|'))
        .collect();
    lines
        .iter()
        .skip(2)
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

#[test]
fn compare_writes_consistent_files_matching_the_simulator() {
    let r = lenet_report(false);
    let d = tempfile::tempdir().unwrap();
    let dest = d.path().join("out");
    compare::write(&r, OutDir::prepare(&dest).unwrap()).unwrap();
    for f in [
        "report.md",
        "results.csv",
        "results.json",
        "speedup.svg",
        "energy_ratio.svg",
    ] {
        assert!(dest.join(f).metadata().unwrap().len() > 0, "{f}");
    }
    // nothing else left beside the output directory
    assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dest.join("results.json")).unwrap()).unwrap();
    let csv = csv_table(&std::fs::read_to_string(dest.join("results.csv")).unwrap());
    let md = std::fs::read_to_string(dest.join("report.md")).unwrap();
    assert_eq!(
        csv[0],
        CSV_HEADER.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    );
    let layers = json["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 6);
    assert_eq!(csv.len(), 1 + 6 + 1);
    let col = |name: &str| CSV_HEADER.iter().position(|h| *h == name).unwrap();
    let md = md_rows(&md);
    assert_eq!(md.len(), 7);
    let md_col = |name: &str| {
        [
            "layer",
            "kind",
            "cpu_median_s",
            "cpu_min_s",
            "cpu_max_s",
            "accel_s",
            "speedup",
            "cpu_j",
            "accel_j",
            "energy_ratio",
            "utilisation",
            "dram_read_bytes",
            "dram_write_bytes",
            "accel_gops",
        ]
        .iter()
        .position(|h| *h == name)
        .unwrap()
    };

    let cfg = arch::AccelConfig::tiny();
    let table = sim::EnergyTable::named("horowitz45").unwrap();
    let model = firmware::Model::load("lenet5").unwrap();
    for (i, (l, ml)) in layers.iter().zip(&model.layers).enumerate() {
        let row = &csv[1 + i];
        assert_eq!(row[0], ml.name);
        // the simulator's own output for the same layer
        let c = firmware::compile(&cfg, &ml.spec, 2).unwrap();
        let mut m = sim::Machine::new(cfg.clone()).unwrap();
        let mut dram = sim::Dram::new(cfg.dram.size_bytes);
        let st = m.run(&c.program, &mut dram).unwrap();
        let e = sim::energy(&table, &st.counters, &cfg);
        assert_eq!(l["accel"]["cycles"].as_u64().unwrap(), st.cycles);
        assert_eq!(
            l["accel"]["dram_read_bytes"].as_u64().unwrap(),
            st.counters.get(arch::events::Event::DramReadBytes)
        );
        assert_eq!(
            l["accel"]["dram_write_bytes"].as_u64().unwrap(),
            st.counters.get(arch::events::Event::DramWriteBytes)
        );
        let lr = &r.layers[i];
        assert_eq!(lr.accel.figures.energy, e);
        assert_eq!(lr.accel.figures.cycles, st.cycles);
        assert_eq!(
            lr.accel.figures.seconds,
            st.cycles as f64 * cfg.seconds_per_cycle()
        );
        assert!(
            (l["accel"]["energy"]["total_pj"].as_f64().unwrap() - e.total_pj).abs()
                <= e.total_pj * 4.0 * f64::EPSILON
        );
        // CSV = JSON, exactly
        let j = |a: &str, b: Option<&str>| match b {
            Some(b) => l[a][b].as_f64().unwrap(),
            None => l[a].as_f64().unwrap(),
        };
        let pairs = [
            (
                "cpu_median_s",
                l["cpu"]["timing"]["median_s"].as_f64().unwrap(),
            ),
            ("cpu_min_s", l["cpu"]["timing"]["min_s"].as_f64().unwrap()),
            ("cpu_max_s", l["cpu"]["timing"]["max_s"].as_f64().unwrap()),
            ("accel_s", j("accel", Some("seconds"))),
            ("speedup", j("speedup", None)),
            ("cpu_j", l["cpu"]["joules"].as_f64().unwrap()),
            (
                "accel_j",
                l["accel"]["energy"]["total_pj"].as_f64().unwrap() * 1e-12,
            ),
            ("energy_ratio", j("energy_ratio", None)),
            ("utilisation", j("accel", Some("utilisation"))),
        ];
        let exact = [
            lr.cpu.timing.median_s,
            lr.cpu.timing.min_s,
            lr.cpu.timing.max_s,
            lr.accel.figures.seconds,
            lr.speedup,
            lr.cpu.joules,
            lr.accel.figures.energy.total_pj * 1e-12,
            lr.energy_ratio,
            lr.accel.figures.utilisation,
        ];
        for ((name, v), x) in pairs.into_iter().zip(exact) {
            // CSV holds the report's value exactly (shortest round-trip form)
            assert_eq!(
                row[col(name)].parse::<f64>().unwrap(),
                x,
                "{} {name}",
                ml.name
            );
            // JSON holds the same value (serde_json's parser may be 1 ulp off)
            assert!(
                (v - x).abs() <= x.abs() * 4.0 * f64::EPSILON,
                "{} {name}: json {v} csv {x}",
                ml.name
            );
            // report.md shows the same number, rounded
            assert_eq!(md[i][md_col(name)], sig(x), "{} {name}", ml.name);
        }
        assert_eq!(row[col("accel_cycles")], st.cycles.to_string());
        assert_eq!(
            md[i][md_col("dram_read_bytes")],
            row[col("dram_read_bytes")]
        );
        // derived figures are what they claim to be
        let cpu_s = l["cpu"]["timing"]["median_s"].as_f64().unwrap();
        assert_eq!(
            lr.speedup,
            lr.cpu.timing.median_s / lr.accel.figures.seconds
        );
        assert_eq!(
            lr.cpu.joules,
            lr.cpu.timing.median_s * 10.0,
            "stated power x median time"
        );
        let tt = l["cpu"]["timing"].clone();
        assert!(tt["min_s"].as_f64().unwrap() <= cpu_s && cpu_s <= tt["max_s"].as_f64().unwrap());
        // energy on both sides: the accelerator's DRAM energy is its DRAM
        // bytes at the table's 64-bit access energy, and the on-chip ratio
        // leaves it out (the CPU's stated power has no DRAM either)
        let dram_bytes = st.counters.get(arch::events::Event::DramReadBytes)
            + st.counters.get(arch::events::Event::DramWriteBytes);
        let dram_j = dram_bytes as f64 * 8.0 / 64.0 * table.dram_access64_pj * 1e-12;
        assert!(dram_j > 0.0, "{}: no DRAM traffic", ml.name);
        let csv_dram_j: f64 = row[col("accel_dram_j")].parse().unwrap();
        assert!(
            (csv_dram_j - dram_j).abs() <= dram_j * 1e-12,
            "{}: {csv_dram_j} vs {dram_j}",
            ml.name
        );
        let on_chip_j = (e.total_pj - e.dram_pj) * 1e-12;
        assert!(on_chip_j > 0.0 && on_chip_j < e.total_pj * 1e-12);
        assert_eq!(lr.energy_ratio_on_chip, lr.cpu.joules / on_chip_j);
        assert!(lr.energy_ratio_on_chip > lr.energy_ratio, "{}", ml.name);
        assert_eq!(
            row[col("energy_ratio_on_chip")].parse::<f64>().unwrap(),
            lr.energy_ratio_on_chip
        );
    }
    // totals
    let tot = &csv[7];
    assert_eq!(tot[0], "total");
    let sum_cycles: u64 = layers
        .iter()
        .map(|l| l["accel"]["cycles"].as_u64().unwrap())
        .sum();
    assert_eq!(tot[col("accel_cycles")], sum_cycles.to_string());
    assert_eq!(json["total"]["accel_cycles"].as_u64().unwrap(), sum_cycles);
    assert_eq!(tot[col("speedup")].parse::<f64>().unwrap(), r.total.speedup);
    assert_eq!(
        r.total.speedup,
        r.total.cpu_median_s / r.total.accel_seconds
    );
    assert_eq!(
        r.total.cpu_median_s,
        r.layers.iter().map(|l| l.cpu.timing.median_s).sum::<f64>()
    );
    assert!(
        (json["total"]["speedup"].as_f64().unwrap() - r.total.speedup).abs()
            <= r.total.speedup * 4.0 * f64::EPSILON
    );
    assert_eq!(md[6][md_col("speedup")], sig(r.total.speedup));
    let dram_pj: f64 = r
        .layers
        .iter()
        .map(|l| l.accel.figures.energy.dram_pj)
        .sum();
    assert_eq!(r.total.accel_dram_pj, dram_pj);
    assert_eq!(
        r.total.energy_ratio_on_chip,
        r.total.cpu_joules / ((r.total.accel_energy_pj - dram_pj) * 1e-12)
    );
    // the report names its methods
    let text = std::fs::read_to_string(dest.join("report.md")).unwrap();
    assert!(text.contains("stated power 10 W; source: test"), "{text}");
    assert!(text.contains("energy table `horowitz45`"));
}

/// The programs of one lenet5 training step at batch `b`, built by hand from
/// the model's shapes (independently of `train_cost`).
fn lenet5_train_programs(
    cfg: &arch::AccelConfig,
    b: u32,
) -> Vec<Vec<(LayerSpec, u32, Option<EwSpec>)>> {
    use arch::activation::Activation::{Identity, ReluDeriv};
    use arch::fixed::Rounding::{Nearest, Stochastic};
    let one = 1i16 << cfg.frac_bits;
    let model = firmware::Model::load("lenet5").unwrap();
    let s = |i: usize| model.layers[i].spec;
    let class = |ni, no| {
        LayerSpec::Classifier(ClassSpec {
            ni,
            no,
            act: Identity,
            bias: false,
        })
    };
    let ew = |op, len: u64, act| {
        Some(EwSpec {
            op,
            len,
            act,
            round: Nearest,
        })
    };
    let ews = |op, len: u64| {
        Some(EwSpec {
            op,
            len,
            act: Identity,
            round: Stochastic,
        })
    };
    let dummy = s(0);
    let upd = |n: u64| {
        let f = cfg.frac_bits;
        vec![
            (
                dummy,
                0,
                ews(
                    EwOp::Lincomb {
                        a: arch::fixed::from_f64(0.9, f),
                        b: -arch::fixed::from_f64(0.01, f).max(1),
                        c: 0,
                    },
                    n,
                ),
            ),
            (dummy, 0, ews(EwOp::Lincomb { a: one, b: 1, c: 0 }, n)),
        ]
    };
    let bb = b as u64;
    let pool = |i: usize, in_len: u64| {
        vec![
            (s(i), b, None),
            (
                dummy,
                0,
                ew(
                    EwOp::Lincomb {
                        a: one,
                        b: -one,
                        c: 0,
                    },
                    in_len * bb,
                    ReluDeriv,
                ),
            ),
            (dummy, 0, ew(EwOp::Mul, in_len * bb, Identity)),
        ]
    };
    let mut v = Vec::new();
    // conv1 1x28x28 -> 20x24x24, k5, no activation, first layer: no input gradient
    let mut l = vec![(s(0), b, None), (class(b * 24 * 24, 20), 25 + 1, None)];
    l.extend(upd(20 * 25 + 20));
    v.push(l);
    v.push(pool(1, 20 * 24 * 24));
    // conv2 20x12x12 -> 50x8x8: input gradient = conv over 8x8, pad 4, 50 -> 20 maps
    let mut l = vec![
        (s(2), b, None),
        (class(b * 8 * 8, 50), 20 * 25 + 1, None),
        (
            LayerSpec::Conv(ConvSpec {
                nx: 8,
                ny: 8,
                kx: 5,
                ky: 5,
                ni: 50,
                no: 20,
                sx: 1,
                sy: 1,
                pad: 4,
                act: Identity,
                bias: false,
                groups: 1,
            }),
            b,
            None,
        ),
    ];
    l.extend(upd(50 * 20 * 25 + 50));
    v.push(l);
    v.push(pool(3, 50 * 8 * 8));
    // ip1 800 -> 500 relu
    let mut l = vec![
        (s(4), b, None),
        (dummy, 0, ew(EwOp::AddConst { c: -1 }, 500 * bb, ReluDeriv)),
        (dummy, 0, ew(EwOp::Mul, 500 * bb, Identity)),
        (class(b, 500), 801, None),
        (class(500, 800), b, None),
    ];
    l.extend(upd(800 * 500 + 500));
    v.push(l);
    // ip2 500 -> 10 identity
    let mut l = vec![
        (s(5), b, None),
        (class(b, 10), 501, None),
        (class(10, 500), b, None),
    ];
    l.extend(upd(5000 + 10));
    v.push(l);
    v
}

#[test]
fn train_accelerator_step_is_the_sum_of_its_programs() {
    use train::schedule::ProgramSpec;
    let cfg = arch::AccelConfig::tiny();
    let r = lenet_report(true);
    let fwd = lenet_report(false);
    let d = tempfile::tempdir().unwrap();
    let dest = d.path().join("out");
    compare::write(&r, OutDir::prepare(&dest).unwrap()).unwrap();
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dest.join("results.json")).unwrap()).unwrap();
    let csv = csv_table(&std::fs::read_to_string(dest.join("results.csv")).unwrap());
    let md = std::fs::read_to_string(dest.join("report.md")).unwrap();
    assert!(
        md.contains("forward + backward + update on both CPU and accelerator"),
        "{md}"
    );
    assert!(
        !md.contains("forward only") && !md.contains("FORWARD"),
        "{md}"
    );
    assert!(md.contains("Accelerator training step by phase"), "{md}");
    assert!(r
        .notes
        .iter()
        .any(|n| n.contains("accelerator columns cover one whole training step")));
    let col = |name: &str| CSV_HEADER.iter().position(|h| *h == name).unwrap();
    let table = sim::EnergyTable::named("horowitz45").unwrap();
    let model = firmware::Model::load("lenet5").unwrap();
    let expected = lenet5_train_programs(&cfg, 2);
    let (mut tot_cyc, mut tot_pj) = (0u64, 0f64);
    for (i, ml) in model.layers.iter().enumerate() {
        // the program list matches the hand-built one
        let progs = train::schedule::layer_programs(
            &cfg,
            &ml.name,
            &ml.spec,
            2,
            i == 0,
            &[],
            &train::schedule::UpdateWords::nominal(&cfg),
        )
        .unwrap();
        let want = &expected[i];
        assert_eq!(progs.len(), want.len(), "{}: {progs:#?}", ml.name);
        let (mut cyc, mut rd, mut wr, mut pj) = (0u64, 0u64, 0u64, 0f64);
        for (p, (spec, batch, ew)) in progs.iter().zip(want) {
            // recompute: compile independently, run on zero-filled DRAM
            let counters = match (p.program, ew) {
                (
                    ProgramSpec::Layer {
                        spec: ps,
                        batch: pb,
                        round,
                    },
                    None,
                ) => {
                    assert_eq!((ps, pb), (*spec, *batch), "{} {}", ml.name, p.what);
                    let c = firmware::compile_with(
                        &cfg,
                        &ps,
                        pb,
                        &firmware::CompileOptions { round, plan: None },
                    )
                    .unwrap();
                    let mut m = sim::Machine::new(cfg.clone()).unwrap();
                    m.run(&c.program, &mut sim::Dram::new(cfg.dram.size_bytes))
                        .unwrap()
                        .counters
                }
                (ProgramSpec::Ew(es), Some(w)) => {
                    assert_eq!(es, *w, "{} {}", ml.name, p.what);
                    let c = firmware::compile_ew(&cfg, &es).unwrap();
                    let mut m = sim::Machine::new(cfg.clone()).unwrap();
                    m.run(&c.program, &mut sim::Dram::new(cfg.dram.size_bytes))
                        .unwrap()
                        .counters
                }
                (got, w) => panic!("{} {}: got {got:?}, want {w:?}", ml.name, p.what),
            };
            cyc += counters.get(Event::Cycles);
            rd += counters.get(Event::DramReadBytes);
            wr += counters.get(Event::DramWriteBytes);
            pj += sim::energy(&table, &counters, &cfg).total_pj;
        }
        let l = &json["layers"][i];
        assert_eq!(l["accel"]["cycles"].as_u64().unwrap(), cyc, "{}", ml.name);
        assert_eq!(
            l["accel"]["dram_read_bytes"].as_u64().unwrap(),
            rd,
            "{}",
            ml.name
        );
        assert_eq!(
            l["accel"]["dram_write_bytes"].as_u64().unwrap(),
            wr,
            "{}",
            ml.name
        );
        let jpj = l["accel"]["energy"]["total_pj"].as_f64().unwrap();
        assert!((jpj - pj).abs() <= pj * 1e-12, "{}: {jpj} vs {pj}", ml.name);
        // more than the forward pass alone
        assert!(cyc > fwd.layers[i].accel.figures.cycles, "{}", ml.name);
        assert!(
            pj > fwd.layers[i].accel.figures.energy.total_pj,
            "{}",
            ml.name
        );
        let bd = &l["train"];
        assert_eq!(
            bd["forward_cycles"].as_u64().unwrap()
                + bd["backward_cycles"].as_u64().unwrap()
                + bd["update_cycles"].as_u64().unwrap(),
            cyc
        );
        assert_eq!(
            bd["forward_cycles"].as_u64().unwrap(),
            fwd.layers[i].accel.figures.cycles
        );
        // CSV = JSON
        let row = &csv[1 + i];
        assert_eq!(row[col("accel_cycles")].parse::<u64>().unwrap(), cyc);
        let (cs, js) = (
            row[col("accel_s")].parse::<f64>().unwrap(),
            l["accel"]["seconds"].as_f64().unwrap(),
        );
        assert!((cs - js).abs() <= cs * 1e-14, "{cs} vs {js}");
        assert_eq!(cs, cyc as f64 * cfg.seconds_per_cycle());
        // serde_json parses floats to within an ulp or so (no float_roundtrip feature)
        let aj = row[col("accel_j")].parse::<f64>().unwrap();
        assert!((aj - jpj * 1e-12).abs() <= aj * 1e-14, "{aj} vs {jpj}");
        assert_eq!(row[col("dram_read_bytes")].parse::<u64>().unwrap(), rd);
        let sp = l["cpu"]["timing"]["median_s"].as_f64().unwrap()
            / l["accel"]["seconds"].as_f64().unwrap();
        let csp = row[col("speedup")].parse::<f64>().unwrap();
        assert!((csp - sp).abs() <= sp * 1e-14, "{csp} vs {sp}");
        tot_cyc += cyc;
        tot_pj += pj;
    }
    let total = &csv[csv.len() - 1];
    assert_eq!(total[0], "total");
    assert_eq!(total[col("accel_cycles")].parse::<u64>().unwrap(), tot_cyc);
    assert_eq!(json["total"]["accel_cycles"].as_u64().unwrap(), tot_cyc);
    let tj = json["total"]["accel_energy_pj"].as_f64().unwrap();
    assert!((tj - tot_pj).abs() <= tot_pj * 1e-12);
    assert!(tot_cyc > fwd.total.accel_cycles);
}

#[test]
fn train_inexpressible_layer_is_a_one_line_error_naming_it() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("o");
    let model = d.path().join("rect.toml");
    std::fs::write(
        &model,
        "name = \"rect\"\ninput = [2, 12, 12]\n\n[[layer]]\nname = \"c1\"\ntype = \"conv\"\nk = 3\nno = 4\n\n[[layer]]\nname = \"rect2\"\ntype = \"conv\"\nkx = 3\nky = 5\nno = 4\n",
    )
    .unwrap();
    let args = [
        "compare",
        "--preset",
        "tiny",
        "--model",
        model.to_str().unwrap(),
        "--reps",
        "1",
        "--train",
        "--out",
        out.to_str().unwrap(),
    ];
    fails_with(&args, "layer `rect2`", Some(&out));
    fails_with(&args, "non-square kernel 3x5", Some(&out));
    // the library says the same, typed
    let m = firmware::Model::load(model.to_str().unwrap()).unwrap();
    let e = train::schedule::model_programs(&arch::AccelConfig::tiny(), &m, 1).unwrap_err();
    assert!(e.layer == "rect2", "{e}");
    // without --train the same model compares fine (forward only)
    let o = bin()
        .args(&args[..args.len() - 3])
        .args(["--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn compare_cli_writes_every_file() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("cmp");
    let o = bin()
        .args([
            "compare",
            "--preset",
            "tiny",
            "--model",
            "lenet5",
            "--batch",
            "2",
            "--reps",
            "1",
            "--threads",
            "1",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in [
        "report.md",
        "results.csv",
        "results.json",
        "speedup.svg",
        "energy_ratio.svg",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("CPU energy: measured median time x stated power 3.75 W")
            || md.contains("CPU energy: RAPL"),
        "{md}"
    );
}

#[test]
fn analyze_lenet5_by_hand() {
    let m = firmware::Model::load("lenet5").unwrap();
    let a = report::analyze::analyze(&m, &[16, 64]);
    // conv1 20*1*5*5+20, conv2 50*20*5*5+50, ip1 500*800+500, ip2 10*500+10
    let params = 520 + 25_050 + 400_500 + 5_010;
    assert_eq!(a.params, params);
    assert_eq!(a.param_bytes_f32, 4 * params);
    assert_eq!(a.param_bytes_fx16, 2 * params);
    // outputs per image: 20x24x24, 20x12x12, 50x8x8, 50x4x4, 500, 10
    let outs = 11_520 + 2_880 + 3_200 + 800 + 500 + 10;
    assert_eq!(a.outputs_per_image, outs);
    assert_eq!(a.input_per_image, 784);
    let per_image = 4 * (784 + 2 * outs); // 154,416 bytes
    assert_eq!(per_image, 154_416);
    assert_eq!(a.batches[0].interlayer_bytes, 16 * per_image);
    assert_eq!(a.batches[1].interlayer_bytes, 64 * per_image);
    assert_eq!(a.batches[1].forward_bytes, 64 * 4 * (784 + outs));
    // only ip1 has an activation (relu): 500 more values, data + diff
    assert_eq!(a.activated_outputs_per_image, 500);
    assert_eq!(
        a.batches[0].separate_act_bytes,
        16 * (per_image + 4 * 2 * 500)
    );
    let o = bin()
        .args(["analyze", "--model", "lenet5", "--batch", "16", "--json"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v[0]["batches"][0]["interlayer_bytes"].as_u64().unwrap(),
        16 * per_image
    );
}

#[test]
fn sweep_small_writes_csv_and_plots() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("sw");
    let o = bin()
        .args([
            "sweep", "--preset", "tiny", "--model", "lenet5", "--tn", "4,8", "--sb-kb", "1,2",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = csv_table(&std::fs::read_to_string(out.join("sweep.csv")).unwrap());
    assert_eq!(csv.len(), 5);
    assert_eq!(csv[1][0], "tn4-sb1k");
    for f in [
        "sweep.json",
        "report.md",
        "utilisation.svg",
        "time.svg",
        "dram.svg",
        "energy.svg",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
    // utilisation never exceeds 1
    for r in &csv[1..] {
        let u: f64 = r[5].parse().unwrap();
        assert!(u > 0.0 && u <= 1.0, "{u}");
    }
}

/// `sweep --search`: every point of the space is evaluated or skipped with
/// its reason, the front holds exactly the undominated points, the best
/// point minimises the objective, and the plot is written.
#[test]
fn sweep_search_finds_the_front_and_the_best_point() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("search");
    let o = bin()
        .args([
            "sweep",
            "--search",
            "--preset",
            "tiny",
            "--model",
            "lenet5",
            "--tn",
            "4,8",
            "--sb-kb",
            "1,2",
            "--nbin-rows",
            "16,32",
            "--nbout-rows",
            "2,16",
            "--objective",
            "energy",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("search.json")).unwrap()).unwrap();
    let pts = v["points"].as_array().unwrap();
    let skipped = v["skipped"].as_array().unwrap();
    assert_eq!(pts.len() + skipped.len(), 16);
    assert!(pts.len() >= 4, "{} points", pts.len());
    for s in skipped {
        assert!(!s["reason"].as_str().unwrap().is_empty());
    }
    let te = |p: &Value| {
        (
            p["seconds"].as_f64().unwrap(),
            p["energy_pj"].as_f64().unwrap(),
        )
    };
    let front: Vec<usize> = v["front"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_u64().unwrap() as usize)
        .collect();
    for (i, p) in pts.iter().enumerate() {
        let (t, e) = te(p);
        let dominated = pts.iter().any(|q| {
            let (u, f) = te(q);
            u <= t && f <= e && (u < t || f < e)
        });
        assert_eq!(front.contains(&i), !dominated, "point {i}");
    }
    let best = v["best"].as_u64().unwrap() as usize;
    let min_e = pts.iter().map(|p| te(p).1).fold(f64::INFINITY, f64::min);
    assert_eq!(te(&pts[best]).1, min_e);
    assert!(front.contains(&best));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("(best)") && md.contains("Pareto front"), "{md}");
    let svg = std::fs::read_to_string(out.join("pareto.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("circle"),
        "pareto.svg"
    );
}

fn fails_with(args: &[&str], needle: &str, out: Option<&Path>) {
    let o = bin().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{args:?} succeeded");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(
        err.starts_with("error: ") && err.contains(needle),
        "{args:?}: {err}"
    );
    if let Some(p) = out {
        assert!(!p.exists(), "{} created", p.display());
    }
}

#[test]
fn bad_inputs_fail_in_one_line_before_any_work() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("o");
    let o = out.to_str().unwrap();
    std::fs::write(d.path().join("file"), "x").unwrap();
    let under_file = d.path().join("file/o");
    let base = [
        "compare", "--preset", "tiny", "--model", "lenet5", "--reps", "1",
    ];
    fn with<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        base.iter().chain(extra).copied().collect()
    }
    fails_with(
        &with(&base, &["--out", under_file.to_str().unwrap()]),
        "output directory",
        None,
    );
    fails_with(
        &with(&base, &["--out", "/nonexistent-dir/x"]),
        "does not exist",
        None,
    );
    fails_with(
        &with(&base, &["--batch", "0", "--out", o]),
        "--batch",
        Some(&out),
    );
    fails_with(
        &with(&base, &["--threads", "0", "--out", o]),
        "--threads",
        Some(&out),
    );
    fails_with(
        &with(&base, &["--cpu-watts=-3", "--out", o]),
        "--cpu-watts",
        Some(&out),
    );
    fails_with(
        &[
            "compare",
            "--preset",
            "tiny",
            "--model",
            "nosuchnet",
            "--out",
            o,
        ],
        "nosuchnet",
        Some(&out),
    );
    fails_with(
        &[
            "compare",
            "--preset",
            "nosuchpreset",
            "--model",
            "lenet5",
            "--out",
            o,
        ],
        "nosuchpreset",
        Some(&out),
    );
    fails_with(
        &["analyze", "--model", "lenet5", "--batch", "16,0"],
        "--batch",
        None,
    );
    fails_with(&["analyze", "--model", "nosuchnet"], "nosuchnet", None);
    fails_with(
        &["sweep", "--model", "lenet5", "--tn", "3", "--out", o],
        "--tn 3",
        Some(&out),
    );
    fails_with(
        &[
            "sweep", "--model", "lenet5", "--tn", "4", "--sb-kb", "128", "--out", o,
        ],
        "--tn 4 --sb-kb 128",
        Some(&out),
    );
    fails_with(
        &["sweep", "--model", "lenet5", "--sb-kb", "16,x", "--out", o],
        "--sb-kb",
        Some(&out),
    );
    fails_with(
        &["sweep", "--model", "lenet5", "--tn", "", "--out", o],
        "--tn",
        Some(&out),
    );
    // nothing but the file we made
    assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
}
