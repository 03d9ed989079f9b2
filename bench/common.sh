# Sourced by the bench/*.sh scripts: build the release binary and name the
# data directory; `machine` prints what the figures came from; `demo N
# VENDOR` writes a 52-week demo history of N alerts from one vendor once;
# `store N` ingests the PagerDuty one (with its ServiceNow incidents) into
# bench/data/store-classify-N once; `timed_run N` runs `alertsift run --store`
# on it with ALERTSIFT_TIMINGS into $data/run-out, the phases in
# $data/timings.txt and `seconds peak-KiB` in $data/time.txt; `mib KIB`
# prints KiB as MiB.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/alertsift-target}"
cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/alertsift"
data="${BENCH_DATA:-bench/data}"
mkdir -p "$data"

machine() {
  echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m)${1:+; $1}"
}

demo() {
  local dir="$data/$2-$1"
  if [ ! -f "$dir/truth.csv" ]; then
    "$bin" demo --out "$dir" --alerts "$1" --weeks 52 --only "$2" --quiet
  fi
}

store() {
  local dir="$data/pagerduty-$1" store="$data/store-classify-$1"
  demo "$1" pagerduty
  if [ ! -f "$store/store.json" ]; then
    "$bin" ingest "$dir/pagerduty-incidents.csv" "$dir/servicenow-incidents.csv" \
      --store "$store" --config "$dir/alertsift.toml" --quiet
  fi
}

timed_run() {
  store "$1"
  rm -rf "$data/run-out"
  ALERTSIFT_TIMINGS=1 /usr/bin/time -f '%e %M' -o "$data/time.txt" \
    "$bin" run --store "$data/store-classify-$1" --out "$data/run-out" \
    --config "$data/pagerduty-$1/alertsift.toml" --quiet 2> "$data/timings.txt"
}

mib() {
  python3 -c "print(round($1 / 1024))"
}
