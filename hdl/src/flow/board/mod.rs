//! Board support for Zynq UltraScale+ boards (docs/boards.md): a board-level
//! Verilog wrapper `dn_axi` around the AXI-wrapped accelerator
//! ([`crate::axi::wrapper`]), an XDC, and a Vivado batch TCL script that
//! builds a block design with the Zynq UltraScale+ PS (AXI-Lite slave on
//! `M_AXI_HPM0_FPD`, memory master on `S_AXI_HP0_FPD`, clock `pl_clk0` at
//! the preset's `clock_mhz` ([`pl_clock_mhz`], read back and checked),
//! reset from `pl_resetn0` through a `proc_sys_reset`, `irq` on
//! `pl_ps_irq0`), then runs synthesis, implementation and bitstream
//! generation and exports the XSA.
//!
//! Clock and reset come from the PS on both boards, so the design needs no
//! board clock or reset pin. The XDC constrains only the pins the wrapper
//! drives (KV260: the fan enable).

use crate::axi::wrapper::{axi_verilog, WrapError};
use crate::flow::emit::{HdlError, WAIVERS};
use arch::AccelConfig;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Vivado version the TCL script is written for.
pub const VIVADO_VERSION: &str = "2022.2";

/// One package pin the board wrapper drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pin {
    /// Port name of `dn_axi` and of the block design.
    pub port: &'static str,
    /// Package pin.
    pub package_pin: &'static str,
    /// I/O standard.
    pub iostandard: &'static str,
    /// Constant value driven (the accelerator has no board I/O of its own).
    pub value: u8,
    /// What it is and where the pin number comes from.
    pub doc: &'static str,
}

/// A supported board.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Board {
    /// Short name (`--board`).
    pub name: &'static str,
    /// Full part number for Vivado.
    pub part: &'static str,
    /// Vivado board part (used when its board files are installed).
    pub board_part: &'static str,
    /// Device name in `crate::parts`.
    pub device: &'static str,
    /// Data width of `S_AXI_HP0_FPD`, bits.
    pub hp_width: u32,
    /// Pins driven by the wrapper.
    pub pins: &'static [Pin],
    /// Notes for the XDC header.
    pub notes: &'static str,
}

/// The boards.
pub const BOARDS: &[Board] = &[
    Board {
        name: "zcu104",
        part: "xczu7ev-ffvc1156-2-e",
        board_part: "xilinx.com:zcu104:part0:1.1",
        device: "xczu7ev",
        hp_width: 128,
        pins: &[],
        notes: "ZCU104 (UG1267): clock and reset come from the PS (pl_clk0, pl_resetn0); no PL pin is used. \
                The board's 125 MHz PL oscillator pins are not constrained: the public sources checked \
                while writing this disagreed, and the design does not need them.",
    },
    Board {
        name: "kv260",
        part: "xck26-sfvc784-2lv-c",
        board_part: "xilinx.com:kv260_som:part0:1.4",
        device: "xck26",
        hp_width: 128,
        pins: &[Pin {
            port: "fan_en_b",
            package_pin: "A12",
            iostandard: "LVCMOS33",
            value: 0,
            doc: "carrier-card fan enable, active low (driven low: fan on). Pin A12 / LVCMOS33 as in the \
                  Kria KV260/KR260 reference XDC files (SOM240_1 connector, HDA bank); the K26 SOM has no \
                  PL clock oscillator, so the clock comes from the PS",
        }],
        notes: "KV260 (K26 SOM, DS987; KV260 carrier UG1089): clock and reset come from the PS (pl_clk0, pl_resetn0).",
    },
];

/// The board named `name` (case-insensitive).
pub fn board(name: &str) -> Result<&'static Board, HdlError> {
    BOARDS
        .iter()
        .find(|b| b.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            HdlError::Unsupported(format!(
                "board `{name}` (known: {})",
                BOARDS.iter().map(|b| b.name).collect::<Vec<_>>().join(", ")
            ))
        })
}

/// Lowest fabric clock (`pl_clk0`) a board project accepts, MHz.
pub const PL_CLOCK_MIN_MHZ: f64 = 10.0;
/// Highest fabric clock (`pl_clk0`) a board project accepts, MHz: the upper end of the PS's PL
/// clocks as this project uses them (the fabric's global clock tree, DS925 BUFG FMAX, is
/// 775 MHz at -2; no design here comes near 333 MHz).
pub const PL_CLOCK_MAX_MHZ: f64 = 333.0;
/// Largest relative difference between the preset's `clock_mhz` and the frequency the PS
/// actually produces on `pl_clk0` that the Vivado script accepts (1 %).
pub const PL_CLOCK_TOLERANCE: f64 = 0.01;

/// The fabric clock a board project for `cfg` asks the PS for (`pl_clk0`, MHz): the
/// preset's `clock_mhz`. A clock outside
/// [`PL_CLOCK_MIN_MHZ`]..=[`PL_CLOCK_MAX_MHZ`] is refused (the error names `clock_mhz`).
pub fn pl_clock_mhz(cfg: &AccelConfig) -> Result<f64, HdlError> {
    let mhz = cfg.clock_mhz;
    if (PL_CLOCK_MIN_MHZ..=PL_CLOCK_MAX_MHZ).contains(&mhz) {
        Ok(mhz)
    } else {
        Err(HdlError::Clock {
            preset: cfg.name.clone(),
            mhz,
            min: PL_CLOCK_MIN_MHZ,
            max: PL_CLOCK_MAX_MHZ,
        })
    }
}

/// Module name of the board-level wrapper.
pub const WRAPPER_MODULE: &str = "dn_axi";

fn wrap_err(e: WrapError) -> HdlError {
    HdlError::Unsupported(e.to_string())
}

/// The board-level wrapper `dn_axi`: standard AXI names and interface
/// attributes for Vivado's module-reference flow, active-low reset, the
/// board's constant pins.
pub fn wrapper_verilog(cfg: &AccelConfig, b: &Board) -> String {
    let bw = 8 * cfg.dram.bytes_per_cycle;
    let la = crate::axi::lite::LITE_ADDR_BITS;
    let mut pins_decl = String::new();
    let mut pins_assign = String::new();
    for p in b.pins {
        let _ = write!(pins_decl, ",\n    output wire {}", p.port);
        let _ = writeln!(pins_assign, "assign {} = 1'b{};", p.port, p.value);
    }
    let mut s = format!(
        "// Board-level wrapper of the DianNao-style accelerator for {board} ({part}).\n\
         // Generated by `diannao hdl emit --board {board}`; preset `{preset}`.\n\
         \
         module {m} (\n\
         (* X_INTERFACE_INFO = \"xilinx.com:signal:clock:1.0 aclk CLK\", X_INTERFACE_PARAMETER = \"ASSOCIATED_BUSIF s_axi:m_axi, ASSOCIATED_RESET aresetn\" *)\n\
         \x20   input wire aclk,\n\
         (* X_INTERFACE_INFO = \"xilinx.com:signal:reset:1.0 aresetn RST\", X_INTERFACE_PARAMETER = \"POLARITY ACTIVE_LOW\" *)\n\
         \x20   input wire aresetn,\n\
         (* X_INTERFACE_INFO = \"xilinx.com:signal:interrupt:1.0 irq INTERRUPT\", X_INTERFACE_PARAMETER = \"SENSITIVITY LEVEL_HIGH\" *)\n\
         \x20   output wire irq,\n",
        board = b.name,
        part = b.part,
        preset = cfg.name,
        m = WRAPPER_MODULE
    );
    let lite = [
        ("awaddr", la, "input"),
        ("awvalid", 1, "input"),
        ("awready", 1, "output"),
        ("wdata", 32, "input"),
        ("wstrb", 4, "input"),
        ("wvalid", 1, "input"),
        ("wready", 1, "output"),
        ("bresp", 2, "output"),
        ("bvalid", 1, "output"),
        ("bready", 1, "input"),
        ("araddr", la, "input"),
        ("arvalid", 1, "input"),
        ("arready", 1, "output"),
        ("rdata", 32, "output"),
        ("rresp", 2, "output"),
        ("rvalid", 1, "output"),
        ("rready", 1, "input"),
    ];
    let bwu = bw as usize;
    let master = [
        ("awaddr", 32, "output"),
        ("awlen", 8, "output"),
        ("awsize", 3, "output"),
        ("awburst", 2, "output"),
        ("awvalid", 1, "output"),
        ("awready", 1, "input"),
        ("wdata", bwu, "output"),
        ("wstrb", bwu / 8, "output"),
        ("wlast", 1, "output"),
        ("wvalid", 1, "output"),
        ("wready", 1, "input"),
        ("bresp", 2, "input"),
        ("bvalid", 1, "input"),
        ("bready", 1, "output"),
        ("araddr", 32, "output"),
        ("arlen", 8, "output"),
        ("arsize", 3, "output"),
        ("arburst", 2, "output"),
        ("arvalid", 1, "output"),
        ("arready", 1, "input"),
        ("rdata", bwu, "input"),
        ("rresp", 2, "input"),
        ("rlast", 1, "input"),
        ("rvalid", 1, "input"),
        ("rready", 1, "output"),
    ];
    let mut ports = Vec::new();
    for (bus, list) in [("s_axi", &lite[..]), ("m_axi", &master[..])] {
        for (n, w, d) in list {
            let range = if *w > 1 {
                format!("[{}:0] ", w - 1)
            } else {
                String::new()
            };
            ports.push(format!(
                "(* X_INTERFACE_INFO = \"xilinx.com:interface:aximm:1.0 {bus} {} \" *)\n    {d} wire {range}{bus}_{n}",
                n.to_uppercase()
            ));
        }
    }
    s += "    ";
    s += &ports.join(",\n    ");
    s += &pins_decl;
    s += "\n);\n";
    s += &pins_assign;
    s += "top core (\n    .clock(aclk),\n    .reset(~aresetn),\n    .irq(irq)";
    for (bus, list) in [("s_axi", &lite[..]), ("m_axi", &master[..])] {
        for (n, _, _) in list {
            let _ = write!(s, ",\n    .{bus}_{n}({bus}_{n})");
        }
    }
    s += "\n);\nendmodule\n";
    s
}

/// The XDC of board `b`.
pub fn xdc(b: &Board) -> String {
    let mut s = format!(
        "# XDC for {} ({}), generated by `diannao hdl emit --board {}`.\n# {}\n\
         # Timing: the PS IP constrains pl_clk0 (at the frequency the PS produces); build.tcl checks that\n\
         # it is the preset's clock_mhz and that the clock on dn_axi/aclk has that period.\n\
         set_property BITSTREAM.GENERAL.COMPRESS TRUE [current_design]\n",
        b.name, b.part, b.name, b.notes
    );
    for p in b.pins {
        let _ = writeln!(s, "# {}: {}", p.port, p.doc);
        let _ = writeln!(
            s,
            "set_property PACKAGE_PIN {} [get_ports {{{}}}]",
            p.package_pin, p.port
        );
        let _ = writeln!(
            s,
            "set_property IOSTANDARD {} [get_ports {{{}}}]",
            p.iostandard, p.port
        );
    }
    s
}

/// Port names an XDC constrains (`[get_ports {name}]` or `[get_ports name]`).
pub fn xdc_ports(xdc: &str) -> Vec<String> {
    let mut v = Vec::new();
    for l in xdc.lines().filter(|l| !l.trim_start().starts_with('#')) {
        let mut rest = l;
        while let Some(i) = rest.find("get_ports") {
            rest = &rest[i + "get_ports".len()..];
            let t = rest.trim_start();
            let name: String = t
                .trim_start_matches('{')
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '[' || *c == ']')
                .collect();
            v.push(name);
        }
    }
    v
}

/// Port names of module `module` in Verilog text (ANSI or non-ANSI header).
pub fn module_ports(verilog: &str, module: &str) -> Vec<String> {
    let Some(i) = verilog.find(&format!("module {module}")) else {
        return vec![];
    };
    let body = &verilog[i..];
    let Some(end) = body.find(");") else {
        return vec![];
    };
    let head = &body[..end];
    let Some(open) = head.find('(') else {
        return vec![];
    };
    let mut head = head[open + 1..].to_string();
    // drop attributes
    while let (Some(a), Some(b)) = (head.find("(*"), head.find("*)")) {
        if b < a {
            break;
        }
        head.replace_range(a..b + 2, "");
    }
    head.split(',')
        .filter_map(|p| p.split_whitespace().last().map(|x| x.to_string()))
        .collect()
}

/// The Vivado batch script for `cfg` on `b`; `pl_clk0` is the preset's `clock_mhz`
/// ([`pl_clock_mhz`], refused outside its range).
pub fn tcl(cfg: &AccelConfig, b: &Board) -> Result<String, HdlError> {
    let mhz = crate::flow::timing::fmt_mhz(pl_clock_mhz(cfg)?);
    let mut ext = String::new();
    for p in b.pins {
        let _ = writeln!(
            ext,
            "create_bd_port -dir O {0}\nconnect_bd_net [get_bd_pins dn/{0}] [get_bd_ports {0}]",
            p.port
        );
    }
    Ok(format!(
        r#"# Vivado {ver} batch build for {board} ({part}), preset `{preset}`, pl_clk0 = clock_mhz = {mhz} MHz.
# Generated by `diannao hdl emit --board {board}`. Run in this directory:
#   vivado -mode batch -source build.tcl
# Result: vivado/{board}.runs/impl_1/system_wrapper.bit and {board}.xsa.
set here [file normalize [file dirname [info script]]]
set proj {board}
create_project $proj $here/vivado -part {part} -force
if {{[llength [get_board_parts -quiet {board_part}]] > 0}} {{
  set_property board_part {board_part} [current_project]
  set preset 1
}} else {{
  puts "WARNING: board files {board_part} not installed: the PS is configured without the board preset (check DDR/MIO settings)"
  set preset 0
}}
add_files -norecurse [list $here/top.v $here/dn_axi.v]
add_files -fileset constrs_1 -norecurse $here/{board}.xdc
update_compile_order -fileset sources_1
create_bd_design system
set ps [create_bd_cell -type ip -vlnv xilinx.com:ip:zynq_ultra_ps_e zynq_ultra_ps_e_0]
if {{$preset}} {{
  apply_bd_automation -rule xilinx.com:bd_rule:zynq_ultra_ps_e -config {{apply_board_preset "1"}} $ps
}}
set_property -dict [list \
  CONFIG.PSU__USE__M_AXI_GP0 {{1}} \
  CONFIG.PSU__USE__M_AXI_GP1 {{0}} \
  CONFIG.PSU__USE__M_AXI_GP2 {{0}} \
  CONFIG.PSU__USE__S_AXI_GP2 {{1}} \
  CONFIG.PSU__SAXIGP2__DATA_WIDTH {{{hp}}} \
  CONFIG.PSU__USE__IRQ0 {{1}} \
  CONFIG.PSU__FPGA_PL0_ENABLE {{1}} \
  CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ {{{mhz}}} \
] $ps
# pl_clk0 must be the preset's clock_mhz ({mhz} MHz); the PS derives it from one of its PLLs through two
# 6-bit dividers, so read back what it really produces and stop if that is more than {tol_pct} % off
set pl_mhz [get_property CONFIG.PSU__CRL_APB__PL0_REF_CTRL__ACT_FREQMHZ $ps]
puts "pl_clk0: requested {mhz} MHz (preset clock_mhz), the PS produces $pl_mhz MHz"
if {{![string is double -strict $pl_mhz] || abs($pl_mhz - {mhz}) > {tol} * {mhz}}} {{
  error "pl_clk0: the PS produces $pl_mhz MHz, more than {tol_pct} % from the preset's clock_mhz = {mhz} MHz; set clock_mhz to a frequency the PS can derive"
}}
create_bd_cell -type module -reference {wrapper} dn
connect_bd_net [get_bd_pins $ps/pl_clk0] [get_bd_pins dn/aclk]
create_bd_cell -type ip -vlnv xilinx.com:ip:proc_sys_reset rst_pl
connect_bd_net [get_bd_pins $ps/pl_clk0] [get_bd_pins rst_pl/slowest_sync_clk]
connect_bd_net [get_bd_pins $ps/pl_resetn0] [get_bd_pins rst_pl/ext_reset_in]
connect_bd_net [get_bd_pins rst_pl/peripheral_aresetn] [get_bd_pins dn/aresetn]
connect_bd_net [get_bd_pins dn/irq] [get_bd_pins $ps/pl_ps_irq0]
# AXI-Lite registers on M_AXI_HPM0_FPD, memory master on S_AXI_HP0_FPD (SmartConnects inserted by the automation)
apply_bd_automation -rule xilinx.com:bd_rule:axi4 -config [list Clk_master {{/zynq_ultra_ps_e_0/pl_clk0}} Clk_slave {{/zynq_ultra_ps_e_0/pl_clk0}} Clk_xbar {{/zynq_ultra_ps_e_0/pl_clk0}} Master {{/zynq_ultra_ps_e_0/M_AXI_HPM0_FPD}} Slave {{/dn/s_axi}} intc_ip {{New AXI SmartConnect}} master_apm {{0}}] [get_bd_intf_pins dn/s_axi]
apply_bd_automation -rule xilinx.com:bd_rule:axi4 -config [list Clk_master {{/zynq_ultra_ps_e_0/pl_clk0}} Clk_slave {{/zynq_ultra_ps_e_0/pl_clk0}} Clk_xbar {{/zynq_ultra_ps_e_0/pl_clk0}} Master {{/dn/m_axi}} Slave {{/zynq_ultra_ps_e_0/S_AXI_HP0_FPD}} intc_ip {{New AXI SmartConnect}} master_apm {{0}}] [get_bd_intf_pins $ps/S_AXI_HP0_FPD]
foreach c [get_bd_pins -quiet $ps/maxihpm0_fpd_aclk $ps/saxihp0_fpd_aclk] {{
  if {{[llength [get_bd_nets -quiet -of_objects $c]] == 0}} {{ connect_bd_net [get_bd_pins $ps/pl_clk0] $c }}
}}
{ext}assign_bd_address
# the register window: {win} bytes at the first address Vivado assigns (printed below); the host driver needs it
foreach s [get_bd_addr_segs -of_objects [get_bd_addr_spaces $ps/Data]] {{ puts "ADDRESS [get_property NAME $s] [get_property OFFSET $s] [get_property RANGE $s]" }}
validate_bd_design
save_bd_design
make_wrapper -files [get_files system.bd] -top
add_files -norecurse [glob $here/vivado/$proj.gen/sources_1/bd/system/hdl/system_wrapper.v]
set_property top system_wrapper [current_fileset]
update_compile_order -fileset sources_1
launch_runs synth_1 -jobs 4
wait_on_run synth_1
if {{[get_property PROGRESS [get_runs synth_1]] != "100%"}} {{ error "synthesis failed" }}
# the timing constraint: the PS IP creates the clock on pl_clk0 from the frequency it produces; check that
# the clock reaching the accelerator (dn_axi/aclk) has the period of pl_mhz before implementing against it
open_run synth_1 -name synth_1
set dn_cells [get_cells -hierarchical -filter {{REF_NAME == {wrapper} || ORIG_REF_NAME == {wrapper}}}]
set clks [get_clocks -quiet -of_objects [get_pins -quiet -of_objects $dn_cells -filter {{REF_PIN_NAME == aclk}}]]
if {{[llength $clks] != 1}} {{ error "timing: expected one clock on {wrapper}/aclk, found [llength $clks] ($clks); see report_clocks" }}
set period [get_property PERIOD $clks]
if {{abs($period * $pl_mhz - 1000.0) > {tol} * 1000.0}} {{ error "timing: the clock $clks on {wrapper}/aclk has period $period ns, not 1000 / $pl_mhz MHz" }}
puts "timing: {wrapper}/aclk is clocked by $clks, period $period ns"
close_design
launch_runs impl_1 -jobs 4
wait_on_run impl_1
if {{[get_property PROGRESS [get_runs impl_1]] != "100%"}} {{ error "implementation failed" }}
open_run impl_1
report_utilization -file $here/utilization.rpt
report_timing_summary -file $here/timing.rpt
# no bitstream for a design that misses timing: it would fail silently on the board
set wns [get_property STATS.WNS [get_runs impl_1]]
set tns [get_property STATS.TNS [get_runs impl_1]]
if {{$wns < 0 || $tns < 0}} {{ error "timing not met at pl_clk0 = $pl_mhz MHz (preset clock_mhz {mhz}): WNS $wns ns, TNS $tns ns (see $here/timing.rpt); no bitstream written" }}
launch_runs impl_1 -to_step write_bitstream -jobs 4
wait_on_run impl_1
if {{[get_property PROGRESS [get_runs impl_1]] != "100%"}} {{ error "bitstream generation failed" }}
write_hw_platform -fixed -include_bit -force $here/$proj.xsa
puts "DONE: $here/vivado/$proj.runs/impl_1/system_wrapper.bit"
"#,
        ver = VIVADO_VERSION,
        board = b.name,
        part = b.part,
        board_part = b.board_part,
        preset = cfg.name,
        hp = b.hp_width,
        mhz = mhz,
        tol = PL_CLOCK_TOLERANCE,
        tol_pct = PL_CLOCK_TOLERANCE * 100.0,
        wrapper = WRAPPER_MODULE,
        ext = ext,
        win = arch::regmap::window_bytes(),
    ))
}

/// Files of a board emission.
pub const BOARD_FILES: &[&str] = &[
    "top.v",
    "dn_axi.v",
    "build.tcl",
    "filelist.f",
    "lint_waivers.vlt",
    "README.md",
    "registers.md",
];

/// Write the board project for `cfg` on `b` into `out` (created or replaced
/// if it holds an earlier board emission); returns the files written.
pub fn emit_board(cfg: &AccelConfig, b: &Board, out: &Path) -> Result<Vec<PathBuf>, HdlError> {
    let build = tcl(cfg, b)?;
    let top = axi_verilog(cfg).map_err(wrap_err)?;
    let io = |p: &Path| {
        let p = p.display().to_string();
        move |source| HdlError::Io { path: p, source }
    };
    if out.exists() {
        let ours = std::fs::read_dir(out).map_err(io(out))?.all(|e| {
            e.map(|e| {
                let n = e.file_name().to_string_lossy().to_string();
                BOARD_FILES.contains(&n.as_str()) || n.ends_with(".xdc") || n == "vivado"
            })
            .unwrap_or(false)
        });
        if !ours {
            return Err(HdlError::NotOurs(out.display().to_string()));
        }
    }
    let parent = out
        .parent()
        .map(|p| {
            if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            }
        })
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let tmp = parent.join(format!(
        ".{}.tmp-{}",
        out.file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(io(&tmp))?;
    let xdc_name = format!("{}.xdc", b.name);
    let mut waivers = String::from("`verilator_config\n");
    for w in WAIVERS {
        let _ = writeln!(
            waivers,
            "// {}\nlint_off -rule {} -file \"*top.v\"",
            w.reason, w.rule
        );
    }
    let readme = format!(
        "# DianNao-style accelerator, preset `{p}`, for {b} ({part})\n\n\
         Generated by `diannao hdl emit --board {b}`. Vivado {ver}:\n\n    vivado -mode batch -source build.tcl\n\n\
         builds the block design (Zynq UltraScale+ PS, `dn_axi` with its AXI4-Lite registers on M_AXI_HPM0_FPD and its \
         AXI4 master on S_AXI_HP0_FPD, pl_clk0 at {mhz} MHz: the preset's clock_mhz), runs synthesis, implementation and bitstream generation, \
         and writes `{b}.xsa`. Lint: `verilator --lint-only -Wall --top-module dn_axi lint_waivers.vlt -f filelist.f`.\n\
         Registers: see registers.md; `preset_hash` must read {hash:#010x}.\n",
        p = cfg.name,
        b = b.name,
        part = b.part,
        ver = VIVADO_VERSION,
        mhz = crate::flow::timing::fmt_mhz(cfg.clock_mhz),
        hash = arch::regmap::preset_hash(cfg),
    );
    let files: Vec<(String, String)> = vec![
        ("top.v".into(), top),
        ("dn_axi.v".into(), wrapper_verilog(cfg, b)),
        (xdc_name, xdc(b)),
        ("build.tcl".into(), build),
        ("filelist.f".into(), "top.v\ndn_axi.v\n".into()),
        ("lint_waivers.vlt".into(), waivers),
        ("README.md".into(), readme),
        ("registers.md".into(), arch::regmap::markdown()),
    ];
    let mut written = Vec::new();
    for (n, text) in &files {
        let p = tmp.join(n);
        std::fs::write(&p, text).map_err(io(&p))?;
        written.push(out.join(n));
    }
    if out.exists() {
        std::fs::remove_dir_all(out).map_err(io(out))?;
    }
    std::fs::rename(&tmp, out).map_err(io(out))?;
    Ok(written)
}
