//! The report's charts (`DIR/charts/*.svg`) and `DIR/report.html`: one
//! self-contained file — inline CSS, the charts inline as SVG, no script,
//! no network fetch (a Content-Security-Policy forbids both) — with every
//! string from the data HTML-escaped: alert titles are written by anyone
//! who can send an alert.

use std::fmt::Write;
use std::path::Path;

use super::{bar_chart, heatmap, stacked_bar_chart, Reference};
use crate::config::Targets;
use crate::core::duration::rounded as human_secs;
use crate::core::fs::write_atomic;
use crate::core::stats::Spread;
use crate::core::text::escape;
use crate::error::Error;
use crate::metrics::Load;
use crate::report::{charts, percent, Summary};

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
        _ => String::new(),
    }
}

/// Write `DIR/charts/*.svg`, their PNG copies `DIR/charts/*.png` and
/// `DIR/report.html`.
pub fn write(out: &Path, summary: &Summary, targets: &Targets) -> Result<(), Error> {
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
    let html = html(summary, &charts, targets);
    write_atomic(&out.join("report.html"), |f| {
        use std::io::Write;
        f.write_all(html.as_bytes())
    })?;
    Ok(())
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn secs(v: Option<f64>) -> String {
    v.map(human_secs).unwrap_or_else(|| "–".into())
}

/// p50 / p90 / p95 of a spread of seconds.
fn spread(sp: &Spread) -> String {
    format!("{} / {} / {}", secs(sp.p50), secs(sp.p90), secs(sp.p95))
}

const CSS: &str = "body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}\
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right;vertical-align:top}\
th{background:#f3f3f3}td.t{text-align:left;max-width:36em;overflow-wrap:anywhere}\
.bad{color:#b00020;font-weight:bold}.ok{color:#1b7a3a}figure{margin:1em 0}figcaption{font-size:.85em;color:#555}\
svg{max-width:100%;height:auto}";

/// The HTML document.
fn html(s: &Summary, charts: &[(&str, String, String)], targets: &Targets) -> String {
    let mut h = String::new();
    let period = format!(
        "{} to {}",
        s.period
            .first
            .as_deref()
            .or(s.time_range.first.as_deref())
            .unwrap_or("–"),
        s.period
            .last
            .as_deref()
            .or(s.time_range.last.as_deref())
            .unwrap_or("–")
    );
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>alertsift report: {p}</title><style>{CSS}</style></head><body>\n\
<h1>Paging load, noise and toil</h1><p>{p} · {a} alerts, {pg} pages, {n} noise alerts.</p>\n",
        p = escape(&period),
        a = s.alerts,
        pg = s.pages,
        n = s.noise
    );
    let flag = |bad: bool, text: String| {
        format!(
            "<span class=\"{}\">{}</span>",
            if bad { "bad" } else { "ok" },
            escape(&text)
        )
    };
    h.push_str("<h2>Headline</h2><table><tr><th>figure</th><th>value</th><th>target</th></tr>");
    let rows: Vec<(String, String, String)> = vec![
        ("pages".into(), s.pages.to_string(), String::new()),
        (
            "non-actionable pages".into(),
            flag(
                s.page_noise_ratio > targets.non_actionable_share,
                pct(s.page_noise_ratio),
            ),
            format!("under {}", percent(targets.non_actionable_share)),
        ),
        ("noise alerts".into(), pct(s.noise_ratio), String::new()),
        (
            "interruptions (business / off / sleep)".into(),
            format!(
                "{} ({} / {} / {})",
                s.interruptions.total,
                s.interruptions.business,
                s.interruptions.off_hours,
                s.interruptions.sleep
            ),
            String::new(),
        ),
        (
            "disrupted hours".into(),
            s.disrupted_hours.to_string(),
            String::new(),
        ),
        (
            format!("12-hour shifts over {} pages", targets.pages_per_shift),
            flag(
                s.shifts_over_target > 0,
                format!("{} (most: {})", s.shifts_over_target, s.max_pages_per_shift),
            ),
            "none".into(),
        ),
        (
            "MTTA p50 / p90 / p95".into(),
            spread(&s.mtta_seconds),
            String::new(),
        ),
        (
            "MTTR p50 / p90 / p95".into(),
            spread(&s.mttr_seconds),
            String::new(),
        ),
        (
            "never acknowledged pages".into(),
            s.unacknowledged_pages.to_string(),
            String::new(),
        ),
        (
            "toil hours (share of on-call time)".into(),
            flag(
                s.toil_share > targets.toil_share,
                format!("{:.1} ({})", s.toil_hours, pct(s.toil_share)),
            ),
            format!("under {}", percent(targets.toil_share)),
        ),
    ];
    for (name, value, target) in rows {
        // Values are escaped where they are built (`flag`) or are numbers.
        let _ = write!(
            h,
            "<tr><td class=\"t\">{}</td><td>{}</td><td>{}</td></tr>",
            escape(&name),
            value,
            escape(&target)
        );
    }
    h.push_str("</table>\n<h2>Charts</h2>\n");
    for (_, title, svg) in charts {
        let _ = writeln!(
            h,
            "<figure>{svg}<figcaption>{}</figcaption></figure>",
            escape(title)
        );
    }
    h.push_str("<h2>What to fix first</h2><table><tr><th>#</th><th>template</th><th>pages</th><th>noise</th><th>toil h</th><th>diagnosis</th><th>fix</th><th>saved pages / week</th><th>sleep pages / week</th><th>toil h / week</th><th>actionable delayed</th><th>actionable hidden</th></tr>");
    for (i, r) in s.recommendations.iter().enumerate() {
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"t\">{}</td><td>{}</td><td>{}</td><td>{:.1}</td><td class=\"t\">{}</td><td class=\"t\">{}</td><td>{:.1}</td><td>{:.1}</td><td>{:.2}</td><td>{}</td><td>{}</td></tr>",
            i + 1,
            escape(&r.template),
            r.pages,
            r.noise_pages,
            r.toil_hours,
            escape(&r.diagnosis),
            escape(&r.fix),
            r.saved_pages_per_week,
            r.saved_sleep_pages_per_week,
            r.saved_toil_hours_per_week,
            r.actionable_delayed,
            r.actionable_hidden
        );
    }
    h.push_str("</table>\n");
    for (heading, loads) in [("Teams", &s.teams), ("People reached", &s.responders)] {
        let _ = write!(
            h,
            "<h2>{heading}</h2><table><tr><th>name</th><th>pages</th><th>noise</th><th>interruptions</th><th>business</th><th>off</th><th>sleep</th><th>MTTA p50</th><th>MTTR p50</th><th>toil h</th></tr>"
        );
        for (name, l) in loads.iter() {
            let _ = write!(
                h,
                "<tr><td class=\"t\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.1}</td></tr>",
                escape(name),
                l.pages,
                l.noise_pages,
                l.interruptions.total,
                l.interruptions.business,
                l.interruptions.off_hours,
                l.interruptions.sleep,
                secs(l.mtta_seconds.p50),
                secs(l.mttr_seconds.p50),
                l.toil_hours
            );
        }
        h.push_str("</table>\n");
    }
    h.push_str("<p>Written by alertsift from the exports given; definitions in its README.</p></body></html>\n");
    h
}
