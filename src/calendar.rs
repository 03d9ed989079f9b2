//! The calendar of the paging load, in local time (domain.md, "Paging
//! load"; PagerDuty Analytics' definitions): business hours, sleep hours
//! and off hours, and the 12-hour shifts, with the hours `[load]` sets.

use chrono_tz::Tz;

use crate::config::LoadSettings;
use crate::core::time::LocalClock;

/// When in the week an interruption fell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// Business hours (default 08:00–18:00), Monday to Friday.
    Business,
    /// Neither: evenings Monday to Friday, Saturday and Sunday outside
    /// sleep hours.
    OffHours,
    /// Sleep hours (default 22:00–08:00), every day.
    Sleep,
}

/// The hour bands and shifts of `[load]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calendar {
    business: [u8; 2],
    sleep: [u8; 2],
    shift_start: u8,
}

impl Calendar {
    /// The calendar `[load]` sets.
    pub fn of(load: &LoadSettings) -> Calendar {
        Calendar {
            business: load.business_hours,
            sleep: load.sleep_hours,
            shift_start: load.shift_start,
        }
    }

    /// The slot of a local weekday and hour.
    pub fn slot(&self, weekday: chrono::Weekday, hour: u32) -> Slot {
        use chrono::Weekday::{Sat, Sun};
        let [s0, s1] = self.sleep.map(u32::from);
        let [b0, b1] = self.business.map(u32::from);
        let asleep = if s0 <= s1 {
            (s0..s1).contains(&hour)
        } else {
            hour >= s0 || hour < s1
        };
        if asleep {
            Slot::Sleep
        } else if matches!(weekday, Sat | Sun) || !(b0..b1).contains(&hour) {
            Slot::OffHours
        } else {
            Slot::Business
        }
    }

    /// The local day, hour and slot of a notification at `at` (µs) in `tz`.
    pub fn when(&self, clock: &mut LocalClock, at: i64, tz: Tz) -> Option<(i32, u16, Slot)> {
        let (day, minute) = clock.day_minute(at, tz)?;
        let hour = minute / 60;
        Some((day, hour, self.slot(weekday_of(day), u32::from(hour))))
    }

    /// The night a sleep-hour interruption at a local day and hour belongs
    /// to, named by the day it began on: when sleep hours run over midnight,
    /// an hour from their start belongs to that day's night, an earlier one
    /// to the night before.
    pub fn night(&self, day: i32, hour: u16) -> i32 {
        let [s0, s1] = self.sleep;
        if s0 > s1 && hour >= u16::from(s0) {
            day
        } else {
            day - 1
        }
    }

    /// The 12-hour shift of a local day and minute: the day it started on,
    /// and whether it is the day shift (from `shift_start`) or the night
    /// shift (12 hours later, into the next day).
    pub fn shift(&self, day: i32, minute: u16) -> (i32, bool) {
        let (hour, start) = (minute / 60, u16::from(self.shift_start));
        if hour < start {
            (day - 1, false)
        } else if hour < start + 12 {
            (day, true)
        } else {
            (day, false)
        }
    }
}

/// The weekday of a day counted from 0001-01-01 (a Monday) as day 1.
pub fn weekday_of(day: i32) -> chrono::Weekday {
    use chrono::Weekday::*;
    [Mon, Tue, Wed, Thu, Fri, Sat, Sun][(day - 1).rem_euclid(7) as usize]
}

/// The Monday (UTC, µs) starting the ISO week of `t`.
pub fn monday_of(t: i64) -> i64 {
    let day = t.div_euclid(DAY_US);
    (day - (day + 3).rem_euclid(7)) * DAY_US
}

/// A day in µs.
pub const DAY_US: i64 = 86_400_000_000;
/// A week in µs.
pub const WEEK_US: i64 = 7 * DAY_US;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots() {
        use chrono::Weekday::*;
        let c = Calendar::of(&LoadSettings::default());
        assert_eq!(c.slot(Mon, 8), Slot::Business);
        assert_eq!(c.slot(Mon, 7), Slot::Sleep);
        assert_eq!(c.slot(Fri, 17), Slot::Business);
        assert_eq!(c.slot(Fri, 18), Slot::OffHours);
        assert_eq!(c.slot(Fri, 21), Slot::OffHours);
        assert_eq!(c.slot(Fri, 22), Slot::Sleep);
        assert_eq!(c.slot(Sat, 12), Slot::OffHours);
        assert_eq!(c.slot(Sun, 23), Slot::Sleep);
    }

    /// A night is named by the day it began on.
    #[test]
    fn nights() {
        let d = Calendar::of(&LoadSettings::default());
        assert_eq!(d.night(10, 23), 10);
        assert_eq!(d.night(10, 22), 10);
        assert_eq!(d.night(11, 3), 10);
        let early = Calendar::of(&LoadSettings {
            sleep_hours: [0, 7],
            ..LoadSettings::default()
        });
        assert_eq!(early.night(11, 3), 10);
    }

    /// Other bands: business 09–17, sleep 00–07 (not over midnight),
    /// shifts from 06:00 and 18:00.
    #[test]
    fn configured_bands_and_shifts() {
        use chrono::Weekday::*;
        let c = Calendar::of(&LoadSettings {
            business_hours: [9, 17],
            sleep_hours: [0, 7],
            shift_start: 6,
            ..LoadSettings::default()
        });
        assert_eq!(c.slot(Mon, 8), Slot::OffHours);
        assert_eq!(c.slot(Mon, 9), Slot::Business);
        assert_eq!(c.slot(Mon, 17), Slot::OffHours);
        assert_eq!(c.slot(Mon, 23), Slot::OffHours);
        assert_eq!(c.slot(Sun, 6), Slot::Sleep);
        assert_eq!(c.slot(Sun, 7), Slot::OffHours);
        assert_eq!(c.shift(10, 5 * 60 + 59), (9, false));
        assert_eq!(c.shift(10, 6 * 60), (10, true));
        assert_eq!(c.shift(10, 17 * 60 + 59), (10, true));
        assert_eq!(c.shift(10, 18 * 60), (10, false));
        let d = Calendar::of(&LoadSettings::default());
        assert_eq!(d.shift(10, 7 * 60 + 59), (9, false));
        assert_eq!(d.shift(10, 8 * 60), (10, true));
        assert_eq!(d.shift(10, 20 * 60), (10, false));
    }

    #[test]
    fn weekdays_from_day_numbers() {
        use chrono::Datelike;
        for (y, m, d) in [(2026, 3, 30), (2026, 4, 4), (2001, 1, 1), (1970, 1, 1)] {
            let date = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
            assert_eq!(weekday_of(date.num_days_from_ce()), date.weekday());
        }
    }
}
