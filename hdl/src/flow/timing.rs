//! Critical-path estimate of a Yosys-synthesized UltraScale+ netlist: a
//! static timing analysis of the flattened `synth_xilinx` netlist (written
//! by Yosys as JSON) with a fixed per-cell-type delay model
//! ([`DelayModel`], [`ULTRASCALE_PLUS_2`]), for comparing a preset's
//! `clock_mhz` with what the fabric could plausibly reach.
//!
//! It is an estimate, not Vivado's timing: there is no placement, so every
//! net through the general interconnect costs the same assumed delay; and
//! the netlist is Yosys's (CARRY4 chains, unpacked DSP registers), not
//! Vivado's. The Vivado script of a board project checks the routed
//! design's WNS/TNS before writing a bitstream; that is the authority.
//!
//! Method: every bit of the netlist is a node; every combinational cell
//! adds arcs from its input bits to its output bits, weighted by the cell's
//! delay plus, for inputs reached through the general interconnect, one net
//! delay; sequential cells (flip-flops, block RAM, the registers of
//! DSP48E2s, the memory of LUTRAMs and SRLs) start paths with their
//! clock-to-output delay and end them with a net and a setup time. The
//! longest start-to-end path (longest path in a DAG, Kahn order), plus the
//! clock uncertainty, is the critical path.

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::collections::{HashMap, VecDeque};
use std::path::Path;
use thiserror::Error;

/// Delays of the model, ns. Every value is an assumption for a Zynq
/// UltraScale+ -2 speed grade at VCCINT = 0.85 V; docs/boards.md gives the
/// basis of each.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DelayModel {
    /// Model name as printed in reports.
    pub name: &'static str,
    /// One net through the general interconnect (placed and routed, typical), ns.
    pub net_ns: f64,
    /// LUT1..LUT6 (and a LUTRAM or SRL read through its address inputs), input to output, ns.
    pub lut_ns: f64,
    /// MUXF7/MUXF8/MUXF9 (dedicated, from the LUTs of the same slice), ns.
    pub muxf_ns: f64,
    /// Into a carry chain (CARRY4 S/DI from the LUT of the same slice) to any output of that cell, ns.
    pub carry_entry_ns: f64,
    /// Along a carry chain: CARRY4 carry-in to any of its outputs, ns.
    pub carry_ns: f64,
    /// One DSP48E2 stage (pre-adder and multiplier, or ALU), ns.
    pub dsp_stage_ns: f64,
    /// Clock to output of a DSP48E2 internal register, ns.
    pub dsp_clk_to_out_ns: f64,
    /// Setup of a DSP48E2 internal register, ns.
    pub dsp_setup_ns: f64,
    /// Flip-flop clock to Q, ns.
    pub ff_clk_to_q_ns: f64,
    /// Flip-flop setup, ns.
    pub ff_setup_ns: f64,
    /// Block RAM clock to data out without the output register, ns.
    pub bram_clk_to_out_ns: f64,
    /// Block RAM clock to data out with the output register (`DOA_REG`/`DOB_REG` = 1), ns.
    pub bram_reg_clk_to_out_ns: f64,
    /// Block RAM input setup (address, data, enables), ns.
    pub bram_setup_ns: f64,
    /// LUTRAM or SRL: write clock to data out (the memory changed), ns.
    pub lutmem_clk_to_out_ns: f64,
    /// LUTRAM or SRL: setup of the write inputs (data, write enable, write address), ns.
    pub lutmem_setup_ns: f64,
    /// Clock uncertainty and skew budget added to every path, ns.
    pub clock_uncertainty_ns: f64,
    /// Maximum frequency of the global clock tree (BUFG), MHz: no clock above it is reachable.
    pub clock_tree_fmax_mhz: f64,
}

/// The model for Zynq UltraScale+ -2 (VCCINT 0.85 V). The DSP48E2 figures
/// follow DS925's DSP48 FMAX (775 MHz with all registers: 1.35 ns =
/// clock-to-out + one stage + setup; 410 MHz without the pipeline
/// registers: 2.4 ns across two stages); the clock-tree limit is DS925's
/// BUFG FMAX (775 MHz). The fabric figures (LUT, net, carry, flip-flop,
/// block RAM, LUTRAM) are assumptions of typical post-route values.
pub const ULTRASCALE_PLUS_2: DelayModel = DelayModel {
    name: "UltraScale+ -2 (0.85 V) estimate",
    net_ns: 0.35,
    lut_ns: 0.10,
    muxf_ns: 0.10,
    carry_entry_ns: 0.15,
    carry_ns: 0.05,
    dsp_stage_ns: 1.05,
    dsp_clk_to_out_ns: 0.15,
    dsp_setup_ns: 0.15,
    ff_clk_to_q_ns: 0.10,
    ff_setup_ns: 0.05,
    bram_clk_to_out_ns: 1.00,
    bram_reg_clk_to_out_ns: 0.30,
    bram_setup_ns: 0.40,
    lutmem_clk_to_out_ns: 1.00,
    lutmem_setup_ns: 0.30,
    clock_uncertainty_ns: 0.15,
    clock_tree_fmax_mhz: 775.0,
};

/// One-paragraph statement of the method, printed with every estimate.
pub const METHOD: &str = "static timing analysis of the flattened Yosys netlist with fixed delays per cell \
type (no placement): each LUT level costs one general-interconnect net (0.35 ns) plus the LUT (0.10 ns); \
MUXF7/8/9 0.10 ns; carry chains 0.15 ns to enter a CARRY4 and 0.05 ns per further CARRY4; DSP48E2 1.05 ns per \
stage (pre-adder/multiplier, ALU) with its configured internal registers; flip-flop clock-to-Q 0.10 ns and \
setup 0.05 ns; block RAM clock-to-out 1.0 ns (0.3 ns with output register), setup 0.4 ns; 0.15 ns clock \
uncertainty. Assumed for UltraScale+ -2 at 0.85 V (DSP figures from the DS925 DSP48 FMAX; see docs/boards.md); \
Vivado's routed timing is the authority.";

/// Errors of the timing estimate.
#[derive(Debug, Error)]
pub enum TimingError {
    /// File I/O (the OS error is the `source`).
    #[error("{path}")]
    Io {
        /// Path.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The netlist is not Yosys JSON.
    #[error("the Yosys netlist {path} cannot be read: {msg}")]
    Json {
        /// Path.
        path: String,
        /// Parser message.
        msg: String,
    },
    /// The netlist has no module of that name.
    #[error("the Yosys netlist has no module `{0}`")]
    NoTop(String),
    /// A cell type the delay model does not know (the estimate would be silently wrong).
    #[error("no delay model for cell type `{cell_type}` (cell `{cell}`); add it to hdl/src/flow/timing.rs")]
    Unsupported {
        /// Cell type.
        cell_type: String,
        /// Cell name.
        cell: String,
    },
    /// A cell port without a direction.
    #[error("cell `{cell}` ({cell_type}): port `{port}` has no direction in the netlist")]
    NoDirection {
        /// Cell name.
        cell: String,
        /// Cell type.
        cell_type: String,
        /// Port.
        port: String,
    },
    /// A combinational loop: no longest path exists.
    #[error("combinational loop in the netlist (through net `{0}`)")]
    Loop(String),
    /// No timing path at all (a design of nothing).
    #[error("the netlist has no timing path (no register, no port)")]
    NoPath,
}

/// A bit of a connection: a net number or a constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bit {
    Net(u64),
    Const,
}

impl<'de> Deserialize<'de> for Bit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Bit;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a net number or a constant")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Bit, E> {
                Ok(Bit::Net(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Bit, E> {
                u64::try_from(v)
                    .map(Bit::Net)
                    .map_err(|_| E::custom("negative net number"))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Bit, E> {
                Ok(Bit::Const)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
struct JNetlist {
    modules: HashMap<String, JModule>,
}

#[derive(Deserialize)]
struct JModule {
    #[serde(default)]
    ports: HashMap<String, JPort>,
    #[serde(default)]
    cells: HashMap<String, JCell>,
    #[serde(default)]
    netnames: HashMap<String, JNet>,
}

#[derive(Deserialize)]
struct JPort {
    direction: String,
    bits: Vec<Bit>,
}

#[derive(Deserialize)]
struct JCell {
    #[serde(rename = "type")]
    cell_type: String,
    #[serde(default)]
    parameters: HashMap<String, serde_json::Value>,
    #[serde(default)]
    port_directions: HashMap<String, String>,
    #[serde(default)]
    connections: HashMap<String, Vec<Bit>>,
}

#[derive(Deserialize)]
struct JNet {
    #[serde(default)]
    hide_name: u8,
    bits: Vec<Bit>,
}

/// One cell on the critical path.
#[derive(Debug, Clone, PartialEq)]
pub struct PathStep {
    /// Cell type (`LUT6`, `CARRY4`, `DSP48E2`, ...).
    pub cell_type: String,
    /// Delay this cell adds, its input net included, ns.
    pub ns: f64,
    /// Name of the net the cell drives on the path (a Yosys net name, `name[bit]`).
    pub net: String,
}

/// The critical-path estimate of a netlist.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// Estimated critical path, ns: start point's clock-to-out, cells and nets, endpoint's net and setup, clock uncertainty.
    pub critical_ns: f64,
    /// Start point: net name and the cell type driving it (`port` for a top-level input).
    pub start: String,
    /// Endpoint: net name and the cell type it enters (`port` for a top-level output).
    pub end: String,
    /// Clock-to-out of the start point, ns.
    pub start_ns: f64,
    /// Net and setup at the endpoint, ns.
    pub end_ns: f64,
    /// The combinational cells along the path, in order.
    pub path: Vec<PathStep>,
    /// The delay model used.
    pub model: DelayModel,
    /// Every endpoint (cell or top-level output) with the longest path into it, the worst first.
    pub endpoints: Vec<Endpoint>,
}

/// One timing endpoint and the longest path into it.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    /// The endpoint cell's readable name (`core.nfu.<internal>`, `core.cp.pcr.q`), or a
    /// top-level output's net name: it starts with the cell's instance path, so endpoints
    /// can be grouped by block.
    pub cell: String,
    /// For display: the cell's output net if it has a public name (a register:
    /// `core.cp.pcr.q[3] (FDRE)`), else the net of its worst input, with the cell type.
    pub net: String,
    /// Start point of the longest path into it (net and cell type), for display.
    pub from: String,
    /// Longest path into it, clock uncertainty included, ns.
    pub ns: f64,
}

impl Timing {
    /// Estimated maximum clock frequency, MHz (1000 / critical path in ns).
    pub fn fmax_mhz(&self) -> f64 {
        1000.0 / self.critical_ns
    }

    /// Logic levels on the path: its cells except inverters (which Vivado folds into LUTs).
    pub fn levels(&self) -> usize {
        self.path.iter().filter(|s| s.cell_type != "INV").count()
    }

    /// Cells on the path by type, in order of first appearance, inverters left out.
    pub fn level_counts(&self) -> Vec<(String, usize)> {
        let mut v: Vec<(String, usize)> = Vec::new();
        for s in self.path.iter().filter(|s| s.cell_type != "INV") {
            match v.iter_mut().find(|(t, _)| *t == s.cell_type) {
                Some(e) => e.1 += 1,
                None => v.push((s.cell_type.clone(), 1)),
            }
        }
        v
    }
}

/// Whether a clock is plausible for a design.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockVerdict {
    /// The estimated critical path fits in the clock period.
    Plausible,
    /// The estimated critical path is longer than the clock period.
    TooFast,
    /// The clock is above the global clock tree's maximum frequency: unreachable whatever the logic.
    AboveClockTree,
}

/// A clock compared with a timing estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClockCheck {
    /// The clock, MHz.
    pub clock_mhz: f64,
    /// Its period, ns.
    pub period_ns: f64,
    /// Period minus estimated critical path, ns (negative: the path does not fit).
    pub slack_ns: f64,
    /// Verdict.
    pub verdict: ClockVerdict,
}

impl ClockCheck {
    /// One line: the clock, the estimate and the verdict.
    pub fn sentence(&self, t: &Timing) -> String {
        let what = match self.verdict {
            ClockVerdict::Plausible => "plausible".to_string(),
            ClockVerdict::TooFast => format!(
                "NOT plausible: the estimated critical path is {:.2} ns longer than the period",
                -self.slack_ns
            ),
            ClockVerdict::AboveClockTree => format!(
                "NOT reachable: above the global clock tree's FMAX ({:.0} MHz)",
                t.model.clock_tree_fmax_mhz
            ),
        };
        format!(
            "clock_mhz = {} MHz (period {:.2} ns) vs estimated fmax {:.0} MHz (critical path {:.2} ns, slack {:+.2} ns): {what}",
            fmt_mhz(self.clock_mhz),
            self.period_ns,
            t.fmax_mhz(),
            t.critical_ns,
            self.slack_ns
        )
    }
}

/// A frequency in MHz without a trailing `.0` (`100`, `187.5`).
pub fn fmt_mhz(mhz: f64) -> String {
    if mhz.fract() == 0.0 {
        format!("{mhz:.0}")
    } else {
        format!("{mhz}")
    }
}

/// Compare `clock_mhz` (the preset's `clock_mhz`) with the estimate `t`.
pub fn check_clock(t: &Timing, clock_mhz: f64) -> ClockCheck {
    let period_ns = 1000.0 / clock_mhz;
    let slack_ns = period_ns - t.critical_ns;
    let verdict = if clock_mhz > t.model.clock_tree_fmax_mhz {
        ClockVerdict::AboveClockTree
    } else if slack_ns >= 0.0 {
        ClockVerdict::Plausible
    } else {
        ClockVerdict::TooFast
    };
    ClockCheck {
        clock_mhz,
        period_ns,
        slack_ns,
        verdict,
    }
}

/// Read a Yosys JSON netlist (`write_json` of the flattened design) and
/// estimate the critical path of module `top` with `model`.
pub fn analyze_file(path: &Path, top: &str, model: &DelayModel) -> Result<Timing, TimingError> {
    let bytes = std::fs::read(path).map_err(|source| TimingError::Io {
        path: path.display().to_string(),
        source,
    })?;
    analyze_json(&bytes, top, model).map_err(|e| match e {
        TimingError::Json { msg, .. } => TimingError::Json {
            path: path.display().to_string(),
            msg,
        },
        e => e,
    })
}

/// As [`analyze_file`], on the JSON text.
pub fn analyze_json(json: &[u8], top: &str, model: &DelayModel) -> Result<Timing, TimingError> {
    let n: JNetlist = serde_json::from_slice(json).map_err(|e| TimingError::Json {
        path: "(text)".into(),
        msg: e.to_string(),
    })?;
    let m = n
        .modules
        .get(top)
        .ok_or_else(|| TimingError::NoTop(top.to_string()))?;
    analyze_module(m, model)
}

/// An arc's kind of input: through the general interconnect (one net delay), a dedicated
/// connection, or dedicated when the net's driver is of a kind (a LUT into its slice's carry
/// chain or F7 mux, an F7 mux into the F8 mux, ...) and general otherwise.
#[derive(Clone, Copy)]
enum Route {
    General,
    Dedicated,
    Local(fn(&str) -> bool),
}

struct Graph<'a> {
    model: &'a DelayModel,
    /// Net -> type of the cell driving it.
    drivers: HashMap<u64, &'a str>,
    index: HashMap<u64, u32>,
    /// Per node: its net number (`None` for a cell-internal node).
    nets: Vec<Option<u64>>,
    /// Per node: clock-to-out if it is a start point.
    start: Vec<f64>,
    /// Per node: the type of the cell that starts a path there.
    start_cell: Vec<Option<u32>>,
    edges: Vec<(u32, u32, f64, u32)>,
    /// (node, net + setup, cell index or `u32::MAX` for a port).
    ends: Vec<(u32, f64, u32)>,
}

impl<'a> Graph<'a> {
    fn node(&mut self, net: u64) -> u32 {
        if let Some(&i) = self.index.get(&net) {
            return i;
        }
        let i = self.push(Some(net));
        self.index.insert(net, i);
        i
    }
    fn push(&mut self, net: Option<u64>) -> u32 {
        let i = self.nets.len() as u32;
        self.nets.push(net);
        self.start.push(0.0);
        self.start_cell.push(None);
        i
    }
    /// Delay of net `bit` reached through `r`.
    fn net_delay(&self, r: Route, bit: u64) -> f64 {
        let local = match r {
            Route::General => false,
            Route::Dedicated => true,
            Route::Local(f) => self.drivers.get(&bit).is_some_and(|t| f(t)),
        };
        if local {
            0.0
        } else {
            self.model.net_ns
        }
    }
    fn arc(&mut self, from: u32, to: u32, ns: f64, cell: u32) {
        self.edges.push((from, to, ns, cell));
    }
    fn start_at(&mut self, n: u32, ns: f64, cell: u32) {
        if self.start_cell[n as usize].is_none() || ns > self.start[n as usize] {
            self.start[n as usize] = ns;
            self.start_cell[n as usize] = Some(cell);
        }
    }
    fn end_at(&mut self, n: u32, ns: f64, cell: u32) {
        self.ends.push((n, ns, cell));
    }
}

fn param(c: &JCell, name: &str) -> u64 {
    match c.parameters.get(name) {
        Some(serde_json::Value::Number(n)) => n.as_u64().unwrap_or(0),
        Some(serde_json::Value::String(s)) => {
            u64::from_str_radix(s.trim(), 2).unwrap_or(if s.trim().is_empty() { 0 } else { 1 })
        }
        _ => 0,
    }
}

fn is_lut(t: &str) -> bool {
    t.len() == 4 && t.starts_with("LUT") && matches!(t.as_bytes()[3], b'1'..=b'6')
}

fn is_ff(t: &str) -> bool {
    matches!(
        t,
        "FDRE" | "FDSE" | "FDCE" | "FDPE" | "FDRE_1" | "FDSE_1" | "FDCE_1" | "FDPE_1"
    )
}

fn is_lutram(t: &str) -> bool {
    matches!(
        t,
        "RAM16X1S"
            | "RAM32X1S"
            | "RAM64X1S"
            | "RAM128X1S"
            | "RAM256X1S"
            | "RAM512X1S"
            | "RAM16X1D"
            | "RAM32X1D"
            | "RAM64X1D"
            | "RAM128X1D"
            | "RAM256X1D"
            | "RAM32M"
            | "RAM64M"
            | "RAM32M16"
            | "RAM64M8"
    )
}

/// DSP48E2 input ports by stage: (port, register parameter, dedicated cascade input).
const DSP_MULT_INPUTS: &[(&str, &str, bool)] = &[
    ("A", "AREG", false),
    ("ACIN", "AREG", true),
    ("B", "BREG", false),
    ("BCIN", "BREG", true),
    ("D", "DREG", false),
    ("INMODE", "INMODEREG", false),
];
const DSP_ALU_INPUTS: &[(&str, &str, bool)] = &[
    ("C", "CREG", false),
    ("PCIN", "", true),
    ("CARRYIN", "CARRYINREG", false),
    ("CARRYINSEL", "CARRYINSELREG", false),
    ("OPMODE", "OPMODEREG", false),
    ("ALUMODE", "ALUMODEREG", false),
    ("CARRYCASCIN", "", true),
    ("MULTSIGNIN", "", true),
];
const DSP_ALU_OUTPUTS: &[&str] = &[
    "P",
    "PCOUT",
    "CARRYOUT",
    "CARRYCASCOUT",
    "MULTSIGNOUT",
    "OVERFLOW",
    "UNDERFLOW",
    "PATTERNDETECT",
    "PATTERNBDETECT",
    "XOROUT",
];

fn nets(bits: &[Bit]) -> impl Iterator<Item = (usize, u64)> + '_ {
    bits.iter().enumerate().filter_map(|(i, b)| match b {
        Bit::Net(n) => Some((i, *n)),
        Bit::Const => None,
    })
}

fn add_cell(g: &mut Graph, ci: u32, name: &str, c: &JCell) -> Result<(), TimingError> {
    let m = *g.model;
    let t = c.cell_type.as_str();
    let conn = |p: &str| c.connections.get(p).map(Vec::as_slice).unwrap_or(&[]);
    let dir = |p: &str| -> Result<&str, TimingError> {
        c.port_directions
            .get(p)
            .map(String::as_str)
            .ok_or_else(|| TimingError::NoDirection {
                cell: name.to_string(),
                cell_type: t.to_string(),
                port: p.to_string(),
            })
    };
    let mut ins: Vec<&str> = Vec::new();
    let mut outs: Vec<&str> = Vec::new();
    for p in c.connections.keys() {
        match dir(p)? {
            "output" => outs.push(p),
            _ => ins.push(p),
        }
    }
    ins.sort_unstable();
    outs.sort_unstable();
    // all-to-all arcs from `ip` to every bit of every port in `ops`
    let comb = |g: &mut Graph, ip: &str, ops: &[&str], r: Route, ns: f64| {
        for (_, bit) in nets(conn(ip)) {
            let a = g.node(bit);
            let d = g.net_delay(r, bit) + ns;
            for op in ops {
                for (_, b) in nets(conn(op)) {
                    let b = g.node(b);
                    g.arc(a, b, d, ci);
                }
            }
        }
    };
    let start = |g: &mut Graph, op: &str, ns: f64| {
        for (_, b) in nets(conn(op)) {
            let b = g.node(b);
            g.start_at(b, ns, ci);
        }
    };
    let end = |g: &mut Graph, ip: &str, r: Route, setup: f64| {
        for (_, bit) in nets(conn(ip)) {
            let a = g.node(bit);
            let d = g.net_delay(r, bit) + setup;
            g.end_at(a, d, ci);
        }
    };
    match t {
        _ if is_lut(t) => {
            for ip in &ins {
                comb(g, ip, &outs, Route::General, m.lut_ns);
            }
        }
        "INV" => {
            for ip in &ins {
                comb(g, ip, &outs, Route::Dedicated, 0.0);
            }
        }
        "MUXF7" | "MUXF8" | "MUXF9" => {
            // I0/I1 from the LUTs (F7) or the muxes (F8, F9) of the same slice
            let feeder: fn(&str) -> bool = match t {
                "MUXF7" => is_lut,
                "MUXF8" => |d| d == "MUXF7",
                _ => |d| d == "MUXF8",
            };
            for ip in &ins {
                let r = if *ip == "S" {
                    Route::General
                } else {
                    Route::Local(feeder)
                };
                comb(g, ip, &outs, r, m.muxf_ns);
            }
        }
        "CARRY4" | "CARRY8" => {
            for ip in &ins {
                match *ip {
                    "CI" => comb(
                        g,
                        ip,
                        &outs,
                        Route::Local(|d| d == "CARRY4" || d == "CARRY8"),
                        m.carry_ns,
                    ),
                    "S" | "DI" => {
                        // bit i enters the chain (from the LUT of its slice) and reaches
                        // outputs i and above
                        for (i, bit) in nets(conn(ip)) {
                            let a = g.node(bit);
                            let d = g.net_delay(Route::Local(is_lut), bit) + m.carry_entry_ns;
                            for op in &outs {
                                for (j, b) in nets(conn(op)) {
                                    if j >= i {
                                        let b = g.node(b);
                                        g.arc(a, b, d, ci);
                                    }
                                }
                            }
                        }
                    }
                    // CYINIT, CI_TOP: from the general interconnect
                    _ => comb(g, ip, &outs, Route::General, m.carry_entry_ns),
                }
            }
        }
        _ if is_ff(t) => {
            for op in &outs {
                start(g, op, m.ff_clk_to_q_ns);
            }
            for ip in ins.iter().filter(|p| **p != "C") {
                end(g, ip, Route::General, m.ff_setup_ns);
            }
        }
        "SRL16E" | "SRLC16E" | "SRLC32E" => {
            for op in &outs {
                start(g, op, m.lutmem_clk_to_out_ns);
            }
            for ip in ins.iter().filter(|p| **p != "CLK") {
                if ip.starts_with('A') {
                    comb(g, ip, &["Q"], Route::General, m.lut_ns);
                } else {
                    end(g, ip, Route::General, m.lutmem_setup_ns);
                }
            }
        }
        _ if is_lutram(t) => {
            // multi-port RAMs (RAM32M/RAM64M, RAM32M16/RAM64M8): ADDRx reads DOx, the last
            // port's address (ADDRD, ADDRH) is also the write address; the others: A reads
            // O (single port) or SPO, DPRA reads DPO, and A is the write address
            let multi = t.starts_with("RAM32M") || t.starts_with("RAM64M");
            let write_addr = match t {
                "RAM32M16" | "RAM64M8" => "ADDRH",
                _ => "ADDRD",
            };
            for op in &outs {
                start(g, op, m.lutmem_clk_to_out_ns);
            }
            for ip in ins.iter().filter(|p| **p != "WCLK") {
                let dpra = ip.starts_with("DPRA");
                let addr = if multi {
                    ip.starts_with("ADDR")
                } else {
                    dpra || (ip.starts_with('A') && ip[1..].chars().all(|c| c.is_ascii_digit()))
                };
                if addr {
                    let targets: Vec<&str> = if multi {
                        let letter = &ip["ADDR".len()..];
                        outs.iter()
                            .copied()
                            .filter(|o| o.strip_prefix("DO") == Some(letter))
                            .collect()
                    } else if dpra {
                        vec!["DPO"]
                    } else {
                        outs.iter().copied().filter(|o| *o != "DPO").collect()
                    };
                    comb(g, ip, &targets, Route::General, m.lut_ns);
                }
                let read_only = dpra || (multi && addr && *ip != write_addr);
                if !read_only {
                    end(g, ip, Route::General, m.lutmem_setup_ns);
                }
            }
        }
        "RAMB18E2" | "RAMB36E2" | "URAM288" | "URAM288_BASE" => {
            for op in &outs {
                let reg = if op.contains("ADOUT") || op.ends_with("_A") {
                    param(c, "DOA_REG") == 1 || param(c, "OREG_A") != 0
                } else {
                    param(c, "DOB_REG") == 1 || param(c, "OREG_B") != 0
                };
                let ns = if reg {
                    m.bram_reg_clk_to_out_ns
                } else {
                    m.bram_clk_to_out_ns
                };
                start(g, op, ns);
            }
            for ip in ins.iter().filter(|p| !p.starts_with("CLK")) {
                end(g, ip, Route::General, m.bram_setup_ns);
            }
        }
        "DSP48E2" => {
            let mult = g.push(None);
            let alu = g.push(None);
            let stage_in = |g: &mut Graph, list: &[(&str, &str, bool)], node: u32| {
                for (p, reg, cascade) in list {
                    let r = if *cascade {
                        Route::Dedicated
                    } else {
                        Route::General
                    };
                    let registered = !reg.is_empty() && param(c, reg) != 0;
                    for (_, bit) in nets(conn(p)) {
                        let a = g.node(bit);
                        let d = g.net_delay(r, bit);
                        if registered {
                            g.end_at(a, d + m.dsp_setup_ns, ci);
                            g.start_at(node, m.dsp_clk_to_out_ns, ci);
                        } else {
                            g.arc(a, node, d, ci);
                        }
                    }
                }
            };
            stage_in(g, DSP_MULT_INPUTS, mult);
            stage_in(g, DSP_ALU_INPUTS, alu);
            // multiplier stage, then MREG or straight into the ALU
            let m_out = g.push(None);
            g.arc(mult, m_out, m.dsp_stage_ns, ci);
            if param(c, "MREG") != 0 {
                g.end_at(m_out, m.dsp_setup_ns, ci);
                g.start_at(alu, m.dsp_clk_to_out_ns, ci);
            } else {
                g.arc(m_out, alu, 0.0, ci);
            }
            // ALU stage, then PREG or out
            let preg = param(c, "PREG") != 0;
            if preg {
                g.end_at(alu, m.dsp_stage_ns + m.dsp_setup_ns, ci);
            }
            for op in DSP_ALU_OUTPUTS {
                for (_, b) in nets(conn(op)) {
                    let b = g.node(b);
                    if preg {
                        g.start_at(b, m.dsp_clk_to_out_ns, ci);
                    } else {
                        g.arc(alu, b, m.dsp_stage_ns, ci);
                    }
                }
            }
            // the A/B cascade outputs follow their input registers
            for (op, ip, reg) in [("ACOUT", "A", "AREG"), ("BCOUT", "B", "BREG")] {
                if param(c, reg) != 0 {
                    start(g, op, m.dsp_clk_to_out_ns);
                } else {
                    comb(g, ip, &[op], Route::General, 0.0);
                }
            }
            // clock enables and resets of the internal registers
            for ip in ins
                .iter()
                .filter(|p| p.starts_with("CE") || p.starts_with("RST"))
            {
                end(g, ip, Route::General, m.dsp_setup_ns);
            }
        }
        "BUFG" | "BUFGCE" | "BUFGCTRL" | "BUFG_PS" | "BUFGCE_DIV" => {
            // clock buffers: their outputs are clocks, not data; enables are endpoints
            for ip in ins
                .iter()
                .filter(|p| p.starts_with("CE") || p.starts_with('S'))
            {
                end(g, ip, Route::General, m.ff_setup_ns);
            }
        }
        _ => {
            return Err(TimingError::Unsupported {
                cell_type: t.to_string(),
                cell: name.to_string(),
            })
        }
    }
    Ok(())
}

fn analyze_module(m: &JModule, model: &DelayModel) -> Result<Timing, TimingError> {
    let mut cells: Vec<(&String, &JCell)> = m.cells.iter().collect();
    cells.sort_by(|a, b| a.0.cmp(b.0));
    let mut drivers: HashMap<u64, &str> = HashMap::new();
    for (_, c) in &cells {
        for (p, bits) in &c.connections {
            if c.port_directions.get(p).map(String::as_str) == Some("output") {
                for (_, b) in nets(bits) {
                    drivers.insert(b, c.cell_type.as_str());
                }
            }
        }
    }
    let mut g = Graph {
        model,
        drivers,
        index: HashMap::new(),
        nets: Vec::new(),
        start: Vec::new(),
        start_cell: Vec::new(),
        edges: Vec::new(),
        ends: Vec::new(),
    };
    for (i, (name, c)) in cells.iter().enumerate() {
        add_cell(&mut g, i as u32, name, c)?;
    }
    const PORT: u32 = u32::MAX;
    let mut ports: Vec<(&String, &JPort)> = m.ports.iter().collect();
    ports.sort_by(|a, b| a.0.cmp(b.0));
    for (_, p) in &ports {
        for (_, b) in nets(&p.bits) {
            let n = g.node(b);
            match p.direction.as_str() {
                // driven by a register outside (the AXI interconnect, the PS)
                "input" => g.start_at(n, model.ff_clk_to_q_ns, PORT),
                _ => g.end_at(n, model.net_ns + model.ff_setup_ns, PORT),
            }
        }
    }
    if g.ends.is_empty() {
        return Err(TimingError::NoPath);
    }
    // longest path, Kahn order
    let nn = g.nets.len();
    let mut first = vec![u32::MAX; nn];
    let mut next = vec![u32::MAX; g.edges.len()];
    let mut indeg = vec![0u32; nn];
    for (k, e) in g.edges.iter().enumerate() {
        next[k] = first[e.0 as usize];
        first[e.0 as usize] = k as u32;
        indeg[e.1 as usize] += 1;
    }
    let mut arrival = g.start.clone();
    let mut pred = vec![u32::MAX; nn];
    let mut queue: VecDeque<u32> = (0..nn as u32).filter(|&i| indeg[i as usize] == 0).collect();
    let mut done = 0usize;
    while let Some(u) = queue.pop_front() {
        done += 1;
        let mut k = first[u as usize];
        while k != u32::MAX {
            let (_, v, d, _) = g.edges[k as usize];
            let a = arrival[u as usize] + d;
            if a > arrival[v as usize] || (pred[v as usize] == u32::MAX && a >= arrival[v as usize])
            {
                arrival[v as usize] = a;
                pred[v as usize] = k;
            }
            indeg[v as usize] -= 1;
            if indeg[v as usize] == 0 {
                queue.push_back(v);
            }
            k = next[k as usize];
        }
    }
    let names = net_names(m);
    let describe = |n: u32| -> String {
        match g.nets[n as usize] {
            Some(b) => names.get(&b).cloned().unwrap_or_else(|| format!("net {b}")),
            None => "(inside the cell)".to_string(),
        }
    };
    if done < nn {
        let stuck = (0..nn as u32)
            .find(|&i| indeg[i as usize] > 0 && g.nets[i as usize].is_some())
            .unwrap_or(0);
        return Err(TimingError::Loop(describe(stuck)));
    }
    let (end_node, end_ns, end_cell) = g
        .ends
        .iter()
        .copied()
        .max_by(|a, b| {
            (arrival[a.0 as usize] + a.1)
                .partial_cmp(&(arrival[b.0 as usize] + b.1))
                .unwrap_or(std::cmp::Ordering::Equal)
        })
        .ok_or(TimingError::NoPath)?;
    let cell_type = |ci: u32| -> String {
        if ci == PORT {
            "port".to_string()
        } else {
            cells[ci as usize].1.cell_type.clone()
        }
    };
    // walk back; consecutive hops through one cell (a DSP48E2's stages) make one step
    let mut steps: Vec<(u32, PathStep)> = Vec::new();
    let mut n = end_node;
    while pred[n as usize] != u32::MAX {
        let (u, v, d, ci) = g.edges[pred[n as usize] as usize];
        match steps.last_mut() {
            Some((c, s)) if *c == ci => s.ns += d,
            _ => steps.push((
                ci,
                PathStep {
                    cell_type: cell_type(ci),
                    ns: d,
                    net: describe(v),
                },
            )),
        }
        n = u;
    }
    let path: Vec<PathStep> = steps.into_iter().rev().map(|(_, s)| s).collect();
    let start_node = n;
    let start_ns = arrival[start_node as usize];
    let start = format!(
        "{} ({})",
        describe(start_node),
        g.start_cell[start_node as usize]
            .map(cell_type)
            .unwrap_or_else(|| "undriven".to_string())
    );
    let end = format!("{} ({})", describe(end_node), cell_type(end_cell));
    let critical_ns = arrival[end_node as usize] + end_ns + model.clock_uncertainty_ns;
    // the worst input of each endpoint cell (each top-level output bit on its own)
    let mut worst: HashMap<(u32, u32), (f64, u32)> = HashMap::new();
    for &(n, extra, ci) in &g.ends {
        let key = if ci == PORT { (ci, n) } else { (ci, 0) };
        let ns = arrival[n as usize] + extra + model.clock_uncertainty_ns;
        let w = worst.entry(key).or_insert((ns, n));
        if ns > w.0 {
            *w = (ns, n);
        }
    }
    // where the worst path into `n` starts
    let origin = |mut n: u32| -> String {
        while pred[n as usize] != u32::MAX {
            n = g.edges[pred[n as usize] as usize].0;
        }
        format!(
            "{} ({})",
            describe(n),
            g.start_cell[n as usize]
                .map(cell_type)
                .unwrap_or_else(|| "undriven".to_string())
        )
    };
    // a register is best named by its output (`core.cp.pcr.q[3]`), if that name is public
    let label = |ci: u32, n: u32| -> String {
        let c = cells[ci as usize].1;
        let public = c
            .connections
            .iter()
            .filter(|(p, _)| c.port_directions.get(*p).map(String::as_str) == Some("output"))
            .flat_map(|(_, bits)| nets(bits).map(|(_, b)| b).collect::<Vec<_>>())
            .filter_map(|b| names.get(&b))
            .find(|name| !name.contains("<internal>"));
        match public {
            Some(q) => format!("{q} ({})", c.cell_type),
            None => format!("{} ({} input)", describe(n), c.cell_type),
        }
    };
    let mut endpoints: Vec<Endpoint> = worst
        .into_iter()
        .map(|((ci, _), (ns, n))| Endpoint {
            cell: if ci == PORT {
                describe(n)
            } else {
                readable(cells[ci as usize].0)
            },
            net: if ci == PORT {
                format!("{} (port)", describe(n))
            } else {
                label(ci, n)
            },
            from: origin(n),
            ns,
        })
        .collect();
    endpoints.sort_by(|a, b| {
        b.ns.partial_cmp(&a.ns)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.cell.cmp(&b.cell))
    });
    Ok(Timing {
        critical_ns,
        start,
        end,
        start_ns,
        end_ns,
        path,
        model: *model,
        endpoints,
    })
}

/// A readable form of a Yosys net name: a private name (`$flatten\core.\nfu.$abc$...`)
/// becomes its instance path and `<internal>` (`core.nfu.<internal>`).
fn readable(name: &str) -> String {
    if !name.starts_with('$') {
        return name.to_string();
    }
    let mut rest = name.strip_prefix("$flatten").unwrap_or("");
    let mut path = Vec::new();
    while let Some(r) = rest.strip_prefix('\\') {
        let Some(dot) = r.find('.') else { break };
        path.push(&r[..dot]);
        rest = &r[dot + 1..];
    }
    path.push("<internal>");
    path.join(".")
}

/// Net number -> readable name (`name[i]` for a bit of a bus), public names preferred.
fn net_names(m: &JModule) -> HashMap<u64, String> {
    let mut best: HashMap<u64, (u8, usize, String)> = HashMap::new();
    for (name, w) in &m.netnames {
        let width = w.bits.len();
        for (i, b) in nets(&w.bits) {
            let base = readable(name);
            let label = if width > 1 {
                format!("{base}[{i}]")
            } else {
                base
            };
            let key = (w.hide_name, label.len(), label);
            match best.get(&b) {
                Some(k) if (k.0, k.1, &k.2) <= (key.0, key.1, &key.2) => {}
                _ => {
                    best.insert(b, key);
                }
            }
        }
    }
    best.into_iter().map(|(b, (_, _, l))| (b, l)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(ty: &str, conns: &[(&str, &str, &[u64])], params: &[(&str, &str)]) -> String {
        let dirs: Vec<String> = conns
            .iter()
            .map(|(p, d, _)| format!("\"{p}\": \"{d}\""))
            .collect();
        let cs: Vec<String> = conns
            .iter()
            .map(|(p, _, b)| {
                format!(
                    "\"{p}\": [{}]",
                    b.iter()
                        .map(|x| x.to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                )
            })
            .collect();
        let ps: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("\"{k}\": \"{v}\""))
            .collect();
        format!(
            "{{\"type\": \"{ty}\", \"parameters\": {{{}}}, \"port_directions\": {{{}}}, \"connections\": {{{}}}}}",
            ps.join(","),
            dirs.join(","),
            cs.join(",")
        )
    }

    fn netlist(cells: &[(&str, String)]) -> String {
        let cs: Vec<String> = cells.iter().map(|(n, c)| format!("\"{n}\": {c}")).collect();
        format!(
            "{{\"modules\": {{\"top\": {{\"ports\": {{\"clk\": {{\"direction\": \"input\", \"bits\": [2]}}}}, \
             \"cells\": {{{}}}, \"netnames\": {{\"q0\": {{\"hide_name\": 0, \"bits\": [3]}}, \"d1\": {{\"hide_name\": 0, \"bits\": [6]}}}}}}}}}}",
            cs.join(",")
        )
    }

    fn ff(d: u64, q: u64) -> String {
        cell(
            "FDRE",
            &[
                ("C", "input", &[2]),
                ("D", "input", &[d]),
                ("Q", "output", &[q]),
            ],
            &[],
        )
    }

    fn lut(i: u64, o: u64) -> String {
        cell("LUT2", &[("I0", "input", &[i]), ("O", "output", &[o])], &[])
    }

    #[test]
    fn two_lut_levels_between_flip_flops() {
        let m = ULTRASCALE_PLUS_2;
        let j = netlist(&[
            ("f0", ff(6, 3)),
            ("l1", lut(3, 4)),
            ("l2", lut(4, 5)),
            (
                "i",
                cell("INV", &[("I", "input", &[5]), ("O", "output", &[6])], &[]),
            ),
        ]);
        let t = analyze_json(j.as_bytes(), "top", &m).unwrap();
        let want = m.ff_clk_to_q_ns
            + 2.0 * (m.net_ns + m.lut_ns)
            + m.net_ns
            + m.ff_setup_ns
            + m.clock_uncertainty_ns;
        assert!((t.critical_ns - want).abs() < 1e-9, "{t:?}");
        assert_eq!(t.levels(), 2);
        assert_eq!(t.level_counts(), vec![("LUT2".to_string(), 2)]);
        assert!(t.start.starts_with("q0 (FDRE)"), "{}", t.start);
        assert!(t.end.starts_with("d1 (FDRE)"), "{}", t.end);
        let c = check_clock(&t, 100.0);
        assert_eq!(c.verdict, ClockVerdict::Plausible);
        assert_eq!(check_clock(&t, 800.0).verdict, ClockVerdict::AboveClockTree);
        assert_eq!(
            check_clock(&t, 1000.0 / (t.critical_ns - 0.01)).verdict,
            ClockVerdict::TooFast
        );
    }

    #[test]
    fn carry_chain_costs_entry_then_per_cell() {
        let m = ULTRASCALE_PLUS_2;
        let carry = |ci: u64, s0: u64, co3: u64| {
            cell(
                "CARRY4",
                &[
                    ("CI", "input", &[ci]),
                    ("S", "input", &[s0, 200 + co3, 201 + co3, 202 + co3]),
                    ("CO", "output", &[300 + co3, 301 + co3, 302 + co3, co3]),
                ],
                &[],
            )
        };
        // ff -> lut -> carry (entry) -> carry -> carry -> ff
        let j = netlist(&[
            ("f0", ff(21, 3)),
            ("l", lut(3, 10)),
            ("c0", carry(11, 10, 12)),
            ("c1", carry(12, 13, 14)),
            ("c2", carry(14, 15, 16)),
            ("l2", lut(16, 21)),
        ]);
        let t = analyze_json(j.as_bytes(), "top", &m).unwrap();
        let want = m.ff_clk_to_q_ns
            + 2.0 * (m.net_ns + m.lut_ns)
            + m.carry_entry_ns
            + 2.0 * m.carry_ns
            + m.net_ns
            + m.ff_setup_ns
            + m.clock_uncertainty_ns;
        assert!((t.critical_ns - want).abs() < 1e-9, "{t:?}");
        assert_eq!(
            t.level_counts(),
            vec![("LUT2".to_string(), 2), ("CARRY4".to_string(), 3)]
        );
        assert_eq!(t.levels(), 5);
    }

    #[test]
    fn dsp_registers_cut_the_path() {
        let m = ULTRASCALE_PLUS_2;
        let dsp = |areg: &str, mreg: &str, preg: &str| {
            cell(
                "DSP48E2",
                &[
                    ("CLK", "input", &[2]),
                    ("A", "input", &[3]),
                    ("P", "output", &[5]),
                ],
                &[("AREG", areg), ("MREG", mreg), ("PREG", preg)],
            )
        };
        let run = |d: String| {
            let j = netlist(&[("f0", ff(6, 3)), ("d", d), ("f1", ff(5, 6))]);
            analyze_json(j.as_bytes(), "top", &m).unwrap().critical_ns
        };
        let unc = m.clock_uncertainty_ns;
        let comb = run(dsp("0", "0", "0"));
        let want =
            m.ff_clk_to_q_ns + m.net_ns + 2.0 * m.dsp_stage_ns + m.net_ns + m.ff_setup_ns + unc;
        assert!((comb - want).abs() < 1e-9, "{comb} vs {want}");
        // all registers: one stage between two internal registers (DS925: 775 MHz)
        let all = run(dsp("1", "1", "1"));
        let stage = m.dsp_clk_to_out_ns + m.dsp_stage_ns + m.dsp_setup_ns + unc;
        assert!((all - stage).abs() < 1e-9, "{all} vs {stage}");
        assert!(1000.0 / (stage - unc) > 700.0 && 1000.0 / (stage - unc) < 775.0);
        // no MREG (and AREG, PREG used): two stages (DS925: 410 MHz)
        let two = run(dsp("1", "0", "1"));
        let stages = m.dsp_clk_to_out_ns + 2.0 * m.dsp_stage_ns + m.dsp_setup_ns + unc;
        assert!((two - stages).abs() < 1e-9, "{two} vs {stages}");
        assert!((1000.0 / (stages - unc) - 410.0).abs() < 15.0);
    }

    #[test]
    fn private_names_become_instance_paths() {
        assert_eq!(
            readable("$flatten\\core.\\nfu.$abc$93014$auto$blifparse.cc:525:parse_blif$93951.A"),
            "core.nfu.<internal>"
        );
        assert_eq!(
            readable("$auto$alumacc.cc:485:replace_alu$17225.X"),
            "<internal>"
        );
        assert_eq!(readable("core.nfu.nfu3.ddata$d"), "core.nfu.nfu3.ddata$d");
    }

    #[test]
    fn loops_and_unknown_cells_are_errors() {
        let m = ULTRASCALE_PLUS_2;
        let j = netlist(&[("f0", ff(3, 9)), ("a", lut(4, 5)), ("b", lut(5, 4))]);
        let e = analyze_json(j.as_bytes(), "top", &m).unwrap_err();
        assert!(matches!(e, TimingError::Loop(_)), "{e}");
        let j = netlist(&[
            ("f0", ff(3, 4)),
            (
                "x",
                cell("LDCE", &[("D", "input", &[4]), ("Q", "output", &[3])], &[]),
            ),
        ]);
        let e = analyze_json(j.as_bytes(), "top", &m)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no delay model for cell type `LDCE`"), "{e}");
        let e = analyze_json(b"{\"modules\": {}}", "top", &m).unwrap_err();
        assert!(matches!(e, TimingError::NoTop(_)), "{e}");
        let e = analyze_json(b"not json", "top", &m)
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot be read") && !e.contains('\n'), "{e}");
    }
}
