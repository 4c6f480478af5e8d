"""`gunicorn dashboard.wsgi:server`: two real worker processes, settings from the environment."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

from tests.helpers.demo import DemoStore
from tests.helpers.mlflow_server import DashboardServer, GunicornDashboard


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_two_workers_serve_the_dashboard(demo_store: DemoStore, tmp_path: Path) -> None:
    server = GunicornDashboard(tmp_path, backend_uri=demo_store.uri)
    server.start()
    try:
        for _ in range(4):  # spread over both workers: each builds its app on first use
            status, page = get(f"{server.uri}/")
            assert status == 200 and "Lossboard" in page
        status, layout = get(f"{server.uri}/_dash-layout")
        assert status == 200 and "lossboard-demo" in layout
    finally:
        server.stop()


class MisconfiguredDashboard(GunicornDashboard):
    """Up as soon as it answers at all: its answer is the point of the test."""

    def environment(self) -> dict[str, str]:
        return super().environment() | {"LOSSBOARD_REFRESH_SECONDS": "0"}

    def healthy(self) -> bool:
        try:
            return get(f"{self.uri}/health")[0] == 503
        except OSError:
            return False


def test_a_bad_setting_is_a_clear_503_not_a_traceback(demo_store: DemoStore,
                                                      tmp_path: Path) -> None:
    server = MisconfiguredDashboard(tmp_path, backend_uri=demo_store.uri)
    server.start()
    try:
        status, text = get(f"{server.uri}/")
        assert status == 503
        assert text.startswith("Lossboard cannot start: LOSSBOARD_REFRESH_SECONDS='0' is not")
        assert "Traceback" not in text
    finally:
        server.stop()


class LoggedDashboard(DashboardServer):
    """`lossboard serve --access-log`."""

    def command(self) -> list[str]:
        return [*super().command(), "--access-log"]


def test_lossboard_serve_is_a_production_server_that_logs_requests_only_if_asked(
        demo_store: DemoStore, tmp_path: Path) -> None:
    """Flask's development server warned on every start and logged every request."""
    for server, logged in ((DashboardServer(tmp_path / "quiet", backend_uri=demo_store.uri),
                            False),
                           (LoggedDashboard(tmp_path / "logged", backend_uri=demo_store.uri),
                            True)):
        server.root.mkdir()
        server.start()
        try:
            status, page = get(f"{server.uri}/")
            assert status == 200 and "Lossboard" in page
        finally:
            server.stop()
        log = server.log_path.read_text()
        assert "Lossboard: http://127.0.0.1:" in log
        assert "development server" not in log and "Running on http" not in log
        assert ('"GET / HTTP/1.1" 200' in log) is logged, log
