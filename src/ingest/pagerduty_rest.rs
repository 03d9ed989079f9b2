//! PagerDuty REST v2 `GET /incidents` JSON pages (formats.md §1.2):
//! `{incidents: [...], limit, offset, more, total}`, one page or many.
//!
//! One alert per incident, `alert_id` = the incident `id`. Timestamps carry
//! their offset. The incident object forgets acknowledgements once resolved,
//! so acknowledgement, resolver, escalations, notes and notified people come
//! from `/log_entries` pages given in the same run; without them, whether a
//! person or the integration resolved it is read from `last_status_change_by`
//! (`service_reference` = the integration), and the rest stays null.
//! `priority.summary` of the form `P1`…`P5` gives the severity.

use serde::Deserialize;

use super::json::{read_records, JsonEvent};
use super::time::parse_instant;
use super::{AlertRecord, Ctx, Head, IngestError};
use crate::schema::normalise_severity;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Ref {
    #[serde(deserialize_with = "super::json::opt_text")]
    id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    summary: Option<String>,
    /// REST v1 references carry a `name`, not a `summary`.
    name: Option<String>,
}

impl Ref {
    /// The reference's display text: v2's `summary`, else v1's `name`.
    fn text(&self) -> Option<String> {
        self.summary.clone().or_else(|| self.name.clone())
    }
}

/// REST v1's `trigger_summary_data`.
#[derive(Deserialize, Default)]
#[serde(default)]
struct TriggerSummary {
    subject: Option<String>,
    description: Option<String>,
}

#[derive(Deserialize)]
struct Ack {
    at: String,
    #[serde(default)]
    acknowledger: Option<Ref>,
}

#[derive(Deserialize)]
struct Assignment {
    #[serde(default)]
    assignee: Option<Ref>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AlertCounts {
    #[serde(default, deserialize_with = "super::json::opt_num")]
    all: Option<u32>,
}

#[derive(Deserialize)]
struct Incident {
    #[serde(deserialize_with = "text")]
    id: String,
    #[serde(default, deserialize_with = "super::json::opt_num")]
    incident_number: Option<u64>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    description: Option<String>,
    /// `include[]=body`: `{type, details}`, the details a text.
    #[serde(default)]
    body: Option<serde_json::Value>,
    /// `created_on` in REST v1.
    #[serde(alias = "created_on")]
    created_at: String,
    #[serde(default)]
    updated_at: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    urgency: Option<String>,
    #[serde(default)]
    incident_key: Option<String>,
    #[serde(default)]
    service: Option<Ref>,
    #[serde(default)]
    escalation_policy: Option<Ref>,
    #[serde(default)]
    teams: Vec<Ref>,
    #[serde(default)]
    priority: Option<Ref>,
    #[serde(default)]
    assignments: Vec<Assignment>,
    #[serde(default)]
    acknowledgements: Vec<Ack>,
    /// `last_status_change_on` in REST v1.
    #[serde(default, alias = "last_status_change_on")]
    last_status_change_at: Option<String>,
    #[serde(default)]
    last_status_change_by: Option<Ref>,
    #[serde(default)]
    resolved_at: Option<String>,
    #[serde(default)]
    alert_counts: Option<AlertCounts>,
    /// REST v1: the title.
    #[serde(default)]
    trigger_summary_data: Option<TriggerSummary>,
    /// REST v1: who resolved it (a user; absent when the integration did).
    #[serde(default)]
    resolved_by_user: Option<Ref>,
    /// REST v1: the assignee.
    #[serde(default)]
    assigned_to_user: Option<Ref>,
    /// REST v1: escalations.
    #[serde(default, deserialize_with = "super::json::opt_num")]
    number_of_escalations: Option<u32>,
}

/// An id given as text or as a number (every digit kept).
fn text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    super::json::opt_text(d)?.ok_or_else(|| serde::de::Error::custom("id is null"))
}

/// The keys whose value holds the incidents: a list page, or a single
/// `GET /incidents/{id}` response.
const ENVELOPE: &[&str] = &["incidents", "incident"];

/// This format, for [`super::Format::ALL`].
pub const VENDOR: super::Vendor = super::Vendor::new(
    "pagerduty-rest",
    "pagerduty",
    "PagerDuty REST GET /incidents (v2 and v1), pages, bare arrays or one incident",
    sniff,
    read,
);

/// Sure when the head holds PagerDuty incident fields (in a page or a bare
/// array): an incident number beside an escalation policy object or a
/// status change (Analytics records name `escalation_policy_id` instead).
pub fn sniff(head: &Head) -> u8 {
    if head.is_json()
        && head.has_key("incident_number")
        && (head.has_key("escalation_policy") || head.has_key("last_status_change_at"))
    {
        90
    } else {
        0
    }
}

/// Read every incident.
pub fn read(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let reader = ctx.open()?;
    let result = read_records(reader, ENVELOPE, &[], &mut |ev| match ev {
        JsonEvent::Record(at, raw) => {
            let outcome = super::json::from_record::<Incident>(raw)
                .map_err(|e| format!("not a PagerDuty incident: {e}"))
                .and_then(|i| to_record(ctx, i));
            match outcome {
                Ok(r) => {
                    ctx.push_alert(r);
                }
                Err(reason) => ctx.reject_json(at, reason, raw),
            }
        }
        JsonEvent::Bad(at, why, raw) => ctx.reject_json(at, why, raw),
        _ => {}
    });
    ctx.finish_json(result)
}

fn time(v: &Option<String>, what: &str) -> Result<Option<i64>, String> {
    v.as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| parse_instant(s).map_err(|e| format!("{what}: {e}")))
        .transpose()
}

fn to_record(ctx: &mut Ctx<'_>, i: Incident) -> Result<AlertRecord, String> {
    let created = parse_instant(&i.created_at).map_err(|e| format!("created_at: {e}"))?;
    let resolved_status = i.status.as_deref() == Some("resolved");
    let mut resolved = time(&i.resolved_at, "resolved_at")?;
    if resolved.is_none() && resolved_status {
        resolved = time(&i.last_status_change_at, "last_status_change_at")?;
    }
    let changed_by = i.last_status_change_by.as_ref();
    let mut auto_resolved = if resolved_status {
        match changed_by.and_then(|r| r.kind.as_deref()) {
            Some(k) if k.starts_with("service") || k.starts_with("integration") => Some(true),
            Some(k) if k.starts_with("user") => Some(false),
            // REST v1: a user object names who resolved it.
            _ if i.resolved_by_user.is_some() => Some(false),
            _ => None,
        }
    } else {
        None
    };
    let mut resolved_by = match auto_resolved {
        Some(false) => i
            .resolved_by_user
            .as_ref()
            .and_then(Ref::text)
            .or_else(|| changed_by.and_then(Ref::text)),
        _ => None,
    };
    let mut ack = i
        .acknowledgements
        .iter()
        .filter_map(|a| {
            parse_instant(&a.at)
                .ok()
                .map(|t| (t, a.acknowledger.as_ref().and_then(Ref::text)))
        })
        .min_by_key(|(t, _)| *t);
    let mut people: Vec<String> = Vec::new();
    let push_person = |p: Option<String>, people: &mut Vec<String>| {
        if let Some(p) = p {
            if !people.contains(&p) {
                people.push(p);
            }
        }
    };
    for a in &i.assignments {
        push_person(a.assignee.as_ref().and_then(Ref::text), &mut people);
    }
    push_person(i.assigned_to_user.as_ref().and_then(Ref::text), &mut people);
    for a in &i.acknowledgements {
        push_person(a.acknowledger.as_ref().and_then(Ref::text), &mut people);
    }
    let (mut escalations, mut notes) = (i.number_of_escalations, None);
    if let Some(log) = ctx.sink.pd_log.take(&i.id) {
        if let Some((t, who)) = log.first_ack {
            ack = Some((t, Some(who).filter(|w| !w.is_empty())));
        }
        if let Some((t, who, by_service)) = log.resolve {
            resolved = resolved.or(Some(t));
            auto_resolved = Some(by_service);
            resolved_by = who;
        }
        // The log's escalate entries, unless the incident counts more
        // (REST v1's number_of_escalations; a log export may be partial).
        escalations = Some(log.escalations.max(escalations.unwrap_or(0)));
        notes = Some(log.notes);
        for p in log.people {
            push_person(Some(p), &mut people);
        }
    }
    let priority = i.priority.as_ref().and_then(Ref::text);
    let urgency = i.urgency.map(|u| u.to_ascii_lowercase());
    let paging = &ctx.config.paging.pagerduty_urgencies;
    let mut labels = Vec::new();
    if let Some(n) = i.incident_number {
        labels.push(("incident_number".to_string(), n.to_string()));
    }
    if let Some(p) = &priority {
        labels.push(("priority".to_string(), p.clone()));
    }
    if let Some(ep) = i.escalation_policy.as_ref().and_then(Ref::text) {
        labels.push(("escalation_policy".to_string(), ep));
    }
    let team = i
        .teams
        .first()
        .and_then(|t| t.text().or_else(|| t.id.clone()));
    let details = i
        .body
        .as_ref()
        .and_then(|b| b.get("details"))
        .and_then(serde_json::Value::as_str);
    let runbook = [
        i.description.as_deref(),
        i.title.as_deref(),
        i.summary.as_deref(),
        details,
    ]
    .into_iter()
    .flatten()
    .find_map(super::record::runbook_line);
    Ok(AlertRecord {
        alert_id: i.id,
        dedup_key: i.incident_key,
        title: i.title.or(i.summary).or_else(|| {
            i.trigger_summary_data
                .and_then(|t| t.subject.or(t.description))
        }),
        service: i.service.and_then(|s| s.text().or(s.id)),
        team,
        severity: priority.as_deref().and_then(normalise_severity),
        paged: urgency
            .as_ref()
            .map(|u| paging.iter().any(|p| p.eq_ignore_ascii_case(u))),
        urgency,
        triggered_at: created,
        acknowledged_at: ack.as_ref().map(|(t, _)| *t),
        acknowledged_by: ack.and_then(|(_, w)| w),
        resolved_at: resolved,
        resolved_by,
        auto_resolved,
        escalations,
        notes,
        repeat_count: i.alert_counts.and_then(|c| c.all),
        responders: Some(people),
        labels,
        runbook,
        updated_at: time(&i.updated_at, "updated_at")?,
    })
}
