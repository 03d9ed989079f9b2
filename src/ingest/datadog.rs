//! Datadog (formats-more.md §7): monitor alert events and Incident
//! Management incidents, each file one or more JSON documents (pages
//! appended, or a webhook log with one delivery per line). Records are
//! split on one thread by the reading layer and parsed on the others, and
//! folded into cycles here in file order, holding only the open cycles —
//! while each cycle key's events come in time order (a webhook log). The
//! first event that goes back in time within its key (an API export's
//! newest-first pages) throws that pass away and the file is read again
//! the exact way: every event kept, without its message, and put in time
//! order before the cycles are built. Both ways give the same alerts
//! (tested on a demo log and its lines reversed):
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

use std::borrow::Cow;

use serde_json::Value;

use super::{scan, Ctx, Head, IncidentRecord, IngestError};
use crate::config::Config;
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

/// Text of a string or number field, trimmed (empty strings are absent).
fn s<'v>(v: &'v Value, key: &str) -> Option<Cow<'v, str>> {
    match v.get(key)? {
        Value::String(x) => Some(Cow::Borrowed(trim(x))).filter(|t| !t.is_empty()),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        _ => None,
    }
}

/// The strings of an array field, or of a comma list in a string.
fn list<'v>(v: &'v Value, key: &str) -> Vec<Cow<'v, str>> {
    match v.get(key) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| match x {
                Value::String(s) if !s.is_empty() => Some(Cow::Borrowed(s.as_str())),
                Value::Number(n) => Some(Cow::Owned(n.to_string())),
                _ => None,
            })
            .collect(),
        Some(Value::String(x)) => split_list(x),
        _ => Vec::new(),
    }
}

/// A comma list's items, trimmed, empty ones left out.
fn split_list(x: &str) -> Vec<Cow<'_, str>> {
    x.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(Cow::Borrowed)
        .collect()
}

/// An epoch (any unit, as a number or text) or an ISO instant, in µs.
fn instant(v: Option<&Value>) -> Option<Result<i64, String>> {
    match v? {
        Value::Number(n) => Some(super::time::parse_instant(&n.to_string())),
        Value::String(x) if !x.trim().is_empty() => Some(super::time::parse_instant(x)),
        _ => None,
    }
}

/// One top-level value of a flat record (a v1 event, a webhook delivery),
/// as [`Flat`] reads it without building a [`Value`]: the text of the
/// record, checked, and read further only when asked for (so a field no
/// one asks for costs nothing more, and a record's fields need no
/// dropping). `Absent` is a key not there, `Null` one there with `null`.
#[derive(Debug, Default, Clone, Copy)]
enum Field<'a> {
    #[default]
    Absent,
    Null,
    /// A string's text between its quotes; `true` when it holds an escape
    /// (decoded when read).
    Str(&'a str, bool),
    /// A plain unsigned integer as written (as `serde_json` writes it: no
    /// sign, no leading zero).
    Num(&'a str),
    /// An array's text, its items read as fields again when asked for.
    List(&'a str),
    /// An object or a boolean: no text.
    Other,
}

/// `str::trim`, without its search when both ends are printable ASCII (as
/// nearly every field is).
fn trim(x: &str) -> &str {
    let solid = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_graphic());
    if solid(x.as_bytes().first()) && solid(x.as_bytes().last()) {
        x
    } else {
        x.trim()
    }
}

impl<'a> Field<'a> {
    fn is_present(&self) -> bool {
        !matches!(self, Field::Absent)
    }

    /// A string's text with its escapes decoded.
    fn decoded(raw: &'a str, escaped: bool) -> Cow<'a, str> {
        if escaped {
            // (Its escapes were checked when it was read: this cannot
            // fail, and would keep the text as written if it did.)
            scan::unescaped(raw).unwrap_or(Cow::Borrowed(raw))
        } else {
            Cow::Borrowed(raw)
        }
    }

    /// Text of a string or number, trimmed (empty strings are absent).
    fn text(&self) -> Option<Cow<'a, str>> {
        match *self {
            Field::Str(raw, escaped) => match Field::decoded(raw, escaped) {
                Cow::Borrowed(x) => Some(Cow::Borrowed(trim(x))),
                Cow::Owned(x) => Some(Cow::Owned(trim(&x).to_string())),
            }
            .filter(|t| !t.is_empty()),
            Field::Num(n) => Some(Cow::Borrowed(n)),
            _ => None,
        }
    }

    /// The strings of an array (its numbers as text), or of a comma list
    /// in a string.
    fn strings(&self) -> Vec<Cow<'a, str>> {
        match *self {
            Field::List(raw) => {
                let mut out = Vec::new();
                // (Read once already: this cannot fail.)
                let _ = scan::Scanner::new(raw).array(|s| {
                    match scan_field(s)? {
                        Field::Str(x, escaped) => {
                            let x = Field::decoded(x, escaped);
                            if !x.is_empty() {
                                out.push(x);
                            }
                        }
                        Field::Num(n) => out.push(Cow::Borrowed(n)),
                        _ => {}
                    }
                    Ok(())
                });
                out
            }
            Field::Str(raw, escaped) => match Field::decoded(raw, escaped) {
                Cow::Borrowed(x) => split_list(x),
                Cow::Owned(x) => split_list(&x)
                    .into_iter()
                    .map(|t| Cow::Owned(t.into_owned()))
                    .collect(),
            },
            _ => Vec::new(),
        }
    }

    /// An epoch (any unit, as a number or text) or an ISO instant, in µs.
    fn instant(&self) -> Option<Result<i64, String>> {
        match *self {
            Field::Num(n) => Some(super::time::parse_instant(n)),
            Field::Str(raw, escaped) => {
                let x = Field::decoded(raw, escaped);
                (!x.trim().is_empty()).then(|| super::time::parse_instant(&x))
            }
            _ => None,
        }
    }
}

/// A flat record's fields (a v1 event, a webhook delivery; the keys a
/// nested record has only as markers), parsed without a [`Value`]: most
/// records of a large file are webhook deliveries, and a tree of each
/// was most of the reading time. Anything this cannot read (a repeated
/// key) goes the [`Value`] way.
#[derive(Debug, Default)]
struct Flat<'a> {
    id: Field<'a>,
    id_str: Field<'a>,
    event_id: Field<'a>,
    title: Field<'a>,
    alert_title: Field<'a>,
    body: Field<'a>,
    text_only_msg: Field<'a>,
    message: Field<'a>,
    text: Field<'a>,
    date: Field<'a>,
    last_updated: Field<'a>,
    date_happened: Field<'a>,
    alert_transition: Field<'a>,
    alert_cycle_key: Field<'a>,
    alert_id: Field<'a>,
    monitor_id: Field<'a>,
    scopes: Field<'a>,
    alert_scope: Field<'a>,
    monitor_groups: Field<'a>,
    alert_priority: Field<'a>,
    priority: Field<'a>,
    alert_type: Field<'a>,
    tags: Field<'a>,
    hostname: Field<'a>,
    host: Field<'a>,
    event_type: Field<'a>,
    source: Field<'a>,
    // Markers of the records read the `Value` way.
    attributes: Field<'a>,
    overall_state: Field<'a>,
    monitors: Field<'a>,
    counts: Field<'a>,
    errors: Field<'a>,
}

/// A top-level key that v1 events and webhook deliveries are read by
/// (named, so a flat record's field is found without comparing text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum K {
    Id,
    IdStr,
    EventId,
    Title,
    AlertTitle,
    Body,
    TextOnlyMsg,
    Message,
    Text,
    Date,
    LastUpdated,
    DateHappened,
    AlertTransition,
    AlertCycleKey,
    AlertId,
    MonitorId,
    Scopes,
    AlertScope,
    MonitorGroups,
    AlertPriority,
    Priority,
    AlertType,
    Tags,
    Hostname,
    Host,
    EventType,
    Source,
}

impl K {
    /// The key as the JSON spells it.
    fn name(self) -> &'static str {
        match self {
            K::Id => "id",
            K::IdStr => "id_str",
            K::EventId => "event_id",
            K::Title => "title",
            K::AlertTitle => "alert_title",
            K::Body => "body",
            K::TextOnlyMsg => "text_only_msg",
            K::Message => "message",
            K::Text => "text",
            K::Date => "date",
            K::LastUpdated => "last_updated",
            K::DateHappened => "date_happened",
            K::AlertTransition => "alert_transition",
            K::AlertCycleKey => "alert_cycle_key",
            K::AlertId => "alert_id",
            K::MonitorId => "monitor_id",
            K::Scopes => "scopes",
            K::AlertScope => "alert_scope",
            K::MonitorGroups => "monitor_groups",
            K::AlertPriority => "alert_priority",
            K::Priority => "priority",
            K::AlertType => "alert_type",
            K::Tags => "tags",
            K::Hostname => "hostname",
            K::Host => "host",
            K::EventType => "event_type",
            K::Source => "source",
        }
    }
}

/// Top-level fields of a record, however it was parsed, borrowed from it
/// where they can be.
trait Fields {
    /// Text of a string or number, trimmed (empty strings are absent).
    fn text(&self, key: K) -> Option<Cow<'_, str>>;
    /// The strings of an array, or of a comma list in a string.
    fn strings(&self, key: K) -> Vec<Cow<'_, str>>;
    /// An epoch (any unit, as a number or text) or an ISO instant, in µs.
    fn instant(&self, key: K) -> Option<Result<i64, String>>;
}

impl Fields for Value {
    fn text(&self, key: K) -> Option<Cow<'_, str>> {
        s(self, key.name())
    }

    fn strings(&self, key: K) -> Vec<Cow<'_, str>> {
        list(self, key.name())
    }

    fn instant(&self, key: K) -> Option<Result<i64, String>> {
        instant(self.get(key.name()))
    }
}

impl<'a> Flat<'a> {
    /// The field under a top-level key this reads.
    fn slot(&self, key: K) -> &Field<'a> {
        match key {
            K::Id => &self.id,
            K::IdStr => &self.id_str,
            K::EventId => &self.event_id,
            K::Title => &self.title,
            K::AlertTitle => &self.alert_title,
            K::Body => &self.body,
            K::TextOnlyMsg => &self.text_only_msg,
            K::Message => &self.message,
            K::Text => &self.text,
            K::Date => &self.date,
            K::LastUpdated => &self.last_updated,
            K::DateHappened => &self.date_happened,
            K::AlertTransition => &self.alert_transition,
            K::AlertCycleKey => &self.alert_cycle_key,
            K::AlertId => &self.alert_id,
            K::MonitorId => &self.monitor_id,
            K::Scopes => &self.scopes,
            K::AlertScope => &self.alert_scope,
            K::MonitorGroups => &self.monitor_groups,
            K::AlertPriority => &self.alert_priority,
            K::Priority => &self.priority,
            K::AlertType => &self.alert_type,
            K::Tags => &self.tags,
            K::Hostname => &self.hostname,
            K::Host => &self.host,
            K::EventType => &self.event_type,
            K::Source => &self.source,
        }
    }

    /// Read with the borrowing scanner ([`super::scan`]); anything it does
    /// not take (a number that is not a plain unsigned integer, an escaped
    /// or repeated key, text that is not JSON) is [`scan::Bad`], and serde
    /// reads the record instead — the two agree where both read it
    /// (tested).
    fn scan(text: &'a str) -> scan::Res<Flat<'a>> {
        let mut f = Flat::default();
        let mut s = scan::Scanner::new(text);
        s.object(|s, key| {
            let slot = match key {
                "id" => &mut f.id,
                "id_str" => &mut f.id_str,
                "event_id" => &mut f.event_id,
                "title" => &mut f.title,
                "alert_title" => &mut f.alert_title,
                "body" => &mut f.body,
                "text_only_msg" => &mut f.text_only_msg,
                "message" => &mut f.message,
                "text" => &mut f.text,
                "date" => &mut f.date,
                "last_updated" => &mut f.last_updated,
                "date_happened" => &mut f.date_happened,
                "alert_transition" => &mut f.alert_transition,
                "alert_cycle_key" => &mut f.alert_cycle_key,
                "alert_id" => &mut f.alert_id,
                "monitor_id" => &mut f.monitor_id,
                "scopes" => &mut f.scopes,
                "alert_scope" => &mut f.alert_scope,
                "monitor_groups" => &mut f.monitor_groups,
                "alert_priority" => &mut f.alert_priority,
                "priority" => &mut f.priority,
                "alert_type" => &mut f.alert_type,
                "tags" => &mut f.tags,
                "hostname" => &mut f.hostname,
                "host" => &mut f.host,
                "event_type" => &mut f.event_type,
                "source" => &mut f.source,
                "attributes" => &mut f.attributes,
                "overall_state" => &mut f.overall_state,
                "monitors" => &mut f.monitors,
                "counts" => &mut f.counts,
                "errors" => &mut f.errors,
                _ => return s.skip(),
            };
            if slot.is_present() {
                return Err(scan::Bad);
            }
            *slot = scan_field(s)?;
            Ok(())
        })?;
        s.end()?;
        Ok(f)
    }
}

/// One value as a [`Field`] (checked as serde_json would read it into the
/// `Value` the other way of reading agrees with).
fn scan_field<'a>(s: &mut scan::Scanner<'a>) -> scan::Res<Field<'a>> {
    match s.peek().ok_or(scan::Bad)? {
        b'"' => {
            let (raw, escaped) = s.raw_string()?;
            Ok(Field::Str(raw, escaped))
        }
        b'[' => {
            let m = s.mark();
            s.array(|s| scan_field(s).map(drop))?;
            Ok(Field::List(s.since(m)?))
        }
        b'n' => {
            s.skip()?;
            Ok(Field::Null)
        }
        b'{' | b't' | b'f' => {
            s.skip()?;
            Ok(Field::Other)
        }
        _ => {
            let m = s.mark();
            match s.opt_u64()? {
                Some(_) => Ok(Field::Num(s.since(m)?)),
                None => Err(scan::Bad),
            }
        }
    }
}

impl Fields for Flat<'_> {
    fn text(&self, key: K) -> Option<Cow<'_, str>> {
        self.slot(key).text()
    }

    fn strings(&self, key: K) -> Vec<Cow<'_, str>> {
        self.slot(key).strings()
    }

    fn instant(&self, key: K) -> Option<Result<i64, String>> {
        self.slot(key).instant()
    }
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
    // Lower-cased on the stack when short (as nearly every name is).
    let name = name.trim();
    let mut buf = [0u8; 32];
    let long;
    let n = match buf.get_mut(..name.len()) {
        Some(lower) => {
            lower.copy_from_slice(name.as_bytes());
            lower.make_ascii_lowercase();
            std::str::from_utf8(lower).ok()?
        }
        None => {
            long = name.to_ascii_lowercase();
            &long
        }
    };
    let n = n.strip_prefix("the monitor ").unwrap_or(n);
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
/// none of these stay in the title (`[Synthetics] …`). Each part is
/// borrowed from the title's text.
#[derive(Debug, Default, PartialEq, Eq)]
struct Title<'a> {
    text: Cow<'a, str>,
    priority: Option<Cow<'a, str>>,
    transition: Option<Cow<'a, str>>,
    scope: Option<Cow<'a, str>>,
    test: bool,
}

impl Title<'_> {
    fn into_owned(self) -> Title<'static> {
        let own = |x: Cow<'_, str>| Cow::Owned(x.into_owned());
        Title {
            text: own(self.text),
            priority: self.priority.map(own),
            transition: self.transition.map(own),
            scope: self.scope.map(own),
            test: self.test,
        }
    }
}

/// [`strip_title`] of a title that may be owned (it had escapes).
fn strip_title_cow(raw: Cow<'_, str>) -> Title<'_> {
    match raw {
        Cow::Borrowed(raw) => strip_title(raw),
        Cow::Owned(raw) => strip_title(&raw).into_owned(),
    }
}

fn strip_title(raw: &str) -> Title<'_> {
    let mut out = Title::default();
    let mut rest = trim(raw);
    while let Some(inner) = rest.strip_prefix('[') {
        // The closing bracket outside any `{…}` (a scope may hold `]`);
        // bytes, as every bracket is ASCII (a char boundary).
        let mut depth = 0i32;
        let Some(end) = inner.bytes().position(|c| {
            match c {
                b'{' => depth += 1,
                b'}' => depth -= 1,
                b']' if depth <= 0 => return true,
                _ => {}
            }
            false
        }) else {
            break;
        };
        let tag = trim(&inner[..end]);
        // (No substring searcher for a few bytes.)
        let on = tag.as_bytes().windows(4).position(|w| w == b" on ");
        let (name, scope) = match on {
            Some(i) => (trim(&tag[..i]), Some(trim(&tag[i + 4..]))),
            None => (tag, None),
        };
        let b = name.as_bytes();
        if b.len() == 2 && b[0].eq_ignore_ascii_case(&b'p') && b[1].is_ascii_digit() {
            out.priority = Some(if b[0] == b'P' {
                Cow::Borrowed(name)
            } else {
                Cow::Owned(name.to_ascii_uppercase())
            });
        } else if name.eq_ignore_ascii_case("TEST") {
            out.test = true;
        } else if step_of(name).is_some() && name.chars().next().is_some_and(char::is_uppercase) {
            out.transition = Some(Cow::Borrowed(name));
            out.scope = scope
                .map(|sc| sc.trim_start_matches('{').trim_end_matches('}'))
                .filter(|sc| !sc.is_empty())
                .map(Cow::Borrowed);
        } else {
            break;
        }
        rest = inner[end + 1..].trim_start();
    }
    out.text = Cow::Borrowed(rest);
    out
}

/// One monitor event as read from its record, whichever API it came from,
/// its text borrowed from the record where it can be (on the reading
/// threads; [`Parsed::slim`] keeps what the cycles need).
#[derive(Debug, Default)]
struct Parsed<'a> {
    /// The event id (v1 `id_str`, v2 `evt.id`, webhook `id`), else v2's
    /// own `id`.
    id: Cow<'a, str>,
    at: i64,
    step: Option<Step>,
    cycle: Option<Cow<'a, str>>,
    monitor: Option<Cow<'a, str>>,
    groups: Vec<Cow<'a, str>>,
    title: Title<'a>,
    /// A monitor priority (`P2`, or `2`) or the event's alert type.
    priority: Option<Cow<'a, str>>,
    alert_type: Option<Cow<'a, str>>,
    text: Option<Cow<'a, str>>,
    tags: Vec<Cow<'a, str>>,
    host: Option<Cow<'a, str>>,
    service: Option<Cow<'a, str>>,
    event_type: Option<Cow<'a, str>>,
    /// A monitor alert at all (a monitor id, the `monitor` tag, a
    /// transition): else it is counted and skipped.
    monitor_alert: bool,
}

/// What folding a monitor event into its cycle needs, owned (it goes from
/// the reading threads to the folding one).
#[derive(Debug, Default)]
struct Event {
    id: String,
    at: i64,
    step: Option<Step>,
    /// The alert cycle it belongs to: `alert_cycle_key`, else monitor and
    /// group.
    key: String,
    /// A test notification (`[TEST]`).
    test: bool,
    monitor_alert: bool,
    /// The paging handles its message notifies (`None`: no message; a
    /// recovery notifies no one).
    handles: Option<Vec<String>>,
    /// Its priority as the alert's urgency, and its severity.
    urgency: Option<String>,
    severity: Option<&'static str>,
    /// An event that can open a cycle: its alert's text.
    row: Option<Box<RowText>>,
}

/// The text of a cycle's alert row, all from the cycle's first event: built
/// on the reading threads.
#[derive(Debug)]
struct RowText {
    dedup_key: String,
    title: Option<String>,
    service: Option<String>,
    /// Resolved ([`super::resolve_team`]).
    team: Option<String>,
    /// The labels' JSON object (`None`: no labels).
    labels: Option<String>,
    /// A `Runbook: <url>` line of the message.
    runbook: Option<String>,
}

impl RowText {
    /// Tags become labels split at the first `:` (`service:` and `team:`
    /// per `[ingest]`; the bare `monitor` tag dropped), then the event's
    /// own fields as labels.
    fn of(e: &Parsed<'_>, config: &Config) -> RowText {
        let settings = &config.ingest;
        let (mut service, mut team) = (e.service.as_deref().map(str::to_string), None);
        let mut labels: Vec<(&str, &str)> = Vec::with_capacity(e.tags.len() + 6);
        for tag in &e.tags {
            let (k, v) = tag.split_once(':').unwrap_or((tag, ""));
            if tag == "monitor" {
                continue;
            }
            if k == settings.service_label && !v.is_empty() && service.is_none() {
                service = Some(v.to_string());
            }
            if k == settings.team_label && !v.is_empty() && team.is_none() {
                team = Some(v.to_string());
            }
            if !labels.iter().any(|(x, _)| *x == k) {
                labels.push((k, v));
            }
        }
        for (k, v) in [
            ("monitor_id", e.monitor.as_deref()),
            ("scope", e.title.scope.as_deref()),
            ("priority", e.priority.as_deref()),
            ("transition", e.title.transition.as_deref()),
            ("event_type", e.event_type.as_deref()),
            ("instance", e.host.as_deref()),
        ] {
            if let Some(v) = v {
                labels.retain(|(x, _)| *x != k);
                labels.push((k, v));
            }
        }
        super::resolve_team(config, &mut team, service.as_deref());
        let labels = (!labels.is_empty()).then(|| {
            let mut out = String::new();
            super::record::labels_json(&labels, &mut out);
            out
        });
        RowText {
            dedup_key: e.dedup_key(),
            title: (!e.title.text.is_empty()).then(|| e.title.text.to_string()),
            service,
            team,
            labels,
            runbook: None,
        }
    }
}

impl<'a> Parsed<'a> {
    fn finish(mut self) -> Parsed<'a> {
        if self.step.is_none() {
            self.step = self.title.transition.as_deref().and_then(step_of);
        }
        if self.step.is_none()
            && self.monitor_alert
            && self
                .alert_type
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("success") || t.eq_ignore_ascii_case("ok"))
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

    /// Keep what building the cycles needs (on the reading threads): the
    /// cycle's key worked out, the message read for its paging handles
    /// and dropped, an opening event's alert text built; a recovery keeps
    /// only its id, time and key.
    fn slim(self, config: &Config) -> Event {
        let key = match &self.cycle {
            Some(c) => c.to_string(),
            None => self.dedup_key(),
        };
        let mut e = Event {
            at: self.at,
            step: self.step,
            key,
            test: self.title.test,
            monitor_alert: self.monitor_alert,
            // A recovery's message pages no one: not read.
            handles: Some(Vec::new()),
            ..Event::default()
        };
        if self.step != Some(Step::Recover) {
            let text = self.text.as_deref();
            e.handles = notified(text, &config.paging.datadog_handles);
            e.urgency = self.priority.as_deref().map(str::to_string);
            e.severity =
                schema::datadog_severity(self.priority.as_deref(), self.alert_type.as_deref());
            if self.step.is_some() && self.monitor_alert {
                let mut row = RowText::of(&self, config);
                row.runbook = text.and_then(super::record::runbook_line);
                e.row = Some(Box::new(row));
            }
        }
        e.id = self.id.into_owned();
        e
    }

    /// The monitor and group the event belongs to: `monitor|group,group`
    /// (the title for the monitor, the title's scope for the groups).
    fn dedup_key(&self) -> String {
        let head = self.monitor.as_deref().unwrap_or(&self.title.text);
        let scope = self.title.scope.as_deref().unwrap_or_default();
        let groups = self.groups.iter().map(|g| g.len() + 1).sum::<usize>();
        let mut out = String::with_capacity(head.len() + 1 + groups.max(scope.len()));
        out.push_str(head);
        out.push('|');
        if self.groups.is_empty() {
            out.push_str(scope);
        }
        for (i, g) in self.groups.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(g);
        }
        out
    }
}

/// A v1 event.
fn v1_event(e: &impl Fields) -> Result<Parsed<'_>, String> {
    let id = e
        .text(K::IdStr)
        .or_else(|| e.text(K::Id))
        .ok_or("an event with no id_str or id")?;
    let at = e.instant(K::DateHappened).ok_or("no date_happened")??;
    let title = strip_title_cow(e.text(K::Title).unwrap_or_default());
    Ok(Parsed {
        id,
        at,
        cycle: e.text(K::AlertCycleKey),
        monitor: e.text(K::MonitorId),
        groups: e.strings(K::MonitorGroups),
        alert_type: e.text(K::AlertType),
        text: e.text(K::Text),
        tags: e.strings(K::Tags),
        host: e.text(K::Host),
        monitor_alert: e.text(K::Source).as_deref() == Some("Monitor Alert"),
        title,
        ..Parsed::default()
    }
    .finish())
}

/// A v2 event: `data[]` with its two levels of attributes.
fn v2_event(d: &Value) -> Result<Parsed<'_>, String> {
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
    let title = strip_title_cow(
        s(inner, "title")
            .or_else(|| s(monitor, "name"))
            .unwrap_or_default(),
    );
    Ok(Parsed {
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
    }
    .finish())
}

/// A logged webhook delivery (the default payload or the common custom
/// one).
fn webhook_event(w: &impl Fields) -> Result<Parsed<'_>, String> {
    let id = w
        .text(K::Id)
        .or_else(|| w.text(K::EventId))
        .ok_or("a delivery with no id")?;
    let at = w
        .instant(K::Date)
        .or_else(|| w.instant(K::LastUpdated))
        .ok_or("no date or last_updated")??;
    let title = strip_title_cow(
        w.text(K::Title)
            .or_else(|| w.text(K::AlertTitle))
            .unwrap_or_default(),
    );
    let mut groups = w.strings(K::Scopes);
    if groups.is_empty() {
        groups = w.strings(K::AlertScope);
    }
    let step = w.text(K::AlertTransition).and_then(|t| step_of(&t));
    let parsed = Parsed {
        id,
        at,
        step,
        cycle: w.text(K::AlertCycleKey),
        monitor: w.text(K::AlertId).or_else(|| w.text(K::MonitorId)),
        groups,
        monitor_alert: step.is_some(),
        title,
        ..Parsed::default()
    };
    if step == Some(Step::Recover) {
        // A recovery keeps its id, time and cycle key (Parsed::slim):
        // the rest is not read.
        return Ok(parsed.finish());
    }
    Ok(Parsed {
        priority: w.text(K::AlertPriority).or_else(|| w.text(K::Priority)),
        alert_type: w.text(K::AlertType),
        text: w
            .text(K::Body)
            .or_else(|| w.text(K::TextOnlyMsg))
            .or_else(|| w.text(K::Message)),
        tags: w.strings(K::Tags),
        host: w.text(K::Hostname),
        event_type: w.text(K::EventType),
        monitor_alert: w.text(K::AlertTransition).is_some(),
        ..parsed
    }
    .finish())
}

/// A monitor definition list is not an alert history.
const MONITORS: &str = "a Datadog monitor definition list (GET /api/v1/monitor or /monitor/search): it says which monitors exist and their state now, not when they fired — export the monitors' alert events instead (Events API v1 `GET /api/v1/events?sources=alert` or v2 `GET /api/v2/events?filter[query]=source:alert`, or logged webhook deliveries)";

/// What one record of the file is.
#[derive(Debug)]
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
fn item_of(v: &Value, config: &Config) -> Item {
    let event = |r: Result<Parsed<'_>, String>| match r {
        Ok(p) => Item::Event(Box::new(p.slim(config))),
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

/// One record's bytes as what it is: flat records (webhook deliveries, v1
/// events) read as [`Flat`], the rest (v2 events, incidents, API errors,
/// records `Flat` cannot read) as a [`Value`] by [`item_of`].
fn item_of_raw(raw: &[u8], config: &Config) -> Item {
    let object = raw.trim_ascii_start().starts_with(b"{");
    // UTF-8 checked once for the whole record (serde_json's `from_slice`
    // checks each string again); text that is not UTF-8 goes the `Value`
    // way, for serde_json's message.
    let text = simdutf8::basic::from_utf8(raw).ok();
    if let Some(f) = text.filter(|_| object).and_then(|t| Flat::scan(t).ok()) {
        let event = |r: Result<Parsed<'_>, String>| match r {
            Ok(p) => Item::Event(Box::new(p.slim(config))),
            Err(why) => Item::Bad(why),
        };
        if f.overall_state.is_present() || (f.monitors.is_present() && f.counts.is_present()) {
            return Item::Monitors;
        }
        if f.date_happened.is_present() {
            return event(v1_event(&f));
        }
        if !f.attributes.is_present() && !f.errors.is_present() {
            if f.title.is_present() || f.alert_transition.is_present() {
                return event(webhook_event(&f));
            }
            return Item::Bad("not a Datadog event, incident or webhook delivery".into());
        }
    }
    match serde_json::from_slice::<Value>(raw) {
        Ok(v) => item_of(&v, config),
        Err(e) => Item::Bad(e.to_string()),
    }
}

/// One alert cycle being built.
struct Cycle {
    first: Box<Event>,
    repeats: u32,
    resolved: Option<i64>,
    last: i64,
    paged: bool,
    no_text: bool,
    handles: Vec<String>,
    worst: Option<&'static str>,
}

/// How a reading pass puts events into cycles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Fold each event as it is read (in file order) and keep only the
    /// open cycles: exact while every cycle key's events come in time order
    /// (a webhook log, the demo's files); the first event that goes back in
    /// time stops the pass, and the file is read again with [`Mode::Sort`].
    Stream,
    /// Keep every event, put them all in time order, then fold (API
    /// exports, whose pages run newest first).
    Sort,
}

/// The alert cycles of one file, folded event by event in time order per
/// cycle key, with the counts the notes tell.
#[derive(Default)]
struct Fold {
    open: polars::prelude::PlHashMap<String, Cycle>,
    /// [`Mode::Stream`]: per cycle key (hashed), the last event folded:
    /// its time, the first 8 bytes of its id (big-endian, so that they
    /// compare as the id's text does) and the id hashed.
    last: polars::prelude::PlHashMap<u64, (i64, u64, u64)>,
    hasher: polars::prelude::PlRandomState,
    /// Closed cycles as canonical rows not yet handed on, and the rows
    /// being built.
    frames: Vec<polars::prelude::DataFrame>,
    rows: super::record::AlertColumns,
    read: u64,
    other: u64,
    tests: u64,
    copies: u64,
    unknown: u64,
    orphan_recoveries: u64,
    opened_by_repeat: u64,
    no_text: u64,
    /// [`Mode::Stream`]: an event went back in time within its key.
    disordered: bool,
    failed: Option<String>,
}

/// Where a [`Mode::Stream`] event stands against its key's last one.
enum Order {
    Next,
    Copy,
    Back,
}

impl Fold {
    /// Count an event read; `true` when it is a monitor alert to fold.
    fn admit(&mut self, e: &Event) -> bool {
        self.read += 1;
        if !e.monitor_alert {
            self.other += 1;
        } else if e.test {
            self.tests += 1;
        }
        e.monitor_alert && !e.test
    }

    /// [`Mode::Stream`]: whether the event comes after its key's last
    /// (remembering it), repeats it, or goes back in time — or cannot be
    /// told from the last one's prefix and hash (taken as going back: the
    /// file is then read the exact way).
    fn order(&mut self, e: &Event) -> Order {
        use std::hash::BuildHasher;
        let key = self.hasher.hash_one(e.key.as_bytes());
        let mut prefix = [0u8; 8];
        let n = e.id.len().min(8);
        prefix[..n].copy_from_slice(&e.id.as_bytes()[..n]);
        let now = (
            e.at,
            u64::from_be_bytes(prefix),
            self.hasher.hash_one(e.id.as_bytes()),
        );
        match self.last.get_mut(&key) {
            None => {
                self.last.insert(key, now);
                Order::Next
            }
            Some(last) => {
                if (now.0, now.1) > (last.0, last.1) {
                    *last = now;
                    Order::Next
                } else if now == *last {
                    Order::Copy
                } else {
                    Order::Back
                }
            }
        }
    }

    /// Fold one event (deduplicated, in time order within its key).
    fn step(&mut self, mut e: Box<Event>, ctx: &Ctx<'_>) {
        let Some(step) = e.step else {
            self.unknown += 1;
            return;
        };
        let key = std::mem::take(&mut e.key);
        let notified = e.handles.take();
        let severity = e.severity;
        // One lookup of the key, whatever the step does with it.
        if step == Step::Recover {
            match self.open.remove(&key) {
                Some(mut c) => {
                    c.resolved = Some(e.at);
                    c.last = e.at;
                    self.close(c, ctx);
                }
                None => self.orphan_recoveries += 1,
            }
            return;
        }
        let at = e.at;
        let mut opened = false;
        let c = self.open.entry(key).or_insert_with(|| {
            opened = true;
            Cycle {
                last: at,
                first: e,
                repeats: 0,
                resolved: None,
                paged: false,
                no_text: false,
                handles: Vec::new(),
                worst: None,
            }
        });
        if !opened {
            c.repeats += 1;
            c.last = at;
        }
        c.merge(notified, severity);
        if opened && step == Step::Repeat {
            self.opened_by_repeat += 1;
        }
    }

    /// A finished cycle as a row (its team resolved).
    fn close(&mut self, c: Cycle, ctx: &Ctx<'_>) {
        self.no_text += u64::from(c.no_text);
        c.push(&mut self.rows, ctx.format.source());
        if self.rows.len() >= super::FLUSH_ROWS {
            self.finish_rows();
        }
    }

    fn finish_rows(&mut self) {
        if !self.rows.is_empty() {
            // The next rows' columns with room for a whole flush. A frame
            // of rows this adapter built itself: a failure here is a bug,
            // reported as the file's error by the caller.
            let next = super::record::AlertColumns::with_capacity(super::FLUSH_ROWS);
            match std::mem::replace(&mut self.rows, next).finish() {
                Ok(f) => self.frames.push(f),
                Err(e) => {
                    self.failed
                        .get_or_insert(format!("building alert rows: {e}"));
                }
            }
        }
    }

    /// Close the cycles still open at the end of the file (in time order,
    /// so the rows do not depend on the map's order).
    fn end(&mut self, ctx: &Ctx<'_>) {
        let mut open: Vec<Cycle> = std::mem::take(&mut self.open).into_values().collect();
        open.sort_by(|a, b| (a.first.at, &a.first.id).cmp(&(b.first.at, &b.first.id)));
        for c in open {
            self.close(c, ctx);
        }
        self.finish_rows();
    }
}

/// What one reading pass made of the file.
struct Pass {
    result: Result<u64, super::json::JsonStop>,
    warnings: Vec<String>,
    fold: Fold,
    incidents: Vec<IncidentRecord>,
    test_incidents: u64,
    monitors: bool,
    bad: Vec<(super::json::RecordAt, String, Vec<u8>)>,
}

/// Read every record (split on one thread, parsed on the others, taken in
/// file order here) and fold the events into cycles as `mode` says, the
/// alerts of closed cycles handed to `ctx` as they close; the rest of what
/// was read is returned. A [`Mode::Stream`] pass that finds its events out
/// of order stops, and its alerts are rolled back by the caller.
fn pass(ctx: &mut Ctx<'_>, mode: Mode) -> Result<Pass, IngestError> {
    use std::sync::atomic::{AtomicBool, Ordering};
    let config = ctx.config;
    let reader = ctx.open()?;
    let stop = AtomicBool::new(false);
    let mut fold = Fold::default();
    let mut events: Vec<Box<Event>> = Vec::new();
    let mut incidents = Vec::new();
    let (mut test_incidents, mut monitors) = (0u64, false);
    let mut bad = Vec::new();
    let (result, warnings) = super::parallel::pipeline(
        |emit| {
            let mut warnings: Vec<String> = Vec::new();
            let mut page = 0u64;
            let mut emit = |batch| {
                // A stream pass that has stopped needs no more parsing.
                if !stop.load(Ordering::Relaxed) {
                    emit(batch)
                }
            };
            let r = super::split_json(
                reader,
                &["events", "data"],
                &["meta"],
                super::parallel::BATCH,
                &mut emit,
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
                        None => item_of_raw(raw, config),
                    };
                    let raw = matches!(item, Item::Bad(_)).then(|| raw.to_vec());
                    (at, item, raw)
                })
                .collect::<Vec<_>>()
        },
        |items| {
            if fold.disordered {
                return;
            }
            for (at, item, raw) in items {
                match item {
                    Item::Event(e) => {
                        if !fold.admit(&e) {
                            continue;
                        }
                        if mode == Mode::Sort {
                            events.push(e);
                            continue;
                        }
                        match fold.order(&e) {
                            Order::Next => fold.step(e, ctx),
                            Order::Copy => fold.copies += 1,
                            Order::Back => {
                                fold.disordered = true;
                                stop.store(true, Ordering::Relaxed);
                                return;
                            }
                        }
                    }
                    Item::Incident(Some(r)) => incidents.push(r),
                    Item::Incident(None) => test_incidents += 1,
                    Item::Monitors => monitors = true,
                    Item::Bad(why) => bad.push((at, why, raw.unwrap_or_default())),
                }
            }
            for f in fold.frames.drain(..) {
                ctx.push_alert_frame_streamed(f);
            }
        },
    );
    if mode == Mode::Sort {
        // Retried webhook deliveries, and one event seen in two pages: once.
        events.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
        let before = events.len();
        events.dedup_by(|a, b| a.id == b.id);
        fold.copies += (before - events.len()) as u64;
        for e in events {
            fold.step(e, ctx);
            for f in fold.frames.drain(..) {
                ctx.push_alert_frame_streamed(f);
            }
        }
    }
    if !fold.disordered {
        fold.end(ctx);
        for f in fold.frames.drain(..) {
            ctx.push_alert_frame_streamed(f);
        }
    }
    Ok(Pass {
        result,
        warnings,
        fold,
        incidents,
        test_incidents,
        monitors,
        bad,
    })
}

/// Read the file: folding events as they come, or — when a cycle key's
/// events are not in time order — again, sorting every event first.
pub fn read(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let head = super::Head::read(ctx.path, false)?;
    if is_cassette(&head.text) {
        return Err(ctx.malformed(
            "a recorded HTTP cassette (go-vcr YAML), not an export: save the JSON of its response `body` as a file and read that",
        ));
    }
    let started = std::time::Instant::now();
    let mark = ctx.mark();
    let mut p = pass(ctx, Mode::Stream)?;
    crate::core::timing::since("datadog: stream pass", started);
    if p.fold.disordered {
        ctx.rollback(mark);
        p = pass(ctx, Mode::Sort)?;
        crate::core::timing::since("datadog: sort pass", started);
    }
    if p.monitors {
        return Err(ctx.malformed(MONITORS));
    }
    if let Some(why) = p.fold.failed.take() {
        return Err(ctx.malformed(why));
    }
    for (at, why, raw) in p.bad {
        ctx.reject_json(at, why, &raw);
    }
    ctx.finish_json(p.result)?;
    let incidents = p.incidents.len() as u64;
    for r in p.incidents {
        ctx.push_incident(r);
    }
    let f = p.fold;
    let mut notes = p.warnings;
    for (count, what) in [
        (f.other, "event(s) that are not monitor alerts (Synthetics, API, user updates, comments): left out"),
        (f.tests, "test notification(s) ([TEST]): left out"),
        (p.test_incidents, "test incident(s) (`is_test`): left out"),
        (f.copies, "event(s) seen twice (a retried webhook delivery, overlapping pages): counted once"),
        (f.unknown, "monitor event(s) whose transition is not Triggered, Warn, No Data, Recovered or a repeat: left out"),
        (f.orphan_recoveries, "recovery event(s) whose trigger is not in the file: left out (widen the export's time window)"),
        (f.opened_by_repeat, "alert cycle(s) whose first event in the file is a repeat (the trigger is earlier): started at that event"),
        (f.no_text, "alert(s) with no message in the export: counted as pages (the export does not say whom they notified)"),
    ] {
        if count > 0 {
            notes.push(format!("{count} {what}"));
        }
    }
    ctx.report.notes.extend(notes);
    if ctx.report.alerts == 0
        && incidents == 0
        && f.other + f.tests + f.unknown + f.orphan_recoveries > 0
    {
        return Err(ctx.malformed(format!(
            "{} event(s), none a monitor alert that opens a cycle ({} not monitor alerts, {} tests, {} recoveries only): nothing to read as alerts",
            f.read, f.other, f.tests, f.orphan_recoveries
        )));
    }
    Ok(())
}

/// The handles of the message that start with one of the paging prefixes
/// (`None`: no message).
fn notified(text: Option<&str>, prefixes: &[String]) -> Option<Vec<String>> {
    let text = text?;
    // In any casing: compared byte by byte, without a lower-case copy.
    let starts = |w: &str, p: &str| {
        w.len() > p.len() && w.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
    };
    Some(
        text.split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .map(|w| w.trim_end_matches(['.', ')', ':']))
            .filter(|w| prefixes.iter().any(|p| starts(w, p)))
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

    /// The cycle's alert row, appended to `rows`.
    fn push(self, rows: &mut super::record::AlertColumns, source: &str) {
        let e = &self.first;
        // (A cycle's first event opens it, so it has its row: else only
        // its key is known.)
        let empty;
        let row = match e.row.as_deref() {
            Some(row) => row,
            None => {
                empty = RowText {
                    dedup_key: e.key.clone(),
                    title: None,
                    service: None,
                    team: None,
                    labels: None,
                    runbook: None,
                };
                &empty
            }
        };
        rows.push_ref(
            source,
            &super::record::AlertRef {
                alert_id: &e.id,
                dedup_key: Some(&row.dedup_key),
                title: row.title.as_deref(),
                service: row.service.as_deref(),
                team: row.team.as_deref(),
                severity: self.worst,
                urgency: e.urgency.as_deref(),
                paged: Some(self.paged),
                triggered_at: e.at,
                acknowledged_at: None,
                resolved_at: self.resolved,
                acknowledged_by: None,
                resolved_by: None,
                auto_resolved: self.resolved.map(|_| true),
                escalations: None,
                notes: None,
                repeat_count: Some(self.repeats + 1),
                responders: (!self.handles.is_empty()).then_some(self.handles.as_slice()),
                labels: row.labels.as_deref(),
                runbook: row.runbook.as_deref(),
                updated_at: Some(self.last),
            },
        );
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
        .ok_or("an incident with no public_id or id")?
        .into_owned();
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
        title: s(a, "title").map(Cow::into_owned),
        severity: s(a, "severity")
            .map(Cow::into_owned)
            .or_else(|| field("severity"))
            .and_then(|sev| schema::datadog_incident_severity(&sev)),
        service: field("services"),
        team: field("teams"),
        status: s(a, "state")
            .map(Cow::into_owned)
            .or_else(|| field("state")),
        category: None,
        started_at: started,
        resolved_at: resolved,
        updated_at: instant(a.get("modified")).and_then(Result::ok),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reading of a flat record without a `Value` ([`Flat`]) gives what
    /// the `Value` reading gives, on every record of the fixtures and on
    /// hand-made ones: numbers for text, escapes, `null`s, arrays, an
    /// empty or blank value, a repeated key, nesting, and what is no event.
    #[test]
    fn flat_reading_agrees_with_the_value_reading() {
        let config = crate::config::Config::default();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/datadog");
        let mut records: Vec<String> = Vec::new();
        for line in std::fs::read_to_string(dir.join("webhooks.jsonl"))
            .unwrap()
            .lines()
        {
            if !line.trim().is_empty() {
                records.push(line.to_string());
            }
        }
        for (file, key) in [
            ("events-v1.json", "events"),
            ("events-v2.json", "data"),
            ("incidents.json", "data"),
        ] {
            // Pages appended, one after the other.
            let text = std::fs::read_to_string(dir.join(file)).unwrap();
            for page in serde_json::Deserializer::from_str(&text).into_iter::<Value>() {
                for r in page.unwrap()[key].as_array().unwrap() {
                    records.push(r.to_string());
                }
            }
        }
        assert!(records.len() >= 20, "{}", records.len());
        records.extend(
            [
                r#"{"id":7115021809200096350,"title":"[P1] [Triggered on {host:a}] Disk \"full\"\non a","body":"@pagerduty-x\n@Opsgenie-Y, @slack-z","date":1788134435000,"alert_transition":"Triggered","scopes":["host:a",7,null],"tags":"monitor, service:api ,team:pay,,"}"#,
                r#"{"id":"1","title":"  ","alert_transition":"Recovered","date":"2026-01-02T03:04:05Z","alert_cycle_key":null,"monitor_id":1.5e3}"#,
                r#"{"id":"2","title":"x","date":"not a time"}"#,
                r#"{"id":"3","title":"x","title":"y","date":"1788134435"}"#,
                r#"{"id":"4","alert_transition":"Re-Triggered","date":"1788134435","tags":["a:b",{"c":1},true],"org":{"id":1,"name":"n"}}"#,
                r#"{"date_happened":1788134435,"id_str":"99","id":99,"title":"[Triggered] CPU","source":"Monitor Alert","alert_type":"error","text":"@pagerduty-a"}"#,
                r#"{"date_happened":null,"title":"x"}"#,
                r#"{"overall_state":"OK","query":"avg(last_5m):x > 1"}"#,
                r#"{"monitors":[],"counts":{},"metadata":{}}"#,
                r#"{"errors":["Forbidden"]}"#,
                r#"{"hello":"world"}"#,
                r#"{"title":null}"#,
                r#"["id","id_str","event_id","title"]"#,
                r#""just a string""#,
                r#"{"id":"5","title":"\ud83d\ude00 caf\u00e9","date":"1788134435000","alert_transition":"warn"}"#,
            ]
            .map(str::to_string),
        );
        let agree = |raw: &[u8]| {
            let by_value = match serde_json::from_slice::<Value>(raw) {
                Ok(v) => item_of(&v, &config),
                Err(e) => Item::Bad(e.to_string()),
            };
            assert_eq!(
                format!("{:?}", item_of_raw(raw, &config)),
                format!("{by_value:?}"),
                "{}",
                String::from_utf8_lossy(raw)
            );
        };
        for raw in &records {
            agree(raw.as_bytes());
        }
        // And 20,000 seeded mutations of them (bytes deleted, inserted,
        // doubled): the flat reading never takes what serde_json refuses,
        // nor reads what it takes otherwise.
        let seeds: Vec<&str> = records.iter().map(String::as_str).collect();
        let alphabet = b"{}[]\",:\\/ u0aA1-.e\n\t\xc3\xa9";
        for text in super::super::json::mutations(&seeds, alphabet, 0x2545_F491_4F6C_DD1D, 20_000) {
            agree(&text);
        }
    }

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
        // Longer than the stack copy, and a name with a two-byte letter.
        assert_eq!(
            step_of("  Re-Triggered after a very long quiet spell of days "),
            Some(Step::Repeat)
        );
        assert_eq!(
            step_of("The Monitor had an ALERT RECOVERY"),
            Some(Step::Recover)
        );
        assert_eq!(step_of("Re-Trigger\u{e9}"), Some(Step::Repeat));
        assert_eq!(step_of("Triggered\u{e9}"), None);
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
