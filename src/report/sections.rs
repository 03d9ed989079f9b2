//! The report's sections, built once ([`document`]) and rendered twice:
//! as Markdown (`report.md`, [`markdown`]) and as HTML (`report.html`,
//! [`html`], with the charts inline). Text from the data (titles,
//! templates, names) is marked as such in each cell and escaped by each
//! renderer for its format; our own text (headings, the fixes with their
//! code spans) is written as it is in Markdown and escaped in HTML.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{charts, percent, Summary, KPI_CHART};
use crate::config::Targets;
use crate::core::duration::rounded;
use crate::core::text::{escape, md};
use crate::metrics::{Load, Metrics};

/// One cell of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// Its text, unescaped.
    pub text: String,
    /// From the data (escaped in Markdown too), or ours.
    pub data: bool,
    /// A figure held against a target: over it (`Some(true)`) or within.
    pub over_target: Option<bool>,
}

impl Cell {
    fn ours(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            data: false,
            over_target: None,
        }
    }
    fn data(text: impl Into<String>) -> Cell {
        Cell {
            data: true,
            ..Cell::ours(text)
        }
    }
    fn judged(text: impl Into<String>, over: bool) -> Cell {
        Cell {
            over_target: Some(over),
            ..Cell::ours(text)
        }
    }
}

/// One block of the document.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// The document's title.
    Title(String),
    /// A section heading.
    Heading(String),
    /// A paragraph of our own text (Markdown code spans allowed).
    Para(String),
    /// A paragraph only the Markdown has (it points to `report.html`).
    MarkdownOnly(String),
    /// A table: its header and rows.
    Table(Vec<&'static str>, Vec<Vec<Cell>>),
    /// The charts ([`charts`]): links in Markdown, inline SVG in HTML.
    Charts(Vec<(&'static str, String)>),
}

fn opt(v: Option<f64>) -> String {
    v.map(rounded).unwrap_or_else(|| "-".into())
}

/// The report's blocks, in order. A quarterly review (`quarterly`) opens
/// with the KPIs over two quarters, their chart by week and the weeks'
/// table.
pub fn document(s: &Summary, m: &Metrics, targets: &Targets, quarterly: bool) -> Vec<Block> {
    let mut doc = vec![
        Block::Title(if quarterly {
            "Quarterly reliability review".into()
        } else {
            "On-call report".into()
        }),
        Block::Para(format!(
            "Period: {} to {} (UTC).",
            s.period.first.as_deref().unwrap_or("-"),
            s.period.last.as_deref().unwrap_or("-")
        )),
    ];
    if quarterly {
        doc.push(Block::Heading("KPIs over two quarters".into()));
        doc.extend(over_periods(s, targets));
        doc.push(Block::Heading("KPIs by week".into()));
        doc.push(kpi_weeks(s));
    }
    doc.extend([
        headline(s, targets),
        Block::Heading("Charts".into()),
        Block::MarkdownOnly("Also in `report.html`, one self-contained file.".into()),
        Block::Charts(
            charts(targets)
                .into_iter()
                .filter(|(file, _)| *file != KPI_CHART)
                .collect(),
        ),
        Block::Heading("Against the previous period".into()),
        previous(s),
        Block::Heading("Trend by week".into()),
        weekly(s),
    ]);
    for (title, loads) in [("Teams", &m.teams), ("Responders", &m.responders)] {
        doc.push(Block::Heading(title.into()));
        doc.push(loads_table(loads));
    }
    doc.push(Block::Heading("Fairness".into()));
    doc.extend(fairness(s));
    doc.push(Block::Heading("Noisiest templates (by toil)".into()));
    doc.push(noisiest(m));
    doc.push(Block::Heading("What to fix first".into()));
    doc.push(fixes(s));
    if !quarterly {
        doc.push(Block::Heading("KPIs over two quarters".into()));
        doc.extend(over_periods(s, targets));
    }
    doc.push(Block::Heading("Repeat incidents".into()));
    doc.extend(repeat_incidents(s));
    doc.push(Block::Heading("Severity-weighted load".into()));
    doc.extend(weighted_load(s, targets));
    doc.push(Block::Heading("Runbook coverage".into()));
    doc.extend(runbooks(s));
    doc.push(Block::Para(
        "Every table is also in `tables/*.csv`; per-template statistics in `templates.csv`; alerts to tag next in `review.csv`."
            .into(),
    ));
    doc
}

/// A figure as the report writes it: whole, else with one decimal.
fn num(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// Each week's KPIs (the chart's figures).
fn kpi_weeks(s: &Summary) -> Block {
    let share = |v: Option<f64>| v.map_or_else(|| "-".to_string(), percent);
    let rows = s
        .kpis
        .weekly
        .iter()
        .map(|w| {
            vec![
                Cell::ours(w.week.clone()),
                Cell::ours(w.pages.to_string()),
                Cell::ours(share(w.non_actionable_share)),
                Cell::ours(opt(w.mtta_p50_seconds)),
                Cell::ours(num(w.toil_hours)),
                Cell::ours(percent(w.toil_share)),
                Cell::ours(share(w.runbook_coverage_pages)),
                Cell::ours(w.weighted_shifts_over_target.to_string()),
                Cell::ours(share(w.repeat_incident_rate_7d)),
            ]
        })
        .collect();
    Block::Table(
        vec![
            "week",
            "pages",
            "non-actionable",
            "MTTA p50",
            "toil h",
            "toil share",
            "with runbook",
            "shifts over weighted target",
            "7-day repeat rate",
        ],
        rows,
    )
}

/// The KPIs in this period, the one before and two quarters back, and
/// their chart by week.
fn over_periods(s: &Summary, targets: &Targets) -> Vec<Block> {
    let o = &s.kpis.over_periods;
    let cell = |v: Option<f64>| {
        Cell::ours(
            v.map(|v| {
                format!("{:.3}", v)
                    .trim_end_matches('0')
                    .trim_end_matches('.')
                    .to_string()
            })
            .unwrap_or_else(|| "-".into()),
        )
    };
    let rows: Vec<Vec<Cell>> = o
        .rows
        .iter()
        .map(|r| {
            let this = match r.within_target {
                Some(ok) => Cell::judged(cell(r.this).text, !ok),
                None => cell(r.this),
            };
            vec![
                Cell::ours(format!("`{}`", r.kpi)),
                this,
                cell(r.previous),
                cell(r.two_quarters_back),
                Cell::ours(r.target.clone().unwrap_or_else(|| "-".into())),
            ]
        })
        .collect();
    vec![
        Block::Para(match (o.toil_reduction, o.toil_reduction_on_track) {
            (Some(r), Some(on)) => format!(
                "Toil is {:.0}% {} two quarters back (the same period, 26 weeks earlier): {} for the 20–40% reduction over two quarters.",
                100.0 * r.abs(),
                if r >= 0.0 { "below" } else { "above" },
                if on { "on track" } else { "not on track" }
            ),
            _ => "No toil two quarters back (26 weeks earlier) to measure a reduction against.".into(),
        }),
        Block::Table(vec!["KPI", "this period", "previous period", "two quarters back", "target"], rows),
        Block::Charts(
            charts(targets)
                .into_iter()
                .filter(|(file, _)| *file == KPI_CHART)
                .collect(),
        ),
    ]
}

/// Runbook coverage: overall, per team, and the rules without one.
fn runbooks(s: &Summary) -> Vec<Block> {
    let r = &s.kpis.runbooks;
    let pct = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{:.0}%", 100.0 * v));
    let tier1 = r.tier1_severities.join(", ");
    let mut out = vec![Block::Para(format!(
        "A page has a runbook when its alert carried a link to one. {} of pages had one; {} of {} rules paged have one; of the {} tier-1 rules (a page of severity {tier1}), {} — the target is {}{}. Rules without one sent {} of pages and {} of their sleep interruptions.",
        pct(r.all.coverage_pages),
        r.all.rules_with_runbook,
        r.all.rules,
        r.all.tier1_rules,
        pct(r.all.coverage_tier1_rules),
        pct(Some(r.target)),
        match r.tier1_on_target {
            Some(true) => " (met)",
            Some(false) => " (not met)",
            None => "",
        },
        pct(r.all.share_pages_from_rules_without),
        pct(r.sleep_share_without),
    ))];
    let teams: Vec<Vec<Cell>> = r
        .teams
        .iter()
        .map(|(team, c)| {
            vec![
                Cell::data(team),
                Cell::ours(c.pages.to_string()),
                Cell::ours(pct(c.coverage_pages)),
                Cell::ours(format!("{} of {}", c.rules_with_runbook, c.rules)),
                Cell::judged(
                    format!(
                        "{} ({} of {})",
                        pct(c.coverage_tier1_rules),
                        c.tier1_rules_with_runbook,
                        c.tier1_rules
                    ),
                    c.coverage_tier1_rules.is_some_and(|v| v + 1e-9 < r.target),
                ),
            ]
        })
        .collect();
    if !teams.is_empty() {
        out.push(Block::Table(
            vec![
                "team",
                "pages",
                "pages with a runbook",
                "rules with a runbook",
                "tier-1 rules with a runbook",
            ],
            teams,
        ));
    }
    let rows: Vec<Vec<Cell>> = r
        .without
        .iter()
        .map(|x| {
            vec![
                Cell::data(&x.rule),
                Cell::data(&x.team),
                Cell::ours(if x.tier1 { "yes" } else { "" }.to_string()),
                Cell::ours(x.pages.to_string()),
                Cell::ours(x.sleep_interruptions.to_string()),
            ]
        })
        .collect();
    if !rows.is_empty() {
        out.push(Block::Para(format!(
            "Rules without a runbook, most pages first ({} of {}; all in `tables/runbooks.csv`):",
            rows.len(),
            r.without_total
        )));
        out.push(Block::Table(
            vec!["rule", "team", "tier-1", "pages", "sleep interruptions"],
            rows,
        ));
    }
    out
}

/// The severity-weighted load per person per 12-hour shift.
fn weighted_load(s: &Summary, targets: &Targets) -> Vec<Block> {
    let w = &s.kpis.weighted_load;
    let mut out = vec![Block::Para(format!(
        "Each page weighs by its severity (`[kpis] weight_*`: critical 3, error 2, warning 1, info 0, unknown 1 by default) for everyone it reached; per person and 12-hour shift, {} of {} paged shifts were over the target of {} (the most: {}).",
        w.shifts_over_target,
        w.shifts_paged,
        num(targets.weighted_load_per_shift),
        num(w.max_per_shift)
    ))];
    let mut people: Vec<_> = w.per_person.iter().collect();
    people.sort_by(|a, b| {
        b.1.max_per_shift
            .total_cmp(&a.1.max_per_shift)
            .then(a.0.cmp(b.0))
    });
    let rows: Vec<Vec<Cell>> = people
        .into_iter()
        .take(15)
        .map(|(name, p)| {
            vec![
                Cell::data(name),
                Cell::ours(p.shifts_paged.to_string()),
                Cell::ours(num(p.total)),
                Cell::ours(num(p.p50_per_shift)),
                Cell::judged(
                    num(p.max_per_shift),
                    p.max_per_shift > targets.weighted_load_per_shift,
                ),
                Cell::ours(p.shifts_over_target.to_string()),
            ]
        })
        .collect();
    if !rows.is_empty() {
        out.push(Block::Table(
            vec![
                "person",
                "paged shifts",
                "total",
                "median per shift",
                "most in a shift",
                "shifts over target",
            ],
            rows,
        ));
    }
    out
}

/// The repeat-incident rates, per team, and the longest chains.
fn repeat_incidents(s: &Summary) -> Vec<Block> {
    let k = &s.kpis;
    let r = &k.repeat_incidents;
    let pct = |x: f64| format!("{:.1}%", 100.0 * x);
    let left_out = if r.without_service > 0 {
        format!(
            " {} resolved incident(s) named no service and are left out.",
            r.without_service
        )
    } else {
        String::new()
    };
    let mut out = vec![Block::Para(match (k.repeat_incident_rate_7d, k.repeat_incident_rate_30d) {
        (Some(r7), Some(r30)) => format!(
            "{} of {} incidents resolved in the period were followed by another incident of the same service within 7 days ({}); within 30 days, {}. An incident repeats when the next one of its service starts at or after its resolution and at most the window later.{left_out}",
            (r7 * r.all.resolved as f64).round(),
            r.all.resolved,
            pct(r7),
            pct(r30),
        ),
        _ => format!("No incident with a service was resolved in the period.{left_out}"),
    })];
    if r.all.resolved == 0 {
        return out;
    }
    let rows: Vec<Vec<Cell>> = r
        .per_team
        .iter()
        .map(|(team, c)| {
            vec![
                Cell::data(team),
                Cell::ours(c.resolved.to_string()),
                Cell::ours(c.repeated.to_string()),
                Cell::ours(pct(c.rate)),
            ]
        })
        .collect();
    out.push(Block::Table(
        vec!["team", "resolved", "repeated", "rate"],
        rows,
    ));
    if !r.chains.is_empty() {
        let rows: Vec<Vec<Cell>> = r
            .chains
            .iter()
            .take(10)
            .map(|c| {
                vec![
                    Cell::data(&c.service),
                    Cell::ours(c.incidents.len().to_string()),
                    Cell::data(match c.incidents.len() {
                        n if n > 6 => format!(
                            "{} → … ({} more) → {}",
                            c.incidents[..3].join(" → "),
                            n - 4,
                            c.incidents[n - 1]
                        ),
                        _ => c.incidents.join(" → "),
                    }),
                    Cell::ours(c.first_started.clone()),
                ]
            })
            .collect();
        out.push(Block::Table(
            vec!["service", "incidents", "chain", "first started"],
            rows,
        ));
    }
    out
}

/// How evenly the load fell, per team and overall (everyone reached and
/// everyone who held a shift), and what the schedules attributed.
fn fairness(s: &Summary) -> Vec<Block> {
    let row = |name: &str, data: bool, f: &crate::metrics::Fairness| {
        vec![
            if data {
                Cell::data(name)
            } else {
                Cell::ours(name)
            },
            Cell::ours(f.people.to_string()),
            Cell::ours(f.shift_holders.map_or("-".into(), |n| n.to_string())),
            Cell::ours(format!("{:.2}", f.gini)),
            Cell::ours(format!("{:.2}", f.sleep_gini)),
            Cell::ours(f.max_consecutive_sleep_nights.to_string()),
            Cell::ours(
                f.interruptions_per_on_call_hour
                    .map_or("-".into(), |r| format!("{r:.3}")),
            ),
        ]
    };
    let mut rows: Vec<Vec<Cell>> = s
        .teams
        .iter()
        .filter_map(|(team, l)| l.fairness.as_ref().map(|f| row(team, true, f)))
        .collect();
    rows.push(row("all teams", false, &s.fairness));
    let mut out = vec![Block::Table(
        vec![
            "team",
            "people",
            "shift holders",
            "Gini of interruptions",
            "Gini of sleep interruptions",
            "most nights woken in a row",
            "interruptions per on-call hour",
        ],
        rows,
    )];
    out.push(Block::Para(match &s.schedules {
        Some(sc) => format!(
            "Gini: 0 when everyone had the same load, towards 1 when one person had it all. \
             People: everyone a team's pages reached and everyone who held one of its shifts \
             (a shift holder no page reached counts as 0; per person in `tables/fairness.csv`). \
             {} page(s) of the period named no one and went to whoever was on call for their \
             team then.{}",
            sc.pages_attributed,
            if sc.unplaced_shifts > 0 {
                format!(
                    " {} shift(s) of {} schedule(s) matched no team: name them in `[teams.X] schedules`.",
                    sc.unplaced_shifts,
                    sc.unplaced_schedules.len()
                )
            } else {
                String::new()
            }
        ),
        None => "Gini: 0 when everyone had the same load, towards 1 when one person had it all, \
                 over the people the pages reached (per person in `tables/fairness.csv`). No \
                 schedule export was given: pages that name no one count for their team's \
                 unnamed on-call, and people on call whom no page reached are not counted."
            .into(),
    }));
    out
}

/// The headline figures against the targets.
fn headline(s: &Summary, targets: &Targets) -> Block {
    let row =
        |name: &str, value: Cell, target: String| vec![Cell::ours(name), value, Cell::ours(target)];
    let none = String::new;
    Block::Table(
        vec!["metric", "value", "target"],
        vec![
            row("alerts", Cell::ours(s.alerts.to_string()), none()),
            row("pages", Cell::ours(s.pages.to_string()), none()),
            row(
                "non-actionable pages",
                Cell::judged(
                    format!("{:.1}%", 100.0 * s.page_noise_ratio),
                    s.page_noise_ratio > targets.non_actionable_share,
                ),
                format!("under {}", percent(targets.non_actionable_share)),
            ),
            row(
                "interruptions (business / off hours / sleep)",
                Cell::ours(format!(
                    "{} ({} / {} / {})",
                    s.interruptions.total,
                    s.interruptions.business,
                    s.interruptions.off_hours,
                    s.interruptions.sleep
                )),
                none(),
            ),
            row(
                "disrupted hours",
                Cell::ours(s.disrupted_hours.to_string()),
                none(),
            ),
            row(
                &format!("12-hour shifts over {} pages", targets.pages_per_shift),
                Cell::judged(
                    format!("{} (most: {})", s.shifts_over_target, s.max_pages_per_shift),
                    s.shifts_over_target > 0,
                ),
                format!("at most {} per shift", targets.pages_per_shift),
            ),
            row(
                "MTTA p50 / p95 / mean",
                Cell::ours(format!(
                    "{} / {} / {} ({} pages never acknowledged)",
                    opt(s.mtta_seconds.p50),
                    opt(s.mtta_seconds.p95),
                    opt(s.mtta_seconds.mean),
                    s.unacknowledged_pages
                )),
                none(),
            ),
            row(
                "MTTR p50 / p95 / mean",
                Cell::ours(format!(
                    "{} / {} / {}",
                    opt(s.mttr_seconds.p50),
                    opt(s.mttr_seconds.p95),
                    opt(s.mttr_seconds.mean)
                )),
                none(),
            ),
            row(
                "toil",
                Cell::judged(
                    format!(
                        "{:.1} h ({:.1}% of on-call time)",
                        s.toil_hours,
                        100.0 * s.toil_share
                    ),
                    s.toil_share > targets.toil_share,
                ),
                format!("under {}", percent(targets.toil_share)),
            ),
            row(
                "storm compression",
                Cell::ours(format!(
                    "{:.1}% ({} episodes)",
                    100.0 * s.compression,
                    s.episodes
                )),
                none(),
            ),
        ],
    )
}

/// This period against the one just before.
fn previous(s: &Summary) -> Block {
    let prev = &s.previous_period;
    let delta = |now: f64, before: f64, unit: &str| {
        if prev.pages == 0 {
            "-".to_string()
        } else if unit.is_empty() {
            format!("{:+.0}", now - before)
        } else {
            format!("{:+.1}{unit}", now - before)
        }
    };
    let count = |name, now: u64, before: u64| {
        (
            name,
            now.to_string(),
            before.to_string(),
            now as f64,
            before as f64,
            "",
        )
    };
    let (noise_now, noise_before) = (100.0 * s.page_noise_ratio, 100.0 * prev.page_noise_ratio);
    let rows = [
        count("pages", s.pages, prev.pages),
        (
            "non-actionable pages",
            format!("{noise_now:.1}%"),
            format!("{noise_before:.1}%"),
            noise_now,
            noise_before,
            " pts",
        ),
        count(
            "interruptions",
            s.interruptions.total,
            prev.interruptions.total,
        ),
        count(
            "sleep interruptions",
            s.interruptions.sleep,
            prev.interruptions.sleep,
        ),
        (
            "toil hours",
            format!("{:.1}", s.toil_hours),
            format!("{:.1}", prev.toil_hours),
            s.toil_hours,
            prev.toil_hours,
            " h",
        ),
    ];
    Block::Table(
        vec!["metric", "this period", "previous", "change"],
        rows.into_iter()
            .map(|(name, now, before, a, b, unit)| {
                vec![
                    Cell::ours(name),
                    Cell::ours(now),
                    Cell::ours(before),
                    Cell::ours(delta(a, b, unit)),
                ]
            })
            .collect(),
    )
}

/// One row of a load table: pages, noise, interruptions (sleep), MTTA and
/// MTTR p50, toil.
fn load_cells(l: &Load) -> Vec<Cell> {
    vec![
        Cell::ours(l.pages.to_string()),
        Cell::ours(format!("{:.0}%", 100.0 * l.page_noise_ratio)),
        Cell::ours(format!(
            "{} ({})",
            l.interruptions.total, l.interruptions.sleep
        )),
        Cell::ours(opt(l.mtta_seconds.p50)),
        Cell::ours(opt(l.mttr_seconds.p50)),
        Cell::ours(format!("{:.1}", l.toil_hours)),
    ]
}

/// The trend by ISO week.
fn weekly(s: &Summary) -> Block {
    Block::Table(
        vec![
            "week",
            "pages",
            "non-actionable",
            "interruptions (sleep)",
            "MTTA p50",
            "MTTR p50",
            "toil h",
        ],
        s.weekly
            .iter()
            .map(|w| {
                let mut row = vec![Cell::ours(w.week.clone())];
                row.extend(load_cells(&w.load));
                row
            })
            .collect(),
    )
}

/// The load per team or per person.
fn loads_table(loads: &BTreeMap<String, Load>) -> Block {
    Block::Table(
        vec![
            "name",
            "pages",
            "noise",
            "interruptions (sleep)",
            "MTTA p50",
            "MTTR p50",
            "toil h",
        ],
        loads
            .iter()
            .map(|(name, l)| {
                let mut row = vec![Cell::data(name.clone())];
                row.extend(load_cells(l));
                row
            })
            .collect(),
    )
}

/// The ten templates that cost the most toil.
fn noisiest(m: &Metrics) -> Block {
    let mut by_toil: Vec<(&String, &Load)> = m.templates.iter().collect();
    by_toil.sort_by(|a, b| b.1.toil_hours.total_cmp(&a.1.toil_hours).then(a.0.cmp(b.0)));
    Block::Table(
        vec![
            "template",
            "pages",
            "noise",
            "sleep interruptions",
            "toil h",
        ],
        by_toil
            .iter()
            .take(10)
            .map(|(name, l)| {
                vec![
                    Cell::data(name.to_string()),
                    Cell::ours(l.pages.to_string()),
                    Cell::ours(format!("{:.0}%", 100.0 * l.page_noise_ratio)),
                    Cell::ours(l.interruptions.sleep.to_string()),
                    Cell::ours(format!("{:.1}", l.toil_hours)),
                ]
            })
            .collect(),
    )
}

/// The recommendations.
fn fixes(s: &Summary) -> Block {
    Block::Table(
        vec![
            "#",
            "template",
            "diagnosis",
            "fix",
            "saves per week (pages / in sleep / toil h)",
            "actionable delayed / hidden",
        ],
        s.recommendations
            .iter()
            .enumerate()
            .map(|(i, r)| {
                vec![
                    Cell::ours((i + 1).to_string()),
                    Cell::data(r.template.clone()),
                    Cell::ours(r.diagnosis.clone()),
                    // Our own text, with code spans; no data in it.
                    Cell::ours(r.fix.clone()),
                    Cell::ours(format!(
                        "{:.1} / {:.1} / {:.1}",
                        r.saved_pages_per_week,
                        r.saved_sleep_pages_per_week,
                        r.saved_toil_hours_per_week
                    )),
                    Cell::ours(format!(
                        "{} / {}",
                        r.actionable_delayed, r.actionable_hidden
                    )),
                ]
            })
            .collect(),
    )
}

/// The document as Markdown: blocks one after another, a blank line
/// between them.
pub fn markdown(doc: &[Block]) -> String {
    let mut o = String::new();
    for (i, block) in doc.iter().enumerate() {
        if i > 0 {
            o.push('\n');
        }
        match block {
            Block::Title(t) => {
                let _ = writeln!(o, "# {t}");
            }
            Block::Heading(h) => {
                let _ = writeln!(o, "## {h}");
            }
            Block::Para(p) | Block::MarkdownOnly(p) => {
                let _ = writeln!(o, "{p}");
            }
            Block::Table(header, rows) => {
                let _ = writeln!(o, "| {} |", header.join(" | "));
                let _ = writeln!(o, "|{}", "---|".repeat(header.len()));
                for row in rows {
                    o.push('|');
                    for c in row {
                        let text = if c.data { md(&c.text) } else { c.text.clone() };
                        if text.is_empty() && !c.data {
                            o.push_str(" |");
                        } else {
                            let _ = write!(o, " {text} |");
                        }
                    }
                    o.push('\n');
                }
            }
            Block::Charts(list) => {
                for (k, (file, title)) in list.iter().enumerate() {
                    if k > 0 {
                        o.push('\n');
                    }
                    let _ = writeln!(o, "![{title}](charts/{file})");
                }
            }
        }
    }
    o
}

const CSS: &str = "body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}\
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right;vertical-align:top}\
th{background:#f3f3f3}td.t{text-align:left;max-width:36em;overflow-wrap:anywhere}\
.bad{color:#b00020;font-weight:bold}.ok{color:#1b7a3a}figure{margin:1em 0}figcaption{font-size:.85em;color:#555}\
svg{max-width:100%;height:auto}";

/// The document as one self-contained HTML page: the same blocks, the
/// charts inline (`svgs`: each chart's file name and SVG), every text
/// escaped, no script and nothing fetched (its Content-Security-Policy
/// forbids both).
pub fn html(doc: &[Block], title: &str, svgs: &[(&str, String)]) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{}</title><style>{CSS}</style></head><body>\n",
        escape(title)
    );
    for block in doc {
        match block {
            Block::Title(t) => {
                let _ = writeln!(h, "<h1>{}</h1>", escape(t));
            }
            Block::Heading(t) => {
                let _ = writeln!(h, "<h2>{}</h2>", escape(t));
            }
            Block::Para(p) => {
                let _ = writeln!(h, "<p>{}</p>", code_spans(&escape(p)));
            }
            Block::MarkdownOnly(_) => {}
            Block::Table(header, rows) => {
                h.push_str("<table><tr>");
                for c in header {
                    let _ = write!(h, "<th>{}</th>", escape(c));
                }
                h.push_str("</tr>");
                for row in rows {
                    h.push_str("<tr>");
                    for (k, c) in row.iter().enumerate() {
                        // The first column, text from the data and prose (a
                        // fix) read left to right; figures align right.
                        let prose = c.text.len() > 40;
                        let class = if k == 0 || c.data || prose {
                            " class=\"t\""
                        } else {
                            ""
                        };
                        let text = if c.data {
                            escape(&c.text)
                        } else {
                            code_spans(&escape(&c.text))
                        };
                        match c.over_target {
                            Some(over) => {
                                let _ = write!(
                                    h,
                                    "<td{class}><span class=\"{}\">{text}</span></td>",
                                    if over { "bad" } else { "ok" }
                                );
                            }
                            None => {
                                let _ = write!(h, "<td{class}>{text}</td>");
                            }
                        }
                    }
                    h.push_str("</tr>");
                }
                h.push_str("</table>\n");
            }
            Block::Charts(list) => {
                for (file, title) in list {
                    let svg = svgs
                        .iter()
                        .find(|(f, _)| f == file)
                        .map_or("", |(_, s)| s.as_str());
                    let _ = writeln!(
                        h,
                        "<figure>{svg}<figcaption>{}</figcaption></figure>",
                        escape(title)
                    );
                }
            }
        }
    }
    h.push_str("<p>Written by alertsift from the exports given; definitions in its README.</p></body></html>\n");
    h
}

/// Our own text's Markdown code spans (`` `x` ``) as `<code>` (the text
/// already escaped; an unpaired backtick stays).
fn code_spans(escaped: &str) -> String {
    let parts: Vec<&str> = escaped.split('`').collect();
    if parts.len() % 2 == 0 {
        return escaped.to_string();
    }
    let mut out = String::with_capacity(escaped.len() + 16);
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One table, rendered both ways: data escaped for each format, our
    /// code spans kept in Markdown, a judged cell marked in HTML.
    #[test]
    fn both_renderers_escape_the_data() {
        let doc = vec![
            Block::Heading("Fixes".into()),
            Block::Table(
                vec!["template", "fix", "share"],
                vec![vec![
                    Cell::data("<b>disk|full</b>"),
                    Cell::ours("add `for: 5m`"),
                    Cell::judged("75.0%", true),
                ]],
            ),
        ];
        assert_eq!(
            markdown(&doc),
            "## Fixes\n\n| template | fix | share |\n|---|---|---|\n| &lt;b&gt;disk\\|full&lt;/b&gt; | add `for: 5m` | 75.0% |\n"
        );
        let h = html(&doc, "t", &[]);
        assert!(
            h.contains("<td class=\"t\">&lt;b&gt;disk|full&lt;/b&gt;</td>"),
            "{h}"
        );
        assert!(h.contains("<td>add <code>for: 5m</code></td>"), "{h}");
        assert!(h.contains("<span class=\"bad\">75.0%</span>"), "{h}");
    }
}
