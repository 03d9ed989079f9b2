//! Prometheus Alertmanager webhook payloads (version 4), one JSON payload per
//! line, as a webhook logger keeps them (formats.md §3.1, §3.3).
//!
//! A line is a payload, optionally with the time it was received: a
//! top-level `receivedAt`/`received_at`/`timestamp` field next to the payload
//! fields, or a wrapper `{"receivedAt": …, "payload": {…}}` (`body` also
//! accepted). One **occurrence** is `(fingerprint, startsAt)`: every re-send
//! (each `repeat_interval`, each group change, each receiver) folds into it,
//! and `alert_id` = `<fingerprint>@<startsAt as RFC 3339 UTC>`. `endsAt` is
//! only read from an alert whose status is `resolved`; `0001-01-01T00:00:00Z`
//! (firing) and a firing alert's future `endsAt` (resolve timeout) are not
//! resolutions. An occurrence still firing at the end of the file stays open
//! (null `resolved_at`). Resolution is always by Prometheus, so
//! `auto_resolved` is true; Alertmanager has no acknowledgements.
//! An occurrence pages when any receiver it was sent to is in `[paging]
//! alertmanager_receivers` (unset: every receiver pages).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::BufRead;

use serde::Deserialize;

use super::time::{parse_instant, rfc3339_utc};
use super::{AlertRecord, Ctx, Head, IngestError};
use crate::schema::normalise_severity;

#[derive(Deserialize)]
struct Alert {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    #[serde(rename = "startsAt")]
    starts_at: String,
    #[serde(default, rename = "endsAt")]
    ends_at: Option<String>,
    #[serde(default)]
    fingerprint: Option<String>,
}

#[derive(Deserialize)]
struct Payload {
    #[serde(default)]
    receiver: Option<String>,
    alerts: Vec<Box<serde_json::value::RawValue>>,
    #[serde(default, rename = "truncatedAlerts")]
    truncated_alerts: Option<u64>,
    #[serde(
        default,
        alias = "received_at",
        alias = "timestamp",
        rename = "receivedAt"
    )]
    received_at: Option<String>,
    #[serde(default)]
    version: Option<String>,
}

#[derive(Deserialize)]
struct Wrapped {
    #[serde(alias = "body")]
    payload: Payload,
    #[serde(
        default,
        alias = "received_at",
        alias = "timestamp",
        rename = "receivedAt"
    )]
    received_at: Option<String>,
}

/// Sure when the head looks like a webhook payload.
pub fn sniff(head: &Head) -> u8 {
    if head.is_json()
        && head.has_key("alerts")
        && (head.has_key("groupKey") || head.has_key("receiver"))
        && (head.has_key("startsAt") || head.has_key("fingerprint"))
    {
        95
    } else {
        0
    }
}

/// Labels hashed like a fingerprint, for payloads from releases that sent none.
fn label_hash(labels: &BTreeMap<String, String>) -> String {
    // FNV-1a 64 over `k\xff v\xff`, sorted by key.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (k, v) in labels {
        for b in k.bytes().chain([0xff]).chain(v.bytes()).chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// A compact map key for a fingerprint: its 16 hex digits as a number, or a
/// hash of any other string.
fn fingerprint_key(fp: &str) -> u64 {
    if fp.len() == 16 {
        if let Ok(v) = u64::from_str_radix(fp, 16) {
            return v;
        }
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in fp.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Read every line, folding notifications into occurrences.
pub fn read(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let receivers_paging = ctx.config.paging.alertmanager_receivers.clone();
    let service_label = ctx.config.ingest.service_label.clone();
    let team_label = ctx.config.ingest.team_label.clone();
    let mut reader = ctx.open()?;
    let mut occurrences: HashMap<(u64, i64), usize> = HashMap::new();
    let mut receivers: BTreeSet<String> = BTreeSet::new();
    let (mut notifications, mut truncated, mut versions) = (0u64, 0u64, BTreeSet::new());
    let mut line = String::new();
    let mut n = 0u64;
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                n += 1;
                ctx.reject(n, Some(n), "line is not valid UTF-8", "");
                // Skip the rest of the bad line.
                let mut junk = Vec::new();
                let _ = reader.read_until(b'\n', &mut junk);
                continue;
            }
            Err(e) => return Err(ctx.io(e)),
        }
        n += 1;
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let payload = match serde_json::from_str::<Payload>(text) {
            Ok(p) => p,
            Err(first) => match serde_json::from_str::<Wrapped>(text) {
                Ok(w) => Payload {
                    received_at: w.received_at.or(w.payload.received_at),
                    ..w.payload
                },
                Err(_) => {
                    let reason = if first.is_eof() {
                        format!("truncated JSON line: {first}")
                    } else {
                        format!("not an Alertmanager webhook payload: {first}")
                    };
                    ctx.reject(n, Some(n), reason, text);
                    continue;
                }
            },
        };
        let received = match payload.received_at.as_deref().map(parse_instant) {
            Some(Err(e)) => {
                ctx.reject(n, Some(n), format!("receive time: {e}"), text);
                continue;
            }
            Some(Ok(t)) => Some(t),
            None => None,
        };
        notifications += 1;
        truncated += payload.truncated_alerts.unwrap_or(0);
        if let Some(v) = payload.version {
            versions.insert(v);
        }
        let receiver = payload.receiver.unwrap_or_default();
        receivers.insert(receiver.clone());
        let pages = receivers_paging
            .as_ref()
            .is_none_or(|list| list.contains(&receiver));
        for value in payload.alerts {
            let value = value.get();
            let alert: Alert = match serde_json::from_str(value) {
                Ok(a) => a,
                Err(e) => {
                    ctx.reject(n, Some(n), format!("alert in payload: {e}"), value);
                    continue;
                }
            };
            let starts = match parse_instant(&alert.starts_at) {
                Ok(t) => t,
                Err(e) => {
                    ctx.reject(n, Some(n), format!("startsAt: {e}"), value);
                    continue;
                }
            };
            let resolved = if alert.status.as_deref() == Some("resolved") {
                match alert.ends_at.as_deref().map(parse_instant) {
                    Some(Ok(t)) if t > starts => Some(t),
                    Some(Ok(_)) | None => {
                        ctx.reject(
                            n,
                            Some(n),
                            "resolved alert without a valid endsAt after startsAt",
                            value,
                        );
                        continue;
                    }
                    Some(Err(e)) => {
                        ctx.reject(n, Some(n), format!("endsAt: {e}"), value);
                        continue;
                    }
                }
            } else {
                None
            };
            let fingerprint = alert
                .fingerprint
                .clone()
                .unwrap_or_else(|| label_hash(&alert.labels));
            let seen = [Some(starts), resolved, received]
                .into_iter()
                .flatten()
                .max();
            let key = (fingerprint_key(&fingerprint), starts);
            if let Some(&row) = occurrences.get(&key) {
                let cols = &mut ctx.sink.alerts;
                if resolved.is_some() {
                    cols.resolved_at[row] = resolved;
                    cols.auto_resolved[row] = Some(true);
                } else {
                    cols.repeat_count[row] = cols.repeat_count[row].map(|c| c + 1);
                }
                cols.paged[row] = Some(cols.paged[row].unwrap_or(false) || pages);
                cols.updated_at[row] = cols.updated_at[row].max(seen);
                continue;
            }
            let title = ["summary", "title", "message", "description"]
                .iter()
                .find_map(|k| alert.annotations.get(*k).cloned())
                .or_else(|| alert.labels.get("alertname").cloned());
            let record = AlertRecord {
                alert_id: format!("{fingerprint}@{}", rfc3339_utc(starts)),
                dedup_key: Some(fingerprint),
                title,
                service: alert.labels.get(&service_label).cloned(),
                team: alert.labels.get(&team_label).cloned(),
                severity: alert
                    .labels
                    .get("severity")
                    .and_then(|s| normalise_severity(s)),
                urgency: None,
                paged: Some(pages),
                triggered_at: starts,
                acknowledged_at: None,
                resolved_at: resolved,
                acknowledged_by: None,
                resolved_by: None,
                auto_resolved: resolved.map(|_| true),
                escalations: None,
                notes: None,
                repeat_count: Some(u32::from(resolved.is_none())),
                responders: None,
                labels: alert.labels.into_iter().collect(),
                updated_at: seen,
            };
            let row = ctx.push_alert(record);
            occurrences.insert(key, row);
        }
    }
    ctx.report.records = n;
    ctx.report.notes.push(format!(
        "{notifications} notification(s) folded into {} occurrence(s)",
        occurrences.len()
    ));
    let describe: Vec<String> = receivers
        .iter()
        .map(|r| {
            let pages = receivers_paging
                .as_ref()
                .is_none_or(|list| list.iter().any(|x| x == r));
            format!("{r} ({})", if pages { "pages" } else { "does not page" })
        })
        .collect();
    if !describe.is_empty() {
        let how = if receivers_paging.is_none() {
            "; set [paging] alertmanager_receivers to choose"
        } else {
            ""
        };
        ctx.report
            .notes
            .push(format!("receivers: {}{how}", describe.join(", ")));
    }
    if truncated > 0 {
        ctx.report.notes.push(format!(
            "{truncated} alert(s) were cut from payloads by max_alerts (truncatedAlerts) and are not in the file"
        ));
    }
    if versions.iter().any(|v| v != "4") {
        ctx.report.notes.push(format!(
            "payload versions seen: {} (version 4 expected)",
            versions.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(())
}
