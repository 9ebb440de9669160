"""A webhook receiver that verifies each delivery with the reference Standard Webhooks library (PyPI
`standardwebhooks`), as any organization's receiver would, and prints one JSON line per delivery.

    standard_receiver.py SECRET_FILE [--fail-first N] [--slow-first N] [--port P]

It prints `listening on http://127.0.0.1:PORT` first. The secret is read from SECRET_FILE at each delivery (the
test writes it once `custody webhook add` has printed it). The first N deliveries are answered 500 unverified;
with --slow-first, the first N verified ones are answered only after 3 s (a deliverer can be killed meanwhile).
"""
import json
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

# The test process starts this with most signals blocked (a spawned child inherits its thread's mask): without
# unblocking SIGTERM, a stop would wait out its grace period and end in SIGKILL.
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])

secret_file = sys.argv[1]
def option(name, default):
    return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


fail_first = option("--fail-first", 0)
slow_first = option("--slow-first", 0)
seen = {"count": 0, "verified": 0}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        seen["count"] += 1
        if seen["count"] <= fail_first:
            print(json.dumps({"id": self.headers.get("webhook-id"), "answered": 500}), flush=True)
            self.send_response(500)
            self.end_headers()
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            with open(secret_file) as handle:
                secret = handle.read().strip()
            message = Webhook(secret).verify(body, headers)
            print(json.dumps({"id": headers.get("webhook-id"), "verified": True, "type": message.get("type"),
                              "data": message.get("data")}), flush=True)
            seen["verified"] += 1
            if seen["verified"] <= slow_first:
                time.sleep(3)
            self.send_response(204)
        except Exception as error:  # an unverifiable delivery is a failure the test reports
            print(json.dumps({"id": headers.get("webhook-id"), "verified": False, "error": str(error)}), flush=True)
            self.send_response(401)
        self.end_headers()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", option("--port", 0)), Handler)
print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
