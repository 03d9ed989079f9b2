//! Grafana OnCall / Cloud IRM `GET /api/v1/alert_groups/` JSON pages
//! (formats.md §4.1): `{count, next, previous, results: [...], …}`.
//!
//! One alert per alert group, `alert_id` = the group `id`, `repeat_count` =
//! `alerts_count`. A resolved group whose `resolved_by` is null was resolved
//! by its integration (`auto_resolved`); a user id there is a person. Labels
//! are read in both shapes seen: an object `{k: v}` and a list of
//! `{key: {name}, value: {name}}`. Team: the `team` label, else the first of
//! `teams`. Whether groups page is `[paging] grafana_oncall` (default true).

use serde::Deserialize;

use super::time::parse_instant;
use super::{AlertRecord, Ctx, Head, IngestError, Parsed};
use crate::config::Config;
use crate::schema::normalise_severity;

#[derive(Deserialize)]
struct Group {
    id: String,
    #[serde(default)]
    integration_id: Option<String>,
    #[serde(default)]
    route_id: Option<String>,
    #[serde(default, deserialize_with = "super::json::opt_num")]
    alerts_count: Option<u32>,
    #[serde(default)]
    state: Option<String>,
    created_at: String,
    #[serde(default)]
    acknowledged_at: Option<String>,
    #[serde(default)]
    resolved_at: Option<String>,
    #[serde(default)]
    acknowledged_by: Option<String>,
    #[serde(default)]
    resolved_by: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    labels: Option<serde_json::Value>,
    #[serde(default)]
    teams: Option<Vec<serde_json::Value>>,
}

/// This format, for [`super::Format::ALL`].
pub const VENDOR: super::Vendor = super::Vendor::new(
    "grafana-oncall",
    "grafana_oncall",
    "Grafana OnCall GET /api/v1/alert_groups/ pages",
    sniff,
    read,
);

/// Sure when the head has `alerts_count` with `integration_id`.
pub fn sniff(head: &Head) -> u8 {
    if head.is_json() && head.has_key("alerts_count") && head.has_key("integration_id") {
        90
    } else {
        0
    }
}

/// Read every alert group.
pub fn read(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let config = ctx.config;
    super::json_records_parallel(ctx, &["results"], |raw| {
        serde_json::from_str::<Group>(raw)
            .map_err(|e| format!("not a Grafana OnCall alert group: {e}"))
            .and_then(|g| to_record(config, g))
            .map(|r| Parsed::Alert(r, false))
    })
    .map(|_| ())
}

fn name_of(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Object(o) => ["name", "id"]
            .iter()
            .find_map(|k| o.get(*k).and_then(name_of)),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn labels_of(v: Option<serde_json::Value>) -> Vec<(String, String)> {
    match v {
        Some(serde_json::Value::Object(o)) => o
            .into_iter()
            .map(|(k, v)| (k, name_of(&v).unwrap_or_default()))
            .collect(),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|item| {
                let k = item.get("key").and_then(name_of)?;
                Some((k, item.get("value").and_then(name_of).unwrap_or_default()))
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn to_record(config: &Config, g: Group) -> Result<AlertRecord, String> {
    let at = |v: &Option<String>, what: &str| {
        v.as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| parse_instant(s).map_err(|e| format!("{what}: {e}")))
            .transpose()
    };
    let created = parse_instant(&g.created_at).map_err(|e| format!("created_at: {e}"))?;
    let acknowledged = at(&g.acknowledged_at, "acknowledged_at")?;
    let resolved = at(&g.resolved_at, "resolved_at")?;
    let mut labels = labels_of(g.labels);
    let settings = &config.ingest;
    let find = |key: &str, labels: &[(String, String)]| {
        labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    let team = find(&settings.team_label, &labels)
        .or_else(|| g.teams.as_ref().and_then(|t| t.first()).and_then(name_of));
    let service = find(&settings.service_label, &labels);
    let severity = find("severity", &labels).and_then(|s| normalise_severity(&s));
    if let Some(i) = g.integration_id {
        labels.push(("integration_id".into(), i));
    }
    if let Some(r) = g.route_id {
        labels.push(("route_id".into(), r));
    }
    if let Some(s) = &g.state {
        labels.push(("state".into(), s.clone()));
    }
    let people: Vec<String> =
        g.acknowledged_by
            .iter()
            .chain(g.resolved_by.iter())
            .fold(Vec::new(), |mut acc, p| {
                if !acc.contains(p) {
                    acc.push(p.clone());
                }
                acc
            });
    Ok(AlertRecord {
        alert_id: g.id,
        dedup_key: None,
        title: g.title,
        service,
        team,
        severity,
        urgency: None,
        paged: Some(config.paging.grafana_oncall),
        triggered_at: created,
        acknowledged_at: acknowledged,
        acknowledged_by: g.acknowledged_by,
        resolved_at: resolved,
        auto_resolved: resolved.map(|_| g.resolved_by.is_none()),
        resolved_by: g.resolved_by,
        escalations: None,
        notes: None,
        repeat_count: g.alerts_count,
        responders: Some(people),
        labels,
        runbook: None,
        updated_at: None,
    })
}
