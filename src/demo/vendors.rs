//! The demo's writers for the vendors beyond PagerDuty, Opsgenie and
//! Alertmanager (`--all-vendors`, `--only`): each writes an occurrence as
//! its export shows it — what the vendor records of acknowledgements, who
//! resolved, escalations, notes and paging — in the shape alertsift's
//! reader of that vendor takes (formats-more.md), and returns the alert id
//! that reader gives it, for the ground truth. A file is created only when
//! a rule goes through its vendor, so the default history is unchanged.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use super::{iso_ms, json_str, login, mix, Gen, Occ, Pattern, Vendor};
use crate::core::time::rfc3339_utc;

/// Datadog webhook deliveries, one per line.
pub const DATADOG_FILE: &str = "datadog-webhooks.jsonl";
/// Splunk On-Call reporting v2 pages, one per line.
pub const SPLUNK_ONCALL_FILE: &str = "splunk-oncall-incidents.json";
/// JSM Operations alert pages, one per line.
pub const JSM_FILE: &str = "jsm-alerts.json";
/// Zabbix `event.get` results, one page per line.
pub const ZABBIX_FILE: &str = "zabbix-events.json";
/// New Relic NerdGraph issue pages, one per line.
pub const NEWRELIC_FILE: &str = "newrelic-issues.json";
/// Kibana alerts-as-data documents, one per line.
pub const ELASTIC_FILE: &str = "elastic-alerts.ndjson";
/// Grafana Alerting webhook payloads, one per line.
pub const GRAFANA_ALERTING_FILE: &str = "grafana-alerting-webhooks.jsonl";

/// One output file and, for the paged formats, the page being filled.
struct Out {
    file: BufWriter<File>,
    page: Vec<String>,
    pages: u64,
}

/// The writers of the other vendors, opened on first use.
pub(super) struct More {
    dir: PathBuf,
    outs: Vec<(Vendor, Out)>,
    seq: u64,
}

/// Records per page of the paged formats.
const PAGE: usize = 100;

impl More {
    pub(super) fn new(dir: PathBuf) -> More {
        More {
            dir,
            outs: Vec::new(),
            seq: 0,
        }
    }

    fn out(&mut self, v: Vendor) -> std::io::Result<&mut Out> {
        if let Some(i) = self.outs.iter().position(|(x, _)| *x == v) {
            return Ok(&mut self.outs[i].1);
        }
        let name = match v {
            Vendor::Datadog => DATADOG_FILE,
            Vendor::SplunkOncall => SPLUNK_ONCALL_FILE,
            Vendor::Jsm => JSM_FILE,
            Vendor::Zabbix => ZABBIX_FILE,
            Vendor::Newrelic => NEWRELIC_FILE,
            Vendor::Elastic => ELASTIC_FILE,
            _ => GRAFANA_ALERTING_FILE,
        };
        let file = BufWriter::with_capacity(1 << 20, File::create(self.dir.join(name))?);
        self.outs.push((
            v,
            Out {
                file,
                page: Vec::new(),
                pages: 0,
            },
        ));
        let last = self.outs.len() - 1;
        Ok(&mut self.outs[last].1)
    }

    /// Add a record to a paged format's page, writing full pages.
    fn paged(&mut self, v: Vendor, record: String) -> std::io::Result<()> {
        let out = self.out(v)?;
        out.page.push(record);
        if out.page.len() == PAGE {
            flush_page(v, out)?;
        }
        Ok(())
    }

    /// Write what is pending and flush every file.
    pub(super) fn finish(&mut self) -> std::io::Result<()> {
        for (v, out) in &mut self.outs {
            flush_page(*v, out)?;
            out.file.flush()?;
        }
        Ok(())
    }

    /// Write one occurrence; its alert id and its source.
    pub(super) fn write(
        &mut self,
        v: Vendor,
        g: &Gen<'_>,
        o: &Occ,
    ) -> std::io::Result<(String, &'static str)> {
        self.seq += 1;
        let r = mix(g.seed ^ 0xd3_0000 ^ self.seq);
        let team = &g.teams[o.team];
        let rule = &team.rules[o.rule];
        let person = |i: usize| team.people[i % team.people.len().max(1)];
        let email = |i: usize| login(person(i));
        let acker = o.ack.map(|(_, p)| p).unwrap_or(0);
        let ack_at = o.ack.map(|(a, _)| o.start + a);
        Ok(match v {
            Vendor::Datadog => {
                let id = format!(
                    "{}",
                    7_000_000_000_000_000_000u64 + r % 1_000_000_000_000_000_000
                );
                let priority = match rule.severity {
                    "critical" => "P1",
                    "error" => "P2",
                    "warning" => "P3",
                    _ => "P4",
                };
                let handle = if o.paged {
                    format!("@pagerduty-{}", team.name)
                } else {
                    format!("@slack-{}", team.name)
                };
                let cycle = format!("{:016x}", mix(r));
                let monitor = 1000 + o.team * 64 + o.rule;
                let line = |id: &str, transition: &str, at: i64, kind: &str| {
                    format!(
                        "{{\"id\":\"{id}\",\"title\":{title},\"body\":{body},\"date\":\"{at}\",\"last_updated\":\"{at}\",\"event_type\":\"query_alert_monitor\",\"alert_type\":\"{kind}\",\"alert_transition\":\"{transition}\",\"alert_cycle_key\":\"{cycle}\",\"alert_priority\":\"{priority}\",\"scopes\":\"host:{host}\",\"tags\":\"monitor,service:{svc},team:{tn}\",\"monitor_id\":\"{monitor}\",\"org\":{{\"id\":\"831563\",\"name\":\"Demo\"}}}}",
                        title = json_str(&format!("[{priority}] [{transition} on {{host:{}}}] {}", o.host, o.title)),
                        body = json_str(&format!("%%%\n{handle}\n{}\n%%%", o.title)),
                        host = o.host,
                        svc = rule.service,
                        tn = team.name,
                    )
                };
                let mut text = line(&id, "Triggered", o.start, "error");
                if let Some(end) = o.end {
                    let rec = format!(
                        "{}",
                        7_000_000_000_000_000_000u64 + mix(r ^ 1) % 1_000_000_000_000_000_000
                    );
                    text.push('\n');
                    text.push_str(&line(&rec, "Recovered", end, "success"));
                }
                writeln!(self.out(v)?.file, "{text}")?;
                (id, "datadog")
            }
            Vendor::GrafanaAlerting => {
                let mut labels = std::collections::BTreeMap::new();
                labels.insert("alertname", g.alert_name(rule).to_string());
                labels.insert("grafana_folder", team.name.to_string());
                labels.insert("instance", o.host.clone());
                labels.insert("severity", rule.severity.to_string());
                labels.insert("service", rule.service.to_string());
                labels.insert("team", team.name.to_string());
                if o.pattern == Pattern::Duplicate {
                    labels.insert("replica", format!("{}", o.replica));
                }
                let h = crate::core::hash::label_set(labels.iter().map(|(k, v)| (*k, v.as_str())));
                let fp = format!("{h:016x}");
                let labels_json = serde_json::to_string(&labels).unwrap_or_default();
                let starts = iso_ms(o.start);
                let payload = |status: &str, ends: &str, state: &str| {
                    format!(
                        "{{\"receiver\":\"{tn}-contact\",\"status\":\"{status}\",\"orgId\":1,\"alerts\":[{{\"status\":\"{status}\",\"labels\":{labels_json},\"annotations\":{{\"summary\":{summary}}},\"startsAt\":\"{starts}\",\"endsAt\":\"{ends}\",\"generatorURL\":\"https://grafana.example.com/alerting/grafana/r{ti}{ri:02}/view?orgId=1\",\"fingerprint\":\"{fp}\",\"silenceURL\":\"https://grafana.example.com/alerting/silence/new?orgId=1\",\"dashboardURL\":\"\",\"panelURL\":\"\",\"values\":null,\"valueString\":\"\"}}],\"groupLabels\":{{\"alertname\":{name}}},\"commonLabels\":{labels_json},\"commonAnnotations\":{{}},\"externalURL\":\"https://grafana.example.com/\",\"version\":\"1\",\"groupKey\":\"{{}}:{{alertname={name_esc}}}\",\"truncatedAlerts\":0,\"title\":\"[{upper}:1] {name_plain}\",\"state\":\"{state}\",\"message\":\"\"}}",
                        tn = team.name,
                        summary = json_str(&o.title),
                        ti = o.team,
                        ri = o.rule,
                        name = json_str(g.alert_name(rule)),
                        name_esc = g.alert_name(rule),
                        name_plain = g.alert_name(rule),
                        upper = status.to_uppercase(),
                    )
                };
                let mut text = payload("firing", "0001-01-01T00:00:00Z", "alerting");
                if let Some(end) = o.end {
                    text.push('\n');
                    text.push_str(&payload("resolved", &iso_ms(end), "ok"));
                }
                writeln!(self.out(v)?.file, "{text}")?;
                (
                    format!("{fp}@{}", rfc3339_utc(o.start * 1000)),
                    "grafana_alerting",
                )
            }
            Vendor::SplunkOncall => {
                let n = 1000 + self.seq;
                let state = match rule.severity {
                    "critical" | "error" => "CRITICAL",
                    "warning" => "WARNING",
                    _ => "INFO",
                };
                let mut transitions = Vec::new();
                if let Some(a) = ack_at {
                    let msg = if o.notes > 0 {
                        ",\"message\":\"looking\""
                    } else {
                        ""
                    };
                    transitions.push(format!(
                        "{{\"name\":\"acknowledged\",\"at\":\"{}\",\"by\":\"{}\"{msg}}}",
                        iso_ms(a),
                        person(acker)
                    ));
                }
                if let Some(end) = o.end {
                    let by = if o.by_person { person(acker) } else { "SYSTEM" };
                    transitions.push(format!(
                        "{{\"name\":\"resolved\",\"at\":\"{}\",\"by\":\"{by}\",\"manually\":{}}}",
                        iso_ms(end),
                        o.by_person
                    ));
                }
                let phase = if o.end.is_some() {
                    "resolved"
                } else if o.ack.is_some() {
                    "acknowledged"
                } else {
                    "triggered"
                };
                let record = format!(
                    "{{\"incidentNumber\":\"{n}\",\"startTime\":\"{start}\",\"currentPhase\":\"{phase}\",\"alertCount\":{count},\"entityId\":{entity},\"entityDisplayName\":{title},\"entityState\":\"{state}\",\"host\":{host},\"routingKey\":\"{svc}\",\"pagedUsers\":[\"{user}\"],\"pagedPolicies\":[{{\"policy\":{{\"name\":\"{tn} policy\",\"slug\":\"pol-{tn}\"}},\"team\":{{\"name\":\"{tn}\",\"slug\":\"team-{tn}\"}}}}],\"transitions\":[{tr}]}}",
                    start = iso_ms(o.start),
                    count = o.repeat,
                    entity = json_str(&format!("{}/{}", g.alert_name(rule), o.host)),
                    title = json_str(&o.title),
                    host = json_str(&o.host),
                    svc = rule.service,
                    user = person(o.rule),
                    tn = team.name,
                    tr = transitions.join(","),
                );
                self.paged(v, record)?;
                (n.to_string(), "splunk_oncall")
            }
            Vendor::Jsm => {
                let id = format!(
                    "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}-{}",
                    r >> 32,
                    (r >> 16) & 0xffff,
                    r & 0xfff,
                    (r >> 20) & 0xfff,
                    mix(r) & 0xffff_ffff_ffff,
                    o.start
                );
                let priority = if o.pattern == Pattern::NonPaging {
                    "P5"
                } else {
                    match rule.severity {
                        "critical" => "P1",
                        "error" => "P2",
                        _ => "P3",
                    }
                };
                let closed_by = if o.by_person {
                    email(acker)
                } else {
                    "Alert API".to_string()
                };
                let mut report = Vec::new();
                if o.ack.is_some() {
                    report.push(format!("\"acknowledgedBy\":{}", json_str(&email(acker))));
                }
                if o.end.is_some() {
                    report.push(format!("\"closedBy\":{}", json_str(&closed_by)));
                }
                let record = format!(
                    "{{\"id\":\"{id}\",\"tinyId\":\"{tiny}\",\"message\":{msg},\"status\":\"{status}\",\"acknowledged\":{acked},\"alias\":{alias},\"source\":\"Prometheus\",\"tags\":[\"team:{tn}\",\"service:{svc}\",\"severity:{sev}\"],\"count\":{count},\"owner\":{owner},\"seen\":true,\"priority\":\"{priority}\",\"createdAt\":\"{created}\",\"updatedAt\":\"{updated}\",\"lastOccuredAt\":\"{created}\"{ack}{close},\"integrationType\":\"Prometheus\",\"integrationName\":\"prometheus-{tn}\",\"responders\":[{{\"id\":\"team-{tn}\",\"type\":\"team\"}}],\"report\":{{{report}}}}}",
                    tiny = self.seq,
                    msg = json_str(&o.title),
                    status = if o.end.is_some() { "closed" } else { "open" },
                    acked = o.ack.is_some(),
                    alias = json_str(&format!("{}-{}", g.alert_name(rule), o.host)),
                    tn = team.name,
                    svc = rule.service,
                    sev = rule.severity,
                    count = o.repeat,
                    owner = json_str(&o.ack.map(|_| email(acker)).unwrap_or_default()),
                    created = iso_ms(o.start),
                    updated = iso_ms(o.end.or(ack_at).unwrap_or(o.start)),
                    ack = ack_at
                        .map(|a| format!(",\"ackTime\":\"{}\"", iso_ms(a)))
                        .unwrap_or_default(),
                    close = o
                        .end
                        .map(|e| format!(",\"closeTime\":\"{}\"", iso_ms(e)))
                        .unwrap_or_default(),
                    report = report.join(","),
                );
                self.paged(v, record)?;
                (id, "jsm")
            }
            Vendor::Zabbix => {
                let id = 1_000_000 + 2 * self.seq;
                let severity = match (o.pattern, rule.severity) {
                    (Pattern::NonPaging, _) => 1,
                    (_, "critical") => 5,
                    (_, "error") => 4,
                    (_, "warning") => 2,
                    _ => 1,
                };
                let mut acks = Vec::new();
                if let Some(a) = ack_at {
                    // Bit 2 acknowledges, 4 adds a message (a note).
                    let (action, msg) = if o.notes > 0 { (6, "looking") } else { (2, "") };
                    acks.push(format!(
                        "{{\"clock\":\"{}\",\"action\":\"{action}\",\"message\":\"{msg}\",\"username\":\"{}\",\"userid\":\"{}\"}}",
                        a / 1000,
                        person(acker),
                        10 + acker
                    ));
                }
                let alerts = if o.paged {
                    format!(
                        "[{{\"alerttype\":\"0\",\"status\":\"1\",\"esc_step\":\"{}\",\"sendto\":\"{}\",\"clock\":\"{}\"}}]",
                        1 + o.escalations,
                        person(o.rule),
                        o.start / 1000 + 30
                    )
                } else {
                    "[]".to_string()
                };
                let userid = if o.by_person { 10 + acker } else { 0 };
                let recovery = if o.end.is_some() { id + 1 } else { 0 };
                let mut text = format!(
                    "{{\"eventid\":\"{id}\",\"source\":\"0\",\"object\":\"0\",\"objectid\":\"{obj}\",\"clock\":\"{clock}\",\"ns\":\"{ns}\",\"value\":\"1\",\"r_eventid\":\"{recovery}\",\"userid\":\"{userid}\",\"name\":{name},\"severity\":\"{severity}\",\"acknowledged\":\"{acked}\",\"hosts\":[{{\"host\":{host}}}],\"tags\":[{{\"tag\":\"service\",\"value\":\"{svc}\"}},{{\"tag\":\"team\",\"value\":\"{tn}\"}}],\"acknowledges\":[{acks}],\"alerts\":{alerts}}}",
                    obj = 20_000 + o.team * 64 + o.rule,
                    clock = o.start / 1000,
                    ns = (o.start % 1000) * 1_000_000,
                    name = json_str(&o.title),
                    acked = u8::from(o.ack.is_some()),
                    host = json_str(&o.host),
                    svc = rule.service,
                    tn = team.name,
                    acks = acks.join(","),
                );
                if let Some(end) = o.end {
                    text.push_str(&format!(
                        ",{{\"eventid\":\"{}\",\"source\":\"0\",\"object\":\"0\",\"objectid\":\"{}\",\"clock\":\"{}\",\"ns\":\"0\",\"value\":\"0\",\"r_eventid\":\"0\",\"severity\":\"0\"}}",
                        id + 1,
                        20_000 + o.team * 64 + o.rule,
                        end / 1000
                    ));
                }
                self.paged(v, text)?;
                (id.to_string(), "zabbix")
            }
            Vendor::Newrelic => {
                let id = format!(
                    "{:08x}-{:04x}-4{:03x}-9{:03x}-{:012x}",
                    r >> 32,
                    (r >> 16) & 0xffff,
                    r & 0xfff,
                    (r >> 24) & 0xfff,
                    mix(r ^ 7) & 0xffff_ffff_ffff
                );
                let priority = match rule.severity {
                    "critical" => "CRITICAL",
                    "error" => "HIGH",
                    "warning" => "MEDIUM",
                    _ => "LOW",
                };
                let (state, muting) = if !o.paged {
                    ("CREATED", "FULLY_MUTED")
                } else if o.end.is_some() {
                    ("CLOSED", "NOT_MUTED")
                } else {
                    ("ACTIVATED", "NOT_MUTED")
                };
                let record = format!(
                    "{{\"issueId\":\"{id}\",\"priority\":\"{priority}\",\"state\":\"{state}\",\"title\":[{title}],\"conditionName\":[{cond}],\"policyName\":[\"{tn}\"],\"conditionFamilyId\":[{fam}],\"entityNames\":[\"{svc}\"],\"entityGuids\":[{guid}],\"totalIncidents\":{count},\"mutingState\":\"{muting}\",\"createdAt\":{created}{activated}{ack}{close},\"updatedAt\":{updated}}}",
                    title = json_str(&o.title),
                    cond = json_str(g.alert_name(rule)),
                    tn = team.name,
                    fam = 5000 + o.team * 64 + o.rule,
                    svc = rule.service,
                    guid = json_str(&format!("GUID-{}", o.host)),
                    count = o.repeat,
                    created = o.start,
                    activated = if o.paged {
                        format!(",\"activatedAt\":{}", o.start + 60_000)
                    } else {
                        String::new()
                    },
                    ack = ack_at
                        .map(|a| {
                            format!(
                                ",\"acknowledgedAt\":{a},\"acknowledgedBy\":{}",
                                json_str(&email(acker))
                            )
                        })
                        .unwrap_or_default(),
                    close = o
                        .end
                        .map(|e| {
                            let by = if o.by_person {
                                json_str(&email(acker))
                            } else {
                                "null".to_string()
                            };
                            format!(",\"closedAt\":{e},\"closedBy\":{by}")
                        })
                        .unwrap_or_default(),
                    updated = o.end.or(ack_at).unwrap_or(o.start),
                );
                self.paged(v, record)?;
                (id, "newrelic")
            }
            _ => {
                // Elastic: the alert's latest state (Kibana updates the
                // document in place): a person closing it leaves workflow
                // `closed` by them, which hides an earlier acknowledgement.
                let id = format!("{:016x}{:016x}", r, mix(r ^ 3));
                let severity = match rule.severity {
                    "critical" => "critical",
                    "error" => "high",
                    "warning" => "medium",
                    _ => "low",
                };
                let (status, end) = match o.end {
                    Some(e) if !o.by_person => ("recovered", Some(e)),
                    Some(e) => ("active", Some(e)),
                    None => ("active", None),
                };
                let workflow = match (o.by_person, o.end, ack_at) {
                    (true, Some(e), _) => format!(
                        ",\"kibana.alert.workflow_status\":\"closed\",\"kibana.alert.workflow_user\":{},\"kibana.alert.workflow_status_updated_at\":\"{}\"",
                        json_str(&email(acker)),
                        iso_ms(e)
                    ),
                    (_, _, Some(a)) => format!(
                        ",\"kibana.alert.workflow_status\":\"acknowledged\",\"kibana.alert.workflow_user\":{},\"kibana.alert.workflow_status_updated_at\":\"{}\"",
                        json_str(&email(acker)),
                        iso_ms(a)
                    ),
                    _ => ",\"kibana.alert.workflow_status\":\"open\"".to_string(),
                };
                let record = format!(
                    "{{\"@timestamp\":\"{ts}\",\"kibana.alert.uuid\":\"{id}\",\"kibana.alert.start\":\"{start}\"{end},\"kibana.alert.status\":\"{status}\"{workflow},\"kibana.alert.rule.name\":{rname},\"kibana.alert.rule.uuid\":\"rule-{ti}-{ri}\",\"kibana.alert.instance.id\":{host},\"kibana.alert.reason\":{reason},\"kibana.alert.severity\":\"{severity}\",\"kibana.alert.rule.tags\":[\"team:{tn}\",\"service:{svc}\"],\"host.name\":{host}}}",
                    ts = iso_ms(o.end.unwrap_or(o.start)),
                    start = iso_ms(o.start),
                    end = if status == "recovered" {
                        format!(",\"kibana.alert.end\":\"{}\"", iso_ms(end.unwrap_or(o.start)))
                    } else {
                        String::new()
                    },
                    rname = json_str(g.alert_name(rule)),
                    ti = o.team,
                    ri = o.rule,
                    host = json_str(&o.host),
                    reason = json_str(&o.title),
                    tn = team.name,
                    svc = rule.service,
                );
                writeln!(self.out(v)?.file, "{record}")?;
                (id, "elastic")
            }
        })
    }
}

/// Write a paged format's pending page as one line in its envelope.
fn flush_page(v: Vendor, out: &mut Out) -> std::io::Result<()> {
    if out.page.is_empty() {
        return Ok(());
    }
    let items = out.page.join(",");
    let offset = out.pages * PAGE as u64;
    out.pages += 1;
    match v {
        Vendor::SplunkOncall => writeln!(
            out.file,
            "{{\"offset\":{offset},\"limit\":{PAGE},\"incidents\":[{items}]}}"
        )?,
        Vendor::Jsm => writeln!(
            out.file,
            "{{\"values\":[{items}],\"links\":{{\"next\":\"/v1/alerts?offset={}&size={PAGE}\"}},\"count\":{}}}",
            offset + PAGE as u64,
            out.page.len()
        )?,
        Vendor::Zabbix => writeln!(
            out.file,
            "{{\"jsonrpc\":\"2.0\",\"result\":[{items}],\"id\":{}}}",
            out.pages
        )?,
        _ => writeln!(
            out.file,
            "{{\"data\":{{\"actor\":{{\"account\":{{\"aiIssues\":{{\"issues\":{{\"issues\":[{items}],\"nextCursor\":null}}}}}}}}}}}}"
        )?,
    }
    out.page.clear();
    Ok(())
}
