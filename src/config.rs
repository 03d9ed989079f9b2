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
//! schedules = ["Payments primary"]      # on-call schedules or policies it holds
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
//!
//! Length: about 740 lines of code and 150 of tests, on purpose: every
//! setting and its default in one place, with the printer of `alertsift
//! config`.

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
    /// How the paging load is counted: hour bands, shifts, merging, toil.
    pub load: LoadSettings,
    /// The health targets the report holds the figures against.
    pub targets: Targets,
    /// How the reliability-review KPIs are counted.
    pub kpis: Kpis,
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
            load: LoadSettings::default(),
            targets: Targets::default(),
            kpis: Kpis::default(),
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
    /// On-call schedules (or escalation policies) of this team, by name or
    /// id: their shifts are this team's on-call. A schedule not listed
    /// anywhere belongs to the team whose name its name (or its policy's)
    /// contains.
    #[serde(default)]
    pub schedules: Vec<String>,
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
    /// Whether Splunk On-Call incidents page. Default `true`: it opens an
    /// incident to page someone (its `pagedUsers` are the responders).
    pub splunk_oncall: bool,
    /// Whether Grafana Alerting's alerts (its state history) count as
    /// pages. Default `true`: the history does not say which notified.
    pub grafana_alerting: bool,
    /// Whether Elastic (Kibana alerts-as-data) alerts count as pages.
    /// Default `true`: the documents do not say which notified.
    pub elastic: bool,
    /// Zabbix problems that carry no `alerts` (exported without
    /// `select_alerts`) page from this severity up (0 Not classified … 5
    /// Disaster). Default 4 (High).
    pub zabbix_min_severity: u8,
    /// Whether New Relic alerts count as pages. Default `true`: an issue
    /// that was activated (past its grace period) and not fully muted
    /// notified its workflows; the other shapes do not say.
    pub newrelic: bool,
    /// Datadog: a monitor alert pages when its message notifies a handle
    /// starting with one of these (case-insensitive). Default
    /// `["@pagerduty-", "@opsgenie-", "@oncall-"]`: the paging
    /// integrations and Datadog On-Call; add `@webhook-…` handles of your
    /// own paging hooks.
    pub datadog_handles: Vec<String>,
}

impl Default for Paging {
    fn default() -> Self {
        Paging {
            pagerduty_urgencies: vec!["high".into()],
            opsgenie_priorities: vec!["P1".into(), "P2".into(), "P3".into()],
            alertmanager_receivers: None,
            grafana_oncall: true,
            splunk_oncall: true,
            grafana_alerting: true,
            elastic: true,
            zabbix_min_severity: 4,
            newrelic: true,
            datadog_handles: vec!["@pagerduty-".into(), "@opsgenie-".into(), "@oncall-".into()],
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
    /// RECURRING: on at least this many of the days around the alert's
    /// (the `recurring_lookback_days` ending with its own and the
    /// `recurring_lookahead_days` after). Default 4.
    pub recurring_days: u32,
    /// RECURRING: days looked back, its own included. Default 7.
    pub recurring_lookback_days: u32,
    /// RECURRING: days looked ahead (a batch run sees them; 0 is the live
    /// rule's "the last 7 days"). Default 6.
    pub recurring_lookahead_days: u32,
    /// RECURRING: within this of the same local time. Default 1h.
    #[serde(deserialize_with = "de_duration")]
    pub recurring_tolerance: Duration,
    /// RECURRING: and over the whole history its template fires near this
    /// time of day on at least this many times as many days as near other
    /// times (one plus their mean; 0 turns the check off). Default 2.
    pub recurring_contrast: f64,
    /// Incident overlap: this long before an incident starts counts. Default 30m.
    #[serde(deserialize_with = "de_duration")]
    pub incident_lead: Duration,
    /// Episodes: start times chaining within this gap. Default 5m.
    #[serde(deserialize_with = "de_duration")]
    pub episode_gap: Duration,
    /// Actionable evidence: acknowledged this long before it resolved. Default 30m.
    #[serde(deserialize_with = "de_duration")]
    pub long_engagement: Duration,
    /// A rule's history counts (NO_WORK, RULE_WORK) from this many of its
    /// pages. Default 5.
    pub rule_min_pages: u32,
    /// RULE_WORK: at least this share of the rule's pages led to work.
    /// Default 0.5.
    pub rule_work_share: f64,
    /// NO_WORK: at most this share of the rule's pages led to work by a
    /// person (resolved after acknowledging, escalated, notes). Default 0.
    pub rule_no_work_share: f64,
    /// NO_WORK: and its pages overlap incidents no more often than chance
    /// explains, at most this many standard deviations above it: with `E`
    /// the pages expected to overlap an incident by chance (each page's
    /// share of the history its service's and team's incident windows
    /// cover, summed), at most `E + k·√E` overlaps. Default 3 (with some
    /// forty rules a history, 2 let one noisy rule in forty through by
    /// chance alone). (A flat share does not fit every team: a team with
    /// many long incidents sees a noisy rule overlap one by chance far more
    /// often.)
    pub rule_chance_sigmas: f64,
    /// Toil cost of an interruption without engaged time. Default 15m.
    #[serde(deserialize_with = "de_duration")]
    pub interruption_cost: Duration,
    /// Label: an alert whose score (how sure the model is it is noise) is at
    /// least this is noise. Default 0.5.
    pub score_cut: f64,
    /// Templates: a title joins a template when at least this share of its
    /// words agree (Drain's similarity). Default 0.6.
    pub template_similarity: f64,
    /// Templates of log lines (`alertsift templates`): a variable taking at
    /// most this many different plain words (letters only) is a choice
    /// between kinds of line, each its own template; 0 turns it off.
    /// Default 3.
    pub template_word_choices: u32,
    /// Tags teach their rule: an untagged alert takes the label its rule's
    /// tags agree on when the rule has at least this many tags … Default 2.
    pub rule_tags_min: u32,
    /// … and at least this share of them agree. Default 0.8.
    pub rule_tags_agreement: f64,
    /// The score's weights are fitted to tags only with at least this many
    /// tags of each label (fewer, and one label's tags would pull every
    /// alert its way); else the rules' weights stay. Default 5.
    pub fit_min_tags: u32,
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
            recurring_lookahead_days: 6,
            recurring_tolerance: Duration::from_secs(3600),
            recurring_contrast: 2.0,
            incident_lead: Duration::from_secs(1800),
            episode_gap: Duration::from_secs(300),
            long_engagement: Duration::from_secs(1800),
            rule_min_pages: 5,
            rule_work_share: 0.5,
            rule_no_work_share: 0.0,
            rule_chance_sigmas: 3.0,
            interruption_cost: Duration::from_secs(900),
            score_cut: 0.5,
            template_similarity: 0.6,
            template_word_choices: 3,
            rule_tags_min: 2,
            rule_tags_agreement: 0.8,
            fit_min_tags: 5,
        }
    }
}

/// How the paging load is counted (domain.md, "Paging load" and "Toil";
/// PagerDuty Analytics' definitions). Hours are local, in the person's zone
/// (interruptions) or the team's (shifts, pages by hour).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LoadSettings {
    /// Business hours, Monday to Friday: `[start, end)` hours. Default `[8, 18]`.
    pub business_hours: [u8; 2],
    /// Sleep hours, every day: from the first hour to the second, over
    /// midnight. Default `[22, 8]`. The rest is off hours.
    pub sleep_hours: [u8; 2],
    /// 12-hour shifts start at this hour and 12 hours later. Default 8.
    pub shift_start: u8,
    /// Notifications to one person within this of the last one counted
    /// count once. Default 60s.
    #[serde(deserialize_with = "de_duration")]
    pub merge_window: Duration,
    /// Engaged time counted as toil is capped at this per page. Default 4h.
    #[serde(deserialize_with = "de_duration")]
    pub toil_cap: Duration,
}

impl Default for LoadSettings {
    fn default() -> Self {
        LoadSettings {
            business_hours: [8, 18],
            sleep_hours: [22, 8],
            shift_start: 8,
            merge_window: Duration::from_secs(60),
            toil_cap: Duration::from_secs(4 * 3600),
        }
    }
}

/// The health targets (Google SRE book, "Being On-Call" and "Eliminating
/// Toil"; the non-actionable share from domain.md).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Targets {
    /// At most this many pages per 12-hour shift. Default 2.
    pub pages_per_shift: u64,
    /// Toil under this share of on-call time. Default 0.5.
    pub toil_share: f64,
    /// Non-actionable pages under this share of pages. Default 0.3.
    pub non_actionable_share: f64,
    /// At most this severity-weighted load per person per 12-hour shift
    /// (`[kpis] weight_*`). Default 6: two critical pages.
    pub weighted_load_per_shift: f64,
    /// The median time to acknowledge under this. Default `5m` (on-call
    /// teams are asked for 5–10 minutes).
    #[serde(deserialize_with = "de_duration")]
    pub mtta: Duration,
    /// At least this share of tier-1 rules (`[kpis] tier1_severities`) have
    /// a runbook. Default 0.8.
    pub runbook_coverage: f64,
}

impl Default for Targets {
    fn default() -> Self {
        Targets {
            pages_per_shift: 2,
            toil_share: 0.5,
            non_actionable_share: 0.3,
            weighted_load_per_shift: 6.0,
            mtta: Duration::from_secs(300),
            runbook_coverage: 0.8,
        }
    }
}

/// How the reliability-review KPIs are counted (issue #29; README,
/// "Reliability-review KPIs").
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Kpis {
    /// An incident repeats when another of its service starts within this
    /// after it was resolved (`repeat_incidents` in summary.json; the
    /// `repeat_incident_rate_7d` and `_30d` figures always use 7 and 30
    /// days). Default `7d`.
    #[serde(deserialize_with = "de_duration")]
    pub repeat_window: Duration,
    /// The severity-weighted load: a critical page weighs this. Default 3.
    pub weight_critical: f64,
    /// … an error page. Default 2.
    pub weight_error: f64,
    /// … a warning page. Default 1.
    pub weight_warning: f64,
    /// … an info page. Default 0.
    pub weight_info: f64,
    /// … a page of unknown severity (counted as one ordinary page).
    /// Default 1.
    pub weight_unknown: f64,
    /// Runbook coverage: a rule is tier-1 when a page of it has one of
    /// these severities. Default `["critical"]`.
    pub tier1_severities: Vec<String>,
}

impl Default for Kpis {
    fn default() -> Self {
        Kpis {
            repeat_window: Duration::from_secs(7 * 86_400),
            weight_critical: 3.0,
            weight_error: 2.0,
            weight_warning: 1.0,
            weight_info: 0.0,
            weight_unknown: 1.0,
            tier1_severities: vec!["critical".to_string()],
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
        let hour = |key: &str, h: u8| {
            if h < 24 {
                Ok(())
            } else {
                Err(format!(
                    "[load] {key}: {h} is not an hour of the day (0-23)"
                ))
            }
        };
        let l = &self.load;
        for (key, [a, b]) in [
            ("business_hours", l.business_hours),
            ("sleep_hours", l.sleep_hours),
        ] {
            hour(key, a)?;
            hour(key, b)?;
        }
        hour("shift_start", l.shift_start)?;
        if l.shift_start >= 12 {
            return Err(format!(
                "[load] shift_start: {} — give the first of the two shifts' starts (0-11)",
                l.shift_start
            ));
        }
        let [b0, b1] = l.business_hours;
        if b0 >= b1 {
            return Err(format!(
                "[load] business_hours: [{b0}, {b1}] must start before it ends"
            ));
        }
        let share = |key: &str, v: f64| {
            if v > 0.0 && v <= 1.0 {
                Ok(())
            } else {
                Err(format!("{key}: {v} is not a share (over 0, at most 1)"))
            }
        };
        share("[targets] toil_share", self.targets.toil_share)?;
        share(
            "[targets] non_actionable_share",
            self.targets.non_actionable_share,
        )?;
        share("[classify] score_cut", self.classify.score_cut)?;
        share(
            "[classify] template_similarity",
            self.classify.template_similarity,
        )?;
        share(
            "[classify] rule_tags_agreement",
            self.classify.rule_tags_agreement,
        )?;
        share("[targets] runbook_coverage", self.targets.runbook_coverage)?;
        for sev in &self.kpis.tier1_severities {
            if !crate::schema::SEVERITIES.contains(&sev.as_str()) {
                return Err(format!(
                    "[kpis] tier1_severities: `{sev}` is not one of {}",
                    crate::schema::SEVERITIES.join(", ")
                ));
            }
        }
        let k = &self.kpis;
        for (key, v) in [
            ("[kpis] weight_critical", k.weight_critical),
            ("[kpis] weight_error", k.weight_error),
            ("[kpis] weight_warning", k.weight_warning),
            ("[kpis] weight_info", k.weight_info),
            ("[kpis] weight_unknown", k.weight_unknown),
            (
                "[targets] weighted_load_per_shift",
                self.targets.weighted_load_per_shift,
            ),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("{key}: {v} is not a weight (0 or more)"));
            }
        }
        let contrast = self.classify.recurring_contrast;
        if !(contrast.is_finite() && contrast >= 0.0) {
            return Err(format!(
                "[classify] recurring_contrast: {contrast} is not a factor (0 or more)"
            ));
        }
        let sigmas = self.classify.rule_chance_sigmas;
        if !(sigmas.is_finite() && sigmas >= 0.0) {
            return Err(format!(
                "[classify] rule_chance_sigmas: {sigmas} is not a number of standard deviations (0 or more)"
            ));
        }
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

    /// The configured team that lists `schedule` or `policy` among its
    /// `schedules`.
    pub fn team_of_schedule(&self, schedule: Option<&str>, policy: Option<&str>) -> Option<&str> {
        let listed = |name: Option<&str>| {
            name.and_then(|n| {
                self.teams
                    .iter()
                    .find(|(_, t)| t.schedules.iter().any(|s| s == n))
                    .map(|(team, _)| team.as_str())
            })
        };
        listed(schedule).or_else(|| listed(policy))
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

/// Every setting of `alertsift.toml` with its default, as TOML that
/// `alertsift config --defaults` prints and [`Config::parse`] reads back.
/// The values come from the `Default` impls above, the one place each
/// default is written.
pub fn defaults_toml() -> String {
    settings_toml(&Config::default())
}

/// Every setting of `d` as TOML that [`Config::parse`] reads back as `d`
/// (`alertsift config`), each with a comment saying what it sets.
pub fn settings_toml(d: &Config) -> String {
    use crate::core::duration::exact;
    use std::fmt::Write;
    let dur = |v: Duration| format!("\"{}\"", exact(v));
    let list = |v: &[String]| {
        let items: Vec<String> = v.iter().map(|s| format!("{s:?}")).collect();
        format!("[{}]", items.join(", "))
    };
    let mut out = String::new();
    let section = |name: &str, out: &mut String| {
        let _ = write!(out, "\n[{name}]\n");
    };
    let push = |out: &mut String, key: &str, value: String, doc: &str| {
        let _ = writeln!(out, "{key} = {value:<12} # {doc}");
    };
    push(
        &mut out,
        "timezone",
        format!("\"{}\"", d.timezone.name()),
        "zone of teams and people not listed",
    );
    for (name, t) in &d.teams {
        section(&format!("teams.{}", toml_key(name)), &mut out);
        if let Some(tz) = t.timezone {
            push(
                &mut out,
                "timezone",
                format!("\"{}\"", tz.name()),
                "the team's zone",
            );
        }
        push(
            &mut out,
            "services",
            list(&t.services),
            "services the team owns",
        );
        push(
            &mut out,
            "aliases",
            list(&t.aliases),
            "names the vendors use for it",
        );
        push(
            &mut out,
            "schedules",
            list(&t.schedules),
            "on-call schedules (or escalation policies) it holds",
        );
    }
    for (name, p) in &d.people {
        section(&format!("people.{}", toml_key(name)), &mut out);
        push(
            &mut out,
            "timezone",
            format!("\"{}\"", p.timezone.name()),
            "the person's zone",
        );
    }
    for (name, s) in &d.sources {
        section(&format!("sources.{}", toml_key(name)), &mut out);
        if let Some(tz) = s.timezone {
            push(
                &mut out,
                "timezone",
                format!("\"{}\"", tz.name()),
                "zone of naive timestamps",
            );
        }
    }
    section("paging", &mut out);
    let p = &d.paging;
    push(
        &mut out,
        "pagerduty_urgencies",
        list(&p.pagerduty_urgencies),
        "PagerDuty urgencies that page",
    );
    push(
        &mut out,
        "opsgenie_priorities",
        list(&p.opsgenie_priorities),
        "Opsgenie priorities that page",
    );
    match &p.alertmanager_receivers {
        Some(r) => push(
            &mut out,
            "alertmanager_receivers",
            list(r),
            "Alertmanager receivers that page",
        ),
        None => out.push_str(
            "# alertmanager_receivers = [\"…\"]  # receivers that page; unset: every receiver\n",
        ),
    }
    push(
        &mut out,
        "grafana_oncall",
        p.grafana_oncall.to_string(),
        "Grafana OnCall alert groups page",
    );
    push(
        &mut out,
        "splunk_oncall",
        p.splunk_oncall.to_string(),
        "Splunk On-Call incidents page",
    );
    push(
        &mut out,
        "grafana_alerting",
        p.grafana_alerting.to_string(),
        "Grafana Alerting alerts (state history) page",
    );
    push(
        &mut out,
        "elastic",
        p.elastic.to_string(),
        "Elastic (Kibana alerts-as-data) alerts page",
    );
    push(
        &mut out,
        "zabbix_min_severity",
        p.zabbix_min_severity.to_string(),
        "Zabbix problems without alerts page from this severity (4 High)",
    );
    push(
        &mut out,
        "newrelic",
        p.newrelic.to_string(),
        "New Relic issues page (activated and not muted ones)",
    );
    push(
        &mut out,
        "datadog_handles",
        list(&p.datadog_handles),
        "Datadog alerts page when their message notifies a handle starting so",
    );
    section("ingest", &mut out);
    push(
        &mut out,
        "service_label",
        format!("{:?}", d.ingest.service_label),
        "label or tag naming the service",
    );
    push(
        &mut out,
        "team_label",
        format!("{:?}", d.ingest.team_label),
        "label or tag naming the team",
    );
    section("classify", &mut out);
    let t = &d.classify;
    push(
        &mut out,
        "transient_window",
        dur(t.transient_window),
        "TRANSIENT: auto-resolved, never acknowledged, within this",
    );
    push(
        &mut out,
        "flapping_changes",
        t.flapping_changes.to_string(),
        "FLAPPING: more than this many state changes …",
    );
    push(
        &mut out,
        "flapping_window",
        dur(t.flapping_window),
        "… within this window",
    );
    push(
        &mut out,
        "refire_window",
        dur(t.refire_window),
        "FLAPPING: or re-fires within this of clearing",
    );
    push(
        &mut out,
        "recurring_days",
        t.recurring_days.to_string(),
        "RECURRING: on at least this many days …",
    );
    push(
        &mut out,
        "recurring_lookback_days",
        t.recurring_lookback_days.to_string(),
        "… of the days around its own: this many ending with it",
    );
    push(
        &mut out,
        "recurring_lookahead_days",
        t.recurring_lookahead_days.to_string(),
        "… and this many after (0: the last days only)",
    );
    push(
        &mut out,
        "recurring_tolerance",
        dur(t.recurring_tolerance),
        "… within this of the same local time",
    );
    push(
        &mut out,
        "recurring_contrast",
        t.recurring_contrast.to_string(),
        "… and near that time on this many times the days near other times (0: off)",
    );
    push(
        &mut out,
        "incident_lead",
        dur(t.incident_lead),
        "incident overlap: this long before it starts counts",
    );
    push(
        &mut out,
        "episode_gap",
        dur(t.episode_gap),
        "episodes: start times chaining within this",
    );
    push(
        &mut out,
        "long_engagement",
        dur(t.long_engagement),
        "actionable: acknowledged this long before it resolved",
    );
    push(
        &mut out,
        "rule_min_pages",
        t.rule_min_pages.to_string(),
        "a rule's history counts from this many of its pages",
    );
    push(
        &mut out,
        "rule_work_share",
        t.rule_work_share.to_string(),
        "actionable: this share of its rule's pages led to work",
    );
    push(
        &mut out,
        "rule_no_work_share",
        t.rule_no_work_share.to_string(),
        "noise: at most this share of its rule's pages led to work by a person",
    );
    push(
        &mut out,
        "rule_chance_sigmas",
        t.rule_chance_sigmas.to_string(),
        "noise: and its incident overlaps at most chance plus this many standard deviations",
    );
    push(
        &mut out,
        "interruption_cost",
        dur(t.interruption_cost),
        "toil of a noise page never acknowledged",
    );
    push(
        &mut out,
        "score_cut",
        t.score_cut.to_string(),
        "noise when the score is at least this",
    );
    push(
        &mut out,
        "template_similarity",
        t.template_similarity.to_string(),
        "a title joins a template when this share of words agree",
    );
    push(
        &mut out,
        "template_word_choices",
        t.template_word_choices.to_string(),
        "log lines: a variable of at most this many plain words is a choice of kind",
    );
    push(
        &mut out,
        "rule_tags_min",
        t.rule_tags_min.to_string(),
        "tags teach their rule from this many tags …",
    );
    push(
        &mut out,
        "rule_tags_agreement",
        t.rule_tags_agreement.to_string(),
        "… when this share of them agree",
    );
    push(
        &mut out,
        "fit_min_tags",
        t.fit_min_tags.to_string(),
        "fit the score to tags only with this many of each label",
    );
    section("load", &mut out);
    let l = &d.load;
    let hours = |h: [u8; 2]| format!("[{}, {}]", h[0], h[1]);
    push(
        &mut out,
        "business_hours",
        hours(l.business_hours),
        "Monday to Friday, [start, end) local hours",
    );
    push(
        &mut out,
        "sleep_hours",
        hours(l.sleep_hours),
        "every day, over midnight; the rest is off hours",
    );
    push(
        &mut out,
        "shift_start",
        l.shift_start.to_string(),
        "12-hour shifts start at this hour and 12 h later",
    );
    push(
        &mut out,
        "merge_window",
        dur(l.merge_window),
        "notifications to one person within this count once",
    );
    push(
        &mut out,
        "toil_cap",
        dur(l.toil_cap),
        "engaged time counted as toil, at most this per page",
    );
    section("targets", &mut out);
    let g = &d.targets;
    push(
        &mut out,
        "pages_per_shift",
        g.pages_per_shift.to_string(),
        "at most this many pages per 12-hour shift",
    );
    push(
        &mut out,
        "toil_share",
        g.toil_share.to_string(),
        "toil under this share of on-call time",
    );
    push(
        &mut out,
        "non_actionable_share",
        g.non_actionable_share.to_string(),
        "non-actionable pages under this share",
    );
    push(
        &mut out,
        "weighted_load_per_shift",
        g.weighted_load_per_shift.to_string(),
        "at most this severity-weighted load per person per 12-hour shift",
    );
    push(
        &mut out,
        "mtta",
        dur(g.mtta),
        "the median time to acknowledge under this",
    );
    push(
        &mut out,
        "runbook_coverage",
        g.runbook_coverage.to_string(),
        "at least this share of tier-1 rules have a runbook",
    );
    section("kpis", &mut out);
    let k = &d.kpis;
    push(
        &mut out,
        "repeat_window",
        dur(k.repeat_window),
        "an incident repeats when another of its service starts within this after it resolved",
    );
    for (key, value, what) in [
        ("weight_critical", k.weight_critical, "a critical page"),
        ("weight_error", k.weight_error, "an error page"),
        ("weight_warning", k.weight_warning, "a warning page"),
        ("weight_info", k.weight_info, "an info page"),
        (
            "weight_unknown",
            k.weight_unknown,
            "a page of unknown severity",
        ),
    ] {
        push(
            &mut out,
            key,
            format!("{value:?}"),
            &format!("severity-weighted load: what {what} weighs"),
        );
    }
    push(
        &mut out,
        "tier1_severities",
        format!("{:?}", k.tier1_severities),
        "runbook coverage: a rule is tier-1 when a page of it has one of these severities",
    );
    out
}

/// A table key as TOML writes it: bare if it can be, else quoted.
fn toml_key(name: &str) -> String {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        name.to_string()
    } else {
        format!("{name:?}")
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

    /// `alertsift config --defaults` reads back as the defaults, and names
    /// every field of every section (the field names from `Debug`).
    #[test]
    fn defaults_print_every_setting_and_read_back() {
        let text = defaults_toml();
        let parsed = Config::parse(&text).expect("the defaults parse");
        assert_eq!(format!("{parsed:?}"), format!("{:?}", Config::default()));
        let fields = |debug: String| -> Vec<String> {
            debug
                .split(['{', ','])
                .skip(1)
                .filter_map(|f| f.trim().split(':').next())
                .filter(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
                .map(str::to_string)
                .collect()
        };
        let d = Config::default();
        for name in fields(format!("{:?}", d.classify))
            .into_iter()
            .chain(fields(format!("{:?}", d.load)))
            .chain(fields(format!("{:?}", d.targets)))
            .chain(fields(format!("{:?}", d.kpis)))
            .chain(fields(format!("{:?}", d.paging)))
            .chain(fields(format!("{:?}", d.ingest)))
        {
            assert!(
                text.contains(&format!("\n{name} = ")) || text.contains(&format!("# {name} = ")),
                "{name} missing from:\n{text}"
            );
        }
    }

    /// A config with teams, people, sources and changed settings prints
    /// as TOML that reads back as the same config.
    #[test]
    fn settings_read_back() {
        let text = "timezone = \"Europe/Berlin\"\n[teams.pay]\ntimezone = \"Asia/Kolkata\"\nservices = [\"api\"]\n[teams.\"ops team\"]\naliases = [\"P123\"]\n[people.Ada]\ntimezone = \"UTC\"\n[sources.nagios]\ntimezone = \"America/New_York\"\n[paging]\nalertmanager_receivers = [\"pager\"]\n[classify]\ntransient_window = \"90s\"\nscore_cut = 0.6\n[load]\nsleep_hours = [23, 7]\n[targets]\npages_per_shift = 3\n";
        let c = Config::parse(text).unwrap();
        let printed = settings_toml(&c);
        let again = Config::parse(&printed).unwrap();
        assert_eq!(format!("{again:?}"), format!("{c:?}"), "{printed}");
        assert!(
            printed.contains("transient_window = \"1m30s\""),
            "{printed}"
        );
    }

    #[test]
    fn load_and_targets_are_checked() {
        for (bad, says) in [
            (
                "[load]\nbusiness_hours = [18, 8]\n",
                "must start before it ends",
            ),
            ("[load]\nsleep_hours = [22, 24]\n", "not an hour"),
            ("[load]\nshift_start = 20\n", "first of the two shifts"),
            ("[targets]\ntoil_share = 50\n", "not a share"),
            ("[classify]\nscore_cut = 0\n", "not a share"),
        ] {
            let e = Config::parse(bad).expect_err(bad);
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
