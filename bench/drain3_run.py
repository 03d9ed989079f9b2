"""Run the reference Drain3 (default settings) over one column of a CSV file.

Prints one JSON line: records, clusters, seconds (mining only) and the
cluster id of every record (so the caller can score grouping accuracy).
"""
import csv
import json
import sys
import time

from drain3 import TemplateMiner
from drain3.template_miner_config import TemplateMinerConfig

path, column = sys.argv[1], sys.argv[2]
limit = int(sys.argv[3]) if len(sys.argv) > 3 else None
with open(path, newline="", encoding="utf-8", errors="replace") as f:
    texts = [row[column] for row in csv.DictReader(f)]
if limit:
    texts = texts[:limit]
config = TemplateMinerConfig()
config.profiling_enabled = False
miner = TemplateMiner(config=config)
start = time.perf_counter()
ids = [miner.add_log_message(t)["cluster_id"] for t in texts]
seconds = time.perf_counter() - start
print(json.dumps({"records": len(texts), "clusters": len(miner.drain.clusters),
                  "seconds": seconds, "ids": ids}))
