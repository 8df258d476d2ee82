//! Driver layer for the AXI-wrapped accelerator (docs/boards.md).
//!
//! [`Device`] is what a runtime needs from an accelerator: load a program and
//! a DRAM image, start, wait, read status and counters, read DRAM back.
//! [`AxiDevice`] implements it over the register map of
//! `arch::regmap` on any [`RegisterBus`]:
//!
//! * [`MmioBus`]: the real board: registers mapped from `/dev/mem` or a UIO
//!   device (`/dev/uioN`), DRAM images in a physically contiguous buffer
//!   (reserved memory through `/dev/mem`, or a u-dma-buf device) whose
//!   physical address is the AXI address the accelerator uses;
//! * [`SimBus`]: the Verilator model of the wrapped RTL with its randomised
//!   AXI memory (`backends::axi_harness`), through the same registers.

use arch::events::Event;
use arch::isa::fields::Word;
use arch::regmap::{self, counter_offset, ID_MAGIC};
use arch::AccelConfig;
use backends::axi_harness::{AxiSim, Timing};
use thiserror::Error;

/// Driver errors.
#[derive(Debug, Error)]
pub enum DeviceError {
    /// The `id` register does not hold the accelerator's magic value.
    #[error(
        "no accelerator at this address: id register reads {0:#010x}, expected {ID_MAGIC:#010x}"
    )]
    NotFound(u32),
    /// The hardware was built for another configuration.
    #[error("the hardware was built for another configuration: preset_hash {hw:#010x}, `{name}` has {sw:#010x}")]
    PresetMismatch {
        /// Hash read from the hardware.
        hw: u32,
        /// Hash of the configuration the host uses.
        sw: u32,
        /// That configuration's name.
        name: String,
    },
    /// The program does not fit in the DRAM buffer after the image.
    #[error("the {len}-instruction program at DRAM byte {base:#x} does not fit in the {size:#x}-byte buffer")]
    ProgramTooLong {
        /// Instructions.
        len: usize,
        /// Where it would start (core DRAM byte address).
        base: u64,
        /// Buffer bytes.
        size: u64,
    },
    /// A DRAM access falls outside the buffer.
    #[error("DRAM bytes [{addr:#x}, {end:#x}) are outside the {size:#x}-byte buffer")]
    OutOfBuffer {
        /// First byte.
        addr: u64,
        /// One past the last byte.
        end: u64,
        /// Buffer bytes.
        size: u64,
    },
    /// The run did not halt in time.
    #[error("no halt after {0} polls")]
    Timeout(u64),
    /// `start` while busy, or a result read before a run.
    #[error("{0}")]
    State(&'static str),
    /// An AXI slave answered SLVERR/DECERR during the run.
    #[error("bus error during the run (an AXI response was SLVERR or DECERR)")]
    BusError,
    /// Operating-system error (open, mmap).
    #[error("{what}: {source}")]
    Os {
        /// What was attempted.
        what: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The simulated bus failed.
    #[error(transparent)]
    Sim(#[from] backends::axi_harness::HarnessError),
    /// Register map.
    #[error(transparent)]
    RegMap(#[from] regmap::RegMapError),
    /// The status registers hold an unknown error class.
    #[error("status: {0}")]
    Status(String),
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Halt {
    /// Halted after `end`.
    Done,
    /// Halted on an error (`decode`, `range`, `no_end`, `fetch`) at instruction `index`.
    Error {
        /// Class name.
        class: String,
        /// Instruction index.
        index: usize,
    },
}

/// Result of [`Device::wait`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunStatus {
    /// How it ended.
    pub halt: Halt,
    /// Core cycles (the `cycles` counter).
    pub cycles: u64,
    /// AXI clock cycles from start to halt, program fetch included.
    pub bus_cycles: u64,
}

/// An accelerator a runtime can drive.
pub trait Device {
    /// Place `program` and the DRAM `image` ((core address, bytes) chunks) for the next run.
    fn load(&mut self, program: &[Word], image: &[(u64, Vec<u8>)]) -> Result<(), DeviceError>;
    /// Set the stochastic-rounding seed of the following runs (every start
    /// loads lane n's LFSR with `Lfsr::lane_seed(seed, n)`; after reset the
    /// device holds the preset's `lfsr_seed`).
    fn set_seed(&mut self, seed: u32) -> Result<(), DeviceError>;
    /// Start the loaded program.
    fn start(&mut self) -> Result<(), DeviceError>;
    /// Poll until the run halts (at most `max_polls` polls).
    fn wait(&mut self, max_polls: u64) -> Result<RunStatus, DeviceError>;
    /// Every event counter (`Event::ALL` order, 64 bits, in core cycles), after a run.
    fn counters(&mut self) -> Result<Vec<(Event, u64)>, DeviceError>;
    /// Read `len` bytes of DRAM at core address `addr`.
    fn read_dram(&mut self, addr: u64, len: u64) -> Result<Vec<u8>, DeviceError>;
}

/// Register and memory access underneath an [`AxiDevice`].
pub trait RegisterBus {
    /// Read the 32-bit register at byte offset `off`.
    fn read32(&mut self, off: u32) -> Result<u32, DeviceError>;
    /// Write the 32-bit register at byte offset `off`.
    fn write32(&mut self, off: u32, v: u32) -> Result<(), DeviceError>;
    /// Read the 64-bit value whose low word is at byte offset `lo`, in the
    /// register map's read sequence (`arch::regmap`): the low word (which
    /// latches the high word), then the high word.
    fn read64(&mut self, lo: u32) -> Result<u64, DeviceError> {
        let l = self.read32(lo)? as u64;
        let h = self.read32(lo + regmap::HI_WORD)? as u64;
        Ok(h << 32 | l)
    }
    /// Write bytes at DRAM offset `off` of the accelerator's buffer.
    fn mem_write(&mut self, off: u64, bytes: &[u8]) -> Result<(), DeviceError>;
    /// Read bytes at DRAM offset `off` of the buffer.
    fn mem_read(&mut self, off: u64, len: u64) -> Result<Vec<u8>, DeviceError>;
    /// AXI address of buffer offset 0.
    fn buffer_base(&self) -> u64;
    /// Buffer size, bytes.
    fn buffer_bytes(&self) -> u64;
    /// Let time pass between two status polls.
    fn pause(&mut self) -> Result<(), DeviceError>;
}

/// [`Device`] over the register map. Buffer layout: the core's DRAM at buffer
/// offset 0 (`dram_base` = buffer base); the program after the image
/// (`arch::isa::program::default_base`), fetched by the core itself.
pub struct AxiDevice<B: RegisterBus> {
    bus: B,
    cfg: AccelConfig,
    /// Bytes of the core DRAM the buffer holds.
    size: u64,
    loaded: bool,
    ran: bool,
}

impl<B: RegisterBus> AxiDevice<B> {
    /// Open the accelerator on `bus`, refusing hardware that is absent or built for another configuration.
    pub fn new(mut bus: B, cfg: &AccelConfig) -> Result<Self, DeviceError> {
        let id = bus.read32(regmap::offset("id")?)?;
        if id != ID_MAGIC {
            return Err(DeviceError::NotFound(id));
        }
        let hw = bus.read32(regmap::offset("preset_hash")?)?;
        let sw = regmap::preset_hash(cfg);
        if hw != sw {
            return Err(DeviceError::PresetMismatch {
                hw,
                sw,
                name: cfg.name.clone(),
            });
        }
        let size = bus.buffer_bytes().min(cfg.dram.size_bytes);
        Ok(AxiDevice {
            bus,
            cfg: cfg.clone(),
            size,
            loaded: false,
            ran: false,
        })
    }

    /// The bus (for tests and diagnostics).
    pub fn bus(&mut self) -> &mut B {
        &mut self.bus
    }

    fn check(&self, addr: u64, len: u64) -> Result<(), DeviceError> {
        let end = addr.saturating_add(len);
        if end > self.size {
            return Err(DeviceError::OutOfBuffer {
                addr,
                end,
                size: self.size,
            });
        }
        Ok(())
    }
}

impl<B: RegisterBus> Device for AxiDevice<B> {
    fn load(&mut self, program: &[Word], image: &[(u64, Vec<u8>)]) -> Result<(), DeviceError> {
        for (a, b) in image {
            self.check(*a, b.len() as u64)?;
        }
        // the core fetches the program from its DRAM: put it after the image
        let data_end = image
            .iter()
            .map(|(a, b)| a + b.len() as u64)
            .max()
            .unwrap_or(0);
        let prog_base = arch::isa::program::default_base(&self.cfg, program, data_end);
        let bytes = arch::isa::program::image(program);
        if prog_base + bytes.len() as u64 > self.size {
            return Err(DeviceError::ProgramTooLong {
                len: program.len(),
                base: prog_base,
                size: self.size,
            });
        }
        let status = self.bus.read32(regmap::offset("status")?)?;
        if regmap::STATUS_BUSY.get(status) == 1 {
            return Err(DeviceError::State("load while the accelerator is busy"));
        }
        for (a, b) in image {
            self.bus.mem_write(*a, b)?;
        }
        self.bus.mem_write(prog_base, &bytes)?;
        let base = self.bus.buffer_base();
        self.bus
            .write32(regmap::offset("dram_base")?, base as u32)?;
        self.bus
            .write32(regmap::offset("prog_base")?, prog_base as u32)?;
        self.bus
            .write32(regmap::offset("prog_len")?, program.len() as u32)?;
        self.loaded = true;
        Ok(())
    }

    fn set_seed(&mut self, seed: u32) -> Result<(), DeviceError> {
        self.bus.write32(regmap::offset("lfsr_seed")?, seed)
    }

    fn start(&mut self) -> Result<(), DeviceError> {
        if !self.loaded {
            return Err(DeviceError::State("start before load"));
        }
        let status = self.bus.read32(regmap::offset("status")?)?;
        if regmap::STATUS_BUSY.get(status) == 1 {
            return Err(DeviceError::State("start while the accelerator is busy"));
        }
        self.bus
            .write32(regmap::offset("ctrl")?, regmap::CTRL_START.put(1))?;
        self.ran = true;
        Ok(())
    }

    fn wait(&mut self, max_polls: u64) -> Result<RunStatus, DeviceError> {
        if !self.ran {
            return Err(DeviceError::State("wait before start"));
        }
        let st_off = regmap::offset("status")?;
        let mut polls = 0;
        let status = loop {
            let s = self.bus.read32(st_off)?;
            if regmap::STATUS_DONE.get(s) == 1 {
                break s;
            }
            polls += 1;
            if polls >= max_polls {
                return Err(DeviceError::Timeout(polls));
            }
            self.bus.pause()?;
        };
        if regmap::STATUS_BUS_ERROR.get(status) == 1 {
            return Err(DeviceError::BusError);
        }
        let e = self.bus.read32(regmap::offset("error")?)?;
        let index = self.bus.read32(regmap::offset("error_index")?)?;
        let halt = match backends::rtl::status(regmap::ERROR_CLASS.get(e) as u64, index as u64) {
            Ok(backends::Status::Done) => Halt::Done,
            Ok(backends::Status::Error { class, index }) => Halt::Error { class, index },
            Err(m) => return Err(DeviceError::Status(m)),
        };
        Ok(RunStatus {
            halt,
            cycles: self.bus.read64(counter_offset(Event::Cycles))?,
            bus_cycles: self.bus.read64(regmap::offset("bus_cycles")?)?,
        })
    }

    fn counters(&mut self) -> Result<Vec<(Event, u64)>, DeviceError> {
        let mut v = Vec::with_capacity(Event::ALL.len());
        for e in Event::ALL {
            v.push((*e, self.bus.read64(counter_offset(*e))?));
        }
        Ok(v)
    }

    fn read_dram(&mut self, addr: u64, len: u64) -> Result<Vec<u8>, DeviceError> {
        self.check(addr, len)?;
        self.bus.mem_read(addr, len)
    }
}

/// The simulated board: the Verilator model of the wrapped RTL.
pub struct SimBus {
    sim: AxiSim,
    base: u64,
    bytes: u64,
    /// AXI cycles simulated per [`RegisterBus::pause`].
    pub pause_cycles: u64,
}

impl SimBus {
    /// Start the model for `cfg` with a DRAM buffer of `bytes` bytes at AXI address `base`.
    pub fn new(
        cfg: &AccelConfig,
        timing: Timing,
        base: u64,
        bytes: u64,
    ) -> Result<Self, DeviceError> {
        Ok(SimBus {
            sim: AxiSim::start(cfg, timing)?,
            base,
            bytes,
            pause_cycles: 200,
        })
    }
    /// The harness (protocol statistics, error regions).
    pub fn sim(&mut self) -> &mut AxiSim {
        &mut self.sim
    }
}

impl RegisterBus for SimBus {
    fn read32(&mut self, off: u32) -> Result<u32, DeviceError> {
        Ok(self.sim.reg_read(off)?)
    }
    fn write32(&mut self, off: u32, v: u32) -> Result<(), DeviceError> {
        Ok(self.sim.reg_write(off, v)?)
    }
    fn mem_write(&mut self, off: u64, bytes: &[u8]) -> Result<(), DeviceError> {
        Ok(self.sim.mem_write(self.base + off, bytes)?)
    }
    fn mem_read(&mut self, off: u64, len: u64) -> Result<Vec<u8>, DeviceError> {
        Ok(self.sim.mem_read(self.base + off, len)?)
    }
    fn buffer_base(&self) -> u64 {
        self.base
    }
    fn buffer_bytes(&self) -> u64 {
        self.bytes
    }
    fn pause(&mut self) -> Result<(), DeviceError> {
        Ok(self.sim.tick(self.pause_cycles)?)
    }
}

/// One `mmap`ed region.
struct Mapping {
    ptr: *mut u8,
    len: usize,
}

impl Mapping {
    fn new(path: &str, offset: u64, len: usize) -> Result<Self, DeviceError> {
        use std::os::unix::fs::OpenOptionsExt;
        use std::os::unix::io::AsRawFd;
        let os = |what: String| move |source| DeviceError::Os { what, source };
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_SYNC)
            .open(path)
            .map_err(os(format!("open {path}")))?;
        // SAFETY: mapping a device file; the pointer is used only through volatile accesses within `len`.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                f.as_raw_fd(),
                offset as libc::off_t,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(DeviceError::Os {
                what: format!("mmap {path} at {offset:#x}, {len:#x} bytes"),
                source: std::io::Error::last_os_error(),
            });
        }
        Ok(Mapping {
            ptr: ptr as *mut u8,
            len,
        })
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly what `new` mapped.
        unsafe {
            libc::munmap(self.ptr as *mut libc::c_void, self.len);
        }
    }
}

/// The real board: registers and a physically contiguous DRAM buffer, memory-mapped.
pub struct MmioBus {
    regs: Mapping,
    buf: Mapping,
    buf_phys: u64,
}

impl MmioBus {
    /// Map the registers (`reg_path` = `/dev/mem` with `reg_phys` = the address Vivado assigned to
    /// `dn/s_axi`, or `/dev/uioN` with `reg_phys` = 0) and the DRAM buffer (`buf_path` = `/dev/mem`
    /// or a u-dma-buf device, mapped from `buf_map_offset`; `buf_phys` = its physical address).
    pub fn open(
        reg_path: &str,
        reg_phys: u64,
        buf_path: &str,
        buf_map_offset: u64,
        buf_phys: u64,
        buf_bytes: usize,
    ) -> Result<Self, DeviceError> {
        Ok(MmioBus {
            regs: Mapping::new(reg_path, reg_phys, regmap::window_bytes() as usize)?,
            buf: Mapping::new(buf_path, buf_map_offset, buf_bytes)?,
            buf_phys,
        })
    }
    fn range(&self, off: u64, len: u64) -> Result<(), DeviceError> {
        if off.saturating_add(len) > self.buf.len as u64 {
            return Err(DeviceError::OutOfBuffer {
                addr: off,
                end: off.saturating_add(len),
                size: self.buf.len as u64,
            });
        }
        Ok(())
    }
}

impl RegisterBus for MmioBus {
    fn read32(&mut self, off: u32) -> Result<u32, DeviceError> {
        if off as usize + 4 > self.regs.len {
            return Err(DeviceError::State("register offset outside the window"));
        }
        // SAFETY: in bounds (checked), 4-byte aligned register offsets.
        Ok(unsafe { std::ptr::read_volatile(self.regs.ptr.add(off as usize) as *const u32) })
    }
    fn write32(&mut self, off: u32, v: u32) -> Result<(), DeviceError> {
        if off as usize + 4 > self.regs.len {
            return Err(DeviceError::State("register offset outside the window"));
        }
        // SAFETY: as above.
        unsafe { std::ptr::write_volatile(self.regs.ptr.add(off as usize) as *mut u32, v) };
        Ok(())
    }
    fn mem_write(&mut self, off: u64, bytes: &[u8]) -> Result<(), DeviceError> {
        self.range(off, bytes.len() as u64)?;
        for (i, b) in bytes.iter().enumerate() {
            // SAFETY: in bounds (checked); volatile so the writes reach the (uncached) buffer.
            unsafe { std::ptr::write_volatile(self.buf.ptr.add(off as usize + i), *b) };
        }
        Ok(())
    }
    fn mem_read(&mut self, off: u64, len: u64) -> Result<Vec<u8>, DeviceError> {
        self.range(off, len)?;
        // SAFETY: in bounds (checked).
        Ok((0..len as usize)
            .map(|i| unsafe { std::ptr::read_volatile(self.buf.ptr.add(off as usize + i)) })
            .collect())
    }
    fn buffer_base(&self) -> u64 {
        self.buf_phys
    }
    fn buffer_bytes(&self) -> u64 {
        self.buf.len as u64
    }
    fn pause(&mut self) -> Result<(), DeviceError> {
        std::thread::sleep(std::time::Duration::from_micros(50));
        Ok(())
    }
}
