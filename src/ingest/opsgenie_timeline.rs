//! Opsgenie schedule timelines, `GET /v2/schedules/{id}/timeline`: who was
//! on call, rotation by rotation.
//!
//! `{data: {_parent: {id, name}, startDate, endDate, finalTimeline:
//! {rotations: [{id, name, periods: [{startDate, endDate, type, recipient:
//! {type, id, name}, flattenedRecipients}]}]}}}`. Only the **final** timeline
//! is read (the base and override timelines are what it was built from).
//! A period's person is its recipient when that is a user (`name`: the
//! username Opsgenie alerts name people by), else each user of its
//! `flattenedRecipients`; a period that reaches no user (type `none`, or a
//! team or escalation with no flattened users) is left out and counted in
//! the input's notes. Several timelines may be appended in one file. The
//! schedule is `_parent.name` (else the file's name); its team is the
//! configuration's, else the run's team whose name the schedule's contains.

use serde::Deserialize;

use super::time::parse_instant;
use super::{Ctx, Head, IngestError, Parsed, ShiftRecord};

#[derive(Deserialize, Default)]
#[serde(default)]
struct Recipient {
    #[serde(rename = "type")]
    kind: Option<String>,
    id: Option<String>,
    name: Option<String>,
}

impl Recipient {
    fn user(&self) -> Option<String> {
        let is_user = self
            .kind
            .as_deref()
            .is_none_or(|k| k.eq_ignore_ascii_case("user"));
        if is_user {
            self.name.clone().or_else(|| self.id.clone())
        } else {
            None
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Period {
    start_date: Option<String>,
    end_date: Option<String>,
    recipient: Option<Recipient>,
    flattened_recipients: Vec<Recipient>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Rotation {
    name: Option<String>,
    periods: Vec<Period>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Timeline {
    rotations: Vec<Rotation>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Parent {
    id: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScheduleTimeline {
    #[serde(default, rename = "_parent")]
    parent: Parent,
    final_timeline: Timeline,
}

/// This format, for [`super::Format::ALL`].
pub const VENDOR: super::Vendor = super::Vendor::new(
    "opsgenie-timeline",
    "opsgenie",
    "Opsgenie GET /v2/schedules/{id}/timeline responses (who was on call: schedules)",
    sniff,
    read,
);

/// Sure when the head has `finalTimeline`.
pub fn sniff(head: &Head) -> u8 {
    if head.is_json() && head.has_key("finalTimeline") {
        95
    } else {
        0
    }
}

/// Read every timeline's final periods.
pub fn read(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let stem = ctx.file_stem();
    let no_user = std::sync::atomic::AtomicU64::new(0);
    super::json_records_parallel(ctx, &["data"], |raw| {
        let t = serde_json::from_str::<ScheduleTimeline>(raw)
            .map_err(|e| format!("not an Opsgenie schedule timeline: {e}"))?;
        let (shifts, skipped) = to_shifts(t, stem.as_deref())?;
        no_user.fetch_add(skipped, std::sync::atomic::Ordering::Relaxed);
        Ok(Parsed::Shifts(shifts))
    })?;
    let skipped = no_user.into_inner();
    if skipped > 0 {
        ctx.report.notes.push(format!(
            "{skipped} period(s) reach no user (type none, or a team or escalation with no flattened users): left out"
        ));
    }
    Ok(())
}

/// The shifts of one timeline, and how many periods reached no user.
fn to_shifts(t: ScheduleTimeline, stem: Option<&str>) -> Result<(Vec<ShiftRecord>, u64), String> {
    let schedule = t.parent.name.or(t.parent.id).or(stem.map(str::to_string));
    let mut out = Vec::new();
    let mut skipped = 0;
    for rotation in t.final_timeline.rotations {
        for p in rotation.periods {
            let at = |raw: Option<&str>, what: &str| -> Result<i64, String> {
                let raw = raw.ok_or_else(|| {
                    format!(
                        "a period of rotation {:?} has no {what}",
                        rotation.name.as_deref().unwrap_or("?")
                    )
                })?;
                parse_instant(raw).map_err(|e| format!("{what}: {e}"))
            };
            let (start, end) = (
                at(p.start_date.as_deref(), "startDate")?,
                at(p.end_date.as_deref(), "endDate")?,
            );
            let people: Vec<String> = match p.recipient.as_ref().and_then(Recipient::user) {
                Some(u) => vec![u],
                None => p
                    .flattened_recipients
                    .iter()
                    .filter_map(Recipient::user)
                    .collect(),
            };
            if people.is_empty() {
                skipped += 1;
            }
            for person in people {
                out.push(
                    ShiftRecord {
                        schedule: schedule.clone(),
                        policy: None,
                        team: None,
                        person,
                        level: None,
                        start,
                        end,
                    }
                    .checked()?,
                );
            }
        }
    }
    Ok((out, skipped))
}
