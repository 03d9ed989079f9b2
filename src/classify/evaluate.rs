//! Score the labels against human tags, and fit the score's weights to them.
//!
//! The noise label is the positive class. Metrics are precision, recall and
//! F1 of noise, the confusion matrix, and the macro F1 (the mean of the noise
//! and the actionable F1). The fitted model is an L2-regularised logistic
//! regression over the reason and evidence features; its cross-validated F1
//! is reported next to the rules' on the same folds.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Weights, EVIDENCE, REASONS};

/// A confusion matrix of the noise label (noise = positive).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Confusion {
    /// Noise, tagged noise.
    pub true_noise: u64,
    /// Noise, tagged actionable.
    pub false_noise: u64,
    /// Actionable, tagged noise.
    pub missed_noise: u64,
    /// Actionable, tagged actionable.
    pub true_actionable: u64,
}

/// Precision, recall and F1 of a confusion matrix.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Metrics {
    /// The counts.
    pub confusion: Confusion,
    /// Of those labelled noise, the share tagged noise.
    pub precision: f64,
    /// Of those tagged noise, the share labelled noise.
    pub recall: f64,
    /// Harmonic mean of precision and recall (noise class).
    pub f1: f64,
    /// Mean of the noise-class and the actionable-class F1.
    pub macro_f1: f64,
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn f1(p: f64, r: f64) -> f64 {
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

impl Confusion {
    /// Count one prediction against its tag.
    pub fn add(&mut self, predicted_noise: bool, tagged_noise: bool) {
        match (predicted_noise, tagged_noise) {
            (true, true) => self.true_noise += 1,
            (true, false) => self.false_noise += 1,
            (false, true) => self.missed_noise += 1,
            (false, false) => self.true_actionable += 1,
        }
    }

    /// The metrics of these counts.
    pub fn metrics(self) -> Metrics {
        let p = ratio(self.true_noise, self.true_noise + self.false_noise);
        let r = ratio(self.true_noise, self.true_noise + self.missed_noise);
        let pa = ratio(
            self.true_actionable,
            self.true_actionable + self.missed_noise,
        );
        let ra = ratio(
            self.true_actionable,
            self.true_actionable + self.false_noise,
        );
        Metrics {
            confusion: self,
            precision: p,
            recall: r,
            f1: f1(p, r),
            macro_f1: (f1(p, r) + f1(pa, ra)) / 2.0,
        }
    }
}

/// The `evaluation` block of `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    /// Tagged alerts found in the history.
    pub tagged: u64,
    /// Tags whose alert id is not in the history.
    pub unmatched_tags: u64,
    /// The rules alone (default weights) against the tags.
    pub rules: Metrics,
    /// Each reason code taken alone as "noise" against the tags.
    pub per_reason: BTreeMap<String, Metrics>,
    /// Folds of the cross-validation.
    pub folds: usize,
    /// Macro F1 of the rules alone on the held-out folds.
    pub rules_cv_macro_f1: f64,
    /// Macro F1 of the fitted score on the held-out folds.
    pub fitted_cv_macro_f1: f64,
    /// The same with tags teaching their rule: a held-out alert whose rule
    /// has enough agreeing tags in the other folds takes their label
    /// ([`rule_labels`]); the others the fitted score's.
    pub rule_tags_cv_macro_f1: f64,
    /// The weights fitted on every tagged alert.
    pub weights: BTreeMap<String, f64>,
    /// Whether the untagged alerts were scored with them: only with at
    /// least `[classify] fit_min_tags` tags of each label; else with the
    /// rules' weights.
    pub fitted: bool,
}

/// Fit weights to tagged feature vectors: logistic regression with a small
/// L2 penalty (not on the intercept), by Newton's method over the distinct
/// feature vectors (there are few: the features are booleans). Starts from
/// the rules' weights, so a feature no tag ever shows keeps its default.
pub fn fit(x: &[Vec<bool>], y: &[bool]) -> Weights {
    let k = REASONS.len() + EVIDENCE.len();
    let mut patterns: BTreeMap<Vec<bool>, (f64, f64)> = BTreeMap::new();
    for (f, &noise) in x.iter().zip(y) {
        let e = patterns.entry(f.clone()).or_insert((0.0, 0.0));
        e.0 += f64::from(u8::from(noise));
        e.1 += 1.0;
    }
    let defaults = Weights::default();
    // Parameters: [bias, w_0 .. w_k-1]; the penalty pulls towards the
    // defaults, so features the tags say little about keep them.
    let mut theta: Vec<f64> = std::iter::once(defaults.bias)
        .chain(defaults.weights.iter().copied())
        .collect();
    let prior = theta.clone();
    let lambda = 1.0;
    let dim = k + 1;
    for _ in 0..50 {
        let mut grad = vec![0.0; dim];
        let mut hess = vec![vec![0.0; dim]; dim];
        for (f, (pos, tot)) in &patterns {
            let active: Vec<usize> = std::iter::once(0)
                .chain(
                    f.iter()
                        .enumerate()
                        .filter(|(_, b)| **b)
                        .map(|(j, _)| j + 1),
                )
                .collect();
            let z: f64 = active.iter().map(|&j| theta[j]).sum();
            let p = 1.0 / (1.0 + (-z).exp());
            let err = p * tot - pos;
            let w = (p * (1.0 - p) * tot).max(1e-12);
            for &i in &active {
                grad[i] += err;
                for &j in &active {
                    hess[i][j] += w;
                }
            }
        }
        for j in 1..dim {
            grad[j] += lambda * (theta[j] - prior[j]);
            hess[j][j] += lambda;
        }
        hess[0][0] += 1e-6;
        let Some(mut step) = solve(hess, grad) else {
            break;
        };
        // Damped: separable tags would otherwise send weights to infinity
        // in a few huge steps.
        let max = step.iter().fold(0.0f64, |m, s| m.max(s.abs()));
        if !max.is_finite() {
            break;
        }
        if max > 2.0 {
            for s in &mut step {
                *s *= 2.0 / max;
            }
        }
        for j in 0..dim {
            theta[j] -= step[j];
        }
        if max < 1e-9 {
            break;
        }
    }
    Weights {
        bias: theta[0],
        weights: theta[1..].to_vec(),
    }
}

/// Solve `a · x = b` by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for c in 0..n {
        let p = (c..n).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        if a[p][c].abs() < 1e-15 {
            return None;
        }
        a.swap(c, p);
        b.swap(c, p);
        let (top, rest) = a.split_at_mut(c + 1);
        let pivot = &top[c];
        for (r, row) in rest.iter_mut().enumerate() {
            let f = row[c] / pivot[c];
            for (x, p) in row[c..].iter_mut().zip(&pivot[c..]) {
                *x -= f * p;
            }
            b[c + 1 + r] -= f * b[c];
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|k| a[r][k] * x[k]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    Some(x)
}

/// Evaluate the rules and the fitted model on tagged alerts: `x` are their
/// features, `y` their tags (true = noise), `fold` a fold number each.
pub fn evaluate(x: &[Vec<bool>], y: &[bool], fold: &[usize], folds: usize, cut: f64) -> Evaluation {
    let rules = Weights::default();
    let mut all = Confusion::default();
    let mut per_reason: Vec<Confusion> = vec![Confusion::default(); REASONS.len()];
    for (f, &tag) in x.iter().zip(y) {
        all.add(rules.score(f) >= cut, tag);
        for (j, c) in per_reason.iter_mut().enumerate() {
            c.add(f[j], tag);
        }
    }
    let (mut cv_rules, mut cv_fit) = (Confusion::default(), Confusion::default());
    for k in 0..folds {
        let (train_x, train_y): (Vec<Vec<bool>>, Vec<bool>) = x
            .iter()
            .zip(y)
            .zip(fold)
            .filter(|(_, f)| **f != k)
            .map(|((x, y), _)| (x.clone(), *y))
            .unzip();
        if train_x.is_empty() {
            continue;
        }
        let fitted = fit(&train_x, &train_y);
        for ((f, &tag), _) in x.iter().zip(y).zip(fold).filter(|(_, f)| **f == k) {
            cv_rules.add(rules.score(f) >= cut, tag);
            cv_fit.add(fitted.score(f) >= cut, tag);
        }
    }
    let fitted = fit(x, y);
    let names = REASONS.iter().chain(EVIDENCE.iter());
    let mut weights: BTreeMap<String, f64> = names
        .zip(&fitted.weights)
        .map(|(n, w)| (n.to_string(), *w))
        .collect();
    weights.insert("(bias)".into(), fitted.bias);
    Evaluation {
        tagged: x.len() as u64,
        unmatched_tags: 0,
        rules: all.metrics(),
        per_reason: REASONS
            .iter()
            .zip(per_reason)
            .map(|(r, c)| (r.to_string(), c.metrics()))
            .collect(),
        folds,
        rules_cv_macro_f1: cv_rules.metrics().macro_f1,
        fitted_cv_macro_f1: cv_fit.metrics().macro_f1,
        rule_tags_cv_macro_f1: cv_fit.metrics().macro_f1,
        weights,
        fitted: true,
    }
}

/// The label each rule's tags agree on: rules (template ids) with at least
/// `min` tags of which at least `agreement` say the same (true = noise).
pub fn rule_labels<'a>(
    rules: impl IntoIterator<Item = (&'a str, bool)>,
    min: u32,
    agreement: f64,
) -> BTreeMap<&'a str, bool> {
    let mut counts: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    for (rule, noise) in rules {
        let c = counts.entry(rule).or_default();
        c.0 += u32::from(noise);
        c.1 += 1;
    }
    counts
        .into_iter()
        .filter(|(_, (_, n))| *n >= min.max(1))
        .filter_map(|(rule, (noise, n))| {
            let share = f64::from(noise) / f64::from(n);
            if share >= agreement {
                Some((rule, true))
            } else if 1.0 - share >= agreement {
                Some((rule, false))
            } else {
                None
            }
        })
        .collect()
}

/// What tags teach: template id → label (`noise`, `actionable`), for each
/// rule whose tags agree ([`rule_labels`]), and for each rule of
/// `templates` ((template id, template text), every alert's or each once)
/// with no tag of its own whose family's tags agree
/// ([`super::drain::family`]: similar rules). `rules` and `families` are
/// the tagged alerts' template ids and families, `y` their tags (true =
/// noise). A rule with tags of its own that do not agree stays untaught.
pub fn taught<'a>(
    templates: impl Iterator<Item = (&'a str, &'a str)>,
    rules: &[Option<String>],
    families: &[Option<String>],
    y: &[bool],
    min: u32,
    agreement: f64,
) -> std::collections::HashMap<String, String> {
    let label = |noise: bool| if noise { "noise" } else { "actionable" }.to_string();
    let agreed = |keys: &[Option<String>]| {
        rule_labels(
            keys.iter()
                .zip(y)
                .filter_map(|(k, noise)| k.as_deref().map(|k| (k, *noise))),
            min,
            agreement,
        )
        .into_iter()
        .map(|(k, noise)| (k.to_string(), noise))
        .collect::<std::collections::HashMap<String, bool>>()
    };
    let (by_rule, by_family) = (agreed(rules), agreed(families));
    let mut out: std::collections::HashMap<String, String> = by_rule
        .iter()
        .map(|(rule, noise)| (rule.clone(), label(*noise)))
        .collect();
    if by_family.is_empty() {
        return out;
    }
    let tagged: std::collections::HashSet<&str> =
        rules.iter().flatten().map(String::as_str).collect();
    for (id, text) in templates {
        if out.contains_key(id) || tagged.contains(id) {
            continue;
        }
        if let Some(noise) = by_family.get(super::drain::family(text)) {
            out.insert(id.to_string(), label(*noise));
        }
    }
    out
}

/// Cross-validated macro F1 of the fitted score with tags teaching their
/// rule (`rules`: each tagged alert's template id) and, where its rule has
/// no label of its own, its rule's family (`families`: each tagged alert's
/// [`super::drain::family`]), on the same folds as [`evaluate`].
#[allow(clippy::too_many_arguments)]
pub fn rule_tags_cv(
    x: &[Vec<bool>],
    y: &[bool],
    rules: &[Option<String>],
    families: &[Option<String>],
    fold: &[usize],
    folds: usize,
    cut: f64,
    min: u32,
    agreement: f64,
) -> f64 {
    let mut cv = Confusion::default();
    for k in 0..folds {
        let train: Vec<usize> = (0..x.len()).filter(|&i| fold[i] != k).collect();
        if train.is_empty() {
            continue;
        }
        let tx: Vec<Vec<bool>> = train.iter().map(|&i| x[i].clone()).collect();
        let ty: Vec<bool> = train.iter().map(|&i| y[i]).collect();
        let fitted = fit(&tx, &ty);
        let taught = rule_labels(
            train
                .iter()
                .filter_map(|&i| rules[i].as_deref().map(|r| (r, y[i]))),
            min,
            agreement,
        );
        let trained: std::collections::HashSet<&str> =
            train.iter().filter_map(|&i| rules[i].as_deref()).collect();
        let taught_families = rule_labels(
            train
                .iter()
                .filter_map(|&i| families[i].as_deref().map(|f| (f, y[i]))),
            min,
            agreement,
        );
        for i in (0..x.len()).filter(|&i| fold[i] == k) {
            // A rule with tags of its own in training, agreeing or not,
            // does not borrow its family's label.
            let own = rules[i].as_deref().filter(|r| trained.contains(r));
            let by_rule = match own {
                Some(r) => taught.get(r).copied(),
                None => families[i]
                    .as_deref()
                    .and_then(|f| taught_families.get(f))
                    .copied(),
            };
            let noise = by_rule.unwrap_or_else(|| fitted.score(&x[i]) >= cut);
            cv.add(noise, y[i]);
        }
    }
    cv.metrics().macro_f1
}

/// The fitted weights as [`Weights`] from an evaluation's map.
pub fn weights_of(e: &Evaluation) -> Weights {
    Weights {
        bias: e.weights.get("(bias)").copied().unwrap_or(0.0),
        weights: REASONS
            .iter()
            .chain(EVIDENCE.iter())
            .map(|n| e.weights.get(*n).copied().unwrap_or(0.0))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_by_hand() {
        let mut c = Confusion::default();
        // 3 true noise, 1 false noise, 2 missed, 4 true actionable.
        for (p, t) in [
            (true, true),
            (true, true),
            (true, true),
            (true, false),
            (false, true),
            (false, true),
            (false, false),
            (false, false),
            (false, false),
            (false, false),
        ] {
            c.add(p, t);
        }
        let m = c.metrics();
        assert!((m.precision - 0.75).abs() < 1e-12);
        assert!((m.recall - 0.6).abs() < 1e-12);
        // F1 noise = 2·.75·.6/1.35 = 0.6667; actionable: p = 4/6, r = 4/5,
        // F1 = 0.7273; macro = 0.6970.
        assert!((m.f1 - 2.0 / 3.0).abs() < 1e-4);
        assert!((m.macro_f1 - (2.0 / 3.0 + 8.0 / 11.0) / 2.0).abs() < 1e-4);
    }

    #[test]
    fn fit_learns_a_reason_the_rules_overweight() {
        // RECURRING (index 5) is, in these tags, never noise on its own:
        // the fitted weight must turn it actionable; TRANSIENT stays noise.
        let k = REASONS.len() + EVIDENCE.len();
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..200 {
            let mut f = vec![false; k];
            if i % 2 == 0 {
                f[5] = true;
                y.push(false);
            } else {
                f[0] = true;
                y.push(true);
            }
            x.push(f);
        }
        let w = fit(&x, &y);
        let mut recurring = vec![false; k];
        recurring[5] = true;
        let mut transient = vec![false; k];
        transient[0] = true;
        assert!(w.score(&recurring) < 0.5);
        assert!(w.score(&transient) > 0.5);
        let folds: Vec<usize> = (0..200).map(|i| i % 5).collect();
        let e = evaluate(&x, &y, &folds, 5, 0.5);
        assert!(e.fitted_cv_macro_f1 > 0.99, "{}", e.fitted_cv_macro_f1);
        // The rules call both noise: precision 0.5, recall 1.
        assert!((e.rules.precision - 0.5).abs() < 1e-12);
        assert!((e.rules.recall - 1.0).abs() < 1e-12);
    }

    /// Rules with enough agreeing tags get their label; too few tags, or a
    /// split, none.
    #[test]
    fn rules_learn_from_their_tags() {
        let tags = [
            ("a", true),
            ("a", true),
            ("a", false),
            ("a", true),
            ("a", true),
            ("b", false),
            ("b", false),
            ("c", true),
            ("d", true),
            ("d", false),
        ];
        let got = rule_labels(tags, 2, 0.8);
        // a: 4 of 5 noise (0.8); b: 2 of 2 actionable; c: one tag; d: split.
        assert_eq!(got.get("a"), Some(&true));
        assert_eq!(got.get("b"), Some(&false));
        assert_eq!(got.get("c"), None);
        assert_eq!(got.get("d"), None);
        assert_eq!(rule_labels(tags, 1, 0.8).get("c"), Some(&true));
    }

    /// Rules `a` (team pay) and `b` (team data) share the text "Host down"
    /// (family "Host down"): two actionable tags on `a` teach `b`, which has
    /// none; `c` has one noise and one actionable tag (no agreement): it
    /// borrows nothing; `d` is of another family.
    #[test]
    fn tags_teach_similar_rules() {
        let some = |s: &str| Some(s.to_string());
        let rules = [some("a"), some("a"), some("c"), some("c")];
        let families = [
            some("Host down"),
            some("Host down"),
            some("Host down"),
            some("Host down"),
        ];
        let y = [false, false, true, false];
        let templates = [
            ("a", "Host down [HostDown, pay]"),
            ("b", "Host down [HostDown, data]"),
            ("c", "Host down [Other]"),
            ("d", "Disk full"),
        ];
        // Agreement 0.7: the family's 3 actionable of 4 agree; c's 1 of 2
        // do not.
        let got = taught(templates.into_iter(), &rules, &families, &y, 2, 0.7);
        assert_eq!(got.get("a").map(String::as_str), Some("actionable"));
        assert_eq!(got.get("b").map(String::as_str), Some("actionable"));
        assert_eq!(got.get("c"), None);
        assert_eq!(got.get("d"), None);
        assert_eq!(
            super::super::drain::family("Host down [HostDown, data]"),
            "Host down"
        );
        assert_eq!(super::super::drain::family("Disk full"), "Disk full");
    }
}
