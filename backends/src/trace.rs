//! Cycle-by-cycle trace comparison: the simulator's VCD (contract section
//! "VCD signal names", `sim::vcd::SIGNALS`) against the RTL's signals sampled
//! during the rust-hdl simulation ([`crate::RtlBackend::run_traced`]).

use crate::rtl_backend::TraceRow;
use crate::Vector;
use sim::vcd::SIGNALS;
use std::io::BufReader;

/// Run `v` on the simulator with a VCD trace and return one row per cycle
/// `0..T` (T = the halt cycle), in `sim::vcd::SIGNALS` order.
pub fn sim_trace(v: &Vector) -> Result<Vec<TraceRow>, String> {
    let file = tempfile::NamedTempFile::new().map_err(|e| format!("temp file: {e}"))?;
    let mut m = sim::Machine::new(v.cfg.clone()).map_err(|e| e.to_string())?;
    let w = file.reopen().map_err(|e| e.to_string())?;
    m.set_vcd(Some(Box::new(std::io::BufWriter::new(w))));
    let mut dram = sim::Dram::new(v.cfg.dram.size_bytes);
    for (a, b) in &v.image {
        dram.write(*a, b).map_err(|e| e.to_string())?;
    }
    let cycles = match m.run_words(&v.program, &mut dram) {
        Ok(s) => s.cycles,
        Err(sim::SimError::Halted { cycle, .. }) => cycle,
        Err(e) => return Err(e.to_string()),
    };
    drop(m);
    let r = BufReader::new(file.reopen().map_err(|e| e.to_string())?);
    parse_vcd(r, cycles)
}

/// Parse a VCD with the contract's signal names into rows for cycles `0..cycles`.
pub fn parse_vcd(r: impl std::io::BufRead, cycles: u64) -> Result<Vec<TraceRow>, String> {
    let mut p = vcd::Parser::new(r);
    let h = p.parse_header().map_err(|e| format!("VCD header: {e}"))?;
    let mut ids = Vec::new();
    for (block, name, _) in SIGNALS {
        let var = h
            .find_var(&["top", block, name])
            .ok_or_else(|| format!("VCD has no top.{block}.{name}"))?;
        ids.push(var.code);
    }
    let mut rows: Vec<TraceRow> = Vec::new();
    let mut cur: TraceRow = [0; 8];
    let mut t = 0u64;
    let fill = |rows: &mut Vec<TraceRow>, cur: &TraceRow, upto: u64| {
        while (rows.len() as u64) < upto.min(cycles) {
            rows.push(*cur);
        }
    };
    for c in p {
        match c.map_err(|e| format!("VCD: {e}"))? {
            vcd::Command::Timestamp(n) => {
                fill(&mut rows, &cur, n);
                t = n;
            }
            vcd::Command::ChangeScalar(id, v) => {
                if let Some(k) = ids.iter().position(|x| *x == id) {
                    cur[k] = (v == vcd::Value::V1) as u64;
                }
            }
            vcd::Command::ChangeVector(id, v) => {
                if let Some(k) = ids.iter().position(|x| *x == id) {
                    cur[k] = v
                        .iter()
                        .fold(0u64, |a, b| (a << 1) | (b == vcd::Value::V1) as u64);
                }
            }
            _ => {}
        }
    }
    let _ = t;
    fill(&mut rows, &cur, cycles);
    Ok(rows)
}

/// The first cycle where `a` and `b` differ on one of `signals` (indices into
/// `sim::vcd::SIGNALS`): (cycle, signal name `block.name`, a's value, b's value).
/// A length difference is reported at the shorter trace's end as signal `length`.
pub fn first_difference(
    a: &[TraceRow],
    b: &[TraceRow],
    signals: &[usize],
) -> Option<(u64, String, u64, u64)> {
    for (t, (x, y)) in a.iter().zip(b).enumerate() {
        for &k in signals {
            if x[k] != y[k] {
                return Some((
                    t as u64,
                    format!("{}.{}", SIGNALS[k].0, SIGNALS[k].1),
                    x[k],
                    y[k],
                ));
            }
        }
    }
    if a.len() != b.len() {
        return Some((
            a.len().min(b.len()) as u64,
            "length".into(),
            a.len() as u64,
            b.len() as u64,
        ));
    }
    None
}
