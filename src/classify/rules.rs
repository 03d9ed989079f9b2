//! The rules, one small function each over one shape: an alert's row with
//! its history columns (trigger `T`, resolve `R`, acknowledgement `A` in
//! µs; the previous occurrence's resolve and clear gap, the next trigger,
//! the fire k back, whether the source records acknowledgements), as
//! [`super::features`] lays them out. Each returns the boolean expression
//! of its code; [`rule`] maps a code of [`crate::reasons::TABLE`] to it.
//! Thresholds come from `[classify]`.

use polars::prelude::*;

use super::{us, A, HAS_ACK, NEW_EP, NEXT_T, OPEN_UNTIL, R, T, T2};
use crate::config::Thresholds;
use crate::schema as s;

/// What the rules read besides the row.
pub(super) struct Ctx<'a> {
    th: &'a Thresholds,
    /// True for sources whose repeat count is copies the vendor folded by
    /// its own de-duplication (ingest's registry says which).
    folds_repeats: Expr,
    /// True for sources where a close by a person hides their
    /// acknowledgement (ingest's registry says which).
    close_hides_ack: Expr,
}

impl<'a> Ctx<'a> {
    pub(super) fn new(th: &'a Thresholds) -> Ctx<'a> {
        let folds_repeats = crate::ingest::sources_folding_repeats()
            .into_iter()
            .map(|src| col(s::SOURCE).eq(lit(src)))
            .reduce(|a, b| a.or(b))
            .unwrap_or(lit(false));
        let close_hides_ack = crate::ingest::sources_where_close_hides_ack()
            .into_iter()
            .map(|src| col(s::SOURCE).eq(lit(src)))
            .reduce(|a, b| a.or(b))
            .unwrap_or(lit(false));
        Ctx {
            th,
            folds_repeats,
            close_hides_ack,
        }
    }
}

/// The expression of a code's rule; `None` for STORM_SECONDARY, which
/// needs the episodes first ([`storm_secondary`]), NO_WORK and RULE_WORK,
/// which need every alert's evidence first ([`rule_history`]), and unknown
/// codes.
pub(super) fn rule(code: &str, c: &Ctx<'_>) -> Option<Expr> {
    Some(match code {
        "TRANSIENT" => transient(c),
        "FLAPPING" => flapping(c),
        "DUPLICATE" => duplicate(c),
        "UNACKED" => unacked(c),
        "ACK_NO_ACTION" => ack_no_action(),
        "RECURRING" => recurring(c),
        "NON_PAGING" => non_paging(),
        "INCIDENT" => incident(),
        "MANUAL_RESOLVE" => manual_resolve(c),
        "ESCALATED" => positive(s::ESCALATIONS),
        "NOTES" => positive(s::NOTES),
        "LONG_ENGAGEMENT" => long_engagement(c),
        _ => return None,
    })
}

fn t() -> Expr {
    col(T)
}
fn r() -> Expr {
    col(R)
}
fn a() -> Expr {
    col(A)
}
fn zero() -> Expr {
    lit(0u32)
}

/// Resolved by the integration within the window, never acknowledged.
fn transient(c: &Ctx<'_>) -> Expr {
    col(s::AUTO_RESOLVED)
        .fill_null(lit(false))
        .and(a().is_null())
        .and(r().is_not_null())
        .and((r() - t()).lt_eq(lit(us(c.th.transient_window))))
}

/// Re-fires within the window of clearing (this one or the next), or more
/// than N state changes within the flapping window: the fire k back
/// ([`super::flapping_lag`]) within the window makes 2k + 1 changes (fire,
/// clear, …, fire); N = 4 needs k = 2, three fires.
fn flapping(c: &Ctx<'_>) -> Expr {
    let th = c.th;
    col(s::CLEAR_GAP_S)
        .lt_eq(lit(th.refire_window.as_secs() as i64))
        .fill_null(lit(false))
        .or(col(NEXT_T)
            .gt_eq(r())
            .and((col(NEXT_T) - r()).lt_eq(lit(us(th.refire_window))))
            .fill_null(lit(false)))
        .or(col(s::CLEAR_GAP_S).is_not_null().and(
            (t() - col(T2))
                .lt_eq(lit(us(th.flapping_window)))
                .fill_null(lit(false)),
        ))
}

/// Fires while the previous occurrence of the same identity is open, the
/// next fires while this one is, or the vendor folded repeats into it.
fn duplicate(c: &Ctx<'_>) -> Expr {
    t().lt(col(OPEN_UNTIL))
        .fill_null(lit(false))
        .or(col(NEXT_T)
            .lt(r().fill_null(lit(i64::MAX)))
            .fill_null(lit(false)))
        .or(c
            .folds_repeats
            .clone()
            .and(col(s::REPEAT_COUNT).gt(lit(1u32)))
            .fill_null(lit(false)))
}

/// Paged, resolved, never acknowledged — only for sources that record
/// acknowledgements, and not where a close by a named person hides the
/// acknowledgement (Kibana keeps only an alert's latest workflow change).
fn unacked(c: &Ctx<'_>) -> Expr {
    col(s::PAGED)
        .fill_null(lit(false))
        .and(a().is_null())
        .and(r().is_not_null())
        .and(col(HAS_ACK))
        .and(closed_hiding_ack(c).not())
}

/// Closed by a person the export names, on a source where that close hides
/// the acknowledgement.
fn closed_hiding_ack(c: &Ctx<'_>) -> Expr {
    c.close_hides_ack
        .clone()
        .and(col(s::AUTO_RESOLVED).eq(lit(false)))
        .and(col(s::RESOLVED_BY).is_not_null())
        .fill_null(lit(false))
}

/// Acknowledged, then resolved by the integration; no incident, no
/// escalation, no note.
fn ack_no_action() -> Expr {
    a().is_not_null()
        .and(col(s::AUTO_RESOLVED).fill_null(lit(false)))
        .and(col(s::INCIDENT_ID).is_null())
        .and(col(s::ESCALATIONS).fill_null(zero()).eq(zero()))
        .and(col(s::NOTES).fill_null(zero()).eq(zero()))
}

/// Its template fired at about this local time on enough days around it
/// (counted by [`super::history::recurring_days`]), and fires at this time
/// of day more than at others ([`super::history::recurring_contrast`]).
fn recurring(c: &Ctx<'_>) -> Expr {
    col(s::RECURRING_DAYS).gt_eq(lit(c.th.recurring_days)).and(
        col(s::RECURRING_CONTRAST)
            .fill_null(lit(0.0))
            .gt_eq(lit(c.th.recurring_contrast)),
    )
}

/// Informational or low urgency, or not sent to a paging channel, yet it
/// reached a person.
fn non_paging() -> Expr {
    col(s::PAGED)
        .eq(lit(false))
        .fill_null(lit(false))
        .or(col(s::SEVERITY).eq(lit("info")).fill_null(lit(false)))
        .or(col(s::URGENCY).eq(lit("low")).fill_null(lit(false)))
}

/// Evidence: incident overlap counts for alerts that paged someone.
fn incident() -> Expr {
    col(s::INCIDENT_ID)
        .is_not_null()
        .and(col(s::PAGED).fill_null(lit(false)))
}

/// Evidence: acknowledged, and resolved by a person (or, where a close
/// hides the acknowledgement, closed by a named person).
fn manual_resolve(c: &Ctx<'_>) -> Expr {
    a().is_not_null()
        .and(col(s::AUTO_RESOLVED).eq(lit(false)).fill_null(lit(false)))
        .or(closed_hiding_ack(c))
}

/// Evidence: a count (escalations, notes) above zero.
fn positive(column: &str) -> Expr {
    col(column).gt(zero()).fill_null(lit(false))
}

/// Evidence: acknowledged at least this long before it resolved.
fn long_engagement(c: &Ctx<'_>) -> Expr {
    (r() - a())
        .gt_eq(lit(us(c.th.long_engagement)))
        .fill_null(lit(false))
}

/// The rule's history (after the episodes: incident overlap that only a
/// storm's lead explains does not count): its pages, those that led to
/// work, and the two rules on them — NO_WORK (a paged alert of a rule with
/// at least `rule_min_pages` pages, at most `rule_no_work_share` of which
/// led to work) and RULE_WORK (at least `rule_work_share` of them did).
///
/// An incident overlaps a noisy rule's page now and then by chance, the
/// more often the more of the time its team has an incident open: NO_WORK
/// forgives overlaps up to what chance explains (`rule_chance_pages`, `E`,
/// plus `rule_chance_sigmas` standard deviations, `√E` as for a Poisson
/// count), while work by a person counts against it from the first.
/// Returns the per-rule counts (pages, work, chance), then the two flags.
pub(super) fn rule_history(c: &Ctx<'_>) -> PolarsResult<([Expr; 3], [Expr; 2])> {
    let flag = super::feature_column;
    let paged = || col(s::PAGED).fill_null(lit(false));
    let any = |codes: &[&str]| {
        codes
            .iter()
            .map(|code| col(flag(code)))
            .reduce(|x, y| x.or(y))
            .unwrap_or(lit(false))
    };
    let by_person = || any(&["MANUAL_RESOLVE", "ESCALATED", "NOTES"]);
    let work = any(&["INCIDENT", "MANUAL_RESOLVE", "ESCALATED", "NOTES"]);
    let over = |e: Expr| e.over([col(s::TEMPLATE_ID)]);
    let per_rule = |e: Expr| over(e.cast(DataType::UInt32).sum());
    let f = |e: Expr| e.cast(DataType::Float64);
    let pages = || col(s::RULE_PAGES);
    let worked = || col(s::RULE_WORK_PAGES);
    let enough = || pages().gt_eq(lit(c.th.rule_min_pages));
    let chance = || col(s::RULE_CHANCE_PAGES);
    let people = per_rule(paged().and(by_person()))?;
    let overlaps_only = per_rule(paged().and(col(flag("INCIDENT"))).and(by_person().not()))?;
    let chance_bound = chance() + lit(c.th.rule_chance_sigmas) * chance().sqrt();
    let counts = [
        per_rule(paged())?.alias(s::RULE_PAGES),
        per_rule(paged().and(work))?.alias(s::RULE_WORK_PAGES),
        over((f(paged()) * col(super::CHANCE)).sum())?.alias(s::RULE_CHANCE_PAGES),
    ];
    Ok((
        counts,
        [
            paged()
                .and(enough())
                .and(f(people).lt_eq(f(pages()) * lit(c.th.rule_no_work_share)))
                .and(f(overlaps_only).lt_eq(chance_bound))
                .alias(flag("NO_WORK")),
            enough()
                .and(
                    worked()
                        .cast(DataType::Float64)
                        .gt_eq(pages().cast(DataType::Float64) * lit(c.th.rule_work_share)),
                )
                .alias(flag("RULE_WORK")),
        ],
    ))
}

/// Not the first alert of an episode whose first alert is actionable, and
/// not the lead's own rule re-firing (needs the episode columns).
pub(super) fn storm_secondary() -> Expr {
    col(NEW_EP)
        .not()
        .and(col("__lead_pre"))
        .and(col(s::TEMPLATE_ID).neq(col("__lead_template")))
}
