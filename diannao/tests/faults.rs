//! Fault tests: a training run killed (SIGKILL) at random points resumes to
//! bit-identical weights; a full disk while saving keeps the previous file
//! and says so in one line; an interrupt (SIGINT) during `sweep` or
//! `compare` leaves no partial report and no temporary file.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn exe() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_diannao"));
    c.env_remove("DIANNAO_DATA")
        .env_remove(runtime::atomic::INJECT_ENOSPC_ENV);
    c
}

const TRAIN: &[&str] = &[
    "train",
    "--backend",
    "cpu",
    "--quiet",
    "--train-limit",
    "512",
    "--test-limit",
    "128",
    "--epochs",
    "4",
];

fn train_args(out: &Path, resume: bool) -> Vec<String> {
    let mut v: Vec<String> = TRAIN.iter().map(|s| s.to_string()).collect();
    v.extend(["--out".into(), out.to_str().unwrap().into()]);
    if resume {
        v.push("--resume".into());
    }
    v
}

/// The final weights of a run: the checkpoint's engine state.
fn state(out: &Path) -> serde_json::Value {
    let ck: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("checkpoint.json")).unwrap())
            .unwrap();
    assert_eq!(ck["epoch"], 4);
    ck["state"].clone()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn training_killed_at_random_points_resumes_bit_identically() {
    let d = tempfile::tempdir().unwrap();
    let whole = d.path().join("whole");
    let t0 = Instant::now();
    let st = exe().args(train_args(&whole, false)).status().unwrap();
    assert!(st.success());
    let t_run = t0.elapsed();
    let reference = state(&whole);
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut kills = 0;
    for run in 0..3 {
        let out = d.path().join(format!("killed{run}"));
        // kill it up to three times, each at a random point of a run's length
        for _ in 0..3 {
            let resume = out.join("checkpoint.json").is_file();
            let mut child = exe()
                .args(train_args(&out, resume))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(t_run.mul_f64(rng.gen_range(0.05..0.5)));
            if child.try_wait().unwrap().is_none() {
                child.kill().unwrap(); // SIGKILL
                kills += 1;
            }
            let _ = child.wait();
        }
        // then let it finish
        let resume = out.join("checkpoint.json").is_file();
        let st = exe()
            .args(train_args(&out, resume))
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success(), "run {run}");
        assert_eq!(
            state(&out),
            reference,
            "run {run}: weights differ after resume"
        );
        // a SIGKILL cannot be caught: a write it cut short may leave its
        // temporary file (never a destination), which later runs ignore
        let files: Vec<String> = entries(&out)
            .into_iter()
            .filter(|e| !(e.starts_with('.') && e.ends_with(".tmp")))
            .collect();
        assert_eq!(files, ["checkpoint.json", "metrics.csv", "metrics.json"]);
    }
    assert!(
        kills >= 3,
        "only {kills} runs were killed before they finished"
    );
}

#[test]
fn a_full_disk_while_saving_keeps_the_previous_checkpoint_and_report() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("run");
    let mut args = train_args(&out, false);
    let ep = args.iter().position(|a| a == "--epochs").unwrap();
    args[ep + 1] = "1".into();
    assert!(exe().args(&args).status().unwrap().success());
    let before: Vec<(String, Vec<u8>)> = entries(&out)
        .into_iter()
        .map(|e| {
            let b = std::fs::read(out.join(&e)).unwrap();
            (e, b)
        })
        .collect();
    // one more epoch, on a disk that is full after 100 bytes
    let mut args = train_args(&out, true);
    let ep = args.iter().position(|a| a == "--epochs").unwrap();
    args[ep + 1] = "2".into();
    let o = exe()
        .args(&args)
        .env(runtime::atomic::INJECT_ENOSPC_ENV, "100")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    assert!(
        err.contains("checkpoint.json") || err.contains("metrics"),
        "{err}"
    );
    let after: Vec<(String, Vec<u8>)> = entries(&out)
        .into_iter()
        .map(|e| {
            let b = std::fs::read(out.join(&e)).unwrap();
            (e, b)
        })
        .collect();
    assert_eq!(before, after, "the previous files changed");
    // a report directory: the old one stays whole
    let rep = d.path().join("report");
    let sweep = |full: Option<&str>| {
        let mut c = exe();
        c.args([
            "sweep",
            "--model",
            "lenet5",
            "--tn",
            "16",
            "--sb-kb",
            "32",
            "--out",
            rep.to_str().unwrap(),
        ]);
        if let Some(n) = full {
            c.env(runtime::atomic::INJECT_ENOSPC_ENV, n);
        }
        c.output().unwrap()
    };
    assert!(sweep(None).status.success());
    let old = std::fs::read(rep.join("sweep.json")).unwrap();
    let o = sweep(Some("10"));
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    // progress lines, then one error line naming the report's file
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert_eq!(err.trim_end().lines().last(), Some(errors[0]));
    assert!(errors[0].contains("No space left on device"), "{err}");
    assert!(errors[0].contains("report/sweep.csv"), "{err}");
    assert_eq!(std::fs::read(rep.join("sweep.json")).unwrap(), old);
    assert!(
        entries(d.path()).iter().all(|e| !e.ends_with(".tmp")),
        "{:?}",
        entries(d.path())
    );
}

fn interrupt(pid: u32) {
    let st = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("kill (procps) runs");
    let _ = st;
}

/// Interrupt `args` (writing `--out dest`) at random points of its run: it
/// either finishes with the whole report or exits 130 leaving the previous
/// state (no report, or the previous one) and no temporary file.
fn interrupted(args: &[&str], files: &[&str], seed: u64) {
    let d = tempfile::tempdir().unwrap();
    let dest = d.path().join("report");
    let run = |dest: &Path| {
        let mut v: Vec<&str> = args.to_vec();
        v.extend(["--out", dest.to_str().unwrap()]);
        v.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let t0 = Instant::now();
    assert!(exe()
        .args(run(&d.path().join("first")))
        .stdout(Stdio::null())
        .status()
        .unwrap()
        .success());
    let t_run = t0.elapsed().max(Duration::from_millis(50));
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut stopped = 0;
    for k in 0..6 {
        let existed = dest.is_dir();
        let old = existed.then(|| std::fs::read(dest.join(files[0])).unwrap());
        let child = exe()
            .args(run(&dest))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(t_run.mul_f64(rng.gen_range(0.05..1.0)));
        interrupt(child.id());
        let o = child.wait_with_output().unwrap();
        match o.status.code() {
            Some(0) => {
                for f in files {
                    assert!(dest.join(f).is_file(), "try {k}: {f} missing");
                }
            }
            Some(130) => {
                stopped += 1;
                let err = String::from_utf8_lossy(&o.stderr);
                assert!(err.contains("interrupted"), "{err}");
                match &old {
                    None => assert!(!dest.exists(), "try {k}: a partial report"),
                    Some(b) => assert_eq!(&std::fs::read(dest.join(files[0])).unwrap(), b),
                }
            }
            other => panic!(
                "try {k}: exit {other:?}: {}",
                String::from_utf8_lossy(&o.stderr)
            ),
        }
        let left: Vec<String> = entries(d.path())
            .into_iter()
            .filter(|e| e.ends_with(".tmp") || e.ends_with(".old"))
            .collect();
        assert!(left.is_empty(), "try {k}: left {left:?}");
    }
    assert!(stopped > 0, "no run was interrupted before it finished");
}

#[test]
fn an_interrupted_sweep_leaves_no_partial_report() {
    interrupted(
        &["sweep", "--model", "lenet5", "--batch", "4"],
        &["sweep.json", "sweep.csv", "report.md"],
        1,
    );
}

#[test]
fn an_interrupted_compare_leaves_no_partial_report() {
    interrupted(
        &["compare", "--model", "lenet5", "--batch", "8"],
        &["results.json", "results.csv", "report.md"],
        2,
    );
}

/// A working set over the memory budget is refused at once, naming the
/// layer, the estimate and the budget; nothing runs.
#[test]
fn runs_over_the_memory_budget_are_refused_before_they_start() {
    let t0 = Instant::now();
    let o = exe()
        .args([
            "simulate", "--preset", "diannao", "--model", "alexnet", "--batch", "4000000",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("layer `conv1` at batch 4000000 needs an estimated")
            && err.contains("MemAvailable"),
        "{err}"
    );
    assert!(t0.elapsed() < Duration::from_secs(30));
    for args in [
        &["simulate", "--preset", "diannao", "--model", "lenet5"][..],
        &["verify", "--preset", "tiny", "--model", "lenet5"][..],
        &[
            "run",
            "--preset",
            "diannao",
            "--model",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../onnx/tests/data/resblock.onnx"
            ),
            "--input",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../onnx/tests/data/resblock.input.npy"
            ),
        ][..],
    ] {
        let o = exe()
            .args(args)
            .env(runtime::budget::BUDGET_ENV, "16K")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(
            err.contains("over the memory budget of 16.0 KiB (DIANNAO_MEMORY_BUDGET)"),
            "{err}"
        );
        assert!(o.stdout.is_empty(), "{args:?} printed a report");
    }
    let o = exe()
        .args(["simulate", "--preset", "tiny", "--model", "lenet5"])
        .env(runtime::budget::BUDGET_ENV, "lots")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("DIANNAO_MEMORY_BUDGET=\"lots\""));
}
