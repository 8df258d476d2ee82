//! `diannao sweep`: a design-space sweep over Tn and SB sizes.

use anyhow::{bail, Result};

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
    /// Output directory for sweep.csv, sweep.json, report.md and SVG plots (else a table on standard output); with --search: search.json, report.md and pareto.svg.
    #[arg(long, value_name = "DIR")]
    pub out: Option<std::path::PathBuf>,
    /// Search the design space instead: every combination of --tn, --sb-kb, --nbin-rows and --nbout-rows (points that do not run the model are skipped), minimising --objective; prints the best point and the Pareto front of time against energy (a plot with --out).
    #[arg(long)]
    pub search: bool,
    /// With --search: what to minimise: time, energy (accelerator with DRAM) or edp (energy x delay).
    #[arg(long, default_value = "edp", requires = "search", value_parser = clap::builder::PossibleValuesParser::new(report::search::Objective::NAMES))]
    pub objective: String,
    /// With --search: NBin sizes in rows of Tn words, comma separated (default: the base preset's rows, half and double).
    #[arg(long, value_name = "LIST", requires = "search")]
    pub nbin_rows: Option<String>,
    /// With --search: NBout sizes in rows of Tn accumulators, comma separated (default: the base preset's rows, half and double).
    #[arg(long, value_name = "LIST", requires = "search")]
    pub nbout_rows: Option<String>,
}

/// `diannao sweep --search`.
fn search(a: &SweepArgs) -> Result<()> {
    let base = runtime::configs::resolve(&a.preset)?;
    let model = runtime::models::load_model(&a.model)?;
    let table = sim::EnergyTable::named(&a.energy_table)?;
    let u32s = |flag: &str, v: &str| -> Result<Vec<u32>> {
        super::parse_list(flag, v)?
            .into_iter()
            .map(|x| u32::try_from(x).map_err(|_| anyhow::anyhow!("{flag}: {x} is too large")))
            .collect()
    };
    let around = |rows: u32| format!("{},{},{}", (rows / 2).max(1), rows, rows * 2);
    let space = report::search::Space {
        tn: u32s("--tn", &a.tn)?,
        sb_kb: u32s("--sb-kb", &a.sb_kb)?,
        nbin_rows: u32s(
            "--nbin-rows",
            &a.nbin_rows
                .clone()
                .unwrap_or_else(|| around(base.nbin_rows())),
        )?,
        nbout_rows: u32s(
            "--nbout-rows",
            &a.nbout_rows
                .clone()
                .unwrap_or_else(|| around(base.nbout_rows())),
        )?,
    };
    let objective = report::search::Objective::by_name(&a.objective)
        .ok_or_else(|| anyhow::anyhow!("--objective: unknown objective {}", a.objective))?;
    let out = a.out.as_deref().map(report::OutDir::prepare).transpose()?;
    let n = space.tn.len() * space.sb_kb.len() * space.nbin_rows.len() * space.nbout_rows.len();
    eprintln!(
        "searching {n} points of {} at batch {}",
        model.name, a.batch
    );
    let r = report::search::search(&base, &model, a.batch, &table, &space, objective)?;
    match out {
        None => print!("{}", report::search::markdown(&r)),
        Some(o) => {
            let d = report::search::write(o, &r)?;
            println!("wrote {}", d.display());
        }
    }
    Ok(())
}

/// `diannao sweep`.
pub fn run(a: SweepArgs) -> Result<()> {
    if a.batch == 0 {
        bail!("--batch must be at least 1");
    }
    if a.search {
        return search(&a);
    }
    let tns = super::parse_list("--tn", &a.tn)?;
    let sbs = super::parse_list("--sb-kb", &a.sb_kb)?;
    let base = runtime::configs::resolve(&a.preset)?;
    let model = runtime::models::load_model(&a.model)?;
    let table = sim::EnergyTable::named(&a.energy_table)?;
    let cfgs = report::sweep::configs(&base, &tns, &sbs)?;
    let out = a.out.as_deref().map(report::OutDir::prepare).transpose()?;
    let points = report::sweep::sweep(&cfgs, &model, a.batch, &table, &|p| {
        eprintln!(
            "{}: {} cycles, utilisation {:.3}",
            p.config, p.cycles, p.utilisation
        )
    })?;
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
