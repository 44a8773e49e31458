"""Serving the app over HTTP on cheroot, a threaded production WSGI server."""

from __future__ import annotations

import threading

from cheroot import wsgi
from flask import Flask

#: Worker threads: requests served at once (each keep-alive connection holds one while busy).
THREADS = 32


class Server:
    """mockquay's app served on ``host:port``; port 0 binds a free port, chosen by the server."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self._server = wsgi.Server((host, port), app, numthreads=THREADS, server_name="mockquay")
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.bind_addr[:2]
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port}"

    def start(self) -> Server:
        """Bind and serve in a background thread; return once connections are accepted."""
        self._server.prepare()
        self._thread = threading.Thread(
            target=self._server.serve, name="mockquay-server", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Bind and serve in this thread until :meth:`stop` is called (from another thread)."""
        self._server.prepare()
        self._server.serve()

    def prepare(self) -> None:
        self._server.prepare()

    def serve(self) -> None:
        self._server.serve()

    def stop(self) -> None:
        """Stop accepting, finish the requests under way, and close."""
        self._server.stop()
        if self._thread is not None:
            self._thread.join(timeout=10)
