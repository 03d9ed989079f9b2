#!/usr/bin/env bash
# Report benchmark (#5): on the store bench/classify.sh builds (a demo
# history of 1 and 10 million alerts), `alertsift run --store` classifies
# everything and reports on it. Prints the reporting time — everything after
# the classified table is collected: pages, paging load per team / person /
# service / template / week, recommendations with their what-if replays,
# tables, report.md, template statistics, episodes, review.csv, charts (SVG
# and PNG), report.html and summary.json — and, apart, the time of the thread
# that writes alerts.parquet alongside (the report waits for it), the CPU
# time all threads spent in the reporting (on a busy or shared machine a
# steadier figure than the time: the reporting keeps both cores busy), the
# whole run and peak memory. Run by hand; record the figures in the README with the
# machine they came from.
#
#   bash bench/report.sh
#   SIZES=1000000 bash bench/report.sh
source "$(dirname "$0")/common.sh"

machine
printf '%-10s %10s %10s %12s %14s %10s %10s\n' alerts pages report_s parquet_s report_cpu_s run_s peak_MiB
for n in ${SIZES:-1000000 10000000}; do
  timed_run "$n"
  secs() { sed -n "s/^timing: $1: \([0-9.]*\)s.*/\1/p" "$data/timings.txt" | head -1; }
  # Reporting: the classify-and-report span less planning and collecting
  # the classified table.
  report=$(python3 -c "print(round($(secs 'classify and report') - $(secs 'classify (plan)') - $(secs 'classify (collect the alerts table)'), 2))")
  parquet=$(secs 'report: alerts.parquet (its own thread)')
  cpu() { sed -n "s/^timing: $1: .*process cpu \([0-9.]*\)s.*/\1/p" "$data/timings.txt" | head -1; }
  report_cpu=$(python3 -c "print(round($(cpu 'classify and report') - $(cpu 'classify (collect the alerts table)'), 2))")
  pages=$(python3 -c "import json; print(json.load(open('$data/run-out/summary.json'))['pages'])")
  read -r run kib < "$data/time.txt"
  printf '%-10s %10s %10s %12s %14s %10s %10.0f\n' "$n" "$pages" "$report" "$parquet" "$report_cpu" "$run" "$(mib "$kib")"
done
rm -rf "$data/run-out"
