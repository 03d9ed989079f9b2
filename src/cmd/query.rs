//! `alertsift query`: SQL over a run's tables and the store.

use std::path::PathBuf;
use std::process::ExitCode;

use std::io::Write;

use anyhow::{Context, Result};
use clap::Args;

use super::Global;

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The SQL statement, e.g. "SELECT template, count(*) AS n FROM alerts
    /// GROUP BY template ORDER BY n DESC LIMIT 10".
    #[arg(required_unless_present = "schema")]
    sql: Option<String>,
    /// The output directory of a `run` whose tables to query.
    #[arg(long, value_name = "DIR", default_value = "alertsift-out")]
    out: PathBuf,
    /// Also query this store, as tables store_alerts and store_incidents.
    /// [default: none]
    #[arg(long, value_name = "DIR")]
    store: Option<PathBuf>,
    /// Write the whole result to FILE instead of printing it; the format is
    /// the extension: .csv, .json (an array of objects) or .parquet.
    /// [default: print a table on standard output]
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// List the tables with their columns and types, and exit.
    #[arg(long)]
    schema: bool,
    /// Rows to print; the middle of a longer result is elided (--output
    /// writes every row).
    #[arg(long, value_name = "N", default_value_t = 50)]
    max_rows: usize,
}

/// Run it.
pub fn run(args: QueryArgs, _g: &Global) -> Result<ExitCode> {
    let args = &args;
    use alertsift::query::{self, OutputFormat, Tables};
    // Checked before the query runs, so a typo costs nothing.
    let format = args.output.as_deref().map(OutputFormat::of).transpose()?;
    // polars reads its table layout from the environment: set it before
    // any polars work starts a thread that could read it.
    if args.output.is_none() {
        for (key, value) in [
            ("POLARS_FMT_MAX_ROWS", args.max_rows.to_string()),
            ("POLARS_FMT_MAX_COLS", "-1".to_string()),
            ("POLARS_FMT_STR_LEN", "80".to_string()),
            (
                "POLARS_FMT_TABLE_HIDE_DATAFRAME_SHAPE_INFORMATION",
                "1".to_string(),
            ),
        ] {
            if std::env::var_os(key).is_none() {
                std::env::set_var(key, value);
            }
        }
    }
    let mut tables = Tables::open(&args.out, args.store.as_deref())?;
    let mut out = std::io::stdout().lock();
    if args.schema {
        for (name, cols) in tables.schema()? {
            writeln!(out, "{name}")?;
            for (col, dtype) in cols {
                writeln!(out, "  {col:<24} {dtype}")?;
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let sql = args.sql.as_deref().unwrap_or_default();
    let df = tables.run(sql)?;
    match (&args.output, format) {
        (Some(path), Some(format)) => {
            query::write(&df, path, format)
                .with_context(|| format!("writing {}", path.display()))?;
        }
        _ => {
            writeln!(out, "{df}")?;
            writeln!(out, "{} rows", df.height())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
