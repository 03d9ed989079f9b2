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

/// One alert of a payload, parsed on a worker thread.
struct AmAlert {
    key: (u64, i64),
    fingerprint: String,
    starts: i64,
    resolved: Option<i64>,
    title: Option<String>,
    service: Option<String>,
    team: Option<String>,
    severity: Option<&'static str>,
    labels: Vec<(String, String)>,
}

/// One line, parsed on a worker thread.
struct Notification {
    receiver: String,
    received: Option<i64>,
    truncated: u64,
    version: Option<String>,
    /// Each alert, or why it was rejected and its raw text.
    alerts: Vec<Result<AmAlert, (String, String)>>,
}

fn parse_alert(value: &str, service_label: &str, team_label: &str) -> Result<AmAlert, String> {
    let alert: Alert = serde_json::from_str(value).map_err(|e| format!("alert in payload: {e}"))?;
    let starts = parse_instant(&alert.starts_at).map_err(|e| format!("startsAt: {e}"))?;
    let resolved = if alert.status.as_deref() == Some("resolved") {
        match alert.ends_at.as_deref().map(parse_instant) {
            Some(Ok(t)) if t > starts => Some(t),
            Some(Ok(_)) | None => {
                return Err("resolved alert without a valid endsAt after startsAt".into())
            }
            Some(Err(e)) => return Err(format!("endsAt: {e}")),
        }
    } else {
        None
    };
    let fingerprint = alert
        .fingerprint
        .clone()
        .unwrap_or_else(|| label_hash(&alert.labels));
    let title = ["summary", "title", "message", "description"]
        .iter()
        .find_map(|k| alert.annotations.get(*k).cloned())
        .or_else(|| alert.labels.get("alertname").cloned());
    Ok(AmAlert {
        key: (fingerprint_key(&fingerprint), starts),
        fingerprint,
        starts,
        resolved,
        title,
        service: alert.labels.get(service_label).cloned(),
        team: alert.labels.get(team_label).cloned(),
        severity: alert
            .labels
            .get("severity")
            .and_then(|s| normalise_severity(s)),
        labels: alert.labels.into_iter().collect(),
    })
}

fn parse_line(text: &str, service_label: &str, team_label: &str) -> Result<Notification, String> {
    let payload = match serde_json::from_str::<Payload>(text) {
        Ok(p) => p,
        Err(first) => match serde_json::from_str::<Wrapped>(text) {
            Ok(w) => Payload {
                received_at: w.received_at.or(w.payload.received_at),
                ..w.payload
            },
            Err(_) => {
                return Err(if first.is_eof() {
                    format!("truncated JSON line: {first}")
                } else {
                    format!("not an Alertmanager webhook payload: {first}")
                })
            }
        },
    };
    let received = payload
        .received_at
        .as_deref()
        .map(parse_instant)
        .transpose()
        .map_err(|e| format!("receive time: {e}"))?;
    Ok(Notification {
        receiver: payload.receiver.unwrap_or_default(),
        received,
        truncated: payload.truncated_alerts.unwrap_or(0),
        version: payload.version,
        alerts: payload
            .alerts
            .iter()
            .map(|raw| {
                parse_alert(raw.get(), service_label, team_label)
                    .map_err(|reason| (reason, raw.get().to_string()))
            })
            .collect(),
    })
}

/// Lines of the file gathered for the workers.
#[derive(Default)]
struct Lines {
    text: String,
    /// (line number, start, end, valid UTF-8)
    spans: Vec<(u64, usize, usize, bool)>,
}

/// Read every line (parsed in parallel), folding notifications into
/// occurrences here, in file order.
pub fn read(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let receivers_paging = ctx.config.paging.alertmanager_receivers.clone();
    let service_label = ctx.config.ingest.service_label.clone();
    let team_label = ctx.config.ingest.team_label.clone();
    let mut reader = ctx.open()?;
    let mut occurrences: HashMap<(u64, i64), usize> = HashMap::new();
    let mut receivers: BTreeSet<String> = BTreeSet::new();
    let (mut notifications, mut truncated, mut versions) = (0u64, 0u64, BTreeSet::new());
    let produced = super::parallel::pipeline(
        |emit| -> Result<u64, std::io::Error> {
            let mut batch = Lines::default();
            let mut raw = Vec::new();
            let mut n = 0u64;
            loop {
                raw.clear();
                if reader.read_until(b'\n', &mut raw)? == 0 {
                    break;
                }
                n += 1;
                // Validate once; only a bad line pays for the lossy copy.
                let (valid, text) = match std::str::from_utf8(&raw) {
                    Ok(t) => (true, std::borrow::Cow::Borrowed(t)),
                    Err(_) => (false, String::from_utf8_lossy(&raw)),
                };
                let text = text.trim();
                if text.is_empty() {
                    continue;
                }
                let start = batch.text.len();
                batch.text.push_str(text);
                batch.spans.push((n, start, batch.text.len(), valid));
                if batch.spans.len() == super::parallel::BATCH {
                    emit(std::mem::take(&mut batch));
                }
            }
            if !batch.spans.is_empty() {
                emit(batch);
            }
            Ok(n)
        },
        |batch: Lines| {
            batch
                .spans
                .iter()
                .map(|&(n, s, e, valid)| {
                    let text = &batch.text[s..e];
                    let parsed = if valid {
                        parse_line(text, &service_label, &team_label)
                    } else {
                        Err("line is not valid UTF-8".to_string())
                    };
                    (n, parsed.map_err(|reason| (reason, text.to_string())))
                })
                .collect::<Vec<_>>()
        },
        |lines| {
            for (n, parsed) in lines {
                let note = match parsed {
                    Ok(note) => note,
                    Err((reason, raw)) => {
                        ctx.reject(n, Some(n), reason, &raw);
                        continue;
                    }
                };
                notifications += 1;
                truncated += note.truncated;
                if let Some(v) = note.version {
                    versions.insert(v);
                }
                let pages = receivers_paging
                    .as_ref()
                    .is_none_or(|list| list.contains(&note.receiver));
                receivers.insert(note.receiver);
                for alert in note.alerts {
                    let a = match alert {
                        Ok(a) => a,
                        Err((reason, raw)) => {
                            ctx.reject(n, Some(n), reason, &raw);
                            continue;
                        }
                    };
                    let seen = [Some(a.starts), a.resolved, note.received]
                        .into_iter()
                        .flatten()
                        .max();
                    if let Some(&row) = occurrences.get(&a.key) {
                        let cols = &mut ctx.sink.alerts;
                        if a.resolved.is_some() {
                            cols.resolved_at[row] = a.resolved;
                            cols.auto_resolved[row] = Some(true);
                        } else {
                            cols.repeat_count[row] = cols.repeat_count[row].map(|c| c + 1);
                        }
                        cols.paged[row] = Some(cols.paged[row].unwrap_or(false) || pages);
                        cols.updated_at[row] = cols.updated_at[row].max(seen);
                        continue;
                    }
                    let record = AlertRecord {
                        alert_id: format!("{}@{}", a.fingerprint, rfc3339_utc(a.starts)),
                        dedup_key: Some(a.fingerprint),
                        title: a.title,
                        service: a.service,
                        team: a.team,
                        severity: a.severity,
                        urgency: None,
                        paged: Some(pages),
                        triggered_at: a.starts,
                        acknowledged_at: None,
                        resolved_at: a.resolved,
                        acknowledged_by: None,
                        resolved_by: None,
                        auto_resolved: a.resolved.map(|_| true),
                        escalations: None,
                        notes: None,
                        repeat_count: Some(u32::from(a.resolved.is_none())),
                        responders: None,
                        labels: a.labels,
                        updated_at: seen,
                    };
                    let row = ctx.push_alert(record);
                    occurrences.insert(a.key, row);
                }
            }
        },
    );
    let n = produced.map_err(|e| ctx.io(e))?;
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
