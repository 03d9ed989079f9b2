//! `alertsift templates`: mine templates from any text.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use super::{load_config, Global};
use alertsift::pipeline;

#[derive(Debug, Args)]
pub struct TemplatesArgs {
    /// The text file, or CSV file with --column.
    file: PathBuf,
    /// Read this column of a CSV file with a header. [default: every line
    /// of the file is a record]
    #[arg(long, value_name = "NAME")]
    column: Option<String>,
    /// Write the CSV here. [default: standard output]
    #[arg(long, value_name = "FILE.csv")]
    out: Option<PathBuf>,
}

/// Run it.
pub fn run(args: TemplatesArgs, g: &Global) -> Result<ExitCode> {
    let config = load_config(g.config.as_deref(), None, true)?;
    let outcome = match &args.out {
        Some(path) => {
            let mut f = std::io::BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("creating {}", path.display()))?,
            );
            let o = pipeline::templates(&args.file, args.column.as_deref(), &config, &mut f)?;
            f.flush()
                .with_context(|| format!("writing {}", path.display()))?;
            o
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            pipeline::templates(&args.file, args.column.as_deref(), &config, &mut out)?
        }
    };
    if !g.quiet {
        eprintln!(
            "{} records, {} templates",
            outcome.records, outcome.templates
        );
    }
    Ok(ExitCode::SUCCESS)
}
