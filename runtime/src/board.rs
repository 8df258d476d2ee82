//! `diannao board`: run a model or a layer on an accelerator through the
//! driver ([`crate::device`]): a real board ([`MmioBus`]: the register
//! window and a physically contiguous DRAM buffer) or the simulated board
//! ([`SimBus`]: the Verilator model of the AXI-wrapped RTL with random AXI
//! timing). Opening the device checks the `id` register and the preset hash.
//! Per layer: the program and the DRAM image (seeded random data, as
//! `backends::vectors::layer_vector` makes them) are loaded, the run is
//! started and waited for with a timeout, then the status, the counters and
//! the output region are read back; the output must equal the
//! cycle-accurate simulator's for the same data.

use crate::device::{AxiDevice, Device, DeviceError, Halt, MmioBus, RegisterBus, SimBus};
use crate::run::{self, RunError, Workload};
use arch::events::Event;
use arch::AccelConfig;
use backends::axi_harness::Timing;
use backends::{vectors, Backend, SimBackend};
use std::io::Write;

/// AXI byte address of the simulated board's DRAM buffer.
pub const SIM_BUFFER_BASE: u64 = 0x2000_0000;

/// Which accelerator to drive.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// The simulated board (Verilator model of the wrapped RTL), with this seed of its random AXI timing.
    Sim {
        /// Seed of the AXI model's random ready/valid delays.
        timing_seed: u64,
    },
    /// A real board.
    Mmio {
        /// `/dev/uioN` (with `reg_phys` 0) or `/dev/mem`.
        regs: String,
        /// Physical address of the register window (`/dev/mem` only), bytes.
        reg_phys: u64,
        /// `/dev/mem` or a u-dma-buf device holding the DRAM buffer.
        buf: String,
        /// Offset of the buffer in `buf`'s mapping, bytes.
        buf_offset: u64,
        /// Physical (AXI) address of the buffer, bytes.
        buf_phys: u64,
        /// Buffer size, bytes.
        buf_bytes: u64,
    },
}

/// Options of `diannao board`.
#[derive(Debug, Clone)]
pub struct BoardOptions {
    /// Preset name or config file of the hardware.
    pub preset: String,
    /// Built-in model or model file.
    pub model: Option<String>,
    /// One layer.
    pub layer: Option<String>,
    /// Images per run.
    pub batch: u32,
    /// Seed of the random data.
    pub seed: u64,
    /// The accelerator.
    pub target: Target,
    /// Give up a run after this many status polls.
    pub max_polls: u64,
    /// The board's fabric clock (the PS's `pl_clk0`), MHz: converts AXI cycles
    /// to time; `None`: the preset's `clock_mhz` (what the board project asks the PS for).
    pub clock_mhz: Option<f64>,
}

/// One layer's run on the device.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerRun {
    /// Layer name.
    pub name: String,
    /// Instructions of its program.
    pub instructions: usize,
    /// Core cycles (the `cycles` counter).
    pub cycles: u64,
    /// AXI clock cycles from start to halt.
    pub bus_cycles: u64,
    /// `bus_cycles` at the fabric clock, seconds.
    pub seconds: f64,
    /// Every event counter of the run (`Event::ALL` order, core cycles).
    pub counters: Vec<(Event, u64)>,
}

/// Run every layer of the workload on the device of `opts`; print a table.
pub fn command(opts: &BoardOptions, out: &mut dyn Write) -> Result<Vec<LayerRun>, RunError> {
    let cfg = crate::configs::resolve(&opts.preset).map_err(|e| RunError::Config(e.to_string()))?;
    run::check_batch(opts.batch)?;
    let clock_mhz = opts.clock_mhz.unwrap_or(cfg.clock_mhz);
    if clock_mhz.is_nan() || clock_mhz <= 0.0 {
        return Err(RunError::Board(format!(
            "--clock-mhz must be positive (got {clock_mhz})"
        )));
    }
    let opts = &BoardOptions {
        clock_mhz: Some(clock_mhz),
        ..opts.clone()
    };
    let work = Workload::resolve(opts.model.as_deref(), opts.layer.as_deref())?;
    work.check_budget(&cfg, opts.batch)?;
    match &opts.target {
        Target::Sim { timing_seed } => {
            let bus = SimBus::new(
                &cfg,
                Timing {
                    seed: *timing_seed,
                    ..Timing::default()
                },
                SIM_BUFFER_BASE,
                cfg.dram.size_bytes.min(1 << 28),
            )
            .map_err(device_err)?;
            drive(
                &cfg,
                &work,
                opts,
                bus,
                "simulated board (Verilator model of the AXI-wrapped RTL)",
                out,
            )
        }
        Target::Mmio {
            regs,
            reg_phys,
            buf,
            buf_offset,
            buf_phys,
            buf_bytes,
        } => {
            let bus = MmioBus::open(
                regs,
                *reg_phys,
                buf,
                *buf_offset,
                *buf_phys,
                *buf_bytes as usize,
            )
            .map_err(device_err)?;
            drive(&cfg, &work, opts, bus, &format!("board at {regs}"), out)
        }
    }
}

/// The clock `command` settled on (always set by then).
fn clock_mhz(opts: &BoardOptions) -> f64 {
    opts.clock_mhz.unwrap_or(f64::NAN)
}

fn device_err(e: DeviceError) -> RunError {
    RunError::Board(e.to_string())
}

fn drive<B: RegisterBus>(
    cfg: &AccelConfig,
    work: &Workload,
    opts: &BoardOptions,
    bus: B,
    what: &str,
    out: &mut dyn Write,
) -> Result<Vec<LayerRun>, RunError> {
    let mut dev = AxiDevice::new(bus, cfg).map_err(device_err)?;
    writeln!(
        out,
        "board: {} on preset {} ({what}; preset hash checked), batch {}, seed {}, clock {} MHz",
        work.name,
        cfg.name,
        opts.batch,
        opts.seed,
        clock_mhz(opts)
    )?;
    writeln!(
        out,
        "{:<10} {:>12} {:>12} {:>12} {:>12}  output",
        "layer", "instructions", "cycles", "AXI cycles", "time ms"
    )?;
    let mut runs = Vec::new();
    for (i, (name, spec)) in work.layers.iter().enumerate() {
        let ename = match work.err_name(i) {
            n if n.is_empty() => n,
            n => format!("layer {n}: "),
        };
        let v = vectors::layer_vector(cfg, spec, opts.batch, opts.seed + i as u64)
            .map_err(|e| RunError::Board(format!("{ename}{e}")))?;
        let want = SimBackend::default()
            .run(&v)
            .map_err(|e| RunError::Board(format!("{ename}{e}")))?;
        dev.load(&v.program, &v.image).map_err(device_err)?;
        dev.start().map_err(device_err)?;
        let st = dev.wait(opts.max_polls).map_err(|e| match e {
            DeviceError::Timeout(p) => RunError::Board(format!(
                "{ename}no halt after {p} status polls (raise --timeout-polls)"
            )),
            e => device_err(e),
        })?;
        if let Halt::Error { class, index } = &st.halt {
            return Err(RunError::Board(format!(
                "{ename}the accelerator halted with a {class} error at instruction {index}"
            )));
        }
        let got = dev.read_dram(v.window.0, v.window.1).map_err(device_err)?;
        let expect = want.dram.read(v.window.0, v.window.1);
        if let Some(k) = got.iter().zip(&expect).position(|(a, b)| a != b) {
            return Err(RunError::Board(format!(
                "{ename}output differs from the simulator's first at DRAM byte {:#x}: device {:#04x}, simulator {:#04x}",
                v.window.0 + k as u64,
                got[k],
                expect[k]
            )));
        }
        let counters = dev.counters().map_err(device_err)?;
        let r = LayerRun {
            name: name.clone(),
            instructions: v.program.len(),
            cycles: st.cycles,
            bus_cycles: st.bus_cycles,
            seconds: st.bus_cycles as f64 / (clock_mhz(opts) * 1e6),
            counters,
        };
        writeln!(
            out,
            "{:<10} {:>12} {:>12} {:>12} {:>12.3}  = simulator ({} bytes)",
            r.name,
            r.instructions,
            r.cycles,
            r.bus_cycles,
            r.seconds * 1e3,
            v.window.1
        )?;
        runs.push(r);
    }
    let (c, b): (u64, u64) = runs
        .iter()
        .fold((0, 0), |(c, b), r| (c + r.cycles, b + r.bus_cycles));
    writeln!(
        out,
        "all {} layers ran: {c} core cycles, {b} AXI cycles, {:.3} ms at {} MHz",
        runs.len(),
        b as f64 / (clock_mhz(opts) * 1e3),
        clock_mhz(opts)
    )?;
    Ok(runs)
}
