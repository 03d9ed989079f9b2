//! `review.csv`: the alerts a person should tag next.
//!
//! Priority = uncertainty × consequence: uncertainty is `1 − |2·score − 1|`
//! (1 at score 0.5, 0 at 0 or 1), consequence is `ln(1 + n)` where `n` is the
//! number of alerts sharing the template (a tag there settles many). Tagged
//! alerts are left out; ties go to the smaller alert id. The file starts
//! with `alert_id,label,category`, so once `label` is filled in it is the
//! next run's `--labels` input.

use std::path::Path;

use polars::prelude::*;

use crate::classify::tags::Tags;
use crate::error::Error;
use crate::ingest::time::rfc3339_utc;
use crate::intern::{codes, Interner, NO_NAME};
use crate::schema as s;
use crate::store::write_atomic;

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
    let mut rows: Vec<(f64, &str, usize)> = Vec::new();
    for (i, (id, p)) in ids.iter().zip(score.iter()).enumerate() {
        let Some(id) = id else { continue };
        if tags.is_some_and(|t| t.labels.contains_key(id)) {
            continue;
        }
        let p = p.unwrap_or(0.5);
        let n = similar_to(i).unwrap_or(1);
        let priority = (1.0 - (2.0 * p - 1.0).abs()) * (1.0 + n as f64).ln();
        rows.push((priority, id, i));
    }
    let order = |a: &(f64, &str, usize), b: &(f64, &str, usize)| {
        b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1))
    };
    if n < rows.len() {
        rows.select_nth_unstable_by(n, order);
        rows.truncate(n);
    }
    rows.sort_by(order);
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
