//! UltraScale+ parts (and the boards that carry them) with their resource
//! capacities, for the fit verdict of a synthesis report.
//!
//! Figures are from the vendor product tables:
//! * XCZU7EV, XCZU9EG: *Zynq UltraScale+ MPSoC Product Selection Guide* (AMD/Xilinx XMP104),
//!   "Zynq UltraScale+ EG/EV" device tables;
//! * XCK26: *Kria K26 SOM Data Sheet* (DS987), "Programmable logic" table
//!   (the same fabric as the XCZU5EV);
//! * XCU250: *Alveo U200 and U250 Data Center Accelerator Cards Data Sheet* (DS962),
//!   card resources table (the device is a Virtex UltraScale+ VU13P-class part,
//!   *Virtex UltraScale+ FPGA Product Selection Guide*, XMP103).

use thiserror::Error;

/// Resource capacity of one part. Counts are primitives of the UltraScale+
/// family (CLB LUT6, CLB flip-flop, DSP48E2, RAMB36E2 tile, URAM288).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// Device name as the vendor spells it, e.g. `XCZU7EV`.
    pub device: &'static str,
    /// Full part number of the board's device (package, speed grade), e.g. `xczu7ev-ffvc1156-2-e`.
    pub part_number: &'static str,
    /// Board or card carrying the part, e.g. `ZCU104`.
    pub board: &'static str,
    /// Other names accepted by [`lookup`] (lower case).
    pub aliases: &'static [&'static str],
    /// CLB LUTs (LUT6).
    pub luts: u64,
    /// CLB flip-flops.
    pub ffs: u64,
    /// DSP48E2 slices.
    pub dsp48e2: u64,
    /// RAMB36E2 tiles (each splits into two RAMB18E2).
    pub ramb36e2: u64,
    /// URAM288 blocks (0 when the part has no UltraRAM).
    pub uram288: u64,
    /// The product table the figures come from.
    pub source: &'static str,
}

impl Part {
    /// RAMB18E2 capacity: two per RAMB36E2 tile.
    pub fn ramb18e2(&self) -> u64 {
        2 * self.ramb36e2
    }
}

/// The known parts.
pub const PARTS: &[Part] = &[
    Part {
        device: "XCZU7EV",
        part_number: "xczu7ev-ffvc1156-2-e",
        board: "ZCU104",
        aliases: &["xczu7ev", "zu7ev", "zcu104"],
        luts: 230_400,
        ffs: 460_800,
        dsp48e2: 1_728,
        ramb36e2: 312,
        uram288: 96,
        source: "Zynq UltraScale+ MPSoC Product Selection Guide (XMP104)",
    },
    Part {
        device: "XCK26",
        part_number: "xck26-sfvc784-2lv-c",
        board: "KV260 (Kria K26 SOM)",
        aliases: &["xck26", "k26", "kv260"],
        luts: 117_120,
        ffs: 234_240,
        dsp48e2: 1_248,
        ramb36e2: 144,
        uram288: 64,
        source: "Kria K26 SOM Data Sheet (DS987)",
    },
    Part {
        device: "XCZU9EG",
        part_number: "xczu9eg-ffvb1156-2-e",
        board: "ZCU102",
        aliases: &["xczu9eg", "zu9eg", "zcu102"],
        luts: 274_080,
        ffs: 548_160,
        dsp48e2: 2_520,
        ramb36e2: 912,
        uram288: 0,
        source: "Zynq UltraScale+ MPSoC Product Selection Guide (XMP104)",
    },
    Part {
        device: "XCU250",
        part_number: "xcu250-figd2104-2l-e",
        board: "Alveo U250",
        aliases: &["xcu250", "u250", "alveo-u250", "alveo_u250"],
        luts: 1_728_000,
        ffs: 3_456_000,
        dsp48e2: 12_288,
        ramb36e2: 2_688,
        uram288: 1_280,
        source: "Alveo U200 and U250 Data Center Accelerator Cards Data Sheet (DS962)",
    },
];

/// Unknown part name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown part `{name}` (known: {known})")]
pub struct UnknownPart {
    /// The name asked for.
    pub name: String,
    /// The accepted names, comma-separated.
    pub known: String,
}

/// Find a part by device name, board name, alias or full part number
/// (case-insensitive; a part number such as `xczu7ev-ffvc1156-2-e` or
/// `xczu7ev-ffvc1156-1-i` matches its device by the text before the first `-`).
pub fn lookup(name: &str) -> Result<&'static Part, UnknownPart> {
    let n = name.trim().to_ascii_lowercase();
    let device = n.split('-').next().unwrap_or("");
    PARTS
        .iter()
        .find(|p| {
            p.aliases.contains(&n.as_str())
                || p.part_number == n
                || (n.contains('-') && p.aliases.contains(&device))
        })
        .ok_or_else(|| UnknownPart {
            name: name.to_string(),
            known: PARTS
                .iter()
                .map(|p| p.aliases.join("|"))
                .collect::<Vec<_>>()
                .join(", "),
        })
}
