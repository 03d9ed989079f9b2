//! Datadog (formats-more.md §7): monitor alert events and Incident
//! Management incidents, each file one or more JSON documents (pages
//! appended, or a webhook log with one delivery per line). Records are
//! split on one thread by the reading layer and parsed on the others; the
//! events are kept, without their messages, until the cycles are built:
//!
//! - **Events API v1** `{events: [...]}` (or a bare array of events): the
//!   id is `id_str`, never the 64-bit `id` (a JSON number loses its last
//!   digits); `date_happened` in seconds; `alert_type`.
//! - **Events API v2** `{data: [{type: "event", attributes: {…, attributes:
//!   {…}}}], meta, links}`: the two levels of `attributes`, the inner
//!   `timestamp` in milliseconds (the outer ISO one when it is missing),
//!   `evt.id` (what v1 and webhooks call the event id), `monitor_id`,
//!   `monitor_groups`, `monitor.transition` and `alert_cycle_key_txt`.
//!   `meta.warnings` (partial results) are noted.
//! - **Webhook deliveries** as teams log them: the default payload (`body`,
//!   `title`, `date`, `last_updated`, `event_type`, `id`, `org`) and the
//!   common custom one (`alert_transition`, `alert_cycle_key`, `alert_id`
//!   or `monitor_id`, `scopes`, `alert_priority`, `tags` as one string);
//!   numbers as text; retried deliveries (the same event id again) counted
//!   once. Other free-form payloads: the `generic` format with `--mapping`.
//! - **Incident Management** `{data: [{type: "incidents", …}]}`: incidents,
//!   `public_id` as the id, started at `detected` (else `declared`, else
//!   `created`), resolved at `resolved`, service and team from
//!   `fields.services` and `fields.teams`; test incidents left out.
//!
//! **One alert per monitor alert cycle.** Events are put in time order and
//! kept per monitor and group (`monitor_id` and the sorted
//! `monitor_groups`, or the webhook's scope), or per `alert_cycle_key` where
//! the export has it: a Triggered (or Warn, or No Data) opens the cycle,
//! Re-Triggered, Re-Warn, Re-No Data and Renotify count as repeats of the
//! open one, Recovered closes it (by Datadog: `auto_resolved`; monitors have
//! no acknowledgement). A repeat with no open cycle opens one (its trigger
//! was before the export, noted); a recovery with no open cycle is noted and
//! left out. The transition is the event's own field where it has one, else
//! the title's prefix. Titles lose their prefixes — `[P1]`, `[TEST]`,
//! `[Triggered on {host:i-1,env:prod}]` — which are kept as labels
//! (`priority`, `scope`, `transition`); tags become labels split at the
//! first `:` (`service:` and `team:` per `[ingest] service_label` and
//! `team_label`; the bare `monitor` tag dropped). Test notifications are
//! left out (noted). Events that are not monitor alerts (Synthetics API
//! events, user updates, comments) are counted in the notes; a file of
//! nothing else is an error that says so, as is a monitor definition list
//! (`GET /api/v1/monitor`, `/monitor/search`): it says what monitors exist,
//! not when they fired.
//!
//! Severity (`schema::datadog_severity`, a choice): the monitor priority
//! (P1 critical, P2 error, P3 warning, P4 and P5 info), else the event's
//! alert type or status (error, warning, info; a recovery is not a
//! severity). Paging (`[paging] datadog_handles`): a cycle pages when one of
//! its events' messages notifies a handle starting with one of the
//! prefixes (default `@pagerduty-`, `@opsgenie-`, `@oncall-`); the handles
//! found are the responders. An event with no message at all pages (noted):
//! the export does not say whom it notified.

use std::collections::HashMap;

use serde_json::Value;

use super::{AlertRecord, Ctx, Head, IncidentRecord, IngestError};
use crate::schema;

/// This format, for [`super::Format::ALL`].
pub const VENDOR: super::Vendor = super::Vendor::new(
    "datadog",
    "datadog",
    "Datadog monitor alert events (Events API v1 and v2, logged webhook deliveries) and Incident Management incidents; severity (a choice): monitor priority P1 critical, P2 error, P3 warning, P4/P5 info, else the alert type; SEV-0/1 critical, SEV-2 error, SEV-3 warning, SEV-4/5 info",
    sniff,
    read,
);

/// Sure when the head has Datadog's own names; a recorded Datadog API
/// cassette or a monitor definition list is claimed too, to be refused by
/// name.
pub fn sniff(head: &Head) -> u8 {
    if is_cassette(&head.text) {
        return 90;
    }
    if !head.is_json() {
        return 0;
    }
    let k = |key: &str| head.has_key(key);
    let v1 = k("date_happened") && (k("id_str") || k("alert_type"));
    let v2 = k("attributes") && (k("evt") || k("aggregation_key") || k("monitor_groups"));
    let webhook = k("alert_transition")
        || k("alert_cycle_key")
        || (k("event_type") && k("last_updated") && (k("body") || k("org")));
    let incidents =
        k("public_id") && (k("customer_impacted") || k("time_to_resolve") || k("commander_user"));
    let monitors =
        (k("overall_state") && k("query")) || (k("counts") && k("monitors") && k("metadata"));
    if v1 || v2 || webhook || incidents || monitors {
        93
    } else {
        0
    }
}

/// A go-vcr cassette of Datadog API calls (YAML: `interactions:` with the
/// requests and their response bodies), as API clients record them.
fn is_cassette(text: &str) -> bool {
    let t = text.trim_start();
    !t.starts_with(['{', '['])
        && (t.starts_with("interactions:") || t.contains("\ninteractions:"))
        && t.contains("api.datadoghq.")
}

/// Text of a string or number field (empty strings are absent).
fn s(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(x) if !x.trim().is_empty() => Some(x.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The strings of an array field, or of a comma list in a string.
fn list(v: &Value, key: &str) -> Vec<String> {
    match v.get(key) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| match x {
                Value::String(s) if !s.is_empty() => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Some(Value::String(x)) => x
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// An epoch (any unit, as a number or text) or an ISO instant, in µs.
fn instant(v: Option<&Value>) -> Option<Result<i64, String>> {
    let raw = match v? {
        Value::Number(n) => n.to_string(),
        Value::String(x) if !x.trim().is_empty() => x.clone(),
        _ => return None,
    };
    Some(super::time::parse_instant(&raw))
}

/// What a monitor event does to its alert cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Triggered, Warn, No Data: opens a cycle.
    Open,
    /// Re-Triggered, Re-Warn, Re-No Data, Renotify: the open cycle again.
    Repeat,
    /// Recovered: closes the cycle.
    Recover,
}

/// A transition's name (`Triggered`, `Re-Warn`, `alert recovery`, `OK`) as
/// a step, in any casing.
fn step_of(name: &str) -> Option<Step> {
    let n = name.trim().to_ascii_lowercase();
    let n = n.strip_prefix("the monitor ").unwrap_or(&n);
    if n.ends_with("recovery") || n.starts_with("recovered") || n == "ok" || n == "resolved" {
        return Some(Step::Recover);
    }
    if n.starts_with("re-") || n.starts_with("renotify") || n.starts_with("re ") {
        return Some(Step::Repeat);
    }
    match n {
        "triggered" | "alert" | "warn" | "warning" | "no data" | "nodata" | "no_data" => {
            Some(Step::Open)
        }
        _ => None,
    }
}

/// A title's prefixes taken off: `[P1] [Triggered on {host:a,env:b}] Disk
/// full` → `Disk full`, priority `P1`, transition `Triggered`, scope
/// `host:a,env:b`; `[TEST]` marks a test notification. Brackets that are
/// none of these stay in the title (`[Synthetics] …`).
#[derive(Debug, Default, PartialEq, Eq)]
struct Title {
    text: String,
    priority: Option<String>,
    transition: Option<String>,
    scope: Option<String>,
    test: bool,
}

fn strip_title(raw: &str) -> Title {
    let mut out = Title::default();
    let mut rest = raw.trim();
    while let Some(inner) = rest.strip_prefix('[') {
        // The closing bracket outside any `{…}` (a scope may hold `]`).
        let mut depth = 0i32;
        let Some(end) = inner.char_indices().find_map(|(i, c)| {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ']' if depth <= 0 => return Some(i),
                _ => {}
            }
            None
        }) else {
            break;
        };
        let tag = inner[..end].trim();
        let (name, scope) = match tag.split_once(" on ") {
            Some((n, sc)) => (n.trim(), Some(sc.trim())),
            None => (tag, None),
        };
        let upper = name.to_ascii_uppercase();
        if upper.len() == 2 && upper.starts_with('P') && upper[1..].parse::<u8>().is_ok() {
            out.priority = Some(upper);
        } else if upper == "TEST" {
            out.test = true;
        } else if step_of(name).is_some() && name.chars().next().is_some_and(char::is_uppercase) {
            out.transition = Some(name.to_string());
            out.scope = scope
                .map(|sc| sc.trim_start_matches('{').trim_end_matches('}').to_string())
                .filter(|sc| !sc.is_empty());
        } else {
            break;
        }
        rest = inner[end + 1..].trim_start();
    }
    out.text = rest.to_string();
    out
}

/// One monitor event, whichever API it came from.
#[derive(Debug, Default)]
struct Event {
    /// The event id (v1 `id_str`, v2 `evt.id`, webhook `id`), else v2's
    /// own `id`.
    id: String,
    at: i64,
    step: Option<Step>,
    cycle: Option<String>,
    monitor: Option<String>,
    groups: Vec<String>,
    title: Title,
    /// A monitor priority (`P2`, or `2`) or the event's alert type.
    priority: Option<String>,
    alert_type: Option<String>,
    text: Option<String>,
    /// The paging handles its message notifies (`None`: no message), once
    /// [`Event::slim`] has read the message.
    handles: Option<Vec<String>>,
    tags: Vec<String>,
    host: Option<String>,
    service: Option<String>,
    event_type: Option<String>,
    /// A monitor alert at all (a monitor id, the `monitor` tag, a
    /// transition): else it is counted and skipped.
    monitor_alert: bool,
}

impl Event {
    fn finish(mut self) -> Event {
        if self.step.is_none() {
            self.step = self.title.transition.as_deref().and_then(step_of);
        }
        if self.step.is_none()
            && self.monitor_alert
            && matches!(
                self.alert_type
                    .as_deref()
                    .map(str::to_ascii_lowercase)
                    .as_deref(),
                Some("success" | "ok")
            )
        {
            self.step = Some(Step::Recover);
        }
        self.monitor_alert |= self.monitor.is_some()
            || self.title.transition.is_some()
            || self.tags.iter().any(|t| t == "monitor");
        if self.priority.is_none() {
            self.priority = self.title.priority.clone();
        }
        self.tags.sort();
        self.tags.dedup();
        self.groups.sort();
        self.groups.dedup();
        self
    }

    /// Keep what building the cycles needs: the message read for its
    /// paging handles and dropped; a recovery keeps only its identity and
    /// time.
    fn slim(&mut self, prefixes: &[String]) {
        self.handles = notified(self.text.take().as_deref(), prefixes);
        if self.step == Some(Step::Recover) {
            self.tags = Vec::new();
            self.host = None;
            self.service = None;
            self.event_type = None;
            self.handles = Some(Vec::new());
        }
    }

    /// The monitor and group the event belongs to.
    fn dedup_key(&self) -> String {
        let groups = if self.groups.is_empty() {
            self.title.scope.clone().unwrap_or_default()
        } else {
            self.groups.join(",")
        };
        match &self.monitor {
            Some(m) => format!("{m}|{groups}"),
            None => format!("{}|{groups}", self.title.text),
        }
    }
}

/// A v1 event.
fn v1_event(e: &Value) -> Result<Event, String> {
    let id = s(e, "id_str")
        .or_else(|| s(e, "id"))
        .ok_or("an event with no id_str or id")?;
    let at = instant(e.get("date_happened")).ok_or("no date_happened")??;
    let title = strip_title(&s(e, "title").unwrap_or_default());
    Ok(Event {
        id,
        at,
        cycle: s(e, "alert_cycle_key"),
        monitor: s(e, "monitor_id"),
        groups: list(e, "monitor_groups"),
        alert_type: s(e, "alert_type"),
        text: s(e, "text"),
        tags: list(e, "tags"),
        host: s(e, "host"),
        monitor_alert: s(e, "source").as_deref() == Some("Monitor Alert"),
        title,
        ..Event::default()
    }
    .finish())
}

/// A v2 event: `data[]` with its two levels of attributes.
fn v2_event(d: &Value) -> Result<Event, String> {
    let outer = d.get("attributes").ok_or("an event with no attributes")?;
    let inner = outer.get("attributes").unwrap_or(&Value::Null);
    let evt = inner.get("evt").unwrap_or(&Value::Null);
    let monitor = inner.get("monitor").unwrap_or(&Value::Null);
    let id = s(evt, "id")
        .or_else(|| s(d, "id"))
        .ok_or("an event with no evt.id or id")?;
    let at = instant(inner.get("timestamp"))
        .or_else(|| instant(outer.get("timestamp")))
        .ok_or("no timestamp")??;
    let transition = monitor.get("transition").unwrap_or(&Value::Null);
    let step = s(transition, "transition_type")
        .and_then(|t| step_of(&t))
        .or_else(|| s(transition, "destination_state").and_then(|t| step_of(&t)));
    let cycle = s(monitor, "alert_cycle_key_txt")
        .or_else(|| s(monitor, "alert_cycle_key"))
        .or_else(|| {
            inner
                .get("monitor-alert-event")
                .and_then(|m| s(m, "alert_cycle_key"))
        });
    let mut groups = list(inner, "monitor_groups");
    if groups.is_empty() {
        groups = list(monitor, "groups");
    }
    let title = strip_title(
        &s(inner, "title")
            .or_else(|| s(monitor, "name"))
            .unwrap_or_default(),
    );
    Ok(Event {
        id,
        at,
        step,
        cycle,
        monitor: s(inner, "monitor_id").or_else(|| s(monitor, "id")),
        groups,
        priority: s(monitor, "priority").or_else(|| {
            // A monitor pipeline writes its priority here as "2"; the
            // spec's `normal|low` is the event's, not a severity.
            s(inner, "priority").filter(|p| p.parse::<u8>().is_ok())
        }),
        alert_type: s(inner, "status"),
        text: s(outer, "message").or_else(|| s(monitor, "message")),
        tags: list(outer, "tags"),
        host: s(inner, "hostname"),
        service: s(inner, "service").filter(|x| x != "undefined"),
        event_type: s(evt, "type"),
        monitor_alert: s(inner, "sourcecategory").as_deref() == Some("monitor_alert")
            || monitor.is_object(),
        title,
        handles: None,
    }
    .finish())
}

/// A logged webhook delivery (the default payload or the common custom
/// one).
fn webhook_event(w: &Value) -> Result<Event, String> {
    let id = s(w, "id")
        .or_else(|| s(w, "event_id"))
        .ok_or("a delivery with no id")?;
    let at = instant(w.get("date"))
        .or_else(|| instant(w.get("last_updated")))
        .ok_or("no date or last_updated")??;
    let title = strip_title(
        &s(w, "title")
            .or_else(|| s(w, "alert_title"))
            .unwrap_or_default(),
    );
    let mut groups = list(w, "scopes");
    if groups.is_empty() {
        groups = list(w, "alert_scope");
    }
    Ok(Event {
        id,
        at,
        step: s(w, "alert_transition").and_then(|t| step_of(&t)),
        cycle: s(w, "alert_cycle_key"),
        monitor: s(w, "alert_id").or_else(|| s(w, "monitor_id")),
        groups,
        priority: s(w, "alert_priority").or_else(|| s(w, "priority")),
        alert_type: s(w, "alert_type"),
        text: s(w, "body")
            .or_else(|| s(w, "text_only_msg"))
            .or_else(|| s(w, "message")),
        tags: list(w, "tags"),
        host: s(w, "hostname"),
        event_type: s(w, "event_type"),
        monitor_alert: s(w, "alert_transition").is_some(),
        title,
        ..Event::default()
    }
    .finish())
}

/// A monitor definition list is not an alert history.
const MONITORS: &str = "a Datadog monitor definition list (GET /api/v1/monitor or /monitor/search): it says which monitors exist and their state now, not when they fired — export the monitors' alert events instead (Events API v1 `GET /api/v1/events?sources=alert` or v2 `GET /api/v2/events?filter[query]=source:alert`, or logged webhook deliveries)";

/// What one record of the file is.
enum Item {
    Event(Box<Event>),
    /// An incident (`None`: a test incident).
    Incident(Option<IncidentRecord>),
    /// A monitor definition: the file is not an alert history.
    Monitors,
    Bad(String),
}

/// One record (an element of `events` or `data`, or a top-level object)
/// as what it is.
fn item_of(v: &Value, prefixes: &[String]) -> Item {
    let event = |r: Result<Event, String>| match r {
        Ok(mut e) => {
            e.slim(prefixes);
            Item::Event(Box::new(e))
        }
        Err(why) => Item::Bad(why),
    };
    if v.get("overall_state").is_some()
        || (v.get("monitors").is_some() && v.get("counts").is_some())
    {
        return Item::Monitors;
    }
    if v.get("date_happened").is_some() {
        return event(v1_event(v));
    }
    if v.get("attributes").is_some() {
        return match s(v, "type").as_deref() {
            Some("incidents") => match incident(v) {
                Ok(i) => Item::Incident(i),
                Err(why) => Item::Bad(why),
            },
            Some("event") | None => event(v2_event(v)),
            Some(other) => Item::Bad(format!("a JSON:API `{other}`, not an event or an incident")),
        };
    }
    if let Some(errors) = v.get("errors") {
        return Item::Bad(format!("an API error, no data: {errors}"));
    }
    if v.get("title").is_some() || v.get("alert_transition").is_some() {
        return event(webhook_event(v));
    }
    Item::Bad("not a Datadog event, incident or webhook delivery".into())
}

/// One alert cycle being built.
struct Cycle {
    first: Event,
    repeats: u32,
    resolved: Option<i64>,
    last: i64,
    paged: bool,
    no_text: bool,
    handles: Vec<String>,
    worst: Option<&'static str>,
}

/// Read every record: split on one thread, parsed on the others, events
/// gathered in file order; then the cycles.
pub fn read(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let head = super::Head::read(ctx.path, false)?;
    if is_cassette(&head.text) {
        return Err(ctx.malformed(
            "a recorded HTTP cassette (go-vcr YAML), not an export: save the JSON of its response `body` as a file and read that",
        ));
    }
    let prefixes = ctx.config.paging.datadog_handles.clone();
    let started = std::time::Instant::now();
    let reader = ctx.open()?;
    let mut events: Vec<Event> = Vec::new();
    let (mut incidents, mut test_incidents, mut monitors) = (0u64, 0u64, false);
    let mut bad: Vec<(super::json::RecordAt, String, Vec<u8>)> = Vec::new();
    let (result, mut notes) = super::parallel::pipeline(
        |emit| {
            let mut warnings: Vec<String> = Vec::new();
            let mut page = 0u64;
            let r = super::split_json(
                reader,
                &["events", "data"],
                &["meta"],
                super::parallel::BATCH,
                emit,
                &mut |ev| match ev {
                    super::json::JsonEvent::Meta(_, meta) => {
                        if let Some(w) = meta.get("warnings").and_then(Value::as_array) {
                            if !w.is_empty() {
                                warnings.push(format!(
                                    "page {}: Datadog warned the results are partial: {}",
                                    page + 1,
                                    Value::Array(w.clone())
                                ));
                            }
                        }
                    }
                    super::json::JsonEvent::EndOfPage => page += 1,
                    _ => {}
                },
            );
            (r, warnings)
        },
        |batch: super::json::RawBatch| {
            batch
                .iter()
                .map(|(at, why, raw)| {
                    let item = match why {
                        Some(why) => Item::Bad(why.to_string()),
                        None => match serde_json::from_slice::<Value>(raw) {
                            Ok(v) => item_of(&v, &prefixes),
                            Err(e) => Item::Bad(e.to_string()),
                        },
                    };
                    let raw = matches!(item, Item::Bad(_)).then(|| raw.to_vec());
                    (at, item, raw)
                })
                .collect::<Vec<_>>()
        },
        |items| {
            for (at, item, raw) in items {
                match item {
                    Item::Event(e) => events.push(*e),
                    Item::Incident(Some(r)) => {
                        incidents += 1;
                        ctx.push_incident(r);
                    }
                    Item::Incident(None) => test_incidents += 1,
                    Item::Monitors => monitors = true,
                    Item::Bad(why) => bad.push((at, why, raw.unwrap_or_default())),
                }
            }
        },
    );
    if monitors {
        return Err(ctx.malformed(MONITORS));
    }
    for (at, why, raw) in bad {
        ctx.reject_json(at, why, &raw);
    }
    ctx.finish_json(result)?;
    crate::core::timing::since("datadog: parse", started);
    let read = events.len() as u64;
    let other = events.iter().filter(|e| !e.monitor_alert).count() as u64;
    let tests = events
        .iter()
        .filter(|e| e.monitor_alert && e.title.test)
        .count() as u64;
    events.retain(|e| e.monitor_alert && !e.title.test);
    // Retried webhook deliveries, and one event seen in two pages: once.
    events.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    events.dedup_by(|a, b| a.id == b.id);
    crate::core::timing::since("datadog: sort", started);
    let copies = read - other - tests - events.len() as u64;
    let unknown = events.iter().filter(|e| e.step.is_none()).count() as u64;
    let mut open: HashMap<String, usize> = HashMap::new();
    let mut cycles: Vec<Cycle> = Vec::new();
    let (mut orphan_recoveries, mut opened_by_repeat) = (0u64, 0u64);
    for mut e in events {
        let Some(step) = e.step else { continue };
        let key = e.cycle.clone().unwrap_or_else(|| e.dedup_key());
        let found = open.get(&key).copied();
        let notified = e.handles.take();
        let severity = schema::datadog_severity(e.priority.as_deref(), e.alert_type.as_deref());
        match (step, found) {
            (Step::Recover, Some(i)) => {
                cycles[i].resolved = Some(e.at);
                cycles[i].last = e.at;
                open.remove(&key);
            }
            (Step::Recover, None) => orphan_recoveries += 1,
            (_, Some(i)) => {
                let c = &mut cycles[i];
                c.repeats += 1;
                c.last = e.at;
                c.merge(notified, severity);
            }
            (_, None) => {
                if step == Step::Repeat {
                    opened_by_repeat += 1;
                }
                open.insert(key, cycles.len());
                let mut c = Cycle {
                    last: e.at,
                    first: e,
                    repeats: 0,
                    resolved: None,
                    paged: false,
                    no_text: false,
                    handles: Vec::new(),
                    worst: None,
                };
                c.merge(notified, severity);
                cycles.push(c);
            }
        }
    }
    let no_text = cycles.iter().filter(|c| c.no_text).count();
    crate::core::timing::since("datadog: cycles", started);
    for c in cycles {
        let r = c.record(ctx);
        ctx.push_alert_streamed(r);
    }
    for (count, what) in [
        (other, "event(s) that are not monitor alerts (Synthetics, API, user updates, comments): left out"),
        (tests, "test notification(s) ([TEST]): left out"),
        (test_incidents, "test incident(s) (`is_test`): left out"),
        (copies, "event(s) seen twice (a retried webhook delivery, overlapping pages): counted once"),
        (unknown, "monitor event(s) whose transition is not Triggered, Warn, No Data, Recovered or a repeat: left out"),
        (orphan_recoveries, "recovery event(s) whose trigger is not in the file: left out (widen the export's time window)"),
        (opened_by_repeat, "alert cycle(s) whose first event in the file is a repeat (the trigger is earlier): started at that event"),
        (no_text as u64, "alert(s) with no message in the export: counted as pages (the export does not say whom they notified)"),
    ] {
        if count > 0 {
            notes.push(format!("{count} {what}"));
        }
    }
    ctx.report.notes.extend(notes);
    if ctx.report.alerts == 0 && incidents == 0 && other + tests + unknown + orphan_recoveries > 0 {
        return Err(ctx.malformed(format!(
            "{read} event(s), none a monitor alert that opens a cycle ({other} not monitor alerts, {tests} tests, {orphan_recoveries} recoveries only): nothing to read as alerts"
        )));
    }
    Ok(())
}

/// The handles of the message that start with one of the paging prefixes
/// (`None`: no message).
fn notified(text: Option<&str>, prefixes: &[String]) -> Option<Vec<String>> {
    let text = text?;
    Some(
        text.split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .map(|w| w.trim_end_matches(['.', ')', ':']))
            .filter(|w| {
                let lower = w.to_ascii_lowercase();
                prefixes
                    .iter()
                    .any(|p| lower.starts_with(&p.to_ascii_lowercase()) && lower.len() > p.len())
            })
            .map(str::to_string)
            .collect(),
    )
}

impl Cycle {
    fn merge(&mut self, notified: Option<Vec<String>>, severity: Option<&'static str>) {
        match notified {
            Some(h) => {
                self.paged |= !h.is_empty();
                for x in h {
                    if !self.handles.contains(&x) {
                        self.handles.push(x);
                    }
                }
            }
            None => {
                self.no_text = true;
                self.paged = true;
            }
        }
        let rank = |s: Option<&str>| {
            schema::SEVERITIES
                .iter()
                .position(|x| Some(*x) == s)
                .unwrap_or(usize::MAX)
        };
        if rank(severity) < rank(self.worst) {
            self.worst = severity;
        }
    }

    fn record(self, ctx: &Ctx<'_>) -> AlertRecord {
        let e = &self.first;
        let settings = &ctx.config.ingest;
        let (mut service, mut team) = (e.service.clone(), None);
        let mut labels: Vec<(String, String)> = Vec::new();
        for tag in &e.tags {
            let (k, v) = tag.split_once(':').unwrap_or((tag.as_str(), ""));
            if tag == "monitor" {
                continue;
            }
            if k == settings.service_label && !v.is_empty() && service.is_none() {
                service = Some(v.to_string());
            }
            if k == settings.team_label && !v.is_empty() && team.is_none() {
                team = Some(v.to_string());
            }
            if !labels.iter().any(|(x, _)| x == k) {
                labels.push((k.to_string(), v.to_string()));
            }
        }
        for (k, v) in [
            ("monitor_id", e.monitor.clone()),
            ("scope", e.title.scope.clone()),
            ("priority", e.priority.clone()),
            ("transition", e.title.transition.clone()),
            ("event_type", e.event_type.clone()),
            ("instance", e.host.clone()),
        ] {
            if let Some(v) = v {
                labels.retain(|(x, _)| x != k);
                labels.push((k.to_string(), v));
            }
        }
        let title = (!e.title.text.is_empty()).then(|| e.title.text.clone());
        AlertRecord {
            alert_id: e.id.clone(),
            dedup_key: Some(e.dedup_key()),
            title,
            service,
            team,
            severity: self.worst,
            urgency: e.priority.clone(),
            paged: Some(self.paged),
            triggered_at: e.at,
            resolved_at: self.resolved,
            auto_resolved: self.resolved.map(|_| true),
            repeat_count: Some(self.repeats + 1),
            responders: (!self.handles.is_empty()).then(|| self.handles.clone()),
            labels,
            updated_at: Some(self.last),
            ..AlertRecord::default()
        }
    }
}

/// An Incident Management incident (`None`: a test incident).
fn incident(d: &Value) -> Result<Option<IncidentRecord>, String> {
    let a = d
        .get("attributes")
        .ok_or("an incident with no attributes")?;
    if a.get("is_test").and_then(Value::as_bool) == Some(true) {
        return Ok(None);
    }
    let id = s(a, "public_id")
        .or_else(|| s(d, "id"))
        .ok_or("an incident with no public_id or id")?;
    let started = instant(a.get("detected"))
        .or_else(|| instant(a.get("declared")))
        .or_else(|| instant(a.get("created")))
        .ok_or("an incident with no detected, declared or created time")??;
    let resolved = instant(a.get("resolved")).transpose()?;
    let fields = a.get("fields").unwrap_or(&Value::Null);
    let field = |name: &str| {
        let f = fields.get(name)?.get("value")?;
        match f {
            Value::Array(v) => v.iter().find_map(|x| x.as_str().map(str::to_string)),
            Value::String(x) if !x.is_empty() => Some(x.clone()),
            _ => None,
        }
    };
    Ok(Some(IncidentRecord {
        incident_id: id,
        title: s(a, "title"),
        severity: s(a, "severity")
            .or_else(|| field("severity"))
            .and_then(|sev| schema::datadog_incident_severity(&sev)),
        service: field("services"),
        team: field("teams"),
        status: s(a, "state").or_else(|| field("state")),
        started_at: started,
        resolved_at: resolved,
        updated_at: instant(a.get("modified")).and_then(Result::ok),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_lose_their_prefixes() {
        let t = strip_title("[P2] [Triggered on {host:i-0a12b3c4}] Node filesystem used > 90%");
        assert_eq!(t.text, "Node filesystem used > 90%");
        assert_eq!(t.priority.as_deref(), Some("P2"));
        assert_eq!(t.transition.as_deref(), Some("Triggered"));
        assert_eq!(t.scope.as_deref(), Some("host:i-0a12b3c4"));
        // A scope holding `:` and `,`; a test notification.
        let t = strip_title(
            "[Triggered] [TEST] [Re-Warn on {database_id:keephq-sandbox:keep,env:prod}] DB slow",
        );
        assert_eq!(t.text, "DB slow");
        assert!(t.test);
        let t = strip_title("[Re-Warn on {database_id:keephq-sandbox:keep,env:prod}] DB slow");
        assert_eq!(
            t.scope.as_deref(),
            Some("database_id:keephq-sandbox:keep,env:prod")
        );
        assert_eq!(t.transition.as_deref(), Some("Re-Warn"));
        // Brackets that are none of these stay.
        let t = strip_title("[Synthetics] EVMGT pipeline test");
        assert_eq!(t.text, "[Synthetics] EVMGT pipeline test");
        assert_eq!(t.transition, None);
        assert_eq!(
            strip_title("[Recovered] Disk full").transition.as_deref(),
            Some("Recovered")
        );
    }

    #[test]
    fn transitions_are_steps() {
        for (name, step) in [
            ("Triggered", Step::Open),
            ("Warn", Step::Open),
            ("No Data", Step::Open),
            ("Re-Triggered", Step::Repeat),
            ("Re-No Data", Step::Repeat),
            ("Renotify", Step::Repeat),
            ("Recovered", Step::Recover),
            ("alert recovery", Step::Recover),
            ("OK", Step::Recover),
            ("alert", Step::Open),
        ] {
            assert_eq!(step_of(name), Some(step), "{name}");
        }
        assert_eq!(step_of("user_update"), None);
    }

    #[test]
    fn paging_handles_in_the_message() {
        let p = vec!["@pagerduty-".to_string(), "@oncall-".to_string()];
        assert_eq!(
            notified(
                Some("%%%\n@pagerduty-Storage @webhook-alertlog\nDisk used\n%%%"),
                &p
            ),
            Some(vec!["@pagerduty-Storage".to_string()])
        );
        assert_eq!(notified(Some("@slack-ops only"), &p), Some(vec![]));
        assert_eq!(notified(None, &p), None);
        // A bare prefix names no one.
        assert_eq!(notified(Some("see @pagerduty-"), &p), Some(vec![]));
    }
}
