//! The one runner of the external EDA tools: Verilator, Icarus Verilog
//! (`iverilog`, `vvp`) and Yosys. Every start of a tool in the workspace goes
//! through here: tool discovery on `PATH` (an error names the missing tool and
//! its Debian package), version queries, Verilator lint, Verilator builds,
//! Icarus compiles and `vvp` runs, runs with captured output, and runs of the
//! executables Verilator builds.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use thiserror::Error;

/// An external tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// Verilator (lint, C++ builds).
    Verilator,
    /// Icarus Verilog compiler.
    Iverilog,
    /// Icarus Verilog runtime.
    Vvp,
    /// Yosys (synthesis, checks).
    Yosys,
}

impl Tool {
    /// Every tool.
    pub const ALL: [Tool; 4] = [Tool::Verilator, Tool::Iverilog, Tool::Vvp, Tool::Yosys];
    /// Executable name.
    pub fn exe(self) -> &'static str {
        match self {
            Tool::Verilator => "verilator",
            Tool::Iverilog => "iverilog",
            Tool::Vvp => "vvp",
            Tool::Yosys => "yosys",
        }
    }
    /// Debian package that provides it.
    pub fn package(self) -> &'static str {
        match self {
            Tool::Verilator => "verilator",
            Tool::Iverilog | Tool::Vvp => "iverilog",
            Tool::Yosys => "yosys",
        }
    }
    /// Argument that prints the version.
    fn version_arg(self) -> &'static str {
        match self {
            Tool::Verilator => "--version",
            Tool::Iverilog => "-V",
            Tool::Vvp => "-V",
            Tool::Yosys => "-V",
        }
    }
}

impl std::fmt::Display for Tool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.exe())
    }
}

/// Errors of a tool run.
#[derive(Debug, Error)]
pub enum EdaError {
    /// The tool is not installed (not on `PATH`) or cannot be started.
    #[error("cannot run `{tool}` ({why}); install it (Debian package `{package}`)")]
    Missing {
        /// Executable name or path.
        tool: String,
        /// Package that provides it.
        package: &'static str,
        /// Why it could not be started.
        why: String,
    },
    /// The tool ran and exited with a failure status.
    #[error("`{tool}` failed ({status}):\n{output}")]
    Failed {
        /// Executable name or path.
        tool: String,
        /// Exit status as printed by the OS.
        status: String,
        /// Its stdout followed by its stderr.
        output: String,
    },
    /// File I/O around a run (the OS error is the `source`).
    #[error("{path}")]
    Io {
        /// Path.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
}

/// Captured result of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Exit code (`None` if killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Output {
    /// Whether the tool exited with status 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
    /// Standard output followed by standard error.
    pub fn text(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// The Verilator warnings that the simulation builds (the Verilator
/// backend's testbench, the AXI harness) waive: the emitted Verilog is
/// linted separately with `-Wall` and listed waivers (docs/hdl.md), so a
/// simulation build only needs it to compile.
pub const VERILATOR_SIM_WAIVERS: [&str; 5] = [
    "-Wno-fatal",
    "-Wno-lint",
    "-Wno-style",
    "-Wno-WIDTH",
    "-Wno-UNOPTFLAT",
];

/// Where `tool` is on `PATH`.
pub fn find(tool: Tool) -> Result<PathBuf, EdaError> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for d in std::env::split_paths(&path) {
        let p = d.join(tool.exe());
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(EdaError::Missing {
        tool: tool.exe().into(),
        package: tool.package(),
        why: "not found on PATH".into(),
    })
}

/// The first line of `tool`'s version output (e.g. `Verilator 5.006 ...`).
pub fn version(tool: Tool) -> Result<String, EdaError> {
    let o = run(tool, &[tool.version_arg()], None)?;
    let t = o.text();
    Ok(t.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string())
}

fn capture(name: String, package: &'static str, cmd: &mut Command) -> Result<Output, EdaError> {
    let out = cmd.output().map_err(|e| EdaError::Missing {
        tool: name,
        package,
        why: e.to_string(),
    })?;
    Ok(Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

fn checked(name: String, out: Output) -> Result<Output, EdaError> {
    if out.success() {
        Ok(out)
    } else {
        Err(EdaError::Failed {
            tool: name,
            status: out
                .code
                .map(|c| format!("exit status {c}"))
                .unwrap_or_else(|| "killed by a signal".into()),
            output: out.text(),
        })
    }
}

/// Run `tool` with `args` in `dir` (the current directory if `None`) and
/// capture its output, whatever its exit status.
pub fn run_unchecked(tool: Tool, args: &[&str], dir: Option<&Path>) -> Result<Output, EdaError> {
    let exe = find(tool)?;
    let mut c = Command::new(exe);
    c.args(args);
    if let Some(d) = dir {
        c.current_dir(d);
    }
    capture(tool.exe().into(), tool.package(), &mut c)
}

/// Run `tool` with `args` in `dir`; a failure status is an [`EdaError::Failed`]
/// carrying the tool's output.
pub fn run(tool: Tool, args: &[&str], dir: Option<&Path>) -> Result<Output, EdaError> {
    let o = run_unchecked(tool, args, dir)?;
    checked(tool.exe().into(), o)
}

/// Run an executable built by a tool (e.g. a Verilator model) with `args` in
/// `dir`; a failure status is an [`EdaError::Failed`].
pub fn run_built(exe: &Path, args: &[String], dir: Option<&Path>) -> Result<Output, EdaError> {
    let mut c = Command::new(exe);
    c.args(args);
    if let Some(d) = dir {
        c.current_dir(d);
    }
    let name = exe.display().to_string();
    let o = capture(name.clone(), Tool::Verilator.package(), &mut c)?;
    checked(name, o)
}

/// The arguments of an Icarus compile: `iverilog -g2012 -o out -s top_module files...`
/// (SystemVerilog 2012, the standard every Icarus run of the workspace uses).
pub fn iverilog_args<'a>(out: &'a str, top_module: &'a str, files: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["-g2012", "-o", out, "-s", top_module];
    args.extend_from_slice(files);
    args
}

/// Run a compiled Icarus design: `vvp -n compiled plusargs...` in `dir`
/// (`-n`: `$stop` ends the run instead of prompting); a failure status is an
/// [`EdaError::Failed`].
pub fn run_vvp(
    compiled: &Path,
    plusargs: &[String],
    dir: Option<&Path>,
) -> Result<Output, EdaError> {
    let file = compiled.display().to_string();
    let mut args = vec!["-n", file.as_str()];
    args.extend(plusargs.iter().map(String::as_str));
    run(Tool::Vvp, &args, dir)
}

/// Start an executable built by a tool with piped stdin and stdout (an
/// interactive harness); the caller owns the child.
pub fn spawn_built(exe: &Path) -> Result<Child, EdaError> {
    Command::new(exe)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| EdaError::Missing {
            tool: exe.display().to_string(),
            package: Tool::Verilator.package(),
            why: e.to_string(),
        })
}

/// `verilator --lint-only -Wall --top-module top_module [extra...] files...`
/// in `dir`; returns the output (empty when clean), or `Failed` with the warnings.
pub fn lint(
    dir: &Path,
    top_module: &str,
    extra: &[&str],
    files: &[&str],
) -> Result<Output, EdaError> {
    run(
        Tool::Verilator,
        &lint_args(top_module, extra, files),
        Some(dir),
    )
}

/// The arguments of a `-Wall` lint run.
fn lint_args<'a>(top_module: &'a str, extra: &[&'a str], files: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["--lint-only", "-Wall", "--top-module", top_module];
    args.extend_from_slice(extra);
    args.extend_from_slice(files);
    args
}

/// As [`lint`], returning the output whatever the status (for callers that
/// classify the warnings themselves).
pub fn lint_unchecked(
    dir: &Path,
    top_module: &str,
    extra: &[&str],
    files: &[&str],
) -> Result<Output, EdaError> {
    run_unchecked(
        Tool::Verilator,
        &lint_args(top_module, extra, files),
        Some(dir),
    )
}

/// Lint one Verilog text (top module `top_module`) in a scratch directory with
/// the emitted design's waivers (`crate::emit::WAIVERS`) plus `extra` flags.
pub fn lint_text(verilog: &str, top_module: &str, extra: &[&str]) -> Result<Output, EdaError> {
    let dir = Scratch::new()?;
    dir.write("top.v", verilog)?;
    dir.write(super::emit::WAIVER_FILE, &super::emit::waiver_file())?;
    lint(
        dir.path(),
        top_module,
        extra,
        &[super::emit::WAIVER_FILE, "top.v"],
    )
}

/// Run Yosys `script` (one command per line) on one Verilog text, written as
/// `top.v` in a scratch directory; returns its output.
pub fn yosys_script(verilog: &str, script: &str) -> Result<Output, EdaError> {
    let dir = Scratch::new()?;
    dir.write("top.v", verilog)?;
    dir.write("run.ys", script)?;
    run(Tool::Yosys, &["-q", "-s", "run.ys"], Some(dir.path()))
}

/// Yosys's structural check of a design, as rust-hdl's `yosys_validate`:
/// read, `hierarchy -top`, `proc`, `flatten`, `check -assert` (fails on
/// undriven or multiply driven signals and combinational loops).
pub fn yosys_check(verilog: &str, top_module: &str) -> Result<Output, EdaError> {
    yosys_script(
        verilog,
        &format!("read_verilog top.v\nhierarchy -check -top {top_module}\nproc\nflatten\ncheck -assert\n"),
    )
}

/// `verilator <args>` building a model in `dir` (e.g. `--binary` or
/// `--cc --exe --build`); a failure carries Verilator's output.
pub fn verilator_build(dir: &Path, args: &[&str]) -> Result<Output, EdaError> {
    run(Tool::Verilator, args, Some(dir))
}

/// A scratch directory removed on drop (std only).
pub struct Scratch(PathBuf);

impl Scratch {
    /// A fresh directory under the system temp directory.
    pub fn new() -> Result<Self, EdaError> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let p = std::env::temp_dir().join(format!(
            "hdl-eda-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&p).map_err(|source| EdaError::Io {
            path: p.display().to_string(),
            source,
        })?;
        Ok(Scratch(p))
    }
    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
    /// Write `name` (relative) with `text`.
    pub fn write(&self, name: &str, text: &str) -> Result<(), EdaError> {
        let p = self.0.join(name);
        std::fs::write(&p, text).map_err(|source| EdaError::Io {
            path: p.display().to_string(),
            source,
        })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_tool_names_its_package() {
        let e = EdaError::Missing {
            tool: "verilator".into(),
            package: "verilator",
            why: "not found on PATH".into(),
        };
        assert!(e.to_string().contains("Debian package `verilator`"));
        assert_eq!(Tool::Vvp.package(), "iverilog");
    }
}
