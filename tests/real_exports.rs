//! Every file in `../shared/data/real-exports` (recorded API responses,
//! browser downloads and official examples no one here wrote), read in
//! place: each ingests record for record, or fails with its own message.
//! The expected figures were worked out by reading the files themselves
//! (with `python3 -c 'import json, csv; …'`), not from the program.

use alertsift::error::IngestError;

use crate::util::*;

const ZONES: &str = "[sources.servicenow]\ntimezone = \"UTC\"\n";

fn real(rel: &str) -> Option<std::path::PathBuf> {
    shared(&format!("real-exports/{rel}"))
}

#[test]
fn alertmanager_pretty_printed_payload_without_fingerprints() {
    let Some(path) = real("alertmanager/msteams-large-19-alerts.json") else {
        return;
    };
    let b = ingest(&[path], "");
    // One payload (tabs and spaces over many lines) of 19 firing alerts:
    // no per-alert status, no fingerprint, endsAt Go's zero time.
    assert_eq!(b.inputs[0].format, "alertmanager");
    assert_eq!(b.inputs[0].records, 1);
    assert_eq!(b.alerts.height(), 19);
    assert_eq!(b.rejects.len(), 0, "{:?}", b.rejects);
    // The first alert: Alertmanager's own fingerprint of its 12 labels
    // (FNV-1a over sorted `name 0xff value 0xff`, worked out in Python)
    // and its startsAt cut to microseconds.
    let i = row(
        &b.alerts,
        "alert_id",
        "94f3282c5309cc0a@2019-01-09T15:20:40.341301Z",
    );
    assert_eq!(
        text(&b.alerts, "title", i).as_deref(),
        Some("Server is down. `infrastructure002A` - `user3environmentc`")
    );
    assert_eq!(
        text(&b.alerts, "service", i).as_deref(),
        Some("infrastructurevmenvironmentcuser3cne1")
    );
    assert_eq!(time(&b.alerts, "resolved_at", i), None);
    // Two distinct startsAt among the 19.
    let starts = b.alerts.column("triggered_at").unwrap().n_unique().unwrap();
    assert_eq!(starts, 2);
}

#[test]
fn pagerduty_rest_incidents_with_and_without_envelope() {
    let (Some(page), Some(bare)) = (
        real("pagerduty/openapi-example-list-incidents.json"),
        real("pagerduty/faros-incidents-array.json"),
    ) else {
        return;
    };
    let b = ingest(&[page], "");
    // Read as incidents, though they carry `first_trigger_log_entry`.
    assert_eq!(b.inputs[0].format, "pagerduty-rest");
    assert_eq!(b.alerts.height(), 1);
    let a = &b.alerts;
    let i = row(a, "alert_id", "PT4KHLK");
    assert_eq!(
        text(a, "title", i).as_deref(),
        Some("The server is on fire.")
    );
    assert_eq!(
        time(a, "triggered_at", i).as_deref(),
        Some("2015-10-06T21:30:42Z")
    );
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2015-10-06T21:38:23Z")
    );
    assert_eq!(text(a, "service", i).as_deref(), Some("My Mail Service"));
    // Resolved by a user_reference: a person.
    assert_eq!(flag(a, "auto_resolved", i), Some(false));
    assert_eq!(
        text(a, "resolved_by", i).as_deref(),
        Some("Earline Greenholt")
    );

    let b = ingest(&[bare], "");
    assert_eq!(b.inputs[0].format, "pagerduty-rest");
    assert_eq!((b.inputs[0].records, b.alerts.height()), (3, 3));
    let a = &b.alerts;
    let i = row(a, "alert_id", "Q1LAD3450AG7V9");
    assert_eq!(text(a, "service", i).as_deref(), Some("Service2"));
    assert_eq!(
        time(a, "triggered_at", i).as_deref(),
        Some("2021-10-29T05:52:30Z")
    );
    // All three still triggered: open.
    assert_eq!(a.column("resolved_at").unwrap().null_count(), 3);
}

#[test]
fn pagerduty_log_entries_join_their_incidents() {
    let (Some(entries), Some(incidents), Some(bare_entries), Some(bare_incidents)) = (
        real("pagerduty/openapi-example-list-log-entries.json"),
        real("pagerduty/openapi-example-list-incidents.json"),
        real("pagerduty/faros-log-entries-array.json"),
        real("pagerduty/faros-incidents-array.json"),
    ) else {
        return;
    };
    let b = ingest(&[entries.clone(), incidents], "");
    assert_eq!(b.inputs[0].format, "pagerduty-log-entries");
    assert_eq!(b.inputs[0].records, 1);
    assert_eq!(b.alerts.height(), 1);
    assert_eq!(b.rejects.len(), 0);
    // A bare array of three trigger entries, one per incident.
    let b = ingest(&[bare_entries, bare_incidents], "");
    assert_eq!(b.inputs[0].format, "pagerduty-log-entries");
    assert_eq!(b.inputs[0].records, 3);
    assert_eq!(b.alerts.height(), 3);
    assert!(
        b.inputs[0]
            .notes
            .iter()
            .all(|n| !n.contains("matched no incident")),
        "{:?}",
        b.inputs[0].notes
    );
    // Alone, log entries yield nothing: an error that says so.
    let e = ingest_error(&[entries], "");
    assert!(
        matches!(e, IngestError::NothingRead { records: 1, .. }),
        "{e}"
    );
}

#[test]
fn pagerduty_analytics_example() {
    let Some(path) = real("pagerduty/openapi-example-analytics-raw-incidents.json") else {
        return;
    };
    let b = ingest(&[path], "");
    assert_eq!(b.inputs[0].format, "pagerduty-analytics");
    assert_eq!(b.inputs[0].records, 2);
    // PYC0H08: 10:05 to 10:15 in the page's zone, Etc/UTC.
    let a = &b.alerts;
    assert_eq!(a.height(), 1);
    let i = row(a, "alert_id", "PYC0H08");
    assert_eq!(
        time(a, "triggered_at", i).as_deref(),
        Some("2023-05-31T10:05:00Z")
    );
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2023-05-31T10:15:00Z")
    );
    // PCOOHCY was resolved (2023-05-30 10:00:05) before it was created
    // (2023-05-31 10:00): its own reject.
    assert_eq!(b.rejects.len(), 1);
    assert_eq!(b.rejects[0].reason, "resolved_at is before created_at");
    assert!(b.rejects[0].raw.contains("PCOOHCY"));
}

#[test]
fn pagerduty_basic_report_browser_download() {
    let Some(path) = real("pagerduty/basic-report-incidents-export-2014-a.csv") else {
        return;
    };
    let b = ingest(&[path], "");
    assert_eq!(b.inputs[0].format, "pagerduty-csv");
    // 64 rows, every one with its `Resolved On`.
    assert_eq!((b.inputs[0].records, b.alerts.height()), (64, 64));
    assert_eq!(b.rejects.len(), 0, "{:?}", b.rejects.first());
    let a = &b.alerts;
    // `3649,Icinga,2014-02-13 00:11:46 UTC,2014-02-13 00:17:23 UTC,Support Member,6 minutes,0`
    let i = row(a, "alert_id", "3649");
    assert_eq!(text(a, "service", i).as_deref(), Some("Icinga"));
    assert_eq!(
        time(a, "triggered_at", i).as_deref(),
        Some("2014-02-13T00:11:46Z")
    );
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2014-02-13T00:17:23Z")
    );
    assert_eq!(text(a, "resolved_by", i).as_deref(), Some("Support Member"));
    assert_eq!(count(a, "escalations", i), Some(0));
    // The last row has no resolver.
    let i = row(a, "alert_id", "3712");
    assert_eq!(text(a, "resolved_by", i), None);
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2014-02-13T23:37:44Z")
    );
}

#[test]
fn opsgenie_docs_example_and_bare_array() {
    let (Some(page), Some(bare)) = (
        real("opsgenie/stackstorm-list-alerts-docs-example.json"),
        real("opsgenie/faros-alerts-array-docs-derived.json"),
    ) else {
        return;
    };
    let b = ingest(&[page], "");
    assert_eq!(b.inputs[0].format, "opsgenie");
    // Two records with the same id: both read, the repeat noted (the store
    // keeps one).
    assert_eq!(b.inputs[0].records, 2);
    assert_eq!(b.rejects.len(), 0);
    assert!(
        b.inputs[0]
            .notes
            .iter()
            .any(|n| n.starts_with("1 record(s) repeat an alert id")),
        "{:?}",
        b.inputs[0].notes
    );
    let b = ingest(&[bare], "");
    assert_eq!((b.inputs[0].records, b.alerts.height()), (2, 2));
    let a = &b.alerts;
    // The closed one: acknowledged 15,702 ms and closed 60,503 ms after
    // 2017-03-21T20:32:52.353Z.
    let i = row(a, "alert_id", "80413a06-38d6-4c85-92b8-5ebc900d42e2");
    assert_eq!(
        text(a, "title", i).as_deref(),
        Some("Our servers are in danger")
    );
    assert_eq!(
        time(a, "acknowledged_at", i).as_deref(),
        Some("2017-03-21T20:33:08.055Z")
    );
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2017-03-21T20:33:52.856Z")
    );
}

#[test]
fn grafana_oncall_and_incidentio_examples() {
    let (Some(grafana), Some(incidentio)) = (
        real("grafana-oncall/docs-example-alert-groups-list-2024-02.json"),
        real("incidentio/openapi-example-list-incidents-v2.json"),
    ) else {
        return;
    };
    let b = ingest(&[grafana], "");
    assert_eq!(b.inputs[0].format, "grafana-oncall");
    assert_eq!(b.alerts.height(), 1);
    let a = &b.alerts;
    let i = row(a, "alert_id", "I68T24C13IFW1");
    assert_eq!(
        text(a, "title", i).as_deref(),
        Some("Memory above 90% threshold")
    );
    assert_eq!(
        time(a, "triggered_at", i).as_deref(),
        Some("2020-05-19T12:37:01.430444Z")
    );
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2020-05-19T13:37:01.429805Z")
    );

    let b = ingest(&[incidentio], "");
    assert_eq!(b.inputs[0].format, "incidentio");
    assert_eq!(b.incidents.height(), 1);
    let inc = &b.incidents;
    let i = row(inc, "incident_id", "01FDAG4SAP5TYPT98WGR2N7W91");
    assert_eq!(
        text(inc, "title", i).as_deref(),
        Some("Our database is sad")
    );
}

#[test]
fn servicenow_list_view_export_and_uci_log() {
    let (Some(list), Some(uci)) = (
        real("servicenow/incident-list-export-pdi-priya-roy.csv"),
        real("servicenow/uci-incident-event-log-small-rvinicius396g.csv"),
    ) else {
        return;
    };
    let b = ingest(&[list], ZONES);
    assert_eq!(b.inputs[0].format, "servicenow");
    assert_eq!((b.inputs[0].records, b.incidents.height()), (66, 66));
    assert_eq!(b.rejects.len(), 0);
    // Display values: 27 `1 - Critical`, 4 `2 - High`, 12 `3 - Moderate`,
    // 5 `4 - Low`, 18 `5 - Planning`.
    let sev = b
        .incidents
        .column("severity")
        .unwrap()
        .str()
        .unwrap()
        .clone();
    let n = |v: &str| sev.iter().filter(|s| *s == Some(v)).count();
    assert_eq!(n("critical"), 27);
    let i = row(&b.incidents, "incident_id", "INC0010112");
    assert_eq!(
        time(&b.incidents, "started_at", i).as_deref(),
        Some("2019-07-29T11:48:43Z")
    );
    assert_eq!(text(&b.incidents, "team", i), None);

    let b = ingest(&[uci], ZONES);
    // 198 update rows (CRLF) of 32 incidents.
    assert_eq!((b.inputs[0].records, b.incidents.height()), (198, 32));
    assert_eq!(b.rejects.len(), 0);
}

/// The Datadog samples are a monitor definition list (what monitors
/// exist, not when they fired) and recorded API cassettes: each is taken
/// for Datadog and refused with a message that says why (exit 2), never
/// read as nothing or as another vendor's.
#[test]
fn datadog_samples_are_refused_by_name() {
    for (rel, why) in [
        (
            "datadog/monitors-list-90.body.json",
            "monitor definition list",
        ),
        (
            "datadog/events-v2-list-pagination-go-cassette.yaml",
            "cassette",
        ),
        ("datadog/monitors-list-90-go-cassette.yaml", "cassette"),
        ("datadog/monitors-search-go-cassette.yaml", "cassette"),
    ] {
        let Some(path) = real(rel) else {
            return;
        };
        match try_ingest(&[path], "", None) {
            Err(e @ IngestError::Malformed { .. }) => {
                let text = e.to_string();
                assert!(
                    text.contains("(datadog)") && text.contains(why),
                    "{rel}: {text}"
                );
            }
            Err(e) => panic!("{rel}: {e}"),
            Ok(b) => panic!("{rel} read as {}", b.inputs[0].format),
        }
    }
}

#[test]
fn splunk_oncall_reporting_v2_bare_array() {
    let Some(path) = real("splunk-oncall/faros-victorops-incidents.json") else {
        return;
    };
    let b = ingest(&[path], "");
    assert_eq!(b.inputs[0].format, "splunk-oncall");
    let a = &b.alerts;
    // Two incidents (python3 over the file): numbers "1" and "2", both
    // acknowledged by roman.kyrnis, routing key "default", team "Example".
    assert_eq!((a.height(), b.rejects.len()), (2, 0));
    let i = row(a, "alert_id", "1");
    assert_eq!(text(a, "title", i).as_deref(), Some("Faros-test"));
    assert_eq!(
        time(a, "triggered_at", i).as_deref(),
        Some("2021-11-02T16:22:04Z")
    );
    assert_eq!(
        time(a, "acknowledged_at", i).as_deref(),
        Some("2021-11-02T16:38:34Z")
    );
    assert_eq!(
        text(a, "acknowledged_by", i).as_deref(),
        Some("roman.kyrnis")
    );
    assert_eq!(text(a, "team", i).as_deref(), Some("Example"));
    assert_eq!(text(a, "service", i).as_deref(), Some("default"));
    assert_eq!(text(a, "severity", i).as_deref(), Some("critical"));
    assert_eq!(time(a, "resolved_at", i), None);
}

#[test]
fn zabbix_problem_inside_an_elastic_document() {
    let Some(path) = real("zabbix/elastic-integrations-test-problem-pipeline-input.json") else {
        return;
    };
    let b = ingest(&[path], "");
    assert_eq!(b.inputs[0].format, "zabbix");
    let a = &b.alerts;
    // One problem.get row (python3 over the file's `message`): eventid 18,
    // clock 1773485366 (2026-03-14T10:49:26.325592Z with ns 325592520),
    // r_eventid 0 (open), severity 3 (Average → warning), no alerts and
    // under High: not paged.
    assert_eq!((a.height(), b.rejects.len()), (1, 0));
    assert_eq!(text(a, "alert_id", 0).as_deref(), Some("18"));
    assert_eq!(
        text(a, "title", 0).as_deref(),
        Some("Linux: Zabbix agent is not available (for 3m)")
    );
    assert_eq!(
        time(a, "triggered_at", 0).as_deref(),
        Some("2026-03-14T10:49:26.325592Z")
    );
    assert_eq!(time(a, "resolved_at", 0), None);
    assert_eq!(text(a, "severity", 0).as_deref(), Some("warning"));
    assert_eq!(flag(a, "paged", 0), Some(false));
    assert_eq!(text(a, "dedup_key", 0).as_deref(), Some("22391"));
}
