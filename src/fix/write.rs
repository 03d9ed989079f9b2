//! What `fix` writes: `fix.diff`, `fix.md`, `fix.json`.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use super::check::Check;
use super::plan::Plan;
use crate::error::Error;

/// `fix.json`.
#[derive(Debug, Clone, Serialize)]
pub struct FixReport<'a> {
    /// The plan: changes, rules without definitions, definitions that
    /// never fired.
    #[serde(flatten)]
    pub plan: &'a Plan,
    /// The files the diff changes, as given.
    pub changed_files: Vec<String>,
    /// The tools' verdicts.
    pub checks: &'a [Check],
    /// Pages the replay test checks (0: no test written).
    pub replay_checks: usize,
    /// Whether the files were changed in place (`--write`).
    pub written_in_place: bool,
}

/// Write `fix.json`, `fix.md` and `fix.diff` into `out`.
pub fn write(out: &Path, report: &FixReport<'_>, diff: &str) -> Result<(), Error> {
    let json = serde_json::to_string_pretty(report).map_err(|e| Error::Output {
        path: out.join("fix.json"),
        source: std::io::Error::other(e),
    })?;
    for (name, text) in [
        ("fix.json", json + "\n"),
        ("fix.md", markdown(report)),
        ("fix.diff", diff.to_string()),
    ] {
        let path = out.join(name);
        crate::core::fs::write_atomic(&path, |f| std::io::Write::write_all(f, text.as_bytes()))?;
    }
    Ok(())
}

fn markdown(r: &FixReport<'_>) -> String {
    let plan = r.plan;
    let mut s = String::from("# alertsift fix\n\n");
    let written = plan.changes.iter().filter(|c| c.written).count();
    let _ = writeln!(
        s,
        "{} rule(s) with a recommendation; {written} written to `fix.diff`{}, {} described below for a person to make.\n",
        plan.changes.len(),
        if r.changed_files.is_empty() {
            String::new()
        } else {
            format!(" ({})", r.changed_files.join(", "))
        },
        plan.changes.len() - written
    );
    if r.written_in_place {
        s.push_str(
            "The files were changed in place (`--write`); the originals are kept as `*.orig`.\n\n",
        );
    }
    for (i, c) in plan.changes.iter().enumerate() {
        let e = &c.evidence;
        let _ = writeln!(
            s,
            "## {}. `{}` ({}:{}, group {})\n",
            i + 1,
            c.rule,
            c.file,
            c.line,
            c.group
        );
        evidence(&mut s, e, &c.change, |s| {
            if let (Some(b), Some(a)) = (&c.before, &c.after) {
                let _ = writeln!(s, "- Before → after: `{b}` → `{a}`");
            } else if let Some(a) = &c.after {
                let _ = writeln!(s, "- Adds: `{a}`");
            }
        });
        match (&c.note, c.written) {
            (Some(n), false) => {
                let _ = writeln!(s, "- Not in the patch: {n}");
            }
            (Some(n), true) => {
                let _ = writeln!(s, "- In `fix.diff`. Note: {n}");
            }
            (None, true) => s.push_str("- In `fix.diff`.\n"),
            (None, false) => {}
        }
        s.push('\n');
    }
    if !plan.undefined.is_empty() {
        s.push_str("## Rules of the history with no definition in the files\n\n");
        for (name, n) in &plan.undefined {
            let _ = writeln!(s, "- `{name}`: {n} pages");
        }
        s.push('\n');
    }
    if !plan.ambiguous.is_empty() {
        s.push_str(
            "## Rules of the history that match more than one definition (left unchanged)\n\n",
        );
        for (name, n) in &plan.ambiguous {
            let _ = writeln!(
                s,
                "- `{name}`: {n} pages fit two or more definitions of that name, and no literal label tells them apart"
            );
        }
        s.push('\n');
    }
    if !plan.never_fired.is_empty() {
        s.push_str("## Definitions that never paged in the history\n\n");
        for d in &plan.never_fired {
            let _ = writeln!(s, "- {d}");
        }
        s.push('\n');
    }
    if plan.other_sources > 0 {
        let _ = writeln!(
            s,
            "## Sources without rule files: the change in the vendor's terms\n\n{} pages came from sources without rule files; each noisy template's change, worked out on its own pages, is below: make it in the vendor's settings.\n",
            plan.other_sources
        );
        for (i, v) in plan.vendor.iter().enumerate() {
            let _ = writeln!(
                s,
                "### {}. `{}` ({}{})\n",
                i + 1,
                v.template,
                v.source,
                if v.services.is_empty() {
                    String::new()
                } else {
                    format!(", {}", v.services.join(", "))
                }
            );
            evidence(&mut s, &v.evidence, &v.change, |_| {});
            s.push('\n');
        }
    }
    s.push_str("## Checks\n\n");
    for c in r.checks {
        let verdict = match c.passed {
            Some(true) => "passed",
            Some(false) => "FAILED",
            None => "not run",
        };
        let _ = writeln!(s, "- `{}`: {verdict}", c.what);
        if c.passed != Some(true) && !c.output.is_empty() {
            let _ = writeln!(s, "\n```\n{}\n```\n", c.output);
        }
    }
    if r.replay_checks > 0 {
        let _ = writeln!(
            s,
            "\n`replay-test.yml` replays each changed `for:` and `keep_firing_for:` over its rule's own history ({} pages): rerun it with `promtool test rules replay-test.yml` in this directory.",
            r.replay_checks
        );
    }
    s
}

/// A change's evidence, the change (then `between`'s lines) and its
/// replayed effect, as list items.
fn evidence(
    s: &mut String,
    e: &crate::whatif::recommend::Recommendation,
    change: &str,
    between: impl FnOnce(&mut String),
) {
    let reasons: Vec<String> = e.reasons.iter().map(|(r, n)| format!("{r} {n}")).collect();
    let _ = writeln!(
        s,
        "- Evidence: {} pages in the period, {} of them noise ({}); {:.1} toil hours.",
        e.pages,
        e.noise_pages,
        reasons.join(", "),
        e.toil_hours
    );
    let _ = writeln!(s, "- Change: {change}");
    between(s);
    let _ = writeln!(
        s,
        "- Replayed, per week: {:.1} pages, {:.1} sleep interruptions and {:.1} toil hours saved; actionable pages delayed {}, hidden {} (in the whole period).",
        e.saved_pages_per_week,
        e.saved_sleep_pages_per_week,
        e.saved_toil_hours_per_week,
        e.actionable_delayed,
        e.actionable_hidden
    );
}
