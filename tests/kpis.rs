//! The reliability-review KPIs (issue #29) through the binary, on small
//! hand-built exports whose every figure is worked out in the comments.

use std::path::Path;

use crate::util::{alertsift, stderr};

/// `alertsift ARGS` in `dir`, which must exit 0, and the summary.json it
/// wrote in `dir/out`.
fn summary(dir: &Path, args: &[&str], out: &str) -> serde_json::Value {
    let mut a = args.to_vec();
    a.extend(["--out", out, "-q"]);
    let o = alertsift(dir, &a);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_str(&std::fs::read_to_string(dir.join(out).join("summary.json")).unwrap())
        .unwrap()
}

/// Five ServiceNow incidents (times UTC). api: INC1 resolved 2 Mar 12:00,
/// INC2 started 9 Mar 12:00 — exactly 7 days later, on the window's edge
/// (a repeat); INC2 resolved 9 Mar 13:00, INC3 started 16 Mar 13:01 — 7
/// days and a minute (a repeat within 30 days only). db: INC4 resolved
/// 3 Mar 10:00, INC5 started 1 Apr 10:00 — 29 days (within 30 only).
const INCIDENTS: &str = "\
number,incident_state,sys_mod_count,short_description,priority,cmdb_ci,assignment_group,opened_at,sys_updated_at,resolved_at
INC1,Resolved,1,API down,1 - Critical,api,web,2/3/2026 10:00,2/3/2026 12:00,2/3/2026 12:00
INC2,Resolved,1,API down again,1 - Critical,api,web,9/3/2026 12:00,9/3/2026 13:00,9/3/2026 13:00
INC3,Resolved,1,API slow,2 - High,api,web,16/3/2026 13:01,16/3/2026 14:00,16/3/2026 14:00
INC4,Resolved,1,DB full,2 - High,db,data,3/3/2026 09:00,3/3/2026 10:00,3/3/2026 10:00
INC5,Resolved,1,DB full again,2 - High,db,data,1/4/2026 10:00,1/4/2026 11:00,1/4/2026 11:00
";

#[test]
fn repeat_incidents_follow_the_definition_to_the_window_edge() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("sn.csv"), INCIDENTS).unwrap();
    std::fs::write(
        d.join("alertsift.toml"),
        "[sources.servicenow]\ntimezone = \"UTC\"\n",
    )
    .unwrap();
    let s = summary(d, &["run", "sn.csv"], "out");
    let k = &s["kpis"];
    // 7 days: INC1 of 5 repeats. 30 days: INC1, INC2 and INC4.
    assert_eq!(k["repeat_incident_rate_7d"], 0.2, "{k}");
    assert_eq!(k["repeat_incident_rate_30d"], 0.6, "{k}");
    let r = &k["repeat_incidents"];
    assert_eq!(r["window_days"], 7.0);
    assert_eq!(
        (r["resolved"].as_u64(), r["repeated"].as_u64()),
        (Some(5), Some(1))
    );
    assert_eq!(r["per_team"]["web"]["resolved"], 3);
    assert_eq!(r["per_team"]["web"]["repeated"], 1);
    assert_eq!(r["per_team"]["data"]["repeated"], 0);
    assert_eq!(r["per_service"]["db"]["resolved"], 2);
    // One chain: INC1 → INC2.
    let csv = std::fs::read_to_string(d.join("out/tables/repeat_incidents.csv")).unwrap();
    assert_eq!(
        csv,
        "service,team,incidents,chain,first_started,last_started\napi,web,2,INC1 INC2,2026-03-02T10:00:00Z,2026-03-09T12:00:00Z\n"
    );
    let md = std::fs::read_to_string(d.join("out/report.md")).unwrap();
    assert!(
        md.contains("1 of 5 incidents resolved in the period were followed by another incident of the same service within 7 days (20.0%); within 30 days, 60.0%."),
        "{md}"
    );
    // `[kpis] repeat_window = "30d"`: the detail follows the window.
    std::fs::write(
        d.join("alertsift.toml"),
        "[sources.servicenow]\ntimezone = \"UTC\"\n[kpis]\nrepeat_window = \"30d\"\n",
    )
    .unwrap();
    let s = summary(d, &["run", "sn.csv"], "out30");
    let r = &s["kpis"]["repeat_incidents"];
    assert_eq!(r["repeated"], 3, "{r}");
    assert_eq!(s["kpis"]["repeat_incident_rate_7d"], 0.2);
    // Incidents that name no service cannot repeat: no rate at all (null,
    // not 0), and the report says why.
    std::fs::write(
        d.join("nosvc.csv"),
        INCIDENTS.replace(",api,", ",,").replace(",db,", ",,"),
    )
    .unwrap();
    let n = summary(d, &["run", "nosvc.csv"], "nosvc");
    assert_eq!(
        n["kpis"]["repeat_incident_rate_7d"],
        serde_json::Value::Null
    );
    assert_eq!(n["kpis"]["repeat_incidents"]["without_service"], 5);
    let md = std::fs::read_to_string(d.join("nosvc/report.md")).unwrap();
    assert!(md.contains("No incident with a service was resolved in the period. 5 resolved incident(s) named no service and are left out."), "{md}");
    let chains: Vec<Vec<String>> = r["chains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| serde_json::from_value(c["incidents"].clone()).unwrap())
        .collect();
    assert_eq!(chains, [vec!["INC1", "INC2", "INC3"], vec!["INC4", "INC5"]]);
}

/// Nine pages of team `pay` (UTC; 12-hour shifts from 08:00 and 20:00).
const WEIGHTED: &str = "\
id,title,team,service,triggered,resolved,paged,severity,responders
w1,Disk full,pay,api,2026-03-02 10:00:00,2026-03-02 10:30:00,yes,critical,Ada
w2,Errors high,pay,api,2026-03-02 15:00:00,2026-03-02 15:30:00,yes,error,Ada
w3,Latency,pay,api,2026-03-02 21:00:00,2026-03-02 21:30:00,yes,warning,Ada
w4,Disk full,pay,api,2026-03-03 02:00:00,2026-03-03 02:30:00,yes,critical,Ada;Priya
w5,Cert soon,pay,api,2026-03-03 09:00:00,2026-03-03 09:30:00,yes,info,Ada
w6,Something,pay,api,2026-03-03 10:00:00,2026-03-03 10:30:00,yes,,Ada
w7,Disk full,pay,api,2026-03-03 12:00:00,2026-03-03 12:30:00,yes,critical,Priya
w8,Disk full,pay,api,2026-03-03 13:00:00,2026-03-03 13:30:00,yes,critical,Priya
w9,Errors high,pay,api,2026-03-03 14:00:00,2026-03-03 14:30:00,yes,error,Priya
";

const MAPPING: &str = "\
source = \"handmade\"
timestamp_format = \"%Y-%m-%d %H:%M:%S\"
timezone = \"UTC\"
list_separator = \";\"

[columns]
alert_id = \"id\"
title = \"title\"
team = \"team\"
service = \"service\"
triggered_at = \"triggered\"
resolved_at = \"resolved\"
paged = \"paged\"
severity = \"severity\"
responders = \"responders\"
";

#[test]
fn severity_weighted_load_per_person_and_shift() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("pages.csv"), WEIGHTED).unwrap();
    std::fs::write(d.join("mapping.toml"), MAPPING).unwrap();
    std::fs::write(
        d.join("alertsift.toml"),
        "[teams.pay]\ntimezone = \"UTC\"\n",
    )
    .unwrap();
    let s = summary(d, &["run", "pages.csv", "--mapping", "mapping.toml"], "out");
    let w = &s["kpis"]["weighted_load"];
    // Weights: critical 3, error 2, warning 1, info 0, unknown 1.
    // Ada: day shift of 2 Mar w1 + w2 = 5; the night from 2 Mar 20:00
    // w3 + w4 = 1 + 3 = 4; day of 3 Mar w5 + w6 = 0 + 1 = 1.
    // Priya: that night w4 = 3; day of 3 Mar w7 + w8 + w9 = 8, over 6.
    let ada = &w["per_person"]["Ada"];
    assert_eq!(ada["shifts_paged"], 3, "{w}");
    assert_eq!(ada["total"], 10.0);
    assert_eq!(ada["max_per_shift"], 5.0);
    assert_eq!(ada["p50_per_shift"], 4.0);
    assert_eq!(ada["shifts_over_target"], 0);
    let priya = &w["per_person"]["Priya"];
    assert_eq!(priya["shifts_paged"], 2);
    assert_eq!(priya["total"], 11.0);
    assert_eq!(priya["max_per_shift"], 8.0);
    assert_eq!(priya["p50_per_shift"], 5.5);
    assert_eq!(priya["shifts_over_target"], 1);
    assert_eq!(w["shifts_paged"], 5);
    assert_eq!(w["shifts_over_target"], 1);
    assert_eq!(w["max_per_shift"], 8.0);
    // Other weights and target from the config.
    std::fs::write(
        d.join("alertsift.toml"),
        "[teams.pay]\ntimezone = \"UTC\"\n[targets]\nweighted_load_per_shift = 4\n[kpis]\nweight_unknown = 0\nweight_info = 1\n",
    )
    .unwrap();
    let s = summary(
        d,
        &["run", "pages.csv", "--mapping", "mapping.toml"],
        "out2",
    );
    let w = &s["kpis"]["weighted_load"];
    // Ada's day of 3 Mar: w5 1 + w6 0 = 1; over 4: Ada's 5, Priya's 8.
    assert_eq!(w["per_person"]["Ada"]["total"], 10.0, "{w}");
    assert_eq!(w["shifts_over_target"], 2);
    // A negative weight is refused by name.
    std::fs::write(d.join("alertsift.toml"), "[kpis]\nweight_critical = -1\n").unwrap();
    let o = alertsift(
        d,
        &[
            "run",
            "pages.csv",
            "--mapping",
            "mapping.toml",
            "--out",
            "out3",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("[kpis] weight_critical: -1 is not a weight"),
        "{}",
        stderr(&o)
    );
}

/// The rota for [`WEIGHTED`]: Ada holds one 24-hour shift from 2 Mar
/// 09:00, Priya one from 3 Mar 00:00 to 13:00 (UTC).
const WEIGHTED_ROTA: &str = "\
team,person,start,end
pay,Ada,2026-03-02T09:00:00Z,2026-03-03T09:00:00Z
pay,Priya,2026-03-03T00:00:00Z,2026-03-03T13:00:00Z
";

#[test]
fn severity_weighted_load_over_the_schedules_own_shifts() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("pages.csv"), WEIGHTED).unwrap();
    std::fs::write(d.join("rota.csv"), WEIGHTED_ROTA).unwrap();
    std::fs::write(d.join("mapping.toml"), MAPPING).unwrap();
    std::fs::write(
        d.join("alertsift.toml"),
        "[teams.pay]\ntimezone = \"UTC\"\n",
    )
    .unwrap();
    let s = summary(
        d,
        &["run", "pages.csv", "rota.csv", "--mapping", "mapping.toml"],
        "out",
    );
    let w = &s["kpis"]["weighted_load"];
    // Ada's shift (2 Mar 09:00 – 3 Mar 09:00) holds w1 3 + w2 2 + w3 1 +
    // w4 3 = 9, over 6. w5 fires at 09:00, when that shift has ended: the
    // 12-hour day shift of 3 Mar, with w6: 0 + 1 = 1.
    // Priya's shift (3 Mar 00:00–13:00): w4 3 + w7 3 = 6, not over 6;
    // w8 fires at 13:00, when it has ended: the day shift of 3 Mar, w8 3
    // + w9 2 = 5.
    let ada = &w["per_person"]["Ada"];
    assert_eq!(ada["shifts_paged"], 2, "{w}");
    assert_eq!(ada["total"], 10.0);
    assert_eq!(ada["max_per_shift"], 9.0);
    assert_eq!(ada["p50_per_shift"], 5.0);
    assert_eq!(ada["shifts_over_target"], 1);
    let priya = &w["per_person"]["Priya"];
    assert_eq!(priya["shifts_paged"], 2);
    assert_eq!(priya["max_per_shift"], 6.0);
    assert_eq!(priya["shifts_over_target"], 0);
    assert_eq!(w["shifts_paged"], 4);
    assert_eq!(w["scheduled_shifts"], 2);
    assert_eq!(w["shifts_over_target"], 1);
    assert_eq!(w["max_per_shift"], 9.0);
    // The KPI row: one person-shift over the target this period.
    let rows = s["kpis"]["over_periods"]["rows"].as_array().unwrap();
    let row = rows
        .iter()
        .find(|r| r["kpi"] == "weighted_load_shifts_over_target")
        .unwrap();
    assert_eq!(
        (&row["this"], &row["within_target"]),
        (&serde_json::json!(1.0), &serde_json::json!(false))
    );
}

/// Pages in three weeks: 5 in the week of 9 Mar 2026, 2 in the week of 31
/// Aug, 4 in the week of 7 Sep (26 weeks after 9 Mar).
const THREE_WEEKS: &str = "\
id,title,team,service,triggered,resolved,paged,severity,responders
b1,Disk full,pay,api,2026-03-09 10:00:00,2026-03-09 11:00:00,yes,critical,Ada
b2,Disk full,pay,api,2026-03-10 10:00:00,2026-03-10 11:00:00,yes,critical,Ada
b3,CPU high,pay,api,2026-03-11 03:00:00,2026-03-11 03:02:00,yes,warning,Ada
b4,CPU high,pay,api,2026-03-12 03:00:00,2026-03-12 03:02:00,yes,warning,Ada
b5,CPU high,pay,api,2026-03-13 03:00:00,2026-03-13 03:02:00,yes,warning,Ada
p1,Disk full,pay,api,2026-09-01 10:00:00,2026-09-01 11:00:00,yes,critical,Ada
p2,CPU high,pay,api,2026-09-02 03:00:00,2026-09-02 03:02:00,yes,warning,Ada
t1,Disk full,pay,api,2026-09-07 10:00:00,2026-09-07 11:00:00,yes,critical,Ada
t2,CPU high,pay,api,2026-09-08 03:00:00,2026-09-08 03:02:00,yes,warning,Ada
t3,CPU high,pay,api,2026-09-09 03:00:00,2026-09-09 03:02:00,yes,warning,Ada
t4,Disk full,pay,api,2026-09-10 10:00:00,2026-09-10 11:00:00,yes,critical,Ada
";

#[test]
fn kpis_over_this_period_the_previous_and_two_quarters_back() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("pages.csv"), THREE_WEEKS).unwrap();
    std::fs::write(d.join("mapping.toml"), MAPPING).unwrap();
    std::fs::write(
        d.join("alertsift.toml"),
        "[teams.pay]\ntimezone = \"UTC\"\n",
    )
    .unwrap();
    let run = |since: &str, until: &str, out: &str| {
        summary(
            d,
            &[
                "run",
                "pages.csv",
                "--mapping",
                "mapping.toml",
                "--since",
                since,
                "--until",
                until,
            ],
            out,
        )
    };
    // --until is inclusive of its day: the week of 7 Sep is 7–13 Sep.
    let s = run("2026-09-07", "2026-09-13", "this");
    let rows = s["kpis"]["over_periods"]["rows"]
        .as_array()
        .unwrap()
        .clone();
    let row = |k: &str| rows.iter().find(|r| r["kpi"] == k).unwrap().clone();
    let pages = row("pages");
    assert_eq!(
        (
            &pages["this"],
            &pages["previous"],
            &pages["two_quarters_back"]
        ),
        (
            &serde_json::json!(4.0),
            &serde_json::json!(2.0),
            &serde_json::json!(5.0)
        ),
        "{rows:?}"
    );
    // Two quarters back is 182 days earlier: 9–15 Mar. Its figures are
    // those of a run over that week (the report's own path).
    let back = run("2026-03-09", "2026-03-15", "back");
    assert_eq!(back["pages"], 5);
    let toil = row("toil_hours");
    assert_eq!(toil["two_quarters_back"], back["toil_hours"]);
    assert_eq!(toil["this"], s["toil_hours"]);
    assert_eq!(
        row("non_actionable_share")["two_quarters_back"],
        back["page_noise_ratio"]
    );
    assert_eq!(
        row("non_actionable_share")["previous"],
        s["previous_period"]["page_noise_ratio"]
    );
    let (now, then) = (
        toil["this"].as_f64().unwrap(),
        toil["two_quarters_back"].as_f64().unwrap(),
    );
    let reduction = s["kpis"]["over_periods"]["toil_reduction"]
        .as_f64()
        .unwrap();
    assert!((reduction - (1.0 - now / then)).abs() < 1e-9);
    assert_eq!(
        s["kpis"]["over_periods"]["toil_reduction_on_track"],
        reduction >= 0.2 - 1e-9
    );
    // No page was acknowledged: no MTTA to hold against its 5-minute target.
    let mtta = row("mtta_p50_seconds");
    assert_eq!(mtta["target"], "< 300");
    assert_eq!(
        (&mtta["this"], &mtta["within_target"]),
        (&serde_json::Value::Null, &serde_json::Value::Null)
    );
    let csv = std::fs::read_to_string(d.join("this/tables/kpis.csv")).unwrap();
    assert!(
        csv.starts_with(
            "kpi,target,this,previous,two_quarters_back,within_target\npages,,4,2,5,\n"
        ),
        "{csv}"
    );
}

/// Seven Alertmanager occurrences on Thursday 4 January 2024 (UTC; every
/// receiver pages), their runbook links worked out by hand:
/// - DiskFull (critical, storage) on db-1 carries `runbook_url` from its
///   first notification; on db-2 none: the rule has a runbook, 1 of its 2
///   pages.
/// - HighLatency (critical, web) on api-1: the link only in the re-sent
///   firing notification — the occurrence carried one.
/// - CpuHot (warning, web) on web-1: only in the resolved notification.
/// - Flaky (error, web) on x-1 (an empty `runbook_url`) and x-2: none.
/// - QueueBacklog (critical, web) at 03:00 (sleep hours): none.
///
/// Pages 7, with a runbook 3 (3/7). Rules 5, with one 3 (0.6). Tier-1
/// (critical) rules: DiskFull, HighLatency, QueueBacklog — 2 of 3 with
/// one, under the 80% target. Pages from rules without one: Flaky 2 +
/// QueueBacklog 1 = 3 (3/7). Sleep interruptions: QueueBacklog's only (1,
/// from a rule without one). Teams: storage 2 pages, 1 with a runbook;
/// web 5 pages, 2 with one.
const AM_RUNBOOKS: &str = r#"{"receiver":"pager","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"DiskFull","instance":"db-1","severity":"critical","team":"storage"},"annotations":{"summary":"Disk full on db-1","runbook_url":"https://wiki.example.com/rb/disk"},"startsAt":"2024-01-04T09:00:00Z","fingerprint":"a1"}]}
{"receiver":"pager","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"DiskFull","instance":"db-2","severity":"critical","team":"storage"},"annotations":{"summary":"Disk full on db-2"},"startsAt":"2024-01-04T09:30:00Z","fingerprint":"a2"}]}
{"receiver":"pager","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"HighLatency","instance":"api-1","severity":"critical","team":"web"},"annotations":{"summary":"Latency high on api-1"},"startsAt":"2024-01-04T10:00:00Z","fingerprint":"b1"}]}
{"receiver":"pager","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"HighLatency","instance":"api-1","severity":"critical","team":"web"},"annotations":{"summary":"Latency high on api-1","runbook":" https://wiki.example.com/rb/latency "},"startsAt":"2024-01-04T10:00:00Z","fingerprint":"b1"}]}
{"receiver":"pager","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"CpuHot","instance":"web-1","severity":"warning","team":"web"},"annotations":{"summary":"CPU hot on web-1"},"startsAt":"2024-01-04T11:00:00Z","fingerprint":"c1"}]}
{"receiver":"pager","status":"resolved","alerts":[{"status":"resolved","labels":{"alertname":"CpuHot","instance":"web-1","severity":"warning","team":"web"},"annotations":{"summary":"CPU hot on web-1","runbook_url":"https://wiki.example.com/rb/cpu"},"startsAt":"2024-01-04T11:00:00Z","endsAt":"2024-01-04T11:20:00Z","fingerprint":"c1"}]}
{"receiver":"pager","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"Flaky","instance":"x-1","severity":"error","team":"web"},"annotations":{"summary":"Flaky on x-1","runbook_url":""},"startsAt":"2024-01-04T12:00:00Z","fingerprint":"d1"}]}
{"receiver":"pager","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"Flaky","instance":"x-2","severity":"error","team":"web"},"annotations":{"summary":"Flaky on x-2"},"startsAt":"2024-01-04T14:00:00Z","fingerprint":"d2"}]}
{"receiver":"pager","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"QueueBacklog","instance":"q-1","severity":"critical","team":"web"},"annotations":{"summary":"Queue backlog on q-1"},"startsAt":"2024-01-04T03:00:00Z","fingerprint":"e1"}]}
"#;

#[test]
fn runbook_coverage_counts_a_link_from_any_notification() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("am.jsonl"), AM_RUNBOOKS).unwrap();
    let s = summary(d, &["run", "am.jsonl"], "out");
    let k = &s["kpis"];
    assert_eq!(k["runbook_coverage_pages"], 3.0 / 7.0, "{k}");
    let r = &k["runbooks"];
    let n = |v: &serde_json::Value| v.as_u64();
    assert_eq!(
        (n(&r["pages"]), n(&r["pages_with_runbook"])),
        (Some(7), Some(3))
    );
    assert_eq!(
        (n(&r["rules"]), n(&r["rules_with_runbook"])),
        (Some(5), Some(3))
    );
    assert_eq!(
        (n(&r["tier1_rules"]), n(&r["tier1_rules_with_runbook"])),
        (Some(3), Some(2))
    );
    assert_eq!(r["coverage_tier1_rules"], 2.0 / 3.0);
    assert_eq!(r["tier1_on_target"], false);
    assert_eq!(r["share_pages_from_rules_without"], 3.0 / 7.0);
    assert_eq!(
        (
            n(&r["sleep_interruptions"]),
            n(&r["sleep_interruptions_without"])
        ),
        (Some(1), Some(1))
    );
    assert_eq!(r["teams"]["storage"]["pages"], 2);
    assert_eq!(r["teams"]["storage"]["pages_with_runbook"], 1);
    assert_eq!(r["teams"]["web"]["pages"], 5);
    assert_eq!(r["teams"]["web"]["pages_with_runbook"], 2);
    // Without one, most pages first: Flaky (2), then QueueBacklog (1,
    // tier-1).
    let without = r["without"].as_array().unwrap();
    assert_eq!(r["without_total"], 2);
    assert!(without[0]["rule"].as_str().unwrap().starts_with("Flaky"));
    assert_eq!(
        (n(&without[0]["pages"]), &without[0]["tier1"]),
        (Some(2), &serde_json::json!(false))
    );
    assert!(without[1]["rule"]
        .as_str()
        .unwrap()
        .starts_with("Queue backlog"));
    assert_eq!(without[1]["tier1"], true);
    // Every rule in tables/runbooks.csv, those without one first.
    let csv = std::fs::read_to_string(d.join("out/tables/runbooks.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 6, "{csv}");
    assert!(lines[1].starts_with("Flaky"), "{csv}");
    assert!(lines[1].ends_with(",false,false,2,0,0"), "{csv}");
    // The tier-1 row of the KPIs over periods.
    let row = k["over_periods"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kpi"] == "runbook_coverage_tier1_rules")
        .unwrap();
    assert_eq!(row["within_target"], false);
    // With `[kpis] tier1_severities = ["critical", "warning"]` CpuHot is
    // tier-1 too: 3 of 4 tier-1 rules (75%), still under 80%; with the
    // target at 0.75 it is met.
    std::fs::write(
        d.join("alertsift.toml"),
        "[kpis]\ntier1_severities = [\"critical\", \"warning\"]\n[targets]\nrunbook_coverage = 0.75\n",
    )
    .unwrap();
    let s = summary(d, &["run", "am.jsonl"], "out2");
    let r = &s["kpis"]["runbooks"];
    assert_eq!(
        (n(&r["tier1_rules"]), n(&r["tier1_rules_with_runbook"])),
        (Some(4), Some(3))
    );
    assert_eq!(r["tier1_on_target"], true);
}

/// On a demo history nothing was tuned on (seed 41: Alertmanager, whose
/// rules carry `runbook_url` — some only after their first notification
/// — and Opsgenie, with `details.runbook_url`), the share of pages with a
/// runbook equals the share of paged truth rows with one.
#[test]
fn runbook_coverage_matches_the_demo_truth() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let demo = d.join("demo");
    crate::util::run_demo(
        d,
        &demo,
        &[
            "--alerts", "3000", "--weeks", "4", "--seed", "41", "--quiet",
        ],
    );
    let truth = crate::util::truth_rows(&demo);
    let paged: Vec<_> = truth.iter().filter(|r| r["paged"] == "true").collect();
    let with = paged.iter().filter(|r| !r["runbook"].is_empty()).count();
    assert!(with > 0 && with < paged.len(), "{with} of {}", paged.len());
    let from_alertmanager = truth
        .iter()
        .filter(|r| r["source"] == "alertmanager" && !r["runbook"].is_empty())
        .count();
    assert!(from_alertmanager > 0);
    let s = summary(d, &["run", demo.to_str().unwrap()], "out");
    let r = &s["kpis"]["runbooks"];
    assert_eq!(r["pages"].as_u64(), Some(paged.len() as u64));
    assert_eq!(r["pages_with_runbook"].as_u64(), Some(with as u64));
    assert_eq!(
        s["kpis"]["runbook_coverage_pages"].as_f64(),
        Some(with as f64 / paged.len() as f64)
    );
}

/// Three ServiceNow incidents of `api` in the third quarter of 2026 (UTC):
/// I1 resolved 1 Sep 12:00 and I2 started 5 Sep 10:00 (a repeat), I2
/// resolved 5 Sep 11:00 and I3 started 14 Sep 10:00 (9 days: none), I3
/// resolved 14 Sep 12:00 with none after it.
const Q3_INCIDENTS: &str = "\
number,incident_state,sys_mod_count,short_description,priority,cmdb_ci,assignment_group,opened_at,sys_updated_at,resolved_at
I1,Resolved,1,API down,1 - Critical,api,pay,1/9/2026 10:00,1/9/2026 12:00,1/9/2026 12:00
I2,Resolved,1,API down again,1 - Critical,api,pay,5/9/2026 10:00,5/9/2026 11:00,5/9/2026 11:00
I3,Resolved,1,API slow,2 - High,api,pay,14/9/2026 10:00,14/9/2026 12:00,14/9/2026 12:00
";

/// `--period quarter`: the quarter of the latest page (10 Sep 2026: 1 Jul
/// to 30 Sep), the report opening with the KPIs, and each week's KPIs.
#[test]
fn a_quarterly_review_opens_with_the_kpis_and_their_weeks() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("pages.csv"), THREE_WEEKS).unwrap();
    std::fs::write(d.join("sn.csv"), Q3_INCIDENTS).unwrap();
    std::fs::write(d.join("mapping.toml"), MAPPING).unwrap();
    std::fs::write(
        d.join("alertsift.toml"),
        "[teams.pay]\ntimezone = \"UTC\"\n[sources.servicenow]\ntimezone = \"UTC\"\n[targets]\nweighted_load_per_shift = 2\n",
    )
    .unwrap();
    let s = summary(
        d,
        &[
            "run",
            "pages.csv",
            "sn.csv",
            "--mapping",
            "mapping.toml",
            "--period",
            "quarter",
        ],
        "out",
    );
    let weeks = s["kpis"]["weekly"].as_array().unwrap();
    // 1 Jul 2026 is the Wednesday of ISO week 27; 30 Sep the Wednesday of
    // week 40: 14 weeks.
    assert_eq!(weeks.len(), 14, "{weeks:?}");
    assert_eq!(weeks[0]["week"], "2026-W27");
    assert_eq!(weeks[13]["week"], "2026-W40");
    let week = |label: &str| weeks.iter().find(|w| w["week"] == label).unwrap();
    let (w36, w37, w38) = (week("2026-W36"), week("2026-W37"), week("2026-W38"));
    assert_eq!(
        (&w36["pages"], &w37["pages"], &w38["pages"]),
        (&2.into(), &4.into(), &0.into())
    );
    // Person-shifts over a target of 2 (critical 3, warning 1; day shifts
    // 08–20): W36 Ada's day of 1 Sep (p1: 3) and the night of 1 Sep (p2:
    // 1) — one over; W37 the days of 7 and 10 Sep (3 each) and two nights
    // (1 each) — two over.
    assert_eq!(w36["weighted_shifts_over_target"], 1);
    assert_eq!(w37["weighted_shifts_over_target"], 2);
    assert_eq!(week("2026-W30")["weighted_shifts_over_target"], 0);
    // Repeats by the week the incident was resolved in: W36 I1 (repeated)
    // and I2 (not): 0.5; W37 none resolved; W38 I3: 0.
    assert_eq!(w36["repeat_incident_rate_7d"], 0.5);
    assert!(w37["repeat_incident_rate_7d"].is_null());
    assert_eq!(w38["repeat_incident_rate_7d"], 0.0);
    // No acknowledgements: no MTTA; no runbooks: 0 of the week's pages,
    // and nothing to share out in a week without pages.
    assert!(w37["mtta_p50_seconds"].is_null());
    assert_eq!(w37["runbook_coverage_pages"], 0.0);
    assert!(w38["runbook_coverage_pages"].is_null());
    // Toil share: the week's toil hours over 168 on-call hours (one team);
    // W27 has 5 days in the quarter (1–5 Jul), and no toil.
    let toil = w37["toil_hours"].as_f64().unwrap();
    assert!((w37["toil_share"].as_f64().unwrap() - toil / 168.0).abs() < 1e-12);
    let total: f64 = weeks
        .iter()
        .map(|w| w["toil_hours"].as_f64().unwrap())
        .sum();
    assert!((total - s["toil_hours"].as_f64().unwrap()).abs() < 1e-9);
    // The period's toil share over the quarter's 92 days for one team.
    let rows = s["kpis"]["over_periods"]["rows"].as_array().unwrap();
    let row = |k: &str| rows.iter().find(|r| r["kpi"] == k).unwrap().clone();
    let share = row("toil_share")["this"].as_f64().unwrap();
    assert!((share - s["toil_hours"].as_f64().unwrap() / (92.0 * 24.0)).abs() < 1e-12);
    assert_eq!(row("weighted_load_shifts_over_target")["this"], 3.0);
    // The report opens with the KPIs and their chart, then the weeks.
    let md = std::fs::read_to_string(d.join("out/report.md")).unwrap();
    assert!(md.starts_with("# Quarterly reliability review\n"), "{md}");
    let at = |h: &str| md.find(h).unwrap_or_else(|| panic!("{h} not in {md}"));
    assert!(at("## KPIs over two quarters") < at("## KPIs by week"));
    assert!(at("## KPIs by week") < at("## Charts"));
    assert!(at("charts/kpis-per-week.svg") < at("## Charts"));
    assert_eq!(md.matches("## KPIs over two quarters").count(), 1);
    let csv = std::fs::read_to_string(d.join("out/tables/kpis_weekly.csv")).unwrap();
    assert_eq!(csv.lines().count(), 15, "{csv}");
    assert!(csv.contains("\n2026-W36,2,"), "{csv}");
    let svg = std::fs::read_to_string(d.join("out/charts/kpis-per-week.svg")).unwrap();
    for panel in [
        "non-actionable share of pages",
        "median time to acknowledge, minutes",
        "7-day repeat-incident rate",
    ] {
        assert!(svg.contains(panel), "{panel}");
    }
    assert!(d.join("out/charts/kpis-per-week.png").exists());
    // Without --period quarter the KPIs stay in their place, after the
    // headline figures.
    let s = summary(
        d,
        &["run", "pages.csv", "sn.csv", "--mapping", "mapping.toml"],
        "all",
    );
    assert!(!s["kpis"]["weekly"].as_array().unwrap().is_empty());
    let md = std::fs::read_to_string(d.join("all/report.md")).unwrap();
    assert!(md.starts_with("# On-call report\n"));
    assert!(md.find("## Charts").unwrap() < md.find("## KPIs over two quarters").unwrap());
    assert!(!md.contains("## KPIs by week"));
}

/// A rule file for [`AM_RUNBOOKS`]' rules, the same alerting rules in two
/// groups: QueueBacklog (severity critical) and DiskFull (critical) with
/// a runbook annotation, Flaky with one but for severity `warning` only
/// (its pages are `error`), and a recording rule (never read).
const RULES: &str = r#"groups:
  - name: web
    rules:
      - record: job:errors:rate5m
        expr: sum(rate(errors[5m]))
      - alert: QueueBacklog
        expr: queue_depth > 1000
        labels:
          severity: critical
          team: web
        annotations:
          runbook_url: https://wiki.example.com/rb/queue
      - alert: Flaky
        expr: flaky > 0
        labels:
          severity: warning
        annotations:
          runbook_url: https://wiki.example.com/rb/flaky
  - name: storage
    rules:
      - alert: DiskFull
        expr: disk_free < 0.05
        labels:
          severity: critical
          instance: "{{ $labels.host }}"
        annotations:
          summary: Disk full on {{ $labels.instance }}
          runbook: https://wiki.example.com/rb/disk-rule
"#;

/// `run --rules`: an alert that carried no link takes its rule's. Of the
/// 7 pages (3 with their own link), QueueBacklog's (q-1) and DiskFull's on
/// db-2 take their rules': 5 of 7. Flaky's rule is for warnings, its pages
/// errors: none. Every tier-1 rule now has one (3 of 3).
#[test]
fn runbook_coverage_takes_the_rule_files_annotation_where_the_alert_had_none() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("am.jsonl"), AM_RUNBOOKS).unwrap();
    std::fs::create_dir(d.join("rules")).unwrap();
    std::fs::write(d.join("rules/web.yml"), RULES).unwrap();
    let s = summary(d, &["run", "am.jsonl", "--rules", "rules"], "out");
    let k = &s["kpis"];
    assert_eq!(k["runbook_coverage_pages"], 5.0 / 7.0, "{k}");
    let f = &k["runbook_rule_files"];
    assert_eq!(
        (
            &f["files"],
            &f["rules"],
            &f["rules_with_runbook"],
            &f["alerts_given_one"]
        ),
        (&1.into(), &3.into(), &3.into(), &2.into()),
        "{f}"
    );
    let r = &k["runbooks"];
    assert_eq!(r["tier1_rules_with_runbook"], 3);
    assert_eq!(r["tier1_on_target"], true);
    assert_eq!(r["share_pages_from_rules_without"], 2.0 / 7.0);
    // db-1 keeps its own link, db-2 has the rule's: both DiskFull pages;
    // QueueBacklog's one page (at 03:00, a sleep interruption).
    let csv = std::fs::read_to_string(d.join("out/tables/runbooks.csv")).unwrap();
    assert!(
        csv.contains("\nDisk full on <*>,storage,true,true,2,2,0\n"),
        "{csv}"
    );
    assert!(
        csv.contains("\nQueue backlog on <*>,web,true,true,1,1,1\n"),
        "{csv}"
    );
    // Without --rules: the links the alerts carried only.
    let s = summary(d, &["run", "am.jsonl"], "plain");
    assert_eq!(s["kpis"]["runbook_coverage_pages"], 3.0 / 7.0);
    assert!(s["kpis"]["runbook_rule_files"].is_null());
    // A rule file that is not one fails by name.
    std::fs::write(d.join("bad.yml"), "route:\n  receiver: x\nreceivers: []\n").unwrap();
    let o = alertsift(
        d,
        &["run", "am.jsonl", "--rules", "bad.yml", "--out", "bad"],
    );
    assert_ne!(o.status.code(), Some(0));
    assert!(
        stderr(&o).contains("an Alertmanager configuration"),
        "{}",
        stderr(&o)
    );
}

/// ServiceNow incidents with a `category` (UTC). api: C1 Network resolved
/// 2 Mar 12:00; C2 and C3 Database start 4 and 6 Mar — the same service
/// but another category: no repeat of C1; C3 repeats C2 (2 days); C4
/// Network starts 20 Mar, 14 days after C3. db: D1 Hardware resolved 1
/// Mar 10:00; D2 has no category and starts 5 Mar: a repeat of D1 by its
/// service alone.
const CATEGORISED: &str = "\
number,incident_state,sys_mod_count,short_description,priority,cmdb_ci,assignment_group,category,opened_at,sys_updated_at,resolved_at
C1,Resolved,1,API down,1 - Critical,api,web,Network,2/3/2026 10:00,2/3/2026 12:00,2/3/2026 12:00
C2,Resolved,1,API errors,2 - High,api,web,Database,4/3/2026 10:00,4/3/2026 11:00,4/3/2026 11:00
C3,Resolved,1,API errors again,2 - High,api,web,Database,6/3/2026 10:00,6/3/2026 11:00,6/3/2026 11:00
C4,Resolved,1,API down again,1 - Critical,api,web,Network,20/3/2026 10:00,20/3/2026 11:00,20/3/2026 11:00
D1,Resolved,1,DB disk,2 - High,db,data,Hardware,28/2/2026 09:00,1/3/2026 10:00,1/3/2026 10:00
D2,Resolved,1,DB slow,2 - High,db,data,?,5/3/2026 10:00,5/3/2026 11:00,5/3/2026 11:00
";

#[test]
fn a_repeat_incident_is_of_the_same_category_where_both_have_one() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("sn.csv"), CATEGORISED).unwrap();
    std::fs::write(
        d.join("alertsift.toml"),
        "[sources.servicenow]\ntimezone = \"UTC\"\n",
    )
    .unwrap();
    let s = summary(d, &["run", "sn.csv"], "out");
    let r = &s["kpis"]["repeat_incidents"];
    // 6 resolved; C2 (by C3) and D1 (by D2) repeat. By service alone C1
    // would too (C2 starts 2 days after it): 3 of 6.
    assert_eq!(
        (r["resolved"].as_u64(), r["repeated"].as_u64()),
        (Some(6), Some(2)),
        "{r}"
    );
    assert_eq!(s["kpis"]["repeat_incident_rate_7d"], 2.0 / 6.0);
    assert_eq!(r["per_service"]["api"]["repeated"], 1);
    assert_eq!(r["per_service"]["db"]["repeated"], 1);
}
