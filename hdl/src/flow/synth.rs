//! Resource estimates with Yosys `synth_xilinx -family xcup`: run it on a
//! Verilog file, parse its `stat` output into UltraScale+ primitive counts,
//! and compare them with a part's capacity ([`super::parts`]).
//!
//! Per block: rust-hdl emits one module per instance (`top$core$nfu`), so
//! the report gives the block modules of a table ([`CORE_BLOCKS`],
//! [`WRAPPER_BLOCKS`], [`Layout`]) the `keep_hierarchy` attribute, lets
//! `synth_xilinx -flatten` flatten everything else into them, and reads
//! `stat`'s per-module sections; each module's cells count for the group of
//! its nearest block ([`group_of`]) and the groups must add up to the
//! design totals ([`group_resources`]). The kept boundaries stop constants
//! propagating across those few modules, so the totals differ slightly from
//! a fully flat run (docs/hdl.md). Afterwards the design is flattened and
//! written as JSON for the critical-path estimate ([`super::timing`]).
//!
//! Yosys counts are estimates, not Vivado's: Yosys maps carries to CARRY4
//! even on UltraScale+ (Vivado uses CARRY8), does not pack product registers
//! into the DSP48E2 pipeline registers (they stay as fabric FFs), and its
//! LUT mapping (ABC) differs from Vivado's.

use super::eda::{self, EdaError, Tool};
use super::parts::Part;
use super::timing::{self, Endpoint, Timing, TimingError, ULTRASCALE_PLUS_2};
use std::path::Path;
use thiserror::Error;

/// Errors of a synthesis run.
#[derive(Debug, Error)]
pub enum SynthError {
    /// Yosys is missing (the error names it and its Debian package).
    #[error(transparent)]
    Missing(EdaError),
    /// Yosys ran and failed; the last lines of its log.
    #[error("yosys failed: {0}")]
    Failed(String),
    /// The log has no `stat` summary.
    #[error("no cell statistics (no `=== module ===` section with `Number of cells`) in the Yosys output")]
    NoStat,
    /// The `stat` summary lists no cell that could be read.
    #[error("the Yosys statistics list no cells (a design of nothing cannot be said to fit)")]
    NoCells,
    /// The `stat` output has a section or line that cannot be read, or numbers that do not add up.
    #[error("unreadable Yosys statistics: {0}")]
    Parse(String),
    /// A module of the statistics belongs to no block of the block table.
    #[error("module `{0}` of the Yosys statistics is in no block of the block table (hdl/src/flow/synth.rs, CORE_BLOCKS/WRAPPER_BLOCKS)")]
    Unmapped(String),
    /// A block of the block table is not a module of the design (the table no longer matches the RTL).
    #[error("block `{0}` of the block table (hdl/src/flow/synth.rs) is not a module of the design or of its Yosys statistics")]
    MissingBlock(String),
    /// The critical-path estimate failed.
    #[error(transparent)]
    Timing(#[from] TimingError),
    /// File I/O (the OS error is the `source`).
    #[error("{path}")]
    Io {
        /// Path.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
}

/// UltraScale+ primitive counts of a synthesized design (or of one block of it).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Resources {
    /// Logic LUTs (LUT1..LUT6 cells).
    pub lut_logic: u64,
    /// LUTs used as memory (distributed RAM, in LUT equivalents) or shift registers (SRL16E/SRLC32E).
    pub lut_mem: u64,
    /// Flip-flops (FDRE, FDSE, FDCE, FDPE, and any other FD* cell).
    pub ff: u64,
    /// Carry chains (CARRY4 as Yosys maps them; CARRY8 if present).
    pub carry: u64,
    /// DSP48E2 slices.
    pub dsp48e2: u64,
    /// RAMB18E2 blocks.
    pub ramb18e2: u64,
    /// RAMB36E2 blocks.
    pub ramb36e2: u64,
    /// URAM288 blocks.
    pub uram288: u64,
    /// Every cell type with its count, as Yosys printed it (sorted by type).
    pub cells: Vec<(String, u64)>,
}

/// LUT equivalents of Xilinx distributed-RAM primitives.
fn lutram_luts(cell: &str) -> Option<u64> {
    Some(match cell {
        "RAM16X1S" | "RAM32X1S" | "RAM64X1S" => 1,
        "RAM16X1D" | "RAM32X1D" | "RAM64X1D" | "RAM128X1S" => 2,
        "RAM128X1D" | "RAM256X1S" | "RAM32M" | "RAM64M" => 4,
        "RAM256X1D" | "RAM512X1S" | "RAM32M16" | "RAM64M8" => 8,
        "SRL16E" | "SRLC16E" | "SRLC32E" => 1,
        _ => return None,
    })
}

impl Resources {
    /// The counts of a list of (cell type, count).
    pub fn from_cells(cells: &[(String, u64)]) -> Resources {
        let mut r = Resources::default();
        for (name, n) in cells {
            r.add_cell(name, *n);
        }
        r
    }

    fn add_cell(&mut self, name: &str, n: u64) {
        match self.cells.binary_search_by(|(c, _)| c.as_str().cmp(name)) {
            Ok(i) => self.cells[i].1 += n,
            Err(i) => self.cells.insert(i, (name.to_string(), n)),
        }
        match name {
            x if x.starts_with("LUT") && x[3..].parse::<u32>().is_ok() => self.lut_logic += n,
            x if x.starts_with("FD") => self.ff += n,
            "CARRY4" | "CARRY8" => self.carry += n,
            "DSP48E2" => self.dsp48e2 += n,
            "RAMB18E2" => self.ramb18e2 += n,
            "RAMB36E2" => self.ramb36e2 += n,
            "URAM288" => self.uram288 += n,
            x => {
                if let Some(l) = lutram_luts(x) {
                    self.lut_mem += l * n;
                }
            }
        }
    }

    /// Add `times` copies of `other` (e.g. a module instantiated `times` times).
    pub fn add(&mut self, other: &Resources, times: u64) {
        for (c, n) in &other.cells {
            self.add_cell(c, n * times);
        }
    }

    /// All LUTs: logic plus memory/shift-register LUTs.
    pub fn luts(&self) -> u64 {
        self.lut_logic + self.lut_mem
    }

    /// Block RAM in RAMB18E2 units (a RAMB36E2 counts as two).
    pub fn ramb18_equiv(&self) -> u64 {
        self.ramb18e2 + 2 * self.ramb36e2
    }

    /// Block RAM in RAMB36E2 units (a RAMB18E2 counts as half).
    pub fn ramb36_equiv(&self) -> f64 {
        self.ramb18_equiv() as f64 / 2.0
    }

    /// Whether no cell is counted.
    pub fn is_empty(&self) -> bool {
        self.cells.iter().all(|(_, n)| *n == 0)
    }
}

/// The statistics of one `stat` run: per module and for the whole design.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    /// Per module (in order of appearance): its own primitive cells, submodule instances left out.
    pub modules: Vec<(String, Resources)>,
    /// Per module: how many times it is instantiated in the design (the top: once).
    pub instances: Vec<(String, u64)>,
    /// The whole design (Yosys's `design hierarchy` totals, or the only module).
    pub total: Resources,
}

/// Parse "NAME  COUNT" cell lines after a `Number of cells:` line; returns
/// the cells and the index of the line after the list.
fn cell_list(
    lines: &[&str],
    section: &str,
    from: usize,
) -> Result<(Vec<(String, u64)>, usize), SynthError> {
    let Some(k) = (from..lines.len()).find(|&i| lines[i].trim().starts_with("Number of cells"))
    else {
        return Err(SynthError::Parse(format!(
            "section `{section}` has no `Number of cells` line"
        )));
    };
    let head = lines[k].trim();
    let declared: u64 = head
        .rsplit(|c: char| c.is_whitespace() || c == ':')
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| SynthError::Parse(format!("section `{section}`: cannot read `{head}`")))?;
    let mut cells = Vec::new();
    let mut i = k + 1;
    while i < lines.len() && !lines[i].trim().is_empty() {
        let l = lines[i].trim();
        let mut it = l.split_whitespace();
        match (it.next(), it.next().map(str::parse::<u64>), it.next()) {
            (Some(name), Some(Ok(n)), None) => cells.push((name.to_string(), n)),
            _ => {
                return Err(SynthError::Parse(format!(
                    "section `{section}`: cannot read the cell line `{l}`"
                )))
            }
        }
        i += 1;
    }
    let sum: u64 = cells.iter().map(|(_, n)| n).sum();
    if sum != declared {
        return Err(SynthError::Parse(format!(
            "section `{section}`: `Number of cells` says {declared}, its cell lines add up to {sum}"
        )));
    }
    Ok((cells, i))
}

/// Parse Yosys `stat` output: every `=== module ===` section and, for a
/// hierarchical design, the `=== design hierarchy ===` totals, which must
/// equal the sum of the modules (each times its instance count). Any
/// section that cannot be read is an error.
pub fn parse_stat_modules(text: &str) -> Result<Stat, SynthError> {
    let lines: Vec<&str> = text.lines().collect();
    let heads: Vec<(usize, String)> = lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let t = l.trim();
            let name = t.strip_prefix("=== ")?.strip_suffix(" ===")?;
            Some((i, name.to_string()))
        })
        .collect();
    if heads.is_empty() {
        return Err(SynthError::NoStat);
    }
    let mut raw: Vec<(String, Vec<(String, u64)>)> = Vec::new();
    let mut hier: Option<Vec<(String, u64)>> = None;
    for (k, (start, name)) in heads.iter().enumerate() {
        let end = heads.get(k + 1).map_or(lines.len(), |h| h.0);
        let body = &lines[..end];
        let (cells, _) = cell_list(body, name, start + 1)?;
        if name == "design hierarchy" {
            hier = Some(cells);
        } else {
            if raw.iter().any(|(n, _)| n == name) {
                return Err(SynthError::Parse(format!(
                    "module `{name}` is listed twice"
                )));
            }
            raw.push((name.clone(), cells));
        }
    }
    if raw.is_empty() {
        return Err(SynthError::NoStat);
    }
    let is_module = |t: &str| raw.iter().any(|(n, _)| n == t);
    // own primitives and child instance counts of each module
    let modules: Vec<(String, Resources)> = raw
        .iter()
        .map(|(n, cells)| {
            let own: Vec<(String, u64)> = cells
                .iter()
                .filter(|(t, _)| !is_module(t))
                .cloned()
                .collect();
            (n.clone(), Resources::from_cells(&own))
        })
        .collect();
    // children of each module: (index, instances per parent instance)
    let children: Vec<Vec<(usize, u64)>> = raw
        .iter()
        .map(|(_, cells)| {
            cells
                .iter()
                .filter_map(|(t, k)| raw.iter().position(|(n, _)| n == t).map(|i| (i, *k)))
                .collect()
        })
        .collect();
    let tops: Vec<usize> = (0..raw.len())
        .filter(|&i| !children.iter().any(|c| c.iter().any(|(j, _)| *j == i)))
        .collect();
    let [top] = tops.as_slice() else {
        return Err(SynthError::Parse(format!(
            "expected one top module, found {} ({})",
            tops.len(),
            tops.iter()
                .map(|&i| raw[i].0.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    // instance counts: the top once, a child as often as its parents times its count in
    // each; a hierarchy of depth <= the number of modules settles in that many rounds
    let mut count = vec![0u64; raw.len()];
    count[*top] = 1;
    for _ in 0..raw.len() {
        let mut next = vec![0u64; raw.len()];
        next[*top] = 1;
        for (p, cs) in children.iter().enumerate() {
            for (c, k) in cs {
                next[*c] += k * count[p];
            }
        }
        if next == count {
            break;
        }
        count = next;
    }
    let instances: Vec<(String, u64)> = raw
        .iter()
        .zip(&count)
        .map(|((n, _), k)| (n.clone(), *k))
        .collect();
    let mut sum = Resources::default();
    for ((_, r), (_, k)) in modules.iter().zip(&instances) {
        sum.add(r, *k);
    }
    let total = match hier {
        Some(cells) => {
            let t = Resources::from_cells(&cells);
            if t.cells != sum.cells {
                return Err(SynthError::Parse(format!(
                    "the per-module statistics do not add up to the design totals ({})",
                    diff(&sum, &t)
                )));
            }
            t
        }
        None if raw.len() == 1 => sum,
        None => {
            return Err(SynthError::Parse(format!(
                "{} modules but no `design hierarchy` section",
                raw.len()
            )))
        }
    };
    if total.is_empty() {
        return Err(SynthError::NoCells);
    }
    Ok(Stat {
        modules,
        instances,
        total,
    })
}

/// The first cell type whose counts differ, as text.
fn diff(a: &Resources, b: &Resources) -> String {
    let get = |r: &Resources, t: &str| r.cells.iter().find(|(c, _)| c == t).map_or(0, |(_, n)| *n);
    let mut types: Vec<&String> = a.cells.iter().chain(&b.cells).map(|(t, _)| t).collect();
    types.sort();
    types.dedup();
    types
        .into_iter()
        .find(|t| get(a, t) != get(b, t))
        .map(|t| format!("{t}: modules {}, total {}", get(a, t), get(b, t)))
        .unwrap_or_default()
}

/// Parse the whole-design counts of Yosys `stat` output (see [`parse_stat_modules`]).
pub fn parse_stat(text: &str) -> Result<Resources, SynthError> {
    parse_stat_modules(text).map(|s| s.total)
}

/// The groups of blocks `hdl report` gives resources for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// The NFU datapath (NFU-1 multipliers, NFU-2 adder trees, NFU-3 activation).
    Nfu,
    /// NBin, SB and NBout.
    Buffers,
    /// Control processor, instruction fetch, DMAs, memory port, NFU sequencer, core glue.
    Control,
    /// AXI4 master, AXI4-Lite register slave, clock gate, bus counters, wrapper glue.
    Axi,
}

impl Group {
    /// Every group, in report order.
    pub const ALL: [Group; 4] = [Group::Nfu, Group::Buffers, Group::Control, Group::Axi];
    /// Name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Group::Nfu => "NFU",
            Group::Buffers => "buffers",
            Group::Control => "control",
            Group::Axi => "AXI",
        }
    }
}

/// One entry of the block table: the instance whose module (with every
/// instance below it that no other entry claims) belongs to `group`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    /// rust-hdl instance path below the table's root, `$`-separated as in
    /// the module names rust-hdl emits (`top$core$nfu`); `""` is the root.
    pub path: &'static str,
    /// Its group.
    pub group: Group,
    /// What it holds (field names of the RTL structs).
    pub contents: &'static str,
}

/// The core's blocks (`hdl/src/top.rs`, `Top`), relative to the core's
/// module: the bare top's `top`, the wrapped top's `top$core`.
pub const CORE_BLOCKS: &[Block] = &[
    Block {
        path: "",
        group: Group::Control,
        contents:
            "cp (control processor, instruction memory), fetch, dma_nbin, dma_sb, dma_nbout, port, \
                   nfu_seq, and the core's own registers (cycle counter, bias and row registers)",
    },
    Block {
        path: "nfu",
        group: Group::Nfu,
        contents: "nfu (NFU-1 multipliers, NFU-2 adder trees, NFU-3 activation)",
    },
    Block {
        path: "buffers",
        group: Group::Buffers,
        contents: "buffers (NBin, SB, NBout)",
    },
];

/// The AXI wrapper's blocks (`hdl/src/axi/wrapper.rs`), relative to its
/// module `top`; the core is its instance [`WRAPPER_CORE`].
pub const WRAPPER_BLOCKS: &[Block] = &[Block {
    path: "",
    group: Group::Axi,
    contents: "master (AXI4 master), lite (AXI4-Lite register slave), gate (clock gate), bus counters, glue",
}];

/// Instance name of the core in the AXI wrapper.
pub const WRAPPER_CORE: &str = "core";

/// Which block table a design uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// The AXI-wrapped top (board projects): [`WRAPPER_BLOCKS`] and the core's [`CORE_BLOCKS`] under [`WRAPPER_CORE`].
    Wrapped,
    /// The bare core top: [`CORE_BLOCKS`].
    Core,
    /// The NFU alone: one block.
    Nfu,
}

impl Layout {
    /// (module name, group, contents) of each block of a design whose root module is `top`.
    pub fn blocks(self, top: &str) -> Vec<(String, Group, &'static str)> {
        let module = |prefix: &str, path: &str| {
            [top, prefix, path]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join("$")
        };
        match self {
            Layout::Wrapped => WRAPPER_BLOCKS
                .iter()
                .map(|b| (module("", b.path), b.group, b.contents))
                .chain(
                    CORE_BLOCKS
                        .iter()
                        .map(|b| (module(WRAPPER_CORE, b.path), b.group, b.contents)),
                )
                .collect(),
            Layout::Core => CORE_BLOCKS
                .iter()
                .map(|b| (module("", b.path), b.group, b.contents))
                .collect(),
            Layout::Nfu => vec![(top.to_string(), Group::Nfu, "the NFU datapath alone")],
        }
    }

    /// The block modules below the root: kept as hierarchy boundaries in a flattening synthesis.
    pub fn kept_modules(self, top: &str) -> Vec<String> {
        self.blocks(top)
            .into_iter()
            .map(|(m, _, _)| m)
            .filter(|m| m != top)
            .collect()
    }
}

/// The group of `module`: the block whose module is `module` or its
/// nearest ancestor (rust-hdl names a submodule `parent$field`).
pub fn group_of(module: &str, blocks: &[(String, Group, &'static str)]) -> Option<Group> {
    blocks
        .iter()
        .filter(|(m, _, _)| {
            module == m || (module.starts_with(m.as_str()) && module[m.len()..].starts_with('$'))
        })
        .max_by_key(|(m, _, _)| m.len())
        .map(|(_, g, _)| *g)
}

/// The resources of each group of `blocks` (in [`Group::ALL`] order, only
/// the groups the table has), from per-module statistics; their sum is
/// checked to be the total.
pub fn group_resources(
    stat: &Stat,
    blocks: &[(String, Group, &'static str)],
) -> Result<Vec<(Group, Resources)>, SynthError> {
    for (m, _, _) in blocks {
        if !stat.modules.iter().any(|(n, _)| n == m) {
            return Err(SynthError::MissingBlock(m.clone()));
        }
    }
    let mut out: Vec<(Group, Resources)> = Group::ALL
        .iter()
        .filter(|g| blocks.iter().any(|(_, b, _)| b == *g))
        .map(|g| (*g, Resources::default()))
        .collect();
    for ((m, r), (_, k)) in stat.modules.iter().zip(&stat.instances) {
        let g = group_of(m, blocks).ok_or_else(|| SynthError::Unmapped(m.clone()))?;
        if let Some((_, acc)) = out.iter_mut().find(|(x, _)| *x == g) {
            acc.add(r, *k);
        }
    }
    let mut sum = Resources::default();
    for (_, r) in &out {
        sum.add(r, 1);
    }
    if sum.cells != stat.total.cells {
        return Err(SynthError::Parse(format!(
            "the groups do not add up to the total ({})",
            diff(&sum, &stat.total)
        )));
    }
    Ok(out)
}

/// Options of a Yosys run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthOptions {
    /// Top module.
    pub top: String,
    /// Pass `-flatten` to synth_xilinx (one netlist; constants propagate across module boundaries).
    pub flatten: bool,
    /// Pass `-noiopad` (no IBUF/OBUF on the top's ports: the top is a core, not a chip).
    pub noiopad: bool,
    /// Modules given the `keep_hierarchy` attribute before synthesis, so that a flattening
    /// synthesis keeps them (and only them) as separate modules with their own statistics.
    pub keep: Vec<String>,
    /// After the statistics, flatten and write the netlist as JSON ([`NETLIST_FILE`]) for the timing estimate.
    pub netlist: bool,
}

/// The JSON netlist a run with [`SynthOptions::netlist`] writes in its work directory.
pub const NETLIST_FILE: &str = "netlist.json";

impl SynthOptions {
    /// Defaults for `top`: flatten, no I/O pads, no kept blocks, no netlist.
    pub fn new(top: &str) -> Self {
        SynthOptions {
            top: top.to_string(),
            flatten: true,
            noiopad: true,
            keep: Vec::new(),
            netlist: false,
        }
    }

    /// Options for the report of a design with `layout`: its blocks kept, the netlist written.
    pub fn report(top: &str, layout: Layout) -> Self {
        SynthOptions {
            keep: layout.kept_modules(top),
            netlist: true,
            ..SynthOptions::new(top)
        }
    }

    /// The `synth_xilinx` command line of the script.
    pub fn synth_command(&self) -> String {
        format!(
            "synth_xilinx -family xcup -top {}{}{}",
            self.top,
            if self.flatten { " -flatten" } else { "" },
            if self.noiopad { " -noiopad" } else { "" }
        )
    }

    /// The Yosys script for `verilog` (file name relative to the working directory).
    pub fn script(&self, verilog: &str) -> String {
        let mut s = format!("read_verilog {verilog}\nhierarchy -top {}\n", self.top);
        if self.flatten && !self.keep.is_empty() {
            s += &format!(
                "setattr -mod -set keep_hierarchy 1 {}\n",
                self.keep.join(" ")
            );
        }
        s += &format!("{}\ntee -o stat.txt stat\n", self.synth_command());
        if self.netlist {
            s += &format!(
                "setattr -mod -unset keep_hierarchy *\nflatten\nhierarchy -top {} -purge_lib\nopt_clean -purge\nsetattr -unset src\nwrite_json {NETLIST_FILE}\n",
                self.top
            );
        }
        s
    }
}

/// Yosys's version line (`Yosys 0.23 ...`).
pub fn yosys_version() -> Result<String, SynthError> {
    eda::version(Tool::Yosys).map_err(SynthError::Missing)
}

/// Run Yosys on `verilog` in `work` (which receives `run.ys`, `yosys.log`,
/// `stat.txt`, and with [`SynthOptions::netlist`] [`NETLIST_FILE`]) and
/// parse the statistics.
pub fn run_stat(verilog: &Path, work: &Path, opts: &SynthOptions) -> Result<Stat, SynthError> {
    let io = |p: &Path| {
        let p = p.display().to_string();
        move |source| SynthError::Io { path: p, source }
    };
    std::fs::create_dir_all(work).map_err(io(work))?;
    let v = std::fs::canonicalize(verilog).map_err(io(verilog))?;
    let script = work.join("run.ys");
    std::fs::write(&script, opts.script(&v.display().to_string())).map_err(io(&script))?;
    let out = eda::run_unchecked(
        Tool::Yosys,
        &["-q", "-l", "yosys.log", "-s", "run.ys"],
        Some(work),
    )
    .map_err(SynthError::Missing)?;
    if !out.success() {
        let log = std::fs::read_to_string(work.join("yosys.log")).unwrap_or_default();
        let text = format!("{log}{}", out.stderr);
        let tail: Vec<&str> = text
            .lines()
            .rev()
            .filter(|l| !l.trim().is_empty())
            .take(3)
            .collect();
        return Err(SynthError::Failed(
            tail.into_iter().rev().collect::<Vec<_>>().join(" | "),
        ));
    }
    let stat = work.join("stat.txt");
    let text = std::fs::read_to_string(&stat).map_err(io(&stat))?;
    parse_stat_modules(&text)
}

/// Run Yosys on `verilog` in `work` (see [`run_stat`]) and return the whole-design counts.
pub fn run_yosys(
    verilog: &Path,
    work: &Path,
    opts: &SynthOptions,
) -> Result<Resources, SynthError> {
    run_stat(verilog, work, opts).map(|s| s.total)
}

/// A synthesis report: resources per group and in total, and the timing estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthReport {
    /// Resources per group ([`Group::ALL`] order); they add up to `total`.
    pub groups: Vec<(Group, Resources)>,
    /// The whole design.
    pub total: Resources,
    /// The block table used: (module, group, contents).
    pub blocks: Vec<(String, Group, &'static str)>,
    /// Critical-path estimate of the flattened netlist.
    pub timing: Timing,
    /// Per group: the longest path ending in one of its cells, from `timing`.
    pub group_timing: Vec<(Group, Endpoint)>,
}

/// The module of an endpoint cell named as in [`Endpoint::cell`] (`core.nfu.<internal>` ->
/// `top$core$nfu`): its instance path below `top`.
pub fn endpoint_module(name: &str, top: &str) -> String {
    let base = name.split('[').next().unwrap_or(name);
    let mut parts: Vec<&str> = base.split('.').collect();
    parts.pop();
    std::iter::once(top)
        .chain(parts.into_iter().filter(|p| !p.starts_with('<')))
        .collect::<Vec<_>>()
        .join("$")
}

/// For each group of `blocks` ([`Group::ALL`] order) the longest path ending in one of its
/// cells. Groups without an endpoint are left out.
pub fn group_timing(
    t: &Timing,
    blocks: &[(String, Group, &'static str)],
    top: &str,
) -> Vec<(Group, Endpoint)> {
    Group::ALL
        .iter()
        .filter_map(|g| {
            // endpoints are sorted worst first
            t.endpoints
                .iter()
                .find(|e| group_of(&endpoint_module(&e.cell, top), blocks) == Some(*g))
                .map(|e| (*g, e.clone()))
        })
        .collect()
}

/// Synthesize `verilog` (root module `opts.top`, block table `layout`) in
/// `work` and report resources per group, the total and the critical-path
/// estimate. `opts` should come from [`SynthOptions::report`] (its
/// `netlist` must be set). The block modules must be modules of `verilog`.
pub fn run_report(
    verilog: &Path,
    work: &Path,
    opts: &SynthOptions,
    layout: Layout,
) -> Result<SynthReport, SynthError> {
    let blocks = layout.blocks(&opts.top);
    let text = std::fs::read_to_string(verilog).map_err(|source| SynthError::Io {
        path: verilog.display().to_string(),
        source,
    })?;
    let modules = super::emit::module_names(&text);
    for (m, _, _) in &blocks {
        if !modules.contains(m) {
            return Err(SynthError::MissingBlock(m.clone()));
        }
    }
    let opts = SynthOptions {
        netlist: true,
        ..opts.clone()
    };
    let stat = run_stat(verilog, work, &opts)?;
    let groups = group_resources(&stat, &blocks)?;
    let timing = timing::analyze_file(&work.join(NETLIST_FILE), &opts.top, &ULTRASCALE_PLUS_2)?;
    let group_timing = group_timing(&timing, &blocks, &opts.top);
    Ok(SynthReport {
        groups,
        total: stat.total,
        blocks,
        timing,
        group_timing,
    })
}

/// One line of a utilisation table.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    /// Resource name (`LUT`, `FF`, `DSP48E2`, `RAMB18E2-equivalent`, `URAM288`).
    pub resource: &'static str,
    /// Used (estimate).
    pub used: u64,
    /// Available on the part.
    pub available: u64,
}

impl Usage {
    /// Used / available, percent (0 when the part has none and none is used; infinite if used but none available).
    pub fn percent(&self) -> f64 {
        match (self.used, self.available) {
            (0, _) => 0.0,
            (_, 0) => f64::INFINITY,
            (u, a) => 100.0 * u as f64 / a as f64,
        }
    }
    /// Fits: used <= available.
    pub fn fits(&self) -> bool {
        self.used <= self.available
    }
}

/// The utilisation of `r` on `part`: LUT, FF, DSP48E2, block RAM (RAMB18E2
/// units, a RAMB36E2 = 2), URAM288.
pub fn utilisation(r: &Resources, part: &Part) -> Vec<Usage> {
    vec![
        Usage {
            resource: "LUT",
            used: r.luts(),
            available: part.luts,
        },
        Usage {
            resource: "FF",
            used: r.ff,
            available: part.ffs,
        },
        Usage {
            resource: "DSP48E2",
            used: r.dsp48e2,
            available: part.dsp48e2,
        },
        Usage {
            resource: "RAMB18E2 (RAMB36E2 = 2)",
            used: r.ramb18_equiv(),
            available: part.ramb18e2(),
        },
        Usage {
            resource: "URAM288",
            used: r.uram288,
            available: part.uram288,
        },
    ]
}

/// Whether every resource fits.
pub fn fits(u: &[Usage]) -> bool {
    u.iter().all(Usage::fits)
}

/// The caveat printed with every report.
pub const ESTIMATE_NOTE: &str = "Yosys counts are estimates, not Vivado results: carries are mapped to CARRY4 even on \
UltraScale+ (Vivado uses CARRY8), product pipeline registers are not packed into the DSP48E2s (they are counted as \
fabric FFs), and LUT mapping differs from Vivado's.";
