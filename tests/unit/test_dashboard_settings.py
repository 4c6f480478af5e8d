"""The dashboard's settings from the environment: the warm-up switch, the Host allowlist."""

from __future__ import annotations

import socket

import pytest

from dashboard.settings import DashboardSettings
from tracking.settings import SettingsError


@pytest.mark.parametrize(("value", "expected"), [(None, True), ("", True), ("1", True),
                                                 ("0", False), ("off", False), ("TRUE", True)])
def test_warm_up_is_on_unless_turned_off(value: str | None, expected: bool) -> None:
    env = {} if value is None else {"LOSSBOARD_WARM_UP": value}
    assert DashboardSettings.from_env(env).warm_up is expected


def test_a_bad_warm_up_value_is_named() -> None:
    with pytest.raises(SettingsError, match="LOSSBOARD_WARM_UP='maybe' is not 1 or 0"):
        DashboardSettings.from_env({"LOSSBOARD_WARM_UP": "maybe"})


def test_settings_built_in_code_do_not_warm_up() -> None:
    assert DashboardSettings().warm_up is False  # tests and embedders start nothing behind


@pytest.mark.parametrize(("value", "expected"), [(None, False), ("1", True), ("off", False)])
def test_webgl_is_off_unless_asked_for(value: str | None, expected: bool) -> None:
    env = {} if value is None else {"LOSSBOARD_WEBGL": value}
    assert DashboardSettings.from_env(env).webgl is expected
    with pytest.raises(SettingsError, match="LOSSBOARD_WEBGL='gpu' is not 1 or 0"):
        DashboardSettings.from_env({"LOSSBOARD_WEBGL": "gpu"})


def test_allowed_hosts_default_to_loopback_and_the_bound_host() -> None:
    listed = DashboardSettings.from_env({"LOSSBOARD_ALLOWED_HOSTS": " lb.example.org, ,*.x "})
    assert listed.host_allowlist == ("lb.example.org", "*.x")
    assert DashboardSettings.from_env({}).host_allowlist == ("localhost", "127.0.0.1", "[::1]")
    named = DashboardSettings.from_env({"LOSSBOARD_HOST": "LB.internal"})
    assert named.host_allowlist[-1] == "lb.internal"
    everywhere = DashboardSettings.from_env({"LOSSBOARD_HOST": "0.0.0.0"})
    assert everywhere.host_allowlist[-1] == socket.gethostname().lower()


def test_the_stalled_threshold_is_a_setting_with_a_named_range() -> None:
    assert DashboardSettings.from_env({}).stalled_seconds == 1800
    assert DashboardSettings.from_env({"LOSSBOARD_STALLED_SECONDS": "90"}).stalled_seconds == 90
    for bad in ("0", "soon", "nan"):
        with pytest.raises(SettingsError, match="LOSSBOARD_STALLED_SECONDS=.* from 1 to"):
            DashboardSettings.from_env({"LOSSBOARD_STALLED_SECONDS": bad})
