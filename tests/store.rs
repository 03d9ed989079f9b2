//! The Parquet store: idempotent re-ingest, newer copies win, atomic writes.

use std::path::Path;

use crate::util::*;

fn rows_in(store: &Path) -> usize {
    read_parquet(&store.join("alerts.parquet")).height()
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
    let first = std::fs::read(store.join("alerts.parquet")).unwrap();
    let o = alertsift(dir.path(), &["ingest", input, "--store", store_s]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(rows_in(&store), 2);
    assert!(
        stderr(&o).contains("0 new, 0 updated, 2 unchanged"),
        "{}",
        stderr(&o)
    );
    assert_eq!(first, std::fs::read(store.join("alerts.parquet")).unwrap());
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
    let df = read_parquet(&store.join("alerts.parquet"));
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
    let before = std::fs::read(store.join("alerts.parquet")).unwrap();
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
    assert_eq!(before, std::fs::read(store.join("alerts.parquet")).unwrap());
    let leftovers: Vec<_> = std::fs::read_dir(&store)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
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
    let o = alertsift(dir.path(), &["store", "info", "--store", "nowhere"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not an alertsift store"),
        "{}",
        stderr(&o)
    );
}
