"""The Internet-ID app's ``api`` and ``web`` services in a container, for the end-to-end suite.

``api`` runs the live suite's API stand-in (``tests/live/harness/api_standin.py``: the API's
real metric names, labels, buckets and ``/api/health``) on port 3001 of every interface, plus a
control port on 127.0.0.1:3999 inside the container; ``web`` serves a static page on 3000.

Tests steer the API from outside with ``docker exec <container> python3 /app/app_standin.py
control METHOD [ARG ...]`` (``tests/e2e/harness/app.py`` wraps it): ``down``/``up`` close and
reopen port 3001, and every other test control of ``ApiStandIn`` is reachable the same way.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tests.live.harness import api_standin

API_PORT = 3001
WEB_PORT = 3000
CONTROL = ("127.0.0.1", 3999)
CONTROLS = ("down", "up", "hang", "answer", "reset", "set_error_ratio", "set_latency", "set_cache_hit_ratio",
            "set_service_health")
"""``ApiStandIn`` methods a test may call through the control port."""

# The live suite binds its stand-ins to loopback; in a container they must answer on the
# container's network interfaces, so the module's bind address is replaced before anything starts.
api_standin.LOOPBACK = "0.0.0.0"  # type: ignore[attr-defined]


def _control_server(standin: api_standin.ApiStandIn) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            method = self.path.strip("/")
            length = int(self.headers.get("Content-Length") or 0)
            body: dict[str, Any]
            try:
                args = json.loads(self.rfile.read(length) or b"[]")
                if method not in CONTROLS or not isinstance(args, list):
                    raise ValueError(f"unknown control {method!r}; known: {', '.join(CONTROLS)}")
                getattr(standin, method)(*args)
                status, body = 200, {"ok": True, "is_up": standin.is_up}
            except (TypeError, ValueError) as error:
                status, body = 400, {"ok": False, "error": str(error)}
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(CONTROL, Handler)
    server.daemon_threads = True
    return server


def serve_api() -> None:
    standin = api_standin.ApiStandIn(API_PORT).start()
    control = _control_server(standin)
    threading.Thread(target=control.serve_forever, name="control", daemon=True).start()
    print(f"api stand-in on :{API_PORT} (/api/metrics, /api/health), control on {CONTROL[0]}:{CONTROL[1]}",
          flush=True)
    _wait_for_stop()
    control.shutdown()
    standin.stop()


def serve_web() -> None:
    site = api_standin.StaticSite(WEB_PORT).start()
    print(f"web stand-in on :{WEB_PORT}", flush=True)
    _wait_for_stop()
    site.stop()


def _wait_for_stop() -> None:
    """Block until SIGTERM or SIGINT (PID 1 in a container gets no default signal handling)."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda number, frame: stop.set())
    stop.wait()


def control(method: str, raw_args: list[str]) -> int:
    """Call one control of the running API stand-in; arguments are JSON values (or plain strings)."""
    args: list[Any] = []
    for raw in raw_args:
        try:
            args.append(json.loads(raw))
        except ValueError:
            args.append(raw)
    request = urllib.request.Request(f"http://{CONTROL[0]}:{CONTROL[1]}/{method}", data=json.dumps(args).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            print(response.read().decode())
            return 0
    except urllib.error.HTTPError as error:
        print(error.read().decode(), file=sys.stderr)
        return 2
    except OSError as error:
        print(f"control port not answering: {error}", file=sys.stderr)
        return 1


def main(argv: list[str]) -> int:
    if argv[:1] == ["api"]:
        serve_api()
    elif argv[:1] == ["web"]:
        serve_web()
    elif argv[:1] == ["control"] and len(argv) >= 2:
        return control(argv[1], argv[2:])
    else:
        print("usage: app_standin.py api | web | control METHOD [ARG ...]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
