//! Report: the one place frames are collected, and what a run writes.
//!
//! `DIR/alerts.parquet` and `DIR/incidents.parquet` are the canonical tables
//! (plain Parquet any engine reads); `DIR/summary.json` says what went in and
//! what came out; `DIR/rejects.csv` lists the records that could not be read.
//! The same inputs give the same bytes: nothing here depends on the clock or
//! on where a temporary store lived.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::Serialize;

use crate::classify::evaluate::Evaluation;
use crate::classify::tags::Tags;
use crate::core::fs::write_atomic;
use crate::core::time::rfc3339_utc;
use crate::core::timing::lap;
use crate::error::Error;
use crate::ingest::InputReport;
use crate::metrics;
use crate::pages::pages_of;
use crate::reasons::REASONS;
use crate::schema as s;
use crate::store::MergeStats;

pub mod document;
pub mod explain;
pub mod parquet;
pub mod recommend;
pub mod review;

/// Version of `summary.json`'s layout.
pub const SUMMARY_VERSION: u32 = 4;

/// The report's charts, `DIR/charts/FILE` (drawn by [`crate::chart`]):
/// file name and title (the toil chart's names `[targets] toil_share`).
pub fn charts(targets: &crate::config::Targets) -> [(&'static str, String); 6] {
    [
        (
            "pages-per-week.svg",
            "Pages per week, actionable and noise".into(),
        ),
        (
            "pages-by-hour.svg",
            "Pages by weekday and hour of the day, local time".into(),
        ),
        ("noisy-templates.svg", "Top noisy templates by toil".into()),
        (
            "interruptions-by-responder.svg",
            "Interruptions per person: business, off and sleep hours".into(),
        ),
        (
            "response-times.svg",
            "Time to acknowledge and to resolve (MTTA, MTTR)".into(),
        ),
        (
            "toil-per-week.svg",
            format!(
                "Toil hours per week against the {} cap",
                percent(targets.toil_share)
            ),
        ),
    ]
}

/// A share as a whole percentage where it is one (`0.5` → `50%`), else
/// with what decimals it needs (`0.125` → `12.5%`).
pub fn percent(share: f64) -> String {
    let p = (share * 1000.0).round() / 10.0;
    if p.fract() == 0.0 {
        format!("{p:.0}%")
    } else {
        format!("{p}%")
    }
}

/// First and last trigger time of the alerts.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TimeRange {
    /// Earliest `triggered_at`, RFC 3339 UTC.
    pub first: Option<String>,
    /// Latest `triggered_at`, RFC 3339 UTC.
    pub last: Option<String>,
}

/// `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// [`SUMMARY_VERSION`].
    pub schema_version: u32,
    /// Per input: path, format, records, alerts, incidents, rejected, notes.
    pub inputs: Vec<InputReport>,
    /// Files in input directories that matched no format and were skipped.
    pub skipped_files: Vec<String>,
    /// Records read over all inputs.
    pub records: u64,
    /// Records rejected over all inputs (see `rejects.csv`).
    pub rejected: u64,
    /// What the merge into the store did.
    pub store: MergeStats,
    /// Alerts in the analysed table.
    pub alerts: u64,
    /// Incidents in the analysed table.
    pub incidents: u64,
    /// Alerts per source.
    pub alerts_per_source: BTreeMap<String, u64>,
    /// Alerts per team (`(none)` for alerts without a team).
    pub alerts_per_team: BTreeMap<String, u64>,
    /// Alerts that paged a person (`paged` true).
    pub pages: u64,
    /// Trigger-time range of the alerts.
    pub time_range: TimeRange,
    /// Alerts labelled actionable.
    pub actionable: u64,
    /// Alerts labelled noise.
    pub noise: u64,
    /// noise / alerts (0 when there are none).
    pub noise_ratio: f64,
    /// Noise pages / pages (0 when there are none).
    pub page_noise_ratio: f64,
    /// Alerts carrying each reason code (an alert may carry several).
    pub reasons: BTreeMap<String, u64>,
    /// The labels against human tags, when `--labels` was given.
    pub evaluation: Option<Evaluation>,
    /// Distinct title templates (see `templates.csv`).
    pub templates: u64,
    /// Storm episodes: alerts of a team whose starts chain within the gap.
    pub episodes: u64,
    /// `1 − episodes / alerts`.
    pub compression: f64,
    /// Alerts whose vendor key an earlier alert already had.
    pub exact_duplicates: u64,
    /// The period the paging-load figures cover: whole UTC days from the
    /// first page's to the last's.
    pub period: TimeRange,
    /// Interruptions by slot (see `report::metrics`).
    pub interruptions: metrics::Interruptions,
    /// Distinct local clock hours per person with a page, summed.
    pub disrupted_hours: u64,
    /// Trigger → first acknowledgement of pages, seconds.
    pub mtta_seconds: crate::core::stats::Spread,
    /// Trigger → resolve of pages, seconds.
    pub mttr_seconds: crate::core::stats::Spread,
    /// Pages never acknowledged (left out of MTTA).
    pub unacknowledged_pages: u64,
    /// Toil hours on noise pages.
    pub toil_hours: f64,
    /// Toil hours / on-call hours (the SRE book's cap: 0.5).
    pub toil_share: f64,
    /// 12-hour shifts with more than 2 pages (the SRE book's target).
    pub shifts_over_target: u64,
    /// Most pages in one 12-hour shift.
    pub max_pages_per_shift: u64,
    /// The same figures per team.
    pub teams: BTreeMap<String, metrics::Load>,
    /// The same figures per person interrupted.
    pub responders: BTreeMap<String, metrics::Load>,
    /// What to fix first: the ten noisy templates that cost the most toil.
    pub recommendations: Vec<recommend::Recommendation>,
    /// The same headline figures for the period of the same length just
    /// before (for the deltas).
    pub previous_period: metrics::Load,
    /// Headline figures per ISO week (Monday 00:00 UTC) of the period.
    pub weekly: Vec<WeekLoad>,
    /// Pages of the period by local weekday (rows, Monday first) and hour
    /// of the day (columns, 0–23), in each page's team zone.
    pub pages_by_weekday_hour: Vec<Vec<u64>>,
}

/// One week of the trend.
#[derive(Debug, Clone, Serialize)]
pub struct WeekLoad {
    /// ISO week, `2026-W47`.
    pub week: String,
    /// Its figures.
    pub load: metrics::Load,
}

/// The weekly trend: each ISO week's label and figures.
fn weekly_trend(m: &metrics::Metrics) -> Vec<WeekLoad> {
    use chrono::Datelike;
    m.weekly
        .iter()
        .map(|(monday, load)| WeekLoad {
            week: chrono::DateTime::from_timestamp_micros(*monday)
                .map(|d| {
                    let w = d.iso_week();
                    format!("{}-W{:02}", w.year(), w.week())
                })
                .unwrap_or_default(),
            load: load.clone(),
        })
        .collect()
}

/// Replace people's names by `Responder N` (N by name order); the teams'
/// unnamed on-call keep their label.
fn redact(m: &mut metrics::Metrics) {
    let mut n = 0;
    let old = std::mem::take(&mut m.responders);
    for (name, load) in old {
        let key = if name.ends_with(" on-call") {
            name
        } else {
            n += 1;
            format!("Responder {n}")
        };
        m.responders.insert(key, load);
    }
}

/// Which pages the paging-load figures cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PeriodSpec {
    /// Every page: whole UTC days from the first page's to the last's.
    #[default]
    All,
    /// `[since, until)`, µs; an open end is the first or last page's day.
    Range(Option<i64>, Option<i64>),
    /// The ISO week (Monday 00:00 UTC) of the last page.
    LatestWeek,
    /// The calendar quarter (UTC) of the last page.
    LatestQuarter,
}

/// How to report.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// Alerts in `review.csv`.
    pub review_size: usize,
    /// The period of the paging-load figures.
    pub period: PeriodSpec,
    /// Replace people's names by `Responder N` in the report, the summary
    /// and the tables (alerts.parquet keeps them).
    pub redact: bool,
}

const DAY_US: i64 = 86_400_000_000;

/// Resolve a period against the pages' time range.
fn resolve_period(spec: PeriodSpec, range: Option<(i64, i64)>) -> Option<(i64, i64)> {
    use chrono::Datelike;
    let (lo, hi) = range?;
    let all = (
        lo.div_euclid(DAY_US) * DAY_US,
        (hi.div_euclid(DAY_US) + 1) * DAY_US,
    );
    Some(match spec {
        PeriodSpec::All => all,
        PeriodSpec::Range(a, b) => (a.unwrap_or(all.0), b.unwrap_or(all.1)),
        PeriodSpec::LatestWeek => {
            let day = hi.div_euclid(DAY_US);
            // 1970-01-01 was a Thursday: Monday is 3 days before.
            let monday = day - (day + 3).rem_euclid(7);
            (monday * DAY_US, (monday + 7) * DAY_US)
        }
        PeriodSpec::LatestQuarter => {
            let d = chrono::DateTime::from_timestamp_micros(hi)?.date_naive();
            let q0 = (d.month0() / 3) * 3 + 1;
            let start = chrono::NaiveDate::from_ymd_opt(d.year(), q0, 1)?;
            let end = if q0 == 10 {
                chrono::NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)?
            } else {
                chrono::NaiveDate::from_ymd_opt(d.year(), q0 + 3, 1)?
            };
            let us = |n: chrono::NaiveDate| {
                n.and_hms_opt(0, 0, 0)
                    .map(|t| t.and_utc().timestamp_micros())
                    .unwrap_or(0)
            };
            (us(start), us(end))
        }
    })
}

/// What a run knows besides the tables.
#[derive(Debug, Clone)]
pub struct RunInfo<'a> {
    /// Per input.
    pub inputs: Vec<InputReport>,
    /// Files skipped in input directories.
    pub skipped_files: Vec<String>,
    /// What the merge did.
    pub store: MergeStats,
    /// The evaluation against tags, if any.
    pub evaluation: Option<Evaluation>,
    /// The tags, if any (tagged alerts are left out of the review queue).
    pub tags: Option<&'a Tags>,
    /// What the report covers and how.
    pub options: &'a ReportOptions,
    /// The configuration (team zones for the template statistics).
    pub config: &'a crate::config::Config,
}

/// Counts of `column` values, nulls as `(none)`.
fn counts_by(df: &DataFrame, column: &str) -> Result<BTreeMap<String, u64>, Error> {
    let values = df
        .column(column)
        .and_then(|c| c.str().cloned())
        .map_err(Error::polars("counts"))?;
    let mut counts = BTreeMap::new();
    let nulls = values.null_count() as u64;
    if nulls > 0 {
        counts.insert("(none)".to_string(), nulls);
    }
    for (value, n) in crate::core::intern::value_counts(&values) {
        *counts.entry(value.to_string()).or_insert(0) += n;
    }
    Ok(counts)
}

/// Collect the tables, write `alerts.parquet`, `incidents.parquet`,
/// `review.csv` and `summary.json` into `out`, and return the summary.
pub fn write_run(
    out: &Path,
    alerts: LazyFrame,
    incidents: LazyFrame,
    info: RunInfo<'_>,
) -> Result<Summary, Error> {
    std::fs::create_dir_all(out).map_err(|source| Error::Output {
        path: out.to_path_buf(),
        source,
    })?;
    let t = std::time::Instant::now();
    let alerts = alerts
        .collect()
        .map_err(Error::polars("the alerts table"))?;
    crate::core::timing::since("classify (collect the alerts table)", t);
    let incidents = incidents
        .collect()
        .map_err(Error::polars("the incidents table"))?;
    // The period: pages from the whole history resolve it and give the
    // previous period; everything else covers the period only.
    let period = resolve_period(info.options.period, paged_range(&alerts)?);
    let (since, until) = period.unwrap_or((0, 0));
    let mut in_period = alerts.clone();
    if info.options.period != PeriodSpec::All && period.is_some() {
        in_period = in_period
            .lazy()
            .filter(
                col(s::TRIGGERED_AT)
                    .cast(DataType::Int64)
                    .gt_eq(lit(since))
                    .and(col(s::TRIGGERED_AT).cast(DataType::Int64).lt(lit(until))),
            )
            .collect()
            .map_err(Error::polars("the period's alerts"))?;
    }
    // The store keeps alerts in trigger-time order: say so on the column,
    // and the sorts by it below (the template statistics) are skipped.
    mark_sorted(&mut in_period, s::TRIGGERED_AT)?;
    // alerts.parquet is written on a thread of its own, from the start,
    // and the outputs that read the alerts table alone (counts, template
    // statistics, episodes, the review queue) on another, while the paging
    // load is worked out from the pages: all three read the same (shared,
    // read-only) columns, and none waits for another until the summary.
    std::thread::scope(|scope| {
        let table = &in_period;
        let writer = scope.spawn(move || {
            let t = std::time::Instant::now();
            let done = write_parquet(&out.join("alerts.parquet"), table);
            crate::core::timing::since("report: alerts.parquet (its own thread)", t);
            done
        });
        let (incidents, config, tags) = (&incidents, info.config, info.tags);
        let review_size = info.options.review_size;
        let side =
            scope.spawn(move || table_outputs(out, table, incidents, config, tags, review_size));
        let mut t = std::time::Instant::now();
        let load = pages_of(&alerts).map(|pages_list| {
            lap("report: pages", &mut t);
            drop(alerts);
            paging_load(&pages_list, period, info.config)
        });
        let stopped = |path: PathBuf, what: &str| Error::Output {
            path,
            source: std::io::Error::other(format!("the thread writing {what} stopped")),
        };
        let counts = side.join().unwrap_or_else(|_| {
            Err(stopped(
                out.to_path_buf(),
                "the templates, episodes and review queue",
            ))
        });
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(stopped(out.join("alerts.parquet"), "it")));
        let summary = report(out, &in_period, incidents, load?, counts?, period, info);
        written?;
        summary
    })
}

/// The first and last trigger time (µs) of the table's pages, as
/// [`pages_of`] gives them (paged alerts with a trigger time).
fn paged_range(alerts: &DataFrame) -> Result<Option<(i64, i64)>, Error> {
    let what = "the pages' time range";
    let t = || col(s::TRIGGERED_AT).cast(DataType::Int64);
    let range = alerts
        .clone()
        .lazy()
        .filter(col(s::PAGED))
        .select([t().min().alias("first"), t().max().alias("last")])
        .collect()
        .map_err(Error::polars(what))?;
    let get = |name: &str| {
        range
            .column(name)
            .and_then(|c| c.i64().map(|ca| ca.get(0)))
            .map_err(Error::polars(what))
    };
    Ok(get("first")?.zip(get("last")?))
}

/// The paging load of the period and what the report derives from the
/// pages: the previous period, the weekly trend, the recommendations.
struct Load {
    metrics: metrics::Metrics,
    previous: metrics::Load,
    weekly: Vec<WeekLoad>,
    recommendations: Vec<recommend::Recommendation>,
}

/// The paging load over `period` of `pages_list` (the whole history's
/// pages), the previous period's, and the recommendations.
fn paging_load(
    pages_list: &crate::pages::Pages,
    period: Option<(i64, i64)>,
    config: &crate::config::Config,
) -> Load {
    let (since, until) = period.unwrap_or((0, 0));
    // The recommendations (each a what-if replay) on a thread of their
    // own: they read the pages alone, as the figures below do.
    std::thread::scope(|scope| {
        let recommending = scope.spawn(|| {
            let t = std::time::Instant::now();
            let r = recommend::recommend(pages_list, config, since, until, 10);
            crate::core::timing::since("report: recommendations (their own thread)", t);
            r
        });
        let mut t = std::time::Instant::now();
        let m = metrics::compute(pages_list, config, since, until);
        lap("report: paging load", &mut t);
        let previous = metrics::load_between(pages_list, config, 2 * since - until, since);
        let weekly = weekly_trend(&m);
        lap("report: previous period", &mut t);
        let recommendations = recommending
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        Load {
            metrics: m,
            previous,
            weekly,
            recommendations,
        }
    })
}

/// What the summary counts off the period's alerts table.
struct TableCounts {
    first: Option<i64>,
    last: Option<i64>,
    pages: u64,
    labels: LabelCounts,
    clusters: crate::cluster::Counts,
    per_source: BTreeMap<String, u64>,
    per_team: BTreeMap<String, u64>,
}

/// The outputs that read the period's alerts table alone: its counts,
/// `templates.csv` and `.parquet`, `episodes.parquet`, `review.csv` and
/// `incidents.parquet`.
fn table_outputs(
    out: &Path,
    alerts: &DataFrame,
    incidents: &DataFrame,
    config: &crate::config::Config,
    tags: Option<&Tags>,
    review_size: usize,
) -> Result<TableCounts, Error> {
    let mut t = std::time::Instant::now();
    let stats = crate::cluster::template_stats(alerts, config)?;
    write_csv(&out.join("templates.csv"), &stats)?;
    write_parquet(&out.join("templates.parquet"), &stats)?;
    lap("report: template statistics", &mut t);
    let episodes = crate::cluster::episodes(alerts)?;
    write_parquet(&out.join("episodes.parquet"), &episodes)?;
    lap("report: episodes", &mut t);
    let range = alerts
        .clone()
        .lazy()
        .select([
            col(s::TRIGGERED_AT)
                .min()
                .dt()
                .timestamp(TimeUnit::Microseconds)
                .alias("first"),
            col(s::TRIGGERED_AT)
                .max()
                .dt()
                .timestamp(TimeUnit::Microseconds)
                .alias("last"),
            col(s::PAGED).sum().cast(DataType::UInt64).alias("pages"),
        ])
        .collect()
        .map_err(Error::polars("the time range"))?;
    let get_i64 = |name: &str| {
        range
            .column(name)
            .ok()
            .and_then(|c| c.i64().ok().and_then(|ca| ca.get(0)))
    };
    let counts = TableCounts {
        first: get_i64("first"),
        last: get_i64("last"),
        pages: range
            .column("pages")
            .ok()
            .and_then(|c| c.u64().ok().and_then(|ca| ca.get(0)))
            .unwrap_or(0),
        labels: label_counts(alerts)?,
        clusters: crate::cluster::counts(alerts, &stats, &episodes)?,
        per_source: counts_by(alerts, s::SOURCE)?,
        per_team: counts_by(alerts, s::TEAM)?,
    };
    lap("report: counts", &mut t);
    review::write(&out.join("review.csv"), alerts, tags, review_size)?;
    lap("report: review.csv", &mut t);
    write_parquet(&out.join("incidents.parquet"), incidents)?;
    Ok(counts)
}

/// The summary of the period's `alerts` from its paging load and counts;
/// writes the tables, `report.md` and `summary.json`.
fn report(
    out: &Path,
    alerts: &DataFrame,
    incidents: &DataFrame,
    load: Load,
    counts: TableCounts,
    period: Option<(i64, i64)>,
    info: RunInfo<'_>,
) -> Result<Summary, Error> {
    let mut t = std::time::Instant::now();
    let Load {
        metrics: mut m,
        previous,
        weekly,
        recommendations,
    } = load;
    if info.options.redact {
        redact(&mut m);
    }
    let (labels, clusters, pages) = (counts.labels, counts.clusters, counts.pages);
    let summary = Summary {
        schema_version: SUMMARY_VERSION,
        records: info.inputs.iter().map(|i| i.records).sum(),
        rejected: info.inputs.iter().map(|i| i.rejected).sum(),
        inputs: info.inputs,
        skipped_files: info.skipped_files,
        store: info.store,
        alerts: alerts.height() as u64,
        incidents: incidents.height() as u64,
        alerts_per_source: counts.per_source,
        alerts_per_team: counts.per_team,
        pages,
        time_range: TimeRange {
            first: counts.first.map(rfc3339_utc),
            last: counts.last.map(rfc3339_utc),
        },
        actionable: labels.actionable,
        noise: labels.noise,
        noise_ratio: share(labels.noise, alerts.height() as u64),
        page_noise_ratio: share(labels.noise_pages, pages),
        reasons: labels.reasons,
        evaluation: info.evaluation,
        templates: clusters.templates,
        episodes: clusters.episodes,
        compression: clusters.compression,
        exact_duplicates: clusters.exact_duplicates,
        period: TimeRange {
            first: period.map(|(a, _)| rfc3339_utc(a)),
            last: period.map(|(_, b)| rfc3339_utc(b)),
        },
        interruptions: m.all.interruptions,
        disrupted_hours: m.all.disrupted_hours,
        mtta_seconds: m.all.mtta_seconds,
        mttr_seconds: m.all.mttr_seconds,
        unacknowledged_pages: m.all.unacknowledged,
        toil_hours: m.all.toil_hours,
        toil_share: m.toil_share,
        shifts_over_target: m.shifts_over_target,
        max_pages_per_shift: m.max_pages_per_shift,
        teams: m.teams.clone(),
        responders: m.responders.clone(),
        recommendations,
        previous_period: previous,
        weekly,
        pages_by_weekday_hour: m.weekday_hours.clone(),
    };
    document::write_tables(&out.join("tables"), &m)?;
    document::write_recommendations(&out.join("tables"), &summary.recommendations)?;
    document::write_weekly(&out.join("tables"), &summary.weekly)?;
    document::write_markdown(&out.join("report.md"), &summary, &m, &info.config.targets)?;
    let json = serde_json::to_vec_pretty(&summary).unwrap_or_default();
    let path = out.join("summary.json");
    write_atomic(&path, |f| {
        use std::io::Write;
        f.write_all(&json)?;
        f.write_all(b"\n")
    })?;
    lap("report: tables, report.md", &mut t);
    Ok(summary)
}

/// Flag `column` as sorted ascending if its values are (nulls first), so
/// polars skips sorting by it again.
fn mark_sorted(df: &mut DataFrame, column: &str) -> Result<(), Error> {
    let what = "the trigger-time order";
    let Ok(c) = df.column(column) else {
        return Ok(());
    };
    let t = c.cast(&DataType::Int64).map_err(Error::polars(what))?;
    let t = t.i64().map_err(Error::polars(what))?;
    let mut last = None;
    for v in t.iter() {
        if v < last {
            return Ok(());
        }
        last = v;
    }
    let mut c = c.clone();
    c.set_sorted_flag(polars::series::IsSorted::Ascending);
    df.with_column(c).map_err(Error::polars(what))?;
    Ok(())
}

fn share(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

#[derive(Default)]
struct LabelCounts {
    actionable: u64,
    noise: u64,
    noise_pages: u64,
    reasons: BTreeMap<String, u64>,
}

fn label_counts(df: &DataFrame) -> Result<LabelCounts, Error> {
    let what = "the label counts";
    let label = df
        .column(s::LABEL)
        .and_then(|c| c.str().cloned())
        .map_err(Error::polars(what))?;
    let paged = df
        .column(s::PAGED)
        .and_then(|c| c.bool().cloned())
        .map_err(Error::polars(what))?;
    let (reasons, _) = crate::pages::list_values(df, s::REASONS, what)?;
    let mut out = LabelCounts {
        reasons: REASONS.iter().map(|r| (r.to_string(), 0)).collect(),
        ..LabelCounts::default()
    };
    for (l, p) in label.iter().zip(paged.iter()) {
        match l {
            Some("noise") => {
                out.noise += 1;
                if p == Some(true) {
                    out.noise_pages += 1;
                }
            }
            Some(_) => out.actionable += 1,
            None => {}
        }
    }
    // Every row's codes (`list_values` gives the rows' strings and no
    // others).
    for (code, n) in crate::core::intern::value_counts(&reasons) {
        *out.reasons.entry(code.to_string()).or_insert(0) += n;
    }
    Ok(out)
}

/// Write a small frame as CSV (header, then rows; floats with at most
/// three decimals, nulls empty).
pub fn write_csv(path: &Path, df: &DataFrame) -> Result<(), Error> {
    let cols = df.columns();
    write_atomic(path, |f| {
        let mut w = csv::Writer::from_writer(f);
        let err = |e: csv::Error| std::io::Error::other(e.to_string());
        w.write_record(cols.iter().map(|c| c.name().as_str()))
            .map_err(err)?;
        for i in 0..df.height() {
            let row: Vec<String> = cols
                .iter()
                .map(|c| match c.get(i) {
                    Ok(AnyValue::Null) | Err(_) => String::new(),
                    Ok(AnyValue::Float64(v)) => {
                        let t = format!("{v:.3}");
                        t.trim_end_matches('0').trim_end_matches('.').to_string()
                    }
                    Ok(AnyValue::String(v)) => v.to_string(),
                    Ok(AnyValue::StringOwned(v)) => v.to_string(),
                    Ok(v) => v.to_string(),
                })
                .collect();
            w.write_record(&row).map_err(err)?;
        }
        w.flush()
    })?;
    Ok(())
}

/// Write a frame as Parquet, atomically (see [`parquet`]). LZ4 (raw): as
/// small as Snappy on the alerts table and a quarter faster to write; every
/// current Parquet reader (polars, pyarrow, DuckDB, Spark) reads it.
pub fn write_parquet(path: &Path, df: &DataFrame) -> Result<(), Error> {
    write_atomic(path, |f| {
        parquet::write(f, df).map_err(std::io::Error::other)
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The flag goes on a column in order (nulls first) and on no other.
    #[test]
    fn only_ordered_trigger_times_are_flagged() {
        use polars::series::IsSorted;
        let flag = |v: Vec<Option<i64>>| {
            let mut df = DataFrame::new_infer_height(vec![Column::new("t".into(), v)]).unwrap();
            mark_sorted(&mut df, "t").unwrap();
            df.column("t").unwrap().is_sorted_flag()
        };
        assert_eq!(
            flag(vec![None, Some(1), Some(1), Some(5)]),
            IsSorted::Ascending
        );
        assert_eq!(flag(vec![Some(1), Some(3), Some(2)]), IsSorted::Not);
        assert_eq!(flag(vec![Some(1), None, Some(2)]), IsSorted::Not);
        assert_eq!(flag(vec![]), IsSorted::Ascending);
    }
}
