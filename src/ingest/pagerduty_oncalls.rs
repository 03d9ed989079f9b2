//! PagerDuty `GET /oncalls` pages: who was on call, for which schedule and
//! escalation policy, at which level, from when to when.
//!
//! `{oncalls: [...], limit, offset, more, total}`; each on-call has `user`,
//! `schedule` (null when the user is on the policy directly),
//! `escalation_policy` (references with `summary`, or full objects with
//! `name` under `include[]`), `escalation_level` and `start`/`end` (both null
//! for a permanent on-call: kept as always on call). The person is the
//! user's name (`name`, else `summary`, else `email`, else `id`): the name
//! PagerDuty's incidents and log entries give their responders. Into the
//! shifts table; the team is the configuration's for the schedule or policy
//! (`[teams.X] schedules`), else the run's team whose name the schedule's or
//! policy's contains.

use serde::Deserialize;

use super::time::parse_instant;
use super::{Ctx, Head, IngestError, Parsed, ShiftRecord};

#[derive(Deserialize, Default)]
#[serde(default)]
struct Ref {
    id: Option<String>,
    name: Option<String>,
    summary: Option<String>,
    email: Option<String>,
}

impl Ref {
    fn label(self) -> Option<String> {
        self.name.or(self.summary).or(self.email).or(self.id)
    }
}

#[derive(Deserialize)]
struct OnCall {
    #[serde(default)]
    user: Option<Ref>,
    #[serde(default)]
    schedule: Option<Ref>,
    #[serde(default)]
    escalation_policy: Option<Ref>,
    #[serde(default, deserialize_with = "super::json::opt_num")]
    escalation_level: Option<u32>,
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    end: Option<String>,
}

/// This format, for [`super::Format::ALL`].
pub const VENDOR: super::Vendor = super::Vendor::new(
    "pagerduty-oncalls",
    "pagerduty",
    "PagerDuty GET /oncalls pages (who was on call: schedules)",
    sniff,
    read,
);

/// Sure when the head has `escalation_level` beside `escalation_policy`
/// and no incident's `incident_number`.
pub fn sniff(head: &Head) -> u8 {
    if head.is_json()
        && head.has_key("escalation_level")
        && head.has_key("escalation_policy")
        && !head.has_key("incident_number")
    {
        93
    } else {
        0
    }
}

/// Read every on-call.
pub fn read(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    super::json_records_parallel(ctx, &["oncalls", "oncall"], |raw| {
        serde_json::from_str::<OnCall>(raw)
            .map_err(|e| format!("not a PagerDuty on-call: {e}"))
            .and_then(to_shift)
            .map(|s| Parsed::Shifts(vec![s]))
    })
    .map(|_| ())
}

fn to_shift(o: OnCall) -> Result<ShiftRecord, String> {
    let person = o
        .user
        .and_then(Ref::label)
        .ok_or("no `user`: an on-call names who holds it")?;
    let at = |raw: Option<&str>, what: &str, open: i64| -> Result<i64, String> {
        match raw {
            Some(r) => parse_instant(r).map_err(|e| format!("{what}: {e}")),
            None => Ok(open),
        }
    };
    ShiftRecord {
        schedule: o.schedule.and_then(Ref::label),
        policy: o.escalation_policy.and_then(Ref::label),
        team: None,
        person,
        level: o.escalation_level,
        start: at(o.start.as_deref(), "start", ShiftRecord::ALWAYS.0)?,
        end: at(o.end.as_deref(), "end", ShiftRecord::ALWAYS.1)?,
    }
    .checked()
}
