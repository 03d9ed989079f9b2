//! The real exports in `../shared/data`: a ServiceNow incident log and a
//! capture of what a real Alertmanager 0.25 sent.

use crate::util::*;

const LONDON: &str = "[sources.servicenow]\ntimezone = \"Europe/London\"\n";

#[test]
fn servicenow_head_file_has_2000_incidents() {
    let Some(path) = shared("servicenow/incident_event_log_head.csv") else {
        return;
    };
    let b = ingest(&[path], LONDON);
    // 14,041 update rows of 2,000 incidents (counted with a one-line script
    // over the file's `number` column).
    assert_eq!(b.inputs[0].records, 14_041);
    assert_eq!(b.incidents.height(), 2_000);
    assert_eq!(b.rejects.len(), 0);
    // INC0000045's last update (sys_mod_count 4): Closed, opened 29/2/2016
    // 01:16, resolved 11:29 (GMT = UTC in February), priority 3 - Moderate.
    let inc = &b.incidents;
    let i = row(inc, "incident_id", "INC0000045");
    assert_eq!(text(inc, "status", i).as_deref(), Some("Closed"));
    assert_eq!(
        time(inc, "started_at", i).as_deref(),
        Some("2016-02-29T01:16:00Z")
    );
    assert_eq!(
        time(inc, "resolved_at", i).as_deref(),
        Some("2016-02-29T11:29:00Z")
    );
    assert_eq!(
        time(inc, "updated_at", i).as_deref(),
        Some("2016-03-05T12:00:00Z")
    );
    assert_eq!(text(inc, "severity", i).as_deref(), Some("warning"));
    assert_eq!(text(inc, "team", i).as_deref(), Some("Group 56"));
    assert_eq!(text(inc, "service", i), None); // `?`
                                               // The severities of the 2,000: 25 critical, 58 error, 1,733 warning, 184 info.
    let sev = inc.column("severity").unwrap().str().unwrap().clone();
    let n = |v: &str| sev.iter().filter(|s| *s == Some(v)).count();
    assert_eq!(
        (n("critical"), n("error"), n("warning"), n("info")),
        (25, 58, 1733, 184)
    );
}

#[test]
fn servicenow_resaved_variant_reads_the_same() {
    let (Some(head), Some(resaved)) = (
        shared("servicenow/incident_event_log_head.csv"),
        shared("servicenow/incident_event_log_excel_resaved.csv"),
    ) else {
        return;
    };
    let b = ingest(&[resaved], LONDON);
    assert_eq!(b.inputs[0].records, 5_998);
    assert_eq!(b.incidents.height(), 890);
    assert_eq!(b.rejects.len(), 0);
    let h = ingest(&[head], LONDON);
    for id in ["INC0000045", "INC0001434"] {
        let (i, j) = (
            row(&b.incidents, "incident_id", id),
            row(&h.incidents, "incident_id", id),
        );
        for c in ["started_at", "resolved_at", "updated_at"] {
            assert_eq!(
                time(&b.incidents, c, i),
                time(&h.incidents, c, j),
                "{id} {c}"
            );
        }
    }
    let i = row(&b.incidents, "incident_id", "INC0001434");
    assert_eq!(
        time(&b.incidents, "started_at", i).as_deref(),
        Some("2016-03-02T15:33:00Z")
    );
}

#[test]
fn alertmanager_capture_folds_into_seven_occurrences() {
    let Some(path) = shared("alertmanager/webhook-capture-70s.jsonl") else {
        return;
    };
    let b = ingest(&[path], "[paging]\nalertmanager_receivers = [\"pager\"]\n");
    let a = &b.alerts;
    // 12 payloads, 7 occurrences: 4 ProbeFlapping, 2 DeployFinished, 1 DiskAlmostFull.
    assert_eq!(b.inputs[0].records, 12);
    assert_eq!(a.height(), 7);
    let titles: Vec<String> = (0..7).map(|i| text(a, "title", i).unwrap()).collect();
    let n = |t: &str| titles.iter().filter(|x| x.contains(t)).count();
    assert_eq!(n("Probe failing"), 4);
    assert_eq!(n("Deployment of warehouse"), 2);
    assert_eq!(n("Disk usage 93.5% on store-01.prod.internal"), 1);
    // Pages: every ProbeFlapping and DiskAlmostFull went to `pager`; DeployFinished to `slack`.
    let paged = (0..7)
        .filter(|&i| flag(a, "paged", i) == Some(true))
        .count();
    assert_eq!(paged, 5);
    // Open at the end of the capture: DiskAlmostFull and the 4th ProbeFlapping (00:21:40).
    let open: Vec<String> = (0..7)
        .filter(|&i| time(a, "resolved_at", i).is_none())
        .map(|i| text(a, "alert_id", i).unwrap())
        .collect();
    assert_eq!(open.len(), 2, "{open:?}");
    assert!(
        open.contains(&"6153f5a17ef03ed9@2026-11-22T00:21:40.963Z".to_string()),
        "{open:?}"
    );
    // The first ProbeFlapping fired 6 s (vector(time() % 20) < 6).
    let i = row(a, "alert_id", "6153f5a17ef03ed9@2026-11-22T00:20:40.963Z");
    assert_eq!(
        time(a, "resolved_at", i).as_deref(),
        Some("2026-11-22T00:20:46.963Z")
    );
    assert_eq!(text(a, "team", i).as_deref(), Some("platform"));
    assert_eq!(text(a, "service", i).as_deref(), Some("ingress"));
}
