//! Durations as text, two ways and only here: [`exact`] in the syntax
//! `alertsift.toml` and the command line read back (`1h30m`, `90s` →
//! `1m30s`), for thresholds, policies and anything a user may copy; and
//! [`rounded`] for the figures of the reports.

use std::time::Duration;

/// Write a duration as `alertsift.toml` (`crate::config::parse_duration`) reads it, largest units first:
/// `0s`, `90s` → `1m30s`, `5m`, `1h30m`.
pub fn exact(d: Duration) -> String {
    let mut s = d.as_secs();
    if s == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, name) in [(86400, 'd'), (3600, 'h'), (60, 'm'), (1, 's')] {
        if s >= unit {
            out.push_str(&(s / unit).to_string());
            out.push(name);
            s %= unit;
        }
    }
    out
}

/// Seconds as a figure of the reports: `1h02m`, `4m10s` or `12s` (rounded
/// to the minute from an hour up, to the second below).
pub fn rounded(s: f64) -> String {
    let s = s.round() as i64;
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, s % 3600 / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounded_figures() {
        assert_eq!(rounded(3725.0), "1h02m");
        assert_eq!(rounded(250.0), "4m10s");
        assert_eq!(rounded(12.4), "12s");
    }
}
