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

use std::borrow::Cow;
use std::collections::BTreeSet;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::time::{parse_instant, rfc3339_utc};
use super::{AlertRecord, Ctx, Head, IngestError};
use crate::schema::normalise_severity;

/// A JSON string, borrowed from the line when it holds no escapes.
struct Str<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A JSON object of string values (labels, annotations), sorted by key; of
/// a repeated key the last value counts.
#[derive(Default)]
struct Pairs<'a>(Vec<(Str<'a>, Str<'a>)>);

impl Pairs<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(k, _)| k.0.as_ref().cmp(key))
            .ok()
            .map(|i| self.0[i].1 .0.as_ref())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Pairs<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Pairs<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of strings")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<Self::Value, M::Error> {
                let mut pairs: Vec<(Str<'de>, Str<'de>)> = Vec::new();
                while let Some(kv) = m.next_entry::<Str<'de>, Str<'de>>()? {
                    pairs.push(kv);
                }
                // Stable: of equal keys the last stays last; keep only it.
                pairs.sort_by(|a, b| a.0 .0.cmp(&b.0 .0));
                let mut out: Vec<(Str<'de>, Str<'de>)> = Vec::with_capacity(pairs.len());
                for kv in pairs {
                    match out.last_mut() {
                        Some(last) if last.0 .0 == kv.0 .0 => *last = kv,
                        _ => out.push(kv),
                    }
                }
                Ok(Pairs(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// One alert of a payload, borrowed from the line.
#[derive(Deserialize)]
struct Alert<'a> {
    #[serde(default, borrow)]
    status: Option<Str<'a>>,
    #[serde(default, borrow)]
    labels: Pairs<'a>,
    #[serde(default, borrow)]
    annotations: Pairs<'a>,
    #[serde(rename = "startsAt", borrow)]
    starts_at: Str<'a>,
    #[serde(default, rename = "endsAt", borrow)]
    ends_at: Option<Str<'a>>,
    #[serde(default, borrow)]
    fingerprint: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Payload<'a> {
    #[serde(default)]
    receiver: Option<String>,
    #[serde(borrow)]
    alerts: Vec<&'a serde_json::value::RawValue>,
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
struct Wrapped<'a> {
    #[serde(alias = "body", borrow)]
    payload: Payload<'a>,
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
fn label_hash(labels: &Pairs<'_>) -> String {
    // FNV-1a 64 over `k\xff v\xff`, sorted by key.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (k, v) in &labels.0 {
        for b in k.0.bytes().chain([0xff]).chain(v.0.bytes()).chain([0xff]) {
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

/// One alert of a payload, fully read on a worker thread.
struct AmAlert {
    key: (u64, i64),
    /// `<fingerprint>@<startsAt RFC 3339 UTC>`, formatted on the worker.
    alert_id: String,
    fingerprint: String,
    starts: i64,
    resolved: Option<i64>,
    title: Option<String>,
    service: Option<String>,
    team: Option<String>,
    severity: Option<&'static str>,
    /// The labels as the canonical JSON object text (`None`: no labels).
    labels: Option<String>,
}

/// An alert as a worker leaves it: fully read when it is firing (most
/// likely an occurrence's first notification), else just what folding
/// needs and where its text is, should it be the first after all.
enum Seen {
    Light {
        key: (u64, i64),
        resolved: Option<i64>,
        /// Byte range of the alert's JSON in the chunk.
        span: (usize, usize),
    },
    Full(AmAlert),
}

impl Seen {
    fn key(&self) -> (u64, i64) {
        match self {
            Seen::Light { key, .. } => *key,
            Seen::Full(a) => a.key,
        }
    }
    fn resolved(&self) -> Option<i64> {
        match self {
            Seen::Light { resolved, .. } => *resolved,
            Seen::Full(a) => a.resolved,
        }
    }
}

/// One line, parsed on a worker thread.
struct Notification {
    receiver: String,
    received: Option<i64>,
    truncated: u64,
    version: Option<String>,
    /// Each alert, or why it was rejected and its raw text.
    alerts: Vec<Result<Seen, (String, String)>>,
}

/// Read one alert. `full`: build the whole row even for a resolved alert.
fn parse_alert(
    raw: &str,
    base: usize,
    full: bool,
    service_label: &str,
    team_label: &str,
) -> Result<Seen, String> {
    let alert: Alert<'_> =
        serde_json::from_str(raw).map_err(|e| format!("alert in payload: {e}"))?;
    let starts = parse_instant(&alert.starts_at.0).map_err(|e| format!("startsAt: {e}"))?;
    let resolved = if alert.status.as_ref().map(|s| s.0.as_ref()) == Some("resolved") {
        match alert.ends_at.as_ref().map(|s| parse_instant(&s.0)) {
            Some(Ok(t)) if t > starts => Some(t),
            Some(Ok(_)) | None => {
                return Err("resolved alert without a valid endsAt after startsAt".into())
            }
            Some(Err(e)) => return Err(format!("endsAt: {e}")),
        }
    } else {
        None
    };
    let fingerprint: Cow<'_, str> = match &alert.fingerprint {
        Some(f) => Cow::Borrowed(f.0.as_ref()),
        None => Cow::Owned(label_hash(&alert.labels)),
    };
    let key = (fingerprint_key(&fingerprint), starts);
    if resolved.is_some() && !full {
        let start = raw.as_ptr() as usize - base;
        return Ok(Seen::Light {
            key,
            resolved,
            span: (start, start + raw.len()),
        });
    }
    let title = ["summary", "title", "message", "description"]
        .iter()
        .find_map(|k| alert.annotations.get(k))
        .or_else(|| alert.labels.get("alertname"))
        .map(str::to_string);
    let labels = (!alert.labels.0.is_empty()).then(|| {
        let pairs: Vec<(&str, &str)> = alert
            .labels
            .0
            .iter()
            .map(|(k, v)| (k.0.as_ref(), v.0.as_ref()))
            .collect();
        let mut text = String::new();
        super::record::labels_json(&pairs, &mut text);
        text
    });
    Ok(Seen::Full(AmAlert {
        key,
        alert_id: format!("{fingerprint}@{}", rfc3339_utc(starts)),
        fingerprint: fingerprint.into_owned(),
        starts,
        resolved,
        title,
        service: alert.labels.get(service_label).map(str::to_string),
        team: alert.labels.get(team_label).map(str::to_string),
        severity: alert.labels.get("severity").and_then(normalise_severity),
        labels,
    }))
}

fn parse_line(
    text: &str,
    base: usize,
    service_label: &str,
    team_label: &str,
) -> Result<Notification, String> {
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
                let raw = raw.get();
                parse_alert(raw, base, false, service_label, team_label)
                    .map_err(|reason| (reason, raw.to_string()))
            })
            .collect(),
    })
}

/// The fields of each occurrence that later notifications update.
#[derive(Default)]
struct Fold {
    resolved: Vec<Option<i64>>,
    repeat: Vec<u32>,
    paged: Vec<bool>,
    updated: Vec<Option<i64>>,
}

/// Occurrence rows as first seen, set aside in Arrow files of
/// [`Parts::ROWS`] rows until the end of the file.
struct Parts {
    dir: tempfile::TempDir,
    files: Vec<(std::path::PathBuf, usize)>,
    building: super::AlertColumns,
    failed: Option<String>,
}

impl Parts {
    const ROWS: usize = 262_144;

    fn new(ctx: &Ctx<'_>) -> Result<Parts, IngestError> {
        let dir = tempfile::Builder::new()
            .prefix("alertsift-am-")
            .tempdir()
            .map_err(|e| ctx.io(e))?;
        Ok(Parts {
            dir,
            files: Vec::new(),
            building: super::AlertColumns::default(),
            failed: None,
        })
    }

    fn push(&mut self, ctx: &Ctx<'_>, mut r: AlertRecord, labels: Option<&str>) {
        super::resolve_team(ctx.config, &mut r.team, r.service.as_deref());
        self.building
            .push_with_labels(ctx.format.source(), &r, labels);
        if self.building.len() >= Self::ROWS && self.failed.is_none() {
            if let Err(e) = self.set_aside() {
                self.failed = Some(e);
            }
        }
    }

    fn set_aside(&mut self) -> Result<(), String> {
        let mut frame = std::mem::take(&mut self.building)
            .finish()
            .map_err(|e| e.to_string())?;
        let path = self
            .dir
            .path()
            .join(format!("{:05}.arrow", self.files.len()));
        let f = std::fs::File::create(&path).map_err(|e| e.to_string())?;
        use polars::prelude::SerWriter;
        polars::prelude::IpcWriter::new(std::io::BufWriter::new(f))
            .finish(&mut frame)
            .map_err(|e| e.to_string())?;
        self.files.push((path, frame.height()));
        Ok(())
    }

    /// Read the parts back in order, with the folded fields filled in, and
    /// hand them to the sink.
    fn finish(mut self, ctx: &mut Ctx<'_>, fold: &Fold) -> Result<(), IngestError> {
        use polars::prelude::*;
        if let Some(e) = self.failed.take() {
            return Err(IngestError::Spool { message: e });
        }
        let last = std::mem::take(&mut self.building)
            .finish()
            .map_err(IngestError::Frame)?;
        let mut start = 0usize;
        // One part in memory at a time: read it, fill in the folded fields,
        // hand it on.
        let files = std::mem::take(&mut self.files);
        let mut next_part = files.iter().map(|(path, _)| {
            std::fs::File::open(path)
                .map_err(|e| e.to_string())
                .and_then(|f| IpcReader::new(f).finish().map_err(|e| e.to_string()))
        });
        let mut last = Some(last);
        loop {
            let frame = match next_part.next() {
                Some(part) => part,
                None => match last.take() {
                    Some(frame) => Ok(frame),
                    None => break,
                },
            };
            let mut frame = frame.map_err(|message| IngestError::Spool { message })?;
            let end = start + frame.height();
            let resolved = &fold.resolved[start..end];
            let columns = [
                super::record::instants(crate::schema::RESOLVED_AT, resolved.iter().copied()),
                super::record::bools(
                    crate::schema::AUTO_RESOLVED,
                    resolved.iter().map(|r| r.map(|_| true)).collect(),
                ),
                super::record::counts(
                    crate::schema::REPEAT_COUNT,
                    fold.repeat[start..end].iter().map(|c| Some(*c)).collect(),
                ),
                super::record::bools(
                    crate::schema::PAGED,
                    fold.paged[start..end].iter().map(|p| Some(*p)).collect(),
                ),
                super::record::instants(
                    crate::schema::UPDATED_AT,
                    fold.updated[start..end].iter().copied(),
                ),
            ];
            for c in columns {
                frame.with_column(c.into()).map_err(IngestError::Frame)?;
            }
            start = end;
            ctx.report.alerts += frame.height() as u64;
            ctx.sink
                .push_alert_frame(frame)
                .map_err(IngestError::Frame)?;
            ctx.flush(false);
        }
        Ok(())
    }
}

/// Read every line (parsed in parallel), folding notifications into
/// occurrences here, in file order.
pub fn read(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let receivers_paging = ctx.config.paging.alertmanager_receivers.clone();
    let service_label = ctx.config.ingest.service_label.clone();
    let team_label = ctx.config.ingest.team_label.clone();
    let mut reader = ctx.open()?;
    let mut occurrences: polars::prelude::PlHashMap<(u64, i64), usize> =
        polars::prelude::PlHashMap::default();
    // What later notifications may change, for every occurrence (by its
    // ordinal); the rest of each row is written once, and set aside to disk
    // in parts so memory does not grow with the file.
    let mut fold = Fold::default();
    let mut parts = Parts::new(ctx)?;
    let mut receivers: BTreeSet<String> = BTreeSet::new();
    let (mut notifications, mut truncated, mut versions) = (0u64, 0u64, BTreeSet::new());
    let produced = super::parallel::pipeline(
        |emit| -> Result<u64, std::io::Error> {
            // Chunks of whole lines, with the number of the first line.
            const CHUNK: usize = 1 << 20;
            let mut buf: Vec<u8> = Vec::with_capacity(2 * CHUNK);
            let mut line = 1u64;
            let mut scanned = 0usize;
            loop {
                let n = super::json::read_more(&mut reader, &mut buf, CHUNK)?;
                if n == 0 {
                    // A last line without a newline.
                    if !buf.is_empty() {
                        emit((line, std::mem::take(&mut buf)));
                        line += 1;
                    }
                    return Ok(line - 1);
                }
                if let Some(i) = memchr::memrchr(b'\n', &buf[scanned..]) {
                    let rest = buf.split_off(scanned + i + 1);
                    let lines = memchr::memchr_iter(b'\n', &buf).count() as u64;
                    emit((line, std::mem::replace(&mut buf, rest)));
                    line += lines;
                }
                scanned = buf.len();
            }
        },
        |(first, chunk): (u64, Vec<u8>)| {
            let base = chunk.as_ptr() as usize;
            let mut results = Vec::new();
            let mut start = 0usize;
            let mut n = first;
            while start < chunk.len() {
                let end = memchr::memchr(b'\n', &chunk[start..]).map_or(chunk.len(), |i| start + i);
                let raw = &chunk[start..end];
                start = end + 1;
                n += 1;
                let parsed = match std::str::from_utf8(raw) {
                    Ok(text) => {
                        let text = text.trim();
                        if text.is_empty() {
                            continue;
                        }
                        parse_line(text, base, &service_label, &team_label)
                            .map_err(|reason| (reason, text.to_string()))
                    }
                    Err(_) => Err((
                        "line is not valid UTF-8".to_string(),
                        String::from_utf8_lossy(raw).trim().to_string(),
                    )),
                };
                results.push((n - 1, parsed));
            }
            (chunk, results)
        },
        |(chunk, lines)| {
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
                    let seen_alert = match alert {
                        Ok(a) => a,
                        Err((reason, raw)) => {
                            ctx.reject(n, Some(n), reason, &raw);
                            continue;
                        }
                    };
                    let (key, resolved) = (seen_alert.key(), seen_alert.resolved());
                    let seen = [Some(seen_alert.key().1), resolved, note.received]
                        .into_iter()
                        .flatten()
                        .max();
                    if let Some(&row) = occurrences.get(&key) {
                        if resolved.is_some() {
                            fold.resolved[row] = resolved;
                        } else {
                            fold.repeat[row] += 1;
                        }
                        fold.paged[row] |= pages;
                        fold.updated[row] = fold.updated[row].max(seen);
                        continue;
                    }
                    // First notification of this occurrence: read it fully.
                    let a = match seen_alert {
                        Seen::Full(a) => a,
                        Seen::Light { span, .. } => {
                            // Checked valid UTF-8 and parsed on the worker.
                            let raw = std::str::from_utf8(&chunk[span.0..span.1]).unwrap_or("");
                            match parse_alert(raw, 0, true, &service_label, &team_label) {
                                Ok(Seen::Full(a)) => a,
                                Ok(Seen::Light { .. }) => continue,
                                Err(reason) => {
                                    ctx.reject(n, Some(n), reason, raw);
                                    continue;
                                }
                            }
                        }
                    };
                    let record = AlertRecord {
                        alert_id: a.alert_id,
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
                        labels: Vec::new(),
                        updated_at: seen,
                    };
                    occurrences.insert(a.key, fold.resolved.len());
                    fold.resolved.push(a.resolved);
                    fold.repeat.push(u32::from(a.resolved.is_none()));
                    fold.paged.push(pages);
                    fold.updated.push(seen);
                    parts.push(ctx, record, a.labels.as_deref());
                }
            }
        },
    );
    let n = produced.map_err(|e| ctx.io(e))?;
    parts.finish(ctx, &fold)?;
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
