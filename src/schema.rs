//! The canonical model: column names, their types, and the normalised values.
//!
//! Every stage names columns through these constants, never through string
//! literals, so a renamed column is one edit. Two tables exist:
//!
//! * **alerts** — one row per alert occurrence, keyed by `(source, alert_id)`.
//! * **incidents** — one row per incident-tracker record, keyed by
//!   `(source, incident_id)`.
//!
//! Instants are `Datetime(Microseconds, "UTC")`. A column is null where the
//! vendor does not say; nothing is invented.

use polars::prelude::{DataType, Field, PlSmallStr, Schema, TimeUnit, TimeZone};

// ---------------------------------------------------------------- alerts ---

/// The vendor's own id: PagerDuty incident id, Opsgenie alert id, Grafana
/// alert group id; for Alertmanager `<fingerprint>@<startsAt as RFC 3339 UTC>`.
pub const ALERT_ID: &str = "alert_id";
/// The format the record came from (`pagerduty_csv`, `opsgenie`, …).
pub const SOURCE: &str = "source";
/// The vendor's de-duplication key: PagerDuty `incident_key`, Opsgenie
/// `alias`, Alertmanager `fingerprint`.
pub const DEDUP_KEY: &str = "dedup_key";
/// The alert title as the vendor shows it.
pub const TITLE: &str = "title";
/// The service the alert belongs to.
pub const SERVICE: &str = "service";
/// The owning team: the vendor's own field, else the config's `services` lists.
pub const TEAM: &str = "team";
/// Normalised severity: one of [`SEVERITIES`].
pub const SEVERITY: &str = "severity";
/// The vendor's urgency or priority as given (`high`, `low`, `P1`, …).
pub const URGENCY: &str = "urgency";
/// Did it notify a person on a paging channel.
pub const PAGED: &str = "paged";
/// When the alert fired (UTC).
pub const TRIGGERED_AT: &str = "triggered_at";
/// First acknowledgement (UTC); null if never acknowledged or unknown.
pub const ACKNOWLEDGED_AT: &str = "acknowledged_at";
/// When the alert resolved (UTC); null while still open.
pub const RESOLVED_AT: &str = "resolved_at";
/// Who acknowledged it first.
pub const ACKNOWLEDGED_BY: &str = "acknowledged_by";
/// Who resolved it (a person); null when resolved by the integration.
pub const RESOLVED_BY: &str = "resolved_by";
/// Resolved by the integration (the monitoring tool), not by a person.
pub const AUTO_RESOLVED: &str = "auto_resolved";
/// Number of escalations.
pub const ESCALATIONS: &str = "escalations";
/// Number of notes (annotations) people left on it.
pub const NOTES: &str = "notes";
/// How many times the vendor saw it fire (Opsgenie `count`, PagerDuty
/// `alert_counts.all`, Alertmanager notifications received).
pub const REPEAT_COUNT: &str = "repeat_count";
/// People notified, assigned or who acknowledged, in the order the vendor gives.
pub const RESPONDERS: &str = "responders";
/// Key/value pairs as a JSON object text, `{"alertname":"X","team":"y"}`:
/// Alertmanager labels, Opsgenie tags (`key:value` split, a bare tag has an
/// empty value; values of a repeated key are joined with `,`), Grafana labels.
/// Null when the record has none. Text rather than a nested column: every
/// engine reads it (`json_extract`, `str.json_decode`, `json.loads`), and it
/// sorts, gathers and writes as fast as any string.
pub const LABELS: &str = "labels";
/// A link to the alert's runbook, as its export carries it: an
/// Alertmanager or Grafana `runbook_url` (or `runbook`) annotation in any
/// notification of the occurrence, an Opsgenie `details` entry `runbook`
/// or `runbook_url` (or a `Runbook: <url>` line of the description), a
/// PagerDuty description or body line `Runbook: <url>`, New Relic's
/// `runbookUrl`. Null when none was seen.
pub const RUNBOOK: &str = "runbook";
/// The vendor's last-update time, else the latest instant known for the
/// record. When two exports hold the same alert, the store keeps the copy with
/// the later `updated_at` (ties: the one ingested last).
pub const UPDATED_AT: &str = "updated_at";
/// Ingest only, never stored: on rows an adapter hands on before some of
/// their fields are settled (Alertmanager's fold), the row of
/// `ingest::LateFields` that holds those fields.
pub const OCCURRENCE: &str = "__occurrence";

// ------------------------------------------------------ classify (issue 3) ---

/// The title with its variable parts replaced by `<*>`.
pub const TEMPLATE: &str = "template";
/// A stable id of the template text (16 hex digits).
pub const TEMPLATE_ID: &str = "template_id";
/// `actionable` or `noise`: a human tag where given, else the model's.
pub const LABEL: &str = "label";
/// How sure the model is that the alert is noise, 0–1.
pub const SCORE: &str = "score";
/// The noise reason codes that apply (list of strings).
pub const REASONS: &str = "reasons";
/// Id of the first alert of the alert's storm episode (its lead).
pub const EPISODE_ID: &str = "episode_id";
/// `alert_id` of the episode's lead (the same as `episode_id`).
pub const EPISODE_LEAD: &str = "episode_lead";
/// Pages of the alert's rule (template) in the whole history.
pub const RULE_PAGES: &str = "rule_pages";
/// Of them, pages that led to work (an incident overlap that counts, a
/// person resolving, an escalation, a note).
pub const RULE_WORK_PAGES: &str = "rule_work_pages";
/// Of them, how many would overlap an incident by chance: the sum over its
/// pages of the share of the history that the incidents of the page's
/// service and team cover (from the overlap's lead to their end).
pub const RULE_CHANCE_PAGES: &str = "rule_chance_pages";
/// RECURRING evidence: days of the window around the alert's own on which
/// the template fired at about this local time of day.
pub const RECURRING_DAYS: &str = "recurring_days";
/// RECURRING evidence: over the whole history, the days the template fired
/// at about this local time of day over one plus the mean at seven other
/// times of day (a nightly job: high; a template firing around the clock:
/// about 1).
pub const RECURRING_CONTRAST: &str = "recurring_contrast";
/// FLAPPING evidence: seconds from the previous occurrence of the same
/// identity clearing to this one firing (null: none, or still open).
pub const CLEAR_GAP_S: &str = "clear_gap_s";

// ------------------------------------------------------------- incidents ---

/// The tracker's id (ServiceNow `number`, incident.io `id`).
pub const INCIDENT_ID: &str = "incident_id";
/// When the incident started (UTC).
pub const STARTED_AT: &str = "started_at";
/// The tracker's status as given (`Closed`, `resolved`, …).
pub const STATUS: &str = "status";
/// The tracker's category of the incident, where it has one (ServiceNow
/// `category`): a repeat incident is of the same service and, where both
/// have one, the same category.
pub const CATEGORY: &str = "category";

/// A shift's key: `schedule|person|start` (a schedule exported again with
/// a shift cut short by an override updates it).
pub const SHIFT_ID: &str = "shift_id";
/// The schedule a shift belongs to (its name, else its id).
pub const SCHEDULE: &str = "schedule";
/// The escalation policy the schedule serves (PagerDuty `/oncalls`), if given.
pub const POLICY: &str = "policy";
/// Who held a shift.
pub const PERSON: &str = "person";
/// When a shift ended (UTC).
pub const ENDED_AT: &str = "ended_at";
/// The escalation level a shift is on (1 first; PagerDuty `/oncalls`).
pub const ESCALATION_LEVEL: &str = "escalation_level";

/// The normalised severities, most severe first.
pub const SEVERITIES: [&str; 4] = ["critical", "error", "warning", "info"];

fn utc() -> DataType {
    DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
}

fn schema_of(cols: &[(&'static str, DataType)]) -> Schema {
    cols.iter()
        .map(|(name, dt)| Field::new(PlSmallStr::from_static(name), dt.clone()))
        .collect()
}

/// The canonical alerts schema, in column order.
pub fn alerts_schema() -> Schema {
    schema_of(&[
        (ALERT_ID, DataType::String),
        (SOURCE, DataType::String),
        (DEDUP_KEY, DataType::String),
        (TITLE, DataType::String),
        (SERVICE, DataType::String),
        (TEAM, DataType::String),
        (SEVERITY, DataType::String),
        (URGENCY, DataType::String),
        (PAGED, DataType::Boolean),
        (TRIGGERED_AT, utc()),
        (ACKNOWLEDGED_AT, utc()),
        (RESOLVED_AT, utc()),
        (ACKNOWLEDGED_BY, DataType::String),
        (RESOLVED_BY, DataType::String),
        (AUTO_RESOLVED, DataType::Boolean),
        (ESCALATIONS, DataType::UInt32),
        (NOTES, DataType::UInt32),
        (REPEAT_COUNT, DataType::UInt32),
        (RESPONDERS, DataType::List(Box::new(DataType::String))),
        (LABELS, DataType::String),
        (RUNBOOK, DataType::String),
        (UPDATED_AT, utc()),
    ])
}

/// The canonical incidents schema, in column order.
pub fn incidents_schema() -> Schema {
    schema_of(&[
        (INCIDENT_ID, DataType::String),
        (SOURCE, DataType::String),
        (TITLE, DataType::String),
        (SEVERITY, DataType::String),
        (SERVICE, DataType::String),
        (TEAM, DataType::String),
        (STATUS, DataType::String),
        (CATEGORY, DataType::String),
        (STARTED_AT, utc()),
        (RESOLVED_AT, utc()),
        (UPDATED_AT, utc()),
    ])
}

/// The canonical schedule shifts schema (`schedules.parquet`), in column
/// order: who was on call for which team, when.
pub fn shifts_schema() -> Schema {
    schema_of(&[
        (SHIFT_ID, DataType::String),
        (SOURCE, DataType::String),
        (SCHEDULE, DataType::String),
        (POLICY, DataType::String),
        (TEAM, DataType::String),
        (PERSON, DataType::String),
        (ESCALATION_LEVEL, DataType::UInt32),
        (STARTED_AT, utc()),
        (ENDED_AT, utc()),
        (UPDATED_AT, utc()),
    ])
}

/// A Zabbix severity (0 Not classified, 1 Information, 2 Warning, 3
/// Average, 4 High, 5 Disaster) as one of [`SEVERITIES`]. A choice, not
/// Zabbix's: Disaster → critical, High → error, Average and Warning →
/// warning, Information and Not classified → info.
pub fn zabbix_severity(level: u8) -> Option<&'static str> {
    match level {
        5 => Some("critical"),
        4 => Some("error"),
        2 | 3 => Some("warning"),
        0 | 1 => Some("info"),
        _ => None,
    }
}

/// A Datadog monitor alert's severity, as one of [`SEVERITIES`]. A choice,
/// not Datadog's (monitors have a priority and an alert type, no severity):
/// the monitor priority first — P1 critical, P2 error, P3 warning, P4 and
/// P5 info (also written `1`…`5`) — else the event's alert type or status:
/// error (and failure) error, warning (warn) warning, info info. A
/// recovery (`success`, `ok`) is not a severity.
pub fn datadog_severity(priority: Option<&str>, alert_type: Option<&str>) -> Option<&'static str> {
    let by_priority = priority.and_then(|p| {
        let p = p.trim().to_ascii_lowercase();
        let n = p.strip_prefix('p').unwrap_or(&p);
        match n {
            "1" => Some("critical"),
            "2" => Some("error"),
            "3" => Some("warning"),
            "4" | "5" => Some("info"),
            _ => None,
        }
    });
    by_priority.or_else(|| match alert_type?.trim().to_ascii_lowercase().as_str() {
        "error" | "failure" => Some("error"),
        "warning" | "warn" => Some("warning"),
        "info" => Some("info"),
        _ => None,
    })
}

/// A Datadog Incident Management severity (`SEV-0` … `SEV-5`, `UNKNOWN`)
/// as one of [`SEVERITIES`]. A choice: SEV-0 and SEV-1 critical, SEV-2
/// error, SEV-3 warning, SEV-4 and SEV-5 info, UNKNOWN none.
pub fn datadog_incident_severity(raw: &str) -> Option<&'static str> {
    let n = raw.trim().to_ascii_uppercase();
    match n.strip_prefix("SEV-").or_else(|| n.strip_prefix("SEV"))? {
        "0" | "1" => Some("critical"),
        "2" => Some("error"),
        "3" => Some("warning"),
        "4" | "5" => Some("info"),
        _ => None,
    }
}

/// Normalise a vendor severity or priority to one of [`SEVERITIES`].
///
/// Accepts the Alertmanager/PagerDuty words, Opsgenie and PagerDuty
/// priorities (`P1` critical, `P2` error, `P3` warning, `P4`/`P5` info) and
/// ServiceNow's `1 - Critical` style. Anything else is `None`: the raw value
/// stays in the record's labels or urgency.
pub fn normalise_severity(raw: &str) -> Option<&'static str> {
    // Most exports write one of the names as it is: no copy for those.
    if let Some(known) = severity_of(raw) {
        return Some(known);
    }
    let s = raw.trim();
    // ServiceNow "1 - Critical", "3 - Moderate": use the number.
    let head = s.split(" - ").next().unwrap_or(s).trim();
    severity_of(&head.to_ascii_lowercase())
}

/// The normalised severity a lower-case name stands for.
fn severity_of(lower: &str) -> Option<&'static str> {
    Some(match lower {
        "critical" | "crit" | "fatal" | "emergency" | "emerg" | "alert" | "page" | "disaster"
        | "p1" | "1" | "sev1" | "sev0" => "critical",
        "error" | "err" | "major" | "p2" | "2" | "sev2" => "error",
        "warning" | "warn" | "minor" | "average" | "p3" | "3" | "sev3" => "warning",
        "info" | "informational" | "information" | "notice" | "debug" | "none" | "ok" | "p4"
        | "p5" | "4" | "5" | "sev4" | "sev5" | "planning" => "info",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_normalise() {
        assert_eq!(normalise_severity("critical"), Some("critical"));
        assert_eq!(normalise_severity("P1"), Some("critical"));
        assert_eq!(normalise_severity("P2"), Some("error"));
        assert_eq!(normalise_severity("P3"), Some("warning"));
        assert_eq!(normalise_severity("P5"), Some("info"));
        assert_eq!(normalise_severity("1 - Critical"), Some("critical"));
        assert_eq!(normalise_severity("3 - Moderate"), Some("warning"));
        assert_eq!(normalise_severity(" Warning "), Some("warning"));
        assert_eq!(normalise_severity("bogus"), None);
    }

    #[test]
    fn schemas_have_unique_columns() {
        assert_eq!(alerts_schema().len(), 22);
        assert_eq!(incidents_schema().len(), 11);
    }
}
