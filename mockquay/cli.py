"""The ``mockquay`` command: ``serve``, ``check-fixtures`` and ``schema``."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Sequence

from mockquay.control.schemas import fixture_json_schema
from mockquay.extension import emulator_of
from mockquay.fixtures import FixtureError, apply_documents, read_documents
from mockquay.profiles import UnknownProfile
from mockquay.settings import Settings
from mockquay.store import Store


def _repeatable(parser: argparse.ArgumentParser, flag: str, metavar: str, text: str) -> None:
    parser.add_argument(flag, action="append", metavar=metavar, help=text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mockquay", description="A simulator of Red Hat Quay's repository-mirror API."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the mock server")
    serve.add_argument("--host", help="address to bind (MOCKQUAY_HOST; default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port, 0 for a free one (MOCKQUAY_PORT; 8080)")
    _repeatable(
        serve,
        "--fixtures",
        "PATH",
        "fixture file or folder; repeatable (MOCKQUAY_FIXTURES; default: bundled)",
    )
    serve.add_argument("--data", metavar="FILE", help="keep state in this JSON file")
    serve.add_argument(
        "--profile",
        help="Quay profile or release, e.g. latest, 3.15, 3.16.2 (MOCKQUAY_PROFILE; default "
        "latest; a fixture's settings.profile wins)",
    )
    serve.add_argument("--seed", type=int, help="seed for chance-based faults (MOCKQUAY_SEED)")
    _repeatable(
        serve,
        "--faults",
        "FILE",
        "fault rules (a YAML or JSON list) installed at boot and on reset; repeatable",
    )
    serve.add_argument("--admin-token", help="require this X-Mockquay-Admin-Token on /__mockquay__")
    check = commands.add_parser("check-fixtures", help="validate fixture documents")
    check.add_argument("paths", nargs="+", metavar="PATH")
    commands.add_parser("schema", help="print the JSON Schema of fixture documents")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mockquay`` console script."""
    arguments = _parser().parse_args(argv)
    if arguments.command == "check-fixtures":
        return check_fixtures(arguments.paths)
    if arguments.command == "schema":
        print(json.dumps(fixture_json_schema(), indent=2))
        return 0
    return serve(arguments)


def check_fixtures(paths: Sequence[str]) -> int:
    """Exit 0 when every document is valid, else print one line per problem and exit 2."""
    try:
        with Store().transaction() as tx:
            apply_documents(tx, read_documents(paths))
    except FixtureError as error:
        for problem in error.problems:
            print(problem)
        return 2
    print(f"ok: {', '.join(paths)}")
    return 0


def serve(arguments: argparse.Namespace) -> int:
    from mockquay.app import create_app
    from mockquay.server import Server

    try:
        settings = Settings.from_env(
            host=arguments.host,
            port=arguments.port,
            fixtures=arguments.fixtures,
            data=arguments.data,
            profile=arguments.profile,
            seed=arguments.seed,
            admin_token=arguments.admin_token,
            faults=arguments.faults,
        )
        app = create_app(settings)
    except (UnknownProfile, FixtureError, ValueError) as error:
        print(f"mockquay: {error}", file=sys.stderr)
        return 2
    emulator = emulator_of(app)
    _log_faults()
    server = Server(app, settings.host, settings.port)
    try:
        server.prepare()
    except OSError as error:
        print(
            f"mockquay: cannot listen on {settings.host}:{settings.port}: {error}", file=sys.stderr
        )
        return 2
    stopping = threading.Event()

    def stop(signum: int, frame: object) -> None:
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    ready = {
        "event": "ready",
        "url": server.url,
        "profile": emulator.quay_config().profile.name,
        "seed": emulator.faults.seed,
    }
    print(json.dumps(ready), flush=True)
    try:
        server.serve()
    finally:
        emulator.close()
    print(json.dumps({"event": "stopped"}), flush=True)
    return 0


def _log_faults() -> None:
    """Print the fault layer's line per injected fault on stderr (its logger says INFO)."""
    faults = logging.getLogger("mockquay.faults")
    if not faults.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
        faults.addHandler(handler)
        faults.setLevel(logging.INFO)


if __name__ == "__main__":
    sys.exit(main())
