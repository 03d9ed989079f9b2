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
