//! Helpers shared by the command-line tests: run `diannao`, demand success,
//! or demand the one-line error contract.
#![allow(dead_code)]

use std::process::{Command, Output};

/// The `diannao` binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_diannao");

/// Run `diannao args`.
pub fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run diannao")
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The command must succeed; returns its standard output.
pub fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(
        o.status.success(),
        "diannao {args:?} failed: {}",
        stderr(&o)
    );
    stdout(&o)
}

/// The command must fail with exit code 1 and exactly one line
/// `error: ...` on standard error containing every one of `want`, without a
/// panic; returns the run (standard output is the caller's to check).
pub fn fails_output(args: &[&str], want: &[&str]) -> Output {
    let o = run(args);
    let err = stderr(&o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "diannao {args:?}: exit {:?}, stderr {err}",
        o.status.code()
    );
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "diannao {args:?} panicked: {err}"
    );
    assert_eq!(
        err.lines().count(),
        1,
        "diannao {args:?}: not one line: {err:?}"
    );
    assert!(
        err.starts_with("error: ") && err.ends_with('\n'),
        "diannao {args:?}: {err:?}"
    );
    for w in want {
        assert!(
            err.contains(w),
            "diannao {args:?}: {err:?} does not contain {w:?}"
        );
    }
    o
}

/// [`fails_output`]; returns the error line.
pub fn fails(args: &[&str], want: &[&str]) -> String {
    stderr(&fails_output(args, want))
}
