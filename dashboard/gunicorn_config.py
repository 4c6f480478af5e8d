"""gunicorn settings for the dashboard (docker-compose.yml uses them):

    gunicorn --config python:dashboard.gunicorn_config --workers 2 dashboard.wsgi:server

Each worker builds the app from the environment as soon as it starts, not at its first request,
so its warm-up (LOSSBOARD_WARM_UP) has read the default experiment before anyone asks."""

from __future__ import annotations

from typing import Any


def post_worker_init(worker: Any) -> None:
    from dashboard.wsgi import server

    server.build()
