"""Password hashes, user entries from the environment, the credential cache, hash-password."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from dashboard import auth
from dashboard.auth import Accounts, User, check_password, hash_password, parse_user
from dashboard.cli import exposure_problem, is_loopback, main
from dashboard.settings import DashboardSettings
from tracking.settings import SettingsError

FAST = 1000  # iterations: enough to exercise PBKDF2, cheap enough for tests
ANA = hash_password("ana's password", FAST)
BOB = hash_password("bob's password", FAST)


def test_hash_format_is_safe_in_env_files_and_verifies() -> None:
    encoded = hash_password("correct horse")
    assert re.fullmatch(r"pbkdf2_sha256:600000:[0-9a-f]{32}:[0-9a-f]{64}", encoded)
    assert not {"$", ",", " "} & set(encoded)
    assert check_password("correct horse", encoded)
    assert not check_password("correct horse ", encoded)
    assert hash_password("correct horse") != encoded  # a fresh salt every time


def test_known_vector_and_tampering() -> None:
    salt = bytes(range(16))
    encoded = hash_password("pw", 1000, salt)
    assert encoded == hash_password("pw", 1000, salt)
    algorithm, iterations, salt_hex, digest = encoded.split(":")
    assert (algorithm, iterations, salt_hex) == ("pbkdf2_sha256", "1000", salt.hex())
    flipped = digest[:-1] + ("0" if digest[-1] != "0" else "1")
    assert not check_password("pw", ":".join([algorithm, iterations, salt_hex, flipped]))
    assert not check_password("pw", f"{algorithm}:999:{salt_hex}:{digest}")
    for malformed in ("", "pw", "pbkdf2_sha256:0:00:00", "md5:1000:" + salt_hex + ":" + digest,
                      encoded.upper(), encoded + ":"):
        assert not check_password("pw", malformed)


def test_entries_parse_into_users_and_hide_the_hash() -> None:
    user = parse_user(f" ana:reviewer:{ANA} ", "entry 1")
    assert user == User("ana", "reviewer", ANA) and user.may_review
    assert ANA not in repr(user)
    assert not parse_user(f"bob:viewer:{BOB}", "entry 2").may_review


@pytest.mark.parametrize(("entry", "message"), [
    (f"ana:admin:{ANA}", "entry 3 (user ana): the role must be viewer or reviewer"),
    (f"ana:reviewer:{ANA[:-2]}", "entry 3 (user ana): the password hash is not"),
    ("ana:reviewer:plain-text-password", "entry 3 (user ana): the password hash is not"),
    ("ana", "entry 3: expected name:role:hash"),
    ("ana:hunter2", "entry 3: expected name:role:hash"),
    (f"a b:viewer:{ANA}", "entry 3: expected name:role:hash"),
    (f":viewer:{ANA}", "entry 3: expected name:role:hash"),
])
def test_bad_entries_name_the_entry_never_the_hash(entry: str, message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)) as raised:
        parse_user(entry, "entry 3")
    secret = entry.split(":", 2)[-1]  # the hash, or whatever stands in its place
    assert ":" not in entry or secret not in str(raised.value)


def test_settings_read_users_from_the_variable_and_the_file(tmp_path: Path) -> None:
    entries = f"ana:reviewer:{ANA},bob:viewer:{BOB},"  # a trailing comma is no entry
    listed = DashboardSettings.from_env({"LOSSBOARD_USERS": entries})
    assert [(u.name, u.role) for u in listed.users] == [("ana", "reviewer"), ("bob", "viewer")]
    assert listed.sign_in and ANA not in repr(listed)
    secrets_file = tmp_path / "users"
    secrets_file.write_text(f"# the team\n\nana:reviewer:{ANA}\n  # bob reads only\n"
                            f"bob:viewer:{BOB}\n")
    from_file = DashboardSettings.from_env({"LOSSBOARD_USERS_FILE": str(secrets_file)})
    assert from_file.users == listed.users
    assert not DashboardSettings.from_env({"LOSSBOARD_USERS": ""}).sign_in
    assert not DashboardSettings.from_env({}).sign_in


def test_settings_errors_say_where(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="LOSSBOARD_USERS entry 2 \\(user bob\\): the role"):
        DashboardSettings.from_env({"LOSSBOARD_USERS": f"ana:reviewer:{ANA},bob:owner:{BOB}"})
    with pytest.raises(SettingsError, match="entry 2: user ana is already defined"):
        DashboardSettings.from_env({"LOSSBOARD_USERS": f"ana:reviewer:{ANA},ana:viewer:{BOB}"})
    lines = tmp_path / "users"
    lines.write_text(f"# header\nana:reviewer:{ANA}\nbob:viewer:nope\n")
    with pytest.raises(SettingsError, match="LOSSBOARD_USERS_FILE line 3 \\(user bob\\)"):
        DashboardSettings.from_env({"LOSSBOARD_USERS_FILE": str(lines)})
    with pytest.raises(SettingsError, match="cannot be read"):
        DashboardSettings.from_env({"LOSSBOARD_USERS_FILE": str(tmp_path / "missing")})
    (tmp_path / "empty").write_text("# nobody yet\n")
    with pytest.raises(SettingsError, match="names no user"):
        DashboardSettings.from_env({"LOSSBOARD_USERS_FILE": str(tmp_path / "empty")})


def test_accounts_check_once_and_keep_no_password(monkeypatch: pytest.MonkeyPatch) -> None:
    checks: list[str] = []
    real_check = auth.check_password

    def counted(password: str, encoded: str) -> bool:
        checks.append(encoded)
        return real_check(password, encoded)

    monkeypatch.setattr(auth, "check_password", counted)
    accounts = Accounts([User("ana", "reviewer", ANA), User("bob", "viewer", BOB)])
    assert accounts.authenticate("ana", "ana's password") == User("ana", "reviewer", ANA)
    assert accounts.authenticate("ana", "ana's password") is not None
    assert len(checks) == 1  # the second request was answered from memory
    assert accounts.authenticate("ana", "bob's password") is None
    assert accounts.authenticate("bob", "ana's password") is None
    assert accounts.authenticate("mallory", "ana's password") is None
    assert len(checks) == 4  # failures are never remembered; unknown names cost a check too
    assert "ana's password" not in repr(vars(accounts))


def test_hash_password_reads_one_line_from_stdin(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("  spaced out  \nsecond line\n"))
    assert main(["hash-password"]) == 0
    printed = capsys.readouterr().out.strip()
    assert check_password("  spaced out  ", printed) and printed.count(":") == 3
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert main(["hash-password"]) == 2
    assert capsys.readouterr().err.strip() == "error: the password is empty"


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True),
    ("localhost", True), ("LOCALHOST", True), ("0.0.0.0", False), ("::", False),
    ("192.168.1.5", False), ("dashboard.example.com", False), ("", False)])
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    assert (exposure_problem(host, sign_in=False, allow_anonymous=False) is None) is loopback
    assert exposure_problem(host, sign_in=True, allow_anonymous=False) is None
    assert exposure_problem(host, sign_in=False, allow_anonymous=True) is None
