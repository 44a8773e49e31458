"""Serving the app over HTTP on cheroot, a threaded production WSGI server.

In front of cheroot's worker threads, :class:`_HeadFirst` reads each connection's request
head and body in one selector thread, so that idle and slow clients hold a file descriptor
each but never a worker: a worker gets a connection only with a whole request to parse. The
head is checked there as Quay's gunicorn checks it. cheroot's private names are used only
through :mod:`mockquay.cheroot_compat`.

Besides serving, the server gives each request's environ a :class:`RawConnection` under
``environ["mockquay.connection"]``: the fault layer uses it to break the connection on
purpose (reset, close, malformed answer, hang), which a WSGI app alone cannot do.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import logging
import re
import selectors
import socket
import struct
import threading
import time
from dataclasses import dataclass
from typing import cast

from cheroot import wsgi
from cheroot.server import HTTPConnection, HTTPRequest
from flask import Flask

from mockquay.access_log import AccessLog
from mockquay.cheroot_compat import (
    ConnectionManager,
    MakeFile,
    StreamReader,
    replace_connection_manager,
    take_socket,
)
from mockquay.faults.layer import CONNECTION_ENVIRON
from mockquay.quay_api.answers import EMULATED_HEADER, gunicorn_page, nginx_page

logger = logging.getLogger("mockquay.server")

#: Worker threads: requests served at once. Only connections with a whole request (head and
#: body) reach one.
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
#: Bytes read at a time once the head is whole and a body is gathered.
_BODY_READ_SIZE = 65536
#: Seconds a client has to finish a request (head and body) it has begun.
HEAD_TIMEOUT = 30.0
#: The body limit when the app sets no ``MAX_CONTENT_LENGTH``.
BODY_LIMIT = 1024 * 1024
#: A chunk-size line or trailer line longer than this counts as a body over the limit.
_CHUNK_LINE_LIMIT = 64 * 1024
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
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
        return take_socket(request.conn)


def gunicorn_answer(status: int, reason: str, message: str, emulated: str | None = None) -> bytes:
    """gunicorn's ``write_error``: its page as a whole HTTP answer that ends the connection.

    With ``emulated``, the answer is Quay's failure and says so in the header mockquay marks
    its emulated 500s with.
    """
    page = gunicorn_page(reason, message)
    marker = "" if emulated is None else f"{EMULATED_HEADER}: {emulated}\r\n"
    return (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: text/html\r\n"
        f"Content-Length: {len(page)}\r\n{marker}\r\n{page}"
    ).encode("latin-1")


def _request_line_too_large(size: int) -> bytes:
    message = f"Request Line is too large ({size} > {LIMIT_REQUEST_LINE})"
    return gunicorn_answer(400, "Bad Request", message)


def _header_fields_too_large(problem: str) -> bytes:
    message = f"Error parsing headers: '{problem}'"
    return gunicorn_answer(431, "Request Header Fields Too Large", message)


def _bad_request(message: str) -> bytes:
    return gunicorn_answer(400, "Bad Request", message)


def _invalid_header(name: str) -> bytes:
    """gunicorn's ``InvalidHeader``: a field it cannot read, or a framing it refuses."""
    return _bad_request(f"Invalid HTTP Header: {name!r}")


def _crashed(reason: str) -> bytes:
    """gunicorn's 500 page, for an exception Quay's gunicorn raises reading a body."""
    return gunicorn_answer(500, "Internal Server Error", "", emulated=reason)


#: nginx's own answer to a head with two ``Host`` fields, before gunicorn sees it.
_DUPLICATE_HOST = nginx_page("400 Bad Request")
_DUPLICATE_HOST_ANSWER = (
    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n"
    f"Content-Length: {len(_DUPLICATE_HOST)}\r\nConnection: close\r\n\r\n{_DUPLICATE_HOST}"
).encode("latin-1")

#: RFC 9110's token: the characters gunicorn 22 allows in a field name.
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEX_DIGITS = b"0123456789abcdefABCDEF"


def check_head(data: bytes) -> tuple[bool, bytes | None]:
    """Whether ``data`` (what a client sent so far) holds a whole request head, and if
    gunicorn (or nginx before it) refuses the head, the answer.

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
    """The answer to header fields gunicorn 22 refuses (its ``parse_headers`` and
    ``set_body_reader``, in their order), or nginx refuses (two ``Host`` fields), if any."""
    count = 0
    lengths = []
    chunked = 0
    hosts = 0
    index = 0
    while index < len(lines):
        if count >= LIMIT_REQUEST_FIELDS:
            return _header_fields_too_large("limit request headers fields")
        line = lines[index]
        size = len(line) + 2
        index += 1
        if line.find(b":") <= 0:
            return _invalid_header(line.decode("latin-1"))
        name, _, value = line.partition(b":")
        if not _TOKEN.fullmatch(name):
            # A space before the colon, a NUL: gunicorn 22 strips nothing from a name.
            return _bad_request(f"Invalid HTTP header name: {name.decode('latin-1')!r}")
        while index < len(lines) and lines[index][:1] in (b" ", b"\t"):
            size += len(lines[index]) + 2
            index += 1
        if size > LIMIT_REQUEST_FIELD_SIZE:
            return _header_fields_too_large("limit request headers fields size")
        name = name.lower()
        value = value.strip(b" \t")
        if name == b"content-length":
            lengths.append(value)
        elif name == b"transfer-encoding" and value.lower() == b"chunked":
            chunked += 1
        elif name == b"host":
            hosts += 1
        count += 1
    if hosts > 1:
        return _DUPLICATE_HOST_ANSWER
    if chunked > 1:
        return _invalid_header("TRANSFER-ENCODING")
    if len(lengths) > 1 or (lengths and (chunked or not lengths[0].isdigit())):
        # A body framed two ways, or a length cheroot would wait on, is refused.
        return _invalid_header("CONTENT-LENGTH")
    return None


@dataclass
class Framing:
    """How the body after a whole request head is framed."""

    #: Bytes of the head, its blank line included.
    head_size: int
    #: The ``Content-Length``, if any.
    length: int | None = None
    chunked: bool = False
    #: Whether the client waits for ``100 Continue`` before it sends the body.
    expect: bool = False


def request_framing(data: bytes) -> Framing | None:
    """The framing of the request whose head ``data`` begins with (one :func:`check_head`
    passed), or None for a head cheroot refuses as it stands."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None
    framing = Framing(end + 4)
    for line in data[:end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.lower()
        value = value.strip(b" \t").lower()
        if name == b"content-length":
            framing.length = int(value)
        elif name == b"transfer-encoding" and value == b"chunked":
            framing.chunked = True
        elif name == b"expect" and value == b"100-continue":
            framing.expect = True
    return framing


def _chunk_size(line: bytes) -> int | None:
    """The size a chunk-size line gives, as gunicorn 22's ``parse_chunk_size`` reads it:
    hex digits only (no sign, no ``0x``), blanks allowed only before an extension."""
    size, semicolon, _ = line.partition(b";")
    if semicolon:
        size = size.rstrip(b" \t")
    if not size or size.strip(_HEX_DIGITS):
        return None
    return int(size, 16)


class ChunkedBody:
    """A chunked body decoded as its bytes arrive, up to ``limit`` bytes of body; its trailer
    fields are read and dropped, as gunicorn drops them."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.body = bytearray()
        self.done = False
        self._state = "size"
        self._left = 0
        self._trailers = 0

    def feed(self, buffer: bytearray, start: int) -> bytes | bool | None:
        """Decode what ``buffer[start:]`` holds, and remove from ``buffer`` the bytes decoded.

        Returns gunicorn's answer to a broken framing, True for a body over the limit, and
        None otherwise (see :attr:`done`).
        """
        position = start
        try:
            while not self.done:
                if self._state == "data":
                    taken = min(self._left, len(buffer) - position)
                    if not taken:
                        return None
                    self.body += buffer[position : position + taken]
                    position += taken
                    self._left -= taken
                    if not self._left:
                        self._state = "end"
                    continue
                if self._state == "end":
                    if len(buffer) - position < 2:
                        return None
                    if buffer[position : position + 2] != b"\r\n":
                        terminator = bytes(buffer[position : position + 2])
                        return _crashed(f"ChunkMissingTerminator: {terminator!r}")
                    position += 2
                    self._state = "size"
                    continue
                end = buffer.find(b"\r\n", position)
                if end < 0:
                    return True if len(buffer) - position > _CHUNK_LINE_LIMIT else None
                line = bytes(buffer[position:end])
                position = end + 2
                if self._state == "trailers":
                    self._trailers += len(line) + 2
                    self.done = not line
                    if self._trailers > _CHUNK_LINE_LIMIT:
                        return True
                    continue
                size = _chunk_size(line)
                if size is None:
                    return _crashed(f"InvalidChunkSize: {line[:40]!r}")
                if size > self.limit - len(self.body):
                    return True
                self._state = "data" if size else "trailers"
                self._left = size
            return None
        finally:
            del buffer[start:position]


class _HeadFirstSocket:
    """A connection's socket as cheroot's reader sees it: the bytes the front has already read
    (``head``) come first.

    The front gathers a request whole, head and body, before a worker reads it. A chunked body
    reaches the worker decoded, with a ``Content-Length`` instead of ``Transfer-Encoding``, as
    does a body sent after ``Expect: 100-continue`` (the front sends the ``100 Continue``); the
    app answers them as it answers a sized body. A body over ``limit`` is withheld: the worker
    reads the head, with the length the body has at least, and no body, and once it answered
    (413), the front drains the connection before closing it.
    """

    def __init__(self, sock: socket.socket, limit: int) -> None:
        self._sock = sock
        self.limit = limit
        self.head = bytearray()
        #: When the request being read began to arrive (None between requests).
        self.started: float | None = None
        #: When the connection was refused; it is drained, then closed.
        self.refused: float | None = None
        #: Once the head is whole: how its body is framed.
        self.framing: Framing | None = None
        self.chunks: ChunkedBody | None = None
        #: Whether the worker got the head of a body over the limit without the body.
        self.withheld = False

    def verdict(self) -> tuple[bool, bytes | None]:
        """Whether a worker can take the request now, and the answer if it is refused."""
        if self.framing is None:
            complete, refusal = check_head(bytes(self.head))
            if refusal is not None or not complete:
                return False, refusal
            framing = request_framing(bytes(self.head))
            if framing is None:
                return True, None
            self.framing = framing
            if framing.length is not None and framing.length > self.limit:
                return self._withhold(framing.length)
            if framing.expect:
                with contextlib.suppress(OSError):
                    self._sock.send(_CONTINUE, _DONTWAIT)
            if framing.chunked:
                self.chunks = ChunkedBody(self.limit)
        framing = self.framing
        if self.chunks is not None:
            outcome = self.chunks.feed(self.head, framing.head_size)
            if outcome is True:
                return self._withhold(self.limit + 1)
            if outcome:
                return False, outcome
            if not self.chunks.done:
                return False, None
            body = self.chunks.body
            self.head[: framing.head_size] = self._head_for_worker(len(body)) + body
        elif len(self.head) < framing.head_size + (framing.length or 0):
            return False, None
        elif framing.expect:
            self.head[: framing.head_size] = self._head_for_worker(None)
        self.framing = self.chunks = None
        return True, None

    def _withhold(self, length: int) -> tuple[bool, None]:
        """Give the worker the head alone, as of a body of ``length`` bytes."""
        self.head[:] = self._head_for_worker(length)
        self.framing = self.chunks = None
        self.withheld = True
        return True, None

    def _head_for_worker(self, length: int | None) -> bytes:
        """The head as the front passes it on: without the ``Transfer-Encoding`` and
        ``Expect`` it dealt with, and with ``length`` (if given) as its ``Content-Length``."""
        framing = self.framing
        assert framing is not None, "called once the head was read"
        lines = bytes(self.head[: framing.head_size - 4]).split(b"\r\n")
        dropped = {b"content-length"} if length is not None else set()
        if framing.chunked:
            dropped.add(b"transfer-encoding")
        if framing.expect:
            dropped.add(b"expect")
        kept = lines[:1]
        dropping = False
        for line in lines[1:]:
            if line[:1] not in (b" ", b"\t"):
                dropping = line.partition(b":")[0].lower() in dropped
            if not dropping:
                kept.append(line)
        if length is not None:
            kept.append(b"Content-Length: %d" % length)
        return b"\r\n".join(kept) + b"\r\n\r\n"

    def recv_into(self, buffer: memoryview, nbytes: int = 0, flags: int = 0) -> int:
        if self.head:
            size = min(nbytes or len(buffer), len(self.head))
            buffer[:size] = self.head[:size]
            del self.head[:size]
            return size
        if self.withheld:
            return 0
        return self._sock.recv_into(buffer, nbytes, flags)

    def makefile(self, sock: socket.socket, mode: str = "r", bufsize: int = -1) -> object:
        """cheroot's ``MakeFile``, with a reader that reads through this object."""
        if "r" in mode:
            return StreamReader(self, mode, bufsize)
        return MakeFile(sock, mode, bufsize)

    def __getattr__(self, name: str) -> object:
        return getattr(self._sock, name)


class _Connection(HTTPConnection):
    """cheroot's connection; closed after an answer to a withheld body, it is drained first."""

    mockquay_socket: _HeadFirstSocket
    mockquay_front: _HeadFirst

    def close(self) -> None:
        reader = getattr(self, "mockquay_socket", None)
        if reader is not None and reader.withheld:
            reader.withheld = False
            self.mockquay_front.drain(self)
            return
        super().close()


class _HeadFirst(ConnectionManager):
    """cheroot's connection manager, handing a connection to a worker only with a whole request.

    One selector thread accepts connections and reads their request heads and bodies (see
    :class:`_HeadFirstSocket`); idle keep-alive connections wait in the same selector. A head
    or body gunicorn refuses is answered here.
    When the process runs out of file descriptors, accepting pauses and is retried.
    """

    def __init__(self, server: wsgi.Server, body_limit: int) -> None:
        super().__init__(server)
        server.socket.setblocking(False)
        self._body_limit = body_limit
        self._resume_accepting: float | None = None
        self._accept_logged = -ACCEPT_LOG_INTERVAL
        self._accept_failing = False

    def put(self, conn: _Connection) -> None:
        """Take back a kept-alive connection from a worker and wait for its next head."""
        conn.last_used = time.time()
        reader = conn.mockquay_socket
        if reader.withheld:
            # The app answered without refusing the body: the connection cannot go on.
            reader.withheld = False
            self.drain(conn)
            return
        if conn.rfile.has_data():
            reader.head[:0] = conn.rfile.read1(1 << 20)
        reader.started = time.time() if reader.head else None
        ready, refusal = reader.verdict() if reader.head else (False, None)
        if refusal is not None:
            self._refuse(conn, refusal, registered=False)
        elif ready:
            self.server.process_conn(conn)
        else:
            self.selector.register(conn.socket.fileno(), selectors.EVENT_READ, data=conn)

    def drain(self, conn: _Connection) -> None:
        """After the worker's answer (flushed here), read and drop what the client still sends
        for a while, then close."""
        with contextlib.suppress(OSError, ValueError):
            conn.wfile.flush()
        try:
            self._refuse(conn, b"", registered=False)
        except (OSError, ValueError, KeyError):
            # The server is stopping: its selector is closed.
            HTTPConnection.close(conn)

    def loop(self, expiration_interval: float) -> None:
        last_expiration = time.time()
        while not self.stop_requested:
            timeout = expiration_interval
            if self._resume_accepting is not None:
                timeout = max(0.0, min(timeout, self._resume_accepting - time.time()))
            try:
                ready = list(self.selector.select(timeout=timeout))
            except OSError:
                self.remove_invalid_sockets()
                continue
            for _, conn in ready:
                if conn is self.server:
                    self._accept()
                else:
                    self._read(conn)
            now = time.time()
            if self._resume_accepting is not None and now >= self._resume_accepting:
                self._resume_accepting = None
                self.selector.register(
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
            reader = _HeadFirstSocket(sock, self._body_limit)
            conn = _Connection(self.server, sock, reader.makefile)
            conn.mockquay_socket = reader
            conn.mockquay_front = self
            if isinstance(address, tuple):
                conn.remote_addr, conn.remote_port = address[:2]
            conn.ssl_env = {}
            conn.last_used = time.time()
            self.selector.register(sock.fileno(), selectors.EVENT_READ, data=conn)

    def _pause_accepting(self, error: OSError) -> None:
        """Out of descriptors: stop watching the listening socket for ``ACCEPT_PAUSE``."""
        now = time.time()
        self.selector.unregister(self.server.socket.fileno())
        self._resume_accepting = now + ACCEPT_PAUSE
        self._accept_failing = True
        if now - self._accept_logged >= ACCEPT_LOG_INTERVAL:
            self._accept_logged = now
            logger.warning(
                "mockquay: cannot accept connections: %s (%d connections between requests);"
                " retrying every %.1f s",
                error,
                len(self.selector) - 1,
                ACCEPT_PAUSE,
            )

    def _read(self, conn: _Connection) -> None:
        reader = conn.mockquay_socket
        size = _READ_SIZE if reader.framing is None else _BODY_READ_SIZE
        try:
            data = conn.socket.recv(size, _DONTWAIT)
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
        while reader.framing is None and reader.head.startswith(b"\r\n"):
            # Empty lines before a request line are ignored (RFC 9112, section 2.2).
            del reader.head[:2]
        ready, refusal = reader.verdict()
        if refusal is not None:
            self._refuse(conn, refusal, registered=True)
        elif ready:
            self.selector.unregister(conn.socket.fileno())
            self.server.process_conn(conn)

    def _refuse(self, conn: _Connection, answer: bytes, registered: bool) -> None:
        """Send ``answer``, then drain the connection for a while before closing it."""
        reader = conn.mockquay_socket
        reader.head.clear()
        reader.framing = reader.chunks = None
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
            self.selector.register(conn.socket.fileno(), selectors.EVENT_READ, data=conn)

    def _forget(self, conn: _Connection) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(conn.socket.fileno())
        conn.close()

    def _expire_connections(self, now: float) -> None:
        """Close connections idle for the server's timeout, heads begun ``HEAD_TIMEOUT`` ago,
        and refused connections drained for ``_DRAIN_SECONDS``."""
        expired = []
        for _, conn in self.waiting():
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
    #: The largest body gathered; a larger one is withheld from the app, which refuses it.
    mockquay_max_body: int = BODY_LIMIT
    mockquay_hung: HungConnections

    def prepare(self) -> None:
        super().prepare()
        replace_connection_manager(self, _HeadFirst(self, self.mockquay_max_body))


class _Gateway(wsgi.Gateway_10):
    """cheroot's WSGI 1.0 gateway, adding the request's :class:`RawConnection` to the environ."""

    # cheroot's stub types Gateway.get_environ as returning None; it returns the environ.
    def get_environ(self) -> dict:  # type: ignore[override]
        environ = super().get_environ()
        environ[CONNECTION_ENVIRON] = RawConnection(self.req, self.req.server.mockquay_hung)
        return environ


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
        self._server.mockquay_max_body = app.config.get("MAX_CONTENT_LENGTH") or BODY_LIMIT
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
