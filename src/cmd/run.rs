//! `alertsift run`: the main job on the inputs (or the store), and its
//! summary on stderr.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use super::{exit_for, prepare, print_inputs, require_store, show_paths, warn_rejects};
use super::{Global, InputArgs};
use alertsift::pipeline;

#[derive(Debug, Args)]
pub struct RunArgs {
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

    /// Prometheus rule files (`groups:`), Kubernetes PrometheusRule
    /// resources, or directories of .yml/.yaml files holding them: an
    /// alert that carried no runbook link takes its rule's `runbook_url`
    /// (or `runbook`) annotation for the runbook coverage (the rule of its
    /// `alertname` whose labels match). Repeatable. [default: only the
    /// links the alerts carried]
    #[arg(long, value_name = "PATH")]
    rules: Vec<PathBuf>,

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

/// The runbook annotations of the rule files `paths` (none without any).
fn rule_runbooks(
    paths: &[PathBuf],
) -> Result<Option<alertsift::classify::rule_runbooks::RuleRunbooks>> {
    use alertsift::rule_files::{files_of, rules_of, YamlFile};
    if paths.is_empty() {
        return Ok(None);
    }
    let files = files_of(paths).context("reading the rule files (--rules)")?;
    let mut rules = Vec::new();
    for (i, path) in files.iter().enumerate() {
        let file = YamlFile::read(path).context("reading a rule file (--rules)")?;
        rules.extend(rules_of(i, &file).context("reading a rule file (--rules)")?);
    }
    Ok(Some(alertsift::classify::rule_runbooks::RuleRunbooks::of(
        &rules,
        files.len(),
    )))
}

/// Run it.
pub fn run(args: RunArgs, g: &Global) -> Result<ExitCode> {
    if let (true, Some(store)) = (args.input.inputs.is_empty(), &args.store) {
        require_store(store)?;
    }
    let prepared = prepare(&args.input, args.labels.as_deref(), g)?;
    let report_options = alertsift::report::ReportOptions {
        review_size: args.review,
        period: period_of(&args)?,
        redact: args.redact,
    };
    let rule_runbooks = rule_runbooks(&args.rules)?;
    let mut job = prepared.job(&args.out, args.store.as_deref());
    job.rule_runbooks = rule_runbooks.as_ref();
    let outcome = pipeline::run(&job, &report_options).with_context(|| {
        match args.input.inputs.is_empty() {
            true => "analysing the store".to_string(),
            false => format!("running on {}", show_paths(&args.input.inputs)),
        }
    })?;
    let s = &outcome.summary;
    if !g.quiet {
        print_inputs(&s.inputs, &prepared.inputs.skipped);
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
