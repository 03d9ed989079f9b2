//! The Parquet store: idempotent re-ingest, newer copies win, atomic writes.

use std::path::Path;

use crate::util::*;

fn rows_in(store: &Path) -> usize {
    store_alerts(store).height()
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

#[test]
fn a_large_ingest_spills_to_disk_and_loses_nothing() {
    // More rows than the spool holds in memory, over several months.
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    run_demo(
        dir.path(),
        &demo,
        &[
            "--alerts",
            "400000",
            "--weeks",
            "10",
            "--only",
            "pagerduty",
            "--seed",
            "3",
        ],
    );
    let truth = csv_rows(&demo.join("truth.csv"));
    assert!(
        truth.len() > alertsift::store::Spool::SPILL_ROWS,
        "{}",
        truth.len()
    );
    let store = dir.path().join("s");
    let csv = demo.join("pagerduty-incidents.csv");
    let config = demo.join("alertsift.toml");
    let args = [
        "ingest",
        csv.to_str().unwrap(),
        "--store",
        store.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ];
    let o = alertsift(dir.path(), &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
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
    let o = alertsift(dir.path(), &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("0 new, 0 updated, {} unchanged", truth.len())),
        "{}",
        stderr(&o)
    );
}
