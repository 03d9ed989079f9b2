//! `alertsift ingest`: merge exports into the store.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use super::{exit_for, prepare, print_inputs, show_paths, warn_rejects};
use super::{Global, InputArgs, Prepared};
use alertsift::pipeline;
use alertsift::store::Store;

#[derive(Debug, Args)]
pub struct IngestArgs {
    #[command(flatten)]
    input: InputArgs,

    /// The store directory.
    #[arg(long, value_name = "DIR", default_value = "alertsift-data")]
    store: PathBuf,
}

/// Run it.
pub fn run(args: IngestArgs, g: &Global) -> Result<ExitCode> {
    if args.input.inputs.is_empty() {
        anyhow::bail!("nothing to ingest: name at least one export file or directory");
    }
    let Prepared {
        inputs,
        config,
        options,
        ..
    } = prepare(&args.input, None, g)?;
    let store = Store::open(&args.store)?;
    let outcome = pipeline::ingest_into(&store, &inputs.files, &config, &options)
        .with_context(|| format!("ingesting {}", show_paths(&args.input.inputs)))?;
    if !g.quiet {
        print_inputs(&outcome.inputs, &inputs.skipped);
        let a = outcome.stats.alerts;
        let i = outcome.stats.incidents;
        eprintln!(
            "store {}: alerts {} new, {} updated, {} unchanged ({} duplicate records in the inputs) -> {} rows; \
             incidents {} new, {} updated -> {} rows",
            args.store.display(),
            a.inserted,
            a.updated,
            a.unchanged,
            a.duplicates_in_batch,
            a.after,
            i.inserted,
            i.updated,
            i.after
        );
        let sh = outcome.stats.schedules;
        if sh.batch > 0 {
            eprintln!(
                "  schedule shifts {} new, {} updated -> {} rows",
                sh.inserted, sh.updated, sh.after
            );
        }
        warn_rejects(outcome.rejected, &outcome.rejects_path);
    }
    Ok(exit_for(args.input.strict, outcome.rejected))
}
