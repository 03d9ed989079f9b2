//! PagerDuty incidents CSV, from "Analytics → Reports → Download CSV" or the
//! undocumented `GET /reports/raw/incidents.csv` (formats.md §1.1).
//!
//! Two layouts are read:
//! * the **advanced** 23-column report (`id, incident_number, description, …,
//!   urgency`): one alert per row, `alert_id` = the incident `id`;
//! * the **basic** 7-column report (`#, Service, Opened On, Resolved On,
//!   Resolved By, Duration, # Escalations`; `Resolve By` and `#Escalations`
//!   also read): `alert_id` = the incident number (`#`), as the basic report
//!   carries no id; it has no title, urgency or acknowledgement, which stay
//!   null. Times may end in ` UTC` (`2014-02-13 07:01:13 UTC`); `Duration`
//!   (`6 minutes`, `about 1 hour`) only stands in for a missing `Resolved
//!   On`; a name under `Resolved By` means a person resolved it.
//!
//! Assumptions, per formats.md's [?] marks: multi-valued user cells are split
//! on `,`, `;`, `|` and newlines; basic-report timestamps carry an offset or
//! are naive in `[sources.pagerduty] timezone`. `created_on`/`resolved_on`
//! carry the account's offset, so no zone is needed for the advanced report.
//! A file of exactly 20,000 rows is flagged: PagerDuty caps this export there.

use super::csvutil::{self, cell, RowError};
use super::time::{
    parse_duration_text, parse_instant, parse_instant_or_local, parse_naive, NAIVE_ISO,
};
use super::{AlertRecord, Ctx, Head, IngestError};

/// The advanced report's columns, in order.
pub const ADVANCED: [&str; 23] = [
    "id",
    "incident_number",
    "description",
    "service_id",
    "service_name",
    "escalation_policy_id",
    "escalation_policy_name",
    "created_on",
    "resolved_on",
    "seconds_to_first_ack",
    "seconds_to_resolve",
    "auto_resolved",
    "escalation_count",
    "auto_escalation_count",
    "acknowledge_count",
    "assignment_count",
    "acknowledged_by_user_ids",
    "acknowledged_by_user_names",
    "assigned_to_user_ids",
    "assigned_to_user_names",
    "resolved_by_user_id",
    "resolved_by_user_name",
    "urgency",
];

/// The basic report's columns, in order.
pub const BASIC: [&str; 7] = [
    "#",
    "Service",
    "Opened On",
    "Resolved On",
    "Resolved By",
    "Duration",
    "# Escalations",
];

/// PagerDuty's row cap for this export.
pub const ROW_CAP: u64 = 20_000;

/// This format, for [`super::Format::ALL`].
pub const VENDOR: super::Vendor = super::Vendor::new(
    "pagerduty-csv",
    "pagerduty",
    "PagerDuty incidents CSV report (advanced 23-column or basic 7-column)",
    sniff,
    read,
);

/// Sure when most of either layout's columns are in the header.
pub fn sniff(head: &Head) -> u8 {
    if head.is_json() {
        return 0;
    }
    let adv = head.header_hits(&ADVANCED);
    let basic = head.header_hits(&BASIC);
    if adv >= 8 {
        80 + (adv as u8).min(23) / 2
    } else if basic >= 4 {
        70 + basic as u8
    } else {
        0
    }
}

/// Read either layout.
pub fn read(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let head_is_basic = {
        let table = csvutil::open(ctx, &[])?;
        table.col("#").is_some() && table.col("Opened On").is_some() && table.col("id").is_none()
    };
    if head_is_basic {
        read_basic(ctx)
    } else {
        read_advanced(ctx)
    }
}

fn split_multi(v: Option<&str>) -> Vec<String> {
    v.map(|s| {
        s.split([',', ';', '|', '\n'])
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    })
    .unwrap_or_default()
}

fn parse_count(v: Option<&str>, what: &str) -> Result<Option<u32>, String> {
    v.map(|s| {
        s.parse::<u32>()
            .map_err(|_| format!("{what} is not a whole number: {s:?}"))
    })
    .transpose()
}

fn parse_secs(v: Option<&str>, what: &str) -> Result<Option<i64>, String> {
    v.map(|s| {
        s.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x >= 0.0)
            .map(|x| (x * 1e6).round() as i64)
            .ok_or_else(|| format!("{what} is not a number of seconds: {s:?}"))
    })
    .transpose()
}

fn parse_flag(v: Option<&str>) -> Option<bool> {
    match v?.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" => Some(true),
        "0" | "false" | "no" => Some(false),
        _ => None,
    }
}

struct Advanced {
    id: Option<usize>,
    number: Option<usize>,
    description: Option<usize>,
    service_name: Option<usize>,
    ep_name: Option<usize>,
    created_on: Option<usize>,
    resolved_on: Option<usize>,
    to_ack: Option<usize>,
    to_resolve: Option<usize>,
    auto_resolved: Option<usize>,
    escalations: Option<usize>,
    acked_names: Option<usize>,
    assigned_names: Option<usize>,
    resolved_by: Option<usize>,
    urgency: Option<usize>,
}

fn read_advanced(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let table = csvutil::open(ctx, &["id", "created_on"])?;
    let c = Advanced {
        id: table.col("id"),
        number: table.col("incident_number"),
        description: table.col("description"),
        service_name: table.col("service_name"),
        ep_name: table.col("escalation_policy_name"),
        created_on: table.col("created_on"),
        resolved_on: table.col("resolved_on"),
        to_ack: table.col("seconds_to_first_ack"),
        to_resolve: table.col("seconds_to_resolve"),
        auto_resolved: table.col("auto_resolved"),
        escalations: table.col("escalation_count"),
        acked_names: table.col("acknowledged_by_user_names"),
        assigned_names: table.col("assigned_to_user_names"),
        resolved_by: table.col("resolved_by_user_name"),
        urgency: table.col("urgency"),
    };
    let paging: Vec<String> = ctx.config.paging.pagerduty_urgencies.clone();
    let (n, _) = csvutil::parallel_rows(ctx, table, |rec| {
        advanced_record(rec, &c, &paging).map(|r| super::Parsed::Alert(r, false))
    })?;
    note_cap(ctx, n);
    Ok(())
}

fn note_cap(ctx: &mut Ctx<'_>, rows: u64) {
    if rows == ROW_CAP {
        ctx.report.notes.push(format!(
            "exactly {ROW_CAP} rows: PagerDuty caps this export at {ROW_CAP}, so it is probably \
             truncated; export shorter date ranges"
        ));
    }
}

fn advanced_record(
    rec: &csv::StringRecord,
    c: &Advanced,
    paging: &[String],
) -> Result<AlertRecord, String> {
    let id = cell(rec, c.id).ok_or("empty `id`")?;
    let created_raw = cell(rec, c.created_on).ok_or("empty `created_on`")?;
    let created = parse_instant(created_raw).map_err(|e| format!("created_on: {e}"))?;
    let to_ack = parse_secs(cell(rec, c.to_ack), "seconds_to_first_ack")?;
    let to_resolve = parse_secs(cell(rec, c.to_resolve), "seconds_to_resolve")?;
    let resolved = match cell(rec, c.resolved_on) {
        Some(raw) => Some(parse_instant(raw).map_err(|e| format!("resolved_on: {e}"))?),
        None => to_resolve.map(|d| created + d),
    };
    if let Some(r) = resolved {
        if r < created {
            return Err("resolved_on is before created_on".into());
        }
    }
    let acked_by = split_multi(cell(rec, c.acked_names));
    let mut responders = split_multi(cell(rec, c.assigned_names));
    for a in &acked_by {
        if !responders.contains(a) {
            responders.push(a.clone());
        }
    }
    let resolved_by = cell(rec, c.resolved_by).map(str::to_string);
    let auto_resolved = parse_flag(cell(rec, c.auto_resolved)).or_else(|| {
        // Without the flag, a named resolver means a person did it.
        resolved.and(resolved_by.as_ref().map(|_| false))
    });
    let urgency = cell(rec, c.urgency).map(str::to_ascii_lowercase);
    let mut labels = Vec::new();
    if let Some(n) = cell(rec, c.number) {
        labels.push(("incident_number".to_string(), n.to_string()));
    }
    if let Some(ep) = cell(rec, c.ep_name) {
        labels.push(("escalation_policy".to_string(), ep.to_string()));
    }
    Ok(AlertRecord {
        alert_id: id.to_string(),
        dedup_key: None,
        title: cell(rec, c.description).map(str::to_string),
        service: cell(rec, c.service_name).map(str::to_string),
        team: None,
        severity: None,
        paged: urgency
            .as_ref()
            .map(|u| paging.iter().any(|p| p.eq_ignore_ascii_case(u))),
        urgency,
        triggered_at: created,
        acknowledged_at: to_ack.map(|d| created + d),
        resolved_at: resolved,
        acknowledged_by: acked_by.first().cloned(),
        resolved_by,
        auto_resolved,
        escalations: parse_count(cell(rec, c.escalations), "escalation_count")?,
        notes: None,
        repeat_count: None,
        responders: Some(responders),
        labels,
        runbook: cell(rec, c.description).and_then(super::record::runbook_line),
        updated_at: None,
    })
}

fn read_basic(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let mut table = csvutil::open(ctx, &["#", "Opened On"])?;
    let id = table.col("#");
    let service = table.col("Service");
    let opened = table.col("Opened On");
    let resolved_on = table.col("Resolved On");
    let resolve_by = table.col("Resolved By").or_else(|| table.col("Resolve By"));
    let duration = table.col("Duration");
    let escalations = table
        .col("# Escalations")
        .or_else(|| table.col("#Escalations"));
    let tz = ctx.config.source_timezone("pagerduty");
    let when = |ctx: &Ctx<'_>, raw: &str, what: &str| -> Result<i64, RowError> {
        parse_instant_or_local(raw, tz, NAIVE_ISO).map_err(|e| {
            if tz.is_none() && parse_naive(raw, NAIVE_ISO).is_some() {
                RowError::Fatal(
                    ctx.naive_zone(raw)
                        .err()
                        .unwrap_or_else(|| ctx.malformed(e)),
                )
            } else {
                RowError::Reject(format!("{what}: {e}"))
            }
        })
    };
    let n = csvutil::for_each_row(ctx, &mut table, |ctx, rec| {
        let number = cell(rec, id).ok_or("empty `#`")?;
        let start = when(
            ctx,
            cell(rec, opened).ok_or("empty `Opened On`")?,
            "Opened On",
        )?;
        let resolved = match cell(rec, resolved_on) {
            Some(raw) => Some(when(ctx, raw, "Resolved On")?),
            None => cell(rec, duration)
                .and_then(parse_duration_text)
                .map(|d| start + d),
        };
        let r = AlertRecord {
            alert_id: number.to_string(),
            service: cell(rec, service).map(str::to_string),
            triggered_at: start,
            resolved_at: resolved,
            resolved_by: cell(rec, resolve_by).map(str::to_string),
            escalations: parse_count(cell(rec, escalations), "# Escalations")?,
            // A named resolver is a person; an empty cell says nothing.
            auto_resolved: cell(rec, resolve_by).map(|_| false),
            ..AlertRecord::default()
        };
        ctx.push_alert(r);
        Ok(())
    })?;
    note_cap(ctx, n);
    Ok(())
}
