//! The command line: one module per command (xsv's layout), each with its
//! flags (`…Args`) and a `run` taking them and the [`Global`] options, over
//! the shared input flags and helpers here. `main` parses and dispatches.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

use alertsift::config::Config;
use alertsift::ingest::{Format, IngestOptions, InputReport};
use alertsift::pipeline::{self, Inputs};

mod config;
mod demo;
mod explain;
mod fix;
mod ingest;
mod query;
mod run;
mod store;
mod templates;
mod whatif;

/// Which of your pages were worth waking up for? Reads alert and incident
/// exports (PagerDuty, Opsgenie, Alertmanager, Grafana OnCall, ServiceNow,
/// incident.io, or any CSV/JSON lines/Parquet with a mapping) into one
/// canonical table, offline.
#[derive(Debug, Parser)]
#[command(name = "alertsift", version, about, max_term_width = 100)]
pub struct Cli {
    /// Configuration file (teams, time zones, paging, thresholds).
    /// [default: ./alertsift.toml if present, else an alertsift.toml inside an
    /// input directory, else built-in defaults]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print no progress bars and no run summary on stderr (errors still print).
    #[arg(long, short, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The main job: ingest the inputs, label and cluster every alert, and
    /// write the report (report.md, report.html, charts as SVG and PNG,
    /// summary.json, tables) and the analysed tables into --out.
    Run(run::RunArgs),
    /// Merge exports into the store (re-ingesting an overlapping export
    /// never double counts).
    Ingest(ingest::IngestArgs),
    /// Inspect the store.
    Store {
        #[command(subcommand)]
        command: store::StoreCommand,
    },
    /// Write a realistic, deterministic multi-vendor history with ground truth.
    Demo(demo::DemoArgs),
    /// Mine templates from any text: one record per line, or one column of a
    /// CSV with a header. Writes `line,template_id,template`.
    ///
    /// Words holding a digit, paths, addresses and quoted values are
    /// variables; a line joins a template when `[classify]
    /// template_similarity` (0.6) of its words agree. Once every line is in,
    /// a place where the lines hold only two or three different plain words
    /// is a choice between kinds of line, each its own template (`[classify]
    /// template_word_choices`, 3; 0 turns it off).
    Templates(templates::TemplatesArgs),
    /// Why an alert got its label: each reason with its evidence and
    /// threshold, and the incident it overlaps. Reads a run's output.
    Explain(explain::ExplainArgs),
    /// Run SQL (polars' SQL engine) over a run's analysed tables — alerts,
    /// incidents, templates, episodes — and, with --store, the store's
    /// (store_alerts, store_incidents). Prints a table, or writes --output.
    Query(query::QueryArgs),
    /// Replay the paging history under changed policies (pause, grouping,
    /// `for:` delays, ticket routing, silences, inhibition, dedup,
    /// keep_firing_for) and count the pages, interruptions and toil each
    /// would have saved, and the actionable pages it would have delayed or
    /// hidden. Writes whatif.md, whatif.csv, whatif.json, whatif.svg and
    /// whatif.png.
    Whatif(whatif::WhatIfArgs),
    /// The recommendations as a patch to your own Prometheus rule files and
    /// Alertmanager configuration (`for:`, `keep_firing_for:`, routing a
    /// never-actionable rule off the pager, inhibitions, mute windows),
    /// with the evidence and replayed effect of each change, checked by
    /// promtool and amtool; other vendors' changes in their own terms.
    /// Writes fix.diff, fix.md, fix.json and a promtool replay test.
    Fix(fix::FixArgs),
    /// Print every setting of alertsift.toml with its default (TOML that
    /// --config reads back), or the settings a config file resolves to.
    Config(config::ConfigArgs),
}

/// The options every command takes.
#[derive(Debug)]
pub struct Global {
    /// `--config`.
    pub config: Option<PathBuf>,
    /// `--quiet`.
    pub quiet: bool,
    /// Progress bars: not quiet, and stderr is a terminal.
    pub progress: bool,
}

/// Run the parsed command.
pub fn run(cli: Cli) -> Result<ExitCode> {
    use std::io::IsTerminal;
    let g = Global {
        config: cli.config,
        quiet: cli.quiet,
        progress: !cli.quiet && std::io::stderr().is_terminal(),
    };
    match cli.command {
        Command::Run(args) => run::run(args, &g),
        Command::Ingest(args) => ingest::run(args, &g),
        Command::Store { command } => store::run(command, &g),
        Command::Templates(args) => templates::run(args, &g),
        Command::Explain(args) => explain::run(args, &g),
        Command::Query(args) => query::run(args, &g),
        Command::Whatif(args) => whatif::run(args, &g),
        Command::Fix(args) => fix::run(args, &g),
        Command::Demo(args) => demo::run(args, &g),
        Command::Config(args) => config::run(args, &g),
    }
}

#[derive(Debug, Args)]
pub struct InputArgs {
    /// Export files, or directories whose files are all read (files matching
    /// no format are skipped there and listed in the summary). `run --store
    /// DIR` without inputs analyses what the store holds.
    #[arg(required_unless_present = "store", value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Read every input as this format instead of detecting it.
    /// [default: detected from each file's header or keys]
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// TOML mapping for exports of other tools (CSV, JSON lines, Parquet);
    /// used for inputs no built-in format recognises. [default: none]
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,

    /// Exit with code 1 when any record was rejected. [default: exit 0 and
    /// list them in the rejects file]
    #[arg(long)]
    pub strict: bool,
}

pub fn duration(text: &str) -> Result<std::time::Duration, String> {
    alertsift::config::parse_duration(text)
}

/// Refuse a directory that holds no store: reading it would report zeros.
pub fn require_store(store: &Path) -> Result<()> {
    if !store.join("store.json").exists() && !store.join("alerts.parquet").exists() {
        anyhow::bail!(
            "{} is not an alertsift store (no store.json); create one with `alertsift ingest`",
            store.display()
        );
    }
    Ok(())
}

pub fn prepare(args: &InputArgs, labels: Option<&Path>, g: &Global) -> Result<Prepared> {
    let inputs = pipeline::expand_inputs(&args.inputs, args.format, args.mapping.is_some())?;
    let config = load_config(
        g.config.as_deref(),
        inputs.config_in_dir.as_deref(),
        g.quiet,
    )?;
    let options = IngestOptions {
        mapping: args.mapping.clone(),
        progress: g.progress,
    };
    let tags = labels.map(alertsift::classify::tags::read).transpose()?;
    Ok(Prepared {
        inputs,
        config,
        options,
        tags,
    })
}

/// The inputs expanded, the config loaded, the ingest options and the tags.
pub struct Prepared {
    /// The inputs.
    pub inputs: Inputs,
    /// The configuration.
    pub config: Config,
    /// How to read.
    pub options: IngestOptions,
    /// Human tags from `--labels`.
    pub tags: Option<alertsift::classify::tags::Tags>,
}

impl Prepared {
    /// The job of `run` or `whatif` writing into `out`.
    pub fn job<'a>(&'a self, out: &'a Path, store_dir: Option<&'a Path>) -> pipeline::Job<'a> {
        pipeline::Job {
            inputs: &self.inputs,
            out,
            store_dir,
            config: &self.config,
            options: &self.options,
            tags: self.tags.as_ref(),
            rule_runbooks: None,
        }
    }
}

pub fn load_config(explicit: Option<&Path>, in_dir: Option<&Path>, quiet: bool) -> Result<Config> {
    let cwd = Path::new("alertsift.toml");
    let chosen = explicit
        .map(Path::to_path_buf)
        .or_else(|| cwd.exists().then(|| cwd.to_path_buf()))
        .or_else(|| in_dir.map(Path::to_path_buf));
    match chosen {
        Some(path) => {
            if !quiet && explicit.is_none() {
                eprintln!("using config {}", path.display());
            }
            Ok(Config::load(&path)?)
        }
        None => Ok(Config::default()),
    }
}

pub fn show_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn print_inputs(inputs: &[InputReport], skipped: &[String]) {
    for i in inputs {
        let shifts = if i.shifts > 0 {
            format!(", {} shifts", i.shifts)
        } else {
            String::new()
        };
        eprintln!(
            "{} ({}): {} records -> {} alerts, {} incidents{shifts}, {} rejected",
            i.path, i.format, i.records, i.alerts, i.incidents, i.rejected
        );
        for n in &i.notes {
            eprintln!("  note: {n}");
        }
    }
    for s in skipped {
        eprintln!("skipped {s}");
    }
}

pub fn warn_rejects(rejected: u64, path: &Path) {
    if rejected > 0 {
        eprintln!(
            "warning: {rejected} record(s) could not be read; see {}",
            path.display()
        );
    }
}

pub fn exit_for(strict: bool, rejected: u64) -> ExitCode {
    if strict && rejected > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
