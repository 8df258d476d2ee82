//! The AXI-wrapped accelerator under Verilator ([`crate::axi_harness`]) as a
//! [`Backend`]: the DRAM image (the program included, at the vector's
//! program base) is placed at `dram_base + address` in the AXI memory model;
//! the core fetches its program through its AXI master. The run is started and polled
//! through the AXI4-Lite register map (`arch::regmap`), and the halt
//! status and the whole memory model are read back: the bytes in the core's
//! DRAM window `[dram_base, dram_base + size)` (mod 2^32) become the
//! outcome's image (the program included, as on every backend), and any
//! other non-zero byte (a write outside the window) fails the run.
//! `Outcome::cycles` is the core's own `cycles` counter: the AXI master
//! answers every beat exactly `L` core cycles after its command (holding the
//! core when data is late), so it and every event counter (`Outcome::counters`,
//! read as 64-bit values, low word then high word) equal the simulator's for
//! every bus timing; how long the run took on the bus is
//! [`AxiRun::bus_cycles`], and [`AxiRun::held_cycles`] of it the core spent waiting.

use crate::axi_harness::{AxiSim, Stats, Timing};
use crate::rtl::status;
use crate::{Backend, BackendError, Image, Outcome, Vector};
use arch::events::{Counters, Event};
use arch::regmap::{self, counter_offset};

const NAME: &str = "verilator-axi";

/// Result of one AXI run beyond the [`Outcome`].
#[derive(Clone, Debug)]
pub struct AxiRun {
    /// The outcome (status, whole DRAM image, core cycles).
    pub outcome: Outcome,
    /// AXI clock cycles from start to done (`bus_cycles`, 64 bits).
    pub bus_cycles: u64,
    /// AXI clock cycles the core was held for late read data (`held_cycles`).
    pub held_cycles: u64,
    /// `status.bus_error`.
    pub bus_error: bool,
    /// Protocol statistics of the harness.
    pub stats: Stats,
}

/// The AXI-wrapped RTL under Verilator, with the board's DDR model or randomised AXI timing.
#[derive(Clone, Copy, Debug)]
pub struct AxiBackend {
    /// AXI memory timing; `None`: the vector's configuration's board DDR model ([`Timing::board`]).
    pub timing: Option<Timing>,
    /// AXI byte address of the core's DRAM address 0.
    pub dram_base: u32,
    /// Give up after this many AXI cycles.
    pub max_cycles: u64,
}

impl Default for AxiBackend {
    fn default() -> Self {
        AxiBackend {
            timing: None,
            // page-aligned, as the board driver's buffer is
            dram_base: 0x1000_0000,
            max_cycles: 50_000_000,
        }
    }
}

fn fail(m: impl std::fmt::Display) -> BackendError {
    BackendError::Failed {
        backend: NAME,
        message: m.to_string(),
    }
}

fn off(name: &str) -> Result<u32, BackendError> {
    regmap::offset(name).map_err(fail)
}

/// The 64-bit value whose low word is at `lo` (`arch::regmap`'s read
/// sequence: the low word, then the high word it latched).
fn read64(s: &mut AxiSim, lo: u32) -> Result<u64, BackendError> {
    let l = s.reg_read(lo).map_err(fail)? as u64;
    let h = s.reg_read(lo + regmap::HI_WORD).map_err(fail)? as u64;
    Ok(h << 32 | l)
}

impl AxiBackend {
    /// Run `v` and return the outcome with the bus statistics.
    pub fn run_full(&self, v: &Vector) -> Result<AxiRun, BackendError> {
        let timing = self.timing.unwrap_or_else(|| Timing::board(&v.cfg));
        let mut s = AxiSim::start(&v.cfg, timing).map_err(fail)?;
        let hash = s.reg_read(off("preset_hash")?).map_err(fail)?;
        if hash != regmap::preset_hash(&v.cfg) {
            return Err(fail(format!(
                "preset hash {hash:#x} does not match the configuration"
            )));
        }
        for (a, bytes) in &v.dram_image() {
            s.mem_write(self.dram_base as u64 + a, bytes)
                .map_err(fail)?;
        }
        let base = u32::try_from(v.program_base()).map_err(|_| {
            fail(format!(
                "program base {:#x} is beyond 32 bits",
                v.program_base()
            ))
        })?;
        s.reg_write(off("prog_base")?, base).map_err(fail)?;
        s.reg_write(off("prog_len")?, v.program.len() as u32)
            .map_err(fail)?;
        s.reg_write(off("dram_base")?, self.dram_base)
            .map_err(fail)?;
        s.reg_write(off("lfsr_seed")?, v.seed).map_err(fail)?;
        s.reg_write(off("ctrl")?, regmap::CTRL_START.put(1))
            .map_err(fail)?;
        if s.wait_irq(self.max_cycles).map_err(fail)?.is_none() {
            return Err(fail(format!(
                "{}: no halt within {} cycles",
                v.name, self.max_cycles
            )));
        }
        let st = s.reg_read(off("status")?).map_err(fail)?;
        if regmap::STATUS_DONE.get(st) != 1 {
            return Err(fail(format!("irq without status.done ({st:#x})")));
        }
        let err = s.reg_read(off("error")?).map_err(fail)?;
        let err_index = s.reg_read(off("error_index")?).map_err(fail)?;
        let mut counters = Counters::new();
        for e in Event::ALL {
            counters.add(*e, read64(&mut s, counter_offset(*e))?);
        }
        let cycles = counters.get(Event::Cycles);
        let bus_cycles = read64(&mut s, off("bus_cycles")?)?;
        let held_cycles = s.reg_read(off("held_cycles")?).map_err(fail)? as u64;
        let dram = dram_image(&mut s, v, self.dram_base)?;
        let stats = s.stats().map_err(fail)?;
        Ok(AxiRun {
            outcome: Outcome {
                cycles,
                status: status(regmap::ERROR_CLASS.get(err) as u64, err_index as u64)
                    .map_err(fail)?,
                dram,
                counters: Some(counters),
            },
            bus_cycles,
            held_cycles,
            bus_error: regmap::STATUS_BUS_ERROR.get(st) == 1,
            stats,
        })
    }
}

/// The core's DRAM (AXI `[dram_base, dram_base + size)`, mod 2^32) as the
/// harness's memory holds it after a run of `v`; a non-zero byte elsewhere
/// is an error.
fn dram_image(s: &mut AxiSim, v: &Vector, dram_base: u32) -> Result<Image, BackendError> {
    let size = v.cfg.dram.size_bytes;
    let db = dram_base as u64;
    let mut m = Image::new();
    for (page, bytes) in s.mem_dump().map_err(fail)? {
        for (i, b) in bytes.iter().enumerate() {
            let a = page + i as u64;
            if *b == 0 {
                continue;
            }
            let core = a.wrapping_sub(db) & 0xffff_ffff;
            if core >= size {
                return Err(fail(format!(
                    "{}: byte {b:#04x} at AXI address {a:#x}, outside the DRAM window \
                     ({db:#x}, {size:#x} bytes)",
                    v.name
                )));
            }
            m.write(core, &[*b]);
        }
    }
    Ok(m)
}

impl Backend for AxiBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    /// The core's cycles equal the contract's whatever the bus does (the master answers at `L`).
    fn cycle_exact(&self) -> bool {
        true
    }

    /// Runs the vector and fails on any protocol violation or bus error.
    fn run(&self, v: &Vector) -> Result<Outcome, BackendError> {
        let r = self.run_full(v)?;
        if r.stats.violations != 0 {
            return Err(fail(format!(
                "{}: {} AXI protocol violations: {:?}",
                v.name, r.stats.violations, r.stats.messages
            )));
        }
        if r.bus_error {
            return Err(fail(format!("{}: bus error", v.name)));
        }
        Ok(r.outcome)
    }
}
