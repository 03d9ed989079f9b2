//! incident.io `GET /v2/incidents` JSON pages (formats.md §5.3):
//! `{incidents: [...], pagination_meta: {after, page_size, total_record_count}}`.
//!
//! Into the incidents table, `incident_id` = `id`. There is no top-level
//! resolution time: `resolved_at` is the `incident_timestamp_values` entry
//! named "Resolved at" (else "Closed at"); `started_at` is the one named
//! "Impact started" (else "Reported at"), else `created_at`. Incidents whose
//! `mode` is not `standard` (test, tutorial, retrospective) or whose status
//! category is `declined`, `merged` or `canceled` are skipped and counted in
//! the input's notes. Team: the first of `team_ids` (map ids with `aliases`).

use serde::Deserialize;

use super::time::parse_instant;
use super::{Ctx, Head, IncidentRecord, IngestError, Parsed};
use crate::schema::normalise_severity;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Named {
    name: Option<String>,
    category: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TsValue {
    value: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Timestamp {
    incident_timestamp: Named,
    value: Option<TsValue>,
}

#[derive(Deserialize)]
struct Incident {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    incident_status: Option<Named>,
    #[serde(default)]
    severity: Option<Named>,
    created_at: String,
    #[serde(default)]
    updated_at: Option<String>,
    #[serde(default)]
    incident_timestamp_values: Vec<Timestamp>,
    #[serde(default)]
    team_ids: Vec<String>,
    /// Its type (`incident_type.name`): the category of repeat incidents.
    #[serde(default)]
    incident_type: Option<Named>,
}

/// This format, for [`super::Format::ALL`].
pub const VENDOR: super::Vendor = super::Vendor::new(
    "incidentio",
    "incidentio",
    "incident.io GET /v2/incidents pages",
    sniff,
    read,
);

/// Sure when the head has `incidents` with incident.io's `incident_status`.
pub fn sniff(head: &Head) -> u8 {
    if head.is_json()
        && (head.has_key("incident_status") || head.has_key("incident_timestamp_values"))
    {
        92
    } else {
        0
    }
}

/// Read every incident.
pub fn read(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let counts = super::json_records_parallel(ctx, &["incidents", "incident"], |raw| {
        serde_json::from_str::<Incident>(raw)
            .map_err(|e| format!("not an incident.io incident: {e}"))
            .and_then(to_record)
            .map(|r| r.map_or(Parsed::Skipped, Parsed::Incident))
    })?;
    if counts.skipped > 0 {
        ctx.report.notes.push(format!(
            "{} incident(s) skipped: test/tutorial/retrospective mode, or declined/merged/canceled",
            counts.skipped
        ));
    }
    Ok(())
}

fn to_record(i: Incident) -> Result<Option<IncidentRecord>, String> {
    if i.mode.as_deref().is_some_and(|m| m != "standard") {
        return Ok(None);
    }
    let category = i
        .incident_status
        .as_ref()
        .and_then(|s| s.category.as_deref());
    if matches!(category, Some("declined" | "merged" | "canceled")) {
        return Ok(None);
    }
    let stamp = |names: &[&str]| -> Result<Option<i64>, String> {
        for name in names {
            let hit = i.incident_timestamp_values.iter().find(|t| {
                t.incident_timestamp
                    .name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            });
            if let Some(v) = hit
                .and_then(|t| t.value.as_ref())
                .and_then(|v| v.value.as_deref())
            {
                return parse_instant(v)
                    .map(Some)
                    .map_err(|e| format!("{name}: {e}"));
            }
        }
        Ok(None)
    };
    let created = parse_instant(&i.created_at).map_err(|e| format!("created_at: {e}"))?;
    let started = stamp(&["Impact started", "Reported at"])?.unwrap_or(created);
    let resolved = stamp(&["Resolved at", "Closed at"])?;
    let updated = i
        .updated_at
        .as_deref()
        .map(|u| parse_instant(u).map_err(|e| format!("updated_at: {e}")))
        .transpose()?;
    Ok(Some(IncidentRecord {
        incident_id: i.id,
        title: i.name,
        severity: i
            .severity
            .as_ref()
            .and_then(|s| s.name.as_deref())
            .and_then(normalise_severity),
        service: None,
        team: i.team_ids.into_iter().next(),
        status: i.incident_status.and_then(|s| s.name),
        category: i.incident_type.and_then(|t| t.name),
        started_at: started,
        resolved_at: resolved,
        updated_at: updated,
    }))
}
