//! The preset table (`diannao presets`) and its JSON form.
//!
//! Every figure is an `AccelConfig` method; this module only lays them out.

use arch::AccelConfig;
use serde::Serialize;

/// Figures derived from a configuration (all from `AccelConfig` methods).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Derived {
    /// NBin rows.
    pub nbin_rows: u32,
    /// SB rows.
    pub sb_rows: u32,
    /// NBout rows.
    pub nbout_rows: u32,
    /// Bytes per NBin row.
    pub nbin_row_bytes: u32,
    /// Bytes per SB row.
    pub sb_row_bytes: u32,
    /// Bytes per NBout row.
    pub nbout_row_bytes: u32,
    /// NBin + SB + NBout, bytes.
    pub onchip_bytes: u64,
    /// Peak multiply-accumulates per cycle (Tn x Tn).
    pub peak_macs_per_cycle: u64,
    /// Peak operations per cycle, counted as DianNao does (multiplications plus adder-tree additions).
    pub peak_ops_per_cycle: u64,
    /// Peak GOP/s at the configured clock (DianNao's operation count).
    pub peak_gops: f64,
    /// Memory-port bandwidth at the configured clock, GB/s (10^9 bytes per second).
    pub dram_gbytes_per_s: f64,
    /// Cycles from an output's last NFU issue to its NBout write.
    pub nfu_latency_cycles: u32,
}

/// One configuration with its derived figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// The configuration, as in a config file.
    #[serde(flatten)]
    pub config: AccelConfig,
    /// Derived figures.
    pub derived: Derived,
}

/// Memory-port bandwidth in GB/s (bytes per cycle x clock).
pub fn dram_gbytes_per_s(c: &AccelConfig) -> f64 {
    c.dram.bytes_per_cycle as f64 * c.clock_mhz / 1000.0
}

/// The derived figures of `c`.
pub fn derived(c: &AccelConfig) -> Derived {
    Derived {
        nbin_rows: c.nbin_rows(),
        sb_rows: c.sb_rows(),
        nbout_rows: c.nbout_rows(),
        nbin_row_bytes: c.nbin_row_bytes(),
        sb_row_bytes: c.sb_row_bytes(),
        nbout_row_bytes: c.nbout_row_bytes(),
        onchip_bytes: c.onchip_bytes(),
        peak_macs_per_cycle: c.peak_macs_per_cycle(),
        peak_ops_per_cycle: c.peak_ops_per_cycle(),
        peak_gops: c.peak_gops(),
        dram_gbytes_per_s: dram_gbytes_per_s(c),
        nfu_latency_cycles: c.nfu_latency(),
    }
}

/// `c` with its derived figures.
pub fn summary(c: &AccelConfig) -> Summary {
    Summary {
        config: c.clone(),
        derived: derived(c),
    }
}

/// The derived figures as short lines (used as comments in config files).
pub fn derived_lines(c: &AccelConfig) -> Vec<String> {
    let d = derived(c);
    vec![
        format!(
            "NBin {} rows x {} B, SB {} rows x {} B, NBout {} rows x {} B; on-chip {} B",
            d.nbin_rows,
            d.nbin_row_bytes,
            d.sb_rows,
            d.sb_row_bytes,
            d.nbout_rows,
            d.nbout_row_bytes,
            d.onchip_bytes
        ),
        format!(
            "peak {} MACs/cycle, {} ops/cycle (mult + adder-tree add), {:.1} GOP/s at {} MHz",
            d.peak_macs_per_cycle, d.peak_ops_per_cycle, d.peak_gops, c.clock_mhz
        ),
        format!(
            "memory port {} B/cycle = {:.1} GB/s, latency {} cycles",
            c.dram.bytes_per_cycle, d.dram_gbytes_per_s, c.dram.latency_cycles
        ),
    ]
}

fn kib(bytes: u64) -> String {
    if bytes % 1024 == 0 {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} B")
    }
}

fn size(bytes: u64) -> String {
    const G: u64 = 1 << 30;
    const M: u64 = 1 << 20;
    if bytes % G == 0 {
        format!("{} GiB", bytes / G)
    } else if bytes % M == 0 {
        format!("{} MiB", bytes / M)
    } else {
        kib(bytes)
    }
}

/// The human-readable table of `configs`, followed by each one's notes.
pub fn table(configs: &[AccelConfig]) -> String {
    let head = [
        "preset",
        "Tn",
        "NBin",
        "SB",
        "NBout",
        "on-chip",
        "clock MHz",
        "MACs/cycle",
        "ops/cycle",
        "peak GOP/s",
        "DRAM model",
    ];
    let mut rows: Vec<Vec<String>> = vec![head.iter().map(|s| s.to_string()).collect()];
    for c in configs {
        let d = derived(c);
        rows.push(vec![
            c.name.clone(),
            c.tn.to_string(),
            format!("{} ({} rows)", kib(c.nbin_bytes as u64), d.nbin_rows),
            format!("{} ({} rows)", kib(c.sb_bytes as u64), d.sb_rows),
            format!("{} ({} rows)", kib(c.nbout_bytes as u64), d.nbout_rows),
            kib(d.onchip_bytes),
            format!("{}", c.clock_mhz),
            d.peak_macs_per_cycle.to_string(),
            d.peak_ops_per_cycle.to_string(),
            format!("{:.1}", d.peak_gops),
            format!(
                "{} cyc, {} B/cyc ({:.1} GB/s), {}",
                c.dram.latency_cycles,
                c.dram.bytes_per_cycle,
                d.dram_gbytes_per_s,
                size(c.dram.size_bytes)
            ),
        ]);
    }
    let widths: Vec<usize> = (0..head.len())
        .map(|k| rows.iter().map(|r| r[k].chars().count()).max().unwrap_or(0))
        .collect();
    let mut s = String::new();
    for (i, r) in rows.iter().enumerate() {
        let cells: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(k, cell)| {
                if k == 0 || k == head.len() - 1 {
                    format!("{cell:<w$}", w = widths[k])
                } else {
                    format!("{cell:>w$}", w = widths[k])
                }
            })
            .collect();
        s.push_str(cells.join("  ").trim_end());
        s.push('\n');
        if i == 0 {
            s.push_str(
                &widths
                    .iter()
                    .map(|w| "-".repeat(*w))
                    .collect::<Vec<_>>()
                    .join("  "),
            );
            s.push('\n');
        }
    }
    s.push_str("\nops/cycle counts multiplications plus adder-tree additions, as DianNao does (Tn*Tn + Tn*(Tn-1)).\n");
    s.push_str("DRAM model: latency in cycles, memory-port bytes per cycle (bandwidth at the clock), address space.\n");
    let noted: Vec<&AccelConfig> = configs.iter().filter(|c| !c.notes.is_empty()).collect();
    if !noted.is_empty() {
        s.push_str("\nNotes:\n");
        for c in noted {
            s.push_str(&format!("  {}: {}\n", c.name, c.notes));
        }
    }
    s
}

/// The JSON form: an array of [`Summary`] objects.
pub fn json(configs: &[AccelConfig]) -> Result<String, serde_json::Error> {
    let v: Vec<Summary> = configs.iter().map(summary).collect();
    Ok(serde_json::to_string_pretty(&v)? + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diannao_figures() {
        let d = derived(&AccelConfig::diannao());
        assert_eq!(d.peak_ops_per_cycle, 496);
        assert_eq!(d.peak_macs_per_cycle, 256);
        assert_eq!(d.onchip_bytes, 36 * 1024);
    }

    #[test]
    fn table_lists_every_preset() {
        let t = table(&AccelConfig::presets());
        for c in AccelConfig::presets() {
            assert!(t.contains(&c.name));
        }
        assert!(t.contains("496"));
    }
}
