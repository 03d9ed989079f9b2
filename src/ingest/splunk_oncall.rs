//! Splunk On-Call (VictorOps) incidents (formats-more.md §8): the public
//! `GET /api-public/v1/incidents` snapshot (phases and transition names in
//! upper case: `UNACKED`, `ACKED`, `RESOLVED`) and the reporting
//! `GET /api-reporting/v2/incidents` history (`{offset, limit, total,
//! incidents}`, lower case: `triggered`, `acknowledged`, `resolved`), pages
//! appended or bare arrays; the retired v1 reporting fields (`ackTime`,
//! `ackUserId`, `endTime`, `entityDispName`) are read too.
//!
//! One alert per incident: `alert_id` = `incidentNumber` (text or number),
//! `dedup_key` = `entityId`, title = `entityDisplayName` (HTML entities such
//! as `&gt;` decoded; else `service`), service = `routingKey` (the
//! integration's routing: the best service hint; else `service`), team =
//! the first paged policy's team name (else the first paged team slug).
//! Severity from `entityState`: CRITICAL → critical, WARNING → warning,
//! INFO → info; OK says nothing. Triggered = `startTime`; acknowledged =
//! the first `ACKED`/`acknowledged` transition (`at`, `by`: `by` may be
//! missing); resolved = the first `RESOLVED`/`resolved` transition, by the
//! integration when `manually` is false or `by` is `SYSTEM`; a `RESOLVED`
//! phase with no transition resolves at `lastAlertTime`. Notes = transitions
//! with a message. Paged: Splunk On-Call opens an incident to page, so
//! every incident pages (`[paging] splunk_oncall`, default true), and its
//! responders are `pagedUsers`. `alertCount` is the repeat count (alerts
//! the incident holds, as PagerDuty's).

use serde::Deserialize;

use super::json::opt_text;
use super::time::parse_instant;
use super::{AlertRecord, Ctx, Head, IngestError, Parsed};
use crate::config::Config;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Named {
    name: Option<String>,
    slug: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PagedPolicy {
    policy: Named,
    team: Named,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Transition {
    name: Option<String>,
    at: Option<String>,
    by: Option<String>,
    message: Option<String>,
    manually: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Incident {
    #[serde(deserialize_with = "opt_text")]
    incident_number: Option<String>,
    current_phase: Option<String>,
    #[serde(deserialize_with = "super::json::opt_num")]
    alert_count: Option<u32>,
    entity_id: Option<String>,
    entity_display_name: Option<String>,
    /// Reporting v1's name for `entityDisplayName`.
    entity_disp_name: Option<String>,
    entity_state: Option<String>,
    entity_type: Option<String>,
    host: Option<String>,
    service: Option<String>,
    routing_key: Option<String>,
    monitor_type: Option<String>,
    incident_url: Option<String>,
    start_time: Option<String>,
    last_alert_time: Option<String>,
    paged_users: Vec<String>,
    paged_teams: Vec<String>,
    paged_policies: Vec<PagedPolicy>,
    transitions: Vec<Transition>,
    /// Reporting v1.
    ack_time: Option<String>,
    ack_user_id: Option<String>,
    end_time: Option<String>,
}

/// This format, for [`super::Format::ALL`].
pub const VENDOR: super::Vendor = super::Vendor::new(
    "splunk-oncall",
    "splunk_oncall",
    "Splunk On-Call (VictorOps) incidents: public v1 and reporting v2; severity (a choice): entityState CRITICAL critical, WARNING warning, INFO info",
    sniff,
    read,
);

/// Sure when the head has `incidentNumber` with one of Splunk On-Call's
/// incident fields.
pub fn sniff(head: &Head) -> u8 {
    let own = [
        "pagedPolicies",
        "currentPhase",
        "entityDisplayName",
        "entityDispName",
        "routingKey",
    ];
    if head.is_json() && head.has_key("incidentNumber") && own.iter().any(|k| head.has_key(k)) {
        91
    } else {
        0
    }
}

/// Read every incident.
pub fn read(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let config = ctx.config;
    super::json_records_parallel(ctx, &["incidents", "incident"], |raw| {
        serde_json::from_str::<Incident>(raw)
            .map_err(|e| format!("not a Splunk On-Call incident: {e}"))
            .and_then(|i| to_record(config, i))
            .map(|r| Parsed::Alert(r, false))
    })
    .map(|_| ())
}

/// `&gt;`, `&lt;`, `&amp;`, `&quot;`, `&#39;` decoded (display names carry
/// them).
fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&gt;", ">")
        .replace("&lt;", "<")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

fn to_record(config: &Config, i: Incident) -> Result<AlertRecord, String> {
    let id = i
        .incident_number
        .filter(|n| !n.is_empty())
        .ok_or("no incidentNumber")?;
    let at = |raw: Option<&str>, what: &str| -> Result<Option<i64>, String> {
        raw.filter(|s| !s.is_empty())
            .map(|s| parse_instant(s).map_err(|e| format!("{what}: {e}")))
            .transpose()
    };
    let triggered = at(i.start_time.as_deref(), "startTime")?.ok_or("no startTime")?;
    let named = |t: &Transition, names: &[&str]| {
        t.name
            .as_deref()
            .is_some_and(|n| names.iter().any(|w| n.eq_ignore_ascii_case(w)))
    };
    let ack = i
        .transitions
        .iter()
        .find(|t| named(t, &["acked", "acknowledged"]));
    let res = i.transitions.iter().find(|t| named(t, &["resolved"]));
    let (acknowledged_at, acknowledged_by) = match ack {
        Some(t) => (at(t.at.as_deref(), "transition at")?, t.by.clone()),
        None => (at(i.ack_time.as_deref(), "ackTime")?, i.ack_user_id.clone()),
    };
    let phase_resolved = i
        .current_phase
        .as_deref()
        .is_some_and(|p| p.eq_ignore_ascii_case("resolved"));
    let (resolved_at, resolved_by, auto_resolved) = match res {
        Some(t) => {
            let system =
                t.by.as_deref()
                    .is_some_and(|b| b.eq_ignore_ascii_case("system"));
            (
                at(t.at.as_deref(), "transition at")?,
                t.by.clone().filter(|_| !system),
                Some(t.manually == Some(false) || system),
            )
        }
        None => match at(i.end_time.as_deref(), "endTime")? {
            Some(end) => (Some(end), None, None),
            None if phase_resolved => (
                at(i.last_alert_time.as_deref(), "lastAlertTime")?,
                None,
                None,
            ),
            None => (None, None, None),
        },
    };
    if let Some(r) = resolved_at {
        if r < triggered {
            return Err("resolved before it started".into());
        }
    }
    let severity = i
        .entity_state
        .as_deref()
        .and_then(|s| match s.to_ascii_lowercase().as_str() {
            "critical" => Some("critical"),
            "warning" => Some("warning"),
            "info" => Some("info"),
            _ => None,
        });
    let title = i
        .entity_display_name
        .or(i.entity_disp_name)
        .or_else(|| i.service.clone())
        .map(|t| unescape(&t));
    let team = i
        .paged_policies
        .iter()
        .find_map(|p| p.team.name.clone().or_else(|| p.team.slug.clone()))
        .or_else(|| i.paged_teams.first().cloned());
    let notes = i
        .transitions
        .iter()
        .filter(|t| t.message.as_deref().is_some_and(|m| !m.trim().is_empty()))
        .count() as u32;
    let updated = i
        .transitions
        .iter()
        .filter_map(|t| t.at.as_deref().and_then(|a| parse_instant(a).ok()))
        .chain(at(i.last_alert_time.as_deref(), "lastAlertTime")?)
        .max();
    let mut labels: Vec<(String, String)> = Vec::new();
    for (k, v) in [
        ("routing_key", &i.routing_key),
        ("entity_type", &i.entity_type),
        ("monitor_type", &i.monitor_type),
        ("host", &i.host),
        ("phase", &i.current_phase),
        ("incident_url", &i.incident_url),
    ] {
        if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
            labels.push((k.to_string(), v.clone()));
        }
    }
    for p in &i.paged_policies {
        if let Some(name) = p.policy.name.as_ref().or(p.policy.slug.as_ref()) {
            labels.push(("policy".to_string(), name.clone()));
        }
    }
    Ok(AlertRecord {
        alert_id: id,
        dedup_key: i.entity_id,
        title,
        service: i.routing_key.filter(|r| !r.is_empty()).or(i.service),
        team,
        severity,
        urgency: None,
        paged: Some(config.paging.splunk_oncall),
        triggered_at: triggered,
        acknowledged_at,
        resolved_at,
        acknowledged_by,
        resolved_by,
        auto_resolved,
        escalations: None,
        notes: Some(notes),
        repeat_count: i.alert_count,
        responders: (!i.paged_users.is_empty()).then_some(i.paged_users),
        labels,
        runbook: None,
        updated_at: updated,
    })
}
