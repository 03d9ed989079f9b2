//! PagerDuty Analytics `POST /analytics/raw/incidents` JSON pages
//! (formats.md §1.5): `{data: [...], time_zone, first, last, more, …}`.
//!
//! Timestamps have **no offset**: they are in the request `time_zone` that the
//! page echoes. A page without `time_zone` uses `[sources.pagerduty]
//! timezone`; with neither, the file is refused with a message saying so. A
//! timestamp that does carry an offset is read as such. Metrics that are not
//! applicable are `null`, not 0, and stay null. PagerDuty's own interruption
//! counts are kept as labels (`pagerduty.business_hour_interruptions`, …) so
//! reports can be held against them. A `major` incident is also written to
//! the incidents table.

use chrono_tz::Tz;
use serde::Deserialize;

use super::json::{read_records, JsonEvent};
use super::time::{parse_instant, parse_instant_or_local, parse_naive, NAIVE_ISO};
use super::{AlertRecord, Ctx, Head, IncidentRecord, IngestError};
use crate::config::parse_tz;
use crate::schema::normalise_severity;

#[derive(Deserialize)]
struct Raw {
    id: String,
    #[serde(default, deserialize_with = "super::json::opt_num")]
    incident_number: Option<u64>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    urgency: Option<String>,
    #[serde(default)]
    major: Option<bool>,
    #[serde(default)]
    priority_name: Option<String>,
    #[serde(default)]
    service_name: Option<String>,
    #[serde(default)]
    service_id: Option<String>,
    #[serde(default)]
    team_name: Option<String>,
    #[serde(default)]
    team_id: Option<String>,
    #[serde(default)]
    escalation_policy_name: Option<String>,
    created_at: String,
    #[serde(default)]
    updated_at: Option<String>,
    #[serde(default)]
    resolved_at: Option<String>,
    #[serde(default, deserialize_with = "super::json::opt_num")]
    seconds_to_first_ack: Option<f64>,
    #[serde(default, deserialize_with = "super::json::opt_num")]
    seconds_to_resolve: Option<f64>,
    #[serde(default)]
    auto_resolved: Option<bool>,
    #[serde(default, deserialize_with = "super::json::opt_num")]
    escalation_count: Option<u32>,
    #[serde(default)]
    acknowledged_user_names: Option<Vec<String>>,
    #[serde(default)]
    assigned_user_names: Option<Vec<String>>,
    #[serde(default)]
    resolved_by_user_name: Option<String>,
    #[serde(default)]
    business_hour_interruptions: Option<u32>,
    #[serde(default)]
    off_hour_interruptions: Option<u32>,
    #[serde(default)]
    sleep_hour_interruptions: Option<u32>,
    #[serde(default)]
    total_interruptions: Option<u32>,
    #[serde(default)]
    total_notifications: Option<u32>,
}

/// This format, for [`super::Format::ALL`].
pub const VENDOR: super::Vendor = super::Vendor::new(
    "pagerduty-analytics",
    "pagerduty",
    "PagerDuty Analytics POST /analytics/raw/incidents pages",
    sniff,
    read,
);

/// Sure when the head has `data` with Analytics' incident metrics.
pub fn sniff(head: &Head) -> u8 {
    if head.is_json()
        && (head.has_key("seconds_to_resolve")
            || head.has_key("business_hour_interruptions")
            || head.has_key("seconds_to_first_ack"))
        && !head.has_key("tinyId")
    {
        88
    } else {
        0
    }
}

/// Read every page. Records are held until the page's end, where the page's
/// `time_zone` (which may follow `data`) is known; pages hold at most 1,000.
pub fn read(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let reader = ctx.open()?;
    let fallback = ctx.config.source_timezone("pagerduty");
    let mut page: Vec<(super::json::RecordAt, Vec<u8>)> = Vec::new();
    let mut page_tz: Option<Result<Tz, String>> = None;
    let mut fatal: Option<IngestError> = None;
    let result = read_records(reader, &["data"], &["time_zone"], &mut |ev| match ev {
        JsonEvent::Meta(_, v) => {
            page_tz = v.as_str().map(parse_tz);
        }
        JsonEvent::Record(at, raw) => page.push((at, raw.to_vec())),
        JsonEvent::Bad(at, why, raw) => ctx.reject_json(at, why, raw),
        JsonEvent::EndOfPage => {
            let tz = match page_tz.take() {
                Some(Ok(tz)) => Some(tz),
                Some(Err(e)) => {
                    for (at, raw) in page.drain(..) {
                        ctx.reject_json(at, format!("page time_zone: {e}"), &raw);
                    }
                    None
                }
                None => fallback,
            };
            for (at, raw) in page.drain(..) {
                if fatal.is_some() {
                    break;
                }
                match serde_json::from_slice::<Raw>(&raw) {
                    Err(e) => ctx.reject_json(at, format!("not an Analytics incident: {e}"), &raw),
                    Ok(r) => {
                        if tz.is_none()
                            && parse_instant(&r.created_at).is_err()
                            && parse_naive(&r.created_at, NAIVE_ISO).is_some()
                        {
                            fatal = Some(
                                ctx.naive_zone(&r.created_at)
                                    .err()
                                    .unwrap_or_else(|| ctx.malformed("no time zone")),
                            );
                            break;
                        }
                        match to_record(ctx, r, tz) {
                            Ok(()) => {}
                            Err(reason) => ctx.reject_json(at, reason, &raw),
                        }
                    }
                }
            }
        }
    });
    if let Some(e) = fatal {
        return Err(e);
    }
    ctx.finish_json(result)
}

fn to_record(ctx: &mut Ctx<'_>, r: Raw, tz: Option<Tz>) -> Result<(), String> {
    let at = |v: &str, what: &str| {
        parse_instant_or_local(v, tz, NAIVE_ISO).map_err(|e| format!("{what}: {e}"))
    };
    let created = at(&r.created_at, "created_at")?;
    let secs = |s: Option<f64>| {
        s.filter(|x| x.is_finite() && *x >= 0.0)
            .map(|x| (x * 1e6) as i64)
    };
    let resolved = match r.resolved_at.as_deref().filter(|s| !s.is_empty()) {
        Some(v) => Some(at(v, "resolved_at")?),
        None => secs(r.seconds_to_resolve).map(|d| created + d),
    };
    if resolved.is_some_and(|t| t < created) {
        return Err("resolved_at is before created_at".into());
    }
    let updated = r
        .updated_at
        .as_deref()
        .map(|v| at(v, "updated_at"))
        .transpose()?;
    let urgency = r.urgency.map(|u| u.to_ascii_lowercase());
    let paging = &ctx.config.paging.pagerduty_urgencies;
    let acked = r.acknowledged_user_names.unwrap_or_default();
    let mut people = r.assigned_user_names.unwrap_or_default();
    for a in &acked {
        if !people.contains(a) {
            people.push(a.clone());
        }
    }
    let mut labels = Vec::new();
    if let Some(n) = r.incident_number {
        labels.push(("incident_number".to_string(), n.to_string()));
    }
    if let Some(p) = &r.priority_name {
        labels.push(("priority".to_string(), p.clone()));
    }
    if let Some(ep) = &r.escalation_policy_name {
        labels.push(("escalation_policy".to_string(), ep.clone()));
    }
    for (k, v) in [
        (
            "pagerduty.business_hour_interruptions",
            r.business_hour_interruptions,
        ),
        ("pagerduty.off_hour_interruptions", r.off_hour_interruptions),
        (
            "pagerduty.sleep_hour_interruptions",
            r.sleep_hour_interruptions,
        ),
        ("pagerduty.total_interruptions", r.total_interruptions),
        ("pagerduty.total_notifications", r.total_notifications),
    ] {
        if let Some(v) = v {
            labels.push((k.to_string(), v.to_string()));
        }
    }
    let service = r.service_name.or(r.service_id);
    let team = r.team_name.or(r.team_id);
    let severity = r.priority_name.as_deref().and_then(normalise_severity);
    if r.major == Some(true) {
        ctx.push_incident(IncidentRecord {
            incident_id: r.id.clone(),
            title: r.description.clone(),
            severity,
            service: service.clone(),
            team: team.clone(),
            status: r.status.clone(),
            category: None,
            started_at: created,
            resolved_at: resolved,
            updated_at: updated,
        });
    }
    ctx.push_alert(AlertRecord {
        alert_id: r.id,
        dedup_key: None,
        title: r.description,
        service,
        team,
        severity,
        paged: urgency
            .as_ref()
            .map(|u| paging.iter().any(|p| p.eq_ignore_ascii_case(u))),
        urgency,
        triggered_at: created,
        acknowledged_at: secs(r.seconds_to_first_ack).map(|d| created + d),
        acknowledged_by: acked.first().cloned(),
        resolved_at: resolved,
        resolved_by: r.resolved_by_user_name,
        auto_resolved: r.auto_resolved,
        escalations: r.escalation_count,
        notes: None,
        repeat_count: None,
        responders: Some(people),
        labels,
        runbook: None,
        updated_at: updated,
    });
    Ok(())
}
