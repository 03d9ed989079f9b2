//! What `alertsift whatif` writes: `whatif.json`, `whatif.csv` and
//! `whatif.md` (the chart stage draws `whatif.svg` and `whatif.png`).

use std::path::Path;

use crate::core::text::md;
use crate::error::Error;
use std::time::Duration;

use crate::whatif::{Outcome, WhatIf};

/// Write the what-if tables and document into `out`.
pub fn write(out: &Path, result: &WhatIf) -> Result<(), Error> {
    let write = |name: &str, bytes: &[u8]| -> Result<(), Error> {
        crate::core::fs::write_atomic(&out.join(name), |f| {
            use std::io::Write;
            f.write_all(bytes)
        })?;
        Ok(())
    };
    let mut json = serde_json::to_vec_pretty(result).unwrap_or_default();
    json.push(b'\n');
    write("whatif.json", &json)?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    for row in csv_rows(result) {
        csv.write_record(&row).map_err(|e| Error::Output {
            path: out.join("whatif.csv"),
            source: std::io::Error::other(e),
        })?;
    }
    let csv = csv.into_inner().unwrap_or_default();
    write("whatif.csv", &csv)?;
    write("whatif.md", markdown(result, Some("whatif.svg")).as_bytes())?;
    Ok(())
}

fn round2(x: f64) -> String {
    let t = format!("{x:.2}");
    t.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The CSV rows: per policy, overall (`team` empty) then per team.
pub fn csv_rows(w: &WhatIf) -> Vec<Vec<String>> {
    let mut rows = vec![[
        "policy",
        "team",
        "pages_before",
        "pages_after",
        "business_before",
        "business_after",
        "off_hours_before",
        "off_hours_after",
        "sleep_before",
        "sleep_after",
        "interruptions_before",
        "interruptions_after",
        "toil_hours_before",
        "toil_hours_after",
        "actionable_delayed",
        "delay_p50_s",
        "delay_max_s",
        "actionable_hidden",
    ]
    .map(String::from)
    .to_vec()];
    let opt = |x: Option<f64>| x.map(round2).unwrap_or_default();
    for o in &w.policies {
        let scopes =
            std::iter::once(("", &o.all)).chain(o.teams.iter().map(|(t, e)| (t.as_str(), e)));
        for (team, e) in scopes {
            let (b, a) = (&e.before, &e.after);
            rows.push(vec![
                o.name.clone(),
                team.to_string(),
                b.pages.to_string(),
                a.pages.to_string(),
                b.interruptions.business.to_string(),
                a.interruptions.business.to_string(),
                b.interruptions.off_hours.to_string(),
                a.interruptions.off_hours.to_string(),
                b.interruptions.sleep.to_string(),
                a.interruptions.sleep.to_string(),
                b.interruptions.total.to_string(),
                a.interruptions.total.to_string(),
                round2(b.toil_hours),
                round2(a.toil_hours),
                e.actionable_delayed.count.to_string(),
                opt(e.actionable_delayed.p50_seconds),
                opt(e.actionable_delayed.max_seconds),
                e.actionable_hidden.count.to_string(),
            ]);
        }
    }
    rows
}

/// whatif.md.
pub fn markdown(w: &WhatIf, chart: Option<&str>) -> String {
    let mut s = String::from("# What-if replay\n\n");
    s.push_str(&format!(
        "Pages from {} to {} ({} weeks), replayed under each policy. *Delayed*: actionable pages that would have notified later; *hidden*: actionable pages that would not have notified at all (listed below).\n\n",
        w.first_page.as_deref().unwrap_or("—"),
        w.last_page.as_deref().unwrap_or("—"),
        round2(w.weeks)
    ));
    s.push_str("| policy | pages | saved | sleep interruptions | toil hours | actionable delayed (p50, max) | actionable hidden |\n|---|---:|---:|---:|---:|---:|---:|\n");
    let secs = |x: Option<f64>| {
        x.map(crate::core::duration::rounded)
            .unwrap_or_else(|| "—".into())
    };
    for o in &w.policies {
        let e = &o.all;
        s.push_str(&format!(
            "| {} | {} → {} | {} | {} → {} | {} → {} | {} ({}, {}) | {} |\n",
            md(&o.name),
            e.before.pages,
            e.after.pages,
            e.before.pages - e.after.pages,
            e.before.interruptions.sleep,
            e.after.interruptions.sleep,
            round2(e.before.toil_hours),
            round2(e.after.toil_hours),
            e.actionable_delayed.count,
            secs(e.actionable_delayed.p50_seconds),
            secs(e.actionable_delayed.max_seconds),
            e.actionable_hidden.count
        ));
    }
    if let Some(sw) = &w.sweep {
        s.push_str(&format!(
            "\n## Sweep of `{}`\n\n| {} | pages saved | sleep interruptions saved | toil hours saved | actionable delayed | actionable hidden |\n|---:|---:|---:|---:|---:|---:|\n",
            sw.parameter, sw.parameter
        ));
        for (i, p) in sw.points.iter().enumerate() {
            let knee = if sw.knee == Some(i) {
                " **(knee)**"
            } else {
                ""
            };
            s.push_str(&format!(
                "| {}{knee} | {} | {} | {} | {} | {} |\n",
                crate::core::duration::exact(Duration::from_secs(p.value_seconds)),
                p.pages_saved,
                p.sleep_interruptions_saved,
                round2(p.toil_hours_saved),
                p.actionable_delayed,
                p.actionable_hidden
            ));
        }
        if let Some(k) = sw.knee.and_then(|k| sw.points.get(k)) {
            s.push_str(&format!(
                "\nThe knee — past it, each step saves less — is at {} ({} pages saved).\n",
                crate::core::duration::exact(Duration::from_secs(k.value_seconds)),
                k.pages_saved
            ));
        }
    }
    if let Some(c) = chart {
        s.push_str(&format!("\n![trade-off]({c})\n"));
    }
    let hidden: Vec<&Outcome> = w
        .policies
        .iter()
        .filter(|o| o.all.actionable_hidden.count > 0)
        .collect();
    if !hidden.is_empty() {
        s.push_str("\n## Actionable pages each policy would hide\n\n");
        for o in hidden {
            let ids = &o.all.actionable_hidden.alert_ids;
            s.push_str(&format!(
                "- {} ({}): {}{}\n",
                md(&o.name),
                ids.len(),
                ids.iter()
                    .take(20)
                    .map(|id| md(id))
                    .collect::<Vec<_>>()
                    .join(", "),
                if ids.len() > 20 {
                    " … (all in whatif.json)"
                } else {
                    ""
                }
            ));
        }
    }
    s
}
