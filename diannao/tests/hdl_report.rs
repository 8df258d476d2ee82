//! `diannao hdl report` on a real Yosys run (tiny preset, KV260 board
//! project's AXI-wrapped top; about a minute), and the board projects'
//! clock refusal.

use std::path::Path;

mod common;

use common::{fails, ok};

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// The report gives NFU, buffers, control and AXI, which add up to the total in every
/// column, the critical-path estimate and the preset's clock beside it.
#[test]
fn tiny_kv260_report_groups_add_up_and_the_clock_is_checked() {
    let d = tempfile::tempdir().unwrap();
    let work = d.path().join("work");
    let t0 = std::time::Instant::now();
    let out = ok(&[
        "hdl",
        "report",
        "--preset",
        "tiny",
        "--board",
        "kv260",
        "--json",
        "--work",
        s(&work),
    ]);
    eprintln!("hdl report --preset tiny --board kv260: {:?}", t0.elapsed());
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let groups = v["groups"].as_array().unwrap();
    let names: Vec<&str> = groups
        .iter()
        .map(|g| g["group"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["NFU", "buffers", "control", "AXI"]);
    for col in [
        "lut",
        "lut_logic",
        "lut_memory",
        "ff",
        "dsp48e2",
        "ramb36e2",
        "ramb18e2",
        "uram288",
        "carry",
    ] {
        let sum: u64 = groups.iter().map(|g| g[col].as_u64().unwrap()).sum();
        assert_eq!(sum, v["total"][col].as_u64().unwrap(), "{col}");
    }
    // the old whole-design fields are the total's
    assert_eq!(v["ff"], v["total"]["ff"]);
    assert_eq!(v["dsp48e2"], v["total"]["dsp48e2"]);
    assert_eq!(
        v["utilisation"][0]["used"].as_u64(),
        v["total"]["lut"].as_u64()
    );
    assert_eq!(v["fits"], true);
    // every group has the part's percentages
    let nfu = &groups[0];
    let dsp = &nfu["utilisation"]["DSP48E2"];
    assert_eq!(dsp["available"].as_f64(), Some(1248.0));
    let p = dsp["percent"].as_f64().unwrap();
    assert!((p - 100.0 * dsp["used"].as_f64().unwrap() / 1248.0).abs() < 1e-9);
    assert!(nfu["dsp48e2"].as_u64().unwrap() >= 16, "{nfu}");
    assert_eq!(
        groups[2]["modules"],
        serde_json::json!(["top$core"]),
        "control = the core minus NFU and buffers"
    );
    // timing estimate beside the preset's 100 MHz
    let t = &v["timing"];
    let ns = t["critical_ns"].as_f64().unwrap();
    assert!(ns > 1.0 && ns < 100.0, "{t}");
    assert!((t["fmax_mhz"].as_f64().unwrap() - 1000.0 / ns).abs() < 1e-9);
    assert!(t["levels"].as_u64().unwrap() > 0);
    assert!(t["method"].as_str().unwrap().contains("per cell"));
    // the longest path ending in each block; the worst of them is the critical path
    let per = t["groups"].as_array().unwrap();
    let names: Vec<&str> = per.iter().map(|g| g["group"].as_str().unwrap()).collect();
    assert_eq!(names, ["NFU", "buffers", "control", "AXI"]);
    let worst = per
        .iter()
        .map(|g| g["critical_ns"].as_f64().unwrap())
        .fold(0.0, f64::max);
    assert!((worst - ns).abs() < 1e-9, "{per:?}");
    let c = &v["clock"];
    assert_eq!(c["clock_mhz"].as_f64(), Some(100.0));
    assert!((c["slack_ns"].as_f64().unwrap() - (10.0 - ns)).abs() < 1e-9);
    let verdict = c["verdict"].as_str().unwrap();
    assert_eq!(
        verdict,
        if ns <= 10.0 {
            "plausible"
        } else {
            "not plausible"
        }
    );
    assert!(c["sentence"]
        .as_str()
        .unwrap()
        .starts_with("clock_mhz = 100 MHz"));
    // the kept blocks and the netlist the estimate read
    let ys = std::fs::read_to_string(work.join("yosys/run.ys")).unwrap();
    assert!(
        ys.contains("setattr -mod -set keep_hierarchy 1 top$core top$core$nfu top$core$buffers"),
        "{ys}"
    );
    assert!(work.join("yosys/netlist.json").is_file());
}

/// A board project for the `diannao` preset (980 MHz) is refused, naming clock_mhz; nothing is written.
#[test]
fn board_emission_refuses_a_clock_the_ps_cannot_supply() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("zcu104");
    fails(
        &[
            "hdl",
            "emit",
            "--preset",
            "diannao",
            "--board",
            "zcu104",
            "--out",
            s(&out),
        ],
        &["clock_mhz = 980 MHz", "pl_clk0", "10..=333 MHz"],
    );
    assert!(!out.exists());
}
