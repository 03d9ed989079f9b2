//! The reason codes and the kinds of actionable evidence, in one table
//! (domain.md, "Evidence that an alert is noise"): each with its code, its
//! bit, its default weight in the score, the `[classify]` keys its rule
//! reads, what the rule says, and the text `explain` prints for an alert
//! that carries it. classify (the rules and the model's default weights),
//! the page model (the bits), the report (the counts), the
//! recommendations and `explain` all read this table; a new reason is one
//! entry here and its rule in `classify::rules`.

use std::time::Duration;

use crate::config::Thresholds;

/// Whether a code is evidence of noise or of an actionable alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A noise reason code (an alert may carry several).
    Noise,
    /// Actionable evidence (outweighs noise reasons in the score).
    Actionable,
}

/// One reason code or kind of evidence.
#[derive(Debug, Clone, Copy)]
pub struct Reason {
    /// The code, as `reasons` lists it: `TRANSIENT`.
    pub code: &'static str,
    /// Noise or actionable.
    pub kind: Kind,
    /// Its default weight in the score's logistic model (with [`BIAS`]);
    /// tags, when given, fit others.
    pub weight: f64,
    /// The `[classify]` keys its rule reads.
    pub thresholds: &'static [&'static str],
    /// What the rule says, in one line.
    pub rule: &'static str,
    /// What `explain` prints for an alert that carries it (`None`: the
    /// evidence is absent).
    pub explain: fn(&Evidence<'_>, &Thresholds) -> Option<String>,
}

/// The score's intercept with the default weights: with no reason and no
/// evidence an alert scores 0.12 (actionable); any one noise reason makes it
/// at least 0.88 unless evidence outweighs it.
pub const BIAS: f64 = -2.0;

/// Every code: the noise reasons first (in report order; bit k is entry k),
/// then the actionable evidence.
pub const TABLE: [Reason; 15] = [
    // TRANSIENT and RECURRING weigh most: nobody touched a self-resolving
    // blip, and a nightly job is known in advance.
    Reason {
        code: "TRANSIENT",
        kind: Kind::Noise,
        weight: 6.0,
        thresholds: &["transient_window"],
        rule: "resolved by the integration within the window, never acknowledged",
        explain: |e, th| {
            Some(format!(
                "resolved by the integration {} after trigger, never acknowledged; threshold {}",
                human(e.secs(e.triggered, e.resolved)),
                exact(th.transient_window)
            ))
        },
    },
    Reason {
        code: "FLAPPING",
        kind: Kind::Noise,
        weight: 4.0,
        thresholds: &["refire_window", "flapping_changes", "flapping_window"],
        rule: "re-fires within the window of clearing, or more than N state changes within the flapping window",
        explain: |e, th| {
            Some(match e.clear_gap_s {
                Some(gap) if gap <= th.refire_window.as_secs() as i64 => format!(
                    "fired {} after the previous occurrence of the same alert cleared; threshold {}",
                    human(gap),
                    exact(th.refire_window)
                ),
                _ => format!(
                    "the same alert fired again within {} of this one clearing, or more than {} state changes within {}",
                    exact(th.refire_window),
                    th.flapping_changes,
                    exact(th.flapping_window)
                ),
            })
        },
    },
    Reason {
        code: "DUPLICATE",
        kind: Kind::Noise,
        weight: 4.0,
        thresholds: &[],
        rule: "fires while an occurrence of the same identity is open, or the vendor folded repeats into it",
        explain: |e, _| {
            let key = e
                .dedup_key
                .map(|k| format!("dedup key {k}"))
                .unwrap_or_else(|| "service and title".into());
            Some(match e.folded_repeats {
                Some(n) if n > 1 => format!("the vendor folded {n} repeats into it ({key})"),
                _ => format!(
                    "another occurrence with the same identity ({key}) was open when it fired, or fired while it was open"
                ),
            })
        },
    },
    Reason {
        code: "UNACKED",
        kind: Kind::Noise,
        weight: 4.0,
        thresholds: &[],
        rule: "paged, and nobody acknowledged it before it resolved (sources that record acknowledgements; not a close by a named person where that close hides the acknowledgement, as in Kibana)",
        explain: |e, _| {
            Some(format!(
                "paged, and nobody acknowledged it before it resolved {} after trigger",
                human(e.secs(e.triggered, e.resolved))
            ))
        },
    },
    Reason {
        code: "ACK_NO_ACTION",
        kind: Kind::Noise,
        weight: 4.0,
        thresholds: &[],
        rule: "acknowledged, then resolved by the integration, with no incident, escalation or note",
        explain: |e, _| {
            Some(format!(
                "acknowledged {} after trigger, then resolved by the integration {} later; no incident, escalation or note",
                human(e.secs(e.triggered, e.acknowledged)),
                human(e.secs(e.acknowledged, e.resolved))
            ))
        },
    },
    Reason {
        code: "RECURRING",
        kind: Kind::Noise,
        weight: 6.0,
        thresholds: &[
            "recurring_days",
            "recurring_lookback_days",
            "recurring_lookahead_days",
            "recurring_tolerance",
            "recurring_contrast",
        ],
        rule: "its template fires at about the same local time on most days around it, and at that time more than at others",
        explain: |e, th| {
            let window = if th.recurring_lookahead_days == 0 {
                format!("of the last {}", th.recurring_lookback_days)
            } else {
                format!(
                    "of the {} ending with its own and the {} after",
                    th.recurring_lookback_days, th.recurring_lookahead_days
                )
            };
            Some(format!(
                "its template fired within {} of {} on {} days {window}; threshold {} days; over the history it fires near that time {:.1} times as often as at other times of day, threshold {}",
                exact(th.recurring_tolerance),
                e.local_time,
                e.recurring_days.unwrap_or(0),
                th.recurring_days,
                e.recurring_contrast.unwrap_or(0.0),
                th.recurring_contrast
            ))
        },
    },
    Reason {
        code: "NON_PAGING",
        kind: Kind::Noise,
        weight: 4.0,
        thresholds: &[],
        rule: "informational severity, low urgency or not sent to a paging channel, yet it reached a person",
        explain: |e, _| {
            let mut why = Vec::new();
            if e.paged == Some(false) {
                why.push("not sent to a paging channel");
            }
            if e.severity == Some("info") {
                why.push("informational severity");
            }
            if e.urgency == Some("low") {
                why.push("low urgency");
            }
            Some(why.join(", "))
        },
    },
    Reason {
        code: "STORM_SECONDARY",
        kind: Kind::Noise,
        weight: 4.0,
        thresholds: &["episode_gap"],
        rule: "not the first alert of an episode whose first alert is actionable",
        explain: |e, th| {
            Some(format!(
                "not the first alert of its episode (alerts of the team chaining within {}); the episode's lead {} is actionable",
                exact(th.episode_gap),
                e.episode_lead.unwrap_or("-")
            ))
        },
    },
    // The rule's history: a rule whose pages never led to work is noise
    // where the source records no acknowledgement to say so.
    Reason {
        code: "NO_WORK",
        kind: Kind::Noise,
        weight: 6.0,
        thresholds: &["rule_min_pages", "rule_no_work_share", "rule_chance_sigmas"],
        rule: "its rule paged at least N times, at most a small share of its pages led to work by a person, and its pages overlap incidents no more often than chance explains",
        explain: |e, th| {
            let chance = e.rule_chance_pages.unwrap_or(0.0);
            Some(format!(
                "{} of its rule's {} pages in the history led to work (an incident overlap, a person resolving, an escalation, a note); at most {} of at least {} pages by a person, and incident overlaps within chance: {:.1} expected from the share of the time its service's and team's incidents cover, threshold {:.1} ({} standard deviations)",
                e.rule_work_pages.unwrap_or(0),
                e.rule_pages.unwrap_or(0),
                th.rule_no_work_share,
                th.rule_min_pages,
                chance,
                chance + th.rule_chance_sigmas * chance.sqrt(),
                th.rule_chance_sigmas
            ))
        },
    },
    // A person resolving after acknowledging, an escalation or notes
    // outweigh one noise reason; incident overlap outweighs one of the
    // weaker reasons (it is only overlap in time); long engagement alone
    // does not (an ack left open is long too).
    Reason {
        code: "INCIDENT",
        kind: Kind::Actionable,
        weight: -3.5,
        thresholds: &["incident_lead"],
        rule: "a page overlapping an incident of its service or team",
        explain: |e, th| {
            e.incident.map(|inc| {
                format!(
                    "overlaps incident {inc} (from {} before it started to its end){}",
                    exact(th.incident_lead),
                    if e.incident_counted == Some(false) {
                        "; explained by the storm's lead, not counted"
                    } else {
                        ""
                    }
                )
            })
        },
    },
    Reason {
        code: "MANUAL_RESOLVE",
        kind: Kind::Actionable,
        weight: -5.0,
        thresholds: &[],
        rule: "acknowledged, then resolved by a person (where a close hides the acknowledgement, as in Kibana: closed by a named person)",
        explain: |e, _| {
            e.manual_resolve.then(|| {
                if e.acknowledged.is_some() {
                    "resolved by a person after acknowledging".into()
                } else {
                    "closed by a person the export names (a close hides the acknowledgement in this source)".into()
                }
            })
        },
    },
    Reason {
        code: "ESCALATED",
        kind: Kind::Actionable,
        weight: -3.0,
        thresholds: &[],
        rule: "escalated or reassigned",
        explain: |e, _| {
            e.escalations
                .filter(|n| *n > 0)
                .map(|n| format!("escalated {n} time(s)"))
        },
    },
    Reason {
        code: "NOTES",
        kind: Kind::Actionable,
        weight: -3.0,
        thresholds: &[],
        rule: "carries notes",
        explain: |e, _| e.notes.filter(|n| *n > 0).map(|n| format!("{n} note(s)")),
    },
    // A rule that usually leads to work is not dismissed for one blip: it
    // outweighs TRANSIENT alone (not TRANSIENT with UNACKED).
    Reason {
        code: "RULE_WORK",
        kind: Kind::Actionable,
        weight: -4.5,
        thresholds: &["rule_min_pages", "rule_work_share"],
        rule: "at least the share of its rule's pages (of N or more) led to work",
        explain: |e, th| {
            e.rule_work.then(|| {
                format!(
                    "{} of its rule's {} pages led to work; threshold {} of at least {} pages",
                    e.rule_work_pages.unwrap_or(0),
                    e.rule_pages.unwrap_or(0),
                    th.rule_work_share,
                    th.rule_min_pages
                )
            })
        },
    },
    Reason {
        code: "LONG_ENGAGEMENT",
        kind: Kind::Actionable,
        weight: -1.5,
        thresholds: &["long_engagement"],
        rule: "acknowledged long before it resolved",
        explain: |e, th| {
            e.long_engagement.then(|| {
                format!(
                    "engaged {} from acknowledgement to resolve; threshold {}",
                    human(e.secs(e.acknowledged, e.resolved)),
                    exact(th.long_engagement)
                )
            })
        },
    },
];

/// How many of [`TABLE`]'s entries are noise reasons (they come first).
pub const NOISE_REASONS: usize = 9;

const fn codes<const N: usize>(from: usize) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = TABLE[from + i].code;
        i += 1;
    }
    out
}

/// The noise reason codes, in report order.
pub const REASONS: [&str; NOISE_REASONS] = codes(0);

/// The kinds of actionable evidence, in report order.
pub const EVIDENCE: [&str; TABLE.len() - NOISE_REASONS] = codes(NOISE_REASONS);

/// The entry of a code.
pub fn of(code: &str) -> Option<&'static Reason> {
    TABLE.iter().find(|r| r.code == code)
}

/// The bit of a noise reason code (bit k: `REASONS[k]`; 0 for any other
/// code).
pub fn bit(code: &str) -> u16 {
    REASONS
        .iter()
        .position(|r| *r == code)
        .map_or(0, |k| 1 << k)
}

/// The default weights, one per [`TABLE`] entry.
pub fn default_weights() -> Vec<f64> {
    TABLE.iter().map(|r| r.weight).collect()
}

/// What `explain` knows of one alert, read from its row.
#[derive(Debug, Clone, Default)]
pub struct Evidence<'a> {
    /// Trigger, acknowledgement, resolve (µs).
    pub triggered: Option<i64>,
    /// See `triggered`.
    pub acknowledged: Option<i64>,
    /// See `triggered`.
    pub resolved: Option<i64>,
    /// Seconds from the previous occurrence clearing to this trigger.
    pub clear_gap_s: Option<i64>,
    /// The vendor's dedup key.
    pub dedup_key: Option<&'a str>,
    /// Copies the vendor folded into it (only for sources that fold
    /// repeats).
    pub folded_repeats: Option<u32>,
    /// Days its template fired at about this local time.
    pub recurring_days: Option<u32>,
    /// Days near this time of day over days near other times (the whole
    /// history).
    pub recurring_contrast: Option<f64>,
    /// Its local trigger time in its team's zone, `HH:MM Zone`.
    pub local_time: String,
    /// Paged, severity and urgency.
    pub paged: Option<bool>,
    /// See `paged`.
    pub severity: Option<&'a str>,
    /// See `paged`.
    pub urgency: Option<&'a str>,
    /// Its episode's lead.
    pub episode_lead: Option<&'a str>,
    /// The incident it overlaps, and whether that counts as evidence.
    pub incident: Option<&'a str>,
    /// See `incident`.
    pub incident_counted: Option<bool>,
    /// Evidence flags and counts.
    pub manual_resolve: bool,
    /// See `manual_resolve`.
    pub escalations: Option<u32>,
    /// See `manual_resolve`.
    pub notes: Option<u32>,
    /// See `manual_resolve`.
    pub long_engagement: bool,
    /// Its rule's pages in the history, and how many led to work.
    pub rule_pages: Option<u32>,
    /// See `rule_pages`.
    pub rule_work_pages: Option<u32>,
    /// Of its rule's pages, how many would overlap an incident by chance.
    pub rule_chance_pages: Option<f64>,
    /// RULE_WORK holds.
    pub rule_work: bool,
}

impl Evidence<'_> {
    /// Whole seconds from one instant to another (0 when one is missing).
    pub fn secs(&self, from: Option<i64>, to: Option<i64>) -> i64 {
        match (from, to) {
            (Some(f), Some(t)) => (t - f) / 1_000_000,
            _ => 0,
        }
    }
}

fn exact(d: Duration) -> String {
    crate::core::duration::exact(d)
}

fn human(secs: i64) -> String {
    exact(Duration::from_secs(secs.max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every threshold a rule names is a `[classify]` key (its field name).
    #[test]
    fn thresholds_are_classify_keys() {
        let fields = format!("{:?}", Thresholds::default());
        for r in TABLE {
            for key in r.thresholds {
                assert!(fields.contains(&format!("{key}:")), "{}: {key}", r.code);
            }
        }
        assert_eq!(REASONS[0], "TRANSIENT");
        assert_eq!(EVIDENCE[0], "INCIDENT");
        assert_eq!(bit("FLAPPING"), 2);
        assert_eq!(bit("INCIDENT"), 0);
    }
}
