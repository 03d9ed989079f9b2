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
source "$(dirname "$0")/common.sh"

machine
printf '%-10s %14s %12s %10s\n' alerts classify_s run_s peak_MiB
for n in ${SIZES:-1000000 10000000}; do
  timed_run "$n"
  # Planning (reads the trigger times to see if they are in order) plus
  # collecting the classified table.
  classify=$(sed -n 's/^timing: classify ([a-z ]*): \([0-9.]*\)s.*/\1/p' "$data/timings.txt" |
    python3 -c 'import sys; print(round(sum(float(x) for x in sys.stdin), 2))')
  read -r secs kib < "$data/time.txt"
  printf '%-10s %14s %12s %10.0f\n' "$n" "$classify" "$secs" "$(mib "$kib")"
done
rm -rf "$data/run-out"
