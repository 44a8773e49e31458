"""Serving the app over HTTP on cheroot, a threaded production WSGI server.

Besides serving, the server gives each request's environ a :class:`RawConnection` under
``environ["mockquay.connection"]``: the fault layer uses it to break the connection on
purpose (reset, close, malformed answer, hang), which a WSGI app alone cannot do.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import struct
import threading

from cheroot import wsgi
from cheroot.server import HTTPRequest
from flask import Flask

from mockquay.control.fault_layer import CONNECTION_ENVIRON

#: Worker threads: requests served at once (each keep-alive connection holds one while busy).
THREADS = 32


class HungConnections:
    """Connections held open without an answer (the ``hang`` fault).

    One selector thread watches them all, so a hang never holds a worker thread. A connection
    is released when its client closes it, or by :meth:`close` when the server stops; what
    the client sends meanwhile is read and dropped.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[socket.socket] = []
        self._closed = False
        self._thread: threading.Thread | None = None
        self._selector = selectors.DefaultSelector()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._selector.register(self._wake_reader, selectors.EVENT_READ)
        #: How many connections are held now.
        self.count = 0

    def hold(self, sock: socket.socket) -> None:
        """Keep ``sock`` open, unanswered, until its client or the server closes."""
        with self._lock:
            if self._closed:
                _close_quietly(sock)
                return
            self._pending.append(sock)
            self.count += 1
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._watch, name="mockquay-hung-connections", daemon=True
                )
                self._thread.start()
        self._wake()

    def close(self) -> None:
        """Release every held connection (with a FIN) and stop watching."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is None:
            self._selector.close()
            self._wake_reader.close()
            self._wake_writer.close()
            return
        self._wake()
        thread.join(timeout=10)

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_writer.send(b"\0")

    def _watch(self) -> None:
        while True:
            for key, _ in self._selector.select():
                if key.fileobj is self._wake_reader:
                    if self._take_pending():
                        return
                else:
                    self._read_or_release(key.fileobj)

    def _take_pending(self) -> bool:
        """Register newly held sockets; on close, release all and return True."""
        with contextlib.suppress(OSError):
            self._wake_reader.recv(4096)
        with self._lock:
            pending, self._pending = self._pending, []
            closed = self._closed
        for sock in pending:
            sock.setblocking(False)
            self._selector.register(sock, selectors.EVENT_READ)
        if not closed:
            return False
        for key in list(self._selector.get_map().values()):
            if key.fileobj is not self._wake_reader:
                self._release(key.fileobj)
        self._selector.close()
        self._wake_reader.close()
        self._wake_writer.close()
        return True

    def _read_or_release(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._release(sock)

    def _release(self, sock: socket.socket) -> None:
        self._selector.unregister(sock)
        _close_quietly(sock)
        with self._lock:
            self.count -= 1


def _close_quietly(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class RawConnection:
    """The client connection of one request, to break on purpose.

    Each method takes the socket from cheroot first: cheroot then neither writes its own
    answer nor closes the socket, and its worker thread is free for the next connection.
    """

    def __init__(self, request: HTTPRequest, hung: HungConnections) -> None:
        self._request = request
        self._hung = hung

    def reset(self) -> None:
        """Abort the connection: with SO_LINGER 0, closing sends a TCP RST."""
        sock = self._take()
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()

    def close(self, data: bytes = b"") -> None:
        """Send ``data`` (if any), then close with a FIN."""
        sock = self._take(drain=True)
        with contextlib.suppress(OSError):
            if data:
                sock.sendall(data)
        _close_quietly(sock)

    def hang(self) -> None:
        """Hold the connection open without answering, until the client or server closes."""
        self._hung.hold(self._take(drain=True))

    def _take(self, drain: bool = False) -> socket.socket:
        request = self._request
        if drain:
            # Unread request bytes would turn the close into a reset.
            with contextlib.suppress(OSError, ValueError):
                while request.rfile.read(65536):
                    pass
        request.sent_headers = True
        request.close_connection = True
        request.conn.linger = True
        return request.conn.socket


class _Gateway(wsgi.Gateway_10):
    """cheroot's WSGI 1.0 gateway, adding the request's :class:`RawConnection` to the environ."""

    def get_environ(self) -> dict:
        environ = super().get_environ()
        environ[CONNECTION_ENVIRON] = RawConnection(self.req, self.req.server.mockquay_hung)
        return environ


class Server:
    """mockquay's app served on ``host:port``; port 0 binds a free port, chosen by the server."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self._server = wsgi.Server((host, port), app, numthreads=THREADS, server_name="mockquay")
        self._server.gateway = _Gateway
        self._hung = HungConnections()
        self._server.mockquay_hung = self._hung
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.bind_addr[:2]
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port}"

    @property
    def hung_connections(self) -> int:
        """How many connections a ``hang`` fault holds open now."""
        return self._hung.count

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
        """Stop accepting, finish the requests under way, release hung connections, and close."""
        self._server.stop()
        self._hung.close()
        if self._thread is not None:
            self._thread.join(timeout=10)
