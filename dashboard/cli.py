"""`lossboard`: the command line. Sub-commands: train, compare, serve, replay, hash-password."""

from __future__ import annotations

import argparse
import getpass
import ipaddress
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from dashboard import compare_cli
from tracking import TrackingSettings
from tracking.settings import SettingsError
from training import cli as training_cli


def _replay(args: argparse.Namespace) -> int:
    from tracking import replay_spool  # imports MLflow (~1.6 s): only to send
    from tracking.spool import SPOOL_FILE

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    folders = sorted(p.parent for p in args.path.glob(f"**/{SPOOL_FILE}"))
    if not folders:
        print(f"error: {args.path} holds no saved run ({SPOOL_FILE})", file=sys.stderr)
        return 2
    try:
        settings = TrackingSettings.from_env()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    chosen = args.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
    target = replace(settings, tracking_uri=chosen) if chosen else None
    failed = 0
    for folder in folders:
        report = replay_spool(folder, target)
        outcome = f"still unsent, kept in {report.spool}" if report.spool else \
            "still unsent, and could not be saved again" if report.lost else \
            f"sent; {report.refused} item(s) refused, see {report.refused_file}" \
            if report.refused else "sent"
        print(f"{folder}: run {report.run_id or '-'} {report.status}: {outcome}")
        failed += not report.complete
    return 1 if failed else 0


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_problem(host: str, sign_in: bool, allow_anonymous: bool) -> str | None:
    """Why serving on `host` is unsafe, or None: without sign-in, only loopback, unless asked."""
    if sign_in or allow_anonymous or is_loopback(host):
        return None
    return (f"refusing to serve on {host} without sign-in: anyone on the network could mark "
            "and promote runs; set LOSSBOARD_USERS (see `lossboard hash-password`) or pass "
            "--allow-anonymous")


def _serve(args: argparse.Namespace) -> int:
    # imported here: dash is only needed to serve, not to train or compare
    from dashboard.app import create_app
    from dashboard.production import serve
    from dashboard.settings import DashboardSettings
    from dashboard.wsgi import build_reader
    from tracking.reader import ReaderError

    try:
        settings = DashboardSettings.from_env()
        if args.tracking_uri:  # one store named on the command line: read and write it
            settings = replace(settings, tracking_uri=args.tracking_uri, read_uri=None)
        settings = replace(settings, host=args.host or settings.host,
                           port=args.port or settings.port, webgl=args.webgl or settings.webgl,
                           cache_dir=None if args.no_cache else settings.cache_dir)
        problem = exposure_problem(settings.host, settings.sign_in, args.allow_anonymous)
        if problem:
            raise SettingsError(problem)
        build_reader(settings)  # a bad store or setting is said here, before serving
    except (SettingsError, ReaderError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    who = f"sign-in on, {len(settings.users)} user(s)" if settings.sign_in else "no sign-in"
    print(f"Lossboard: http://{settings.host}:{settings.port}/ ({who}; Ctrl-C to stop)",
          file=sys.stderr)
    # built again in the server's worker process: connections never cross a fork
    serve(lambda: create_app(settings, build_reader(settings)).server, settings.host,
          settings.port, access_log=args.access_log)
    return 0


def read_password() -> str:
    """The password: asked twice on a terminal, else the first line of stdin."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != password:
        raise SettingsError("the two passwords differ")
    return password


def _hash_password(_args: argparse.Namespace) -> int:
    from dashboard.auth import hash_password

    try:
        password = read_password()
        if not password:
            raise SettingsError("the password is empty")
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, EOFError):
        return 130
    print(hash_password(password))
    return 0


def port_number(text: str) -> int:
    """argparse type: a TCP port, 1 to 65535."""
    from dashboard.settings import is_port

    if not is_port(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1 to 65535)")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lossboard",
        description="Compare MLflow runs where validation loss and accuracy disagree.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    train = commands.add_parser("train", help="train the demo sweeps and log them to MLflow",
                                description=training_cli.build_parser().description)
    training_cli.add_arguments(train)
    train.set_defaults(handler=training_cli.run)
    comparing = commands.add_parser(
        "compare", help="where loss and accuracy disagree in an experiment",
        description=compare_cli.DESCRIPTION)
    compare_cli.add_arguments(comparing)
    comparing.set_defaults(handler=compare_cli.run)
    serve = commands.add_parser("serve", help="serve the dashboard (http://127.0.0.1:8050)")
    serve.add_argument("--tracking-uri", metavar="URI",
                       help="default: $MLFLOW_TRACKING_URI, else sqlite:///mlflow.db")
    serve.add_argument("--host", help="address to listen on (default: $LOSSBOARD_HOST, else "
                                      "127.0.0.1, this machine only)")
    serve.add_argument("--port", type=port_number, help="default: $LOSSBOARD_PORT, else 8050")
    serve.add_argument("--allow-anonymous", action="store_true",
                       help="serve on a non-loopback address without sign-in (anyone who can "
                            "reach it can mark and promote runs)")
    serve.add_argument("--webgl", action="store_true",
                       help="draw the faint lines of unselected runs with WebGL (default: "
                            "$LOSSBOARD_WEBGL, else SVG, which is faster without a GPU)")
    serve.add_argument("--access-log", action="store_true",
                       help="log every request to stderr (default: off)")
    serve.add_argument("--no-cache", action="store_true",
                       help="over http(s): keep no finished runs on disk between starts "
                            "(default: $LOSSBOARD_CACHE_DIR, else ~/.cache/lossboard)")
    serve.set_defaults(handler=_serve)
    hashing = commands.add_parser(
        "hash-password", help="print a password hash for LOSSBOARD_USERS",
        description="Reads a password (asked twice on a terminal, else the first line of "
                    "stdin) and prints its hash for LOSSBOARD_USERS entries name:role:hash.")
    hashing.set_defaults(handler=_hash_password)
    replay = commands.add_parser(
        "replay", help="send runs a logger saved when it could not reach its tracking store")
    replay.add_argument("path", type=Path, nargs="?", default=Path("lossboard-unsent"),
                        help="a saved run's folder, or a folder of them "
                             "(default: %(default)s)")
    replay.add_argument("--tracking-uri", metavar="URI",
                        help="send to this store (default: $MLFLOW_TRACKING_URI if set, else "
                             "the store the run was meant for)")
    replay.set_defaults(handler=_replay)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
