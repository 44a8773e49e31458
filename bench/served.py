"""A mockquay server for the benchmarks, with one extra bare Flask route to compare against.

Run as ``python bench/served.py [--fixtures FILE] [--data FILE]``; prints the ready line like
``mockquay serve`` and serves until SIGTERM. ``GET /bench/bare`` answers a fixed small JSON
body straight from Flask, on the same app and server as the Quay API, so the ratio between
the two shows what mockquay's own work costs.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading

from flask import Response

from mockquay.app import create_app
from mockquay.extension import emulator_of
from mockquay.server import Server
from mockquay.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fixtures", action="append")
    parser.add_argument("--profile")
    parser.add_argument("--data")
    parser.add_argument("--worker", default="auto")
    arguments = parser.parse_args()
    app = create_app(
        Settings(
            fixtures=tuple(arguments.fixtures or ()),
            profile=arguments.profile,
            data=arguments.data,
            worker=arguments.worker,
        )
    )
    app.add_url_rule(
        "/bench/bare",
        "bench_bare",
        lambda: Response('{"ok": true}\n', content_type="application/json"),
    )
    server = Server(app, "127.0.0.1", 0)
    server.prepare()
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.stop).start())
    print(json.dumps({"event": "ready", "url": server.url}), flush=True)
    try:
        server.serve()
    finally:
        emulator_of(app).close()


if __name__ == "__main__":
    main()
