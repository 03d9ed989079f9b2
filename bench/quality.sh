#!/usr/bin/env bash
# Label and template quality on demo histories, against the ground truth
# `alertsift demo` writes: macro-F1 of the labels with no tags (the rules
# alone, every alert scored) and grouping accuracy (GA) of the alert
# templates (a true template counts when all its alerts, and only they,
# share one template_id). Seed 42 (5,000 alerts, 12 weeks: the sample data)
# is the history the rules were tuned on; the other seeds were never looked
# at while tuning. Run by hand; record the figures in the README.
#
#   bash bench/quality.sh
#   SEEDS="42 1 2" bash bench/quality.sh
#   DEMO_ARGS="--runbook-lines 0.3" bash bench/quality.sh   # another title style
source "$(dirname "$0")/common.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
machine
printf '%-6s %8s %10s %12s %12s\n' seed alerts macro_f1 template_ga tuned_on
for seed in ${SEEDS:-42 1 2 3 7 11}; do
  d="$tmp/demo-$seed"
  "$bin" demo --out "$d" --seed "$seed" ${DEMO_ARGS:-} --quiet
  "$bin" run "$d" --out "$d/out" --quiet
  "$bin" query --out "$d/out" "SELECT alert_id, label, template_id FROM alerts" -o "$d/labels.csv" --quiet
  python3 - "$d/truth.csv" "$d/labels.csv" "$seed" <<'PY'
import csv, sys
from collections import defaultdict
truth = {r["alert_id"]: r for r in csv.DictReader(open(sys.argv[1]))}
got = {r["alert_id"]: r for r in csv.DictReader(open(sys.argv[2]))}
# Labels: macro-F1 over noise and actionable.
def f1(pos):
    tp = sum(1 for k, t in truth.items() if t["label"] == pos and got[k]["label"] == pos)
    fp = sum(1 for k, t in truth.items() if t["label"] != pos and got[k]["label"] == pos)
    fn = sum(1 for k, t in truth.items() if t["label"] == pos and got[k]["label"] != pos)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return 2 * p * r / (p + r) if p + r else 0.0
macro = (f1("noise") + f1("actionable")) / 2
# Templates: grouping accuracy.
by_true, by_got = defaultdict(set), defaultdict(set)
for k, t in truth.items():
    by_true[t["template"]].add(k)
    by_got[got[k]["template_id"]].add(k)
right = sum(len(ids) for ids in by_true.values()
            if len({got[k]["template_id"] for k in ids}) == 1
            and by_got[got[next(iter(ids))]["template_id"]] == ids)
seed = sys.argv[3]
print(f"{seed:<6} {len(truth):>8} {macro:>10.3f} {right / len(truth):>12.3f} {'yes' if seed == '42' else 'no':>12}")
PY
done
