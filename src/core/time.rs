//! Instants as the outputs write them (RFC 3339 UTC) and local clock time
//! in a zone (the day and minute every calendar rule reads).

use polars::prelude::PlHashMap as HashMap;

use chrono::{DateTime, Datelike, TimeZone, Timelike};
use chrono_tz::Tz;

/// Format microseconds since the epoch as RFC 3339 UTC (`…Z`), with as many
/// fraction digits as needed (0, 3, 6).
pub fn rfc3339_utc(micros: i64) -> String {
    let mut text = String::with_capacity(27);
    push_rfc3339_utc(micros, &mut text);
    text
}

/// [`rfc3339_utc`], appended to `out`.
pub fn push_rfc3339_utc(micros: i64, out: &mut String) {
    if fast_utc(micros, out) {
        return;
    }
    match DateTime::from_timestamp_micros(micros) {
        Some(dt) => out.push_str(&dt.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
        None => out.push_str(&micros.to_string()),
    }
}

/// [`push_rfc3339_utc`] for years 0000–9999 without chrono's formatting
/// machinery (ingest writes one per Alertmanager occurrence id): the same
/// text, `YYYY-MM-DDTHH:MM:SS[.mmm|.uuuuuu]Z`. False (nothing written) for
/// other years.
fn fast_utc(micros: i64, out: &mut String) -> bool {
    let (secs, frac) = (micros.div_euclid(1_000_000), micros.rem_euclid(1_000_000));
    let (days, day_secs) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // The civil date of a day number (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    if !(0..=9999).contains(&y) {
        return false;
    }
    fn push(out: &mut String, v: i64, n: u32) {
        for k in (0..n).rev() {
            out.push(char::from(b'0' + (v / 10i64.pow(k) % 10) as u8));
        }
    }
    let (h, mi, s) = (day_secs / 3600, day_secs / 60 % 60, day_secs % 60);
    for (v, n, sep) in [
        (y, 4, '-'),
        (m, 2, '-'),
        (d, 2, 'T'),
        (h, 2, ':'),
        (mi, 2, ':'),
    ] {
        push(out, v, n);
        out.push(sep);
    }
    push(out, s, 2);
    // chrono's AutoSi: no fraction, milliseconds, or microseconds.
    match frac {
        0 => {}
        f if f % 1000 == 0 => {
            out.push('.');
            push(out, f / 1000, 3);
        }
        f => {
            out.push('.');
            push(out, f, 6);
        }
    }
    out.push('Z');
    true
}

/// Local calendar day (days since 0001-01-01) and minute of the day of an
/// instant in `tz`; DST is handled by the zone's own rules.
pub fn local_day_minute(t_us: i64, tz: Tz) -> Option<(i32, u16)> {
    let utc = chrono::Utc.timestamp_micros(t_us).single()?;
    let local = utc.with_timezone(&tz);
    Some((
        local.date_naive().num_days_from_ce(),
        (local.hour() * 60 + local.minute()) as u16,
    ))
}

/// [`local_day_minute`] with the zone's UTC offset remembered per UTC hour
/// (zones change offset on whole hours), for long columns. The last few
/// (zone, hour) pairs sit in a small direct-mapped table in front of the
/// map: times in order mostly repeat the hour just seen.
#[derive(Debug, Default)]
pub struct LocalClock {
    offsets: HashMap<(Tz, i64), i64>,
    recent: [Option<(Tz, i64, i64)>; 8],
}

impl LocalClock {
    /// Local day and minute of `t_us` in `tz`.
    pub fn day_minute(&mut self, t_us: i64, tz: Tz) -> Option<(i32, u16)> {
        use chrono::Offset;
        const HOUR: i64 = 3_600_000_000;
        let hour = t_us.div_euclid(HOUR);
        let slot = (hour as usize).wrapping_add((tz as usize).wrapping_mul(31)) % 8;
        let offset = match self.recent[slot] {
            Some((z, h, o)) if z == tz && h == hour => o,
            _ => {
                let o = match self.offsets.get(&(tz, hour)) {
                    Some(o) => *o,
                    None => {
                        let utc = chrono::Utc.timestamp_micros(hour * HOUR).single()?;
                        let o = i64::from(utc.with_timezone(&tz).offset().fix().local_minus_utc());
                        self.offsets.insert((tz, hour), o);
                        o
                    }
                };
                self.recent[slot] = Some((tz, hour, o));
                o
            }
        };
        let local_s = t_us.div_euclid(1_000_000) + offset;
        // Days since 0001-01-01 (CE day 1), as chrono counts them.
        let day = local_s.div_euclid(86_400) + 719_163;
        let minute = local_s.rem_euclid(86_400) / 60;
        Some((i32::try_from(day).ok()?, minute as u16))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_utc_writes_what_chrono_writes() {
        let chrono_text = |us: i64| {
            DateTime::from_timestamp_micros(us)
                .map(|dt| dt.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        };
        // Whole seconds, milliseconds, microseconds; before 1970; leap days;
        // the ends of the four-digit years; a stride through 1900-2400.
        let mut cases: Vec<i64> = vec![
            0,
            -1,
            1,
            999,
            1_000,
            -1_000,
            -1_000_000,
            951_782_400_000_000,     // 2000-02-29
            4_107_542_399_999_999,   // 2100-02-28T23:59:59.999999
            -62_167_219_200_000_000, // 0000-01-01
            253_402_300_799_999_999, // 9999-12-31T23:59:59.999999
        ];
        let mut t = -2_208_988_800_000_000i64; // 1900-01-01
        while t < 13_569_465_600_000_000 {
            cases.extend([t, t + 123_000, t + 123_456, t + 86_399_000_000]);
            t += 86_400_000_000 * 13 + 3_600_000_000 * 7 + 61_000_000;
        }
        let fast = |us: i64| {
            let mut text = "x".to_string();
            let written = fast_utc(us, &mut text);
            // Appended to what was there; nothing written when refused.
            assert!(text.starts_with('x') && (written || text == "x"));
            written.then(|| text.split_off(1))
        };
        for us in cases {
            assert_eq!(fast(us), chrono_text(us), "{us}");
        }
        // Past 9999 (and before year 0) chrono writes it.
        assert_eq!(fast(253_402_300_800_000_000), None);
        assert_eq!(fast(-62_167_219_200_000_001), None);
    }

    #[test]
    fn rfc3339_output() {
        assert_eq!(rfc3339_utc(1_677_370_204_000_000), "2023-02-26T00:10:04Z");
        assert_eq!(
            rfc3339_utc(1_677_370_204_963_000),
            "2023-02-26T00:10:04.963Z"
        );
    }

    #[test]
    fn cached_clock_agrees_with_chrono() {
        let mut clock = LocalClock::default();
        let zones = [
            chrono_tz::Europe::Berlin,
            chrono_tz::Australia::Sydney,
            chrono_tz::America::New_York,
            chrono_tz::Asia::Kolkata,
            chrono_tz::UTC,
        ];
        // Every 17 minutes over 2026, through every clock change.
        let start = 1_767_225_600_000_000i64; // 2026-01-01T00:00:00Z
        let mut t = start;
        while t < start + 366 * 86_400_000_000 {
            for tz in zones {
                assert_eq!(clock.day_minute(t, tz), local_day_minute(t, tz), "{t} {tz}");
            }
            t += 17 * 60_000_000 + 1_234_567;
        }
    }

    #[test]
    fn local_time_across_dst() {
        // Berlin, 2026-03-29: 01:30 UTC is 03:30 CEST (after the change).
        let t = chrono::Utc
            .with_ymd_and_hms(2026, 3, 29, 1, 30, 0)
            .single()
            .map(|d| d.timestamp_micros())
            .unwrap_or_default();
        let (_, m) = local_day_minute(t, chrono_tz::Europe::Berlin).unwrap_or((0, 0));
        assert_eq!(m, 3 * 60 + 30);
        // The day before, 01:30 UTC is 02:30 CET.
        let (_, m) =
            local_day_minute(t - 86_400_000_000, chrono_tz::Europe::Berlin).unwrap_or((0, 0));
        assert_eq!(m, 2 * 60 + 30);
    }
}
