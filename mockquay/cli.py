"""The ``mockquay`` command: ``serve``, ``check-fixtures``, ``schema``, and ``verify``,
``record`` and ``import`` (``parity/commands.py``)."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

from mockquay.extension import emulator_of
from mockquay.fixtures.json_schema import fixture_json_schema
from mockquay.fixtures.loader import FixtureError, apply_documents, read_documents
from mockquay.parity import commands as parity_commands
from mockquay.profiles import UnknownProfile, get_profile
from mockquay.settings import Settings
from mockquay.store import Store
from mockquay.version import __version__

if TYPE_CHECKING:
    from mockquay.emulator import Emulator


def _repeatable(parser: argparse.ArgumentParser, flag: str, metavar: str, text: str) -> None:
    parser.add_argument(flag, action="append", metavar=metavar, help=text)


class _Parser(argparse.ArgumentParser):
    """argparse's parser, its refusal of a flag's value told on one line (no usage text)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mockquay", description="A simulator of Red Hat Quay's repository-mirror API."
    )
    parser.add_argument(
        "--version", action=_Version, nargs=0, help="print the version and the default profile"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the mock server")
    serve.add_argument("--host", help="address to bind (MOCKQUAY_HOST; default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port, 0 for a free one (MOCKQUAY_PORT; 8080)")
    _repeatable(
        serve,
        "--fixtures",
        "PATH",
        "fixture file or folder, or 'bundled' for the bundled ones; repeatable, applied in "
        "order (MOCKQUAY_FIXTURES, joined with ':'; default: bundled)",
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
    serve.add_argument(
        "--clock",
        choices=("real", "manual"),
        help="the clock: wall time, or time that moves only when asked (MOCKQUAY_CLOCK; real)",
    )
    serve.add_argument(
        "--worker",
        choices=("auto", "manual", "off"),
        help="the sync worker: on the clock, on POST /__mockquay__/worker/run only, or never "
        "(MOCKQUAY_WORKER; auto)",
    )
    serve.add_argument("--admin-token", help="require this X-Mockquay-Admin-Token on /__mockquay__")
    serve.add_argument(
        "--log-format",
        choices=("common", "json"),
        default="common",
        help="access log on stderr: common (Common Log Format, the default) or json",
    )
    serve.add_argument(
        "--quiet", action="store_true", help="no access log and no start-up hints on stderr"
    )
    serve.add_argument(
        "--allowed-host",
        action="append",
        dest="allowed_hosts",
        metavar="NAME",
        help="a host name the admin API answers to besides loopback ones, '*' for any; "
        "repeatable (MOCKQUAY_ALLOWED_HOSTS, comma-separated)",
    )
    check = commands.add_parser("check-fixtures", help="validate fixture documents")
    check.add_argument("paths", nargs="+", metavar="PATH")
    commands.add_parser("schema", help="print the JSON Schema of fixture documents")
    parity_commands.add_commands(commands)
    return parser


class _Version(argparse.Action):
    """``--version``, printed as is (argparse's own action rewraps the text)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        print(version_text())
        parser.exit()


def version_text() -> str:
    """What ``mockquay --version`` prints: the version and the default Quay profile."""
    profile = get_profile(None)
    return f"mockquay {__version__} (default Quay profile: {profile.name}, Quay {profile.releases})"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mockquay`` console script."""
    arguments = _parser().parse_args(argv)
    if arguments.command == "check-fixtures":
        return check_fixtures(arguments.paths)
    if arguments.command == "schema":
        print(json.dumps(fixture_json_schema(), indent=2))
        return 0
    if arguments.command in ("verify", "record", "import"):
        return parity_commands.run(arguments)
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
    from mockquay.access_log import AccessLog
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
            allowed_hosts=arguments.allowed_hosts,
            clock=arguments.clock,
            worker=arguments.worker,
        )
        if settings.admin_token == "":
            raise ValueError(
                "the admin token is empty (--admin-token or MOCKQUAY_ADMIN_TOKEN): give a "
                "token, or leave the option out to run without one"
            )
        app = create_app(settings)
    except (UnknownProfile, FixtureError, ValueError, OSError) as error:
        # ValueError includes a --data file that is not mockquay state (StateFileError).
        print(f"mockquay: {error}", file=sys.stderr)
        return 2
    emulator = emulator_of(app)
    _log_to_stderr()
    raise_descriptor_limit()
    access_log = None if arguments.quiet else AccessLog(arguments.log_format)
    server = Server(app, settings.host, settings.port, access_log=access_log)
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
    if not server.loopback_only and settings.admin_token is None:
        ready["warning"] = (
            f"listening on {settings.host}, beyond this machine, without --admin-token: anyone "
            "who can reach it can change or read the whole state"
        )
        print(f"mockquay: warning: {ready['warning']}", file=sys.stderr, flush=True)
    print(json.dumps(ready), flush=True)
    if not arguments.quiet:
        print(hints(server.local_url, emulator, settings.admin_token), file=sys.stderr, flush=True)
    try:
        server.serve()
    finally:
        emulator.close()
        if access_log is not None:
            access_log.close()
    print(json.dumps({"event": "stopped"}), flush=True)
    return 0


def hints(url: str, emulator: Emulator, admin_token: str | None) -> str:
    """Where a person starts: the dashboard, the Swagger UI, and a first curl command."""
    token, repository = _first_mirror(emulator)
    from mockquay.admin.blueprint import PREFIX

    if repository is not None:
        mirror = f"{url}/api/v1/repository/{repository}/mirror"
        curl = f"curl -H 'Authorization: Bearer {token}' {mirror}"
    elif admin_token is not None:
        curl = f"curl -H 'X-Mockquay-Admin-Token: <token>' {url}{PREFIX}/health"
    else:
        curl = f"curl {url}{PREFIX}/health"
    lines = [
        f"mockquay is ready at {url}",
        f"  dashboard:  {url}{PREFIX}/ui/",
        f"  Swagger UI: {url}{PREFIX}/swagger-ui",
        f"  try:        {curl}",
    ]
    if admin_token is not None:
        lines.append("  the admin pages and API need the X-Mockquay-Admin-Token header")
    return "\n".join(lines)


def _first_mirror(emulator: Emulator) -> tuple[str | None, str | None]:
    """A token and a mirrored repository it can administer, for the first curl command."""
    state = emulator.export()
    mirrors = [mirror["repository"] for mirror in state.get("mirrors", [])]
    for token in state.get("tokens", []):
        if "repo:admin" not in token.get("scopes", ()):
            continue
        owned = [name for name in mirrors if name.split("/")[0] in _namespaces(state, token)]
        if owned:
            return token["token"], owned[0]
    return None, None


def _namespaces(state: dict, token: dict) -> set[str | None]:
    """The namespaces whose repositories ``token``'s user administers, as far as the fixture
    document shows: its own, and organizations where it is in an admin team."""
    user = token.get("user")
    names = {user}
    for organization in state.get("organizations", []):
        for team in (organization.get("teams") or {}).values():
            if team.get("role") == "admin" and user in team.get("members", ()):
                names.add(organization["name"])
    return names


def raise_descriptor_limit(wanted: int = 4096) -> None:
    """Raise the soft limit on open files toward the hard one, for many client connections."""
    try:
        import resource
    except ImportError:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return
    target = hard if hard != resource.RLIM_INFINITY else wanted
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def _log_to_stderr() -> None:
    """Print mockquay's log lines (faults injected, connection trouble) on stderr."""
    root = logging.getLogger("mockquay")
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)


if __name__ == "__main__":
    sys.exit(main())
