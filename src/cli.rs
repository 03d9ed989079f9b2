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
    /// The main job: ingest the inputs, label and cluster every alert, and
    /// write the report (report.md, report.html, charts as SVG and PNG,
    /// summary.json, tables) and the analysed tables into --out.
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
    /// Run SQL (polars' SQL engine) over a run's analysed tables — alerts,
    /// incidents, templates, episodes — and, with --store, the store's
    /// (store_alerts, store_incidents). Prints a table, or writes --output.
    Query(QueryArgs),
    /// Replay the paging history under changed policies (pause, grouping,
    /// `for:` delays, ticket routing, silences, inhibition, dedup,
    /// keep_firing_for) and count the pages, interruptions and toil each
    /// would have saved, and the actionable pages it would have delayed or
    /// hidden. Writes whatif.md, whatif.csv, whatif.json, whatif.svg and
    /// whatif.png.
    Whatif(WhatIfArgs),
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
    /// The output directory of a `run`.
    #[arg(long, value_name = "DIR", default_value = "alertsift-out")]
    out: PathBuf,
}

#[derive(Debug, Args)]
struct QueryArgs {
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
struct WhatIfArgs {
    #[command(flatten)]
    input: InputArgs,

    /// Output directory for whatif.md, whatif.csv, whatif.json, whatif.svg,
    /// whatif.png and rejects.csv.
    #[arg(long, value_name = "DIR", default_value = "alertsift-whatif")]
    out: PathBuf,

    /// Merge into this store and replay all it holds. [default: a temporary
    /// store holding only these inputs]
    #[arg(long, value_name = "DIR")]
    store: Option<PathBuf>,

    /// Human tags (as for `run --labels`): they decide which pages count as
    /// actionable. [default: the model's labels]
    #[arg(long, value_name = "FILE")]
    labels: Option<PathBuf>,

    /// PagerDuty Auto-Pause for DURATION: a page that resolves by itself
    /// within it never notifies, any other notifies that much later.
    /// [default: no pause]
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pause: Option<std::time::Duration>,

    /// PagerDuty time-based grouping: per team and service, a page within
    /// DURATION of the first page of an open group joins it silently.
    /// [default: no grouping]
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    group_window: Option<std::time::Duration>,

    /// A Prometheus `for:` delay on one template, TEMPLATE=DURATION
    /// (template text or template_id, as in templates.csv); repeatable.
    /// [default: none]
    #[arg(long = "for", value_name = "TEMPLATE=DURATION")]
    for_delay: Vec<String>,

    /// Route this template (text or template_id) to a ticket queue instead
    /// of the pager; repeatable. [default: none]
    #[arg(long, value_name = "TEMPLATE")]
    ticket: Vec<String>,

    /// Route pages of these severities (critical, error, warning, info) to
    /// a ticket queue; comma-separated or repeated. [default: none]
    #[arg(long, value_name = "SEVERITY", value_delimiter = ',')]
    ticket_severity: Vec<String>,

    /// Silence pages that fire at their template's usual time of day
    /// (reason RECURRING). [default: off]
    #[arg(long)]
    suppress_recurring: bool,

    /// Inhibit every page of a storm episode but its lead. [default: off]
    #[arg(long)]
    inhibit_secondaries: bool,

    /// Fold copies of an open alert (reason DUPLICATE) into it, as a dedup
    /// key would. [default: off]
    #[arg(long)]
    dedup: bool,

    /// Prometheus `keep_firing_for`: a page that fires again within
    /// DURATION of clearing continues the last occurrence. [default: off]
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    keep_firing_for: Option<std::time::Duration>,

    /// Sweep one parameter, NAME=FROM..TO/STEP with NAME pause,
    /// group-window or keep-firing-for (e.g. pause=0m..15m/1m), on top of
    /// the other policies: a table and a chart of the trade-off with its
    /// knee. [default: no sweep]
    #[arg(long, value_name = "SPEC")]
    sweep: Option<String>,
}

fn duration(text: &str) -> Result<std::time::Duration, String> {
    alertsift::config::parse_duration(text)
}

#[derive(Debug, Args)]
struct RunArgs {
    #[command(flatten)]
    input: InputArgs,

    /// Output directory for report.md, report.html, charts/*.svg and *.png,
    /// summary.json, tables/*.csv, templates.csv, review.csv, the analysed
    /// tables (alerts, incidents, templates, episodes: .parquet) and
    /// rejects.csv.
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

    /// Alerts to list in review.csv for a person to tag.
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

    /// The store directory.
    #[arg(long, value_name = "DIR", default_value = "alertsift-data")]
    store: PathBuf,
}

#[derive(Debug, Subcommand)]
enum StoreCommand {
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

#[derive(Debug, Args)]
struct DemoArgs {
    /// Directory to write the exports, config and truth.csv into.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Weeks of history.
    #[arg(long, default_value_t = 12)]
    weeks: u32,
    /// Approximate number of alerts over all sources.
    #[arg(long, default_value_t = 5000)]
    alerts: u64,
    /// Random seed; the same seed gives the same bytes.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// First day (a Monday is best), YYYY-MM-DD. The default's 12 weeks
    /// cross the Sydney, EU and US clock changes.
    #[arg(long, default_value = "2026-08-31")]
    start: String,
    /// Write every team's alerts in this one format, for benchmarks.
    /// [default: each team its own vendor]
    #[arg(long, value_enum)]
    only: Option<demo::DemoVendor>,
}

/// Refuse a directory that holds no store: reading it would report zeros.
fn require_store(store: &Path) -> Result<()> {
    if !store.join("store.json").exists() && !store.join("alerts.parquet").exists() {
        anyhow::bail!(
            "{} is not an alertsift store (no store.json); create one with `alertsift ingest`",
            store.display()
        );
    }
    Ok(())
}

/// Run the parsed command.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let progress = !cli.quiet && std::io::stderr().is_terminal();
    match cli.command {
        Command::Run(args) => {
            if let (true, Some(store)) = (args.input.inputs.is_empty(), &args.store) {
                require_store(store)?;
            }
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
            require_store(&store)?;
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
            let config = load_config(cli.config.as_deref(), None, true)?;
            let outcome = match &args.out {
                Some(path) => {
                    let mut f = std::io::BufWriter::new(
                        std::fs::File::create(path)
                            .with_context(|| format!("creating {}", path.display()))?,
                    );
                    let o =
                        pipeline::templates(&args.file, args.column.as_deref(), &config, &mut f)?;
                    f.flush()
                        .with_context(|| format!("writing {}", path.display()))?;
                    o
                }
                None => {
                    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                    pipeline::templates(&args.file, args.column.as_deref(), &config, &mut out)?
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
        Command::Query(args) => query(&args),
        Command::Whatif(args) => whatif(&args, cli.config.as_deref(), cli.quiet, progress),
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
fn whatif(
    args: &WhatIfArgs,
    config: Option<&Path>,
    quiet: bool,
    progress: bool,
) -> Result<ExitCode> {
    use alertsift::whatif::{Policy, SweepSpec};
    let mut policies = Vec::new();
    if let Some(d) = args.pause {
        policies.push(Policy::Pause(d));
    }
    for spec in &args.for_delay {
        let Some((template, d)) = spec.rsplit_once('=') else {
            anyhow::bail!(
                "--for {spec:?}: expected TEMPLATE=DURATION, e.g. --for 'Disk on <*> full=10m'"
            );
        };
        let delay = duration(d).map_err(|e| anyhow::anyhow!("--for {spec:?}: {e}"))?;
        policies.push(Policy::For {
            template: template.to_string(),
            delay,
        });
    }
    if !args.ticket.is_empty() || !args.ticket_severity.is_empty() {
        for sev in &args.ticket_severity {
            if !alertsift::schema::SEVERITIES.contains(&sev.as_str()) {
                anyhow::bail!(
                    "--ticket-severity {sev:?}: expected one of {}",
                    alertsift::schema::SEVERITIES.join(", ")
                );
            }
        }
        policies.push(Policy::Ticket {
            templates: args.ticket.clone(),
            severities: args.ticket_severity.clone(),
        });
    }
    if args.suppress_recurring {
        policies.push(Policy::SuppressRecurring);
    }
    if args.inhibit_secondaries {
        policies.push(Policy::InhibitSecondaries);
    }
    if args.dedup {
        policies.push(Policy::Dedup);
    }
    if let Some(d) = args.keep_firing_for {
        policies.push(Policy::KeepFiringFor(d));
    }
    if let Some(d) = args.group_window {
        policies.push(Policy::GroupWindow(d));
    }
    let sweep = args
        .sweep
        .as_deref()
        .map(SweepSpec::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    if policies.is_empty() && sweep.is_none() {
        anyhow::bail!(
            "no policy to replay: give at least one of --pause, --group-window, --for, --ticket, \
             --ticket-severity, --suppress-recurring, --inhibit-secondaries, --dedup, \
             --keep-firing-for, --sweep"
        );
    }
    let (inputs, config, options) = prepare(&args.input, config, quiet, progress)?;
    let tags = args
        .labels
        .as_deref()
        .map(alertsift::classify::tags::read)
        .transpose()?;
    let outcome = pipeline::whatif(
        &inputs,
        &args.out,
        args.store.as_deref(),
        &config,
        &options,
        tags.as_ref(),
        &policies,
        sweep.as_ref(),
        progress,
    )
    .with_context(|| match args.input.inputs.is_empty() {
        true => "replaying the store".to_string(),
        false => format!("replaying {}", show_paths(&args.input.inputs)),
    })?;
    if !quiet {
        print_inputs(&outcome.inputs, &inputs.skipped);
        for o in &outcome.result.policies {
            eprintln!(
                "{}: pages {} -> {}, sleep interruptions {} -> {}, actionable delayed {}, hidden {}",
                o.name,
                o.all.before.pages,
                o.all.after.pages,
                o.all.before.interruptions.sleep,
                o.all.after.interruptions.sleep,
                o.all.actionable_delayed.count,
                o.all.actionable_hidden.count
            );
        }
        eprintln!("written to {}", args.out.display());
        warn_rejects(outcome.rejected, &outcome.rejects_path);
    }
    Ok(exit_for(args.input.strict, outcome.rejected))
}

fn query(args: &QueryArgs) -> Result<ExitCode> {
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
