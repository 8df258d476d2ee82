//! The emitted Verilog of the top under Verilator, as a [`Backend`].
//!
//! A generated Verilog testbench (`tb.v`) holds a DRAM model with the timing
//! of `hdl::tb::dram` (so the RTL sees exactly what `RtlBackend` gives it),
//! loads the DRAM image (the program included) with `$readmemh`, sets
//! `prog_base` / `prog_len`, runs to `done` (the machine fetches its program
//! itself) and dumps the status, cycle count, every event counter (read
//! through the top's `ctr_sel` / `ctr_value` after the halt) and every
//! non-zero word of the DRAM model (the whole final image). One executable is built per
//! configuration (`verilator --binary`) and cached under the system temp dir
//! in a directory named by a hash of the Verilog, so vectors do not rebuild.
//!
//! The testbench, the build cache and the parser of its output are shared
//! with [`crate::icarus_backend`] (the same `tb.v` and `top.v` under Icarus).

use crate::rtl::{dram_extent, dram_words, status, words_image};
use crate::{Backend, BackendError, Outcome, Vector};
use arch::events::{Counters, NUM_EVENTS};
use arch::AccelConfig;
use hdl::flow::eda::{self, EdaError, Tool};
use hdl::widths::{CNT_BITS, CTRW, CYCW, ERRW, EVSELW, OWNERW, PCW, SEEDW};
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

const NAME: &str = "verilator";

/// Smallest DRAM model the testbench builds: 2^MIN_DAW 16-bit words (bytes = 2^(MIN_DAW+1)).
const MIN_DAW: u32 = 16;

/// Verilator simulation of the emitted top.
#[derive(Clone, Copy, Debug)]
pub struct VerilatorBackend {
    /// Give up after this many cycles (cycles).
    pub max_cycles: u64,
    /// Threads of the generated model (`verilator --threads`); 1 (the
    /// default) builds it without the option. Each count is its own cached build.
    pub threads: usize,
}

impl Default for VerilatorBackend {
    fn default() -> Self {
        VerilatorBackend {
            max_cycles: 50_000_000,
            threads: 1,
        }
    }
}

/// The testbench executable of one configuration, DRAM model size and thread count.
#[derive(Clone, Debug)]
pub struct VerilatorBuild {
    /// The executable.
    pub exe: PathBuf,
    /// It was already built (in this process or in the on-disk cache): no Verilator run.
    pub cached: bool,
    /// Wall time of getting it (the Verilator and C++ build when not cached), seconds.
    pub seconds: f64,
    /// Threads of the model.
    pub threads: usize,
}

impl VerilatorBackend {
    /// The default backend with a model of `threads` threads (at least 1).
    pub fn with_threads(threads: usize) -> Self {
        VerilatorBackend {
            threads: threads.max(1),
            ..Self::default()
        }
    }

    /// The default backend with a model of as many threads as the host has
    /// cores (`std::thread::available_parallelism`).
    pub fn all_threads() -> Self {
        Self::with_threads(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    /// The testbench executable for `v` (its configuration and DRAM extent),
    /// built once and cached (see [`VerilatorBuild::cached`]).
    pub fn build(&self, v: &Vector) -> Result<VerilatorBuild, BackendError> {
        let t = std::time::Instant::now();
        let threads = self.threads.max(1);
        let (exe, cached) = executable(&v.cfg, checked_daw(v, self.name())?, threads)?;
        Ok(VerilatorBuild {
            exe,
            cached,
            seconds: t.elapsed().as_secs_f64(),
            threads,
        })
    }

    /// Run `v` on `build` (from [`VerilatorBackend::build`] of the same
    /// vector) as [`Backend::run`] does; also the wall time of the
    /// executable's process alone, seconds.
    pub fn run_built(
        &self,
        build: &VerilatorBuild,
        v: &Vector,
    ) -> Result<(Outcome, f64), BackendError> {
        let name = self.name();
        let r = launch_exe(
            |args, dir| eda::run_built(&build.exe, args, Some(dir)),
            v,
            self.max_cycles,
            name,
        )?;
        Ok((parse_out(&r.text, r.xnfu.as_deref(), name)?, r.seconds))
    }

    /// Start `build` on `v` with `+maxc=0`: the model starts, loads the DRAM
    /// image (`dram.hex`), runs no cycle of the program (its time-out stops
    /// it) and dumps the DRAM model as a full run does. Returns the wall time
    /// of the process, seconds: the start-up and image-loading time that
    /// every run of `v` pays beside its steady state. The testbench is the
    /// one [`Backend::run`] uses; only the plusarg differs.
    pub fn startup_probe(&self, build: &VerilatorBuild, v: &Vector) -> Result<f64, BackendError> {
        let name = self.name();
        let r = launch_exe(
            |args, dir| eda::run_built(&build.exe, args, Some(dir)),
            v,
            0,
            name,
        )?;
        let head = r.text.lines().next().unwrap_or("");
        if !(head.starts_with("TIMEOUT ") || head.starts_with("RESULT ")) {
            return Err(fail_as(
                name,
                format!("start-up probe: unexpected out.txt head `{head}`"),
            ));
        }
        Ok(r.seconds)
    }
}

/// A failure of `backend`.
pub(crate) fn fail_as(backend: &'static str, m: impl Into<String>) -> BackendError {
    BackendError::Failed {
        backend,
        message: m.into(),
    }
}

/// Verilog of the top for `cfg`.
pub fn top_verilog(cfg: &AccelConfig) -> Result<String, String> {
    hdl::top::top_verilog(cfg).map_err(|e| e.to_string())
}

/// Compile-time parameters of the testbench.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub(crate) struct TbParams {
    /// Port beat width, bits.
    bw: u32,
    /// DRAM latency, cycles.
    lat: u32,
    /// log2 of the DRAM model's 16-bit words.
    daw: u32,
    /// Add [`X_MONITOR`] (four-state simulators).
    x_monitor: bool,
}

/// Testbench lines of a four-state simulator (Icarus): the first cycle in
/// which the NFU accumulates a value with X/Z bits (NFU-2's step value or
/// accumulator base, lane 0) or converts one (NFU-3's input, every lane), or
/// has an X/Z `valid`, is written to `xnfu.txt`. An `if` on an X condition
/// takes its `else` branch, so NFU-2's `max` compare and NFU-3's saturation
/// and activation would turn an X into a definite value; this watches
/// before them. Hierarchical names: `Top::nfu`, `Nfu::nfu2` / `Nfu::nfu3`,
/// their lane 0 (`lanes$0`) and NFU-3's `acc` input.
const X_MONITOR: &str = r#"// X monitor: the first cycle the NFU accumulates or converts a value with X/Z bits, into xnfu.txt
reg xseen = 0;
integer xf;
always @(posedge clock) if (run && !xseen && ($isunknown(dut.nfu.nfu2.lanes$0.valid)
    || (dut.nfu.nfu2.lanes$0.valid && ($isunknown(dut.nfu.nfu2.lanes$0.step) || $isunknown(dut.nfu.nfu2.lanes$0.base)))
    || $isunknown(dut.nfu.nfu3.lanes$0$valid) || (dut.nfu.nfu3.lanes$0$valid && $isunknown(dut.nfu.nfu3.acc)))) begin
  xseen = 1; xf = $fopen("xnfu.txt", "w"); $fdisplay(xf, "%0d", cycles); $fclose(xf);
end
"#;

/// The testbench: DRAM model (same timing as `hdl::tb::dram`), run, dump.
/// `out.txt` is `RESULT cycles err_class err_index` then `COUNTERS c0 c1 ...`
/// (every event counter in `Event::ALL` order, decimal), or `TIMEOUT t
/// done`; then one `word-address word` line (hex) per DRAM word that is not
/// 0 (Icarus prints X/Z bits as `x`/`z`; see [`parse_out`]).
pub(crate) fn testbench(p: &TbParams) -> String {
    let TbParams {
        bw,
        lat,
        daw,
        x_monitor,
    } = *p;
    let nb = bw / 16;
    let xmon = if x_monitor { X_MONITOR } else { "" };
    format!(
        r#"`timescale 1ns/1ns
module tb;
localparam L = {lat};
localparam DEPTH = 1 << {daw};
localparam [31:0] MASK = DEPTH - 1;
localparam NEV = {nev};
reg clock = 0;
reg run = 0;
reg [31:0] prog_base = 0;
reg [{pcm1}:0] prog_len = 0;
reg [{seedm1}:0] seed = 0;
wire mem_cmd_valid;
wire mem_cmd_write;
wire [31:0] mem_cmd_addr;
wire [31:0] mem_cmd_tag;
wire [15:0] mem_cmd_words;
wire [{bwm1}:0] mem_wdata;
wire resp_valid;
wire [31:0] resp_tag;
wire [{bwm1}:0] resp_data;
wire busy;
wire done;
wire [{errm1}:0] err_class;
wire [{pcm1}:0] err_index;
wire [{cycm1}:0] cycles;
reg [{selm1}:0] ctr_sel = 0;
wire [{ctrm1}:0] ctr_value;
wire [{pcm1}:0] t_pc;
wire t_dispatch;
wire t_nfu_busy;
wire [{pcm1}:0] t_nfu_seq;
wire [{ownm1}:0] t_grant;
wire [{cntm1}:0] t_row_nbin;
wire [{cntm1}:0] t_row_sb;
wire [{cntm1}:0] t_row_nbout;
top dut(.clock(clock), .run(run), .prog_base(prog_base), .prog_len(prog_len), .seed(seed), .mem_cmd_valid(mem_cmd_valid), .mem_cmd_write(mem_cmd_write),
  .mem_cmd_addr(mem_cmd_addr), .mem_cmd_tag(mem_cmd_tag), .mem_cmd_words(mem_cmd_words), .mem_wdata(mem_wdata),
  .mem_resp_valid(resp_valid), .mem_resp_tag(resp_tag), .mem_resp_data(resp_data),
  .busy(busy), .done(done), .err_class(err_class), .err_index(err_index), .cycles(cycles),
  .ctr_sel(ctr_sel), .ctr_value(ctr_value),
  .t_pc(t_pc), .t_dispatch(t_dispatch), .t_nfu_busy(t_nfu_busy), .t_nfu_seq(t_nfu_seq), .t_grant(t_grant),
  .t_row_nbin(t_row_nbin), .t_row_sb(t_row_sb), .t_row_nbout(t_row_nbout));
// DRAM model: a beat command in cycle c is answered in c + L; write data follows its command by one cycle;
// a write beat stores its low mem_cmd_words words at the end of c + L
reg pv [0:L-1];
reg pw [0:L-1];
reg [31:0] pa [0:L-1];
reg [31:0] pt [0:L-1];
reg [15:0] pn [0:L-1];
reg [{bwm1}:0] pd [0:L-2];
reg [15:0] mem [0:DEPTH-1];
integer i;
integer j;
initial begin
  for (i = 0; i < L; i = i + 1) begin pv[i] = 0; pw[i] = 0; pa[i] = 0; pt[i] = 0; pn[i] = 0; end
  for (i = 0; i < L - 1; i = i + 1) pd[i] = 0;
end
genvar g;
generate
  for (g = 0; g < {nb}; g = g + 1) begin : wr
    always @(posedge clock) if (pv[L-1] && pw[L-1] && g < pn[L-1]) mem[((pa[L-1] >> 1) + g) & MASK] <= pd[L-2][16*g +: 16];
  end
  for (g = 1; g < L; g = g + 1) begin : cmd
    always @(posedge clock) begin pv[g] <= pv[g-1]; pw[g] <= pw[g-1]; pa[g] <= pa[g-1]; pt[g] <= pt[g-1]; pn[g] <= pn[g-1]; end
  end
  for (g = 1; g < L - 1; g = g + 1) begin : dat
    always @(posedge clock) pd[g] <= pd[g-1];
  end
  // continuous reads, sensitive to the words read only (an `always @(*)` wakes on every DRAM write under Icarus)
  for (g = 0; g < {nb}; g = g + 1) begin : rd
    assign resp_data[16*g +: 16] = mem[((pa[L-1] >> 1) + g) & MASK];
  end
endgenerate
always @(posedge clock) begin
  pv[0] <= mem_cmd_valid; pw[0] <= mem_cmd_write; pa[0] <= mem_cmd_addr; pt[0] <= mem_cmd_tag; pn[0] <= mem_cmd_words;
  pd[0] <= mem_wdata;
end
assign resp_valid = pv[L-1];
assign resp_tag = pt[L-1];
{xmon}always #5 clock = ~clock;
integer k;
integer f;
integer plen;
reg [31:0] pbase;
reg [{seedm1}:0] pseed;
integer maxc;
integer t;
initial begin
  if (!$value$plusargs("plen=%d", plen)) plen = 0;
  if (!$value$plusargs("pbase=%d", pbase)) pbase = 0;
  if (!$value$plusargs("seed=%h", pseed)) begin $display("tb: no +seed="); $finish; end
  if (!$value$plusargs("maxc=%d", maxc)) maxc = 1000000;
  for (k = 0; k < DEPTH; k = k + 1) mem[k] = 0;
  $readmemh("dram.hex", mem);
  prog_len = plen;
  prog_base = pbase;
  seed = pseed;
  repeat (2) @(posedge clock);
  #1 run = 1;
  t = 0;
  while (!done && t <= maxc) begin @(posedge clock); #1 t = t + 1; end
  f = $fopen("out.txt", "w");
  if (done) begin
    $fdisplay(f, "RESULT %0d %0d %0d", cycles, err_class, err_index);
    // every event counter (they hold after the halt), through the top's read select
    $fwrite(f, "COUNTERS");
    for (k = 0; k < NEV; k = k + 1) begin ctr_sel = k; #1 $fwrite(f, " %0d", ctr_value); end
    $fwrite(f, "\n");
  end
  else $fdisplay(f, "TIMEOUT %0d %b", t, done);
  // the whole final DRAM: every word that is not 0 (X/Z words included) as `word-address word`, hex
  for (k = 0; k < DEPTH; k = k + 1) if (mem[k] !== 16'h0) $fdisplay(f, "%0h %h", k, mem[k]);
  $fclose(f);
  $finish;
end
endmodule
"#,
        bwm1 = bw - 1,
        pcm1 = PCW - 1,
        errm1 = ERRW - 1,
        ownm1 = OWNERW - 1,
        cntm1 = CNT_BITS - 1,
        cycm1 = CYCW - 1,
        selm1 = EVSELW - 1,
        ctrm1 = CTRW - 1,
        seedm1 = SEEDW - 1,
        nev = NUM_EVENTS,
    )
}

/// Where the builds of `backend` are cached.
fn cache_root(backend: &str) -> PathBuf {
    std::env::temp_dir().join(format!("diannao-{backend}-cache"))
}

/// Built executables of this process, by configuration and testbench parameters.
fn memo() -> &'static Mutex<HashMap<String, PathBuf>> {
    static M: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    M.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Run `tool` for `backend`; a failure shows the tool's error lines (or its last 20 lines).
pub(crate) fn run_tool(
    backend: &'static str,
    tool: Tool,
    args: &[&str],
    dir: &Path,
) -> Result<eda::Output, BackendError> {
    let fail = |m: String| fail_as(backend, m);
    let what = tool.exe();
    let out = eda::run_unchecked(tool, args, Some(dir)).map_err(|e| fail(e.to_string()))?;
    if !out.success() {
        let s = out.text();
        let errors: Vec<&str> = s.lines().filter(|l| l.contains("rror")).take(20).collect();
        let shown = if errors.is_empty() {
            s.lines().rev().take(20).collect::<Vec<_>>()
        } else {
            errors
        };
        return Err(fail(format!("`{what}` failed:\n{}", shown.join("\n"))));
    }
    Ok(out)
}

/// The testbench parameters for `cfg` with a DRAM model of 2^daw words.
pub(crate) fn tb_params(cfg: &AccelConfig, daw: u32, x_monitor: bool) -> TbParams {
    TbParams {
        bw: 8 * cfg.dram.bytes_per_cycle,
        lat: cfg.dram.latency_cycles,
        daw,
        x_monitor,
    }
}

/// The testbench executable for `cfg` with a DRAM model of 2^daw words and
/// a model of `threads` threads (built once, then cached), and whether it
/// was already built.
fn executable(
    cfg: &AccelConfig,
    daw: u32,
    threads: usize,
) -> Result<(PathBuf, bool), BackendError> {
    // threads = 1 builds exactly as before (no option, the same cache directory)
    let threads_arg = threads.to_string();
    let (variant, mt): (String, Vec<&str>) = if threads > 1 {
        (format!("threads{threads}"), vec!["--threads", &threads_arg])
    } else {
        (String::new(), vec![])
    };
    build_cached_variant(
        NAME,
        cfg,
        tb_params(cfg, daw, false),
        &variant,
        "obj/vtb",
        |dir| {
            run_tool(
                NAME,
                Tool::Verilator,
                &[
                    &["--binary", "--timing"][..],
                    &mt,
                    &hdl::flow::eda::VERILATOR_SIM_WAIVERS,
                    &[
                        "--top-module",
                        "tb",
                        "-Mdir",
                        "obj",
                        "-o",
                        "vtb",
                        "-j",
                        "2",
                        "tb.v",
                        "top.v",
                    ],
                ]
                .concat(),
                dir,
            )
            .map(|_| ())
        },
    )
}

/// `product` (a path relative to the build directory) of `backend`'s build of
/// the testbench (`tb.v`, module `tb`, parameters `p`) and the top (`top.v`)
/// for `cfg`: `build` makes it in a directory holding the two files. Built
/// once per process and cached across processes under the system temp dir,
/// in a directory named by a hash of both texts.
pub(crate) fn build_cached(
    backend: &'static str,
    cfg: &AccelConfig,
    p: TbParams,
    product: &str,
    build: impl FnOnce(&Path) -> Result<(), BackendError>,
) -> Result<PathBuf, BackendError> {
    build_cached_variant(backend, cfg, p, "", product, build).map(|(exe, _)| exe)
}

/// [`build_cached`] of a build `variant` (e.g. `threads2`, naming build
/// options that the two texts do not show; empty: the plain build, hashed
/// and named as before): part of the process key, the hash and the
/// directory name. Also returns whether the product was already built.
fn build_cached_variant(
    backend: &'static str,
    cfg: &AccelConfig,
    p: TbParams,
    variant: &str,
    product: &str,
    build: impl FnOnce(&Path) -> Result<(), BackendError>,
) -> Result<(PathBuf, bool), BackendError> {
    let fail = |m: String| fail_as(backend, m);
    let key = format!("{backend}/{cfg:?}/{p:?}/{variant}");
    let mut m = memo()
        .lock()
        .map_err(|_| fail("build cache lock poisoned".into()))?;
    if let Some(x) = m.get(&key) {
        return Ok((x.clone(), true));
    }
    let top = top_verilog(cfg).map_err(fail)?;
    let tb = testbench(&p);
    let mut h = DefaultHasher::new();
    top.hash(&mut h);
    tb.hash(&mut h);
    let mut name = cfg.name.clone();
    if !variant.is_empty() {
        variant.hash(&mut h);
        name = format!("{name}-{variant}");
    }
    let root = cache_root(backend);
    let dir = root.join(format!("{name}-{:016x}", h.finish()));
    let exe = dir.join(product);
    let cached = exe.exists();
    if !cached {
        let tmp = root.join(format!("build-{}-{:016x}", std::process::id(), h.finish()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).map_err(|e| fail(format!("{}: {e}", tmp.display())))?;
        std::fs::write(tmp.join("top.v"), &top).map_err(|e| fail(e.to_string()))?;
        std::fs::write(tmp.join("tb.v"), &tb).map_err(|e| fail(e.to_string()))?;
        if let Err(e) = build(&tmp) {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
        let _ = std::fs::remove_dir_all(&dir);
        if std::fs::rename(&tmp, &dir).is_err() && !exe.exists() {
            return Err(fail(format!("cannot move the build to {}", dir.display())));
        }
        let _ = std::fs::remove_dir_all(&tmp);
    }
    m.insert(key, exe.clone());
    Ok((exe, cached))
}

/// Sparse `$readmemh` text of the DRAM image.
fn dram_hex(words: &BTreeMap<u64, u16>) -> String {
    let mut s = String::new();
    let mut next = u64::MAX;
    for (a, w) in words {
        if *a != next {
            let _ = writeln!(s, "@{a:x}");
        }
        let _ = writeln!(s, "{w:04x}");
        next = a + 1;
    }
    s
}

/// Run the built testbench on `v` in a fresh directory: `launch(plusargs, dir)`
/// starts it (the Verilator executable, or `vvp` on the Icarus build).
pub(crate) fn run_exe(
    launch: impl FnOnce(&[String], &Path) -> Result<eda::Output, EdaError>,
    v: &Vector,
    max_cycles: u64,
    backend: &'static str,
) -> Result<Outcome, BackendError> {
    let r = launch_exe(launch, v, max_cycles, backend)?;
    parse_out(&r.text, r.xnfu.as_deref(), backend)
}

/// What one run of the testbench left.
struct ExeRun {
    /// `out.txt`.
    text: String,
    /// `xnfu.txt`, if written.
    xnfu: Option<String>,
    /// Wall time of `launch` (the simulator process), seconds.
    seconds: f64,
}

/// [`run_exe`] up to reading its files, unparsed.
fn launch_exe(
    launch: impl FnOnce(&[String], &Path) -> Result<eda::Output, EdaError>,
    v: &Vector,
    max_cycles: u64,
    backend: &'static str,
) -> Result<ExeRun, BackendError> {
    let fail = |m: String| BackendError::Failed {
        backend,
        message: m,
    };
    let dir = tempfile::tempdir().map_err(|e| fail(format!("temp dir: {e}")))?;
    let words = dram_words(v);
    std::fs::write(dir.path().join("dram.hex"), dram_hex(&words))
        .map_err(|e| fail(e.to_string()))?;
    let args = [
        format!("+plen={}", v.program.len()),
        format!("+pbase={}", v.program_base()),
        format!("+seed={:x}", v.seed),
        format!("+maxc={max_cycles}"),
    ];
    let t = std::time::Instant::now();
    launch(&args, dir.path()).map_err(|e| match e {
        EdaError::Failed { tool, output, .. } => fail(format!("{tool} failed: {output}")),
        e => fail(e.to_string()),
    })?;
    let seconds = t.elapsed().as_secs_f64();
    let text = std::fs::read_to_string(dir.path().join("out.txt"))
        .map_err(|e| fail(format!("no out.txt: {e}")))?;
    let xnfu = std::fs::read_to_string(dir.path().join("xnfu.txt")).ok();
    Ok(ExeRun {
        text,
        xnfu,
        seconds,
    })
}

/// Whether a value printed by Verilog (`%d`, `%h`, `%b`) has X or Z bits.
fn has_xz(s: &str) -> bool {
    s.bytes().any(|b| matches!(b, b'x' | b'X' | b'z' | b'Z'))
}

/// The outcome in the testbench's `out.txt` (see [`testbench`]). X or Z
/// bits in the cycle count, the status, `done` or any DRAM byte are a
/// failure naming each (a result that depends on uninitialised state),
/// never read as a number; so is `xnfu`, the text of [`X_MONITOR`]'s
/// `xnfu.txt` (if it was written).
pub(crate) fn parse_out(
    text: &str,
    xnfu: Option<&str>,
    backend: &'static str,
) -> Result<Outcome, BackendError> {
    let fail = |m: String| fail_as(backend, m);
    let xz = |what: String| {
        fail(format!(
            "X/Z bits in the result (it depends on uninitialised state): {what}"
        ))
    };
    let mut lines = text.lines().peekable();
    let head: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
    if head.first() == Some(&"TIMEOUT") && head.get(2).is_some_and(|d| has_xz(d)) {
        return Err(xz(format!(
            "done is `{}` after {} cycles",
            head[2], head[1]
        )));
    }
    if head.first() != Some(&"RESULT") || head.len() != 4 {
        return Err(fail(format!("no halt: {}", head.join(" "))));
    }
    let ctr: Vec<&str> = match lines.next_if(|l| l.starts_with("COUNTERS")) {
        Some(l) => l.split_whitespace().skip(1).collect(),
        None => return Err(fail("no COUNTERS line after RESULT".into())),
    };
    if ctr.len() != NUM_EVENTS {
        return Err(fail(format!(
            "{} counters in the COUNTERS line, {NUM_EVENTS} events",
            ctr.len()
        )));
    }
    let words: Vec<&str> = lines.map(str::trim).collect();
    let mut bad: Vec<String> = ["cycles", "err_class", "err_index"]
        .iter()
        .zip(&head[1..])
        .filter(|(_, s)| has_xz(s))
        .map(|(f, s)| format!("{f} is `{s}`"))
        .collect();
    bad.extend(
        arch::events::Event::ALL
            .iter()
            .zip(&ctr)
            .filter(|(_, s)| has_xz(s))
            .map(|(e, s)| format!("counter {} is `{s}`", e.name())),
    );
    // a dumped line is `word-address word`; the word's `%h` text is 4 digits, the high byte (odd address) first
    let mut x_bytes: Vec<u64> = Vec::new();
    for l in &words {
        if let Some((a, w)) = l.split_once(' ') {
            if has_xz(w) && w.len() == 4 {
                let byte = u64::from_str_radix(a, 16).unwrap_or(0) << 1;
                if has_xz(&w[2..]) {
                    x_bytes.push(byte);
                }
                if has_xz(&w[..2]) {
                    x_bytes.push(byte + 1);
                }
            } else if has_xz(w) {
                x_bytes.push(u64::from_str_radix(a, 16).unwrap_or(0) << 1);
            }
        }
    }
    if let Some(&first) = x_bytes.first() {
        let shown: Vec<String> = x_bytes.iter().take(4).map(|a| format!("{a:#x}")).collect();
        bad.push(format!(
            "DRAM byte{} {}{} ({} bytes with X/Z bits, the first at {first:#x})",
            if x_bytes.len() > 1 { "s" } else { "" },
            shown.join(", "),
            if x_bytes.len() > 4 { ", ..." } else { "" },
            x_bytes.len(),
        ));
    }
    if let Some(c) = xnfu {
        bad.push(format!(
            "the NFU computed with X/Z bits from cycle {}",
            c.trim()
        ));
    }
    if !bad.is_empty() {
        return Err(xz(bad.join("; ")));
    }
    let num = |s: &str| {
        s.parse::<u64>()
            .map_err(|e| fail(format!("bad output `{s}`: {e}")))
    };
    let (cycles, cls, idx) = (num(head[1])?, num(head[2])?, num(head[3])?);
    let counters = Counters(ctr.iter().map(|s| num(s)).collect::<Result<_, _>>()?);
    let dumped = words
        .iter()
        .map(|l| {
            let bad = |e: String| fail(format!("bad DRAM line `{l}`: {e}"));
            let (a, w) = l.split_once(' ').ok_or_else(|| bad("no address".into()))?;
            let a = u64::from_str_radix(a, 16).map_err(|e| bad(e.to_string()))?;
            let w = u16::from_str_radix(w, 16).map_err(|e| bad(e.to_string()))?;
            Ok((a, w))
        })
        .collect::<Result<Vec<_>, BackendError>>()?;
    let dram = words_image(dumped);
    Ok(Outcome {
        cycles,
        status: status(cls, idx).map_err(fail)?,
        dram,
        counters: Some(counters),
    })
}

/// log2 of the DRAM model words needed by `v` (rounded up to a multiple of 4 to share builds).
fn daw_for(v: &Vector) -> u32 {
    let words = dram_extent(v).div_ceil(2).max(1);
    let bits = 64 - (words - 1).leading_zeros();
    bits.max(MIN_DAW).div_ceil(4) * 4
}

/// [`daw_for`] `v`, or why the testbench cannot run `v` on `backend`.
pub(crate) fn checked_daw(v: &Vector, backend: &'static str) -> Result<u32, BackendError> {
    let daw = daw_for(v);
    if daw > 28 {
        return Err(fail_as(backend, format!("vector touches DRAM up to byte {:#x}; the Verilog DRAM model holds at most 512 MiB", dram_extent(v))));
    }
    Ok(daw)
}

impl Backend for VerilatorBackend {
    /// `verilator`; `verilator-mt` for a model of more than one thread.
    fn name(&self) -> &'static str {
        if self.threads > 1 {
            "verilator-mt"
        } else {
            NAME
        }
    }

    fn run(&self, v: &Vector) -> Result<Outcome, BackendError> {
        let b = self.build(v)?;
        self.run_built(&b, v).map(|(o, _)| o)
    }
}
