//! Timestamp parsing shared by the adapters. Everything becomes microseconds
//! since the Unix epoch, UTC.

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone};

pub use crate::core::time::{push_rfc3339_utc, rfc3339_utc};
use chrono_tz::Tz;

/// A timestamp that could not be read, with the reason.
pub type TimeResult = Result<i64, String>;

/// The first instant kept: 1970-01-01T00:00:00Z. Nothing earlier is an
/// alert's time; an earlier value is a misread (or a placeholder such as
/// Go's zero time `0001-01-01`).
pub const MIN_INSTANT: i64 = 0;
/// The first instant not kept: 2200-01-01T00:00:00Z.
pub const MAX_INSTANT: i64 = 7_258_118_400_000_000;

/// `v`, read from `raw`, if it lies in the range kept
/// ([`MIN_INSTANT`]..[`MAX_INSTANT`]); else why not. Every parser here
/// checks it, so no time out of range reaches the store (where it would be
/// filed under a month it does not belong to).
pub fn in_range(raw: &str, v: i64) -> TimeResult {
    if (MIN_INSTANT..MAX_INSTANT).contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "timestamp {:?} is out of range (before 1970 or after 2199)",
            raw.trim()
        ))
    }
}

/// Parse an instant that carries its own offset: RFC 3339 (`Z` or `+02:00`,
/// any fraction), `+0000`-style offsets (PagerDuty Events), and a space
/// instead of `T`.
pub fn parse_instant(raw: &str) -> TimeResult {
    parse_any_instant(raw).and_then(|v| in_range(raw, v))
}

/// [`parse_instant`] without the range check.
fn parse_any_instant(raw: &str) -> TimeResult {
    let t = raw.trim();
    if let Some(v) = fast_rfc3339(t.as_bytes()) {
        return Ok(v);
    }
    // An epoch number (Datadog, Zabbix, New Relic write them as text):
    // digits and a point match none of the layouts below, which all need a
    // `-`, so it is read first instead of after every layout has failed.
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        if let Some(v) = parse_epoch(t) {
            return Ok(v);
        }
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.timestamp_micros());
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f %z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(t, fmt) {
            return Ok(dt.timestamp_micros());
        }
    }
    // A naive time with a trailing zone name that means UTC
    // (`2014-02-13 07:01:13 UTC`, PagerDuty's older reports).
    for suffix in [" UTC", " GMT", " Z", "UTC", "GMT"] {
        if let Some(naive) = t
            .strip_suffix(suffix)
            .and_then(|n| parse_naive(n, NAIVE_ISO))
        {
            return Ok(naive.and_utc().timestamp_micros());
        }
    }
    if let Some(v) = parse_epoch(t) {
        return Ok(v);
    }
    if parse_naive(t, NAIVE_ISO).is_some() {
        return Err(format!("timestamp {t:?} has no time zone"));
    }
    Err(format!("invalid timestamp {t:?}"))
}

/// Seconds, milliseconds, microseconds or nanoseconds since the epoch,
/// written as a number (a fraction allowed), told apart by magnitude as
/// pandas does: below 1e11 seconds (to the year 5138), below 1e14
/// milliseconds, below 1e17 microseconds, else nanoseconds.
pub fn parse_epoch(t: &str) -> Option<i64> {
    let digits = t.strip_prefix('-').unwrap_or(t);
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty()
        || whole.len() > 19
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    // Digits below the second: 0 (seconds), 3, 6 or 9, by the value's
    // size as a float (an integer's float is the same rounding of the same
    // number as its text read as a float).
    let below = |v: f64| match v.abs() {
        a if a < 1e11 => 0,
        a if a < 1e14 => 3,
        a if a < 1e17 => 6,
        _ => 9,
    };
    if frac.is_empty() {
        // Exact for integers: no float rounding of long ids of time.
        let n: i64 = t.parse().ok()?;
        return match below(n as f64) {
            0 => n.checked_mul(1_000_000),
            3 => n.checked_mul(1_000),
            6 => Some(n),
            _ => Some(n / 1_000),
        };
    }
    let v: f64 = t.parse().ok()?;
    let micros = (v * 10f64.powi(6 - below(v))).round();
    (micros.is_finite() && micros.abs() < 9.0e18).then_some(micros as i64)
}

/// A duration as PagerDuty's older reports write it, in words (`6 minutes`,
/// `about 1 hour`, `less than a minute`, `over 2 days`), or as
/// `HH:MM:SS`/`MM:SS`/seconds; microseconds. Worded durations are rounded
/// as written (Rails' `distance_of_time_in_words`): use them only where no
/// end time is given.
pub fn parse_duration_text(raw: &str) -> Option<i64> {
    let t = raw.trim().to_ascii_lowercase();
    if t.is_empty() {
        return None;
    }
    if let Ok(secs) = t.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| (secs * 1e6).round() as i64);
    }
    if t.contains(':') {
        let parts: Option<Vec<i64>> = t.split(':').map(|p| p.trim().parse().ok()).collect();
        let parts = parts?;
        if parts.len() > 3 || parts.iter().any(|p| *p < 0) {
            return None;
        }
        return Some(parts.iter().fold(0i64, |acc, p| acc * 60 + p) * 1_000_000);
    }
    let mut words: Vec<&str> = t.split_whitespace().collect();
    while let Some(w) = words.first() {
        if [
            "about",
            "over",
            "almost",
            "less",
            "than",
            "nearly",
            "approximately",
        ]
        .contains(w)
        {
            words.remove(0);
        } else {
            break;
        }
    }
    let (count, unit) = match words.as_slice() {
        ["half", "a", unit] => (0.5, *unit),
        [n, unit] => (
            match *n {
                "a" | "an" | "one" => 1.0,
                n => n.parse::<f64>().ok()?,
            },
            *unit,
        ),
        _ => return None,
    };
    let unit = unit.trim_end_matches('s');
    let secs = match unit {
        "second" | "sec" => 1.0,
        "minute" | "min" => 60.0,
        "hour" | "hr" => 3600.0,
        "day" => 86_400.0,
        "week" => 604_800.0,
        "month" => 2_592_000.0,
        "year" => 31_536_000.0,
        _ => return None,
    };
    let v = count * secs * 1e6;
    (v.is_finite() && v >= 0.0).then(|| v.round() as i64)
}

/// The common exact layout `YYYY-MM-DDTHH:MM:SS[.f](Z|±HH:MM)`, parsed
/// without chrono (ingest parses two of these per row). Anything else, or
/// any out-of-range field, is `None` and goes to chrono.
fn fast_rfc3339(b: &[u8]) -> Option<i64> {
    fn num(b: &[u8]) -> Option<i64> {
        b.iter().try_fold(0i64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    }
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (y, mo, d) = (num(&b[0..4])?, num(&b[5..7])?, num(&b[8..10])?);
    let (h, mi, s) = (num(&b[11..13])?, num(&b[14..16])?, num(&b[17..19])?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&mo)
        || d < 1
        || d > days_in_month[(mo - 1) as usize]
        || h > 23
        || mi > 59
        || s > 59
    {
        return None;
    }
    let mut i = 19;
    let mut micros = 0i64;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let digits = &b[start..i];
        if digits.is_empty() {
            return None;
        }
        // Keep microseconds; truncate finer digits (chrono keeps nanoseconds,
        // and timestamp_micros truncates them the same way).
        let mut v = 0i64;
        for k in 0..6 {
            v = v * 10 + digits.get(k).map_or(0, |c| i64::from(c - b'0'));
        }
        micros = v;
    }
    let offset = match b.get(i..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let oh = num(&[*h1, *h2])?;
            let om = num(&[*m1, *m2])?;
            if oh > 23 || om > 59 {
                return None;
            }
            let o = (oh * 60 + om) * 60;
            if *sign == b'-' {
                -o
            } else {
                o
            }
        }
        _ => return None,
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let yy = if mo <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + s - offset;
    Some(secs * 1_000_000 + micros)
}

/// ISO-8601 local date-times without an offset.
pub const NAIVE_ISO: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
];

/// Day-first local date-times, unpadded or padded: `d/m/yyyy HH:MM` (the
/// UCI ServiceNow log, many European help desks) and `dd-mm-yyyy HH:MM`
/// (the same re-saved by a spreadsheet), with or without seconds.
pub const NAIVE_DAY_FIRST: &[&str] = &[
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y %H:%M:%S",
];

/// Jira's rendered date-times (its default `dd/MMM/yy h:mm a`, a padded
/// hour, a four-digit year, and a spreadsheet's round trip `M/d/yyyy H:mm`);
/// month names are English here ([`english_months`] translates others).
pub const NAIVE_JIRA: &[&str] = &[
    "%d/%b/%y %I:%M %p",
    "%d/%b/%Y %I:%M %p",
    "%d/%b/%y %H:%M",
    "%m/%d/%Y %H:%M",
    "%Y-%m-%d %H:%M",
];

/// `raw` with month abbreviations of other languages Jira renders (German,
/// French, Spanish, Dutch, Italian, Portuguese) written as English ones, so
/// `%b` reads them: `14/Okt/25` → `14/Oct/25`, `3/déc./25` → `3/Dec/25`.
pub fn english_months(raw: &str) -> String {
    const MONTHS: [(&str, &str); 22] = [
        ("janv.", "Jan"),
        ("févr.", "Feb"),
        ("fév.", "Feb"),
        ("mars", "Mar"),
        ("märz", "Mar"),
        ("mär", "Mar"),
        ("avr.", "Apr"),
        ("mai", "May"),
        ("mei", "May"),
        ("juin", "Jun"),
        ("juil.", "Jul"),
        ("août", "Aug"),
        ("sept.", "Sep"),
        ("okt", "Oct"),
        ("déc.", "Dec"),
        ("dez", "Dec"),
        ("ene", "Jan"),
        ("abr", "Apr"),
        ("ago", "Aug"),
        ("dic", "Dec"),
        ("gen", "Jan"),
        ("ott", "Oct"),
    ];
    let Some((day, rest)) = raw.split_once('/') else {
        return raw.to_string();
    };
    let Some((month, tail)) = rest.split_once('/') else {
        return raw.to_string();
    };
    let lower = month.to_lowercase();
    match MONTHS.iter().find(|(m, _)| *m == lower) {
        Some((_, en)) => format!("{day}/{en}/{tail}"),
        None => raw.to_string(),
    }
}

/// True if `raw` reads as a local date-time in one of `formats`.
pub fn parse_naive(raw: &str, formats: &[&str]) -> Option<NaiveDateTime> {
    let t = raw.trim();
    formats
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
}

/// Interpret a local date-time in `tz`. In the autumn overlap the earlier
/// instant is taken; a time inside the spring gap (which no clock showed) is
/// moved forward to the end of the gap (pandas' `shift_forward`).
pub fn localise(naive: NaiveDateTime, tz: Tz) -> i64 {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(dt) => dt.timestamp_micros(),
        LocalResult::Ambiguous(a, _) => a.timestamp_micros(),
        LocalResult::None => {
            // Walk forward minute by minute to the end of the gap (at most a
            // few hours in any zone).
            let mut probe = naive;
            for _ in 0..(24 * 60) {
                probe += chrono::Duration::minutes(1);
                if let LocalResult::Single(dt) | LocalResult::Ambiguous(dt, _) =
                    tz.from_local_datetime(&probe)
                {
                    return dt.timestamp_micros();
                }
            }
            naive.and_utc().timestamp_micros()
        }
    }
}

/// Parse an instant with an offset, or a naive one in `tz` when given.
pub fn parse_instant_or_local(raw: &str, tz: Option<Tz>, formats: &[&str]) -> TimeResult {
    match parse_any_instant(raw) {
        Ok(v) => in_range(raw, v),
        Err(e) => match (tz, parse_naive(raw, formats)) {
            (Some(tz), Some(naive)) => in_range(raw, localise(naive, tz)),
            _ => Err(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_fractions() {
        let a = parse_instant("2023-02-26T00:10:04+00:00").unwrap();
        let b = parse_instant("2023-02-26T01:10:04+01:00").unwrap();
        let c = parse_instant("2023-02-26T00:10:04Z").unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a, 1_677_370_204_000_000);
        let ns = parse_instant("2018-08-03T09:52:26.739266876+02:00").unwrap();
        assert_eq!(ns, 1_533_282_746_739_266);
        let pd = parse_instant("2015-07-17T08:42:58.315+0000").unwrap();
        assert_eq!(pd, 1_437_122_578_315_000);
    }

    #[test]
    fn fast_path_agrees_with_chrono() {
        let mut probe = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..20_000 {
            probe ^= probe << 13;
            probe ^= probe >> 7;
            probe ^= probe << 17;
            // Any instant 1970-2100, any offset, 0/3/6/9 fraction digits.
            let secs = (probe % 4_102_444_800) as i64;
            let nanos = ((probe >> 20) % 1_000_000_000) as u32;
            let off = ((probe >> 40) % (2 * 14 * 60 + 1)) as i32 - 14 * 60;
            let tz = chrono::FixedOffset::east_opt(off * 60).unwrap();
            let dt = DateTime::from_timestamp(secs, nanos)
                .unwrap()
                .with_timezone(&tz);
            for fmt in [
                chrono::SecondsFormat::Secs,
                chrono::SecondsFormat::Millis,
                chrono::SecondsFormat::Micros,
                chrono::SecondsFormat::Nanos,
            ] {
                for z in [true, false] {
                    let text = dt.to_rfc3339_opts(fmt, z && off == 0);
                    let want = DateTime::parse_from_rfc3339(&text)
                        .unwrap()
                        .timestamp_micros();
                    assert_eq!(fast_rfc3339(text.as_bytes()), Some(want), "{text}");
                }
            }
        }
        for bad in [
            "2023-02-30T00:00:00Z",
            "2023-13-01T00:00:00Z",
            "2023-02-26T24:00:00Z",
            "2023-02-26T00:00:00",
            "2023-02-26 00:00:00Z",
            "2023-02-26T00:00:00+0100",
        ] {
            assert_eq!(fast_rfc3339(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn zone_names_epochs_and_worded_durations() {
        // 2014-02-13 07:01:13 UTC = 1392274873 s.
        assert_eq!(
            parse_instant("2014-02-13 07:01:13 UTC"),
            Ok(1_392_274_873_000_000)
        );
        assert_eq!(
            parse_instant("2014-02-13T07:01:13 GMT"),
            Ok(1_392_274_873_000_000)
        );
        assert_eq!(parse_instant("1392274873"), Ok(1_392_274_873_000_000));
        assert_eq!(parse_instant("1392274873123"), Ok(1_392_274_873_123_000));
        assert_eq!(parse_instant("1392274873.5"), Ok(1_392_274_873_500_000));
        assert_eq!(parse_instant("1392274873123456"), Ok(1_392_274_873_123_456));
        assert_eq!(
            parse_instant("1392274873123456789"),
            Ok(1_392_274_873_123_456)
        );
        // Nanoseconds and an offset (Alertmanager's startsAt).
        assert_eq!(
            parse_instant("2024-01-24T10:56:05.123456789+01:00"),
            Ok(1_706_090_165_123_456)
        );
        assert!(parse_instant("12ab").is_err());
        // Units told by magnitude at their edges (an integer's size taken
        // as its text read as a float: 1e17 - 1 rounds to 1e17, so ns).
        assert_eq!(parse_epoch("99999999999"), Some(99_999_999_999_000_000));
        assert_eq!(parse_epoch("100000000000"), Some(100_000_000_000_000));
        assert_eq!(parse_epoch("-1392274873"), Some(-1_392_274_873_000_000));
        assert_eq!(parse_epoch("99999999999999999"), Some(99_999_999_999_999));
        assert_eq!(
            parse_epoch("99999999999999990"),
            Some(99_999_999_999_999_990)
        );
        assert_eq!(
            parse_epoch("99999999999999900"),
            Some(99_999_999_999_999_900)
        );
        assert_eq!(parse_epoch("1."), None);
        assert_eq!(parse_epoch("9223372036854775808"), None);
        // Out of the range kept: an error, never a time filed in 1970.
        assert!(parse_instant("0001-01-01T00:00:00Z")
            .unwrap_err()
            .contains("out of range"));
        assert!(parse_instant("2200-01-01T00:00:00Z").is_err());
        assert_eq!(
            parse_instant("2199-12-31T23:59:59Z"),
            Ok(7_258_118_399_000_000)
        );
        assert_eq!(parse_duration_text("6 minutes"), Some(360_000_000));
        assert_eq!(parse_duration_text("about 1 hour"), Some(3_600_000_000));
        assert_eq!(parse_duration_text("less than a minute"), Some(60_000_000));
        assert_eq!(parse_duration_text("over 2 days"), Some(172_800_000_000));
        assert_eq!(parse_duration_text("half a minute"), Some(30_000_000));
        assert_eq!(parse_duration_text("01:02:03"), Some(3_723_000_000));
        assert_eq!(parse_duration_text("90"), Some(90_000_000));
        assert_eq!(parse_duration_text("soon"), None);
    }

    #[test]
    fn naive_is_refused_without_zone() {
        let e = parse_instant("2021-01-08T15:36:37").unwrap_err();
        assert!(e.contains("no time zone"), "{e}");
        let v = parse_instant_or_local("2021-01-08T15:36:37", Some(chrono_tz::Etc::UTC), NAIVE_ISO);
        assert_eq!(v, Ok(1_610_120_197_000_000));
        assert!(parse_instant("yesterday").unwrap_err().contains("invalid"));
    }

    #[test]
    fn dst_gap_and_overlap() {
        let tz = chrono_tz::Europe::Berlin;
        // 2026-03-29 02:30 does not exist in Berlin: clocks jumped 02:00 -> 03:00.
        let gap = NaiveDateTime::parse_from_str("2026-03-29 02:30", "%Y-%m-%d %H:%M").unwrap();
        let three = NaiveDateTime::parse_from_str("2026-03-29 03:00", "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(localise(gap, tz), localise(three, tz));
        // 2026-10-25 02:30 happens twice; the first (CEST, UTC+2) is taken.
        let amb = NaiveDateTime::parse_from_str("2026-10-25 02:30", "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(rfc3339_utc(localise(amb, tz)), "2026-10-25T00:30:00Z");
    }
}
