"""The floor the benchmarks compare mockquay with: a bare Flask app on cheroot, 32 threads.

Run as ``python bench/floor.py``; prints a ready line like ``mockquay serve`` and serves until
SIGTERM. ``GET`` of any path answers a small JSON document; ``PUT`` parses its JSON body and
answers 201 with an empty one, as the mirror's PUT does. No mockquay module is imported.
"""

from __future__ import annotations

import json
import signal
import threading

from cheroot import wsgi
from flask import Flask, Response, request

BODY = '{"is_enabled": true, "external_reference": "quay.io/coreos/etcd", "sync_interval": 86400}\n'


def create_floor() -> Flask:
    app = Flask("floor")

    @app.get("/<path:path>")
    def read(path: str) -> Response:
        return Response(BODY, content_type="application/json")

    @app.put("/<path:path>")
    def write(path: str) -> Response:
        request.get_json()
        return Response("", status=201, content_type="application/json")

    return app


def main() -> None:
    server = wsgi.Server(("127.0.0.1", 0), create_floor(), numthreads=32)
    server.prepare()
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.stop).start())
    host, port = server.bind_addr[:2]
    print(json.dumps({"event": "ready", "url": f"http://{host}:{port}"}), flush=True)
    server.serve()


if __name__ == "__main__":
    main()
