//! `review.csv`: the alerts a person should tag next.
//!
//! Priority = uncertainty × consequence: uncertainty is `1 − |2·score − 1|`
//! (1 at score 0.5, 0 at 0 or 1), consequence is `ln(1 + n)` where `n` is the
//! number of alerts sharing the template (a tag there settles many). Tagged
//! alerts are left out; ties go to the smaller alert id (then the earlier
//! row). The file starts with `alert_id,label,category`, so once `label` is
//! filled in it is the next run's `--labels` input.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::path::Path;

use polars::prelude::*;

use crate::classify::tags::Tags;
use crate::core::fs::write_atomic;
use crate::core::intern::{codes, Interner, NO_NAME};
use crate::core::time::rfc3339_utc;
use crate::error::Error;
use crate::schema as s;

/// Write the `n` alerts most worth tagging.
pub fn write(path: &Path, df: &DataFrame, tags: Option<&Tags>, n: usize) -> Result<(), Error> {
    let what = "the review queue";
    let strs = |name: &str| {
        df.column(name)
            .and_then(|c| c.str().cloned())
            .map_err(Error::polars(what))
    };
    let ids = strs(s::ALERT_ID)?;
    let label = strs(s::LABEL)?;
    let template = strs(s::TEMPLATE)?;
    let title = strs(s::TITLE)?;
    let source = strs(s::SOURCE)?;
    let team = strs(s::TEAM)?;
    let score = df
        .column(s::SCORE)
        .and_then(|c| c.f64().cloned())
        .map_err(Error::polars(what))?;
    let trig = df
        .column(s::TRIGGERED_AT)
        .and_then(|c| c.cast(&DataType::Int64))
        .and_then(|c| c.i64().cloned())
        .map_err(Error::polars(what))?;
    let reasons = df
        .column(s::REASONS)
        .and_then(|c| c.list().cloned())
        .map_err(Error::polars(what))?;
    // Alerts per template, counted by code (one hash lookup per distinct
    // template, not per row).
    let mut templates = Interner::default();
    let template_of = codes(&template, &mut templates);
    let mut similar = vec![0u64; templates.names.len() + 1];
    for &c in &template_of {
        similar[(c as usize).min(templates.names.len())] += 1;
    }
    // Alerts with the same template as row `i` (none without a template).
    let similar_to = |i: usize| match template_of.get(i) {
        Some(&c) if c != NO_NAME => similar.get(c as usize).copied(),
        _ => None,
    };
    // The `n` best rows so far, the worst of them on top: a row better
    // than that one takes its place (no vector of every alert, no
    // selection over 10M of them).
    let mut best: BinaryHeap<Candidate> =
        BinaryHeap::with_capacity(n.saturating_add(1).min(ids.len()));
    for (i, (id, p)) in ids.iter().zip(score.iter()).enumerate() {
        let Some(id) = id else { continue };
        if tags.is_some_and(|t| t.labels.contains_key(id)) {
            continue;
        }
        let p = p.unwrap_or(0.5);
        let n_similar = similar_to(i).unwrap_or(1);
        let priority = (1.0 - (2.0 * p - 1.0).abs()) * (1.0 + n_similar as f64).ln();
        let row = Candidate(priority, id, i);
        if best.len() < n {
            best.push(row);
        } else if best.peek().is_some_and(|worst| row < *worst) {
            best.pop();
            best.push(row);
        }
    }
    let rows: Vec<(f64, &str, usize)> = best
        .into_sorted_vec()
        .into_iter()
        .map(|Candidate(p, id, i)| (p, id, i))
        .collect();
    let codes: Vec<String> = rows
        .iter()
        .map(|&(_, _, i)| {
            reasons
                .get_as_series(i)
                .and_then(|s| {
                    s.str()
                        .ok()
                        .map(|c| c.iter().flatten().collect::<Vec<_>>().join(" "))
                })
                .unwrap_or_default()
        })
        .collect();
    write_atomic(path, |f| {
        let mut w = csv::Writer::from_writer(f);
        let err = |e: csv::Error| std::io::Error::other(e.to_string());
        w.write_record([
            "alert_id",
            "label",
            "category",
            "suggested",
            "score",
            "reasons",
            "similar",
            "template",
            "title",
            "source",
            "team",
            "triggered_at",
        ])
        .map_err(err)?;
        for ((_, id, i), codes) in rows.iter().zip(&codes) {
            w.write_record([
                *id,
                "",
                "",
                label.get(*i).unwrap_or(""),
                &format!("{:.3}", score.get(*i).unwrap_or(0.0)),
                codes,
                &similar_to(*i).unwrap_or(0).to_string(),
                template.get(*i).unwrap_or(""),
                title.get(*i).unwrap_or(""),
                source.get(*i).unwrap_or(""),
                team.get(*i).unwrap_or(""),
                &trig.get(*i).map(rfc3339_utc).unwrap_or_default(),
            ])
            .map_err(err)?;
        }
        w.flush()
    })?;
    Ok(())
}

/// A row of the queue: priority, alert id, row. Ordered best first —
/// higher priority, then the smaller id, then the earlier row — so the
/// greatest is the worst.
struct Candidate<'a>(f64, &'a str, usize);

impl Ord for Candidate<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.0.total_cmp(&self.0))
            .then_with(|| self.1.cmp(other.1))
            .then_with(|| self.2.cmp(&other.2))
    }
}

impl PartialOrd for Candidate<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Candidate<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Candidate<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Five alerts, two of template T (n = 2: consequence ln 3) and three
    /// of U (ln 4). Uncertainty: score 0.5 → 1, 0.25 → 0.5, 0.9 → 0.2.
    /// Priorities: a (U, 0.5) ln 4; b (T, 0.5) ln 3; c (U, 0.25) and d (U,
    /// 0.75) both 0.5·ln 4, a tie the smaller id wins; e (T, 0.9) 0.2·ln 3.
    /// The best three: a, b, c.
    #[test]
    fn the_queue_keeps_the_best_rows_in_order() {
        let time = Column::new("t".into(), [1i64, 2, 3, 4, 5])
            .cast(&DataType::Datetime(
                TimeUnit::Microseconds,
                Some(TimeZone::UTC),
            ))
            .unwrap()
            .with_name(s::TRIGGERED_AT.into());
        let reasons: Vec<Option<Series>> = (0..5)
            .map(|_| Some(Series::new("".into(), ["TRANSIENT"])))
            .collect();
        let df = DataFrame::new_infer_height(vec![
            Column::new(s::ALERT_ID.into(), ["e", "d", "c", "b", "a"]),
            Column::new(s::LABEL.into(), ["noise"; 5]),
            Column::new(s::TEMPLATE.into(), ["T", "U", "U", "T", "U"]),
            Column::new(s::TITLE.into(), ["<b>x</b>"; 5]),
            Column::new(s::SOURCE.into(), ["pagerduty"; 5]),
            Column::new(s::TEAM.into(), ["payments"; 5]),
            Column::new(s::SCORE.into(), [0.9, 0.75, 0.25, 0.5, 0.5]),
            time,
            Column::new(s::REASONS.into(), reasons),
        ])
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("review.csv");
        write(&path, &df, None, 3).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let ids: Vec<&str> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap())
            .collect();
        assert_eq!(ids, ["a", "b", "c"]);
        // Each row's `similar`: the alerts of its template.
        let similar: Vec<&str> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(6).unwrap())
            .collect();
        assert_eq!(similar, ["3", "2", "3"]);
    }
}
