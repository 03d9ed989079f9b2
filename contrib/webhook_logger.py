#!/usr/bin/env python3
"""Keep Alertmanager's notifications for alertsift: a webhook receiver that
appends every payload, as received, to a JSON-lines file with the time it
arrived: {"receivedAt": "...", "payload": {...}}.

    python3 webhook_logger.py --port 9099 --out /var/lib/alertmanager-history/webhooks.jsonl

Standard library only. Rotate the file however you like (one per month is
convenient); `alertsift run DIR` reads every file in a directory.
"""
import argparse
import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
parser.add_argument("--port", type=int, default=9099, help="port to listen on (default 9099)")
parser.add_argument("--out", required=True, help="JSON-lines file to append to")
args = parser.parse_args()
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            payload = json.loads(body)
        except ValueError:
            self.send_response(400)
            self.end_headers()
            return
        now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
        line = json.dumps({"receivedAt": now.replace("+00:00", "Z"), "payload": payload},
                          separators=(",", ":"))
        with lock, open(args.out, "a", encoding="utf-8") as f:
            f.write(line + "\n")
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_):
        pass


ThreadingHTTPServer((args.host, args.port), Handler).serve_forever()
