#!/usr/bin/env bash
# What-if benchmark: a 16-value pause sweep (0m..15m/1m) over the store of
# 10 million demo alerts that bench/classify.sh builds: classify everything,
# collect the pages, replay each value. Prints the phases and the whole
# command's time and peak memory, three runs. Target: under 60 s. Run by
# hand; record the figures in the README with the machine they came from.
#
#   bash bench/whatif.sh
#   N=1000000 bash bench/whatif.sh
source "$(dirname "$0")/common.sh"
n="${N:-10000000}"
store "$n"
store="$data/store-classify-$n"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
machine "$n alerts"
printf '%-4s %12s %10s %10s %10s %10s\n' run classify_s pages_s replay_s total_s peak_MiB
phase() { sed -n "s/^timing: whatif: $1: \([0-9.]*\)s.*/\1/p" "$tmp/t.txt"; }
for run in 1 2 3; do
  ALERTSIFT_TIMINGS=1 /usr/bin/time -f '%e %M' -o "$tmp/time.txt" \
    "$bin" whatif --store "$store" --config "$data/pagerduty-$n/alertsift.toml" \
    --sweep pause=0m..15m/1m --out "$tmp/out" --quiet 2> "$tmp/t.txt"
  read -r secs kib < "$tmp/time.txt"
  printf '%-4s %12s %10s %10s %10s %10.0f\n' "$run" "$(phase 'classify and collect the pages')" \
    "$(phase 'pages from the frame')" "$(phase replay)" "$secs" "$(mib "$kib")"
done
