//! The documents a run writes: `DIR/report.md` and `DIR/tables/*.csv`.
//!
//! Every string that comes from the data (titles, templates, names) is
//! escaped for Markdown tables: `&`, `<`, `>` as entities (so a title like
//! `<script>` shows as text wherever the Markdown is rendered), `|` and
//! newlines so a row stays one row.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::Summary;
use crate::core::duration::rounded as human_secs;
use crate::core::fs::write_atomic;
pub use crate::core::text::md;
use crate::error::Error;
use crate::metrics::{Load, Metrics};

fn opt(v: Option<f64>) -> String {
    v.map(human_secs).unwrap_or_else(|| "-".into())
}

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

fn write_loads(path: &Path, loads: &BTreeMap<String, Load>) -> Result<(), Error> {
    write_atomic(path, |f| {
        let mut w = csv::Writer::from_writer(f);
        let err = |e: csv::Error| std::io::Error::other(e.to_string());
        w.write_record(LOAD_HEADER).map_err(err)?;
        for (name, l) in loads {
            w.write_record(load_row(name, l)).map_err(err)?;
        }
        w.flush()
    })?;
    Ok(())
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

/// `tables/weekly.csv`: the trend.
pub fn write_weekly(dir: &Path, weeks: &[super::WeekLoad]) -> Result<(), Error> {
    let loads: BTreeMap<String, Load> = weeks
        .iter()
        .map(|w| (w.week.clone(), w.load.clone()))
        .collect();
    write_loads(&dir.join("weekly.csv"), &loads)
}

/// `tables/recommendations.csv`.
pub fn write_recommendations(
    dir: &Path,
    recs: &[crate::whatif::recommend::Recommendation],
) -> Result<(), Error> {
    write_atomic(&dir.join("recommendations.csv"), |f| {
        let mut w = csv::Writer::from_writer(f);
        let err = |e: csv::Error| std::io::Error::other(e.to_string());
        w.write_record([
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
        ])
        .map_err(err)?;
        for (i, r) in recs.iter().enumerate() {
            let reasons: Vec<String> = r.reasons.iter().map(|(c, n)| format!("{c}:{n}")).collect();
            w.write_record([
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
            ])
            .map_err(err)?;
        }
        w.flush()
    })?;
    Ok(())
}

/// `report.md`: the headline figures against their targets, the load per
/// team and per person, and the templates that cost the most toil.
pub fn write_markdown(
    path: &Path,
    s: &Summary,
    m: &Metrics,
    targets: &crate::config::Targets,
) -> Result<(), Error> {
    let pct = super::percent;
    let mut o = String::new();
    let period = format!(
        "{} to {}",
        s.period.first.as_deref().unwrap_or("-"),
        s.period.last.as_deref().unwrap_or("-")
    );
    let _ = writeln!(o, "# On-call report\n\nPeriod: {period} (UTC).\n");
    let _ = writeln!(o, "| metric | value | target |\n|---|---|---|");
    let _ = writeln!(o, "| alerts | {} | |", s.alerts);
    let _ = writeln!(o, "| pages | {} | |", s.pages);
    let _ = writeln!(
        o,
        "| non-actionable pages | {:.1}% | under {} |",
        100.0 * s.page_noise_ratio,
        pct(targets.non_actionable_share)
    );
    let _ = writeln!(
        o,
        "| interruptions (business / off hours / sleep) | {} ({} / {} / {}) | |",
        s.interruptions.total,
        s.interruptions.business,
        s.interruptions.off_hours,
        s.interruptions.sleep
    );
    let _ = writeln!(o, "| disrupted hours | {} | |", s.disrupted_hours);
    let _ = writeln!(
        o,
        "| 12-hour shifts over {n} pages | {} (most: {}) | at most {n} per shift |",
        s.shifts_over_target,
        s.max_pages_per_shift,
        n = targets.pages_per_shift
    );
    let _ = writeln!(
        o,
        "| MTTA p50 / p95 / mean | {} / {} / {} ({} pages never acknowledged) | |",
        opt(s.mtta_seconds.p50),
        opt(s.mtta_seconds.p95),
        opt(s.mtta_seconds.mean),
        s.unacknowledged_pages
    );
    let _ = writeln!(
        o,
        "| MTTR p50 / p95 / mean | {} / {} / {} | |",
        opt(s.mttr_seconds.p50),
        opt(s.mttr_seconds.p95),
        opt(s.mttr_seconds.mean)
    );
    let _ = writeln!(
        o,
        "| toil | {:.1} h ({:.1}% of on-call time) | under {} |",
        s.toil_hours,
        100.0 * s.toil_share,
        pct(targets.toil_share)
    );
    let _ = writeln!(
        o,
        "| storm compression | {:.1}% ({} episodes) | |\n",
        100.0 * s.compression,
        s.episodes
    );
    let _ = writeln!(
        o,
        "## Charts\n\nAlso in `report.html`, one self-contained file.\n"
    );
    for (file, title) in super::charts(targets) {
        let _ = writeln!(o, "![{title}](charts/{file})\n");
    }
    // This period against the one just before.
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
    let _ = writeln!(
        o,
        "## Against the previous period\n\n| metric | this period | previous | change |\n|---|---|---|---|"
    );
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
    for (name, now, before, a, b, unit) in [
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
    ] {
        let _ = writeln!(o, "| {name} | {now} | {before} | {} |", delta(a, b, unit));
    }
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "## Trend by week\n\n| week | pages | non-actionable | interruptions (sleep) | MTTA p50 | MTTR p50 | toil h |\n|---|---|---|---|---|---|---|"
    );
    for w in &s.weekly {
        let l = &w.load;
        let _ = writeln!(
            o,
            "| {} | {} | {:.0}% | {} ({}) | {} | {} | {:.1} |",
            w.week,
            l.pages,
            100.0 * l.page_noise_ratio,
            l.interruptions.total,
            l.interruptions.sleep,
            opt(l.mtta_seconds.p50),
            opt(l.mttr_seconds.p50),
            l.toil_hours
        );
    }
    o.push('\n');
    let table = |o: &mut String, title: &str, loads: &BTreeMap<String, Load>| {
        let _ = writeln!(
            o,
            "## {title}\n\n| name | pages | noise | interruptions (sleep) | MTTA p50 | MTTR p50 | toil h |\n|---|---|---|---|---|---|---|"
        );
        for (name, l) in loads {
            let _ = writeln!(
                o,
                "| {} | {} | {:.0}% | {} ({}) | {} | {} | {:.1} |",
                md(name),
                l.pages,
                100.0 * l.page_noise_ratio,
                l.interruptions.total,
                l.interruptions.sleep,
                opt(l.mtta_seconds.p50),
                opt(l.mttr_seconds.p50),
                l.toil_hours
            );
        }
        o.push('\n');
    };
    table(&mut o, "Teams", &m.teams);
    table(&mut o, "Responders", &m.responders);
    let mut by_toil: Vec<(&String, &Load)> = m.templates.iter().collect();
    by_toil.sort_by(|a, b| b.1.toil_hours.total_cmp(&a.1.toil_hours).then(a.0.cmp(b.0)));
    let _ = writeln!(
        o,
        "## Noisiest templates (by toil)\n\n| template | pages | noise | sleep interruptions | toil h |\n|---|---|---|---|---|"
    );
    for (name, l) in by_toil.iter().take(10) {
        let _ = writeln!(
            o,
            "| {} | {} | {:.0}% | {} | {:.1} |",
            md(name),
            l.pages,
            100.0 * l.page_noise_ratio,
            l.interruptions.sleep,
            l.toil_hours
        );
    }
    let _ = writeln!(
        o,
        "\n## What to fix first\n\n| # | template | diagnosis | fix | saves per week (pages / in sleep / toil h) | actionable delayed / hidden |\n|---|---|---|---|---|---|"
    );
    for (i, r) in s.recommendations.iter().enumerate() {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {:.1} / {:.1} / {:.1} | {} / {} |",
            i + 1,
            md(&r.template),
            r.diagnosis,
            // Our own text, with code spans; no data in it.
            r.fix,
            r.saved_pages_per_week,
            r.saved_sleep_pages_per_week,
            r.saved_toil_hours_per_week,
            r.actionable_delayed,
            r.actionable_hidden
        );
    }
    let _ = writeln!(
        o,
        "\nEvery table is also in `tables/*.csv`; per-template statistics in `templates.csv`; alerts to tag next in `review.csv`."
    );
    write_atomic(path, |f| {
        use std::io::Write;
        f.write_all(o.as_bytes())
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
