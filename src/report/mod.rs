//! Report: what a run writes, from what the stages made of it
//! ([`Analysis`]).
//!
//! `DIR/alerts.parquet` and `DIR/incidents.parquet` are the canonical tables
//! (plain Parquet any engine reads); `DIR/summary.json` says what went in and
//! what came out ([`write`] assembles it); `DIR/rejects.csv` lists the
//! records that could not be read. The same inputs give the same bytes:
//! nothing here depends on the clock or on where a temporary store lived.

use std::collections::BTreeMap;
use std::path::Path;

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
pub use crate::metrics::period::PeriodSpec;
use crate::store::MergeStats;
use crate::whatif::recommend::Recommendation;

pub mod document;
pub mod explain;
pub mod kpis;
pub mod review;
pub mod sections;
pub mod whatif;

/// Version of `summary.json`'s layout.
pub const SUMMARY_VERSION: u32 = 5;

/// The report's charts, `DIR/charts/FILE` (the chart stage draws them):
/// file name and title (the toil chart's names `[targets] toil_share`).
pub fn charts(targets: &crate::config::Targets) -> [(&'static str, String); 8] {
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
            "fairness.svg",
            "Interruptions per person against their team's mean".into(),
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
        (KPI_CHART, "The reliability-review KPIs by week".into()),
    ]
}

/// The chart of the KPIs by week: in the KPI section (which opens a
/// quarterly review), not among the others.
pub const KPI_CHART: &str = "kpis-per-week.svg";

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
    /// How evenly interruptions fell on the people reached and the shift
    /// holders (per team: `teams.<name>.fairness`).
    pub fairness: metrics::Fairness,
    /// What the schedule exports gave the run, when any were given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedules: Option<Schedules>,
    /// 12-hour shifts with more than 2 pages (the SRE book's target).
    pub shifts_over_target: u64,
    /// Most pages in one 12-hour shift.
    pub max_pages_per_shift: u64,
    /// The same figures per team.
    pub teams: BTreeMap<String, metrics::Load>,
    /// The same figures per person interrupted.
    pub responders: BTreeMap<String, metrics::Load>,
    /// What to fix first: the ten noisy templates that cost the most toil.
    pub recommendations: Vec<Recommendation>,
    /// The same headline figures for the period of the same length just
    /// before (for the deltas).
    pub previous_period: metrics::Load,
    /// Headline figures per ISO week (Monday 00:00 UTC) of the period.
    pub weekly: Vec<WeekLoad>,
    /// Pages of the period by local weekday (rows, Monday first) and hour
    /// of the day (columns, 0–23), in each page's team zone.
    pub pages_by_weekday_hour: Vec<Vec<u64>>,
    /// The reliability-review KPIs (issue #29): repeat incidents so far.
    pub kpis: Kpis,
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
    // Everyone named: the people reached and the shift holders, in name
    // order.
    let mut everyone: std::collections::BTreeSet<String> = m.responders.keys().cloned().collect();
    everyone.extend(m.fairness.members.iter().map(|p| p.name.clone()));
    let mut n = 0;
    let new: BTreeMap<String, String> = everyone
        .into_iter()
        .map(|name| {
            let key = if name.ends_with(" on-call") {
                name.clone()
            } else {
                n += 1;
                format!("Responder {n}")
            };
            (name, key)
        })
        .collect();
    let renamed = |name: &str| new.get(name).cloned().unwrap_or_else(|| name.to_string());
    m.responders = std::mem::take(&mut m.responders)
        .into_iter()
        .map(|(name, load)| (renamed(&name), load))
        .collect();
    m.weighted.per_person = std::mem::take(&mut m.weighted.per_person)
        .into_iter()
        .map(|(name, load)| (renamed(&name), load))
        .collect();
    let fairness = std::iter::once(&mut m.fairness)
        .chain(m.teams.values_mut().filter_map(|l| l.fairness.as_mut()));
    for f in fairness {
        for p in &mut f.members {
            p.name = renamed(&p.name);
        }
        f.members.sort_by(|a, b| a.name.cmp(&b.name));
    }
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
    /// What the rule files given gave the runbook coverage.
    pub runbook_rule_files: Option<crate::classify::rule_runbooks::RuleFileCounts>,
}

/// What the stages made of a run, for the report to assemble and write.
#[derive(Debug)]
pub struct Analysis {
    /// The period the paging-load figures cover (`[since, until)`, µs).
    pub period: Option<(i64, i64)>,
    /// Alerts in the analysed table (the period's).
    pub alerts: u64,
    /// Incidents.
    pub incidents: u64,
    /// What the summary counts off the alerts table.
    pub counts: metrics::counts::TableCounts,
    /// Templates, episodes, compression, exact duplicates.
    pub clusters: crate::cluster::Counts,
    /// The paging load of the period.
    pub metrics: metrics::Metrics,
    /// The same headline figures for the period just before.
    pub previous: metrics::PeriodLoad,
    /// What to fix first.
    pub recommendations: Vec<Recommendation>,
    /// What the schedules said, when any were given.
    pub schedules: Option<Schedules>,
    /// The reliability-review KPIs.
    pub kpis: Kpis,
    /// The paging load of the same period two quarters back.
    pub two_quarters_back: metrics::PeriodLoad,
    /// The 7-day repeat incidents of the previous period and of two
    /// quarters back (none without a period).
    pub earlier_repeats: Option<[metrics::repeats::RepeatCount; 2]>,
    /// The 7-day repeat incidents by the ISO week (its Monday, µs) they
    /// were resolved in.
    pub weekly_repeats: BTreeMap<i64, metrics::repeats::RepeatCount>,
}

/// The chains of repeat incidents `summary.json` lists (the longest).
const CHAINS_IN_SUMMARY: usize = 20;

/// The reliability-review KPIs (`summary.json` `kpis`; issue #29).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Kpis {
    /// Share of the period's resolved incidents (with a service) that
    /// another incident of the same service followed within 7 days of
    /// their resolution (null without any resolved incident with a
    /// service).
    pub repeat_incident_rate_7d: Option<f64>,
    /// The same within 30 days.
    pub repeat_incident_rate_30d: Option<f64>,
    /// Over `[kpis] repeat_window` (default 7 days): the counts, per team
    /// and service, and the chains (also `tables/repeat_incidents.csv`).
    pub repeat_incidents: metrics::repeats::Repeats,
    /// The severity-weighted paging load per person per 12-hour shift
    /// (filled in from the metrics when the report is assembled).
    pub weighted_load: metrics::WeightedLoad,
    /// The KPIs in this period, the one before and two quarters back,
    /// against their targets (also `tables/kpis.csv`).
    pub over_periods: kpis::OverPeriods,
    /// The share of the period's pages whose occurrence carried a runbook
    /// link (null without pages).
    pub runbook_coverage_pages: Option<f64>,
    /// Runbook coverage per rule, team and overall (every rule in
    /// `tables/runbooks.csv`).
    pub runbooks: metrics::runbooks::RunbookCoverage,
    /// What the rule files given (`run --rules`) gave the runbook
    /// coverage: files, alerting rules, those with a runbook annotation,
    /// and the alerts with no link of their own that took their rule's
    /// (null without rule files).
    pub runbook_rule_files: Option<crate::classify::rule_runbooks::RuleFileCounts>,
    /// The KPIs of each ISO week of the period (also
    /// `tables/kpis_weekly.csv` and `charts/kpis-per-week.svg`).
    pub weekly: Vec<kpis::KpiWeek>,
}

/// What the schedule exports gave the run (`summary.json` `schedules`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Schedules {
    /// Teams with shifts.
    pub teams: Vec<String>,
    /// Pages of the period whose export named no one reached, given to
    /// the people on call for their team then.
    pub pages_attributed: u64,
    /// Shifts left out: no team could be found for their schedule (name
    /// it in `[teams.X] schedules`).
    pub unplaced_shifts: u64,
    /// Those schedules.
    pub unplaced_schedules: Vec<String>,
}

impl Schedules {
    /// From the roster and the count of pages it attributed.
    pub fn of(roster: &crate::roster::Roster, pages_attributed: u64) -> Schedules {
        let (unplaced_shifts, unplaced) = roster.unplaced();
        Schedules {
            teams: roster.teams().map(str::to_string).collect(),
            pages_attributed,
            unplaced_shifts,
            unplaced_schedules: unplaced.to_vec(),
        }
    }
}

/// What the report wrote: the summary, and the sections of the document
/// (`report.md`; the chart stage renders them again as `report.html`).
#[derive(Debug)]
pub struct Report {
    /// `summary.json`.
    pub summary: Summary,
    /// The sections of `report.md`.
    pub document: Vec<sections::Block>,
}

/// Assemble the summary of a run from its analysis, and write
/// `tables/*.csv`, `report.md` and `summary.json` into `out`.
pub fn write(out: &Path, analysis: Analysis, info: RunInfo<'_>) -> Result<Report, Error> {
    let mut t = std::time::Instant::now();
    let Analysis {
        period,
        alerts,
        incidents,
        counts,
        clusters,
        metrics: mut m,
        previous,
        recommendations,
        schedules,
        kpis,
        two_quarters_back,
        earlier_repeats,
        weekly_repeats,
    } = analysis;
    let weekly = weekly_trend(&m);
    if info.options.redact {
        redact(&mut m);
    }
    let (labels, pages) = (counts.labels, counts.pages);
    // The KPIs: the weighted load from the metrics, the three periods,
    // and the longest chains only (every chain goes to
    // tables/repeat_incidents.csv).
    let mut kpis = kpis;
    kpis.weighted_load = std::mem::take(&mut m.weighted);
    kpis.runbooks = std::mem::take(&mut m.runbooks);
    kpis.runbook_coverage_pages = kpis.runbooks.all.coverage_pages;
    let runbook_rules = std::mem::take(&mut m.runbook_rules);
    kpis.over_periods = kpis::over_periods(
        kpis::Period {
            load: &m.all,
            toil_share: m.toil_share,
            weighted: &kpis.weighted_load,
            repeat_rate: kpis.repeat_incident_rate_7d,
            runbook_tier1: kpis.runbooks.all.coverage_tier1_rules,
        },
        kpis::Period {
            load: &previous.load,
            toil_share: previous.toil_share,
            weighted: &previous.weighted,
            repeat_rate: earlier_repeats.as_ref().and_then(|r| r[0].rate_if_any()),
            runbook_tier1: None,
        },
        kpis::Period {
            load: &two_quarters_back.load,
            toil_share: two_quarters_back.toil_share,
            weighted: &two_quarters_back.weighted,
            repeat_rate: earlier_repeats.as_ref().and_then(|r| r[1].rate_if_any()),
            runbook_tier1: None,
        },
        &info.config.targets,
    );
    let weeks: Vec<(String, i64, &metrics::Load, &metrics::WeekKpis)> = weekly
        .iter()
        .zip(&m.weekly)
        .zip(&m.weekly_kpis)
        .map(|((w, (monday, load)), extra)| (w.week.clone(), *monday, load, extra))
        .collect();
    kpis.weekly = kpis::weekly(&weeks, &weekly_repeats);
    kpis.runbook_rule_files = info.runbook_rule_files.clone();
    let all_chains = std::mem::take(&mut kpis.repeat_incidents.chains);
    kpis.repeat_incidents.chains = all_chains.iter().take(CHAINS_IN_SUMMARY).cloned().collect();
    let summary = Summary {
        schema_version: SUMMARY_VERSION,
        records: info.inputs.iter().map(|i| i.records).sum(),
        rejected: info.inputs.iter().map(|i| i.rejected).sum(),
        inputs: info.inputs,
        skipped_files: info.skipped_files,
        store: info.store,
        alerts,
        incidents,
        alerts_per_source: counts.per_source,
        alerts_per_team: counts.per_team,
        pages,
        time_range: TimeRange {
            first: counts.first.map(rfc3339_utc),
            last: counts.last.map(rfc3339_utc),
        },
        actionable: labels.actionable,
        noise: labels.noise,
        noise_ratio: share(labels.noise, alerts),
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
        fairness: m.fairness.clone(),
        schedules,
        shifts_over_target: m.shifts_over_target,
        max_pages_per_shift: m.max_pages_per_shift,
        teams: m.teams.clone(),
        responders: m.responders.clone(),
        recommendations,
        previous_period: previous.load,
        weekly,
        pages_by_weekday_hour: m.weekday_hours.clone(),
        kpis,
    };
    document::write_tables(&out.join("tables"), &m)?;
    document::write_fairness(&out.join("tables"), &m)?;
    document::write_recommendations(&out.join("tables"), &summary.recommendations)?;
    document::write_weekly(&out.join("tables"), &summary.weekly)?;
    document::write_repeat_chains(&out.join("tables"), &all_chains)?;
    document::write_runbooks(&out.join("tables"), &runbook_rules)?;
    document::write_kpis(&out.join("tables"), &summary.kpis.over_periods)?;
    document::write_kpis_weekly(&out.join("tables"), &summary.kpis.weekly)?;
    let quarterly = info.options.period == PeriodSpec::LatestQuarter;
    let doc = sections::document(&summary, &m, &info.config.targets, quarterly);
    document::write_markdown(&out.join("report.md"), &doc)?;
    let json = serde_json::to_vec_pretty(&summary).unwrap_or_default();
    let path = out.join("summary.json");
    write_atomic(&path, |f| {
        use std::io::Write;
        f.write_all(&json)?;
        f.write_all(b"\n")
    })?;
    lap("report: tables, report.md", &mut t);
    Ok(Report {
        summary,
        document: doc,
    })
}

fn share(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
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

/// Write a frame as Parquet, atomically (see [`crate::parquet`]). LZ4 (raw): as
/// small as Snappy on the alerts table and a quarter faster to write; every
/// current Parquet reader (polars, pyarrow, DuckDB, Spark) reads it.
pub fn write_parquet(path: &Path, df: &DataFrame) -> Result<(), Error> {
    write_atomic(path, |f| {
        crate::parquet::write(f, df).map_err(std::io::Error::other)
    })?;
    Ok(())
}
