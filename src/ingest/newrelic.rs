//! New Relic alerts (formats-more.md §13), one module for its four shapes,
//! each a JSON document (several may be appended: each is split off by the
//! reading layer and mapped on a worker thread):
//!
//! - **NerdGraph issues** (`data.actor.account.aiIssues.issues.issues[]`):
//!   one alert per issue — what notifies people and what they acknowledge
//!   and close. Title `title[0]`, priority `CRITICAL|HIGH|MEDIUM|LOW`, times
//!   in epoch ms; closed by a person when `closedBy` names one, else by New
//!   Relic (`auto_resolved`); paged once it was activated (past its grace
//!   period) and not fully muted; `totalIncidents` as the repeat count.
//! - **NerdGraph incidents** (`…aiIssues.incidents.incidents[]`): `title` is
//!   a JSON array in a string; times as numbers or text.
//! - **NRQL `NrAiIncident` rows** (`data.actor.account.nrql.results[]`, or a
//!   bare array): an `open` row and its `close` row (by `incidentId`, any
//!   casing) make one alert; `closeCause` `USER` or
//!   `INCIDENT_WORKFLOW_INTEGRATION` is a person's (or a tool's) close, the
//!   others New Relic's; `tags.team` and `tags.service` name team and service;
//!   a close whose open is not in the file is counted in the notes.
//! - **REST v2 violations** (`{violations: [...]}`): `label`, Title-case
//!   priority, `opened_at`/`closed_at`.
//!
//! Paging: `[paging] newrelic` (true) — an issue pages once activated and
//! not fully muted, an NRQL incident unless muted, the others always.
//!
//! Severity (a choice): critical → critical, high → error, medium and
//! warning → warning, low → info, in any casing. GraphQL `errors` with no
//! data are a reject that quotes them. Epoch times are read by their
//! digits as New Relic's own client does (≤ 10 seconds, ≤ 16 ms, more ns).

use std::collections::HashMap;

use serde_json::Value;

use super::{AlertRecord, Ctx, Head, IngestError};

/// This format, for [`super::Format::ALL`].
pub const VENDOR: super::Vendor = super::Vendor::new(
    "newrelic",
    "newrelic",
    "New Relic NerdGraph issues and incidents, NrAiIncident NRQL rows, REST v2 violations; severity (a choice): critical critical, high error, medium/warning warning, low info",
    sniff,
    read,
);

/// Sure when the head has New Relic's own names.
pub fn sniff(head: &Head) -> u8 {
    let own = head.has_key("aiIssues")
        || head.has_key("issueId")
        || (head.has_key("incidentId") && head.has_key("conditionName"))
        || (head.has_key("violations") && head.has_key("condition_name"))
        // REST v2 violations as a bare array or one per line (`jq .violations`).
        || ["condition_name", "policy_name", "opened_at"]
            .iter()
            .all(|k| head.has_key(k));
    if head.is_json() && own {
        92
    } else {
        0
    }
}

/// Epoch time in any unit New Relic writes (a number or its text) as µs.
fn epoch(v: Option<&Value>) -> Option<i64> {
    let digits = match v? {
        Value::Number(n) => n.as_i64().map(|i| i.to_string())?,
        Value::String(s) => s.trim().to_string(),
        _ => return None,
    };
    let n: i64 = digits.parse().ok()?;
    let us = match digits.trim_start_matches('-').len() {
        0..=10 => n.checked_mul(1_000_000)?,
        11..=16 => n.checked_mul(1000)?,
        _ => n / 1000,
    };
    super::time::in_range(&digits, us).ok().filter(|_| n > 0)
}

fn s(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(a) => a.first().and_then(|f| match f {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }),
        _ => None,
    }
}

/// All values of a field that is an array (or one value).
fn all(v: &Value, key: &str) -> Vec<String> {
    match v.get(key) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| match x {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        Some(Value::Number(n)) => vec![n.to_string()],
        _ => Vec::new(),
    }
}

fn severity(p: Option<String>) -> Option<&'static str> {
    match p?.to_ascii_lowercase().as_str() {
        "critical" => Some("critical"),
        "high" => Some("error"),
        "medium" | "warning" => Some("warning"),
        "low" => Some("info"),
        _ => None,
    }
}

/// What one document holds.
enum Rows {
    Issues(Vec<Value>),
    Incidents(Vec<Value>),
    Nrql(Vec<Value>),
    Violations(Vec<Value>),
}

fn rows_of(doc: Value) -> Result<Rows, String> {
    let take = |doc: &Value, path: &str| doc.pointer(path).and_then(Value::as_array).cloned();
    let base = "/data/actor/account";
    if let Some(v) = take(&doc, &format!("{base}/aiIssues/issues/issues")) {
        return Ok(Rows::Issues(v));
    }
    if let Some(v) = take(&doc, &format!("{base}/aiIssues/issuesEvents/issues")) {
        return Ok(Rows::Issues(v));
    }
    if let Some(v) = take(&doc, &format!("{base}/aiIssues/incidents/incidents")) {
        return Ok(Rows::Incidents(v));
    }
    if let Some(v) = take(&doc, &format!("{base}/nrql/results")) {
        return Ok(Rows::Nrql(v));
    }
    if let Some(v) = take(&doc, "/violations") {
        return Ok(Rows::Violations(v));
    }
    if let Some(errors) = doc.get("errors") {
        return Err(format!("a GraphQL error, no data: {errors}"));
    }
    match doc {
        Value::Array(items) => {
            let first = items.first().cloned().unwrap_or(Value::Null);
            if first.get("issueId").is_some() {
                Ok(Rows::Issues(items))
            } else if first.get("event").is_some() {
                Ok(Rows::Nrql(items))
            } else if first.get("label").is_some() {
                Ok(Rows::Violations(items))
            } else {
                Ok(Rows::Incidents(items))
            }
        }
        // One element of a bare array (the reading layer splits them).
        other if other.get("issueId").is_some() => Ok(Rows::Issues(vec![other])),
        other if other.get("event").is_some() && other.get("incidentId").is_some() => {
            Ok(Rows::Nrql(vec![other]))
        }
        other if other.get("label").is_some() && other.get("opened_at").is_some() => {
            Ok(Rows::Violations(vec![other]))
        }
        other if other.get("incidentId").is_some() => Ok(Rows::Incidents(vec![other])),
        _ => Err("not a New Relic export: no issues, incidents, NRQL results or violations".into()),
    }
}

/// What a worker makes of one document.
enum Out {
    Alert(Box<AlertRecord>),
    Reject(String, String),
    /// An NRQL row, paired on the reading thread.
    Nrql(Value),
}

/// Read every document: documents (pages) split on one thread by the
/// reading layer, mapped on the others; NRQL rows paired in file order.
pub fn read(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let reader = ctx.open()?;
    // NRQL open rows by incident, waiting for their close.
    let mut opens: HashMap<String, Value> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut closes: HashMap<String, Value> = HashMap::new();
    let mut orphans = 0u64;
    let mut n = 0u64;
    let result = super::parallel::pipeline(
        // Pages are big: a few per batch.
        |emit| super::split_json(reader, &[], &[], 16, emit, &mut |_| {}),
        |batch: super::json::RawBatch| {
            let mut out = Vec::new();
            for (at, why, raw) in batch.iter() {
                let doc = match why {
                    Some(why) => Err(why.to_string()),
                    None => super::json::from_record::<Value>(raw).map_err(|e| e.to_string()),
                };
                let rows = match doc.and_then(rows_of) {
                    Ok(r) => r,
                    Err(why) => {
                        out.push((at, Out::Reject(why, String::new())));
                        continue;
                    }
                };
                let mut map = |v: Vec<Value>, f: fn(&Value) -> Result<AlertRecord, String>| {
                    for i in v {
                        out.push((
                            at,
                            match f(&i) {
                                Ok(r) => Out::Alert(Box::new(r)),
                                Err(why) => Out::Reject(why, i.to_string()),
                            },
                        ));
                    }
                };
                match rows {
                    Rows::Issues(v) => map(v, issue),
                    Rows::Incidents(v) => map(v, incident),
                    Rows::Violations(v) => map(v, violation),
                    Rows::Nrql(v) => out.extend(v.into_iter().map(|row| (at, Out::Nrql(row)))),
                }
            }
            out
        },
        |items: Vec<(super::json::RecordAt, Out)>| {
            for (at, item) in items {
                n = at.n;
                match item {
                    Out::Alert(r) => push_paged(ctx, *r),
                    Out::Reject(why, raw) => ctx.reject(at.n, Some(at.line), why, &raw),
                    Out::Nrql(row) => {
                        let Some(id) = s(&row, "incidentId") else {
                            ctx.reject(
                                at.n,
                                None,
                                "an NRQL row with no incidentId",
                                &row.to_string(),
                            );
                            continue;
                        };
                        let event = s(&row, "event").unwrap_or_default().to_ascii_lowercase();
                        if event == "close" {
                            closes.insert(id, row);
                        } else if let std::collections::hash_map::Entry::Vacant(slot) =
                            opens.entry(id.clone())
                        {
                            order.push(id);
                            slot.insert(row);
                        }
                    }
                }
            }
        },
    );
    ctx.finish_json(result)?;
    for id in order {
        let Some(open) = opens.remove(&id) else {
            continue;
        };
        let close = closes.remove(&id);
        match nrql(&open, close.as_ref()) {
            Ok(r) => {
                push_paged(ctx, r);
            }
            Err(why) => ctx.reject(n, None, why, &open.to_string()),
        }
    }
    orphans += closes.len() as u64;
    ctx.report.records = ctx.report.alerts + ctx.report.rejected + orphans;
    if orphans > 0 {
        ctx.report.notes.push(format!(
            "{orphans} NRQL close row(s) whose open row is not in the file: left out (widen the query's time window)"
        ));
    }
    Ok(())
}

/// Push an alert, paged only where `[paging] newrelic` says New Relic pages.
fn push_paged(ctx: &mut Ctx<'_>, mut r: AlertRecord) {
    r.paged = r.paged.map(|p| p && ctx.config.paging.newrelic);
    ctx.push_alert_streamed(r);
}

fn issue(i: &Value) -> Result<AlertRecord, String> {
    let id = s(i, "issueId").ok_or("no issueId")?;
    let created = epoch(i.get("createdAt")).ok_or("no createdAt")?;
    let closed = epoch(i.get("closedAt"));
    let closed_by = s(i, "closedBy");
    let muted = s(i, "mutingState").as_deref() == Some("FULLY_MUTED");
    let activated =
        epoch(i.get("activatedAt")).is_some() || s(i, "state").is_some_and(|st| st != "CREATED");
    let mut key: Vec<String> = all(i, "conditionFamilyId");
    key.sort();
    let mut guids = all(i, "entityGuids");
    guids.sort();
    key.extend(guids);
    let mut labels = Vec::new();
    for (k, f) in [
        ("policy", "policyName"),
        ("condition", "conditionName"),
        ("entity_type", "entityTypes"),
        ("state", "state"),
    ] {
        if let Some(v) = s(i, f) {
            labels.push((k.to_string(), v));
        }
    }
    Ok(AlertRecord {
        alert_id: id,
        dedup_key: (!key.is_empty()).then(|| key.join(",")),
        title: s(i, "title"),
        service: s(i, "entityNames"),
        team: None,
        severity: severity(s(i, "priority")),
        urgency: s(i, "priority"),
        paged: Some(activated && !muted),
        triggered_at: created,
        acknowledged_at: epoch(i.get("acknowledgedAt")),
        resolved_at: closed,
        acknowledged_by: s(i, "acknowledgedBy"),
        resolved_by: closed_by.clone(),
        auto_resolved: closed.map(|_| closed_by.is_none()),
        escalations: None,
        notes: None,
        repeat_count: i
            .get("totalIncidents")
            .and_then(|v| v.as_u64().or_else(|| v.as_str()?.trim().parse().ok()))
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
        responders: None,
        runbook: labels
            .iter()
            .find(|(k, _)| k == "runbook_url")
            .map(|(_, v)| v.clone()),
        labels,
        updated_at: epoch(i.get("updatedAt")),
    })
}

fn incident(i: &Value) -> Result<AlertRecord, String> {
    let id = s(i, "incidentId").ok_or("no incidentId")?;
    let created = epoch(i.get("createdAt")).ok_or("no createdAt")?;
    // `title` is a JSON array in a string.
    let title = s(i, "title").map(|t| {
        serde_json::from_str::<Vec<String>>(&t)
            .ok()
            .and_then(|v| v.into_iter().next())
            .unwrap_or(t)
    });
    let mut labels = Vec::new();
    if let Some(p) = s(i, "policyIds") {
        labels.push(("policy_id".to_string(), p));
    }
    Ok(AlertRecord {
        alert_id: id,
        dedup_key: s(i, "conditionFamilyId")
            .map(|c| format!("{c},{}", s(i, "entityGuids").unwrap_or_default())),
        title,
        service: s(i, "entityNames"),
        severity: severity(s(i, "priority")),
        urgency: s(i, "priority"),
        paged: Some(true),
        triggered_at: created,
        resolved_at: epoch(i.get("closedAt")),
        runbook: labels
            .iter()
            .find(|(k, _)| k == "runbook_url")
            .map(|(_, v)| v.clone()),
        labels,
        updated_at: epoch(i.get("updatedAt")).or(epoch(i.get("timestamp"))),
        ..AlertRecord::default()
    })
}

fn nrql(open: &Value, close: Option<&Value>) -> Result<AlertRecord, String> {
    let id = s(open, "incidentId").ok_or("no incidentId")?;
    let opened = epoch(open.get("openTime"))
        .or(epoch(open.get("timestamp")))
        .ok_or("no openTime")?;
    let closed = close.and_then(|c| epoch(c.get("closeTime")).or(epoch(c.get("timestamp"))));
    let cause = close.and_then(|c| s(c, "closeCause"));
    let by_hand = cause
        .as_deref()
        .is_some_and(|c| matches!(c, "USER" | "INCIDENT_WORKFLOW_INTEGRATION"));
    let mut labels = Vec::new();
    for (k, f) in [
        ("condition", "conditionName"),
        ("policy", "policyName"),
        ("instance", "entity.name"),
        ("runbook_url", "runbookUrl"),
    ] {
        if let Some(v) = s(open, f) {
            labels.push((k.to_string(), v));
        }
    }
    if let Some(c) = &cause {
        labels.push(("close_cause".to_string(), c.clone()));
    }
    Ok(AlertRecord {
        alert_id: id,
        dedup_key: s(open, "conditionId").map(|c| {
            format!(
                "{c},{}",
                s(open, "entity.guid")
                    .or(s(open, "targetName"))
                    .unwrap_or_default()
            )
        }),
        title: s(open, "title"),
        service: s(open, "tags.service"),
        team: s(open, "tags.team"),
        severity: severity(s(open, "priority")),
        urgency: s(open, "priority"),
        paged: Some(open.get("muted").and_then(Value::as_bool) != Some(true)),
        triggered_at: opened,
        resolved_at: closed,
        auto_resolved: closed.map(|_| !by_hand),
        runbook: labels
            .iter()
            .find(|(k, _)| k == "runbook_url")
            .map(|(_, v)| v.clone()),
        labels,
        updated_at: closed.or(Some(opened)),
        ..AlertRecord::default()
    })
}

fn violation(v: &Value) -> Result<AlertRecord, String> {
    let id = s(v, "id").ok_or("no id")?;
    let opened = epoch(v.get("opened_at")).ok_or("no opened_at")?;
    let entity = v.get("entity").cloned().unwrap_or(Value::Null);
    let mut labels = Vec::new();
    for (k, f) in [("policy", "policy_name"), ("condition", "condition_name")] {
        if let Some(x) = s(v, f) {
            labels.push((k.to_string(), x));
        }
    }
    if let Some(name) = s(&entity, "name") {
        labels.push(("instance".to_string(), name));
    }
    let links = v.get("links").cloned().unwrap_or(Value::Null);
    Ok(AlertRecord {
        alert_id: id,
        dedup_key: s(&links, "condition_id")
            .map(|c| format!("{c},{}", s(&entity, "id").unwrap_or_default())),
        title: s(v, "label"),
        severity: severity(s(v, "priority")),
        urgency: s(v, "priority"),
        paged: Some(true),
        triggered_at: opened,
        resolved_at: epoch(v.get("closed_at")),
        runbook: labels
            .iter()
            .find(|(k, _)| k == "runbook_url")
            .map(|(_, v)| v.clone()),
        labels,
        ..AlertRecord::default()
    })
}
