//! Opsgenie (and JSM Operations) `GET /v2/alerts` JSON pages (formats.md §2):
//! `{data: [...], paging, took, requestId}`.
//!
//! `alert_id` = `id`, `dedup_key` = `alias`, `repeat_count` = `count`.
//! `report.ackTime`/`closeTime` are **milliseconds** after `createdAt` (the
//! docs sample `15702` fits milliseconds, not seconds). A `closedBy` that is
//! an e-mail address is a person; anything else (`System`, `Alert API`, the
//! integration's name) means the integration closed it. A closed alert
//! without `closeTime` takes `updatedAt` as its close (counted in the input's
//! notes). Team: the `team:` tag (see `[ingest] team_label`), else a team
//! responder's name, else its id (map ids with `aliases`), else the service
//! owner. Service: the `service:` tag, else `details.service`.

use serde::Deserialize;

use super::time::parse_instant;
use super::{AlertRecord, Ctx, Head, IngestError, Parsed};
use crate::config::Config;
use crate::schema::normalise_severity;

/// `report`: times in milliseconds after `createdAt`, and who.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Report {
    #[serde(rename = "ackTime", default, deserialize_with = "super::json::opt_num")]
    pub(super) ack_time: Option<f64>,
    #[serde(
        rename = "closeTime",
        default,
        deserialize_with = "super::json::opt_num"
    )]
    pub(super) close_time: Option<f64>,
    #[serde(rename = "acknowledgedBy")]
    pub(super) acknowledged_by: Option<String>,
    #[serde(rename = "closedBy")]
    pub(super) closed_by: Option<String>,
}

/// A responder.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Responder {
    pub(super) id: Option<String>,
    #[serde(rename = "type")]
    pub(super) kind: Option<String>,
    pub(super) name: Option<String>,
    pub(super) username: Option<String>,
}

/// The integration that created the alert.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Integration {
    pub(super) name: Option<String>,
}

/// One alert as Opsgenie's v2 API gives it (JSM Operations alerts are
/// turned into one: `jsm.rs`).
#[derive(Deserialize)]
pub(super) struct Alert {
    pub(super) id: String,
    #[serde(default)]
    pub(super) alias: Option<String>,
    #[serde(default)]
    pub(super) message: Option<String>,
    /// The alert's detail text (the alert detail endpoint; list exports
    /// leave it out).
    #[serde(default)]
    pub(super) description: Option<String>,
    #[serde(default)]
    pub(super) status: Option<String>,
    #[serde(default)]
    pub(super) acknowledged: Option<bool>,
    #[serde(rename = "createdAt")]
    pub(super) created_at: String,
    #[serde(default, rename = "updatedAt")]
    pub(super) updated_at: Option<String>,
    #[serde(default, deserialize_with = "super::json::opt_num")]
    pub(super) count: Option<u32>,
    #[serde(default)]
    pub(super) tags: Vec<String>,
    #[serde(default)]
    pub(super) source: Option<String>,
    #[serde(default)]
    pub(super) owner: Option<String>,
    #[serde(default)]
    pub(super) priority: Option<String>,
    #[serde(default)]
    pub(super) responders: Vec<Responder>,
    #[serde(default)]
    pub(super) integration: Option<Integration>,
    #[serde(default)]
    pub(super) report: Option<Report>,
    #[serde(default)]
    pub(super) details: Option<std::collections::BTreeMap<String, serde_json::Value>>,
}

/// This format, for [`super::Format::ALL`].
pub const VENDOR: super::Vendor = super::Vendor {
    folds_repeats: true,
    ..super::Vendor::new(
        "opsgenie",
        "opsgenie",
        "Opsgenie GET /v2/alerts pages, bare arrays or one alert",
        sniff,
        read,
    )
};

/// Sure when the head has Opsgenie's `tinyId`, or `alias` with `message`.
pub fn sniff(head: &Head) -> u8 {
    if head.is_json()
        && (head.has_key("tinyId") || (head.has_key("alias") && head.has_key("message")))
    {
        90
    } else {
        0
    }
}

/// Read every alert (records parsed in parallel, kept in file order).
pub fn read(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let config = ctx.config;
    ctx.track_repeats();
    let counts = super::json_records_parallel(ctx, &["data"], |raw| {
        serde_json::from_str::<Alert>(raw)
            .map_err(|e| format!("not an Opsgenie alert: {e}"))
            .and_then(|a| to_record(config, a))
            .map(|(record, no_close_time)| Parsed::Alert(record, no_close_time))
    })?;
    if ctx.repeats() > 0 {
        ctx.report.notes.push(format!(
            "{} record(s) repeat an alert id read before in this file (pages that overlap): \
             one copy of each is kept, the latest update",
            ctx.repeats()
        ));
    }
    if counts.flagged > 0 {
        ctx.report.notes.push(format!(
            "{} closed alert(s) had no report.closeTime: resolved_at taken from updatedAt",
            counts.flagged
        ));
    }
    Ok(())
}

fn ms(v: Option<f64>) -> Option<i64> {
    v.filter(|x| x.is_finite() && *x >= 0.0)
        .map(|x| (x * 1000.0) as i64)
}

/// The record, and whether it was closed without a `closeTime`.
pub(super) fn to_record(config: &Config, a: Alert) -> Result<(AlertRecord, bool), String> {
    let created = parse_instant(&a.created_at).map_err(|e| format!("createdAt: {e}"))?;
    let updated = a
        .updated_at
        .as_deref()
        .map(|u| parse_instant(u).map_err(|e| format!("updatedAt: {e}")))
        .transpose()?;
    let report = a.report.unwrap_or_default();
    // Any casing (JSM shares this reading).
    let closed = a
        .status
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("closed"));
    let resolved = if closed {
        match ms(report.close_time) {
            Some(d) => Some(created + d),
            None => updated,
        }
    } else {
        None
    };
    let acknowledged_at = ms(report.ack_time).map(|d| created + d);
    let person = |s: &Option<String>| s.as_deref().is_some_and(|v| v.contains('@'));
    let auto_resolved = if closed {
        report
            .closed_by
            .as_ref()
            .map(|_| !person(&report.closed_by))
    } else {
        None
    };
    let no_close_time = closed && report.close_time.is_none();
    let settings = &config.ingest;
    let mut labels: Vec<(String, String)> = Vec::with_capacity(a.tags.len() + 2);
    let (mut team, mut service) = (None, None);
    for tag in &a.tags {
        let (k, v) = match tag.split_once(':') {
            Some((k, v)) => (k.trim().to_string(), v.trim().to_string()),
            None => (tag.trim().to_string(), String::new()),
        };
        if k == settings.team_label && !v.is_empty() && team.is_none() {
            team = Some(v.clone());
        }
        if k == settings.service_label && !v.is_empty() && service.is_none() {
            service = Some(v.clone());
        }
        labels.push((k, v));
    }
    let mut runbook = None;
    if let Some(details) = &a.details {
        for (k, v) in details {
            // A runbook link is the alert's runbook, not a label.
            if ["runbook", "runbook_url", "runbookurl"].contains(&k.to_ascii_lowercase().as_str()) {
                if runbook.is_none() {
                    runbook = v
                        .as_str()
                        .map(str::trim)
                        .filter(|u| !u.is_empty())
                        .map(str::to_string);
                }
                continue;
            }
            let v = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if *k == settings.service_label && service.is_none() {
                service = Some(v.clone());
            }
            if *k == settings.team_label && team.is_none() {
                team = Some(v.clone());
            }
            labels.push((k.clone(), v));
        }
    }
    if let Some(s) = &a.source {
        labels.push(("source".into(), s.clone()));
    }
    if let Some(name) = a.integration.and_then(|i| i.name) {
        labels.push(("integration".into(), name));
    }
    if team.is_none() {
        team = a
            .responders
            .iter()
            .filter(|r| r.kind.as_deref() == Some("team"))
            .find_map(|r| r.name.clone().or_else(|| r.id.clone()));
    }
    let mut people: Vec<String> = Vec::new();
    let users = a
        .responders
        .iter()
        .filter(|r| r.kind.as_deref() == Some("user"))
        .filter_map(|r| r.username.clone().or_else(|| r.name.clone()));
    for p in a
        .owner
        .clone()
        .into_iter()
        .chain(users)
        .chain(report.acknowledged_by.clone())
        .chain(report.closed_by.clone().filter(|c| c.contains('@')))
    {
        if !p.is_empty() && !people.contains(&p) {
            people.push(p);
        }
    }
    // Opsgenie's own default priority is P3.
    let priority = a.priority.or_else(|| Some("P3".to_string()));
    let paging = &config.paging.opsgenie_priorities;
    let acknowledged = a.acknowledged.unwrap_or(false) || acknowledged_at.is_some();
    let record = AlertRecord {
        alert_id: a.id,
        dedup_key: a.alias,
        title: a.message,
        service,
        team,
        severity: priority.as_deref().and_then(normalise_severity),
        paged: priority
            .as_ref()
            .map(|p| paging.iter().any(|q| q.eq_ignore_ascii_case(p))),
        urgency: priority,
        triggered_at: created,
        acknowledged_at: if acknowledged { acknowledged_at } else { None },
        acknowledged_by: report.acknowledged_by,
        resolved_at: resolved,
        resolved_by: report.closed_by.filter(|c| c.contains('@')),
        auto_resolved,
        escalations: None,
        notes: None,
        repeat_count: a.count,
        responders: Some(people),
        labels,
        runbook: runbook.or_else(|| {
            a.description
                .as_deref()
                .and_then(super::record::runbook_line)
        }),
        updated_at: updated,
    };
    Ok((record, no_close_time))
}
