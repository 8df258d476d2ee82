//! Accelerator parameters, derived figures, validation and presets.
//!
//! One [`AccelConfig`] describes one machine. Every size is in bytes, every
//! latency in cycles of the accelerator clock. Derived figures (rows per
//! buffer, row widths, peak throughput) are methods, never stored, so they
//! cannot disagree with the parameters they come from.

use serde::{Deserialize, Serialize};
use std::path::Path;
use thiserror::Error;

use crate::isa::fields::{COUNT_BITS, ROW_BITS};

/// Width of one data word (neuron or synapse) in bits. The NFU-1 multipliers
/// are 16 x 16 -> 32 bit (the only multiply rust-hdl 0.46 emits correctly).
pub const DATA_BITS: u32 = 16;
/// Width of the NFU-2 accumulator and of one NBout entry in bits.
pub const ACC_BITS: u32 = 32;
/// Largest Tn the instruction set and the HDL generator support.
pub const MAX_TN: u32 = 64;
/// Largest pipeline depth of one NFU stage group, in cycles.
pub const MAX_STAGE_DEPTH: u32 = 8;
/// Largest DRAM latency, in cycles.
pub const MAX_DRAM_LATENCY: u32 = 4096;
/// Largest DMA queue depth, in slots.
pub const MAX_QUEUE_DEPTH: u32 = 64;
/// Cycles the AXI master (`hdl::axi::master`) adds to the memory latency the
/// core sees: a board preset's `dram.latency_cycles` is the DDR path's
/// latency (`ARVALID` accepted to first `RVALID`, PL cycles) plus these
/// (docs/boards.md, "AXI behaviour"; `backends/tests/axi_equivalence.rs`
/// checks the sum is tight).
///
/// ```
/// assert_eq!(arch::config::board_ddr_cycles(50_000), 12);
/// assert_eq!(arch::AccelConfig::kv260().dram.latency_cycles, 12 + arch::config::AXI_MASTER_CYCLES);
/// assert_eq!(arch::AccelConfig::zcu104().dram.latency_cycles, 9 + arch::config::AXI_MASTER_CYCLES);
/// ```
pub const AXI_MASTER_CYCLES: u32 = 5;
/// The kv260 preset's PL clock (`pl_clk0`), kHz: the PS IOPLL's 1,500 MHz
/// divided by 30, so the PS produces it exactly. Chosen from `hdl report`'s
/// critical-path estimate (19.5 ns, through NFU-3: docs/boards.md).
pub const KV260_CLOCK_KHZ: u32 = 50_000;
/// The zcu104 preset's PL clock, kHz: the IOPLL divided by 40. Its Tn = 32
/// NFU's longest estimated path is 26.0 ns, the saturation count over 32
/// lanes (docs/boards.md).
pub const ZCU104_CLOCK_KHZ: u32 = 37_500;
/// The board presets' assumed DDR read latency through the PS's HP port,
/// nanoseconds from `ARVALID` accepted to the first `RVALID` (an
/// assumption, not a measurement: docs/boards.md).
pub const BOARD_DDR_NS: u32 = 235;
/// [`BOARD_DDR_NS`] in PL cycles at `clock_khz`, rounded up.
pub const fn board_ddr_cycles(clock_khz: u32) -> u32 {
    (BOARD_DDR_NS * clock_khz).div_ceil(1_000_000)
}

/// The external-memory timing model, shared by `sim/` and the RTL testbench
/// memory (see docs/microarchitecture.md, "Memory port").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DramTiming {
    /// Latency L in cycles: a row granted the memory port in cycle t is
    /// written into its buffer (or DRAM) at the end of cycle t + L + beats - 1.
    pub latency_cycles: u32,
    /// Bytes moved per cycle by the memory port (a power of two).
    pub bytes_per_cycle: u32,
    /// Size of the DRAM address space in bytes (addresses are 32-bit).
    pub size_bytes: u64,
}

/// Pipeline depths of the three NFU stages, in cycles.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineDepths {
    /// NFU-1 (multipliers), cycles.
    pub nfu1: u32,
    /// NFU-2 (adder trees, accumulation, pooling), cycles.
    pub nfu2: u32,
    /// NFU-3 (conversion and piecewise-linear activation), cycles.
    pub nfu3: u32,
}

/// One accelerator configuration. Load from TOML or JSON, or take a preset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccelConfig {
    /// Preset or user-given name.
    pub name: String,
    /// NFU width: Tn inputs per adder tree, Tn adder trees, Tn x Tn multipliers.
    pub tn: u32,
    /// NBin (input neuron buffer) size in bytes.
    pub nbin_bytes: u32,
    /// SB (synapse buffer) size in bytes.
    pub sb_bytes: u32,
    /// NBout (output / partial-sum buffer) size in bytes.
    pub nbout_bytes: u32,
    /// Width of a data word in bits (must be 16).
    pub data_bits: u32,
    /// Fraction bits of the data format (Q(data_bits-1-frac).frac).
    pub frac_bits: u32,
    /// Accumulator and NBout-entry width in bits (must be 32).
    pub acc_bits: u32,
    /// Clock frequency in MHz.
    pub clock_mhz: f64,
    /// External memory timing.
    pub dram: DramTiming,
    /// NFU pipeline depths.
    pub pipeline: PipelineDepths,
    /// Instruction memory depth, in instructions.
    pub imem_depth: u32,
    /// Depth of each unit's instruction queue (NBin DMA, SB DMA, NBout DMA, NFU), in slots.
    pub queue_depth: u32,
    /// Seed of the stochastic-rounding LFSRs (see [`crate::fixed::Lfsr`]).
    pub lfsr_seed: u32,
    /// Where the figures come from (free text, shown by `diannao presets`).
    #[serde(default)]
    pub notes: String,
}

/// A configuration that cannot be built, named by field.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ConfigError {
    /// A field has a value out of the supported range.
    #[error("field `{field}`: {reason}")]
    Field {
        /// The offending field, as written in a config file.
        field: &'static str,
        /// Why it is rejected.
        reason: String,
    },
    /// No preset by that name.
    #[error("unknown preset `{0}` (known: {known})", known = PRESET_NAMES.join(", "))]
    UnknownPreset(String),
    /// The config file could not be read.
    #[error("{path}: {reason}")]
    Io {
        /// File path.
        path: String,
        /// The OS error.
        reason: String,
    },
    /// The config file could not be parsed (message names line and field).
    #[error("{path}: {reason}")]
    Parse {
        /// File path.
        path: String,
        /// Parser message with line, column and field.
        reason: String,
    },
}

/// Names of the built-in presets, in the order `diannao presets` lists them.
pub const PRESET_NAMES: &[&str] = &["diannao", "tiny", "zcu104", "kv260"];

fn field(field: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Field {
        field,
        reason: reason.into(),
    }
}

impl AccelConfig {
    /// The DianNao configuration (Chen et al., ASPLOS 2014): Tn = 16, NBin 2 KB,
    /// SB 32 KB, NBout 2 KB, 16-bit fixed point, 980 MHz.
    pub fn diannao() -> Self {
        AccelConfig {
            name: "diannao".into(),
            tn: 16,
            nbin_bytes: 2048,
            sb_bytes: 32 * 1024,
            nbout_bytes: 2048,
            data_bits: DATA_BITS,
            frac_bits: 8,
            acc_bits: ACC_BITS,
            clock_mhz: 980.0,
            dram: DramTiming {
                latency_cycles: 100,
                bytes_per_cycle: 64,
                size_bytes: 1 << 32,
            },
            pipeline: PipelineDepths {
                nfu1: 3,
                nfu2: 2,
                nfu3: 3,
            },
            imem_depth: 1024,
            queue_depth: 8,
            lfsr_seed: 0x1234_5678,
            notes: "DianNao (ASPLOS 2014): Tn=16, 2/32/2 KB, 0.98 GHz; NFU depths 3/2/3 as in \
                    dnn-sim; memory port 64 B/cycle (62.7 GB/s) and 100-cycle latency are this \
                    project's assumption (the paper's figure was not found); so are the 8-entry \
                    NFU and DMA queues (4 until 2026-12-04: the control processor could not \
                    dispatch loads far enough ahead of the NFU to hide the latency)"
                .into(),
        }
    }

    /// A small machine (Tn = 4) that keeps RTL simulation in tests fast.
    pub fn tiny() -> Self {
        AccelConfig {
            name: "tiny".into(),
            tn: 4,
            nbin_bytes: 256,
            sb_bytes: 1024,
            nbout_bytes: 256,
            data_bits: DATA_BITS,
            frac_bits: 8,
            acc_bits: ACC_BITS,
            clock_mhz: 100.0,
            dram: DramTiming { latency_cycles: 6, bytes_per_cycle: 8, size_bytes: 1 << 28 },
            pipeline: PipelineDepths { nfu1: 1, nfu2: 1, nfu3: 1 },
            imem_depth: 256,
            queue_depth: 2,
            lfsr_seed: 0x1234_5678,
            notes: "test preset: Tn=4, NBin 32 rows, SB 32 rows, NBout 16 rows; 256 MiB DRAM (enough for AlexNet fc6)".into(),
        }
    }

    /// The ZCU104 board's machine (XCZU7EV-2: 1,728 DSP48E2, 312 RAMB36E2,
    /// 96 URAM288, 230,400 LUTs): Tn = 32 (1,024 multipliers, the largest
    /// power of two the DSPs hold); each buffer 512 rows, the depth of one
    /// RAMB36E2 in its 72-bit mode, so SB (16,384-bit rows) takes 228 of the
    /// 312 RAMB36E2 and NBin, both NBout copies and imem most of the rest
    /// (docs/boards.md, "Board presets", has the Yosys figures).
    /// Clock and memory are the board project's: `pl_clk0` at
    /// [`ZCU104_CLOCK_KHZ`] and one 128-bit `S_AXI_HP0_FPD` port (16 B per PL
    /// cycle, 0.6 GB/s at 37.5 MHz, well below the 19.2 GB/s of the PS's
    /// 64-bit DDR4-2400). The latency is the one the core sees through
    /// `hdl::axi::master`: [`AXI_MASTER_CYCLES`] plus the assumed
    /// [`BOARD_DDR_NS`] from `ARVALID` to the first `RVALID` in PL cycles.
    pub fn zcu104() -> Self {
        AccelConfig {
            name: "zcu104".into(),
            tn: 32,
            nbin_bytes: 512 * 64,
            sb_bytes: 512 * 2048,
            nbout_bytes: 512 * 128,
            data_bits: DATA_BITS,
            frac_bits: 8,
            acc_bits: ACC_BITS,
            clock_mhz: ZCU104_CLOCK_KHZ as f64 / 1000.0,
            dram: DramTiming {
                latency_cycles: board_ddr_cycles(ZCU104_CLOCK_KHZ) + AXI_MASTER_CYCLES,
                bytes_per_cycle: 16,
                size_bytes: 1 << 31,
            },
            pipeline: PipelineDepths {
                nfu1: 3,
                nfu2: 3,
                nfu3: 3,
            },
            imem_depth: 512,
            queue_depth: 4,
            lfsr_seed: 0x1234_5678,
            notes: "ZCU104 board (XCZU7EV-2): Tn=32 = 1024 of 1728 DSP48E2; 512-row buffers \
                    (SB 1 MiB = 228 of 312 RAMB36E2); pl_clk0 37.5 MHz (IOPLL/40); 128-bit AXI HP \
                    port (16 B/cycle); latency = 235 ns assumed DDR (9 cycles) + 5 of the AXI master"
                .into(),
        }
    }

    /// The KV260 board's machine (K26 SOM, XCK26-2LV: 1,248 DSP48E2, 144
    /// RAMB36E2, 64 URAM288, 117,120 LUTs): Tn = 16, because Tn = 32's
    /// 16,384-bit SB rows need 228 RAMB36E2 (or as many URAM288) for width
    /// alone, and its NFU's LUTs exceed the part (docs/boards.md); each
    /// buffer 512 rows (SB 256 KiB in 57 RAMB36E2). Clock and memory as
    /// [`AccelConfig::zcu104`]: `pl_clk0` at [`KV260_CLOCK_KHZ`], 128-bit HP
    /// port, the same PS DDR4 path.
    pub fn kv260() -> Self {
        AccelConfig {
            name: "kv260".into(),
            tn: 16,
            nbin_bytes: 512 * 32,
            sb_bytes: 512 * 512,
            nbout_bytes: 512 * 64,
            data_bits: DATA_BITS,
            frac_bits: 8,
            acc_bits: ACC_BITS,
            clock_mhz: KV260_CLOCK_KHZ as f64 / 1000.0,
            dram: DramTiming {
                latency_cycles: board_ddr_cycles(KV260_CLOCK_KHZ) + AXI_MASTER_CYCLES,
                bytes_per_cycle: 16,
                size_bytes: 1 << 31,
            },
            pipeline: PipelineDepths {
                nfu1: 3,
                nfu2: 2,
                nfu3: 3,
            },
            imem_depth: 1024,
            queue_depth: 4,
            lfsr_seed: 0x1234_5678,
            notes: "KV260 board (XCK26-2LV): Tn=16 (Tn=32's SB rows do not fit 144 RAMB36E2); \
                    512-row buffers (SB 256 KiB = 57 RAMB36E2); pl_clk0 50 MHz (IOPLL/30); 128-bit \
                    AXI HP port; latency = 235 ns assumed DDR (12 cycles) + 5 of the AXI master"
                .into(),
        }
    }

    /// Look a preset up by name.
    pub fn preset(name: &str) -> Result<Self, ConfigError> {
        match name {
            "diannao" => Ok(Self::diannao()),
            "tiny" => Ok(Self::tiny()),
            "zcu104" => Ok(Self::zcu104()),
            "kv260" => Ok(Self::kv260()),
            other => Err(ConfigError::UnknownPreset(other.to_string())),
        }
    }

    /// All presets, in [`PRESET_NAMES`] order.
    pub fn presets() -> Vec<Self> {
        PRESET_NAMES
            .iter()
            .map(|n| Self::preset(n).expect("listed preset"))
            .collect()
    }

    /// Parse a TOML config; `path` only names the source in messages.
    pub fn from_toml_str(text: &str, path: &str) -> Result<Self, ConfigError> {
        let cfg: AccelConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_string(),
            reason: one_line(&toml_error_message(text, &e)),
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Parse a JSON config; `path` only names the source in messages.
    pub fn from_json_str(text: &str, path: &str) -> Result<Self, ConfigError> {
        let cfg: AccelConfig = serde_json::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_string(),
            reason: format!(
                "line {}, column {}: {}",
                e.line(),
                e.column(),
                one_line(&e.to_string())
            ),
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Load a `.toml` or `.json` config file (by extension; TOML otherwise).
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            path: p.clone(),
            reason: e.to_string(),
        })?;
        let r = if path.extension().and_then(|e| e.to_str()) == Some("json") {
            Self::from_json_str(&text, &p)
        } else {
            Self::from_toml_str(&text, &p)
        };
        r.map_err(|e| match e {
            ConfigError::Field { field, reason } => ConfigError::Parse {
                path: p.clone(),
                reason: format!("field `{field}`: {reason}"),
            },
            other => other,
        })
    }

    /// A preset name or a path to a config file.
    pub fn resolve(name_or_path: &str) -> Result<Self, ConfigError> {
        if PRESET_NAMES.contains(&name_or_path) {
            return Self::preset(name_or_path);
        }
        let p = Path::new(name_or_path);
        if name_or_path.ends_with(".toml") || name_or_path.ends_with(".json") || p.exists() {
            return Self::load(p);
        }
        Err(ConfigError::UnknownPreset(name_or_path.to_string()))
    }

    /// Check that the hardware can be built and the instruction set can
    /// address it. Never panics.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.tn == 0 {
            return Err(field("tn", "must be at least 1"));
        }
        if self.tn > MAX_TN || !self.tn.is_power_of_two() {
            return Err(field(
                "tn",
                format!("must be a power of two from 1 to {MAX_TN}, got {}", self.tn),
            ));
        }
        if self.data_bits != DATA_BITS {
            return Err(field(
                "data_bits",
                format!(
                    "only {DATA_BITS}-bit data is supported (16x16 multipliers), got {}",
                    self.data_bits
                ),
            ));
        }
        if self.acc_bits != ACC_BITS {
            return Err(field(
                "acc_bits",
                format!(
                    "only {ACC_BITS}-bit accumulators are supported, got {}",
                    self.acc_bits
                ),
            ));
        }
        if self.frac_bits == 0 || self.frac_bits >= self.data_bits {
            return Err(field(
                "frac_bits",
                format!("must be 1..{}, got {}", self.data_bits - 1, self.frac_bits),
            ));
        }
        for (name, bytes, row) in [
            ("nbin_bytes", self.nbin_bytes, self.nbin_row_bytes()),
            ("sb_bytes", self.sb_bytes, self.sb_row_bytes()),
            ("nbout_bytes", self.nbout_bytes, self.nbout_row_bytes()),
        ] {
            if bytes == 0 || bytes % row != 0 {
                return Err(field(
                    name,
                    format!(
                        "must be a positive whole number of {row}-byte rows (Tn = {}), got {bytes}",
                        self.tn
                    ),
                ));
            }
            let rows = bytes / row;
            let max = (1u32 << ROW_BITS) - 1;
            if rows > max {
                return Err(field(
                    name,
                    format!("{rows} rows exceed the {max} a {ROW_BITS}-bit row address can reach"),
                ));
            }
            if rows < 2 {
                return Err(field(name, "needs at least 2 rows"));
            }
        }
        if !(self.clock_mhz.is_finite() && self.clock_mhz > 0.0 && self.clock_mhz <= 10_000.0) {
            return Err(field(
                "clock_mhz",
                format!("must be in (0, 10000] MHz, got {}", self.clock_mhz),
            ));
        }
        if self.dram.latency_cycles == 0 || self.dram.latency_cycles > MAX_DRAM_LATENCY {
            return Err(field(
                "dram.latency_cycles",
                format!(
                    "must be 1..={MAX_DRAM_LATENCY}, got {}",
                    self.dram.latency_cycles
                ),
            ));
        }
        let bpc = self.dram.bytes_per_cycle;
        if bpc == 0 || !bpc.is_power_of_two() || bpc > 1024 {
            return Err(field(
                "dram.bytes_per_cycle",
                format!("must be a power of two from 1 to 1024, got {bpc}"),
            ));
        }
        if self.dram.size_bytes < 4096
            || self.dram.size_bytes > (1u64 << 32)
            || !self.dram.size_bytes.is_power_of_two()
        {
            return Err(field(
                "dram.size_bytes",
                format!(
                    "must be a power of two from 4096 to 2^32, got {}",
                    self.dram.size_bytes
                ),
            ));
        }
        for (name, d) in [
            ("pipeline.nfu1", self.pipeline.nfu1),
            ("pipeline.nfu2", self.pipeline.nfu2),
            ("pipeline.nfu3", self.pipeline.nfu3),
        ] {
            if d == 0 || d > MAX_STAGE_DEPTH {
                return Err(field(
                    name,
                    format!("must be 1..={MAX_STAGE_DEPTH} cycles, got {d}"),
                ));
            }
        }
        if self.imem_depth < 2 || self.imem_depth > (1 << COUNT_BITS) {
            return Err(field(
                "imem_depth",
                format!(
                    "must be 2..={}, got {}",
                    1u32 << COUNT_BITS,
                    self.imem_depth
                ),
            ));
        }
        if self.queue_depth == 0 || self.queue_depth > MAX_QUEUE_DEPTH {
            return Err(field(
                "queue_depth",
                format!("must be 1..={MAX_QUEUE_DEPTH}, got {}", self.queue_depth),
            ));
        }
        if self.lfsr_seed == 0 {
            return Err(field(
                "lfsr_seed",
                "must be non-zero (an all-zero LFSR never leaves zero)",
            ));
        }
        Ok(())
    }

    /// Bytes of one data word (2).
    pub fn data_bytes(&self) -> u32 {
        self.data_bits / 8
    }
    /// Bytes of one accumulator / NBout entry (4).
    pub fn acc_bytes(&self) -> u32 {
        self.acc_bits / 8
    }
    /// One NBin row: Tn data words, in bytes.
    pub fn nbin_row_bytes(&self) -> u32 {
        self.tn * self.data_bytes()
    }
    /// One SB row: a Tn x Tn block of synapses, in bytes.
    pub fn sb_row_bytes(&self) -> u32 {
        self.tn * self.tn * self.data_bytes()
    }
    /// One NBout row: Tn accumulator entries, in bytes.
    pub fn nbout_row_bytes(&self) -> u32 {
        self.tn * self.acc_bytes()
    }
    /// This configuration resized: NFU width `tn`, an SB of `sb_bytes` bytes,
    /// and NBin and NBout `nbin_rows` and `nbout_rows` deep, their bytes
    /// derived from the row widths at the new Tn. Name and notes are kept.
    /// Products saturate, so an impossible size fails [`Self::validate`].
    pub fn resized(&self, tn: u32, sb_bytes: u32, nbin_rows: u32, nbout_rows: u32) -> AccelConfig {
        let mut c = self.clone();
        c.tn = tn;
        c.sb_bytes = sb_bytes;
        c.nbin_bytes = nbin_rows.saturating_mul(tn.saturating_mul(self.data_bytes()));
        c.nbout_bytes = nbout_rows.saturating_mul(tn.saturating_mul(self.acc_bytes()));
        c
    }
    /// NBin depth in rows.
    pub fn nbin_rows(&self) -> u32 {
        self.nbin_bytes / self.nbin_row_bytes()
    }
    /// SB depth in rows.
    pub fn sb_rows(&self) -> u32 {
        self.sb_bytes / self.sb_row_bytes()
    }
    /// NBout depth in rows.
    pub fn nbout_rows(&self) -> u32 {
        self.nbout_bytes / self.nbout_row_bytes()
    }
    /// On-chip buffer bytes (NBin + SB + NBout).
    pub fn onchip_bytes(&self) -> u64 {
        self.nbin_bytes as u64 + self.sb_bytes as u64 + self.nbout_bytes as u64
    }
    /// Peak multiply-accumulates per cycle (Tn x Tn).
    pub fn peak_macs_per_cycle(&self) -> u64 {
        (self.tn as u64) * (self.tn as u64)
    }
    /// Peak operations per cycle counted as DianNao does: Tn*Tn multiplications
    /// plus Tn*(Tn-1) adder-tree additions (496 at Tn = 16).
    pub fn peak_ops_per_cycle(&self) -> u64 {
        let t = self.tn as u64;
        t * t + t * (t - 1)
    }
    /// Peak GOP/s at the preset clock (DianNao's operation count).
    pub fn peak_gops(&self) -> f64 {
        self.peak_ops_per_cycle() as f64 * self.clock_mhz / 1000.0
    }
    /// Seconds per cycle at the preset clock.
    pub fn seconds_per_cycle(&self) -> f64 {
        1.0e-6 / self.clock_mhz
    }
    /// Cycles the memory port is busy with one row of `bytes` bytes.
    pub fn beats(&self, bytes: u32) -> u32 {
        bytes.div_ceil(self.dram.bytes_per_cycle)
    }
    /// Cycles from the first NFU issue of an output to its NBout write:
    /// one buffer-read cycle plus the three stage depths.
    pub fn nfu_latency(&self) -> u32 {
        1 + self.pipeline.nfu1 + self.pipeline.nfu2 + self.pipeline.nfu3
    }
}

/// Render a toml error as "line L, column C: message" with the field named.
fn toml_error_message(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().to_string();
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before
                .rsplit('\n')
                .next()
                .map(|l| l.chars().count())
                .unwrap_or(0)
                + 1;
            format!("line {line}, column {col}: {msg}")
        }
        None => msg,
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid() {
        for p in AccelConfig::presets() {
            p.validate().unwrap_or_else(|e| panic!("{}: {e}", p.name));
        }
    }

    #[test]
    fn diannao_figures_match_the_paper() {
        let c = AccelConfig::diannao();
        assert_eq!(c.peak_ops_per_cycle(), 496);
        assert_eq!(c.nbin_rows(), 64);
        assert_eq!(c.sb_rows(), 64);
        assert_eq!(c.nbout_rows(), 32);
        assert!((c.peak_gops() - 486.08).abs() < 1e-9);
    }

    #[test]
    fn validation_names_the_field() {
        let mut c = AccelConfig::tiny();
        c.tn = 0;
        assert!(matches!(
            c.validate(),
            Err(ConfigError::Field { field: "tn", .. })
        ));
        let mut c = AccelConfig::tiny();
        c.nbin_bytes = 100;
        assert!(matches!(
            c.validate(),
            Err(ConfigError::Field {
                field: "nbin_bytes",
                ..
            })
        ));
        let mut c = AccelConfig::tiny();
        c.data_bits = 8;
        assert!(matches!(
            c.validate(),
            Err(ConfigError::Field {
                field: "data_bits",
                ..
            })
        ));
        let mut c = AccelConfig::tiny();
        c.clock_mhz = f64::NAN;
        assert!(matches!(
            c.validate(),
            Err(ConfigError::Field {
                field: "clock_mhz",
                ..
            })
        ));
    }

    #[test]
    fn toml_roundtrip_and_errors_name_line_and_field() {
        let c = AccelConfig::diannao();
        let text = toml::to_string(&c).unwrap();
        assert_eq!(AccelConfig::from_toml_str(&text, "x.toml").unwrap(), c);
        let bad = text.replace("tn = 16", "tn = \"sixteen\"");
        let e = AccelConfig::from_toml_str(&bad, "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("x.toml: line "), "{e}");
        let bad = text.replace("tn = 16", "tnn = 16");
        let e = AccelConfig::from_toml_str(&bad, "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("tnn"), "{e}");
        let json = serde_json::to_string_pretty(&c).unwrap();
        assert_eq!(AccelConfig::from_json_str(&json, "x.json").unwrap(), c);
    }

    #[test]
    fn unknown_preset_lists_known() {
        let e = AccelConfig::preset("nope").unwrap_err().to_string();
        assert!(e.contains("diannao") && e.contains("nope"), "{e}");
    }
}
