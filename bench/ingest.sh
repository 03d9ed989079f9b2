#!/usr/bin/env bash
# Ingest benchmark: demo histories of 1 and 10 million alerts, one format at a
# time, ingested into an empty store. Prints wall seconds, alerts per second
# and peak resident memory per run. Run by hand; record the figures in the
# README with the machine they came from.
#
#   bash bench/ingest.sh                 # 1M and 10M
#   SIZES=1000000 bash bench/ingest.sh   # 1M only
#   VENDORS="pagerduty datadog" SIZES=1000000 bash bench/ingest.sh
#
# Needs ~25 GB of disk for the 10M files (kept in bench/data for reruns).
source "$(dirname "$0")/common.sh"

machine
printf '%-10s %-14s %10s %9s %12s %10s\n' alerts format rows seconds alerts/s peak_MiB
for n in ${SIZES:-1000000 10000000}; do
  for vendor in ${VENDORS:-pagerduty opsgenie alertmanager datadog splunk-oncall jsm zabbix newrelic elastic grafana-alerting}; do
    dir="$data/$vendor-$n"
    demo "$n" "$vendor"
    case $vendor in
      pagerduty) file="$dir/pagerduty-incidents.csv"; fmt=pagerduty-csv ;;
      opsgenie) file="$dir/opsgenie-alerts.json"; fmt=opsgenie ;;
      alertmanager) file="$dir/alertmanager-webhooks.jsonl"; fmt=alertmanager ;;
      datadog) file="$dir/datadog-webhooks.jsonl"; fmt=datadog ;;
      splunk-oncall) file="$dir/splunk-oncall-incidents.json"; fmt=splunk-oncall ;;
      jsm) file="$dir/jsm-alerts.json"; fmt=jsm ;;
      zabbix) file="$dir/zabbix-events.json"; fmt=zabbix ;;
      newrelic) file="$dir/newrelic-issues.json"; fmt=newrelic ;;
      elastic) file="$dir/elastic-alerts.ndjson"; fmt=elastic ;;
      grafana-alerting) file="$dir/grafana-alerting-webhooks.jsonl"; fmt=grafana-alerting ;;
    esac
    rm -rf "$data/store"
    /usr/bin/time -f '%e %M' -o "$data/time.txt" \
      "$bin" ingest "$file" --store "$data/store" --config "$dir/alertsift.toml" --quiet
    read -r secs kib < "$data/time.txt"
    rows=$("$bin" store info --store "$data/store" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["alerts"]["rows"])')
    printf '%-10s %-14s %10s %9s %12.0f %10.0f\n' "$n" "$fmt" "$rows" "$secs" \
      "$(python3 -c "print($rows/$secs)")" "$(mib "$kib")"
  done
done
rm -rf "$data/store"
