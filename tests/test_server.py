"""The HTTP server in front of the app: idle and slow clients, gunicorn's limits, bodies,
and running out of file descriptors."""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest

from mockquay.app import create_app
from mockquay.cheroot_compat import check_cheroot, missing_names
from mockquay.extension import emulator_of
from mockquay.server import THREADS, Server, check_head
from mockquay.settings import Settings

MIRROR = "/api/v1/repository/acme/etcd/mirror"
GET_MIRROR = (
    f"GET {MIRROR} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer admin-token\r\n"
    "Connection: close\r\n\r\n"
).encode()
#: Seconds a test waits for an answer before calling it missing (a stalled server takes 10+).
PATIENCE = 5.0


@pytest.fixture
def server():
    served = Server(create_app(Settings()), "127.0.0.1", 0).start()
    yield served
    served.stop()


def address(server: Server) -> tuple[str, int]:
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def exchange(server: Server, data: bytes) -> bytes:
    """Send ``data`` on a new connection; everything the server sends until it closes."""
    with socket.create_connection(address(server), timeout=PATIENCE) as sock:
        sock.sendall(data)
        return read_to_end(sock)


def read_to_end(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def gunicorn_answer(status: str, reason: str, message: str) -> bytes:
    page = (
        f"<html>\n  <head>\n    <title>{reason}</title>\n  </head>\n  <body>\n"
        f"    <h1><p>{reason}</p></h1>\n    {message}\n  </body>\n</html>\n"
    )
    return (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: text/html\r\n"
        f"Content-Length: {len(page)}\r\n\r\n{page}"
    ).encode()


def with_fields(fields: bytes) -> bytes:
    """:data:`GET_MIRROR` with more header fields."""
    return GET_MIRROR.replace(b"Connection: close\r\n", b"Connection: close\r\n" + fields)


def fields_too_large(problem: str) -> bytes:
    return gunicorn_answer(
        "431", "Request Header Fields Too Large", f"Error parsing headers: &#x27;{problem}&#x27;"
    )


def serve_quietly(limit: Callable[[], None], stderr: int = subprocess.PIPE) -> subprocess.Popen:
    """``mockquay serve --quiet`` in a process whose descriptor limits ``limit`` sets."""
    return subprocess.Popen(
        [sys.executable, "-m", "mockquay.cli", "serve", "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        preexec_fn=limit,
    )


def test_idle_and_slow_connections_beyond_the_worker_count_leave_a_new_client_served(server):
    idle = [socket.create_connection(address(server)) for _ in range(THREADS + 8)]
    slow = [socket.create_connection(address(server)) for _ in range(THREADS + 8)]
    try:
        for sock in slow:
            sock.sendall(b"GET /api/v1/discovery HTTP/1.1\r\nHost: localhost\r\nX-Slow: a")
        answer = exchange(server, GET_MIRROR)
    finally:
        for sock in idle + slow:
            sock.close()
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b'"external_reference": "quay.io/coreos/etcd"' in answer


#: What each kind of slow-body client sends before it stalls: a small sized body begun, a
#: chunked one, one over 64 KiB, and a head that waits for ``100 Continue`` before its body.
SLOW_BODIES = {
    "small": b"Content-Length: 30\r\n\r\n" + b'{"sync_interval": ',
    "chunked": b"Transfer-Encoding: chunked\r\n\r\n10000\r\n" + b"a" * 1000,
    "large": b"Content-Length: 200000\r\n\r\n" + b"a" * 70000,
    "100-continue": b"Content-Length: 30\r\nExpect: 100-continue\r\n\r\n",
}


@pytest.mark.parametrize("kind", SLOW_BODIES)
def test_slow_bodies_beyond_the_worker_count_leave_a_new_client_served(server, kind):
    slow = [socket.create_connection(address(server)) for _ in range(THREADS + 8)]
    try:
        for sock in slow:
            sock.sendall(put_mirror(SLOW_BODIES[kind]))
        answer = exchange(server, GET_MIRROR)
    finally:
        for sock in slow:
            sock.close()
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")


def test_a_body_sent_in_pieces_is_served_whole(server):
    body = b'{"sync_interval": 7200}'
    request = put_mirror(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    with socket.create_connection(address(server), timeout=PATIENCE) as sock:
        for piece in (request[:-20], request[-20:-5], request[-5:]):
            sock.sendall(piece)
            time.sleep(0.05)
        answer = read_to_end(sock)
    assert answer_parts(answer)[0] == b"HTTP/1.1 201 CREATED"
    journal = emulator_of(server.app).journal.entries(operation=["changeRepoMirrorConfig"])
    assert journal[-1]["body"] == {"sync_interval": 7200}


def test_a_head_sent_in_pieces_is_answered_once_complete(server):
    with socket.create_connection(address(server), timeout=PATIENCE) as sock:
        for piece in (GET_MIRROR[:3], GET_MIRROR[3:40], GET_MIRROR[40:-2], GET_MIRROR[-2:]):
            sock.sendall(piece)
            time.sleep(0.05)
        answer = read_to_end(sock)
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")


def test_kept_alive_and_pipelined_requests_are_each_answered(server):
    keep_alive = GET_MIRROR.replace(b"Connection: close\r\n", b"")
    with socket.create_connection(address(server), timeout=PATIENCE) as sock:
        sock.sendall(keep_alive)
        first = sock.recv(65536)
        sock.sendall(keep_alive + GET_MIRROR)
        rest = read_to_end(sock)
    assert first.startswith(b"HTTP/1.1 200 OK\r\n")
    assert rest.count(b"HTTP/1.1 200 OK\r\n") == 2


def test_request_line_of_4094_bytes_is_served():
    line = b"GET /" + b"a" * (4094 - len("GET / HTTP/1.1")) + b" HTTP/1.1"
    assert len(line) == 4094
    assert check_head(line + b"\r\nHost: x\r\n\r\n") == (True, None)


def test_request_line_over_4094_bytes_gets_gunicorns_400(server):
    line = b"GET /" + b"a" * (4095 - len("GET / HTTP/1.1")) + b" HTTP/1.1"
    answer = exchange(server, line + b"\r\nHost: localhost\r\n\r\n")
    assert answer == gunicorn_answer(
        "400", "Bad Request", "Request Line is too large (4095 &gt; 4094)"
    )


def test_request_line_without_end_counts_the_bytes_read_as_gunicorn_does(server):
    answer = exchange(server, b"GET /" + b"a" * 20000)
    assert answer == gunicorn_answer(
        "400", "Bad Request", "Request Line is too large (8192 &gt; 4094)"
    )


def test_100_header_fields_are_served(server):
    head = with_fields(b"".join(b"X-Field-%d: v\r\n" % n for n in range(97)))
    assert head.count(b"\r\n") - 2 == 100
    assert exchange(server, head).startswith(b"HTTP/1.1 200 OK\r\n")


def test_101_header_fields_get_gunicorns_431(server):
    head = with_fields(b"".join(b"X-Field-%d: v\r\n" % n for n in range(98)))
    assert exchange(server, head) == fields_too_large("limit request headers fields")


def test_header_field_of_8190_bytes_with_its_line_end_is_served(server):
    field = b"X-Big: " + b"a" * (8188 - len("X-Big: ")) + b"\r\n"
    assert len(field) == 8190
    assert exchange(server, with_fields(field)).startswith(b"HTTP/1.1 200 OK\r\n")


def test_header_field_over_8190_bytes_gets_gunicorns_431(server):
    field = b"X-Big: " + b"a" * (8189 - len("X-Big: ")) + b"\r\n"
    assert exchange(server, with_fields(field)) == fields_too_large(
        "limit request headers fields size"
    )


def test_head_that_never_ends_within_gunicorns_buffer_gets_its_431(server):
    fields = b"X-Field: " + b"a" * 8000 + b"\r\n"
    with socket.create_connection(address(server), timeout=PATIENCE) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\n")
        try:
            for _ in range(110):
                sock.sendall(fields)
        except OSError:
            pass
        answer = read_to_end(sock)
    assert answer == fields_too_large("max buffer headers")


@pytest.mark.parametrize("length", [b"-1", b"abc", b"1.5", b""])
def test_unreadable_content_length_gets_gunicorns_400_at_once(server, length):
    head = GET_MIRROR.replace(b"Connection: close\r\n", b"Content-Length: " + length + b"\r\n")
    assert exchange(server, head) == gunicorn_answer(
        "400", "Bad Request", "Invalid HTTP Header: &#x27;CONTENT-LENGTH&#x27;"
    )


def test_two_content_lengths_get_gunicorns_400(server):
    head = GET_MIRROR.replace(
        b"Connection: close\r\n", b"Content-Length: 0\r\nContent-Length: 0\r\n"
    )
    assert exchange(server, head) == gunicorn_answer(
        "400", "Bad Request", "Invalid HTTP Header: &#x27;CONTENT-LENGTH&#x27;"
    )


def put_mirror(framing: bytes) -> bytes:
    """A PUT of the mirror, ``framing`` being its length field(s), blank line and body."""
    return (
        f"PUT {MIRROR} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer admin-token\r\n"
        "Content-Type: application/json\r\nConnection: close\r\n"
    ).encode() + framing


def chunked(body: bytes) -> bytes:
    chunks = [body[n : n + 65536] for n in range(0, len(body), 65536)]
    return b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks) + b"0\r\n\r\n"


def answer_parts(answer: bytes) -> tuple[bytes, dict[bytes, bytes], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.split(b"\r\n")
    headers = dict(line.split(b": ", 1) for line in lines)
    return status, headers, body


def assert_same_413(answer: bytes, sized: bytes) -> None:
    """``answer`` is the 413 a sized body over the limit got (``sized``), Date aside."""
    status, headers, page = answer_parts(answer)
    sized_status, sized_headers, sized_page = answer_parts(sized)
    assert status == sized_status == b"HTTP/1.1 413 REQUEST ENTITY TOO LARGE"
    assert (headers[b"Content-Type"], page) == (sized_headers[b"Content-Type"], sized_page)


def test_chunked_body_over_one_mebibyte_gets_the_same_413_as_a_sized_one(server):
    body = b'{"sync_interval": "' + b"x" * (1 << 20) + b'"}'
    sized = exchange(server, put_mirror(b"Content-Length: %d\r\n\r\n" % len(body) + body))
    sent_chunked = exchange(
        server, put_mirror(b"Transfer-Encoding: chunked\r\n\r\n" + chunked(body))
    )
    assert_same_413(sent_chunked, sized)


def test_chunked_body_within_the_limit_is_served_and_journaled(server):
    body = json.dumps({"sync_interval": 7200}).encode()
    answer = exchange(server, put_mirror(b"Transfer-Encoding: chunked\r\n\r\n" + chunked(body)))
    assert answer_parts(answer)[0] == b"HTTP/1.1 201 CREATED"
    journal = emulator_of(server.app).journal.entries(operation=["changeRepoMirrorConfig"])
    assert journal[-1]["body"] == {"sync_interval": 7200}


LOW_LIMIT = 64


def test_out_of_descriptors_the_server_logs_once_pauses_and_recovers():
    def low_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (LOW_LIMIT, LOW_LIMIT))

    process = serve_quietly(low_limit)
    errors: list[str] = []
    reader = threading.Thread(target=lambda: errors.extend(process.stderr), daemon=True)
    reader.start()
    clients: list[socket.socket] = []
    try:
        url = json.loads(process.stdout.readline())["url"]
        host, port = url.removeprefix("http://").rsplit(":", 1)
        for _ in range(LOW_LIMIT + 20):
            clients.append(socket.create_connection((host, int(port)), timeout=PATIENCE))
        deadline = time.monotonic() + PATIENCE
        while not any("cannot accept" in line for line in errors):
            assert time.monotonic() < deadline, errors
            time.sleep(0.1)
        time.sleep(1.5)  # three pauses: each retry fails again, silently
        refused = [line for line in errors if "cannot accept" in line]
        for sock in clients:
            sock.close()
        clients.clear()
        answer = b""
        for _ in range(20):
            try:
                with socket.create_connection((host, int(port)), timeout=PATIENCE) as sock:
                    sock.sendall(GET_MIRROR)
                    answer = read_to_end(sock)
            except OSError:
                answer = b""
            if answer:
                break
            time.sleep(0.25)
    finally:
        for sock in clients:
            sock.close()
        process.terminate()
        process.wait(timeout=10)
        reader.join(timeout=10)
    assert len(refused) == 1
    assert "Too many open files" in refused[0]
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert any("accepting connections again" in line for line in errors)


@pytest.mark.skipif(not os.path.exists("/proc/self/limits"), reason="needs /proc")
def test_serve_raises_the_soft_descriptor_limit_to_the_hard_one():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard <= 256:
        pytest.skip("the hard limit is too low to show a raise")

    def low_soft_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))

    process = serve_quietly(low_soft_limit, stderr=subprocess.DEVNULL)
    try:
        process.stdout.readline()
        with open(f"/proc/{process.pid}/limits") as limits:
            line = next(line for line in limits if line.startswith("Max open files"))
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
    expected = "4096" if hard == resource.RLIM_INFINITY else str(hard)
    assert line.split()[3] == expected


def test_a_line_ended_by_a_bare_newline_is_refused_at_once(server):
    answer = exchange(server, b"GET /api/v1/discovery HTTP/1.1\nHost: localhost\n\n")
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert answer.endswith(b"HTTP requires CRLF terminators")


def keep_alive_put(framing: bytes) -> bytes:
    """:func:`put_mirror` on a connection that stays open after the answer."""
    return put_mirror(framing).replace(b"Connection: close\r\n", b"")


def test_a_body_over_the_limit_after_expect_100_continue_gets_the_413_without_100(server):
    """nginx checks ``client_max_body_size`` before it answers ``100 Continue``."""
    sized = exchange(server, put_mirror(b"Content-Length: 2000000\r\n\r\n"))
    expecting = put_mirror(b"Content-Length: 2000000\r\nExpect: 100-continue\r\n\r\n")
    assert_same_413(exchange(server, expecting), sized)


def test_a_chunk_size_over_the_limit_gets_the_413_at_once(server):
    sized = exchange(server, put_mirror(b"Content-Length: 2000000\r\n\r\n"))
    with socket.create_connection(address(server), timeout=PATIENCE) as sock:
        # The client keeps the connection open: the answer comes before any chunk data.
        sock.sendall(put_mirror(b"Transfer-Encoding: chunked\r\n\r\n" + b"f" * 40 + b"\r\n"))
        answer = read_to_end(sock)
    assert_same_413(answer, sized)


def test_chunk_trailers_are_consumed_and_the_next_pipelined_request_answered(server):
    body = b'{"sync_interval": 7200}'
    framing = b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\nX-Checksum: abc\r\n\r\n"
    with socket.create_connection(address(server), timeout=PATIENCE) as sock:
        sock.sendall(keep_alive_put(framing % (len(body), body)) + GET_MIRROR)
        answers = read_to_end(sock)
    first, _, second = answers.partition(b'""\n')
    assert first.startswith(b"HTTP/1.1 201 CREATED\r\n")
    assert second.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b'"sync_interval": 7200' in second


@pytest.mark.parametrize(
    ("field", "name"),
    [(b"Content-Length : 2", "Content-Length "), (b"X-A\0b: 1", "X-A\\x00b")],
)
def test_a_field_name_gunicorn_22_refuses_gets_its_400(server, field, name):
    """gunicorn 22 ``http/message.py``: a field name must be an RFC 9110 token, nothing
    stripped (``strip_header_spaces`` is off), or ``InvalidHeaderName``."""
    head = GET_MIRROR.replace(b"Connection: close\r\n", field + b"\r\n")
    assert exchange(server, head) == gunicorn_answer(
        "400", "Bad Request", f"Invalid HTTP header name: &#x27;{name}&#x27;"
    )


def test_content_length_with_chunked_transfer_encoding_gets_gunicorns_400(server):
    """gunicorn 22 ``set_body_reader``: a body framed two ways is ``InvalidHeader``."""
    framing = b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    assert exchange(server, put_mirror(framing)) == gunicorn_answer(
        "400", "Bad Request", "Invalid HTTP Header: &#x27;CONTENT-LENGTH&#x27;"
    )


@pytest.mark.parametrize("size", [b"-1", b"0x0"])
def test_a_chunk_size_gunicorn_22_cannot_read_gets_its_500_marked_emulated(server, size):
    """gunicorn 22 ``http/body.py``: ``parse_chunk_size`` takes hex digits only and raises
    ``InvalidChunkSize``, an ``IOError`` its ``handle_error`` answers with its 500 page."""
    answer = exchange(server, put_mirror(b"Transfer-Encoding: chunked\r\n\r\n" + size + b"\r\n"))
    page = (
        "<html>\n  <head>\n    <title>Internal Server Error</title>\n  </head>\n  <body>\n"
        "    <h1><p>Internal Server Error</p></h1>\n    \n  </body>\n</html>\n"
    )
    assert (
        answer
        == (
            "HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Type: text/html\r\n"
            f"Content-Length: {len(page)}\r\n"
            f"X-Mockquay-Emulated: InvalidChunkSize: {size!r}\r\n\r\n{page}"
        ).encode()
    )


def test_two_host_fields_get_nginxs_400(server):
    page = (
        "<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n"
        "<center><h1>400 Bad Request</h1></center>\r\n"
        "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
    answer = exchange(server, with_fields(b"Host: elsewhere\r\n"))
    assert (
        answer
        == (
            "HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n"
            f"Content-Length: {len(page)}\r\nConnection: close\r\n\r\n{page}"
        ).encode()
    )


def test_the_installed_cheroot_has_every_name_mockquay_uses():
    check_cheroot()
    assert missing_names() == []


def test_a_cheroot_lacking_a_name_fails_with_its_version_and_the_name():
    from cheroot import connections, makefile
    from cheroot import server as cheroot_server

    class Lacking:
        ConnectionManager = type("ConnectionManager", (), {"__init__": lambda self: None})

    modules = {"connections": Lacking, "makefile": makefile, "server": cheroot_server}
    with pytest.raises(RuntimeError) as refused:
        check_cheroot(modules, version="99.0.0")
    assert str(refused.value) == (
        "mockquay cannot serve on cheroot 99.0.0: it lacks"
        " cheroot.connections.ConnectionManager._run,"
        " cheroot.connections.ConnectionManager._remove_invalid_sockets,"
        " cheroot.connections._ThreadsafeSelector.connections,"
        " cheroot.connections.ConnectionManager._selector,"
        " cheroot.connections.ConnectionManager._stop_requested"
        " (see mockquay/cheroot_compat.py; mockquay's setup.cfg names the cheroot releases"
        " it works with)"
    )
    assert connections.ConnectionManager._run
