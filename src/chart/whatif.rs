//! The what-if chart (`whatif.svg`): the sweep's trade-off curve with its
//! knee, else pages before and after each policy.

use std::path::Path;

use super::{bar_chart, line_chart, Line, Mark};
use crate::core::fs::write_atomic;
use crate::error::Error;
use crate::whatif::{SweepPoint, WhatIf};

/// The what-if chart: the sweep's trade-off curve with its knee, else
/// pages and sleep interruptions before and after per policy.
pub fn chart(w: &WhatIf) -> String {
    if let Some(sw) = &w.sweep {
        let minutes = |p: &SweepPoint| p.value_seconds as f64 / 60.0;
        let line = |name: &str, y: fn(&SweepPoint) -> u64| Line {
            name: name.into(),
            points: sw
                .points
                .iter()
                .map(|p| (minutes(p), y(p) as f64))
                .collect(),
        };
        let saved = line("pages saved", |p| p.pages_saved);
        let sleep = line("sleep interruptions saved", |p| p.sleep_interruptions_saved);
        let hidden = line("actionable pages hidden", |p| p.actionable_hidden);
        let mark = sw.knee.and_then(|k| sw.points.get(k)).map(|p| Mark {
            at: (minutes(p), p.pages_saved as f64),
            label: format!(
                "knee: {} ({} pages saved)",
                crate::core::duration::exact(std::time::Duration::from_secs(p.value_seconds)),
                p.pages_saved
            ),
        });
        return line_chart(
            &format!(
                "Trade-off of {}: pages saved against actionable pages hidden",
                sw.parameter
            ),
            &format!(
                "{} (minutes; actionable pages that still notify are delayed by it)",
                sw.parameter
            ),
            "pages over the history",
            &[saved, sleep, hidden],
            mark.as_ref(),
        );
    }
    let names: Vec<String> = w.policies.iter().map(|o| o.name.clone()).collect();
    bar_chart(
        "Pages before and after each policy",
        "policy",
        "pages over the history",
        &names,
        &[
            (
                "pages before".into(),
                w.policies
                    .iter()
                    .map(|o| o.all.before.pages as f64)
                    .collect(),
            ),
            (
                "pages after".into(),
                w.policies
                    .iter()
                    .map(|o| o.all.after.pages as f64)
                    .collect(),
            ),
            (
                "actionable pages hidden".into(),
                w.policies
                    .iter()
                    .map(|o| o.all.actionable_hidden.count as f64)
                    .collect(),
            ),
        ],
    )
}

/// Draw the chart into `out` as `whatif.svg` and `whatif.png`.
pub fn write(out: &Path, w: &WhatIf) -> Result<(), Error> {
    let svg = chart(w);
    let png = super::png::png("whatif.svg", &svg)?;
    for (name, bytes) in [("whatif.svg", svg.as_bytes()), ("whatif.png", &png[..])] {
        write_atomic(&out.join(name), |f| {
            use std::io::Write;
            f.write_all(bytes)
        })?;
    }
    Ok(())
}
