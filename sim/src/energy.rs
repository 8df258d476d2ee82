//! Energy model: per-event energies (tables stored as data in
//! `sim/energy/*.toml`, each naming its source) times event counts.
//!
//! * `nfu`: `macs` x mult16 + `nfu2_ops` x add16 + `nfu3_ops` x (mult16 + add16)
//!   (NFU-3 is one multiply and one add per value);
//! * `nbin`, `sb`, `nbout`: row reads and writes, each costing the table's
//!   64-bit SRAM read energy for the buffer's size, scaled by the row width
//!   (NBin Tn*16 bits, SB Tn*Tn*16, NBout Tn*32) / 64; writes times
//!   `sram_write_factor`;
//! * `dram`: (`dram_read_bytes` + `dram_write_bytes`) x 8 / 64 x the 64-bit DRAM access energy.

use crate::error::SimError;
use arch::events::{Counters, Event};
use arch::AccelConfig;
use serde::{Deserialize, Serialize};

/// Names of the built-in tables.
pub const TABLE_NAMES: &[&str] = &["horowitz45", "dnnsim"];

const TABLE_TEXTS: &[(&str, &str)] = &[
    ("horowitz45", include_str!("../energy/horowitz45.toml")),
    ("dnnsim", include_str!("../energy/dnnsim.toml")),
];

/// One per-event energy table (all energies in pJ).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnergyTable {
    /// Table name.
    pub name: String,
    /// Where the figures come from.
    pub source: String,
    /// One 16-bit multiply, pJ.
    pub mult16_pj: f64,
    /// One 16-bit add, pJ.
    pub add16_pj: f64,
    /// (SRAM size in KiB, 64-bit read energy in pJ) points, ascending size.
    pub sram_read64_pj: Vec<[f64; 2]>,
    /// Row-write energy as a multiple of the row-read energy.
    pub sram_write_factor: f64,
    /// One 64-bit DRAM access, pJ.
    pub dram_access64_pj: f64,
}

impl EnergyTable {
    /// A built-in table by name.
    pub fn named(name: &str) -> Result<Self, SimError> {
        let text = TABLE_TEXTS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
            .ok_or_else(|| SimError::UnknownEnergyTable {
                name: name.into(),
                known: TABLE_NAMES.join(", "),
            })?;
        Self::from_toml_str(text, name)
    }

    /// Parse a table from TOML (`what` names it in errors).
    pub fn from_toml_str(text: &str, what: &str) -> Result<Self, SimError> {
        let t: EnergyTable = toml::from_str(text).map_err(|e| SimError::EnergyTable {
            name: what.into(),
            reason: e
                .to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        })?;
        if t.sram_read64_pj.is_empty() || t.sram_read64_pj.windows(2).any(|w| w[0][0] >= w[1][0]) {
            return Err(SimError::EnergyTable {
                name: what.into(),
                reason: "sram_read64_pj needs ascending sizes".into(),
            });
        }
        Ok(t)
    }

    /// 64-bit read energy (pJ) of an SRAM of `bytes` bytes: interpolated in
    /// log2(size) between the table's points, clamped at the ends.
    pub fn sram_read64(&self, bytes: u64) -> f64 {
        let kib = bytes as f64 / 1024.0;
        let p = &self.sram_read64_pj;
        if kib <= p[0][0] {
            return p[0][1];
        }
        for w in p.windows(2) {
            if kib <= w[1][0] {
                let f = (kib.log2() - w[0][0].log2()) / (w[1][0].log2() - w[0][0].log2());
                return w[0][1] + f * (w[1][1] - w[0][1]);
            }
        }
        p[p.len() - 1][1]
    }
}

/// Energy of a run, per unit, in pJ.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnergyReport {
    /// Table used.
    pub table: String,
    /// NFU-1/2/3 arithmetic, pJ.
    pub nfu_pj: f64,
    /// NBin reads and writes, pJ.
    pub nbin_pj: f64,
    /// SB reads and writes, pJ.
    pub sb_pj: f64,
    /// NBout reads and writes, pJ.
    pub nbout_pj: f64,
    /// External memory traffic, pJ.
    pub dram_pj: f64,
    /// Sum, pJ.
    pub total_pj: f64,
}

impl EnergyReport {
    /// (unit, pJ) pairs: nfu, nbin, sb, nbout, dram.
    pub fn per_unit(&self) -> [(&'static str, f64); 5] {
        [
            ("nfu", self.nfu_pj),
            ("nbin", self.nbin_pj),
            ("sb", self.sb_pj),
            ("nbout", self.nbout_pj),
            ("dram", self.dram_pj),
        ]
    }
}

/// The energy of the events in `c` on machine `cfg` with `table`.
pub fn energy(table: &EnergyTable, c: &Counters, cfg: &AccelConfig) -> EnergyReport {
    let g = |e: Event| c.get(e) as f64;
    let tn = cfg.tn as f64;
    let data = cfg.data_bits as f64;
    let acc = cfg.acc_bits as f64;
    let nfu_pj = g(Event::Macs) * table.mult16_pj
        + g(Event::Nfu2Ops) * table.add16_pj
        + g(Event::Nfu3Ops) * (table.mult16_pj + table.add16_pj);
    let sram = |bytes: u32, row_bits: f64, reads: Event, writes: Event| {
        let e = table.sram_read64(bytes as u64) * row_bits / 64.0;
        e * (g(reads) + table.sram_write_factor * g(writes))
    };
    let nbin_pj = sram(
        cfg.nbin_bytes,
        tn * data,
        Event::NbinReads,
        Event::NbinWrites,
    );
    let sb_pj = sram(
        cfg.sb_bytes,
        tn * tn * data,
        Event::SbReads,
        Event::SbWrites,
    );
    let nbout_pj = sram(
        cfg.nbout_bytes,
        tn * acc,
        Event::NboutReads,
        Event::NboutWrites,
    );
    let dram_pj =
        (g(Event::DramReadBytes) + g(Event::DramWriteBytes)) * 8.0 / 64.0 * table.dram_access64_pj;
    EnergyReport {
        table: table.name.clone(),
        nfu_pj,
        nbin_pj,
        sb_pj,
        nbout_pj,
        dram_pj,
        total_pj: nfu_pj + nbin_pj + sb_pj + nbout_pj + dram_pj,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_load_and_scale() {
        for n in TABLE_NAMES {
            let t = EnergyTable::named(n).unwrap();
            assert_eq!(t.name, *n);
            assert!(!t.source.is_empty());
        }
        assert!(EnergyTable::named("nope").is_err());
        let t = EnergyTable::named("horowitz45").unwrap();
        assert_eq!(t.sram_read64(8 * 1024), 10.0);
        assert_eq!(t.sram_read64(2 * 1024), 10.0);
        assert!((t.sram_read64(16 * 1024) - 15.0).abs() < 1e-9);
        let cfg = AccelConfig::diannao();
        let mut c = Counters::new();
        c.add(Event::Macs, 256);
        c.add(Event::SbReads, 1);
        c.add(Event::DramReadBytes, 8);
        let r = energy(&t, &c, &cfg);
        assert_eq!(r.nfu_pj, 256.0);
        // one 4096-bit SB row of a 32 KB SRAM: 64 x 20 pJ
        assert_eq!(r.sb_pj, 64.0 * 20.0);
        assert_eq!(r.dram_pj, 1950.0);
        assert_eq!(r.total_pj, 256.0 + 1280.0 + 1950.0);
    }
}
