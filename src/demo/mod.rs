//! `alertsift demo`: a realistic, deterministic multi-vendor alert history
//! with its ground truth.
//!
//! Four teams in four time zones (three with DST changes inside the default
//! range) own services alerting through PagerDuty (CSV), Opsgenie (JSON
//! pages) and Alertmanager (webhook JSON lines); real incidents are also
//! exported from ServiceNow (CSV, one row per update). Every alert comes from
//! one rule with one behaviour — a real problem, a problem that could have
//! waited, a storm of secondaries behind a real problem, a transient blip, a
//! flapping check, duplicates, an acknowledged alert nobody acted on, a
//! nightly job, an informational alert that still reached a person — and
//! `truth.csv` says, for every alert, its label, its opsweekly category, its
//! template and its behaviour. The classifier and template miner never read
//! `truth.csv`; tests and benchmarks score against it.
//!
//! Generation is week by week with one random stream per (rule, week), so
//! memory stays bounded at any size (10 million alerts for benchmarks), and
//! the same seed gives the same bytes.
//!
//! Length: about 1,340 lines: one generator whose vendors, patterns and
//! ground truth must agree row by row.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::core::time::rfc3339_utc;

mod rules;
mod vendors;

pub use rules::{ALERTMANAGER_CONFIG_FILE, RULES_FILE};

/// Options of `alertsift demo`.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Weeks of history.
    pub weeks: u32,
    /// Approximate number of alerts over all sources.
    pub alerts: u64,
    /// Random seed.
    pub seed: u64,
    /// First day of the history (UTC midnight).
    pub start: NaiveDate,
    /// Write every team's alerts through this one vendor (for benchmarks).
    pub only: Option<DemoVendor>,
    /// Show a progress bar.
    pub progress: bool,
    /// Share of PagerDuty descriptions given a second line, `Runbook:
    /// <url>` (a title style of real exports; 0 writes none and draws no
    /// random number, so the default history is unchanged).
    pub runbook_lines: f64,
    /// Host names without digits (`pay-amber`, not `pay-03`), as some
    /// fleets name them: a word the templates must still see as a variable.
    pub word_hosts: bool,
    /// Rates of the noise rules times this (1 leaves the default mix; 2
    /// doubles the noise against the real problems).
    pub noise_mix: f64,
    /// Alertmanager `alertname`s and Opsgenie aliases after the service, not
    /// the rule (one name for a service's several rules, as some teams
    /// write them).
    pub service_rule_names: bool,
    /// Every vendor alertsift reads alerts from in one history: each team's
    /// rules spread over them, rule by rule (ignored with `only`).
    pub all_vendors: bool,
    /// Nightly jobs fire within this many minutes either side of their
    /// time (10 by default; more is a job whose start wanders).
    pub nightly_jitter: u32,
    /// Share of days a nightly job fires (0.85 by default; less is a job
    /// that skips days).
    pub nightly_days: f64,
}

/// Words for host names without digits (`--word-hosts`).
const HOST_WORDS: [&str; 16] = [
    "amber", "birch", "cedar", "delta", "ember", "fjord", "grove", "heron", "iris", "juniper",
    "kestrel", "lotus", "maple", "nova", "onyx", "pine",
];

/// The alert sources the demo writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoVendor {
    /// PagerDuty incidents CSV.
    Pagerduty,
    /// Opsgenie alert pages.
    Opsgenie,
    /// Alertmanager webhook JSON lines.
    Alertmanager,
    /// Datadog webhook deliveries (JSON lines).
    Datadog,
    /// Splunk On-Call reporting v2 incident pages.
    SplunkOncall,
    /// Jira Service Management Operations alert pages.
    Jsm,
    /// Zabbix `event.get` results.
    Zabbix,
    /// New Relic NerdGraph issue pages.
    Newrelic,
    /// Elastic (Kibana alerts-as-data) documents, one per line.
    Elastic,
    /// Grafana Alerting webhook contact point payloads (JSON lines).
    GrafanaAlerting,
}

/// What `demo` wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    /// Alerts over all sources.
    pub alerts: u64,
    /// PagerDuty incidents.
    pub pagerduty: u64,
    /// Opsgenie alerts.
    pub opsgenie: u64,
    /// Alertmanager occurrences.
    pub alertmanager: u64,
    /// Alerts of the other vendors (`--all-vendors`, `--only`), by source.
    pub others: BTreeMap<&'static str, u64>,
    /// ServiceNow incidents.
    pub incidents: u64,
}

/// File names the demo writes.
pub const PAGERDUTY_FILE: &str = "pagerduty-incidents.csv";
/// Opsgenie pages, one JSON page per line.
pub const OPSGENIE_FILE: &str = "opsgenie-alerts.json";
/// Alertmanager webhook payloads, one per line.
pub const ALERTMANAGER_FILE: &str = "alertmanager-webhooks.jsonl";
/// ServiceNow incidents, one row per update.
pub const SERVICENOW_FILE: &str = "servicenow-incidents.csv";
/// The ground truth.
pub const TRUTH_FILE: &str = "truth.csv";
/// Who was on call for the teams whose alerts name no one (Alertmanager's):
/// a schedule CSV, weekly shifts handed over on Mondays at 09:00 local.
pub const SCHEDULE_FILE: &str = "schedules.csv";
/// The rota of a team whose alerts name no one.
const ROTA: [&str; 3] = ["Noor Haddad", "Erik Lund", "Mei Tan"];
/// The configuration for this history.
pub const CONFIG_FILE: &str = "alertsift.toml";

// ------------------------------------------------------------------ rng ---

/// SplitMix64: small, fast, and the same on every platform and version.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64, a: u64, b: u64) -> Rng {
        let mut r = Rng(seed
            ^ mix(
                a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ mix(b.wrapping_add(0x632B_E59B_D9B4_E019))
            ));
        r.next();
        r
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }
    fn f64(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + (self.next() % (hi - lo) as u64) as i64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }
    /// Poisson-distributed count with the given mean (Knuth for small
    /// means, a rounded normal for large ones).
    fn poisson(&mut self, mean: f64) -> u64 {
        if mean <= 0.0 {
            return 0;
        }
        if mean > 50.0 {
            let u1 = self.f64().max(1e-12);
            let u2 = self.f64();
            let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            return (mean + z * mean.sqrt()).round().max(0.0) as u64;
        }
        let l = (-mean).exp();
        let (mut k, mut p) = (0u64, 1.0);
        loop {
            p *= self.f64();
            if p <= l {
                return k;
            }
            k += 1;
        }
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

// ---------------------------------------------------------------- model ---

/// The demo's vendors are the ones `--only` names.
use DemoVendor as Vendor;

impl Vendor {
    /// Every vendor, in the order `--all-vendors` hands them to rules.
    const ALL: [Vendor; 10] = [
        Vendor::Pagerduty,
        Vendor::Opsgenie,
        Vendor::Alertmanager,
        Vendor::Datadog,
        Vendor::SplunkOncall,
        Vendor::Jsm,
        Vendor::Zabbix,
        Vendor::Newrelic,
        Vendor::Elastic,
        Vendor::GrafanaAlerting,
    ];

    /// Its exports record who acknowledged an alert.
    fn acks(self) -> bool {
        !matches!(
            self,
            Vendor::Alertmanager | Vendor::Datadog | Vendor::GrafanaAlerting
        )
    }

    /// It folds repeats of one alias into a count (Opsgenie, and JSM).
    fn folds(self) -> bool {
        matches!(self, Vendor::Opsgenie | Vendor::Jsm)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pattern {
    /// A real problem: acknowledged, worked on, resolved by a person.
    Real,
    /// A real problem that could have waited until morning.
    WrongTime,
    /// Fires while an occurrence with the same identity is open.
    Duplicate,
    /// Resolves by itself within minutes, nobody looks.
    Transient,
    /// Fires and clears again and again.
    Flapping,
    /// Acknowledged, then resolved by itself; nobody did anything.
    AckNoAction,
    /// A nightly job: fires at about the same local time most days.
    Recurring,
    /// Informational or low urgency, still reached a person.
    NonPaging,
    /// Follows a real problem's first alert within minutes.
    StormSecondary,
}

impl Pattern {
    fn name(self) -> &'static str {
        match self {
            Pattern::Real => "real",
            Pattern::WrongTime => "wrong_time",
            Pattern::Duplicate => "duplicate",
            Pattern::Transient => "transient",
            Pattern::Flapping => "flapping",
            Pattern::AckNoAction => "ack_no_action",
            Pattern::Recurring => "recurring",
            Pattern::NonPaging => "non_paging",
            Pattern::StormSecondary => "storm_secondary",
        }
    }
    fn actionable(self) -> bool {
        matches!(self, Pattern::Real | Pattern::WrongTime)
    }
    /// The opsweekly tag a person would give it.
    fn category(self) -> &'static str {
        match self {
            Pattern::Real => "service issue",
            Pattern::WrongTime => "service issue but wrong time",
            Pattern::StormSecondary => "view issue (outage or alert storm)",
            Pattern::Transient | Pattern::NonPaging => "threshold adjustment required",
            Pattern::Flapping | Pattern::Duplicate => "check is faulty",
            Pattern::AckNoAction => "work ongoing and downtime not set",
            Pattern::Recurring => "time period inappropriate",
        }
    }
}

struct Rule {
    name: &'static str,
    /// Title with `{host}`, `{pct}`, `{ms}`, `{n}`, `{ip}`, `{pod}`, `{word}`, `{dur}` slots.
    title: &'static str,
    service: &'static str,
    pattern: Pattern,
    /// Occurrences (or bursts, groups) per week at scale 1.
    rate: f64,
    severity: &'static str,
    /// Recurring: local time of day, minutes after midnight.
    at_minute: i64,
}

struct Team {
    name: &'static str,
    tz: Tz,
    vendor: Vendor,
    people: &'static [&'static str],
    host_prefix: &'static str,
    rules: Vec<Rule>,
}

const fn rule(
    name: &'static str,
    title: &'static str,
    service: &'static str,
    pattern: Pattern,
    rate: f64,
    severity: &'static str,
) -> Rule {
    Rule {
        name,
        title,
        service,
        pattern,
        rate,
        severity,
        at_minute: 0,
    }
}

fn teams() -> Vec<Team> {
    use Pattern::*;
    vec![
        Team {
            name: "payments",
            tz: chrono_tz::Europe::Berlin,
            vendor: Vendor::Pagerduty,
            people: &["Ada Varga", "Jonas Weber", "Priya Nair"],
            host_prefix: "pay",
            rules: vec![
                rule(
                    "CheckoutErrors",
                    "Checkout API 5xx ratio above {pct} on {host}",
                    "checkout-api",
                    Real,
                    9.0,
                    "critical",
                ),
                rule(
                    "ReplicationLag",
                    "Replication lag on {host} is {dur}",
                    "payments-db",
                    Real,
                    6.0,
                    "critical",
                ),
                rule(
                    "DiskFilling",
                    "Disk on {host} will be full in {n} hours",
                    "payments-db",
                    WrongTime,
                    5.0,
                    "error",
                ),
                rule(
                    "UpstreamConnect",
                    "Upstream connect error to {host}",
                    "checkout-api",
                    StormSecondary,
                    0.0,
                    "error",
                ),
                rule(
                    "LatencyP99",
                    "p99 latency {ms} on {host}",
                    "checkout-api",
                    StormSecondary,
                    0.0,
                    "error",
                ),
                rule(
                    "FraudCpu",
                    "High CPU on {host}: {pct}",
                    "fraud-scorer",
                    Transient,
                    18.0,
                    "warning",
                ),
                rule(
                    "DiskLatency",
                    "Disk latency above {ms} on {host}",
                    "payments-db",
                    Transient,
                    12.0,
                    "warning",
                ),
                rule(
                    "HealthCheck",
                    "Health check failing for {host}",
                    "checkout-api",
                    Flapping,
                    2.0,
                    "critical",
                ),
                rule(
                    "GatewayTimeout",
                    "Payment gateway timeout from {ip}",
                    "checkout-api",
                    Duplicate,
                    3.0,
                    "error",
                ),
                rule(
                    "QueueDepth",
                    "Queue depth {n} above threshold on {host}",
                    "fraud-scorer",
                    AckNoAction,
                    10.0,
                    "warning",
                ),
                Rule {
                    at_minute: 2 * 60 + 15,
                    ..rule(
                        "SettlementBatch",
                        "Nightly settlement batch slow on {host}",
                        "payments-db",
                        Recurring,
                        0.0,
                        "warning",
                    )
                },
                rule(
                    "CertExpiry",
                    "Certificate for checkout-api expires in {n} days",
                    "checkout-api",
                    NonPaging,
                    12.0,
                    "info",
                ),
            ],
        },
        Team {
            name: "search",
            tz: chrono_tz::Australia::Sydney,
            vendor: Vendor::Pagerduty,
            people: &["Liam Walker", "Chloe Nguyen", "Hamish Reid"],
            host_prefix: "srch",
            rules: vec![
                rule(
                    "SearchAvailability",
                    "Search API availability below {pct}",
                    "search-api",
                    Real,
                    8.0,
                    "critical",
                ),
                rule(
                    "IndexCorrupt",
                    "Index segment corrupt on {host}",
                    "indexer",
                    WrongTime,
                    4.0,
                    "error",
                ),
                rule(
                    "SearchTimeout",
                    "Search API timeout from {host}",
                    "search-api",
                    StormSecondary,
                    0.0,
                    "error",
                ),
                rule(
                    "GcPause",
                    "GC pause {ms} on {host}",
                    "search-api",
                    Transient,
                    15.0,
                    "warning",
                ),
                rule(
                    "IndexerBehind",
                    "Indexer {host} behind by {n} documents",
                    "indexer",
                    Flapping,
                    1.5,
                    "error",
                ),
                rule(
                    "ShardRelocating",
                    "Shard {n} relocating on {host}",
                    "indexer",
                    AckNoAction,
                    8.0,
                    "warning",
                ),
                Rule {
                    at_minute: 3 * 60,
                    ..rule(
                        "Reindex",
                        "Reindex job running long on {host}",
                        "indexer",
                        Recurring,
                        0.0,
                        "warning",
                    )
                },
                rule(
                    "SlowQuery",
                    "Slow query logged on {host}: {ms}",
                    "search-api",
                    NonPaging,
                    10.0,
                    "info",
                ),
            ],
        },
        Team {
            name: "platform",
            tz: chrono_tz::America::New_York,
            vendor: Vendor::Alertmanager,
            people: &[],
            host_prefix: "node",
            rules: vec![
                rule(
                    "IngressDown",
                    "Ingress {host} is down",
                    "ingress",
                    Real,
                    7.0,
                    "critical",
                ),
                rule(
                    "EtcdNoLeader",
                    "etcd member {host} has no leader",
                    "etcd",
                    Real,
                    4.0,
                    "critical",
                ),
                rule(
                    "CertManagerFailing",
                    "cert-manager cannot renew certificate on {host}",
                    "ingress",
                    WrongTime,
                    4.0,
                    "error",
                ),
                rule(
                    "KubeNodeNotReady",
                    "Node {host} not ready",
                    "k8s-nodes",
                    StormSecondary,
                    0.0,
                    "error",
                ),
                rule(
                    "TargetDown",
                    "Target {ip} down",
                    "k8s-nodes",
                    StormSecondary,
                    0.0,
                    "error",
                ),
                rule(
                    "NodeCPUHigh",
                    "CPU usage {pct} on node {host}",
                    "k8s-nodes",
                    Transient,
                    30.0,
                    "warning",
                ),
                rule(
                    "ProbeFlapping",
                    "Probe failing for {host}",
                    "ingress",
                    Flapping,
                    3.0,
                    "critical",
                ),
                rule(
                    "KubePodCrashLooping",
                    "Pod {pod} crash looping",
                    "k8s-nodes",
                    Duplicate,
                    4.0,
                    "error",
                ),
                Rule {
                    at_minute: 90,
                    ..rule(
                        "BackupJobSlow",
                        "Backup job running on {host} for {dur}",
                        "etcd",
                        Recurring,
                        0.0,
                        "warning",
                    )
                },
                rule(
                    "DeployFinished",
                    "Deployment of {word} finished",
                    "k8s-nodes",
                    NonPaging,
                    25.0,
                    "info",
                ),
            ],
        },
        Team {
            name: "data",
            tz: chrono_tz::Europe::London,
            vendor: Vendor::Opsgenie,
            people: &[
                "sam.okafor@example.com",
                "ines.garcia@example.com",
                "tom.berg@example.com",
            ],
            host_prefix: "etl",
            rules: vec![
                rule(
                    "WarehouseLoadFailed",
                    "Warehouse load failed for table {word}",
                    "warehouse",
                    Real,
                    8.0,
                    "critical",
                ),
                rule(
                    "KafkaIsr",
                    "Kafka partition {n} has no in-sync replica",
                    "kafka",
                    WrongTime,
                    4.0,
                    "error",
                ),
                rule(
                    "BrokerUnderReplicated",
                    "Broker {host} under-replicated partitions {n}",
                    "kafka",
                    StormSecondary,
                    0.0,
                    "error",
                ),
                rule(
                    "ConsumerLag",
                    "Kafka consumer lag {n} on {host}",
                    "kafka",
                    Transient,
                    20.0,
                    "warning",
                ),
                rule(
                    "EtlHeartbeat",
                    "ETL worker {host} heartbeat missing",
                    "etl-scheduler",
                    Flapping,
                    2.0,
                    "error",
                ),
                rule(
                    "DiskFull",
                    "Disk {pct} full on {host}",
                    "warehouse",
                    Duplicate,
                    4.0,
                    "warning",
                ),
                rule(
                    "QueryQueue",
                    "Warehouse query queue {n} on {host}",
                    "warehouse",
                    AckNoAction,
                    10.0,
                    "warning",
                ),
                Rule {
                    at_minute: 6 * 60,
                    ..rule(
                        "DailyExport",
                        "Daily export delayed on {host}",
                        "etl-scheduler",
                        Recurring,
                        0.0,
                        "warning",
                    )
                },
                rule(
                    "SchemaChange",
                    "Schema change detected in table {word}",
                    "warehouse",
                    NonPaging,
                    15.0,
                    "info",
                ),
            ],
        },
    ]
}

const WORDS: &[&str] = &[
    "orders", "events", "payments", "sessions", "invoices", "users", "clicks", "refunds",
];

/// One generated alert occurrence (times in milliseconds since the epoch).
#[derive(Debug, Clone)]
struct Occ {
    team: usize,
    rule: usize,
    pattern: Pattern,
    start: i64,
    /// `None`: still open at the end of the history.
    end: Option<i64>,
    ack: Option<(i64, usize)>,
    by_person: bool,
    escalations: u32,
    notes: u32,
    title: String,
    host: String,
    repeat: u32,
    /// Alertmanager `replica` label (duplicates differ only by it).
    replica: u32,
    /// A ServiceNow incident for this alert: (opened, resolved).
    incident: Option<(i64, i64)>,
    paged: bool,
}

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;
const WEEK: i64 = 7 * DAY;

struct Gen<'a> {
    teams: &'a [Team],
    runbook_lines: f64,
    word_hosts: bool,
    noise_mix: f64,
    service_rule_names: bool,
    all_vendors: bool,
    nightly_jitter: i64,
    nightly_days: f64,
    seed: u64,
    scale: f64,
    start_ms: i64,
    end_ms: i64,
}

fn fill(template: &str, rng: &mut Rng, host: &str) -> (String, String) {
    let mut title = String::with_capacity(template.len() + 16);
    let mut truth = String::with_capacity(template.len() + 8);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        title.push_str(&rest[..open]);
        truth.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
        let slot = &rest[open + 1..close];
        let value = match slot {
            "host" => host.to_string(),
            "pct" => format!("{}%", rng.range(80, 100)),
            "ms" => format!("{}ms", rng.range(200, 5000)),
            "n" => rng.range(2, 5000).to_string(),
            "ip" => format!(
                "10.{}.{}.{}",
                rng.range(0, 255),
                rng.range(0, 255),
                rng.range(1, 255)
            ),
            "pod" => format!(
                "api-{:x}-{:05x}",
                rng.next() % 0xfff_ffff,
                rng.next() % 0xf_ffff
            ),
            "word" => WORDS[rng.range(0, WORDS.len() as i64) as usize].to_string(),
            "dur" => format!("{}m{}s", rng.range(1, 59), rng.range(0, 59)),
            other => other.to_string(),
        };
        title.push_str(&value);
        truth.push_str("<*>");
        rest = if close < rest.len() {
            &rest[close + 1..]
        } else {
            ""
        };
    }
    title.push_str(rest);
    truth.push_str(rest);
    (title, truth)
}

/// See [`Gen::vendor`].
fn vendor_of(teams: &[Team], all_vendors: bool, team: usize, rule: usize) -> Vendor {
    if all_vendors {
        Vendor::ALL[(team * 3 + rule) % Vendor::ALL.len()]
    } else {
        teams[team].vendor
    }
}

impl Gen<'_> {
    /// The vendor a rule's alerts go through: its team's, or with
    /// `--all-vendors` one of every vendor in turn (three apart from team
    /// to team, so each team spans several).
    fn vendor(&self, team: usize, rule: usize) -> Vendor {
        vendor_of(self.teams, self.all_vendors, team, rule)
    }

    fn hosts(&self, rule: usize) -> i64 {
        let base = 4 + (rule as i64 % 5);
        (base as f64 * self.scale.max(1.0)).ceil() as i64
    }

    /// A rule's occurrences (or bursts) per week at this history's scale
    /// and noise mix.
    fn rate(&self, r: &Rule) -> f64 {
        if r.pattern.actionable() {
            r.rate * self.scale
        } else {
            r.rate * self.noise_mix * self.scale
        }
    }

    /// The name the vendor gives a rule's alerts.
    /// The runbook link of a team's rule, if it has one: about two rules
    /// in three, picked by a hash (no random number drawn, so the rest of
    /// the history does not change); with it, whether Alertmanager sends
    /// it only after the first notification (a rule file given its
    /// annotation while the alert fired: about one in five).
    fn rule_runbook(&self, team: usize, rule: usize) -> Option<(String, bool)> {
        let h = mix(self.seed ^ 0x7b00_b000 ^ ((team as u64) << 20) ^ rule as u64);
        (h % 100 < 65).then(|| {
            let t = &self.teams[team];
            (
                format!(
                    "https://runbooks.example.com/{}/{}",
                    t.name,
                    self.alert_name(&t.rules[rule])
                ),
                (h / 100) % 5 == 0,
            )
        })
    }

    fn alert_name(&self, r: &Rule) -> &'static str {
        if self.service_rule_names {
            r.service
        } else {
            r.name
        }
    }

    fn host(&self, team_index: usize, rule: usize, rng: &mut Rng) -> String {
        let team = &self.teams[team_index];
        let n = rng.range(1, self.hosts(rule) + 1);
        let name = if self.word_hosts {
            // 16 words, then pairs of them: never a digit.
            let w = HOST_WORDS.len() as i64;
            let (hi, lo) = ((n - 1) / w, (n - 1) % w);
            match hi {
                0 => HOST_WORDS[lo as usize].to_string(),
                _ => format!(
                    "{}-{}",
                    HOST_WORDS[((hi - 1) % w) as usize],
                    HOST_WORDS[lo as usize]
                ),
            }
        } else {
            format!("{n:02}")
        };
        if self.vendor(team_index, rule) == Vendor::Alertmanager {
            format!("{}-{name}.prod.internal", team.host_prefix)
        } else {
            format!("{}-{name}", team.host_prefix)
        }
    }

    fn base(&self, ti: usize, ri: usize, pattern: Pattern, start: i64, rng: &mut Rng) -> Occ {
        let team = &self.teams[ti];
        let host = self.host(ti, ri, rng);
        let (title, _) = fill(team.rules[ri].title, rng, &host);
        let paged = pattern != Pattern::NonPaging;
        Occ {
            team: ti,
            rule: ri,
            pattern,
            start,
            end: None,
            ack: None,
            by_person: false,
            escalations: 0,
            notes: 0,
            title,
            host,
            repeat: 1,
            replica: 0,
            incident: None,
            paged,
        }
    }

    /// Close an occurrence after `duration`; times are whole seconds, as
    /// every vendor shows at least that.
    fn finish(&self, mut o: Occ, duration: i64) -> Occ {
        o.start = o.start / 1000 * 1000;
        o.ack = o.ack.map(|(a, p)| ((a / 1000 * 1000).max(1000), p));
        let end = o.start + (duration / 1000 * 1000).max(1000);
        o.end = (end < self.end_ms).then_some(end);
        o
    }

    /// All occurrences of one rule in one week.
    fn rule_week(&self, ti: usize, ri: usize, week: u32, out: &mut Vec<Occ>) {
        let team = &self.teams[ti];
        let r = &team.rules[ri];
        let mut rng = Rng::new(self.seed, (ti * 64 + ri) as u64, u64::from(week));
        let w0 = self.start_ms + i64::from(week) * WEEK;
        let w1 = (w0 + WEEK).min(self.end_ms);
        let people = team.people.len().max(1);
        let uniform = |rng: &mut Rng| rng.range(w0, w1 - 2 * HOUR) / 1000 * 1000;
        match r.pattern {
            Pattern::Real | Pattern::WrongTime => {
                for _ in 0..rng.poisson(self.rate(r)) {
                    let start = uniform(&mut rng);
                    let mut o = self.base(ti, ri, r.pattern, start, &mut rng);
                    let dur = rng.range(25 * MIN, 150 * MIN);
                    let vendor = self.vendor(ti, ri);
                    if vendor.acks() {
                        o.ack = Some((
                            rng.range(MIN, 8 * MIN),
                            rng.range(0, people as i64) as usize,
                        ));
                        o.by_person = true;
                        o.escalations = u32::from(rng.chance(0.3));
                        o.notes = if rng.chance(0.6) {
                            rng.range(1, 4) as u32
                        } else {
                            0
                        };
                    }
                    let with_incident = r.pattern == Pattern::Real
                        && rng.chance(if !vendor.acks() { 0.85 } else { 0.6 });
                    if with_incident {
                        let opened = start + rng.range(2 * MIN, 10 * MIN);
                        o.incident = Some((opened, start + dur + rng.range(0, 20 * MIN)));
                    }
                    let storm = r.pattern == Pattern::Real && rng.chance(0.15);
                    let lead_start = o.start;
                    out.push(self.finish(o, dur));
                    if storm {
                        let secondaries: Vec<usize> = team
                            .rules
                            .iter()
                            .enumerate()
                            .filter(|(_, x)| x.pattern == Pattern::StormSecondary)
                            .map(|(i, _)| i)
                            .collect();
                        let mut t = lead_start;
                        for _ in 0..rng.range(3, 9) {
                            t += rng.range(5_000, 2 * MIN) / 1000 * 1000;
                            let si = secondaries[rng.range(0, secondaries.len() as i64) as usize];
                            let s = self.base(ti, si, Pattern::StormSecondary, t, &mut rng);
                            let d = dur - (t - lead_start) + rng.range(-5 * MIN, 5 * MIN);
                            out.push(self.finish(s, d.max(2 * MIN)));
                        }
                    }
                }
            }
            Pattern::Transient => {
                for _ in 0..rng.poisson(self.rate(r)) {
                    let o = self.base(ti, ri, r.pattern, uniform(&mut rng), &mut rng);
                    let d = rng.range(20_000, 290_000) / 1000 * 1000;
                    out.push(self.finish(o, d));
                }
            }
            Pattern::Flapping => {
                for _ in 0..rng.poisson(self.rate(r)) {
                    let first = self.base(ti, ri, r.pattern, uniform(&mut rng), &mut rng);
                    let mut t = first.start;
                    for _ in 0..rng.range(5, 9) {
                        let mut o = first.clone();
                        o.start = t;
                        let d = rng.range(30_000, 3 * MIN) / 1000 * 1000;
                        out.push(self.finish(o, d));
                        t += d + rng.range(MIN, 6 * MIN) / 1000 * 1000;
                    }
                }
            }
            Pattern::Duplicate => {
                for _ in 0..rng.poisson(self.rate(r)) {
                    let first = self.base(ti, ri, r.pattern, uniform(&mut rng), &mut rng);
                    let dur = rng.range(10 * MIN, 40 * MIN) / 1000 * 1000;
                    if self.vendor(ti, ri).folds() {
                        // Opsgenie folds repeats of one alias into `count`.
                        let mut o = first;
                        o.repeat = rng.range(2, 20) as u32;
                        out.push(self.finish(o, dur));
                        continue;
                    }
                    let copies = rng.range(2, 5);
                    for k in 0..copies {
                        let mut o = first.clone();
                        o.start = first.start + k * rng.range(20_000, 3 * MIN) / 1000 * 1000;
                        o.replica = k as u32;
                        let d = dur - (o.start - first.start);
                        out.push(self.finish(o, d.max(MIN)));
                    }
                }
            }
            Pattern::AckNoAction => {
                for _ in 0..rng.poisson(self.rate(r)) {
                    let mut o = self.base(ti, ri, r.pattern, uniform(&mut rng), &mut rng);
                    let ack = rng.range(MIN, 10 * MIN) / 1000 * 1000;
                    o.ack = Some((ack, rng.range(0, people as i64) as usize));
                    let d = ack + rng.range(5 * MIN, 35 * MIN) / 1000 * 1000;
                    out.push(self.finish(o, d));
                }
            }
            Pattern::Recurring => {
                let instances = self.scale.max(1.0).round() as i64;
                for inst in 0..instances {
                    for day in 0..7 {
                        if !rng.chance(self.nightly_days) {
                            continue;
                        }
                        let date = match DateTime::from_timestamp_millis(w0 + day * DAY) {
                            Some(d) => d.with_timezone(&team.tz).date_naive(),
                            None => continue,
                        };
                        let jitter = self.nightly_jitter;
                        let minute = r.at_minute + inst * 7 + rng.range(-jitter, jitter + 1);
                        let local = date.and_time(NaiveTime::MIN) + Duration::minutes(minute);
                        let Some(at) = team.tz.from_local_datetime(&local).earliest() else {
                            continue;
                        };
                        let start = at.timestamp_millis() + rng.range(0, 59) * 1000;
                        if start < w0 || start >= w1 {
                            continue;
                        }
                        let mut o = self.base(ti, ri, r.pattern, start, &mut rng);
                        o.host = format!("{}-batch-{inst:02}", team.host_prefix);
                        o.title = fill(r.title, &mut rng, &o.host).0;
                        let d = rng.range(8 * MIN, 25 * MIN) / 1000 * 1000;
                        out.push(self.finish(o, d));
                    }
                }
            }
            Pattern::NonPaging => {
                for _ in 0..rng.poisson(self.rate(r)) {
                    let o = self.base(ti, ri, r.pattern, uniform(&mut rng), &mut rng);
                    let d = rng.range(MIN, 60 * MIN) / 1000 * 1000;
                    out.push(self.finish(o, d));
                }
            }
            Pattern::StormSecondary => {}
        }
    }
}

/// Expected alerts per week at scale 1 (for sizing the history), with the
/// noise rules' rates times `noise_mix`.
fn alerts_per_week(teams: &[Team], noise_mix: f64, nightly_days: f64, all_vendors: bool) -> f64 {
    teams
        .iter()
        .enumerate()
        .flat_map(|(ti, t)| t.rules.iter().enumerate().map(move |(ri, r)| (ti, ri, r)))
        .map(|(ti, ri, r)| {
            let mix = if r.pattern.actionable() {
                1.0
            } else {
                noise_mix
            };
            mix * match r.pattern {
                // Storms: 15% of real problems, 3–8 secondaries.
                Pattern::Real => r.rate * (1.0 + 0.15 * 5.5),
                Pattern::Flapping => r.rate * 6.5,
                Pattern::Duplicate if vendor_of(teams, all_vendors, ti, ri).folds() => r.rate,
                Pattern::Duplicate => r.rate * 3.0,
                Pattern::Recurring => 7.0 * nightly_days,
                _ => r.rate,
            }
        })
        .sum()
}

// -------------------------------------------------------------- writers ---

/// A person's login where the vendor names users by e-mail (Opsgenie,
/// JSM, New Relic, Kibana): their own if it is one, else made from their
/// display name (`Ada Varga` → `ada.varga@example.com`).
fn login(name: &str) -> String {
    if name.contains('@') {
        name.to_string()
    } else {
        format!("{}@example.com", name.to_lowercase().replace(' ', "."))
    }
}

fn ms_to_dt(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn iso_ms(ms: i64) -> String {
    ms_to_dt(ms).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn id_chars(mut v: u64, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut s = String::with_capacity(len);
    for _ in 0..len {
        s.push(ALPHABET[(v % 36) as usize] as char);
        v /= 36;
    }
    s
}

fn csv_escape(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

struct Writers {
    pd: BufWriter<File>,
    og: BufWriter<File>,
    am: BufWriter<File>,
    sn: BufWriter<File>,
    truth: BufWriter<File>,
    og_page: Vec<String>,
    og_pages: u64,
    counters: Written,
    /// Alertmanager notifications not yet due, by time.
    am_pending: BTreeMap<(i64, u64), String>,
    am_seq: u64,
    /// The other vendors' files.
    more: vendors::More,
}

/// The PagerDuty account's time zone: `created_on` is rendered in it.
const PD_ACCOUNT_TZ: Tz = chrono_tz::America::New_York;

impl Writers {
    fn truth_row(
        &mut self,
        alert_id: &str,
        source: &str,
        team: &str,
        o: &Occ,
        template: &str,
        runbook: Option<&str>,
    ) -> std::io::Result<()> {
        let label = if o.pattern.actionable() {
            "actionable"
        } else {
            "noise"
        };
        let auto = o.end.is_some() && !o.by_person;
        writeln!(
            self.truth,
            "{},{label},{},{},{source},{team},{},{},{},{},{},{}",
            csv_escape(alert_id),
            csv_escape(o.pattern.category()),
            csv_escape(template),
            o.pattern.name(),
            o.paged,
            auto,
            rfc3339_utc(o.start * 1000),
            o.end.map(|e| rfc3339_utc(e * 1000)).unwrap_or_default(),
            runbook.unwrap_or_default(),
        )
    }

    fn write(&mut self, g: &Gen<'_>, o: &Occ, rng: &mut Rng) -> std::io::Result<()> {
        let team = &g.teams[o.team];
        let rule = &team.rules[o.rule];
        let template = fill(rule.title, &mut Rng::new(0, 0, 0), "").1;
        self.counters.alerts += 1;
        match g.vendor(o.team, o.rule) {
            Vendor::Pagerduty => {
                self.counters.pagerduty += 1;
                let id = format!(
                    "Q{}",
                    id_chars(
                        mix(g.seed ^ self.counters.pagerduty.wrapping_mul(0x1000_0001)),
                        13
                    )
                );
                let created = ms_to_dt(o.start).with_timezone(&PD_ACCOUNT_TZ);
                let resolved = o.end.map(|e| ms_to_dt(e).with_timezone(&PD_ACCOUNT_TZ));
                let fmt = "%Y-%m-%dT%H:%M:%S%:z";
                let person = |i: usize| team.people[i % team.people.len()];
                let ack_name = o.ack.map(|(_, p)| person(p)).unwrap_or("");
                let assigned = person(o.rule);
                let urgency = if o.paged { "high" } else { "low" };
                // Some titles carry a trailing newline, as real ones do.
                let mut pd_runbook = None;
                let desc = if rng.chance(0.05) {
                    format!("{}\n", o.title)
                } else if g.runbook_lines > 0.0 && rng.chance(g.runbook_lines) {
                    let link = format!("https://runbooks.example.com/{}/{}", rule.service, o.rule);
                    let desc = format!("{}\nRunbook: {link}", o.title);
                    pd_runbook = Some(link);
                    desc
                } else {
                    o.title.clone()
                };
                writeln!(
                    self.pd,
                    "{id},{num},{desc},PSVC{svc:03},{service},PEP{ti:03},{tname} escalation,{created},{resolved},{to_ack},{to_resolve},{auto},{esc},0,{acks},1,{ack_ids},{ack_names},PUSR{ti}{ri:02},{assigned},{res_id},{res_name},{urgency}",
                    num = self.counters.pagerduty,
                    desc = csv_escape(&desc),
                    svc = o.rule,
                    service = rule.service,
                    ti = o.team,
                    ri = o.rule,
                    tname = team.name,
                    created = created.format(fmt),
                    resolved = resolved.map(|r| r.format(fmt).to_string()).unwrap_or_default(),
                    to_ack = o.ack.map(|(a, _)| (a / 1000).to_string()).unwrap_or_default(),
                    to_resolve = o.end.map(|e| ((e - o.start) / 1000).to_string()).unwrap_or_default(),
                    auto = u8::from(o.end.is_some() && !o.by_person),
                    esc = o.escalations,
                    acks = u8::from(o.ack.is_some()),
                    ack_ids = if o.ack.is_some() { format!("PUSR{}", o.ack.map_or(0, |a| a.1)) } else { String::new() },
                    ack_names = csv_escape(ack_name),
                    res_id = if o.by_person { format!("PUSR{}", o.ack.map_or(0, |a| a.1)) } else { String::new() },
                    res_name = if o.by_person { csv_escape(ack_name) } else { String::new() },
                )?;
                self.truth_row(
                    &id,
                    "pagerduty",
                    team.name,
                    o,
                    &template,
                    pd_runbook.as_deref(),
                )?;
            }
            Vendor::Opsgenie => {
                self.counters.opsgenie += 1;
                let a = mix(g.seed ^ 0x0f5 ^ self.counters.opsgenie);
                let b = mix(a ^ 0xdead_beef);
                let id = format!(
                    "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
                    a >> 32,
                    (a >> 16) & 0xffff,
                    a & 0xfff,
                    (b >> 48) | 0x8000,
                    b & 0xffff_ffff_ffff
                );
                let priority = match (o.pattern, rule.severity) {
                    (Pattern::NonPaging, _) => {
                        if rng.chance(0.5) {
                            "P4"
                        } else {
                            "P5"
                        }
                    }
                    (_, "critical") => "P1",
                    (_, "error") => "P2",
                    _ => "P3",
                };
                // Opsgenie names users by their e-mail login; a team written
                // here from another vendor (`--only opsgenie`) has display
                // names, which become logins as Opsgenie would show them.
                let person = |i: usize| login(team.people[i % team.people.len()]);
                let closed = o.end.is_some();
                let mut report = Vec::new();
                if let Some((ack, p)) = o.ack {
                    report.push(format!(
                        "\"ackTime\":{ack},\"acknowledgedBy\":{}",
                        json_str(&person(p))
                    ));
                }
                if let Some(end) = o.end {
                    let by = if o.by_person {
                        person(o.ack.map_or(0, |a| a.1))
                    } else {
                        "Alert API".to_string()
                    };
                    report.push(format!(
                        "\"closeTime\":{},\"closedBy\":{}",
                        end - o.start,
                        json_str(&by)
                    ));
                }
                let updated = o.end.unwrap_or(o.start + o.ack.map_or(0, |a| a.0));
                let alias = format!("{}-{}", g.alert_name(rule), o.host);
                let og_runbook = g.rule_runbook(o.team, o.rule).map(|(link, _)| link);
                let details = og_runbook
                    .as_ref()
                    .map(|l| format!(",\"details\":{{\"runbook_url\":{}}}", json_str(l)))
                    .unwrap_or_default();
                let record = format!(
                    "{{\"id\":\"{id}\",\"tinyId\":\"{tiny}\",\"alias\":{alias},\"message\":{msg},\"status\":\"{status}\",\"acknowledged\":{acked},\"isSeen\":true,\"tags\":[\"team:{team}\",\"service:{svc}\",\"severity:{sev}\"],\"snoozed\":false,\"count\":{count},\"lastOccurredAt\":\"{last}\",\"createdAt\":\"{created}\",\"updatedAt\":\"{upd}\",\"source\":\"prometheus\",\"owner\":{owner},\"priority\":\"{priority}\",\"responders\":[{{\"id\":\"team-{team}\",\"type\":\"team\"}}],\"integration\":{{\"id\":\"int-1\",\"name\":\"Prometheus\",\"type\":\"API\"}},\"report\":{{{report}}}{details}}}",
                    tiny = self.counters.opsgenie,
                    alias = json_str(&alias),
                    msg = json_str(&o.title),
                    status = if closed { "closed" } else { "open" },
                    acked = o.ack.is_some(),
                    team = team.name,
                    svc = rule.service,
                    sev = rule.severity,
                    count = o.repeat,
                    last = iso_ms(o.start),
                    created = iso_ms(o.start),
                    upd = iso_ms(updated),
                    owner = json_str(&o.ack.map(|(_, p)| person(p)).unwrap_or_default()),
                    report = report.join(","),
                );
                self.og_page.push(record);
                if self.og_page.len() == 100 {
                    self.flush_og_page()?;
                }
                self.truth_row(
                    &id,
                    "opsgenie",
                    team.name,
                    o,
                    &template,
                    og_runbook.as_deref(),
                )?;
            }
            Vendor::Alertmanager => {
                self.counters.alertmanager += 1;
                let mut labels: BTreeMap<&str, String> = BTreeMap::new();
                labels.insert("alertname", g.alert_name(rule).to_string());
                labels.insert("instance", o.host.clone());
                labels.insert("service", rule.service.to_string());
                labels.insert("severity", rule.severity.to_string());
                labels.insert("team", team.name.to_string());
                if o.pattern == Pattern::Duplicate {
                    labels.insert("replica", format!("prometheus-{}", o.replica));
                    labels.insert("pod", o.title.rsplit(' ').nth(2).unwrap_or("").to_string());
                }
                let h = crate::core::hash::label_set(labels.iter().map(|(k, v)| (*k, v.as_str())));
                let fp = format!("{h:016x}");
                let alert_id = format!("{fp}@{}", rfc3339_utc(o.start * 1000));
                let receiver = if o.paged { "pager" } else { "slack" };
                let labels_json = serde_json::to_string(&labels).unwrap_or_default();
                // A few Prometheus servers report in local time, as some do.
                let starts = if o.team % 2 == 1 || rng.chance(0.2) {
                    let local = ms_to_dt(o.start).with_timezone(&team.tz);
                    local.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string()
                } else {
                    iso_ms(o.start)
                };
                let am_runbook = g.rule_runbook(o.team, o.rule);
                let payload = |status: &str, ends: &str, first: bool| {
                    let runbook = match &am_runbook {
                        Some((link, late)) if !(first && *late) => {
                            format!(",\"runbook_url\":{}", json_str(link))
                        }
                        _ => String::new(),
                    };
                    format!(
                        "{{\"receiver\":\"{receiver}\",\"status\":\"{status}\",\"alerts\":[{{\"status\":\"{status}\",\"labels\":{labels_json},\"annotations\":{{\"summary\":{summary}{runbook}}},\"startsAt\":\"{starts}\",\"endsAt\":\"{ends}\",\"generatorURL\":\"http://prometheus:9090/graph\",\"fingerprint\":\"{fp}\"}}],\"groupLabels\":{{\"alertname\":\"{name}\"}},\"commonLabels\":{labels_json},\"commonAnnotations\":{{}},\"externalURL\":\"http://alertmanager:9093\",\"version\":\"4\",\"groupKey\":\"{{}}:{{alertname=\\\"{name}\\\"}}\",\"truncatedAlerts\":0}}",
                        summary = json_str(&o.title),
                        name = g.alert_name(rule),
                    )
                };
                // Firing, re-sent every 4h while firing, then resolved.
                let mut t = o.start + 1000;
                let stop = o.end.unwrap_or(g.end_ms);
                while t < stop {
                    self.am_seq += 1;
                    let line = format!(
                        "{{\"receivedAt\":\"{}\",{}",
                        iso_ms(t),
                        &payload("firing", "0001-01-01T00:00:00Z", t == o.start + 1000)[1..]
                    );
                    self.am_pending.insert((t, self.am_seq), line);
                    t += 4 * HOUR;
                }
                if let Some(end) = o.end {
                    self.am_seq += 1;
                    let line = format!(
                        "{{\"receivedAt\":\"{}\",{}",
                        iso_ms(end + 1000),
                        &payload("resolved", &iso_ms(end), t == o.start + 1000)[1..]
                    );
                    self.am_pending.insert((end + 1000, self.am_seq), line);
                }
                // The occurrence carried the link when any notification
                // did: all but a late rule's first, the only one when the
                // alert resolved before a re-send (the resolved one
                // follows, carrying it).
                let notifications = {
                    let stop = o.end.unwrap_or(g.end_ms);
                    let firing = if stop > o.start + 1000 {
                        ((stop - o.start - 1000 - 1) / (4 * HOUR) + 1) as usize
                    } else {
                        0
                    };
                    firing + usize::from(o.end.is_some())
                };
                let carried = am_runbook
                    .as_ref()
                    .filter(|(_, late)| !*late || notifications > 1)
                    .map(|(l, _)| l.as_str());
                self.truth_row(&alert_id, "alertmanager", team.name, o, &template, carried)?;
            }
            other => {
                let (id, source) = self.more.write(other, g, o)?;
                *self.counters.others.entry(source).or_default() += 1;
                self.truth_row(&id, source, team.name, o, &template, None)?;
            }
        }
        if let Some((opened, resolved)) = o.incident {
            self.counters.incidents += 1;
            let n = self.counters.incidents;
            let london = chrono_tz::Europe::London;
            let d = |ms: i64| {
                ms_to_dt(ms)
                    .with_timezone(&london)
                    .format("%-d/%-m/%Y %H:%M")
                    .to_string()
            };
            let priority = if rule.severity == "critical" {
                "1 - Critical"
            } else {
                "2 - High"
            };
            for (state, version, updated) in [("New", 0, opened), ("Resolved", 3, resolved)] {
                writeln!(
                    self.sn,
                    "INC{n:07},{state},{version},{},{priority},{},{},{},{},{}",
                    csv_escape(&o.title),
                    rule.service,
                    team.name,
                    d(opened),
                    d(updated),
                    if state == "Resolved" {
                        d(resolved)
                    } else {
                        "?".to_string()
                    },
                )?;
            }
        }
        Ok(())
    }

    fn flush_og_page(&mut self) -> std::io::Result<()> {
        if self.og_page.is_empty() {
            return Ok(());
        }
        self.og_pages += 1;
        writeln!(
            self.og,
            "{{\"data\":[{}],\"paging\":{{\"next\":\"https://api.opsgenie.com/v2/alerts?offset={}&limit=100\"}},\"took\":0.05,\"requestId\":\"req-{}\"}}",
            self.og_page.join(","),
            self.og_pages * 100,
            self.og_pages
        )?;
        self.og_page.clear();
        Ok(())
    }

    fn flush_am(&mut self, before: i64) -> std::io::Result<()> {
        while let Some(entry) = self.am_pending.first_entry() {
            if entry.key().0 >= before {
                break;
            }
            let line = entry.remove();
            writeln!(self.am, "{line}")?;
        }
        Ok(())
    }
}

fn config_text(teams: &[Team]) -> String {
    let mut s = String::from(
        "# alertsift configuration for the demo history (written by `alertsift demo`).\n\
         timezone = \"UTC\"\n\n",
    );
    for t in teams {
        let services: Vec<String> = {
            let mut v: Vec<&str> = t.rules.iter().map(|r| r.service).collect();
            v.sort_unstable();
            v.dedup();
            v.iter().map(|x| format!("\"{x}\"")).collect()
        };
        s.push_str(&format!(
            "[teams.{}]\ntimezone = \"{}\"\nservices = [{}]\n\n",
            t.name,
            t.tz.name(),
            services.join(", ")
        ));
    }
    s.push_str(
        "# People who live away from their team's zone.\n\
         [people.\"Priya Nair\"]\ntimezone = \"Asia/Kolkata\"\n\n\
         [people.\"Hamish Reid\"]\ntimezone = \"Pacific/Auckland\"\n\n\
         [paging]\npagerduty_urgencies = [\"high\"]\nopsgenie_priorities = [\"P1\", \"P2\", \"P3\"]\n\
         alertmanager_receivers = [\"pager\"]\n\n\
         [sources.servicenow]\ntimezone = \"Europe/London\"\n",
    );
    s
}

/// The rota of every team whose alerts name no one: weekly shifts from
/// the Monday 09:00 (team time) a week before the history's start's to
/// past its end, each of [`ROTA`] in turn.
fn write_rota(path: &Path, teams: &[Team], options: &DemoOptions) -> std::io::Result<()> {
    use chrono::Datelike;
    let unnamed: Vec<&Team> = teams.iter().filter(|t| t.people.is_empty()).collect();
    if unnamed.is_empty() {
        return Ok(());
    }
    let mut f = BufWriter::new(File::create(path)?);
    writeln!(f, "team,person,start,end")?;
    // The Monday a week before the start's: its 09:00 may be after the
    // first alerts.
    let monday = options.start
        - chrono::Duration::days(i64::from(options.start.weekday().num_days_from_monday()) + 7);
    for team in unnamed {
        let at = |week: u32| {
            let day = monday + chrono::Duration::weeks(i64::from(week));
            let local = day.and_hms_opt(9, 0, 0).unwrap_or_default();
            team.tz
                .from_local_datetime(&local)
                .earliest()
                .map(|d| {
                    d.with_timezone(&chrono::Utc)
                        .format("%Y-%m-%dT%H:%M:%SZ")
                        .to_string()
                })
                .unwrap_or_default()
        };
        for week in 0..=options.weeks + 1 {
            writeln!(
                f,
                "{},{},{},{}",
                team.name,
                ROTA[week as usize % ROTA.len()],
                at(week),
                at(week + 1)
            )?;
        }
    }
    f.flush()
}

/// Write the demo history into `out`.
pub fn write(out: &Path, options: &DemoOptions) -> std::io::Result<Written> {
    std::fs::create_dir_all(out)?;
    let mut teams = teams();
    let all_vendors = options.all_vendors && options.only.is_none();
    if let Some(only) = options.only {
        for t in &mut teams {
            t.vendor = only;
        }
    }
    if options.only.is_some() || all_vendors {
        for t in &mut teams {
            if t.people.is_empty() {
                t.people = &["Alex Kim", "Sam Lee"];
            }
        }
    }
    let start_ms = options
        .start
        .and_time(NaiveTime::MIN)
        .and_utc()
        .timestamp_millis();
    let end_ms = start_ms + i64::from(options.weeks) * WEEK;
    let scale = options.alerts as f64
        / (alerts_per_week(&teams, options.noise_mix, options.nightly_days, all_vendors)
            * f64::from(options.weeks));
    let g = Gen {
        teams: &teams,
        runbook_lines: options.runbook_lines,
        word_hosts: options.word_hosts,
        noise_mix: options.noise_mix,
        service_rule_names: options.service_rule_names,
        all_vendors,
        nightly_jitter: i64::from(options.nightly_jitter),
        nightly_days: options.nightly_days,
        seed: options.seed,
        scale,
        start_ms,
        end_ms,
    };
    let create =
        |name: &str| File::create(out.join(name)).map(|f| BufWriter::with_capacity(1 << 20, f));
    let mut w = Writers {
        pd: create(PAGERDUTY_FILE)?,
        og: create(OPSGENIE_FILE)?,
        am: create(ALERTMANAGER_FILE)?,
        sn: create(SERVICENOW_FILE)?,
        truth: create(TRUTH_FILE)?,
        og_page: Vec::new(),
        og_pages: 0,
        counters: Written::default(),
        am_pending: BTreeMap::new(),
        am_seq: 0,
        more: vendors::More::new(out.to_path_buf()),
    };
    writeln!(w.pd, "{}", crate::ingest::pagerduty_csv::ADVANCED.join(","))?;
    writeln!(w.sn, "number,incident_state,sys_mod_count,short_description,priority,cmdb_ci,assignment_group,opened_at,sys_updated_at,resolved_at")?;
    writeln!(w.truth, "alert_id,label,category,template,source,team,pattern,paged,auto_resolved,triggered_at,resolved_at,runbook")?;
    std::fs::write(out.join(CONFIG_FILE), config_text(&teams))?;
    rules::write(out, &g)?;
    let bar = if options.progress {
        indicatif::ProgressBar::new(u64::from(options.weeks))
    } else {
        indicatif::ProgressBar::hidden()
    };
    for week in 0..options.weeks {
        let mut occs = Vec::new();
        for (ti, team) in teams.iter().enumerate() {
            for ri in 0..team.rules.len() {
                g.rule_week(ti, ri, week, &mut occs);
            }
        }
        occs.sort_by_key(|o| (o.start, o.team, o.rule, o.replica));
        let mut rng = Rng::new(options.seed, 0xface, u64::from(week));
        for o in &occs {
            w.write(&g, o, &mut rng)?;
        }
        w.flush_am(start_ms + i64::from(week + 1) * WEEK)?;
        bar.inc(1);
    }
    w.flush_am(i64::MAX)?;
    w.flush_og_page()?;
    w.more.finish()?;
    bar.finish_and_clear();
    write_rota(&out.join(SCHEDULE_FILE), &teams, options)?;
    for f in [&mut w.pd, &mut w.og, &mut w.am, &mut w.sn, &mut w.truth] {
        f.flush()?;
    }
    Ok(w.counters)
}
