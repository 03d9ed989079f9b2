//! `alertsift store info`: what the store holds.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;

use super::{require_store, Global};
use alertsift::store::Store;

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Rows per source and time range of what the store holds.
    Info {
        /// The store directory.
        #[arg(long, value_name = "DIR", default_value = "alertsift-data")]
        store: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// Run it.
pub fn run(command: StoreCommand, _g: &Global) -> Result<ExitCode> {
    let StoreCommand::Info { store, json } = command;
    require_store(&store)?;
    let info = Store::open(&store)?.info()?;
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &info)?;
        writeln!(out)?;
    } else {
        for (name, t) in [
            ("alerts", &info.alerts),
            ("incidents", &info.incidents),
            ("schedule shifts", &info.schedules),
        ] {
            writeln!(
                out,
                "{name}: {} rows, {} to {}",
                t.rows,
                t.first.as_deref().unwrap_or("-"),
                t.last.as_deref().unwrap_or("-")
            )?;
            for (source, n) in &t.per_source {
                writeln!(out, "  {source:<20} {n:>10}")?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
