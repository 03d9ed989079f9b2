//! Jira Service Management Operations alerts, `GET /jsm/ops/api/{cloudId}/v1/alerts`
//! (formats-more.md §9.1): Opsgenie's alert model under another envelope
//! and other names — `{values: [...], links: {next}, count}`, `seen` for
//! `isSeen`, `lastOccuredAt` (one "r", as the API spells it), the
//! integration flat (`integrationType`, `integrationName`), `extraProperties`
//! for `details`, and **`ackTime`/`closeTime` as timestamps** where
//! Opsgenie's `report` holds milliseconds after creation. Each alert is
//! turned into Opsgenie's and mapped by the Opsgenie adapter, so a team's
//! Opsgenie and JSM histories are read alike across the migration (same
//! priorities, `[paging] opsgenie_priorities`, same tags to teams and
//! services); their `source` is `jsm` (JSM gives alerts new ids). Pages
//! appended, bare arrays and one `GET /v1/alerts/{id}` (with `report`) are
//! read. The API caps a listing at 20,000 alerts (offset + size): a file
//! of exactly that many is noted.

use serde::Deserialize;

use super::opsgenie::{self, Alert, Integration, Report, Responder};
use super::time::parse_instant;
use super::{Ctx, Head, IngestError, Parsed};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsmAlert {
    id: String,
    #[serde(default)]
    alias: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    acknowledged: Option<bool>,
    created_at: String,
    #[serde(default)]
    updated_at: Option<String>,
    #[serde(default, deserialize_with = "super::json::opt_num")]
    count: Option<u32>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    priority: Option<String>,
    #[serde(default)]
    responders: Vec<Responder>,
    #[serde(default)]
    integration_name: Option<String>,
    #[serde(default)]
    integration_type: Option<String>,
    /// Timestamps here (Opsgenie: milliseconds after creation).
    #[serde(default)]
    ack_time: Option<String>,
    #[serde(default)]
    close_time: Option<String>,
    #[serde(default)]
    report: Option<JsmReport>,
    #[serde(default)]
    extra_properties: Option<std::collections::BTreeMap<String, serde_json::Value>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct JsmReport {
    acknowledged_by: Option<String>,
    closed_by: Option<String>,
}

/// The most alerts one listing returns (offset + size under 20,000).
const LIST_CAP: u64 = 20_000;

/// This format, for [`super::Format::ALL`].
pub const VENDOR: super::Vendor = super::Vendor {
    folds_repeats: true,
    ..super::Vendor::new(
        "jsm",
        "jsm",
        "Jira Service Management Operations alerts (GET /v1/alerts pages, one alert); severity as Opsgenie's priorities: P1 critical, P2 error, P3 warning, P4/P5 info",
        sniff,
        read,
    )
};

/// Sure when the head has JSM's own spellings (`lastOccuredAt`, or
/// `integrationType` beside `tinyId`): surer than Opsgenie's guess.
pub fn sniff(head: &Head) -> u8 {
    if head.is_json()
        && (head.has_key("lastOccuredAt")
            || (head.has_key("integrationType") && head.has_key("tinyId")))
    {
        94
    } else {
        0
    }
}

/// Read every alert.
pub fn read(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let config = ctx.config;
    ctx.track_repeats();
    let counts = super::json_records_parallel(ctx, &["values", "data"], |raw| {
        serde_json::from_str::<JsmAlert>(raw)
            .map_err(|e| format!("not a JSM alert: {e}"))
            .and_then(as_opsgenie)
            .and_then(|a| opsgenie::to_record(config, a))
            .map(|(record, no_close_time)| Parsed::Alert(record, no_close_time))
    })?;
    if counts.flagged > 0 {
        ctx.report.notes.push(format!(
            "{} closed alert(s) had no closeTime: resolved_at taken from updatedAt",
            counts.flagged
        ));
    }
    if ctx.repeats() > 0 {
        ctx.report.notes.push(format!(
            "{} record(s) repeat an alert id read before in this file (pages that overlap): one copy of each is kept",
            ctx.repeats()
        ));
    }
    if ctx.report.records == LIST_CAP {
        ctx.report.notes.push(format!(
            "exactly {LIST_CAP} alerts: JSM lists at most that many (offset + size); window the export by createdAt"
        ));
    }
    Ok(())
}

/// The alert as Opsgenie's: absolute `ackTime`/`closeTime` as milliseconds
/// after `createdAt`.
fn as_opsgenie(j: JsmAlert) -> Result<Alert, String> {
    let created = parse_instant(&j.created_at).map_err(|e| format!("createdAt: {e}"))?;
    let after = |t: Option<&str>, what: &str| -> Result<Option<f64>, String> {
        t.filter(|s| !s.is_empty())
            .map(|s| {
                parse_instant(s)
                    .map(|v| (v - created) as f64 / 1000.0)
                    .map_err(|e| format!("{what}: {e}"))
            })
            .transpose()
    };
    let report = j.report.unwrap_or_default();
    let mut labels_from = j.extra_properties.unwrap_or_default();
    if let Some(kind) = j.integration_type {
        labels_from.insert("integration_type".into(), serde_json::Value::String(kind));
    }
    Ok(Alert {
        id: j.id,
        alias: j.alias,
        message: j.message,
        description: j.description,
        status: j.status,
        acknowledged: j.acknowledged,
        created_at: j.created_at,
        updated_at: j.updated_at,
        count: j.count,
        tags: j.tags,
        source: j.source,
        owner: j.owner.filter(|o| !o.is_empty()),
        priority: j.priority,
        responders: j.responders,
        integration: Some(Integration {
            name: j.integration_name,
        }),
        report: Some(Report {
            ack_time: after(j.ack_time.as_deref(), "ackTime")?,
            close_time: after(j.close_time.as_deref(), "closeTime")?,
            acknowledged_by: report.acknowledged_by,
            closed_by: report.closed_by,
        }),
        details: Some(labels_from),
    })
}
