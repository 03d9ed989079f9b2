#!/usr/bin/env bash
# Classify benchmark: a demo history of 1 and 10 million alerts (PagerDuty
# CSV, as bench/ingest.sh writes it) is ingested into a store once, then
# `alertsift run --store` classifies everything the store holds and writes
# the run's tables. Prints the classify time (planning and collecting the
# classified alerts table), the whole run's time and peak memory. Run by
# hand; record the figures in the README with the machine they came from.
#
#   bash bench/classify.sh
#   SIZES=1000000 bash bench/classify.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/alertsift-target}"
cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/alertsift"
data="${BENCH_DATA:-bench/data}"
mkdir -p "$data"

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m)"
printf '%-10s %14s %12s %10s\n' alerts classify_s run_s peak_MiB
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
  # Planning (reads the trigger times to see if they are in order) plus
  # collecting the classified table.
  classify=$(sed -n 's/^timing: classify ([a-z ]*): \([0-9.]*\)s.*/\1/p' "$data/timings.txt" |
    python3 -c 'import sys; print(round(sum(float(x) for x in sys.stdin), 2))')
  read -r secs kib < "$data/time.txt"
  printf '%-10s %14s %12s %10.0f\n' "$n" "$classify" "$secs" "$(python3 -c "print($kib/1024)")"
done
rm -rf "$data/run-out"
