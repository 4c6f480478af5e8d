"""Quick-ack benchmark: history files from a keep-alive server that leaves Nagle's algorithm on.

`mlflow server` with more than one uvicorn worker writes a response's headers and body in two
segments with Nagle on, so a client that delays its acknowledgement (Linux: 40 ms) waits that
long for every body after a connection's first (uvicorn issue #3149). `tracking.server_http`
switches its connections to quick-ack mode before each answer. Measured in one run against a
local server that answers that way: a plain `requests` session (the baseline) and the
`ServerSession`, 50 files each, best of 3; the target is the fetcher at <= 1/4 of the baseline.
(The tests count the quick-ack switches instead: `tests/integration/test_server_http.py`.)

    .venv/bin/python scripts/bench_fetch.py [--files 50]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from tracking.server_http import HostCreds, ServerSession  # noqa: E402

BODY = b"history file " * 2000
PATH = "/api/2.0/mlflow-artifacts/artifacts/0/run/artifacts/lossboard/history.npz"


class TwoWrites(BaseHTTPRequestHandler):
    """Headers and body in two writes on a keep-alive connection, Nagle on: uvicorn's way."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args: object) -> None:
        pass


def best_seconds(get: Callable[[], bytes | None], files: int, rounds: int = 3) -> float:
    get()  # connected: every later request is on a kept-alive connection
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(files):
            get()
        times.append(time.perf_counter() - started)
    return min(times)


def bench_fetch(files: int = 50) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), TwoWrites)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        plain, fetcher = requests.Session(), ServerSession(HostCreds(url))
        baseline = best_seconds(lambda: plain.get(url + PATH).content, files)
        quick = best_seconds(lambda: fetcher.get_file(PATH, 1 << 20), files)
    finally:
        server.shutdown()
        server.server_close()
    ratio = quick / baseline
    print(f"quickack: {files} files, plain session {baseline * 1000:.0f} ms "
          f"({baseline / files * 1000:.1f} ms a file), ServerSession {quick * 1000:.0f} ms "
          f"({quick / files * 1000:.1f} ms a file): x{ratio:.2f} of baseline; target <= 0.25: "
          f"{'met' if ratio <= 0.25 else 'MISSED'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=50)
    bench_fetch(parser.parse_args().files)
