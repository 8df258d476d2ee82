//! The emitted Verilog of the top under Verilator, as a [`Backend`].
//!
//! A generated Verilog testbench (`tb.v`) holds a DRAM model with the timing
//! of `hdl::tb::dram` (so the RTL sees exactly what `RtlBackend` gives it),
//! loads the DRAM image (the program included) with `$readmemh`, sets
//! `prog_base` / `prog_len`, runs to `done` (the machine fetches its program
//! itself) and dumps the status, cycle count and every non-zero word of the
//! DRAM model (the whole final image). One executable is built per
//! configuration (`verilator --binary`) and cached under the system temp dir
//! in a directory named by a hash of the Verilog, so vectors do not rebuild.

use crate::rtl::{dram_extent, dram_words, rtl_kind, status, words_image, RtlKind};
use crate::{Backend, BackendError, Outcome, Vector};
use hdl::widths::{CNT_BITS, ERRW, OWNERW, PCW};
use arch::AccelConfig;
use hdl::flow::eda::{self, EdaError, Tool};
use hdl::top::{DiannaoTop, TinyTop};
use rust_hdl::prelude::*;
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
}

impl Default for VerilatorBackend {
    fn default() -> Self {
        VerilatorBackend {
            max_cycles: 50_000_000,
        }
    }
}

fn fail(m: impl Into<String>) -> BackendError {
    BackendError::Failed {
        backend: NAME,
        message: m.into(),
    }
}

/// Verilog of the top for `cfg`.
pub fn top_verilog(cfg: &AccelConfig) -> Result<String, String> {
    Ok(match rtl_kind(cfg)? {
        RtlKind::Tiny => {
            let mut t = TinyTop::new(cfg);
            t.connect_all();
            generate_verilog(&t)
        }
        RtlKind::Diannao => {
            let mut t = DiannaoTop::new(cfg);
            t.connect_all();
            generate_verilog(&t)
        }
    })
}

/// Compile-time parameters of the testbench.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
struct TbParams {
    /// Port beat width, bits.
    bw: u32,
    /// DRAM latency, cycles.
    lat: u32,
    /// log2 of the DRAM model's 16-bit words.
    daw: u32,
}

/// The testbench: DRAM model (same timing as `hdl::tb::dram`), run, dump.
fn testbench(p: &TbParams) -> String {
    let TbParams { bw, lat, daw } = *p;
    let nb = bw / 16;
    format!(
        r#"`timescale 1ns/1ns
module tb;
localparam L = {lat};
localparam DEPTH = 1 << {daw};
localparam [31:0] MASK = DEPTH - 1;
reg clock = 0;
reg run = 0;
reg [31:0] prog_base = 0;
reg [{pcm1}:0] prog_len = 0;
wire mem_cmd_valid;
wire mem_cmd_write;
wire [31:0] mem_cmd_addr;
wire [31:0] mem_cmd_tag;
wire [15:0] mem_cmd_words;
wire [{bwm1}:0] mem_wdata;
reg resp_valid;
reg [31:0] resp_tag;
reg [{bwm1}:0] resp_data;
wire busy;
wire done;
wire [{errm1}:0] err_class;
wire [{pcm1}:0] err_index;
wire [31:0] cycles;
wire [{pcm1}:0] t_pc;
wire t_dispatch;
wire t_nfu_busy;
wire [{pcm1}:0] t_nfu_seq;
wire [{ownm1}:0] t_grant;
wire [{cntm1}:0] t_row_nbin;
wire [{cntm1}:0] t_row_sb;
wire [{cntm1}:0] t_row_nbout;
top dut(.clock(clock), .run(run), .prog_base(prog_base), .prog_len(prog_len), .mem_cmd_valid(mem_cmd_valid), .mem_cmd_write(mem_cmd_write),
  .mem_cmd_addr(mem_cmd_addr), .mem_cmd_tag(mem_cmd_tag), .mem_cmd_words(mem_cmd_words), .mem_wdata(mem_wdata),
  .mem_resp_valid(resp_valid), .mem_resp_tag(resp_tag), .mem_resp_data(resp_data),
  .busy(busy), .done(done), .err_class(err_class), .err_index(err_index), .cycles(cycles),
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
endgenerate
always @(posedge clock) begin
  pv[0] <= mem_cmd_valid; pw[0] <= mem_cmd_write; pa[0] <= mem_cmd_addr; pt[0] <= mem_cmd_tag; pn[0] <= mem_cmd_words;
  pd[0] <= mem_wdata;
end
integer r;
always @(*) begin
  resp_valid = pv[L-1];
  resp_tag = pt[L-1];
  for (r = 0; r < {nb}; r = r + 1) resp_data[16*r +: 16] = mem[((pa[L-1] >> 1) + r) & MASK];
end
always #5 clock = ~clock;
integer k;
integer f;
integer plen;
reg [31:0] pbase;
integer maxc;
integer t;
initial begin
  if (!$value$plusargs("plen=%d", plen)) plen = 0;
  if (!$value$plusargs("pbase=%d", pbase)) pbase = 0;
  if (!$value$plusargs("maxc=%d", maxc)) maxc = 1000000;
  for (k = 0; k < DEPTH; k = k + 1) mem[k] = 0;
  $readmemh("dram.hex", mem);
  prog_len = plen;
  prog_base = pbase;
  repeat (2) @(posedge clock);
  #1 run = 1;
  t = 0;
  while (!done && t <= maxc) begin @(posedge clock); #1 t = t + 1; end
  f = $fopen("out.txt", "w");
  if (done) $fdisplay(f, "RESULT %0d %0d %0d", cycles, err_class, err_index);
  else $fdisplay(f, "TIMEOUT %0d", t);
  // the whole final DRAM: every non-zero word as `word-address word`, hex
  for (k = 0; k < DEPTH; k = k + 1) if (mem[k] != 16'h0) $fdisplay(f, "%0h %h", k, mem[k]);
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
    )
}

/// Where builds are cached.
fn cache_root() -> PathBuf {
    std::env::temp_dir().join("diannao-verilator-cache")
}

/// Built executables of this process, by configuration and testbench parameters.
fn memo() -> &'static Mutex<HashMap<String, PathBuf>> {
    static M: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    M.get_or_init(|| Mutex::new(HashMap::new()))
}

fn run_tool(tool: Tool, args: &[&str], dir: &Path) -> Result<eda::Output, BackendError> {
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

/// The testbench executable for `cfg` with a DRAM model of 2^daw words (built once, then cached).
fn executable(cfg: &AccelConfig, daw: u32) -> Result<PathBuf, BackendError> {
    let p = TbParams {
        bw: 8 * cfg.dram.bytes_per_cycle,
        lat: cfg.dram.latency_cycles,
        daw,
    };
    let key = format!("{cfg:?}/{p:?}");
    let mut m = memo()
        .lock()
        .map_err(|_| fail("build cache lock poisoned"))?;
    if let Some(x) = m.get(&key) {
        return Ok(x.clone());
    }
    let top = top_verilog(cfg).map_err(fail)?;
    let tb = testbench(&p);
    let mut h = DefaultHasher::new();
    top.hash(&mut h);
    tb.hash(&mut h);
    let dir = cache_root().join(format!("{}-{:016x}", cfg.name, h.finish()));
    let exe = dir.join("obj").join("vtb");
    if !exe.exists() {
        let tmp = cache_root().join(format!("build-{}-{:016x}", std::process::id(), h.finish()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).map_err(|e| fail(format!("{}: {e}", tmp.display())))?;
        std::fs::write(tmp.join("top.v"), &top).map_err(|e| fail(e.to_string()))?;
        std::fs::write(tmp.join("tb.v"), &tb).map_err(|e| fail(e.to_string()))?;
        run_tool(
            Tool::Verilator,
            &[
                &["--binary", "--timing"][..],
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
            &tmp,
        )?;
        let _ = std::fs::remove_dir_all(&dir);
        if std::fs::rename(&tmp, &dir).is_err() && !exe.exists() {
            return Err(fail(format!("cannot move the build to {}", dir.display())));
        }
        let _ = std::fs::remove_dir_all(&tmp);
    }
    m.insert(key, exe.clone());
    Ok(exe)
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

/// Run the built testbench executable `exe` on `v` in a fresh directory.
pub(crate) fn run_exe(
    exe: &Path,
    v: &Vector,
    max_cycles: u64,
    backend: &'static str,
) -> Result<Outcome, BackendError> {
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
        format!("+maxc={max_cycles}"),
    ];
    eda::run_built(exe, &args, Some(dir.path())).map_err(|e| match e {
        EdaError::Failed { tool, output, .. } => fail(format!("{tool} failed: {output}")),
        e => fail(e.to_string()),
    })?;
    let text = std::fs::read_to_string(dir.path().join("out.txt"))
        .map_err(|e| fail(format!("no out.txt: {e}")))?;
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
    if head.first() != Some(&"RESULT") || head.len() != 4 {
        return Err(fail(format!("no halt: {}", head.join(" "))));
    }
    let num = |s: &str| {
        s.parse::<u64>()
            .map_err(|e| fail(format!("bad output `{s}`: {e}")))
    };
    let (cycles, cls, idx) = (num(head[1])?, num(head[2])?, num(head[3])?);
    let dumped = lines
        .map(|l| {
            let bad = |e: String| fail(format!("bad DRAM line `{l}`: {e}"));
            let (a, w) = l
                .trim()
                .split_once(' ')
                .ok_or_else(|| bad("no address".into()))?;
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
    })
}

/// log2 of the DRAM model words needed by `v` (rounded up to a multiple of 4 to share builds).
fn daw_for(v: &Vector) -> u32 {
    let words = dram_extent(v).div_ceil(2).max(1);
    let bits = 64 - (words - 1).leading_zeros();
    bits.max(MIN_DAW).div_ceil(4) * 4
}

impl Backend for VerilatorBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn run(&self, v: &Vector) -> Result<Outcome, BackendError> {
        let daw = daw_for(v);
        if daw > 28 {
            return Err(fail(format!("vector touches DRAM up to byte {:#x}; the Verilog DRAM model holds at most 512 MiB", dram_extent(v))));
        }
        let exe = executable(&v.cfg, daw)?;
        run_exe(&exe, v, self.max_cycles, NAME)
    }
}
