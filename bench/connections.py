"""Idle and slow clients against a new client's GET (``python bench/connections.py``).

Starts ``mockquay serve`` on loopback, times GETs of a mirror each on a new connection with no
other clients, then again while 1,000 idle connections (connected, nothing sent) and 200
slowloris connections (a request head sent one byte a second, never finished) are open, then
while 40 slow-body clients of one kind are (a chunked body, a sized body over 64 KiB, or a
body after ``Expect: 100-continue``, each dripped one byte a second after its start), and
prints each beside the first. Everything is bounded: ``--samples`` GETs per side, each with a
30 s timeout, and the slow clients stop when their measurement ends.
"""

from __future__ import annotations

import argparse
import http.client
import json
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

MIRROR_PATH = "/api/v1/repository/acme/etcd/mirror"
HEADERS = {"Authorization": "Bearer admin-token"}
TIMEOUT = 30.0
SLOW_HEAD = b"GET /api/v1/discovery HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 200
BODY_HEAD = (
    f"PUT {MIRROR_PATH} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer admin-token\r\n"
    "Content-Type: application/json\r\n"
).encode()
#: Each slow-body client's start (sent at once) and the rest it drips, by kind.
SLOW_BODIES = {
    "chunked": (b"Transfer-Encoding: chunked\r\n\r\n10000\r\n", b"a" * 200),
    "200 KB sized": (b"Content-Length: 200000\r\n\r\n" + b"a" * 70000, b"a" * 200),
    "100-continue": (b"Content-Length: 200\r\nExpect: 100-continue\r\n\r\n", b"a" * 200),
}


def get_seconds(host: str, port: int) -> float:
    """One GET of the mirror on a new connection; its seconds, or ``inf`` on timeout/error."""
    started = time.perf_counter()
    try:
        connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
        connection.request("GET", MIRROR_PATH, headers=HEADERS)
        response = connection.getresponse()
        response.read()
        connection.close()
        if response.status != 200:
            return float("inf")
    except OSError:
        return float("inf")
    return time.perf_counter() - started


def sample(host: str, port: int, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        samples.append(get_seconds(host, port))
        time.sleep(0.05)
    return samples


def open_connections(host: str, port: int, count: int) -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        sock = socket.create_connection((host, port), timeout=TIMEOUT)
        sockets.append(sock)
    return sockets


def drip(sockets: list[socket.socket], stop: threading.Event, data: bytes = SLOW_HEAD) -> None:
    """Send ``data`` one byte per connection per second until ``stop``."""
    position = 0
    while not stop.is_set() and position < len(data):
        for sock in sockets:
            try:
                sock.send(data[position : position + 1])
            except OSError:
                pass
        position += 1
        stop.wait(1.0)


def sample_while_dripping(
    host: str, port: int, sockets: list[socket.socket], data: bytes, count: int
) -> list[float]:
    """GETs sampled while ``data`` drips into ``sockets``; the sockets are closed after."""
    stop = threading.Event()
    dripping = threading.Thread(target=drip, args=(sockets, stop, data), daemon=True)
    dripping.start()
    time.sleep(2.0)
    try:
        return sample(host, port, count)
    finally:
        stop.set()
        dripping.join()
        for sock in sockets:
            sock.close()


def slow_bodies(host: str, port: int, count: int, start: bytes) -> list[socket.socket]:
    sockets = open_connections(host, port, count)
    for sock in sockets:
        sock.sendall(BODY_HEAD + start)
    return sockets


def describe(samples: list[float]) -> str:
    answered = [s for s in samples if s != float("inf")]
    if not answered:
        return f"no answer in {TIMEOUT:.0f} s ({len(samples)} of {len(samples)} timed out)"
    failed = len(samples) - len(answered)
    text = f"median {statistics.median(answered) * 1000:.1f} ms, max {max(answered) * 1000:.1f} ms"
    return text + (f", {failed} of {len(samples)} failed" if failed else "")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--slow", type=int, default=200)
    parser.add_argument("--bodies", type=int, default=40)
    parser.add_argument("--samples", type=int, default=20)
    arguments = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    process = subprocess.Popen(
        [sys.executable, "-m", "mockquay.cli", "serve", "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        parts = urlsplit(json.loads(process.stdout.readline())["url"])
        host, port = parts.hostname, parts.port
        sample(host, port, 5)  # warm-up: the first answers pay for imports and caches
        quiet = sample(host, port, arguments.samples)
        idle = open_connections(host, port, arguments.idle)
        try:
            slow = open_connections(host, port, arguments.slow)
            busy = sample_while_dripping(host, port, slow, SLOW_HEAD, arguments.samples)
        finally:
            for sock in idle:
                sock.close()
        bodies = {}
        for kind, (start, rest) in SLOW_BODIES.items():
            sockets = slow_bodies(host, port, arguments.bodies, start)
            bodies[kind] = sample_while_dripping(host, port, sockets, rest, arguments.samples)
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
    print(f"new client's GET, no other clients:   {describe(quiet)}")
    print(f"new client's GET, {arguments.idle} idle + {arguments.slow} slowloris: {describe(busy)}")
    for kind, samples in bodies.items():
        print(f"new client's GET, {arguments.bodies} slow {kind} bodies: {describe(samples)}")
    measured = [busy, *bodies.values()]
    return 0 if all(s != float("inf") for samples in measured for s in samples) else 1


if __name__ == "__main__":
    sys.exit(main())
