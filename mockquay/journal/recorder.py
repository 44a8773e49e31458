"""The request journal: every request to Quay's API, as the client sent it and mockquay answered.

A :class:`Journal` is a bounded, thread-safe list of entries, newest last. The
:class:`JournalLayer` WSGI middleware, wrapped around the fault layer, records one entry per
request under ``/api/``: when it arrived (on the wall clock and on mockquay's clock), its
method, path and query, the Quay operation and repository it names, the status answered
(``None`` when a transport fault ended it without an answer), the fault rule that changed it,
and the request body, with every password and token (in the body or the query, named by its
decoded key) replaced by :data:`REDACTED`. Bodies are kept up to :data:`BODY_LIMIT` bytes and
the journal's bodies up to ``max_bytes`` in all. The admin API (``/__mockquay__``) is never
recorded.
"""

from __future__ import annotations

import io
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from itertools import count
from typing import Any

from mockquay.domain.dates import utcnow
from mockquay.faults.layer import FAULT_ENVIRON
from mockquay.quay_api.routing import QUAY_API_PREFIX, ROUTE_ENVIRON, Route
from mockquay.redaction import REDACTED, names_secret, redact, redacted_query

#: The longest body kept whole (as JSON text); a longer one is kept cut, as text, with a marker.
BODY_LIMIT = 64 * 1024

#: How many bytes of bodies the journal keeps in all; beyond them the oldest entries go first.
JOURNAL_BYTES = 16 * 1024 * 1024

#: What an entry costs besides its body, counted against ``max_bytes``.
ENTRY_BYTES = 512

Entry = dict[str, Any]


class Journal:
    """The last ``size`` requests to Quay's API, newest last, ``max_bytes`` of bodies at most;
    ``size`` 0 records nothing."""

    def __init__(self, size: int = 10_000, max_bytes: int = JOURNAL_BYTES) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self._entries: deque[Entry] = deque()
        self._costs: deque[int] = deque()
        self._bytes = 0
        self._lock = threading.Lock()
        self._ids = count(1)

    def add(self, entry: Entry, cost: int = 0) -> Entry:
        """Append ``entry`` with the next id; the caller may still fill in its answer.

        ``cost`` is the entry's size in bytes (its body's); the oldest entries go until the
        journal holds at most ``size`` entries and ``max_bytes`` bytes, or only this one.
        """
        cost += ENTRY_BYTES
        with self._lock:
            entry["id"] = next(self._ids)
            self._entries.append(entry)
            self._costs.append(cost)
            self._bytes += cost
            while len(self._entries) > 1 and (
                len(self._entries) > self.size or self._bytes > self.max_bytes
            ):
                self._entries.popleft()
                self._bytes -= self._costs.popleft()
        return entry

    def entries(
        self,
        *,
        operation: Iterable[str] = (),
        repository: Iterable[str] = (),
        method: Iterable[str] = (),
        status: Iterable[int | str] = (),
        served: bool | None = None,
    ) -> list[Entry]:
        """Copies of the entries, newest last, that pass every filter given.

        Each filter takes several values (any may match). A status is a number (``404``) or a
        class (``"4xx"``); ``served=False`` keeps only requests to paths mockquay does not serve.
        """
        operations, repositories = set(operation), set(repository)
        methods = {m.upper() for m in method}
        statuses = [_status_matcher(s) for s in status]
        with self._lock:
            entries = [dict(entry) for entry in self._entries]
        return [
            _presented(entry)
            for entry in entries
            if (not operations or entry["operation"] in operations)
            and (not repositories or entry["repository"] in repositories)
            and (not methods or entry["method"] in methods)
            and (not statuses or any(match(entry["status"]) for match in statuses))
            and (served is None or entry["served"] is served)
        ]

    def clear(self) -> int:
        """Forget every entry; return how many there were. Ids keep counting up."""
        with self._lock:
            cleared = len(self._entries)
            self._entries.clear()
            self._costs.clear()
            self._bytes = 0
        return cleared


def _status_matcher(status: int | str) -> Callable[[int | None], bool]:
    """A test of one entry's status; ValueError unless ``status`` is a code or ``Nxx`` class."""
    text = str(status).strip().lower()
    if len(text) == 3 and text[0] in "12345" and text[1:] == "xx":
        low = int(text[0]) * 100
        return lambda code: code is not None and low <= code < low + 100
    if not text.isdigit():
        raise ValueError(
            f"status must be a code such as 404 or a class such as 4xx, not {status!r}"
        )
    code = int(text)
    return lambda value: value == code


def _presented(entry: Entry) -> Entry:
    """An entry as the admin API shows it: its times in ISO 8601 UTC, milliseconds and ``Z``."""
    entry["time"] = _iso_ms(datetime.fromtimestamp(entry["time"], timezone.utc))
    entry["clock_time"] = _iso_ms(entry["clock_time"])
    return entry


def _iso_ms(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def recorded_body(data: bytes) -> Any:
    """A request body as the journal keeps it: parsed and redacted JSON, else text.

    Text that is not JSON is kept only when it names no password or token, since its secrets
    cannot be told apart from the rest. A body longer than :data:`BODY_LIMIT` is kept as its
    first :data:`BODY_LIMIT` characters (redacted JSON text, or the text) and a marker.
    """
    text = data.decode("utf-8", "replace")
    try:
        body = redact(json.loads(text))
    except (ValueError, RecursionError):
        # Not JSON, or nested too deeply to parse: the journal must not fail the request.
        pass
    else:
        if len(data) <= BODY_LIMIT:
            return body
        try:
            return _cut(json.dumps(body), len(data))
        except (ValueError, RecursionError):
            return _cut("", len(data))
    if names_secret(text):
        return REDACTED
    return text if len(data) <= BODY_LIMIT else _cut(text, len(data))


def _cut(text: str, size: int) -> str:
    return f"{text[:BODY_LIMIT]}...<truncated: {size} bytes>"


class JournalLayer:
    """WSGI middleware that records each request to Quay's API in ``journal``.

    It names each request by the :class:`~mockquay.quay_api.routing.Route` a ``RouteLayer``
    around it put in the environ, and dates it by the wall clock and by ``now`` (mockquay's
    clock, naive UTC), the clock of the mirrors' dates and the audit log.
    ``max_body_bytes`` bounds the bodies read for the record; a larger one is passed on unread
    and recorded as ``None``, so the app still answers it (413) as it would without the journal.
    """

    def __init__(
        self,
        wsgi_app: Callable[..., Iterable[bytes]],
        journal: Journal,
        max_body_bytes: int,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.wsgi_app = wsgi_app
        self.journal = journal
        self.max_body_bytes = max_body_bytes
        self.now = now

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not self.journal.size or not path.startswith(QUAY_API_PREFIX):
            return self.wsgi_app(environ, start_response)
        entry = self._entry_for(environ, path)
        entry = self.journal.add(entry, _cost(entry, environ))

        def recording_start_response(status: str, headers: list, exc_info: Any = None) -> Any:
            entry["status"] = int(status[:3])
            entry["fault"] = environ.get(FAULT_ENVIRON)
            return start_response(status, headers, exc_info)

        try:
            return self.wsgi_app(environ, recording_start_response)
        finally:
            entry["fault"] = environ.get(FAULT_ENVIRON)

    def _entry_for(self, environ: dict, path: str) -> Entry:
        route: Route = environ[ROUTE_ENVIRON]
        return {
            "id": None,
            "time": time.time(),
            "clock_time": self.now(),
            "method": environ.get("REQUEST_METHOD", "GET"),
            # WSGI hands the path over as Latin-1; clients sent UTF-8.
            "path": path.encode("latin-1").decode("utf-8", "replace"),
            "query": redacted_query(environ.get("QUERY_STRING", "")),
            "operation": route.operation,
            "repository": route.repository,
            "served": route.served,
            "status": None,
            "fault": None,
            "body": self._body_of(environ),
        }

    def _body_of(self, environ: dict) -> Any:
        """The recorded body; the input stream is replaced so the app reads the same bytes."""
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if length <= 0 or length > self.max_body_bytes:
            return None
        data = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(data)
        environ["CONTENT_LENGTH"] = str(len(data))
        return recorded_body(data)


def _cost(entry: Entry, environ: dict) -> int:
    """The bytes an entry's path, query and body take, about."""
    body = entry["body"]
    if body is None:
        size = 0
    elif isinstance(body, str):
        size = len(body)
    else:
        # Parsed JSON, never longer than BODY_LIMIT: what the client sent.
        size = int(environ["CONTENT_LENGTH"])
    return len(entry["path"]) + len(entry["query"]) + size
