from pathlib import Path

import pytest

from tracking.settings import DEFAULT_TRACKING_URI, SettingsError, TrackingSettings


def test_defaults_use_mlflows_embedded_sqlite_store() -> None:
    settings = TrackingSettings.from_env({})
    assert settings.tracking_uri == DEFAULT_TRACKING_URI == "sqlite:///mlflow.db"
    assert settings.request_timeout == 10.0
    assert settings.spool_dir == Path("lossboard-unsent")


def test_environment_overrides() -> None:
    settings = TrackingSettings.from_env({
        "MLFLOW_TRACKING_URI": "http://mlflow:5000",
        "LOSSBOARD_REQUEST_TIMEOUT": "2.5",
        "LOSSBOARD_FLUSH_TIMEOUT": "7",
        "LOSSBOARD_SPOOL_DIR": "/tmp/unsent",
        "LOSSBOARD_SEND_INTERVAL": "2",
        "LOSSBOARD_CACHE_DIR": "/tmp/runs",
    })
    assert settings == TrackingSettings("http://mlflow:5000", 2.5, 7.0, Path("/tmp/unsent"), 2.0,
                                        Path("/tmp/runs"))


@pytest.mark.parametrize(("environ", "folder"), [
    ({"HOME": "/home/ana"}, "/home/ana/.cache/lossboard"),
    ({"HOME": "/home/ana", "XDG_CACHE_HOME": "/var/cache/ana"}, "/var/cache/ana/lossboard"),
    ({"HOME": "/home/ana", "LOSSBOARD_CACHE_DIR": "~/runs"}, str(Path("~/runs").expanduser())),
])
def test_the_history_cache_lives_in_the_users_cache_folder(environ: dict[str, str],
                                                           folder: str) -> None:
    assert TrackingSettings.from_env(environ).cache_dir == Path(folder)


def test_empty_values_mean_default() -> None:
    settings = TrackingSettings.from_env({"MLFLOW_TRACKING_URI": "", "LOSSBOARD_FLUSH_TIMEOUT": "",
                                          "HOME": "/home/ana"})
    assert settings == TrackingSettings(cache_dir=Path("/home/ana/.cache/lossboard"))


@pytest.mark.parametrize("value", ["soon", "0", "-3"])
def test_bad_numbers_are_named_in_the_error(value: str) -> None:
    with pytest.raises(SettingsError, match=f"LOSSBOARD_FLUSH_TIMEOUT={value!r}"):
        TrackingSettings.from_env({"LOSSBOARD_FLUSH_TIMEOUT": value})
