"""Figure builders as the tests read them: each figure checked against plotly's schema.

The dashboard builds figures as plain JSON dicts (`dashboard.plot_json`); `go.Figure(figure)`
validates every property, raising ValueError on one plotly does not know, and gives the tests
attribute access (`figure.data[0].line.width`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import plotly.graph_objects as go


def validated(builder: Callable[..., dict[str, Any]]) -> Callable[..., go.Figure]:
    """`builder`, its figure validated and returned as a `go.Figure`."""

    @wraps(builder)
    def build(*args: Any, **kwargs: Any) -> go.Figure:
        return go.Figure(builder(*args, **kwargs))

    return build
