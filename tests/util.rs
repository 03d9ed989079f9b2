//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use alertsift::config::Config;
use alertsift::ingest::time::rfc3339_utc;
use alertsift::ingest::{self, Batch, Format, IngestOptions, Input};
use polars::prelude::*;

/// The columns of the small PagerDuty incidents CSVs tests write.
pub const PAGERDUTY_CSV_HEADER: [&str; 9] = [
    "id",
    "incident_number",
    "description",
    "service_name",
    "escalation_policy_name",
    "created_on",
    "resolved_on",
    "auto_resolved",
    "urgency",
];

/// The newer vendors' JSON fixtures (#27), each under its format's name,
/// for the tests that try every one.
pub const NEWER_VENDOR_JSON: [&str; 16] = [
    "datadog/events-v1.json",
    "datadog/events-v2.json",
    "datadog/incidents.json",
    "datadog/webhooks.jsonl",
    "elastic/alerts.ndjson",
    "elastic/search-response.json",
    "grafana-alerting/state-history.json",
    "grafana-alerting/webhooks.jsonl",
    "jsm/alerts-pages.json",
    "newrelic/nerdgraph-issues.json",
    "newrelic/nrql-incidents.json",
    "newrelic/rest-violations.json",
    "splunk-oncall/public-v1-incidents.json",
    "splunk-oncall/reporting-v2-pages.json",
    "zabbix/event-get.json",
    "zabbix/problem-get.json",
];

/// A fixture file under `tests/fixtures`.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// The shared data directory (`../shared/data`), if present.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        skip(&format!(
            "{} is absent (CI always has ../shared)",
            p.display()
        ));
        None
    }
}

/// A test that cannot run here says why and returns — except in CI
/// (`CI=true`), where what it needs is installed by `.ci/run`, so a skip
/// there is a failure.
pub fn skip(why: &str) {
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    assert!(!ci, "CI=true, yet a test would skip: {why}");
    eprintln!("skipping: {why}");
}

/// Ingest files (formats detected) with a config given as TOML text.
pub fn ingest(paths: &[PathBuf], config: &str) -> Batch {
    try_ingest(paths, config, None).unwrap()
}

/// Ingest, returning the error.
pub fn try_ingest(
    paths: &[PathBuf],
    config: &str,
    format: Option<Format>,
) -> Result<Batch, alertsift::error::IngestError> {
    let config = Config::parse(config).unwrap();
    let inputs: Vec<Input> = paths
        .iter()
        .map(|p| Input {
            path: p.clone(),
            format,
        })
        .collect();
    ingest::ingest(&inputs, &config, &IngestOptions::default())
}

/// The row whose `id_col` is `id`.
pub fn row(df: &DataFrame, id_col: &str, id: &str) -> usize {
    let ids = df.column(id_col).unwrap().str().unwrap();
    ids.iter()
        .position(|v| v == Some(id))
        .unwrap_or_else(|| panic!("no row with {id_col} = {id}"))
}

/// A string cell.
pub fn text(df: &DataFrame, col: &str, i: usize) -> Option<String> {
    df.column(col)
        .unwrap()
        .str()
        .unwrap()
        .get(i)
        .map(str::to_string)
}

/// A datetime cell as RFC 3339 UTC.
pub fn time(df: &DataFrame, col: &str, i: usize) -> Option<String> {
    let c = df.column(col).unwrap().cast(&DataType::Int64).unwrap();
    c.i64().unwrap().get(i).map(rfc3339_utc)
}

/// A boolean cell.
pub fn flag(df: &DataFrame, col: &str, i: usize) -> Option<bool> {
    df.column(col).unwrap().bool().unwrap().get(i)
}

/// A u32 cell.
pub fn count(df: &DataFrame, col: &str, i: usize) -> Option<u32> {
    df.column(col).unwrap().u32().unwrap().get(i)
}

/// A list<str> cell.
pub fn list(df: &DataFrame, col: &str, i: usize) -> Option<Vec<String>> {
    let s = df.column(col).unwrap().list().unwrap().get_as_series(i)?;
    Some(
        s.str()
            .unwrap()
            .iter()
            .map(|v| v.unwrap_or("").to_string())
            .collect(),
    )
}

/// The labels of a row (a JSON object) as (key, value) pairs, sorted by key.
pub fn labels(df: &DataFrame, i: usize) -> Vec<(String, String)> {
    let Some(text) = text(df, "labels", i) else {
        return Vec::new();
    };
    let map: std::collections::BTreeMap<String, String> = serde_json::from_str(&text).unwrap();
    map.into_iter().collect()
}

/// Run the alertsift binary in `dir`.
pub fn alertsift(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_alertsift"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .unwrap()
}

/// Run `alertsift demo --out OUT EXTRA...` in `dir`, asserting success.
pub fn run_demo(dir: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec!["demo", "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = alertsift(dir, &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// Read a Parquet file.
pub fn read_parquet(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
}

/// Every alert partition of a store, stacked in month order.
pub fn store_alerts(store: &Path) -> DataFrame {
    let mut files: Vec<_> = std::fs::read_dir(store.join("alerts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut frames = files.iter().map(|f| read_parquet(f));
    let mut all = frames.next().unwrap();
    for f in frames {
        all.vstack_mut(&f).unwrap();
    }
    all
}

/// The bytes of every file of a store's alert partitions.
pub fn store_bytes(store: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(store.join("alerts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| (f.display().to_string(), std::fs::read(f).unwrap()))
        .collect()
}

/// Rows of a CSV file (header excluded) as string vectors.
pub fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    r.records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// The rows of `dir/truth.csv` (written by `alertsift demo`), each as
/// column → value.
pub fn truth_rows(dir: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(dir.join("truth.csv")).unwrap();
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// Ingest (formats detected), expecting a whole-file error.
pub fn ingest_error(paths: &[PathBuf], config: &str) -> alertsift::error::IngestError {
    match try_ingest(paths, config, None) {
        Err(e) => e,
        Ok(b) => panic!("expected an error, read {:?}", b.inputs),
    }
}

/// `alertsift run` on the hand-worked history of `tests/headline.rs` (its
/// mapping and config) into `out`, with `extra` flags, asserting success;
/// the summary.
pub fn run_headline(dir: &Path, out: &Path, extra: &[&str]) -> serde_json::Value {
    let h = fixture("headline");
    let file = |name: &str| h.join(name).to_str().unwrap().to_string();
    let mut args = vec![
        "run".to_string(),
        file("pages.csv"),
        "--mapping".into(),
        file("mapping.toml"),
        "--config".into(),
        file("alertsift.toml"),
        "--out".into(),
        out.to_str().unwrap().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = alertsift(dir, &refs);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap()
}

/// `alertsift run INPUT --out OUT -q` in `dir`, asserting success.
pub fn run_quietly(dir: &Path, input: &Path, out: &Path) {
    let o = alertsift(
        dir,
        &[
            "run",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// The path of a program on `PATH`, if it is there.
pub fn which(bin: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(bin))
            .find(|p| p.is_file())
    })
}
