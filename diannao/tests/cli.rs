//! End-to-end tests of the `diannao` binary: output formats, round trips,
//! and that every bad input gives one `error: ...` line, exit code 1, no
//! panic and no partial output file.

use arch::isa::fields::{self, F, INSTR_BYTES, INSTR_WORDS};
use arch::isa::program::HEADER_BYTES;
use arch::AccelConfig;
use std::path::{Path, PathBuf};

mod common;

use common::{ok, stderr, stdout};
const SUBCOMMANDS: &[&str] = &["presets", "asm", "disasm", "isa-doc", "config", "export"];

fn hello() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/hello.s")
}

/// [`common::fails`], and nothing on standard output.
fn fails(args: &[&str], want: &[&str]) -> String {
    let o = common::fails_output(args, want);
    assert!(
        o.stdout.is_empty(),
        "diannao {args:?} printed to stdout: {}",
        stdout(&o)
    );
    stderr(&o)
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

#[test]
fn help_on_every_subcommand() {
    let top = ok(&["--help"]);
    for sub in SUBCOMMANDS {
        assert!(top.contains(sub), "top-level help does not list {sub}");
        let h = ok(&[sub, "--help"]);
        assert!(
            h.contains("Usage: diannao") && h.contains(sub),
            "{sub} --help: {h}"
        );
    }
}

#[test]
fn usage_errors_are_one_line() {
    fails(&[], &["no subcommand"]);
    fails(&["frobnicate"], &["frobnicate"]);
    fails(&["asm"], &["--output"]);
    fails(&["config", "--json", "--toml"], &["--json"]);
}

#[test]
fn presets_json_has_every_preset_and_correct_figures() {
    let v: serde_json::Value =
        serde_json::from_str(&ok(&["presets", "--json"])).expect("valid JSON");
    let arr = v.as_array().expect("a JSON array");
    let presets = AccelConfig::presets();
    assert_eq!(arr.len(), presets.len());
    for (j, c) in arr.iter().zip(&presets) {
        assert_eq!(j["name"], c.name.as_str());
        assert_eq!(j["tn"], c.tn);
        let d = &j["derived"];
        assert_eq!(d["peak_macs_per_cycle"], c.tn as u64 * c.tn as u64);
        assert_eq!(d["peak_ops_per_cycle"], c.peak_ops_per_cycle());
        assert_eq!(d["onchip_bytes"], c.onchip_bytes());
        assert_eq!(d["nbin_rows"], c.nbin_rows());
        assert_eq!(d["sb_rows"], c.sb_rows());
        assert_eq!(d["nbout_rows"], c.nbout_rows());
        let gops = d["peak_gops"].as_f64().unwrap();
        assert!((gops - c.peak_ops_per_cycle() as f64 * c.clock_mhz / 1000.0).abs() < 1e-9);
    }
    let dn = arr
        .iter()
        .find(|j| j["name"] == "diannao")
        .expect("diannao preset");
    assert_eq!(dn["derived"]["peak_ops_per_cycle"], 496);
    assert_eq!(dn["derived"]["peak_macs_per_cycle"], 256);
    assert!((dn["derived"]["peak_gops"].as_f64().unwrap() - 486.08).abs() < 1e-9);
}

#[test]
fn presets_table_lists_every_preset() {
    let t = ok(&["presets"]);
    for n in arch::config::PRESET_NAMES {
        assert!(t.contains(n), "{t}");
    }
    assert!(t.contains("496") && t.contains("486.1"), "{t}");
}

#[test]
fn asm_disasm_asm_roundtrip() {
    let d = tempfile::tempdir().unwrap();
    let (b1, s1, b2) = (
        d.path().join("a.bin"),
        d.path().join("a.s"),
        d.path().join("b.bin"),
    );
    for preset in ["diannao", "tiny"] {
        ok(&["asm", s(&hello()), "-o", s(&b1), "--preset", preset]);
        let text = ok(&["disasm", s(&b1)]);
        assert_eq!(text.lines().count(), 3, "{text}");
        ok(&["disasm", s(&b1), "-o", s(&s1)]);
        assert_eq!(std::fs::read_to_string(&s1).unwrap(), text);
        ok(&["asm", s(&s1), "-o", s(&b2), "--preset", preset]);
        assert_eq!(std::fs::read(&b1).unwrap(), std::fs::read(&b2).unwrap());
    }
    assert_eq!(files_in(d.path()), vec!["a.bin", "a.s", "b.bin"]);
}

#[test]
fn isa_doc_prints_the_generated_reference() {
    assert_eq!(ok(&["isa-doc"]), arch::isa::doc::markdown());
}

#[test]
fn config_files_roundtrip_and_work_as_presets() {
    let d = tempfile::tempdir().unwrap();
    let (t, j, bin) = (
        d.path().join("my.toml"),
        d.path().join("my.json"),
        d.path().join("p.bin"),
    );
    ok(&["config", "--preset", "tiny", "--toml", "-o", s(&t)]);
    ok(&["config", "--preset", "tiny", "--json", "-o", s(&j)]);
    assert_eq!(
        ok(&["config", "--preset", "tiny"]),
        std::fs::read_to_string(&t).unwrap()
    );
    assert_eq!(AccelConfig::load(&t).unwrap(), AccelConfig::tiny());
    assert_eq!(AccelConfig::load(&j).unwrap(), AccelConfig::tiny());
    ok(&["asm", s(&hello()), "-o", s(&bin), "--preset", s(&t)]);
    ok(&["asm", s(&hello()), "-o", s(&bin), "--preset", s(&j)]);
    let p: serde_json::Value =
        serde_json::from_str(&ok(&["presets", "--json", "--preset", s(&t)])).unwrap();
    assert_eq!(
        p[0]["derived"]["peak_ops_per_cycle"],
        AccelConfig::tiny().peak_ops_per_cycle()
    );
}

/// A temp dir with a config file whose `from` text is replaced by `to`.
fn bad_config(from: &str, to: &str) -> (tempfile::TempDir, PathBuf, usize) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("bad.toml");
    let text = ok(&["config", "--preset", "tiny"]);
    assert!(text.contains(from));
    let text = text.replacen(from, to, 1);
    let line = text.lines().position(|l| l.contains(to)).unwrap() + 1;
    std::fs::write(&p, text).unwrap();
    (d, p, line)
}

#[test]
fn bad_presets_and_config_files() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out.bin");
    let h = hello();
    fails(
        &["asm", s(&h), "-o", s(&out), "--preset", "nope"],
        &["unknown preset `nope`", "diannao"],
    );
    fails(&["config", "--preset", "nope"], &["unknown preset"]);
    fails(&["presets", "--preset", "nope"], &["unknown preset"]);
    fails(
        &["config", "--preset", "/no/such/file.toml"],
        &["/no/such/file.toml"],
    );

    // Unknown field: file, line, field.
    let (_d1, p, line) = bad_config("tn = 4", "tnn = 4");
    fails(
        &["asm", s(&h), "-o", s(&out), "--preset", s(&p)],
        &[s(&p), &format!("line {line}"), "tnn"],
    );
    // Wrong type.
    let (_d2, p, line) = bad_config("tn = 4", "tn = \"four\"");
    fails(
        &["config", "--preset", s(&p)],
        &[s(&p), &format!("line {line}"), "`tn`"],
    );
    // Out-of-range value.
    let (_d3, p, line) = bad_config("tn = 4", "tn = 3");
    fails(
        &["presets", "--preset", s(&p)],
        &[s(&p), &format!("line {line}"), "`tn`"],
    );
    let (_d4, p, line) = bad_config("latency_cycles = 6", "latency_cycles = 0");
    fails(
        &["presets", "--preset", s(&p)],
        &[s(&p), &format!("line {line}"), "dram.latency_cycles"],
    );
    // TOML syntax error.
    let (_d5, p, line) = bad_config("sb_bytes = 1024", "sb_bytes = = 1024");
    fails(
        &["presets", "--preset", s(&p)],
        &[s(&p), &format!("line {line}")],
    );
    assert!(!out.exists());
    assert!(files_in(d.path()).is_empty());
}

#[test]
fn bad_assembly() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out.bin");
    let src = d.path().join("bad.s");
    let cases: &[(&str, &[&str])] = &[
        ("end\nnbin.load row=zz\n", &["bad.s:2:15:", "not a number"]),
        ("nbin.frob\nend\n", &["bad.s:1:6:", "frob"]),
        ("nfu.mac ni=0 ; end\n", &["bad.s:1:", "nfu.ni"]),
        (
            "nop\nnbin.load row=63 n0=2 ; end\n",
            &["bad.s:2:", "nbin", "preset `diannao`"],
        ),
        ("nbin.load dram=0x1001 ; end\n", &["bad.s:1:", "aligned"]),
        ("nop\n", &["bad.s", "no `end`"]),
        ("end\nnop\n", &["bad.s:2:", "after `end`"]),
        ("", &["bad.s", "no instructions"]),
    ];
    for (text, want) in cases {
        std::fs::write(&src, text).unwrap();
        fails(&["asm", s(&src), "-o", s(&out)], want);
        assert!(!out.exists(), "{text:?} left an output file");
    }
    // A failed run leaves an existing output untouched.
    std::fs::write(&out, b"old").unwrap();
    std::fs::write(&src, "nbin.load row=zz\n").unwrap();
    fails(&["asm", s(&src), "-o", s(&out)], &["bad.s:1:"]);
    assert_eq!(std::fs::read(&out).unwrap(), b"old");
    assert_eq!(files_in(d.path()), vec!["bad.s", "out.bin"]);
    fails(
        &["asm", s(&d.path().join("missing.s")), "-o", s(&out)],
        &["cannot read", "missing.s"],
    );
}

#[test]
fn bad_binaries() {
    let d = tempfile::tempdir().unwrap();
    let good = d.path().join("good.bin");
    ok(&["asm", s(&hello()), "-o", s(&good)]);
    let bytes = std::fs::read(&good).unwrap();
    let bad = d.path().join("bad.bin");

    std::fs::write(&bad, &bytes[..bytes.len() - 7]).unwrap();
    fails(&["disasm", s(&bad)], &["bad.bin", "truncated"]);
    std::fs::write(&bad, &bytes[..6]).unwrap();
    fails(&["disasm", s(&bad)], &["bad.bin", "truncated"]);

    let mut m = bytes.clone();
    m[..4].copy_from_slice(b"\x7fELF");
    std::fs::write(&bad, &m).unwrap();
    fails(&["disasm", s(&bad)], &["bad.bin", "magic"]);

    let mut t = bytes.clone();
    t.push(0);
    std::fs::write(&bad, &t).unwrap();
    fails(&["disasm", s(&bad)], &["bad.bin", "trailing"]);

    // Corrupt the NFU opcode of instruction 1.
    let mut c = bytes.clone();
    let off = HEADER_BYTES + INSTR_BYTES;
    let mut w = [0u64; INSTR_WORDS];
    for (k, x) in w.iter_mut().enumerate() {
        *x = u64::from_le_bytes(c[off + 8 * k..off + 8 * k + 8].try_into().unwrap());
    }
    let (lsb, width) = (fields::lsb(F::NFU_OP), fields::width(F::NFU_OP));
    for b in 0..width {
        let pos = lsb + b;
        w[(pos / 64) as usize] |= 1 << (pos % 64);
    }
    for (k, x) in w.iter().enumerate() {
        c[off + 8 * k..off + 8 * k + 8].copy_from_slice(&x.to_le_bytes());
    }
    std::fs::write(&bad, &c).unwrap();
    fails(
        &["disasm", s(&bad)],
        &["bad.bin", "instruction 1", "nfu.op"],
    );
    let out = d.path().join("out.s");
    fails(&["disasm", s(&bad), "-o", s(&out)], &["instruction 1"]);
    assert!(!out.exists());
    fails(
        &["disasm", s(&d.path().join("missing.bin"))],
        &["cannot read", "missing.bin"],
    );
}

#[test]
fn unwritable_outputs() {
    let d = tempfile::tempdir().unwrap();
    let h = hello();
    fails(
        &["asm", s(&h), "-o", s(&d.path().join("no/such/dir/out.bin"))],
        &["cannot write", "out.bin"],
    );
    fails(
        &["asm", s(&h), "-o", s(d.path())],
        &["cannot write", "directory"],
    );
    fails(
        &["isa-doc", "-o", s(&d.path().join("nodir/isa.md"))],
        &["cannot write"],
    );
    fails(
        &["config", "-o", s(&d.path().join("nodir/c.toml"))],
        &["cannot write"],
    );
    assert!(files_in(d.path()).is_empty());
}

#[test]
fn unknown_boards_are_named() {
    for cmd in [
        &["hdl", "report", "--board", "zcu999"][..],
        &[
            "hdl",
            "emit",
            "--board",
            "zcu999",
            "--out",
            "/nonexistent/x",
        ][..],
    ] {
        fails(cmd, &["unknown board `zcu999`", "zcu104", "kv260"]);
    }
    fails(
        &["hdl", "report", "--board", "zcu104", "--part", "xck26"],
        &["--board", "--part"],
    );
}

/// `hdl emit` builds any configuration with a top's structure from a file
/// (the training format Q5.10, an edited clock and latency) and refuses a
/// structural field it cannot build, by name; a board project builds its
/// board's preset by default.
#[test]
fn hdl_emit_accepts_edited_configurations_and_names_what_it_cannot_build() {
    let d = tempfile::tempdir().unwrap();
    let write = |name: &str, c: &AccelConfig| {
        let p = d.path().join(name);
        std::fs::write(&p, toml::to_string(c).unwrap()).unwrap();
        p
    };
    let mut q = AccelConfig::kv260();
    q.name = "kv260-q5.10".into();
    q.frac_bits = 10;
    q.clock_mhz = 150.0;
    q.dram.latency_cycles = 80;
    let f = write("q510.toml", &q);
    let out = d.path().join("q510");
    let listed = ok(&["hdl", "emit", "--preset", s(&f), "--out", s(&out)]);
    assert!(listed.contains("top.v"), "{listed}");
    let v = std::fs::read_to_string(out.join("top.v")).unwrap();
    assert!(v.contains("module top"), "no top module");
    let mut bad = AccelConfig::diannao();
    bad.name = "wide".into();
    bad.tn = 8;
    let f = write("tn8.toml", &bad);
    fails(
        &[
            "hdl",
            "emit",
            "--preset",
            s(&f),
            "--out",
            s(&d.path().join("x")),
        ],
        &["field `tn` is 8"],
    );
    let mut bad = AccelConfig::zcu104();
    bad.nbin_bytes /= 2;
    let f = write("nbin.toml", &bad);
    fails(
        &[
            "hdl",
            "emit",
            "--preset",
            s(&f),
            "--out",
            s(&d.path().join("y")),
        ],
        &["field `nbin_bytes`", "`zcu104`"],
    );
    assert!(!d.path().join("x").exists() && !d.path().join("y").exists());
    let b = d.path().join("board");
    ok(&["hdl", "emit", "--board", "kv260", "--out", s(&b)]);
    let readme = std::fs::read_to_string(b.join("README.md")).unwrap();
    assert!(readme.contains("kv260"), "{readme}");
}

/// Convolutions and classifiers of a model, the layers a SCALE-Sim topology holds.
fn scalesim_rows(m: &firmware::Model) -> Vec<&firmware::model::ModelLayer> {
    m.layers
        .iter()
        .filter(|l| {
            matches!(
                l.spec,
                firmware::LayerSpec::Conv(_) | firmware::LayerSpec::Classifier(_)
            )
        })
        .collect()
}

#[test]
fn export_scalesim_reads_back() {
    let d = tempfile::tempdir().unwrap();
    // to a file: the skipped layers on stderr, in one line
    let f = d.path().join("alexnet.csv");
    let o = common::run(&[
        "export",
        "--model",
        "alexnet",
        "--format",
        "scalesim",
        "--out",
        s(&f),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "{}", stdout(&o));
    assert_eq!(
        stderr(&o),
        "skipped (no SCALE-Sim equivalent): pool1, pool2, pool5\n"
    );
    let text = std::fs::read_to_string(&f).unwrap();
    assert!(text.starts_with(
        "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
    ));
    assert!(
        text.contains("\nconv1, 227, 227, 11, 11, 3, 96, 4,\n"),
        "{text}"
    );
    assert!(
        text.contains("\nconv2a, 31, 31, 5, 5, 48, 128, 1,\n"),
        "{text}"
    );
    assert!(
        text.contains("\nfc6, 1, 1, 1, 1, 9216, 4096, 1,\n"),
        "{text}"
    );
    let back = firmware::Model::load(s(&f)).unwrap();
    let orig = firmware::Model::load("alexnet").unwrap();
    let rows = scalesim_rows(&orig);
    assert_eq!(back.layers.len(), rows.len());
    for (b, a) in back.layers.iter().zip(rows) {
        assert_eq!(b.name, a.name);
        assert_eq!(b.spec.macs(), a.spec.macs(), "{}", a.name);
        assert_eq!(b.spec.output_shape(), a.spec.output_shape(), "{}", a.name);
    }

    // to stdout: MobileNet's depthwise rows are marked `DP`
    let o = common::run(&["export", "--model", "mobilenet_v1", "--format", "scalesim"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stderr(&o), "skipped (no SCALE-Sim equivalent): gap\n");
    let text = stdout(&o);
    assert!(
        text.contains("\ndw1_DP, 114, 114, 3, 3, 32, 1, 1,\n"),
        "{text}"
    );
    let f = d.path().join("mobilenet.csv");
    std::fs::write(&f, &text).unwrap();
    let back = firmware::Model::load(s(&f)).unwrap();
    let orig = firmware::Model::load("mobilenet_v1").unwrap();
    assert_eq!(back.layers.len(), scalesim_rows(&orig).len());
    assert_eq!(
        back.macs(),
        orig.macs() - orig.layer("gap").unwrap().spec.macs()
    );
    let ours = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../firmware/tests/data/mobilenet_scalesim.csv"),
    )
    .unwrap();
    let theirs = firmware::scalesim::parse(&ours, "mobilenet_scalesim.csv").unwrap();
    let specs = |m: &firmware::Model| m.layers.iter().map(|l| l.spec).collect::<Vec<_>>();
    assert_eq!(specs(&back), specs(&theirs));

    // a small exported model simulates: every row one layer
    let f = d.path().join("lenet5.csv");
    ok(&[
        "export",
        "--model",
        "lenet5",
        "--format",
        "scalesim",
        "-o",
        s(&f),
    ]);
    let v: serde_json::Value = serde_json::from_str(&ok(&[
        "simulate",
        "--preset",
        "tiny",
        "--model",
        s(&f),
        "--json",
        "--quiet",
    ]))
    .expect("valid JSON");
    let layers = v["layers"].as_array().unwrap();
    let names: Vec<&str> = layers.iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["conv1", "conv2", "ip1", "ip2"]);
    assert!(v["total"]["cycles"].as_u64().unwrap() > 0);
}

#[test]
fn export_errors_are_one_line() {
    let d = tempfile::tempdir().unwrap();
    fails(
        &["export", "--model", "alexnet", "--format", "onnx"],
        &["onnx", "scalesim"],
    );
    fails(&["export", "--model", "alexnet"], &["--format"]);
    fails(
        &["export", "--model", "nosuch", "--format", "scalesim"],
        &["nosuch"],
    );
    // a grouped convolution that is not depthwise
    let m = d.path().join("g.toml");
    std::fs::write(
        &m,
        "name = \"g\"\ninput = [8, 8, 8]\n[[layer]]\nname = \"grp\"\ntype = \"conv\"\nk = 3\ngroups = 2\nno = 8\n",
    )
    .unwrap();
    let out = d.path().join("g.csv");
    fails(
        &[
            "export",
            "--model",
            s(&m),
            "--format",
            "scalesim",
            "--out",
            s(&out),
        ],
        &["layer `grp`", "grouped"],
    );
    assert!(!out.exists());
    // a bad topology names file, line and column
    let bad = d.path().join("bad.csv");
    std::fs::write(
        &bad,
        "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nC1, 8, 8, 9, 3, 1, 1, 1,\n",
    )
    .unwrap();
    fails(
        &["simulate", "--preset", "tiny", "--model", s(&bad)],
        &["bad.csv:2: field `Filter Height`"],
    );
}
