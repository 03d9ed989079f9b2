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

use super::scan::{once, Bad, Res, Scanner};
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
/// a repeated key the last value counts. `.1`: the object's own text when
/// it is already what [`super::record::labels_json`] would write for it.
#[derive(Default)]
struct Pairs<'a>(Vec<(Str<'a>, Str<'a>)>, Option<&'a str>);

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
                Ok(Pairs::from_unsorted(pairs))
            }
        }
        d.deserialize_map(V)
    }
}

impl<'a> Pairs<'a> {
    /// Pairs in the order the object had them, sorted by key; of a repeated
    /// key the last value counts.
    fn from_unsorted(mut pairs: Vec<(Str<'a>, Str<'a>)>) -> Pairs<'a> {
        // Exporters write labels sorted: nothing to do then.
        if Self::in_key_order(&pairs) {
            return Pairs(pairs, None);
        }
        // Stable: of equal keys the last stays last; keep only it.
        pairs.sort_by(|a, b| a.0 .0.cmp(&b.0 .0));
        pairs.reverse();
        pairs.dedup_by(|dropped, kept| dropped.0 .0 == kept.0 .0);
        pairs.reverse();
        Pairs(pairs, None)
    }

    /// The pairs of an object of strings already checked by
    /// [`Scanner::string_object`].
    fn scan(object: &'a str) -> Res<Pairs<'a>> {
        let mut pairs: Vec<(Str<'a>, Str<'a>)> = Vec::new();
        Scanner::new(object).object(|s, k| {
            pairs.push((Str(Cow::Borrowed(k)), Str(s.string()?)));
            Ok(())
        })?;
        let canonical = Self::is_canonical(object, &pairs).then_some(object);
        let mut sorted = Pairs::from_unsorted(pairs);
        sorted.1 = canonical;
        Ok(sorted)
    }

    /// Are the keys strictly ascending (sorted, none repeated)?
    fn in_key_order(pairs: &[(Str<'a>, Str<'a>)]) -> bool {
        pairs.windows(2).all(|w| w[0].0 .0 < w[1].0 .0)
    }

    /// Is `object`, read as `pairs` (in its order), already the canonical
    /// labels text: keys strictly ascending, no escape in any key or value
    /// (so each is written as it is), and no white space (every byte is
    /// accounted for by `{"k":"v",…}`)?
    fn is_canonical(object: &str, pairs: &[(Str<'a>, Str<'a>)]) -> bool {
        let plain = |s: &Str<'_>| matches!(s.0, Cow::Borrowed(_));
        let written: usize = pairs
            .iter()
            .map(|(k, v)| k.0.len() + v.0.len() + 5)
            .sum::<usize>()
            + pairs.len().saturating_sub(1)
            + 2;
        !pairs.is_empty()
            && Self::in_key_order(pairs)
            && pairs.iter().all(|(k, v)| plain(k) && plain(v))
            && written == object.len()
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

/// The labels that name an alert's service and team (`[ingest]
/// service_label`, `team_label`).
#[derive(Clone, Copy)]
struct Names<'a> {
    service: &'a str,
    team: &'a str,
}

/// One alert of a payload, fully read on a worker thread.
#[derive(Debug, PartialEq)]
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
#[derive(Debug, PartialEq)]
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
    /// The receiver's name, in the chunk's [`Texts`].
    receiver: u32,
    received: Option<i64>,
    truncated: u64,
    /// The payload version, in the chunk's [`Texts`].
    version: Option<u32>,
    /// Each alert, or why it was rejected and its raw text.
    alerts: Vec<Result<Seen, (String, String)>>,
}

/// Read one alert's text: by the fast scanner, else by serde_json (whose
/// message names what is wrong). `full`: build the whole row even for a
/// resolved alert.
fn parse_alert(raw: &str, base: usize, full: bool, names: Names<'_>) -> Result<Seen, String> {
    let mut s = Scanner::new(raw);
    match scan_alert(&mut s, full, &mut Checked::default()).and_then(|a| s.end().map(|()| a)) {
        Ok(alert) => build_alert(alert, raw, base, full, names),
        Err(Bad) => serde_alert(raw, base, full, names),
    }
}

/// Read one alert's text by serde_json alone.
fn serde_alert(raw: &str, base: usize, full: bool, names: Names<'_>) -> Result<Seen, String> {
    let alert = serde_json::from_str(raw).map_err(|e| format!("alert in payload: {e}"))?;
    build_alert(alert, raw, base, full, names)
}

/// Does building this alert read its labels and annotations? Only a
/// resolved alert with a fingerprint, not built in full, does without.
fn needs_pairs(status: Option<&Str<'_>>, fingerprint: bool, full: bool) -> bool {
    full || !fingerprint || status.map(|s| s.0.as_ref()) != Some("resolved")
}

/// The texts of an alert's labels and annotations objects, as checked.
type Checked<'a> = [Option<&'a str>; 2];

/// One alert object by the fast scanner, with the same fields (and the
/// same refusals: a repeated field, a missing `startsAt`, a label that is
/// not a string) as [`Alert`]'s serde reading. Labels and annotations are
/// checked, and read only when [`needs_pairs`]; their texts are left in
/// `checked`.
fn scan_alert<'a>(s: &mut Scanner<'a>, full: bool, checked: &mut Checked<'a>) -> Res<Alert<'a>> {
    let (mut status, mut starts_at, mut ends_at, mut fingerprint) = (None, None, None, None);
    let (mut labels, mut annotations) = (None, None);
    s.object(|s, key| match key {
        "status" => once(&mut status, s.opt_string()?.map(Str)),
        "labels" => once(&mut labels, s.string_object()?),
        "annotations" => once(&mut annotations, s.string_object()?),
        "startsAt" => once(&mut starts_at, Str(s.string()?)),
        "endsAt" => once(&mut ends_at, s.opt_string()?.map(Str)),
        "fingerprint" => once(&mut fingerprint, s.opt_string()?.map(Str)),
        _ => s.skip(),
    })?;
    let (status, ends_at, fingerprint) =
        (status.flatten(), ends_at.flatten(), fingerprint.flatten());
    *checked = [labels, annotations];
    let read = needs_pairs(status.as_ref(), fingerprint.is_some(), full);
    let pairs = |object: Option<&'a str>| match object {
        Some(o) if read => Pairs::scan(o),
        _ => Ok(Pairs::default()),
    };
    Ok(Alert {
        labels: pairs(labels)?,
        annotations: pairs(annotations)?,
        status,
        starts_at: starts_at.ok_or(Bad)?,
        ends_at,
        fingerprint,
    })
}

/// An alert as read into what the fold needs (and, when it may be an
/// occurrence's first notification, the whole row).
fn build_alert(
    alert: Alert<'_>,
    raw: &str,
    base: usize,
    full: bool,
    names: Names<'_>,
) -> Result<Seen, String> {
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
    debug_assert!(needs_pairs(
        alert.status.as_ref(),
        alert.fingerprint.is_some(),
        full
    ));
    let title = ["summary", "title", "message", "description"]
        .iter()
        .find_map(|k| alert.annotations.get(k))
        .or_else(|| alert.labels.get("alertname"))
        .map(str::to_string);
    let labels = (!alert.labels.0.is_empty()).then(|| {
        if let Some(text) = alert.labels.1 {
            return text.to_string();
        }
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
        alert_id: [fingerprint.as_ref(), "@", &rfc3339_utc(starts)].concat(),
        fingerprint: fingerprint.into_owned(),
        starts,
        resolved,
        title,
        service: alert.labels.get(names.service).map(str::to_string),
        team: alert.labels.get(names.team).map(str::to_string),
        severity: alert.labels.get("severity").and_then(normalise_severity),
        labels,
    }))
}

/// A payload line as read: its own fields, and each alert read or
/// rejected (with its raw text).
#[derive(Debug, PartialEq)]
struct Line<'a> {
    receiver: Option<Cow<'a, str>>,
    received_at: Option<Cow<'a, str>>,
    truncated: Option<u64>,
    version: Option<Cow<'a, str>>,
    alerts: Vec<Result<Seen, (String, String)>>,
}

/// A line by the fast scanner, alerts and all in one pass: a payload, or a
/// payload wrapped with its receive time, read as serde_json reads them
/// ([`serde_line`]). [`Bad`] when the scanner cannot take it (not JSON, or a
/// shape it leaves to serde_json): the caller reads it with [`serde_line`].
fn scan_line<'a>(text: &'a str, base: usize, names: Names<'_>) -> Res<Line<'a>> {
    let mut s = Scanner::new(text);
    let mut inner = None;
    let top = scan_payload(&mut s, base, names, Some(&mut inner))?;
    s.end()?;
    if let Some(alerts) = top.alerts {
        // A payload (serde_json tries that first; a `payload` key beside
        // `alerts` is then just an unknown field).
        return Ok(Line { alerts, ..top.line });
    }
    // A wrapper: its receive time, else the payload's.
    let inner = inner.ok_or(Bad)?;
    Ok(Line {
        received_at: top.line.received_at.or(inner.line.received_at),
        alerts: inner.alerts.ok_or(Bad)?,
        ..inner.line
    })
}

/// A payload object's fields as scanned; `alerts` is `None` when absent.
struct Scanned<'a> {
    line: Line<'a>,
    alerts: Option<Vec<Result<Seen, (String, String)>>>,
}

/// One payload object. With `wrapped`, a `payload` (or `body`) member is
/// scanned as a payload into it.
fn scan_payload<'a>(
    s: &mut Scanner<'a>,
    base: usize,
    names: Names<'_>,
    mut wrapped: Option<&mut Option<Scanned<'a>>>,
) -> Res<Scanned<'a>> {
    let (mut receiver, mut received_at, mut truncated, mut version) = (None, None, None, None);
    let mut alerts = None;
    // The last alert's label and annotation objects, checked: Alertmanager
    // repeats them as `commonLabels` and `commonAnnotations` when a group
    // has one alert, and those need not be checked again.
    let mut checked = Checked::default();
    s.object(|s, key| match key {
        "receiver" => once(&mut receiver, s.opt_string()?),
        "receivedAt" | "received_at" | "timestamp" => once(&mut received_at, s.opt_string()?),
        "truncatedAlerts" => once(&mut truncated, s.opt_u64()?),
        "version" => once(&mut version, s.opt_string()?),
        "alerts" => {
            let mut read = Vec::new();
            s.array(|s| {
                let m = s.mark();
                let alert = match scan_alert(s, false, &mut checked) {
                    Ok(alert) => {
                        let raw = s.since(m)?;
                        build_alert(alert, raw, base, false, names)
                            .map_err(|reason| (reason, raw.to_string()))
                    }
                    Err(Bad) => {
                        // Not an alert the scanner takes: find its end, and
                        // let serde_json say what is wrong with it.
                        s.reset(m);
                        s.skip()?;
                        let raw = s.since(m)?;
                        serde_alert(raw, base, false, names)
                            .map_err(|reason| (reason, raw.to_string()))
                    }
                };
                read.push(alert);
                Ok(())
            })?;
            once(&mut alerts, read)
        }
        "payload" | "body" => match wrapped.as_deref_mut() {
            Some(slot) => {
                let inner = scan_payload(s, base, names, None)?;
                once(slot, inner)
            }
            None => s.skip(),
        },
        _ if s.skip_known(checked.iter().flatten().copied()) => Ok(()),
        _ => s.skip(),
    })?;
    Ok(Scanned {
        line: Line {
            receiver: receiver.flatten(),
            received_at: received_at.flatten(),
            truncated: truncated.flatten(),
            version: version.flatten(),
            alerts: Vec::new(),
        },
        alerts,
    })
}

/// Reads one alert's text: `(raw, base, full, names)`.
type ReadAlert = fn(&str, usize, bool, Names<'_>) -> Result<Seen, String>;

/// A line by serde_json: a payload, or a payload wrapped with its receive
/// time; else why not. Its alerts by `read_alert`.
fn serde_line<'a>(
    text: &'a str,
    base: usize,
    names: Names<'_>,
    read_alert: ReadAlert,
) -> Result<Line<'a>, String> {
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
    Ok(Line {
        receiver: payload.receiver.map(Cow::Owned),
        received_at: payload.received_at.map(Cow::Owned),
        truncated: payload.truncated_alerts,
        version: payload.version.map(Cow::Owned),
        alerts: payload
            .alerts
            .iter()
            .map(|raw| {
                let raw = raw.get();
                read_alert(raw, base, false, names).map_err(|reason| (reason, raw.to_string()))
            })
            .collect(),
    })
}

fn parse_line(
    text: &str,
    base: usize,
    names: Names<'_>,
    texts: &mut Texts,
) -> Result<Notification, String> {
    let line = match scan_line(text, base, names) {
        Ok(line) => line,
        Err(Bad) => serde_line(text, base, names, parse_alert)?,
    };
    notification(line, texts)
}

/// The receiver and version names of one chunk's lines, each kept once
/// (they repeat on every line; one copy per chunk, not per line).
#[derive(Default)]
struct Texts(Vec<String>);

impl Texts {
    /// The number of `text`; a text not among the last few is added again
    /// (a copy too many, never a wrong one).
    fn id(&mut self, text: &str) -> u32 {
        let known = self.0.iter().rev().take(8).position(|t| t == text);
        match known {
            Some(back) => (self.0.len() - 1 - back) as u32,
            None => {
                self.0.push(text.to_string());
                (self.0.len() - 1) as u32
            }
        }
    }

    fn get(&self, id: u32) -> &str {
        self.0.get(id as usize).map_or("", String::as_str)
    }
}

/// A line read, with its receive time checked.
fn notification(line: Line<'_>, texts: &mut Texts) -> Result<Notification, String> {
    let received = line
        .received_at
        .as_deref()
        .map(parse_instant)
        .transpose()
        .map_err(|e| format!("receive time: {e}"))?;
    Ok(Notification {
        receiver: texts.id(line.receiver.as_deref().unwrap_or_default()),
        received,
        truncated: line.truncated.unwrap_or(0),
        version: line.version.as_deref().map(|v| texts.id(v)),
        alerts: line.alerts,
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

/// Occurrence rows as first seen, handed to the store's spool in frames of
/// [`Rows::ROWS`], each row with its occurrence number
/// ([`crate::schema::OCCURRENCE`]); the fields that later notifications
/// change are settled when the file is read ([`super::LateFields`]).
struct Rows {
    building: super::AlertColumns,
    /// The occurrence number of the first row being built.
    first: usize,
    failed: Option<String>,
}

impl Rows {
    const ROWS: usize = 65_536;

    fn push(&mut self, ctx: &mut Ctx<'_>, mut r: AlertRecord, labels: Option<&str>) {
        super::resolve_team(ctx.config, &mut r.team, r.service.as_deref());
        self.building
            .push_with_labels(ctx.format.source(), &r, labels);
        if self.building.len() >= Self::ROWS {
            self.hand_on(ctx);
        }
    }

    /// Hand the rows built so far to the sink.
    fn hand_on(&mut self, ctx: &mut Ctx<'_>) {
        use polars::prelude::{IdxCa, IdxSize, IntoColumn};
        if self.building.is_empty() || self.failed.is_some() {
            return;
        }
        let result = (|| -> Result<(), String> {
            let mut frame = std::mem::take(&mut self.building)
                .finish()
                .map_err(|e| e.to_string())?;
            let n = frame.height();
            let numbers = (self.first..self.first + n)
                .map(IdxSize::try_from)
                .collect::<Result<Vec<IdxSize>, _>>()
                .map_err(|_| "more occurrences than one ingest can number".to_string())?;
            frame
                .with_column(
                    IdxCa::from_vec(crate::schema::OCCURRENCE.into(), numbers).into_column(),
                )
                .map_err(|e| e.to_string())?;
            self.first += n;
            ctx.report.alerts += n as u64;
            ctx.sink
                .push_alert_frame(frame)
                .map_err(|e| e.to_string())?;
            ctx.flush(false);
            Ok(())
        })();
        if let Err(e) = result {
            self.failed = Some(e);
        }
    }

    /// Hand on the last rows, and the settled fields of every occurrence.
    fn finish(mut self, ctx: &mut Ctx<'_>, fold: Fold) -> Result<(), IngestError> {
        use polars::prelude::*;
        self.hand_on(ctx);
        if let Some(message) = self.failed.take() {
            return Err(IngestError::Spool { message });
        }
        let Fold {
            resolved,
            repeat,
            paged,
            updated,
        } = fold;
        let height = resolved.len();
        let auto = resolved.iter().map(|r| r.map(|_| true)).collect();
        let columns = [
            super::record::instants(crate::schema::RESOLVED_AT, resolved),
            super::record::bools(crate::schema::AUTO_RESOLVED, auto),
            super::record::counts(
                crate::schema::REPEAT_COUNT,
                repeat.into_iter().map(Some).collect(),
            ),
            super::record::bools(crate::schema::PAGED, paged.into_iter().map(Some).collect()),
            super::record::instants(crate::schema::UPDATED_AT, updated),
        ];
        let frame = DataFrame::new(height, columns.into_iter().map(Column::from).collect())
            .map_err(IngestError::Frame)?;
        ctx.sink.late.append(frame).map_err(IngestError::Frame)
    }
}

/// Read every line (parsed in parallel), folding notifications into
/// occurrences here, in file order.
pub fn read(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let receivers_paging = ctx.config.paging.alertmanager_receivers.clone();
    let (service_label, team_label) = (
        ctx.config.ingest.service_label.clone(),
        ctx.config.ingest.team_label.clone(),
    );
    let names = Names {
        service: &service_label,
        team: &team_label,
    };
    let mut reader = ctx.open()?;
    let mut occurrences: polars::prelude::PlHashMap<(u64, i64), usize> =
        polars::prelude::PlHashMap::default();
    // What later notifications may change, for every occurrence (by its
    // ordinal); the rest of each row is handed to the store's spool when
    // first seen, so memory does not grow with the file.
    let mut fold = Fold::default();
    let mut rows = Rows {
        building: super::AlertColumns::default(),
        first: ctx.sink.late.len(),
        failed: None,
    };
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
            let mut texts = Texts::default();
            let mut start = 0usize;
            let mut n = first;
            while start < chunk.len() {
                let end = memchr::memchr(b'\n', &chunk[start..]).map_or(chunk.len(), |i| start + i);
                let raw = &chunk[start..end];
                start = end + 1;
                n += 1;
                let parsed = match simdutf8::basic::from_utf8(raw) {
                    Ok(text) => {
                        let text = text.trim();
                        if text.is_empty() {
                            continue;
                        }
                        parse_line(text, base, names, &mut texts)
                            .map_err(|reason| (reason, text.to_string()))
                    }
                    Err(_) => Err((
                        "line is not valid UTF-8".to_string(),
                        String::from_utf8_lossy(raw).trim().to_string(),
                    )),
                };
                results.push((n - 1, parsed));
            }
            (chunk, results, texts)
        },
        |(chunk, lines, texts)| {
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
                if let Some(v) = note.version.map(|v| texts.get(v)) {
                    if !versions.contains(v) {
                        versions.insert(v.to_string());
                    }
                }
                let receiver = texts.get(note.receiver);
                let pages = receivers_paging
                    .as_ref()
                    .is_none_or(|list| list.iter().any(|r| r == receiver));
                if !receivers.contains(receiver) {
                    receivers.insert(receiver.to_string());
                }
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
                            match parse_alert(raw, 0, true, names) {
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
                    rows.push(ctx, record, a.labels.as_deref());
                }
            }
        },
    );
    let n = produced.map_err(|e| ctx.io(e))?;
    rows.finish(ctx, fold)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: Names<'static> = Names {
        service: "service",
        team: "team",
    };

    #[test]
    fn labels_text_is_reused_only_when_already_canonical() {
        let canonical = |object: &str| {
            let pairs = Pairs::scan(object).expect("an object of strings");
            let mut written = String::new();
            let kv: Vec<(&str, &str)> = pairs
                .0
                .iter()
                .map(|(k, v)| (k.0.as_ref(), v.0.as_ref()))
                .collect();
            super::super::record::labels_json(&kv, &mut written);
            // Whenever the text is reused it is what labels_json writes.
            if let Some(text) = pairs.1 {
                assert_eq!(text, written, "{object}");
            }
            pairs.1.is_some()
        };
        assert!(canonical(r#"{"a":"1","b":"x y","c":"é"}"#));
        assert!(canonical(r#"{"alertname":"X"}"#));
        // Out of order, repeated, spaced or escaped: written afresh.
        assert!(!canonical(r#"{"b":"1","a":"2"}"#));
        assert!(!canonical(r#"{"a":"1","a":"2"}"#));
        assert!(!canonical(r#"{"a": "1"}"#));
        assert!(!canonical(r#"{ "a":"1"}"#));
        assert!(!canonical(r#"{"a":"1" }"#));
        assert!(!canonical(r#"{"a":"\u0041"}"#));
        assert!(!canonical(r#"{"a":"q\"x"}"#));
        assert!(!canonical("{}"));
    }

    /// Every line here must read the same by the fast scanner as by
    /// serde_json alone; `fast` says whether the scanner must take it.
    fn agree(text: &str, fast: bool) {
        let names = NAMES;
        let base = text.as_ptr() as usize;
        let slow = serde_line(text, base, names, serde_alert);
        match scan_line(text, base, names) {
            Ok(line) => assert_eq!(Ok(line), slow, "{text}"),
            Err(Bad) => assert!(!fast, "the scanner refused {text}"),
        }
        // Each alert built in full, as the fold does for a first
        // notification, reads the same both ways.
        if let Ok(payload) = serde_json::from_str::<Payload>(text) {
            for raw in payload.alerts {
                let raw = raw.get();
                let base = raw.as_ptr() as usize;
                assert_eq!(
                    parse_alert(raw, base, true, names),
                    serde_alert(raw, base, true, names),
                    "{raw}"
                );
            }
        }
        assert_eq!(
            parse_line(text, base, names, &mut Texts::default()).map(|n| n.alerts),
            slow.and_then(|l| notification(l, &mut Texts::default()))
                .map(|n| n.alerts),
            "{text}"
        );
    }

    fn lines(path: &std::path::Path) -> Vec<String> {
        let bytes = std::fs::read(path).unwrap_or_default();
        String::from_utf8_lossy(&bytes)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn fast_scanner_reads_the_fixtures_like_serde_json() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut n = 0;
        for file in ["webhooks.jsonl", "edge-cases.jsonl"] {
            for line in lines(&root.join("tests/fixtures/alertmanager").join(file)) {
                // The edge cases' non-UTF-8 line arrives here lossily
                // decoded; it is a plain payload all the same. The
                // scanner must take every line serde_json takes.
                let valid = serde_line(&line, 0, NAMES, serde_alert).is_ok();
                agree(&line, valid);
                n += 1;
            }
        }
        // The real capture, when the shared data is there.
        let capture = root.join("../shared/data/alertmanager/webhook-capture-70s.jsonl");
        for line in lines(&capture) {
            assert!(serde_line(&line, 0, NAMES, serde_alert).is_ok());
            agree(&line, true);
            n += 1;
        }
        assert!(n >= 8, "{n} lines");
    }

    #[test]
    // One notation for every line, with an alert spliced in or not.
    #[allow(clippy::useless_format)]
    fn fast_scanner_leaves_odd_lines_to_serde_json() {
        let alert = r#"{"status":"firing","labels":{"alertname":"A"},"startsAt":"2024-01-01T09:00:00Z","fingerprint":"00000000000000aa"}"#;
        let resolved = r#"{"status":"resolved","labels":{"alertname":"A"},"startsAt":"2024-01-01T09:00:00Z","endsAt":"2024-01-01T09:05:00Z","fingerprint":"00000000000000aa"}"#;
        let ok = [
            format!(
                r#"{{"receiver":"pager","alerts":[{alert},{resolved}],"truncatedAlerts":0,"version":"4"}}"#
            ),
            format!(
                r#"{{"receiver":null,"alerts":[],"receivedAt":null,"truncatedAlerts":null,"version":null}}"#
            ),
            format!(
                r#" {{ "receiver" : "p\u00e9ger" , "alerts" : [ {alert} ] , "x":[1,{{"y":-0.5e3}},true,false,null] }} "#
            ),
            format!(r#"{{"timestamp":"2024-01-01T09:00:00Z","alerts":[{alert}]}}"#),
            // A label that is not a string rejects that alert, not the line.
            format!(
                r#"{{"receiver":"pager","alerts":[{alert},{{"labels":{{"a":1}},"startsAt":"2024-01-01T09:00:00Z"}}]}}"#
            ),
            // So does a resolved one, even though its labels are not read.
            format!(
                r#"{{"receiver":"pager","alerts":[{{"status":"resolved","labels":{{"a":1}},"startsAt":"2024-01-01T09:00:00Z","endsAt":"2024-01-01T09:05:00Z","fingerprint":"00000000000000aa"}}]}}"#
            ),
            // A repeated field in an alert, a missing startsAt, an alert
            // that is not an object.
            format!(
                r#"{{"alerts":[{{"startsAt":"2024-01-01T09:00:00Z","startsAt":"2024-01-01T09:00:00Z"}},{{"status":"firing"}},[1],"x"]}}"#
            ),
            // Repeated labels: the last counts.
            format!(
                r#"{{"alerts":[{{"labels":{{"team":"a","x":"1","team":"b"}},"startsAt":"2024-01-01T09:00:00Z"}}]}}"#
            ),
            // A bad receive time (a line error after the alerts were read).
            format!(r#"{{"receivedAt":"yesterday","alerts":[{alert}]}}"#),
            // Wrapped: the wrapper's receive time, else the payload's; a
            // `payload` beside `alerts` is an unknown field.
            format!(
                r#"{{"receivedAt":"2024-01-01T09:00:00Z","payload":{{"receiver":"pager","alerts":[{alert}]}}}}"#
            ),
            format!(
                r#"{{"receivedAt":null,"body":{{"receiver":"pager","receivedAt":"2024-01-01T09:00:07Z","alerts":[{alert}]}}}}"#
            ),
            format!(
                r#"{{"receiver":"top","alerts":[{resolved}],"payload":{{"receiver":"inner","alerts":[{alert}]}}}}"#
            ),
            // Hostile strings.
            format!(
                r#"{{"alerts":[{{"labels":{{"alertname":"<script>\u202e\ud83d\ude00\u0000"}},"annotations":{{"summary":"a\\b\"c"}},"startsAt":"2024-01-01T09:00:00Z"}}]}}"#
            ),
        ];
        for line in &ok {
            agree(line, true);
        }
        let refused = [
            // Shapes the scanner leaves to serde_json.
            format!(r#"{{"receiver":"pager","alerts":[{alert}],"receiver":"other"}}"#),
            format!(
                r#"{{"receivedAt":"2024-01-01T09:00:00Z","timestamp":"2024-01-01T09:00:00Z","alerts":[]}}"#
            ),
            format!(r#"{{"alerts":[],"truncatedAlerts":-1}}"#),
            format!(r#"{{"alerts":[],"truncatedAlerts":1.0}}"#),
            format!(r#"{{"receiver":"pager"}}"#),
            // An escaped key (serde_json reads `\u0061lerts` as `alerts`).
            format!(r#"{{"receiver":"pager","\u0061lerts":[{alert}]}}"#),
            format!(r#"{{"payload":{{"alerts":[]}},"body":{{"alerts":[]}}}}"#),
            format!(r#"["pager",[{alert}]]"#),
            // Not JSON: truncated, trailing text, a lone surrogate, a
            // control character in a string.
            format!(r#"{{"receiver":"pager","alerts":[{alert}"#),
            format!(r#"{{"receiver":"pager","alerts":[]}} x"#),
            format!(r#"{{"receiver":"\ud800","alerts":[]}}"#),
            format!("{{\"receiver\":\"a\tb\",\"alerts\":[]}}"),
            "{".to_string(),
            String::new(),
        ];
        for line in &refused {
            agree(line, false);
            let base = line.as_ptr() as usize;
            assert_eq!(scan_line(line, base, NAMES), Err(Bad), "{line}");
        }
    }
}
