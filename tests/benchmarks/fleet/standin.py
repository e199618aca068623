"""The metric stand-ins of a simulated fleet: one HTTP listener per exporter, one replay per host.

``GET /metrics?host=<name>`` answers what that host's exporter would (``replay.HostReplay``); Prometheus asks for
each host through the ``__param_host`` label of its target (``config.fleet_config``).  Run as its own process so
its CPU time is its own (the benchmark reports it) and the GIL of the test process stays out of the scrapes:

    python -m tests.benchmarks.fleet.standin --captures DIR --hosts 50 --ports-file PATH
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.benchmarks.fleet.capture import load
from tests.benchmarks.fleet.exposition import CONTENT_TYPE
from tests.benchmarks.fleet.replay import HostReplay, fleet, host_names, template

EXPORTERS = ("node-exporter", "cadvisor")


def handler(replays: dict[str, HostReplay]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            host = parse_qs(url.query).get("host", [""])[0]
            replay = replays.get(host)
            if url.path != "/metrics" or replay is None:
                self.send_error(404, f"no host {host!r} at {url.path}")
                return
            body = replay.exposition(time.time()).encode()
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler


def serve(captures: Path, count: int, ports_file: Path) -> None:
    shapes = [template(load(captures, exporter)) for exporter in EXPORTERS]
    replays = fleet(shapes, host_names(count), origin=time.time())
    ports = {}
    for exporter in EXPORTERS:
        mine = {host: replay for (kind, host), replay in replays.items() if kind == exporter}
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler(mine))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, name=exporter, daemon=True).start()
        ports[exporter] = server.server_address[1]
    partial = ports_file.with_suffix(".partial")
    partial.write_text(json.dumps({"pid": os.getpid(), "ports": ports,
                                   "series_per_host": {s.capture.exporter: s.series_count for s in shapes}}))
    partial.rename(ports_file)
    threading.Event().wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.fleet.standin", description=__doc__)
    parser.add_argument("--captures", type=Path, required=True, help="directory of the captures (capture.save)")
    parser.add_argument("--hosts", type=int, required=True, help="how many hosts to simulate")
    parser.add_argument("--ports-file", type=Path, required=True, help="where to write the listeners' ports")
    args = parser.parse_args(argv)
    if args.hosts < 1:
        parser.error("--hosts must be at least 1")
    missing = [e for e in EXPORTERS if not (args.captures / f"{e}.json").exists()]
    if missing:
        print(f"standin: no capture of {', '.join(missing)} in {args.captures}: take them first "
              "(tests.benchmarks.fleet.capture)", file=sys.stderr)
        return 2
    serve(args.captures, args.hosts, args.ports_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
