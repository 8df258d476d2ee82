//! Renderings of `diannao hdl report` and `hdl parts`: a Yosys resource
//! estimate against a part, as a table with a verdict or as JSON, and the
//! part table.

use hdl::flow::parts::{self, Part};
use hdl::flow::synth::{self, Resources, SynthOptions, SynthReport, Usage};
use hdl::flow::timing::{self, ClockVerdict};

/// `n` with thousands separators (`11,145`).
fn th(n: u64) -> String {
    let s = n.to_string();
    let (first, rest) = s.split_at((s.len() - 1) % 3 + 1);
    let mut out = first.to_string();
    for group in rest.as_bytes().chunks(3) {
        out.push(',');
        out.push_str(std::str::from_utf8(group).unwrap_or_default());
    }
    out
}

fn pct(used: f64, available: f64) -> f64 {
    if used == 0.0 {
        0.0
    } else if available == 0.0 {
        f64::INFINITY
    } else {
        100.0 * used / available
    }
}

/// The five reported resources of `r` against `part`: (name, used, available), block RAM in
/// RAMB36E2 equivalents.
fn columns(r: &Resources, part: &Part) -> [(&'static str, f64, f64); 5] {
    [
        ("LUT", r.luts() as f64, part.luts as f64),
        ("FF", r.ff as f64, part.ffs as f64),
        ("DSP48E2", r.dsp48e2 as f64, part.dsp48e2 as f64),
        ("RAMB36E2-eq.", r.ramb36_equiv(), part.ramb36e2 as f64),
        ("URAM288", r.uram288 as f64, part.uram288 as f64),
    ]
}

fn fmt_used(v: f64) -> String {
    if v.fract() == 0.0 {
        th(v as u64)
    } else {
        format!("{}.5", th(v.trunc() as u64))
    }
}

/// Cell types on a path by kind: LUT1..LUT6 as `LUT`, MUXF7/8/9 as `MUXF`.
fn path_kinds(t: &timing::Timing) -> Vec<(String, usize)> {
    let mut v: Vec<(String, usize)> = Vec::new();
    for (c, n) in t.level_counts() {
        let k = if c.starts_with("LUT") {
            "LUT".to_string()
        } else if c.starts_with("MUXF") {
            "MUXF".to_string()
        } else {
            c
        };
        match v.iter_mut().find(|(x, _)| *x == k) {
            Some(e) => e.1 += n,
            None => v.push((k, n)),
        }
    }
    v
}

fn kept_line(opts: &SynthOptions) -> String {
    if !opts.flatten {
        "hierarchy kept (no -flatten)".to_string()
    } else if opts.keep.is_empty() {
        "flat".to_string()
    } else {
        format!(
            "flattened except the block modules {}",
            opts.keep.join(", ")
        )
    }
}

/// The report as a table (per block group and in total, with the part's capacity and
/// utilisation), a fit verdict, the critical-path estimate beside the preset's clock, and the
/// caveats. `clock_mhz` is the preset's clock.
pub fn report_text(
    what: &str,
    part: &Part,
    rep: &SynthReport,
    opts: &SynthOptions,
    version: &str,
    clock_mhz: f64,
) -> String {
    let r = &rep.total;
    let u = synth::utilisation(r, part);
    let mut s = format!(
        "Resource estimate: {what} on {} ({}, {})\nTool: {version}; `{}`, {}\n\n{:<10}",
        part.device,
        part.board,
        part.part_number,
        opts.synth_command(),
        kept_line(opts),
        "block"
    );
    for (name, _, _) in columns(r, part) {
        s += &format!(" {:>17}", name);
    }
    s += "\n";
    let row = |label: &str, x: &Resources| {
        let mut l = format!("{label:<10}");
        for (_, used, avail) in columns(x, part) {
            l += &format!(" {:>9} {:>6.1} %", fmt_used(used), pct(used, avail));
        }
        l + "\n"
    };
    for (g, x) in &rep.groups {
        s += &row(g.name(), x);
    }
    s += &row("total", r);
    s += &format!("{:<10}", "available");
    for (_, _, avail) in columns(r, part) {
        s += &format!(" {:>9}        ", fmt_used(avail));
    }
    s = s.trim_end().to_string() + "\n";
    s += &format!(
        "\nLUT = logic + memory/SRL in LUT equivalents (total {} + {}); RAMB36E2-eq. = RAMB36E2 + RAMB18E2 / 2 (total {} + {} / 2); carry cells (CARRY4/8) {}.\n",
        th(r.lut_logic),
        th(r.lut_mem),
        th(r.ramb36e2),
        th(r.ramb18e2),
        th(r.carry)
    );
    s += "Blocks (table in hdl/src/flow/synth.rs; each module with everything below it that no other block claims):\n";
    for (g, _) in &rep.groups {
        let parts: Vec<String> = rep
            .blocks
            .iter()
            .filter(|(_, bg, _)| bg == g)
            .map(|(m, _, c)| format!("{m}: {c}"))
            .collect();
        s += &format!("  {:<8} {}\n", g.name(), parts.join("; "));
    }
    let over: Vec<&Usage> = u.iter().filter(|x| !x.fits()).collect();
    if over.is_empty() {
        s += &format!("Verdict: fits on {} (estimate)\n", part.device);
    } else {
        let names: Vec<&str> = over.iter().map(|x| x.resource).collect();
        s += &format!(
            "Verdict: does NOT fit on {}: {} over capacity\n",
            part.device,
            names.join(", ")
        );
    }
    let t = &rep.timing;
    let kinds: Vec<String> = path_kinds(t)
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    s += &format!(
        "\nTiming estimate ({}): critical path {:.2} ns, estimated fmax {:.1} MHz; {} logic levels ({})\n  from {}\n  to   {}\n",
        t.model.name,
        t.critical_ns,
        t.fmax_mhz(),
        t.levels(),
        kinds.join(", "),
        t.start,
        t.end
    );
    if !rep.group_timing.is_empty() {
        let per: Vec<String> = rep
            .group_timing
            .iter()
            .map(|(g, e)| {
                format!(
                    "  {:<8} {:>6.2} ns ({:>4.0} MHz): from {} to {}\n",
                    g.name(),
                    e.ns,
                    1000.0 / e.ns,
                    e.from,
                    e.net
                )
            })
            .collect();
        s += &format!("Longest path ending in each block:\n{}", per.concat());
    }
    let c = timing::check_clock(t, clock_mhz);
    s += &format!("Preset clock: {}\n", c.sentence(t));
    if part.part_number.contains("-2lv") {
        s += &format!(
            "  ({} is a -2LV part: at VCCINT = 0.72 V, DS925's DSP48 FMAX without pipeline registers is 323 MHz \
             and the BUFG FMAX 725 MHz, against the 410 and 775 MHz at 0.85 V this model uses.)\n",
            part.device
        );
    }
    s += &format!(
        "Method: {}\nNote: {}\nCapacities: {}.\n",
        timing::METHOD,
        synth::ESTIMATE_NOTE,
        part.source
    );
    s
}

fn resources_json(r: &Resources, part: &Part) -> serde_json::Value {
    let cols: serde_json::Map<String, serde_json::Value> = columns(r, part)
        .iter()
        .map(|(n, used, avail)| {
            let p = pct(*used, *avail);
            (
                n.to_string(),
                serde_json::json!({"used": used, "available": avail,
                    "percent": if p.is_finite() { serde_json::json!(p) } else { serde_json::Value::Null }}),
            )
        })
        .collect();
    serde_json::json!({
        "lut": r.luts(), "lut_logic": r.lut_logic, "lut_memory": r.lut_mem, "ff": r.ff, "carry": r.carry,
        "dsp48e2": r.dsp48e2, "ramb18e2": r.ramb18e2, "ramb36e2": r.ramb36e2, "ramb36e2_equiv": r.ramb36_equiv(),
        "uram288": r.uram288, "utilisation": cols,
        "cells": r.cells.iter().map(|(k, v)| (k.clone(), serde_json::json!(v))).collect::<serde_json::Map<_, _>>(),
    })
}

/// The report as JSON: the whole design (as before: `utilisation`, `fits`, counts, `cells`),
/// `groups` (per block group, same fields), `timing` and `clock` (the preset's clock checked
/// against the estimate).
pub fn report_json(
    what: &str,
    part: &Part,
    rep: &SynthReport,
    opts: &SynthOptions,
    version: &str,
    clock_mhz: f64,
) -> String {
    let r = &rep.total;
    let u = synth::utilisation(r, part);
    let rows: Vec<serde_json::Value> = u
        .iter()
        .map(|x| serde_json::json!({"resource": x.resource, "used": x.used, "available": x.available,
            "percent": if x.percent().is_finite() { serde_json::json!(x.percent()) } else { serde_json::Value::Null }, "fits": x.fits()}))
        .collect();
    let cells: serde_json::Map<String, serde_json::Value> = r
        .cells
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::json!(v)))
        .collect();
    let groups: Vec<serde_json::Value> = rep
        .groups
        .iter()
        .map(|(g, x)| {
            let mut v = resources_json(x, part);
            v["group"] = serde_json::json!(g.name());
            v["modules"] = serde_json::json!(rep
                .blocks
                .iter()
                .filter(|(_, bg, _)| bg == g)
                .map(|(m, _, _)| m.clone())
                .collect::<Vec<_>>());
            v
        })
        .collect();
    let t = &rep.timing;
    let c = timing::check_clock(t, clock_mhz);
    let v = serde_json::json!({
        "design": what,
        "part": {"device": part.device, "board": part.board, "part_number": part.part_number, "source": part.source},
        "tool": version,
        "script": opts.synth_command(),
        "kept_modules": opts.keep,
        "utilisation": rows,
        "lut_logic": r.lut_logic, "lut_memory": r.lut_mem, "ff": r.ff, "carry": r.carry, "dsp48e2": r.dsp48e2,
        "ramb18e2": r.ramb18e2, "ramb36e2": r.ramb36e2, "uram288": r.uram288,
        "cells": cells,
        "fits": synth::fits(&u),
        "groups": groups,
        "total": resources_json(r, part),
        "timing": {
            "model": t.model.name,
            "method": timing::METHOD,
            "critical_ns": t.critical_ns,
            "fmax_mhz": t.fmax_mhz(),
            "levels": t.levels(),
            "path_cells": path_kinds(t).iter().map(|(k, n)| (k.clone(), serde_json::json!(n))).collect::<serde_json::Map<_, _>>(),
            "start": t.start,
            "end": t.end,
            "groups": rep.group_timing.iter().map(|(g, e)| serde_json::json!({
                "group": g.name(), "critical_ns": e.ns, "fmax_mhz": 1000.0 / e.ns, "end_cell": e.cell, "end": e.net, "start": e.from,
            })).collect::<Vec<_>>(),
        },
        "clock": {
            "clock_mhz": clock_mhz,
            "period_ns": c.period_ns,
            "slack_ns": c.slack_ns,
            "verdict": match c.verdict {
                ClockVerdict::Plausible => "plausible",
                ClockVerdict::TooFast => "not plausible",
                ClockVerdict::AboveClockTree => "above the clock tree FMAX",
            },
            "sentence": c.sentence(t),
        },
        "note": synth::ESTIMATE_NOTE,
    });
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

/// The known FPGA parts as a table.
pub fn parts_table() -> String {
    let mut s = format!(
        "{:<9} {:<22} {:<22} {:>10} {:>10} {:>8} {:>9} {:>8}\n",
        "device", "board", "part number", "LUT", "FF", "DSP48E2", "RAMB36E2", "URAM288"
    );
    for p in parts::PARTS {
        s += &format!(
            "{:<9} {:<22} {:<22} {:>10} {:>10} {:>8} {:>9} {:>8}\n",
            p.device, p.board, p.part_number, p.luts, p.ffs, p.dsp48e2, p.ramb36e2, p.uram288
        );
    }
    s
}

/// The known FPGA parts as JSON.
pub fn parts_json() -> String {
    let v: Vec<serde_json::Value> = parts::PARTS
        .iter()
        .map(|p| serde_json::json!({"device": p.device, "board": p.board, "part_number": p.part_number, "aliases": p.aliases,
            "luts": p.luts, "ffs": p.ffs, "dsp48e2": p.dsp48e2, "ramb36e2": p.ramb36e2, "ramb18e2": p.ramb18e2(), "uram288": p.uram288, "source": p.source}))
        .collect();
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdl::flow::synth::{group_resources, parse_stat_modules, Layout};
    use hdl::flow::timing::{Endpoint, PathStep, Timing, ULTRASCALE_PLUS_2};

    fn report() -> SynthReport {
        let stat = parse_stat_modules(include_str!("../../hdl/tests/fixtures/stat_tiny_kv260.txt"))
            .unwrap();
        let blocks = Layout::Wrapped.blocks("top");
        let lut = |ns| PathStep {
            cell_type: "LUT6".into(),
            ns,
            net: "x".into(),
        };
        let timing = Timing {
            critical_ns: 12.5,
            start: "a (FDRE)".into(),
            end: "b (FDRE)".into(),
            start_ns: 0.1,
            end_ns: 0.4,
            path: vec![lut(0.45), lut(0.45)],
            model: ULTRASCALE_PLUS_2,
            endpoints: [
                ("core.nfu.<internal>", "core.nfu.nfu3.d[1]", 12.5),
                ("core.cp.pcr.q", "core.cp.pcr.d[2]", 6.0),
                ("m_axi_awaddr[3]", "m_axi_awaddr[3]", 2.0),
            ]
            .map(|(c, n, ns)| Endpoint {
                cell: c.into(),
                net: n.into(),
                from: "s (FDRE)".into(),
                ns,
            })
            .to_vec(),
        };
        SynthReport {
            groups: group_resources(&stat, &blocks).unwrap(),
            total: stat.total,
            group_timing: hdl::flow::synth::group_timing(&timing, &blocks, "top"),
            blocks,
            timing,
        }
    }

    #[test]
    fn thousands() {
        assert_eq!(th(0), "0");
        assert_eq!(th(999), "999");
        assert_eq!(th(1000), "1,000");
        assert_eq!(th(117_120), "117,120");
        assert_eq!(th(1_234_567), "1,234,567");
    }

    #[test]
    fn text_report_has_every_group_the_total_and_the_clock_verdict() {
        let part = parts::lookup("kv260").unwrap();
        let opts = SynthOptions::report("top", Layout::Wrapped);
        let t = report_text("tiny", part, &report(), &opts, "Yosys 0.23", 100.0);
        let row = |name: &str| {
            t.lines()
                .find(|l| l.starts_with(&format!("{name} ")))
                .unwrap_or_else(|| panic!("no row {name}: {t}"))
                .to_string()
        };
        assert!(row("NFU").contains("    28    2.2 %"), "{}", row("NFU"));
        assert!(
            row("control").contains("     9    6.2 %"),
            "{}",
            row("control")
        );
        assert!(row("total").starts_with("total         11,691   10.0 %     6,914    3.0 %"));
        assert!(row("available").contains("117,120"));
        assert!(t.contains(
            "flattened except the block modules top$core, top$core$nfu, top$core$buffers"
        ));
        assert!(
            t.contains("critical path 12.50 ns, estimated fmax 80.0 MHz; 2 logic levels (2 LUT)")
        );
        assert!(t.contains("Preset clock: clock_mhz = 100 MHz (period 10.00 ns)"));
        assert!(
            t.contains(
                "Longest path ending in each block:\n  NFU       12.50 ns (  80 MHz): from s (FDRE) to core.nfu.nfu3.d[1]\n  \
                 control    6.00 ns ( 167 MHz): from s (FDRE) to core.cp.pcr.d[2]\n  \
                 AXI        2.00 ns ( 500 MHz): from s (FDRE) to m_axi_awaddr[3]\n"
            ),
            "{t}"
        );
        assert!(t.contains("NOT plausible"));
        assert!(t.contains("Method: static timing analysis"));
        let ok = report_text("tiny", part, &report(), &opts, "Yosys 0.23", 50.0);
        assert!(ok.contains("slack +7.50 ns): plausible"), "{ok}");
        let far = report_text("diannao", part, &report(), &opts, "Yosys 0.23", 980.0);
        assert!(far.contains("NOT reachable: above the global clock tree's FMAX (775 MHz)"));
        let j: serde_json::Value = serde_json::from_str(&report_json(
            "tiny",
            part,
            &report(),
            &opts,
            "Yosys 0.23",
            100.0,
        ))
        .unwrap();
        assert_eq!(j["clock"]["verdict"], "not plausible");
        assert_eq!(j["groups"].as_array().unwrap().len(), 4);
        assert_eq!(j["total"]["lut"], 11_691);
    }
}
