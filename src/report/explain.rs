//! `alertsift explain ALERT_ID`: one alert, its label, each reason with the
//! evidence and threshold behind it, and the incident it overlaps.

use std::fmt::Write;

use polars::prelude::*;

use crate::config::Config;
use crate::core::time::local_day_minute;
use crate::core::time::rfc3339_utc;
use crate::error::Error;
use crate::reasons::{self, Evidence};
use crate::schema as s;

/// One row of the classified table, read by column name.
struct Row<'a> {
    df: &'a DataFrame,
    i: usize,
}

impl Row<'_> {
    fn str(&self, name: &str) -> Option<String> {
        let c = self.df.column(name).ok()?;
        c.str().ok()?.get(self.i).map(str::to_string)
    }
    fn bool(&self, name: &str) -> Option<bool> {
        self.df.column(name).ok()?.bool().ok()?.get(self.i)
    }
    fn u32(&self, name: &str) -> Option<u32> {
        self.df.column(name).ok()?.u32().ok()?.get(self.i)
    }
    fn i64(&self, name: &str) -> Option<i64> {
        self.df.column(name).ok()?.i64().ok()?.get(self.i)
    }
    fn f64(&self, name: &str) -> Option<f64> {
        self.df.column(name).ok()?.f64().ok()?.get(self.i)
    }
    /// An instant column in µs.
    fn time(&self, name: &str) -> Option<i64> {
        let c = self.df.column(name).ok()?.cast(&DataType::Int64).ok()?;
        c.i64().ok()?.get(self.i)
    }
    fn reasons(&self) -> Vec<String> {
        let Ok(c) = self.df.column(s::REASONS) else {
            return Vec::new();
        };
        let Ok(list) = c.list() else {
            return Vec::new();
        };
        list.get_as_series(self.i)
            .and_then(|s| {
                s.str()
                    .ok()
                    .map(|c| c.iter().flatten().map(str::to_string).collect())
            })
            .unwrap_or_default()
    }
}

fn or_dash(v: Option<String>) -> String {
    v.unwrap_or_else(|| "-".into())
}

/// Explain row `i` of a classified alerts table.
pub fn explain_row(df: &DataFrame, i: usize, config: &Config) -> String {
    let r = Row { df, i };
    let th = &config.classify;
    let mut out = String::new();
    let t = r.time(s::TRIGGERED_AT);
    let a = r.time(s::ACKNOWLEDGED_AT);
    let res = r.time(s::RESOLVED_AT);
    let at = |v: Option<i64>| v.map_or_else(|| "-".to_string(), rfc3339_utc);
    let _ = writeln!(
        out,
        "alert {} ({}): {}",
        or_dash(r.str(s::ALERT_ID)),
        or_dash(r.str(s::SOURCE)),
        or_dash(r.str(s::TITLE))
    );
    let _ = writeln!(
        out,
        "  team {}, service {}, severity {}, urgency {}, paged {}",
        or_dash(r.str(s::TEAM)),
        or_dash(r.str(s::SERVICE)),
        or_dash(r.str(s::SEVERITY)),
        or_dash(r.str(s::URGENCY)),
        r.bool(s::PAGED)
            .map_or("-", |p| if p { "yes" } else { "no" })
    );
    let resolved_how = match (r.bool(s::AUTO_RESOLVED), r.str(s::RESOLVED_BY)) {
        (Some(true), _) => " by the integration".to_string(),
        (_, Some(who)) => format!(" by {who}"),
        (Some(false), None) => " by a person".to_string(),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "  triggered {}, acknowledged {}{}, resolved {}{}",
        at(t),
        at(a),
        r.str(s::ACKNOWLEDGED_BY)
            .map(|w| format!(" by {w}"))
            .unwrap_or_default(),
        at(res),
        resolved_how
    );
    let _ = writeln!(out, "  template {}", or_dash(r.str(s::TEMPLATE)));
    let _ = writeln!(
        out,
        "label: {} (score {:.2}: how sure it is noise)",
        or_dash(r.str(s::LABEL)),
        r.f64(s::SCORE).unwrap_or(0.0)
    );
    let reasons = r.reasons();
    if reasons.is_empty() {
        let _ = writeln!(out, "reasons: none");
    } else {
        let _ = writeln!(out, "reasons:");
    }
    let (dedup_key, severity, urgency) =
        (r.str(s::DEDUP_KEY), r.str(s::SEVERITY), r.str(s::URGENCY));
    let (episode_lead, incident) = (r.str(s::EPISODE_LEAD), r.str(s::INCIDENT_ID));
    let source = r.str(s::SOURCE);
    let folds = source
        .as_deref()
        .is_some_and(|src| crate::ingest::sources_folding_repeats().contains(&src));
    let tz = config.team_timezone(r.str(s::TEAM).as_deref());
    let evidence = Evidence {
        triggered: t,
        acknowledged: a,
        resolved: res,
        clear_gap_s: r.i64(s::CLEAR_GAP_S),
        dedup_key: dedup_key.as_deref(),
        folded_repeats: r.u32(s::REPEAT_COUNT).filter(|_| folds),
        recurring_days: r.u32(s::RECURRING_DAYS),
        recurring_contrast: r.f64(s::RECURRING_CONTRAST),
        local_time: t
            .and_then(|t| local_day_minute(t, tz))
            .map(|(_, m)| format!("{:02}:{:02} {tz}", m / 60, m % 60))
            .unwrap_or_else(|| "-".into()),
        paged: r.bool(s::PAGED),
        severity: severity.as_deref(),
        urgency: urgency.as_deref(),
        episode_lead: episode_lead.as_deref(),
        incident: incident.as_deref(),
        incident_counted: r.bool("f_incident"),
        manual_resolve: r.bool("f_manual_resolve") == Some(true),
        escalations: r.u32(s::ESCALATIONS),
        notes: r.u32(s::NOTES),
        long_engagement: r.bool("f_long_engagement") == Some(true),
        rule_pages: r.u32(s::RULE_PAGES),
        rule_work_pages: r.u32(s::RULE_WORK_PAGES),
        rule_chance_pages: r.f64(s::RULE_CHANCE_PAGES),
        rule_work: r.bool("f_rule_work") == Some(true),
    };
    for code in &reasons {
        let text = match reasons::of(code) {
            Some(reason) => (reason.explain)(&evidence, th).unwrap_or_default(),
            None => code.clone(),
        };
        let _ = writeln!(out, "  {code}: {text}");
    }
    let evidence: Vec<String> = reasons::TABLE
        .iter()
        .filter(|r| r.kind == reasons::Kind::Actionable)
        .filter_map(|r| (r.explain)(&evidence, th))
        .collect();
    if evidence.is_empty() {
        let _ = writeln!(out, "actionable evidence: none");
    } else {
        let _ = writeln!(out, "actionable evidence:");
        for e in evidence {
            let _ = writeln!(out, "  {e}");
        }
    }
    out
}

/// Find an alert in a run's `alerts.parquet` and explain it (`None`: no
/// alert has that id).
pub fn explain_file(
    path: &std::path::Path,
    alert_id: &str,
    config: &Config,
) -> Result<Option<String>, Error> {
    let f = std::fs::File::open(path).map_err(|source| Error::Output {
        path: path.to_path_buf(),
        source,
    })?;
    let df = ParquetReader::new(f)
        .finish()
        .and_then(|df| {
            df.lazy()
                .filter(col(s::ALERT_ID).eq(lit(alert_id)))
                .collect()
        })
        .map_err(Error::polars("the run's alerts table"))?;
    let rules = path.with_file_name("rules.csv");
    Ok((df.height() > 0).then(|| {
        (0..df.height())
            .map(|i| {
                let mut text = explain_row(&df, i, config);
                let template = Row { df: &df, i }.str(s::TEMPLATE_ID);
                if let Some(line) = template.and_then(|t| rule_line(&rules, &t)) {
                    text.push_str(&line);
                }
                text
            })
            .collect::<Vec<_>>()
            .join("\n")
    }))
}

/// What the run's `rules.csv` says of the alert's rule (its template), as
/// a line of `explain`; `None` without the file or the rule.
fn rule_line(rules: &std::path::Path, template_id: &str) -> Option<String> {
    let mut r = csv::Reader::from_path(rules).ok()?;
    let header = r.headers().ok()?.clone();
    let col = |name: &str| header.iter().position(|h| h == name);
    let id = col("template_id")?;
    let row = r
        .records()
        .filter_map(Result::ok)
        .find(|rec| rec.get(id) == Some(template_id))?;
    let get = |name: &str| col(name).and_then(|c| row.get(c)).unwrap_or("");
    let pct = |name: &str| {
        get(name)
            .parse::<f64>()
            .map_or_else(|_| "-".to_string(), |v| format!("{:.0}%", 100.0 * v))
    };
    let lead = match get("lead_time_p50_s").parse::<f64>() {
        Ok(s) => format!("; median lead {}", crate::core::duration::rounded(s)),
        Err(_) => String::new(),
    };
    Some(format!(
        "its rule (rules.csv): {} pages in the run, {} noise; {} overlapped an incident (precision {}, 95% interval {} to {}); {} of the {} incidents of its services had no page of it before they started{lead}\n",
        get("pages"),
        pct("noise_share"),
        get("incident_pages"),
        pct("precision"),
        pct("precision_low"),
        pct("precision_high"),
        get("silent_incidents"),
        get("incidents"),
    ))
}
