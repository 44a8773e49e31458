"""The request journal: every request to Quay's API, as the client sent it and mockquay answered.

A :class:`Journal` is a bounded, thread-safe list of entries, newest last. The
:class:`JournalLayer` WSGI middleware, wrapped around the fault layer, records one entry per
request under ``/api/``: when it arrived, its method, path and query, the Quay operation and
repository it names, the status answered (``None`` when a transport fault ended it without an
answer), the fault rule that changed it, and the request body with every password and token
replaced by :data:`REDACTED`. The admin API (``/__mockquay__``) is never recorded.
"""

from __future__ import annotations

import io
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from itertools import count
from typing import Any

from mockquay.control.fault_layer import FAULT_ENVIRON
from mockquay.quay_api.routing import QUAY_API_PREFIX, ROUTE_ENVIRON, Route

#: What a secret in a recorded body becomes.
REDACTED = "<redacted>"

#: The words that make a body key a secret, anywhere in the key and in any case.
SECRET_WORDS = ("password", "token")

Entry = dict[str, Any]


class Journal:
    """The last ``size`` requests to Quay's API, newest last; ``size`` 0 records nothing."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._entries: deque[Entry] = deque(maxlen=size)
        self._lock = threading.Lock()
        self._ids = count(1)

    def add(self, entry: Entry) -> Entry:
        """Append ``entry`` with the next id; the caller may still fill in its answer."""
        with self._lock:
            entry["id"] = next(self._ids)
            self._entries.append(entry)
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
    """An entry as the admin API shows it: the time in ISO 8601 UTC, milliseconds and ``Z``."""
    moment = datetime.fromtimestamp(entry["time"], timezone.utc)
    entry["time"] = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return entry


def redact(value: Any) -> Any:
    """``value`` with the value of every key naming a password or token replaced, at any depth."""
    if isinstance(value, Mapping):
        return {
            key: REDACTED
            if any(word in str(key).lower() for word in SECRET_WORDS)
            else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


def recorded_body(data: bytes) -> Any:
    """A request body as the journal keeps it: parsed and redacted JSON, else text.

    Text that is not JSON is kept only when it names no password or token, since its secrets
    cannot be told apart from the rest.
    """
    text = data.decode("utf-8", "replace")
    try:
        return redact(json.loads(text))
    except (ValueError, RecursionError):
        # Not JSON, or nested too deeply to parse: the journal must not fail the request.
        pass
    lowered = text.lower()
    if any(word in lowered for word in SECRET_WORDS):
        return REDACTED
    return text


class JournalLayer:
    """WSGI middleware that records each request to Quay's API in ``journal``.

    It names each request by the :class:`~mockquay.quay_api.routing.Route` a ``RouteLayer``
    around it put in the environ.
    ``max_body_bytes`` bounds the bodies read for the record; a larger one is passed on unread
    and recorded as ``None``, so the app still answers it (413) as it would without the journal.
    """

    def __init__(
        self,
        wsgi_app: Callable[..., Iterable[bytes]],
        journal: Journal,
        max_body_bytes: int,
    ) -> None:
        self.wsgi_app = wsgi_app
        self.journal = journal
        self.max_body_bytes = max_body_bytes

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not self.journal.size or not path.startswith(QUAY_API_PREFIX):
            return self.wsgi_app(environ, start_response)
        entry = self.journal.add(self._entry_for(environ, path))

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
            "method": environ.get("REQUEST_METHOD", "GET"),
            # WSGI hands the path over as Latin-1; clients sent UTF-8.
            "path": path.encode("latin-1").decode("utf-8", "replace"),
            "query": environ.get("QUERY_STRING", ""),
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
