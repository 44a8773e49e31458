"""Quay's notification worker for mockquay: sends the deliveries the domain queued.

The domain (:mod:`mockquay.domain.notifications`) queues a delivery when an event is raised
and records what became of each try; this module's thread takes the tries due on mockquay's
clock, applies the fault rules of deliveries, POSTs a webhook's body as Quay's
``WebhookMethod.perform`` does (``requests.post(url, data=json.dumps(payload),
headers={"Content-type": "application/json"}, timeout=NOTIFICATION_SEND_TIMEOUT)``) and
records the outcome. It holds no lock while it sends: the store is taken only to take the
tries and to record each outcome, so a slow listener delays other deliveries, never the
worker or a request.

A webhook's host is resolved through the fixture's ``dns:`` table (as the worker resolves
upstream registries); mockquay connects to no host the table does not list. Other methods are
recorded, not sent.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import ssl
import threading
import weakref
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from mockquay.domain import notifications
from mockquay.domain.config import QuayConfig
from mockquay.domain.keys import NOTIFICATION_QUEUE
from mockquay.domain.references import fixture_resolver
from mockquay.faults.engine import FaultEngine
from mockquay.faults.rules import DeliveryFacts
from mockquay.store import Store

logger = logging.getLogger("mockquay.notifications")

#: The requests release of Quay's ``requirements.txt``, whose default headers a webhook carries.
REQUESTS_VERSION = "2.32.2"
#: ``requests.utils.default_headers()`` under urllib3 1.26 without brotli, then the method's.
WEBHOOK_HEADERS = (
    ("User-Agent", f"python-requests/{REQUESTS_VERSION}"),
    ("Accept-Encoding", "gzip, deflate"),
    ("Accept", "*/*"),
    ("Connection", "keep-alive"),
    ("Content-type", "application/json"),
)
#: The longest the thread sleeps before it looks at the clock again (seconds).
TICK = 1.0


class Deliveries:
    """The delivery thread of one emulator, over its store, Quay settings, clock and faults."""

    def __init__(
        self,
        store: Store,
        config: Callable[[], QuayConfig],
        now: Callable[[], datetime],
        faults: FaultEngine,
    ) -> None:
        self.store = store
        self._config = config
        self._now = now
        self._faults = faults
        self._wake = threading.Event()
        self._closed = threading.Event()
        #: True while tries taken from the queue are not recorded yet (a leaf lock's flag).
        self._busy = False
        store.listeners.append(self._store_changed)
        self._thread = threading.Thread(
            target=_serve, args=(weakref.ref(self),), name="mockquay-notifications", daemon=True
        )
        self._thread.start()

    def _store_changed(self, written: list[tuple[str, str]] | None) -> None:
        """The store's listener (under the store's lock): only sets a flag."""
        if written is None or any(kind == NOTIFICATION_QUEUE for kind, _ in written):
            self._wake.set()

    def wake(self) -> None:
        """Look at the queue again: the clock moved."""
        self._wake.set()

    def pending(self) -> int:
        """The tries due now and not yet recorded."""
        with self.store.transaction() as tx:
            due = notifications.pending(tx, self._now())
        return due + (1 if self._busy else 0)

    def close(self) -> None:
        self._closed.set()
        self._wake.set()

    def run_due(self) -> int:
        """Make every try due now, oldest first, each recorded as it ends; how many."""
        self._busy = True
        made = 0
        try:
            while True:
                with self.store.transaction() as tx:
                    generation = self.store.generation
                    job = notifications.take_due(tx, self._now())
                if job is None:
                    return made
                outcome = self._try(job, self._config())
                with self.store.transaction() as tx:
                    if self.store.generation != generation:
                        # The state was replaced meanwhile: this try belongs to the old one.
                        continue
                    delivery = notifications.record_outcome(tx, job, outcome)
                made += 1
                logger.info(
                    "notification %s (%s, %s): %s",
                    job.item["notification_uuid"],
                    job.item["event"],
                    delivery["method"],
                    outcome.outcome if outcome.error is None else outcome.error,
                )
        finally:
            self._busy = False

    def _wait(self) -> float:
        """Seconds until the next try is due on a real clock (at most :data:`TICK`)."""
        with self.store.transaction() as tx:
            due = notifications.next_due(tx)
        if due is None:
            return TICK
        return max(0.0, min(TICK, (due - self._now()).total_seconds()))

    def _try(self, job: notifications.Job, config: QuayConfig) -> notifications.Outcome:
        """One try of ``job``: not made for a disabled notification; else the fault rules of
        deliveries, then the method."""
        if not notifications.enabled(job):
            return notifications.Outcome("disabled", error=_disabled(job))
        record = job.notification or {}
        decision = self._faults.decide(DeliveryFacts(job.method, job.url, record["repository"]))
        seconds = 0.0
        if decision is not None:
            seconds = decision.delay_before + decision.delay_after
            if seconds >= notifications.SEND_TIMEOUT:
                return _failed(
                    job,
                    f"Read timed out. (read timeout={notifications.SEND_TIMEOUT:g})",
                    fault=decision.rule_id,
                    seconds=notifications.SEND_TIMEOUT,
                )
            rule = decision.answer
            if rule is not None and rule.transport is not None:
                return _failed(
                    job,
                    f"Connection aborted: mockquay fault {rule.id!r}, transport {rule.transport}",
                    fault=rule.id,
                    seconds=seconds,
                )
            if rule is not None and rule.status is not None:
                return _answered(job, rule.status, fault=rule.id, seconds=seconds)
        if job.method != notifications.WEBHOOK:
            return notifications.Outcome("recorded", body=_recorded_body(job), seconds=seconds)
        return self._post(job, config, seconds)

    def _post(
        self, job: notifications.Job, config: QuayConfig, seconds: float
    ) -> notifications.Outcome:
        """``WebhookMethod.perform``: the event data as JSON to the configured URL."""
        url = job.url or ""
        body = json.dumps(job.item["event_data"])
        parts = urlsplit(url)
        host = parts.hostname or ""
        default_port = 443 if parts.scheme == "https" else 80
        try:
            port = parts.port or default_port
        except ValueError as error:
            return _failed(job, f"Invalid URL {url!r}: {error}", seconds=seconds)
        headers = dict(WEBHOOK_HEADERS)
        headers["Content-Length"] = str(len(body.encode()))
        shown = {"Host": host if port == default_port else f"{host}:{port}", **headers}
        if host.lower() not in {name.lower() for name in config.dns} and not _is_address(host):
            return _failed(
                job,
                f"host {host!r} is not in the fixture's dns: table (mockquay connects only to "
                "the addresses it lists)",
                body=body,
                headers=shown,
                seconds=seconds,
            )
        try:
            address = fixture_resolver(config.dns)(host)[0]
        except LookupError:
            return _failed(job, f"Failed to resolve {host!r}", body=body, seconds=seconds)
        connection = _connection(parts.scheme, host, address, port)
        try:
            target = parts.path or "/"
            if parts.query:
                target += "?" + parts.query
            connection.putrequest("POST", target, skip_accept_encoding=True)
            for name, value in headers.items():
                connection.putheader(name, value)
            connection.endheaders(body.encode())
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as error:
            return _failed(job, str(error) or type(error).__name__, body=body, headers=shown)
        finally:
            connection.close()
        return _answered(job, status, body=body, headers=shown, seconds=seconds)


def _is_address(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        return False
    return True


def _connection(scheme: str, host: str, address: str, port: int) -> http.client.HTTPConnection:
    """A connection to ``address`` that names ``host`` (Host header, TLS server name)."""
    timeout = notifications.SEND_TIMEOUT
    if scheme == "https":
        return _ResolvedHTTPS(host, address, port, timeout, ssl.create_default_context())
    return _ResolvedHTTP(host, address, port, timeout)


class _ResolvedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _ResolvedHTTPS(_ResolvedHTTP):
    def __init__(
        self, host: str, address: str, port: int, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, address, port, timeout)
        self._context = context

    def connect(self) -> None:
        super().connect()
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.host)


def _answered(job: notifications.Job, status: int, **details: Any) -> notifications.Outcome:
    """The method's answer ``status``: a 2xx succeeds, anything else is Quay's error."""
    if status // 100 == 2:
        outcome = "sent" if job.method == notifications.WEBHOOK else "recorded"
        return notifications.Outcome(outcome, status=status, **details)
    label = "Slack" if job.method == "slack" else job.method
    error = f"{status} response for {label} to url: {job.url}"
    return notifications.Outcome("failed", status=status, error=error, **details)


def _failed(job: notifications.Job, error: str, **details: Any) -> notifications.Outcome:
    return notifications.Outcome("failed", error=error, **details)


def _disabled(job: notifications.Job) -> str:
    if job.notification is None:
        return "the notification was deleted"
    return (
        f"not tried: the notification has {job.notification['number_of_failures']} failures "
        f"(Quay stops at {notifications.MAX_FAILURES} until they are reset)"
    )


def _recorded_body(job: notifications.Job) -> dict[str, Any]:
    """What a method mockquay does not send is recorded with: the event's level and summary
    and its data."""
    event = notifications.EVENTS.get(job.item["event"])
    return {
        "level": None if event is None else event.level,
        "summary": job.summary,
        "event_data": job.item["event_data"],
    }


def _serve(deliveries_ref: weakref.ref) -> None:
    """The thread: make the tries due, then sleep until the next is due or the queue or clock
    changes. It holds the deliveries only while it works."""
    while True:
        deliveries = deliveries_ref()
        if deliveries is None or deliveries._closed.is_set():
            return
        wake = deliveries._wake
        wake.clear()
        try:
            deliveries.run_due()
            wait = deliveries._wait()
        except Exception:
            logger.exception("mockquay's notification worker failed")
            wait = TICK
        del deliveries
        wake.wait(wait)
