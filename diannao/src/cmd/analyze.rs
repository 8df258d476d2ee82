//! `diannao analyze`: parameter memory and inter-layer data of models.

use anyhow::Result;
use firmware::Model;

/// Arguments of `diannao analyze`.
#[derive(Debug, Clone, clap::Args)]
pub struct AnalyzeArgs {
    /// Built-in model name or model file; repeatable.
    #[arg(long = "model", value_name = "NAME|FILE", required = true)]
    pub models: Vec<String>,
    /// Batch sizes, comma separated.
    #[arg(long, default_value = "16,32,64,128,256")]
    pub batch: String,
    /// Print JSON instead of Markdown.
    #[arg(long)]
    pub json: bool,
    /// Write to this file (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
}

/// `diannao analyze`.
pub fn run(a: AnalyzeArgs) -> Result<()> {
    let batches = super::parse_list("--batch", &a.batch)?;
    let models: Vec<Model> = a
        .models
        .iter()
        .map(|m| runtime::models::load_model(m))
        .collect::<Result<_, _>>()?;
    let all: Vec<report::analyze::Analysis> = models
        .iter()
        .map(|m| report::analyze::analyze(m, &batches))
        .collect();
    let text = if a.json {
        serde_json::to_string_pretty(&all)? + "\n"
    } else {
        report::analyze::markdown(&all)
    };
    match a.output {
        Some(p) => Ok(runtime::atomic::write(&p, text.as_bytes())?),
        None => {
            use std::io::Write;
            let mut o = std::io::stdout().lock();
            match o.write_all(text.as_bytes()).and_then(|_| o.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => Ok(r?),
            }
        }
    }
}
