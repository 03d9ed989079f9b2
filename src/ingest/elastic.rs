//! Elastic / Kibana alerts-as-data documents (formats-more.md §14.1): an
//! `_search` response (`hits.hits[]._source`, or `fields`), search hits or
//! `_source` documents one per line (NDJSON exports), or arrays of them;
//! records are split by the reading layer and mapped on worker threads
//! (a search response is one record). One document
//! per alert lifecycle (its latest state: Kibana updates it in place).
//!
//! Fields are looked up as flat dotted keys first (`"kibana.alert.rule.name"`),
//! then as nested objects (some rule types, and security alerts, nest
//! them; both may mix in one document), and a one-element array (the
//! `fields` API's shape) counts as its value. `alert_id` =
//! `kibana.alert.uuid` (else `_id`), `dedup_key` = rule uuid `/` instance
//! id, title = the rule's name (the reason kept as a label), triggered =
//! `kibana.alert.start` (security: `kibana.alert.original_time`, else
//! `@timestamp`). Resolution: `recovered` ends at `kibana.alert.end` by the
//! rule itself (`auto_resolved`); `untracked` ends there by an admin (no
//! one known); workflow status `closed` ends at its update time by its
//! user; `acknowledged` is the acknowledgement (only the latest change
//! survives in Kibana, so an alert acknowledged then closed has no
//! acknowledgement). Severity: `kibana.alert.severity` (critical →
//! critical, high → error, medium and warning → warning, low → info), else
//! the action group (`*.fired` → error, `*.warning` → warning, `*.nodata` →
//! info, SLO burn rates `alert` → critical, `high` → error, `medium` →
//! warning, `low` → info), else error — a choice. Service: ECS
//! `service.name`, else the `service:` tag; team: the `team:` tag; the host
//! as `instance`. Alerts-as-data says nothing of notifications: `[paging]
//! elastic` (true) says whether its alerts count as pages.

use serde_json::Value;

use super::time::parse_instant;
use super::{AlertRecord, Ctx, Head, IngestError};
use crate::config::Config;

/// This format, for [`super::Format::ALL`].
pub const VENDOR: super::Vendor = super::Vendor {
    close_hides_ack: true,
    ..super::Vendor::new(
        "elastic",
        "elastic",
        "Elastic / Kibana alerts-as-data documents (_search responses, NDJSON); severity (a choice): critical critical, high error, medium warning, low info, else the action group, else error",
        sniff,
        read,
    )
};

/// Sure when the head names Kibana alert fields, flat or nested.
pub fn sniff(head: &Head) -> u8 {
    let flat = head.has_key("kibana.alert.uuid") || head.has_key("kibana.alert.rule.name");
    let nested = head.has_key("kibana") && head.has_key("alert") && head.has_key("rule");
    if head.is_json() && (flat || nested) {
        92
    } else {
        0
    }
}

/// The value at a dotted path: a flat key, or nested objects, or a mix of
/// the two.
fn get<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    let obj = doc.as_object()?;
    if let Some(v) = obj.get(path) {
        return Some(v);
    }
    // Longest prefix first: `kibana.alert` as a key beats `kibana`.
    let dots: Vec<usize> = path.match_indices('.').map(|(i, _)| i).collect();
    for &i in dots.iter().rev() {
        if let Some(inner) = obj.get(&path[..i]) {
            if let Some(v) = get(inner, &path[i + 1..]) {
                return Some(v);
            }
        }
    }
    None
}

/// A scalar at a path as text; a one-element array (the `fields` API's
/// shape) is its element.
fn text(doc: &Value, path: &str) -> Option<String> {
    let v = match get(doc, path)? {
        Value::Array(a) if a.len() == 1 => &a[0],
        other => other,
    };
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Every alert document of one JSON value: a search response, a hit, a
/// document, or an array of any of them.
fn documents(v: Value, out: &mut Vec<(Option<String>, Value)>) {
    match v {
        Value::Array(items) => items.into_iter().for_each(|i| documents(i, out)),
        Value::Object(mut o) => {
            if let Some(Value::Object(mut hits)) = o.remove("hits") {
                if let Some(list) = hits.remove("hits") {
                    documents(list, out);
                }
                return;
            }
            // A hit: its `_source`, or its `fields` (every value an array).
            let id = o.get("_id").and_then(Value::as_str).map(str::to_string);
            if let Some(source) = o.remove("_source") {
                out.push((id, source));
                return;
            }
            if o.contains_key("_id") {
                if let Some(fields) = o.remove("fields") {
                    out.push((id, fields));
                    return;
                }
            }
            out.push((None, Value::Object(o)));
        }
        _ => {}
    }
}

/// One document mapped: its alert, or why not and its text.
type Mapped = (super::json::RecordAt, Result<AlertRecord, (String, String)>);

/// Read every document: records (a line, an element of a top-level array,
/// a whole search response) split on one thread by the reading layer,
/// parsed and mapped on the others, pushed in file order.
pub fn read(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let reader = ctx.open()?;
    let config = ctx.config;
    let result = super::parallel::pipeline(
        |emit| super::split_json(reader, &[], &[], super::parallel::BATCH, emit, &mut |_| {}),
        |batch: super::json::RawBatch| {
            let mut mapped = Vec::new();
            for (at, why, raw) in batch.iter() {
                let value = match why {
                    Some(why) => Err(why.to_string()),
                    None => super::json::from_record::<Value>(raw).map_err(|e| e.to_string()),
                };
                match value {
                    Err(why) => {
                        mapped.push((at, Err((why, String::from_utf8_lossy(raw).into_owned()))))
                    }
                    Ok(v) => {
                        let mut docs = Vec::new();
                        documents(v, &mut docs);
                        for (id, doc) in docs {
                            mapped.push((
                                at,
                                to_record(config, id, &doc).map_err(|why| (why, doc.to_string())),
                            ));
                        }
                    }
                }
            }
            mapped
        },
        |mapped: Vec<Mapped>| {
            for (at, r) in mapped {
                match r {
                    Ok(r) => {
                        ctx.push_alert_streamed(r);
                    }
                    Err((why, raw)) => ctx.reject(at.n, Some(at.line), why, &raw),
                }
            }
        },
    );
    ctx.finish_json(result)?;
    // One record may hold many documents (a search response): count the
    // documents.
    ctx.report.records = ctx.report.alerts + ctx.report.rejected;
    Ok(())
}

fn severity_of(doc: &Value) -> &'static str {
    if let Some(s) = text(doc, "kibana.alert.severity") {
        match s.to_ascii_lowercase().as_str() {
            "critical" => return "critical",
            "high" => return "error",
            "medium" | "warning" => return "warning",
            "low" => return "info",
            _ => {}
        }
    }
    let group = text(doc, "kibana.alert.action_group")
        .filter(|g| !g.eq_ignore_ascii_case("recovered"))
        .or_else(|| text(doc, "kibana.alert.previous_action_group"))
        .unwrap_or_default();
    match group.as_str() {
        g if g.ends_with(".warning") || g == "slo.burnRate.medium" => "warning",
        g if g.ends_with(".nodata") || g == "slo.burnRate.low" => "info",
        "slo.burnRate.alert" => "critical",
        _ => "error",
    }
}

fn to_record(config: &Config, id: Option<String>, doc: &Value) -> Result<AlertRecord, String> {
    let when = |path: &str| -> Result<Option<i64>, String> {
        text(doc, path)
            .map(|t| parse_instant(&t).map_err(|e| format!("{path}: {e}")))
            .transpose()
    };
    let alert_id = text(doc, "kibana.alert.uuid")
        .or(id)
        .ok_or("no kibana.alert.uuid (nor _id)")?;
    let triggered = match when("kibana.alert.start")? {
        Some(t) => t,
        None => when("kibana.alert.original_time")?
            .or(when("@timestamp")?)
            .ok_or("no kibana.alert.start, original_time or @timestamp")?,
    };
    // Statuses in any casing.
    let status = text(doc, "kibana.alert.status")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let workflow = text(doc, "kibana.alert.workflow_status")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let workflow_at = when("kibana.alert.workflow_status_updated_at")?;
    let workflow_user = text(doc, "kibana.alert.workflow_user");
    let end = when("kibana.alert.end")?;
    let (resolved_at, resolved_by, auto_resolved) = match status.as_str() {
        "recovered" => (end, None, Some(true)),
        "untracked" => (end, None, None),
        _ if workflow == "closed" => (workflow_at.or(end), workflow_user.clone(), Some(false)),
        _ => (None, None, None),
    };
    let (acknowledged_at, acknowledged_by) = if workflow == "acknowledged" {
        (workflow_at, workflow_user)
    } else {
        (None, None)
    };
    let settings = &config.ingest;
    let mut labels: Vec<(String, String)> = Vec::new();
    let tags = get(doc, "tags")
        .or_else(|| get(doc, "kibana.alert.rule.tags"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let (mut team, mut service) = (None, text(doc, "service.name"));
    for t in tags.iter().filter_map(Value::as_str) {
        let (k, v) = t.split_once(':').unwrap_or((t, ""));
        let (k, v) = (k.trim().to_string(), v.trim().to_string());
        if k == settings.team_label && !v.is_empty() && team.is_none() {
            team = Some(v.clone());
        }
        if k == settings.service_label && !v.is_empty() && service.is_none() {
            service = Some(v.clone());
        }
        labels.push((k, v));
    }
    for (key, path) in [
        ("instance", "host.name"),
        ("reason", "kibana.alert.reason"),
        ("rule_type", "kibana.alert.rule.rule_type_id"),
        ("status", "kibana.alert.status"),
        ("workflow_status", "kibana.alert.workflow_status"),
        ("flapping", "kibana.alert.flapping"),
    ] {
        if let Some(v) = text(doc, path) {
            labels.push((key.to_string(), v));
        }
    }
    let rule =
        text(doc, "kibana.alert.rule.uuid").or_else(|| text(doc, "kibana.alert.rule.rule_id"));
    let instance = text(doc, "kibana.alert.instance.id");
    if resolved_at.is_some_and(|r| r < triggered) {
        return Err("ended before it started".into());
    }
    Ok(AlertRecord {
        alert_id,
        dedup_key: rule.map(|r| format!("{r}/{}", instance.unwrap_or_default())),
        title: text(doc, "kibana.alert.rule.name"),
        service,
        team,
        severity: Some(severity_of(doc)),
        urgency: None,
        paged: Some(config.paging.elastic),
        triggered_at: triggered,
        acknowledged_at,
        resolved_at,
        acknowledged_by,
        resolved_by,
        auto_resolved,
        escalations: None,
        notes: None,
        repeat_count: None,
        responders: None,
        labels,
        runbook: None,
        updated_at: when("@timestamp")?,
    })
}
