//! The report's charts (`DIR/charts/*.svg`) and `DIR/report.html`: one
//! self-contained file — inline CSS, the charts inline as SVG, no script,
//! no network fetch (a Content-Security-Policy forbids both) — with every
//! string from the data HTML-escaped: alert titles are written by anyone
//! who can send an alert.

use std::path::Path;

use super::{bar_chart, heatmap, panels, stacked_bar_chart, Panel, Reference};
use crate::config::Targets;
use crate::core::fs::write_atomic;
use crate::core::stats::Spread;
use crate::error::Error;
use crate::metrics::Load;
use crate::report::kpis::KpiWeek;
use crate::report::{charts, percent, sections, Report, Summary};

/// Each chart of [`charts`], rendered: (file name, title, SVG).
pub fn render(summary: &Summary, targets: &Targets) -> Vec<(&'static str, String, String)> {
    charts(targets)
        .into_iter()
        .map(|(file, title)| {
            let svg = one(file, &title, summary, targets);
            (file, title, svg)
        })
        .collect()
}

fn one(file: &str, title: &str, s: &Summary, targets: &Targets) -> String {
    let weeks: Vec<String> = s.weekly.iter().map(|w| w.week.clone()).collect();
    match file {
        "pages-per-week.svg" => stacked_bar_chart(
            title,
            "ISO week (UTC)",
            "pages",
            &weeks,
            &[
                (
                    "actionable".into(),
                    s.weekly
                        .iter()
                        .map(|w| (w.load.pages - w.load.noise_pages) as f64)
                        .collect(),
                ),
                (
                    "noise".into(),
                    s.weekly.iter().map(|w| w.load.noise_pages as f64).collect(),
                ),
            ],
            None,
        ),
        "pages-by-hour.svg" => heatmap(
            title,
            "hour of the day (each team's local time)",
            &["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].map(String::from),
            &(0..24).map(|h| format!("{h:02}")).collect::<Vec<_>>(),
            &s.pages_by_weekday_hour,
        ),
        "noisy-templates.svg" => {
            let r = &s.recommendations;
            stacked_bar_chart(
                title,
                "template (most toil first)",
                "pages in the period",
                &r.iter().map(|r| r.template.clone()).collect::<Vec<_>>(),
                &[
                    (
                        "noise pages".into(),
                        r.iter().map(|r| r.noise_pages as f64).collect(),
                    ),
                    (
                        "actionable pages".into(),
                        r.iter().map(|r| (r.pages - r.noise_pages) as f64).collect(),
                    ),
                ],
                None,
            )
        }
        "interruptions-by-responder.svg" => {
            let people: Vec<(&String, &Load)> = s.responders.iter().collect();
            let slot = |f: fn(&Load) -> u64| -> Vec<f64> {
                people.iter().map(|(_, l)| f(l) as f64).collect()
            };
            stacked_bar_chart(
                title,
                "person reached",
                "interruptions",
                &people.iter().map(|(n, _)| (*n).clone()).collect::<Vec<_>>(),
                &[
                    ("business hours".into(), slot(|l| l.interruptions.business)),
                    ("off hours".into(), slot(|l| l.interruptions.off_hours)),
                    ("sleep hours".into(), slot(|l| l.interruptions.sleep)),
                ],
                None,
            )
        }
        "fairness.svg" => {
            // Each team's people (reached or holding a shift), beside the
            // team's mean.
            let mut people: Vec<String> = Vec::new();
            let (mut own, mut mean) = (Vec::new(), Vec::new());
            for (team, load) in &s.teams {
                let Some(f) = &load.fairness else { continue };
                let n = f.members.len().max(1) as f64;
                let avg = f
                    .members
                    .iter()
                    .map(|p| p.interruptions as f64)
                    .sum::<f64>()
                    / n;
                for p in &f.members {
                    people.push(format!("{team}: {}", p.name));
                    own.push(p.interruptions as f64);
                    mean.push(avg);
                }
            }
            bar_chart(
                title,
                "team: person (everyone reached or holding a shift)",
                "interruptions in the period",
                &people,
                &[
                    ("the person's".into(), own),
                    ("the team's mean".into(), mean),
                ],
            )
        }
        "response-times.svg" => {
            let minutes = |sp: &Spread| -> Vec<f64> {
                [sp.p50, sp.p90, sp.p95, sp.mean]
                    .iter()
                    .map(|v| v.unwrap_or(0.0) / 60.0)
                    .collect()
            };
            bar_chart(
                title,
                "statistic over the period's pages",
                "minutes from trigger",
                &["p50", "p90", "p95", "mean"].map(String::from),
                &[
                    (
                        "time to acknowledge (MTTA)".into(),
                        minutes(&s.mtta_seconds),
                    ),
                    ("time to resolve (MTTR)".into(), minutes(&s.mttr_seconds)),
                ],
            )
        }
        "toil-per-week.svg" => {
            // On-call time per week: every paged team's rota, all week.
            let teams = s.teams.len().max(1) as f64;
            let cap = targets.toil_share * 168.0 * teams;
            stacked_bar_chart(
                title,
                "ISO week (UTC)",
                "toil hours",
                &weeks,
                &[(
                    "toil hours on noise pages".into(),
                    s.weekly.iter().map(|w| w.load.toil_hours).collect(),
                )],
                Some(&Reference {
                    y: cap,
                    label: format!(
                        "cap: {} of on-call time ({cap:.0} h for {teams} teams)",
                        percent(targets.toil_share)
                    ),
                }),
            )
        }
        crate::report::KPI_CHART => {
            let k = &s.kpis.weekly;
            let weeks: Vec<String> = k.iter().map(|w| w.week.clone()).collect();
            let panel =
                |name: &str, f: &dyn Fn(&KpiWeek) -> Option<f64>, target: Option<f64>| Panel {
                    name: name.into(),
                    values: k.iter().map(f).collect(),
                    target,
                };
            panels(
                title,
                "ISO week (UTC); dashed: the target",
                &weeks,
                &[
                    panel(
                        "non-actionable share of pages",
                        &|w| w.non_actionable_share,
                        Some(targets.non_actionable_share),
                    ),
                    panel(
                        "median time to acknowledge, minutes",
                        &|w| w.mtta_p50_seconds.map(|v| v / 60.0),
                        Some(targets.mtta.as_secs_f64() / 60.0),
                    ),
                    panel(
                        "toil share of on-call time",
                        &|w| Some(w.toil_share),
                        Some(targets.toil_share),
                    ),
                    panel(
                        "pages with a runbook, share",
                        &|w| w.runbook_coverage_pages,
                        None,
                    ),
                    panel(
                        "person-shifts over the weighted-load target",
                        &|w| Some(w.weighted_shifts_over_target as f64),
                        Some(0.0),
                    ),
                    panel(
                        "7-day repeat-incident rate",
                        &|w| w.repeat_incident_rate_7d,
                        None,
                    ),
                ],
            )
        }
        _ => String::new(),
    }
}

/// Draw the charts into `DIR/charts/` (SVG and PNG) and write
/// `report.html`: the report's sections with the charts inline.
pub fn write(out: &Path, report: &Report, targets: &Targets) -> Result<(), Error> {
    let summary = &report.summary;
    let dir = out.join("charts");
    std::fs::create_dir_all(&dir).map_err(|source| Error::Output {
        path: dir.clone(),
        source,
    })?;
    let charts = render(summary, targets);
    for (file, _, svg) in &charts {
        write_atomic(&dir.join(file), |f| {
            use std::io::Write;
            f.write_all(svg.as_bytes())
        })?;
        let png_file = Path::new(file).with_extension("png");
        let png = super::png::png(file, svg)?;
        write_atomic(&dir.join(png_file), |f| {
            use std::io::Write;
            f.write_all(&png)
        })?;
    }
    let period = format!(
        "{} to {}",
        summary
            .period
            .first
            .as_deref()
            .or(summary.time_range.first.as_deref())
            .unwrap_or("–"),
        summary
            .period
            .last
            .as_deref()
            .or(summary.time_range.last.as_deref())
            .unwrap_or("–")
    );
    let svgs: Vec<(&str, String)> = charts
        .into_iter()
        .map(|(file, _, svg)| (file, svg))
        .collect();
    let html = sections::html(
        &report.document,
        &format!("alertsift report: {period}"),
        &svgs,
    );
    write_atomic(&out.join("report.html"), |f| {
        use std::io::Write;
        f.write_all(html.as_bytes())
    })?;
    Ok(())
}
