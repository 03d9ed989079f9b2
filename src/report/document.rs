//! The documents a run writes: `DIR/report.md` and `DIR/tables/*.csv`.
//!
//! Every string that comes from the data (titles, templates, names) is
//! escaped for Markdown tables: `&`, `<`, `>` as entities (so a title like
//! `<script>` shows as text wherever the Markdown is rendered), `|` and
//! newlines so a row stays one row.

use std::collections::BTreeMap;
use std::path::Path;

use crate::core::fs::write_atomic;
pub use crate::core::text::md;
use crate::error::Error;
use crate::metrics::{Load, Metrics};

const LOAD_HEADER: [&str; 16] = [
    "name",
    "pages",
    "noise_pages",
    "page_noise_ratio",
    "interruptions",
    "business",
    "off_hours",
    "sleep",
    "disrupted_hours",
    "mtta_p50_s",
    "mtta_p95_s",
    "unacknowledged",
    "mttr_p50_s",
    "mttr_p95_s",
    "mttr_mean_s",
    "toil_hours",
];

fn load_row(name: &str, l: &Load) -> Vec<String> {
    let f = |v: Option<f64>| v.map(|v| format!("{v:.0}")).unwrap_or_default();
    vec![
        name.to_string(),
        l.pages.to_string(),
        l.noise_pages.to_string(),
        format!("{:.3}", l.page_noise_ratio),
        l.interruptions.total.to_string(),
        l.interruptions.business.to_string(),
        l.interruptions.off_hours.to_string(),
        l.interruptions.sleep.to_string(),
        l.disrupted_hours.to_string(),
        f(l.mtta_seconds.p50),
        f(l.mtta_seconds.p95),
        l.unacknowledged.to_string(),
        f(l.mttr_seconds.p50),
        f(l.mttr_seconds.p95),
        f(l.mttr_seconds.mean),
        format!("{:.2}", l.toil_hours),
    ]
}

/// Write `path` atomically as CSV: `header`, then `rows`.
fn write_rows<R, T>(path: &Path, header: &[&str], rows: R) -> Result<(), Error>
where
    R: IntoIterator,
    R::Item: IntoIterator<Item = T>,
    T: AsRef<[u8]>,
{
    write_atomic(path, |f| {
        let mut w = csv::Writer::from_writer(f);
        let err = |e: csv::Error| std::io::Error::other(e.to_string());
        w.write_record(header).map_err(err)?;
        for row in rows {
            w.write_record(row).map_err(err)?;
        }
        w.flush()
    })?;
    Ok(())
}

fn write_loads(path: &Path, loads: &BTreeMap<String, Load>) -> Result<(), Error> {
    write_rows(
        path,
        &LOAD_HEADER,
        loads.iter().map(|(name, l)| load_row(name, l)),
    )
}

/// `tables/teams.csv`, `responders.csv`, `services.csv`, `templates.csv`:
/// the paging load per team, person, service and template.
pub fn write_tables(dir: &Path, m: &Metrics) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Output {
        path: dir.to_path_buf(),
        source,
    })?;
    write_loads(&dir.join("teams.csv"), &m.teams)?;
    write_loads(&dir.join("responders.csv"), &m.responders)?;
    write_loads(&dir.join("services.csv"), &m.services)?;
    write_loads(&dir.join("templates.csv"), &m.templates)?;
    Ok(())
}

/// `tables/fairness.csv`: each team's people (everyone its pages reached
/// and everyone who held one of its shifts), then everyone (`(all)`), with
/// their interruptions beside their team's mean.
pub fn write_fairness(dir: &Path, m: &Metrics) -> Result<(), Error> {
    let teams = m
        .teams
        .iter()
        .filter_map(|(name, l)| l.fairness.as_ref().map(|f| (name.as_str(), f)))
        .chain(std::iter::once(("(all)", &m.fairness)));
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (team, f) in teams {
        let mean = if f.members.is_empty() {
            0.0
        } else {
            f.members
                .iter()
                .map(|p| p.interruptions as f64)
                .sum::<f64>()
                / f.members.len() as f64
        };
        for p in &f.members {
            let hours = p.on_call_hours;
            rows.push(vec![
                team.to_string(),
                p.name.clone(),
                p.interruptions.to_string(),
                p.sleep_interruptions.to_string(),
                p.consecutive_sleep_nights.to_string(),
                hours.map(|h| format!("{h:.2}")).unwrap_or_default(),
                hours
                    .filter(|h| *h > 0.0)
                    .map(|h| format!("{:.4}", p.interruptions as f64 / h))
                    .unwrap_or_default(),
                format!("{mean:.2}"),
            ]);
        }
    }
    write_rows(
        &dir.join("fairness.csv"),
        &[
            "team",
            "person",
            "interruptions",
            "sleep_interruptions",
            "consecutive_sleep_nights",
            "on_call_hours",
            "interruptions_per_on_call_hour",
            "team_mean_interruptions",
        ],
        rows,
    )
}

/// `tables/weekly.csv`: the trend.
pub fn write_weekly(dir: &Path, weeks: &[super::WeekLoad]) -> Result<(), Error> {
    let loads: BTreeMap<String, Load> = weeks
        .iter()
        .map(|w| (w.week.clone(), w.load.clone()))
        .collect();
    write_loads(&dir.join("weekly.csv"), &loads)
}

/// `tables/repeat_incidents.csv`: one row per chain of repeat incidents.
pub fn write_repeat_chains(
    dir: &Path,
    chains: &[crate::metrics::repeats::Chain],
) -> Result<(), Error> {
    write_rows(
        &dir.join("repeat_incidents.csv"),
        &[
            "service",
            "team",
            "incidents",
            "chain",
            "first_started",
            "last_started",
        ],
        chains.iter().map(|c| {
            [
                c.service.clone(),
                c.team.clone().unwrap_or_default(),
                c.incidents.len().to_string(),
                c.incidents.join(" "),
                c.first_started.clone(),
                c.last_started.clone(),
            ]
        }),
    )
}

/// `tables/runbooks.csv`: every rule paged in the period with its runbook
/// coverage, rules without a runbook first (most pages first).
pub fn write_runbooks(dir: &Path, rules: &[crate::metrics::runbooks::Rule]) -> Result<(), Error> {
    let mut rules: Vec<&crate::metrics::runbooks::Rule> = rules.iter().collect();
    rules.sort_by(|a, b| {
        a.has_runbook()
            .cmp(&b.has_runbook())
            .then(b.pages.cmp(&a.pages))
            .then_with(|| a.rule.cmp(&b.rule))
    });
    write_rows(
        &dir.join("runbooks.csv"),
        &[
            "rule",
            "team",
            "tier1",
            "has_runbook",
            "pages",
            "pages_with_runbook",
            "sleep_interruptions",
        ],
        rules.into_iter().map(|r| {
            [
                r.rule.clone(),
                r.team.clone(),
                r.tier1.to_string(),
                r.has_runbook().to_string(),
                r.pages.to_string(),
                r.pages_with_runbook.to_string(),
                r.sleep_interruptions.to_string(),
            ]
        }),
    )
}

/// `tables/kpis.csv`: each KPI in this period, the one before and two
/// quarters back, with its target.
pub fn write_kpis(dir: &Path, o: &super::kpis::OverPeriods) -> Result<(), Error> {
    let num = |v: Option<f64>| v.map(|v| format!("{v}")).unwrap_or_default();
    write_rows(
        &dir.join("kpis.csv"),
        &[
            "kpi",
            "target",
            "this",
            "previous",
            "two_quarters_back",
            "within_target",
        ],
        o.rows.iter().map(|r| {
            [
                r.kpi.clone(),
                r.target.clone().unwrap_or_default(),
                num(r.this),
                num(r.previous),
                num(r.two_quarters_back),
                r.within_target.map(|b| b.to_string()).unwrap_or_default(),
            ]
        }),
    )
}

/// `tables/kpis_weekly.csv`: each ISO week's KPIs (`summary.json`
/// `kpis.weekly`).
pub fn write_kpis_weekly(dir: &Path, weeks: &[super::kpis::KpiWeek]) -> Result<(), Error> {
    let num = |v: Option<f64>| v.map(|v| format!("{v}")).unwrap_or_default();
    write_rows(
        &dir.join("kpis_weekly.csv"),
        &[
            "week",
            "pages",
            "non_actionable_share",
            "mtta_p50_seconds",
            "toil_hours",
            "toil_share",
            "runbook_coverage_pages",
            "weighted_shifts_over_target",
            "repeat_incident_rate_7d",
        ],
        weeks.iter().map(|k| {
            [
                k.week.clone(),
                k.pages.to_string(),
                num(k.non_actionable_share),
                num(k.mtta_p50_seconds),
                k.toil_hours.to_string(),
                k.toil_share.to_string(),
                num(k.runbook_coverage_pages),
                k.weighted_shifts_over_target.to_string(),
                num(k.repeat_incident_rate_7d),
            ]
        }),
    )
}

/// `tables/recommendations.csv`.
pub fn write_recommendations(
    dir: &Path,
    recs: &[crate::whatif::recommend::Recommendation],
) -> Result<(), Error> {
    write_rows(
        &dir.join("recommendations.csv"),
        &[
            "rank",
            "template",
            "pages",
            "noise_pages",
            "toil_hours",
            "diagnosis",
            "reasons",
            "fix",
            "saved_pages_per_week",
            "saved_sleep_pages_per_week",
            "saved_toil_hours_per_week",
            "actionable_delayed",
            "actionable_hidden",
        ],
        recs.iter().enumerate().map(|(i, r)| {
            let reasons: Vec<String> = r.reasons.iter().map(|(c, n)| format!("{c}:{n}")).collect();
            [
                (i + 1).to_string(),
                r.template.clone(),
                r.pages.to_string(),
                r.noise_pages.to_string(),
                format!("{:.2}", r.toil_hours),
                r.diagnosis.clone(),
                reasons.join(" "),
                r.fix.clone(),
                format!("{:.2}", r.saved_pages_per_week),
                format!("{:.2}", r.saved_sleep_pages_per_week),
                format!("{:.2}", r.saved_toil_hours_per_week),
                r.actionable_delayed.to_string(),
                r.actionable_hidden.to_string(),
            ]
        }),
    )
}

/// `report.md`: the report's sections ([`super::sections`]) as Markdown.
pub fn write_markdown(path: &Path, doc: &[super::sections::Block]) -> Result<(), Error> {
    let text = super::sections::markdown(doc);
    write_atomic(path, |f| {
        use std::io::Write;
        f.write_all(text.as_bytes())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escapes_data() {
        assert_eq!(
            md("<script>alert('x')</script> a|b `c` & d\ne"),
            "&lt;script&gt;alert('x')&lt;/script&gt; a\\|b &#96;c&#96; &amp; d e"
        );
    }
}
