//! `alertsift explain ALERT_ID`: one alert, its label, each reason with the
//! evidence and threshold behind it, and the incident it overlaps.

use std::fmt::Write;

use polars::prelude::*;

use crate::config::Config;
use crate::core::time::local_day_minute;
use crate::core::time::rfc3339_utc;
use crate::error::Error;
use crate::schema as s;

/// Seconds as a threshold is written (`1h30m`).
fn human(secs: i64) -> String {
    crate::core::duration::exact(std::time::Duration::from_secs(secs.max(0) as u64))
}

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
    let secs = |from: Option<i64>, to: Option<i64>| match (from, to) {
        (Some(f), Some(t)) => Some((t - f) / 1_000_000),
        _ => None,
    };
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
    for code in &reasons {
        let text = match code.as_str() {
            "TRANSIENT" => format!(
                "resolved by the integration {} after trigger, never acknowledged; threshold {}",
                human(secs(t, res).unwrap_or(0)),
                human(th.transient_window.as_secs() as i64)
            ),
            "FLAPPING" => match r.i64(s::CLEAR_GAP_S) {
                Some(gap) if gap <= th.refire_window.as_secs() as i64 => format!(
                    "fired {} after the previous occurrence of the same alert cleared; threshold {}",
                    human(gap),
                    human(th.refire_window.as_secs() as i64)
                ),
                _ => format!(
                    "the same alert fired again within {} of this one clearing, or more than {} state changes within {}",
                    human(th.refire_window.as_secs() as i64),
                    th.flapping_changes,
                    human(th.flapping_window.as_secs() as i64)
                ),
            },
            "DUPLICATE" => {
                let key = r
                    .str(s::DEDUP_KEY)
                    .map(|k| format!("dedup key {k}"))
                    .unwrap_or_else(|| "service and title".into());
                match r.u32(s::REPEAT_COUNT) {
                    Some(n) if n > 1 && r.str(s::SOURCE).as_deref() == Some("opsgenie") => {
                        format!("the vendor folded {n} repeats into it ({key})")
                    }
                    _ => format!(
                        "another occurrence with the same identity ({key}) was open when it fired, or fired while it was open"
                    ),
                }
            }
            "UNACKED" => format!(
                "paged, and nobody acknowledged it before it resolved {} after trigger",
                human(secs(t, res).unwrap_or(0))
            ),
            "ACK_NO_ACTION" => format!(
                "acknowledged {} after trigger, then resolved by the integration {} later; no incident, escalation or note",
                human(secs(t, a).unwrap_or(0)),
                human(secs(a, res).unwrap_or(0))
            ),
            "RECURRING" => {
                let team = r.str(s::TEAM);
                let tz = config.team_timezone(team.as_deref());
                let local = t
                    .and_then(|t| local_day_minute(t, tz))
                    .map(|(_, m)| format!("{:02}:{:02} {tz}", m / 60, m % 60))
                    .unwrap_or_else(|| "-".into());
                format!(
                    "its template fired within {} of {local} on {} of the last {} days; threshold {} days",
                    human(th.recurring_tolerance.as_secs() as i64),
                    r.u32(s::RECURRING_DAYS).unwrap_or(0),
                    th.recurring_lookback_days,
                    th.recurring_days
                )
            }
            "NON_PAGING" => {
                let mut why = Vec::new();
                if r.bool(s::PAGED) == Some(false) {
                    why.push("not sent to a paging channel".to_string());
                }
                if r.str(s::SEVERITY).as_deref() == Some("info") {
                    why.push("informational severity".to_string());
                }
                if r.str(s::URGENCY).as_deref() == Some("low") {
                    why.push("low urgency".to_string());
                }
                why.join(", ")
            }
            "STORM_SECONDARY" => format!(
                "not the first alert of its episode (alerts of the team chaining within {}); the episode's lead {} is actionable",
                human(th.episode_gap.as_secs() as i64),
                or_dash(r.str(s::EPISODE_LEAD))
            ),
            other => other.to_string(),
        };
        let _ = writeln!(out, "  {code}: {text}");
    }
    let mut evidence = Vec::new();
    if let Some(inc) = r.str(s::INCIDENT_ID) {
        evidence.push(format!(
            "overlaps incident {inc} (from {} before it started to its end){}",
            human(th.incident_lead.as_secs() as i64),
            if r.bool("f_incident") == Some(false) {
                "; explained by the storm's lead, not counted"
            } else {
                ""
            }
        ));
    }
    if r.bool("f_manual_resolve") == Some(true) {
        evidence.push("resolved by a person after acknowledging".into());
    }
    if let Some(n) = r.u32(s::ESCALATIONS).filter(|n| *n > 0) {
        evidence.push(format!("escalated {n} time(s)"));
    }
    if let Some(n) = r.u32(s::NOTES).filter(|n| *n > 0) {
        evidence.push(format!("{n} note(s)"));
    }
    if r.bool("f_long_engagement") == Some(true) {
        evidence.push(format!(
            "engaged {} from acknowledgement to resolve; threshold {}",
            human(secs(a, res).unwrap_or(0)),
            human(th.long_engagement.as_secs() as i64)
        ));
    }
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
    Ok((df.height() > 0).then(|| {
        (0..df.height())
            .map(|i| explain_row(&df, i, config))
            .collect::<Vec<_>>()
            .join("\n")
    }))
}
