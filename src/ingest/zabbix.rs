//! Zabbix `event.get` (history) and `problem.get` (open and recently
//! resolved problems) JSON-RPC results (formats-more.md §10):
//! `{"jsonrpc": "2.0", "result": [...], "id": 1}`, pages appended or bare
//! arrays; every number is text (`"clock": "1722418242"`). A JSON-RPC
//! `error` object is a reject that quotes it. Documents of Elastic's Zabbix
//! integration (`{"events": [{"message": "<a problem.get row as JSON
//! text>"}]}`) are read too.
//!
//! One alert per problem event (`value` 1, or no `value`: problem.get) of
//! a trigger (`source` 0; internal and service events are skipped and
//! counted): `alert_id` = `eventid`, `dedup_key` = `objectid` (the
//! trigger), title = `name`, triggered = `clock` (+ `ns`), service and team
//! from its tags (`[ingest] service_label`, `team_label`), the first host
//! as the `instance` label. Severity (`schema::zabbix_severity`, a choice):
//! 5 Disaster → critical, 4 High → error, 3 Average and 2 Warning →
//! warning, 1 Information and 0 Not classified → info.
//!
//! Resolution: `r_eventid` other than 0 resolves it, at `r_clock`
//! (problem.get) or the recovery event's `clock` (event.get, `value` 0, in
//! the same file; a resolution whose recovery event is not in the file is
//! counted in the notes and left open); an acknowledgement with action bit
//! 1 (close) resolves it too. By a person when `userid` is not 0 (or a
//! close action); else by Zabbix itself (its recovery expression, or a
//! correlation rule): `auto_resolved`. Acknowledged: the earliest
//! acknowledgement with action bit 2, its user (`username`, `alias`
//! before 5.4, else `userid`); notes: acknowledgements with a message
//! (bit 4). Records are split on one thread and parsed on the others; a
//! problem is written once its resolution is known, so only problems whose
//! recovery event is still to come are held. Paging: the event's `alerts` (`select_alerts`) that are
//! messages (`alerttype` 0) sent (`status` 1) — their `sendto` are the
//! responders, escalations the last `esc_step` − 1; without `alerts`, a
//! problem pages from `[paging] zabbix_min_severity` (4, High).

use serde::Deserialize;

use super::json::opt_num;
use super::{AlertRecord, Ctx, Head, IngestError};
use crate::config::Config;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Tag {
    tag: Option<String>,
    value: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Host {
    host: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Ack {
    #[serde(deserialize_with = "opt_num")]
    clock: Option<i64>,
    #[serde(deserialize_with = "opt_num")]
    action: Option<u32>,
    #[serde(deserialize_with = "super::json::opt_text")]
    userid: Option<String>,
    username: Option<String>,
    alias: Option<String>,
    message: Option<String>,
}

impl Ack {
    fn who(&self) -> Option<String> {
        self.username
            .clone()
            .or_else(|| self.alias.clone())
            .or_else(|| self.userid.clone())
            .filter(|u| !u.is_empty() && u != "0")
    }
    fn has(&self, bit: u32) -> bool {
        self.action.is_some_and(|a| a & bit != 0)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Alert {
    #[serde(deserialize_with = "opt_num")]
    alerttype: Option<u32>,
    #[serde(deserialize_with = "opt_num")]
    status: Option<u32>,
    #[serde(deserialize_with = "opt_num")]
    esc_step: Option<u32>,
    sendto: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Event {
    #[serde(deserialize_with = "super::json::opt_text")]
    eventid: Option<String>,
    #[serde(deserialize_with = "opt_num")]
    source: Option<u32>,
    #[serde(deserialize_with = "super::json::opt_text")]
    objectid: Option<String>,
    #[serde(deserialize_with = "opt_num")]
    clock: Option<i64>,
    #[serde(deserialize_with = "opt_num")]
    ns: Option<i64>,
    #[serde(deserialize_with = "opt_num")]
    value: Option<u32>,
    #[serde(deserialize_with = "super::json::opt_text")]
    r_eventid: Option<String>,
    #[serde(deserialize_with = "opt_num")]
    r_clock: Option<i64>,
    #[serde(deserialize_with = "super::json::opt_text")]
    userid: Option<String>,
    #[serde(deserialize_with = "super::json::opt_text")]
    correlationid: Option<String>,
    #[serde(deserialize_with = "super::json::opt_text")]
    cause_eventid: Option<String>,
    name: Option<String>,
    #[serde(deserialize_with = "opt_num")]
    severity: Option<u8>,
    opdata: Option<String>,
    hosts: Vec<Host>,
    tags: Vec<Tag>,
    acknowledges: Vec<Ack>,
    alerts: Option<Vec<Alert>>,
    /// A JSON-RPC error object (the request failed).
    error: Option<serde_json::Value>,
}

/// This format, for [`super::Format::ALL`].
pub const VENDOR: super::Vendor = super::Vendor::new(
    "zabbix",
    "zabbix",
    "Zabbix event.get / problem.get JSON-RPC results; severity (a choice): 5 critical, 4 error, 3 and 2 warning, 1 and 0 info",
    sniff,
    read,
);

/// Sure when the head has `eventid` with `objectid` or `r_eventid`, and a
/// JSON-RPC envelope or Zabbix's `clock`; surer than Opsgenie's guess
/// (`alias` and `message`, which Zabbix 5.2's acknowledgements carry too).
pub fn sniff(head: &Head) -> u8 {
    if head.is_json()
        && head.has_key("eventid")
        && (head.has_key("objectid") || head.has_key("r_eventid"))
        && (head.has_key("jsonrpc") || head.has_key("clock"))
    {
        95
    } else if head.is_json()
        && head.has_key("message")
        && head.text.contains(r#"\"eventid\""#)
        && head.text.contains(r#"\"objectid\""#)
    {
        // Rows as Elastic's Zabbix integration ships them: each one JSON
        // text in a document's `message`.
        90
    } else {
        0
    }
}

/// Epoch seconds (and nanoseconds) as µs, in the range times are kept in.
fn micros(seconds: i64, ns: Option<i64>) -> Result<i64, String> {
    let v = seconds
        .checked_mul(1_000_000)
        .and_then(|s| s.checked_add(ns.unwrap_or(0) / 1000))
        .unwrap_or(i64::MAX);
    super::time::in_range(&seconds.to_string(), v)
}

/// A non-zero id (`"0"` is Zabbix's none).
fn id(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty() && *s != "0")
}

/// One event, or one held as JSON text in a document's `message` (Elastic's
/// Zabbix integration: `{"events": [{"message": "{\"eventid\": …}"}]}`).
fn parse(raw: &[u8]) -> Result<Event, String> {
    #[derive(Deserialize)]
    struct Wrapped {
        message: String,
    }
    let e = super::json::from_record::<Event>(raw).map_err(|e| e.to_string())?;
    if e.eventid.is_some() || e.error.is_some() {
        return Ok(e);
    }
    match serde_json::from_slice::<Wrapped>(raw) {
        Ok(w) => serde_json::from_str::<Event>(&w.message)
            .map_err(|e| format!("its `message` is not a Zabbix event: {e}")),
        Err(_) => Ok(e),
    }
}

/// Read every event: records split on one thread, parsed on the others.
/// A problem is written as soon as its resolution is known (none, its
/// `r_clock`, or its recovery event already read); one whose recovery
/// event is still to come waits for it, and what is still waiting at the
/// end of the file is written open.
pub fn read(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let reader = ctx.open()?;
    let config = ctx.config;
    let mut recoveries: Recoveries = Recoveries::default();
    // Problems waiting for their recovery event, by its id.
    let mut waiting: polars::prelude::PlHashMap<Key, (u64, Prepared)> = Default::default();
    let mut skipped = 0u64;
    let mut unmatched = 0u64;
    let result = super::parallel::pipeline(
        |emit| {
            super::split_json(
                reader,
                &["result", "events"],
                &[],
                super::parallel::BATCH,
                emit,
                &mut |_| {},
            )
        },
        |batch: super::json::RawBatch| {
            batch
                .iter()
                .map(|(at, why, raw)| {
                    let bad = |why: String| Item::Bad(why, raw.to_vec());
                    let item = match why {
                        Some(why) => bad(why.to_string()),
                        None => match parse(raw) {
                            Err(e) => bad(format!("not a Zabbix event: {e}")),
                            Ok(e) => item(config, e, raw),
                        },
                    };
                    (at, item)
                })
                .collect::<Vec<_>>()
        },
        |items| {
            for (at, item) in items {
                match item {
                    Item::Bad(why, raw) => ctx.reject_json(at, why, &raw),
                    Item::Skipped => skipped += 1,
                    Item::Nothing => {}
                    Item::Recovery(key, t) => {
                        let problem = waiting.remove(&key);
                        recoveries.insert(key, t);
                        if let Some((n, p)) = problem {
                            settle(ctx, n, p, Some(t), &mut unmatched);
                        }
                    }
                    Item::Problem(Err(why)) => ctx.reject(at.n, None, why, ""),
                    Item::Problem(Ok(p)) => match &p.pending {
                        Some(key) => match recoveries.get(key).copied() {
                            Some(t) => settle(ctx, at.n, *p, Some(t), &mut unmatched),
                            None => {
                                let key = key.clone();
                                waiting.insert(key, (at.n, *p));
                            }
                        },
                        None => settle(ctx, at.n, *p, None, &mut unmatched),
                    },
                }
            }
        },
    );
    ctx.finish_json(result)?;
    let mut left: Vec<(u64, Prepared)> = waiting.into_values().collect();
    left.sort_by_key(|(n, _)| *n);
    for (n, p) in left {
        // Its recovery event is not in the file: left open.
        settle(ctx, n, p, None, &mut unmatched);
    }
    if skipped > 0 {
        ctx.report.notes.push(format!(
            "{skipped} internal or service event(s) skipped (source other than 0: not a trigger's problem)"
        ));
    }
    if unmatched > 0 {
        ctx.report.notes.push(format!(
            "{unmatched} problem(s) resolved by a recovery event that is not in the file: left open (export the recovery events too, or use problem.get's r_clock)"
        ));
    }
    Ok(())
}

/// A recovery event's id: Zabbix's are numbers (as text), kept as one;
/// any other text as it is.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    Num(u64),
    Text(Box<str>),
}

impl Key {
    fn of(id: &str) -> Key {
        match id.parse::<u64>() {
            // Only the canonical spelling: "007" and "7" are two ids.
            Ok(n) if !id.starts_with('0') && !id.starts_with('+') => Key::Num(n),
            _ => Key::Text(id.into()),
        }
    }
}

/// Recovery events read so far: their time by their event id.
type Recoveries = polars::prelude::PlHashMap<Key, i64>;

/// One record as the worker threads leave it for the reading thread.
enum Item {
    /// A record that is not a Zabbix event, or a JSON-RPC error: the
    /// reason and the text (for the rejects file).
    Bad(String, Vec<u8>),
    /// An internal or service event.
    Skipped,
    /// A recovery event without an id or a usable time: nothing to do.
    Nothing,
    /// A recovery event: its id and time.
    Recovery(Key, i64),
    /// A problem, mapped as far as its own record allows.
    Problem(Result<Box<Prepared>, String>),
}

/// What a worker makes of one event.
fn item(config: &Config, e: Event, raw: &[u8]) -> Item {
    if let Some(why) = e.error.as_ref().map(|v| v.to_string()) {
        return Item::Bad(
            format!("a JSON-RPC error, not a result: {why}"),
            raw.to_vec(),
        );
    }
    if e.source.is_some_and(|s| s != 0) {
        return Item::Skipped;
    }
    if e.value == Some(0) {
        return match (id(&e.eventid), e.clock.map(|c| micros(c, e.ns))) {
            (Some(id), Some(Ok(t))) => Item::Recovery(Key::of(id), t),
            _ => Item::Nothing,
        };
    }
    Item::Problem(prepare(config, e).map(Box::new))
}

/// A problem mapped from its own record; what a recovery event elsewhere
/// in the file settles is left to [`settle`].
struct Prepared {
    record: AlertRecord,
    /// The recovery event that resolves it (`r_eventid` without
    /// `r_clock`).
    pending: Option<Key>,
    /// Who closed it, if a person did (`userid`), for that resolution.
    by_user: Option<String>,
    /// Resolved by a recovery whose time is unusable: left open, counted.
    unmatched: bool,
}

/// Push a prepared problem, with its recovery's time when it waited for
/// one (`None`: its recovery event is not in the file).
fn settle(ctx: &mut Ctx<'_>, n: u64, p: Prepared, recovered: Option<i64>, unmatched: &mut u64) {
    let Prepared {
        mut record,
        pending,
        by_user,
        unmatched: lost,
    } = p;
    if pending.is_some() {
        match recovered {
            Some(t) => {
                if t < record.triggered_at {
                    ctx.reject(n, None, "resolved before it started".to_string(), "");
                    return;
                }
                record.resolved_at = Some(t);
                record.auto_resolved = Some(by_user.is_none());
                record.resolved_by = by_user;
                record.updated_at = record.updated_at.max(Some(t));
            }
            None => *unmatched += 1,
        }
    } else if lost {
        *unmatched += 1;
    }
    ctx.push_alert_streamed(record);
}

fn prepare(config: &Config, mut e: Event) -> Result<Prepared, String> {
    let alert_id = id(&e.eventid).ok_or("no eventid")?.to_string();
    let clock = e.clock.filter(|c| *c > 0).ok_or("no clock")?;
    let triggered = micros(clock, e.ns).map_err(|why| format!("clock: {why}"))?;
    // Later clocks of the event (acknowledgements, r_clock): out of range
    // ones are left out rather than losing the problem.
    let us = |s: i64| micros(s, None).ok();
    let mut acks: Vec<&Ack> = e.acknowledges.iter().collect();
    acks.sort_by_key(|a| a.clock.unwrap_or(i64::MAX));
    let ack = acks.iter().find(|a| a.has(2));
    let close = acks.iter().find(|a| a.has(1));
    let (mut resolved_at, mut resolved_by, mut auto_resolved) = (None, None, None);
    let (mut pending, mut by_user, mut lost) = (None, None, false);
    if let Some(r) = id(&e.r_eventid) {
        let closer = id(&e.userid).map(|u| {
            // The closing user's name, from an acknowledgement of theirs.
            acks.iter()
                .find(|a| a.userid.as_deref() == Some(u))
                .and_then(|a| a.who())
                .unwrap_or_else(|| u.to_string())
        });
        match e.r_clock.filter(|c| *c > 0) {
            Some(c) => {
                resolved_at = us(c);
                if resolved_at.is_none() {
                    lost = true;
                } else {
                    auto_resolved = Some(closer.is_none());
                    resolved_by = closer;
                }
            }
            None => {
                pending = Some(Key::of(r));
                by_user = closer;
            }
        }
    } else if let Some(c) = close.and_then(|c| c.clock.map(|t| (c, t))) {
        resolved_at = us(c.1);
        resolved_by = c.0.who();
        auto_resolved = Some(false);
    }
    if resolved_at.is_some_and(|r| r < triggered) {
        return Err("resolved before it started".into());
    }
    let acknowledged_at = ack.and_then(|a| a.clock).and_then(us);
    let acknowledged_by = ack.and_then(|a| a.who());
    let notes = acks
        .iter()
        .filter(|a| a.has(4) || a.message.as_deref().is_some_and(|m| !m.is_empty()))
        .count() as u32;
    let updated = [Some(triggered), resolved_at]
        .into_iter()
        .flatten()
        .chain(acks.iter().filter_map(|a| a.clock.and_then(us)))
        .max();
    let settings = &config.ingest;
    let tag = |key: &str| {
        e.tags
            .iter()
            .find(|t| t.tag.as_deref() == Some(key))
            .and_then(|t| t.value.clone())
    };
    let service = tag(&settings.service_label);
    let team = tag(&settings.team_label);
    let severity = e.severity.and_then(crate::schema::zabbix_severity);
    let (paged, responders, escalations) = match &e.alerts {
        Some(alerts) => {
            let sent: Vec<&Alert> = alerts
                .iter()
                .filter(|a| a.alerttype == Some(0) && a.status == Some(1))
                .collect();
            let mut to: Vec<String> = Vec::new();
            for a in &sent {
                if let Some(s) = a.sendto.as_deref().filter(|s| !s.is_empty()) {
                    if !to.iter().any(|t| t == s) {
                        to.push(s.to_string());
                    }
                }
            }
            let step = sent.iter().filter_map(|a| a.esc_step).max();
            (
                !sent.is_empty(),
                Some(to),
                step.map(|s| s.saturating_sub(1)),
            )
        }
        None => (
            e.severity.unwrap_or(0) >= config.paging.zabbix_min_severity,
            None,
            None,
        ),
    };
    let mut labels: Vec<(String, String)> = std::mem::take(&mut e.tags)
        .into_iter()
        .filter_map(|t| Some((t.tag?, t.value.unwrap_or_default())))
        .collect();
    if let Some(h) = e.hosts.first_mut() {
        if let Some(host) = h.host.take().or_else(|| h.name.take()) {
            labels.push(("instance".into(), host));
        }
    }
    if let Some(o) = e.opdata.take().filter(|o| !o.is_empty()) {
        labels.push(("opdata".into(), o));
    }
    if let Some(c) = id(&e.cause_eventid) {
        labels.push(("cause_eventid".into(), c.to_string()));
    }
    if id(&e.correlationid).is_some() {
        labels.push(("closed_by".into(), "correlation".into()));
    }
    Ok(Prepared {
        record: AlertRecord {
            alert_id,
            dedup_key: e.objectid,
            title: e.name,
            service,
            team,
            severity,
            urgency: None,
            paged: Some(paged),
            triggered_at: triggered,
            acknowledged_at,
            resolved_at,
            acknowledged_by,
            resolved_by,
            auto_resolved,
            escalations,
            notes: Some(notes),
            repeat_count: None,
            responders: responders.filter(|r| !r.is_empty()),
            labels,
            runbook: None,
            updated_at: updated,
        },
        pending,
        by_user,
        unmatched: lost,
    })
}

#[cfg(test)]
mod tests {
    use super::Key;

    /// A recovery's id as a number only in its canonical spelling: `7`
    /// and `007` are two ids, as the text says; text ids stay text.
    #[test]
    fn recovery_ids_keep_their_spelling() {
        assert!(Key::of("1000003") == Key::Num(1_000_003));
        assert!(Key::of("007") != Key::of("7"));
        assert!(Key::of("007") == Key::Text("007".into()));
        assert!(Key::of("+7") != Key::of("7"));
        assert!(Key::of("18446744073709551616") == Key::Text("18446744073709551616".into()));
        assert!(Key::of("ev-9") == Key::Text("ev-9".into()));
    }
}
