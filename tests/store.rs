//! The Parquet store: idempotent re-ingest, newer copies win, atomic writes.

use std::path::{Path, PathBuf};

use crate::util::*;

fn rows_in(store: &Path) -> usize {
    store_alerts(store).height()
}

/// `alertsift ingest INPUTS --store STORE --config CONFIG`, which must
/// succeed; its stderr.
fn ingest_ok(dir: &Path, inputs: &[&Path], store: &Path, config: &Path) -> String {
    let mut args = vec!["ingest"];
    args.extend(inputs.iter().map(|p| p.to_str().unwrap()));
    args.extend([
        "--store",
        store.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ]);
    let o = alertsift(dir, &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stderr(&o)
}

#[test]
fn ingesting_the_same_export_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let store_s = store.to_str().unwrap();
    let input = fixture("pagerduty/incidents-advanced.csv");
    let input = input.to_str().unwrap();
    let o = alertsift(dir.path(), &["ingest", input, "--store", store_s]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // 2 distinct incidents: 5 rows less 2 rejects less 1 repeated row.
    assert_eq!(rows_in(&store), 2);
    assert!(stderr(&o).contains("2 new"), "{}", stderr(&o));
    assert!(stderr(&o).contains("1 duplicate records"), "{}", stderr(&o));
    let first = store_bytes(&store);
    let o = alertsift(dir.path(), &["ingest", input, "--store", store_s]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(rows_in(&store), 2);
    assert!(
        stderr(&o).contains("0 new, 0 updated, 2 unchanged"),
        "{}",
        stderr(&o)
    );
    assert_eq!(first, store_bytes(&store));
    // The rejects of the last ingest sit next to the store.
    assert_eq!(csv_rows(&store.join("rejects.csv")).len(), 2);
}

#[test]
fn a_newer_export_updates_and_an_older_one_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let open = dir.path().join("week1.json");
    let closed = dir.path().join("week2.json");
    let alert = |status: &str, updated: &str, report: &str| {
        format!(
            r#"{{"data":[{{"id":"a-1","tinyId":"1","alias":"x","message":"Disk 91% on db-03","status":"{status}","createdAt":"2024-01-01T00:00:00Z","updatedAt":"{updated}","priority":"P1","tags":[],"report":{{{report}}}}}]}}"#
        )
    };
    std::fs::write(&open, alert("open", "2024-01-01T00:00:00Z", "")).unwrap();
    std::fs::write(
        &closed,
        alert(
            "closed",
            "2024-01-01T00:05:00Z",
            r#""closeTime":300000,"closedBy":"Alert API""#,
        ),
    )
    .unwrap();
    let store = dir.path().join("s");
    let st = store.to_str().unwrap();
    let expect = [
        "alerts 1 new, 0 updated, 0 unchanged",
        "alerts 0 new, 1 updated, 0 unchanged",
        "alerts 0 new, 0 updated, 1 unchanged",
    ];
    for (f, want) in [&open, &closed, &open].into_iter().zip(expect) {
        let o = alertsift(dir.path(), &["ingest", f.to_str().unwrap(), "--store", st]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(stderr(&o).contains(want), "{want}: {}", stderr(&o));
    }
    let df = store_alerts(&store);
    assert_eq!(df.height(), 1);
    assert_eq!(
        time(&df, "resolved_at", 0).as_deref(),
        Some("2024-01-01T00:05:00Z")
    );
    assert_eq!(flag(&df, "auto_resolved", 0), Some(true));
}

#[test]
fn a_failed_ingest_leaves_the_store_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s");
    let st = store.to_str().unwrap();
    let good = fixture("grafana/alert_groups.json");
    let o = alertsift(
        dir.path(),
        &["ingest", good.to_str().unwrap(), "--store", st],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let before = store_bytes(&store);
    // A good file and an unknown one: nothing is merged.
    let bad = fixture("bad/unknown.csv");
    let opsgenie = fixture("opsgenie/alerts.json");
    let o = alertsift(
        dir.path(),
        &[
            "ingest",
            opsgenie.to_str().unwrap(),
            bad.to_str().unwrap(),
            "--store",
            st,
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(before, store_bytes(&store));
    let leftovers: Vec<_> = std::fs::read_dir(&store)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            name.contains(".tmp-") || name.starts_with(".spool-")
        })
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn a_locked_store_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s");
    std::fs::create_dir_all(&store).unwrap();
    std::fs::write(store.join(".lock"), "12345").unwrap();
    let good = fixture("grafana/alert_groups.json");
    let o = alertsift(
        dir.path(),
        &[
            "ingest",
            good.to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("locked"), "{}", stderr(&o));
}

#[test]
fn store_info_counts_rows_per_source() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s");
    let st = store.to_str().unwrap();
    let files = [
        fixture("grafana/alert_groups.json"),
        fixture("opsgenie/alerts.json"),
    ];
    let mut args = vec!["ingest"];
    let names: Vec<String> = files
        .iter()
        .map(|f| f.to_str().unwrap().to_string())
        .collect();
    args.extend(names.iter().map(String::as_str));
    args.extend(["--store", st]);
    let o = alertsift(dir.path(), &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = alertsift(dir.path(), &["store", "info", "--store", st, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["alerts"]["rows"], 5);
    assert_eq!(
        v["alerts"]["per_source"],
        serde_json::json!([["grafana_oncall", 2], ["opsgenie", 3]])
    );
    assert_eq!(v["alerts"]["first"], "2017-03-21T20:32:52.353Z");
    assert_eq!(v["alerts"]["last"], "2020-05-20T01:00:00Z");
    // A directory with no store, read by `store info` or by `run --store`
    // with no inputs: an error, not a report of zeros.
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    for args in [
        &["store", "info", "--store", "nowhere"][..],
        &["run", "--store", "nowhere", "--out", "o1"][..],
        &["run", "--store", "empty", "--out", "o2"][..],
    ] {
        let o = alertsift(dir.path(), args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&o).contains("not an alertsift store"),
            "{args:?}: {}",
            stderr(&o)
        );
        assert!(!dir.path().join("o1").exists() && !dir.path().join("o2").exists());
    }
}

#[test]
fn a_failure_midway_through_the_inputs_leaves_the_store_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s");
    let st = store.to_str().unwrap();
    let good = fixture("grafana/alert_groups.json");
    let o = alertsift(
        dir.path(),
        &["ingest", good.to_str().unwrap(), "--store", st],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let before = store_bytes(&store);
    let incidents_before = std::fs::read(store.join("incidents.parquet")).unwrap();
    // Opsgenie reads (and spools) fine; ServiceNow then fails: no zone.
    let opsgenie = fixture("opsgenie/alerts.json");
    let servicenow = fixture("servicenow/incidents.csv");
    let o = alertsift(
        dir.path(),
        &[
            "ingest",
            opsgenie.to_str().unwrap(),
            servicenow.to_str().unwrap(),
            "--store",
            st,
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("[sources.servicenow]"),
        "{}",
        stderr(&o)
    );
    assert_eq!(before, store_bytes(&store));
    assert_eq!(
        incidents_before,
        std::fs::read(store.join("incidents.parquet")).unwrap()
    );
    let names: Vec<String> = std::fs::read_dir(&store)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with(".spool-") || n == ".lock"),
        "{names:?}"
    );
}

/// `alertsift demo` of one vendor (`--alerts`, `--weeks`, `--only`,
/// `--seed`) into `dir/demo`, which it returns.
fn one_vendor_demo(dir: &Path, alerts: &str, weeks: &str, vendor: &str, seed: &str) -> PathBuf {
    let demo = dir.join("demo");
    let args = [
        "--alerts", alerts, "--weeks", weeks, "--only", vendor, "--seed", seed,
    ];
    run_demo(dir, &demo, &args);
    demo
}

/// A Datadog webhook log whose last line is a delivery of its first event
/// again (late, so its key's events go back in time) is read twice: the
/// fast pass's rows, spilled to disk by then, are rolled back, the rows of
/// the file before it kept, and the store ends as with the log alone —
/// every alert of the demo's truth, once.
#[test]
fn a_file_read_again_leaves_no_rows_of_its_first_pass() {
    let dir = tempfile::tempdir().unwrap();
    let demo = one_vendor_demo(dir.path(), "300000", "6", "datadog", "5");
    let truth = csv_rows(&demo.join("truth.csv"));
    assert!(
        truth.len() > alertsift::store::Spool::SPILL_ROWS,
        "{}",
        truth.len()
    );
    let log = demo.join("datadog-webhooks.jsonl");
    let text = std::fs::read_to_string(&log).unwrap();
    let late = dir.path().join("late.jsonl");
    let first = text.lines().next().unwrap();
    std::fs::write(&late, format!("{text}{first}\n")).unwrap();
    let before = fixture("datadog/webhooks.jsonl");
    let config = demo.join("alertsift.toml");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    ingest_ok(dir.path(), &[&before, &log], &a, &config);
    let err = ingest_ok(dir.path(), &[&before, &late], &b, &config);
    assert!(err.contains("1 event(s) seen twice"), "{err}");
    // Rows of the first pass left in the spool would be merged away by
    // id, but counted here.
    assert!(err.contains("(0 duplicate records in the inputs)"), "{err}");
    let rows = |store: &Path| {
        store_alerts(store)
            .sort(["alert_id"], Default::default())
            .unwrap()
    };
    let (a, b) = (rows(&a), rows(&b));
    // The fixture's 2 alerts and the demo's.
    assert_eq!(b.height(), truth.len() + 2);
    assert_eq!(a, b);
}

#[test]
fn a_large_ingest_spills_to_disk_and_loses_nothing() {
    // More rows than the spool holds in memory, over several months.
    let dir = tempfile::tempdir().unwrap();
    let demo = one_vendor_demo(dir.path(), "400000", "10", "pagerduty", "3");
    let truth = csv_rows(&demo.join("truth.csv"));
    assert!(
        truth.len() > alertsift::store::Spool::SPILL_ROWS,
        "{}",
        truth.len()
    );
    let store = dir.path().join("s");
    let csv = demo.join("pagerduty-incidents.csv");
    let config = demo.join("alertsift.toml");
    ingest_ok(dir.path(), &[&csv], &store, &config);
    let df = store_alerts(&store);
    assert_eq!(df.height(), truth.len());
    // Sorted by trigger time across partitions, every truth id present.
    let ids: std::collections::HashSet<String> = df
        .column("alert_id")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.unwrap().to_string())
        .collect();
    assert!(truth.iter().all(|r| ids.contains(&r[0])));
    let t = df
        .column("triggered_at")
        .unwrap()
        .cast(&polars::prelude::DataType::Int64)
        .unwrap();
    let t: Vec<i64> = t.i64().unwrap().iter().map(|v| v.unwrap()).collect();
    assert!(t.windows(2).all(|w| w[0] <= w[1]));
    let err = ingest_ok(dir.path(), &[&csv], &store, &config);
    assert!(
        err.contains(&format!("0 new, 0 updated, {} unchanged", truth.len())),
        "{err}"
    );
}

#[test]
fn alertmanager_occurrences_settle_in_the_store() {
    // Alertmanager rows go to the spool when first seen and their folded
    // fields are filled in at commit: two files (the second's occurrences
    // numbered after the first's) and a PagerDuty row in the same month.
    let dir = tempfile::tempdir().unwrap();
    let pd = dir.path().join("pd.csv");
    std::fs::write(
        &pd,
        format!(
            "{}\nPX1,1,Disk full,web,ops,2023-02-06T13:10:00Z,2023-02-06T13:40:00Z,false,high\n",
            PAGERDUTY_CSV_HEADER.join(",")
        ),
    )
    .unwrap();
    let config = dir.path().join("alertsift.toml");
    std::fs::write(&config, "[paging]\nalertmanager_receivers = [\"sms\"]\n").unwrap();
    let store = dir.path().join("s");
    let (a, b) = (
        fixture("alertmanager/webhooks.jsonl"),
        fixture("alertmanager/edge-cases.jsonl"),
    );
    let inputs = [a.as_path(), &pd, &b];
    ingest_ok(dir.path(), &inputs, &store, &config);
    let df = store_alerts(&store);
    assert_eq!(df.height(), 5);
    assert!(df.column("__occurrence").is_err());
    // The values alertmanager_folds_resends and alertmanager_edge_cases
    // work out from the fixtures.
    let i = row(&df, "alert_id", "1a30ba71cca2921f@2023-02-06T13:08:45.828Z");
    assert_eq!(
        time(&df, "resolved_at", i).as_deref(),
        Some("2023-02-06T13:19:45.828Z")
    );
    assert_eq!(flag(&df, "auto_resolved", i), Some(true));
    assert_eq!(count(&df, "repeat_count", i), Some(2));
    assert_eq!(flag(&df, "paged", i), Some(true));
    assert_eq!(
        time(&df, "updated_at", i).as_deref(),
        Some("2023-02-06T13:20:00Z")
    );
    let i = row(&df, "alert_id", "00000000000000aa@2023-02-06T13:30:00Z");
    assert_eq!(time(&df, "resolved_at", i), None);
    assert_eq!(flag(&df, "paged", i), Some(false));
    let i = row(&df, "alert_id", "bd787e10f8448166@2024-01-01T09:00:00Z");
    assert_eq!(
        time(&df, "resolved_at", i).as_deref(),
        Some("2024-01-01T09:30:00Z")
    );
    assert_eq!(count(&df, "repeat_count", i), Some(1));
    assert_eq!(
        time(&df, "updated_at", i).as_deref(),
        Some("2024-01-01T09:31:00Z")
    );
    // Only `sms` pages; the edge cases were sent to `pager`.
    assert_eq!(flag(&df, "paged", i), Some(false));
    let i = row(&df, "alert_id", "00000000000000bb@2024-01-01T12:00:00Z");
    assert_eq!(time(&df, "resolved_at", i), None);
    assert_eq!(count(&df, "repeat_count", i), Some(1));
    // The PagerDuty row is as it was read.
    let i = row(&df, "alert_id", "PX1");
    assert_eq!(
        time(&df, "resolved_at", i).as_deref(),
        Some("2023-02-06T13:40:00Z")
    );
    assert_eq!(flag(&df, "auto_resolved", i), Some(false));
    // Re-ingesting changes nothing.
    let err = ingest_ok(dir.path(), &inputs, &store, &config);
    assert!(err.contains("0 new, 0 updated, 5 unchanged"), "{err}");
}

#[test]
fn a_large_alertmanager_ingest_spills_and_settles_every_occurrence() {
    // More occurrences than the spool holds in memory, so rows awaiting
    // their folded fields go to disk and come back at commit.
    let dir = tempfile::tempdir().unwrap();
    let demo = one_vendor_demo(dir.path(), "300000", "8", "alertmanager", "5");
    let file = demo.join("alertmanager-webhooks.jsonl");
    // Worked out from the file with serde_json alone: every occurrence,
    // and those with a resolved notification.
    let mut all = std::collections::HashSet::new();
    let mut resolved = std::collections::HashSet::new();
    let text = std::fs::read_to_string(&file).unwrap();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for a in v["alerts"].as_array().unwrap() {
            let key = (
                a["fingerprint"].as_str().unwrap().to_string(),
                a["startsAt"].as_str().unwrap().to_string(),
            );
            if a["status"] == "resolved" {
                resolved.insert(key.clone());
            }
            all.insert(key);
        }
    }
    assert!(
        all.len() > alertsift::store::Spool::SPILL_ROWS,
        "{}",
        all.len()
    );
    let store = dir.path().join("s");
    let config = demo.join("alertsift.toml");
    ingest_ok(dir.path(), &[&file], &store, &config);
    let df = store_alerts(&store);
    assert_eq!(df.height(), all.len());
    assert!(df.column("__occurrence").is_err());
    let with_end = df
        .column("resolved_at")
        .unwrap()
        .is_not_null()
        .sum()
        .unwrap();
    assert_eq!(with_end as usize, resolved.len());
    let auto = df
        .column("auto_resolved")
        .unwrap()
        .bool()
        .unwrap()
        .sum()
        .unwrap();
    assert_eq!(auto as usize, resolved.len());
}
