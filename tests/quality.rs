//! Label quality against the ground truth `alertsift demo` writes, on a
//! history the classifier was not tuned on: tuning used the sample data
//! (seed 42, 5,000 alerts, 12 weeks); this is seed 7, 8,000 alerts, 20
//! weeks. The classifier never reads truth.csv; the tags given with
//! `--labels` are a random tenth of it, and the tagged alerts are left out
//! of the score (they keep their tag).

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use alertsift::classify::evaluate::Confusion;
use alertsift::schema as s;

use crate::util::*;

/// Truth per alert: (label, source).
fn truth(path: &std::path::Path) -> HashMap<String, (String, String)> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (id, label, source) = (col("alert_id"), col("label"), col("source"));
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (
                rec[id].to_string(),
                (rec[label].to_string(), rec[source].to_string()),
            )
        })
        .collect()
}

/// Confusion per source (and `all`) of the run's labels against the truth,
/// leaving out the tagged alerts.
fn score(
    out: &std::path::Path,
    truth: &HashMap<String, (String, String)>,
    tagged: &HashMap<String, String>,
) -> BTreeMap<String, Confusion> {
    let df = read_parquet(&out.join("alerts.parquet"));
    let ids = df.column(s::ALERT_ID).unwrap().str().unwrap().clone();
    let labels = df.column(s::LABEL).unwrap().str().unwrap().clone();
    let mut by: BTreeMap<String, Confusion> = BTreeMap::new();
    let mut seen = 0;
    for (id, label) in ids.iter().zip(labels.iter()) {
        let (id, label) = (id.unwrap(), label.unwrap());
        let (want, source) = &truth[id];
        seen += 1;
        if tagged.contains_key(id) {
            continue;
        }
        for key in [source.as_str(), "all"] {
            by.entry(key.to_string())
                .or_default()
                .add(label == "noise", want == "noise");
        }
    }
    assert_eq!(seen, truth.len(), "every true alert is in the output once");
    by
}

/// Grouping accuracy of the run's templates against truth.csv's.
fn template_accuracy(out: &std::path::Path, demo: &std::path::Path) -> f64 {
    let df = read_parquet(&out.join("alerts.parquet"));
    let ids = df.column(s::ALERT_ID).unwrap().str().unwrap().clone();
    let tpl = df.column(s::TEMPLATE).unwrap().str().unwrap().clone();
    let mut r = csv::Reader::from_path(demo.join("truth.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let (i, t) = (
        h.iter().position(|c| c == "alert_id").unwrap(),
        h.iter().position(|c| c == "template").unwrap(),
    );
    let truth: HashMap<String, String> = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[i].to_string(), rec[t].to_string())
        })
        .collect();
    let (mut pred, mut want) = (Vec::new(), Vec::new());
    for (id, p) in ids.iter().zip(tpl.iter()) {
        pred.push(p.unwrap().to_string());
        want.push(truth[id.unwrap()].clone());
    }
    alertsift::classify::drain::grouping_accuracy(&pred, &want)
}

/// A random tenth: a SplitMix64 hash of the id, seeded.
fn drawn(id: &str) -> bool {
    let mut z = id.bytes().fold(0x9e37_79b9_7f4a_7c15u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) % 10 == 0
}

#[test]
fn labels_match_the_ground_truth_on_an_unseen_history() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    run_demo(
        dir.path(),
        &demo,
        &[
            "--seed", "7", "--alerts", "8000", "--weeks", "20", "--quiet",
        ],
    );
    let truth = truth(&demo.join("truth.csv"));

    // No tags: the rules alone.
    let out = dir.path().join("rules");
    run_quietly(dir.path(), &demo, &out);
    let rules = score(&out, &truth, &HashMap::new());

    // A random tenth tagged.
    let tags: HashMap<String, String> = truth
        .iter()
        .filter(|(id, _)| drawn(id))
        .map(|(id, (label, _))| (id.clone(), label.clone()))
        .collect();
    let tags_path = dir.path().join("tags.csv");
    let mut f = std::fs::File::create(&tags_path).unwrap();
    writeln!(f, "alert_id,label").unwrap();
    let mut sorted: Vec<_> = tags.iter().collect();
    sorted.sort();
    for (id, label) in sorted {
        writeln!(f, "{id},{label}").unwrap();
    }
    drop(f);
    let out = dir.path().join("tagged");
    let o = alertsift(
        dir.path(),
        &[
            "run",
            demo.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--labels",
            tags_path.to_str().unwrap(),
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let fitted = score(&out, &truth, &tags);

    println!("source        alerts  macro F1 (rules)  macro F1 (10% tagged)");
    for (source, c) in &rules {
        let n = c.true_noise + c.false_noise + c.missed_noise + c.true_actionable;
        println!(
            "{source:<12} {n:>7}  {:>16.3}  {:>21.3}",
            c.metrics().macro_f1,
            fitted[source].metrics().macro_f1
        );
    }
    println!("tags: {} of {} alerts", tags.len(), truth.len());
    let all = rules["all"].metrics().macro_f1;
    assert!(all >= 0.90, "rules alone: macro F1 {all:.3}");
    let all = fitted["all"].metrics().macro_f1;
    // Tags teach their rule (`[classify] rule_tags_*`): 1.000 here, where
    // the fitted weights alone gave 0.985.
    assert!(all >= 0.98, "with 10% tags: macro F1 {all:.3}");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let e = &summary["evaluation"];
    let (taught, fitted_cv) = (
        e["rule_tags_cv_macro_f1"].as_f64().unwrap(),
        e["fitted_cv_macro_f1"].as_f64().unwrap(),
    );
    assert!(
        taught >= fitted_cv,
        "cross-validated: rule tags {taught:.3} < fitted {fitted_cv:.3}"
    );
    // Every alert's template groups alerts as the ground truth does.
    let ga = template_accuracy(&dir.path().join("rules"), &demo);
    assert!(ga >= 0.98, "template grouping accuracy {ga:.4}");
    // Alertmanager carries no acknowledgements and still counts.
    let am = rules["alertmanager"].metrics().macro_f1;
    assert!(am >= 0.90, "Alertmanager, rules alone: macro F1 {am:.3}");
}

/// `alertsift demo --all-vendors`: every vendor alertsift reads alerts
/// from in one history (each team's rules spread over them). Every true
/// alert is read once, under its own source, from its vendor's file; the
/// summary counts each source as the truth does; labels and templates
/// score against the truth (seed 3, never tuned on): macro F1 at least
/// 0.95 over all, and every source's labels at least 85% right — the
/// errors left are the Alertmanager rule of real problems at the wrong
/// time, which nothing in that export says anyone worked on.
#[test]
fn every_vendor_in_one_history() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let o = alertsift(
        dir.path(),
        &[
            "demo",
            "--out",
            demo.to_str().unwrap(),
            "--seed",
            "3",
            "--alerts",
            "4000",
            "--weeks",
            "8",
            "--all-vendors",
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let truth = truth(&demo.join("truth.csv"));
    let mut want: BTreeMap<String, u64> = BTreeMap::new();
    for (_, source) in truth.values() {
        *want.entry(source.clone()).or_default() += 1;
    }
    assert_eq!(want.len(), 10, "{want:?}");
    let out = dir.path().join("out");
    let o = alertsift(
        dir.path(),
        &[
            "run",
            demo.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let df = read_parquet(&out.join("alerts.parquet"));
    let ids = df.column(s::ALERT_ID).unwrap().str().unwrap().clone();
    let sources = df.column(s::SOURCE).unwrap().str().unwrap().clone();
    for (id, source) in ids.iter().zip(sources.iter()) {
        let (id, source) = (id.unwrap(), source.unwrap());
        assert_eq!(truth[id].1, source, "{id}");
    }
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    for (source, n) in &want {
        assert_eq!(
            summary["alerts_per_source"][source].as_u64(),
            Some(*n),
            "{source}"
        );
    }
    let by = score(&out, &truth, &HashMap::new());
    let all = by["all"].metrics().macro_f1;
    assert!(all >= 0.95, "all vendors: macro F1 {all:.3}");
    for (source, c) in &by {
        let n = c.true_noise + c.false_noise + c.missed_noise + c.true_actionable;
        let right = (c.true_noise + c.true_actionable) as f64 / n as f64;
        assert!(right >= 0.85, "{source}: {right:.3} of {n} right");
    }
    let ga = template_accuracy(&out, &demo);
    assert!(ga >= 0.98, "template grouping accuracy {ga:.4}");
}

/// Nightly jobs whose time wanders (±60 minutes) and that skip 4 days in
/// 10 (`demo --nightly-jitter 60 --nightly-days 0.6`, seed 13, never
/// tuned on): the default RECURRING (a week either side, ±1h, a time of
/// day that stands out) finds most of them; domain.md's live rule (the
/// last 7 days, ±30 min) finds few. Neither marks an actionable alert.
/// Measured by hand on this history: 103 of 119 nightly alerts with the
/// defaults, 28 with the live rule.
#[test]
fn nightly_jobs_that_wander_and_skip_days_are_recurring() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    run_demo(
        dir.path(),
        &demo,
        &[
            "--seed",
            "13",
            "--only",
            "pagerduty",
            "--alerts",
            "3000",
            "--weeks",
            "8",
            "--nightly-jitter",
            "60",
            "--nightly-days",
            "0.6",
            "--quiet",
        ],
    );
    let truth: HashMap<String, (String, String)> = truth_rows(&demo)
        .into_iter()
        .map(|r| {
            (
                r["alert_id"].clone(),
                (r["pattern"].clone(), r["label"].clone()),
            )
        })
        .collect();
    let config = std::fs::read_to_string(demo.join("alertsift.toml")).unwrap();
    let live = dir.path().join("live.toml");
    std::fs::write(
        &live,
        format!(
            "{config}\n[classify]\nrecurring_lookahead_days = 0\nrecurring_tolerance = \"30m\"\nrecurring_contrast = 0\n"
        ),
    )
    .unwrap();
    // (nightly alerts found, nightly alerts, actionable alerts marked)
    let found = |extra: &[&str], out: &std::path::Path| {
        let mut args = vec![
            "run",
            demo.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ];
        args.extend_from_slice(extra);
        let o = alertsift(dir.path(), &args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let df = read_parquet(&out.join("alerts.parquet"));
        let (mut hit, mut nightly, mut wrong) = (0, 0, 0);
        for i in 0..df.height() {
            let id = text(&df, s::ALERT_ID, i).unwrap();
            let (pattern, label) = &truth[&id];
            let recurring = flag(&df, "f_recurring", i) == Some(true);
            if pattern == "recurring" {
                nightly += 1;
                hit += usize::from(recurring);
            } else if label == "actionable" && recurring {
                wrong += 1;
            }
        }
        (hit, nightly, wrong)
    };
    let (hit, nightly, wrong) = found(&[], &dir.path().join("default"));
    assert!(nightly >= 100, "{nightly} nightly alerts");
    assert!(hit * 10 >= nightly * 8, "defaults: {hit} of {nightly}");
    assert_eq!(wrong, 0);
    let (hit, nightly, wrong) = found(
        &["--config", live.to_str().unwrap()],
        &dir.path().join("live"),
    );
    assert!(hit * 10 <= nightly * 4, "live rule: {hit} of {nightly}");
    assert_eq!(wrong, 0);
}
