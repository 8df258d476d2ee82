//! End-to-end tests of `diannao simulate`, `verify` and `bench`: the JSON
//! figures agree with the simulator's own statistics for the same program,
//! the simulator matches the fixed-point reference on every layer type, and
//! every bad input gives one `error: ...` line and exit code 1.

use arch::AccelConfig;
use firmware::{LayerSpec, Model};
use serde_json::Value;

mod common;

use common::{fails, ok, run};

/// Cycles of `layer` compiled for `cfg`, run directly on `sim::Machine` (zero data: timing is data-independent).
fn sim_cycles(cfg: &AccelConfig, layer: &LayerSpec, batch: u32) -> u64 {
    let c = firmware::compile(cfg, layer, batch).unwrap();
    let mut dram = sim::Dram::new(cfg.dram.size_bytes);
    let mut m = sim::Machine::new(cfg.clone()).unwrap();
    m.run(&c.program, &mut dram).unwrap().cycles
}

fn json(args: &[&str]) -> Value {
    serde_json::from_str(&ok(args)).expect("valid JSON")
}

#[test]
fn json_cycles_equal_the_simulators_own() {
    let spec = "conv:nx=9,ny=7,k=3,ni=5,no=6,pad=1,act=relu";
    let v = json(&[
        "simulate", "--preset", "tiny", "--layer", spec, "--batch", "2", "--json",
    ]);
    let layer: LayerSpec = spec.parse().unwrap();
    let l = &v["layers"][0];
    assert_eq!(
        l["cycles"].as_u64().unwrap(),
        sim_cycles(&AccelConfig::tiny(), &layer, 2)
    );
    assert_eq!(l["useful_macs"].as_u64().unwrap(), 2 * layer.macs());
    assert_eq!(v["energy_table"], "horowitz45");
    assert!(l["saturations"].is_u64() && l["dram_read_bytes"].as_u64().unwrap() > 0);
    let u = l["utilisation"].as_f64().unwrap();
    assert!(u > 0.0 && u <= 1.0, "{u}");
    assert_eq!(l["counters"]["cycles"], l["cycles"]);

    let v = json(&[
        "simulate", "--preset", "tiny", "--model", "lenet5", "--json", "--quiet",
    ]);
    let m = Model::load("lenet5").unwrap();
    let layers = v["layers"].as_array().unwrap();
    assert_eq!(layers.len(), m.layers.len());
    let mut total = 0;
    for (j, ml) in layers.iter().zip(&m.layers) {
        assert_eq!(j["name"], ml.name.as_str());
        let c = sim_cycles(&AccelConfig::tiny(), &ml.spec, 1);
        assert_eq!(j["cycles"].as_u64().unwrap(), c, "{}", ml.name);
        total += c;
    }
    assert_eq!(v["total"]["cycles"].as_u64().unwrap(), total);
    let e = &v["total"]["energy"];
    let parts: f64 = ["nfu_pj", "nbin_pj", "sb_pj", "nbout_pj", "dram_pj"]
        .iter()
        .map(|k| e[k].as_f64().unwrap())
        .sum();
    assert!((parts - e["total_pj"].as_f64().unwrap()).abs() < 1e-6 * parts);
}

#[test]
fn table_csv_and_energy_table_choice() {
    let args = [
        "simulate",
        "--preset",
        "tiny",
        "--layer",
        "class:ni=40,no=9",
    ];
    let t = ok(&args);
    assert!(
        t.contains("energy table horowitz45") && t.contains("saturations") && t.contains("total"),
        "{t}"
    );
    let csv = ok(&[&args[..], &["--csv", "--energy", "dnnsim"]].concat());
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("layer,type,") && lines[0].contains("saturations"));
    assert!(lines[1].starts_with("layer,class,") && lines[1].ends_with(",dnnsim"));
    assert!(lines[2].starts_with("total,"));
    let a = json(&[&args[..], &["--json"]].concat());
    let b = json(&[&args[..], &["--json", "--energy", "dnnsim"]].concat());
    assert_eq!(b["energy_table"], "dnnsim");
    assert_eq!(a["total"]["cycles"], b["total"]["cycles"]);
    assert_ne!(
        a["total"]["energy"]["total_pj"],
        b["total"]["energy"]["total_pj"]
    );
}

#[test]
fn verify_passes_on_every_layer_type() {
    for (preset, layer, batch) in [
        (
            "tiny",
            "conv:nx=11,ny=9,kx=3,ky=5,ni=6,no=7,sx=2,sy=1,pad=1,act=sigmoid",
            "2",
        ),
        ("tiny", "pool:nx=9,ny=9,k=3,s=2,ni=5,kind=max", "2"),
        ("tiny", "pool:nx=8,ny=8,k=3,s=1,pad=1,ni=6,kind=avg", "1"),
        ("tiny", "class:ni=70,no=13,act=tanh", "3"),
        (
            "diannao",
            "conv:nx=12,ny=12,k=3,ni=20,no=33,pad=1,act=relu",
            "1",
        ),
    ] {
        let out = ok(&[
            "verify", "--preset", preset, "--layer", layer, "--batch", batch, "--seed", "5",
        ]);
        assert!(
            out.contains(" OK ") && out.contains("all 1 layers OK") && !out.contains("MISMATCH"),
            "{layer}: {out}"
        );
    }
    let out = ok(&["verify", "--preset", "tiny", "--model", "lenet5"]);
    assert_eq!(out.matches(" OK ").count(), 6, "{out}");
}

#[test]
fn vcd_traces_small_layers_and_refuses_long_ones() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.vcd");
    let ps = p.to_str().unwrap();
    ok(&[
        "simulate",
        "--preset",
        "tiny",
        "--layer",
        "conv:nx=6,ny=6,k=3,ni=4,no=4",
        "--vcd",
        ps,
    ]);
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(
        text.starts_with("$timescale") && text.contains("$enddefinitions"),
        "{}",
        &text[..text.len().min(200)]
    );
    std::fs::remove_file(&p).unwrap();
    fails(
        &[
            "simulate",
            "--preset",
            "tiny",
            "--layer",
            "conv:nx=6,ny=6,k=3,ni=4,no=4",
            "--vcd",
            ps,
            "--vcd-max-cycles",
            "10",
        ],
        &["more than the limit of 10"],
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "a refused trace leaves no file"
    );
    fails(
        &[
            "simulate", "--preset", "tiny", "--model", "lenet5", "--vcd", ps,
        ],
        &["--vcd", "--layer"],
    );
    fails(
        &[
            "simulate",
            "--preset",
            "tiny",
            "--layer",
            "class:ni=4,no=4",
            "--vcd",
            "/nonexistent-dir/t.vcd",
        ],
        &["cannot write VCD file", "does not exist"],
    );
}

#[test]
fn bench_reports_speed() {
    let v = json(&[
        "bench",
        "--preset",
        "tiny",
        "--layer",
        "conv:nx=8,ny=8,k=3,ni=8,no=8",
        "--repeat",
        "1",
        "--json",
    ]);
    let l = &v["layers"][0];
    assert!(l["cycles"].as_u64().unwrap() > 0 && l["cycles_per_s"].as_f64().unwrap() > 0.0);
    assert!(
        l["host_1t_macs_per_s"].as_f64().unwrap() > 0.0
            && l["host_all_macs_per_s"].as_f64().unwrap() > 0.0
    );
    // the ratio targets (values vary by machine: only their arithmetic is
    // checked, never a speed)
    let t = v["targets"].as_array().expect("targets");
    assert_eq!(t.len(), 2, "{t:?}");
    let host = l["host_1t"]["median_s"].as_f64().unwrap();
    let sim = l["sim"]["median_s"].as_f64().unwrap();
    let (mac, fwd) = (&t[0], &t[1]);
    assert!((mac["value"].as_f64().unwrap() - host / sim).abs() <= 1e-9 * (host / sim));
    assert!((fwd["value"].as_f64().unwrap() - sim / host).abs() <= 1e-9 * (sim / host));
    assert_eq!(mac["target"].as_f64().unwrap(), 1.0 / 3.0);
    assert_eq!(fwd["target"].as_f64().unwrap(), 2.0);
    assert_eq!(
        fwd["met"].as_bool().unwrap(),
        fwd["value"].as_f64().unwrap() <= 2.0
    );
}

#[test]
fn bench_workloads_times_an_epoch_and_a_sweep_point() {
    // plumbing and arithmetic only (no timed assertion), at sizes below the
    // targets', so no target is judged
    let v = json(&[
        "bench",
        "--workloads",
        "--digits",
        "64",
        "--test-digits",
        "32",
        "--sweep-model",
        "lenet5",
        "--sweep-batch",
        "2",
        "--json",
    ]);
    let e = &v["epoch"];
    assert_eq!(e["net"], "lenet5");
    assert_eq!(
        (e["digits"].as_u64(), e["test_digits"].as_u64()),
        (Some(64), Some(32))
    );
    assert!(e["accel_cycles"].as_u64().unwrap() > 0 && e["wall_s"].as_f64().unwrap() > 0.0);
    let p = &v["sweep"];
    assert_eq!(
        (p["model"].as_str(), p["batch"].as_u64()),
        (Some("lenet5"), Some(2))
    );
    assert_eq!(p["config"], "tn16-sb32k");
    assert!(p["cycles"].as_u64().unwrap() > 0);
    // Linux: the sweep's own peak resident set (reset before it)
    assert!(p["peak_rss_bytes"].as_u64().unwrap() > 1 << 20, "{p}");
    assert_eq!(v["targets"].as_array().map(Vec::len), Some(0), "{v}");
    fails(
        &["bench", "--workloads", "--digits", "0"],
        &["--digits must be at least 1"],
    );
}

#[test]
fn bench_backends_times_one_vector_on_each_backend() {
    // plumbing only (no timed assertion): a tiny layer on the simulator,
    // rust-hdl and Verilator (its start-up probe included)
    let l = "pool:nx=4,ny=4,kx=2,ky=2,ni=4,kind=max";
    let v = json(&[
        "bench",
        "--preset",
        "tiny",
        "--layer",
        l,
        "--backends",
        "sim,sim-stepped,rtl,verilator",
        "--json",
    ]);
    let runs = v["runs"].as_array().unwrap();
    let names: Vec<&str> = runs
        .iter()
        .map(|r| r["backend"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["sim", "sim-stepped", "rtl", "verilator"]);
    assert_eq!(v["reference"], "sim");
    let cycles = runs[0]["cycles"].as_u64().unwrap();
    assert!(cycles > 0);
    for r in runs {
        assert_eq!(r["cycles"].as_u64(), Some(cycles), "{r}");
        assert!(
            r["cannot_run"].is_null() && r["wall_s"].as_f64().unwrap() >= 0.0,
            "{r}"
        );
    }
    assert_eq!(runs[0]["sim_ratio"].as_f64(), Some(1.0));
    let t = &runs[3]["verilator"];
    assert_eq!(t["threads"], 1);
    assert!(t["build_cached"].is_boolean(), "{t}");
    assert!(t["startup_s"].as_f64().unwrap() > 0.0, "{t}");
    assert!(t["full_s"].as_f64().unwrap() > 0.0, "{t}");

    // the table; rust-hdl cannot run the diannao structure: a row, not a failure
    let out = ok(&[
        "bench",
        "--preset",
        "diannao",
        "--layer",
        "conv:nx=4,ny=4,k=3,ni=16,no=16,pad=1",
        "--backends",
        "sim,rtl",
    ]);
    assert!(out.contains("bench backends: layer (conv:"), "{out}");
    let rtl = out
        .lines()
        .find(|l| l.starts_with("rtl "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        rtl.contains("cannot run: rust-hdl") && rtl.contains("too slow"),
        "{out}"
    );
    assert!(out.contains("agrees with sim"), "{out}");

    fails(
        &[
            "bench",
            "--preset",
            "tiny",
            "--layer",
            l,
            "--backends",
            "sim,nope",
        ],
        &["unknown backend `nope`", "verilator-mt"],
    );
    fails(
        &[
            "bench",
            "--preset",
            "tiny",
            "--layer",
            "conv99",
            "--backends",
            "sim",
        ],
        &["alexnet has no layer `conv99`"],
    );
    fails(
        &[
            "bench", "--preset", "tiny", "--model", "alexnet", "--layer", l,
        ],
        &["give exactly one of --model and --layer"],
    );
}

#[test]
fn bad_inputs_are_one_line_errors() {
    let l = "conv:nx=8,ny=8,k=3,ni=4,no=4";
    for sub in ["simulate", "verify"] {
        fails(
            &[sub, "--preset", "tiny", "--model", "no_such_model"],
            &["no_such_model", "built-in models"],
        );
        fails(
            &[sub, "--preset", "no_such_preset", "--layer", l],
            &["no_such_preset"],
        );
        fails(
            &[sub, "--preset", "tiny", "--layer", l, "--batch", "0"],
            &["batch must be at least 1"],
        );
        fails(
            &[
                sub,
                "--preset",
                "tiny",
                "--layer",
                "conv:nx=0,ny=8,k=3,ni=4,no=4",
            ],
            &["field `nx` must be at least 1"],
        );
        fails(
            &[
                sub,
                "--preset",
                "tiny",
                "--layer",
                "conv:nx=8,ny=8,k=11,ni=4,no=4",
            ],
            &["field `kx`", "larger than the padded input"],
        );
        fails(
            &[
                sub,
                "--preset",
                "tiny",
                "--layer",
                "pool:nx=8,ny=8,k=2,s=0,ni=4,kind=max",
            ],
            &["field `sx` must be at least 1"],
        );
        fails(
            &[
                sub,
                "--preset",
                "tiny",
                "--layer",
                "conv:nx=65536,ny=65536,k=3,ni=16,no=4",
            ],
            &["field `nx`", "32-bit addresses"],
        );
        fails(
            &[sub, "--preset", "tiny", "--layer", "class:ni=60000,no=5000"],
            &["DRAM"],
        );
        fails(&[sub, "--preset", "tiny"], &["--model", "--layer"]);
    }
    fails(
        &[
            "simulate",
            "--preset",
            "tiny",
            "--layer",
            l,
            "--energy",
            "no_such_table",
        ],
        &["no_such_table", "horowitz45"],
    );
    fails(
        &["bench", "--preset", "tiny", "--layer", l, "--batch", "0"],
        &["batch must be at least 1"],
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "name = \"m\"\ninput = [1, 8, 8]\n\n[[layer]]\nname = \"c\"\ntype = \"conv\"\nk = 3\nno = 0\n").unwrap();
    let msg = fails(
        &[
            "simulate",
            "--preset",
            "tiny",
            "--model",
            bad.to_str().unwrap(),
        ],
        &["bad.toml:8", "field `no`"],
    );
    assert!(!msg.contains("panicked"), "{msg}");
}

#[test]
fn plan_prints_the_tilers_choice_and_traffic() {
    let layer = "conv:nx=9,ny=9,kx=3,ky=3,ni=5,no=6,pad=1";
    let out = ok(&["simulate", "--preset", "tiny", "--layer", layer, "--plan"]);
    assert!(
        out.contains("plan of layer: tiles:") && out.contains("predicted DRAM traffic:"),
        "{out}"
    );
    let cfg = AccelConfig::tiny();
    let spec: LayerSpec = layer.parse().unwrap();
    let want = firmware::compile(&cfg, &spec, 1).unwrap().plan.to_string();
    let v = json(&["simulate", "--preset", "tiny", "--layer", layer, "--json"]);
    assert_eq!(v["layers"][0]["plan"].as_str(), Some(want.as_str()));
    // the prediction against the simulation
    let l = &v["layers"][0];
    let (p, c) = (
        l["predicted_cycles"].as_f64().unwrap(),
        l["cycles"].as_f64().unwrap(),
    );
    assert!(p > 0.0 && c > 0.0);
    // (serde_json's float parsing may differ from the printed value by an ulp)
    let e = l["prediction_error"].as_f64().unwrap();
    assert!(
        (e - (p - c) / c).abs() < 1e-12,
        "{e} against {}",
        (p - c) / c
    );
    assert!(
        out.contains(&format!(
            "predicted {p} cycles for the layer, simulated {c} ("
        )),
        "{out}"
    );
    // the tiler's traffic against the least a search finds: the plan's
    // bytes are the compiled program's, the search's come from its own plan
    let t = &l["traffic_search"];
    let compiled = firmware::compile(&cfg, &spec, 1).unwrap();
    let (_, least) = firmware::codegen::least_traffic_plan(&cfg, &spec, 1).unwrap();
    assert_eq!(
        t["plan_bytes"].as_u64(),
        Some(compiled.plan.cost.dram_bytes)
    );
    assert_eq!(t["least_bytes"].as_u64(), Some(least.cost.dram_bytes));
    assert_eq!(
        t["least_predicted_cycles"].as_u64(),
        Some(least.cost.cycles)
    );
    let as_fast = t["least_bytes_as_fast"].as_u64().unwrap();
    assert!(
        least.cost.dram_bytes <= as_fast && as_fast <= compiled.plan.cost.dram_bytes,
        "{t}"
    );
    let ratio = t["ratio"].as_f64().unwrap();
    assert!(ratio >= 1.0, "{ratio}");
    assert!(
        (ratio - compiled.plan.cost.dram_bytes as f64 / least.cost.dram_bytes as f64).abs() < 1e-12
    );
    assert!(
        out.contains(&format!(
            "the least a search of every tiling finds: {} bytes",
            least.cost.dram_bytes
        )),
        "{out}"
    );
    // element-wise layers have no such search
    let v = json(&[
        "simulate",
        "--preset",
        "tiny",
        "--layer",
        "add:c=8,h=4,w=4",
        "--json",
    ]);
    assert!(v["layers"][0]["traffic_search"].is_null(), "{v}");
}

#[test]
fn verify_backends_replays_a_layer_on_every_backend() {
    let out = ok(&[
        "verify",
        "--preset",
        "tiny",
        "--layer",
        "pool:nx=4,ny=4,kx=2,ky=2,ni=4,kind=max",
        "--backends",
        "sim,sim-stepped,rtl,verilator",
    ]);
    assert!(
        out.contains("IDENTICAL") && out.contains("verilator"),
        "{out}"
    );
    fails(
        &[
            "verify",
            "--preset",
            "tiny",
            "--layer",
            "pool:nx=4,ny=4,kx=2,ky=2,ni=4,kind=avg",
            "--backends",
            "sim,nope",
        ],
        &["unknown backend `nope`"],
    );
    // a backend that cannot run the layer is "could not run", not "differ"
    let o = run(&[
        "verify",
        "--preset",
        "diannao",
        "--layer",
        "pool:nx=4,ny=4,kx=2,ky=2,ni=4",
        "--backends",
        "sim,rtl",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!o.status.success(), "{out}");
    assert!(
        out.contains("COULD NOT RUN") && out.contains("too slow"),
        "{out}"
    );
    assert!(!out.contains("DIFFER"), "{out}");
}

/// The board presets: the AXI-wrapped RTL under the board's DDR model gives
/// the simulator's whole DRAM, status and cycle count.
#[test]
fn verify_board_presets_on_verilator_axi_with_equal_cycles() {
    fn cycles(out: &str, backend: &str) -> u64 {
        let k = out
            .find(&format!(" {backend} "))
            .unwrap_or_else(|| panic!("no {backend} in {out}"));
        let rest = &out[k + backend.len() + 2..];
        rest.split_whitespace().next().unwrap().parse().unwrap()
    }
    for (preset, layer) in [
        ("zcu104", "conv:nx=6,ny=6,k=3,ni=32,no=64,act=relu"),
        ("kv260", "pool:nx=8,ny=8,k=2,s=2,ni=32,kind=max"),
    ] {
        let out = ok(&[
            "verify",
            "--preset",
            preset,
            "--layer",
            layer,
            "--backends",
            "sim,verilator-axi",
        ]);
        assert!(out.contains("IDENTICAL"), "{preset}: {out}");
        assert_eq!(cycles(&out, "sim"), cycles(&out, "verilator-axi"), "{out}");
    }
}

#[test]
fn verify_writes_the_simulators_vcd_for_one_layer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.vcd");
    let p = path.to_str().unwrap();
    ok(&[
        "verify",
        "--preset",
        "tiny",
        "--layer",
        "conv:nx=5,ny=5,kx=3,ky=3,ni=4,no=4",
        "--vcd",
        p,
    ]);
    let text = std::fs::read_to_string(&path).unwrap();
    for sig in [
        "$scope module cp",
        "pc $end",
        "$scope module nfu",
        "busy $end",
        "grant $end",
    ] {
        assert!(text.contains(sig), "missing {sig}");
    }
    fails(
        &[
            "verify", "--preset", "tiny", "--model", "lenet5", "--vcd", p,
        ],
        &["--vcd"],
    );
}

#[test]
fn every_layer_reports_its_roofline_bound_and_never_beats_it() {
    // lenet5 on tiny: conv, pool and classifier layers
    let v = json(&[
        "simulate", "--preset", "tiny", "--model", "lenet5", "--json",
    ]);
    let tn = 4u64;
    for l in v["layers"].as_array().unwrap() {
        let r = &l["roofline"];
        let g = |k: &str| r[k].as_u64().unwrap();
        let cycles = l["cycles"].as_u64().unwrap();
        let useful = l["useful_macs"].as_u64().unwrap();
        let peak = if l["type"] == "pool" { tn } else { tn * tn };
        assert_eq!(g("compute_cycles"), useful.div_ceil(peak), "{l}");
        assert_eq!(
            g("memory_cycles"),
            l["counters"]["port_busy"].as_u64().unwrap(),
            "{l}"
        );
        assert_eq!(
            g("bound_cycles"),
            g("compute_cycles").max(g("memory_cycles"))
        );
        let of = r["of_bound"].as_f64().unwrap();
        assert!(
            (of - g("bound_cycles") as f64 / cycles as f64).abs() < 1e-12,
            "{r}"
        );
        // the NFU does at most its peak per cycle and the port one beat
        assert!(
            of > 0.0 && of <= 1.0,
            "{} beats its roofline: {r}",
            l["name"]
        );
    }
}
