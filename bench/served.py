"""A mockquay server for the benchmarks, with one extra bare Flask route to compare against.

Run as ``python bench/served.py [--fixtures FILE] [--data FILE] [--journal-size N]
[--app floor] [--front waitress] [--mirrors N] [--faults N]``; prints the ready line like
``mockquay serve`` and serves until SIGTERM. ``GET /bench/bare`` answers a fixed small JSON body
straight from Flask, on the same app and server as the Quay API, so the ratio between the two
shows what mockquay's own work costs. ``--app floor`` serves the floor's bare app
(``bench/floor.py``) on mockquay's HTTP front instead, to tell the front's cost from the app's;
``--front waitress`` serves on waitress (if installed) instead of mockquay's front.
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import sys
import threading
from pathlib import Path

from flask import Response

from mockquay.app import create_app
from mockquay.extension import emulator_of
from mockquay.server import THREADS, Server
from mockquay.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fixtures", action="append")
    parser.add_argument("--profile")
    parser.add_argument("--data")
    parser.add_argument("--worker", default="auto")
    parser.add_argument("--journal-size", type=int, default=Settings.journal_size)
    parser.add_argument("--app", choices=("mockquay", "floor"), default="mockquay")
    parser.add_argument("--front", choices=("mockquay", "waitress"), default="mockquay")
    parser.add_argument("--mirrors", type=int, default=0, help="start with this many mirrors")
    parser.add_argument("--faults", type=int, default=0, help="install this many fault rules")
    parser.add_argument("--fill-journal", action="store_true", help="start with it at its cap")
    arguments = parser.parse_args()
    app = create_app(
        Settings(
            fixtures=tuple(arguments.fixtures or ()),
            profile=arguments.profile,
            data=arguments.data,
            worker=arguments.worker,
            journal_size=arguments.journal_size,
        )
    )
    app.add_url_rule(
        "/bench/bare",
        "bench_bare",
        lambda: Response('{"ok": true}\n', content_type="application/json"),
    )
    if arguments.mirrors:
        from run import fixture_with_mirrors

        emulator_of(app).replace(fixture_with_mirrors(arguments.mirrors))
    if arguments.faults:
        from run import other_fault_rules

        emulator_of(app).add_faults(other_fault_rules(arguments.faults))
    if arguments.fill_journal:
        fill_journal(app)
    served = app
    if arguments.app == "floor":
        from floor import create_floor

        served = create_floor()
    if arguments.front == "waitress":
        serve_on_waitress(served)
        return
    server = Server(served, "127.0.0.1", 0)
    server.prepare()
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.stop).start())
    print(json.dumps({"event": "ready", "url": server.url}), flush=True)
    try:
        server.serve()
    finally:
        emulator_of(app).close()


def fill_journal(app) -> None:
    """Fill the journal to its cap with copies of a real GET's entry (as the journal keeps it)."""
    journal = emulator_of(app).journal
    app.test_client().get(
        "/api/v1/repository/acme/etcd/mirror", headers={"Authorization": "Bearer admin-token"}
    )
    entry = journal._entries[-1]
    for _ in range(journal.size):
        journal.add({**entry, "id": None}, len(entry["path"]))


def serve_on_waitress(app) -> None:
    """``app`` on waitress with as many threads as mockquay's front, until SIGTERM."""
    from waitress.server import create_server

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = create_server(app, sockets=[sock], threads=THREADS, connection_limit=2000)
    signal.signal(signal.SIGTERM, lambda *_: server.close() or sys.exit(0))
    host, port = sock.getsockname()
    print(json.dumps({"event": "ready", "url": f"http://{host}:{port}"}), flush=True)
    server.run()


if __name__ == "__main__":
    main()
