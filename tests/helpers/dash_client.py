"""Calling a Dash callback the way the browser does: a POST to /_dash-update-component."""

from __future__ import annotations

from typing import Any

Prop = tuple[str, str]


def call(client: Any, outputs: list[Prop], inputs: list[tuple[str, str, Any]],
         state: list[tuple[str, str, Any]] | None = None, changed: str | None = None,
         ) -> dict[str, Any]:
    """The callback's answer as {"id.prop": value} (outputs it did not update are left out)."""
    payload = {
        "output": ".." + "...".join(f"{i}.{p}" for i, p in outputs) + "..",
        "outputs": [{"id": i, "property": p} for i, p in outputs],
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "state": [{"id": i, "property": p, "value": v} for i, p, v in state or []],
        "changedPropIds": [changed or f"{inputs[0][0]}.{inputs[0][1]}"],
    }
    response = client.post("/_dash-update-component", json=payload)
    assert response.status_code in (200, 204), response.data[:500]
    if response.status_code == 204:  # nothing updated
        return {}
    answer = response.get_json()["response"]
    return {f"{i}.{p}": answer[i][p] for i, p in outputs if i in answer and p in answer[i]}
