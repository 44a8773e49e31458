"""The access log: one line per request served over HTTP, written once its answer is sent.

Two formats: ``common`` is the Common Log Format with the Quay operation's nickname and the
id of the fault rule that changed the answer appended (``-`` for none); ``json`` is one JSON
object per line. The values of query parameters naming a password or token are redacted;
headers and bodies are never logged. A request that a transport fault broke has no status
(``-``, or ``null`` in JSON).
"""

from __future__ import annotations

import contextlib
import json
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from typing import Any

from flask import Flask

from mockquay.faults.layer import FAULT_ENVIRON
from mockquay.quay_api.routing import ROUTE_ENVIRON, Route
from mockquay.redaction import redacted_query

FORMATS = ("common", "json")


def request_operation(environ: dict) -> tuple[str | None, str | None]:
    """The nickname of the Quay operation a served request named, and its repository, if any.

    Read from the :class:`~mockquay.quay_api.routing.Route` the app's route layer left in the
    environ; a request outside Quay's API has none.
    """
    route: Route | None = environ.get(ROUTE_ENVIRON)
    if route is None:
        return None, None
    return route.operation, route.repository


class StderrPump:
    """Lines for stderr, written by a thread of their own so that a reader who stops reading
    (a full pipe) never stalls a request: past ``QUEUE_LINES`` waiting lines, new ones are
    dropped and counted, and the count is written once the pipe drains.
    """

    QUEUE_LINES = 10_000

    def __init__(self) -> None:
        self._lines: queue.Queue[str | None] = queue.Queue(self.QUEUE_LINES)
        self._dropped = 0
        self._thread = threading.Thread(target=self._pump, name="mockquay-stderr", daemon=True)
        self._thread.start()

    def __call__(self, line: str) -> None:
        try:
            self._lines.put_nowait(line)
        except queue.Full:
            self._dropped += 1

    def close(self) -> None:
        """Write the lines still waiting (for at most a few seconds), then stop."""
        with contextlib.suppress(queue.Full):
            self._lines.put(None, timeout=2)
        self._thread.join(timeout=2)

    def _pump(self) -> None:
        while (line := self._lines.get()) is not None:
            if self._dropped and self._lines.empty():
                dropped, self._dropped = self._dropped, 0
                line += f"mockquay: {dropped} access log lines dropped: stderr was not read\n"
            # Looked up per line, so that a test's captured stderr gets the lines.
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.write(line)
                sys.stderr.flush()


class AccessLog:
    """Writes one line per request of the apps it wraps, in ``log_format``, to ``write``
    (by default, to stderr through a :class:`StderrPump`).
    """

    def __init__(self, log_format: str = "common", write: Callable[[str], None] | None = None):
        if log_format not in FORMATS:
            raise ValueError(f"unknown access log format {log_format!r}: use one of {FORMATS}")
        self.log_format = log_format
        self._write = StderrPump() if write is None else write
        self._lock = threading.Lock()

    def close(self) -> None:
        """Write out the lines still waiting."""
        close = getattr(self._write, "close", None)
        if close is not None:
            close()

    def wrap(self, app: Flask) -> Callable[[dict, Callable], Iterable[bytes]]:
        """A WSGI callable serving ``app`` and logging each of its requests."""

        def logged(environ: dict, start_response: Callable) -> Iterable[bytes]:
            started = time.time()
            clock = time.perf_counter()
            answer: dict[str, int] = {}

            def noting_start_response(status: str, headers: list, exc_info: Any = None) -> Any:
                answer["status"] = int(status[:3])
                return start_response(status, headers, exc_info)

            def done(size: int) -> None:
                self.log(
                    environ,
                    started=started,
                    duration=time.perf_counter() - clock,
                    status=answer.get("status"),
                    size=size,
                )

            try:
                body = app(environ, noting_start_response)
            except BaseException:
                done(0)
                raise
            return _Measured(body, done)

        return logged

    def log(
        self,
        environ: dict,
        *,
        started: float,
        duration: float,
        status: int | None,
        size: int,
    ) -> None:
        """Write the line of one request."""
        operation, repository = request_operation(environ)
        path, query = _target(environ)
        if self.log_format == "json":
            moment = datetime.fromtimestamp(started, timezone.utc)
            record = {
                "time": moment.strftime("%Y-%m-%dT%H:%M:%S.")
                + f"{moment.microsecond // 1000:03d}Z",
                "remote": environ.get("REMOTE_ADDR"),
                "method": environ.get("REQUEST_METHOD"),
                "path": path,
                "query": query,
                "status": status,
                "size": size,
                "duration": round(duration, 6),
                "operation": operation,
                "repository": repository,
                "fault": environ.get(FAULT_ENVIRON),
            }
            line = json.dumps(record)
        else:
            moment = datetime.fromtimestamp(started).astimezone()
            target = path + (f"?{query}" if query else "")
            request_line = (
                f"{environ.get('REQUEST_METHOD')} {target} {environ.get('SERVER_PROTOCOL')}"
            )
            line = (
                f"{environ.get('REMOTE_ADDR') or '-'} - - "
                f"[{moment.strftime('%d/%b/%Y:%H:%M:%S %z')}] "
                f'"{_escaped(request_line)}" {status or "-"} {size or "-"} '
                f"{operation or '-'} {_escaped(environ.get(FAULT_ENVIRON) or '-')}"
            )
        with self._lock:
            self._write(line + "\n")


def _target(environ: dict) -> tuple[str, str]:
    """The request's path as sent, and its query with secrets redacted."""
    uri = environ.get("REQUEST_URI")
    if uri:
        path, _, query = uri.partition("?")
    else:
        path, query = environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")
    return path, redacted_query(query)


def _escaped(text: str) -> str:
    """``text`` safe inside a quoted log field: quotes, backslashes and controls escaped."""
    return "".join(
        "\\" + char
        if char in '"\\'
        else char
        if char.isprintable() and ord(char) < 0x7F
        else f"\\x{ord(char):02x}"
        if ord(char) < 0x100
        else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


class _Measured:
    """A WSGI body that counts the bytes sent and calls ``done`` with them when closed."""

    def __init__(self, body: Iterable[bytes], done: Callable[[int], None]) -> None:
        self._body = body
        self._done = done
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._body:
            self.size += len(chunk)
            yield chunk

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._done(self.size)
