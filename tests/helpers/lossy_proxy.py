"""An HTTP proxy that lets chosen requests reach the server, then drops the response.

This is the fault behind duplicate runs: the server acted, the client never heard back, and a
naive retry acts a second time. It is produced here for real, over TCP, not mocked.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from collections import Counter
from typing import BinaryIO


def _read_request(stream: BinaryIO) -> tuple[str, bytes] | None:
    """(path, raw request rewritten with Connection: close), or None at end of stream."""
    request_line = stream.readline()
    if not request_line.strip():
        return None
    headers, length = [], 0
    while (line := stream.readline()) not in (b"\r\n", b"\n", b""):
        name = line.split(b":", 1)[0].strip().lower()
        if name == b"content-length":
            length = int(line.split(b":", 1)[1])
        if name not in (b"connection", b"keep-alive"):
            headers.append(line)
    body = stream.read(length) if length else b""
    path = request_line.split()[1].decode().split("?")[0]
    raw = request_line + b"".join(headers) + b"Connection: close\r\n\r\n" + body
    return path, raw


class LossyProxy:
    """Forwards to 127.0.0.1:`upstream_port`; `drop[path]` responses to `path` are swallowed."""

    def __init__(self, upstream_port: int, drop: dict[str, int]) -> None:
        self.upstream_port = upstream_port
        self.to_drop = Counter(drop)
        self.dropped: list[str] = []
        self.seen: list[str] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                request = _read_request(self.rfile)
                if request is not None:
                    proxy._forward(*request, self.wfile)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _forward(self, path: str, raw: bytes, client: BinaryIO) -> None:
        with socket.create_connection(("127.0.0.1", self.upstream_port), timeout=30) as upstream:
            upstream.sendall(raw)
            response = b"".join(iter(lambda: upstream.recv(65536), b""))
        with self._lock:
            self.seen.append(path)
            drop = self.to_drop[path] > 0
            if drop:
                self.to_drop[path] -= 1
                self.dropped.append(path)
        if not drop:
            client.write(response)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
