//! Grafana Alerting (unified alerting) state history, `GET
//! /api/v1/rules/history` (formats-more.md §15.1): one DataFrame JSON per
//! response (`{schema: {fields}, data: {values}}`), several appended, in
//! either storage backend's shape:
//!
//! - **Loki**: columns `time` (epoch ms), `line` (a JSON object: `previous`,
//!   `current`, `ruleTitle`, `ruleUID`, `fingerprint`, `labels`), `labels`
//!   (the stream's);
//! - **annotations**: columns `time` (ms, or ×1000 as some versions write
//!   it: normalised by magnitude), `text` (`"<rule title> {k=v, …} - B=…"`),
//!   `prev`, `next`, `data`; the rule's UID is the field labels' `ruleUID`.
//!
//! A transition into `Alerting` (any reason) from another state opens an
//! alert of its rule and instance (`ruleUID` + `fingerprint`, else the
//! labels' text); the next transition to `Normal` closes it. `alert_id` =
//! `<ruleUID>:<instance>:<opened ms>`, `dedup_key` = `<ruleUID>:<instance>`,
//! title = the rule's title, labels = the instance's (service and team by
//! `[ingest] service_label`, `team_label`; `instance` kept). Severity from the
//! `severity` label, else error (a choice: an alerting rule with no
//! severity). Resolved by Grafana itself (`auto_resolved`) unless the
//! reason was an admin's (`Paused`, `Updated`, `RuleDeleted`): then by no
//! one known. No acknowledgements exist here. Paging: the history says
//! nothing of notifications; `[paging] grafana_alerting` (true) says
//! whether its alerts count as pages. An alert still open at the end of
//! the file stays open.
//!
//! **Webhook contact point payloads** (§15.2: Alertmanager's webhook shape
//! with `orgId`, `state`, `version` "1" and per-alert `silenceURL`,
//! `dashboardURL`, `valueString`), as a webhook logger saves them, are
//! read by the Alertmanager reader as this format: one occurrence per
//! `fingerprint` and `startsAt`, re-sends folded, `DatasourceNoData` and
//! `DatasourceError` alerts titled by their `rulename`, paging by
//! `[paging] grafana_alerting`. Their ids are Alertmanager's
//! (`<fingerprint>@<startsAt>`), not the history's: the same alert in a
//! history and in a webhook log is two records.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{AlertRecord, Ctx, Head, IngestError};
use crate::schema::normalise_severity;

/// This format, for [`super::Format::ALL`].
pub const VENDOR: super::Vendor = super::Vendor::new(
    "grafana-alerting",
    "grafana_alerting",
    "Grafana Alerting state history (GET /api/v1/rules/history; Loki or annotation frames) and webhook contact point payloads; severity (a choice): the severity label, else error",
    sniff,
    read,
);

/// Sure when the head is a DataFrame (`schema` with `fields`) of state
/// history, or a webhook contact point's payload: Alertmanager's shape
/// with Grafana's own fields (`silenceURL`, `dashboardURL`, `valueString`,
/// or `orgId` with the group `state`), claimed above Alertmanager's 95.
pub fn sniff(head: &Head) -> u8 {
    if !head.is_json() {
        return 0;
    }
    if head.has_key("schema")
        && head.has_key("fields")
        && (head.text.contains("state-history") || head.has_key("ruleUID"))
    {
        92
    } else if is_webhook(head) {
        96
    } else {
        0
    }
}

/// A webhook contact point payload (formats-more.md §15.2).
fn is_webhook(head: &Head) -> bool {
    head.has_key("alerts")
        && head.has_key("receiver")
        && (head.has_key("silenceURL")
            || head.has_key("dashboardURL")
            || head.has_key("valueString")
            || (head.has_key("orgId") && head.has_key("state")))
}

/// One state transition of one rule instance.
struct Transition {
    at: i64,
    rule: String,
    title: Option<String>,
    instance: String,
    labels: BTreeMap<String, String>,
    previous: String,
    current: String,
}

/// Read every frame.
pub fn read(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    // Logged webhook payloads are Alertmanager's shape: its reader folds
    // them into occurrences (as this format, with its paging key).
    let head = super::Head::read(ctx.path, false)?;
    if !head.has_key("schema") && is_webhook(&head) {
        return super::alertmanager::read(ctx);
    }
    let text = ctx.read_text()?;
    let mut transitions: Vec<Transition> = Vec::new();
    let mut frames = 0u64;
    for value in serde_json::Deserializer::from_str(&text).into_iter::<Value>() {
        let frame = value.map_err(|e| ctx.malformed(format!("invalid JSON: {e}")))?;
        frames += 1;
        let rows = rows_of(&frame).map_err(|e| ctx.malformed(e))?;
        for (n, row) in rows.into_iter().enumerate() {
            match row {
                Ok(t) => transitions.push(t),
                Err(why) => ctx.reject(frames * 1_000_000 + n as u64 + 1, None, why, ""),
            }
        }
    }
    ctx.report.records = transitions.len() as u64 + ctx.report.rejected;
    // Episodes per rule instance, in time order.
    transitions.sort_by(|a, b| (&a.rule, &a.instance, a.at).cmp(&(&b.rule, &b.instance, b.at)));
    let mut open: Option<(usize, i64)> = None;
    let config = ctx.config;
    let mut records: Vec<AlertRecord> = Vec::new();
    for (i, t) in transitions.iter().enumerate() {
        let same = |j: usize| {
            transitions
                .get(j)
                .is_some_and(|o| o.rule == t.rule && o.instance == t.instance)
        };
        if let Some((j, _)) = open {
            if !same(j) {
                open = None;
            }
        }
        // States in any casing (Grafana writes `Alerting`, `Normal (Paused)`).
        let state = |s: &str| s.split(' ').next().unwrap_or("").to_ascii_lowercase();
        let (now, before) = (state(&t.current), state(&t.previous));
        match (&open, now.as_str()) {
            (None, "alerting") if before != "alerting" => open = Some((i, t.at)),
            (Some((j, opened)), "normal") => {
                let first = &transitions[*j];
                let current = t.current.to_ascii_lowercase();
                let admin = ["(paused)", "(updated)", "(ruledeleted)"]
                    .iter()
                    .any(|r| current.contains(r));
                records.push(record(config, first, *opened, Some(t.at), Some(!admin)));
                open = None;
            }
            _ => {}
        }
        let last = !same(i + 1);
        if last {
            if let Some((j, opened)) = open.take() {
                records.push(record(config, &transitions[j], opened, None, None));
            }
        }
    }
    for r in records {
        ctx.push_alert(r);
    }
    Ok(())
}

fn record(
    config: &crate::config::Config,
    t: &Transition,
    opened: i64,
    resolved: Option<i64>,
    auto: Option<bool>,
) -> AlertRecord {
    let settings = &config.ingest;
    let label = |k: &str| t.labels.get(k).cloned();
    AlertRecord {
        alert_id: format!("{}:{}:{}", t.rule, t.instance, opened / 1000),
        dedup_key: Some(format!("{}:{}", t.rule, t.instance)),
        title: t.title.clone().or_else(|| label("alertname")),
        service: label(&settings.service_label),
        team: label(&settings.team_label),
        severity: label("severity")
            .and_then(|s| normalise_severity(&s))
            .or(Some("error")),
        urgency: None,
        paged: Some(config.paging.grafana_alerting),
        triggered_at: opened,
        acknowledged_at: None,
        resolved_at: resolved,
        acknowledged_by: None,
        resolved_by: None,
        auto_resolved: auto,
        escalations: None,
        notes: None,
        repeat_count: None,
        responders: None,
        runbook: None,
        labels: t
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        updated_at: resolved.or(Some(opened)),
    }
}

/// Epoch milliseconds as µs; values of about 1.7e15 (seconds read as ms
/// twice over) are taken as µs already.
fn micros(ms: f64) -> Option<i64> {
    if !ms.is_finite() || ms <= 0.0 {
        return None;
    }
    let us = if ms > 1e14 { ms } else { ms * 1000.0 };
    let us = us as i64;
    super::time::in_range(&ms.to_string(), us).ok()
}

fn text_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), v)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The transitions of one frame, each or why not; an error when the
/// document is not a state-history frame at all.
fn rows_of(frame: &Value) -> Result<Vec<Result<Transition, String>>, String> {
    let fields = frame
        .pointer("/schema/fields")
        .and_then(Value::as_array)
        .ok_or("not a DataFrame: no schema.fields")?;
    let values = frame
        .pointer("/data/values")
        .and_then(Value::as_array)
        .ok_or("not a DataFrame: no data.values")?;
    let col = |name: &str| {
        fields
            .iter()
            .position(|f| f.get("name").and_then(Value::as_str) == Some(name))
            .and_then(|i| values.get(i))
            .and_then(Value::as_array)
    };
    let times = col("time").ok_or("no `time` column")?;
    // Epoch milliseconds, as numbers or (some clients) numeric text.
    let at = |i: usize| {
        times
            .get(i)
            .and_then(|v| v.as_f64().or_else(|| v.as_str()?.trim().parse().ok()))
            .and_then(micros)
    };
    if let Some(lines) = col("line") {
        // Loki: each line a JSON object (or, in some clients, JSON text).
        return Ok((0..times.len())
            .map(|i| {
                let line = match lines.get(i) {
                    Some(Value::String(s)) => serde_json::from_str::<Value>(s)
                        .map_err(|e| format!("line {i}: not JSON: {e}"))?,
                    Some(v) => v.clone(),
                    None => return Err(format!("row {i}: no line")),
                };
                let s = |k: &str| line.get(k).and_then(Value::as_str).map(str::to_string);
                let labels = text_map(line.get("labels"));
                let rule = s("ruleUID")
                    .or_else(|| line.get("ruleID").map(|v| v.to_string()))
                    .ok_or_else(|| format!("row {i}: no ruleUID"))?;
                Ok(Transition {
                    at: at(i).ok_or_else(|| format!("row {i}: no valid time"))?,
                    instance: s("fingerprint").unwrap_or_else(|| labels_text(&labels)),
                    title: s("ruleTitle"),
                    rule,
                    labels,
                    previous: s("previous").unwrap_or_default(),
                    current: s("current").ok_or_else(|| format!("row {i}: no current state"))?,
                })
            })
            .collect());
    }
    let texts = col("text").ok_or("neither a `line` (Loki) nor a `text` (annotations) column")?;
    let (prev, next) = (col("prev"), col("next"));
    let rule = fields
        .iter()
        .find_map(|f| f.pointer("/labels/ruleUID").and_then(Value::as_str))
        .map(str::to_string);
    Ok((0..times.len())
        .map(|i| {
            let text = texts.get(i).and_then(Value::as_str).unwrap_or("");
            let (title, labels) = parse_annotation(text);
            let state = |c: Option<&Vec<Value>>| {
                c.and_then(|c| c.get(i))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            Ok(Transition {
                at: at(i).ok_or_else(|| format!("row {i}: no valid time"))?,
                rule: rule.clone().unwrap_or_else(|| title.clone()),
                instance: labels_text(&labels),
                title: Some(title),
                labels,
                previous: state(prev).unwrap_or_default(),
                current: state(next).ok_or_else(|| format!("row {i}: no next state"))?,
            })
        })
        .collect())
}

/// The labels as one text, `k=v, …` in key order (an instance's identity
/// where no fingerprint is given).
fn labels_text(labels: &BTreeMap<String, String>) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An annotation's text, `"<title> {k=v, k=v} - B=93.4, C=1"`: the title
/// and the labels.
fn parse_annotation(text: &str) -> (String, BTreeMap<String, String>) {
    let Some(open) = text.find(" {") else {
        let title = text.split(" - ").next().unwrap_or(text);
        return (title.trim().to_string(), BTreeMap::new());
    };
    let title = text[..open].trim().to_string();
    let rest = &text[open + 2..];
    let inner = rest.split('}').next().unwrap_or("");
    let labels = inner
        .split(", ")
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    (title, labels)
}
