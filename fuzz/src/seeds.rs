//! Valid inputs for every target, made by the toolkit's own writers: the
//! starting corpus of the fuzzers and of the corpus test.

use arch::AccelConfig;
use flate2::write::GzEncoder;
use std::io::Write;

fn workspace(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(rel)
}

fn file(rel: &str) -> Vec<u8> {
    std::fs::read(workspace(rel)).unwrap_or_else(|e| panic!("seed {rel}: {e}"))
}

fn small_program() -> Vec<arch::isa::Instruction> {
    let cfg = AccelConfig::tiny();
    let l: firmware::LayerSpec = "conv:nx=4,ny=4,k=3,pad=1,ni=4,no=4,act=relu"
        .parse()
        .expect("seed layer");
    let mut p = firmware::compile(&cfg, &l, 1)
        .expect("seed program")
        .program;
    let pool: firmware::LayerSpec = "pool:nx=4,ny=4,ni=4,k=2,s=2,kind=avg"
        .parse()
        .expect("pool");
    p.extend(
        firmware::compile(&cfg, &pool, 1)
            .expect("pool program")
            .program,
    );
    p
}

fn gz(b: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).expect("gzip");
    e.finish().expect("gzip")
}

fn idx_images(n: u32) -> Vec<u8> {
    let mut v = vec![0, 0, 8, 3];
    for x in [n, 28, 28] {
        v.extend_from_slice(&x.to_be_bytes());
    }
    v.extend((0..n * 784).map(|i| (i % 251) as u8));
    v
}

fn idx_labels(n: u32) -> Vec<u8> {
    let mut v = vec![0, 0, 8, 1];
    v.extend_from_slice(&n.to_be_bytes());
    v.extend((0..n).map(|i| (i % 10) as u8));
    v
}

fn npy_f32(shape: &[usize]) -> Vec<u8> {
    let d = std::env::temp_dir().join(format!("fuzz-seed-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    let p = d.join("x.npy");
    let n: usize = shape.iter().product();
    let data: Vec<f32> = (0..n).map(|i| i as f32 * 0.25 - 1.0).collect();
    runtime::npy::write(&p, shape, &data).expect("npy");
    let b = std::fs::read(&p).expect("npy");
    let _ = std::fs::remove_dir_all(&d);
    b
}

fn npy_labels() -> Vec<u8> {
    let d = std::env::temp_dir().join(format!("fuzz-seed-l-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    let p = d.join("l.npy");
    runtime::npy::write_labels(&p, &[3, 1, 4, 1, 5]).expect("labels");
    let b = std::fs::read(&p).expect("labels");
    let _ = std::fs::remove_dir_all(&d);
    b
}

fn checkpoint() -> Vec<u8> {
    use train::checkpoint::{Checkpoint, DataFingerprint, RngPosition};
    let cfg = train::TrainConfig::default();
    let engine = train::cpu::CpuEngine::new(train::net::Net::micro(), 1).expect("micro engine");
    let ck = Checkpoint::new(
        &cfg,
        &engine,
        1,
        10,
        RngPosition {
            seed: 1,
            next_epoch: 1,
        },
        DataFingerprint {
            train: "0123456789abcdef".into(),
            test: "fedcba9876543210".into(),
            train_examples: 64,
            test_examples: 32,
        },
        Vec::new(),
    );
    let d = std::env::temp_dir().join(format!("fuzz-seed-c-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    let p = d.join("ck.json");
    ck.save(&p).expect("checkpoint");
    let b = std::fs::read(&p).expect("checkpoint");
    let _ = std::fs::remove_dir_all(&d);
    b
}

/// The seeds of target `name`: `(file name, bytes)`.
pub fn seeds(name: &str) -> Vec<(String, Vec<u8>)> {
    let s = |n: &str, b: Vec<u8>| (n.to_string(), b);
    match name {
        "decode" => {
            let mut b = Vec::new();
            for i in small_program() {
                for w in i.encode().expect("encode") {
                    b.extend_from_slice(&w.to_le_bytes());
                }
            }
            vec![s("conv_pool.bin", b)]
        }
        "program" => vec![s(
            "conv_pool.dnp",
            arch::isa::program::to_bytes(&small_program()).expect("program"),
        )],
        "asm" => vec![s(
            "conv_pool.asm",
            arch::isa::asm::print_program(&small_program()).into_bytes(),
        )],
        "config_toml" | "config_json" => {
            let f = if name == "config_toml" {
                runtime::configs::Format::Toml
            } else {
                runtime::configs::Format::Json
            };
            ["tiny", "diannao", "kv260"]
                .iter()
                .map(|p| {
                    let c = AccelConfig::preset(p).expect("preset");
                    s(
                        p,
                        runtime::configs::render(&c, f)
                            .expect("render")
                            .into_bytes(),
                    )
                })
                .collect()
        }
        "model_toml" => ["lenet5", "resnet18", "mobilenet_v1"]
            .iter()
            .map(|m| s(m, file(&format!("firmware/models/{m}.toml"))))
            .collect(),
        "scalesim_csv" => {
            let m = firmware::Model::load("mobilenet_v1").expect("model");
            vec![s(
                "mobilenet_v1.csv",
                firmware::scalesim::write(&m).expect("csv").csv.into_bytes(),
            )]
        }
        "onnx" => ["mlp", "cnn", "resblock"]
            .iter()
            .map(|m| s(m, file(&format!("onnx/tests/data/{m}.onnx"))))
            .collect(),
        "npy" => vec![
            s("x4d.npy", npy_f32(&[2, 3, 2, 2])),
            s("x2d.npy", npy_f32(&[3, 5])),
        ],
        "npy_labels" => vec![s("labels.npy", npy_labels())],
        "idx" => vec![
            s("images", [&[0u8][..], &idx_images(2)].concat()),
            s("labels", [&[1u8][..], &idx_labels(3)].concat()),
        ],
        "idx_gz" => vec![
            s("images.gz", [&[0u8][..], &gz(&idx_images(2))].concat()),
            s("labels.gz", [&[1u8][..], &gz(&idx_labels(3))].concat()),
        ],
        "checkpoint" => vec![s("micro.json", checkpoint())],
        other => panic!("no target {other}"),
    }
}
