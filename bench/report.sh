#!/usr/bin/env bash
# Report benchmark (#5): on the store bench/classify.sh builds (a demo
# history of 1 and 10 million alerts), `alertsift run --store` classifies
# everything and reports on it. Prints the reporting time — everything after
# the classified table is collected: pages, paging load per team / person /
# service / template / week, recommendations with their what-if replays,
# tables, report.md, template statistics, episodes, review.csv, charts (SVG
# and PNG), report.html and summary.json — and, apart, the time of the thread
# that writes alerts.parquet alongside (the report waits for it), the whole
# run and peak memory. Run by hand; record the figures in the README with the
# machine they came from.
#
#   bash bench/report.sh
#   SIZES=1000000 bash bench/report.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/alertsift-target}"
cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/alertsift"
data="${BENCH_DATA:-bench/data}"
mkdir -p "$data"

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m)"
printf '%-10s %10s %10s %12s %10s %10s\n' alerts pages report_s parquet_s run_s peak_MiB
for n in ${SIZES:-1000000 10000000}; do
  dir="$data/pagerduty-$n"
  if [ ! -f "$dir/truth.csv" ]; then
    "$bin" demo --out "$dir" --alerts "$n" --weeks 52 --only pagerduty --quiet
  fi
  store="$data/store-classify-$n"
  if [ ! -f "$store/store.json" ]; then
    "$bin" ingest "$dir/pagerduty-incidents.csv" "$dir/servicenow-incidents.csv" \
      --store "$store" --config "$dir/alertsift.toml" --quiet
  fi
  rm -rf "$data/run-out"
  ALERTSIFT_TIMINGS=1 /usr/bin/time -f '%e %M' -o "$data/time.txt" \
    "$bin" run --store "$store" --out "$data/run-out" --config "$dir/alertsift.toml" --quiet \
    2> "$data/timings.txt"
  secs() { sed -n "s/^timing: $1: \([0-9.]*\)s.*/\1/p" "$data/timings.txt" | head -1; }
  # Reporting: the classify-and-report span less planning and collecting
  # the classified table.
  report=$(python3 -c "print(round($(secs 'classify and report') - $(secs 'classify (plan)') - $(secs 'classify (collect the alerts table)'), 2))")
  parquet=$(secs 'report: alerts.parquet (its own thread)')
  pages=$(python3 -c "import json; print(json.load(open('$data/run-out/summary.json'))['pages'])")
  read -r run kib < "$data/time.txt"
  printf '%-10s %10s %10s %12s %10s %10.0f\n' "$n" "$pages" "$report" "$parquet" "$run" \
    "$(python3 -c "print($kib/1024)")"
done
rm -rf "$data/run-out"
