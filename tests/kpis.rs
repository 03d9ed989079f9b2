//! The reliability-review KPIs (issue #29) through the binary, on small
//! hand-built exports whose every figure is worked out in the comments.

use crate::util::{alertsift, stderr};

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
    let o = alertsift(d, &["run", "sn.csv", "--out", "out", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("out/summary.json")).unwrap())
            .unwrap();
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
    let o = alertsift(d, &["run", "sn.csv", "--out", "out30", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("out30/summary.json")).unwrap())
            .unwrap();
    let r = &s["kpis"]["repeat_incidents"];
    assert_eq!(r["repeated"], 3, "{r}");
    assert_eq!(s["kpis"]["repeat_incident_rate_7d"], 0.2);
    let chains: Vec<Vec<String>> = r["chains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| serde_json::from_value(c["incidents"].clone()).unwrap())
        .collect();
    assert_eq!(chains, [vec!["INC1", "INC2", "INC3"], vec!["INC4", "INC5"]]);
}
