//! Renderings of `diannao hdl report` and `hdl parts`: a Yosys resource
//! estimate against a part, as a table with a verdict or as JSON, and the
//! part table.

use hdl::flow::parts::{self, Part};
use hdl::flow::synth::{self, Resources, SynthOptions, Usage};

fn script_line(opts: &SynthOptions) -> String {
    opts.script("top.v")
        .lines()
        .nth(1)
        .unwrap_or("")
        .to_string()
}

/// The report as a table with a verdict and the estimate caveat.
pub fn report_text(
    what: &str,
    part: &Part,
    r: &Resources,
    opts: &SynthOptions,
    version: &str,
) -> String {
    let u = synth::utilisation(r, part);
    let mut s = format!(
        "Resource estimate: {what} on {} ({}, {})\nTool: {version}; `{}`\n\n{:<26} {:>10} {:>10} {:>8}\n",
        part.device, part.board, part.part_number, script_line(opts), "resource", "used", "available", "util"
    );
    for x in &u {
        s += &format!(
            "{:<26} {:>10} {:>10} {:>7.1}%\n",
            x.resource,
            x.used,
            x.available,
            x.percent()
        );
    }
    s += &format!(
        "\nLUT = {} logic + {} memory/SRL; RAMB18E2 {} + RAMB36E2 {}; carry cells (CARRY4/8) {}\n",
        r.lut_logic, r.lut_mem, r.ramb18e2, r.ramb36e2, r.carry
    );
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
    s += &format!(
        "Note: {}\nCapacities: {}.\n",
        synth::ESTIMATE_NOTE,
        part.source
    );
    s
}

/// The report as JSON.
pub fn report_json(
    what: &str,
    part: &Part,
    r: &Resources,
    opts: &SynthOptions,
    version: &str,
) -> String {
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
    let v = serde_json::json!({
        "design": what,
        "part": {"device": part.device, "board": part.board, "part_number": part.part_number, "source": part.source},
        "tool": version,
        "script": script_line(opts),
        "utilisation": rows,
        "lut_logic": r.lut_logic, "lut_memory": r.lut_mem, "ff": r.ff, "carry": r.carry, "dsp48e2": r.dsp48e2,
        "ramb18e2": r.ramb18e2, "ramb36e2": r.ramb36e2, "uram288": r.uram288,
        "cells": cells,
        "fits": synth::fits(&u),
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
