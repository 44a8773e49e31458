"""The command-line side of ``mockquay verify``, ``record`` and ``import``: their flags, and one
line on stderr and a non-zero exit for bad input (never a traceback)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from mockquay.parity.errors import ParityError
from mockquay.profiles import UnknownProfile

#: Exit statuses: every step the same; a difference; bad input or an unusable target.
SAME, DIFFERS, ERROR = 0, 1, 2


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add ``verify``, ``record`` and ``import`` to the ``mockquay`` parser."""
    verify = commands.add_parser(
        "verify", help="compare a Quay's mirror API with mockquay's (docs/parity.md)"
    )
    source = verify.add_mutually_exclusive_group(required=True)
    source.add_argument("--against", metavar="URL", help="the Quay to run the scenario against")
    source.add_argument("--cassette", metavar="FILE", help="replay a recording of mockquay record")
    verify.add_argument("--token", help="bearer token (--against: of an admin of --namespace)")
    verify.add_argument(
        "--namespace", metavar="ORG", help="organization for the scratch repository"
    )
    verify.add_argument("--profile", help="mockquay's profile (default: from the target)")
    verify.add_argument("--read-only-token", metavar="TOKEN", help="a token that may only read")
    verify.add_argument("--robot", help="robot of ORG for the scratch mirror (default: the first)")
    verify.add_argument(
        "--allow-existing",
        action="store_true",
        help="run in an organization that holds repositories verify did not create",
    )
    verify.add_argument(
        "--fixtures", action="append", metavar="PATH", help="--cassette: mockquay's state"
    )
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    verify.add_argument("--dry-run", action="store_true", help="print the requests, send none")

    record = commands.add_parser("record", help="a proxy that records exchanges with a Quay")
    record.add_argument("--upstream", metavar="URL", required=True, help="the Quay to forward to")
    record.add_argument(
        "--port", type=int, default=8080, help="port to listen on, 0 for a free one"
    )
    record.add_argument("--host", default="127.0.0.1", help="address to listen on")
    record.add_argument("--out", metavar="FILE", required=True, help="the cassette (.yaml, .json)")

    imported = commands.add_parser(
        "import", help="read an organization from a Quay into a fixture document"
    )
    imported.add_argument("--from", dest="source", metavar="URL", required=True)
    imported.add_argument("--token", required=True)
    imported.add_argument("--namespace", metavar="ORG", required=True)
    imported.add_argument(
        "--out", metavar="FILE", help="write here (.json or .yaml; default stdout)"
    )


def run(arguments: argparse.Namespace) -> int:
    """Run ``verify``, ``record`` or ``import``: its exit status."""
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "verify": _verify,
        "record": _record,
        "import": _import,
    }
    try:
        return handlers[arguments.command](arguments)
    except (ParityError, UnknownProfile, OSError) as error:
        print(f"mockquay {arguments.command}: {error}", file=sys.stderr)
        return ERROR


def _verify(arguments: argparse.Namespace) -> int:
    import mockquay.parity.verify as verify

    if arguments.cassette is not None:
        import mockquay.parity.record as record

        report = record.replay(
            arguments.cassette,
            token=arguments.token,
            profile=arguments.profile,
            fixtures=arguments.fixtures,
        )
    else:
        missing = [flag for flag in ("token", "namespace") if getattr(arguments, flag) is None]
        if missing:
            raise ParityError(f"--against needs --{' and --'.join(missing)}")
        options = verify.Options(
            arguments.against,
            arguments.token,
            arguments.namespace,
            profile=arguments.profile,
            read_only_token=arguments.read_only_token,
            robot=arguments.robot,
            allow_existing=arguments.allow_existing,
        )
        if arguments.dry_run:
            print(verify.dry_run(options))
            return SAME
        report = verify.verify(options)
    print(json.dumps(report.as_json(), indent=2) if arguments.json else report.text())
    return DIFFERS if report.differ else SAME


def _record(arguments: argparse.Namespace) -> int:
    import mockquay.parity.record as record

    return record.serve(arguments.upstream, arguments.host, arguments.port, arguments.out)


def _import(arguments: argparse.Namespace) -> int:
    import mockquay.parity.importer as importer

    text = importer.import_text(
        arguments.source, arguments.token, arguments.namespace, arguments.out
    )
    if arguments.out is None:
        sys.stdout.write(text)
    return SAME
