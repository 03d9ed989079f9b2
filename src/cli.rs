//! The command-line interface: raw flags (clap) and their resolution into
//! what the library's jobs take. Every flag's help states its default.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use alertsift::config::Config;
use alertsift::demo::{self, DemoOptions};
use alertsift::ingest::{Format, IngestOptions, InputReport};
use alertsift::pipeline::{self, Inputs};
use alertsift::store::Store;

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
    config: Option<PathBuf>,

    /// Print no progress bars and no run summary on stderr (errors still print).
    #[arg(long, short, global = true)]
    quiet: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The main job: ingest the inputs, then write the analysed tables and
    /// summary.json into --out.
    Run(RunArgs),
    /// Merge exports into the store (re-ingesting an overlapping export
    /// never double counts).
    Ingest(IngestArgs),
    /// Inspect the store.
    Store {
        #[command(subcommand)]
        command: StoreCommand,
    },
    /// Write a realistic, deterministic multi-vendor history with ground truth.
    Demo(DemoArgs),
    /// Mine templates from any text: one record per line, or one column of a
    /// CSV with a header. Writes `line,template_id,template`.
    Templates(TemplatesArgs),
    /// Why an alert got its label: each reason with its evidence and
    /// threshold, and the incident it overlaps. Reads a run's output.
    Explain(ExplainArgs),
}

#[derive(Debug, Args)]
struct TemplatesArgs {
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

#[derive(Debug, Args)]
struct ExplainArgs {
    /// The alert's id (as in alerts.parquet's alert_id).
    alert_id: String,
    /// The output directory of a `run`. [default: alertsift-out]
    #[arg(long, value_name = "DIR", default_value = "alertsift-out")]
    out: PathBuf,
}

#[derive(Debug, Args)]
struct InputArgs {
    /// Export files, or directories whose files are all read (files matching
    /// no format are skipped there and listed in the summary). `run --store
    /// DIR` without inputs analyses what the store holds.
    #[arg(required_unless_present = "store", value_name = "INPUT")]
    inputs: Vec<PathBuf>,

    /// Read every input as this format instead of detecting it.
    /// [default: detected from each file's header or keys]
    #[arg(long, value_enum)]
    format: Option<Format>,

    /// TOML mapping for exports of other tools (CSV, JSON lines, Parquet);
    /// used for inputs no built-in format recognises. [default: none]
    #[arg(long, value_name = "FILE")]
    mapping: Option<PathBuf>,

    /// Exit with code 1 when any record was rejected. [default: exit 0 and
    /// list them in the rejects file]
    #[arg(long)]
    strict: bool,
}

#[derive(Debug, Args)]
struct RunArgs {
    #[command(flatten)]
    input: InputArgs,

    /// Output directory for alerts.parquet, incidents.parquet, summary.json
    /// and rejects.csv. [default: alertsift-out]
    #[arg(long, value_name = "DIR", default_value = "alertsift-out")]
    out: PathBuf,

    /// Merge into this store and analyse all it holds. [default: a temporary
    /// store holding only these inputs]
    #[arg(long, value_name = "DIR")]
    store: Option<PathBuf>,

    /// Human tags, a CSV `alert_id,label[,category]` (label: noise or
    /// actionable; a filled-in review.csv works). The run then reports
    /// precision, recall and F1 against them, fits the score to them, and
    /// keeps them as the label of the tagged alerts. [default: none]
    #[arg(long, value_name = "FILE")]
    labels: Option<PathBuf>,

    /// Alerts to list in review.csv for a person to tag. [default: 50]
    #[arg(long, value_name = "N", default_value_t = 50)]
    review: usize,

    /// Report on the ISO week (UTC) or calendar quarter of the latest page.
    /// [default: every page in the history]
    #[arg(long, value_enum, conflicts_with_all = ["week", "since", "until"])]
    period: Option<PeriodArg>,

    /// Report on this ISO week (UTC), e.g. 2026-W47. [default: see --period]
    #[arg(long, value_name = "YYYY-Www", conflicts_with_all = ["since", "until"])]
    week: Option<String>,

    /// Report on pages from this UTC day on, YYYY-MM-DD. [default: the
    /// first page's day]
    #[arg(long, value_name = "DATE")]
    since: Option<String>,

    /// Report on pages up to and including this UTC day, YYYY-MM-DD.
    /// [default: the last page's day]
    #[arg(long, value_name = "DATE")]
    until: Option<String>,

    /// Replace people's names by "Responder N" in report.md, summary.json and
    /// tables/ (for reports that travel outside the team; alerts.parquet
    /// keeps them). [default: names shown]
    #[arg(long)]
    redact: bool,
}

/// `--period`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum PeriodArg {
    /// The ISO week of the latest page.
    Week,
    /// The calendar quarter of the latest page.
    Quarter,
}

/// Midnight UTC of a `YYYY-MM-DD` day, µs.
fn day_us(text: &str, flag: &str) -> Result<i64> {
    let d = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .with_context(|| format!("{flag} {text:?} is not a date YYYY-MM-DD"))?;
    Ok(d.and_time(chrono::NaiveTime::MIN)
        .and_utc()
        .timestamp_micros())
}

fn period_of(args: &RunArgs) -> Result<alertsift::report::PeriodSpec> {
    use alertsift::report::PeriodSpec;
    const DAY: i64 = 86_400_000_000;
    if let Some(p) = args.period {
        return Ok(match p {
            PeriodArg::Week => PeriodSpec::LatestWeek,
            PeriodArg::Quarter => PeriodSpec::LatestQuarter,
        });
    }
    if let Some(w) = &args.week {
        let monday = chrono::NaiveDate::parse_from_str(&format!("{w}-1"), "%G-W%V-%u")
            .with_context(|| format!("--week {w:?} is not an ISO week like 2026-W47"))?;
        let start = monday
            .and_time(chrono::NaiveTime::MIN)
            .and_utc()
            .timestamp_micros();
        return Ok(PeriodSpec::Range(Some(start), Some(start + 7 * DAY)));
    }
    match (&args.since, &args.until) {
        (None, None) => Ok(PeriodSpec::All),
        (since, until) => {
            let a = since.as_deref().map(|s| day_us(s, "--since")).transpose()?;
            let b = until
                .as_deref()
                .map(|s| day_us(s, "--until").map(|d| d + DAY))
                .transpose()?;
            if let (Some(a), Some(b)) = (a, b) {
                if a >= b {
                    anyhow::bail!("--since must be on or before --until");
                }
            }
            Ok(PeriodSpec::Range(a, b))
        }
    }
}

#[derive(Debug, Args)]
struct IngestArgs {
    #[command(flatten)]
    input: InputArgs,

    /// The store directory. [default: alertsift-data]
    #[arg(long, value_name = "DIR", default_value = "alertsift-data")]
    store: PathBuf,
}

#[derive(Debug, Subcommand)]
enum StoreCommand {
    /// Rows per source and time range of what the store holds.
    Info {
        /// The store directory. [default: alertsift-data]
        #[arg(long, value_name = "DIR", default_value = "alertsift-data")]
        store: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// Directory to write the exports, config and truth.csv into.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Weeks of history. [default: 12]
    #[arg(long, default_value_t = 12)]
    weeks: u32,
    /// Approximate number of alerts over all sources. [default: 5000]
    #[arg(long, default_value_t = 5000)]
    alerts: u64,
    /// Random seed; the same seed gives the same bytes. [default: 42]
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// First day (a Monday is best), YYYY-MM-DD. [default: 2026-08-31, so the
    /// 12 weeks cross the Sydney, EU and US clock changes]
    #[arg(long, default_value = "2026-08-31")]
    start: String,
    /// Write every team's alerts in this one format, for benchmarks.
    /// [default: each team its own vendor]
    #[arg(long, value_enum)]
    only: Option<demo::DemoVendor>,
}

/// Run the parsed command.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let progress = !cli.quiet && std::io::stderr().is_terminal();
    match cli.command {
        Command::Run(args) => {
            let (inputs, config, options) =
                prepare(&args.input, cli.config.as_deref(), cli.quiet, progress)?;
            let tags = args
                .labels
                .as_deref()
                .map(alertsift::classify::tags::read)
                .transpose()?;
            let report_options = alertsift::report::ReportOptions {
                review_size: args.review,
                period: period_of(&args)?,
                redact: args.redact,
            };
            let outcome = pipeline::run(
                &inputs,
                &args.out,
                args.store.as_deref(),
                &config,
                &options,
                tags.as_ref(),
                &report_options,
            )
            .with_context(|| match args.input.inputs.is_empty() {
                true => "analysing the store".to_string(),
                false => format!("running on {}", show_paths(&args.input.inputs)),
            })?;
            let s = &outcome.summary;
            if !cli.quiet {
                print_inputs(&s.inputs, &inputs.skipped);
                eprintln!(
                    "{} alerts ({} pages) and {} incidents, {} to {}; written to {}",
                    s.alerts,
                    s.pages,
                    s.incidents,
                    s.time_range.first.as_deref().unwrap_or("-"),
                    s.time_range.last.as_deref().unwrap_or("-"),
                    args.out.display()
                );
                eprintln!(
                    "{} noise, {} actionable: {:.1}% of alerts and {:.1}% of pages are noise",
                    s.noise,
                    s.actionable,
                    100.0 * s.noise_ratio,
                    100.0 * s.page_noise_ratio
                );
                if let Some(e) = &s.evaluation {
                    eprintln!(
                        "against {} tags: precision {:.3}, recall {:.3}, macro F1 {:.3} (rules); cross-validated macro F1 {:.3} fitted vs {:.3} rules",
                        e.tagged,
                        e.rules.precision,
                        e.rules.recall,
                        e.rules.macro_f1,
                        e.fitted_cv_macro_f1,
                        e.rules_cv_macro_f1
                    );
                }
                warn_rejects(s.rejected, &outcome.rejects_path);
            }
            Ok(exit_for(args.input.strict, s.rejected))
        }
        Command::Ingest(args) => {
            if args.input.inputs.is_empty() {
                anyhow::bail!("nothing to ingest: name at least one export file or directory");
            }
            let (inputs, config, options) =
                prepare(&args.input, cli.config.as_deref(), cli.quiet, progress)?;
            let store = Store::open(&args.store)?;
            let outcome = pipeline::ingest_into(&store, &inputs.files, &config, &options)
                .with_context(|| format!("ingesting {}", show_paths(&args.input.inputs)))?;
            if !cli.quiet {
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
                warn_rejects(outcome.rejected, &outcome.rejects_path);
            }
            Ok(exit_for(args.input.strict, outcome.rejected))
        }
        Command::Store {
            command: StoreCommand::Info { store, json },
        } => {
            if !store.join("store.json").exists() && !store.join("alerts.parquet").exists() {
                anyhow::bail!(
                    "{} is not an alertsift store (no store.json); create one with `alertsift ingest`",
                    store.display()
                );
            }
            let info = Store::open(&store)?.info()?;
            let mut out = std::io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut out, &info)?;
                writeln!(out)?;
            } else {
                for (name, t) in [("alerts", &info.alerts), ("incidents", &info.incidents)] {
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
        Command::Templates(args) => {
            let outcome = match &args.out {
                Some(path) => {
                    let mut f = std::io::BufWriter::new(
                        std::fs::File::create(path)
                            .with_context(|| format!("creating {}", path.display()))?,
                    );
                    let o = pipeline::templates(&args.file, args.column.as_deref(), &mut f)?;
                    f.flush()
                        .with_context(|| format!("writing {}", path.display()))?;
                    o
                }
                None => {
                    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                    pipeline::templates(&args.file, args.column.as_deref(), &mut out)?
                }
            };
            if !cli.quiet {
                eprintln!(
                    "{} records, {} templates",
                    outcome.records, outcome.templates
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain(args) => {
            let config = load_config(cli.config.as_deref(), None, true)?;
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
        Command::Demo(args) => {
            let start = chrono::NaiveDate::parse_from_str(&args.start, "%Y-%m-%d")
                .with_context(|| format!("--start {:?} is not a date YYYY-MM-DD", args.start))?;
            if args.weeks == 0 || args.alerts == 0 {
                anyhow::bail!("--weeks and --alerts must be at least 1");
            }
            let options = DemoOptions {
                weeks: args.weeks,
                alerts: args.alerts,
                seed: args.seed,
                start,
                only: args.only,
                progress,
            };
            let written = demo::write(&args.out, &options)
                .with_context(|| format!("writing the demo history to {}", args.out.display()))?;
            if !cli.quiet {
                eprintln!(
                    "demo history in {}: {} alerts ({} PagerDuty, {} Opsgenie, {} Alertmanager), {} incidents",
                    args.out.display(),
                    written.alerts,
                    written.pagerduty,
                    written.opsgenie,
                    written.alertmanager,
                    written.incidents
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Resolve the input flags: expand directories, load the config, set the
/// ingest options.
fn prepare(
    args: &InputArgs,
    config: Option<&Path>,
    quiet: bool,
    progress: bool,
) -> Result<(Inputs, Config, IngestOptions)> {
    let inputs = pipeline::expand_inputs(&args.inputs, args.format, args.mapping.is_some())?;
    let config = load_config(config, inputs.config_in_dir.as_deref(), quiet)?;
    let options = IngestOptions {
        mapping: args.mapping.clone(),
        progress,
    };
    Ok((inputs, config, options))
}

fn load_config(explicit: Option<&Path>, in_dir: Option<&Path>, quiet: bool) -> Result<Config> {
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

fn show_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn print_inputs(inputs: &[InputReport], skipped: &[String]) {
    for i in inputs {
        eprintln!(
            "{} ({}): {} records -> {} alerts, {} incidents, {} rejected",
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

fn warn_rejects(rejected: u64, path: &Path) {
    if rejected > 0 {
        eprintln!(
            "warning: {rejected} record(s) could not be read; see {}",
            path.display()
        );
    }
}

fn exit_for(strict: bool, rejected: u64) -> ExitCode {
    if strict && rejected > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
