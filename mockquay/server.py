"""Serving the app over HTTP on cheroot, a threaded production WSGI server.

In front of cheroot's worker threads, :class:`_HeadFirst` waits for each connection's request
head in one selector thread, so that idle and slow clients hold a file descriptor each but
never a worker: a worker gets a connection only with a complete request head to parse. The
head is checked there against the limits of Quay's gunicorn.

Besides serving, the server gives each request's environ a :class:`RawConnection` under
``environ["mockquay.connection"]``: the fault layer uses it to break the connection on
purpose (reset, close, malformed answer, hang), which a WSGI app alone cannot do.
"""

from __future__ import annotations

import contextlib
import errno
import io
import ipaddress
import logging
import selectors
import socket
import struct
import threading
import time
from collections.abc import Callable
from typing import cast

from cheroot import connections, wsgi
from cheroot.makefile import MakeFile, StreamReader
from cheroot.server import HTTPConnection, HTTPRequest
from flask import Flask

from mockquay.access_log import AccessLog
from mockquay.faults.layer import CONNECTION_ENVIRON
from mockquay.quay_api.answers import gunicorn_page

logger = logging.getLogger("mockquay.server")

#: Worker threads: requests served at once. Only connections with a whole request head reach
#: one; a slow request body still holds its worker while it arrives.
THREADS = 32

#: gunicorn's limits, whose defaults Quay keeps: the request line, the number of header
#: fields, and the size of one field (its line with its continuations and line ends).
LIMIT_REQUEST_LINE = 4094
LIMIT_REQUEST_FIELDS = 100
LIMIT_REQUEST_FIELD_SIZE = 8190
#: gunicorn gives up on a head that has not ended within this many bytes.
_MAX_BUFFER_HEADERS = LIMIT_REQUEST_FIELDS * (LIMIT_REQUEST_FIELD_SIZE + 2) + 4
#: Bytes read at a time, as gunicorn reads them (its request line message counts them).
_READ_SIZE = 8192
#: Seconds a client has to finish a request head (and a gathered body) it has begun.
HEAD_TIMEOUT = 30.0
#: A body announced with a ``Content-Length`` up to this size is gathered with its head before
#: a worker takes the request, so that a slow small body holds no worker either.
BODY_GATHERED = 64 * 1024
#: Seconds a refused connection is read and dropped before closing, so the answer is not lost
#: to a reset.
_DRAIN_SECONDS = 2.0
#: Out of file descriptors, accepting pauses this long between attempts, and says so on the
#: log at most once per ``ACCEPT_LOG_INTERVAL`` seconds.
ACCEPT_PAUSE = 0.5
ACCEPT_LOG_INTERVAL = 10.0
_OUT_OF_DESCRIPTORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
_DONTWAIT = getattr(socket, "MSG_DONTWAIT", 0)


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
                    self._read_or_release(cast(socket.socket, key.fileobj))

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
                self._release(cast(socket.socket, key.fileobj))
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


def gunicorn_answer(status: int, reason: str, message: str) -> bytes:
    """gunicorn's ``write_error``: its page as a whole HTTP answer that ends the connection."""
    page = gunicorn_page(reason, message)
    return (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: text/html\r\n"
        f"Content-Length: {len(page)}\r\n\r\n{page}"
    ).encode("latin-1")


def _request_line_too_large(size: int) -> bytes:
    message = f"Request Line is too large ({size} > {LIMIT_REQUEST_LINE})"
    return gunicorn_answer(400, "Bad Request", message)


def _header_fields_too_large(problem: str) -> bytes:
    message = f"Error parsing headers: '{problem}'"
    return gunicorn_answer(431, "Request Header Fields Too Large", message)


def check_head(data: bytes) -> tuple[bool, bytes | None]:
    """Whether ``data`` (what a client sent so far) holds a whole request head, and if the head
    breaks one of gunicorn's limits, gunicorn's answer.

    ``(False, None)``: wait for more; ``(True, None)``: a head for cheroot to parse;
    ``(True, answer)``: send ``answer`` and close.
    """
    end = data.find(b"\r\n")
    newline = data.find(b"\n")
    if newline >= 0 and newline != end + 1:
        # A line ended by a bare LF: cheroot refuses it at once (400) rather than wait.
        return True, None
    if end < 0:
        if len(data) - 2 > LIMIT_REQUEST_LINE:
            return True, _request_line_too_large(len(data))
        return False, None
    if end > LIMIT_REQUEST_LINE:
        return True, _request_line_too_large(end)
    fields = data[end + 2 :]
    if fields.startswith(b"\r\n"):
        return True, None
    stop = fields.find(b"\r\n\r\n")
    if stop < 0:
        if len(fields) > _MAX_BUFFER_HEADERS:
            return True, _header_fields_too_large("max buffer headers")
        return False, None
    return True, _fields_problem(fields[:stop].split(b"\r\n"))


def _fields_problem(lines: list[bytes]) -> bytes | None:
    """gunicorn's answer to header fields over its limits or a bad ``Content-Length``, if any."""
    count = 0
    lengths = []
    index = 0
    while index < len(lines):
        if count >= LIMIT_REQUEST_FIELDS:
            return _header_fields_too_large("limit request headers fields")
        line = lines[index]
        size = len(line) + 2
        index += 1
        while index < len(lines) and lines[index][:1] in (b" ", b"\t"):
            size += len(lines[index]) + 2
            index += 1
        if size > LIMIT_REQUEST_FIELD_SIZE:
            return _header_fields_too_large("limit request headers fields size")
        name, colon, value = line.partition(b":")
        if colon and name.lower() == b"content-length":
            lengths.append(value.strip(b" \t"))
        count += 1
    if len(lengths) > 1 or (lengths and not lengths[0].isdigit()):
        # A negative or unreadable length would leave cheroot waiting for a body.
        return gunicorn_answer(400, "Bad Request", "Invalid HTTP Header: 'CONTENT-LENGTH'")
    return None


def bytes_to_gather(data: bytes) -> int:
    """How many bytes of ``data`` (a whole request head and what followed) to gather before a
    worker takes the request: the head, and a body of up to :data:`BODY_GATHERED` bytes.

    A chunked body, a larger one, or one the client sends only after ``100 Continue`` is read
    by the worker.
    """
    end = data.find(b"\r\n\r\n")
    head = end + 4
    length = 0
    for line in data[:end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length" and value.strip().isdigit():
            length = int(value.strip())
        elif name in (b"transfer-encoding", b"expect"):
            return head
    return head + length if length <= BODY_GATHERED else head


class _HeadFirstSocket:
    """A connection's socket as cheroot's reader sees it: the bytes the front has already read
    (``head``) come first.
    """

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.head = bytearray()
        #: When the head being read began to arrive (None between requests).
        self.started: float | None = None
        #: When the connection was refused; it is drained, then closed.
        self.refused: float | None = None
        #: Once the head is whole: how many bytes to gather before a worker takes the request.
        self.wanted: int | None = None

    def verdict(self) -> tuple[bool, bytes | None]:
        """Whether a worker can take the request now, and gunicorn's answer if it breaks a
        limit."""
        if self.wanted is None:
            complete, refusal = check_head(bytes(self.head))
            if refusal is not None or not complete:
                return False, refusal
            self.wanted = bytes_to_gather(bytes(self.head))
        if len(self.head) < self.wanted:
            return False, None
        self.wanted = None
        return True, None

    def recv_into(self, buffer: memoryview, nbytes: int = 0, flags: int = 0) -> int:
        if self.head:
            size = min(nbytes or len(buffer), len(self.head))
            buffer[:size] = self.head[:size]
            del self.head[:size]
            return size
        return self._sock.recv_into(buffer, nbytes, flags)

    def makefile(self, sock: socket.socket, mode: str = "r", bufsize: int = -1) -> object:
        """cheroot's ``MakeFile``, with a reader that reads through this object."""
        if "r" in mode:
            return StreamReader(self, mode, bufsize)
        return MakeFile(sock, mode, bufsize)

    def __getattr__(self, name: str) -> object:
        return getattr(self._sock, name)


class _Connection(HTTPConnection):
    """cheroot's connection, with the socket that reads its heads."""

    mockquay_socket: _HeadFirstSocket


class _HeadFirst(connections.ConnectionManager):
    """cheroot's connection manager, handing a connection to a worker only with a whole head.

    One selector thread accepts connections and reads their request heads (and small bodies,
    see :func:`bytes_to_gather`); idle keep-alive connections wait in the same selector. A head
    over gunicorn's limits is answered here.
    When the process runs out of file descriptors, accepting pauses and is retried.
    """

    # cheroot's private names used here, which its stubs leave out.
    _selector: connections._ThreadsafeSelector
    _stop_requested: bool
    _remove_invalid_sockets: Callable[[], None]

    def __init__(self, server: wsgi.Server) -> None:
        super().__init__(server)
        server.socket.setblocking(False)
        self._resume_accepting: float | None = None
        self._accept_logged = -ACCEPT_LOG_INTERVAL
        self._accept_failing = False

    def put(self, conn: _Connection) -> None:
        """Take back a kept-alive connection from a worker and wait for its next head."""
        conn.last_used = time.time()
        reader = conn.mockquay_socket
        if conn.rfile.has_data():
            reader.head[:0] = conn.rfile.read1(1 << 20)
        reader.started = time.time() if reader.head else None
        ready, refusal = reader.verdict() if reader.head else (False, None)
        if refusal is not None:
            self._refuse(conn, refusal, registered=False)
        elif ready:
            self.server.process_conn(conn)
        else:
            self._selector.register(conn.socket.fileno(), selectors.EVENT_READ, data=conn)

    def _run(self, expiration_interval: float) -> None:
        last_expiration = time.time()
        while not self._stop_requested:
            timeout = expiration_interval
            if self._resume_accepting is not None:
                timeout = max(0.0, min(timeout, self._resume_accepting - time.time()))
            try:
                ready = list(self._selector.select(timeout=timeout))
            except OSError:
                self._remove_invalid_sockets()
                continue
            for _, conn in ready:
                if conn is self.server:
                    self._accept()
                else:
                    self._read(conn)
            now = time.time()
            if self._resume_accepting is not None and now >= self._resume_accepting:
                self._resume_accepting = None
                self._selector.register(
                    self.server.socket.fileno(), selectors.EVENT_READ, data=self.server
                )
            if now - last_expiration > expiration_interval:
                self._expire_connections(now)
                last_expiration = now

    def _accept(self) -> None:
        for _ in range(64):
            try:
                sock, address = self.server.socket.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:
                if error.errno in _OUT_OF_DESCRIPTORS:
                    self._pause_accepting(error)
                return
            if self._accept_failing:
                self._accept_failing = False
                logger.warning("mockquay: accepting connections again")
            sock.settimeout(self.server.timeout)
            reader = _HeadFirstSocket(sock)
            conn = self.server.ConnectionClass(self.server, sock, reader.makefile)
            conn.mockquay_socket = reader
            if isinstance(address, tuple):
                conn.remote_addr, conn.remote_port = address[:2]
            conn.ssl_env = {}
            conn.last_used = time.time()
            self._selector.register(sock.fileno(), selectors.EVENT_READ, data=conn)

    def _pause_accepting(self, error: OSError) -> None:
        """Out of descriptors: stop watching the listening socket for ``ACCEPT_PAUSE``."""
        now = time.time()
        self._selector.unregister(self.server.socket.fileno())
        self._resume_accepting = now + ACCEPT_PAUSE
        self._accept_failing = True
        if now - self._accept_logged >= ACCEPT_LOG_INTERVAL:
            self._accept_logged = now
            logger.warning(
                "mockquay: cannot accept connections: %s (%d connections between requests);"
                " retrying every %.1f s",
                error,
                len(self._selector) - 1,
                ACCEPT_PAUSE,
            )

    def _read(self, conn: _Connection) -> None:
        reader = conn.mockquay_socket
        try:
            data = conn.socket.recv(_READ_SIZE, _DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._forget(conn)
            return
        now = conn.last_used = time.time()
        if reader.refused is not None:
            return
        if reader.started is None:
            reader.started = now
        reader.head += data
        while reader.wanted is None and reader.head.startswith(b"\r\n"):
            # Empty lines before a request line are ignored (RFC 9112, section 2.2).
            del reader.head[:2]
        ready, refusal = reader.verdict()
        if refusal is not None:
            self._refuse(conn, refusal, registered=True)
        elif ready:
            self._selector.unregister(conn.socket.fileno())
            self.server.process_conn(conn)

    def _refuse(self, conn: _Connection, answer: bytes, registered: bool) -> None:
        """Send ``answer``, then drain the connection for a while before closing it."""
        reader = conn.mockquay_socket
        reader.head.clear()
        reader.wanted = None
        reader.refused = time.time()
        try:
            conn.socket.send(answer, _DONTWAIT)
            conn.socket.shutdown(socket.SHUT_WR)
        except OSError:
            if registered:
                self._forget(conn)
            else:
                conn.close()
            return
        if not registered:
            self._selector.register(conn.socket.fileno(), selectors.EVENT_READ, data=conn)

    def _forget(self, conn: _Connection) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(conn.socket.fileno())
        conn.close()

    def _expire_connections(self, now: float) -> None:
        """Close connections idle for the server's timeout, heads begun ``HEAD_TIMEOUT`` ago,
        and refused connections drained for ``_DRAIN_SECONDS``."""
        expired = []
        # cheroot's stub types connections as None; it yields (descriptor, connection) pairs.
        for _, conn in self._selector.connections:  # type: ignore[attr-defined]
            if conn is self.server:
                continue
            reader = conn.mockquay_socket
            if (
                (reader.refused is not None and now - reader.refused > _DRAIN_SECONDS)
                or (reader.started is not None and now - reader.started > HEAD_TIMEOUT)
                or conn.last_used < now - self.server.timeout
            ):
                expired.append(conn)
        for conn in expired:
            self._forget(conn)


class _CherootServer(wsgi.Server):
    """cheroot's WSGI server with :class:`_HeadFirst` in front of its workers."""

    ConnectionClass = _Connection
    #: Waiting keep-alive connections cost a descriptor, not a thread: keep them all.
    #: (cheroot's stub types it as int; its code takes None for no limit.)
    keep_alive_conn_limit = None  # type: ignore[assignment]
    #: The app's body limit and the held connections, for :class:`_Gateway`.
    mockquay_max_body: int | None
    mockquay_hung: HungConnections
    #: cheroot's private connection manager (its stubs leave it out): _HeadFirst once prepared.
    _connections: _HeadFirst

    def prepare(self) -> None:
        super().prepare()
        self._connections._selector.close()
        self._connections = _HeadFirst(self)


class _Gateway(wsgi.Gateway_10):
    """cheroot's WSGI 1.0 gateway, adding the request's :class:`RawConnection` to the environ.

    A chunked body is read here, up to one byte over the app's body limit, and handed to the
    app as a body of that ``Content-Length``, so the app answers a chunked body as it answers a
    sized one (413 over the limit) and the journal records it.
    """

    # cheroot's stub types Gateway.get_environ as returning None; it returns the environ.
    def get_environ(self) -> dict:  # type: ignore[override]
        environ = super().get_environ()
        environ[CONNECTION_ENVIRON] = RawConnection(self.req, self.req.server.mockquay_hung)
        if self.req.chunked_read:
            self._size_chunked_body(environ)
        return environ

    def _size_chunked_body(self, environ: dict) -> None:
        limit = self.req.server.mockquay_max_body
        try:
            data = environ["wsgi.input"].read(None if limit is None else limit + 1)
        except ValueError:
            # Broken chunk framing: the rest of the connection cannot be trusted.
            data = b""
            self.req.close_connection = True
        if limit is not None and len(data) > limit:
            # The rest is left unread, so the connection cannot carry another request.
            self.req.close_connection = True
        environ["wsgi.input"] = io.BytesIO(data)
        environ["wsgi.input_terminated"] = False
        # The app sees the body as sent with its length (Werkzeug ignores it beside chunked).
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ["CONTENT_LENGTH"] = str(len(data))


#: The loopback address a person on this machine uses for a server on every interface.
_LOOPBACK_FOR = {"0.0.0.0": "127.0.0.1", "::": "::1"}


def _http_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class Server:
    """mockquay's app served on ``host:port``; port 0 binds a free port, chosen by the server.

    With ``access_log``, each request served gets a line in it.
    """

    def __init__(
        self,
        app: Flask,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        access_log: AccessLog | None = None,
    ) -> None:
        self.app = app
        self._access_log = access_log
        served = app if access_log is None else access_log.wrap(app)
        self._server = _CherootServer(
            (host, port),
            served,
            numthreads=THREADS,
            server_name="mockquay",
            # A burst of new connections waits in the backlog instead of retrying its SYN.
            request_queue_size=socket.SOMAXCONN,
        )
        self._server.gateway = _Gateway
        self._server.mockquay_max_body = app.config.get("MAX_CONTENT_LENGTH")
        self._hung = HungConnections()
        self._server.mockquay_hung = self._hung
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return _http_url(*self._server.bind_addr[:2])

    @property
    def loopback_only(self) -> bool:
        """Whether the server listens on a loopback address only (once bound)."""
        try:
            return ipaddress.ip_address(self._server.bind_addr[0]).is_loopback
        except ValueError:
            return False

    @property
    def local_url(self) -> str:
        """:attr:`url`, with a loopback address for a server bound to every interface."""
        host, port = self._server.bind_addr[:2]
        return _http_url(_LOOPBACK_FOR.get(host, host), port)

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
        if self._access_log is not None:
            self._access_log.close()
