//! `rules.csv`: each rule's detection quality on a history worked out by
//! hand (`tests/fixtures/rules/`): the pages go in with the generic mapping
//! of `tests/fixtures/headline/`, the incidents with their own, both into
//! one store, then `run --store`.
//!
//! Rule A, "Database disk almost full" (service db): pages Mon–Thu
//! 2026-03-02..05 at 10:00, each acknowledged and resolved by a person.
//! Rule B, "Web CPU saturated" (service api): pages Mon 12:00 and 18:00,
//! each resolved by itself after 2 minutes, never acknowledged (noise).
//! Incidents: INC1 db Mon 10:10–11:00, INC2 db Wed 10:20–10:40, INC3 db
//! Thu 15:00–16:00, INC4 api Mon 20:00–21:00. The period: Mon 00:00 to
//! Fri 00:00; the incident lead 30 minutes.

use crate::util::*;

#[test]
fn rules_csv_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (f, h) = (fixture("rules"), fixture("headline"));
    let store = d.join("store");
    let st = store.to_str().unwrap();
    for (file, mapping) in [
        (f.join("pages.csv"), h.join("mapping.toml")),
        (f.join("incidents.csv"), f.join("incidents.toml")),
    ] {
        let o = alertsift(
            d,
            &[
                "ingest",
                file.to_str().unwrap(),
                "--mapping",
                mapping.to_str().unwrap(),
                "--store",
                st,
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let out = d.join("out");
    let o = alertsift(d, &["run", "--store", st, "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut r = csv::Reader::from_path(out.join("rules.csv")).unwrap();
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "template_id",
            "template",
            "pages",
            "noise_pages",
            "noise_share",
            "incident_pages",
            "precision",
            "precision_low",
            "precision_high",
            "services",
            "incidents",
            "silent_incidents",
            "lead_time_p50_s"
        ]
    );
    let rows: Vec<Vec<String>> = r
        .records()
        .map(|rec| rec.unwrap().iter().skip(1).map(str::to_string).collect())
        .collect();
    // A: 4 pages; Mon's (10 min before INC1) and Wed's (20 min before INC2)
    // overlap an incident: precision 2/4, Clopper–Pearson [0.068, 0.932]
    // (R: binom.test(2, 4) gives 0.0676 and 0.9324). Its service had three
    // incidents in the period; INC3 (5 h after Thu's page) was announced by
    // none: 1 silent. Lead times 600 and 1200 s: median 900.
    // B: 2 noise pages, neither within 30 min before INC4 (the later is 2 h
    // before): precision 0, [0, 0.842] (binom.test(0, 2): 0.8419); INC4
    // silent; no lead time.
    assert_eq!(
        rows,
        vec![
            vec![
                "Database disk almost full",
                "4",
                "0",
                "0",
                "2",
                "0.5",
                "0.068",
                "0.932",
                "1",
                "3",
                "1",
                "900"
            ],
            vec![
                "Web CPU saturated",
                "2",
                "2",
                "1",
                "0",
                "0",
                "0",
                "0.842",
                "1",
                "1",
                "1",
                ""
            ],
        ]
    );
    // explain tells the rule's record with the alert's own evidence.
    let o = alertsift(d, &["explain", "a3", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("its rule (rules.csv): 4 pages in the run, 0% noise; 2 overlapped an incident (precision 50%, 95% interval 7% to 93%); 1 of the 3 incidents of its services had no page of it before they started; median lead 15m00s"),
        "{text}"
    );
}
