//! `alertsift explain`: why one alert of a run got its label.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use super::{load_config, Global};

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The alert's id (as in alerts.parquet's alert_id).
    alert_id: String,
    /// The output directory of a `run`.
    #[arg(long, value_name = "DIR", default_value = "alertsift-out")]
    out: PathBuf,
}

/// Run it.
pub fn run(args: ExplainArgs, g: &Global) -> Result<ExitCode> {
    let config = load_config(g.config.as_deref(), None, true)?;
    let path = args.out.join("alerts.parquet");
    if !path.exists() {
        anyhow::bail!(
            "{} does not exist: run `alertsift run ... --out {}` first",
            path.display(),
            args.out.display()
        );
    }
    match alertsift::report::explain::explain_file(&path, &args.alert_id, &config)
        .with_context(|| format!("reading {}", path.display()))?
    {
        Some(text) => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            Ok(ExitCode::SUCCESS)
        }
        None => anyhow::bail!("no alert {:?} in {}", args.alert_id, path.display()),
    }
}
