"""The REST reader's server session over TLS, against a real HTTPS server on 127.0.0.1.

The server answers the way uvicorn's workers do: headers and body in two writes on a socket
with Nagle's algorithm on, so a client that delays its acknowledgement waits 40 ms a file.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import certifi
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tracking import server_http
from tracking.server_http import HostCreds, ServerSession

BODY = b"history file " * 200
PATH = "/api/2.0/mlflow-artifacts/artifacts/0/run/artifacts/lossboard/history.npz"


def self_signed(folder: Path) -> tuple[Path, Path]:
    """(certificate, key) files for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class FileHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive

    def do_GET(self) -> None:
        if self.path != PATH:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()  # one write for the headers...
        self.wfile.write(BODY)  # ...another for the body

    def log_message(self, *args: object) -> None:
        pass


class FileServer(ThreadingHTTPServer):
    """HTTPS on 127.0.0.1 with a self-signed certificate; counts the connections offered."""

    def __init__(self, folder: Path) -> None:
        super().__init__(("127.0.0.1", 0), FileHandler)
        self.cert, key = self_signed(folder)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, key)
        self.socket = context.wrap_socket(self.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server_address[1]}"
        self.connections = 0

    def get_request(self) -> tuple[socket.socket, object]:
        self.connections += 1  # before the TLS handshake, which may fail
        return super().get_request()


@pytest.fixture(scope="module")
def https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FileServer]:
    server = FileServer(tmp_path_factory.mktemp("tls"))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_files_over_tls_are_checked_against_the_servers_certificate(
        https_server: FileServer, monkeypatch: pytest.MonkeyPatch) -> None:
    url, cert = https_server.url, str(https_server.cert)
    # the certificate the user gave wins over REQUESTS_CA_BUNDLE, as in MLflow's own requests
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    assert ServerSession(HostCreds(url, verify=cert)).get_file(PATH, 1 << 20) == BODY
    assert ServerSession(HostCreds(url, verify=False)).get_file(
        PATH, 1 << 20) == BODY
    before = https_server.connections
    with pytest.raises(requests.exceptions.SSLError):
        ServerSession(HostCreds(url)).get_file(PATH, 1 << 20)  # not signed by a known authority
    assert https_server.connections == before + 1  # not retried: it would fail the same way


def test_over_tls_too_answers_come_without_the_delayed_ack_wait(
        https_server: FileServer, monkeypatch: pytest.MonkeyPatch) -> None:
    url, cert = https_server.url, str(https_server.cert)
    plain = requests.Session()
    fetcher = ServerSession(HostCreds(url, verify=cert))

    def plain_get() -> bytes | None:
        return plain.get(url + PATH, verify=cert).content

    def quick_get() -> bytes | None:
        return fetcher.get_file(PATH, 1 << 20)

    assert plain_get() == BODY
    assert_acknowledged_at_once(plain_get, quick_get, monkeypatch)


def assert_acknowledged_at_once(plain_get: Callable[[], bytes | None],
                                quick_get: Callable[[], bytes | None],
                                monkeypatch: pytest.MonkeyPatch, times: int = 20) -> None:
    """`quick_get` answers what `plain_get` does, and before each of `times` keep-alive answers
    its connection was switched to quick-ack mode, read back from the socket (counted events,
    not seconds: how many milliseconds that saves is `scripts/bench.py quickack`)."""
    switched: list[int] = []
    switch = server_http.acknowledge_at_once

    def spy(sock: socket.socket | None) -> None:
        switch(sock)
        if sock is not None:
            switched.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK))

    monkeypatch.setattr(server_http, "acknowledge_at_once", spy)
    assert quick_get() == plain_get()
    for _ in range(times - 1):
        quick_get()
    assert switched == [1] * times
