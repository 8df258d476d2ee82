//! The AXI4-Lite register map of the wrapped accelerator, defined once: the
//! slave (`hdl::axi::lite`), the docs ([`markdown`]) and the host driver
//! (`host::device`) all read [`REGISTERS`].
//!
//! Every register is 32 bits wide at a 4-byte-aligned byte offset. Every
//! event counter of [`crate::events::Event::ALL`] is implemented, 64 bits
//! wide: counter i's low word sits at [`COUNTER_BASE`] + [`COUNTER_BYTES`] × i
//! ([`counter_offset`]), its high word 4 bytes above ([`counter_hi_offset`]).
//! `bus_cycles` is 64 bits too (`bus_cycles`, `bus_cycles_hi`).
//!
//! **64-bit read sequence:** reading a low word (`bus_cycles` or a counter's
//! low word) latches the value's high word in the slave in the same read;
//! reading any high word returns the word latched by the last low-word read.
//! So read the low word, then the high word of the same value: the pair is
//! one snapshot even while the core runs.

use crate::events::{Event, NUM_EVENTS};
use crate::AccelConfig;

/// How software may access a register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Read only.
    Ro,
    /// Read and write.
    Rw,
    /// Write only (reads return 0); writing 1 to a bit triggers its action.
    Wo,
}

/// One bit field of a register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// Name.
    pub name: &'static str,
    /// Lowest bit.
    pub lsb: u32,
    /// Width, bits.
    pub bits: u32,
    /// Meaning.
    pub doc: &'static str,
}

impl Field {
    /// Extract this field from a register value.
    pub fn get(&self, v: u32) -> u32 {
        let m = if self.bits >= 32 {
            u32::MAX
        } else {
            (1u32 << self.bits) - 1
        };
        (v >> self.lsb) & m
    }
    /// `v` placed in this field.
    pub fn put(&self, v: u32) -> u32 {
        let m = if self.bits >= 32 {
            u32::MAX
        } else {
            (1u32 << self.bits) - 1
        };
        (v & m) << self.lsb
    }
}

/// One register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Register {
    /// Name (lower case, as in the docs and the host driver).
    pub name: &'static str,
    /// Byte offset from the slave's base address.
    pub offset: u32,
    /// Access.
    pub access: Access,
    /// Bit fields (empty: the whole 32-bit value).
    pub fields: &'static [Field],
    /// Meaning.
    pub doc: &'static str,
}

/// `ctrl.start`: write 1 to load the program and run (ignored while busy).
pub const CTRL_START: Field = Field {
    name: "start",
    lsb: 0,
    bits: 1,
    doc: "write 1: clear the core and run it; it fetches its `prog_len` instructions from `prog_base` itself (ignored while busy)",
};
/// `status.busy`.
pub const STATUS_BUSY: Field = Field {
    name: "busy",
    lsb: 0,
    bits: 1,
    doc: "1 from `start` until the core halts",
};
/// `status.done`.
pub const STATUS_DONE: Field = Field {
    name: "done",
    lsb: 1,
    bits: 1,
    doc: "1 after the core halted (until the next `start`); also the `irq` output",
};
/// `status.bus_error`.
pub const STATUS_BUS_ERROR: Field = Field {
    name: "bus_error",
    lsb: 2,
    bits: 1,
    doc: "sticky until the next `start`: an AXI read or write response was SLVERR or DECERR",
};
/// `error.class`.
pub const ERROR_CLASS: Field = Field {
    name: "class",
    lsb: 0,
    bits: 3,
    doc: "0 none, 1 decode, 2 range, 3 no_end, 4 fetch (docs/microarchitecture.md, Errors)",
};

/// Magic value of the `id` register (ASCII "DNAO").
pub const ID_MAGIC: u32 = 0x444E_414F;

/// Byte offset of the first event counter.
pub const COUNTER_BASE: u32 = 0x100;

/// Bytes of one event counter in the register window (a 64-bit counter: low word, then high word).
pub const COUNTER_BYTES: u32 = 8;

/// Byte distance from a 64-bit value's low word to its high word.
pub const HI_WORD: u32 = 4;

/// The register table (counters excluded: see [`counter_offset`]).
pub const REGISTERS: &[Register] = &[
    Register { name: "ctrl", offset: 0x00, access: Access::Wo, fields: &[CTRL_START], doc: "control" },
    Register {
        name: "status",
        offset: 0x04,
        access: Access::Ro,
        fields: &[STATUS_BUSY, STATUS_DONE, STATUS_BUS_ERROR],
        doc: "run state",
    },
    Register {
        name: "error",
        offset: 0x08,
        access: Access::Ro,
        fields: &[ERROR_CLASS],
        doc: "halt status of the last run (valid when `status.done`)",
    },
    Register {
        name: "prog_base",
        offset: 0x0C,
        access: Access::Rw,
        fields: &[],
        doc: "core DRAM byte address of the program (instruction i at prog_base + i * INSTR_BYTES, fetched by the core; odd or outside DRAM: error `fetch`)",
    },
    Register {
        name: "prog_len",
        offset: 0x10,
        access: Access::Rw,
        fields: &[],
        doc: "program length, instructions (any length that fits in DRAM)",
    },
    Register {
        name: "dram_base",
        offset: 0x14,
        access: Access::Rw,
        fields: &[],
        doc: "AXI byte address of the core's DRAM address 0 (added modulo 2^32 to every core address)",
    },
    Register {
        name: "preset_hash",
        offset: 0x18,
        access: Access::Ro,
        fields: &[],
        doc: "hash of the AccelConfig the hardware was built for (`preset_hash`); the host refuses a mismatch",
    },
    Register { name: "id", offset: 0x1C, access: Access::Ro, fields: &[], doc: "constant 0x444E414F (\"DNAO\")" },
    Register {
        name: "bus_cycles",
        offset: 0x20,
        access: Access::Ro,
        fields: &[],
        doc: "AXI clock cycles from `start` to `status.done`, bits 31:0 (reading it latches bits 63:32 for `bus_cycles_hi`); the core's own `cycles` counter excludes the cycles it was held for the bus, see `held_cycles`",
    },
    Register {
        name: "bus_cycles_hi",
        offset: 0x24,
        access: Access::Ro,
        fields: &[],
        doc: "bits 63:32 of the 64-bit value whose low word was read last (`bus_cycles`, or a counter's low word)",
    },
    Register {
        name: "error_index",
        offset: 0x28,
        access: Access::Ro,
        fields: &[],
        doc: "index of the failing instruction of the last run (valid when `error.class` is not 0)",
    },
    Register {
        name: "held_cycles",
        offset: 0x2C,
        access: Access::Ro,
        fields: &[],
        doc: "AXI clock cycles of the last run in which the core was held because read data was late (0 when the bus met `dram.latency_cycles`; `bus_cycles` - `cycles` - `held_cycles` is the start and write-drain overhead)",
    },
    Register {
        name: "lfsr_seed",
        offset: 0x30,
        access: Access::Rw,
        fields: &[],
        doc: "stochastic-rounding seed: every `start` loads lane n's LFSR with `Lfsr::lane_seed(lfsr_seed, n)` (docs/microarchitecture.md, NFU-3); holds the preset's `lfsr_seed` after reset",
    },
];

/// Errors of register-map look-ups.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RegMapError {
    /// No register of that name.
    #[error("no register named `{0}`")]
    NoRegister(String),
}

/// The register named `name`.
pub fn register(name: &str) -> Result<&'static Register, RegMapError> {
    REGISTERS
        .iter()
        .find(|r| r.name == name)
        .ok_or_else(|| RegMapError::NoRegister(name.to_string()))
}

/// Byte offset of the register named `name`.
pub fn offset(name: &str) -> Result<u32, RegMapError> {
    register(name).map(|r| r.offset)
}

/// Byte offset of event counter `e`'s low word (bits 31:0; reading it
/// latches bits 63:32, read next at [`counter_hi_offset`]).
pub fn counter_offset(e: Event) -> u32 {
    COUNTER_BASE + COUNTER_BYTES * e as u32
}

/// Byte offset of event counter `e`'s high word (bits 63:32, as latched by
/// the last low-word read).
pub fn counter_hi_offset(e: Event) -> u32 {
    counter_offset(e) + HI_WORD
}

/// One past the last byte of the counters.
pub fn counters_end() -> u32 {
    COUNTER_BASE + COUNTER_BYTES * NUM_EVENTS as u32
}

/// Bytes of the register window (a power of two covering every register and counter).
pub fn window_bytes() -> u32 {
    counters_end().next_power_of_two()
}

/// A canonical text of the configuration fields that the hardware depends on
/// (the name and notes are excluded).
pub fn preset_text(cfg: &AccelConfig) -> String {
    format!(
        "tn={};nbin={};sb={};nbout={};data={};frac={};acc={};bpc={};lat={};size={};d1={};d2={};d3={};imem={};q={};seed={:#x}",
        cfg.tn,
        cfg.nbin_bytes,
        cfg.sb_bytes,
        cfg.nbout_bytes,
        cfg.data_bits,
        cfg.frac_bits,
        cfg.acc_bits,
        cfg.dram.bytes_per_cycle,
        cfg.dram.latency_cycles,
        cfg.dram.size_bytes,
        cfg.pipeline.nfu1,
        cfg.pipeline.nfu2,
        cfg.pipeline.nfu3,
        cfg.imem_depth,
        cfg.queue_depth,
        cfg.lfsr_seed
    )
}

/// 32-bit FNV-1a hash of [`preset_text`]: the `preset_hash` register's value.
pub fn preset_hash(cfg: &AccelConfig) -> u32 {
    let mut h: u32 = 0x811C_9DC5;
    for b in preset_text(cfg).bytes() {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// The register map as a Markdown table (for docs/boards.md).
pub fn markdown() -> String {
    let acc = |a: Access| match a {
        Access::Ro => "RO",
        Access::Rw => "RW",
        Access::Wo => "WO",
    };
    let mut s =
        String::from("| offset | name | access | fields | meaning |\n|---|---|---|---|---|\n");
    for r in REGISTERS {
        let f: Vec<String> = r
            .fields
            .iter()
            .map(|f| {
                if f.bits == 1 {
                    format!("`{}` [{}]: {}", f.name, f.lsb, f.doc)
                } else {
                    format!("`{}` [{}:{}]: {}", f.name, f.lsb + f.bits - 1, f.lsb, f.doc)
                }
            })
            .collect();
        s += &format!(
            "| {:#05x} | `{}` | {} | {} | {} |\n",
            r.offset,
            r.name,
            acc(r.access),
            f.join("; "),
            r.doc
        );
    }
    for e in Event::ALL {
        s += &format!(
            "| {:#05x} | `{}` | RO | | event counter {}, bits 31:0 (reading latches bits 63:32) |\n",
            counter_offset(*e),
            e.name(),
            *e as usize,
        );
        s += &format!(
            "| {:#05x} | `{}` high | RO | | event counter {}, bits 63:32 (latched by the last low-word read) |\n",
            counter_hi_offset(*e),
            e.name(),
            *e as usize,
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_unique_aligned_and_below_the_counters() {
        let mut seen = std::collections::BTreeSet::new();
        for r in REGISTERS {
            assert_eq!(r.offset % 4, 0, "{}", r.name);
            assert!(r.offset < COUNTER_BASE, "{}", r.name);
            assert!(seen.insert(r.offset), "{}", r.name);
        }
        assert!(window_bytes() >= counters_end());
        // every counter's two words are distinct, aligned and inside the window
        let mut words = std::collections::BTreeSet::new();
        for e in Event::ALL {
            for o in [counter_offset(*e), counter_hi_offset(*e)] {
                assert_eq!(o % 4, 0, "{}", e.name());
                assert!(o >= COUNTER_BASE && o < counters_end(), "{}", e.name());
                assert!(words.insert(o), "{}", e.name());
            }
        }
        assert_eq!(words.len(), 2 * NUM_EVENTS);
    }

    #[test]
    fn presets_hash_differently() {
        let t = preset_hash(&AccelConfig::tiny());
        let d = preset_hash(&AccelConfig::diannao());
        assert_ne!(t, d);
        let mut c = AccelConfig::tiny();
        c.name = "renamed".into();
        assert_eq!(preset_hash(&c), t, "the name does not matter");
        c.tn = 8;
        assert_ne!(preset_hash(&c), t);
    }

    #[test]
    fn fields_round_trip() {
        assert_eq!(STATUS_DONE.get(STATUS_DONE.put(1) | ERROR_CLASS.put(4)), 1);
        assert_eq!(
            ERROR_CLASS.get(ERROR_CLASS.put(4) | STATUS_BUS_ERROR.put(1) << 8),
            4
        );
        assert!(markdown().contains("`preset_hash`"));
    }
}
