//! Grafana OnCall `GET /api/v1/schedules/{id}/final_shifts` pages: the
//! final shifts of one schedule.
//!
//! `{count, next, previous, results: [{user_pk, user_email, user_username,
//! shift_start, shift_end}], current_page_number, page_size, total_pages}`.
//! The person is `user_pk`: the id Grafana OnCall's alert groups name people
//! by (`acknowledged_by` and the like), so one person is one name across
//! both exports. The response does not name its schedule: the schedule is
//! the file's name (save each schedule's shifts as `<schedule name>.json`,
//! or list the file's name in `[teams.X] schedules`).

use serde::Deserialize;

use super::time::parse_instant;
use super::{Ctx, Head, IngestError, Parsed, ShiftRecord};

#[derive(Deserialize)]
struct FinalShift {
    #[serde(default)]
    user_pk: Option<String>,
    #[serde(default)]
    user_username: Option<String>,
    #[serde(default)]
    user_email: Option<String>,
    shift_start: String,
    shift_end: String,
}

/// This format, for [`super::Format::ALL`].
pub const VENDOR: super::Vendor = super::Vendor::new(
    "grafana-oncall-shifts",
    "grafana_oncall",
    "Grafana OnCall GET /api/v1/schedules/{id}/final_shifts pages (who was on call: schedules)",
    sniff,
    read,
);

/// Sure when the head has `shift_start` and `user_pk`.
pub fn sniff(head: &Head) -> u8 {
    if head.is_json() && head.has_key("shift_start") && head.has_key("user_pk") {
        93
    } else {
        0
    }
}

/// Read every final shift.
pub fn read(ctx: &mut Ctx<'_>) -> Result<(), IngestError> {
    let schedule = ctx.file_stem();
    super::json_records_parallel(ctx, &["results"], |raw| {
        let s = serde_json::from_str::<FinalShift>(raw)
            .map_err(|e| format!("not a Grafana OnCall final shift: {e}"))?;
        let person = s
            .user_pk
            .or(s.user_username)
            .or(s.user_email)
            .ok_or("no user_pk, user_username or user_email: a shift names who holds it")?;
        let start = parse_instant(&s.shift_start).map_err(|e| format!("shift_start: {e}"))?;
        let end = parse_instant(&s.shift_end).map_err(|e| format!("shift_end: {e}"))?;
        let shift = ShiftRecord {
            schedule: schedule.clone(),
            policy: None,
            team: None,
            person,
            level: None,
            start,
            end,
        }
        .checked()?;
        Ok(Parsed::Shifts(vec![shift]))
    })
    .map(|_| ())
}
