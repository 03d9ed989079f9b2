//! Label every alert actionable or noise, with the evidence (issue 3).
//!
//! [`features`] adds, lazily, one boolean column per reason code and per
//! kind of actionable evidence (domain.md, "Evidence that an alert is
//! noise"), the linked incident, the template and the storm episode. The
//! rules that need an alert's history are window expressions over the whole
//! history, in trigger-time order: `shift` over each identity (source,
//! service, title with measurements masked; [`template::identity`]) for
//! DUPLICATE and FLAPPING, and over each team for episodes. RECURRING and
//! incident linkage are column functions ([`history`]) that look across
//! the whole history by key; RECURRING works in each team's local time.
//! [`score`] turns the features into `score` (a logistic model: how sure it
//! is noise), `label` and `reasons`; [`Weights`] are the rules' defaults or
//! fitted from human tags ([`evaluate`]).
//!
//! Length: about 630 lines: the feature plan's steps (keys, history,
//! episodes) and the score; the rules are in `rules.rs`.

pub mod drain;
pub mod evaluate;
pub mod history;
pub mod rule_runbooks;
mod rules;
pub mod tags;
pub mod template;

use std::collections::HashMap;
use std::sync::Arc;

use polars::prelude::*;

use crate::config::Config;
use crate::error::Error;
use crate::schema as s;

pub use crate::reasons::{EVIDENCE, REASONS};

/// Feature column of a reason code or evidence kind (`f_transient`, …).
pub fn feature_column(code: &str) -> String {
    format!("f_{}", code.to_ascii_lowercase())
}

/// Every feature column: the reasons, then the evidence.
pub fn feature_columns() -> Vec<String> {
    REASONS
        .iter()
        .chain(EVIDENCE.iter())
        .map(|c| feature_column(c))
        .collect()
}

// Internal columns, dropped before the frame leaves this module.
pub(super) const ROW: &str = "__row";
pub(super) const T: &str = "__t";
pub(super) const R: &str = "__r";
pub(super) const A: &str = "__a";
pub(super) const ID: &str = "__identity";
pub(super) const OPEN_UNTIL: &str = "__open_until";
pub(super) const PREV_R: &str = "__prev_r";
pub(super) const NEXT_T: &str = "__next_t";
pub(super) const T2: &str = "__t2";
pub(super) const NEW_EP: &str = "__new_episode";
pub(super) const EP: &str = "__episode";
pub(super) const PRE: &str = "__pre_actionable";
pub(super) const HAS_ACK: &str = "__source_has_acks";
pub(super) const TEAM_KEY: &str = "__team";
/// The chance that the alert overlaps an incident it has nothing to do
/// with ([`history::IncidentIndex::coverage`]).
pub(super) const CHANCE: &str = "__chance";

/// The linear model behind `score`: `sigmoid(bias + Σ weight × feature)`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Weights {
    /// Intercept.
    pub bias: f64,
    /// One weight per [`feature_columns`] entry.
    pub weights: Vec<f64>,
}

impl Default for Weights {
    /// The rules alone: the weights of [`crate::reasons::TABLE`].
    fn default() -> Self {
        Weights {
            bias: crate::reasons::BIAS,
            weights: crate::reasons::default_weights(),
        }
    }
}

impl Weights {
    /// The score of one feature vector.
    pub fn score(&self, features: &[bool]) -> f64 {
        let z = self.bias
            + features
                .iter()
                .zip(&self.weights)
                .map(|(f, w)| if *f { *w } else { 0.0 })
                .sum::<f64>();
        1.0 / (1.0 + (-z).exp())
    }
}

pub(super) fn us(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

fn plan(source: PolarsError) -> Error {
    Error::Polars {
        what: "the classify plan",
        source,
    }
}

fn udf_err(e: impl std::fmt::Display) -> PolarsError {
    PolarsError::ComputeError(e.to_string().into())
}

/// How many fires back must fall within the flapping window for more than
/// `changes` state changes: k fires back make 2k + 1 changes (fire, clear,
/// …, fire), so the least k with 2k + 1 > `changes`.
pub fn flapping_lag(changes: u32) -> i64 {
    i64::from(changes).div_euclid(2) + i64::from(changes % 2)
}

/// Read incidents into the overlap index.
fn incident_index(incidents: LazyFrame) -> Result<history::IncidentIndex, Error> {
    let df = incidents
        .select([
            col(s::INCIDENT_ID),
            col(s::SERVICE),
            col(s::TEAM),
            col(s::STARTED_AT).cast(DataType::Int64).alias("start"),
            col(s::RESOLVED_AT).cast(DataType::Int64).alias("end"),
        ])
        .collect()
        .map_err(Error::polars("the incidents table"))?;
    let get = |name: &str| {
        df.column(name)
            .map_err(Error::polars("the incidents table"))
    };
    let ids = get(s::INCIDENT_ID)?
        .str()
        .map_err(Error::polars("incident ids"))?
        .clone();
    let svc = get(s::SERVICE)?
        .str()
        .map_err(Error::polars("incident services"))?
        .clone();
    let team = get(s::TEAM)?
        .str()
        .map_err(Error::polars("incident teams"))?
        .clone();
    let start = get("start")?
        .i64()
        .map_err(Error::polars("incident starts"))?
        .clone();
    let end = get("end")?
        .i64()
        .map_err(Error::polars("incident ends"))?
        .clone();
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let (Some(id), Some(st)) = (ids.get(i), start.get(i)) else {
            continue;
        };
        out.push(history::Incident {
            id: id.to_string(),
            start: st,
            end: end.get(i),
            service: svc.get(i).map(str::to_string),
            team: team.get(i).map(str::to_string),
        });
    }
    Ok(history::IncidentIndex::new(out))
}

/// Is the frame in trigger-time order? Reads only that column.
fn sorted_by_trigger(alerts: &LazyFrame) -> Result<bool, Error> {
    let df = alerts
        .clone()
        .select([col(s::TRIGGERED_AT).cast(DataType::Int64)])
        .collect()
        .map_err(Error::polars("the trigger times"))?;
    let t = df
        .column(s::TRIGGERED_AT)
        .and_then(|c| c.i64().cloned())
        .map_err(Error::polars("the trigger times"))?;
    let mut last = i64::MIN;
    for v in t.iter() {
        // Nulls sort first; one after a value means unsorted.
        let v = v.unwrap_or(i64::MIN);
        if v < last {
            return Ok(false);
        }
        last = v;
    }
    Ok(true)
}

/// Add the template, the linked incident, the episode and one boolean
/// column per reason code and evidence kind to the alerts. Lazy in, lazy
/// out; the incidents are read once, up front. The steps: [`keys`] (times,
/// template, identity, incident, recurring days), the trigger-time order,
/// [`history`] (each identity's neighbours), the rules ([`rules`], one
/// column each, in [`crate::reasons::TABLE`]'s order), [`episodes`] (and
/// the storm rule), then the internal columns are dropped.
pub fn features(
    alerts: LazyFrame,
    incidents: LazyFrame,
    config: &Config,
) -> Result<LazyFrame, Error> {
    let th = &config.classify;
    let index = Arc::new(incident_index(incidents)?);
    let sorted = sorted_by_trigger(&alerts)?;
    let lf = keys(alerts, config, index)?;
    // History of each identity and each team: windows over the frame in
    // trigger-time order, ties in the input's order. The store's frames come
    // in that order already; sorting them anyway would gather every column.
    let lf = if sorted {
        lf
    } else {
        lf.sort(
            [T],
            SortMultipleOptions::default().with_maintain_order(true),
        )
    };
    let lf = history(lf, th)?;
    let ctx = rules::Ctx::new(th);
    let lf = lf.with_columns(
        crate::reasons::TABLE
            .iter()
            .filter_map(|r| rules::rule(r.code, &ctx).map(|e| e.alias(feature_column(r.code))))
            .collect::<Vec<_>>(),
    );
    let lf = episodes(lf, th)?;
    let (counts, flags) = rules::rule_history(&ctx).map_err(plan)?;
    let lf = lf.with_columns(counts).with_columns(flags);
    Ok(drop_internal(lf))
}

/// Times in µs, the mined template and its id, each alert's identity and
/// team key, the incident it overlaps, whether its source records
/// acknowledgements, and on how many recent days its template fired at
/// about this local time.
fn keys(
    alerts: LazyFrame,
    config: &Config,
    index: Arc<history::IncidentIndex>,
) -> Result<LazyFrame, Error> {
    let th = &config.classify;
    let similarity = th.template_similarity;
    let lead = us(th.incident_lead);
    let zones = config.team_zones();
    let window = history::RecurringWindow {
        back: th.recurring_lookback_days,
        ahead: th.recurring_lookahead_days,
        tolerance: u16::try_from(th.recurring_tolerance.as_secs() / 60).unwrap_or(u16::MAX),
    };
    let a = || col(A);
    let lf = alerts
        .with_row_index(ROW, None)
        .with_columns([
            col(s::TRIGGERED_AT).cast(DataType::Int64).alias(T),
            col(s::RESOLVED_AT).cast(DataType::Int64).alias(R),
            col(s::ACKNOWLEDGED_AT).cast(DataType::Int64).alias(A),
            col(s::TITLE)
                .apply_many(
                    move |cols| {
                        let (title, src, team, svc, labels) = (
                            cols[0].str()?,
                            cols[1].str()?,
                            cols[2].str()?,
                            cols[3].str()?,
                            cols[4].str()?,
                        );
                        // Mined over the whole history, in its order, rule
                        // by rule: `apply_many`, not `map_many`, so the plan
                        // never splits it by partition.
                        let rows = title
                            .iter()
                            .zip(src.iter())
                            .zip(team.iter())
                            .zip(svc.iter())
                            .zip(labels.iter())
                            .map(|((((title, src), team), svc), labels)| {
                                let (rule, name) =
                                    template::rule_of(src.unwrap_or(""), team, labels);
                                drain::RuleText {
                                    rule,
                                    name,
                                    team,
                                    title,
                                    names: [svc, labels.and_then(template::instance_label)],
                                }
                            });
                        Ok(drain::mine_rules(rows, similarity)?.into_column())
                    },
                    &[
                        col(s::SOURCE),
                        col(s::TEAM),
                        col(s::SERVICE),
                        col(s::LABELS),
                    ],
                    |_, f| Ok(Field::new(f[0].name().clone(), DataType::String)),
                )
                .alias(s::TEMPLATE),
            col(s::SOURCE)
                .map_many(
                    |cols| {
                        let src = cols[0].str()?;
                        let svc = cols[1].str()?;
                        let title = cols[2].str()?;
                        let labels = cols[3].str()?;
                        let out: UInt64Chunked = src
                            .iter()
                            .zip(svc.iter())
                            .zip(title.iter())
                            .zip(labels.iter())
                            .map(|(((src, svc), title), labels)| {
                                let id =
                                    template::identity(src.unwrap_or(""), svc, title.unwrap_or(""));
                                // Alertmanager's `instance` label names the
                                // entity when the title does not.
                                Some(match labels.and_then(template::instance_label) {
                                    Some(i) => id ^ template::hash(i).rotate_left(17),
                                    None => id,
                                })
                            })
                            .collect();
                        Ok(out.into_column())
                    },
                    &[col(s::SERVICE), col(s::TITLE), col(s::LABELS)],
                    |_, f| Ok(Field::new(f[0].name().clone(), DataType::UInt64)),
                )
                .alias(ID),
            col(s::TEAM)
                .map(
                    |c| {
                        let ca = c.str()?;
                        let out: UInt64Chunked = ca
                            .iter()
                            .map(|t| Some(t.map_or(0, template::hash)))
                            .collect();
                        Ok(out.into_column())
                    },
                    |_, f| Ok(Field::new(f.name().clone(), DataType::UInt64)),
                )
                .alias(TEAM_KEY),
        ])
        .with_columns([
            col(s::TEMPLATE)
                .map(
                    |c| Ok(template::template_ids(c.str()?)?.into_column()),
                    |_, f| Ok(Field::new(f.name().clone(), DataType::String)),
                )
                .alias(s::TEMPLATE_ID),
            {
                let index = Arc::clone(&index);
                col(s::SERVICE)
                    .map_many(
                        move |cols| {
                            let svc = cols[0].str()?;
                            let team = cols[1].str()?;
                            let t = cols[2].i64()?;
                            let out: StringChunked = svc
                                .iter()
                                .zip(team.iter())
                                .zip(t.iter())
                                .map(|((svc, team), t)| {
                                    t.and_then(|t| index.overlap(svc, team, t, lead))
                                })
                                .collect();
                            Ok(out.into_column())
                        },
                        &[col(s::TEAM), col(T)],
                        |_, f| Ok(Field::new(f[0].name().clone(), DataType::String)),
                    )
                    .alias(s::INCIDENT_ID)
            },
            {
                let index = Arc::clone(&index);
                col(s::SERVICE)
                    .map_many(
                        move |cols| {
                            let svc = cols[0].str()?;
                            let team = cols[1].str()?;
                            let t = cols[2].i64()?;
                            let (from, to) = (t.min().unwrap_or(0), t.max().unwrap_or(0));
                            let mut seen: HashMap<(Option<&str>, Option<&str>), f64> =
                                HashMap::default();
                            let out: Vec<f64> = svc
                                .iter()
                                .zip(team.iter())
                                .map(|key| {
                                    *seen.entry(key).or_insert_with(|| {
                                        index.coverage(key.0, key.1, from, to, lead)
                                    })
                                })
                                .collect();
                            Ok(Float64Chunked::from_vec(PlSmallStr::EMPTY, out).into_column())
                        },
                        &[col(s::TEAM), col(T)],
                        |_, f| Ok(Field::new(f[0].name().clone(), DataType::Float64)),
                    )
                    .alias(CHANCE)
            },
            // Does this source carry acknowledgements at all?
            a().is_not_null()
                .any(true)
                .over([col(s::SOURCE)])
                .map_err(plan)?
                .alias(HAS_ACK),
        ])
        .with_columns([
            {
                let zones = zones.clone();
                col(s::TEMPLATE_ID)
                    .apply_many(
                        move |cols| {
                            let keys = recurring_keys(cols, &zones)?;
                            let days = history::recurring_days(&keys, window);
                            Ok(UInt32Chunked::from_vec(PlSmallStr::EMPTY, days).into_column())
                        },
                        &[col(s::TEAM), col(T)],
                        |_, f| Ok(Field::new(f[0].name().clone(), DataType::UInt32)),
                    )
                    .alias(s::RECURRING_DAYS)
            },
            col(s::TEMPLATE_ID)
                .apply_many(
                    move |cols| {
                        let keys = recurring_keys(cols, &zones)?;
                        let contrast = history::recurring_contrast(&keys, window.tolerance);
                        let out: Float64Chunked = contrast.into_iter().collect();
                        Ok(out.into_column())
                    },
                    &[col(s::TEAM), col(T)],
                    |_, f| Ok(Field::new(f[0].name().clone(), DataType::Float64)),
                )
                .alias(s::RECURRING_CONTRAST),
        ]);
    Ok(lf)
}

/// RECURRING's key of each row (template id, team, trigger time µs): the
/// template and team hashed together, the local day and minute of day in
/// the team's zone; `None` without a template or a time.
fn recurring_keys(
    cols: &[Column],
    zones: &crate::config::TeamZones,
) -> PolarsResult<Vec<Option<(u64, i32, u16)>>> {
    let (tid, team, t) = (cols[0].str()?, cols[1].str()?, cols[2].i64()?);
    let mut clock = crate::core::time::LocalClock::default();
    Ok(tid
        .iter()
        .zip(team.iter())
        .zip(t.iter())
        .map(|((tid, team_name), t)| {
            let (tid, t) = (tid?, t?);
            let (day, minute) = clock.day_minute(t, zones.of(team_name))?;
            let g = template::hash(tid) ^ team_name.map_or(0, |n| template::hash(n).rotate_left(1));
            Some((g, day, minute))
        })
        .collect())
}

/// Each identity's neighbours in trigger-time order: the previous
/// occurrence's resolve (open until, clear gap), the next trigger and the
/// fire k back ([`flapping_lag`]).
fn history(lf: LazyFrame, th: &crate::config::Thresholds) -> Result<LazyFrame, Error> {
    let t = || col(T);
    let r = || col(R);
    let lf = lf
        .with_columns([
            r().fill_null(lit(i64::MAX))
                .shift(lit(1))
                .over([col(ID)])
                .map_err(plan)?
                .alias(OPEN_UNTIL),
            r().shift(lit(1))
                .over([col(ID)])
                .map_err(plan)?
                .alias(PREV_R),
            t().shift(lit(-1))
                .over([col(ID)])
                .map_err(plan)?
                .alias(NEXT_T),
            // The fire `k` back: with it inside the window there are 2k + 1
            // state changes in it (fire, clear, …, fire).
            t().shift(lit(flapping_lag(th.flapping_changes)))
                .over([col(ID)])
                .map_err(plan)?
                .alias(T2),
        ])
        .with_columns([
            // Seconds from the previous occurrence's clear to this trigger.
            when(col(PREV_R).is_not_null().and(t().gt_eq(col(PREV_R))))
                .then((t() - col(PREV_R)) / lit(1_000_000i64))
                .otherwise(lit(NULL).cast(DataType::Int64))
                .alias(s::CLEAR_GAP_S),
        ]);
    Ok(lf)
}

/// Episodes: alerts of one team whose starts chain within the gap, named
/// by their lead; the storm rule, and incident overlap that only the lead
/// explains taken off the secondaries.
fn episodes(lf: LazyFrame, th: &crate::config::Thresholds) -> Result<LazyFrame, Error> {
    let t = || col(T);
    let flag = feature_column;
    Ok(lf
        .with_columns([
            (t() - t().shift(lit(1)).over([col(TEAM_KEY)]).map_err(plan)?)
                .gt(lit(us(th.episode_gap)))
                .fill_null(lit(true))
                .alias(NEW_EP),
        ])
        .with_columns([col(NEW_EP)
            .cast(DataType::UInt32)
            .cum_sum(false)
            .over([col(TEAM_KEY)])
            .map_err(plan)?
            .alias(EP)])
        .with_columns([
            // The lead's label from its own evidence (not the storm rule,
            // not the rule history, which comes after).
            {
                let noise = REASONS
                    .iter()
                    .filter(|c| !matches!(**c, "STORM_SECONDARY" | "NO_WORK"))
                    .map(|c| col(flag(c)))
                    .reduce(|x, y| x.or(y))
                    .unwrap_or(lit(false));
                let evidence = [flag("INCIDENT"), flag("MANUAL_RESOLVE")]
                    .into_iter()
                    .map(col)
                    .reduce(|x, y| x.or(y))
                    .unwrap_or(lit(false));
                noise.not().or(evidence).alias(PRE)
            },
        ])
        .with_columns([
            col(s::ALERT_ID)
                .first()
                .over([col(TEAM_KEY), col(EP)])
                .map_err(plan)?
                .alias(s::EPISODE_LEAD),
            col(PRE)
                .first()
                .over([col(TEAM_KEY), col(EP)])
                .map_err(plan)?
                .alias("__lead_pre"),
            col(s::TEMPLATE_ID)
                .first()
                .over([col(TEAM_KEY), col(EP)])
                .map_err(plan)?
                .alias("__lead_template"),
        ])
        .with_columns([
            rules::storm_secondary().alias(flag("STORM_SECONDARY")),
            // Incident overlap that only a storm's lead explains is not
            // evidence for the secondary.
            col(flag("INCIDENT"))
                .and(col(NEW_EP).or(col("__lead_pre").not()))
                .alias(flag("INCIDENT")),
        ])
        .with_columns([
            // The episode is named by its lead.
            col(s::EPISODE_LEAD).alias(s::EPISODE_ID),
        ]))
}

/// The frame without the internal columns.
fn drop_internal(lf: LazyFrame) -> LazyFrame {
    lf.drop(Selector::ByName {
        names: Arc::from(
            [
                ROW,
                T,
                R,
                A,
                ID,
                OPEN_UNTIL,
                PREV_R,
                NEXT_T,
                T2,
                NEW_EP,
                EP,
                PRE,
                HAS_ACK,
                "__lead_pre",
                "__lead_template",
                TEAM_KEY,
                CHANCE,
            ]
            .map(PlSmallStr::from_static),
        ),
        strict: true,
    })
}

/// Add `score`, `label` and `reasons` from the feature columns: noise at a
/// score of at least `cut` (`[classify] score_cut`). Alerts in `tags`
/// (alert id → human label) keep the human label; an untagged alert whose
/// rule is in `rule_tags` (template id → the label its tags agree on)
/// takes that label.
pub fn score(
    features: LazyFrame,
    weights: &Weights,
    tags: Option<&HashMap<String, String>>,
    rule_tags: Option<&HashMap<String, String>>,
    cut: f64,
) -> LazyFrame {
    let cols: Vec<Expr> = feature_columns().into_iter().map(col).collect();
    let w = weights.clone();
    let lf = features.with_columns([
        cols[0]
            .clone()
            .map_many(
                move |c| {
                    // Each distinct feature vector is scored once.
                    let mut memo: PlHashMap<u16, f64> = PlHashMap::default();
                    let out: Float64Chunked = feature_masks(c)?
                        .into_iter()
                        .map(|m| {
                            Some(*memo.entry(m).or_insert_with(|| {
                                let v: Vec<bool> =
                                    (0..c.len()).map(|k| m & (1 << k) != 0).collect();
                                w.score(&v)
                            }))
                        })
                        .collect();
                    Ok(out.into_column())
                },
                &cols[1..],
                |_, f| Ok(Field::new(f[0].name().clone(), DataType::Float64)),
            )
            .alias(s::SCORE),
        cols[0]
            .clone()
            .map_many(
                move |c| {
                    let masks = feature_masks(&c[..REASONS.len()])?;
                    let mut b =
                        ListStringChunkedBuilder::new(PlSmallStr::EMPTY, masks.len(), masks.len());
                    for m in masks {
                        b.append_values_iter(
                            REASONS
                                .iter()
                                .enumerate()
                                .filter(|(k, _)| m & (1 << k) != 0)
                                .map(|(_, code)| *code),
                        );
                    }
                    Ok(b.finish().into_column())
                },
                &cols[1..],
                |_, f| {
                    Ok(Field::new(
                        f[0].name().clone(),
                        DataType::List(Box::new(DataType::String)),
                    ))
                },
            )
            .alias(s::REASONS),
    ]);
    let mut by_model = when(col(s::SCORE).gt_eq(lit(cut)))
        .then(lit("noise"))
        .otherwise(lit("actionable"));
    if let Some(rules) = rule_tags.filter(|r| !r.is_empty()) {
        let rules = Arc::new(rules.clone());
        let taught = col(s::TEMPLATE_ID).map(
            move |c| {
                let ids = c.str()?;
                let out: StringChunked = ids
                    .iter()
                    .map(|id| id.and_then(|id| rules.get(id).map(String::as_str)))
                    .collect();
                Ok(out.into_column())
            },
            |_, f| Ok(Field::new(f.name().clone(), DataType::String)),
        );
        by_model = when(taught.clone().is_not_null())
            .then(taught)
            .otherwise(by_model);
    }
    match tags {
        Some(tags) if !tags.is_empty() => {
            let tags = Arc::new(tags.clone());
            lf.with_columns([col(s::ALERT_ID)
                .map(
                    move |c| {
                        let ids = c.str()?;
                        let out: StringChunked = ids
                            .iter()
                            .map(|id| id.and_then(|id| tags.get(id).map(String::as_str)))
                            .collect();
                        Ok(out.into_column())
                    },
                    |_, f| Ok(Field::new(f.name().clone(), DataType::String)),
                )
                .alias("__tag")])
                .with_columns([when(col("__tag").is_not_null())
                    .then(col("__tag"))
                    .otherwise(by_model)
                    .alias(s::LABEL)])
                .drop(Selector::ByName {
                    names: Arc::from([PlSmallStr::from_static("__tag")]),
                    strict: true,
                })
        }
        _ => lf.with_columns([by_model.alias(s::LABEL)]),
    }
}

/// The feature columns of each row as bits (column k is bit k; null is
/// false).
fn feature_masks(c: &[Column]) -> PolarsResult<Vec<u16>> {
    let n = c.first().map_or(0, |c| c.len());
    let mut masks = vec![0u16; n];
    for (k, col) in c.iter().enumerate() {
        let flags = col.bool().map_err(udf_err)?;
        for (m, f) in masks.iter_mut().zip(flags.iter()) {
            if f == Some(true) {
                *m |= 1 << k;
            }
        }
    }
    Ok(masks)
}

/// Features and scores with the default weights: the rules alone.
pub fn classify(
    alerts: LazyFrame,
    incidents: LazyFrame,
    config: &Config,
) -> Result<LazyFrame, Error> {
    Ok(score(
        features(alerts, incidents, config)?,
        &Weights::default(),
        None,
        None,
        config.classify.score_cut,
    ))
}
