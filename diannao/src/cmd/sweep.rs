//! `diannao sweep`: a design-space sweep over Tn and SB sizes.

use anyhow::{bail, Result};
use rayon::prelude::*;

/// Arguments of `diannao sweep`.
#[derive(Debug, Clone, clap::Args)]
pub struct SweepArgs {
    /// Built-in model name or model file.
    #[arg(long, value_name = "NAME|FILE", default_value = "alexnet")]
    pub model: String,
    /// Base preset (everything but Tn and the buffer sizes).
    #[arg(long, value_name = "NAME|FILE", default_value = "diannao")]
    pub preset: String,
    /// NFU widths, comma separated (powers of two).
    #[arg(long, default_value = "8,16,32")]
    pub tn: String,
    /// SB sizes in KiB, comma separated.
    #[arg(long = "sb-kb", default_value = "16,32,64,128")]
    pub sb_kb: String,
    /// Images per run.
    #[arg(long, default_value_t = 1)]
    pub batch: u32,
    /// Accelerator energy table.
    #[arg(long, default_value = "horowitz45")]
    pub energy_table: String,
    /// Output directory for sweep.csv, sweep.json, report.md and SVG plots (else a table on standard output).
    #[arg(long, value_name = "DIR")]
    pub out: Option<std::path::PathBuf>,
}

/// `diannao sweep`.
pub fn run(a: SweepArgs) -> Result<()> {
    if a.batch == 0 {
        bail!("--batch must be at least 1");
    }
    let tns = super::parse_list("--tn", &a.tn)?;
    let sbs = super::parse_list("--sb-kb", &a.sb_kb)?;
    let base = runtime::configs::resolve(&a.preset)?;
    let model = runtime::models::load_model(&a.model)?;
    let table = sim::EnergyTable::named(&a.energy_table)?;
    let cfgs = report::sweep::configs(&base, &tns, &sbs)?;
    let out = a.out.as_deref().map(report::OutDir::prepare).transpose()?;
    // every layer must compile for every config before any simulation
    for c in &cfgs {
        report::compare::compile_all(c, &model, a.batch)
            .map_err(|e| anyhow::anyhow!("config {}: {e}", c.name))?;
    }
    let points: Vec<report::sweep::SweepPoint> = cfgs
        .par_iter()
        .map(|c| {
            let p = report::sweep::run_point(c, &model, a.batch, &table);
            if let Ok(p) = &p {
                eprintln!(
                    "{}: {} cycles, utilisation {:.3}",
                    p.config, p.cycles, p.utilisation
                );
            }
            p
        })
        .collect::<Result<_, _>>()?;
    let md = report::sweep::markdown(&model.name, &base, a.batch, &table, &points);
    match out {
        None => print!("{md}"),
        Some(o) => {
            let d = report::sweep::write(o, &model.name, a.batch, &md, &points)?;
            println!("wrote {}", d.display());
        }
    }
    Ok(())
}
