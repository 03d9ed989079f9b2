//! Each adapter on records shaped exactly like formats.md's examples, with
//! the expected canonical values worked out by hand in the comments.

use alertsift::ingest::{Batch, Format};

use crate::util::*;

const PAYMENTS: &str = r#"
[teams.payments]
timezone = "Europe/Berlin"
services = ["checkout-api", "payments-db"]
aliases = ["PGVXG6U", "01TEAMPAY"]
"#;

#[test]
fn pagerduty_csv_advanced() {
    let b = ingest(&[fixture("pagerduty/incidents-advanced.csv")], PAYMENTS);
    let a = &b.alerts;
    // 5 rows: 2 good, 1 bad timestamp, 1 naive timestamp, 1 repeat of row 1.
    assert_eq!(a.height(), 3);
    assert_eq!(b.inputs[0].records, 5);
    assert_eq!(b.inputs[0].rejected, 2);

    // The formats.md row: low urgency, auto-resolved after 1442 s, never acked.
    let i = row(a, "alert_id", "Q1ABCD2EFGH3IJ");
    assert_eq!(text(a, "source", i).as_deref(), Some("pagerduty"));
    assert_eq!(
        text(a, "title", i).as_deref(),
        Some("web-10-0-1-17/chef-client : CheckProcess CRITICAL: Found 0 matching processes")
    );
    assert_eq!(text(a, "service", i).as_deref(), Some("Web Low-Urgency"));
    assert_eq!(text(a, "team", i), None);
    assert_eq!(
        time(a, "triggered_at", i).as_deref(),
        Some("2023-02-26T00:10:04Z")
    );
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2023-02-26T00:34:06Z")
    );
    assert_eq!(time(a, "acknowledged_at", i), None);
    assert_eq!(flag(a, "auto_resolved", i), Some(true));
    assert_eq!(flag(a, "paged", i), Some(false));
    assert_eq!(text(a, "urgency", i).as_deref(), Some("low"));
    assert_eq!(list(a, "responders", i), Some(vec!["Jane Doe".to_string()]));

    // Offsets +01:00 and +02:00 across Berlin's DST change (2023-03-26 01:00Z):
    // created 01:59+01:00 = 00:59Z, resolved 03:30+02:00 = 01:30Z, acked +120 s.
    let i = row(a, "alert_id", "PXYZ1234567890");
    assert_eq!(
        time(a, "triggered_at", i).as_deref(),
        Some("2023-03-26T00:59:00Z")
    );
    assert_eq!(
        time(a, "acknowledged_at", i).as_deref(),
        Some("2023-03-26T01:01:00Z")
    );
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2023-03-26T01:30:00Z")
    );
    assert_eq!(text(a, "acknowledged_by", i).as_deref(), Some("Ada Varga"));
    assert_eq!(text(a, "resolved_by", i).as_deref(), Some("Ada Varga"));
    assert_eq!(flag(a, "auto_resolved", i), Some(false));
    assert_eq!(flag(a, "paged", i), Some(true));
    assert_eq!(count(a, "escalations", i), Some(1));
    assert_eq!(text(a, "team", i).as_deref(), Some("payments"));
    assert_eq!(
        list(a, "responders", i),
        Some(vec!["Ada Varga".to_string(), "Jonas Weber".to_string()])
    );

    let reasons: Vec<&str> = b.rejects.iter().map(|r| r.reason.as_str()).collect();
    assert!(
        reasons[0].contains("created_on") && reasons[0].contains("invalid timestamp"),
        "{reasons:?}"
    );
    assert!(reasons[1].contains("no time zone"), "{reasons:?}");
    assert_eq!(b.rejects[0].record, 3);
    // Row 1 spans lines 2–3, so the bad row starts on line 5.
    assert_eq!(b.rejects[0].line, Some(5));
    assert!(b.rejects[0]
        .raw
        .starts_with("PBAD0000000001,4244,Bad timestamp"));
}

#[test]
fn pagerduty_csv_basic() {
    let b = ingest(&[fixture("pagerduty/incidents-basic.csv")], "");
    let a = &b.alerts;
    assert_eq!(a.height(), 2);
    let i = row(a, "alert_id", "101");
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2023-02-26T00:34:06Z")
    );
    assert_eq!(text(a, "resolved_by", i).as_deref(), Some("Jane Doe"));
    assert_eq!(text(a, "title", i), None);
    // No "Resolved On": 09:00+01:00 plus the 10-minute duration.
    let i = row(a, "alert_id", "102");
    assert_eq!(
        time(a, "triggered_at", i).as_deref(),
        Some("2023-02-27T08:00:00Z")
    );
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2023-02-27T08:10:00Z")
    );
    assert_eq!(count(a, "escalations", i), Some(2));
}

#[test]
fn pagerduty_rest_with_log_entries() {
    // The log file is given second but read first.
    let b = ingest(
        &[
            fixture("pagerduty/incidents.json"),
            fixture("pagerduty/log_entries.json"),
        ],
        "",
    );
    let a = &b.alerts;
    assert_eq!(a.height(), 3);
    let i = row(a, "alert_id", "PT4KHLK");
    assert_eq!(
        text(a, "title", i).as_deref(),
        Some("The server is on fire.")
    );
    assert_eq!(
        text(a, "dedup_key", i).as_deref(),
        Some("baf7cf21b1da41b4b0221008339ff357")
    );
    assert_eq!(text(a, "service", i).as_deref(), Some("My Mail Service"));
    assert_eq!(text(a, "team", i).as_deref(), Some("Engineering"));
    assert_eq!(text(a, "severity", i).as_deref(), Some("error")); // priority P2
    assert_eq!(
        time(a, "acknowledged_at", i).as_deref(),
        Some("2015-10-06T21:32:00Z")
    );
    assert_eq!(
        text(a, "acknowledged_by", i).as_deref(),
        Some("Laura Haley")
    );
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2015-10-06T21:38:23Z")
    );
    assert_eq!(text(a, "resolved_by", i).as_deref(), Some("Laura Haley"));
    assert_eq!(flag(a, "auto_resolved", i), Some(false));
    assert_eq!(count(a, "notes", i), Some(1));
    assert_eq!(count(a, "escalations", i), Some(0));
    assert_eq!(count(a, "repeat_count", i), Some(2));
    assert_eq!(
        time(a, "updated_at", i).as_deref(),
        Some("2015-10-06T21:40:23Z")
    );

    // No log entries: the integration resolved it (last_status_change_by).
    let i = row(a, "alert_id", "PQ2AUTO");
    assert_eq!(flag(a, "auto_resolved", i), Some(true));
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2015-10-07T01:04:10Z")
    );
    assert_eq!(flag(a, "paged", i), Some(false));
    assert_eq!(count(a, "notes", i), None);

    // Second page; +02:00 offset; acknowledged, still open. Its log has an
    // ack spelled as the OpenAPI enum (`acknowledgement_log_entry`) at 08:02,
    // earlier than the incident's own acknowledgement (08:03): the log wins.
    let i = row(a, "alert_id", "PQ3OPEN");
    assert_eq!(
        time(a, "triggered_at", i).as_deref(),
        Some("2015-10-08T08:00:00Z")
    );
    assert_eq!(
        time(a, "acknowledged_at", i).as_deref(),
        Some("2015-10-08T08:02:00Z")
    );
    assert_eq!(time(a, "resolved_at", i), None);
    let log = b
        .inputs
        .iter()
        .find(|r| r.format == "pagerduty-log-entries")
        .unwrap();
    assert!(
        log.notes
            .iter()
            .any(|n| n.contains("1 incident(s) matched no incident")),
        "{:?}",
        log.notes
    );
}

#[test]
fn pagerduty_analytics_naive_times_in_page_zone() {
    let b = ingest(&[fixture("pagerduty/analytics.json")], PAYMENTS);
    let a = &b.alerts;
    assert_eq!(a.height(), 1);
    // 15:36:37 in Europe/Berlin (UTC+1 in January) = 14:36:37Z.
    assert_eq!(
        time(a, "triggered_at", 0).as_deref(),
        Some("2021-01-08T14:36:37Z")
    );
    assert_eq!(
        time(a, "resolved_at", 0).as_deref(),
        Some("2021-01-08T14:39:52Z")
    );
    assert_eq!(time(a, "acknowledged_at", 0), None);
    assert_eq!(flag(a, "auto_resolved", 0), Some(false));
    assert_eq!(text(a, "severity", 0).as_deref(), Some("critical"));
    // team_id PGVXG6U is an alias of payments.
    assert_eq!(text(a, "team", 0).as_deref(), Some("payments"));
    let l = labels(a, 0);
    assert!(
        l.contains(&("pagerduty.sleep_hour_interruptions".into(), "2".into())),
        "{l:?}"
    );
    // major: true also lands in the incidents table.
    assert_eq!(b.incidents.height(), 1);
    assert_eq!(
        text(&b.incidents, "incident_id", 0).as_deref(),
        Some("P9UMCAE")
    );
}

#[test]
fn pagerduty_analytics_without_zone_needs_config() {
    let e = try_ingest(&[fixture("pagerduty/analytics-no-zone.json")], "", None)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("without a time zone") && e.contains("[sources.pagerduty]"),
        "{e}"
    );
    let b = ingest(
        &[fixture("pagerduty/analytics-no-zone.json")],
        "[sources.pagerduty]\ntimezone = \"America/New_York\"\n",
    );
    // 10:00 EST = 15:00Z.
    assert_eq!(
        time(&b.alerts, "triggered_at", 0).as_deref(),
        Some("2021-01-09T15:00:00Z")
    );
}

#[test]
fn opsgenie_pages() {
    let b = ingest(&[fixture("opsgenie/alerts.json")], PAYMENTS);
    let a = &b.alerts;
    assert_eq!(a.height(), 3);
    // formats.md's alert: ackTime 15702 ms, closeTime 60503 ms after createdAt.
    let i = row(a, "alert_id", "70413a06-38d6-4c85-92b8-5ebc900d42e2");
    assert_eq!(text(a, "dedup_key", i).as_deref(), Some("event_573"));
    assert_eq!(
        time(a, "triggered_at", i).as_deref(),
        Some("2017-03-21T20:32:52.353Z")
    );
    assert_eq!(
        time(a, "acknowledged_at", i).as_deref(),
        Some("2017-03-21T20:33:08.055Z")
    );
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2017-03-21T20:33:52.856Z")
    );
    assert_eq!(
        text(a, "resolved_by", i).as_deref(),
        Some("neo@example.com")
    );
    assert_eq!(flag(a, "auto_resolved", i), Some(false));
    assert_eq!(count(a, "repeat_count", i), Some(79));
    assert_eq!(text(a, "severity", i).as_deref(), Some("info")); // P4
    assert_eq!(flag(a, "paged", i), Some(false));
    assert_eq!(
        text(a, "team", i).as_deref(),
        Some("4513b7ea-3b91-438f-b7e4-e3e54af9147c")
    );
    let l = labels(a, i);
    assert!(
        l.contains(&("OverwriteQuietHours".into(), String::new())),
        "{l:?}"
    );
    assert!(
        l.contains(&("integration".into(), "Nebuchadnezzar".into())),
        "{l:?}"
    );

    // Closed by the integration, team and service from tags.
    let i = row(a, "alert_id", "8f1c2d3e-0000-4000-8000-000000000001");
    assert_eq!(flag(a, "auto_resolved", i), Some(true));
    assert_eq!(text(a, "resolved_by", i), None);
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2017-03-22T03:04:00Z")
    );
    assert_eq!(text(a, "team", i).as_deref(), Some("payments"));
    assert_eq!(text(a, "service", i).as_deref(), Some("payments-db"));
    assert_eq!(flag(a, "paged", i), Some(true));

    // Second page: open, team responder with a name, hostile title kept as text.
    let i = row(a, "alert_id", "8f1c2d3e-0000-4000-8000-000000000002");
    assert_eq!(time(a, "resolved_at", i), None);
    assert_eq!(text(a, "team", i).as_deref(), Some("Payments SRE"));
    assert_eq!(
        text(a, "title", i).as_deref(),
        Some("Checkout <script>alert('x')</script> 5xx")
    );
    assert_eq!(
        time(a, "triggered_at", i).as_deref(),
        Some("2017-03-23T12:00:00.500Z")
    );
}

#[test]
fn opsgenie_truncated_keeps_earlier_records() {
    let b = ingest(&[fixture("opsgenie/alerts-truncated.json")], "");
    // The first record ends before byte 900; the second is cut.
    assert_eq!(b.alerts.height(), 1);
    assert_eq!(b.rejects.len(), 1);
    assert!(
        b.rejects[0].reason.starts_with("truncated JSON"),
        "{}",
        b.rejects[0].reason
    );
    assert_eq!(b.rejects[0].record, 2);
}

#[test]
fn alertmanager_folds_resends() {
    let b = ingest(
        &[fixture("alertmanager/webhooks.jsonl")],
        "[paging]\nalertmanager_receivers = [\"sms\"]\n",
    );
    let a = &b.alerts;
    assert_eq!(a.height(), 2);
    let i = row(a, "alert_id", "1a30ba71cca2921f@2023-02-06T13:08:45.828Z");
    assert_eq!(text(a, "dedup_key", i).as_deref(), Some("1a30ba71cca2921f"));
    assert_eq!(
        text(a, "title", i).as_deref(),
        Some("BlackBox Probe Failure: https://server.example.org")
    );
    // The future endsAt of the firing re-send is not a resolution; the
    // resolved notification's endsAt is.
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2023-02-06T13:19:45.828Z")
    );
    assert_eq!(flag(a, "auto_resolved", i), Some(true));
    assert_eq!(count(a, "repeat_count", i), Some(2));
    assert_eq!(flag(a, "paged", i), Some(true));
    assert_eq!(text(a, "severity", i).as_deref(), Some("critical"));
    assert_eq!(
        time(a, "updated_at", i).as_deref(),
        Some("2023-02-06T13:20:00Z")
    );
    // Still firing at the end: open; the email receiver does not page.
    let i = row(a, "alert_id", "00000000000000aa@2023-02-06T13:30:00Z");
    assert_eq!(time(a, "resolved_at", i), None);
    assert_eq!(flag(a, "paged", i), Some(false));
    assert_eq!(text(a, "team", i).as_deref(), Some("data"));
    assert_eq!(text(a, "service", i).as_deref(), Some("warehouse"));
    // A bad startsAt and the truncated last line are rejects with line numbers.
    assert_eq!(b.rejects.len(), 2);
    assert!(
        b.rejects[0].reason.contains("startsAt"),
        "{}",
        b.rejects[0].reason
    );
    assert_eq!(b.rejects[0].line, Some(4));
    assert!(
        b.rejects[1].reason.contains("truncated"),
        "{}",
        b.rejects[1].reason
    );
    assert_eq!(b.rejects[1].line, Some(5));
    let notes = &b.inputs[0].notes;
    assert!(
        notes.iter().any(|n| n.contains("2 alert(s) were cut")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("sms (pages)") && n.contains("email (does not page)")),
        "{notes:?}"
    );
}

#[test]
fn alertmanager_edge_cases() {
    // Line 1: resolved before any firing notification, no fingerprint (so
    // the label hash, worked out by hand with FNV-1a over the sorted labels:
    // bd787e10f8448166), `team` given twice (the last counts), an escaped
    // quote in a label. Line 2 blank, line 3 not UTF-8, line 4 a firing
    // re-send of line 1's occurrence, line 5 (no final newline) two alerts,
    // the second without startsAt.
    let b = ingest(&[fixture("alertmanager/edge-cases.jsonl")], "");
    let a = &b.alerts;
    assert_eq!(a.height(), 2);
    assert_eq!(b.inputs[0].records, 5);
    let i = row(a, "alert_id", "bd787e10f8448166@2024-01-01T09:00:00Z");
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2024-01-01T09:30:00Z")
    );
    assert_eq!(count(a, "repeat_count", i), Some(1));
    assert_eq!(text(a, "team", i).as_deref(), Some("ops"));
    assert_eq!(text(a, "title", i).as_deref(), Some("QueueBacklog"));
    assert_eq!(
        text(a, "labels", i).as_deref(),
        Some(r#"{"alertname":"QueueBacklog","queue":"jobs \"bulk\"","team":"ops"}"#)
    );
    assert_eq!(
        time(a, "updated_at", i).as_deref(),
        Some("2024-01-01T09:31:00Z")
    );
    let i = row(a, "alert_id", "00000000000000bb@2024-01-01T12:00:00Z");
    assert_eq!(time(a, "resolved_at", i), None);
    assert_eq!(text(a, "title", i).as_deref(), Some("Disk"));
    let rejects: Vec<(Option<u64>, &str)> = b
        .rejects
        .iter()
        .map(|r| (r.line, r.reason.as_str()))
        .collect();
    assert_eq!(rejects.len(), 2, "{rejects:?}");
    assert_eq!(rejects[0].0, Some(3));
    assert!(rejects[0].1.contains("not valid UTF-8"), "{rejects:?}");
    assert_eq!(rejects[1].0, Some(5));
    assert!(rejects[1].1.contains("startsAt"), "{rejects:?}");
}

#[test]
fn grafana_oncall_groups() {
    let b = ingest(&[fixture("grafana/alert_groups.json")], "");
    let a = &b.alerts;
    assert_eq!(a.height(), 2);
    let i = row(a, "alert_id", "I68T24C13IFW1");
    assert_eq!(
        time(a, "triggered_at", i).as_deref(),
        Some("2020-05-19T12:37:01.430444Z")
    );
    assert_eq!(flag(a, "auto_resolved", i), Some(false));
    assert_eq!(text(a, "resolved_by", i).as_deref(), Some("UCGEIXI1MR1NZ"));
    assert_eq!(count(a, "repeat_count", i), Some(3));
    assert_eq!(flag(a, "paged", i), Some(true));
    let i = row(a, "alert_id", "I2AUTO");
    assert_eq!(flag(a, "auto_resolved", i), Some(true));
    assert_eq!(
        time(a, "acknowledged_at", i).as_deref(),
        Some("2020-05-20T01:01:00Z")
    );
    assert_eq!(text(a, "team", i).as_deref(), Some("platform"));
    assert_eq!(text(a, "service", i).as_deref(), Some("ingress"));
}

#[test]
fn servicenow_folds_updates_in_configured_zone() {
    let b = ingest(
        &[fixture("servicenow/incidents.csv")],
        "[sources.servicenow]\ntimezone = \"Europe/London\"\n",
    );
    let inc = &b.incidents;
    assert_eq!(inc.height(), 2);
    assert_eq!(b.alerts.height(), 0);
    let i = row(inc, "incident_id", "INC0010023");
    assert_eq!(text(inc, "status", i).as_deref(), Some("Closed"));
    assert_eq!(text(inc, "severity", i).as_deref(), Some("error"));
    assert_eq!(text(inc, "team", i).as_deref(), Some("Payments SRE"));
    // London is on GMT on 12 March.
    assert_eq!(
        time(inc, "started_at", i).as_deref(),
        Some("2024-03-12T02:14:07Z")
    );
    assert_eq!(
        time(inc, "resolved_at", i).as_deref(),
        Some("2024-03-12T03:01:55Z")
    );
    // 01:30 on 31 March 2024 never happened in London (01:00 -> 02:00):
    // moved to 02:00 BST = 01:00Z; 02:30 BST = 01:30Z.
    let i = row(inc, "incident_id", "INC0010024");
    assert_eq!(
        time(inc, "started_at", i).as_deref(),
        Some("2024-03-31T01:00:00Z")
    );
    assert_eq!(
        time(inc, "resolved_at", i).as_deref(),
        Some("2024-03-31T01:30:00Z")
    );
    assert_eq!(text(inc, "severity", i).as_deref(), Some("info"));
    assert_eq!(b.rejects.len(), 1);
    assert!(
        b.rejects[0].reason.contains("opened_at"),
        "{}",
        b.rejects[0].reason
    );
}

#[test]
fn servicenow_without_zone_is_refused() {
    let e = try_ingest(&[fixture("servicenow/incidents.csv")], "", None)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("[sources.servicenow]"), "{e}");
    assert!(e.contains("2024-03-12 02:14:07"), "{e}");
}

#[test]
fn incidentio_skips_test_incidents() {
    let b = ingest(&[fixture("incidentio/incidents.json")], PAYMENTS);
    let inc = &b.incidents;
    assert_eq!(inc.height(), 1);
    assert_eq!(
        time(inc, "started_at", 0).as_deref(),
        Some("2021-08-17T13:28:57.801578Z")
    );
    assert_eq!(
        time(inc, "resolved_at", 0).as_deref(),
        Some("2021-08-17T14:05:10Z")
    );
    assert_eq!(text(inc, "severity", 0).as_deref(), Some("warning"));
    assert_eq!(text(inc, "team", 0).as_deref(), Some("payments"));
    assert!(b.inputs[0].notes[0].contains("1 incident(s) skipped"));
}

#[test]
fn generic_mapping_csv() {
    let config = alertsift::config::Config::default();
    let options = alertsift::ingest::IngestOptions {
        mapping: Some(fixture("generic/nagios.toml")),
        progress: false,
    };
    let inputs = [alertsift::ingest::Input {
        path: fixture("generic/nagios.csv"),
        format: None,
    }];
    let b = alertsift::ingest::ingest(&inputs, &config, &options).unwrap();
    let a = &b.alerts;
    assert_eq!(a.height(), 2);
    // New York is on EDT (UTC-4) on 1 May.
    let i = row(a, "alert_id", "9001");
    assert_eq!(text(a, "source", i).as_deref(), Some("nagios"));
    assert_eq!(
        time(a, "triggered_at", i).as_deref(),
        Some("2024-05-01T14:00:00Z")
    );
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2024-05-01T14:03:00Z")
    );
    assert_eq!(flag(a, "paged", i), Some(true));
    assert_eq!(text(a, "severity", i).as_deref(), Some("critical"));
    let i = row(a, "alert_id", "9002");
    assert_eq!(
        text(a, "title", i).as_deref(),
        Some("Disk \"root\" 95% on web-02")
    );
    assert_eq!(
        time(a, "acknowledged_at", i).as_deref(),
        Some("2024-05-01T15:05:00Z")
    );
    assert_eq!(flag(a, "paged", i), Some(false));
    assert_eq!(b.rejects.len(), 1);
    assert!(
        b.rejects[0].reason.contains("triggered_at"),
        "{}",
        b.rejects[0].reason
    );
}

#[test]
fn forced_format_that_does_not_fit_is_an_error() {
    let e = try_ingest(
        &[fixture("grafana/alert_groups.json")],
        "",
        Format::named("opsgenie"),
    )
    .err()
    .unwrap()
    .to_string();
    // The page has no `data`: read as one record, which is no Opsgenie
    // alert, so the file is read as nothing, an error that says why.
    assert!(
        e.contains("(opsgenie): all 1 record(s) were rejected"),
        "{e}"
    );
    assert!(e.contains("not an Opsgenie alert"), "{e}");
}

fn generic(paths: &[std::path::PathBuf], mapping: &str) -> alertsift::ingest::Batch {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("mapping.toml");
    std::fs::write(&m, mapping).unwrap();
    let options = alertsift::ingest::IngestOptions {
        mapping: Some(m),
        progress: false,
    };
    let inputs: Vec<_> = paths
        .iter()
        .map(|p| alertsift::ingest::Input {
            path: p.clone(),
            format: None,
        })
        .collect();
    alertsift::ingest::ingest(&inputs, &alertsift::config::Config::default(), &options).unwrap()
}

#[test]
fn generic_mapping_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("events.jsonl");
    std::fs::write(
        &f,
        concat!(
            "{\"key\":\"e1\",\"msg\":\"CPU 93% on web-01\",\"at\":1714557600,\"sev\":\"warn\",\"people\":\"ann;bob\",\"tags\":\"env=prod;dc=fra\"}\n",
            "\n",
            "{\"key\":\"e2\",\"msg\":\"no time\"}\n",
            "not json\n",
        ),
    )
    .unwrap();
    let b = generic(
        &[f],
        "source = \"zabbix\"\ntimestamp_format = \"epoch_s\"\n[columns]\nalert_id = \"key\"\ntitle = \"msg\"\ntriggered_at = \"at\"\nseverity = \"sev\"\nresponders = \"people\"\nlabels = \"tags\"\n",
    );
    let a = &b.alerts;
    assert_eq!(a.height(), 1);
    // 1714557600 = 2024-05-01T10:00:00Z.
    assert_eq!(
        time(a, "triggered_at", 0).as_deref(),
        Some("2024-05-01T10:00:00Z")
    );
    assert_eq!(text(a, "severity", 0).as_deref(), Some("warning"));
    assert_eq!(text(a, "source", 0).as_deref(), Some("zabbix"));
    assert_eq!(
        list(a, "responders", 0),
        Some(vec!["ann".to_string(), "bob".to_string()])
    );
    assert_eq!(
        labels(a, 0),
        vec![
            ("dc".to_string(), "fra".to_string()),
            ("env".to_string(), "prod".to_string())
        ]
    );
    assert_eq!(b.rejects.len(), 2);
    assert!(
        b.rejects[0].reason.contains("empty triggered_at"),
        "{}",
        b.rejects[0].reason
    );
    assert_eq!(b.rejects[0].line, Some(3));
    assert!(
        b.rejects[1].reason.contains("not a JSON object"),
        "{}",
        b.rejects[1].reason
    );
}

#[test]
fn generic_mapping_parquet_with_datetimes() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("incidents.parquet");
    // opened: 2024-05-01T08:00:00Z (zone-aware); closed: 2024-05-01 11:30
    // naive, read in the mapping's Europe/Berlin (CEST, UTC+2) = 09:30Z.
    let started =
        Int64Chunked::from_slice(PlSmallStr::from_static("opened"), &[1_714_550_400_000_000])
            .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
            .into_series();
    let closed =
        Int64Chunked::from_slice(PlSmallStr::from_static("closed"), &[1_714_563_000_000_000])
            .into_datetime(TimeUnit::Microseconds, None)
            .into_series();
    let mut df = DataFrame::new(
        1,
        vec![
            Column::new(PlSmallStr::from_static("ref"), ["INC-9"]),
            Column::new(PlSmallStr::from_static("sev"), ["SEV1"]),
            started.into(),
            closed.into(),
        ],
    )
    .unwrap();
    ParquetWriter::new(std::fs::File::create(&f).unwrap())
        .finish(&mut df)
        .unwrap();
    let b = generic(
        &[f],
        "source = \"jira\"\nkind = \"incidents\"\ntimezone = \"Europe/Berlin\"\n[columns]\nincident_id = \"ref\"\nseverity = \"sev\"\nstarted_at = \"opened\"\nresolved_at = \"closed\"\n",
    );
    let inc = &b.incidents;
    assert_eq!(inc.height(), 1);
    assert_eq!(text(inc, "source", 0).as_deref(), Some("jira"));
    assert_eq!(text(inc, "severity", 0).as_deref(), Some("critical"));
    assert_eq!(
        time(inc, "started_at", 0).as_deref(),
        Some("2024-05-01T08:00:00Z")
    );
    assert_eq!(
        time(inc, "resolved_at", 0).as_deref(),
        Some("2024-05-01T09:30:00Z")
    );
}

#[test]
fn pagerduty_csv_at_the_20000_row_cap_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("capped.csv");
    // The full 23-column header; the cells this test does not need are empty.
    let header = alertsift::ingest::pagerduty_csv::ADVANCED.join(",");
    let mut text = format!("{header}\n");
    for i in 0..20_000 {
        text.push_str(&format!(
            "P{i:06},{i},Disk {i}% on db-{i},S1,svc,E1,ep,2024-01-01T00:00:00Z{}high\n",
            ",".repeat(15)
        ));
    }
    std::fs::write(&path, &text).unwrap();
    let b = ingest(std::slice::from_ref(&path), "");
    assert_eq!(b.alerts.height(), 20_000);
    assert!(
        b.inputs[0]
            .notes
            .iter()
            .any(|n| n.contains("caps this export at 20000")),
        "{:?}",
        b.inputs[0].notes
    );
    // One row fewer is not flagged.
    let short: String = text
        .lines()
        .take(20_000)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&path, short).unwrap();
    let b = ingest(&[path], "");
    assert_eq!(b.alerts.height(), 19_999);
    assert!(b.inputs[0].notes.is_empty(), "{:?}", b.inputs[0].notes);
}

#[test]
fn splunk_oncall_public_v1_upper_case() {
    let b = ingest(&[fixture("splunk-oncall/public-v1-incidents.json")], "");
    assert_eq!(b.inputs[0].format, "splunk-oncall");
    let a = &b.alerts;
    assert_eq!((a.height(), b.rejects.len()), (2, 0));
    // 1316: resolved by SYSTEM (`manually: false`): the integration; the
    // display name's `&gt;` decoded; OK says no severity; routing key as
    // the service; the policy's team; 3 alerts; both paged users.
    let i = row(a, "alert_id", "1316");
    assert_eq!(
        text(a, "title", i).as_deref(),
        Some("Disk IO > 90% for 15 minutes - db-07")
    );
    assert_eq!(
        text(a, "dedup_key", i).as_deref(),
        Some("newrelicV2-3738/*")
    );
    assert_eq!(text(a, "service", i).as_deref(), Some("dba"));
    assert_eq!(text(a, "team", i).as_deref(), Some("DBA"));
    assert_eq!(text(a, "severity", i), None);
    assert_eq!(
        time(a, "acknowledged_at", i).as_deref(),
        Some("2016-04-09T07:07:42Z")
    );
    assert_eq!(text(a, "acknowledged_by", i).as_deref(), Some("aaldrich"));
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2016-04-09T08:54:26Z")
    );
    assert_eq!(text(a, "resolved_by", i), None);
    assert_eq!(flag(a, "auto_resolved", i), Some(true));
    assert_eq!(count(a, "notes", i), Some(0));
    assert_eq!(count(a, "repeat_count", i), Some(3));
    assert_eq!(flag(a, "paged", i), Some(true));
    let responders = a
        .column("responders")
        .unwrap()
        .list()
        .unwrap()
        .get_as_series(i)
        .unwrap();
    let responders: Vec<&str> = responders.str().unwrap().iter().flatten().collect();
    assert_eq!(responders, ["aaldrich", "ctotzke"]);
    // 1317: acknowledged with no `by`; WARNING; no policy: the team slug.
    let i = row(a, "alert_id", "1317");
    assert_eq!(
        text(a, "title", i).as_deref(),
        Some("Disk <10% free on web-3")
    );
    assert_eq!(text(a, "severity", i).as_deref(), Some("warning"));
    assert_eq!(text(a, "team", i).as_deref(), Some("team-WEB"));
    assert_eq!(
        time(a, "acknowledged_at", i).as_deref(),
        Some("2016-04-10T22:04:00Z")
    );
    assert_eq!(text(a, "acknowledged_by", i), None);
    assert_eq!(time(a, "resolved_at", i), None);
}

#[test]
fn splunk_oncall_reporting_v2_pages_appended() {
    let b = ingest(&[fixture("splunk-oncall/reporting-v2-pages.json")], "");
    let a = &b.alerts;
    // Two pages of two: 4 records, "5" has no startTime (a reject).
    assert_eq!(
        (b.inputs[0].records, a.height(), b.rejects.len()),
        (4, 3, 1)
    );
    assert!(
        b.rejects[0].reason.contains("no startTime"),
        "{:?}",
        b.rejects[0]
    );
    // "2": lower case; acknowledged and resolved by jdoe by hand, with a
    // message (a note).
    let i = row(a, "alert_id", "2");
    assert_eq!(text(a, "severity", i).as_deref(), Some("critical"));
    assert_eq!(text(a, "team", i).as_deref(), Some("Payments"));
    assert_eq!(text(a, "resolved_by", i).as_deref(), Some("jdoe"));
    assert_eq!(flag(a, "auto_resolved", i), Some(false));
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2020-03-28T19:02:40Z")
    );
    assert_eq!(count(a, "notes", i), Some(1));
    // 3: the number as a JSON number, alertCount as text; resolved with
    // `manually: false` and no `by`: the integration.
    let i = row(a, "alert_id", "3");
    assert_eq!(count(a, "repeat_count", i), Some(2));
    assert_eq!(flag(a, "auto_resolved", i), Some(true));
    assert_eq!(text(a, "severity", i).as_deref(), Some("warning"));
    // 4: still open.
    let i = row(a, "alert_id", "4");
    assert_eq!(time(a, "resolved_at", i), None);
    assert_eq!(flag(a, "auto_resolved", i), None);
}

#[test]
fn splunk_oncall_paging_is_configurable() {
    let b = ingest(
        &[fixture("splunk-oncall/public-v1-incidents.json")],
        "[paging]\nsplunk_oncall = false\n",
    );
    let a = &b.alerts;
    assert_eq!(flag(a, "paged", row(a, "alert_id", "1316")), Some(false));
}

#[test]
fn zabbix_event_get_joins_recovery_events() {
    let b = ingest(&[fixture("zabbix/event-get.json")], "");
    assert_eq!(b.inputs[0].format, "zabbix");
    let a = &b.alerts;
    // Seven events: four problems of triggers, two recoveries, one internal
    // (skipped, noted).
    assert_eq!(
        (b.inputs[0].records, a.height(), b.rejects.len()),
        (7, 4, 0)
    );
    let notes = b.inputs[0].notes.join("\n");
    assert!(
        notes.contains("1 internal or service event(s) skipped"),
        "{notes}"
    );
    assert!(
        notes.contains("1 problem(s) resolved by a recovery event that is not in the file"),
        "{notes}"
    );
    // 1245463: High → error; recovered by its trigger (userid 0): the
    // integration; acknowledged by jdoe (action 6 = ack + message: a note);
    // one message sent at step 1.
    let i = row(a, "alert_id", "1245463");
    assert_eq!(
        time(a, "triggered_at", i).as_deref(),
        Some("2024-07-31T09:30:42.209442Z")
    );
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2024-07-31T09:44:45.125644Z")
    );
    assert_eq!(flag(a, "auto_resolved", i), Some(true));
    assert_eq!(
        time(a, "acknowledged_at", i).as_deref(),
        Some("2024-07-31T09:37:30Z")
    );
    assert_eq!(text(a, "acknowledged_by", i).as_deref(), Some("jdoe"));
    assert_eq!(text(a, "severity", i).as_deref(), Some("error"));
    assert_eq!(text(a, "service", i).as_deref(), Some("postgres"));
    assert_eq!(text(a, "team", i).as_deref(), Some("dba"));
    assert_eq!(text(a, "dedup_key", i).as_deref(), Some("15112"));
    assert_eq!(count(a, "notes", i), Some(1));
    assert_eq!(count(a, "escalations", i), Some(0));
    assert_eq!(flag(a, "paged", i), Some(true));
    assert_eq!(list(a, "responders", i).unwrap(), ["jdoe"]);
    assert!(text(a, "labels", i)
        .unwrap()
        .contains(r#""instance":"db-07""#));
    // 1245500: closed by user 8 (asmith, named by an acknowledgement of
    // theirs, action 5 = close + message: not an ack); its only message
    // failed (status 2): not paged.
    let i = row(a, "alert_id", "1245500");
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2024-07-31T10:10:00Z")
    );
    assert_eq!(text(a, "resolved_by", i).as_deref(), Some("asmith"));
    assert_eq!(flag(a, "auto_resolved", i), Some(false));
    assert_eq!(time(a, "acknowledged_at", i), None);
    assert_eq!(text(a, "severity", i).as_deref(), Some("warning"));
    assert_eq!(flag(a, "paged", i), Some(false));
    // 1245600: Disaster → critical, open; messages at steps 1 and 2 (a
    // command alert is no message): escalated once, both reached.
    let i = row(a, "alert_id", "1245600");
    assert_eq!(text(a, "severity", i).as_deref(), Some("critical"));
    assert_eq!(time(a, "resolved_at", i), None);
    assert_eq!(count(a, "escalations", i), Some(1));
    assert_eq!(list(a, "responders", i).unwrap(), ["jdoe", "oncall-lead"]);
    // 1245700: its recovery event is not in the file: left open.
    let i = row(a, "alert_id", "1245700");
    assert_eq!(time(a, "resolved_at", i), None);
}

#[test]
fn zabbix_problem_get_pages_and_a_json_rpc_error() {
    let b = ingest(&[fixture("zabbix/problem-get.json")], "");
    let a = &b.alerts;
    assert_eq!((a.height(), b.rejects.len()), (2, 1));
    assert!(
        b.rejects[0].reason.contains("JSON-RPC error"),
        "{:?}",
        b.rejects[0]
    );
    assert!(
        b.rejects[0].reason.contains("Invalid params."),
        "{:?}",
        b.rejects[0]
    );
    // 900: resolved at r_clock; acknowledged by "ops" (5.2's `alias`);
    // Average with no alerts: under [paging] zabbix_min_severity (4).
    let i = row(a, "alert_id", "900");
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2024-08-01T08:18:20Z")
    );
    assert_eq!(text(a, "acknowledged_by", i).as_deref(), Some("ops"));
    assert_eq!(
        time(a, "acknowledged_at", i).as_deref(),
        Some("2024-08-01T08:15:00Z")
    );
    assert_eq!(flag(a, "paged", i), Some(false));
    assert_eq!(text(a, "service", i).as_deref(), Some("web"));
    // 902: High, open, ns kept.
    let i = row(a, "alert_id", "902");
    assert_eq!(
        time(a, "triggered_at", i).as_deref(),
        Some("2024-08-01T08:30:00.500Z")
    );
    assert_eq!(flag(a, "paged", i), Some(true));
    assert_eq!(time(a, "resolved_at", i), None);
    // The paging threshold is the config's.
    let b = ingest(
        &[fixture("zabbix/problem-get.json")],
        "[paging]\nzabbix_min_severity = 3\n",
    );
    assert_eq!(
        flag(&b.alerts, "paged", row(&b.alerts, "alert_id", "900")),
        Some(true)
    );
}

#[test]
fn jsm_alerts_read_like_opsgenie_with_absolute_times() {
    let b = ingest(&[fixture("jsm/alerts-pages.json")], "");
    assert_eq!(b.inputs[0].format, "jsm");
    let a = &b.alerts;
    assert_eq!((a.height(), b.rejects.len()), (3, 0));
    // The doc's alert: ackTime and closeTime are instants here (Opsgenie:
    // milliseconds after creation); P2 → error, paged (P1–P3); its team
    // from the tag; count 4; alias as the dedup key.
    let i = row(
        a,
        "alert_id",
        "bf415f36-5c1e-4a7b-9d0f-2f6d1c9b8e21-1773529871485",
    );
    assert_eq!(text(a, "source", i).as_deref(), Some("jsm"));
    assert_eq!(
        time(a, "acknowledged_at", i).as_deref(),
        Some("2026-03-14T23:14:40.020Z")
    );
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2026-03-14T23:42:15.275Z")
    );
    assert_eq!(text(a, "severity", i).as_deref(), Some("error"));
    assert_eq!(flag(a, "paged", i), Some(true));
    assert_eq!(text(a, "team", i).as_deref(), Some("payments"));
    assert_eq!(count(a, "repeat_count", i), Some(4));
    assert!(text(a, "labels", i)
        .unwrap()
        .contains(r#""integration":"SRE-prometheus""#));
    // Open, P4: not paged, no resolve.
    let i = row(
        a,
        "alert_id",
        "0a1b2c3d-0000-4000-8000-000000000001-1773600000000",
    );
    assert_eq!(time(a, "resolved_at", i), None);
    assert_eq!(flag(a, "paged", i), Some(false));
    assert_eq!(text(a, "service", i).as_deref(), Some("postgres"));
    // One GET /v1/alerts/{id}: `report` names a person who closed it; the
    // service from extraProperties.
    let i = row(
        a,
        "alert_id",
        "77aa77aa-1111-4111-8111-111111111111-1773700000000",
    );
    assert_eq!(flag(a, "auto_resolved", i), Some(false));
    assert_eq!(
        text(a, "resolved_by", i).as_deref(),
        Some("jane.doe@example.com")
    );
    assert_eq!(text(a, "service", i).as_deref(), Some("checkout-api"));
    assert_eq!(
        time(a, "acknowledged_at", i).as_deref(),
        Some("2026-03-16T10:03:00Z")
    );
}

#[test]
fn grafana_alerting_state_history_both_backends() {
    let b = ingest(&[fixture("grafana-alerting/state-history.json")], "");
    assert_eq!(b.inputs[0].format, "grafana-alerting");
    let a = &b.alerts;
    assert_eq!((a.height(), b.rejects.len()), (4, 0));
    // Loki: Pending → Alerting 09:01, → Normal 09:24: one alert, resolved
    // by Grafana; severity from its label; team from its label.
    let i = row(
        a,
        "alert_id",
        "bdk2x9w1c7e2oa:c6eadffa33fcdf37:1714640460000",
    );
    assert_eq!(text(a, "title", i).as_deref(), Some("Checkout CPU"));
    assert_eq!(
        time(a, "triggered_at", i).as_deref(),
        Some("2024-05-02T09:01:00Z")
    );
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2024-05-02T09:24:00Z")
    );
    assert_eq!(flag(a, "auto_resolved", i), Some(true));
    assert_eq!(text(a, "severity", i).as_deref(), Some("critical"));
    assert_eq!(text(a, "team", i).as_deref(), Some("payments"));
    assert_eq!(
        text(a, "dedup_key", i).as_deref(),
        Some("bdk2x9w1c7e2oa:c6eadffa33fcdf37")
    );
    assert_eq!(flag(a, "paged", i), Some(true));
    // Another instance closed by a pause: an admin, not Grafana; no
    // severity label: error.
    let i = row(
        a,
        "alert_id",
        "bdk2x9w1c7e2oa:aaaa000000000001:1714642000000",
    );
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2024-05-02T09:36:40Z")
    );
    assert_eq!(flag(a, "auto_resolved", i), Some(false));
    assert_eq!(text(a, "severity", i).as_deref(), Some("error"));
    // Alerting (NoData) with no close: open.
    let i = row(a, "alert_id", "q9:bbbb000000000002:1714643000000");
    assert_eq!(time(a, "resolved_at", i), None);
    // Annotations: the rule's UID from the field labels, title and labels
    // from the text; the second time written ×1000 (µs), read by size.
    let i = row(
        a,
        "alert_id",
        "ann-rule:instance=db-1, severity=warning:1714650000000",
    );
    assert_eq!(text(a, "title", i).as_deref(), Some("Disk full"));
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2024-05-02T11:50:00Z")
    );
    assert_eq!(text(a, "severity", i).as_deref(), Some("warning"));
    assert_eq!(flag(a, "auto_resolved", i), Some(true));
}

/// The newer vendors' exports cut anywhere (a truncated download) read
/// what is before the cut or fail with a message: no panic, never nothing
/// in silence.
#[test]
fn newer_vendor_files_cut_anywhere_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    for file in NEWER_VENDOR_JSON {
        // The fixture folder is the format's name.
        let format = file.split('/').next().unwrap_or_default();
        let bytes = std::fs::read(fixture(file)).unwrap();
        let cut = dir.path().join("cut.json");
        for at in (1..bytes.len()).step_by(17) {
            std::fs::write(&cut, &bytes[..at]).unwrap();
            let forced = alertsift::ingest::Format::named(format);
            match crate::util::try_ingest(std::slice::from_ref(&cut), "", forced) {
                Ok(b) => assert!(
                    b.alerts.height() + b.rejects.len() > 0
                        || b.inputs[0].notes.iter().any(|n| n.contains("no records")),
                    "{file} cut at {at}: read as nothing, silently"
                ),
                Err(e) => assert!(!e.to_string().is_empty()),
            }
        }
    }
}

#[test]
fn elastic_alerts_as_data_flat_nested_and_fields() {
    let b = ingest(&[fixture("elastic/search-response.json")], "");
    assert_eq!(b.inputs[0].format, "elastic");
    let a = &b.alerts;
    assert_eq!((a.height(), b.rejects.len()), (4, 0));
    // The doc's o11y alert: recovered → ended by the rule; the action group
    // was `fired` → error; team from the tag; host as instance.
    let i = row(a, "alert_id", "4b7c2a1e-5b0e-4d43-9a55-3c2f0f0e8d11");
    assert_eq!(
        time(a, "triggered_at", i).as_deref(),
        Some("2024-05-02T09:51:00.100Z")
    );
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2024-05-02T10:14:00.512Z")
    );
    assert_eq!(flag(a, "auto_resolved", i), Some(true));
    assert_eq!(text(a, "severity", i).as_deref(), Some("error"));
    assert_eq!(text(a, "team", i).as_deref(), Some("payments"));
    assert_eq!(
        text(a, "dedup_key", i).as_deref(),
        Some("0cc8ed92-cbe6-42bd-800b-19ba5134ffd2/checkout-7f9c")
    );
    assert!(text(a, "labels", i)
        .unwrap()
        .contains(r#""instance":"checkout-7f9c""#));
    // Security: nested `event` and `host` beside a flat `event.kind`;
    // original_time; closed by its workflow user; high → error.
    let i = row(
        a,
        "alert_id",
        "9f8e7d6c5b4a39281716f5e4d3c2b1a09f8e7d6c5b4a39281716f5e4d3c2b1a0",
    );
    assert_eq!(
        time(a, "triggered_at", i).as_deref(),
        Some("2026-04-12T08:00:00Z")
    );
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2026-04-12T09:30:00Z")
    );
    assert_eq!(text(a, "resolved_by", i).as_deref(), Some("u_mGBR_0"));
    assert_eq!(flag(a, "auto_resolved", i), Some(false));
    assert_eq!(text(a, "severity", i).as_deref(), Some("error"));
    assert!(text(a, "labels", i)
        .unwrap()
        .contains(r#""instance":"DC02""#));
    // Nested kibana object: acknowledged by its workflow user; warning from
    // the action group; ECS service.name (nested) as the service.
    let i = row(a, "alert_id", "n-1");
    assert_eq!(
        time(a, "acknowledged_at", i).as_deref(),
        Some("2024-06-01T12:04:00Z")
    );
    assert_eq!(text(a, "acknowledged_by", i).as_deref(), Some("u_ops_1"));
    assert_eq!(text(a, "severity", i).as_deref(), Some("warning"));
    assert_eq!(text(a, "service", i).as_deref(), Some("postgres"));
    assert_eq!(text(a, "title", i).as_deref(), Some("Disk nearly full"));
    assert_eq!(time(a, "resolved_at", i), None);
    // `fields` (every value an array).
    let i = row(a, "alert_id", "f-1");
    assert_eq!(text(a, "title", i).as_deref(), Some("Queue backlog"));
    assert_eq!(text(a, "severity", i).as_deref(), Some("critical"));
}

#[test]
fn elastic_ndjson_untracked_and_a_reject() {
    let b = ingest(&[fixture("elastic/alerts.ndjson")], "");
    let a = &b.alerts;
    assert_eq!((a.height(), b.rejects.len()), (1, 1));
    assert!(
        b.rejects[0].reason.contains("no kibana.alert.start"),
        "{:?}",
        b.rejects[0]
    );
    // Untracked: ended, by no one known; SLO burn rate `alert` → critical.
    let i = row(a, "alert_id", "l-1");
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2024-07-01T10:20:00Z")
    );
    assert_eq!(flag(a, "auto_resolved", i), None);
    assert_eq!(text(a, "severity", i).as_deref(), Some("critical"));
}

#[test]
fn newrelic_nerdgraph_issues_pages_and_an_error() {
    let b = ingest(&[fixture("newrelic/nerdgraph-issues.json")], "");
    assert_eq!(b.inputs[0].format, "newrelic");
    let a = &b.alerts;
    assert_eq!((a.height(), b.rejects.len()), (3, 1));
    assert!(
        b.rejects[0].reason.contains("Rate limit exceeded"),
        "{:?}",
        b.rejects[0]
    );
    // The doc's issue: closed with no closedBy → by New Relic; acknowledged
    // by jane; activated, not muted → paged; CRITICAL → critical.
    let i = row(a, "alert_id", "bda33b52-c70b-47b9-abe3-9e859a394037");
    assert_eq!(
        time(a, "triggered_at", i).as_deref(),
        Some("2024-05-02T09:00:00.112Z")
    );
    assert_eq!(
        time(a, "acknowledged_at", i).as_deref(),
        Some("2024-05-02T09:05:02.331Z")
    );
    assert_eq!(
        text(a, "acknowledged_by", i).as_deref(),
        Some("jane.doe@example.com")
    );
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2024-05-02T09:24:00.500Z")
    );
    assert_eq!(flag(a, "auto_resolved", i), Some(true));
    assert_eq!(flag(a, "paged", i), Some(true));
    assert_eq!(text(a, "severity", i).as_deref(), Some("critical"));
    assert_eq!(
        text(a, "service", i).as_deref(),
        Some("checkout-api (prod)")
    );
    assert_eq!(
        text(a, "title", i).as_deref(),
        Some("checkout-api query result is > 5.0 for 5 minutes on 'Checkout 5xx ratio'")
    );
    // CREATED (still in its grace period) and fully muted: not paged; its
    // createdAt as text; LOW → info; 3 incidents.
    let i = row(a, "alert_id", "c0ffee00-0000-4000-8000-000000000002");
    assert_eq!(flag(a, "paged", i), Some(false));
    assert_eq!(
        time(a, "triggered_at", i).as_deref(),
        Some("2024-05-02T11:40:00Z")
    );
    assert_eq!(text(a, "severity", i).as_deref(), Some("info"));
    assert_eq!(count(a, "repeat_count", i), Some(3));
    // Closed by a person.
    let i = row(a, "alert_id", "c0ffee00-0000-4000-8000-000000000003");
    assert_eq!(flag(a, "auto_resolved", i), Some(false));
    assert_eq!(
        text(a, "resolved_by", i).as_deref(),
        Some("ops@example.com")
    );
    assert_eq!(text(a, "severity", i).as_deref(), Some("error"));
}

#[test]
fn newrelic_nrql_open_close_pairs_and_rest_violations() {
    let b = ingest(&[fixture("newrelic/nrql-incidents.json")], "");
    let a = &b.alerts;
    // Two open/close pairs (casings `open` and `Open`); a close of 400
    // with no open: noted, left out.
    assert_eq!((a.height(), b.rejects.len()), (2, 0));
    let notes = b.inputs[0].notes.join("\n");
    assert!(
        notes.contains("1 NRQL close row(s) whose open row is not in the file"),
        "{notes}"
    );
    let i = row(a, "alert_id", "512993442");
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2024-05-02T09:24:00.500Z")
    );
    assert_eq!(flag(a, "auto_resolved", i), Some(true));
    assert_eq!(text(a, "team", i).as_deref(), Some("payments"));
    assert!(text(a, "labels", i)
        .unwrap()
        .contains("runbooks.example.com/checkout-5xx"));
    let i = row(a, "alert_id", "512993500");
    assert_eq!(flag(a, "auto_resolved", i), Some(false));
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2024-05-02T11:55:00Z")
    );
    assert_eq!(text(a, "severity", i).as_deref(), Some("warning"));
    assert_eq!(text(a, "service", i).as_deref(), Some("search"));

    let b = ingest(&[fixture("newrelic/rest-violations.json")], "");
    let a = &b.alerts;
    assert_eq!(a.height(), 1);
    assert_eq!(text(a, "alert_id", 0).as_deref(), Some("723398221"));
    assert_eq!(
        text(a, "title", 0).as_deref(),
        Some("Error percentage > 5.0%")
    );
    assert_eq!(text(a, "severity", 0).as_deref(), Some("critical"));
    assert_eq!(
        time(a, "resolved_at", 0).as_deref(),
        Some("2024-05-02T09:24:00Z")
    );
    assert_eq!(text(a, "dedup_key", 0).as_deref(), Some("1284850,3216664"));
}

#[test]
fn jira_issue_csv_export_as_incidents() {
    let zone = "[sources.jira]\ntimezone = \"Europe/Berlin\"\n";
    let b = ingest(&[fixture("jira/incidents.csv")], zone);
    assert_eq!(b.inputs[0].format, "jira-csv");
    let i = &b.incidents;
    assert_eq!((i.height(), b.rejects.len()), (3, 1));
    assert!(
        b.rejects[0].reason.contains("not a Jira date"),
        "{:?}",
        b.rejects[0]
    );
    // 14/Jul/25 3:42 PM in Berlin (CEST, +2) is 13:42 UTC; Highest →
    // critical; the first Components value as the service.
    let r = row(i, "incident_id", "INC-812");
    assert_eq!(
        time(i, "started_at", r).as_deref(),
        Some("2025-07-14T13:42:00Z")
    );
    assert_eq!(
        time(i, "resolved_at", r).as_deref(),
        Some("2025-07-14T14:58:00Z")
    );
    assert_eq!(text(i, "severity", r).as_deref(), Some("critical"));
    assert_eq!(text(i, "service", r).as_deref(), Some("checkout-api"));
    assert_eq!(text(i, "status", r).as_deref(), Some("Closed"));
    // A German month (Okt) and a padded hour; open; High → error.
    let r = row(i, "incident_id", "INC-813");
    assert_eq!(
        time(i, "started_at", r).as_deref(),
        Some("2025-10-03T07:15:00Z")
    );
    assert_eq!(time(i, "resolved_at", r), None);
    assert_eq!(text(i, "severity", r).as_deref(), Some("error"));
    // A four-digit year in winter (CET, +1).
    let r = row(i, "incident_id", "INC-814");
    assert_eq!(
        time(i, "started_at", r).as_deref(),
        Some("2025-12-11T14:26:00Z")
    );
    assert_eq!(text(i, "severity", r).as_deref(), Some("warning"));
    // Without a zone the read stops and says which key to set.
    let err = crate::util::try_ingest(&[fixture("jira/incidents.csv")], "", None)
        .err()
        .expect("naive Jira dates need a zone");
    assert!(err.to_string().contains("[sources.jira]"), "{err}");
}

/// Events API v1, two pages appended (most recent first, the page boundary
/// repeating one event): one alert per monitor alert cycle. Worked out
/// from the file: monitor 1867792 on host:i-0a12b3c4 triggers at 10:00:00
/// (1772445600), re-triggers at 10:30 and recovers at 11:00 — one alert,
/// its id the trigger's `id_str` (the numeric `id` has lost its digits),
/// repeated twice, paged by `@pagerduty-Storage`; the same monitor on
/// host:i-0b99 warns at 10:10 through Slack only (not paged, still open);
/// the test notification, the deploy event and a recovery of host:i-0zz
/// whose trigger is not in the file are left out, each noted.
#[test]
fn datadog_events_v1_alert_cycles() {
    let b = ingest(&[fixture("datadog/events-v1.json")], "");
    assert_eq!(b.inputs[0].format, "datadog");
    let a = &b.alerts;
    assert_eq!((a.height(), b.rejects.len()), (2, 0));
    assert_eq!(b.inputs[0].records, 8);
    let i = row(a, "alert_id", "7025502259105342001");
    assert_eq!(
        text(a, "title", i).as_deref(),
        Some("Node filesystem used > 90%")
    );
    assert_eq!(
        time(a, "triggered_at", i).as_deref(),
        Some("2026-03-02T10:00:00Z")
    );
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2026-03-02T11:00:00Z")
    );
    assert_eq!(flag(a, "auto_resolved", i), Some(true));
    assert_eq!(count(a, "repeat_count", i), Some(2));
    assert_eq!(flag(a, "paged", i), Some(true));
    assert_eq!(
        list(a, "responders", i),
        Some(vec!["@pagerduty-Storage".to_string()])
    );
    assert_eq!(text(a, "severity", i).as_deref(), Some("error"));
    assert_eq!(text(a, "team", i).as_deref(), Some("storage"));
    assert_eq!(text(a, "service", i).as_deref(), Some("nfs"));
    assert_eq!(
        text(a, "dedup_key", i).as_deref(),
        Some("1867792|host:i-0a12b3c4")
    );
    let l = labels(a, i);
    assert!(
        l.contains(&("scope".into(), "host:i-0a12b3c4".into())),
        "{l:?}"
    );
    assert!(l.contains(&("priority".into(), "P2".into())), "{l:?}");
    assert!(!l.iter().any(|(k, _)| k == "monitor"), "{l:?}");
    let i = row(a, "alert_id", "7025502259105342050");
    assert_eq!(flag(a, "paged", i), Some(false));
    assert_eq!(text(a, "severity", i).as_deref(), Some("warning"));
    assert_eq!(time(a, "resolved_at", i), None);
    let notes = b.inputs[0].notes.join("\n");
    for want in [
        "1 event(s) that are not monitor alerts",
        "1 test notification(s)",
        "1 event(s) seen twice",
        "1 recovery event(s) whose trigger is not in the file",
    ] {
        assert!(notes.contains(want), "{want}: {notes}");
    }
}

/// Events API v2: the two levels of `attributes`, the inner timestamp in
/// ms, the cycle by `alert_cycle_key_txt` and `monitor.transition`, the
/// monitor priority 1 → critical, `@opsgenie-` pages; an event with only
/// the outer ISO timestamp and a priority "3" (warning) notifying no one;
/// the Synthetics event left out; `meta.warnings` noted; the empty last
/// page read as nothing more.
#[test]
fn datadog_events_v2_two_level_attributes() {
    let b = ingest(&[fixture("datadog/events-v2.json")], "");
    let a = &b.alerts;
    assert_eq!((a.height(), b.rejects.len()), (2, 0));
    let i = row(a, "alert_id", "6567977596797486001");
    assert_eq!(text(a, "title", i).as_deref(), Some("Checkout error logs"));
    assert_eq!(
        time(a, "triggered_at", i).as_deref(),
        Some("2026-03-02T12:00:00Z")
    );
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2026-03-02T12:25:00Z")
    );
    assert_eq!(text(a, "severity", i).as_deref(), Some("critical"));
    assert_eq!(flag(a, "paged", i), Some(true));
    assert_eq!(text(a, "team", i).as_deref(), Some("payments"));
    assert_eq!(text(a, "service", i).as_deref(), Some("checkout-api"));
    let i = row(a, "alert_id", "6567977596797486101");
    assert_eq!(
        time(a, "triggered_at", i).as_deref(),
        Some("2026-03-02T13:00:00Z")
    );
    assert_eq!(text(a, "title", i).as_deref(), Some("CPU high"));
    assert_eq!(text(a, "severity", i).as_deref(), Some("warning"));
    assert_eq!(flag(a, "paged", i), Some(false));
    assert_eq!(text(a, "team", i).as_deref(), Some("search"));
    let notes = b.inputs[0].notes.join("\n");
    assert!(notes.contains("results are partial"), "{notes}");
    assert!(
        notes.contains("1 event(s) that are not monitor alerts"),
        "{notes}"
    );
}

/// Logged webhook deliveries: the common custom payload (transition and
/// cycle key fields, numbers as text, an empty priority, tags as one comma
/// string, a retried delivery) and the default payload (the transition
/// only in the title). Dec 11 2024 15:15:33 UTC is 1733930133000 ms.
#[test]
fn datadog_webhook_deliveries() {
    let b = ingest(&[fixture("datadog/webhooks.jsonl")], "");
    assert_eq!(b.inputs[0].format, "datadog");
    let a = &b.alerts;
    assert_eq!((a.height(), b.rejects.len()), (2, 0));
    let i = row(a, "alert_id", "7879709198622396010");
    assert_eq!(
        time(a, "triggered_at", i).as_deref(),
        Some("2024-12-11T15:15:33Z")
    );
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2024-12-11T15:45:33Z")
    );
    assert_eq!(count(a, "repeat_count", i), Some(2));
    assert_eq!(text(a, "severity", i).as_deref(), Some("error"));
    assert_eq!(text(a, "team", i).as_deref(), Some("payments"));
    assert_eq!(
        list(a, "responders", i),
        Some(vec!["@pagerduty-Checkout".to_string()])
    );
    assert_eq!(
        text(a, "dedup_key", i).as_deref(),
        Some("160076582|service:checkout-api")
    );
    let i = row(a, "alert_id", "7879709198622396100");
    assert_eq!(text(a, "title", i).as_deref(), Some("CPU above 90%"));
    assert_eq!(text(a, "severity", i).as_deref(), Some("critical"));
    assert_eq!(flag(a, "paged", i), Some(true));
    assert_eq!(
        time(a, "triggered_at", i).as_deref(),
        Some("2024-12-11T15:46:40Z")
    );
    assert_eq!(time(a, "resolved_at", i), None);
    // The paging handles are configurable: with only `@webhook-`, the
    // default payload's `@oncall-platform` pages no one.
    let b = ingest(
        &[fixture("datadog/webhooks.jsonl")],
        "[paging]\ndatadog_handles = [\"@webhook-\"]\n",
    );
    let a = &b.alerts;
    assert_eq!(
        flag(a, "paged", row(a, "alert_id", "7879709198622396100")),
        Some(false)
    );
    assert_eq!(
        flag(a, "paged", row(a, "alert_id", "7879709198622396010")),
        Some(true)
    );
}

/// Alert cycles do not depend on the order of the file: a demo webhook
/// log (in time order within each cycle, folded as it is read) and the same
/// lines newest first with 40 of them delivered again at the end (read the
/// exact way: every event put in time order) give the same alerts, each
/// the demo's own (truth.csv: id, trigger and resolution), the repeated
/// deliveries counted once. A delivery retried right after itself is
/// counted once on the fast path too.
#[test]
fn datadog_cycles_whatever_the_file_order() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    run_demo(
        dir.path(),
        &demo,
        &[
            "--alerts", "1500", "--weeks", "3", "--only", "datadog", "--quiet",
        ],
    );
    let log = std::fs::read_to_string(demo.join("datadog-webhooks.jsonl")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    let truth: Vec<_> = truth_rows(&demo)
        .into_iter()
        .filter(|r| r["source"] == "datadog")
        .collect();
    assert!(truth.len() > 1000, "{}", truth.len());

    let sorted = |b: &Batch| {
        let a = b
            .alerts
            .drop("ingested_at")
            .unwrap_or_else(|_| b.alerts.clone());
        a.sort(["alert_id"], Default::default()).unwrap()
    };
    let in_order = ingest(&[demo.join("datadog-webhooks.jsonl")], "");
    let a = sorted(&in_order);
    assert_eq!(a.height(), truth.len());
    for t in &truth {
        let i = row(&a, "alert_id", &t["alert_id"]);
        assert_eq!(
            time(&a, "triggered_at", i).as_deref(),
            Some(t["triggered_at"].as_str())
        );
        let resolved = (!t["resolved_at"].is_empty()).then(|| t["resolved_at"].clone());
        assert_eq!(time(&a, "resolved_at", i), resolved, "{}", t["alert_id"]);
    }
    assert!(
        !in_order.inputs[0]
            .notes
            .iter()
            .any(|n| n.contains("seen twice")),
        "{:?}",
        in_order.inputs[0].notes
    );

    let mut shuffled: Vec<&str> = lines.iter().rev().copied().collect();
    shuffled.extend(lines.iter().step_by(lines.len() / 40).take(40));
    let back = dir.path().join("newest-first.jsonl");
    std::fs::write(&back, shuffled.join("\n")).unwrap();
    let b = ingest(&[back], "");
    assert_eq!(sorted(&b), a);
    assert!(
        b.inputs[0]
            .notes
            .iter()
            .any(|n| n.starts_with("40 event(s) seen twice")),
        "{:?}",
        b.inputs[0].notes
    );

    let mut retried: Vec<&str> = lines.clone();
    retried.insert(1, lines[0]);
    let again = dir.path().join("retried.jsonl");
    std::fs::write(&again, retried.join("\n")).unwrap();
    let b = ingest(&[again], "");
    assert_eq!(sorted(&b), a);
    assert!(
        b.inputs[0]
            .notes
            .iter()
            .any(|n| n.starts_with("1 event(s) seen twice")),
        "{:?}",
        b.inputs[0].notes
    );
}

/// Incident Management: `public_id` as the id, started at `detected`
/// (else `declared`), SEV-2 → error, SEV-1 → critical, UNKNOWN → none,
/// service and team from `fields`; the test incident left out (noted).
#[test]
fn datadog_incident_management() {
    let b = ingest(&[fixture("datadog/incidents.json")], "");
    let inc = &b.incidents;
    assert_eq!((inc.height(), b.rejects.len()), (3, 0));
    assert_eq!(b.inputs[0].records, 4);
    let i = row(inc, "incident_id", "4242");
    assert_eq!(
        time(inc, "started_at", i).as_deref(),
        Some("2026-02-13T20:31:00Z")
    );
    assert_eq!(
        time(inc, "resolved_at", i).as_deref(),
        Some("2026-02-13T21:44:02.101900Z")
    );
    assert_eq!(text(inc, "severity", i).as_deref(), Some("error"));
    assert_eq!(text(inc, "service", i).as_deref(), Some("checkout-api"));
    assert_eq!(text(inc, "team", i).as_deref(), Some("payments"));
    let i = row(inc, "incident_id", "4243");
    assert_eq!(
        time(inc, "started_at", i).as_deref(),
        Some("2026-02-14T08:05:00Z")
    );
    assert_eq!(time(inc, "resolved_at", i), None);
    assert_eq!(text(inc, "severity", i).as_deref(), Some("critical"));
    let i = row(inc, "incident_id", "4245");
    assert_eq!(text(inc, "severity", i), None);
    assert_eq!(text(inc, "service", i), None);
    assert!(b.inputs[0].notes.join("\n").contains("1 test incident(s)"));
}

/// What is not an alert history is refused by name: a monitor definition
/// list, a file of events none of which is a monitor alert.
#[test]
fn datadog_files_that_are_not_alert_histories() {
    let dir = tempfile::tempdir().unwrap();
    let monitors = dir.path().join("monitors.json");
    std::fs::write(
        &monitors,
        r#"[{"id":1,"name":"CPU","type":"metric alert","query":"avg(last_5m):avg:system.cpu.user{*} > 90","overall_state":"OK","options":{}}]"#,
    )
    .unwrap();
    let e = crate::util::ingest_error(&[monitors], "");
    assert!(e.to_string().contains("monitor definition list"), "{e}");
    let synthetics = dir.path().join("events.json");
    std::fs::write(
        &synthetics,
        r#"{"data":[{"id":"x","type":"event","attributes":{"attributes":{"status":"info","title":"[Synthetics] test","timestamp":1655744852000,"aggregation_key":"adip","evt":{"id":"1","type":"api"}},"tags":[],"timestamp":"2022-06-20T17:07:32Z"}}]}"#,
    )
    .unwrap();
    let e = crate::util::ingest_error(&[synthetics], "");
    assert!(e.to_string().contains("none a monitor alert"), "{e}");
}

/// Grafana Alerting's webhook contact point payloads, logged one per line:
/// a firing payload and its resolution fold into one occurrence (its
/// `startsAt` 11:51:00.100425+02:00 is 09:51:00.100425Z, resolved at
/// 12:14:00.512+02:00 = 10:14:00.512Z), titled by its summary; a
/// `DatasourceNoData` alert with no summary is titled by its `rulename`
/// and still firing (`endsAt` 0001-01-01). Read as `grafana-alerting`, not
/// as Alertmanager, and paged by `[paging] grafana_alerting`.
#[test]
fn grafana_alerting_webhook_payloads() {
    let b = ingest(&[fixture("grafana-alerting/webhooks.jsonl")], "");
    assert_eq!(b.inputs[0].format, "grafana-alerting");
    let a = &b.alerts;
    assert_eq!((a.height(), b.rejects.len()), (2, 0));
    let i = row(
        a,
        "alert_id",
        "c6eadffa33fcdf37@2024-05-02T09:51:00.100425Z",
    );
    assert_eq!(text(a, "source", i).as_deref(), Some("grafana_alerting"));
    assert_eq!(
        text(a, "title", i).as_deref(),
        Some("CPU > 90% on checkout-7f9c")
    );
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2024-05-02T10:14:00.512Z")
    );
    assert_eq!(text(a, "team", i).as_deref(), Some("payments"));
    assert_eq!(text(a, "severity", i).as_deref(), Some("critical"));
    assert_eq!(flag(a, "paged", i), Some(true));
    let i = row(a, "alert_id", "0123456789abcdef@2024-05-02T11:00:00Z");
    assert_eq!(text(a, "title", i).as_deref(), Some("Queue depth"));
    assert_eq!(time(a, "resolved_at", i), None);
    assert_eq!(text(a, "team", i).as_deref(), Some("data"));
    let notes = b.inputs[0].notes.join("\n");
    assert!(!notes.contains("versions seen"), "{notes}");
    let b = ingest(
        &[fixture("grafana-alerting/webhooks.jsonl")],
        "[paging]\ngrafana_alerting = false\n",
    );
    assert!((0..2).all(|i| flag(&b.alerts, "paged", i) == Some(false)));
}

/// Zabbix `event.get` in either order: a problem waits for a recovery
/// event that comes after it, and finds one already read (a descending
/// export). 1722418242 is 2024-07-31T09:30:42Z, the recovery 1722419085
/// 09:44:45Z; a problem whose recovery is in neither place stays open
/// (noted).
#[test]
fn zabbix_recoveries_before_or_after_their_problems() {
    let problem = r#"{"eventid":"11","source":"0","object":"0","objectid":"7","clock":"1722418242","value":"1","r_eventid":"12","userid":"0","name":"Disk full on db-1","severity":"4"}"#;
    let recovery = r#"{"eventid":"12","source":"0","object":"0","objectid":"7","clock":"1722419085","value":"0","r_eventid":"0","severity":"0"}"#;
    let lost = r#"{"eventid":"21","source":"0","object":"0","objectid":"8","clock":"1722418300","value":"1","r_eventid":"99","userid":"0","name":"CPU high on web-2","severity":"2"}"#;
    let dir = tempfile::tempdir().unwrap();
    for (name, order) in [
        ("asc.json", [problem, recovery, lost]),
        ("desc.json", [lost, recovery, problem]),
    ] {
        let path = dir.path().join(name);
        std::fs::write(
            &path,
            format!(
                r#"{{"jsonrpc":"2.0","result":[{}],"id":1}}"#,
                order.join(",")
            ),
        )
        .unwrap();
        let b = ingest(&[path], "");
        assert_eq!(b.inputs[0].format, "zabbix");
        let a = &b.alerts;
        assert_eq!(a.height(), 2, "{name}");
        let i = row(a, "alert_id", "11");
        assert_eq!(
            time(a, "resolved_at", i).as_deref(),
            Some("2024-07-31T09:44:45Z"),
            "{name}"
        );
        assert_eq!(flag(a, "auto_resolved", i), Some(true));
        assert_eq!(time(a, "resolved_at", row(a, "alert_id", "21")), None);
        let notes = b.inputs[0].notes.join("\n");
        assert!(
            notes.contains("1 problem(s) resolved by a recovery event that is not in the file"),
            "{notes}"
        );
    }
}

/// An adapter that maps on worker threads and pushes rows in order hands
/// them on in slices once there are enough (65,536): 70,001 Elastic
/// documents come out whole, once each, in the file's order.
#[test]
fn streamed_rows_come_out_whole_and_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.ndjson");
    let mut text = String::new();
    for i in 0..70_001u32 {
        text.push_str(&format!(
            "{{\"kibana.alert.uuid\":\"a-{i:06}\",\"kibana.alert.start\":\"2024-07-01T10:00:00.000Z\",\"kibana.alert.status\":\"active\",\"kibana.alert.rule.name\":\"Rule {r}\",\"kibana.alert.rule.uuid\":\"r-{r}\",\"kibana.alert.instance.id\":\"web-{i}\"}}\n",
            r = i % 7
        ));
    }
    std::fs::write(&path, text).unwrap();
    let b = ingest(&[path], "");
    let ids = b.alerts.column("alert_id").unwrap().str().unwrap().clone();
    assert_eq!(ids.len(), 70_001);
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(id, Some(format!("a-{i:06}").as_str()));
    }
}
