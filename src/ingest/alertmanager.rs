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
//!
//! Length: about 1,300 lines of code and 270 of tests. The payload mapping,
//! the folding of an alert's notifications into one occurrence (first
//! notification in file order, later ones settling resolve and paging) and
//! the scanner fast path share the occurrence state; apart, each would need
//! the others' internals.

use std::borrow::Cow;
use std::collections::BTreeSet;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::scan::{once, Bad, Res, Scanner};
use polars::prelude::{Column, DataFrame, IdxCa, IdxSize, IntoColumn, PlSmallStr};

use super::time::{parse_instant, push_rfc3339_utc};
use super::{AlertRef, Ctx, Head, IngestError};
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

impl<'a> Pairs<'a> {
    fn get(&self, key: &str) -> Option<&str> {
        self.value(key).map(|i| self.0[i].1 .0.as_ref())
    }

    /// [`Pairs::get`], still borrowed from the line when it was.
    fn get_cow(&self, key: &str) -> Option<Cow<'a, str>> {
        self.value(key).map(|i| self.0[i].1 .0.clone())
    }

    fn value(&self, key: &str) -> Option<usize> {
        self.0.binary_search_by(|(k, _)| k.0.as_ref().cmp(key)).ok()
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

/// A count written as a number or (a relay that re-writes payloads) as its
/// text.
fn count_or_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Count {
        Number(u64),
        Text(String),
    }
    match Option::<Count>::deserialize(d)? {
        None => Ok(None),
        Some(Count::Number(n)) => Ok(Some(n)),
        Some(Count::Text(t)) => t.trim().parse().map(Some).map_err(serde::de::Error::custom),
    }
}

#[derive(Deserialize)]
struct Payload<'a> {
    #[serde(default)]
    receiver: Option<String>,
    #[serde(borrow)]
    alerts: Vec<&'a serde_json::value::RawValue>,
    #[serde(
        default,
        rename = "truncatedAlerts",
        deserialize_with = "count_or_text"
    )]
    truncated_alerts: Option<u64>,
    #[serde(
        default,
        alias = "received_at",
        alias = "timestamp",
        rename = "receivedAt"
    )]
    received_at: Option<String>,
    #[serde(default, deserialize_with = "super::json::opt_text")]
    version: Option<String>,
    #[serde(default)]
    status: Option<String>,
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

/// This format, for [`super::Format::ALL`].
pub const VENDOR: super::Vendor = super::Vendor::new(
    "alertmanager",
    "alertmanager",
    "Alertmanager webhook payloads (JSON lines, pretty-printed documents or arrays)",
    sniff,
    read,
);

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

/// Alertmanager's own fingerprint of a label set (`labelSetToFingerprint`
/// in Prometheus' `common/model/signature.go`: FNV-1a 64 over each `name 0xff value 0xff`,
/// sorted by name, as 16 hex digits), for payloads that carry none.
fn label_hash(labels: &Pairs<'_>) -> String {
    let h =
        crate::core::hash::label_set(labels.0.iter().map(|(k, v)| (k.0.as_ref(), v.0.as_ref())));
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
    crate::core::hash::fnv1a(fp.as_bytes())
}

/// The labels that name an alert's service and team (`[ingest]
/// service_label`, `team_label`).
#[derive(Clone, Copy)]
struct Names<'a> {
    service: &'a str,
    team: &'a str,
    /// The payload's own `status` is `resolved` (read before its alerts):
    /// its alerts that carry no `status` of their own are resolved too, as
    /// in releases that sent none per alert.
    resolved_group: bool,
}

/// One alert of a payload, fully read on a worker thread: the row of an
/// occurrence as first seen, borrowed from the line where it can be.
#[derive(Debug, PartialEq)]
struct AmAlert<'a> {
    fingerprint: Cow<'a, str>,
    title: Option<Cow<'a, str>>,
    service: Option<Cow<'a, str>>,
    team: Option<Cow<'a, str>>,
    severity: Option<&'static str>,
    /// The labels as the canonical JSON object text (`None`: no labels).
    labels: Option<Cow<'a, str>>,
}

/// An alert as a worker leaves it: fully read when it is firing (most
/// likely an occurrence's first notification), else just what folding
/// needs and where its text is, should it be the first after all. `F` is
/// the full alert as read ([`AmAlert`]), or its row in the chunk's
/// columns once a worker has built that.
#[derive(Debug, PartialEq)]
enum Seen<F> {
    Light {
        key: (u64, i64),
        resolved: Option<i64>,
        /// Byte range of the alert's JSON in the chunk.
        span: (usize, usize),
        /// Its `runbook_url` (or `runbook`) annotation.
        runbook: Option<Box<str>>,
    },
    Full {
        key: (u64, i64),
        resolved: Option<i64>,
        alert: F,
        /// Its `runbook_url` (or `runbook`) annotation.
        runbook: Option<Box<str>>,
    },
}

impl<F> Seen<F> {
    /// The alert's runbook link, if its annotations have one.
    fn runbook(&self) -> Option<&str> {
        match self {
            Seen::Light { runbook, .. } | Seen::Full { runbook, .. } => runbook.as_deref(),
        }
    }

    fn key(&self) -> (u64, i64) {
        match self {
            Seen::Light { key, .. } | Seen::Full { key, .. } => *key,
        }
    }
    fn resolved(&self) -> Option<i64> {
        match self {
            Seen::Light { resolved, .. } | Seen::Full { resolved, .. } => *resolved,
        }
    }
}

/// An alert read, or why it was rejected and its raw text.
type Read<F> = Result<Seen<F>, (String, String)>;

/// One line, parsed on a worker thread.
struct Notification<F> {
    /// The receiver's name, in the chunk's [`Texts`].
    receiver: u32,
    received: Option<i64>,
    truncated: u64,
    /// The payload version, in the chunk's [`Texts`].
    version: Option<u32>,
    /// Each alert, or why it was rejected and its raw text.
    alerts: Vec<Read<F>>,
}

/// Read one alert's text: by the fast scanner, else by serde_json (whose
/// message names what is wrong). `full`: build the whole row even for a
/// resolved alert.
fn parse_alert<'a>(
    raw: &'a str,
    base: usize,
    full: bool,
    names: Names<'_>,
) -> Result<Seen<AmAlert<'a>>, String> {
    let mut s = Scanner::new(raw);
    match scan_alert(&mut s, full, &mut Checked::default()).and_then(|a| s.end().map(|()| a)) {
        Ok(alert) => build_alert(alert, raw, base, full, names),
        Err(Bad) => serde_alert(raw, base, full, names),
    }
}

/// Read one alert's text by serde_json alone.
fn serde_alert<'a>(
    raw: &'a str,
    base: usize,
    full: bool,
    names: Names<'_>,
) -> Result<Seen<AmAlert<'a>>, String> {
    let alert = serde_json::from_str(raw).map_err(|e| format!("alert in payload: {e}"))?;
    build_alert(alert, raw, base, full, names)
}

/// Is this status (an alert's or a payload's) `resolved`, in any casing?
fn is_resolved(status: &str) -> bool {
    status.eq_ignore_ascii_case("resolved")
}

/// Does building this alert read its labels and annotations? Only a
/// resolved alert with a fingerprint, not built in full, does without.
fn needs_pairs(status: Option<&Str<'_>>, fingerprint: bool, full: bool) -> bool {
    full || !fingerprint || !status.is_some_and(|s| is_resolved(&s.0))
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
    // A resolved notification's runbook counts too (it may be the first
    // to carry one): its annotations are read when they name one.
    let annotations = match annotations {
        Some(o) if !read && o.contains("runbook") => Pairs::scan(o)?,
        other => pairs(other)?,
    };
    Ok(Alert {
        labels: pairs(labels)?,
        annotations,
        status,
        starts_at: starts_at.ok_or(Bad)?,
        ends_at,
        fingerprint,
    })
}

/// An alert as read into what the fold needs (and, when it may be an
/// occurrence's first notification, the whole row).
fn build_alert<'a>(
    alert: Alert<'a>,
    raw: &str,
    base: usize,
    full: bool,
    names: Names<'_>,
) -> Result<Seen<AmAlert<'a>>, String> {
    let starts = parse_instant(&alert.starts_at.0).map_err(|e| format!("startsAt: {e}"))?;
    let status = alert.status.as_ref().map(|s| s.0.as_ref());
    let resolved = if status.is_some_and(is_resolved) || (status.is_none() && names.resolved_group)
    {
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
    let fingerprint: Cow<'a, str> = match alert.fingerprint {
        Some(f) => f.0,
        None => Cow::Owned(label_hash(&alert.labels)),
    };
    let key = (fingerprint_key(&fingerprint), starts);
    let runbook = super::record::RUNBOOK_ANNOTATIONS
        .iter()
        .find_map(|k| alert.annotations.get(k))
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(Box::from);
    if resolved.is_some() && !full {
        let start = raw.as_ptr() as usize - base;
        return Ok(Seen::Light {
            key,
            resolved,
            span: (start, start + raw.len()),
            runbook,
        });
    }
    debug_assert!(needs_pairs(alert.status.as_ref(), true, full));
    // Grafana re-labels a rule's NoData and Error alerts `DatasourceNoData`
    // and `DatasourceError`, the rule's own name in `rulename`.
    let grafana_rule = || {
        alert
            .labels
            .get("alertname")
            .filter(|n| n.starts_with("Datasource"))
            .and_then(|_| alert.labels.get_cow("rulename"))
    };
    let title = ["summary", "title", "message", "description"]
        .iter()
        .find_map(|k| alert.annotations.get_cow(k))
        .or_else(grafana_rule)
        .or_else(|| alert.labels.get_cow("alertname"));
    let labels = (!alert.labels.0.is_empty()).then(|| {
        if let Some(text) = alert.labels.1 {
            return Cow::Borrowed(text);
        }
        let pairs: Vec<(&str, &str)> = alert
            .labels
            .0
            .iter()
            .map(|(k, v)| (k.0.as_ref(), v.0.as_ref()))
            .collect();
        let mut text = String::new();
        super::record::labels_json(&pairs, &mut text);
        Cow::Owned(text)
    });
    Ok(Seen::Full {
        key,
        resolved,
        alert: AmAlert {
            fingerprint,
            title,
            service: alert.labels.get_cow(names.service),
            team: alert.labels.get_cow(names.team),
            severity: alert.labels.get("severity").and_then(normalise_severity),
            labels,
        },
        runbook,
    })
}

/// A payload line as read: its own fields, and each alert read or
/// rejected (with its raw text).
#[derive(Debug, PartialEq)]
struct Line<'a> {
    receiver: Option<Cow<'a, str>>,
    received_at: Option<Cow<'a, str>>,
    truncated: Option<u64>,
    version: Option<Cow<'a, str>>,
    alerts: Vec<Read<AmAlert<'a>>>,
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
    alerts: Option<Vec<Read<AmAlert<'a>>>>,
}

/// One payload object. With `wrapped`, a `payload` (or `body`) member is
/// scanned as a payload into it.
fn scan_payload<'a>(
    s: &mut Scanner<'a>,
    base: usize,
    mut names: Names<'_>,
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
        "status" => {
            names.resolved_group = s.opt_string()?.as_deref().is_some_and(is_resolved);
            // After the alerts it came too late for them: serde_json reads
            // such a payload (its alerts all see the payload's status).
            if names.resolved_group && alerts.is_some() {
                return Err(Bad);
            }
            Ok(())
        }
        "receivedAt" | "received_at" | "timestamp" => once(&mut received_at, s.opt_string()?),
        "truncatedAlerts" => once(&mut truncated, s.opt_u64()?),
        "version" => {
            // Releases before webhook v4 wrote the version as a number.
            let v = match s.peek() {
                Some(b'-' | b'0'..=b'9') => {
                    let m = s.mark();
                    s.skip()?;
                    Some(Cow::Borrowed(s.since(m)?))
                }
                _ => s.opt_string()?,
            };
            once(&mut version, v)
        }
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
type ReadAlert = for<'a> fn(&'a str, usize, bool, Names<'_>) -> Result<Seen<AmAlert<'a>>, String>;

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
    let names = Names {
        resolved_group: payload.status.as_deref().is_some_and(is_resolved),
        ..names
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

fn parse_line<'a>(
    text: &'a str,
    base: usize,
    names: Names<'_>,
    texts: &mut Texts,
) -> Result<Notification<AmAlert<'a>>, String> {
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
fn notification<'a>(
    line: Line<'a>,
    texts: &mut Texts,
) -> Result<Notification<AmAlert<'a>>, String> {
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

/// A line as the folding thread takes it: its alerts are the next
/// `alerts` of its chunk's.
struct Folded {
    receiver: u32,
    received: Option<i64>,
    truncated: u64,
    version: Option<u32>,
    alerts: usize,
}

impl<F> Notification<F> {
    /// The line's alerts appended to its chunk's `all`, each full one
    /// turned into `f`'s value (its row); the rest of the line.
    fn into_chunk<G>(
        self,
        all: &mut Vec<Read<G>>,
        mut f: impl FnMut((u64, i64), Option<i64>, F) -> G,
    ) -> Folded {
        let alerts = self.alerts.len();
        all.extend(self.alerts.into_iter().map(|read| {
            read.map(|seen| match seen {
                Seen::Light {
                    key,
                    resolved,
                    span,
                    runbook,
                } => Seen::Light {
                    key,
                    resolved,
                    span,
                    runbook,
                },
                Seen::Full {
                    key,
                    resolved,
                    alert,
                    runbook,
                } => Seen::Full {
                    key,
                    resolved,
                    alert: f(key, resolved, alert),
                    runbook,
                },
            })
        }));
        Folded {
            receiver: self.receiver,
            received: self.received,
            truncated: self.truncated,
            version: self.version,
            alerts,
        }
    }
}

/// Does a notification to `receiver` page? (`[paging]
/// alertmanager_receivers`; unset: every receiver pages.)
fn pages(paging: Option<&[String]>, receiver: &str) -> bool {
    paging.is_none_or(|list| list.iter().any(|r| r == receiver))
}

/// The latest instant a notification shows of its occurrence.
fn last_seen(starts: i64, resolved: Option<i64>, received: Option<i64>) -> Option<i64> {
    [Some(starts), resolved, received]
        .into_iter()
        .flatten()
        .max()
}

/// Occurrence rows as first seen, built from borrowed text into columns
/// (on a worker for its chunk, on the folding thread for an occurrence
/// whose first notification was a resolution).
struct RowBuilder<'c> {
    columns: super::AlertColumns,
    config: &'c crate::config::Config,
    source: &'static str,
    /// Scratch space for the alert id.
    id: String,
}

impl<'c> RowBuilder<'c> {
    fn new(config: &'c crate::config::Config, source: &'static str) -> Self {
        RowBuilder {
            columns: super::AlertColumns::default(),
            config,
            source,
            id: String::new(),
        }
    }

    /// Add the row of an occurrence as this notification shows it (`pages`:
    /// its receiver pages); returns the row's index. The fields later
    /// notifications change are settled at the end of the file.
    fn push(
        &mut self,
        key: (u64, i64),
        resolved: Option<i64>,
        a: &AmAlert<'_>,
        pages: bool,
        received: Option<i64>,
    ) -> IdxSize {
        self.id.clear();
        self.id.push_str(&a.fingerprint);
        self.id.push('@');
        push_rfc3339_utc(key.1, &mut self.id);
        let row = self.columns.push_ref(
            self.source,
            &AlertRef {
                alert_id: &self.id,
                dedup_key: Some(&a.fingerprint),
                title: a.title.as_deref(),
                service: a.service.as_deref(),
                team: super::team_of(self.config, a.team.as_deref(), a.service.as_deref()),
                severity: a.severity,
                paged: Some(pages),
                triggered_at: key.1,
                resolved_at: resolved,
                auto_resolved: resolved.map(|_| true),
                repeat_count: Some(u32::from(resolved.is_none())),
                labels: a.labels.as_deref(),
                updated_at: last_seen(key.1, resolved, received),
                ..AlertRef::default()
            },
        );
        row as IdxSize
    }
}

/// A frame of occurrence rows with their numbers ([`crate::schema::OCCURRENCE`]).
fn numbered(mut frame: DataFrame, numbers: Vec<IdxSize>) -> Result<DataFrame, String> {
    frame
        .with_column(IdxCa::from_vec(crate::schema::OCCURRENCE.into(), numbers).into_column())
        .map_err(|e| e.to_string())?;
    Ok(frame)
}

/// The fields of each occurrence that later notifications update.
#[derive(Default)]
struct Fold {
    resolved: Vec<Option<i64>>,
    repeat: Vec<u32>,
    paged: Vec<bool>,
    updated: Vec<Option<i64>>,
    /// The first runbook link any notification of the occurrence carried,
    /// as 1 + its index in `links` (0: none).
    runbook: Vec<u32>,
    links: Vec<String>,
    link_index: polars::prelude::PlHashMap<String, u32>,
}

impl Fold {
    /// `link`'s number in `links`, added if new.
    fn link(&mut self, link: Option<&str>) -> u32 {
        let Some(link) = link else { return 0 };
        if let Some(&i) = self.link_index.get(link) {
            return i;
        }
        self.links.push(link.to_string());
        let i = u32::try_from(self.links.len()).unwrap_or(u32::MAX);
        self.link_index.insert(link.to_string(), i);
        i
    }
}

/// Occurrence rows as first seen, handed to the store's spool, each row
/// with its occurrence number ([`crate::schema::OCCURRENCE`]); the fields
/// that later notifications change are settled when the file is read
/// ([`super::LateFields`]). Most rows come built by the workers, one frame a
/// chunk; the rest (occurrences first seen resolved) are built here.
struct Rows<'c> {
    building: RowBuilder<'c>,
    /// The occurrence numbers of the rows being built here.
    numbers: Vec<IdxSize>,
    /// The number of this file's first occurrence.
    first: usize,
    failed: Option<String>,
}

impl Rows<'_> {
    const ROWS: usize = 65_536;

    /// The number of this file's `i`th occurrence.
    fn number(&mut self, i: usize) -> IdxSize {
        IdxSize::try_from(self.first + i).unwrap_or_else(|_| {
            self.failed
                .get_or_insert_with(|| "more occurrences than one ingest can number".into());
            0
        })
    }

    /// Hand on a worker's rows: those at `keep` (the occurrences first
    /// seen in its chunk), numbered `numbers`.
    fn add_chunk(
        &mut self,
        ctx: &mut Ctx<'_>,
        frame: Result<DataFrame, String>,
        keep: Vec<IdxSize>,
        numbers: Vec<IdxSize>,
    ) {
        if keep.is_empty() || self.failed.is_some() {
            return;
        }
        let result = (|| -> Result<(), String> {
            let frame = frame?;
            // `keep` ascends; as long as the frame, it is every row.
            let frame = if keep.len() == frame.height() {
                frame
            } else {
                frame
                    .take(&IdxCa::from_vec(PlSmallStr::EMPTY, keep))
                    .map_err(|e| e.to_string())?
            };
            self.hand_on(ctx, numbered(frame, numbers)?)
        })();
        if let Err(e) = result {
            self.failed.get_or_insert(e);
        }
    }

    /// Build, here, the row of an occurrence numbered `number`, from its
    /// alert read in full (key, resolution, fields).
    fn push(
        &mut self,
        ctx: &mut Ctx<'_>,
        (key, resolved, alert): ((u64, i64), Option<i64>, &AmAlert<'_>),
        pages: bool,
        received: Option<i64>,
        number: IdxSize,
    ) {
        self.building.push(key, resolved, alert, pages, received);
        self.numbers.push(number);
        if self.building.columns.len() >= Self::ROWS {
            self.hand_on_built(ctx);
        }
    }

    /// Hand on the rows built here so far.
    fn hand_on_built(&mut self, ctx: &mut Ctx<'_>) {
        if self.building.columns.is_empty() || self.failed.is_some() {
            return;
        }
        let columns = std::mem::take(&mut self.building.columns);
        let numbers = std::mem::take(&mut self.numbers);
        let result = columns
            .finish()
            .map_err(|e| e.to_string())
            .and_then(|frame| numbered(frame, numbers))
            .and_then(|frame| self.hand_on(ctx, frame));
        if let Err(e) = result {
            self.failed.get_or_insert(e);
        }
    }

    fn hand_on(&mut self, ctx: &mut Ctx<'_>, frame: DataFrame) -> Result<(), String> {
        ctx.report.alerts += frame.height() as u64;
        ctx.sink
            .push_alert_frame(frame)
            .map_err(|e| e.to_string())?;
        if ctx.sink.frame_rows() >= super::FLUSH_ROWS {
            ctx.flush(false);
        }
        Ok(())
    }

    /// Hand on the last rows, and the settled fields of every occurrence.
    fn finish(mut self, ctx: &mut Ctx<'_>, fold: Fold) -> Result<(), IngestError> {
        self.hand_on_built(ctx);
        ctx.flush(false);
        if let Some(message) = self.failed.take() {
            return Err(IngestError::Spool { message });
        }
        let Fold {
            resolved,
            repeat,
            paged,
            updated,
            runbook,
            links,
            ..
        } = fold;
        let runbook: Vec<Option<&str>> = runbook
            .iter()
            .map(|&i| (i > 0).then(|| links[i as usize - 1].as_str()))
            .collect();
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
            {
                let mut b = polars::prelude::StringChunkedBuilder::new(
                    crate::schema::RUNBOOK.into(),
                    runbook.len(),
                );
                for link in runbook {
                    b.append_option(link);
                }
                polars::prelude::IntoSeries::into_series(b.finish())
            },
        ];
        let frame = DataFrame::new(height, columns.into_iter().map(Column::from).collect())
            .map_err(IngestError::Frame)?;
        ctx.sink.late.append(frame).map_err(IngestError::Frame)
    }
}

/// Cut `reader` into chunks of whole lines, cut at the last newline once
/// `chunk` bytes are read (the last chunk may end without one), emitted as
/// `(buffer, bytes used)`. Buffers come from `recycled` when it has one (the
/// folding thread hands them back: filled once, so reading into them again
/// needs no zeroing or fresh pages).
fn read_chunks(
    reader: &mut dyn std::io::Read,
    chunk: usize,
    recycled: &std::sync::mpsc::Receiver<Vec<u8>>,
    emit: &mut dyn FnMut((Vec<u8>, usize)),
) -> std::io::Result<()> {
    let fresh = || recycled.try_recv().unwrap_or_else(|_| vec![0u8; 2 * chunk]);
    let mut buf = fresh();
    // Bytes read into `buf`; of those, how many hold no newline.
    let (mut filled, mut scanned) = (0usize, 0usize);
    loop {
        if filled == buf.len() {
            // A line longer than the buffer.
            buf.resize((2 * buf.len()).max(2 * chunk), 0);
        }
        let n = match reader.read(&mut buf[filled..]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            // The rest, a last line without a newline included.
            if filled > 0 {
                emit((buf, filled));
            }
            return Ok(());
        }
        filled += n;
        if filled < chunk {
            continue;
        }
        match memchr::memrchr(b'\n', &buf[scanned..filled]) {
            Some(i) => {
                let cut = scanned + i + 1;
                let rest = filled - cut;
                let mut next = fresh();
                if next.len() < rest {
                    next.resize(rest.max(2 * chunk), 0);
                }
                next[..rest].copy_from_slice(&buf[cut..filled]);
                emit((std::mem::replace(&mut buf, next), cut));
                (filled, scanned) = (rest, rest);
            }
            None => scanned = filled,
        }
    }
}

/// Is this the text of one whole JSON object (a line of a JSON-lines file)?
/// (A byte order mark was dropped by [`Ctx::open`].)
fn is_json_object_line(line: &[u8]) -> bool {
    let line = line.trim_ascii();
    line.first() == Some(&b'{') && serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok()
}

/// The payloads as lines of JSON. A JSON-lines file (a webhook logger's) is
/// read as it is. Any other layout the reading layer takes (one payload
/// pretty-printed over many lines, several such documents one after
/// another, an array of payloads) is read through it first, each payload
/// put on a line of its own (a JSON text holds no raw line break outside
/// white space, so line breaks become spaces); then the second value says
/// where each line stood in the file. Lines the reading layer finds not to
/// be JSON are rejected here.
#[allow(clippy::type_complexity)]
fn open_payloads(
    ctx: &mut Ctx<'_>,
) -> Result<
    (
        Box<dyn std::io::BufRead + Send>,
        Option<Vec<super::json::RecordAt>>,
    ),
    IngestError,
> {
    // The first two lines that are not blank decide.
    let mut head = ctx.open()?;
    let mut lines = Vec::new();
    let mut line = Vec::new();
    while lines.len() < 2 {
        line.clear();
        let n = std::io::BufRead::read_until(&mut head, b'\n', &mut line).map_err(|e| ctx.io(e))?;
        if n == 0 {
            break;
        }
        if !line.trim_ascii().is_empty() {
            lines.push(std::mem::take(&mut line));
        }
    }
    drop(head);
    if lines.iter().any(|l| is_json_object_line(l)) {
        return Ok((ctx.open()?, None));
    }
    let reader = ctx.open()?;
    let mut text = Vec::new();
    let mut at = Vec::new();
    let result = super::json::read_records(reader, &[], &[], &mut |ev| match ev {
        super::json::JsonEvent::Record(pos, raw) => {
            text.extend(
                raw.iter()
                    .map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b }),
            );
            text.push(b'\n');
            at.push(pos);
        }
        super::json::JsonEvent::Bad(pos, why, raw) => {
            ctx.reject(pos.n, Some(pos.line), why, &String::from_utf8_lossy(raw));
        }
        _ => {}
    });
    match result {
        Ok(n) => ctx.report.records = n,
        Err(stop) if stop.truncated && stop.records > 0 => {
            ctx.report.records = stop.records + 1;
            ctx.reject(stop.records + 1, Some(stop.line), stop.reason(), "");
        }
        Err(stop) => {
            return Err(ctx.malformed(stop.message));
        }
    }
    Ok((Box::new(std::io::Cursor::new(text)), Some(at)))
}

/// Read every line (parsed in parallel, and the rows of firing alerts built
/// there), folding notifications into occurrences here, in file order.
pub fn read(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    // Grafana Alerting's webhook contact point sends the same payload
    // (`version` "1"); there `[paging] grafana_alerting` says whether its
    // alerts page, whatever the receiver.
    let grafana = ctx.format.name() != VENDOR.name;
    let receivers_paging = if grafana {
        (!ctx.config.paging.grafana_alerting).then(Vec::new)
    } else {
        ctx.config.paging.alertmanager_receivers.clone()
    };
    let paging = receivers_paging.as_deref();
    let (service_label, team_label) = (
        ctx.config.ingest.service_label.clone(),
        ctx.config.ingest.team_label.clone(),
    );
    let names = Names {
        service: &service_label,
        team: &team_label,
        resolved_group: false,
    };
    let (config, source) = (ctx.config, ctx.format.source());
    let (mut reader, layout) = open_payloads(ctx)?;
    // Where the n-th line read stands in the file: (record, line).
    let locate = |n: u64| match &layout {
        Some(at) => at
            .get(n.saturating_sub(1) as usize)
            .map_or((n, n), |a| (a.n, a.line)),
        None => (n, n),
    };
    let mut occurrences: polars::prelude::PlHashMap<(u64, i64), usize> =
        polars::prelude::PlHashMap::default();
    // What later notifications may change, for every occurrence (by its
    // ordinal); the rest of each row is handed to the store's spool when
    // first seen, so memory does not grow with the file.
    let mut fold = Fold::default();
    let mut rows = Rows {
        building: RowBuilder::new(config, source),
        numbers: Vec::new(),
        first: ctx.sink.late.len(),
        failed: None,
    };
    let mut receivers: BTreeSet<String> = BTreeSet::new();
    let (mut notifications, mut truncated, mut versions) = (0u64, 0u64, BTreeSet::new());
    // Buffers the folding thread hands back to the reading one: filled
    // once, so reading into them again needs no zeroing or fresh pages.
    let (recycle, recycled) = std::sync::mpsc::sync_channel::<Vec<u8>>(16);
    let mut line_base = 1u64;
    let produced = super::parallel::pipeline(
        move |emit| read_chunks(&mut reader, 1 << 22, &recycled, emit),
        |(buffer, used): (Vec<u8>, usize)| {
            let chunk = &buffer[..used];
            let base = chunk.as_ptr() as usize;
            // Line numbers from 0 here; the folding thread adds the
            // chunk's first.
            let mut results = Vec::new();
            let mut alerts = Vec::new();
            let mut texts = Texts::default();
            let mut built = RowBuilder::new(config, source);
            let mut start = 0usize;
            let mut n = 0u64;
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
                        match parse_line(text, base, names, &mut texts) {
                            Ok(note) => {
                                // Each firing alert's row, built now.
                                let paged = pages(paging, texts.get(note.receiver));
                                let received = note.received;
                                Ok(note.into_chunk(&mut alerts, |key, resolved, alert| {
                                    built.push(key, resolved, &alert, paged, received)
                                }))
                            }
                            Err(reason) => Err((reason, text.to_string())),
                        }
                    }
                    Err(_) => Err((
                        "line is not valid UTF-8".to_string(),
                        String::from_utf8_lossy(raw).trim().to_string(),
                    )),
                };
                results.push((n - 1, parsed));
            }
            let frame = built.columns.finish().map_err(|e| e.to_string());
            (buffer, n, results, alerts, texts, frame)
        },
        |(buffer, lines, results, alerts, texts, frame)| {
            let chunk = buffer.as_slice();
            // The worker's rows to keep (occurrences first seen here), and
            // their numbers.
            let (mut keep, mut numbers) = (Vec::new(), Vec::new());
            let mut alerts = alerts.into_iter();
            for (n, parsed) in results {
                let n = line_base + n;
                let note = match parsed {
                    Ok(note) => note,
                    Err((reason, raw)) => {
                        let (record, line) = locate(n);
                        ctx.reject(record, Some(line), reason, &raw);
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
                let pages = pages(paging, receiver);
                if !receivers.contains(receiver) {
                    receivers.insert(receiver.to_string());
                }
                for alert in alerts.by_ref().take(note.alerts) {
                    let seen_alert = match alert {
                        Ok(a) => a,
                        Err((reason, raw)) => {
                            let (record, line) = locate(n);
                            ctx.reject(record, Some(line), reason, &raw);
                            continue;
                        }
                    };
                    let (key, resolved) = (seen_alert.key(), seen_alert.resolved());
                    let seen = last_seen(key.1, resolved, note.received);
                    if let Some(&row) = occurrences.get(&key) {
                        if resolved.is_some() {
                            fold.resolved[row] = resolved;
                        } else {
                            fold.repeat[row] += 1;
                        }
                        fold.paged[row] |= pages;
                        fold.updated[row] = fold.updated[row].max(seen);
                        if fold.runbook[row] == 0 {
                            fold.runbook[row] = fold.link(seen_alert.runbook());
                        }
                        continue;
                    }
                    let runbook = fold.link(seen_alert.runbook());
                    // First notification of this occurrence.
                    let number = rows.number(fold.resolved.len());
                    match seen_alert {
                        Seen::Full { alert: row, .. } => {
                            keep.push(row);
                            numbers.push(number);
                        }
                        Seen::Light { span, .. } => {
                            // Read it fully now. Checked valid UTF-8 and
                            // parsed on the worker.
                            let raw = std::str::from_utf8(&chunk[span.0..span.1]).unwrap_or("");
                            // Light alerts are resolved ones: by their own
                            // status, or by their payload's.
                            let names = Names {
                                resolved_group: true,
                                ..names
                            };
                            match parse_alert(raw, 0, true, names) {
                                Ok(Seen::Full {
                                    key,
                                    resolved,
                                    alert,
                                    ..
                                }) => rows.push(
                                    ctx,
                                    (key, resolved, &alert),
                                    pages,
                                    note.received,
                                    number,
                                ),
                                // Read in full, an alert is never light.
                                Ok(Seen::Light { .. }) => continue,
                                Err(reason) => {
                                    let (record, line) = locate(n);
                                    ctx.reject(record, Some(line), reason, raw);
                                    continue;
                                }
                            }
                        }
                    }
                    occurrences.insert(key, fold.resolved.len());
                    fold.resolved.push(resolved);
                    fold.repeat.push(u32::from(resolved.is_none()));
                    fold.paged.push(pages);
                    fold.updated.push(seen);
                    fold.runbook.push(runbook);
                }
            }
            rows.add_chunk(ctx, frame, keep, numbers);
            line_base += lines;
            // The reading thread may have stopped; the buffer is then freed.
            let _ = recycle.try_send(buffer);
        },
    );
    produced.map_err(|e| ctx.io(e))?;
    rows.finish(ctx, fold)?;
    ctx.report.records = match &layout {
        Some(at) => at.last().map_or(0, |a| a.n).max(ctx.report.records),
        None => line_base - 1,
    };
    ctx.report.notes.push(format!(
        "{notifications} notification(s) folded into {} occurrence(s)",
        occurrences.len()
    ));
    let describe: Vec<String> = receivers
        .iter()
        .map(|r| {
            let pages = if pages(paging, r) {
                "pages"
            } else {
                "does not page"
            };
            format!("{r} ({pages})")
        })
        .collect();
    if !describe.is_empty() {
        let how = if grafana {
            "; [paging] grafana_alerting says whether they page"
        } else if receivers_paging.is_none() {
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
    if versions
        .iter()
        .any(|v| v != if grafana { "1" } else { "4" })
    {
        ctx.report.notes.push(format!(
            "payload versions seen: {} (version {} expected)",
            versions.into_iter().collect::<Vec<_>>().join(", "),
            if grafana { 1 } else { 4 }
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
        resolved_group: false,
    };

    #[test]
    fn label_hash_is_alertmanagers_own_fingerprint() {
        // Every alert a real Alertmanager 0.25 sent in the shared capture
        // carries its fingerprint: the hash of its labels must equal it,
        // so a payload without fingerprints gets the same ids.
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data/alertmanager/webhook-capture-70s.jsonl");
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("skipping: {} is absent", path.display());
            return;
        };
        let mut n = 0;
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("a payload");
            for a in v["alerts"].as_array().expect("alerts") {
                let labels = serde_json::to_string(&a["labels"]).expect("labels");
                let pairs: Pairs = serde_json::from_str(&labels).expect("label pairs");
                assert_eq!(Some(label_hash(&pairs).as_str()), a["fingerprint"].as_str());
                n += 1;
            }
        }
        // 12 alerts in 12 payloads (counted with python3 over the file).
        assert_eq!(n, 12);
    }

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

    /// A reader that hands over at most 7 bytes a call, and is interrupted
    /// every fifth call.
    struct Trickle<'a>(&'a [u8], usize);

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            self.1 += 1;
            if self.1 % 5 == 0 {
                return Err(std::io::ErrorKind::Interrupted.into());
            }
            let n = out.len().min(self.0.len()).min(7);
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn chunks_hold_whole_lines_and_lose_no_byte() {
        let chunk = 16;
        // Short lines, empty lines, lines longer than a buffer (2 chunks)
        // and than two, and a last line with no newline.
        let long = "x".repeat(5 * chunk);
        let text = format!(
            "a\nbb\n\n{long}\nccc\n{}\nd\n\ne\nlast line",
            "y".repeat(2 * chunk)
        );
        for recycle in [0usize, 1, 3] {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(8);
            // Recycled buffers of odd sizes, smaller than a chunk too.
            for size in [3, 40, 1][..recycle].iter() {
                tx.send(vec![b'#'; *size]).expect("room in the channel");
            }
            let mut chunks: Vec<Vec<u8>> = Vec::new();
            read_chunks(
                &mut Trickle(text.as_bytes(), 0),
                chunk,
                &rx,
                &mut |(buf, used)| chunks.push(buf[..used].to_vec()),
            )
            .expect("an in-memory read");
            assert_eq!(chunks.concat(), text.as_bytes(), "recycle {recycle}");
            let (last, whole) = chunks.split_last().expect("some chunk");
            for c in whole {
                assert!(c.ends_with(b"\n"), "{c:?}");
            }
            assert!(last.ends_with(b"last line"));
        }
        // Nothing in, nothing out.
        let (_tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(1);
        let mut n = 0;
        read_chunks(&mut Trickle(b"", 0), chunk, &rx, &mut |_| n += 1).expect("an empty read");
        assert_eq!(n, 0);
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
