//! `alertsift query`: real questions on the committed sample data, each
//! answered independently from the sample's ground truth (`truth.csv`,
//! written by `alertsift demo` with the history).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::util::*;

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data")
}

/// The sample's truth.csv rows.
fn truth() -> Vec<std::collections::HashMap<String, String>> {
    truth_rows(&sample())
}

/// Run the sample into `dir/out`.
fn run_sample(dir: &Path) -> PathBuf {
    let out = dir.join("out");
    let o = alertsift(
        dir,
        &[
            "run",
            sample().to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    out
}

/// `query SQL --output FILE.csv`, read back as rows (header first).
fn ask(dir: &Path, out: &Path, sql: &str) -> Vec<Vec<String>> {
    let file = dir.join("answer.csv");
    let o = alertsift(
        dir,
        &[
            "query",
            sql,
            "--out",
            out.to_str().unwrap(),
            "--output",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{sql}: {}", stderr(&o));
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(&file)
        .unwrap();
    r.records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn real_questions_have_the_truths_answers() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_sample(dir.path());
    let truth = truth();

    // 1. How many pages did each team get?
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for r in &truth {
        *expected.entry(r["team"].clone()).or_default() += u64::from(r["paged"] == "true");
    }
    let rows = ask(
        dir.path(),
        &out,
        "SELECT team, SUM(CAST(paged AS INT)) AS pages FROM alerts GROUP BY team ORDER BY team",
    );
    assert_eq!(rows[0], ["team", "pages"]);
    let got: BTreeMap<String, u64> = rows[1..]
        .iter()
        .map(|r| (r[0].clone(), r[1].parse().unwrap()))
        .collect();
    assert_eq!(got, expected);

    // 2. Which alerts fired during a deploy window (2026-09-08 10:00–14:00
    //    UTC)? RFC 3339 text compares in time order.
    let (from, to) = ("2026-09-08T10:00:00Z", "2026-09-08T14:00:00Z");
    let expected: Vec<String> = truth
        .iter()
        .filter(|r| r["triggered_at"].as_str() >= from && r["triggered_at"].as_str() < to)
        .map(|r| r["alert_id"].clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(expected.len() >= 5, "the window should hold alerts");
    let rows = ask(
        dir.path(),
        &out,
        "SELECT alert_id, triggered_at FROM alerts \
         WHERE triggered_at >= '2026-09-08 10:00:00' AND triggered_at < '2026-09-08 14:00:00' \
         ORDER BY alert_id",
    );
    let got: Vec<String> = rows[1..].iter().map(|r| r[0].clone()).collect();
    assert_eq!(got, expected);
    // Instants are written as RFC 3339 UTC.
    for r in &rows[1..] {
        let t = truth.iter().find(|t| t["alert_id"] == r[0]).unwrap();
        assert_eq!(r[1], t["triggered_at"]);
    }

    // 3. What share of each source's alerts resolved by themselves?
    let mut by_source: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for r in &truth {
        let e = by_source.entry(r["source"].clone()).or_default();
        e.0 += u64::from(r["auto_resolved"] == "true");
        e.1 += 1;
    }
    let rows = ask(
        dir.path(),
        &out,
        "SELECT source, SUM(CAST(auto_resolved AS INT)) AS auto, COUNT(*) AS n \
         FROM alerts GROUP BY source ORDER BY source",
    );
    let got: BTreeMap<String, (u64, u64)> = rows[1..]
        .iter()
        .map(|r| (r[0].clone(), (r[1].parse().unwrap(), r[2].parse().unwrap())))
        .collect();
    assert_eq!(got, by_source);

    // 4. Templates: the sample's rules, each with its alerts; a join back
    //    to the alerts agrees.
    let rule_sizes: BTreeMap<String, u64> = truth.iter().fold(BTreeMap::new(), |mut m, r| {
        *m.entry(r["template"].clone()).or_default() += 1;
        m
    });
    let rows = ask(
        dir.path(),
        &out,
        "SELECT t.template, t.alerts, COUNT(*) AS joined FROM templates t \
         JOIN alerts a ON a.template_id = t.template_id \
         GROUP BY t.template, t.alerts ORDER BY t.alerts DESC, t.template",
    );
    let mut got: Vec<u64> = rows[1..].iter().map(|r| r[1].parse().unwrap()).collect();
    for r in &rows[1..] {
        assert_eq!(r[1], r[2], "{r:?}");
    }
    let mut want: Vec<u64> = rule_sizes.values().copied().collect();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want, "one template per rule, with the rule's alerts");

    // 5. How many storm episodes did each team have? Starts chain within
    //    5 minutes (the default gap), per team.
    let mut starts: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for r in &truth {
        let t = chrono::DateTime::parse_from_rfc3339(&r["triggered_at"])
            .unwrap()
            .timestamp();
        starts.entry(r["team"].clone()).or_default().push(t);
    }
    let expected: BTreeMap<String, u64> = starts
        .into_iter()
        .map(|(team, mut ts)| {
            ts.sort_unstable();
            let n = 1 + ts.windows(2).filter(|w| w[1] - w[0] > 300).count() as u64;
            (team, n)
        })
        .collect();
    let rows = ask(
        dir.path(),
        &out,
        "SELECT team, COUNT(*) AS episodes, SUM(alerts) AS alerts FROM episodes \
         GROUP BY team ORDER BY team",
    );
    let got: BTreeMap<String, u64> = rows[1..]
        .iter()
        .map(|r| (r[0].clone(), r[1].parse().unwrap()))
        .collect();
    assert_eq!(got, expected);
    let alerts: u64 = rows[1..].iter().map(|r| r[2].parse::<u64>().unwrap()).sum();
    assert_eq!(alerts, truth.len() as u64);
}

#[test]
fn outputs_schema_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_sample(dir.path());
    let out_s = out.to_str().unwrap();
    let n = truth().len();

    // JSON: an array of objects; Parquet: the frame as is.
    let json = dir.path().join("a.json");
    let o = alertsift(
        dir.path(),
        &[
            "query",
            "SELECT alert_id, reasons FROM alerts ORDER BY alert_id",
            "--out",
            out_s,
            "-o",
            json.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), n);
    assert!(arr[0]["alert_id"].is_string());
    assert!(arr[0]["reasons"].is_array());
    let pq = dir.path().join("a.parquet");
    let o = alertsift(
        dir.path(),
        &[
            "query",
            "SELECT * FROM alerts WHERE paged",
            "--out",
            out_s,
            "-o",
            pq.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let paged = truth().iter().filter(|r| r["paged"] == "true").count();
    assert_eq!(read_parquet(&pq).height(), paged);

    // Printed: a table and its row count.
    let o = alertsift(
        dir.path(),
        &["query", "SELECT COUNT(*) AS n FROM alerts", "--out", out_s],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains(&n.to_string()), "{text}");
    assert!(text.contains("1 rows"), "{text}");

    // --schema lists every table with its columns.
    let o = alertsift(dir.path(), &["query", "--schema", "--out", out_s]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    for table in ["alerts", "incidents", "templates", "episodes"] {
        assert!(
            text.lines().any(|l| l == table),
            "no table {table}:\n{text}"
        );
    }
    assert!(text.contains("  noise_share"), "{text}");
    assert!(text.contains("  lead_title"), "{text}");

    // Errors: the engine's message, exit code 2.
    for (sql, says) in [
        ("SELECT nope FROM alerts", "nope"),
        ("SELECT * FROM no_such_table", "no_such_table"),
        ("SELEKT 1", "SELEKT"),
    ] {
        let o = alertsift(dir.path(), &["query", sql, "--out", out_s]);
        assert_eq!(o.status.code(), Some(2), "{sql}");
        let e = stderr(&o);
        assert!(e.contains("query:") && e.contains(says), "{sql}: {e}");
    }
    // A bad output extension is refused before the query runs.
    let o = alertsift(
        dir.path(),
        &["query", "SELECT 1", "--out", out_s, "-o", "x.xlsx"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(".csv, .json or .parquet"),
        "{}",
        stderr(&o)
    );
    // A directory without tables names what to run.
    let o = alertsift(dir.path(), &["query", "SELECT 1", "--out", "nowhere"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("alertsift run"), "{}", stderr(&o));
}
