//! `alertsift.toml`: teams, time zones, what pages, and the thresholds the
//! later stages read.
//!
//! Every key is optional and has a documented default; an unknown key is an
//! error that names it (a misspelt threshold must not be silently ignored).
//!
//! ```toml
//! timezone = "UTC"                      # default for teams and people not listed
//!
//! [teams.payments]
//! timezone = "Europe/Berlin"
//! services = ["checkout-api", "payments-db"]
//! aliases = ["PGVXG6U"]                 # vendor team ids or names meaning this team
//!
//! [people."Ada Varga"]
//! timezone = "Europe/Berlin"
//!
//! [paging]
//! pagerduty_urgencies = ["high"]
//! opsgenie_priorities = ["P1", "P2", "P3"]
//! alertmanager_receivers = ["pager"]    # receivers that notify a person
//!
//! [sources.servicenow]
//! timezone = "Europe/London"            # naive timestamps in this export
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use chrono_tz::Tz;
use serde::{Deserialize, Deserializer};

use crate::error::ConfigError;

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Default IANA time zone for teams and people not listed. Default `UTC`.
    #[serde(deserialize_with = "de_tz")]
    pub timezone: Tz,
    /// Teams by name.
    pub teams: BTreeMap<String, Team>,
    /// People by the name the vendors show.
    pub people: BTreeMap<String, Person>,
    /// Which urgencies, priorities and receivers notify a person.
    pub paging: Paging,
    /// Per-source settings, by source name (`servicenow`, `pagerduty`, …).
    pub sources: BTreeMap<String, SourceSettings>,
    /// How canonical fields are found in labels and tags.
    pub ingest: IngestSettings,
    /// Thresholds of the classify stage.
    pub classify: Thresholds,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            timezone: Tz::UTC,
            teams: BTreeMap::new(),
            people: BTreeMap::new(),
            paging: Paging::default(),
            sources: BTreeMap::new(),
            ingest: IngestSettings::default(),
            classify: Thresholds::default(),
        }
    }
}

/// One team.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Team {
    /// The team's IANA time zone. Default: the top-level `timezone`.
    #[serde(default, deserialize_with = "de_opt_tz")]
    pub timezone: Option<Tz>,
    /// Services the team owns: alerts of these services without a team of
    /// their own get this team.
    #[serde(default)]
    pub services: Vec<String>,
    /// Names or ids the vendors use for this team (a PagerDuty team id, an
    /// Opsgenie team responder id), mapped to this team's name.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// One person.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// The person's IANA time zone.
    #[serde(deserialize_with = "de_tz")]
    pub timezone: Tz,
}

/// What counts as a page.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Paging {
    /// PagerDuty urgencies that page. Default `["high"]`.
    pub pagerduty_urgencies: Vec<String>,
    /// Opsgenie priorities that page. Default `["P1", "P2", "P3"]`.
    pub opsgenie_priorities: Vec<String>,
    /// Alertmanager receivers that notify a person. Unset: every receiver
    /// pages (the run summary lists the receivers it saw).
    pub alertmanager_receivers: Option<Vec<String>>,
    /// Whether Grafana OnCall alert groups page. Default `true`: OnCall
    /// exists to notify people.
    pub grafana_oncall: bool,
}

impl Default for Paging {
    fn default() -> Self {
        Paging {
            pagerduty_urgencies: vec!["high".into()],
            opsgenie_priorities: vec!["P1".into(), "P2".into(), "P3".into()],
            alertmanager_receivers: None,
            grafana_oncall: true,
        }
    }
}

/// Settings of one source.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSettings {
    /// Time zone of timestamps that carry none in this source's exports.
    #[serde(default, deserialize_with = "de_opt_tz")]
    pub timezone: Option<Tz>,
}

/// How canonical fields are found in labels and tags.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestSettings {
    /// Label (Alertmanager, Grafana) or `key:value` tag (Opsgenie) that names
    /// the service when the vendor has no service field. Default `service`.
    pub service_label: String,
    /// Label or tag that names the team. Default `team`.
    pub team_label: String,
}

impl Default for IngestSettings {
    fn default() -> Self {
        IngestSettings {
            service_label: "service".into(),
            team_label: "team".into(),
        }
    }
}

/// Thresholds of the later stages, with the defaults of `domain.md`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// TRANSIENT: auto-resolved, never acknowledged, within this. Default 5m.
    #[serde(deserialize_with = "de_duration")]
    pub transient_window: Duration,
    /// FLAPPING: more than this many state changes … Default 4.
    pub flapping_changes: u32,
    /// … within this window. Default 1h.
    #[serde(deserialize_with = "de_duration")]
    pub flapping_window: Duration,
    /// FLAPPING: or re-fires within this long of clearing. Default 30m.
    #[serde(deserialize_with = "de_duration")]
    pub refire_window: Duration,
    /// RECURRING: on at least this many of the last `recurring_lookback_days`. Default 4.
    pub recurring_days: u32,
    /// RECURRING: days looked back. Default 7.
    pub recurring_lookback_days: u32,
    /// RECURRING: within this of the same local time. Default 30m.
    #[serde(deserialize_with = "de_duration")]
    pub recurring_tolerance: Duration,
    /// Incident overlap: this long before an incident starts counts. Default 30m.
    #[serde(deserialize_with = "de_duration")]
    pub incident_lead: Duration,
    /// Episodes: start times chaining within this gap. Default 5m.
    #[serde(deserialize_with = "de_duration")]
    pub episode_gap: Duration,
    /// Actionable evidence: acknowledged this long before it resolved. Default 30m.
    #[serde(deserialize_with = "de_duration")]
    pub long_engagement: Duration,
    /// Toil cost of an interruption without engaged time. Default 15m.
    #[serde(deserialize_with = "de_duration")]
    pub interruption_cost: Duration,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            transient_window: Duration::from_secs(300),
            flapping_changes: 4,
            flapping_window: Duration::from_secs(3600),
            refire_window: Duration::from_secs(1800),
            recurring_days: 4,
            recurring_lookback_days: 7,
            recurring_tolerance: Duration::from_secs(1800),
            incident_lead: Duration::from_secs(1800),
            episode_gap: Duration::from_secs(300),
            long_engagement: Duration::from_secs(1800),
            interruption_cost: Duration::from_secs(900),
        }
    }
}

impl Config {
    /// Read and validate a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text).map_err(|message| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parse config text; the error is a human message naming the key.
    pub fn parse(text: &str) -> Result<Config, String> {
        let config: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
        for (team, t) in &self.teams {
            for service in &t.services {
                if let Some(other) = owner.insert(service, team) {
                    return Err(format!(
                        "service `{service}` is listed under both [teams.{other}] and [teams.{team}]"
                    ));
                }
            }
        }
        Ok(())
    }

    /// The team that owns `service` according to the `services` lists.
    pub fn team_of_service(&self, service: &str) -> Option<&str> {
        self.teams
            .iter()
            .find(|(_, t)| t.services.iter().any(|s| s == service))
            .map(|(name, _)| name.as_str())
    }

    /// The configured team whose name or alias is `vendor_team`, else the
    /// vendor's own value.
    pub fn resolve_team(&self, vendor_team: &str) -> String {
        self.resolve_team_ref(vendor_team).to_string()
    }

    /// [`Config::resolve_team`], borrowed.
    pub fn resolve_team_ref<'a>(&'a self, vendor_team: &'a str) -> &'a str {
        self.teams
            .iter()
            .find(|(name, t)| *name == vendor_team || t.aliases.iter().any(|a| a == vendor_team))
            .map_or(vendor_team, |(name, _)| name.as_str())
    }

    /// A team's time zone: its own, else the default (also for no team).
    pub fn team_timezone(&self, team: Option<&str>) -> Tz {
        team.and_then(|t| self.teams.get(t))
            .and_then(|t| t.timezone)
            .unwrap_or(self.timezone)
    }

    /// Every team's time zone, owned, for a column function that outlives
    /// the configuration.
    pub fn team_zones(&self) -> TeamZones {
        TeamZones {
            zones: self
                .teams
                .iter()
                .filter_map(|(name, t)| t.timezone.map(|tz| (name.clone(), tz)))
                .collect(),
            default: self.timezone,
        }
    }

    /// The time zone configured for naive timestamps of `source`.
    pub fn source_timezone(&self, source: &str) -> Option<Tz> {
        self.sources.get(source).and_then(|s| s.timezone)
    }
}

fn de_tz<'de, D: Deserializer<'de>>(d: D) -> Result<Tz, D::Error> {
    let s = String::deserialize(d)?;
    parse_tz(&s).map_err(serde::de::Error::custom)
}

fn de_opt_tz<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Tz>, D::Error> {
    let s = String::deserialize(d)?;
    parse_tz(&s).map(Some).map_err(serde::de::Error::custom)
}

fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let s = String::deserialize(d)?;
    parse_duration(&s).map_err(serde::de::Error::custom)
}

/// Parse an IANA time zone name.
pub fn parse_tz(s: &str) -> Result<Tz, String> {
    s.parse::<Tz>().map_err(|_| {
        format!("unknown time zone `{s}` (expected an IANA name such as `Europe/Berlin`)")
    })
}

/// Parse a duration such as `90s`, `5m`, `1h30m`, `2d`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration `{s}` (expected e.g. `90s`, `5m`, `1h30m`)");
    let t = s.trim();
    if t.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    let mut num = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num.parse().map_err(|_| bad())?;
        num.clear();
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            _ => return Err(bad()),
        };
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    if !num.is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

/// Teams' time zones (see [`Config::team_zones`]).
#[derive(Debug, Clone)]
pub struct TeamZones {
    zones: polars::prelude::PlHashMap<String, Tz>,
    default: Tz,
}

impl TeamZones {
    /// The zone of `team` ([`Config::team_timezone`]).
    pub fn of(&self, team: Option<&str>) -> Tz {
        team.and_then(|t| self.zones.get(t).copied())
            .unwrap_or(self.default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_format_as_they_parse() {
        for (text, secs) in [
            ("0s", 0),
            ("1m30s", 90),
            ("5m", 300),
            ("1h30m", 5400),
            ("2d1s", 172_801),
        ] {
            assert_eq!(
                crate::core::duration::exact(Duration::from_secs(secs)),
                text
            );
            assert_eq!(parse_duration(text), Ok(Duration::from_secs(secs)));
        }
    }

    #[test]
    fn issue_example_parses() {
        let c = Config::parse(
            r#"
timezone = "UTC"
[teams.payments]
timezone = "Europe/Berlin"
services = ["checkout-api", "payments-db"]
[people."Ada Varga"]
timezone = "Europe/Berlin"
[paging]
pagerduty_urgencies = ["high"]
opsgenie_priorities = ["P1", "P2", "P3"]
alertmanager_receivers = ["pager"]
[sources.servicenow]
timezone = "Europe/London"
"#,
        )
        .expect("valid config");
        assert_eq!(c.team_of_service("payments-db"), Some("payments"));
        assert_eq!(
            c.source_timezone("servicenow"),
            Some(chrono_tz::Europe::London)
        );
        assert_eq!(c.people["Ada Varga"].timezone, chrono_tz::Europe::Berlin);
        assert_eq!(
            c.paging.alertmanager_receivers,
            Some(vec!["pager".to_string()])
        );
        assert_eq!(c.classify.transient_window, Duration::from_secs(300));
    }

    #[test]
    fn unknown_key_is_named() {
        let e = Config::parse("[paging]\npagerduty_urgency = [\"high\"]\n").unwrap_err();
        assert!(e.contains("pagerduty_urgency"), "{e}");
        let e = Config::parse("colour = 1\n").unwrap_err();
        assert!(e.contains("colour"), "{e}");
    }

    #[test]
    fn bad_timezone_and_duration_are_named() {
        let e = Config::parse("timezone = \"Mars/Olympus\"\n").unwrap_err();
        assert!(e.contains("Mars/Olympus"), "{e}");
        let e = Config::parse("[classify]\ntransient_window = \"5 minutes\"\n").unwrap_err();
        assert!(e.contains("5 minutes"), "{e}");
    }

    #[test]
    fn service_owned_twice_is_an_error() {
        let e = Config::parse("[teams.a]\nservices=[\"x\"]\n[teams.b]\nservices=[\"x\"]\n")
            .unwrap_err();
        assert!(e.contains("`x`"), "{e}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("").is_err());
    }
}
