//! The shapes real exports come in, beyond the documented examples: one
//! fixture per variant under `tests/fixtures/variants`, written by hand,
//! each expected value worked out from the fixture itself.

use alertsift::error::IngestError;

use crate::util::*;

fn variant(name: &str) -> std::path::PathBuf {
    fixture(&format!("variants/{name}"))
}

#[test]
fn alertmanager_pretty_documents_fold_across_offsets_and_versions() {
    let b = ingest(&[variant("alertmanager-pretty.json")], "");
    assert_eq!(b.inputs[0].format, "alertmanager");
    // Three pretty-printed payloads (spaces, tabs, spaces), one after
    // another.
    assert_eq!(b.inputs[0].records, 3);
    assert_eq!(b.rejects.len(), 0, "{:?}", b.rejects);
    // `10:00:00.123456789+01:00` is `09:00:00.123456Z`: the same start, and
    // without a fingerprint both payloads get Alertmanager's own of the same
    // labels (in another order), so the resolved one closes the firing one.
    // FNV-1a of the sorted labels, worked out in Python: f993a7c3be12c2fd.
    assert_eq!(b.alerts.height(), 2);
    let a = &b.alerts;
    let i = row(
        a,
        "alert_id",
        "f993a7c3be12c2fd@2024-03-05T09:00:00.123456Z",
    );
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2024-03-05T09:20:00Z")
    );
    assert_eq!(text(a, "title", i).as_deref(), Some("Disk full on db-1"));
    // The third payload, from a release that sent no status per alert, is
    // resolved as a whole: so is its one alert, at its endsAt.
    let i = row(a, "alert_id", "fdbd9e253302af30@2024-03-05T11:00:00Z");
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2024-03-05T11:05:00Z")
    );
    // Webhook versions 0 and 3, as numbers, are read and noted.
    assert!(
        b.inputs[0]
            .notes
            .iter()
            .any(|n| n.contains("versions seen: 0, 3, 4")),
        "{:?}",
        b.inputs[0].notes
    );
}

#[test]
fn alertmanager_array_of_payloads() {
    let b = ingest(&[variant("alertmanager-array.json")], "");
    assert_eq!(b.inputs[0].records, 2);
    assert_eq!(b.alerts.height(), 2);
    row(
        &b.alerts,
        "alert_id",
        "d2c6efc389df0927@2024-03-05T10:00:00Z",
    );
    row(
        &b.alerts,
        "alert_id",
        "d2c2efc389db2050@2024-03-05T11:00:00Z",
    );
}

#[test]
fn single_record_get_responses() {
    let b = ingest(&[variant("pagerduty-single-incident.json")], "");
    assert_eq!(b.inputs[0].format, "pagerduty-rest");
    assert_eq!(b.alerts.height(), 1);
    let a = &b.alerts;
    let i = row(a, "alert_id", "Q0SINGLE1");
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2024-03-05T10:30:00Z")
    );
    assert_eq!(flag(a, "auto_resolved", i), Some(true));

    let b = ingest(&[variant("opsgenie-single-alert.json")], "");
    assert_eq!(b.inputs[0].format, "opsgenie");
    assert_eq!(b.alerts.height(), 1);
    let i = row(&b.alerts, "alert_id", "og-single-1");
    assert_eq!(
        text(&b.alerts, "title", i).as_deref(),
        Some("Disk almost full")
    );
}

#[test]
fn invalid_json_names_its_line_and_column() {
    // The trailing comma after `"createdAt": …,` on line 7; the `}` that
    // follows it stands at line 8, column 5. The record (from line 3) is
    // rejected; it was the file's only one, so the file read as nothing.
    let e = ingest_error(&[variant("opsgenie-trailing-comma.json")], "");
    let message = e.to_string();
    assert!(
        matches!(e, IngestError::AllRejected { count: 1, .. }),
        "{message}"
    );
    assert!(
        message.contains("invalid JSON at line 8 column 5: a trailing comma (line 3)"),
        "{message}"
    );
}

/// A pretty-printed export whose one record has a grammar error inside
/// it (a trailing comma, a missing comma in a nested object): those
/// records are rejected with where and why, and the good ones around them
/// are read.
#[test]
fn a_bad_record_in_a_pretty_printed_array_costs_only_itself() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("opsgenie.json");
    let good = |id: &str, hour: u32| {
        format!(
            "    {{\n      \"id\": \"{id}\",\n      \"tinyId\": \"1\",\n      \"message\": \"Disk almost full\",\n      \"details\": {{\"a\": [1, 2]}},\n      \"createdAt\": \"2024-03-05T{hour:02}:00:00.000Z\"\n    }}"
        )
    };
    // Line 1 `{`, line 2 `"data": [`; each good record takes 7 lines.
    let body = format!(
        "{{\n  \"data\": [\n{},\n    {{\n      \"id\": \"bad-1\",\n      \"message\": \"x\",\n      \"createdAt\": \"2024-03-05T09:00:00.000Z\",\n    }},\n{},\n    {{\n      \"id\": \"bad-2\",\n      \"details\": {{\"a\": 1 \"b\": 2}},\n      \"createdAt\": \"2024-03-05T09:00:00.000Z\"\n    }},\n{}\n  ]\n}}\n",
        good("og-1", 10),
        good("og-2", 11),
        good("og-3", 12)
    );
    std::fs::write(&path, body).unwrap();
    let b = ingest(&[path], "");
    assert_eq!(b.inputs[0].format, "opsgenie");
    let mut ids: Vec<String> = (0..b.alerts.height())
        .filter_map(|i| text(&b.alerts, "alert_id", i))
        .collect();
    ids.sort();
    assert_eq!(ids, ["og-1", "og-2", "og-3"]);
    // bad-1: lines 10-14, its `}` after the trailing comma at line 14
    // column 5; bad-2: lines 22-26, `"b"` (no comma before it) at line 24
    // column 26 (six spaces, `"details":` 7-16, ` {` 17-18, `"a": 1 ` 19-25).
    let reasons: Vec<String> = b.rejects.iter().map(|r| r.reason.clone()).collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons[0].contains("invalid JSON at line 14 column 5: a trailing comma"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].contains("invalid JSON at line 24 column 26: a missing comma"),
        "{reasons:?}"
    );
}

#[test]
fn a_file_read_as_nothing_is_an_error_with_its_reasons() {
    let e = ingest_error(&[variant("opsgenie-all-rejected.json")], "");
    let message = e.to_string();
    match e {
        IngestError::AllRejected { count, .. } => assert_eq!(count, 2),
        other => panic!("{other}"),
    }
    // Both records lack createdAt: one reason, counted twice, with the line.
    assert!(
        message.contains("2× not an Opsgenie alert: missing field `createdAt`"),
        "{message}"
    );
    assert!(message.contains("(line 1)"), "{message}");
}

#[test]
fn windows_1252_csv_is_decoded_and_noted() {
    let b = ingest(
        &[variant("servicenow-cp1252.csv")],
        "[sources.servicenow]\ntimezone = \"UTC\"\n",
    );
    assert_eq!(b.rejects.len(), 0, "{:?}", b.rejects);
    assert_eq!(b.incidents.height(), 2);
    let inc = &b.incidents;
    let i = row(inc, "incident_id", "INC0001");
    assert_eq!(
        text(inc, "title", i).as_deref(),
        Some("Caf\u{e9} printer \u{2013} jammed")
    );
    let i = row(inc, "incident_id", "INC0002");
    assert_eq!(
        text(inc, "title", i).as_deref(),
        Some("Refund \u{20ac} 5 missing")
    );
    assert!(
        b.inputs[0].notes.iter().any(|n| n.contains("Windows-1252")),
        "{:?}",
        b.inputs[0].notes
    );
}

#[test]
fn pagerduty_rest_v1_archives() {
    let b = ingest(
        &[
            variant("pagerduty-v1-log-entries.json"),
            variant("pagerduty-v1-incidents.json"),
        ],
        "",
    );
    assert_eq!(b.inputs[0].format, "pagerduty-log-entries");
    assert_eq!(b.inputs[1].format, "pagerduty-rest");
    assert_eq!(b.rejects.len(), 0, "{:?}", b.rejects);
    assert_eq!(b.alerts.height(), 2);
    let a = &b.alerts;
    // PIJ90N7: created_on 00:35:21, acknowledged by Sophia at 00:40, resolved
    // by her at 00:55:22; two escalations (number_of_escalations, as the
    // log has no escalate entry).
    let i = row(a, "alert_id", "PIJ90N7");
    assert_eq!(
        text(a, "title", i).as_deref(),
        Some("srv01 HTTP is CRITICAL")
    );
    assert_eq!(text(a, "service", i).as_deref(), Some("Web"));
    assert_eq!(
        time(a, "triggered_at", i).as_deref(),
        Some("2012-12-22T00:35:21Z")
    );
    assert_eq!(
        time(a, "acknowledged_at", i).as_deref(),
        Some("2012-12-22T00:40:00Z")
    );
    assert_eq!(
        text(a, "acknowledged_by", i).as_deref(),
        Some("Sophia Alvarez")
    );
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2012-12-22T00:55:22Z")
    );
    assert_eq!(flag(a, "auto_resolved", i), Some(false));
    assert_eq!(text(a, "resolved_by", i).as_deref(), Some("Sophia Alvarez"));
    assert_eq!(count(a, "escalations", i), Some(2));
    // PAAAAAA: titled by its description, resolved on channel `auto`.
    let i = row(a, "alert_id", "PAAAAAA");
    assert_eq!(text(a, "title", i).as_deref(), Some("Disk 91% on srv02"));
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2012-12-22T01:04:00Z")
    );
    assert_eq!(flag(a, "auto_resolved", i), Some(true));
}

#[test]
fn servicenow_export_of_exactly_the_cap_is_noted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("incident.csv");
    let mut text = String::from("number,opened_at,short_description,priority,state\n");
    for i in 0..10_000 {
        text.push_str(&format!(
            "INC{i:07},2024-03-05 10:00:00,Printer jammed,4 - Low,New\n"
        ));
    }
    std::fs::write(&path, text).unwrap();
    let b = ingest(&[path], "[sources.servicenow]\ntimezone = \"UTC\"\n");
    assert_eq!(b.incidents.height(), 10_000);
    assert!(
        b.inputs[0]
            .notes
            .iter()
            .any(|n| n.starts_with("exactly 10000 rows")),
        "{:?}",
        b.inputs[0].notes
    );
}

#[test]
fn utf16_as_powershell_writes_it() {
    let b = ingest(&[variant("opsgenie-utf16le-powershell.json")], "");
    assert_eq!(b.inputs[0].format, "opsgenie");
    assert_eq!(b.alerts.height(), 1);
    let i = row(&b.alerts, "alert_id", "og-utf16-1");
    assert_eq!(
        text(&b.alerts, "title", i).as_deref(),
        Some("Disque presque plein \u{e0} 95 %")
    );
    assert!(
        b.inputs[0].notes.iter().any(|n| n.starts_with("UTF-16")),
        "{:?}",
        b.inputs[0].notes
    );
}

#[test]
fn csv_exports_appended_quoted_with_bom_crlf_and_blank_lines() {
    // Two exports appended to one file: a BOM, every field quoted, CR LF,
    // blank lines, the header repeated before the second export's row, and
    // a description with a line break inside its quotes.
    let b = ingest(&[variant("pagerduty-appended-quoted-crlf.csv")], "");
    assert_eq!(b.inputs[0].format, "pagerduty-csv");
    assert_eq!(b.rejects.len(), 0, "{:?}", b.rejects);
    assert_eq!(b.alerts.height(), 2);
    let a = &b.alerts;
    let i = row(a, "alert_id", "Q1ABCD2EFGH3IJ");
    assert_eq!(
        text(a, "title", i).as_deref(),
        // The cell's trailing line break is trimmed, as every cell is.
        Some("web-10-0-1-17/chef-client : CheckProcess CRITICAL: Found 0 matching processes")
    );
    row(a, "alert_id", "PXYZ1234567890");
    assert!(
        b.inputs[0]
            .notes
            .iter()
            .any(|n| n.starts_with("1 row(s) repeat the header")),
        "{:?}",
        b.inputs[0].notes
    );
}

#[test]
fn an_empty_page_alone_is_an_error_not_an_empty_report() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("incidents.json");
    std::fs::write(
        &path,
        "{\"incidents\": [], \"limit\": 25, \"offset\": 0, \"more\": false}\n",
    )
    .unwrap();
    let e = try_ingest(
        std::slice::from_ref(&path),
        "",
        alertsift::ingest::Format::named("pagerduty-rest"),
    );
    match e {
        Err(IngestError::NothingRead { records: 0, .. }) => {}
        Err(other) => panic!("{other}"),
        Ok(b) => panic!("read as {:?}", b.inputs),
    }
    // Beside a file that holds records, it is a warning in its notes.
    let b = try_ingest(
        &[path, fixture("pagerduty/incidents.json")],
        "",
        alertsift::ingest::Format::named("pagerduty-rest"),
    )
    .unwrap();
    assert!(
        b.inputs[0]
            .notes
            .iter()
            .any(|n| n.contains("holds no records")),
        "{:?}",
        b.inputs[0].notes
    );
}

/// Every JSON fixture as other tools save it: with a UTF-8 byte order mark
/// (PowerShell 5's `-Encoding utf8`, Notepad), CRLF line ends, UTF-16 as
/// PowerShell writes it, and (where the file holds only valid JSON) each
/// document on one line or pretty-printed with tabs. Each reads as the same
/// format into the same rows and rejects as the fixture itself (whose rows
/// the format's own tests work out). A byte order mark once cost an
/// Alertmanager or Grafana webhook log its first payload.
#[test]
fn json_fixtures_re_encoded_read_the_same() {
    let dir = tempfile::tempdir().unwrap();
    for file in [
        "alertmanager/webhooks.jsonl",
        "alertmanager/edge-cases.jsonl",
        "grafana/alert_groups.json",
        "incidentio/incidents.json",
        "opsgenie/alerts.json",
        "pagerduty/analytics.json",
        "pagerduty/incidents.json",
    ]
    .into_iter()
    .chain(NEWER_VENDOR_JSON)
    {
        let want = ingest(&[fixture(file)], "");
        assert!(want.alerts.height() + want.incidents.height() > 0, "{file}");
        let bytes = std::fs::read(fixture(file)).unwrap();
        // Documents re-written only where the whole file is valid JSON.
        let docs: Vec<serde_json::Value> = serde_json::Deserializer::from_slice(&bytes)
            .into_iter()
            .collect::<Result<_, _>>()
            .unwrap_or_default();
        let lines: Vec<String> = docs.iter().map(|d| d.to_string()).collect();
        let tabs: Vec<String> = docs
            .iter()
            .map(|d| {
                let mut out = Vec::new();
                let fmt = serde_json::ser::PrettyFormatter::with_indent(b"\t");
                let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
                serde::Serialize::serialize(d, &mut ser).unwrap();
                String::from_utf8(out).unwrap()
            })
            .collect();
        let crlf: Vec<u8> = bytes
            .iter()
            .enumerate()
            .flat_map(|(i, &b)| match b {
                b'\n' if i == 0 || bytes[i - 1] != b'\r' => vec![b'\r', b'\n'],
                b => vec![b],
            })
            .collect();
        let ext = file.rsplit('.').next().unwrap();
        let mut variants = vec![
            ("bom", [b"\xEF\xBB\xBF".as_slice(), &bytes].concat()),
            ("crlf", crlf),
        ];
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let utf16 = "\u{feff}"
                .encode_utf16()
                .chain(text.encode_utf16())
                .flat_map(u16::to_le_bytes);
            variants.push(("utf16", utf16.collect()));
        }
        if !docs.is_empty() {
            variants.push(("lines", (lines.join("\n") + "\n").into_bytes()));
            variants.push(("tabs", (tabs.join("\n") + "\n").into_bytes()));
        }
        for (name, bytes) in variants {
            let path = dir.path().join(format!("{name}.{ext}"));
            std::fs::write(&path, bytes).unwrap();
            let got = try_ingest(std::slice::from_ref(&path), "", None)
                .unwrap_or_else(|e| panic!("{file} ({name}): {e}"));
            assert_eq!(
                got.inputs[0].format, want.inputs[0].format,
                "{file} ({name})"
            );
            // Rows in any order (the store orders them).
            let sorted = |df: &polars::prelude::DataFrame| {
                let first = df.get_column_names()[0].clone();
                df.sort([first], Default::default()).unwrap()
            };
            assert!(
                sorted(&got.alerts).equals_missing(&sorted(&want.alerts))
                    && sorted(&got.incidents).equals_missing(&sorted(&want.incidents)),
                "{file} ({name}): {:?} vs {:?}",
                got.alerts,
                want.alerts
            );
            assert_eq!(got.rejects.len(), want.rejects.len(), "{file} ({name})");
        }
    }
}

/// `file`'s JSON documents, each rewritten by `rewrite`, read into the
/// same alerts as the fixture itself: the same ids, opened, acknowledged
/// and resolved at the same times by the same people, with the same
/// severities and repeat counts.
fn rewritten_reads_the_same(file: &str, name: &str, rewrite: &dyn Fn(&mut serde_json::Value)) {
    let pick = |b: &alertsift::ingest::Batch| {
        b.alerts
            .select([
                "alert_id",
                "triggered_at",
                "acknowledged_at",
                "acknowledged_by",
                "resolved_at",
                "resolved_by",
                "auto_resolved",
                "severity",
                "repeat_count",
            ])
            .unwrap()
            .sort(["alert_id"], Default::default())
            .unwrap()
    };
    let want = ingest(&[fixture(file)], "");
    assert!(want.alerts.height() + want.incidents.height() > 0, "{file}");
    let bytes = std::fs::read(fixture(file)).unwrap();
    let mut docs: Vec<serde_json::Value> = serde_json::Deserializer::from_slice(&bytes)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    docs.iter_mut().for_each(rewrite);
    let text: Vec<String> = docs.iter().map(|d| d.to_string()).collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join(format!("{name}.{}", file.rsplit('.').next().unwrap()));
    std::fs::write(&path, text.join("\n") + "\n").unwrap();
    let got = ingest(&[path], "");
    assert_eq!(
        got.incidents.height(),
        want.incidents.height(),
        "{file} ({name})"
    );
    assert!(
        pick(&got).equals_missing(&pick(&want)),
        "{file} ({name}): {:?} vs {:?}",
        pick(&got),
        pick(&want)
    );
}

/// Every string value of these keys, at any depth, rewritten by `f`.
fn rewrite_values(v: &mut serde_json::Value, keys: &[&str], f: &dyn Fn(&str) -> String) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                match x {
                    serde_json::Value::String(s) if keys.contains(&k.as_str()) => *s = f(s),
                    x => rewrite_values(x, keys, f),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| rewrite_values(x, keys, f)),
        _ => {}
    }
}

/// Statuses and states in other casings than the documented ones (a
/// `RECOVERED` Kibana alert, a `Closed` JSM alert, an `ALERTING` Grafana
/// state, a `Resolved` webhook payload) read as the documented ones.
#[test]
fn statuses_in_any_casing_read_the_same() {
    let keys = [
        "status",
        "kibana.alert.status",
        "kibana.alert.workflow_status",
        "current",
        "previous",
        "state",
    ];
    for file in [
        "elastic/search-response.json",
        "elastic/alerts.ndjson",
        "jsm/alerts-pages.json",
        "opsgenie/alerts.json",
        "grafana-alerting/state-history.json",
        "grafana-alerting/webhooks.jsonl",
    ] {
        rewritten_reads_the_same(file, "upper", &|d| {
            rewrite_values(d, &keys, &|s| s.to_uppercase())
        });
        rewritten_reads_the_same(file, "lower", &|d| {
            rewrite_values(d, &keys, &|s| s.to_lowercase())
        });
    }
}

/// Every whole number written as text (`"1714640460000"`, as some clients
/// and the vendors' string-typed APIs write them) reads as the number.
/// A Grafana Alerting history's times, New Relic's `totalIncidents` and a
/// webhook payload's `truncatedAlerts` as text were once lost.
#[test]
fn whole_numbers_as_text_read_the_same() {
    fn to_text(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Number(n) if n.is_u64() || n.is_i64() => {
                *v = serde_json::Value::String(n.to_string())
            }
            serde_json::Value::Object(m) => m.values_mut().for_each(to_text),
            serde_json::Value::Array(a) => a.iter_mut().for_each(to_text),
            _ => {}
        }
    }
    for file in NEWER_VENDOR_JSON {
        rewritten_reads_the_same(file, "text", &to_text);
    }
}

/// The records without their envelope (`jq .violations`, `jq .result`): a
/// bare array reads into the same alerts as the enveloped export.
#[test]
fn bare_arrays_of_records_read_the_same() {
    for (file, records) in [
        ("datadog/events-v1.json", "/events"),
        ("datadog/events-v2.json", "/data"),
        ("elastic/search-response.json", "/hits/hits"),
        (
            "newrelic/nerdgraph-issues.json",
            "/data/actor/account/aiIssues/issues/issues",
        ),
        ("newrelic/rest-violations.json", "/violations"),
        ("splunk-oncall/public-v1-incidents.json", "/incidents"),
        ("zabbix/event-get.json", "/result"),
    ] {
        rewritten_reads_the_same(file, "bare", &|d| {
            // (A document without them, such as an empty last page, stays.)
            if let Some(v) = d.pointer_mut(records).map(serde_json::Value::take) {
                *d = v;
            }
        });
    }
}
