#!/usr/bin/env bash
# Fuzz the reading layer and each vendor's mapping (cargo fuzz, nightly;
# the fuzz crate in fuzz/ stays out of the main build and of CI). Runs each
# target for SECONDS (default 600) with a 2 GiB memory limit, seeded with
# the test fixtures, and prints one line a run: target, vendor, seconds,
# executions, corpus size, peak memory and how it ended. A crash leaves its input under
# fuzz/artifacts/ and stops the script (exit 1). Run by hand; record the
# figures in the README with the machine they came from.
#
#   bash bench/fuzz.sh                      # every target, 10 minutes each
#   SECONDS_EACH=60 TARGETS="read_json" bash bench/fuzz.sh
#   VENDORS="opsgenie alertmanager" bash bench/fuzz.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
each="${SECONDS_EACH:-600}"
sanitizer="${SANITIZER:-address}"
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/alertsift-fuzz-target}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
work="${FUZZ_WORK:-bench/data/fuzz}"
mkdir -p "$work"

# Seeds: the fixtures of one vendor (or all of them).
seeds() {
  local dir="$work/seeds-$1"
  rm -rf "$dir"
  mkdir -p "$dir"
  case "$1" in
    alertmanager) cp tests/fixtures/alertmanager/* tests/fixtures/variants/alertmanager-* "$dir" ;;
    pagerduty-rest) cp tests/fixtures/pagerduty/incidents.json tests/fixtures/variants/pagerduty-single-incident.json tests/fixtures/variants/pagerduty-v1-incidents.json "$dir" ;;
    pagerduty-log-entries) cp tests/fixtures/pagerduty/log_entries.json tests/fixtures/variants/pagerduty-v1-log-entries.json "$dir" ;;
    pagerduty-analytics) cp tests/fixtures/pagerduty/analytics*.json "$dir" ;;
    pagerduty-csv) cp tests/fixtures/pagerduty/*.csv "$dir" ;;
    opsgenie) cp tests/fixtures/opsgenie/* tests/fixtures/variants/opsgenie-* "$dir" ;;
    grafana-oncall) cp tests/fixtures/grafana/* "$dir" ;;
    incidentio) cp tests/fixtures/incidentio/* "$dir" ;;
    servicenow) cp tests/fixtures/servicenow/* tests/fixtures/variants/servicenow-* "$dir" ;;
    text) cp tests/fixtures/servicenow/* tests/fixtures/pagerduty/*.csv tests/fixtures/variants/*.csv "$dir" ;;
    jira-csv) cp tests/fixtures/jira/* "$dir" ;;
    splunk-oncall|zabbix|jsm|grafana-alerting|elastic|newrelic|datadog) cp tests/fixtures/"$1"/* "$dir" ;;
    *) find tests/fixtures -type f -size -64k -exec cp {} "$dir" \; ;;
  esac
  echo "$dir"
}

run() { # target vendor seed-dir
  local target=$1 vendor=$2 seed=$3 corpus="$work/corpus-$1-$2" log="$work/log-$1-$2.txt"
  mkdir -p "$corpus"
  local status=ok started=$SECONDS
  # Leak detection is off: the standard library's per-thread channel
  # context of the ingest worker threads is reported as leaked when a
  # thread exits (std internals only); memory is bounded by -rss_limit_mb.
  FUZZ_FORMAT="${vendor#-}" cargo +nightly fuzz run --fuzz-dir fuzz -s "$sanitizer" \
    --target-dir "$CARGO_TARGET_DIR" "$target" "$corpus" "$seed" -- \
    -max_total_time="$each" -rss_limit_mb=2048 -timeout=10 -detect_leaks=0 \
    -print_final_stats=1 >"$log" 2>&1 || status="FAILED (see $log)"
  local execs peak
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  peak=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
  printf '%-12s %-22s %8s %12s %8s %9s  %s\n' "$target" "$vendor" "$((SECONDS - started))" \
    "${execs:-?}" "$(find "$corpus" -type f | wc -l)" "${peak:-?}" "$status"
  [ "$status" = ok ] || exit 1
}

printf '%-12s %-22s %8s %12s %8s %9s  %s\n' target vendor seconds executions corpus peak_MiB result
for t in ${TARGETS:-read_json decode_text times vendor}; do
  case "$t" in
    vendor)
      for v in ${VENDORS:-alertmanager pagerduty-rest pagerduty-log-entries pagerduty-analytics pagerduty-csv opsgenie grafana-oncall incidentio servicenow splunk-oncall zabbix jsm grafana-alerting elastic newrelic datadog jira-csv}; do
        run vendor "$v" "$(seeds "$v")"
      done ;;
    decode_text) run decode_text - "$(seeds text)" ;;
    *) run "$t" - "$(seeds all)" ;;
  esac
done
