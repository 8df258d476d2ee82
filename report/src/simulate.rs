//! Renderings of a `simulate` report ([`runtime::simulate::SimReport`]):
//! an aligned table, CSV (one row per layer, then a `total` row) and JSON.

use runtime::run::RunError;
use runtime::simulate::{simulate, SimReport, SimulateOptions};
use sim::EnergyReport;

/// The report as pretty JSON (with a final newline).
pub fn json(r: &SimReport) -> Result<String, RunError> {
    let mut s = serde_json::to_string_pretty(r).map_err(|e| RunError::Io(e.into()))?;
    s.push('\n');
    Ok(s)
}

fn shape(s: &[u32; 3]) -> String {
    format!("{}x{}x{}", s[0], s[1], s[2])
}

const CSV_HEADER: &str = "layer,type,input,output,cycles,useful_macs,utilisation,dram_read_bytes,dram_write_bytes,\
energy_nfu_pj,energy_nbin_pj,energy_sb_pj,energy_nbout_pj,energy_dram_pj,energy_total_pj,time_s,saturations,energy_table";

fn csv_energy(e: &EnergyReport) -> String {
    e.per_unit()
        .iter()
        .map(|(_, v)| format!("{v:.1}"))
        .chain([format!("{:.1}", e.total_pj)])
        .collect::<Vec<_>>()
        .join(",")
}

/// The report as CSV: a header, one row per layer, then a `total` row.
pub fn csv(r: &SimReport) -> String {
    let mut s = String::from(CSV_HEADER);
    s.push('\n');
    for l in &r.layers {
        let f = &l.figures;
        s += &format!(
            "{},{},{},{},{},{},{:.6},{},{},{},{:.9e},{},{}\n",
            l.name,
            l.kind,
            shape(&l.input),
            shape(&l.output),
            f.cycles,
            f.useful_macs,
            f.utilisation,
            f.dram_read_bytes,
            f.dram_write_bytes,
            csv_energy(&f.energy),
            f.seconds,
            f.saturations,
            r.energy_table
        );
    }
    let t = &r.total;
    s += &format!(
        "total,,,,{},{},{:.6},{},{},{},{:.9e},{},{}\n",
        t.cycles,
        t.useful_macs,
        t.utilisation,
        t.dram_read_bytes,
        t.dram_write_bytes,
        csv_energy(&t.energy),
        t.seconds,
        t.saturations,
        r.energy_table
    );
    s
}

/// Right-align columns (the first two left-aligned).
pub(crate) fn columns(rows: &[Vec<String>]) -> String {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let w: Vec<usize> = (0..n)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(c, s)| {
                if c < 2 {
                    format!("{s:<w$}", w = w[c])
                } else {
                    format!("{s:>w$}", w = w[c])
                }
            })
            .collect();
        out += cells.join("  ").trim_end();
        out.push('\n');
    }
    out
}

fn mb(bytes: u64) -> String {
    format!("{:.3}", bytes as f64 / 1e6)
}

/// The report as a human-readable table.
pub fn table(r: &SimReport) -> String {
    let mut rows = vec![vec![
        "layer".to_string(),
        "type".into(),
        "input -> output".into(),
        "cycles".into(),
        "util %".into(),
        "DRAM rd MB".into(),
        "DRAM wr MB".into(),
        "energy uJ".into(),
        "NFU/buf/DRAM %".into(),
        "time us".into(),
        "saturations".into(),
    ]];
    let split = |e: &EnergyReport| {
        let p = |x: f64| {
            if e.total_pj > 0.0 {
                100.0 * x / e.total_pj
            } else {
                0.0
            }
        };
        format!(
            "{:.0}/{:.0}/{:.0}",
            p(e.nfu_pj),
            p(e.nbin_pj + e.sb_pj + e.nbout_pj),
            p(e.dram_pj)
        )
    };
    for l in &r.layers {
        let f = &l.figures;
        rows.push(vec![
            l.name.clone(),
            l.kind.clone(),
            format!("{} -> {}", shape(&l.input), shape(&l.output)),
            f.cycles.to_string(),
            format!("{:.1}", 100.0 * f.utilisation),
            mb(f.dram_read_bytes),
            mb(f.dram_write_bytes),
            format!("{:.2}", f.energy.total_pj / 1e6),
            split(&f.energy),
            format!("{:.2}", f.seconds * 1e6),
            f.saturations.to_string(),
        ]);
    }
    let t = &r.total;
    rows.push(vec![
        "total".into(),
        String::new(),
        String::new(),
        t.cycles.to_string(),
        format!("{:.1}", 100.0 * t.utilisation),
        mb(t.dram_read_bytes),
        mb(t.dram_write_bytes),
        format!("{:.2}", t.energy.total_pj / 1e6),
        split(&t.energy),
        format!("{:.2}", t.seconds * 1e6),
        t.saturations.to_string(),
    ]);
    let mut s = format!(
        "{} on preset {} (Tn={}, {} MHz), batch {}, seed {}, energy table {}\n",
        r.model, r.preset, r.tn, r.clock_mhz, r.batch, r.seed, r.energy_table
    );
    s += &columns(&rows);
    let e = &t.energy;
    s += &format!(
        "energy by unit (uJ): nfu {:.2}, nbin {:.2}, sb {:.2}, nbout {:.2}, dram {:.2}; util = useful MACs / (Tn*Tn*cycles), pooling window ops / (Tn*cycles); total: conv and classifier MACs / (Tn*Tn*all cycles)\nenergy table {}: {}\n",
        e.nfu_pj / 1e6,
        e.nbin_pj / 1e6,
        e.sb_pj / 1e6,
        e.nbout_pj / 1e6,
        e.dram_pj / 1e6,
        r.energy_table,
        r.energy_source
    );
    s
}

/// Each layer's tiling plan, one block per layer.
fn plans(r: &SimReport) -> String {
    r.layers
        .iter()
        .map(|l| {
            let mut s = format!("plan of {}: {}\n", l.name, l.plan);
            if let Some(e) = l.prediction_error {
                s += &format!(
                    "predicted {} cycles for the layer, simulated {} ({:+.1}%)\n",
                    l.figures.predicted_cycles,
                    l.figures.cycles,
                    100.0 * e
                );
            }
            if let Some(t) = &l.traffic_search {
                s += &format!(
                    "DRAM traffic {} bytes; the least a search of every tiling finds: {} bytes (~{} cycles predicted); this plan moves {:.2}x\n",
                    t.plan_bytes, t.least_bytes, t.least_predicted_cycles, t.ratio
                );
            }
            s
        })
        .collect()
}

/// Run `simulate` and render it as `args` asks.
pub fn command(args: &SimulateOptions) -> Result<String, RunError> {
    let r = simulate(args)?;
    if args.json {
        json(&r)
    } else if args.csv {
        Ok(csv(&r))
    } else if args.plan {
        Ok(table(&r) + &plans(&r))
    } else {
        Ok(table(&r))
    }
}
