//! Records as adapters produce them, and the column builders that turn them
//! into canonical frames.
//!
//! Adapters fill an [`AlertRecord`] or [`IncidentRecord`] per vendor record
//! and push it; the builders append straight into Arrow buffers, so a 10
//! million row ingest never holds 10 million Rust structs.

use polars::prelude::*;

use crate::schema as s;

/// One alert occurrence in canonical form. Instants are microseconds since
/// the Unix epoch, UTC.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct AlertRecord {
    /// See [`s::ALERT_ID`].
    pub alert_id: String,
    /// See [`s::DEDUP_KEY`].
    pub dedup_key: Option<String>,
    /// See [`s::TITLE`].
    pub title: Option<String>,
    /// See [`s::SERVICE`].
    pub service: Option<String>,
    /// The vendor's team, before config aliases are applied.
    pub team: Option<String>,
    /// See [`s::SEVERITY`].
    pub severity: Option<&'static str>,
    /// See [`s::URGENCY`].
    pub urgency: Option<String>,
    /// See [`s::PAGED`].
    pub paged: Option<bool>,
    /// See [`s::TRIGGERED_AT`].
    pub triggered_at: i64,
    /// See [`s::ACKNOWLEDGED_AT`].
    pub acknowledged_at: Option<i64>,
    /// See [`s::RESOLVED_AT`].
    pub resolved_at: Option<i64>,
    /// See [`s::ACKNOWLEDGED_BY`].
    pub acknowledged_by: Option<String>,
    /// See [`s::RESOLVED_BY`].
    pub resolved_by: Option<String>,
    /// See [`s::AUTO_RESOLVED`].
    pub auto_resolved: Option<bool>,
    /// See [`s::ESCALATIONS`].
    pub escalations: Option<u32>,
    /// See [`s::NOTES`].
    pub notes: Option<u32>,
    /// See [`s::REPEAT_COUNT`].
    pub repeat_count: Option<u32>,
    /// See [`s::RESPONDERS`]; `None` when the source does not say.
    pub responders: Option<Vec<String>>,
    /// See [`s::LABELS`].
    pub labels: Vec<(String, String)>,
    /// See [`s::RUNBOOK`].
    pub runbook: Option<String>,
    /// See [`s::UPDATED_AT`]; `None` means "latest instant of the record".
    pub updated_at: Option<i64>,
}

/// An [`AlertRecord`] by reference, for adapters that build rows from
/// borrowed text ([`AlertColumns::push_ref`]); `labels` is the labels' JSON
/// object text as [`labels_json`] writes it (`None`: no labels).
#[derive(Debug, Default, Clone, Copy)]
pub struct AlertRef<'a> {
    /// See [`AlertRecord::alert_id`].
    pub alert_id: &'a str,
    /// See [`AlertRecord::dedup_key`].
    pub dedup_key: Option<&'a str>,
    /// See [`AlertRecord::title`].
    pub title: Option<&'a str>,
    /// See [`AlertRecord::service`].
    pub service: Option<&'a str>,
    /// See [`AlertRecord::team`].
    pub team: Option<&'a str>,
    /// See [`AlertRecord::severity`].
    pub severity: Option<&'a str>,
    /// See [`AlertRecord::urgency`].
    pub urgency: Option<&'a str>,
    /// See [`AlertRecord::paged`].
    pub paged: Option<bool>,
    /// See [`AlertRecord::triggered_at`].
    pub triggered_at: i64,
    /// See [`AlertRecord::acknowledged_at`].
    pub acknowledged_at: Option<i64>,
    /// See [`AlertRecord::resolved_at`].
    pub resolved_at: Option<i64>,
    /// See [`AlertRecord::acknowledged_by`].
    pub acknowledged_by: Option<&'a str>,
    /// See [`AlertRecord::resolved_by`].
    pub resolved_by: Option<&'a str>,
    /// See [`AlertRecord::auto_resolved`].
    pub auto_resolved: Option<bool>,
    /// See [`AlertRecord::escalations`].
    pub escalations: Option<u32>,
    /// See [`AlertRecord::notes`].
    pub notes: Option<u32>,
    /// See [`AlertRecord::repeat_count`].
    pub repeat_count: Option<u32>,
    /// See [`AlertRecord::responders`].
    pub responders: Option<&'a [String]>,
    /// The labels' JSON object text (`None`: no labels).
    pub labels: Option<&'a str>,
    /// See [`AlertRecord::runbook`].
    pub runbook: Option<&'a str>,
    /// See [`AlertRecord::updated_at`].
    pub updated_at: Option<i64>,
}

/// One incident-tracker record in canonical form.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct IncidentRecord {
    /// See [`s::INCIDENT_ID`].
    pub incident_id: String,
    /// See [`s::TITLE`].
    pub title: Option<String>,
    /// See [`s::SEVERITY`].
    pub severity: Option<&'static str>,
    /// See [`s::SERVICE`].
    pub service: Option<String>,
    /// See [`s::TEAM`].
    pub team: Option<String>,
    /// See [`s::STATUS`].
    pub status: Option<String>,
    /// See [`s::CATEGORY`].
    pub category: Option<String>,
    /// See [`s::STARTED_AT`].
    pub started_at: i64,
    /// See [`s::RESOLVED_AT`].
    pub resolved_at: Option<i64>,
    /// See [`s::UPDATED_AT`].
    pub updated_at: Option<i64>,
}

/// The annotations that name an alert's runbook (Alertmanager, Grafana,
/// Prometheus rule files), in order of preference.
pub const RUNBOOK_ANNOTATIONS: [&str; 2] = ["runbook_url", "runbook"];

/// The link of a `Runbook: <url>` line in a text (a PagerDuty description
/// or body, an Opsgenie description, a Datadog message): `Runbook` in any
/// casing (also `runbook_url`, `Runbook URL`), markdown emphasis or a list
/// mark before it, then `:` and a link starting `http://` or `https://`
/// (angle brackets and a closing parenthesis taken off).
pub fn runbook_line(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let l = line
            .trim()
            .trim_start_matches(['*', '_', '-', '#', '>', ' ']);
        let head = l.get(..7)?;
        if !head.eq_ignore_ascii_case("runbook") {
            return None;
        }
        let rest = l[7..].trim_start_matches(['*', '_', ' ']);
        let rest = match rest.get(..3) {
            Some(u) if u.eq_ignore_ascii_case("url") => &rest[3..],
            _ => rest,
        };
        let rest = rest.trim_start_matches(['*', '_', ' ']).strip_prefix(':')?;
        rest.split_whitespace()
            .map(|w| w.trim_start_matches(['<', '(', '*', '_']))
            .find(|w| w.starts_with("http://") || w.starts_with("https://"))
            .map(|w| {
                w.trim_end_matches(['>', ')', '*', '_', '.', ','])
                    .to_string()
            })
    })
}

/// Appends alert records into columns.
///
/// Fixed-width columns are plain vectors so an adapter that folds several
/// notifications into one occurrence (Alertmanager) can update a row it
/// already pushed; string columns are append-only Arrow builders.
pub struct AlertColumns {
    alert_id: StringChunkedBuilder,
    source: StringChunkedBuilder,
    dedup_key: StringChunkedBuilder,
    title: StringChunkedBuilder,
    service: StringChunkedBuilder,
    team: StringChunkedBuilder,
    severity: StringChunkedBuilder,
    urgency: StringChunkedBuilder,
    acknowledged_by: StringChunkedBuilder,
    resolved_by: StringChunkedBuilder,
    responders: ListStringChunkedBuilder,
    labels: StringChunkedBuilder,
    runbook: StringChunkedBuilder,
    /// Scratch space for the labels' JSON text.
    scratch: String,
    /// See [`s::PAGED`].
    pub paged: Vec<Option<bool>>,
    /// See [`s::TRIGGERED_AT`].
    pub triggered_at: Vec<i64>,
    /// See [`s::ACKNOWLEDGED_AT`].
    pub acknowledged_at: Vec<Option<i64>>,
    /// See [`s::RESOLVED_AT`].
    pub resolved_at: Vec<Option<i64>>,
    /// See [`s::AUTO_RESOLVED`].
    pub auto_resolved: Vec<Option<bool>>,
    /// See [`s::ESCALATIONS`].
    pub escalations: Vec<Option<u32>>,
    /// See [`s::NOTES`].
    pub notes: Vec<Option<u32>>,
    /// See [`s::REPEAT_COUNT`].
    pub repeat_count: Vec<Option<u32>>,
    /// See [`s::UPDATED_AT`]; `None` is filled at [`AlertColumns::finish`].
    pub updated_at: Vec<Option<i64>>,
}

fn sb(name: &'static str) -> StringChunkedBuilder {
    StringChunkedBuilder::new(PlSmallStr::from_static(name), 1024)
}

impl Default for AlertColumns {
    fn default() -> Self {
        AlertColumns::with_capacity(1024)
    }
}

impl AlertColumns {
    /// Columns with room for `rows` rows (a builder that will hold many
    /// rows does not copy them at each doubling).
    pub fn with_capacity(rows: usize) -> Self {
        let sb = |name| StringChunkedBuilder::new(PlSmallStr::from_static(name), rows);
        AlertColumns {
            alert_id: sb(s::ALERT_ID),
            source: sb(s::SOURCE),
            dedup_key: sb(s::DEDUP_KEY),
            title: sb(s::TITLE),
            service: sb(s::SERVICE),
            team: sb(s::TEAM),
            severity: sb(s::SEVERITY),
            urgency: sb(s::URGENCY),
            acknowledged_by: sb(s::ACKNOWLEDGED_BY),
            resolved_by: sb(s::RESOLVED_BY),
            responders: ListStringChunkedBuilder::new(
                PlSmallStr::from_static(s::RESPONDERS),
                rows,
                rows,
            ),
            labels: sb(s::LABELS),
            runbook: sb(s::RUNBOOK),
            scratch: String::new(),
            paged: Vec::with_capacity(rows),
            triggered_at: Vec::with_capacity(rows),
            acknowledged_at: Vec::with_capacity(rows),
            resolved_at: Vec::with_capacity(rows),
            auto_resolved: Vec::with_capacity(rows),
            escalations: Vec::with_capacity(rows),
            notes: Vec::with_capacity(rows),
            repeat_count: Vec::with_capacity(rows),
            updated_at: Vec::with_capacity(rows),
        }
    }

    /// Rows pushed so far.
    pub fn len(&self) -> usize {
        self.triggered_at.len()
    }

    /// No rows yet.
    pub fn is_empty(&self) -> bool {
        self.triggered_at.is_empty()
    }

    /// Append one record (its `team` already resolved); returns its row index.
    pub fn push(&mut self, source: &str, r: &AlertRecord) -> usize {
        let mut scratch = std::mem::take(&mut self.scratch);
        let labels = (!r.labels.is_empty()).then(|| {
            labels_json(&r.labels, &mut scratch);
            scratch.as_str()
        });
        let row = self.push_ref(
            source,
            &AlertRef {
                alert_id: &r.alert_id,
                dedup_key: r.dedup_key.as_deref(),
                title: r.title.as_deref(),
                service: r.service.as_deref(),
                team: r.team.as_deref(),
                severity: r.severity,
                urgency: r.urgency.as_deref(),
                paged: r.paged,
                triggered_at: r.triggered_at,
                acknowledged_at: r.acknowledged_at,
                resolved_at: r.resolved_at,
                acknowledged_by: r.acknowledged_by.as_deref(),
                resolved_by: r.resolved_by.as_deref(),
                auto_resolved: r.auto_resolved,
                escalations: r.escalations,
                notes: r.notes,
                repeat_count: r.repeat_count,
                responders: r.responders.as_deref(),
                labels,
                runbook: r.runbook.as_deref(),
                updated_at: r.updated_at,
            },
        );
        self.scratch = scratch;
        row
    }

    /// Append one row given by reference (its `team` already resolved);
    /// returns its row index.
    pub fn push_ref(&mut self, source: &str, r: &AlertRef<'_>) -> usize {
        self.alert_id.append_value(r.alert_id);
        self.source.append_value(source);
        self.dedup_key.append_option(r.dedup_key);
        self.title.append_option(r.title);
        self.service.append_option(r.service);
        self.team.append_option(r.team);
        self.severity.append_option(r.severity);
        self.urgency.append_option(r.urgency);
        self.acknowledged_by.append_option(r.acknowledged_by);
        self.resolved_by.append_option(r.resolved_by);
        match r.responders {
            Some(v) => self
                .responders
                .append_values_iter(v.iter().map(String::as_str)),
            None => self.responders.append_null(),
        }
        self.labels.append_option(r.labels);
        self.runbook.append_option(r.runbook);
        self.paged.push(r.paged);
        self.triggered_at.push(r.triggered_at);
        self.acknowledged_at.push(r.acknowledged_at);
        self.resolved_at.push(r.resolved_at);
        self.auto_resolved.push(r.auto_resolved);
        self.escalations.push(r.escalations);
        self.notes.push(r.notes);
        self.repeat_count.push(r.repeat_count);
        self.updated_at.push(r.updated_at);
        self.len() - 1
    }

    /// Build the canonical alerts frame, columns in [`s::alerts_schema`] order.
    pub fn finish(mut self) -> PolarsResult<DataFrame> {
        let n = self.len();
        let updated: Vec<Option<i64>> = (0..n)
            .map(|i| {
                self.updated_at[i].or_else(|| {
                    [self.acknowledged_at[i], self.resolved_at[i]]
                        .into_iter()
                        .flatten()
                        .chain(std::iter::once(self.triggered_at[i]))
                        .max()
                })
            })
            .collect();
        let columns = vec![
            self.alert_id.finish().into_series(),
            self.source.finish().into_series(),
            self.dedup_key.finish().into_series(),
            self.title.finish().into_series(),
            self.service.finish().into_series(),
            self.team.finish().into_series(),
            self.severity.finish().into_series(),
            self.urgency.finish().into_series(),
            bools(s::PAGED, self.paged),
            instants(s::TRIGGERED_AT, self.triggered_at.into_iter().map(Some)),
            instants(s::ACKNOWLEDGED_AT, self.acknowledged_at),
            instants(s::RESOLVED_AT, self.resolved_at),
            self.acknowledged_by.finish().into_series(),
            self.resolved_by.finish().into_series(),
            bools(s::AUTO_RESOLVED, self.auto_resolved),
            counts(s::ESCALATIONS, self.escalations),
            counts(s::NOTES, self.notes),
            counts(s::REPEAT_COUNT, self.repeat_count),
            self.responders.finish().into_series(),
            self.labels.finish().into_series(),
            self.runbook.finish().into_series(),
            instants(s::UPDATED_AT, updated),
        ];
        DataFrame::new(n, columns.into_iter().map(Column::from).collect())
    }
}

/// Appends incident records into columns.
pub struct IncidentColumns {
    incident_id: StringChunkedBuilder,
    source: StringChunkedBuilder,
    title: StringChunkedBuilder,
    severity: StringChunkedBuilder,
    service: StringChunkedBuilder,
    team: StringChunkedBuilder,
    status: StringChunkedBuilder,
    category: StringChunkedBuilder,
    started_at: Vec<i64>,
    resolved_at: Vec<Option<i64>>,
    updated_at: Vec<Option<i64>>,
}

impl Default for IncidentColumns {
    fn default() -> Self {
        IncidentColumns {
            incident_id: sb(s::INCIDENT_ID),
            source: sb(s::SOURCE),
            title: sb(s::TITLE),
            severity: sb(s::SEVERITY),
            service: sb(s::SERVICE),
            team: sb(s::TEAM),
            status: sb(s::STATUS),
            category: sb(s::CATEGORY),
            started_at: Vec::new(),
            resolved_at: Vec::new(),
            updated_at: Vec::new(),
        }
    }
}

impl IncidentColumns {
    /// Rows pushed so far.
    pub fn len(&self) -> usize {
        self.started_at.len()
    }

    /// No rows yet.
    pub fn is_empty(&self) -> bool {
        self.started_at.is_empty()
    }

    /// Append one record (its `team` already resolved).
    pub fn push(&mut self, source: &str, r: &IncidentRecord) {
        self.incident_id.append_value(&r.incident_id);
        self.source.append_value(source);
        self.title.append_option(r.title.as_deref());
        self.severity.append_option(r.severity);
        self.service.append_option(r.service.as_deref());
        self.team.append_option(r.team.as_deref());
        self.status.append_option(r.status.as_deref());
        self.category.append_option(r.category.as_deref());
        self.started_at.push(r.started_at);
        self.resolved_at.push(r.resolved_at);
        self.updated_at.push(
            r.updated_at
                .or_else(|| r.resolved_at.max(Some(r.started_at))),
        );
    }

    /// Build the canonical incidents frame.
    pub fn finish(self) -> PolarsResult<DataFrame> {
        let n = self.len();
        let columns = vec![
            self.incident_id.finish().into_series(),
            self.source.finish().into_series(),
            self.title.finish().into_series(),
            self.severity.finish().into_series(),
            self.service.finish().into_series(),
            self.team.finish().into_series(),
            self.status.finish().into_series(),
            self.category.finish().into_series(),
            instants(s::STARTED_AT, self.started_at.into_iter().map(Some)),
            instants(s::RESOLVED_AT, self.resolved_at),
            instants(s::UPDATED_AT, self.updated_at),
        ];
        DataFrame::new(n, columns.into_iter().map(Column::from).collect())
    }
}

/// One shift of an on-call schedule: who was on call, for which schedule
/// (and escalation policy and level, where the export says), from when to
/// when (µs, UTC).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ShiftRecord {
    /// See [`s::SCHEDULE`].
    pub schedule: Option<String>,
    /// See [`s::POLICY`].
    pub policy: Option<String>,
    /// See [`s::TEAM`]: the export's or the configuration's; else settled
    /// when the run knows its teams (a team whose name the schedule's or
    /// policy's name contains).
    pub team: Option<String>,
    /// See [`s::PERSON`].
    pub person: String,
    /// See [`s::ESCALATION_LEVEL`].
    pub level: Option<u32>,
    /// See [`s::STARTED_AT`].
    pub start: i64,
    /// See [`s::ENDED_AT`].
    pub end: i64,
}

impl ShiftRecord {
    /// The span of a shift with no start or no end (PagerDuty's permanent
    /// on-call): 1970-01-01 to 9999-12-31, µs.
    pub const ALWAYS: (i64, i64) = (0, 253_402_300_799_000_000);

    /// The shift, if it ends after it starts; else why not.
    pub fn checked(self) -> Result<ShiftRecord, String> {
        if self.end > self.start {
            Ok(self)
        } else {
            Err(format!(
                "the shift of {} ends ({}) before it starts ({})",
                self.person,
                crate::core::time::rfc3339_utc(self.end),
                crate::core::time::rfc3339_utc(self.start)
            ))
        }
    }

    /// Its key, [`s::SHIFT_ID`].
    pub fn id(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.schedule
                .as_deref()
                .or(self.team.as_deref())
                .unwrap_or(""),
            self.policy.as_deref().unwrap_or(""),
            self.person,
            self.start
        )
    }
}

/// The canonical shifts frame of `rows` ((source, shift) pairs).
pub fn shifts_frame(rows: &[(&str, ShiftRecord)]) -> PolarsResult<DataFrame> {
    let strs = |name: &'static str, f: &dyn Fn(&(&str, ShiftRecord)) -> Option<String>| {
        let ca: StringChunked = rows.iter().map(f).collect();
        ca.with_name(PlSmallStr::from_static(name)).into_series()
    };
    let level: UInt32Chunked = rows.iter().map(|(_, r)| r.level).collect();
    let columns = vec![
        strs(s::SHIFT_ID, &|(_, r)| Some(r.id())),
        strs(s::SOURCE, &|(src, _)| Some(src.to_string())),
        strs(s::SCHEDULE, &|(_, r)| r.schedule.clone()),
        strs(s::POLICY, &|(_, r)| r.policy.clone()),
        strs(s::TEAM, &|(_, r)| r.team.clone()),
        strs(s::PERSON, &|(_, r)| Some(r.person.clone())),
        level
            .with_name(PlSmallStr::from_static(s::ESCALATION_LEVEL))
            .into_series(),
        instants(s::STARTED_AT, rows.iter().map(|(_, r)| Some(r.start))),
        instants(s::ENDED_AT, rows.iter().map(|(_, r)| Some(r.end))),
        instants(s::UPDATED_AT, rows.iter().map(|_| None)),
    ];
    DataFrame::new(rows.len(), columns.into_iter().map(Column::from).collect())
}

pub(crate) fn instants(name: &'static str, v: impl IntoIterator<Item = Option<i64>>) -> Series {
    let ca: Int64Chunked = v.into_iter().collect();
    ca.with_name(PlSmallStr::from_static(name))
        .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
        .into_series()
}

pub(crate) fn bools(name: &'static str, v: Vec<Option<bool>>) -> Series {
    let ca: BooleanChunked = v.into_iter().collect();
    ca.with_name(PlSmallStr::from_static(name)).into_series()
}

pub(crate) fn counts(name: &'static str, v: Vec<Option<u32>>) -> Series {
    let ca: UInt32Chunked = v.into_iter().collect();
    ca.with_name(PlSmallStr::from_static(name)).into_series()
}

/// Write labels as a JSON object into `out`; values of a repeated key are
/// joined with `,` in the order given.
pub fn labels_json<K: AsRef<str>, V: AsRef<str>>(labels: &[(K, V)], out: &mut String) {
    out.clear();
    // Room for the text unescaped: no copy as it grows.
    out.reserve(
        2 + labels
            .iter()
            .map(|(k, v)| k.as_ref().len() + v.as_ref().len() + 6)
            .sum::<usize>(),
    );
    out.push('{');
    let key = |i: usize| labels[i].0.as_ref();
    if (1..labels.len()).all(|i| (0..i).all(|j| key(j) != key(i))) {
        // No key repeated (nearly always): one pass.
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json_string(k.as_ref(), out);
            out.push(':');
            json_string(v.as_ref(), out);
        }
        out.push('}');
        return;
    }
    let mut first = true;
    for (i, (k, _)) in labels.iter().enumerate() {
        let k = k.as_ref();
        if labels[..i].iter().any(|(k2, _)| k2.as_ref() == k) {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        json_string(k, out);
        out.push_str(":\"");
        let mut joined = false;
        for (_, v) in labels[i..].iter().filter(|(k2, _)| k2.as_ref() == k) {
            if joined {
                out.push(',');
            }
            joined = true;
            json_escape(v.as_ref(), out);
        }
        out.push('"');
    }
    out.push('}');
}

/// `s` as a JSON string literal, escaped as serde_json escapes.
fn json_string(s: &str, out: &mut String) {
    out.push('"');
    json_escape(s, out);
    out.push('"');
}

fn json_escape(s: &str, out: &mut String) {
    use std::fmt::Write;
    let mut rest = s;
    // Bytes, not chars (eight at a time): every byte that needs escaping is
    // ASCII, so where one is found is a char boundary.
    loop {
        let i = super::scan::special(rest.as_bytes(), 0);
        if i == rest.len() {
            break;
        }
        out.push_str(&rest[..i]);
        let c = rest[i..].chars().next().unwrap_or(' ');
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
        }
        rest = &rest[i + c.len_utf8()..];
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    #[test]
    fn runbook_lines() {
        use super::runbook_line as r;
        let want = Some("https://wiki.example.com/rb/db-lag".to_string());
        assert_eq!(
            r("DB lag on db-7\nRunbook: https://wiki.example.com/rb/db-lag"),
            want
        );
        assert_eq!(
            r("x\n  **Runbook:** <https://wiki.example.com/rb/db-lag>"),
            want
        );
        assert_eq!(
            r("- runbook_url: https://wiki.example.com/rb/db-lag."),
            want
        );
        assert_eq!(
            r("RUNBOOK URL: see https://wiki.example.com/rb/db-lag"),
            want
        );
        assert_eq!(r("Runbooks are at https://x"), None);
        assert_eq!(r("Runbook: none yet"), None);
        assert_eq!(r("see the runbook: https://x"), None);
        assert_eq!(r("Runbook"), None);
        assert_eq!(r("Rünbook: https://x"), None);
    }

    use super::*;

    #[test]
    fn labels_as_json() {
        let mut out = String::new();
        let l = |k: &str, v: &str| (k.to_string(), v.to_string());
        labels_json(
            &[l("team", "a"), l("x\"y", "1\n"), l("team", "b")],
            &mut out,
        );
        assert_eq!(out, r#"{"team":"a,b","x\"y":"1\n"}"#);
        // No key repeated (the one-pass way), and no label at all.
        labels_json(&[l("b", "2"), l("a", "\\"), l("ab", "")], &mut out);
        assert_eq!(out, r#"{"b":"2","a":"\\","ab":""}"#);
        labels_json::<&str, &str>(&[], &mut out);
        assert_eq!(out, "{}");
        // Every escape agrees with serde_json's.
        let hostile = "q\"b\\n\nr\rt\tb\u{8}f\u{c}z\u{1}\u{1f}é🙂";
        labels_json(&[(hostile, hostile)], &mut out);
        let want = serde_json::to_string(hostile).unwrap();
        assert_eq!(out, format!("{{{want}:{want}}}"));
    }
}
