//! The jobs the command line runs: `ingest` and `run`, glued from the stages.

use std::path::{Path, PathBuf};

use polars::prelude::{DataFrame, IntoLazy, LazyFrame};

use crate::classify::{self, evaluate, tags::Tags, Weights};
use crate::config::Config;
use crate::core::timing;
use crate::error::{Error, IngestError};
use crate::ingest::{self, Format, IngestOptions, Input, InputReport};
use crate::report::{self, Summary};
use crate::roster::Roster;
use crate::store::{write_rejects, MergeStats, Store};
use crate::{cluster, metrics, whatif};

/// Inputs after directories were expanded.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// Files to ingest, in order.
    pub files: Vec<Input>,
    /// Files in directories that matched no format (with the reason).
    pub skipped: Vec<String>,
    /// An `alertsift.toml` found in an input directory.
    pub config_in_dir: Option<PathBuf>,
}

/// Expand the command line's paths: a file is taken as given (an unknown
/// format is then an error); a directory contributes its files, sorted by
/// name, skipping hidden files and files that match no format (listed in the
/// summary), and offers its `alertsift.toml` as the config.
pub fn expand_inputs(
    paths: &[PathBuf],
    format: Option<Format>,
    has_mapping: bool,
) -> Result<Inputs, Error> {
    let mut out = Inputs::default();
    for path in paths {
        if !path.is_dir() {
            out.files.push(Input {
                path: path.clone(),
                format,
            });
            continue;
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|source| IngestError::Io {
                path: path.clone(),
                source,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        entries.sort();
        for file in entries {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            if name.starts_with('.') {
                continue;
            }
            if name == "alertsift.toml" {
                out.config_in_dir.get_or_insert(file);
                continue;
            }
            if format.is_some() {
                out.files.push(Input { path: file, format });
                continue;
            }
            match ingest::detect(&file, has_mapping) {
                Ok(_) => out.files.push(Input {
                    path: file,
                    format: None,
                }),
                Err(IngestError::UnknownFormat { .. }) => {
                    out.skipped.push(format!(
                        "{}: {}",
                        file.display(),
                        ingest::not_an_export(&file).unwrap_or("matches no known export format")
                    ));
                }
                Err(IngestError::Empty { .. }) => {
                    out.skipped.push(format!("{}: empty", file.display()));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(out)
}

/// Read the inputs, streaming alert rows into the store's spool, then merge.
fn ingest_and_commit(
    store: &Store,
    files: &[Input],
    config: &Config,
    options: &IngestOptions,
) -> Result<(ingest::Batch, MergeStats), Error> {
    let mut spool = store.spool()?;
    let batch = ingest::ingest_with(files, config, options, &mut spool)?;
    let t = std::time::Instant::now();
    let incidents = batch.incidents.clone();
    let shifts = batch.shifts.clone();
    let stats = store.commit(spool, incidents, shifts, &batch.late)?;
    crate::core::timing::since("commit", t);
    Ok((batch, stats))
}

/// What an ingest did.
#[derive(Debug, Clone)]
pub struct IngestOutcome {
    /// Per input.
    pub inputs: Vec<InputReport>,
    /// What the merge did.
    pub stats: MergeStats,
    /// Where the rejects were written.
    pub rejects_path: PathBuf,
    /// How many records were rejected.
    pub rejected: u64,
}

/// Ingest files into a store, writing the rejects next to it.
pub fn ingest_into(
    store: &Store,
    files: &[Input],
    config: &Config,
    options: &IngestOptions,
) -> Result<IngestOutcome, Error> {
    let (batch, stats) = ingest_and_commit(store, files, config, options)?;
    let rejected = batch.rejects.len() as u64;
    let rejects_path = store.write_rejects(&batch.rejects)?;
    Ok(IngestOutcome {
        inputs: batch.inputs,
        stats,
        rejects_path,
        rejected,
    })
}

/// What `run` and `whatif` work on: the inputs, where to write, the store
/// (or a temporary one), the configuration, how to read, and human tags.
#[derive(Debug, Clone, Copy)]
pub struct Job<'a> {
    /// The expanded inputs.
    pub inputs: &'a Inputs,
    /// The output directory.
    pub out: &'a Path,
    /// The store; `None`: a temporary store holding the inputs only.
    pub store_dir: Option<&'a Path>,
    /// The configuration.
    pub config: &'a Config,
    /// How to read the inputs.
    pub options: &'a IngestOptions,
    /// Human tags, if any.
    pub tags: Option<&'a Tags>,
    /// The runbook annotations of the rule files given (`run --rules`).
    pub rule_runbooks: Option<&'a crate::classify::rule_runbooks::RuleRunbooks>,
}

/// What `run` did.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// The summary written to `summary.json`.
    pub summary: Summary,
    /// The rejects file in the output directory.
    pub rejects_path: PathBuf,
}

/// The paging load of `period` and of the period just before, beside the
/// recommendations (each a what-if replay) on a thread of their own: both
/// read the pages alone.
fn metrics_and_recommendations(
    pages: &crate::pages::Pages,
    period: Option<(i64, i64)>,
    config: &Config,
    roster: &Roster,
) -> (
    metrics::Metrics,
    [metrics::PeriodLoad; 2],
    Vec<whatif::recommend::Recommendation>,
) {
    let (since, until) = period.unwrap_or((0, 0));
    std::thread::scope(|scope| {
        let recommending = scope.spawn(|| {
            let t = std::time::Instant::now();
            let r = whatif::recommend::recommend(pages, config, since, until, 10);
            timing::since("report: recommendations (their own thread)", t);
            r
        });
        let mut t = std::time::Instant::now();
        let m = metrics::compute(pages, config, since, until, roster);
        timing::lap("report: paging load", &mut t);
        let previous = metrics::load_between(pages, config, 2 * since - until, since, roster);
        let back = report::kpis::two_quarters_back(since, until);
        let two_quarters_back = metrics::load_between(pages, config, back.0, back.1, roster);
        timing::lap("report: previous period, two quarters back", &mut t);
        let recommendations = recommending
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (m, [previous, two_quarters_back], recommendations)
    })
}

/// The main job, stage by stage: ingest into `store_dir` (or a temporary
/// store) → classify (lazy) → one collect → the period → cluster, pages →
/// metrics and the recommendations (what-if replays) → the report → the
/// charts. Every stage takes plain values and returns one; the threads are
/// started here.
pub fn run(job: &Job<'_>, report_options: &report::ReportOptions) -> Result<RunOutcome, Error> {
    let (inputs, out, config, tags) = (job.inputs, job.out, job.config, job.tags);
    let (store, _temp) = open_store(job.store_dir)?;
    let (batch, stats) = ingest_and_commit(&store, &inputs.files, config, job.options)?;
    let rejects_path = write_run_rejects(out, &store, &batch.rejects)?;
    let t = std::time::Instant::now();
    let (labelled, evaluation) = classify_all(&store, config, tags)?;
    let (alerts, incidents) = collect(labelled, store.incidents()?)?;
    // Alerts that carried no runbook link take their rule's, where rule
    // files are given.
    let (alerts, runbook_rule_files) = match job.rule_runbooks {
        Some(rules) => {
            let (alerts, given) = crate::classify::rule_runbooks::fill(alerts, rules)?;
            let mut counts = rules.counts.clone();
            counts.alerts_given_one = given;
            (alerts, Some(counts))
        }
        None => (alerts, None),
    };
    let roster = roster_of(&store, config, || {
        Ok(vec![alerts.clone(), incidents.clone()])
    })?;
    let spec = report_options.period;
    let period = metrics::period::resolve(spec, metrics::period::paged_range(&alerts)?);
    let mut in_period = metrics::period::alerts_in(&alerts, spec, period)?;
    // The store keeps alerts in trigger-time order: say so on the column,
    // and the sorts by it below (the template statistics) are skipped.
    crate::core::frame::mark_sorted(&mut in_period, crate::schema::TRIGGERED_AT)?;
    let review_size = report_options.review_size;
    let analysis = analyse(
        out,
        alerts,
        &in_period,
        &incidents,
        &roster,
        period,
        config,
        tags,
        review_size,
    )?;
    let written = report::write(
        out,
        analysis,
        report::RunInfo {
            inputs: batch.inputs,
            skipped_files: inputs.skipped.clone(),
            store: stats,
            evaluation,
            tags,
            options: report_options,
            config,
            runbook_rule_files,
        },
    )?;
    let charts = std::time::Instant::now();
    crate::chart::report::write(out, &written, &config.targets)?;
    let summary = written.summary;
    timing::since("report: charts, report.html", charts);
    timing::since("classify and report", t);
    Ok(RunOutcome {
        summary,
        rejects_path,
    })
}

/// The rejects into the store's file and `out/rejects.csv` (`out` made).
fn write_run_rejects(
    out: &Path,
    store: &Store,
    rejects: &[ingest::Reject],
) -> Result<PathBuf, Error> {
    store.write_rejects(rejects)?;
    std::fs::create_dir_all(out).map_err(|source| Error::Output {
        path: out.to_path_buf(),
        source,
    })?;
    let rejects_path = out.join("rejects.csv");
    write_rejects(&rejects_path, rejects)?;
    Ok(rejects_path)
}

/// Who was on call: the store's schedule shifts, each schedule given to its
/// team (the configuration's, else a team of `frames` — the alerts and the
/// incidents, asked for only when there are shifts — or of the
/// configuration whose name its name contains). Empty without shifts.
fn roster_of(
    store: &Store,
    config: &Config,
    frames: impl FnOnce() -> Result<Vec<DataFrame>, Error>,
) -> Result<Roster, Error> {
    let shifts = store
        .shifts()?
        .collect()
        .map_err(Error::polars("the schedule shifts"))?;
    if shifts.height() == 0 {
        return Ok(Roster::default());
    }
    let mut teams: Vec<String> = config.teams.keys().cloned().collect();
    for df in &frames()? {
        let unique = df
            .column(crate::schema::TEAM)
            .and_then(|c| c.unique())
            .map_err(Error::polars("the teams"))?;
        let unique = unique.str().map_err(Error::polars("the teams"))?;
        teams.extend(unique.iter().flatten().map(str::to_string));
    }
    teams.sort();
    teams.dedup();
    let names: Vec<&str> = teams.iter().map(String::as_str).collect();
    Roster::of(&shifts, &names, config)
}

/// The one collect: the labelled alerts and the incidents.
fn collect(labelled: LazyFrame, incidents: LazyFrame) -> Result<(DataFrame, DataFrame), Error> {
    let t = std::time::Instant::now();
    let alerts = labelled
        .collect()
        .map_err(Error::polars("the alerts table"))?;
    timing::since("classify (collect the alerts table)", t);
    let incidents = incidents
        .collect()
        .map_err(Error::polars("the incidents table"))?;
    Ok((alerts, incidents))
}

/// The stages between the collect and the report, on three threads that
/// share the (read-only) tables: `alerts.parquet` is written from the start;
/// the cluster stage (template statistics, episodes) and the table counts
/// run beside the paging load, and the outputs that read the alerts table
/// alone are written as they are ready (template tables, episodes, the
/// review queue, incidents); the recommendations (what-if replays) run on a
/// thread of their own beside the metrics. The pages come from the whole
/// history (`alerts`): the previous period is the one before `period`.
#[allow(clippy::too_many_arguments)]
fn analyse(
    out: &Path,
    alerts: DataFrame,
    in_period: &DataFrame,
    incidents: &DataFrame,
    roster: &Roster,
    period: Option<(i64, i64)>,
    config: &Config,
    tags: Option<&Tags>,
    review_size: usize,
) -> Result<report::Analysis, Error> {
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || {
            let t = std::time::Instant::now();
            let done = report::write_parquet(&out.join("alerts.parquet"), in_period);
            timing::since("report: alerts.parquet (its own thread)", t);
            done
        });
        let side = scope.spawn(move || -> Result<_, Error> {
            let mut t = std::time::Instant::now();
            let stats = cluster::template_stats(in_period, config)?;
            report::write_csv(&out.join("templates.csv"), &stats)?;
            report::write_parquet(&out.join("templates.parquet"), &stats)?;
            timing::lap("report: template statistics", &mut t);
            let episodes = cluster::episodes(in_period)?;
            report::write_parquet(&out.join("episodes.parquet"), &episodes)?;
            timing::lap("report: episodes", &mut t);
            let rules = cluster::rules::rules(in_period, incidents, period, config)?;
            report::write_csv(&out.join("rules.csv"), &rules)?;
            timing::lap("report: rules", &mut t);
            let clusters = cluster::counts(in_period, &stats, &episodes)?;
            let counts = metrics::counts::table_counts(in_period)?;
            timing::lap("report: counts", &mut t);
            report::review::write(&out.join("review.csv"), in_period, tags, review_size)?;
            timing::lap("report: review.csv", &mut t);
            report::write_parquet(&out.join("incidents.parquet"), incidents)?;
            let day = std::time::Duration::from_secs(86_400);
            let prepared = metrics::repeats::prepare(incidents)?;
            // The 7-day rate of the previous period and of two quarters back.
            let rate_in = |p: Option<(i64, i64)>| prepared.count(p, 7 * day, false).all;
            let earlier = period.map(|(a, b)| {
                let back = report::kpis::two_quarters_back(a, b);
                [rate_in(Some((2 * a - b, a))), rate_in(Some(back))]
            });
            let weekly_repeats = prepared.by_week(7 * day);
            let kpis = report::Kpis {
                repeat_incident_rate_7d: rate_in(period).rate_if_any(),
                repeat_incident_rate_30d: prepared.count(period, 30 * day, false).all.rate_if_any(),
                repeat_incidents: prepared.count(period, config.kpis.repeat_window, true),
                weighted_load: Default::default(),
                over_periods: Default::default(),
                runbook_coverage_pages: None,
                runbooks: Default::default(),
                runbook_rule_files: None,
                weekly: Vec::new(),
            };
            timing::lap("report: repeat incidents", &mut t);
            Ok((clusters, counts, kpis, earlier, weekly_repeats))
        });
        let mut t = std::time::Instant::now();
        let load = crate::pages::pages_of(&alerts, roster).map(|pages| {
            timing::lap("report: pages", &mut t);
            drop(alerts);
            let (since, until) = period.unwrap_or((0, 0));
            let attributed = metrics::in_period(&pages.list, since, until)
                .filter(|p| p.attributed())
                .count() as u64;
            let (m, previous, recommendations) =
                metrics_and_recommendations(&pages, period, config, roster);
            (m, previous, recommendations, attributed)
        });
        let stopped = |path: PathBuf, what: &str| Error::Output {
            path,
            source: std::io::Error::other(format!("the thread writing {what} stopped")),
        };
        let side = side.join().unwrap_or_else(|_| {
            Err(stopped(
                out.to_path_buf(),
                "the templates, episodes and review queue",
            ))
        });
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(stopped(out.join("alerts.parquet"), "it")));
        let (metrics, [previous, two_quarters_back], recommendations, attributed) = load?;
        let (clusters, counts, kpis, earlier_repeats, weekly_repeats) = side?;
        written?;
        Ok(report::Analysis {
            period,
            alerts: in_period.height() as u64,
            incidents: incidents.height() as u64,
            counts,
            clusters,
            metrics,
            previous,
            recommendations,
            schedules: (!roster.is_empty()).then(|| report::Schedules::of(roster, attributed)),
            kpis,
            two_quarters_back,
            earlier_repeats,
            weekly_repeats,
        })
    })
}

/// The store `store_dir`, or a temporary one (removed when the returned
/// guard drops).
fn open_store(store_dir: Option<&Path>) -> Result<(Store, Option<tempfile::TempDir>), Error> {
    match store_dir {
        Some(dir) => Ok((Store::open(dir)?, None)),
        None => {
            let temp = tempfile::Builder::new()
                .prefix("alertsift-store-")
                .tempdir()
                .map_err(|source| Error::Output {
                    path: std::env::temp_dir(),
                    source,
                })?;
            Ok((Store::open(temp.path())?, Some(temp)))
        }
    }
}

/// What `whatif` did.
#[derive(Debug, Clone)]
pub struct WhatIfOutcome {
    /// What was written to whatif.json.
    pub result: whatif::WhatIf,
    /// Per input (empty when only the store was read).
    pub inputs: Vec<InputReport>,
    /// Records rejected, listed in `out/rejects.csv`.
    pub rejected: u64,
    /// The rejects file.
    pub rejects_path: PathBuf,
}

/// `whatif`: ingest the inputs (into `store_dir` or a temporary store),
/// label every alert, replay the pages under each policy and the sweep, and
/// write whatif.json, whatif.csv, whatif.md, whatif.svg and whatif.png into
/// `out`.
pub fn whatif(
    job: &Job<'_>,
    policies: &[whatif::Policy],
    sweep: Option<&whatif::SweepSpec>,
) -> Result<WhatIfOutcome, Error> {
    let (inputs, out, config, tags) = (job.inputs, job.out, job.config, job.tags);
    let progress = job.options.progress;
    let (store, _temp) = open_store(job.store_dir)?;
    let (batch, _) = ingest_and_commit(&store, &inputs.files, config, job.options)?;
    std::fs::create_dir_all(out).map_err(|source| Error::Output {
        path: out.to_path_buf(),
        source,
    })?;
    let rejects_path = out.join("rejects.csv");
    write_rejects(&rejects_path, &batch.rejects)?;
    let (alerts, _) = classify_all(&store, config, tags)?;
    let t = std::time::Instant::now();
    let mut df = alerts
        .filter(polars::prelude::col(crate::schema::PAGED).eq(polars::prelude::lit(true)))
        .select(crate::pages::PAGE_COLUMNS.map(polars::prelude::col))
        .collect()
        .map_err(Error::polars("the pages"))?;
    crate::core::timing::since("whatif: classify and collect the pages", t);
    if df.height() == 0 && inputs.files.is_empty() {
        return Err(Error::Input {
            path: store.dir().to_path_buf(),
            message: "the store holds no pages to replay (a new or empty store?)".into(),
        });
    }
    let t = std::time::Instant::now();
    // One chunk per column: reading row i is then a direct index.
    df.rechunk_mut_par();
    let roster = roster_of(&store, config, || {
        Ok(vec![
            df.clone(),
            store
                .incidents()?
                .collect()
                .map_err(Error::polars("the incidents table"))?,
        ])
    })?;
    let pages = crate::pages::pages_of(&df, &roster)?;
    drop(df);
    crate::core::timing::since("whatif: pages from the frame", t);
    let t = std::time::Instant::now();
    let steps = policies.len() as u64
        + u64::from(policies.len() > 1)
        + sweep.map_or(0, |s| s.values.len() as u64);
    let bar = if progress {
        indicatif::ProgressBar::new(steps).with_message("replaying")
    } else {
        indicatif::ProgressBar::hidden()
    };
    let result = whatif::analyse(&pages, policies, sweep, config, &|| bar.inc(1));
    bar.finish_and_clear();
    crate::core::timing::since("whatif: replay", t);
    report::whatif::write(out, &result)?;
    crate::chart::whatif::write(out, &result)?;
    Ok(WhatIfOutcome {
        result,
        inputs: batch.inputs,
        rejected: batch.rejects.len() as u64,
        rejects_path,
    })
}

/// Classify everything the store holds. With tags: evaluate the rules
/// against them, fit the score's weights to them, and label the untagged
/// alerts with the fitted model (tagged ones keep their tag).
pub fn classify_all(
    store: &Store,
    config: &Config,
    tags: Option<&Tags>,
) -> Result<(LazyFrame, Option<evaluate::Evaluation>), Error> {
    let t = std::time::Instant::now();
    let features = classify::features(store.alerts()?, store.incidents()?, config)?;
    crate::core::timing::since("classify (plan)", t);
    let Some(tags) = tags else {
        let cut = config.classify.score_cut;
        return Ok((
            classify::score(features, &Weights::default(), None, None, cut),
            None,
        ));
    };
    let df = features
        .collect()
        .map_err(Error::polars("the alert features"))?;
    let (x, y, folds, rules, families) = tagged_features(&df, tags)?;
    let th = &config.classify;
    let mut e = evaluate::evaluate(&x, &y, &folds, FOLDS, th.score_cut);
    e.unmatched_tags = (tags.labels.len() - x.len()) as u64;
    e.rule_tags_cv_macro_f1 = evaluate::rule_tags_cv(
        &x,
        &y,
        &rules,
        &families,
        &folds,
        FOLDS,
        th.score_cut,
        th.rule_tags_min,
        th.rule_tags_agreement,
    );
    // Fitted weights only from tags of both labels, enough of each.
    let noise_tags = y.iter().filter(|n| **n).count();
    let enough = |n: usize| n >= th.fit_min_tags as usize;
    let weights = if enough(noise_tags) && enough(y.len() - noise_tags) {
        evaluate::weights_of(&e)
    } else {
        e.fitted = false;
        Weights::default()
    };
    // Tags teach their rule: the label each rule's tags agree on; a rule
    // with none of its own takes its family's (similar rules).
    let taught = taught_rules(&df, &rules, &families, &y, th)?;
    Ok((
        classify::score(
            df.lazy(),
            &weights,
            Some(&tags.labels),
            Some(&taught),
            th.score_cut,
        ),
        Some(e),
    ))
}

/// What tags teach ([`evaluate::taught`]) over the history's templates.
fn taught_rules(
    df: &DataFrame,
    rules: &[Option<String>],
    families: &[Option<String>],
    y: &[bool],
    th: &crate::config::Thresholds,
) -> Result<std::collections::HashMap<String, String>, Error> {
    let what = "the templates";
    let ids = str_column(df, crate::schema::TEMPLATE_ID, what)?;
    let texts = str_column(df, crate::schema::TEMPLATE, what)?;
    let templates = ids
        .iter()
        .zip(texts.iter())
        .filter_map(|(id, text)| id.zip(text));
    Ok(evaluate::taught(
        templates,
        rules,
        families,
        y,
        th.rule_tags_min,
        th.rule_tags_agreement,
    ))
}

/// A string column of `df` (`what` names the table in an error).
fn str_column(
    df: &DataFrame,
    name: &str,
    what: &'static str,
) -> Result<polars::prelude::StringChunked, Error> {
    df.column(name)
        .and_then(|c| c.str().cloned())
        .map_err(Error::polars(what))
}

/// Folds of the cross-validation.
pub const FOLDS: usize = 5;

type Tagged = (
    Vec<Vec<bool>>,
    Vec<bool>,
    Vec<usize>,
    Vec<Option<String>>,
    Vec<Option<String>>,
);

/// Feature vectors, tags, folds and rules (template ids) of the tagged
/// alerts. An alert's fold comes from a hash of its id, so it is the same
/// in every run.
fn tagged_features(df: &polars::prelude::DataFrame, tags: &Tags) -> Result<Tagged, Error> {
    let what = "the tagged alerts";
    let ids = str_column(df, crate::schema::ALERT_ID, what)?;
    let templates = str_column(df, crate::schema::TEMPLATE_ID, what)?;
    let texts = str_column(df, crate::schema::TEMPLATE, what)?;
    let flags = classify::feature_columns()
        .iter()
        .map(|name| {
            df.column(name)
                .and_then(|c| c.bool().cloned())
                .map_err(Error::polars(what))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (mut x, mut y, mut folds, mut rules, mut families) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, id) in ids.iter().enumerate() {
        let Some(label) = id.and_then(|id| tags.labels.get(id)) else {
            continue;
        };
        x.push(flags.iter().map(|f| f.get(i).unwrap_or(false)).collect());
        y.push(label == "noise");
        let h = crate::core::hash::fnv1a(id.unwrap_or("").as_bytes());
        folds.push((h % FOLDS as u64) as usize);
        rules.push(templates.get(i).map(str::to_string));
        families.push(texts.get(i).map(|t| classify::drain::family(t).to_string()));
    }
    Ok((x, y, folds, rules, families))
}

/// What `templates` did.
#[derive(Debug, Clone)]
pub struct TemplatesOutcome {
    /// Records read.
    pub records: usize,
    /// Templates mined.
    pub templates: usize,
    /// Each record's template id, in input order.
    pub ids: Vec<String>,
}

/// Mine templates over the lines of a file, or over one column of a CSV
/// file with a header, and write `line,template_id,template` to `out`.
pub fn templates(
    input: &Path,
    column: Option<&str>,
    config: &Config,
    out: &mut dyn std::io::Write,
) -> Result<TemplatesOutcome, Error> {
    let bad = |message: String| Error::Input {
        path: input.to_path_buf(),
        message,
    };
    let texts: Vec<String> = match column {
        Some(name) => {
            let mut rdr = csv::ReaderBuilder::new()
                .flexible(true)
                .from_path(input)
                .map_err(|e| bad(e.to_string()))?;
            let header = rdr.headers().map_err(|e| bad(e.to_string()))?.clone();
            let Some(idx) = header.iter().position(|h| h.trim() == name) else {
                return Err(bad(format!(
                    "no column {name:?}; the header has: {}",
                    header.iter().collect::<Vec<_>>().join(", ")
                )));
            };
            let mut texts = Vec::new();
            for (i, rec) in rdr.records().enumerate() {
                let rec = rec.map_err(|e| bad(format!("record {}: {e}", i + 1)))?;
                texts.push(rec.get(idx).unwrap_or("").to_string());
            }
            texts
        }
        None => {
            let bytes = std::fs::read(input).map_err(|e| bad(e.to_string()))?;
            let text = String::from_utf8_lossy(&bytes);
            text.lines().map(str::to_string).collect()
        }
    };
    let t = std::time::Instant::now();
    let (assigned, templates) = classify::drain::mine(
        texts.iter().map(String::as_str),
        config.classify.template_similarity,
        config.classify.template_word_choices as usize,
    );
    crate::core::timing::since(&format!("mine {} texts", texts.len()), t);
    let ids: Vec<String> = templates
        .iter()
        .map(|t| classify::template::template_id(t))
        .collect();
    let mut w = csv::Writer::from_writer(out);
    let io = |e: csv::Error| bad(format!("writing the templates: {e}"));
    w.write_record(["line", "template_id", "template"])
        .map_err(io)?;
    for (i, c) in assigned.iter().enumerate() {
        w.write_record([(i + 1).to_string().as_str(), &ids[*c], &templates[*c]])
            .map_err(io)?;
    }
    w.flush()
        .map_err(|e| bad(format!("writing the templates: {e}")))?;
    Ok(TemplatesOutcome {
        records: assigned.len(),
        templates: templates.len(),
        ids: assigned.iter().map(|c| ids[*c].clone()).collect(),
    })
}

/// What `fix` reads besides the history.
#[derive(Debug, Clone, Copy)]
pub struct FixInputs<'a> {
    /// Rule files or directories of them.
    pub rules: &'a [PathBuf],
    /// The Alertmanager configuration.
    pub alertmanager: Option<&'a Path>,
    /// The Prometheus configuration (`prometheus.yml`).
    pub prometheus: Option<&'a Path>,
    /// What the changes may cost.
    pub options: crate::fix::plan::Options,
    /// Change the files in place once the checks pass.
    pub write: bool,
}

/// What `fix` did.
#[derive(Debug, Clone)]
pub struct FixOutcome {
    /// The plan.
    pub plan: crate::fix::plan::Plan,
    /// The tools' verdicts.
    pub checks: Vec<crate::fix::check::Check>,
    /// The files the diff changes.
    pub changed_files: Vec<String>,
    /// Whether they were changed in place.
    pub written_in_place: bool,
    /// Per input.
    pub inputs: Vec<InputReport>,
    /// Records rejected.
    pub rejected: u64,
    /// The rejects file.
    pub rejects_path: PathBuf,
}

/// A path as a diff names it: relative, `/`-separated, no leading `./`.
fn diff_path(path: &Path) -> String {
    let rel = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf());
    let text = rel.to_string_lossy().replace('\\', "/");
    text.trim_start_matches("./")
        .trim_start_matches('/')
        .to_string()
}

/// `fix`: read the rule files and the Alertmanager configuration, ingest
/// and label the history (as `whatif`), work out each rule's change, write
/// the patch and check the patched files with promtool and amtool (and the
/// changed `for:` values with a replay test), then write fix.diff, fix.md
/// and fix.json into `out` — and with `write`, the files in place.
pub fn fix(job: &Job<'_>, inputs: FixInputs<'_>) -> Result<FixOutcome, Error> {
    use crate::fix::{alertmanager::AmConfig, check, edit, plan, replay, rules, write};
    let (out, config) = (job.out, job.config);
    // The files first: a mistake there is found before the history is read.
    let paths = rules::files_of(inputs.rules)?;
    let mut files = Vec::new();
    let mut defs = Vec::new();
    for (i, p) in paths.iter().enumerate() {
        let f = rules::YamlFile::read(p)?;
        defs.extend(rules::rules_of(i, &f)?);
        files.push(f);
    }
    if defs.is_empty() {
        return Err(Error::Input {
            path: paths.first().cloned().unwrap_or_default(),
            message: "no alerting rule (`alert:`) in the rule files: nothing to fix".into(),
        });
    }
    let am = inputs
        .alertmanager
        .map(|p| rules::YamlFile::read(p).and_then(AmConfig::of))
        .transpose()?;
    let prometheus = inputs
        .prometheus
        .map(|p| rules::YamlFile::read(p).and_then(rules::prometheus_config))
        .transpose()?;
    let (store, _temp) = open_store(job.store_dir)?;
    let (batch, _) = ingest_and_commit(&store, &job.inputs.files, config, job.options)?;
    std::fs::create_dir_all(out).map_err(|source| Error::Output {
        path: out.to_path_buf(),
        source,
    })?;
    let rejects_path = out.join("rejects.csv");
    write_rejects(&rejects_path, &batch.rejects)?;
    let (alerts, _) = classify_all(&store, config, job.tags)?;
    let mut columns: Vec<&str> = crate::pages::PAGE_COLUMNS.to_vec();
    columns.extend([
        crate::schema::SOURCE,
        crate::schema::LABELS,
        crate::schema::TITLE,
    ]);
    // ALERT_ID and EPISODE_ID are among the page columns.
    let mut df = alerts
        .filter(polars::prelude::col(crate::schema::PAGED).eq(polars::prelude::lit(true)))
        .select(
            columns
                .into_iter()
                .map(polars::prelude::col)
                .collect::<Vec<_>>(),
        )
        .collect()
        .map_err(Error::polars("the pages"))?;
    if df.height() == 0 {
        return Err(Error::Input {
            path: store.dir().to_path_buf(),
            message: "no pages in the history: nothing to fix".into(),
        });
    }
    df.rechunk_mut_par();
    let roster = roster_of(&store, config, || {
        Ok(vec![
            df.clone(),
            store
                .incidents()?
                .collect()
                .map_err(Error::polars("the incidents table"))?,
        ])
    })?;
    let pages = crate::pages::pages_of(&df, &roster)?;
    let strings = |name: &str| -> Result<Vec<Option<String>>, Error> {
        Ok(df
            .column(name)
            .and_then(|c| c.str().cloned())
            .map_err(Error::polars("the pages' sources and labels"))?
            .iter()
            .map(|v| v.map(str::to_string))
            .collect())
    };
    let (source, labels, titles) = (
        strings(crate::schema::SOURCE)?,
        strings(crate::schema::LABELS)?,
        strings(crate::schema::TITLE)?,
    );
    let (ids, episodes) = (
        strings(crate::schema::ALERT_ID)?,
        strings(crate::schema::EPISODE_ID)?,
    );
    drop(df);
    let period = pages.range.map_or((0, 0), |(a, b)| (a, b + 1));
    let history = plan::History {
        pages: &pages,
        source: &source,
        labels: &labels,
        titles: &titles,
        ids: &ids,
        episodes: &episodes,
    };
    let plan = plan::plan(
        history,
        &files,
        &defs,
        am.as_ref(),
        prometheus.as_ref(),
        config,
        period,
        inputs.options,
    );
    // The patched texts, file by file, by the index the edits name (the
    // rule files, then the Alertmanager and Prometheus configurations).
    let (am_index, prom_index) = (files.len(), files.len() + 1);
    let mut originals: Vec<(usize, &Path, &str)> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (i, f.path.as_path(), f.text.as_str()))
        .collect();
    if let Some(am) = &am {
        originals.push((am_index, am.file.path.as_path(), am.file.text.as_str()));
    }
    if let Some(p) = &prometheus {
        originals.push((prom_index, p.path.as_path(), p.text.as_str()));
    }
    let mut diff = String::new();
    let mut patched: Vec<Option<String>> = Vec::new();
    let mut changed_files = Vec::new();
    for &(i, path, text) in &originals {
        let edits: Vec<&edit::Edit> = plan.edits.iter().filter(|e| e.file == i).collect();
        if edits.is_empty() {
            patched.push(None);
            continue;
        }
        let new = edit::apply(text, &edits);
        diff.push_str(&edit::unified(&diff_path(path), text, &new));
        changed_files.push(path.display().to_string());
        patched.push(Some(new));
    }
    // The checks, on patched copies (the originals where unchanged).
    let scratch = tempfile::tempdir().map_err(|source| Error::Output {
        path: std::env::temp_dir(),
        source,
    })?;
    let dir = scratch.path();
    // promtool reads plain rule files: a PrometheusRule resource's groups
    // are checked as one.
    let mut rule_copies: Vec<String> = Vec::new();
    for (i, ((_, _, text), new)) in originals.iter().zip(&patched).take(files.len()).enumerate() {
        for (k, view) in rules::promtool_view(new.as_deref().unwrap_or(text))
            .into_iter()
            .enumerate()
        {
            let path = dir.join(format!("{i}-{k}-rules.yml"));
            std::fs::write(&path, view).map_err(|source| Error::Output {
                path: path.clone(),
                source,
            })?;
            rule_copies.push(path.to_string_lossy().to_string());
        }
    }
    let mut args = vec!["check", "rules"];
    args.extend(rule_copies.iter().map(String::as_str));
    let mut checks = vec![check::run(
        "promtool check rules (the patched rule files)",
        "promtool",
        &args,
        dir,
    )];
    // The text of the file with index `i` as patched.
    let patched_text = |i: usize| -> Option<String> {
        originals
            .iter()
            .zip(&patched)
            .find(|((k, _, _), _)| *k == i)
            .map(|((_, _, text), new)| new.clone().unwrap_or_else(|| text.to_string()))
    };
    if am.is_some() {
        let text = patched_text(am_index).unwrap_or_default();
        let path = dir.join("alertmanager.yml");
        std::fs::write(&path, text).map_err(|source| Error::Output {
            path: path.clone(),
            source,
        })?;
        let copy = path.to_string_lossy().to_string();
        checks.push(check::run(
            "amtool check-config (the patched Alertmanager configuration)",
            "amtool",
            &["check-config", &copy],
            dir,
        ));
    }
    if let Some(p) = &prometheus {
        // Beside the original: its relative paths (rule files, secrets)
        // resolve as they do for Prometheus.
        let text = patched_text(prom_index).unwrap_or_default();
        let beside = p.path.parent().filter(|d| !d.as_os_str().is_empty());
        let copy = tempfile::Builder::new()
            .prefix(".alertsift-check-")
            .suffix(".yml")
            .tempfile_in(beside.unwrap_or(Path::new(".")))
            .and_then(|mut f| {
                std::io::Write::write_all(&mut f, text.as_bytes())?;
                Ok(f)
            })
            .map_err(|source| Error::Output {
                path: p.path.clone(),
                source,
            })?;
        let name = copy.path().to_string_lossy().to_string();
        checks.push(check::run(
            "promtool check config (the patched Prometheus configuration)",
            "promtool",
            &["check", "config", &name],
            Path::new("."),
        ));
    }
    let replay = replay::replay_test(&plan.changes);
    let replay_checks = replay.as_ref().map_or(0, |r| r.checks);
    for name in ["replay-rules.yml", "replay-test.yml"] {
        let _ = std::fs::remove_file(out.join(name));
    }
    if let Some(r) = &replay {
        for (name, text) in [("replay-rules.yml", &r.rules), ("replay-test.yml", &r.test)] {
            let path = out.join(name);
            crate::core::fs::write_atomic(&path, |f| {
                std::io::Write::write_all(f, text.as_bytes())
            })?;
        }
        checks.push(check::run(
            "promtool test rules replay-test.yml (each changed `for:` and `keep_firing_for:` over its rule's history)",
            "promtool",
            &["test", "rules", "replay-test.yml"],
            out,
        ));
    }
    let passed = checks.iter().all(|c| c.passed == Some(true));
    let mut written_in_place = false;
    if inputs.write && !changed_files.is_empty() {
        if !passed {
            let failed: Vec<&str> = checks
                .iter()
                .filter(|c| c.passed != Some(true))
                .map(|c| c.what.as_str())
                .collect();
            return Err(Error::Input {
                path: out.join("fix.md"),
                message: format!(
                    "--write refused: these checks did not pass: {} (nothing was changed; see their output with `alertsift fix` without --write)",
                    failed.join("; ")
                ),
            });
        }
        for ((_, path, text), new) in originals.iter().zip(&patched) {
            let Some(new) = new else { continue };
            let orig = path.with_file_name(format!(
                "{}.orig",
                path.file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default()
            ));
            crate::core::fs::write_atomic(&orig, |f| {
                std::io::Write::write_all(f, text.as_bytes())
            })?;
            crate::core::fs::write_atomic(path, |f| std::io::Write::write_all(f, new.as_bytes()))?;
        }
        written_in_place = true;
    }
    write::write(
        out,
        &write::FixReport {
            plan: &plan,
            changed_files: changed_files.clone(),
            checks: &checks,
            replay_checks,
            written_in_place,
        },
        &diff,
    )?;
    Ok(FixOutcome {
        plan,
        checks,
        changed_files,
        written_in_place,
        inputs: batch.inputs,
        rejected: batch.rejects.len() as u64,
        rejects_path,
    })
}
