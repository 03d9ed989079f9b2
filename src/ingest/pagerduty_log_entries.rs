//! PagerDuty `GET /log_entries` and `GET /incidents/{id}/log_entries` JSON
//! pages (formats.md §1.3).
//!
//! Log entries produce no rows of their own: they are indexed by incident id
//! and complete the REST incidents read in the same run with what the
//! incident object no longer shows once resolved — the first acknowledgement,
//! whether a person or the integration resolved it, escalations, notes and
//! the people notified. The wire type is `acknowledge_log_entry` (the OpenAPI
//! enum's `acknowledgement_log_entry` is accepted too). A resolve by an agent
//! of type `service_reference`, or on channel `auto`/`timeout`, is a resolve
//! by the integration.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use super::json::{read_records, JsonEvent};
use super::time::parse_instant;
use super::{Ctx, Head, IngestError};

/// What the log says about one incident.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct IncidentLog {
    /// First acknowledgement.
    pub first_ack: Option<(i64, String)>,
    /// The last resolve: when, by whom, and whether by the integration.
    pub resolve: Option<(i64, Option<String>, bool)>,
    /// `escalate_log_entry` count.
    pub escalations: u32,
    /// `annotate_log_entry` count.
    pub notes: u32,
    /// People notified, assigned or acknowledging, first-seen order.
    pub people: Vec<String>,
}

/// Log entries by incident id.
#[derive(Debug, Default)]
pub struct LogIndex {
    by_incident: HashMap<String, IncidentLog>,
    used: HashSet<String>,
}

impl LogIndex {
    /// The log of incident `id`, marking it used.
    pub fn take(&mut self, id: &str) -> Option<IncidentLog> {
        let log = self.by_incident.get(id).cloned();
        if log.is_some() {
            self.used.insert(id.to_string());
        }
        log
    }

    /// Incidents with log entries that no input's incident claimed.
    pub fn unmatched_incidents(&self) -> usize {
        self.by_incident.len() - self.used.len()
    }
}

#[derive(Deserialize)]
struct Ref {
    #[serde(default, deserialize_with = "super::json::opt_text")]
    id: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    summary: Option<String>,
    /// REST v1 references carry a `name`, not a `summary`.
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct Channel {
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct Assignee {
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(rename = "type")]
    kind: String,
    created_at: String,
    incident: Ref,
    #[serde(default)]
    agent: Option<Ref>,
    #[serde(default)]
    channel: Option<Channel>,
    #[serde(default)]
    user: Option<Ref>,
    #[serde(default)]
    assignees: Vec<Assignee>,
}

/// The keys whose value holds the entries: a list page, or a single
/// `GET /log_entries/{id}` response.
const ENVELOPE: &[&str] = &["log_entries", "log_entry"];

/// This format, for [`super::Format::ALL`].
pub const VENDOR: super::Vendor = super::Vendor {
    feeds_others: true,
    ..super::Vendor::new(
        "pagerduty-log-entries",
        "pagerduty",
        "PagerDuty REST GET /log_entries (v2 and v1), read with the incidents",
        sniff,
        read,
    )
};

/// Sure when the head holds `log_entries`, or entries' `*_log_entry` types
/// as values (an incident's `first_trigger_log_entry` key is not one).
pub fn sniff(head: &Head) -> u8 {
    let typed = head
        .text
        .match_indices("_log_entry\"")
        .any(|(i, m)| !head.text[i + m.len()..].trim_start().starts_with(':'));
    if head.is_json() && (head.has_key("log_entries") || head.has_key("log_entry") || typed) {
        95
    } else {
        0
    }
}

/// Index every entry by incident.
pub fn read(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let reader = ctx.open()?;
    let result = read_records(reader, ENVELOPE, &[], &mut |ev| match ev {
        JsonEvent::Record(at, raw) => {
            ctx.report.records = at.n;
            let outcome = super::json::from_record::<Entry>(raw)
                .map_err(|e| e.to_string())
                .and_then(|e| index_entry(&mut ctx.sink.pd_log, e));
            if let Err(reason) = outcome {
                ctx.reject_json(at, reason, raw);
            }
        }
        JsonEvent::Bad(at, why, raw) => ctx.reject_json(at, why, raw),
        _ => {}
    });
    ctx.finish_json(result)
}

fn person(r: &Option<Ref>) -> Option<String> {
    r.as_ref()
        .filter(|a| a.kind.as_deref().is_none_or(|k| k.starts_with("user")))
        .and_then(|a| a.summary.clone().or_else(|| a.name.clone()))
}

fn index_entry(index: &mut LogIndex, e: Entry) -> Result<(), String> {
    let at = parse_instant(&e.created_at).map_err(|m| format!("created_at: {m}"))?;
    let id = e
        .incident
        .id
        .clone()
        .ok_or("log entry without incident.id")?;
    let log = index.by_incident.entry(id).or_default();
    let kind = e.kind.trim_end_matches("_reference");
    let kind = kind.strip_suffix("_log_entry").unwrap_or(kind);
    let add = |p: Option<String>, log: &mut IncidentLog| {
        if let Some(p) = p {
            if !log.people.contains(&p) {
                log.people.push(p);
            }
        }
    };
    match kind {
        "acknowledge" | "acknowledgement" => {
            let who = person(&e.agent).unwrap_or_default();
            if log.first_ack.as_ref().is_none_or(|(t, _)| at < *t) {
                log.first_ack = Some((at, who.clone()));
            }
            add(Some(who).filter(|w| !w.is_empty()), log);
        }
        "resolve" => {
            let by_service = e
                .agent
                .as_ref()
                .and_then(|a| a.kind.as_deref())
                .is_some_and(|k| k.starts_with("service") || k.starts_with("integration"))
                || e.channel
                    .as_ref()
                    .and_then(|c| c.kind.as_deref())
                    .is_some_and(|k| k == "auto" || k == "timeout");
            let who = if by_service { None } else { person(&e.agent) };
            if log.resolve.as_ref().is_none_or(|(t, _, _)| at >= *t) {
                log.resolve = Some((at, who, by_service));
            }
        }
        "escalate" => {
            log.escalations += 1;
            for a in e.assignees {
                add(a.summary.or(a.name), log);
            }
        }
        "assign" | "delegate" => {
            for a in e.assignees {
                add(a.summary.or(a.name), log);
            }
        }
        "notify" => add(e.user.and_then(|u| u.summary.or(u.name)), log),
        "annotate" => log.notes += 1,
        _ => {}
    }
    Ok(())
}
