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
from mockquay.extension import emulator_of
from mockquay.server import THREADS, Server, bytes_to_gather, check_head
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


def test_slow_small_bodies_beyond_the_worker_count_leave_a_new_client_served(server):
    slow = [socket.create_connection(address(server)) for _ in range(THREADS + 8)]
    try:
        for sock in slow:
            sock.sendall(put_mirror(b"Content-Length: 30\r\n\r\n" + b'{"sync_interval": '))
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


@pytest.mark.parametrize(
    ("fields", "gathered"),
    [
        (b"", 0),
        (b"Content-Length: 10\r\n", 10),
        (b"content-length:  65536\r\n", 65536),
        (b"Content-Length: 65537\r\n", 0),
        (b"Content-Length: 10\r\nExpect: 100-continue\r\n", 0),
        (b"Transfer-Encoding: chunked\r\n", 0),
    ],
)
def test_bytes_to_gather_are_the_head_and_a_small_sized_body(fields, gathered):
    head = b"PUT / HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n"
    assert bytes_to_gather(head + b"body") == len(head) + gathered


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


def test_chunked_body_over_one_mebibyte_gets_the_same_413_as_a_sized_one(server):
    body = b'{"sync_interval": "' + b"x" * (1 << 20) + b'"}'
    sized = exchange(server, put_mirror(b"Content-Length: %d\r\n\r\n" % len(body) + body))
    sent_chunked = exchange(
        server, put_mirror(b"Transfer-Encoding: chunked\r\n\r\n" + chunked(body))
    )
    sized_status, sized_headers, sized_page = answer_parts(sized)
    status, headers, page = answer_parts(sent_chunked)
    assert sized_status.startswith(b"HTTP/1.1 413 ")
    assert (status, headers[b"Content-Type"], page) == (
        sized_status,
        sized_headers[b"Content-Type"],
        sized_page,
    )


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
