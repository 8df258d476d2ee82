//! `diannao sweep --search`: a design-space search over the NFU width Tn,
//! the three buffer sizes and the tiler's ranking, against a stated
//! objective (time, energy or energy-delay product), with the Pareto front
//! of time against energy.
//!
//! Every point is the base preset with Tn, SB bytes and the NBin and NBout
//! row counts replaced ([`search_config`]), simulated over the whole model
//! by [`crate::sweep::run_point`]. Points that are not valid configurations,
//! or on which some layer does not compile, are skipped and counted, with
//! the first reason kept for the report.

use crate::sweep::{run_point, SweepPoint};
use arch::AccelConfig;
use firmware::Model;
use serde::Serialize;

/// What the search minimises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Objective {
    /// Simulated time of the model, seconds.
    Time,
    /// Accelerator energy of the model (NFU, buffers and DRAM), pJ.
    Energy,
    /// Energy-delay product, pJ x s.
    Edp,
}

impl Objective {
    /// Names accepted by [`Objective::by_name`].
    pub const NAMES: [&'static str; 3] = ["time", "energy", "edp"];

    /// The objective called `name`.
    pub fn by_name(name: &str) -> Option<Self> {
        match name {
            "time" => Some(Objective::Time),
            "energy" => Some(Objective::Energy),
            "edp" => Some(Objective::Edp),
            _ => None,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Objective::Time => "time",
            Objective::Energy => "energy",
            Objective::Edp => "edp",
        }
    }

    /// The objective's value of `p` (lower is better): seconds, pJ or pJ x s.
    pub fn score(self, p: &SweepPoint) -> f64 {
        match self {
            Objective::Time => p.seconds,
            Objective::Energy => p.energy_pj,
            Objective::Edp => p.energy_pj * p.seconds,
        }
    }
}

/// The search space: every combination is one point.
#[derive(Clone, Debug, Serialize)]
pub struct Space {
    /// NFU widths.
    pub tn: Vec<u32>,
    /// SB sizes, KiB.
    pub sb_kb: Vec<u32>,
    /// NBin rows (of Tn words).
    pub nbin_rows: Vec<u32>,
    /// NBout rows (of Tn accumulators).
    pub nbout_rows: Vec<u32>,
}

/// One configuration of the search: `base` with Tn, SB bytes and the NBin
/// and NBout row counts replaced (buffer bytes follow from the rows and Tn).
pub fn search_config(
    base: &AccelConfig,
    tn: u32,
    sb_kb: u32,
    nbin_rows: u32,
    nbout_rows: u32,
) -> AccelConfig {
    let mut c = base.resized(tn, sb_kb.saturating_mul(1024), nbin_rows, nbout_rows);
    c.name = format!("tn{tn}-sb{sb_kb}k-in{nbin_rows}-out{nbout_rows}");
    c.notes = format!(
        "search over {}: Tn = {tn}, SB {sb_kb} KiB, NBin {nbin_rows} rows, NBout {nbout_rows} rows",
        base.name
    );
    c
}

/// A point the search could not evaluate, and why.
#[derive(Clone, Debug, Serialize)]
pub struct Skipped {
    /// Configuration name.
    pub config: String,
    /// The configuration's or the compiler's error.
    pub reason: String,
}

/// A finished search.
#[derive(Clone, Debug, Serialize)]
pub struct SearchReport {
    /// Model name.
    pub model: String,
    /// Images per run.
    pub batch: u32,
    /// The objective minimised.
    pub objective: Objective,
    /// The space searched.
    pub space: Space,
    /// Every evaluated point.
    pub points: Vec<SweepPoint>,
    /// Indices into `points` of the Pareto front of (seconds, energy),
    /// by ascending time.
    pub front: Vec<usize>,
    /// Index into `points` of the best point for the objective.
    pub best: usize,
    /// Points skipped.
    pub skipped: Vec<Skipped>,
}

/// Indices of the points that no other point dominates in (time, energy)
/// (another is at most as slow and at most as costly, and better in one),
/// by ascending time then energy.
pub fn pareto(points: &[SweepPoint]) -> Vec<usize> {
    let key = |p: &SweepPoint| (p.seconds, p.energy_pj);
    let mut front: Vec<usize> = (0..points.len())
        .filter(|&i| {
            let (t, e) = key(&points[i]);
            !points.iter().any(|q| {
                let (u, f) = key(q);
                u <= t && f <= e && (u < t || f < e)
            })
        })
        .collect();
    front.sort_by(|&a, &b| {
        key(&points[a])
            .partial_cmp(&key(&points[b]))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    front
}

/// Errors of a search.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The space has no point that runs the model.
    #[error("no point of the search space runs {model}: {} skipped (first: {first})", skipped.len())]
    Empty {
        /// Model name.
        model: String,
        /// Every skipped point.
        skipped: Vec<Skipped>,
        /// The first reason.
        first: String,
    },
}

/// Search `space` around `base` for `model` at `batch`: evaluate every
/// point (in parallel on the current rayon pool), then the front and the
/// best point for `objective` (ties: the earlier point in space order).
pub fn search(
    base: &AccelConfig,
    model: &Model,
    batch: u32,
    table: &sim::EnergyTable,
    space: &Space,
    objective: Objective,
) -> Result<SearchReport, SearchError> {
    use rayon::prelude::*;
    let mut cfgs = Vec::new();
    for &tn in &space.tn {
        for &sb in &space.sb_kb {
            for &nin in &space.nbin_rows {
                for &nout in &space.nbout_rows {
                    cfgs.push(search_config(base, tn, sb, nin, nout));
                }
            }
        }
    }
    let results: Vec<Result<SweepPoint, Skipped>> = cfgs
        .par_iter()
        .map(|c| {
            let skip = |reason: String| Skipped {
                config: c.name.clone(),
                reason,
            };
            c.validate().map_err(|e| skip(e.to_string()))?;
            run_point(c, model, batch, table).map_err(|e| skip(e.to_string()))
        })
        .collect();
    let mut points = Vec::new();
    let mut skipped = Vec::new();
    for r in results {
        match r {
            Ok(p) => points.push(p),
            Err(s) => skipped.push(s),
        }
    }
    if points.is_empty() {
        let first = skipped
            .first()
            .map(|s| format!("{}: {}", s.config, s.reason))
            .unwrap_or_else(|| "the space is empty".into());
        return Err(SearchError::Empty {
            model: model.name.clone(),
            skipped,
            first,
        });
    }
    let best = (0..points.len())
        .min_by(|&a, &b| {
            objective
                .score(&points[a])
                .partial_cmp(&objective.score(&points[b]))
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.cmp(&b))
        })
        .expect("non-empty");
    Ok(SearchReport {
        model: model.name.clone(),
        batch,
        objective,
        space: space.clone(),
        front: pareto(&points),
        best,
        points,
        skipped,
    })
}

/// The report as Markdown: the best point, the Pareto front, what was skipped.
pub fn markdown(r: &SearchReport) -> String {
    let b = &r.points[r.best];
    let mut s = format!(
        "# Design search: {} at batch {}\n\nObjective: minimise {} ({}). {} points evaluated, {} skipped. Space: Tn {:?}, SB {:?} KiB, NBin rows {:?}, NBout rows {:?}.\n\n",
        r.model,
        r.batch,
        r.objective.name(),
        match r.objective {
            Objective::Time => "simulated seconds",
            Objective::Energy => "accelerator energy with DRAM, pJ",
            Objective::Edp => "energy x delay, pJ s",
        },
        r.points.len(),
        r.skipped.len(),
        r.space.tn,
        r.space.sb_kb,
        r.space.nbin_rows,
        r.space.nbout_rows,
    );
    s += &format!(
        "Best: **{}**, {:.4} ms, {:.4} mJ, utilisation {:.3}, objective {}.\n\n",
        b.config,
        b.seconds * 1e3,
        b.energy_pj * 1e-9,
        b.utilisation,
        crate::sig(r.objective.score(b))
    );
    s += "## Pareto front (time against energy)\n\n";
    let rows: Vec<Vec<String>> = r
        .front
        .iter()
        .map(|&i| {
            let p = &r.points[i];
            vec![
                format!("{}{}", p.config, if i == r.best { " (best)" } else { "" }),
                format!("{:.4}", p.seconds * 1e3),
                format!("{:.4}", p.energy_pj * 1e-9),
                format!("{:.3}", p.utilisation),
                format!("{:.3}", p.dram_bytes as f64 / 1e6),
                crate::sig(r.objective.score(p)),
            ]
        })
        .collect();
    s += &crate::markdown_table(
        &[
            "config",
            "ms",
            "mJ",
            "utilisation",
            "DRAM MB",
            r.objective.name(),
        ],
        &rows,
    );
    if !r.skipped.is_empty() {
        s += &format!("\n{} points skipped, for example:\n\n", r.skipped.len());
        for k in r.skipped.iter().take(5) {
            s += &format!("* {}: {}\n", k.config, k.reason);
        }
    }
    s
}

/// A scatter plot (SVG) of every point's time against energy, both on log
/// axes, the Pareto front joined by a line and the best point circled.
pub fn pareto_svg(r: &SearchReport) -> Result<String, crate::ReportError> {
    use plotters::prelude::*;
    let title = format!(
        "{} batch {}: time against energy ({} points; front in red)",
        r.model,
        r.batch,
        r.points.len()
    );
    let perr = |e: String| crate::ReportError::Plot {
        name: "pareto.svg".into(),
        reason: e,
    };
    let xy: Vec<(f64, f64)> = r
        .points
        .iter()
        .map(|p| (p.seconds * 1e3, p.energy_pj * 1e-9))
        .collect();
    let bounds = |v: &mut dyn Iterator<Item = f64>| {
        let (lo, hi) = v
            .filter(|x| x.is_finite() && *x > 0.0)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                (a.min(x), b.max(x))
            });
        if lo.is_finite() {
            (lo / 1.2, hi * 1.2)
        } else {
            (0.1, 10.0)
        }
    };
    let (x0, x1) = bounds(&mut xy.iter().map(|p| p.0));
    let (y0, y1) = bounds(&mut xy.iter().map(|p| p.1));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (800, 560)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| perr(e.to_string()))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
            .map_err(|e| perr(e.to_string()))?;
        chart
            .configure_mesh()
            .x_desc("simulated time, ms (log)")
            .y_desc("energy, mJ (log)")
            .x_label_formatter(&|v| crate::sig(*v))
            .y_label_formatter(&|v| crate::sig(*v))
            .draw()
            .map_err(|e| perr(e.to_string()))?;
        chart
            .draw_series(
                xy.iter()
                    .map(|&p| Circle::new(p, 3, RGBColor(120, 120, 120).filled())),
            )
            .map_err(|e| perr(e.to_string()))?;
        chart
            .draw_series(LineSeries::new(r.front.iter().map(|&i| xy[i]), &RED))
            .map_err(|e| perr(e.to_string()))?;
        chart
            .draw_series(r.front.iter().map(|&i| Circle::new(xy[i], 4, RED.filled())))
            .map_err(|e| perr(e.to_string()))?;
        chart
            .draw_series(std::iter::once(Circle::new(
                xy[r.best],
                9,
                BLUE.stroke_width(2),
            )))
            .map_err(|e| perr(e.to_string()))?;
        root.present().map_err(|e| perr(e.to_string()))?;
    }
    Ok(svg)
}

/// Write a search's outputs into `o` (search.json, report.md, pareto.svg)
/// and commit the directory; returns its final path.
pub fn write(o: crate::OutDir, r: &SearchReport) -> Result<std::path::PathBuf, crate::ReportError> {
    o.write(
        "search.json",
        (serde_json::to_string_pretty(r)? + "\n").as_bytes(),
    )?;
    o.write("report.md", markdown(r).as_bytes())?;
    o.write("pareto.svg", pareto_svg(r)?.as_bytes())?;
    o.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(name: &str, seconds: f64, energy_pj: f64) -> SweepPoint {
        SweepPoint {
            config: name.into(),
            tn: 16,
            sb_kb: 32,
            cycles: 1,
            seconds,
            utilisation: 0.5,
            dram_bytes: 1,
            energy_pj,
            dram_energy_pj: 0.0,
            gops: 1.0,
            layers: Vec::new(),
        }
    }

    #[test]
    fn pareto_keeps_exactly_the_undominated_points() {
        let p = vec![
            point("a", 1.0, 5.0),
            point("b", 2.0, 3.0),
            point("c", 2.0, 4.0), // dominated by b
            point("d", 3.0, 1.0),
            point("e", 3.5, 1.0), // dominated by d
            point("f", 0.5, 9.0),
        ];
        assert_eq!(pareto(&p), vec![5, 0, 1, 3]);
        let edp: Vec<f64> = p.iter().map(|q| Objective::Edp.score(q)).collect();
        assert_eq!(edp, vec![5.0, 6.0, 8.0, 3.0, 3.5, 4.5]);
        assert_eq!(Objective::by_name("energy"), Some(Objective::Energy));
        assert_eq!(Objective::by_name("area"), None);
    }
}
